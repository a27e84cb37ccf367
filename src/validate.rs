//! Validation: every document of a workspace, in every environment, in one pass.
//!
//! Per document: header (`apiVersion`, `kind`), JSON Schema on the raw document, then per
//! environment the merge (built-in defaults < project defaults < job spec < environment
//! overrides < the job's own environment block) and the rules on the result. Across
//! documents: duplicate jobs. Every finding is located in the file (and layer) it came
//! from. The result is data: the effective jobs and the diagnostics.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use rayon::prelude::*;
use serde_json::{Value as Json, json};

use crate::diagnostic::{Diagnostic, Severity, sort_dedup};
use crate::merge;
use crate::rules::{self, At, Subject};
use crate::schema::{self, Kind};
use crate::spec::{AppType, SparkJob, SparkJobSpec, StringMap, Target};
use crate::workspace::{self, DEFAULT_ENV, Document, Workspace};
use crate::yaml::{Node, Pos, Seg, path_string};

/// One job in one environment, fully merged and valid.
#[derive(Debug, Clone)]
pub struct Job {
    pub name: String,
    pub namespace: String,
    pub env: String,
    /// The GitOps unit: the job file's first folder under its job root, or `default`.
    pub group: String,
    pub file: String,
    /// Index of the job's document in its file.
    pub doc_index: usize,
    pub labels: StringMap,
    pub annotations: StringMap,
    pub app_type: AppType,
    pub target: Target,
    pub spec: SparkJobSpec,
}

/// The outcome of validation.
#[derive(Debug, Default)]
pub struct Report {
    pub jobs: Vec<Job>,
    pub diagnostics: Vec<Diagnostic>,
    pub files: usize,
    pub documents: usize,
    pub environments: Vec<String>,
}

impl Report {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.severity == Severity::Error)
    }
}

/// Built-in defaults, the lowest layer of every job.
pub fn builtin_defaults() -> &'static Json {
    static DEFAULTS: LazyLock<Json> = LazyLock::new(|| {
        json!({
            "target": "native",
            "imagePullPolicy": "IfNotPresent",
            "driver": {"cores": 1, "memory": "1g"},
            "executor": {"instances": 1, "cores": 1, "memory": "1g"},
            "restartPolicy": {"type": "Never"},
        })
    });
    &DEFAULTS
}

/// Validates a loaded workspace. `env` limits the check to one environment.
pub fn validate(ws: &Workspace, env: Option<&str>) -> Report {
    let mut report = Report {
        files: ws.files,
        documents: ws.documents.len(),
        ..Report::default()
    };
    report.diagnostics.extend(ws.diagnostics.iter().cloned());
    let all_envs = ws.environments();
    let envs: Vec<String> = match env {
        Some(e) => {
            if !all_envs.iter().any(|x| x == e) {
                report.diagnostics.push(unknown_env_diag(ws, e, &all_envs));
                sort_dedup(&mut report.diagnostics);
                return report;
            }
            vec![e.to_owned()]
        }
        None => all_envs.clone(),
    };
    report.environments.clone_from(&envs);
    if ws.diagnostics.iter().any(|d| Some(&d.file) == ws.project.as_ref().map(|p| &p.file))
        || (ws.project.is_none() && ws.root.join(workspace::PROJECT_FILE).is_file())
    {
        // The project file itself is broken: its defaults cannot be applied.
        sort_dedup(&mut report.diagnostics);
        return report;
    }
    let results: Vec<(Vec<Job>, Vec<Diagnostic>)> = ws
        .documents
        .par_iter()
        .map(|d| check_document(ws, d, &envs, &all_envs))
        .collect();
    for (jobs, diags) in results {
        report.jobs.extend(jobs);
        report.diagnostics.extend(diags);
    }
    check_duplicates(ws, &mut report);
    sort_dedup(&mut report.diagnostics);
    report
}

fn unknown_env_diag(ws: &Workspace, env: &str, all: &[String]) -> Diagnostic {
    let file = ws
        .project
        .as_ref()
        .map_or_else(|| workspace::PROJECT_FILE.to_owned(), |p| p.file.clone());
    let hint = schema::suggest(env, all).map_or_else(
        || format!("known environments: {}", all.join(", ")),
        |s| format!("did you mean `{s}`? (known: {})", all.join(", ")),
    );
    Diagnostic::error("environment", file, None)
        .message(format!("there is no environment `{env}`"))
        .hint(hint)
}

/// The group of a job file: its first folder under the job root, or `default`.
pub fn group_of(rel: &std::path::Path) -> String {
    let mut comps = rel.components();
    let first = comps.next();
    match (first, comps.next()) {
        (Some(c), Some(_)) => c.as_os_str().to_string_lossy().into_owned(),
        _ => "default".to_owned(),
    }
}

/// Where a merged-spec path is defined, searching the layers from the top.
struct Layers<'a> {
    ws: &'a Workspace,
    doc: &'a Document,
}

impl Layers<'_> {
    fn locate(&self, env: &str, path: &[Seg]) -> (String, Option<Pos>, String) {
        let job_node = &self.doc.node;
        let project = self.ws.project.as_ref();
        let candidates: [(Option<(&str, &Node)>, Vec<Seg>); 4] = [
            (Some((self.doc.file.as_str(), job_node)), prefixed(&["environments", env], path)),
            (project.map(|p| (p.file.as_str(), &p.node)), prefixed(&["environments", env, "overrides"], path)),
            (Some((self.doc.file.as_str(), job_node)), prefixed(&["spec"], path)),
            (project.map(|p| (p.file.as_str(), &p.node)), prefixed(&["defaults"], path)),
        ];
        for (src, full) in &candidates {
            if let Some((file, node)) = src {
                if let Ok(n) = node.locate(full) {
                    return ((*file).to_owned(), Some(n.pos), path_string(full));
                }
            }
        }
        // Not written anywhere (a missing field): point at the job's `spec`, or its start.
        let spec_path = prefixed(&["spec"], path);
        let pos = job_node.get("spec").map_or(job_node.pos, |n| n.pos);
        (self.doc.file.clone(), Some(pos), path_string(&spec_path))
    }
}

fn prefixed(prefix: &[&str], path: &[Seg]) -> Vec<Seg> {
    prefix
        .iter()
        .map(|k| Seg::Key((*k).to_owned()))
        .chain(path.iter().cloned())
        .collect()
}

fn check_document(ws: &Workspace, d: &Document, envs: &[String], all_envs: &[String]) -> (Vec<Job>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    if !workspace::check_header(&d.file, &d.node, &d.json, "SparkJob", &mut diags) {
        return (Vec::new(), diags);
    }
    let issues = schema::check(Kind::SparkJob, &d.json);
    if !issues.is_empty() {
        diags.extend(issues.into_iter().map(|i| workspace::issue_diag(&d.file, &d.node, i)));
        return (Vec::new(), diags);
    }
    let job: SparkJob = match serde_json::from_value(d.json.clone()) {
        Ok(j) => j,
        Err(e) => {
            diags.push(Diagnostic::error("schema", &d.file, Some(d.node.pos)).message(e.to_string()));
            return (Vec::new(), diags);
        }
    };
    // Environments named by the job must exist.
    if let Some(job_envs) = &job.environments {
        for name in job_envs.keys() {
            if !all_envs.iter().any(|e| e == name) {
                let pos = d.node.key_pos(&workspace::keys(&["environments"]), name);
                let hint = match schema::suggest(name, all_envs) {
                    Some(s) => format!("did you mean `{s}`? Environments are defined in sparkc.yaml: {}", all_envs.join(", ")),
                    None if ws.project.is_none() => "define environments in a sparkc.yaml project file (`sparkc init` writes one)".to_owned(),
                    None => format!("define it under `environments:` in sparkc.yaml, or use one of: {}", all_envs.join(", ")),
                };
                diags.push(
                    Diagnostic::error("environment", &d.file, pos)
                        .path(path_string(&[Seg::Key("environments".into()), Seg::Key(name.clone())]))
                        .message(format!("the project has no environment `{name}`"))
                        .hint(hint),
                );
            }
        }
    }
    let layers = Layers { ws, doc: d };
    let empty = Json::Null;
    let project = ws.project.as_ref().map(|p| &p.project);
    // The raw layers (not the typed ones: a typed `None` would serialize as a removing null).
    let project_defaults = ws
        .project
        .as_ref()
        .and_then(|p| p.node.get("defaults"))
        .map_or(Json::Null, Node::to_json);
    let job_spec = d.json.get("spec").unwrap_or(&empty);
    let mut jobs = Vec::new();
    // Per environment: (finding key) -> environments where it occurs.
    let mut per_env: BTreeMap<Diagnostic, Vec<String>> = BTreeMap::new();
    for env in envs {
        let env_cfg = project.and_then(|p| p.environments.as_ref()).and_then(|e| e.get(env));
        let env_overrides = ws
            .project
            .as_ref()
            .and_then(|p| p.node.locate(&workspace::keys(&["environments", env, "overrides"])).ok())
            .map_or(Json::Null, Node::to_json);
        let job_env = d.json.get("environments").and_then(|e| e.get(env)).unwrap_or(&empty);
        let merged = merge::merge_all([builtin_defaults(), &project_defaults, job_spec, &env_overrides, job_env]);
        let spec: SparkJobSpec = match serde_json::from_value(merged) {
            Ok(s) => s,
            Err(e) => {
                let diag = Diagnostic::error("merge", &d.file, Some(d.node.pos))
                    .path("spec")
                    .message(format!("the merged spec is invalid: {e}"));
                per_env.entry(diag).or_default().push(env.clone());
                continue;
            }
        };
        let namespace = job
            .metadata
            .namespace
            .clone()
            .or_else(|| env_cfg.and_then(|e| e.namespace.clone()));
        let subject = Subject {
            name: &job.metadata.name,
            namespace: namespace.as_deref(),
            labels: job.metadata.labels.as_ref(),
            annotations: job.metadata.annotations.as_ref(),
            spec: &spec,
        };
        let findings = rules::check(&subject);
        let mut failed = false;
        for f in findings {
            failed |= f.severity == Severity::Error;
            let (file, pos, path) = match &f.at {
                At::Spec(p) => layers.locate(env, p),
                At::Doc(p) => {
                    let (pos, _) = d.node.pos_of(p);
                    (d.file.clone(), Some(pos), path_string(p))
                }
            };
            let mut diag = match f.severity {
                Severity::Error => Diagnostic::error(f.code, file, pos),
                Severity::Warning => Diagnostic::warning(f.code, file, pos),
            }
            .path(path)
            .message(f.message);
            diag.hint = f.hint;
            per_env.entry(diag).or_default().push(env.clone());
        }
        if failed {
            continue;
        }
        let Some(app_type) = rules::infer_type(&spec) else { continue };
        jobs.push(Job {
            name: job.metadata.name.clone(),
            namespace: namespace.unwrap_or_default(),
            env: env.clone(),
            group: group_of(&d.rel),
            file: d.file.clone(),
            doc_index: d.index,
            labels: job.metadata.labels.clone().unwrap_or_default(),
            annotations: job.metadata.annotations.clone().unwrap_or_default(),
            app_type,
            target: rules::target(&spec),
            spec,
        });
    }
    let multi = envs.len() > 1 || envs.first().is_some_and(|e| e != DEFAULT_ENV);
    for (mut diag, in_envs) in per_env {
        if multi && in_envs.len() < envs.len() {
            let which = in_envs.join(", ");
            diag.message = format!("{} (environment {which})", diag.message);
        }
        diags.push(diag);
    }
    (jobs, diags)
}

fn check_duplicates(ws: &Workspace, report: &mut Report) {
    let mut seen: HashMap<(&str, &str, &str), &Job> = HashMap::new();
    let mut extra = Vec::new();
    for job in &report.jobs {
        let key = (job.env.as_str(), job.namespace.as_str(), job.name.as_str());
        if let Some(first) = seen.get(&key) {
            let pos = ws
                .documents
                .iter()
                .find(|d| d.file == job.file && d.index == job.doc_index)
                .and_then(|d| d.node.locate(&workspace::keys(&["metadata", "name"])).ok())
                .map(|n| n.pos);
            extra.push(
                Diagnostic::error("duplicate", &job.file, pos)
                    .path("metadata.name")
                    .message(format!(
                        "job `{}` in namespace `{}` is defined twice in environment `{}` (also in {})",
                        job.name, job.namespace, job.env, first.file
                    ))
                    .hint("rename one of them: a job's name is unique in its namespace"),
            );
        } else {
            seen.insert(key, job);
        }
    }
    report.diagnostics.extend(extra);
}
