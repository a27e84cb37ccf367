//! The one table of the Spark configuration sparkc knows.
//!
//! For each key (or key prefix, or spark-submit flag): where its value comes from (a field of
//! the job document, or derived by sparkc), whether a user may set it in `sparkConf`, whether
//! its value is a reference (a Secret's name, `secret:key`) rather than secret material, the
//! Spark version that has it, and how each target expresses it. The native spark-submit
//! builder, the Kubeflow target, the `sparkConf` rules and both importers read this table;
//! no other code names a `spark.*` key.

/// How a table entry matches a configuration key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// The whole key.
    Exact,
    /// Keys that start with `key` (which ends with `.`); the rest names a map entry.
    Prefix,
    /// Keys that end with `key`.
    Suffix,
}

/// Whether a user may set the key in `sparkConf`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// sparkc (or the operator it renders for) sets it: an error in `sparkConf`.
    Managed,
    /// It has a field of its own: a warning in `sparkConf`, an error when the target sets the
    /// key itself for this job (the two values would fight, and one would silently lose).
    Field,
}

/// Where the value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A field of the job document, as a dotted path (`spec.driver.memory`).
    Field(&'static str),
    /// sparkc derives it (why, for the message).
    Derived(&'static str),
}

/// The value's shape, for reading a key back into its field (import).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    Text,
    Int,
    Bool,
    /// Comma-separated list.
    List,
    /// A duration in milliseconds written `<n>ms` (or a bare number).
    Millis,
    /// A prefix key: the rest of the key names an entry of the field's map.
    Map,
    /// A prefix key whose value is `secret:key`: an entry of `envSecretKeyRefs`.
    SecretKeyRef,
    /// A GPU vendor (`nvidia.com`): the resource name `<vendor>/gpu`.
    GpuVendor,
    /// Not read back: the field has a shape a configuration string does not carry.
    Manual,
}

/// How the Kubeflow Spark Operator expresses the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kubeflow {
    /// The operator sets it itself.
    Operator,
    /// From the `SparkApplication` field at this path of its `spec` (which sparkc's spec
    /// shares).
    Field(&'static str),
    /// Passed through `sparkConf`.
    Conf,
    /// The key is the user's `sparkConf` on this target although sparkc's field sets it
    /// elsewhere: the operator's field of the same name does something else (its
    /// `executor.gpu` is the container's limit only).
    User,
}

/// One entry of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// The key, prefix or suffix; empty for a flag that has no key.
    pub key: &'static str,
    pub pattern: Pattern,
    /// The spark-submit flag that sets the same value, if any.
    pub flag: Option<&'static str>,
    /// Whether the native target writes it as that flag rather than `--conf`.
    pub native_flag: bool,
    pub access: Access,
    pub source: Source,
    pub value: Value,
    /// The value names something (a Secret, a `secret:key` pair), it is not secret itself.
    pub reference: bool,
    /// The first Spark version that reads the key.
    pub since: Option<(u32, u32)>,
    pub kubeflow: Kubeflow,
    /// What to use instead, when more than the field's name is worth saying.
    pub instead: Option<&'static str>,
}

const FIELD: Key = Key {
    key: "",
    pattern: Pattern::Exact,
    flag: None,
    native_flag: false,
    access: Access::Field,
    source: Source::Derived(""),
    value: Value::Text,
    reference: false,
    since: None,
    kubeflow: Kubeflow::Conf,
    instead: None,
};

const MANAGED: Key = Key {
    access: Access::Managed,
    kubeflow: Kubeflow::Operator,
    ..FIELD
};

const fn derived(key: &'static str, why: &'static str) -> Key {
    Key {
        key,
        source: Source::Derived(why),
        ..MANAGED
    }
}

const fn field(key: &'static str, path: &'static str, value: Value) -> Key {
    Key {
        key,
        source: Source::Field(path),
        value,
        ..FIELD
    }
}

const fn prefix(key: &'static str, path: &'static str, value: Value) -> Key {
    Key {
        key,
        pattern: Pattern::Prefix,
        source: Source::Field(path),
        value,
        ..FIELD
    }
}

// Submission: master, mode, name, class.
pub const MASTER: Key = Key {
    flag: Some("--master"),
    native_flag: true,
    ..derived("spark.master", "sparkc sets the master from `spec.target`")
};
pub const DEPLOY_MODE: Key = Key {
    flag: Some("--deploy-mode"),
    native_flag: true,
    ..derived(
        "spark.submit.deployMode",
        "the deploy mode follows `spec.target`",
    )
};
pub const APP_NAME: Key = Key {
    flag: Some("--name"),
    native_flag: true,
    access: Access::Managed,
    ..field("spark.app.name", "metadata.name", Value::Text)
};
pub const MAIN_CLASS: Key = Key {
    flag: Some("--class"),
    native_flag: true,
    kubeflow: Kubeflow::Field("mainClass"),
    ..field("", "spec.mainClass", Value::Text)
};
pub const PROXY_USER: Key = Key {
    flag: Some("--proxy-user"),
    native_flag: true,
    kubeflow: Kubeflow::Field("proxyUser"),
    ..field("", "spec.proxyUser", Value::Text)
};
pub const NAMESPACE: Key = Key {
    access: Access::Managed,
    kubeflow: Kubeflow::Operator,
    ..field(
        "spark.kubernetes.namespace",
        "metadata.namespace",
        Value::Text,
    )
};

// Driver networking (client mode): executors reach the driver through its Service.
pub const DRIVER_HOST: Key = derived(
    "spark.driver.host",
    "sparkc sets the driver host to its headless Service",
);
pub const DRIVER_BIND_ADDRESS: Key = derived(
    "spark.driver.bindAddress",
    "sparkc binds the driver to the pod IP",
);
pub const DRIVER_PORT: Key = derived(
    "spark.driver.port",
    "sparkc fixes the driver ports, which its container and Service declare",
);
pub const BLOCK_MANAGER_PORT: Key = derived(
    "spark.driver.blockManager.port",
    "sparkc fixes the driver ports, which its container and Service declare",
);
pub const UI_PORT: Key = derived(
    "spark.ui.port",
    "sparkc fixes the UI port, which the driver container and Service declare",
);
pub const DRIVER_POD_NAME: Key = derived(
    "spark.kubernetes.driver.pod.name",
    "sparkc names the driver pod (executors get an owner reference to it)",
);
pub const DRIVER_MASTER: Key = Key {
    access: Access::Managed,
    kubeflow: Kubeflow::Operator,
    ..field(
        "spark.kubernetes.driver.master",
        "spec.driver.kubernetesMaster",
        Value::Text,
    )
};
pub const EXECUTOR_POD_TEMPLATE: Key = Key {
    access: Access::Managed,
    kubeflow: Kubeflow::Operator,
    instead: Some("`spec.executor.template` (sparkc writes and mounts the executor pod template)"),
    since: Some((3, 0)),
    ..field(
        "spark.kubernetes.executor.podTemplateFile",
        "spec.executor.template",
        Value::Manual,
    )
};
pub const DRIVER_TEMPLATE_CONTAINER: Key = Key {
    since: Some((3, 0)),
    ..derived(
        "spark.kubernetes.driver.podTemplateContainerName",
        "sparkc names the driver container of the template it writes",
    )
};
pub const EXECUTOR_TEMPLATE_CONTAINER: Key = Key {
    since: Some((3, 0)),
    ..derived(
        "spark.kubernetes.executor.podTemplateContainerName",
        "sparkc names the executor container of the template it writes",
    )
};
pub const EXECUTOR_POD_NAME_PREFIX: Key = derived(
    "spark.kubernetes.executor.podNamePrefix",
    "Spark derives a unique prefix per run from the job name, and sparkc checks its length",
);

// Images and accounts.
pub const IMAGE: Key = Key {
    access: Access::Managed,
    kubeflow: Kubeflow::Field("image"),
    ..field(
        "spark.kubernetes.container.image",
        "spec.image",
        Value::Text,
    )
};
pub const DRIVER_IMAGE: Key = Key {
    access: Access::Managed,
    kubeflow: Kubeflow::Field("driver.image"),
    ..field(
        "spark.kubernetes.driver.container.image",
        "spec.driver.image",
        Value::Text,
    )
};
pub const EXECUTOR_IMAGE: Key = Key {
    access: Access::Managed,
    kubeflow: Kubeflow::Field("executor.image"),
    ..field(
        "spark.kubernetes.executor.container.image",
        "spec.executor.image",
        Value::Text,
    )
};
pub const PULL_POLICY: Key = Key {
    kubeflow: Kubeflow::Field("imagePullPolicy"),
    ..field(
        "spark.kubernetes.container.image.pullPolicy",
        "spec.imagePullPolicy",
        Value::Text,
    )
};
pub const PULL_SECRETS: Key = Key {
    reference: true,
    kubeflow: Kubeflow::Field("imagePullSecrets"),
    ..field(
        "spark.kubernetes.container.image.pullSecrets",
        "spec.imagePullSecrets",
        Value::List,
    )
};
pub const DRIVER_ACCOUNT: Key = Key {
    access: Access::Managed,
    kubeflow: Kubeflow::Field("driver.serviceAccount"),
    instead: Some("`spec.serviceAccount` or `spec.driver.serviceAccount`"),
    ..field(
        "spark.kubernetes.authenticate.driver.serviceAccountName",
        "spec.serviceAccount",
        Value::Text,
    )
};
pub const EXECUTOR_ACCOUNT: Key = Key {
    access: Access::Managed,
    kubeflow: Kubeflow::Field("executor.serviceAccount"),
    ..field(
        "spark.kubernetes.authenticate.executor.serviceAccountName",
        "spec.executor.serviceAccount",
        Value::Text,
    )
};
pub const ACCOUNT: Key = Key {
    access: Access::Managed,
    ..field(
        "spark.kubernetes.authenticate.serviceAccountName",
        "spec.serviceAccount",
        Value::Text,
    )
};
pub const OAUTH_TOKEN: Key = Key {
    pattern: Pattern::Suffix,
    instead: Some("the job's service account (tokens in configuration leak and expire)"),
    ..derived(".oauthToken", "")
};
pub const OAUTH_TOKEN_FILE: Key = Key {
    pattern: Pattern::Suffix,
    instead: Some("the job's service account (tokens in configuration leak and expire)"),
    ..derived(".oauthTokenFile", "")
};

// Resources.
pub const DRIVER_MEMORY: Key = Key {
    flag: Some("--driver-memory"),
    native_flag: true,
    kubeflow: Kubeflow::Field("driver.memory"),
    ..field("spark.driver.memory", "spec.driver.memory", Value::Text)
};
pub const DRIVER_CORES: Key = Key {
    flag: Some("--driver-cores"),
    kubeflow: Kubeflow::Field("driver.cores"),
    ..field("spark.driver.cores", "spec.driver.cores", Value::Int)
};
pub const DRIVER_OVERHEAD: Key = Key {
    kubeflow: Kubeflow::Field("driver.memoryOverhead"),
    ..field(
        "spark.driver.memoryOverhead",
        "spec.driver.memoryOverhead",
        Value::Text,
    )
};
pub const DRIVER_REQUEST_CORES: Key = Key {
    kubeflow: Kubeflow::Field("driver.coreRequest"),
    ..field(
        "spark.kubernetes.driver.request.cores",
        "spec.driver.coreRequest",
        Value::Text,
    )
};
pub const DRIVER_LIMIT_CORES: Key = Key {
    kubeflow: Kubeflow::Field("driver.coreLimit"),
    ..field(
        "spark.kubernetes.driver.limit.cores",
        "spec.driver.coreLimit",
        Value::Text,
    )
};
pub const DRIVER_JAVA_OPTIONS: Key = Key {
    flag: Some("--driver-java-options"),
    native_flag: true,
    kubeflow: Kubeflow::Field("driver.javaOptions"),
    ..field(
        "spark.driver.extraJavaOptions",
        "spec.driver.javaOptions",
        Value::Text,
    )
};
pub const EXECUTOR_INSTANCES: Key = Key {
    flag: Some("--num-executors"),
    access: Access::Managed,
    kubeflow: Kubeflow::Field("executor.instances"),
    ..field(
        "spark.executor.instances",
        "spec.executor.instances",
        Value::Int,
    )
};
pub const EXECUTOR_CORES: Key = Key {
    flag: Some("--executor-cores"),
    access: Access::Managed,
    kubeflow: Kubeflow::Field("executor.cores"),
    ..field("spark.executor.cores", "spec.executor.cores", Value::Int)
};
pub const EXECUTOR_MEMORY: Key = Key {
    flag: Some("--executor-memory"),
    access: Access::Managed,
    kubeflow: Kubeflow::Field("executor.memory"),
    ..field("spark.executor.memory", "spec.executor.memory", Value::Text)
};
pub const EXECUTOR_OVERHEAD: Key = Key {
    kubeflow: Kubeflow::Field("executor.memoryOverhead"),
    ..field(
        "spark.executor.memoryOverhead",
        "spec.executor.memoryOverhead",
        Value::Text,
    )
};
pub const EXECUTOR_REQUEST_CORES: Key = Key {
    kubeflow: Kubeflow::Field("executor.coreRequest"),
    ..field(
        "spark.kubernetes.executor.request.cores",
        "spec.executor.coreRequest",
        Value::Text,
    )
};
pub const EXECUTOR_LIMIT_CORES: Key = Key {
    kubeflow: Kubeflow::Field("executor.coreLimit"),
    ..field(
        "spark.kubernetes.executor.limit.cores",
        "spec.executor.coreLimit",
        Value::Text,
    )
};
pub const EXECUTOR_DELETE_ON_TERMINATION: Key = Key {
    kubeflow: Kubeflow::Field("executor.deleteOnTermination"),
    ..field(
        "spark.kubernetes.executor.deleteOnTermination",
        "spec.executor.deleteOnTermination",
        Value::Bool,
    )
};
pub const EXECUTOR_JAVA_OPTIONS: Key = Key {
    kubeflow: Kubeflow::Field("executor.javaOptions"),
    ..field(
        "spark.executor.extraJavaOptions",
        "spec.executor.javaOptions",
        Value::Text,
    )
};
/// One key for driver and executor before Spark 3.3.
pub const OVERHEAD_FACTOR: Key = Key {
    kubeflow: Kubeflow::Field("memoryOverheadFactor"),
    ..field(
        "spark.kubernetes.memoryOverheadFactor",
        "spec.memoryOverheadFactor",
        Value::Text,
    )
};
pub const EXECUTOR_OVERHEAD_FACTOR: Key = Key {
    since: Some((3, 3)),
    kubeflow: Kubeflow::Field("memoryOverheadFactor"),
    ..field(
        "spark.executor.memoryOverheadFactor",
        "spec.memoryOverheadFactor",
        Value::Text,
    )
};
pub const DRIVER_OVERHEAD_FACTOR: Key = Key {
    since: Some((3, 3)),
    kubeflow: Kubeflow::Field("memoryOverheadFactor"),
    ..field(
        "spark.driver.memoryOverheadFactor",
        "spec.memoryOverheadFactor",
        Value::Text,
    )
};
pub const GPU_AMOUNT: Key = Key {
    since: Some((3, 0)),
    // The Kubeflow operator's `executor.gpu` only adds the container's limit (its webhook
    // does); Spark's GPU scheduling stays with `sparkConf` there.
    kubeflow: Kubeflow::User,
    instead: Some("`spec.executor.gpu` (`{name: nvidia.com/gpu, quantity: 1}`)"),
    ..field(
        "spark.executor.resource.gpu.amount",
        "spec.executor.gpu.quantity",
        Value::Int,
    )
};
pub const GPU_VENDOR: Key = Key {
    key: "spark.executor.resource.gpu.vendor",
    source: Source::Field("spec.executor.gpu.name"),
    value: Value::GpuVendor,
    ..GPU_AMOUNT
};
pub const GPU_DISCOVERY_SCRIPT: Key = Key {
    key: "spark.executor.resource.gpu.discoveryScript",
    source: Source::Derived("sparkc points Spark at the GPU discovery script of the Spark image"),
    access: Access::Field,
    ..GPU_AMOUNT
};
/// The GPU discovery script the Apache Spark images ship.
pub const GPU_DISCOVERY_SCRIPT_PATH: &str =
    "/opt/spark/examples/src/main/scripts/getGpusResources.sh";

// Dynamic allocation.
pub const DYNAMIC_ENABLED: Key = Key {
    kubeflow: Kubeflow::Field("dynamicAllocation.enabled"),
    ..field(
        "spark.dynamicAllocation.enabled",
        "spec.dynamicAllocation.enabled",
        Value::Bool,
    )
};
pub const DYNAMIC_INITIAL: Key = Key {
    kubeflow: Kubeflow::Field("dynamicAllocation.initialExecutors"),
    ..field(
        "spark.dynamicAllocation.initialExecutors",
        "spec.dynamicAllocation.initialExecutors",
        Value::Int,
    )
};
pub const DYNAMIC_MIN: Key = Key {
    kubeflow: Kubeflow::Field("dynamicAllocation.minExecutors"),
    ..field(
        "spark.dynamicAllocation.minExecutors",
        "spec.dynamicAllocation.minExecutors",
        Value::Int,
    )
};
pub const DYNAMIC_MAX: Key = Key {
    kubeflow: Kubeflow::Field("dynamicAllocation.maxExecutors"),
    ..field(
        "spark.dynamicAllocation.maxExecutors",
        "spec.dynamicAllocation.maxExecutors",
        Value::Int,
    )
};
pub const SHUFFLE_TRACKING: Key = Key {
    since: Some((3, 0)),
    kubeflow: Kubeflow::Field("dynamicAllocation.shuffleTrackingEnabled"),
    ..field(
        "spark.dynamicAllocation.shuffleTracking.enabled",
        "spec.dynamicAllocation.shuffleTrackingEnabled",
        Value::Bool,
    )
};
pub const SHUFFLE_TRACKING_TIMEOUT: Key = Key {
    since: Some((3, 0)),
    kubeflow: Kubeflow::Field("dynamicAllocation.shuffleTrackingTimeout"),
    ..field(
        "spark.dynamicAllocation.shuffleTracking.timeout",
        "spec.dynamicAllocation.shuffleTrackingTimeout",
        Value::Millis,
    )
};

// Dependencies.
const fn dep(key: &'static str, flag: &'static str, path: &'static str) -> Key {
    Key {
        flag: Some(flag),
        native_flag: true,
        ..field(key, path, Value::List)
    }
}
pub const JARS: Key = Key {
    kubeflow: Kubeflow::Field("deps.jars"),
    ..dep("spark.jars", "--jars", "spec.deps.jars")
};
pub const PY_FILES: Key = Key {
    kubeflow: Kubeflow::Field("deps.pyFiles"),
    ..dep("spark.submit.pyFiles", "--py-files", "spec.deps.pyFiles")
};
pub const FILES: Key = Key {
    kubeflow: Kubeflow::Field("deps.files"),
    ..dep("spark.files", "--files", "spec.deps.files")
};
pub const ARCHIVES: Key = Key {
    since: Some((3, 1)),
    kubeflow: Kubeflow::Field("deps.archives"),
    ..dep("spark.archives", "--archives", "spec.deps.archives")
};
pub const PACKAGES: Key = Key {
    kubeflow: Kubeflow::Field("deps.packages"),
    ..dep("spark.jars.packages", "--packages", "spec.deps.packages")
};
pub const EXCLUDE_PACKAGES: Key = Key {
    kubeflow: Kubeflow::Field("deps.excludePackages"),
    ..dep(
        "spark.jars.excludes",
        "--exclude-packages",
        "spec.deps.excludePackages",
    )
};
pub const REPOSITORIES: Key = Key {
    kubeflow: Kubeflow::Field("deps.repositories"),
    ..dep(
        "spark.jars.repositories",
        "--repositories",
        "spec.deps.repositories",
    )
};
pub const PYTHON_VERSION: Key = Key {
    kubeflow: Kubeflow::Field("pythonVersion"),
    ..field(
        "spark.kubernetes.pyspark.pythonVersion",
        "spec.pythonVersion",
        Value::Text,
    )
};

// Maps: labels, annotations, selectors, environment, secrets, Hadoop.
pub const HADOOP: Key = Key {
    kubeflow: Kubeflow::Field("hadoopConf"),
    instead: Some("`spec.hadoopConf` (without the `spark.hadoop.` prefix)"),
    ..prefix("spark.hadoop.", "spec.hadoopConf", Value::Map)
};
pub const DRIVER_LABEL: Key = Key {
    kubeflow: Kubeflow::Field("driver.labels"),
    ..prefix(
        "spark.kubernetes.driver.label.",
        "spec.driver.labels",
        Value::Map,
    )
};
pub const EXECUTOR_LABEL: Key = Key {
    kubeflow: Kubeflow::Field("executor.labels"),
    ..prefix(
        "spark.kubernetes.executor.label.",
        "spec.executor.labels",
        Value::Map,
    )
};
pub const DRIVER_ANNOTATION: Key = Key {
    kubeflow: Kubeflow::Field("driver.annotations"),
    ..prefix(
        "spark.kubernetes.driver.annotation.",
        "spec.driver.annotations",
        Value::Map,
    )
};
pub const EXECUTOR_ANNOTATION: Key = Key {
    kubeflow: Kubeflow::Field("executor.annotations"),
    ..prefix(
        "spark.kubernetes.executor.annotation.",
        "spec.executor.annotations",
        Value::Map,
    )
};
pub const NODE_SELECTOR: Key = Key {
    kubeflow: Kubeflow::Field("nodeSelector"),
    ..prefix(
        "spark.kubernetes.node.selector.",
        "spec.nodeSelector",
        Value::Map,
    )
};
pub const DRIVER_NODE_SELECTOR: Key = Key {
    kubeflow: Kubeflow::Field("driver.nodeSelector"),
    ..prefix(
        "spark.kubernetes.driver.node.selector.",
        "spec.driver.nodeSelector",
        Value::Map,
    )
};
pub const EXECUTOR_NODE_SELECTOR: Key = Key {
    kubeflow: Kubeflow::Field("executor.nodeSelector"),
    ..prefix(
        "spark.kubernetes.executor.node.selector.",
        "spec.executor.nodeSelector",
        Value::Map,
    )
};
pub const DRIVER_SECRETS: Key = Key {
    reference: true,
    kubeflow: Kubeflow::Field("driver.secrets"),
    ..prefix(
        "spark.kubernetes.driver.secrets.",
        "spec.driver.secrets",
        Value::Manual,
    )
};
pub const EXECUTOR_SECRETS: Key = Key {
    reference: true,
    kubeflow: Kubeflow::Field("executor.secrets"),
    ..prefix(
        "spark.kubernetes.executor.secrets.",
        "spec.executor.secrets",
        Value::Manual,
    )
};
pub const DRIVER_SECRET_KEY_REF: Key = Key {
    reference: true,
    kubeflow: Kubeflow::Field("driver.envSecretKeyRefs"),
    ..prefix(
        "spark.kubernetes.driver.secretKeyRef.",
        "spec.driver.envSecretKeyRefs",
        Value::SecretKeyRef,
    )
};
pub const EXECUTOR_SECRET_KEY_REF: Key = Key {
    reference: true,
    kubeflow: Kubeflow::Field("executor.envSecretKeyRefs"),
    ..prefix(
        "spark.kubernetes.executor.secretKeyRef.",
        "spec.executor.envSecretKeyRefs",
        Value::SecretKeyRef,
    )
};
pub const DRIVER_ENV: Key = Key {
    kubeflow: Kubeflow::Field("driver.envVars"),
    ..prefix(
        "spark.kubernetes.driverEnv.",
        "spec.driver.envVars",
        Value::Map,
    )
};
pub const EXECUTOR_ENV: Key = Key {
    kubeflow: Kubeflow::Field("executor.envVars"),
    ..prefix("spark.executorEnv.", "spec.executor.envVars", Value::Map)
};
pub const DRIVER_POD_TEMPLATE: Key = Key {
    since: Some((3, 0)),
    kubeflow: Kubeflow::Field("driver.template"),
    ..field(
        "spark.kubernetes.driver.podTemplateFile",
        "spec.driver.template",
        Value::Manual,
    )
};

/// Every entry.
pub static TABLE: &[Key] = &[
    MASTER,
    DEPLOY_MODE,
    APP_NAME,
    MAIN_CLASS,
    PROXY_USER,
    NAMESPACE,
    DRIVER_HOST,
    DRIVER_BIND_ADDRESS,
    DRIVER_PORT,
    BLOCK_MANAGER_PORT,
    UI_PORT,
    DRIVER_POD_NAME,
    DRIVER_MASTER,
    EXECUTOR_POD_TEMPLATE,
    DRIVER_TEMPLATE_CONTAINER,
    EXECUTOR_TEMPLATE_CONTAINER,
    EXECUTOR_POD_NAME_PREFIX,
    IMAGE,
    DRIVER_IMAGE,
    EXECUTOR_IMAGE,
    PULL_POLICY,
    PULL_SECRETS,
    DRIVER_ACCOUNT,
    EXECUTOR_ACCOUNT,
    ACCOUNT,
    OAUTH_TOKEN,
    OAUTH_TOKEN_FILE,
    DRIVER_MEMORY,
    DRIVER_CORES,
    DRIVER_OVERHEAD,
    DRIVER_REQUEST_CORES,
    DRIVER_LIMIT_CORES,
    DRIVER_JAVA_OPTIONS,
    EXECUTOR_INSTANCES,
    EXECUTOR_CORES,
    EXECUTOR_MEMORY,
    EXECUTOR_OVERHEAD,
    EXECUTOR_REQUEST_CORES,
    EXECUTOR_LIMIT_CORES,
    EXECUTOR_DELETE_ON_TERMINATION,
    EXECUTOR_JAVA_OPTIONS,
    OVERHEAD_FACTOR,
    EXECUTOR_OVERHEAD_FACTOR,
    DRIVER_OVERHEAD_FACTOR,
    GPU_AMOUNT,
    GPU_VENDOR,
    GPU_DISCOVERY_SCRIPT,
    DYNAMIC_ENABLED,
    DYNAMIC_INITIAL,
    DYNAMIC_MIN,
    DYNAMIC_MAX,
    SHUFFLE_TRACKING,
    SHUFFLE_TRACKING_TIMEOUT,
    JARS,
    PY_FILES,
    FILES,
    ARCHIVES,
    PACKAGES,
    EXCLUDE_PACKAGES,
    REPOSITORIES,
    PYTHON_VERSION,
    HADOOP,
    DRIVER_LABEL,
    EXECUTOR_LABEL,
    DRIVER_ANNOTATION,
    EXECUTOR_ANNOTATION,
    NODE_SELECTOR,
    DRIVER_NODE_SELECTOR,
    EXECUTOR_NODE_SELECTOR,
    DRIVER_SECRETS,
    EXECUTOR_SECRETS,
    DRIVER_SECRET_KEY_REF,
    EXECUTOR_SECRET_KEY_REF,
    DRIVER_ENV,
    EXECUTOR_ENV,
    DRIVER_POD_TEMPLATE,
];

impl Key {
    /// Whether this entry matches a configuration key.
    pub fn matches(&self, key: &str) -> bool {
        !self.key.is_empty()
            && match self.pattern {
                Pattern::Exact => key == self.key,
                Pattern::Prefix => key.len() > self.key.len() && key.starts_with(self.key),
                Pattern::Suffix => key.ends_with(self.key),
            }
    }

    /// What a user should write instead of the key in `sparkConf`.
    pub fn instead(&self) -> String {
        if let Some(i) = self.instead {
            return i.to_owned();
        }
        match self.source {
            Source::Field(path) => format!("`{path}`"),
            Source::Derived(why) => format!("nothing: {why}"),
        }
    }

    /// Whether a Spark version reads this key (an unknown version reads every key).
    pub fn in_version(&self, version: Option<&str>) -> bool {
        match (self.since, version) {
            (Some(since), Some(v)) => !version_lt(v, since),
            _ => true,
        }
    }

    /// The full key for an entry of a prefix key's map.
    pub fn with(&self, entry: &str) -> String {
        format!("{}{entry}", self.key)
    }
}

/// The entry for a configuration key, if sparkc knows it (exact keys before prefixes and
/// suffixes).
pub fn lookup(key: &str) -> Option<&'static Key> {
    TABLE
        .iter()
        .find(|k| k.pattern == Pattern::Exact && k.matches(key))
        .or_else(|| {
            TABLE
                .iter()
                .find(|k| k.pattern != Pattern::Exact && k.matches(key))
        })
}

/// The entry for a spark-submit flag.
pub fn lookup_flag(flag: &str) -> Option<&'static Key> {
    TABLE.iter().find(|k| k.flag == Some(flag))
}

/// Flags and keys of the pre-upstream Kubernetes fork (apache-spark-on-k8s, Spark 2.1 and
/// 2.2 images) that upstream Spark neither reads nor accepts, each with what upstream Spark
/// uses instead. A name ending in `.` is a prefix.
pub static FORK: &[(&str, &str)] = &[
    (
        "--kubernetes-namespace",
        "`spark.kubernetes.namespace` (the job's `metadata.namespace`)",
    ),
    (
        "spark.kubernetes.driver.docker.image",
        "`spark.kubernetes.driver.container.image` (the `image` field)",
    ),
    (
        "spark.kubernetes.executor.docker.image",
        "`spark.kubernetes.executor.container.image` (the `image` field)",
    ),
    (
        "spark.kubernetes.initcontainer.",
        "no init-container: spark-submit fetches remote dependencies inside the driver",
    ),
    (
        "spark.kubernetes.docker.image.pullPolicy",
        "`spark.kubernetes.container.image.pullPolicy` (the `imagePullPolicy` field)",
    ),
    (
        "spark.kubernetes.resourceStagingServer.",
        "`spark.kubernetes.file.upload.path` (or `local://` files in the image)",
    ),
    (
        "spark.kubernetes.shuffle.",
        "`spark.dynamicAllocation.shuffleTracking.enabled` (the `dynamicAllocation` field)",
    ),
];

/// What upstream Spark uses instead of a flag or key of the pre-upstream fork, if it is one.
pub fn fork_replacement(name: &str) -> Option<&'static str> {
    FORK.iter()
        .find(|(k, _)| {
            if k.ends_with('.') {
                name.starts_with(k)
            } else {
                name == *k
            }
        })
        .map(|(_, instead)| *instead)
}

/// Whether a Spark version string is below `major.minor`.
pub fn version_lt(v: &str, (major, minor): (u32, u32)) -> bool {
    let mut parts = v
        .split(['.', '-', '+'])
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let a = parts.next().unwrap_or(0);
    let b = parts.next().unwrap_or(0);
    (a, b) < (major, minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_and_flag_is_in_the_table_once() {
        let mut keys = std::collections::BTreeSet::new();
        let mut flags = std::collections::BTreeSet::new();
        for k in TABLE {
            assert!(
                k.key.is_empty() || keys.insert((k.key, k.pattern as u8)),
                "{} twice",
                k.key
            );
            if let Some(f) = k.flag {
                assert!(flags.insert(f), "{f} twice");
            }
            assert!(!k.key.is_empty() || k.flag.is_some(), "{k:?} names nothing");
            if k.pattern == Pattern::Prefix {
                assert!(k.key.ends_with('.'), "{}", k.key);
            }
            if let Source::Field(path) = k.source {
                assert!(
                    path.starts_with("spec.") || path.starts_with("metadata."),
                    "{path}"
                );
            }
        }
        assert!(TABLE.len() > 60);
    }

    #[test]
    fn lookups() {
        assert_eq!(lookup("spark.driver.host"), Some(&DRIVER_HOST));
        assert_eq!(lookup("spark.hadoop.fs.s3a.endpoint"), Some(&HADOOP));
        assert_eq!(
            lookup("spark.hadoop."),
            None,
            "a prefix alone names no entry"
        );
        assert_eq!(
            lookup("spark.kubernetes.authenticate.submission.oauthToken"),
            Some(&OAUTH_TOKEN)
        );
        assert_eq!(lookup("spark.sql.shuffle.partitions"), None);
        assert_eq!(lookup_flag("--num-executors"), Some(&EXECUTOR_INSTANCES));
        assert!(EXECUTOR_OVERHEAD_FACTOR.in_version(Some("3.3.0")));
        assert!(!EXECUTOR_OVERHEAD_FACTOR.in_version(Some("3.2.4")));
        assert!(EXECUTOR_OVERHEAD_FACTOR.in_version(None));
    }

    #[test]
    fn versions() {
        assert!(version_lt("2.4.8", (3, 0)));
        assert!(!version_lt("3.0.0", (3, 0)));
        assert!(version_lt("3.2.4", (3, 3)));
        assert!(!version_lt("3.10", (3, 3)));
    }
}
