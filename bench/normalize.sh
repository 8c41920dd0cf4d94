#!/usr/bin/env bash
# normalize over Kafka beside a passthrough: RECORDS signed single-message webhooks are
# preloaded through `wa-pipeline ingest` into whatsapp.raw on one Tansu (memory storage),
# then drained REPEATS times each, alternating, by `wa-pipeline normalize` (a fresh group,
# every partition assigned) and by the passthrough example (consume → produce the body
# unchanged, the same client roles, in-flight window and offset bookkeeping, no mapping),
# each timed from its start to its last acknowledged output. Prints records/s and the ratio.
# With MEDIA=1 a third drain runs normalize with media re-hosting on (a local-directory
# store; the bodies have no attachments), so the ordered path's own cost shows as a ratio.
#
#   bench/normalize.sh WA_PIPELINE_BIN PASSTHROUGH_BIN
#   RECORDS=50000 REPEATS=7 bench/normalize.sh ...
set -euo pipefail
cd "$(dirname "$0")/.."
pipeline=${1:?usage: normalize.sh WA_PIPELINE_BIN PASSTHROUGH_BIN}
passthrough=${2:?usage: normalize.sh WA_PIPELINE_BIN PASSTHROUGH_BIN}
records=${RECORDS:-50000}
repeats=${REPEATS:-7}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

# shellcheck source=bench/common.sh
source bench/common.sh

# The sum of a counter on an admin listener's /metrics, optionally for one destination.
counter() {
  local text
  text=$(curl -sf "http://127.0.0.1:$1/metrics") || { echo 0; return; }
  echo "$text" | awk -v name="$2" -v dest="${3:-}" '
    index($0, name) == 1 && (dest == "" || index($0, "messaging_destination_name=\"" dest "\"")) { n += $NF }
    END { printf "%d\n", n }'
}

# Preload: wrk posts until ingest's counter of acknowledged raw records reaches RECORDS
# (wrk's own stop does not end its run early); the counter then says exactly how many are
# stored.
signed_post "$pipeline"
port=$(free_port); admin=$(free_port)
KAFKA_BROKERS=$brokers WHATSAPP_APP_SECRET=$secret LISTEN_ADDR=127.0.0.1:$port \
  ADMIN_LISTEN=127.0.0.1:$admin RUST_LOG=warn "$pipeline" ingest 2>"$work/ingest.log" & ingest=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
wrk -t2 -c32 -d600s -s "$work/post.lua" "http://127.0.0.1:$port/webhook" >/dev/null & loader=$!
until [ "$(counter "$admin" messaging_client_sent_messages_total)" -ge "$records" ]; do sleep 0.05; done
kill "$loader"; wait "$loader" 2>/dev/null || true
sleep 0.5
stored=$(counter "$admin" messaging_client_sent_messages_total)
kill "$ingest"; wait "$ingest" 2>/dev/null || true
echo "preloaded $stored raw records (single text messages: one output each)"

drain_normalize() {
  local admin start pid
  admin=$(free_port)
  start=$(date +%s.%N)
  env "${@:2}" KAFKA_BROKERS=$brokers ADMIN_LISTEN=127.0.0.1:$admin RUST_LOG=warn GROUP_ID=bench-n-$1 \
    ASSIGN_PARTITIONS=all "$pipeline" normalize 2>"$work/normalize-$1.log" & pid=$!
  until [ "$(counter "$admin" messaging_client_sent_messages_total)" -ge "$stored" ]; do
    sleep 0.05
  done
  local end; end=$(date +%s.%N)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  awk -v n="$stored" -v a="$start" -v b="$end" 'BEGIN {printf "%.0f\n", n / (b - a)}'
}

drain_passthrough() {
  local start end
  start=$(date +%s.%N)
  KAFKA_BROKERS=$brokers RECORDS=$stored GROUP_ID=bench-p-$1 TOPIC_OUT=bench.passthrough \
    "$passthrough" >"$work/passthrough-$1.log"
  end=$(date +%s.%N)
  awk -v n="$stored" -v a="$start" -v b="$end" 'BEGIN {printf "%.0f\n", n / (b - a)}'
}

bash scripts/tansu.sh topics "$work/tansu" bench.passthrough:3 2>/dev/null || true
n_rates=(); p_rates=(); m_rates=()
for i in $(seq 1 "$repeats"); do
  n_rates+=("$(drain_normalize "$i")")
  p_rates+=("$(drain_passthrough "$i")")
  line="  repeat $i: normalize ${n_rates[-1]} records/s, passthrough ${p_rates[-1]} records/s"
  if [ "${MEDIA:-0}" = 1 ]; then
    m_rates+=("$(drain_normalize "m$i" MEDIA_STORE="$work/media" WHATSAPP_ACCESS_TOKEN=bench)")
    line="$line, normalize with media re-hosting on ${m_rates[-1]} records/s"
  fi
  echo "$line"
done
n=$(median "${n_rates[@]}"); p=$(median "${p_rates[@]}")
awk -v n="$n" -v p="$p" 'BEGIN {printf "normalize over Kafka: median %d records/s; passthrough %d; ratio %.2f (target >= 0.85)\n", n, p, n / p}'
if [ "${MEDIA:-0}" = 1 ]; then
  m=$(median "${m_rates[@]}")
  awk -v n="$n" -v m="$m" 'BEGIN {printf "media re-hosting on, no attachments: median %d records/s; ratio to normalize %.2f\n", m, m / n}'
fi
