#!/usr/bin/env bash
# Seeds the fuzz corpora from the fixtures (bodies as they are; for the signature target,
# each body prefixed with a right and a wrong header).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/corpus/mapping" "$here/corpus/signature"
for f in "$here"/../fixtures/bodies/*; do
  name=$(basename "$f")
  cp "$f" "$here/corpus/mapping/$name"
  python3 - "$f" "$here/corpus/signature/$name" <<'PY'
import hmac, hashlib, sys
body = open(sys.argv[1], "rb").read()
header = b"sha256=" + hmac.new(b"second_secret", body, hashlib.sha256).hexdigest().encode()
open(sys.argv[2], "wb").write(bytes([len(header)]) + header + body)
open(sys.argv[2] + ".bad", "wb").write(bytes([len(header)]) + header[:-1] + b"0" + body)
PY
done
echo "seeded $(ls "$here/corpus/mapping" | wc -l) mapping and $(ls "$here/corpus/signature" | wc -l) signature inputs"
