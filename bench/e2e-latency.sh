#!/usr/bin/env bash
# End-to-end latency: open-loop signed single-message webhooks at RATE req/s for DURATION_S
# into `wa-pipeline ingest` + `normalize` on one Tansu (memory storage; TANSU_STORAGE=sqlite://tansu.db for sqlite), or with
# BROKER=embedded into `wa-pipeline run` on its embedded broker (no Kafka configured), then normalize's
# `wa_normalize_record_age_seconds` histogram (from ingest's `received-at` to the broker
# acknowledging the outputs), read from its /metrics: p50/p90/p99 as the bucket bounds they
# fall under. Prints the HTTP answer times too. (Debian's kcat cannot talk to Tansu 0.6.0:
# its ApiVersion request fails, so the records are not read back here.)
#
#   bench/e2e-latency.sh BIN                   RATE=500 DURATION_S=10 by default
#   RATE=250 DURATION_S=20 bench/e2e-latency.sh target/release/wa-pipeline
#   BROKER=embedded bench/e2e-latency.sh target/release/wa-pipeline
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:?usage: e2e-latency.sh BIN}
rate=${RATE:-500}
seconds=${DURATION_S:-10}

broker=${BROKER:-tansu}
# shellcheck source=bench/common.sh
NO_TANSU=$([ "$broker" = embedded ] && echo 1 || true) source bench/common.sh
port=$(free_port)
admin=$(free_port)
secret=bench-secret
if [ "$broker" = embedded ]; then
  WHATSAPP_APP_SECRET=$secret LISTEN_ADDR=127.0.0.1:$port ADMIN_LISTEN=127.0.0.1:$admin RUST_LOG=warn \
    WA_DATA_DIR="$work/data" BROKER_LISTEN=127.0.0.1:$(free_port) "$bin" run 2>"$work/run.log" & pids+=($!)
else
  KAFKA_BROKERS=$brokers WHATSAPP_APP_SECRET=$secret LISTEN_ADDR=127.0.0.1:$port ADMIN_LISTEN=127.0.0.1:0 \
    RUST_LOG=warn "$bin" ingest 2>"$work/ingest.log" & pids+=($!)
  # Every partition assigned: the figure is the steady state, not a group join's wait.
  KAFKA_BROKERS=$brokers ADMIN_LISTEN=127.0.0.1:$admin RUST_LOG=warn GROUP_ID=bench-latency \
    ASSIGN_PARTITIONS=all "$bin" normalize 2>"$work/normalize.log" & pids+=($!)
fi
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && curl -sf "http://127.0.0.1:$admin/readyz" >/dev/null && break
  sleep 0.1
done
for p in "${pids[@]}"; do
  if ! kill -0 "$p" 2>/dev/null; then
    echo "the pipeline exited before it was ready:" >&2
    cat "$work"/*.log >&2
    exit 1
  fi
done
sleep 3
echo "end to end over $broker${TANSU_STORAGE:+ ($TANSU_STORAGE)}, $rate req/s for $seconds s:"
pipeline_cpu() { local p; for p in "${pids[@]}"; do cpu_seconds "$p"; done | awk '{t += $1} END {print t}'; }
cpu_before=$(pipeline_cpu)

python3 - "$port" "$secret" "$rate" "$seconds" <<'PY'
import hashlib, hmac, http.client, sys, threading, time
port, secret, rate, seconds = int(sys.argv[1]), sys.argv[2].encode(), int(sys.argv[3]), int(sys.argv[4])
total = rate * seconds
answers, lock = [], threading.Lock()
def body(i):
    return ('{"object":"whatsapp_business_account","entry":[{"id":"1029384756012345","changes":[{"value":'
            '{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550101010","phone_number_id":"1065403500012345"},'
            '"messages":[{"from":"1555%07d","id":"wamid.LAT%08d","timestamp":"1767225600","type":"text","text":{"body":"latency"}}]},'
            '"field":"messages"}]}]}' % (i % 500, i)).encode()
def worker(k, n):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    start = time.monotonic()
    for j in range(k, total, n):
        due = start + j / rate
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        b = body(j)
        sig = "sha256=" + hmac.new(secret, b, hashlib.sha256).hexdigest()
        t = time.monotonic()
        conn.request("POST", "/webhook", b, {"X-Hub-Signature-256": sig, "Content-Type": "application/json"})
        r = conn.getresponse(); r.read()
        with lock:
            answers.append((r.status, time.monotonic() - t))
threads = [threading.Thread(target=worker, args=(k, 32)) for k in range(32)]
[t.start() for t in threads]; [t.join() for t in threads]
ok = sorted(d for s, d in answers if s == 200)
pick = lambda xs, q: xs[min(len(xs) - 1, int(q * len(xs)))] * 1000 if xs else float("nan")
print(f"sent {total} at {rate}/s: {len(ok)} answered 200; HTTP answer p50 {pick(ok, .5):.1f} ms, p99 {pick(ok, .99):.1f} ms")
PY
sleep 5
curl -sf "http://127.0.0.1:$admin/metrics" > "$work/metrics.txt"
# The pipeline's own processes (in `run`, the embedded broker too), load and drain together.
awk -v a="$cpu_before" -v b="$(pipeline_cpu)" -v n="$((rate * seconds))" \
  'BEGIN {printf "pipeline CPU: %.2f s for %d requests, %.0f µs per request\n", b - a, n, (b - a) * 1e6 / n}'
# Where a record waits: normalize's produce-acknowledgement time for its outputs.
python3 - "$work/metrics.txt" <<'PY'
import sys
buckets, count = {}, 0
for line in open(sys.argv[1]):
    if line.startswith("messaging_client_operation_duration_seconds_bucket"):
        le = line.split('le="')[1].split('"')[0]
        le = float("inf") if le == "+Inf" else float(le)
        buckets[le] = buckets.get(le, 0) + float(line.rsplit(" ", 1)[1])
    elif line.startswith("messaging_client_operation_duration_seconds_count"):
        count += float(line.rsplit(" ", 1)[1])
def q(p):
    for le in sorted(buckets):
        if buckets[le] >= p * count:
            return "<= %g ms" % (le * 1000)
if count:
    print(f"normalize's output produce acks ({count:.0f}): p50 {q(.5)}, p99 {q(.99)}")
PY
python3 -c '
import sys
buckets, count = [], 0
for line in sys.stdin:
    if line.startswith("wa_normalize_record_age_seconds_bucket"):
        le = line.split("le=\"")[1].split("\"")[0]
        buckets.append((float("inf") if le == "+Inf" else float(le), float(line.rsplit(" ", 1)[1])))
    elif line.startswith("wa_normalize_record_age_seconds_count"):
        count = float(line.rsplit(" ", 1)[1])
def q(p):
    for le, n in buckets:
        if n >= p * count:
            return "<= %g ms" % (le * 1000)
print(f"{count:.0f} raw records; received-at to stored outputs: p50 {q(.5)}, p90 {q(.9)}, p99 {q(.99)}, max {q(1)}" if count else "no records")
' < "$work/metrics.txt"
