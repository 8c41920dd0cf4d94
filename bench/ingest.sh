#!/usr/bin/env bash
# Ingest beside its ceilings, on one Tansu (memory storage) and the same signed body
# (fixtures/bodies/text.json): `wa-pipeline ingest`, a minimal hyper + HMAC + rdkafka
# receiver with ingest's producer settings (awaited ack) producing the body alone
# (`minimal`) and producing the design's record, key and raw headers (`design`), and a
# bare hyper receiver (no check, no Kafka), each at every concurrency in CONNECTIONS with
# wrk, one after the other per point: req/s, p50, p99, CPU seconds per 1,000 requests,
# peak RSS; then the ratios.
#
#   bench/ingest.sh WA_PIPELINE_BIN MINIMAL_BIN BARE_BIN
#   DURATION=10s CONNECTIONS="1 32 128" bench/ingest.sh ...
set -euo pipefail
cd "$(dirname "$0")/.."
pipeline=${1:?usage: ingest.sh WA_PIPELINE_BIN MINIMAL_BIN BARE_BIN}
minimal=${2:?usage: ingest.sh WA_PIPELINE_BIN MINIMAL_BIN BARE_BIN}
bare=${3:?usage: ingest.sh WA_PIPELINE_BIN MINIMAL_BIN BARE_BIN}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-1 32 128}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

# shellcheck source=bench/common.sh
source bench/common.sh

signed_post "$pipeline"

# One point: starts the receiver, warms it up, runs wrk, prints
# "req/s p50_ms p99_ms cpu_s_per_1000 peak_rss_mib non2xx".
measure() {
  local receiver=$1 c=$2 port pid bin
  port=$(free_port)
  case $receiver in
    ingest) bin=$pipeline ;;
    minimal|design) bin=$minimal ;;
    bare) bin=$bare ;;
  esac
  start_receiver "$receiver" "$bin" "$port" "$work/$receiver.log" || return 1
  local threads=$((c < 2 ? 1 : 2))
  wrk -t"$threads" -c"$c" -d2s -s "$work/post.lua" "http://127.0.0.1:$port/webhook" >/dev/null
  local cpu0; cpu0=$(cpu_seconds "$pid")
  local out; out=$(wrk -t"$threads" -c"$c" -d"$duration" --latency -s "$work/post.lua" "http://127.0.0.1:$port/webhook")
  local cpu1; cpu1=$(cpu_seconds "$pid")
  local rss; rss=$(peak_rss_mib "$pid")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$out" | awk -v cpu="$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN {print b - a}')" -v rss="$rss" '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    / 50%/ { p50 = ms($2) } / 99%/ { p99 = ms($2) }
    /requests in/ { n = $1 } /Non-2xx/ { bad = $5 } /Requests\/sec/ { rps = $2 }
    END { printf "%.0f %.2f %.2f %.3f %s %d\n", rps, p50, p99, (n ? cpu / n * 1000 : 0), rss, bad }'
}

printf "%-8s %5s %9s %8s %8s %12s %9s %7s\n" receiver conns "req/s" "p50 ms" "p99 ms" "cpu s/1000" "rss MiB" non2xx
declare -A rps p99 cpu
for c in $connections; do
  for receiver in ingest minimal design bare; do
    read -r r p50 p9 cp rss bad < <(measure "$receiver" "$c")
    [ -n "$r" ] || exit 1
    printf "%-8s %5s %9s %8s %8s %12s %9s %7s\n" "$receiver" "$c" "$r" "$p50" "$p9" "$cp" "$rss" "$bad"
    rps[$receiver.$c]=$r; p99[$receiver.$c]=$p9; cpu[$receiver.$c]=$cp
  done
done
echo "ratios (targets: req/s ingest/minimal >= 1.0 with p99 no worse; CPU per request ingest/bare <= 2;"
echo "        design: the minimal receiver writing the same record as ingest):"
for c in $connections; do
  awk -v c="$c" -v ri="${rps[ingest.$c]}" -v rm="${rps[minimal.$c]}" -v rd="${rps[design.$c]}" \
      -v pi="${p99[ingest.$c]}" -v pm="${p99[minimal.$c]}" -v pd="${p99[design.$c]}" \
      -v ci="${cpu[ingest.$c]}" -v cm="${cpu[minimal.$c]}" -v cd="${cpu[design.$c]}" -v cb="${cpu[bare.$c]}" 'BEGIN {
    printf "  %3d connections: req/s ingest/minimal %.2f (/design %.2f), p99 ingest/minimal %.2f (/design %.2f),\n",
      c, ri / rm, ri / rd, (pm > 0 ? pi / pm : 0), (pd > 0 ? pi / pd : 0)
    printf "                   CPU per request ingest/bare %.2f, ingest/minimal %.2f, ingest/design %.2f, minimal/bare %.2f\n",
      (cb > 0 ? ci / cb : 0), (cm > 0 ? ci / cm : 0), (cd > 0 ? ci / cd : 0), (cb > 0 ? cm / cb : 0) }'
done
