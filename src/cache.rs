//! The render cache: what the last render to the tree learnt of each job file, so that a
//! file that did not change is neither parsed, checked nor rendered again.
//!
//! It lives in `.sparkc-cache/` at the project root, which holds its own `.gitignore` (Git
//! never sees it). One record per job file: the digest of its text, and per job the
//! reference validation keeps (name, environment, footprint...), the small tree record and
//! the digest of the job's file in the tree. A file is reused only when all of these hold:
//! - the same sparkc binary (version, size and time of the executable), the same project
//!   file, the same template overrides and the same environments were used (the record's
//!   context); any other outcome throws the whole cache away;
//! - its text has the digest recorded (its warnings are kept with it and shown again;
//!   a render with errors writes no cache);
//! - every one of its job files in the tree has the recorded digest (else the job is
//!   rendered again, so `--check` can show the difference and render can write it).
//!
//! Everything else (duplicates across files, the layout, budgets, kustomizations, GitOps
//! objects) is computed again from the references on every run. `--no-cache` (or
//! `SPARKC_NO_CACHE=1`) ignores the cache and does not write it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::diagnostic::{Diagnostic, Severity};
use crate::project::validate::{JobRef, Reused};
use crate::project::workspace::Workspace;
use crate::project::yaml::Pos;

/// The cache folder, at the project root.
pub const DIR: &str = ".sparkc-cache";
const FILE: &str = "render.json";
/// Bumped when the record's shape or meaning changes.
const FORMAT: &str = "sparkc render cache 1";

/// What the cache keeps of one job in one environment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CachedJob {
    pub job: JobRef,
    pub objects: usize,
    pub namespaces: Vec<String>,
    pub watched: Vec<(String, String, String, String)>,
    /// Digest of the job's file in the tree.
    pub output: String,
}

/// What the cache keeps of one job file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    /// Digest of the file's text.
    pub digest: String,
    pub documents: usize,
    pub jobs: Vec<CachedJob>,
    /// The file's own findings (warnings only: a render with errors writes no cache).
    pub findings: Vec<Finding>,
}

/// A diagnostic as the cache keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    severity: Severity,
    code: String,
    file: String,
    pos: Option<Pos>,
    path: String,
    message: String,
    hint: Option<String>,
}

impl From<&Diagnostic> for Finding {
    fn from(d: &Diagnostic) -> Self {
        Finding {
            severity: d.severity,
            code: d.code.to_owned(),
            file: d.file.clone(),
            pos: d.pos,
            path: d.path.clone(),
            message: d.message.clone(),
            hint: d.hint.clone(),
        }
    }
}

impl Finding {
    fn diagnostic(&self) -> Diagnostic {
        Diagnostic {
            severity: self.severity,
            code: intern(&self.code),
            file: self.file.clone(),
            pos: self.pos,
            path: self.path.clone(),
            message: self.message.clone(),
            hint: self.hint.clone(),
        }
    }
}

/// A diagnostic code read from the cache, as the `&'static str` codes are: each distinct
/// code is leaked once (there are a few dozen).
fn intern(code: &str) -> &'static str {
    static CODES: std::sync::Mutex<BTreeSet<&'static str>> = std::sync::Mutex::new(BTreeSet::new());
    let mut codes = CODES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(c) = codes.get(code) {
        return c;
    }
    let leaked: &'static str = Box::leak(code.to_owned().into_boxed_str());
    codes.insert(leaked);
    leaked
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    context: String,
    files: BTreeMap<String, Entry>,
}

/// The cache of one run: the records that are valid for it.
#[derive(Debug)]
pub struct Cache {
    path: PathBuf,
    context: String,
    files: HashMap<String, Entry>,
}

/// The hex SHA-256 of some bytes.
pub fn digest(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in d {
        use std::fmt::Write;
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Whether caching is off for this run (`SPARKC_NO_CACHE` set to anything but `0`).
pub fn disabled_by_env() -> bool {
    std::env::var_os("SPARKC_NO_CACHE").is_some_and(|v| !v.is_empty() && v != "0")
}

/// What every record of the cache depends on besides the job file itself.
fn context(ws: &Workspace, env: Option<&str>) -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let meta = fs::metadata(&exe).ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    let mut h = Sha256::new();
    let mut part = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    part(FORMAT.as_bytes());
    part(env!("CARGO_PKG_VERSION").as_bytes());
    part(format!("{} {modified}", meta.len()).as_bytes());
    part(env.unwrap_or("\u{0}all").as_bytes());
    part(ws.root.to_string_lossy().as_bytes());
    if let Some(p) = &ws.project {
        part(p.file.as_bytes());
        part(ws.sources.get(&p.file).map_or(&b""[..], |t| t.as_bytes()));
        if let Some(dir) = &p.project.templates {
            // The template overrides, by name and content.
            for entry in walkdir::WalkDir::new(ws.root.join(dir)).sort_by_file_name() {
                let entry = entry.ok()?;
                part(entry.path().to_string_lossy().as_bytes());
                if entry.file_type().is_file() {
                    part(&fs::read(entry.path()).ok()?);
                }
            }
        }
    }
    for f in &ws.files {
        // The job roots and groups a file is read under are part of its jobs.
        part(f.display.as_bytes());
        part(f.rel.to_string_lossy().as_bytes());
    }
    Some(digest(&h.finalize()))
}

impl Cache {
    /// The cache of a project for a run over `env` (all environments when `None`): the
    /// records on disk when their context is this run's, else none. `None` when the run
    /// cannot have a cache (the executable cannot be identified).
    pub fn load(ws: &Workspace, env: Option<&str>) -> Option<Cache> {
        let context = context(ws, env)?;
        let path = ws.root.join(DIR).join(FILE);
        let files = fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Stored>(&b).ok())
            .filter(|s| s.context == context)
            .map(|s| s.files.into_iter().collect())
            .unwrap_or_default();
        Some(Cache {
            path,
            context,
            files,
        })
    }

    /// The record of a job file whose text is `text`, if it is still valid.
    pub fn entry(&self, display: &str, text: &str) -> Option<&Entry> {
        self.lookup(display, &digest(text.as_bytes()))
    }

    /// The record of a job file whose text has `digest`, if it is still valid.
    pub fn lookup(&self, display: &str, digest: &str) -> Option<&Entry> {
        self.files.get(display).filter(|e| e.digest == digest)
    }

    /// What validation needs of a file, when its record is valid.
    pub fn reused(&self, display: &str, text: &str) -> Option<Reused> {
        let e = self.entry(display, text)?;
        Some(Reused {
            documents: e.documents,
            refs: e.jobs.iter().map(|j| j.job.clone()).collect(),
            diagnostics: e.findings.iter().map(Finding::diagnostic).collect(),
        })
    }

    /// Replaces the records with this run's and writes them (atomically; a cache that
    /// cannot be written is no error: the next run does the work again).
    pub fn store(self, files: BTreeMap<String, Entry>) {
        let stored = Stored {
            context: self.context,
            files,
        };
        let _ = write(&self.path, &stored);
    }
}

/// Writes the records as JSON into a temporary file that then replaces the cache. The
/// files' records are serialized on every core, a slice of them at a time (at 100,000 jobs
/// the cache is about a hundred megabytes of JSON, a quarter to half a second on one core);
/// the text is the one serde writes for [`Stored`], held whole while it is written.
fn write(path: &Path, stored: &Stored) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        fs::write(&ignore, "# sparkc's render cache: never committed.\n*\n")?;
    }
    let tmp = tempfile::NamedTempFile::new_in(dir)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, tmp);
    for chunk in json_chunks(stored) {
        out.write_all(&chunk?)?;
    }
    let tmp = out
        .into_inner()
        .map_err(std::io::IntoInnerError::into_error)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The JSON text of `stored`, in pieces to be written one after the other.
fn json_chunks(stored: &Stored) -> Vec<serde_json::Result<Vec<u8>>> {
    use rayon::prelude::*;
    const SLICE: usize = 512;
    let files: Vec<(&String, &Entry)> = stored.files.iter().collect();
    let head = (|| {
        let mut b = b"{\"context\":".to_vec();
        serde_json::to_writer(&mut b, &stored.context)?;
        b.extend_from_slice(b",\"files\":{");
        Ok(b)
    })();
    let body = files.par_chunks(SLICE).enumerate().map(|(n, slice)| {
        let mut b = Vec::with_capacity(slice.len() * 1024);
        for (i, (name, entry)) in slice.iter().enumerate() {
            if n > 0 || i > 0 {
                b.push(b',');
            }
            serde_json::to_writer(&mut b, name)?;
            b.push(b':');
            serde_json::to_writer(&mut b, entry)?;
        }
        Ok(b)
    });
    let mut chunks = vec![head];
    chunks.par_extend(body);
    chunks.push(Ok(b"}}".to_vec()));
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_records_are_written_as_serde_writes_them() {
        let entry = |i: usize| Entry {
            digest: format!("d{i}"),
            documents: i % 3,
            jobs: Vec::new(),
            findings: Vec::new(),
        };
        for n in [0, 1, 511, 512, 513, 1500] {
            let stored = Stored {
                context: "ctx \"quoted\"".to_owned(),
                files: (0..n)
                    .map(|i| (format!("jobs/{i}.yaml"), entry(i)))
                    .collect(),
            };
            let text: Vec<u8> = json_chunks(&stored)
                .into_iter()
                .flat_map(|c| c.unwrap())
                .collect();
            assert_eq!(text, serde_json::to_vec(&stored).unwrap(), "{n} files");
        }
    }

    #[test]
    fn digest_is_hex_sha256() {
        assert_eq!(
            digest(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
