//! The JSON Schemas of the job spec and project file, generated from the Rust types, and
//! the check of a raw document against them with every error mapped back to a location.
//!
//! The schema is generated once per process (schemars), made strict (every object that
//! lists its properties refuses others, including the Kubernetes types embedded in the
//! spec), restricted to Kubernetes 1.30, and compiled once (jsonschema). Errors come back
//! as [`SchemaIssue`]s: a path, a message and a hint, that the caller turns into
//! diagnostics with positions.
//!
//! Kubernetes 1.30 is sparkc's one Kubernetes version. The Kubernetes types embedded in
//! the spec (volumes, affinity, security contexts, lifecycle hooks, ...) come from
//! k8s-openapi, whose oldest API version is newer (1.33, and kube needs that k8s-openapi),
//! so they have fields 1.30 does not. But every rendered object is checked against the
//! official 1.30 schemas embedded in [`crate::k8s`] (the version CI's kubernetes-validate
//! checks too). So after generation each `io.k8s.*` definition keeps only the properties
//! that the definition of the same name in 1.30 has (and drops the others from
//! `required`), and a Kubernetes definition 1.30 lacks altogether is dropped once nothing
//! refers to it. A field newer than 1.30 (`volumes[].image`, `lifecycle.stopSignal`) is
//! then an unknown field at its file:line:column, like any typo, instead of an object
//! that `sparkc render` refuses. This happens once, when the schema is first needed.

use std::sync::LazyLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use jsonschema::{ValidationError, Validator};
use schemars::Schema;
use schemars::generate::SchemaSettings;
use schemars::transform::{RecursiveTransform, Transform as _};
use serde_json::Value as Json;

use crate::project::spec::{Project, SparkJob};
use crate::project::yaml::{Seg, describe_json};

/// Which document type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    SparkJob,
    Project,
}

fn strict(schema: &mut Schema) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    if obj.contains_key("properties") && !obj.contains_key("additionalProperties") {
        obj.insert("additionalProperties".to_owned(), Json::Bool(false));
    }
    integer_range(obj);
}

/// `format: int32` (or `int64`, ...) is an annotation that validators do not enforce;
/// `minimum` and `maximum` make the range part of the check, so that a value out of range
/// (`instances: 3000000000`) is refused at its own line, not by the typed decode later.
fn integer_range(obj: &mut serde_json::Map<String, Json>) {
    let (min, max): (Json, Json) = match obj.get("format").and_then(Json::as_str) {
        Some("int8") => (i8::MIN.into(), i8::MAX.into()),
        Some("int16") => (i16::MIN.into(), i16::MAX.into()),
        Some("int32") => (i32::MIN.into(), i32::MAX.into()),
        Some("int64") => (i64::MIN.into(), i64::MAX.into()),
        Some("uint8") => (0.into(), u8::MAX.into()),
        Some("uint16") => (0.into(), u16::MAX.into()),
        Some("uint32") => (0.into(), u32::MAX.into()),
        Some("uint64" | "uint") => (0.into(), u64::MAX.into()),
        _ => return,
    };
    obj.entry("minimum").or_insert(min);
    obj.entry("maximum").or_insert(max);
}

fn settings() -> SchemaSettings {
    SchemaSettings::draft07().with_transform(RecursiveTransform(strict))
}

/// The JSON Schema of `kind`, as pretty JSON with a trailing newline (what `sparkc schema`
/// prints and `schemas/*.schema.json` holds).
pub fn schema_text(kind: Kind) -> String {
    let mut text = serde_json::to_string_pretty(schema_json(kind)).expect("schema serializes");
    text.push('\n');
    text
}

/// The JSON Schema of `kind` as a JSON value.
pub fn schema_json(kind: Kind) -> &'static Json {
    static JOB: LazyLock<Json> = LazyLock::new(|| generate::<SparkJob>("sparkjob"));
    static PROJECT: LazyLock<Json> = LazyLock::new(|| generate::<Project>("project"));
    match kind {
        Kind::SparkJob => &JOB,
        Kind::Project => &PROJECT,
    }
}

fn generate<T: schemars::JsonSchema>(name: &str) -> Json {
    let mut schema = settings().into_generator().into_root_schema_for::<T>();
    RecursiveTransform(strict).transform(&mut schema);
    let mut json = schema.to_value();
    restrict_to_kubernetes_1_30(&mut json);
    if let Json::Object(obj) = &mut json {
        obj.insert(
            "$id".to_owned(),
            Json::String(format!("https://sparkc.io/schemas/{name}.schema.json")),
        );
        let kind = if name == "project" {
            "Project"
        } else {
            "SparkJob"
        };
        if let Some(Json::Object(props)) = obj.get_mut("properties") {
            props.insert(
                "apiVersion".to_owned(),
                serde_json::json!({"description": "Always `sparkc.io/v1alpha1`.", "const": crate::project::spec::API_VERSION}),
            );
            props.insert(
                "kind".to_owned(),
                serde_json::json!({"description": format!("Always `{kind}`."), "const": kind}),
            );
        }
    }
    json
}

/// Whether a definition of the generated schema is a Kubernetes type (k8s-openapi names
/// them after the OpenAPI definitions: `io.k8s.api.core.v1.Volume`).
fn is_kubernetes(name: &str) -> bool {
    name.starts_with("io.k8s.")
}

/// Restricts every Kubernetes definition of `schema` to Kubernetes 1.30 (see the module
/// documentation): properties 1.30 lacks go (from `required` too); definitions 1.30
/// lacks go once no longer referenced.
fn restrict_to_kubernetes_1_30(schema: &mut Json) {
    let official = crate::k8s::definitions_1_30();
    let path = settings().definitions_path;
    let Some(slot) = schema.pointer_mut(&path) else {
        return;
    };
    let Json::Object(mut defs) = std::mem::take(slot) else {
        return;
    };
    for (name, def) in defs.iter_mut().filter(|(name, _)| is_kubernetes(name)) {
        let Some(theirs) = official.get(name) else {
            continue;
        };
        let known = |p: &str| {
            theirs
                .get("properties")
                .and_then(Json::as_object)
                .is_some_and(|props| props.contains_key(p))
        };
        let Json::Object(def) = def else { continue };
        if let Some(Json::Object(props)) = def.get_mut("properties") {
            props.retain(|p, _| known(p));
        }
        if let Some(Json::Array(required)) = def.get_mut("required") {
            required.retain(|r| r.as_str().is_some_and(known));
            if required.is_empty() {
                def.remove("required");
            }
        }
    }
    // What is still referenced, from outside the definitions and then transitively.
    let prefix = format!("#{path}/");
    let mut reachable = std::collections::HashSet::new();
    let mut pending = Vec::new();
    references(schema, &prefix, &mut pending);
    while let Some(name) = pending.pop() {
        if let Some(def) = defs.get(&name)
            && reachable.insert(name)
        {
            references(def, &prefix, &mut pending);
        }
    }
    defs.retain(|name, _| {
        !is_kubernetes(name) || official.contains_key(name) || reachable.contains(name)
    });
    if let Some(slot) = schema.pointer_mut(&path) {
        *slot = Json::Object(defs);
    }
}

/// Pushes the definition names that `node` refers to (`$ref: "#/definitions/NAME"`).
fn references(node: &Json, prefix: &str, out: &mut Vec<String>) {
    match node {
        Json::Object(obj) => {
            for (key, value) in obj {
                match (key.as_str(), value) {
                    ("$ref", Json::String(r)) => {
                        if let Some(name) = r.strip_prefix(prefix) {
                            out.push(name.replace("~1", "/").replace("~0", "~"));
                        }
                    }
                    _ => references(value, prefix, out),
                }
            }
        }
        Json::Array(items) => items.iter().for_each(|v| references(v, prefix, out)),
        _ => {}
    }
}

fn validator(kind: Kind) -> &'static Validator {
    static JOB: LazyLock<Validator> = LazyLock::new(|| compile(Kind::SparkJob));
    static PROJECT: LazyLock<Validator> = LazyLock::new(|| compile(Kind::Project));
    match kind {
        Kind::SparkJob => &JOB,
        Kind::Project => &PROJECT,
    }
}

fn compile(kind: Kind) -> Validator {
    jsonschema::draft7::options()
        .build(schema_json(kind))
        .expect("the generated schema compiles")
}

/// One schema violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaIssue {
    /// Path of the offending value.
    pub path: Vec<Seg>,
    /// For unknown fields: the offending key (the diagnostic points at the key).
    pub key: Option<String>,
    pub message: String,
    pub hint: Option<String>,
}

/// Checks `doc` against the schema of `kind` and returns every problem.
pub fn check(kind: Kind, doc: &Json) -> Vec<SchemaIssue> {
    let validator = validator(kind);
    if validator.is_valid(doc) {
        return Vec::new();
    }
    let root = schema_json(kind);
    let mut issues = Vec::new();
    for err in validator.iter_errors(doc) {
        explain(root, &err, &mut issues);
    }
    issues.sort_by(|a, b| a.path.cmp(&b.path).then(a.key.cmp(&b.key)));
    issues.dedup();
    issues
}

fn segs(err: &ValidationError<'_>) -> Vec<Seg> {
    err.instance_path()
        .segments()
        .map(|s| match s {
            LocationSegment::Property(p) => Seg::Key(p.into_owned()),
            LocationSegment::Index(i) => Seg::Index(i),
        })
        .collect()
}

fn explain(root: &Json, err: &ValidationError<'_>, out: &mut Vec<SchemaIssue>) {
    let path = segs(err);
    let instance = err.instance();
    let issue = |message: String, hint: Option<String>| SchemaIssue {
        path: path.clone(),
        key: None,
        message,
        hint,
    };
    match err.kind() {
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            // Nullable fields are `anyOf: [T, null]`: explain the branch that got furthest,
            // i.e. one whose errors are not just "wrong type here".
            let best = context.iter().find(|branch| {
                !branch.is_empty()
                    && !branch.iter().all(|e| {
                        matches!(e.kind(), ValidationErrorKind::Type { .. })
                            && e.instance_path().as_str() == err.instance_path().as_str()
                    })
            });
            if let Some(branch) = best {
                for e in branch {
                    explain(root, e, out);
                }
            } else {
                let expected = expected_types(context);
                out.push(issue(
                    format!("expected {expected}, found {}", describe_json(instance)),
                    type_hint(&expected, instance),
                ));
            }
        }
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => article(&t.to_string()),
                TypeKind::Multiple(set) => set
                    .iter()
                    .filter(|t| t.to_string() != "null")
                    .map(|t| article(&t.to_string()))
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            let hint = type_hint(&expected, instance);
            out.push(issue(
                format!("expected {expected}, found {}", describe_json(instance)),
                hint,
            ));
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            // Computed once per mapping, not once per unknown key: a hostile mapping has
            // a hundred thousand of them.
            let known = known_properties(root, &path);
            let lowered: Vec<String> = known.iter().map(|k| k.to_ascii_lowercase()).collect();
            let otherwise = if known.is_empty() {
                "remove it".to_owned()
            } else {
                format!("remove it; known fields here: {}", known.join(", "))
            };
            // A typo is a key or two: past a thousand unknown keys in one mapping, looking
            // for the closest known field costs more than it tells.
            let typos = unexpected.len() <= 1_000;
            for key in unexpected {
                let hint = typos
                    .then(|| closest(key, &known, &lowered))
                    .flatten()
                    .map_or_else(|| otherwise.clone(), |s| format!("did you mean `{s}`?"));
                let mut full = path.clone();
                full.push(Seg::Key(key.clone()));
                out.push(SchemaIssue {
                    path: full,
                    key: Some(key.clone()),
                    message: format!("unknown field `{key}`"),
                    hint: Some(hint),
                });
            }
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default().to_owned();
            out.push(issue(format!("missing required field `{name}`"), None));
        }
        ValidationErrorKind::Enum { options } => {
            let opts: Vec<String> = options
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|o| o.as_str().map_or_else(|| o.to_string(), str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let hint = instance
                .as_str()
                .and_then(|s| suggest(s, &opts))
                .map(|s| format!("did you mean `{s}`?"));
            out.push(issue(
                format!(
                    "expected one of {}, found {}",
                    opts.join(", "),
                    describe_json(instance)
                ),
                hint,
            ));
        }
        ValidationErrorKind::Constant { expected_value } => {
            out.push(issue(
                format!(
                    "expected {expected_value}, found {}",
                    describe_json(instance)
                ),
                None,
            ));
        }
        ValidationErrorKind::Minimum { limit } => out.push(issue(
            format!(
                "expected a value ≥ {limit}, found {}",
                describe_json(instance)
            ),
            width_hint(limit),
        )),
        ValidationErrorKind::Maximum { limit } => out.push(issue(
            format!(
                "expected a value ≤ {limit}, found {}",
                describe_json(instance)
            ),
            width_hint(limit),
        )),
        _ => out.push(issue(err.to_string(), None)),
    }
}

/// For a limit that is the end of an integer type's range, what the field holds.
fn width_hint(limit: &Json) -> Option<String> {
    let bits = match limit.as_i64() {
        Some(v) if v == i64::from(i32::MAX) || v == i64::from(i32::MIN) => 32,
        Some(i64::MAX | i64::MIN) => 64,
        _ => return None,
    };
    Some(format!(
        "the field is a {bits}-bit integer, which Kubernetes and the operator read as such"
    ))
}

fn article(t: &str) -> String {
    match t {
        "integer" => "an integer".to_owned(),
        "object" => "a mapping".to_owned(),
        "array" => "a list".to_owned(),
        other => format!("a {other}"),
    }
}

fn expected_types(context: &[Vec<ValidationError<'static>>]) -> String {
    let mut names = Vec::new();
    for branch in context {
        for e in branch {
            if let ValidationErrorKind::Type { kind } = e.kind() {
                let list: Vec<String> = match kind {
                    TypeKind::Single(t) => vec![t.to_string()],
                    TypeKind::Multiple(set) => set.iter().map(|t| t.to_string()).collect(),
                };
                for t in list {
                    if t != "null" && !names.contains(&t) {
                        names.push(t);
                    }
                }
            }
        }
    }
    if names.is_empty() {
        "a different value".to_owned()
    } else {
        names
            .iter()
            .map(|t| article(t))
            .collect::<Vec<_>>()
            .join(" or ")
    }
}

fn type_hint(expected: &str, instance: &Json) -> Option<String> {
    match instance {
        Json::String(s) if expected.contains("integer") || expected.contains("number") => {
            if s.trim().parse::<f64>().is_ok() {
                Some(format!("write the number without quotes: {}", s.trim()))
            } else {
                None
            }
        }
        Json::String(s) if expected.contains("boolean") => match s.as_str() {
            "true" | "false" | "yes" | "no" | "on" | "off" | "True" | "False" => {
                Some("write `true` or `false` without quotes".to_owned())
            }
            _ => None,
        },
        Json::Number(n) if expected == "a string" => Some(format!("quote it: \"{n}\"")),
        Json::Bool(b) if expected == "a string" => Some(format!("quote it: \"{b}\"")),
        _ => None,
    }
}

/// Resolves `#/definitions/X` references.
fn deref<'a>(root: &'a Json, mut node: &'a Json) -> &'a Json {
    for _ in 0..16 {
        match node.get("$ref").and_then(Json::as_str) {
            Some(r) => match r.strip_prefix('#') {
                Some(ptr) => match root.pointer(ptr) {
                    Some(n) => node = n,
                    None => return node,
                },
                None => return node,
            },
            None => return node,
        }
    }
    node
}

/// The object schema that applies at `path`, following properties, items, maps, refs and
/// nullable `anyOf` wrappers.
fn schema_at<'a>(root: &'a Json, path: &[Seg]) -> Option<&'a Json> {
    let mut node = object_branch(root, root);
    for seg in path {
        let next = match seg {
            Seg::Key(k) => node
                .get("properties")
                .and_then(|p| p.get(k))
                .or_else(|| node.get("additionalProperties").filter(|a| a.is_object())),
            Seg::Index(_) => node.get("items"),
        }?;
        node = object_branch(root, next);
    }
    Some(node)
}

fn object_branch<'a>(root: &'a Json, node: &'a Json) -> &'a Json {
    let node = deref(root, node);
    if let Some(branches) = node
        .get("anyOf")
        .or_else(|| node.get("oneOf"))
        .and_then(Json::as_array)
    {
        for b in branches {
            let b = deref(root, b);
            if b.get("properties").is_some()
                || b.get("items").is_some()
                || b.get("additionalProperties").is_some()
            {
                return b;
            }
        }
    }
    node
}

fn known_properties(root: &Json, path: &[Seg]) -> Vec<String> {
    schema_at(root, path)
        .and_then(|s| s.get("properties"))
        .and_then(Json::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// The closest candidate to `word`, if any is close enough to be a likely typo.
pub fn suggest(word: &str, candidates: &[String]) -> Option<String> {
    let lowered: Vec<String> = candidates.iter().map(|c| c.to_ascii_lowercase()).collect();
    closest(word, candidates, &lowered).map(str::to_owned)
}

/// [`suggest`], with the candidates already lower-cased (`lowered[i]` is `candidates[i]`).
fn closest<'a>(word: &str, candidates: &'a [String], lowered: &[String]) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .iter()
        .zip(lowered)
        .map(|(c, l)| (strsim::jaro_winkler(&lower, l), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn job(spec: Json) -> Json {
        json!({"apiVersion": "sparkc.io/v1alpha1", "kind": "SparkJob", "metadata": {"name": "a"}, "spec": spec})
    }

    #[test]
    fn valid_document_has_no_issues() {
        let doc =
            job(json!({"executor": {"instances": 4, "memory": "4g"}, "sparkConf": {"a": "b"}}));
        assert_eq!(check(Kind::SparkJob, &doc), vec![]);
    }

    #[test]
    fn string_where_integer_belongs() {
        let issues = check(
            Kind::SparkJob,
            &job(json!({"executor": {"instances": "4"}})),
        );
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(
            issues[0].message,
            "expected an integer, found the string \"4\""
        );
        assert_eq!(
            issues[0].hint.as_deref(),
            Some("write the number without quotes: 4")
        );
    }

    #[test]
    fn number_where_string_belongs() {
        let issues = check(Kind::SparkJob, &job(json!({"sparkConf": {"spark.x": 400}})));
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].hint.as_deref(), Some("quote it: \"400\""));
    }

    #[test]
    fn unknown_field_suggests() {
        let issues = check(Kind::SparkJob, &job(json!({"executors": {"instances": 1}})));
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].message, "unknown field `executors`");
        assert_eq!(issues[0].hint.as_deref(), Some("did you mean `executor`?"));
    }

    #[test]
    fn kubernetes_types_are_strict_too() {
        let issues = check(
            Kind::SparkJob,
            &job(json!({"volumes": [{"name": "x", "emptyDirr": {}}]})),
        );
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].key.as_deref(), Some("emptyDirr"));
    }

    /// Every property of every Kubernetes definition in the generated schemas is in the
    /// definition of the same name in Kubernetes 1.30, so the spec can never again accept
    /// a field that the check of the rendered objects refuses.
    #[test]
    fn kubernetes_definitions_are_those_of_1_30() {
        let official = crate::k8s::definitions_1_30();
        for kind in [Kind::SparkJob, Kind::Project] {
            let defs = schema_json(kind)["definitions"]
                .as_object()
                .expect("draft-07 definitions");
            let mut checked = 0;
            let mut properties = 0;
            for (name, def) in defs.iter().filter(|(name, _)| is_kubernetes(name)) {
                let theirs = official
                    .get(name)
                    .unwrap_or_else(|| panic!("{kind:?}: {name} is not a Kubernetes 1.30 type"));
                let known = |p: &str| {
                    theirs
                        .get("properties")
                        .and_then(Json::as_object)
                        .is_some_and(|props| props.contains_key(p))
                };
                if let Some(props) = def.get("properties").and_then(Json::as_object) {
                    for p in props.keys() {
                        assert!(known(p), "{kind:?}: {name}.{p} is not in Kubernetes 1.30");
                        properties += 1;
                    }
                }
                for r in def
                    .get("required")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                {
                    assert!(known(r.as_str().unwrap()), "{kind:?}: {name} requires {r}");
                }
                checked += 1;
            }
            assert!(
                checked >= 50 && properties >= 300,
                "{kind:?}: only {checked} Kubernetes definitions, {properties} properties"
            );
        }
    }

    /// Pruning leaves no reference dangling.
    #[test]
    fn every_reference_resolves() {
        for kind in [Kind::SparkJob, Kind::Project] {
            let root = schema_json(kind);
            let mut names = Vec::new();
            references(root, "#/definitions/", &mut names);
            assert!(!names.is_empty());
            for name in names {
                assert!(
                    root["definitions"].get(&name).is_some(),
                    "{kind:?}: #/definitions/{name} is referenced but not defined"
                );
            }
            assert!(
                root["definitions"]
                    .get("io.k8s.api.core.v1.ImageVolumeSource")
                    .is_none()
            );
        }
    }

    #[test]
    fn fields_newer_than_kubernetes_1_30_are_unknown() {
        let issues = check(
            Kind::SparkJob,
            &job(json!({
                "volumes": [{"name": "x", "image": {"reference": "registry.example.com/data:1"}}],
                "driver": {"lifecycle": {"stopSignal": "SIGTERM"}},
            })),
        );
        let keys: Vec<_> = issues.iter().map(|i| i.key.as_deref()).collect();
        assert_eq!(keys, [Some("stopSignal"), Some("image")], "{issues:?}");
        assert!(
            issues
                .iter()
                .all(|i| i.message.starts_with("unknown field"))
        );
    }

    /// `format: int32` is not enforced by validators; the generated range is.
    #[test]
    fn integers_out_of_their_range() {
        let issues = check(
            Kind::SparkJob,
            &job(
                json!({"executor": {"instances": 3_000_000_000_u64}, "timeToLiveSeconds": u64::MAX}),
            ),
        );
        let found: Vec<_> = issues
            .iter()
            .map(|i| (path_of(&i.path), i.message.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "spec.executor.instances".to_owned(),
                    "expected a value ≤ 2147483647, found the number 3000000000"
                ),
                (
                    "spec.timeToLiveSeconds".to_owned(),
                    "expected a value ≤ 9223372036854775807, found the number 18446744073709551615"
                ),
            ],
            "{issues:?}"
        );
        assert!(issues[0].hint.as_deref().unwrap().contains("32-bit"));
        let volume = json!({"volumes": [{"name": "x", "secret": {"secretName": "s", "defaultMode": -3_000_000_000_i64}}]});
        assert_eq!(check(Kind::SparkJob, &job(volume)).len(), 1);
    }

    fn path_of(path: &[Seg]) -> String {
        crate::project::yaml::path_string(path)
    }

    #[test]
    fn enum_suggests() {
        let issues = check(Kind::SparkJob, &job(json!({"type": "python"})));
        assert_eq!(
            issues[0].hint.as_deref(),
            Some("did you mean `Python`?"),
            "{issues:?}"
        );
    }

    #[test]
    fn null_is_allowed_to_remove_inherited_values() {
        assert_eq!(
            check(
                Kind::SparkJob,
                &job(json!({"executor": null, "image": null}))
            ),
            vec![]
        );
    }
}
