//! Hostile and odd input (issue 18): output bounded however many problems a file has,
//! schedules as Kubernetes and the operator parse them, integers refused at their own line.
//! Time is measured by `scripts/bench-hostile.sh`, not here.

use crate::harness::{JOB_HEAD, Output, Project, job, run};

/// A job `a` whose spec ends with `extra` (lines indented under `spec:`).
fn job_with(extra: &str) -> String {
    format!("{}{extra}", job("a"))
}

/// Validates a job `a` for `target` whose `schedule` block holds `lines` (indented).
fn scheduled(target: &str, lines: &str) -> Output {
    let p = Project::new();
    p.write(
        "jobs/a.yaml",
        job_with(&format!("  target: {target}\n  schedule:\n{lines}")),
    );
    validate(&p, "human")
}

/// The output starts with `prefix` (a diagnostic at its place), or the test shows it.
#[track_caller]
fn starts_with(out: &Output, prefix: &str) {
    assert!(out.stdout.starts_with(prefix), "{}", out.stdout);
}

fn validate(p: &Project, format: &str) -> Output {
    let out = run(&mut p.sparkc(&["validate", "--color", "never", "--format", format]));
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    out
}

/// 19 KB that anchors a mapping of 2,000 unknown keys and aliases it 20 times: 42,021
/// errors (2,000 keys and a missing `name` in each of 21 volumes), of which 100 are shown,
/// in every format, and the rest counted.
#[test]
fn an_aliased_mapping_of_unknown_keys_prints_under_100_kb() {
    let keys: Vec<String> = (0..2000).map(|i| format!("k{i}: 1")).collect();
    let text = job_with(&format!(
        "  volumes: [&m {{{}}}, {}]\n",
        keys.join(", "),
        vec!["*m"; 20].join(", ")
    ));
    assert!((18_000..20_000).contains(&text.len()), "{}", text.len());
    let p = Project::new();
    p.write("jobs/a.yaml", &text);
    for format in ["human", "json", "github"] {
        let out = validate(&p, format);
        assert_eq!(out.code, 1, "{format}: {}", out.stderr);
        assert!(
            out.stdout.len() < 100_000,
            "{format}: {} bytes",
            out.stdout.len()
        );
        match format {
            "human" => {
                assert_eq!(out.stdout.matches("\nerror: ").count() + 1, 101);
                assert!(out.stdout.contains(
                    "note: and 41921 more in jobs/a.yaml (41921 errors, 0 warnings) not shown: at most 100 are shown per file and 1000 per run\n"
                ));
                assert!(
                    out.stdout
                        .ends_with("error: found 42021 errors and 0 warnings in 1 file\n")
                );
            }
            "json" => {
                let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
                assert_eq!(v["summary"]["errors"], 42021);
                assert_eq!(v["diagnostics"].as_array().unwrap().len(), 100);
                assert_eq!(
                    v["omitted"],
                    serde_json::json!([{"file": "jobs/a.yaml", "errors": 41921, "warnings": 0}])
                );
            }
            _ => {
                assert_eq!(out.stdout.matches("::error ").count(), 100);
                assert!(out.stdout.contains(
                    "::notice file=jobs/a.yaml,title=sparkc::and 41921 more in jobs/a.yaml"
                ));
            }
        }
    }
}

/// The cap per run: 30 files of 50 errors show 1,000 and count the rest per file.
#[test]
fn at_most_1000_diagnostics_per_run() {
    let p = Project::new();
    let unknown: String = (0..50).map(|i| format!("  unknown{i}: 1\n")).collect();
    for f in 0..30 {
        p.write(
            &format!("jobs/j{f:02}.yaml"),
            format!("{}{unknown}", job(&format!("j{f:02}"))),
        );
    }
    let out = validate(&p, "json");
    assert_eq!(out.code, 1);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["summary"]["errors"], 1500);
    assert_eq!(v["diagnostics"].as_array().unwrap().len(), 1000);
    let omitted = v["omitted"].as_array().unwrap();
    assert_eq!(omitted.len(), 10, "{omitted:?}");
    assert_eq!(
        omitted[0],
        serde_json::json!({"file": "jobs/j20.yaml", "errors": 50, "warnings": 0})
    );
}

/// `sparkc import` of a SparkApplication with 2,000 fields sparkc does not know: each is
/// reported, 100 are shown.
#[test]
fn import_output_is_capped_too() {
    let p = Project::new();
    let unknown: String = (0..2000)
        .map(|i| format!("  unknownField{i}: {i}\n"))
        .collect();
    p.write(
        "app.yaml",
        format!("apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkApplication\nmetadata: {{name: a, namespace: data}}\nspec:\n  type: Python\n  mode: cluster\n  image: apache/spark:3.5.3\n  sparkVersion: \"3.5.3\"\n  mainApplicationFile: local:///opt/app/main.py\n{unknown}"),
    );
    let out = run(&mut p.sparkc(&["import", "app.yaml", "--color", "never"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stderr.matches("warning: app.yaml:").count(), 100);
    assert!(
        out.stderr
            .contains("note: and 1900 more in app.yaml (0 errors, 1900 warnings) not shown"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.len() < 100_000);
}

/// The Quartz forms and the empty list item, for each target: refused at the schedule's
/// line and column, each with a hint.
#[test]
fn cron_forms_kubernetes_refuses() {
    let forms = [
        "* * L * *",
        "* * * * 7L",
        "* * 31W * *",
        "* * * * SUN-SAT#5",
        "1,,2 * * * *",
    ];
    let mut all = String::new();
    for target in ["native", "operator"] {
        for form in forms {
            let out = scheduled(target, &format!("    cron: \"{form}\"\n"));
            assert_eq!(out.code, 1, "{target} {form}: {}", out.stdout);
            starts_with(&out, "error: jobs/a.yaml:10:11: spec.schedule.cron: ");
            assert!(out.stdout.contains("= hint: "), "{}", out.stdout);
            assert_eq!(out.stdout.matches("error: ").count(), 2, "{}", out.stdout);
            all.push_str(&format!("# {target}: {form}\n{}", out.stdout));
        }
    }
    insta::assert_snapshot!("cron_forms_kubernetes_refuses", all);
}

/// What Kubernetes and the operator accept validates on both targets; `TZ` in the schedule
/// only on the operator's (Kubernetes refuses it in favour of `timeZone`).
#[test]
fn cron_forms_kubernetes_accepts() {
    for target in ["native", "operator"] {
        for form in [
            "@hourly",
            "0 */6 * * 1-5",
            "30 3 * * SUN",
            "@every 2h",
            "0 3 ? * mon-fri",
        ] {
            let lines = format!("    cron: \"{form}\"\n    timeZone: Europe/Berlin\n");
            let out = scheduled(target, &lines);
            assert_eq!(out.code, 0, "{target} {form}: {}", out.stdout);
        }
    }
    let with_tz = |target| scheduled(target, "    cron: \"CRON_TZ=Europe/Berlin 30 3 * * *\"\n");
    let native = with_tz("native");
    assert_eq!(native.code, 1);
    assert!(
        native.stdout.contains("set `schedule.timeZone` instead"),
        "{}",
        native.stdout
    );
    assert_eq!(with_tz("operator").code, 0);
}

/// An `int32` field out of its range is refused by the schema at its own line and column,
/// in the job and in the project's defaults, not by the decode of the merged spec at 1:1.
#[test]
fn an_int32_out_of_range_is_located() {
    let p = Project::new();
    p.write(
        "jobs/a.yaml",
        format!(
            "{JOB_HEAD}metadata: {{name: a, namespace: data}}\nspec:\n  image: apache/spark:3.5.3\n  sparkVersion: \"3.5.3\"\n  mainApplicationFile: local:///opt/app/main.py\n  executor:\n    instances: 3000000000\n"
        ),
    );
    let out = validate(&p, "human");
    assert_eq!(out.code, 1);
    insta::assert_snapshot!("int32_out_of_range", out.stdout);
    p.write(
        "sparkc.yaml",
        "apiVersion: sparkc.io/v1alpha1\nkind: Project\ndefaults:\n  driver:\n    cores: -2147483649\n",
    );
    p.write("jobs/a.yaml", job("a"));
    let out = validate(&p, "human");
    assert_eq!(out.code, 1, "{}", out.stdout);
    starts_with(
        &out,
        "error: sparkc.yaml:5:12: defaults.driver.cores: expected a value ≥ ",
    );
}
