//! Output frozen before a refactor: the rendered stream of the bundled project, of every
//! fixture project, of every submit command, and of a generated 1,000-job project (as
//! digests per job and environment, so that a change names the jobs it touches). A change
//! here must be intended, and said so in the commit.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use sha2::{Digest as _, Sha256};

use crate::harness::{Project, repo, run, sparkc};

/// The four job shapes of `scripts/gen-project.py`, cycled over N jobs in 20 groups, in a
/// project with dev and prod environments.
pub(crate) fn generated_project(n: usize) -> Project {
    const PROJECT: &str = r#"apiVersion: sparkc.io/v1alpha1
kind: Project
jobs: [jobs]
output: deploy
defaults:
  sparkVersion: "3.5.3"
  image: registry.example.com/data/spark-jobs:1.4.2
  imagePullSecrets: [regcred]
  driver: {cores: 1, memory: 2g}
  executor: {cores: 2, memory: 4g}
environments:
  dev: {namespace: spark-dev, overrides: {executor: {instances: 1}}}
  prod: {namespace: spark-prod}
gitops: {tool: argocd, repoURL: "https://git.example.com/data/jobs.git", targetRevision: main, selfHeal: false}
"#;
    let shapes: [fn(&str, &str) -> String; 4] = [
        |name, group| {
            format!(
                r#"apiVersion: sparkc.io/v1alpha1
kind: SparkJob
metadata:
  name: {name}
  labels: {{team: team-{group}}}
spec:
  mainApplicationFile: local:///opt/app/{name}/main.py
  arguments: ["--date", "2026-01-01", "--job", "{name}"]
  sparkConf:
    spark.sql.shuffle.partitions: "400"
  hadoopConf:
    fs.s3a.endpoint: http://minio.storage:9000
  driver:
    envFrom: [{{secretRef: {{name: s3-credentials}}}}]
  executor:
    instances: 4
    envFrom: [{{secretRef: {{name: s3-credentials}}}}]
environments:
  prod: {{executor: {{instances: 10}}}}
"#
            )
        },
        |name, _| {
            format!(
                r#"apiVersion: sparkc.io/v1alpha1
kind: SparkJob
metadata:
  name: {name}
spec:
  type: Scala
  mainApplicationFile: local:///opt/app/{name}.jar
  mainClass: com.example.jobs.Main
  executor: {{instances: 3}}
  schedule: {{cron: "0 3 * * *", timeZone: Europe/Berlin, concurrencyPolicy: Forbid}}
"#
            )
        },
        |name, _| {
            format!(
                r#"apiVersion: sparkc.io/v1alpha1
kind: SparkJob
metadata:
  name: {name}
spec:
  mainApplicationFile: local:///opt/app/{name}/features.py
  dynamicAllocation: {{enabled: true, initialExecutors: 2, minExecutors: 1, maxExecutors: 20}}
  executor:
    memoryOverhead: 1g
    tolerations: [{{key: dedicated, operator: Equal, value: spark, effect: NoSchedule}}]
"#
            )
        },
        |name, _| {
            format!(
                r#"apiVersion: sparkc.io/v1alpha1
kind: SparkJob
metadata:
  name: {name}
spec:
  target: operator
  type: Java
  mainApplicationFile: local:///opt/app/{name}.jar
  mainClass: com.example.Main
  volumes: [{{name: scratch, emptyDir: {{sizeLimit: 20Gi}}}}]
  driver:
    volumeMounts: [{{name: scratch, mountPath: /scratch}}]
"#
            )
        },
    ];
    let p = Project::new();
    p.write("sparkc.yaml", PROJECT);
    for i in 0..n {
        let group = format!("g{:02}", i % 20);
        let name = format!("job-{i:05}");
        p.write(
            &format!("jobs/{group}/{name}.yaml"),
            shapes[i % shapes.len()](&name, &group),
        );
    }
    p
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// `render --stdout` of a project, as one digest line per (environment, job): its objects
/// (kind/name) and the digest of their text.
fn stream_digests(stream: &str) -> String {
    let mut jobs: BTreeMap<(String, String), (Vec<String>, Sha256)> = BTreeMap::new();
    for doc in stream.split("---\n").filter(|d| !d.is_empty()) {
        let source = doc.lines().next().unwrap_or_default();
        let (job, env) = source
            .split_once("(job ")
            .and_then(|(_, rest)| rest.trim_end_matches(')').split_once(", environment "))
            .unwrap_or_else(|| panic!("no source line: {source}"));
        let kind = doc
            .lines()
            .find_map(|l| l.strip_prefix("kind: "))
            .unwrap_or_default();
        let entry = jobs
            .entry((env.to_owned(), job.to_owned()))
            .or_insert_with(|| (Vec::new(), Sha256::new()));
        entry.0.push(kind.to_owned());
        entry.1.update(doc.as_bytes());
    }
    let mut out = String::new();
    for ((env, job), (kinds, hash)) in jobs {
        let digest = hex(&hash.finalize());
        let _ = writeln!(out, "{env} {job} {} {}", &digest[..16], kinds.join(","));
    }
    out
}

#[test]
fn all_fields_fixture_stream() {
    let out = run(sparkc()
        .arg("-C")
        .arg(repo().join("tests/fixtures/all-fields"))
        .args(["render", "--stdout"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    insta::assert_snapshot!("all_fields_render", out.stdout);
}

#[test]
fn submit_commands_of_every_job() {
    let mut all = String::new();
    for (project, env, jobs) in crate::harness::EVERY_JOB {
        for job in *jobs {
            let out = crate::harness::submit_command(&repo().join(project), job, env);
            assert_eq!(out.code, 0, "{job}: {}{}", out.stdout, out.stderr);
            let _ = writeln!(all, "== {project} {job}\n{}", out.stdout);
        }
    }
    insta::assert_snapshot!("submit_commands", all);
}

#[test]
fn generated_thousand_jobs_stream() {
    let p = generated_project(1000);
    let out = run(&mut p.sparkc(&["render", "--stdout"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let digests = stream_digests(&out.stdout);
    assert_eq!(
        digests.lines().count(),
        2000,
        "1,000 jobs in 2 environments"
    );
    insta::assert_snapshot!("generated_thousand_jobs", digests);
}

#[test]
fn generated_thousand_jobs_tree() {
    let p = generated_project(1000);
    let out = run(&mut p.sparkc(&["render", "-q"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let root = p.path().join("deploy");
    let mut files: Vec<(String, String)> = walkdir::WalkDir::new(&root)
        .into_iter()
        .map(|e| e.expect("walk"))
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(&root).unwrap().display().to_string();
            let digest = hex(&Sha256::digest(std::fs::read(e.path()).unwrap()));
            (rel, digest)
        })
        .collect();
    files.sort();
    // The layout in full would be 12,000 lines: keep the folders' file counts and one digest
    // over every path and content.
    let mut folders: BTreeMap<String, usize> = BTreeMap::new();
    let mut all = Sha256::new();
    for (rel, digest) in &files {
        let folder = rel.rsplit_once('/').map_or("", |(f, _)| f);
        let top: Vec<&str> = folder.split('/').take(2).collect();
        *folders.entry(top.join("/")).or_default() += 1;
        all.update(format!("{rel} {digest}\n").as_bytes());
    }
    let mut text = format!(
        "{} files, digest {}\n",
        files.len(),
        &hex(&all.finalize())[..16]
    );
    for (folder, count) in folders {
        let _ = writeln!(text, "{folder}: {count}");
    }
    insta::assert_snapshot!("generated_thousand_jobs_tree", text);
}
