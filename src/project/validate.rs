//! Validation: every document of a workspace, in every environment, in one pass.
//!
//! Per document: header (`apiVersion`, `kind`), JSON Schema on the raw document, then per
//! environment the merge (built-in defaults < project defaults < job spec < environment
//! overrides < the job's own environment block) and the rules on the result. Across
//! documents: duplicate jobs. Every finding is located in the file (and layer) it came
//! from. The result is data: the effective jobs and the diagnostics.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;

use rayon::prelude::*;
use serde_json::{Value as Json, json};

use crate::diagnostic::{Diagnostic, Severity, sort_dedup};
use crate::project::merge;
use crate::project::schema::{self, Kind};
use crate::project::spec::{AppType, JobMetadata, PolicyLevel, SparkJobSpec, StringMap, Target};
use crate::project::workspace::{self, DEFAULT_ENV, Document, Workspace};
use crate::project::yaml::{Node, Pos, Seg, path_string};
use crate::rules::{self, At, Subject};

/// One job in one environment, fully merged and valid.
#[derive(Debug, Clone)]
pub struct Job {
    pub name: String,
    pub namespace: String,
    pub env: String,
    /// The GitOps unit: the job file's first folder under its job root, or `default`.
    pub group: String,
    pub file: String,
    /// Where `metadata.name` is written.
    pub name_pos: Option<Pos>,
    pub labels: StringMap,
    pub annotations: StringMap,
    pub app_type: AppType,
    pub target: Target,
    pub spec: SparkJobSpec,
}

/// What identifies a job in one environment (kept for every job, even when the full
/// effective specs are not).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct JobRef {
    pub name: String,
    pub namespace: String,
    pub env: String,
    /// The GitOps unit (see [`Job::group`]).
    pub group: String,
    pub file: String,
    pub name_pos: Option<Pos>,
    pub app_type: AppType,
    /// What it requests, and when it may run.
    pub footprint: crate::footprint::Footprint,
    pub occupancy: crate::footprint::Occupancy,
}

/// The outcome of validation.
#[derive(Debug, Default)]
pub struct Report {
    /// The effective jobs, when asked for (`Keep::Jobs`).
    pub jobs: Vec<Job>,
    /// Every valid job in every environment.
    pub refs: Vec<JobRef>,
    pub diagnostics: Vec<Diagnostic>,
    pub files: usize,
    pub documents: usize,
    pub environments: Vec<String>,
    /// Text of the files the diagnostics refer to.
    pub sources: crate::diagnostic::Sources,
    /// Each job file's document count and own findings, when validation reused what it
    /// could (the render cache keeps them).
    pub by_file: Option<HashMap<String, (usize, Vec<Diagnostic>)>>,
    /// With [`Keep::Refs`]: a fingerprint of the text of each job file found without an
    /// error. The second pass of a render ([`each_job`]) builds the jobs of a file whose
    /// text still has it without checking them again.
    pub checked: HashMap<String, u64>,
}

impl Report {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// Built-in defaults, the lowest layer of every job.
pub fn builtin_defaults() -> &'static Json {
    static DEFAULTS: LazyLock<Json> = LazyLock::new(|| {
        json!({
            "driver": {"cores": 1, "memory": "1g"},
            "executor": {"instances": 1, "cores": 1, "memory": "1g"},
            "restartPolicy": {"type": "Never"},
        })
    });
    &DEFAULTS
}

/// Whether validation keeps the effective jobs (for rendering) or only their references
/// (checking alone: memory stays flat however many jobs there are).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    Refs,
    Jobs,
}

/// What a caller already knows of a job file from an earlier run, given the file and its
/// text: its document count, its jobs' references and its findings (the render cache).
/// Such a file is not parsed.
pub type Reuse<'a> = &'a (dyn Fn(&workspace::JobFile, &str) -> Option<Reused> + Sync);

/// What an earlier run knew of a job file (see [`Reuse`]).
pub struct Reused {
    pub documents: usize,
    pub refs: Vec<JobRef>,
    /// The file's own findings (warnings: a file with errors is not reused).
    pub diagnostics: Vec<Diagnostic>,
}

/// Validates a loaded workspace: reads and checks every job file (in parallel).
/// `env` limits the check to one environment.
pub fn validate(
    ws: &Workspace,
    env: Option<&str>,
    keep: Keep,
) -> Result<Report, crate::error::Error> {
    validate_reusing(ws, env, keep, None)
}

/// [`validate`], taking what `reuse` knows of a file instead of checking it again.
/// Only with [`Keep::Refs`]: a reused file has no effective jobs to keep.
pub fn validate_reusing(
    ws: &Workspace,
    env: Option<&str>,
    keep: Keep,
    reuse: Option<Reuse<'_>>,
) -> Result<Report, crate::error::Error> {
    debug_assert!(reuse.is_none() || keep == Keep::Refs);
    let mut report = Report {
        files: ws.files.len(),
        sources: ws.sources.clone(),
        ..Report::default()
    };
    report.diagnostics.extend(ws.diagnostics.iter().cloned());
    let all_envs = ws.environments();
    let envs: Vec<String> = match env {
        Some(e) => {
            if !all_envs.iter().any(|x| x == e) {
                report.diagnostics.push(unknown_env_diag(ws, e, &all_envs));
                sort_dedup(&mut report.diagnostics);
                return Ok(report);
            }
            vec![e.to_owned()]
        }
        None => all_envs.clone(),
    };
    report.environments.clone_from(&envs);
    if ws
        .diagnostics
        .iter()
        .any(|d| Some(&d.file) == ws.project.as_ref().map(|p| &p.file))
        || (ws.project.is_none() && ws.root.join(workspace::PROJECT_FILE).is_file())
    {
        // The project file itself is broken: its defaults cannot be applied.
        sort_dedup(&mut report.diagnostics);
        return Ok(report);
    }
    let results: Vec<FileResult> = ws
        .files
        .par_iter()
        .map(|f| check_file(ws, f, &envs, &all_envs, keep, reuse))
        .collect::<Result<_, _>>()?;
    if reuse.is_some() {
        report.by_file = Some(
            results
                .iter()
                .map(|r| (r.display.clone(), (r.documents, r.diagnostics.clone())))
                .collect(),
        );
    }
    for r in results {
        if let Some(f) = r.fingerprint {
            report.checked.insert(r.display.clone(), f);
        }
        report.documents += r.documents;
        report.jobs.extend(r.jobs);
        report.refs.extend(r.refs);
        if !r.diagnostics.is_empty() {
            if let Some(text) = r.text {
                report.sources.insert(r.display, text);
            }
            report.diagnostics.extend(r.diagnostics);
        }
    }
    check_duplicates(&ws.root, &mut report);
    check_budgets(ws, &mut report, &[], jiff::Timestamp::now());
    sort_dedup(&mut report.diagnostics);
    Ok(report)
}

/// Reads and checks every job file again (in parallel) and hands each valid job, as it is
/// built, to `each`, keeping only what `each` returns: the second pass of a render that
/// validated with [`Keep::Refs`], so that no more than a file's jobs are alive per worker.
/// The diagnostics were reported by the first pass and are not collected again.
/// `file` sees each file's text first and either answers for all of its jobs
/// ([`FileWork::Done`]) or has the file parsed, each of its jobs handed to `each` with what
/// `file` made of it once ([`FileWork::Jobs`]).
pub fn each_job<R: Send, C>(
    ws: &Workspace,
    env: Option<&str>,
    checked: &HashMap<String, u64>,
    file: impl Fn(&workspace::JobFile, &str) -> FileWork<R, C> + Sync,
    each: impl Fn(Job, &C) -> std::io::Result<R> + Sync,
) -> Result<Vec<R>, crate::error::Error> {
    let all_envs = ws.environments();
    let envs: Vec<String> = env.map_or_else(|| all_envs.clone(), |e| vec![e.to_owned()]);
    let per_file: Vec<std::io::Result<Vec<R>>> = ws
        .files
        .par_iter()
        .map(|f| {
            let text = workspace::read_text(&f.path, &f.display)
                .map_err(std::io::Error::other)?
                .map_err(|d| std::io::Error::other(d.message))?;
            let context = match file(f, &text) {
                FileWork::Done(done) => return Ok(done),
                FileWork::Jobs(context) => context,
            };
            // A file the first pass found without an error, unchanged since: its jobs are
            // built without checking them again (debug builds check that this changes
            // nothing).
            let checks = if checked.get(&f.display) == Some(&fingerprint(&text)) {
                Checks::Skip
            } else {
                Checks::All
            };
            let parsed = workspace::parse_text(f, text);
            let mut out = Vec::new();
            for d in &parsed.documents {
                let (jobs, _) = check_document(ws, d, &envs, &all_envs, checks);
                if cfg!(debug_assertions) && checks == Checks::Skip {
                    let (full, _) = check_document(ws, d, &envs, &all_envs, Checks::All);
                    assert_eq!(
                        format!("{jobs:?}"),
                        format!("{full:?}"),
                        "the jobs of {} built without checks differ",
                        f.display
                    );
                }
                for job in jobs {
                    out.push(each(job, &context)?);
                }
            }
            Ok(out)
        })
        .collect();
    let mut out = Vec::new();
    for r in per_file {
        out.extend(r.map_err(|source| crate::error::Error::Write {
            path: ws.root.clone(),
            source,
        })?);
    }
    Ok(out)
}

/// What [`each_job`] does with one file, as its caller decides from the file's text.
pub enum FileWork<R, C> {
    /// The results for all of the file's jobs, known without parsing it.
    Done(Vec<R>),
    /// Parse the file and hand each job to `each`, with this.
    Jobs(C),
}

/// A namespace's limit from the cluster: the ResourceQuota's name and its `hard` values.
#[derive(Debug, Clone)]
pub struct Quota {
    pub env: String,
    pub namespace: String,
    pub name: String,
    pub hard: crate::footprint::Resources,
    /// Which of `hard` the quota sets: pods, cpu, memory.
    pub sets: [bool; 3],
}

impl Quota {
    /// The limits of a ResourceQuota object (`requests.cpu` or `cpu`, `requests.memory` or
    /// `memory`, `pods`), or `None` when it limits none of them.
    pub fn from_object(env: &str, object: &Json) -> Option<Quota> {
        let hard = object.pointer("/spec/hard")?;
        let get = |keys: [&str; 2]| {
            keys.iter()
                .find_map(|k| hard.get(*k))
                .and_then(crate::diff::quantity)
        };
        let (pods, cpu, memory) = (
            get(["pods", "count/pods"]),
            get(["requests.cpu", "cpu"]),
            get(["requests.memory", "memory"]),
        );
        if pods.is_none() && cpu.is_none() && memory.is_none() {
            return None;
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let hard_values = crate::footprint::Resources {
            pods: pods.unwrap_or(0.0) as u64,
            cpu_millis: (cpu.unwrap_or(0.0) * 1000.0).round() as u64,
            memory_mib: (memory.unwrap_or(0.0) / (1024.0 * 1024.0)).floor() as u64,
        };
        Some(Quota {
            env: env.to_owned(),
            namespace: object
                .pointer("/metadata/namespace")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_owned(),
            name: object
                .pointer("/metadata/name")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_owned(),
            hard: hard_values,
            sets: [pods.is_some(), cpu.is_some(), memory.is_some()],
        })
    }
}

/// The `budget` policy of each environment (without `quotas`), or the ResourceQuotas read
/// from the cluster: the jobs of each namespace that can run at the same time (over the
/// week from `now`) must fit.
pub fn check_budgets(ws: &Workspace, report: &mut Report, quotas: &[Quota], now: jiff::Timestamp) {
    let Some(project) = ws.project.as_ref() else {
        return;
    };
    let mut by_ns: BTreeMap<(&str, &str), Vec<&JobRef>> = BTreeMap::new();
    for r in &report.refs {
        by_ns.entry((&r.env, &r.namespace)).or_default().push(r);
    }
    let mut out = Vec::new();
    for ((env, ns), jobs) in by_ns {
        let rules = crate::policy::InForce::of(&project.project, env);
        // With quotas from the cluster, only they are checked here: `validate` checked the
        // declared budgets already.
        let budget = if quotas.is_empty() {
            rules.pick(|p| p.budget.as_ref())
        } else {
            None
        };
        let ns_quotas: Vec<&Quota> = quotas
            .iter()
            .filter(|q| q.env == env && q.namespace == ns)
            .collect();
        if budget.is_none() && ns_quotas.is_empty() {
            continue;
        }
        let total = crate::footprint::peak_together(
            jobs.iter()
                .map(|j| (j.name.as_str(), &j.footprint, &j.occupancy)),
            now,
            7,
        );
        // (what limits, where it is written, its pods, cpu and memory)
        let mut limits: Vec<(String, Vec<Seg>, [Option<u64>; 3])> = Vec::new();
        if let Some((b, origin)) = budget {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let cpu = b.cores.map(|c| (c * 1000.0).round() as u64);
            let memory = b
                .memory
                .as_deref()
                .and_then(|m| crate::units::spark_memory_mib(m).ok());
            limits.push((
                "the budget".to_owned(),
                rules.path(origin, &["budget"]),
                [b.pods, cpu, memory],
            ));
        }
        for q in ns_quotas {
            let pick = |set: bool, v: u64| set.then_some(v);
            limits.push((
                format!("the ResourceQuota `{}` of namespace `{ns}`", q.name),
                workspace::keys(&["environments", env, "namespace"]),
                [
                    pick(q.sets[0], q.hard.pods),
                    pick(q.sets[1], q.hard.cpu_millis),
                    pick(q.sets[2], q.hard.memory_mib),
                ],
            ));
        }
        let level = rules.level(crate::policy::Name::Budget);
        let r = total.resources;
        for (what, path, [pods, cpu, memory]) in limits {
            let mut over = Vec::new();
            let show = crate::footprint::show_cpu;
            if let Some(p) = pods.filter(|p| r.pods > *p) {
                over.push(format!("{} pods (allowed {p})", r.pods));
            }
            if let Some(c) = cpu.filter(|c| r.cpu_millis > *c) {
                over.push(format!(
                    "{} cores (allowed {})",
                    show(r.cpu_millis),
                    show(c)
                ));
            }
            if let Some(m) = memory.filter(|m| r.memory_mib > *m) {
                over.push(format!(
                    "{} of memory (allowed {})",
                    crate::footprint::show_mib(r.memory_mib),
                    crate::footprint::show_mib(m)
                ));
            }
            let unbounded = !total.unbounded.is_empty()
                && (pods.is_some() || cpu.is_some() || memory.is_some());
            if over.is_empty() && !unbounded {
                continue;
            }
            let mut message = format!(
                "the {} job{} of namespace `{ns}` in environment `{env}` that can run at the same time",
                total.jobs,
                if total.jobs == 1 { "" } else { "s" }
            );
            if over.is_empty() {
                message.push_str(&format!(
                    " have no bound: {} scale without `maxExecutors`",
                    total.unbounded.join(", ")
                ));
            } else {
                message.push_str(&format!(" request {}, over {what}", over.join(", ")));
                if !total.unbounded.is_empty() {
                    message.push_str(&format!(
                        " (and {} have no bound)",
                        total.unbounded.join(", ")
                    ));
                }
            }
            let (pos, _) = project.node.pos_of(&path);
            let diag = match level {
                PolicyLevel::Error => {
                    Diagnostic::error(crate::policy::Name::Budget.code(), &project.file, Some(pos))
                }
                PolicyLevel::Warning => Diagnostic::warning(
                    crate::policy::Name::Budget.code(),
                    &project.file,
                    Some(pos),
                ),
            };
            out.push(
                diag.path(path_string(&path)).message(message).hint(
                    "give the jobs fewer or smaller executors, stagger their schedules with `timeoutSeconds` so that their runs do not overlap, or raise the limit",
                ),
            );
        }
    }
    report.diagnostics.extend(out);
}

struct FileResult {
    fingerprint: Option<u64>,
    display: String,
    text: Option<std::sync::Arc<str>>,
    documents: usize,
    jobs: Vec<Job>,
    refs: Vec<JobRef>,
    diagnostics: Vec<Diagnostic>,
}

fn check_file(
    ws: &Workspace,
    file: &workspace::JobFile,
    envs: &[String],
    all_envs: &[String],
    keep: Keep,
    reuse: Option<Reuse<'_>>,
) -> Result<FileResult, crate::error::Error> {
    let (parsed, fingerprint) = match workspace::read_text(&file.path, &file.display)? {
        Ok(text) => {
            let fingerprint = (keep == Keep::Refs).then(|| fingerprint(&text));
            if let Some(r) = reuse.and_then(|r| r(file, &text)) {
                // (A reused file had no error: the cache keeps no file with one.)
                return Ok(FileResult {
                    fingerprint,
                    display: file.display.clone(),
                    text: (!r.diagnostics.is_empty()).then(|| std::sync::Arc::from(text)),
                    documents: r.documents,
                    jobs: Vec::new(),
                    refs: r.refs,
                    diagnostics: r.diagnostics,
                });
            }
            (workspace::parse_text(file, text), fingerprint)
        }
        Err(d) => (
            workspace::ParsedFile {
                display: file.display.clone(),
                text: None,
                documents: Vec::new(),
                diagnostics: vec![d],
            },
            None,
        ),
    };
    let mut result = FileResult {
        fingerprint,
        display: parsed.display,
        text: parsed.text,
        documents: parsed.documents.len(),
        jobs: Vec::new(),
        refs: Vec::new(),
        diagnostics: parsed.diagnostics,
    };
    for d in &parsed.documents {
        let (jobs, diags) = check_document(ws, d, envs, all_envs, Checks::All);
        result.refs.extend(jobs.iter().map(|j| JobRef {
            name: j.name.clone(),
            namespace: j.namespace.clone(),
            env: j.env.clone(),
            group: j.group.clone(),
            file: j.file.clone(),
            name_pos: j.name_pos,
            app_type: j.app_type,
            footprint: crate::footprint::Footprint::of(&j.spec, j.app_type),
            occupancy: crate::footprint::Occupancy::of(&j.spec),
        }));
        if keep == Keep::Jobs {
            result.jobs.extend(jobs);
        }
        result.diagnostics.extend(diags);
    }
    if result
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error)
    {
        result.fingerprint = None;
    }
    Ok(result)
}

/// A fingerprint of a job file's text: whether it changed between the passes of a render.
fn fingerprint(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// Whether [`check_document`] checks a document or only builds its jobs (a document found
/// without an error before, unchanged since).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Checks {
    All,
    Skip,
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

/// Removes the values at `paths` (keys of mappings, items of lists), as if one by one from
/// the last path in sorted order to the first, but with each list swept once: removing
/// half the items of a list of 100,000 one at a time would move the rest 50,000 times.
pub fn remove_paths(json: &mut Json, paths: &[Vec<Seg>]) {
    // Keys first: removing one never moves an index that another path goes through.
    let mut items: BTreeMap<&[Seg], HashSet<usize>> = BTreeMap::new();
    for path in paths {
        match path.split_last() {
            Some((Seg::Index(i), list)) => {
                items.entry(list).or_default().insert(*i);
            }
            _ => remove_path(json, path),
        }
    }
    // A list sorts after every list that contains it: the inner ones go first, while the
    // indexes that lead to them still hold.
    for (list, remove) in items.iter().rev() {
        if let Some(Json::Array(a)) = value_mut(json, list) {
            let mut i = 0;
            a.retain(|_| {
                i += 1;
                !remove.contains(&(i - 1))
            });
        }
    }
}

/// The value at `path`, if there is one.
fn value_mut<'a>(json: &'a mut Json, path: &[Seg]) -> Option<&'a mut Json> {
    path.iter().try_fold(json, |node, seg| match (seg, node) {
        (Seg::Key(k), Json::Object(m)) => m.get_mut(k),
        (Seg::Index(i), Json::Array(a)) => a.get_mut(*i),
        _ => None,
    })
}

/// Removes the value at `path` (a key of a mapping or an item of a list).
pub fn remove_path(json: &mut Json, path: &[Seg]) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    match (last, value_mut(json, parent)) {
        (Seg::Key(k), Some(Json::Object(m))) => {
            m.remove(k);
        }
        (Seg::Index(i), Some(Json::Array(a))) if *i < a.len() => {
            a.remove(*i);
        }
        _ => {}
    }
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

/// One layer's source: its file and root node (absent without a project file).
type Layer<'a> = Option<(&'a str, &'a Node)>;

/// Where a merged-spec path is defined, searching the layers from the top.
struct Layers<'a> {
    ws: &'a Workspace,
    doc: &'a Document,
}

impl Layers<'_> {
    fn locate(&self, env: &str, path: &[Seg]) -> (String, Option<Pos>, String) {
        let job_node = &self.doc.node;
        if path.is_empty() {
            // The whole spec (a missing field): point at the `spec:` key.
            let pos = job_node.key_pos(&[], "spec").unwrap_or(job_node.pos);
            return (self.doc.file.clone(), Some(pos), "spec".to_owned());
        }
        let project = self.ws.project.as_ref();
        let candidates: [(Layer<'_>, Vec<Seg>); 4] = [
            (
                Some((self.doc.file.as_str(), job_node)),
                prefixed(&["environments", env], path),
            ),
            (
                project.map(|p| (p.file.as_str(), &p.node)),
                prefixed(&["environments", env, "overrides"], path),
            ),
            (
                Some((self.doc.file.as_str(), job_node)),
                prefixed(&["spec"], path),
            ),
            (
                project.map(|p| (p.file.as_str(), &p.node)),
                prefixed(&["defaults"], path),
            ),
        ];
        for (src, full) in &candidates {
            if let Some((file, node)) = src
                && let Ok(n) = node.locate(full)
            {
                return ((*file).to_owned(), Some(n.pos), path_string(full));
            }
        }
        // Not written anywhere (a missing field): point at the job's `spec`, or its start.
        let spec_path = prefixed(&["spec"], path);
        let pos = job_node.key_pos(&[], "spec").unwrap_or(job_node.pos);
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

fn check_document(
    ws: &Workspace,
    d: &Document,
    envs: &[String],
    all_envs: &[String],
    checks: Checks,
) -> (Vec<Job>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let json = d.node.to_json();
    if !workspace::check_header(&d.file, &d.node, &json, "SparkJob", &mut diags) {
        return (Vec::new(), diags);
    }
    let (mut json, repaired) = if checks == Checks::Skip {
        (json, false)
    } else {
        match schema_pass(d, json, &mut diags) {
            Some(r) => r,
            None => return (Vec::new(), diags),
        }
    };
    // The schema passed: only the metadata needs a typed decode here; the spec is decoded
    // per environment after the merge.
    let job_spec = json.get_mut("spec").map_or(Json::Null, Json::take);
    let job_envs = json.get_mut("environments").map_or(Json::Null, Json::take);
    let metadata: JobMetadata = match json
        .get_mut("metadata")
        .map(Json::take)
        .map(serde_json::from_value)
    {
        Some(Ok(m)) => m,
        Some(Err(e)) => {
            diags.push(
                Diagnostic::error("schema", &d.file, Some(d.node.pos)).message(e.to_string()),
            );
            return (Vec::new(), diags);
        }
        None => return (Vec::new(), diags),
    };
    if checks == Checks::All {
        check_job_environments(ws, d, &job_envs, all_envs, &mut diags);
        check_overridden(ws, d, &job_spec, &job_envs, all_envs, &mut diags);
    }
    // The raw project defaults (not the typed ones: a typed `None` would serialize as a
    // removing null).
    let project_defaults = ws
        .project
        .as_ref()
        .and_then(|p| p.node.get("defaults"))
        .map_or(Json::Null, Node::to_json);
    let doc = Doc {
        ws,
        d,
        metadata: &metadata,
        project_defaults: &project_defaults,
        spec: &job_spec,
        envs: &job_envs,
        checks,
    };
    let mut jobs = Vec::new();
    // Per environment: (finding key) -> environments where it occurs.
    let mut per_env: BTreeMap<Diagnostic, Vec<String>> = BTreeMap::new();
    for env in envs {
        if let Some(job) = doc.evaluate(env, &mut per_env) {
            jobs.push(job);
        }
    }
    let multi = envs.len() > 1 || envs.first().is_some_and(|e| e != DEFAULT_ENV);
    if repaired {
        jobs.clear();
        per_env.retain(|d, _| d.code != "required" && d.code != "type" && d.code != "main-class");
    }
    for (mut diag, in_envs) in per_env {
        if multi && in_envs.len() < envs.len() {
            let which = in_envs.join(", ");
            diag.message = format!("{} (environment {which})", diag.message);
        }
        diags.push(diag);
    }
    (jobs, diags)
}

/// The schema check of the raw document. Problems are reported, then the offending values
/// removed so that one run shows every problem; returns the (repaired) document and whether
/// it was repaired, or `None` when nothing but the name can be checked.
fn schema_pass(d: &Document, mut json: Json, diags: &mut Vec<Diagnostic>) -> Option<(Json, bool)> {
    let issues = schema::check(Kind::SparkJob, &json);
    if issues.is_empty() {
        return Some((json, false));
    }
    // Jobs are not produced from a repaired document, and "missing field" findings caused
    // by a removal are not reported.
    let mut paths: Vec<Vec<Seg>> = issues.iter().map(|i| i.path.clone()).collect();
    diags.extend(
        issues
            .into_iter()
            .map(|i| workspace::issue_diag(&d.file, &d.node, i)),
    );
    paths.sort();
    paths.dedup();
    let removable = paths.iter().all(|p| {
        p.len() >= 2 && !matches!(p[0], Seg::Key(ref k) if k == "apiVersion" || k == "kind")
    });
    remove_paths(&mut json, &paths);
    if removable && schema::check(Kind::SparkJob, &json).is_empty() {
        return Some((json, true));
    }
    // The name is checked even when the rest of the document cannot be repaired.
    if let Some(name) = json.pointer("/metadata/name").and_then(Json::as_str) {
        // As much of the spec as the name's limits depend on: the target, a schedule, the
        // Spark version.
        let spec = crate::project::spec::SparkJobSpec {
            spark_version: json
                .pointer("/spec/sparkVersion")
                .and_then(Json::as_str)
                .map(str::to_owned),
            target: json
                .pointer("/spec/target")
                .and_then(|t| serde_json::from_value(t.clone()).ok()),
            schedule: json
                .pointer("/spec/schedule")
                .is_some_and(Json::is_object)
                .then(Default::default),
            ..Default::default()
        };
        for f in rules::check_name(name, &spec) {
            let (pos, _) = d.node.pos_of(&workspace::keys(&["metadata", "name"]));
            let mut diag = Diagnostic::error(f.code, &d.file, Some(pos))
                .path("metadata.name")
                .message(f.message);
            diag.hint = f.hint;
            diags.push(diag);
        }
    }
    None
}

/// A value of the job's `spec` that every environment overrides never takes effect: a
/// warning naming where each override is written.
fn check_overridden(
    ws: &Workspace,
    d: &Document,
    job_spec: &Json,
    job_envs: &Json,
    all_envs: &[String],
    diags: &mut Vec<Diagnostic>,
) {
    let Some(project) = ws.project.as_ref() else {
        return;
    };
    if project
        .project
        .environments
        .as_ref()
        .is_none_or(BTreeMap::is_empty)
    {
        return;
    }
    let mut leaves = Vec::new();
    leaf_paths(job_spec, &mut Vec::new(), &mut leaves);
    if leaves.is_empty() {
        return;
    }
    let overrides: BTreeMap<&str, Option<Json>> = all_envs
        .iter()
        .map(|env| {
            let node = project
                .node
                .locate(&workspace::keys(&["environments", env, "overrides"]))
                .ok();
            (env.as_str(), node.map(Node::to_json))
        })
        .collect();
    for path in leaves {
        let mut by = Vec::new();
        for env in all_envs {
            // The job's own environment block wins over the project's overrides.
            let job_layer = prefixed(&["environments", env], &path);
            let project_layer = prefixed(&["environments", env, "overrides"], &path);
            let found = replaced_at(job_envs.get(env.as_str()), &path)
                .map(|n| (d.file.as_str(), &d.node, job_layer[..2 + n].to_vec()))
                .or_else(|| {
                    replaced_at(overrides[env.as_str()].as_ref(), &path).map(|n| {
                        (
                            project.file.as_str(),
                            &project.node,
                            project_layer[..3 + n].to_vec(),
                        )
                    })
                });
            match found {
                Some((file, node, at)) => {
                    let (pos, _) = node.pos_of(&at);
                    by.push(format!(
                        "{env}: `{}` at {file}:{}",
                        path_string(&at),
                        pos.line
                    ));
                }
                None => break,
            }
        }
        if by.len() < all_envs.len() {
            continue;
        }
        let at = prefixed(&["spec"], &path);
        let (pos, _) = d.node.pos_of(&at);
        diags.push(
            Diagnostic::warning("overridden", &d.file, Some(pos))
                .path(path_string(&at))
                .message(format!(
                    "`{}` never takes effect: every environment overrides it ({})",
                    path_string(&at),
                    by.join("; ")
                ))
                .hint("remove it here (editing it changes nothing), or remove the overrides that replace it"),
        );
    }
}

/// The paths of a spec's values: scalars and lists, and empty mappings.
fn leaf_paths(v: &Json, path: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    match v {
        Json::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                path.push(Seg::Key(k.clone()));
                leaf_paths(x, path, out);
                path.pop();
            }
        }
        Json::Null => {}
        _ => out.push(path.clone()),
    }
}

/// Whether a layer replaces the value at `path`: it sets the path itself, or an ancestor
/// to something that is not a mapping (or `null`). Returns how many segments of `path`
/// lead to the replacing value.
fn replaced_at(layer: Option<&Json>, path: &[Seg]) -> Option<usize> {
    let mut node = layer?;
    for (i, seg) in path.iter().enumerate() {
        let Seg::Key(k) = seg else { return None };
        match node {
            Json::Object(m) => node = m.get(k)?,
            _ => return None,
        }
        if i + 1 == path.len() || !node.is_object() {
            return Some(i + 1);
        }
    }
    None
}

/// Environments named by a job must exist in the project.
fn check_job_environments(
    ws: &Workspace,
    d: &Document,
    job_envs: &Json,
    all_envs: &[String],
    diags: &mut Vec<Diagnostic>,
) {
    let Json::Object(job_envs) = job_envs else {
        return;
    };
    for name in job_envs.keys() {
        if all_envs.iter().any(|e| e == name) {
            continue;
        }
        let pos = d.node.key_pos(&workspace::keys(&["environments"]), name);
        let hint = match schema::suggest(name, all_envs) {
            Some(s) => format!(
                "did you mean `{s}`? Environments are defined in sparkc.yaml: {}",
                all_envs.join(", ")
            ),
            None if ws.project.is_none() => {
                "define environments in a sparkc.yaml project file (`sparkc init` writes one)"
                    .to_owned()
            }
            None => format!(
                "define it under `environments:` in sparkc.yaml, or use one of: {}",
                all_envs.join(", ")
            ),
        };
        diags.push(
            Diagnostic::error("environment", &d.file, pos)
                .path(path_string(&[
                    Seg::Key("environments".into()),
                    Seg::Key(name.clone()),
                ]))
                .message(format!("the project has no environment `{name}`"))
                .hint(hint),
        );
    }
}

/// One job document, ready to be evaluated in each environment.
struct Doc<'a> {
    ws: &'a Workspace,
    d: &'a Document,
    metadata: &'a JobMetadata,
    project_defaults: &'a Json,
    spec: &'a Json,
    envs: &'a Json,
    checks: Checks,
}

impl Doc<'_> {
    /// The effective job in one environment: the merge of every layer, the rules, and the
    /// job when the rules found no error. Findings go to `per_env`.
    fn evaluate(&self, env: &str, per_env: &mut BTreeMap<Diagnostic, Vec<String>>) -> Option<Job> {
        let (ws, d, metadata) = (self.ws, self.d, self.metadata);
        let project = ws.project.as_ref().map(|p| &p.project);
        let env_cfg = project
            .and_then(|p| p.environments.as_ref())
            .and_then(|e| e.get(env));
        let env_overrides = ws
            .project
            .as_ref()
            .and_then(|p| {
                p.node
                    .locate(&workspace::keys(&["environments", env, "overrides"]))
                    .ok()
            })
            .map_or(Json::Null, Node::to_json);
        let merged = merge::merge_all([
            builtin_defaults(),
            self.project_defaults,
            self.spec,
            &env_overrides,
            self.envs.get(env).unwrap_or(&Json::Null),
        ]);
        let spec: SparkJobSpec = match serde_json::from_value(merged) {
            Ok(s) => s,
            Err(e) => {
                let diag = Diagnostic::error("merge", &d.file, Some(d.node.pos))
                    .path("spec")
                    .message(format!("the merged spec is invalid: {e}"));
                per_env.entry(diag).or_default().push(env.to_owned());
                return None;
            }
        };
        let namespace = metadata
            .namespace
            .clone()
            .or_else(|| env_cfg.and_then(|e| e.namespace.clone()));
        let subject = Subject {
            name: &metadata.name,
            namespace: namespace.as_deref(),
            labels: metadata.labels.as_ref(),
            annotations: metadata.annotations.as_ref(),
            spec: &spec,
        };
        let layers = Layers { ws, doc: d };
        let mut failed = false;
        let findings = if self.checks == Checks::All {
            rules::check(&subject)
        } else {
            Vec::new()
        };
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
            per_env.entry(diag).or_default().push(env.to_owned());
        }
        if failed {
            return None;
        }
        let app_type = rules::infer_type(&spec)?;
        let job = Job {
            name: metadata.name.clone(),
            namespace: namespace.unwrap_or_default(),
            env: env.to_owned(),
            group: group_of(&d.rel),
            file: d.file.clone(),
            name_pos: d
                .node
                .locate(&workspace::keys(&["metadata", "name"]))
                .ok()
                .map(|n| n.pos),
            labels: metadata.labels.clone().unwrap_or_default(),
            annotations: metadata.annotations.clone().unwrap_or_default(),
            app_type,
            target: spec.target.unwrap_or(crate::target::DEFAULT),
            spec,
        };
        if self.checks == Checks::All {
            self.check_policies(&job, &layers, per_env);
        }
        Some(job)
    }

    /// The project's and the environment's policies on a valid job.
    fn check_policies(
        &self,
        job: &Job,
        layers: &Layers<'_>,
        per_env: &mut BTreeMap<Diagnostic, Vec<String>>,
    ) {
        let Some(project) = self.ws.project.as_ref() else {
            return;
        };
        let rules = crate::policy::InForce::of(&project.project, &job.env);
        if !rules.any() {
            return;
        }
        let footprint = crate::footprint::Footprint::of(&job.spec, job.app_type);
        for v in crate::policy::check(job, &footprint, &rules) {
            let (file, pos, path) = match &v.at {
                At::Spec(p) => layers.locate(&job.env, p),
                At::Doc(p) => {
                    let (pos, _) = self.d.node.pos_of(p);
                    (self.d.file.clone(), Some(pos), path_string(p))
                }
            };
            let (policy_pos, _) = project.node.pos_of(&v.policy_at);
            let message = format!(
                "{} (policy `{}` at {}:{})",
                v.message,
                path_string(&v.policy_at),
                project.file,
                policy_pos.line
            );
            let diag = match v.level {
                PolicyLevel::Error => Diagnostic::error(v.policy.code(), file, pos),
                PolicyLevel::Warning => Diagnostic::warning(v.policy.code(), file, pos),
            };
            per_env
                .entry(diag.path(path).message(message).hint(v.hint))
                .or_default()
                .push(job.env.clone());
        }
    }
}

fn check_duplicates(root: &std::path::Path, report: &mut Report) {
    let name_pos = |job: &JobRef| job.name_pos;
    let mut seen: HashMap<(&str, &str, &str), &JobRef> = HashMap::new();
    let mut extra = Vec::new();
    for job in &report.refs {
        let key = (job.env.as_str(), job.namespace.as_str(), job.name.as_str());
        if let Some(first) = seen.get(&key) {
            let first_at = name_pos(first).map_or_else(
                || first.file.clone(),
                |p| format!("{}:{}:{}", first.file, p.line, p.column),
            );
            extra.push(
                Diagnostic::error("duplicate", &job.file, name_pos(job))
                    .path("metadata.name")
                    .message(format!(
                        "job `{}` in namespace `{}` is defined twice in environment `{}` (first at {first_at})",
                        job.name, job.namespace, job.env
                    ))
                    .hint("rename one of them: a job's name is unique in its namespace"),
            );
        } else {
            seen.insert(key, job);
        }
    }
    for d in &extra {
        if !report.sources.contains_key(&d.file)
            && let Ok(text) = std::fs::read_to_string(root.join(&d.file))
        {
            report
                .sources
                .insert(d.file.clone(), std::sync::Arc::from(text));
        }
    }
    report.diagnostics.extend(extra);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Removing together is removing one by one from the last path to the first.
    #[test]
    fn remove_paths_as_one_by_one() {
        let doc = json!({"a": [0, 1, {"b": [0, 1, 2], "c": 1}, 3, 4], "d": {"e": 1, "f": [0, 1]}, "g": 1});
        let key = |k: &str| Seg::Key(k.to_owned());
        let mut paths = vec![
            vec![key("a"), Seg::Index(0)],
            vec![key("a"), Seg::Index(2), key("b"), Seg::Index(1)],
            vec![key("a"), Seg::Index(2), key("c")],
            vec![key("a"), Seg::Index(3)],
            vec![key("d"), key("f"), Seg::Index(0)],
            vec![key("g")],
            vec![key("a"), Seg::Index(9)],
            vec![key("x"), key("y")],
        ];
        paths.sort();
        let mut one_by_one = doc.clone();
        for p in paths.iter().rev() {
            remove_path(&mut one_by_one, p);
        }
        let mut together = doc;
        remove_paths(&mut together, &paths);
        assert_eq!(together, one_by_one);
        assert_eq!(
            together,
            json!({"a": [1, {"b": [0, 2]}, 4], "d": {"e": 1, "f": [1]}})
        );
    }
}
