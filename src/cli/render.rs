//! `sparkc render`: the YAML stream, the tree on disk, or the check of the tree, and the
//! rule of where the tree may go.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::path::PathBuf;

use crate::cache::{self, Cache};
use crate::diagnostic::{self, Format};
use crate::error::Error;
use crate::project::validate::{FileWork, JobRef, Report};
use crate::{pipeline, project::workspace, render, tree};

use super::present::{plural, stopped_outcome};
use super::{Config, Exit, Outcome, drop_in_background};

/// How a render to the tree runs.
#[derive(Debug, Clone, Copy)]
pub(super) struct Mode {
    /// Compare with the tree instead of writing it.
    pub check: bool,
    /// Use and update the render cache.
    pub cache: bool,
}

/// `sparkc render`: the YAML stream, the tree on disk, or the check of the tree.
pub(super) fn render_command(
    cfg: &Config,
    env: Option<&str>,
    stdout: bool,
    output: Option<&std::path::Path>,
    mode: Mode,
) -> Result<Outcome, Error> {
    let ws = workspace::load(&cfg.root, &[])?;
    if stdout {
        return match pipeline::compile_loaded(ws, &cfg.root, env, false) {
            Ok(compiled) => Ok(stream(cfg, &compiled)),
            Err(stopped) => stopped_outcome(cfg, stopped),
        };
    }
    let cache = if mode.cache {
        Cache::load(&ws, env)
    } else {
        None
    };
    let reuse = |f: &workspace::JobFile, text: &str| cache.as_ref()?.reused(&f.display, text);
    let validated = if cache.is_some() {
        pipeline::validated_reusing(ws, env, &reuse)
    } else {
        pipeline::validated(ws, env, crate::project::validate::Keep::Refs)
    };
    let pipeline::Validated {
        workspace: ws,
        mut report,
        mut warnings,
    } = match validated {
        Ok(v) => v,
        Err(stopped) => return stopped_outcome(cfg, stopped),
    };
    let project = ws.project.as_ref().map(|p| &p.project);
    let (out_rel, out) = output_folder(cfg, project, output)?;
    let settings = tree::Settings::from_project(project, &out_rel);
    let old = tree::Marker::load(&out);
    let mut layout = tree::layout(&report.refs, old.as_ref());
    if !layout.diagnostics.is_empty() {
        return findings(cfg, std::mem::take(&mut layout.diagnostics), &report);
    }
    // A one-environment render keeps the files of the others.
    let kept = match (env, old.as_ref()) {
        (Some(env), Some(old)) => tree::other_environments(old, &out, env, &mut layout),
        _ => Vec::new(),
    };
    let renderer = pipeline::renderer(&cfg.root, project)?;
    let job = Render {
        workspace: &ws,
        env,
        renderer: &renderer,
        report: &report,
        layout: &layout,
        settings: &settings,
        kept: &kept,
        out: &out,
        out_rel: &out_rel,
        cache: cache.as_ref(),
    };
    let (outcome, pass) = if mode.check {
        check_tree(cfg, &job, old.as_ref(), &mut warnings)?
    } else {
        write_tree(cfg, &job, &mut warnings)?
    };
    if let (Some(cache), Some(pass)) = (cache, pass) {
        // The references are not needed after this: the records take them over.
        let refs = std::mem::take(&mut report.refs);
        cache.store(learnt(refs, &report, pass));
    }
    drop_in_background((report, ws));
    Ok(outcome)
}

/// What a render to the tree works from.
struct Render<'a> {
    workspace: &'a workspace::Workspace,
    env: Option<&'a str>,
    renderer: &'a render::Renderer,
    report: &'a crate::project::validate::Report,
    layout: &'a tree::Layout,
    settings: &'a tree::Settings,
    /// Files of other environments that a one-environment render keeps.
    kept: &'a [String],
    out: &'a std::path::Path,
    out_rel: &'a str,
    cache: Option<&'a Cache>,
}

/// What a render learnt for the cache: per job file, its record.
type Learnt = BTreeMap<String, cache::Entry>;

/// The records of the cache from a render's: every job file whose findings validation
/// told (and with no GitOps warning, which the second pass makes), the digest of its text,
/// its jobs and its findings. It takes the references and the records over (at 100,000
/// jobs, copying them is a tenth of a second and more heap).
fn learnt(refs: Vec<JobRef>, report: &Report, pass: Pass) -> Learnt {
    let Some(by_file) = &report.by_file else {
        return Learnt::new();
    };
    let Pass {
        records,
        mut digests,
        noisy,
    } = pass;
    let mut files = Learnt::new();
    for (r, jr) in records.into_iter().zip(refs) {
        if noisy.contains(&jr.file) {
            continue;
        }
        let Some((documents, findings)) = by_file.get(&jr.file) else {
            continue;
        };
        let e = match files.entry(jr.file.clone()) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(v) => {
                let Some(digest) = digests.remove(&jr.file) else {
                    continue;
                };
                v.insert(cache::Entry {
                    digest,
                    documents: *documents,
                    jobs: Vec::new(),
                    findings: findings.iter().map(cache::Finding::from).collect(),
                })
            }
        };
        e.jobs.push(cache::CachedJob {
            job: jr,
            objects: r.objects,
            namespaces: r.namespaces.into_iter().collect(),
            watched: r.watched,
            output: r.output,
        });
    }
    files
}

/// Findings that stop a render before anything is written.
fn findings(
    cfg: &Config,
    mut diags: Vec<diagnostic::Diagnostic>,
    report: &crate::project::validate::Report,
) -> Result<Outcome, Error> {
    diagnostic::sort_dedup(&mut diags);
    stopped_outcome(
        cfg,
        pipeline::Stopped::Findings {
            rendering: true,
            diagnostics: diags,
            sources: report.sources.clone(),
            files: report.files,
        },
    )
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

/// What the second pass of a render gives: a record per job (by its index in the layout),
/// the digest of each job file's text, and the files whose jobs had GitOps warnings.
struct Pass {
    records: Vec<tree::Record>,
    digests: HashMap<String, String>,
    noisy: BTreeSet<String>,
}

/// The second pass of a render to the tree: every job read again, rendered and handed to
/// `put` with its file's path and text on the worker that built it. A job file the cache
/// knows is not rendered when `holds` says the tree has each of its jobs' files as
/// recorded. Jobs that cannot be rendered are the error's findings; the warnings about
/// GitOps are added to `warnings`.
fn each_job(
    job: &Render<'_>,
    put: impl Fn(&str, &str) -> io::Result<tree::FileState> + Sync,
    holds: impl Fn(&str, &str) -> bool + Sync,
    warnings: &mut Vec<diagnostic::Diagnostic>,
) -> Result<Result<Pass, Vec<diagnostic::Diagnostic>>, Error> {
    let index: HashMap<(&str, &str, &str), usize> = job
        .report
        .refs
        .iter()
        .enumerate()
        .map(|(i, r)| ((r.env.as_str(), r.namespace.as_str(), r.name.as_str()), i))
        .collect();
    let place = |env: &str, namespace: &str, name: &str| {
        index
            .get(&(env, namespace, name))
            .copied()
            .ok_or_else(|| io::Error::other(format!("job {name} changed while rendering")))
    };
    // A file the cache knows, with every job's file in the tree as recorded: its records
    // come from the cache. Any other file is rendered, and its digest kept for the cache.
    let reused = |f: &workspace::JobFile, digest: &str| {
        let entry = job.cache?.lookup(&f.display, digest)?;
        let mut out = Vec::with_capacity(entry.jobs.len());
        for cj in &entry.jobs {
            let i = place(&cj.job.env, &cj.job.namespace, &cj.job.name).ok()?;
            if !holds(&job.layout.paths[i], &cj.output) {
                return None;
            }
            let record = tree::Record {
                objects: cj.objects,
                namespaces: cj.namespaces.iter().cloned().collect(),
                watched: cj.watched.clone(),
                state: tree::FileState::Same,
                output: cj.output.clone(),
            };
            out.push((i, Ok(record), None, entry.digest.clone()));
        }
        Some(out)
    };
    let file = |f: &workspace::JobFile, text: &str| {
        if job.cache.is_none() {
            return FileWork::Jobs(String::new());
        }
        let digest = cache::digest(text.as_bytes());
        reused(f, &digest).map_or(FileWork::Jobs(digest), FileWork::Done)
    };
    let results = crate::project::validate::each_job(
        job.workspace,
        job.env,
        &job.report.checked,
        file,
        |j, digest| {
            let i = place(&j.env, &j.namespace, &j.name)?;
            let warning = crate::gitops::warning(&j, job.settings);
            let manifests = match job.renderer.render_text(&j) {
                Ok(m) => m,
                Err(d) => return Ok((i, Err(d), warning, digest.clone())),
            };
            let (file, mut record) = tree::job_file(manifests);
            record.state = put(&job.layout.paths[i], &file)?;
            Ok((i, Ok(record), warning, digest.clone()))
        },
    )?;
    let mut records: Vec<Option<tree::Record>> = vec![None; job.report.refs.len()];
    let mut failed = Vec::new();
    let mut digests = HashMap::new();
    let mut noisy = BTreeSet::new();
    for (i, r, warning, digest) in results {
        let file = &job.report.refs[i].file;
        if let Some(w) = warning {
            noisy.insert(file.clone());
            warnings.push(w);
        }
        if !digest.is_empty() {
            digests.insert(file.clone(), digest);
        }
        match r {
            Ok(r) => records[i] = Some(r),
            Err(d) => failed.push(*d),
        }
    }
    if !failed.is_empty() {
        return Ok(Err(failed));
    }
    let records = records
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| Error::Usage("a job file changed while rendering: run again".to_owned()))?;
    Ok(Ok(Pass {
        records,
        digests,
        noisy,
    }))
}

/// The warnings of a render, as text (none with `-q`).
fn warnings_text(
    cfg: &Config,
    warnings: &mut Vec<diagnostic::Diagnostic>,
    report: &crate::project::validate::Report,
) -> String {
    if warnings.is_empty() || cfg.quiet {
        return String::new();
    }
    diagnostic::sort_dedup(warnings);
    diagnostic::render(warnings, &report.sources, cfg.format, cfg.color)
}

/// `render --check`: every difference between the tree on disk and the render. Each job's
/// file is compared as soon as it is rendered.
fn check_tree(
    cfg: &Config,
    job: &Render<'_>,
    old: Option<&tree::Marker>,
    warnings: &mut Vec<diagnostic::Diagnostic>,
) -> Result<(Outcome, Option<Pass>), Error> {
    let read_error = |source| Error::Read {
        path: job.out.to_path_buf(),
        source,
    };
    let pass = match each_job(
        job,
        |path, file| Ok(tree::compare(job.out, path, file)),
        |path, digest| tree::holds(job.out, path, digest),
        warnings,
    )? {
        Ok(p) => p,
        Err(d) => return Ok((findings(cfg, d, job.report)?, None)),
    };
    let records = &pass.records;
    let mut text = warnings_text(cfg, warnings, job.report);
    let mut rest = tree::rest(job.layout, records, job.settings);
    if !rest.diagnostics.is_empty() {
        let diags = std::mem::take(&mut rest.diagnostics);
        return Ok((findings(cfg, diags, job.report)?, None));
    }
    let changes =
        tree::check(job.out, job.layout, records, &rest, job.kept, old).map_err(read_error)?;
    let out_rel = job.out_rel;
    for c in &changes {
        match c {
            tree::Change::Missing(p) => text.push_str(&format!("missing: {out_rel}/{p}\n")),
            tree::Change::Extra(p) => text.push_str(&format!(
                "extra: {out_rel}/{p} (render would remove it, or it was not written by sparkc)\n"
            )),
            tree::Change::Changed(p, diff) => {
                text.push_str(&format!("changed: {out_rel}/{p}\n"));
                text.push_str(diff);
            }
        }
    }
    if changes.is_empty() {
        if !cfg.quiet {
            text.push_str(&format!(
                "ok: {out_rel} is up to date ({} files)\n",
                rest.marker.files.len() + job.kept.len()
            ));
        }
        let outcome = Outcome {
            stdout: text,
            ..Outcome::default()
        };
        return Ok((outcome, Some(pass)));
    }
    text.push_str(&format!(
        "error: {out_rel} differs from the specs in {} file{}: run `sparkc render` and commit the result\n",
        changes.len(),
        plural(changes.len())
    ));
    let outcome = Outcome {
        stdout: text,
        stderr: String::new(),
        exit: Exit::Findings,
    };
    Ok((outcome, Some(pass)))
}

/// `render`: writes the tree (each job's file as soon as it is rendered, linking the files
/// that did not change) and says what it did.
fn write_tree(
    cfg: &Config,
    job: &Render<'_>,
    warnings: &mut Vec<diagnostic::Diagnostic>,
) -> Result<(Outcome, Option<Pass>), Error> {
    let write_error = |source| Error::Write {
        path: job.out.to_path_buf(),
        source,
    };
    let mut planned = tree::rest_paths(job.layout, job.settings);
    planned.extend(job.layout.paths.iter().cloned());
    planned.extend(job.kept.iter().cloned());
    let staging = tree::Staging::begin(job.out, &planned).map_err(write_error)?;
    let pass = match each_job(
        job,
        |path, file| staging.put(path, file),
        |path, digest| staging.holds(path, digest),
        warnings,
    ) {
        Ok(Ok(p)) => p,
        Ok(Err(d)) => {
            staging.abandon().map_err(write_error)?;
            return Ok((findings(cfg, d, job.report)?, None));
        }
        Err(e) => {
            staging.abandon().map_err(write_error)?;
            return Err(e);
        }
    };
    let mut text = warnings_text(cfg, warnings, job.report);
    let records = &pass.records;
    let mut rest = tree::rest(job.layout, records, job.settings);
    if !rest.diagnostics.is_empty() {
        staging.abandon().map_err(write_error)?;
        let diags = std::mem::take(&mut rest.diagnostics);
        return Ok((findings(cfg, diags, job.report)?, None));
    }
    let states: Vec<(&str, &tree::FileState)> = records
        .iter()
        .enumerate()
        .map(|(i, r)| (job.layout.paths[i].as_str(), &r.state))
        .collect();
    let written = staging
        .finish(&rest, &states, job.kept)
        .map_err(write_error)?;
    let (units, out_rel) = (rest.units.len(), job.out_rel);
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
    let outcome = Outcome {
        stdout: text,
        ..Outcome::default()
    };
    Ok((outcome, Some(pass)))
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
