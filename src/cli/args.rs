//! Command-line arguments (clap derive). Flags only: no I/O happens here.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::diagnostic::Format;

/// sparkc: a compiler for Git-committed Spark job definitions.
///
/// It validates job specs, renders the Kubernetes manifests that run them, and shows what
/// would change in a cluster.
#[derive(Debug, Parser)]
#[command(name = "sparkc", version, about, long_about = None, propagate_version = true)]
pub struct Arguments {
    /// Run as if sparkc was started in DIR.
    #[arg(short = 'C', value_name = "DIR", global = true)]
    pub directory: Option<PathBuf>,
    /// Output format of diagnostics and reports.
    #[arg(long, value_enum, default_value_t = Format::Human, global = true)]
    pub format: Format,
    /// When to use colours (`auto` honours NO_COLOR and whether output is a terminal).
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto, global = true)]
    pub color: ColorWhen,
    /// Print only problems.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more detail (per-job lines).
    #[arg(short, long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a starter project (sparkc.yaml and one example job).
    Init {
        /// Folder to create the project in (default: the current folder).
        dir: Option<PathBuf>,
    },
    /// Parse, schema-check and rule-check every job; write nothing.
    Validate {
        /// Job files or folders (default: the project's job folders).
        paths: Vec<PathBuf>,
        /// Check only this environment.
        #[arg(long, short)]
        env: Option<String>,
        /// Also check the jobs of each namespace against its ResourceQuotas, read from the
        /// cluster (each environment's `cluster.context`, or `--context`).
        #[arg(long)]
        cluster: bool,
        /// The kubeconfig context to use (implies --cluster).
        #[arg(long, value_name = "NAME")]
        context: Option<String>,
        /// The kubeconfig file (implies --cluster).
        #[arg(long, value_name = "FILE")]
        kubeconfig: Option<PathBuf>,
        /// The longest the cluster may take to answer, in seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = 30)]
        timeout: u64,
        /// Check every job file, ignoring what the last render recorded of the unchanged
        /// ones in `.sparkc-cache/` (also `SPARKC_NO_CACHE=1`).
        #[arg(long)]
        no_cache: bool,
    },
    /// What merging does: each job's change and runtime effect, resources, policy findings.
    ///
    /// Per job: created, changed or deleted, with its runtime effect (starts now, re-runs
    /// now, at the next scheduled run, stops, none) and the fields that change; then the
    /// resources per environment and the findings. `--format markdown` writes a
    /// pull-request comment.
    Plan {
        /// Plan the change from the project at this git ref to the working tree (default:
        /// the whole project, as if nothing were deployed).
        #[arg(long, value_name = "REF")]
        base: Option<String>,
        /// Plan only this environment.
        #[arg(long, short)]
        env: Option<String>,
        /// The time to plan for, e.g. `2026-01-31T08:00:00Z` (default: now): next runs
        /// are the first ones after it.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
    },
    /// Render the Kubernetes manifests of every job.
    Render {
        /// Render only this environment (the other environments' files are kept).
        #[arg(long, short)]
        env: Option<String>,
        /// Print every object as one YAML stream instead of writing the tree.
        #[arg(long, conflicts_with_all = ["output", "check"])]
        stdout: bool,
        /// The output folder (default: `output` in sparkc.yaml, else `deploy`).
        #[arg(short, long, value_name = "DIR")]
        output: Option<PathBuf>,
        /// Write nothing; print the differences with the folder on disk and fail if any.
        #[arg(long)]
        check: bool,
        /// Check and render every job file, ignoring what the last render recorded of the
        /// unchanged ones in `.sparkc-cache/` (also `SPARKC_NO_CACHE=1`).
        #[arg(long, conflicts_with = "stdout")]
        no_cache: bool,
    },
    /// Compare the render with live objects (a `kubectl get -o yaml|json` dump), or with
    /// the render at a git ref (what a pull request changes).
    #[command(group(clap::ArgGroup::new("against").required(true).args(["live", "base", "cluster", "context", "kubeconfig"]).multiple(true)))]
    Diff {
        /// Compare only this environment.
        #[arg(long, short)]
        env: Option<String>,
        /// Files of live objects (`-` for standard input): a List or several documents.
        #[arg(long, value_name = "FILE")]
        live: Vec<PathBuf>,
        /// Compare with the render of the project as it is at this git ref (the working tree
        /// is not touched).
        #[arg(long, value_name = "REF", conflicts_with_all = ["live", "cluster"])]
        base: Option<String>,
        /// Read the live objects from the cluster (the kubeconfig's current context, or
        /// `--context`): every kind sparkc renders, in the project's namespaces, labelled
        /// `app.kubernetes.io/managed-by=sparkc`.
        #[arg(long, conflicts_with = "live")]
        cluster: bool,
        /// The kubeconfig context to use (implies --cluster).
        #[arg(long, value_name = "NAME", conflicts_with_all = ["live", "base"])]
        context: Option<String>,
        /// The kubeconfig file (implies --cluster; default: $KUBECONFIG, then
        /// ~/.kube/config).
        #[arg(long, value_name = "FILE", conflicts_with_all = ["live", "base"])]
        kubeconfig: Option<PathBuf>,
        /// The longest the cluster may take to answer, in seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = 30)]
        timeout: u64,
    },
    /// Print the cluster-mode spark-submit command of a job, for an ad-hoc run.
    SubmitCommand {
        /// The job's name.
        job: String,
        /// The environment (required when the project has several).
        #[arg(long, short)]
        env: Option<String>,
        /// The API server, e.g. `k8s://https://10.0.0.1:6443`. Default: through
        /// `kubectl proxy`, `k8s://http://127.0.0.1:8001`.
        #[arg(long)]
        master: Option<String>,
    },
    /// Turn existing SparkApplications (or a spark-submit command line) into job specs.
    Import {
        /// Files holding SparkApplication / ScheduledSparkApplication manifests (`-` for
        /// standard input).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The files hold a spark-submit command line instead.
        #[arg(long)]
        from_submit: bool,
        /// Write one `<name>.yaml` per job into this folder instead of printing them.
        #[arg(short, long, value_name = "DIR")]
        output: Option<PathBuf>,
    },
    /// The built-in templates: list them, or write them into a folder as the start of a
    /// project's overrides (`templates:` in sparkc.yaml).
    Templates {
        #[command(subcommand)]
        action: TemplatesAction,
    },
    /// Print the JSON Schema of the job spec (or of the project file).
    Schema {
        /// The schema of `sparkc.yaml` instead.
        #[arg(long)]
        project: bool,
    },
    /// Print shell completions.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// What `sparkc templates` does.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum TemplatesAction {
    /// List the built-in templates.
    List,
    /// Write every built-in template into DIR (existing files are not overwritten).
    Export {
        /// The folder (relative to the project folder).
        dir: PathBuf,
    },
}
