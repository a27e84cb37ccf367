//! Targets: the ways one job spec can run (`spec.target`), and the one registry of them.
//!
//! A target owns everything that holds for it alone: the kinds it renders (and the CRD
//! schemas of those that are not built into Kubernetes), its templates, its rules, its plan
//! of one job's objects, which `spark.*` keys it sets itself, what a change to one of its
//! live objects does (replace, rerun), and the manifests it imports. Nothing outside this
//! folder matches on `spec::Target`: code asks [`of`] for the job's target, or walks
//! [`TARGETS`].

pub mod apache;
pub mod kubeflow;
pub mod native;

use minijinja::Value;
use serde_json::Value as Json;

use crate::project::spec::{self, Project};
use crate::project::validate::Job;
use crate::rules::{Findings, Subject};

/// A name derived from a job's name: (what it is, characters it adds, its limit).
pub type DerivedName = (&'static str, usize, usize);

/// A Kubernetes kind: (apiVersion, kind).
pub type Kind = (&'static str, &'static str);

/// One object to render: the template, with the plan's context.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Templates to render, in output order.
    pub templates: Vec<&'static str>,
    /// What every template of the job receives.
    pub context: Value,
    /// Objects checked against their schema but not emitted themselves (the executor pod
    /// template, which is data in a ConfigMap): (what it is, a hint when it fails, the object).
    pub embedded: Vec<(&'static str, &'static str, Json)>,
}

impl Plan {
    /// A plan whose context is a target's plan serialized, plus one value (`raw`, which the
    /// plan does not serialize itself) written into the templates as JSON text already (a
    /// large computed mapping).
    pub fn serialized<T: serde::Serialize, R: serde::Serialize>(
        templates: Vec<&'static str>,
        plan: &T,
        (name, raw): (&str, &R),
    ) -> Self {
        let raw = Value::from(std::collections::BTreeMap::from([(
            name.to_owned(),
            crate::render::raw_json(raw),
        )]));
        Plan {
            templates,
            context: minijinja::context! { ..raw, ..Value::from(minijinja::value::Serde(plan)) },
            embedded: Vec::new(),
        }
    }
}

pub use crate::diff::Effect;

/// What [`Target::conf_keys`] answers: each key the target sets, with its value when known.
pub type ConfKeys = std::collections::BTreeMap<String, Option<String>>;

/// One way to run a job.
pub trait Target: Sync {
    /// The `spec.target` value.
    fn id(&self) -> spec::Target;
    /// Where the driver runs.
    fn deploy_mode(&self) -> crate::spark::submit::Mode;
    /// The kinds it may render.
    fn kinds(&self) -> &'static [Kind];
    /// Schemas of its kinds that Kubernetes does not have: (apiVersion, kind, the CRD's
    /// `openAPIV3Schema` as JSON text).
    fn schemas(&self) -> &'static [(&'static str, &'static str, &'static str)] {
        &[]
    }
    /// Its built-in templates: (name, source).
    fn templates(&self) -> &'static [(&'static str, &'static str)];
    /// Names derived from the job's name, with their limits: (what, extra characters,
    /// limit), for every job and for scheduled ones.
    fn derived_names(&self) -> &'static [DerivedName] {
        &[]
    }
    fn scheduled_names(&self) -> &'static [DerivedName] {
        &[]
    }
    /// Whether a job may name only a main class, found on the image's class path, without
    /// `mainApplicationFile` (a Spark Connect or history server).
    fn main_class_alone(&self) -> bool {
        false
    }
    /// Whether `restartPolicy.type: Always` (restart even after success, as a streaming
    /// application wants) is something this target does.
    fn restarts_always(&self) -> bool {
        true
    }
    /// Why a cron expression would not run on this target, if it would not.
    fn cron_error(&self, cron: &str) -> Option<(String, String)> {
        crate::rules::cron_error(cron)
    }
    /// The rules that hold only for this target.
    fn check(&self, _subject: &Subject<'_>, _out: &mut Findings) {}
    /// The configuration keys the target itself sets for this job, each with the value it
    /// sets when sparkc knows it (`None` where the operator derives it): the same key in the
    /// user's `sparkConf` with another value would fight with it. Asked at most once per
    /// job, and only when its `sparkConf` has a key with a field of its own.
    fn conf_keys(&self, subject: &Subject<'_>) -> ConfKeys;
    /// Whether a key sparkc manages (on the targets that derive it) is the user's on this
    /// target.
    fn leaves_to_user(&self, _key: &crate::spark::conf::Key) -> bool {
        false
    }
    /// The objects of one job.
    fn plan(&self, job: &Job, project: Option<&Project>) -> Result<Plan, Problem>;
    /// The kinds `sparkc import` reads back into job specs with [`Target::import`].
    fn imports(&self) -> &'static [Kind] {
        &[]
    }
    /// One object of a kind it imports as a SparkJob document (what cannot be carried
    /// over goes to `lost`); `None` for other kinds.
    fn import(
        &self,
        _api_version: &str,
        _kind: &str,
        _doc: &Json,
        _lost: &mut crate::import::Lost,
    ) -> Option<Json> {
        None
    }
    /// Argo CD health checks for its kinds that Argo CD has none for: (`<group>_<kind>`, the
    /// Lua script Argo CD runs with the live object as `obj`).
    fn argocd_health_checks(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }
    /// Flux health checks for its kinds (Flux judges custom resources only through them).
    fn flux_health_checks(&self) -> &'static [crate::gitops::FluxHealth] {
        &[]
    }
    /// What a change at these paths does to a live object of one of its kinds.
    fn effect(&self, _group: &str, _kind: &str, _changed: &[&str]) -> Option<Effect> {
        None
    }
}

/// Why a job cannot be planned: a message and a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub hint: String,
}

/// Every target, in the order `import` prefers them for a deploy mode.
pub static TARGETS: &[&dyn Target] = &[&native::Native, &kubeflow::Kubeflow, &apache::Apache];

/// The target a job runs on when its spec names none.
pub const DEFAULT: spec::Target = spec::Target::Native;

/// The target of an id.
pub fn get(id: spec::Target) -> &'static dyn Target {
    TARGETS
        .iter()
        .copied()
        .find(|t| t.id() == id)
        .unwrap_or(&native::Native)
}

/// The target of a spec, after the default.
pub fn of(spec: &spec::SparkJobSpec) -> &'static dyn Target {
    get(spec.target.unwrap_or(DEFAULT))
}

/// The target an imported spark-submit line of this deploy mode becomes.
pub fn for_mode(mode: crate::spark::submit::Mode) -> &'static dyn Target {
    TARGETS
        .iter()
        .copied()
        .find(|t| t.deploy_mode() == mode)
        .unwrap_or(&native::Native)
}

/// The `spec.target` value of a target, as written in a job file.
pub fn id_text(t: &dyn Target) -> String {
    serde_json::to_value(t.id())
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A schedule as the templates receive it, after its defaults (time zone `Etc/UTC`, policy
/// `Forbid`, 3 runs of history each); `history` names the two history limits as the kind
/// spells them (`successfulJobsHistoryLimit` for a CronJob, `successfulRunHistoryLimit`
/// for the operator).
pub fn schedule_context(s: &spec::Schedule, history: (&str, &str)) -> Json {
    let mut out = serde_json::json!({
        "cron": s.cron,
        "timeZone": s.time_zone.clone().unwrap_or_else(|| "Etc/UTC".to_owned()),
        "concurrencyPolicy": format!("{:?}", s.concurrency_policy.unwrap_or(spec::ConcurrencyPolicy::Forbid)),
        "suspend": s.suspend.unwrap_or(false),
    });
    out[history.0] = Json::from(s.successful_run_history_limit.unwrap_or(3));
    out[history.1] = Json::from(s.failed_run_history_limit.unwrap_or(3));
    out
}

/// Templates every target shares.
pub const COMMON_TEMPLATES: &[(&str, &str)] = &[
    (
        "common/serviceaccount.yaml",
        include_str!("../../templates/common/serviceaccount.yaml"),
    ),
    (
        "common/role.yaml",
        include_str!("../../templates/common/role.yaml"),
    ),
    (
        "common/rolebinding.yaml",
        include_str!("../../templates/common/rolebinding.yaml"),
    ),
];

/// Kinds every target may render (the driver's RBAC).
pub const RBAC_KINDS: &[Kind] = &[
    ("v1", "ServiceAccount"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
];

/// Every kind any target renders, once, in registry order.
pub fn all_kinds() -> Vec<Kind> {
    let mut out: Vec<Kind> = RBAC_KINDS.to_vec();
    for t in TARGETS {
        for k in t.kinds() {
            if !out.contains(k) {
                out.push(*k);
            }
        }
    }
    out
}

/// Every built-in template, once.
pub fn all_templates() -> Vec<(&'static str, &'static str)> {
    let mut out = COMMON_TEMPLATES.to_vec();
    for t in TARGETS {
        out.extend_from_slice(t.templates());
    }
    out
}

/// The effect of a change to a live object of a target's kind, if it has one.
pub fn effect(group: &str, kind: &str, changed: &[&str]) -> Option<Effect> {
    TARGETS.iter().find_map(|t| t.effect(group, kind, changed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_is_registered_once() {
        use schemars::JsonSchema as _;
        let schema = serde_json::to_value(spec::Target::json_schema(
            &mut schemars::SchemaGenerator::default(),
        ))
        .unwrap();
        let ids: Vec<&str> = schema["oneOf"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v["const"].as_str()).collect())
            .unwrap_or_default();
        assert!(!ids.is_empty(), "{schema}");
        for id in &ids {
            let n = TARGETS.iter().filter(|t| id_text(**t) == *id).count();
            assert_eq!(n, 1, "target `{id}` is registered {n} times");
        }
        assert_eq!(TARGETS.len(), ids.len());
    }

    #[test]
    fn every_context_variable_is_documented() {
        let doc = include_str!("../../docs/templates.md");
        for target in TARGETS {
            let plan_of = |schedule: bool| {
                let mut spec = serde_json::json!({
                    "target": id_text(*target),
                    "image": "apache/spark:3.5.3",
                    "sparkVersion": "3.5.3",
                    "mainApplicationFile": "local:///opt/app/main.py",
                });
                if schedule {
                    spec["schedule"] = serde_json::json!({"cron": "0 3 * * *"});
                }
                let spec: spec::SparkJobSpec = serde_json::from_value(spec).unwrap();
                target.plan(&crate::rules::test_job("a", &spec), None)
            };
            // A target without a scheduled kind refuses the schedule.
            let (plan, scheduled) = match plan_of(true) {
                Ok(plan) => (plan, true),
                Err(_) => (plan_of(false).unwrap(), false),
            };
            let mut keys: Vec<String> = plan
                .context
                .try_iter()
                .unwrap()
                .map(|k| k.to_string())
                .collect();
            let names = plan.context.get_attr("names").unwrap();
            keys.extend(names.try_iter().unwrap().map(|k| format!("names.{k}")));
            let schedule_keys: Vec<String> = if scheduled {
                let schedule = plan.context.get_attr("schedule").unwrap();
                schedule
                    .try_iter()
                    .unwrap()
                    .map(|k| k.to_string())
                    .collect()
            } else {
                Vec::new()
            };
            assert!(keys.len() > 10, "{keys:?}");
            for key in keys {
                assert!(
                    doc.contains(&format!("`{key}`")),
                    "docs/templates.md does not describe `{key}` ({})",
                    id_text(*target)
                );
            }
            assert!(!scheduled || schedule_keys.len() >= 6, "{schedule_keys:?}");
            for key in &schedule_keys {
                assert!(doc.contains(key), "docs/templates.md: schedule.{key}");
            }
        }
    }
}
