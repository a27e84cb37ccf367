//! The official Kubernetes 1.30 JSON schemas (strict), embedded, and the check of a rendered
//! object against the schema of its kind. Validators are compiled once per kind, lazily.
//!
//! 1.30 is sparkc's one Kubernetes version: the job spec's schema restricts the Kubernetes
//! types it embeds to these same definitions (`definitions_1_30`).

use std::sync::{LazyLock, OnceLock};

use jsonschema::{Retrieve, Uri, Validator};
use serde_json::Value as Json;

const BASE: &str = "https://sparkc.invalid/k8s/";

/// (apiVersion, kind) → embedded schema file.
const KINDS: &[(&str, &str, &str)] = &[
    (
        "v1",
        "Pod",
        include_str!("../schemas/k8s/v1.30.0/pod-v1.json"),
    ),
    (
        "batch/v1",
        "Job",
        include_str!("../schemas/k8s/v1.30.0/job-batch-v1.json"),
    ),
    (
        "batch/v1",
        "CronJob",
        include_str!("../schemas/k8s/v1.30.0/cronjob-batch-v1.json"),
    ),
    (
        "v1",
        "Service",
        include_str!("../schemas/k8s/v1.30.0/service-v1.json"),
    ),
    (
        "v1",
        "ServiceAccount",
        include_str!("../schemas/k8s/v1.30.0/serviceaccount-v1.json"),
    ),
    (
        "rbac.authorization.k8s.io/v1",
        "Role",
        include_str!("../schemas/k8s/v1.30.0/role-rbac-v1.json"),
    ),
    (
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        include_str!("../schemas/k8s/v1.30.0/rolebinding-rbac-v1.json"),
    ),
    (
        "v1",
        "ConfigMap",
        include_str!("../schemas/k8s/v1.30.0/configmap-v1.json"),
    ),
];

const DEFINITIONS: &str = include_str!("../schemas/k8s/v1.30.0/_definitions.json");

/// Definitions of every type, parsed once.
fn definitions() -> &'static Json {
    static DEFS: LazyLock<Json> = LazyLock::new(|| {
        serde_json::from_str(DEFINITIONS).expect("embedded _definitions.json parses")
    });
    &DEFS
}

/// The Kubernetes 1.30 type definitions by name (`io.k8s.api.core.v1.Volume`, ...): the
/// `$defs` of the embedded `_definitions.json`. The job spec's schema restricts the
/// Kubernetes types it embeds to these (see [`crate::project::schema`]).
pub(crate) fn definitions_1_30() -> &'static serde_json::Map<String, Json> {
    definitions()
        .get("$defs")
        .and_then(Json::as_object)
        .expect("embedded _definitions.json has $defs")
}

struct Embedded;

impl Retrieve for Embedded {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Json, Box<dyn std::error::Error + Send + Sync>> {
        if uri.path().as_str().ends_with("/_definitions.json") {
            Ok(definitions().clone())
        } else {
            Err(format!("sparkc has no embedded schema at {}", uri.as_str()).into())
        }
    }
}

/// Whether sparkc has a schema for this kind.
pub fn known(api_version: &str, kind: &str) -> bool {
    KINDS
        .iter()
        .any(|(v, k, _)| *v == api_version && *k == kind)
}

fn validator(api_version: &str, kind: &str) -> Option<&'static Validator> {
    static VALIDATORS: [OnceLock<Validator>; KINDS.len()] =
        [const { OnceLock::new() }; KINDS.len()];
    let index = KINDS
        .iter()
        .position(|(v, k, _)| *v == api_version && *k == kind)?;
    Some(VALIDATORS[index].get_or_init(|| {
        let (_, _, text) = KINDS[index];
        let schema: Json = serde_json::from_str(text).expect("embedded kind schema parses");
        let file = format!(
            "{}-{}.json",
            kind.to_ascii_lowercase(),
            api_version.replace('/', "-")
        );
        jsonschema::draft202012::options()
            .with_base_uri(format!("{BASE}{file}"))
            .with_retriever(Embedded)
            .build(&schema)
            .expect("embedded Kubernetes schema compiles")
    }))
}

/// Schemas of the kinds that are not built into Kubernetes: the GitOps tools' objects, then
/// every target's (`openAPIV3Schema` of the CRDs, extracted unmodified): (apiVersion, kind,
/// file).
const GITOPS_CRDS: &[(&str, &str, &str)] = &[
    (
        "argoproj.io/v1alpha1",
        "Application",
        include_str!("../schemas/crds/argocd-application.v1alpha1.json"),
    ),
    (
        "argoproj.io/v1alpha1",
        "ApplicationSet",
        include_str!("../schemas/crds/argocd-applicationset.v1alpha1.json"),
    ),
    (
        "kustomize.toolkit.fluxcd.io/v1",
        "Kustomization",
        include_str!("../schemas/crds/flux-kustomization.v1.json"),
    ),
];

fn crds() -> &'static [(&'static str, &'static str, &'static str)] {
    static ALL: LazyLock<Vec<(&str, &str, &str)>> = LazyLock::new(|| {
        let mut all = GITOPS_CRDS.to_vec();
        for t in crate::target::TARGETS {
            all.extend_from_slice(t.schemas());
        }
        all
    });
    &ALL
}

/// Turns a CRD's structural schema into a strict JSON Schema: an object that lists its
/// properties refuses others (as `kubectl --validate=strict` does) unless it preserves
/// unknown fields; `nullable` allows null; int-or-string is either.
pub fn strict_structural(schema: &mut Json) {
    let Json::Object(obj) = schema else { return };
    let preserve = obj.get("x-kubernetes-preserve-unknown-fields") == Some(&Json::Bool(true));
    if obj.contains_key("properties") && !obj.contains_key("additionalProperties") && !preserve {
        obj.insert("additionalProperties".into(), Json::Bool(false));
    }
    if obj.get("nullable") == Some(&Json::Bool(true))
        && let Some(Json::String(t)) = obj.get("type").cloned()
    {
        obj.insert("type".into(), serde_json::json!([t, "null"]));
    }
    if obj.get("x-kubernetes-int-or-string") == Some(&Json::Bool(true)) {
        obj.insert("type".into(), serde_json::json!(["integer", "string"]));
    }
    for key in ["properties", "patternProperties"] {
        if let Some(Json::Object(props)) = obj.get_mut(key) {
            props.values_mut().for_each(strict_structural);
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(sub) = obj.get_mut(key) {
            strict_structural(sub);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Json::Array(subs)) = obj.get_mut(key) {
            subs.iter_mut().for_each(strict_structural);
        }
    }
}

fn crd_validator(api_version: &str, kind: &str) -> Option<&'static Validator> {
    static VALIDATORS: LazyLock<Vec<OnceLock<Validator>>> =
        LazyLock::new(|| crds().iter().map(|_| OnceLock::new()).collect());
    let index = crds()
        .iter()
        .position(|(v, k, _)| *v == api_version && *k == kind)?;
    Some(VALIDATORS[index].get_or_init(|| {
        let file: Json = serde_json::from_str(crds()[index].2).expect("embedded CRD schema parses");
        let mut schema = file["openAPIV3Schema"].clone();
        // Every object has these, whether or not the CRD lists them (fabric8-generated
        // CRDs, such as the Apache operator's, do not).
        if let Some(Json::Object(props)) = schema.get_mut("properties") {
            for (k, t) in [
                ("apiVersion", "string"),
                ("kind", "string"),
                ("metadata", "object"),
            ] {
                props
                    .entry(k)
                    .or_insert_with(|| serde_json::json!({"type": t}));
            }
        }
        strict_structural(&mut schema);
        jsonschema::draft4::options()
            .build(&schema)
            .expect("embedded CRD schema compiles")
    }))
}

/// Checks an object against the official schema of its kind. `Ok(false)` when sparkc has
/// no schema for the kind; `Err` lists the problems as `path: message`.
pub fn check(object: &Json) -> Result<bool, Vec<String>> {
    let api_version = object
        .get("apiVersion")
        .and_then(Json::as_str)
        .unwrap_or_default();
    let kind = object
        .get("kind")
        .and_then(Json::as_str)
        .unwrap_or_default();
    let Some(v) = validator(api_version, kind).or_else(|| crd_validator(api_version, kind)) else {
        return Ok(false);
    };
    if v.is_valid(object) {
        return Ok(true);
    }
    Err(v
        .iter_errors(object)
        .map(|e| format!("{}: {}", e.instance_path(), e))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn valid_and_invalid_objects() {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v"}});
        assert_eq!(check(&cm), Ok(true));
        let bad = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": 1}});
        assert!(check(&bad).is_err());
        let unknown = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "labelz": {}}});
        let errs = check(&unknown).unwrap_err();
        assert!(errs[0].contains("labelz"), "{errs:?}");
        let job = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "a"},
            "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "i", "args": ["a"]}]}}}});
        assert_eq!(check(&job), Ok(true));
        let app = json!({"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication", "metadata": {"name": "a"},
            "spec": {"type": "Scala", "sparkVersion": "3.5.3", "mainApplicationFile": "local:///a.jar", "driver": {"cores": 1}, "executor": {}}});
        assert_eq!(check(&app), Ok(true));
        let mut typo = app.clone();
        typo["spec"]["driver"]["coress"] = json!(1);
        assert!(check(&typo).unwrap_err()[0].contains("coress"));
        let mut template = app.clone();
        template["spec"]["driver"]["template"] = json!({"spec": {"anything": {"goes": true}}});
        assert_eq!(
            check(&template),
            Ok(true),
            "pod templates are schemaless in the CRD"
        );
        let other = json!({"apiVersion": "x/v1", "kind": "Thing"});
        assert_eq!(check(&other), Ok(false));
    }
}
