//! `sparkc import`: existing `SparkApplication` / `ScheduledSparkApplication` manifests (or a
//! `spark-submit` command line) in, SparkJob specs out. Whatever cannot be carried over is
//! reported, never dropped silently.

use serde_json::{Map, Value as Json, json};

use crate::diagnostic::Diagnostic;
use crate::names;
use crate::project::schema::{self, Kind};
use crate::project::spec::API_VERSION;
use crate::project::yaml::{self, Pos, Seg, path_string};
use crate::spark::conf;
use crate::spark::submit::Mode;
use crate::target;

/// One imported job.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub name: String,
    /// The SparkJob document.
    pub job: Json,
    /// Where it came from (`file` or `file#N` for the N-th document).
    pub source: String,
    /// Where its name is in the source file, when known.
    pub name_at: Option<Pos>,
}

impl Imported {
    /// A job read from the document `node` (its name located there).
    pub(crate) fn of(job: Json, source: String, node: Option<&yaml::Node>) -> Self {
        let name = job
            .pointer("/metadata/name")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned();
        let name_at = node
            .and_then(|n| {
                n.locate(&[Seg::Key("metadata".into()), Seg::Key("name".into())])
                    .ok()
            })
            .map(|n| n.pos);
        Self {
            name,
            job,
            source,
            name_at,
        }
    }
}

/// The outcome of an import: jobs, and what could not be carried over.
#[derive(Debug, Default)]
pub struct Outcome {
    pub jobs: Vec<Imported>,
    pub diagnostics: Vec<Diagnostic>,
}

/// What an import leaves behind, each with its path in the source object and why: what
/// could not be carried over (the import fails), and what was dropped because sparkc does
/// it itself (a note).
#[derive(Debug, Default)]
pub struct Lost {
    pub lost: Vec<(Vec<Seg>, String)>,
    pub dropped: Vec<(Vec<Seg>, String)>,
    /// Carried over in another form that behaves the same (a note; the import succeeds).
    pub changed: Vec<(Vec<Seg>, String)>,
}

impl Lost {
    /// Something that could not be carried over.
    pub fn push(&mut self, item: (Vec<Seg>, String)) {
        self.lost.push(item);
    }
    /// Something sparkc does itself, so it was left out.
    pub fn drop_note(&mut self, item: (Vec<Seg>, String)) {
        self.dropped.push(item);
    }
    /// Something written in another form that behaves the same.
    pub fn change_note(&mut self, item: (Vec<Seg>, String)) {
        self.changed.push(item);
    }
}

/// The diagnostics of what an import left behind, located in the source file when `locate`
/// finds the path.
pub(crate) fn report(
    file: &str,
    lost: Lost,
    locate: &dyn Fn(&[Seg]) -> Option<crate::project::yaml::Pos>,
    out: &mut Vec<Diagnostic>,
) {
    for (kind, items) in [
        (Left::Lost, lost.lost),
        (Left::Dropped, lost.dropped),
        (Left::Changed, lost.changed),
    ] {
        for (path, why) in items {
            let mut d = left_behind(file, kind, why, locate(&path));
            if !path.is_empty() {
                d = d.path(path_string(&path));
            }
            out.push(d);
        }
    }
}

/// The three kinds of what an import leaves behind.
#[derive(Debug, Clone, Copy)]
enum Left {
    Lost,
    Dropped,
    Changed,
}

/// The diagnostic of one thing an import left behind.
fn left_behind(file: &str, kind: Left, why: String, pos: Option<Pos>) -> Diagnostic {
    let (code, what) = match kind {
        Left::Lost => ("import", "not carried over"),
        Left::Dropped => ("import-dropped", "left out, sparkc does it"),
        Left::Changed => ("import-changed", "rewritten"),
    };
    Diagnostic::warning(code, file, pos).message(format!("{what}: {why}"))
}

/// Imports the objects in one file's text that a target reads back (the Kubeflow
/// operator's SparkApplication and ScheduledSparkApplication).
pub fn from_manifests(file: &str, text: &str) -> Outcome {
    let mut out = Outcome::default();
    let docs = match yaml::parse_documents(text) {
        Ok(d) => d,
        Err(e) => {
            let mut d = crate::project::workspace::syntax_diag(file, e);
            if let Some((line, p)) = placeholder_in(text) {
                d = d.hint(format!(
                    "the file holds placeholders (`{p}` on line {line}) and is not YAML until they are substituted: substitute them (envsubst, the template tool) and import the result"
                ));
            }
            out.diagnostics.push(d);
            return out;
        }
    };
    // Native setups first: a driver workload reads the Services, ConfigMaps and RBAC of
    // the file with it.
    let native = target::native::import::import(file, &docs, &mut out);
    for (i, node) in docs.iter().enumerate() {
        if native.contains(&i) {
            continue;
        }
        let doc = node.to_json();
        let kind = doc.get("kind").and_then(Json::as_str).unwrap_or_default();
        let api = doc
            .get("apiVersion")
            .and_then(Json::as_str)
            .unwrap_or_default();
        let source = if docs.len() > 1 {
            format!("{file}#{}", i + 1)
        } else {
            file.to_owned()
        };
        let mut lost = Lost::default();
        match target::TARGETS
            .iter()
            .find_map(|t| t.import(api, kind, &doc, &mut lost))
        {
            Some(job) => {
                let job = fit_schema(job, &mut lost);
                report(
                    file,
                    lost,
                    &|path| Some(node.locate(path).map_or_else(|n| n.pos, |n| n.pos)),
                    &mut out.diagnostics,
                );
                out.jobs.push(Imported::of(job, source, Some(node)));
            }
            _ => {
                let what = if kind.is_empty() {
                    "a document without `kind`".to_owned()
                } else {
                    format!("a {kind} ({api})")
                };
                let mut by_api: Vec<(&str, Vec<&str>)> = Vec::new();
                for (api, kind) in target::TARGETS.iter().flat_map(|t| t.imports()) {
                    match by_api.iter_mut().find(|(a, _)| a == api) {
                        Some((_, kinds)) => kinds.push(kind),
                        None => by_api.push((api, vec![kind])),
                    }
                }
                let importable: Vec<String> = by_api
                    .iter()
                    .map(|(api, kinds)| format!("{api} {}", kinds.join(" and ")))
                    .collect();
                out.diagnostics.push(
                    Diagnostic::warning("import-skipped", file, Some(node.pos))
                        .message(format!(
                            "skipped {what}: only {}, and native setups (a Pod, Job, CronJob or Deployment running spark-submit) are imported",
                            importable.join(", ")
                        ))
                        .hint("keep it in Git as it is, beside the rendered tree"),
                );
            }
        }
    }
    out
}

/// The first `${VAR}` or `$(VAR)` placeholder of a text, with its line.
fn placeholder_in(text: &str) -> Option<(usize, &str)> {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$\([A-Za-z_][A-Za-z0-9_]*\)")
            .expect("regex")
    });
    text.lines()
        .enumerate()
        .find_map(|(i, l)| RE.find(l).map(|m| (i + 1, m.as_str())))
}

/// A SparkJob's `metadata` from an imported object's: name, namespace, and the labels and
/// annotations that are the user's (not sparkc's, not kubectl's); what the cluster sets is
/// dropped, anything else reported.
pub(crate) fn job_metadata(doc: &Json, lost: &mut Lost) -> Map<String, Json> {
    let key = |path: &[&str]| path.iter().map(|k| Seg::Key((*k).to_owned())).collect();
    let meta = doc
        .get("metadata")
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    let mut metadata = Map::new();
    for k in ["name", "namespace"] {
        if let Some(v) = meta.get(k) {
            metadata.insert(k.to_owned(), v.clone());
        }
    }
    for k in ["labels", "annotations"] {
        if let Some(Json::Object(m)) = meta.get(k) {
            // sparkc's own labels: another tool's value (a re-import has sparkc's) is named.
            if k == "labels" {
                let name = meta.get("name").and_then(Json::as_str).unwrap_or_default();
                for (label, ours) in [
                    (names::LABEL_MANAGED_BY, names::MANAGED_BY),
                    (names::LABEL_NAME, name),
                ] {
                    if let Some(v) = m.get(label).filter(|v| v.as_str() != Some(ours)) {
                        lost.drop_note((
                            key(&["metadata", "labels", label]),
                            format!(
                                "`{label}: {}` is sparkc's label, which it sets to `{ours}`",
                                v.as_str().map_or_else(|| v.to_string(), str::to_owned)
                            ),
                        ));
                    }
                }
            }
            let kept: Map<String, Json> = m
                .iter()
                .filter(|(key, _)| {
                    !matches!(
                        key.as_str(),
                        names::LABEL_MANAGED_BY | names::LABEL_NAME | names::LABEL_ENV
                    ) && !key.starts_with("kubectl.kubernetes.io/")
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if !kept.is_empty() {
                metadata.insert(k.to_owned(), Json::Object(kept));
            }
        }
    }
    for k in meta
        .keys()
        .filter(|k| !matches!(k.as_str(), "name" | "namespace" | "labels" | "annotations"))
    {
        if !matches!(
            k.as_str(),
            "uid"
                | "resourceVersion"
                | "generation"
                | "creationTimestamp"
                | "managedFields"
                | "selfLink"
        ) {
            lost.push((
                key(&["metadata", k]),
                format!("`metadata.{k}` is set by the cluster or has no SparkJob field"),
            ));
        }
    }
    metadata
}

/// The deprecated maps of a role's environment (`envVars`, and `envSecretKeyRefs` that
/// `secretKeyRef` keys also read into) rewritten as `env` entries, before the role's own
/// (a name `env` already has keeps its entry, reported with `failing`; a name in both maps
/// takes the Secret's, noted). Returns, for each map rewritten, the role and the map's name.
pub(crate) fn env_entries(
    spec: &mut Map<String, Json>,
    lost: &mut dyn FnMut(&'static str, &'static str, String, bool),
) -> Vec<(&'static str, &'static str)> {
    let mut rewritten = Vec::new();
    for role in ["driver", "executor"] {
        let Some(Json::Object(r)) = spec.get_mut(role) else {
            continue;
        };
        if r.get("env").is_some_and(|e| !e.is_array()) {
            continue; // the schema check reports it; the maps stay as they are
        }
        // Spark sets the maps' variables before the pod template's `env` (which may refer
        // to them), and a Secret's reference after a plain value of the same name: the
        // entries go first, in that order, a Secret's winning.
        let mut entries: Vec<Json> = Vec::new();
        for field in ["envVars", "envSecretKeyRefs"] {
            let Some(Json::Object(map)) = r.remove(field) else {
                continue;
            };
            if map.is_empty() {
                continue;
            }
            for (name, value) in map {
                let entry = match field {
                    "envVars" => json!({"name": name, "value": value}),
                    _ => json!({"name": name, "valueFrom": {"secretKeyRef": value}}),
                };
                let same = |e: &Json| e.get("name").and_then(Json::as_str) == Some(name.as_str());
                if let Some(i) = entries.iter().position(same) {
                    lost(
                        role,
                        "envVars",
                        format!(
                            "`{role}.envVars.{name}` is also a Secret's reference in `{role}.envSecretKeyRefs`, which wins, as in Spark"
                        ),
                        false,
                    );
                    entries[i] = entry;
                } else {
                    entries.push(entry);
                }
            }
            rewritten.push((role, field));
        }
        if entries.is_empty() {
            continue;
        }
        let Json::Array(env) = r.entry("env").or_insert_with(|| Json::Array(Vec::new())) else {
            continue;
        };
        entries.retain(|e| {
            let name = e.get("name").and_then(Json::as_str).unwrap_or_default();
            let twice = env.iter().any(|x| x.get("name").and_then(Json::as_str) == Some(name));
            if twice {
                lost(role, "env", format!("`{name}` is in `{role}.env` and in the maps it replaces; the `env` entry is kept"), true);
            }
            !twice
        });
        env.splice(0..0, entries);
    }
    rewritten
}

/// Removes what the SparkJob schema refuses, reporting each removal.
pub(crate) fn fit_schema(mut job: Json, lost: &mut Lost) -> Json {
    for _ in 0..8 {
        let issues = schema::check(Kind::SparkJob, &job);
        if issues.is_empty() {
            break;
        }
        let mut paths = Vec::with_capacity(issues.len());
        for issue in issues.iter().rev() {
            lost.push((
                issue.path.clone(),
                format!("{} (sparkc has no such field or value)", issue.message),
            ));
            paths.push(issue.path.clone());
        }
        paths.sort();
        crate::project::validate::remove_paths(&mut job, &paths);
    }
    job
}

/// One spark-submit command line, read into its parts (nothing interpreted yet).
#[derive(Debug, Default, Clone)]
pub(crate) struct SubmitLine {
    /// The program (`spark-submit`, a path to it, a wrapper such as
    /// `spark-client.spark-submit`), when the line names one.
    pub(crate) program: Option<String>,
    /// `NAME=value` words before the program.
    pub(crate) env: Vec<String>,
    /// Flags with their values, in order (`--conf`'s value is `key=value`).
    pub(crate) flags: Vec<(String, String)>,
    /// The application and its arguments.
    pub(crate) positional: Vec<String>,
}

/// Why a command line is not a job to import.
#[derive(Debug, Clone)]
pub(crate) enum LineError {
    /// The quotes do not balance.
    Quotes,
    /// `--kill` or `--status`: it manages a submitted driver (and what came before it).
    Manages(String, Box<SubmitLine>),
}

impl LineError {
    pub(crate) fn diagnostic(
        &self,
        file: &str,
        pos: Option<crate::project::yaml::Pos>,
    ) -> Diagnostic {
        match self {
            LineError::Quotes => Diagnostic::error("import", file, pos)
                .message("the command line has unbalanced quotes")
                .hint("give the spark-submit command as a shell would read it"),
            LineError::Manages(flag, _) => Diagnostic::error("import", file, pos)
                .message(format!(
                    "`{flag}` manages a submitted driver; it is not a job to import"
                ))
                .hint("give the spark-submit line that starts the application"),
        }
    }
}

/// Splits a command line into words as a shell would (placeholders with blanks and
/// `$(...)` kept whole).
pub(crate) fn shell_words(line: &str) -> Result<Vec<String>, LineError> {
    shlex::split(&protect_spans(line)).ok_or(LineError::Quotes)
}

/// Reads the words of a spark-submit command: a prompt, environment assignments and the
/// program (`./bin/spark-submit`, a full path) come before the first flag.
pub(crate) fn read_line(words: Vec<String>) -> Result<SubmitLine, LineError> {
    let program = words
        .iter()
        .position(|w| w.ends_with("spark-submit"))
        .filter(|&i| !words[..i].iter().any(|w| w.starts_with("--")));
    let start = match program {
        Some(i) => i + 1,
        None => usize::from(matches!(
            words.first().map(String::as_str),
            Some("$" | "%" | ">")
        )),
    };
    let mut line = SubmitLine {
        program: program.map(|i| words[i].clone()),
        env: words[..start]
            .iter()
            .filter(|w| w.contains('='))
            .cloned()
            .collect(),
        ..SubmitLine::default()
    };
    let mut words = words.into_iter().skip(start).peekable();
    while let Some(w) = words.next() {
        if !line.positional.is_empty() || !w.starts_with("--") {
            line.positional.push(w);
            continue;
        }
        let (flag, inline) = match w.split_once('=') {
            Some((f, v)) => (f.to_owned(), Some(v.to_owned())),
            None => (w.clone(), None),
        };
        if matches!(flag.as_str(), "--kill" | "--status") {
            return Err(LineError::Manages(flag, Box::new(line)));
        }
        if matches!(flag.as_str(), "--verbose" | "--supervise") {
            continue;
        }
        let value = inline.or_else(|| words.next()).unwrap_or_default();
        line.flags.push((flag, value));
    }
    Ok(line)
}

/// The configuration key a flag sets (`--conf k=v` sets `k`), or the flag itself.
pub(crate) fn flag_key(flag: &str, value: &str) -> String {
    if flag == "--conf" || flag == "-c" {
        value
            .split_once('=')
            .map_or(value.to_owned(), |(k, _)| k.to_owned())
    } else {
        conf::lookup_flag(flag)
            .filter(|e| !e.key.is_empty())
            .map_or_else(|| flag.to_owned(), |e| e.key.to_owned())
    }
}

/// Why a flag or key of the pre-upstream Kubernetes fork is not carried over.
fn fork_message(what: &str, instead: &str) -> String {
    format!(
        "{what} is the pre-upstream Kubernetes fork's (apache-spark-on-k8s, Spark 2.1/2.2), which Spark 3 does not read; upstream Spark uses {instead}"
    )
}

/// Whether a value refers to a variable something else would have to expand.
pub(crate) fn refers_to_variable(value: &str) -> bool {
    static VARIABLE: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"\$(?:\{?[A-Za-z_]|\()").expect("regex"));
    VARIABLE.is_match(value)
}

impl SubmitLine {
    /// What the line itself says about the job beyond its settings: its environment, a
    /// setting given twice, a value that refers to a variable (unless `expanded` says
    /// something expands it before spark-submit sees it).
    /// `at` locates a word of the line in its file (the last occurrence when asked).
    pub(crate) fn findings(
        &self,
        file: &str,
        at: &dyn Fn(&str, bool) -> Option<Pos>,
        expanded: &dyn Fn(&str) -> bool,
    ) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for w in &self.env {
            out.push(
                Diagnostic::warning("import", file, at(w, false))
                    .message(format!("not carried over: the environment of the command, `{w}`"))
                    .hint("set it in the spec (`driver.env`, `executor.env`, `sparkConfigMap`, `hadoopConfigMap`)"),
            );
        }
        let mut seen: Vec<String> = Vec::new();
        for (flag, value) in &self.flags {
            let what = if flag == "--conf" || flag == "-c" {
                flag_key(flag, value)
            } else {
                flag.clone()
            };
            if seen.contains(&what) {
                out.push(
                    Diagnostic::warning("import-repeated", file, at(&what, true)).message(format!(
                        "`{what}` is given twice; the last one wins, as in spark-submit"
                    )),
                );
            }
            seen.push(what);
            if refers_to_variable(value) && !expanded(value) {
                out.push(
                    Diagnostic::warning("import-variable", file, at(&flag_word(flag, value), false))
                        .message(format!(
                            "`{flag} {value}` refers to a shell variable; it is kept as written"
                        ))
                        .hint("put the value in the spec, or in the project's defaults or an environment's overrides"),
                );
            }
        }
        for word in &self.positional {
            if refers_to_variable(word) && !expanded(word) {
                out.push(
                    Diagnostic::warning("import-variable", file, at(word, true))
                        .message(format!(
                            "the application or argument `{word}` refers to a shell variable; it is kept as written"
                        ))
                        .hint("put the value in the spec's `mainApplicationFile` or `arguments`"),
                );
            }
        }
        out
    }

    /// The application file and its arguments, into the builder's spec.
    pub(crate) fn application(&self, b: &mut SubmitBuilder) {
        let mut positional = self.positional.iter();
        if let Some(app) = positional.next() {
            b.spec.insert("mainApplicationFile".into(), json!(app));
            // spark-submit's name for "the class is on the class path already" (the Thrift
            // server, the shells): a JVM application.
            if app == "spark-internal" {
                b.spec.entry("type").or_insert_with(|| json!("Scala"));
            }
        }
        let args: Vec<&String> = positional.collect();
        if !args.is_empty() {
            b.spec.insert("arguments".into(), json!(args));
        }
    }
}

/// Where a word of a command line is in its file: its first (or last) occurrence, as a
/// line and column.
fn locate_in(text: &str, word: &str, last: bool) -> Option<Pos> {
    if word.is_empty() {
        return None;
    }
    // A whole word outside comments (`--name` is not in `--namespace`), else any occurrence.
    let whole = |at: usize| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        !text[line_start..at].trim_start().starts_with('#')
            && before.is_none_or(|c| c.is_whitespace() || "\"'=/(".contains(c))
            && after.is_none_or(|c| c.is_whitespace() || "\"'=\\;)".contains(c))
    };
    let mut found = text
        .match_indices(word)
        .map(|(i, _)| i)
        .filter(|&i| whole(i));
    let at = if last { found.last() } else { found.next() }.or_else(|| {
        if last {
            text.rfind(word)
        } else {
            text.find(word)
        }
    })?;
    let before = &text[..at];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let count = |s: &str| u32::try_from(s.chars().count()).unwrap_or(u32::MAX);
    Some(Pos {
        line: u32::try_from(before.matches('\n').count() + 1).unwrap_or(u32::MAX),
        column: count(&before[line_start..]).saturating_add(1),
        len: count(word),
    })
}

/// Where a command line names its application.
fn name_pos(line: &SubmitLine, at: &dyn Fn(&str, bool) -> Option<Pos>) -> Option<Pos> {
    line.flags
        .iter()
        .rev()
        .find(|(f, v)| f == "--name" || flag_word(f, v) == conf::APP_NAME.key)
        .and_then(|(f, v)| at(&flag_word(f, v), true))
}

/// A job name (a DNS-1035 label) for an application's name as people write it
/// (`SparkPi`, `Word Count`, `etl_daily`): words in lower case joined by `-`. `None` when
/// the name refers to a variable or has nothing to make a label of.
fn job_name_for(name: &str) -> Option<String> {
    if refers_to_variable(name) {
        return None;
    }
    let mut out = String::new();
    let mut prev: Option<char> = None;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            // A capital after a lower-case letter or digit starts a word (`SparkPi`).
            if c.is_ascii_uppercase()
                && prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
            {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        prev = Some(c);
    }
    let trimmed = out.trim_start_matches(|c: char| c.is_ascii_digit() || c == '-');
    let label: String = trimmed.chars().take(63).collect();
    let label = label.trim_end_matches('-').to_owned();
    crate::rules::is_dns1035(&label).then_some(label)
}

/// The prefix of the configuration keys that read into a role's environment map.
fn env_key(role: &str, field: &str) -> &'static str {
    match (role, field) {
        ("driver", "envVars") => conf::DRIVER_ENV.key,
        ("driver", _) => conf::DRIVER_SECRET_KEY_REF.key,
        (_, "envVars") => conf::EXECUTOR_ENV.key,
        _ => conf::EXECUTOR_SECRET_KEY_REF.key,
    }
}

/// Whether a dotted path is `outer` or inside it (`spec.image` is not in `spec.im`).
fn within(path: &str, outer: &str) -> bool {
    path.strip_prefix(outer)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

/// The word naming a flag in the line: a `--conf`'s key, else the flag.
fn flag_word(flag: &str, value: &str) -> String {
    if flag == "--conf" || flag == "-c" {
        value.split_once('=').map_or(value, |(k, _)| k).to_owned()
    } else {
        flag.to_owned()
    }
}

/// The spark-submit command inside commands that run it: `kubectl run … -- spark-submit …`,
/// `sudo -u spark spark-submit …`, `bash -c "spark-submit …"`, `CMD="… spark-submit …"`
/// (run later by `eval $CMD`). Returns the command (from its environment assignments on)
/// and each wrapper, shortened, outermost first.
fn unwrap_command(mut words: Vec<String>) -> (Vec<String>, Vec<String>) {
    static ASSIGNMENT: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"^[A-Za-z_][A-Za-z0-9_]*=").expect("regex"));
    let shorten = |ws: &[String]| {
        let text = ws.join(" ");
        if text.chars().count() > 60 {
            format!("{}…", text.chars().take(59).collect::<String>())
        } else {
            text
        }
    };
    let mut wrappers = Vec::new();
    for _ in 0..4 {
        if let Some(i) = words.iter().position(|w| w.ends_with("spark-submit")) {
            let mut start = i;
            while start > 0 && ASSIGNMENT.is_match(&words[start - 1]) {
                start -= 1;
            }
            let prompt = start == 1 && matches!(words[0].as_str(), "$" | "%" | ">");
            if start > 0 && !prompt {
                wrappers.push(shorten(&words[..start]));
                words.drain(..start);
            }
            break;
        }
        let Some(i) = words
            .iter()
            .position(|w| w.contains("spark-submit") && w.contains(char::is_whitespace))
        else {
            break;
        };
        // `NAME="…"` holds a command for later, but a shell's `-c` string is one already
        // (and may start with an assignment of its own).
        let assignment = ASSIGNMENT
            .find(&words[i])
            .filter(|_| i == 0 || words[i - 1] != "-c");
        let inner = assignment
            .map_or(words[i].as_str(), |m| &words[i][m.end()..])
            .to_owned();
        let mut outer = words[..i].to_vec();
        outer.push(match assignment {
            Some(m) => format!("{}\"…\"", m.as_str()),
            None => "\"…\"".to_owned(),
        });
        let Ok(next) = shell_words(&inner) else { break };
        wrappers.push(shorten(&outer));
        words = next;
    }
    (words, wrappers)
}

/// Imports a `spark-submit` command line (backslash continuations allowed).
pub fn from_submit(file: &str, text: &str) -> Outcome {
    let mut out = Outcome::default();
    let at = |word: &str, last: bool| locate_in(text, word, last);
    let commands = match shell_commands(text) {
        Ok(c) => c,
        Err(e) => {
            out.diagnostics
                .push(e.diagnostic(file, at("spark-submit", false)));
            return out;
        }
    };
    // The first command that runs spark-submit (else the first command); the others (an
    // `export`, an `echo`) are not the job, and a second spark-submit is not imported.
    let unwrapped: Vec<(Vec<String>, Vec<String>)> = commands
        .iter()
        .map(|c| match c.first().map(String::as_str) {
            Some("echo" | "printf" | "set") => (c.clone(), Vec::new()),
            _ => unwrap_command(c.clone()),
        })
        .collect();
    let runs_submit = |words: &[String]| {
        words
            .iter()
            .take_while(|w| !w.starts_with('-'))
            .any(|w| is_submit_program(w))
    };
    let chosen = unwrapped
        .iter()
        .position(|(w, _)| runs_submit(w))
        .unwrap_or(0);
    let mut others = Vec::new();
    for (i, (words, _)) in unwrapped.iter().enumerate() {
        if i == chosen || words.is_empty() {
            continue;
        }
        if runs_submit(words) {
            out.diagnostics.push(
                Diagnostic::error(
                    "import",
                    file,
                    at(&words.join(" "), false).or_else(|| at("spark-submit", true)),
                )
                .message(
                    "the file runs spark-submit more than once; only the first command is imported",
                )
                .hint("import each command from a file of its own"),
            );
        } else {
            others.push(commands[i][0].clone());
        }
    }
    if !others.is_empty() {
        out.diagnostics.push(
            Diagnostic::warning("import-wrapper", file, at(&others[0], false))
                .message(format!(
                    "the file runs {} other command(s) (`{}`); only the spark-submit command is imported",
                    others.len(),
                    others.join("`, `")
                ))
                .hint("the variables they set are taken where the command uses them; what else they do is not part of the job"),
        );
    }
    // Variables the file itself sets before the command (`export DATA=…`, `DATA=…`) are
    // what the shell would give the command: their values are taken, each noted; the ones
    // spark-submit itself reads change the run and are not carried over.
    let mut vars: Vec<(String, String)> = Vec::new();
    for c in commands.iter().take(chosen) {
        let c = match c.first().map(String::as_str) {
            Some("export") => &c[1..],
            _ => &c[..],
        };
        if c.is_empty() || !c.iter().all(|w| is_assignment(w)) {
            continue;
        }
        for w in c {
            let (name, value) = w.split_once('=').unwrap_or_default();
            if SUBMIT_ENVIRONMENT.contains(&name) {
                out.diagnostics.push(left_behind(
                    file,
                    Left::Lost,
                    format!("`{name}={value}` changes what spark-submit reads, which sparkc does not carry over"),
                    at(w, false),
                ));
            }
            // As the shell assigns: with the variables set before it.
            let value = expand_vars(value, &vars, &mut Vec::new());
            vars.retain(|(n, _)| n != name);
            vars.push((name.to_owned(), value));
        }
    }
    let (mut words, wrappers) = unwrapped.into_iter().nth(chosen).unwrap_or_default();
    let mut used = Vec::new();
    for w in &mut words {
        let expanded = expand_vars(w, &vars, &mut used);
        *w = expanded;
    }
    for name in used {
        let value = &vars.iter().find(|(n, _)| *n == name).expect("used").1;
        out.diagnostics.push(left_behind(
            file,
            Left::Changed,
            format!("`${name}` as `{value}`, which the file sets before the command"),
            at(&format!("{name}="), false),
        ));
    }
    if !wrappers.is_empty() {
        out.diagnostics.push(
            Diagnostic::warning("import-wrapper", file, at("spark-submit", false))
                .message(format!(
                    "the spark-submit command is run by {}: the command is imported, not what runs it",
                    wrappers.iter().map(|w| format!("`{w}`")).collect::<Vec<_>>().join(", then ")
                ))
                .hint("sparkc runs the job itself: drop the wrapper once the job is rendered"),
        );
    }
    let line = match read_line(words) {
        Ok(line) => line,
        Err(e) => {
            let pos = match &e {
                LineError::Manages(flag, before) => {
                    out.diagnostics
                        .extend(before.findings(file, &at, &|_| false));
                    at(flag, false)
                }
                LineError::Quotes => None,
            };
            out.diagnostics.push(e.diagnostic(file, pos));
            return out;
        }
    };
    out.diagnostics.extend(line.findings(file, &at, &|_| false));
    // The deploy mode (the last one given) decides the target before the settings are read.
    let cluster = line
        .flags
        .iter()
        .rev()
        .find_map(|(f, v)| match f.as_str() {
            "--deploy-mode" => Some(v == "cluster"),
            "--conf" | "-c" => v
                .split_once('=')
                .filter(|(k, _)| *k == conf::DEPLOY_MODE.key)
                .map(|(_, m)| m == "cluster"),
            _ => None,
        })
        .unwrap_or(false);
    let mut b = SubmitBuilder {
        target: Some(target::for_mode(if cluster {
            Mode::Cluster
        } else {
            Mode::Client
        })),
        ..SubmitBuilder::default()
    };
    // Canonical's `spark-client.spark-submit` names the account and namespace itself.
    let spark_client = line
        .program
        .as_deref()
        .is_some_and(|p| p.ends_with("spark-client.spark-submit"));
    if spark_client {
        out.diagnostics.push(
            Diagnostic::warning("import-wrapper", file, at("spark-client.spark-submit", false))
                .message("`spark-client.spark-submit` adds the settings Charmed Spark keeps for its account (the service-account registry, `spark` in `default` unless `--username` / `--namespace` say otherwise); they are not in the line and not imported")
                .hint("add the account's stored settings to the spec's `sparkConf`"),
        );
    }
    // What each flag leaves behind, at the flag's word.
    let mut take = |b: &mut SubmitBuilder, pos: Option<Pos>| {
        for why in b.lost.drain(..) {
            out.diagnostics
                .push(left_behind(file, Left::Lost, why, pos));
        }
        for why in b.dropped.drain(..) {
            out.diagnostics
                .push(left_behind(file, Left::Dropped, why, pos));
        }
        for why in b.changed.drain(..) {
            out.diagnostics
                .push(left_behind(file, Left::Changed, why, pos));
        }
    };
    for (flag, value) in &line.flags {
        match flag.as_str() {
            "--username" if spark_client => {
                b.flag("--conf", &format!("{}={value}", conf::DRIVER_ACCOUNT.key))
            }
            "--namespace" if spark_client => {
                b.flag("--conf", &format!("{}={value}", conf::NAMESPACE.key))
            }
            _ => b.flag(flag, value),
        }
        take(&mut b, at(&flag_word(flag, value), false));
    }
    line.application(&mut b);
    let mut renamed = None;
    let name = match b.name.clone() {
        None => "imported-job".to_owned(),
        Some(n) => match job_name_for(&n) {
            Some(job) if job != n => {
                renamed = Some(left_behind(
                    file,
                    Left::Changed,
                    format!(
                        "the application's name `{n}` as the job name `{job}` (a job name is a DNS-1035 label, which Spark then shows as the application's name)"
                    ),
                    name_pos(&line, &at),
                ));
                job
            }
            _ => n,
        },
    };
    // The job's name, before `finish` compares the account with the one it derives.
    if b.name.is_some() {
        b.name = Some(name.clone());
    }
    b.finish();
    // What the whole line leaves behind, at the key it names (else the program).
    let named = b
        .lost
        .first()
        .and_then(|why| why.strip_prefix("`--conf "))
        .and_then(|rest| rest.split_once('='))
        .and_then(|(key, _)| at(key, false));
    take(&mut b, named.or_else(|| at("spark-submit", false)));
    out.diagnostics.extend(renamed);
    let mut metadata = Map::new();
    metadata.insert("name".into(), json!(name));
    if let Some(ns) = &b.namespace {
        metadata.insert("namespace".into(), json!(ns));
    }
    if !b.labels.is_empty() {
        metadata.insert("labels".into(), Json::Object(b.labels.clone()));
    }
    let mut twice = Vec::new();
    for (role, field) in env_entries(&mut b.spec, &mut |role, field, why, failing| {
        twice.push((role, field, why, failing));
    }) {
        let key = env_key(role, field);
        out.diagnostics.push(left_behind(
            file,
            Left::Changed,
            format!("`{key}*` as `{role}.env` entries (`{role}.{field}`, which it reads into, is deprecated)"),
            at(key, false),
        ));
    }
    for (role, field, why, failing) in twice {
        let kind = if failing { Left::Lost } else { Left::Changed };
        out.diagnostics.push(left_behind(
            file,
            kind,
            why,
            at(env_key(role, field), false),
        ));
    }
    let mut job = json!({"apiVersion": API_VERSION, "kind": "SparkJob", "metadata": metadata, "spec": b.spec});
    let mut lost = Lost::default();
    job = fit_schema(job, &mut lost);
    for (path, why) in lost.lost {
        // At the flag or key that set the field.
        let field = path_string(&path);
        let pos = conf::TABLE
            .iter()
            .filter(|k| matches!(k.source, conf::Source::Field(f) if within(&field, f) || (within(f, &field) && field.matches('.').count() >= 2)))
            .find_map(|k| k.flag.and_then(|f| at(f, true)).or_else(|| at(k.key, true)));
        out.diagnostics.push(
            Diagnostic::warning("import", file, pos)
                .path(path_string(&path))
                .message(format!("not carried over: {why}")),
        );
    }
    let name_at = name_pos(&line, &at);
    out.jobs.push(Imported {
        name,
        job,
        source: file.to_owned(),
        name_at,
    });
    out
}

/// The environment variables spark-submit itself reads, which change a run set before it.
const SUBMIT_ENVIRONMENT: &[&str] = &[
    "SPARK_CONF_DIR",
    "HADOOP_CONF_DIR",
    "YARN_CONF_DIR",
    "SPARK_SUBMIT_OPTS",
    "SPARK_DIST_CLASSPATH",
    "PYSPARK_PYTHON",
    "PYSPARK_DRIVER_PYTHON",
    "SPARK_USER",
];

/// Whether a word is a shell assignment (`NAME=value`).
fn is_assignment(word: &str) -> bool {
    let Some((name, _)) = word.split_once('=') else {
        return false;
    };
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A text with each shell variable (`$NAME`, `${NAME}`) that `value` knows replaced by its
/// value; the others stay as written.
pub(crate) fn expand_shell_vars<'a>(
    text: &'a str,
    value: &mut dyn FnMut(&str) -> Option<String>,
) -> std::borrow::Cow<'a, str> {
    static VAR: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
            .expect("regex")
    });
    VAR.replace_all(text, |c: &regex::Captures<'_>| {
        let name = c.get(1).or_else(|| c.get(2)).map_or("", |m| m.as_str());
        value(name).unwrap_or_else(|| c[0].to_owned())
    })
}

/// A word with the variables of `vars` expanded (the names used are added to `used`, once).
fn expand_vars(word: &str, vars: &[(String, String)], used: &mut Vec<String>) -> String {
    expand_shell_vars(word, &mut |name| {
        let (n, v) = vars.iter().find(|(n, _)| n == name)?;
        if !used.contains(n) {
            used.push(n.clone());
        }
        Some(v.clone())
    })
    .into_owned()
}

/// Whether a word is the spark-submit program (a path to it, or a wrapper of that name
/// such as `spark-client.spark-submit`).
pub(crate) fn is_submit_program(word: &str) -> bool {
    let base = word.rsplit('/').next().unwrap_or(word);
    base == "spark-submit" || base.ends_with(".spark-submit")
}

/// The commands of a shell script: continuations joined, split at `&&`, `||`, `;`, `|`,
/// `&` and line ends (comments dropped); a redirection (`> log`, `2>&1`) is not a word of
/// its command.
pub(crate) fn shell_commands(script: &str) -> Result<Vec<Vec<String>>, LineError> {
    static REDIRECT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"^[0-9]*(?:>>?|<)(&[0-9-])?").expect("regex")
    });
    let script = join_continuations(script);
    let mut commands: Vec<Vec<String>> = vec![Vec::new()];
    for line in script.lines() {
        let mut skip_target = false;
        for word in shell_words(line)? {
            if std::mem::take(&mut skip_target) {
                continue;
            }
            let (word, ends) = match word.strip_suffix(';') {
                Some(w) if !w.is_empty() => (w.to_owned(), true),
                _ => (word, false),
            };
            if matches!(word.as_str(), "&&" | "||" | ";" | "|" | "&") {
                commands.push(Vec::new());
                continue;
            }
            let placeholder = word.starts_with('<') && word.ends_with('>');
            if let Some(m) = REDIRECT.find(&word).filter(|_| !placeholder) {
                // `>` alone names its file in the next word; `>log`, `2>&1` carry it.
                skip_target = m.end() == word.len() && !m.as_str().ends_with('1');
                continue;
            }
            commands.last_mut().expect("one at least").push(word);
            if ends {
                commands.push(Vec::new());
            }
        }
        commands.push(Vec::new());
    }
    commands.retain(|c| !c.is_empty());
    Ok(commands)
}

/// Joins backslash line continuations (also with stray blanks after the backslash).
pub(crate) fn join_continuations(text: &str) -> std::borrow::Cow<'_, str> {
    static CONTINUATION: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"\\[ \t]*\r?\n").expect("regex"));
    CONTINUATION.replace_all(text, " ")
}

/// Quotes what people write as one word although it holds blanks, outside quotes: a
/// `<placeholder with words>` and a `$(command substitution)`, so that the line splits as
/// its author meant it (the validation of what was imported then names the placeholder).
fn protect_spans(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let (mut single, mut double) = (false, false);
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        let close = match c {
            _ if single || double => None,
            '<' => Some('>'),
            '$' if rest[1..].starts_with('(') => Some(')'),
            _ => None,
        };
        if let Some(close) = close
            && let Some(end) = rest.find(close)
            && rest[..end].contains(char::is_whitespace)
            && !rest[..end].contains('\'')
        {
            out.push('\'');
            out.push_str(&rest[..=end]);
            out.push('\'');
            rest = &rest[end + 1..];
            continue;
        }
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            _ => {}
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Reads spark-submit settings (flags and `--conf` pairs) back into a SparkJob spec, through
/// the configuration table.
#[derive(Default)]
pub(crate) struct SubmitBuilder {
    pub(crate) spec: Map<String, Json>,
    /// Labels of both roles: the job's own.
    pub(crate) labels: Map<String, Json>,
    pub(crate) name: Option<String>,
    pub(crate) namespace: Option<String>,
    pub(crate) lost: Vec<String>,
    /// What sparkc derives itself, left out.
    pub(crate) dropped: Vec<String>,
    /// What was written in another form that keeps its meaning.
    pub(crate) changed: Vec<String>,
    /// A value already in `spec` wins over a later one (a manifest's field over its
    /// `sparkConf`); otherwise the last wins, as in spark-submit.
    pub(crate) keep_existing: bool,
    /// The driver container's own `imagePullPolicy`, when a native Job was read (the
    /// configuration's policy is the executors').
    pub(crate) driver_policy: Option<Json>,
    /// The target the job will have, when known before the settings are read: the keys
    /// it leaves to the user (Spark's GPU keys on the Kubeflow operator) stay in
    /// `sparkConf` as well.
    pub(crate) target: Option<&'static dyn target::Target>,
}

impl SubmitBuilder {
    /// What `spark.app.name` and `spark.kubernetes.namespace` said, against the object's
    /// own name and namespace: the same is no loss, a difference is.
    pub(crate) fn name_and_namespace(
        &mut self,
        metadata: &Map<String, Json>,
        at: &dyn Fn(&str) -> Vec<Seg>,
        lost: &mut Lost,
    ) {
        for (what, key, field, value) in [
            ("name", conf::APP_NAME.key, "name", self.name.take()),
            (
                "namespace",
                conf::NAMESPACE.key,
                "namespace",
                self.namespace.take(),
            ),
        ] {
            let Some(value) = value else { continue };
            let own = metadata.get(field).and_then(Json::as_str);
            if own == Some(value.as_str()) || (field == "namespace" && own.is_none()) {
                lost.drop_note((at(key), format!("the application's {what} is the job's")));
            } else if field == "name" {
                // sparkc names the application after the job (a managed key): what Spark
                // shows (its UI, the history server) changes, the objects do not.
                lost.drop_note((
                    at(key),
                    format!("`{key}` is `{value}`: sparkc names the application after the job, `{}`, which Spark then shows (its UI, the history server)", own.unwrap_or_default()),
                ));
            } else {
                lost.push((
                    at(key),
                    format!("`{key}` is `{value}`, but sparkc uses `metadata.{field}`"),
                ));
            }
        }
    }

    pub(crate) fn set(&mut self, path: &[&str], value: Json) {
        let Some((last, parents)) = path.split_last() else {
            return;
        };
        let mut node = &mut self.spec;
        for k in parents {
            let slot = node
                .entry((*k).to_owned())
                .or_insert_with(|| Json::Object(Map::new()));
            let Some(next) = slot.as_object_mut() else {
                self.lost.push(format!(
                    "`{}` is set twice, as a value and as a map",
                    path.join(".")
                ));
                return;
            };
            node = next;
        }
        match node.get(*last) {
            Some(old) if self.keep_existing => {
                if *old != value {
                    self.lost.push(format!(
                        "`spec.{}` is already {old}; the configuration's {value} is not used",
                        path.join(".")
                    ));
                }
            }
            _ => {
                node.insert((*last).to_owned(), value);
            }
        }
    }

    pub(crate) fn list(&mut self, path: &[&str], csv: &str) {
        let items: Vec<Json> = csv
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| json!(s.trim()))
            .collect();
        self.set(path, Json::Array(items));
    }

    fn int(&mut self, path: &[&str], v: &str, what: &str) {
        match v.parse::<i64>() {
            Ok(n) => self.set(path, json!(n)),
            // A fraction of a CPU, as the pre-upstream fork took it: Spark 3 reads the cores
            // as a whole number, and the pod's request carries the fraction.
            Err(_)
                if matches!(path, [_, "cores"])
                    && v.parse::<f64>().is_ok_and(|c| c.is_finite() && c > 0.0) =>
            {
                let request = [path[0], "coreRequest"];
                self.set(&request, json!(v));
                self.set(path, json!(1));
                self.changed.push(format!(
                    "{what} `{v}` as `{0}.coreRequest: \"{v}\"` and `{0}.cores: 1`: Spark reads the cores as a whole number",
                    path[0]
                ));
            }
            Err(_) => self
                .lost
                .push(format!("{what} `{v}` is not a whole number")),
        }
    }

    pub(crate) fn flag(&mut self, flag: &str, value: &str) {
        match flag {
            "--conf" | "-c" => match value.split_once('=') {
                Some((k, v)) => self.conf(k, v),
                None => self.lost.push(format!("`--conf {value}` has no `=`")),
            },
            _ => match conf::lookup_flag(flag) {
                Some(entry) => self.apply(entry, &format!("`{flag} {value}`"), None, value),
                None => self.lost.push(match conf::fork_replacement(flag) {
                    Some(instead) => fork_message(&format!("`{flag} {value}`"), instead),
                    None => format!("`{flag} {value}` (no SparkJob field)"),
                }),
            },
        }
    }

    /// One `--conf key=value`: into the field the table names, else into `sparkConf`.
    pub(crate) fn conf(&mut self, key: &str, v: &str) {
        if let Some(instead) = conf::fork_replacement(key) {
            self.lost
                .push(fork_message(&format!("`--conf {key}=…`"), instead));
            return;
        }
        match conf::lookup(key) {
            Some(entry) => {
                let rest =
                    (entry.pattern == conf::Pattern::Prefix).then(|| &key[entry.key.len()..]);
                self.apply(entry, &format!("`--conf {key}=…`"), rest, v);
            }
            None => self.set(&["sparkConf", key], json!(v)),
        }
    }

    /// Reads a value back into the field of its table entry.
    fn apply(&mut self, entry: &conf::Key, what: &str, rest: Option<&str>, v: &str) {
        if *entry == conf::MASTER {
            if v.starts_with("local") {
                // One JVM, no executors: nothing says what a cluster run would need.
                self.lost.push(format!(
                    "`--master {v}` runs in one process: give the executors' settings (`--num-executors`, `--executor-memory`) for a run on Kubernetes"
                ));
            } else if !v.starts_with("k8s://") {
                // A job moving from YARN or a standalone cluster: where it runs is what
                // sparkc decides.
                self.dropped
                    .push(format!("`--master {v}`: sparkc runs the job on Kubernetes"));
            }
            return;
        }
        if *entry == conf::DEPLOY_MODE {
            let mode = if v == "cluster" {
                Mode::Cluster
            } else {
                Mode::Client
            };
            self.set(&["target"], json!(target::id_text(target::for_mode(mode))));
            return;
        }
        if entry.pattern == conf::Pattern::Exact
            && self.target.is_some_and(|t| t.leaves_to_user(entry))
        {
            self.set(&["sparkConf", entry.key], json!(v));
            if matches!(entry.source, conf::Source::Derived(_)) {
                return;
            }
        }
        // What sparkc derives anyway, with the value it derives, is no loss.
        if (*entry == conf::GPU_DISCOVERY_SCRIPT && v == conf::GPU_DISCOVERY_SCRIPT_PATH)
            || (*entry == conf::DRIVER_TEMPLATE_CONTAINER && v == names::DRIVER_CONTAINER)
            || (*entry == conf::EXECUTOR_TEMPLATE_CONTAINER && v == names::EXECUTOR_CONTAINER)
        {
            return;
        }
        let path = match entry.source {
            conf::Source::Derived(why) => {
                let why = if why.is_empty() {
                    entry.instead()
                } else {
                    why.to_owned()
                };
                self.dropped.push(format!("{what}: {why}"));
                return;
            }
            conf::Source::Field("metadata.name") => {
                self.name = Some(v.to_owned());
                return;
            }
            conf::Source::Field("metadata.namespace") => {
                self.namespace = Some(v.to_owned());
                return;
            }
            conf::Source::Field(path) => path,
        };
        let mut segs: Vec<&str> = path.trim_start_matches("spec.").split('.').collect();
        match entry.value {
            conf::Value::Text => self.set(&segs, json!(v)),
            conf::Value::Int => self.int(&segs, v, what),
            conf::Value::Bool => self.set(&segs, json!(v == "true")),
            conf::Value::List => self.list(&segs, v),
            conf::Value::Millis => self.int(&segs, v.trim_end_matches("ms"), what),
            conf::Value::Map => {
                let Some(rest) = rest else { return };
                // Labels sparkc sets on every pod are not the job's own.
                let label = *entry == conf::DRIVER_LABEL || *entry == conf::EXECUTOR_LABEL;
                if label && names::sparkc_sets_label(rest) {
                    return;
                }
                segs.push(rest);
                self.set(&segs, json!(v));
            }
            conf::Value::SecretKeyRef => match (rest, v.split_once(':')) {
                (Some(rest), Some((name, key))) => {
                    segs.push(rest);
                    self.set(&segs, json!({"name": name, "key": key}));
                }
                _ => self
                    .lost
                    .push(format!("{what}: the value is not `secret-name:key`")),
            },
            conf::Value::GpuVendor => self.set(&segs, json!(format!("{v}/gpu"))),
            conf::Value::Manual => self.lost.push(format!("{what}: set {}", entry.instead())),
        }
    }

    /// What sparkc would derive anyway is not written back: the pull policy where it is
    /// sparkc's default (see [`settle_pull_policy`]), labels on both roles are the job's,
    /// and the driver's default service account is sparkc's own.
    pub(crate) fn finish(&mut self) {
        let client = self.target.is_some_and(|t| t.deploy_mode() == Mode::Client)
            || self.spec.get("target").and_then(Json::as_str)
                == Some(target::id_text(&target::native::Native).as_str());
        let driver = self.driver_policy.take();
        self.changed
            .extend(settle_pull_policy(&mut self.spec, client, driver));
        if let Some(Json::Object(gpu)) = self.spec.get("executor").and_then(|e| e.get("gpu"))
            && !gpu.contains_key("name")
        {
            self.lost.push(format!(
                "`--conf {}=…` without `{}`, which Spark needs on Kubernetes to name the pods' resource (`nvidia.com` for NVIDIA GPUs)",
                conf::GPU_AMOUNT.key,
                conf::GPU_VENDOR.key
            ));
            if let Some(Json::Object(e)) = self.spec.get_mut("executor") {
                e.remove("gpu");
            }
        }
        let role_labels = |spec: &Map<String, Json>, role: &str| {
            spec.get(role)
                .and_then(|r| r.get("labels"))
                .and_then(Json::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let driver = role_labels(&self.spec, "driver");
        let executor = role_labels(&self.spec, "executor");
        let common: Map<String, Json> = driver
            .iter()
            .filter(|(k, v)| executor.get(*k) == Some(v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (k, v) in &common {
            for role in ["driver", "executor"] {
                if let Some(labels) = self
                    .spec
                    .get_mut(role)
                    .and_then(|r| r.get_mut("labels"))
                    .and_then(Json::as_object_mut)
                {
                    labels.remove(k);
                }
            }
            self.labels.insert(k.clone(), v.clone());
        }
        for role in ["driver", "executor"] {
            if let Some(r) = self.spec.get_mut(role).and_then(Json::as_object_mut)
                && r.get("labels")
                    .and_then(Json::as_object)
                    .is_some_and(Map::is_empty)
            {
                r.remove("labels");
                if r.is_empty() {
                    self.spec.remove(role);
                }
            }
        }
        if let Some(name) = &self.name {
            let default = names::Names::new(name, "", "").service_account;
            if self.spec.get("serviceAccount").and_then(Json::as_str) == Some(&default) {
                self.spec.remove("serviceAccount");
            }
        }
    }
}

/// The pull policy of an imported spec, against what sparkc derives when the spec sets
/// none (Kubernetes' default for each role's image in client mode, where the driver
/// container is sparkc's; one policy for both roles in cluster mode). `spec.imagePullPolicy`
/// holds the source's policy of the pods Spark creates, if it set one; `driver` is a native
/// Job's driver container's own. A policy is written only where sparkc's default differs.
/// Spark's own default (`IfNotPresent` for every image) is not carried over; the note says
/// so when sparkc's differs. Returns the notes of what changes.
pub(crate) fn settle_pull_policy(
    spec: &mut Map<String, Json>,
    client: bool,
    driver: Option<Json>,
) -> Vec<String> {
    use crate::project::spec::default_pull_policy;
    let image = |role: &str| {
        spec.get(role)
            .and_then(|r| r.get("image"))
            .or_else(|| spec.get("image"))
            .and_then(Json::as_str)
            .map(str::to_owned)
    };
    let (driver_image, executor_image) = (image("driver"), image("executor"));
    let policy = |images: &[&Option<String>]| {
        json!(default_pull_policy(
            images.iter().filter_map(|i| i.as_deref())
        ))
    };
    let derived = if client {
        (policy(&[&driver_image]), policy(&[&executor_image]))
    } else {
        let both = policy(&[&driver_image, &executor_image]);
        (both.clone(), both)
    };
    let explicit = spec.remove("imagePullPolicy");
    let mut notes = Vec::new();
    // The image that makes Spark's pods `Always` (a placeholder or variable is no image:
    // validate says so itself).
    let pulled_always = [&executor_image, &driver_image]
        .into_iter()
        .take(if client { 1 } else { 2 })
        .flatten()
        .find(|i| crate::rules::image_ok(i) && crate::project::spec::pulled_always_by_default(i));
    if explicit.is_none()
        && let Some(image) = pulled_always
    {
        notes.push(format!(
            "no image pull policy: Spark pulls every image `IfNotPresent`; sparkc pulls `{image}` `Always`, as Kubernetes does for an untagged or `:latest` image (set `imagePullPolicy: IfNotPresent` to keep Spark's)"
        ));
    }
    let executors = explicit.clone().unwrap_or_else(|| derived.1.clone());
    let driver = if client {
        driver.unwrap_or_else(|| derived.0.clone())
    } else {
        executors.clone()
    };
    if (&driver, &executors) == (&derived.0, &derived.1) {
        return notes;
    }
    if driver == executors {
        spec.insert("imagePullPolicy".into(), driver);
        return notes;
    }
    // sparkc has one policy for both roles: an explicit one of Spark's pods wins.
    let text = |p: &Json| p.as_str().unwrap_or_default().to_owned();
    let (kept, role, lost) = if explicit.is_some() {
        (text(&executors), "driver container", text(&driver))
    } else {
        (text(&driver), "executors", text(&executors))
    };
    notes.push(format!(
        "the driver container and the executors pull with different policies; sparkc writes one for both roles, `imagePullPolicy: {kept}`, so the {role} pulls `{kept}` instead of `{lost}`"
    ));
    spec.insert("imagePullPolicy".into(), json!(kept));
    notes
}

/// A SparkJob document as text: `apiVersion`, `kind`, `metadata`, `spec` in that order.
pub fn to_text(job: &Imported) -> String {
    let mut out = format!(
        "# Imported from {} by `sparkc import`.\napiVersion: {API_VERSION}\nkind: SparkJob\n",
        job.source
    );
    for section in ["metadata", "spec"] {
        if let Some(v) = job.job.get(section) {
            out.push_str(section);
            out.push_str(":\n");
            for line in yaml::to_yaml(v).lines() {
                if line.is_empty() {
                    out.push('\n');
                } else {
                    out.push_str("  ");
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        shell_words(line).unwrap()
    }

    #[test]
    fn wrapped_commands_are_unwrapped_outermost_first() {
        let (cmd, wrappers) = unwrap_command(words(
            "kubectl run -n default -i app --restart=Never -- $SPARK_HOME/bin/spark-submit --master k8s://x a.jar",
        ));
        assert_eq!(cmd[0], "$SPARK_HOME/bin/spark-submit");
        assert_eq!(
            wrappers,
            ["kubectl run -n default -i app --restart=Never --"]
        );
        let line = r#"CMD="kubectl exec c -- bash -c \"SPARK_USER=x /opt/spark/bin/spark-submit --name a b.py 1\"""#;
        let (cmd, wrappers) = unwrap_command(words(line));
        assert_eq!(
            cmd,
            [
                "SPARK_USER=x",
                "/opt/spark/bin/spark-submit",
                "--name",
                "a",
                "b.py",
                "1"
            ]
        );
        assert_eq!(wrappers, [r#"CMD="…""#, r#"kubectl exec c -- bash -c "…""#]);
        // A prompt and environment assignments are not wrappers.
        let (cmd, wrappers) = unwrap_command(words("$ A=1 ./bin/spark-submit x.py"));
        assert_eq!(cmd.len(), 4);
        assert!(wrappers.is_empty());
        // Nothing to unwrap: the words as they were.
        assert_eq!(unwrap_command(words("echo hi")).0, ["echo", "hi"]);
    }

    #[test]
    fn job_names_from_application_names() {
        assert_eq!(job_name_for("SparkPi").as_deref(), Some("spark-pi"));
        assert_eq!(
            job_name_for("Word Count_2").as_deref(),
            Some("word-count-2")
        );
        assert_eq!(job_name_for("etl-daily").as_deref(), Some("etl-daily"));
        assert_eq!(job_name_for("2024 report").as_deref(), Some("report"));
        assert_eq!(job_name_for("$POD_NAME"), None);
        assert_eq!(job_name_for("---"), None);
    }

    #[test]
    fn words_are_located_at_their_line_and_column() {
        let text = "spark-submit \\\n  --conf spark.a=1 \\\n  --conf spark.a=2 x.py\n";
        let first = locate_in(text, "spark.a", false).unwrap();
        let last = locate_in(text, "spark.a", true).unwrap();
        assert_eq!((first.line, first.column, first.len), (2, 10, 7));
        assert_eq!((last.line, last.column), (3, 10));
        assert!(locate_in(text, "absent", false).is_none());
    }

    #[test]
    fn placeholders_and_substitutions_with_blanks_stay_one_word() {
        let line = r#"--conf a=<driver image> --master k8s://https://$(minikube ip):8443 "<kept as is>" x<y>"#;
        let words = shlex::split(&protect_spans(line)).unwrap();
        assert_eq!(
            words,
            [
                "--conf",
                "a=<driver image>",
                "--master",
                "k8s://https://$(minikube ip):8443",
                "<kept as is>",
                "x<y>"
            ]
        );
    }
}
