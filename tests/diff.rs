use serde_json::{Value as Json, json};

use crate::harness::{repo, required_in_ci, run, sparkc};

fn quickstart_live() -> (tempfile::TempDir, String) {
    let out = run(sparkc()
        .arg("-C")
        .arg(repo().join("examples/quickstart"))
        .args(["render", "--stdout"]));
    assert_eq!(out.code, 0);
    (tempfile::tempdir().unwrap(), out.stdout)
}

fn diff_json(live: &str) -> (i32, Json) {
    let (dir, _) = quickstart_live();
    let file = dir.path().join("live.yaml");
    std::fs::write(&file, live).unwrap();
    let out = run(sparkc()
        .arg("-C")
        .arg(repo().join("examples/quickstart"))
        .args(["diff", "--format", "json", "--live"])
        .arg(&file));
    assert!(out.code < 2, "{}{}", out.stdout, out.stderr);
    (out.code, serde_json::from_str(&out.stdout).unwrap())
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
        // A port is the key of its list item: the changed item shows as the new one.
        let expected = if what == "port" {
            "/spec/ports/0"
        } else {
            pointer
        };
        assert_eq!(resources[0]["changes"][0]["path"], expected, "{what}");
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

#[test]
fn argocd_service_fixture_desired_matches_live() {
    let dir = repo().join("../shared/reference/live-objects");
    if !dir.is_dir() {
        required_in_ci("../shared/reference/live-objects");
        return;
    }
    let desired: Json = serde_saphyr::from_str(
        &std::fs::read_to_string(dir.join("service-httpbin.argocd.desired.yaml")).unwrap(),
    )
    .unwrap();
    let live = sparkc::diff::parse_live(
        &std::fs::read_to_string(dir.join("service-httpbin.argocd.live.yaml")).unwrap(),
    )
    .unwrap();
    let manifest = |value: Json| sparkc::render::Manifest {
        api_version: value["apiVersion"].as_str().unwrap().to_owned(),
        kind: value["kind"].as_str().unwrap().to_owned(),
        namespace: value["metadata"]["namespace"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        name: value["metadata"]["name"].as_str().unwrap().to_owned(),
        job: String::new(),
        env: String::new(),
        group: String::new(),
        file: String::new(),
        yaml: String::new(),
        value,
    };
    let mut d = desired.clone();
    if d["metadata"]["namespace"].is_null() {
        d["metadata"]["namespace"] = live[0]["metadata"]["namespace"].clone();
    }
    let report = sparkc::diff::compare(&[manifest(d.clone())], &live);
    assert!(!report.differs(), "{:#?}", report.resources);
    let mut changed = d.clone();
    changed["spec"]["ports"][0]["port"] = json!(9999);
    let report = sparkc::diff::compare(&[manifest(changed)], &live);
    assert!(report.differs());
    assert_eq!(
        report.resources[0].changes.len(),
        1,
        "{:#?}",
        report.resources[0].changes
    );
}

#[test]
fn secret_values_are_compared_but_never_printed() {
    let dir = repo().join("../shared/reference/live-objects");
    if !dir.is_dir() {
        required_in_ci("../shared/reference/live-objects");
        return;
    }
    let live =
        sparkc::diff::parse_live(&std::fs::read_to_string(dir.join("secret.k9s.json")).unwrap())
            .unwrap();
    let mut desired = sparkc::diff::normalize(&live[0]);
    desired["metadata"] =
        json!({"name": live[0]["metadata"]["name"], "namespace": live[0]["metadata"]["namespace"]});
    let key = desired["data"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    let secret_value = live[0]["data"][&key].as_str().unwrap().to_owned();
    desired["data"][&key] = json!("Y2hhbmdlZA==");
    let m = sparkc::render::Manifest {
        api_version: "v1".into(),
        kind: "Secret".into(),
        namespace: desired["metadata"]["namespace"].as_str().unwrap().into(),
        name: desired["metadata"]["name"].as_str().unwrap().into(),
        job: String::new(),
        env: String::new(),
        group: String::new(),
        file: String::new(),
        yaml: String::new(),
        value: desired,
    };
    let report = sparkc::diff::compare(&[m], &live);
    assert!(report.differs());
    let r = &report.resources[0];
    assert!(r.diff.contains("***"), "{}", r.diff);
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
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(p.path())
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
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
    // a's Job gets a new name (a new run); its Service's selector and ConfigMap are the same object, changed or not.
    assert!(
        by_action("created").iter().any(|r| r.starts_with("Job/a-")),
        "{report:#}"
    );
    assert!(
        by_action("deleted").iter().any(|r| r.starts_with("Job/a-")),
        "{report:#}"
    );
    assert!(
        by_action("changed").contains(&"Service/a-driver-svc".to_owned()),
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
