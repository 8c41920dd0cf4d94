#!/usr/bin/env bash
# What telemetry costs ingest: requests/s of signed single-message webhooks with wrk, for
#   before    a binary built without telemetry (BEFORE_BIN),
#   none      this build, no OTLP endpoint (Prometheus endpoint only),
#   export    this build exporting traces and metrics over OTLP to a local receiver,
# interleaved REPEATS times against one Tansu (memory storage), medians and ratios printed:
# requests/s, and ingest's CPU seconds per 1,000 requests (its user + system time over the
# wrk run). On a shared 2-core machine requests/s moves by 20 % or more from run to run with
# the neighbours; CPU per request moves much less, and is what bounds requests/s here.
#
#   bench/telemetry-overhead.sh BEFORE_BIN AFTER_BIN
#   DURATION=10s CONNECTIONS=32 REPEATS=3 bench/telemetry-overhead.sh ...
set -euo pipefail
cd "$(dirname "$0")/.."
before=${1:?usage: telemetry-overhead.sh BEFORE_BIN AFTER_BIN}
after=${2:?usage: telemetry-overhead.sh BEFORE_BIN AFTER_BIN}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-32}
repeats=${REPEATS:-3}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

# shellcheck source=bench/common.sh
source bench/common.sh

# An OTLP/HTTP receiver that answers 200 at once (the collector's cost is not ours).
cat > "$work/receiver.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200); self.send_header("content-length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
receiver_port=$(free_port)
python3 "$work/receiver.py" "$receiver_port" & pids+=($!)

signed_post "$after"

# One measurement: starts ingest, warms up, runs wrk, prints requests/s.
measure() {
  local bin=$1 variant=$2 port
  port=$(free_port)
  local env=(KAFKA_BROKERS="$brokers" WHATSAPP_APP_SECRET="$secret" LISTEN_ADDR="127.0.0.1:$port" ADMIN_LISTEN=127.0.0.1:0)
  [ "$variant" = export ] && env+=(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$receiver_port" OTEL_METRIC_EXPORT_INTERVAL=5000)
  env "${env[@]}" "$bin" ingest 2>"$work/ingest-$variant.log" & ingest_pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  wrk -t2 -c"$connections" -d2s -s "$work/post.lua" "http://127.0.0.1:$port/webhook" >/dev/null
  local cpu_before out cpu_after
  cpu_before=$(cpu_seconds "$ingest_pid")
  out=$(wrk -t2 -c"$connections" -d"$duration" -s "$work/post.lua" "http://127.0.0.1:$port/webhook")
  cpu_after=$(cpu_seconds "$ingest_pid")
  kill "$ingest_pid"; wait "$ingest_pid" 2>/dev/null || true
  local non2xx; non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  [ -z "$non2xx" ] || echo "  ($variant: $non2xx non-2xx answers)" >&2
  # "req/s cpu_s_per_1000"
  echo "$out" | awk -v cpu="$(echo "$cpu_after - $cpu_before" | bc -l)" \
    '/requests in/ {n = $1} /Requests\/sec/ {r = $2} END {printf "%s %.4f\n", r, cpu * 1000 / n}'
}

declare -A runs cpus
for r in $(seq 1 "$repeats"); do
  for variant in before none export; do
    bin=$after; [ "$variant" = before ] && bin=$before
    read -r rate cpu < <(measure "$bin" "$variant")
    runs[$variant]+="$rate "
    cpus[$variant]+="$cpu "
    echo "repeat $r $variant: $rate req/s, $cpu CPU s per 1,000 requests"
  done
done
# shellcheck disable=SC2086 # the runs are space-separated numbers
b=$(median ${runs[before]}); n=$(median ${runs[none]}); e=$(median ${runs[export]})
echo
echo "ingest, $connections connections, $duration x $repeats, medians:"
printf '  before telemetry     %10.0f req/s\n' "$b"
printf '  telemetry, no export %10.0f req/s  ratio %.3f (target >= 0.97)\n' "$n" "$(echo "$n / $b" | bc -l)"
printf '  telemetry, OTLP      %10.0f req/s  ratio %.3f (target >= 0.90)\n' "$e" "$(echo "$e / $b" | bc -l)"
# shellcheck disable=SC2086
cb=$(median ${cpus[before]}); cn=$(median ${cpus[none]}); ce=$(median ${cpus[export]})
echo "ingest's CPU per request, medians (the ratio is before / this: the requests/s it allows):"
printf '  before telemetry     %.4f CPU s per 1,000 requests\n' "$cb"
printf '  telemetry, no export %.4f  ratio %.3f (target >= 0.97)\n' "$cn" "$(echo "$cb / $cn" | bc -l)"
printf '  telemetry, OTLP      %.4f  ratio %.3f (target >= 0.90)\n' "$ce" "$(echo "$cb / $ce" | bc -l)"
