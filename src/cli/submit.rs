//! `sparkc submit-command`: the cluster-mode spark-submit line of one job, for an ad-hoc
//! run from outside the cluster.

use crate::error::Error;
use crate::{pipeline, project::schema, project::workspace};

use super::present::stopped_outcome;
use super::{Config, Outcome};

/// `sparkc submit-command JOB [--env E] [--master M]`.
pub(super) fn submit_command(
    cfg: &Config,
    job: &str,
    env: Option<&str>,
    master: Option<&str>,
) -> Result<Outcome, Error> {
    let ws = workspace::load(&cfg.root, &[])?;
    let envs = ws.environments();
    let env = match (env, envs.as_slice()) {
        (Some(e), _) => e.to_owned(),
        (None, [only]) => only.clone(),
        (None, _) => {
            return Err(Error::Usage(format!(
                "the project has several environments ({}): choose one with --env",
                envs.join(", ")
            )));
        }
    };
    let compiled = match pipeline::compile_loaded(ws, &cfg.root, Some(&env), false) {
        Ok(c) => c,
        Err(stopped) => return stopped_outcome(cfg, stopped),
    };
    let jobs = &compiled.report.jobs;
    let Some(found) = jobs.iter().find(|j| j.name == job) else {
        let names: Vec<String> = jobs.iter().map(|j| j.name.clone()).collect();
        let hint = schema::suggest(job, &names)
            .map_or_else(String::new, |s| format!(" (did you mean `{s}`?)"));
        return Err(Error::Usage(format!(
            "there is no job `{job}` in environment `{env}`{hint}"
        )));
    };
    let proxy = master.is_none();
    let master = master.unwrap_or("k8s://http://127.0.0.1:8001");
    let (args, lost) = crate::spark::submit::cluster_submit(found, master);
    let mut out = format!(
        "# Cluster-mode run of `{}` (environment {env}, namespace {}).\n",
        found.name, found.namespace
    );
    if proxy {
        out.push_str("# Start `kubectl proxy` first (it listens on 127.0.0.1:8001), or pass --master k8s://https://HOST:PORT.\n");
    }
    if found.spec.service_account.is_none() {
        let sa = crate::names::Names::new(&found.name, &found.namespace, "").service_account;
        out.push_str(&format!("# The driver runs as `{sa}`: apply the rendered ServiceAccount, Role and RoleBinding first.\n"));
    }
    for l in &lost {
        out.push_str(&format!("# Not carried over: {l}.\n"));
    }
    let quoted: Vec<String> = args
        .iter()
        .map(|a| shlex::try_quote(a).map_or_else(|_| a.clone(), |q| q.into_owned()))
        .collect();
    let mut line = String::new();
    let mut i = 0;
    while i < quoted.len() {
        let tok = &quoted[i];
        let pair =
            tok.starts_with("--") && i + 1 < quoted.len() && !quoted[i + 1].starts_with("--");
        if i > 0 {
            line.push_str(" \\\n  ");
        }
        line.push_str(tok);
        if pair && i > 0 {
            line.push(' ');
            line.push_str(&quoted[i + 1]);
            i += 1;
        }
        i += 1;
    }
    out.push_str(&line);
    out.push('\n');
    Ok(Outcome {
        stdout: out,
        ..Outcome::default()
    })
}
