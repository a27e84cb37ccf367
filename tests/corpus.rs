//! Third-party inputs (`tests/reference/corpus`, each with its source in `SOURCES.md`):
//! SparkApplications and ScheduledSparkApplications from public repositories, and
//! spark-submit lines from their scripts and documentation. Each goes through `sparkc
//! import -o` in a project that sets `sparkVersion` and `image` in its defaults, as a real
//! one would, and what comes back is frozen: the exit code, and each diagnostic's location
//! and message. An import that exits 0 must leave specs that render.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::Value as Json;

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

/// A diagnostic's path (`spec.sparkConf["k"]`, `spec.driver.secrets[0].secretType`) as the
/// leaves' paths are written (a JSON pointer without escapes).
fn pointer(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("[\"") {
            let end = r.find("\"]").unwrap_or(r.len());
            out.push('/');
            out.push_str(&r[..end]);
            rest = r.get(end + 2..).unwrap_or("");
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').unwrap_or(r.len());
            out.push('/');
            out.push_str(&r[..end]);
            rest = r.get(end + 1..).unwrap_or("");
        } else {
            let r = rest.strip_prefix('.').unwrap_or(rest);
            let end = r.find(['.', '[']).unwrap_or(r.len());
            out.push('/');
            out.push_str(&r[..end]);
            rest = &r[end..];
        }
    }
    out
}

/// Where the import puts a `sparkConf` leaf (`{spec}/sparkConf/<key>`) that has a field,
/// from the configuration table: the entry's own field for an exact key, its map's entry
/// for a prefix (`spark.hadoop.x` at `{spec}/hadoopConf/x`).
pub(crate) fn moved_to(spec: &str, path: &str) -> Option<String> {
    use sparkc::spark::conf::{Kubeflow, Pattern, Source, lookup};
    let key = path.strip_prefix(&format!("{spec}/sparkConf/"))?;
    let e = lookup(key)?;
    match (e.pattern, e.kubeflow, e.source) {
        (Pattern::Prefix, _, Source::Field(f)) => Some(format!(
            "{spec}/{}/{}",
            f.trim_start_matches("spec.").replace('.', "/"),
            &key[e.key.len()..]
        )),
        (_, Kubeflow::Field(f), _) => Some(format!("{spec}/{}", f.replace('.', "/"))),
        _ => None,
    }
}

/// Whether two leaves say the same (`"4"` and `4` do, as the operator reads them).
pub(crate) fn same(a: &Json, b: &Json) -> bool {
    let text = |v: &Json| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    a == b || text(a) == text(b)
}

/// Every manifest that imports with exit 0 renders back to an object that keeps every field
/// of the original at the same path with the same value, except:
/// - what the import named at its path (moved, left out, rewritten: each a diagnostic);
/// - a `sparkConf` key that moved to its field, whose value is then at that field;
/// - what the cluster sets (`status`, `metadata.uid`, ...).
///
/// What the render adds is the defaults sparkc writes out, its labels, and where moved or
/// rewritten values went. The outcome, per file, is frozen.
#[test]
fn third_party_manifests_keep_every_field() {
    use crate::operator::{allowed_addition, leaves, parse_all};
    use std::collections::BTreeMap;
    const CLUSTER: &[&str] = &[
        "/metadata/uid",
        "/metadata/resourceVersion",
        "/metadata/generation",
        "/metadata/creationTimestamp",
        "/metadata/managedFields",
        "/metadata/selfLink",
        "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration",
    ];
    let mut report = String::new();
    let mut compared = 0;
    for file in corpus("manifests") {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let p = project();
        let text = std::fs::read_to_string(&file).unwrap();
        p.write(&name, &text);
        let out = run(&mut p.sparkc(&["import", &name, "-o", "jobs", "--color", "never"]));
        if out.code != 0 {
            continue;
        }
        // The paths the import named in the source file.
        let prefix = format!("{name}:");
        let named: Vec<String> = out
            .stderr
            .lines()
            .filter_map(|l| l.strip_prefix("warning: ")?.strip_prefix(&prefix))
            .filter_map(|l| l.split_once(": ").map(|(_, rest)| rest))
            .filter_map(|l| l.split_once(": ").map(|(path, _)| pointer(path)))
            .collect();
        let rendered = run(&mut p.sparkc(&["render", "--stdout", "--color", "never"]));
        assert_eq!(rendered.code, 0, "{name}: {}", rendered.stderr);
        let rendered: Vec<Json> = parse_all(&rendered.stdout)
            .into_iter()
            .filter(|d| d["apiVersion"] == "sparkoperator.k8s.io/v1beta2")
            .collect();
        let originals = serde_saphyr::from_multiple::<Json>(&text).unwrap_or_default();
        for original in originals.into_iter().filter(|d| {
            d["apiVersion"] == "sparkoperator.k8s.io/v1beta2"
                && d["kind"]
                    .as_str()
                    .is_some_and(|k| k.ends_with("SparkApplication"))
        }) {
            let Some(got) = rendered.iter().find(|r| {
                r["kind"] == original["kind"]
                    && r["metadata"]["name"] == original["metadata"]["name"]
            }) else {
                writeln!(
                    report,
                    "{name}: {} not rendered",
                    original["metadata"]["name"]
                )
                .unwrap();
                continue;
            };
            compared += 1;
            let spec = if original["kind"] == "ScheduledSparkApplication" {
                "/spec/template"
            } else {
                "/spec"
            };
            let mut want = BTreeMap::new();
            let mut o = original.clone();
            o.as_object_mut().unwrap().remove("status");
            leaves(&o, String::new(), &mut want);
            let mut have = BTreeMap::new();
            leaves(got, String::new(), &mut have);
            let excused = |path: &str| {
                CLUSTER
                    .iter()
                    .chain(named.iter().map(String::as_str).collect::<Vec<_>>().iter())
                    .any(|n| path == *n || path.starts_with(&format!("{n}/")))
            };
            // Where the sparkConf keys that moved went.
            let mut landed = Vec::new();
            for (path, value) in &want {
                if value.is_null()
                    || have.get(path).is_some_and(|v| same(v, value))
                    || excused(path)
                {
                    continue;
                }
                let moved =
                    moved_to(spec, path).filter(|to| have.get(to).is_some_and(|v| same(v, value)));
                match moved {
                    Some(to) => landed.push(to),
                    None => writeln!(
                        report,
                        "{name}: {path}: original {value}, rendered {:?}",
                        have.get(path)
                    )
                    .unwrap(),
                }
            }
            let env_rewritten = named
                .iter()
                .any(|n| n.ends_with("/envVars") || n.ends_with("/envSecretKeyRefs"));
            for (path, value) in &have {
                let rewritten_env = env_rewritten
                    && [
                        format!("{spec}/driver/env/"),
                        format!("{spec}/executor/env/"),
                    ]
                    .iter()
                    .any(|p| path.starts_with(p));
                // Beyond the operator examples' additions: the project's default Spark
                // version, the account sparkc renders when none is named, and the pull
                // policy it always writes (Kubernetes' default for the image when the spec
                // has none; the import notes where that is not Spark's `IfNotPresent`).
                let default = [
                    format!("{spec}/sparkVersion"),
                    format!("{spec}/driver/serviceAccount"),
                    format!("{spec}/imagePullPolicy"),
                ]
                .contains(path);
                if !want.contains_key(path)
                    && !allowed_addition(path)
                    && !default
                    && !landed.contains(path)
                    && !rewritten_env
                {
                    writeln!(report, "{name}: {path}: added {value}").unwrap();
                }
            }
        }
    }
    assert!(compared >= 50, "only {compared} objects compared");
    insta::assert_snapshot!(
        "corpus_manifest_fields",
        format!("{compared} objects compared\n{report}")
    );
}
