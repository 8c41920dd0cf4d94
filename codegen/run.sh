#!/usr/bin/env bash
# Codegen proof: the committed schemas go through quicktype (TypeScript) and
# datamodel-code-generator (pydantic), pinned in package.json / requirements.txt and
# installed here under .tools/; every fixture's expected output is then parsed with the
# generated types, inner JSON-in-string objects included. Generated code is not committed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
tools="$root/.tools/codegen"
build="$root/target/codegen"
rm -rf "$build"
mkdir -p "$tools" "$build/ts-out" "$build/py-out"

# Pinned tools, installed once.
if ! cmp -s "$here/package.json" "$tools/package.json" || [ ! -x "$tools/node_modules/.bin/quicktype" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$tools/"
  (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error)
fi
if ! cmp -s "$here/requirements.txt" "$tools/requirements.txt" || [ ! -x "$tools/venv/bin/datamodel-codegen" ]; then
  rm -rf "$tools/venv"
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  cp "$here/requirements.txt" "$tools/requirements.txt"
fi

python3 "$here/split.py" "$build"
for schema in "$build"/schemas/*.schema.json; do
  name=$(basename "$schema" .schema.json)
  top=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["inner"][sys.argv[2]])' \
    "$build/manifest.json" "$name")
  "$tools/node_modules/.bin/quicktype" --src-lang schema --lang typescript \
    --top-level "$top" --out "$build/ts-out/$name.ts" "$schema"
  "$tools/venv/bin/datamodel-codegen" --input "$schema" --input-file-type jsonschema \
    --output-model-type pydantic_v2.BaseModel --use-title-as-name --class-name "$name" \
    --formatters builtin --output "$build/py-out/$name.py" 2>/dev/null
done

cp "$here/check.ts" "$build/ts-out/check.ts"
"$tools/node_modules/.bin/tsc" --strict --noEmitOnError --target es2020 --module commonjs \
  --skipLibCheck --outDir "$build/ts-js" "$build"/ts-out/*.ts
# The compiled checks resolve the generated modules from the JS output.
rm -rf "$build/ts-out-src" && mv "$build/ts-out" "$build/ts-out-src" && ln -s "$build/ts-js" "$build/ts-out"
node "$build/ts-js/check.js" "$build" "$root/fixtures/expected"
"$tools/venv/bin/python" "$here/check.py" "$build" "$root/fixtures/expected"
