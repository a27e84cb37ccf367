//! What the Spark driver asks the Kubernetes API for, so that the driver's Role grants that
//! and nothing more. Read from Spark's Kubernetes backend (3.5, with fabric8 6.7; 4.0 makes
//! the same calls): `ExecutorPodsAllocator`, `ExecutorPodsWatchSnapshotSource`,
//! `ExecutorPodsPollingSnapshotSource`, `ExecutorPodsLifecycleManager`,
//! `KubernetesClusterSchedulerBackend`, `StatefulSetPodsAllocator`. The grants every job
//! needs are in `templates/common/role.yaml`; this says which optional paths a job's
//! settings open.

use serde::Serialize;

use crate::project::spec::SparkJobSpec;

/// The optional code paths of one job's driver that need more than the default grants.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DriverApi {
    /// `patch` on pods: an ended executor is labelled `spark-exec-inactive` instead of
    /// deleted (`executor.deleteOnTermination: false`), decommissioning executors are
    /// labelled (`spark.kubernetes.executor.decommissionLabel`), or executor ids are
    /// labelled (the StatefulSet allocator).
    pub patch_pods: bool,
    /// `create` on persistentvolumeclaims: claims Spark creates beside each executor (a
    /// `claimName` holding `OnDemand`, or a `storageClass` with a `sizeLimit`).
    pub create_pvcs: bool,
    /// The StatefulSet allocator (`spark.kubernetes.allocation.pods.allocator:
    /// statefulset`): its StatefulSet and the scale subresource.
    pub statefulsets: bool,
    /// Spark before 3.4 (fabric8 5) removes by label with a list and a delete per object
    /// instead of a deletecollection.
    pub per_object_deletes: bool,
}

/// The optional paths a job's spec opens.
pub fn driver_api(spec: &SparkJobSpec) -> DriverApi {
    let conf = spec.spark_conf.as_ref();
    let has = |key: &str| conf.is_some_and(|c| c.contains_key(key));
    let statefulsets = conf
        .and_then(|c| c.get("spark.kubernetes.allocation.pods.allocator"))
        .is_some_and(|v| v == "statefulset");
    let keeps_ended_pods = spec.executor.as_ref().and_then(|e| e.delete_on_termination)
        == Some(false)
        || conf
            .and_then(|c| c.get("spark.kubernetes.executor.deleteOnTermination"))
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"));
    const PVC: &str = "spark.kubernetes.executor.volumes.persistentVolumeClaim.";
    let option = |volume: &str, name: &str| {
        conf.and_then(|c| c.get(&format!("{PVC}{volume}.options.{name}")))
    };
    let volumes = conf.into_iter().flatten().filter_map(|(k, _)| {
        k.strip_prefix(PVC)
            .and_then(|rest| rest.split_once(".options."))
            .map(|(v, _)| v)
    });
    let create_pvcs = volumes.into_iter().any(|v| {
        option(v, "claimName").is_some_and(|c| c.contains("OnDemand"))
            || (option(v, "storageClass").is_some() && option(v, "sizeLimit").is_some())
    });
    DriverApi {
        patch_pods: keeps_ended_pods
            || has("spark.kubernetes.executor.decommissionLabel")
            || statefulsets,
        create_pvcs,
        statefulsets,
        per_object_deletes: spec
            .spark_version
            .as_deref()
            .is_some_and(|v| crate::spark::conf::version_lt(v, (3, 4))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(v: serde_json::Value) -> SparkJobSpec {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn the_default_paths_need_nothing_optional() {
        assert_eq!(
            driver_api(&spec(serde_json::json!({}))),
            DriverApi::default()
        );
    }

    #[test]
    fn settings_open_the_optional_paths() {
        let api = driver_api(&spec(
            serde_json::json!({"executor": {"deleteOnTermination": false}}),
        ));
        assert!(api.patch_pods && !api.create_pvcs && !api.statefulsets);
        let api = driver_api(&spec(serde_json::json!({"sparkConf": {
            "spark.kubernetes.executor.volumes.persistentVolumeClaim.data.options.claimName": "OnDemand",
        }})));
        assert!(api.create_pvcs && !api.patch_pods);
        let api = driver_api(&spec(serde_json::json!({"sparkConf": {
            "spark.kubernetes.executor.volumes.persistentVolumeClaim.data.options.claimName": "data-SPARK_EXECUTOR_ID",
            "spark.kubernetes.executor.volumes.persistentVolumeClaim.data.options.storageClass": "gp3",
            "spark.kubernetes.executor.volumes.persistentVolumeClaim.data.options.sizeLimit": "100Gi",
        }})));
        assert!(api.create_pvcs);
        let api = driver_api(&spec(serde_json::json!({"sparkVersion": "3.3.2"})));
        assert!(api.per_object_deletes);
        let api = driver_api(&spec(serde_json::json!({"sparkConf": {
            "spark.kubernetes.allocation.pods.allocator": "statefulset",
        }})));
        assert!(api.statefulsets && api.patch_pods);
    }
}
