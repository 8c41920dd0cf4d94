"""Parses every fixture's expected records with the pydantic models that
datamodel-code-generator generated from the committed schemas: each value with its topic's
root model, and each non-empty JSON-in-string field with the model generated from its
contentSchema."""

import importlib.util
import json
import pathlib
import sys

build, expected = map(pathlib.Path, sys.argv[1:3])
manifest = json.loads((build / "manifest.json").read_text())


def model(type_name):
    spec = importlib.util.spec_from_file_location(type_name, build / "py-out" / f"{type_name}.py")
    module = importlib.util.module_from_spec(spec)
    # pydantic resolves generic root models through sys.modules.
    sys.modules[type_name] = module
    spec.loader.exec_module(module)
    return getattr(module, type_name)


models = {}
passed, failures = 0, []
for file in sorted(expected.glob("*.json")):
    for i, record in enumerate(json.loads(file.read_text())):
        topic = manifest["topics"][record["topic"]]
        checks = [(topic["root"], json.dumps(record["value"]))]
        for field in topic["fields"]:
            value = record["value"]
            for key in field["path"]:
                value = value.get(key) if isinstance(value, dict) else None
            if isinstance(value, str) and value:
                checks.append((field["type"], value))
        for type_name, text in checks:
            if type_name not in models:
                models[type_name] = model(type_name)
            try:
                models[type_name].model_validate_json(text)
                passed += 1
            except Exception as e:  # noqa: BLE001 - every failure is reported
                failures.append(f"{file.name}[{i}] as {type_name}: {e}")
for failure in failures:
    print("FAIL " + failure)
print(f"python: {passed} passed, {len(failures)} failed")
sys.exit(0 if passed and not failures else 1)
