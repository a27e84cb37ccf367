use crate::harness::{repo, run, sparkc};

/// Every project under `examples/` (a folder with a sparkc.yaml) validates with no finding.
#[test]
fn every_example_validates() {
    let mut seen = 0;
    for entry in std::fs::read_dir(repo().join("examples")).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.join("sparkc.yaml").is_file() {
            continue;
        }
        seen += 1;
        let out = run(sparkc()
            .arg("-C")
            .arg(&dir)
            .args(["validate", "--color", "never"]));
        assert_eq!(
            out.code,
            0,
            "{}: {}{}",
            dir.display(),
            out.stdout,
            out.stderr
        );
        assert!(out.stdout.starts_with("ok: "), "{}", out.stdout);
        assert!(!out.stdout.contains("warning"), "{}", out.stdout);
    }
    assert!(seen >= 1, "no example projects found");
}

#[test]
fn quickstart_summary() {
    let out = run(sparkc()
        .arg("-C")
        .arg(repo().join("examples/quickstart"))
        .args(["validate"]));
    assert_eq!(out.code, 0);
    assert_eq!(
        out.stdout,
        "ok: 4 jobs in 4 files valid in 2 environments (dev, prod)\n"
    );
}

/// The outputs shown in README.md are what sparkc prints.
#[test]
fn readme_shows_real_output() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let fixture = repo().join("tests/fixtures/readme");
    let human = run(sparkc()
        .arg("-C")
        .arg(&fixture)
        .args(["validate", "--color", "never"]));
    assert_eq!(human.code, 1);
    assert!(
        readme.contains(&format!("$ sparkc validate\n{}```", human.stdout)),
        "README tour is stale:\n{}",
        human.stdout
    );
    let github = run(sparkc()
        .arg("-C")
        .arg(&fixture)
        .args(["validate", "--format", "github"]));
    let line = github.stdout.lines().nth(1).unwrap();
    assert!(
        readme.contains(line),
        "README github line is stale:\n{line}"
    );
    let quick = run(sparkc()
        .arg("-C")
        .arg(repo().join("examples/quickstart"))
        .arg("validate"));
    assert!(
        readme.contains(&quick.stdout),
        "README quickstart output is stale"
    );
}

/// Every example project renders, and the Argo CD plugin's commands work as written.
#[test]
fn every_example_renders_and_the_argocd_plugin_runs() {
    let quickstart = repo().join("examples/quickstart");
    let out = run(sparkc()
        .arg("-C")
        .arg(&quickstart)
        .args(["render", "--stdout"]));
    assert_eq!(out.code, 0, "{}", out.stdout);
    // Every rendered object is written exactly as serde-saphyr would write it.
    for fixture in [quickstart.clone(), repo().join("tests/fixtures/all-fields")] {
        let out = run(sparkc()
            .arg("-C")
            .arg(&fixture)
            .args(["render", "--stdout"]));
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
        let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(&out.stdout).unwrap();
        assert!(docs.len() > 10);
        for d in docs.iter().filter(|d| !d.is_null()) {
            assert_eq!(
                sparkc::project::yaml::to_yaml(d),
                sparkc::project::yaml::to_yaml_reference(d)
            );
        }
    }
    let plugin = std::fs::read_to_string(repo().join("examples/argocd-cmp/plugin.yaml")).unwrap();
    let generate = plugin
        .lines()
        .find(|l| l.contains("exec sparkc render"))
        .unwrap()
        .trim()
        .trim_start_matches("- ");
    let sparkc_dir = std::path::Path::new(env!("CARGO_BIN_EXE_sparkc"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        sparkc_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new("sh")
        .args(["-c", generate])
        .current_dir(&quickstart)
        .env("PATH", &path)
        .env("ARGOCD_ENV_ENV", "prod")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stream = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stream.matches("\n---\n").count() + 1, 22, "prod objects");
    assert!(!stream.contains("spark-dev"));
}
