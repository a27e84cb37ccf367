//! Arguments → command → outcome → output and exit code. The one place that prints.

use std::ffi::OsString;
use std::io::{self, Write as _};
use std::path::PathBuf;

use clap::{CommandFactory as _, Parser as _};

use crate::cli::{Arguments, ColorWhen, Command};
use crate::diagnostic::{self, Diagnostic, Format, Summary};
use crate::error::Error;
use crate::schema::{self, Kind};
use crate::validate::{self, Report};
use crate::{init, pipeline, render, workspace};

/// Settings every command shares, resolved from the arguments and the environment.
#[derive(Debug, Clone)]
pub struct Config {
    pub root: PathBuf,
    pub format: Format,
    pub color: bool,
    pub quiet: bool,
    pub verbose: bool,
}

/// How a command ended. The one mapping to exit codes: 0 success (and no differences), 1
/// findings in the specs (or differences: `render --check`, `diff`), 2 an operational error.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Exit {
    #[default]
    Ok,
    /// Findings in the inputs, or differences found.
    Findings,
    /// Something outside the inputs failed (usage, files, the cluster).
    Error,
}

impl Exit {
    /// The process exit code.
    pub const fn code(self) -> i32 {
        match self {
            Exit::Ok => 0,
            Exit::Findings => 1,
            Exit::Error => 2,
        }
    }

    /// `Findings` when `failed`, else `Ok`.
    pub const fn findings_if(failed: bool) -> Exit {
        if failed { Exit::Findings } else { Exit::Ok }
    }
}

/// What a command produced: text for stdout and stderr, and how it ended.
#[derive(Debug, Default)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub exit: Exit,
}

/// Runs sparkc with these arguments and returns the exit code.
pub fn run<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args = match Arguments::try_parse_from(args) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                Exit::Error.code()
            } else {
                Exit::Ok.code()
            };
        }
    };
    let outcome = match execute(&args) {
        Ok(o) => o,
        Err(e) => Outcome {
            stderr: format!("error: {e}\n"),
            exit: Exit::Error,
            ..Outcome::default()
        },
    };
    let mut stdout = io::stdout().lock();
    let written = stdout
        .write_all(outcome.stdout.as_bytes())
        .and_then(|()| stdout.flush());
    let _ = io::stderr().write_all(outcome.stderr.as_bytes());
    match written {
        // A closed pipe (`sparkc schema | head`) is not an error worth reporting.
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            let _ = writeln!(io::stderr(), "error: cannot write the output: {e}");
            Exit::Error.code()
        }
        _ => outcome.exit.code(),
    }
}

fn config(args: &Arguments) -> Result<Config, Error> {
    let root = match &args.directory {
        Some(d) => {
            if !d.is_dir() {
                return Err(Error::Usage(format!("-C {}: no such folder", d.display())));
            }
            d.clone()
        }
        None => PathBuf::from("."),
    };
    let color = match args.color {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            anstream::AutoStream::choice(&io::stdout()) != anstream::ColorChoice::Never
        }
    };
    Ok(Config {
        root,
        format: args.format,
        color,
        quiet: args.quiet,
        verbose: args.verbose,
    })
}

/// Executes the command and returns its outcome (nothing is printed here).
pub fn execute(args: &Arguments) -> Result<Outcome, Error> {
    let cfg = config(args)?;
    match &args.command {
        Command::Init { dir } => {
            let dir = dir
                .as_ref()
                .map_or_else(|| cfg.root.clone(), |d| cfg.root.join(d));
            let written = init::init(&dir)?;
            let mut out = String::new();
            if !cfg.quiet {
                for f in &written {
                    out.push_str(&format!("wrote {}\n", dir.join(f).display()));
                }
                out.push_str("next: sparkc validate\n");
            }
            Ok(Outcome {
                stdout: out,
                ..Outcome::default()
            })
        }
        Command::Validate { paths, env } => {
            let (_, report) =
                pipeline::check(&cfg.root, paths, env.as_deref(), validate::Keep::Refs)?;
            Ok(validate_outcome(&cfg, &report, &report.sources))
        }
        Command::Render {
            env,
            stdout,
            output,
            check,
        } => render_command(&cfg, env.as_deref(), *stdout, output.as_deref(), *check),
        Command::Diff {
            env,
            live,
            base,
            cluster,
            context,
            kubeconfig,
            timeout,
        } => {
            let cluster = (*cluster || context.is_some() || kubeconfig.is_some()).then(|| {
                crate::cluster::Options {
                    kubeconfig: kubeconfig.clone(),
                    context: context.clone(),
                    timeout: std::time::Duration::from_secs(*timeout),
                }
            });
            diff_command(
                &cfg,
                env.as_deref(),
                live,
                base.as_deref(),
                cluster.as_ref(),
            )
        }
        Command::SubmitCommand { job, env, master } => {
            let ws = workspace::load(&cfg.root, &[])?;
            let envs = ws.environments();
            let env = match (env, envs.as_slice()) {
                (Some(e), _) => e.clone(),
                (None, [only]) => only.clone(),
                (None, _) => {
                    return Err(Error::Usage(format!(
                        "the project has several environments ({}): choose one with --env",
                        envs.join(", ")
                    )));
                }
            };
            let compiled = match pipeline::compile_loaded(ws, &cfg.root, Some(&env), false) {
                Ok(c) => c,
                Err(stopped) => return stopped_outcome(&cfg, stopped),
            };
            let jobs = &compiled.report.jobs;
            let Some(found) = jobs.iter().find(|j| &j.name == job) else {
                let names: Vec<String> = jobs.iter().map(|j| j.name.clone()).collect();
                let hint = schema::suggest(job, &names)
                    .map_or_else(String::new, |s| format!(" (did you mean `{s}`?)"));
                return Err(Error::Usage(format!(
                    "there is no job `{job}` in environment `{env}`{hint}"
                )));
            };
            let proxy = master.is_none();
            let master = master
                .clone()
                .unwrap_or_else(|| "k8s://http://127.0.0.1:8001".to_owned());
            let (args, lost) = crate::spark::submit::cluster_submit(found, &master);
            let mut out = format!(
                "# Cluster-mode run of `{}` (environment {env}, namespace {}).\n",
                found.name, found.namespace
            );
            if proxy {
                out.push_str("# Start `kubectl proxy` first (it listens on 127.0.0.1:8001), or pass --master k8s://https://HOST:PORT.\n");
            }
            if found.spec.service_account.is_none() {
                let sa =
                    crate::names::Names::new(&found.name, &found.namespace, "").service_account;
                out.push_str(&format!("# The driver runs as `{sa}`: apply the rendered ServiceAccount, Role and RoleBinding first.\n"));
            }
            for l in &lost {
                out.push_str(&format!("# Not carried over: {l}.\n"));
            }
            let quoted: Vec<String> = args
                .iter()
                .map(|a| shlex::try_quote(a).map_or_else(|_| a.clone(), |q| q.into_owned()))
                .collect();
            let mut line = String::new();
            let mut i = 0;
            while i < quoted.len() {
                let tok = &quoted[i];
                let pair = tok.starts_with("--")
                    && i + 1 < quoted.len()
                    && !quoted[i + 1].starts_with("--");
                if i > 0 {
                    line.push_str(" \\\n  ");
                }
                line.push_str(tok);
                if pair && i > 0 {
                    line.push(' ');
                    line.push_str(&quoted[i + 1]);
                    i += 1;
                }
                i += 1;
            }
            out.push_str(&line);
            out.push('\n');
            Ok(Outcome {
                stdout: out,
                ..Outcome::default()
            })
        }
        Command::Import {
            files,
            from_submit,
            output,
        } => import(&cfg, files, *from_submit, output.as_deref()),
        Command::Templates { action } => templates(&cfg, action),
        Command::Schema { project } => {
            let kind = if *project {
                Kind::Project
            } else {
                Kind::SparkJob
            };
            Ok(Outcome {
                stdout: schema::schema_text(kind),
                ..Outcome::default()
            })
        }
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(*shell, &mut Arguments::command(), "sparkc", &mut buf);
            Ok(Outcome {
                stdout: String::from_utf8_lossy(&buf).into_owned(),
                ..Outcome::default()
            })
        }
    }
}

/// Renders a validation report: diagnostics, then a summary line (human format).
pub fn validate_outcome(cfg: &Config, report: &Report, sources: &diagnostic::Sources) -> Outcome {
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
fn failure_summary(cfg: &Config, diagnostics: &[Diagnostic], files: usize) -> String {
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
fn stopped_outcome(cfg: &Config, stopped: pipeline::Stopped) -> Result<Outcome, Error> {
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

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn import(
    cfg: &Config,
    files: &[PathBuf],
    from_submit: bool,
    output: Option<&std::path::Path>,
) -> Result<Outcome, Error> {
    use std::io::Read as _;
    let mut jobs = Vec::new();
    let mut diags = Vec::new();
    let mut sources = diagnostic::Sources::new();
    for f in files {
        let (display, text) = if f.as_os_str() == "-" {
            let mut text = String::new();
            io::stdin()
                .read_to_string(&mut text)
                .map_err(|source| Error::Read {
                    path: f.clone(),
                    source,
                })?;
            ("<stdin>".to_owned(), text)
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
    if let Some(dir) = output {
        let dir = cfg.root.join(dir);
        std::fs::create_dir_all(&dir).map_err(|source| Error::Write {
            path: dir.clone(),
            source,
        })?;
        for job in &jobs {
            if !crate::rules::is_dns1035(&job.name) {
                diags.push(
                    Diagnostic::error("import", &job.source, None)
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
            if !cfg.quiet {
                stdout.push_str(&format!("wrote {}\n", path.display()));
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
    diagnostic::sort_dedup(&mut diags);
    let stderr = diagnostic::render(
        &diags,
        &sources,
        if cfg.format == Format::Json {
            Format::Json
        } else {
            cfg.format
        },
        cfg.color,
    );
    // Anything not carried over (or unreadable) fails the import; skipping other kinds does not.
    let failed = jobs.is_empty() || diags.iter().any(|d| d.code != "import-skipped");
    Ok(Outcome {
        stdout,
        stderr,
        exit: Exit::findings_if(failed),
    })
}

/// `sparkc templates list|export`.
fn templates(cfg: &Config, action: &crate::cli::TemplatesAction) -> Result<Outcome, Error> {
    let builtin = crate::target::all_templates();
    let mut stdout = String::new();
    match action {
        crate::cli::TemplatesAction::List => {
            for (name, _) in &builtin {
                stdout.push_str(name);
                stdout.push('\n');
            }
        }
        crate::cli::TemplatesAction::Export { dir } => {
            let root = cfg.root.join(dir);
            for (name, _) in &builtin {
                let path = root.join(name);
                if path.exists() {
                    return Err(Error::Usage(format!(
                        "{} already exists; sparkc templates export does not overwrite files",
                        path.display()
                    )));
                }
            }
            for (name, source) in &builtin {
                let path = root.join(name);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(|source| Error::Write {
                        path: parent.to_path_buf(),
                        source,
                    })?;
                }
                std::fs::write(&path, source).map_err(|source| Error::Write {
                    path: path.clone(),
                    source,
                })?;
            }
            if !cfg.quiet {
                stdout.push_str(&format!(
                    "wrote {} templates to {}\nnext: set `templates: {}` in sparkc.yaml, and keep only the files you change (docs/templates.md lists what each receives)\n",
                    builtin.len(),
                    root.display(),
                    dir.display()
                ));
            }
        }
    }
    Ok(Outcome {
        stdout,
        ..Outcome::default()
    })
}

/// `sparkc render`: the YAML stream, the tree on disk, or the check of the tree.
#[allow(clippy::too_many_lines)]
fn render_command(
    cfg: &Config,
    env: Option<&str>,
    stdout: bool,
    output: Option<&std::path::Path>,
    check: bool,
) -> Result<Outcome, Error> {
    let ws = workspace::load(&cfg.root, &[])?;
    // The tree on disk is read on its own thread while the specs are validated and rendered:
    // `--check` compares with it, a write links the files that do not change.
    let snapshot = if !stdout {
        let (_, out) = output_folder(cfg, ws.project.as_ref().map(|p| &p.project), output)?;
        Some(std::thread::spawn(move || crate::tree::snapshot(&out)))
    } else {
        None
    };
    let compiled = match pipeline::compile_loaded(ws, &cfg.root, env, false) {
        Ok(c) => c,
        Err(stopped) => return stopped_outcome(cfg, stopped),
    };
    let pipeline::Compiled {
        workspace: ws,
        report,
        manifests,
        mut warnings,
    } = compiled;
    let project = ws.project.as_ref().map(|p| &p.project);
    let mut diags = Vec::new();
    let fail = |mut diags: Vec<Diagnostic>| {
        diagnostic::sort_dedup(&mut diags);
        Ok(Outcome {
            stdout: diagnostic::render(&diags, &report.sources, cfg.format, cfg.color),
            stderr: String::new(),
            exit: Exit::Findings,
        })
    };
    if stdout {
        let stderr = if warnings.is_empty() || cfg.quiet {
            String::new()
        } else {
            diagnostic::render(&warnings, &report.sources, Format::Human, cfg.color)
        };
        return Ok(Outcome {
            stdout: render::stream(&manifests),
            stderr,
            exit: Exit::Ok,
        });
    }
    let (out_rel, out) = output_folder(cfg, project, output)?;
    let settings = crate::tree::Settings::from_project(project, &out_rel);
    warnings.extend(crate::tree::gitops_warnings(&report.jobs, &settings));
    let old = crate::tree::Marker::load(&out);
    let mut tree = crate::tree::plan(manifests, &settings, old.as_ref());
    if !tree.diagnostics.is_empty() {
        diags.append(&mut tree.diagnostics);
        return fail(diags);
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
    if check {
        let read_error = |source| Error::Read {
            path: out.clone(),
            source,
        };
        let disk = match snapshot {
            Some(handle) => handle
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the reading thread failed")))
                .map_err(read_error)?,
            None => crate::tree::snapshot(&out).map_err(read_error)?,
        };
        let changes = crate::tree::check(&tree, old.as_ref(), &disk);
        drop_in_background(disk);
        for c in &changes {
            match c {
                crate::tree::Change::Missing(p) => {
                    text.push_str(&format!("missing: {}/{p}\n", out_rel))
                }
                crate::tree::Change::Extra(p) => text.push_str(&format!(
                    "extra: {}/{p} (render would remove it, or it was not written by sparkc)\n",
                    out_rel
                )),
                crate::tree::Change::Changed(p, diff) => {
                    text.push_str(&format!("changed: {}/{p}\n", out_rel));
                    text.push_str(diff);
                }
            }
        }
        let files = tree.files.len();
        drop_in_background((tree, report, ws));
        if changes.is_empty() {
            if !cfg.quiet {
                text.push_str(&format!(
                    "ok: {} is up to date ({} files)\n",
                    out_rel, files
                ));
            }
            return Ok(Outcome {
                stdout: text,
                ..Outcome::default()
            });
        }
        text.push_str(&format!(
            "error: {} differs from the specs in {} file{}: run `sparkc render` and commit the result\n",
            out_rel,
            changes.len(),
            plural(changes.len())
        ));
        return Ok(Outcome {
            stdout: text,
            stderr: String::new(),
            exit: Exit::Findings,
        });
    }
    // A tree that cannot be read is simply written in full.
    let previous = snapshot.and_then(|h| h.join().ok()).and_then(Result::ok);
    let written =
        crate::tree::write(&out, &tree, previous.as_ref()).map_err(|source| Error::Write {
            path: out.clone(),
            source,
        })?;
    drop_in_background(previous);
    let units = tree.units.len();
    drop_in_background((tree, report, ws));
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
    project: Option<&crate::spec::Project>,
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

/// `sparkc diff --live`: the render against a dump of live objects.
fn diff_command(
    cfg: &Config,
    env: Option<&str>,
    live: &[PathBuf],
    base: Option<&str>,
    cluster: Option<&crate::cluster::Options>,
) -> Result<Outcome, Error> {
    use std::io::Read as _;
    let mut objects = Vec::new();
    for f in live {
        let text = if f.as_os_str() == "-" {
            let mut t = String::new();
            io::stdin()
                .read_to_string(&mut t)
                .map_err(|source| Error::Read {
                    path: f.clone(),
                    source,
                })?;
            t
        } else {
            let path = cfg.root.join(f);
            std::fs::read_to_string(&path).map_err(|source| Error::Read {
                path: path.clone(),
                source,
            })?
        };
        let parsed = crate::diff::parse_live(&text)
            .map_err(|m| Error::Usage(format!("{}: {m}", f.display())))?;
        objects.extend(parsed);
    }
    let compiled = match pipeline::compile(&cfg.root, env, true) {
        Ok(c) => c,
        Err(stopped) => return stopped_outcome(cfg, stopped),
    };
    let project = compiled.project().cloned();
    let mut manifests = compiled.manifests;
    let mut failed = Vec::new();
    if let Some(options) = cluster {
        let lists = cluster_lists(project.as_ref(), env, &manifests);
        let fetched = crate::cluster::fetch(options, lists)?;
        objects.extend(fetched.objects);
        failed = fetched.failed;
        // What could not be read is left out of the comparison (its objects would show as
        // created); the rest is still shown, then the errors (exit 2).
        manifests.retain(|m| {
            let group = m.api_version.rsplit_once('/').map_or("", |(g, _)| g);
            !failed
                .iter()
                .any(|(t, _)| t.group == group && t.kind == m.kind && t.namespace == m.namespace)
        });
    }
    let _base_checkout;
    if let Some(reference) = base {
        let (dir, root) = crate::gitref::checkout(&cfg.root, reference)?;
        _base_checkout = dir;
        match pipeline::compile(&root, env, true) {
            Ok(c) => objects = c.manifests.into_iter().map(|m| m.value).collect(),
            Err(stopped) => {
                let mut outcome = stopped_outcome(cfg, stopped)?;
                outcome.stdout = format!(
                    "error: the project at {reference} does not render:\n{}",
                    outcome.stdout
                );
                return Ok(outcome);
            }
        }
    }
    // With one environment chosen, live objects of the others are not ours to delete.
    if let Some(env) = env {
        objects.retain(|o| {
            o.pointer("/metadata/labels")
                .and_then(|l| l.get(crate::names::LABEL_ENV))
                .and_then(serde_json::Value::as_str)
                .is_none_or(|e| e == env)
        });
    }
    let diff = crate::diff::compare(&manifests, &objects);
    let mut exit = Exit::findings_if(diff.differs());
    let mut stderr = String::new();
    for (_, e) in &failed {
        stderr.push_str(&format!("error: {e}\n"));
        exit = Exit::Error;
    }
    if !failed.is_empty() {
        stderr.push_str(&format!(
            "note: {} list{} could not be read; {} objects are left out of the comparison\n",
            failed.len(),
            plural(failed.len()),
            if failed.len() == 1 { "its" } else { "their" }
        ));
    }
    let stdout = if cfg.format == Format::Json {
        let mut s = serde_json::to_string_pretty(&diff).unwrap_or_default();
        s.push('\n');
        s
    } else {
        let mut s = format!(
            "{} created, {} changed, {} deleted, {} unchanged\n",
            diff.summary["created"],
            diff.summary["changed"],
            diff.summary["deleted"],
            diff.summary["unchanged"]
        );
        for r in diff
            .resources
            .iter()
            .filter(|r| r.action != crate::diff::Action::Unchanged)
        {
            let action = serde_json::to_value(r.action).unwrap_or_default();
            let effect = match r.effect {
                Some(crate::diff::Effect::Replace) => {
                    " (replace: Kubernetes cannot patch this in place; the object is deleted and created again)"
                }
                Some(crate::diff::Effect::Rerun) => {
                    " (rerun: the Spark operator kills the application and runs it again)"
                }
                None => "",
            };
            s.push_str(&format!(
                "\n{}/{}/{} {}{effect}\n",
                r.kind,
                r.namespace,
                r.name,
                action.as_str().unwrap_or_default()
            ));
            for line in r.diff.lines() {
                let colored = match line.chars().next() {
                    Some('+') if cfg.color && !line.starts_with("+++") => {
                        format!("\x1b[32m{line}\x1b[0m")
                    }
                    Some('-') if cfg.color && !line.starts_with("---") => {
                        format!("\x1b[31m{line}\x1b[0m")
                    }
                    _ => line.to_owned(),
                };
                s.push_str(&colored);
                s.push('\n');
            }
        }
        s
    };
    Ok(Outcome {
        stdout,
        stderr,
        exit,
    })
}

/// The lists that `diff --cluster` makes: the namespaces of the chosen environments (and of
/// the render), every kind sparkc renders.
fn cluster_lists(
    project: Option<&crate::spec::Project>,
    env: Option<&str>,
    manifests: &[render::Manifest],
) -> Vec<crate::cluster::Target> {
    let mut namespaces: std::collections::BTreeSet<String> = manifests
        .iter()
        .map(|m| m.namespace.clone())
        .filter(|n| !n.is_empty())
        .collect();
    if let Some(environments) = project.and_then(|p| p.environments.as_ref()) {
        for (name, e) in environments {
            if env.is_none_or(|x| x == name)
                && let Some(ns) = &e.namespace
            {
                namespaces.insert(ns.clone());
            }
        }
    }
    let mut kinds: Vec<(String, String, String)> = manifests
        .iter()
        .map(|m| {
            let (group, version) = m
                .api_version
                .rsplit_once('/')
                .unwrap_or(("", &m.api_version));
            (group.to_owned(), version.to_owned(), m.kind.clone())
        })
        .collect();
    kinds.sort();
    kinds.dedup();
    crate::cluster::targets(&namespaces, &kinds)
}

/// Frees a large render (hundreds of thousands of strings and maps) on another thread, so
/// the answer is printed without waiting for it; when the process exits first, the system
/// takes the memory back at once.
fn drop_in_background<T: Send + 'static>(value: T) {
    std::thread::spawn(move || drop(value));
}
