//! Validation throughput: generates a project of N job specs (scripts/gen-project.py's
//! shapes, written by the same script) and validates it in-process.
//!
//! `cargo bench --bench validate` measures 1,000 jobs per iteration. The 10,000-job wall
//! time and peak memory of the real binary are measured by `scripts/bench-validate.sh`.

use std::path::Path;
use std::process::Command;

use criterion::{Criterion, criterion_group, criterion_main};

fn generate(n: usize, dir: &Path) {
    let status = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/gen-project.py"))
        .arg(n.to_string())
        .arg(dir)
        .status()
        .expect("python3 runs scripts/gen-project.py");
    assert!(status.success());
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    generate(1000, dir.path());
    let mut group = c.benchmark_group("validate");
    group.sample_size(10);
    group.bench_function("1000 jobs x 2 environments", |b| {
        b.iter(|| {
            let ws = sparkc::project::workspace::load(dir.path(), &[]).unwrap();
            let report = sparkc::project::validate::validate(
                &ws,
                None,
                sparkc::project::validate::Keep::Refs,
            )
            .unwrap();
            assert_eq!(report.refs.len(), 2000);
            assert!(!report.has_errors());
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
