//! Import of a spark-submit command line (shell words, continuations, `--conf` pairs) into
//! a SparkJob spec, which must be YAML that reads back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sparkc::diagnostic::{Format, Sources, render};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let out = sparkc::import::from_submit("submit.sh", text);
    for job in &out.jobs {
        let written = sparkc::import::to_text(job);
        let back = sparkc::project::yaml::parse_values(&written)
            .unwrap_or_else(|e| panic!("the imported spec is not YAML ({e:?}):\n{written}"));
        assert_eq!(back.len(), 1, "{written}");
    }
    let mut sources = Sources::new();
    sources.insert("submit.sh".to_owned(), text.into());
    let _ = render(&out.diagnostics, &sources, Format::Human, false);
});
