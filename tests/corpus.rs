//! Third-party inputs (`tests/reference/corpus`, each with its source in `SOURCES.md`):
//! SparkApplications and ScheduledSparkApplications from public repositories, and
//! spark-submit lines from their scripts and documentation. Each goes through `sparkc
//! import -o` in a project that sets `sparkVersion` and `image` in its defaults, as a real
//! one would, and what comes back is frozen: the exit code, and each diagnostic's location
//! and message. An import that exits 0 must leave specs that render.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::harness::{Project, repo, run};

fn corpus(kind: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(repo().join("tests/reference/corpus").join(kind))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
    files.sort();
    files
}

fn project() -> Project {
    let p = Project::new();
    p.write(
        "sparkc.yaml",
        "apiVersion: sparkc.io/v1alpha1\nkind: Project\njobs: [jobs]\ndefaults:\n  sparkVersion: \"3.5.3\"\n  image: registry.example.com/spark:3.5.3\nenvironments:\n  dev: {namespace: spark}\n",
    );
    p
}

/// One input's outcome: the exit code, then each diagnostic's first line (the path of the
/// temporary project removed).
fn outcome(p: &Project, name: &str, args: &[&str]) -> String {
    let out = run(&mut p.sparkc(args));
    let mut text = format!("{name}: exit {}\n", out.code);
    for line in out
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:") || l.starts_with("warning:") || l.starts_with("note:"))
    {
        let line = line.replace(&p.path().display().to_string(), "");
        let shown: String = line.chars().take(220).collect();
        writeln!(text, "  {shown}").unwrap();
    }
    if out.code == 0 && args.contains(&"-o") {
        let rendered = run(&mut p.sparkc(&["render", "--stdout", "--color", "never"]));
        assert_eq!(
            rendered.code, 0,
            "{name} imported (exit 0) but does not render: {}",
            rendered.stdout
        );
    }
    text
}

/// Every file of one corpus folder through `import` (with `extra` before the file name):
/// the outcomes, and how many exit 0.
fn outcomes(kind: &str, extra: &[&str], at_least: usize) -> String {
    let files = corpus(kind);
    assert!(files.len() >= at_least, "{} files in {kind}", files.len());
    let mut all = String::new();
    let mut ok = 0;
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let p = project();
        p.write(&name, std::fs::read(file).unwrap());
        let mut args = vec!["import"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&[&name, "-o", "jobs", "--color", "never"]);
        let o = outcome(&p, &name, &args);
        ok += usize::from(o.contains(": exit 0\n"));
        all.push_str(&o);
    }
    writeln!(all, "{ok} of {} import with exit 0", files.len()).unwrap();
    all
}

#[test]
fn third_party_manifests_import_with_stated_outcomes() {
    insta::assert_snapshot!("corpus_manifests", outcomes("manifests", &[], 50));
}

#[test]
fn third_party_submit_lines_import_with_stated_outcomes() {
    insta::assert_snapshot!(
        "corpus_submit_lines",
        outcomes("submit", &["--from-submit"], 20)
    );
}
