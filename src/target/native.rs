//! The `native` target: what a driver pod needs to run `spark-submit --deploy-mode client`
//! inside the cluster, computed from one job's effective spec: the ServiceAccount, Role and
//! RoleBinding (unless an existing account is named), the ConfigMap holding the executor
//! pod template, the headless driver Service, and the driver's Job, Pod or CronJob.
//!
//! This module decides the names, labels, ports, run id and which objects there are; the
//! Spark arguments come from `spark::submit`, the pods from `spark::pod`, and the
//! templates in `templates/native/` decide the objects' shape.

pub(crate) mod import;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value as Json;

use crate::names::{self, Names};
use crate::project::spec::Project;
use crate::project::spec::{RestartType, SparkJobSpec, Workload};
use crate::project::validate::Job;
use crate::render::raw_json;
use crate::rules::{Findings, Subject};
use crate::spark::memory::{driver_memory, overhead_factor};
use crate::spark::pod::{Exporter, driver_pod, executor_pod, merge_pod_spec};
use crate::spark::submit::{self, Mode, Submit};

/// Which objects the native target renders for a job, in output order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Object {
    ServiceAccount,
    Role,
    RoleBinding,
    ConfigMap,
    Service,
    Job,
    Pod,
    CronJob,
}

impl Object {
    /// The template that renders this object.
    pub const fn template(self) -> &'static str {
        match self {
            Object::ServiceAccount => "common/serviceaccount.yaml",
            Object::Role => "common/role.yaml",
            Object::RoleBinding => "common/rolebinding.yaml",
            Object::ConfigMap => "native/configmap.yaml",
            Object::Service => "native/service.yaml",
            Object::Job => "native/job.yaml",
            Object::Pod => "native/pod.yaml",
            Object::CronJob => "native/cronjob.yaml",
        }
    }
}

/// Everything the templates need for one job.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub names: Names,
    pub env: String,
    /// Labels and annotations of every rendered object.
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// The ServiceAccount the driver runs as.
    pub service_account: String,
    /// Whether sparkc renders the ServiceAccount, Role and RoleBinding.
    pub rbac: bool,
    /// The driver's optional API paths, for its Role.
    pub driver_api: crate::spark::driver_api::DriverApi,
    pub selector: BTreeMap<String, String>,
    pub ports: Vec<NamedPort>,
    /// Metadata of the driver pod (template).
    pub pod_labels: BTreeMap<String, String>,
    pub pod_annotations: BTreeMap<String, String>,
    /// The driver pod spec.
    #[serde(skip)]
    pub pod_spec: Json,
    /// Labels of the Jobs a CronJob creates.
    pub job_template_labels: BTreeMap<String, String>,
    pub backoff_limit: i32,
    pub ttl_seconds_after_finished: Option<i64>,
    /// The Job's deadline (`timeoutSeconds`); a bare Pod carries it in its spec.
    pub active_deadline_seconds: Option<i64>,
    pub schedule: Option<Json>,
    /// Data of the ConfigMap mounted into the driver (executor pod template, exporter config).
    #[serde(skip)]
    pub config_map_data: BTreeMap<String, String>,
    /// The executor pod template (also in `config_map_data`), checked as a Pod.
    #[serde(skip)]
    pub executor_template: Json,
    /// The spark-submit arguments (after the program), unescaped: what Spark receives.
    pub submit_args: Vec<String>,
    pub objects: Vec<Object>,
}

/// A named port.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct NamedPort {
    pub name: String,
    pub port: u16,
}

/// The hash input and the run id: what the driver runs, plus `rerun` and the deadline.
/// `timeToLiveSeconds` is left out: the Job's `ttlSecondsAfterFinished` can be changed on a
/// live Job, and a TTL-only edit must not run the job again (as on the operators).
fn run_id(
    pod_spec: &Json,
    config: &BTreeMap<String, String>,
    spec: &SparkJobSpec,
    backoff: i32,
) -> String {
    // Fields in key order: the same text as the sorted JSON object it once was, so run ids
    // (and the Job names that carry them) do not change for jobs that set neither a TTL
    // nor a deadline. `ttl` stays in the text, always null, for that reason.
    #[derive(Serialize)]
    struct Input<'a> {
        #[serde(rename = "backoffLimit")]
        backoff: i32,
        config: &'a BTreeMap<String, String>,
        pod: &'a Json,
        rerun: &'a Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        timeout: Option<i64>,
        ttl: Option<i64>,
    }
    names::short_hash_json(&Input {
        backoff,
        config,
        pod: pod_spec,
        rerun: &spec.rerun,
        timeout: spec.timeout_seconds,
        ttl: None,
    })
}

/// Builds the plan of one native job.
pub fn plan(job: &Job) -> Plan {
    let spec = &job.spec;
    let (driver, executor) = crate::spark::pod::roles(spec);
    // The run id is not known until the pod is built; build with a placeholder first.
    let provisional = Names::new(&job.name, &job.namespace, "");
    let existing = names::existing_service_account(spec);
    let rbac = existing.is_none();
    let service_account = existing.unwrap_or_else(|| provisional.service_account.clone());
    let factor = overhead_factor(spec, job.app_type);
    // The ConfigMap: the executor pod template, and the exporter's configuration.
    let mut config_map_data = BTreeMap::new();
    let exporter = exporter(spec, &mut config_map_data);

    let executor_template = executor_pod(
        job,
        &provisional,
        executor,
        exporter.as_ref(),
        crate::spark::pod::Maps::Pod,
    );
    config_map_data.insert(
        names::EXECUTOR_TEMPLATE_KEY.to_owned(),
        crate::project::yaml::to_yaml(&executor_template),
    );

    let mem = driver_memory(spec, job.app_type);
    let submit_args = submit::args(&Submit {
        job,
        names: &provisional,
        driver,
        executor,
        factor,
        exporter: exporter.as_ref(),
        mode: Mode::Client,
        master: names::IN_CLUSTER_MASTER,
    });
    let mut pod_spec = driver_pod(
        job,
        driver,
        &service_account,
        &provisional,
        mem,
        &submit_args,
        exporter.as_ref(),
    );

    let objects = objects(spec, rbac);
    let bare_pod = objects.contains(&Object::Pod);
    if bare_pod && let (Some(timeout), Json::Object(pod)) = (spec.timeout_seconds, &mut pod_spec) {
        pod.insert("activeDeadlineSeconds".into(), timeout.into());
    }
    let backoff_limit = backoff_limit(spec);
    let run = run_id(&pod_spec, &config_map_data, spec, backoff_limit);
    let names = Names::new(&job.name, &job.namespace, &run);
    debug_assert_eq!(names.driver_host, provisional.driver_host);
    let (pod_labels, pod_annotations) = driver_metadata(job, driver, &names, exporter.as_ref());
    // User pod template under ours (ours wins), for what the spec has no field for.
    if let Some(template) = &driver.template {
        pod_spec = merge_pod_spec(
            template.get("spec").cloned().unwrap_or(Json::Null),
            pod_spec,
        );
        crate::spark::pod::restrict_others(&mut pod_spec, names::DRIVER_CONTAINER);
    }
    let schedule = spec.schedule.as_ref().map(|s| {
        super::schedule_context(s, ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"))
    });
    let mut job_template_labels = job.labels.clone();
    job_template_labels.insert(names::LABEL_NAME.to_owned(), names.job.clone());
    job_template_labels.insert(names::LABEL_ENV.to_owned(), job.env.clone());
    job_template_labels.insert(names::LABEL_JOB.to_owned(), names.job.clone());

    Plan {
        labels: names.object_labels(&job.env, &job.labels),
        annotations: job.annotations.clone(),
        selector: names.driver_selector(),
        env: job.env.clone(),
        service_account,
        rbac,
        driver_api: crate::spark::driver_api::driver_api(&job.spec),
        ports: ports(exporter.as_ref()),
        pod_labels,
        pod_annotations,
        pod_spec,
        job_template_labels,
        backoff_limit,
        ttl_seconds_after_finished: spec.time_to_live_seconds,
        active_deadline_seconds: spec.timeout_seconds.filter(|_| !bare_pod),
        schedule,
        config_map_data,
        submit_args,
        objects,
        names,
        executor_template,
    }
}

/// Retries: Spark assumes a driver never restarts, so a retry is a new pod of the Job.
fn backoff_limit(spec: &SparkJobSpec) -> i32 {
    let restart = spec.restart_policy.as_ref();
    match restart.and_then(|r| r.restart_type) {
        Some(RestartType::OnFailure) => restart.and_then(|r| r.on_failure_retries).unwrap_or(0),
        _ => 0,
    }
}

/// Labels and annotations of the driver pod: the user's pod template, then the job's, then
/// the driver's, then sparkc's own.
fn driver_metadata(
    job: &Job,
    driver: &crate::project::spec::DriverSpec,
    names: &Names,
    exporter: Option<&Exporter>,
) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let template_meta = driver.template.as_ref().and_then(|t| t.get("metadata"));
    let string_map = |v: Option<&Json>| -> BTreeMap<String, String> {
        v.and_then(Json::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut labels = string_map(template_meta.and_then(|m| m.get("labels")));
    labels.extend(job.labels.clone());
    labels.extend(driver.labels.clone().unwrap_or_default());
    let mut annotations = string_map(template_meta.and_then(|m| m.get("annotations")));
    annotations.extend(driver.annotations.clone().unwrap_or_default());
    if let Some(e) = exporter.filter(|e| e.driver) {
        annotations.insert("prometheus.io/scrape".to_owned(), "true".to_owned());
        annotations.insert("prometheus.io/port".to_owned(), e.port.to_string());
    }
    (names.pod_labels(&job.env, "driver", &labels), annotations)
}

/// The driver's named ports: RPC, block manager, UI, and the exporter's.
fn ports(exporter: Option<&Exporter>) -> Vec<NamedPort> {
    let mut ports = vec![
        NamedPort {
            name: "driver-rpc".into(),
            port: names::DRIVER_PORT,
        },
        NamedPort {
            name: "blockmanager".into(),
            port: names::BLOCK_MANAGER_PORT,
        },
        NamedPort {
            name: "spark-ui".into(),
            port: names::UI_PORT,
        },
    ];
    if let Some(e) = exporter.filter(|e| e.driver) {
        ports.push(NamedPort {
            name: e.port_name.clone(),
            port: e.port,
        });
    }
    ports
}

/// The objects of the job, in output order: RBAC unless an account is named, the
/// ConfigMap and the Service, then the workload.
fn objects(spec: &SparkJobSpec, rbac: bool) -> Vec<Object> {
    let workload = spec
        .native
        .as_ref()
        .and_then(|n| n.workload)
        .unwrap_or(Workload::Job);
    let mut objects = Vec::new();
    if rbac {
        objects.extend([Object::ServiceAccount, Object::Role, Object::RoleBinding]);
    }
    objects.extend([Object::ConfigMap, Object::Service]);
    objects.push(match (&spec.schedule, workload) {
        (Some(_), _) => Object::CronJob,
        (None, Workload::Job) => Object::Job,
        (None, Workload::Pod) => Object::Pod,
    });
    objects
}

/// The Prometheus JMX exporter of a job, if it has one; its default configuration goes into
/// the ConfigMap's `data`.
fn exporter(
    spec: &SparkJobSpec,
    config_map_data: &mut BTreeMap<String, String>,
) -> Option<Exporter> {
    let (m, p) = spec
        .monitoring
        .as_ref()
        .and_then(|m| m.prometheus.as_ref().map(|p| (m, p)))?;
    let port = u16::try_from(p.port.unwrap_or(8090)).unwrap_or(8090);
    let config_path = match (&p.config_file, &p.configuration) {
        (Some(file), _) => file.clone(),
        (None, content) => {
            config_map_data.insert(
                "prometheus.yaml".to_owned(),
                content.clone().unwrap_or_else(|| {
                    "lowercaseOutputName: true\nrules:\n  - pattern: \".*\"\n".to_owned()
                }),
            );
            format!("{}/prometheus.yaml", names::POD_TEMPLATE_DIR)
        }
    };
    let agent = format!(
        "-javaagent:{}={port}:{config_path}",
        p.jmx_exporter_jar.clone().unwrap_or_default()
    );
    Some(Exporter {
        agent,
        port,
        port_name: p
            .port_name
            .clone()
            .unwrap_or_else(|| "jmx-exporter".to_owned()),
        driver: m.expose_driver_metrics != Some(false),
        executor: m.expose_executor_metrics != Some(false),
    })
}

/// The native target.
pub struct Native;

macro_rules! template {
    ($name:literal) => {
        ($name, include_str!(concat!("../../templates/", $name)))
    };
}

impl super::Target for Native {
    fn restarts_always(&self) -> bool {
        // A Job's pod cannot restart after it succeeded.
        false
    }

    fn id(&self) -> crate::project::spec::Target {
        crate::project::spec::Target::Native
    }

    fn deploy_mode(&self) -> Mode {
        Mode::Client
    }

    fn kinds(&self) -> &'static [super::Kind] {
        &[
            ("v1", "ConfigMap"),
            ("v1", "Service"),
            ("v1", "Pod"),
            ("batch/v1", "Job"),
            ("batch/v1", "CronJob"),
        ]
    }

    fn templates(&self) -> &'static [(&'static str, &'static str)] {
        &[
            template!("native/configmap.yaml"),
            template!("native/service.yaml"),
            template!("native/job.yaml"),
            template!("native/pod.yaml"),
            template!("native/cronjob.yaml"),
        ]
    }

    fn derived_names(&self) -> &'static [super::DerivedName] {
        &[
            crate::rules::EXECUTOR_PREFIX,
            ("the driver Service `<name>-driver-svc`", 11, 63),
            ("the driver Job `<name>-<8 hex hash>`", 9, 63),
        ]
    }

    fn scheduled_names(&self) -> &'static [super::DerivedName] {
        &[("the CronJob `<name>`", 0, 52)]
    }

    fn check(&self, subject: &Subject<'_>, out: &mut Findings) {
        if let Some(s) = &subject.spec.schedule
            && s.concurrency_policy == Some(crate::project::spec::ConcurrencyPolicy::Allow)
        {
            out.error(
                "concurrency",
                crate::rules::spec_path(&["schedule", "concurrencyPolicy"]),
                "`Allow` would run two drivers of this job at once, and both would answer to the one driver Service".to_owned(),
                Some("use `Forbid` (skip a run while one is going) or `Replace`".to_owned()),
            );
        }
        if subject
            .spec
            .executor
            .as_ref()
            .is_some_and(|e| e.memory_limit.is_some())
        {
            // Spark builds executor pods itself and sets their memory limit to the request
            // it computes, over the template's.
            out.error(
                "memory-limit",
                crate::rules::spec_path(&["executor", "memoryLimit"]),
                "Spark sets an executor pod's memory limit to its memory request (heap plus overhead) and replaces a limit from the pod template, so this would never apply".to_owned(),
                Some("size executors with `memory` and `memoryOverhead`; a limit above the request needs the operator target's webhook".to_owned()),
            );
        }
    }

    fn conf_keys(&self, subject: &Subject<'_>) -> super::ConfKeys {
        let job = subject.to_job();
        let spec = &job.spec;
        let (driver, executor) = crate::spark::pod::roles(spec);
        let names = Names::new(&job.name, &job.namespace, "");
        let exporter = exporter(spec, &mut BTreeMap::new());
        submit::settings(&Submit {
            job: &job,
            names: &names,
            driver,
            executor,
            factor: overhead_factor(spec, job.app_type),
            exporter: exporter.as_ref(),
            mode: Mode::Client,
            master: names::IN_CLUSTER_MASTER,
        })
        .into_iter()
        .map(|s| (s.conf_key(), Some(s.value)))
        .collect()
    }

    fn plan(&self, job: &Job, _project: Option<&Project>) -> Result<super::Plan, super::Problem> {
        let plan = plan(job);
        let context = minijinja::context! {
            pod_spec => raw_json(&plan.pod_spec),
            config_map_data => raw_json(&plan.config_map_data),
            ..minijinja::Value::from(minijinja::value::Serde(&plan))
        };
        let mut pod = plan.executor_template;
        if let Some(meta) = pod.get_mut("metadata").and_then(Json::as_object_mut) {
            meta.entry("name")
                .or_insert_with(|| Json::String("executor".into()));
        }
        Ok(super::Plan {
            templates: plan.objects.iter().map(|o| o.template()).collect(),
            context,
            embedded: vec![(
                "the executor pod template",
                "check the executor fields (or `executor.template`) named in the message",
                pod,
            )],
        })
    }
}
