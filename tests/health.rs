//! The Argo CD health checks sparkc writes (`gitops/argocd-health.yaml`), run as Argo CD
//! runs them: each Lua script of the rendered file, in a Lua 5.1 interpreter (Argo CD uses
//! gopher-lua, a Lua 5.1) with only base, table, string and math open, on live objects of
//! every state (`tests/fixtures/health/<group>_<kind>/health_test.yaml`, Argo CD's format).

use std::collections::BTreeMap;

use mlua::serde::SerializeOptions;
use mlua::{Lua, LuaOptions, LuaSerdeExt, StdLib};
use serde_json::Value as Json;

use crate::harness::{example, repo, run};

/// The health checks of the rendered file: `<group>_<kind>` → Lua source.
fn rendered_checks() -> BTreeMap<String, String> {
    let p = example("multi-cluster");
    let out = run(&mut p.sparkc(&["render", "-q"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let text = std::fs::read_to_string(p.path().join("deploy/gitops/argocd-health.yaml")).unwrap();
    let doc: Json = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(doc["kind"], "ConfigMap");
    assert_eq!(doc["metadata"]["name"], "argocd-cm");
    doc["data"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let kind = k
                .strip_prefix("resource.customizations.health.")
                .unwrap_or_else(|| panic!("{k} is not a health customization"));
            (kind.to_owned(), v.as_str().unwrap().to_owned())
        })
        .collect()
}

/// The cases of a folder's `health_test.yaml` (Argo CD's format), each with its live object.
fn cases(dir: &std::path::Path) -> Vec<(Json, Json)> {
    let read = |p: std::path::PathBuf| -> Json {
        serde_saphyr::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    let tests = read(dir.join("health_test.yaml"));
    tests["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t.clone(), read(dir.join(t["inputPath"].as_str().unwrap()))))
        .collect()
}

/// Runs a health script on one live object: (status, message).
fn health(script: &str, object: &Json) -> (String, String) {
    let lua = Lua::new_with(
        StdLib::TABLE | StdLib::STRING | StdLib::MATH,
        LuaOptions::default(),
    )
    .unwrap();
    // As Argo CD converts the object: JSON null is nil.
    let options = SerializeOptions::new()
        .serialize_none_to_null(false)
        .serialize_unit_to_null(false);
    let value = lua.to_value_with(object, options).unwrap();
    lua.globals().set("obj", value).unwrap();
    let result: mlua::Table = lua.load(script).eval().unwrap();
    (
        result.get::<String>("status").unwrap(),
        result
            .get::<Option<String>>("message")
            .unwrap()
            .unwrap_or_default(),
    )
}

#[test]
fn every_health_check_reports_every_state_as_its_test_file_says() {
    let checks = rendered_checks();
    let root = repo().join("tests/fixtures/health");
    let mut kinds: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    kinds.sort();
    // A check for every kind sparkc renders that Argo CD lacks, and a test file for each.
    assert_eq!(
        kinds,
        checks.keys().cloned().collect::<Vec<_>>(),
        "rendered checks and fixture folders differ"
    );
    let mut n = 0;
    let mut seen: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for kind in &kinds {
        let dir = root.join(kind);
        for (t, object) in cases(&dir) {
            let input = t["inputPath"].as_str().unwrap();
            // The fixture is a live object its CRD accepts, status included.
            let (group, k) = kind.split_once('_').unwrap();
            assert_eq!(
                object["apiVersion"].as_str().unwrap().split('/').next(),
                Some(group),
                "{input}"
            );
            assert_eq!(object["kind"], k, "{input}");
            assert_eq!(
                sparkc::k8s::check(&object),
                Ok(true),
                "{kind}/{input} fails its CRD"
            );
            let got = health(&checks[kind], &object);
            let want = (
                t["healthStatus"]["status"].as_str().unwrap().to_owned(),
                t["healthStatus"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            );
            assert_eq!(got, want, "{kind}/{input}");
            seen.entry(kind.clone()).or_default().insert(got.0);
            n += 1;
        }
    }
    assert!(n >= 20, "{n} cases");
    // Each kind is seen healthy, progressing and degraded.
    for (kind, statuses) in &seen {
        for s in ["Healthy", "Progressing", "Degraded"] {
            assert!(statuses.contains(s), "{kind}: no case is {s}");
        }
    }
}

/// Every state the Apache operator's CRD names is covered by a fixture.
#[test]
fn every_apache_state_has_a_fixture() {
    let crd: Json = serde_json::from_str(
        &std::fs::read_to_string(repo().join("schemas/crds/sparkapplication.apache.v1.json"))
            .unwrap(),
    )
    .unwrap();
    let states: Vec<String> = crd
        .pointer("/openAPIV3Schema/properties/status/properties/currentState/properties/currentStateSummary/enum")
        .and_then(Json::as_array)
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    assert!(states.len() >= 18, "{states:?}");
    let dir = repo().join("tests/fixtures/health/spark.apache.org_SparkApplication/testdata");
    let mut current = std::collections::BTreeSet::new();
    let mut anywhere = std::collections::BTreeSet::new();
    for f in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
        let o: Json = serde_saphyr::from_str(&text).unwrap();
        if let Some(s) = o.pointer("/status/currentState/currentStateSummary") {
            current.insert(s.as_str().unwrap().to_owned());
        }
        for s in &states {
            if text.contains(&format!("currentStateSummary: {s}\n")) {
                anywhere.insert(s.clone());
            }
        }
    }
    // The states the script decides on directly are current states of a fixture; the rest
    // (the steps of starting) appear in a history at least.
    for s in [
        "Submitted",
        "ScheduledToRestart",
        "DriverReady",
        "RunningHealthy",
        "RunningWithPartialCapacity",
        "RunningWithBelowThresholdExecutors",
        "Succeeded",
        "Failed",
        "SchedulingFailure",
        "DriverStartTimedOut",
        "DriverEvicted",
        "ResourceReleased",
        "TerminatedWithoutReleaseResources",
    ] {
        assert!(current.contains(s), "no fixture is in state {s}");
    }
    let missing: Vec<&String> = states.iter().filter(|s| !anywhere.contains(*s)).collect();
    assert!(
        missing.iter().all(|s| [
            "ExecutorsStartTimedOut",
            "DriverReadyTimedOut",
            "InitializedBelowThresholdExecutors"
        ]
        .contains(&s.as_str())),
        "states in no fixture: {missing:?}"
    );
}

/// A health script given an object without the fields it reads (a fresh object, a status
/// of another shape, a state a later operator version adds) still answers, never raises.
#[test]
fn health_checks_survive_objects_without_the_fields_they_read() {
    for (kind, script) in rendered_checks() {
        for object in [
            serde_json::json!({}),
            serde_json::json!({"spec": {}, "status": {}}),
            serde_json::json!({"status": {"currentState": {}, "stateTransitionHistory": {}}}),
            serde_json::json!({"status": {"scheduleState": "Scheduled"}}),
            serde_json::json!({"status": {"currentState": {"currentStateSummary": "ResourceReleased"}, "stateTransitionHistory": {"x": {}, "1": {"currentStateSummary": "Failed"}}}}),
            serde_json::json!({"status": {"currentState": {"currentStateSummary": "SomethingNew"}}}),
            serde_json::json!({"status": {"scheduleState": "SomethingNew"}}),
        ] {
            let (status, _) = health(&script, &object);
            assert!(
                ["Healthy", "Progressing", "Degraded", "Suspended", "Missing"]
                    .contains(&status.as_str()),
                "{kind}: {status} for {object}"
            );
        }
    }
}

/// A state the scripts do not know yet (a later operator version) is Progressing, named.
#[test]
fn an_unknown_state_is_progressing_and_named() {
    let checks = rendered_checks();
    let apache = &checks["spark.apache.org_SparkApplication"];
    let got = health(
        apache,
        &serde_json::json!({"status": {"currentState": {"currentStateSummary": "SomethingNew"}}}),
    );
    assert_eq!(got, ("Progressing".to_owned(), "SomethingNew".to_owned()));
    let scheduled = &checks["sparkoperator.k8s.io_ScheduledSparkApplication"];
    let got = health(
        scheduled,
        &serde_json::json!({"status": {"scheduleState": "Paused"}}),
    );
    assert_eq!(
        got,
        ("Progressing".to_owned(), "Schedule state Paused".to_owned())
    );
}

/// The Flux health expressions of the rendered Kustomizations (the quickstart and the
/// multi-cluster example under Flux): (apiVersion, kind) → (current, failed).
fn rendered_flux_exprs() -> BTreeMap<(String, String), (String, String)> {
    let mut out = BTreeMap::new();
    for (name, edit) in [
        (
            "quickstart",
            &(|p: &str| p.replace("tool: argocd", "tool: flux")) as &dyn Fn(&str) -> String,
        ),
        ("multi-cluster", &crate::tree::multi_cluster_on_flux),
    ] {
        let p = example(name);
        let project = std::fs::read_to_string(p.path().join("sparkc.yaml")).unwrap();
        p.write("sparkc.yaml", edit(&project));
        let out_ = run(&mut p.sparkc(&["render", "-q"]));
        assert_eq!(out_.code, 0, "{}{}", out_.stdout, out_.stderr);
        for env in ["dev", "prod"] {
            let text = std::fs::read_to_string(p.path().join(format!("deploy/gitops/{env}.yaml")))
                .unwrap();
            for k in serde_saphyr::from_multiple::<Json>(&text).unwrap() {
                let checks = k["spec"]["healthChecks"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                for c in &checks {
                    assert!(
                        c["kind"] != "Job",
                        "a native Job is in progress for Flux until it ends: {c}"
                    );
                }
                for e in k["spec"]["healthCheckExprs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    let key = (
                        e["apiVersion"].as_str().unwrap().to_owned(),
                        e["kind"].as_str().unwrap().to_owned(),
                    );
                    assert!(
                        checks
                            .iter()
                            .any(|c| c["apiVersion"] == e["apiVersion"] && c["kind"] == e["kind"]),
                        "an expression for a kind the unit does not check: {e}"
                    );
                    out.insert(
                        key,
                        (
                            e["current"].as_str().unwrap().to_owned(),
                            e["failed"].as_str().unwrap().to_owned(),
                        ),
                    );
                }
            }
        }
    }
    out
}

/// Evaluates a Flux health expression on a live object as kustomize-controller does: the
/// object's top-level fields are the variables (`status` and `spec` empty when absent).
fn flux_eval(expr: &str, object: &Json) -> bool {
    let program = cel::Program::compile(expr).unwrap_or_else(|e| panic!("{expr}: {e:?}"));
    let mut ctx = cel::Context::default();
    for field in ["apiVersion", "kind", "metadata", "spec", "status"] {
        let value = object
            .get(field)
            .cloned()
            .unwrap_or_else(|| serde_json::json!({}));
        ctx.add_variable_from_value(field, cel::to_value(&value).unwrap());
    }
    match program.execute(&ctx) {
        Ok(cel::Value::Bool(b)) => b,
        other => panic!("{expr} on {object}: {other:?}"),
    }
}

/// Flux judges the Spark kinds as Argo CD does: for every state fixture (ours, and Argo
/// CD's own SparkApplication test data), Healthy or Suspended is `current`, Degraded is
/// `failed`, Progressing is neither (in progress).
#[test]
fn flux_health_expressions_agree_with_the_argo_cd_checks_on_every_state() {
    let exprs = rendered_flux_exprs();
    let kinds: Vec<&(String, String)> = exprs.keys().collect();
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    let mut dirs = vec![
        (
            "sparkoperator.k8s.io/v1beta2",
            "ScheduledSparkApplication",
            repo().join("tests/fixtures/health/sparkoperator.k8s.io_ScheduledSparkApplication"),
        ),
        (
            "spark.apache.org/v1",
            "SparkApplication",
            repo().join("tests/fixtures/health/spark.apache.org_SparkApplication"),
        ),
    ];
    dirs.push((
        "sparkoperator.k8s.io/v1beta2",
        "SparkApplication",
        repo().join(
            "tests/reference/argo-cd/resource_customizations/sparkoperator.k8s.io/SparkApplication",
        ),
    ));
    let mut n = 0;
    for (api, kind, dir) in dirs {
        let (current, failed) = &exprs[&(api.to_owned(), kind.to_owned())];
        for (t, object) in cases(&dir) {
            let input = t["inputPath"].as_str().unwrap();
            let want = match t["healthStatus"]["status"].as_str().unwrap() {
                "Healthy" | "Suspended" => (true, false),
                "Degraded" => (false, true),
                _ => (false, false),
            };
            let got = (flux_eval(current, &object), flux_eval(failed, &object));
            assert_eq!(got, want, "{kind} {input}: (current, failed)");
            n += 1;
        }
        // A fresh object, before the operator writes a status, is in progress.
        let fresh = serde_json::json!({"apiVersion": api, "kind": kind, "metadata": {"name": "a"}, "spec": {}});
        assert_eq!(
            (flux_eval(current, &fresh), flux_eval(failed, &fresh)),
            (false, false),
            "{kind}"
        );
    }
    assert!(n >= 30, "{n}");
}
