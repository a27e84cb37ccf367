//! Rendering: job → plan → templates → YAML text → parsed back → schema-checked object.
//!
//! Templates are minijinja files embedded in the binary (`templates/`), replaceable per
//! project (`templates:` in `sparkc.yaml`). Every template is a `.yaml` file, so minijinja
//! writes every interpolated value as JSON, which YAML reads back as the same value: no
//! input string can change the structure of the output. The text a template produces is
//! parsed back and checked against the official schema of its kind before it is used.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{Environment, UndefinedBehavior, Value};
use serde_json::Value as Json;

use crate::diagnostic::Diagnostic;
use crate::error::Error;
use crate::project::spec::Project;
use crate::project::validate::Job;
use crate::{k8s, project::yaml, target};

mod read;

/// One rendered Kubernetes object.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub api_version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// The job it belongs to, its environment, group and spec file.
    pub job: String,
    pub env: String,
    pub group: String,
    pub file: String,
    pub value: Json,
    /// The object's file in the rendered tree: a header naming its spec, then the object as
    /// canonical YAML (keys sorted), computed once.
    text: String,
    /// Where the YAML starts in `text`.
    yaml_start: usize,
}

impl Manifest {
    /// A manifest for an object that did not come from a job (a hand-written object, a
    /// test's desired side).
    pub fn from_object(value: Json) -> Manifest {
        Manifest {
            api_version: str_at(&value, "/apiVersion"),
            kind: str_at(&value, "/kind"),
            namespace: str_at(&value, "/metadata/namespace"),
            name: str_at(&value, "/metadata/name"),
            job: String::new(),
            env: String::new(),
            group: String::new(),
            file: String::new(),
            text: crate::project::yaml::to_yaml(&value),
            yaml_start: 0,
            value,
        }
    }

    /// Canonical YAML: keys sorted, one document, trailing newline.
    pub fn to_yaml(&self) -> &str {
        &self.text[self.yaml_start..]
    }

    /// The length of [`Manifest::into_file_text`].
    pub fn file_len(&self) -> usize {
        self.text.len()
    }

    /// The object's file in the rendered tree, header included.
    pub fn into_file_text(self) -> String {
        self.text
    }
}

/// The string at a JSON pointer, or an empty one.
fn str_at(value: &Json, pointer: &str) -> String {
    value
        .pointer(pointer)
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Renders jobs with the built-in templates and a project's overrides.
pub struct Renderer {
    env: Environment<'static>,
    /// Where each overridden template came from, for error messages.
    overridden: BTreeMap<String, PathBuf>,
    /// The project's settings, which targets read (the operator's webhook).
    project: Option<Project>,
    /// Whether Argo CD applies the render (its objects carry sync waves).
    argocd: bool,
}

/// Puts an object in its Argo CD sync wave (a wave the template set is kept).
fn sync_wave(value: &mut Json) {
    let kind = value.get("kind").and_then(Json::as_str).unwrap_or_default();
    let (Some(wave), Some(Json::Object(meta))) =
        (crate::gitops::sync_wave(kind), value.get_mut("metadata"))
    else {
        return;
    };
    if let Json::Object(annotations) = meta
        .entry("annotations")
        .or_insert_with(|| Json::Object(serde_json::Map::new()))
    {
        annotations
            .entry(crate::gitops::SYNC_WAVE)
            .or_insert_with(|| Json::String(wave.to_owned()));
    }
}

fn combine(a: Value, b: Value) -> Result<Value, minijinja::Error> {
    let mut out: BTreeMap<String, Value> = BTreeMap::new();
    for v in [a, b] {
        if v.is_undefined() || v.is_none() {
            continue;
        }
        for key in v.try_iter()? {
            let value = v.get_item(&key)?;
            out.insert(key.to_string(), value);
        }
    }
    Ok(Value::from(Serde(&out)))
}

/// `metadata(name, namespace, labels, annotations)`: an object's metadata as one JSON
/// mapping (a YAML flow value); `annotations` is left out when empty. The one place the
/// templates' metadata block is written.
fn metadata(
    name: Value,
    namespace: Value,
    labels: Value,
    annotations: Value,
) -> Result<Value, minijinja::Error> {
    let json = |v: &Value| {
        serde_json::to_string(v).map_err(|e| {
            minijinja::Error::new(minijinja::ErrorKind::BadSerialization, e.to_string())
        })
    };
    let mut out = format!(
        "{{\"name\": {}, \"namespace\": {}, \"labels\": {}",
        json(&name)?,
        json(&namespace)?,
        json(&labels)?
    );
    if annotations.is_true() {
        out.push_str(", \"annotations\": ");
        out.push_str(&json(&annotations)?);
    }
    out.push('}');
    Ok(Value::from_safe_string(out))
}

impl Renderer {
    /// The renderer, with templates from `overrides` (a folder) replacing built-in ones of
    /// the same relative name.
    pub fn new(overrides: Option<&Path>, project: Option<&Project>) -> Result<Self, Error> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_syntax(
            SyntaxConfig::builder()
                .keep_trailing_newline(true)
                .build()
                .expect("default syntax"),
        );
        env.add_filter("combine", combine);
        env.add_function("metadata", metadata);
        let mut overridden = BTreeMap::new();
        if let Some(dir) = overrides {
            check_overrides(dir)?;
        }
        for (name, source) in target::all_templates() {
            let path = overrides.map(|d| d.join(name));
            let text = match &path {
                Some(p) if p.is_file() => {
                    let text = fs::read_to_string(p).map_err(|source| Error::Read {
                        path: p.clone(),
                        source,
                    })?;
                    overridden.insert(name.to_owned(), p.clone());
                    text
                }
                _ => source.to_owned(),
            };
            env.add_template_owned(name, text).map_err(|e| {
                Error::Usage(format!(
                    "template {}: {e}",
                    path.filter(|p| p.is_file())
                        .map_or_else(|| name.to_owned(), |p| p.display().to_string())
                ))
            })?;
        }
        Ok(Self {
            env,
            overridden,
            argocd: project.and_then(|p| p.gitops.as_ref()).and_then(|g| g.tool)
                == Some(crate::project::spec::GitOpsTool::Argocd),
            project: project.cloned(),
        })
    }

    /// Renders one job's objects. Problems (a broken template override, an object that
    /// fails its schema) come back as diagnostics on the job.
    pub fn render_job(&self, job: &Job) -> Result<Vec<Manifest>, Box<Diagnostic>> {
        self.render_as(job, Output::Both)
    }

    /// Renders one job's objects keeping what `output` says.
    pub fn render_as(&self, job: &Job, output: Output) -> Result<Vec<Manifest>, Box<Diagnostic>> {
        let plan = target::get(job.target)
            .plan(job, self.project.as_ref())
            .map_err(|p| self.problem(job, &p.message, &p.hint))?;
        let out = plan
            .templates
            .iter()
            .map(|t| self.render_template(job, t, &plan.context, output))
            .collect::<Result<Vec<_>, _>>()?;
        // Objects the others carry as data (the executor pod template) are checked too.
        for (what, hint, object) in &plan.embedded {
            if let Err(errors) = k8s::check(object) {
                return Err(self.problem(
                    job,
                    &format!(
                        "{what} fails the Kubernetes 1.30 {} schema: {}",
                        object
                            .get("kind")
                            .and_then(Json::as_str)
                            .unwrap_or_default(),
                        errors.join("; ")
                    ),
                    hint,
                ));
            }
        }
        Ok(out)
    }

    /// Renders one job's objects as text only (their parsed objects dropped): what a
    /// render to the tree needs.
    pub fn render_text(&self, job: &Job) -> Result<Vec<Manifest>, Box<Diagnostic>> {
        self.render_as(job, Output::Text)
    }

    fn problem(&self, job: &Job, message: &str, hint: &str) -> Box<Diagnostic> {
        Box::new(
            Diagnostic::error("render", &job.file, job.name_pos)
                .path("metadata.name")
                .message(format!(
                    "{message} (job {}, environment {})",
                    job.name, job.env
                ))
                .hint(hint),
        )
    }

    fn render_template(
        &self,
        job: &Job,
        name: &str,
        ctx: &Value,
        output: Output,
    ) -> Result<Manifest, Box<Diagnostic>> {
        let origin = self.overridden.get(name).map_or_else(
            || format!("built-in template {name}"),
            |p| format!("template {}", p.display()),
        );
        let text = self
            .env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| {
                self.problem(job, &format!("{origin} failed: {e:#}"), "fix the template")
            })?;
        // Debug builds (every test) hold the fast reader to the YAML parser on every object a
        // built-in template renders, and require that it takes the fast path.
        if cfg!(debug_assertions) && !self.overridden.contains_key(name) {
            read::assert_same_as_full_parser(name, &text);
        }
        let mut value = parse_one(&text).map_err(|m| {
            self.problem(
                job,
                &format!("{origin} produced invalid YAML: {m}"),
                "fix the template",
            )
        })?;
        if self.argocd {
            sync_wave(&mut value);
        }
        match k8s::check(&value) {
            Ok(true) => {}
            Ok(false) => {
                return Err(self.problem(
                    job,
                    &format!("{origin} produced a kind sparkc has no schema for"),
                    "templates may only produce the kinds sparkc renders",
                ));
            }
            Err(errors) => {
                return Err(self.problem(
                    job,
                    &format!(
                        "{origin} produced an object that fails the schema of its kind (Kubernetes 1.30, or the CRD): {}",
                        errors.join("; ")
                    ),
                    if self.overridden.contains_key(name) {
                        "fix the template"
                    } else {
                        "check the fields named in the message"
                    },
                ));
            }
        }
        let (mut text, mut yaml_start) = (String::new(), 0);
        if output != Output::Objects {
            use std::fmt::Write;
            let _ = writeln!(
                text,
                "# Generated by sparkc from {} (environment {}). Edit the spec, not this file.",
                job.file, job.env
            );
            yaml_start = text.len();
            yaml::write_yaml(&value, &mut text);
        }
        let mut m = Manifest {
            api_version: str_at(&value, "/apiVersion"),
            kind: str_at(&value, "/kind"),
            namespace: str_at(&value, "/metadata/namespace"),
            name: str_at(&value, "/metadata/name"),
            job: job.name.clone(),
            env: job.env.clone(),
            group: job.group.clone(),
            file: job.file.clone(),
            text,
            yaml_start,
            value,
        };
        if output == Output::Text {
            m.value = Json::Null;
        }
        Ok(m)
    }
}

/// What a render keeps of each object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Its text (the tree, the stream); the parsed object is dropped on the worker.
    Text,
    /// Its parsed object (a diff compares it); no text is written.
    Objects,
    /// Both.
    Both,
}

/// An override folder must exist, and every file in it must replace a built-in template
/// (a misspelled name would otherwise be ignored without a word).
fn check_overrides(dir: &Path) -> Result<(), Error> {
    if !dir.is_dir() {
        return Err(Error::Missing {
            path: dir.to_path_buf(),
        });
    }
    let builtin = target::all_templates();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| Error::Walk {
            path: dir.to_path_buf(),
            message: e.to_string(),
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(dir)
            .unwrap_or(entry.path())
            .to_string_lossy()
            .replace('\\', "/");
        if !builtin.iter().any(|(name, _)| *name == rel) {
            let names: Vec<String> = builtin.iter().map(|(n, _)| (*n).to_owned()).collect();
            let hint = crate::project::schema::suggest(&rel, &names)
                .map_or_else(String::new, |s| format!(" (did you mean `{s}`?)"));
            return Err(Error::Usage(format!(
                "template override {} replaces no built-in template{hint}; the built-in templates are: {}",
                entry.path().display(),
                names.join(", ")
            )));
        }
    }
    Ok(())
}

/// A large value handed to the templates as its JSON text, marked safe: serialized once by
/// serde_json (a single JSON value cannot change the structure around it) instead of being
/// converted into template values and escaped back.
pub fn raw_json<T: serde::Serialize>(value: &T) -> Value {
    Value::from_safe_string(serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned()))
}

/// Parses text that must hold exactly one YAML mapping.
fn parse_one(text: &str) -> Result<Json, String> {
    // The built-in templates' block YAML of JSON values reads with serde_json underneath;
    // JSON is YAML too (an override in the JSON form of earlier versions); anything else
    // goes through the YAML parser.
    if let Some(value) = read::template_output(text) {
        return Ok(value);
    }
    let trimmed = text.trim_start();
    if trimmed.starts_with('{')
        && let Ok(value) = serde_json::from_str::<Json>(trimmed)
    {
        return if value.is_object() {
            Ok(value)
        } else {
            Err("the document is not a mapping".to_owned())
        };
    }
    let docs =
        yaml::parse_values(text).map_err(|e| format!("line {}: {}", e.pos.line, e.message))?;
    match docs.as_slice() {
        [doc] if doc.is_object() => Ok(doc.clone()),
        [] => Err("no document".to_owned()),
        [_] => Err("the document is not a mapping".to_owned()),
        _ => Err(format!("{} documents where one object belongs", docs.len())),
    }
}

/// Renders every job (sorted by environment, group, namespace and name).
/// `keep_values`: whether the manifests keep their parsed objects (a diff compares them);
/// without, each object is dropped as soon as its YAML is written, on the worker that built
/// it, which keeps a large render's memory to its text.
pub fn render_all(
    renderer: &Renderer,
    jobs: &[Job],
    keep_values: bool,
) -> (Vec<Manifest>, Vec<Diagnostic>) {
    let output = if keep_values {
        Output::Both
    } else {
        Output::Text
    };
    let (per_job, diags) = render_each(renderer, jobs, output, |m| m);
    (per_job.into_iter().flatten().collect(), diags)
}

/// Renders every job as [`render_all`] does, handing each job's objects to `each` on the
/// worker that rendered them; the results of the jobs that render, in order, and the
/// problems of those that do not.
pub fn render_each<R: Send>(
    renderer: &Renderer,
    jobs: &[Job],
    output: Output,
    each: impl Fn(Vec<Manifest>) -> R + Sync,
) -> (Vec<R>, Vec<Diagnostic>) {
    use rayon::prelude::*;
    let mut order: Vec<&Job> = jobs.iter().collect();
    order.sort_by(|a, b| {
        (&a.env, &a.group, &a.namespace, &a.name).cmp(&(&b.env, &b.group, &b.namespace, &b.name))
    });
    let results: Vec<_> = order
        .par_iter()
        .map(|j| renderer.render_as(j, output).map(&each))
        .collect();
    let mut out = Vec::new();
    let mut diags = Vec::new();
    for r in results {
        match r {
            Ok(r) => out.push(r),
            Err(d) => diags.push(*d),
        }
    }
    (out, diags)
}

/// One YAML stream of every manifest, each headed by where it came from.
pub fn stream(manifests: &[Manifest]) -> String {
    let mut out = String::new();
    for m in manifests {
        out.push_str("---\n");
        out.push_str(&format!(
            "# Source: {} (job {}, environment {})\n",
            m.file, m.job, m.env
        ));
        out.push_str(m.to_yaml());
    }
    out
}
