//! Memory of Spark's processes: heap plus overhead, and the overhead factor; the CPU a
//! Spark pod requests; how many executors a job may have. Spark's own rules, written once
//! for every target (pods request what Spark will ask for) and for the footprint.

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

impl Memory {
    /// What the pod requests: heap plus overhead, in MiB.
    pub const fn total_mib(self) -> u64 {
        self.heap_mib + self.overhead_mib
    }
}

/// The CPU a Spark pod requests (a Kubernetes quantity): the role's `coreRequest`
/// (`spark.kubernetes.*.request.cores`), else its `cores` (default 1).
pub fn cpu_request(core_request: Option<&str>, cores: Option<i32>) -> String {
    core_request.map_or_else(|| cores.unwrap_or(1).to_string(), str::to_owned)
}

/// The driver's memory (as its pod requests it).
///
/// In cluster mode Spark builds the driver pod and truncates the computed overhead, as for
/// executors. In client mode (the native target) sparkc writes the driver pod itself and
/// rounds the computed overhead up, as every earlier version did: the figure is part of
/// the driver Job's run hash, so truncating it would rename, and so run again, every such
/// job on upgrade, for one MiB more than Spark would ask for.
pub fn driver_memory(spec: &SparkJobSpec, app_type: AppType) -> Memory {
    let (driver, _) = crate::spark::pod::roles(spec);
    let heap = driver.memory.as_deref();
    let overhead = driver.memory_overhead.as_deref();
    if crate::target::of(spec).deploy_mode() == crate::spark::submit::Mode::Client {
        return memory_rounded_up(heap, overhead, overhead_factor(spec, app_type));
    }
    role_memory(spec, app_type, heap, overhead)
}

/// One executor's memory (Spark builds the executor pods with this request).
pub fn executor_memory(spec: &SparkJobSpec, app_type: AppType) -> Memory {
    let (_, executor) = crate::spark::pod::roles(spec);
    role_memory(
        spec,
        app_type,
        executor.memory.as_deref(),
        executor.memory_overhead.as_deref(),
    )
}

fn role_memory(
    spec: &SparkJobSpec,
    app_type: AppType,
    heap: Option<&str>,
    overhead: Option<&str>,
) -> Memory {
    memory(heap, overhead, overhead_factor(spec, app_type))
}

/// The most executors the job runs at once: `instances` (default 1), or with dynamic
/// allocation its `maxExecutors` (`None`: Spark's default, unbounded).
pub fn max_executors(spec: &SparkJobSpec) -> Option<u32> {
    let (_, executor) = crate::spark::pod::roles(spec);
    if dynamic(spec) {
        spec.dynamic_allocation
            .as_ref()
            .and_then(|d| d.max_executors)
            .map(|m| u32::try_from(m).unwrap_or(0))
    } else {
        Some(u32::try_from(executor.instances.unwrap_or(1)).unwrap_or(0))
    }
}

/// [`memory`], with the computed overhead rounded up instead of truncated (the native
/// driver pod, see [`driver_memory`]).
fn memory_rounded_up(heap: Option<&str>, overhead: Option<&str>, factor: f64) -> Memory {
    let mut m = memory(heap, overhead, factor);
    if overhead.is_none() {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let computed = ((m.heap_mib as f64) * factor).ceil() as u64;
        m.overhead_mib = computed.max(MIN_OVERHEAD_MIB);
    }
    m
}

/// Heap and overhead from Spark notation (validated before rendering).
pub fn memory(heap: Option<&str>, overhead: Option<&str>, factor: f64) -> Memory {
    let heap_mib = heap
        .and_then(|m| units::spark_memory_mib(m).ok())
        .unwrap_or(1024);
    // Truncated, not rounded: Spark computes `(factor * heapMiB).toInt`
    // (`BasicExecutorFeatureStep`, `BasicDriverFeatureStep`), and the pods it builds request
    // exactly that.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let computed = ((heap_mib as f64) * factor) as u64;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Spark's backend truncates the computed overhead: 0.4 x 4096 = 1638.4 is 1638 MiB on
    /// the executor pods it builds (found by `tests/spark_backend.rs`).
    #[test]
    fn the_computed_overhead_is_truncated_as_spark_truncates_it() {
        assert_eq!(memory(Some("4g"), None, 0.4).overhead_mib, 1638);
        assert_eq!(memory(Some("4g"), None, 0.1).overhead_mib, 409);
        assert_eq!(memory(Some("1g"), None, 0.4).overhead_mib, 409);
        assert_eq!(memory(Some("1g"), None, 0.1).overhead_mib, 384);
        assert_eq!(memory(Some("4g"), Some("1g"), 0.4).overhead_mib, 1024);
    }
}
