#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this): formatting, lints,
# unit, golden, property and schema tests, the end-to-end tests over a real broker, and
# the code-generator proof of the JSON Schemas.
# It installs what it needs (libcurl's headers, Debian's prometheus, Tansu 0.6.0 and its build dependencies,
# stunnel4 for the secured-Kafka tests, moto from PyPI for the media tests' S3 server, the
# pinned code generators under .tools/, once); every
# end-to-end test starts its own Tansu through scripts/tansu.sh and stops it after.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== packages (libcurl headers: librdkafka's OAUTHBEARER/OIDC; prometheus: the scrape test)"
missing=()
pkg-config --exists libcurl 2>/dev/null || missing+=(libcurl4-openssl-dev pkg-config)
command -v prometheus >/dev/null && command -v promtool >/dev/null || missing+=(prometheus)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
echo "== the local broker (Tansu $(grep -m1 TANSU_VERSION= scripts/tansu.sh | cut -d= -f2))"
bash scripts/tansu.sh install
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
echo "== the S3-compatible server of the media tests (moto)"
bash scripts/moto.sh install
echo "== cargo test"
# The end-to-end tests run pipelines of several processes: one test at a time there.
cargo test --workspace --exclude wa-pipeline
cargo test -p wa-pipeline -- --test-threads=1
echo "== generated clients (quicktype, datamodel-code-generator) parse every fixture's output"
bash codegen/run.sh
