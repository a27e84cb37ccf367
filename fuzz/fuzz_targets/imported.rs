//! What the import targets share: each spec an import wrote must be YAML that reads back
//! as one document, and its diagnostics must print.

use sparkc::diagnostic::{Format, Sources, render};

/// Imports `data` (UTF-8 only) as `file` with `import`, and checks what it wrote.
pub fn check(data: &[u8], file: &str, import: fn(&str, &str) -> sparkc::import::Outcome) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let out = import(file, text);
    for job in &out.jobs {
        let written = sparkc::import::to_text(job);
        let back = sparkc::project::yaml::parse_values(&written)
            .unwrap_or_else(|e| panic!("the imported spec is not YAML ({e:?}):\n{written}"));
        assert_eq!(back.len(), 1, "{written}");
    }
    let mut sources = Sources::new();
    sources.insert(file.to_owned(), text.into());
    let _ = render(&out.diagnostics, &sources, Format::Human, false);
}
