//! Hand-written native setups (`tests/fixtures/native-import/`, written for these tests,
//! one per mistake kind and per odd input; `NOTES.md` there lists what each one's render
//! changes and why) through `sparkc import -o`: what each reports is frozen, each imported
//! spec validates and renders, each mistake kind is reported at its line, and the render
//! compared with the original keeps everything but sparkc's fixes.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::Value as Json;

use crate::harness::{Output, Project, repo, run};

fn fixtures() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("tests/fixtures/native-import"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(repo().join("tests/fixtures/native-import").join(name)).unwrap()
}

/// A project with a Spark version in its defaults (a native setup does not say which Spark
/// its image holds), and the fixture beside it.
fn project(name: &str) -> Project {
    let p = bare_project();
    p.write(name, fixture_text(name));
    p
}

/// The project of [`project`] without a fixture.
fn bare_project() -> Project {
    let p = Project::new();
    p.write(
        "sparkc.yaml",
        "apiVersion: sparkc.io/v1alpha1\nkind: Project\njobs: [jobs]\ndefaults:\n  sparkVersion: \"3.5.3\"\nenvironments:\n  dev: {namespace: spark}\n",
    );
    p
}

/// `sparkc import NAME -o jobs` in a fresh project.
fn import(name: &str, format: &str) -> (Project, Output) {
    let p = project(name);
    let out = run(&mut p.sparkc(&[
        "import", name, "-o", "jobs", "--color", "never", "--format", format,
    ]));
    (p, out)
}

/// The diagnostics of an import, from its JSON report.
fn diagnostics(name: &str) -> (i32, Vec<Json>) {
    let (_p, out) = import(name, "json");
    let report: Json =
        serde_json::from_str(&out.stderr).unwrap_or_else(|e| panic!("{name}: {e}: {}", out.stderr));
    (
        out.code,
        report["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
    )
}

/// The import of `name` reports `code` at `line` with a message holding `text`.
#[track_caller]
fn reports(name: &str, code: &str, line: u64, text: &str) {
    let (_, diags) = diagnostics(name);
    let found = diags.iter().any(|d| {
        d["code"] == code
            && d["line"] == line
            && d["message"].as_str().is_some_and(|m| m.contains(text))
    });
    let shown: Vec<String> = diags
        .iter()
        .map(|d| format!("{} {}: {}", d["code"], d["line"], d["message"]))
        .collect();
    assert!(
        found,
        "{name}: no `{code}` at line {line} saying `{text}`:\n{}",
        shown.join("\n")
    );
}

/// The codes a fixture's import reports for mistakes of the setup.
const MISTAKES: &[&str] = &[
    "import-name-mismatch",
    "import-selector",
    "import-port",
    "import-pod-name",
    "import-rbac",
    "import-placeholder",
];

#[test]
fn every_native_setup_imports_with_stated_outcomes_and_renders() {
    let mut all = String::new();
    let mut rendered = 0;
    for file in fixtures() {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let (p, out) = import(&name, "human");
        writeln!(all, "{name}: exit {}", out.code).unwrap();
        for line in out
            .stderr
            .lines()
            .filter(|l| l.starts_with("error:") || l.starts_with("warning:"))
        {
            writeln!(
                all,
                "  {}",
                line.replace(&p.path().display().to_string(), "")
            )
            .unwrap();
        }
        // Whatever was written validates and renders, also when something of the
        // original could not be carried over (the import then exits 1 and says what).
        if p.path()
            .join("jobs")
            .read_dir()
            .is_ok_and(|mut d| d.next().is_some())
        {
            let r = run(&mut p.sparkc(&["render", "--stdout", "--color", "never"]));
            assert_eq!(
                r.code, 0,
                "{name} imported but does not render: {}",
                r.stderr
            );
            rendered += 1;
        }
    }
    writeln!(all, "{rendered} imported setups render").unwrap();
    assert!(rendered >= 20, "{all}");
    insta::assert_snapshot!("native_import_outcomes", all);
}

#[test]
fn a_setup_without_mistakes_reports_none() {
    let (code, diags) = diagnostics("clean-job.yaml");
    assert_eq!(code, 0);
    let mistakes: Vec<&Json> = diags
        .iter()
        .filter(|d| MISTAKES.contains(&d["code"].as_str().unwrap_or_default()))
        .collect();
    assert!(mistakes.is_empty(), "{mistakes:?}");
    // What sparkc manages is still named: the driver's address, ports and pod name.
    reports("clean-job.yaml", "import-dropped", 131, "spark.driver.host");
    reports("clean-job.yaml", "import-dropped", 135, "spark.driver.port");
    reports(
        "clean-job.yaml",
        "import-dropped",
        110,
        "`SPARK_CONF_DIR`: the configuration it names is in the spec now",
    );
}

#[test]
fn a_pod_name_that_is_not_the_pods_is_reported() {
    reports(
        "pod-name-mismatch.yaml",
        "import-name-mismatch",
        22,
        "is `spark-pi-driver`, but the driver pod is named `pi-driver`",
    );
    reports(
        "pod-name-job-literal.yaml",
        "import-name-mismatch",
        24,
        "the pods of a Job get generated names",
    );
    reports(
        "article-pod.yaml",
        "import-name-mismatch",
        50,
        "but the driver pod is named `pyspark-pi-driver`",
    );
}

#[test]
fn a_driver_host_that_names_no_service_is_reported() {
    reports(
        "host-mismatch.yaml",
        "import-name-mismatch",
        42,
        "is `report-driver-svc.data.svc`, but these files create `report-driver`",
    );
    reports(
        "two-workloads.yaml",
        "import-name-mismatch",
        74,
        "is `views-driver-svc`, but these files create `clicks-driver`, `views-driver`",
    );
}

#[test]
fn a_selector_that_misses_the_driver_or_matches_executors_is_reported() {
    reports(
        "selector-no-pod.yaml",
        "import-selector",
        10,
        "matches no pod of these files: the driver pod does not carry `app: sessions-driver`",
    );
    reports(
        "article-pod.yaml",
        "import-selector",
        79,
        "does not carry `app-name: spark-routine`",
    );
    reports(
        "selector-executors.yaml",
        "import-selector",
        30,
        "also matches the executor pods",
    );
    reports(
        "deployment-thrift.yaml",
        "import-selector",
        22,
        "more than one replica runs more than one driver",
    );
}

#[test]
fn ports_exposed_but_not_set_or_set_but_not_exposed_are_reported() {
    reports("no-ports.yaml", "import-port", 8, "exposes no ports");
    reports(
        "port-not-set.yaml",
        "import-port",
        14,
        "exposes 7078, but no setting fixes a driver port to it",
    );
    reports(
        "port-not-exposed.yaml",
        "import-port",
        50,
        "`spark.driver.blockManager.port` is 29414, but the Service `merge-driver-svc` does not expose it",
    );
    // The UI's port is fixed by Spark's default: exposing 4040 is no mistake.
    let (_, diags) = diagnostics("port-not-set.yaml");
    assert!(
        !diags
            .iter()
            .any(|d| d["code"] == "import-port" && d["line"] == 17),
        "{diags:?}"
    );
}

#[test]
fn a_missing_downward_api_pod_name_is_reported() {
    reports(
        "pod-name-missing.yaml",
        "import-pod-name",
        16,
        "`spark.kubernetes.driver.pod.name` is not set: executors get no owner reference",
    );
    reports(
        "pod-name-no-downward.yaml",
        "import-pod-name",
        24,
        "`HOSTNAME_FROM_DOWNWARD` is not the pod's name from the downward API",
    );
}

#[test]
fn rbac_that_lacks_what_spark_needs_is_reported() {
    reports(
        "rbac-verbs.yaml",
        "import-rbac",
        15,
        "pods: deletecollection; configmaps: create, deletecollection; persistentvolumeclaims: list, deletecollection; services: deletecollection",
    );
    reports(
        "article-pod.yaml",
        "import-rbac",
        17,
        "configmaps: create, deletecollection",
    );
    reports(
        "rbac-default-account.yaml",
        "import-rbac",
        11,
        "runs as the namespace's `default` account",
    );
    reports(
        "rbac-default-account.yaml",
        "import-rbac",
        12,
        "the driver has no token",
    );
}

#[test]
fn placeholders_spark_does_not_expand_are_reported() {
    reports(
        "placeholder-conf.yaml",
        "import-placeholder",
        11,
        "`spark.eventLog.dir` holds `${LOG_BUCKET}`, which Spark does not expand",
    );
    reports(
        "placeholder-conf.yaml",
        "import-placeholder",
        12,
        "holds `$(S3_ENDPOINT)`",
    );
    reports(
        "article-pod.yaml",
        "import-placeholder",
        48,
        "`spark.kubernetes.namespace` holds `${NAMESPACE}`",
    );
}

#[test]
fn placeholders_are_kept_where_the_spec_carries_them_and_named_otherwise() {
    reports(
        "placeholder-manifest.yaml",
        "import-variable",
        49,
        "`${BUCKET}` is a placeholder; it is kept as written",
    );
    reports(
        "placeholder-manifest.yaml",
        "import-variable",
        52,
        "`${RUN_ID}` is a placeholder; it is kept as written",
    );
    reports(
        "placeholder-manifest.yaml",
        "import-variable",
        7,
        "`${SUFFIX}` is a placeholder in a setting sparkc derives itself; it is not carried over",
    );
    let (p, out) = import("placeholder-manifest.yaml", "human");
    assert_eq!(out.code, 0, "{}", out.stderr);
    let job = std::fs::read_to_string(p.path().join("jobs/loader.yaml")).unwrap();
    assert!(job.contains("s3a://${BUCKET}/warehouse"), "{job}");
    assert!(job.contains("- ${RUN_ID}"), "{job}");
    assert!(!job.contains("SUFFIX"), "{job}");
    // A variable of the container's own environment is expanded where the shell would.
    let (p, _) = import("cronjob-shell.yaml", "human");
    let job = std::fs::read_to_string(p.path().join("jobs/nightly.yaml")).unwrap();
    assert!(job.contains("- \"2026-01-01\""), "{job}");
}

#[test]
fn a_file_that_is_not_yaml_until_substituted_is_refused_at_its_line() {
    let (code, diags) = diagnostics("placeholder-invalid-yaml.yaml");
    assert_eq!(code, 1);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["code"], "yaml");
    assert_eq!(diags[0]["line"], 6);
    assert!(
        diags[0]["hint"]
            .as_str()
            .unwrap()
            .contains("`${EXTRA_METADATA}` on line 6"),
        "{diags:?}"
    );
}

#[test]
fn odd_setups_say_what_they_are() {
    // A Deployment that runs no spark-submit: nothing to import, and it says why.
    let (code, diags) = diagnostics("deployment-no-submit.yaml");
    assert_eq!(code, 1, "no job was imported");
    assert!(diags.iter().any(|d| {
        d["code"] == "import-skipped"
            && d["line"] == 3
            && d["message"]
                .as_str()
                .unwrap()
                .contains("none of its containers runs spark-submit")
    }));
    // Two drivers in one file are two jobs, each with its own Service.
    let (p, out) = import("two-workloads.yaml", "human");
    assert_eq!(out.code, 0, "{}", out.stderr);
    for job in ["clicks", "views"] {
        assert!(p.path().join(format!("jobs/{job}.yaml")).is_file(), "{job}");
    }
    // A shell line that runs more than spark-submit: the rest is named, and the import
    // fails (it would not run the same).
    reports(
        "cronjob-shell.yaml",
        "import",
        30,
        "the shell line also runs `cd /opt/app`",
    );
    // Each setting of a shell line at the line of the script it is on.
    reports(
        "cronjob-shell.yaml",
        "import-dropped",
        33,
        "spark.kubernetes.driver.pod.name",
    );
    // The executor pod template in a ConfigMap the files do not hold.
    reports(
        "missing-configmap.yaml",
        "import",
        28,
        "is in the ConfigMap `audit-templates`, which these files do not hold",
    );
    // An application ConfigMap the driver reads is named, and a value the spec now
    // carries instead of following the ConfigMap.
    reports(
        "app-config.yaml",
        "import-skipped",
        3,
        "a driver reads it (the spec names it), but sparkc does not render it",
    );
    reports(
        "app-config.yaml",
        "import-variable",
        42,
        "`$(CURRENCY)` is `EUR` from the ConfigMap `pricing-settings`",
    );
    // A second Service of the driver (its UI's) is checked and left as it is.
    reports(
        "article-pod.yaml",
        "import-skipped",
        132,
        "sparkc renders one Service for the driver, `pyspark-pi-driver-svc`, in place of `spark-routine-driver-svc`",
    );
    // A Deployment runs its driver again and again; a Job runs it once.
    reports(
        "deployment-thrift.yaml",
        "import",
        17,
        "a Deployment starts its driver again whenever it ends",
    );
}

/// The driver pod spec and its spark-submit container of a workload document.
fn driver_of(doc: &Json) -> (Json, Json) {
    let pod = [
        "/spec/template/spec",
        "/spec/jobTemplate/spec/template/spec",
        "/spec",
    ]
    .iter()
    .find_map(|p| doc.pointer(p).filter(|s| s.get("containers").is_some()))
    .cloned()
    .unwrap();
    let container = pod["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c.to_string().contains("spark-submit"))
        .cloned()
        .unwrap();
    (pod, container)
}

/// `--conf k=v` pairs of a word list, whichever way they are written.
fn conf_pairs(words: &[String]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut it = words.iter();
    while let Some(w) = it.next() {
        let pair = match w.strip_prefix("--conf=") {
            Some(p) => Some(p.to_owned()),
            None if w == "--conf" => it.next().cloned(),
            None => None,
        };
        if let Some((k, v)) = pair.as_deref().and_then(|p| p.split_once('=')) {
            out.push((k.to_owned(), v.to_owned()));
        }
    }
    out
}

fn words(container: &Json) -> Vec<String> {
    ["command", "args"]
        .iter()
        .flat_map(|k| container[*k].as_array().cloned().unwrap_or_default())
        .filter_map(|w| w.as_str().map(str::to_owned))
        .collect()
}

#[test]
fn the_render_keeps_the_setup_but_for_sparkcs_fixes() {
    let mut compared = 0;
    for file in fixtures() {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let Ok(originals) = serde_saphyr::from_multiple::<Json>(&fixture_text(&name)) else {
            continue;
        };
        let (p, _) = import(&name, "human");
        if !p.path().join("jobs").is_dir() {
            continue;
        }
        let out = run(&mut p.sparkc(&["render", "--stdout", "--color", "never"]));
        if out.code != 0 {
            continue;
        }
        let rendered: Vec<Json> = serde_saphyr::from_multiple(&out.stdout).unwrap();
        let workloads = originals.iter().filter(|d| {
            matches!(
                d["kind"].as_str(),
                Some("Pod" | "Job" | "CronJob" | "Deployment")
            ) && d.to_string().contains("spark-submit")
        });
        for original in workloads {
            let (pod, container) = driver_of(original);
            let app = original.to_string();
            // The rendered driver of the same application.
            let Some(ours) = rendered.iter().find(|d| {
                matches!(d["kind"].as_str(), Some("Pod" | "Job" | "CronJob")) && {
                    let (_, c) = driver_of(d);
                    let ws = words(&c);
                    ws.iter().position(|w| w == "--name").is_some_and(|i| {
                        let n = &ws[i + 1];
                        app.contains(&format!("\"{n}\"")) || app.contains(&format!("--name {n}"))
                    })
                }
            }) else {
                panic!("{name}: no rendered driver runs its application");
            };
            let (our_pod, our_container) = driver_of(ours);
            let what = format!("{name} ({})", original["metadata"]["name"]);
            // The image and the application with its arguments.
            if !container["image"].as_str().unwrap().contains('$') {
                assert_eq!(our_container["image"], container["image"], "{what}: image");
            }
            // Every setting of its own (no field, not sparkc's) is passed as written.
            let ours_conf = conf_pairs(&words(&our_container));
            for (k, v) in conf_pairs(&words(&container)) {
                if sparkc::spark::conf::lookup(&k).is_none() && !v.contains('$') {
                    assert!(
                        ours_conf.contains(&(k.clone(), v.clone())),
                        "{what}: `{k}={v}` is not passed: {ours_conf:?}"
                    );
                }
            }
            // The environment, but what sparkc sets itself (the downward API, the
            // configuration folder it replaces).
            let our_env = our_container["env"].as_array().cloned().unwrap_or_default();
            for var in container["env"].as_array().into_iter().flatten() {
                let name_of = var["name"].as_str().unwrap();
                if var.pointer("/valueFrom/fieldRef").is_some() || name_of == "SPARK_CONF_DIR" {
                    continue;
                }
                assert!(our_env.contains(var), "{what}: env `{name_of}` is lost");
            }
            // Volumes and mounts that are not the configuration sparkc replaces.
            let config_maps: Vec<&str> = originals
                .iter()
                .filter(|d| d["kind"] == "ConfigMap")
                .filter_map(|d| d["metadata"]["name"].as_str())
                .collect();
            let our_volumes = our_pod["volumes"].as_array().cloned().unwrap_or_default();
            for vol in pod["volumes"].as_array().into_iter().flatten() {
                let cm = vol.pointer("/configMap/name").and_then(Json::as_str);
                if cm.is_some_and(|c| config_maps.contains(&c)) {
                    continue;
                }
                assert!(our_volumes.contains(vol), "{what}: volume {vol} is lost");
            }
            // Placement of the driver.
            for k in [
                "nodeSelector",
                "tolerations",
                "affinity",
                "priorityClassName",
            ] {
                if !pod[k].is_null() {
                    assert_eq!(our_pod[k], pod[k], "{what}: {k}");
                }
            }
            // sparkc's fixes: the pod's own name from the downward API, the Service named
            // by the driver host and selecting the driver pod.
            assert!(
                ours_conf.contains(&(
                    "spark.kubernetes.driver.pod.name".to_owned(),
                    "$(SPARK_DRIVER_POD_NAME)".to_owned()
                )),
                "{what}"
            );
            let host = ours_conf
                .iter()
                .find(|(k, _)| k == "spark.driver.host")
                .map(|(_, v)| v.clone())
                .unwrap();
            let service = rendered
                .iter()
                .find(|d| {
                    d["kind"] == "Service"
                        && host
                            .starts_with(&format!("{}.", d["metadata"]["name"].as_str().unwrap()))
                })
                .unwrap_or_else(|| panic!("{what}: no Service is `{host}`"));
            let labels = ours
                .pointer("/spec/template/metadata/labels")
                .or_else(|| ours.pointer("/spec/jobTemplate/spec/template/metadata/labels"))
                .or_else(|| ours.pointer("/metadata/labels"))
                .unwrap();
            for (k, v) in service["spec"]["selector"].as_object().unwrap() {
                assert_eq!(&labels[k], v, "{what}: the Service selects `{k}`");
            }
            compared += 1;
        }
    }
    assert!(compared >= 18, "{compared} drivers compared");
}

/// The native import shown in README.md is what sparkc prints.
#[test]
fn readme_shows_the_native_import_as_it_runs() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let p = project("article-pod.yaml");
    let out = run(crate::harness::sparkc().current_dir(p.path()).args([
        "import",
        "article-pod.yaml",
        "-o",
        "jobs",
        "--color",
        "never",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let command = format!("$ sparkc import article-pod.yaml -o jobs\n{}", out.stdout);
    assert!(readme.contains(&command), "README is stale:\n{command}");
    // Every diagnostic the README quotes is quoted whole, as printed.
    let mut blocks: Vec<String> = Vec::new();
    for line in out.stderr.lines() {
        if line.starts_with("warning:") || line.starts_with("error:") {
            blocks.push(String::new());
        }
        if let Some(b) = blocks.last_mut() {
            b.push_str(line);
            b.push('\n');
        }
    }
    let quoted: Vec<&String> = blocks
        .iter()
        .filter(|b| readme.contains(b.lines().next().unwrap()))
        .collect();
    assert_eq!(quoted.len(), 4, "{blocks:?}");
    // "the eleven settings it left out"
    let dropped = blocks
        .iter()
        .filter(|b| b.contains("left out, sparkc does it"))
        .count();
    assert_eq!(dropped, 11, "{blocks:?}");
    for b in quoted {
        assert!(
            readme.contains(b.as_str()),
            "README quotes this otherwise:\n{b}"
        );
    }
}

/// Odd shapes of a native setup are reported, never a crash: every import ends with exit 0
/// or 1 and says something.
#[test]
fn malformed_native_setups_are_reported_not_crashed_on() {
    let job = |pod: &str| {
        format!(
            "apiVersion: batch/v1\nkind: Job\nmetadata: {{name: odd, namespace: data}}\nspec:\n  template:\n    spec:\n{pod}"
        )
    };
    let cases = [
        job("      containers: 5\n"),
        job("      containers: [{name: d, image: a, args: spark-submit}]\n"),
        job("      containers: [{name: d, image: a, command: [spark-submit, --conf]}]\n"),
        job("      containers: [{name: d, image: 7, command: [spark-submit, 42, true, local:///a.py]}]\n"),
        job("      containers: [{name: d, command: [sh, -c, 'spark-submit \"x.py']}]\n"),
        job("      containers: [{name: d, command: [sh, -c]}]\n      volumes: 3\n"),
        job("      containers: [{name: d, env: [{}, {name: 5}], envFrom: [{configMapRef: {}}], command: [spark-submit, --kill, x]}]\n"),
        job("      containers: [{name: d, volumeMounts: [{name: v, mountPath: /c}], command: [spark-submit, --conf, spark.kubernetes.executor.podTemplateFile=/c/t.yaml, local:///a.py]}]\n      volumes: [{name: v, configMap: {name: cm}}]\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {t.yaml: '[1, 2'}\n"),
        job("      containers: [{name: d, volumeMounts: [{name: v, mountPath: /opt/spark/conf}], command: [spark-submit, local:///a.py]}]\n      volumes: [{name: v, configMap: {name: cm}}]\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {spark-defaults.conf: \"=\\n spark.only.key\\n\\u0000\"}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {selector: 5, ports: [{port: x}, 7]}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b}\nsubjects: 3\nroleRef: {}\n"),
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec: {schedule: 5, jobTemplate: {spec: {template: {spec: {containers: [{command: [spark-submit, local:///a.py]}]}}}}}\n".to_owned(),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: 3}\nspec: {containers: [{command: [spark-submit, --conf, spark.kubernetes.driver.pod.name=, --conf, spark.driver.host=, local:///a.py]}]}\n".to_owned(),
    ];
    for (i, text) in cases.iter().enumerate() {
        let p = Project::new();
        p.write("setup.yaml", text);
        let out = run(&mut p.sparkc(&["import", "setup.yaml", "--color", "never"]));
        assert!(
            matches!(out.code, 0 | 1),
            "case {i} exits {}: {}",
            out.code,
            out.stderr
        );
        assert!(!out.stderr.contains("panicked"), "case {i}: {}", out.stderr);
        assert!(
            out.code == 0 || !out.stderr.is_empty(),
            "case {i} fails silently"
        );
    }
}

/// sparkc's own render of a job, imported, is the same job again as far as the pull
/// policy goes: a policy the spec never set is not frozen into it, and each role's
/// rendered policy survives, also when the driver and executor images differ.
#[test]
fn an_imported_render_keeps_each_roles_pull_policy() {
    let head = "apiVersion: sparkc.io/v1alpha1\nkind: SparkJob\nmetadata: {name: a, namespace: spark}\nspec:\n  target: native\n  mainApplicationFile: local:///opt/app/main.py\n";
    let policies = |rendered: &str| {
        let docs: Vec<Json> = serde_saphyr::from_multiple(rendered).unwrap();
        let job = docs.iter().find(|d| d["kind"] == "Job").expect("a Job");
        let (_, container) = driver_of(job);
        let conf: std::collections::BTreeMap<_, _> =
            conf_pairs(&words(&container)).into_iter().collect();
        (
            container["imagePullPolicy"].as_str().unwrap().to_owned(),
            conf["spark.kubernetes.container.image.pullPolicy"].clone(),
        )
    };
    // (spec lines, the imported spec's `imagePullPolicy`)
    for (lines, imported) in [
        ("image: apache/spark:3.5.3", None),
        ("image: apache/spark:latest", None),
        (
            "image: apache/spark:3.5.3\n  executor: {image: apache/spark}",
            None,
        ),
        (
            "image: apache/spark\n  driver: {image: apache/spark:3.5.3}",
            None,
        ),
        (
            "image: apache/spark:3.5.3\n  imagePullPolicy: Always",
            Some("Always"),
        ),
        (
            "image: apache/spark:latest\n  imagePullPolicy: IfNotPresent",
            Some("IfNotPresent"),
        ),
        (
            "image: apache/spark:latest\n  imagePullPolicy: Never",
            Some("Never"),
        ),
    ] {
        let p = bare_project();
        p.write("jobs/a.yaml", format!("{head}  {lines}\n"));
        let out = run(&mut p.sparkc(&["render", "--stdout", "--color", "never"]));
        assert_eq!(out.code, 0, "{lines}: {}", out.stderr);
        let before = policies(&out.stdout);

        let q = bare_project();
        q.write("rendered.yaml", &out.stdout);
        let imp =
            run(&mut q.sparkc(&["import", "rendered.yaml", "-o", "jobs", "--color", "never"]));
        assert_eq!(imp.code, 0, "{lines}: {}{}", imp.stdout, imp.stderr);
        assert!(!imp.stderr.contains("pull"), "{lines}: {}", imp.stderr);
        let spec: Json =
            serde_saphyr::from_str(&std::fs::read_to_string(q.path().join("jobs/a.yaml")).unwrap())
                .unwrap();
        assert_eq!(
            spec["spec"]["imagePullPolicy"].as_str(),
            imported,
            "{lines}: {spec}"
        );
        let again = run(&mut q.sparkc(&["render", "--stdout", "--color", "never"]));
        assert_eq!(again.code, 0, "{lines}: {}", again.stderr);
        assert_eq!(policies(&again.stdout), before, "{lines}");
    }
}

/// A native Job whose driver container and Spark's executors pull differently cannot be
/// one spec field: the executors' policy (Spark's configuration) is kept and the import
/// says the driver container's changes.
#[test]
fn differing_pull_policies_of_driver_and_executors_are_a_note() {
    let p = bare_project();
    let out = {
        p.write(
            "jobs/a.yaml",
            "apiVersion: sparkc.io/v1alpha1\nkind: SparkJob\nmetadata: {name: a, namespace: spark}\nspec:\n  target: native\n  image: apache/spark:3.5.3\n  imagePullPolicy: Never\n  mainApplicationFile: local:///opt/app/main.py\n",
        );
        run(&mut p.sparkc(&["render", "--stdout", "--color", "never"]))
    };
    assert_eq!(out.code, 0, "{}", out.stderr);
    // The driver container is edited by hand to pull Always.
    let edited = out
        .stdout
        .replacen("imagePullPolicy: Never", "imagePullPolicy: Always", 1);
    assert_ne!(edited, out.stdout);
    let q = bare_project();
    q.write("rendered.yaml", &edited);
    let imp = run(&mut q.sparkc(&["import", "rendered.yaml", "-o", "jobs", "--color", "never"]));
    assert_eq!(imp.code, 0, "{}{}", imp.stdout, imp.stderr);
    assert!(
        imp.stderr
            .contains("so the driver container pulls `Never` instead of `Always`"),
        "{}",
        imp.stderr
    );
    let spec = std::fs::read_to_string(q.path().join("jobs/a.yaml")).unwrap();
    assert!(spec.contains("imagePullPolicy: Never"), "{spec}");
}
