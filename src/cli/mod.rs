//! The command line: arguments → command → outcome → output and exit code. The one place
//! that prints. Each command is a few calls into the library (`pipeline`, `tree`, `diff`,
//! `import`) and a presentation of what they return; `Exit` is the one mapping to exit
//! codes.

mod args;
mod diff;
mod import;
mod plan;
mod present;
mod render;
mod submit;
mod templates;

use std::ffi::OsString;
use std::io::{self, Write as _};
use std::path::PathBuf;

use clap::{CommandFactory as _, Parser as _};

pub use args::{Arguments, ColorWhen, Command, TemplatesAction};

use crate::diagnostic::Format;
use crate::error::Error;
use crate::project::schema::{self, Kind};
use crate::{init, pipeline, project::validate};

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
    // Markdown is the plan's; every other command prints for a person.
    let format = if args.format == Format::Markdown && !matches!(args.command, Command::Plan { .. })
    {
        Format::Human
    } else {
        args.format
    };
    Ok(Config {
        root,
        format,
        color,
        quiet: args.quiet,
        verbose: args.verbose,
    })
}

/// Executes the command and returns its outcome (nothing is printed here).
pub fn execute(args: &Arguments) -> Result<Outcome, Error> {
    let cfg = config(args)?;
    match &args.command {
        Command::Init { dir } => init_command(&cfg, dir.as_deref()),
        Command::Validate {
            paths,
            env,
            cluster,
            context,
            kubeconfig,
            timeout,
            no_cache,
        } => {
            let (ws, mut report) = if *no_cache || crate::cache::disabled_by_env() {
                pipeline::check(&cfg.root, paths, env.as_deref(), validate::Keep::Refs)?
            } else {
                pipeline::check_cached(&cfg.root, paths, env.as_deref())?
            };
            if *cluster || context.is_some() || kubeconfig.is_some() {
                let options = crate::live::cluster::Options {
                    kubeconfig: kubeconfig.clone(),
                    context: context.clone(),
                    timeout: std::time::Duration::from_secs(*timeout),
                };
                let quotas = quotas(&ws, &report, &options)?;
                validate::check_budgets(&ws, &mut report, &quotas, jiff::Timestamp::now());
                crate::diagnostic::sort_dedup(&mut report.diagnostics);
            }
            Ok(present::validate_outcome(&cfg, &report, &report.sources))
        }
        Command::Plan { base, env, at } => {
            plan::plan_command(&cfg, env.as_deref(), base.as_deref(), at.as_deref())
        }
        Command::Render {
            env,
            stdout,
            output,
            check,
            no_cache,
        } => render::render_command(
            &cfg,
            env.as_deref(),
            *stdout,
            output.as_deref(),
            render::Mode {
                check: *check,
                cache: !*no_cache && !crate::cache::disabled_by_env(),
            },
        ),
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
                crate::live::cluster::Options {
                    kubeconfig: kubeconfig.clone(),
                    context: context.clone(),
                    timeout: std::time::Duration::from_secs(*timeout),
                }
            });
            diff::diff_command(
                &cfg,
                env.as_deref(),
                live,
                base.as_deref(),
                cluster.as_ref(),
            )
        }
        Command::SubmitCommand { job, env, master } => {
            submit::submit_command(&cfg, job, env.as_deref(), master.as_deref())
        }
        Command::Import {
            files,
            from_submit,
            output,
        } => import::import(&cfg, files, *from_submit, output.as_deref()),
        Command::Templates { action } => templates::templates(&cfg, action),
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

/// The ResourceQuotas of the namespaces of the report's jobs, each environment read through
/// its own context (a `--context` wins).
fn quotas(
    ws: &crate::project::workspace::Workspace,
    report: &validate::Report,
    options: &crate::live::cluster::Options,
) -> Result<Vec<validate::Quota>, Error> {
    let project = ws.project.as_ref().map(|p| &p.project);
    let mut by_context: std::collections::BTreeMap<Option<String>, Vec<(String, String)>> =
        std::collections::BTreeMap::new();
    let mut seen = std::collections::BTreeSet::new();
    for r in &report.refs {
        if !seen.insert((r.env.clone(), r.namespace.clone())) {
            continue;
        }
        let own = project
            .and_then(|p| p.environments.as_ref())
            .and_then(|e| e.get(&r.env))
            .and_then(|e| e.cluster.as_ref())
            .and_then(|c| c.context.clone());
        by_context
            .entry(options.context.clone().or(own))
            .or_default()
            .push((r.env.clone(), r.namespace.clone()));
    }
    let mut out = Vec::new();
    for (context, pairs) in by_context {
        let namespaces: std::collections::BTreeSet<String> =
            pairs.iter().map(|(_, ns)| ns.clone()).collect();
        let options = crate::live::cluster::Options {
            context,
            ..options.clone()
        };
        for object in crate::live::cluster::quotas(&options, &namespaces)? {
            let ns = object
                .pointer("/metadata/namespace")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default();
            for (env, _) in pairs.iter().filter(|(_, n)| n == ns) {
                out.extend(validate::Quota::from_object(env, &object));
            }
        }
    }
    Ok(out)
}

/// `sparkc init [DIR]`.
fn init_command(cfg: &Config, dir: Option<&std::path::Path>) -> Result<Outcome, Error> {
    let dir = dir.map_or_else(|| cfg.root.clone(), |d| cfg.root.join(d));
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

/// All of standard input (a file argument `-`).
fn read_stdin() -> Result<String, Error> {
    use std::io::Read as _;
    let mut text = String::new();
    io::stdin()
        .read_to_string(&mut text)
        .map_err(|source| Error::Read {
            path: PathBuf::from("-"),
            source,
        })?;
    Ok(text)
}

/// Frees a large render (hundreds of thousands of strings and maps) on another thread, so
/// the answer is printed without waiting for it; when the process exits first, the system
/// takes the memory back at once.
fn drop_in_background<T: Send + 'static>(value: T) {
    std::thread::spawn(move || drop(value));
}
