//! What the targets share: a project on disk (the quickstart's project file, one job file
//! that each input replaces), made once per process.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use sparkc::project::workspace::Workspace;

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

/// The project loaded once (its project file checked, its one job file found); validation
/// reads the job file again each time.
pub static WORKSPACE: LazyLock<Workspace> = LazyLock::new(|| {
    std::fs::write(&PROJECT.job, "").expect("write the job file");
    sparkc::project::workspace::load(&PROJECT.root, &[]).expect("the project loads")
});

/// Writes the job file of the project; the workspace that validates it.
pub fn write_job(text: &[u8]) -> &'static Workspace {
    let ws = &*WORKSPACE;
    std::fs::write(&PROJECT.job, text).expect("write the job file");
    ws
}
