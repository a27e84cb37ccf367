use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::harness::{files_under, quickstart, repo, run, sparkc, tool_missing};

/// Every file under `dir`, with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in files_under(dir) {
        let rel = entry
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        out.insert(rel, std::fs::read(&entry).unwrap());
    }
    out
}

fn generated(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("python3")
        .arg(repo().join("scripts/gen-project.py"))
        .arg(n.to_string())
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    dir
}

#[test]
fn render_writes_the_tree_of_the_contract() {
    let p = quickstart();
    let out = run(&mut p.sparkc(&["render"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("wrote 63 files in 8 units to deploy"),
        "{}",
        out.stdout
    );
    let tree = snapshot(&p.path().join("deploy"));
    let names: Vec<&String> = tree.keys().collect();
    insta::assert_snapshot!(
        "quickstart_tree",
        names
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    let unit = String::from_utf8(tree["dev/etl/kustomization.yaml"].clone()).unwrap();
    assert!(unit.contains("resources:\n- nightly-etl\n"), "{unit}");
    let gitops = String::from_utf8(tree["gitops/prod.yaml"].clone()).unwrap();
    insta::assert_snapshot!("quickstart_gitops_prod", gitops);
}

#[test]
fn render_is_deterministic_from_any_directory() {
    let a = quickstart();
    let b = quickstart();
    assert_eq!(run(&mut a.sparkc(&["render"])).code, 0);
    assert_eq!(run(&mut a.sparkc(&["render"])).code, 0, "twice");
    // From another working directory, without -C.
    let out = run(sparkc().current_dir(b.path()).arg("render"));
    assert_eq!(out.code, 0);
    assert_eq!(
        snapshot(&a.path().join("deploy")),
        snapshot(&b.path().join("deploy"))
    );
}

#[test]
fn removed_jobs_vanish_and_foreign_files_survive() {
    let p = quickstart();
    assert_eq!(run(&mut p.sparkc(&["render"])).code, 0);
    p.write("deploy/README.md", "hand-written notes\n");
    p.write("deploy/extra/keep.yaml", "kind: Keep\n");
    std::fs::remove_file(p.path().join("jobs/ml/feature-build.yaml")).unwrap();
    let out = run(&mut p.sparkc(&["render"]));
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains("removed 16 stale")
            && out.stdout.contains("kept 2 not written by sparkc"),
        "{}",
        out.stdout
    );
    let tree = snapshot(&p.path().join("deploy"));
    assert!(
        !tree.keys().any(|k| k.contains("feature-build")),
        "{:?}",
        tree.keys()
    );
    assert!(!tree.contains_key("dev/ml/kustomization.yaml"));
    assert_eq!(tree["README.md"], b"hand-written notes\n");
    assert_eq!(tree["extra/keep.yaml"], b"kind: Keep\n");
    assert!(!String::from_utf8_lossy(&tree["gitops/dev.yaml"]).contains("sparkc-dev-ml"));
    // A foreign file where sparkc wants to write is not overwritten.
    let p = quickstart();
    p.write("deploy/dev/etl/kustomization.yaml", "mine\n");
    let out = run(&mut p.sparkc(&["render"]));
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(
        out.stderr.contains("was not written by sparkc"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(p.path().join("deploy/dev/etl/kustomization.yaml")).unwrap(),
        "mine\n"
    );
}

/// A re-render keeps the files that do not change (the same file, linked into the new
/// tree) and writes the ones that do: a hand edit to a generated file is undone.
#[cfg(unix)]
#[test]
fn a_render_again_links_unchanged_files_and_rewrites_edited_ones() {
    use std::os::unix::fs::MetadataExt;
    let p = quickstart();
    assert_eq!(run(&mut p.sparkc(&["render"])).code, 0);
    let deploy = p.path().join("deploy");
    let kept = deploy.join("dev/etl/kustomization.yaml");
    let edited = deploy.join("prod/etl/nightly-etl/service-nightly-etl-driver-svc.yaml");
    let before = std::fs::read_to_string(&edited).unwrap();
    std::fs::write(&edited, before.replace("7078", "7079")).unwrap();
    let kept_inode = std::fs::metadata(&kept).unwrap().ino();
    let edited_inode = std::fs::metadata(&edited).unwrap().ino();
    let out = run(&mut p.sparkc(&["render"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(std::fs::metadata(&kept).unwrap().ino(), kept_inode);
    assert_eq!(
        std::fs::metadata(&kept).unwrap().nlink(),
        1,
        "the old tree is gone"
    );
    assert_ne!(std::fs::metadata(&edited).unwrap().ino(), edited_inode);
    assert_eq!(std::fs::read_to_string(&edited).unwrap(), before);
    assert_eq!(run(&mut p.sparkc(&["render", "--check"])).code, 0);
    // Nothing changed since: nothing is written at all.
    let inode = std::fs::metadata(&edited).unwrap().ino();
    let out = run(&mut p.sparkc(&["render"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("deploy is up to date (63 files in 8 units); nothing written"),
        "{}",
        out.stdout
    );
    assert_eq!(std::fs::metadata(&edited).unwrap().ino(), inode);
    // A removed job is still a change.
    std::fs::remove_file(p.path().join("jobs/ml/feature-build.yaml")).unwrap();
    let out = run(&mut p.sparkc(&["render"]));
    assert!(out.stdout.contains("removed 16 stale"), "{}", out.stdout);
}

#[test]
fn check_finds_every_difference_and_writes_nothing() {
    let p = quickstart();
    let out = run(&mut p.sparkc(&["render", "--check"]));
    assert_eq!(out.code, 1, "nothing rendered yet");
    assert!(!p.path().join("deploy").exists(), "--check writes nothing");
    assert_eq!(run(&mut p.sparkc(&["render"])).code, 0);
    let out = run(&mut p.sparkc(&["render", "--check"]));
    assert_eq!(out.code, 0, "{}", out.stdout);
    let job = files_under(&p.path().join("deploy/dev/etl/nightly-etl"))
        .into_iter()
        .find(|f| f.to_string_lossy().contains("/job-"))
        .unwrap();
    let original = std::fs::read(&job).unwrap();
    // A one-byte edit.
    let mut edited = original.clone();
    let i = edited.iter().rposition(|&b| b == b'4').unwrap();
    edited[i] = b'5';
    std::fs::write(&job, &edited).unwrap();
    let out = run(&mut p.sparkc(&["render", "--check", "--color", "never"]));
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .contains("changed: deploy/dev/etl/nightly-etl/job-")
            && out.stdout.contains("\n-")
            && out.stdout.contains("\n+"),
        "{}",
        out.stdout
    );
    std::fs::write(&job, &original).unwrap();
    assert_eq!(run(&mut p.sparkc(&["render", "--check"])).code, 0);
    // An added file inside the generated folders.
    p.write("deploy/dev/etl/nightly-etl/extra.yaml", "kind: Extra\n");
    let out = run(&mut p.sparkc(&["render", "--check"]));
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .contains("extra: deploy/dev/etl/nightly-etl/extra.yaml"),
        "{}",
        out.stdout
    );
    std::fs::remove_file(p.path().join("deploy/dev/etl/nightly-etl/extra.yaml")).unwrap();
    // A deleted file.
    std::fs::remove_file(p.path().join("deploy/prod/ml/kustomization.yaml")).unwrap();
    let out = run(&mut p.sparkc(&["render", "--check"]));
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .contains("missing: deploy/prod/ml/kustomization.yaml"),
        "{}",
        out.stdout
    );
    // A changed spec.
    assert_eq!(run(&mut p.sparkc(&["render"])).code, 0);
    let spec = std::fs::read_to_string(p.path().join("jobs/ml/feature-build.yaml")).unwrap();
    p.write(
        "jobs/ml/feature-build.yaml",
        spec.replace("maxExecutors: 20", "maxExecutors: 21"),
    );
    assert_eq!(run(&mut p.sparkc(&["render", "--check"])).code, 1);
}

#[test]
fn no_output_outside_the_output_folder() {
    let p = quickstart();
    for bad in [".", "..", "jobs", "jobs/out"] {
        let out = run(&mut p.sparkc(&["render", "-o", bad]));
        assert_eq!(out.code, 2, "-o {bad}: {}", out.stdout);
    }
    // A job named to escape the folder never gets that far.
    p.write("jobs/evil.yaml", crate::harness::job("../../../tmp/evil"));
    let out = run(&mut p.sparkc(&["render"]));
    assert_eq!(out.code, 1);
    assert!(!p.path().join("deploy").exists());
    // A group folder whose name cannot name a unit is refused.
    let p = quickstart();
    p.write("jobs/Bad Group/x.yaml", crate::harness::job("x"));
    let out = run(&mut p.sparkc(&["render", "--color", "never"]));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout.contains("cannot name a folder"),
        "{}",
        out.stdout
    );
}

/// A render killed part-way (the test injects the failure) leaves the old tree or the new
/// one, never a mix.
#[test]
fn an_interrupted_render_leaves_the_old_tree_or_the_new_one() {
    let p = quickstart();
    assert_eq!(run(&mut p.sparkc(&["render"])).code, 0);
    p.write("deploy/README.md", "notes\n");
    let before = snapshot(&p.path().join("deploy"));
    let spec = std::fs::read_to_string(p.path().join("jobs/ml/feature-build.yaml")).unwrap();
    p.write(
        "jobs/ml/feature-build.yaml",
        spec.replace("maxExecutors: 20", "maxExecutors: 21"),
    );
    // Killed while writing the new tree: the old one is untouched.
    for n in ["after:1", "after:30"] {
        let status = p
            .sparkc(&["render"])
            .env("SPARKC_FAIL_AT", n)
            .env("RAYON_NUM_THREADS", "1")
            .output()
            .unwrap()
            .status;
        assert!(!status.success(), "the run was killed");
        assert_eq!(snapshot(&p.path().join("deploy")), before, "killed at {n}");
    }
    // Killed right after the swap: the new tree is complete.
    let status = p
        .sparkc(&["render"])
        .env("SPARKC_FAIL_AT", "swap")
        .output()
        .unwrap()
        .status;
    assert!(!status.success());
    let after = snapshot(&p.path().join("deploy"));
    assert_ne!(after, before);
    assert_eq!(after["README.md"], b"notes\n");
    assert_eq!(
        run(&mut p.sparkc(&["render", "--check"])).code,
        0,
        "the new tree is whole"
    );
    // The next run cleans what the killed ones left beside the folder.
    assert_eq!(run(&mut p.sparkc(&["render"])).code, 0);
    let leftovers: Vec<_> = std::fs::read_dir(p.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("sparkc-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn adding_a_job_never_moves_another() {
    // One group of 400 jobs: several shards.
    let dir = tempfile::tempdir().unwrap();
    let generator = Command::new("python3")
        .arg(repo().join("scripts/gen-project.py"))
        .arg("400")
        .arg(dir.path())
        .args(["--groups", "1"])
        .status()
        .unwrap();
    assert!(generator.success());
    let out = run(sparkc().arg("-C").arg(dir.path()).args(["render", "-q"]));
    assert_eq!(out.code, 0, "{}", out.stdout);
    let marker = |d: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(d.join("deploy/.sparkc-tree.json")).unwrap())
            .unwrap()
    };
    let before = marker(dir.path());
    let shards: std::collections::BTreeSet<u64> = before["placement"]["dev/g00"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert!(shards.len() >= 3, "{shards:?}");
    // Add jobs with names that sort first: nobody moves.
    for name in ["aaa-new", "aab-new", "job-00000-b"] {
        std::fs::write(
            dir.path().join(format!("jobs/g00/{name}.yaml")),
            crate::harness::job(name).replace("namespace: data", "namespace: spark-dev"),
        )
        .unwrap();
    }
    let out = run(sparkc().arg("-C").arg(dir.path()).args(["render", "-q"]));
    assert_eq!(out.code, 0, "{}", out.stdout);
    let after = marker(dir.path());
    for (env, _) in before["placement"].as_object().unwrap() {
        for (job, shard) in before["placement"][env].as_object().unwrap() {
            assert_eq!(&after["placement"][env][job], shard, "{env} {job} moved");
        }
    }
}

/// `kubectl kustomize` builds every unit of the quickstart and of a generated 200-job project.
#[test]
#[cfg_attr(not(any(ci, tool_kubectl)), ignore = "needs kubectl")]
fn kubectl_kustomize_builds_every_unit() {
    if Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_err()
    {
        tool_missing("kubectl");
    }
    let p = quickstart();
    let multi = crate::harness::example("multi-cluster");
    let big = generated(200);
    for root in [p.path(), multi.path(), big.path()] {
        let out = run(sparkc().arg("-C").arg(root).args(["render", "-q"]));
        assert_eq!(out.code, 0, "{}", out.stdout);
        let mut units = 0;
        for env in std::fs::read_dir(root.join("deploy")).unwrap() {
            let env = env.unwrap().path();
            if !env.is_dir() || env.ends_with("gitops") {
                continue;
            }
            for unit in std::fs::read_dir(&env).unwrap() {
                let unit = unit.unwrap().path();
                let out = Command::new("kubectl")
                    .arg("kustomize")
                    .arg(&unit)
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{}: {}",
                    unit.display(),
                    String::from_utf8_lossy(&out.stderr)
                );
                let built = String::from_utf8_lossy(&out.stdout);
                let files = files_under(&unit)
                    .iter()
                    .filter(|f| !f.ends_with("kustomization.yaml"))
                    .count();
                assert_eq!(
                    built.matches("\napiVersion: ").count()
                        + usize::from(built.starts_with("apiVersion: ")),
                    files,
                    "{}",
                    unit.display()
                );
                units += 1;
            }
        }
        assert!(units >= 4);
    }
}

/// The generated Argo CD Applications and Flux Kustomizations pass their CRD schemas, checked
/// by an independent validator.
#[test]
#[cfg_attr(
    not(any(ci, tool_python_jsonschema)),
    ignore = "needs python3 with jsonschema and pyyaml (pip install jsonschema pyyaml)"
)]
fn gitops_objects_pass_their_crds() {
    let python = Command::new("python3")
        .args(["-c", "import jsonschema, yaml"])
        .output()
        .is_ok_and(|o| o.status.success());
    let argo = repo().join("tests/reference/argo-cd/manifests/crds/application-crd.yaml");
    let flux = repo().join(
        "tests/reference/flux/config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml",
    );
    if !python {
        tool_missing("python3 with jsonschema and pyyaml");
    }
    let set = repo().join("tests/reference/argo-cd/manifests/crds/applicationset-crd.yaml");
    // (example, edit of its sparkc.yaml, CRD, objects expected)
    type Edit<'a> = &'a dyn Fn(&str) -> String;
    let cases: [(&str, Edit, &Path, &str); 5] = [
        ("quickstart", &|p| p.to_owned(), &argo, "8"),
        (
            "quickstart",
            &|p| p.replace("tool: argocd", "tool: flux"),
            &flux,
            "8",
        ),
        ("multi-cluster", &|p| p.to_owned(), &argo, "4"),
        (
            "multi-cluster",
            &|p| {
                p.replace(
                    "project: data-platform}",
                    "project: data-platform, applicationSet: true}",
                )
            },
            &set,
            "2",
        ),
        ("multi-cluster", &multi_cluster_on_flux, &flux, "4"),
    ];
    for (example, edit, crd, expected) in cases {
        let tool = format!("{example} {}", crd.file_name().unwrap().to_string_lossy());
        let p = crate::harness::example(example);
        let project = std::fs::read_to_string(p.path().join("sparkc.yaml")).unwrap();
        p.write("sparkc.yaml", edit(&project));
        let out = run(&mut p.sparkc(&["render"]));
        assert_eq!(out.code, 0, "{tool}: {}{}", out.stdout, out.stderr);
        let script = "import sys, yaml, jsonschema\nsys.path.insert(0, sys.argv[1])\nfrom crd_check import strict\ncrd = yaml.safe_load(open(sys.argv[2]))\nv = crd['spec']['versions'][0]['schema']['openAPIV3Schema']\nstrict(v)\nval = jsonschema.Draft4Validator(v)\nn = 0\nfor f in sys.argv[3:]:\n    for d in yaml.safe_load_all(open(f)):\n        errs = list(val.iter_errors(d))\n        assert not errs, errs\n        n += 1\nprint(n)\n";
        let out = Command::new("python3")
            .args(["-c", script])
            .arg(repo().join("tests"))
            .arg(crd)
            .arg(p.path().join("deploy/gitops/dev.yaml"))
            .arg(p.path().join("deploy/gitops/prod.yaml"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{tool}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            expected,
            "{tool}: one object per unit (or per environment for an ApplicationSet)"
        );
    }
}

/// The multi-cluster example under Flux: dev's cluster is reached through a kubeconfig Secret.
pub(crate) fn multi_cluster_on_flux(project: &str) -> String {
    project
        .replace("tool: argocd", "tool: flux")
        .replace(
            "cluster: {name: dev-cluster, context: dev}",
            "cluster: {name: dev-cluster, context: dev, kubeConfigSecretRef: {name: dev-kubeconfig}}",
        )
        .replace(
            "context: prod}",
            "context: prod, kubeConfigSecretRef: {name: prod-kubeconfig, key: value.yaml}}",
        )
}

/// Each environment's GitOps objects point at its own cluster, in the Argo CD project and
/// namespace of sparkc.yaml; the ApplicationSet renders the same Applications.
#[test]
fn each_environment_is_applied_to_its_own_cluster() {
    let p = crate::harness::example("multi-cluster");
    let out = run(&mut p.sparkc(&["render"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let docs = |env: &str| -> Vec<serde_json::Value> {
        let text =
            std::fs::read_to_string(p.path().join(format!("deploy/gitops/{env}.yaml"))).unwrap();
        serde_saphyr::from_multiple(&text).unwrap()
    };
    for app in docs("dev") {
        assert_eq!(app["metadata"]["namespace"], "argocd");
        assert_eq!(app["spec"]["project"], "data-platform");
        assert_eq!(
            app["spec"]["destination"],
            serde_json::json!({"name": "dev-cluster", "namespace": "spark-dev"})
        );
    }
    let prod = docs("prod");
    assert_eq!(prod.len(), 2);
    for app in &prod {
        assert_eq!(
            app["spec"]["destination"],
            serde_json::json!({"server": "https://prod.k8s.example.com:6443", "namespace": "spark-prod"})
        );
    }
    // Sync waves: what the workload needs first.
    let role = std::fs::read_to_string(
        p.path()
            .join("deploy/prod/batch/hourly-ingest/role-hourly-ingest-spark.yaml"),
    )
    .unwrap();
    assert!(
        role.contains("argocd.argoproj.io/sync-wave: \"-1\""),
        "{role}"
    );
    let cron = std::fs::read_to_string(
        p.path()
            .join("deploy/prod/batch/hourly-ingest/cronjob-hourly-ingest.yaml"),
    )
    .unwrap();
    assert!(!cron.contains("sync-wave"), "{cron}");

    // The ApplicationSet: one per environment, generating the same Applications.
    let project = std::fs::read_to_string(p.path().join("sparkc.yaml")).unwrap();
    p.write(
        "sparkc.yaml",
        project.replace(
            "project: data-platform}",
            "project: data-platform, applicationSet: true}",
        ),
    );
    let out = run(&mut p.sparkc(&["render"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let set = docs("prod");
    assert_eq!(set.len(), 1);
    insta::assert_snapshot!(
        "multi_cluster_applicationset_prod",
        std::fs::read_to_string(p.path().join("deploy/gitops/prod.yaml")).unwrap()
    );
    // What the generator would produce: the template with each element's values.
    let template = serde_json::to_string(&set[0]["spec"]["template"]).unwrap();
    for element in set[0]["spec"]["generators"][0]["list"]["elements"]
        .as_array()
        .unwrap()
    {
        let mut generated = template.clone();
        for key in ["unit", "path", "namespace"] {
            generated =
                generated.replace(&format!("{{{{.{key}}}}}"), element[key].as_str().unwrap());
        }
        let generated: serde_json::Value = serde_json::from_str(&generated).unwrap();
        let app = prod
            .iter()
            .find(|a| a["metadata"]["name"] == generated["metadata"]["name"])
            .unwrap_or_else(|| panic!("no Application {}", generated["metadata"]["name"]));
        assert_eq!(app["spec"], generated["spec"]);
    }

    // Flux: a Kustomization per unit, with the environment's kubeconfig Secret.
    p.write("sparkc.yaml", multi_cluster_on_flux(&project));
    let out = run(&mut p.sparkc(&["render"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    for (env, secret) in [
        ("dev", serde_json::json!({"name": "dev-kubeconfig"})),
        (
            "prod",
            serde_json::json!({"name": "prod-kubeconfig", "key": "value.yaml"}),
        ),
    ] {
        for k in docs(env) {
            assert_eq!(k["kind"], "Kustomization");
            assert_eq!(k["spec"]["kubeConfig"]["secretRef"], secret);
            // Health: the unit's Spark applications, never its driver Jobs.
            let checked: Vec<&str> = k["spec"]["healthChecks"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| c["kind"].as_str().unwrap())
                .collect();
            let unit = k["metadata"]["name"].as_str().unwrap();
            if unit.ends_with("-batch") {
                assert_eq!(checked, ["ScheduledSparkApplication"], "{unit}");
            } else {
                assert_eq!(checked, ["SparkApplication"], "{unit}");
            }
            assert_eq!(k["spec"]["timeout"], "5m");
        }
    }
    assert!(
        !p.path().join("deploy/gitops/argocd-health.yaml").exists(),
        "the Argo CD health checks go with Argo CD only"
    );
}

/// Cluster settings that cannot work are refused at their line in sparkc.yaml.
#[test]
fn impossible_cluster_settings_are_located() {
    let p = crate::harness::example("multi-cluster");
    let project = std::fs::read_to_string(p.path().join("sparkc.yaml")).unwrap();
    let line_of =
        |text: &str, needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    for (edit, expected) in [
        (
            project.replace(
                "{name: dev-cluster, context: dev}",
                "{name: dev-cluster, server: \"https://dev:6443\"}",
            ),
            "environments.dev.cluster.name: environment `dev` names its cluster twice",
        ),
        (
            project.replace(
                "\"https://prod.k8s.example.com:6443\"",
                "prod.k8s.example.com",
            ),
            "environments.prod.cluster.server: `prod.k8s.example.com` is not the URL of an API server",
        ),
        (
            project.replace("tool: argocd", "tool: flux"),
            "environments.dev.cluster: Flux cannot reach the cluster of environment `dev`",
        ),
    ] {
        p.write("sparkc.yaml", &edit);
        let out = run(&mut p.sparkc(&["validate", "--color", "never"]));
        assert_eq!(out.code, 1, "{}", out.stdout);
        assert!(out.stdout.contains(expected), "{}", out.stdout);
        let located = out
            .stdout
            .lines()
            .find(|l| l.contains(expected))
            .unwrap()
            .to_owned();
        let env = if expected.contains(".dev.") {
            "dev:"
        } else {
            "prod:"
        };
        let line = line_of(&edit, env) + 2;
        assert!(
            located.starts_with(&format!("error: sparkc.yaml:{line}:")),
            "{located} (expected line {line})"
        );
    }
    // A Flux-only setting under Argo CD is a warning, not an error.
    p.write(
        "sparkc.yaml",
        project.replace(
            "context: prod}",
            "context: prod, kubeConfigSecretRef: {name: prod}}",
        ),
    );
    let out = run(&mut p.sparkc(&["validate", "--color", "never"]));
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains("warning: sparkc.yaml:")
            && out
                .stdout
                .contains("`kubeConfigSecretRef` is read by Flux only"),
        "{}",
        out.stdout
    );
}

#[test]
fn one_environment_keeps_the_others() {
    let p = quickstart();
    assert_eq!(run(&mut p.sparkc(&["render"])).code, 0);
    let before = snapshot(&p.path().join("deploy"));
    let out = run(&mut p.sparkc(&["render", "--env", "dev"]));
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(snapshot(&p.path().join("deploy")), before);
    assert_eq!(
        run(&mut p.sparkc(&["render", "--check", "--env", "prod"])).code,
        0
    );
}

#[test]
fn gitops_ttl_warning() {
    let p = quickstart();
    let spec = std::fs::read_to_string(p.path().join("jobs/sessionize.yaml")).unwrap();
    p.write(
        "jobs/sessionize.yaml",
        format!("{spec}  timeToLiveSeconds: 600\n"),
    );
    let out = run(&mut p.sparkc(&["render", "--color", "never"]));
    assert_eq!(out.code, 0);
    assert!(
        out.stdout
            .contains("warning: jobs/sessionize.yaml:6:9: metadata.name: `timeToLiveSeconds: 600`"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("Argo CD self-heal re-creates it"),
        "{}",
        out.stdout
    );
}
