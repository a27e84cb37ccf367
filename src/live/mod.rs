//! Live objects to compare with the render: read from the cluster (`cluster`, kube-rs) or
//! rendered from another git ref (`gitref`), or read from dumps (`dump`, which also holds
//! them indexed for `diff`).

pub mod cluster;
pub mod dump;
pub mod gitref;
