//! `sparkc templates list|export`: the built-in templates, and a copy of them as the start
//! of a project's overrides.

use crate::error::Error;

use super::{Config, Outcome, TemplatesAction};

/// `sparkc templates list|export`.
pub(super) fn templates(cfg: &Config, action: &TemplatesAction) -> Result<Outcome, Error> {
    let builtin = crate::target::all_templates();
    let mut stdout = String::new();
    match action {
        TemplatesAction::List => {
            for (name, _) in &builtin {
                stdout.push_str(name);
                stdout.push('\n');
            }
        }
        TemplatesAction::Export { dir } => {
            let root = cfg.root.join(dir);
            for (name, _) in &builtin {
                let path = root.join(name);
                if path.exists() {
                    return Err(Error::Usage(format!(
                        "{} already exists; sparkc templates export does not overwrite files",
                        path.display()
                    )));
                }
            }
            for (name, source) in &builtin {
                let path = root.join(name);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(|source| Error::Write {
                        path: parent.to_path_buf(),
                        source,
                    })?;
                }
                std::fs::write(&path, source).map_err(|source| Error::Write {
                    path: path.clone(),
                    source,
                })?;
            }
            if !cfg.quiet {
                stdout.push_str(&format!(
                    "wrote {} templates to {}\nnext: set `templates: {}` in sparkc.yaml, and keep only the files you change (docs/templates.md lists what each receives)\n",
                    builtin.len(),
                    root.display(),
                    dir.display()
                ));
            }
        }
    }
    Ok(Outcome {
        stdout,
        ..Outcome::default()
    })
}
