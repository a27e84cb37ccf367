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
