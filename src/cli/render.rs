//! `sparkc render`: the YAML stream, the tree on disk, or the check of the tree, and the
//! rule of where the tree may go.

use std::io;
use std::path::PathBuf;

use crate::diagnostic::{self, Format};
use crate::error::Error;
use crate::{pipeline, project::workspace, render};

use super::present::{plural, stopped_outcome};
use super::{Config, Exit, Outcome, drop_in_background};

/// The tree on disk, read on its own thread while the specs are validated and rendered.
type Snapshot = std::thread::JoinHandle<io::Result<crate::tree::Snapshot>>;

/// `sparkc render`: the YAML stream, the tree on disk, or the check of the tree.
pub(super) fn render_command(
    cfg: &Config,
    env: Option<&str>,
    stdout: bool,
    output: Option<&std::path::Path>,
    check: bool,
) -> Result<Outcome, Error> {
    let ws = workspace::load(&cfg.root, &[])?;
    // `--check` compares with the tree on disk, a write links the files that do not change.
    let snapshot = if stdout {
        None
    } else {
        let (_, out) = output_folder(cfg, ws.project.as_ref().map(|p| &p.project), output)?;
        Some(std::thread::spawn(move || crate::tree::snapshot(&out)))
    };
    let compiled = match pipeline::compile_loaded(ws, &cfg.root, env, false) {
        Ok(c) => c,
        Err(stopped) => return stopped_outcome(cfg, stopped),
    };
    if stdout {
        return Ok(stream(cfg, &compiled));
    }
    let pipeline::Compiled {
        workspace: ws,
        report,
        manifests,
        mut warnings,
    } = compiled;
    let project = ws.project.as_ref().map(|p| &p.project);
    let (out_rel, out) = output_folder(cfg, project, output)?;
    let settings = crate::tree::Settings::from_project(project, &out_rel);
    warnings.extend(crate::gitops::warnings(&report.jobs, &settings));
    let old = crate::tree::Marker::load(&out);
    let mut tree = crate::tree::plan(manifests, &settings, old.as_ref());
    if !tree.diagnostics.is_empty() {
        let mut diags = std::mem::take(&mut tree.diagnostics);
        diagnostic::sort_dedup(&mut diags);
        return Ok(Outcome {
            stdout: diagnostic::render(&diags, &report.sources, cfg.format, cfg.color),
            stderr: String::new(),
            exit: Exit::Findings,
        });
    }
    if let (Some(env), Some(old)) = (env, old.as_ref()) {
        crate::tree::keep_other_environments(&mut tree, old, &out, env).map_err(|source| {
            Error::Read {
                path: out.clone(),
                source,
            }
        })?;
    }
    let mut text = String::new();
    if !warnings.is_empty() && !cfg.quiet {
        diagnostic::sort_dedup(&mut warnings);
        text.push_str(&diagnostic::render(
            &warnings,
            &report.sources,
            cfg.format,
            cfg.color,
        ));
    }
    let tree_out = TreeOut {
        out: &out,
        out_rel: &out_rel,
    };
    let outcome = if check {
        check_tree(cfg, &tree_out, &tree, old.as_ref(), snapshot, text)?
    } else {
        write_tree(cfg, &tree_out, &tree, snapshot, text)?
    };
    drop_in_background((tree, report, ws));
    Ok(outcome)
}

/// Where the tree goes: the folder, and how to name it in messages.
struct TreeOut<'a> {
    out: &'a std::path::Path,
    out_rel: &'a str,
}

/// `render --stdout`: one YAML stream, warnings on stderr.
fn stream(cfg: &Config, compiled: &pipeline::Compiled) -> Outcome {
    let stderr = if compiled.warnings.is_empty() || cfg.quiet {
        String::new()
    } else {
        diagnostic::render(
            &compiled.warnings,
            &compiled.report.sources,
            Format::Human,
            cfg.color,
        )
    };
    Outcome {
        stdout: render::stream(&compiled.manifests),
        stderr,
        exit: Exit::Ok,
    }
}

/// `render --check`: every difference between the tree on disk and the render.
fn check_tree(
    cfg: &Config,
    to: &TreeOut<'_>,
    tree: &crate::tree::Tree,
    old: Option<&crate::tree::Marker>,
    snapshot: Option<Snapshot>,
    mut text: String,
) -> Result<Outcome, Error> {
    let read_error = |source| Error::Read {
        path: to.out.to_path_buf(),
        source,
    };
    let disk = match snapshot {
        Some(handle) => handle
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the reading thread failed")))
            .map_err(read_error)?,
        None => crate::tree::snapshot(to.out).map_err(read_error)?,
    };
    let changes = crate::tree::check(tree, old, &disk);
    drop_in_background(disk);
    let out_rel = to.out_rel;
    for c in &changes {
        match c {
            crate::tree::Change::Missing(p) => text.push_str(&format!("missing: {out_rel}/{p}\n")),
            crate::tree::Change::Extra(p) => text.push_str(&format!(
                "extra: {out_rel}/{p} (render would remove it, or it was not written by sparkc)\n"
            )),
            crate::tree::Change::Changed(p, diff) => {
                text.push_str(&format!("changed: {out_rel}/{p}\n"));
                text.push_str(diff);
            }
        }
    }
    if changes.is_empty() {
        if !cfg.quiet {
            text.push_str(&format!(
                "ok: {out_rel} is up to date ({} files)\n",
                tree.files.len()
            ));
        }
        return Ok(Outcome {
            stdout: text,
            ..Outcome::default()
        });
    }
    text.push_str(&format!(
        "error: {out_rel} differs from the specs in {} file{}: run `sparkc render` and commit the result\n",
        changes.len(),
        plural(changes.len())
    ));
    Ok(Outcome {
        stdout: text,
        stderr: String::new(),
        exit: Exit::Findings,
    })
}

/// `render`: writes the tree (linking the files that did not change) and says what it did.
fn write_tree(
    cfg: &Config,
    to: &TreeOut<'_>,
    tree: &crate::tree::Tree,
    snapshot: Option<Snapshot>,
    mut text: String,
) -> Result<Outcome, Error> {
    // A tree that cannot be read is simply written in full.
    let previous = snapshot.and_then(|h| h.join().ok()).and_then(Result::ok);
    let written =
        crate::tree::write(to.out, tree, previous.as_ref()).map_err(|source| Error::Write {
            path: to.out.to_path_buf(),
            source,
        })?;
    drop_in_background(previous);
    let (units, out_rel) = (tree.units.len(), to.out_rel);
    if !cfg.quiet && written.files == 0 && written.unchanged > 0 {
        text.push_str(&format!(
            "{out_rel} is up to date ({} files in {units} unit{}); nothing written\n",
            written.unchanged,
            plural(units)
        ));
    } else if !cfg.quiet {
        text.push_str(&format!(
            "wrote {} files in {} unit{} to {}{}{}\n",
            written.files,
            units,
            plural(units),
            out_rel,
            if written.removed > 0 {
                format!(", removed {} stale", written.removed)
            } else {
                String::new()
            },
            if written.kept_foreign > 0 {
                format!(", kept {} not written by sparkc", written.kept_foreign)
            } else {
                String::new()
            },
        ));
    }
    Ok(Outcome {
        stdout: text,
        ..Outcome::default()
    })
}

/// The output folder: `-o`, else the project's `output`, else `deploy`. It may not be the
/// project folder, one of its ancestors, or a folder holding the specs.
fn output_folder(
    cfg: &Config,
    project: Option<&crate::project::spec::Project>,
    output: Option<&std::path::Path>,
) -> Result<(String, PathBuf), Error> {
    let rel = output
        .map(std::path::Path::to_path_buf)
        .or_else(|| project.and_then(|p| p.output.clone()).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("deploy"));
    let out = if rel.is_absolute() {
        rel.clone()
    } else {
        cfg.root.join(&rel)
    };
    let canonical_root = std::fs::canonicalize(&cfg.root).map_err(|source| Error::Read {
        path: cfg.root.clone(),
        source,
    })?;
    // The folder may not exist yet: resolve its existing ancestor.
    let mut probe = out.clone();
    let mut tail = Vec::new();
    while !probe.exists() {
        match (
            probe.file_name().map(std::ffi::OsStr::to_owned),
            probe.parent(),
        ) {
            (Some(name), Some(parent)) => {
                tail.push(name);
                probe = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut resolved = std::fs::canonicalize(&probe).unwrap_or(probe);
    for part in tail.iter().rev() {
        if part == ".." {
            resolved.pop();
        } else if part != "." {
            resolved.push(part);
        }
    }
    if canonical_root.starts_with(&resolved) {
        return Err(Error::Usage(format!(
            "the output folder {} is the project folder or contains it; render writes (and removes) files there",
            rel.display()
        )));
    }
    let jobs = project
        .and_then(|p| p.jobs.clone())
        .unwrap_or_else(|| vec!["jobs".to_owned()]);
    for j in jobs {
        let jobs_dir = canonical_root.join(&j);
        if jobs_dir.starts_with(&resolved) || resolved.starts_with(&jobs_dir) {
            return Err(Error::Usage(format!(
                "the output folder {} overlaps the job folder {j}",
                rel.display()
            )));
        }
    }
    let display = if rel.is_absolute() {
        rel.display().to_string()
    } else {
        workspace::display_path(std::path::Path::new(""), &rel)
    };
    Ok((display, resolved))
}
