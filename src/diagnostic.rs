//! Diagnostics: what is wrong with an input, where, and what to do. One renderer for all.
//!
//! Every stage returns `Diagnostic`s as data; only `cli/` prints them, through
//! [`render`], in one of three formats: `human` (file:line:col, the source line with a
//! caret, the field path, the problem and a hint), `json` and `github` (workflow
//! annotations). Output is bounded whatever the input: at most [`MAX_PER_FILE`]
//! diagnostics per file and [`MAX_PER_RUN`] per run are shown (errors before warnings),
//! and the rest are counted per file ("and N more").

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;

use anstyle::{AnsiColor, Style};
use serde::Serialize;

use crate::project::yaml::Pos;

/// How bad a finding is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One finding about one input.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable identifier of the check, e.g. `schema`, `yaml`, `name-length`.
    pub code: &'static str,
    /// File the problem is in, relative to the project root where possible.
    pub file: String,
    /// Position in the file (1-based), when known.
    #[serde(flatten)]
    pub pos: Option<Pos>,
    /// Field path, e.g. `spec.executor.instances` (empty for whole-file problems).
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, file: impl Into<String>, pos: Option<Pos>) -> Self {
        Self {
            severity: Severity::Error,
            code,
            file: file.into(),
            pos,
            path: String::new(),
            message: String::new(),
            hint: None,
        }
    }

    pub fn warning(code: &'static str, file: impl Into<String>, pos: Option<Pos>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(code, file, pos)
        }
    }

    #[must_use]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    #[must_use]
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// `file:line:col` (or just `file`).
    pub fn location(&self) -> String {
        match self.pos {
            Some(p) => format!("{}:{}:{}", self.file, p.line, p.column),
            None => self.file.clone(),
        }
    }

    /// The one-line form: `file:line:col: path: message`.
    pub fn headline(&self) -> String {
        let mut out = self.location();
        out.push_str(": ");
        if !self.path.is_empty() {
            out.push_str(&self.path);
            out.push_str(": ");
        }
        out.push_str(&self.message);
        out
    }

    /// Sort key: file, position, path, message.
    fn sort_key(&self) -> (&str, Option<Pos>, &str, &str) {
        (&self.file, self.pos, &self.path, &self.message)
    }
}

/// Sorts diagnostics by file and position and removes exact duplicates.
pub fn sort_dedup(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diags.dedup();
}

/// Output format of diagnostics and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Github,
    // Markdown for a pull-request comment (`plan`; other commands print `human`).
    Markdown,
}

/// The text of the files diagnostics refer to, for quoting source lines.
pub type Sources = HashMap<String, Arc<str>>;

/// At most this many diagnostics are shown for one file; the rest are counted.
pub const MAX_PER_FILE: usize = 100;
/// At most this many diagnostics are shown in one run; the rest are counted.
pub const MAX_PER_RUN: usize = 1_000;

/// What a file's diagnostics beyond the caps add up to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Omitted<'a> {
    file: &'a str,
    errors: usize,
    warnings: usize,
    /// Whether some of the file's diagnostics are shown (it reached the per-file cap).
    #[serde(skip)]
    partly_shown: bool,
}

/// At most this many files whose diagnostics are all left out are named one by one; more
/// are counted in one note, so that the notes never outgrow the diagnostics they replace.
const NAMED_OMITTED_FILES: usize = 10;

impl Omitted<'_> {
    /// `and 39900 more in jobs/a.yaml (39900 errors, 0 warnings) not shown: ...`
    fn sentence(&self) -> String {
        format!(
            "and {} more in {} ({} error{}, {} warning{}) not shown: at most {MAX_PER_FILE} are shown per file and {MAX_PER_RUN} per run",
            self.errors + self.warnings,
            self.file,
            self.errors,
            if self.errors == 1 { "" } else { "s" },
            self.warnings,
            if self.warnings == 1 { "" } else { "s" },
        )
    }
}

/// The notes that stand for what is left out: one per file that reached its cap, one per
/// file left out entirely while there are few of them, else one for all of those together.
/// Each note is (the file it names, if one, the sentence).
fn notes<'a>(omitted: &[Omitted<'a>]) -> Vec<(Option<&'a str>, String)> {
    let unseen = omitted.iter().filter(|o| !o.partly_shown).count();
    let mut out: Vec<(Option<&'a str>, String)> = omitted
        .iter()
        .filter(|o| o.partly_shown || unseen <= NAMED_OMITTED_FILES)
        .map(|o| (Some(o.file), o.sentence()))
        .collect();
    if unseen > NAMED_OMITTED_FILES {
        let (errors, warnings) = omitted
            .iter()
            .filter(|o| !o.partly_shown)
            .fold((0, 0), |(e, w), o| (e + o.errors, w + o.warnings));
        out.push((
            None,
            format!(
                "and {} more in {unseen} other files ({errors} error{}, {warnings} warning{}) not shown: at most {MAX_PER_FILE} are shown per file and {MAX_PER_RUN} per run; --format json lists them per file",
                errors + warnings,
                if errors == 1 { "" } else { "s" },
                if warnings == 1 { "" } else { "s" },
            ),
        ));
    }
    out
}

/// The diagnostics within the caps, in their order, and what is left out, per file (sorted).
/// Errors are chosen before warnings, so a warning never hides an error.
fn select(diags: &[Diagnostic]) -> (Vec<&Diagnostic>, Vec<Omitted<'_>>) {
    if diags.len() <= MAX_PER_FILE {
        return (diags.iter().collect(), Vec::new());
    }
    let mut keep = vec![false; diags.len()];
    let mut per_file: HashMap<&str, usize> = HashMap::new();
    let mut total = 0;
    for severity in [Severity::Error, Severity::Warning] {
        for (i, d) in diags.iter().enumerate() {
            if d.severity != severity || total == MAX_PER_RUN {
                continue;
            }
            let count = per_file.entry(d.file.as_str()).or_default();
            if *count < MAX_PER_FILE {
                *count += 1;
                total += 1;
                keep[i] = true;
            }
        }
    }
    let mut omitted: BTreeMap<&str, Omitted<'_>> = BTreeMap::new();
    for d in diags
        .iter()
        .zip(&keep)
        .filter(|(_, k)| !**k)
        .map(|(d, _)| d)
    {
        let o = omitted.entry(&d.file).or_insert(Omitted {
            file: &d.file,
            errors: 0,
            warnings: 0,
            partly_shown: per_file.contains_key(d.file.as_str()),
        });
        match d.severity {
            Severity::Error => o.errors += 1,
            Severity::Warning => o.warnings += 1,
        }
    }
    let shown = diags.iter().zip(&keep).filter(|(_, k)| **k).map(|(d, _)| d);
    (shown.collect(), omitted.into_values().collect())
}

/// Renders diagnostics in `format`, within the caps. `color` adds ANSI styles (human format
/// only).
pub fn render(diags: &[Diagnostic], sources: &Sources, format: Format, color: bool) -> String {
    let (shown, omitted) = select(diags);
    match format {
        Format::Human | Format::Markdown => render_human(&shown, &omitted, sources, color),
        Format::Json => render_json(diags, &shown, &omitted),
        Format::Github => render_github(&shown, &omitted),
    }
}

/// Where each line of a text starts, computed once, so that quoting line N of a large file
/// costs no more than quoting line 1.
struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(i, b)| b == b'\n' && i + 1 < text.len())
                .map(|(i, _)| i + 1),
        );
        Self { text, starts }
    }

    /// Line `n` (1-based) as `str::lines` yields it: without its `\n` or `\r\n`.
    fn line(&self, n: usize) -> Option<&'a str> {
        if self.text.is_empty() {
            return None;
        }
        let start = *self.starts.get(n.checked_sub(1)?)?;
        let end = self.starts.get(n).copied().unwrap_or(self.text.len());
        let line = &self.text[start..end];
        Some(match line.strip_suffix('\n') {
            Some(line) => line.strip_suffix('\r').unwrap_or(line),
            None => line,
        })
    }
}

fn styled(text: &str, style: Style, color: bool) -> String {
    if color {
        format!("{style}{text}{style:#}")
    } else {
        text.to_owned()
    }
}

fn render_human(
    diags: &[&Diagnostic],
    omitted: &[Omitted<'_>],
    sources: &Sources,
    color: bool,
) -> String {
    let mut out = String::new();
    let bold = Style::new().bold();
    let blue = AnsiColor::Blue.on_default().bold();
    let mut lines: HashMap<&str, Lines<'_>> = HashMap::new();
    for d in diags {
        let (label, style) = match d.severity {
            Severity::Error => ("error", AnsiColor::Red.on_default().bold()),
            Severity::Warning => ("warning", AnsiColor::Yellow.on_default().bold()),
        };
        let _ = writeln!(
            out,
            "{}: {}",
            styled(label, style, color),
            styled(&d.headline(), bold, color)
        );
        if let (Some(pos), Some(text)) = (d.pos, sources.get(&d.file))
            && let Some(line) = lines
                .entry(&d.file)
                .or_insert_with(|| Lines::new(text))
                .line(pos.line as usize)
        {
            let line = sanitize_line(line);
            let num = pos.line.to_string();
            let pad = " ".repeat(num.len());
            let col = pos.column.saturating_sub(1) as usize;
            let shown_len = line.chars().count();
            let width = (pos.len as usize).clamp(1, shown_len.saturating_sub(col).max(1));
            let gutter = styled("|", blue, color);
            let _ = writeln!(out, "{pad} {gutter}");
            let _ = writeln!(out, "{} {gutter} {line}", styled(&num, blue, color));
            let caret = format!("{}{}", " ".repeat(col.min(shown_len)), "^".repeat(width));
            let _ = writeln!(out, "{pad} {gutter} {}", styled(&caret, style, color));
        }
        if let Some(hint) = &d.hint {
            let _ = writeln!(out, "  {} {hint}", styled("= hint:", blue, color));
        }
    }
    for (_, sentence) in notes(omitted) {
        let note = styled("note", Style::new().bold(), color);
        let _ = writeln!(out, "{note}: {sentence}");
    }
    out
}

/// Makes a source line safe to print: control characters shown as `?`, at most 200 chars.
fn sanitize_line(line: &str) -> String {
    let mut s: String = line
        .chars()
        .take(200)
        .map(|c| {
            if c.is_control() && c != '\t' {
                '?'
            } else if c == '\t' {
                ' '
            } else {
                c
            }
        })
        .collect();
    if line.chars().nth(200).is_some() {
        s.push('…');
    }
    s
}

#[derive(Serialize)]
struct JsonReport<'a> {
    /// Counts of every diagnostic, shown or not.
    summary: Summary,
    diagnostics: &'a [&'a Diagnostic],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    omitted: &'a [Omitted<'a>],
}

/// Counts of errors and warnings.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
}

impl Summary {
    pub fn of(diags: &[Diagnostic]) -> Self {
        let errors = diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        Self {
            errors,
            warnings: diags.len() - errors,
        }
    }
}

fn render_json(all: &[Diagnostic], shown: &[&Diagnostic], omitted: &[Omitted<'_>]) -> String {
    let report = JsonReport {
        summary: Summary::of(all),
        diagnostics: shown,
        omitted,
    };
    let mut s = serde_json::to_string_pretty(&report).unwrap_or_default();
    s.push('\n');
    s
}

/// Escapes a GitHub workflow command property or message.
fn gh_escape(s: &str, property: bool) -> String {
    let mut out = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    if property {
        out = out.replace(':', "%3A").replace(',', "%2C");
    }
    out
}

fn render_github(diags: &[&Diagnostic], omitted: &[Omitted<'_>]) -> String {
    let mut out = String::new();
    for d in diags {
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut props = format!("file={}", gh_escape(&d.file, true));
        if let Some(p) = d.pos {
            let _ = write!(props, ",line={},col={}", p.line, p.column);
        }
        let mut msg = if d.path.is_empty() {
            d.message.clone()
        } else {
            format!("{}: {}", d.path, d.message)
        };
        if let Some(h) = &d.hint {
            msg.push_str("\nhint: ");
            msg.push_str(h);
        }
        let _ = writeln!(
            out,
            "::{level} {props},title=sparkc {}::{}",
            gh_escape(d.code, true),
            gh_escape(&msg, false)
        );
    }
    for (file, sentence) in notes(omitted) {
        let file = file.map_or(String::new(), |f| format!(" file={}", gh_escape(f, true)));
        let _ = writeln!(
            out,
            "::notice{file},title=sparkc::{}",
            gh_escape(&sentence, false)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Vec<Diagnostic>, Sources) {
        let d = Diagnostic::error(
            "schema",
            "jobs/a.yaml",
            Some(Pos {
                line: 2,
                column: 14,
                len: 3,
            }),
        )
        .path("spec.executor.instances")
        .message("expected an integer, found the string \"4\"")
        .hint("write the number without quotes");
        let mut sources = Sources::new();
        sources.insert(
            "jobs/a.yaml".into(),
            Arc::from("spec:\n  instances: \"4\"\n"),
        );
        (vec![d], sources)
    }

    #[test]
    fn human_has_location_source_caret_and_hint() {
        let (d, s) = sample();
        let out = render(&d, &s, Format::Human, false);
        assert_eq!(
            out,
            "error: jobs/a.yaml:2:14: spec.executor.instances: expected an integer, found the string \"4\"\n  |\n2 |   instances: \"4\"\n  |              ^^^\n  = hint: write the number without quotes\n"
        );
    }

    #[test]
    fn github_escapes() {
        let (d, s) = sample();
        let out = render(&d, &s, Format::Github, false);
        assert!(out.starts_with("::error file=jobs/a.yaml,line=2,col=14,title=sparkc schema::spec.executor.instances: expected"));
        assert!(out.contains("%0Ahint: "));
    }

    /// Errors are chosen before warnings; the rest are counted per file.
    #[test]
    fn caps_keep_errors_before_warnings() {
        let mut diags: Vec<Diagnostic> = (0..150)
            .map(|i| Diagnostic::warning("w", "a.yaml", Some(Pos::new(i + 1, 1))).message("w"))
            .collect();
        diags.push(Diagnostic::error("e", "a.yaml", Some(Pos::new(500, 1))).message("e"));
        diags.push(Diagnostic::error("e", "b.yaml", None).message("e"));
        let (shown, omitted) = select(&diags);
        assert_eq!(shown.len(), 101);
        assert!(shown.iter().any(|d| d.file == "a.yaml" && d.code == "e"));
        assert_eq!(
            omitted,
            [Omitted {
                file: "a.yaml",
                errors: 0,
                warnings: 51,
                partly_shown: true,
            }]
        );
        let out = render(&diags, &Sources::new(), Format::Human, false);
        assert!(out.ends_with("note: and 51 more in a.yaml (0 errors, 51 warnings) not shown: at most 100 are shown per file and 1000 per run\n"));
    }

    /// Past the run cap, the files left out entirely are counted in one note, not one
    /// note each.
    #[test]
    fn files_left_out_entirely_share_one_note() {
        let diags: Vec<Diagnostic> = (0..1_500)
            .map(|i| Diagnostic::warning("w", format!("j{i:04}.yaml"), None).message("w"))
            .collect();
        let out = render(&diags, &Sources::new(), Format::Human, false);
        let notes: Vec<&str> = out.lines().filter(|l| l.starts_with("note:")).collect();
        assert_eq!(
            notes,
            [
                "note: and 500 more in 500 other files (0 errors, 500 warnings) not shown: at most 100 are shown per file and 1000 per run; --format json lists them per file"
            ]
        );
        let gh = render(&diags, &Sources::new(), Format::Github, false);
        assert_eq!(gh.lines().filter(|l| l.starts_with("::notice")).count(), 1);
        // A few such files are still named one by one.
        let few: Vec<Diagnostic> = (0..1_003)
            .map(|i| Diagnostic::warning("w", format!("j{i:04}.yaml"), None).message("w"))
            .collect();
        let out = render(&few, &Sources::new(), Format::Human, false);
        assert!(out.contains("note: and 1 more in j1002.yaml (0 errors, 1 warning) not shown"));
    }

    /// Source lines are quoted as `str::lines` yields them.
    #[test]
    fn lines_as_str_lines() {
        for text in ["", "a", "a\n", "a\n\nb", "a\r\nb\r\n", "\n\n", "x\ry\n"] {
            let lines = Lines::new(text);
            let expected: Vec<&str> = text.lines().collect();
            let got: Vec<&str> = (1..).map_while(|n| lines.line(n)).collect();
            assert_eq!(got, expected, "{text:?}");
            assert_eq!(lines.line(0), None);
        }
    }

    #[test]
    fn json_has_summary() {
        let (d, s) = sample();
        let v: serde_json::Value =
            serde_json::from_str(&render(&d, &s, Format::Json, false)).unwrap();
        assert_eq!(v["summary"]["errors"], 1);
        assert_eq!(v["diagnostics"][0]["line"], 2);
    }
}
