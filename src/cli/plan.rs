//! `sparkc plan`: the plan of merging (the working tree against `--base`, or the whole
//! project), presented for a person, as JSON, or as Markdown for a pull-request comment
//! (the summary table first, the details collapsed).

use crate::diagnostic::{self, Diagnostic, Format, Severity};
use crate::error::Error;
use crate::footprint::{Footprint, Resources, Total, show_cpu, show_mib};
use crate::pipeline;
use crate::plan::{JobPlan, Plan, Runtime, Side, Status};

use super::present::{plural, stopped_outcome};
use super::{Config, Exit, Outcome};

/// `sparkc plan [--base REF] [--env E] [--at TIME]`.
pub(super) fn plan_command(
    cfg: &Config,
    env: Option<&str>,
    base: Option<&str>,
    at: Option<&str>,
) -> Result<Outcome, Error> {
    let at = match at {
        Some(t) => t.parse::<jiff::Timestamp>().map_err(|e| {
            Error::Usage(format!(
                "--at {t}: not a time such as 2026-01-31T08:00:00Z ({e})"
            ))
        })?,
        None => jiff::Timestamp::now(),
    };
    let new = match pipeline::compile_past_policies(&cfg.root, env) {
        Ok(c) => c,
        Err(stopped) => return stopped_outcome(cfg, stopped),
    };
    let _checkout;
    let old = match base {
        None => None,
        Some(reference) => {
            match super::diff::at_ref(cfg, reference, |root| {
                pipeline::compile_past_policies(root, env)
            })? {
                Ok((dir, c)) => {
                    _checkout = dir;
                    Some(c)
                }
                Err(outcome) => return Ok(outcome),
            }
        }
    };
    let plan = crate::plan::plan(
        old.as_ref().map(|c| Side {
            jobs: &c.report.jobs,
            manifests: &c.manifests,
        }),
        Side {
            jobs: &new.report.jobs,
            manifests: &new.manifests,
        },
        at,
    );
    let findings = &new.report.diagnostics;
    let failed = findings.iter().any(|d| d.severity == Severity::Error);
    let stdout = match cfg.format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&serde_json::json!({
                "plan": plan,
                "findings": findings,
            }))
            .unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Markdown => markdown(&plan, findings, &new.report.sources, base),
        Format::Human | Format::Github => {
            let mut s = human(&plan);
            s.push_str(&diagnostic::render(
                findings,
                &new.report.sources,
                cfg.format,
                cfg.color,
            ));
            s
        }
    };
    Ok(Outcome {
        stdout,
        stderr: String::new(),
        exit: Exit::findings_if(failed),
    })
}

fn counts(plan: &Plan) -> String {
    format!(
        "{} created, {} changed, {} deleted, {} unchanged",
        plan.summary["created"],
        plan.summary["changed"],
        plan.summary["deleted"],
        plan.summary["unchanged"]
    )
}

fn status(s: Status) -> &'static str {
    match s {
        Status::Created => "created",
        Status::Changed => "changed",
        Status::Deleted => "deleted",
        Status::Unchanged => "unchanged",
    }
}

/// The runtime effect, with the time of the next run.
fn effect(j: &JobPlan) -> String {
    match (j.runtime, &j.next_run) {
        (Runtime::NextRun, Some(t)) => format!("takes effect at the next scheduled run, {t}"),
        (r, _) => r.text().to_owned(),
    }
}

fn resources(r: Resources) -> String {
    format!(
        "{} pod{}, {} cores, {}",
        r.pods,
        plural(usize::try_from(r.pods).unwrap_or(0)),
        show_cpu(r.cpu_millis),
        show_mib(r.memory_mib)
    )
}

/// A job's requests after the change, and before.
fn requests(j: &JobPlan) -> String {
    format!(
        "{} (before: {})",
        footprint(j.after.as_ref()),
        footprint(j.before.as_ref())
    )
}

fn footprint(f: Option<&Footprint>) -> String {
    match f {
        None => "-".to_owned(),
        Some(f) => f.peak().map_or_else(
            || format!("driver {} + unbounded executors", resources(f.driver)),
            resources,
        ),
    }
}

/// `a → b (+d)` of one dimension.
fn delta(before: u64, after: u64, show: &dyn Fn(u64) -> String) -> String {
    let d = if after >= before {
        format!("+{}", show(after - before))
    } else {
        format!("-{}", show(before - after))
    };
    if before == after {
        show(after)
    } else {
        format!("{} → {} ({d})", show(before), show(after))
    }
}

fn value(v: &serde_json::Value) -> String {
    if v.is_null() {
        "(none)".to_owned()
    } else {
        serde_json::to_string(v).unwrap_or_default()
    }
}

fn object_line(o: &crate::plan::Object) -> String {
    let name = o
        .previous_name
        .as_ref()
        .map_or_else(|| o.name.clone(), |p| format!("{p} → {}", o.name));
    let action = serde_json::to_value(o.action).unwrap_or_default();
    let effect = o
        .effect
        .map(|e| {
            format!(
                " ({})",
                serde_json::to_value(e)
                    .unwrap_or_default()
                    .as_str()
                    .unwrap_or_default()
            )
        })
        .unwrap_or_default();
    format!(
        "{}/{name} {}{effect}",
        o.kind,
        action.as_str().unwrap_or_default()
    )
}

/// The plan for a person.
fn human(plan: &Plan) -> String {
    let mut s = format!("plan: {} (as of {})\n", counts(plan), plan.at);
    for j in plan.jobs.iter().filter(|j| j.status != Status::Unchanged) {
        s.push_str(&format!(
            "\n{}/{} {}: {}\n",
            j.env,
            j.name,
            status(j.status),
            effect(j)
        ));
        for f in &j.fields {
            s.push_str(&format!(
                "  {}: {} → {}\n",
                f.path,
                value(&f.old),
                value(&f.new)
            ));
        }
        for o in &j.objects {
            s.push_str(&format!("  {}\n", object_line(o)));
        }
        s.push_str(&format!("  requests: {}\n", requests(j)));
        if let Some(n) = j.runs_per_week {
            s.push_str(&format!("  runs in the next 7 days: {n}\n"));
        }
    }
    s.push_str("\nresources at the peak (every job at once):\n");
    for d in &plan.resources {
        s.push_str(&format!(
            "  {}/{}: {}\n",
            d.env,
            d.namespace,
            resource_delta(&d.before, &d.after)
        ));
    }
    s
}

fn resource_delta(before: &Total, after: &Total) -> String {
    let (b, a) = (before.resources, after.resources);
    let mut s = format!(
        "pods {}, cores {}, memory {}",
        delta(b.pods, a.pods, &|v| v.to_string()),
        delta(b.cpu_millis, a.cpu_millis, &show_cpu),
        delta(b.memory_mib, a.memory_mib, &show_mib)
    );
    if !after.unbounded.is_empty() {
        s.push_str(&format!(", unbounded: {}", after.unbounded.join(", ")));
    }
    s
}

/// The plan as a pull-request comment: a summary table, then each job's details and the
/// findings collapsed.
fn markdown(
    plan: &Plan,
    findings: &[Diagnostic],
    sources: &diagnostic::Sources,
    base: Option<&str>,
) -> String {
    let errors = findings
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = findings.len() - errors;
    let mut s = format!(
        "### sparkc plan{}\n\n{}; policy and spec findings: {errors} error{}, {warnings} warning{}\n\n",
        base.map(|b| format!(" against `{b}`")).unwrap_or_default(),
        counts(plan),
        plural(errors),
        plural(warnings),
    );
    let shown: Vec<&JobPlan> = plan
        .jobs
        .iter()
        .filter(|j| j.status != Status::Unchanged)
        .collect();
    if shown.is_empty() {
        s.push_str("No job changes.\n");
    } else {
        s.push_str(
            "| Environment | Job | Change | Runtime effect | Requests |\n|---|---|---|---|---|\n",
        );
        for j in &shown {
            s.push_str(&format!(
                "| {} | `{}` | {} | {} | {} |\n",
                j.env,
                j.name,
                status(j.status),
                effect(j),
                footprint(j.after.as_ref().or(j.before.as_ref()))
            ));
        }
    }
    s.push_str("\n| Environment | Namespace | Pods | Cores | Memory |\n|---|---|---|---|---|\n");
    for d in &plan.resources {
        let (b, a) = (d.before.resources, d.after.resources);
        s.push_str(&format!(
            "| {} | {} | {} | {} | {}{} |\n",
            d.env,
            d.namespace,
            delta(b.pods, a.pods, &|v| v.to_string()),
            delta(b.cpu_millis, a.cpu_millis, &show_cpu),
            delta(b.memory_mib, a.memory_mib, &show_mib),
            if d.after.unbounded.is_empty() {
                String::new()
            } else {
                format!(" + unbounded ({})", d.after.unbounded.join(", "))
            }
        ));
    }
    for j in &shown {
        s.push_str(&format!(
            "\n<details><summary>{}/{}: {}, {}</summary>\n\n",
            j.env,
            j.name,
            status(j.status),
            effect(j)
        ));
        s.push_str(&format!("Spec: `{}`\n\n", j.file));
        if !j.fields.is_empty() {
            s.push_str("| Field | Before | After |\n|---|---|---|\n");
            for f in &j.fields {
                s.push_str(&format!(
                    "| `{}` | `{}` | `{}` |\n",
                    f.path,
                    value(&f.old).replace('|', "\\|"),
                    value(&f.new).replace('|', "\\|")
                ));
            }
            s.push('\n');
        }
        for o in &j.objects {
            s.push_str(&format!("- `{}`\n", object_line(o)));
        }
        s.push_str(&format!("\nRequests: {}", requests(j)));
        if let Some(n) = j.runs_per_week {
            s.push_str(&format!("; {n} run{} in the next 7 days", plural(n)));
        }
        s.push_str("\n\n</details>\n");
    }
    if !findings.is_empty() {
        s.push_str(&format!(
            "\n<details><summary>Findings ({errors} error{}, {warnings} warning{})</summary>\n\n```\n{}```\n\n</details>\n",
            plural(errors),
            plural(warnings),
            diagnostic::render(findings, sources, Format::Human, false)
        ));
    }
    s
}
