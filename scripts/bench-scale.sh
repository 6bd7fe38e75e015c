#!/usr/bin/env bash
# Scale benchmark (issue 14): a state of N cards (default 1,000,000; RSA-2048 CAs, the
# configured key algorithm, 10% of the cards revoked, keys from populate's pool of 64)
# built by `jpki-mock populate` (timed), then `jpki-mock serve` on it:
#   - OCSP over random serials: oha GET /ocsp/sign/{base64} with --urls-from-file, a
#     file of SAMPLE (default 50,000) distinct requests for serials drawn at random from
#     the state's signing certificates, each picked at random per request (oha takes
#     one POST body only, and GET runs the same responder code after decoding); plus,
#     for comparison, POST of one request (the cached path);
#   - serve's peak RSS (VmHWM) after that load;
#   - the CRL: the first GET /crl/sign.crl (built then) and `jpki-mock crl sign --out`
#     (a separate process: opens the state, builds, signs, writes; best of RUNS,
#     default 3).
# Concurrency 16, DURATION seconds per oha run (default 10). Prints one table with the
# goals. The state goes in a temporary directory under WORK (default: $TMPDIR or /tmp;
# about 5.5 KB a card) and is removed at the end. Installs oha (cargo) when missing.
# Usage: scripts/bench-scale.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
n=${1:-1000000}
duration=${DURATION:-10}
sample=${SAMPLE:-50000}
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

command -v oha >/dev/null || cargo install oha --locked
bin=$(jpki_binary) || exit 2

work=$(mktemp -d "${WORK:-${TMPDIR:-/tmp}}/bench-scale.XXXXXX")
server=""
cleanup() {
  [ -z "$server" ] || kill "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
seconds_since() { python3 -c "import time; print(f'{time.time() - $1:.3f}')"; }

port=$(free_port)
state="$work/state"
base="http://127.0.0.1:$port"
"$bin" --state "$state" init --base-url "$base" >/dev/null

# 1. populate, timed (the summary is its own measure; the wall time is ours).
start=$(date +%s.%N)
"$bin" --state "$state" --json populate --cards "$n" >"$work/populate.json"
populate_s=$(seconds_since "$start")
read -r cards certificates revoked rate state_bytes per_card < <(python3 - "$work/populate.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(s["cards"], s["certificates"], s["revoked"], s["cards_per_second"], s["state_bytes"], s["bytes_per_card"])
PY
)

# 2. The OCSP requests: one made by openssl, its serial swapped for SAMPLE random ones.
"$bin" --state "$state" ca sign --pem --out "$work/ca-sign.pem"
first=$(python3 - "$state/jpki-mock.sqlite3" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT serial FROM certificates WHERE kind = 'sign' ORDER BY serial LIMIT 1").fetchone()[0])
PY
)
openssl ocsp -issuer "$work/ca-sign.pem" -serial "$first" -no_nonce -reqout "$work/template.der" >/dev/null 2>&1
python3 - "$state/jpki-mock.sqlite3" "$work/template.der" "$first" "$sample" "$base" "$work/urls.txt" <<'PY'
import base64, sqlite3, sys, urllib.parse
db_path, template_path, first, sample, base, out = sys.argv[1:]
template = open(template_path, "rb").read()
# Every serial is a positive 4-byte INTEGER, so only those four bytes change.
old = b"\x02\x04" + int(first).to_bytes(4, "big")
assert template.count(old) == 1, "the serial is not in the template once"
db = sqlite3.connect(db_path)
rows = db.execute("SELECT serial FROM certificates WHERE kind = 'sign' ORDER BY RANDOM() LIMIT ?", (int(sample),))
with open(out, "w") as f:
    for (serial,) in rows:
        der = template.replace(old, b"\x02\x04" + serial.to_bytes(4, "big"))
        f.write(f"{base}/ocsp/sign/{urllib.parse.quote(base64.b64encode(der).decode(), safe='')}\n")
PY
urls=$(wc -l <"$work/urls.txt")

# 3. serve, and the CRL built on its first request.
"$bin" --state "$state" serve --listen "127.0.0.1:$port" >/dev/null 2>&1 &
server=$!
wait_port "$port"
crl_get_s=$(curl -sf -o "$work/sign.crl" -w '%{time_total}' "$base/crl/sign.crl")
crl_entries=$(openssl crl -inform DER -in "$work/sign.crl" -noout -text | grep -c "Serial Number:" || true)
crl_bytes=$(stat -c %s "$work/sign.crl")
# One answer checked before timing: signed by the responder, status good or revoked.
openssl ocsp -issuer "$work/ca-sign.pem" -serial "$first" -url "$base/ocsp/sign" \
  -CAfile "$work/ca-sign.pem" -VAfile "$work/ca-sign.pem" -no_nonce 2>&1 |
  grep -Eq ": (good|revoked)" || { echo "the responder did not answer for serial $first" >&2; exit 1; }

load() { # oha arguments…: prints "req/s p50_ms p99_ms not_200"
  timeout $((duration + 30)) oha --no-tui --output-format json -z "${duration}s" -c 16 "$@" |
    python3 "$root/scripts/load/oha_summary.py"
}
read -r get_rps get_p50 get_p99 get_bad < <(load --urls-from-file "$work/urls.txt")
read -r post_rps post_p50 post_p99 post_bad < <(load -m POST -T application/ocsp-request \
  -D "$work/template.der" "$base/ocsp/sign")
rss_mb=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$server/status")
kill "$server"
wait "$server" 2>/dev/null || true
server=""

# 4. The CRL by the CLI, a process of its own: the best of RUNS (default 3).
crl_cli_s=""
for _ in $(seq "${RUNS:-3}"); do
  start=$(date +%s.%N)
  "$bin" --state "$state" crl sign --out "$work/sign-cli.crl"
  s=$(seconds_since "$start")
  crl_cli_s=$(python3 -c "print(min($s, ${crl_cli_s:-$s}))")
done

goal_populate=$(python3 -c "print(f'{$n * 0.0006:.0f}')")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); oha $(oha --version | awk '{print $2}'), c=16, ${duration} s per run"
printf '%-52s %16s %10s\n' figure value goal
row() { printf '%-52s %16s %10s\n' "$1" "$2" "$3"; }
row "populate $n cards (wall), s" "$populate_s" "≤ $goal_populate"
row "populate rate, cards/s" "$rate" ""
row "certificates / revoked certificates" "$certificates / $revoked" ""
row "state size, bytes" "$state_bytes" ""
row "state bytes per card" "$per_card" ""
row "OCSP GET, $urls random serials, req/s" "$get_rps" ""
row "  p50 / p99 ms, answers not 200" "$get_p50 / $get_p99, $get_bad" ""
row "OCSP POST, one serial (cached), req/s" "$post_rps" ""
row "  p50 / p99 ms, answers not 200" "$post_p50 / $post_p99, $post_bad" ""
row "serve peak RSS (VmHWM) after the load, MB" "$rss_mb" "≤ 300"
row "CRL sign: first GET /crl/sign.crl, s" "$crl_get_s" "≤ 0.3"
row "CRL sign: jpki-mock crl sign --out (best of ${RUNS:-3}), s" "$crl_cli_s" "≤ 0.3"
row "CRL sign: entries / bytes" "$crl_entries / $crl_bytes" ""
[ "$cards" = "$n" ] || echo "populate stopped early: $cards of $n cards" >&2
