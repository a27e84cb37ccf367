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
//!
//! A job's run is one change, not two: a native Job (or bare Pod) named by its run hash
//! (`<job>-<8 hex>`) pairs with the live one of the same job and environment under its old
//! name, and the old hash reads as the new one in every object of that job (the Service's
//! selector follows the run), so only the fields that really differ are shown, with the
//! effect `rerun`. A CronJob keeps its name; the hash of its runs is read the same way.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use serde_json::{Map, Value as Json, json};

use crate::live::dump::{Entry, Live};
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

/// What a change does to a running object beyond patching it (R14).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// The field is immutable: the object is deleted and created again.
    Replace,
    /// The Spark operator kills the application and runs it again.
    Rerun,
    /// The operator does not act on the change of an application it has submitted: the
    /// new spec runs only when the object is created anew.
    Ignored,
}

/// The result for one object.
#[derive(Debug, Clone, Serialize)]
pub struct Resource {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub action: Action,
    /// The live object's name when this object replaces it as the job's new run.
    #[serde(rename = "previousName", skip_serializing_if = "Option::is_none")]
    pub previous_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<Effect>,
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

/// Compares the render with live objects, all in memory (the plan's two renders).
pub fn compare(desired: &[Manifest], live: &[Json]) -> Report {
    let live = Live::new(live.iter().cloned().map(Entry::of_value).collect());
    compare_live(desired, &live).unwrap_or_else(|e| unreachable!("a parsed object read: {e}"))
}

/// Compares a render held in memory with live objects: each job's objects (as their labels
/// group them) as [`Comparison::job`] does. The error: a live object that cannot be read.
pub fn compare_live(desired: &[Manifest], live: &Live<'_>) -> Result<Report, String> {
    use rayon::prelude::*;
    let mut jobs: BTreeMap<Option<JobKey>, Vec<Json>> = BTreeMap::new();
    for m in desired {
        jobs.entry(job_of(&m.value))
            .or_default()
            .push(m.value.clone());
    }
    let comparison = Comparison::new(live);
    let resources = jobs
        .into_par_iter()
        .map(|(_, objects)| comparison.job(objects))
        .collect::<Result<_, _>>()?;
    comparison.finish(resources)
}

/// A comparison in progress: the live objects, and which of them the render has met. Jobs
/// are compared one at a time, on any thread ([`Comparison::job`]); [`Comparison::finish`]
/// adds the deletions and sorts the report.
pub struct Comparison<'l, 'a> {
    live: &'l Live<'a>,
    /// Live objects the render has (by index).
    seen: Vec<AtomicBool>,
    /// Live objects of an old run that a new run replaces.
    paired: Vec<AtomicBool>,
}

impl<'l, 'a> Comparison<'l, 'a> {
    pub fn new(live: &'l Live<'a>) -> Self {
        let flags = || {
            live.entries()
                .iter()
                .map(|_| AtomicBool::new(false))
                .collect()
        };
        Comparison {
            live,
            seen: flags(),
            paired: flags(),
        }
    }

    /// Compares the objects one job renders (in one environment) with the live ones. A
    /// re-run pairs within the job: a run object (`<job>-<8 hex>`) that is not live takes
    /// the place of the job's live run object of the same kind that the job no longer
    /// renders, and the old hash reads as the new one in all of the job's objects. The
    /// error: a live object that cannot be read (nested past the JSON parser's limit).
    pub fn job(&self, mut desired: Vec<Json>) -> Result<Vec<Resource>, String> {
        let entries = self.live.entries();
        desired.iter_mut().for_each(normalize_in_place);
        let keys: Vec<Key> = desired.iter().map(key).collect();
        let jobs: Vec<Option<JobKey>> = desired.iter().map(job_of).collect();
        // The live object each one is compared with, parsed once.
        let mut found: Vec<Option<Json>> = Vec::with_capacity(keys.len());
        for k in &keys {
            found.push(match self.live.find(k) {
                Some(i) => {
                    self.seen[i].store(true, Ordering::Relaxed);
                    Some(read(&entries[i])?)
                }
                None => None,
            });
        }
        let mut pairs: Vec<Option<&Key>> = vec![None; keys.len()];
        let mut hashes: BTreeMap<JobKey, (String, String)> = BTreeMap::new();
        let mut claimed = Vec::new();
        for (i, d) in desired.iter().enumerate() {
            let Some(job) = jobs[i].clone() else {
                continue;
            };
            if let Some(l) = &found[i] {
                // A schedule keeps its name; its runs' label carries the hash.
                let run = |o: &Json| {
                    o.pointer(SCHEDULED_RUN)
                        .and_then(Json::as_str)
                        .map(str::to_owned)
                };
                if let (Some(old), Some(new)) = (run(l), run(d))
                    && old != new
                {
                    hashes.insert(job, (old, new));
                }
                continue;
            }
            let k = &keys[i];
            let Some(new_run) = run_of(&k.3, &job.1) else {
                continue;
            };
            // The first in name order of the job's old runs of this kind that are left.
            let old = self
                .live
                .of_job(&job)
                .iter()
                .copied()
                .filter(|&e| {
                    let ek = &entries[e].key;
                    ek.0 == k.0
                        && ek.1 == k.1
                        && run_of(&ek.3, &job.1).is_some()
                        && !keys.contains(ek)
                        && !claimed.contains(&e)
                })
                .min_by(|&a, &b| entries[a].key.cmp(&entries[b].key));
            if let Some(e) = old {
                let old_key = &entries[e].key;
                claimed.push(e);
                self.paired[e].store(true, Ordering::Relaxed);
                pairs[i] = Some(old_key);
                let old_run = run_of(&old_key.3, &job.1).unwrap_or_default().to_owned();
                hashes.insert(job, (old_run, new_run.to_owned()));
                found[i] = Some(read(&entries[e])?);
            }
        }
        Ok(desired
            .into_iter()
            .zip(keys)
            .zip(found)
            .zip(pairs)
            .zip(jobs)
            .map(|((((d, k), found), paired), job)| {
                let rehash = job.and_then(|j| hashes.get(&j));
                compare_one(d, &k, found, paired, rehash)
            })
            .collect())
    }

    /// The report: the jobs' results, and each live object of sparkc's that the render
    /// neither has nor replaces as deleted (not one a controller owns: its owner goes). The
    /// error: such an object that cannot be read.
    pub fn finish(self, jobs: Vec<Vec<Resource>>) -> Result<Report, String> {
        let mut report = Report {
            resources: jobs.into_iter().flatten().collect(),
            ..Report::default()
        };
        for (i, e) in self.live.entries().iter().enumerate() {
            if self.seen[i].load(Ordering::Relaxed)
                || self.paired[i].load(Ordering::Relaxed)
                || !e.ours
                || e.owned
            {
                continue;
            }
            let l = read(e)?;
            report.resources.push(resource(
                &e.key,
                Action::Deleted,
                vec![],
                diff_text(&mask_secret(&normalize(&l), None, ""), &Json::Null, &e.key),
            ));
        }
        report.resources.sort_by(|a, b| {
            (&a.group, &a.kind, &a.namespace, &a.name).cmp(&(
                &b.group,
                &b.kind,
                &b.namespace,
                &b.name,
            ))
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
        Ok(report)
    }
}

/// A live object parsed; the error names it.
fn read(e: &Entry<'_>) -> Result<Json, String> {
    let (group, kind, namespace, name) = &e.key;
    e.object.value().map_err(|m| {
        let group = if group.is_empty() { "core" } else { group };
        format!("{kind} {namespace}/{name} ({group}): {m}")
    })
}

/// One rendered object (normalized) against its live one (`None`: not live), `paired` the
/// old run it replaces, `rehash` the job's (old, new) run hashes.
fn compare_one(
    d: Json,
    k: &Key,
    found: Option<Json>,
    paired: Option<&Key>,
    rehash: Option<&(String, String)>,
) -> Resource {
    let Some(l) = found else {
        return resource(
            k,
            Action::Created,
            vec![],
            diff_text(&Json::Null, &mask_secret(&d, None, ""), k),
        );
    };
    let mut last = previous(&l);
    let mut changes = Vec::new();
    let mut lv = l;
    normalize_in_place(&mut lv);
    if let Some((old, new)) = rehash {
        replace_run(&mut lv, old, new);
        if let Some(last) = &mut last {
            replace_run(last, old, new);
        }
    }
    // Argo CD's label tracking writes `app.kubernetes.io/instance` (R4).
    if d.pointer("/metadata/labels/app.kubernetes.io~1instance")
        .is_none()
        && let Some(labels) = lv
            .pointer_mut("/metadata/labels")
            .and_then(Json::as_object_mut)
    {
        labels.remove("app.kubernetes.io/instance");
    }
    walk(&d, &lv, last.as_ref(), &mut String::new(), &mut changes);
    let is_secret = k.1 == "Secret" && k.0.is_empty();
    if is_secret {
        for c in &mut changes {
            if c.path.starts_with("/data/") || c.path.starts_with("/stringData/") {
                c.old = mask_value(&c.old, "*** (before)");
                c.new = mask_value(&c.new, "*** (after)");
            }
        }
    }
    if changes.is_empty() && paired.is_none() {
        return resource(k, Action::Unchanged, vec![], String::new());
    }
    let projected = project(&d, &lv, last.as_ref(), "");
    let (before, after) = if is_secret {
        (
            mask_secret(&projected, Some(&d), "*** (before)"),
            mask_secret(&d, Some(&projected), "*** (after)"),
        )
    } else {
        (projected, d)
    };
    let mut r = resource(k, Action::Changed, changes, diff_text(&before, &after, k));
    r.effect = effect(k, &r.changes);
    if let Some(old) = paired {
        r.previous_name = Some(old.3.clone());
        r.effect = Some(Effect::Rerun);
    }
    r
}

/// (namespace, job, environment) of an object sparkc renders, from its labels.
pub type JobKey = (String, String, String);

fn job_of(obj: &Json) -> Option<JobKey> {
    let labels = obj.pointer("/metadata/labels")?;
    let label = |k: &str| labels.get(k).and_then(Json::as_str).map(str::to_owned);
    Some((
        obj.pointer("/metadata/namespace")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned(),
        label(crate::names::LABEL_NAME)?,
        label(crate::names::LABEL_ENV)?,
    ))
}

/// The run hash in the name of a job's run object: `<job>-<8 hex>`.
fn run_of<'a>(name: &'a str, job: &str) -> Option<&'a str> {
    let run = name.strip_prefix(job)?.strip_prefix('-')?;
    (run.len() == 8 && run.bytes().all(|b| b.is_ascii_hexdigit())).then_some(run)
}

/// Where a CronJob carries the run hash of the Jobs it creates.
const SCHEDULED_RUN: &str = "/spec/jobTemplate/spec/template/metadata/labels/sparkc.io~1run";

/// Reads the old run hash as the new one in every string (and key) of an object.
fn replace_run(v: &mut Json, old: &str, new: &str) {
    match v {
        Json::String(s) if s.contains(old) => *s = s.replace(old, new),
        Json::Array(items) => items.iter_mut().for_each(|x| replace_run(x, old, new)),
        Json::Object(m) if m.keys().any(|k| k.contains(old)) => {
            let taken = std::mem::take(m);
            for (k, mut x) in taken {
                replace_run(&mut x, old, new);
                m.insert(k.replace(old, new), x);
            }
        }
        Json::Object(m) => m.values_mut().for_each(|x| replace_run(x, old, new)),
        _ => {}
    }
}

/// The changes from `old` to `new` of two objects (removals included).
pub fn changes(old: &Json, new: &Json) -> Vec<Change> {
    let mut out = Vec::new();
    walk(new, old, Some(old), &mut String::new(), &mut out);
    out
}

fn resource(k: &Key, action: Action, changes: Vec<Change>, diff: String) -> Resource {
    Resource {
        group: k.0.clone(),
        kind: k.1.clone(),
        namespace: k.2.clone(),
        name: k.3.clone(),
        action,
        previous_name: None,
        effect: None,
        changes,
        diff,
    }
}

/// Whether the changes patch the object in place or make Kubernetes (or the Spark
/// operator) replace it (R14).
fn effect(k: &Key, changes: &[Change]) -> Option<Effect> {
    let (group, kind) = (k.0.as_str(), k.1.as_str());
    let any = |f: &dyn Fn(&str) -> bool| changes.iter().any(|c| f(&c.path));
    let pod_in_place = |p: &str| {
        let image = p
            .strip_prefix("/spec/containers/")
            .or_else(|| p.strip_prefix("/spec/initContainers/"))
            .and_then(|r| r.split_once('/'))
            .is_some_and(|(_, f)| f == "image");
        image
            || p == "/spec/activeDeadlineSeconds"
            || (p.starts_with("/spec/tolerations") && !p.starts_with("/spec/tolerations/"))
    };
    match (group, kind) {
        ("", "Pod") if any(&|p| p.starts_with("/spec") && !pod_in_place(p)) => {
            Some(Effect::Replace)
        }
        ("batch", "Job")
            if any(&|p| {
                ["/spec/template", "/spec/selector", "/spec/completions"]
                    .iter()
                    .any(|f| p == *f || p.starts_with(&format!("{f}/")))
            }) =>
        {
            Some(Effect::Replace)
        }
        ("", "Service") if any(&|p| p == "/spec/clusterIP") => Some(Effect::Replace),
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding")
            if any(&|p| p == "/roleRef" || p.starts_with("/roleRef/")) =>
        {
            Some(Effect::Replace)
        }
        _ => {
            let paths: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
            crate::target::effect(group, kind, &paths)
        }
    }
}

/// Managers whose applied fields are ours: a field they own through `Apply` that the
/// render no longer sets is a removal (R6).
const OUR_MANAGERS: [&str; 5] = [
    "sparkc",
    "argocd-controller",
    "kustomize-controller",
    "kubectl-client-side-apply",
    "kubectl",
];

/// What was ours in a live object before: its last-applied configuration and the fields our
/// managers own in `managedFields`, merged into one tree of the object's shape (R6).
fn previous(obj: &Json) -> Option<Json> {
    let mut tree = last_applied(obj);
    for entry in obj
        .pointer("/metadata/managedFields")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let manager = entry["manager"].as_str().unwrap_or_default();
        let operation = entry["operation"].as_str().unwrap_or_default();
        let subresource = entry["subresource"].as_str().unwrap_or_default();
        // Only `Apply` entries: an `Update` (client-side apply, an edit) also owns every
        // default the server filled in on that request, which Git never set. Client-side
        // apply is covered by its last-applied annotation.
        if OUR_MANAGERS.contains(&manager)
            && operation == "Apply"
            && subresource.is_empty()
            && let Some(fields) = entry.get("fieldsV1")
        {
            let owned = fields_tree(fields);
            tree = Some(match tree {
                Some(t) => union(t, owned),
                None => owned,
            });
        }
    }
    tree
}

/// In an ownership tree, the fields of a keyed item that only identify it (not owned).
const KEY_ONLY: &str = "\u{0}key-only";

/// A `fieldsV1` set (`f:name`, `k:{key}`, `v:value`) as a tree of the object's shape: keyed
/// list items become items holding their key fields, so the keyed-list walk finds them.
fn fields_tree(node: &Json) -> Json {
    let mut obj = Map::new();
    let mut items = Vec::new();
    let mut list = false;
    for (k, v) in node.as_object().into_iter().flatten() {
        if let Some(name) = k.strip_prefix("f:") {
            obj.insert(name.to_owned(), fields_tree(v));
        } else if let Some(key) = k.strip_prefix("k:") {
            list = true;
            // The key's values identify the item; only the fields listed under it are owned.
            let mut item = fields_tree(v);
            if let (Some(im), Ok(Json::Object(keys))) =
                (item.as_object_mut(), serde_json::from_str::<Json>(key))
            {
                let mut only_keys = Vec::new();
                for (a, b) in keys {
                    if !im.contains_key(&a) {
                        only_keys.push(json!(a));
                    }
                    im.insert(a, b);
                }
                im.insert(KEY_ONLY.to_owned(), Json::Array(only_keys));
            }
            items.push(item);
        } else if let Some(value) = k.strip_prefix("v:") {
            list = true;
            items.push(serde_json::from_str(value).unwrap_or_default());
        }
    }
    if list {
        Json::Array(items)
    } else {
        Json::Object(obj)
    }
}

/// Two ownership trees merged.
fn union(a: Json, b: Json) -> Json {
    match (a, b) {
        (Json::Object(mut x), Json::Object(y)) => {
            for (k, v) in y {
                let merged = match x.remove(&k) {
                    Some(old) => union(old, v),
                    None => v,
                };
                x.insert(k, merged);
            }
            Json::Object(x)
        }
        (Json::Array(mut x), Json::Array(y)) => {
            x.extend(y);
            Json::Array(x)
        }
        (_, b) => b,
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
    normalize_in_place(&mut o);
    o
}

/// [`normalize`] of an object one owns.
fn normalize_in_place(o: &mut Json) {
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
                "argocd.argoproj.io/instance",
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
    strip_nested_creation(o);
    // A ServiceAccount's secret references default to its own namespace.
    if o["kind"] == "ServiceAccount" {
        let ns = o.pointer("/metadata/namespace").cloned();
        for item in o
            .get_mut("secrets")
            .and_then(Json::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(m) = item.as_object_mut()
                && m.get("namespace") == ns.as_ref()
            {
                m.remove("namespace");
            }
        }
    }
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
        | "secrets"
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

fn escape(k: &str) -> std::borrow::Cow<'_, str> {
    if k.contains(['~', '/']) {
        k.replace('~', "~0").replace('/', "~1").into()
    } else {
        k.into()
    }
}

/// Whether live field `k` (value `lv`), absent from the desired mapping `dm`, is a removal:
/// it was ours before (in `last`, and not just a keyed item's identifying field) and holds
/// something (R6, R8).
fn removed_field(dm: &Map<String, Json>, last: &Map<String, Json>, k: &str, lv: &Json) -> bool {
    !dm.contains_key(k)
        && last.contains_key(k)
        && !last
            .get(KEY_ONLY)
            .and_then(Json::as_array)
            .is_some_and(|a| a.iter().any(|x| x == k))
        && !is_empty(lv)
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
                    if removed_field(dm, lastm, k, lv) {
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
            // Each item's merge key, once: `None` for all when any item has none.
            let keys = |items: &[Json]| -> Option<Vec<String>> {
                items.iter().map(|i| merge_key(path, i)).collect()
            };
            let keyed = if da.is_empty() {
                None
            } else {
                keys(da).zip(keys(la))
            };
            if let Some((dkeys, lkeys)) = keyed {
                let live_items: BTreeMap<&String, (usize, &Json)> =
                    lkeys.iter().zip(la.iter().enumerate()).collect();
                let named = |i: &Json| i.get("name").filter(|n| n.is_string()).cloned();
                let last_items: BTreeMap<String, &Json> = last
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|i| merge_key(path, i).map(|k| (k, i)))
                    .collect();
                let mut matched = std::collections::BTreeSet::new();
                let desired_keys: std::collections::BTreeSet<&String> = dkeys.iter().collect();
                for (i, (item, k)) in da.iter().zip(&dkeys).enumerate() {
                    // An item whose key changed (a port number) but whose name did not is the
                    // same item, changed.
                    let found = live_items.get(k).map(|&(_, li)| (k, li)).or_else(|| {
                        let name = named(item)?;
                        live_items.iter().find_map(|(&lk, &(_, li))| {
                            (!desired_keys.contains(lk) && named(li).as_ref() == Some(&name))
                                .then_some((lk, li))
                        })
                    });
                    let len = path.len();
                    path.push('/');
                    path.push_str(&i.to_string());
                    match found {
                        Some((lk, li)) => {
                            let last_item = last_items.get(lk).copied();
                            matched.insert(lk);
                            walk(item, li, last_item, path, out);
                        }
                        None => out.push(Change {
                            op: "add",
                            path: path.clone(),
                            old: Json::Null,
                            new: item.clone(),
                        }),
                    }
                    path.truncate(len);
                }
                for (k, &(n, li)) in &live_items {
                    if !matched.contains(k) && last_items.contains_key(*k) && !injected(path, li) {
                        out.push(Change {
                            op: "remove",
                            path: format!("{path}/{n}"),
                            old: li.clone(),
                            new: Json::Null,
                        });
                    }
                }
            } else {
                // Atomic list: compare item by item, minus known injections in live.
                let la: Vec<&Json> = la
                    .iter()
                    .filter(|i| !injected(path, i) || da.contains(i))
                    .collect();
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
/// Where a live value equals the desired one by the comparison's rules (`1000m` and `1`),
/// the desired spelling is shown, so the diff shows only real changes.
fn project(d: &Json, l: &Json, last: Option<&Json>, path: &str) -> Json {
    match (d, l) {
        (Json::Object(dm), Json::Object(lm)) => {
            let mut out = Map::new();
            for (k, dv) in dm {
                if let Some(lv) = lm.get(k) {
                    let sub = format!("{path}/{}", escape(k));
                    out.insert(
                        k.clone(),
                        project(dv, lv, last.and_then(|x| x.get(k)), &sub),
                    );
                }
            }
            if let Some(Json::Object(lastm)) = last {
                for (k, lv) in lm {
                    if removed_field(dm, lastm, k, lv) {
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
                for (i, item) in da.iter().enumerate() {
                    if let Some(li) = la.iter().find(|x| x.get("name") == item.get("name")) {
                        out.push(project(item, li, None, &format!("{path}/{i}")));
                    }
                }
                Json::Array(out)
            } else {
                l.clone()
            }
        }
        (_, lv) if scalar_equal(path, d, lv) => d.clone(),
        (_, lv) => lv.clone(),
    }
}

/// A changed Secret value as printed: its mask, or nothing where there is no value.
fn mask_value(v: &Json, mask: &str) -> Json {
    if v.is_null() { Json::Null } else { json!(mask) }
}

/// Secret values replaced by masks: `***` where both sides agree, `changed` (`*** (before)`
/// or `*** (after)`) where they differ (R12).
fn mask_secret(obj: &Json, other: Option<&Json>, changed: &str) -> Json {
    let mut o = obj.clone();
    let is_secret = o["kind"] == "Secret" && o["apiVersion"] == "v1";
    if !is_secret {
        return o;
    }
    for field in ["data", "stringData"] {
        if let Some(m) = o.get_mut(field).and_then(Json::as_object_mut) {
            for (k, v) in m.iter_mut() {
                let same = other.and_then(|x| x.get(field)).and_then(|x| x.get(k)) == Some(v);
                *v = json!(if same || other.is_none() {
                    "***"
                } else {
                    changed
                });
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
            crate::project::yaml::to_yaml(v)
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
            previous(&l).as_ref(),
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
