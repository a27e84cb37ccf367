//! Spark knowledge, target-neutral: the configuration table (`conf`), spark-submit's
//! arguments (`submit`), the driver and executor pods (`pod`) and their memory (`memory`).

pub mod conf;
pub mod driver_api;
pub mod memory;
pub mod pod;
pub mod submit;
