//! The YAML reader and validation: one job file (any bytes) in a project with a project
//! file, loaded, validated in every environment, its diagnostics printed in every format.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sparkc::diagnostic::{Format, render};
use sparkc::project::validate::{self, Keep};

mod common;

fuzz_target!(|data: &[u8]| {
    let ws = common::write_job(data);
    let report = validate::validate(ws, None, Keep::Refs).expect("validation runs");
    for format in [Format::Human, Format::Json, Format::Github] {
        let _ = render(&report.diagnostics, &report.sources, format, true);
    }
});
