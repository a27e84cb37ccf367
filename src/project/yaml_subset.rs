//! The common shape of a job spec, read fast, with every node's position.
//!
//! Most spec files are block mappings and sequences of single-line scalars and flow
//! collections (`driver: {cores: 1}`, `arguments: ["--date", x]`), with comments. This reader
//! takes exactly that and gives the [`Node`] tree the full parser (serde-saphyr) gives,
//! positions included, several times faster; parsing is most of what `validate` does. For
//! anything else it answers `None` and the caller uses the full parser, so the result is
//! always the full parser's: anchors, aliases, tags, block scalars, multi-line or escaped
//! scalars, empty values, complex keys, duplicate keys (an error the full parser reports),
//! tabs, directives, plain scalars that might not be strings (`1.5`, `007`, `yes`, `.inf`),
//! deep nesting and large files (the full parser's budgets). Debug builds (every test) hold
//! the two parsers equal on every file this reader takes.

use super::yaml::{Mapping, Node, Pos, Value};

/// Larger files go to the full parser, which enforces the budgets.
const MAX_BYTES: usize = 512 * 1024;
/// Deeper nesting goes to the full parser (its limit is 64).
const MAX_DEPTH: usize = 48;
/// More documents, or nodes over all of them, go to the full parser (its budgets are 1,000
/// and 200,000).
const MAX_DOCUMENTS: usize = 500;
const MAX_NODES: usize = 100_000;
/// A longer key goes to the full parser, whose scanner looks 1,024 characters ahead for
/// the `:` of a key.
const MAX_KEY_BYTES: usize = 512;

/// The documents of `text`, if it is in the subset.
pub(super) fn documents(text: &str) -> Option<Vec<Node>> {
    if text.len() > MAX_BYTES || text.starts_with('\u{feff}') {
        return None;
    }
    let mut docs = Vec::new();
    let mut lines: Vec<Line<'_>> = Vec::new();
    let mut started = false;
    // Characters YAML does not print (controls, tabs, CR, DEL, C1 controls, a BOM inside
    // the text, noncharacters) are the full parser's to refuse or place.
    if text.bytes().any(|c| c < b' ' && c != b'\n' || c == 0x7f)
        || (!text.is_ascii()
            && text.chars().any(|c| {
                matches!(
                    c,
                    '\u{80}'..='\u{9f}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                )
            }))
    {
        return None;
    }
    let mut nodes = 0;
    for (n, raw) in text.split('\n').enumerate() {
        let no = u32::try_from(n + 1).ok()?;
        let line = raw.trim_end_matches(' ');
        let body = line.trim_start_matches(' ');
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let indent = line.len() - body.len();
        if indent == 0 && (body.starts_with("---") || body.starts_with("...")) {
            if body != "---" {
                return None;
            }
            // What comes before the first `---` is a document only if it has content.
            if started || !lines.is_empty() {
                docs.push(document(&std::mem::take(&mut lines), &mut nodes)?);
                // The full parser's budget counts documents over the stream.
                if docs.len() > MAX_DOCUMENTS {
                    return None;
                }
            }
            started = true;
            continue;
        }
        if body.starts_with('%') {
            return None;
        }
        split_dashes(&mut lines, no, indent, body)?;
    }
    docs.push(document(&lines, &mut nodes)?);
    Some(docs)
}

/// A line's content from column `col` (0-based, in characters), after `- ` indicators were
/// split off into lines of their own.
#[derive(Clone, Copy)]
struct Line<'a> {
    no: u32,
    col: usize,
    body: &'a str,
}

impl Line<'_> {
    fn is_dash(&self) -> bool {
        self.body == "-"
    }

    /// The position of byte `at` of the body, `len` characters long.
    fn pos(&self, at: usize, len: usize) -> Option<Pos> {
        let col = self.col + self.body.get(..at)?.chars().count();
        Some(Pos {
            line: self.no,
            column: u32::try_from(col + 1).ok()?,
            len: u32::try_from(len).ok()?,
        })
    }
}

/// `- - x` is read as `-`, `-` and `x`, each at its own column.
fn split_dashes<'a>(out: &mut Vec<Line<'a>>, no: u32, col: usize, body: &'a str) -> Option<()> {
    let (mut col, mut body) = (col, body);
    loop {
        if body == "-" {
            out.push(Line { no, col, body });
            return Some(());
        }
        let Some(rest) = body.strip_prefix("- ") else {
            out.push(Line { no, col, body });
            return Some(());
        };
        out.push(Line { no, col, body: "-" });
        let item = rest.trim_start_matches(' ');
        if item.starts_with('#') {
            return None;
        }
        col += 2 + (rest.len() - item.len());
        body = item;
    }
}

fn document(lines: &[Line<'_>], nodes: &mut usize) -> Option<Node> {
    let first = lines.first()?;
    if first.col != 0 || first.is_dash() {
        return None;
    }
    let mut p = Parser {
        lines,
        at: 0,
        nodes: *nodes,
    };
    let node = p.mapping(0, 0)?;
    // Flow collections' items count too (roughly: one per comma).
    p.nodes += lines
        .iter()
        .map(|l| l.body.matches(',').count())
        .sum::<usize>();
    *nodes = p.nodes;
    (p.at == lines.len() && p.nodes < MAX_NODES).then_some(node)
}

struct Parser<'l, 'a> {
    lines: &'l [Line<'a>],
    at: usize,
    nodes: usize,
}

impl Parser<'_, '_> {
    fn count(&mut self) -> Option<()> {
        self.nodes += 1;
        (self.nodes < MAX_NODES).then_some(())
    }

    /// The block node whose first line is the current one, at column `col`.
    fn block(&mut self, col: usize, depth: usize) -> Option<Node> {
        let line = *self.lines.get(self.at)?;
        if line.col != col || depth > MAX_DEPTH {
            return None;
        }
        if line.is_dash() {
            return self.sequence(col, depth);
        }
        if key_end(line.body)?.is_some() {
            return self.mapping(col, depth);
        }
        // A scalar or flow collection alone: only as a sequence item (`- x`).
        self.at += 1;
        let (node, end) = inline(&line, 0, false, depth)?;
        trailing(line.body, end)?;
        self.count()?;
        Some(node)
    }

    fn mapping(&mut self, col: usize, depth: usize) -> Option<Node> {
        let mut entries: Vec<(Node, Node)> = Vec::new();
        let mut pos = None;
        while let Some(&line) = self.lines.get(self.at) {
            if line.col < col {
                break;
            }
            if line.col > col || line.is_dash() {
                return None;
            }
            let (key, after) = key_end(line.body)?.map(|end| (key(&line, end), end + 1))?;
            let key = key?;
            if matches!(&key.value, Value::Str(s) if s == "<<")
                || entries.iter().any(|(k, _)| k.value == key.value)
            {
                return None;
            }
            pos.get_or_insert(Pos { len: 0, ..key.pos });
            self.at += 1;
            let value_at = after + spaces(&line.body[after..]);
            let rest = &line.body[value_at..];
            let value = if rest.is_empty() || rest.starts_with('#') {
                match self.lines.get(self.at) {
                    Some(next) if next.col > col => self.block(next.col, depth + 1)?,
                    // An indentless sequence: its position is its first item's.
                    // (A first item that is a collection of its own is the full parser's.)
                    Some(next) if next.col == col && next.is_dash() => {
                        let mut seq = self.sequence(col, depth + 1)?;
                        if let Value::Seq(items) = &seq.value {
                            let first = items.first()?;
                            match &first.value {
                                Value::Seq(_) => return None,
                                Value::Map(_) if first.pos.len > 0 => return None,
                                _ => {}
                            }
                            seq.pos = first.pos;
                            seq.pos.len = 0;
                        }
                        seq
                    }
                    // An empty value: the full parser places its null.
                    _ => return None,
                }
            } else {
                let (node, end) = inline(&line, value_at, false, depth + 1)?;
                trailing(line.body, end)?;
                node
            };
            self.count()?;
            entries.push((key, value));
        }
        Some(Node {
            value: Value::Map(Mapping::new(entries)),
            pos: pos?,
        })
    }

    fn sequence(&mut self, col: usize, depth: usize) -> Option<Node> {
        let mut items = Vec::new();
        let first = *self.lines.get(self.at)?;
        while let Some(&line) = self.lines.get(self.at) {
            if line.col < col {
                break;
            }
            if line.col > col {
                return None;
            }
            // The next key of the mapping an indentless sequence is the value of.
            if !line.is_dash() {
                break;
            }
            self.at += 1;
            // The item: on the dash's line, or below it; an empty item is the full parser's.
            let next = *self.lines.get(self.at)?;
            if next.col <= col {
                return None;
            }
            items.push(self.block(next.col, depth + 1)?);
            self.count()?;
        }
        Some(Node {
            value: Value::Seq(items),
            pos: first.pos(0, 0)?,
        })
    }
}

/// Whether a line is `key: ...`: the byte where its key ends (at the `:`), `None` if it is
/// not a mapping entry; `Err` (as `None` of the outer option) where the reader gives up.
fn key_end(body: &str) -> Option<Option<usize>> {
    let b = body.as_bytes();
    match b.first()? {
        b'"' | b'\'' => {
            let end = quoted_end(body, 0)?;
            Some(match b.get(end) {
                Some(b':') if matches!(b.get(end + 1), None | Some(b' ')) => Some(end),
                _ => None,
            })
        }
        b'[' | b'{' => Some(None),
        b'?' | b':' | b',' | b']' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%'
        | b'@' | b'`' => None,
        _ => {
            for (i, &c) in b.iter().enumerate() {
                match c {
                    b':' if matches!(b.get(i + 1), None | Some(b' ')) => {
                        return (i > 0 && b[i - 1] != b' ').then_some(Some(i));
                    }
                    b'#' if i > 0 && b[i - 1] == b' ' => return Some(None),
                    _ => {}
                }
            }
            Some(None)
        }
    }
}

/// The key of a mapping entry whose `:` is at `end`: a string.
fn key(line: &Line<'_>, end: usize) -> Option<Node> {
    if end > MAX_KEY_BYTES {
        return None;
    }
    let (node, after) = scalar(line, 0, false)?;
    (after == end && matches!(node.value, Value::Str(_))).then_some(node)
}

/// How many spaces `s` starts with.
fn spaces(s: &str) -> usize {
    s.len() - s.trim_start_matches(' ').len()
}

/// What may follow a value on its line: spaces and a comment.
fn trailing(body: &str, end: usize) -> Option<()> {
    let rest = &body[end..];
    let after = rest.trim_start_matches(' ');
    (after.is_empty() || (after.starts_with('#') && after.len() < rest.len())).then_some(())
}

/// A scalar or flow collection starting at byte `at` of the line: the node and where it ends.
fn inline(line: &Line<'_>, at: usize, flow: bool, depth: usize) -> Option<(Node, usize)> {
    if depth > MAX_DEPTH {
        return None;
    }
    match line.body.as_bytes().get(at)? {
        b'[' => flow_sequence(line, at, depth),
        b'{' => flow_mapping(line, at, depth),
        _ => scalar(line, at, flow),
    }
}

fn flow_sequence(line: &Line<'_>, at: usize, depth: usize) -> Option<(Node, usize)> {
    let b = line.body.as_bytes();
    let mut i = at + 1;
    let mut items = Vec::new();
    loop {
        i += spaces(&line.body[i..]);
        match b.get(i)? {
            b']' => break,
            _ => {
                let (node, end) = inline(line, i, true, depth + 1)?;
                items.push(node);
                i = end + spaces(&line.body[end..]);
                match b.get(i)? {
                    b',' => i += 1,
                    b']' => break,
                    _ => return None,
                }
            }
        }
    }
    let node = Node {
        value: Value::Seq(items),
        pos: line.pos(at, 1)?,
    };
    Some((node, i + 1))
}

fn flow_mapping(line: &Line<'_>, at: usize, depth: usize) -> Option<(Node, usize)> {
    let b = line.body.as_bytes();
    let mut i = at + 1;
    let mut entries: Vec<(Node, Node)> = Vec::new();
    loop {
        i += spaces(&line.body[i..]);
        if *b.get(i)? == b'}' {
            break;
        }
        let quoted = matches!(b[i], b'"' | b'\'');
        let (key, end) = scalar(line, i, true)?;
        if end - i > MAX_KEY_BYTES {
            return None;
        }
        if !matches!(&key.value, Value::Str(s) if s != "<<")
            || entries.iter().any(|(k, _)| k.value == key.value)
        {
            return None;
        }
        // `key: value`; a quoted key may touch its `:` (JSON).
        let colon = if quoted {
            end + spaces(&line.body[end..])
        } else {
            end
        };
        if b.get(colon) != Some(&b':') {
            return None;
        }
        let value_at = colon + 1 + spaces(&line.body[colon + 1..]);
        if !quoted && value_at == colon + 1 {
            return None;
        }
        if matches!(b.get(value_at)?, b',' | b'}') {
            return None;
        }
        let (value, end) = inline(line, value_at, true, depth + 1)?;
        entries.push((key, value));
        i = end + spaces(&line.body[end..]);
        match b.get(i)? {
            b',' => i += 1,
            b'}' => break,
            _ => return None,
        }
    }
    let node = Node {
        value: Value::Map(Mapping::new(entries)),
        pos: line.pos(at, 1)?,
    };
    Some((node, i + 1))
}

/// The byte after the closing quote of the quoted scalar at `at`; `None` for one with an
/// escape (double quotes) or that does not end on its line.
fn quoted_end(body: &str, at: usize) -> Option<usize> {
    let b = body.as_bytes();
    let q = b[at];
    let mut i = at + 1;
    loop {
        match *b.get(i)? {
            b'\\' if q == b'"' => return None,
            c if c == q => {
                if q == b'\'' && b.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                return Some(i + 1);
            }
            _ => i += 1,
        }
    }
}

/// A scalar at byte `at`: the node and the byte after it.
fn scalar(line: &Line<'_>, at: usize, flow: bool) -> Option<(Node, usize)> {
    let body = line.body;
    let b = body.as_bytes();
    match *b.get(at)? {
        q @ (b'"' | b'\'') => {
            let end = quoted_end(body, at)?;
            let inner = &body[at + 1..end - 1];
            let text = if q == b'\'' {
                inner.replace("''", "'")
            } else {
                inner.to_owned()
            };
            let len = body[at..end].chars().count();
            let node = Node {
                value: Value::Str(text),
                pos: line.pos(at, len)?,
            };
            Some((node, end))
        }
        _ => {
            let end = plain_end(body, at, flow)?;
            let text = &body[at..end];
            let node = Node {
                value: plain(text)?,
                pos: line.pos(at, text.chars().count())?,
            };
            Some((node, end))
        }
    }
}

/// Where the plain scalar at `at` ends (trailing spaces excluded): at a comment, at `: `,
/// in a flow collection at `,`, `]`, `}`. `None` for what the reader leaves to the full
/// parser: an indicator first, flow indicators in block context, `:` in flow context.
fn plain_end(body: &str, at: usize, flow: bool) -> Option<usize> {
    let b = body.as_bytes();
    match b[at] {
        b'-' | b'?' | b':'
            if matches!(
                b.get(at + 1),
                None | Some(b' ' | b',' | b'[' | b']' | b'{' | b'}')
            ) =>
        {
            return None;
        }
        b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%'
        | b'@' | b'`' => return None,
        _ => {}
    }
    let mut end = b.len();
    for i in at..b.len() {
        match b[i] {
            b'#' if b[i - 1] == b' ' => {
                end = i;
                break;
            }
            b':' if matches!(b.get(i + 1), None | Some(b' ')) => {
                end = i;
                break;
            }
            b',' | b']' | b'}' if flow => {
                end = i;
                break;
            }
            // `a:b` is one scalar in a flow collection only for some readers: not here.
            b':' if flow => return None,
            b'[' | b'{' | b']' | b'}' => return None,
            _ => {}
        }
    }
    let text = body[at..end].trim_end_matches(' ');
    (!text.is_empty()).then_some(at + text.len())
}

/// The value of a plain scalar, when the reader is sure of it: a string, `true`, `false`,
/// `null`, `~`, or a decimal integer.
fn plain(s: &str) -> Option<Value> {
    match s {
        "true" => return Some(Value::Bool(true)),
        "false" => return Some(Value::Bool(false)),
        "null" | "~" => return Some(Value::Null),
        _ => {}
    }
    let b = s.as_bytes();
    let numeric = match b[0] {
        b'0'..=b'9' => true,
        b'-' if b.get(1) == Some(&b'.') => return None,
        b'-' => b.get(1).is_some_and(u8::is_ascii_digit),
        b'+' | b'.' | b'~' => return None,
        _ => false,
    };
    if numeric {
        let digits = s.strip_prefix('-').unwrap_or(s);
        if digits.len() <= 18
            && digits.bytes().all(|c| c.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'))
        {
            return s.parse().ok().map(Value::Int);
        }
        // A string only when no number could be spelled so: a letter no numeral uses, or a
        // version (`3.5.3`).
        let unusual = |c: u8| !(c.is_ascii_hexdigit() || b"xXoObB._+-:".contains(&c));
        let version = s.split('.').count() >= 3
            && s.split('.')
                .all(|p| p.bytes().all(|c| c.is_ascii_digit()) && !p.is_empty());
        return (b.iter().any(|&c| unusual(c)) || version).then(|| Value::Str(s.to_owned()));
    }
    // Words YAML 1.1 or 1.2 might read as something else.
    const SPECIAL: &[&str] = &[
        "true", "false", "null", "yes", "no", "on", "off", "y", "n", "nan", "inf", "infinity",
    ];
    if SPECIAL.iter().any(|w| s.eq_ignore_ascii_case(w)) {
        return None;
    }
    Some(Value::Str(s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::super::yaml::parse_documents_fully;
    use super::*;

    /// The full parser's reading.
    fn full(text: &str) -> Vec<Node> {
        parse_documents_fully(text).expect("valid YAML")
    }

    #[track_caller]
    fn same(text: &str) {
        let fast = documents(text).unwrap_or_else(|| panic!("not in the subset:\n{text}"));
        assert_eq!(fast, full(text), "{text}");
    }

    #[test]
    fn reads_specs_as_the_full_parser_does_positions_included() {
        same(
            "# a job\napiVersion: sparkc.io/v1alpha1\nkind: SparkJob   # trailing\nmetadata:\n  name: job-00000\n  labels: {team: team-g00, \"q\": 'x', c: 1}\nspec:\n  mainApplicationFile: local:///opt/app/main.py\n  arguments: [\"--date\", \"2026-01-01\", 3, -4, true, null, ~, x]\n  sparkConf:\n    spark.sql.shuffle.partitions: \"400\"\n    'single': 'it''s'\n  list:\n  - a\n  - b: 1\n    c: 2\n  - [1]\n  nested:\n    - x   \n    -   w\n    - - z\n  emptyflow: {}\n  emptyseq: []\n  é: ü \"é\"\n  h: -x\n  s: hello  world  # c\n  m: 2g\n  v: 3.5.3\n  i: 1h30m\n  k: a:b\n  f: [a b, \"c\", 'd', {x: [1, {w: z}]}, [ 1, 2, ]]\n  g: { a: 1, \"b\":2 }\n  n0: -0\n  big: 123456789012345678\n",
        );
        same("a: 1\n---\nb: [x]\n");
        same("---\na: 1\n");
        same("l:\n- b: 1\n  c: 2\n- x\n");
    }

    #[test]
    fn leaves_everything_else_to_the_full_parser() {
        for text in [
            "a: yes\n",
            "a: True\n",
            "a: Null\n",
            "a: 0o17\n",
            "a: 007\n",
            "a: 1.5\n",
            "a: 1e3\n",
            "a: 1_000\n",
            "a: +1\n",
            "a: .inf\n",
            "a: -.inf\n",
            "a: 10:30\n",
            "a: 2026-01-01\n",
            "a: 9223372036854775808\n",
            "a:\nb: 1\n",
            "a:\n  -\n  - 1\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: |\n  x\n",
            "a: \"x\\ny\"\n",
            "a: \"x\n  y\"\n",
            "a: x\n  y\n",
            "a: 1\na: 2\n",
            "<<: {a: 1}\n",
            "? a\n: 1\n",
            "a:\t1\n",
            "a: 1\r\n",
            "%YAML 1.2\n---\na: 1\n",
            "- 1\n",
            "x\n",
            "",
            "# only a comment\n",
            "a: 1\n---\n",
            "--- a\n",
            "a: {b}\n",
            "a: {b: }\n",
            "a: [b: 1]\n",
            "a: {b: local:///x}\n",
            "a: [1\n",
            "a: x]\n",
            "a: \"x\" y\n",
            "a : 1\n",
            "1: a\n",
            "a: b: c\n",
            "- # c\n",
            "a:\n    b: 1\n  c: 2\n",
            "a: [-]\n",
            "a: [x, -]\n",
            "a: {b: -}\n",
            "a: x\u{7f}y\n",
            "a: x\u{1}y\n",
            "a: \u{feff}x\n",
            "a: x\u{85}y\n",
            "a:\n- - x\n",
            "a:\n- [x]\n",
            "a:\n- {b: c}\n",
        ] {
            assert!(documents(text).is_none(), "{text:?}");
        }
    }

    #[test]
    fn what_the_full_parser_budgets_is_left_to_it() {
        let long_key = format!("{}: v\n", "k".repeat(1025));
        assert!(documents(&long_key).is_none());
        let flow_key = format!("a: {{{}: v}}\n", "k".repeat(1025));
        assert!(documents(&flow_key).is_none());
        assert!(documents(&"---\na: 1\n".repeat(1001)).is_none());
        let items = format!("a: [{}1]\n", "1,".repeat(210_000));
        assert!(documents(&items).is_none());
    }

    #[test]
    fn plain_scalars_are_what_the_full_parser_reads_or_left_to_it() {
        for word in [
            "0", "-0", "12", "-12", "2g", "4096m", "512Mi", "1.5g", "0x1F", "0x1Fg", "1e3g", "v1",
            "3.5.3", "10.0.0.1", "1.2.3.4a", "-1x", "-x", "x-", "e3", "ON", "Off", "nan", "NaN",
            "inf", "y", "n", "Yes", "~x", "x~", "a'b", "a\"b", "it's", "über", "x#y", "x: y", "1.",
            "1..2", "0o", "0b101", "12e", "1.5.", "-.5", "-1.5.3",
        ] {
            let text = format!("a: {word}\n");
            if let Some(fast) = documents(&text) {
                assert_eq!(fast, full(&text), "{word}");
            }
        }
    }

    /// Documents put together from pieces that sit near the subset's edges (indicators,
    /// quotes, comments, spacing, numbers that are almost strings): whatever the reader
    /// takes, it reads as the full parser does. Deterministic (a fixed LCG).
    #[test]
    fn generated_documents_are_read_the_same_or_left_to_the_full_parser() {
        const KEYS: &[&str] = &[
            "a", "spark.x", "\"q\"", "'s'", "k-1", "x y", "é", "a#b", "-k", "on", "a:b", "<<",
        ];
        const VALUES: &[&str] = &[
            "1",
            "-3",
            "0",
            "x",
            "2g",
            "3.5.3",
            "1.5",
            "true",
            "null",
            "~",
            "\"s # t\"",
            "'it''s'",
            "a b",
            "a  # c",
            "local:///x",
            "http://h:9",
            "-x",
            "{}",
            "[]",
            "{a: 1}",
            "[1, x]",
            "[{b: c}, [d]]",
            "{ \"k\":v }",
            "[a, ]",
            "x'y",
            "\"é\"",
            "'",
            "{a: b",
            "[a]]",
            "a: b",
            "#c",
            "*x",
            "&x y",
            "!t x",
            "|",
            "0x1",
            "1e3",
            "y",
        ];
        let mut seed: u64 = 0x5eed;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as usize) % n
        };
        let mut taken = 0;
        for _ in 0..20_000 {
            let mut text = String::new();
            let mut indent = 0;
            for _ in 0..1 + next(6) {
                let pad = " ".repeat(indent);
                let key = KEYS[next(KEYS.len())];
                match next(5) {
                    0 => {
                        text.push_str(&format!("{pad}{key}:\n"));
                        indent += 2;
                        continue;
                    }
                    1 => {
                        let dash = " ".repeat(next(3));
                        text.push_str(&format!(
                            "{pad}{key}:\n{pad}-{dash} {}\n",
                            VALUES[next(VALUES.len())]
                        ));
                    }
                    2 => text.push_str(&format!("{pad}# note\n")),
                    _ => {
                        let gap = " ".repeat(1 + next(2));
                        let comment = if next(4) == 0 { "  # c" } else { "" };
                        text.push_str(&format!(
                            "{pad}{key}:{gap}{}{comment}\n",
                            VALUES[next(VALUES.len())]
                        ));
                    }
                }
                if indent > 0 && next(3) == 0 {
                    indent -= 2;
                }
            }
            let Some(fast) = documents(&text) else {
                continue;
            };
            taken += 1;
            let full = parse_documents_fully(&text);
            match full {
                Ok(docs) => assert_eq!(fast, docs, "{text}"),
                Err(e) => panic!("the reader took what the full parser refuses ({e:?}):\n{text}"),
            }
        }
        assert!(
            taken > 2_000,
            "only {taken} generated documents in the subset"
        );
    }

    #[test]
    fn every_example_and_fixture_is_read_the_same() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut read = 0;
        for dir in ["examples", "tests/fixtures"] {
            for entry in walkdir::WalkDir::new(root.join(dir)) {
                let entry = entry.unwrap();
                let path = entry.path();
                if !path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                    continue;
                }
                let text = std::fs::read_to_string(path).unwrap();
                if let Some(fast) = documents(&text) {
                    let full = parse_documents_fully(&text)
                        .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
                    assert_eq!(fast, full, "{}", path.display());
                    read += 1;
                }
            }
        }
        assert!(read > 50, "only {read} files in the subset");
    }
}
