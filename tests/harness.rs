//! A small harness: temporary projects, running the binary, scrubbing paths.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The `sparkc` binary under test.
pub(crate) fn sparkc() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sparkc"));
    cmd.env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env("COLUMNS", "100");
    cmd
}

/// The repository root.
pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A temporary project folder.
pub(crate) struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub(crate) fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file (creating folders).
    #[track_caller]
    pub(crate) fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> &Self {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
        self
    }

    /// `sparkc -C <project> args...`.
    pub(crate) fn sparkc(&self, args: &[&str]) -> Command {
        let mut cmd = sparkc();
        cmd.arg("-C").arg(self.path()).args(args);
        cmd
    }
}

/// Every file under `dir`, sorted (none when it does not exist).
pub(crate) fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .collect();
    out.sort();
    out
}

/// Every `.yaml` file under `dir`, sorted.
pub(crate) fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect()
}

/// A copy of the bundled example project (without a rendered tree).
pub(crate) fn quickstart() -> Project {
    example("quickstart")
}

/// A copy of an example project of `examples/` (without a rendered tree).
pub(crate) fn example(name: &str) -> Project {
    let p = Project::new();
    let src = repo().join("examples").join(name);
    for f in files_under(&src) {
        let rel = f.strip_prefix(&src).unwrap();
        if !rel.starts_with("deploy") {
            p.write(rel.to_str().unwrap(), std::fs::read(&f).unwrap());
        }
    }
    p
}

/// Runs git in `dir`; it must succeed.
#[track_caller]
pub(crate) fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Output of a finished command.
pub(crate) struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

#[track_caller]
pub(crate) fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("sparkc runs");
    Output {
        code: out.status.code().expect("exit code (no signal)"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A driver container's arguments as the container receives them, after the kubelet's
/// expansion of `$(SPARK_DRIVER_POD_NAME)` and `$(SPARK_DRIVER_BIND_ADDRESS)`.
pub(crate) fn expanded_args(container: &serde_json::Value, pod: &str, ip: &str) -> Vec<String> {
    let vars = |name: &str| match name {
        "SPARK_DRIVER_POD_NAME" => Some(pod.to_owned()),
        "SPARK_DRIVER_BIND_ADDRESS" => Some(ip.to_owned()),
        _ => None,
    };
    container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| sparkc::names::kubelet_expand(a.as_str().unwrap(), &vars))
        .collect()
}

/// A header every valid job starts with.
pub(crate) const JOB_HEAD: &str = "apiVersion: sparkc.io/v1alpha1\nkind: SparkJob\n";

/// A minimal valid job called `name`.
pub(crate) fn job(name: &str) -> String {
    format!(
        "{JOB_HEAD}metadata: {{name: {name}, namespace: data}}\nspec:\n  image: apache/spark:3.5.3\n  sparkVersion: \"3.5.3\"\n  mainApplicationFile: local:///opt/app/main.py\n"
    )
}

/// A program a test needs is missing. Outside CI such a test is compiled `#[ignore]` when
/// the program was missing at build time (see `build.rs`), so reaching this means it is
/// missing in CI, or was removed after the build.
#[track_caller]
pub(crate) fn tool_missing(what: &str) -> ! {
    panic!(
        "{what} is missing: CI installs it (.ci/run); elsewhere this test is ignored when it is missing at build time"
    )
}

/// Every job of the bundled project and of the all-fields fixture: (project folder, the
/// environment to use, job names).
pub(crate) const EVERY_JOB: &[(&str, &str, &[&str])] = &[
    (
        "examples/quickstart",
        "prod",
        &[
            "nightly-etl",
            "feature-build",
            "daily-revenue",
            "sessionize",
        ],
    ),
    (
        "tests/fixtures/all-fields",
        "test",
        &["everything", "scheduled", "bare-pod"],
    ),
];

/// `sparkc submit-command JOB --env ENV` for the project at `project`, through a fixed
/// master address.
pub(crate) fn submit_command(project: &Path, job: &str, env: &str) -> Output {
    run(sparkc().arg("-C").arg(project).args([
        "submit-command",
        job,
        "--env",
        env,
        "--master",
        "k8s://https://10.0.0.1:6443",
    ]))
}
