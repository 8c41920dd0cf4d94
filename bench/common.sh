# Shared by the bench scripts (sourced, from the repository root): a work directory removed
# on exit with every process in $pids, a free port, the machine line, and (unless NO_TANSU
# is set) a Tansu broker with memory storage (TANSU_STORAGE=sqlite://tansu.db for sqlite) and
# the pipeline's topics (its address in $brokers).

work=$(mktemp -d)
pids=()
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  bash scripts/tansu.sh stop "$work/tansu" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The signed webhook every load uses: $secret, and a wrk script at $work/post.lua posting
# fixtures/bodies/text.json with its X-Hub-Signature-256 (signed by `$1 sign`).
signed_post() {
  secret=bench-secret
  local body=fixtures/bodies/text.json signature
  signature=$("$1" sign --secret "$secret" "$body")
  cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = io.open("$body"):read("*a")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Hub-Signature-256"] = "$signature"
LUA
}

# CPU seconds (user + system) a process has used so far.
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }

# Peak resident set size of a process so far, in MiB.
peak_rss_mib() { awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

# The median of the numbers given as arguments (the lower middle one for an even count).
median() { printf "%s\n" "$@" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

# Starts a receiver of the ingest benchmarks on 127.0.0.1:PORT with its stderr in LOG, and
# waits until it answers HTTP; sets $pid. KIND is ingest (BIN is wa-pipeline), minimal or
# design (BIN is the minimal receiver, producing the body alone or the design's record), or
# bare. Says so and returns 1 when the receiver exits or never answers.
start_receiver() {
  local kind=$1 bin=$2 port=$3 log=$4
  case $kind in
    ingest) KAFKA_BROKERS=$brokers WHATSAPP_APP_SECRET=$secret LISTEN_ADDR=127.0.0.1:$port \
              ADMIN_LISTEN=127.0.0.1:0 "$bin" ingest 2>"$log" & pid=$! ;;
    minimal|design) RECORD=$([ "$kind" = design ] && echo design || echo bare) \
              KAFKA_BROKERS=$brokers WHATSAPP_APP_SECRET=$secret LISTEN_ADDR=127.0.0.1:$port \
              "$bin" 2>"$log" & pid=$! ;;
    bare) LISTEN_ADDR=127.0.0.1:$port "$bin" 2>"$log" & pid=$! ;;
    *) echo "start_receiver: unknown receiver $kind" >&2; return 2 ;;
  esac
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "the $kind receiver ($bin) did not answer on port $port; its log ends:" >&2
  tail -n 5 "$log" >&2
  return 1
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -z "${NO_TANSU:-}" ]; then
  TANSU_STORAGE=${TANSU_STORAGE:-memory://tansu/} bash scripts/tansu.sh start "$work/tansu" >/dev/null
  RAW_PARTITIONS=3 bash scripts/tansu.sh default-topics "$work/tansu" 2>/dev/null
  brokers=$(cat "$work/tansu/bootstrap")
fi
