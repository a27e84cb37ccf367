//! The project as it is at a git ref, extracted into a temporary folder with `git archive`
//! (the working tree, the index and the refs are not touched).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::Error;

fn git(dir: &Path, args: &[&str]) -> Result<String, Error> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| Error::Usage(format!("cannot run git: {e}")))?;
    if !out.status.success() {
        return Err(Error::Usage(format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Extracts the repository holding `root` at `reference`; returns the temporary folder
/// (kept alive by the caller) and the project folder inside it.
pub fn checkout(root: &Path, reference: &str) -> Result<(tempfile::TempDir, PathBuf), Error> {
    let top = PathBuf::from(git(root, &["rev-parse", "--show-toplevel"])?);
    let commit = git(
        &top,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{reference}^{{commit}}"),
        ],
    )
    .map_err(|_| Error::Usage(format!("`{reference}` is not a commit of this repository")))?;
    let canonical_root = std::fs::canonicalize(root).map_err(|source| Error::Read {
        path: root.to_owned(),
        source,
    })?;
    let canonical_top = std::fs::canonicalize(&top).map_err(|source| Error::Read {
        path: top.clone(),
        source,
    })?;
    let rel = canonical_root
        .strip_prefix(&canonical_top)
        .unwrap_or(Path::new(""))
        .to_owned();
    let dir = tempfile::tempdir().map_err(|source| Error::Write {
        path: std::env::temp_dir(),
        source,
    })?;
    let mut archive = Command::new("git")
        .arg("-C")
        .arg(&top)
        .args(["archive", "--format=tar", &commit])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| Error::Usage(format!("cannot run git archive: {e}")))?;
    let stdout = archive
        .stdout
        .take()
        .ok_or_else(|| Error::Usage("git archive gave no output".to_owned()))?;
    let tar = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(dir.path())
        .stdin(stdout)
        .status()
        .map_err(|e| Error::Usage(format!("cannot run tar: {e}")))?;
    let git_ok = archive.wait().is_ok_and(|s| s.success());
    if !tar.success() || !git_ok {
        return Err(Error::Usage(format!(
            "could not extract `{reference}` with git archive"
        )));
    }
    let project = dir.path().join(rel);
    Ok((dir, project))
}
