#!/usr/bin/env bash
# Soak test of jpki-mock serve under mixed load, on 127.0.0.1 only.
#
#   scripts/soak.sh [SECONDS]     (default 600)
#   scripts/soak.sh --short       (30 s, for CI)
#
# Load, all at once for SECONDS and then stopping by itself:
#   - wrk (scripts/load/soak.lua, WRK_THREADS threads, WRK_CONNECTIONS connections):
#     OCSP POST (/ocsp, /ocsp/sign, /ocsp/auth) with and without a nonce and with
#     SHA-1 and SHA-256 CertIDs, OCSP GET (RFC 6960 appendix A, base64 escaped) with and
#     without a nonce, a two-CertID request, and CRL fetches of both CAs; every
#     response is checked (HTTP 200; OCSP responseStatus successful).
#   - scripts/load/soak_admin.py: ADMIN_RATE cards per second created (p256), read back
#     and revoked through the admin API (so the CRLs and OCSP caches keep changing).
# Reported: requests served (client and server counts), errors, the server's RSS
# (VmRSS) at the start and at the end (sampled every 5 s), p50/p99 latency. Fails when
# any request failed, the server died, or RSS end > 2 x start + 20 MB.
#
# Environment: JPKI_MOCK (a built binary; default: cargo build --release), WRK_THREADS
# (2), WRK_CONNECTIONS (8), ADMIN_RATE (2 cards/s; 0: no admin traffic), KEEP=1 keeps the
# work directory.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

case "${1:-}" in
  --short) seconds=30 ;;
  "") seconds=600 ;;
  *[!0-9]*) echo "usage: $0 [SECONDS | --short]" >&2; exit 2 ;;
  *) seconds=$1 ;;
esac
[ "$seconds" -ge 5 ] && [ "$seconds" -le 86400 ] || { echo "soak: SECONDS must be 5..86400" >&2; exit 2; }
case ${ADMIN_RATE:-2} in ''|*[!0-9]*) echo "soak: ADMIN_RATE must be a whole number of cards per second" >&2; exit 2 ;; esac
wrk_threads=${WRK_THREADS:-2}
wrk_connections=${WRK_CONNECTIONS:-8}
admin_rate=${ADMIN_RATE:-2}
command -v wrk >/dev/null || { echo "soak: wrk is not installed (apt-get install wrk)" >&2; exit 2; }

# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"
bin=$(jpki_binary) || exit 2

work=$(mktemp -d "${TMPDIR:-/tmp}/jpki-soak.XXXXXX")
state=$work/state
server_pid=""
bg_pids=()
cleanup() {
  local rc=$?
  for pid in "${bg_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  if [ "${KEEP:-0}" = 1 ] || [ "$rc" -ne 0 ]; then
    echo "soak: work directory kept: $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(free_port)
base=http://127.0.0.1:$port

# ---------------------------------------------------------------- state and requests
"$bin" --state "$state" init --base-url "$base" >/dev/null
for kind in sign auth; do "$bin" --state "$state" ca "$kind" --pem --out "$work/ca-$kind.pem"; done
cards=6
for i in $(seq "$cards"); do
  "$bin" --state "$state" issue --name "山田 太郎" --birth "198$i-0$i-1$i" --gender male \
    --address "東京都品川区広町2-1-36" --key-alg p256 --out "$work/card$i" >/dev/null
done
# Two of them revoked, so answers mix good and revoked.
for i in 1 2; do "$bin" --state "$state" revoke --card "$i" --cause leak >/dev/null; done

manifest=$work/manifest
: >"$manifest"
escape() { base64 -w0 "$1" | sed 's/+/%2B/g; s#/#%2F#g; s/=/%3D/g'; }
n=0
for i in $(seq "$cards"); do
  for kind in sign auth; do
    leaf=$work/card$i/$kind.pem
    ca=$work/ca-$kind.pem
    r=$work/req-$i-$kind
    openssl ocsp -issuer "$ca" -cert "$leaf" -no_nonce -reqout "$r-plain.der" >/dev/null
    openssl ocsp -issuer "$ca" -sha256 -cert "$leaf" -no_nonce -reqout "$r-sha256.der" >/dev/null
    for k in 1 2; do openssl ocsp -issuer "$ca" -cert "$leaf" -reqout "$r-nonce$k.der" >/dev/null; done
    ep=/ocsp/$kind
    [ $((n % 2)) -eq 0 ] || ep=/ocsp
    n=$((n + 1))
    cat >>"$manifest" <<EOF
POST $ep application/ocsp-request $r-plain.der 3
POST $ep application/ocsp-request $r-sha256.der 1
POST $ep application/ocsp-request $r-nonce1.der 2
POST $ep application/ocsp-request $r-nonce2.der 1
GET /ocsp/$kind/$(escape "$r-plain.der") - - 3
GET /ocsp/$(escape "$r-sha256.der") - - 1
GET /ocsp/$kind/$(escape "$r-nonce1.der") - - 1
EOF
  done
done
openssl ocsp -issuer "$work/ca-sign.pem" -cert "$work/card3/sign.pem" -cert "$work/card4/sign.pem" \
  -no_nonce -reqout "$work/req-multi.der" >/dev/null
cat >>"$manifest" <<EOF
POST /ocsp/sign application/ocsp-request $work/req-multi.der 2
GET /crl/sign.crl - - 4
GET /crl/auth.crl - - 4
GET /ca/sign.cer - - 1
EOF

# ---------------------------------------------------------------- server
JPKI_MOCK_LOG=warn "$bin" --state "$state" serve --listen "127.0.0.1:$port" >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
for _ in $(seq 200); do
  curl -sf -o /dev/null --max-time 1 "$base/healthz" && break
  kill -0 "$server_pid" 2>/dev/null || { echo "soak: the server exited" >&2; cat "$work/server.err" >&2; exit 1; }
  sleep 0.05
done
curl -sf -o /dev/null --max-time 2 "$base/healthz" || { echo "soak: the server did not come up" >&2; exit 1; }
# Every kind of request answers correctly before the clock starts.
openssl ocsp -issuer "$work/ca-sign.pem" -cert "$work/card1/sign.pem" -url "$base/ocsp" \
  -CAfile "$work/ca-sign.pem" 2>&1 | grep -q ": revoked" || { echo "soak: OCSP smoke test failed" >&2; exit 1; }

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status" 2>/dev/null || echo 0; }
rss_start=$(rss_kb)
echo "soak: ${seconds}s of mixed load on $base (wrk -t$wrk_threads -c$wrk_connections, admin ${admin_rate}/s); server RSS at start $((rss_start / 1024)) MB"

# RSS sampler: every 5 s while the soak lasts (bounded by time).
(
  end=$((SECONDS + seconds + 30))
  while [ $SECONDS -lt $end ] && kill -0 "$server_pid" 2>/dev/null; do
    echo "$SECONDS $(rss_kb)" >>"$work/rss"
    sleep 5
  done
) &
bg_pids+=($!)

if [ "$admin_rate" != 0 ]; then
  python3 "$root/scripts/load/soak_admin.py" --port "$port" --duration "$seconds" --rate "$admin_rate" \
    --max $((seconds * admin_rate + 10)) --revoked-out "$work/admin-revoked" >"$work/admin.json" &
  admin_pid=$!
else # ADMIN_RATE=0: OCSP and CRL traffic only (to compare latencies)
  echo '{"cards": 0, "requests": 0, "errors": 0, "revoked_serials": 0, "p50_ms": 0, "p99_ms": 0, "max_ms": 0, "first_error": ""}' >"$work/admin.json"
  sleep 0 & admin_pid=$!
fi
bg_pids+=("$admin_pid")

SOAK_MANIFEST=$manifest timeout $((seconds + 60)) wrk -t"$wrk_threads" -c"$wrk_connections" \
  -d"${seconds}s" --timeout 10s -s "$root/scripts/load/soak.lua" "$base" >"$work/wrk.out" 2>&1 || {
  echo "soak: wrk failed:" >&2; cat "$work/wrk.out" >&2; exit 1; }
timeout 60 tail --pid="$admin_pid" -f /dev/null || true
wait "$admin_pid" || { echo "soak: the admin client failed" >&2; exit 1; }

alive=yes
kill -0 "$server_pid" 2>/dev/null || alive=no
rss_end=$(rss_kb)
rss_peak=$(awk -v e="$rss_end" 'BEGIN {m = e} $2 > m {m = $2} END {print m}' "$work/rss" 2>/dev/null || echo "$rss_end")

# The server's own count of what it served.
served=$(curl -sf --max-time 5 "$base/metrics" | awk '/^jpki_mock_http_requests_total/ {s += $NF} END {print s + 0}') || served=unknown
server_5xx=$(curl -sf --max-time 5 "$base/metrics" | awk '/^jpki_mock_http_requests_total.*status="5/ {s += $NF} END {print s + 0}') || server_5xx=unknown

# A card revoked during the soak is revoked in OCSP and the CRL right now.
last_serial=$(tail -1 "$work/admin-revoked" 2>/dev/null || true)
consistent=skipped
if [ -n "$last_serial" ]; then
  kind=$(curl -sf --max-time 5 "$base/api/v1/certs/$last_serial" | python3 -c 'import json,sys; print(json.load(sys.stdin)["kind"])')
  hex=$(printf '%X' "$last_serial")
  ocsp=$(openssl ocsp -issuer "$work/ca-$kind.pem" -serial "0x$hex" -url "$base/ocsp" -CAfile "$work/ca-$kind.pem" 2>&1 || true)
  crl=$(curl -sf --max-time 10 "$base/crl/$kind.crl" | openssl crl -inform DER -noout -text)
  if grep -q ": revoked" <<<"$ocsp" && grep -q "Serial Number: 0*$hex\$" <<<"$crl"; then consistent=yes; else consistent=no; fi
fi

result=$(sed -n 's/^SOAK-RESULT //p' "$work/wrk.out")
[ -n "$result" ] || { echo "soak: no result from wrk:" >&2; cat "$work/wrk.out" >&2; exit 1; }
admin=$(cat "$work/admin.json")
python3 - "$result" "$admin" "$rss_start" "$rss_end" "$rss_peak" "$served" "$server_5xx" "$alive" "$consistent" "$seconds" <<'PY'
import json, sys
wrk, admin = json.loads(sys.argv[1]), json.loads(sys.argv[2])
rss_start, rss_end, rss_peak = (int(x) for x in sys.argv[3:6])
served, server_5xx, alive, consistent, seconds = sys.argv[6:11]
wrk_errors = (wrk["ocsp_bad"] + wrk["http_non_200"] + wrk["socket_connect"] + wrk["socket_read"]
              + wrk["socket_write"] + wrk["timeouts"])
requests = wrk["requests"] + admin["requests"]
errors = wrk_errors + admin["errors"]
limit = 2 * rss_start + 20 * 1024
print(f"soak: {seconds}s: {requests} requests ({wrk['requests']} OCSP/CRL by wrk, "
      f"{admin['requests']} admin), {requests / float(wrk['duration_s'] or 1):.0f}/s; server counted {served}")
print(f"soak: errors: {errors} (wrk: {wrk['ocsp_bad']} bad OCSP, {wrk['http_non_200']} non-200, "
      f"{wrk['socket_connect']}/{wrk['socket_read']}/{wrk['socket_write']} connect/read/write, "
      f"{wrk['timeouts']} timeouts; admin: {admin['errors']}; server 5xx: {server_5xx})"
      + (f"; first: {wrk['first_error'] or admin['first_error']}" if errors else ""))
print(f"soak: answers: {wrk['ocsp_ok']} OCSP successful, {wrk['crl_ok']} CRLs, {wrk['other_ok']} other; "
      f"admin: {admin['cards']} cards created, {admin['revoked_serials']} certificates revoked")
print(f"soak: latency OCSP/CRL p50 {wrk['p50_ms']:.2f} ms, p99 {wrk['p99_ms']:.2f} ms, max {wrk['max_ms']:.2f} ms; "
      f"admin p50 {admin['p50_ms']} ms, p99 {admin['p99_ms']} ms")
print(f"soak: server RSS start {rss_start / 1024:.1f} MB, end {rss_end / 1024:.1f} MB, peak {rss_peak / 1024:.1f} MB "
      f"(limit {limit / 1024:.1f} MB = 2 x start + 20 MB)")
print(f"soak: server alive: {alive}; last admin revocation visible in OCSP and CRL: {consistent}")
failed = []
if errors: failed.append(f"{errors} errors")
if server_5xx not in ("0", "unknown"): failed.append(f"{server_5xx} server 5xx")
if alive != "yes": failed.append("server died")
if rss_end > limit: failed.append("RSS grew")
if consistent == "no": failed.append("revocation not visible")
if wrk["requests"] == 0: failed.append("no requests")
print("soak: " + ("FAIL: " + ", ".join(failed) if failed else "PASS"))
sys.exit(1 if failed else 0)
PY
