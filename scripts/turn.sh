#!/usr/bin/env bash
# A TURN relay for tests: Debian's coturn on loopback, with a static auth secret (the TURN
# REST scheme the server's TURN_SECRET uses), listening on free ports for UDP and TCP and for
# TLS with a self-signed certificate made here. It relays from 127.0.0.2 (not the listening
# 127.0.0.1), so the SFU's test-only "block direct UDP" fault can tell relayed datagrams from
# direct ones by their source address. Relay ports are a fixed range.
#
#   scripts/turn.sh          starts it unless it runs, then prints TURN_URLS, TURN_SECRET,
#                            TURN_RELAY_IP and TURN_CERT_SPKI as shell assignments (eval them)
#   scripts/turn.sh stop     stops it
#
# TURN_DIR (default /tmp/meetingrooms-turn) holds its pid, configuration, certificate and log.
set -euo pipefail

dir=${TURN_DIR:-/tmp/meetingrooms-turn}
relay_ip=127.0.0.2
min_port=49400
max_port=49499

running() { [[ -f "$dir/pid" ]] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; }

if [[ "${1:-}" == stop ]]; then
  if running; then
    kill -TERM "$(cat "$dir/pid")"
    for _ in $(seq 50); do running || break; sleep 0.1; done
  fi
  rm -f "$dir/pid"
  exit 0
fi

if running && [[ -f "$dir/env" ]]; then
  cat "$dir/env"
  exit 0
fi

command -v turnserver >/dev/null || { echo "turn.sh: coturn is missing (SETUP_TESTS=1 scripts/setup.sh)" >&2; exit 1; }
mkdir -p "$dir"
free_port() {
  # Free for both TCP and UDP: the TURN port takes both.
  python3 -c '
import socket
while True:
    t = socket.socket(); t.bind(("127.0.0.1", 0)); port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port)); print(port); break
    except OSError:
        pass
    finally:
        u.close(); t.close()
'
}
port=$(free_port)
tls_port=$(free_port)
secret=$(openssl rand -hex 16)
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
# The certificate's key hash, for a browser told to trust it (--ignore-certificate-errors-spki-list).
spki=$(openssl x509 -in "$dir/cert.pem" -pubkey -noout | openssl pkey -pubin -outform der \
  | openssl dgst -sha256 -binary | base64)

cat >"$dir/turnserver.conf" <<EOF
listening-ip=127.0.0.1
relay-ip=$relay_ip
listening-port=$port
tls-listening-port=$tls_port
min-port=$min_port
max-port=$max_port
use-auth-secret
static-auth-secret=$secret
realm=meetingrooms.test
fingerprint
cert=$dir/cert.pem
pkey=$dir/key.pem
no-dtls
no-tlsv1
no-tlsv1_1
# The SFU listens on loopback too; coturn refuses loopback peers unless told.
allow-loopback-peers
no-cli
no-software-attribute
userdb=$dir/turndb
pidfile=$dir/coturn.pid
log-file=$dir/turn.log
simple-log
EOF
rm -f "$dir/turn.log"
setsid turnserver -c "$dir/turnserver.conf" >/dev/null 2>&1 < /dev/null &
echo $! >"$dir/pid"
# Ready once both listeners accept.
for _ in $(seq 100); do
  if python3 -c "
import socket, sys
for p in ($port, $tls_port):
    s = socket.socket(); s.settimeout(0.2)
    try: s.connect(('127.0.0.1', p))
    except OSError: sys.exit(1)
    finally: s.close()
" 2>/dev/null; then
    break
  fi
  running || { echo "turn.sh: coturn exited; see $dir/turn.log" >&2; exit 1; }
  sleep 0.1
done

cat >"$dir/env" <<EOF
TURN_URLS=turn:127.0.0.1:$port?transport=udp,turn:127.0.0.1:$port?transport=tcp,turns:127.0.0.1:$tls_port?transport=tcp
TURN_SECRET=$secret
TURN_RELAY_IP=$relay_ip
TURN_CERT_SPKI=$spki
EOF
cat "$dir/env"
