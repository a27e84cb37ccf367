//! The one integration test binary: each module tests one area by running the real
//! `sparkc` binary on fixture projects.

mod harness;

// Output frozen before a refactor: streams, submit commands, a generated 1,000-job project.
mod freeze;
// The Spark configuration table against the rendered arguments, and import round trips.
mod conf;
// `sparkc --help`, usage errors, exit codes, init, completions.
mod cli;
// `sparkc diff --cluster` through kube-rs against a local server replaying API responses.
mod cluster;
// `sparkc diff --live` against real and synthetic live objects.
mod diff;
// Every example project validates.
mod examples;
// The committed schemas match the types; an independent validator accepts the examples.
mod schema;
// The Apache operator target: its upstream examples round-trip; the quickstart on every target.
mod apache;
// Third-party manifests and submit lines with their frozen outcomes.
mod corpus;
// Hand-written native setups through `sparkc import`: their mistakes, and the render.
mod native_import;
// Inputs as people write them: documentation submit lines, conf keys in manifests.
mod fidelity;
// The Argo CD health checks sparkc writes, run in Lua on live objects of every state.
mod health;
// The operator target and `sparkc import`, round-tripping the operator's own examples.
mod operator;
// Policies of sparkc.yaml: each kind located, severities, budgets, overridden values.
mod policy;
// `sparkc plan`: the footprint against the rendered pods, the plan of a pull request.
mod plan;
// `sparkc render --stdout` and `submit-command` for the native target.
mod render;
// Spark's own Kubernetes backend on the rendered native jobs, against a recording API server.
mod spark_backend;
// The rendered tree: layout, shards, ownership, atomic writes, --check, GitOps units.
mod tree;
// The render cache: reused records render, check and warn as a full render does.
mod cache;
// Good and bad inputs for `sparkc validate`, with snapshots of the diagnostics.
mod validate;
// Hostile and odd input: bounded output, cron as Kubernetes reads it, integer ranges.
mod hostile;
// What the fuzz targets found, one regression test per finding.
mod fuzz;
