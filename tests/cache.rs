//! The render cache: a render that reuses what the last one learnt writes, checks and warns
//! exactly as one that does not, and never hides a change of a spec, of the project, of a
//! template, or of the tree.

use std::path::Path;

use crate::harness::{Project, files_under, job, quickstart, run};

/// Every file of a tree with its content, relative to the tree.
fn tree(dir: &Path) -> Vec<(String, String)> {
    files_under(dir)
        .into_iter()
        .map(|f| {
            (
                f.strip_prefix(dir).unwrap().display().to_string(),
                std::fs::read_to_string(&f).unwrap(),
            )
        })
        .collect()
}

/// Renders the project with the cache, then without it: the full render must find the
/// tree as the cached one left it. Returns the cached render's output.
#[track_caller]
fn render_both(p: &Project) -> crate::harness::Output {
    let cached = run(&mut p.sparkc(&["render"]));
    assert_eq!(cached.code, 0, "{}{}", cached.stdout, cached.stderr);
    let deploy = p.path().join("deploy");
    let before = tree(&deploy);
    let full = run(&mut p.sparkc(&["render", "--no-cache"]));
    assert_eq!(full.code, 0, "{}{}", full.stdout, full.stderr);
    let after = tree(&deploy);
    let differ: Vec<&String> = before
        .iter()
        .zip(&after)
        .filter(|(a, b)| a != b)
        .map(|(a, _)| &a.0)
        .collect();
    assert!(
        before.len() == after.len() && differ.is_empty(),
        "the cached render differs from a full one in {differ:?} ({} and {} files)",
        before.len(),
        after.len()
    );
    assert!(full.stdout.contains("is up to date"), "{}", full.stdout);
    cached
}

#[test]
fn a_render_records_its_jobs_where_git_does_not_look() {
    let p = quickstart();
    render_both(&p);
    let dir = p.path().join(".sparkc-cache");
    assert_eq!(
        std::fs::read_to_string(dir.join(".gitignore")).unwrap(),
        "# sparkc's render cache: never committed.\n*\n"
    );
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("render.json")).unwrap()).unwrap();
    let files = record["files"].as_object().unwrap();
    assert_eq!(files.len(), 4, "{files:?}");
    let etl = &files["jobs/etl/nightly-etl.yaml"];
    assert_eq!(etl["digest"].as_str().unwrap().len(), 64);
    // One record per environment of the job.
    assert_eq!(etl["jobs"].as_array().unwrap().len(), 2);
    // `--no-cache` neither reads nor writes it.
    std::fs::remove_dir_all(&dir).unwrap();
    let out = run(&mut p.sparkc(&["render", "--no-cache"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!dir.exists());
    let out = run(p.sparkc(&["render", "--check"]).env("SPARKC_NO_CACHE", "1"));
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(!dir.exists());
}

#[test]
fn a_changed_spec_is_rendered_again_and_the_others_are_not() {
    let p = quickstart();
    render_both(&p);
    let spec = p.path().join("jobs/etl/nightly-etl.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(&spec, text.replace("instances: 10", "instances: 12")).unwrap();
    assert_ne!(
        std::fs::read_to_string(&spec).unwrap(),
        text,
        "the edit took"
    );
    // Until the tree is rendered again, --check sees the change through the cache.
    let out = run(&mut p.sparkc(&["render", "--check"]));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stdout.contains("changed: deploy/"), "{}", out.stdout);
    render_both(&p);
    let out = run(&mut p.sparkc(&["render", "--check"]));
    assert_eq!(out.code, 0, "{}", out.stdout);
}

#[test]
fn a_hand_edited_tree_is_seen_through_the_cache() {
    let p = quickstart();
    render_both(&p);
    let deploy = p.path().join("deploy");
    let file = files_under(&deploy)
        .into_iter()
        .find(|f| f.ends_with("nightly-etl.yaml"))
        .unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("namespace: ", "namespace: x")).unwrap();
    let out = run(&mut p.sparkc(&["render", "--check"]));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stdout.contains("-  namespace: "), "{}", out.stdout);
    // A render puts it back.
    render_both(&p);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    // A file removed from the tree is written again.
    std::fs::remove_file(&file).unwrap();
    let out = run(&mut p.sparkc(&["render", "--check"]));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stdout.contains("missing: deploy/"), "{}", out.stdout);
    render_both(&p);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
}

#[test]
fn the_project_file_and_templates_invalidate_every_record() {
    let p = quickstart();
    render_both(&p);
    let project = p.path().join("sparkc.yaml");
    let text = std::fs::read_to_string(&project).unwrap();
    std::fs::write(
        &project,
        format!("{text}\n# a comment changes nothing rendered\n"),
    )
    .unwrap();
    render_both(&p);
    // A template override: every job that uses it changes.
    let service = std::fs::read_to_string(sparkc_template("native/service.yaml")).unwrap();
    let with = |v: &str| {
        service.replace(
            "publishNotReadyAddresses: true",
            &format!("publishNotReadyAddresses: {v}"),
        )
    };
    p.write("templates/native/service.yaml", with("false"));
    std::fs::write(&project, format!("{text}templates: templates\n")).unwrap();
    let out = render_both(&p);
    assert!(out.stdout.starts_with("wrote "), "{}", out.stdout);
    let services = || -> Vec<String> {
        files_under(&p.path().join("deploy"))
            .into_iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .filter(|t| t.contains("kind: Service\n"))
            .collect()
    };
    assert!(!services().is_empty());
    assert!(
        services()
            .iter()
            .all(|t| t.contains("publishNotReadyAddresses: false"))
    );
    // The override edited again.
    p.write("templates/native/service.yaml", with("true"));
    render_both(&p);
    assert!(
        services()
            .iter()
            .all(|t| t.contains("publishNotReadyAddresses: true"))
    );
}

fn sparkc_template(name: &str) -> std::path::PathBuf {
    crate::harness::repo().join("templates").join(name)
}

#[test]
fn warnings_of_a_reused_file_are_shown_again() {
    let p = Project::new();
    p.write(
        "sparkc.yaml",
        "apiVersion: sparkc.io/v1alpha1\nkind: Project\nenvironments:\n  dev: {namespace: dev, overrides: {executor: {instances: 1}}}\n  prod: {namespace: prod}\n",
    );
    p.write("jobs/a.yaml", job("a"));
    // `executor.instances` that every environment replaces: a warning.
    p.write(
        "jobs/b.yaml",
        format!(
            "{}  executor: {{instances: 4}}\nenvironments:\n  prod: {{executor: {{instances: 10}}}}\n",
            job("b")
        ),
    );
    // The warnings, without the last line (what was written).
    let warnings = |o: &crate::harness::Output| {
        assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
        let lines: Vec<&str> = o.stdout.lines().collect();
        lines[..lines.len() - 1].join("\n")
    };
    let first = warnings(&run(&mut p.sparkc(&["render", "--color", "never"])));
    assert!(first.starts_with("warning: jobs/b.yaml:8:25: "), "{first}");
    let again = run(&mut p.sparkc(&["render", "--color", "never"]));
    assert!(
        again.stdout.ends_with("; nothing written\n"),
        "{}",
        again.stdout
    );
    assert_eq!(warnings(&again), first);
    let record = std::fs::read_to_string(p.path().join(".sparkc-cache/render.json")).unwrap();
    assert!(
        record.contains("never takes effect"),
        "the warning is reused: {record}"
    );
    let check = run(&mut p.sparkc(&["render", "--check", "--color", "never"]));
    assert_eq!(warnings(&check), first);
    let full = run(&mut p.sparkc(&["render", "--check", "--no-cache", "--color", "never"]));
    assert_eq!(check.stdout, full.stdout);
    for format in ["json", "github"] {
        let cached = run(&mut p.sparkc(&["render", "--format", format]));
        let full = run(&mut p.sparkc(&["render", "--no-cache", "--format", format]));
        assert_eq!(cached.stdout, full.stdout, "{format}");
    }
}

#[test]
fn a_damaged_or_foreign_cache_is_ignored() {
    let p = quickstart();
    render_both(&p);
    let record = p.path().join(".sparkc-cache/render.json");
    for damage in [
        "not json".to_owned(),
        String::new(),
        // Valid JSON for another context, claiming a job file that says something else.
        r#"{"context":"other","files":{"jobs/etl/nightly-etl.yaml":{"digest":"00","documents":1,"jobs":[],"findings":[]}}}"#.to_owned(),
    ] {
        std::fs::write(&record, damage).unwrap();
        render_both(&p);
        let out = run(&mut p.sparkc(&["render", "--check"]));
        assert_eq!(out.code, 0, "{}", out.stdout);
    }
}

#[test]
fn an_error_is_reported_whatever_the_cache_holds() {
    let p = quickstart();
    render_both(&p);
    let spec = p.path().join("jobs/ml/feature-build.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(
        &spec,
        text.replace("apiVersion: sparkc.io/v1alpha1", "apiVersion: nope"),
    )
    .unwrap();
    let out = run(&mut p.sparkc(&["render"]));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let out = run(&mut p.sparkc(&["render", "--check"]));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    std::fs::write(&spec, text).unwrap();
    render_both(&p);
}

#[test]
fn validate_reads_the_cache_and_says_what_a_full_check_says() {
    let p = quickstart();
    render_both(&p);
    let record = p.path().join(".sparkc-cache/render.json");
    let before = std::fs::read(&record).unwrap();
    for format in ["human", "json"] {
        let cached = run(&mut p.sparkc(&["validate", "--format", format]));
        let full = run(&mut p.sparkc(&["validate", "--no-cache", "--format", format]));
        assert_eq!(cached.code, 0, "{}", cached.stdout);
        assert_eq!(
            (cached.stdout, cached.stderr),
            (full.stdout, full.stderr),
            "{format}"
        );
    }
    // Validate records nothing (it renders nothing).
    assert_eq!(std::fs::read(&record).unwrap(), before);
    // A spec broken since the render is checked again.
    let spec = p.path().join("jobs/etl/nightly-etl.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(&spec, text.replace("instances: 10", "instances: \"ten\"")).unwrap();
    let out = run(&mut p.sparkc(&["validate"]));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout.contains("jobs/etl/nightly-etl.yaml:"),
        "{}",
        out.stdout
    );
}
