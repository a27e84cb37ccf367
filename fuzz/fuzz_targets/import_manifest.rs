//! Import of manifests: a YAML stream of SparkApplications, ScheduledSparkApplications and
//! native setups (Job, CronJob, Pod, Deployment with Services, ConfigMaps, RBAC) into
//! SparkJob specs; each spec written must be YAML that reads back as the same document.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod imported;

fuzz_target!(|data: &[u8]| imported::check(data, "in.yaml", sparkc::import::from_manifests));
