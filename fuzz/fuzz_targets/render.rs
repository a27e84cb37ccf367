//! Render: a job file that validates is rendered in every environment, and must render
//! (validation passes only what the renderer and the Kubernetes schemas accept), unless it
//! has a pod template, which only the render checks.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use sparkc::diagnostic::{Format, render};
use sparkc::pipeline;
use sparkc::project::validate::{self, Keep};
use sparkc::render::Renderer;

mod common;

static RENDERER: LazyLock<Renderer> = LazyLock::new(|| {
    let ws = &*common::WORKSPACE;
    pipeline::renderer(&ws.root, ws.project.as_ref().map(|p| &p.project)).expect("renderer")
});

fuzz_target!(|data: &[u8]| {
    let ws = common::write_job(data);
    let report = validate::validate(ws, None, Keep::Jobs).expect("validation runs");
    if report.has_errors() {
        return;
    }
    let (manifests, diags) = sparkc::render::render_all(&RENDERER, &report.jobs, true);
    // A pod template is kept as written and checked only once merged into the rendered pod:
    // that check's findings are render errors by design, not a validation that let through
    // what the renderer cannot write.
    let free_form = report.jobs.iter().any(|j| {
        j.spec.driver.as_ref().is_some_and(|d| d.template.is_some())
            || j.spec
                .executor
                .as_ref()
                .is_some_and(|e| e.template.is_some())
    });
    assert!(
        diags.is_empty() || free_form,
        "a job that validates does not render:\n{}",
        render(&diags, &report.sources, Format::Human, false)
    );
    let _ = sparkc::render::stream(&manifests);
});
