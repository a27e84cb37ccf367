//! Policies of `sparkc.yaml` (`validate`): one test per kind with its located diagnostics
//! (the job's file and line, the policy's line in sparkc.yaml), severities, the pod
//! security exemption, budgets, and values that every environment overrides.

use serde_json::Value as Json;

use crate::harness::{JOB_HEAD, Project, run};

const PROJECT_HEAD: &str = "apiVersion: sparkc.io/v1alpha1\nkind: Project\njobs: [jobs]\n";

/// A project with these project-file lines after the header, and one job file.
fn project(settings: &str, job: &str) -> Project {
    let p = Project::new();
    p.write("sparkc.yaml", format!("{PROJECT_HEAD}{settings}"));
    p.write("jobs/etl.yaml", job);
    p
}

/// `validate --format json`: (exit code, diagnostics).
fn diagnostics(p: &Project) -> (i32, Vec<Json>) {
    let out = run(&mut p.sparkc(&["validate", "--format", "json"]));
    let report: Json = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", out.stdout, out.stderr));
    (out.code, report["diagnostics"].as_array().unwrap().clone())
}

/// The diagnostics of one code as `severity file:line path: message`.
fn located(diags: &[Json], code: &str) -> Vec<String> {
    diags
        .iter()
        .filter(|d| d["code"] == code)
        .map(|d| {
            format!(
                "{} {}:{} {}: {}",
                d["severity"].as_str().unwrap(),
                d["file"].as_str().unwrap(),
                d["line"],
                d["path"].as_str().unwrap(),
                d["message"].as_str().unwrap()
            )
        })
        .collect()
}

fn job(meta: &str, spec: &str) -> String {
    format!(
        "{JOB_HEAD}metadata:\n  name: etl\n{meta}spec:\n  mainApplicationFile: local:///opt/app/main.py\n{spec}"
    )
}

const ENVS: &str = "defaults:\n  image: registry.example.com/data/spark:3.5.3\n  sparkVersion: \"3.5.3\"\nenvironments:\n  prod: {namespace: spark-prod}\n";

#[test]
fn required_labels_are_located_at_the_labels_and_name_the_policy_line() {
    let p = project(
        &format!("{ENVS}policies:\n  requiredLabels: [team, cost-center]\n"),
        &job("  labels: {team: analytics}\n", ""),
    );
    let (code, diags) = diagnostics(&p);
    assert_eq!(code, 1);
    assert_eq!(
        located(&diags, "policy-labels"),
        [
            "error jobs/etl.yaml:5 metadata.labels: the job has no label `cost-center` (policy `policies.requiredLabels` at sparkc.yaml:10)"
        ]
    );
    let hint = diags[0]["hint"].as_str().unwrap();
    assert!(hint.contains("`cost-center: <value>`"), "{hint}");
    // With every label there, no finding.
    p.write(
        "jobs/etl.yaml",
        job("  labels: {team: a, cost-center: cc-1}\n", ""),
    );
    assert_eq!(diagnostics(&p), (0, vec![]));
}

#[test]
fn image_registries_are_located_where_the_image_is_written() {
    let p = project(
        &format!("{ENVS}policies:\n  allowedImageRegistries: [registry.example.com]\n"),
        &job(
            "",
            "  executor:\n    image: docker.io/library/spark:3.5.3\n  driver:\n    sidecars:\n      - {name: proxy, image: envoyproxy/envoy:v1.31}\n",
        ),
    );
    let (code, diags) = diagnostics(&p);
    assert_eq!(code, 1);
    assert_eq!(
        located(&diags, "policy-registry"),
        [
            "error jobs/etl.yaml:8 spec.executor.image: the image `docker.io/library/spark:3.5.3` comes from `docker.io`, which is not an allowed registry (policy `policies.allowedImageRegistries` at sparkc.yaml:10)",
            "error jobs/etl.yaml:11 spec.driver.sidecars[0].image: the image `envoyproxy/envoy:v1.31` comes from `docker.io`, which is not an allowed registry (policy `policies.allowedImageRegistries` at sparkc.yaml:10)",
        ]
    );
    // The project's default image is located in sparkc.yaml.
    let p = project(
        "defaults:\n  image: quay.io/spark:3.5.3\n  sparkVersion: \"3.5.3\"\nenvironments:\n  prod: {namespace: spark-prod}\npolicies:\n  allowedImageRegistries: [registry.example.com/data]\n",
        &job("", ""),
    );
    let (_, diags) = diagnostics(&p);
    assert_eq!(
        located(&diags, "policy-registry"),
        [
            "error sparkc.yaml:5 defaults.image: the image `quay.io/spark:3.5.3` comes from `quay.io`, which is not an allowed registry (policy `policies.allowedImageRegistries` at sparkc.yaml:10)"
        ]
    );
}

#[test]
fn max_per_job_counts_the_pods_as_they_request_and_environments_override_it() {
    let p = project(
        &format!(
            "{ENVS}  dev:\n    namespace: spark-dev\n    policies: {{maxPerJob: {{executors: 200}}}}\npolicies:\n  maxPerJob: {{executors: 50, cores: 200, memory: 800g}}\n"
        ),
        &job(
            "",
            "  executor:\n    instances: 100\n    cores: 2\n    memory: 8g\n",
        ),
    );
    let (code, diags) = diagnostics(&p);
    assert_eq!(code, 1);
    // A Python job: 100 executors of 8g + 40% overhead (11469 MiB each) and a 1g driver
    // (+410 MiB); cores 1 + 100 × 2.
    assert_eq!(
        located(&diags, "policy-max-per-job"),
        [
            "error jobs/etl.yaml:8 spec.executor.instances: the job's executor count is 100, over the policy's 50 (policy `policies.maxPerJob.executors` at sparkc.yaml:13) (environment prod)",
            "error jobs/etl.yaml:9 spec.executor.cores: the job requests 201 cores (driver 1 + 100 executors × 2 = 201), over the policy's 200 (policy `policies.maxPerJob.cores` at sparkc.yaml:13)",
            "error jobs/etl.yaml:10 spec.executor.memory: the job requests 1121.32 GiB of memory with overhead (driver 1.4 GiB + 100 executors × 11.2 GiB = 1121.32 GiB), over the policy's 800g (policy `policies.maxPerJob.memory` at sparkc.yaml:13)",
        ]
    );
    // Dynamic allocation without a maximum has no bound.
    p.write(
        "jobs/etl.yaml",
        job("", "  dynamicAllocation: {enabled: true}\n"),
    );
    let (_, diags) = diagnostics(&p);
    let found = located(&diags, "policy-max-per-job");
    assert_eq!(
        found,
        [
            "error jobs/etl.yaml:5 spec.dynamicAllocation.maxExecutors: the job may request any amount of memory: dynamic allocation has no `maxExecutors` (the policy allows 800g) (policy `policies.maxPerJob.memory` at sparkc.yaml:13)",
            "error jobs/etl.yaml:5 spec.dynamicAllocation.maxExecutors: the job may request any number of cores: dynamic allocation has no `maxExecutors` (the policy allows 200) (policy `policies.maxPerJob.cores` at sparkc.yaml:13)",
            "error jobs/etl.yaml:5 spec.dynamicAllocation.maxExecutors: the job's executor count has no maximum (dynamic allocation without `maxExecutors`), over the policy's 200 (policy `environments.dev.policies.maxPerJob.executors` at sparkc.yaml:11) (environment dev)",
            "error jobs/etl.yaml:5 spec.dynamicAllocation.maxExecutors: the job's executor count has no maximum (dynamic allocation without `maxExecutors`), over the policy's 50 (policy `policies.maxPerJob.executors` at sparkc.yaml:13) (environment prod)",
        ]
    );
}

#[test]
fn require_time_to_live_in_one_environment() {
    let p = project(
        "defaults:\n  image: registry.example.com/spark:3.5.3\n  sparkVersion: \"3.5.3\"\nenvironments:\n  dev: {namespace: spark-dev}\n  prod:\n    namespace: spark-prod\n    policies: {requireTimeToLive: true}\n",
        &job("", ""),
    );
    let (code, diags) = diagnostics(&p);
    assert_eq!(code, 1);
    assert_eq!(
        located(&diags, "policy-ttl"),
        [
            "error jobs/etl.yaml:5 spec: the job sets no `timeToLiveSeconds`: its finished runs stay in the cluster (policy `environments.prod.policies.requireTimeToLive` at sparkc.yaml:11) (environment prod)"
        ]
    );
    p.write("jobs/etl.yaml", job("", "  timeToLiveSeconds: 86400\n"));
    assert_eq!(diagnostics(&p).0, 0);
}

#[test]
fn severity_per_policy() {
    let p = project(
        &format!(
            "{ENVS}policies:\n  requiredLabels: [team]\n  severity: {{requiredLabels: warning}}\n"
        ),
        &job("", ""),
    );
    let (code, diags) = diagnostics(&p);
    assert_eq!(code, 0, "{diags:#?}");
    assert_eq!(
        located(&diags, "policy-labels"),
        [
            "warning jobs/etl.yaml:4 metadata: the job has no label `team` (policy `policies.requiredLabels` at sparkc.yaml:10)"
        ]
    );
    // A policy of an unknown name is a schema error in sparkc.yaml.
    let p = project(
        &format!("{ENVS}policies:\n  requiredLabel: [team]\n"),
        &job("", ""),
    );
    let out = run(&mut p.sparkc(&["validate"]));
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains("sparkc.yaml:10:3")
            && out.stdout.contains("did you mean `requiredLabels`?"),
        "{}",
        out.stdout
    );
}

#[test]
fn pod_security_restricted_on_every_target_with_an_exemption_that_needs_a_reason() {
    let spec = "  driver:\n    hostNetwork: true\n    securityContext: {privileged: true}\n  executor:\n    podSecurityContext: {runAsUser: 0}\n  volumes:\n    - {name: host, hostPath: {path: /var/lib}}\n";
    for target in ["native", "operator", "apache-operator"] {
        let p = project(
            &format!("{ENVS}policies:\n  podSecurity: restricted\n"),
            &job("", &format!("  target: {target}\n{spec}")),
        );
        let (code, diags) = diagnostics(&p);
        assert_eq!(code, 1, "{target}: {diags:#?}");
        let found = located(&diags, "policy-pod-security");
        let lines: Vec<&str> = found
            .iter()
            .map(|d| d.split(": ").next().unwrap())
            .collect();
        assert_eq!(
            lines,
            [
                "error jobs/etl.yaml:9 spec.driver.hostNetwork",
                // A security context of its own replaces sparkc's restricted one.
                "error jobs/etl.yaml:10 spec.driver.securityContext",
                "error jobs/etl.yaml:10 spec.driver.securityContext",
                "error jobs/etl.yaml:10 spec.driver.securityContext",
                "error jobs/etl.yaml:12 spec.executor.podSecurityContext",
                "error jobs/etl.yaml:14 spec.volumes",
                "error jobs/etl.yaml:14 spec.volumes",
            ],
            "{target}: {found:#?}"
        );
        assert!(
            found[3].contains("has a container `spark-kubernetes-driver` that is privileged"),
            "{found:#?}"
        );
        assert!(
            found[2].contains("does not set `allowPrivilegeEscalation: false`"),
            "{found:#?}"
        );
        assert!(
            found[4].contains("the executor pod runs as root"),
            "{found:#?}"
        );
        assert!(
            found[5].contains("the driver pod mounts a `hostPath` volume (`host`)"),
            "{found:#?}"
        );
        assert!(
            found[6].contains("the executor pod mounts a `hostPath` volume (`host`)"),
            "{found:#?}"
        );
        assert!(
            found
                .iter()
                .all(|d| d.contains("(policy `policies.podSecurity` at sparkc.yaml:10)"))
        );
    }
    // sparkc's own pods meet the standard.
    let p = project(
        &format!("{ENVS}policies:\n  podSecurity: restricted\n"),
        &job("", ""),
    );
    assert_eq!(diagnostics(&p), (0, vec![]));
    // An exemption with a reason; one without is located at the annotation.
    let exempt = |reason: &str| {
        job(
            &format!("  annotations: {{policy.sparkc.io/pod-security-exempt: \"{reason}\"}}\n"),
            spec,
        )
    };
    p.write(
        "jobs/etl.yaml",
        exempt("node-local cache, approved by platform (PLAT-12)"),
    );
    assert_eq!(diagnostics(&p).0, 0);
    p.write("jobs/etl.yaml", exempt(" "));
    let (code, diags) = diagnostics(&p);
    assert_eq!(code, 1);
    assert_eq!(
        located(&diags, "policy-pod-security"),
        [
            "error jobs/etl.yaml:5 metadata.annotations[\"policy.sparkc.io/pod-security-exempt\"]: an exemption from `podSecurity` needs a reason (policy `policies.podSecurity` at sparkc.yaml:10)"
        ]
    );
}

/// Three jobs of 2 executors × 2 cores (5 cores each) in one namespace; the budget allows
/// 12 cores.
fn budget_project(third: &str) -> Project {
    let p = Project::new();
    p.write(
        "sparkc.yaml",
        format!(
            "{PROJECT_HEAD}defaults:\n  image: registry.example.com/spark:3.5.3\n  sparkVersion: \"3.5.3\"\n  executor: {{instances: 2, cores: 2}}\nenvironments:\n  prod:\n    namespace: spark-prod\n    policies:\n      budget: {{cores: 12, pods: 100}}\n"
        ),
    );
    for name in ["a", "b"] {
        p.write(
            &format!("jobs/{name}.yaml"),
            job("", "").replace("name: etl", &format!("name: {name}")),
        );
    }
    p.write(
        "jobs/c.yaml",
        job("", third).replace("name: etl", "name: c"),
    );
    p
}

#[test]
fn a_declared_budget_counts_the_jobs_that_can_run_at_the_same_time() {
    let p = budget_project("");
    let (code, diags) = diagnostics(&p);
    assert_eq!(code, 1);
    assert_eq!(
        located(&diags, "policy-budget"),
        [
            "error sparkc.yaml:12 environments.prod.policies.budget: the 3 jobs of namespace `spark-prod` in environment `prod` that can run at the same time request 15 cores (allowed 12), over the budget"
        ]
    );
    // Two scheduled jobs whose runs (at most an hour each) never overlap count once.
    let scheduled =
        |h: u32| format!("  timeoutSeconds: 3600\n  schedule: {{cron: \"0 {h} * * *\"}}\n");
    let p = budget_project(&scheduled(1));
    p.write(
        "jobs/b.yaml",
        job("", &scheduled(3)).replace("name: etl", "name: b"),
    );
    assert_eq!(diagnostics(&p), (0, vec![]));
    // Without a time limit a scheduled run may last into the next: all three count.
    let p = budget_project("  schedule: {cron: \"0 1 * * *\"}\n");
    p.write(
        "jobs/b.yaml",
        job("", "  schedule: {cron: \"0 3 * * *\"}\n").replace("name: etl", "name: b"),
    );
    assert_eq!(located(&diagnostics(&p).1, "policy-budget").len(), 1);
    // A suspended schedule never runs.
    let p = budget_project("  schedule: {cron: \"0 1 * * *\", suspend: true}\n");
    assert_eq!(diagnostics(&p), (0, vec![]));
}

#[test]
fn a_value_every_environment_overrides_is_a_warning_naming_each_override() {
    let p = crate::harness::quickstart();
    let path = p.path().join("jobs/etl/nightly-etl.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace(
            "  executor:\n    envFrom:",
            "  executor:\n    instances: 4\n    envFrom:",
        ),
    )
    .unwrap();
    let (code, diags) = diagnostics(&p);
    assert_eq!(code, 0);
    assert_eq!(
        located(&diags, "overridden"),
        [
            "warning jobs/etl/nightly-etl.yaml:22 spec.executor.instances: `spec.executor.instances` never takes effect: every environment overrides it (dev: `environments.dev.overrides.executor.instances` at sparkc.yaml:17; prod: `environments.prod.executor.instances` at jobs/etl/nightly-etl.yaml:28)"
        ]
    );
    // A value that one environment keeps is not reported.
    let p = crate::harness::quickstart();
    let (_, diags) = diagnostics(&p);
    assert_eq!(located(&diags, "overridden"), Vec::<String>::new());
    let other = p.path().join("jobs/reports/daily-revenue.yaml");
    assert!(
        std::fs::read_to_string(other)
            .unwrap()
            .contains("instances: 3")
    );
}

/// The operator's pods get no security context from Spark: with `podSecurity: restricted`
/// in force the operator target writes sparkc's restricted ones (through the pod templates
/// without the webhook); without the policy its output is as before.
#[test]
fn the_operator_target_writes_the_restricted_contexts_under_the_policy() {
    let app = |settings: &str, spec: &str| -> Json {
        let p = project(settings, &job("", &format!("  target: operator\n{spec}")));
        let out = run(&mut p.sparkc(&["render", "--stdout"]));
        assert_eq!(out.code, 0, "{}", out.stdout);
        serde_saphyr::from_multiple::<Json>(&out.stdout)
            .unwrap()
            .into_iter()
            .find(|o| o["kind"] == "SparkApplication")
            .unwrap()["spec"]
            .clone()
    };
    let container = serde_json::json!({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}});
    let sidecar = "  driver:\n    sidecars:\n      - {name: proxy, image: registry.example.com/envoy:1, securityContext: {runAsUser: 1000}}\n";
    let spec = app(
        &format!("{ENVS}policies:\n  podSecurity: restricted\n"),
        sidecar,
    );
    for role in ["driver", "executor"] {
        assert_eq!(spec[role]["securityContext"], container, "{spec:#}");
        assert_eq!(
            spec[role]["podSecurityContext"]["runAsNonRoot"], true,
            "{spec:#}"
        );
        assert_eq!(
            spec[role]["podSecurityContext"]["seccompProfile"]["type"],
            "RuntimeDefault"
        );
    }
    let proxy = &spec["driver"]["sidecars"][0]["securityContext"];
    assert_eq!(
        (
            proxy["runAsUser"].as_i64(),
            proxy["capabilities"]["drop"][0].as_str()
        ),
        (Some(1000), Some("ALL"))
    );
    let plain = app(ENVS, sidecar);
    assert!(
        plain["driver"].get("securityContext").is_none(),
        "{plain:#}"
    );
    let templated = app(
        &format!("{ENVS}operator: {{webhook: false}}\npolicies:\n  podSecurity: restricted\n"),
        "",
    );
    let pod = &templated["executor"]["template"]["spec"];
    assert_eq!(
        pod["securityContext"]["runAsNonRoot"], true,
        "{templated:#}"
    );
    assert_eq!(
        pod["containers"][0]["securityContext"], container,
        "{templated:#}"
    );
}
