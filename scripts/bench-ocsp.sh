#!/usr/bin/env bash
# OCSP responder benchmark, side by side on the same machine and the same requests:
# jpki-mock serve against `openssl ocsp -index … -port … -multi 2`, both signing with
# an RSA-2048 key, loaded by wrk at concurrency 1 and 16, with and without a nonce,
# DURATION seconds each (default 10). Prints req/s and p50/p99 latency, and `openssl
# speed rsa2048` signs/s on 2 cores for reference. Traffic goes to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-10}
ours_port=${OURS_PORT:-18091}
openssl_port=${OPENSSL_PORT:-18092}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
root=$(pwd)
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"
bin=$(jpki_binary) || exit 2
work=$(mktemp -d)
pids=()
openssl_pid=""
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  stop_openssl
  rm -rf "$work"
}
trap cleanup EXIT

state="$work/state"
"$bin" --state "$state" init --base-url "http://127.0.0.1:$ours_port" >/dev/null
"$bin" --state "$state" issue --name "山田 太郎" --birth 1990-10-01 --gender male \
  --address "東京都品川区広町2-1-36" --only sign --out "$work/card" >/dev/null
"$bin" --state "$state" ca sign --pem --out "$work/ca.pem"
leaf="$work/card/sign.pem"

# The same two requests for both responders.
openssl ocsp -issuer "$work/ca.pem" -cert "$leaf" -no_nonce -reqout "$work/req-plain.der" >/dev/null 2>&1
openssl ocsp -issuer "$work/ca.pem" -cert "$leaf" -reqout "$work/req-nonce.der" >/dev/null 2>&1

# openssl's responder: an index holding the same certificate, signing with the CA key.
serial=$(openssl x509 -in "$leaf" -noout -serial | cut -d= -f2)
expiry=$(date -u -d "$(openssl x509 -in "$leaf" -noout -enddate | cut -d= -f2)" +%y%m%d%H%M%SZ)
subject=$(openssl x509 -in "$leaf" -noout -subject -nameopt compat | sed 's/^subject=//')
printf 'V\t%s\t\t%s\tunknown\t%s\n' "$expiry" "$serial" "$subject" > "$work/index.txt"
# With -multi, openssl moves into a process group of its own (so no setsid, which
# makes it fail) and ignores SIGTERM while its workers live: stop it by killing the
# group with SIGKILL. Its workers (OpenSSL 3.0) spin on a connection the client drops
# at the end of a run, so it is started afresh for each run.
start_openssl() {
  openssl ocsp -index "$work/index.txt" -port "$openssl_port" -CA "$work/ca.pem" \
    -rsigner "$work/ca.pem" -rkey "$state/ca-sign.key" -multi 2 -ignore_err >/dev/null 2>&1 &
  openssl_pid=$!
  for _ in $(seq 50); do
    ss -ltn | grep -q ":$openssl_port " && break
    sleep 0.1
  done
}
stop_openssl() {
  [ -z "$openssl_pid" ] || kill -9 -- "-$openssl_pid" 2>/dev/null || kill -9 "$openssl_pid" 2>/dev/null || true
  openssl_pid=""
  sleep 0.5
}
start_openssl
"$bin" --state "$state" serve --listen "127.0.0.1:$ours_port" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do
  curl -sf "http://127.0.0.1:$ours_port/healthz" >/dev/null && break
  sleep 0.1
done
sleep 1

# Both answer the same request correctly before anything is timed.
for url in "http://127.0.0.1:$ours_port/ocsp/sign" "http://127.0.0.1:$openssl_port/"; do
  openssl ocsp -issuer "$work/ca.pem" -cert "$leaf" -url "$url" -CAfile "$work/ca.pem" \
    -VAfile "$work/ca.pem" 2>&1 | grep -q ": good" || { echo "responder at $url did not answer good" >&2; exit 1; }
done
stop_openssl

for kind in plain nonce; do
  cat > "$work/post-$kind.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/ocsp-request"
local f = io.open("$work/req-$kind.der", "rb")
wrk.body = f:read("*a")
f:close()
LUA
done

run() { # responder url concurrency kind
  local out
  out=$(timeout $((duration + 30)) wrk -t 1 -c "$3" -d "${duration}s" --latency \
    -s "$work/post-$4.lua" "$2" 2>&1)
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr -s ' ' | paste -sd';' - || true)
  printf '%-10s %-6s %3s %12s %10s %10s  %s\n' "$1" "$4" "$3" "$rps" "$p50" "$p99" "$errors"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf '%-10s %-6s %3s %12s %10s %10s\n' responder nonce c req/s p50 p99
for kind in plain nonce; do
  for c in 1 16; do
    run jpki-mock "http://127.0.0.1:$ours_port/ocsp/sign" "$c" "$kind"
    start_openssl
    run openssl "http://127.0.0.1:$openssl_port/" "$c" "$kind"
    stop_openssl
  done
done
echo "openssl speed rsa2048 (2 processes):"
openssl speed -multi 2 -seconds 3 rsa2048 2>/dev/null | grep -E '^rsa 2048|sign/s' | tail -2
