//! Reading hand-written native setups back (`sparkc import`): a Pod, Job, CronJob or
//! Deployment whose container runs spark-submit, with the Services, ConfigMaps
//! (`spark-defaults.conf`, the executor pod template) and RBAC objects of the same file,
//! becomes one `target: native` SparkJob. This module owns reading such a setup and
//! finding its mistakes (names that do not meet, a selector that misses the driver, ports,
//! the pod name, RBAC, placeholders); each is reported at its line with what sparkc renders
//! instead. The spark-submit line goes through the same reader and configuration table as
//! every other import.

mod fields;
mod mistakes;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as Json, json};

use crate::diagnostic::Diagnostic;
use crate::import::{self, Imported, LineError, Lost, Outcome, SubmitBuilder};
use crate::names::{self, Names};
use crate::project::spec::API_VERSION;
use crate::project::yaml::{Node, Pos, Seg, path_string};
use crate::spark::conf;
use fields::{driver_fields, executor_fields, rbac, workload_fields};
use mistakes::{
    check_host, check_pod_name, check_rbac_verbs, check_service, executor_labels,
    report_placeholders, services,
};

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

/// The items of a list (none when it is missing or not a list).
fn items(v: Option<&Json>) -> impl Iterator<Item = &Json> {
    v.and_then(Json::as_array).into_iter().flatten()
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
    /// A key of a ConfigMap of these files: its value, and the ConfigMap.
    Shared(String, String),
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

impl Setting {
    /// The value it sets (after the `=` of a `--conf` pair).
    fn value(&self) -> String {
        if self.flag == "--conf" {
            self.value
                .split_once('=')
                .map_or(String::new(), |(_, v)| v.trim().to_owned())
        } else {
            self.value.clone()
        }
    }
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
        let containers = pod_template(doc, kind)
            .and_then(|t| t.pointer("/spec/containers"))
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
            let source = if nodes.len() > 1 {
                format!("{file}#{}", doc.index + 1)
            } else {
                file.to_owned()
            };
            out.jobs
                .push(Imported::of(job, source, nodes.get(doc.index)));
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
            let read = doc.is("ConfigMap")
                && drivers
                    .iter()
                    .any(|(d, ..)| names_config_map(&d.json, doc.name()));
            let why = if read {
                "a driver reads it (the spec names it), but sparkc does not render it"
            } else {
                "no driver of these files uses it, and sparkc does not render it"
            };
            out.diagnostics.push(
                Diagnostic::warning("import-skipped", file, Some(doc.node.pos))
                    .message(format!(
                        "skipped the {} `{}`: {why}",
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

/// The pod template of a workload (`metadata`, `spec`), or the Pod itself.
fn pod_template<'a>(doc: &'a Doc<'_>, kind: Workload) -> Option<&'a Json> {
    if kind.template().is_empty() {
        Some(&doc.json)
    } else {
        doc.json.pointer(&pointer(kind.template()))
    }
}

/// The RoleBindings and ClusterRoleBindings of these files that bind a ServiceAccount.
fn bindings_of<'d>(docs: &'d [Doc<'d>], account: &str) -> Vec<&'d Doc<'d>> {
    docs.iter()
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
        .collect()
}

/// The Role (or ClusterRole) of these files a binding refers to.
fn role_of<'d>(docs: &'d [Doc<'d>], binding: &Doc<'_>) -> Option<&'d Doc<'d>> {
    let kind = binding
        .json
        .pointer("/roleRef/kind")
        .and_then(Json::as_str)
        .unwrap_or("Role");
    let name = binding
        .json
        .pointer("/roleRef/name")
        .and_then(Json::as_str)
        .unwrap_or_default();
    docs.iter().find(|d| d.is(kind) && d.name() == name)
}

/// Whether an object refers to a ConfigMap by name (a volume, `envFrom`, an env value).
fn names_config_map(v: &Json, name: &str) -> bool {
    match v {
        Json::Object(m) => m.iter().any(|(k, v)| {
            (matches!(k.as_str(), "configMap" | "configMapRef" | "configMapKeyRef")
                && str_of(v, "name") == Some(name))
                || names_config_map(v, name)
        }),
        Json::Array(items) => items.iter().any(|v| names_config_map(v, name)),
        _ => false,
    }
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

/// The spark-submit words of a container's command, after the kubelet's `$(VAR)`
/// expansion (and, in a shell line, the shell's `$VAR` from the container's own
/// environment), and the other commands of a shell line.
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
    let script = import::join_continuations(script);
    let script = import::expand_shell_vars(&script, &mut |name| vars(name));
    let commands = import::shell_commands(&script)?;
    let mut submit = None;
    let mut others = Vec::new();
    for c in commands {
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
            pos: Pos {
                line: base.line + u32::try_from(i).unwrap_or(0),
                column: base.column + u32::try_from(indent).unwrap_or(0),
                len: u32::try_from(line.chars().count()).unwrap_or(0),
            },
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
    /// The service account the driver pod names.
    fn account(&self) -> Option<&str> {
        self.spec
            .get("serviceAccountName")
            .or_else(|| self.spec.get("serviceAccount"))
            .and_then(Json::as_str)
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
    for from in items(container.get("envFrom")) {
        if let Some(cm) = from.pointer("/configMapRef/name").and_then(Json::as_str)
            && let Some(doc) = config_map(cm)
        {
            let prefix = str_of(from, "prefix").unwrap_or_default();
            for (k, v) in string_map(doc.json.get("data")) {
                env.insert(format!("{prefix}{k}"), EnvValue::Shared(v, cm.to_owned()));
            }
        }
    }
    for var in items(container.get("env")) {
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
            let cm = str_of(r, "name").unwrap_or_default();
            config_map(cm)
                .and_then(|d| {
                    d.json
                        .pointer(&format!("/data/{}", str_of(r, "key").unwrap_or_default()))
                })
                .and_then(Json::as_str)
                .map_or(EnvValue::Elsewhere, |v| {
                    EnvValue::Shared(v.to_owned(), cm.to_owned())
                })
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
    let template = pod_template(doc, kind);
    let spec = template
        .and_then(|t| t.get("spec"))
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    let labels = string_map(template.and_then(|t| t.pointer("/metadata/labels")));
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
        Some(EnvValue::Literal(v) | EnvValue::Shared(v, _)) => Some(v.clone()),
        _ => None,
    };
    // A value from a ConfigMap is written into the spec as it is today.
    for (i, word) in all.iter().enumerate() {
        for p in placeholders(word) {
            let var = p.trim_start_matches("$(").trim_end_matches(')');
            if let Some(EnvValue::Shared(value, cm)) = env.get(var) {
                let (pos, path) = word_at(i);
                r.diags.push(
                    Diagnostic::warning("import-variable", r.file, Some(pos))
                        .path(path)
                        .message(format!("`{p}` is `{value}` from the ConfigMap `{cm}`: the spec carries that value, and no longer follows the ConfigMap"))
                        .hint("put the value in the spec, or in the project's defaults or an environment's overrides"),
                );
            }
        }
    }
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
        line.findings(r.file, &|_, _| Some(at_pos), &|_| true)
            .into_iter()
            .map(|d| d.path(at_path.clone())),
    );
    // Each flag at its word (in a shell line, at the line).
    let mut cursor = 0;
    // In a shell line, each flag at the line of the script it is on (a block scalar's
    // lines follow its first one).
    let script_lines: Vec<&str> = command
        .script
        .and_then(|i| all.get(i))
        .map_or_else(Vec::new, |s| s.lines().collect());
    let mut flag_at = |flag: &str, value: &str| -> (Pos, String) {
        let Some(offset) = command.offset else {
            let key = if flag == "--conf" {
                value.split_once('=').map_or(value, |(k, _)| k)
            } else {
                flag
            };
            let found = script_lines[cursor.min(script_lines.len())..]
                .iter()
                .position(|l| l.contains(flag) && l.contains(key));
            return match found {
                Some(k) => {
                    let i = cursor + k;
                    cursor = i;
                    let raw = script_lines[i];
                    let indent = raw.len() - raw.trim_start().len();
                    let pos = Pos {
                        line: at_pos.line + u32::try_from(i).unwrap_or(0),
                        column: if i == 0 {
                            at_pos.column
                        } else {
                            at_pos.column + u32::try_from(indent).unwrap_or(0)
                        },
                        len: u32::try_from(raw.trim().chars().count()).unwrap_or(0),
                    };
                    (pos, at_path.clone())
                }
                None => (at_pos, at_path.clone()),
            };
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
            let (pos, path) = flag_at(flag, value);
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
        Some(EnvValue::Literal(d) | EnvValue::Shared(d, _)) => d.clone(),
        _ => {
            let home = match env.get("SPARK_HOME") {
                Some(EnvValue::Literal(h) | EnvValue::Shared(h, _)) => h.clone(),
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
    let app_name = setting(conf::APP_NAME.key).map(Setting::value);
    let name = app_name
        .clone()
        .filter(|n| crate::rules::is_dns1035(n))
        .unwrap_or_else(|| doc.name().to_owned());
    let namespace = doc
        .json
        .pointer("/metadata/namespace")
        .and_then(Json::as_str)
        .map(str::to_owned)
        .or_else(|| setting(conf::NAMESPACE.key).map(Setting::value));
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
            let file = s.value();
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
        b.flag(&s.flag, &s.value);
        let mut left = Lost::default();
        for why in b.lost.drain(lost..) {
            left.push((Vec::new(), why));
        }
        for why in b.dropped.drain(dropped..) {
            left.drop_note((Vec::new(), why));
        }
        for why in b.changed.drain(..) {
            left.change_note((Vec::new(), why));
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
            r.dropped(
                s.pos,
                &s.path,
                format!("`{}`: the job's namespace is the pod's, `{own}`", s.key),
            );
        } else {
            r.lost(
                s.pos,
                &s.path,
                format!(
                    "`{}` is `{ns}`, but the pod runs in `{own}`: sparkc uses the pod's namespace",
                    s.key
                ),
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
    // The Service `spark.driver.host` names (or the first) is the one sparkc renders in
    // its place; another one (a UI Service, say) is checked, and left as it is.
    let host_service = setting(conf::DRIVER_HOST.key)
        .map(|s| s.value().split('.').next().unwrap_or_default().to_owned());
    let own = services
        .iter()
        .position(|d| Some(d.name()) == host_service.as_deref())
        .unwrap_or(0);
    for (i, svc) in services.iter().enumerate() {
        check_service(
            r,
            svc,
            &pod,
            (&executor_labels, &effective),
            &ours,
            i == own,
        );
        r.used.insert(svc.index);
        if i != own {
            r.diags.push(
                Diagnostic::warning("import-skipped", r.file, Some(svc.node.pos))
                    .message(format!(
                        "skipped the Service `{}`: sparkc renders one Service for the driver, `{}`, in place of `{}`",
                        svc.name(),
                        ours.service,
                        services[own].name()
                    ))
                    .hint("keep it in Git as it is, beside the rendered tree"),
            );
        }
    }

    // The driver pod and container.
    let container_json = pod.container();
    driver_fields(r, &mut b, &pod, &container_json, &managed_volumes);
    if let Some((template, tdoc, tpos)) = &executor_template {
        executor_fields(r, &mut b, template, tdoc, *tpos);
    }
    workload_fields(r, &mut b, &pod);
    rbac(r, &mut b, &pod, &ours);

    b.finish();
    // What finishing changed (the pull policy), at the driver container's image.
    let image = pod.container_path(&["image"]);
    for why in b.changed.drain(..) {
        let mut left = Lost::default();
        left.change_note((Vec::new(), why));
        r.report(pod.doc.pos(&image), &path_string(&image), left);
    }
    let mut metadata_lost = Lost::default();
    let mut metadata = import::job_metadata(&doc.json, &mut metadata_lost);
    // A generated name is what sparkc's run names are.
    let generated = segs(&["metadata", "generateName"]);
    if let Some(i) = metadata_lost.lost.iter().position(|(p, _)| *p == generated) {
        metadata_lost.lost.remove(i);
        metadata_lost.drop_note((
            generated,
            "`metadata.generateName`: sparkc names each run of the job `<job>-<hash of what it runs>`".to_owned(),
        ));
    }
    import::report(
        r.file,
        metadata_lost,
        &|path| Some(doc.node.pos_of(path).0),
        &mut r.diags,
    );
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

#[cfg(test)]
mod tests {
    use super::*;

    fn words(ws: &[&str]) -> Vec<String> {
        ws.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn spark_defaults_lines_are_read_at_their_line() {
        let text =
            "# a comment\nspark.a   1\n\n  spark.b=two words\nspark.c: x\n! also a comment\n";
        let got = properties(text, Pos::new(10, 5), "data");
        let seen: Vec<(&str, &str, u32, u32)> = got
            .iter()
            .map(|s| (s.key.as_str(), s.value.as_str(), s.pos.line, s.pos.column))
            .collect();
        assert_eq!(
            seen,
            [
                ("spark.a", "spark.a=1", 11, 5),
                ("spark.b", "spark.b=two words", 13, 7),
                ("spark.c", "spark.c=x", 14, 5),
            ]
        );
        assert!(got.iter().all(|s| s.from_file && s.flag == "--conf"));
    }

    #[test]
    fn the_submit_words_of_exec_and_shell_forms() {
        let vars = |n: &str| (n == "HOME").then(|| "/opt/spark".to_owned());
        // Exec form, after the kubelet's expansion; what comes before the program goes.
        let c = submit_words(
            &words(&[
                "/opt/entrypoint.sh",
                "$(HOME)/bin/spark-submit",
                "--name",
                "a",
                "x.py",
            ]),
            &vars,
        )
        .unwrap();
        assert_eq!(
            c.words,
            words(&["/opt/spark/bin/spark-submit", "--name", "a", "x.py"])
        );
        assert_eq!((c.offset, c.script), (Some(1), None));
        // A shell line: the other commands are named, `set` and `echo` are not; the
        // shell's variables come from the container's environment.
        let c = submit_words(
            &words(&[
                "/bin/sh",
                "-ec",
                "set -x; cd /app && spark-submit --conf a=$HOME x.py ${UNSET} || echo failed",
            ]),
            &vars,
        )
        .unwrap();
        assert_eq!(
            c.words,
            words(&["spark-submit", "--conf", "a=/opt/spark", "x.py", "${UNSET}"])
        );
        assert_eq!(c.others, ["cd /app"]);
        assert_eq!((c.offset, c.script), (None, Some(2)));
        assert!(matches!(
            submit_words(&words(&["bash", "-c", "spark-submit 'x.py"]), &vars),
            Err(LineError::Quotes)
        ));
    }

    #[test]
    fn a_container_runs_spark_submit_in_its_command_or_its_args() {
        let c = json!({"command": ["/bin/sh", "-c"], "args": ["spark-submit x.py"]});
        assert_eq!(runs_submit(&c).map(|(f, _)| f), Some("args"));
        let c = json!({"command": ["/opt/spark/bin/spark-submit", "x.py"]});
        assert_eq!(runs_submit(&c).map(|(f, _)| f), Some("command"));
        assert!(runs_submit(&json!({"command": ["sleep", "3600"]})).is_none());
        assert!(runs_submit(&json!({"image": "apache/spark"})).is_none());
    }

    #[test]
    fn references_to_a_config_map_are_found_anywhere_in_a_pod() {
        let pod = json!({"spec": {"volumes": [{"name": "v", "configMap": {"name": "a"}}],
            "containers": [{"envFrom": [{"configMapRef": {"name": "b"}}],
                "env": [{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}}]}]}});
        for name in ["a", "b", "c"] {
            assert!(names_config_map(&pod, name), "{name}");
        }
        assert!(!names_config_map(&pod, "v"));
    }
}
