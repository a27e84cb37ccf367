//! The table of Spark configuration against what sparkc really emits: every flag and
//! `--conf` key of a rendered driver is in the table, a user may not set any of them in
//! `sparkConf`, and `import --from-submit` reads `submit-command`'s output back into the spec
//! it came from.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value as Json;
use sparkc::spark::conf;

use crate::harness::{Project, repo, run, sparkc, submit_command};

/// A copy of a fixture project in a temporary folder.
fn copy_project(from: &Path) -> Project {
    let p = Project::new();
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walk");
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(from).unwrap();
            p.write(
                &rel.display().to_string(),
                std::fs::read(entry.path()).unwrap(),
            );
        }
    }
    p
}

/// The spark-submit arguments of every driver in a rendered stream: (flags with values,
/// `--conf` keys with values).
fn driver_arguments(stream: &str) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let mut flags = BTreeMap::new();
    let mut confs = BTreeMap::new();
    for doc in serde_saphyr::from_multiple::<Json>(stream).expect("stream parses") {
        let spec = match doc["kind"].as_str() {
            Some("Pod") => &doc["spec"],
            Some("Job") => &doc["spec"]["template"]["spec"],
            Some("CronJob") => &doc["spec"]["jobTemplate"]["spec"]["template"]["spec"],
            _ => continue,
        };
        let Some(args) = spec["containers"][0]["args"].as_array() else {
            continue;
        };
        let args: Vec<&str> = args.iter().filter_map(Json::as_str).collect();
        let mut i = 0;
        while i + 1 < args.len() && args[i].starts_with("--") {
            if args[i] == "--conf" {
                let (k, v) = args[i + 1].split_once('=').expect("key=value");
                confs.insert(k.to_owned(), v.to_owned());
            } else {
                flags.insert(args[i].to_owned(), args[i + 1].to_owned());
            }
            i += 2;
        }
    }
    (flags, confs)
}

#[test]
fn every_emitted_key_is_in_the_table_and_refused_in_spark_conf() {
    let fixture = repo().join("tests/fixtures/all-fields");
    let out = run(sparkc()
        .arg("-C")
        .arg(&fixture)
        .args(["render", "--stdout"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (flags, confs) = driver_arguments(&out.stdout);
    assert!(flags.len() >= 10, "{flags:?}");
    assert!(confs.len() >= 40, "{confs:?}");

    // Every flag and key is known, as sparkc's own (managed) or as a field's.
    let mut refused: BTreeMap<String, String> = BTreeMap::new();
    for (flag, value) in &flags {
        let entry = conf::lookup_flag(flag).unwrap_or_else(|| panic!("{flag} is not in the table"));
        if !entry.key.is_empty() {
            refused.insert(entry.key.to_owned(), value.clone());
        }
    }
    // The user's own keys (the fixture's sparkConf) are passed through, not sparkc's.
    let user = ["spark.sql.shuffle.partitions", "spark.eventLog.enabled"];
    for (key, value) in confs.iter().filter(|(k, _)| !user.contains(&k.as_str())) {
        let entry = conf::lookup(key).unwrap_or_else(|| panic!("{key} is not in the table"));
        assert!(
            matches!(entry.access, conf::Access::Managed | conf::Access::Field),
            "{key}"
        );
        refused.insert(key.clone(), value.clone());
    }

    // Each of them in a user's sparkConf with another value than sparkc's is an error,
    // located where it is written. (The same value only warns: nothing fights.)
    let p = copy_project(&fixture);
    let mut overrides = String::from("      sparkConf:\n");
    for (key, value) in &refused {
        overrides.push_str(&format!(
            "        {}: {}\n",
            serde_json::to_string(key).unwrap(),
            serde_json::to_string(&format!("{value}-other")).unwrap()
        ));
    }
    let project = std::fs::read_to_string(p.path().join("sparkc.yaml")).unwrap();
    let project = project.replace(
        "  test: {namespace: spark-test}\n",
        &format!("  test:\n    namespace: spark-test\n    overrides:\n{overrides}"),
    );
    assert!(project.contains("overrides:"), "{project}");
    p.write("sparkc.yaml", project);
    let out = run(&mut p.sparkc(&["validate", "--format", "json"]));
    assert_eq!(out.code, 1, "{}", out.stdout);
    let report: Json = serde_json::from_str(&out.stdout).expect("json");
    let errors: Vec<&Json> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error" && d["code"] == "reserved-conf")
        .collect();
    for key in refused.keys() {
        let quoted = format!("`{key}`");
        let found = errors.iter().find(|d| {
            d["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(&quoted))
        });
        let d =
            found.unwrap_or_else(|| panic!("{key} in sparkConf is not refused: {}", out.stdout));
        assert_eq!(d["file"], "sparkc.yaml", "{d}");
        assert!(d["line"].as_u64().is_some_and(|l| l > 8), "{d}");
    }
}

fn command_line(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn import_from_submit_gives_back_the_spec() {
    // A job that sets every field a command line carries.
    let p = Project::new();
    p.write(
        "sparkc.yaml",
        "apiVersion: sparkc.io/v1alpha1\nkind: Project\nenvironments: {prod: {namespace: spark-prod}}\n",
    );
    let spec = r#"apiVersion: sparkc.io/v1alpha1
kind: SparkJob
metadata:
  name: round-trip
  namespace: spark-prod
  labels: {team: data}
spec:
  target: operator
  type: Scala
  sparkVersion: "3.5.3"
  image: registry.example.com/data/spark:3.5.3-1
  imagePullPolicy: Always
  imagePullSecrets: [regcred]
  mainApplicationFile: local:///opt/app/app.jar
  mainClass: com.example.Main
  arguments: ["--date", "2026-01-01"]
  serviceAccount: spark-runner
  proxyUser: etl
  memoryOverheadFactor: "0.2"
  sparkConf: {spark.sql.shuffle.partitions: "400"}
  hadoopConf: {fs.s3a.endpoint: "http://minio.storage:9000"}
  deps:
    jars: [local:///opt/jars/a.jar]
    files: [local:///opt/files/lookup.csv]
    packages: [org.apache.hadoop:hadoop-aws:3.3.4]
    repositories: [https://repo.example.com/maven]
  driver:
    cores: 2
    memory: 2g
    memoryOverhead: 512m
    coreRequest: 1500m
    coreLimit: "2"
    javaOptions: -XX:+UseG1GC
    labels: {tier: driver}
    annotations: {owner: data}
  executor:
    instances: 4
    cores: 3
    memory: 6g
    coreRequest: 2500m
    coreLimit: "3"
    deleteOnTermination: false
    serviceAccount: spark-executor
    javaOptions: -XX:+UseParallelGC
    labels: {tier: executor}
    annotations: {owner: data}
"#;
    p.write("jobs/round-trip.yaml", spec);
    let out = submit_command(p.path(), "round-trip", "prod");
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("submit.sh"), &out.stdout).unwrap();
    let imported =
        run(sparkc()
            .arg("-C")
            .arg(dir.path())
            .args(["import", "--from-submit", "submit.sh"]));
    assert_eq!(imported.code, 0, "{}{}", imported.stdout, imported.stderr);
    let parse = |text: &str| -> Json { serde_saphyr::from_str(text).expect("yaml") };
    let mut original = parse(spec);
    let mut back = parse(&imported.stdout);
    // The command line has no document header; everything else comes back.
    for doc in [&mut original, &mut back] {
        doc.as_object_mut().unwrap().remove("apiVersion");
        doc.as_object_mut().unwrap().remove("kind");
    }
    // The Spark version is not on a command line.
    original["spec"]
        .as_object_mut()
        .unwrap()
        .remove("sparkVersion");
    // Nor is the type when the main file names it (`.jar` reads as Scala).
    original["spec"].as_object_mut().unwrap().remove("type");
    assert_eq!(
        back, original,
        "imported:\n{}\nwarnings:\n{}",
        imported.stdout, imported.stderr
    );
}

#[test]
fn submit_command_import_is_a_fixed_point() {
    // For every job of the bundled and fixture projects: the imported command line, run
    // through submit-command again, is the same command line.
    for (project, env, jobs) in crate::harness::EVERY_JOB {
        let root = repo().join(project);
        for job in *jobs {
            let first = submit_command(&root, job, env);
            assert_eq!(first.code, 0, "{job}: {}", first.stderr);
            let p = copy_project(&root);
            std::fs::remove_dir_all(p.path().join("jobs")).unwrap();
            p.write("submit.sh", &first.stdout);
            let imported =
                run(&mut p.sparkc(&["import", "--from-submit", "submit.sh", "-o", "jobs"]));
            assert!(
                imported.stdout.contains("wrote"),
                "{job}: {}{}",
                imported.stdout,
                imported.stderr
            );
            let again = submit_command(p.path(), job, env);
            assert_eq!(again.code, 0, "{job}: {}{}", again.stdout, again.stderr);
            assert_eq!(
                command_line(&again.stdout),
                command_line(&first.stdout),
                "{project} {job}"
            );
        }
    }
}
