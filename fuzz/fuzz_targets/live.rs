//! `diff --live`: a dump of live objects (YAML or JSON, `kind: List`) read and compared
//! with the quickstart's render in every environment, the report serialized.
#![no_main]

use std::path::Path;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use sparkc::render::Manifest;

static DESIRED: LazyLock<Vec<Manifest>> = LazyLock::new(|| {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/quickstart");
    match sparkc::pipeline::compile(&root, None, true) {
        Ok(c) => c.manifests,
        Err(_) => panic!("the quickstart does not compile"),
    }
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(entries) = sparkc::live::dump::read(text) else {
        return;
    };
    let live = sparkc::live::dump::Live::new(entries);
    // An object nested past serde_json's limit is an error when it is compared.
    let Ok(report) = sparkc::diff::compare_live(&DESIRED, &live) else {
        return;
    };
    let _ = serde_json::to_string(&report).expect("the report serializes");
});
