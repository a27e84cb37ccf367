//! YAML in: a tree of nodes that remember where they came from.
//!
//! Parsing is done by `serde-saphyr` (a maintained, fuzzed, panic-free YAML 1.2 parser with
//! resource budgets and located errors). We deserialize into [`Node`], a small value tree in
//! which every node and every mapping key keeps its line and column, so that a problem found
//! later (by the JSON Schema, by a rule, after a merge) can point back at the exact spot.
//! Budgets bound time and memory on hostile input: alias bombs, deep nesting, huge files;
//! a large mapping indexes its keys on the first lookup, so that locating each of a
//! hundred thousand problems costs the same as locating one.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value as Json;
use serde_saphyr::{Budget, DuplicateKeyPolicy, Spanned};

/// Largest input file sparkc reads (job specs are small; this bounds memory).
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// A 1-based line and column, plus the length of the marked text in characters.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
    pub len: u32,
}

impl Pos {
    pub const fn new(line: u32, column: u32) -> Self {
        Self {
            line,
            column,
            len: 0,
        }
    }
}

impl From<serde_saphyr::Location> for Pos {
    fn from(loc: serde_saphyr::Location) -> Self {
        Self {
            line: u32::try_from(loc.line()).unwrap_or(u32::MAX).max(1),
            column: u32::try_from(loc.column()).unwrap_or(u32::MAX).max(1),
            len: u32::try_from(loc.span().len()).unwrap_or(0),
        }
    }
}

/// A YAML node with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
}

/// A YAML value. Mapping keys are nodes too, so that an unknown key can be pointed at.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Mapping),
}

/// The entries of a mapping, in document order, and an index of their keys that the first
/// lookup in a large mapping builds: a diagnostic finds its key in constant time, however
/// many keys the mapping has (a hostile spec can have a hundred thousand).
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    entries: Vec<(Node, Node)>,
    index: OnceLock<HashMap<Box<str>, usize>>,
}

/// Up to this many entries a lookup scans the keys; above, it uses the index.
const SCAN_LIMIT: usize = 16;

impl Mapping {
    pub fn new(entries: Vec<(Node, Node)>) -> Self {
        Self {
            entries,
            index: OnceLock::new(),
        }
    }

    pub fn entries(&self) -> &[(Node, Node)] {
        &self.entries
    }

    /// The entry whose key is `key` (the first one, should two keys spell the same).
    pub fn get(&self, key: &str) -> Option<&(Node, Node)> {
        if self.entries.len() <= SCAN_LIMIT {
            return self.entries.iter().find(|(k, _)| k.key_is(key));
        }
        let index = self.index.get_or_init(|| {
            let mut index = HashMap::with_capacity(self.entries.len());
            for (i, (k, _)) in self.entries.iter().enumerate() {
                if let Some(name) = k.key_string() {
                    index.entry(name.into_boxed_str()).or_insert(i);
                }
            }
            index
        });
        index.get(key).map(|&i| &self.entries[i])
    }
}

impl PartialEq for Mapping {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}

/// One step of a path into a document.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Seg {
    Key(String),
    Index(usize),
}

impl fmt::Display for Seg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Seg::Key(k) => f.write_str(k),
            Seg::Index(i) => write!(f, "{i}"),
        }
    }
}

/// Formats a path the way users write it: `spec.executor.instances`, `spec.env[0].name`,
/// and `spec.sparkConf["spark.executor.cores"]` for keys that contain dots.
pub fn path_string(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
            Seg::Key(k) => {
                let plain = !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if plain {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                } else {
                    out.push('[');
                    out.push_str(&serde_json::to_string(k).unwrap_or_default());
                    out.push(']');
                }
            }
        }
    }
    out
}

/// Parses a JSON pointer (`/spec/executor/instances`) into path segments; all-digit segments
/// become indexes when `as_index` says so.
pub fn pointer_segments(pointer: &str) -> Vec<String> {
    if pointer.is_empty() {
        return Vec::new();
    }
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

impl Node {
    /// The mapping entries, if this is a mapping.
    pub fn entries(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m.entries()),
            _ => None,
        }
    }

    /// The value under `key`, if this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.get_entry(key).map(|(_, v)| v)
    }

    fn get_entry(&self, key: &str) -> Option<&(Node, Node)> {
        match &self.value {
            Value::Map(m) => m.get(key),
            _ => None,
        }
    }

    /// Whether this mapping key spells `key` (as [`Node::key_string`] would), without
    /// allocating.
    pub fn key_is(&self, key: &str) -> bool {
        match &self.value {
            Value::Str(s) => s == key,
            Value::Null => key == "null",
            Value::Bool(b) => displays_as(b, key),
            Value::Int(i) => displays_as(i, key),
            Value::UInt(u) => displays_as(u, key),
            Value::Float(f) => displays_as(f, key),
            Value::Seq(_) | Value::Map(_) => false,
        }
    }

    /// The string value, if this is a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A mapping key as a string (numbers and booleans spelled as in JSON).
    pub fn key_string(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Null => Some("null".to_owned()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::UInt(u) => Some(u.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Seq(_) | Value::Map(_) => None,
        }
    }

    /// A short description of the value's type for messages: `a string "4"`, `a number 4`.
    pub fn describe(&self) -> String {
        describe_json(&self.to_json())
    }

    /// Converts to JSON. Keys that are not scalars (rare, e.g. `? [a, b]`) are spelled as
    /// their JSON text.
    pub fn to_json(&self) -> Json {
        match &self.value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => Json::from(*i),
            Value::UInt(u) => Json::from(*u),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
            Value::Str(s) => Json::String(s.clone()),
            Value::Seq(items) => Json::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(m) => Json::Object(
                m.entries()
                    .iter()
                    .map(|(k, v)| {
                        let key = k.key_string().unwrap_or_else(|| k.to_json().to_string());
                        (key, v.to_json())
                    })
                    .collect(),
            ),
        }
    }

    /// Finds the node at `path` (mapping keys and sequence indexes). `Ok` is the node itself;
    /// `Err` is the deepest ancestor that exists, for values that are missing.
    pub fn locate<'a>(&'a self, path: &[Seg]) -> Result<&'a Node, &'a Node> {
        let mut node = self;
        for seg in path {
            let next = match (seg, &node.value) {
                (Seg::Key(k), Value::Map(_)) => node.get(k),
                (Seg::Index(i), Value::Seq(items)) => items.get(*i),
                (Seg::Key(k), Value::Seq(items)) => {
                    k.parse::<usize>().ok().and_then(|i| items.get(i))
                }
                _ => None,
            };
            match next {
                Some(n) => node = n,
                None => return Err(node),
            }
        }
        Ok(node)
    }

    /// The position of the key `key` inside the mapping at `path`, for "unknown field" errors.
    pub fn key_pos(&self, path: &[Seg], key: &str) -> Option<Pos> {
        let map = self.locate(path).ok()?;
        map.get_entry(key).map(|(k, _)| k.pos)
    }

    /// The position to report for `path`: the value when it exists, else its nearest ancestor.
    /// The boolean says whether the value itself was found.
    pub fn pos_of(&self, path: &[Seg]) -> (Pos, bool) {
        match self.locate(path) {
            Ok(n) => (n.pos, true),
            Err(n) => (n.pos, false),
        }
    }
}

/// Whether `value` is written `text`, compared piece by piece as it is formatted.
fn displays_as(value: &impl fmt::Display, text: &str) -> bool {
    struct Compare<'a> {
        rest: &'a str,
        equal: bool,
    }
    impl fmt::Write for Compare<'_> {
        fn write_str(&mut self, piece: &str) -> fmt::Result {
            match self.rest.strip_prefix(piece) {
                Some(rest) if self.equal => self.rest = rest,
                _ => self.equal = false,
            }
            Ok(())
        }
    }
    let mut compare = Compare {
        rest: text,
        equal: true,
    };
    let _ = fmt::Write::write_fmt(&mut compare, format_args!("{value}"));
    compare.equal && compare.rest.is_empty()
}

/// Describes a JSON value for messages.
pub fn describe_json(v: &Json) -> String {
    match v {
        Json::Null => "null".to_owned(),
        Json::Bool(b) => format!("the boolean {b}"),
        Json::Number(n) => format!("the number {n}"),
        Json::String(s) => {
            let mut shown: String = s.chars().take(60).collect();
            if shown.len() < s.len() {
                shown.push('…');
            }
            format!(
                "the string {}",
                serde_json::to_string(&shown).unwrap_or_default()
            )
        }
        Json::Array(_) => "a list".to_owned(),
        Json::Object(_) => "a mapping".to_owned(),
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(d)?;
        Ok(Node {
            value: spanned.value,
            pos: spanned.referenced.into(),
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::UInt(v), Value::Int))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Int)
            .map_err(|_| E::custom("integer out of range"))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        u64::try_from(v)
            .map(Value::UInt)
            .map_err(|_| E::custom("integer out of range"))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        String::from_utf8(v.to_vec())
            .map(Value::Str)
            .map_err(|_| E::custom("binary data is not supported"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Node>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(Value::Map(Mapping::new(entries)))
    }
}

/// Writes a value as canonical YAML: keys sorted (serde_json's maps are ordered), block
/// style, multi-line strings as literal blocks, long lines never folded (a folded scalar
/// would be one more way for a string to change on its way through).
///
/// The output is byte for byte what serde-saphyr's serializer writes
/// ([`to_yaml_reference`]; a test holds them equal), but faster: the block structure is
/// written here, and serde-saphyr decides only how to write the scalars that are not plainly
/// safe (quoting for YAML 1.1 and 1.2 readers, literal blocks, numbers). Writing YAML is a
/// quarter of a render's time otherwise.
pub fn to_yaml(value: &Json) -> String {
    let mut out = String::with_capacity(1024);
    write_yaml(value, &mut out);
    out
}

/// [`to_yaml`], appended to `out`.
pub fn write_yaml(value: &Json, out: &mut String) {
    match value {
        Json::Object(m) if !m.is_empty() => emit_map(m, 0, out),
        Json::Array(a) if !a.is_empty() => emit_seq(a, 0, out),
        scalar => {
            emit_scalar(scalar, 0, out);
            out.push('\n');
        }
    }
}

/// serde-saphyr's own serialization, with the options [`to_yaml`] matches.
pub fn to_yaml_reference(value: &Json) -> String {
    serde_saphyr::to_string_with_options(value, ser_options()).unwrap_or_default()
}

fn ser_options() -> serde_saphyr::SerializerOptions {
    serde_saphyr::ser_options! {
        folded_wrap_chars: usize::MAX,
        min_fold_chars: usize::MAX,
    }
}

fn pad(out: &mut String, indent: usize) {
    const SPACES: &str = "                                                                ";
    let mut left = indent;
    while left > 0 {
        let n = left.min(SPACES.len());
        out.push_str(&SPACES[..n]);
        left -= n;
    }
}

/// The longest key YAML reads in `key: value` form (an implicit key), in characters; a
/// longer one is written as an explicit key (serde-saphyr's serializer writes it implicit,
/// which no reader reads back).
const MAX_IMPLICIT_KEY: usize = 1024;

/// Whether a string holds a character that YAML allows only escaped (DEL, the C1 controls
/// but NEL, U+FEFF, U+FFFE, U+FFFF), which serde-saphyr's serializer writes raw, so that its
/// own parser refuses the text.
fn needs_escapes(s: &str) -> bool {
    s.chars().any(|c| {
        matches!(c, '\u{7f}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}')
            || (('\u{80}'..='\u{9f}').contains(&c) && c != '\u{85}')
    })
}

/// A double-quoted string with JSON's escapes (YAML's double quotes read them all), and
/// `\uXXXX` for what JSON leaves raw.
fn push_escaped(s: &str, out: &mut String) {
    let json = Json::String(s.to_owned()).to_string();
    for c in json.chars() {
        if c == '\u{85}' || needs_escapes(c.encode_utf8(&mut [0; 4])) {
            out.push_str(&format!("\\u{:04X}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
}

/// A block mapping at `indent`; the caller has written the indentation of the first key.
fn emit_map(m: &serde_json::Map<String, Json>, indent: usize, out: &mut String) {
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            pad(out, indent);
        }
        let start = out.len();
        emit_key(k, out);
        if out.len() - start > MAX_IMPLICIT_KEY && out[start..].chars().count() > MAX_IMPLICIT_KEY {
            // Too long for `key: value`: an explicit key, `? key` then `: value` below it.
            out.insert_str(start, "? ");
            out.push('\n');
            pad(out, indent);
        }
        out.push(':');
        match v {
            Json::Object(sub) if !sub.is_empty() => {
                out.push('\n');
                pad(out, indent + 2);
                emit_map(sub, indent + 2, out);
            }
            Json::Array(items) if !items.is_empty() => {
                out.push('\n');
                pad(out, indent);
                emit_seq(items, indent, out);
            }
            scalar => {
                out.push(' ');
                emit_scalar(scalar, indent, out);
                out.push('\n');
            }
        }
    }
}

/// A block sequence at `indent`; the caller has written the indentation of the first dash.
fn emit_seq(items: &[Json], indent: usize, out: &mut String) {
    for (i, v) in items.iter().enumerate() {
        if i > 0 {
            pad(out, indent);
        }
        out.push_str("- ");
        match v {
            Json::Object(sub) if !sub.is_empty() => emit_map(sub, indent + 2, out),
            Json::Array(sub) if !sub.is_empty() => emit_seq(sub, indent + 2, out),
            scalar => {
                emit_scalar(scalar, indent, out);
                out.push('\n');
            }
        }
    }
}

/// Whether a string is written plain by serde-saphyr: the common shapes of names, labels,
/// paths, image references and `--flag` / `key=value` arguments (`$(VAR)` references,
/// lists with commas), none of which a YAML 1.1 or 1.2 reader takes for anything but a
/// string. Values may hold more than keys: `:` not followed by a space, and the characters
/// that are indicators only at the start of a plain scalar.
fn plainly_safe(s: &str, key: bool) -> bool {
    let b = s.as_bytes();
    let start = match b {
        [b'-', b'-', c, ..] if c.is_ascii_alphabetic() => 2,
        [c, ..] if c.is_ascii_alphabetic() => 0,
        // An absolute path.
        [b'/', ..] if !key => 0,
        // A number with a unit (`512m`, `2Gi`, `1g`): digits and letters only, and a letter
        // that no YAML number has (not an exponent or a radix prefix).
        [c, ..] if c.is_ascii_digit() => {
            return b.iter().all(u8::is_ascii_alphanumeric)
                && b.iter().any(u8::is_ascii_alphabetic)
                && !b
                    .iter()
                    .any(|c| matches!(c, b'e' | b'E' | b'x' | b'X' | b'o' | b'O' | b'b' | b'B'));
        }
        _ => return false,
    };
    let body_ok = b[start..].iter().enumerate().all(|(i, &c)| {
        c.is_ascii_alphanumeric()
            || matches!(c, b'.' | b'_' | b'/' | b'-' | b'=')
            || (!key && c == b':' && b.get(start + i + 1).is_some_and(|n| *n != b' '))
            || (!key
                && matches!(
                    c,
                    b'$' | b'(' | b')' | b',' | b'+' | b'@' | b'%' | b';' | b'#'
                ))
    });
    body_ok
        && (b.len() > 5
            || !["y", "n", "yes", "no", "on", "off", "true", "false", "null"]
                .iter()
                .any(|w| s.eq_ignore_ascii_case(w)))
}

/// Whether a string is an optional `-` and decimal digits.
fn integer_text(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit())
}

fn emit_key(k: &str, out: &mut String) {
    if plainly_safe(k, true) {
        out.push_str(k);
        return;
    }
    if needs_escapes(k) {
        push_escaped(k, out);
        return;
    }
    // As serde-saphyr writes it in a one-entry mapping.
    let mut one = serde_json::Map::new();
    one.insert(k.to_owned(), Json::Null);
    let text = to_yaml_reference(&Json::Object(one));
    match text.strip_suffix(": null\n") {
        Some(key) if !key.contains('\n') => out.push_str(key),
        _ => out.push_str(&Json::String(k.to_owned()).to_string()),
    }
}

/// A scalar (or empty collection) after `key: ` or `- `; `indent` is the column of the key
/// or dash, which the lines of a literal block are indented from.
fn emit_scalar(v: &Json, indent: usize, out: &mut String) {
    match v {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) if n.is_i64() || n.is_u64() => {
            use std::fmt::Write;
            let _ = write!(out, "{n}");
        }
        Json::String(s) if plainly_safe(s, false) => out.push_str(s),
        // The empty string and integers in text (`"-1"`, a sync wave) are written in double
        // quotes, as serde-saphyr writes them.
        Json::String(s) if s.is_empty() || integer_text(s) => {
            out.push('"');
            out.push_str(s);
            out.push('"');
        }
        Json::String(s) if needs_escapes(s) => push_escaped(s, out),
        Json::Object(_) => out.push_str("{}"),
        Json::Array(_) => out.push_str("[]"),
        other => {
            let text = to_yaml_reference(other);
            let text = text.strip_suffix('\n').unwrap_or(&text);
            let mut lines = text.split('\n');
            out.push_str(lines.next().unwrap_or_default());
            for line in lines {
                out.push('\n');
                if !line.is_empty() {
                    pad(out, indent);
                }
                out.push_str(line);
            }
        }
    }
}

/// A YAML syntax (or budget) error at a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

fn options() -> serde_saphyr::Options {
    options_for(1)
}

/// Parser options; `scale` multiplies the budgets (large inputs such as live-object dumps).
fn options_for(scale: usize) -> serde_saphyr::Options {
    let mut budget = Budget::default();
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    budget.max_depth = 64;
    budget.max_nodes = 200_000 * scale;
    budget.max_events = 1_000_000 * scale;
    budget.max_documents = 1_000 * scale;
    budget.max_total_scalar_bytes = 16 * 1024 * 1024 * scale;
    let mut opts = serde_saphyr::options! {
        budget: Some(budget),
        duplicate_keys: DuplicateKeyPolicy::Error,
        strict_booleans: true,
        with_snippet: false,
    };
    opts.alias_limits.max_total_replayed_events = 100_000;
    opts
}

/// Parses every document of a YAML stream. Empty documents come back as `Null` nodes.
pub fn parse_documents(text: &str) -> Result<Vec<Node>, SyntaxError> {
    if let Some(docs) = super::yaml_subset::documents(text) {
        // Debug builds (every test) hold the fast reader to the full parser.
        if cfg!(debug_assertions) {
            let full = parse_documents_fully(text);
            assert!(
                full.as_ref().is_ok_and(|f| *f == docs),
                "the fast reader and the YAML parser disagree on\n{text}\nfast: {docs:#?}\nfull: {full:#?}"
            );
        }
        return Ok(docs);
    }
    parse_documents_fully(text)
}

/// [`parse_documents`] by the full parser (the fast reader's tests compare with it).
pub(super) fn parse_documents_fully(text: &str) -> Result<Vec<Node>, SyntaxError> {
    serde_saphyr::from_multiple_with_options::<Option<Node>>(text, options())
        .map(|docs| {
            docs.into_iter()
                .map(|d| {
                    d.unwrap_or(Node {
                        value: Value::Null,
                        pos: Pos::new(1, 1),
                    })
                })
                .collect()
        })
        .map_err(|e| syntax_error(text, &e))
}

/// Parses every document of a trusted-shape YAML stream straight into JSON values (no
/// positions: faster, for text sparkc produced itself, such as rendered templates).
pub fn parse_values(text: &str) -> Result<Vec<Json>, SyntaxError> {
    // Budgets grow with the input (a dump of live objects can hold thousands of documents);
    // aliases stay bounded whatever the size.
    let scale = (text.len() / (1024 * 1024)).clamp(1, 4096);
    serde_saphyr::from_multiple_with_options::<Json>(text, options_for(scale))
        .map(|docs| docs.into_iter().filter(|d| !d.is_null()).collect())
        .map_err(|e| syntax_error(text, &e))
}

fn syntax_error(text: &str, e: &serde_saphyr::Error) -> SyntaxError {
    let inner = e.without_snippet();
    let pos = inner
        .location()
        .map(Pos::from)
        .filter(|p| p.line > 0)
        .unwrap_or_else(|| Pos::new(1, 1));
    let mut message = inner.to_string();
    // The parser appends "at line L column C"; the diagnostic carries the position itself.
    if let Some(idx) = message.find(" at line ") {
        message.truncate(idx);
    }
    let message = message.trim().trim_end_matches(':').to_owned();
    let message = friendly_syntax_message(text, pos, &message);
    SyntaxError { pos, message }
}

fn friendly_syntax_message(text: &str, pos: Pos, message: &str) -> String {
    if let Some(rest) = message.strip_prefix("duplicate mapping key: ") {
        let key = rest
            .split(", set DuplicateKeyPolicy")
            .next()
            .unwrap_or(rest);
        return format!("duplicate key `{key}` (a key may appear once in a mapping)");
    }
    if message.contains("alias") || message.contains("budget") || message.contains("anchor") {
        return format!(
            "{message} (the document expands YAML aliases or nests beyond what a job spec needs; a \"billion laughs\" pattern is refused)"
        );
    }
    let line = text
        .lines()
        .nth(pos.line.saturating_sub(1) as usize)
        .unwrap_or("");
    if line.starts_with('\t') || line.trim_start_matches(' ').starts_with('\t') {
        return format!("{message} (YAML does not allow tabs for indentation: use spaces)");
    }
    message.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `import_submit` fuzz target: a `--conf` key of more than 1,024
    /// characters was written as `key: value`, which YAML does not read back (an implicit
    /// key is at most 1,024 characters). Such keys are written explicit, with any value.
    #[test]
    fn import_submit_key_longer_than_an_implicit_key() {
        for long in ["k".repeat(1025), "é a\u{0}".repeat(400), "k".repeat(5000)] {
            for value in [
                serde_json::json!("v"),
                serde_json::json!({"a": 1, "b": {"c": [1, {"d": 2}]}}),
                serde_json::json!([1, [2], {"x": "y"}]),
                serde_json::json!({}),
                serde_json::json!(null),
            ] {
                let doc = serde_json::json!({"spec": {"sparkConf": {"a": 1, &long: value, "z": 2}}, "n": 1});
                let text = to_yaml(&doc);
                assert_eq!(parse_values(&text).unwrap(), [doc], "{text}");
            }
        }
        // At the limit, the key stays implicit (as serde-saphyr writes it).
        let doc = serde_json::json!({"k".repeat(1024): 1});
        assert_eq!(to_yaml(&doc), to_yaml_reference(&doc));
        assert_eq!(parse_values(&to_yaml(&doc)).unwrap(), [doc]);
    }

    /// Found by the `import_submit` fuzz target: a DEL in a `--conf` key was written raw in
    /// double quotes (as serde-saphyr's serializer does), which YAML does not read back.
    /// The characters YAML allows only escaped are written escaped, in keys and values.
    #[test]
    fn import_submit_del_in_a_conf_key() {
        for odd in [
            "a\u{7f}b",
            "\u{80}",
            "x\u{9f}\u{85}y",
            "\u{feff}lead",
            "\u{fffe}\u{ffff}",
            "q\"\\\u{7f}\n",
        ] {
            let doc = serde_json::json!({"sparkConf": {odd: odd, "long": format!("{}{odd}", "k".repeat(1100))}, "args": [odd]});
            let text = to_yaml(&doc);
            assert_eq!(parse_values(&text).unwrap(), [doc], "{text}");
        }
    }

    /// The fast writer and serde-saphyr's agree byte for byte: on shapes and strings chosen
    /// to hit every quoting and block rule, then on 20,000 random documents built from the
    /// characters that matter to YAML.
    #[test]
    fn to_yaml_matches_serde_saphyr() {
        let tricky = serde_json::json!({"a": {"b": [1, [2, 3], {"c": 1, "d": [{"e": "x"}]}, [], {}, [[]],
            "multi\nline\n", "  lead\nx", "trail \nx", "x\n\n\ny\n", "tab\there", "é ü", "a: b", "#c",
            "-x", "--conf", "- x", "null", "Yes", "3.5.3", "1g", "a,b", "{x}", "2024-01-01", "x\r\ny",
            "\u{2028}", "", " ", "~", "x\n", "x\n\n", "\nx", {"k": "multi\nline"},
            [{"a": [{"b": "x\ny\n"}]}]]}, "k y": 1, "1": 2, "": 3, "long": "a".repeat(200),
            "f": 1.0, "g": 1.5e300, "n": null, "t": true, "ee": [], "eo": {}, "multi\nkey": 1,
            "n:": 1, "local:///x": "local:///opt/a.py", "a:": "b:", "--x=1": "-1",
            "paths": ["/", "/opt/x", "//x", "/:", "/a: b", "/a #b", "/a#b", "/a,b"],
            "refs": ["a=$(X)", "$(X)", "(a)", "a(b)", "a+b", "a@b", "a%b", "a;b", "a#b", "a,b,", "x:"],
            "/k": 1, "k$(X)": 2, "k,": 3, "ints": ["-1", "1", "007", "-", "--1", "1-", "-0", "12345678901234567890123"]});
        assert_eq!(to_yaml(&tricky), to_yaml_reference(&tricky));
        let alphabet: Vec<char> =
            "aZy9n0-_.:/= #\n\t'\"{}[],&*!|>%@`~?é\u{2028}1mGieExXoObB$()+;^<>"
                .chars()
                .collect();
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        fn build(next: &mut dyn FnMut(usize) -> usize, alphabet: &[char], depth: usize) -> Json {
            let word = |next: &mut dyn FnMut(usize) -> usize| -> String {
                let known = [
                    "yes", "No", "--conf", "a=b", "x: y", "1.5", "0x1F", "null", "~", "",
                ];
                if next(4) == 0 {
                    return known[next(known.len())].to_owned();
                }
                (0..next(8))
                    .map(|_| alphabet[next(alphabet.len())])
                    .collect()
            };
            match if depth > 3 { next(4) } else { next(7) } {
                0 => Json::String(word(next)),
                1 => Json::from(next(3000) as i64 - 1000),
                2 => Json::Bool(next(2) == 0),
                3 => Json::Null,
                4 | 5 => Json::Object(
                    (0..next(4))
                        .map(|_| (word(next), build(next, alphabet, depth + 1)))
                        .collect(),
                ),
                _ => Json::Array(
                    (0..next(4))
                        .map(|_| build(next, alphabet, depth + 1))
                        .collect(),
                ),
            }
        }
        for _ in 0..20_000 {
            let v = build(&mut next, &alphabet, 0);
            assert_eq!(to_yaml(&v), to_yaml_reference(&v), "{v}");
        }
    }

    fn parse1(text: &str) -> Node {
        parse_documents(text).unwrap().remove(0)
    }

    #[test]
    fn keeps_positions_of_values_and_keys() {
        let doc = parse1("a:\n  b: 1\n  c: [x, y]\n");
        let path = [Seg::Key("a".into()), Seg::Key("c".into()), Seg::Index(1)];
        let n = doc.locate(&path).unwrap();
        assert_eq!(n.as_str(), Some("y"));
        assert_eq!((n.pos.line, n.pos.column), (3, 10));
        let k = doc.key_pos(&[Seg::Key("a".into())], "b").unwrap();
        assert_eq!((k.line, k.column), (2, 3));
    }

    /// Keys are found through the index in a large mapping, by scanning in a small one,
    /// spelled as `key_string` spells them, the first of two that spell the same.
    #[test]
    fn keys_in_large_and_small_mappings() {
        for n in [3, 1000] {
            let mut text: String = (0..n).map(|i| format!("k{i}: {i}\n")).collect();
            text.push_str("7: int\ntrue: bool\nnull: nul\n1.5: float\n\"7\": string\n");
            let doc = parse1(&text);
            let last = n - 1;
            assert_eq!(doc.get(&format!("k{last}")).unwrap().to_json(), last);
            assert_eq!(doc.key_pos(&[], "k1").map(|p| p.line), Some(2));
            for (key, value) in [
                ("7", "int"),
                ("true", "bool"),
                ("null", "nul"),
                ("1.5", "float"),
            ] {
                assert_eq!(
                    doc.get(key).and_then(Node::as_str),
                    Some(value),
                    "{n} {key}"
                );
            }
            assert!(doc.get("k-1").is_none() && doc.get("07").is_none() && doc.get("").is_none());
        }
    }

    #[test]
    fn missing_path_returns_nearest_ancestor() {
        let doc = parse1("a:\n  b: 1\n");
        let path = [Seg::Key("a".into()), Seg::Key("zz".into())];
        let err = doc.locate(&path).unwrap_err();
        assert_eq!(err.pos.line, 2);
    }

    #[test]
    fn yaml_1_2_scalars() {
        let doc = parse1("a: yes\nb: on\nc: 010\nd: \"4\"\ne: 4\nf: 2026-01-01\n");
        let j = doc.to_json();
        assert_eq!(j["a"], "yes");
        assert_eq!(j["b"], "on");
        assert_eq!(j["d"], "4");
        assert_eq!(j["e"], 4);
        assert_eq!(j["f"], "2026-01-01");
    }

    #[test]
    fn several_documents_and_empty_ones() {
        // Empty documents between separators are skipped.
        let docs = parse_documents("a: 1\n---\n---\nb: 2\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].pos.line, 4);
        assert_eq!(parse_documents("").unwrap().len(), 0);
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let err = parse_documents("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(err.pos.line, 3, "{err:?}");
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut text = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let mut prev = 'a';
        for name in 'b'..='i' {
            text.push_str(&format!(
                "{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
            ));
            prev = name;
        }
        assert!(parse_documents(&text).is_err());
    }

    #[test]
    fn path_strings() {
        let p = [
            Seg::Key("spec".into()),
            Seg::Key("sparkConf".into()),
            Seg::Key("spark.executor.cores".into()),
        ];
        assert_eq!(path_string(&p), "spec.sparkConf[\"spark.executor.cores\"]");
        let p = [
            Seg::Key("spec".into()),
            Seg::Key("env".into()),
            Seg::Index(2),
        ];
        assert_eq!(path_string(&p), "spec.env[2]");
    }
}
