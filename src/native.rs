//! The `native` target: what a driver pod needs to run `spark-submit --deploy-mode client`
//! inside the cluster, computed from one job's effective spec.
//!
//! This module decides every value (names, labels, the spark-submit arguments, the driver
//! pod spec, the executor pod template, resources) and hands the templates a context of
//! plain data; the templates in `templates/native/` decide the objects' shape.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value as Json, json};

use crate::names::{self, Names, kubelet_escape};
use crate::spec::{AppType, DriverSpec, ExecutorSpec, RestartType, SparkJobSpec, Workload};
use crate::units;
use crate::validate::Job;

/// Spark's minimum memory overhead in MiB.
const MIN_OVERHEAD_MIB: u64 = 384;

/// The user and group of the `spark` user in the official Apache Spark images.
const SPARK_UID: i64 = 185;

/// Which objects the native target renders for a job, in output order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Object {
    ServiceAccount,
    Role,
    RoleBinding,
    ConfigMap,
    Service,
    Job,
    Pod,
    CronJob,
}

impl Object {
    /// The template that renders this object.
    pub const fn template(self) -> &'static str {
        match self {
            Object::ServiceAccount => "common/serviceaccount.yaml",
            Object::Role => "common/role.yaml",
            Object::RoleBinding => "common/rolebinding.yaml",
            Object::ConfigMap => "native/configmap.yaml",
            Object::Service => "native/service.yaml",
            Object::Job => "native/job.yaml",
            Object::Pod => "native/pod.yaml",
            Object::CronJob => "native/cronjob.yaml",
        }
    }
}

/// Everything the templates need for one job.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub names: Names,
    pub env: String,
    /// Labels and annotations of every rendered object.
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// The ServiceAccount the driver runs as.
    pub service_account: String,
    /// Whether sparkc renders the ServiceAccount, Role and RoleBinding.
    pub rbac: bool,
    pub selector: BTreeMap<String, String>,
    pub ports: Vec<NamedPort>,
    /// Metadata of the driver pod (template).
    pub pod_labels: BTreeMap<String, String>,
    pub pod_annotations: BTreeMap<String, String>,
    /// The driver pod spec.
    #[serde(skip)]
    pub pod_spec: Json,
    /// Labels of the Jobs a CronJob creates.
    pub job_template_labels: BTreeMap<String, String>,
    pub backoff_limit: i32,
    pub ttl_seconds_after_finished: Option<i64>,
    pub schedule: Option<Json>,
    /// Data of the ConfigMap mounted into the driver (executor pod template, exporter config).
    #[serde(skip)]
    pub config_map_data: BTreeMap<String, String>,
    /// The executor pod template (also in `config_map_data`), checked as a Pod.
    #[serde(skip)]
    pub executor_template: Json,
    /// The spark-submit arguments (after the program), unescaped: what Spark receives.
    pub submit_args: Vec<String>,
    pub objects: Vec<Object>,
}

/// A named port.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct NamedPort {
    pub name: String,
    pub port: u16,
}

/// Memory of a Spark process: heap plus overhead, in MiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    pub heap_mib: u64,
    pub overhead_mib: u64,
}

/// The memory overhead factor: the spec's, else 0.4 for Python and R (their processes
/// live outside the JVM heap), else Spark's 0.1.
pub fn overhead_factor(spec: &SparkJobSpec, app_type: AppType) -> f64 {
    spec.memory_overhead_factor
        .as_deref()
        .and_then(|f| f.parse().ok())
        .unwrap_or(match app_type {
            AppType::Python | AppType::R => 0.4,
            AppType::Scala | AppType::Java => 0.1,
        })
}

/// Heap and overhead from Spark notation (validated before rendering).
pub fn memory(heap: Option<&str>, overhead: Option<&str>, factor: f64) -> Memory {
    let heap_mib = heap
        .and_then(|m| units::spark_memory_mib(m).ok())
        .unwrap_or(1024);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let computed = ((heap_mib as f64) * factor).ceil() as u64;
    let overhead_mib = overhead
        .and_then(|m| units::spark_memory_mib(m).ok())
        .unwrap_or_else(|| computed.max(MIN_OVERHEAD_MIB));
    Memory {
        heap_mib,
        overhead_mib,
    }
}

fn to_json<T: Serialize>(v: &T) -> Json {
    serde_json::to_value(v).unwrap_or(Json::Null)
}

fn csv(items: Option<&Vec<String>>) -> Option<String> {
    items.filter(|v| !v.is_empty()).map(|v| v.join(","))
}

/// The hash input and the run id: what the driver runs, plus `rerun`.
fn run_id(
    pod_spec: &Json,
    config: &BTreeMap<String, String>,
    spec: &SparkJobSpec,
    backoff: i32,
) -> String {
    // Fields in key order: the same text as the sorted JSON object it once was, so run ids
    // (and the Job names that carry them) do not change.
    #[derive(Serialize)]
    struct Input<'a> {
        #[serde(rename = "backoffLimit")]
        backoff: i32,
        config: &'a BTreeMap<String, String>,
        pod: &'a Json,
        rerun: &'a Option<String>,
        ttl: Option<i64>,
    }
    names::short_hash_json(&Input {
        backoff,
        config,
        pod: pod_spec,
        rerun: &spec.rerun,
        ttl: spec.time_to_live_seconds,
    })
}

/// Builds the plan of one native job.
pub fn plan(job: &Job) -> Plan {
    let spec = &job.spec;
    let default_driver = DriverSpec::default();
    let default_executor = ExecutorSpec::default();
    let driver = spec.driver.as_deref().unwrap_or(&default_driver);
    let executor = spec.executor.as_deref().unwrap_or(&default_executor);
    // The run id is not known until the pod is built; build with a placeholder first.
    let provisional = Names::new(&job.name, &job.namespace, "");
    let existing = names::existing_service_account(spec);
    let rbac = existing.is_none();
    let service_account = existing.unwrap_or_else(|| provisional.service_account.clone());
    let factor = overhead_factor(spec, job.app_type);
    let prometheus = spec
        .monitoring
        .as_ref()
        .and_then(|m| m.prometheus.as_ref().map(|p| (m, p)));

    // The ConfigMap: the executor pod template, and the exporter's configuration.
    let mut config_map_data = BTreeMap::new();
    let exporter = prometheus.map(|(m, p)| {
        let port = u16::try_from(p.port.unwrap_or(8090)).unwrap_or(8090);
        let config_path = match (&p.config_file, &p.configuration) {
            (Some(file), _) => file.clone(),
            (None, content) => {
                config_map_data.insert(
                    "prometheus.yaml".to_owned(),
                    content.clone().unwrap_or_else(|| {
                        "lowercaseOutputName: true\nrules:\n  - pattern: \".*\"\n".to_owned()
                    }),
                );
                format!("{}/prometheus.yaml", names::POD_TEMPLATE_DIR)
            }
        };
        let agent = format!(
            "-javaagent:{}={port}:{config_path}",
            p.jmx_exporter_jar.clone().unwrap_or_default()
        );
        Exporter {
            agent,
            port,
            port_name: p
                .port_name
                .clone()
                .unwrap_or_else(|| "jmx-exporter".to_owned()),
            driver: m.expose_driver_metrics != Some(false),
            executor: m.expose_executor_metrics != Some(false),
        }
    });

    let executor_template = executor_pod(job, &provisional, executor, exporter.as_ref());
    config_map_data.insert(
        names::EXECUTOR_TEMPLATE_KEY.to_owned(),
        crate::yaml::to_yaml(&executor_template),
    );

    let mem = memory(
        driver.memory.as_deref(),
        driver.memory_overhead.as_deref(),
        factor,
    );
    let submit_args = submit_args(&Submit {
        job,
        names: &provisional,
        driver,
        executor,
        factor,
        exporter: exporter.as_ref(),
        mode: Mode::Client,
        master: names::IN_CLUSTER_MASTER,
    });
    let mut pod_spec = driver_pod(
        job,
        driver,
        &service_account,
        &provisional,
        mem,
        &submit_args,
        exporter.as_ref(),
    );

    let restart = spec.restart_policy.as_ref();
    let backoff_limit = match restart.and_then(|r| r.restart_type) {
        Some(RestartType::OnFailure) => restart.and_then(|r| r.on_failure_retries).unwrap_or(0),
        _ => 0,
    };
    let run = run_id(&pod_spec, &config_map_data, spec, backoff_limit);
    let names = Names::new(&job.name, &job.namespace, &run);
    debug_assert_eq!(names.driver_host, provisional.driver_host);

    // Labels and annotations: the user's pod template, then the job's, then the driver's,
    // then sparkc's own.
    let template_meta = driver.template.as_ref().and_then(|t| t.get("metadata"));
    let string_map = |v: Option<&Json>| -> BTreeMap<String, String> {
        v.and_then(Json::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut driver_labels = string_map(template_meta.and_then(|m| m.get("labels")));
    driver_labels.extend(job.labels.clone());
    driver_labels.extend(driver.labels.clone().unwrap_or_default());
    let pod_labels = names.pod_labels(&job.env, "driver", &driver_labels);
    let mut pod_annotations = string_map(template_meta.and_then(|m| m.get("annotations")));
    pod_annotations.extend(driver.annotations.clone().unwrap_or_default());
    if let Some(e) = exporter.as_ref().filter(|e| e.driver) {
        pod_annotations.insert("prometheus.io/scrape".to_owned(), "true".to_owned());
        pod_annotations.insert("prometheus.io/port".to_owned(), e.port.to_string());
    }
    // User pod template under ours (ours wins), for what the spec has no field for.
    if let Some(template) = &driver.template {
        pod_spec = merge_pod_spec(
            template.get("spec").cloned().unwrap_or(Json::Null),
            pod_spec,
        );
    }

    let mut ports = vec![
        NamedPort {
            name: "driver-rpc".into(),
            port: names::DRIVER_PORT,
        },
        NamedPort {
            name: "blockmanager".into(),
            port: names::BLOCK_MANAGER_PORT,
        },
        NamedPort {
            name: "spark-ui".into(),
            port: names::UI_PORT,
        },
    ];
    if let Some(e) = exporter.as_ref().filter(|e| e.driver) {
        ports.push(NamedPort {
            name: e.port_name.clone(),
            port: e.port,
        });
    }

    let workload = spec
        .native
        .as_ref()
        .and_then(|n| n.workload)
        .unwrap_or(Workload::Job);
    let mut objects = Vec::new();
    if rbac {
        objects.extend([Object::ServiceAccount, Object::Role, Object::RoleBinding]);
    }
    objects.extend([Object::ConfigMap, Object::Service]);
    objects.push(match (&spec.schedule, workload) {
        (Some(_), _) => Object::CronJob,
        (None, Workload::Job) => Object::Job,
        (None, Workload::Pod) => Object::Pod,
    });

    let schedule = spec.schedule.as_ref().map(|s| {
        json!({
            "cron": s.cron,
            "timeZone": s.time_zone.clone().unwrap_or_else(|| "Etc/UTC".to_owned()),
            "concurrencyPolicy": format!("{:?}", s.concurrency_policy.unwrap_or(crate::spec::ConcurrencyPolicy::Forbid)),
            "suspend": s.suspend.unwrap_or(false),
            "successfulJobsHistoryLimit": s.successful_run_history_limit.unwrap_or(3),
            "failedJobsHistoryLimit": s.failed_run_history_limit.unwrap_or(3),
        })
    });
    let mut job_template_labels = job.labels.clone();
    job_template_labels.insert(names::LABEL_NAME.to_owned(), names.job.clone());
    job_template_labels.insert(names::LABEL_ENV.to_owned(), job.env.clone());
    job_template_labels.insert(names::LABEL_JOB.to_owned(), names.job.clone());

    Plan {
        labels: names.object_labels(&job.env, &job.labels),
        annotations: job.annotations.clone(),
        selector: names.driver_selector(),
        env: job.env.clone(),
        service_account,
        rbac,
        ports,
        pod_labels,
        pod_annotations,
        pod_spec,
        job_template_labels,
        backoff_limit,
        ttl_seconds_after_finished: spec.time_to_live_seconds,
        schedule,
        config_map_data,
        submit_args,
        objects,
        names,
        executor_template,
    }
}

/// The Prometheus JMX exporter as the pods run it.
struct Exporter {
    agent: String,
    port: u16,
    port_name: String,
    driver: bool,
    executor: bool,
}

/// Whether a Spark version string is at least `major.minor`.
fn version_at_least(version: Option<&str>, at_least: (u32, u32)) -> bool {
    version.is_none_or(|v| !crate::rules::version_lt(v, at_least))
}

/// Where the driver runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// In the rendered driver pod (`--deploy-mode client`).
    Client,
    /// Submitted from outside the cluster (`--deploy-mode cluster`, `submit-command`).
    Cluster,
}

/// Pushes `--conf key=value`.
fn conf(args: &mut Vec<String>, key: &str, value: impl Into<String>) {
    args.push("--conf".to_owned());
    args.push(format!("{key}={}", value.into()));
}

/// What the spark-submit arguments are built from.
struct Submit<'a> {
    job: &'a Job,
    names: &'a Names,
    driver: &'a DriverSpec,
    executor: &'a ExecutorSpec,
    factor: f64,
    exporter: Option<&'a Exporter>,
    mode: Mode,
    master: &'a str,
}

#[allow(clippy::too_many_lines)]
fn submit_args(s: &Submit<'_>) -> Vec<String> {
    let Submit {
        job,
        names,
        driver,
        executor,
        factor,
        exporter,
        mode,
        master,
    } = *s;
    let spec = &job.spec;
    let mut a: Vec<String> = vec![
        "--master".into(),
        master.into(),
        "--deploy-mode".into(),
        match mode {
            Mode::Client => "client".into(),
            Mode::Cluster => "cluster".into(),
        },
        "--name".into(),
        job.name.clone(),
    ];
    if let Some(class) = &spec.main_class {
        a.extend(["--class".into(), class.clone()]);
    }
    a.extend([
        "--driver-memory".into(),
        driver.memory.clone().unwrap_or_else(|| "1g".into()),
    ]);
    // In client mode the driver JVM is the spark-submit JVM: its options must be flags.
    let mut driver_java = driver.java_options.clone().unwrap_or_default();
    if let Some(e) = exporter.filter(|e| e.driver) {
        driver_java = format!("{} {}", e.agent, driver_java).trim().to_owned();
    }
    if !driver_java.is_empty() {
        a.extend(["--driver-java-options".into(), driver_java]);
    }
    if let Some(deps) = &spec.deps {
        for (flag, list) in [
            ("--jars", &deps.jars),
            ("--py-files", &deps.py_files),
            ("--files", &deps.files),
            ("--archives", &deps.archives),
            ("--packages", &deps.packages),
            ("--exclude-packages", &deps.exclude_packages),
            ("--repositories", &deps.repositories),
        ] {
            if let Some(v) = csv(list.as_ref()) {
                a.extend([flag.to_owned(), v]);
            }
        }
    }
    if let Some(user) = &spec.proxy_user {
        a.extend(["--proxy-user".into(), user.clone()]);
    }
    if mode == Mode::Client {
        // Networking: executors reach this driver through its headless Service, on fixed ports.
        conf(&mut a, "spark.driver.host", names.driver_host.clone());
        conf(
            &mut a,
            "spark.driver.bindAddress",
            "$(SPARK_DRIVER_BIND_ADDRESS)",
        );
        conf(&mut a, "spark.driver.port", names::DRIVER_PORT.to_string());
        conf(
            &mut a,
            "spark.driver.blockManager.port",
            names::BLOCK_MANAGER_PORT.to_string(),
        );
        conf(&mut a, "spark.ui.port", names::UI_PORT.to_string());
    }
    conf(&mut a, "spark.kubernetes.namespace", job.namespace.clone());
    if mode == Mode::Client {
        // The pod's real name, so executors get an owner reference to it.
        conf(
            &mut a,
            "spark.kubernetes.driver.pod.name",
            "$(SPARK_DRIVER_POD_NAME)",
        );
    } else {
        // Spark creates the driver pod: tell it its size, account and labels.
        conf(
            &mut a,
            "spark.driver.cores",
            driver.cores.unwrap_or(1).to_string(),
        );
        if let Some(o) = &driver.memory_overhead {
            conf(&mut a, "spark.driver.memoryOverhead", o.clone());
        }
        if let Some(r) = &driver.core_request {
            conf(&mut a, "spark.kubernetes.driver.request.cores", r.clone());
        }
        if let Some(l) = &driver.core_limit {
            conf(&mut a, "spark.kubernetes.driver.limit.cores", l.clone());
        }
        let sa = driver
            .service_account
            .clone()
            .or_else(|| spec.service_account.clone())
            .unwrap_or_else(|| names.service_account.clone());
        conf(
            &mut a,
            "spark.kubernetes.authenticate.driver.serviceAccountName",
            sa,
        );
        let mut driver_labels = job.labels.clone();
        driver_labels.extend(driver.labels.clone().unwrap_or_default());
        for (k, v) in names.pod_labels(&job.env, "driver", &driver_labels) {
            if k == names::LABEL_ROLE || k == names::LABEL_RUN {
                continue;
            }
            conf(&mut a, &format!("spark.kubernetes.driver.label.{k}"), v);
        }
        for (k, v) in driver.annotations.iter().flatten() {
            conf(
                &mut a,
                &format!("spark.kubernetes.driver.annotation.{k}"),
                v.clone(),
            );
        }
    }
    // Executors.
    let image = executor
        .image
        .clone()
        .or_else(|| spec.image.clone())
        .unwrap_or_default();
    conf(&mut a, "spark.kubernetes.container.image", image);
    conf(
        &mut a,
        "spark.kubernetes.container.image.pullPolicy",
        format!(
            "{:?}",
            spec.image_pull_policy
                .unwrap_or(crate::spec::PullPolicy::IfNotPresent)
        ),
    );
    if let Some(v) = csv(spec.image_pull_secrets.as_ref()) {
        conf(&mut a, "spark.kubernetes.container.image.pullSecrets", v);
    }
    if let Some(sa) = &executor.service_account {
        conf(
            &mut a,
            "spark.kubernetes.authenticate.executor.serviceAccountName",
            sa.clone(),
        );
    }
    if mode == Mode::Client {
        conf(
            &mut a,
            "spark.kubernetes.executor.podTemplateFile",
            format!(
                "{}/{}",
                names::POD_TEMPLATE_DIR,
                names::EXECUTOR_TEMPLATE_KEY
            ),
        );
        conf(
            &mut a,
            "spark.kubernetes.executor.podTemplateContainerName",
            names::EXECUTOR_CONTAINER,
        );
    }
    let dynamic = spec
        .dynamic_allocation
        .as_ref()
        .filter(|d| d.enabled == Some(true));
    if dynamic.is_none() {
        conf(
            &mut a,
            "spark.executor.instances",
            executor.instances.unwrap_or(1).to_string(),
        );
    }
    conf(
        &mut a,
        "spark.executor.cores",
        executor.cores.unwrap_or(1).to_string(),
    );
    conf(
        &mut a,
        "spark.executor.memory",
        executor.memory.clone().unwrap_or_else(|| "1g".into()),
    );
    match &executor.memory_overhead {
        Some(o) => conf(&mut a, "spark.executor.memoryOverhead", o.clone()),
        // `spark.executor.memoryOverheadFactor` exists from Spark 3.3; before, one key for both.
        None if version_at_least(spec.spark_version.as_deref(), (3, 3)) => {
            conf(
                &mut a,
                "spark.executor.memoryOverheadFactor",
                format!("{factor}"),
            );
        }
        None => conf(
            &mut a,
            "spark.kubernetes.memoryOverheadFactor",
            format!("{factor}"),
        ),
    }
    if let Some(r) = &executor.core_request {
        conf(&mut a, "spark.kubernetes.executor.request.cores", r.clone());
    }
    if let Some(l) = &executor.core_limit {
        conf(&mut a, "spark.kubernetes.executor.limit.cores", l.clone());
    }
    if let Some(d) = executor.delete_on_termination {
        conf(
            &mut a,
            "spark.kubernetes.executor.deleteOnTermination",
            d.to_string(),
        );
    }
    let mut exec_labels = job.labels.clone();
    exec_labels.extend(executor.labels.clone().unwrap_or_default());
    for (k, v) in names.pod_labels(&job.env, "executor", &exec_labels) {
        // Spark sets spark-role itself, and the run label is the driver's pod.
        if k == names::LABEL_ROLE || k == names::LABEL_RUN {
            continue;
        }
        conf(&mut a, &format!("spark.kubernetes.executor.label.{k}"), v);
    }
    let mut exec_annotations = executor.annotations.clone().unwrap_or_default();
    if let Some(e) = exporter.filter(|e| e.executor) {
        exec_annotations.insert("prometheus.io/scrape".into(), "true".into());
        exec_annotations.insert("prometheus.io/port".into(), e.port.to_string());
    }
    for (k, v) in exec_annotations {
        conf(
            &mut a,
            &format!("spark.kubernetes.executor.annotation.{k}"),
            v,
        );
    }
    let mut exec_java = executor.java_options.clone().unwrap_or_default();
    if let Some(e) = exporter.filter(|e| e.executor) {
        exec_java = format!("{} {}", e.agent, exec_java).trim().to_owned();
    }
    if !exec_java.is_empty() {
        conf(&mut a, "spark.executor.extraJavaOptions", exec_java);
    }
    if let Some(gpu) = &executor.gpu {
        conf(
            &mut a,
            "spark.executor.resource.gpu.amount",
            gpu.quantity.to_string(),
        );
        let vendor = gpu
            .name
            .rsplit_once('/')
            .map_or(gpu.name.as_str(), |(v, _)| v);
        conf(&mut a, "spark.executor.resource.gpu.vendor", vendor);
        conf(
            &mut a,
            "spark.executor.resource.gpu.discoveryScript",
            "/opt/spark/examples/src/main/scripts/getGpusResources.sh",
        );
    }
    if let Some(d) = dynamic {
        conf(&mut a, "spark.dynamicAllocation.enabled", "true");
        // Kubernetes has no external shuffle service: track shuffle files instead.
        conf(
            &mut a,
            "spark.dynamicAllocation.shuffleTracking.enabled",
            "true",
        );
        for (key, value) in [
            ("initialExecutors", d.initial_executors),
            ("minExecutors", d.min_executors),
            ("maxExecutors", d.max_executors),
        ] {
            if let Some(v) = value {
                conf(
                    &mut a,
                    &format!("spark.dynamicAllocation.{key}"),
                    v.to_string(),
                );
            }
        }
        if let Some(v) = d.shuffle_tracking_timeout {
            conf(
                &mut a,
                "spark.dynamicAllocation.shuffleTracking.timeout",
                format!("{v}ms"),
            );
        }
    }
    for (k, v) in spec.hadoop_conf.iter().flatten() {
        conf(&mut a, &format!("spark.hadoop.{k}"), v.clone());
    }
    for (k, v) in spec.spark_conf.iter().flatten() {
        conf(&mut a, k, v.clone());
    }
    a.push(spec.main_application_file.clone().unwrap_or_default());
    a.extend(spec.arguments.clone().unwrap_or_default());
    a
}

/// Restricted-profile defaults, unless the job sets its own.
fn pod_security(user: Option<&k8s_openapi::api::core::v1::PodSecurityContext>) -> Json {
    user.map_or_else(
        || {
            json!({
                "runAsNonRoot": true,
                "runAsUser": SPARK_UID,
                "runAsGroup": SPARK_UID,
                "fsGroup": SPARK_UID,
                "seccompProfile": {"type": "RuntimeDefault"},
            })
        },
        to_json,
    )
}

fn container_security(user: Option<&k8s_openapi::api::core::v1::SecurityContext>) -> Json {
    user.map_or_else(
        || {
            json!({
                "allowPrivilegeEscalation": false,
                "capabilities": {"drop": ["ALL"]},
                "runAsNonRoot": true,
                "seccompProfile": {"type": "RuntimeDefault"},
            })
        },
        to_json,
    )
}

/// Settings shared by the driver pod and the executor template.
struct PodParts {
    env: Vec<Json>,
    volumes: Vec<Json>,
    mounts: Vec<Json>,
}

macro_rules! pod_parts {
    ($spec:expr, $role:expr) => {{
        let role = $role;
        let spec: &SparkJobSpec = $spec;
        let mut env: Vec<Json> = Vec::new();
        let mut volumes: Vec<Json> = spec.volumes.iter().flatten().map(to_json).collect();
        let mut mounts: Vec<Json> = role.volume_mounts.iter().flatten().map(to_json).collect();
        for (i, s) in role.secrets.iter().flatten().enumerate() {
            let vol = format!("sparkc-secret-{i}");
            volumes.push(json!({"name": vol, "secret": {"secretName": s.name}}));
            mounts.push(json!({"name": vol, "mountPath": s.path}));
            match s.secret_type {
                Some(crate::spec::SecretType::GCPServiceAccount) => env.push(
                    json!({"name": "GOOGLE_APPLICATION_CREDENTIALS", "value": format!("{}/key.json", s.path.trim_end_matches('/'))}),
                ),
                Some(crate::spec::SecretType::HadoopDelegationToken) => env.push(
                    json!({"name": "HADOOP_TOKEN_FILE_LOCATION", "value": format!("{}/hadoop.token", s.path.trim_end_matches('/'))}),
                ),
                _ => {}
            }
        }
        for (i, c) in role.config_maps.iter().flatten().enumerate() {
            let vol = format!("sparkc-configmap-{i}");
            volumes.push(json!({"name": vol, "configMap": {"name": c.name}}));
            mounts.push(json!({"name": vol, "mountPath": c.path}));
        }
        if let Some(cm) = &spec.spark_config_map {
            volumes.push(json!({"name": "sparkc-spark-conf", "configMap": {"name": cm}}));
            mounts.push(json!({"name": "sparkc-spark-conf", "mountPath": "/etc/spark/conf"}));
            env.push(json!({"name": "SPARK_CONF_DIR", "value": "/etc/spark/conf"}));
        }
        if let Some(cm) = &spec.hadoop_config_map {
            volumes.push(json!({"name": "sparkc-hadoop-conf", "configMap": {"name": cm}}));
            mounts.push(json!({"name": "sparkc-hadoop-conf", "mountPath": "/etc/hadoop/conf"}));
            env.push(json!({"name": "HADOOP_CONF_DIR", "value": "/etc/hadoop/conf"}));
        }
        for (k, v) in role.env_vars.iter().flatten() {
            env.push(json!({"name": k, "value": kubelet_escape(v)}));
        }
        for (k, r) in role.env_secret_key_refs.iter().flatten() {
            env.push(json!({"name": k, "valueFrom": {"secretKeyRef": {"name": r.name, "key": r.key}}}));
        }
        for var in role.env.iter().flatten() {
            let mut v = to_json(var);
            if let Some(Json::String(s)) = v.get_mut("value") {
                *s = kubelet_escape(s);
            }
            env.push(v);
        }
        PodParts { env, volumes, mounts }
    }};
}

/// Pod-level fields shared by both roles.
macro_rules! pod_common {
    ($map:expr, $spec:expr, $role:expr) => {{
        let map: &mut Map<String, Json> = $map;
        let spec: &SparkJobSpec = $spec;
        let role = $role;
        let mut selector = spec.node_selector.clone().unwrap_or_default();
        selector.extend(role.node_selector.clone().unwrap_or_default());
        if !selector.is_empty() {
            map.insert("nodeSelector".into(), to_json(&selector));
        }
        let tolerations: Vec<Json> = spec
            .tolerations
            .iter()
            .flatten()
            .chain(role.tolerations.iter().flatten())
            .map(to_json)
            .collect();
        if !tolerations.is_empty() {
            map.insert("tolerations".into(), Json::Array(tolerations));
        }
        let optional: [(&str, Json); 9] = [
            (
                "affinity",
                role.affinity.as_ref().map_or(Json::Null, to_json),
            ),
            (
                "priorityClassName",
                role.priority_class_name
                    .as_ref()
                    .map_or(Json::Null, to_json),
            ),
            (
                "schedulerName",
                role.scheduler_name
                    .clone()
                    .or_else(|| spec.batch_scheduler.clone())
                    .map_or(Json::Null, Json::String),
            ),
            (
                "hostAliases",
                role.host_aliases.as_ref().map_or(Json::Null, to_json),
            ),
            (
                "dnsConfig",
                role.dns_config.as_ref().map_or(Json::Null, to_json),
            ),
            (
                "hostNetwork",
                role.host_network.map_or(Json::Null, Json::Bool),
            ),
            (
                "shareProcessNamespace",
                role.share_process_namespace.map_or(Json::Null, Json::Bool),
            ),
            (
                "terminationGracePeriodSeconds",
                role.termination_grace_period_seconds
                    .map_or(Json::Null, Json::from),
            ),
            (
                "initContainers",
                role.init_containers.as_ref().map_or(Json::Null, to_json),
            ),
        ];
        for (k, v) in optional {
            if !v.is_null() {
                map.insert(k.into(), v);
            }
        }
    }};
}

#[allow(clippy::too_many_lines)]
fn driver_pod(
    job: &Job,
    driver: &DriverSpec,
    service_account: &str,
    names: &Names,
    mem: Memory,
    args: &[String],
    exporter: Option<&Exporter>,
) -> Json {
    let spec = &job.spec;
    let parts = pod_parts!(spec, driver);
    let mut env = vec![
        json!({"name": "SPARK_DRIVER_POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}),
        json!({"name": "SPARK_DRIVER_BIND_ADDRESS", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}),
    ];
    env.extend(parts.env);
    let mut volumes = parts.volumes;
    let mut mounts = parts.mounts;
    volumes.push(json!({"name": "sparkc-pod-templates", "configMap": {"name": names.config_map}}));
    mounts.push(json!({"name": "sparkc-pod-templates", "mountPath": names::POD_TEMPLATE_DIR, "readOnly": true}));

    let mut ports = vec![
        json!({"name": "driver-rpc", "containerPort": names::DRIVER_PORT}),
        json!({"name": "blockmanager", "containerPort": names::BLOCK_MANAGER_PORT}),
        json!({"name": "spark-ui", "containerPort": names::UI_PORT}),
    ];
    if let Some(e) = exporter.filter(|e| e.driver) {
        ports.push(json!({"name": e.port_name, "containerPort": e.port}));
    }
    for p in driver.ports.iter().flatten() {
        ports.push(
            json!({"name": p.name, "containerPort": p.container_port, "protocol": p.protocol}),
        );
    }
    let memory = format!("{}Mi", mem.heap_mib + mem.overhead_mib);
    let cpu_request = driver
        .core_request
        .clone()
        .unwrap_or_else(|| driver.cores.unwrap_or(1).to_string());
    let mut requests = Map::new();
    requests.insert("cpu".into(), Json::String(cpu_request));
    requests.insert("memory".into(), Json::String(memory.clone()));
    let mut limits = Map::new();
    limits.insert(
        "memory".into(),
        Json::String(driver.memory_limit.clone().unwrap_or(memory)),
    );
    if let Some(l) = &driver.core_limit {
        limits.insert("cpu".into(), Json::String(l.clone()));
    }
    if let Some(gpu) = &driver.gpu {
        limits.insert(gpu.name.clone(), Json::String(gpu.quantity.to_string()));
    }
    let mut container = Map::new();
    container.insert("name".into(), names::DRIVER_CONTAINER.into());
    container.insert(
        "image".into(),
        Json::String(
            driver
                .image
                .clone()
                .or_else(|| spec.image.clone())
                .unwrap_or_default(),
        ),
    );
    container.insert(
        "imagePullPolicy".into(),
        Json::String(format!(
            "{:?}",
            spec.image_pull_policy
                .unwrap_or(crate::spec::PullPolicy::IfNotPresent)
        )),
    );
    container.insert("command".into(), json!(["/opt/spark/bin/spark-submit"]));
    let escaped: Vec<Json> = args
        .iter()
        .map(|s| {
            // Our own `$(VAR)` references stay references; everything else is literal.
            if s.ends_with("=$(SPARK_DRIVER_BIND_ADDRESS)")
                || s.ends_with("=$(SPARK_DRIVER_POD_NAME)")
            {
                Json::String(s.clone())
            } else {
                Json::String(kubelet_escape(s))
            }
        })
        .collect();
    container.insert("args".into(), Json::Array(escaped));
    container.insert("env".into(), Json::Array(env));
    if let Some(from) = &driver.env_from {
        container.insert("envFrom".into(), to_json(from));
    }
    container.insert("ports".into(), Json::Array(ports));
    container.insert(
        "resources".into(),
        json!({"requests": requests, "limits": limits}),
    );
    container.insert("volumeMounts".into(), Json::Array(mounts));
    container.insert(
        "securityContext".into(),
        container_security(driver.security_context.as_deref()),
    );
    if let Some(l) = &driver.lifecycle {
        container.insert("lifecycle".into(), to_json(l));
    }
    let mut containers = vec![Json::Object(container)];
    containers.extend(driver.sidecars.iter().flatten().map(to_json));

    let mut pod = Map::new();
    pod.insert(
        "serviceAccountName".into(),
        Json::String(
            driver
                .service_account
                .clone()
                .unwrap_or_else(|| service_account.to_owned()),
        ),
    );
    // The fabric8 client in the driver reads the mounted token to create executors.
    pod.insert("automountServiceAccountToken".into(), Json::Bool(true));
    pod.insert("restartPolicy".into(), "Never".into());
    pod.insert(
        "securityContext".into(),
        pod_security(driver.pod_security_context.as_deref()),
    );
    if let Some(secrets) = spec.image_pull_secrets.as_ref().filter(|s| !s.is_empty()) {
        pod.insert(
            "imagePullSecrets".into(),
            Json::Array(secrets.iter().map(|s| json!({"name": s})).collect()),
        );
    }
    pod_common!(&mut pod, spec, driver);
    pod.insert("containers".into(), Json::Array(containers));
    pod.insert("volumes".into(), Json::Array(volumes));
    Json::Object(pod)
}

fn executor_pod(
    job: &Job,
    names: &Names,
    executor: &ExecutorSpec,
    exporter: Option<&Exporter>,
) -> Json {
    let spec = &job.spec;
    let parts = pod_parts!(spec, executor);
    let mut volumes = parts.volumes;
    let mut mounts = parts.mounts;
    if exporter.is_some_and(|e| e.executor)
        && spec
            .monitoring
            .as_ref()
            .and_then(|m| m.prometheus.as_ref())
            .is_some_and(|p| p.config_file.is_none())
    {
        volumes
            .push(json!({"name": "sparkc-pod-templates", "configMap": {"name": names.config_map}}));
        mounts.push(json!({"name": "sparkc-pod-templates", "mountPath": names::POD_TEMPLATE_DIR, "readOnly": true}));
    }
    let mut container = Map::new();
    container.insert("name".into(), names::EXECUTOR_CONTAINER.into());
    if !parts.env.is_empty() {
        container.insert("env".into(), Json::Array(parts.env));
    }
    if let Some(from) = &executor.env_from {
        container.insert("envFrom".into(), to_json(from));
    }
    if !mounts.is_empty() {
        container.insert("volumeMounts".into(), Json::Array(mounts));
    }
    let mut ports: Vec<Json> = executor
        .ports
        .iter()
        .flatten()
        .map(|p| json!({"name": p.name, "containerPort": p.container_port, "protocol": p.protocol}))
        .collect();
    if let Some(e) = exporter.filter(|e| e.executor) {
        ports.push(json!({"name": e.port_name, "containerPort": e.port}));
    }
    if !ports.is_empty() {
        container.insert("ports".into(), Json::Array(ports));
    }
    container.insert(
        "securityContext".into(),
        container_security(executor.security_context.as_deref()),
    );
    if let Some(l) = &executor.lifecycle {
        container.insert("lifecycle".into(), to_json(l));
    }
    if let Some(gpu) = &executor.gpu {
        container.insert(
            "resources".into(),
            json!({"limits": {gpu.name.clone(): gpu.quantity.to_string()}}),
        );
    }
    let mut containers = vec![Json::Object(container)];
    containers.extend(executor.sidecars.iter().flatten().map(to_json));
    let mut pod = Map::new();
    pod.insert(
        "securityContext".into(),
        pod_security(executor.pod_security_context.as_deref()),
    );
    // Executors do not call the Kubernetes API: no token unless they run as their own account.
    if executor.service_account.is_none() {
        pod.insert("automountServiceAccountToken".into(), Json::Bool(false));
    }
    pod_common!(&mut pod, spec, executor);
    pod.insert("containers".into(), Json::Array(containers));
    if !volumes.is_empty() {
        pod.insert("volumes".into(), Json::Array(volumes));
    }
    let mut spec_json = Json::Object(pod);
    let mut metadata = json!({});
    if let Some(template) = &executor.template {
        spec_json = merge_pod_spec(
            template.get("spec").cloned().unwrap_or(Json::Null),
            spec_json,
        );
        if let Some(meta) = template.get("metadata") {
            metadata = meta.clone();
        }
    }
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec_json})
}

/// Merges our pod spec over a user's template: maps deeply, containers by name, other
/// lists replaced by ours.
pub fn merge_pod_spec(base: Json, ours: Json) -> Json {
    match (base, ours) {
        (Json::Object(mut b), Json::Object(o)) => {
            for (k, v) in o {
                let merged = match (k.as_str(), b.remove(&k)) {
                    ("containers" | "initContainers", Some(Json::Array(old))) => {
                        merge_by_name(old, v)
                    }
                    (_, Some(old)) if old.is_object() && v.is_object() => merge_pod_spec(old, v),
                    _ => v,
                };
                b.insert(k, merged);
            }
            Json::Object(b)
        }
        (Json::Null, o) => o,
        (_, o) => o,
    }
}

fn merge_by_name(old: Vec<Json>, ours: Json) -> Json {
    let Json::Array(ours) = ours else { return ours };
    let mut out: Vec<Json> = Vec::new();
    let mut rest = old;
    for item in ours {
        let name = item.get("name").cloned();
        if let Some(pos) = rest.iter().position(|c| c.get("name") == name.as_ref()) {
            let base = rest.remove(pos);
            out.push(merge_pod_spec(base, item));
        } else {
            out.push(item);
        }
    }
    out.extend(rest);
    Json::Array(out)
}

/// The equivalent cluster-mode `spark-submit` command line of a job, for an ad-hoc run from
/// outside the cluster through `master` (`k8s://https://HOST:PORT`, or
/// `k8s://http://127.0.0.1:8001` through `kubectl proxy`). Returns the arguments and what
/// the command line cannot carry.
pub fn cluster_submit(job: &Job, master: &str) -> (Vec<String>, Vec<String>) {
    let spec = &job.spec;
    let default_driver = DriverSpec::default();
    let default_executor = ExecutorSpec::default();
    let driver = spec.driver.as_deref().unwrap_or(&default_driver);
    let executor = spec.executor.as_deref().unwrap_or(&default_executor);
    let names = Names::new(&job.name, &job.namespace, "");
    let factor = overhead_factor(spec, job.app_type);
    let mut args = submit_args(&Submit {
        job,
        names: &names,
        driver,
        executor,
        factor,
        exporter: None,
        mode: Mode::Cluster,
        master,
    });
    let mut lost = Vec::new();
    let pod_only = [
        (
            "volumes and mounts",
            spec.volumes.is_some()
                || driver.volume_mounts.is_some()
                || executor.volume_mounts.is_some(),
        ),
        (
            "tolerations",
            spec.tolerations.is_some()
                || driver.tolerations.is_some()
                || executor.tolerations.is_some(),
        ),
        (
            "affinity",
            driver.affinity.is_some() || executor.affinity.is_some(),
        ),
        (
            "env and envFrom",
            driver.env.is_some()
                || executor.env.is_some()
                || driver.env_from.is_some()
                || executor.env_from.is_some(),
        ),
        (
            "secrets and ConfigMaps",
            driver.secrets.is_some()
                || executor.secrets.is_some()
                || driver.config_maps.is_some()
                || executor.config_maps.is_some(),
        ),
        (
            "sidecars and init containers",
            driver.sidecars.is_some()
                || executor.sidecars.is_some()
                || driver.init_containers.is_some()
                || executor.init_containers.is_some(),
        ),
        ("monitoring", spec.monitoring.is_some()),
    ];
    for (what, set) in pod_only {
        if set {
            lost.push(format!(
                "{what} (pod settings: use a pod template file, or the rendered manifests)"
            ));
        }
    }
    // The restricted security defaults cannot be expressed as conf either; the run uses the
    // image's user and the namespace's defaults.
    lost.push("the restricted security contexts of driver and executors".to_owned());
    args.insert(0, "spark-submit".to_owned());
    (args, lost)
}
