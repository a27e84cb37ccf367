//! `sparkc import`: existing `SparkApplication` / `ScheduledSparkApplication` manifests (or a
//! `spark-submit` command line) in, SparkJob specs out. Whatever cannot be carried over is
//! reported, never dropped silently.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json, json};

use crate::diagnostic::Diagnostic;
use crate::names;
use crate::schema::{self, Kind};
use crate::spec::API_VERSION;
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
    name: Option<String>,
    namespace: Option<String>,
    lost: Vec<String>,
}

impl SubmitBuilder {
    fn set(&mut self, path: &[&str], value: Json) {
        let mut node = &mut self.spec;
        for k in &path[..path.len() - 1] {
            let slot = node
                .entry((*k).to_owned())
                .or_insert_with(|| Json::Object(Map::new()));
            node = slot.as_object_mut().expect("objects only");
        }
        node.insert(path[path.len() - 1].to_owned(), value);
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
            "--master" => {
                if !value.starts_with("k8s://") {
                    self.lost.push(format!(
                        "`--master {value}`: sparkc runs jobs on Kubernetes"
                    ));
                }
            }
            "--deploy-mode" => self.set(
                &["target"],
                json!(if value == "cluster" {
                    "operator"
                } else {
                    "native"
                }),
            ),
            "--name" => self.name = Some(value.to_owned()),
            "--class" => self.set(&["mainClass"], json!(value)),
            "--jars" => self.list(&["deps", "jars"], value),
            "--py-files" => self.list(&["deps", "pyFiles"], value),
            "--files" => self.list(&["deps", "files"], value),
            "--archives" => self.list(&["deps", "archives"], value),
            "--packages" => self.list(&["deps", "packages"], value),
            "--exclude-packages" => self.list(&["deps", "excludePackages"], value),
            "--repositories" => self.list(&["deps", "repositories"], value),
            "--driver-memory" => self.set(&["driver", "memory"], json!(value)),
            "--driver-cores" => self.int(&["driver", "cores"], value, "--driver-cores"),
            "--driver-java-options" => self.set(&["driver", "javaOptions"], json!(value)),
            "--executor-memory" => self.set(&["executor", "memory"], json!(value)),
            "--executor-cores" => self.int(&["executor", "cores"], value, "--executor-cores"),
            "--num-executors" => self.int(&["executor", "instances"], value, "--num-executors"),
            "--proxy-user" => self.set(&["proxyUser"], json!(value)),
            "--conf" | "-c" => match value.split_once('=') {
                Some((k, v)) => self.conf(k, v),
                None => self.lost.push(format!("`--conf {value}` has no `=`")),
            },
            other => self
                .lost
                .push(format!("`{other} {value}` (no SparkJob field)")),
        }
    }

    fn conf(&mut self, key: &str, v: &str) {
        let direct: BTreeMap<&str, &[&str]> = [
            ("spark.kubernetes.container.image", &["image"][..]),
            (
                "spark.kubernetes.driver.container.image",
                &["driver", "image"][..],
            ),
            (
                "spark.kubernetes.executor.container.image",
                &["executor", "image"][..],
            ),
            (
                "spark.kubernetes.container.image.pullPolicy",
                &["imagePullPolicy"][..],
            ),
            (
                "spark.kubernetes.authenticate.driver.serviceAccountName",
                &["serviceAccount"][..],
            ),
            (
                "spark.kubernetes.authenticate.executor.serviceAccountName",
                &["executor", "serviceAccount"][..],
            ),
            ("spark.executor.memory", &["executor", "memory"][..]),
            (
                "spark.executor.memoryOverhead",
                &["executor", "memoryOverhead"][..],
            ),
            ("spark.driver.memory", &["driver", "memory"][..]),
            (
                "spark.driver.memoryOverhead",
                &["driver", "memoryOverhead"][..],
            ),
            (
                "spark.kubernetes.driver.request.cores",
                &["driver", "coreRequest"][..],
            ),
            (
                "spark.kubernetes.driver.limit.cores",
                &["driver", "coreLimit"][..],
            ),
            (
                "spark.kubernetes.executor.request.cores",
                &["executor", "coreRequest"][..],
            ),
            (
                "spark.kubernetes.executor.limit.cores",
                &["executor", "coreLimit"][..],
            ),
            (
                "spark.driver.extraJavaOptions",
                &["driver", "javaOptions"][..],
            ),
            (
                "spark.executor.extraJavaOptions",
                &["executor", "javaOptions"][..],
            ),
            (
                "spark.kubernetes.memoryOverheadFactor",
                &["memoryOverheadFactor"][..],
            ),
        ]
        .into_iter()
        .collect();
        let ints: BTreeMap<&str, &[&str]> = [
            ("spark.executor.instances", &["executor", "instances"][..]),
            ("spark.executor.cores", &["executor", "cores"][..]),
            ("spark.driver.cores", &["driver", "cores"][..]),
            (
                "spark.dynamicAllocation.initialExecutors",
                &["dynamicAllocation", "initialExecutors"][..],
            ),
            (
                "spark.dynamicAllocation.minExecutors",
                &["dynamicAllocation", "minExecutors"][..],
            ),
            (
                "spark.dynamicAllocation.maxExecutors",
                &["dynamicAllocation", "maxExecutors"][..],
            ),
        ]
        .into_iter()
        .collect();
        let prefixes: &[(&str, &[&str])] = &[
            ("spark.kubernetes.driver.label.", &["driver", "labels"]),
            ("spark.kubernetes.executor.label.", &["executor", "labels"]),
            (
                "spark.kubernetes.driver.annotation.",
                &["driver", "annotations"],
            ),
            (
                "spark.kubernetes.executor.annotation.",
                &["executor", "annotations"],
            ),
            ("spark.kubernetes.node.selector.", &["nodeSelector"]),
            (
                "spark.kubernetes.driver.node.selector.",
                &["driver", "nodeSelector"],
            ),
            (
                "spark.kubernetes.executor.node.selector.",
                &["executor", "nodeSelector"],
            ),
            ("spark.hadoop.", &["hadoopConf"]),
            ("spark.kubernetes.driverEnv.", &["driver", "envVars"]),
            ("spark.executorEnv.", &["executor", "envVars"]),
        ];
        if let Some(path) = direct.get(key) {
            self.set(path, json!(v));
        } else if let Some(path) = ints.get(key) {
            self.int(path, v, key);
        } else if let Some((prefix, path)) = prefixes.iter().find(|(p, _)| key.starts_with(p)) {
            let mut full = path.to_vec();
            let rest = &key[prefix.len()..];
            full.push(rest);
            self.set(&full, json!(v));
        } else {
            match key {
                "spark.kubernetes.namespace" => self.namespace = Some(v.to_owned()),
                "spark.app.name" => self.name = Some(v.to_owned()),
                "spark.kubernetes.container.image.pullSecrets" => {
                    self.list(&["imagePullSecrets"], v)
                }
                "spark.dynamicAllocation.enabled" => {
                    self.set(&["dynamicAllocation", "enabled"], json!(v == "true"))
                }
                "spark.dynamicAllocation.shuffleTracking.enabled" => {
                    self.set(
                        &["dynamicAllocation", "shuffleTrackingEnabled"],
                        json!(v == "true"),
                    );
                }
                "spark.kubernetes.executor.deleteOnTermination" => {
                    self.set(&["executor", "deleteOnTermination"], json!(v == "true"));
                }
                "spark.jars" => self.list(&["deps", "jars"], v),
                "spark.submit.pyFiles" => self.list(&["deps", "pyFiles"], v),
                "spark.files" => self.list(&["deps", "files"], v),
                "spark.jars.packages" => self.list(&["deps", "packages"], v),
                k if crate::rules::forbidden_conf(k) => {
                    self.lost
                        .push(format!("`--conf {k}=…`: sparkc sets it from the target"));
                }
                k => self.set(&["sparkConf", k], json!(v)),
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
