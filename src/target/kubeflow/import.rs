//! Reading the Kubeflow operator's own objects back into SparkJob documents (`sparkc
//! import`): a `SparkApplication` or `ScheduledSparkApplication` becomes a job with
//! `target: operator`. sparkc's spec shares the operator's field names, so most of `spec`
//! carries over as it is; what does not is reported.

use serde_json::{Map, Value as Json, json};

use crate::import::Lost;
use crate::project::spec::API_VERSION;
use crate::project::yaml::Seg;
use crate::spark::conf;

fn take(map: &mut Map<String, Json>, key: &str) -> Option<Json> {
    map.remove(key)
}

fn key(path: &[&str]) -> Vec<Seg> {
    path.iter().map(|k| Seg::Key((*k).to_owned())).collect()
}

/// Converts one operator object into a SparkJob document.
pub(super) fn convert(doc: &Json, scheduled: bool, lost: &mut Lost) -> Json {
    let metadata = crate::import::job_metadata(doc, lost);
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
    spec.insert(
        "target".into(),
        json!(crate::target::id_text(&super::Kubeflow)),
    );
    // `sparkConf` keys sparkc manages (which validate refuses there) go to their field (the
    // field, when also set, wins) or, when sparkc derives them, are left out with a note;
    // the rest stay where they were.
    if let Some(Json::Object(conf)) = spec.remove("sparkConf") {
        let mut b = crate::import::SubmitBuilder {
            spec: std::mem::take(&mut spec),
            keep_existing: true,
            ..Default::default()
        };
        let mut kept = serde_json::Map::new();
        for (k, v) in &conf {
            if conf::lookup(k).is_none_or(|e| !moves(e)) {
                kept.insert(k.clone(), v.clone());
                continue;
            }
            let value = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            let (before, dropped_before) = (b.lost.len(), b.dropped.len());
            b.conf(k, &value);
            let at = at(&["sparkConf", k]);
            for why in b.lost.drain(before..) {
                lost.push((at.clone(), why));
            }
            for why in b.dropped.drain(dropped_before..) {
                lost.drop_note((at.clone(), why));
            }
            for why in b.changed.drain(..) {
                lost.change_note((at.clone(), why));
            }
        }
        b.name_and_namespace(&metadata, &|k| at(&["sparkConf", k]), lost);
        spec = b.spec;
        if !kept.is_empty() {
            spec.insert("sparkConf".into(), Json::Object(kept));
        }
    }
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
    for role in ["driver", "executor"] {
        secret_types(&mut spec, role, &at, lost);
    }
    for why in crate::import::settle_pull_policy(&mut spec, false, None) {
        lost.change_note((at(&["image"]), why));
    }
    let mut twice = Vec::new();
    for (role, field) in crate::import::env_entries(&mut spec, &mut |role, field, why, failing| {
        twice.push((at(&[role, field]), why, failing));
    }) {
        lost.change_note((
            at(&[role, field]),
            format!("`{role}.{field}` as `{role}.env` entries (the operator deprecated `{field}`)"),
        ));
    }
    for (path, why, failing) in twice {
        if failing {
            lost.push((path, why));
        } else {
            lost.change_note((path, why));
        }
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

/// Whether a `sparkConf` key goes to its field on import: the keys sparkc manages (which
/// validate refuses in `sparkConf`), and the keys of a field the operator turns back into
/// the same key and value (`hadoopConf`, labels, annotations, node selectors, scalar
/// fields such as `memoryOverhead`). The others stay: dynamic allocation (the operator adds
/// its own defaults beside the field), Spark's GPU keys (`Kubeflow::User`: the user's on
/// this target), the environment and secrets (their fields read differently).
fn moves(e: &conf::Key) -> bool {
    use conf::{Access, Kubeflow, Pattern, Value};
    let dynamic = e.key.starts_with("spark.dynamicAllocation.");
    e.access == Access::Managed
        || (!dynamic
            && matches!(e.kubeflow, Kubeflow::Field(_))
            && matches!(e.source, conf::Source::Field(_))
            && match e.pattern {
                Pattern::Prefix => {
                    e.value == Value::Map && *e != conf::DRIVER_ENV && *e != conf::EXECUTOR_ENV
                }
                _ => matches!(e.value, Value::Text | Value::Int | Value::Bool),
            })
}

/// The operator's secret types, which it compares exactly; any other `secretType` (`generic`
/// in lower case, a misspelling) is mounted only, as `Generic` is: written so, with a note.
fn secret_types(
    spec: &mut Map<String, Json>,
    role: &str,
    at: &dyn Fn(&[&str]) -> Vec<Seg>,
    lost: &mut Lost,
) {
    const TYPES: [&str; 3] = ["GCPServiceAccount", "HadoopDelegationToken", "Generic"];
    let Some(Json::Array(secrets)) = spec.get_mut(role).and_then(|r| r.get_mut("secrets")) else {
        return;
    };
    for (i, secret) in secrets.iter_mut().enumerate() {
        let Some(Json::String(kind)) = secret.get("secretType") else {
            continue;
        };
        if TYPES.contains(&kind.as_str()) {
            continue;
        }
        let meant = TYPES
            .iter()
            .find(|t| t.eq_ignore_ascii_case(kind) && **t != "Generic")
            .map(|t| {
                format!("; if `{t}` was meant, write it so: the operator compares the name exactly")
            })
            .unwrap_or_default();
        let why = format!(
            "`secretType: {kind}` as `Generic`: it is none of the operator's types ({}), and the operator mounts such a Secret only, as it does a `Generic` one{meant}",
            TYPES.join(", ")
        );
        secret["secretType"] = json!("Generic");
        let mut path = at(&[role, "secrets"]);
        path.push(Seg::Index(i));
        path.push(Seg::Key("secretType".to_owned()));
        lost.change_note((path, why));
    }
}
