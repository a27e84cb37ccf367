//! sparkc: a compiler for Git-committed Spark job definitions.
//!
//! The pipeline: `workspace` loads the project file and every job document (walkdir,
//! `yaml`), `validate` checks each against the JSON Schema generated from `spec` (`schema`)
//! and against the Spark and Kubernetes `rules` after the `merge` of defaults and
//! environment overrides, and returns `Diagnostic`s and effective jobs as data. `run` is the
//! one place that prints.

pub mod cli;
pub mod cluster;
pub mod diagnostic;
pub mod diff;
pub mod error;
pub mod gitref;
pub mod import;
pub mod init;
pub mod merge;
pub mod names;
pub mod pipeline;
pub mod render;
pub mod rules;
pub mod run;
pub mod schema;
pub mod spark;
pub mod spec;
pub mod target;
pub mod tree;
pub mod units;
pub mod validate;
pub mod workspace;
pub mod yaml;

pub use run::run;
pub mod k8s;
