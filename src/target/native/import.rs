//! Reading hand-written native setups back (`sparkc import`): a Pod, Job, CronJob or
//! Deployment whose container runs spark-submit, with the Services, ConfigMaps
//! (`spark-defaults.conf`, the executor pod template) and RBAC objects of the same file,
//! becomes one `target: native` SparkJob. This module owns reading such a setup and
//! finding its mistakes (names that do not meet, a selector that misses the driver, ports,
//! the pod name, RBAC, placeholders); each is reported at its line with what sparkc renders
//! instead. The spark-submit line goes through the same reader and configuration table as
//! every other import.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as Json, json};

use crate::diagnostic::Diagnostic;
use crate::import::{self, Imported, LineError, Lost, Outcome, SubmitBuilder};
use crate::names::{self, Names};
use crate::project::spec::API_VERSION;
use crate::project::yaml::{Node, Pos, Seg, path_string};
use crate::spark::conf;

/// The kinds of workload whose pod may run the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Workload {
    Pod,
    Job,
    CronJob,
    Deployment,
}

impl Workload {
    fn of(api: &str, kind: &str) -> Option<Self> {
        match (api, kind) {
            ("v1", "Pod") => Some(Workload::Pod),
            ("batch/v1", "Job") => Some(Workload::Job),
            ("batch/v1" | "batch/v1beta1", "CronJob") => Some(Workload::CronJob),
            ("apps/v1", "Deployment") => Some(Workload::Deployment),
            _ => None,
        }
    }

    /// Where its pod template is (`metadata` and `spec` under it).
    fn template(self) -> &'static [&'static str] {
        match self {
            Workload::Pod => &[],
            Workload::Job | Workload::Deployment => &["spec", "template"],
            Workload::CronJob => &["spec", "jobTemplate", "spec", "template"],
        }
    }
}

fn segs(path: &[&str]) -> Vec<Seg> {
    path.iter().map(|k| Seg::Key((*k).to_owned())).collect()
}

fn with(base: &[Seg], more: &[Seg]) -> Vec<Seg> {
    let mut p = base.to_vec();
    p.extend_from_slice(more);
    p
}

fn str_of<'a>(v: &'a Json, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Json::as_str)
}

fn string_map(v: Option<&Json>) -> BTreeMap<String, String> {
    v.and_then(Json::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One document of the file.
struct Doc<'a> {
    index: usize,
    node: &'a Node,
    json: Json,
}

impl Doc<'_> {
    fn kind(&self) -> &str {
        str_of(&self.json, "kind").unwrap_or_default()
    }
    fn api(&self) -> &str {
        str_of(&self.json, "apiVersion").unwrap_or_default()
    }
    fn name(&self) -> &str {
        self.json
            .pointer("/metadata/name")
            .and_then(Json::as_str)
            .unwrap_or_default()
    }
    fn is(&self, kind: &str) -> bool {
        self.kind() == kind
    }
    /// The position of a path in it (its nearest ancestor's when it is missing).
    fn pos(&self, path: &[Seg]) -> Pos {
        self.node.pos_of(path).0
    }
}

/// Where a variable of the driver container's environment comes from.
#[derive(Debug, Clone, PartialEq)]
enum EnvValue {
    Literal(String),
    /// The downward API (`fieldRef`): the field path.
    Field(String),
    /// A Secret, or a ConfigMap these files do not hold.
    Elsewhere,
}

/// One setting of the Spark configuration, with where it was written.
#[derive(Debug, Clone)]
struct Setting {
    key: String,
    /// As spark-submit reads it: `--conf` with `key=value`, or another flag.
    flag: String,
    value: String,
    pos: Pos,
    /// The field it was written in (for messages).
    path: String,
    /// From `spark-defaults.conf` (which Spark reads as it is: no variables).
    from_file: bool,
}

/// A file in the driver container that a ConfigMap of these files provides.
struct Provided<'d> {
    doc: &'d Doc<'d>,
    key: String,
    /// The volume that mounts it.
    volume: String,
}

/// What one import of a setup produces besides the job.
struct Reading<'d> {
    file: &'d str,
    docs: &'d [Doc<'d>],
    diags: Vec<Diagnostic>,
    /// Documents the job carries (sparkc renders their equivalent).
    used: BTreeSet<usize>,
    /// The keys read from each ConfigMap.
    read: BTreeMap<usize, BTreeSet<String>>,
}

impl Reading<'_> {
    /// A mistake of the hand-written setup: what is wrong, and what sparkc renders.
    fn mistake(&mut self, code: &'static str, pos: Pos, path: &str, what: String, instead: &str) {
        self.diags.push(
            Diagnostic::warning(code, self.file, Some(pos))
                .path(path)
                .message(what)
                .hint(format!("sparkc renders {instead}")),
        );
    }

    fn lost(&mut self, pos: Pos, path: &str, why: String) {
        let mut lost = Lost::default();
        lost.push((Vec::new(), why));
        self.report(pos, path, lost);
    }

    fn dropped(&mut self, pos: Pos, path: &str, why: String) {
        let mut lost = Lost::default();
        lost.drop_note((Vec::new(), why));
        self.report(pos, path, lost);
    }

    fn report(&mut self, pos: Pos, path: &str, lost: Lost) {
        let mut out = Vec::new();
        import::report(self.file, lost, &|_| Some(pos), &mut out);
        for d in out {
            self.diags
                .push(if path.is_empty() { d } else { d.path(path) });
        }
    }
}

/// Imports the native setups among a file's documents: one job per workload whose
/// container runs spark-submit. Returns the indexes of the documents it read (the
/// others are left to the other importers).
pub(crate) fn import(file: &str, nodes: &[Node], out: &mut Outcome) -> BTreeSet<usize> {
    let docs: Vec<Doc<'_>> = nodes
        .iter()
        .enumerate()
        .map(|(index, node)| Doc {
            index,
            node,
            json: node.to_json(),
        })
        .collect();
    let mut drivers = Vec::new();
    let mut idle = Vec::new();
    for doc in &docs {
        let Some(kind) = Workload::of(doc.api(), doc.kind()) else {
            continue;
        };
        let base = segs(kind.template());
        let containers = doc
            .json
            .pointer(&format!("{}/spec/containers", pointer(kind.template())))
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default();
        let found = containers
            .iter()
            .enumerate()
            .find(|(_, c)| runs_submit(c).is_some());
        match found {
            Some((i, _)) => drivers.push((doc, kind, base, i)),
            None => idle.push(doc),
        }
    }
    let mut used = BTreeSet::new();
    for doc in idle {
        out.diagnostics.push(
            Diagnostic::warning("import-skipped", file, Some(doc.node.pos))
                .message(format!(
                    "skipped the {} `{}`: none of its containers runs spark-submit",
                    doc.kind(),
                    doc.name()
                ))
                .hint("keep it in Git as it is, beside the rendered tree"),
        );
        used.insert(doc.index);
    }
    if drivers.is_empty() {
        return used;
    }
    let alone = drivers.len() == 1;
    for (doc, kind, base, container) in &drivers {
        let mut r = Reading {
            file,
            docs: &docs,
            diags: Vec::new(),
            used: BTreeSet::from([doc.index]),
            read: BTreeMap::new(),
        };
        if let Some(job) = read_setup(&mut r, doc, *kind, base, *container, alone) {
            let name = job
                .pointer("/metadata/name")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_owned();
            let source = if nodes.len() > 1 {
                format!("{file}#{}", doc.index + 1)
            } else {
                file.to_owned()
            };
            out.jobs.push(Imported { name, job, source });
        }
        out.diagnostics.append(&mut r.diags);
        used.extend(r.used);
    }
    // What the setups did not use: ConfigMaps and Services that no driver reads, RBAC for
    // other accounts. They stay as they are, beside the rendered tree.
    for doc in &docs {
        let native = matches!(
            doc.kind(),
            "Service"
                | "ConfigMap"
                | "ServiceAccount"
                | "Role"
                | "RoleBinding"
                | "ClusterRole"
                | "ClusterRoleBinding"
        );
        if native && !used.contains(&doc.index) {
            out.diagnostics.push(
                Diagnostic::warning("import-skipped", file, Some(doc.node.pos))
                    .message(format!(
                        "skipped the {} `{}`: no driver of these files uses it, and sparkc does not render it",
                        doc.kind(),
                        doc.name()
                    ))
                    .hint("keep it in Git as it is, beside the rendered tree"),
            );
            used.insert(doc.index);
        }
    }
    used
}

fn pointer(path: &[&str]) -> String {
    path.iter().map(|p| format!("/{p}")).collect()
}

/// Whether a container runs spark-submit: its command and arguments, and where they are.
fn runs_submit(container: &Json) -> Option<(&'static str, Vec<String>)> {
    let words = |k: &str| -> Vec<String> {
        container
            .get(k)
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .map(|w| w.as_str().map_or_else(|| w.to_string(), str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (command, args) = (words("command"), words("args"));
    let mentions = |ws: &[String]| ws.iter().any(|w| w.contains("spark-submit"));
    let field = if mentions(&args) {
        "args"
    } else if mentions(&command) {
        "command"
    } else {
        return None;
    };
    let mut all = command;
    all.extend(args);
    Some((field, all))
}

/// Whether a word is a shell (`sh`, `/bin/bash`, ...).
fn is_shell(word: &str) -> bool {
    matches!(
        word.rsplit('/').next().unwrap_or(word),
        "sh" | "bash" | "ash" | "dash" | "zsh" | "ksh"
    )
}

/// The spark-submit words of a container's command, after the kubelet's `$(VAR)`
/// expansion (and, in a shell line, the shell's `$VAR` from the container's own
/// environment), and the other commands of a shell line.
/// The words of a container's spark-submit command.
struct Command {
    words: Vec<String>,
    /// Where the first word is among the command and arguments (`None` in a shell line).
    offset: Option<usize>,
    /// The other commands of a shell line.
    others: Vec<String>,
    /// The shell line's index among the command and arguments.
    script: Option<usize>,
}

fn submit_words(
    all: &[String],
    vars: &dyn Fn(&str) -> Option<String>,
) -> Result<Command, LineError> {
    let expanded: Vec<String> = all.iter().map(|w| names::kubelet_expand(w, vars)).collect();
    let shell = expanded.iter().enumerate().find_map(|(i, w)| {
        let flag = w.starts_with('-') && !w.starts_with("--") && w.ends_with('c');
        (flag && i > 0 && is_shell(&expanded[i - 1])).then_some(i + 1)
    });
    let Some(script) = shell.and_then(|i| expanded.get(i)) else {
        let start = expanded
            .iter()
            .position(|w| w.rsplit('/').next() == Some("spark-submit"))
            .unwrap_or(0);
        return Ok(Command {
            words: expanded[start..].to_vec(),
            offset: Some(start),
            others: Vec::new(),
            script: None,
        });
    };
    let script_index = shell;
    static SHELL_VAR: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
            .expect("regex")
    });
    let script = import::join_continuations(script);
    let script = SHELL_VAR.replace_all(&script, |c: &regex::Captures<'_>| {
        let name = c.get(1).or_else(|| c.get(2)).map_or("", |m| m.as_str());
        vars(name).unwrap_or_else(|| c[0].to_owned())
    });
    let mut commands: Vec<Vec<String>> = vec![Vec::new()];
    for line in script.lines() {
        for word in import::shell_words(line)? {
            let (word, ends) = match word.strip_suffix(';') {
                Some(w) if !w.is_empty() => (w.to_owned(), true),
                _ => (word, false),
            };
            if matches!(word.as_str(), "&&" | "||" | ";" | "|" | "&") {
                commands.push(Vec::new());
                continue;
            }
            commands.last_mut().expect("one at least").push(word);
            if ends {
                commands.push(Vec::new());
            }
        }
        commands.push(Vec::new());
    }
    let mut submit = None;
    let mut others = Vec::new();
    for c in commands.into_iter().filter(|c| !c.is_empty()) {
        if submit.is_none() && c.iter().any(|w| w.ends_with("spark-submit")) {
            submit = Some(c);
        } else if !matches!(c[0].as_str(), "set" | "echo") {
            others.push(c.join(" "));
        }
    }
    Ok(Command {
        words: submit.unwrap_or_default(),
        offset: None,
        others,
        script: script_index,
    })
}

/// The placeholders of a text: `${VAR}` and `$(VAR)`.
fn placeholders(text: &str) -> Vec<String> {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$\([A-Za-z_][A-Za-z0-9_]*\)")
            .expect("regex")
    });
    RE.find_iter(text).map(|m| m.as_str().to_owned()).collect()
}

/// Every string of a node with its path (for placeholders).
fn strings<'n>(node: &'n Node, path: &mut Vec<Seg>, out: &mut Vec<(Vec<Seg>, &'n Node)>) {
    use crate::project::yaml::Value;
    match &node.value {
        Value::Str(_) => out.push((path.clone(), node)),
        Value::Seq(items) => {
            for (i, n) in items.iter().enumerate() {
                path.push(Seg::Index(i));
                strings(n, path, out);
                path.pop();
            }
        }
        Value::Map(m) => {
            for (k, v) in m.entries() {
                path.push(Seg::Key(k.key_string().unwrap_or_default()));
                strings(v, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Settings of a `spark-defaults.conf` text (Java properties as Spark reads them), each at
/// its line: `base` is where the text starts in the file.
fn properties(text: &str, base: Pos, path: &str) -> Vec<Setting> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let split = line
            .find(|c: char| c.is_whitespace() || c == '=' || c == ':')
            .unwrap_or(line.len());
        let key = line[..split].to_owned();
        let value = line[split..]
            .trim_start()
            .trim_start_matches(['=', ':'])
            .trim()
            .to_owned();
        let indent = raw.len() - raw.trim_start().len();
        out.push(Setting {
            flag: "--conf".to_owned(),
            value: format!("{key}={value}"),
            key,
            pos: Pos::new(
                base.line + u32::try_from(i).unwrap_or(0),
                base.column + u32::try_from(indent).unwrap_or(0),
            ),
            path: path.to_owned(),
            from_file: true,
        });
    }
    out
}

/// Everything about the driver's pod that the import reads, found once.
struct Pod<'d> {
    doc: &'d Doc<'d>,
    kind: Workload,
    /// Path to the pod template (`metadata`, `spec` under it).
    base: Vec<Seg>,
    spec: Map<String, Json>,
    labels: BTreeMap<String, String>,
    container: usize,
    env: BTreeMap<String, EnvValue>,
}

impl Pod<'_> {
    fn spec_path(&self, more: &[&str]) -> Vec<Seg> {
        with(&self.base, &segs(&[&["spec"][..], more].concat()))
    }
    fn container_path(&self, more: &[&str]) -> Vec<Seg> {
        let mut p = self.spec_path(&["containers"]);
        p.push(Seg::Index(self.container));
        p.extend(segs(more));
        p
    }
    fn container(&self) -> Map<String, Json> {
        self.spec
            .get("containers")
            .and_then(|c| c.get(self.container))
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_default()
    }
    /// The name of the pod: fixed for a bare Pod, generated for the others.
    fn fixed_name(&self) -> Option<&str> {
        (self.kind == Workload::Pod).then(|| self.doc.name())
    }
    /// The file a path in the driver container names, when a ConfigMap of these files
    /// holds it (through a mounted volume).
    fn provided<'a>(&self, docs: &'a [Doc<'a>], file: &str) -> Result<Provided<'a>, String> {
        let file = file.trim_start_matches("file://");
        let container = self.container();
        let mounts = container
            .get("volumeMounts")
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default();
        for m in &mounts {
            let (Some(volume), Some(path)) = (str_of(m, "name"), str_of(m, "mountPath")) else {
                continue;
            };
            let rel = match str_of(m, "subPath") {
                Some(sub) if path == file => sub.to_owned(),
                Some(_) => continue,
                None => match file.strip_prefix(path.trim_end_matches('/')) {
                    Some(rest) if rest.starts_with('/') => rest[1..].to_owned(),
                    _ => continue,
                },
            };
            let Some(source) = self
                .spec
                .get("volumes")
                .and_then(Json::as_array)
                .and_then(|vs| vs.iter().find(|v| str_of(v, "name") == Some(volume)))
                .and_then(|v| v.get("configMap"))
            else {
                return Err(format!(
                    "`{file}` is on the volume `{volume}`, which is not a ConfigMap"
                ));
            };
            let cm = str_of(source, "name").unwrap_or_default();
            let key = source
                .get("items")
                .and_then(Json::as_array)
                .and_then(|items| {
                    items
                        .iter()
                        .find(|i| str_of(i, "path") == Some(rel.as_str()))
                        .and_then(|i| str_of(i, "key"))
                })
                .unwrap_or(&rel)
                .to_owned();
            return match docs.iter().find(|d| d.is("ConfigMap") && d.name() == cm) {
                Some(doc)
                    if doc
                        .json
                        .pointer(&format!(
                            "/data/{}",
                            key.replace('~', "~0").replace('/', "~1")
                        ))
                        .is_some() =>
                {
                    Ok(Provided {
                        doc,
                        key,
                        volume: volume.to_owned(),
                    })
                }
                Some(_) => Err(format!("the ConfigMap `{cm}` has no key `{key}`")),
                None => Err(format!(
                    "`{file}` is in the ConfigMap `{cm}`, which these files do not hold"
                )),
            };
        }
        Err(format!("no volume of the driver container holds `{file}`"))
    }
}

/// The driver container's environment: literal values, the downward API, and ConfigMaps of
/// these files (`configMapKeyRef`, `envFrom`).
fn environment(container: &Map<String, Json>, docs: &[Doc<'_>]) -> BTreeMap<String, EnvValue> {
    let config_map = |name: &str| docs.iter().find(|d| d.is("ConfigMap") && d.name() == name);
    let mut env = BTreeMap::new();
    for from in container
        .get("envFrom")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(cm) = from.pointer("/configMapRef/name").and_then(Json::as_str)
            && let Some(doc) = config_map(cm)
        {
            let prefix = str_of(from, "prefix").unwrap_or_default();
            for (k, v) in string_map(doc.json.get("data")) {
                env.insert(format!("{prefix}{k}"), EnvValue::Literal(v));
            }
        }
    }
    for var in container
        .get("env")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let Some(name) = str_of(var, "name") else {
            continue;
        };
        let value = if let Some(v) = str_of(var, "value") {
            EnvValue::Literal(v.to_owned())
        } else if let Some(f) = var
            .pointer("/valueFrom/fieldRef/fieldPath")
            .and_then(Json::as_str)
        {
            EnvValue::Field(f.to_owned())
        } else if let Some(r) = var.pointer("/valueFrom/configMapKeyRef") {
            config_map(str_of(r, "name").unwrap_or_default())
                .and_then(|d| {
                    d.json
                        .pointer(&format!("/data/{}", str_of(r, "key").unwrap_or_default()))
                })
                .and_then(Json::as_str)
                .map_or(EnvValue::Elsewhere, |v| EnvValue::Literal(v.to_owned()))
        } else {
            EnvValue::Elsewhere
        };
        env.insert(name.to_owned(), value);
    }
    env
}

/// Reads one setup: the job, or `None` when its command cannot be read.
#[allow(clippy::too_many_lines)]
fn read_setup(
    r: &mut Reading<'_>,
    doc: &Doc<'_>,
    kind: Workload,
    base: &[Seg],
    container: usize,
    alone: bool,
) -> Option<Json> {
    let docs = r.docs;
    let spec = doc
        .json
        .pointer(&format!("{}/spec", pointer(kind.template())))
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    let labels = string_map(
        doc.json
            .pointer(&format!("{}/metadata/labels", pointer(kind.template()))),
    );
    let mut pod = Pod {
        doc,
        kind,
        base: base.to_vec(),
        spec,
        labels,
        container,
        env: BTreeMap::new(),
    };
    let c = pod.container();
    pod.env = environment(&c, docs);
    let (field, all) = runs_submit(&Json::Object(c.clone()))?;
    let at = pod.container_path(&[field]);
    let at_pos = doc.pos(&at);
    let at_path = path_string(&at);
    // Where each word of the command and arguments is.
    let command_len = c
        .get("command")
        .and_then(Json::as_array)
        .map_or(0, Vec::len);
    let word_at = |i: usize| {
        let path = if i < command_len {
            with(&pod.container_path(&["command"]), &[Seg::Index(i)])
        } else {
            with(
                &pod.container_path(&["args"]),
                &[Seg::Index(i - command_len)],
            )
        };
        (doc.pos(&path), path_string(&path))
    };
    let env = pod.env.clone();
    let vars = |name: &str| match env.get(name) {
        Some(EnvValue::Literal(v)) => Some(v.clone()),
        _ => None,
    };
    let command = match submit_words(&all, &vars) {
        Ok(w) => w,
        Err(e) => {
            r.diags
                .push(e.diagnostic(r.file, Some(at_pos)).path(at_path));
            return None;
        }
    };
    let (at_pos, at_path) = command.script.map_or((at_pos, at_path), word_at);
    for other in &command.others {
        r.lost(
            at_pos,
            &at_path,
            format!("the shell line also runs `{other}`, which has no SparkJob field"),
        );
    }
    let words = command.words.clone();
    let line = match import::read_line(words.clone()) {
        Ok(line) => line,
        Err(e) => {
            r.diags
                .push(e.diagnostic(r.file, Some(at_pos)).path(at_path));
            return None;
        }
    };
    // Variables are named once, by `report_placeholders`, at the word they are in.
    r.diags.extend(
        line.findings(r.file, Some(at_pos), &|_| true)
            .into_iter()
            .map(|d| d.path(at_path.clone())),
    );
    // Each flag at its word (in a shell line, at the line).
    let mut cursor = 0;
    let mut flag_at = |flag: &str| -> (Pos, String) {
        let Some(offset) = command.offset else {
            return (at_pos, at_path.clone());
        };
        match words[cursor..]
            .iter()
            .position(|w| w == flag || w.starts_with(&format!("{flag}=")))
        {
            Some(k) => {
                let i = cursor + k;
                // At the value when it is a word of its own.
                let value = usize::from(words[i] == flag && i + 1 < words.len());
                cursor = i + 1 + value;
                word_at(offset + i + value)
            }
            None => (at_pos, at_path.clone()),
        }
    };

    // The settings: spark-defaults.conf (or --properties-file) first, then the flags.
    let mut settings: Vec<Setting> = Vec::new();
    let flags: Vec<Setting> = line
        .flags
        .iter()
        .map(|(flag, value)| {
            let (pos, path) = flag_at(flag);
            Setting {
                key: import::flag_key(flag, value),
                flag: flag.clone(),
                value: value.clone(),
                pos,
                path,
                from_file: false,
            }
        })
        .collect();
    let properties_file = flags
        .iter()
        .rfind(|s| s.flag == "--properties-file")
        .map(|s| s.value.clone());
    let conf_dir = match env.get("SPARK_CONF_DIR") {
        Some(EnvValue::Literal(d)) => d.clone(),
        _ => {
            let home = match env.get("SPARK_HOME") {
                Some(EnvValue::Literal(h)) => h.clone(),
                _ => "/opt/spark".to_owned(),
            };
            format!("{}/conf", home.trim_end_matches('/'))
        }
    };
    let defaults_file = properties_file
        .clone()
        .unwrap_or_else(|| format!("{}/spark-defaults.conf", conf_dir.trim_end_matches('/')));
    let mut managed_volumes: BTreeSet<String> = BTreeSet::new();
    match pod.provided(docs, &defaults_file) {
        Ok(p) => {
            let value_path = segs(&["data", &p.key]);
            let node = p.doc.node.locate(&value_path).ok();
            let text = node.and_then(Node::as_str).unwrap_or_default();
            let base = node.map_or(p.doc.node.pos, |n| n.pos);
            settings.extend(properties(text, base, &path_string(&value_path)));
            r.used.insert(p.doc.index);
            managed_volumes.insert(p.volume.clone());
            r.read.entry(p.doc.index).or_default().insert(p.key.clone());
        }
        Err(why) if properties_file.is_some() => r.lost(
            at_pos,
            &at_path,
            format!(
                "`--properties-file {defaults_file}`: {why}, so its settings are not carried over"
            ),
        ),
        Err(_) => {}
    }
    settings.extend(flags.into_iter().filter(|s| s.flag != "--properties-file"));
    let effective: BTreeMap<String, Setting> = settings
        .iter()
        .map(|s| (s.key.clone(), s.clone()))
        .collect();
    let setting = |key: &str| effective.get(key);

    // The job's name and namespace.
    let value_of = |s: &Setting| {
        if s.flag == "--conf" {
            s.value
                .split_once('=')
                .map_or(String::new(), |(_, v)| v.trim().to_owned())
        } else {
            s.value.clone()
        }
    };
    let app_name = setting(conf::APP_NAME.key).map(value_of);
    let name = app_name
        .clone()
        .filter(|n| crate::rules::is_dns1035(n))
        .unwrap_or_else(|| doc.name().to_owned());
    let namespace = doc
        .json
        .pointer("/metadata/namespace")
        .and_then(Json::as_str)
        .map(str::to_owned)
        .or_else(|| setting(conf::NAMESPACE.key).map(value_of));
    let ours = Names::new(&name, namespace.as_deref().unwrap_or("<namespace>"), "");

    // Settings into the spec, through the table; the executor pod template is read here.
    let mut b = SubmitBuilder::default();
    let mut executor_template: Option<(Json, &Doc<'_>, Pos)> = None;
    for s in &settings {
        if s.from_file {
            for p in placeholders(&s.value) {
                r.mistake(
                    "import-placeholder",
                    s.pos,
                    &s.path,
                    format!(
                        "`{}` holds `{p}`, which Spark does not expand in spark-defaults.conf: the driver reads it as it is written",
                        s.key
                    ),
                    "the settings into the driver's command line; write the value itself (or an environment's override of `sparkConf`)",
                );
            }
        }
        if s.key == conf::EXECUTOR_POD_TEMPLATE.key {
            let file = value_of(s);
            match pod.provided(docs, &file) {
                Ok(p) => {
                    let node = p.doc.node.locate(&segs(&["data", &p.key])).ok();
                    let text = node.and_then(Node::as_str).unwrap_or_default();
                    match crate::project::yaml::parse_values(text) {
                        Ok(mut v) if v.len() == 1 && v[0].is_object() => {
                            executor_template =
                                Some((v.remove(0), p.doc, node.map_or(p.doc.node.pos, |n| n.pos)));
                        }
                        _ => r.lost(
                            s.pos,
                            &s.path,
                            format!("the executor pod template `{file}` is not one YAML mapping"),
                        ),
                    }
                    r.used.insert(p.doc.index);
                    managed_volumes.insert(p.volume.clone());
                    r.read.entry(p.doc.index).or_default().insert(p.key.clone());
                    r.dropped(
                        s.pos,
                        &s.path,
                        format!("`{}`: sparkc writes and mounts the executor pod template from `spec.executor`", s.key),
                    );
                }
                Err(why) => r.lost(
                    s.pos,
                    &s.path,
                    format!("the executor pod template `{file}`: {why}, so its settings are not carried over"),
                ),
            }
            continue;
        }
        let (lost, dropped) = (b.lost.len(), b.dropped.len());
        if s.flag == "--conf" {
            let (k, v) = s.value.split_once('=').unwrap_or((s.value.as_str(), ""));
            b.conf(k.trim(), v.trim());
        } else {
            b.flag(&s.flag, &s.value);
        }
        let mut left = Lost::default();
        for why in b.lost.drain(lost..) {
            left.push((Vec::new(), why));
        }
        for why in b.dropped.drain(dropped..) {
            left.drop_note((Vec::new(), why));
        }
        r.report(s.pos, &s.path, left);
    }
    line.application(&mut b);
    b.spec.insert(
        "target".into(),
        json!(crate::target::id_text(&super::Native)),
    );
    if let Some(ns) = b.namespace.take()
        && let Some(s) = setting(conf::NAMESPACE.key)
    {
        let own = namespace.as_deref().unwrap_or_default();
        if ns == own || !placeholders(&ns).is_empty() {
            r.dropped(s.pos, &s.path, format!("`{}`: the job's namespace is the pod's, `{own}`", s.key));
        } else {
            r.lost(
                s.pos,
                &s.path,
                format!("`{}` is `{ns}`, but the pod runs in `{own}`: sparkc uses the pod's namespace", s.key),
            );
        }
    }
    b.name = Some(name.clone());

    // The mistakes the names, the Service and the ports make.
    check_pod_name(
        r,
        &pod,
        setting(conf::DRIVER_POD_NAME.key),
        at_pos,
        &at_path,
    );
    let executor_labels = executor_labels(executor_template.as_ref().map(|t| &t.0), &effective);
    let services = services(r, &pod, setting(conf::DRIVER_HOST.key), alone);
    check_host(
        r,
        &pod,
        setting(conf::DRIVER_HOST.key),
        &services,
        &ours,
        at_pos,
        &at_path,
    );
    for svc in &services {
        check_service(r, svc, &pod, &executor_labels, &effective, &ours);
        r.used.insert(svc.index);
    }

    // The driver pod and container.
    let container_json = pod.container();
    driver_fields(r, &mut b, &pod, &container_json, &managed_volumes);
    if let Some((template, tdoc, tpos)) = &executor_template {
        executor_fields(r, &mut b, template, tdoc, *tpos);
    }
    workload_fields(r, &mut b, &pod);
    rbac(r, &mut b, &pod, &name, &ours);

    b.finish();
    let mut metadata = import::job_metadata(&doc.json, &mut Lost::default());
    metadata.insert("name".into(), json!(name));
    if let Some(ns) = &namespace {
        metadata.insert("namespace".into(), json!(ns));
    }
    if !b.labels.is_empty()
        && let Json::Object(labels) = metadata
            .entry("labels")
            .or_insert_with(|| Json::Object(Map::new()))
    {
        labels.extend(std::mem::take(&mut b.labels));
    }
    if let Some(Json::Object(labels)) = metadata.get_mut("labels") {
        labels.retain(|k, _| !names::sparkc_sets_label(k));
    }
    for why in b.lost.drain(..) {
        r.lost(at_pos, &at_path, why);
    }
    let job = json!({
        "apiVersion": API_VERSION,
        "kind": "SparkJob",
        "metadata": metadata,
        "spec": Json::Object(std::mem::take(&mut b.spec)),
    });
    let mut lost = Lost::default();
    let job = import::fit_schema(job, &mut lost);
    r.report(doc.node.pos, "", lost);
    config_map_rest(r);
    check_rbac_verbs(r, &job, &pod);
    report_placeholders(r, &job, &pod);
    Some(job)
}

/// The keys of the ConfigMaps the import read that it did not read: they have no
/// SparkJob field.
fn config_map_rest(r: &mut Reading<'_>) {
    let read = std::mem::take(&mut r.read);
    for (i, keys) in read {
        let doc = &r.docs[i];
        for (k, _) in string_map(doc.json.get("data")) {
            if keys.contains(&k) {
                continue;
            }
            let path = segs(&["data", &k]);
            r.lost(
                doc.pos(&path),
                &path_string(&path),
                format!("`{k}` of the ConfigMap `{}` has no SparkJob field (sparkc mounts its own ConfigMap in its place)", doc.name()),
            );
        }
    }
}

/// The labels Spark's executor pods carry: the template's, the configuration's, and
/// `spark-role: executor`.
fn executor_labels(
    template: Option<&Json>,
    conf: &BTreeMap<String, Setting>,
) -> BTreeMap<String, String> {
    let mut labels = string_map(template.and_then(|t| t.pointer("/metadata/labels")));
    for (k, s) in conf {
        if let Some(label) = k.strip_prefix(conf::EXECUTOR_LABEL.key) {
            let v = s.value.split_once('=').map_or("", |(_, v)| v);
            labels.insert(label.to_owned(), v.trim().to_owned());
        }
    }
    labels.insert(names::LABEL_ROLE.to_owned(), "executor".to_owned());
    labels
}

/// `spark.kubernetes.driver.pod.name` against the pod.
fn check_pod_name(r: &mut Reading<'_>, pod: &Pod<'_>, s: Option<&Setting>, at: Pos, at_path: &str) {
    let instead = "`spark.kubernetes.driver.pod.name=$(SPARK_DRIVER_POD_NAME)`, the pod's own name from the downward API";
    let Some(s) = s else {
        r.mistake(
            "import-pod-name",
            at,
            at_path,
            "`spark.kubernetes.driver.pod.name` is not set: executors get no owner reference to the driver pod, so they outlive a driver that fails".to_owned(),
            instead,
        );
        return;
    };
    let value = s
        .value
        .split_once('=')
        .map_or("", |(_, v)| v)
        .trim()
        .to_owned();
    if let Some(var) = value.strip_prefix("$(").and_then(|v| v.strip_suffix(')')) {
        if pod.env.get(var) != Some(&EnvValue::Field("metadata.name".to_owned())) {
            r.mistake(
                "import-pod-name",
                s.pos,
                &s.path,
                format!("`{}` is `{value}`, but `{var}` is not the pod's name from the downward API (`valueFrom.fieldRef.fieldPath: metadata.name`)", s.key),
                instead,
            );
        }
        return;
    }
    match pod.fixed_name() {
        Some(own) if own == value => {}
        Some(own) => r.mistake(
            "import-name-mismatch",
            s.pos,
            &s.path,
            format!("`{}` is `{value}`, but the driver pod is named `{own}`: the driver stops at start (\"No pod was found named {value}\")", s.key),
            instead,
        ),
        None => r.mistake(
            "import-name-mismatch",
            s.pos,
            &s.path,
            format!("`{}` is `{value}`, but the pods of a {} get generated names, so no pod is named `{value}`", s.key, pod.doc.kind()),
            instead,
        ),
    }
}

/// The Services of a setup: the one `spark.driver.host` names, and those whose selector
/// matches the driver pod; with one driver in the files, every Service.
fn services<'d>(
    r: &Reading<'d>,
    pod: &Pod<'_>,
    host: Option<&Setting>,
    alone: bool,
) -> Vec<&'d Doc<'d>> {
    let host_name = host.map(|s| {
        let v = s.value.split_once('=').map_or("", |(_, v)| v).trim();
        v.split('.').next().unwrap_or_default().to_owned()
    });
    r.docs
        .iter()
        .filter(|d| d.is("Service"))
        .filter(|d| {
            let selector = string_map(d.json.pointer("/spec/selector"));
            alone
                || host_name.as_deref() == Some(d.name())
                || (!selector.is_empty()
                    && selector.iter().all(|(k, v)| pod.labels.get(k) == Some(v)))
        })
        .collect()
}

/// `spark.driver.host` against the Services.
#[allow(clippy::too_many_arguments)]
fn check_host(
    r: &mut Reading<'_>,
    pod: &Pod<'_>,
    s: Option<&Setting>,
    services: &[&Doc<'_>],
    ours: &Names,
    at: Pos,
    at_path: &str,
) {
    let instead = format!(
        "the headless Service `{}` and `spark.driver.host={}`, from one name",
        ours.service, ours.driver_host
    );
    let Some(s) = s else {
        if let Some(svc) = services.first() {
            r.mistake(
                "import-name-mismatch",
                at,
                at_path,
                format!("`spark.driver.host` is not set, so executors reach the driver at its pod IP and the Service `{}` is not used", svc.name()),
                &instead,
            );
        }
        return;
    };
    let value = s
        .value
        .split_once('=')
        .map_or("", |(_, v)| v)
        .trim()
        .to_owned();
    if let Some(var) = value.strip_prefix("$(").and_then(|v| v.strip_suffix(')'))
        && pod.env.get(var) == Some(&EnvValue::Field("status.podIP".to_owned()))
    {
        return;
    }
    let mut parts = value.split('.');
    let service = parts.next().unwrap_or_default();
    let namespace = parts.next();
    let found = services.iter().find(|d| d.name() == service);
    let pod_ns = pod
        .doc
        .json
        .pointer("/metadata/namespace")
        .and_then(Json::as_str);
    match found {
        None => {
            let made: Vec<String> = r
                .docs
                .iter()
                .filter(|d| d.is("Service"))
                .map(|d| format!("`{}`", d.name()))
                .collect();
            let made = if made.is_empty() {
                "create no Service".to_owned()
            } else {
                format!("create {}", made.join(", "))
            };
            r.mistake(
                "import-name-mismatch",
                s.pos,
                &s.path,
                format!("`{}` is `{value}`, but these files {made}: executors cannot resolve the driver", s.key),
                &instead,
            );
        }
        Some(svc) => {
            let svc_ns = svc
                .json
                .pointer("/metadata/namespace")
                .and_then(Json::as_str)
                .or(pod_ns);
            if let (Some(ns), Some(own)) = (namespace, svc_ns)
                && ns != own
                && ns != "svc"
            {
                r.mistake(
                    "import-name-mismatch",
                    s.pos,
                    &s.path,
                    format!("`{}` is `{value}`, in the namespace `{ns}`, but the Service `{service}` is in `{own}`", s.key),
                    &instead,
                );
            }
        }
    }
}

/// One Service's selector and ports.
fn check_service(
    r: &mut Reading<'_>,
    svc: &Doc<'_>,
    pod: &Pod<'_>,
    executor_labels: &BTreeMap<String, String>,
    conf: &BTreeMap<String, Setting>,
    ours: &Names,
) {
    let selector = string_map(svc.json.pointer("/spec/selector"));
    let selector_path = segs(&["spec", "selector"]);
    let pos = svc.pos(&selector_path);
    let instead = format!(
        "the Service `{}` selecting this job's driver pod of this run only (`spark-role: driver`)",
        ours.service
    );
    if selector.is_empty() {
        r.mistake(
            "import-selector",
            pos,
            &path_string(&selector_path),
            format!("the Service `{}` has no selector, so it matches no pod and its name resolves to nothing", svc.name()),
            &instead,
        );
    } else if !selector.iter().all(|(k, v)| pod.labels.get(k) == Some(v)) {
        let missing: Vec<String> = selector
            .iter()
            .filter(|(k, v)| pod.labels.get(*k) != Some(v))
            .map(|(k, v)| format!("`{k}: {v}`"))
            .collect();
        r.mistake(
            "import-selector",
            pos,
            &path_string(&selector_path),
            format!(
                "the Service `{}` matches no pod of these files: the driver pod does not carry {}",
                svc.name(),
                missing.join(", ")
            ),
            &instead,
        );
    } else if selector
        .iter()
        .all(|(k, v)| executor_labels.get(k) == Some(v))
    {
        r.mistake(
            "import-selector",
            pos,
            &path_string(&selector_path),
            format!("the Service `{}` also matches the executor pods (they carry every label it selects), so its name resolves to executors too", svc.name()),
            &instead,
        );
    }

    let ports_path = segs(&["spec", "ports"]);
    let ports: Vec<(usize, i64)> = svc
        .json
        .pointer("/spec/ports")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, p)| {
            p.get("targetPort")
                .and_then(Json::as_i64)
                .or_else(|| p.get("port").and_then(Json::as_i64))
                .map(|n| (i, n))
        })
        .collect();
    let instead_ports = format!(
        "fixed ports ({} driver, {} block manager, {} UI), set in the configuration and declared on the container and the Service",
        names::DRIVER_PORT,
        names::BLOCK_MANAGER_PORT,
        names::UI_PORT
    );
    if svc
        .json
        .pointer("/spec/ports")
        .and_then(Json::as_array)
        .is_none_or(Vec::is_empty)
    {
        r.mistake(
            "import-port",
            svc.pos(&segs(&["spec"])),
            "spec",
            format!("the Service `{}` exposes no ports", svc.name()),
            &instead_ports,
        );
    }
    let set: Vec<(&str, i64, Option<&Setting>)> = [
        conf::DRIVER_PORT.key,
        conf::BLOCK_MANAGER_PORT.key,
        conf::UI_PORT.key,
    ]
    .into_iter()
    .map(|k| {
        let s = conf.get(k);
        let default = if k == conf::UI_PORT.key {
            i64::from(names::UI_PORT)
        } else {
            0
        };
        let n = s
            .and_then(|s| s.value.split_once('=').map(|(_, v)| v.trim().to_owned()))
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(default);
        (k, n, s)
    })
    .collect();
    for (i, port) in &ports {
        if !set.iter().any(|(_, n, _)| n == port) {
            let mut path = ports_path.clone();
            path.push(Seg::Index(*i));
            r.mistake(
                "import-port",
                svc.pos(&path),
                &path_string(&path),
                format!("the Service `{}` exposes {port}, but no setting fixes a driver port to it (`spark.driver.port` and `spark.driver.blockManager.port` are random unless set)", svc.name()),
                &instead_ports,
            );
        }
    }
    if !ports.is_empty() {
        for (key, n, s) in &set {
            if let Some(s) = s
                && *n > 0
                && !ports.iter().any(|(_, p)| p == n)
            {
                r.mistake(
                    "import-port",
                    s.pos,
                    &s.path,
                    format!(
                        "`{key}` is {n}, but the Service `{}` does not expose it",
                        svc.name()
                    ),
                    &instead_ports,
                );
            }
        }
    }
    let _ = pod;
}

/// What a pod and its main container say, into a role's fields (`driver` or `executor`).
struct RoleParts {
    fields: Map<String, Json>,
    volumes: Vec<Json>,
}

/// The pod-level and container-level fields both roles share.
fn role_parts(
    r: &mut Reading<'_>,
    doc: &Doc<'_>,
    spec_path: &[Seg],
    pod: &Map<String, Json>,
    container_path: &[Seg],
    container: &Map<String, Json>,
    skip_volumes: &BTreeSet<String>,
) -> RoleParts {
    let mut fields = Map::new();
    let mut volumes = Vec::new();
    for (k, v) in pod {
        let path = with(spec_path, &[Seg::Key(k.clone())]);
        let (pos, shown) = (doc.pos(&path), path_string(&path));
        let field = match k.as_str() {
            "nodeSelector"
            | "tolerations"
            | "affinity"
            | "priorityClassName"
            | "schedulerName"
            | "hostAliases"
            | "dnsConfig"
            | "hostNetwork"
            | "shareProcessNamespace"
            | "terminationGracePeriodSeconds"
            | "initContainers" => k.as_str(),
            "securityContext" => "podSecurityContext",
            "volumes" => {
                for vol in v.as_array().into_iter().flatten() {
                    if !str_of(vol, "name").is_some_and(|n| skip_volumes.contains(n)) {
                        volumes.push(vol.clone());
                    }
                }
                continue;
            }
            // Read elsewhere.
            "containers"
            | "serviceAccountName"
            | "serviceAccount"
            | "restartPolicy"
            | "imagePullSecrets"
            | "automountServiceAccountToken" => continue,
            _ => {
                r.lost(
                    pos,
                    &shown,
                    format!("`{k}` of the pod has no SparkJob field"),
                );
                continue;
            }
        };
        fields.insert(field.to_owned(), v.clone());
    }
    for (k, v) in container {
        let path = with(container_path, &[Seg::Key(k.clone())]);
        let (pos, shown) = (doc.pos(&path), path_string(&path));
        match k.as_str() {
            "env" | "envFrom" | "securityContext" | "lifecycle" => {
                fields.insert(k.clone(), v.clone());
            }
            "volumeMounts" => {
                let mounts: Vec<Json> = v
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|m| !str_of(m, "name").is_some_and(|n| skip_volumes.contains(n)))
                    .cloned()
                    .collect();
                if !mounts.is_empty() {
                    fields.insert(k.clone(), Json::Array(mounts));
                }
            }
            "name" | "image" | "imagePullPolicy" | "command" | "args" | "ports" | "resources" => {}
            _ => r.lost(
                pos,
                &shown,
                format!("`{k}` of the container has no SparkJob field"),
            ),
        }
    }
    RoleParts { fields, volumes }
}

/// Adds volumes to the spec's (shared by both roles), once per name.
fn add_volumes(b: &mut SubmitBuilder, volumes: Vec<Json>) {
    if volumes.is_empty() {
        return;
    }
    let list = b
        .spec
        .entry("volumes")
        .or_insert_with(|| Json::Array(Vec::new()));
    if let Json::Array(list) = list {
        for v in volumes {
            if !list.iter().any(|o| o.get("name") == v.get("name")) {
                list.push(v);
            }
        }
    }
}

fn set_role(b: &mut SubmitBuilder, role: &str, fields: Map<String, Json>) {
    for (k, v) in fields {
        b.set(&[role, &k], v);
    }
}

/// The driver pod: its container's image, environment, mounts, resources and ports, and
/// the pod's placement, security and volumes.
fn driver_fields(
    r: &mut Reading<'_>,
    b: &mut SubmitBuilder,
    pod: &Pod<'_>,
    container: &Map<String, Json>,
    managed_volumes: &BTreeSet<String>,
) {
    let doc = pod.doc;
    let mut parts = role_parts(
        r,
        doc,
        &pod.spec_path(&[]),
        &pod.spec,
        &pod.container_path(&[]),
        container,
        managed_volumes,
    );
    // The image: the container's is the driver's; the configuration's, if another, the
    // executors'.
    if let Some(image) = str_of(&Json::Object(container.clone()), "image") {
        let conf_image = b.spec.remove("image");
        if let Some(Json::String(other)) = &conf_image
            && other != image
            && !b
                .spec
                .get("executor")
                .is_some_and(|e| e.get("image").is_some())
        {
            b.set(&["executor", "image"], json!(other));
        }
        if let Some(Json::Object(d)) = b.spec.get_mut("driver") {
            d.remove("image");
        }
        b.spec.insert("image".into(), json!(image));
        if let Some(Json::Object(e)) = b.spec.get_mut("executor")
            && e.get("image").and_then(Json::as_str) == Some(image)
        {
            e.remove("image");
        }
    }
    if let Some(p) = container.get("imagePullPolicy")
        && !b.spec.contains_key("imagePullPolicy")
    {
        b.spec.insert("imagePullPolicy".into(), p.clone());
    }
    if let Some(Json::Array(secrets)) = pod.spec.get("imagePullSecrets") {
        let names: Vec<Json> = secrets
            .iter()
            .filter_map(|s| s.get("name").cloned())
            .collect();
        b.spec.insert("imagePullSecrets".into(), Json::Array(names));
    }
    // The environment: what sparkc sets itself (the pod name and IP from the downward
    // API, the configuration folder it replaces) is left out.
    if let Some(Json::Array(env)) = parts.fields.remove("env") {
        let mut kept = Vec::new();
        for (i, var) in env.into_iter().enumerate() {
            let name = str_of(&var, "name").unwrap_or_default().to_owned();
            let path = with(&pod.container_path(&["env"]), &[Seg::Index(i)]);
            let field = var
                .pointer("/valueFrom/fieldRef/fieldPath")
                .and_then(Json::as_str);
            let why = match (name.as_str(), field) {
                (_, Some("metadata.name")) => {
                    Some("sparkc passes the pod's name to Spark from the downward API itself")
                }
                (_, Some("status.podIP")) => {
                    Some("sparkc binds the driver to the pod IP from the downward API itself")
                }
                ("SPARK_CONF_DIR", _) if !managed_volumes.is_empty() => {
                    Some("the configuration it names is in the spec now")
                }
                _ => None,
            };
            match why {
                Some(why) => r.dropped(
                    doc.pos(&path),
                    &path_string(&path),
                    format!("`{name}`: {why}"),
                ),
                None => kept.push(var),
            }
        }
        if !kept.is_empty() {
            parts.fields.insert("env".into(), Json::Array(kept));
        }
    }
    // Resources: the heap and its overhead size the container; cores are Spark's.
    if let Some(res) = container.get("resources") {
        let path = pod.container_path(&["resources"]);
        if let Some(cpu) = res.pointer("/requests/cpu") {
            b.set(
                &["driver", "coreRequest"],
                json!(cpu.as_str().map_or_else(|| cpu.to_string(), str::to_owned)),
            );
        }
        if let Some(cpu) = res.pointer("/limits/cpu") {
            b.set(
                &["driver", "coreLimit"],
                json!(cpu.as_str().map_or_else(|| cpu.to_string(), str::to_owned)),
            );
        }
        if res.pointer("/requests/memory").is_some() || res.pointer("/limits/memory").is_some() {
            r.dropped(
                doc.pos(&path),
                &path_string(&path),
                "the container's memory: sparkc sizes the driver container from `driver.memory` and its overhead".to_owned(),
            );
        }
    }
    // Ports: the driver's own are sparkc's; others are kept.
    if let Some(Json::Array(ports)) = container.get("ports") {
        let own = [
            names::DRIVER_PORT,
            names::BLOCK_MANAGER_PORT,
            names::UI_PORT,
        ];
        let mut kept = Vec::new();
        for (i, p) in ports.iter().enumerate() {
            let n = p.get("containerPort").and_then(Json::as_i64).unwrap_or(0);
            let spark = own.iter().any(|o| i64::from(*o) == n)
                || r.docs.iter().any(|d| {
                    d.is("Service")
                        && d.json
                            .pointer("/spec/ports")
                            .and_then(Json::as_array)
                            .is_some_and(|ps| {
                                ps.iter().any(|sp| {
                                    sp.get("targetPort")
                                        .and_then(Json::as_i64)
                                        .or_else(|| sp.get("port").and_then(Json::as_i64))
                                        == Some(n)
                                })
                            })
                });
            if spark {
                let path = with(&pod.container_path(&["ports"]), &[Seg::Index(i)]);
                r.dropped(
                    doc.pos(&path),
                    &path_string(&path),
                    format!("port {n}: sparkc declares the driver's ports itself"),
                );
            } else {
                let mut port = json!({
                    "name": str_of(p, "name").unwrap_or("port"),
                    "containerPort": n,
                    "protocol": str_of(p, "protocol").unwrap_or("TCP"),
                });
                if let Some(Json::Object(m)) = Some(&mut port) {
                    m.retain(|_, v| !v.is_null());
                }
                kept.push(port);
            }
        }
        if !kept.is_empty() {
            b.set(&["driver", "ports"], Json::Array(kept));
        }
    }
    // Sidecars: the pod's other containers.
    let sidecars: Vec<Json> = pod
        .spec
        .get("containers")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter(|(i, _)| *i != pod.container)
        .map(|(_, c)| c.clone())
        .collect();
    if !sidecars.is_empty() {
        b.set(&["driver", "sidecars"], Json::Array(sidecars));
    }
    // Pod labels: the driver's own (the job's labels come from the workload's metadata).
    let job_labels = string_map(doc.json.pointer("/metadata/labels"));
    let own: Map<String, Json> = pod
        .labels
        .iter()
        .filter(|(k, v)| !names::sparkc_sets_label(k) && job_labels.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    if !own.is_empty() && pod.kind != Workload::Pod {
        b.set(&["driver", "labels"], Json::Object(own));
    }
    let annotations = doc
        .json
        .pointer(&format!(
            "{}/metadata/annotations",
            pointer(pod.kind.template())
        ))
        .filter(|_| pod.kind != Workload::Pod);
    if let Some(a) = annotations {
        b.set(&["driver", "annotations"], a.clone());
    }
    add_volumes(b, std::mem::take(&mut parts.volumes));
    set_role(b, "driver", parts.fields);
}

/// The executor pod template's settings, into `spec.executor`.
fn executor_fields(
    r: &mut Reading<'_>,
    b: &mut SubmitBuilder,
    template: &Json,
    doc: &Doc<'_>,
    pos: Pos,
) {
    // The template is data inside the ConfigMap: what is lost is reported at its start.
    let mut inner = Reading {
        file: r.file,
        docs: r.docs,
        diags: Vec::new(),
        used: BTreeSet::new(),
        read: BTreeMap::new(),
    };
    let spec = template
        .get("spec")
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    let containers = spec
        .get("containers")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    let main = containers
        .iter()
        .position(|c| str_of(c, "name") == Some(names::EXECUTOR_CONTAINER))
        .unwrap_or(0);
    let container = containers
        .get(main)
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    let mut parts = role_parts(
        &mut inner,
        doc,
        &[],
        &spec,
        &[],
        &container,
        &BTreeSet::new(),
    );
    for d in inner.diags {
        r.diags.push(Diagnostic {
            pos: Some(pos),
            path: format!("executor pod template: {}", d.path),
            ..d
        });
    }
    if container.get("resources").is_some() {
        r.dropped(pos, "", "the executor template's resources: Spark sets executor resources from `executor.cores` and `executor.memory`".to_owned());
    }
    let sidecars: Vec<Json> = containers
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != main)
        .map(|(_, c)| c.clone())
        .collect();
    if !sidecars.is_empty() {
        b.set(&["executor", "sidecars"], Json::Array(sidecars));
    }
    if let Some(image) = str_of(&Json::Object(container.clone()), "image")
        && !b
            .spec
            .get("executor")
            .is_some_and(|e| e.get("image").is_some())
        && b.spec.get("image").and_then(Json::as_str) != Some(image)
    {
        b.set(&["executor", "image"], json!(image));
    }
    let labels: Map<String, Json> = string_map(template.pointer("/metadata/labels"))
        .into_iter()
        .filter(|(k, _)| !names::sparkc_sets_label(k))
        .map(|(k, v)| (k, json!(v)))
        .collect();
    if !labels.is_empty() {
        b.set(&["executor", "labels"], Json::Object(labels));
    }
    if let Some(a) = template.pointer("/metadata/annotations") {
        b.set(&["executor", "annotations"], a.clone());
    }
    if let Some(Json::Bool(true)) = spec.get("automountServiceAccountToken") {
        b.set(
            &["executor", "template"],
            json!({"spec": {"automountServiceAccountToken": true}}),
        );
    }
    add_volumes(b, std::mem::take(&mut parts.volumes));
    set_role(b, "executor", parts.fields);
}

/// What the workload kind says: a bare Pod, a Job's retries and time to live, a
/// CronJob's schedule; a Deployment becomes a Job.
fn workload_fields(r: &mut Reading<'_>, b: &mut SubmitBuilder, pod: &Pod<'_>) {
    let doc = pod.doc;
    let restart = pod.spec.get("restartPolicy").and_then(Json::as_str);
    let restart_path = pod.spec_path(&["restartPolicy"]);
    let restarts = match (pod.kind, restart) {
        (_, Some("Never")) => false,
        (Workload::Pod | Workload::Deployment, None) => true,
        (_, Some(_)) => true,
        (_, None) => false,
    };
    if restarts && pod.kind != Workload::Deployment {
        r.dropped(
            doc.pos(&restart_path),
            &path_string(&restart_path),
            format!("`restartPolicy: {}`: Spark assumes a driver never restarts in its pod (the old executors stay with it); sparkc runs the driver with `Never` and retries with a new pod (`restartPolicy.onFailureRetries`)", restart.unwrap_or("Always")),
        );
    }
    let job_spec = |path: &[&str]| doc.json.pointer(&pointer(path)).cloned();
    match pod.kind {
        Workload::Pod => b.set(&["native", "workload"], json!("Pod")),
        Workload::Deployment => {
            r.lost(
                doc.pos(&segs(&["kind"])),
                "kind",
                "a Deployment starts its driver again whenever it ends; sparkc runs the driver as a Job, once per change of the spec".to_owned(),
            );
            if job_spec(&["spec", "replicas"])
                .and_then(|v| v.as_i64())
                .is_some_and(|n| n > 1)
            {
                r.mistake(
                    "import-selector",
                    doc.pos(&segs(&["spec", "replicas"])),
                    "spec.replicas",
                    "more than one replica runs more than one driver, and every one answers to the same Service".to_owned(),
                    "one driver per job",
                );
            }
        }
        Workload::Job | Workload::CronJob => {
            let prefix: &[&str] = if pod.kind == Workload::Job {
                &["spec"]
            } else {
                &["spec", "jobTemplate", "spec"]
            };
            let field = |k: &'static str| -> Vec<&'static str> { [prefix, &[k]].concat() };
            let backoff = job_spec(&field("backoffLimit"))
                .and_then(|v| v.as_i64())
                .unwrap_or(6);
            if backoff > 0 {
                b.set(
                    &["restartPolicy"],
                    json!({"type": "OnFailure", "onFailureRetries": backoff}),
                );
            }
            if let Some(ttl) = job_spec(&field("ttlSecondsAfterFinished")) {
                b.set(&["timeToLiveSeconds"], ttl);
            }
            for k in [
                "activeDeadlineSeconds",
                "completions",
                "parallelism",
                "podFailurePolicy",
            ] {
                if job_spec(&field(k)).is_some() {
                    let path = segs(&field(k));
                    r.lost(
                        doc.pos(&path),
                        &path_string(&path),
                        format!("`{k}` of the Job has no SparkJob field"),
                    );
                }
            }
        }
    }
    if pod.kind == Workload::CronJob {
        let s = |k: &str| job_spec(&["spec", k]);
        let mut schedule = Map::new();
        for (from, to) in [
            ("schedule", "cron"),
            ("timeZone", "timeZone"),
            ("suspend", "suspend"),
            ("successfulJobsHistoryLimit", "successfulRunHistoryLimit"),
            ("failedJobsHistoryLimit", "failedRunHistoryLimit"),
        ] {
            if let Some(v) = s(from) {
                schedule.insert(to.into(), v);
            }
        }
        // The CronJob's own defaults, written out so the import behaves as the original.
        schedule
            .entry("successfulRunHistoryLimit")
            .or_insert(json!(3));
        schedule.entry("failedRunHistoryLimit").or_insert(json!(1));
        match s("concurrencyPolicy").as_ref().and_then(Json::as_str) {
            Some("Allow") | None => {
                let path = segs(&["spec", "concurrencyPolicy"]);
                r.dropped(
                    doc.pos(&path),
                    &path_string(&path),
                    "`concurrencyPolicy: Allow` (the default) runs two drivers of the job at once, and both answer to its one Service; sparkc renders `Forbid`".to_owned(),
                );
            }
            Some(p) => {
                schedule.insert("concurrencyPolicy".into(), json!(p));
            }
        }
        if s("startingDeadlineSeconds").is_some() {
            let path = segs(&["spec", "startingDeadlineSeconds"]);
            r.lost(
                doc.pos(&path),
                &path_string(&path),
                "`startingDeadlineSeconds` of the CronJob has no SparkJob field".to_owned(),
            );
        }
        b.set(&["schedule"], Json::Object(schedule));
    }
}

/// The driver's account: an existing one is named in the spec; one these files create
/// (with its Role and binding) is replaced by sparkc's own.
fn rbac(r: &mut Reading<'_>, b: &mut SubmitBuilder, pod: &Pod<'_>, name: &str, ours: &Names) {
    let doc = pod.doc;
    let sa_path = pod.spec_path(&["serviceAccountName"]);
    let account = pod
        .spec
        .get("serviceAccountName")
        .or_else(|| pod.spec.get("serviceAccount"))
        .and_then(Json::as_str);
    let instead = format!(
        "the ServiceAccount, Role and RoleBinding `{}` with what the driver needs",
        ours.service_account
    );
    if pod.spec.get("automountServiceAccountToken") == Some(&json!(false)) {
        let path = pod.spec_path(&["automountServiceAccountToken"]);
        r.mistake(
            "import-rbac",
            doc.pos(&path),
            &path_string(&path),
            "`automountServiceAccountToken: false`: the driver has no token, so it cannot create executors".to_owned(),
            "the driver pod with its account's token mounted",
        );
    }
    let Some(account) = account else {
        r.mistake(
            "import-rbac",
            doc.pos(&pod.spec_path(&[])),
            &path_string(&pod.spec_path(&[])),
            "the driver pod names no service account, so it runs as the namespace's `default` account, which may not create executor pods".to_owned(),
            &instead,
        );
        return;
    };
    let created = r
        .docs
        .iter()
        .find(|d| d.is("ServiceAccount") && d.name() == account);
    let bindings: Vec<&Doc<'_>> = r
        .docs
        .iter()
        .filter(|d| d.is("RoleBinding") || d.is("ClusterRoleBinding"))
        .filter(|d| {
            d.json
                .get("subjects")
                .and_then(Json::as_array)
                .is_some_and(|s| {
                    s.iter().any(|s| {
                        str_of(s, "kind") == Some("ServiceAccount")
                            && str_of(s, "name") == Some(account)
                    })
                })
        })
        .collect();
    if created.is_none() && bindings.is_empty() {
        b.spec.insert("serviceAccount".into(), json!(account));
        return;
    }
    // The files make the account: sparkc renders its own in their place.
    let _ = name;
    r.dropped(
        doc.pos(&sa_path),
        &path_string(&sa_path),
        format!("the account `{account}` these files create: sparkc renders {instead}"),
    );
    if let Some(sa) = created {
        r.used.insert(sa.index);
        if sa.json.get("automountServiceAccountToken") == Some(&json!(false))
            && pod.spec.get("automountServiceAccountToken") != Some(&json!(true))
        {
            let path = segs(&["automountServiceAccountToken"]);
            r.mistake(
                "import-rbac",
                sa.pos(&path),
                &path_string(&path),
                format!("the ServiceAccount `{account}` mounts no token, so the driver cannot create executors"),
                &instead,
            );
        }
    }
    if bindings.is_empty() {
        r.mistake(
            "import-rbac",
            doc.pos(&sa_path),
            &path_string(&sa_path),
            format!("no RoleBinding of these files grants the account `{account}` anything, so the driver cannot create executors"),
            &instead,
        );
    }
    for binding in bindings {
        r.used.insert(binding.index);
        let role_kind = binding
            .json
            .pointer("/roleRef/kind")
            .and_then(Json::as_str)
            .unwrap_or("Role");
        let role_name = binding
            .json
            .pointer("/roleRef/name")
            .and_then(Json::as_str)
            .unwrap_or_default();
        if let Some(role) = r
            .docs
            .iter()
            .find(|d| d.is(role_kind) && d.name() == role_name)
        {
            r.used.insert(role.index);
        }
    }
}

/// The grants of sparkc's Role for this job, from the template that renders it.
fn needed_grants(job: &Json) -> Option<Vec<(String, String, Vec<String>)>> {
    let spec: crate::project::spec::SparkJobSpec =
        serde_json::from_value(job.get("spec")?.clone()).ok()?;
    let name = job.pointer("/metadata/name").and_then(Json::as_str)?;
    let subject = crate::rules::Subject {
        name,
        namespace: Some(
            job.pointer("/metadata/namespace")
                .and_then(Json::as_str)
                .unwrap_or("default"),
        ),
        labels: None,
        annotations: None,
        spec: &spec,
    };
    let mut job = subject.to_job();
    job.spec.service_account = None;
    let manifests = crate::render::Renderer::new(None, None)
        .ok()?
        .render_job(&job)
        .ok()?;
    let role = manifests.iter().find(|m| m.kind == "Role")?;
    Some(grants(&role.value))
}

/// A Role's rules as (group, resource, verbs).
fn grants(role: &Json) -> Vec<(String, String, Vec<String>)> {
    let list = |v: &Json, k: &str| -> Vec<String> {
        v.get(k)
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Json::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for rule in role
        .get("rules")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        for group in list(rule, "apiGroups") {
            for resource in list(rule, "resources") {
                out.push((group.clone(), resource, list(rule, "verbs")));
            }
        }
    }
    out
}

/// The verbs Spark needs that the hand-written Role does not grant.
fn check_rbac_verbs(r: &mut Reading<'_>, job: &Json, pod: &Pod<'_>) {
    let Some(account) = pod
        .spec
        .get("serviceAccountName")
        .or_else(|| pod.spec.get("serviceAccount"))
        .and_then(Json::as_str)
    else {
        return;
    };
    if job.pointer("/spec/serviceAccount").is_some() {
        return;
    }
    let roles: Vec<&Doc<'_>> = r
        .docs
        .iter()
        .filter(|d| d.is("RoleBinding") || d.is("ClusterRoleBinding"))
        .filter(|d| {
            d.json
                .get("subjects")
                .and_then(Json::as_array)
                .is_some_and(|s| {
                    s.iter().any(|s| {
                        str_of(s, "kind") == Some("ServiceAccount")
                            && str_of(s, "name") == Some(account)
                    })
                })
        })
        .filter_map(|b| {
            let kind = b
                .json
                .pointer("/roleRef/kind")
                .and_then(Json::as_str)
                .unwrap_or("Role");
            let name = b
                .json
                .pointer("/roleRef/name")
                .and_then(Json::as_str)
                .unwrap_or_default();
            r.docs.iter().find(|d| d.is(kind) && d.name() == name)
        })
        .collect();
    let Some(first) = roles.first() else { return };
    let Some(needed) = needed_grants(job) else {
        return;
    };
    let granted: Vec<(String, String, Vec<String>)> =
        roles.iter().flat_map(|d| grants(&d.json)).collect();
    let has = |group: &str, resource: &str, verb: &str| {
        granted.iter().any(|(g, res, verbs)| {
            (g == group || g == "*")
                && (res == resource || res == "*")
                && verbs.iter().any(|v| v == verb || v == "*")
        })
    };
    let mut missing = Vec::new();
    for (group, resource, verbs) in &needed {
        let lacking: Vec<&str> = verbs
            .iter()
            .filter(|v| !has(group, resource, v))
            .map(String::as_str)
            .collect();
        if !lacking.is_empty() {
            missing.push(format!("{resource}: {}", lacking.join(", ")));
        }
    }
    if !missing.is_empty() {
        let path = segs(&["rules"]);
        let ours = Names::new(
            job.pointer("/metadata/name")
                .and_then(Json::as_str)
                .unwrap_or_default(),
            "",
            "",
        );
        r.mistake(
            "import-rbac",
            first.pos(&path),
            &path_string(&path),
            format!(
                "the {} `{}` lacks what the Spark driver asks the API for ({})",
                first.kind(),
                first.name(),
                missing.join("; ")
            ),
            &format!("the Role `{}` with these grants", ours.service_account),
        );
    }
}

/// Placeholders in the setup's objects: kept where the spec carries the value, named
/// otherwise. A variable of the driver container's own environment in its command,
/// arguments or environment is the kubelet's (or the shell's) to expand, and was expanded
/// above; in spark-defaults.conf, placeholders are reported as Spark leaving them as they
/// are.
fn report_placeholders(r: &mut Reading<'_>, job: &Json, pod: &Pod<'_>) {
    let text = job.to_string();
    let mut found = Vec::new();
    let container = pod.container_path(&[]);
    for &i in &r.used {
        let doc = &r.docs[i];
        if doc.is("ConfigMap") {
            continue;
        }
        let mut all = Vec::new();
        strings(doc.node, &mut Vec::new(), &mut all);
        for (path, node) in all {
            let expands = i == pod.doc.index && path.starts_with(&container);
            for p in placeholders(node.as_str().unwrap_or_default()) {
                let var = p.trim_start_matches(['$', '(', '{']).trim_end_matches([')', '}']);
                if expands && pod.env.contains_key(var) {
                    continue;
                }
                found.push((p, node.pos, path_string(&path)));
            }
        }
    }
    for (p, pos, path) in found {
        let message = if text.contains(&p) {
            format!("`{p}` is a placeholder; it is kept as written, to be substituted before the spec is used")
        } else {
            format!("`{p}` is a placeholder in a setting sparkc derives itself; it is not carried over")
        };
        r.diags.push(
            Diagnostic::warning("import-variable", r.file, Some(pos))
                .path(path)
                .message(message)
                .hint("put the value in the spec, or in the project's defaults or an environment's overrides"),
        );
    }
}
