//! sparkc: a compiler for Git-committed Spark job definitions.
//!
//! The pipeline, stage by stage (`pipeline` runs it as one function):
//! - `project`: load the project file and the job specs (`workspace`, `yaml`), check them
//!   against the schema generated from `spec` (`schema`), merge defaults and environments
//!   (`merge`) and run the `rules` on each effective job (`validate`);
//! - `spark`: Spark's own knowledge, target-neutral: the one configuration table, the
//!   spark-submit arguments, the driver and executor pods, memory;
//! - `target`: the ways a job runs (native client mode, the Kubeflow and Apache operators), behind one
//!   trait and one registry: each plans its objects;
//! - `render`: plans through the templates, read back and checked against the schema of
//!   their kind (`k8s`);
//! - `tree`: the deterministic tree for Argo CD or Flux, written atomically or compared;
//!   `gitops`: the Argo CD / Flux objects of its units, their clusters and health checks;
//!   `cache`: what the last render learnt of each job file, so unchanged ones are skipped;
//! - `live` and `diff`: live objects (dumps, the cluster, another git ref) against the
//!   render;
//! - `import`: existing manifests and spark-submit lines back into specs;
//! - `cron`: schedules as Kubernetes and the Spark operator parse them (robfig/cron).
//!
//! Stages return data (`diagnostic::Diagnostic`s, jobs, manifests); `cli` is the one place
//! that prints, and maps every outcome to the exit code.

pub mod cache;
pub mod cli;
pub mod cron;
pub mod diagnostic;
pub mod diff;
pub mod error;
pub mod footprint;
pub mod gitops;
pub mod import;
pub mod init;
pub mod k8s;
pub mod live;
pub mod names;
pub mod pipeline;
pub mod plan;
pub mod policy;
pub mod project;
pub mod render;
pub mod rules;
pub mod spark;
pub mod target;
pub mod tree;
pub mod units;

pub use cli::run;
