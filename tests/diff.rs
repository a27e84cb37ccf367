use serde_json::{Value as Json, json};

use crate::harness::{repo, run, sparkc};

fn quickstart_live() -> (tempfile::TempDir, String) {
    let out = run(sparkc()
        .arg("-C")
        .arg(repo().join("examples/quickstart"))
        .args(["render", "--stdout"]));
    assert_eq!(out.code, 0);
    (tempfile::tempdir().unwrap(), out.stdout)
}

/// The quickstart against a dump of live objects, as given (YAML) and as the `kind: List`
/// that `kubectl get -o json` writes (read as text, each object parsed only when compared):
/// the two reports must be the same.
fn diff_json(live: &str) -> (i32, Json) {
    let (dir, _) = quickstart_live();
    let list = json!({"apiVersion": "v1", "kind": "List", "items": docs(live)});
    let mut results = Vec::new();
    for (name, text) in [
        ("live.yaml", live.to_owned()),
        ("live.json", serde_json::to_string_pretty(&list).unwrap()),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        let out = run(sparkc()
            .arg("-C")
            .arg(repo().join("examples/quickstart"))
            .args(["diff", "--format", "json", "--live"])
            .arg(&file));
        assert!(out.code < 2, "{}{}", out.stdout, out.stderr);
        results.push((out.code, serde_json::from_str::<Json>(&out.stdout).unwrap()));
    }
    assert_eq!(results[0], results[1], "the YAML and the JSON dump differ");
    results.remove(0)
}

fn docs(text: &str) -> Vec<Json> {
    let d: Vec<Json> = serde_saphyr::from_multiple(text).unwrap();
    d.into_iter().filter(|x| !x.is_null()).collect()
}

fn stream(docs: &[Json]) -> String {
    docs.iter()
        .map(|d| format!("---\n{}\n", serde_json::to_string(d).unwrap()))
        .collect()
}

#[test]
fn the_render_against_itself_shows_nothing() {
    let (_, live) = quickstart_live();
    let (code, report) = diff_json(&live);
    assert_eq!(code, 0);
    assert_eq!(
        report["summary"],
        json!({"created": 0, "changed": 0, "deleted": 0, "unchanged": 44})
    );
}

/// Server additions (defaults, status, metadata, injected volumes) are not differences, and
/// each one-field change shows exactly that change.
#[test]
fn one_field_changes_show_exactly_that_change() {
    let (_, live) = quickstart_live();
    let base = docs(&live);
    // What a server adds: none of it is a difference.
    let mut served = base.clone();
    for d in &mut served {
        d["metadata"]["uid"] = json!("0f0e");
        d["metadata"]["resourceVersion"] = json!("42");
        d["metadata"]["managedFields"] = json!([{"manager": "kubectl"}]);
        d["status"] = json!({"active": 1});
        if d["kind"] == "Job" {
            let pod = &mut d["spec"]["template"]["spec"];
            pod["dnsPolicy"] = json!("ClusterFirst");
            pod["containers"][0]["terminationMessagePath"] = json!("/dev/termination-log");
            pod["volumes"]
                .as_array_mut()
                .unwrap()
                .push(json!({"name": "kube-api-access-x1", "projected": {"sources": []}}));
            pod["containers"][0]["resources"]["requests"]["cpu"] = json!("1000m");
            d["spec"]["template"]["metadata"]["labels"]["controller-uid"] = json!("abc");
        }
        if d["kind"] == "Service" {
            d["spec"]["sessionAffinity"] = json!("None");
            d["spec"]["clusterIPs"] = json!(["None"]);
        }
    }
    let (code, report) = diff_json(&stream(&served));
    assert_eq!(code, 0, "{report:#}");
    let job = base.iter().position(|d| d["kind"] == "Job").unwrap();
    let svc = base.iter().position(|d| d["kind"] == "Service").unwrap();
    let app = base
        .iter()
        .position(|d| d["kind"] == "SparkApplication")
        .unwrap();
    let cases: Vec<(usize, &str, Json, &str)> = vec![
        (
            job,
            "/spec/template/spec/containers/0/image",
            json!("registry.example.com/data/spark-jobs:1.4.1"),
            "image",
        ),
        (svc, "/spec/ports/0/port", json!(7077), "port"),
        (job, "/metadata/labels/team", json!("other"), "label"),
        (
            app,
            "/spec/executor/instances",
            json!(5),
            "executor instances",
        ),
        (app, "/spec/executor/cores", json!(1), "cores 2 to 1"),
    ];
    for (i, pointer, value, what) in cases {
        let mut changed = base.clone();
        *changed[i].pointer_mut(pointer).unwrap() = value;
        let (code, report) = diff_json(&stream(&changed));
        assert_eq!(code, 1, "{what}");
        let resources: Vec<&Json> = report["resources"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["action"] != "unchanged")
            .collect();
        assert_eq!(resources.len(), 1, "{what}: {report:#}");
        assert_eq!(
            resources[0]["changes"].as_array().unwrap().len(),
            1,
            "{what}: {:#}",
            resources[0]
        );
        // A port is the key of its list item; the item keeps its name, so it is the same
        // item, changed.
        assert_eq!(resources[0]["changes"][0]["path"], pointer, "{what}");
    }
    // An env value inside a keyed list.
    let mut changed = base.clone();
    let env = changed[job]["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array_mut()
        .unwrap();
    env.push(json!({"name": "EXTRA", "value": "1"}));
    let (code, report) = diff_json(&stream(&changed));
    assert_eq!(
        code, 0,
        "a live-only env var that was never ours is not a difference: {report:#}"
    );
}

#[test]
fn created_and_deleted() {
    let (_, live) = quickstart_live();
    let mut objects = docs(&live);
    let removed = objects.remove(0);
    objects.push(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "gone", "namespace": "spark-dev", "labels": {"app.kubernetes.io/managed-by": "sparkc"}}}));
    objects.push(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "not-ours", "namespace": "spark-dev"}}));
    objects.push(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "driver-pod", "namespace": "spark-dev", "labels": {"app.kubernetes.io/managed-by": "sparkc"}, "ownerReferences": [{"kind": "Job", "name": "x", "uid": "1", "apiVersion": "batch/v1"}]}}));
    let (code, report) = diff_json(&stream(&objects));
    assert_eq!(code, 1);
    assert_eq!(report["summary"]["created"], 1);
    assert_eq!(
        report["summary"]["deleted"], 1,
        "only the unowned object that carries sparkc's label"
    );
    let created = report["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["action"] == "created")
        .unwrap();
    assert_eq!(created["name"], removed["metadata"]["name"]);
}

fn live_objects() -> std::path::PathBuf {
    repo().join("tests/reference/live-objects")
}

fn read_object(path: &std::path::Path) -> Json {
    let text = std::fs::read_to_string(path).unwrap();
    let all = sparkc::live::dump::read(&text).unwrap();
    assert_eq!(all.len(), 1, "{}", path.display());
    all[0].object.value().unwrap()
}

fn set(obj: &mut Json, pointer: &str, value: Json) {
    let (parent, last) = pointer.rsplit_once('/').unwrap();
    let parent = obj
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("{pointer}"));
    match parent {
        Json::Array(a) => a[last.parse::<usize>().unwrap()] = value,
        Json::Object(m) => {
            m.insert(last.replace("~1", "/").replace("~0", "~"), value);
        }
        _ => panic!("{pointer}"),
    }
}

/// Where each live object's desired side comes from.
enum Desired {
    /// Its own last-applied-configuration annotation: what `kubectl apply` was given.
    LastApplied,
    /// A file beside the fixtures (`service-httpbin`'s desired, kubectl-neat's output).
    Reference(&'static str),
    /// A hand-written file in `tests/fixtures/live-desired/`.
    Ours(&'static str),
}

/// A one-field change to a desired object: (JSON pointer, new value, expected R14 effect).
type Mutation = (&'static str, Json, Option<&'static str>);

/// Every live object in `tests/reference/live-objects` against the desired object it was
/// created from: no difference. Then one-field changes to the desired object: exactly that
/// change (path, and the R14 effect where the field cannot be patched in place), and
/// spellings equal by value: no difference.
#[test]
fn live_object_fixtures_against_their_desired_objects() {
    let dir = live_objects();
    use Desired::*;
    #[rustfmt::skip]
    let table: &[(&str, Desired, &[Mutation])] = &[
        ("pod-sidecar.k9s.json", Ours("pod-sidecar.k9s.yaml"), &[
            ("/spec/containers/0/image", json!("istio/base:1.20"), None),
            ("/spec/containers/0/resources/requests/cpu", json!("2"), Some("replace")),
            ("/spec/containers/0/resources/limits/cpu", json!("0.23"), None),
            ("/spec/initContainers/1/resources/limits/memory", json!("41943040"), None),
            ("/metadata/labels", json!({"team": "a"}), None),
        ]),
        ("pod-from-cronjob.kubescape.json", Ours("pod-from-cronjob.kubescape.yaml"), &[
            ("/spec/containers/0/image", json!("hello-world:2"), None),
            ("/spec/containers/0/env", json!([{"name": "A", "value": "1"}]), Some("replace")),
        ]),
        ("pod-legacy-token.kubectl-neat.raw.yaml", Reference("pod-legacy-token.kubectl-neat.neat.json"), &[
            ("/spec/containers/0/image", json!("nginx:1.27"), None),
            ("/spec/serviceAccountName", json!("spark"), Some("replace")),
        ]),
        ("service-httpbin.argocd.live.yaml", Reference("service-httpbin.argocd.desired.yaml"), &[
            ("/spec/ports/0/port", json!(9999), None),
            ("/spec/ports/1/targetPort", json!("333"), None),
            ("/spec/selector/app", json!("httpbin2"), None),
        ]),
        ("service-multiport.argocd.live.yaml", LastApplied, &[
            ("/spec/ports/2/port", json!(8443), None),
        ]),
        ("service-named-targetport.k9s.json", LastApplied, &[
            ("/spec/ports/0/targetPort", json!(4001), None),
        ]),
        ("serviceaccount.k9s.json", LastApplied, &[
            ("/metadata/labels", json!({"team": "a"}), None),
        ]),
        ("serviceaccount-spinnaker.argocd.live.json", LastApplied, &[
            ("/metadata/namespace", json!("spinnaker"), None),
            ("/metadata/labels/app", json!("other"), None),
        ]),
        ("role.k9s.json", LastApplied, &[
            ("/rules/0/verbs", json!(["get"]), None),
        ]),
        ("role-managedfields.kubectl-neat.raw.yaml", Ours("role-managedfields.kubectl-neat.yaml"), &[
            ("/rules/0/verbs", json!(["get", "list"]), None),
        ]),
        ("rolebinding.k9s.json", LastApplied, &[
            ("/roleRef/name", json!("other"), Some("replace")),
        ]),
        ("configmap.k9s.json", LastApplied, &[
            ("/metadata/labels", json!({"team": "a"}), None),
        ]),
        ("configmap-ssa.argocd.live.yaml", Ours("configmap-ssa.argocd.yaml"), &[
            ("/data/key2", json!("changed"), None),
        ]),
        ("job.k9s.json", Ours("job.k9s.yaml"), &[
            ("/spec/template/spec/containers/0/image", json!("busybox"), Some("replace")),
            ("/spec/backoffLimit", json!(3), None),
        ]),
        ("job-succeeded.argocd.yaml", Ours("job-succeeded.argocd.yaml"), &[
            ("/spec/template/spec/containers/0/image", json!("alpine:3.20"), Some("replace")),
        ]),
        ("cronjob-batchv1.kubescape.json", Ours("cronjob-batchv1.kubescape.yaml"), &[
            ("/spec/schedule", json!("*/5 * * * *"), None),
            ("/spec/jobTemplate/spec/template/spec/containers/0/image", json!("redis:7"), None),
        ]),
        ("cronjob-v1beta1.k9s.json", LastApplied, &[
            ("/spec/concurrencyPolicy", json!("Allow"), None),
        ]),
        ("sparkapplication-running.argocd.yaml", Ours("sparkapplication-running.argocd.yaml"), &[
            ("/spec/executor/instances", json!(5), Some("rerun")),
            ("/spec/executor/instances", json!(4.0), None),
            ("/spec/timeToLiveSeconds", json!(3600), None),
        ]),
        ("sparkapplication-failed.argocd.yaml", Ours("sparkapplication-failed.argocd.yaml"), &[
            ("/spec/executor/instances", json!(2), Some("rerun")),
        ]),
        ("sparkapplication-dynalloc.argocd.yaml", Ours("sparkapplication-dynalloc.argocd.yaml"), &[
            ("/spec/sparkConf/spark.dynamicAllocation.maxExecutors", json!("20"), Some("rerun")),
            ("/spec/sparkConf/spark.dynamicAllocation.maxExecutors", json!(10), Some("rerun")),
        ]),
        ("deployment-multimanager.argocd.live.yaml", LastApplied, &[
            ("/spec/template/spec/containers/0/env/0/value", json!("other"), None),
        ]),
        ("replicationcontroller-managedfields.kubectl.yaml", LastApplied, &[
            ("/spec/template/spec/containers/0/image", json!("nginx:1.27"), None),
        ]),
    ];
    let kinds: std::collections::BTreeSet<&str> = table
        .iter()
        .map(|(f, _, _)| {
            read_object(&dir.join(f))["kind"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .map(|k| &*k.leak())
        .collect();
    for kind in [
        "Pod",
        "Service",
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "ConfigMap",
        "Job",
        "CronJob",
        "SparkApplication",
    ] {
        assert!(kinds.contains(kind), "no live {kind} is tested");
    }
    for (file, source, changes) in table {
        let live = read_object(&dir.join(file));
        let desired = match source {
            LastApplied => serde_json::from_str(
                live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap(),
            Reference(f) => read_object(&dir.join(f)),
            Ours(f) => read_object(&repo().join("tests/fixtures/live-desired").join(f)),
        };
        let mut desired: Json = desired;
        if desired["metadata"]["namespace"].is_null() {
            desired["metadata"]["namespace"] = live["metadata"]["namespace"].clone();
        }
        let compare = |d: &Json| {
            sparkc::diff::compare(
                &[sparkc::render::Manifest::from_object(d.clone())],
                std::slice::from_ref(&live),
            )
        };
        let report = compare(&desired);
        assert!(!report.differs(), "{file}: {:#?}", report.resources);
        for (pointer, value, effect) in *changes {
            let mut changed = desired.clone();
            set(&mut changed, pointer, value.clone());
            let report = compare(&changed);
            let r = &report.resources[0];
            let original = live.pointer(pointer).or_else(|| desired.pointer(pointer));
            let equal_by_value = matches!(
                (original, value),
                (Some(a), b) if sparkc::diff::quantity(a).is_some()
                    && sparkc::diff::quantity(a) == sparkc::diff::quantity(b)
                    && pointer.contains("/resources/")
            ) || (pointer.ends_with("/instances") && value.is_f64())
                || (original.is_some_and(|o| o == value));
            if equal_by_value {
                assert!(
                    !report.differs(),
                    "{file} {pointer}={value}: {:#?}",
                    r.changes
                );
                continue;
            }
            assert_eq!(r.action, sparkc::diff::Action::Changed, "{file} {pointer}");
            let paths: Vec<&str> = r.changes.iter().map(|c| c.path.as_str()).collect();
            // RBAC rules and subjects are atomic lists: a change replaces the whole list.
            let expected = ["/rules", "/subjects"]
                .into_iter()
                .find(|p| pointer.starts_with(p))
                .unwrap_or(pointer);
            assert_eq!(
                paths,
                [expected],
                "{file} {pointer}={value}: {:#?}",
                r.changes
            );
            let got = r.effect.map(|e| serde_json::to_value(e).unwrap());
            assert_eq!(
                got.as_ref().and_then(Json::as_str),
                *effect,
                "{file} {pointer}"
            );
            assert!(
                r.diff.contains("+++ sparkc/"),
                "{file} {pointer}: {}",
                r.diff
            );
        }
    }
}

/// Fields our apply managers own (managedFields, server-side apply) that Git no longer
/// sets are removals; fields owned by others are not (R6).
#[test]
fn removals_are_found_through_managed_fields() {
    let dir = live_objects();
    let live = read_object(&dir.join("configmap-ssa.argocd.live.yaml"));
    let mut desired =
        read_object(&repo().join("tests/fixtures/live-desired/configmap-ssa.argocd.yaml"));
    desired["data"].as_object_mut().unwrap().remove("key3");
    let report = sparkc::diff::compare(
        &[sparkc::render::Manifest::from_object(desired.clone())],
        std::slice::from_ref(&live),
    );
    let c = &report.resources[0].changes;
    assert_eq!(c.len(), 1, "{c:#?}");
    assert_eq!((c[0].op, c[0].path.as_str()), ("remove", "/data/key3"));
    // A kubeadm-owned Role: its rules are not ours, so dropping them is no difference.
    let live = read_object(&dir.join("role-managedfields.kubectl-neat.raw.yaml"));
    let desired = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": live["metadata"]["name"], "namespace": "kube-system"}});
    let report = sparkc::diff::compare(
        &[sparkc::render::Manifest::from_object(desired)],
        std::slice::from_ref(&live),
    );
    assert!(!report.differs(), "{:#?}", report.resources);
    // A port removed from a Service whose ports argocd-controller applied.
    let live = read_object(&dir.join("service-httpbin.argocd.live.yaml"));
    let mut desired = read_object(&dir.join("service-httpbin.argocd.desired.yaml"));
    desired["metadata"]["namespace"] = live["metadata"]["namespace"].clone();
    desired["spec"]["ports"].as_array_mut().unwrap().pop();
    let report = sparkc::diff::compare(
        &[sparkc::render::Manifest::from_object(desired)],
        std::slice::from_ref(&live),
    );
    let c = &report.resources[0].changes;
    assert_eq!(c.len(), 1, "{c:#?}");
    assert_eq!((c[0].op, c[0].path.as_str()), ("remove", "/spec/ports/1"));
}

#[test]
fn secret_values_are_compared_but_never_printed() {
    let dir = live_objects();
    let live = read_object(&dir.join("secret.k9s.json"));
    let mut desired = sparkc::diff::normalize(&live);
    desired["metadata"] =
        json!({"name": live["metadata"]["name"], "namespace": live["metadata"]["namespace"]});
    let key = desired["data"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    let secret_value = live["data"][&key].as_str().unwrap().to_owned();
    desired["data"][&key] = json!("Y2hhbmdlZA==");
    let report = sparkc::diff::compare(
        &[sparkc::render::Manifest::from_object(desired)],
        std::slice::from_ref(&live),
    );
    assert!(report.differs());
    let r = &report.resources[0];
    assert!(
        r.diff.contains("*** (before)") && r.diff.contains("*** (after)"),
        "{}",
        r.diff
    );
    assert_eq!(r.changes[0].old, json!("*** (before)"));
    assert_eq!(r.changes[0].new, json!("*** (after)"));
    assert!(
        !r.diff.contains(&secret_value) && !r.diff.contains("Y2hhbmdlZA=="),
        "{}",
        r.diff
    );
    let json = serde_json::to_string(&report).unwrap();
    assert!(
        !json.contains(&secret_value) && !json.contains("Y2hhbmdlZA=="),
        "{json}"
    );
}

/// `--base REF`: what a pull request changes, on a temporary repository with two commits.
#[test]
fn base_compares_with_the_render_at_a_git_ref() {
    let p = crate::harness::Project::new();
    let git = |args: &[&str]| crate::harness::git(p.path(), args);
    git(&["init", "-q", "-b", "main"]);
    git(&["config", "user.email", "ci@example.com"]);
    git(&["config", "user.name", "CI"]);
    p.write("spark/jobs/a.yaml", crate::harness::job("a"));
    p.write("spark/jobs/b.yaml", crate::harness::job("b"));
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "one"]);
    // The change: a's executors, b removed, c added (committed), and an uncommitted edit.
    p.write(
        "spark/jobs/a.yaml",
        format!("{}  executor: {{instances: 3}}\n", crate::harness::job("a")),
    );
    std::fs::remove_file(p.path().join("spark/jobs/b.yaml")).unwrap();
    p.write("spark/jobs/c.yaml", crate::harness::job("c"));
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "two"]);
    let project = p.path().join("spark");
    let out = run(sparkc()
        .arg("-C")
        .arg(&project)
        .args(["diff", "--base", "HEAD~1", "--format", "json"]));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let report: Json = serde_json::from_str(&out.stdout).unwrap();
    let by_action = |a: &str| -> Vec<String> {
        report["resources"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["action"] == a)
            .map(|r| {
                format!(
                    "{}/{}",
                    r["kind"].as_str().unwrap(),
                    r["name"].as_str().unwrap()
                )
            })
            .collect()
    };
    assert!(
        by_action("created").iter().any(|r| r.starts_with("Job/c-")),
        "{report:#}"
    );
    assert!(
        by_action("deleted").iter().any(|r| r.starts_with("Job/b-")),
        "{report:#}"
    );
    // a's Job gets a new name (a new run): one change, paired with the old run, whose only
    // changed field is the executor count; the Service follows the run and is unchanged.
    let resources = report["resources"].as_array().unwrap();
    let job_a: Vec<&Json> = resources
        .iter()
        .filter(|r| r["kind"] == "Job" && r["name"].as_str().unwrap().starts_with("a-"))
        .collect();
    assert_eq!(job_a.len(), 1, "{report:#}");
    assert_eq!(job_a[0]["action"], "changed");
    assert_eq!(job_a[0]["effect"], "rerun");
    let previous = job_a[0]["previousName"].as_str().unwrap();
    assert!(
        previous.starts_with("a-") && previous != job_a[0]["name"],
        "{report:#}"
    );
    let paths: Vec<&str> = job_a[0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/spec/template/spec/containers/0/args"]);
    assert!(
        !by_action("changed").contains(&"Service/a-driver-svc".to_owned())
            && !by_action("deleted").iter().any(|r| r.starts_with("Job/a-")),
        "{report:#}"
    );
    // The same ref against itself: nothing.
    let out = run(sparkc()
        .arg("-C")
        .arg(&project)
        .args(["diff", "--base", "HEAD"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    // The working tree was not touched, and an unknown ref is an error.
    assert!(project.join("jobs/c.yaml").is_file() && !project.join("jobs/b.yaml").exists());
    let out = run(sparkc()
        .arg("-C")
        .arg(&project)
        .args(["diff", "--base", "nope"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("`nope` is not a commit"),
        "{}",
        out.stderr
    );
}

/// A live object nested past the JSON parser's limit is named in an error (exit 2), not
/// reported as deleted with an empty diff.
#[test]
fn an_unreadable_live_object_is_named_in_an_error() {
    let (dir, _) = quickstart_live();
    let deep = format!(
        r#"{{"kind": "List", "items": [{{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {{"name": "deep", "namespace": "spark-dev", "labels": {{"app.kubernetes.io/managed-by": "sparkc"}}}}, "data": {}{}}}]}}"#,
        "[".repeat(200),
        "]".repeat(200)
    );
    let file = dir.path().join("live.json");
    std::fs::write(&file, deep).unwrap();
    let out = run(sparkc()
        .arg("-C")
        .arg(repo().join("examples/quickstart"))
        .args(["diff", "--live"])
        .arg(&file));
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("a live object cannot be read: ConfigMap spark-dev/deep"),
        "{}",
        out.stderr
    );
}
