//! What the targets share: a project on disk (the quickstart's project file, one job file
//! that each input replaces), made once per process.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// The temporary project: `sparkc.yaml` (the quickstart's) and `jobs/`.
pub struct Project {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
    pub job: PathBuf,
}

pub static PROJECT: LazyLock<Project> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().to_owned();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::copy(
        repo.join("examples/quickstart/sparkc.yaml"),
        root.join("sparkc.yaml"),
    )
    .expect("project file");
    std::fs::create_dir(root.join("jobs")).expect("jobs folder");
    let job = root.join("jobs/fuzz.yaml");
    Project {
        _dir: dir,
        root,
        job,
    }
});

/// Writes the job file of the project.
pub fn write_job(text: &[u8]) -> &'static Project {
    let p = &*PROJECT;
    std::fs::write(&p.job, text).expect("write the job file");
    p
}
