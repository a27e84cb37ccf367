//! Live objects as a diff holds them: read from dumps (YAML or JSON, one or several
//! documents, `kind: List`) or given as values, and indexed by key and by the job their
//! labels name.
//!
//! A `kubectl get -o json` dump stays text. Reading it keeps, per object, its span of the
//! dump and a small record (key, job, ownership); the object is parsed in full only when
//! the render meets it, on the worker comparing that job. A diff of a large cluster then
//! holds the dump's text, not every object parsed (several times its size).

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Value as Json, value::RawValue};

use crate::diff::{JobKey, Key};
use crate::names;

/// One live object: its text in a JSON dump, or a parsed value (a YAML dump, the cluster,
/// the render at another ref).
pub enum Object<'a> {
    Text(&'a RawValue),
    Value(Json),
}

impl Object<'_> {
    /// The object parsed. The dump's text is valid JSON (it was read as such); what can
    /// still fail is serde_json's nesting limit, which skipping over a value does not have.
    pub fn value(&self) -> Result<Json, String> {
        match self {
            Object::Text(raw) => serde_json::from_str(raw.get()).map_err(|e| e.to_string()),
            Object::Value(v) => Ok(v.clone()),
        }
    }
}

/// A live object and what the diff needs to know of it before comparing it.
pub struct Entry<'a> {
    pub key: Key,
    /// (namespace, job, environment) from its labels, when it has them.
    pub job: Option<JobKey>,
    /// Its `sparkc.io/environment` label.
    pub env: Option<String>,
    /// Labelled as sparkc's (`app.kubernetes.io/managed-by: sparkc`).
    pub ours: bool,
    /// It has owner references (a controller made it).
    pub owned: bool,
    pub object: Object<'a>,
}

impl<'a> Entry<'a> {
    /// The record of a parsed object.
    pub fn of_value(value: Json) -> Entry<'a> {
        let labels = value.pointer("/metadata/labels");
        let head = Head {
            api_version: value.get("apiVersion").cloned(),
            kind: value.get("kind").cloned(),
            metadata: Some(Meta {
                name: value.pointer("/metadata/name").cloned(),
                namespace: value.pointer("/metadata/namespace").cloned(),
                labels: labels.cloned(),
                owner_references: value.pointer("/metadata/ownerReferences").cloned(),
            }),
        };
        head.entry(Object::Value(value))
    }
}

/// The fields of an object that its record reads; serde skips the rest of the text.
#[derive(Deserialize)]
struct Head {
    #[serde(rename = "apiVersion")]
    api_version: Option<Json>,
    kind: Option<Json>,
    metadata: Option<Meta>,
}

#[derive(Deserialize)]
struct Meta {
    name: Option<Json>,
    namespace: Option<Json>,
    labels: Option<Json>,
    #[serde(rename = "ownerReferences")]
    owner_references: Option<Json>,
}

impl Head {
    fn entry(self, object: Object<'_>) -> Entry<'_> {
        let text = |v: &Option<Json>| {
            v.as_ref()
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let meta = self.metadata.as_ref();
        let api = text(&self.api_version);
        let group = api.rsplit_once('/').map_or("", |(g, _)| g).to_owned();
        let namespace = meta.map(|m| text(&m.namespace)).unwrap_or_default();
        let labels = meta.and_then(|m| m.labels.as_ref());
        let label = |k: &str| {
            labels
                .and_then(|l| l.get(k))
                .and_then(Json::as_str)
                .map(str::to_owned)
        };
        let env = label(names::LABEL_ENV);
        let job = label(names::LABEL_NAME)
            .zip(env.clone())
            .map(|(name, env)| (namespace.clone(), name, env));
        Entry {
            key: (
                group,
                text(&self.kind),
                namespace,
                meta.map(|m| text(&m.name)).unwrap_or_default(),
            ),
            job,
            ours: label(names::LABEL_MANAGED_BY).as_deref() == Some(names::MANAGED_BY),
            owned: meta
                .and_then(|m| m.owner_references.as_ref())
                .and_then(Json::as_array)
                .is_some_and(|a| !a.is_empty()),
            env,
            object,
        }
    }
}

/// The objects of one dump. `kubectl get -o json` output (one value, or several one after
/// another) is read as JSON, each object kept as its text; anything else, or JSON that does
/// not parse, by the YAML parser, whose errors carry positions.
pub fn read(text: &str) -> Result<Vec<Entry<'_>>, String> {
    let json = text.trim_start().starts_with(['{', '[']);
    let objects = match json.then(|| one_pass(text)).flatten() {
        Some(objects) => objects,
        None => {
            let raw_docs = json
                .then(|| {
                    serde_json::Deserializer::from_str(text)
                        .into_iter::<&RawValue>()
                        .collect::<Result<Vec<_>, _>>()
                        .ok()
                })
                .flatten();
            let Some(docs) = raw_docs else {
                let docs = crate::project::yaml::parse_values(text)
                    .map_err(|e| format!("line {}: {}", e.pos.line, e.message))?;
                return Ok(values(docs).into_iter().map(Entry::of_value).collect());
            };
            let mut objects: Vec<Object<'_>> = Vec::new();
            for doc in docs {
                match list_items(doc) {
                    Ok(Some(items)) => objects.extend(items.into_iter().map(Object::Text)),
                    Ok(None) => objects.push(Object::Text(doc)),
                    // Not an object, or one serde's fast path refuses (a duplicate field):
                    // read whole, as any other reader would.
                    Err(()) => {
                        let v =
                            serde_json::from_str::<Json>(doc.get()).map_err(|e| e.to_string())?;
                        objects.extend(values(vec![v]).into_iter().map(Object::Value));
                    }
                }
            }
            objects
        }
    };
    use rayon::prelude::*;
    objects
        .into_par_iter()
        .filter_map(|object| {
            let raw = match object {
                Object::Text(raw) => raw,
                Object::Value(v) => return Some(Ok(Entry::of_value(v))),
            };
            // (serde reads a struct from an array too: only an object takes the fast path.)
            let head = is_object(raw)
                .then(|| serde_json::from_str::<Head>(raw.get()).ok())
                .flatten();
            match head {
                Some(head) => Some(Ok(head.entry(Object::Text(raw)))),
                None => match serde_json::from_str::<Json>(raw.get()) {
                    Ok(v) if v.is_object() => Some(Ok(Entry::of_value(v))),
                    Ok(_) => None,
                    Err(e) => Some(Err(e.to_string())),
                },
            }
        })
        .collect()
}

/// The objects of a JSON dump whose documents are all objects with an `items` array or
/// none, read in one pass (a `kind: List` of fifty thousand objects is scanned once here);
/// `None` for anything else, which [`read`] then reads document by document.
fn one_pass(text: &str) -> Option<Vec<Object<'_>>> {
    #[derive(Deserialize)]
    struct Doc<'a> {
        kind: Option<Json>,
        #[serde(borrow)]
        items: Option<Vec<&'a RawValue>>,
    }
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Doc<'_>>();
    let mut objects = Vec::new();
    let mut start = 0;
    while let Some(doc) = stream.next() {
        let doc = doc.ok()?;
        let end = stream.byte_offset();
        if !text[start..end].trim_start().starts_with('{') {
            return None;
        }
        let list = doc
            .kind
            .as_ref()
            .and_then(Json::as_str)
            .is_some_and(|k| k.ends_with("List"));
        match doc.items {
            Some(items) if list => objects.extend(items.into_iter().map(Object::Text)),
            _ => objects.push(Object::Text(serde_json::from_str(&text[start..end]).ok()?)),
        }
        start = end;
    }
    Some(objects)
}

/// The items of a document that is a `kind: *List` with an `items` array (`None`: any
/// other object); `Err`: not an object serde's fast path reads.
fn list_items(doc: &RawValue) -> Result<Option<Vec<&RawValue>>, ()> {
    #[derive(Deserialize)]
    struct Doc<'a> {
        kind: Option<Json>,
        #[serde(borrow)]
        items: Option<&'a RawValue>,
    }
    if !is_object(doc) {
        return Err(());
    }
    let d: Doc<'_> = serde_json::from_str(doc.get()).map_err(|_| ())?;
    let list = d
        .kind
        .as_ref()
        .and_then(Json::as_str)
        .is_some_and(|k| k.ends_with("List"));
    Ok(d.items
        .filter(|_| list)
        .and_then(|items| serde_json::from_str(items.get()).ok()))
}

/// Whether a value's text is an object (a raw value has no leading space).
fn is_object(raw: &RawValue) -> bool {
    raw.get().starts_with('{')
}

/// Parsed documents as objects: the items of a `kind: *List` document, each other object
/// as itself; anything that is not an object is left out.
pub fn values(docs: Vec<Json>) -> Vec<Json> {
    let mut out = Vec::new();
    for mut d in docs {
        if d["kind"].as_str().is_some_and(|k| k.ends_with("List")) && d["items"].is_array() {
            if let Some(Json::Array(items)) = d.get_mut("items").map(Json::take) {
                out.extend(items.into_iter().filter(Json::is_object));
            }
        } else if d.is_object() {
            out.push(d);
        }
    }
    out
}

/// Live objects indexed by key (one object per key: the last one read) and by job.
#[derive(Default)]
pub struct Live<'a> {
    entries: Vec<Entry<'a>>,
    by_key: HashMap<Key, usize>,
    by_job: HashMap<JobKey, Vec<usize>>,
}

impl<'a> Live<'a> {
    pub fn new(all: Vec<Entry<'a>>) -> Live<'a> {
        let mut live = Live::default();
        for e in all {
            match live.by_key.get(&e.key) {
                Some(&i) => live.entries[i] = e,
                None => {
                    live.by_key.insert(e.key.clone(), live.entries.len());
                    live.entries.push(e);
                }
            }
        }
        for (i, e) in live.entries.iter().enumerate() {
            if let Some(job) = &e.job {
                live.by_job.entry(job.clone()).or_default().push(i);
            }
        }
        live
    }

    /// The index of the object with this key.
    pub fn find(&self, key: &Key) -> Option<usize> {
        self.by_key.get(key).copied()
    }

    /// The objects whose labels name this job.
    pub fn of_job(&self, job: &JobKey) -> &[usize] {
        self.by_job.get(job).map_or(&[], Vec::as_slice)
    }

    pub fn entries(&self) -> &[Entry<'a>] {
        &self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<String> {
        read(text)
            .unwrap()
            .iter()
            .map(|e| format!("{}/{}/{}", e.key.1, e.key.2, e.key.3))
            .collect()
    }

    #[test]
    fn dumps_json_yaml_lists_and_streams() {
        let obj = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}"#;
        let list = format!(r#"{{"apiVersion":"v1","kind":"List","items":[{obj},{obj}]}}"#);
        assert_eq!(keys(&list), ["ConfigMap//a", "ConfigMap//a"]);
        assert_eq!(keys(&format!("{obj}\n{obj}\n")).len(), 2);
        // Documents the one-pass reader does not take (an array, a duplicate field) are
        // read one by one.
        assert_eq!(keys(&format!("[1]\n{obj}\n")), ["ConfigMap//a"]);
        assert!(keys(r#"["PodList", [{"kind": "Pod", "metadata": {"name": "p"}}]]"#).is_empty());
        let twice =
            r#"{"kind":"List","kind":"List","items":[{"kind":"Pod","metadata":{"name":"p"}}]}"#;
        assert_eq!(keys(twice), ["Pod//p"]);
        let yaml = "---\nkind: ConfigMapList\nitems:\n- {kind: ConfigMap, metadata: {name: a}}\n---\nkind: Pod\n";
        assert_eq!(keys(yaml), ["ConfigMap//a", "Pod//"]);
        let err = read("{\"kind\": \"List\",\n  \"items\": [\n}")
            .err()
            .unwrap();
        assert!(err.starts_with("line "), "{err}");
    }

    #[test]
    fn records_read_from_text_equal_those_of_values() {
        let text = r#"{"kind": "List", "items": [
            {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "etl-0a1b2c3d",
             "namespace": "data", "labels": {"app.kubernetes.io/name": "etl",
             "sparkc.io/environment": "prod", "app.kubernetes.io/managed-by": "sparkc"},
             "ownerReferences": [{"kind": "CronJob"}]}, "spec": {"x": [1, 2]}},
            {"apiVersion": 3, "kind": "Pod", "metadata": {"name": "p", "labels": {"app.kubernetes.io/managed-by": "helm"}}},
            {"kind": "Pod", "kind": "Pod", "metadata": {"name": "twice"}},
            [1, 2], "text",
            ["v1", "ConfigMap", ["cm", "ns", {"app.kubernetes.io/managed-by": "sparkc"}, null]]
        ]}"#;
        let from_text = read(text).unwrap();
        assert!(matches!(from_text[0].object, Object::Text(_)));
        let parsed: Json = serde_json::from_str(text).unwrap();
        let from_values: Vec<Entry<'_>> = values(vec![parsed])
            .into_iter()
            .map(Entry::of_value)
            .collect();
        let record = |e: &Entry<'_>| {
            (
                e.key.clone(),
                e.job.clone(),
                e.env.clone(),
                e.ours,
                e.owned,
                e.object.value().unwrap(),
            )
        };
        assert_eq!(
            from_text.len(),
            3,
            "the arrays and the string are not objects"
        );
        assert_eq!(
            from_text.iter().map(record).collect::<Vec<_>>(),
            from_values.iter().map(record).collect::<Vec<_>>()
        );
        let first = record(&from_text[0]);
        assert_eq!(first.1, Some(("data".into(), "etl".into(), "prod".into())));
        assert!(first.3 && first.4);
    }

    #[test]
    fn an_object_nested_past_the_parser_limit_is_an_error_when_read() {
        let deep = format!(
            r#"{{"kind": "Pod", "metadata": {{"name": "p"}}, "spec": {}{}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        let entries = read(&deep).unwrap();
        assert!(entries[0].object.value().is_err());
    }

    #[test]
    fn one_object_per_key_the_last_one_read() {
        let a = r#"{"kind":"ConfigMap","metadata":{"name":"a"},"data":{"v":"1"}}"#;
        let b = r#"{"kind":"ConfigMap","metadata":{"name":"a"},"data":{"v":"2"}}"#;
        let text = format!("{a}\n{b}");
        let live = Live::new(read(&text).unwrap());
        assert_eq!(live.entries().len(), 1);
        let i = live.find(&live.entries()[0].key).unwrap();
        assert_eq!(live.entries()[i].object.value().unwrap()["data"]["v"], "2");
    }
}
