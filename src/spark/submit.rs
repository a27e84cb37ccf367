//! spark-submit's arguments for a job: the settings sparkc derives, in a fixed order, each
//! an entry of the configuration table, written as a flag or as `--conf key=value`; then the
//! user's `sparkConf`, the application and its arguments.
//!
//! Client mode is what the native target's driver pod runs; cluster mode is the ad-hoc
//! command `sparkc submit-command` prints.

use crate::names::{self, Names};
use crate::project::spec::{DriverSpec, ExecutorSpec, Pods, SparkJobSpec};
use crate::project::validate::Job;
use crate::spark::conf::{self, Key};
use crate::spark::memory;
use crate::spark::pod::Exporter;

/// Where the driver runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// In the rendered driver pod (`--deploy-mode client`).
    Client,
    /// Submitted from outside the cluster (`--deploy-mode cluster`, `submit-command`).
    Cluster,
}

/// One value sparkc sets: a table entry (with the map entry of a prefix key) and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub key: &'static Key,
    /// For a prefix key: the rest of the key (a label's name, a Hadoop key).
    pub entry: Option<String>,
    pub value: String,
}

impl Setting {
    /// The configuration key it sets.
    pub fn conf_key(&self) -> String {
        match &self.entry {
            Some(e) => self.key.with(e),
            None => self.key.key.to_owned(),
        }
    }
}

/// What the arguments are built from.
pub struct Submit<'a> {
    pub job: &'a Job,
    pub names: &'a Names,
    pub driver: &'a DriverSpec,
    pub executor: &'a ExecutorSpec,
    pub factor: f64,
    pub exporter: Option<&'a Exporter>,
    pub mode: Mode,
    pub master: &'a str,
}

#[derive(Default)]
struct Settings(Vec<Setting>);

impl Settings {
    fn set(&mut self, key: &'static Key, value: impl Into<String>) {
        self.0.push(Setting {
            key,
            entry: None,
            value: value.into(),
        });
    }
    fn entry(&mut self, key: &'static Key, entry: &str, value: impl Into<String>) {
        self.0.push(Setting {
            key,
            entry: Some(entry.to_owned()),
            value: value.into(),
        });
    }
}

fn csv(items: Option<&Vec<String>>) -> Option<String> {
    items.filter(|v| !v.is_empty()).map(|v| v.join(","))
}

/// Every setting sparkc derives for this job and mode, in argument order.
pub fn settings(s: &Submit<'_>) -> Vec<Setting> {
    let mut out = Settings::default();
    submission(s, &mut out);
    if s.mode == Mode::Client {
        networking(s, &mut out);
    }
    out.set(&conf::NAMESPACE, s.job.namespace.clone());
    match s.mode {
        // The pod's real name, so executors get an owner reference to it.
        Mode::Client => out.set(&conf::DRIVER_POD_NAME, "$(SPARK_DRIVER_POD_NAME)"),
        Mode::Cluster => driver_in_cluster(s, &mut out),
    }
    images(s, &mut out);
    if s.mode == Mode::Client {
        out.set(
            &conf::EXECUTOR_POD_TEMPLATE,
            format!(
                "{}/{}",
                names::POD_TEMPLATE_DIR,
                names::EXECUTOR_TEMPLATE_KEY
            ),
        );
        out.set(
            &conf::EXECUTOR_TEMPLATE_CONTAINER,
            names::EXECUTOR_CONTAINER,
        );
    }
    executor_resources(s, &mut out);
    executor_metadata(s, &mut out);
    executor_extras(s, &mut out);
    dynamic_allocation(&s.job.spec, &mut out);
    for (k, v) in s.job.spec.hadoop_conf.iter().flatten() {
        out.entry(&conf::HADOOP, k, v.clone());
    }
    out.0
}

/// The whole argument list (after the program): sparkc's settings, the user's `sparkConf`,
/// the application and its arguments.
pub fn args(s: &Submit<'_>) -> Vec<String> {
    let spec = &s.job.spec;
    let mut a = Vec::new();
    for setting in settings(s) {
        match setting.key.flag {
            Some(flag) if setting.key.native_flag => {
                a.push(flag.to_owned());
                a.push(setting.value);
            }
            _ => push_conf(&mut a, &setting.conf_key(), &setting.value),
        }
    }
    // A user's key with the value sparkc already gives it (validation warns) is said once.
    let ours = a.len();
    for (k, v) in spec.spark_conf.iter().flatten() {
        let pair = format!("{k}={v}");
        if !a[..ours].contains(&pair) {
            a.push("--conf".to_owned());
            a.push(pair);
        }
    }
    a.push(spec.main_application_file.clone().unwrap_or_default());
    a.extend(spec.arguments.clone().unwrap_or_default());
    a
}

fn push_conf(a: &mut Vec<String>, key: &str, value: &str) {
    a.push("--conf".to_owned());
    a.push(format!("{key}={value}"));
}

/// Master, mode, name, class, driver memory and options, dependencies, proxy user.
fn submission(s: &Submit<'_>, out: &mut Settings) {
    let spec = &s.job.spec;
    out.set(&conf::MASTER, s.master);
    out.set(
        &conf::DEPLOY_MODE,
        match s.mode {
            Mode::Client => "client",
            Mode::Cluster => "cluster",
        },
    );
    out.set(&conf::APP_NAME, s.job.name.clone());
    if let Some(class) = &spec.main_class {
        out.set(&conf::MAIN_CLASS, class.clone());
    }
    out.set(
        &conf::DRIVER_MEMORY,
        s.driver.memory.clone().unwrap_or_else(|| "1g".into()),
    );
    // In client mode the driver JVM is the spark-submit JVM: its options must be flags.
    let mut driver_java = s.driver.java_options.clone().unwrap_or_default();
    if let Some(e) = s.exporter.filter(|e| e.driver) {
        driver_java = format!("{} {}", e.agent, driver_java).trim().to_owned();
    }
    if !driver_java.is_empty() {
        out.set(&conf::DRIVER_JAVA_OPTIONS, driver_java);
    }
    if let Some(deps) = &spec.deps {
        for (key, list) in [
            (&conf::JARS, &deps.jars),
            (&conf::PY_FILES, &deps.py_files),
            (&conf::FILES, &deps.files),
            (&conf::ARCHIVES, &deps.archives),
            (&conf::PACKAGES, &deps.packages),
            (&conf::EXCLUDE_PACKAGES, &deps.exclude_packages),
            (&conf::REPOSITORIES, &deps.repositories),
        ] {
            if let Some(v) = csv(list.as_ref()) {
                out.set(key, v);
            }
        }
    }
    if let Some(user) = &spec.proxy_user {
        out.set(&conf::PROXY_USER, user.clone());
    }
}

/// Executors reach this driver through its headless Service, on fixed ports.
fn networking(s: &Submit<'_>, out: &mut Settings) {
    out.set(&conf::DRIVER_HOST, s.names.driver_host.clone());
    out.set(&conf::DRIVER_BIND_ADDRESS, "$(SPARK_DRIVER_BIND_ADDRESS)");
    out.set(&conf::DRIVER_PORT, names::DRIVER_PORT.to_string());
    out.set(
        &conf::BLOCK_MANAGER_PORT,
        names::BLOCK_MANAGER_PORT.to_string(),
    );
    out.set(&conf::UI_PORT, names::UI_PORT.to_string());
}

/// Spark creates the driver pod: tell it its size, account and labels.
fn driver_in_cluster(s: &Submit<'_>, out: &mut Settings) {
    let (job, driver) = (s.job, s.driver);
    out.set(&conf::DRIVER_CORES, driver.cores.unwrap_or(1).to_string());
    if let Some(o) = &driver.memory_overhead {
        out.set(&conf::DRIVER_OVERHEAD, o.clone());
    }
    if let Some(r) = &driver.core_request {
        out.set(&conf::DRIVER_REQUEST_CORES, r.clone());
    }
    if let Some(l) = &driver.core_limit {
        out.set(&conf::DRIVER_LIMIT_CORES, l.clone());
    }
    let sa = driver
        .service_account
        .clone()
        .or_else(|| job.spec.service_account.clone())
        .unwrap_or_else(|| s.names.service_account.clone());
    out.set(&conf::DRIVER_ACCOUNT, sa);
    let mut labels = job.labels.clone();
    labels.extend(driver.labels.clone().unwrap_or_default());
    for (k, v) in spark_labels(s.names.pod_labels(&job.env, "driver", &labels)) {
        out.entry(&conf::DRIVER_LABEL, &k, v);
    }
    for (k, v) in driver.annotations.iter().flatten() {
        out.entry(&conf::DRIVER_ANNOTATION, k, v.clone());
    }
}

/// Pod labels as Spark sets them: without `spark-role` (Spark sets it itself) and the run
/// label (which names the driver's pod).
fn spark_labels(
    labels: std::collections::BTreeMap<String, String>,
) -> impl Iterator<Item = (String, String)> {
    labels
        .into_iter()
        .filter(|(k, _)| k != names::LABEL_ROLE && k != names::LABEL_RUN)
}

fn images(s: &Submit<'_>, out: &mut Settings) {
    let spec = &s.job.spec;
    match s.mode {
        // The driver is the rendered pod: the key names the executors' image.
        Mode::Client => out.set(
            &conf::IMAGE,
            s.executor
                .image
                .clone()
                .or_else(|| spec.image.clone())
                .unwrap_or_default(),
        ),
        Mode::Cluster => {
            out.set(&conf::IMAGE, spec.image.clone().unwrap_or_default());
            if let Some(image) = &s.driver.image {
                out.set(&conf::DRIVER_IMAGE, image.clone());
            }
            if let Some(image) = &s.executor.image {
                out.set(&conf::EXECUTOR_IMAGE, image.clone());
            }
        }
    }
    // The policy of the pods Spark creates: the executors in client mode (the driver is
    // sparkc's), both roles in cluster mode.
    let policy = spec.pull_policy(match s.mode {
        Mode::Client => Pods::Executors,
        Mode::Cluster => Pods::All,
    });
    out.set(&conf::PULL_POLICY, format!("{policy:?}"));
    if let Some(v) = csv(spec.image_pull_secrets.as_ref()) {
        out.set(&conf::PULL_SECRETS, v);
    }
    if let Some(sa) = &s.executor.service_account {
        out.set(&conf::EXECUTOR_ACCOUNT, sa.clone());
    }
}

fn executor_resources(s: &Submit<'_>, out: &mut Settings) {
    let (spec, executor) = (&s.job.spec, s.executor);
    if !memory::dynamic(spec)
        && let Some(instances) = memory::max_executors(spec)
    {
        out.set(&conf::EXECUTOR_INSTANCES, instances.to_string());
    }
    out.set(
        &conf::EXECUTOR_CORES,
        executor.cores.unwrap_or(1).to_string(),
    );
    out.set(
        &conf::EXECUTOR_MEMORY,
        executor.memory.clone().unwrap_or_else(|| "1g".into()),
    );
    match &executor.memory_overhead {
        Some(o) => out.set(&conf::EXECUTOR_OVERHEAD, o.clone()),
        // One key for both roles before Spark 3.3.
        None if conf::EXECUTOR_OVERHEAD_FACTOR.in_version(spec.spark_version.as_deref()) => {
            out.set(&conf::EXECUTOR_OVERHEAD_FACTOR, format!("{}", s.factor));
        }
        None => out.set(&conf::OVERHEAD_FACTOR, format!("{}", s.factor)),
    }
    if let Some(r) = &executor.core_request {
        out.set(&conf::EXECUTOR_REQUEST_CORES, r.clone());
    }
    if let Some(l) = &executor.core_limit {
        out.set(&conf::EXECUTOR_LIMIT_CORES, l.clone());
    }
    if let Some(d) = executor.delete_on_termination {
        out.set(&conf::EXECUTOR_DELETE_ON_TERMINATION, d.to_string());
    }
}

fn executor_metadata(s: &Submit<'_>, out: &mut Settings) {
    let (job, executor) = (s.job, s.executor);
    let mut labels = job.labels.clone();
    labels.extend(executor.labels.clone().unwrap_or_default());
    for (k, v) in spark_labels(s.names.pod_labels(&job.env, "executor", &labels)) {
        out.entry(&conf::EXECUTOR_LABEL, &k, v);
    }
    let mut annotations = executor.annotations.clone().unwrap_or_default();
    if let Some(e) = s.exporter.filter(|e| e.executor) {
        annotations.insert("prometheus.io/scrape".into(), "true".into());
        annotations.insert("prometheus.io/port".into(), e.port.to_string());
    }
    for (k, v) in annotations {
        out.entry(&conf::EXECUTOR_ANNOTATION, &k, v);
    }
}

/// Java options (with the exporter's agent) and GPUs.
fn executor_extras(s: &Submit<'_>, out: &mut Settings) {
    let executor = s.executor;
    let mut java = executor.java_options.clone().unwrap_or_default();
    if let Some(e) = s.exporter.filter(|e| e.executor) {
        java = format!("{} {}", e.agent, java).trim().to_owned();
    }
    if !java.is_empty() {
        out.set(&conf::EXECUTOR_JAVA_OPTIONS, java);
    }
    if let Some(gpu) = &executor.gpu {
        out.set(&conf::GPU_AMOUNT, gpu.quantity.to_string());
        let vendor = gpu
            .name
            .rsplit_once('/')
            .map_or(gpu.name.as_str(), |(v, _)| v);
        out.set(&conf::GPU_VENDOR, vendor);
        out.set(&conf::GPU_DISCOVERY_SCRIPT, conf::GPU_DISCOVERY_SCRIPT_PATH);
    }
}

fn dynamic_allocation(spec: &SparkJobSpec, out: &mut Settings) {
    let Some(d) = spec
        .dynamic_allocation
        .as_ref()
        .filter(|d| d.enabled == Some(true))
    else {
        return;
    };
    out.set(&conf::DYNAMIC_ENABLED, "true");
    // Kubernetes has no external shuffle service: track shuffle files instead.
    out.set(&conf::SHUFFLE_TRACKING, "true");
    for (key, value) in [
        (&conf::DYNAMIC_INITIAL, d.initial_executors),
        (&conf::DYNAMIC_MIN, d.min_executors),
        (&conf::DYNAMIC_MAX, d.max_executors),
    ] {
        if let Some(v) = value {
            out.set(key, v.to_string());
        }
    }
    if let Some(v) = d.shuffle_tracking_timeout {
        out.set(&conf::SHUFFLE_TRACKING_TIMEOUT, format!("{v}ms"));
    }
}

/// The equivalent cluster-mode `spark-submit` command line of a job, for an ad-hoc run from
/// outside the cluster through `master` (`k8s://https://HOST:PORT`, or
/// `k8s://http://127.0.0.1:8001` through `kubectl proxy`). Returns the arguments and what
/// the command line cannot carry.
pub fn cluster_submit(job: &Job, master: &str) -> (Vec<String>, Vec<String>) {
    let spec = &job.spec;
    let (driver, executor) = crate::spark::pod::roles(spec);
    let names = Names::new(&job.name, &job.namespace, "");
    let factor = memory::overhead_factor(spec, job.app_type);
    let mut args = args(&Submit {
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
