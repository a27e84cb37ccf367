//! The typed job spec (`SparkJob`) and project file (`Project`).
//!
//! These types are the single source of the JSON Schema (`sparkc schema`): their doc
//! comments become the schema's descriptions and `deny_unknown_fields` makes a typo an
//! error. Field names follow the Kubeflow `SparkApplication` spec wherever the meaning is
//! the same. Every spec field is optional here because a job spec is merged with project
//! defaults and environment overrides before it is complete; `null` is accepted everywhere
//! because it removes an inherited value. What must be present after the merge is checked
//! by the rules in `rules.rs`.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1 as core;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The API version every sparkc document carries.
pub const API_VERSION: &str = "sparkc.io/v1alpha1";

/// A string-to-string map (labels, annotations, Spark and Hadoop configuration).
pub type StringMap = BTreeMap<String, String>;

/// One Spark job: what runs, with what resources, where and when.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "SparkJob")]
pub struct SparkJob {
    /// Always `sparkc.io/v1alpha1`.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// Always `SparkJob`.
    pub kind: String,
    pub metadata: JobMetadata,
    #[serde(default)]
    pub spec: Option<SparkJobSpec>,
    /// Per-environment overrides for this job: partial specs merged last (they win over
    /// the project's environment overrides). Keys are environment names from `sparkc.yaml`.
    #[serde(default)]
    pub environments: Option<BTreeMap<String, Option<SparkJobSpec>>>,
}

/// Name, namespace and metadata of the job.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobMetadata {
    /// The job's name: a DNS-1035 label (lower-case letters, digits and `-`, starting with a
    /// letter), short enough that every name derived from it fits its Kubernetes limit.
    pub name: String,
    /// Namespace the job runs in. Optional when the environment sets one.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Labels copied onto every rendered object and onto the driver and executor pods.
    #[serde(default)]
    pub labels: Option<StringMap>,
    /// Annotations copied onto every rendered object.
    #[serde(default)]
    pub annotations: Option<StringMap>,
}

/// How the job runs on Kubernetes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// A driver Job (or Pod) running `spark-submit --deploy-mode client`.
    Native,
    /// A Kubeflow Spark Operator `SparkApplication` (`mode: cluster`).
    Operator,
    /// An Apache Spark Kubernetes Operator `SparkApplication` (`spark.apache.org/v1`,
    /// cluster mode).
    ApacheOperator,
}

/// The application's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum AppType {
    Python,
    Scala,
    Java,
    R,
}

/// Image pull policy, as in Kubernetes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum PullPolicy {
    Always,
    IfNotPresent,
    Never,
}

/// Which of a job's pods a pull policy is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pods {
    Driver,
    Executors,
    /// Both roles: one policy for all (cluster mode, where Spark or the operator builds
    /// every pod from one setting).
    All,
}

impl SparkJobSpec {
    /// The image a role runs: its own, else the job's.
    pub fn role_image(&self, driver: bool) -> Option<&str> {
        let own = if driver {
            self.driver.as_ref().and_then(|d| d.image.as_deref())
        } else {
            self.executor.as_ref().and_then(|e| e.image.as_deref())
        };
        own.or(self.image.as_deref())
    }

    /// The pull policy of `pods`: the spec's when it sets one, else Kubernetes' own
    /// default, `Always` when one of their images has the tag `latest` (see
    /// [`pulled_always_by_default`]) and `IfNotPresent` otherwise. sparkc writes the
    /// policy out (and Spark's own default is `IfNotPresent` for every image), so without
    /// this a node would keep running whatever `:latest` it pulled first.
    pub fn pull_policy(&self, pods: Pods) -> PullPolicy {
        if let Some(set) = self.image_pull_policy {
            return set;
        }
        let images = match pods {
            Pods::Driver => [self.role_image(true), None],
            Pods::Executors => [self.role_image(false), None],
            Pods::All => [self.role_image(true), self.role_image(false)],
        };
        default_pull_policy(images.into_iter().flatten())
    }
}

/// Kubernetes' default pull policy for pods running `images`: `Always` when one of them is
/// pulled always by default (see [`pulled_always_by_default`]), else `IfNotPresent`.
pub fn default_pull_policy<'a>(images: impl IntoIterator<Item = &'a str>) -> PullPolicy {
    if images.into_iter().any(pulled_always_by_default) {
        PullPolicy::Always
    } else {
        PullPolicy::IfNotPresent
    }
}

/// The tag of an image reference, if it has one (`None` for `repo` and `repo@sha256:…`).
/// A registry's port (`host:5000/repo`) is not a tag.
fn image_tag(image: &str) -> Option<&str> {
    let name = image.split_once('@').map_or(image, |(name, _)| name);
    let last = name.rsplit('/').next().unwrap_or(name);
    last.split_once(':').map(|(_, tag)| tag)
}

/// Whether Kubernetes pulls this image `Always` when a container sets no policy: its tag
/// is `latest`, written or implied (no tag and no digest). `repo:latest@sha256:…` too, as
/// in Kubernetes (it keeps the tag); `repo@sha256:…` is `IfNotPresent`.
pub fn pulled_always_by_default(image: &str) -> bool {
    match image_tag(image) {
        Some(tag) => tag == "latest",
        None => !image.contains('@'),
    }
}

/// Whether an image reference names no fixed image: no digest, and no tag or `:latest`.
pub fn floating_image(image: &str) -> bool {
    !image.contains('@') && image_tag(image).is_none_or(|tag| tag == "latest")
}

/// The job spec. Every field may come from the project's `defaults` or an environment's
/// overrides instead of the job file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SparkJobSpec {
    /// `native` (a driver Job running spark-submit in client mode), `operator` (a Kubeflow
    /// SparkApplication) or `apache-operator` (an Apache Spark Kubernetes Operator
    /// SparkApplication). Default: the project's default, else `native`.
    pub target: Option<Target>,
    /// Python, Scala, Java or R. When absent it is inferred from `mainApplicationFile`:
    /// `.py` is Python, `.R` is R, `.jar` is Scala (Scala and Java run the same way).
    #[serde(rename = "type")]
    pub app_type: Option<AppType>,
    /// Spark version of the image, for example `"3.5.3"` (a string: quote it).
    pub spark_version: Option<String>,
    /// Container image for driver and executors, e.g. `registry.example.com/etl:1.4.2`.
    pub image: Option<String>,
    /// Image pull policy for driver and executors. Default: as in Kubernetes, `Always`
    /// for an image tagged `:latest` or with neither tag nor digest, `IfNotPresent`
    /// otherwise.
    pub image_pull_policy: Option<PullPolicy>,
    /// Names of Secrets in the job's namespace used to pull the image.
    pub image_pull_secrets: Option<Vec<String>>,
    /// The application: `local:///path/in/image.py`, `s3a://bucket/app.jar`, `https://...`.
    pub main_application_file: Option<String>,
    /// Fully qualified main class. Required for Scala and Java.
    pub main_class: Option<String>,
    /// Arguments passed to the application.
    pub arguments: Option<Vec<String>>,
    /// Extra Spark configuration (`--conf key=value`). Values are strings: quote numbers.
    /// Keys that have a field of their own are refused.
    pub spark_conf: Option<StringMap>,
    /// Hadoop configuration; each key gets the `spark.hadoop.` prefix.
    pub hadoop_conf: Option<StringMap>,
    /// Name of a ConfigMap holding Spark configuration files (mounted as `SPARK_CONF_DIR`).
    pub spark_config_map: Option<String>,
    /// Name of a ConfigMap holding Hadoop configuration files (mounted as `HADOOP_CONF_DIR`).
    pub hadoop_config_map: Option<String>,
    /// Dependencies shipped with the application.
    pub deps: Option<Dependencies>,
    /// Use this existing service account for driver (and executors unless they name their
    /// own) and render no ServiceAccount, Role or RoleBinding.
    pub service_account: Option<String>,
    /// Driver pod settings.
    pub driver: Option<Box<DriverSpec>>,
    /// Executor pod settings.
    pub executor: Option<Box<ExecutorSpec>>,
    /// Dynamic allocation of executors (with shuffle tracking; Kubernetes has no external
    /// shuffle service).
    pub dynamic_allocation: Option<DynamicAllocation>,
    /// Volumes (core/v1 `Volume` objects) available to driver and executor `volumeMounts`.
    pub volumes: Option<Vec<core::Volume>>,
    /// Node selector applied to both driver and executors.
    pub node_selector: Option<StringMap>,
    /// Tolerations applied to both driver and executors.
    pub tolerations: Option<Vec<core::Toleration>>,
    /// Retries of a failed run.
    pub restart_policy: Option<RestartPolicy>,
    /// Run on a cron schedule (a CronJob or ScheduledSparkApplication) instead of once.
    pub schedule: Option<Schedule>,
    /// Delete the finished run this many seconds after it ends.
    pub time_to_live_seconds: Option<i64>,
    /// The longest a run may take, in seconds: then it is stopped and counts as failed.
    /// `native`: the driver Job's `activeDeadlineSeconds` (the whole run, retries included);
    /// `operator` and `apache-operator`: the driver pod's `activeDeadlineSeconds` (each
    /// attempt; the operator's retries start a new driver).
    #[schemars(range(min = 1))]
    pub timeout_seconds: Option<i64>,
    /// Prometheus JMX exporter for driver and executor metrics.
    pub monitoring: Option<Monitoring>,
    /// Any string. Changing it (and only it) makes GitOps run the job again.
    pub rerun: Option<String>,
    /// Run the application as this user (`--proxy-user`).
    pub proxy_user: Option<String>,
    /// Memory overhead factor for non-JVM memory, e.g. `"0.4"` (a string: quote it).
    pub memory_overhead_factor: Option<String>,
    /// Batch scheduler for the pods (e.g. `volcano`, `yunikorn`).
    pub batch_scheduler: Option<String>,
    /// Options for the batch scheduler.
    pub batch_scheduler_options: Option<BatchSchedulerOptions>,
    /// Options for the Spark UI Service and Ingress (operator target).
    #[serde(rename = "sparkUIOptions")]
    pub spark_ui_options: Option<SparkUiOptions>,
    /// Ingresses for driver ports (operator target).
    pub driver_ingress_options: Option<Vec<DriverIngressOptions>>,
    /// Create a PodDisruptionBudget for the driver (operator target, needs the operator's
    /// `--enable-driver-pdb`).
    pub driver_pod_disruption_budget: Option<bool>,
    /// Suspend the application (operator target): its pods are deleted until resumed.
    pub suspend: Option<bool>,
    /// Python major version (only `"3"` is supported by Spark 3.1 and later).
    pub python_version: Option<PythonVersion>,
    /// Settings that apply only to the `native` target.
    pub native: Option<NativeOptions>,
    /// Settings that apply only to the `apache-operator` target.
    pub apache: Option<ApacheOptions>,
}

/// Python major version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum PythonVersion {
    #[serde(rename = "2")]
    Two,
    #[serde(rename = "3")]
    Three,
}

/// Dependencies: lists of URIs (`local://`, `s3a://`, `https://`, Maven coordinates).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Dependencies {
    /// Jars for driver and executor classpaths (`--jars`).
    pub jars: Option<Vec<String>>,
    /// Files placed in each executor's working directory (`--files`).
    pub files: Option<Vec<String>>,
    /// Python files (`.py`, `.zip`, `.egg`) on the PYTHONPATH (`--py-files`).
    pub py_files: Option<Vec<String>>,
    /// Maven coordinates `groupId:artifactId:version` (`--packages`).
    pub packages: Option<Vec<String>>,
    /// `groupId:artifactId` to exclude when resolving `packages` (`--exclude-packages`).
    pub exclude_packages: Option<Vec<String>>,
    /// Extra Maven repositories for `packages` (`--repositories`).
    pub repositories: Option<Vec<String>>,
    /// Archives extracted into each executor's working directory (`--archives`).
    pub archives: Option<Vec<String>>,
}

/// A ConfigMap mounted at a path.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NamePath {
    /// ConfigMap name.
    pub name: String,
    /// Mount path in the container.
    pub path: String,
}

/// A Secret mounted at a path.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SecretInfo {
    /// Secret name.
    pub name: String,
    /// Mount path in the container.
    pub path: String,
    /// How Spark uses the Secret.
    pub secret_type: Option<SecretType>,
}

/// What kind of Secret is mounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SecretType {
    /// Sets `GOOGLE_APPLICATION_CREDENTIALS` to `key.json` in the mount.
    GCPServiceAccount,
    /// Sets `HADOOP_TOKEN_FILE_LOCATION` to `hadoop.token` in the mount.
    HadoopDelegationToken,
    /// Mounted only.
    Generic,
}

/// A GPU request.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GpuSpec {
    /// Resource name, e.g. `nvidia.com/gpu`.
    pub name: String,
    /// Number of GPUs.
    #[schemars(range(min = 1))]
    pub quantity: i64,
}

/// A reference to one key of a Secret.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NameKey {
    /// Secret name.
    pub name: String,
    /// Key in the Secret.
    pub key: String,
}

/// A container port.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Port {
    /// Port name (an IANA service name, at most 15 characters).
    pub name: String,
    /// `TCP`, `UDP` or `SCTP`.
    pub protocol: String,
    /// Port number.
    #[schemars(range(min = 1, max = 65535))]
    pub container_port: i32,
}

/// Settings shared by driver and executor pods.
///
/// Memory (`memory`, `memoryOverhead`) uses Spark notation (`512m`, `4g`); CPU (`coreLimit`,
/// `coreRequest`) and `memoryLimit` use Kubernetes quantity notation (`1200m`, `4Gi`).
macro_rules! pod_fields {
    ($(#[$meta:meta])* pub struct $name:ident { $($extra:tt)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields, rename_all = "camelCase")]
        pub struct $name {
            /// Number of CPU cores (an integer ≥ 1).
            #[schemars(range(min = 1))]
            pub cores: Option<i32>,
            /// CPU limit in Kubernetes notation, e.g. `"1200m"`.
            pub core_limit: Option<String>,
            /// CPU request in Kubernetes notation, e.g. `"500m"`; default: `cores`.
            pub core_request: Option<String>,
            /// JVM heap in Spark notation: `512m`, `4g`.
            pub memory: Option<String>,
            /// Memory limit in Kubernetes notation (`4Gi`), above the computed request.
            pub memory_limit: Option<String>,
            /// Non-heap memory in Spark notation: `512m`, `1g`.
            pub memory_overhead: Option<String>,
            /// GPU request.
            pub gpu: Option<GpuSpec>,
            /// Image for this role only (default: `spec.image`).
            pub image: Option<String>,
            /// ConfigMaps mounted into the pod.
            pub config_maps: Option<Vec<NamePath>>,
            /// Secrets mounted into the pod.
            pub secrets: Option<Vec<SecretInfo>>,
            /// Environment variables (core/v1 `EnvVar`). Credentials must come from a
            /// `secretKeyRef`, never a literal `value`.
            pub env: Option<Vec<core::EnvVar>>,
            /// Environment from ConfigMaps or Secrets (core/v1 `EnvFromSource`).
            pub env_from: Option<Vec<core::EnvFromSource>>,
            /// Deprecated: use `env`. Plain environment variables as a map.
            pub env_vars: Option<StringMap>,
            /// Deprecated: use `env` with `secretKeyRef`. Variables from Secret keys.
            pub env_secret_key_refs: Option<BTreeMap<String, NameKey>>,
            /// Labels for the pod.
            pub labels: Option<StringMap>,
            /// Annotations for the pod.
            pub annotations: Option<StringMap>,
            /// Volume mounts (core/v1 `VolumeMount`) of `spec.volumes`.
            pub volume_mounts: Option<Vec<core::VolumeMount>>,
            /// Affinity (core/v1 `Affinity`).
            pub affinity: Option<Box<core::Affinity>>,
            /// Tolerations (core/v1 `Toleration`).
            pub tolerations: Option<Vec<core::Toleration>>,
            /// Node selector for this role.
            pub node_selector: Option<StringMap>,
            /// Scheduler name.
            pub scheduler_name: Option<String>,
            /// Pod security context (core/v1 `PodSecurityContext`). Default: non-root,
            /// RuntimeDefault seccomp (the "restricted" Pod Security Standard).
            pub pod_security_context: Option<Box<core::PodSecurityContext>>,
            /// Container security context (core/v1 `SecurityContext`). Default: no privilege
            /// escalation, all capabilities dropped.
            pub security_context: Option<Box<core::SecurityContext>>,
            /// Sidecar containers (core/v1 `Container`).
            pub sidecars: Option<Vec<core::Container>>,
            /// Init containers (core/v1 `Container`).
            pub init_containers: Option<Vec<core::Container>>,
            /// Use the host's network namespace.
            pub host_network: Option<bool>,
            /// DNS settings (core/v1 `PodDNSConfig`).
            pub dns_config: Option<core::PodDNSConfig>,
            /// Grace period for pod termination, in seconds.
            pub termination_grace_period_seconds: Option<i64>,
            /// Service account for this role (default: the job's).
            pub service_account: Option<String>,
            /// Host aliases (core/v1 `HostAlias`).
            pub host_aliases: Option<Vec<core::HostAlias>>,
            /// Share one process namespace between the pod's containers.
            pub share_process_namespace: Option<bool>,
            /// Extra JVM options (`-XX:...`); not for heap size (use `memory`).
            pub java_options: Option<String>,
            /// Container lifecycle hooks (core/v1 `Lifecycle`).
            pub lifecycle: Option<Box<core::Lifecycle>>,
            /// Extra container ports.
            pub ports: Option<Vec<Port>>,
            /// Priority class of the pod.
            pub priority_class_name: Option<String>,
            /// A pod template (a core/v1 `PodTemplateSpec`, kept as written, as the operator
            /// does) merged under the settings above (Spark 3.0 or later). The native target
            /// checks the merged pod against the Kubernetes schema.
            pub template: Option<serde_json::Map<String, serde_json::Value>>,
            $($extra)*
        }
    };
}

pod_fields! {
    /// Driver pod settings.
    pub struct DriverSpec {
        /// Kubernetes API server URL the driver talks to (operator: in-cluster default).
        pub kubernetes_master: Option<String>,
        /// Driver pod name (operator target only; the native target names its pod itself).
        pub pod_name: Option<String>,
        /// Annotations for the driver Service.
        pub service_annotations: Option<StringMap>,
        /// Labels for the driver Service.
        pub service_labels: Option<StringMap>,
    }
}

pod_fields! {
    /// Executor pod settings.
    pub struct ExecutorSpec {
        /// Number of executors (an integer ≥ 1). Ignored with dynamic allocation.
        #[schemars(range(min = 1))]
        pub instances: Option<i32>,
        /// Delete executor pods when they terminate (default true).
        pub delete_on_termination: Option<bool>,
    }
}

/// Dynamic allocation settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DynamicAllocation {
    /// Turn dynamic allocation on.
    pub enabled: Option<bool>,
    /// Executors at start; between `minExecutors` and `maxExecutors`.
    #[schemars(range(min = 0))]
    pub initial_executors: Option<i32>,
    /// Lower bound on executors.
    #[schemars(range(min = 0))]
    pub min_executors: Option<i32>,
    /// Upper bound on executors.
    #[schemars(range(min = 1))]
    pub max_executors: Option<i32>,
    /// Track shuffle files so executors holding them are kept (default true).
    pub shuffle_tracking_enabled: Option<bool>,
    /// Milliseconds after which executors holding shuffle data may be released.
    #[schemars(range(min = 0))]
    pub shuffle_tracking_timeout: Option<i64>,
}

/// How a failed run is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum RestartType {
    Never,
    OnFailure,
    Always,
}

/// Retry policy.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RestartPolicy {
    /// `Never`, `OnFailure` or `Always` (`Always` is refused for batch jobs).
    #[serde(rename = "type")]
    pub restart_type: Option<RestartType>,
    /// Retries after a failed run.
    #[schemars(range(min = 0))]
    pub on_failure_retries: Option<i32>,
    /// Seconds between retries after a failed run.
    #[schemars(range(min = 1))]
    pub on_failure_retry_interval: Option<i64>,
    /// Retries after a failed submission (operator target).
    #[schemars(range(min = 0))]
    pub on_submission_failure_retries: Option<i32>,
    /// Seconds between submission retries (operator target).
    #[schemars(range(min = 1))]
    pub on_submission_failure_retry_interval: Option<i64>,
}

/// What to do when a scheduled run is due while the previous one still runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ConcurrencyPolicy {
    /// Skip the new run.
    Forbid,
    /// Stop the running one and start the new one.
    Replace,
    /// Run both (refused: two drivers of one job would share one driver Service).
    Allow,
}

/// A cron schedule.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Schedule {
    /// Five-field cron expression (`0 3 * * *`) or a macro (`@daily`, `@hourly`, ...).
    pub cron: Option<String>,
    /// IANA time zone of the schedule, e.g. `Europe/Berlin` (default `Etc/UTC`).
    pub time_zone: Option<String>,
    /// `Forbid` (default) or `Replace`.
    pub concurrency_policy: Option<ConcurrencyPolicy>,
    /// Stop starting new runs.
    pub suspend: Option<bool>,
    /// Finished successful runs to keep.
    #[schemars(range(min = 0))]
    pub successful_run_history_limit: Option<i32>,
    /// Finished failed runs to keep.
    #[schemars(range(min = 0))]
    pub failed_run_history_limit: Option<i32>,
}

/// Monitoring settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Monitoring {
    /// Expose driver metrics (default true).
    pub expose_driver_metrics: Option<bool>,
    /// Expose executor metrics (default true).
    pub expose_executor_metrics: Option<bool>,
    /// Content of a Spark `metrics.properties` file.
    pub metrics_properties: Option<String>,
    /// Path of a `metrics.properties` file in the image.
    pub metrics_properties_file: Option<String>,
    /// Prometheus JMX exporter.
    pub prometheus: Option<Prometheus>,
}

/// Prometheus JMX exporter settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Prometheus {
    /// Path of the JMX exporter Java agent jar in the image.
    pub jmx_exporter_jar: Option<String>,
    /// Port the exporter listens on (1024-49151, default 8090).
    #[schemars(range(min = 1024, max = 49151))]
    pub port: Option<i32>,
    /// Name of the metrics port (default `jmx-exporter`).
    pub port_name: Option<String>,
    /// Path of an exporter configuration file in the image.
    pub config_file: Option<String>,
    /// Exporter configuration content.
    pub configuration: Option<String>,
}

/// Batch scheduler options.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BatchSchedulerOptions {
    /// Queue name.
    pub queue: Option<String>,
    /// Priority class name.
    pub priority_class_name: Option<String>,
    /// Resources reserved for the application (quantities).
    pub resources: Option<BTreeMap<String, String>>,
}

/// Spark UI Service and Ingress options.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SparkUiOptions {
    /// Service port.
    pub service_port: Option<i32>,
    /// Service port name.
    pub service_port_name: Option<String>,
    /// Service type (`ClusterIP`, `NodePort`, `LoadBalancer`).
    pub service_type: Option<String>,
    /// Service annotations.
    pub service_annotations: Option<StringMap>,
    /// Service labels.
    pub service_labels: Option<StringMap>,
    /// Ingress annotations.
    pub ingress_annotations: Option<StringMap>,
    /// Ingress TLS (networking/v1 `IngressTLS`).
    #[serde(rename = "ingressTLS")]
    pub ingress_tls: Option<Vec<k8s_openapi::api::networking::v1::IngressTLS>>,
}

/// An Ingress for one driver port.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DriverIngressOptions {
    /// Service port.
    pub service_port: Option<i32>,
    /// Service port name.
    pub service_port_name: Option<String>,
    /// Service type.
    pub service_type: Option<String>,
    /// Service annotations.
    pub service_annotations: Option<StringMap>,
    /// Service labels.
    pub service_labels: Option<StringMap>,
    /// URL format of the Ingress, e.g. `{{$appName}}.example.com`.
    #[serde(rename = "ingressURLFormat")]
    pub ingress_url_format: Option<String>,
    /// Ingress annotations.
    pub ingress_annotations: Option<StringMap>,
    /// Ingress TLS (networking/v1 `IngressTLS`).
    #[serde(rename = "ingressTLS")]
    pub ingress_tls: Option<Vec<k8s_openapi::api::networking::v1::IngressTLS>>,
}

/// What the native target renders for the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Workload {
    /// A batch/v1 Job (retries, TTL, a new Job per spec change). The default.
    Job,
    /// A bare Pod.
    Pod,
}

/// Settings for the `native` target.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NativeOptions {
    /// `Job` (default) or `Pod`.
    pub workload: Option<Workload>,
}

/// Settings for the `apache-operator` target: the Apache operator's own fields that no
/// other spec field expresses. sparkc derives `restartConfig`, `ttlAfterStopMillis` and
/// `instanceConfig` from `restartPolicy`, `timeToLiveSeconds` and the executor counts; a
/// value here that sparkc also derives is refused.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApacheOptions {
    /// Scala and JDK versions of the image (`runtimeVersions`; the Spark version is
    /// `sparkVersion`).
    pub runtime_versions: Option<RuntimeVersions>,
    /// The operator's `applicationTolerations`: timeouts, instance thresholds, retention.
    pub application_tolerations: Option<ApplicationTolerations>,
    /// ConfigMaps the operator creates for the application (`configMapSpecs`).
    pub config_map_specs: Option<Vec<serde_json::Value>>,
    /// Services and Ingresses for the driver (`driverServiceIngressList`).
    pub driver_service_ingress_list: Option<Vec<serde_json::Value>>,
    /// Gateway API HTTP routes for the driver (`driverHttpRouteList`).
    pub driver_http_route_list: Option<Vec<serde_json::Value>>,
    /// Gateway API gRPC routes for the driver (`driverGrpcRouteList`).
    pub driver_grpc_route_list: Option<Vec<serde_json::Value>>,
}

/// Versions of the image's runtimes besides Spark.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RuntimeVersions {
    pub scala_version: Option<String>,
    pub jdk_version: Option<String>,
}

/// The Apache operator's `applicationTolerations`, in milliseconds as the operator reads
/// them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApplicationTolerations {
    /// Restarts beyond what `restartPolicy` says.
    pub restart_config: Option<ApacheRestartConfig>,
    /// Timeouts of the driver's and executors' start.
    pub application_timeout_config: Option<ApacheTimeouts>,
    /// Executor thresholds; derived from the executor counts when absent.
    pub instance_config: Option<ApacheInstanceConfig>,
    /// Keep the driver's resources after the end: `Always`, `OnFailure` or `Never`.
    pub resource_retain_policy: Option<RetainPolicy>,
    pub resource_retain_duration_millis: Option<i64>,
    /// Delete the application this long after it stops; set `timeToLiveSeconds` instead
    /// for whole seconds.
    pub ttl_after_stop_millis: Option<i64>,
}

/// When the Apache operator keeps a finished application's resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum RetainPolicy {
    Always,
    OnFailure,
    Never,
}

/// The Apache operator's `restartConfig`. `restartPolicy` (the spec field) fills in the
/// policy, `maxRestartAttempts`, `restartBackoffMillis` and the scheduling-failure pair;
/// set here only what it does not (a field set both ways is refused).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApacheRestartConfig {
    /// `Never`, `Always`, `OnFailure` or `OnInfrastructureFailure` (restart only after what
    /// looks like an infrastructure failure).
    pub restart_policy: Option<ApacheRestartPolicy>,
    pub max_restart_attempts: Option<i64>,
    pub restart_backoff_millis: Option<i64>,
    /// Consecutive failures before it stops (resets on success).
    pub max_restart_on_failure: Option<i64>,
    pub restart_backoff_millis_for_failure: Option<i64>,
    pub max_restart_on_scheduling_failure: Option<i64>,
    pub restart_backoff_millis_for_scheduling_failure: Option<i64>,
    /// Reset the counters after an attempt ran this long (-1: never).
    pub restart_counter_reset_millis: Option<i64>,
}

/// The Apache operator's restart policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ApacheRestartPolicy {
    Never,
    Always,
    OnFailure,
    OnInfrastructureFailure,
}

/// The Apache operator's timeouts, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApacheTimeouts {
    pub driver_start_timeout_millis: Option<i64>,
    pub executor_start_timeout_millis: Option<i64>,
    pub driver_ready_timeout_millis: Option<i64>,
    pub force_termination_grace_period_millis: Option<i64>,
    pub termination_requeue_period_millis: Option<i64>,
}

/// The executor counts the Apache operator judges an application's health by.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApacheInstanceConfig {
    /// Fewer executors than this within `executorStartTimeoutMillis` stops the attempt.
    pub init_executors: Option<i64>,
    pub min_executors: Option<i64>,
    pub max_executors: Option<i64>,
}

/// The project file `sparkc.yaml`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "Project")]
pub struct Project {
    /// Always `sparkc.io/v1alpha1`.
    pub api_version: String,
    /// Always `Project`.
    pub kind: String,
    /// Folders (walked recursively) or globs holding SparkJob files. Default `[jobs]`.
    #[serde(default)]
    pub jobs: Option<Vec<String>>,
    /// Folder of the rendered tree. Default `deploy`.
    #[serde(default)]
    pub output: Option<String>,
    /// A partial job spec under every job.
    #[serde(default)]
    pub defaults: Option<SparkJobSpec>,
    /// Environments (e.g. `dev`, `prod`): each renders every job with its overrides.
    #[serde(default)]
    pub environments: Option<BTreeMap<String, Environment>>,
    /// How the rendered tree is applied.
    #[serde(default)]
    pub gitops: Option<GitOps>,
    /// A folder whose templates replace the built-in ones of the same name.
    #[serde(default)]
    pub templates: Option<String>,
    /// How the Kubeflow Spark Operator is installed (operator target).
    #[serde(default)]
    pub operator: Option<OperatorOptions>,
    /// Policies every job must meet in every environment (an environment's `policies`
    /// replace them one by one).
    #[serde(default)]
    pub policies: Option<Policies>,
}

/// One environment.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Environment {
    /// Namespace of jobs that do not set `metadata.namespace`.
    pub namespace: Option<String>,
    /// The cluster the environment's jobs run in. Default: the cluster the GitOps tool runs
    /// in, read through the kubeconfig's current context.
    pub cluster: Option<Cluster>,
    /// A partial job spec merged over every job's spec in this environment.
    pub overrides: Option<SparkJobSpec>,
    /// Policies of this environment: each one set here replaces the project's of the same
    /// name (`maxPerJob` and `severity` field by field).
    pub policies: Option<Policies>,
}

/// Rules a platform team sets for every job, checked by `validate` (and so by `render` and
/// `plan`). Each finding is located at the job and names the policy's line here.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Policies {
    /// Labels every job must carry in `metadata.labels`, e.g. `[team, cost-center]`.
    pub required_labels: Option<Vec<String>>,
    /// Registries the images of the driver and executors may come from: a registry host
    /// (`registry.example.com`) or a host and path prefix (`registry.example.com/data`).
    /// An image without a host comes from Docker Hub, `docker.io`.
    pub allowed_image_registries: Option<Vec<String>>,
    /// The most one job may ask for: its driver plus its executors (the dynamic-allocation
    /// maximum when it scales), with memory overhead, as the pods request it.
    pub max_per_job: Option<MaxPerJob>,
    /// Every job must set `timeToLiveSeconds`, so that finished runs do not pile up.
    pub require_time_to_live: Option<bool>,
    /// `restricted`: every driver and executor pod, on every target, must meet the
    /// restricted Pod Security Standard. A job opts out with the annotation
    /// `policy.sparkc.io/pod-security-exempt: <reason>`.
    pub pod_security: Option<PodSecurityLevel>,
    /// What the jobs of each namespace of the environment may request together, counting
    /// every job that can run at the same time. `validate --cluster` also checks the
    /// namespace's ResourceQuota.
    pub budget: Option<Budget>,
    /// The severity of each policy's findings (default `error`), e.g.
    /// `{requiredLabels: warning}`.
    pub severity: Option<PolicySeverities>,
}

/// The most one job may request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MaxPerJob {
    /// Executors (instances, or `dynamicAllocation.maxExecutors`).
    #[schemars(range(min = 0))]
    pub executors: Option<u32>,
    /// CPU cores of the driver and all executors together, as requested.
    #[schemars(range(min = 0))]
    pub cores: Option<f64>,
    /// Memory of the driver and all executors together, heap plus overhead, in Spark
    /// notation (`800g`).
    pub memory: Option<String>,
}

/// What the jobs of one namespace may request at once.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Budget {
    /// CPU cores requested by all pods together.
    #[schemars(range(min = 0))]
    pub cores: Option<f64>,
    /// Memory requested by all pods together, in Spark notation (`2000g`).
    pub memory: Option<String>,
    /// Pods (drivers and executors).
    #[schemars(range(min = 0))]
    pub pods: Option<u64>,
}

/// A Pod Security Standard level that sparkc checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PodSecurityLevel {
    /// The restricted standard (runs as non-root, no privilege escalation, all capabilities
    /// dropped, a RuntimeDefault or Localhost seccomp profile, no host namespaces, ports or
    /// paths).
    Restricted,
}

/// How serious a policy's findings are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PolicyLevel {
    Error,
    Warning,
}

/// The severity of each policy (default `error`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PolicySeverities {
    pub required_labels: Option<PolicyLevel>,
    pub allowed_image_registries: Option<PolicyLevel>,
    pub max_per_job: Option<PolicyLevel>,
    pub require_time_to_live: Option<PolicyLevel>,
    pub pod_security: Option<PolicyLevel>,
    pub budget: Option<PolicyLevel>,
}

/// Where an environment runs: Argo CD's destination, Flux's kubeconfig Secret, and the
/// kubeconfig context `sparkc diff --cluster` reads it through.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Cluster {
    /// URL of the cluster's API server (Argo CD: `destination.server`).
    pub server: Option<String>,
    /// The cluster's name as registered in Argo CD (`destination.name`), instead of `server`.
    pub name: Option<String>,
    /// The kubeconfig context that reaches the cluster, for `sparkc diff --cluster` (a
    /// `--context` on the command line wins).
    pub context: Option<String>,
    /// Flux: the Secret in Flux's namespace holding a kubeconfig for the cluster (the
    /// Kustomization's `kubeConfig.secretRef`). Needed with `gitops.tool: flux` whenever
    /// `server` or `name` says the cluster is not the one Flux runs in.
    pub kube_config_secret_ref: Option<KubeConfigSecretRef>,
}

/// A Secret holding a kubeconfig.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KubeConfigSecretRef {
    /// The Secret's name.
    #[schemars(length(min = 1))]
    pub name: String,
    /// The key holding the kubeconfig. Default (Flux's): `value`, then `value.yaml`.
    pub key: Option<String>,
}

/// The GitOps tool that applies the rendered tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GitOpsTool {
    Argocd,
    Flux,
    None,
}

/// Settings for the `operator` target.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OperatorOptions {
    /// Whether the Spark Operator runs its mutating webhook (default true). Without it,
    /// pod settings (volumes, tolerations, affinity, env, security contexts, ...) are
    /// written into `driver.template` / `executor.template` instead (Spark 3.0 or later).
    pub webhook: Option<bool>,
}

/// GitOps settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GitOps {
    /// `argocd`, `flux` or `none`.
    pub tool: Option<GitOpsTool>,
    /// Git URL of this repository.
    #[serde(rename = "repoURL")]
    pub repo_url: Option<String>,
    /// Branch, tag or commit the GitOps tool follows.
    pub target_revision: Option<String>,
    /// Let the GitOps tool revert changes made in the cluster.
    pub self_heal: Option<bool>,
    /// Argo CD settings.
    pub argocd: Option<ArgoCdOptions>,
}

/// Where the Argo CD objects go and how they are grouped.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ArgoCdOptions {
    /// The namespace Argo CD runs in (its Applications live there). Default `argocd`.
    pub namespace: Option<String>,
    /// The Argo CD project of the Applications. Default `default`.
    pub project: Option<String>,
    /// One ApplicationSet per environment (a list generator over its units) instead of one
    /// Application per unit. Default false.
    pub application_set: Option<bool>,
}
