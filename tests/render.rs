use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value as Json;

use crate::harness::{JOB_HEAD, Project, repo, run, sparkc, tool_missing};

/// Renders a project to one YAML stream and parses it into objects.
fn render(dir: &std::path::Path, args: &[&str]) -> (String, Vec<Json>) {
    let out = run(sparkc()
        .arg("-C")
        .arg(dir)
        .args(["render", "--stdout"])
        .args(args));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let docs = parse_stream(&out.stdout);
    (out.stdout, docs)
}

fn parse_stream(text: &str) -> Vec<Json> {
    let docs: Vec<serde_json::Value> =
        serde_saphyr::from_multiple(text).expect("the stream parses");
    docs.into_iter().filter(|d| !d.is_null()).collect()
}

fn kind<'a>(docs: &'a [Json], kind: &str) -> Vec<&'a Json> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

fn str_map(v: &Json) -> BTreeMap<String, String> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// The driver pod (template) of a job's workload.
fn driver_pod(workload: &Json) -> (BTreeMap<String, String>, &Json) {
    match workload["kind"].as_str().unwrap() {
        "Job" => (
            str_map(&workload["spec"]["template"]["metadata"]["labels"]),
            &workload["spec"]["template"]["spec"],
        ),
        "CronJob" => {
            let t = &workload["spec"]["jobTemplate"]["spec"]["template"];
            (str_map(&t["metadata"]["labels"]), &t["spec"])
        }
        "Pod" => (str_map(&workload["metadata"]["labels"]), &workload["spec"]),
        other => panic!("not a workload: {other}"),
    }
}

/// The `--conf` values of a spark-submit argument list.
fn confs(args: &[Json]) -> BTreeMap<String, String> {
    let args: Vec<&str> = args.iter().map(|a| a.as_str().unwrap()).collect();
    args.windows(2)
        .filter(|w| w[0] == "--conf")
        .map(|w| {
            let (k, v) = w[1].split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

#[test]
fn quickstart_snapshot() {
    let (text, docs) = render(&repo().join("examples/quickstart"), &[]);
    assert_eq!(
        docs.len(),
        44,
        "(3 native jobs x 6 objects + 1 operator job x 4) x 2 environments"
    );
    insta::assert_snapshot!("quickstart_render", text);
}

#[test]
#[cfg_attr(
    not(any(ci, tool_kubernetes_validate)),
    ignore = "needs kubernetes-validate (pip install kubernetes-validate)"
)]
fn every_object_passes_the_kubernetes_schema_in_an_independent_validator() {
    let found = Command::new("kubernetes-validate")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        tool_missing("kubernetes-validate (PyPI)");
    }
    for project in ["examples/quickstart", "tests/fixtures/all-fields"] {
        let (_, docs) = render(&repo().join(project), &[]);
        // kubernetes-validate knows the built-in kinds; the operator's kinds are checked
        // against their CRDs in the operator tests.
        let docs: Vec<Json> = docs
            .into_iter()
            .filter(|d| {
                !d["apiVersion"]
                    .as_str()
                    .unwrap()
                    .starts_with("sparkoperator.k8s.io/")
            })
            .collect();
        let text: String = docs
            .iter()
            .map(|d| format!("---\n{}\n", serde_json::to_string(d).unwrap()))
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("all.yaml");
        std::fs::write(&file, &text).unwrap();
        let out = Command::new("kubernetes-validate")
            .args(["--strict", "-k", "1.30.0"])
            .arg(&file)
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{project}: {log}");
        assert_eq!(
            log.matches("passed for resource").count(),
            docs.len(),
            "{project}: {log}"
        );
        // The executor pod templates (in the ConfigMaps) are Pods too.
        for cm in kind(&docs, "ConfigMap") {
            let template = cm["data"]["executor-pod-template.yaml"].as_str().unwrap();
            let pod_file = dir.path().join("pod.yaml");
            let mut pod: Json = serde_saphyr::from_str(template).unwrap();
            pod["metadata"]["name"] = "executor".into();
            std::fs::write(&pod_file, serde_json::to_string(&pod).unwrap()).unwrap();
            let out = Command::new("kubernetes-validate")
                .args(["--strict", "-k", "1.30.0"])
                .arg(&pod_file)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}{}\n{template}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn all_fields_fixture_renders_every_workload() {
    let (_, docs) = render(&repo().join("tests/fixtures/all-fields"), &[]);
    assert_eq!(kind(&docs, "Job").len(), 1);
    assert_eq!(kind(&docs, "CronJob").len(), 1);
    assert_eq!(kind(&docs, "Pod").len(), 1);
    // The scheduled job names an existing account: no RBAC for it.
    assert!(
        docs.iter()
            .all(|d| d["metadata"]["name"] != "scheduled-spark")
    );
    let cron = kind(&docs, "CronJob")[0];
    assert_eq!(cron["spec"]["schedule"], "30 2 * * 1-5");
    assert_eq!(cron["spec"]["timeZone"], "America/New_York");
    assert_eq!(cron["spec"]["concurrencyPolicy"], "Replace");
    assert_eq!(cron["spec"]["suspend"], true);
    assert_eq!(cron["spec"]["successfulJobsHistoryLimit"], 5);
    assert_eq!(cron["spec"]["failedJobsHistoryLimit"], 2);
    assert_eq!(
        cron["spec"]["jobTemplate"]["spec"]["ttlSecondsAfterFinished"],
        600
    );
    let (_, pod) = driver_pod(cron);
    assert_eq!(pod["serviceAccountName"], "spark-shared");
    let job = kind(&docs, "Job")[0];
    assert_eq!(
        job["spec"]["backoffLimit"], 3,
        "restartPolicy.onFailureRetries"
    );
    assert_eq!(job["spec"]["ttlSecondsAfterFinished"], 3600);
    let (labels, pod) = driver_pod(job);
    assert_eq!(
        labels["from-template"], "yes",
        "the driver template's labels are kept"
    );
    assert_eq!(pod["restartPolicy"], "Never");
    assert_eq!(
        pod["enableServiceLinks"], false,
        "the driver template's fields are kept"
    );
    let c = &pod["containers"][0];
    assert_eq!(c["terminationMessagePolicy"], "FallbackToLogsOnError");
    // Driver container sized by sparkc: 3g heap + 1g overhead; limit from memoryLimit.
    assert_eq!(c["resources"]["requests"]["memory"], "4096Mi");
    assert_eq!(c["resources"]["requests"]["cpu"], "1500m");
    assert_eq!(c["resources"]["limits"]["memory"], "5Gi");
    assert_eq!(c["resources"]["limits"]["cpu"], "2500m");
    assert_eq!(c["resources"]["limits"]["nvidia.com/gpu"], "1");
    let conf = confs(c["args"].as_array().unwrap());
    assert_eq!(
        conf["spark.dynamicAllocation.shuffleTracking.enabled"],
        "true"
    );
    assert!(
        !conf.contains_key("spark.executor.instances"),
        "dynamic allocation sets the bounds instead"
    );
    assert_eq!(
        conf["spark.hadoop.fs.s3a.endpoint"],
        "http://minio.storage:9000"
    );
    assert_eq!(
        conf["spark.kubernetes.authenticate.executor.serviceAccountName"],
        "spark-executor"
    );
    assert!(
        conf["spark.executor.extraJavaOptions"]
            .starts_with("-javaagent:/prometheus/jmx_prometheus_javaagent.jar=8090:")
    );
    let args: Vec<&str> = c["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    for flag in [
        "--jars",
        "--py-files",
        "--files",
        "--archives",
        "--packages",
        "--exclude-packages",
        "--repositories",
        "--proxy-user",
        "--driver-java-options",
    ] {
        assert!(args.contains(&flag), "{flag}");
    }
    assert_eq!(
        &args[args.len() - 5..],
        [
            "local:///opt/app/main.py",
            "--date",
            "2026-01-01",
            "--mode",
            "full"
        ]
    );
}

/// The cross-references that make a native job run: checked on every rendered job.
#[test]
fn cross_references_hold() {
    for project in ["examples/quickstart", "tests/fixtures/all-fields"] {
        let (_, docs) = render(&repo().join(project), &[]);
        let workloads: Vec<&Json> = docs
            .iter()
            .filter(|d| matches!(d["kind"].as_str(), Some("Job" | "CronJob" | "Pod")))
            .collect();
        assert!(!workloads.is_empty());
        for w in workloads {
            let ns = w["metadata"]["namespace"].as_str().unwrap();
            let job = w["metadata"]["labels"]["app.kubernetes.io/name"]
                .as_str()
                .unwrap();
            let env = w["metadata"]["labels"]["sparkc.io/environment"]
                .as_str()
                .unwrap();
            let same_job = |d: &&Json| {
                d["metadata"]["labels"]["app.kubernetes.io/name"] == job
                    && d["metadata"]["labels"]["sparkc.io/environment"] == env
            };
            let services: Vec<&Json> = kind(&docs, "Service")
                .into_iter()
                .filter(same_job)
                .collect();
            assert_eq!(services.len(), 1, "{job}: one driver Service");
            let svc = services[0];
            let (pod_labels, pod) = driver_pod(w);
            let c = &pod["containers"][0];
            let conf = confs(c["args"].as_array().unwrap());
            // The Service selects the driver pod ...
            let selector = str_map(&svc["spec"]["selector"]);
            assert!(
                selector.iter().all(|(k, v)| pod_labels.get(k) == Some(v)),
                "{job}: selector {selector:?} vs {pod_labels:?}"
            );
            // ... and never an executor: executors carry these labels (from the conf) and spark-role=executor.
            let mut exec_labels: BTreeMap<String, String> = conf
                .iter()
                .filter_map(|(k, v)| {
                    k.strip_prefix("spark.kubernetes.executor.label.")
                        .map(|l| (l.to_owned(), v.clone()))
                })
                .collect();
            exec_labels.insert("spark-role".into(), "executor".into());
            assert!(
                !selector.iter().all(|(k, v)| exec_labels.get(k) == Some(v)),
                "{job}: selector matches executors"
            );
            // ... and never another job's driver.
            for other in kind(&docs, "Service")
                .into_iter()
                .filter(|s| s["metadata"]["namespace"] == ns && *s != svc)
            {
                assert_ne!(
                    str_map(&other["spec"]["selector"]),
                    selector,
                    "{job}: two Services share a selector"
                );
            }
            // spark.driver.host names that Service in that namespace.
            let svc_name = svc["metadata"]["name"].as_str().unwrap();
            assert_eq!(conf["spark.driver.host"], format!("{svc_name}.{ns}.svc"));
            assert_eq!(conf["spark.kubernetes.namespace"], ns);
            // The driver pod-name conf comes from the pod's own name.
            assert_eq!(
                conf["spark.kubernetes.driver.pod.name"],
                "$(SPARK_DRIVER_POD_NAME)"
            );
            let env_vars = c["env"].as_array().unwrap();
            let pod_name = env_vars
                .iter()
                .find(|e| e["name"] == "SPARK_DRIVER_POD_NAME")
                .unwrap();
            assert_eq!(
                pod_name["valueFrom"]["fieldRef"]["fieldPath"],
                "metadata.name"
            );
            let bind = env_vars
                .iter()
                .find(|e| e["name"] == "SPARK_DRIVER_BIND_ADDRESS")
                .unwrap();
            assert_eq!(bind["valueFrom"]["fieldRef"]["fieldPath"], "status.podIP");
            assert_eq!(
                conf["spark.driver.bindAddress"],
                "$(SPARK_DRIVER_BIND_ADDRESS)"
            );
            // Fixed ports, declared on the container and the Service.
            for (name, port) in [
                ("driver-rpc", 7078),
                ("blockmanager", 7079),
                ("spark-ui", 4040),
            ] {
                assert!(
                    c["ports"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|p| p["name"] == name && p["containerPort"] == port)
                );
                assert!(
                    svc["spec"]["ports"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|p| p["name"] == name && p["port"] == port)
                );
            }
            assert_eq!(conf["spark.driver.port"], "7078");
            assert_eq!(conf["spark.driver.blockManager.port"], "7079");
            assert_eq!(svc["spec"]["clusterIP"], "None");
            // The RoleBinding binds the account the pod runs as, to a Role with exactly what Spark needs.
            let sa = pod["serviceAccountName"].as_str().unwrap();
            if let Some(rb) = kind(&docs, "RoleBinding").into_iter().find(same_job) {
                assert_eq!(rb["subjects"][0]["name"], sa);
                assert_eq!(rb["subjects"][0]["namespace"], ns);
                let role = kind(&docs, "Role").into_iter().find(same_job).unwrap();
                assert_eq!(rb["roleRef"]["name"], role["metadata"]["name"]);
                // What Spark's Kubernetes backend calls on its default paths, no more.
                assert_eq!(
                    role["rules"],
                    serde_json::json!([
                        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch", "create", "delete", "deletecollection"]},
                        {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["create", "deletecollection"]},
                        {"apiGroups": [""], "resources": ["persistentvolumeclaims"], "verbs": ["list", "deletecollection"]},
                        {"apiGroups": [""], "resources": ["services"], "verbs": ["deletecollection"]},
                    ])
                );
                assert!(
                    kind(&docs, "ServiceAccount")
                        .into_iter()
                        .any(|s| s["metadata"]["name"] == sa)
                );
            }
            assert_eq!(pod["restartPolicy"], "Never");
            assert_eq!(pod["automountServiceAccountToken"], true);
            // The executor pod template is mounted where the conf says.
            let template = &conf["spark.kubernetes.executor.podTemplateFile"];
            let mount = c["volumeMounts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| template.starts_with(m["mountPath"].as_str().unwrap()))
                .unwrap();
            let volume = pod["volumes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|v| v["name"] == mount["name"])
                .unwrap();
            let cm = kind(&docs, "ConfigMap")
                .into_iter()
                .find(|c| {
                    c["metadata"]["name"] == volume["configMap"]["name"]
                        && c["metadata"]["namespace"] == ns
                })
                .unwrap();
            assert!(
                cm["data"]["executor-pod-template.yaml"]
                    .as_str()
                    .unwrap()
                    .contains("spark-kubernetes-executor")
            );
        }
    }
}

#[test]
fn restricted_security_defaults() {
    let (_, docs) = render(&repo().join("examples/quickstart"), &["--env", "dev"]);
    for w in kind(&docs, "Job").into_iter().chain(kind(&docs, "CronJob")) {
        let (_, pod) = driver_pod(w);
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
        assert_eq!(
            pod["securityContext"]["seccompProfile"]["type"],
            "RuntimeDefault"
        );
        let sc = &pod["containers"][0]["securityContext"];
        assert_eq!(sc["allowPrivilegeEscalation"], false);
        assert_eq!(sc["capabilities"]["drop"], serde_json::json!(["ALL"]));
    }
    for cm in kind(&docs, "ConfigMap") {
        let template: Json =
            serde_saphyr::from_str(cm["data"]["executor-pod-template.yaml"].as_str().unwrap())
                .unwrap();
        assert_eq!(template["spec"]["securityContext"]["runAsNonRoot"], true);
        assert_eq!(
            template["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"],
            false
        );
        assert_eq!(
            template["spec"]["automountServiceAccountToken"], false,
            "executors need no API token"
        );
    }
}

fn one_job(spec_extra: &str) -> Project {
    let p = Project::new();
    p.write(
        "jobs/a.yaml",
        format!("{JOB_HEAD}metadata: {{name: a, namespace: data}}\nspec:\n  image: apache/spark:3.5.3\n  sparkVersion: \"3.5.3\"\n  mainApplicationFile: local:///opt/app/main.py\n{spec_extra}"),
    );
    p
}

fn job_name(p: &Project) -> String {
    let (_, docs) = render(p.path(), &[]);
    kind(&docs, "Job")[0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn the_job_name_changes_exactly_when_what_runs_changes() {
    let base = job_name(&one_job(""));
    assert_eq!(base, job_name(&one_job("")), "same spec, same name");
    assert!(base.starts_with("a-") && base.len() == 10, "{base}");
    assert_ne!(
        base,
        job_name(&one_job("  rerun: \"2\"\n")),
        "rerun feeds the hash"
    );
    assert_ne!(
        base,
        job_name(&one_job("  arguments: [x]\n")),
        "a changed spec is a new Job"
    );
    assert_ne!(base, job_name(&one_job("  executor: {instances: 3}\n")));
}

/// A TTL-only edit is a patch of the live Job (`ttlSecondsAfterFinished` is mutable), so it
/// keeps the name; the deadline and everything the driver runs rename it.
#[test]
fn a_ttl_only_change_keeps_the_job_name_and_other_changes_rename_it() {
    let base = job_name(&one_job(""));
    let ttl = one_job("  timeToLiveSeconds: 600\n");
    assert_eq!(
        base,
        job_name(&ttl),
        "timeToLiveSeconds is not part of the run"
    );
    assert_eq!(base, job_name(&one_job("  timeToLiveSeconds: 7200\n")));
    let (_, docs) = render(ttl.path(), &[]);
    assert_eq!(
        kind(&docs, "Job")[0]["spec"]["ttlSecondsAfterFinished"],
        600
    );
    for other in [
        "  timeoutSeconds: 3600\n",
        "  timeToLiveSeconds: 600\n  timeoutSeconds: 3600\n",
        "  sparkConf: {spark.sql.shuffle.partitions: \"800\"}\n",
        "  driver: {memory: 3g}\n",
        "  restartPolicy: {type: OnFailure, onFailureRetries: 2}\n",
    ] {
        assert_ne!(base, job_name(&one_job(other)), "{other}");
    }
    // A job without TTL or deadline keeps the name it had before the TTL left the hash (an
    // upgrade of sparkc must not run every job again): the frozen quickstart render
    // (`tests/freeze.rs`) holds the names.
}

/// The driver Job is safe for batch: a retry waits for the failed driver pod to be gone,
/// and `timeoutSeconds` bounds the run on every workload and target.
#[test]
fn native_jobs_replace_failed_pods_only_and_every_target_renders_the_timeout() {
    let (_, docs) = render(one_job("").path(), &[]);
    let job = kind(&docs, "Job")[0];
    assert_eq!(job["spec"]["podReplacementPolicy"], "Failed");
    assert!(job["spec"].get("activeDeadlineSeconds").is_none());

    let timeout = "  timeoutSeconds: 5400\n";
    let (_, docs) = render(one_job(timeout).path(), &[]);
    let job = kind(&docs, "Job")[0];
    assert_eq!(job["spec"]["activeDeadlineSeconds"], 5400);
    assert!(
        job["spec"]["template"]["spec"]
            .get("activeDeadlineSeconds")
            .is_none(),
        "the Job's deadline covers its retries; the pod has none of its own"
    );

    let scheduled = format!("{timeout}  schedule: {{cron: \"0 3 * * *\"}}\n");
    let (_, docs) = render(one_job(&scheduled).path(), &[]);
    let spec = &kind(&docs, "CronJob")[0]["spec"]["jobTemplate"]["spec"];
    assert_eq!(spec["activeDeadlineSeconds"], 5400);
    assert_eq!(spec["podReplacementPolicy"], "Failed");

    let pod = format!("{timeout}  native: {{workload: Pod}}\n");
    let (_, docs) = render(one_job(&pod).path(), &[]);
    assert_eq!(kind(&docs, "Pod")[0]["spec"]["activeDeadlineSeconds"], 5400);

    let (_, docs) = render(
        one_job(&format!("{timeout}  target: operator\n")).path(),
        &[],
    );
    let app = kind(&docs, "SparkApplication")[0];
    assert_eq!(
        app["spec"]["driver"]["template"]["spec"]["activeDeadlineSeconds"],
        5400
    );
    assert!(app["spec"].get("timeoutSeconds").is_none());

    let (_, docs) = render(
        one_job(&format!("{timeout}  target: apache-operator\n")).path(),
        &[],
    );
    let app = kind(&docs, "SparkApplication")[0];
    assert_eq!(
        app["spec"]["driverSpec"]["podTemplateSpec"]["spec"]["activeDeadlineSeconds"],
        5400
    );

    // Before Spark 3.0 the operator has no driver pod template to carry it.
    let old = one_job(&format!("{timeout}  target: operator\n"));
    let spec = std::fs::read_to_string(old.path().join("jobs/a.yaml")).unwrap();
    old.write("jobs/a.yaml", spec.replace("\"3.5.3\"", "\"2.4.8\""));
    let out = run(&mut old.sparkc(&["validate", "--color", "never"]));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout.contains("jobs/a.yaml:")
            && out.stdout.contains(
                "spec.timeoutSeconds: `timeoutSeconds` goes into the driver's pod template"
            ),
        "{}",
        out.stdout
    );
}

#[test]
fn hostile_strings_round_trip() {
    let hostile = [
        "plain",
        "it's \"quoted\"",
        "line1\nline2\n",
        "---",
        "--- !!python/object:os.system",
        "{{ 7 * 7 }} {% raw %}",
        "$(HOME) and $$ and $",
        "&anchor *alias",
        "- [a, b]: {c}",
        "#not a comment",
        "null",
        "true",
        "0755",
        "tab\there",
        "unicode: é ✓ 日本 \u{2028} 🚀",
        " leading and trailing ",
        "",
    ];
    let mut spec = String::from("  arguments:\n");
    for h in &hostile {
        spec.push_str(&format!("    - {}\n", serde_json::to_string(h).unwrap()));
    }
    spec.push_str("  sparkConf:\n");
    for (i, h) in hostile.iter().enumerate() {
        spec.push_str(&format!(
            "    spark.test.k{i}: {}\n",
            serde_json::to_string(h).unwrap()
        ));
    }
    spec.push_str("  driver:\n    annotations:\n");
    for (i, h) in hostile.iter().enumerate() {
        spec.push_str(&format!(
            "      test/a{i}: {}\n",
            serde_json::to_string(h).unwrap()
        ));
    }
    spec.push_str("    env:\n");
    for (i, h) in hostile.iter().enumerate() {
        spec.push_str(&format!(
            "      - {{name: V{i}, value: {}}}\n",
            serde_json::to_string(h).unwrap()
        ));
    }
    let p = one_job(&spec);
    let (_, docs) = render(p.path(), &[]);
    let job = kind(&docs, "Job")[0];
    let (_, pod) = driver_pod(job);
    let c = &pod["containers"][0];
    // The kubelet expands $(VAR) in args and env values; after expansion each is the input.
    let expand = |s: &str| sparkc::names::kubelet_expand(s, &|_| Some("EXPANDED".to_owned()));
    let args: Vec<String> = c["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| expand(a.as_str().unwrap()))
        .collect();
    let n = hostile.len();
    assert_eq!(&args[args.len() - n..], hostile.map(str::to_owned));
    let conf: BTreeMap<String, String> = args
        .windows(2)
        .filter(|w| w[0] == "--conf")
        .filter_map(|w| {
            w[1].split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
        })
        .collect();
    let annotations = &job["spec"]["template"]["metadata"]["annotations"];
    for (i, h) in hostile.iter().enumerate() {
        assert_eq!(conf[&format!("spark.test.k{i}")], *h, "sparkConf {i}");
        assert_eq!(annotations[format!("test/a{i}")], *h, "annotation {i}");
        let var = c["env"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == format!("V{i}"))
            .unwrap();
        assert_eq!(expand(var["value"].as_str().unwrap()), *h, "env {i}");
    }
    // Nothing was added: the stream has exactly the objects of one job.
    assert_eq!(docs.len(), 6);
}

#[test]
fn an_existing_service_account_renders_no_rbac() {
    let p = one_job("  serviceAccount: spark\n");
    let (_, docs) = render(p.path(), &[]);
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["ConfigMap", "Service", "Job"]);
    let (_, pod) = driver_pod(kind(&docs, "Job")[0]);
    assert_eq!(pod["serviceAccountName"], "spark");
}

#[test]
fn python_jobs_get_the_larger_overhead() {
    let (_, docs) = render(one_job("  driver: {memory: 2g}\n").path(), &[]);
    let (_, pod) = driver_pod(kind(&docs, "Job")[0]);
    let c = &pod["containers"][0];
    // 2048 MiB heap + max(384, 0.4 x 2048 = 819.2) MiB: rounded up on the native driver
    // pod, which sparkc writes (Spark truncates on the pods it builds; see
    // `spark::memory::driver_memory`).
    assert_eq!(c["resources"]["requests"]["memory"], "2868Mi");
    assert_eq!(c["resources"]["limits"]["memory"], "2868Mi");
    assert_eq!(
        confs(c["args"].as_array().unwrap())["spark.executor.memoryOverheadFactor"],
        "0.4"
    );
}

#[test]
fn project_templates_replace_built_in_ones() {
    let p = one_job("");
    p.write("sparkc.yaml", "apiVersion: sparkc.io/v1alpha1\nkind: Project\ntemplates: my-templates\nenvironments: {default: {}}\n");
    let custom = sparkc::target::all_templates()
        .into_iter()
        .find(|(n, _)| *n == "native/service.yaml")
        .unwrap()
        .1
        .replace(
            "  clusterIP: None\n",
            "  clusterIP: None\n  ipFamilyPolicy: SingleStack\n",
        );
    assert!(custom.contains("ipFamilyPolicy"), "{custom}");
    p.write("my-templates/native/service.yaml", custom);
    let (_, docs) = render(p.path(), &[]);
    assert_eq!(
        kind(&docs, "Service")[0]["spec"]["ipFamilyPolicy"],
        "SingleStack"
    );
    // A broken override is a located error, and nothing is printed as output.
    p.write(
        "my-templates/native/service.yaml",
        "apiVersion: v1\nkind: Service\nmetadata: {name: {{ names.service }}}\nspec: {typo: 1}\n",
    );
    let out = run(&mut p.sparkc(&["render", "--stdout", "--color", "never"]));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout.contains("fails the schema of its kind") && out.stdout.contains("typo"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("kind: Job"));
}

#[test]
fn invalid_specs_render_nothing() {
    let p = one_job("  executors: {}\n");
    let out = run(&mut p.sparkc(&["render", "--stdout", "--color", "never"]));
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains("unknown field `executors`"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("apiVersion"), "{}", out.stdout);
}

#[test]
fn submit_command() {
    let out = run(sparkc()
        .arg("-C")
        .arg(repo().join("examples/quickstart"))
        .args([
            "submit-command",
            "daily-revenue",
            "--env",
            "dev",
            "--master",
            "k8s://https://10.0.0.1:6443",
        ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!("submit_command", out.stdout);
    let out = run(sparkc()
        .arg("-C")
        .arg(repo().join("examples/quickstart"))
        .args(["submit-command", "daily-revenu", "--env", "dev"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("did you mean `daily-revenue`?"),
        "{}",
        out.stderr
    );
    let out = run(sparkc()
        .arg("-C")
        .arg(repo().join("examples/quickstart"))
        .args(["submit-command", "daily-revenue"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("choose one with --env"),
        "{}",
        out.stderr
    );
}

/// Runs a real spark-submit (pyspark from PyPI) with `--verbose` on the arguments sparkc
/// rendered for a driver, with the master pointed at an unreachable address and the
/// application replaced by a tiny local script, and checks the properties Spark parsed.
#[test]
#[cfg_attr(
    not(any(ci, tool_spark_submit)),
    ignore = "needs pyspark 3.5 (pip install 'pyspark>=3.5,<3.6') and Java 17"
)]
fn real_spark_submit_parses_the_rendered_arguments() {
    let home = Command::new("python3")
        .args([
            "-c",
            "import pyspark, os; print(os.path.dirname(pyspark.__file__))",
        ])
        .output();
    let Some(spark_home) = home
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    else {
        tool_missing("pyspark 3.5 (PyPI) with Java 17");
    };
    let (_, docs) = render(&repo().join("tests/fixtures/all-fields"), &[]);
    let (_, pod) = driver_pod(kind(&docs, "Job")[0]);
    let c = &pod["containers"][0];
    // What the container receives, after the kubelet's expansion.
    let mut args = crate::harness::expanded_args(c, "everything-318b864b-x7k2p", "10.1.2.3");
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("app.py");
    std::fs::write(&script, "print('hello')\n").unwrap();
    let app = args
        .iter()
        .position(|a| a == "local:///opt/app/main.py")
        .unwrap();
    args[app] = script.display().to_string();
    // The exporter agent jar exists only in the image: the JVM would refuse to start.
    let java = args
        .iter()
        .position(|a| a == "--driver-java-options")
        .unwrap()
        + 1;
    args[java] = args[java]
        .split(' ')
        .filter(|o| !o.starts_with("-javaagent:"))
        .collect::<Vec<_>>()
        .join(" ");
    let master = args.iter().position(|a| a == "--master").unwrap();
    args[master + 1] = "k8s://https://127.0.0.1:9".to_owned();
    // Maven coordinates would be resolved over the network before the application starts.
    for flag in ["--packages", "--exclude-packages", "--repositories"] {
        let i = args.iter().position(|a| a == flag).unwrap();
        args.drain(i..i + 2);
    }
    let expected: BTreeMap<String, String> = confs(
        &args
            .iter()
            .map(|a| Json::String(a.clone()))
            .collect::<Vec<_>>(),
    );
    let out = Command::new(format!("{spark_home}/bin/spark-submit"))
        .arg("--verbose")
        .args(&args)
        .env("SPARK_HOME", &spark_home)
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .env_remove("PYSPARK_SUBMIT_ARGS")
        .output()
        .unwrap();
    let log =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let section = log
        .split("Spark properties used, including those specified through")
        .nth(1)
        .unwrap_or_else(|| panic!("spark-submit printed no properties:\n{log}"));
    let parsed: BTreeMap<String, String> = section
        .lines()
        .map(str::trim)
        .skip_while(|l| !l.starts_with('('))
        .take_while(|l| l.starts_with('(') && l.ends_with(')'))
        .filter_map(|l| {
            l[1..l.len() - 1]
                .split_once(',')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
        })
        .collect();
    assert!(parsed.len() > 30, "{log}");
    for (k, v) in &expected {
        // spark-submit redacts the values of keys that look secret (pullSecrets).
        let got = parsed.get(k).map(String::as_str);
        assert!(
            got == Some(v.as_str()) || (k.contains("ecret") && got == Some("*********(redacted)")),
            "{k}: expected {v}, parsed {got:?}\n{log}"
        );
    }
    // The arguments spark-submit parsed (the section before the properties).
    let arguments = log
        .split("Parsed arguments:")
        .nth(1)
        .unwrap()
        .split("Spark properties used")
        .next()
        .unwrap();
    let field = |name: &str| {
        arguments
            .lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(name).map(str::trim))
            .unwrap_or_else(|| panic!("no {name} in\n{arguments}"))
            .to_owned()
    };
    assert_eq!(field("master "), "k8s://https://127.0.0.1:9");
    assert_eq!(field("deployMode "), "client");
    assert_eq!(field("name "), "everything");
    assert_eq!(field("driverMemory "), "3g");
    assert_eq!(
        field("jars "),
        "local:///opt/jars/a.jar,local:///opt/jars/b.jar"
    );
    assert_eq!(field("pyFiles "), "local:///opt/app/lib.zip");
    assert_eq!(field("files "), "local:///opt/files/lookup.csv");
    assert_eq!(
        field("archives "),
        "local:///opt/envs/pyenv.tar.gz#environment"
    );
    assert_eq!(
        field("driverExtraJavaOptions "),
        "-XX:+UseG1GC -Dlog4j.configurationFile=/etc/log4j2.properties"
    );
    assert_eq!(field("childArgs "), "[--date 2026-01-01 --mode full]");
    assert_eq!(parsed["spark.driver.memory"], "3g");
    assert_eq!(
        parsed["spark.kubernetes.driver.pod.name"],
        "everything-318b864b-x7k2p"
    );
    assert_eq!(parsed["spark.driver.bindAddress"], "10.1.2.3");
    assert_eq!(
        parsed["spark.driver.extraJavaOptions"],
        "-XX:+UseG1GC -Dlog4j.configurationFile=/etc/log4j2.properties"
    );
    // Nothing unexpected: every parsed property was intended.
    let extra: Vec<&String> = parsed
        .keys()
        .filter(|k| !expected.contains_key(*k))
        .filter(|k| {
            ![
                "spark.master",
                "spark.submit.deployMode",
                "spark.app.name",
                "spark.driver.memory",
                "spark.jars",
                "spark.submit.pyFiles",
                "spark.files",
                "spark.archives",
                "spark.jars.packages",
                "spark.jars.excludes",
                "spark.jars.repositories",
                "spark.driver.extraJavaOptions",
                "spark.yarn.dist.jars",
                "spark.yarn.dist.pyFiles",
                "spark.yarn.dist.files",
                "spark.yarn.dist.archives",
                "spark.proxyUser",
            ]
            .contains(&k.as_str())
        })
        .collect();
    assert!(extra.is_empty(), "unexpected properties: {extra:?}\n{log}");
}

#[test]
fn a_misspelled_or_missing_template_override_is_an_error() {
    let p = one_job("");
    p.write("sparkc.yaml", "apiVersion: sparkc.io/v1alpha1\nkind: Project\ntemplates: my-templates\nenvironments: {default: {}}\n");
    let out = run(&mut p.sparkc(&["render", "--stdout"]));
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(
        out.stderr.contains("my-templates does not exist"),
        "{}",
        out.stderr
    );
    p.write("my-templates/native/jobs.yaml", "{}\n");
    let out = run(&mut p.sparkc(&["render", "--stdout"]));
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(
        out.stderr
            .contains("replaces no built-in template (did you mean `native/job.yaml`?)"),
        "{}",
        out.stderr
    );
}

#[test]
fn exported_templates_render_what_the_built_ins_render() {
    let p = Project::new();
    for entry in walkdir::WalkDir::new(repo().join("examples/quickstart")) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let rel = entry
                .path()
                .strip_prefix(repo().join("examples/quickstart"))
                .unwrap();
            p.write(
                &rel.display().to_string(),
                std::fs::read(entry.path()).unwrap(),
            );
        }
    }
    let listed = run(&mut p.sparkc(&["templates", "list"]));
    assert_eq!(listed.code, 0);
    assert_eq!(
        listed.stdout.lines().count(),
        sparkc::target::all_templates().len(),
        "{}",
        listed.stdout
    );
    assert!(listed.stdout.lines().count() >= 10, "{}", listed.stdout);
    let out = run(&mut p.sparkc(&["templates", "export", "my-templates"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("wrote "), "{}", out.stdout);
    for name in listed.stdout.lines() {
        assert!(p.path().join("my-templates").join(name).is_file(), "{name}");
    }
    // Exporting again would overwrite: refused.
    let again = run(&mut p.sparkc(&["templates", "export", "my-templates"]));
    assert_eq!(again.code, 2);
    let (builtin, _) = render(p.path(), &[]);
    let project = std::fs::read_to_string(p.path().join("sparkc.yaml")).unwrap();
    p.write("sparkc.yaml", format!("{project}templates: my-templates\n"));
    let (overridden, _) = render(p.path(), &[]);
    assert_eq!(overridden, builtin);
}

/// Settings that open one of the driver's optional API paths add exactly its grants.
#[test]
fn the_role_grants_the_optional_paths_a_job_opens() {
    let p = Project::new();
    p.write(
        "jobs/a.yaml",
        format!(
            "{}  executor: {{deleteOnTermination: false}}\n  sparkConf:\n    spark.kubernetes.allocation.pods.allocator: statefulset\n    spark.kubernetes.executor.volumes.persistentVolumeClaim.data.options.claimName: OnDemand\n    spark.kubernetes.executor.volumes.persistentVolumeClaim.data.mount.path: /data\n",
            crate::harness::job("a")
        ),
    );
    let out = run(&mut p.sparkc(&["render", "--stdout", "--color", "never"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(&out.stdout).unwrap();
    let role = docs.iter().find(|d| d["kind"] == "Role").unwrap();
    assert_eq!(
        role["rules"],
        serde_json::json!([
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch", "create", "delete", "deletecollection", "patch"]},
            {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["create", "deletecollection"]},
            {"apiGroups": [""], "resources": ["persistentvolumeclaims"], "verbs": ["list", "deletecollection", "create"]},
            {"apiGroups": [""], "resources": ["services"], "verbs": ["deletecollection"]},
            {"apiGroups": ["apps"], "resources": ["statefulsets"], "verbs": ["get", "create", "delete"]},
            {"apiGroups": ["apps"], "resources": ["statefulsets/scale"], "verbs": ["get", "update"]},
        ])
    );
}

/// The restricted security defaults on every container of the driver pod and the executor
/// template: sidecars, init containers and the containers a user's pod template adds (a
/// namespace enforcing the restricted standard refuses a pod when one container lacks them),
/// under what a container sets itself.
#[test]
fn every_container_and_init_container_gets_the_restricted_defaults() {
    let role = |r: &str| {
        format!(
            "  {r}:\n    sidecars:\n      - {{name: {r}-side, image: busybox}}\n    initContainers:\n      - {{name: {r}-init, image: busybox, securityContext: {{runAsUser: 1000}}}}\n    template:\n      spec:\n        containers:\n          - {{name: {r}-extra, image: busybox}}\n        initContainers:\n          - {{name: {r}-extra-init, image: busybox}}\n"
        )
    };
    let p = one_job(&(role("driver") + &role("executor")));
    let (_, docs) = render(p.path(), &[]);
    let (_, driver) = driver_pod(kind(&docs, "Job")[0]);
    let template: Json = serde_saphyr::from_str(
        kind(&docs, "ConfigMap")[0]["data"]["executor-pod-template.yaml"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    for (r, spec) in [("driver", driver), ("executor", &template["spec"])] {
        let all: Vec<&Json> = spec["containers"]
            .as_array()
            .unwrap()
            .iter()
            .chain(spec["initContainers"].as_array().unwrap())
            .collect();
        let names: Vec<&str> = all.iter().map(|c| c["name"].as_str().unwrap()).collect();
        for name in ["side", "init", "extra", "extra-init"] {
            assert!(names.contains(&format!("{r}-{name}").as_str()), "{names:?}");
        }
        for c in all {
            let sc = &c["securityContext"];
            assert_eq!(sc["allowPrivilegeEscalation"], false, "{c}");
            assert_eq!(
                sc["capabilities"]["drop"],
                serde_json::json!(["ALL"]),
                "{c}"
            );
            assert_eq!(sc["runAsNonRoot"], true, "{c}");
            assert_eq!(sc["seccompProfile"]["type"], "RuntimeDefault", "{c}");
            if c["name"] == format!("{r}-init") {
                assert_eq!(sc["runAsUser"], 1000, "its own setting stays: {c}");
            }
        }
    }
}

/// Executors never call the Kubernetes API: no token, with their own service account too,
/// unless their pod template asks for one.
#[test]
fn executors_get_no_api_token_unless_their_template_asks() {
    let token = |extra: &str| {
        let p = one_job(extra);
        let (_, docs) = render(p.path(), &[]);
        let template: Json = serde_saphyr::from_str(
            kind(&docs, "ConfigMap")[0]["data"]["executor-pod-template.yaml"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        template["spec"]["automountServiceAccountToken"].clone()
    };
    assert_eq!(token(""), false);
    assert_eq!(
        token("  executor: {serviceAccount: spark-executor}\n"),
        false
    );
    assert_eq!(
        token(
            "  executor:\n    serviceAccount: spark-executor\n    template: {spec: {automountServiceAccountToken: true}}\n"
        ),
        true
    );
}

/// Spark builds native executor pods itself and sets their memory limit to their request
/// (`BasicExecutorFeatureStep`), over a pod template's: a limit would never apply, so it is
/// refused at its line.
#[test]
fn an_executor_memory_limit_is_refused_on_native() {
    let p = one_job("  executor:\n    memoryLimit: 8Gi\n");
    let out = run(&mut p.sparkc(&["validate", "--color", "never"]));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("error: jobs/a.yaml:9:18: spec.executor.memoryLimit: Spark sets an executor pod's memory limit to its memory request"),
        "{}",
        out.stdout
    );
    // The driver pod is sparkc's own: its limit applies.
    let p = one_job("  driver:\n    memoryLimit: 8Gi\n");
    let (_, docs) = render(p.path(), &[]);
    let (_, pod) = driver_pod(kind(&docs, "Job")[0]);
    assert_eq!(pod["containers"][0]["resources"]["limits"]["memory"], "8Gi");
}

/// Kubernetes pulls an image with no tag, or tagged `:latest`, at every start (`Always`).
/// sparkc writes the policy out, so when the spec sets none it must write that default,
/// not `IfNotPresent` (which lets a node run whatever `:latest` it pulled first). A
/// digest pins the image whatever the tag says.
#[test]
fn a_floating_image_is_pulled_always_unless_the_spec_says_otherwise() {
    let pinned = format!("apache/spark@sha256:{}", "a".repeat(64));
    let latest_pinned = format!("apache/spark:latest@sha256:{}", "a".repeat(64));
    // (spec lines, native driver container, native executors (Spark's conf), cluster mode:
    // the Kubeflow field and the Apache operator's conf, for both roles)
    let cases: Vec<(String, &str, &str, &str)> = vec![
        ("image: apache/spark:3.5.3".into(), "IfNotPresent", "IfNotPresent", "IfNotPresent"),
        ("image: apache/spark".into(), "Always", "Always", "Always"),
        ("image: apache/spark:latest".into(), "Always", "Always", "Always"),
        ("image: apache/spark:latest-3.5".into(), "IfNotPresent", "IfNotPresent", "IfNotPresent"),
        ("image: localhost/spark".into(), "Always", "Always", "Always"),
        ("image: registry.example.com:5000/spark".into(), "Always", "Always", "Always"),
        ("image: registry.example.com:5000/spark:3.5.3".into(), "IfNotPresent", "IfNotPresent", "IfNotPresent"),
        // Kubernetes looks at the tag only: a digest without a tag is pinned, `:latest`
        // keeps `Always` even with a digest.
        (format!("image: \"{pinned}\""), "IfNotPresent", "IfNotPresent", "IfNotPresent"),
        (format!("image: \"{latest_pinned}\""), "Always", "Always", "Always"),
        ("image: apache/spark:latest\n  imagePullPolicy: IfNotPresent".into(), "IfNotPresent", "IfNotPresent", "IfNotPresent"),
        ("image: apache/spark:3.5.3\n  imagePullPolicy: Always".into(), "Always", "Always", "Always"),
        // Each role by its own image: one floating image makes the shared field `Always`.
        ("image: apache/spark:3.5.3\n  executor: {image: apache/spark}".into(), "IfNotPresent", "Always", "Always"),
        ("image: apache/spark:3.5.3\n  driver: {image: apache/spark}".into(), "Always", "IfNotPresent", "Always"),
        ("image: apache/spark\n  driver: {image: apache/spark:3.5.3}\n  executor: {image: apache/spark:3.5.3}".into(), "IfNotPresent", "IfNotPresent", "IfNotPresent"),
    ];
    let key = "spark.kubernetes.container.image.pullPolicy";
    for (lines, driver, executors, cluster) in cases {
        let spec = |target: &str| {
            format!(
                "{JOB_HEAD}metadata: {{name: a, namespace: data}}\nspec:\n  target: {target}\n  sparkVersion: \"3.5.3\"\n  mainApplicationFile: local:///opt/app/main.py\n  {lines}\n"
            )
        };
        let p = Project::new();
        p.write("jobs/a.yaml", spec("native"));
        let (_, docs) = render(p.path(), &[]);
        let (_, pod) = driver_pod(kind(&docs, "Job")[0]);
        let c = &pod["containers"][0];
        assert_eq!(c["imagePullPolicy"], driver, "native driver: {lines}");
        let conf = confs(c["args"].as_array().unwrap());
        assert_eq!(conf[key], executors, "native executors: {lines}");

        p.write("jobs/a.yaml", spec("operator"));
        let (_, docs) = render(p.path(), &[]);
        let app = kind(&docs, "SparkApplication")[0];
        assert_eq!(app["spec"]["imagePullPolicy"], cluster, "operator: {lines}");

        p.write("jobs/a.yaml", spec("apache-operator"));
        let (_, docs) = render(p.path(), &[]);
        let app = kind(&docs, "SparkApplication")[0];
        assert_eq!(
            app["spec"]["sparkConf"][key], cluster,
            "apache-operator: {lines}"
        );
    }
}

/// The operator always gets a pull policy from sparkc (the spec's or Kubernetes' default),
/// so the same key in `sparkConf` would fight it: an error whether or not the spec sets
/// `imagePullPolicy`.
#[test]
fn a_pull_policy_in_spark_conf_is_refused_on_the_operator_without_the_field() {
    let p = Project::new();
    p.write(
        "jobs/a.yaml",
        format!("{JOB_HEAD}metadata: {{name: a, namespace: data}}\nspec:\n  target: operator\n  image: apache/spark:3.5.3\n  sparkVersion: \"3.5.3\"\n  mainApplicationFile: local:///opt/app/main.py\n  sparkConf: {{spark.kubernetes.container.image.pullPolicy: Never}}\n"),
    );
    let out = run(&mut p.sparkc(&["validate", "--format", "json"]));
    assert_eq!(out.code, 1, "{}", out.stdout);
    let report: Json = serde_json::from_str(&out.stdout).expect("json");
    assert!(
        report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["severity"] == "error"
                && d["code"] == "reserved-conf"
                && d["message"].as_str().unwrap().contains("pullPolicy")),
        "{}",
        out.stdout
    );
}
