//! `sparkc diff --cluster`: live objects read from the cluster through the Kubernetes API
//! (kube-rs) with the user's kubeconfig.
//!
//! One list per (namespace, kind), filtered on the server by the
//! `app.kubernetes.io/managed-by=sparkc` label and read page by page, rather than one GET
//! per object: a project of 10,000 jobs in three namespaces costs a few dozen requests.
//! Lists run concurrently, at most [`CONCURRENCY`] at a time, under one overall timeout.
//! A kind the cluster does not serve (the Spark operator's CRDs not installed) lists as
//! empty; a forbidden list, an unreachable server or a timeout is an error (exit 2).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::Value as Json;

use crate::error::Error;
use crate::names::LABEL_MANAGED_BY;

/// Lists in flight at once.
pub const CONCURRENCY: usize = 8;
/// Objects asked for per page.
pub const PAGE_SIZE: u32 = 500;

/// How to reach the cluster.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The kubeconfig file (default: `$KUBECONFIG`, then `~/.kube/config`, then the
    /// in-cluster service account).
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context (default: the current one).
    pub context: Option<String>,
    /// The longest the whole read may take.
    pub timeout: Duration,
}

/// One list to make: a kind in a namespace.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub namespace: String,
}

/// The lists that cover `namespaces`: every kind any target renders (listed even when the
/// render holds none of them any more, so their leftovers show as deletions) plus any other
/// kind the render holds, by (group, version, kind).
pub fn targets(
    namespaces: &BTreeSet<String>,
    extra_kinds: &[(String, String, String)],
) -> Vec<Target> {
    let mut kinds: BTreeSet<(String, String, String)> = crate::target::all_kinds()
        .iter()
        .map(|(api_version, k)| {
            let (g, v) = api_version.rsplit_once('/').unwrap_or(("", api_version));
            (g.to_owned(), v.to_owned(), (*k).to_owned())
        })
        .collect();
    for (g, v, k) in extra_kinds {
        if !kinds.iter().any(|(g2, _, k2)| g2 == g && k2 == k) {
            kinds.insert((g.clone(), v.clone(), k.clone()));
        }
    }
    let mut out = Vec::new();
    for ns in namespaces {
        for (group, version, kind) in &kinds {
            out.push(Target {
                group: group.clone(),
                version: version.clone(),
                kind: kind.clone(),
                namespace: ns.clone(),
            });
        }
    }
    out
}

/// What the cluster gave: the objects of every list that worked, and the lists that did
/// not (a forbidden kind in one namespace), each with its error.
#[derive(Debug, Default)]
pub struct Fetched {
    pub objects: Vec<Json>,
    pub failed: Vec<(Target, Error)>,
}

/// Reads the live objects of `targets` that carry the `managed-by: sparkc` label. When no
/// list works (the cluster is unreachable, the credentials are refused) that is the error;
/// when some do, the others come back in [`Fetched::failed`].
pub fn fetch(options: &Options, targets: Vec<Target>) -> Result<Fetched, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Cluster(format!("cannot start the network runtime: {e}")))?;
    runtime.block_on(async {
        match tokio::time::timeout(options.timeout, fetch_all(options, targets)).await {
            Ok(result) => result,
            Err(_) => Err(Error::Cluster(format!(
                "the cluster did not answer within {}s (--timeout)",
                options.timeout.as_secs()
            ))),
        }
    })
}

async fn client(options: &Options) -> Result<(kube::Client, String), Error> {
    let kube_options = KubeConfigOptions {
        context: options.context.clone(),
        ..KubeConfigOptions::default()
    };
    let mut config = match &options.kubeconfig {
        Some(path) => {
            let file = Kubeconfig::read_from(path)
                .map_err(|e| Error::Cluster(format!("cannot read the kubeconfig {}: {e}", path.display())))?;
            kube::Config::from_custom_kubeconfig(file, &kube_options)
                .await
                .map_err(|e| Error::Cluster(format!("kubeconfig {}: {e}", path.display())))?
        }
        None if options.context.is_some() => kube::Config::from_kubeconfig(&kube_options)
            .await
            .map_err(|e| Error::Cluster(format!("kubeconfig: {e}")))?,
        None => kube::Config::infer()
            .await
            .map_err(|e| {
                Error::Cluster(format!(
                    "no cluster configured: {}\n  hint: pass --kubeconfig FILE or --context NAME, or set KUBECONFIG",
                    chain(&e)
                ))
            })?,
    };
    config.connect_timeout = Some(options.timeout);
    config.read_timeout = Some(options.timeout);
    let server = config.cluster_url.to_string();
    let client = kube::Client::try_from(config)
        .map_err(|e| Error::Cluster(format!("cannot set up a client for {server}: {e}")))?;
    Ok((client, server))
}

async fn fetch_all(options: &Options, targets: Vec<Target>) -> Result<Fetched, Error> {
    let (client, server) = client(options).await?;
    let server: Arc<str> = server.into();
    let limit = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let mut tasks = tokio::task::JoinSet::new();
    let total = targets.len();
    for (index, target) in targets.into_iter().enumerate() {
        let (client, limit, server) = (client.clone(), limit.clone(), server.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let result = list(client, &target, &server).await;
            (index, target, result)
        });
    }
    let mut results = Vec::new();
    let mut failed = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((index, _, Ok(objects))) => results.push((index, objects)),
            Ok((index, target, Err(e))) => failed.push((index, target, e)),
            Err(e) => return Err(Error::Cluster(format!("a list failed: {e}"))),
        }
    }
    // In target order, whatever order the lists finished in.
    failed.sort_by_key(|(i, _, _)| *i);
    if total > 0 && failed.len() == total {
        let (_, _, first) = failed.swap_remove(0);
        return Err(first);
    }
    results.sort_by_key(|(i, _)| *i);
    Ok(Fetched {
        objects: results.into_iter().flat_map(|(_, o)| o).collect(),
        failed: failed.into_iter().map(|(_, t, e)| (t, e)).collect(),
    })
}

/// The ResourceQuotas of `namespaces` (every one, not only sparkc's), for the budget check
/// of `validate --cluster`.
pub fn quotas(options: &Options, namespaces: &BTreeSet<String>) -> Result<Vec<Json>, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Cluster(format!("cannot start the network runtime: {e}")))?;
    runtime.block_on(async {
        let read = async {
            let (client, server) = client(options).await?;
            let mut out = Vec::new();
            for ns in namespaces {
                let target = Target {
                    group: String::new(),
                    version: "v1".into(),
                    kind: "ResourceQuota".into(),
                    namespace: ns.clone(),
                };
                out.extend(list_selected(client.clone(), &target, &server, None).await?);
            }
            Ok(out)
        };
        match tokio::time::timeout(options.timeout, read).await {
            Ok(result) => result,
            Err(_) => Err(Error::Cluster(format!(
                "the cluster did not answer within {}s (--timeout)",
                options.timeout.as_secs()
            ))),
        }
    })
}

/// One (namespace, kind) list of sparkc's objects, every page.
async fn list(client: kube::Client, target: &Target, server: &str) -> Result<Vec<Json>, Error> {
    let selector = format!("{LABEL_MANAGED_BY}=sparkc");
    list_selected(client, target, server, Some(&selector)).await
}

/// One (namespace, kind) list, every page, of the objects matching the label selector.
async fn list_selected(
    client: kube::Client,
    target: &Target,
    server: &str,
    selector: Option<&str>,
) -> Result<Vec<Json>, Error> {
    let gvk = GroupVersionKind::gvk(&target.group, &target.version, &target.kind);
    let resource = ApiResource::from_gvk(&gvk);
    let api: Api<DynamicObject> = Api::namespaced_with(client, &target.namespace, &resource);
    let mut params = ListParams::default().limit(PAGE_SIZE);
    if let Some(selector) = selector {
        params = params.labels(selector);
    }
    let mut out = Vec::new();
    let mut restarted = false;
    loop {
        let page = match api.list(&params).await {
            Ok(page) => page,
            // The continue token expired between pages (410 Gone): list again from the
            // start, once, as the API conventions say.
            Err(kube::Error::Api(status))
                if status.code == 410 && params.continue_token.is_some() && !restarted =>
            {
                restarted = true;
                params.continue_token = None;
                out.clear();
                continue;
            }
            Err(e) => return not_served_or(e, target, &resource, server).map(|()| out),
        };
        for item in page.items {
            let mut value = serde_json::to_value(&item).unwrap_or_default();
            if let Some(m) = value.as_object_mut() {
                m.insert(
                    "apiVersion".into(),
                    Json::String(resource.api_version.clone()),
                );
                m.insert("kind".into(), Json::String(resource.kind.clone()));
            }
            out.push(value);
        }
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(token) => params.continue_token = Some(token),
            None => return Ok(out),
        }
    }
}

/// A kind the server does not serve lists as empty; anything else is an error that says
/// what was being read, from where, and what to do.
fn not_served_or(
    e: kube::Error,
    target: &Target,
    resource: &ApiResource,
    server: &str,
) -> Result<(), Error> {
    let what = format!(
        "{}{} in namespace {}",
        resource.plural,
        if target.group.is_empty() {
            String::new()
        } else {
            format!(".{}", target.group)
        },
        target.namespace
    );
    Err(Error::Cluster(match &e {
        // The kind is not served (its CRD is not installed): nothing of it exists.
        kube::Error::Api(status) if status.code == 404 => return Ok(()),
        kube::Error::Api(status) if status.code == 403 => format!(
            "forbidden: cannot list {what} at {server}: {}\n  hint: sparkc needs `list` on {} in that namespace (kubectl auth can-i list {} -n {})",
            status.message, resource.plural, resource.plural, target.namespace
        ),
        kube::Error::Api(status) if status.code == 401 => format!(
            "unauthorized at {server}: {}\n  hint: the kubeconfig's credentials were refused; log in again",
            status.message
        ),
        kube::Error::Api(status) => format!(
            "listing {what} at {server}: {} ({})",
            status.message, status.code
        ),
        other => format!(
            "cannot reach the cluster at {server}: {}\n  hint: check the kubeconfig's server address and that the cluster is up (kubectl cluster-info)",
            chain(other)
        ),
    }))
}

/// An error and its sources, each said once (hyper repeats its own context).
fn chain(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}
