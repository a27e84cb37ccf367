//! `sparkc diff --live`: what would change in the cluster, from a dump of live objects.
//!
//! Objects pair by (group, kind, namespace, name). Both sides are normalized before they
//! are compared, following `shared/design/gitops-diff.md`: server-owned metadata and
//! `status` are dropped; only what the render sets is compared (a field present only in
//! live, such as a server default or an injected volume, is not a difference) unless the
//! live object's last-applied configuration shows it was ours; lists with Kubernetes merge
//! keys pair by key; empty values are equal to absent ones; Kubernetes quantities compare
//! by value (`1000m` = `1`) and Spark memory strings as strings; Secret values are compared
//! but never printed.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value as Json, json};

use crate::render::Manifest;

/// (group, kind, namespace, name).
pub type Key = (String, String, String, String);

/// The key of an object.
pub fn key(obj: &Json) -> Key {
    let api = obj["apiVersion"].as_str().unwrap_or_default();
    let group = api.rsplit_once('/').map_or("", |(g, _)| g).to_owned();
    let s = |p: &str| {
        obj.pointer(p)
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    (
        group,
        s("/kind"),
        s("/metadata/namespace"),
        s("/metadata/name"),
    )
}

/// What happens to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Created,
    Changed,
    Deleted,
    Unchanged,
}

/// One field change (RFC 6902 op, RFC 6901 path).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub op: &'static str,
    pub path: String,
    pub old: Json,
    pub new: Json,
}

/// The result for one object.
#[derive(Debug, Clone, Serialize)]
pub struct Resource {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub action: Action,
    pub changes: Vec<Change>,
    /// Unified diff of the normalized YAML (live → desired), secrets masked.
    #[serde(skip)]
    pub diff: String,
}

/// The whole comparison.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub summary: BTreeMap<&'static str, usize>,
    pub resources: Vec<Resource>,
}

impl Report {
    pub fn differs(&self) -> bool {
        self.resources.iter().any(|r| r.action != Action::Unchanged)
    }
}

/// Reads live objects from text: YAML or JSON, one or several documents, `kind: List`.
pub fn parse_live(text: &str) -> Result<Vec<Json>, String> {
    let docs = crate::yaml::parse_values(text)
        .map_err(|e| format!("line {}: {}", e.pos.line, e.message))?;
    let mut out = Vec::new();
    for d in docs {
        if d["kind"].as_str().is_some_and(|k| k.ends_with("List")) && d["items"].is_array() {
            out.extend(d["items"].as_array().into_iter().flatten().cloned());
        } else if d.is_object() {
            out.push(d);
        }
    }
    Ok(out)
}

const MANAGED_BY: &str = "app.kubernetes.io/managed-by";

/// Compares the render with live objects.
pub fn compare(desired: &[Manifest], live: &[Json]) -> Report {
    let live_by_key: BTreeMap<Key, &Json> = live.iter().map(|o| (key(o), o)).collect();
    let mut report = Report::default();
    let mut seen = std::collections::BTreeSet::new();
    for m in desired {
        let k = key(&m.value);
        seen.insert(k.clone());
        let resource = match live_by_key.get(&k) {
            None => resource(
                &k,
                Action::Created,
                vec![],
                diff_text(&Json::Null, &mask_secret(&m.value, None), &k),
            ),
            Some(l) => {
                let last = last_applied(l);
                let mut changes = Vec::new();
                let d = normalize(&m.value);
                let lv = normalize(l);
                walk(&d, &lv, last.as_ref(), &mut String::new(), &mut changes);
                let is_secret = k.1 == "Secret" && k.0.is_empty();
                if is_secret {
                    for c in &mut changes {
                        if c.path.starts_with("/data/") || c.path.starts_with("/stringData/") {
                            c.old = if c.old.is_null() {
                                Json::Null
                            } else {
                                json!("*** (before)")
                            };
                            c.new = if c.new.is_null() {
                                Json::Null
                            } else {
                                json!("*** (after)")
                            };
                        }
                    }
                }
                if changes.is_empty() {
                    resource(&k, Action::Unchanged, vec![], String::new())
                } else {
                    let projected = project(&d, &lv, last.as_ref());
                    let (before, after) = if is_secret {
                        (
                            mask_secret(&projected, Some(&d)),
                            mask_secret(&d, Some(&projected)),
                        )
                    } else {
                        (projected, d.clone())
                    };
                    resource(&k, Action::Changed, changes, diff_text(&before, &after, &k))
                }
            }
        };
        report.resources.push(resource);
    }
    for (k, l) in &live_by_key {
        let ours = l
            .pointer("/metadata/labels")
            .and_then(|x| x.get(MANAGED_BY))
            .and_then(Json::as_str)
            == Some("sparkc");
        let owned = l
            .pointer("/metadata/ownerReferences")
            .and_then(Json::as_array)
            .is_some_and(|a| !a.is_empty());
        if !seen.contains(k) && ours && !owned {
            report.resources.push(resource(
                k,
                Action::Deleted,
                vec![],
                diff_text(&mask_secret(&normalize(l), None), &Json::Null, k),
            ));
        }
    }
    report.resources.sort_by(|a, b| {
        (&a.group, &a.kind, &a.namespace, &a.name).cmp(&(&b.group, &b.kind, &b.namespace, &b.name))
    });
    for action in ["created", "changed", "deleted", "unchanged"] {
        report.summary.insert(action, 0);
    }
    for r in &report.resources {
        let name = match r.action {
            Action::Created => "created",
            Action::Changed => "changed",
            Action::Deleted => "deleted",
            Action::Unchanged => "unchanged",
        };
        *report.summary.entry(name).or_default() += 1;
    }
    report
}

fn resource(k: &Key, action: Action, changes: Vec<Change>, diff: String) -> Resource {
    Resource {
        group: k.0.clone(),
        kind: k.1.clone(),
        namespace: k.2.clone(),
        name: k.3.clone(),
        action,
        changes,
        diff,
    }
}

/// The object's `kubectl.kubernetes.io/last-applied-configuration`, parsed.
fn last_applied(obj: &Json) -> Option<Json> {
    let text = obj
        .pointer("/metadata/annotations")?
        .get("kubectl.kubernetes.io/last-applied-configuration")?
        .as_str()?;
    serde_json::from_str::<Json>(text)
        .ok()
        .map(|v| normalize(&v))
}

/// Server-owned metadata, status and controller-owned labels dropped (R2-R4).
pub fn normalize(obj: &Json) -> Json {
    let mut o = obj.clone();
    if let Some(m) = o.as_object_mut() {
        m.remove("status");
    }
    if let Some(meta) = o.get_mut("metadata").and_then(Json::as_object_mut) {
        for k in [
            "managedFields",
            "resourceVersion",
            "uid",
            "generation",
            "creationTimestamp",
            "selfLink",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
        ] {
            meta.remove(k);
        }
        if let Some(a) = meta.get_mut("annotations").and_then(Json::as_object_mut) {
            a.remove("kubectl.kubernetes.io/last-applied-configuration");
            a.remove("deployment.kubernetes.io/revision");
            a.remove("argocd.argoproj.io/tracking-id");
        }
        if let Some(l) = meta.get_mut("labels").and_then(Json::as_object_mut) {
            for k in [
                "controller-uid",
                "job-name",
                "batch.kubernetes.io/controller-uid",
                "batch.kubernetes.io/job-name",
                "pod-template-hash",
            ] {
                l.remove(k);
            }
        }
    }
    strip_nested_creation(&mut o);
    o
}

fn strip_nested_creation(v: &mut Json) {
    match v {
        Json::Object(m) => {
            if m.get("creationTimestamp") == Some(&Json::Null) {
                m.remove("creationTimestamp");
            }
            m.values_mut().for_each(strip_nested_creation);
        }
        Json::Array(a) => a.iter_mut().for_each(strip_nested_creation),
        _ => {}
    }
}

fn is_empty(v: &Json) -> bool {
    match v {
        Json::Null => true,
        Json::String(s) => s.is_empty(),
        Json::Array(a) => a.is_empty(),
        Json::Object(m) => m.values().all(is_empty),
        _ => false,
    }
}

/// The merge key of the items of a list at `path` (R7); `None`: atomic list.
fn merge_key(path: &str, item: &Json) -> Option<String> {
    let field = path.rsplit('/').next().unwrap_or_default();
    let s = |k: &str| item.get(k).map(|v| v.to_string());
    let proto = || {
        item.get("protocol")
            .and_then(Json::as_str)
            .unwrap_or("TCP")
            .to_owned()
    };
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets"
        | "sidecars" => s("name"),
        "volumeMounts" => s("mountPath"),
        "ports" if item.get("containerPort").is_some() => {
            Some(format!("{}/{}", s("containerPort")?, proto()))
        }
        "ports" if item.get("port").is_some() => Some(format!("{}/{}", s("port")?, proto())),
        "conditions" => s("type"),
        _ => None,
    }
}

/// Injected by Kubernetes and never ours (R7).
fn injected(path: &str, item: &Json) -> bool {
    let field = path.rsplit('/').next().unwrap_or_default();
    let name = item.get("name").and_then(Json::as_str).unwrap_or_default();
    match field {
        "volumes" | "volumeMounts" => {
            name.starts_with("kube-api-access-") || name.starts_with("default-token-")
        }
        "tolerations" => {
            let key = item.get("key").and_then(Json::as_str).unwrap_or_default();
            matches!(
                key,
                "node.kubernetes.io/not-ready" | "node.kubernetes.io/unreachable"
            ) && item.get("effect").and_then(Json::as_str) == Some("NoExecute")
        }
        _ => false,
    }
}

/// Whether the value at `path` is a Kubernetes quantity (R9).
fn quantity_path(path: &str) -> bool {
    path.contains("/resources/requests/")
        || path.contains("/resources/limits/")
        || path.ends_with("/sizeLimit")
        || path.ends_with("/coreLimit")
        || path.ends_with("/coreRequest")
        || path.ends_with("/overhead")
}

/// A Kubernetes quantity's value.
pub fn quantity(v: &Json) -> Option<f64> {
    let s = match v {
        Json::Number(n) => return n.as_f64(),
        Json::String(s) => s.trim(),
        _ => return None,
    };
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        e if e.starts_with(['e', 'E']) => 10f64.powi(e[1..].parse().ok()?),
        _ => return None,
    };
    Some(n * factor)
}

fn scalar_equal(path: &str, d: &Json, l: &Json) -> bool {
    if d == l {
        return true;
    }
    if quantity_path(path)
        && let (Some(a), Some(b)) = (quantity(d), quantity(l))
    {
        return (a - b).abs() <= f64::EPSILON * a.abs().max(b.abs()).max(1.0);
    }
    match (d, l) {
        // Numbers by value (R10); strings are never coerced.
        (Json::Number(a), Json::Number(b)) => a.as_f64() == b.as_f64(),
        _ => is_empty(d) && is_empty(l),
    }
}

fn escape(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

/// Walks the desired tree against live (R5, R6, R7, R8).
fn walk(d: &Json, l: &Json, last: Option<&Json>, path: &mut String, out: &mut Vec<Change>) {
    match (d, l) {
        (Json::Object(dm), Json::Object(lm)) => {
            for (k, dv) in dm {
                let len = path.len();
                path.push('/');
                path.push_str(&escape(k));
                let lv = lm.get(k).unwrap_or(&Json::Null);
                let lastv = last.and_then(|x| x.get(k));
                if lv.is_null() && !is_empty(dv) {
                    out.push(Change {
                        op: "add",
                        path: path.clone(),
                        old: Json::Null,
                        new: dv.clone(),
                    });
                } else {
                    walk(dv, lv, lastv, path, out);
                }
                path.truncate(len);
            }
            // Live-only fields: a difference only when they were ours before (R6).
            if let Some(Json::Object(lastm)) = last {
                for (k, lv) in lm {
                    if !dm.contains_key(k) && lastm.contains_key(k) && !is_empty(lv) {
                        out.push(Change {
                            op: "remove",
                            path: format!("{path}/{}", escape(k)),
                            old: lv.clone(),
                            new: Json::Null,
                        });
                    }
                }
            }
        }
        (Json::Array(da), Json::Array(la)) => {
            let keyed = da
                .iter()
                .chain(la.iter())
                .all(|i| merge_key(path, i).is_some())
                && !da.is_empty();
            if keyed {
                let live_items: BTreeMap<String, &Json> = la
                    .iter()
                    .filter_map(|i| merge_key(path, i).map(|k| (k, i)))
                    .collect();
                let last_items: BTreeMap<String, &Json> = last
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|i| merge_key(path, i).map(|k| (k, i)))
                    .collect();
                let mut desired_keys = std::collections::BTreeSet::new();
                for (i, item) in da.iter().enumerate() {
                    let k = merge_key(path, item).unwrap_or_default();
                    desired_keys.insert(k.clone());
                    let len = path.len();
                    path.push_str(&format!("/{i}"));
                    match live_items.get(&k) {
                        Some(li) => walk(item, li, last_items.get(&k).copied(), path, out),
                        None => out.push(Change {
                            op: "add",
                            path: path.clone(),
                            old: Json::Null,
                            new: item.clone(),
                        }),
                    }
                    path.truncate(len);
                }
                for (k, li) in &live_items {
                    if !desired_keys.contains(k)
                        && last_items.contains_key(k)
                        && !injected(path, li)
                    {
                        out.push(Change {
                            op: "remove",
                            path: format!("{path}/{k}"),
                            old: (*li).clone(),
                            new: Json::Null,
                        });
                    }
                }
            } else {
                // Atomic list: compare item by item, minus known injections in live.
                let la: Vec<&Json> = la.iter().filter(|i| !injected(path, i)).collect();
                let same = da.len() == la.len()
                    && da.iter().zip(&la).all(|(a, b)| {
                        let mut sub = Vec::new();
                        walk(a, b, None, &mut path.clone(), &mut sub);
                        sub.is_empty()
                    });
                if !same {
                    out.push(Change {
                        op: "replace",
                        path: path.clone(),
                        old: Json::Array(la.into_iter().cloned().collect()),
                        new: d.clone(),
                    });
                }
            }
        }
        _ => {
            if !scalar_equal(path, d, l) {
                out.push(Change {
                    op: "replace",
                    path: path.clone(),
                    old: l.clone(),
                    new: d.clone(),
                });
            }
        }
    }
}

/// The live object restricted to what the render sets (plus fields it removed), for display.
fn project(d: &Json, l: &Json, last: Option<&Json>) -> Json {
    match (d, l) {
        (Json::Object(dm), Json::Object(lm)) => {
            let mut out = Map::new();
            for (k, dv) in dm {
                if let Some(lv) = lm.get(k) {
                    out.insert(k.clone(), project(dv, lv, last.and_then(|x| x.get(k))));
                }
            }
            if let Some(Json::Object(lastm)) = last {
                for (k, lv) in lm {
                    if !dm.contains_key(k) && lastm.contains_key(k) {
                        out.insert(k.clone(), lv.clone());
                    }
                }
            }
            Json::Object(out)
        }
        (Json::Array(da), Json::Array(la)) => {
            let path_probe = da.first().or_else(|| la.first());
            let by_name = path_probe.is_some_and(|i| i.get("name").is_some());
            if by_name {
                let mut out = Vec::new();
                for item in da {
                    if let Some(li) = la.iter().find(|x| x.get("name") == item.get("name")) {
                        out.push(project(item, li, None));
                    }
                }
                Json::Array(out)
            } else {
                l.clone()
            }
        }
        (_, lv) => {
            // A quantity spelled differently but equal in value shows as the desired spelling.
            if let (Some(a), Some(b)) = (quantity(d), quantity(lv))
                && a == b
                && d.is_string()
            {
                return d.clone();
            }
            lv.clone()
        }
    }
}

/// Secret values replaced by masks: `***` where both sides agree, `*** (before)` /
/// `*** (after)` where they differ (R12).
fn mask_secret(obj: &Json, other: Option<&Json>) -> Json {
    let mut o = obj.clone();
    let is_secret = o["kind"] == "Secret" && o["apiVersion"] == "v1";
    if !is_secret {
        return o;
    }
    for field in ["data", "stringData"] {
        if let Some(m) = o.get_mut(field).and_then(Json::as_object_mut) {
            for (k, v) in m.iter_mut() {
                let same = other.and_then(|x| x.get(field)).and_then(|x| x.get(k)) == Some(v);
                *v = json!(if same { "***" } else { "*** (changed)" });
            }
        }
    }
    o
}

fn diff_text(before: &Json, after: &Json, k: &Key) -> String {
    let text = |v: &Json| {
        if v.is_null() {
            String::new()
        } else {
            crate::yaml::to_yaml(v)
        }
    };
    let (a, b) = (text(before), text(after));
    let name = format!(
        "{}{}.{}.{}",
        if k.0.is_empty() {
            String::new()
        } else {
            format!("{}.", k.0)
        },
        k.1,
        k.2,
        k.3
    );
    similar::TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(3)
        .header(&format!("live/{name}"), &format!("sparkc/{name}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_by_value() {
        for (a, b) in [
            ("1000m", "1"),
            ("0.5", "500m"),
            ("2048Mi", "2Gi"),
            ("1e3", "1k"),
        ] {
            assert_eq!(quantity(&json!(a)), quantity(&json!(b)), "{a} {b}");
        }
        assert_ne!(quantity(&json!("2Gi")), quantity(&json!("2G")));
        assert_eq!(quantity(&json!(1)), quantity(&json!("1")));
    }

    fn changes(d: Json, l: Json) -> Vec<Change> {
        let mut out = Vec::new();
        walk(
            &normalize(&d),
            &normalize(&l),
            last_applied(&l).as_ref(),
            &mut String::new(),
            &mut out,
        );
        out
    }

    #[test]
    fn subset_keyed_lists_and_removals() {
        let d = json!({"spec": {"containers": [{"name": "a", "image": "x:1", "resources": {"requests": {"cpu": "1"}}}]}});
        let l = json!({"spec": {"containers": [{"name": "a", "image": "x:1", "imagePullPolicy": "IfNotPresent", "resources": {"requests": {"cpu": "1000m"}}}], "volumes": [{"name": "kube-api-access-x"}]}});
        assert_eq!(changes(d.clone(), l.clone()), vec![]);
        let mut l2 = l.clone();
        l2["spec"]["containers"][0]["image"] = json!("x:2");
        let c = changes(d.clone(), l2);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].path, "/spec/containers/0/image");
        // A field that was ours (last-applied) and is gone from Git is a removal.
        let mut l3 = l.clone();
        l3["metadata"] = json!({"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"spec\":{\"paused\":true}}"}});
        l3["spec"]["paused"] = json!(true);
        let c = changes(d, l3);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].op, "remove");
    }

    #[test]
    fn strings_are_not_coerced() {
        assert_eq!(changes(json!({"a": "8080"}), json!({"a": 8080})).len(), 1);
        assert_eq!(changes(json!({"a": 1}), json!({"a": 1.0})).len(), 0);
        assert_eq!(
            changes(json!({"memory": "512m"}), json!({"memory": "0.5"})).len(),
            1,
            "Spark memory is a string"
        );
    }
}
