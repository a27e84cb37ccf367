//! The input: the project file and the job specs, read and checked. `workspace` finds and
//! reads the files, `yaml` parses them with every node's position, `schema` checks them
//! against the JSON Schema generated from `spec`, `merge` layers defaults and environments
//! (RFC 7396), and `validate` runs the rules on each effective job in each environment.

pub mod merge;
pub mod schema;
pub mod spec;
pub mod validate;
pub mod workspace;
pub mod yaml;
mod yaml_subset;
