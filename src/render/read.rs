//! Reading back what templates produce, fast.
//!
//! The built-in templates are block-style YAML whose values are words (`v1`, `Never`) or the
//! JSON that minijinja writes for every interpolated value. This reader takes exactly that
//! subset: block mappings, block sequences of such values, JSON values read by serde_json,
//! and plain words that YAML 1.2 reads as strings. For anything else (a comment, an anchor,
//! a quoted key, a plain scalar YAML might read as a number or a boolean, a duplicate key,
//! tabs) it answers `None` and the caller uses the full YAML parser, so the result is always
//! what the full parser would give; tests hold the two equal on every rendered object.

use serde_json::{Map, Value as Json};

/// The value of `text`, if it is in the subset.
pub(super) fn template_output(text: &str) -> Option<Json> {
    let mut lines = Vec::new();
    for line in text.split('\n') {
        // (Byte searches, which run as memchr: a value line can hold kilobytes of JSON.)
        let bytes = line.as_bytes();
        if bytes.contains(&b'\t') || bytes.contains(&b'\r') {
            return None;
        }
        let line = line.trim_end_matches(' ');
        if line.is_empty() {
            continue;
        }
        let body = line.trim_start_matches(' ');
        let indent = line.len() - body.len();
        // `- key: value` opens a mapping two columns in: read it as `-` and the mapping.
        match body.strip_prefix("- ") {
            Some(rest) if rest.split_once(':').is_some_and(|(k, _)| word(k)) => {
                lines.push((indent, "-"));
                lines.push((indent + 2, rest));
            }
            _ => lines.push((indent, body)),
        }
    }
    let mut at = 0;
    let value = node(&lines, &mut at, 0)?;
    (at == lines.len() && value.is_object()).then_some(value)
}

/// Panics unless `text` is in the subset and reads as the full YAML parser reads it.
pub(super) fn assert_same_as_full_parser(template: &str, text: &str) {
    let fast = template_output(text).unwrap_or_else(|| {
        panic!("{template} rendered text outside the fast reader's subset:\n{text}")
    });
    let full = crate::project::yaml::parse_values(text).map(|mut d| d.pop());
    assert!(
        matches!(&full, Ok(Some(v)) if *v == fast),
        "{template}: the fast reader and the YAML parser disagree on\n{text}"
    );
}

type Lines<'a> = [(usize, &'a str)];

fn node(lines: &Lines<'_>, at: &mut usize, indent: usize) -> Option<Json> {
    let &(i, body) = lines.get(*at)?;
    if i != indent {
        return None;
    }
    if body == "-" || body.starts_with("- ") {
        sequence(lines, at, indent)
    } else {
        mapping(lines, at, indent)
    }
}

fn mapping(lines: &Lines<'_>, at: &mut usize, indent: usize) -> Option<Json> {
    let mut map = Map::new();
    while let Some(&(i, body)) = lines.get(*at) {
        if i < indent {
            break;
        }
        if i > indent || body.starts_with('-') {
            return None;
        }
        let (key, rest) = body.split_once(':')?;
        if !word(key) {
            return None;
        }
        *at += 1;
        let value = if rest.is_empty() {
            match lines.get(*at) {
                Some(&(next, _)) if next > indent => node(lines, at, next)?,
                // `key:` then a sequence at the key's own indent is YAML too: not here.
                Some(&(next, b)) if next == indent && b.starts_with('-') => return None,
                _ => Json::Null,
            }
        } else {
            scalar(rest.strip_prefix(' ')?)?
        };
        if map.insert(key.to_owned(), value).is_some() {
            return None;
        }
    }
    Some(Json::Object(map))
}

fn sequence(lines: &Lines<'_>, at: &mut usize, indent: usize) -> Option<Json> {
    let mut items = Vec::new();
    while let Some(&(i, body)) = lines.get(*at) {
        if i < indent {
            break;
        }
        if i > indent {
            return None;
        }
        *at += 1;
        if body == "-" {
            items.push(match lines.get(*at) {
                Some(&(next, _)) if next > indent => node(lines, at, next)?,
                _ => Json::Null,
            });
        } else {
            items.push(scalar(body.strip_prefix("- ")?)?);
        }
    }
    Some(Json::Array(items))
}

/// A JSON value, or a plain word YAML 1.2 reads as a string.
fn scalar(s: &str) -> Option<Json> {
    // A JSON string without escapes (most of them) is its text between the quotes.
    if let Some(inner) = s.strip_prefix('"').and_then(|r| r.strip_suffix('"'))
        && inner.bytes().all(|c| c >= 0x20 && c != b'"' && c != b'\\')
    {
        return Some(Json::String(inner.to_owned()));
    }
    match s.as_bytes().first()? {
        b'{' | b'[' | b'"' | b'0'..=b'9' | b'-' => serde_json::from_str(s).ok(),
        // The JSON words, which YAML 1.2 reads the same way.
        _ if matches!(s, "true" | "false" | "null") => serde_json::from_str(s).ok(),
        _ if word(s) => Some(Json::String(s.to_owned())),
        _ => None,
    }
}

/// A plain word that YAML 1.2 (and YAML 1.1's booleans) reads as a string.
fn word(s: &str) -> bool {
    const SPECIAL: &[&str] = &[
        "true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL", "yes", "Yes",
        "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N",
    ];
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-'))
        && !SPECIAL.contains(&s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(text: &str) -> Json {
        let docs = crate::project::yaml::parse_values(text).expect("valid YAML");
        assert_eq!(docs.len(), 1);
        docs.into_iter().next().unwrap()
    }

    #[track_caller]
    fn same(text: &str) {
        let fast = template_output(text).unwrap_or_else(|| panic!("not in the subset:\n{text}"));
        assert_eq!(fast, full(text), "{text}");
    }

    #[test]
    fn reads_block_mappings_of_json_and_words() {
        same(
            "apiVersion: v1\nkind: Service\nmetadata: {\"name\": \"a\", \"labels\": {\"x\": \"1\"}}\nspec:\n  clusterIP: None\n  ports:\n    - {\"name\": \"rpc\", \"port\": 7078}\n    - {\"name\": \"ui\", \"port\": 4040}\n  selector: {}\n",
        );
        same(
            "a:\n  b:\n    c: 3\n  d: \"x: y # z\"\ne: [1, \"two\", {\"3\": null}]\nf: -4\ng: batch/v1\n",
        );
        same("a: true\nb: false\nc: null\n");
        same("a: \"line\\nbreak \\u00e9 \\\"quoted\\\"\"\n\n\nb: 1.5\n");
        same("a: \"\"\nb: \"plain text\"\nc: \"é\"\nd: \"x\\\"\"\n");
    }

    #[test]
    fn leaves_everything_else_to_the_full_parser() {
        for text in [
            "a: yes\n",
            "a: True\n",
            "a: 0o17\n",
            "a: 007\n",
            "a: hello world\n",
            "a: x # comment\n",
            "\"a\": 1\n",
            "a: 1\na: 2\n",
            "a:\n- 1\n",
            "a: &x 1\n",
            "a:\t1\n",
            "---\na: 1\n",
            "- 1\n",
            "a: {\"b\": 1} trailing\n",
            "a: \"\"\"\n",
            "a: \"x\ty\"\n",
            "a:\n    b: 1\n  c: 2\n",
        ] {
            assert_eq!(template_output(text), None, "{text}");
        }
    }

    #[test]
    fn empty_values_are_null() {
        same("a:\nb: 1\n");
        same("a:\n  -\n  - 1\n");
    }

    #[test]
    fn reads_mappings_in_sequences() {
        same(
            "rules:\n  - apiGroups: [\"\"]\n    verbs: [\"get\"]\n  - apiGroups: [\"batch\"]\n    resources:\n      - jobs\n",
        );
        same("a:\n  - b:\n      c: 1\n    d: 2\n");
    }
}
