#!/usr/bin/env bash
# Every benchmark of the project in one command, each figure beside its ceiling in the same
# run (ratios are what to compare: these machines are noisy):
#   1. ingest vs a minimal hyper + HMAC + rdkafka receiver and bare hyper (bench/ingest.sh)
#   2. the mapping vs serde_json::Value parsing (criterion, normalize/benches/mapping.rs)
#   3. normalize over Kafka vs a consume → produce passthrough (bench/normalize.sh)
#   4. end-to-end latency at a fixed rate, over Tansu and the embedded broker
#      (bench/e2e-latency.sh)
# It installs wrk from Debian when missing, builds the release binaries (the first build
# takes minutes: it compiles librdkafka and the embedded broker), and starts its own Tansu
# (memory storage) per section.
#
#   bash bench/run.sh               the full run (about 10 minutes after the build)
#   QUICK=1 bash bench/run.sh       under two minutes after the build: short points, fewer
#                                   records, one repeat
# Knobs: DURATION (wrk seconds per point), CONNECTIONS ("1 32 128"), RECORDS and REPEATS
# (normalize drain), RATE, EMBEDDED_RATE and DURATION_S (end to end), ONLY (sections to run, e.g.
# "ingest e2e"), CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -n "${QUICK:-}" ]; then
  : "${DURATION:=3s}" "${RECORDS:=10000}" "${REPEATS:=1}" "${DURATION_S:=5}" "${CONNECTIONS:=1 32 128}"
  criterion=(--warm-up-time 1 --measurement-time 2)
else
  : "${DURATION:=10s}" "${RECORDS:=50000}" "${REPEATS:=7}" "${DURATION_S:=30}" "${CONNECTIONS:=1 32 128}"
  criterion=()
fi
export DURATION RECORDS REPEATS DURATION_S CONNECTIONS
only=${ONLY:-ingest mapping normalize e2e}
wants() { [[ " $only " == *" $1 "* ]]; }

if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
bash scripts/tansu.sh install >/dev/null
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

echo "== build (release)"
cargo build --release --quiet --bin wa-pipeline -p wa-pipeline
cargo build --release --quiet -p wa-ingest --example minimal_receiver --example bare_receiver
cargo build --release --quiet -p wa-normalize --example passthrough
bin=${CARGO_TARGET_DIR:-target}/release
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with local changes)')"

if wants ingest; then
  echo "== 1. ingest beside its ceilings (DURATION=$DURATION per point)"
  bash bench/ingest.sh "$bin/wa-pipeline" "$bin/examples/minimal_receiver" "$bin/examples/bare_receiver"
fi
if wants mapping; then
  echo "== 2. mapping (criterion; target: single text <= 2 µs, batches >= 600k records/s)"
  # Each benchmark's own time and throughput (not criterion's change against its last run).
  cargo bench --quiet -p wa-normalize --bench mapping -- --discard-baseline "${criterion[@]}" 2>/dev/null |
    awk '/^[a-z_]+\/[a-z_0-9]+/ { name = $1; t = 0 } /time:/ && !t++ { print "  " (index($0, name) == 1 ? $0 : name ": " $0) }
         /thrpt:/ && !r[name]++ { print "  " name ": " $0 }' | sed 's/  \+/ /g'
fi
if wants normalize; then
  echo "== 3. normalize over Kafka beside a passthrough (RECORDS=$RECORDS, REPEATS=$REPEATS)"
  bash bench/normalize.sh "$bin/wa-pipeline" "$bin/examples/passthrough"
fi
if wants e2e; then
  echo "== 4. end to end (targets: p99 < 50 ms on the embedded broker, HTTP answer p99 < 10 ms)"
  # The embedded broker (Tansu on sqlite, in-process) at the target rate and at a rate it
  # sustains, then Tansu with sqlite storage (as scripts/tansu.sh runs it) and with memory
  # storage at the target rate.
  RATE=${RATE:-500} BROKER=embedded bash bench/e2e-latency.sh "$bin/wa-pipeline"
  RATE=${EMBEDDED_RATE:-100} BROKER=embedded bash bench/e2e-latency.sh "$bin/wa-pipeline"
  TANSU_STORAGE=sqlite://tansu.db RATE=${RATE:-500} BROKER=tansu bash bench/e2e-latency.sh "$bin/wa-pipeline"
  TANSU_STORAGE=memory://tansu/ RATE=${RATE:-500} BROKER=tansu bash bench/e2e-latency.sh "$bin/wa-pipeline"
fi
