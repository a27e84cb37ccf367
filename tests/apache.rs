//! The `apache-operator` target against the Apache Spark Kubernetes Operator's own
//! examples (copied into `tests/reference/apache-spark-kubernetes-operator`, with their
//! source): each imports, renders, and comes back with every field at the same path with the
//! same value; and the bundled project renders to all three targets.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value as Json;

use crate::harness::{Project, quickstart, repo, run, yaml_files};

fn reference() -> PathBuf {
    repo().join("tests/reference/apache-spark-kubernetes-operator")
}

/// The version upstream tooling substitutes for `{{SPARK_VERSION}}` (the examples' own
/// `runtimeVersions.sparkVersion`).
const SPARK_VERSION: &str = "4.2.0";

/// Examples refused for a real problem: (file, what the refusal names).
const REFUSED: &[(&str, &str)] = &[];

/// Plain-text credentials some examples hold (a local S3 endpoint's `test`/`test` keys, a
/// JWS filter's signing key): a real problem, refused at the key's line; the example is then
/// checked without them.
const PLAIN_CREDENTIALS: &[&str] = &[
    "spark.hadoop.fs.s3a.access.key",
    "spark.hadoop.fs.s3a.secret.key",
    "spark.org.apache.spark.ui.JWSFilter.param.secretKey",
];

/// What a render may add to an imported application: sparkc's explicit defaults and labels.
fn allowed_addition(path: &str) -> bool {
    const EXACT: &[&str] = &[
        "/spec/deploymentMode",
        "/spec/sparkConf/spark.app.name",
        "/spec/sparkConf/spark.driver.cores",
        "/spec/sparkConf/spark.driver.memory",
        "/spec/sparkConf/spark.executor.cores",
        "/spec/sparkConf/spark.executor.memory",
        "/spec/sparkConf/spark.executor.instances",
        "/spec/sparkConf/spark.executor.memoryOverheadFactor",
        "/spec/sparkConf/spark.driver.memoryOverheadFactor",
        "/spec/sparkConf/spark.kubernetes.container.image.pullPolicy",
        "/spec/sparkConf/spark.dynamicAllocation.shuffleTracking.enabled",
        "/spec/sparkConf/spark.kubernetes.driver.podTemplateContainerName",
        "/spec/sparkConf/spark.kubernetes.executor.podTemplateContainerName",
        "/spec/applicationTolerations/restartConfig/restartPolicy",
        "/spec/applicationTolerations/instanceConfig/minExecutors",
        "/spec/applicationTolerations/instanceConfig/maxExecutors",
    ];
    const PREFIXES: &[&str] = &[
        // sparkc's labels on both roles' pods.
        "/spec/sparkConf/spark.kubernetes.driver.label.",
        "/spec/sparkConf/spark.kubernetes.executor.label.",
    ];
    if EXACT.contains(&path) || PREFIXES.iter().any(|p| path.starts_with(p)) {
        return true;
    }
    // The restricted security defaults (on every container and init container), the template
    // containers' names, no API token for executors, and the templates' (empty) metadata.
    let template = [
        "/spec/driverSpec/podTemplateSpec/",
        "/spec/executorSpec/podTemplateSpec/",
    ]
    .iter()
    .find_map(|p| path.strip_prefix(p));
    template.is_some_and(|rest| {
        rest == "metadata"
            || rest.starts_with("spec/securityContext/")
            || ["spec/containers/", "spec/initContainers/"]
                .iter()
                .filter_map(|l| rest.strip_prefix(l))
                .any(|c| {
                    c.split_once('/')
                        .is_some_and(|(_, f)| f.starts_with("securityContext/"))
                })
            || rest == "spec/containers/0/name"
            || rest == "spec/automountServiceAccountToken"
    })
}

/// Every leaf of a JSON value by its JSON pointer (empty mappings and lists are leaves).
fn leaves(v: &Json, at: String, out: &mut BTreeMap<String, Json>) {
    match v {
        Json::Object(m) if !m.is_empty() => {
            for (k, v) in m {
                leaves(
                    v,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Json::Array(a) if !a.is_empty() => {
            for (i, v) in a.iter().enumerate() {
                leaves(v, format!("{at}/{i}"), out);
            }
        }
        other => {
            out.insert(at, other.clone());
        }
    }
}

fn unescape(pointer: &str) -> String {
    pointer.replace("~1", "/").replace("~0", "~")
}

fn examples() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(reference().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn every_upstream_example_imports_and_renders_back_unchanged() {
    let files = examples();
    assert_eq!(files.len(), 33, "the reference holds 33 SparkApplications");
    let mut report = String::new();
    let mut additions: BTreeMap<String, usize> = BTreeMap::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(file)
            .unwrap()
            .replace("{{SPARK_VERSION}}", SPARK_VERSION);
        let source: Json = serde_saphyr::from_str(&text).unwrap();
        let p = Project::new();
        p.write(
            "sparkc.yaml",
            "apiVersion: sparkc.io/v1alpha1\nkind: Project\njobs: [jobs]\nenvironments:\n  test: {namespace: spark}\n",
        );
        p.write(&name, &text);
        let imported = run(&mut p.sparkc(&["import", &name, "-o", "jobs", "--color", "never"]));
        let secrets: Vec<&str> = PLAIN_CREDENTIALS
            .iter()
            .copied()
            .filter(|k| source["spec"]["sparkConf"].get(*k).is_some())
            .collect();
        let mut expected = source.clone();
        if !secrets.is_empty() {
            // A real problem: refused, located at the key in the written spec.
            assert_eq!(
                imported.code, 1,
                "{name}: {}{}",
                imported.stdout, imported.stderr
            );
            assert!(
                format!("{}{}", imported.stdout, imported.stderr)
                    .contains("holds a credential in plain text"),
                "{name}: {}{}",
                imported.stdout,
                imported.stderr
            );
            let job = format!("jobs/{}", name);
            let written = std::fs::read_to_string(p.path().join(&job)).unwrap();
            let cleaned: String = written
                .lines()
                .filter(|l| {
                    !secrets.iter().any(|k| {
                        let key = k.strip_prefix("spark.hadoop.").unwrap_or(k);
                        l.trim_start().starts_with(&format!("{key}:"))
                    })
                })
                .map(|l| format!("{l}\n"))
                .collect();
            p.write(&job, cleaned);
            for k in &secrets {
                expected["spec"]["sparkConf"]
                    .as_object_mut()
                    .unwrap()
                    .remove(*k);
            }
            report.push_str(&format!(
                "{name}: plain-text credentials refused ({})\n",
                secrets.join(", ")
            ));
        } else if let Some((_, why)) = REFUSED.iter().find(|(f, _)| *f == name) {
            assert_ne!(imported.code, 0, "{name}");
            assert!(imported.stdout.contains(why), "{name}: {}", imported.stdout);
            continue;
        } else {
            assert_eq!(
                imported.code, 0,
                "{name}: {}{}",
                imported.stdout, imported.stderr
            );
        }
        let rendered = run(&mut p.sparkc(&["render", "--stdout", "--color", "never"]));
        assert_eq!(
            rendered.code, 0,
            "{name}: {}{}",
            rendered.stdout, rendered.stderr
        );
        let docs: Vec<Json> = serde_saphyr::from_multiple(&rendered.stdout).unwrap();
        let app = docs
            .iter()
            .find(|d| d["kind"] == "SparkApplication")
            .unwrap_or_else(|| panic!("{name}: no SparkApplication in {}", rendered.stdout));
        assert_eq!(app["apiVersion"], "spark.apache.org/v1", "{name}");
        assert_eq!(
            app["metadata"]["name"], expected["metadata"]["name"],
            "{name}"
        );
        let (mut want, mut got) = (BTreeMap::new(), BTreeMap::new());
        leaves(&expected["spec"], "/spec".to_owned(), &mut want);
        leaves(&app["spec"], "/spec".to_owned(), &mut got);
        let mut differ = Vec::new();
        for (path, value) in &want {
            if got.get(path) != Some(value) {
                differ.push(format!(
                    "  {}: {} became {}",
                    unescape(path),
                    value,
                    got.get(path).map_or("nothing".to_owned(), Json::to_string)
                ));
            }
        }
        for path in got.keys().filter(|p| !want.contains_key(*p)) {
            if allowed_addition(&unescape(path)) {
                *additions.entry(unescape(path)).or_default() += 1;
            } else {
                differ.push(format!("  {}: added ({})", unescape(path), got[path]));
            }
        }
        assert!(
            differ.is_empty(),
            "{name}: fields that differ after import and render:\n{}\n{}",
            differ.join("\n"),
            rendered.stdout
        );
        report.push_str(&format!("{name}: {} fields kept\n", want.len()));
    }
    // What every render added, for the record (`cargo test -- --nocapture`).
    println!("{report}additions (explicit defaults and labels), by how many examples:");
    for (path, n) in &additions {
        println!("  {path}: {n}");
    }
}

/// The bundled project with only its `target:` lines changed.
fn quickstart_on(target: &str) -> Project {
    let p = quickstart();
    for file in yaml_files(p.path()) {
        let text = std::fs::read_to_string(&file).unwrap();
        let changed = text
            .lines()
            .map(|l| match l.split_once("target: ") {
                Some((indent, _)) if indent.trim().is_empty() => {
                    format!("{indent}target: {target}")
                }
                _ => l.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n";
        std::fs::write(&file, changed).unwrap();
    }
    p
}

/// The bundled project's jobs, with only `target` changed, render to each target; the one
/// scheduled job is refused on the Apache operator, which has no scheduled kind.
#[test]
fn the_quickstart_renders_to_all_three_targets() {
    for target in ["native", "operator", "apache-operator"] {
        let p = quickstart_on(target);
        let out = run(&mut p.sparkc(&["render", "--stdout", "--color", "never"]));
        if target != "apache-operator" {
            assert_eq!(out.code, 0, "{target}: {}", out.stdout);
            continue;
        }
        assert_eq!(out.code, 1, "{}", out.stdout);
        assert!(
            out.stdout.contains("jobs/reports/daily-revenue.yaml:")
                && out.stdout.contains("has no scheduled kind"),
            "{}",
            out.stdout
        );
        // The other jobs render once the scheduled one is left out.
        std::fs::remove_file(p.path().join("jobs/reports/daily-revenue.yaml")).unwrap();
        let out = run(&mut p.sparkc(&["render", "--stdout", "--color", "never"]));
        assert_eq!(out.code, 0, "{}", out.stdout);
        assert_eq!(out.stdout.matches("kind: SparkApplication").count(), 6);
        // Written for Argo CD, the tree carries the health check Argo CD lacks for the kind.
        let tree = run(&mut p.sparkc(&["render", "--color", "never"]));
        assert_eq!(tree.code, 0, "{}{}", tree.stdout, tree.stderr);
        let health =
            std::fs::read_to_string(p.path().join("deploy/gitops/argocd-health.yaml")).unwrap();
        assert!(
            health.contains("resource.customizations.health.spark.apache.org_SparkApplication: |"),
            "{health}"
        );
    }
}

/// The same renders pass each operator's CRD in an independent validator (Python
/// `jsonschema` on the vendored CRDs); the native objects are checked by kubernetes-validate
/// in `tests/render.rs`.
#[test]
#[cfg_attr(
    not(any(ci, tool_python_jsonschema)),
    ignore = "needs python3 with jsonschema and pyyaml (pip install jsonschema pyyaml)"
)]
fn the_quickstart_on_each_operator_passes_its_crd_in_an_independent_validator() {
    for (target, crds) in [
        (
            "operator",
            repo().join("tests/reference/kubeflow-spark-operator/crds"),
        ),
        ("apache-operator", reference().join("crds")),
    ] {
        let p = quickstart_on(target);
        if target == "apache-operator" {
            std::fs::remove_file(p.path().join("jobs/reports/daily-revenue.yaml")).unwrap();
        }
        let out = run(&mut p.sparkc(&["render", "--stdout", "--color", "never"]));
        assert_eq!(out.code, 0, "{target}: {}", out.stdout);
        let file = p.path().join("stream.yaml");
        std::fs::write(&file, &out.stdout).unwrap();
        let (ok, log) = crd_check(&[crds], &file);
        assert!(ok && !log.contains("checked 0 "), "{target}: {log}");
    }
}

/// A job with every field the target renders: the stream is frozen, and imports back into a
/// job that renders the same application.
#[test]
fn every_field_renders_checks_and_round_trips() {
    let fixture = repo().join("tests/fixtures/apache");
    let out = run(crate::harness::sparkc()
        .arg("-C")
        .arg(&fixture)
        .args(["render", "--stdout", "--color", "never"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    insta::assert_snapshot!("apache_all_fields_render", out.stdout);
    let docs: Vec<Json> = serde_saphyr::from_multiple(&out.stdout).unwrap();
    let apps: Vec<&Json> = docs
        .iter()
        .filter(|d| d["kind"] == "SparkApplication")
        .collect();
    assert_eq!(apps.len(), 2);

    // Import what was rendered; the imported jobs render the same applications.
    let p = Project::new();
    p.write(
        "sparkc.yaml",
        "apiVersion: sparkc.io/v1alpha1\nkind: Project\njobs: [jobs]\nenvironments:\n  test: {namespace: spark-test}\n",
    );
    p.write("rendered.yaml", &out.stdout);
    let imported =
        run(&mut p.sparkc(&["import", "rendered.yaml", "-o", "jobs", "--color", "never"]));
    assert_eq!(imported.code, 0, "{}{}", imported.stdout, imported.stderr);
    let again = run(&mut p.sparkc(&["render", "--stdout", "--color", "never"]));
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    let docs_again: Vec<Json> = serde_saphyr::from_multiple(&again.stdout).unwrap();
    for app in apps {
        let back = docs_again
            .iter()
            .find(|d| {
                d["kind"] == "SparkApplication" && d["metadata"]["name"] == app["metadata"]["name"]
            })
            .unwrap();
        assert_eq!(back["spec"], app["spec"], "{}", again.stdout);
        assert_eq!(back["metadata"], app["metadata"]);
    }
}

/// The all-fields render passes the CRD in the independent validator, which refuses a
/// misspelled field.
#[test]
#[cfg_attr(
    not(any(ci, tool_python_jsonschema)),
    ignore = "needs python3 with jsonschema and pyyaml (pip install jsonschema pyyaml)"
)]
fn every_field_passes_the_crd_in_an_independent_validator() {
    let out = run(crate::harness::sparkc()
        .arg("-C")
        .arg(repo().join("tests/fixtures/apache"))
        .args(["render", "--stdout", "--color", "never"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rendered.yaml");
    std::fs::write(&file, &out.stdout).unwrap();
    let (ok, log) = crd_check(&[reference().join("crds")], &file);
    assert!(ok && log.contains("checked 2 "), "{log}");
    std::fs::write(&file, out.stdout.replace("  mainClass:", "  mainClas:")).unwrap();
    assert!(!crd_check(&[reference().join("crds")], &file).0);
}

/// `tests/crd_check.py CRD... -- FILE`: whether every operator object passed, and its log.
fn crd_check(crds: &[PathBuf], file: &std::path::Path) -> (bool, String) {
    let check = Command::new("python3")
        .arg(repo().join("tests/crd_check.py"))
        .args(crds)
        .arg("--")
        .arg(file)
        .output()
        .unwrap();
    (
        check.status.success(),
        String::from_utf8_lossy(&check.stdout).into_owned(),
    )
}

/// What the operator cannot express is refused at the field, with the reason.
#[test]
fn what_the_operator_cannot_express_is_refused_where_it_is_written() {
    let p = Project::new();
    p.write(
        "jobs/a.yaml",
        "apiVersion: sparkc.io/v1alpha1\nkind: SparkJob\nmetadata: {name: a, namespace: data}\nspec:\n  target: apache-operator\n  image: apache/spark:4.0.1\n  sparkVersion: \"4.0.1\"\n  mainApplicationFile: local:///opt/app/main.py\n  schedule: {cron: \"0 3 * * *\"}\n  rerun: \"2\"\n  monitoring: {prometheus: {jmxExporterJar: /j.jar}}\n  timeToLiveSeconds: 60\n  restartPolicy: {type: OnFailure, onFailureRetries: 2}\n  executor:\n    memoryLimit: 8g\n  apache:\n    applicationTolerations:\n      ttlAfterStopMillis: 1000\n      restartConfig: {maxRestartAttempts: 5}\n",
    );
    let out = run(&mut p.sparkc(&["validate", "--color", "never"]));
    assert_eq!(out.code, 1);
    insta::assert_snapshot!("apache_refusals", out.stdout);
}
