#!/usr/bin/env bash
# A real local Kafka-protocol broker (Tansu 0.6.0, sqlite storage) for the
# end-to-end tests and for users who want a durable local broker.
#
#   scripts/tansu.sh install          install tansu 0.6.0 when missing (cached in ~/.cargo/bin)
#   scripts/tansu.sh start DIR        start on a free loopback port, data in DIR; prints the
#                                     bootstrap address and writes DIR/bootstrap, DIR/pid
#   scripts/tansu.sh topics DIR T:P.. create topics (name:partitions, default 3)
#   scripts/tansu.sh default-topics DIR   create the pipeline's default topics
#   scripts/tansu.sh stop DIR         stop it (SIGTERM, then SIGKILL after a grace period)
#   scripts/tansu.sh wait-port PORT   wait up to 30 s for a listener on 127.0.0.1:PORT
#
# Environment: TANSU_BIN (default: tansu on PATH or ~/.cargo/bin/tansu); for start,
# TANSU_ADVERTISED_URL (default: the listener), TANSU_STORAGE (default sqlite://tansu.db;
# memory://tansu/ for benchmarks) and TANSU_EXTRA_ARGS (e.g. --authentication).
set -euo pipefail

TANSU_VERSION=0.6.0

tansu_bin() {
  if [ -n "${TANSU_BIN:-}" ]; then echo "$TANSU_BIN"; return; fi
  if command -v tansu >/dev/null 2>&1; then command -v tansu; return; fi
  echo "${CARGO_HOME:-$HOME/.cargo}/bin/tansu"
}

installed_version_ok() {
  local bin; bin=$(tansu_bin)
  [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q "$TANSU_VERSION"
}

cmd_install() {
  if installed_version_ok; then
    echo "tansu $TANSU_VERSION already installed at $(tansu_bin)" >&2
    return 0
  fi
  # The libsql build needs cmake and a C++ compiler; a fresh machine lacks cmake.
  if ! command -v cmake >/dev/null 2>&1 || ! command -v c++ >/dev/null 2>&1; then
    echo "installing build dependencies for tansu (cmake, g++)" >&2
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq cmake g++ pkg-config >/dev/null
  fi
  echo "building tansu $TANSU_VERSION from crates.io (about 20 minutes on 2 cores, once)" >&2
  cargo install tansu --version "$TANSU_VERSION" --locked --features libsql,dynostore
}

free_port() {
  python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

wait_port() {
  local port=$1 deadline=$((SECONDS + 30))
  while [ $SECONDS -lt $deadline ]; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

cmd_start() {
  local dir=${1:?usage: tansu.sh start DIR [PORT]}
  local port=${2:-}
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  installed_version_ok || { echo "tansu $TANSU_VERSION is not installed: run scripts/tansu.sh install" >&2; return 1; }
  if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
    echo "tansu already running in $dir (pid $(cat "$dir/pid"))" >&2
    cat "$dir/bootstrap"
    return 0
  fi
  [ -n "$port" ] || port=$(free_port)
  # Tansu joins sqlite://NAME to its working directory and loads a .env from there:
  # run it from its own data directory so neither leaks in from elsewhere.
  : > "$dir/.env"
  (
    cd "$dir"
    # shellcheck disable=SC2086
    exec "$(tansu_bin)" broker \
      --listener-url "tcp://127.0.0.1:$port" \
      --advertised-listener-url "${TANSU_ADVERTISED_URL:-tcp://127.0.0.1:$port}" \
      --storage-engine "${TANSU_STORAGE:-sqlite://tansu.db}" ${TANSU_EXTRA_ARGS:-} \
      >>"$dir/tansu.log" 2>&1
  ) &
  echo $! > "$dir/pid"
  echo "127.0.0.1:$port" > "$dir/bootstrap"
  if ! wait_port "$port"; then
    echo "tansu did not start listening on 127.0.0.1:$port; log:" >&2
    tail -n 50 "$dir/tansu.log" >&2
    return 1
  fi
  [ "${TANSU_STORAGE:-sqlite://tansu.db}" = sqlite://tansu.db ] && index_headers "$dir/tansu.db"
  echo "127.0.0.1:$port"
}

# Tansu 0.6.0 reads a fetched record's headers from a table with no index on them, so every
# fetch scanned every header stored and a growing topic slowed its consumers down (the
# embedded broker adds the same index: src/embedded.rs). Tansu creates its tables at start.
index_headers() {
  python3 - "$1" <<'PY'
import sqlite3, sys, time
for attempt in range(50):
    try:
        db = sqlite3.connect(sys.argv[1], timeout=5)
        db.execute("create index if not exists wa_header_record on header (topition, offset_id)")
        db.close()
        break
    except sqlite3.OperationalError:
        time.sleep(0.1)
else:
    sys.exit("cannot index the header table of " + sys.argv[1])
PY
}

cmd_topics() {
  local dir=${1:?usage: tansu.sh topics DIR NAME[:PARTITIONS]...}
  shift
  local bootstrap; bootstrap=$(cat "$dir/bootstrap")
  local spec name partitions
  for spec in "$@"; do
    name=${spec%%:*}
    partitions=3
    [ "$spec" != "$name" ] && partitions=${spec#*:}
    if ! "$(tansu_bin)" topic create "$name" --broker "tcp://$bootstrap" --partitions "$partitions" \
        >>"$dir/tansu.log" 2>&1; then
      # Already there is fine; anything else shows in the list below.
      echo "note: could not create $name (it may exist already); see $dir/tansu.log" >&2
    fi
  done
}

# The pipeline's default topics: raw with $RAW_PARTITIONS partitions, outputs with 3.
cmd_default_topics() {
  local dir=${1:?usage: tansu.sh default-topics DIR}
  cmd_topics "$dir" "whatsapp.raw:${RAW_PARTITIONS:-3}" whatsapp.mo whatsapp.postback \
    whatsapp.delivery whatsapp.account-events whatsapp.coexistence whatsapp.dead-letter
}

cmd_stop() {
  local dir=${1:?usage: tansu.sh stop DIR}
  [ -f "$dir/pid" ] || return 0
  local pid; pid=$(cat "$dir/pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    # Under load it can take seconds to exit on SIGTERM.
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/pid"
}

case "${1:-}" in
  install) cmd_install ;;
  start) shift; cmd_start "$@" ;;
  topics) shift; cmd_topics "$@" ;;
  default-topics) shift; cmd_default_topics "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  wait-port) shift; wait_port "${1:?usage: tansu.sh wait-port PORT}" ;;
  *) echo "usage: $0 install | start DIR [PORT] | topics DIR NAME[:PARTITIONS]... | default-topics DIR | stop DIR | wait-port PORT" >&2; exit 2 ;;
esac
