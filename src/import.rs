//! `sparkc import`: existing `SparkApplication` / `ScheduledSparkApplication` manifests (or a
//! `spark-submit` command line) in, SparkJob specs out. Whatever cannot be carried over is
//! reported, never dropped silently.

use serde_json::{Map, Value as Json, json};

use crate::diagnostic::Diagnostic;
use crate::names;
use crate::schema::{self, Kind};
use crate::spark::conf;
use crate::spark::submit::Mode;
use crate::spec::API_VERSION;
use crate::target;
use crate::yaml::{self, Seg, path_string};

/// One imported job.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub name: String,
    /// The SparkJob document.
    pub job: Json,
    /// Where it came from (`file` or `file#N` for the N-th document).
    pub source: String,
}

/// The outcome of an import: jobs, and what could not be carried over.
#[derive(Debug, Default)]
pub struct Outcome {
    pub jobs: Vec<Imported>,
    pub diagnostics: Vec<Diagnostic>,
}

const OPERATOR_API: &str = "sparkoperator.k8s.io/v1beta2";

/// Imports the operator objects in one file's text.
pub fn from_manifests(file: &str, text: &str) -> Outcome {
    let mut out = Outcome::default();
    let docs = match yaml::parse_documents(text) {
        Ok(d) => d,
        Err(e) => {
            out.diagnostics.push(crate::workspace::syntax_diag(file, e));
            return out;
        }
    };
    for (i, node) in docs.iter().enumerate() {
        let doc = node.to_json();
        let kind = doc.get("kind").and_then(Json::as_str).unwrap_or_default();
        let api = doc
            .get("apiVersion")
            .and_then(Json::as_str)
            .unwrap_or_default();
        let source = if docs.len() > 1 {
            format!("{file}#{}", i + 1)
        } else {
            file.to_owned()
        };
        match (api, kind) {
            (OPERATOR_API, "SparkApplication" | "ScheduledSparkApplication") => {
                let mut lost = Vec::new();
                let job = convert(&doc, kind == "ScheduledSparkApplication", &mut lost);
                let job = fit_schema(job, &mut lost);
                for (path, why) in lost {
                    out.diagnostics.push(
                        Diagnostic::warning(
                            "import",
                            file,
                            Some(node.locate(&path).map_or_else(|n| n.pos, |n| n.pos)),
                        )
                        .path(path_string(&path))
                        .message(format!("not carried over: {why}")),
                    );
                }
                let name = job
                    .pointer("/metadata/name")
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_owned();
                out.jobs.push(Imported { name, job, source });
            }
            _ => {
                let what = if kind.is_empty() {
                    "a document without `kind`".to_owned()
                } else {
                    format!("a {kind} ({api})")
                };
                out.diagnostics.push(
                    Diagnostic::warning("import-skipped", file, Some(node.pos))
                        .message(format!("skipped {what}: only sparkoperator.k8s.io/v1beta2 SparkApplication and ScheduledSparkApplication are imported"))
                        .hint("keep it in Git as it is, beside the rendered tree"),
                );
            }
        }
    }
    out
}

fn take(map: &mut Map<String, Json>, key: &str) -> Option<Json> {
    map.remove(key)
}

fn key(path: &[&str]) -> Vec<Seg> {
    path.iter().map(|k| Seg::Key((*k).to_owned())).collect()
}

/// Converts one operator object into a SparkJob document.
fn convert(doc: &Json, scheduled: bool, lost: &mut Vec<(Vec<Seg>, String)>) -> Json {
    let meta = doc
        .get("metadata")
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    let mut metadata = Map::new();
    for k in ["name", "namespace"] {
        if let Some(v) = meta.get(k) {
            metadata.insert(k.to_owned(), v.clone());
        }
    }
    for k in ["labels", "annotations"] {
        if let Some(Json::Object(m)) = meta.get(k) {
            let kept: Map<String, Json> = m
                .iter()
                .filter(|(key, _)| {
                    !matches!(
                        key.as_str(),
                        names::LABEL_MANAGED_BY | names::LABEL_NAME | names::LABEL_ENV
                    ) && !key.starts_with("kubectl.kubernetes.io/")
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if !kept.is_empty() {
                metadata.insert(k.to_owned(), Json::Object(kept));
            }
        }
    }
    for k in meta
        .keys()
        .filter(|k| !matches!(k.as_str(), "name" | "namespace" | "labels" | "annotations"))
    {
        if !matches!(
            k.as_str(),
            "uid"
                | "resourceVersion"
                | "generation"
                | "creationTimestamp"
                | "managedFields"
                | "selfLink"
        ) {
            lost.push((
                key(&["metadata", k]),
                format!("`metadata.{k}` is set by the cluster or has no SparkJob field"),
            ));
        }
    }
    let spec_src = doc
        .get("spec")
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    let (mut spec, schedule) = if scheduled {
        let mut s = spec_src.clone();
        let template = take(&mut s, "template")
            .and_then(|t| t.as_object().cloned())
            .unwrap_or_default();
        let mut sched = Map::new();
        if let Some(v) = take(&mut s, "schedule") {
            sched.insert("cron".into(), v);
        }
        for k in [
            "timeZone",
            "concurrencyPolicy",
            "suspend",
            "successfulRunHistoryLimit",
            "failedRunHistoryLimit",
        ] {
            if let Some(v) = take(&mut s, k) {
                sched.insert(k.into(), v);
            }
        }
        // The operator's defaults, written out so the import behaves as the original did.
        sched.entry("concurrencyPolicy").or_insert(json!("Allow"));
        sched.entry("successfulRunHistoryLimit").or_insert(json!(1));
        sched.entry("failedRunHistoryLimit").or_insert(json!(1));
        for k in s.keys() {
            lost.push((
                key(&["spec", k]),
                format!("`spec.{k}` has no ScheduledSparkApplication field in sparkc"),
            ));
        }
        (template, Some(sched))
    } else {
        (spec_src, None)
    };
    let prefix: &[&str] = if scheduled {
        &["spec", "template"]
    } else {
        &["spec"]
    };
    let at = |field: &[&str]| {
        let mut p = prefix.to_vec();
        p.extend_from_slice(field);
        key(&p)
    };
    match take(&mut spec, "mode") {
        Some(Json::String(m)) if m == "client" => lost.push((
            at(&["mode"]),
            "`mode: client` is not implemented by the operator; sparkc's operator target runs cluster mode (use `target: native` for client mode)".to_owned(),
        )),
        _ => {}
    }
    for legacy in ["failureRetries", "retryInterval"] {
        if take(&mut spec, legacy).is_some() {
            lost.push((
                at(&[legacy]),
                format!(
                    "`{legacy}` is a legacy field the operator no longer reads; use `restartPolicy`"
                ),
            ));
        }
    }
    spec.insert("target".into(), json!("operator"));
    if let Some(Json::Object(driver)) = spec.get_mut("driver")
        && let Some(sa) = driver.remove("serviceAccount")
    {
        spec.insert("serviceAccount".into(), sa);
    }
    if let Some(Json::Object(driver)) = spec.get_mut("driver")
        && let Some(Json::Object(annotations)) = driver.get_mut("annotations")
        && let Some(rerun) = annotations.remove("sparkc.io/rerun")
    {
        if annotations.is_empty() {
            driver.remove("annotations");
        }
        spec.insert("rerun".into(), rerun);
    }
    if let Some(s) = schedule {
        spec.insert("schedule".into(), Json::Object(s));
    }
    json!({
        "apiVersion": API_VERSION,
        "kind": "SparkJob",
        "metadata": metadata,
        "spec": spec,
    })
}

/// Removes what the SparkJob schema refuses, reporting each removal.
fn fit_schema(mut job: Json, lost: &mut Vec<(Vec<Seg>, String)>) -> Json {
    for _ in 0..8 {
        let issues = schema::check(Kind::SparkJob, &job);
        if issues.is_empty() {
            break;
        }
        for issue in issues.iter().rev() {
            lost.push((
                issue.path.clone(),
                format!("{} (sparkc has no such field or value)", issue.message),
            ));
            crate::validate::remove_path(&mut job, &issue.path);
        }
    }
    job
}

/// Imports a `spark-submit` command line (backslash continuations allowed).
pub fn from_submit(file: &str, text: &str) -> Outcome {
    let mut out = Outcome::default();
    let joined = text.replace("\\\r\n", " ").replace("\\\n", " ");
    let line = joined
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    let Some(words) = shlex::split(line) else {
        out.diagnostics.push(
            Diagnostic::error("import", file, None)
                .message("the command line has unbalanced quotes")
                .hint("give the spark-submit command as a shell would read it"),
        );
        return out;
    };
    let mut words = words.into_iter().peekable();
    if words.peek().is_some_and(|w| w.ends_with("spark-submit")) {
        words.next();
    }
    let mut b = SubmitBuilder::default();
    let mut positional = Vec::new();
    while let Some(w) = words.next() {
        if !positional.is_empty() || !w.starts_with("--") {
            positional.push(w);
            continue;
        }
        let (flag, inline) = match w.split_once('=') {
            Some((f, v)) => (f.to_owned(), Some(v.to_owned())),
            None => (w.clone(), None),
        };
        if matches!(
            flag.as_str(),
            "--verbose" | "--supervise" | "--kill" | "--status"
        ) {
            continue;
        }
        let value = inline.or_else(|| words.next()).unwrap_or_default();
        b.flag(&flag, &value);
    }
    let mut positional = positional.into_iter();
    if let Some(app) = positional.next() {
        b.spec.insert("mainApplicationFile".into(), json!(app));
    }
    let args: Vec<String> = positional.collect();
    if !args.is_empty() {
        b.spec.insert("arguments".into(), json!(args));
    }
    b.finish();
    for why in &b.lost {
        out.diagnostics.push(
            Diagnostic::warning("import", file, None).message(format!("not carried over: {why}")),
        );
    }
    let name = b.name.clone().unwrap_or_else(|| "imported-job".to_owned());
    let mut metadata = Map::new();
    metadata.insert("name".into(), json!(name));
    if let Some(ns) = &b.namespace {
        metadata.insert("namespace".into(), json!(ns));
    }
    if !b.labels.is_empty() {
        metadata.insert("labels".into(), Json::Object(b.labels.clone()));
    }
    let mut job = json!({"apiVersion": API_VERSION, "kind": "SparkJob", "metadata": metadata, "spec": b.spec});
    let mut lost = Vec::new();
    job = fit_schema(job, &mut lost);
    for (path, why) in lost {
        out.diagnostics.push(
            Diagnostic::warning("import", file, None)
                .path(path_string(&path))
                .message(format!("not carried over: {why}")),
        );
    }
    out.jobs.push(Imported {
        name,
        job,
        source: file.to_owned(),
    });
    out
}

#[derive(Default)]
struct SubmitBuilder {
    spec: Map<String, Json>,
    /// Labels of both roles: the job's own.
    labels: Map<String, Json>,
    name: Option<String>,
    namespace: Option<String>,
    lost: Vec<String>,
}

impl SubmitBuilder {
    fn set(&mut self, path: &[&str], value: Json) {
        let Some((last, parents)) = path.split_last() else {
            return;
        };
        let mut node = &mut self.spec;
        for k in parents {
            let slot = node
                .entry((*k).to_owned())
                .or_insert_with(|| Json::Object(Map::new()));
            let Some(next) = slot.as_object_mut() else {
                self.lost.push(format!(
                    "`{}` is set twice, as a value and as a map",
                    path.join(".")
                ));
                return;
            };
            node = next;
        }
        node.insert((*last).to_owned(), value);
    }

    fn list(&mut self, path: &[&str], csv: &str) {
        let items: Vec<Json> = csv
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| json!(s.trim()))
            .collect();
        self.set(path, Json::Array(items));
    }

    fn int(&mut self, path: &[&str], v: &str, what: &str) {
        match v.parse::<i64>() {
            Ok(n) => self.set(path, json!(n)),
            Err(_) => self
                .lost
                .push(format!("{what} `{v}` is not a whole number")),
        }
    }

    fn flag(&mut self, flag: &str, value: &str) {
        match flag {
            "--conf" | "-c" => match value.split_once('=') {
                Some((k, v)) => self.conf(k, v),
                None => self.lost.push(format!("`--conf {value}` has no `=`")),
            },
            _ => match conf::lookup_flag(flag) {
                Some(entry) => self.apply(entry, &format!("`{flag} {value}`"), None, value),
                None => self
                    .lost
                    .push(format!("`{flag} {value}` (no SparkJob field)")),
            },
        }
    }

    /// One `--conf key=value`: into the field the table names, else into `sparkConf`.
    fn conf(&mut self, key: &str, v: &str) {
        match conf::lookup(key) {
            Some(entry) => {
                let rest =
                    (entry.pattern == conf::Pattern::Prefix).then(|| &key[entry.key.len()..]);
                self.apply(entry, &format!("`--conf {key}=…`"), rest, v);
            }
            None => self.set(&["sparkConf", key], json!(v)),
        }
    }

    /// Reads a value back into the field of its table entry.
    fn apply(&mut self, entry: &conf::Key, what: &str, rest: Option<&str>, v: &str) {
        if *entry == conf::MASTER {
            if !v.starts_with("k8s://") {
                self.lost
                    .push(format!("`--master {v}`: sparkc runs jobs on Kubernetes"));
            }
            return;
        }
        if *entry == conf::DEPLOY_MODE {
            let mode = if v == "cluster" {
                Mode::Cluster
            } else {
                Mode::Client
            };
            self.set(&["target"], json!(target::id_text(target::for_mode(mode))));
            return;
        }
        if *entry == conf::GPU_DISCOVERY_SCRIPT && v == conf::GPU_DISCOVERY_SCRIPT_PATH {
            return;
        }
        let path = match entry.source {
            conf::Source::Derived(why) => {
                let why = if why.is_empty() {
                    entry.instead()
                } else {
                    why.to_owned()
                };
                self.lost.push(format!("{what}: {why}"));
                return;
            }
            conf::Source::Field("metadata.name") => {
                self.name = Some(v.to_owned());
                return;
            }
            conf::Source::Field("metadata.namespace") => {
                self.namespace = Some(v.to_owned());
                return;
            }
            conf::Source::Field(path) => path,
        };
        let mut segs: Vec<&str> = path.trim_start_matches("spec.").split('.').collect();
        match entry.value {
            conf::Value::Text => self.set(&segs, json!(v)),
            conf::Value::Int => self.int(&segs, v, what),
            conf::Value::Bool => self.set(&segs, json!(v == "true")),
            conf::Value::List => self.list(&segs, v),
            conf::Value::Millis => self.int(&segs, v.trim_end_matches("ms"), what),
            conf::Value::Map => {
                let Some(rest) = rest else { return };
                // Labels sparkc sets on every pod are not the job's own.
                let label = *entry == conf::DRIVER_LABEL || *entry == conf::EXECUTOR_LABEL;
                if label && names::sparkc_sets_label(rest) {
                    return;
                }
                segs.push(rest);
                self.set(&segs, json!(v));
            }
            conf::Value::SecretKeyRef => match (rest, v.split_once(':')) {
                (Some(rest), Some((name, key))) => {
                    segs.push(rest);
                    self.set(&segs, json!({"name": name, "key": key}));
                }
                _ => self
                    .lost
                    .push(format!("{what}: the value is not `secret-name:key`")),
            },
            conf::Value::GpuVendor => self.set(&segs, json!(format!("{v}/gpu"))),
            conf::Value::Manual => self.lost.push(format!("{what}: set {}", entry.instead())),
        }
    }

    /// What sparkc would derive anyway is not written back: labels on both roles are the
    /// job's, and the driver's default service account is sparkc's own.
    fn finish(&mut self) {
        let role_labels = |spec: &Map<String, Json>, role: &str| {
            spec.get(role)
                .and_then(|r| r.get("labels"))
                .and_then(Json::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let driver = role_labels(&self.spec, "driver");
        let executor = role_labels(&self.spec, "executor");
        let common: Map<String, Json> = driver
            .iter()
            .filter(|(k, v)| executor.get(*k) == Some(v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (k, v) in &common {
            for role in ["driver", "executor"] {
                if let Some(labels) = self
                    .spec
                    .get_mut(role)
                    .and_then(|r| r.get_mut("labels"))
                    .and_then(Json::as_object_mut)
                {
                    labels.remove(k);
                }
            }
            self.labels.insert(k.clone(), v.clone());
        }
        for role in ["driver", "executor"] {
            if let Some(r) = self.spec.get_mut(role).and_then(Json::as_object_mut)
                && r.get("labels")
                    .and_then(Json::as_object)
                    .is_some_and(Map::is_empty)
            {
                r.remove("labels");
            }
        }
        if let Some(name) = &self.name {
            let default = names::Names::new(name, "", "").service_account;
            if self.spec.get("serviceAccount").and_then(Json::as_str) == Some(&default) {
                self.spec.remove("serviceAccount");
            }
        }
    }
}

/// A SparkJob document as text: `apiVersion`, `kind`, `metadata`, `spec` in that order.
pub fn to_text(job: &Imported) -> String {
    let mut out = format!(
        "# Imported from {} by `sparkc import`.\napiVersion: {API_VERSION}\nkind: SparkJob\n",
        job.source
    );
    for section in ["metadata", "spec"] {
        if let Some(v) = job.job.get(section) {
            out.push_str(section);
            out.push_str(":\n");
            for line in yaml::to_yaml(v).lines() {
                if line.is_empty() {
                    out.push('\n');
                } else {
                    out.push_str("  ");
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
    }
    out
}
