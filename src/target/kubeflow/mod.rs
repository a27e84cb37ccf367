//! The `operator` target (Kubeflow Spark Operator): a Kubeflow Spark Operator `SparkApplication` (or, with a schedule,
//! a `ScheduledSparkApplication`), plus the driver's RBAC unless an existing account is named.
//!
//! sparkc's spec uses the operator's field names, so the application spec is the effective
//! spec minus sparkc's own fields, plus what the operator's defaulting webhook would write
//! (so a live diff shows no false drift). Without the webhook (`operator: {webhook: false}`
//! in `sparkc.yaml`), pod settings move into `driver.template` / `executor.template`.

mod import;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value as Json, json};

use crate::names::{self, Names};
use crate::project::merge::strip_nulls;
use crate::project::spec::RestartType;
use crate::project::spec::{Project, SparkJobSpec};
use crate::project::validate::Job;
use crate::project::yaml::Seg;
use crate::rules::{At, Findings, Subject, spec_path};
use crate::spark::conf;

/// What the operator templates need for one job.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub names: Names,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub service_account: String,
    pub rbac: bool,
    /// The driver's optional API paths, for its Role.
    pub driver_api: crate::spark::driver_api::DriverApi,
    #[serde(skip)]
    pub app_spec: Json,
    pub schedule: Option<Json>,
    /// Templates to render, in output order.
    pub templates: Vec<&'static str>,
}

/// sparkc's own spec fields, which the operator does not have.
const SPARKC_ONLY: &[&str] = &[
    "target",
    "schedule",
    "rerun",
    "native",
    "serviceAccount",
    "timeoutSeconds",
];

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
/// `restricted`: the `podSecurity: restricted` policy is in force, so the roles get
/// sparkc's restricted security contexts where they set none (the operator's pods have
/// none of their own).
pub fn plan(job: &Job, webhook: bool, restricted: bool) -> Result<Plan, String> {
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
        "imagePullPolicy".into(),
        serde_json::to_value(spec.pull_policy(crate::project::spec::Pods::All)).unwrap_or_default(),
    );
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
    // The CRD requires both roles, also when the spec removed every setting of one
    // (`executor: null` in a job drops what it inherits): the operator defaults them.
    for role in ["driver", "executor"] {
        object(obj, role);
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
    if restricted {
        for role in ["driver", "executor"] {
            let r = object(obj, role);
            r.entry("securityContext")
                .or_insert_with(crate::spark::pod::restricted_container_context);
            r.entry("podSecurityContext")
                .or_insert_with(crate::spark::pod::restricted_pod_context);
            for list in ["sidecars", "initContainers"] {
                for c in r
                    .get_mut(list)
                    .and_then(Json::as_array_mut)
                    .into_iter()
                    .flatten()
                {
                    crate::spark::pod::restrict_container(c);
                }
            }
        }
    }
    if !webhook {
        route_through_templates(obj, job)?;
    }
    if let Some(timeout) = spec.timeout_seconds {
        // The operator has no field for it: the driver pod's own deadline, through its
        // template (the checks refuse it before Spark 3.0, which has no pod templates).
        let driver = object(obj, "driver");
        let template = driver.remove("template").unwrap_or_else(|| json!({}));
        let ours = json!({"spec": {"activeDeadlineSeconds": timeout}});
        driver.insert(
            "template".into(),
            crate::spark::pod::merge_pod_spec(template, ours),
        );
    }

    let schedule = spec.schedule.as_ref().map(|s| {
        super::schedule_context(s, ("successfulRunHistoryLimit", "failedRunHistoryLimit"))
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
        driver_api: crate::spark::driver_api::driver_api(&job.spec),
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
        let merged = crate::spark::pod::merge_pod_spec(template, ours);
        r.insert("template".into(), merged);
    }
    if job
        .spec
        .spark_version
        .as_deref()
        .is_some_and(|v| crate::spark::conf::version_lt(v, (3, 0)))
    {
        return Err("pod templates need Spark 3.0 or later".to_owned());
    }
    Ok(())
}

/// The Kubeflow Spark Operator target.
pub struct Kubeflow;

/// Whether the schedule's last run failed (its name is among the failed runs the operator
/// keeps).
macro_rules! last_run_failed {
    () => {
        "(has(status.lastRunName) && has(status.pastFailedRunNames) && status.lastRunName in status.pastFailedRunNames)"
    };
}

/// Flux's view of the operator's kinds: a running or finished application is current, a
/// failed one failed (the states of `status.applicationState.state`); a schedule is current
/// while it is scheduled and its last run did not fail, or while it is suspended.
const FLUX_HEALTH: [crate::gitops::FluxHealth; 2] = [
    crate::gitops::FluxHealth {
        api_version: API_VERSION,
        kind: "SparkApplication",
        current: "has(status.applicationState) && has(status.applicationState.state) && status.applicationState.state in ['RUNNING', 'SUCCEEDING', 'COMPLETED']",
        failed: "has(status.applicationState) && has(status.applicationState.state) && status.applicationState.state in ['FAILED', 'SUBMISSION_FAILED', 'FAILING']",
    },
    crate::gitops::FluxHealth {
        api_version: API_VERSION,
        kind: "ScheduledSparkApplication",
        current: concat!(
            "(has(spec.suspend) && spec.suspend) || (has(status.scheduleState) && status.scheduleState == 'Scheduled' && !",
            last_run_failed!(),
            ")"
        ),
        failed: concat!(
            "!(has(spec.suspend) && spec.suspend) && has(status.scheduleState) && (status.scheduleState == 'FailedValidation' || (status.scheduleState == 'Scheduled' && ",
            last_run_failed!(),
            "))"
        ),
    },
];

const API_VERSION: &str = "sparkoperator.k8s.io/v1beta2";

impl super::Target for Kubeflow {
    fn id(&self) -> crate::project::spec::Target {
        crate::project::spec::Target::Operator
    }

    fn deploy_mode(&self) -> crate::spark::submit::Mode {
        crate::spark::submit::Mode::Cluster
    }

    fn kinds(&self) -> &'static [super::Kind] {
        &[
            (API_VERSION, "SparkApplication"),
            (API_VERSION, "ScheduledSparkApplication"),
        ]
    }

    fn schemas(&self) -> &'static [(&'static str, &'static str, &'static str)] {
        &[
            (
                API_VERSION,
                "SparkApplication",
                include_str!("../../../schemas/crds/sparkapplication.v1beta2.json"),
            ),
            (
                API_VERSION,
                "ScheduledSparkApplication",
                include_str!("../../../schemas/crds/scheduledsparkapplication.v1beta2.json"),
            ),
        ]
    }

    fn templates(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (
                "operator/sparkapplication.yaml",
                include_str!("../../../templates/operator/sparkapplication.yaml"),
            ),
            (
                "operator/scheduledsparkapplication.yaml",
                include_str!("../../../templates/operator/scheduledsparkapplication.yaml"),
            ),
        ]
    }

    fn derived_names(&self) -> &'static [super::DerivedName] {
        &[
            crate::rules::EXECUTOR_PREFIX,
            ("the operator's UI Service `<name>-ui-svc`", 7, 63),
        ]
    }

    fn scheduled_names(&self) -> &'static [super::DerivedName] {
        &[(
            "a ScheduledSparkApplication run `<name>-<19-digit timestamp>`",
            20,
            63,
        )]
    }

    fn cron_error(&self, cron: &str) -> Option<(String, String)> {
        robfig_cron_error(cron)
    }

    fn check(&self, subject: &Subject<'_>, out: &mut Findings) {
        check_operator(subject.spec, out);
        if subject.spec.native.is_some() {
            out.warn(
                "native-options",
                spec_path(&["native"]),
                "`native` settings have no effect on the operator target".to_owned(),
                None,
            );
        }
    }

    fn leaves_to_user(&self, key: &conf::Key) -> bool {
        key.kubeflow == conf::Kubeflow::User
    }

    fn conf_keys(&self, subject: &Subject<'_>) -> super::ConfKeys {
        // The keys of the fields this job sets (the operator turns each into its key), and
        // those the operator always sets.
        // A scalar field's value is what the operator writes for its key.
        let mut spec = serde_json::to_value(subject.spec).unwrap_or_default();
        // The plan always writes the policy (Kubernetes' default when the spec has none).
        if let Json::Object(m) = &mut spec {
            m.insert(
                "imagePullPolicy".into(),
                serde_json::to_value(subject.spec.pull_policy(crate::project::spec::Pods::All))
                    .unwrap_or_default(),
            );
        }
        conf::TABLE
            .iter()
            .filter(|k| k.pattern == conf::Pattern::Exact && !k.key.is_empty())
            .filter_map(|k| match k.kubeflow {
                conf::Kubeflow::Operator => Some((k.key.to_owned(), None)),
                conf::Kubeflow::Field(path) => {
                    let value = spec
                        .pointer(&format!("/{}", path.replace('.', "/")))
                        .filter(|v| !v.is_null())?;
                    let text = match value {
                        Json::String(s) => Some(s.clone()),
                        Json::Number(n) => Some(n.to_string()),
                        Json::Bool(b) => Some(b.to_string()),
                        _ => None,
                    };
                    Some((k.key.to_owned(), text))
                }
                conf::Kubeflow::Conf | conf::Kubeflow::User => None,
            })
            .collect()
    }

    fn plan(&self, job: &Job, project: Option<&Project>) -> Result<super::Plan, super::Problem> {
        let webhook = project
            .and_then(|p| p.operator.as_ref())
            .and_then(|o| o.webhook)
            .unwrap_or(true);
        let restricted = project.is_some_and(|p| {
            crate::policy::InForce::of(p, &job.env)
                .pick(|p| p.pod_security)
                .is_some()
        });
        let plan = plan(job, webhook, restricted).map_err(|message| super::Problem {
            message,
            hint: "move these settings into `driver.template` / `executor.template`, or run the operator with its webhook".to_owned(),
        })?;
        Ok(super::Plan::serialized(
            plan.templates.clone(),
            &plan,
            ("app_spec", &plan.app_spec),
        ))
    }

    fn imports(&self) -> &'static [super::Kind] {
        self.kinds()
    }

    fn import(
        &self,
        api_version: &str,
        kind: &str,
        doc: &Json,
        lost: &mut crate::import::Lost,
    ) -> Option<Json> {
        (api_version == API_VERSION && self.kinds().iter().any(|(_, k)| *k == kind))
            .then(|| import::convert(doc, kind == "ScheduledSparkApplication", lost))
    }

    fn argocd_health_checks(&self) -> &'static [(&'static str, &'static str)] {
        // Argo CD has a built-in check for SparkApplication, none for the scheduled kind.
        &[(
            "sparkoperator.k8s.io_ScheduledSparkApplication",
            include_str!("health-scheduled.lua"),
        )]
    }

    fn flux_health_checks(&self) -> &'static [crate::gitops::FluxHealth] {
        &FLUX_HEALTH
    }

    fn effect(&self, group: &str, kind: &str, changed: &[&str]) -> Option<super::Effect> {
        // Any change of the spec but suspension and the time to live makes the operator run
        // the application again.
        (group == "sparkoperator.k8s.io"
            && kind == "SparkApplication"
            && changed.iter().any(|p| {
                p.starts_with("/spec/") && *p != "/spec/suspend" && *p != "/spec/timeToLiveSeconds"
            }))
        .then_some(super::Effect::Rerun)
    }
}

/// The operator's schedule grammar: it puts `CRON_TZ=<spec.timeZone> ` before a schedule
/// that has no `CRON_TZ=`/`TZ=` prefix of its own, and parses the result with robfig/cron's
/// `ParseStandard` ([`crate::cron`]), which reads the zone up to the first space and trims
/// what follows it.
fn robfig_cron_error(cron: &str) -> Option<(String, String)> {
    let rest = match cron
        .strip_prefix("CRON_TZ=")
        .or_else(|| cron.strip_prefix("TZ="))
    {
        Some(after) => {
            let Some((tz, tail)) = after.split_once(' ') else {
                return Some((
                    format!(
                        "`{}` has a time zone and no schedule after a space",
                        crate::rules::escape_short(cron)
                    ),
                    "write `CRON_TZ=Europe/Berlin 0 3 * * *`, or set `schedule.timeZone`"
                        .to_owned(),
                ));
            };
            if !crate::rules::time_zone_ok(tz) {
                return Some((
                    format!(
                        "`{}` is not an IANA time zone",
                        crate::rules::escape_short(tz)
                    ),
                    "use a name such as `Etc/UTC`, or set `schedule.timeZone`".to_owned(),
                ));
            }
            tail
        }
        None => cron,
    };
    crate::cron::parse_standard(rest.trim()).err()
}

/// The operator's own validation (its admission webhook), checked before it refuses the
/// object in the cluster.
fn check_operator(spec: &SparkJobSpec, out: &mut Findings) {
    if spec.timeout_seconds.is_some()
        && spec
            .spark_version
            .as_deref()
            .is_some_and(|v| crate::spark::conf::version_lt(v, (3, 0)))
    {
        out.error(
            "operator",
            spec_path(&["timeoutSeconds"]),
            "`timeoutSeconds` goes into the driver's pod template, which Spark reads from 3.0 on"
                .to_owned(),
            Some(
                "use Spark 3.0 or later, or the native target (a Job's `activeDeadlineSeconds`)"
                    .to_owned(),
            ),
        );
    }
    let role_selector = spec
        .driver
        .as_ref()
        .is_some_and(|d| d.node_selector.is_some())
        || spec
            .executor
            .as_ref()
            .is_some_and(|e| e.node_selector.is_some());
    if spec.node_selector.is_some() && role_selector {
        out.error(
            "operator",
            spec_path(&["nodeSelector"]),
            "the operator refuses `spec.nodeSelector` together with a driver or executor `nodeSelector`".to_owned(),
            Some("put the selector on `driver` and `executor` only".to_owned()),
        );
    }
    let mut formats = Vec::new();
    for (i, o) in spec.driver_ingress_options.iter().flatten().enumerate() {
        let at = At::Spec(vec![
            Seg::Key("driverIngressOptions".to_owned()),
            Seg::Index(i),
        ]);
        if o.service_port.is_none() || o.service_port_name.is_none() {
            out.error(
                "operator",
                at.clone(),
                "a driver ingress needs `servicePort` and `servicePortName`".to_owned(),
                None,
            );
        }
        match o.ingress_url_format.as_deref() {
            None | Some("") => out.error(
                "operator",
                at,
                "a driver ingress needs an `ingressURLFormat`".to_owned(),
                Some("e.g. `{{$appName}}.spark.example.com`".to_owned()),
            ),
            Some(f) if formats.contains(&f) => out.error(
                "operator",
                at,
                format!("the ingressURLFormat `{f}` is used twice"),
                Some("each driver ingress needs its own URL format".to_owned()),
            ),
            Some(f) => formats.push(f),
        }
    }
}
