//! Import of a spark-submit command line (shell words, continuations, `--conf` pairs) into
//! a SparkJob spec, which must be YAML that reads back.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod imported;

fuzz_target!(|data: &[u8]| imported::check(data, "submit.sh", sparkc::import::from_submit));
