use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;

use crate::harness::{JOB_HEAD, Project, repo, run, sparkc, tool_missing};

fn examples() -> PathBuf {
    repo().join("tests/reference/kubeflow-spark-operator/examples")
}

/// Every scalar (and empty collection) of a document, by path.
pub(crate) fn leaves(v: &Json, path: String, out: &mut BTreeMap<String, Json>) {
    match v {
        Json::Object(m) if !m.is_empty() => m
            .iter()
            .for_each(|(k, x)| leaves(x, format!("{path}/{k}"), out)),
        Json::Array(a) if !a.is_empty() => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| leaves(x, format!("{path}/{i}"), out)),
        other => {
            out.insert(path, other.clone());
        }
    }
}

/// What sparkc may add to an imported object: the defaults it writes out and its labels.
pub(crate) fn allowed_addition(path: &str) -> bool {
    const ALLOWED: &[&str] = &[
        "/metadata/labels/app.kubernetes.io~1managed-by",
        "/metadata/labels/app.kubernetes.io/managed-by",
        "/metadata/labels/app.kubernetes.io/name",
        "/metadata/labels/sparkc.io/environment",
        "/metadata/namespace",
        "/spec/type",
        "/spec/mode",
        "/spec/restartPolicy/type",
        "/spec/restartPolicy/onFailureRetryInterval",
        "/spec/restartPolicy/onSubmissionFailureRetryInterval",
        "/spec/driver/cores",
        "/spec/driver/memory",
        "/spec/executor/cores",
        "/spec/executor/memory",
        "/spec/executor/instances",
        "/spec/dynamicAllocation/shuffleTrackingEnabled",
        "/spec/monitoring/exposeDriverMetrics",
        "/spec/monitoring/exposeExecutorMetrics",
        "/spec/timeZone",
        "/spec/suspend",
        "/spec/concurrencyPolicy",
        "/spec/successfulRunHistoryLimit",
        "/spec/failedRunHistoryLimit",
    ];
    let normal = path.replacen("/spec/template/", "/spec/", 1);
    ALLOWED.contains(&normal.as_str())
}

/// The SparkApplication of a rendered stream.
fn spark_application(text: &str) -> Json {
    parse_all(text)
        .into_iter()
        .find(|d| d["kind"] == "SparkApplication")
        .expect("a SparkApplication")
}

pub(crate) fn parse_all(text: &str) -> Vec<Json> {
    let docs: Vec<Json> = serde_saphyr::from_multiple(text).expect("parses");
    docs.into_iter().filter(|d| !d.is_null()).collect()
}

/// Imports `file`, renders the result and returns (original objects, rendered operator objects).
fn round_trip(file: &Path) -> Result<Vec<(Json, Json)>, String> {
    let out = run(sparkc().args(["import", "--color", "never"]).arg(file));
    if out.code != 0 {
        return Err(format!("import exit {}: {}", out.code, out.stderr));
    }
    let p = Project::new();
    p.write("sparkc.yaml", "apiVersion: sparkc.io/v1alpha1\nkind: Project\nenvironments: {default: {namespace: default}}\n");
    p.write("jobs/imported.yaml", &out.stdout);
    let rendered = run(&mut p.sparkc(&["render", "--stdout", "--color", "never"]));
    if rendered.code != 0 {
        return Err(format!(
            "render exit {}: {}{}\n{}",
            rendered.code, rendered.stdout, rendered.stderr, out.stdout
        ));
    }
    let rendered: Vec<Json> = parse_all(&rendered.stdout)
        .into_iter()
        .filter(|d| d["apiVersion"] == "sparkoperator.k8s.io/v1beta2")
        .collect();
    let originals: Vec<Json> = parse_all(&std::fs::read_to_string(file).unwrap())
        .into_iter()
        .filter(|d| {
            d["apiVersion"] == "sparkoperator.k8s.io/v1beta2"
                && d["kind"].as_str().unwrap().contains("SparkApplication")
        })
        .collect();
    Ok(originals
        .into_iter()
        .map(|o| {
            let r = rendered
                .iter()
                .find(|r| r["metadata"]["name"] == o["metadata"]["name"] && r["kind"] == o["kind"])
                .cloned()
                .unwrap_or(Json::Null);
            (o, r)
        })
        .collect())
}

/// Each of the operator's own examples goes through `sparkc import` and `sparkc render` and
/// comes back with every field of the original at the same path with the same value; the
/// only additions are the defaults sparkc writes out and its labels.
#[test]
fn operator_examples_round_trip() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(examples())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let mut report = String::new();
    let mut checked = 0;
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if name == "spark-pi-prometheus.yaml" {
            continue; // not valid YAML upstream; see the next test
        }
        let pairs = match round_trip(file) {
            Ok(p) => p,
            Err(e) => {
                report.push_str(&format!("{name}: {e}\n"));
                continue;
            }
        };
        assert!(!pairs.is_empty(), "{name}: no SparkApplication");
        for (original, rendered) in pairs {
            checked += 1;
            let mut want = BTreeMap::new();
            let mut o = original.clone();
            o.as_object_mut().unwrap().remove("status");
            leaves(&o, String::new(), &mut want);
            let mut got = BTreeMap::new();
            leaves(&rendered, String::new(), &mut got);
            // A `sparkConf` key with a field of its own comes back at that field.
            let spec = if original["kind"] == "ScheduledSparkApplication" {
                "/spec/template"
            } else {
                "/spec"
            };
            let mut landed = Vec::new();
            for (path, value) in &want {
                match got.get(path) {
                    Some(v) if v == value => {}
                    other => match crate::corpus::moved_to(spec, path)
                        .filter(|to| got.get(to).is_some_and(|v| crate::corpus::same(v, value)))
                    {
                        Some(to) => landed.push(to),
                        None => report.push_str(&format!(
                            "{name}: {path}: original {value}, rendered {other:?}\n"
                        )),
                    },
                }
            }
            for (path, value) in &got {
                if !want.contains_key(path) && !allowed_addition(path) && !landed.contains(path) {
                    report.push_str(&format!("{name}: {path}: added {value}\n"));
                }
            }
        }
    }
    assert!(report.is_empty(), "fields that differ:\n{report}");
    assert!(checked >= 12, "only {checked} objects checked");
}

#[test]
fn the_upstream_example_that_is_not_yaml_is_refused_with_a_location() {
    let file = examples().join("spark-pi-prometheus.yaml");
    let out = run(sparkc().args(["import", "--color", "never"]).arg(&file));
    assert_eq!(out.code, 1);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("spark-pi-prometheus.yaml:25:26: invalid YAML"),
        "{}",
        out.stderr
    );
}

#[test]
fn import_reports_what_it_cannot_carry_over() {
    let p = Project::new();
    p.write(
        "app.yaml",
        "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkApplication\nmetadata: {name: legacy, namespace: data}\nspec:\n  type: Python\n  mode: client\n  sparkVersion: \"3.5.3\"\n  image: apache/spark:3.5.3\n  mainApplicationFile: local:///a.py\n  failureRetries: 3\n  driver: {cores: 1, frobnicate: true}\n  executor: {instances: 2}\n",
    );
    let out = run(&mut p.sparkc(&["import", "app.yaml", "--color", "never"]));
    assert_eq!(out.code, 1);
    insta::assert_snapshot!(
        "import_lost_fields",
        format!("{}\n{}", out.stdout, out.stderr)
    );
}

#[test]
fn import_from_a_spark_submit_line() {
    let p = Project::new();
    // A command line names no Spark version: the project's defaults do, so what import
    // writes validates (import checks it).
    p.write(
        "sparkc.yaml",
        "apiVersion: sparkc.io/v1alpha1\nkind: Project\njobs: [jobs]\ndefaults: {sparkVersion: \"3.5.3\"}\n",
    );
    p.write(
        "submit.sh",
        "spark-submit --master k8s://https://10.0.0.1:6443 --deploy-mode cluster --name etl \\\n  --class com.example.Main --conf spark.kubernetes.namespace=data \\\n  --conf spark.kubernetes.container.image=registry.example.com/etl:1.0 \\\n  --conf spark.executor.instances=4 --executor-memory 4g --conf spark.kubernetes.driver.label.team=data \\\n  --conf spark.sql.shuffle.partitions=200 --jars local:///a.jar,local:///b.jar \\\n  local:///opt/app.jar --date 2026-01-01\n",
    );
    let out = run(&mut p.sparkc(&["import", "--from-submit", "submit.sh", "-o", "jobs"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = std::fs::read_to_string(p.path().join("jobs/etl.yaml")).unwrap();
    insta::assert_snapshot!("import_from_submit", text);
    p.write(
        "jobs/etl.yaml",
        format!("{text}  sparkVersion: \"3.5.3\"\n"),
    );
    let out = run(&mut p.sparkc(&["validate"]));
    assert_eq!(out.code, 0, "{}", out.stdout);
    // Import refuses to overwrite, and refuses names that would escape the folder.
    let out = run(&mut p.sparkc(&["import", "--from-submit", "submit.sh", "-o", "jobs"]));
    assert_eq!(out.code, 2);
    p.write("evil.sh", "spark-submit --name ../../etc local:///a.py\n");
    let out = run(&mut p.sparkc(&["import", "--from-submit", "evil.sh", "-o", "jobs"]));
    assert_eq!(out.code, 1);
    assert!(!p.path().join("etc.yaml").exists() && !p.path().join("../etc.yaml").exists());
}

const SPEC: &str = "  image: apache/spark:3.5.3\n  sparkVersion: \"3.5.3\"\n  mainApplicationFile: local:///opt/app/main.py\n  driver:\n    env: [{name: MODE, value: batch}]\n    volumeMounts: [{name: scratch, mountPath: /scratch}]\n  volumes: [{name: scratch, emptyDir: {}}]\n";

/// Switching one job from native to operator changes nothing else in its spec.
#[test]
fn the_same_spec_renders_both_ways() {
    for target in ["native", "operator"] {
        let p = Project::new();
        p.write("jobs/a.yaml", format!("{JOB_HEAD}metadata: {{name: a, namespace: data}}\nspec:\n  target: {target}\n{SPEC}  executor: {{instances: 3, memory: 2g}}\n"));
        let out = run(&mut p.sparkc(&["render", "--stdout"]));
        assert_eq!(out.code, 0, "{target}: {}", out.stdout);
        let kinds: Vec<String> = parse_all(&out.stdout)
            .iter()
            .map(|d| d["kind"].as_str().unwrap().to_owned())
            .collect();
        match target {
            "native" => assert_eq!(
                kinds,
                [
                    "ServiceAccount",
                    "Role",
                    "RoleBinding",
                    "ConfigMap",
                    "Service",
                    "Job"
                ]
            ),
            _ => assert_eq!(
                kinds,
                ["ServiceAccount", "Role", "RoleBinding", "SparkApplication"]
            ),
        }
    }
}

#[test]
fn operator_render_writes_webhook_defaults() {
    let p = Project::new();
    p.write("jobs/a.yaml", format!("{JOB_HEAD}metadata: {{name: a, namespace: data}}\nspec:\n  target: operator\n  rerun: \"7\"\n  dynamicAllocation: {{enabled: true, maxExecutors: 4}}\n  restartPolicy: {{type: OnFailure, onFailureRetries: 2}}\n  monitoring: {{prometheus: {{jmxExporterJar: /j.jar}}}}\n{SPEC}"));
    let out = run(&mut p.sparkc(&["render", "--stdout"]));
    assert_eq!(out.code, 0, "{}", out.stdout);
    let app = spark_application(&out.stdout);
    insta::assert_snapshot!(
        "operator_sparkapplication",
        serde_json::to_string_pretty(&app).unwrap()
    );
    let s = &app["spec"];
    assert_eq!(s["mode"], "cluster");
    assert_eq!(s["type"], "Python");
    assert_eq!(s["dynamicAllocation"]["shuffleTrackingEnabled"], true);
    assert_eq!(s["restartPolicy"]["onFailureRetryInterval"], 5);
    assert_eq!(s["monitoring"]["exposeDriverMetrics"], true);
    assert_eq!(s["driver"]["serviceAccount"], "a-spark");
    assert_eq!(s["driver"]["annotations"]["sparkc.io/rerun"], "7");
    assert!(s.get("target").is_none() && s.get("rerun").is_none());
}

#[test]
fn without_the_webhook_pod_settings_go_through_templates() {
    let p = Project::new();
    p.write("sparkc.yaml", "apiVersion: sparkc.io/v1alpha1\nkind: Project\noperator: {webhook: false}\nenvironments: {default: {}}\n");
    p.write(
        "jobs/a.yaml",
        format!(
            "{JOB_HEAD}metadata: {{name: a, namespace: data}}\nspec:\n  target: operator\n{SPEC}"
        ),
    );
    let out = run(&mut p.sparkc(&["render", "--stdout"]));
    assert_eq!(out.code, 0, "{}", out.stdout);
    let app = spark_application(&out.stdout);
    let d = &app["spec"]["driver"];
    assert!(d.get("env").is_none() && d.get("volumeMounts").is_none());
    let c = &d["template"]["spec"]["containers"][0];
    assert_eq!(c["name"], "spark-kubernetes-driver");
    assert_eq!(c["env"][0]["name"], "MODE");
    assert_eq!(c["volumeMounts"][0]["mountPath"], "/scratch");
    assert_eq!(d["template"]["spec"]["volumes"][0]["name"], "scratch");
    assert!(app["spec"].get("volumes").is_none());
    // What a template cannot carry is refused with an explanation.
    p.write("jobs/a.yaml", format!("{JOB_HEAD}metadata: {{name: a, namespace: data}}\nspec:\n  target: operator\n{SPEC}  executor: {{gpu: {{name: nvidia.com/gpu, quantity: 1}}}}\n"));
    let out = run(&mut p.sparkc(&["render", "--stdout", "--color", "never"]));
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .contains("`executor.gpu` needs the operator's webhook"),
        "{}",
        out.stdout
    );
}

#[test]
#[cfg_attr(
    not(any(ci, tool_python_jsonschema)),
    ignore = "needs python3 with jsonschema and pyyaml (pip install jsonschema pyyaml)"
)]
fn rendered_operator_objects_pass_the_crd_schemas_in_an_independent_validator() {
    let crds = repo().join("tests/reference/kubeflow-spark-operator/crds");
    let python = Command::new("python3")
        .args(["-c", "import jsonschema, yaml"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !python {
        tool_missing("python3 with jsonschema and pyyaml");
    }
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut projects: Vec<PathBuf> = vec![repo().join("examples/quickstart")];
    // A fixture with every operator field the spec carries.
    let p = Project::new();
    p.write("jobs/a.yaml", format!("{JOB_HEAD}metadata: {{name: a, namespace: data}}\nspec:\n  target: operator\n  schedule: {{cron: \"@every 1h\", concurrencyPolicy: Allow}}\n  rerun: x\n  monitoring: {{prometheus: {{jmxExporterJar: /j.jar, port: 9000}}}}\n  batchScheduler: volcano\n  batchSchedulerOptions: {{queue: q, priorityClassName: p, resources: {{cpu: \"2\"}}}}\n  sparkUIOptions: {{servicePort: 4041, serviceType: ClusterIP, ingressAnnotations: {{a: b}}}}\n  driverIngressOptions: [{{servicePort: 4040, servicePortName: ui, ingressURLFormat: \"{{{{$appName}}}}.example.com\"}}]\n  timeToLiveSeconds: 60\n  pythonVersion: \"3\"\n  memoryOverheadFactor: \"0.2\"\n  hadoopConf: {{a.b: c}}\n  deps: {{jars: [local:///a.jar], pyFiles: [local:///b.zip]}}\n  dynamicAllocation: {{enabled: true, minExecutors: 1, maxExecutors: 3}}\n  restartPolicy: {{type: OnFailure, onFailureRetries: 1, onSubmissionFailureRetries: 2}}\n{SPEC}  executor: {{instances: 2, deleteOnTermination: false, template: {{spec: {{containers: [{{name: spark-kubernetes-executor}}]}}}}}}\n"));
    projects.push(p.path().to_owned());
    for (i, project) in projects.iter().enumerate() {
        let out = run(sparkc()
            .arg("-C")
            .arg(project)
            .args(["render", "--stdout", "--color", "never"]));
        assert_eq!(out.code, 0, "{}", out.stdout);
        let file = dir.path().join(format!("{i}.yaml"));
        std::fs::write(&file, out.stdout).unwrap();
        files.push(file);
    }
    let out = Command::new("python3")
        .arg(repo().join("tests/crd_check.py"))
        .arg(&crds)
        .arg("--")
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("checked 3 operator objects: 0 errors"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// What `import -o` writes is validated with the project's defaults: a spec that
/// `sparkc validate` would refuse fails the import (exit 1) with the finding located in the
/// written file; one that validates passes.
#[test]
fn import_validates_what_it_writes() {
    let app = "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkApplication\nmetadata: {name: pi, namespace: spark}\nspec:\n  type: Scala\n  mode: cluster\n  image: apache/spark:3.5.3\n  mainClass: org.apache.spark.examples.SparkPi\n  mainApplicationFile: local:///opt/spark/examples/jars/spark-examples.jar\n  driver: {cores: 1, memory: 512m}\n  executor: {cores: 1, instances: 1, memory: 512m}\n";
    let p = Project::new();
    p.write(
        "sparkc.yaml",
        "apiVersion: sparkc.io/v1alpha1\nkind: Project\njobs: [jobs]\nenvironments: {dev: {namespace: spark}}\n",
    );
    p.write("pi.yaml", app);
    let out = run(&mut p.sparkc(&["import", "pi.yaml", "-o", "jobs"]));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("wrote"), "{}", out.stdout);
    assert!(
        out.stderr.contains("jobs/pi.yaml") && out.stderr.contains("missing `spec.sparkVersion`"),
        "{}",
        out.stderr
    );
    // With the Spark version in the project's defaults, the same import validates.
    let q = Project::new();
    q.write(
        "sparkc.yaml",
        "apiVersion: sparkc.io/v1alpha1\nkind: Project\njobs: [jobs]\ndefaults: {sparkVersion: \"3.5.3\"}\nenvironments: {dev: {namespace: spark}}\n",
    );
    q.write("pi.yaml", app);
    let out = run(&mut q.sparkc(&["import", "pi.yaml", "-o", "jobs"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let out = run(&mut q.sparkc(&["validate"]));
    assert_eq!(out.code, 0, "{}", out.stdout);
}
