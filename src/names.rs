//! Every name, label, port and address derived from a job, in one place, so that the pod
//! name, the Service and its selector, `spark.driver.host` and the RBAC subjects can never
//! drift apart (the bug in the manifests sparkc's method started from).

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

/// Fixed driver ports: declared on the container and the Service, set in the Spark conf.
pub const DRIVER_PORT: u16 = 7078;
pub const BLOCK_MANAGER_PORT: u16 = 7079;
pub const UI_PORT: u16 = 4040;

/// The driver and executor container names Spark itself uses.
pub const DRIVER_CONTAINER: &str = "spark-kubernetes-driver";
pub const EXECUTOR_CONTAINER: &str = "spark-kubernetes-executor";

/// Where the executor pod template is mounted in the driver container.
pub const POD_TEMPLATE_DIR: &str = "/opt/sparkc/pod-templates";
pub const EXECUTOR_TEMPLATE_KEY: &str = "executor-pod-template.yaml";

/// Label keys sparkc sets.
pub const LABEL_MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// The value of [`LABEL_MANAGED_BY`] on everything sparkc renders.
pub const MANAGED_BY: &str = "sparkc";
pub const LABEL_NAME: &str = "app.kubernetes.io/name";
pub const LABEL_ENV: &str = "sparkc.io/environment";
pub const LABEL_JOB: &str = "sparkc.io/job";
pub const LABEL_RUN: &str = "sparkc.io/run";
pub const LABEL_ROLE: &str = "spark-role";

/// Whether sparkc (or Spark) sets this pod label itself, so it is not a job's own.
pub fn sparkc_sets_label(key: &str) -> bool {
    key == LABEL_NAME
        || key == LABEL_MANAGED_BY
        || key == LABEL_ROLE
        || key.starts_with("sparkc.io/")
}

/// The in-cluster API server as Spark wants it (the port is required).
pub const IN_CLUSTER_MASTER: &str = "k8s://https://kubernetes.default.svc:443";

/// Names of one job's objects.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Names {
    /// The job's name (`metadata.name`): also the Spark application name.
    pub job: String,
    pub namespace: String,
    /// Short hash of what the driver runs (and `rerun`).
    pub run: String,
    /// The driver Job (or bare Pod): `<job>-<run>`, a new name for every change.
    pub workload: String,
    /// The CronJob of a scheduled job: `<job>`.
    pub cronjob: String,
    /// The headless driver Service.
    pub service: String,
    /// `spark.driver.host`: the Service's name in the job's namespace.
    pub driver_host: String,
    /// ServiceAccount, Role and RoleBinding of the driver.
    pub service_account: String,
    /// ConfigMap holding the executor pod template.
    pub config_map: String,
}

impl Names {
    pub fn new(job: &str, namespace: &str, run: &str) -> Self {
        let service = format!("{job}-driver-svc");
        Self {
            job: job.to_owned(),
            namespace: namespace.to_owned(),
            run: run.to_owned(),
            workload: format!("{job}-{run}"),
            cronjob: job.to_owned(),
            driver_host: format!("{service}.{namespace}.svc"),
            service,
            service_account: format!("{job}-spark"),
            config_map: format!("{job}-pod-template"),
        }
    }

    /// Labels of every rendered object.
    pub fn object_labels(
        &self,
        env: &str,
        user: &BTreeMap<String, String>,
    ) -> BTreeMap<String, String> {
        let mut labels = user.clone();
        labels.insert(LABEL_MANAGED_BY.to_owned(), MANAGED_BY.to_owned());
        labels.insert(LABEL_NAME.to_owned(), self.job.clone());
        labels.insert(LABEL_ENV.to_owned(), env.to_owned());
        labels
    }

    /// Labels of the pods of this job's runs (driver or executor). Not `managed-by`: pods
    /// are created by controllers and Spark, not applied from Git.
    pub fn pod_labels(
        &self,
        env: &str,
        role: &str,
        user: &BTreeMap<String, String>,
    ) -> BTreeMap<String, String> {
        let mut labels = user.clone();
        labels.insert(LABEL_NAME.to_owned(), self.job.clone());
        labels.insert(LABEL_ENV.to_owned(), env.to_owned());
        labels.insert(LABEL_JOB.to_owned(), self.job.clone());
        labels.insert(LABEL_RUN.to_owned(), self.run.clone());
        labels.insert(LABEL_ROLE.to_owned(), role.to_owned());
        labels
    }

    /// The driver Service's selector: this job's driver of this run, never an executor
    /// (`spark-role: executor`), never another job or another run.
    pub fn driver_selector(&self) -> BTreeMap<String, String> {
        [
            (LABEL_JOB, self.job.as_str()),
            (LABEL_RUN, self.run.as_str()),
            (LABEL_ROLE, "driver"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }
}

/// The existing service account a job names, if any: `spec.serviceAccount`, the driver's
/// `serviceAccount`, or `serviceAccountName` in the driver's pod template. With one, sparkc
/// renders no ServiceAccount, Role or RoleBinding.
pub fn existing_service_account(spec: &crate::project::spec::SparkJobSpec) -> Option<String> {
    let driver = spec.driver.as_deref();
    spec.service_account
        .clone()
        .or_else(|| driver.and_then(|d| d.service_account.clone()))
        .or_else(|| {
            driver
                .and_then(|d| d.template.as_ref())
                .and_then(|t| t.get("spec"))
                .and_then(|s| s.get("serviceAccountName"))
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        })
}

/// A short, stable hash (8 hex digits) of some bytes.
pub fn short_hash(bytes: &[u8]) -> String {
    hex8(&Sha256::digest(bytes))
}

/// [`short_hash`] of a value's compact JSON text.
pub fn short_hash_json<T: serde::Serialize>(value: &T) -> String {
    // Written whole, then hashed at once: cheaper than feeding the hash serde_json's many
    // small writes.
    short_hash(&serde_json::to_vec(value).unwrap_or_default())
}

fn hex8(digest: &[u8]) -> String {
    digest.iter().take(4).map(|b| format!("{b:02x}")).collect()
}

/// Escapes a string for a container's `args`, `command` or env `value`, where the kubelet
/// expands `$(VAR)` and turns `$$` into `$`: after expansion the container gets exactly `s`.
pub fn kubelet_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '$' && matches!(chars.peek(), Some('$' | '(')) {
            out.push('$');
        }
    }
    out
}

/// The kubelet's expansion of `$(VAR)` references (Kubernetes `third_party/forked/golang/expansion`),
/// for tests: `$$` becomes `$`, `$(NAME)` the variable's value when it is defined.
pub fn kubelet_expand(s: &str, vars: &dyn Fn(&str) -> Option<String>) -> String {
    let bytes: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == '$' && i + 1 < bytes.len() {
            match bytes[i + 1] {
                '$' => {
                    out.push('$');
                    i += 2;
                    continue;
                }
                '(' => {
                    if let Some(close) = bytes[i + 2..].iter().position(|&c| c == ')') {
                        let name: String = bytes[i + 2..i + 2 + close].iter().collect();
                        match vars(&name) {
                            Some(v) => out.push_str(&v),
                            None => {
                                out.push_str("$(");
                                out.push_str(&name);
                                out.push(')');
                            }
                        }
                        i += close + 3;
                        continue;
                    }
                    // No closing paren: the kubelet keeps the text as it is.
                    out.extend(&bytes[i..]);
                    return out;
                }
                other => {
                    out.push('$');
                    out.push(other);
                    i += 2;
                    continue;
                }
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_together() {
        let n = Names::new("nightly-etl", "data", "0a1b2c3d");
        assert_eq!(n.workload, "nightly-etl-0a1b2c3d");
        assert_eq!(n.service, "nightly-etl-driver-svc");
        assert_eq!(n.driver_host, "nightly-etl-driver-svc.data.svc");
        let driver = n.pod_labels("prod", "driver", &BTreeMap::new());
        let executor = n.pod_labels("prod", "executor", &BTreeMap::new());
        let sel = n.driver_selector();
        assert!(sel.iter().all(|(k, v)| driver.get(k) == Some(v)));
        assert!(!sel.iter().all(|(k, v)| executor.get(k) == Some(v)));
        let other_run = Names::new("nightly-etl", "data", "ffffffff").pod_labels(
            "prod",
            "driver",
            &BTreeMap::new(),
        );
        assert!(!sel.iter().all(|(k, v)| other_run.get(k) == Some(v)));
    }

    #[test]
    fn kubelet_escape_round_trips() {
        let none = |_: &str| Some("EXPANDED".to_owned());
        for s in [
            "plain",
            "$(HOME)",
            "$$(HOME)",
            "a$b",
            "$",
            "$$",
            "$$$(",
            "x $(Y) $$ $",
            "$(unclosed",
            "€$(é)",
        ] {
            assert_eq!(kubelet_expand(&kubelet_escape(s), &none), s, "{s}");
        }
        assert_eq!(
            kubelet_expand("$(A)-$(B)", &|n: &str| (n == "A").then(|| "1".to_owned())),
            "1-$(B)"
        );
    }

    #[test]
    fn hashes_are_short_and_stable() {
        assert_eq!(short_hash(b"abc"), "ba7816bf");
    }
}
