//! Driver and executor pod specs, shared by the targets: the restricted security defaults,
//! the settings both roles share (env, volumes, secrets, placement), and the merge of a
//! user's pod template under sparkc's own values.

use serde::Serialize;
use serde_json::{Map, Value as Json, json};

use crate::names::{self, Names, kubelet_escape};
use crate::project::spec::{DriverSpec, ExecutorSpec, SparkJobSpec};
use crate::project::validate::Job;
use crate::spark::memory::Memory;

/// The user and group of the `spark` user in the official Apache Spark images.
const SPARK_UID: i64 = 185;

/// The Prometheus JMX exporter as the pods run it.
pub struct Exporter {
    pub agent: String,
    pub port: u16,
    pub port_name: String,
    pub driver: bool,
    pub executor: bool,
}

/// A job's driver and executor settings, or the defaults when the spec has none.
pub fn roles(spec: &SparkJobSpec) -> (&DriverSpec, &ExecutorSpec) {
    static DRIVER: std::sync::LazyLock<DriverSpec> = std::sync::LazyLock::new(DriverSpec::default);
    static EXECUTOR: std::sync::LazyLock<ExecutorSpec> =
        std::sync::LazyLock::new(ExecutorSpec::default);
    (
        spec.driver.as_deref().unwrap_or(&DRIVER),
        spec.executor.as_deref().unwrap_or(&EXECUTOR),
    )
}

fn to_json<T: Serialize>(v: &T) -> Json {
    serde_json::to_value(v).unwrap_or(Json::Null)
}

/// The restricted-profile pod security context sparkc writes when a job sets none.
pub fn restricted_pod_context() -> Json {
    pod_security(None)
}

/// The restricted-profile container security context sparkc writes when a job sets none.
pub fn restricted_container_context() -> Json {
    container_security(None)
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

/// Sidecars and init containers with the restricted security defaults under what they
/// set themselves: a namespace that enforces the restricted standard refuses a pod when any
/// of its containers lacks one of them.
fn restricted<'a>(
    containers: impl IntoIterator<Item = &'a k8s_openapi::api::core::v1::Container>,
) -> Vec<Json> {
    containers
        .into_iter()
        .map(|c| {
            let mut json = to_json(c);
            restrict_container(&mut json);
            json
        })
        .collect()
}

/// A container (as JSON) with the restricted security defaults under what it sets itself.
pub fn restrict_container(json: &mut Json) {
    if let Json::Object(m) = json {
        let mut context = container_security(None);
        if let (Json::Object(defaults), Some(Json::Object(own))) =
            (&mut context, m.remove("securityContext"))
        {
            defaults.extend(own);
        }
        m.insert("securityContext".into(), context);
    }
}

/// Every container of a pod spec but the role's own (`main`), and every init container,
/// with the restricted security defaults under what it sets itself: the ones a user's pod
/// template adds are sidecars too.
pub fn restrict_others(spec: &mut Json, main: &str) {
    for list in ["containers", "initContainers"] {
        for c in spec
            .get_mut(list)
            .and_then(Json::as_array_mut)
            .into_iter()
            .flatten()
        {
            if list == "initContainers" || c.get("name").and_then(Json::as_str) != Some(main) {
                restrict_container(c);
            }
        }
    }
}

/// Where a role's maps of settings (node selectors, `envVars`, `envSecretKeyRefs`) go:
/// into the pod, or into Spark's configuration, which applies them to the pods it builds
/// (the Apache operator's applications carry them as `sparkConf`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Maps {
    Pod,
    Conf,
}

/// Settings shared by the driver pod and the executor template.
struct PodParts {
    env: Vec<Json>,
    volumes: Vec<Json>,
    mounts: Vec<Json>,
}

macro_rules! pod_parts {
    ($spec:expr, $role:expr, $maps:expr) => {{
        let role = $role;
        let in_pod = $maps == Maps::Pod;
        let spec: &SparkJobSpec = $spec;
        let mut env: Vec<Json> = Vec::new();
        let mut volumes: Vec<Json> = spec.volumes.iter().flatten().map(to_json).collect();
        let mut mounts: Vec<Json> = role.volume_mounts.iter().flatten().map(to_json).collect();
        for (i, s) in role.secrets.iter().flatten().enumerate() {
            let vol = format!("sparkc-secret-{i}");
            volumes.push(json!({"name": vol, "secret": {"secretName": s.name}}));
            mounts.push(json!({"name": vol, "mountPath": s.path}));
            match s.secret_type {
                Some(crate::project::spec::SecretType::GCPServiceAccount) => env.push(
                    json!({"name": "GOOGLE_APPLICATION_CREDENTIALS", "value": format!("{}/key.json", s.path.trim_end_matches('/'))}),
                ),
                Some(crate::project::spec::SecretType::HadoopDelegationToken) => env.push(
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
        for (k, v) in role.env_vars.iter().flatten().filter(|_| in_pod) {
            env.push(json!({"name": k, "value": kubelet_escape(v)}));
        }
        for (k, r) in role.env_secret_key_refs.iter().flatten().filter(|_| in_pod) {
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
    ($map:expr, $spec:expr, $role:expr, $maps:expr) => {{
        let map: &mut Map<String, Json> = $map;
        let spec: &SparkJobSpec = $spec;
        let role = $role;
        let mut selector = spec.node_selector.clone().unwrap_or_default();
        selector.extend(role.node_selector.clone().unwrap_or_default());
        if !selector.is_empty() && $maps == Maps::Pod {
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
                role.init_containers
                    .as_ref()
                    .map_or(Json::Null, |c| Json::Array(restricted(c))),
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
pub fn driver_pod(
    job: &Job,
    driver: &DriverSpec,
    service_account: &str,
    names: &Names,
    mem: Memory,
    args: &[String],
    exporter: Option<&Exporter>,
) -> Json {
    let spec = &job.spec;
    let parts = pod_parts!(spec, driver, Maps::Pod);
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
    let memory = format!("{}Mi", mem.total_mib());
    let cpu_request =
        crate::spark::memory::cpu_request(driver.core_request.as_deref(), driver.cores);
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
    let image = driver
        .image
        .clone()
        .or_else(|| spec.image.clone())
        .unwrap_or_default();
    let policy = spec.pull_policy(crate::project::spec::Pods::Driver);
    container.insert("image".into(), Json::String(image));
    container.insert(
        "imagePullPolicy".into(),
        Json::String(format!("{policy:?}")),
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
    containers.extend(restricted(driver.sidecars.iter().flatten()));

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
    pod_common!(&mut pod, spec, driver, Maps::Pod);
    pod.insert("containers".into(), Json::Array(containers));
    pod.insert("volumes".into(), Json::Array(volumes));
    Json::Object(pod)
}

/// The containers of a role's pod template: the role's own (named, with its env, mounts,
/// ports, lifecycle, GPU limit and security context), then its sidecars.
macro_rules! template_containers {
    ($role:expr, $name:expr, $env:expr, $mounts:expr, $extra_port:expr) => {{
        let role = $role;
        let env: Vec<Json> = $env;
        let mounts: Vec<Json> = $mounts;
        let mut container = Map::new();
        container.insert("name".into(), $name.into());
        if !env.is_empty() {
            container.insert("env".into(), Json::Array(env));
        }
        if let Some(from) = &role.env_from {
            container.insert("envFrom".into(), to_json(from));
        }
        if !mounts.is_empty() {
            container.insert("volumeMounts".into(), Json::Array(mounts));
        }
        let mut ports: Vec<Json> = role
            .ports
            .iter()
            .flatten()
            .map(|p| json!({"name": p.name, "containerPort": p.container_port, "protocol": p.protocol}))
            .collect();
        ports.extend($extra_port);
        if !ports.is_empty() {
            container.insert("ports".into(), Json::Array(ports));
        }
        container.insert(
            "securityContext".into(),
            container_security(role.security_context.as_deref()),
        );
        if let Some(l) = &role.lifecycle {
            container.insert("lifecycle".into(), to_json(l));
        }
        if let Some(gpu) = &role.gpu {
            container.insert(
                "resources".into(),
                json!({"limits": {gpu.name.clone(): gpu.quantity.to_string()}}),
            );
        }
        let mut containers = vec![Json::Object(container)];
        containers.extend(restricted(role.sidecars.iter().flatten()));
        containers
    }};
}

/// The driver's pod template for a target where Spark builds the driver pod (cluster
/// mode): the role's pod settings and the restricted security defaults, merged over the
/// user's `driver.template`. Spark sets the image, command, resources and account itself.
pub fn driver_template(job: &Job, driver: &DriverSpec, maps: Maps) -> Json {
    let spec = &job.spec;
    let parts = pod_parts!(spec, driver, maps);
    let containers = template_containers!(
        driver,
        names::DRIVER_CONTAINER,
        parts.env,
        parts.mounts,
        None
    );
    let mut pod = Map::new();
    pod.insert(
        "securityContext".into(),
        pod_security(driver.pod_security_context.as_deref()),
    );
    pod_common!(&mut pod, spec, driver, maps);
    pod.insert("containers".into(), Json::Array(containers));
    if !parts.volumes.is_empty() {
        pod.insert("volumes".into(), Json::Array(parts.volumes));
    }
    if let Some(timeout) = spec.timeout_seconds {
        // In cluster mode the driver pod is the run (each attempt of it).
        pod.insert("activeDeadlineSeconds".into(), timeout.into());
    }
    under_template(driver.template.as_ref(), pod, names::DRIVER_CONTAINER)
}

/// A pod template: our pod spec merged over the user's template, the template's metadata
/// kept; the containers the template adds get the restricted defaults too.
fn under_template(
    template: Option<&Map<String, Json>>,
    pod: Map<String, Json>,
    main: &str,
) -> Json {
    let mut spec_json = Json::Object(pod);
    let mut metadata = json!({});
    if let Some(template) = template {
        spec_json = merge_pod_spec(
            template.get("spec").cloned().unwrap_or(Json::Null),
            spec_json,
        );
        restrict_others(&mut spec_json, main);
        if let Some(meta) = template.get("metadata") {
            metadata = meta.clone();
        }
    }
    json!({"metadata": metadata, "spec": spec_json})
}

/// The executor pod template (what Spark merges under the executor pods it creates).
pub fn executor_pod(
    job: &Job,
    names: &Names,
    executor: &ExecutorSpec,
    exporter: Option<&Exporter>,
    maps: Maps,
) -> Json {
    let spec = &job.spec;
    let parts = pod_parts!(spec, executor, maps);
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
    let exporter_port = exporter
        .filter(|e| e.executor)
        .map(|e| json!({"name": e.port_name, "containerPort": e.port}));
    let containers = template_containers!(
        executor,
        names::EXECUTOR_CONTAINER,
        parts.env,
        mounts,
        exporter_port
    );
    let mut pod = Map::new();
    pod.insert(
        "securityContext".into(),
        pod_security(executor.pod_security_context.as_deref()),
    );
    // Executors do not call the Kubernetes API: no token, with their own account too (cloud
    // workload identity injects its own projected token), unless the template asks for one.
    let asked = executor
        .template
        .as_ref()
        .and_then(|t| t.get("spec"))
        .is_some_and(|s| s.get("automountServiceAccountToken").is_some());
    if !asked {
        pod.insert("automountServiceAccountToken".into(), Json::Bool(false));
    }
    pod_common!(&mut pod, spec, executor, maps);
    pod.insert("containers".into(), Json::Array(containers));
    if !volumes.is_empty() {
        pod.insert("volumes".into(), Json::Array(volumes));
    }
    let mut out = json!({"apiVersion": "v1", "kind": "Pod"});
    if let Json::Object(t) =
        under_template(executor.template.as_ref(), pod, names::EXECUTOR_CONTAINER)
    {
        out.as_object_mut().expect("an object").extend(t);
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sidecar_keeps_its_own_security_settings_over_the_restricted_defaults() {
        let sidecar: k8s_openapi::api::core::v1::Container = serde_json::from_value(json!({
            "name": "proxy",
            "image": "envoy:1",
            "securityContext": {"runAsUser": 1000},
        }))
        .unwrap();
        let out = restricted([&sidecar]);
        assert_eq!(
            out[0]["securityContext"],
            json!({
                "allowPrivilegeEscalation": false,
                "capabilities": {"drop": ["ALL"]},
                "runAsNonRoot": true,
                "runAsUser": 1000,
                "seccompProfile": {"type": "RuntimeDefault"},
            })
        );
    }
}
