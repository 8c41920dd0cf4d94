#!/usr/bin/env bash
# A real S3-compatible server (moto in server mode, from PyPI) for the media re-hosting
# tests and for trying re-hosting locally.
#
#   scripts/moto.sh install        pip-install moto[server] when missing
#   scripts/moto.sh start DIR      start on a free loopback port; prints the endpoint URL and
#                                  writes DIR/endpoint, DIR/pid, DIR/moto.log
#   scripts/moto.sh stop DIR       stop it
#
# Buckets are created by the client (any credentials are accepted; region us-east-1).
set -euo pipefail

MOTO_VERSION=5.2.1

cmd_install() {
  if python3 -c 'import moto.server, flask, flask_cors' 2>/dev/null; then
    return 0
  fi
  echo "installing moto[server] $MOTO_VERSION from PyPI" >&2
  python3 -m pip install -q "moto[server]==$MOTO_VERSION"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

cmd_start() {
  local dir=$1 port=${2:-$(free_port)}
  cmd_install
  mkdir -p "$dir"
  (cd "$dir" && exec python3 -m moto.server -H 127.0.0.1 -p "$port" >moto.log 2>&1) &
  echo $! >"$dir/pid"
  local deadline=$((SECONDS + 30))
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    if [ $SECONDS -ge $deadline ] || ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      echo "moto did not start; its log:" >&2
      cat "$dir/moto.log" >&2 || true
      exit 1
    fi
    sleep 0.1
  done
  echo "http://127.0.0.1:$port" | tee "$dir/endpoint"
}

cmd_stop() {
  local dir=$1
  [ -f "$dir/pid" ] || return 0
  local pid; pid=$(cat "$dir/pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$dir/pid"
}

case "${1:-}" in
  install) cmd_install ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  *) sed -n '2,11p' "$0"; exit 2 ;;
esac
