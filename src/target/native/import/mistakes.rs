//! The mistakes of a hand-written native setup, each found against what the setup itself
//! says and reported with what sparkc renders instead: the pod name Spark is told against
//! the pod, `spark.driver.host` against the Services, each Service's selector against the
//! driver's and the executors' labels, its ports against the fixed driver ports, the
//! driver's Role against the one sparkc renders for the job (from its template), and the
//! placeholders left in the objects.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::{
    Doc, EnvValue, Pod, Reading, Setting, bindings_of, items, placeholders, role_of, segs,
    string_map, strings,
};
use crate::diagnostic::Diagnostic;
use crate::names::{self, Names};
use crate::project::yaml::{Pos, Seg, path_string};
use crate::spark::conf;

/// The labels Spark's executor pods carry: the template's, the configuration's, and
/// `spark-role: executor`.
pub(super) fn executor_labels(
    template: Option<&Json>,
    conf: &BTreeMap<String, Setting>,
) -> BTreeMap<String, String> {
    let mut labels = string_map(template.and_then(|t| t.pointer("/metadata/labels")));
    for (k, s) in conf {
        if let Some(label) = k.strip_prefix(conf::EXECUTOR_LABEL.key) {
            labels.insert(label.to_owned(), s.value());
        }
    }
    labels.insert(names::LABEL_ROLE.to_owned(), "executor".to_owned());
    labels
}

/// `spark.kubernetes.driver.pod.name` against the pod.
pub(super) fn check_pod_name(
    r: &mut Reading<'_>,
    pod: &Pod<'_>,
    s: Option<&Setting>,
    at: Pos,
    at_path: &str,
) {
    let instead = format!(
        "`{}=$(SPARK_DRIVER_POD_NAME)`, the pod's own name from the downward API",
        conf::DRIVER_POD_NAME.key
    );
    let Some(s) = s else {
        r.mistake(
            "import-pod-name",
            at,
            at_path,
            format!("`{}` is not set: executors get no owner reference to the driver pod, so they outlive a driver that fails", conf::DRIVER_POD_NAME.key),
            &instead,
        );
        return;
    };
    let value = s.value();
    if let Some(var) = value.strip_prefix("$(").and_then(|v| v.strip_suffix(')')) {
        if pod.env.get(var) != Some(&EnvValue::Field("metadata.name".to_owned())) {
            r.mistake(
                "import-pod-name",
                s.pos,
                &s.path,
                format!("`{}` is `{value}`, but `{var}` is not the pod's name from the downward API (`valueFrom.fieldRef.fieldPath: metadata.name`)", s.key),
                &instead,
            );
        }
        return;
    }
    match pod.fixed_name() {
        Some(own) if own == value => {}
        Some(own) => r.mistake(
            "import-name-mismatch",
            s.pos,
            &s.path,
            format!("`{}` is `{value}`, but the driver pod is named `{own}`: the driver stops at start (\"No pod was found named {value}\")", s.key),
            &instead,
        ),
        None => r.mistake(
            "import-name-mismatch",
            s.pos,
            &s.path,
            format!("`{}` is `{value}`, but the pods of a {} get generated names, so no pod is named `{value}`", s.key, pod.doc.kind()),
            &instead,
        ),
    }
}

/// The Services of a setup: the one `spark.driver.host` names, and those whose selector
/// matches the driver pod; with one driver in the files, every Service.
pub(super) fn services<'d>(
    r: &Reading<'d>,
    pod: &Pod<'_>,
    host: Option<&Setting>,
    alone: bool,
) -> Vec<&'d Doc<'d>> {
    let host_name = host.map(|s| s.value().split('.').next().unwrap_or_default().to_owned());
    r.docs
        .iter()
        .filter(|d| d.is("Service"))
        .filter(|d| {
            let selector = string_map(d.json.pointer("/spec/selector"));
            alone
                || host_name.as_deref() == Some(d.name())
                || (!selector.is_empty()
                    && selector.iter().all(|(k, v)| pod.labels.get(k) == Some(v)))
        })
        .collect()
}

/// `spark.driver.host` against the Services.
#[allow(clippy::too_many_arguments)]
pub(super) fn check_host(
    r: &mut Reading<'_>,
    pod: &Pod<'_>,
    s: Option<&Setting>,
    services: &[&Doc<'_>],
    ours: &Names,
    at: Pos,
    at_path: &str,
) {
    let instead = format!(
        "the headless Service `{}` and `{}={}`, from one name",
        ours.service,
        conf::DRIVER_HOST.key,
        ours.driver_host
    );
    let Some(s) = s else {
        if let Some(svc) = services.first() {
            r.mistake(
                "import-name-mismatch",
                at,
                at_path,
                format!("`{}` is not set, so executors reach the driver at its pod IP and the Service `{}` is not used", conf::DRIVER_HOST.key, svc.name()),
                &instead,
            );
        }
        return;
    };
    let value = s.value();
    if let Some(var) = value.strip_prefix("$(").and_then(|v| v.strip_suffix(')'))
        && pod.env.get(var) == Some(&EnvValue::Field("status.podIP".to_owned()))
    {
        return;
    }
    let mut parts = value.split('.');
    let service = parts.next().unwrap_or_default();
    let namespace = parts.next();
    let found = services.iter().find(|d| d.name() == service);
    let pod_ns = pod
        .doc
        .json
        .pointer("/metadata/namespace")
        .and_then(Json::as_str);
    match found {
        None => {
            let made: Vec<String> = r
                .docs
                .iter()
                .filter(|d| d.is("Service"))
                .map(|d| format!("`{}`", d.name()))
                .collect();
            let made = if made.is_empty() {
                "create no Service".to_owned()
            } else {
                format!("create {}", made.join(", "))
            };
            r.mistake(
                "import-name-mismatch",
                s.pos,
                &s.path,
                format!("`{}` is `{value}`, but these files {made}: executors cannot resolve the driver", s.key),
                &instead,
            );
        }
        Some(svc) => {
            let svc_ns = svc
                .json
                .pointer("/metadata/namespace")
                .and_then(Json::as_str)
                .or(pod_ns);
            if let (Some(ns), Some(own)) = (namespace, svc_ns)
                && ns != own
                && ns != "svc"
            {
                r.mistake(
                    "import-name-mismatch",
                    s.pos,
                    &s.path,
                    format!("`{}` is `{value}`, in the namespace `{ns}`, but the Service `{service}` is in `{own}`", s.key),
                    &instead,
                );
            }
        }
    }
}

/// One Service's selector and ports; `driver`: whether it is the one executors reach the
/// driver through (the driver's fixed ports must be exposed there).
pub(super) fn check_service(
    r: &mut Reading<'_>,
    svc: &Doc<'_>,
    pod: &Pod<'_>,
    (executor_labels, conf): (&BTreeMap<String, String>, &BTreeMap<String, Setting>),
    ours: &Names,
    driver: bool,
) {
    let selector = string_map(svc.json.pointer("/spec/selector"));
    let selector_path = segs(&["spec", "selector"]);
    let pos = svc.pos(&selector_path);
    let instead = format!(
        "the Service `{}` selecting this job's driver pod of this run only (`spark-role: driver`)",
        ours.service
    );
    if selector.is_empty() {
        r.mistake(
            "import-selector",
            pos,
            &path_string(&selector_path),
            format!("the Service `{}` has no selector, so it matches no pod and its name resolves to nothing", svc.name()),
            &instead,
        );
    } else if !selector.iter().all(|(k, v)| pod.labels.get(k) == Some(v)) {
        let missing: Vec<String> = selector
            .iter()
            .filter(|(k, v)| pod.labels.get(*k) != Some(v))
            .map(|(k, v)| format!("`{k}: {v}`"))
            .collect();
        r.mistake(
            "import-selector",
            pos,
            &path_string(&selector_path),
            format!(
                "the Service `{}` matches no pod of these files: the driver pod does not carry {}",
                svc.name(),
                missing.join(", ")
            ),
            &instead,
        );
    } else if selector
        .iter()
        .all(|(k, v)| executor_labels.get(k) == Some(v))
    {
        r.mistake(
            "import-selector",
            pos,
            &path_string(&selector_path),
            format!("the Service `{}` also matches the executor pods (they carry every label it selects), so its name resolves to executors too", svc.name()),
            &instead,
        );
    }

    let ports_path = segs(&["spec", "ports"]);
    let ports: Vec<(usize, i64)> = svc
        .json
        .pointer("/spec/ports")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, p)| {
            p.get("targetPort")
                .and_then(Json::as_i64)
                .or_else(|| p.get("port").and_then(Json::as_i64))
                .map(|n| (i, n))
        })
        .collect();
    let instead_ports = format!(
        "fixed ports ({} driver, {} block manager, {} UI), set in the configuration and declared on the container and the Service",
        names::DRIVER_PORT,
        names::BLOCK_MANAGER_PORT,
        names::UI_PORT
    );
    if svc
        .json
        .pointer("/spec/ports")
        .and_then(Json::as_array)
        .is_none_or(Vec::is_empty)
    {
        r.mistake(
            "import-port",
            svc.pos(&segs(&["spec"])),
            "spec",
            format!("the Service `{}` exposes no ports", svc.name()),
            &instead_ports,
        );
    }
    let set: Vec<(&str, i64, Option<&Setting>)> = [
        conf::DRIVER_PORT.key,
        conf::BLOCK_MANAGER_PORT.key,
        conf::UI_PORT.key,
    ]
    .into_iter()
    .map(|k| {
        let s = conf.get(k);
        let default = if k == conf::UI_PORT.key {
            i64::from(names::UI_PORT)
        } else {
            0
        };
        let n = s
            .and_then(|s| s.value().parse::<i64>().ok())
            .unwrap_or(default);
        (k, n, s)
    })
    .collect();
    for (i, port) in &ports {
        if !set.iter().any(|(_, n, _)| n == port) {
            let mut path = ports_path.clone();
            path.push(Seg::Index(*i));
            r.mistake(
                "import-port",
                svc.pos(&path),
                &path_string(&path),
                format!("the Service `{}` exposes {port}, but no setting fixes a driver port to it (`{}` and `{}` are random unless set)", svc.name(), conf::DRIVER_PORT.key, conf::BLOCK_MANAGER_PORT.key),
                &instead_ports,
            );
        }
    }
    if driver && !ports.is_empty() {
        for (key, n, s) in &set {
            if let Some(s) = s
                && *n > 0
                && !ports.iter().any(|(_, p)| p == n)
            {
                r.mistake(
                    "import-port",
                    s.pos,
                    &s.path,
                    format!(
                        "`{key}` is {n}, but the Service `{}` does not expose it",
                        svc.name()
                    ),
                    &instead_ports,
                );
            }
        }
    }
}

/// The grants of sparkc's Role for this job, from the template that renders it.
fn needed_grants(job: &Json) -> Option<Vec<(String, String, Vec<String>)>> {
    let spec: crate::project::spec::SparkJobSpec =
        serde_json::from_value(job.get("spec")?.clone()).ok()?;
    let name = job.pointer("/metadata/name").and_then(Json::as_str)?;
    let subject = crate::rules::Subject {
        name,
        namespace: Some(
            job.pointer("/metadata/namespace")
                .and_then(Json::as_str)
                .unwrap_or("default"),
        ),
        labels: None,
        annotations: None,
        spec: &spec,
    };
    let mut job = subject.to_job();
    job.spec.service_account = None;
    let manifests = crate::render::Renderer::new(None, None)
        .ok()?
        .render_job(&job)
        .ok()?;
    let role = manifests.iter().find(|m| m.kind == "Role")?;
    Some(grants(&role.value))
}

/// A Role's rules as (group, resource, verbs).
fn grants(role: &Json) -> Vec<(String, String, Vec<String>)> {
    let list = |v: &Json, k: &str| -> Vec<String> {
        v.get(k)
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Json::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for rule in items(role.get("rules")) {
        for group in list(rule, "apiGroups") {
            for resource in list(rule, "resources") {
                out.push((group.clone(), resource, list(rule, "verbs")));
            }
        }
    }
    out
}

/// The verbs Spark needs that the hand-written Role does not grant.
pub(super) fn check_rbac_verbs(r: &mut Reading<'_>, job: &Json, pod: &Pod<'_>) {
    let Some(account) = pod.account() else {
        return;
    };
    if job.pointer("/spec/serviceAccount").is_some() {
        return;
    }
    let roles: Vec<&Doc<'_>> = bindings_of(r.docs, account)
        .into_iter()
        .filter_map(|b| role_of(r.docs, b))
        .collect();
    let Some(first) = roles.first() else { return };
    let Some(needed) = needed_grants(job) else {
        return;
    };
    let granted: Vec<(String, String, Vec<String>)> =
        roles.iter().flat_map(|d| grants(&d.json)).collect();
    let has = |group: &str, resource: &str, verb: &str| {
        granted.iter().any(|(g, res, verbs)| {
            (g == group || g == "*")
                && (res == resource || res == "*")
                && verbs.iter().any(|v| v == verb || v == "*")
        })
    };
    let mut missing = Vec::new();
    for (group, resource, verbs) in &needed {
        let lacking: Vec<&str> = verbs
            .iter()
            .filter(|v| !has(group, resource, v))
            .map(String::as_str)
            .collect();
        if !lacking.is_empty() {
            missing.push(format!("{resource}: {}", lacking.join(", ")));
        }
    }
    if !missing.is_empty() {
        let path = segs(&["rules"]);
        let ours = Names::new(
            job.pointer("/metadata/name")
                .and_then(Json::as_str)
                .unwrap_or_default(),
            "",
            "",
        );
        r.mistake(
            "import-rbac",
            first.pos(&path),
            &path_string(&path),
            format!(
                "the {} `{}` lacks what the Spark driver asks the API for ({})",
                first.kind(),
                first.name(),
                missing.join("; ")
            ),
            &format!("the Role `{}` with these grants", ours.service_account),
        );
    }
}

/// Placeholders in the setup's objects: kept where the spec carries the value, named
/// otherwise. A variable of the driver container's own environment in its command,
/// arguments or environment is the kubelet's (or the shell's) to expand, and was expanded
/// above; in spark-defaults.conf, placeholders are reported as Spark leaving them as they
/// are.
pub(super) fn report_placeholders(r: &mut Reading<'_>, job: &Json, pod: &Pod<'_>) {
    let text = job.to_string();
    let mut found = Vec::new();
    let container = pod.container_path(&[]);
    for &i in &r.used {
        let doc = &r.docs[i];
        if doc.is("ConfigMap") {
            continue;
        }
        let mut all = Vec::new();
        strings(doc.node, &mut Vec::new(), &mut all);
        for (path, node) in all {
            let expands = i == pod.doc.index && path.starts_with(&container);
            for p in placeholders(node.as_str().unwrap_or_default()) {
                let var = p
                    .trim_start_matches(['$', '(', '{'])
                    .trim_end_matches([')', '}']);
                if expands && pod.env.contains_key(var) {
                    continue;
                }
                found.push((p, node.pos, path_string(&path)));
            }
        }
    }
    for (p, pos, path) in found {
        let message = if text.contains(&p) {
            format!(
                "`{p}` is a placeholder; it is kept as written, to be substituted before the spec is used"
            )
        } else {
            format!(
                "`{p}` is a placeholder in a setting sparkc derives itself; it is not carried over"
            )
        };
        r.diags.push(
            Diagnostic::warning("import-variable", r.file, Some(pos))
                .path(path)
                .message(message)
                .hint("put the value in the spec, or in the project's defaults or an environment's overrides"),
        );
    }
}
