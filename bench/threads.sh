#!/usr/bin/env bash
# Where a receiver's CPU goes, per request and per thread group (tokio's workers and
# blocking pool, librdkafka's broker threads, its other threads), with its context switches
# per request (voluntary and involuntary, from /proc/PID/task/*/status): one or more
# `wa-pipeline ingest` builds beside the minimal receiver producing the design's record
# (`design`) and the body alone (`minimal`), interleaved REPEATS times at CONNECTIONS
# connections on one Tansu (memory storage), the same signed body as bench/ingest.sh.
# A diagnostic beside bench/ingest.sh, not part of bench/run.sh: the tokio threads' CPU per
# request moves far less from round to round than req/s, so it shows what a change to
# ingest's request path costs. Medians at the end.
#
#   bench/threads.sh MINIMAL_BIN WA_PIPELINE_BIN [WA_PIPELINE_BIN ...]
#   DURATION=8s CONNECTIONS=128 REPEATS=3 bench/threads.sh ...
# Each wa-pipeline build is named after its directory (target/release -> "release").
set -euo pipefail
cd "$(dirname "$0")/.."
minimal=${1:?usage: threads.sh MINIMAL_BIN WA_PIPELINE_BIN [WA_PIPELINE_BIN ...]}
shift
[ $# -gt 0 ] || { echo "usage: threads.sh MINIMAL_BIN WA_PIPELINE_BIN [WA_PIPELINE_BIN ...]" >&2; exit 2; }
duration=${DURATION:-8s}
connections=${CONNECTIONS:-128}
repeats=${REPEATS:-3}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

declare -A builds
names=()
for bin in "$@"; do
  name=$(basename "$(dirname "$bin")")
  if [ -n "${builds[$name]:-}" ] || [ "$name" = design ] || [ "$name" = minimal ]; then
    echo "$bin would be named $name, which another receiver has: put each build in a directory of its own, not named design or minimal" >&2
    exit 2
  fi
  builds[$name]=$bin
  names+=("$name")
done

# shellcheck source=bench/common.sh
source bench/common.sh

# The first wa-pipeline build signs the body (`wa-pipeline sign`).
signed_post "$1"

# "tid group cpu_ticks context_switches" for every thread of a process.
threads() {
  local t group
  for t in /proc/"$1"/task/*; do
    case $(cat "$t/comm") in
      tokio-r*) group=tokio ;;
      rdk:broker*) group=rdk:broker ;;
      rdk:*|producer*) group=rdk:other ;;
      *) group=other ;;
    esac
    echo "${t##*/} $group $(awk '{print $14 + $15}' "$t/stat") $(awk '/ctxt_switches/ {n += $2} END {print n}' "$t/status")"
  done
}

# One round of one receiver: "req/s total_µs tokio_µs broker_µs rdk_other_µs other_µs switches".
measure() {
  local receiver=$1 port pid
  port=$(free_port)
  case $receiver in
    minimal|design) start_receiver "$receiver" "$minimal" "$port" "$work/$receiver.log" ;;
    *) start_receiver ingest "${builds[$receiver]}" "$port" "$work/$receiver.log" ;;
  esac || return 1
  local url=http://127.0.0.1:$port/webhook out
  wrk -t2 -c"$connections" -d2s -s "$work/post.lua" "$url" >/dev/null
  threads "$pid" | sort > "$work/before"
  out=$(wrk -t2 -c"$connections" -d"$duration" -s "$work/post.lua" "$url")
  threads "$pid" | sort > "$work/after"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  local n; n=$(echo "$out" | awk '/requests in/ {print $1}')
  if [ "${n:-0}" = 0 ]; then
    echo "$receiver answered no requests; wrk said: $out" >&2
    return 1
  fi
  # Threads present at both snapshots (one that ended in between is left out):
  # "tid group ticks switches group ticks switches".
  join "$work/before" "$work/after" | awk -v hz="$(getconf CLK_TCK)" \
      -v n="$n" \
      -v rps="$(echo "$out" | awk '/Requests\/sec/ {print $2}')" '
    { cpu[$2] += $6 - $3; total += $6 - $3; switches += $7 - $4 }
    END { us = 1e6 / hz / n
          printf "%.0f %.1f %.1f %.1f %.1f %.1f %.3f\n", rps, total * us, cpu["tokio"] * us,
            cpu["rdk:broker"] * us, cpu["rdk:other"] * us, cpu["other"] * us, switches / n }'
}

printf "%-10s %5s %8s %9s %10s %10s %9s %8s %12s\n" receiver round "req/s" "µs/req" "tokio" \
  "rdk:broker" "rdk:other" "other" "switches/req"
declare -A rows
for round in $(seq 1 "$repeats"); do
  for receiver in "${names[@]}" design minimal; do
    row=$(measure "$receiver")
    rows[$receiver]+="$row"$'\n'
    # shellcheck disable=SC2086
    printf "%-10s %5s %8s %9s %10s %10s %9s %8s %12s\n" "$receiver" "$round" $row
  done
done
echo "medians (CPU in µs per request):"
for receiver in "${names[@]}" design minimal; do
  line="  $(printf "%-10s" "$receiver")"
  column=0
  for label in req/s total tokio rdk:broker rdk:other other switches; do
    column=$((column + 1))
    # shellcheck disable=SC2046 # one number per round
    line+=" $label $(median $(printf "%s" "${rows[$receiver]}" | awk -v i=$column '{print $i}'))"
  done
  echo "$line"
done
