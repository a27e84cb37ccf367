#!/usr/bin/env python3
"""Generates a sparkc project with N job specs, for benchmarks.

usage: gen-project.py N DIR [--groups G] [--environments E]

Jobs are spread over G groups (folders under jobs/, default 20) and cycle through four
shapes: PySpark batch, Scala with a schedule, dynamic allocation, operator target with
volumes. The project has dev and prod environments, as in examples/quickstart
(`--environments 1`: prod only).
"""
import argparse
import os

PROJECT = """apiVersion: sparkc.io/v1alpha1
kind: Project
jobs: [jobs]
output: deploy
defaults:
  sparkVersion: "3.5.3"
  image: registry.example.com/data/spark-jobs:1.4.2
  imagePullSecrets: [regcred]
  driver: {cores: 1, memory: 2g}
  executor: {cores: 2, memory: 4g}
environments:
  dev: {namespace: spark-dev, overrides: {executor: {instances: 1}}}
  prod: {namespace: spark-prod}
gitops: {tool: argocd, repoURL: "https://git.example.com/data/jobs.git", targetRevision: main, selfHeal: false}
"""

SHAPES = [
    """apiVersion: sparkc.io/v1alpha1
kind: SparkJob
metadata:
  name: {name}
  labels: {{team: team-{group}}}
spec:
  mainApplicationFile: local:///opt/app/{name}/main.py
  arguments: ["--date", "2026-01-01", "--job", "{name}"]
  sparkConf:
    spark.sql.shuffle.partitions: "400"
  hadoopConf:
    fs.s3a.endpoint: http://minio.storage:9000
  driver:
    envFrom: [{{secretRef: {{name: s3-credentials}}}}]
  executor:
    instances: 4
    envFrom: [{{secretRef: {{name: s3-credentials}}}}]
environments:
  prod: {{executor: {{instances: 10}}}}
""",
    """apiVersion: sparkc.io/v1alpha1
kind: SparkJob
metadata:
  name: {name}
spec:
  type: Scala
  mainApplicationFile: local:///opt/app/{name}.jar
  mainClass: com.example.jobs.Main
  executor: {{instances: 3}}
  schedule: {{cron: "0 3 * * *", timeZone: Europe/Berlin, concurrencyPolicy: Forbid}}
""",
    """apiVersion: sparkc.io/v1alpha1
kind: SparkJob
metadata:
  name: {name}
spec:
  mainApplicationFile: local:///opt/app/{name}/features.py
  dynamicAllocation: {{enabled: true, initialExecutors: 2, minExecutors: 1, maxExecutors: 20}}
  executor:
    memoryOverhead: 1g
    tolerations: [{{key: dedicated, operator: Equal, value: spark, effect: NoSchedule}}]
""",
    """apiVersion: sparkc.io/v1alpha1
kind: SparkJob
metadata:
  name: {name}
spec:
  target: operator
  type: Java
  mainApplicationFile: local:///opt/app/{name}.jar
  mainClass: com.example.Main
  volumes: [{{name: scratch, emptyDir: {{sizeLimit: 20Gi}}}}]
  driver:
    volumeMounts: [{{name: scratch, mountPath: /scratch}}]
""",
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("dir")
    ap.add_argument("--groups", type=int, default=20)
    ap.add_argument("--environments", type=int, choices=[1, 2], default=2)
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    project = PROJECT
    if args.environments == 1:
        project = "\n".join(l for l in PROJECT.splitlines() if not l.startswith("  dev:")) + "\n"
    with open(os.path.join(args.dir, "sparkc.yaml"), "w") as f:
        f.write(project)
    for i in range(args.n):
        group = f"g{i % args.groups:02d}"
        name = f"job-{i:05d}"
        folder = os.path.join(args.dir, "jobs", group)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{name}.yaml"), "w") as f:
            f.write(SHAPES[i % len(SHAPES)].format(name=name, group=group))


if __name__ == "__main__":
    main()
