use crate::harness::{Project, run, sparkc};

#[test]
fn help_lists_the_commands() {
    let out = run(sparkc().arg("--help"));
    assert_eq!(out.code, 0);
    insta::assert_snapshot!("help", out.stdout);
}

#[test]
fn usage_errors_exit_2() {
    let out = run(sparkc().arg("frobnicate"));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("unrecognized subcommand"),
        "{}",
        out.stderr
    );
    let out = run(sparkc().args(["validate", "--format", "xml"]));
    assert_eq!(out.code, 2);
}

#[test]
fn missing_folder_exits_2() {
    let out = run(sparkc().args(["-C", "/definitely/not/here", "validate"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .starts_with("error: -C /definitely/not/here: no such folder"),
        "{}",
        out.stderr
    );
    let p = Project::new();
    let out = run(&mut p.sparkc(&["validate"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("no sparkc.yaml and no jobs/ folder"),
        "{}",
        out.stderr
    );
    let out = run(&mut p.sparkc(&["validate", "nope.yaml"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("nope.yaml does not exist"),
        "{}",
        out.stderr
    );
}

#[test]
fn init_writes_a_project_that_validates() {
    let p = Project::new();
    let out = run(&mut p.sparkc(&["init", "proj"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(p.path().join("proj/sparkc.yaml").is_file());
    let out = run(sparkc()
        .arg("-C")
        .arg(p.path().join("proj"))
        .arg("validate"));
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(
        out.stdout,
        "ok: 1 job in 1 file valid in 2 environments (dev, prod)\n"
    );
    // A second init refuses to overwrite.
    let out = run(&mut p.sparkc(&["init", "proj"]));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("already exists"), "{}", out.stderr);
}

#[test]
fn completions() {
    for shell in ["bash", "zsh", "fish"] {
        let out = run(sparkc().args(["completions", shell]));
        assert_eq!(out.code, 0);
        assert!(out.stdout.contains("validate"), "{shell}");
    }
}

#[test]
fn paths_on_the_command_line() {
    let p = Project::new();
    p.write("specs/a.yaml", crate::harness::job("a"));
    p.write("specs/b.yaml", "not: [valid");
    let out = run(&mut p.sparkc(&["validate", "specs/a.yaml"]));
    assert_eq!(out.code, 0, "{}", out.stdout);
    let out = run(&mut p.sparkc(&["validate", "specs"]));
    assert_eq!(out.code, 1, "{}", out.stdout);
}

/// Every command's exit code for each way it can end: 0 success, 1 findings in the specs
/// (or differences), 2 an operational error.
#[test]
fn exit_codes_of_every_command() {
    let good = Project::new();
    good.write("jobs/a.yaml", crate::harness::job("a"));
    let bad = Project::new();
    bad.write(
        "jobs/a.yaml",
        crate::harness::job("a").replace("apache/spark:3.5.3", "Not An Image"),
    );
    // A live object that differs from the render, and one that is not JSON or YAML.
    good.write(
        "live-empty.json",
        "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": []}",
    );
    good.write("broken.json", "{");
    good.write(
        "submit.sh",
        "spark-submit --master k8s://https://h:6443 --deploy-mode cluster --name x local:///a.py\n",
    );
    good.write("unknown.sh", "spark-submit --frobnicate 1 local:///a.py\n");
    let g = good.path().to_str().unwrap().to_owned();
    let b = bad.path().to_str().unwrap().to_owned();
    let cases: &[(&str, &[&str], i32)] = &[
        ("validate ok", &["-C", &g, "validate"], 0),
        ("validate findings", &["-C", &b, "validate"], 1),
        ("validate error", &["-C", "/no/such/folder", "validate"], 2),
        ("render --stdout ok", &["-C", &g, "render", "--stdout"], 0),
        (
            "render --stdout findings",
            &["-C", &b, "render", "--stdout"],
            1,
        ),
        (
            "render --check differences",
            &["-C", &g, "render", "--check"],
            1,
        ),
        ("render findings", &["-C", &b, "render"], 1),
        ("render error", &["-C", &g, "render", "-o", "."], 2),
        ("render ok", &["-C", &g, "render"], 0),
        ("render --check ok", &["-C", &g, "render", "--check"], 0),
        (
            "diff differences",
            &["-C", &g, "diff", "--live", "live-empty.json"],
            1,
        ),
        ("diff findings", &["-C", &b, "diff", "--live", "-"], 1),
        (
            "diff error",
            &["-C", &g, "diff", "--live", "broken.json"],
            2,
        ),
        ("submit-command ok", &["-C", &g, "submit-command", "a"], 0),
        (
            "submit-command findings",
            &["-C", &b, "submit-command", "a"],
            1,
        ),
        (
            "submit-command error",
            &["-C", &g, "submit-command", "b"],
            2,
        ),
        (
            "import ok",
            &["-C", &g, "import", "--from-submit", "submit.sh"],
            0,
        ),
        (
            "import findings",
            &["-C", &g, "import", "--from-submit", "unknown.sh"],
            1,
        ),
        ("import error", &["-C", &g, "import", "nope.yaml"], 2),
        ("schema ok", &["schema"], 0),
        ("completions ok", &["completions", "bash"], 0),
        ("usage error", &["validate", "--no-such-flag"], 2),
    ];
    for (what, args, code) in cases {
        let out = run(sparkc().args(*args).stdin(std::process::Stdio::null()));
        assert_eq!(
            out.code,
            *code,
            "{what}: sparkc {}\n{}{}",
            args.join(" "),
            out.stdout,
            out.stderr
        );
    }
    // Differences found after a render are the render's; diff of an up-to-date cluster is 0.
    let rendered = run(sparkc().args(["-C", &g, "render", "--stdout"]));
    good.write("live-same.yaml", rendered.stdout);
    let out = run(sparkc().args(["-C", &g, "diff", "--live", "live-same.yaml"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
}
