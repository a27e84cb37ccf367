//! Import of manifests: a YAML stream of SparkApplications, ScheduledSparkApplications and
//! native setups (Job, CronJob, Pod, Deployment with Services, ConfigMaps, RBAC) into
//! SparkJob specs; each spec written must be YAML that reads back as the same document.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sparkc::diagnostic::{Format, Sources, render};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let out = sparkc::import::from_manifests("in.yaml", text);
    for job in &out.jobs {
        let written = sparkc::import::to_text(job);
        let back = sparkc::project::yaml::parse_values(&written)
            .unwrap_or_else(|e| panic!("the imported spec is not YAML ({e:?}):\n{written}"));
        assert_eq!(back.len(), 1, "{written}");
    }
    let mut sources = Sources::new();
    sources.insert("in.yaml".to_owned(), text.into());
    let _ = render(&out.diagnostics, &sources, Format::Human, false);
});
