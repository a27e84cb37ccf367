//! Two notations that look alike and must not be mixed up.
//!
//! Spark memory strings (`512m`, `4g`, `1024`) are JVM byte strings: an integer with an
//! optional binary suffix (`k`, `m`, `g`, `t`, `p`, optionally followed by `b`), no
//! fractions; a bare number means MiB for Spark's memory settings. Kubernetes quantities
//! (`1200m`, `0.5`, `4Gi`, `1e3`) are decimal numbers with SI or binary suffixes.

use std::sync::LazyLock;

use regex::Regex;

/// Why a Spark memory string is wrong, with a suggestion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotationError {
    pub message: String,
    pub hint: String,
}

/// Parses a Spark memory string into MiB (rounded up).
pub fn spark_memory_mib(s: &str) -> Result<u64, NotationError> {
    static RE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^([0-9]+)([kmgtp]?)(b?)$").expect("regex"));
    let lower = s.trim().to_ascii_lowercase();
    if let Some(c) = RE.captures(&lower) {
        let n: u64 = c[1].parse().map_err(|_| NotationError {
            message: format!("`{s}` is too large"),
            hint: "use a smaller number with a larger unit, e.g. `64g`".to_owned(),
        })?;
        let unit = &c[2];
        // A bare `b` suffix means bytes; no suffix means MiB for Spark's memory settings.
        let kib: Option<u64> = match (unit, &c[3]) {
            ("", "b") => Some(n.div_ceil(1024)),
            ("", _) => n.checked_mul(1024),
            ("k", _) => Some(n),
            ("m", _) => n.checked_mul(1024),
            ("g", _) => n.checked_mul(1024 * 1024),
            ("t", _) => n.checked_mul(1024 * 1024 * 1024),
            ("p", _) => n.checked_mul(1024 * 1024 * 1024 * 1024),
            _ => None,
        };
        return kib.map(|k| k.div_ceil(1024)).ok_or_else(|| NotationError {
            message: format!("`{s}` is too large"),
            hint: "use a realistic size such as `4g`".to_owned(),
        });
    }
    Err(spark_memory_hint(s))
}

fn spark_memory_hint(s: &str) -> NotationError {
    let message = format!("`{s}` is not Spark memory notation");
    // Kubernetes binary or decimal quantities: `4Gi`, `512Mi`, `4G`.
    static K8S: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^([0-9]+)([KMGTP])(i?)$").expect("regex"));
    if let Some(c) = K8S.captures(s.trim()) {
        let suggestion = format!("{}{}", &c[1], c[2].to_ascii_lowercase());
        return NotationError {
            message,
            hint: format!(
                "Spark memory uses JVM notation: write `{suggestion}` (`Gi`/`Mi` are Kubernetes notation)"
            ),
        };
    }
    static FRACTION: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^([0-9]*\.[0-9]+)\s*([kmgtKMGT])[iIbB]?$").expect("regex"));
    if let Some(c) = FRACTION.captures(s.trim())
        && let Ok(v) = c[1].parse::<f64>()
    {
        let factor = match c[2].to_ascii_lowercase().as_str() {
            "t" => 1024.0 * 1024.0,
            "g" => 1024.0,
            "m" => 1.0,
            _ => 1.0 / 1024.0,
        };
        // Rounded up to whole MiB: the value is a size, an approximation is what we want.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let mib = (v * factor).ceil() as u64;
        return NotationError {
            message,
            hint: format!("Spark does not accept fractions: write `{mib}m`"),
        };
    }
    NotationError {
        message,
        hint: "write a whole number with a unit: `512m`, `4g`".to_owned(),
    }
}

/// Checks a Kubernetes quantity (`1200m`, `0.5`, `4Gi`, `1e3`).
pub fn check_quantity(s: &str) -> Result<(), NotationError> {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$",
        )
        .expect("regex")
    });
    if RE.is_match(s) {
        return Ok(());
    }
    let message = format!("`{s}` is not a Kubernetes quantity");
    static SPARKISH: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^([0-9]+)([kmgtp])b?$").expect("regex"));
    let hint = if let Some(c) = SPARKISH.captures(&s.to_ascii_lowercase()) {
        format!(
            "Kubernetes quantities use `{}{}i` (binary) or `{}{}` (decimal)",
            &c[1],
            c[2].to_ascii_uppercase(),
            &c[1],
            c[2].to_ascii_uppercase()
        )
    } else {
        "write a number with an optional suffix: `1200m`, `2`, `0.5`, `4Gi`".to_owned()
    };
    Err(NotationError { message, hint })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spark_memory() {
        assert_eq!(spark_memory_mib("512m"), Ok(512));
        assert_eq!(spark_memory_mib("4g"), Ok(4096));
        assert_eq!(spark_memory_mib("4G"), Ok(4096));
        assert_eq!(spark_memory_mib("2gb"), Ok(2048));
        assert_eq!(spark_memory_mib("1024"), Ok(1024));
        assert_eq!(spark_memory_mib("2048k"), Ok(2));
        assert!(spark_memory_mib("99999999999999999999g").is_err());
    }

    #[test]
    fn spark_memory_refuses_kubernetes_notation() {
        let e = spark_memory_mib("4Gi").unwrap_err();
        assert!(e.hint.contains("`4g`"), "{e:?}");
        let e = spark_memory_mib("1.5g").unwrap_err();
        assert!(e.hint.contains("`1536m`"), "{e:?}");
        assert!(spark_memory_mib("").is_err());
        assert!(spark_memory_mib("four").is_err());
    }

    #[test]
    fn quantities() {
        for ok in ["1", "1200m", "0.5", ".5", "4Gi", "1e3", "2k", "100M"] {
            assert!(check_quantity(ok).is_ok(), "{ok}");
        }
        for bad in ["1.2.3", "4gb", "m", "", "1 cpu"] {
            assert!(check_quantity(bad).is_err(), "{bad}");
        }
        assert!(check_quantity("4g").unwrap_err().hint.contains("4Gi"));
    }
}
