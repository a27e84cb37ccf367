//! Memory of Spark's processes: heap plus overhead, and the overhead factor. Spark's own
//! rule, written once for every target (pods request what Spark will ask for).

use crate::project::spec::{AppType, SparkJobSpec};
use crate::units;

/// Spark's minimum memory overhead in MiB.
const MIN_OVERHEAD_MIB: u64 = 384;

/// Memory of a Spark process: heap plus overhead, in MiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    pub heap_mib: u64,
    pub overhead_mib: u64,
}

/// The memory overhead factor: the spec's, else 0.4 for Python and R (their processes
/// live outside the JVM heap), else Spark's 0.1.
pub fn overhead_factor(spec: &SparkJobSpec, app_type: AppType) -> f64 {
    spec.memory_overhead_factor
        .as_deref()
        .and_then(|f| f.parse().ok())
        .unwrap_or(match app_type {
            AppType::Python | AppType::R => 0.4,
            AppType::Scala | AppType::Java => 0.1,
        })
}

/// Heap and overhead from Spark notation (validated before rendering).
pub fn memory(heap: Option<&str>, overhead: Option<&str>, factor: f64) -> Memory {
    let heap_mib = heap
        .and_then(|m| units::spark_memory_mib(m).ok())
        .unwrap_or(1024);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let computed = ((heap_mib as f64) * factor).ceil() as u64;
    let overhead_mib = overhead
        .and_then(|m| units::spark_memory_mib(m).ok())
        .unwrap_or_else(|| computed.max(MIN_OVERHEAD_MIB));
    Memory {
        heap_mib,
        overhead_mib,
    }
}

/// Whether the job scales its executors (dynamic allocation on).
pub fn dynamic(spec: &SparkJobSpec) -> bool {
    spec.dynamic_allocation
        .as_ref()
        .is_some_and(|d| d.enabled == Some(true))
}
