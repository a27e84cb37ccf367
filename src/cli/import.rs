//! `sparkc import`: SparkApplications or spark-submit lines in, job specs out (to standard
//! output or as files that are never overwritten).

use std::path::PathBuf;

use crate::diagnostic::Severity;
use crate::diagnostic::{self, Diagnostic};
use crate::error::Error;
use crate::pipeline;
use crate::project::validate::Keep;
use crate::project::workspace;

use super::{Config, Exit, Outcome};

pub(super) fn import(
    cfg: &Config,
    files: &[PathBuf],
    from_submit: bool,
    output: Option<&std::path::Path>,
) -> Result<Outcome, Error> {
    let mut jobs = Vec::new();
    let mut diags = Vec::new();
    let mut sources = diagnostic::Sources::new();
    for f in files {
        let (display, text) = if f.as_os_str() == "-" {
            ("<stdin>".to_owned(), super::read_stdin()?)
        } else {
            let path = cfg.root.join(f);
            let display = f.display().to_string();
            match workspace::read_text(&path, &display)? {
                Ok(t) => (display, t),
                Err(d) => {
                    diags.push(d);
                    continue;
                }
            }
        };
        let outcome = if from_submit {
            crate::import::from_submit(&display, &text)
        } else {
            crate::import::from_manifests(&display, &text)
        };
        sources.insert(display, std::sync::Arc::from(text.as_str()));
        jobs.extend(outcome.jobs);
        diags.extend(outcome.diagnostics);
    }
    let mut stdout = String::new();
    let mut validation = Vec::new();
    if let Some(dir) = output {
        let dir = cfg.root.join(dir);
        let mut written = Vec::new();
        std::fs::create_dir_all(&dir).map_err(|source| Error::Write {
            path: dir.clone(),
            source,
        })?;
        for job in &jobs {
            if !crate::rules::is_dns1035(&job.name) {
                diags.push(
                    Diagnostic::error("import", source_file(&job.source), job.name_at)
                        .path("metadata.name")
                        .message(format!("`{}` is not a valid job name, so it cannot name a file", job.name.escape_debug()))
                        .hint("rename the application (a DNS-1035 label), or import to standard output"),
                );
                continue;
            }
            let path = dir.join(format!("{}.yaml", job.name));
            if path.exists() {
                return Err(Error::Usage(format!(
                    "{} already exists; sparkc import does not overwrite files",
                    path.display()
                )));
            }
            std::fs::write(&path, crate::import::to_text(job)).map_err(|source| Error::Write {
                path: path.clone(),
                source,
            })?;
            written.push(path.clone());
            if !cfg.quiet {
                stdout.push_str(&format!("wrote {}\n", path.display()));
            }
        }
        // What was written is checked as `sparkc validate` checks it, with the project's
        // defaults and environments: an import that leaves specs validate refuses says so.
        if !written.is_empty() {
            match pipeline::check(&cfg.root, &written, None, Keep::Refs) {
                Ok((_, report)) => {
                    for (file, text) in report.sources.iter() {
                        sources.insert(file.clone(), text.clone());
                    }
                    validation = report.diagnostics;
                }
                Err(e) => diags.push(
                    Diagnostic::warning("import-unchecked", "", None)
                        .message(format!("the imported specs could not be validated: {e}")),
                ),
            }
        }
    } else {
        for (i, job) in jobs.iter().enumerate() {
            if i > 0 {
                stdout.push_str("---\n");
            }
            stdout.push_str(&crate::import::to_text(job));
        }
    }
    // Anything not carried over (or unreadable), and a written spec that does not validate,
    // fails the import; skipping other kinds does not.
    let failed = jobs.is_empty()
        || diags.iter().any(|d| {
            !matches!(
                d.code,
                "import-skipped"
                    | "import-unchecked"
                    | "import-dropped"
                    | "import-changed"
                    | "import-wrapper"
                    | "import-repeated"
                    | "import-variable"
                    | "import-name-mismatch"
                    | "import-selector"
                    | "import-port"
                    | "import-pod-name"
                    | "import-rbac"
                    | "import-placeholder"
            )
        })
        || validation.iter().any(|d| d.severity == Severity::Error);
    diags.extend(validation);
    diagnostic::sort_dedup(&mut diags);
    let stderr = diagnostic::render(&diags, &sources, cfg.format, cfg.color);
    Ok(Outcome {
        stdout,
        stderr,
        exit: Exit::findings_if(failed),
    })
}

/// The file of an imported job's source (`file#N` names the N-th document of `file`).
fn source_file(source: &str) -> &str {
    match source.rsplit_once('#') {
        Some((file, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => file,
        _ => source,
    }
}
