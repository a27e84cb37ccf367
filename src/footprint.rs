//! The footprint: what Spark requests from the cluster for a job, as its pods request it.
//!
//! One driver pod plus the executors (their instances, or the dynamic-allocation maximum),
//! each with the CPU and the memory (heap plus overhead) that `spark::memory` computes for
//! the targets' pods; totals per environment and namespace; and, for scheduled jobs, their
//! runs in a window. Nothing here has a formula of its own.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::project::spec::{AppType, SparkJobSpec};
use crate::spark::memory;

/// Requests of some pods together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resources {
    pub pods: u64,
    /// CPU in thousandths of a core.
    pub cpu_millis: u64,
    pub memory_mib: u64,
}

impl std::ops::Add for Resources {
    type Output = Resources;
    fn add(self, o: Resources) -> Resources {
        Resources {
            pods: self.pods + o.pods,
            cpu_millis: self.cpu_millis + o.cpu_millis,
            memory_mib: self.memory_mib + o.memory_mib,
        }
    }
}

impl std::ops::AddAssign for Resources {
    fn add_assign(&mut self, o: Resources) {
        *self = *self + o;
    }
}

impl std::iter::Sum for Resources {
    fn sum<I: Iterator<Item = Resources>>(iter: I) -> Resources {
        iter.fold(Resources::default(), |a, b| a + b)
    }
}

impl Resources {
    /// `n` pods like this one.
    pub fn times(self, n: u64) -> Resources {
        Resources {
            pods: self.pods * n,
            cpu_millis: self.cpu_millis * n,
            memory_mib: self.memory_mib * n,
        }
    }
}

/// What one job asks for in one environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Footprint {
    /// The driver pod.
    pub driver: Resources,
    /// One executor pod.
    pub executor: Resources,
    /// The most executors at once; `None` when dynamic allocation has no maximum.
    pub executors: Option<u32>,
}

impl Footprint {
    /// The footprint of a valid effective spec.
    pub fn of(spec: &SparkJobSpec, app_type: AppType) -> Footprint {
        let (driver, executor) = crate::spark::pod::roles(spec);
        Footprint {
            driver: pod(
                &memory::cpu_request(driver.core_request.as_deref(), driver.cores),
                memory::driver_memory(spec, app_type),
            ),
            executor: pod(
                &memory::cpu_request(executor.core_request.as_deref(), executor.cores),
                memory::executor_memory(spec, app_type),
            ),
            executors: memory::max_executors(spec),
        }
    }

    /// The driver and every executor at once; `None` when unbounded.
    pub fn peak(&self) -> Option<Resources> {
        self.executors
            .map(|n| self.driver + self.executor.times(u64::from(n)))
    }
}

fn pod(cpu: &str, mem: memory::Memory) -> Resources {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let cpu_millis = crate::diff::quantity(&serde_json::Value::String(cpu.to_owned()))
        .map_or(0, |c| (c * 1000.0).round() as u64);
    Resources {
        pods: 1,
        cpu_millis,
        memory_mib: mem.total_mib(),
    }
}

/// The totals of some jobs: what they request at their peak together, and the jobs that
/// have no bound.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Total {
    pub jobs: usize,
    pub resources: Resources,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unbounded: Vec<String>,
}

impl Total {
    pub fn add(&mut self, name: &str, f: &Footprint) {
        self.jobs += 1;
        match f.peak() {
            Some(r) => self.resources += r,
            None => {
                self.resources += f.driver;
                self.unbounded.push(name.to_owned());
            }
        }
    }
}

/// Totals per (environment, namespace) of (environment, namespace, job, footprint).
pub fn totals<'a>(
    jobs: impl IntoIterator<Item = (&'a str, &'a str, &'a str, &'a Footprint)>,
) -> BTreeMap<(String, String), Total> {
    let mut out: BTreeMap<(String, String), Total> = BTreeMap::new();
    for (env, ns, name, f) in jobs {
        out.entry((env.to_owned(), ns.to_owned()))
            .or_default()
            .add(name, f);
    }
    out
}

/// When a scheduled job runs in `[from, until]` (at most `limit` runs); `None` for a job
/// without a schedule, a suspended one gives no runs.
pub fn runs(
    spec: &SparkJobSpec,
    from: jiff::Timestamp,
    until: jiff::Timestamp,
    limit: usize,
) -> Option<Vec<jiff::Timestamp>> {
    let schedule = spec.schedule.as_ref()?;
    if schedule.suspend == Some(true) || spec.suspend == Some(true) {
        return Some(Vec::new());
    }
    crate::cron::runs(
        schedule.cron.as_deref()?,
        schedule.time_zone.as_deref(),
        from,
        until,
        limit,
    )
}

/// When a job's pods may be running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum Occupancy {
    /// At any time: a job that runs once (it starts when it is applied), one that restarts
    /// always, or a scheduled one whose run has no time limit.
    Always,
    /// Never (a suspended schedule).
    Never,
    /// During each run of the schedule, at most `seconds` long (`timeoutSeconds`).
    Runs {
        cron: String,
        time_zone: Option<String>,
        seconds: i64,
    },
}

impl Occupancy {
    pub fn of(spec: &SparkJobSpec) -> Occupancy {
        let Some(schedule) = &spec.schedule else {
            return Occupancy::Always;
        };
        if schedule.suspend == Some(true) || spec.suspend == Some(true) {
            return Occupancy::Never;
        }
        match (&schedule.cron, spec.timeout_seconds) {
            (Some(cron), Some(seconds)) if seconds > 0 => Occupancy::Runs {
                cron: cron.clone(),
                time_zone: schedule.time_zone.clone(),
                seconds,
            },
            _ => Occupancy::Always,
        }
    }
}

/// The most that jobs request at one moment over the `days` from `from`: every job that may
/// run at any time, plus the scheduled runs that overlap most (each dimension at its own
/// worst moment). Jobs without a bound count their driver and name themselves in
/// [`Total::unbounded`].
pub fn peak_together<'a>(
    jobs: impl IntoIterator<Item = (&'a str, &'a Footprint, &'a Occupancy)>,
    from: jiff::Timestamp,
    days: i64,
) -> Total {
    let mut always = Total::default();
    let until = from
        .checked_add(jiff::SignedDuration::from_hours(24 * days))
        .unwrap_or(from);
    // (time, +1 start / -1 end, requests)
    let mut events: Vec<(jiff::Timestamp, i8, Resources)> = Vec::new();
    let mut scheduled = 0;
    for (name, f, occupancy) in jobs {
        match occupancy {
            Occupancy::Never => {}
            Occupancy::Always => always.add(name, f),
            Occupancy::Runs {
                cron,
                time_zone,
                seconds,
            } => {
                let Some(peak) = f.peak() else {
                    always.add(name, f);
                    continue;
                };
                scheduled += 1;
                let length = jiff::SignedDuration::from_secs(*seconds);
                // A run that started before the window may still be going at its start.
                let before = from.checked_sub(length).unwrap_or(from);
                for start in crate::cron::runs(cron, time_zone.as_deref(), before, until, 100_000)
                    .unwrap_or_default()
                {
                    events.push((start, 1, peak));
                    events.push((start.checked_add(length).unwrap_or(start), -1, peak));
                }
            }
        }
    }
    // Ends before starts at the same moment: a run that ends as the next begins does not
    // overlap it.
    events.sort_by_key(|(t, d, _)| (*t, *d));
    let (mut now, mut most) = (Resources::default(), Resources::default());
    for (_, d, r) in events {
        if d > 0 {
            now += r;
            most.pods = most.pods.max(now.pods);
            most.cpu_millis = most.cpu_millis.max(now.cpu_millis);
            most.memory_mib = most.memory_mib.max(now.memory_mib);
        } else {
            now.pods -= r.pods;
            now.cpu_millis -= r.cpu_millis;
            now.memory_mib -= r.memory_mib;
        }
    }
    always.jobs += scheduled;
    always.resources += most;
    always
}

/// Memory in MiB as a person reads it (`4.5 GiB`, `512 MiB`).
pub fn show_mib(mib: u64) -> String {
    if mib >= 1024 {
        #[allow(clippy::cast_precision_loss)]
        let g = mib as f64 / 1024.0;
        format!("{} GiB", trim(g))
    } else {
        format!("{mib} MiB")
    }
}

/// CPU in thousandths as cores (`2.5`).
pub fn show_cpu(millis: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    trim(millis as f64 / 1000.0)
}

fn trim(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(v: serde_json::Value) -> SparkJobSpec {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn driver_and_executors_with_overhead() {
        let s = spec(serde_json::json!({
            "driver": {"cores": 1, "memory": "2g"},
            "executor": {"instances": 4, "cores": 2, "memory": "4g", "coreRequest": "1500m"},
        }));
        let f = Footprint::of(&s, AppType::Scala);
        // 2g + max(384, 10%) and 4g + 10% (409.6, truncated as Spark does).
        assert_eq!(
            f.driver,
            Resources {
                pods: 1,
                cpu_millis: 1000,
                memory_mib: 2048 + 384
            }
        );
        assert_eq!(
            f.executor,
            Resources {
                pods: 1,
                cpu_millis: 1500,
                memory_mib: 4096 + 409
            }
        );
        assert_eq!(f.peak().unwrap().pods, 5);
        assert_eq!(f.peak().unwrap().cpu_millis, 1000 + 4 * 1500);
    }

    #[test]
    fn dynamic_allocation_counts_its_maximum_or_is_unbounded() {
        let s = spec(serde_json::json!({
            "executor": {"instances": 4},
            "dynamicAllocation": {"enabled": true, "maxExecutors": 20},
        }));
        assert_eq!(Footprint::of(&s, AppType::Python).executors, Some(20));
        let s = spec(serde_json::json!({"dynamicAllocation": {"enabled": true}}));
        let f = Footprint::of(&s, AppType::Python);
        assert_eq!(f.peak(), None);
        let mut t = Total::default();
        t.add("a", &f);
        assert_eq!(t.unbounded, vec!["a".to_owned()]);
        assert_eq!(t.resources, f.driver);
    }

    #[test]
    fn runs_of_a_schedule_in_a_window() {
        let s = spec(
            serde_json::json!({"schedule": {"cron": "0 3 * * *", "timeZone": "Europe/Berlin"}}),
        );
        let from: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let until: jiff::Timestamp = "2026-01-03T00:00:00Z".parse().unwrap();
        let r = runs(&s, from, until, 10).unwrap();
        let shown: Vec<String> = r.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["2026-01-01T02:00:00Z", "2026-01-02T02:00:00Z"]);
        let suspended =
            spec(serde_json::json!({"schedule": {"cron": "0 3 * * *", "suspend": true}}));
        assert_eq!(runs(&suspended, from, until, 10), Some(vec![]));
        assert_eq!(runs(&spec(serde_json::json!({})), from, until, 10), None);
        let weekdays = spec(serde_json::json!({"schedule": {"cron": "30 */6 * * MON-FRI"}}));
        // 2026-01-01 is a Thursday: Thursday and Friday, four runs each.
        assert_eq!(runs(&weekdays, from, until, 100).unwrap().len(), 8);
        let every = spec(serde_json::json!({"schedule": {"cron": "@every 12h"}}));
        assert_eq!(runs(&every, from, until, 100).unwrap().len(), 4);
    }

    #[test]
    fn scheduled_runs_that_never_overlap_count_once() {
        let s = spec(serde_json::json!({"executor": {"instances": 1}}));
        let f = Footprint::of(&s, AppType::Scala);
        let one = f.peak().unwrap();
        let at = |h: u32| Occupancy::Runs {
            cron: format!("0 {h} * * *"),
            time_zone: None,
            seconds: 3600,
        };
        let (a, b, c) = (at(1), at(2), at(3));
        let from: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        // 01:00-02:00 and 02:00-03:00 touch but do not overlap; a one-shot job is always there.
        let t = peak_together([("a", &f, &a), ("b", &f, &b)], from, 2);
        assert_eq!((t.jobs, t.resources), (2, one));
        let long = Occupancy::Runs {
            cron: "0 1 * * *".into(),
            time_zone: None,
            seconds: 3 * 3600,
        };
        let t = peak_together(
            [
                ("a", &f, &long),
                ("c", &f, &c),
                ("d", &f, &Occupancy::Always),
                ("e", &f, &Occupancy::Never),
            ],
            from,
            2,
        );
        assert_eq!((t.jobs, t.resources), (3, one.times(3)));
    }

    #[test]
    fn shown_for_people() {
        assert_eq!(show_mib(4506), "4.4 GiB");
        assert_eq!(show_mib(512), "512 MiB");
        assert_eq!(show_cpu(2500), "2.5");
        assert_eq!(show_cpu(3000), "3");
    }
}
