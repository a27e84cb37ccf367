//! `sparkc diff --cluster`, end to end through the real kube-rs client: the binary reads a
//! kubeconfig that points at a local HTTP server started by the test, and that server
//! replays Kubernetes API responses (List pages with `continue` tokens, a `Forbidden`
//! Status, the `NotFound` of a kind the cluster does not serve). The list items are the
//! quickstart's render dressed the way an API server returns objects (no apiVersion/kind on
//! items, uid, resourceVersion, managedFields, status, server defaults).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use serde_json::{Value as Json, json};

use crate::harness::{Project, quickstart, repo, run, sparkc};

/// What the server answers for one request: status code and JSON body.
type Responder = dyn Fn(&str, &BTreeMap<String, String>) -> (u16, Json) + Send + Sync;

/// A local API server that replays responses; it records every request line.
struct ReplayServer {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
}

impl ReplayServer {
    fn start(respond: Box<Responder>) -> ReplayServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let respond: Arc<Responder> = respond.into();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (seen, respond) = (seen.clone(), respond.clone());
                std::thread::spawn(move || serve(stream, &seen, &*respond));
            }
        });
        ReplayServer { port, requests }
    }

    fn kubeconfig(&self, dir: &std::path::Path) -> std::path::PathBuf {
        let path = dir.join("kubeconfig");
        std::fs::write(
            &path,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: replay\n  cluster:\n    server: http://127.0.0.1:{}\nusers:\n- name: ci\n  user:\n    token: test-token\ncontexts:\n- name: replay\n  context:\n    cluster: replay\n    user: ci\n- name: other\n  context:\n    cluster: replay\n    user: ci\ncurrent-context: replay\n",
                self.port
            ),
        )
        .unwrap();
        path
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// Answers the requests of one connection (HTTP/1.1 keep-alive).
fn serve(stream: TcpStream, seen: &Mutex<Vec<String>>, respond: &Responder) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let target = line
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        let mut length = 0;
        let mut auth = String::new();
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            let lower = header.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
            if lower.starts_with("authorization:") {
                auth = header.to_owned();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let params: BTreeMap<String, String> = query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), percent_decode(v)))
            .collect();
        seen.lock().unwrap().push(format!("{target} {auth}"));
        let (code, body) = respond(path, &params);
        let body = serde_json::to_vec(&body).unwrap();
        let head = format!(
            "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        if out.write_all(head.as_bytes()).is_err() || out.write_all(&body).is_err() {
            return;
        }
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// The quickstart's render as an API server returns it: server metadata, status, defaults.
fn served_quickstart() -> Vec<Json> {
    served("quickstart")
}

/// An example's render as an API server returns it.
fn served(example: &str) -> Vec<Json> {
    let out = run(sparkc()
        .arg("-C")
        .arg(repo().join("examples").join(example))
        .args(["render", "--stdout"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rendered: Vec<Json> = serde_saphyr::from_multiple::<Json>(&out.stdout)
        .unwrap()
        .into_iter()
        .filter(|d| !d.is_null())
        .collect();
    rendered
        .into_iter()
        .enumerate()
        .map(|(i, mut o)| {
            let api_version = o["apiVersion"].clone();
            let m = &mut o["metadata"];
            m["uid"] = json!(format!("5f1c0de0-0000-4000-8000-{i:012}"));
            m["resourceVersion"] = json!(format!("{}", 1000 + i));
            m["creationTimestamp"] = json!("2026-11-20T08:00:00Z");
            m["managedFields"] = json!([{"manager": "argocd-controller", "operation": "Apply",
                "apiVersion": api_version, "fieldsType": "FieldsV1",
                "fieldsV1": {"f:metadata": {"f:labels": {"f:app.kubernetes.io/managed-by": {}}}}}]);
            if o["kind"] == "Service" {
                o["spec"]["clusterIP"] = json!("None");
                o["spec"]["sessionAffinity"] = json!("None");
                for p in o["spec"]["ports"].as_array_mut().into_iter().flatten() {
                    p["protocol"] = json!("TCP");
                }
            }
            if o["kind"] == "SparkApplication" {
                o["status"] = json!({"applicationState": {"state": "COMPLETED"}});
            }
            o
        })
        .collect()
}

/// The path a list of `kind` in `namespace` is served at.
fn list_path(api_version: &str, kind: &str, namespace: &str) -> String {
    let plural = format!("{}s", kind.to_ascii_lowercase());
    if api_version.contains('/') {
        format!("/apis/{api_version}/namespaces/{namespace}/{plural}")
    } else {
        format!("/api/{api_version}/namespaces/{namespace}/{plural}")
    }
}

/// A responder serving `objects` as lists, two items per page, with `continue` tokens;
/// `forbidden` paths answer 403; SparkApplication-less clusters answer 404.
/// `expire_once`: that list answers its first `continue` request with 410 Gone (an expired
/// token), as an API server does when the list changed too much between pages.
fn responder(
    objects: Vec<Json>,
    forbidden: Option<String>,
    expire_once: Option<String>,
) -> Box<Responder> {
    let expired = std::sync::atomic::AtomicBool::new(false);
    let mut lists: BTreeMap<String, Vec<Json>> = BTreeMap::new();
    for o in objects {
        let path = list_path(
            o["apiVersion"].as_str().unwrap(),
            o["kind"].as_str().unwrap(),
            o["metadata"]["namespace"].as_str().unwrap(),
        );
        let mut item = o.clone();
        let m = item.as_object_mut().unwrap();
        m.remove("apiVersion");
        m.remove("kind");
        lists.entry(path).or_default().push(item);
    }
    Box::new(move |path, params| {
        if forbidden.as_deref() == Some(path) {
            return (
                403,
                json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": "sparkapplications.sparkoperator.k8s.io is forbidden: User \"system:serviceaccount:ci:sparkc\" cannot list resource \"sparkapplications\" in API group \"sparkoperator.k8s.io\" in the namespace \"spark-prod\"",
                "reason": "Forbidden", "details": {"group": "sparkoperator.k8s.io", "kind": "sparkapplications"}, "code": 403}),
            );
        }
        if path.contains("scheduledsparkapplications") && !lists.contains_key(path) {
            return (
                404,
                json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": "the server could not find the requested resource", "reason": "NotFound", "details": {}, "code": 404}),
            );
        }
        assert_eq!(
            params.get("labelSelector").map(String::as_str),
            Some("app.kubernetes.io/managed-by=sparkc"),
            "{path}"
        );
        if expire_once.as_deref() == Some(path)
            && params.contains_key("continue")
            && !expired.swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            return (
                410,
                json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": "The provided continue parameter is too old to display a consistent list result.",
                "reason": "Expired", "code": 410}),
            );
        }
        let items = lists.get(path).cloned().unwrap_or_default();
        let start: usize = params.get("continue").map_or(0, |c| c.parse().unwrap());
        let end = (start + 2).min(items.len());
        let next = if end < items.len() {
            json!(end.to_string())
        } else {
            json!(null)
        };
        let kind = path.rsplit('/').next().unwrap();
        (
            200,
            json!({"kind": format!("{kind}List"), "apiVersion": "v1",
            "metadata": {"resourceVersion": "5000", "continue": next},
            "items": items[start..end]}),
        )
    })
}

fn diff(project: &Project, kubeconfig: &std::path::Path, extra: &[&str]) -> crate::harness::Output {
    run(sparkc()
        .arg("-C")
        .arg(project.path())
        .args(["diff", "--kubeconfig"])
        .arg(kubeconfig)
        .args(extra))
}

#[test]
fn cluster_diff_through_kube_rs_against_a_local_server_replaying_api_responses() {
    let project = quickstart();
    let served = served_quickstart();
    // The cluster as the render would leave it: nothing to show.
    let roles = list_path("rbac.authorization.k8s.io/v1", "Role", "spark-dev");
    let server = ReplayServer::start(responder(served.clone(), None, Some(roles.clone())));
    let kubeconfig = server.kubeconfig(project.path());
    let out = diff(&project, &kubeconfig, &["--format", "json"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let report: Json = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["summary"]["unchanged"], json!(served.len()));
    assert_eq!(report["summary"]["changed"], json!(0));
    let requests = server.requests();
    assert!(requests.iter().all(|r| r.contains("Bearer test-token")));
    assert!(
        requests.iter().any(|r| r.contains("continue=")),
        "pages were followed: {requests:#?}"
    );
    assert!(requests.iter().all(|r| r.contains("limit=500")));
    // The expired token made the Role list start over.
    assert_eq!(
        requests
            .iter()
            .filter(|r| r.starts_with(&format!("{roles}?")) && !r.contains("continue="))
            .count(),
        2,
        "{requests:#?}"
    );
    // Lists, not GETs per object: namespaces × kinds (11 with the Apache operator's).
    assert_eq!(
        requests.iter().filter(|r| !r.contains("continue=")).count(),
        2 * 11 + 1,
        "{requests:#?}"
    );

    // One changed object, one object of ours that the render no longer has.
    let mut live = served.clone();
    let cm = live
        .iter_mut()
        .find(|o| o["kind"] == "ConfigMap" && o["metadata"]["namespace"] == "spark-prod")
        .unwrap();
    let (key, _) = cm["data"].as_object().unwrap().iter().next().unwrap();
    let key = key.clone();
    cm["data"][&key] = json!("edited by hand");
    let cm_name = cm["metadata"]["name"].clone();
    let mut leftover = live
        .iter()
        .find(|o| o["kind"] == "Service" && o["metadata"]["namespace"] == "spark-prod")
        .unwrap()
        .clone();
    leftover["metadata"]["name"] = json!("retired-job-driver");
    live.push(leftover);
    let server = ReplayServer::start(responder(live, None, None));
    let kubeconfig = server.kubeconfig(project.path());
    let out = diff(&project, &kubeconfig, &["--context", "other"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(&format!(
            "ConfigMap/spark-prod/{} changed",
            cm_name.as_str().unwrap()
        )),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("Service/spark-prod/retired-job-driver deleted"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("-  ") && out.stdout.contains("edited by hand"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.starts_with("0 created, 1 changed, 1 deleted,"),
        "{}",
        out.stdout
    );

    // --env: only that environment's namespace is listed.
    let out = diff(&project, &kubeconfig, &["--env", "dev"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
}

#[test]
fn cluster_diff_replaying_a_forbidden_list_is_an_error() {
    let project = quickstart();
    let forbidden = list_path(
        "sparkoperator.k8s.io/v1beta2",
        "SparkApplication",
        "spark-prod",
    );
    let served = served_quickstart();
    let sparkapps_in_prod = served
        .iter()
        .filter(|o| o["kind"] == "SparkApplication" && o["metadata"]["namespace"] == "spark-prod")
        .count();
    assert!(sparkapps_in_prod > 0);
    let server = ReplayServer::start(responder(served.clone(), Some(forbidden), None));
    let kubeconfig = server.kubeconfig(project.path());
    let out = diff(&project, &kubeconfig, &[]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    // What could be read is still compared and shown; what could not is left out.
    assert!(
        out.stdout.starts_with(&format!(
            "0 created, 0 changed, 0 deleted, {} unchanged",
            served.len() - sparkapps_in_prod
        )),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("1 list could not be read"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(
            "forbidden: cannot list sparkapplications.sparkoperator.k8s.io in namespace spark-prod"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("kubectl auth can-i list sparkapplications -n spark-prod"),
        "{}",
        out.stderr
    );
}

#[test]
fn cluster_diff_refused_unknown_context_or_silent_server_is_an_error() {
    let project = quickstart();
    // A port that was free a moment ago and has no listener now.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = ReplayServer {
        port,
        requests: Arc::default(),
    };
    let kubeconfig = server.kubeconfig(project.path());
    let out = diff(&project, &kubeconfig, &["--timeout", "10"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "cannot reach the cluster at http://127.0.0.1:{port}/"
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.to_lowercase().contains("connection refused"),
        "{}",
        out.stderr
    );
    // A context the kubeconfig does not have.
    let out = diff(&project, &kubeconfig, &["--context", "nope"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("nope"), "{}", out.stderr);
    // A server that accepts connections and never answers: the timeout.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let server = ReplayServer {
        port: silent.local_addr().unwrap().port(),
        requests: Arc::default(),
    };
    std::thread::spawn(move || {
        let held: Vec<TcpStream> = silent.incoming().flatten().collect();
        drop(held);
    });
    let kubeconfig = server.kubeconfig(project.path());
    let started = std::time::Instant::now();
    let out = diff(&project, &kubeconfig, &["--timeout", "1"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("did not answer within 1s"),
        "{}",
        out.stderr
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

/// Each environment is read from its own cluster: `cluster.context` in sparkc.yaml picks the
/// kubeconfig context, so dev's objects come from the dev server and prod's from prod's.
#[test]
fn cluster_diff_reads_each_environment_through_its_own_context() {
    let project = crate::harness::example("multi-cluster");
    let all = served("multi-cluster");
    let of_env = |env: &str| -> Vec<Json> {
        all.iter()
            .filter(|o| o["metadata"]["labels"]["sparkc.io/environment"] == env)
            .cloned()
            .collect()
    };
    let mut prod_served = of_env("prod");
    // A dev object that happens to sit in the prod cluster is not prod's to compare.
    let mut stray = of_env("dev")
        .into_iter()
        .find(|o| o["kind"] == "Service")
        .unwrap();
    stray["metadata"]["namespace"] = json!("spark-prod");
    stray["metadata"]["name"] = json!("stray-driver-svc");
    prod_served.push(stray);
    let dev = ReplayServer::start(responder(of_env("dev"), None, None));
    let prod = ReplayServer::start(responder(prod_served, None, None));
    let kubeconfig = project.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: dev\n  cluster:\n    server: http://127.0.0.1:{}\n- name: prod\n  cluster:\n    server: http://127.0.0.1:{}\nusers:\n- name: ci\n  user:\n    token: test-token\ncontexts:\n- name: dev\n  context:\n    cluster: dev\n    user: ci\n- name: prod\n  context:\n    cluster: prod\n    user: ci\ncurrent-context: prod\n",
            dev.port, prod.port
        ),
    )
    .unwrap();
    let out = diff(&project, &kubeconfig, &["--format", "json"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let report: Json = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        report["summary"]["unchanged"],
        json!(all.len()),
        "{report:#}"
    );
    let namespaces = |server: &ReplayServer| -> std::collections::BTreeSet<String> {
        server
            .requests()
            .iter()
            .filter_map(|r| r.split("/namespaces/").nth(1))
            .map(|r| r.split('/').next().unwrap().to_owned())
            .collect()
    };
    assert_eq!(namespaces(&dev), ["spark-dev".to_owned()].into());
    assert_eq!(namespaces(&prod), ["spark-prod".to_owned()].into());

    // `--env prod` reads the prod cluster only.
    let before = dev.requests().len();
    let out = diff(&project, &kubeconfig, &["--env", "prod"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(dev.requests().len(), before, "dev was read for --env prod");

    // `--context` wins: every environment through the prod context, where dev's objects
    // are missing.
    let out = diff(
        &project,
        &kubeconfig,
        &["--context", "prod", "--format", "json"],
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let report: Json = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["summary"]["created"], json!(of_env("dev").len()));
    assert_eq!(dev.requests().len(), before);
}

/// `validate --cluster`: the budget of each namespace is its ResourceQuota, listed from the
/// API server (every quota, not only sparkc's objects); the jobs that can run at the same
/// time must fit.
#[test]
fn validate_cluster_checks_the_jobs_against_the_namespace_resource_quota() {
    let quota = json!({"metadata": {"name": "compute", "namespace": "spark-prod", "uid": "q-1", "resourceVersion": "7"},
        "spec": {"hard": {"requests.cpu": "20", "requests.memory": "100Gi", "pods": "50", "count/configmaps": "10"}},
        "status": {"hard": {"requests.cpu": "20"}, "used": {"requests.cpu": "3"}}});
    let server = ReplayServer::start(Box::new(move |path, params| {
        assert!(!params.contains_key("labelSelector"), "{path}: {params:?}");
        let items = match path {
            "/api/v1/namespaces/spark-prod/resourcequotas" => vec![quota.clone()],
            "/api/v1/namespaces/spark-dev/resourcequotas" => vec![],
            _ => panic!("unexpected request {path}"),
        };
        (
            200,
            json!({"kind": "ResourceQuotaList", "apiVersion": "v1", "metadata": {"resourceVersion": "9"}, "items": items}),
        )
    }));
    let p = quickstart();
    let kubeconfig = server.kubeconfig(p.path());
    let out = run(sparkc()
        .arg("-C")
        .arg(p.path())
        .args(["validate", "--kubeconfig"])
        .arg(&kubeconfig));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.starts_with("error: sparkc.yaml:19:16: environments.prod.namespace: the 4 jobs of namespace `spark-prod` in environment `prod` that can run at the same time request 74 cores (allowed 20), 190.37 GiB of memory (allowed 100 GiB), over the ResourceQuota `compute` of namespace `spark-prod`\n"),
        "{}",
        out.stdout
    );
    let mut requests = server.requests();
    requests.sort();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert!(
        requests.iter().all(|r| r.contains("/resourcequotas")),
        "{requests:?}"
    );
    // Without the cluster the quickstart declares no budget: valid.
    let out = run(&mut p.sparkc(&["validate"]));
    assert_eq!(out.code, 0, "{}", out.stdout);
    // An unreachable cluster is an operational error.
    drop(server);
    let p2 = quickstart();
    std::fs::write(
        p2.path().join("kubeconfig"),
        "apiVersion: v1\nkind: Config\nclusters:\n- name: x\n  cluster: {server: 'http://127.0.0.1:9'}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: x\n  context: {cluster: x, user: u}\ncurrent-context: x\n",
    )
    .unwrap();
    let out = run(p2
        .sparkc(&["validate", "--timeout", "5", "--kubeconfig"])
        .arg(p2.path().join("kubeconfig")));
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
}
