//! Reading the Apache operator's `SparkApplication` (`v1`, and `v1beta1`, which has the same
//! fields sparkc reads) back into a SparkJob with `target: apache-operator`: `sparkConf`
//! goes through the configuration table into the fields it has (image, account,
//! resources, labels, ...), the application's fields into `mainApplicationFile`, `deps`
//! and `arguments`, the pod templates into `driver/executor.template`, and
//! `applicationTolerations` into `restartPolicy` and `timeToLiveSeconds` where they say the
//! same, else into `apache.applicationTolerations`. What cannot be carried over is
//! reported.

use serde_json::{Map, Value as Json, json};

use crate::import::{Lost, SubmitBuilder};
use crate::project::spec::API_VERSION;
use crate::project::yaml::Seg;
use crate::spark::conf;

fn key(path: &[&str]) -> Vec<Seg> {
    path.iter().map(|k| Seg::Key((*k).to_owned())).collect()
}

fn split(csv: &str) -> Vec<String> {
    csv.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Converts one Apache operator application into a SparkJob document.
pub(super) fn convert(doc: &Json, lost: &mut Lost) -> Json {
    let mut metadata = crate::import::job_metadata(doc, lost);
    let mut src = doc
        .get("spec")
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    let mut b = SubmitBuilder {
        name: metadata
            .get("name")
            .and_then(Json::as_str)
            .map(str::to_owned),
        ..SubmitBuilder::default()
    };
    let mut named = (None, None);
    if let Some(Json::Object(conf_map)) = src.remove("sparkConf") {
        let text = |k: &str| conf_map.get(k).and_then(Json::as_str).map(str::to_owned);
        named = (text(conf::APP_NAME.key), text(conf::NAMESPACE.key));
        for (k, v) in &conf_map {
            let value = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            let before = b.lost.len();
            match conf::lookup(k) {
                Some(entry) if super::free_on_this_target(entry) => {
                    b.set(&["sparkConf", k], json!(value));
                }
                _ => b.conf(k, &value),
            }
            for why in b.lost.drain(before..) {
                lost.push((key(&["spec", "sparkConf", k]), why));
            }
            for why in b.dropped.drain(..) {
                lost.drop_note((key(&["spec", "sparkConf", k]), why));
            }
            for why in b.changed.drain(..) {
                lost.change_note((key(&["spec", "sparkConf", k]), why));
            }
        }
    }
    b.finish();
    for why in b.changed.drain(..) {
        lost.change_note((key(&["spec", "image"]), why));
    }
    // `finish` knew the job's name (for its default account); what the configuration said
    // is compared now.
    (b.name, b.namespace) = named;
    b.name_and_namespace(&metadata, &|k| key(&["spec", "sparkConf", k]), lost);
    // Labels both roles' pods carry are the job's own.
    if !b.labels.is_empty()
        && let Json::Object(labels) = metadata
            .entry("labels")
            .or_insert_with(|| Json::Object(Map::new()))
    {
        labels.extend(std::mem::take(&mut b.labels));
    }
    for why in b.lost.drain(..) {
        lost.push((key(&["spec", "sparkConf"]), why));
    }
    let mut spec = std::mem::take(&mut b.spec);
    let mut set = |path: &[&str], value: Json| {
        let mut node = &mut spec;
        for k in &path[..path.len() - 1] {
            node = node
                .entry((*k).to_owned())
                .or_insert_with(|| Json::Object(Map::new()))
                .as_object_mut()
                .expect("sparkc builds these as mappings");
        }
        node.insert(path[path.len() - 1].to_owned(), value);
    };
    set(&["target"], json!(crate::target::id_text(&super::Apache)));
    application(&mut src, &mut set, lost);
    if let Some(Json::Object(mut v)) = src.remove("runtimeVersions") {
        if let Some(s) = v.remove("sparkVersion") {
            set(&["sparkVersion"], s);
        }
        if !v.is_empty() {
            set(&["apache", "runtimeVersions"], Json::Object(v));
        }
    }
    for (field, role) in [("driverSpec", "driver"), ("executorSpec", "executor")] {
        if let Some(Json::Object(mut r)) = src.remove(field) {
            if let Some(t) = r.remove("podTemplateSpec").filter(|t| !t.is_null()) {
                set(&[role, "template"], t);
            }
            for k in r.keys() {
                lost.push((
                    key(&["spec", field, k]),
                    format!("`{field}.{k}` has no SparkJob field"),
                ));
            }
        }
    }
    if let Some(Json::Object(t)) = src.remove("applicationTolerations") {
        tolerations(t, &mut set);
    }
    for field in [
        "configMapSpecs",
        "driverServiceIngressList",
        "driverHttpRouteList",
        "driverGrpcRouteList",
    ] {
        if let Some(v) = src.remove(field) {
            set(&["apache", field], v);
        }
    }
    for k in src.keys() {
        lost.push((
            key(&["spec", k]),
            format!("`spec.{k}` has no SparkJob field"),
        ));
    }
    json!({
        "apiVersion": API_VERSION,
        "kind": "SparkJob",
        "metadata": metadata,
        "spec": spec,
    })
}

/// The application as the operator reads it: `jars` first (a JVM application), then the
/// Python runner's `pyFiles`, then `pyFiles`, then `sparkRFiles`; the first entry is the
/// application file and the rest its dependencies.
fn application(src: &mut Map<String, Json>, set: &mut impl FnMut(&[&str], Json), lost: &mut Lost) {
    let text = |src: &mut Map<String, Json>, k: &str| {
        src.remove(k)
            .and_then(|v| v.as_str().map(str::to_owned))
            .filter(|s| !s.is_empty())
    };
    let main_class = text(src, "mainClass");
    let jars = text(src, "jars").map(|s| split(&s)).unwrap_or_default();
    let py_files = text(src, "pyFiles").map(|s| split(&s)).unwrap_or_default();
    let r_files = text(src, "sparkRFiles")
        .map(|s| split(&s))
        .unwrap_or_default();
    let mut main_and_deps = |list: Vec<String>, deps: &str, app_type: &str| {
        let mut it = list.into_iter();
        if let Some(main) = it.next() {
            let known = crate::rules::infer_type(&crate::project::spec::SparkJobSpec {
                main_application_file: Some(main.clone()),
                ..Default::default()
            });
            if known.is_none() {
                set(&["type"], json!(app_type));
            }
            set(&["mainApplicationFile"], json!(main));
        }
        let rest: Vec<String> = it.collect();
        if !rest.is_empty() {
            set(&["deps", deps], json!(rest));
        }
    };
    if !jars.is_empty() {
        main_and_deps(jars, "jars", "Scala");
        if let Some(c) = main_class {
            set(&["mainClass"], json!(c));
        }
        if !py_files.is_empty() {
            set(&["deps", "pyFiles"], json!(py_files));
        }
    } else if !py_files.is_empty() {
        if main_class
            .as_deref()
            .is_some_and(|c| c != super::PYTHON_RUNNER)
        {
            lost.push((
                key(&["spec", "mainClass"]),
                "a main class beside `pyFiles` without `jars`: the operator runs the Python file"
                    .to_owned(),
            ));
        }
        main_and_deps(py_files, "pyFiles", "Python");
    } else if !r_files.is_empty() {
        main_and_deps(r_files, "files", "R");
    } else if let Some(c) = main_class {
        set(&["mainClass"], json!(c));
    }
    if let Some(Json::String(files)) = src.remove("files") {
        lost.push((
            key(&["spec", "files"]),
            "the operator does not read `files`; sparkc ships them as `deps.files` (`spark.files`)"
                .to_owned(),
        ));
        set(&["deps", "files"], json!(split(&files)));
    }
    if let Some(args) = src.remove("driverArgs") {
        set(&["arguments"], args);
    }
    if let Some(user) = src.remove("proxyUser") {
        set(&["proxyUser"], user);
    }
    match src.remove("deploymentMode") {
        Some(Json::String(m)) if m == "ClientMode" => lost.push((
            key(&["spec", "deploymentMode"]),
            "`ClientMode`: sparkc's apache-operator target runs cluster mode (use `target: native` for a driver in a pod of its own)".to_owned(),
        )),
        _ => {}
    }
}

/// `applicationTolerations`: the restart policy, retries and whole-second backoffs into
/// `restartPolicy`, a whole-second TTL into `timeToLiveSeconds`, the rest as it is.
fn tolerations(mut t: Map<String, Json>, set: &mut impl FnMut(&[&str], Json)) {
    let int = |v: &Json| v.as_i64();
    if let Some(Json::Object(mut rc)) = t.remove("restartConfig") {
        let policy = rc
            .get("restartPolicy")
            .and_then(Json::as_str)
            .map(str::to_owned);
        if let Some(p) = policy.filter(|p| matches!(p.as_str(), "Never" | "OnFailure" | "Always")) {
            rc.remove("restartPolicy");
            set(&["restartPolicy", "type"], json!(p));
            for (from, to, scale) in [
                ("maxRestartAttempts", "onFailureRetries", 1),
                ("restartBackoffMillis", "onFailureRetryInterval", 1000),
                (
                    "maxRestartOnSchedulingFailure",
                    "onSubmissionFailureRetries",
                    1,
                ),
                (
                    "restartBackoffMillisForSchedulingFailure",
                    "onSubmissionFailureRetryInterval",
                    1000,
                ),
            ] {
                let fits =
                    |n: i64| n % scale == 0 && (scale != 1 || i32::try_from(n).is_ok()) && n >= 0;
                if let Some(n) = rc.get(from).and_then(int).filter(|n| fits(*n)) {
                    rc.remove(from);
                    set(&["restartPolicy", to], json!(n / scale));
                }
            }
        }
        if !rc.is_empty() {
            set(
                &["apache", "applicationTolerations", "restartConfig"],
                Json::Object(rc),
            );
        }
    }
    if let Some(ms) = t.get("ttlAfterStopMillis").and_then(int)
        && ms >= 0
        && ms % 1000 == 0
    {
        t.remove("ttlAfterStopMillis");
        set(&["timeToLiveSeconds"], json!(ms / 1000));
    }
    for (k, v) in t {
        set(&["apache", "applicationTolerations", &k], v);
    }
}
