//! The `apache-operator` target: an Apache Spark Kubernetes Operator `SparkApplication`
//! (`spark.apache.org/v1`, cluster mode), plus the driver's RBAC unless an existing account
//! is named.
//!
//! The operator's model is spark-submit's: the application (`mainClass`, `jars`, `pyFiles`,
//! `driverArgs`), `sparkConf`, and a pod template per role. So sparkc writes what it
//! derives from the spec (image, account, resources, executor counts, dynamic allocation,
//! labels, node selectors, environment) as `sparkConf`, from the one configuration table;
//! pod settings (volumes, tolerations, affinity, security contexts, env, sidecars) as
//! `driverSpec/executorSpec.podTemplateSpec`; and `restartPolicy`, `timeToLiveSeconds` and
//! the executor counts as `applicationTolerations`, in milliseconds. The operator has no
//! admission webhook, no scheduled kind, and does not act on a spec change of an
//! application it has submitted.

mod import;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value as Json, json};

use crate::names::{self, Names};
use crate::project::spec::{AppType, Project, SparkJobSpec};
use crate::project::validate::Job;
use crate::project::yaml::Seg;
use crate::rules::{At, Findings, Subject, spec_path};
use crate::spark::conf::{self, Key};
use crate::spark::memory::overhead_factor;
use crate::spark::pod::{self, Maps};
use crate::spark::submit::{self, Mode, Submit};

pub const API_VERSION: &str = "spark.apache.org/v1";
const GROUP: &str = "spark.apache.org";

/// The main class that runs a Python file with more Python files beside it: the operator
/// then reads the first entry of `pyFiles` as the application.
const PYTHON_RUNNER: &str = "org.apache.spark.deploy.PythonRunner";

/// What the template needs for one job.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub names: Names,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub service_account: String,
    pub rbac: bool,
    /// The driver's optional API paths, for its Role.
    pub driver_api: crate::spark::driver_api::DriverApi,
    pub runtime_versions: Json,
    pub main_class: Option<String>,
    pub jars: Option<String>,
    pub py_files: Option<String>,
    pub spark_r_files: Option<String>,
    pub driver_args: Vec<String>,
    pub proxy_user: Option<String>,
    /// Written as JSON text (see [`super::Plan::serialized`]).
    #[serde(skip)]
    pub spark_conf: BTreeMap<String, String>,
    pub driver_template: Json,
    pub executor_template: Json,
    pub application_tolerations: Json,
    /// The operator's lists that sparkc passes through from `apache`.
    pub config_map_specs: Option<Json>,
    pub driver_service_ingress_list: Option<Json>,
    pub driver_http_route_list: Option<Json>,
    pub driver_grpc_route_list: Option<Json>,
    pub templates: Vec<&'static str>,
}

/// Keys the operator sets itself: the namespace always (the application's), the master
/// unless `sparkConf` names one (a standalone `SparkCluster`, say).
const OPERATOR_KEYS: &[&Key] = &[&conf::MASTER, &conf::NAMESPACE];

/// Keys sparkc manages on other targets that are the user's here: the master (see above)
/// and what sparkc sets for the native target's client mode, which Spark derives itself on
/// this one unless the user sets it. The pod name and the pod template files stay
/// reserved: the operator names the driver pod, and sparkc writes both pod templates.
const CLIENT_MODE_KEYS: &[&Key] = &[
    &conf::MASTER,
    &conf::DRIVER_HOST,
    &conf::DRIVER_BIND_ADDRESS,
    &conf::DRIVER_PORT,
    &conf::BLOCK_MANAGER_PORT,
    &conf::UI_PORT,
    &conf::EXECUTOR_POD_NAME_PREFIX,
];

/// Settings that the application carries as fields of its own rather than `sparkConf`.
const APPLICATION_FIELDS: &[&Key] = &[
    &conf::DEPLOY_MODE,
    &conf::MAIN_CLASS,
    &conf::PROXY_USER,
    &conf::JARS,
    &conf::PY_FILES,
];

/// Maps of the spec that Spark applies to the pods it builds, read from the spec at the
/// table entry's field.
const MAP_KEYS: &[&Key] = &[
    &conf::NODE_SELECTOR,
    &conf::DRIVER_NODE_SELECTOR,
    &conf::EXECUTOR_NODE_SELECTOR,
    &conf::DRIVER_ENV,
    &conf::EXECUTOR_ENV,
    &conf::DRIVER_SECRET_KEY_REF,
    &conf::EXECUTOR_SECRET_KEY_REF,
];

/// Whether the user may set this key in `sparkConf` on this target although sparkc manages
/// it on another.
pub(crate) fn free_on_this_target(key: &Key) -> bool {
    CLIENT_MODE_KEYS.contains(&key)
}

/// The application's fields: (mainClass, jars, pyFiles, sparkRFiles) as the operator reads
/// them (it takes `jars` as the application when set, else `pyFiles`, else `sparkRFiles`),
/// and the dependencies that must travel as `sparkConf` instead.
fn application(job: &Job) -> (Application, Vec<(&'static Key, String)>) {
    let spec = &job.spec;
    let deps = spec.deps.as_ref();
    let list = |v: Option<&Vec<String>>| v.cloned().unwrap_or_default();
    let jars = list(deps.and_then(|d| d.jars.as_ref()));
    let py_files = list(deps.and_then(|d| d.py_files.as_ref()));
    let main: Vec<String> = spec
        .main_application_file
        .iter()
        .filter(|m| !m.is_empty())
        .cloned()
        .collect();
    let join = |v: Vec<String>| (!v.is_empty()).then(|| v.join(","));
    let mut app = Application {
        main_class: spec.main_class.clone(),
        ..Application::default()
    };
    let mut conf = Vec::new();
    match job.app_type {
        AppType::Python => {
            if !py_files.is_empty() {
                app.main_class = Some(PYTHON_RUNNER.to_owned());
            } else {
                app.main_class = None;
            }
            app.py_files = join([main, py_files].concat());
            // A `jars` field would make the operator run a JVM application.
            if let Some(j) = join(jars) {
                conf.push((&conf::JARS, j));
            }
        }
        AppType::R => {
            app.main_class = None;
            app.spark_r_files = join(main);
            if let Some(j) = join(jars) {
                conf.push((&conf::JARS, j));
            }
            if let Some(p) = join(py_files) {
                conf.push((&conf::PY_FILES, p));
            }
        }
        AppType::Scala | AppType::Java => {
            app.jars = join([main, jars].concat());
            if let Some(p) = join(py_files) {
                conf.push((&conf::PY_FILES, p));
            }
        }
    }
    (app, conf)
}

#[derive(Debug, Default)]
struct Application {
    main_class: Option<String>,
    jars: Option<String>,
    py_files: Option<String>,
    spark_r_files: Option<String>,
}

/// The `sparkConf` sparkc writes for a job, before the user's own: the table's settings of
/// a cluster-mode submission, less what the operator or the application's fields carry,
/// plus the dependencies that travel as configuration (`app_conf`, from [`application`])
/// and the maps Spark applies to its pods.
fn derived_conf(
    job: &Job,
    names: &Names,
    app_conf: Vec<(&'static Key, String)>,
) -> BTreeMap<String, String> {
    let (driver, executor) = pod::roles(&job.spec);
    let settings = submit::settings(&Submit {
        job,
        names,
        driver,
        executor,
        factor: overhead_factor(&job.spec, job.app_type),
        exporter: None,
        mode: Mode::Cluster,
        master: "",
    });
    let mut out = BTreeMap::new();
    for s in settings {
        if OPERATOR_KEYS.contains(&s.key) || APPLICATION_FIELDS.contains(&s.key) {
            continue;
        }
        out.insert(s.conf_key(), s.value);
    }
    for (key, value) in app_conf {
        out.insert(key.key.to_owned(), value);
    }
    if let Some(master) = &driver.kubernetes_master {
        // The API server the driver asks for executors, or `local[N]` for a driver alone.
        out.insert(conf::DRIVER_MASTER.key.to_owned(), master.clone());
    }
    let spec = serde_json::to_value(&job.spec).unwrap_or_default();
    for key in MAP_KEYS {
        let conf::Source::Field(path) = key.source else {
            continue;
        };
        let pointer = format!("/{}", path.trim_start_matches("spec.").replace('.', "/"));
        let Some(Json::Object(map)) = spec.pointer(&pointer) else {
            continue;
        };
        for (k, v) in map {
            let value = match (key.value, v) {
                (conf::Value::SecretKeyRef, v) => format!(
                    "{}:{}",
                    v["name"].as_str().unwrap_or_default(),
                    v["key"].as_str().unwrap_or_default()
                ),
                // Spark copies these into the pods' `env`, where the kubelet expands `$(VAR)`:
                // escaped, they stay the literal values they are on every target.
                (conf::Value::Map, Json::String(s))
                    if *key == &conf::DRIVER_ENV || *key == &conf::EXECUTOR_ENV =>
                {
                    names::kubelet_escape(s)
                }
                (_, Json::String(s)) => s.clone(),
                (_, other) => other.to_string(),
            };
            out.insert(key.with(k), value);
        }
    }
    // Both pod templates name the role's container; Spark takes the first one otherwise.
    out.insert(
        conf::DRIVER_TEMPLATE_CONTAINER.key.to_owned(),
        names::DRIVER_CONTAINER.to_owned(),
    );
    out.insert(
        conf::EXECUTOR_TEMPLATE_CONTAINER.key.to_owned(),
        names::EXECUTOR_CONTAINER.to_owned(),
    );
    out
}

/// `applicationTolerations`: what sparkc derives (restarts, TTL, instance thresholds)
/// under the spec's own `apache.applicationTolerations`.
fn tolerations(spec: &SparkJobSpec) -> Json {
    let mut out = Map::new();
    let mut restart = Map::new();
    if let Some(rp) = &spec.restart_policy {
        if let Some(t) = rp.restart_type {
            restart.insert("restartPolicy".into(), json!(format!("{t:?}")));
        }
        let pairs = [
            ("maxRestartAttempts", rp.on_failure_retries.map(i64::from)),
            (
                "restartBackoffMillis",
                rp.on_failure_retry_interval.map(|s| s.saturating_mul(1000)),
            ),
            (
                "maxRestartOnSchedulingFailure",
                rp.on_submission_failure_retries.map(i64::from),
            ),
            (
                "restartBackoffMillisForSchedulingFailure",
                rp.on_submission_failure_retry_interval
                    .map(|s| s.saturating_mul(1000)),
            ),
        ];
        for (k, v) in pairs {
            if let Some(v) = v {
                restart.insert(k.into(), json!(v));
            }
        }
    }
    let own = spec
        .apache
        .as_ref()
        .and_then(|a| a.application_tolerations.as_ref());
    if let Some(Json::Object(extra)) = own.and_then(|t| t.restart_config.as_ref()).map(to_json) {
        restart.extend(extra);
    }
    if !restart.is_empty() {
        out.insert("restartConfig".into(), Json::Object(restart));
    }
    if let Some(ttl) = spec.time_to_live_seconds {
        out.insert("ttlAfterStopMillis".into(), json!(ttl.saturating_mul(1000)));
    }
    let instances = own
        .and_then(|t| t.instance_config.as_ref())
        .map_or_else(|| instance_config(spec), to_json);
    if instances.as_object().is_some_and(|m| !m.is_empty()) {
        out.insert("instanceConfig".into(), instances);
    }
    if let Some(Json::Object(rest)) = own.map(to_json) {
        for (k, v) in rest {
            if k != "restartConfig" && k != "instanceConfig" {
                out.insert(k, v);
            }
        }
    }
    Json::Object(out)
}

/// The executor thresholds the operator judges health by: a static count is both the
/// minimum and the maximum; dynamic allocation gives its own bounds. Never
/// `initExecutors` unless asked: below it the operator stops the attempt.
fn instance_config(spec: &SparkJobSpec) -> Json {
    let mut out = Map::new();
    match spec
        .dynamic_allocation
        .as_ref()
        .filter(|d| d.enabled == Some(true))
    {
        Some(d) => {
            if let Some(v) = d.min_executors {
                out.insert("minExecutors".into(), json!(v));
            }
            if let Some(v) = d.max_executors {
                out.insert("maxExecutors".into(), json!(v));
            }
        }
        None => {
            let n = spec
                .executor
                .as_ref()
                .and_then(|e| e.instances)
                .unwrap_or(1);
            out.insert("minExecutors".into(), json!(n));
            out.insert("maxExecutors".into(), json!(n));
        }
    }
    Json::Object(out)
}

fn to_json<T: Serialize>(v: &T) -> Json {
    let mut j = serde_json::to_value(v).unwrap_or(Json::Null);
    crate::project::merge::strip_nulls(&mut j);
    j
}

/// Builds the plan of one job.
pub fn plan(job: &Job) -> Result<Plan, String> {
    let spec = &job.spec;
    if spec.schedule.is_some() {
        return Err(SCHEDULE_REFUSED.to_owned());
    }
    let names = Names::new(&job.name, &job.namespace, "");
    let existing = names::existing_service_account(spec);
    let rbac = existing.is_none();
    let service_account = existing.unwrap_or_else(|| names.service_account.clone());
    let (app, app_conf) = application(job);
    let mut spark_conf = derived_conf(job, &names, app_conf);
    for (k, v) in spec.spark_conf.iter().flatten() {
        spark_conf.insert(k.clone(), v.clone());
    }
    let (driver, executor) = pod::roles(spec);
    let mut runtime = json!({"sparkVersion": spec.spark_version.clone().unwrap_or_default()});
    if let Some(Json::Object(v)) = spec
        .apache
        .as_ref()
        .and_then(|a| a.runtime_versions.as_ref())
        .map(to_json)
    {
        runtime.as_object_mut().expect("an object").extend(v);
    }
    let list = |f: fn(&crate::project::spec::ApacheOptions) -> &Option<Vec<Json>>| {
        spec.apache
            .as_ref()
            .and_then(|a| f(a).as_ref())
            .map(|l| json!(l))
    };
    let mut templates = Vec::new();
    if rbac {
        templates.extend([
            "common/serviceaccount.yaml",
            "common/role.yaml",
            "common/rolebinding.yaml",
        ]);
    }
    templates.push("apache/sparkapplication.yaml");
    Ok(Plan {
        labels: names.object_labels(&job.env, &job.labels),
        annotations: job.annotations.clone(),
        service_account,
        rbac,
        driver_api: crate::spark::driver_api::driver_api(&job.spec),
        runtime_versions: runtime,
        main_class: app.main_class,
        jars: app.jars,
        py_files: app.py_files,
        spark_r_files: app.spark_r_files,
        driver_args: spec.arguments.clone().unwrap_or_default(),
        proxy_user: spec.proxy_user.clone(),
        spark_conf,
        driver_template: pod::driver_template(job, driver, Maps::Conf),
        executor_template: without_kind(pod::executor_pod(job, &names, executor, None, Maps::Conf)),
        application_tolerations: tolerations(spec),
        config_map_specs: list(|a| &a.config_map_specs),
        driver_service_ingress_list: list(|a| &a.driver_service_ingress_list),
        driver_http_route_list: list(|a| &a.driver_http_route_list),
        driver_grpc_route_list: list(|a| &a.driver_grpc_route_list),
        templates,
        names,
    })
}

/// A pod template as a `PodTemplateSpec` (no `apiVersion` or `kind`).
fn without_kind(mut pod: Json) -> Json {
    if let Json::Object(m) = &mut pod {
        m.remove("apiVersion");
        m.remove("kind");
    }
    pod
}

const SCHEDULE_REFUSED: &str = "the Apache Spark Kubernetes Operator has no scheduled kind (its own examples start runs from a Kubernetes CronJob), and sparkc does not invent one";

/// The Apache Spark Kubernetes Operator target.
pub struct Apache;

/// The current state's summary, guarded.
macro_rules! state {
    () => {
        "has(status.currentState) && has(status.currentState.currentStateSummary) && "
    };
}
/// The states that are a failure (as `health.lua` reads them).
macro_rules! failures {
    () => {
        "['Failed', 'SchedulingFailure', 'DriverEvicted', 'DriverStartTimedOut', 'ExecutorsStartTimedOut', 'DriverReadyTimedOut', 'RunningWithBelowThresholdExecutors']"
    };
}
/// The states of a stopped application whose resources are released (or kept).
macro_rules! released {
    () => {
        "['ResourceReleased', 'TerminatedWithoutReleaseResources']"
    };
}
/// Whether the last state before the release was a failure: some failure in the history
/// with no later state but a release.
macro_rules! failed_before_release {
    () => {
        concat!(
            "(has(status.stateTransitionHistory) && status.stateTransitionHistory.exists(k, 'currentStateSummary' in status.stateTransitionHistory[k] && status.stateTransitionHistory[k].currentStateSummary in ",
            failures!(),
            " && !status.stateTransitionHistory.exists(j, int(j) > int(k) && 'currentStateSummary' in status.stateTransitionHistory[j] && !(status.stateTransitionHistory[j].currentStateSummary in ",
            released!(),
            "))))"
        )
    };
}

/// Flux's view of the application, as `health.lua` gives Argo CD's.
const FLUX_HEALTH: [crate::gitops::FluxHealth; 1] = [crate::gitops::FluxHealth {
    api_version: API_VERSION,
    kind: "SparkApplication",
    current: concat!(
        state!(),
        "(status.currentState.currentStateSummary in ['RunningHealthy', 'RunningWithPartialCapacity', 'Succeeded'] || (status.currentState.currentStateSummary in ",
        released!(),
        " && !",
        failed_before_release!(),
        "))"
    ),
    failed: concat!(
        state!(),
        "(status.currentState.currentStateSummary in ",
        failures!(),
        " || (status.currentState.currentStateSummary in ",
        released!(),
        " && ",
        failed_before_release!(),
        "))"
    ),
}];

impl super::Target for Apache {
    fn id(&self) -> crate::project::spec::Target {
        crate::project::spec::Target::ApacheOperator
    }

    fn deploy_mode(&self) -> Mode {
        Mode::Cluster
    }

    fn kinds(&self) -> &'static [super::Kind] {
        &[(API_VERSION, "SparkApplication")]
    }

    fn schemas(&self) -> &'static [(&'static str, &'static str, &'static str)] {
        &[(
            API_VERSION,
            "SparkApplication",
            include_str!("../../../schemas/crds/sparkapplication.apache.v1.json"),
        )]
    }

    fn templates(&self) -> &'static [(&'static str, &'static str)] {
        &[(
            "apache/sparkapplication.yaml",
            include_str!("../../../templates/apache/sparkapplication.yaml"),
        )]
    }

    fn main_class_alone(&self) -> bool {
        true
    }

    fn check(&self, subject: &Subject<'_>, out: &mut Findings) {
        check_apache(subject.spec, out);
    }

    fn leaves_to_user(&self, key: &Key) -> bool {
        free_on_this_target(key)
    }

    fn conf_keys(&self, subject: &Subject<'_>) -> super::ConfKeys {
        let job = subject.to_job();
        let names = Names::new(&job.name, &job.namespace, "");
        let mut keys: super::ConfKeys = derived_conf(&job, &names, application(&job).1)
            .into_iter()
            .map(|(k, v)| (k, Some(v)))
            .collect();
        keys.insert(conf::NAMESPACE.key.to_owned(), Some(job.namespace.clone()));
        keys
    }

    fn plan(&self, job: &Job, _project: Option<&Project>) -> Result<super::Plan, super::Problem> {
        let plan = plan(job).map_err(|message| super::Problem {
            message,
            hint: "use `target: operator` (a ScheduledSparkApplication) or `target: native` (a CronJob), or start runs from an external scheduler".to_owned(),
        })?;
        Ok(super::Plan::serialized(
            plan.templates.clone(),
            &plan,
            ("spark_conf", &plan.spark_conf),
        ))
    }

    fn imports(&self) -> &'static [super::Kind] {
        &[
            (API_VERSION, "SparkApplication"),
            ("spark.apache.org/v1beta1", "SparkApplication"),
        ]
    }

    fn import(
        &self,
        api_version: &str,
        kind: &str,
        doc: &Json,
        lost: &mut crate::import::Lost,
    ) -> Option<Json> {
        self.imports()
            .contains(&(api_version, kind))
            .then(|| import::convert(doc, lost))
    }

    fn argocd_health_checks(&self) -> &'static [(&'static str, &'static str)] {
        &[(
            "spark.apache.org_SparkApplication",
            include_str!("health.lua"),
        )]
    }

    fn flux_health_checks(&self) -> &'static [crate::gitops::FluxHealth] {
        &FLUX_HEALTH
    }

    fn effect(&self, group: &str, kind: &str, changed: &[&str]) -> Option<super::Effect> {
        // The reconciler moves a submitted application through its states and never reads
        // its spec again: an edit takes effect only when the object is created anew.
        (group == GROUP
            && kind == "SparkApplication"
            && changed.iter().any(|p| p.starts_with("/spec/")))
        .then_some(super::Effect::Ignored)
    }
}

/// What this operator cannot express, refused at the field.
fn check_apache(spec: &SparkJobSpec, out: &mut Findings) {
    let refuse = |out: &mut Findings, path: &[&str], why: &str, hint: &str| {
        out.error(
            "apache-operator",
            spec_path(path),
            why.to_owned(),
            Some(hint.to_owned()),
        );
    };
    if spec.schedule.is_some() {
        refuse(
            out,
            &["schedule"],
            SCHEDULE_REFUSED,
            "use `target: operator` (a ScheduledSparkApplication) or `target: native` (a CronJob), or start runs from an external scheduler",
        );
    }
    let unsupported: [(&[&str], bool, &str, &str); 8] = [
        (
            &["suspend"],
            spec.suspend.is_some(),
            "the Apache operator has no `suspend`",
            "delete the application to stop it",
        ),
        (
            &["monitoring"],
            spec.monitoring.is_some(),
            "`monitoring` (the JMX exporter of the Kubeflow operator) has no Apache operator field",
            "use Spark's own Prometheus endpoint: `sparkConf: {spark.ui.prometheus.enabled: \"true\"}`",
        ),
        (
            &["sparkUIOptions"],
            spec.spark_ui_options.is_some(),
            "`sparkUIOptions` is a Kubeflow operator field",
            "use `apache.driverServiceIngressList`",
        ),
        (
            &["driverIngressOptions"],
            spec.driver_ingress_options.is_some(),
            "`driverIngressOptions` is a Kubeflow operator field",
            "use `apache.driverServiceIngressList`",
        ),
        (
            &["batchSchedulerOptions"],
            spec.batch_scheduler_options.is_some(),
            "`batchSchedulerOptions` is a Kubeflow operator field",
            "set the scheduler's options as `sparkConf` (e.g. `spark.kubernetes.scheduler.volcano.podGroupTemplateFile`) or pod annotations",
        ),
        (
            &["driverPodDisruptionBudget"],
            spec.driver_pod_disruption_budget.is_some(),
            "`driverPodDisruptionBudget` is a Kubeflow operator field",
            "remove it",
        ),
        (
            &["rerun"],
            spec.rerun.is_some(),
            "the Apache operator does not run an application again when its spec changes",
            "delete the SparkApplication to run it again (`kubectl delete sparkapp NAME`); GitOps then creates it anew",
        ),
        (
            &["native"],
            spec.native.is_some(),
            "`native` settings have no effect on the apache-operator target",
            "remove them",
        ),
    ];
    for (path, set, why, hint) in unsupported {
        if set {
            refuse(out, path, why, hint);
        }
    }
    for (role, d_limit, pod_name) in [
        (
            "driver",
            spec.driver.as_ref().and_then(|d| d.memory_limit.as_ref()),
            spec.driver.as_ref().and_then(|d| d.pod_name.as_ref()),
        ),
        (
            "executor",
            spec.executor.as_ref().and_then(|e| e.memory_limit.as_ref()),
            None,
        ),
    ] {
        if d_limit.is_some() {
            refuse(
                out,
                &[role, "memoryLimit"],
                "Spark sets the pods' memory limit to the request it computes and replaces one from a pod template",
                "size the pod with `memory` and `memoryOverhead`",
            );
        }
        if pod_name.is_some() {
            refuse(
                out,
                &[role, "podName"],
                "the Apache operator names the driver pod itself (`<name>-<attempt>-driver`)",
                "remove it",
            );
        }
    }
    let d = spec.driver.as_ref();
    if d.is_some_and(|d| d.service_annotations.is_some() || d.service_labels.is_some()) {
        refuse(
            out,
            &["driver"],
            "`serviceAnnotations` and `serviceLabels` are Kubeflow operator fields",
            "use `sparkConf: {spark.kubernetes.driver.service.annotation.NAME: ...}`",
        );
    }
    check_conflicts(spec, out);
}

/// A value set both by a spec field and under `apache.applicationTolerations`.
fn check_conflicts(spec: &SparkJobSpec, out: &mut Findings) {
    let Some(own) = spec
        .apache
        .as_ref()
        .and_then(|a| a.application_tolerations.as_ref())
    else {
        return;
    };
    let at = |path: &[&str]| {
        let mut segs = vec![
            Seg::Key("apache".to_owned()),
            Seg::Key("applicationTolerations".to_owned()),
        ];
        segs.extend(path.iter().map(|k| Seg::Key((*k).to_owned())));
        At::Spec(segs)
    };
    if own.ttl_after_stop_millis.is_some() && spec.time_to_live_seconds.is_some() {
        out.error(
            "apache-operator",
            at(&["ttlAfterStopMillis"]),
            "`ttlAfterStopMillis` and `timeToLiveSeconds` set the same thing".to_owned(),
            Some("keep one".to_owned()),
        );
    }
    if let (Some(rc), Some(rp)) = (own.restart_config.as_ref(), spec.restart_policy.as_ref()) {
        let both = [
            (
                "restartPolicy",
                rc.restart_policy.is_some() && rp.restart_type.is_some(),
            ),
            (
                "maxRestartAttempts",
                rc.max_restart_attempts.is_some() && rp.on_failure_retries.is_some(),
            ),
            (
                "restartBackoffMillis",
                rc.restart_backoff_millis.is_some() && rp.on_failure_retry_interval.is_some(),
            ),
            (
                "maxRestartOnSchedulingFailure",
                rc.max_restart_on_scheduling_failure.is_some()
                    && rp.on_submission_failure_retries.is_some(),
            ),
            (
                "restartBackoffMillisForSchedulingFailure",
                rc.restart_backoff_millis_for_scheduling_failure.is_some()
                    && rp.on_submission_failure_retry_interval.is_some(),
            ),
        ];
        for (field, set) in both {
            if set {
                out.error(
                    "apache-operator",
                    at(&["restartConfig", field]),
                    format!("`{field}` is also set by `restartPolicy`"),
                    Some("keep one".to_owned()),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::Target as _;

    #[test]
    fn a_spec_change_of_a_submitted_application_is_ignored() {
        let t = Apache;
        assert_eq!(
            t.effect(
                GROUP,
                "SparkApplication",
                &["/spec/sparkConf/spark.executor.memory"]
            ),
            Some(crate::diff::Effect::Ignored)
        );
        assert_eq!(
            t.effect(GROUP, "SparkApplication", &["/metadata/labels/a"]),
            None
        );
        assert_eq!(
            t.effect("sparkoperator.k8s.io", "SparkApplication", &["/spec/image"]),
            None
        );
    }

    #[test]
    fn python_with_dependencies_runs_through_the_python_runner() {
        let spec: SparkJobSpec = serde_json::from_value(json!({
            "target": "apache-operator",
            "mainApplicationFile": "local:///a.py",
            "deps": {"pyFiles": ["local:///b.zip"], "jars": ["local:///c.jar"]},
        }))
        .unwrap();
        let job = crate::rules::test_job("a", &spec);
        let (app, conf) = application(&job);
        assert_eq!(app.main_class.as_deref(), Some(PYTHON_RUNNER));
        assert_eq!(
            app.py_files.as_deref(),
            Some("local:///a.py,local:///b.zip")
        );
        // A `jars` field would make the operator run a JVM application.
        assert_eq!(app.jars, None);
        assert_eq!(conf, vec![(&conf::JARS, "local:///c.jar".to_owned())]);
    }

    #[test]
    fn restart_seconds_become_milliseconds() {
        let spec: SparkJobSpec = serde_json::from_value(json!({
            "restartPolicy": {"type": "Always", "onFailureRetries": 4, "onFailureRetryInterval": 30},
            "timeToLiveSeconds": 60,
            "executor": {"instances": 3},
        }))
        .unwrap();
        assert_eq!(
            tolerations(&spec),
            json!({
                "restartConfig": {"restartPolicy": "Always", "maxRestartAttempts": 4, "restartBackoffMillis": 30000},
                "ttlAfterStopMillis": 60000,
                "instanceConfig": {"minExecutors": 3, "maxExecutors": 3},
            })
        );
    }
}
