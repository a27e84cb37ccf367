//! Loading a project: the project file, the job folders, every YAML document in them.
//!
//! `load` reads `sparkc.yaml` (optional), walks the job folders with walkdir (sorted, only
//! `.yaml`/`.yml`, hidden entries skipped, symlinks not followed), reads each file with a
//! size limit and parses every document. Problems with the inputs become diagnostics;
//! only what stops the run altogether (a job folder that does not exist) is an `Error`.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read as _;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use serde_json::Value as Json;

use crate::diagnostic::{Diagnostic, Sources};
use crate::error::Error;
use crate::project::schema::{self, Kind};
use crate::project::spec::{API_VERSION, Project};
use crate::project::yaml::{self, MAX_FILE_BYTES, Node, Pos, Seg};

/// Name of the project file.
pub const PROJECT_FILE: &str = "sparkc.yaml";

/// The environment used when the project defines none.
pub const DEFAULT_ENV: &str = "default";

/// A parsed YAML document from a job file.
#[derive(Debug, Clone)]
pub struct Document {
    /// Display path of the file (relative to the project root when inside it).
    pub file: String,
    /// Path of the file relative to its job root (for groups).
    pub rel: PathBuf,
    /// Index of the document in its file.
    pub index: usize,
    pub node: Node,
}

/// A job file found by discovery.
#[derive(Debug, Clone)]
pub struct JobFile {
    pub path: PathBuf,
    /// Path relative to its job root (its first folder is the job's group).
    pub rel: PathBuf,
    /// Display path (relative to the project root when inside it).
    pub display: String,
}

/// A job file read and parsed.
#[derive(Debug)]
pub struct ParsedFile {
    pub display: String,
    /// The text, for quoting in diagnostics (absent when it could not be read as text).
    pub text: Option<Arc<str>>,
    pub documents: Vec<Document>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The loaded project file.
#[derive(Debug, Clone)]
pub struct ProjectFile {
    pub file: String,
    pub node: Node,
    pub project: Project,
}

/// The project: its file and the job files discovery found (read later, in parallel,
/// by the stage that needs them, so that no more than a file's worth of YAML tree is
/// alive per worker).
#[derive(Debug, Default)]
pub struct Workspace {
    pub root: PathBuf,
    pub project: Option<ProjectFile>,
    pub files: Vec<JobFile>,
    /// Text of the project file, for quoting in diagnostics.
    pub sources: Sources,
    /// Problems with the project file.
    pub diagnostics: Vec<Diagnostic>,
}

impl Workspace {
    /// Environment names, sorted (the implicit `default` without a project file or
    /// without environments).
    pub fn environments(&self) -> Vec<String> {
        self.project
            .as_ref()
            .and_then(|p| p.project.environments.as_ref())
            .filter(|e| !e.is_empty())
            .map_or_else(
                || vec![DEFAULT_ENV.to_owned()],
                |e| e.keys().cloned().collect(),
            )
    }
}

/// Reads a file as UTF-8 text with the size limit. Problems become a diagnostic.
pub fn read_text(path: &Path, display: &str) -> Result<Result<String, Diagnostic>, Error> {
    let file = fs::File::open(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    // Sized from the file's length, so that a small file is read in one call (a `Take`
    // reader alone would probe with growing small reads).
    let len = file.metadata().map_or(0, |m| m.len()).min(MAX_FILE_BYTES);
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0) + 1);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        let size = fs::metadata(path).map_or(bytes.len() as u64, |m| m.len());
        return Ok(Err(Diagnostic::error(
            "file-size",
            display,
            Some(Pos::new(1, 1)),
        )
        .message(format!(
            "the file is {} bytes, more than the {} MiB a spec file may have",
            size,
            MAX_FILE_BYTES / (1024 * 1024)
        ))
        .hint(
            "split it into several files or remove what does not belong in a job spec",
        )));
    }
    match String::from_utf8(bytes) {
        Ok(text) => {
            if let Some(at) = text.find('\0') {
                return Ok(Err(binary(display, &text[..at])));
            }
            Ok(Ok(text))
        }
        Err(e) => {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let before = String::from_utf8_lossy(valid);
            Ok(Err(binary(display, &before)))
        }
    }
}

fn binary(display: &str, before: &str) -> Diagnostic {
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Diagnostic::error(
        "encoding",
        display,
        Some(Pos::new(to_u32(line), to_u32(column))),
    )
    .message("the file is not UTF-8 text (binary data)")
    .hint("job specs are YAML text files; remove or rename this file")
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Display path of `path`: relative to `root` when inside it, with `/` separators.
pub fn display_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let s = rel
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    if s.is_empty() { ".".to_owned() } else { s }
}

/// Loads the project rooted at `root`. `paths` (from the command line) replace the
/// project's job folders when given.
pub fn load(root: &Path, paths: &[PathBuf]) -> Result<Workspace, Error> {
    let mut ws = Workspace {
        root: root.to_owned(),
        ..Workspace::default()
    };
    let project_path = root.join(PROJECT_FILE);
    if project_path.is_file() {
        load_project(&mut ws, &project_path)?;
    }
    let roots = job_roots(&ws, root, paths)?;
    ws.files = discover(root, &roots)?
        .into_iter()
        .map(|(path, rel)| JobFile {
            display: display_path(root, &path),
            path,
            rel,
        })
        .collect();
    Ok(ws)
}

fn load_project(ws: &mut Workspace, path: &Path) -> Result<(), Error> {
    let display = display_path(&ws.root, path);
    let text = match read_text(path, &display)? {
        Ok(t) => t,
        Err(d) => {
            ws.diagnostics.push(d);
            return Ok(());
        }
    };
    ws.sources.insert(display.clone(), Arc::from(text.as_str()));
    let docs = match yaml::parse_documents(&text) {
        Ok(d) => d,
        Err(e) => {
            ws.diagnostics.push(syntax_diag(&display, e));
            return Ok(());
        }
    };
    let Some(node) = docs.into_iter().next() else {
        ws.diagnostics.push(
            Diagnostic::error("project", &display, Some(Pos::new(1, 1)))
                .message("the project file is empty")
                .hint("run `sparkc init` to write a starter project, or delete the file"),
        );
        return Ok(());
    };
    let json = node.to_json();
    if !check_header(&display, &node, &json, "Project", &mut ws.diagnostics) {
        return Ok(());
    }
    let issues = schema::check(Kind::Project, &json);
    if !issues.is_empty() {
        ws.diagnostics
            .extend(issues.into_iter().map(|i| issue_diag(&display, &node, i)));
        return Ok(());
    }
    match serde_json::from_value::<Project>(json) {
        Ok(project) => {
            ws.diagnostics
                .extend(crate::gitops::check_project(&display, &node, &project));
            ws.project = Some(ProjectFile {
                file: display,
                node,
                project,
            });
        }
        Err(e) => ws
            .diagnostics
            .push(Diagnostic::error("schema", &display, Some(node.pos)).message(e.to_string())),
    }
    Ok(())
}

/// Checks `apiVersion` and `kind` of a document. Returns whether it is the expected kind.
pub fn check_header(
    file: &str,
    node: &Node,
    json: &Json,
    expected: &str,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let Json::Object(obj) = json else {
        diags.push(
            Diagnostic::error("document", file, Some(node.pos))
                .message(format!(
                    "expected a {expected} mapping, found {}",
                    yaml::describe_json(json)
                ))
                .hint(format!(
                    "a {expected} document starts with `apiVersion: {API_VERSION}` and `kind: {expected}`"
                )),
        );
        return false;
    };
    let mut ok = true;
    match obj.get("kind") {
        None => {
            diags.push(
                Diagnostic::error("document", file, Some(node.pos))
                    .path("kind")
                    .message("missing `kind`")
                    .hint(format!(
                        "add `kind: {expected}` (and `apiVersion: {API_VERSION}`)"
                    )),
            );
            ok = false;
        }
        Some(Json::String(k)) if k == expected => {}
        Some(other) => {
            let pos = node.get("kind").map(|n| n.pos);
            diags.push(
                Diagnostic::error("document", file, pos)
                    .path("kind")
                    .message(format!("expected `kind: {expected}`, found {}", yaml::describe_json(other)))
                    .hint(format!(
                        "every YAML document in a job folder must be a {expected}; move other files out of it"
                    )),
            );
            ok = false;
        }
    }
    match obj.get("apiVersion") {
        Some(Json::String(v)) if v == API_VERSION => {}
        None => {
            diags.push(
                Diagnostic::error("document", file, Some(node.pos))
                    .path("apiVersion")
                    .message("missing `apiVersion`")
                    .hint(format!("add `apiVersion: {API_VERSION}`")),
            );
            ok = false;
        }
        Some(other) => {
            let pos = node.get("apiVersion").map(|n| n.pos);
            diags.push(
                Diagnostic::error("document", file, pos)
                    .path("apiVersion")
                    .message(format!(
                        "unsupported `apiVersion: {}`",
                        other
                            .as_str()
                            .map_or_else(|| other.to_string(), str::to_owned)
                    ))
                    .hint(format!(
                        "this version of sparkc reads `apiVersion: {API_VERSION}`"
                    )),
            );
            ok = false;
        }
    }
    ok
}

/// Turns a schema issue into a diagnostic located in `node`.
pub fn issue_diag(file: &str, node: &Node, issue: schema::SchemaIssue) -> Diagnostic {
    let pos = match &issue.key {
        Some(key) => node.key_pos(&issue.path[..issue.path.len() - 1], key),
        None => Some(node.pos_of(&issue.path).0),
    };
    let mut d = Diagnostic::error("schema", file, pos)
        .path(yaml::path_string(&issue.path))
        .message(issue.message);
    d.hint = issue.hint;
    d
}

/// Turns a YAML syntax error into a diagnostic.
pub fn syntax_diag(file: &str, e: yaml::SyntaxError) -> Diagnostic {
    let hint = if e.message.starts_with("duplicate key") {
        "remove one of the two entries (YAML keeps only one; sparkc refuses to guess which)"
    } else if e.message.contains("billion laughs") {
        "write the values out, or use fewer aliases"
    } else if e.message.contains("tabs") {
        "indent with spaces only"
    } else {
        "fix the YAML syntax; an editor with the sparkc schema (see `sparkc schema`) shows it as you type"
    };
    Diagnostic::error("yaml", file, Some(e.pos))
        .message(format!("invalid YAML: {}", e.message))
        .hint(hint)
}

/// A folder (or a single file) holding job specs, with how it was named.
#[derive(Debug, Clone)]
struct JobRoot {
    path: PathBuf,
    glob: Option<globset::GlobMatcher>,
}

fn job_roots(ws: &Workspace, root: &Path, paths: &[PathBuf]) -> Result<Vec<JobRoot>, Error> {
    if !paths.is_empty() {
        return paths
            .iter()
            .map(|p| {
                let path = if p.is_absolute() {
                    p.clone()
                } else {
                    root.join(p)
                };
                if path.exists() {
                    Ok(JobRoot { path, glob: None })
                } else {
                    Err(Error::Missing { path: p.clone() })
                }
            })
            .collect();
    }
    let configured = ws.project.as_ref().and_then(|p| p.project.jobs.clone());
    let explicit = configured.is_some();
    let entries = configured.unwrap_or_else(|| vec!["jobs".to_owned()]);
    let mut roots = Vec::new();
    for entry in entries {
        if entry.contains(['*', '?', '[', '{']) {
            let glob = globset::Glob::new(&entry)
                .map_err(|e| Error::Usage(format!("invalid glob `{entry}` in `jobs`: {e}")))?;
            let base: PathBuf = Path::new(&entry)
                .components()
                .take_while(|c| {
                    !c.as_os_str()
                        .to_string_lossy()
                        .contains(['*', '?', '[', '{'])
                })
                .collect();
            roots.push(JobRoot {
                path: root.join(base),
                glob: Some(glob.compile_matcher()),
            });
        } else {
            let path = root.join(&entry);
            if !path.exists() {
                if explicit {
                    return Err(Error::Missing {
                        path: PathBuf::from(entry),
                    });
                }
                let hint = if ws.project.is_some() {
                    "the project has no `jobs/` folder; create it or list the job folders under `jobs:` in sparkc.yaml"
                } else {
                    "no sparkc.yaml and no jobs/ folder here; run `sparkc init`, pass the spec paths, or use `-C DIR`"
                };
                return Err(Error::NoJobs {
                    hint: hint.to_owned(),
                });
            }
            roots.push(JobRoot { path, glob: None });
        }
    }
    Ok(roots)
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

/// Every YAML file under the roots, sorted, each with its path relative to its root.
fn discover(project_root: &Path, roots: &[JobRoot]) -> Result<Vec<(PathBuf, PathBuf)>, Error> {
    let mut found: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
    for r in roots {
        if r.path.is_file() {
            let rel = PathBuf::from(r.path.file_name().unwrap_or_default());
            found.entry(r.path.clone()).or_insert(rel);
            continue;
        }
        if !r.path.exists() {
            continue;
        }
        let walker = walkdir::WalkDir::new(&r.path)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        for entry in walker {
            let entry = entry.map_err(|e| Error::Walk {
                path: r.path.clone(),
                message: e.to_string(),
            })?;
            let path = entry.path();
            if !entry.file_type().is_file() || !is_yaml(path) {
                continue;
            }
            if let Some(glob) = &r.glob {
                let rel_to_project = path.strip_prefix(project_root).unwrap_or(path);
                if !glob.is_match(rel_to_project) {
                    continue;
                }
            }
            let rel = path.strip_prefix(&r.path).unwrap_or(path).to_owned();
            found.entry(path.to_owned()).or_insert(rel);
        }
    }
    Ok(found.into_iter().collect())
}

/// Reads and parses one job file.
pub fn parse_file(file: &JobFile) -> Result<ParsedFile, Error> {
    Ok(match read_text(&file.path, &file.display)? {
        Ok(text) => parse_text(file, text),
        Err(d) => ParsedFile {
            display: file.display.clone(),
            text: None,
            documents: Vec::new(),
            diagnostics: vec![d],
        },
    })
}

/// Parses a job file's text, read by [`read_text`].
pub fn parse_text(file: &JobFile, text: String) -> ParsedFile {
    let display = file.display.clone();
    let rel = &file.rel;
    let mut diags = Vec::new();
    let shared: Arc<str> = Arc::from(text.as_str());
    let nodes = match yaml::parse_documents(&text) {
        Ok(n) => n,
        Err(e) => {
            diags.push(syntax_diag(&display, e));
            return ParsedFile {
                display,
                text: Some(shared),
                documents: Vec::new(),
                diagnostics: diags,
            };
        }
    };
    if nodes.iter().all(|n| n.value == yaml::Value::Null) {
        diags.push(
            Diagnostic::error("document", &display, Some(Pos::new(1, 1)))
                .message("the file holds no job spec (it is empty)")
                .hint("add a SparkJob document, or delete the file"),
        );
        return ParsedFile {
            display,
            text: Some(shared),
            documents: Vec::new(),
            diagnostics: diags,
        };
    }
    let mut docs = Vec::new();
    for (index, node) in nodes.into_iter().enumerate() {
        if node.value == yaml::Value::Null {
            continue; // an empty document between `---` separators
        }
        docs.push(Document {
            file: display.clone(),
            rel: rel.clone(),
            index,
            node,
        });
    }
    ParsedFile {
        display,
        text: Some(shared),
        documents: docs,
        diagnostics: diags,
    }
}

/// Path segments from a list of keys.
pub fn keys(path: &[&str]) -> Vec<Seg> {
    path.iter().map(|k| Seg::Key((*k).to_owned())).collect()
}
