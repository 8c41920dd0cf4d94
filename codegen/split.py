"""Prepares the code generators' inputs from the committed schemas.

For every topic schema: a copy named after its title (the generated root type), and one
standalone schema per JSON-in-string field, made from its `contentSchema` (with the topic's
`$defs`), so the inner objects get generated types too. Writes a manifest that the checks
read: which type each topic and each field parses with.
"""

import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas" / "json"


def resolve(root, schema):
    ref = schema.get("$ref")
    if ref and ref.startswith("#/"):
        node = root
        for part in ref[2:].split("/"):
            node = node[part]
        return node
    return schema


def inner_name(root, content):
    """Readable type names for a contentSchema: (file and Python root model, TypeScript
    top level). Arrays are `<Title>List` in Python (a RootModel of `<Title>` items) and
    `<Title>` in TypeScript (quicktype names the items after the top level: `<Title>[]`)."""
    target = resolve(root, content)
    if target.get("type") == "array":
        item = resolve(root, target["items"])["title"]
        return item + "List", item
    return target["title"], target["title"]


def fields_with_content(root, schema, path, out):
    schema = resolve(root, schema)
    for name, prop in schema.get("properties", {}).items():
        prop = resolve(root, prop)
        if "contentSchema" in prop:
            out.append((path + [name], prop["contentSchema"]))
        elif "properties" in prop:
            fields_with_content(root, prop, path + [name], out)


def main(out_dir):
    out = pathlib.Path(out_dir)
    (out / "schemas").mkdir(parents=True, exist_ok=True)
    manifest = {"topics": {}, "inner": {}}
    for path in sorted(SCHEMAS.glob("*.schema.json")):
        root = json.loads(path.read_text())
        topic = "whatsapp." + path.name[: -len(".schema.json")]
        title = root["title"]
        (out / "schemas" / f"{title}.schema.json").write_text(json.dumps(root, indent=2))
        fields = []
        found = []
        fields_with_content(root, root, [], found)
        for field_path, content in found:
            name, ts_top = inner_name(root, content)
            standalone = dict(content)
            standalone["$schema"] = root["$schema"]
            standalone["$defs"] = root.get("$defs", {})
            if "$ref" in content:
                # A top-level $ref is not a type of its own for every generator: inline it.
                standalone = dict(resolve(root, content))
                standalone["$schema"] = root["$schema"]
                standalone["$defs"] = root.get("$defs", {})
            standalone["title"] = name
            (out / "schemas" / f"{name}.schema.json").write_text(json.dumps(standalone, indent=2))
            manifest["inner"][name] = ts_top
            fields.append({"path": field_path, "type": name, "ts_top": ts_top})
        manifest["topics"][topic] = {"root": title, "fields": fields}
        manifest["inner"][title] = title
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    print(f"{len(manifest['topics'])} topic schemas, {len(manifest['inner'])} types to generate")


if __name__ == "__main__":
    main(sys.argv[1])
