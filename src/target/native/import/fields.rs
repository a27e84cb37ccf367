//! What the driver pod, its workload and the executor pod template of a native setup
//! say, into the SparkJob's fields: placement, security, environment, mounts and volumes of
//! both roles; the image, resources and ports of the driver container; a Job's retries, a
//! CronJob's schedule; the driver's account. What sparkc sets itself is left out with a
//! note; what has no field is reported.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as Json, json};

use super::{
    Doc, Pod, Reading, Workload, bindings_of, pointer, role_of, segs, str_of, string_map, with,
};
use crate::diagnostic::Diagnostic;
use crate::import::SubmitBuilder;
use crate::names::{self, Names};
use crate::project::yaml::{Pos, Seg, path_string};

/// What a pod and its main container say, into a role's fields (`driver` or `executor`).
struct RoleParts {
    fields: Map<String, Json>,
    volumes: Vec<Json>,
}

/// The pod-level and container-level fields both roles share.
fn role_parts(
    r: &mut Reading<'_>,
    doc: &Doc<'_>,
    spec_path: &[Seg],
    pod: &Map<String, Json>,
    container_path: &[Seg],
    container: &Map<String, Json>,
    skip_volumes: &BTreeSet<String>,
) -> RoleParts {
    let mut fields = Map::new();
    let mut volumes = Vec::new();
    for (k, v) in pod {
        let path = with(spec_path, &[Seg::Key(k.clone())]);
        let (pos, shown) = (doc.pos(&path), path_string(&path));
        let field = match k.as_str() {
            "nodeSelector"
            | "tolerations"
            | "affinity"
            | "priorityClassName"
            | "schedulerName"
            | "hostAliases"
            | "dnsConfig"
            | "hostNetwork"
            | "shareProcessNamespace"
            | "terminationGracePeriodSeconds"
            | "initContainers" => k.as_str(),
            "securityContext" => "podSecurityContext",
            "volumes" => {
                for vol in v.as_array().into_iter().flatten() {
                    if !str_of(vol, "name").is_some_and(|n| skip_volumes.contains(n)) {
                        volumes.push(vol.clone());
                    }
                }
                continue;
            }
            // Read elsewhere.
            "containers"
            | "serviceAccountName"
            | "serviceAccount"
            | "restartPolicy"
            | "imagePullSecrets"
            | "automountServiceAccountToken" => continue,
            _ => {
                r.lost(
                    pos,
                    &shown,
                    format!("`{k}` of the pod has no SparkJob field"),
                );
                continue;
            }
        };
        fields.insert(field.to_owned(), v.clone());
    }
    for (k, v) in container {
        let path = with(container_path, &[Seg::Key(k.clone())]);
        let (pos, shown) = (doc.pos(&path), path_string(&path));
        match k.as_str() {
            "env" | "envFrom" | "securityContext" | "lifecycle" => {
                fields.insert(k.clone(), v.clone());
            }
            "volumeMounts" => {
                let mounts: Vec<Json> = v
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|m| !str_of(m, "name").is_some_and(|n| skip_volumes.contains(n)))
                    .cloned()
                    .collect();
                if !mounts.is_empty() {
                    fields.insert(k.clone(), Json::Array(mounts));
                }
            }
            "name" | "image" | "imagePullPolicy" | "command" | "args" | "ports" | "resources" => {}
            _ => r.lost(
                pos,
                &shown,
                format!("`{k}` of the container has no SparkJob field"),
            ),
        }
    }
    RoleParts { fields, volumes }
}

/// Adds volumes to the spec's (shared by both roles), once per name.
fn add_volumes(b: &mut SubmitBuilder, volumes: Vec<Json>) {
    if volumes.is_empty() {
        return;
    }
    let list = b
        .spec
        .entry("volumes")
        .or_insert_with(|| Json::Array(Vec::new()));
    if let Json::Array(list) = list {
        for v in volumes {
            if !list.iter().any(|o| o.get("name") == v.get("name")) {
                list.push(v);
            }
        }
    }
}

fn executor_image_set(b: &SubmitBuilder) -> bool {
    b.spec
        .get("executor")
        .is_some_and(|e| e.get("image").is_some())
}

fn set_role(b: &mut SubmitBuilder, role: &str, fields: Map<String, Json>) {
    for (k, v) in fields {
        b.set(&[role, &k], v);
    }
}

/// The driver pod: its container's image, environment, mounts, resources and ports, and
/// the pod's placement, security and volumes.
pub(super) fn driver_fields(
    r: &mut Reading<'_>,
    b: &mut SubmitBuilder,
    pod: &Pod<'_>,
    container: &Map<String, Json>,
    managed_volumes: &BTreeSet<String>,
) {
    let doc = pod.doc;
    let mut parts = role_parts(
        r,
        doc,
        &pod.spec_path(&[]),
        &pod.spec,
        &pod.container_path(&[]),
        container,
        managed_volumes,
    );
    // The image: the container's is the driver's; the configuration's, if another, the
    // executors'.
    if let Some(image) = str_of(&Json::Object(container.clone()), "image") {
        let conf_image = b.spec.remove("image");
        if let Some(Json::String(other)) = &conf_image
            && other != image
            && !executor_image_set(b)
        {
            b.set(&["executor", "image"], json!(other));
        }
        if let Some(Json::Object(d)) = b.spec.get_mut("driver") {
            d.remove("image");
        }
        b.spec.insert("image".into(), json!(image));
        if let Some(Json::Object(e)) = b.spec.get_mut("executor")
            && e.get("image").and_then(Json::as_str) == Some(image)
        {
            e.remove("image");
        }
    }
    // Weighed against the executors' (the configuration's) when the builder finishes.
    b.driver_policy = container.get("imagePullPolicy").cloned();
    if let Some(Json::Array(secrets)) = pod.spec.get("imagePullSecrets") {
        let names: Vec<Json> = secrets
            .iter()
            .filter_map(|s| s.get("name").cloned())
            .collect();
        b.spec.insert("imagePullSecrets".into(), Json::Array(names));
    }
    // The environment: what sparkc sets itself (the pod name and IP from the downward
    // API, the configuration folder it replaces) is left out.
    if let Some(Json::Array(env)) = parts.fields.remove("env") {
        let mut kept = Vec::new();
        for (i, var) in env.into_iter().enumerate() {
            let name = str_of(&var, "name").unwrap_or_default().to_owned();
            let path = with(&pod.container_path(&["env"]), &[Seg::Index(i)]);
            let field = var
                .pointer("/valueFrom/fieldRef/fieldPath")
                .and_then(Json::as_str);
            let why = match (name.as_str(), field) {
                (_, Some("metadata.name")) => {
                    Some("sparkc passes the pod's name to Spark from the downward API itself")
                }
                (_, Some("status.podIP")) => {
                    Some("sparkc binds the driver to the pod IP from the downward API itself")
                }
                ("SPARK_CONF_DIR", _) if !managed_volumes.is_empty() => {
                    Some("the configuration it names is in the spec now")
                }
                _ => None,
            };
            match why {
                Some(why) => r.dropped(
                    doc.pos(&path),
                    &path_string(&path),
                    format!("`{name}`: {why}"),
                ),
                None => kept.push(var),
            }
        }
        if !kept.is_empty() {
            parts.fields.insert("env".into(), Json::Array(kept));
        }
    }
    // Resources: the heap and its overhead size the container; cores are Spark's.
    if let Some(res) = container.get("resources") {
        let path = pod.container_path(&["resources"]);
        if let Some(cpu) = res.pointer("/requests/cpu") {
            b.set(
                &["driver", "coreRequest"],
                json!(cpu.as_str().map_or_else(|| cpu.to_string(), str::to_owned)),
            );
        }
        if let Some(cpu) = res.pointer("/limits/cpu") {
            b.set(
                &["driver", "coreLimit"],
                json!(cpu.as_str().map_or_else(|| cpu.to_string(), str::to_owned)),
            );
        }
        if res.pointer("/requests/memory").is_some() || res.pointer("/limits/memory").is_some() {
            r.dropped(
                doc.pos(&path),
                &path_string(&path),
                "the container's memory: sparkc sizes the driver container from `driver.memory` and its overhead".to_owned(),
            );
        }
    }
    // Ports: the driver's own are sparkc's; others are kept.
    if let Some(Json::Array(ports)) = container.get("ports") {
        let own = [
            names::DRIVER_PORT,
            names::BLOCK_MANAGER_PORT,
            names::UI_PORT,
        ];
        let mut kept = Vec::new();
        for (i, p) in ports.iter().enumerate() {
            let n = p.get("containerPort").and_then(Json::as_i64).unwrap_or(0);
            let spark = own.iter().any(|o| i64::from(*o) == n)
                || r.docs.iter().any(|d| {
                    d.is("Service")
                        && d.json
                            .pointer("/spec/ports")
                            .and_then(Json::as_array)
                            .is_some_and(|ps| {
                                ps.iter().any(|sp| {
                                    sp.get("targetPort")
                                        .and_then(Json::as_i64)
                                        .or_else(|| sp.get("port").and_then(Json::as_i64))
                                        == Some(n)
                                })
                            })
                });
            if spark {
                let path = with(&pod.container_path(&["ports"]), &[Seg::Index(i)]);
                r.dropped(
                    doc.pos(&path),
                    &path_string(&path),
                    format!("port {n}: sparkc declares the driver's ports itself"),
                );
            } else {
                let mut port = json!({
                    "name": str_of(p, "name").unwrap_or("port"),
                    "containerPort": n,
                    "protocol": str_of(p, "protocol").unwrap_or("TCP"),
                });
                if let Some(Json::Object(m)) = Some(&mut port) {
                    m.retain(|_, v| !v.is_null());
                }
                kept.push(port);
            }
        }
        if !kept.is_empty() {
            b.set(&["driver", "ports"], Json::Array(kept));
        }
    }
    // Sidecars: the pod's other containers.
    let sidecars: Vec<Json> = pod
        .spec
        .get("containers")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter(|(i, _)| *i != pod.container)
        .map(|(_, c)| c.clone())
        .collect();
    if !sidecars.is_empty() {
        b.set(&["driver", "sidecars"], Json::Array(sidecars));
    }
    // Pod labels: the driver's own (the job's labels come from the workload's metadata).
    let job_labels = string_map(doc.json.pointer("/metadata/labels"));
    let own: Map<String, Json> = pod
        .labels
        .iter()
        .filter(|(k, v)| !names::sparkc_sets_label(k) && job_labels.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    if !own.is_empty() && pod.kind != Workload::Pod {
        b.set(&["driver", "labels"], Json::Object(own));
    }
    let annotations = doc
        .json
        .pointer(&format!(
            "{}/metadata/annotations",
            pointer(pod.kind.template())
        ))
        .filter(|_| pod.kind != Workload::Pod);
    if let Some(a) = annotations {
        b.set(&["driver", "annotations"], a.clone());
    }
    add_volumes(b, std::mem::take(&mut parts.volumes));
    set_role(b, "driver", parts.fields);
}

/// The executor pod template's settings, into `spec.executor`.
pub(super) fn executor_fields(
    r: &mut Reading<'_>,
    b: &mut SubmitBuilder,
    template: &Json,
    doc: &Doc<'_>,
    pos: Pos,
) {
    // The template is data inside the ConfigMap: what is lost is reported at its start.
    let mut inner = Reading {
        file: r.file,
        docs: r.docs,
        diags: Vec::new(),
        used: BTreeSet::new(),
        read: BTreeMap::new(),
    };
    let spec = template
        .get("spec")
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    let containers = spec
        .get("containers")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    let main = containers
        .iter()
        .position(|c| str_of(c, "name") == Some(names::EXECUTOR_CONTAINER))
        .unwrap_or(0);
    let container = containers
        .get(main)
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    let mut parts = role_parts(
        &mut inner,
        doc,
        &[],
        &spec,
        &[],
        &container,
        &BTreeSet::new(),
    );
    for d in inner.diags {
        r.diags.push(Diagnostic {
            pos: Some(pos),
            path: format!("executor pod template: {}", d.path),
            ..d
        });
    }
    if container.get("resources").is_some() {
        r.dropped(pos, "", "the executor template's resources: Spark sets executor resources from `executor.cores` and `executor.memory`".to_owned());
    }
    let sidecars: Vec<Json> = containers
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != main)
        .map(|(_, c)| c.clone())
        .collect();
    if !sidecars.is_empty() {
        b.set(&["executor", "sidecars"], Json::Array(sidecars));
    }
    if let Some(image) = str_of(&Json::Object(container.clone()), "image")
        && !executor_image_set(b)
        && b.spec.get("image").and_then(Json::as_str) != Some(image)
    {
        b.set(&["executor", "image"], json!(image));
    }
    let labels: Map<String, Json> = string_map(template.pointer("/metadata/labels"))
        .into_iter()
        .filter(|(k, _)| !names::sparkc_sets_label(k))
        .map(|(k, v)| (k, json!(v)))
        .collect();
    if !labels.is_empty() {
        b.set(&["executor", "labels"], Json::Object(labels));
    }
    if let Some(a) = template.pointer("/metadata/annotations") {
        b.set(&["executor", "annotations"], a.clone());
    }
    if let Some(Json::Bool(true)) = spec.get("automountServiceAccountToken") {
        b.set(
            &["executor", "template"],
            json!({"spec": {"automountServiceAccountToken": true}}),
        );
    }
    add_volumes(b, std::mem::take(&mut parts.volumes));
    set_role(b, "executor", parts.fields);
}

/// What the workload kind says: a bare Pod, a Job's retries and time to live, a
/// CronJob's schedule; a Deployment becomes a Job.
pub(super) fn workload_fields(r: &mut Reading<'_>, b: &mut SubmitBuilder, pod: &Pod<'_>) {
    let doc = pod.doc;
    let restart = pod.spec.get("restartPolicy").and_then(Json::as_str);
    let restart_path = pod.spec_path(&["restartPolicy"]);
    let restarts = match (pod.kind, restart) {
        (_, Some("Never")) => false,
        (Workload::Pod | Workload::Deployment, None) => true,
        (_, Some(_)) => true,
        (_, None) => false,
    };
    if restarts && pod.kind != Workload::Deployment {
        r.dropped(
            doc.pos(&restart_path),
            &path_string(&restart_path),
            format!("`restartPolicy: {}`: Spark assumes a driver never restarts in its pod (the old executors stay with it); sparkc runs the driver with `Never` and retries with a new pod (`restartPolicy.onFailureRetries`)", restart.unwrap_or("Always")),
        );
    }
    let job_spec = |path: &[&str]| doc.json.pointer(&pointer(path)).cloned();
    match pod.kind {
        Workload::Pod => b.set(&["native", "workload"], json!("Pod")),
        Workload::Deployment => {
            r.lost(
                doc.pos(&segs(&["kind"])),
                "kind",
                "a Deployment starts its driver again whenever it ends; sparkc runs the driver as a Job, once per change of the spec".to_owned(),
            );
            if job_spec(&["spec", "replicas"])
                .and_then(|v| v.as_i64())
                .is_some_and(|n| n > 1)
            {
                r.mistake(
                    "import-selector",
                    doc.pos(&segs(&["spec", "replicas"])),
                    "spec.replicas",
                    "more than one replica runs more than one driver, and every one answers to the same Service".to_owned(),
                    "one driver per job",
                );
            }
        }
        Workload::Job | Workload::CronJob => {
            let prefix: &[&str] = if pod.kind == Workload::Job {
                &["spec"]
            } else {
                &["spec", "jobTemplate", "spec"]
            };
            let field = |k: &'static str| -> Vec<&'static str> { [prefix, &[k]].concat() };
            let backoff = job_spec(&field("backoffLimit"))
                .and_then(|v| v.as_i64())
                .unwrap_or(6);
            if backoff > 0 {
                b.set(
                    &["restartPolicy"],
                    json!({"type": "OnFailure", "onFailureRetries": backoff}),
                );
            }
            if let Some(ttl) = job_spec(&field("ttlSecondsAfterFinished")) {
                b.set(&["timeToLiveSeconds"], ttl);
            }
            for k in [
                "activeDeadlineSeconds",
                "completions",
                "parallelism",
                "podFailurePolicy",
            ] {
                if job_spec(&field(k)).is_some() {
                    let path = segs(&field(k));
                    r.lost(
                        doc.pos(&path),
                        &path_string(&path),
                        format!("`{k}` of the Job has no SparkJob field"),
                    );
                }
            }
        }
    }
    if pod.kind == Workload::CronJob {
        let s = |k: &str| job_spec(&["spec", k]);
        let mut schedule = Map::new();
        for (from, to) in [
            ("schedule", "cron"),
            ("timeZone", "timeZone"),
            ("suspend", "suspend"),
            ("successfulJobsHistoryLimit", "successfulRunHistoryLimit"),
            ("failedJobsHistoryLimit", "failedRunHistoryLimit"),
        ] {
            if let Some(v) = s(from) {
                schedule.insert(to.into(), v);
            }
        }
        // The CronJob's own defaults, written out so the import behaves as the original.
        schedule
            .entry("successfulRunHistoryLimit")
            .or_insert(json!(3));
        schedule.entry("failedRunHistoryLimit").or_insert(json!(1));
        match s("concurrencyPolicy").as_ref().and_then(Json::as_str) {
            Some("Allow") | None => {
                let path = segs(&["spec", "concurrencyPolicy"]);
                r.dropped(
                    doc.pos(&path),
                    &path_string(&path),
                    "`concurrencyPolicy: Allow` (the default) runs two drivers of the job at once, and both answer to its one Service; sparkc renders `Forbid`".to_owned(),
                );
            }
            Some(p) => {
                schedule.insert("concurrencyPolicy".into(), json!(p));
            }
        }
        if s("startingDeadlineSeconds").is_some() {
            let path = segs(&["spec", "startingDeadlineSeconds"]);
            r.lost(
                doc.pos(&path),
                &path_string(&path),
                "`startingDeadlineSeconds` of the CronJob has no SparkJob field".to_owned(),
            );
        }
        b.set(&["schedule"], Json::Object(schedule));
    }
}

/// The driver's account: an existing one is named in the spec; one these files create
/// (with its Role and binding) is replaced by sparkc's own.
pub(super) fn rbac(r: &mut Reading<'_>, b: &mut SubmitBuilder, pod: &Pod<'_>, ours: &Names) {
    let doc = pod.doc;
    let sa_path = pod.spec_path(&["serviceAccountName"]);
    let account = pod.account();
    let instead = format!(
        "the ServiceAccount, Role and RoleBinding `{}` with what the driver needs",
        ours.service_account
    );
    if pod.spec.get("automountServiceAccountToken") == Some(&json!(false)) {
        let path = pod.spec_path(&["automountServiceAccountToken"]);
        r.mistake(
            "import-rbac",
            doc.pos(&path),
            &path_string(&path),
            "`automountServiceAccountToken: false`: the driver has no token, so it cannot create executors".to_owned(),
            "the driver pod with its account's token mounted",
        );
    }
    let Some(account) = account else {
        r.mistake(
            "import-rbac",
            doc.pos(&pod.spec_path(&[])),
            &path_string(&pod.spec_path(&[])),
            "the driver pod names no service account, so it runs as the namespace's `default` account, which may not create executor pods".to_owned(),
            &instead,
        );
        return;
    };
    let created = r
        .docs
        .iter()
        .find(|d| d.is("ServiceAccount") && d.name() == account);
    let bindings = bindings_of(r.docs, account);
    if created.is_none() && bindings.is_empty() {
        b.spec.insert("serviceAccount".into(), json!(account));
        return;
    }
    // The files make the account: sparkc renders its own in their place.
    r.dropped(
        doc.pos(&sa_path),
        &path_string(&sa_path),
        format!("the account `{account}` these files create: sparkc renders {instead}"),
    );
    if let Some(sa) = created {
        r.used.insert(sa.index);
        if sa.json.get("automountServiceAccountToken") == Some(&json!(false))
            && pod.spec.get("automountServiceAccountToken") != Some(&json!(true))
        {
            let path = segs(&["automountServiceAccountToken"]);
            r.mistake(
                "import-rbac",
                sa.pos(&path),
                &path_string(&path),
                format!("the ServiceAccount `{account}` mounts no token, so the driver cannot create executors"),
                &instead,
            );
        }
    }
    if bindings.is_empty() {
        r.mistake(
            "import-rbac",
            doc.pos(&sa_path),
            &path_string(&sa_path),
            format!("no RoleBinding of these files grants the account `{account}` anything, so the driver cannot create executors"),
            &instead,
        );
    }
    for binding in bindings {
        r.used.insert(binding.index);
        if let Some(role) = role_of(r.docs, binding) {
            r.used.insert(role.index);
        }
    }
}
