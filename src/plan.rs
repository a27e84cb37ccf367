//! `sparkc plan`: what merging a change does, job by job. From the effective jobs and the
//! rendered objects on both sides (the base and the working tree; no base: an empty
//! cluster), each job is created, changed, deleted or unchanged, with its runtime effect
//! (starts now, re-runs now, takes effect at the next scheduled run, stops, none), the fields
//! of its spec that differ, its objects' changes (`diff::compare`, re-runs paired) and its
//! footprint before and after; then the totals per environment and namespace. The result
//! is data; `cli::plan` presents it.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::diff::{Action, Effect};
use crate::footprint::{Footprint, Total};
use crate::project::validate::Job;
use crate::render::Manifest;

/// One side of the plan: the effective jobs and their objects.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    pub jobs: &'a [Job],
    pub manifests: &'a [Manifest],
}

/// What happens to a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Created,
    Changed,
    Deleted,
    Unchanged,
}

/// What the merge does to the job's runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Runtime {
    /// A new job that runs once: it starts when the GitOps tool applies it.
    StartsNow,
    /// The job runs again now with the new spec; a run in progress is killed.
    RerunsNow,
    /// A scheduled job: the change applies from its next run.
    NextRun,
    /// The job's objects go: a run in progress is stopped, no run follows.
    Stops,
    /// The operator does not act on the change of an application it has submitted.
    Ignored,
    /// Nothing that runs changes (labels, RBAC, a time to live, a suspended schedule).
    None,
}

impl Runtime {
    /// As a reviewer reads it.
    pub const fn text(self) -> &'static str {
        match self {
            Runtime::StartsNow => "starts now",
            Runtime::RerunsNow => "re-runs now (kills a run in progress)",
            Runtime::NextRun => "takes effect at the next scheduled run",
            Runtime::Stops => "stops (a run in progress is killed)",
            Runtime::Ignored => {
                "not applied to the submitted application until it is created again"
            }
            Runtime::None => "no runtime effect",
        }
    }
}

/// One field of a job's effective spec (or metadata) that differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Field {
    /// Dotted path, e.g. `spec.sparkConf.spark.sql.shuffle.partitions`.
    pub path: String,
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub old: serde_json::Value,
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub new: serde_json::Value,
}

/// One object of a job that changes.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Object {
    pub kind: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_name: Option<String>,
    pub action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<Effect>,
}

/// The plan of one job in one environment.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobPlan {
    pub env: String,
    pub namespace: String,
    pub name: String,
    pub file: String,
    pub status: Status,
    pub runtime: Runtime,
    /// The next scheduled run after the plan's time (scheduled jobs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_run: Option<String>,
    /// Scheduled runs in the week after the plan's time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runs_per_week: Option<usize>,
    pub fields: Vec<Field>,
    pub objects: Vec<Object>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Footprint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Footprint>,
}

/// The totals of one environment's namespace before and after.
#[derive(Debug, Clone, Serialize)]
pub struct Delta {
    pub env: String,
    pub namespace: String,
    pub before: Total,
    pub after: Total,
}

/// The whole plan.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The time the plan is made for (next runs are after it).
    pub at: String,
    pub summary: BTreeMap<&'static str, usize>,
    pub jobs: Vec<JobPlan>,
    pub resources: Vec<Delta>,
}

type JobKey = (String, String, String);

fn by_job(jobs: &[Job]) -> BTreeMap<JobKey, &Job> {
    jobs.iter()
        .map(|j| ((j.env.clone(), j.namespace.clone(), j.name.clone()), j))
        .collect()
}

/// A job's identity and what it runs, for comparing its two versions.
fn shape(job: &Job) -> serde_json::Value {
    serde_json::json!({
        "metadata": {"labels": job.labels, "annotations": job.annotations},
        "spec": job.spec,
    })
}

/// A JSON pointer as a dotted path (`/spec/sparkConf/a.b` → `spec.sparkConf.a.b`).
fn dotted(pointer: &str) -> String {
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect::<Vec<_>>()
        .join(".")
}

/// The plan of going from `old` (`None`: nothing deployed) to `new`, at time `at`.
pub fn plan(old: Option<Side<'_>>, new: Side<'_>, at: jiff::Timestamp) -> Plan {
    let empty: [Manifest; 0] = [];
    let old_manifests = old.map_or(&empty[..], |s| s.manifests);
    let live: Vec<serde_json::Value> = old_manifests.iter().map(|m| m.value.clone()).collect();
    let report = crate::diff::compare(new.manifests, &live);
    // Which job each object belongs to, from either side.
    let mut owner: BTreeMap<crate::diff::Key, JobKey> = BTreeMap::new();
    for m in old_manifests.iter().chain(new.manifests) {
        if !m.job.is_empty() {
            let job_ns = m.namespace.clone();
            owner.insert(
                crate::diff::key(&m.value),
                (m.env.clone(), job_ns, m.job.clone()),
            );
        }
    }
    let mut objects: BTreeMap<JobKey, Vec<Object>> = BTreeMap::new();
    for r in &report.resources {
        let k = (
            r.group.clone(),
            r.kind.clone(),
            r.namespace.clone(),
            r.name.clone(),
        );
        if let Some(job) = owner.get(&k) {
            objects.entry(job.clone()).or_default().push(Object {
                kind: r.kind.clone(),
                name: r.name.clone(),
                previous_name: r.previous_name.clone(),
                action: r.action,
                effect: r.effect,
            });
        }
    }
    let old_jobs = old.map(|s| by_job(s.jobs)).unwrap_or_default();
    let new_jobs = by_job(new.jobs);
    let mut keys: Vec<&JobKey> = old_jobs.keys().chain(new_jobs.keys()).collect();
    keys.sort();
    keys.dedup();
    let week = at
        .checked_add(jiff::SignedDuration::from_hours(24 * 7))
        .unwrap_or(at);
    let mut jobs = Vec::new();
    for key in keys {
        let (before, after) = (old_jobs.get(key).copied(), new_jobs.get(key).copied());
        // Objects pair by their own namespace; the job's are under the job's namespace.
        let objs: Vec<Object> = objects
            .get(key)
            .into_iter()
            .flatten()
            .filter(|o| o.action != Action::Unchanged)
            .cloned()
            .collect();
        let fields: Vec<Field> = match (before, after) {
            (Some(b), Some(a)) => crate::diff::changes(&shape(b), &shape(a))
                .into_iter()
                .map(|c| Field {
                    path: dotted(&c.path),
                    old: c.old,
                    new: c.new,
                })
                .collect(),
            _ => Vec::new(),
        };
        let status = match (before, after) {
            (None, Some(_)) => Status::Created,
            (Some(_), None) => Status::Deleted,
            _ if objs.is_empty() && fields.is_empty() => Status::Unchanged,
            _ => Status::Changed,
        };
        let current = after.or(before).expect("a job on one side");
        let runs = crate::footprint::runs(&current.spec, at, week, 10_000);
        let scheduled = runs.is_some();
        let runs_now = runs.as_ref().is_some_and(|r| !r.is_empty());
        let runtime = match status {
            Status::Unchanged => Runtime::None,
            Status::Deleted => Runtime::Stops,
            Status::Created if scheduled => {
                if runs_now {
                    Runtime::NextRun
                } else {
                    Runtime::None
                }
            }
            Status::Created => Runtime::StartsNow,
            Status::Changed if scheduled => {
                let runs_differ = objs.iter().any(|o| o.action != Action::Unchanged)
                    && fields.iter().any(|f| {
                        f.path.starts_with("spec.") && !f.path.starts_with("spec.timeToLiveSeconds")
                    });
                if runs_now && runs_differ {
                    Runtime::NextRun
                } else {
                    Runtime::None
                }
            }
            Status::Changed => {
                if objs.iter().any(|o| o.effect == Some(Effect::Rerun)) {
                    Runtime::RerunsNow
                } else if objs.iter().any(|o| o.effect == Some(Effect::Ignored)) {
                    Runtime::Ignored
                } else {
                    Runtime::None
                }
            }
        };
        jobs.push(JobPlan {
            env: key.0.clone(),
            namespace: key.1.clone(),
            name: key.2.clone(),
            file: current.file.clone(),
            status,
            runtime,
            next_run: (runtime == Runtime::NextRun || (scheduled && status != Status::Deleted))
                .then(|| {
                    runs.as_ref()
                        .and_then(|r| r.first())
                        .map(ToString::to_string)
                })
                .flatten(),
            runs_per_week: runs.as_ref().map(Vec::len),
            fields,
            objects: objs,
            before: before.map(|j| Footprint::of(&j.spec, j.app_type)),
            after: after.map(|j| Footprint::of(&j.spec, j.app_type)),
        });
    }
    let mut resources: BTreeMap<(String, String), Delta> = BTreeMap::new();
    for j in &jobs {
        let d = resources
            .entry((j.env.clone(), j.namespace.clone()))
            .or_insert_with(|| Delta {
                env: j.env.clone(),
                namespace: j.namespace.clone(),
                before: Total::default(),
                after: Total::default(),
            });
        if let Some(f) = &j.before {
            d.before.add(&j.name, f);
        }
        if let Some(f) = &j.after {
            d.after.add(&j.name, f);
        }
    }
    let mut summary = BTreeMap::new();
    for s in ["created", "changed", "deleted", "unchanged"] {
        summary.insert(s, 0);
    }
    for j in &jobs {
        let name = match j.status {
            Status::Created => "created",
            Status::Changed => "changed",
            Status::Deleted => "deleted",
            Status::Unchanged => "unchanged",
        };
        *summary.entry(name).or_default() += 1;
    }
    Plan {
        at: at.to_string(),
        summary,
        jobs,
        resources: resources.into_values().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_read_as_dotted_paths() {
        assert_eq!(
            dotted("/spec/sparkConf/spark.sql.shuffle.partitions"),
            "spec.sparkConf.spark.sql.shuffle.partitions"
        );
        assert_eq!(dotted("/metadata/labels/a~1b"), "metadata.labels.a/b");
    }
}
