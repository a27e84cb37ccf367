//! Live objects to compare with the render: read from the cluster (`cluster`, kube-rs) or
//! rendered from another git ref (`gitref`). Dumps of live objects are read by `diff`.

pub mod cluster;
pub mod gitref;
