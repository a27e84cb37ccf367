use std::time::{Duration, Instant};

use crate::harness::{JOB_HEAD, Project, job, run};

/// Validates a project made of `files` and returns "exit code + output" for a snapshot.
fn validate(files: &[(&str, &[u8])], args: &[&str]) -> (i32, String) {
    let p = Project::new();
    for (path, content) in files {
        p.write(path, content);
    }
    let mut all = vec!["validate", "--color", "never"];
    all.extend_from_slice(args);
    let out = run(&mut p.sparkc(&all));
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    (
        out.code,
        format!("exit: {}\n{}{}", out.code, out.stdout, out.stderr),
    )
}

#[track_caller]
fn bad(name: &str, content: &[u8]) {
    let start = Instant::now();
    let (code, out) = validate(&[("jobs/job.yaml", content)], &[]);
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{name} took {:?}",
        start.elapsed()
    );
    assert_eq!(code, 1, "{name}: {out}");
    assert!(
        out.contains("jobs/job.yaml:"),
        "{name}: the message has no location: {out}"
    );
    insta::assert_snapshot!(name, out);
}

#[test]
fn invalid_yaml() {
    bad(
        "invalid_yaml",
        format!("{JOB_HEAD}metadata: {{name: a\nspec: [1, 2\n").as_bytes(),
    );
}

#[test]
fn alias_bomb() {
    let mut text = format!(
        "{JOB_HEAD}metadata: {{name: bomb}}\nspec:\n  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
    );
    let mut prev = 'a';
    for c in 'b'..='j' {
        let refs = vec![format!("*{prev}"); 9].join(",");
        text.push_str(&format!("  {c}: &{c} [{refs}]\n"));
        prev = c;
    }
    bad("alias_bomb", text.as_bytes());
}

#[test]
fn fifty_megabyte_file() {
    let mut text = format!("{JOB_HEAD}metadata: {{name: big}}\nspec:\n  arguments:\n");
    let line = format!("    - {}\n", "x".repeat(90));
    text.push_str(&line.repeat(50 * 1024 * 1024 / line.len()));
    bad("fifty_megabyte_file", text.as_bytes());
}

#[test]
fn binary_data() {
    let mut bytes = b"apiVersion: sparkc.io/v1alpha1\nkind: \x00\xff\xfe binary".to_vec();
    bytes.extend((0..=255u8).cycle().take(4096));
    bad("binary_data", &bytes);
}

#[test]
fn tab_indented() {
    bad(
        "tab_indented",
        format!("{JOB_HEAD}metadata:\n\tname: a\n").as_bytes(),
    );
}

#[test]
fn duplicate_key() {
    bad(
        "duplicate_key",
        format!("{JOB_HEAD}metadata:\n  name: a\n  namespace: data\n  name: b\n").as_bytes(),
    );
}

#[test]
fn string_where_a_number_belongs() {
    bad(
        "string_where_a_number_belongs",
        format!("{}  executor:\n    instances: \"4\"\n", job("a")).as_bytes(),
    );
}

#[test]
fn number_where_a_string_belongs() {
    bad(
        "number_where_a_string_belongs",
        format!(
            "{}  executor:\n    memory: 4\n  sparkConf:\n    spark.sql.shuffle.partitions: 400\n",
            job("a")
        )
        .as_bytes(),
    );
}

#[test]
fn unknown_field() {
    bad(
        "unknown_field",
        format!("{}  executors:\n    instances: 4\n", job("a")).as_bytes(),
    );
}

/// Fields of Kubernetes types newer than 1.30 (an image volume, a container stop signal)
/// are unknown fields, at their position, not objects `sparkc render` refuses later.
#[test]
fn kubernetes_fields_newer_than_1_30() {
    let (code, out) = validate(
        &[(
            "jobs/job.yaml",
            format!(
                "{}  volumes:\n    - name: x\n      image: {{reference: \"registry.example.com/data:1\"}}\n  driver:\n    lifecycle:\n      stopSignal: SIGTERM\n",
                job("a")
            )
            .as_bytes(),
        )],
        &[],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("jobs/job.yaml:10:7: spec.volumes[0].image: unknown field `image`"),
        "{out}"
    );
    assert!(
        out.contains(
            "jobs/job.yaml:13:7: spec.driver.lifecycle.stopSignal: unknown field `stopSignal`"
        ),
        "{out}"
    );
    insta::assert_snapshot!("kubernetes_fields_newer_than_1_30", out);
}

#[test]
fn path_like_name() {
    bad("path_like_name", job("../../etc").as_bytes());
}

#[test]
fn name_of_80_characters() {
    bad("name_of_80_characters", job(&"a".repeat(80)).as_bytes());
}

#[test]
fn empty_file() {
    bad("empty_file", b"");
}

#[test]
fn no_kind() {
    bad(
        "no_kind",
        b"apiVersion: sparkc.io/v1alpha1\nmetadata: {name: a}\n",
    );
}

#[test]
fn wrong_kind() {
    bad(
        "wrong_kind",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
    );
}

#[test]
fn a_document_that_is_not_a_mapping() {
    bad("not_a_mapping", b"- just\n- a list\n");
}

#[test]
fn rules_each_with_a_hint() {
    let spec = format!(
        "{JOB_HEAD}metadata: {{name: Nightly_ETL, namespace: data}}\nspec:
  image: Registry.example.com/ETL
  sparkVersion: \"3.5.3\"
  mainApplicationFile: local:///opt/app/app.jar
  sparkConf:
    spark.executor.instances: \"4\"
    spark.hadoop.fs.s3a.endpoint: http://minio:9000
  hadoopConf:
    fs.s3a.secret.key: hunter2
  driver:
    memory: 4Gi
    coreLimit: 1200m
    memoryOverhead: 1.5g
    env:
      - {{name: DB_PASSWORD, value: hunter2}}
  executor:
    memoryLimit: 4g
  dynamicAllocation: {{enabled: true, minExecutors: 5, initialExecutors: 2, maxExecutors: 4}}
  schedule: {{cron: \"0 25 * * *\", timeZone: Mars/Olympus, concurrencyPolicy: Allow}}
"
    );
    let (code, out) = validate(&[("jobs/job.yaml", spec.as_bytes())], &[]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("rules", out);
}

#[test]
fn all_problems_in_all_files_in_one_run() {
    let (code, out) = validate(
        &[
            (
                "jobs/a.yaml",
                format!("{}  executors: {{}}\n", job("a")).as_bytes(),
            ),
            ("jobs/b/b.yaml", b"a: [1\n"),
            ("jobs/c.yml", job("C").as_bytes()),
            ("jobs/ok.yaml", job("ok").as_bytes()),
        ],
        &[],
    );
    assert_eq!(code, 1);
    assert!(out.contains("jobs/a.yaml:"), "{out}");
    assert!(out.contains("jobs/b/b.yaml:"), "{out}");
    assert!(out.contains("jobs/c.yml:"), "{out}");
    assert!(
        out.contains("found 3 errors and 0 warnings in 4 files"),
        "{out}"
    );
}

const PROJECT: &str = "apiVersion: sparkc.io/v1alpha1
kind: Project
defaults: {sparkVersion: \"3.5.3\", image: \"apache/spark:3.5.3\", executor: {instances: 2, memory: 2g}}
environments:
  dev: {namespace: spark-dev, overrides: {executor: {instances: 1}}}
  prod: {namespace: spark-prod}
";

#[test]
fn environment_overrides_and_namespaces() {
    let job = format!(
        "{JOB_HEAD}metadata: {{name: a}}\nspec:\n  mainApplicationFile: local:///a.py\n  executor: {{instances: 5}}\nenvironments:\n  prod: {{executor: {{instances: 20}}}}\n"
    );
    let (code, out) = validate(
        &[
            ("sparkc.yaml", PROJECT.as_bytes()),
            ("jobs/a.yaml", job.as_bytes()),
        ],
        &["-v"],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("dev spark-dev/a"), "{out}");
    assert!(out.contains("prod spark-prod/a"), "{out}");
}

#[test]
fn a_problem_in_one_environment_names_it() {
    let job = format!(
        "{JOB_HEAD}metadata: {{name: a}}\nspec:\n  mainApplicationFile: local:///a.py\nenvironments:\n  prod: {{executor: {{memory: 4Gi}}}}\n"
    );
    let (code, out) = validate(
        &[
            ("sparkc.yaml", PROJECT.as_bytes()),
            ("jobs/a.yaml", job.as_bytes()),
        ],
        &[],
    );
    assert_eq!(code, 1);
    insta::assert_snapshot!("problem_in_one_environment", out);
}

#[test]
fn a_problem_from_project_defaults_points_at_the_project_file() {
    let project = PROJECT.replace("memory: 2g", "memory: 2Gi");
    let (code, out) = validate(
        &[
            ("sparkc.yaml", project.as_bytes()),
            ("jobs/a.yaml", job("a").as_bytes()),
        ],
        &[],
    );
    assert_eq!(code, 1);
    assert!(out.contains("sparkc.yaml:3:"), "{out}");
    assert!(out.contains("defaults.executor.memory"), "{out}");
}

#[test]
fn namespace_is_required_somewhere() {
    let job = format!(
        "{JOB_HEAD}metadata: {{name: a}}\nspec:\n  image: apache/spark:3.5.3\n  sparkVersion: \"3.5\"\n  mainApplicationFile: local:///a.py\n"
    );
    let (code, out) = validate(&[("jobs/a.yaml", job.as_bytes())], &[]);
    assert_eq!(code, 1);
    assert!(out.contains("the job has no namespace"), "{out}");
}

#[test]
fn unknown_environment_in_a_job() {
    let job = format!(
        "{JOB_HEAD}metadata: {{name: a}}\nspec:\n  mainApplicationFile: local:///a.py\nenvironments:\n  prd: {{executor: {{instances: 2}}}}\n"
    );
    let (code, out) = validate(
        &[
            ("sparkc.yaml", PROJECT.as_bytes()),
            ("jobs/a.yaml", job.as_bytes()),
        ],
        &[],
    );
    assert_eq!(code, 1);
    insta::assert_snapshot!("unknown_environment", out);
}

#[test]
fn unknown_environment_on_the_command_line() {
    let (code, out) = validate(
        &[
            ("sparkc.yaml", PROJECT.as_bytes()),
            ("jobs/a.yaml", job("a").as_bytes()),
        ],
        &["--env", "staging"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("there is no environment `staging`"), "{out}");
}

#[test]
fn duplicate_jobs() {
    let two = format!("{}---\n{}", job("a"), job("a"));
    let (code, out) = validate(
        &[
            ("jobs/a.yaml", two.as_bytes()),
            ("jobs/b.yaml", job("a").as_bytes()),
        ],
        &[],
    );
    assert_eq!(code, 1);
    insta::assert_snapshot!("duplicate_jobs", out);
}

#[test]
fn several_documents_per_file() {
    let two = format!("{}---\n{}", job("a"), job("b"));
    let (code, out) = validate(&[("jobs/a.yaml", two.as_bytes())], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ok: 2 jobs in 1 file"), "{out}");
}

#[test]
fn hidden_and_non_yaml_files_are_ignored() {
    let (code, out) = validate(
        &[
            ("jobs/a.yaml", job("a").as_bytes()),
            ("jobs/.hidden/x.yaml", b"not: [valid"),
            ("jobs/README.md", b"# notes"),
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}");
}

#[test]
fn json_format() {
    let (code, out) = validate(
        &[(
            "jobs/a.yaml",
            format!("{}  executors: {{}}\n", job("a")).as_bytes(),
        )],
        &["--format", "json"],
    );
    assert_eq!(code, 1);
    let json: serde_json::Value =
        serde_json::from_str(out.trim_start_matches("exit: 1\n")).unwrap();
    assert_eq!(json["summary"]["errors"], 1);
    let d = &json["diagnostics"][0];
    assert_eq!(d["file"], "jobs/a.yaml");
    assert_eq!(d["line"], 8);
    assert_eq!(d["column"], 3);
    assert_eq!(d["path"], "spec.executors");
    assert_eq!(d["hint"], "did you mean `executor`?");
}

#[test]
fn github_format() {
    let (code, out) = validate(
        &[(
            "jobs/a.yaml",
            format!("{}  executors: {{}}\n", job("a")).as_bytes(),
        )],
        &["--format", "github"],
    );
    assert_eq!(code, 1);
    insta::assert_snapshot!("github_format", out);
}

#[test]
fn colour_only_when_asked() {
    let p = Project::new();
    p.write("jobs/a.yaml", format!("{}  executors: {{}}\n", job("a")));
    let plain = run(&mut p.sparkc(&["validate"]));
    assert!(!plain.stdout.contains('\x1b'), "not a terminal: no colour");
    let forced = run(&mut p.sparkc(&["validate", "--color", "always"]));
    assert!(forced.stdout.contains("\x1b["), "--color always colours");
    let never = run(p
        .sparkc(&["validate", "--color", "auto"])
        .env("NO_COLOR", "1")
        .env("CLICOLOR_FORCE", "1"));
    assert!(!never.stdout.contains('\x1b'), "NO_COLOR wins over auto");
}
