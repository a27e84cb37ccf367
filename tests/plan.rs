//! `sparkc plan`: the footprint against the requests of the rendered pods (every target),
//! and the plan of a pull request on a temporary two-commit repository (each runtime
//! effect; a re-run is one change).

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::harness::{Project, example, git, run, sparkc};

/// `plan --format json` of a project: its plan.
fn plan_json(p: &Project, extra: &[&str]) -> Json {
    let mut args = vec!["plan", "--format", "json", "--at", "2026-01-01T00:00:00Z"];
    args.extend(extra);
    let out = run(&mut p.sparkc(&args));
    assert!(out.code <= 1, "{}{}", out.stdout, out.stderr);
    serde_json::from_str::<Json>(&out.stdout).unwrap()["plan"].clone()
}

fn rendered(p: &Project, env: &str) -> Vec<Json> {
    let out = run(&mut p.sparkc(&["render", "--stdout", "--env", env]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    serde_saphyr::from_multiple::<Json>(&out.stdout)
        .unwrap()
        .into_iter()
        .filter(|d| !d.is_null())
        .collect()
}

/// A pod's request as the footprint writes it: (cpu in thousandths, memory in MiB).
fn request(cpu: &str, heap: Option<&str>, overhead: Option<&str>, factor: f64) -> (u64, u64) {
    let mem = sparkc::spark::memory::memory(heap, overhead, factor);
    let cpu = sparkc::diff::quantity(&Json::String(cpu.to_owned())).unwrap();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    (
        (cpu * 1000.0).round() as u64,
        mem.heap_mib + mem.overhead_mib,
    )
}

/// Spark's overhead factor when the configuration sets none: 0.4 for Python and R, else 0.1.
fn default_factor(main: &str) -> f64 {
    if main.ends_with(".py") || main.ends_with(".R") {
        0.4
    } else {
        0.1
    }
}

/// `--conf k=v` pairs of a spark-submit argument list.
fn confs(args: &[Json]) -> BTreeMap<String, String> {
    args.windows(2)
        .filter(|w| w[0] == "--conf")
        .filter_map(|w| w[1].as_str()?.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// What the executors of a Spark configuration request: (count, cpu, memory).
fn executors_of_conf(c: &BTreeMap<String, String>, main: &str) -> (Option<u64>, (u64, u64)) {
    let factor = c
        .get("spark.executor.memoryOverheadFactor")
        .or_else(|| c.get("spark.kubernetes.memoryOverheadFactor"))
        .map_or_else(|| default_factor(main), |f| f.parse().unwrap());
    let count = if c
        .get("spark.dynamicAllocation.enabled")
        .is_some_and(|e| e == "true")
    {
        c.get("spark.dynamicAllocation.maxExecutors")
            .map(|m| m.parse().unwrap())
    } else {
        Some(
            c.get("spark.executor.instances")
                .map_or(1, |i| i.parse().unwrap()),
        )
    };
    let cpu = c
        .get("spark.kubernetes.executor.request.cores")
        .or_else(|| c.get("spark.executor.cores"))
        .cloned()
        .unwrap_or_else(|| "1".into());
    (
        count,
        request(
            &cpu,
            c.get("spark.executor.memory").map(String::as_str),
            c.get("spark.executor.memoryOverhead").map(String::as_str),
            factor,
        ),
    )
}

/// A job's requests: (driver (cpu, MiB), executor count, one executor (cpu, MiB)).
type Requests = ((u64, u64), Option<u64>, (u64, u64));

/// Each job's (driver, executor count, executor) as its rendered objects request them.
fn requests_of_render(objects: &[Json]) -> BTreeMap<String, Requests> {
    let mut out = BTreeMap::new();
    for o in objects {
        let kind = o["kind"].as_str().unwrap_or_default();
        let name = o["metadata"]["labels"]["app.kubernetes.io/name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let found = match kind {
            // native: the driver pod is rendered; Spark builds the executors from its arguments.
            "Job" | "Pod" | "CronJob" => {
                let pod = if kind == "Pod" {
                    &o["spec"]
                } else if kind == "Job" {
                    &o["spec"]["template"]["spec"]
                } else {
                    &o["spec"]["jobTemplate"]["spec"]["template"]["spec"]
                };
                let c = &pod["containers"][0];
                let requests = &c["resources"]["requests"];
                let memory = sparkc::diff::quantity(&requests["memory"]).unwrap();
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let driver = (
                    (sparkc::diff::quantity(&requests["cpu"]).unwrap() * 1000.0).round() as u64,
                    (memory / 1024.0 / 1024.0) as u64,
                );
                let args = c["args"].as_array().unwrap();
                let main = args
                    .iter()
                    .rev()
                    .find_map(|a| {
                        a.as_str()
                            .filter(|s| s.starts_with("local://") || s.contains("://"))
                    })
                    .unwrap_or_default();
                let (count, executor) = executors_of_conf(&confs(args), main);
                (driver, count, executor)
            }
            // Kubeflow: the operator hands these fields to spark-submit, and Spark sizes both pods.
            "SparkApplication" | "ScheduledSparkApplication"
                if o["apiVersion"]
                    .as_str()
                    .unwrap()
                    .starts_with("sparkoperator") =>
            {
                let spec = if kind == "SparkApplication" {
                    &o["spec"]
                } else {
                    &o["spec"]["template"]
                };
                let main = spec["mainApplicationFile"].as_str().unwrap_or_default();
                let factor = spec["memoryOverheadFactor"]
                    .as_str()
                    .map_or_else(|| default_factor(main), |f| f.parse().unwrap());
                let role = |r: &Json| {
                    let cpu = r["coreRequest"].as_str().map_or_else(
                        || r["cores"].as_i64().unwrap_or(1).to_string(),
                        str::to_owned,
                    );
                    request(
                        &cpu,
                        r["memory"].as_str(),
                        r["memoryOverhead"].as_str(),
                        factor,
                    )
                };
                let count = if spec["dynamicAllocation"]["enabled"] == true {
                    spec["dynamicAllocation"]["maxExecutors"].as_u64()
                } else {
                    Some(spec["executor"]["instances"].as_u64().unwrap_or(1))
                };
                (role(&spec["driver"]), count, role(&spec["executor"]))
            }
            // Apache: Spark's own configuration in `sparkConf`.
            "SparkApplication" => {
                let c: BTreeMap<String, String> =
                    serde_json::from_value(o["spec"]["sparkConf"].clone()).unwrap();
                // The primary resource: the first of `pyFiles` for Python (non-JVM: 0.4 by default).
                let main = o["spec"]["pyFiles"]
                    .as_str()
                    .and_then(|f| f.split(',').next())
                    .unwrap_or_default();
                let factor = c
                    .get("spark.driver.memoryOverheadFactor")
                    .or_else(|| c.get("spark.kubernetes.memoryOverheadFactor"))
                    .map_or_else(|| default_factor(main), |f| f.parse().unwrap());
                let cpu = c
                    .get("spark.kubernetes.driver.request.cores")
                    .or_else(|| c.get("spark.driver.cores"))
                    .cloned()
                    .unwrap_or_else(|| "1".into());
                let driver = request(
                    &cpu,
                    c.get("spark.driver.memory").map(String::as_str),
                    c.get("spark.driver.memoryOverhead").map(String::as_str),
                    factor,
                );
                let (count, executor) = executors_of_conf(&c, main);
                (driver, count, executor)
            }
            _ => continue,
        };
        out.insert(name, found);
    }
    out
}

/// Each job's footprint from `plan`: (driver, executor count, executor).
fn footprints(plan: &Json) -> BTreeMap<String, Requests> {
    let pod = |r: &Json| {
        (
            r["cpuMillis"].as_u64().unwrap(),
            r["memoryMib"].as_u64().unwrap(),
        )
    };
    plan["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            let f = &j["after"];
            (
                j["name"].as_str().unwrap().to_owned(),
                (
                    pod(&f["driver"]),
                    f["executors"].as_u64(),
                    pod(&f["executor"]),
                ),
            )
        })
        .collect()
}

/// A copy of a project with every job on `target` (where the job can run on it).
fn on_target(folder: &str, target: &str) -> Project {
    let p = Project::new();
    let src = crate::harness::repo().join(folder);
    for f in crate::harness::files_under(&src) {
        let rel = f.strip_prefix(&src).unwrap().to_str().unwrap().to_owned();
        let text = std::fs::read_to_string(&f).unwrap();
        let mut text = text
            .replace("target: native", &format!("target: {target}"))
            .replace("target: operator", &format!("target: {target}"));
        if target == "operator" {
            // What the operator target does not render for the all-fields job (its CRD
            // has no job-wide tolerations and requires a secret's type; the operator
            // refuses a job-wide node selector next to the roles' own).
            text = text
                .replace("\n  nodeSelector: {pool: spark}\n", "\n")
                .replace("\n  tolerations:\n    - {key: dedicated, operator: Equal, value: spark, effect: NoSchedule}\n", "\n")
                .replace("path: /etc/tls}", "path: /etc/tls, secretType: Generic}");
        }
        p.write(&rel, text);
    }
    p
}

#[test]
fn the_footprint_is_what_the_rendered_pods_request_on_every_target() {
    let mut checked = 0;
    for (folder, target, env) in [
        ("examples/quickstart", "native", "prod"),
        ("examples/quickstart", "operator", "prod"),
        ("tests/fixtures/all-fields", "native", "test"),
        ("tests/fixtures/all-fields", "operator", "test"),
    ] {
        let p = on_target(folder, target);
        let plan = plan_json(&p, &["--env", env]);
        let render = rendered(&p, env);
        let from_pods = requests_of_render(&render);
        let footprint = footprints(&plan);
        assert!(!footprint.is_empty());
        assert_eq!(footprint, from_pods, "{folder} on {target}");
        checked += footprint.len();
    }
    assert!(checked >= 8, "{checked}");
    // The quickstart on the Apache operator (its jobs run there but for the schedule).
    let p = on_target("examples/quickstart", "apache-operator");
    let path = p.path().join("jobs/reports/daily-revenue.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let cut = text.find("  schedule:").unwrap();
    std::fs::write(&path, &text[..cut]).unwrap();
    let plan = plan_json(&p, &["--env", "prod"]);
    let from_pods = requests_of_render(&rendered(&p, "prod"));
    assert_eq!(
        footprints(&plan),
        from_pods,
        "quickstart on apache-operator"
    );
}

/// The quickstart committed with one more job, then a pull request that re-runs
/// nightly-etl (`spark.sql.shuffle.partitions` "400" → "800"), doubles daily-revenue's
/// executors (scheduled), changes sessionize's time to live (no runtime effect), adds a
/// one-shot job (starts now) and deletes one (stops).
fn pull_request() -> Project {
    let p = example("quickstart");
    let root = p.path();
    p.write(
        "jobs/etl/old-export.yaml",
        crate::harness::job("old-export").replace("namespace: data", "namespace: spark-prod"),
    );
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["config", "user.email", "ci@example.com"]);
    git(root, &["config", "user.name", "CI"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "base"]);
    let edit = |rel: &str, from: &str, to: &str| {
        let path = root.join(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{rel}: {from}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    };
    edit("jobs/etl/nightly-etl.yaml", "\"400\"", "\"800\"");
    edit(
        "jobs/reports/daily-revenue.yaml",
        "instances: 3",
        "instances: 6",
    );
    edit(
        "jobs/sessionize.yaml",
        "  target: operator\n",
        "  target: operator\n  timeToLiveSeconds: 3600\n",
    );
    std::fs::remove_file(root.join("jobs/etl/old-export.yaml")).unwrap();
    p.write(
        "jobs/etl/backfill.yaml",
        crate::harness::job("backfill").replace("namespace: data", "namespace: spark-prod"),
    );
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "the change"]);
    p
}

#[test]
fn plan_of_a_pull_request_as_a_markdown_comment() {
    let p = pull_request();
    let out = run(sparkc().arg("-C").arg(p.path()).args([
        "plan",
        "--base",
        "HEAD~1",
        "--env",
        "prod",
        "--format",
        "markdown",
        "--at",
        "2026-01-01T00:00:00Z",
    ]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    insta::assert_snapshot!("plan_markdown", out.stdout);
    let plan = plan_json(&p, &["--base", "HEAD~1", "--env", "prod"]);
    let by_name = |n: &str| {
        plan["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["name"] == n)
            .unwrap()
            .clone()
    };
    let etl = by_name("nightly-etl");
    assert_eq!(
        (etl["status"].as_str(), etl["runtime"].as_str()),
        (Some("changed"), Some("reruns-now"))
    );
    // One re-run with one changed field.
    assert_eq!(
        etl["fields"],
        serde_json::json!([{"path": "spec.sparkConf.spark.sql.shuffle.partitions", "old": "400", "new": "800"}])
    );
    let objects = etl["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 1, "{objects:#?}");
    assert_eq!(
        (objects[0]["kind"].as_str(), objects[0]["effect"].as_str()),
        (Some("Job"), Some("rerun"))
    );
    let revenue = by_name("daily-revenue");
    assert_eq!(revenue["runtime"], "next-run");
    // 03:00 in Berlin is 02:00 UTC in winter.
    assert_eq!(revenue["nextRun"], "2026-01-01T02:00:00Z");
    assert_eq!(revenue["runsPerWeek"], 7);
    assert_eq!(by_name("sessionize")["runtime"], "none");
    assert_eq!(by_name("backfill")["runtime"], "starts-now");
    assert_eq!(by_name("old-export")["runtime"], "stops");
    assert_eq!(by_name("feature-build")["status"], "unchanged");
    // Without a base: the whole project, every job created.
    let whole = plan_json(&p, &["--env", "prod"]);
    assert_eq!(whole["summary"]["created"], 5, "{whole:#}");
    // A ref that is not a commit, a time that is not one: usage errors.
    let out = run(&mut p.sparkc(&["plan", "--base", "nope"]));
    assert_eq!(out.code, 2);
    let out = run(&mut p.sparkc(&["plan", "--at", "tomorrow"]));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--at tomorrow"), "{}", out.stderr);
}

#[test]
fn diff_base_shows_a_re_run_as_one_change_with_its_field() {
    let p = pull_request();
    let out = run(&mut p.sparkc(&["diff", "--base", "HEAD~1", "--env", "prod"]));
    assert_eq!(out.code, 1);
    let etl: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains("nightly-etl"))
        .collect();
    assert_eq!(etl.len(), 3, "{}", out.stdout);
    assert!(
        etl[0].starts_with("Job/spark-prod/nightly-etl-")
            && etl[0].contains(" → nightly-etl-")
            && etl[0].contains("changed (rerun"),
        "{etl:?}"
    );
    let minus: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("-  ") || l.starts_with("- "))
        .collect();
    assert!(
        minus.contains(&"-        - spark.sql.shuffle.partitions=400"),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout
            .contains("Service/spark-prod/nightly-etl-driver-svc"),
        "{}",
        out.stdout
    );
}

#[test]
fn plan_reports_policy_findings_and_fails_on_their_errors() {
    let p = example("quickstart");
    let path = p.path().join("sparkc.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        format!(
            "{text}policies:\n  requiredLabels: [cost-center]\n  maxPerJob: {{executors: 5}}\n"
        ),
    )
    .unwrap();
    let out = run(&mut p.sparkc(&["plan", "--env", "prod", "--at", "2026-01-01T00:00:00Z"]));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .starts_with("plan: 4 created, 0 changed, 0 deleted, 0 unchanged"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("error: jobs/etl/nightly-etl.yaml:"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("the job's executor count is 10, over the policy's 5"),
        "{}",
        out.stdout
    );
    // render stops at them.
    let out = run(&mut p.sparkc(&["render", "--stdout"]));
    assert_eq!(out.code, 1);
}

/// The plan shown in README.md is what sparkc prints for the change it describes.
#[test]
fn readme_shows_the_real_plan() {
    let p = example("quickstart");
    let root = p.path();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["config", "user.email", "ci@example.com"]);
    git(root, &["config", "user.name", "CI"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "base"]);
    for (rel, from, to) in [
        ("jobs/etl/nightly-etl.yaml", "\"400\"", "\"800\""),
        (
            "jobs/reports/daily-revenue.yaml",
            "instances: 3",
            "instances: 6",
        ),
    ] {
        let path = root.join(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }
    git(root, &["commit", "-q", "-am", "change"]);
    let readme = std::fs::read_to_string(crate::harness::repo().join("README.md")).unwrap();
    let at = ["--at", "2026-01-01T00:00:00Z"];
    let human = run(p
        .sparkc(&["plan", "--base", "HEAD~1", "--env", "prod"])
        .args(at));
    assert_eq!(human.code, 0);
    assert!(
        readme.contains(&format!(
            "$ sparkc plan --base HEAD~1 --env prod --at 2026-01-01T00:00:00Z\n{}",
            human.stdout
        )),
        "README plan is stale:\n{}",
        human.stdout
    );
    let markdown = run(p
        .sparkc(&[
            "plan", "--base", "HEAD~1", "--env", "prod", "--format", "markdown",
        ])
        .args(at));
    assert!(
        readme.contains(&format!("````markdown\n{}````", markdown.stdout)),
        "README plan comment is stale:\n{}",
        markdown.stdout
    );
}
