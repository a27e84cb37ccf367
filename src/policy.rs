//! Policies of a platform team (`policies:` in `sparkc.yaml`, and per environment): which
//! policy holds in an environment and where it is written, and the checks of one job
//! against them (labels, image registries, the most per job, a time to live, the restricted
//! Pod Security Standard on every driver and executor pod) and of a namespace's jobs
//! against a budget. The result is data: violations located at the job (`rules::At`) and
//! at the policy (a path in the project file); `project::validate` turns them into
//! diagnostics.

use serde_json::Value as Json;

use crate::footprint::{Footprint, Resources, show_cpu, show_mib};
use crate::project::spec::{Policies, PolicyLevel};
use crate::project::validate::Job;
use crate::project::yaml::Seg;
use crate::rules::At;

/// The annotation by which a job opts out of `podSecurity`, with its reason as the value.
pub const POD_SECURITY_EXEMPT: &str = "policy.sparkc.io/pod-security-exempt";

/// The policies sparkc knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Name {
    RequiredLabels,
    AllowedImageRegistries,
    MaxPerJob,
    RequireTimeToLive,
    PodSecurity,
    Budget,
}

impl Name {
    /// Its key under `policies:`.
    pub const fn key(self) -> &'static str {
        match self {
            Name::RequiredLabels => "requiredLabels",
            Name::AllowedImageRegistries => "allowedImageRegistries",
            Name::MaxPerJob => "maxPerJob",
            Name::RequireTimeToLive => "requireTimeToLive",
            Name::PodSecurity => "podSecurity",
            Name::Budget => "budget",
        }
    }

    /// The diagnostic code of its findings.
    pub const fn code(self) -> &'static str {
        match self {
            Name::RequiredLabels => "policy-labels",
            Name::AllowedImageRegistries => "policy-registry",
            Name::MaxPerJob => "policy-max-per-job",
            Name::RequireTimeToLive => "policy-ttl",
            Name::PodSecurity => "policy-pod-security",
            Name::Budget => "policy-budget",
        }
    }

    /// Whether a diagnostic code is a policy's.
    pub fn is_policy_code(code: &str) -> bool {
        code.starts_with("policy-")
    }
}

/// Where a policy in force is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Project,
    Environment,
}

/// The policies in force in one environment: the environment's, else the project's.
#[derive(Debug, Clone, Copy)]
pub struct InForce<'a> {
    pub env: &'a str,
    project: Option<&'a Policies>,
    environment: Option<&'a Policies>,
}

impl<'a> InForce<'a> {
    pub fn new(
        env: &'a str,
        project: Option<&'a Policies>,
        environment: Option<&'a Policies>,
    ) -> Self {
        InForce {
            env,
            project,
            environment,
        }
    }

    /// The policies of a project in one of its environments.
    pub fn of(project: &'a crate::project::spec::Project, env: &'a str) -> Self {
        InForce::new(
            env,
            project.policies.as_ref(),
            project
                .environments
                .as_ref()
                .and_then(|e| e.get(env))
                .and_then(|e| e.policies.as_ref()),
        )
    }

    /// Whether any policy is set.
    pub fn any(&self) -> bool {
        self.project.is_some() || self.environment.is_some()
    }

    /// A setting: the environment's when it has one, else the project's, with its origin.
    pub fn pick<T>(&self, f: impl Fn(&'a Policies) -> Option<T>) -> Option<(T, Origin)> {
        self.environment
            .and_then(&f)
            .map(|v| (v, Origin::Environment))
            .or_else(|| self.project.and_then(&f).map(|v| (v, Origin::Project)))
    }

    /// The severity of a policy's findings.
    pub fn level(&self, name: Name) -> PolicyLevel {
        self.pick(|p| {
            let s = p.severity.as_ref()?;
            match name {
                Name::RequiredLabels => s.required_labels,
                Name::AllowedImageRegistries => s.allowed_image_registries,
                Name::MaxPerJob => s.max_per_job,
                Name::RequireTimeToLive => s.require_time_to_live,
                Name::PodSecurity => s.pod_security,
                Name::Budget => s.budget,
            }
        })
        .map_or(PolicyLevel::Error, |(l, _)| l)
    }

    /// The path of a policy's setting in the project file.
    pub fn path(&self, origin: Origin, rest: &[&str]) -> Vec<Seg> {
        let mut out: Vec<Seg> = match origin {
            Origin::Project => vec![],
            Origin::Environment => vec![
                Seg::Key("environments".into()),
                Seg::Key(self.env.to_owned()),
            ],
        };
        out.push(Seg::Key("policies".into()));
        out.extend(rest.iter().map(|k| Seg::Key((*k).to_owned())));
        out
    }
}

/// A job (or a namespace) that breaks a policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub policy: Name,
    pub level: PolicyLevel,
    /// Where in the job.
    pub at: At,
    /// Where the policy is written in the project file.
    pub policy_at: Vec<Seg>,
    pub message: String,
    pub hint: String,
}

/// The checks of one valid job against the policies in force.
pub fn check(job: &Job, footprint: &Footprint, rules: &InForce<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut push =
        |policy: Name, origin: Origin, rest: &[&str], at: At, message: String, hint: String| {
            out.push(Violation {
                policy,
                level: rules.level(policy),
                at,
                policy_at: rules.path(origin, rest),
                message,
                hint,
            });
        };
    if let Some((labels, origin)) = rules.pick(|p| p.required_labels.as_ref()) {
        let missing: Vec<&str> = labels
            .iter()
            .filter(|l| job.labels.get(*l).is_none_or(String::is_empty))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            let at = if job.labels.is_empty() {
                doc(&["metadata"])
            } else {
                doc(&["metadata", "labels"])
            };
            push(
                Name::RequiredLabels,
                origin,
                &["requiredLabels"],
                at,
                if missing.len() == 1 {
                    format!("the job has no label {}", quoted(&missing))
                } else {
                    format!("the job lacks the labels {}", quoted(&missing))
                },
                format!(
                    "add {} under `metadata.labels`",
                    missing
                        .iter()
                        .map(|l| format!("`{l}: <value>`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    }
    if let Some((allowed, origin)) = rules.pick(|p| p.allowed_image_registries.as_ref()) {
        for (path, image) in images(job) {
            if !allowed.iter().any(|a| from_registry(&image, a)) {
                push(
                    Name::AllowedImageRegistries,
                    origin,
                    &["allowedImageRegistries"],
                    At::Spec(path),
                    format!(
                        "the image `{}` comes from `{}`, which is not an allowed registry",
                        crate::rules::escape_short(&image),
                        registry(&image)
                    ),
                    format!(
                        "use an image from {}",
                        quoted(&allowed.iter().map(String::as_str).collect::<Vec<_>>())
                    ),
                );
            }
        }
    }
    max_per_job(job, footprint, rules, &mut push);
    if let Some((true, origin)) = rules.pick(|p| p.require_time_to_live)
        && job.spec.time_to_live_seconds.is_none()
    {
        push(
            Name::RequireTimeToLive,
            origin,
            &["requireTimeToLive"],
            At::Spec(vec![]),
            "the job sets no `timeToLiveSeconds`: its finished runs stay in the cluster".to_owned(),
            "set `timeToLiveSeconds` (e.g. 86400, a day)".to_owned(),
        );
    }
    if let Some((_, origin)) = rules.pick(|p| p.pod_security) {
        match job.annotations.get(POD_SECURITY_EXEMPT) {
            Some(reason) if !reason.trim().is_empty() => {}
            Some(_) => push(
                Name::PodSecurity,
                origin,
                &["podSecurity"],
                doc(&["metadata", "annotations", POD_SECURITY_EXEMPT]),
                "an exemption from `podSecurity` needs a reason".to_owned(),
                format!("write why as the value: `{POD_SECURITY_EXEMPT}: \"<reason>\"`"),
            ),
            None => {
                for (at, why) in pod_security(job) {
                    push(
                        Name::PodSecurity,
                        origin,
                        &["podSecurity"],
                        At::Spec(at),
                        format!("{why}, which the restricted Pod Security Standard forbids"),
                        format!(
                            "remove it (sparkc's defaults meet the standard), or opt the job out with the annotation `{POD_SECURITY_EXEMPT}: \"<reason>\"`"
                        ),
                    );
                }
            }
        }
    }
    out
}

type Push<'p> = dyn FnMut(Name, Origin, &[&str], At, String, String) + 'p;

fn max_per_job(job: &Job, f: &Footprint, rules: &InForce<'_>, push: &mut Push<'_>) {
    let dynamic = crate::spark::memory::dynamic(&job.spec);
    let executors_at = if dynamic {
        sp(&["dynamicAllocation", "maxExecutors"])
    } else {
        sp(&["executor", "instances"])
    };
    if let Some((max, origin)) = rules.pick(|p| p.max_per_job.as_ref()?.executors) {
        let over = match f.executors {
            None => Some("has no maximum (dynamic allocation without `maxExecutors`)".to_owned()),
            Some(n) if n > max => Some(format!("is {n}")),
            Some(_) => None,
        };
        if let Some(over) = over {
            push(
                Name::MaxPerJob,
                origin,
                &["maxPerJob", "executors"],
                executors_at.clone(),
                format!("the job's executor count {over}, over the policy's {max}"),
                format!("ask for at most {max} executors"),
            );
        }
    }
    let shape = |r: Resources, what: &dyn Fn(Resources) -> String| {
        format!(
            "driver {} + {} executor{} × {} = {}",
            what(f.driver),
            f.executors.unwrap_or_default(),
            if f.executors == Some(1) { "" } else { "s" },
            what(f.executor),
            what(r)
        )
    };
    let unbounded = |what: &str, max: String| {
        format!(
            "the job may request any {what}: dynamic allocation has no `maxExecutors` (the policy allows {max})"
        )
    };
    if let Some((max, origin)) = rules.pick(|p| p.max_per_job.as_ref()?.cores) {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let limit = (max * 1000.0).round() as u64;
        let message = match f.peak() {
            None => Some(unbounded("number of cores", show_cpu(limit))),
            Some(p) if p.cpu_millis > limit => Some(format!(
                "the job requests {} cores ({}), over the policy's {}",
                show_cpu(p.cpu_millis),
                shape(p, &|r| show_cpu(r.cpu_millis)),
                show_cpu(limit)
            )),
            Some(_) => None,
        };
        if let Some(message) = message {
            let at = if f.peak().is_none() {
                executors_at.clone()
            } else {
                sp(&["executor", "cores"])
            };
            push(
                Name::MaxPerJob,
                origin,
                &["maxPerJob", "cores"],
                at,
                message,
                "use fewer or smaller executors".to_owned(),
            );
        }
    }
    if let Some((max, origin)) = rules.pick(|p| p.max_per_job.as_ref()?.memory.as_deref()) {
        let Ok(limit) = crate::units::spark_memory_mib(max) else {
            return;
        };
        let message = match f.peak() {
            None => Some(unbounded("amount of memory", max.to_owned())),
            Some(p) if p.memory_mib > limit => Some(format!(
                "the job requests {} of memory with overhead ({}), over the policy's {max}",
                show_mib(p.memory_mib),
                shape(p, &|r| show_mib(r.memory_mib)),
            )),
            Some(_) => None,
        };
        if let Some(message) = message {
            let at = if f.peak().is_none() {
                executors_at
            } else {
                sp(&["executor", "memory"])
            };
            push(
                Name::MaxPerJob,
                origin,
                &["maxPerJob", "memory"],
                at,
                message,
                "use fewer executors or less memory per executor".to_owned(),
            );
        }
    }
}

fn sp(path: &[&str]) -> At {
    crate::rules::spec_path(path)
}

fn doc(path: &[&str]) -> At {
    At::Doc(path.iter().map(|k| Seg::Key((*k).to_owned())).collect())
}

fn quoted(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every image the job's pods run, with the spec path that names it.
fn images(job: &Job) -> Vec<(Vec<Seg>, String)> {
    let spec = &job.spec;
    let (driver, executor) = crate::spark::pod::roles(spec);
    let key = |k: &str| Seg::Key(k.to_owned());
    let mut out = Vec::new();
    if let Some(i) = &spec.image {
        out.push((vec![key("image")], i.clone()));
    }
    let roles = [
        (
            "driver",
            driver.image.as_ref(),
            driver.sidecars.as_ref(),
            driver.init_containers.as_ref(),
        ),
        (
            "executor",
            executor.image.as_ref(),
            executor.sidecars.as_ref(),
            executor.init_containers.as_ref(),
        ),
    ];
    for (role, image, sidecars, inits) in roles {
        if let Some(i) = image {
            out.push((vec![key(role), key("image")], i.clone()));
        }
        for (field, list) in [("sidecars", sidecars), ("initContainers", inits)] {
            for (n, c) in list.into_iter().flatten().enumerate() {
                if let Some(i) = &c.image {
                    out.push((
                        vec![key(role), key(field), Seg::Index(n), key("image")],
                        i.clone(),
                    ));
                }
            }
        }
    }
    out
}

/// The registry of an image reference, as Docker reads it: the first path component when
/// it has a `.` or a `:` or is `localhost`, else Docker Hub.
pub fn registry(image: &str) -> &str {
    match image.split_once('/') {
        Some((first, _)) if first.contains(['.', ':']) || first == "localhost" => first,
        _ => "docker.io",
    }
}

/// Whether `image` comes from `allowed` (a registry host, or a host and path prefix).
fn from_registry(image: &str, allowed: &str) -> bool {
    let allowed = allowed.trim_end_matches('/');
    if allowed.contains('/') {
        image.starts_with(&format!("{allowed}/"))
    } else {
        registry(image) == allowed
    }
}

/// What in the job's driver and executor pods breaks the restricted Pod Security Standard:
/// (the spec field to change, what it does). The pods are the ones every target builds
/// (`spark::pod`, the user's templates merged under sparkc's values).
fn pod_security(job: &Job) -> Vec<(Vec<Seg>, String)> {
    let (driver, executor) = crate::spark::pod::roles(&job.spec);
    let names = crate::names::Names::new(&job.name, &job.namespace, "");
    let pods = [
        (
            "driver",
            crate::spark::pod::driver_template(job, driver, crate::spark::pod::Maps::Pod),
            driver.template.is_some(),
        ),
        (
            "executor",
            crate::spark::pod::executor_pod(
                job,
                &names,
                executor,
                None,
                crate::spark::pod::Maps::Pod,
            ),
            executor.template.is_some(),
        ),
    ];
    let mut out = Vec::new();
    for (role, pod, templated) in pods {
        for (field, why) in restricted(&pod["spec"]) {
            let key = |k: &str| Seg::Key(k.to_owned());
            let at = match field {
                Field::Volumes => vec![key("volumes")],
                Field::Pod(f) => vec![key(role), key(f)],
                Field::Container(0) => vec![key(role), key("securityContext")],
                Field::Container(_) | Field::Init => {
                    let list = if matches!(field, Field::Init) {
                        "initContainers"
                    } else {
                        "sidecars"
                    };
                    vec![key(role), key(list)]
                }
            };
            let at = if templated && matches!(field, Field::Pod(_)) {
                vec![key(role), key("template")]
            } else {
                at
            };
            out.push((at, format!("the {role} pod {why}")));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The part of a pod a finding is about.
enum Field {
    Volumes,
    /// A pod-level field (`hostNetwork`, `podSecurityContext`).
    Pod(&'static str),
    /// The n-th container (0: Spark's own).
    Container(usize),
    Init,
}

/// The restricted Pod Security Standard (Kubernetes 1.30) on a pod spec.
fn restricted(pod: &Json) -> Vec<(Field, String)> {
    let mut out = Vec::new();
    for host in ["hostNetwork", "hostPID", "hostIPC"] {
        if pod[host] == Json::Bool(true) {
            out.push((
                Field::Pod(if host == "hostNetwork" {
                    "hostNetwork"
                } else {
                    "template"
                }),
                format!("sets `{host}: true`"),
            ));
        }
    }
    const VOLUMES: [&str; 8] = [
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    ];
    for v in pod["volumes"].as_array().into_iter().flatten() {
        if let Some(kind) = v.as_object().and_then(|m| {
            m.keys()
                .find(|k| *k != "name" && !VOLUMES.contains(&k.as_str()))
        }) {
            out.push((
                Field::Volumes,
                format!(
                    "mounts a `{kind}` volume (`{}`)",
                    v["name"].as_str().unwrap_or_default()
                ),
            ));
        }
    }
    let pod_ctx = &pod["securityContext"];
    let seccomp_ok = |ctx: &Json| {
        matches!(
            ctx.pointer("/seccompProfile/type").and_then(Json::as_str),
            Some("RuntimeDefault" | "Localhost")
        )
    };
    let containers = pod["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| (Field::Container(i), c));
    let inits = pod["initContainers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| (Field::Init, c));
    let all: Vec<(Field, &Json)> = containers.chain(inits).collect();
    if pod_ctx["runAsUser"] == 0 {
        out.push((
            Field::Pod("podSecurityContext"),
            "runs as root (`runAsUser: 0`)".to_owned(),
        ));
    }
    for (field, c) in all {
        let ctx = &c["securityContext"];
        let name = c["name"].as_str().unwrap_or_default();
        let mut bad = |why: String| {
            out.push((
                clone_field(&field),
                format!("has a container `{name}` that {why}"),
            ))
        };
        if ctx["privileged"] == Json::Bool(true) {
            bad("is privileged".to_owned());
        }
        if ctx["allowPrivilegeEscalation"] != Json::Bool(false) {
            bad("does not set `allowPrivilegeEscalation: false`".to_owned());
        }
        let non_root = ctx
            .get("runAsNonRoot")
            .or_else(|| pod_ctx.get("runAsNonRoot"));
        if non_root != Some(&Json::Bool(true)) {
            bad("may run as root (no `runAsNonRoot: true`)".to_owned());
        }
        if ctx["runAsUser"] == 0 {
            bad("runs as root (`runAsUser: 0`)".to_owned());
        }
        let seccomp = if ctx.pointer("/seccompProfile").is_some() {
            seccomp_ok(ctx)
        } else {
            seccomp_ok(pod_ctx)
        };
        if !seccomp {
            bad("has no `RuntimeDefault` or `Localhost` seccomp profile".to_owned());
        }
        let drops_all = ctx
            .pointer("/capabilities/drop")
            .and_then(Json::as_array)
            .is_some_and(|d| d.iter().any(|x| x == "ALL"));
        if !drops_all {
            bad("does not drop `ALL` capabilities".to_owned());
        }
        for add in ctx
            .pointer("/capabilities/add")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            if add != "NET_BIND_SERVICE" {
                bad(format!(
                    "adds the capability `{}`",
                    add.as_str().unwrap_or_default()
                ));
            }
        }
        for p in c["ports"].as_array().into_iter().flatten() {
            if p["hostPort"].as_i64().is_some_and(|h| h != 0) {
                bad(format!("uses the host port {}", p["hostPort"]));
            }
        }
    }
    out
}

fn clone_field(f: &Field) -> Field {
    match f {
        Field::Volumes => Field::Volumes,
        Field::Pod(p) => Field::Pod(p),
        Field::Container(i) => Field::Container(*i),
        Field::Init => Field::Init,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn registries_as_docker_reads_them() {
        assert_eq!(registry("apache/spark:3.5.3"), "docker.io");
        assert_eq!(registry("spark"), "docker.io");
        assert_eq!(
            registry("registry.example.com/data/etl:1"),
            "registry.example.com"
        );
        assert_eq!(registry("localhost:5000/etl"), "localhost:5000");
        assert!(from_registry(
            "registry.example.com/data/etl:1",
            "registry.example.com"
        ));
        assert!(from_registry(
            "registry.example.com/data/etl:1",
            "registry.example.com/data"
        ));
        assert!(!from_registry(
            "registry.example.com/other/etl:1",
            "registry.example.com/data"
        ));
        assert!(!from_registry(
            "registry.example.com.evil.io/etl",
            "registry.example.com"
        ));
    }

    #[test]
    fn the_restricted_standard_on_pods() {
        let ok = json!({"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{"name": "c", "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}],
            "volumes": [{"name": "v", "configMap": {"name": "x"}}]});
        assert!(restricted(&ok).is_empty());
        let mut bad = ok.clone();
        bad["hostNetwork"] = json!(true);
        bad["volumes"][0] = json!({"name": "h", "hostPath": {"path": "/"}});
        bad["containers"][0]["securityContext"]["privileged"] = json!(true);
        bad["containers"][0]["securityContext"]["capabilities"]["add"] = json!(["SYS_ADMIN"]);
        let found: Vec<String> = restricted(&bad).into_iter().map(|(_, w)| w).collect();
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(found.iter().any(|w| w.contains("hostPath")));
        assert!(found.iter().any(|w| w.contains("SYS_ADMIN")));
    }
}
