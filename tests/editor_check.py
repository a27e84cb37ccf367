"""Checks YAML files against a JSON Schema with Python's `jsonschema`, the way an editor's
language server would: an independent validator for sparkc's generated schema.

usage: editor_check.py SCHEMA FILE...   (exit 0 when every document is valid)
"""
import sys

import jsonschema
import yaml


def main() -> int:
    schema_path, *files = sys.argv[1:]
    with open(schema_path, encoding="utf-8") as f:
        import json

        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    bad = 0
    checked = 0
    for path in files:
        with open(path, encoding="utf-8") as f:
            for doc in yaml.safe_load_all(f):
                if doc is None:
                    continue
                checked += 1
                for err in validator.iter_errors(doc):
                    bad += 1
                    loc = "/".join(str(p) for p in err.absolute_path)
                    print(f"{path}: /{loc}: {err.message}")
    print(f"checked {checked} documents in {len(files)} files: {bad} errors")
    return 1 if bad or not checked else 0


if __name__ == "__main__":
    sys.exit(main())
