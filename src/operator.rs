//! The `operator` target: a Kubeflow Spark Operator `SparkApplication` (or, with a schedule,
//! a `ScheduledSparkApplication`), plus the driver's RBAC unless an existing account is named.
//!
//! sparkc's spec uses the operator's field names, so the application spec is the effective
//! spec minus sparkc's own fields, plus what the operator's defaulting webhook would write
//! (so a live diff shows no false drift). Without the webhook (`operator: {webhook: false}`
//! in `sparkc.yaml`), pod settings move into `driver.template` / `executor.template`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value as Json, json};

use crate::merge::strip_nulls;
use crate::names::{self, Names};
use crate::spec::{ConcurrencyPolicy, RestartType};
use crate::validate::Job;

/// What the operator templates need for one job.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub names: Names,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub service_account: String,
    pub rbac: bool,
    #[serde(skip)]
    pub app_spec: Json,
    pub schedule: Option<Json>,
    /// Templates to render, in output order.
    pub templates: Vec<&'static str>,
}

/// sparkc's own spec fields, which the operator does not have.
const SPARKC_ONLY: &[&str] = &["target", "schedule", "rerun", "native", "serviceAccount"];

/// Pod settings the operator applies only through its mutating webhook: (field, where it goes
/// in a pod template). `Container` fields go to the role's container.
const WEBHOOK_FIELDS: &[(&str, Place)] = &[
    ("volumeMounts", Place::Container("volumeMounts")),
    ("env", Place::Container("env")),
    ("envFrom", Place::Container("envFrom")),
    ("securityContext", Place::Container("securityContext")),
    ("lifecycle", Place::Container("lifecycle")),
    ("affinity", Place::Pod("affinity")),
    ("tolerations", Place::Pod("tolerations")),
    ("schedulerName", Place::Pod("schedulerName")),
    ("priorityClassName", Place::Pod("priorityClassName")),
    ("podSecurityContext", Place::Pod("securityContext")),
    ("initContainers", Place::Pod("initContainers")),
    ("hostAliases", Place::Pod("hostAliases")),
    ("dnsConfig", Place::Pod("dnsConfig")),
    (
        "terminationGracePeriodSeconds",
        Place::Pod("terminationGracePeriodSeconds"),
    ),
    ("hostNetwork", Place::Pod("hostNetwork")),
    ("shareProcessNamespace", Place::Pod("shareProcessNamespace")),
    ("nodeSelector", Place::Pod("nodeSelector")),
];

/// Webhook-only fields that a pod template cannot carry (Spark sets them itself).
const WEBHOOK_ONLY: &[&str] = &["memoryLimit", "gpu", "ports", "configMaps", "sidecars"];

#[derive(Debug, Clone, Copy)]
enum Place {
    Container(&'static str),
    Pod(&'static str),
}

/// Builds the plan of one operator job. `webhook` says whether the operator's mutating
/// webhook runs. Errors name what cannot be rendered.
pub fn plan(job: &Job, webhook: bool) -> Result<Plan, String> {
    let names = Names::new(&job.name, &job.namespace, "");
    let spec = &job.spec;
    let mut app = serde_json::to_value(spec).map_err(|e| e.to_string())?;
    strip_nulls(&mut app);
    let Json::Object(obj) = &mut app else {
        return Err("the spec is not a mapping".to_owned());
    };
    for key in SPARKC_ONLY {
        obj.remove(*key);
    }
    obj.insert("mode".into(), "cluster".into());
    obj.insert(
        "type".into(),
        serde_json::to_value(job.app_type).unwrap_or_default(),
    );

    let existing = names::existing_service_account(spec);
    let rbac = existing.is_none();
    let service_account = existing
        .clone()
        .unwrap_or_else(|| names.service_account.clone());
    let only_in_template = existing.is_some()
        && spec.service_account.is_none()
        && spec
            .driver
            .as_ref()
            .and_then(|d| d.service_account.as_ref())
            .is_none();
    let driver = object(obj, "driver");
    if !only_in_template {
        // (An account named only in the driver's pod template stays there.)
        driver.insert(
            "serviceAccount".into(),
            Json::String(service_account.clone()),
        );
    }
    if let Some(rerun) = &spec.rerun {
        // Any change of the spec makes the operator run the application again.
        let annotations = object(driver, "annotations");
        annotations.insert("sparkc.io/rerun".into(), Json::String(rerun.clone()));
    }
    if let Some(exec_sa) = spec
        .executor
        .as_ref()
        .and_then(|e| e.service_account.clone())
    {
        object(obj, "executor").insert("serviceAccount".into(), Json::String(exec_sa));
    }

    // What the defaulting webhook writes, written out.
    let dynamic = spec
        .dynamic_allocation
        .as_ref()
        .is_some_and(|d| d.enabled == Some(true));
    if dynamic {
        object(obj, "dynamicAllocation")
            .entry("shuffleTrackingEnabled")
            .or_insert(Json::Bool(true));
    }
    if let Some(rp) = &spec.restart_policy
        && matches!(
            rp.restart_type,
            Some(RestartType::OnFailure | RestartType::Always)
        )
    {
        let policy = object(obj, "restartPolicy");
        policy.entry("onFailureRetryInterval").or_insert(json!(5));
        policy
            .entry("onSubmissionFailureRetryInterval")
            .or_insert(json!(5));
    }
    if obj.contains_key("monitoring") {
        let m = object(obj, "monitoring");
        m.entry("exposeDriverMetrics").or_insert(Json::Bool(true));
        m.entry("exposeExecutorMetrics").or_insert(Json::Bool(true));
    }
    if !webhook {
        route_through_templates(obj, job)?;
    }

    let schedule = spec.schedule.as_ref().map(|s| {
        json!({
            "cron": s.cron,
            "timeZone": s.time_zone.clone().unwrap_or_else(|| "Etc/UTC".to_owned()),
            "concurrencyPolicy": format!("{:?}", s.concurrency_policy.unwrap_or(ConcurrencyPolicy::Forbid)),
            "suspend": s.suspend.unwrap_or(false),
            "successfulRunHistoryLimit": s.successful_run_history_limit.unwrap_or(3),
            "failedRunHistoryLimit": s.failed_run_history_limit.unwrap_or(3),
        })
    });
    let mut templates = Vec::new();
    if rbac {
        templates.extend([
            "common/serviceaccount.yaml",
            "common/role.yaml",
            "common/rolebinding.yaml",
        ]);
    }
    templates.push(if schedule.is_some() {
        "operator/scheduledsparkapplication.yaml"
    } else {
        "operator/sparkapplication.yaml"
    });
    Ok(Plan {
        labels: names.object_labels(&job.env, &job.labels),
        annotations: job.annotations.clone(),
        service_account,
        rbac,
        app_spec: app,
        schedule,
        templates,
        names,
    })
}

/// The mapping under `key`, created when absent.
fn object<'a>(obj: &'a mut Map<String, Json>, key: &str) -> &'a mut Map<String, Json> {
    let slot = obj.entry(key).or_insert_with(|| Json::Object(Map::new()));
    if !slot.is_object() {
        *slot = Json::Object(Map::new());
    }
    slot.as_object_mut().expect("just made an object")
}

/// Moves webhook-only pod settings into the roles' pod templates (Spark reads those without
/// the webhook). What a template cannot carry is refused.
fn route_through_templates(app: &mut Map<String, Json>, job: &Job) -> Result<(), String> {
    let volumes = app.remove("volumes");
    let spec_tolerations = app.remove("tolerations");
    for (role, container) in [
        ("driver", names::DRIVER_CONTAINER),
        ("executor", names::EXECUTOR_CONTAINER),
    ] {
        let r = object(app, role);
        let refused: Vec<&str> = WEBHOOK_ONLY
            .iter()
            .copied()
            .filter(|f| r.contains_key(*f))
            .collect();
        if !refused.is_empty() {
            return Err(format!(
                "`{role}.{}` needs the operator's webhook, which this project says is off (`operator.webhook: false`)",
                refused.join("`, `")
            ));
        }
        let mut moved_pod = Map::new();
        let mut moved_container = Map::new();
        for (field, place) in WEBHOOK_FIELDS {
            if let Some(v) = r.remove(*field) {
                match place {
                    Place::Container(k) => moved_container.insert((*k).to_owned(), v),
                    Place::Pod(k) => moved_pod.insert((*k).to_owned(), v),
                };
            }
        }
        if let Some(v) = &volumes {
            moved_pod.insert("volumes".into(), v.clone());
        }
        if let Some(Json::Array(t)) = &spec_tolerations {
            let mut all = t.clone();
            if let Some(Json::Array(own)) = moved_pod.get("tolerations") {
                all.extend(own.iter().cloned());
            }
            moved_pod.insert("tolerations".into(), Json::Array(all));
        }
        if moved_pod.is_empty() && moved_container.is_empty() {
            continue;
        }
        if !moved_container.is_empty() {
            moved_container.insert("name".into(), Json::String(container.to_owned()));
            moved_pod.insert("containers".into(), json!([moved_container]));
        }
        let ours = json!({"spec": moved_pod});
        let template = r.remove("template").unwrap_or_else(|| json!({}));
        let merged = crate::native::merge_pod_spec(template, ours);
        r.insert("template".into(), merged);
    }
    if job
        .spec
        .spark_version
        .as_deref()
        .is_some_and(|v| crate::rules::version_lt(v, (3, 0)))
    {
        return Err("pod templates need Spark 3.0 or later".to_owned());
    }
    Ok(())
}
