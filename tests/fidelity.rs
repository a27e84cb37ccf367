//! Inputs as people write them: spark-submit lines copied from documentation, operator
//! manifests that carry settings in `sparkConf`, and values that reference secrets.

use crate::harness::{Project, run};

fn project() -> Project {
    let p = Project::new();
    p.write(
        "sparkc.yaml",
        "apiVersion: sparkc.io/v1alpha1\nkind: Project\njobs: [jobs]\ndefaults:\n  sparkVersion: \"3.5.3\"\n  image: apache/spark:3.5.3\nenvironments:\n  dev: {namespace: spark}\n",
    );
    p
}

/// The example of Spark's own documentation (`running-on-kubernetes.md`), with its prompt,
/// placeholders, a repeated `--conf` and a blank after one backslash: the application and
/// the flags are read, and the placeholder image is refused at its line in the written spec.
#[test]
fn the_spark_documentation_example_imports_and_its_placeholder_is_refused() {
    let p = project();
    p.write(
        "submit.txt",
        "$ ./bin/spark-submit \\\n    --master k8s://https://<k8s-apiserver-host>:<k8s-apiserver-port> \\\n    --deploy-mode cluster \\ \n    --name spark-pi \\\n    --class org.apache.spark.examples.SparkPi \\\n    --conf spark.executor.instances=5 \\\n    --conf spark.executor.instances=3 \\\n    --conf spark.kubernetes.container.image=<spark-image> \\\n    local:///path/to/examples.jar\n",
    );
    let out = run(&mut p.sparkc(&[
        "import",
        "--from-submit",
        "submit.txt",
        "-o",
        "jobs",
        "--color",
        "never",
    ]));
    let text = format!("{}{}", out.stdout, out.stderr);
    assert_eq!(out.code, 1, "{text}");
    let job = std::fs::read_to_string(p.path().join("jobs/spark-pi.yaml")).unwrap();
    assert!(
        job.contains("mainApplicationFile: local:///path/to/examples.jar"),
        "{job}"
    );
    assert!(
        job.contains("mainClass: org.apache.spark.examples.SparkPi"),
        "{job}"
    );
    assert!(job.contains("instances: 3"), "{job}");
    assert!(!job.contains("arguments"), "{job}");
    assert!(
        text.contains("`spark.executor.instances` is given twice; the last one wins"),
        "{text}"
    );
    assert!(
        text.contains("jobs/spark-pi.yaml:")
            && text.contains("`<spark-image>` is not a valid image reference"),
        "{text}"
    );
}

#[test]
fn kill_and_status_are_not_jobs() {
    let p = project();
    p.write(
        "submit.txt",
        "spark-submit --kill spark:driver-1 --master k8s://https://10.0.0.1:6443\n",
    );
    let out = run(&mut p.sparkc(&["import", "--from-submit", "submit.txt", "--color", "never"]));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("`--kill` manages a submitted driver"),
        "{}",
        out.stderr
    );
}

/// `sparkConf` keys of a SparkApplication that have a field move to it; when the field is
/// set too, the field wins and the import says so; keys sparkc derives are left out with a
/// note that does not fail the import.
#[test]
fn operator_conf_keys_move_to_their_fields() {
    let p = project();
    p.write(
        "app.yaml",
        "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkApplication\nmetadata: {name: etl}\nspec:\n  type: Python\n  mode: cluster\n  sparkVersion: \"3.5.3\"\n  image: apache/spark:3.5.3\n  mainApplicationFile: local:///app/main.py\n  driver: {cores: 1, memory: 1g}\n  executor: {instances: 2}\n  sparkConf:\n    spark.executor.memory: 4g\n    spark.executor.instances: \"4\"\n    spark.kubernetes.driver.pod.name: etl-driver\n    spark.sql.shuffle.partitions: \"200\"\n",
    );
    let out = run(&mut p.sparkc(&["import", "app.yaml", "-o", "jobs", "--color", "never"]));
    let text = format!("{}{}", out.stdout, out.stderr);
    let job = std::fs::read_to_string(p.path().join("jobs/etl.yaml")).unwrap();
    assert!(job.contains("memory: 4g"), "{job}");
    assert!(job.contains("instances: 2"), "{job}");
    assert!(job.contains("spark.sql.shuffle.partitions"), "{job}");
    assert!(
        !job.contains("spark.executor.memory") && !job.contains("pod.name"),
        "{job}"
    );
    assert!(
        text.contains("app.yaml:15:"),
        "the conflict is located in the source: {text}"
    );
    assert!(
        text.contains("`spec.executor.instances` is already 2"),
        "{text}"
    );
    assert!(text.contains("left out, sparkc does it"), "{text}");
    // The conflict is a loss (the import fails); the derived key alone would not be.
    assert_eq!(out.code, 1, "{text}");
}

/// References to secrets are not secrets; streaming applications restart always.
#[test]
fn references_and_streaming_settings_are_not_refused() {
    let p = project();
    p.write(
        "jobs/a.yaml",
        "apiVersion: sparkc.io/v1alpha1\nkind: SparkJob\nmetadata: {name: a}\nspec:\n  target: operator\n  mainApplicationFile: local:///a.py\n  restartPolicy: {type: Always}\n  sparkConf:\n    spark.hadoop.fs.s3a.aws.credentials.provider: com.amazonaws.auth.WebIdentityTokenCredentialsProvider\n  hadoopConf:\n    fs.s3a.aws.credentials.provider.mapping: com.amazonaws.auth.EnvironmentVariableCredentialsProvider=software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider\n  driver:\n    env:\n      - {name: GOOGLE_APPLICATION_CREDENTIALS, value: /etc/gcp/key.json}\n",
    );
    let out = run(&mut p.sparkc(&["validate", "--color", "never"]));
    assert!(!out.stdout.contains("error"), "{}", out.stdout);
}

/// A script as people keep it: `export` lines, then `kubectl run … --` around spark-submit
/// with a YARN-era master, a fractional driver core count of the pre-upstream fork, its
/// namespace flag, and Secret references in configuration. The command is imported, each
/// rewrite and each loss is named at its line, and the fork's flag fails the import.
#[test]
fn a_wrapped_script_imports_with_each_rewrite_named_at_its_line() {
    let p = project();
    p.write(
        "run.sh",
        "export DATA=s3a://bucket/in\nkubectl run -i driver --image=x:1 -- \\\n  /opt/spark/bin/spark-submit \\\n  --master yarn \\\n  --name NightlyEtl \\\n  --conf spark.driver.cores=0.5 \\\n  --conf spark.kubernetes.driver.secretKeyRef.DB_PASSWORD=db:password \\\n  --conf spark.executorEnv.MODE=batch \\\n  --kubernetes-namespace etl \\\n  local:///opt/app/etl.py $DATA\n",
    );
    let out = run(&mut p.sparkc(&[
        "import",
        "--from-submit",
        "run.sh",
        "-o",
        "jobs",
        "--color",
        "never",
    ]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    let job = std::fs::read_to_string(p.path().join("jobs/nightly-etl.yaml")).unwrap();
    insta::assert_snapshot!(
        "wrapped_script_import",
        format!(
            "{job}---\n{}",
            out.stderr.replace(&p.path().display().to_string(), "")
        )
    );
}

/// A Kubeflow manifest with what its operator accepts but sparkc writes differently: a
/// lower-case `secretType`, the deprecated `envVars`, Spark's GPU keys beside
/// `executor.gpu` (as the RAPIDS examples write them) and another tool's
/// `app.kubernetes.io/managed-by`. It imports with exit 0, each rewrite noted, and renders.
#[test]
fn operator_manifest_rewrites_are_notes_and_it_renders() {
    let p = project();
    p.write(
        "app.yaml",
        "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkApplication\nmetadata:\n  name: rapids\n  namespace: spark\n  labels: {app.kubernetes.io/managed-by: kustomize}\nspec:\n  type: Python\n  sparkVersion: \"3.5.3\"\n  image: nvcr.io/rapids:24.10\n  mainApplicationFile: local:///app/main.py\n  sparkConf:\n    spark.executor.resource.gpu.amount: \"1\"\n    spark.executor.resource.gpu.vendor: nvidia.com\n  driver:\n    secrets: [{name: gcp, path: /etc/gcp, secretType: generic}]\n    envVars: {MODE: batch}\n  executor:\n    instances: 2\n    gpu: {name: nvidia.com/gpu, quantity: 1}\n",
    );
    let out = run(&mut p.sparkc(&["import", "app.yaml", "-o", "jobs", "--color", "never"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let job = std::fs::read_to_string(p.path().join("jobs/rapids.yaml")).unwrap();
    let rendered = run(&mut p.sparkc(&["render", "--stdout", "--color", "never"]));
    assert_eq!(rendered.code, 0, "{}", rendered.stderr);
    insta::assert_snapshot!(
        "operator_manifest_rewrites",
        format!(
            "{job}---\n{}",
            out.stderr.replace(&p.path().display().to_string(), "")
        )
    );
}

/// An operator manifest or a spark-submit line without a pull policy ran every image
/// `IfNotPresent` (Spark's default). sparkc's default for a `:latest` image is `Always`:
/// the import leaves the field out and says what changes; a pinned image needs no note,
/// and a policy the source set is kept.
#[test]
fn spark_s_default_pull_policy_is_not_frozen_and_its_change_is_said() {
    for (image, policy, note) in [
        ("spark:latest", "", true),
        ("spark:3.5.3", "", false),
        ("spark:latest", "  imagePullPolicy: IfNotPresent\n", false),
    ] {
        let p = project();
        p.write(
            "app.yaml",
            format!("apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkApplication\nmetadata: {{name: app, namespace: spark}}\nspec:\n  type: Python\n  sparkVersion: \"3.5.3\"\n  image: {image}\n{policy}  mainApplicationFile: local:///app/main.py\n"),
        );
        p.write(
            "submit.txt",
            format!("spark-submit --master k8s://https://k8s:443 --deploy-mode cluster --name line --conf spark.kubernetes.container.image={image}{} local:///app/main.py\n",
                if policy.is_empty() { "" } else { " --conf spark.kubernetes.container.image.pullPolicy=IfNotPresent" }),
        );
        for args in [
            &["import", "app.yaml", "-o", "jobs", "--color", "never"][..],
            &[
                "import",
                "--from-submit",
                "submit.txt",
                "-o",
                "jobs",
                "--color",
                "never",
            ],
        ] {
            let out = run(&mut p.sparkc(args));
            assert_eq!(out.code, 0, "{image} {args:?}: {}", out.stderr);
            assert_eq!(
                out.stderr.contains(&format!(
                    "sparkc pulls `{image}` `Always`, as Kubernetes does"
                )),
                note,
                "{image} {policy} {args:?}: {}",
                out.stderr
            );
        }
        for job in ["app", "line"] {
            let text = std::fs::read_to_string(p.path().join(format!("jobs/{job}.yaml"))).unwrap();
            assert_eq!(
                text.contains("imagePullPolicy: IfNotPresent"),
                !policy.is_empty(),
                "{job}: {text}"
            );
        }
    }
}
