//! `sparkc init`: a starter project that validates as written.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::project::schema::{self, Kind};

/// The starter project file.
pub const PROJECT: &str = include_str!("../templates/init/sparkc.yaml");
/// The starter job.
pub const JOB: &str = include_str!("../templates/init/example.yaml");

/// Files written by `init`, relative to the project folder.
pub fn files() -> Vec<(&'static str, String)> {
    vec![
        ("sparkc.yaml", PROJECT.to_owned()),
        ("jobs/example/hello-spark.yaml", JOB.to_owned()),
        (
            "schemas/sparkjob.schema.json",
            schema::schema_text(Kind::SparkJob),
        ),
        (
            "schemas/project.schema.json",
            schema::schema_text(Kind::Project),
        ),
    ]
}

/// Writes the starter project into `dir`. Refuses to overwrite anything.
pub fn init(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let files = files();
    for (rel, _) in &files {
        let path = dir.join(rel);
        if path.exists() {
            return Err(Error::Usage(format!(
                "{} already exists; sparkc init does not overwrite files",
                path.display()
            )));
        }
    }
    let mut written = Vec::new();
    for (rel, content) in &files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|source| Error::Write {
                path: parent.to_owned(),
                source,
            })?;
        }
        fs::write(&path, content).map_err(|source| Error::Write {
            path: path.clone(),
            source,
        })?;
        written.push(PathBuf::from(rel));
    }
    Ok(written)
}
