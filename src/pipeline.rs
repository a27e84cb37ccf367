//! The pipeline as one library function: load → validate → plan → render → verify.
//!
//! Every command that needs the rendered objects (render, diff, submit-command) calls
//! [`compile`]; `validate` stops after the checks. The result is data: the workspace, the
//! validation report, the manifests and the warnings, or the findings that stopped it.
//! Nothing here prints or decides an exit code.

use std::path::Path;

use crate::diagnostic::{Diagnostic, Severity, Sources, sort_dedup};
use crate::error::Error;
use crate::project::spec::Project;
use crate::project::validate::{self, Keep, Report};
use crate::project::workspace::{self, Workspace};
use crate::render::{self, Manifest, Renderer};

/// A project compiled for one environment (or all).
pub struct Compiled {
    pub workspace: Workspace,
    pub report: Report,
    pub manifests: Vec<Manifest>,
    /// Warnings of validation (render problems are errors and stop the pipeline).
    pub warnings: Vec<Diagnostic>,
}

impl Compiled {
    /// The project file's settings, if the project has one.
    pub fn project(&self) -> Option<&Project> {
        self.workspace.project.as_ref().map(|p| &p.project)
    }
}

/// Why the pipeline stopped before its end.
pub enum Stopped {
    /// The specs have findings (errors): the diagnostics to show. `rendering`: whether
    /// they came from rendering (validation passed).
    Findings {
        rendering: bool,
        diagnostics: Vec<Diagnostic>,
        sources: Sources,
        files: usize,
    },
    /// Something outside the specs failed.
    Error(Error),
}

impl From<Error> for Stopped {
    fn from(e: Error) -> Self {
        Stopped::Error(e)
    }
}

/// Loads and validates a project: the workspace and the report.
pub fn check(
    root: &Path,
    paths: &[std::path::PathBuf],
    env: Option<&str>,
    keep: Keep,
) -> Result<(Workspace, Report), Error> {
    let ws = workspace::load(root, paths)?;
    let report = validate::validate(&ws, env, keep)?;
    Ok((ws, report))
}

/// [`check`] keeping references, taking what the render cache knows of unchanged files
/// (read only: `validate` renders nothing, so it learns nothing to record).
pub fn check_cached(
    root: &Path,
    paths: &[std::path::PathBuf],
    env: Option<&str>,
) -> Result<(Workspace, Report), Error> {
    let ws = workspace::load(root, paths)?;
    let cache = crate::cache::Cache::load(&ws, env);
    let reuse = |f: &workspace::JobFile, text: &str| cache.as_ref()?.reused(&f.display, text);
    let report = validate::validate_reusing(&ws, env, Keep::Refs, Some(&reuse))?;
    Ok((ws, report))
}

/// The renderer of a project: its template overrides and settings.
pub fn renderer(root: &Path, project: Option<&Project>) -> Result<Renderer, Error> {
    let overrides = project
        .and_then(|p| p.templates.as_ref())
        .map(|t| root.join(t));
    Renderer::new(overrides.as_deref(), project)
}

/// Loads, validates, plans, renders and verifies a project. `keep_values`: whether the
/// manifests keep their parsed objects (a diff compares them).
pub fn compile(root: &Path, env: Option<&str>, keep_values: bool) -> Result<Compiled, Stopped> {
    let workspace = workspace::load(root, &[])?;
    compile_loaded(workspace, root, env, keep_values)
}

/// A project validated, ready to render.
pub struct Validated {
    pub workspace: Workspace,
    pub report: Report,
    /// Warnings of validation.
    pub warnings: Vec<Diagnostic>,
}

/// Validates a workspace, keeping the effective jobs or only their references; findings
/// stop it.
pub fn validated(
    workspace: Workspace,
    env: Option<&str>,
    keep: Keep,
) -> Result<Validated, Stopped> {
    validated_unless(workspace, env, keep, None, |_| true)
}

/// [`validated`] keeping references, taking what `reuse` knows of unchanged files (the
/// render cache) instead of checking them again.
pub fn validated_reusing(
    workspace: Workspace,
    env: Option<&str>,
    reuse: validate::Reuse<'_>,
) -> Result<Validated, Stopped> {
    validated_unless(workspace, env, Keep::Refs, Some(reuse), |_| true)
}

/// [`validated`], stopping at the errors for which `stops` holds.
fn validated_unless(
    workspace: Workspace,
    env: Option<&str>,
    keep: Keep,
    reuse: Option<validate::Reuse<'_>>,
    stops: impl Fn(&Diagnostic) -> bool,
) -> Result<Validated, Stopped> {
    let report = validate::validate_reusing(&workspace, env, keep, reuse)?;
    if report
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error && stops(d))
    {
        return Err(Stopped::Findings {
            rendering: false,
            diagnostics: report.diagnostics,
            sources: report.sources,
            files: report.files,
        });
    }
    let warnings = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .cloned()
        .collect();
    Ok(Validated {
        workspace,
        report,
        warnings,
    })
}

/// [`compile`] of a workspace already loaded.
pub fn compile_loaded(
    workspace: Workspace,
    root: &Path,
    env: Option<&str>,
    keep_values: bool,
) -> Result<Compiled, Stopped> {
    compile_unless(workspace, root, env, keep_values, |_| true)
}

/// [`compile`] that goes on past the errors of policies (their jobs are valid and render):
/// `plan` shows what a change does together with the policies it breaks. The errors are in
/// the report.
pub fn compile_past_policies(root: &Path, env: Option<&str>) -> Result<Compiled, Stopped> {
    let workspace = workspace::load(root, &[])?;
    compile_unless(workspace, root, env, true, |d| {
        !crate::policy::Name::is_policy_code(d.code)
    })
}

/// The pipeline, stopping at the errors for which `stops` holds.
fn compile_unless(
    workspace: Workspace,
    root: &Path,
    env: Option<&str>,
    keep_values: bool,
    stops: impl Fn(&Diagnostic) -> bool,
) -> Result<Compiled, Stopped> {
    let Validated {
        workspace,
        report,
        warnings,
    } = validated_unless(workspace, env, Keep::Jobs, None, stops)?;
    let project = workspace.project.as_ref().map(|p| &p.project);
    let renderer = renderer(root, project)?;
    let (manifests, mut diags) = render::render_all(&renderer, &report.jobs, keep_values);
    if !diags.is_empty() {
        sort_dedup(&mut diags);
        return Err(Stopped::Findings {
            rendering: true,
            diagnostics: diags,
            sources: report.sources,
            files: report.files,
        });
    }
    Ok(Compiled {
        workspace,
        report,
        manifests,
        warnings,
    })
}

/// [`compile`] that hands each job's objects to `each` on the worker that rendered them and
/// keeps only what `each` returns: a diff compares a large project without holding its
/// render. The results are in render order; the workspace and report come back with them.
pub fn compile_each<R: Send>(
    root: &Path,
    env: Option<&str>,
    each: impl Fn(Vec<Manifest>) -> R + Sync,
) -> Result<(Validated, Vec<R>), Stopped> {
    let workspace = workspace::load(root, &[])?;
    let validated = validated(workspace, env, Keep::Jobs)?;
    let project = validated.workspace.project.as_ref().map(|p| &p.project);
    let renderer = renderer(root, project)?;
    let (results, mut diags) = render::render_each(
        &renderer,
        &validated.report.jobs,
        render::Output::Objects,
        each,
    );
    if !diags.is_empty() {
        sort_dedup(&mut diags);
        return Err(Stopped::Findings {
            rendering: true,
            diagnostics: diags,
            sources: validated.report.sources,
            files: validated.report.files,
        });
    }
    Ok((validated, results))
}
