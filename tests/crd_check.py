"""Checks Spark operator objects against the operators' own CRD schemas, independently of
sparkc: reads CRD files, makes them strict the way `kubectl --validate=strict` treats
structural schemas, and validates with Python's `jsonschema`.

usage: crd_check.py CRD... -- FILE...   (a CRD is a CRD file or a folder of them; each FILE
       a YAML stream; exit 0 when every object of a kind some CRD defines passes)
"""
import os
import sys

import jsonschema
import yaml


def strict(node):
    if not isinstance(node, dict):
        return
    preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
    if "properties" in node and "additionalProperties" not in node and not preserve:
        node["additionalProperties"] = False
    if node.get("nullable") is True and isinstance(node.get("type"), str):
        node["type"] = [node["type"], "null"]
    if node.get("x-kubernetes-int-or-string") is True:
        node["type"] = ["integer", "string"]
    for key in ("properties", "patternProperties"):
        for sub in node.get(key, {}).values():
            strict(sub)
    for key in ("items", "additionalProperties", "not"):
        strict(node.get(key))
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in node.get(key, []):
            strict(sub)


def main() -> int:
    args = sys.argv[1:]
    split = args.index("--")
    crd_paths, files = args[:split], args[split + 1:]
    crd_files = []
    for path in crd_paths:
        if os.path.isdir(path):
            crd_files += sorted(os.path.join(path, f) for f in os.listdir(path) if f.endswith(".yaml"))
        else:
            crd_files.append(path)
    validators = {}
    for crd_file in crd_files:
        with open(crd_file, encoding="utf-8") as f:
            crd = yaml.safe_load(f)
        for version in crd["spec"]["versions"]:
            schema = version["schema"]["openAPIV3Schema"]
            # Every object has these, whether or not the CRD lists them.
            for key, kind in (("apiVersion", "string"), ("kind", "string"), ("metadata", "object")):
                schema.setdefault("properties", {}).setdefault(key, {"type": kind})
            strict(schema)
            key = (f"{crd['spec']['group']}/{version['name']}", crd["spec"]["names"]["kind"])
            validators[key] = jsonschema.Draft4Validator(schema)
    bad = checked = 0
    for path in files:
        with open(path, encoding="utf-8") as f:
            for doc in yaml.safe_load_all(f):
                key = (doc.get("apiVersion"), doc.get("kind")) if doc else None
                if key not in validators:
                    continue
                checked += 1
                for err in validators[key].iter_errors(doc):
                    bad += 1
                    print(f"{path}: {doc['kind']}/{doc['metadata']['name']}: /{'/'.join(map(str, err.absolute_path))}: {err.message}")
    print(f"checked {checked} operator objects: {bad} errors")
    return 1 if bad or not checked else 0


if __name__ == "__main__":
    sys.exit(main())
