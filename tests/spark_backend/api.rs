//! A recording Kubernetes API server for Spark's scheduler backend, on 127.0.0.1 over plain
//! HTTP: just enough of the API for fabric8 6.7 in a client-mode driver. It holds objects
//! per resource (the driver pod is seeded), answers get, list (label and field selectors),
//! create, delete, deletecollection, patch and update, and watches: a WebSocket upgrade of
//! `GET ...?watch=true` is answered 200, which makes fabric8 fall back to a streaming GET,
//! answered with one JSON event per line. Every request is recorded; a test can fail a pod
//! (as the kubelet would report it) to take the driver's executor-loss path.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use serde_json::{Value as Json, json};

/// One request as the server received it.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub method: String,
    /// The path without the query.
    pub path: String,
    pub query: BTreeMap<String, String>,
    /// A WebSocket upgrade (fabric8's first try at a watch).
    pub upgrade: bool,
    pub body: Option<Json>,
}

impl Request {
    /// The RBAC verb and (API group, resource) of the request, `None` outside namespaced
    /// resources (which a Role cannot grant).
    pub(crate) fn rbac(&self) -> Option<(String, (String, String))> {
        let target = Target::parse(&self.path)?;
        let resource = match &target.subresource {
            Some(s) => format!("{}/{s}", target.resource),
            None => target.resource.clone(),
        };
        let verb = match (self.method.as_str(), target.name.is_some()) {
            ("GET", true) => "get",
            ("GET", false) if self.query.get("watch").is_some_and(|w| w == "true") => "watch",
            ("GET", false) => "list",
            ("POST", _) => "create",
            ("PUT", _) => "update",
            ("PATCH", _) => "patch",
            ("DELETE", true) => "delete",
            ("DELETE", false) => "deletecollection",
            _ => return None,
        };
        Some((verb.to_owned(), (target.group, resource)))
    }
}

/// What a request path names: `/api/v1/namespaces/NS/RES[/NAME[/SUB]]` or
/// `/apis/GROUP/VERSION/namespaces/NS/RES[/NAME[/SUB]]`.
#[derive(Debug)]
struct Target {
    group: String,
    namespace: String,
    resource: String,
    name: Option<String>,
    subresource: Option<String>,
}

impl Target {
    fn parse(path: &str) -> Option<Target> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let (group, rest) = match parts.as_slice() {
            ["api", "v1", rest @ ..] => (String::new(), rest),
            ["apis", group, _version, rest @ ..] => ((*group).to_owned(), rest),
            _ => return None,
        };
        match rest {
            ["namespaces", ns, resource, tail @ ..] if tail.len() <= 2 => Some(Target {
                group,
                namespace: (*ns).to_owned(),
                resource: (*resource).to_owned(),
                name: tail.first().map(|s| (*s).to_owned()),
                subresource: tail.get(1).map(|s| (*s).to_owned()),
            }),
            _ => None,
        }
    }
}

struct Object {
    resource: String,
    namespace: String,
    name: String,
    /// Its resourceVersion: the order of changes, which watches follow.
    version: u64,
    deleted: bool,
    /// Changed since it was created (a watch reports MODIFIED).
    modified: bool,
    json: Json,
}

#[derive(Default)]
struct State {
    objects: Vec<Object>,
    requests: Vec<Request>,
    version: u64,
    closing: bool,
}

type Shared = Arc<(Mutex<State>, Condvar)>;

/// A running server; dropping it stops it.
pub(crate) struct ApiServer {
    pub addr: SocketAddr,
    shared: Shared,
}

impl ApiServer {
    /// Starts a server that holds `seed` (objects of `resource` in `namespace`).
    pub(crate) fn start(namespace: &str, seed: Vec<(&str, Json)>) -> ApiServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let addr = listener.local_addr().unwrap();
        let shared: Shared = Arc::default();
        {
            let mut state = shared.0.lock().unwrap();
            for (resource, json) in seed {
                state.version += 1;
                let version = state.version;
                state.objects.push(Object {
                    resource: resource.to_owned(),
                    namespace: namespace.to_owned(),
                    name: json["metadata"]["name"].as_str().unwrap().to_owned(),
                    version,
                    deleted: false,
                    modified: false,
                    json,
                });
            }
        }
        let accept = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if accept.0.lock().unwrap().closing {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let shared = accept.clone();
                std::thread::spawn(move || {
                    // A client that goes away mid-request is no finding.
                    let _ = serve(stream, &shared);
                });
            }
        });
        ApiServer { addr, shared }
    }

    /// Every request so far, in arrival order.
    pub(crate) fn requests(&self) -> Vec<Request> {
        self.shared.0.lock().unwrap().requests.clone()
    }

    /// The bodies of the objects of `resource` created so far (as the client sent them).
    pub(crate) fn created(&self, resource: &str) -> Vec<Json> {
        self.requests()
            .into_iter()
            .filter(|r| {
                r.method == "POST" && Target::parse(&r.path).is_some_and(|t| t.resource == resource)
            })
            .filter_map(|r| r.body)
            .collect()
    }

    /// Marks a pod failed, as the kubelet reports a container that exited with 1; watches
    /// see the change. A pod that is gone stays gone.
    pub(crate) fn fail_pod(&self, name: &str) {
        let (lock, cond) = &*self.shared;
        let mut state = lock.lock().unwrap();
        state.version += 1;
        let version = state.version;
        let Some(pod) = state
            .objects
            .iter_mut()
            .find(|o| o.resource == "pods" && o.name == name && !o.deleted)
        else {
            return;
        };
        pod.version = version;
        pod.modified = true;
        pod.json["metadata"]["resourceVersion"] = version.to_string().into();
        pod.json["status"] = json!({
            "phase": "Failed",
            "containerStatuses": [{
                "name": sparkc::names::EXECUTOR_CONTAINER,
                "ready": false,
                "restartCount": 0,
                "image": "",
                "imageID": "",
                "state": {"terminated": {"exitCode": 1, "reason": "Error"}},
            }],
        });
        cond.notify_all();
    }

    /// Waits until `done` holds for the requests, or `give_up` says to stop waiting; a
    /// guard against a hang, not a timing assertion.
    pub(crate) fn wait_until(
        &self,
        mut done: impl FnMut(&[Request]) -> bool,
        mut give_up: impl FnMut() -> bool,
    ) {
        let (lock, cond) = &*self.shared;
        let mut state = lock.lock().unwrap();
        while !done(&state.requests) && !give_up() {
            state = cond
                .wait_timeout(state, Duration::from_millis(100))
                .unwrap()
                .0;
        }
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        self.shared.0.lock().unwrap().closing = true;
        self.shared.1.notify_all();
        // Wakes the accept loop so that it sees `closing`.
        let _ = TcpStream::connect(self.addr);
    }
}

/// Serves the requests of one connection.
fn serve(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut words = line.split_whitespace();
        let (Some(method), Some(target)) = (words.next(), words.next()) else {
            return Ok(());
        };
        let (method, target) = (method.to_owned(), target.to_owned());
        let mut headers = BTreeMap::new();
        loop {
            let mut h = String::new();
            reader.read_line(&mut h)?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
            }
        }
        let body = read_body(&mut reader, &headers)?;
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p.to_owned(), parse_query(q)),
            None => (target.clone(), BTreeMap::new()),
        };
        let request = Request {
            method,
            path,
            query,
            upgrade: headers
                .get("upgrade")
                .is_some_and(|u| u.eq_ignore_ascii_case("websocket")),
            body: (!body.is_empty()).then(|| serde_json::from_slice(&body).unwrap_or(Json::Null)),
        };
        let watch = request.query.get("watch").is_some_and(|w| w == "true");
        if watch {
            let mut state = shared.0.lock().unwrap();
            state.requests.push(request.clone());
            shared.1.notify_all();
        }
        if watch && request.upgrade {
            // No WebSocket here: fabric8 falls back to a streaming GET on a 200.
            respond(&mut out, 200, &Json::Null, true)?;
            return Ok(());
        }
        if watch {
            return stream_watch(&mut out, &request, shared);
        }
        let (status, answer) = answer(&request, shared);
        respond(&mut out, status, &answer, false)?;
    }
}

fn read_body(
    reader: &mut BufReader<TcpStream>,
    headers: &BTreeMap<String, String>,
) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    if headers
        .get("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap(), 16)
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            if size == 0 {
                return Ok(body);
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    body.resize(length, 0);
    reader.read_exact(&mut body)?;
    Ok(body)
}

fn respond(out: &mut TcpStream, status: u16, body: &Json, close: bool) -> std::io::Result<()> {
    let text = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let reason = match status {
        200 => "OK",
        201 => "Created",
        404 => "Not Found",
        _ => "Other",
    };
    write!(
        out,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{}\r\n{text}",
        text.len(),
        if close { "Connection: close\r\n" } else { "" }
    )?;
    out.flush()
}

/// Percent-decoded query parameters.
fn parse_query(q: &str) -> BTreeMap<String, String> {
    q.split('&')
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether an object's labels and name match a request's `labelSelector` and
/// `fieldSelector` (the equality forms and `!key`/`key`, which is what Spark uses).
fn selected(json: &Json, query: &BTreeMap<String, String>) -> bool {
    let labels = &json["metadata"]["labels"];
    let label = |k: &str| labels.get(k).and_then(Json::as_str);
    let labels_ok = query.get("labelSelector").is_none_or(|sel| {
        sel.split(',').filter(|t| !t.is_empty()).all(|term| {
            if let Some((k, v)) = term.split_once("!=") {
                label(k.trim()) != Some(v.trim())
            } else if let Some((k, v)) = term.split_once('=') {
                label(k.trim()) == Some(v.trim_start_matches('=').trim())
            } else if let Some(k) = term.strip_prefix('!') {
                label(k.trim()).is_none()
            } else {
                label(term.trim()).is_some()
            }
        })
    });
    let name = json["metadata"]["name"].as_str();
    let fields_ok = query.get("fieldSelector").is_none_or(|sel| {
        sel.split(',').filter(|t| !t.is_empty()).all(|term| {
            if let Some(v) = term.strip_prefix("metadata.name!=") {
                name != Some(v)
            } else if let Some(v) = term.strip_prefix("metadata.name=") {
                name == Some(v.trim_start_matches('='))
            } else {
                true
            }
        })
    });
    labels_ok && fields_ok
}

fn list_kind(resource: &str) -> &'static str {
    match resource {
        "pods" => "PodList",
        "configmaps" => "ConfigMapList",
        "services" => "ServiceList",
        "persistentvolumeclaims" => "PersistentVolumeClaimList",
        _ => "List",
    }
}

fn not_found() -> (u16, Json) {
    (
        404,
        json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404}),
    )
}

/// The answer to a request that is not a watch, recorded with its effect (one lock: a
/// test that sees a create recorded finds the object).
fn answer(request: &Request, shared: &Shared) -> (u16, Json) {
    let mut state = shared.0.lock().unwrap();
    state.requests.push(request.clone());
    shared.1.notify_all();
    let Some(target) = Target::parse(&request.path) else {
        return not_found();
    };
    state.version += 1;
    let version = state.version;
    let live =
        |o: &Object| !o.deleted && o.resource == target.resource && o.namespace == target.namespace;
    let answer = match (request.method.as_str(), &target.name) {
        ("GET", Some(name)) => state
            .objects
            .iter()
            .find(|o| live(o) && &o.name == name)
            .map(|o| (200, o.json.clone())),
        ("GET", None) => {
            let items: Vec<Json> = state
                .objects
                .iter()
                .filter(|o| live(o) && selected(&o.json, &request.query))
                .map(|o| o.json.clone())
                .collect();
            Some((
                200,
                json!({"kind": list_kind(&target.resource), "apiVersion": "v1",
                       "metadata": {"resourceVersion": version.to_string()}, "items": items}),
            ))
        }
        ("POST", None) => {
            let mut json = request.body.clone().unwrap_or(Json::Null);
            let name = json["metadata"]["name"].as_str().unwrap_or("").to_owned();
            let meta = json["metadata"].as_object_mut().unwrap();
            meta.insert("namespace".into(), target.namespace.clone().into());
            meta.insert("uid".into(), format!("uid-{version}").into());
            meta.insert("resourceVersion".into(), version.to_string().into());
            meta.insert("creationTimestamp".into(), "2026-01-01T00:00:00Z".into());
            if target.resource == "pods" {
                json["status"] = json!({"phase": "Pending"});
            }
            state.objects.push(Object {
                resource: target.resource.clone(),
                namespace: target.namespace.clone(),
                name,
                version,
                deleted: false,
                modified: false,
                json: json.clone(),
            });
            Some((201, json))
        }
        ("DELETE", None) => {
            let mut items = Vec::new();
            for o in state.objects.iter_mut() {
                if !o.deleted
                    && o.resource == target.resource
                    && o.namespace == target.namespace
                    && selected(&o.json, &request.query)
                {
                    o.deleted = true;
                    o.version = version;
                    items.push(o.json.clone());
                }
            }
            Some((
                200,
                json!({"kind": list_kind(&target.resource), "apiVersion": "v1", "metadata": {}, "items": items}),
            ))
        }
        ("DELETE", Some(name)) => state
            .objects
            .iter_mut()
            .find(|o| {
                !o.deleted
                    && o.resource == target.resource
                    && o.namespace == target.namespace
                    && &o.name == name
            })
            .map(|o| {
                o.deleted = true;
                o.version = version;
                (200, o.json.clone())
            }),
        // Patches and updates are recorded and answered with the object unchanged.
        ("PATCH" | "PUT", Some(name)) => state
            .objects
            .iter()
            .find(|o| live(o) && &o.name == name)
            .map(|o| (200, o.json.clone())),
        _ => None,
    };
    shared.1.notify_all();
    answer.unwrap_or_else(not_found)
}

/// A streaming watch: ADDED for every matching object newer than the request's
/// `resourceVersion` (all of them without one), DELETED for removed ones, until the server
/// stops.
fn stream_watch(out: &mut TcpStream, request: &Request, shared: &Shared) -> std::io::Result<()> {
    let Some(target) = Target::parse(&request.path) else {
        return respond(out, 404, &not_found().1, true);
    };
    write!(
        out,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )?;
    out.flush()?;
    let mut seen: u64 = request
        .query
        .get("resourceVersion")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let (lock, cond) = &**shared;
    loop {
        let (events, closing) = {
            let mut state = lock.lock().unwrap();
            let mut events = Vec::new();
            let mut newest = seen;
            for o in &state.objects {
                if o.version > seen
                    && o.resource == target.resource
                    && o.namespace == target.namespace
                    && selected(&o.json, &request.query)
                {
                    let kind = if o.deleted {
                        "DELETED"
                    } else if o.modified {
                        "MODIFIED"
                    } else {
                        "ADDED"
                    };
                    events.push(json!({"type": kind, "object": o.json}).to_string());
                    newest = newest.max(o.version);
                }
            }
            seen = newest;
            if events.is_empty() && !state.closing {
                state = cond
                    .wait_timeout(state, Duration::from_millis(200))
                    .unwrap()
                    .0;
            }
            (events, state.closing)
        };
        for e in events {
            let line = format!("{e}\n");
            write!(out, "{:x}\r\n{line}\r\n", line.len())?;
        }
        out.flush()?;
        if closing {
            write!(out, "0\r\n\r\n")?;
            return out.flush();
        }
    }
}
