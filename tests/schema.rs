use std::process::Command;

use crate::harness::{repo, run, sparkc, tool_missing, yaml_files};

/// The committed schemas are what `sparkc schema` prints. When this fails, regenerate:
/// `cargo run -- schema > schemas/sparkjob.schema.json` and
/// `cargo run -- schema --project > schemas/project.schema.json`.
#[test]
fn committed_schemas_match_the_types() {
    for (args, file) in [
        (vec!["schema"], "schemas/sparkjob.schema.json"),
        (vec!["schema", "--project"], "schemas/project.schema.json"),
    ] {
        let out = run(sparkc().args(&args));
        assert_eq!(out.code, 0);
        let committed = std::fs::read_to_string(repo().join(file)).unwrap();
        assert!(
            out.stdout == committed,
            "{file} drifted from the Rust types: regenerate it"
        );
    }
}

/// Runs `tests/editor_check.py SCHEMA FILES...` and returns whether every document passed.
fn editor_check(schema: &str, files: &[std::path::PathBuf]) -> (bool, String) {
    let out = Command::new("python3")
        .arg(repo().join("tests/editor_check.py"))
        .arg(repo().join(schema))
        .args(files)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn python_has(modules: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// An independent validator (Python `jsonschema`, as editors use) accepts every example
/// against the committed schemas, and refuses a typo.
#[test]
#[cfg_attr(
    not(any(ci, tool_python_jsonschema)),
    ignore = "needs python3 with jsonschema and pyyaml (pip install jsonschema pyyaml)"
)]
fn python_jsonschema_accepts_the_examples() {
    if !python_has("jsonschema, yaml") {
        tool_missing("python3 with jsonschema and pyyaml");
    }
    let mut jobs: Vec<_> = yaml_files(&repo().join("examples"))
        .into_iter()
        .filter(|p| p.components().any(|c| c.as_os_str() == "jobs"))
        .collect();
    jobs.sort();
    assert!(jobs.len() >= 4);
    let (ok, log) = editor_check("schemas/sparkjob.schema.json", &jobs);
    assert!(ok, "{log}");
    let projects: Vec<_> = yaml_files(&repo().join("examples"))
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "sparkc.yaml"))
        .collect();
    let (ok, log) = editor_check("schemas/project.schema.json", &projects);
    assert!(ok, "{log}");
    // The same validator refuses an unknown field, so the check above can fail.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "apiVersion: sparkc.io/v1alpha1\nkind: SparkJob\nmetadata: {name: a}\nspec: {executors: {instances: 1}}\n").unwrap();
    let (ok, _) = editor_check("schemas/sparkjob.schema.json", &[bad]);
    assert!(!ok);
}

/// The Kubernetes schemas embedded in sparkc are the files of the PyPI package they came
/// from (`kubernetes-validate`, which CI installs), unmodified.
#[test]
#[cfg_attr(
    not(any(ci, tool_kubernetes_validate)),
    ignore = "needs kubernetes-validate (pip install kubernetes-validate)"
)]
fn embedded_kubernetes_schemas_match_their_source_package() {
    let found = Command::new("python3")
        .args([
            "-c",
            "import kubernetes_validate, os; print(os.path.dirname(kubernetes_validate.__file__))",
        ])
        .output()
        .ok()
        .filter(|o| o.status.success());
    let Some(found) = found else {
        tool_missing("kubernetes-validate (PyPI)");
    };
    let package = std::path::PathBuf::from(String::from_utf8_lossy(&found.stdout).trim());
    let reference = package.join("kubernetes-json-schema/v1.30.0-local-strict");
    let mut n = 0;
    for entry in std::fs::read_dir(repo().join("schemas/k8s/v1.30.0")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap();
        let ours = std::fs::read(&path).unwrap();
        let theirs = std::fs::read(reference.join(name)).unwrap();
        assert!(
            ours == theirs,
            "{} differs from {}",
            name.to_string_lossy(),
            reference.display()
        );
        n += 1;
    }
    assert_eq!(n, 9);
}

/// The CRD schemas embedded in sparkc are the `openAPIV3Schema` of the reference CRDs in
/// `tests/reference`, unmodified.
#[test]
fn embedded_crd_schemas_are_the_reference_crds() {
    let reference = repo().join("tests/reference");
    for (embedded, crd) in [
        (
            "sparkapplication.v1beta2.json",
            "kubeflow-spark-operator/crds/sparkoperator.k8s.io_sparkapplications.yaml",
        ),
        (
            "scheduledsparkapplication.v1beta2.json",
            "kubeflow-spark-operator/crds/sparkoperator.k8s.io_scheduledsparkapplications.yaml",
        ),
        (
            "sparkapplication.apache.v1.json",
            "apache-spark-kubernetes-operator/crds/sparkapplications.spark.apache.org-v1.yaml",
        ),
        (
            "argocd-application.v1alpha1.json",
            "argo-cd/manifests/crds/application-crd.yaml",
        ),
        (
            "argocd-applicationset.v1alpha1.json",
            "argo-cd/manifests/crds/applicationset-crd.yaml",
        ),
        (
            "flux-kustomization.v1.json",
            "flux/config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml",
        ),
    ] {
        let ours: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(repo().join("schemas/crds").join(embedded)).unwrap(),
        )
        .unwrap();
        let theirs: serde_json::Value =
            serde_saphyr::from_str(&std::fs::read_to_string(reference.join(crd)).unwrap()).unwrap();
        let version = theirs["spec"]["versions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == ours["version"])
            .unwrap_or_else(|| panic!("{embedded}: no version {} in {crd}", ours["version"]));
        assert_eq!(
            ours["openAPIV3Schema"], version["schema"]["openAPIV3Schema"],
            "{embedded} is not the schema of {crd}"
        );
        assert_eq!(ours["kind"], theirs["spec"]["names"]["kind"], "{embedded}");
    }
}
