//! The GitOps side of the rendered tree: the objects that tell Argo CD or Flux where each
//! unit goes (Applications or an ApplicationSet, Flux Kustomizations), the health checks
//! Argo CD lacks for the kinds sparkc renders, the sync waves that order a unit's objects,
//! the checks of the project's GitOps and cluster settings, and the warnings where GitOps
//! and batch jobs fight.
//!
//! An environment is a cluster: `environments.<env>.cluster` names it for Argo CD
//! (`server` or `name`), for Flux (a kubeconfig Secret) and for `sparkc diff --cluster` (a
//! kubeconfig context).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value as Json, json};

use crate::diagnostic::Diagnostic;
use crate::project::spec::{Cluster, GitOpsTool, Project};
use crate::project::workspace::PROJECT_FILE;
use crate::project::yaml::{self, Node, Seg};

/// Argo CD's annotation ordering a sync.
pub const SYNC_WAVE: &str = "argocd.argoproj.io/sync-wave";

/// The in-cluster API server, Argo CD's default destination.
pub const IN_CLUSTER: &str = "https://kubernetes.default.svc";

/// The file of the health checks, in the tree's `gitops/` folder.
pub const HEALTH_FILE: &str = "gitops/argocd-health.yaml";

/// GitOps settings the tree needs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub tool: GitOpsTool,
    pub repo_url: Option<String>,
    pub target_revision: String,
    pub self_heal: bool,
    /// The output folder relative to the repository root (for GitOps paths).
    pub output_path: String,
    /// Argo CD's namespace and project, and whether units go into one ApplicationSet.
    pub argocd_namespace: String,
    pub argocd_project: String,
    pub application_set: bool,
    /// Environment → namespace.
    pub namespaces: BTreeMap<String, String>,
    /// Environment → its cluster.
    pub clusters: BTreeMap<String, Cluster>,
}

impl Settings {
    pub fn from_project(project: Option<&Project>, output_path: &str) -> Self {
        let gitops = project.and_then(|p| p.gitops.clone()).unwrap_or_default();
        let argocd = gitops.argocd.unwrap_or_default();
        let environments = project.and_then(|p| p.environments.as_ref());
        Self {
            tool: gitops.tool.unwrap_or(GitOpsTool::None),
            repo_url: gitops.repo_url,
            target_revision: gitops.target_revision.unwrap_or_else(|| "HEAD".to_owned()),
            self_heal: gitops.self_heal.unwrap_or(false),
            output_path: output_path.trim_end_matches('/').to_owned(),
            argocd_namespace: argocd.namespace.unwrap_or_else(|| "argocd".to_owned()),
            argocd_project: argocd.project.unwrap_or_else(|| "default".to_owned()),
            application_set: argocd.application_set.unwrap_or(false),
            namespaces: environments
                .map(|e| {
                    e.iter()
                        .filter_map(|(k, v)| v.namespace.clone().map(|n| (k.clone(), n)))
                        .collect()
                })
                .unwrap_or_default(),
            clusters: environments
                .map(|e| {
                    e.iter()
                        .filter_map(|(k, v)| v.cluster.clone().map(|c| (k.clone(), c)))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// The sync wave of a rendered object under Argo CD: what a workload needs (its account and
/// RBAC, ConfigMaps, the driver Service) applies one wave before the workloads, so a driver
/// never starts before the Role that lets it create executors.
pub fn sync_wave(kind: &str) -> Option<&'static str> {
    matches!(
        kind,
        "ServiceAccount" | "Role" | "RoleBinding" | "ConfigMap" | "Service"
    )
    .then_some("-1")
}

/// One GitOps unit of an environment.
#[derive(Debug, Clone)]
pub struct Unit {
    /// Its folder name.
    pub name: String,
    /// The namespaces of its objects.
    pub namespaces: BTreeSet<String>,
    /// The objects Flux health-checks: (apiVersion, kind, name, namespace).
    pub watched: Vec<(String, String, String, String)>,
}

/// How Flux judges the health of a kind a target renders: CEL expressions on the live
/// object (its fields at the top level), each guarded with `has()` (Flux waits out the
/// timeout on a missing field).
#[derive(Debug, Clone, Copy)]
pub struct FluxHealth {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub current: &'static str,
    pub failed: &'static str,
}

/// The Flux health check of a kind, if a target has one.
pub fn flux_health(api_version: &str, kind: &str) -> Option<&'static FluxHealth> {
    crate::target::TARGETS
        .iter()
        .flat_map(|t| t.flux_health_checks())
        .find(|h| h.api_version == api_version && h.kind == kind)
}

/// The GitOps objects of one environment's units (`gitops/<env>.yaml`), checked against
/// their CRDs; none without a GitOps tool.
pub fn objects(
    env: &str,
    units: &[Unit],
    s: &Settings,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    let docs = match s.tool {
        GitOpsTool::None => return None,
        GitOpsTool::Argocd => {
            let Some(repo) = &s.repo_url else {
                diags.push(
                    Diagnostic::error("gitops", PROJECT_FILE, None)
                        .path("gitops.repoURL")
                        .message("`gitops.tool: argocd` needs the repository's URL")
                        .hint("set `gitops.repoURL` (and `targetRevision`) in sparkc.yaml"),
                );
                return None;
            };
            if s.application_set {
                vec![application_set(env, units, s, repo)]
            } else {
                units
                    .iter()
                    .map(|u| application(env, &u.name, &u.namespaces, s, repo))
                    .collect()
            }
        }
        GitOpsTool::Flux => units.iter().map(|u| kustomization(env, u, s)).collect(),
    };
    let mut text = String::from("# Generated by sparkc: one GitOps unit per group (and shard).\n");
    for (i, doc) in docs.iter().enumerate() {
        if let Err(errors) = crate::k8s::check(doc) {
            diags.push(
                Diagnostic::error("gitops", PROJECT_FILE, None)
                    .path("gitops")
                    .message(format!(
                        "the {} {} of environment {env} fails its CRD schema: {}",
                        doc["kind"].as_str().unwrap_or_default(),
                        doc["metadata"]["name"].as_str().unwrap_or_default(),
                        errors.join("; ")
                    )),
            );
            return None;
        }
        if i > 0 {
            text.push_str("---\n");
        }
        text.push_str(&yaml::to_yaml(doc));
    }
    Some(text)
}

/// The name of a unit's Application or Kustomization.
fn unit_name(env: &str, unit: &str) -> String {
    format!("sparkc-{env}-{unit}")
}

fn labels(env: &str) -> Json {
    json!({crate::names::LABEL_MANAGED_BY: crate::names::MANAGED_BY, crate::names::LABEL_ENV: env})
}

/// The unit's folder in the repository.
fn unit_path(env: &str, unit: &str, s: &Settings) -> String {
    if s.output_path.is_empty() || s.output_path == "." {
        format!("{env}/{unit}")
    } else {
        format!("{}/{env}/{unit}", s.output_path)
    }
}

/// The namespace a unit's objects default to: the environment's, or the one namespace all
/// of them share.
fn unit_namespace(env: &str, namespaces: &BTreeSet<String>, s: &Settings) -> Option<String> {
    s.namespaces.get(env).cloned().or_else(|| {
        (namespaces.len() == 1)
            .then(|| namespaces.iter().next().cloned())
            .flatten()
    })
}

/// Argo CD's destination cluster of an environment: its `name`, or its `server` (the
/// in-cluster server by default).
fn destination(env: &str, s: &Settings) -> Json {
    let cluster = s.clusters.get(env);
    match cluster.and_then(|c| c.name.as_ref()) {
        Some(name) => json!({"name": name}),
        None => json!({"server": cluster.and_then(|c| c.server.as_deref()).unwrap_or(IN_CLUSTER)}),
    }
}

fn sync_policy(s: &Settings) -> Json {
    json!({
        "automated": {"prune": true, "selfHeal": s.self_heal},
        "syncOptions": ["CreateNamespace=false"],
    })
}

fn application(
    env: &str,
    unit: &str,
    namespaces: &BTreeSet<String>,
    s: &Settings,
    repo: &str,
) -> Json {
    let mut destination = destination(env, s);
    if let Some(ns) = unit_namespace(env, namespaces, s) {
        destination["namespace"] = json!(ns);
    }
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": unit_name(env, unit), "namespace": s.argocd_namespace, "labels": labels(env)},
        "spec": {
            "project": s.argocd_project,
            "source": {"repoURL": repo, "targetRevision": s.target_revision, "path": unit_path(env, unit, s)},
            "destination": destination,
            "syncPolicy": sync_policy(s),
        },
    })
}

/// One ApplicationSet for the environment: a list generator with one element per unit,
/// and the same Application as [`application`] as its template.
fn application_set(env: &str, units: &[Unit], s: &Settings, repo: &str) -> Json {
    let elements: Vec<Json> = units
        .iter()
        .map(|u| {
            json!({
                "unit": u.name,
                "path": unit_path(env, &u.name, s),
                // Empty: the unit's objects name their own namespaces.
                "namespace": unit_namespace(env, &u.namespaces, s).unwrap_or_default(),
            })
        })
        .collect();
    let mut destination = destination(env, s);
    destination["namespace"] = json!("{{.namespace}}");
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": format!("sparkc-{env}"), "namespace": s.argocd_namespace, "labels": labels(env)},
        "spec": {
            "goTemplate": true,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [{"list": {"elements": elements}}],
            "template": {
                "metadata": {"name": format!("sparkc-{env}-{{{{.unit}}}}"), "labels": labels(env)},
                "spec": {
                    "project": s.argocd_project,
                    "source": {"repoURL": repo, "targetRevision": s.target_revision, "path": "{{.path}}"},
                    "destination": destination,
                    "syncPolicy": sync_policy(s),
                },
            },
        },
    })
}

/// A Flux Kustomization for a unit. Its health is that of the unit's Spark applications
/// (`healthChecks` with the targets' CEL expressions); a native driver Job is left out,
/// because Flux counts a Job as in progress until it finishes, so a unit would time out
/// while its jobs run normally.
fn kustomization(env: &str, unit: &Unit, s: &Settings) -> Json {
    let mut spec = json!({
        "interval": "10m",
        "path": format!("./{}", unit_path(env, &unit.name, s)),
        "prune": true,
        "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
    });
    if unit.namespaces.len() == 1 {
        spec["targetNamespace"] = json!(unit.namespaces.iter().next());
    }
    if let Some(secret) = s
        .clusters
        .get(env)
        .and_then(|c| c.kube_config_secret_ref.as_ref())
    {
        let mut r = json!({"name": secret.name});
        if let Some(key) = &secret.key {
            r["key"] = json!(key);
        }
        spec["kubeConfig"] = json!({"secretRef": r});
    }
    if !unit.watched.is_empty() {
        let checks: Vec<Json> = unit
            .watched
            .iter()
            .map(|(api_version, kind, name, namespace)| {
                json!({"apiVersion": api_version, "kind": kind, "name": name, "namespace": namespace})
            })
            .collect();
        let kinds: BTreeSet<(&str, &str)> = unit
            .watched
            .iter()
            .map(|(a, k, _, _)| (a.as_str(), k.as_str()))
            .collect();
        let exprs: Vec<Json> = kinds
            .into_iter()
            .filter_map(|(a, k)| flux_health(a, k))
            .map(|h| {
                json!({"apiVersion": h.api_version, "kind": h.kind, "current": h.current, "failed": h.failed})
            })
            .collect();
        spec["healthChecks"] = json!(checks);
        spec["healthCheckExprs"] = json!(exprs);
        spec["timeout"] = json!("5m");
    }
    json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": unit_name(env, &unit.name), "namespace": "flux-system", "labels": labels(env)},
        "spec": spec,
    })
}

/// The Argo CD health checks sparkc supplies (`gitops/argocd-health.yaml`): a patch of the
/// `argocd-cm` ConfigMap with one `resource.customizations.health.<group>_<kind>` Lua
/// script per kind a target renders that Argo CD has no built-in check for.
pub fn health_file(s: &Settings) -> Option<String> {
    if s.tool != GitOpsTool::Argocd {
        return None;
    }
    let data: BTreeMap<String, &str> = crate::target::TARGETS
        .iter()
        .flat_map(|t| t.argocd_health_checks())
        .map(|(kind, lua)| (format!("resource.customizations.health.{kind}"), *lua))
        .collect();
    if data.is_empty() {
        return None;
    }
    let doc = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "argocd-cm", "namespace": s.argocd_namespace, "labels": {"app.kubernetes.io/part-of": "argocd"}},
        "data": data,
    });
    Some(format!(
        "# Generated by sparkc: Argo CD health checks for the kinds sparkc renders that Argo CD\n\
         # has none for. A patch of Argo CD's own ConfigMap, to merge, not to replace it:\n\
         #   kubectl -n {ns} patch configmap argocd-cm --patch-file {path}\n\
         # (or list it under `patches:` of the kustomization that installs Argo CD).\n{}",
        yaml::to_yaml(&doc),
        ns = s.argocd_namespace,
        path = if s.output_path.is_empty() || s.output_path == "." {
            HEALTH_FILE.to_owned()
        } else {
            format!("{}/{HEALTH_FILE}", s.output_path)
        },
    ))
}

/// Checks of the project's GitOps and cluster settings, located in the project file.
pub fn check_project(file: &str, node: &Node, project: &Project) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let tool = project
        .gitops
        .as_ref()
        .and_then(|g| g.tool)
        .unwrap_or(GitOpsTool::None);
    let at = |path: &[&str]| {
        let segs: Vec<Seg> = path.iter().map(|k| Seg::Key((*k).to_owned())).collect();
        (node.pos_of(&segs).0, path.join("."))
    };
    for (env, e) in project.environments.iter().flatten() {
        let Some(c) = &e.cluster else { continue };
        let base = ["environments", env.as_str(), "cluster"];
        let field = |f: &str| {
            let mut p = base.to_vec();
            p.push(f);
            at(&p)
        };
        if c.server.is_some() && c.name.is_some() {
            let (pos, path) = field("name");
            out.push(
                Diagnostic::error("cluster", file, Some(pos))
                    .path(path)
                    .message(format!("environment `{env}` names its cluster twice, by `server` and by `name`"))
                    .hint("keep one: Argo CD's destination takes either the server's URL or the cluster's registered name"),
            );
        }
        if let Some(server) = &c.server
            && !(server.starts_with("https://") || server.starts_with("http://"))
        {
            let (pos, path) = field("server");
            out.push(
                Diagnostic::error("cluster", file, Some(pos))
                    .path(path)
                    .message(format!(
                        "`{}` is not the URL of an API server",
                        crate::rules::escape_short(server)
                    ))
                    .hint("write the URL as in a kubeconfig, e.g. `https://prod.k8s.example.com:6443`"),
            );
        }
        let elsewhere = c.server.as_deref().is_some_and(|s| s != IN_CLUSTER) || c.name.is_some();
        match tool {
            GitOpsTool::Flux if elsewhere && c.kube_config_secret_ref.is_none() => {
                let (pos, path) = at(&base);
                out.push(
                    Diagnostic::error("cluster", file, Some(pos))
                        .path(path)
                        .message(format!("Flux cannot reach the cluster of environment `{env}`: it applies to other clusters only through a kubeconfig Secret"))
                        .hint("add `kubeConfigSecretRef: {name: <secret>}` (a Secret in flux-system whose key `value` holds the kubeconfig), or drop `server`/`name` if Flux runs in that cluster"),
                );
            }
            GitOpsTool::Argocd | GitOpsTool::None if c.kube_config_secret_ref.is_some() => {
                let (pos, path) = field("kubeConfigSecretRef");
                out.push(
                    Diagnostic::warning("cluster", file, Some(pos))
                        .path(path)
                        .message("`kubeConfigSecretRef` is read by Flux only; this project does not use Flux")
                        .hint("Argo CD reaches a cluster by `server` or `name` (registered with `argocd cluster add`)"),
                );
            }
            _ => {}
        }
    }
    out
}

/// Where GitOps and batch jobs fight: the warning about one job of a render, if any.
pub fn warning(job: &crate::project::validate::Job, s: &Settings) -> Option<Diagnostic> {
    let reconciles = match s.tool {
        GitOpsTool::Argocd => s.self_heal,
        GitOpsTool::Flux => true,
        GitOpsTool::None => false,
    };
    let ttl = job.spec.time_to_live_seconds?;
    if job.spec.schedule.is_some() || !reconciles {
        return None;
    }
    let tool = if s.tool == GitOpsTool::Flux {
        "Flux re-applies"
    } else {
        "Argo CD self-heal re-creates"
    };
    Some(
        Diagnostic::warning("gitops-ttl", &job.file, job.name_pos)
            .path("metadata.name")
            .message(format!(
                "`timeToLiveSeconds: {ttl}`: the finished run is deleted and {tool} it from Git, which runs the job again (environment {})",
                job.env
            ))
            .hint("remove `timeToLiveSeconds` from one-off jobs under GitOps (the next spec change replaces the run), or use a schedule"),
    )
}
