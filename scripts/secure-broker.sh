#!/usr/bin/env bash
# A Kafka-protocol broker secured as managed clusters are: Tansu 0.6.0 requiring SASL SCRAM,
# behind a TLS terminator (Debian's stunnel4), with the broker advertising the TLS port.
# Tansu's CLI cannot take a certificate and a key together, and cannot create users once
# authentication is on: users and topics are made first, then it restarts with
# --authentication. The CA and certificates are made here, for this run only.
#
#   scripts/secure-broker.sh start DIR   prints "TLS_BOOTSTRAP PLAIN_BOOTSTRAP"; DIR/ca.pem is
#                                        the CA to trust
#   scripts/secure-broker.sh stop DIR
#
# Users: wa512 / secret-512 (SCRAM-SHA-512) and wa256 / secret-256 (SCRAM-SHA-256).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

install_stunnel() {
  command -v stunnel4 >/dev/null 2>&1 && return 0
  echo "installing stunnel4" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq stunnel4 >/dev/null
}

certificates() {
  local dir=$1
  (
    cd "$dir"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=wa-pipeline test CA" \
      -keyout ca.key -out ca.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
      -keyout server.key -out server.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
      -extfile server.ext -out server.pem 2>/dev/null
  )
}

cmd_start() {
  local dir=${1:?usage: secure-broker.sh start DIR}
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  install_stunnel
  certificates "$dir"
  local plain tls tansu
  plain=$(free_port)
  tls=$(free_port)
  tansu=$(command -v tansu || echo "${CARGO_HOME:-$HOME/.cargo}/bin/tansu")
  # Users and topics while the broker still lets the CLI in.
  bash "$here/tansu.sh" start "$dir" "$plain" >/dev/null
  "$tansu" user create wa512 secret-512 --mechanism scram512 --broker "tcp://127.0.0.1:$plain" \
    >>"$dir/tansu.log" 2>&1
  "$tansu" user create wa256 secret-256 --mechanism scram256 --broker "tcp://127.0.0.1:$plain" \
    >>"$dir/tansu.log" 2>&1
  bash "$here/tansu.sh" default-topics "$dir"
  bash "$here/tansu.sh" stop "$dir"
  TANSU_ADVERTISED_URL="tcp://127.0.0.1:$tls" TANSU_EXTRA_ARGS=--authentication \
    bash "$here/tansu.sh" start "$dir" "$plain" >/dev/null
  cat > "$dir/stunnel.conf" <<CONF
pid = $dir/stunnel.pid
output = $dir/stunnel.log
foreground = no
[kafka]
accept = 127.0.0.1:$tls
connect = 127.0.0.1:$plain
cert = $dir/server.pem
key = $dir/server.key
CONF
  stunnel4 "$dir/stunnel.conf"
  bash "$here/tansu.sh" wait-port "$tls" || { echo "stunnel does not listen on 127.0.0.1:$tls" >&2; return 1; }
  echo "127.0.0.1:$tls 127.0.0.1:$plain"
}

cmd_stop() {
  local dir=${1:?usage: secure-broker.sh stop DIR}
  if [ -f "$dir/stunnel.pid" ]; then
    kill "$(cat "$dir/stunnel.pid")" 2>/dev/null || true
    rm -f "$dir/stunnel.pid"
  fi
  bash "$here/tansu.sh" stop "$dir"
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  *) echo "usage: $0 start DIR | stop DIR" >&2; exit 2 ;;
esac
