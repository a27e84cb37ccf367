//! Spark's own Kubernetes scheduler backend on the rendered native jobs: the driver's real
//! rendered spark-submit command line (pyspark 3.5's spark-submit, client mode, as in the
//! driver container after the kubelet's expansion) runs against a recording API server
//! (`api`), and the executor pods Spark asks it to create are checked against what sparkc
//! rendered; every request is checked against the rendered Role.
//!
//! What it found on Spark 3.5.9 (fabric8 6.7.2), on every native job of the quickstart and
//! the all-fields fixture: the executor pods Spark builds are the ones sparkc intends, but
//! requested 1 MiB less memory than sparkc planned wherever the overhead is computed from a
//! factor (Spark truncates `factor x heap`; `spark::memory` now does too, but for the native
//! driver pod, which sparkc writes and whose figure it keeps so upgrades re-run nothing). The
//! driver calls get, list, watch, create, delete (the failed executor) and deletecollection
//! on pods; create and deletecollection on configmaps; list and deletecollection on
//! persistentvolumeclaims; deletecollection on services: exactly the default grants of the
//! rendered Role, none unused. The optional grants are opened by settings (`spark::
//! driver_api`); a job written here for them (`optional-paths`: ended executors kept, claims
//! created per executor) used `patch` on pods (the failed executor labelled inactive) and
//! `create` on claims, and left `delete` and `deletecollection` on pods and
//! `deletecollection` on configmaps unused: with ended executors kept, Spark 3.5 removes
//! neither pods nor its ConfigMap at stop, and an allocator timeout or a scale-down (which
//! remove pods by label) did not happen. The StatefulSet allocator is not run.

mod api;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};

use crate::harness::{EVERY_JOB, Project, repo, run, sparkc, tool_missing};
use api::ApiServer;

/// The objects of one rendered native job that the run needs.
struct Rendered {
    job: String,
    namespace: String,
    /// The driver pod as the kubelet would run it: name, labels, spec.
    driver_name: String,
    driver_labels: Json,
    driver_spec: Json,
    service: Json,
    /// The Role's rules (`None` when the job names an existing account).
    role: Option<Json>,
    executor_template: String,
    /// What sparkc computed for one executor: CPU in millicores and memory in MiB.
    executor_cpu_millis: u64,
    executor_memory_mib: u64,
}

fn stream(project: &Path, args: &[&str]) -> String {
    let out = run(sparkc().arg("-C").arg(project).args(args));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    out.stdout
}

/// Every native job of `project` in `env`, as rendered, with sparkc's executor sizes.
fn rendered(project: &Path, env: &str, jobs: &[&str]) -> Vec<Rendered> {
    let docs: Vec<Json> =
        serde_saphyr::from_multiple(&stream(project, &["render", "--stdout", "--env", env]))
            .unwrap();
    let plan: Json = serde_json::from_str(&stream(
        project,
        &["plan", "--format", "json", "--env", env],
    ))
    .unwrap();
    let of = |kind: &str, job: &str| {
        docs.iter()
            .find(|d| d["kind"] == kind && d["metadata"]["labels"]["app.kubernetes.io/name"] == job)
    };
    let mut out = Vec::new();
    for job in jobs {
        let Some(workload) = ["Job", "CronJob", "Pod"].iter().find_map(|k| of(k, job)) else {
            continue; // an operator job
        };
        let name = workload["metadata"]["name"].as_str().unwrap();
        // The pod the Job (or the CronJob's Job) creates gets a generated suffix.
        let (driver_name, template) = match workload["kind"].as_str().unwrap() {
            "Job" => (format!("{name}-x7k2p"), &workload["spec"]["template"]),
            "CronJob" => (
                format!("{name}-29000000-x7k2p"),
                &workload["spec"]["jobTemplate"]["spec"]["template"],
            ),
            _ => (name.to_owned(), workload),
        };
        let sizes = plan["plan"]["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["name"] == *job)
            .unwrap();
        let cm = of("ConfigMap", job).unwrap();
        out.push(Rendered {
            job: (*job).to_owned(),
            namespace: workload["metadata"]["namespace"]
                .as_str()
                .unwrap()
                .to_owned(),
            driver_name,
            driver_labels: template["metadata"]["labels"].clone(),
            driver_spec: template["spec"].clone(),
            service: of("Service", job).unwrap().clone(),
            role: of("Role", job).map(|r| r["rules"].clone()),
            executor_template: cm["data"]["executor-pod-template.yaml"]
                .as_str()
                .unwrap()
                .to_owned(),
            executor_cpu_millis: sizes["after"]["executor"]["cpuMillis"].as_u64().unwrap(),
            executor_memory_mib: sizes["after"]["executor"]["memoryMib"].as_u64().unwrap(),
        });
    }
    out
}

/// A free local port (for the driver's RPC and block manager servers).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The application that replaces the job's: it starts a SparkContext (which starts the
/// Kubernetes backend and its executor allocation) and stops it once the test has seen the
/// executors it expects created.
const APP: &str = "import os, time\n\
from pyspark.sql import SparkSession\n\
spark = SparkSession.builder.getOrCreate()\n\
while not os.path.exists(os.environ['SPARKC_TEST_RELEASE']):\n    time.sleep(0.1)\n\
spark.stop()\n";

/// One run of a job's driver against the recording server.
struct Run {
    /// The `--conf` values as spark-submit received them (after the substitutions).
    conf: BTreeMap<String, String>,
    /// The `--conf` values as rendered.
    rendered_conf: BTreeMap<String, String>,
    requests: Vec<api::Request>,
    executors: Vec<Json>,
    /// The executor pod the test failed.
    failed: Option<String>,
    /// How many executors the driver asks for at start (a replacement comes on top).
    expected_executors: usize,
    log: String,
}

fn confs(args: &[String]) -> BTreeMap<String, String> {
    args.windows(2)
        .filter(|w| w[0] == "--conf")
        .filter_map(|w| w[1].split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn set_conf(args: &mut Vec<String>, key: &str, value: &str) {
    let prefix = format!("{key}=");
    match args.iter().position(|a| a.starts_with(&prefix)) {
        Some(i) => args[i] = format!("{prefix}{value}"),
        None => {
            // Before the application: the first argument that is not an option or its value.
            let app = application(args);
            args.splice(app..app, ["--conf".to_owned(), format!("{prefix}{value}")]);
        }
    }
}

/// The index of the application (spark-submit's primary resource): sparkc writes every
/// option with a value, so it is the first argument after the option pairs.
fn application(args: &[String]) -> usize {
    let mut i = 0;
    while args[i].starts_with("--") {
        i += 2;
    }
    i
}

/// How many executors the driver asks for at start: `spark.executor.instances` (default
/// 1), or with dynamic allocation the largest of it, the initial and the minimum count.
fn expected_executors(conf: &BTreeMap<String, String>) -> usize {
    let get = |k: &str| conf.get(k).map(|v| v.parse::<usize>().unwrap());
    if conf
        .get("spark.dynamicAllocation.enabled")
        .is_some_and(|v| v == "true")
    {
        [
            get("spark.dynamicAllocation.initialExecutors"),
            get("spark.dynamicAllocation.minExecutors"),
            get("spark.executor.instances"),
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(0)
    } else {
        get("spark.executor.instances").unwrap_or(1)
    }
}

fn driver_pod(r: &Rendered) -> Json {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": r.driver_name,
            "namespace": r.namespace,
            "uid": format!("driver-uid-{}", r.job),
            "resourceVersion": "1",
            "labels": r.driver_labels,
        },
        "spec": r.driver_spec,
        "status": {
            "phase": "Running",
            "podIP": "127.0.0.1",
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    })
}

fn run_driver(spark_home: &str, r: &Rendered) -> Run {
    let server = ApiServer::start(&r.namespace, vec![("pods", driver_pod(r))]);
    let dir = tempfile::tempdir().unwrap();
    let c = &r.driver_spec["containers"][0];
    // What the container receives, after the kubelet's expansion; the pod's IP is
    // replaced by the loopback address (substitution: the driver listens there).
    let mut args = crate::harness::expanded_args(c, &r.driver_name, "127.0.0.1");
    let rendered_conf = confs(&args);
    // Substitution: the master URL names the recording server (plain HTTP).
    let master = args.iter().position(|a| a == "--master").unwrap();
    args[master + 1] = format!("k8s://http://{}", server.addr);
    // Substitution: the exporter agent jar exists only in the image (the JVM would refuse
    // to start).
    if let Some(i) = args.iter().position(|a| a == "--driver-java-options") {
        args[i + 1] = args[i + 1]
            .split(' ')
            .filter(|o| !o.starts_with("-javaagent:"))
            .collect::<Vec<_>>()
            .join(" ");
    }
    // Substitution: Maven coordinates would be resolved over the network, and the main
    // class belongs to the application replaced below.
    for flag in [
        "--packages",
        "--exclude-packages",
        "--repositories",
        "--class",
    ] {
        if let Some(i) = args.iter().position(|a| a == flag) {
            args.drain(i..i + 2);
        }
    }
    // Substitution: the application is the small Python script `APP` (the job's own
    // arguments stay).
    let script = dir.path().join("app.py");
    std::fs::write(&script, APP).unwrap();
    let app = application(&args);
    args[app] = script.display().to_string();
    // Substitution: the executor pod template is read from the rendered ConfigMap's
    // data, written to a file, instead of the ConfigMap mounted in the driver pod.
    let template = dir.path().join("executor-pod-template.yaml");
    std::fs::write(&template, &r.executor_template).unwrap();
    set_conf(
        &mut args,
        "spark.kubernetes.executor.podTemplateFile",
        &template.display().to_string(),
    );
    // Substitution: free local ports for the driver's servers (other jobs of this test and
    // other programs run on this machine); no UI.
    let driver_port = free_port();
    set_conf(&mut args, "spark.driver.port", &driver_port.to_string());
    set_conf(
        &mut args,
        "spark.driver.blockManager.port",
        &free_port().to_string(),
    );
    set_conf(&mut args, "spark.ui.enabled", "false");
    // Substitution: an event log (when the job writes one) goes to a temporary folder.
    let events = dir.path().join("events");
    std::fs::create_dir(&events).unwrap();
    set_conf(
        &mut args,
        "spark.eventLog.dir",
        &format!("file://{}", events.display()),
    );
    // Added: the scheduler does not wait for executors to register (none ever runs).
    set_conf(
        &mut args,
        "spark.scheduler.minRegisteredResourcesRatio",
        "0",
    );
    set_conf(
        &mut args,
        "spark.scheduler.maxRegisteredResourcesWaitingTime",
        "0s",
    );
    let conf = confs(&args);
    let expected = expected_executors(&conf);

    let release = dir.path().join("release");
    let log_path = dir.path().join("log");
    let log_file = std::fs::File::create(&log_path).unwrap();
    let mut child: Child = Command::new(format!("{spark_home}/bin/spark-submit"))
        .args(&args)
        .env("SPARK_HOME", spark_home)
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .env("SPARKC_TEST_RELEASE", &release)
        // A faster JVM start (the C1 compiler only): speed only, nothing Spark reads.
        .env("JAVA_TOOL_OPTIONS", "-XX:TieredStopAtLevel=1")
        // No kubeconfig or proxy of this machine reaches the client.
        .env("KUBECONFIG", dir.path().join("no-kubeconfig"))
        .env_remove("PYSPARK_SUBMIT_ARGS")
        .env_remove("SPARK_CONF_DIR")
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().unwrap())
        .stderr(log_file)
        .spawn()
        .unwrap();
    // Waits for the executors the driver should ask for, fails the first one (the
    // executor-loss path: Spark deletes the pod, or labels it inactive when ended pods are
    // kept, and asks for a replacement), and waits for that and the replacement. A guard against a hang, not a timing assertion: what
    // happened is checked after the run.
    let created = |requests: &[api::Request]| {
        requests
            .iter()
            .filter(|q| q.method == "POST" && q.path.ends_with("/pods"))
            .count()
    };
    let start = Instant::now();
    let mut exited = false;
    let mut give_up = || {
        exited = exited || child.try_wait().unwrap().is_some();
        exited || start.elapsed() > Duration::from_secs(180)
    };
    server.wait_until(|requests| created(requests) >= expected, &mut give_up);
    let failed = server
        .created("pods")
        .first()
        .map(|p| p["metadata"]["name"].as_str().unwrap().to_owned());
    if let Some(failed) = &failed {
        server.fail_pod(failed);
        let deleted = format!("/pods/{failed}");
        server.wait_until(
            |requests| {
                created(requests) > expected
                    && requests.iter().any(|q| {
                        matches!(q.method.as_str(), "DELETE" | "PATCH")
                            && q.path.ends_with(&deleted)
                    })
            },
            &mut give_up,
        );
    }
    std::fs::write(&release, "").unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(120) {
            child.kill().unwrap();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let requests = server.requests();
    let executors = server.created("pods");
    drop(server);
    Run {
        conf,
        rendered_conf,
        requests,
        executors,
        failed,
        expected_executors: expected,
        log: std::fs::read_to_string(&log_path).unwrap_or_default(),
    }
}

fn spark_home() -> String {
    let home = Command::new("python3")
        .args([
            "-c",
            "import pyspark, os; print(os.path.dirname(pyspark.__file__))",
        ])
        .output();
    match home
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    {
        Some(h) if Path::new(&h).join("bin/spark-submit").exists() => h,
        _ => tool_missing("pyspark 3.5 (PyPI) with Java 17"),
    }
}

/// A valid pod name: a DNS-1123 label (at most 63 characters).
fn dns_label(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// Millicores of a Kubernetes CPU quantity (`1800m`, `2`, `0.5`).
fn millicores(q: &str) -> u64 {
    match q.strip_suffix('m') {
        Some(m) => m.parse().unwrap(),
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        None => (q.parse::<f64>().unwrap() * 1000.0).round() as u64,
    }
}

/// Checks one executor pod against what sparkc rendered; returns the problems.
fn check_executor(r: &Rendered, run: &Run, pod: &Json, out: &mut Vec<String>) {
    let name = pod["metadata"]["name"].as_str().unwrap_or("");
    let mut fail = |what: String| out.push(format!("{}: {name}: {what}", r.job));
    if !dns_label(name) {
        fail("the name is not a DNS-1123 label of at most 63 characters".into());
    }
    let owners = &pod["metadata"]["ownerReferences"];
    let owned = owners.as_array().is_some_and(|o| {
        o.iter().any(|o| {
            o["kind"] == "Pod"
                && o["apiVersion"] == "v1"
                && o["name"] == r.driver_name
                && o["uid"] == format!("driver-uid-{}", r.job)
                && o["controller"] == true
        })
    });
    if !owned {
        fail(format!("not owned by the driver pod: {owners}"));
    }
    // Labels: Spark's role label and sparkc's (through spark.kubernetes.executor.label.*).
    let labels = &pod["metadata"]["labels"];
    if labels["spark-role"] != "executor" {
        fail(format!("spark-role is {}", labels["spark-role"]));
    }
    for (k, v) in &run.rendered_conf {
        if let Some(label) = k.strip_prefix("spark.kubernetes.executor.label.")
            && labels[label] != v.as_str()
        {
            fail(format!("label {label} is {}, rendered {v}", labels[label]));
        }
    }
    for key in [
        "app.kubernetes.io/name",
        "sparkc.io/job",
        "sparkc.io/environment",
    ] {
        if labels[key].is_null() {
            fail(format!("no {key} label"));
        }
    }
    let selector = r.service["spec"]["selector"].as_object().unwrap();
    if selector.iter().all(|(k, v)| &labels[k] == v) {
        fail(format!(
            "the driver Service's selector {selector:?} matches it"
        ));
    }
    let spec = &pod["spec"];
    let containers = spec["containers"].as_array().cloned().unwrap_or_default();
    let Some(main) = containers
        .iter()
        .find(|c| c["name"] == sparkc::names::EXECUTOR_CONTAINER)
    else {
        fail(format!(
            "no {} container",
            sparkc::names::EXECUTOR_CONTAINER
        ));
        return;
    };
    let image = run
        .conf
        .get("spark.kubernetes.executor.container.image")
        .or_else(|| run.conf.get("spark.kubernetes.container.image"));
    if main["image"].as_str() != image.map(String::as_str) {
        fail(format!("image {} (rendered {image:?})", main["image"]));
    }
    let policy = run
        .conf
        .get("spark.kubernetes.container.image.pullPolicy")
        .map_or("IfNotPresent", String::as_str);
    if main["imagePullPolicy"] != policy {
        fail(format!(
            "imagePullPolicy {} (rendered {policy})",
            main["imagePullPolicy"]
        ));
    }
    let secrets: Vec<Json> = run
        .conf
        .get("spark.kubernetes.container.image.pullSecrets")
        .map(|s| s.split(',').map(|n| json!({"name": n})).collect())
        .unwrap_or_default();
    let got_secrets = spec["imagePullSecrets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if got_secrets != secrets {
        fail(format!(
            "imagePullSecrets {got_secrets:?}, rendered {secrets:?}"
        ));
    }
    // Resources exactly as sparkc computed them (`sparkc plan`): Spark sets the memory
    // limit to the request.
    let res = &main["resources"];
    let memory = format!("{}Mi", r.executor_memory_mib);
    if res["requests"]["memory"] != memory.as_str() || res["limits"]["memory"] != memory.as_str() {
        fail(format!("memory {res}, sparkc computed {memory}"));
    }
    let cpu = res["requests"]["cpu"].as_str().map(millicores);
    if cpu != Some(r.executor_cpu_millis) {
        fail(format!(
            "cpu request {res}, sparkc computed {}m",
            r.executor_cpu_millis
        ));
    }
    let limit = run.conf.get("spark.kubernetes.executor.limit.cores");
    if res["limits"]["cpu"].as_str() != limit.map(String::as_str) {
        fail(format!("cpu limit {res}, rendered {limit:?}"));
    }
    if let (Some(vendor), Some(amount)) = (
        run.conf.get("spark.executor.resource.gpu.vendor"),
        run.conf.get("spark.executor.resource.gpu.amount"),
    ) && res["limits"][format!("{vendor}/gpu")] != amount.as_str()
    {
        fail(format!("gpu limit {res}, rendered {vendor}/gpu: {amount}"));
    }
    // The driver's address: the rendered host (the headless Service's DNS name) and port
    // (here the substituted free port).
    let url = main["env"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["name"] == "SPARK_DRIVER_URL")
        .map(|e| e["value"].clone());
    let host = &run.rendered_conf["spark.driver.host"];
    let want = format!(
        "spark://CoarseGrainedScheduler@{host}:{}",
        run.conf["spark.driver.port"]
    );
    if url.as_ref().and_then(Json::as_str) != Some(want.as_str()) {
        fail(format!("SPARK_DRIVER_URL {url:?}, want {want}"));
    }
    // The executor pod template, merged in.
    let template: Json = serde_saphyr::from_str(&r.executor_template).unwrap();
    let t = &template["spec"];
    for (key, value) in t.as_object().unwrap() {
        match key.as_str() {
            "containers" => {
                for tc in value.as_array().unwrap() {
                    let Some(pc) = containers.iter().find(|c| c["name"] == tc["name"]) else {
                        fail(format!("container {} of the template missing", tc["name"]));
                        continue;
                    };
                    for (k, v) in tc.as_object().unwrap() {
                        let got = &pc[k];
                        let ok = match (v, got) {
                            // Spark adds its own env, mounts, ports and resources.
                            (Json::Array(want), Json::Array(got)) => {
                                want.iter().all(|w| got.contains(w))
                            }
                            (Json::Object(want), Json::Object(_)) if k == "resources" => {
                                want.iter().all(|(kind, m)| {
                                    m.as_object()
                                        .unwrap()
                                        .iter()
                                        .all(|(r, q)| &got[kind][r] == q)
                                })
                            }
                            _ => v == got,
                        };
                        if !ok {
                            fail(format!(
                                "container {}: {k} is {got}, template {v}",
                                tc["name"]
                            ));
                        }
                    }
                }
            }
            // Spark adds its own volumes (local dirs, its configuration).
            "volumes" => {
                let got = spec["volumes"].as_array().cloned().unwrap_or_default();
                for v in value.as_array().unwrap() {
                    if !got.contains(v) {
                        fail(format!("volume {v} of the template missing"));
                    }
                }
            }
            // Spark adds spark.kubernetes.node.selector.* (sparkc sets none for native).
            _ => {
                if &spec[key] != value {
                    fail(format!("{key} is {}, template {value}", spec[key]));
                }
            }
        }
    }
    if spec["automountServiceAccountToken"] != false {
        fail("an API token is mounted".into());
    }
    let account = run
        .conf
        .get("spark.kubernetes.authenticate.executor.serviceAccountName");
    if spec["serviceAccountName"].as_str() != account.map(String::as_str) {
        fail(format!(
            "serviceAccountName {}, rendered {account:?}",
            spec["serviceAccountName"]
        ));
    }
    // Every container (init containers too) in the restricted profile's security context
    // unless the job sets its own.
    for c in containers
        .iter()
        .chain(spec["initContainers"].as_array().into_iter().flatten())
    {
        let sc = &c["securityContext"];
        if sc["allowPrivilegeEscalation"] != false || sc["capabilities"]["drop"] != json!(["ALL"]) {
            fail(format!("container {}: securityContext {sc}", c["name"]));
        }
    }
}

/// The (verb, (group, resource)) pairs a Role grants.
fn grants(rules: &Json) -> BTreeSet<(String, (String, String))> {
    let mut out = BTreeSet::new();
    for rule in rules.as_array().unwrap() {
        for g in rule["apiGroups"].as_array().unwrap() {
            for res in rule["resources"].as_array().unwrap() {
                for v in rule["verbs"].as_array().unwrap() {
                    out.insert((
                        v.as_str().unwrap().to_owned(),
                        (
                            g.as_str().unwrap().to_owned(),
                            res.as_str().unwrap().to_owned(),
                        ),
                    ));
                }
            }
        }
    }
    out
}

fn show((verb, (group, resource)): &(String, (String, String))) -> String {
    if group.is_empty() {
        format!("{verb} {resource}")
    } else {
        format!("{verb} {group}/{resource}")
    }
}

/// Runs Spark 3.5's Kubernetes scheduler backend (pyspark's spark-submit, client mode) on
/// the driver command line of every native job of the quickstart and the all-fields
/// fixture, against a recording API server, and checks the executor pods it creates and the
/// API calls it makes against what sparkc rendered.
#[test]
#[cfg_attr(
    not(any(ci, tool_spark_submit)),
    ignore = "needs pyspark 3.5 (pip install 'pyspark>=3.5,<3.6') and Java 17"
)]
fn spark_builds_the_rendered_executors_with_only_the_roles_grants() {
    let spark_home = spark_home();
    let jobs: Vec<Rendered> = EVERY_JOB
        .iter()
        .flat_map(|(project, env, jobs)| rendered(&repo().join(project), env, jobs))
        .collect();
    assert_eq!(jobs.len(), 6, "every native job");
    // And one job that opens the Role's optional paths a cluster-mode-free run can take:
    // ended executor pods kept (labelled through a patch), claims created per executor.
    let optional = Project::new();
    optional.write(
        "jobs/optional-paths.yaml",
        "apiVersion: sparkc.io/v1alpha1\nkind: SparkJob\nmetadata: {name: optional-paths, namespace: data}\nspec:\n  image: apache/spark:3.5.3\n  sparkVersion: \"3.5.3\"\n  mainApplicationFile: local:///opt/app/main.py\n  executor: {instances: 2, deleteOnTermination: false}\n  sparkConf:\n    spark.kubernetes.executor.volumes.persistentVolumeClaim.data.options.claimName: OnDemand\n    spark.kubernetes.executor.volumes.persistentVolumeClaim.data.options.storageClass: standard\n    spark.kubernetes.executor.volumes.persistentVolumeClaim.data.options.sizeLimit: 10Gi\n    spark.kubernetes.executor.volumes.persistentVolumeClaim.data.mount.path: /data\n",
    );
    let jobs: Vec<Rendered> = jobs
        .into_iter()
        .chain(rendered(optional.path(), "default", &["optional-paths"]))
        .collect();
    let runs: Vec<Run> = std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .iter()
            .map(|r| s.spawn(|| run_driver(&spark_home, r)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut problems = Vec::new();
    let mut unused_report = Vec::new();
    for (r, run) in jobs.iter().zip(&runs) {
        let before = problems.len();
        // The executors asked for at start, and one replacing the failed one.
        if run.executors.len() != run.expected_executors + 1 {
            problems.push(format!(
                "{}: {} executor pods created, expected {} and a replacement",
                r.job,
                run.executors.len(),
                run.expected_executors
            ));
        }
        // Spark deletes an ended executor pod, or labels it (a patch) when they are kept.
        let keeps = run
            .rendered_conf
            .get("spark.kubernetes.executor.deleteOnTermination")
            .is_some_and(|v| v == "false");
        let method = if keeps { "PATCH" } else { "DELETE" };
        let removed = run.failed.as_ref().is_some_and(|f| {
            run.requests
                .iter()
                .any(|q| q.method == method && q.path.ends_with(&format!("/pods/{f}")))
        });
        if !removed {
            problems.push(format!(
                "{}: no {method} of the failed executor pod {:?}",
                r.job, run.failed
            ));
        }
        for pod in &run.executors {
            check_executor(r, run, pod, &mut problems);
        }
        let used: BTreeSet<_> = run
            .requests
            .iter()
            .map(|q| {
                let in_namespace = q.path.contains(&format!("/namespaces/{}/", r.namespace));
                (q.rbac().filter(|_| in_namespace), q)
            })
            .filter_map(|(rbac, q)| {
                if rbac.is_none() {
                    problems.push(format!(
                        "{}: {} {} is not a request in the job's namespace",
                        r.job, q.method, q.path
                    ));
                }
                rbac
            })
            .collect();
        if let Some(rules) = &r.role {
            let granted = grants(rules);
            for u in used.difference(&granted) {
                problems.push(format!(
                    "{}: the driver used {}, not granted",
                    r.job,
                    show(u)
                ));
            }
            let unused: Vec<String> = granted.difference(&used).map(show).collect();
            unused_report.push(format!(
                "{}: used {}; granted, not used: {}",
                r.job,
                used.iter().map(show).collect::<Vec<_>>().join(", "),
                if unused.is_empty() {
                    "none".to_owned()
                } else {
                    unused.join(", ")
                }
            ));
        } else {
            unused_report.push(format!(
                "{}: runs as an existing account (no Role rendered); used {}",
                r.job,
                used.iter().map(show).collect::<Vec<_>>().join(", ")
            ));
        }
        if r.job == "optional-paths" {
            for opened in [
                ("patch".to_owned(), (String::new(), "pods".to_owned())),
                (
                    "create".to_owned(),
                    (String::new(), "persistentvolumeclaims".to_owned()),
                ),
            ] {
                if !used.contains(&opened) {
                    problems.push(format!("{}: never used {}", r.job, show(&opened)));
                }
            }
        }
        if problems.len() > before {
            problems.push(format!("{}: driver log:\n{}", r.job, run.log));
        }
    }
    eprintln!("{}", unused_report.join("\n"));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
