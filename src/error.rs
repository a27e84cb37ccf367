//! Operational errors: what stops a command before or outside the inputs' own problems
//! (bad usage, an unreadable file, a folder that is not there). Findings in the inputs
//! are `Diagnostic`s, not errors. Every error ends the command with `Exit::Error` (2).

use std::path::PathBuf;

/// An error that aborts the command (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} does not exist")]
    Missing { path: PathBuf },
    #[error("no job specs found: {hint}")]
    NoJobs { hint: String },
    #[error("{0}")]
    Usage(String),
    /// The cluster could not be read (`diff --cluster`).
    #[error("{0}")]
    Cluster(String),
    #[error("cannot walk {path}: {message}")]
    Walk { path: PathBuf, message: String },
}
