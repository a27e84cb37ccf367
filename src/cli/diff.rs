//! `sparkc diff`: the render against live objects (a dump, the cluster, or the render at
//! another git ref), and its presentation.

use std::path::PathBuf;

use crate::diagnostic::Format;
use crate::error::Error;
use crate::live::dump::Entry;
use crate::{pipeline, render};

use super::present::{plural, stopped_outcome};
use super::{Config, Exit, Outcome};

/// `sparkc diff`: the render against live objects from dumps, the cluster, or the render
/// at another git ref.
pub(super) fn diff_command(
    cfg: &Config,
    env: Option<&str>,
    live: &[PathBuf],
    base: Option<&str>,
    cluster: Option<&crate::live::cluster::Options>,
) -> Result<Outcome, Error> {
    let texts = read_dumps(cfg, live)?;
    let mut entries = Vec::new();
    for (f, text) in &texts {
        entries.extend(
            crate::live::dump::read(text)
                .map_err(|m| Error::Usage(format!("{}: {m}", f.display())))?,
        );
    }
    // Against the cluster, the render comes first: it says which lists to read. Against
    // dumps (or another ref), each job is compared as it renders and then dropped.
    let mut failed = Vec::new();
    let mut rendered = None;
    if let Some(options) = cluster {
        let compiled = match pipeline::compile(&cfg.root, env, true) {
            Ok(c) => c,
            Err(stopped) => return stopped_outcome(cfg, stopped),
        };
        let project = compiled.project().cloned();
        let mut manifests = compiled.manifests;
        // Each environment is read from its own cluster: the context it names (a
        // `--context` wins), the current one otherwise; one read per context.
        for (context, envs) in contexts(project.as_ref(), env, options) {
            let ours: Vec<&render::Manifest> =
                manifests.iter().filter(|m| envs.contains(&m.env)).collect();
            let lists = cluster_lists(project.as_ref(), &envs, &ours);
            let options = crate::live::cluster::Options {
                context,
                ..options.clone()
            };
            let fetched = crate::live::cluster::fetch(&options, lists)?;
            // Another environment's objects in this cluster are not this read's to compare.
            entries.extend(
                fetched
                    .objects
                    .into_iter()
                    .map(Entry::of_value)
                    .filter(|e| e.env.as_ref().is_none_or(|x| envs.contains(x))),
            );
            failed.extend(fetched.failed);
        }
        // What could not be read is left out of the comparison (its objects would show as
        // created); the rest is still shown, then the errors (exit 2).
        manifests.retain(|m| {
            let group = m.api_version.rsplit_once('/').map_or("", |(g, _)| g);
            !failed
                .iter()
                .any(|(t, _)| t.group == group && t.kind == m.kind && t.namespace == m.namespace)
        });
        rendered = Some(manifests);
    }
    let _base_checkout;
    if let Some(reference) = base {
        match at_ref(cfg, reference, |root| pipeline::compile(root, env, true))? {
            Ok((dir, c)) => {
                _base_checkout = dir;
                entries = c
                    .manifests
                    .into_iter()
                    .map(|m| Entry::of_value(m.value))
                    .collect();
            }
            Err(outcome) => return Ok(outcome),
        }
    }
    // With one environment chosen, live objects of the others are not ours to delete.
    if let Some(env) = env {
        entries.retain(|e| e.env.as_ref().is_none_or(|e| e == env));
    }
    let live = crate::live::dump::Live::new(entries);
    let unreadable = |m: String| Error::Usage(format!("a live object cannot be read: {m}"));
    let diff = match rendered {
        Some(manifests) => crate::diff::compare_live(&manifests, &live).map_err(unreadable)?,
        None => {
            let comparison = crate::diff::Comparison::new(&live);
            let each = |manifests: Vec<render::Manifest>| {
                comparison.job(manifests.into_iter().map(|m| m.value).collect())
            };
            match pipeline::compile_each(&cfg.root, env, each) {
                Ok((_, jobs)) => jobs
                    .into_iter()
                    .collect::<Result<_, _>>()
                    .and_then(|jobs| comparison.finish(jobs))
                    .map_err(unreadable)?,
                Err(stopped) => return stopped_outcome(cfg, stopped),
            }
        }
    };
    let mut exit = Exit::findings_if(diff.differs());
    let mut stderr = String::new();
    for (_, e) in &failed {
        stderr.push_str(&format!("error: {e}\n"));
        exit = Exit::Error;
    }
    if !failed.is_empty() {
        stderr.push_str(&format!(
            "note: {} list{} could not be read; {} objects are left out of the comparison\n",
            failed.len(),
            plural(failed.len()),
            if failed.len() == 1 { "its" } else { "their" }
        ));
    }
    let stdout = if cfg.format == Format::Json {
        let mut s = serde_json::to_string_pretty(&diff).unwrap_or_default();
        s.push('\n');
        s
    } else {
        human(cfg, &diff)
    };
    Ok(Outcome {
        stdout,
        stderr,
        exit,
    })
}

/// The project at a git ref, compiled by `compile`: the checkout (the caller keeps it while
/// it uses the result) and the result, or the outcome to print when it does not render.
pub(super) fn at_ref(
    cfg: &Config,
    reference: &str,
    compile: impl FnOnce(&std::path::Path) -> Result<pipeline::Compiled, pipeline::Stopped>,
) -> Result<Result<(tempfile::TempDir, pipeline::Compiled), Outcome>, Error> {
    let (dir, root) = crate::live::gitref::checkout(&cfg.root, reference)?;
    match compile(&root) {
        Ok(c) => Ok(Ok((dir, c))),
        Err(stopped) => {
            let mut outcome = stopped_outcome(cfg, stopped)?;
            outcome.stdout = format!(
                "error: the project at {reference} does not render:\n{}",
                outcome.stdout
            );
            Ok(Err(outcome))
        }
    }
}

/// Reads the dumps of live objects (`-` is standard input): each one's name and text.
fn read_dumps(cfg: &Config, live: &[PathBuf]) -> Result<Vec<(PathBuf, String)>, Error> {
    let mut texts = Vec::new();
    for f in live {
        let text = if f.as_os_str() == "-" {
            super::read_stdin()?
        } else {
            let path = cfg.root.join(f);
            std::fs::read_to_string(&path).map_err(|source| Error::Read {
                path: path.clone(),
                source,
            })?
        };
        texts.push((f.clone(), text));
    }
    Ok(texts)
}

/// The report for a person: the counts, then each changed object with its effect and its
/// unified diff (coloured when asked).
fn human(cfg: &Config, diff: &crate::diff::Report) -> String {
    let mut s = format!(
        "{} created, {} changed, {} deleted, {} unchanged\n",
        diff.summary["created"],
        diff.summary["changed"],
        diff.summary["deleted"],
        diff.summary["unchanged"]
    );
    for r in diff
        .resources
        .iter()
        .filter(|r| r.action != crate::diff::Action::Unchanged)
    {
        let action = serde_json::to_value(r.action).unwrap_or_default();
        let effect = match r.effect {
            Some(crate::diff::Effect::Replace) => {
                " (replace: Kubernetes cannot patch this in place; the object is deleted and created again)"
            }
            Some(crate::diff::Effect::Rerun) if r.previous_name.is_some() => {
                " (rerun: the job runs again now as a new Job; the old one is deleted, killing its run if it is still going)"
            }
            Some(crate::diff::Effect::Rerun) => {
                " (rerun: the Spark operator kills the application and runs it again)"
            }
            Some(crate::diff::Effect::Ignored) => {
                " (ignored: the operator does not act on a submitted application's spec change; delete it to run the new spec)"
            }
            None => "",
        };
        let renamed = r
            .previous_name
            .as_ref()
            .map_or_else(String::new, |p| format!("{p} → "));
        s.push_str(&format!(
            "\n{}/{}/{renamed}{} {}{effect}\n",
            r.kind,
            r.namespace,
            r.name,
            action.as_str().unwrap_or_default()
        ));
        for line in r.diff.lines() {
            let colored = match line.chars().next() {
                Some('+') if cfg.color && !line.starts_with("+++") => {
                    format!("\x1b[32m{line}\x1b[0m")
                }
                Some('-') if cfg.color && !line.starts_with("---") => {
                    format!("\x1b[31m{line}\x1b[0m")
                }
                _ => line.to_owned(),
            };
            s.push_str(&colored);
            s.push('\n');
        }
    }
    s
}

/// The kubeconfig contexts `diff --cluster` reads, each with the environments it serves:
/// `--context` for all of them, else each environment's `cluster.context`, else the
/// current context (`None`).
fn contexts(
    project: Option<&crate::project::spec::Project>,
    env: Option<&str>,
    options: &crate::live::cluster::Options,
) -> std::collections::BTreeMap<Option<String>, Vec<String>> {
    let environments: Vec<(String, Option<String>)> =
        match project.and_then(|p| p.environments.as_ref()) {
            Some(all) if !all.is_empty() => all
                .iter()
                .filter(|(name, _)| env.is_none_or(|x| x == name.as_str()))
                .map(|(name, e)| {
                    let own = e.cluster.as_ref().and_then(|c| c.context.clone());
                    (name.clone(), options.context.clone().or(own))
                })
                .collect(),
            _ => vec![(
                crate::project::workspace::DEFAULT_ENV.to_owned(),
                options.context.clone(),
            )],
        };
    let mut out: std::collections::BTreeMap<Option<String>, Vec<String>> = Default::default();
    for (name, context) in environments {
        out.entry(context).or_default().push(name);
    }
    out
}

/// The lists that `diff --cluster` makes for some environments: their namespaces (and
/// those of their render), every kind sparkc renders.
fn cluster_lists(
    project: Option<&crate::project::spec::Project>,
    envs: &[String],
    manifests: &[&render::Manifest],
) -> Vec<crate::live::cluster::Target> {
    let mut namespaces: std::collections::BTreeSet<String> = manifests
        .iter()
        .map(|m| m.namespace.clone())
        .filter(|n| !n.is_empty())
        .collect();
    if let Some(environments) = project.and_then(|p| p.environments.as_ref()) {
        for (name, e) in environments {
            if envs.contains(name)
                && let Some(ns) = &e.namespace
            {
                namespaces.insert(ns.clone());
            }
        }
    }
    let mut kinds: Vec<(String, String, String)> = manifests
        .iter()
        .map(|m| {
            let (group, version) = m
                .api_version
                .rsplit_once('/')
                .unwrap_or(("", &m.api_version));
            (group.to_owned(), version.to_owned(), m.kind.clone())
        })
        .collect();
    kinds.sort();
    kinds.dedup();
    crate::live::cluster::targets(&namespaces, &kinds)
}
