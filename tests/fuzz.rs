//! Regression tests of what the fuzz targets (`fuzz/`, `scripts/fuzz.sh`) found, each named
//! after its finding; the inputs are in `tests/fixtures/fuzz/`.

use crate::harness::{Project, repo, run};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(repo().join("tests/fixtures/fuzz").join(name)).unwrap()
}

/// The fuzz targets' project: the quickstart's project file and one job file.
fn project_with_job(job: &str) -> Project {
    let p = Project::new();
    p.write(
        "sparkc.yaml",
        std::fs::read(repo().join("examples/quickstart/sparkc.yaml")).unwrap(),
    );
    p.write("jobs/fuzz.yaml", job);
    p
}

/// `render` target: a job that validates renders, in every environment and on every target.
fn validates_and_renders(job: &str) -> Vec<serde_json::Value> {
    let p = project_with_job(job);
    let out = run(&mut p.sparkc(&["validate"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let out = run(&mut p.sparkc(&["render", "--stdout"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    serde_saphyr::from_multiple::<serde_json::Value>(&out.stdout)
        .unwrap()
        .into_iter()
        .filter(|d| !d.is_null())
        .collect()
}

#[test]
fn render_operator_executor_null() {
    let job = fixture("render-operator-executor-null.yaml");
    for target in ["operator", "native", "apache-operator"] {
        let objects =
            validates_and_renders(&job.replace("target: operator", &format!("target: {target}")));
        let kubeflow = |o: &&serde_json::Value| {
            o["kind"] == "SparkApplication"
                && o["apiVersion"]
                    .as_str()
                    .is_some_and(|a| a.starts_with("sparkoperator.k8s.io/"))
        };
        for app in objects.iter().filter(kubeflow) {
            assert!(app["spec"]["executor"].is_object(), "{target}: {app}");
            assert!(app["spec"]["driver"].is_object(), "{target}: {app}");
        }
    }
}

#[test]
fn import_submit_conf_key_longer_than_yaml_allows() {
    let p = Project::new();
    let line = fixture("import-submit-conf-key-longer-than-yaml-allows.sh");
    p.write("submit.sh", &line);
    let out = run(&mut p.sparkc(&["import", "--from-submit", "submit.sh"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let job: serde_json::Value = serde_saphyr::from_str(&out.stdout).unwrap();
    let key = format!("spark.{}", "x".repeat(1100));
    assert_eq!(
        job["spec"]["sparkConf"][key.as_str()],
        "true",
        "{}",
        out.stdout
    );
}

#[test]
fn import_submit_del_in_a_conf_key() {
    let p = Project::new();
    p.write("submit.sh", fixture("import-submit-del-in-a-conf-key.sh"));
    let out = run(&mut p.sparkc(&["import", "--from-submit", "submit.sh"]));
    let job: serde_json::Value = serde_saphyr::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}\n{}{}", out.stdout, out.stderr));
    let key = format!("spark.{}\u{7f}b", "x".repeat(1100));
    assert_eq!(
        job["spec"]["sparkConf"][key.as_str()],
        "x",
        "{}",
        out.stdout
    );
}

/// The spec's Kubernetes `Quantity` is any string, so validation passed a volume's
/// `emptyDir.sizeLimit` that is none, and the operator's CRD refused it at render (the
/// native target rendered it, and the API server would refuse the pod). Validation now
/// refuses it at its line.
#[test]
fn render_volume_size_limit_not_a_quantity() {
    let p = project_with_job(&fixture("render-volume-size-limit-not-a-quantity.yaml"));
    let out = run(&mut p.sparkc(&["validate", "--color", "never"]));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("error: jobs/fuzz.yaml:14:29: spec.volumes[0].emptyDir.sizeLimit: `not-a-quantity` is not a Kubernetes quantity"),
        "{}",
        out.stdout
    );
}
