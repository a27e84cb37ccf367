//! Spark and Kubernetes rules on one job's effective spec (after the merge).
//!
//! The JSON Schema checks shapes and types; these rules check meaning: names that every
//! derived name can be built from, the type of the application, fields that must be there,
//! `sparkConf` keys that have a field of their own, credentials written in plain text, the
//! two memory notations, executor bounds, cron and time zone, image references.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use regex::Regex;

use crate::diagnostic::Severity;
use crate::project::spec::{
    AppType, DriverSpec, ExecutorSpec, PythonVersion, RestartType, SparkJobSpec, StringMap,
};
use crate::project::yaml::Seg;
use crate::spark::conf::{self, Access};
use crate::target::DerivedName;
use crate::units;

/// Where a finding is: a path in the merged spec (located through the layers it came
/// from), or a path in the job document itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum At {
    Spec(Vec<Seg>),
    Doc(Vec<Seg>),
}

/// One finding of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    pub code: &'static str,
    pub at: At,
    pub message: String,
    pub hint: Option<String>,
}

/// The job as the rules see it.
#[derive(Debug, Clone)]
pub struct Subject<'a> {
    pub name: &'a str,
    pub namespace: Option<&'a str>,
    pub labels: Option<&'a StringMap>,
    pub annotations: Option<&'a StringMap>,
    pub spec: &'a SparkJobSpec,
}

/// The findings of the rules on one job, as they are made.
#[derive(Debug, Default)]
pub struct Findings(Vec<Finding>);

/// A job named `name` in namespace `ns` with this spec, for unit tests of the stages.
#[cfg(test)]
pub fn test_job(name: &str, spec: &SparkJobSpec) -> crate::project::validate::Job {
    Subject {
        name,
        namespace: Some("ns"),
        labels: None,
        annotations: None,
        spec,
    }
    .to_job()
}

impl Subject<'_> {
    /// The job as a target would plan it (for rules that need the target's own view; a
    /// copy, so only made when a rule needs it).
    pub fn to_job(&self) -> crate::project::validate::Job {
        crate::project::validate::Job {
            name: self.name.to_owned(),
            namespace: self.namespace.unwrap_or_default().to_owned(),
            env: String::new(),
            group: String::new(),
            file: String::new(),
            name_pos: None,
            labels: self.labels.cloned().unwrap_or_default(),
            annotations: self.annotations.cloned().unwrap_or_default(),
            app_type: infer_type(self.spec).unwrap_or(AppType::Scala),
            target: self.spec.target.unwrap_or(crate::target::DEFAULT),
            spec: self.spec.clone(),
        }
    }
}

impl Findings {
    /// An error.
    pub fn error(&mut self, code: &'static str, at: At, message: String, hint: Option<String>) {
        self.0.push(Finding {
            severity: Severity::Error,
            code,
            at,
            message,
            hint,
        });
    }
    /// A warning.
    pub fn warn(&mut self, code: &'static str, at: At, message: String, hint: Option<String>) {
        self.0.push(Finding {
            severity: Severity::Warning,
            code,
            at,
            message,
            hint,
        });
    }
}

/// A path in the merged spec.
pub fn spec_path(path: &[&str]) -> At {
    sp(path)
}

fn sp(path: &[&str]) -> At {
    At::Spec(path.iter().map(|k| Seg::Key((*k).to_owned())).collect())
}

fn spec_key(path: &[&str], key: &str) -> At {
    let mut segs: Vec<Seg> = path.iter().map(|k| Seg::Key((*k).to_owned())).collect();
    segs.push(Seg::Key(key.to_owned()));
    At::Spec(segs)
}

fn doc(path: &[&str]) -> At {
    At::Doc(path.iter().map(|k| Seg::Key((*k).to_owned())).collect())
}

/// Spark 3.2.0 to 3.3.0 refuse an executor pod-name prefix over 47 characters (63 for the
/// hostname, less `-exec-` and the id; SPARK-35460). Spark 3.3.1 measures it as a DNS
/// subdomain instead, up to 237 characters (SPARK-39614), and takes the hostname from the
/// name's last 63 characters, as 3.0 and 3.1 did; so the limit binds only those versions.
pub const EXECUTOR_PREFIX_LIMIT: usize = 47;

/// The executor pods' name prefix `<name>-<16 hex id>` that Spark derives from the
/// application's name, for the targets where Spark names the executors after the job.
pub const EXECUTOR_PREFIX: DerivedName = (
    "the executor pod-name prefix `<name>-<16 hex id>` (Spark 3.2.0 to 3.3.0)",
    17,
    EXECUTOR_PREFIX_LIMIT,
);

/// Whether the Spark version refuses long executor pod-name prefixes (3.2.0 to 3.3.0).
fn checks_executor_prefix(version: Option<&str>) -> bool {
    let Some(v) = version else { return false };
    let mut parts = v
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor, patch) = (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    );
    (3, 2, 0) <= (major, minor, patch) && (major, minor, patch) <= (3, 3, 0)
}

/// The names derived from a job's name on its target, with their limits.
fn derived_names<'a>(
    target: &'a dyn crate::target::Target,
    spec: &SparkJobSpec,
) -> impl Iterator<Item = DerivedName> + 'a {
    let scheduled: &[DerivedName] = if spec.schedule.is_some() {
        target.scheduled_names()
    } else {
        &[]
    };
    let prefix = checks_executor_prefix(spec.spark_version.as_deref());
    target
        .derived_names()
        .iter()
        .copied()
        .filter(move |d| prefix || *d != EXECUTOR_PREFIX)
        .chain(std::iter::once((
            "the label value `app.kubernetes.io/name: <name>`",
            0,
            63,
        )))
        .chain(scheduled.iter().copied())
}

/// Longest name a job may have on its target.
pub fn max_name_len(target: &dyn crate::target::Target, spec: &SparkJobSpec) -> usize {
    derived_names(target, spec)
        .map(|(_, extra, limit)| limit - extra)
        .min()
        .unwrap_or(63)
}

/// Whether `s` is a DNS-1035 label (starts with a letter; lower-case letters, digits, `-`;
/// ends with a letter or digit; at most 63 characters).
pub fn is_dns1035(s: &str) -> bool {
    static RE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^[a-z]([-a-z0-9]*[a-z0-9])?$").expect("regex"));
    s.len() <= 63 && RE.is_match(s)
}

/// Whether `s` is a DNS-1123 label (may start with a digit).
pub fn is_dns1123_label(s: &str) -> bool {
    static RE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$").expect("regex"));
    s.len() <= 63 && RE.is_match(s)
}

/// Whether `s` is a DNS-1123 subdomain (names of Secrets, ConfigMaps, service accounts).
pub fn is_dns1123_subdomain(s: &str) -> bool {
    s.len() <= 253 && !s.is_empty() && s.split('.').all(is_dns1123_label)
}

fn suggest_name(s: &str) -> String {
    let mut out: String = s
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    let out = out
        .trim_matches('-')
        .trim_start_matches(|c: char| c.is_ascii_digit());
    out.trim_matches('-').to_owned()
}

/// The findings about a job name alone.
pub fn check_name(name: &str, spec: &SparkJobSpec) -> Vec<Finding> {
    let mut out = Findings::default();
    name_rules(name, spec, &mut out);
    out.0
}

fn name_rules(name: &str, spec: &SparkJobSpec, out: &mut Findings) {
    let target = crate::target::of(spec);
    let at = doc(&["metadata", "name"]);
    if !is_dns1035(name) && name.len() <= 63 {
        let suggestion = suggest_name(name);
        let hint = if suggestion.is_empty() || suggestion == name {
            "use lower-case letters, digits and `-`, starting with a letter".to_owned()
        } else {
            format!(
                "use lower-case letters, digits and `-`, starting with a letter, e.g. `{suggestion}`"
            )
        };
        out.error(
            "name",
            at,
            format!(
                "`{}` is not a valid job name (a DNS-1035 label)",
                escape_short(name)
            ),
            Some(hint),
        );
        return;
    }
    let limit = max_name_len(target, spec);
    if name.len() > limit {
        let (what, extra, lim) = derived_names(target, spec)
            .find(|(_, extra, lim)| name.len() + extra > *lim)
            .unwrap_or(("the name", 0, 63));
        out.error(
            "name-length",
            at,
            format!(
                "the name is {} characters; at most {limit} fit: {what} would be {} characters, over its limit of {lim}",
                name.len(),
                name.len() + extra
            ),
            Some(format!("shorten the name to {limit} characters or fewer")),
        );
    }
}

pub fn escape_short(s: &str) -> String {
    let shown: String = s.chars().take(70).collect();
    let escaped: String = shown.escape_debug().collect();
    if s.chars().count() > 70 {
        format!("{escaped}…")
    } else {
        escaped
    }
}

/// Infers the application type from the main file when `type` is absent.
pub fn infer_type(spec: &SparkJobSpec) -> Option<AppType> {
    if let Some(t) = spec.app_type {
        return Some(t);
    }
    let Some(file) = spec.main_application_file.as_deref() else {
        // A main class alone runs from the image's class path.
        return spec.main_class.is_some().then_some(AppType::Scala);
    };
    let path = file.split(['?', '#']).next().unwrap_or(file);
    let ext = path.rsplit_once('.').map(|(_, e)| e)?;
    match ext {
        "py" => Some(AppType::Python),
        "R" | "r" => Some(AppType::R),
        "jar" => Some(AppType::Scala),
        _ => None,
    }
}

/// Runs every rule on one job's effective spec.
pub fn check(s: &Subject<'_>) -> Vec<Finding> {
    let mut out = Findings::default();
    name_rules(s.name, s.spec, &mut out);
    check_namespace(s, &mut out);
    check_required(s, &mut out);
    check_conf(s, &mut out);
    check_env(s, &mut out);
    check_pods(s, &mut out);
    check_volume_sizes(s, &mut out);
    check_dynamic_allocation(s.spec, &mut out);
    check_schedule(s.spec, &mut out);
    check_misc(s.spec, &mut out);
    check_labels(s.labels, &doc(&["metadata", "labels"]), &mut out, false);
    check_annotation_keys(s.annotations, &doc(&["metadata", "annotations"]), &mut out);
    crate::target::of(s.spec).check(s, &mut out);
    out.0
}

fn check_namespace(s: &Subject<'_>, out: &mut Findings) {
    match s.namespace {
        None => out.error(
            "namespace",
            doc(&["metadata"]),
            "the job has no namespace".to_owned(),
            Some(
                "set `metadata.namespace`, or `namespace:` of the environment in sparkc.yaml"
                    .to_owned(),
            ),
        ),
        Some(ns) if !is_dns1123_label(ns) => out.error(
            "namespace",
            doc(&["metadata", "namespace"]),
            format!(
                "`{}` is not a valid namespace (a DNS-1123 label)",
                escape_short(ns)
            ),
            Some("use lower-case letters, digits and `-`, at most 63 characters".to_owned()),
        ),
        Some(_) => {}
    }
}

fn check_required(s: &Subject<'_>, out: &mut Findings) {
    let spec = s.spec;
    let missing =
        |field: &str, hint: &str| (format!("missing `spec.{field}`"), Some(hint.to_owned()));
    if spec.image.as_deref().is_none_or(str::is_empty) {
        let (m, h) = missing(
            "image",
            "set the container image here or in the project's `defaults`",
        );
        out.error("required", spec_at(&[]), m, h);
    } else if let Some(image) = &spec.image {
        check_image(image, spec_at(&["image"]), out);
    }
    for (role, img) in [
        (
            "driver",
            spec.driver.as_ref().and_then(|d| d.image.as_ref()),
        ),
        (
            "executor",
            spec.executor.as_ref().and_then(|d| d.image.as_ref()),
        ),
    ] {
        if let Some(img) = img {
            check_image(img, spec_at(&[role, "image"]), out);
        }
    }
    if spec.spark_version.as_deref().is_none_or(str::is_empty) {
        let (m, h) = missing(
            "sparkVersion",
            "set the Spark version of the image (e.g. \"3.5.3\") here or in the project's `defaults`",
        );
        out.error("required", spec_at(&[]), m, h);
    } else if let Some(v) = &spec.spark_version {
        static RE: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"^[0-9]+\.[0-9]+(\.[0-9]+)?([-+.][0-9A-Za-z.-]+)?$").expect("regex")
        });
        if !RE.is_match(v) {
            out.error(
                "spark-version",
                spec_at(&["sparkVersion"]),
                format!("`{}` is not a Spark version", escape_short(v)),
                Some("write it as a quoted string such as \"3.5.3\"".to_owned()),
            );
        } else if version_lt(v, (3, 0)) {
            out.error(
                "spark-version",
                spec_at(&["sparkVersion"]),
                format!("Spark {v} is not supported"),
                Some(
                    "sparkc renders for Spark 3.0 and later (pod templates, Kubernetes GA)"
                        .to_owned(),
                ),
            );
        }
    }
    let Some(main) = spec
        .main_application_file
        .as_deref()
        .filter(|m| !m.is_empty())
    else {
        if crate::target::of(spec).main_class_alone()
            && spec.main_class.as_deref().is_some_and(|c| !c.is_empty())
        {
            return;
        }
        let (m, h) = missing(
            "mainApplicationFile",
            "name the application, e.g. `local:///opt/app/main.py` or `s3a://bucket/app.jar`",
        );
        out.error("required", spec_at(&[]), m, h);
        return;
    };
    match infer_type(spec) {
        None => out.error(
            "type",
            spec_at(&["mainApplicationFile"]),
            format!(
                "cannot tell the application type from `{}`",
                escape_short(main)
            ),
            Some("set `spec.type` to Python, Scala, Java or R".to_owned()),
        ),
        Some(AppType::Scala | AppType::Java) => {
            if spec.main_class.as_deref().is_none_or(str::is_empty) {
                out.error(
                    "main-class",
                    spec_at(&[]),
                    "missing `spec.mainClass`: Scala and Java applications need one".to_owned(),
                    Some(
                        "set `mainClass` to the fully qualified class, e.g. `com.example.Main`"
                            .to_owned(),
                    ),
                );
            }
        }
        Some(AppType::Python) => {
            if spec.python_version == Some(PythonVersion::Two) {
                out.error(
                    "python-version",
                    spec_at(&["pythonVersion"]),
                    "Python 2 is not supported by Spark 3.1 and later".to_owned(),
                    Some("remove `pythonVersion` or set it to \"3\"".to_owned()),
                );
            }
        }
        Some(AppType::R) => {}
    }
}

fn spec_at(path: &[&str]) -> At {
    sp(path)
}

use crate::spark::conf::version_lt;

/// A process-wide cache of a check's results by input string.
type Memo<T> = LazyLock<Mutex<HashMap<String, T>>>;

/// The cached result of `check(key)`; at most 10,000 entries are kept.
fn memo<T: Clone>(cache: &Memo<T>, key: &str, check: fn(&str) -> T) -> T {
    if let Some(hit) = cache.lock().ok().and_then(|c| c.get(key).cloned()) {
        return hit;
    }
    let value = check(key);
    if let Ok(mut c) = cache.lock()
        && c.len() < 10_000
    {
        c.insert(key.to_owned(), value.clone());
    }
    value
}

/// Checks an OCI image reference (the grammar of distribution/reference). Cached: a
/// project uses the same few images in thousands of jobs.
pub fn image_ok(image: &str) -> bool {
    static CACHE: Memo<bool> = LazyLock::new(Default::default);
    memo(&CACHE, image, image_ok_uncached)
}

fn image_ok_uncached(image: &str) -> bool {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        let alnum = "[a-z0-9]+";
        let separator = "(?:[._]|__|[-]+)";
        let component = format!("{alnum}(?:{separator}{alnum})*");
        let domain_component = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
        let domain_name = format!("{domain_component}(?:\\.{domain_component})*");
        let ipv6 = r"\[(?:[a-fA-F0-9:]+)\]";
        let domain = format!("(?:{domain_name}|{ipv6})(?::[0-9]+)?");
        let name = format!("(?:{domain}/)?{component}(?:/{component})*");
        // Go's `\w` (distribution/reference is Go) is ASCII: a tag is `[A-Za-z0-9_]` first.
        let tag = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";
        let digest = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}";
        Regex::new(&format!("^{name}(?::{tag})?(?:@{digest})?$")).expect("regex")
    });
    image.len() <= 4096 && RE.is_match(image)
}

fn check_image(image: &str, at: At, out: &mut Findings) {
    if !image_ok(image) {
        let hint = if image.chars().any(|c| c.is_ascii_uppercase())
            && image_ok(&image.to_ascii_lowercase())
        {
            "repository names are lower-case".to_owned()
        } else {
            "write `[registry/]repository[:tag][@sha256:digest]`, e.g. `registry.example.com/etl:1.4.2`".to_owned()
        };
        out.error(
            "image",
            at,
            format!("`{}` is not a valid image reference", escape_short(image)),
            Some(hint),
        );
    } else if crate::project::spec::floating_image(image) {
        out.warn(
            "image-tag",
            at,
            format!("`{image}` has no fixed tag: every run may get a different image"),
            Some("pin a version tag (`:1.4.2`) or a digest (`@sha256:…`)".to_owned()),
        );
    }
}

/// Whether a configuration key or variable name names a credential.
pub fn is_credential_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase().replace(['_', '-'], ".");
    const NOT_SECRET_SUFFIXES: &[&str] = &[
        ".provider",
        ".file",
        ".path",
        ".enabled",
        ".type",
        ".class",
        ".name",
        ".location",
        ".ref",
        ".id.file",
        ".url",
        ".uri",
        ".mode",
        ".expiry",
        ".timeout",
        ".ttl",
        ".secretkeyref",
        ".secrets",
        ".redaction.regex",
        ".size",
        ".length",
    ];
    if NOT_SECRET_SUFFIXES.iter().any(|s| k.ends_with(s)) {
        return false;
    }
    const WORDS: &[&str] = &[
        "secret",
        "password",
        "passwd",
        "pwd",
        "token",
        "credential",
        "apikey",
        "api.key",
        "private.key",
        "access.key",
        "accesskey",
        "account.key",
        "sas",
    ];
    k.split('.').any(|part| {
        matches!(
            part,
            "secret"
                | "password"
                | "passwd"
                | "pwd"
                | "token"
                | "apikey"
                | "accesskey"
                | "sas"
                | "credentials"
                | "credential"
        )
    }) || WORDS.iter().any(|w| w.contains('.') && k.contains(w))
        || k.contains("password")
        || k.contains("secret")
        || k.ends_with("token")
}

/// Whether a value under this key is secret material itself: a credential-like key whose
/// value is not a reference to one, or a value that looks like a credential whatever the
/// key.
pub fn is_plain_secret(key: &str, value: &str) -> bool {
    looks_like_credential(value) || (is_credential_key(key) && !is_reference_value(value))
}

/// Values that name or point at a secret rather than hold it: a file path (a mounted key
/// file: at least one folder, lower-case folder names), a URI without a password in it,
/// Java class names (lower-case packages: credential providers and their mappings), an
/// environment reference that something expands (`${env:VAR}` by Spark, `$(VAR)` by the
/// kubelet).
pub fn is_reference_value(value: &str) -> bool {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(concat!(
            r"^(?:",
            r"/(?:[a-z0-9_.-]+/)+[A-Za-z0-9_.-]+", // a file path
            r"|[a-z][a-z0-9+.-]*://[^\s:@/]*(?:@[^\s]*|/[^\s]*)?", // a URI, no `user:password@`
            r"|\$\{env:[A-Za-z_][A-Za-z0-9_]*\}",  // Spark's environment reference
            r"|\$\([A-Za-z_][A-Za-z0-9_]*\)",      // the kubelet's
            r"|(?:[a-z_][a-z0-9_]*\.)+[A-Z][\w$]*(?:\s*[,=]\s*(?:[a-z_][a-z0-9_]*\.)+[A-Z][\w$]*)*", // class names
            r")$"
        ))
        .expect("regex")
    });
    RE.is_match(value.trim())
}

/// Whether a value looks like a literal credential whatever its key (AWS access key ids,
/// private keys).
pub fn looks_like_credential(value: &str) -> bool {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?:\b(?:AKIA|ASIA)[0-9A-Z]{16}\b|-----BEGIN [A-Z ]*PRIVATE KEY-----)")
            .expect("regex")
    });
    RE.is_match(value)
}

fn check_conf(s: &Subject<'_>, out: &mut Findings) {
    let spec = s.spec;
    let target = crate::target::of(spec);
    // What the target sets itself, computed once and only when a key needs it.
    let mut target_keys: Option<crate::target::ConfKeys> = None;
    if let Some(user) = &spec.spark_conf {
        for (key, value) in user {
            let at = spec_key(&["sparkConf"], key);
            let entry = conf::lookup(key).filter(|e| !target.leaves_to_user(e));
            let instead = entry.map(conf::Key::instead).unwrap_or_default();
            match entry.map(|e| e.access) {
                Some(Access::Managed) => {
                    out.error(
                        "reserved-conf",
                        at.clone(),
                        format!("`{key}` may not be set in sparkConf"),
                        Some(if instead.starts_with("nothing:") {
                            format!("remove it: {}", instead.trim_start_matches("nothing: "))
                        } else {
                            format!("use {instead}")
                        }),
                    );
                    continue;
                }
                Some(Access::Field)
                    if let Some(set) = target_keys
                        .get_or_insert_with(|| target.conf_keys(s))
                        .get(key) =>
                {
                    if set.as_deref() == Some(value.as_str()) {
                        // The same value twice: nothing fights, but one of them is noise.
                        out.warn(
                            "conf-field",
                            at.clone(),
                            format!("`{key}` is also set by sparkc for this job, from {instead}, to the same value"),
                            Some(format!("remove it from sparkConf: {instead} sets it")),
                        );
                    } else {
                        out.error(
                            "reserved-conf",
                            at.clone(),
                            format!("`{key}` is also set by sparkc for this job, from {instead}; the two values would fight"),
                            Some(format!("remove it from sparkConf and use {instead}")),
                        );
                    }
                    continue;
                }
                Some(Access::Field) => {
                    out.warn(
                        "conf-field",
                        at.clone(),
                        format!("`{key}` has a field of its own"),
                        Some(format!(
                            "prefer {instead}: sparkc checks fields, not configuration strings"
                        )),
                    );
                }
                None => {}
            }
            if !entry.is_some_and(|e| e.reference) {
                plain_secret(key, value, at, "sparkConf", out);
            }
        }
    }
    if let Some(conf) = &spec.hadoop_conf {
        for (key, value) in conf {
            let at = spec_key(&["hadoopConf"], key);
            if let Some(rest) = key.strip_prefix(conf::HADOOP.key) {
                out.error(
                    "hadoop-conf",
                    at.clone(),
                    format!("`{key}` already has the `{}` prefix", conf::HADOOP.key),
                    Some(format!("write `{rest}`: sparkc adds the prefix")),
                );
            }
            plain_secret(key, value, at, "hadoopConf", out);
        }
    }
}

fn plain_secret(key: &str, value: &str, at: At, field: &str, out: &mut Findings) {
    secret_value(
        key,
        value,
        at,
        format!(
            "remove it from {field} and load it from a Secret: an `envFrom`/`secretKeyRef` variable, or `driver/executor.secrets`"
        ),
        out,
    );
}

/// A value of a credential's key that is the credential itself (`hint`: where it goes
/// instead), or a `<placeholder>` left where the value goes.
fn secret_value(key: &str, value: &str, at: At, hint: String, out: &mut Findings) {
    static PLACEHOLDER: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"<[A-Za-z][^<>]*>").expect("regex"));
    if value.is_empty() || !is_plain_secret(key, value) {
        return;
    }
    // The whole value a shell variable (`Pa$$w0rd` is a password, not a variable).
    static SHELL_VARIABLE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\$(?:\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)$").expect("regex")
    });
    let literal = looks_like_credential(value);
    if let Some(p) = PLACEHOLDER.find(value).filter(|_| !literal) {
        out.error(
            "placeholder",
            at,
            format!("`{key}` is the placeholder `{}`, not a value", p.as_str()),
            Some("write the value (a path, or a reference to a Secret) in its place".to_owned()),
        );
    } else if let Some(v) = SHELL_VARIABLE.find(value.trim()).filter(|_| !literal) {
        out.error(
            "placeholder",
            at,
            format!(
                "`{key}` is the shell variable `{}`, which nothing expands here",
                v.as_str()
            ),
            Some(hint),
        );
    } else {
        out.error(
            "plain-secret",
            at,
            format!("`{key}` holds a credential in plain text"),
            Some(hint),
        );
    }
}

fn check_env(s: &Subject<'_>, out: &mut Findings) {
    let spec = s.spec;
    for (role, env, env_vars) in [
        (
            "driver",
            spec.driver.as_ref().and_then(|d| d.env.as_ref()),
            spec.driver.as_ref().and_then(|d| d.env_vars.as_ref()),
        ),
        (
            "executor",
            spec.executor.as_ref().and_then(|d| d.env.as_ref()),
            spec.executor.as_ref().and_then(|d| d.env_vars.as_ref()),
        ),
    ] {
        for (i, var) in env.into_iter().flatten().enumerate() {
            let Some(value) = var.value.as_deref().filter(|v| !v.is_empty()) else {
                continue;
            };
            secret_value(
                &var.name,
                value,
                At::Spec(vec![
                    Seg::Key(role.to_owned()),
                    Seg::Key("env".to_owned()),
                    Seg::Index(i),
                    Seg::Key("value".to_owned()),
                ]),
                "use `valueFrom: {secretKeyRef: {name: …, key: …}}` instead of `value`".to_owned(),
                out,
            );
        }
        for (key, value) in env_vars.into_iter().flatten() {
            secret_value(
                key,
                value,
                spec_key(&[role, "envVars"], key),
                format!(
                    "use `{role}.envSecretKeyRefs` or `{role}.env` with `valueFrom.secretKeyRef`"
                ),
                out,
            );
        }
    }
}

fn check_memory(value: Option<&String>, at: &[&str], out: &mut Findings) {
    if let Some(v) = value
        && let Err(e) = units::spark_memory_mib(v)
    {
        out.error("memory-notation", sp(at), e.message, Some(e.hint));
    }
}

fn check_quantity(value: Option<&String>, at: &[&str], out: &mut Findings) {
    if let Some(v) = value
        && let Err(e) = units::check_quantity(v)
    {
        out.error("quantity-notation", sp(at), e.message, Some(e.hint));
    }
}

/// The fields shared by driver and executor, for the pod rules.
struct Pod<'a> {
    role: &'static str,
    memory: Option<&'a String>,
    memory_overhead: Option<&'a String>,
    core_limit: Option<&'a String>,
    core_request: Option<&'a String>,
    memory_limit: Option<&'a String>,
    labels: Option<&'a StringMap>,
    annotations: Option<&'a StringMap>,
    secrets: Vec<&'a str>,
    config_maps: Vec<&'a str>,
    ports: Vec<&'a str>,
    service_account: Option<&'a String>,
}

/// The shared fields of a driver or executor spec (both have the same field names).
macro_rules! pod_view {
    ($d:expr, $role:literal) => {{
        let d = $d;
        Pod {
            role: $role,
            memory: d.memory.as_ref(),
            memory_overhead: d.memory_overhead.as_ref(),
            core_limit: d.core_limit.as_ref(),
            core_request: d.core_request.as_ref(),
            memory_limit: d.memory_limit.as_ref(),
            labels: d.labels.as_ref(),
            annotations: d.annotations.as_ref(),
            secrets: d
                .secrets
                .iter()
                .flatten()
                .map(|s| s.name.as_str())
                .collect(),
            config_maps: d
                .config_maps
                .iter()
                .flatten()
                .map(|s| s.name.as_str())
                .collect(),
            ports: d.ports.iter().flatten().map(|p| p.name.as_str()).collect(),
            service_account: d.service_account.as_ref(),
        }
    }};
}

fn driver_pod(d: &DriverSpec) -> Pod<'_> {
    pod_view!(d, "driver")
}

fn executor_pod(d: &ExecutorSpec) -> Pod<'_> {
    pod_view!(d, "executor")
}

/// A volume's `emptyDir.sizeLimit` must be a Kubernetes quantity: the Kubernetes schema
/// types it as a string, the operators' CRDs check its pattern, and the API server refuses
/// the pod (found by the `render` fuzz target).
fn check_volume_sizes(s: &Subject<'_>, out: &mut Findings) {
    for (i, v) in s.spec.volumes.iter().flatten().enumerate() {
        let Some(limit) = v.empty_dir.as_ref().and_then(|e| e.size_limit.as_ref()) else {
            continue;
        };
        if let Err(e) = units::check_quantity(&limit.0) {
            let at = At::Spec(vec![
                Seg::Key("volumes".to_owned()),
                Seg::Index(i),
                Seg::Key("emptyDir".to_owned()),
                Seg::Key("sizeLimit".to_owned()),
            ]);
            out.error("quantity-notation", at, e.message, Some(e.hint));
        }
    }
}

fn check_pods(s: &Subject<'_>, out: &mut Findings) {
    let spec = s.spec;
    let pods = [
        spec.driver.as_deref().map(driver_pod),
        spec.executor.as_deref().map(executor_pod),
    ];
    for pod in pods.iter().flatten() {
        let role = pod.role;
        check_memory(pod.memory, &[role, "memory"], out);
        check_memory(pod.memory_overhead, &[role, "memoryOverhead"], out);
        check_quantity(pod.core_limit, &[role, "coreLimit"], out);
        check_quantity(pod.core_request, &[role, "coreRequest"], out);
        check_quantity(pod.memory_limit, &[role, "memoryLimit"], out);
        check_labels(pod.labels, &sp(&[role, "labels"]), out, true);
        check_annotation_keys(pod.annotations, &sp(&[role, "annotations"]), out);
        for (i, name) in pod.secrets.iter().enumerate() {
            object_name(name, &[role, "secrets"], i, "Secret", out);
        }
        for (i, name) in pod.config_maps.iter().enumerate() {
            object_name(name, &[role, "configMaps"], i, "ConfigMap", out);
        }
        for (i, name) in pod.ports.iter().enumerate() {
            if name.len() > 15
                || !is_dns1123_label(name)
                || !name.chars().any(|c| c.is_ascii_lowercase())
            {
                out.error(
                    "port-name",
                    At::Spec(vec![Seg::Key(role.to_owned()), Seg::Key("ports".to_owned()), Seg::Index(i), Seg::Key("name".to_owned())]),
                    format!("`{}` is not a valid port name", escape_short(name)),
                    Some("port names are at most 15 lower-case letters, digits and `-`, with at least one letter".to_owned()),
                );
            }
        }
        if let Some(sa) = pod.service_account
            && !is_dns1123_subdomain(sa)
        {
            out.error(
                "service-account",
                sp(&[role, "serviceAccount"]),
                format!("`{}` is not a valid service account name", escape_short(sa)),
                None,
            );
        }
    }
    if let Some(sa) = &spec.service_account
        && !is_dns1123_subdomain(sa)
    {
        out.error(
            "service-account",
            sp(&["serviceAccount"]),
            format!("`{}` is not a valid service account name", escape_short(sa)),
            Some("use lower-case letters, digits, `-` and `.`".to_owned()),
        );
    }
    for (i, secret) in spec.image_pull_secrets.iter().flatten().enumerate() {
        object_name(secret, &["imagePullSecrets"], i, "Secret", out);
    }
    check_factor(spec, out);
}

fn check_factor(spec: &SparkJobSpec, out: &mut Findings) {
    if let Some(f) = &spec.memory_overhead_factor {
        match f.parse::<f64>() {
            Ok(v) if v > 0.0 && v < 10.0 => {}
            _ => out.error(
                "memory-overhead-factor",
                sp(&["memoryOverheadFactor"]),
                format!("`{}` is not a memory overhead factor", escape_short(f)),
                Some("write a positive decimal as a string, e.g. \"0.4\"".to_owned()),
            ),
        }
    }
}

fn object_name(name: &str, path: &[&str], i: usize, what: &str, out: &mut Findings) {
    if !is_dns1123_subdomain(name) {
        let mut segs: Vec<Seg> = path.iter().map(|k| Seg::Key((*k).to_owned())).collect();
        segs.push(Seg::Index(i));
        out.error(
            "object-name",
            At::Spec(segs),
            format!("`{}` is not a valid {what} name", escape_short(name)),
            Some("use lower-case letters, digits, `-` and `.`".to_owned()),
        );
    }
}

/// Label keys Spark sets itself and refuses as custom labels.
const SPARK_LABELS: &[&str] = &[
    "spark-app-selector",
    "spark-role",
    "spark-exec-id",
    "spark-exec-resourceprofile-id",
    "spark-app-name",
];

fn qualified_name_ok(key: &str) -> bool {
    static NAME: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$").expect("regex"));
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix
        && !is_dns1123_subdomain(p)
    {
        return false;
    }
    name.len() <= 63 && NAME.is_match(name)
}

fn check_labels(labels: Option<&StringMap>, at: &At, out: &mut Findings, pod: bool) {
    static VALUE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$").expect("regex")
    });
    let (At::Spec(base) | At::Doc(base)) = at;
    let wrap = |key: &str| {
        let mut p = base.clone();
        p.push(Seg::Key(key.to_owned()));
        match at {
            At::Spec(_) => At::Spec(p),
            At::Doc(_) => At::Doc(p),
        }
    };
    for (key, value) in labels.into_iter().flatten() {
        if !qualified_name_ok(key) {
            out.error(
                "label",
                wrap(key),
                format!("`{}` is not a valid label key", escape_short(key)),
                Some(
                    "write `[prefix/]name`: name at most 63 letters, digits, `-`, `_`, `.`"
                        .to_owned(),
                ),
            );
        } else if value.len() > 63 || !VALUE.is_match(value) {
            out.error(
                "label",
                wrap(key),
                format!("`{}` is not a valid label value", escape_short(value)),
                Some("label values are at most 63 letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit".to_owned()),
            );
        } else if pod && SPARK_LABELS.contains(&key.as_str()) {
            out.error(
                "label",
                wrap(key),
                format!("`{key}` is a label Spark sets itself"),
                Some("choose another label key".to_owned()),
            );
        } else if key.starts_with("sparkc.io/") || key == "app.kubernetes.io/managed-by" {
            out.error(
                "label",
                wrap(key),
                format!("`{key}` is a label sparkc sets itself"),
                Some("choose another label key".to_owned()),
            );
        }
    }
}

fn check_annotation_keys(annotations: Option<&StringMap>, at: &At, out: &mut Findings) {
    let (At::Spec(base) | At::Doc(base)) = at;
    for key in annotations.into_iter().flatten().map(|(k, _)| k) {
        if !qualified_name_ok(key) {
            let mut p = base.clone();
            p.push(Seg::Key(key.clone()));
            let at = match at {
                At::Spec(_) => At::Spec(p),
                At::Doc(_) => At::Doc(p),
            };
            out.error(
                "annotation",
                at,
                format!("`{}` is not a valid annotation key", escape_short(key)),
                Some(
                    "write `[prefix/]name`: name at most 63 letters, digits, `-`, `_`, `.`"
                        .to_owned(),
                ),
            );
        }
    }
}

fn check_dynamic_allocation(spec: &SparkJobSpec, out: &mut Findings) {
    let Some(da) = &spec.dynamic_allocation else {
        return;
    };
    if da.enabled != Some(true) {
        return;
    }
    let (min, init, max) = (da.min_executors, da.initial_executors, da.max_executors);
    let at = |f: &str| spec_key(&["dynamicAllocation"], f);
    if let (Some(lo), Some(hi)) = (min, max)
        && lo > hi
    {
        out.error(
            "dynamic-allocation",
            at("minExecutors"),
            format!("minExecutors ({lo}) is greater than maxExecutors ({hi})"),
            Some("keep minExecutors ≤ initialExecutors ≤ maxExecutors".to_owned()),
        );
    }
    if let (Some(lo), Some(i)) = (min, init)
        && i < lo
    {
        out.error(
            "dynamic-allocation",
            at("initialExecutors"),
            format!("initialExecutors ({i}) is less than minExecutors ({lo})"),
            Some("keep minExecutors ≤ initialExecutors ≤ maxExecutors".to_owned()),
        );
    }
    if let (Some(i), Some(hi)) = (init, max)
        && i > hi
    {
        out.error(
            "dynamic-allocation",
            at("initialExecutors"),
            format!("initialExecutors ({i}) is greater than maxExecutors ({hi})"),
            Some("keep minExecutors ≤ initialExecutors ≤ maxExecutors".to_owned()),
        );
    }
    if max.is_none() {
        out.warn(
            "dynamic-allocation",
            sp(&["dynamicAllocation"]),
            "dynamic allocation without maxExecutors may scale to the whole cluster".to_owned(),
            Some("set `maxExecutors`".to_owned()),
        );
    }
    if da.shuffle_tracking_enabled == Some(false) {
        out.error(
            "dynamic-allocation",
            at("shuffleTrackingEnabled"),
            "dynamic allocation on Kubernetes needs shuffle tracking (there is no external shuffle service)".to_owned(),
            Some("remove `shuffleTrackingEnabled: false`".to_owned()),
        );
    }
}

/// Checks a cron expression the way Kubernetes reads a new CronJob's schedule: its API
/// validation refuses any `TZ` in it (the time zone is `timeZone`), then parses it with
/// robfig/cron's `ParseStandard` ([`crate::cron`]), as its controller does.
/// Results are cached: projects repeat the same few expressions thousands of times.
pub fn cron_error(cron: &str) -> Option<(String, String)> {
    static CACHE: Memo<Option<(String, String)>> = LazyLock::new(Default::default);
    memo(&CACHE, cron, cron_error_uncached)
}

fn cron_error_uncached(cron: &str) -> Option<(String, String)> {
    if cron.contains("TZ") {
        return Some((
            format!(
                "`{}` sets the time zone inside the cron expression",
                escape_short(cron)
            ),
            "Kubernetes refuses `TZ=`/`CRON_TZ=` here: set `schedule.timeZone` instead".to_owned(),
        ));
    }
    crate::cron::parse_standard(cron).err()
}

/// Whether `tz` is an IANA time zone name.
pub fn time_zone_ok(tz: &str) -> bool {
    tz != "Local" && jiff::tz::TimeZone::get(tz).is_ok()
}

fn check_schedule(spec: &SparkJobSpec, out: &mut Findings) {
    let Some(schedule) = &spec.schedule else {
        return;
    };
    match schedule.cron.as_deref() {
        None | Some("") => out.error(
            "schedule",
            sp(&["schedule"]),
            "missing `schedule.cron`".to_owned(),
            Some(
                "set a cron expression such as `0 3 * * *`, or remove `schedule` for a one-off job"
                    .to_owned(),
            ),
        ),
        Some(cron) => {
            if let Some((message, hint)) = crate::target::of(spec).cron_error(cron) {
                out.error("cron", sp(&["schedule", "cron"]), message, Some(hint));
            }
        }
    }
    if let Some(tz) = &schedule.time_zone
        && !time_zone_ok(tz)
    {
        let hint = if tz == "Local" {
            "`Local` depends on the controller's machine; name the zone, e.g. `Etc/UTC` or `Europe/Berlin`".to_owned()
        } else {
            "use an IANA time zone name such as `Etc/UTC` or `Europe/Berlin`".to_owned()
        };
        out.error(
            "time-zone",
            sp(&["schedule", "timeZone"]),
            format!("`{}` is not an IANA time zone", escape_short(tz)),
            Some(hint),
        );
    }
}

fn check_misc(spec: &SparkJobSpec, out: &mut Findings) {
    if let Some(rp) = &spec.restart_policy {
        if rp.restart_type == Some(RestartType::Always)
            && !crate::target::of(spec).restarts_always()
        {
            out.error(
                "restart-policy",
                sp(&["restartPolicy", "type"]),
                "`Always` restarts a batch job even after it succeeded".to_owned(),
                Some("use `OnFailure` with `onFailureRetries`, or `Never`".to_owned()),
            );
        }
        if matches!(rp.restart_type, None | Some(RestartType::Never))
            && rp.on_failure_retries.unwrap_or(0) > 0
        {
            out.warn(
                "restart-policy",
                sp(&["restartPolicy", "onFailureRetries"]),
                "`onFailureRetries` has no effect: the job never restarts".to_owned(),
                Some("set `restartPolicy.type: OnFailure`, or remove the retries".to_owned()),
            );
        }
    }
    if let Some(m) = &spec.monitoring
        && let Some(p) = &m.prometheus
        && p.jmx_exporter_jar.as_deref().is_none_or(str::is_empty)
    {
        out.error(
            "monitoring",
            sp(&["monitoring", "prometheus"]),
            "missing `jmxExporterJar`".to_owned(),
            Some("give the path of the JMX exporter Java agent jar in the image".to_owned()),
        );
    }
    if let Some(ttl) = spec.time_to_live_seconds
        && ttl < 0
    {
        out.error(
            "ttl",
            sp(&["timeToLiveSeconds"]),
            format!("timeToLiveSeconds is {ttl}; it must be 0 or more"),
            None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::spec::{ConcurrencyPolicy, Schedule, Target};

    fn base() -> SparkJobSpec {
        serde_json::from_value(serde_json::json!({
            "image": "apache/spark:3.5.3",
            "sparkVersion": "3.5.3",
            "mainApplicationFile": "local:///opt/app/main.py",
        }))
        .unwrap()
    }

    fn run(name: &str, spec: &SparkJobSpec) -> Vec<Finding> {
        check(&Subject {
            name,
            namespace: Some("data"),
            labels: None,
            annotations: None,
            spec,
        })
    }

    fn codes(f: &[Finding]) -> Vec<&'static str> {
        f.iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| f.code)
            .collect()
    }

    #[test]
    fn a_good_job_passes() {
        assert_eq!(codes(&run("nightly-etl", &base())), Vec::<&str>::new());
    }

    #[test]
    fn names() {
        assert!(is_dns1035("a-b1"));
        assert!(!is_dns1035("1ab"));
        assert!(!is_dns1035("a_b"));
        assert!(!is_dns1035("../../etc"));
        assert!(!is_dns1035("-a"));
        assert_eq!(codes(&run("../../etc", &base())), vec!["name"]);
        assert_eq!(codes(&run(&"a".repeat(80), &base())), vec!["name-length"]);
        // Spark 3.5 (base) lets the driver Service bind: 52.
        assert_eq!(codes(&run(&"a".repeat(52), &base())), Vec::<&str>::new());
        assert_eq!(codes(&run(&"a".repeat(53), &base())), vec!["name-length"]);
    }

    #[test]
    fn type_inference_and_main_class() {
        let mut s = base();
        assert_eq!(infer_type(&s), Some(AppType::Python));
        s.main_application_file = Some("s3a://b/app.jar".into());
        assert_eq!(infer_type(&s), Some(AppType::Scala));
        assert_eq!(codes(&run("a", &s)), vec!["main-class"]);
        s.main_class = Some("com.example.Main".into());
        assert_eq!(codes(&run("a", &s)), Vec::<&str>::new());
        s.main_application_file = Some("local:///app.bin".into());
        assert_eq!(codes(&run("a", &s)), vec!["type"]);
    }

    #[test]
    fn required_fields() {
        let s = SparkJobSpec::default();
        assert_eq!(
            codes(&run("a", &s)),
            vec!["required", "required", "required"]
        );
    }

    #[test]
    fn reserved_conf_names_the_field() {
        let mut s = base();
        s.spark_conf = Some([("spark.executor.instances".to_owned(), "4".to_owned())].into());
        let f = run("a", &s);
        assert_eq!(codes(&f), vec!["reserved-conf"]);
        assert_eq!(f[0].hint.as_deref(), Some("use `spec.executor.instances`"));
        // A key that has a field only warns, unless sparkc sets it for this job too.
        s.spark_conf = Some([("spark.executor.memoryOverhead".to_owned(), "1g".to_owned())].into());
        let f = run("a", &s);
        assert_eq!(codes(&f), Vec::<&str>::new());
        assert_eq!(
            f.iter().map(|f| f.code).collect::<Vec<_>>(),
            vec!["conf-field"]
        );
        s.executor = Some(Box::new(ExecutorSpec {
            memory_overhead: Some("2g".into()),
            ..ExecutorSpec::default()
        }));
        assert_eq!(codes(&run("a", &s)), vec!["reserved-conf"]);
        // The same value as the field's: nothing fights, a warning says one is noise.
        s.spark_conf = Some([("spark.executor.memoryOverhead".to_owned(), "2g".to_owned())].into());
        let f = run("a", &s);
        assert_eq!(codes(&f), Vec::<&str>::new());
        assert!(
            f[0].message.contains("to the same value"),
            "{}",
            f[0].message
        );
        // Keys sparkc derives, which older versions let through.
        for key in [
            "spark.ui.port",
            "spark.kubernetes.executor.podTemplateContainerName",
            "spark.kubernetes.authenticate.submission.oauthToken",
        ] {
            s.spark_conf = Some([(key.to_owned(), "x".to_owned())].into());
            assert_eq!(codes(&run("a", &s)), vec!["reserved-conf"], "{key}");
        }
    }

    #[test]
    fn gpu_conf_is_the_users_on_the_kubeflow_operator() {
        // The operator's `executor.gpu` only sets the container's limit, so Spark's GPU
        // keys beside it (as the RAPIDS examples write them) neither fight nor repeat it.
        let mut s: SparkJobSpec = serde_json::from_value(serde_json::json!({
            "target": "operator",
            "image": "apache/spark:3.5.3",
            "sparkVersion": "3.5.3",
            "mainApplicationFile": "local:///opt/app/main.py",
            "executor": {"gpu": {"name": "nvidia.com/gpu", "quantity": 1}},
            "sparkConf": {
                "spark.executor.resource.gpu.amount": "1",
                "spark.executor.resource.gpu.vendor": "nvidia.com",
                "spark.executor.resource.gpu.discoveryScript": "/opt/rapids/getGpusResources.sh",
            },
        }))
        .unwrap();
        assert_eq!(
            run("a", &s).iter().map(|f| f.code).collect::<Vec<_>>(),
            Vec::<&str>::new()
        );
        // On native, sparkc sets them from the field: the same amount and vendor only warn,
        // another discovery script than the image's fights.
        s.target = None;
        assert_eq!(codes(&run("a", &s)), vec!["reserved-conf"]);
    }

    #[test]
    fn credentials() {
        for key in [
            "fs.s3a.secret.key",
            "fs.s3a.access.key",
            "spark.ssl.keyStorePassword",
            "DB_PASSWORD",
            "GITHUB_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "spark.authenticate.secret",
            "fs.azure.account.key.x.blob.core.windows.net",
        ] {
            assert!(is_credential_key(key), "{key}");
        }
        for key in [
            "fs.s3a.aws.credentials.provider",
            "spark.sql.shuffle.partitions",
            "fs.s3a.endpoint",
            "PATH",
            "spark.kubernetes.driver.secrets.x.path",
            "TOKEN_FILE_PATH",
        ] {
            assert!(!is_credential_key(key), "{key}");
        }
        assert!(looks_like_credential("AKIAABCDEFGHIJKLMNOP"));
        let mut s = base();
        s.hadoop_conf = Some([("fs.s3a.secret.key".to_owned(), "hunter2".to_owned())].into());
        assert_eq!(codes(&run("a", &s)), vec!["plain-secret"]);
    }

    #[test]
    fn the_executor_prefix_limit_binds_only_the_spark_versions_that_check_it() {
        let name = "a-thirty-eight-character-job-name-abcd";
        assert_eq!(name.len(), 38);
        for (version, refused) in [
            ("3.1.3", false),
            ("3.2.0", true),
            ("3.2.4", true),
            ("3.3.0", true),
            ("3.3.1", false),
            ("3.5.3", false),
            ("4.0.1", false),
        ] {
            let mut s = base();
            s.spark_version = Some(version.to_owned());
            let codes = codes(&run(name, &s));
            assert_eq!(
                codes.contains(&"name-length"),
                refused,
                "{version}: {codes:?}"
            );
        }
        // The driver Service `<name>-driver-svc` is a DNS label: 52 characters at most.
        let mut s = base();
        s.spark_version = Some("3.5.3".to_owned());
        assert!(codes(&run(&"a".repeat(52), &s)).is_empty());
        assert_eq!(codes(&run(&"a".repeat(53), &s)), vec!["name-length"]);
    }

    #[test]
    fn references_to_secrets_are_not_secrets() {
        for (key, value) in [
            ("GOOGLE_APPLICATION_CREDENTIALS", "/etc/gcp/key.json"),
            (
                "spark.hadoop.fs.s3a.aws.credentials.provider.mapping",
                "com.amazonaws.auth.EnvironmentVariableCredentialsProvider=software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider",
            ),
            (
                "spark.hadoop.fs.s3a.aws.credentials.provider",
                "com.amazonaws.auth.WebIdentityTokenCredentialsProvider",
            ),
            (
                "spark.hadoop.fs.s3a.secret.key",
                "${env:AWS_SECRET_ACCESS_KEY}",
            ),
            ("DB_PASSWORD", "$(DB_PASSWORD)"),
            (
                "spark.hadoop.google.cloud.auth.service.account.json.keyfile",
                "local:///etc/gcp/key.json",
            ),
        ] {
            assert!(!is_plain_secret(key, value), "{key}: {value}");
        }
        for (key, value) in [
            ("spark.hadoop.fs.s3a.secret.key", "test"),
            ("spark.hadoop.fs.s3a.access.key", "AKIAIOSFODNN7EXAMPLE"),
            ("anything", "AKIAIOSFODNN7EXAMPLE"),
            ("DB_PASSWORD", "hunter2"),
            // Shapes a reference has, taken by secrets.
            ("DB_PASSWORD", "$ecretPassw0rd"),
            ("DB_PASSWORD", "${DB_PASSWORD}"),
            ("DB_PASSWORD", "Summer2024.Password"),
            ("DB_PASSWORD", "/hunter2"),
            ("spark.hadoop.fs.s3a.secret.key", "/K7MDENG/bPxRfiCY"),
            ("spark.jdbc.password", "postgres://user:pass@host/db"),
            (
                "spark.org.apache.spark.ui.JWSFilter.param.secretKey",
                "VmlzaXQgaHR0cHM6Ly9zcGFyay5hcGFjaGUub3JnIHRvIGRvd25sb2FkIEFwYWNoZSBTcGFyay4=",
            ),
        ] {
            assert!(is_plain_secret(key, value), "{key}: {value}");
        }
    }

    #[test]
    fn notations() {
        let s: SparkJobSpec = serde_json::from_value(serde_json::json!({
            "image": "apache/spark:3.5.3", "sparkVersion": "3.5.3", "mainApplicationFile": "local:///a.py",
            "executor": {"memory": "4Gi", "coreLimit": "1200m"},
            "driver": {"memory": "2g", "memoryOverhead": "1.5g", "memoryLimit": "4g"}
        }))
        .unwrap();
        let f = run("a", &s);
        assert_eq!(
            codes(&f),
            vec!["memory-notation", "quantity-notation", "memory-notation"]
        );
    }

    #[test]
    fn dynamic_allocation_bounds() {
        let mut s = base();
        s.dynamic_allocation = serde_json::from_value(serde_json::json!({"enabled": true, "minExecutors": 5, "initialExecutors": 2, "maxExecutors": 4})).unwrap();
        assert_eq!(
            codes(&run("a", &s)),
            vec!["dynamic-allocation", "dynamic-allocation"]
        );
        s.dynamic_allocation = serde_json::from_value(serde_json::json!({"enabled": true, "minExecutors": 1, "initialExecutors": 2, "maxExecutors": 4})).unwrap();
        assert_eq!(codes(&run("a", &s)), Vec::<&str>::new());
    }

    #[test]
    fn cron_and_time_zone() {
        assert_eq!(cron_error("0 3 * * *"), None);
        assert_eq!(cron_error("@daily"), None);
        assert!(cron_error("0 3 * *").is_some());
        assert!(cron_error("61 3 * * *").is_some());
        assert!(cron_error("CRON_TZ=UTC 0 3 * * *").is_some());
        assert!(cron_error("TZ=UTC 0 3 * * *").is_some());
        // Kubernetes parses with robfig/cron's ParseStandard, which has `@every`, and its
        // controller runs it.
        assert_eq!(cron_error("@every 1h"), None);
        // The API server compares the text: no spaces around a macro.
        assert!(cron_error("@daily ").is_some());
        let operator = crate::target::get(Target::Operator);
        let native = crate::target::get(Target::Native);
        assert_eq!(operator.cron_error("@every 3m"), None);
        assert_eq!(operator.cron_error("CRON_TZ=Europe/Berlin 0 3 * * *"), None);
        assert_eq!(operator.cron_error("TZ=Etc/UTC @hourly"), None);
        // The operator prefixes `CRON_TZ=<zone> `, and robfig/cron trims what follows.
        assert_eq!(operator.cron_error("@daily "), None);
        assert!(
            operator
                .cron_error("CRON_TZ=Mars/Olympus 0 3 * * *")
                .is_some()
        );
        assert!(operator.cron_error("CRON_TZ=Europe/Berlin").is_some());
        assert!(operator.cron_error("@every 3 minutes").is_some());
        assert!(operator.cron_error("* * L * *").is_some());
        assert!(operator.cron_error("CRON_TZ=Etc/UTC 0 0 * * 7").is_some());
        assert_eq!(native.cron_error("@every 3m"), None);
        assert!(native.cron_error("CRON_TZ=Etc/UTC 0 3 * * *").is_some());
        assert!(time_zone_ok("Europe/Berlin"));
        assert!(time_zone_ok("Etc/UTC"));
        assert!(!time_zone_ok("Mars/Olympus"));
        let mut s = base();
        s.schedule = Some(Schedule {
            cron: Some("0 3 * * *".into()),
            time_zone: Some("Europe/Berln".into()),
            concurrency_policy: Some(ConcurrencyPolicy::Allow),
            ..Schedule::default()
        });
        assert_eq!(codes(&run("a", &s)), vec!["time-zone", "concurrency"]);
    }

    #[test]
    fn images() {
        for ok in [
            "apache/spark:3.5.3",
            "registry.example.com:5000/team/etl:1.4.2",
            "etl@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "localhost/x:y",
        ] {
            assert!(image_ok(ok), "{ok}");
        }
        for bad in [
            "Apache/Spark:3",
            "etl:",
            "a b",
            ":tag",
            "registry/etl:tag with space",
            "etl:1.4.2-é",
            "etl:ünicode",
            "",
        ] {
            assert!(!image_ok(bad), "{bad}");
        }
    }

    #[test]
    fn labels() {
        let mut s = base();
        s.executor = Some(Box::new(ExecutorSpec {
            labels: Some(
                [
                    ("spark-role".to_owned(), "x".to_owned()),
                    ("team".to_owned(), "a b".to_owned()),
                ]
                .into(),
            ),
            ..ExecutorSpec::default()
        }));
        assert_eq!(codes(&run("a", &s)), vec!["label", "label"]);
    }
}
