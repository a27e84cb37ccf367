//! Which outside programs the integration tests can use. Each one found here sets a cfg
//! (`tool_python_jsonschema`, `tool_kubernetes_validate`, `tool_spark_submit`,
//! `tool_kubectl`); a test that needs a missing one is compiled `#[ignore]` with the reason,
//! so `cargo test` lists it as ignored instead of passing it unrun. Under `CI` (`ci`) no
//! test is ignored: a missing program fails its test. Nothing here affects the binary.

use std::process::{Command, Stdio};

fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-env-changed=PATH");
    let tools = [
        (
            "ci",
            std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0"),
        ),
        (
            "tool_python_jsonschema",
            runs("python3", &["-c", "import jsonschema, yaml"]),
        ),
        (
            "tool_kubernetes_validate",
            runs("kubernetes-validate", &["--version"])
                && runs("python3", &["-c", "import kubernetes_validate"]),
        ),
        (
            "tool_spark_submit",
            runs("python3", &["-c", "import pyspark"]) && runs("java", &["-version"]),
        ),
        ("tool_kubectl", runs("kubectl", &["version", "--client"])),
    ];
    for (name, present) in tools {
        println!("cargo::rustc-check-cfg=cfg({name})");
        if present {
            println!("cargo::rustc-cfg={name}");
        }
    }
}
