//! The rendered tree for Argo CD and Flux: layout, shards, GitOps objects, ownership,
//! atomic writes and `--check`.
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
//! into shards (`<group>`, `<group>-2`, ...) of at most [`UNIT_OBJECTS`] objects. Where each
//! job sits is recorded in the ownership file and kept: adding a job never moves another.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::diagnostic::Diagnostic;
use crate::project::yaml;
use crate::render::Manifest;

/// The ownership record, at the root of the output folder.
pub const MARKER: &str = ".sparkc-tree.json";

/// At most this many objects per GitOps unit (kustomize builds 1,000 objects in about 2 s
/// on a 2-core machine, and the time grows with the square of the count).
pub const UNIT_OBJECTS: usize = 600;

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

pub use crate::gitops::Settings;

/// The planned tree: every file's bytes, and the new ownership record.
#[derive(Debug, Default)]
pub struct Tree {
    pub files: BTreeMap<String, String>,
    pub marker: Marker,
    pub diagnostics: Vec<Diagnostic>,
    /// Unit folders (`<env>/<unit>`) with their object counts.
    pub units: BTreeMap<String, usize>,
}

fn dns_label(s: &str) -> bool {
    crate::rules::is_dns1123_label(s)
}

/// Plans the tree of `manifests` (sorted by environment, group, namespace, job), keeping
/// the placement recorded in `old`.
/// The manifests' file texts move into the tree (no copy of a large render).
pub fn plan(manifests: Vec<Manifest>, settings: &Settings, old: Option<&Marker>) -> Tree {
    let mut tree = Tree::default();
    tree.marker.generator = "sparkc".to_owned();
    // env → group → job → its manifests.
    let mut by_group: BTreeMap<(String, String), BTreeMap<String, Vec<Manifest>>> = BTreeMap::new();
    for m in manifests {
        by_group
            .entry((m.env.clone(), m.group.clone()))
            .or_default()
            .entry(m.job.clone())
            .or_default()
            .push(m);
    }
    let mut units_by_env: BTreeMap<String, Vec<crate::gitops::Unit>> = BTreeMap::new();
    for ((env, group), mut jobs) in by_group {
        let (env, group) = (env.as_str(), group.as_str());
        if !dns_label(env) || !dns_label(group) {
            let (what, name) = if dns_label(env) {
                ("job folder", group)
            } else {
                ("environment", env)
            };
            let file = jobs
                .values()
                .next()
                .and_then(|m| m.first())
                .map_or_else(String::new, |m| m.file.clone());
            tree.diagnostics.push(
                Diagnostic::error("tree", file, None)
                    .message(format!("the {what} name `{}` cannot name a folder of the rendered tree", name.escape_debug()))
                    .hint("use lower-case letters, digits and `-` (a DNS label): it also names the GitOps unit"),
            );
            continue;
        }
        // A job's file is named after the job: two jobs of one name (in two namespaces) in
        // one group would write the same file.
        if let Some(clash) = jobs.values().find(|ms| {
            ms.iter()
                .any(|m| ms.first().is_some_and(|f| f.namespace != m.namespace))
        }) {
            let mut namespaces: Vec<&str> = clash.iter().map(|m| m.namespace.as_str()).collect();
            namespaces.dedup();
            let first = &clash[0];
            let other = clash
                .iter()
                .rfind(|m| m.namespace != first.namespace)
                .unwrap_or(first);
            tree.diagnostics.push(
                Diagnostic::error("tree", other.file.clone(), None)
                    .message(format!(
                        "job `{}` is in folder `{group}` twice (namespaces {}; the other is {}), and its file in the rendered tree is `{env}/{group}/{}.yaml`",
                        first.job,
                        namespaces.join(", "),
                        first.file,
                        first.job
                    ))
                    .hint("rename one of them, or move one into another folder of jobs"),
            );
            continue;
        }
        let key = format!("{env}/{group}");
        let previous = old.and_then(|o| o.placement.get(&key));
        let placement: BTreeMap<String, usize> = place(&jobs, previous)
            .into_iter()
            .map(|(j, s)| (j.to_owned(), s))
            .collect();
        let mut units: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
        for (job, shard) in &placement {
            units.entry(*shard).or_default().insert(job.clone());
        }
        for (shard, members) in units {
            let unit = if shard == 1 {
                group.to_owned()
            } else {
                format!("{group}-{shard}")
            };
            let unit_dir = format!("{env}/{unit}");
            let mut count = 0;
            let mut unit_namespaces = BTreeSet::new();
            let mut watched = Vec::new();
            let mut files = Vec::new();
            for job in &members {
                // One file per job: its objects in output order (RBAC, ConfigMaps and
                // Services before the workload), each headed by its source.
                let mut text = String::new();
                for m in jobs.remove(job.as_str()).unwrap_or_default() {
                    unit_namespaces.insert(m.namespace.clone());
                    if crate::gitops::flux_health(&m.api_version, &m.kind).is_some() {
                        watched.push((
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
                    count += 1;
                }
                let file = format!("{job}.yaml");
                tree.files.insert(format!("{unit_dir}/{file}"), text);
                files.push(file);
            }
            tree.files.insert(
                format!("{unit_dir}/kustomization.yaml"),
                kustomization(&files),
            );
            tree.units.insert(unit_dir.clone(), count);
            units_by_env
                .entry((*env).to_owned())
                .or_default()
                .push(crate::gitops::Unit {
                    name: unit,
                    namespaces: unit_namespaces,
                    watched,
                });
        }
        tree.marker.placement.insert(key, placement);
    }
    for (env, units) in &units_by_env {
        if let Some(text) = crate::gitops::objects(env, units, settings, &mut tree.diagnostics) {
            tree.files.insert(format!("gitops/{env}.yaml"), text);
        }
    }
    if !units_by_env.is_empty()
        && let Some(text) = crate::gitops::health_file(settings)
    {
        tree.files
            .insert(crate::gitops::HEALTH_FILE.to_owned(), text);
    }
    tree.marker.files = tree.files.keys().cloned().collect();
    tree
}

/// Places a group's jobs into shards: a job keeps the shard it had; a new job goes to the
/// first shard with room, or a new one.
fn place<'a>(
    jobs: &'a BTreeMap<String, Vec<Manifest>>,
    previous: Option<&BTreeMap<String, usize>>,
) -> BTreeMap<&'a str, usize> {
    let mut placement = BTreeMap::new();
    let mut load: BTreeMap<usize, usize> = BTreeMap::new();
    let mut new = Vec::new();
    for (job, objects) in jobs {
        match previous.and_then(|p| p.get(job)) {
            Some(&shard) if shard >= 1 => {
                placement.insert(job.as_str(), shard);
                *load.entry(shard).or_default() += objects.len();
            }
            _ => new.push((job.as_str(), objects.len())),
        }
    }
    for (job, n) in new {
        let mut shard = 1;
        while load.get(&shard).is_some_and(|l| l + n > UNIT_OBJECTS) {
            shard += 1;
        }
        placement.insert(job, shard);
        *load.entry(shard).or_default() += n;
    }
    placement
}

fn kustomization(resources: &[String]) -> String {
    let k = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources,
    });
    format!("# Generated by sparkc.\n{}", yaml::to_yaml(&k))
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

/// Whether a path (relative to the output folder) lies in a folder sparkc generates.
fn generated_area(path: &str, tree: &Tree) -> bool {
    let top = path.split('/').next().unwrap_or_default();
    top == "gitops" || tree.units.keys().any(|u| u.split('/').next() == Some(top))
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

/// The files of a folder, read at one moment: path → contents (`None`: a link, or a file
/// too large to be one of sparkc's).
#[derive(Debug, Default)]
pub struct Snapshot {
    files: BTreeMap<String, Option<Vec<u8>>>,
    /// Each regular file's identity and version when it was read.
    stamps: BTreeMap<String, Stamp>,
}

/// A file's device, inode, size and modification time: if all four are the same later,
/// the file was not replaced or rewritten in between.
type Stamp = (u64, u64, u64, i64, i64);

fn stamp(meta: &fs::Metadata) -> Option<Stamp> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((
            meta.dev(),
            meta.ino(),
            meta.size(),
            meta.mtime(),
            meta.mtime_nsec(),
        ))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

impl Snapshot {
    /// Whether `path` under `out` still holds exactly `text`, as it did when the snapshot
    /// read it (same bytes then, same file and version now).
    fn holds(&self, out: &Path, path: &str, text: &str) -> bool {
        let (Some(Some(bytes)), Some(then)) = (self.files.get(path), self.stamps.get(path)) else {
            return false;
        };
        bytes == text.as_bytes()
            && fs::symlink_metadata(out.join(path))
                .ok()
                .and_then(|m| stamp(&m))
                .as_ref()
                == Some(then)
    }
}

/// The largest file a snapshot reads.
const SNAPSHOT_MAX_FILE: u64 = 8 * 1024 * 1024;

/// Reads every file under `out` (nothing when it does not exist). `render` and
/// `render --check` take this on their own thread while the specs are validated and
/// rendered, so that reading a large tree costs little more than rendering it.
pub fn snapshot(out: &Path) -> io::Result<Snapshot> {
    let mut snap = Snapshot::default();
    for path in walk(out)? {
        let full = out.join(&path);
        let meta = fs::symlink_metadata(&full)?;
        // sparkc writes small files: a link, or a file far larger than any rendered object,
        // is not read (it differs either way).
        let bytes = if meta.file_type().is_file() && meta.len() <= SNAPSHOT_MAX_FILE {
            if let Some(s) = stamp(&meta) {
                snap.stamps.insert(path.clone(), s);
            }
            Some(fs::read(&full)?)
        } else {
            None
        };
        snap.files.insert(path, bytes);
    }
    Ok(snap)
}

/// Compares the planned tree with the folder on disk, as `snapshot` read it, and `old`, the
/// ownership record found there (writes nothing).
pub fn check(tree: &Tree, old: Option<&Marker>, disk: &Snapshot) -> Vec<Change> {
    use rayon::prelude::*;
    let files: Vec<(&String, &String)> = tree.files.iter().collect();
    let found: Vec<Option<Change>> = files
        .par_iter()
        .map(|(path, text)| match disk.files.get(path.as_str()) {
            Some(Some(bytes)) if bytes == text.as_bytes() => None,
            Some(None) => Some(Change::Changed(
                (*path).clone(),
                format!("{path} on disk is a link or a file over 8 MiB, not one sparkc writes\n"),
            )),
            Some(Some(bytes)) => {
                let before = String::from_utf8_lossy(bytes);
                let diff = similar::TextDiff::from_lines(before.as_ref(), text.as_str())
                    .unified_diff()
                    .context_radius(3)
                    .header(&format!("a/{path}"), &format!("b/{path}"))
                    .to_string();
                Some(Change::Changed((*path).clone(), diff))
            }
            None => Some(Change::Missing((*path).clone())),
        })
        .collect();
    let mut changes: Vec<Change> = found.into_iter().flatten().collect();
    for path in disk.files.keys().cloned() {
        if path == MARKER || tree.files.contains_key(&path) {
            continue;
        }
        if old.is_some_and(|o| o.files.contains(&path)) || generated_area(&path, tree) {
            changes.push(Change::Extra(path));
        }
    }
    // The ownership record itself (placement) must match too.
    let marker_text = tree.marker.to_text();
    let marker_on_disk = disk
        .files
        .get(MARKER)
        .and_then(Option::as_deref)
        .unwrap_or_default();
    if marker_on_disk != marker_text.as_bytes() {
        let before = String::from_utf8_lossy(marker_on_disk).into_owned();
        let diff = similar::TextDiff::from_lines(&before, &marker_text)
            .unified_diff()
            .header(&format!("a/{MARKER}"), &format!("b/{MARKER}"))
            .to_string();
        changes.push(Change::Changed(MARKER.to_owned(), diff));
    }
    changes
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

/// Writes the tree into `out` atomically: the new tree is built beside it (with the files
/// sparkc did not write carried over), then swapped in with one rename. A run killed at any
/// moment leaves the old tree or the new one. Files sparkc did not write are never deleted;
/// one that is in the way of a rendered file is an error.
/// `previous`: the tree as it was read while rendering; files it shows unchanged are
/// hard-linked into the new tree instead of written.
pub fn write(out: &Path, tree: &Tree, previous: Option<&Snapshot>) -> io::Result<Written> {
    recover(out)?;
    let old = Marker::load(out).unwrap_or_default();
    let on_disk = walk(out)?;
    let foreign: Vec<&String> = on_disk
        .iter()
        .filter(|p| *p != MARKER && !old.files.contains(*p))
        .collect();
    if let Some(clash) = foreign.iter().find(|p| tree.files.contains_key(p.as_str())) {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} exists and was not written by sparkc; move it away so sparkc can write its own there",
                out.join(clash).display()
            ),
        ));
    }
    // Nothing to change (every file already holds its text, nothing to remove): the tree
    // is left as it is, untouched.
    if let Some(p) = previous {
        use rayon::prelude::*;
        let marker_text = tree.marker.to_text();
        let up_to_date = old.files.iter().all(|f| tree.files.contains_key(f))
            && p.holds(out, MARKER, &marker_text)
            && tree
                .files
                .par_iter()
                .all(|(path, text)| p.holds(out, path, text));
        if up_to_date {
            return Ok(Written {
                files: 0,
                unchanged: tree.files.len(),
                removed: 0,
                kept_foreign: foreign.len(),
            });
        }
    }
    let staging = staging_name(out, "new");
    fs::create_dir_all(&staging)?;
    let dirs: BTreeSet<&str> = tree
        .files
        .keys()
        .filter_map(|p| p.rsplit_once('/').map(|(d, _)| d))
        .collect();
    {
        // Parents first, then each depth's folders in parallel.
        use rayon::prelude::*;
        let mut by_depth: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
        for d in &dirs {
            let ancestors = d.match_indices('/').map(|(i, _)| &d[..i]);
            for (depth, a) in ancestors.chain([*d]).enumerate() {
                by_depth.entry(depth).or_default().push(a);
            }
        }
        for level in by_depth.values_mut() {
            level.sort_unstable();
            level.dedup();
            level
                .par_iter()
                .try_for_each(|d| match fs::create_dir(staging.join(d)) {
                    Err(e) if e.kind() != io::ErrorKind::AlreadyExists => Err(e),
                    _ => Ok(()),
                })?;
        }
    }
    let fail_after: Option<usize> = std::env::var("SPARKC_FAIL_AT")
        .ok()
        .and_then(|v| v.strip_prefix("after:").and_then(|n| n.parse().ok()));
    {
        use rayon::prelude::*;
        let files: Vec<(&String, &String)> = tree.files.iter().collect();
        let written = std::sync::atomic::AtomicUsize::new(0);
        files.par_iter().try_for_each(|(path, text)| {
            // A file that already holds its text is linked into the new tree, not written
            // again: on a slow disk, creating and deleting tens of thousands of inodes is
            // most of a re-render.
            let linked = previous.is_some_and(|p| p.holds(out, path, text))
                && fs::hard_link(out.join(path), staging.join(path)).is_ok();
            if !linked {
                fs::write(staging.join(path), text)?;
            }
            let n = written.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            if fail_after == Some(n) {
                std::process::abort();
            }
            Ok::<(), io::Error>(())
        })?;
    }
    for p in &foreign {
        let target = staging.join(p);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        if fs::hard_link(out.join(p), &target).is_err() {
            fs::copy(out.join(p), &target)?;
        }
    }
    fs::write(staging.join(MARKER), tree.marker.to_text())?;
    let removed = old
        .files
        .iter()
        .filter(|p| !tree.files.contains_key(*p))
        .count();
    if out.exists() {
        swap(&staging, out)?;
        fail_point("swap");
        // The old tree is now at the staging path.
        remove_tree(&staging)?;
    } else {
        if let Some(parent) = out.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::rename(&staging, out)?;
    }
    Ok(Written {
        files: tree.files.len(),
        unchanged: 0,
        removed,
        kept_foreign: foreign.len(),
    })
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

/// Keeps the files and placements of the environments a one-environment render leaves out.
pub fn keep_other_environments(
    tree: &mut Tree,
    old: &Marker,
    out: &Path,
    env: &str,
) -> io::Result<()> {
    let own_gitops = format!("gitops/{env}.yaml");
    for path in &old.files {
        let top = path.split('/').next().unwrap_or_default();
        if top == env || *path == own_gitops || tree.files.contains_key(path) {
            continue;
        }
        if let Ok(text) = fs::read_to_string(out.join(path)) {
            tree.files.insert(path.clone(), text);
        }
    }
    for (key, placement) in &old.placement {
        if !key.starts_with(&format!("{env}/")) {
            tree.marker
                .placement
                .entry(key.clone())
                .or_insert_with(|| placement.clone());
        }
    }
    tree.marker.files = tree.files.keys().cloned().collect();
    Ok(())
}
