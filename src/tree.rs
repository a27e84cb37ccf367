//! The rendered tree for Argo CD and Flux: layout, shards, ownership, atomic writes and
//! `--check`, streamed: each job's file is written (or compared) as soon as it is rendered,
//! and only a small record per job is kept, so memory does not grow with the output.
//!
//! ```text
//! <out>/
//!   .sparkc-tree.json               what sparkc wrote (ownership) and where each job sits
//!   <env>/<unit>/kustomization.yaml one GitOps unit: a group (the job file's first folder),
//!                                   listing its job files
//!   <env>/<unit>/<job>.yaml          all of a job's objects, one document each, in output
//!                                   order (RBAC, ConfigMaps, Services, then the workload)
//!   gitops/<env>.yaml               Argo CD Applications (or an ApplicationSet) or Flux
//!                                   Kustomizations, one per unit
//!   gitops/argocd-health.yaml       Argo CD health checks for the kinds it lacks
//! ```
//!
//! Kustomize's build time grows with the square of a unit's objects, so a group is split
//! into shards (`<group>`, `<group>-2`, ...) of at most [`UNIT_JOBS`] jobs (so at most
//! [`UNIT_OBJECTS`] objects). Where each job sits is recorded in the ownership file and
//! kept: adding a job never moves another. Shards are decided from the jobs alone, before
//! anything is rendered, so that every job's file has its path when it is rendered.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::diagnostic::Diagnostic;
use crate::project::validate::JobRef;
use crate::project::yaml;
use crate::render::Manifest;

pub use crate::gitops::Settings;

/// The ownership record, at the root of the output folder.
pub const MARKER: &str = ".sparkc-tree.json";

/// At most this many objects per GitOps unit (kustomize builds 1,000 objects in about 2 s
/// on a 2-core machine, and the time grows with the square of the count).
pub const UNIT_OBJECTS: usize = 600;

/// The most objects one job renders: a native job's ServiceAccount, Role, RoleBinding,
/// ConfigMap, Service and workload.
pub const JOB_OBJECTS: usize = 6;

/// At most this many jobs per GitOps unit.
pub const UNIT_JOBS: usize = UNIT_OBJECTS / JOB_OBJECTS;

/// The largest file `--check` reads (sparkc writes far smaller ones).
const MAX_FILE: u64 = 8 * 1024 * 1024;

/// The ownership record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    pub generator: String,
    /// Every file sparkc wrote, relative to the output folder, sorted.
    pub files: BTreeSet<String>,
    /// `<env>/<group>` → job → shard number (1 is the group's own folder).
    pub placement: BTreeMap<String, BTreeMap<String, usize>>,
}

impl Marker {
    /// Reads the record of a previous render (absent or unreadable: none).
    pub fn load(out: &Path) -> Option<Self> {
        let text = fs::read_to_string(out.join(MARKER)).ok()?;
        serde_json::from_str(&text).ok()
    }

    fn to_text(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// One unit of the layout.
#[derive(Debug, Clone)]
pub struct UnitJobs {
    pub env: String,
    /// The unit's folder name (`<group>` or `<group>-<shard>`).
    pub name: String,
    /// Its jobs, as indices into the jobs of the render.
    pub jobs: Vec<usize>,
}

/// Where every job's file goes, decided before rendering.
#[derive(Debug, Default)]
pub struct Layout {
    /// Each job's file (relative to the output folder), by its index in the jobs.
    pub paths: Vec<String>,
    /// `<env>/<unit>` → the unit.
    pub units: BTreeMap<String, UnitJobs>,
    pub placement: BTreeMap<String, BTreeMap<String, usize>>,
    pub diagnostics: Vec<Diagnostic>,
}

fn dns_label(s: &str) -> bool {
    crate::rules::is_dns1123_label(s)
}

/// The layout of `jobs`, keeping the placement recorded in `old`.
pub fn layout(jobs: &[JobRef], old: Option<&Marker>) -> Layout {
    let mut out = Layout {
        paths: vec![String::new(); jobs.len()],
        ..Layout::default()
    };
    // env → group → job name → indices (one per namespace).
    let mut by_group: BTreeMap<(&str, &str), BTreeMap<&str, Vec<usize>>> = BTreeMap::new();
    for (i, j) in jobs.iter().enumerate() {
        by_group
            .entry((j.env.as_str(), j.group.as_str()))
            .or_default()
            .entry(j.name.as_str())
            .or_default()
            .push(i);
    }
    for ((env, group), names) in by_group {
        if !dns_label(env) || !dns_label(group) {
            let (what, name) = if dns_label(env) {
                ("job folder", group)
            } else {
                ("environment", env)
            };
            let first = names.values().next().and_then(|v| v.first()).copied();
            out.diagnostics.push(
                Diagnostic::error("tree", first.map_or_else(String::new, |i| jobs[i].file.clone()), None)
                    .message(format!("the {what} name `{}` cannot name a folder of the rendered tree", name.escape_debug()))
                    .hint("use lower-case letters, digits and `-` (a DNS label): it also names the GitOps unit"),
            );
            continue;
        }
        // A job's file is named after the job: two jobs of one name (in two namespaces) in
        // one group would write the same file.
        if let Some((name, same)) = names.iter().find(|(_, v)| v.len() > 1) {
            let (first, other) = (&jobs[same[0]], &jobs[same[1]]);
            let namespaces: Vec<&str> = same.iter().map(|i| jobs[*i].namespace.as_str()).collect();
            out.diagnostics.push(
                Diagnostic::error("tree", other.file.clone(), other.name_pos)
                    .path("metadata.name")
                    .message(format!(
                        "job `{name}` is in folder `{group}` twice (namespaces {}; the other is {}), and its file in the rendered tree is `{env}/{group}/{name}.yaml`",
                        namespaces.join(", "),
                        first.file,
                    ))
                    .hint("rename one of them, or move one into another folder of jobs"),
            );
            continue;
        }
        let key = format!("{env}/{group}");
        let previous = old.and_then(|o| o.placement.get(&key));
        let placement = place(names.keys().copied(), previous);
        for (name, shard) in &placement {
            let unit = if *shard == 1 {
                group.to_owned()
            } else {
                format!("{group}-{shard}")
            };
            let unit_dir = format!("{env}/{unit}");
            let index = names[name][0];
            out.paths[index] = format!("{unit_dir}/{name}.yaml");
            out.units
                .entry(unit_dir)
                .or_insert_with(|| UnitJobs {
                    env: env.to_owned(),
                    name: unit,
                    jobs: Vec::new(),
                })
                .jobs
                .push(index);
        }
        out.placement.insert(
            key,
            placement
                .into_iter()
                .map(|(j, s)| (j.to_owned(), s))
                .collect(),
        );
    }
    out
}

/// Places a group's jobs into shards: a job keeps the shard it had; a new job goes to the
/// first shard with room, or a new one.
fn place<'a>(
    jobs: impl Iterator<Item = &'a str>,
    previous: Option<&BTreeMap<String, usize>>,
) -> BTreeMap<&'a str, usize> {
    let mut placement = BTreeMap::new();
    let mut load: BTreeMap<usize, usize> = BTreeMap::new();
    let mut new = Vec::new();
    for job in jobs {
        match previous.and_then(|p| p.get(job)) {
            Some(&shard) if shard >= 1 => {
                placement.insert(job, shard);
                *load.entry(shard).or_default() += 1;
            }
            _ => new.push(job),
        }
    }
    for job in new {
        let mut shard = 1;
        while load.get(&shard).is_some_and(|l| *l >= UNIT_JOBS) {
            shard += 1;
        }
        placement.insert(job, shard);
        *load.entry(shard).or_default() += 1;
    }
    placement
}

/// What became of one job's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileState {
    /// The file on disk already holds it.
    Same,
    /// Written into the new tree.
    Written,
    /// `--check`: not on disk.
    Missing,
    /// `--check`: on disk with other content (a unified diff).
    Changed(String),
}

/// The small record kept of one rendered job.
#[derive(Debug, Clone)]
pub struct Record {
    pub objects: usize,
    pub namespaces: BTreeSet<String>,
    /// The objects Flux health-checks: (apiVersion, kind, name, namespace).
    pub watched: Vec<(String, String, String, String)>,
    pub state: FileState,
    /// Digest of the job's file (the render cache keeps it).
    pub output: String,
}

/// A job's file: its objects in output order, each headed by its source, and what the
/// record keeps of them.
pub fn job_file(manifests: Vec<Manifest>) -> (String, Record) {
    let mut text = String::with_capacity(manifests.iter().map(|m| m.file_len() + 4).sum::<usize>());
    let mut record = Record {
        objects: 0,
        namespaces: BTreeSet::new(),
        watched: Vec::new(),
        state: FileState::Same,
        output: String::new(),
    };
    for m in manifests {
        record.namespaces.insert(m.namespace.clone());
        if crate::gitops::flux_health(&m.api_version, &m.kind).is_some() {
            record.watched.push((
                m.api_version.clone(),
                m.kind.clone(),
                m.name.clone(),
                m.namespace.clone(),
            ));
        }
        if !text.is_empty() {
            text.push_str("---\n");
        }
        text.push_str(&m.into_file_text());
        record.objects += 1;
    }
    debug_assert!(record.objects <= JOB_OBJECTS, "{} objects", record.objects);
    record.output = crate::cache::digest(text.as_bytes());
    (text, record)
}

/// Whether the file at `path` in the tree is a regular file whose content has `digest`.
pub fn holds(out: &Path, path: &str, digest: &str) -> bool {
    let full = out.join(path);
    fs::symlink_metadata(&full).is_ok_and(|m| m.file_type().is_file() && m.len() <= MAX_FILE)
        && fs::read(&full).is_ok_and(|b| crate::cache::digest(&b) == digest)
}

/// The files of the tree besides the jobs' (unit kustomizations, GitOps objects, health
/// checks), the new ownership record, and the object count of each unit.
#[derive(Debug, Default)]
pub struct Rest {
    pub files: BTreeMap<String, String>,
    pub marker: Marker,
    pub units: BTreeMap<String, usize>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The paths of the files [`rest`] will produce for a layout (known before rendering).
pub fn rest_paths(layout: &Layout, settings: &Settings) -> BTreeSet<String> {
    let mut paths: BTreeSet<String> = layout
        .units
        .keys()
        .map(|u| format!("{u}/kustomization.yaml"))
        .collect();
    if settings.tool != crate::project::spec::GitOpsTool::None {
        for u in layout.units.values() {
            paths.insert(format!("gitops/{}.yaml", u.env));
        }
    }
    if !layout.units.is_empty() && crate::gitops::health_file(settings).is_some() {
        paths.insert(crate::gitops::HEALTH_FILE.to_owned());
    }
    paths
}

/// The rest of the tree, once every job is rendered (`records` by job index).
pub fn rest(layout: &Layout, records: &[Record], settings: &Settings) -> Rest {
    let mut rest = Rest::default();
    rest.marker.generator = "sparkc".to_owned();
    rest.marker.placement.clone_from(&layout.placement);
    let mut units_by_env: BTreeMap<&str, Vec<crate::gitops::Unit>> = BTreeMap::new();
    for (dir, unit) in &layout.units {
        let mut files: Vec<&str> = unit
            .jobs
            .iter()
            .map(|i| layout.paths[*i].rsplit('/').next().unwrap_or_default())
            .collect();
        files.sort_unstable();
        rest.files
            .insert(format!("{dir}/kustomization.yaml"), kustomization(&files));
        let mut namespaces = BTreeSet::new();
        let mut watched = Vec::new();
        let mut objects = 0;
        for i in &unit.jobs {
            let r = &records[*i];
            namespaces.extend(r.namespaces.iter().cloned());
            watched.extend(r.watched.iter().cloned());
            objects += r.objects;
        }
        watched.sort();
        rest.units.insert(dir.clone(), objects);
        units_by_env
            .entry(unit.env.as_str())
            .or_default()
            .push(crate::gitops::Unit {
                name: unit.name.clone(),
                namespaces,
                watched,
            });
    }
    for (env, units) in &units_by_env {
        if let Some(text) = crate::gitops::objects(env, units, settings, &mut rest.diagnostics) {
            rest.files.insert(format!("gitops/{env}.yaml"), text);
        }
    }
    if !units_by_env.is_empty()
        && let Some(text) = crate::gitops::health_file(settings)
    {
        rest.files
            .insert(crate::gitops::HEALTH_FILE.to_owned(), text);
    }
    rest.marker.files = rest
        .files
        .keys()
        .cloned()
        .chain(layout.paths.iter().filter(|p| !p.is_empty()).cloned())
        .collect();
    rest
}

fn kustomization(resources: &[&str]) -> String {
    let k = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources,
    });
    format!("# Generated by sparkc.\n{}", yaml::to_yaml(&k))
}

/// The files a one-environment render keeps from the others (and their placements): every
/// file of the old record, still in `out`, outside the environment's folder and GitOps file.
pub fn other_environments(old: &Marker, out: &Path, env: &str, layout: &mut Layout) -> Vec<String> {
    let own_gitops = format!("gitops/{env}.yaml");
    for (key, placement) in &old.placement {
        if !key.starts_with(&format!("{env}/")) {
            layout
                .placement
                .entry(key.clone())
                .or_insert_with(|| placement.clone());
        }
    }
    old.files
        .iter()
        .filter(|p| {
            let top = p.split('/').next().unwrap_or_default();
            top != env && **p != own_gitops && *p != crate::gitops::HEALTH_FILE
        })
        // A file gone from disk since is not kept (nor recorded).
        .filter(|p| out.join(p).is_file())
        .cloned()
        .collect()
}

/// One difference between the planned tree and the folder on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Rendered but not on disk.
    Missing(String),
    /// On disk with other content: (path, unified diff).
    Changed(String, String),
    /// On disk but not rendered: a file sparkc wrote before, or one inside the generated
    /// folders that sparkc did not write.
    Extra(String),
}

/// `--check` of one file: how the file on disk compares with `text`.
pub fn compare(out: &Path, path: &str, text: &str) -> FileState {
    let full = out.join(path);
    let meta = match fs::symlink_metadata(&full) {
        Ok(m) => m,
        Err(_) => return FileState::Missing,
    };
    if !meta.file_type().is_file() || meta.len() > MAX_FILE {
        return FileState::Changed(format!(
            "{path} on disk is a link or a file over 8 MiB, not one sparkc writes\n"
        ));
    }
    match fs::read(&full) {
        Ok(bytes) if bytes == text.as_bytes() => FileState::Same,
        Ok(bytes) => {
            let before = String::from_utf8_lossy(&bytes);
            FileState::Changed(
                similar::TextDiff::from_lines(before.as_ref(), text)
                    .unified_diff()
                    .context_radius(3)
                    .header(&format!("a/{path}"), &format!("b/{path}"))
                    .to_string(),
            )
        }
        Err(_) => FileState::Missing,
    }
}

/// Whether a path (relative to the output folder) lies in a folder sparkc generates.
fn generated_area(path: &str, envs: &BTreeSet<&str>) -> bool {
    let top = path.split('/').next().unwrap_or_default();
    top == "gitops" || envs.contains(top)
}

/// The differences `--check` reports: the jobs' files (as the render compared them), the
/// rest of the tree, the files on disk that the render does not have, and the ownership
/// record.
pub fn check(
    out: &Path,
    layout: &Layout,
    records: &[Record],
    rest: &Rest,
    kept: &[String],
    old: Option<&Marker>,
) -> io::Result<Vec<Change>> {
    let mut changes = Vec::new();
    let mut all: BTreeMap<&str, &FileState> = BTreeMap::new();
    for (i, r) in records.iter().enumerate() {
        all.insert(layout.paths[i].as_str(), &r.state);
    }
    let rest_states: Vec<(&String, FileState)> = rest
        .files
        .iter()
        .map(|(p, t)| (p, compare(out, p, t)))
        .collect();
    for (p, s) in &rest_states {
        all.insert(p.as_str(), s);
    }
    for (path, state) in &all {
        match state {
            FileState::Same | FileState::Written => {}
            FileState::Missing => changes.push(Change::Missing((*path).to_owned())),
            FileState::Changed(d) => changes.push(Change::Changed((*path).to_owned(), d.clone())),
        }
    }
    let envs: BTreeSet<&str> = layout.units.values().map(|u| u.env.as_str()).collect();
    let kept: BTreeSet<&str> = kept.iter().map(String::as_str).collect();
    for path in walk(out)? {
        if path == MARKER || all.contains_key(path.as_str()) || kept.contains(path.as_str()) {
            continue;
        }
        if old.is_some_and(|o| o.files.contains(&path)) || generated_area(&path, &envs) {
            changes.push(Change::Extra(path));
        }
    }
    // The ownership record itself (placement) must match too.
    let mut marker = rest.marker.clone();
    marker.files.extend(kept.iter().map(|p| (*p).to_owned()));
    let text = marker.to_text();
    match compare(out, MARKER, &text) {
        FileState::Same | FileState::Written => {}
        FileState::Changed(d) => changes.push(Change::Changed(MARKER.to_owned(), d)),
        FileState::Missing => changes.push(Change::Changed(
            MARKER.to_owned(),
            similar::TextDiff::from_lines("", text.as_str())
                .unified_diff()
                .header(&format!("a/{MARKER}"), &format!("b/{MARKER}"))
                .to_string(),
        )),
    }
    Ok(changes)
}

/// What a write did.
#[derive(Debug, Default)]
pub struct Written {
    pub files: usize,
    /// Files left as they were because the tree was already up to date.
    pub unchanged: usize,
    pub removed: usize,
    pub kept_foreign: usize,
}

/// A write in progress: the new tree is built in a staging folder beside the output folder
/// (job files as they are rendered), then swapped in with one rename. A run killed at any
/// moment leaves the old tree or the new one. Files sparkc did not write are never deleted;
/// one that is in the way of a rendered file is an error.
pub struct Staging {
    out: PathBuf,
    dir: PathBuf,
    old: Marker,
    foreign: Vec<String>,
    fail_after: Option<usize>,
    written: AtomicUsize,
}

impl Staging {
    /// Starts a write of the files at `planned` (every path the new tree will hold).
    pub fn begin(out: &Path, planned: &BTreeSet<String>) -> io::Result<Staging> {
        recover(out)?;
        let old = Marker::load(out).unwrap_or_default();
        let foreign: Vec<String> = walk(out)?
            .into_iter()
            .filter(|p| p != MARKER && !old.files.contains(p))
            .collect();
        if let Some(clash) = foreign.iter().find(|p| planned.contains(p.as_str())) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!(
                    "{} exists and was not written by sparkc; move it away so sparkc can write its own there",
                    out.join(clash).display()
                ),
            ));
        }
        let dir = staging_name(out, "new");
        fs::create_dir_all(&dir)?;
        let dirs: BTreeSet<&str> = planned
            .iter()
            .filter_map(|p| p.rsplit_once('/').map(|(d, _)| d))
            .collect();
        for d in dirs {
            fs::create_dir_all(dir.join(d))?;
        }
        Ok(Staging {
            out: out.to_path_buf(),
            dir,
            old,
            foreign,
            fail_after: std::env::var("SPARKC_FAIL_AT")
                .ok()
                .and_then(|v| v.strip_prefix("after:").and_then(|n| n.parse().ok())),
            written: AtomicUsize::new(0),
        })
    }

    /// Puts one file into the new tree: left for a link when the file on disk already holds
    /// it (a link, not a write: on a slow disk, creating inodes is most of a re-render),
    /// written otherwise.
    pub fn put(&self, path: &str, text: &str) -> io::Result<FileState> {
        let on_disk = self.old.files.contains(path)
            && fs::read(self.out.join(path)).is_ok_and(|b| b == text.as_bytes());
        if on_disk {
            return Ok(FileState::Same);
        }
        fs::write(self.dir.join(path), text)?;
        let n = self.written.fetch_add(1, Ordering::Relaxed) + 1;
        if self.fail_after == Some(n) {
            std::process::abort();
        }
        Ok(FileState::Written)
    }

    /// Whether the old tree holds sparkc's file at `path` with content of `digest` (the
    /// file is then left for a link, as by [`Staging::put`]).
    pub fn holds(&self, path: &str, digest: &str) -> bool {
        self.old.files.contains(path) && holds(&self.out, path, digest)
    }

    /// Throws the new tree away (the render failed): the old one stays as it was.
    pub fn abandon(self) -> io::Result<()> {
        remove_tree(&self.dir)
    }

    /// Completes the write: the rest of the tree, the links of unchanged files (`same`, and
    /// `kept` from other environments), the files sparkc did not write, the ownership
    /// record, then the swap. When nothing changed, the old tree is left untouched.
    pub fn finish(
        self,
        rest: &Rest,
        states: &[(&str, &FileState)],
        kept: &[String],
    ) -> io::Result<Written> {
        let mut marker = rest.marker.clone();
        marker.files.extend(kept.iter().cloned());
        let mut same: Vec<&str> = kept.iter().map(String::as_str).collect();
        // The units' kustomizations and the GitOps files: thousands at 100,000 jobs, each
        // listing its unit's job files, so they are written on every core.
        let rest_states = {
            use rayon::prelude::*;
            rest.files
                .par_iter()
                .map(|(path, text)| Ok((path.as_str(), self.put(path, text)?)))
                .collect::<io::Result<Vec<_>>>()?
        };
        same.extend(
            rest_states
                .into_iter()
                .filter(|(_, s)| *s == FileState::Same)
                .map(|(p, _)| p),
        );
        same.extend(
            states
                .iter()
                .filter(|(_, s)| **s == FileState::Same)
                .map(|(p, _)| *p),
        );
        let total = marker.files.len();
        let removed = self
            .old
            .files
            .iter()
            .filter(|p| !marker.files.contains(*p))
            .count();
        let marker_text = marker.to_text();
        let marker_same =
            fs::read(self.out.join(MARKER)).is_ok_and(|b| b == marker_text.as_bytes());
        if same.len() == total && removed == 0 && marker_same {
            let kept_foreign = self.foreign.len();
            self.abandon()?;
            return Ok(Written {
                files: 0,
                unchanged: total,
                removed: 0,
                kept_foreign,
            });
        }
        {
            use rayon::prelude::*;
            same.par_iter().try_for_each(|p| {
                let target = self.dir.join(p);
                if let Some(parent) = target.parent() {
                    fs::create_dir_all(parent)?;
                }
                if fs::hard_link(self.out.join(p), &target).is_err() {
                    fs::copy(self.out.join(p), &target)?;
                }
                Ok::<(), io::Error>(())
            })?;
        }
        for p in &self.foreign {
            let target = self.dir.join(p);
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent)?;
            }
            if fs::hard_link(self.out.join(p), &target).is_err() {
                fs::copy(self.out.join(p), &target)?;
            }
        }
        fs::write(self.dir.join(MARKER), marker_text)?;
        if self.out.exists() {
            swap(&self.dir, &self.out)?;
            fail_point("swap");
            // The old tree is now at the staging path.
            remove_tree(&self.dir)?;
        } else {
            if let Some(parent) = self.out.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::rename(&self.dir, &self.out)?;
        }
        Ok(Written {
            files: total,
            unchanged: 0,
            removed,
            kept_foreign: self.foreign.len(),
        })
    }
}

fn walk(out: &Path) -> io::Result<Vec<String>> {
    let mut files = Vec::new();
    if !out.is_dir() {
        return Ok(files);
    }
    for entry in walkdir::WalkDir::new(out)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = entry.map_err(io::Error::other)?;
        if entry.file_type().is_file() || entry.file_type().is_symlink() {
            let rel = entry.path().strip_prefix(out).unwrap_or(entry.path());
            files.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(files)
}

/// A test hook: abort the process at a named point of a write (`SPARKC_FAIL_AT=after:N` after
/// writing N files into the staging folder, `SPARKC_FAIL_AT=swap` right after the swap), to
/// prove that an interrupted write leaves the old tree or the new one.
fn fail_point(point: &str) {
    if let Ok(at) = std::env::var("SPARKC_FAIL_AT")
        && at == point
    {
        std::process::abort();
    }
}

fn staging_name(out: &Path, what: &str) -> PathBuf {
    let name = out
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    out.with_file_name(format!(".{name}.sparkc-{what}"))
}

/// Removes what an interrupted earlier write left beside the output folder.
fn recover(out: &Path) -> io::Result<()> {
    let old = staging_name(out, "old");
    let new = staging_name(out, "new");
    if !out.exists() && old.is_dir() {
        // Killed between the two renames of the portable swap: the old tree comes back.
        fs::rename(&old, out)?;
    }
    for leftover in [old, new] {
        if leftover.exists() {
            fs::remove_dir_all(&leftover)?;
        }
    }
    Ok(())
}

/// Removes a folder and everything in it, files in parallel (a large tree has hundreds of
/// thousands).
fn remove_tree(dir: &Path) -> io::Result<()> {
    use rayon::prelude::*;
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for entry in walkdir::WalkDir::new(dir).contents_first(true) {
        let entry = entry.map_err(io::Error::other)?;
        if entry.file_type().is_dir() {
            dirs.push(entry.into_path());
        } else {
            files.push(entry.into_path());
        }
    }
    files.par_iter().try_for_each(fs::remove_file)?;
    // Contents first: every folder is empty by the time it comes.
    for d in dirs {
        fs::remove_dir(d)?;
    }
    Ok(())
}

/// Exchanges two folders in one step (Linux `renameat2(RENAME_EXCHANGE)`), or with two
/// renames that `recover` can complete elsewhere.
fn swap(new: &Path, out: &Path) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        match renameat_with(CWD, new, CWD, out, RenameFlags::EXCHANGE) {
            Ok(()) => return Ok(()),
            Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {}
            Err(e) => return Err(e.into()),
        }
    }
    let old = staging_name(out, "old");
    fs::rename(out, &old)?;
    fs::rename(new, out)?;
    fs::rename(&old, new)
}
