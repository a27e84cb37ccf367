//! Presenting what the checks found: the diagnostics, the summary line, and the outcome of a
//! pipeline that stopped at findings.

use crate::diagnostic::{self, Diagnostic, Format, Summary};
use crate::error::Error;
use crate::pipeline;
use crate::project::validate::Report;

use super::{Config, Exit, Outcome};

/// Renders a validation report: diagnostics, then a summary line (human format).
pub(super) fn validate_outcome(
    cfg: &Config,
    report: &Report,
    sources: &diagnostic::Sources,
) -> Outcome {
    let failed = report.has_errors();
    let mut stdout = diagnostic::render(&report.diagnostics, sources, cfg.format, cfg.color);
    if cfg.format == Format::Human {
        if failed {
            stdout.push_str(&failure_summary(cfg, &report.diagnostics, report.files));
        } else if !cfg.quiet {
            if cfg.verbose {
                for job in &report.refs {
                    stdout.push_str(&format!(
                        "  {} {}/{} ({:?}, {})\n",
                        job.env, job.namespace, job.name, job.app_type, job.file
                    ));
                }
            }
            let summary = Summary::of(&report.diagnostics);
            let names: std::collections::BTreeSet<(&str, &str)> = report
                .refs
                .iter()
                .map(|j| (j.file.as_str(), j.name.as_str()))
                .collect();
            stdout.push_str(&format!(
                "ok: {} job{} in {} file{} valid in {} environment{} ({}){}\n",
                names.len(),
                plural(names.len()),
                report.files,
                plural(report.files),
                report.environments.len(),
                plural(report.environments.len()),
                report.environments.join(", "),
                if summary.warnings > 0 {
                    format!(", {} warning{}", summary.warnings, plural(summary.warnings))
                } else {
                    String::new()
                },
            ));
        }
    }
    Outcome {
        stdout,
        stderr: String::new(),
        exit: Exit::findings_if(failed),
    }
}

/// The last line of a failed check (human format).
pub(super) fn failure_summary(cfg: &Config, diagnostics: &[Diagnostic], files: usize) -> String {
    let summary = Summary::of(diagnostics);
    format!(
        "{} found {} error{} and {} warning{} in {} file{}\n",
        if cfg.color {
            "\x1b[1m\x1b[31merror\x1b[0m:"
        } else {
            "error:"
        },
        summary.errors,
        plural(summary.errors),
        summary.warnings,
        plural(summary.warnings),
        files,
        plural(files),
    )
}

/// The outcome of a pipeline that stopped: its findings (exit 1), or its error.
pub(super) fn stopped_outcome(cfg: &Config, stopped: pipeline::Stopped) -> Result<Outcome, Error> {
    match stopped {
        pipeline::Stopped::Error(e) => Err(e),
        pipeline::Stopped::Findings {
            rendering,
            diagnostics,
            sources,
            files,
        } => {
            let mut stdout = diagnostic::render(&diagnostics, &sources, cfg.format, cfg.color);
            if cfg.format == Format::Human && !rendering {
                stdout.push_str(&failure_summary(cfg, &diagnostics, files));
            }
            Ok(Outcome {
                stdout,
                stderr: String::new(),
                exit: Exit::Findings,
            })
        }
    }
}

pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
