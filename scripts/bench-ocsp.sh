#!/usr/bin/env bash
# OCSP responder benchmark, side by side on one machine with one load generator, oha,
# which reconnects efficiently when a server closes the connection (wrk does not, and
# understated `openssl ocsp` 2-4x). The same DER requests go to:
#   - jpki-mock serve (RSA-2048 CA, every request logged at the default level);
#   - cfssl ocspserve (Debian golang-cfssl) serving jpki-mock's own pre-signed response
#     for the same certificate (pre-signed: it ignores a nonce, so no nonce rows; POST
#     only: its GET decoding turns the request's '+' into a space);
#   - openssl ocsp -index, one process and -multi 2, signing with the RSA-2048 CA key
#     (it closes the connection after every response; restarted for each run);
#   - a trivial hyper server (benches/trivial_http.rs) answering jpki-mock's response
#     bytes and doing nothing else: the ceiling, with keep-alive and with a new
#     connection per request (what a server that closes every connection pays).
# POST and GET without a nonce, POST with one, at concurrency 1 and 16, DURATION
# seconds each (default 10), the best of ROUNDS rounds (default 3; CLOSING_ROUNDS,
# default 2, for the responders that close every connection), each round going through
# every row in turn; about 13 minutes. Prints one table (req/s, p50, p99, answers other
# than 200), the ratios, and `openssl speed -multi 2 rsa2048` measured in the same run. Traffic stays on 127.0.0.1. Installs oha (cargo) and cfssl
# (apt) when missing.
# Usage: scripts/bench-ocsp.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
duration=${DURATION:-10}
rounds=${ROUNDS:-3}
closing_rounds=${CLOSING_ROUNDS:-2}
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

command -v oha >/dev/null || cargo install oha --locked
command -v cfssl >/dev/null || { apt-get update -qq && apt-get install -y -qq golang-cfssl; }
bin=$(jpki_binary) || exit 2
trivial=$(bench_executable trivial_http) || exit 2

work=$(mktemp -d)
pids=()
group=""
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  stop_group
  rm -rf "$work"
}
stop_group() { # openssl -multi moves into a process group of its own and ignores SIGTERM
  [ -z "$group" ] || kill -9 -- "-$group" 2>/dev/null || kill -9 "$group" 2>/dev/null || true
  group=""
  sleep 0.5
}
trap cleanup EXIT

# jpki-mock: a state with one signing certificate.
ours=$(free_port)
state="$work/state"
"$bin" --state "$state" init --base-url "http://127.0.0.1:$ours" >/dev/null
"$bin" --state "$state" issue --name "山田 太郎" --birth 1990-10-01 --gender male \
  --address "東京都品川区広町2-1-36" --only sign --out "$work/card" >/dev/null
"$bin" --state "$state" ca sign --pem --out "$work/ca.pem"
leaf="$work/card/sign.pem"
"$bin" --state "$state" serve --listen "127.0.0.1:$ours" >/dev/null 2>&1 &
pids+=($!)
wait_port "$ours"

# The requests, and jpki-mock's answer to the plain one (for cfssl and the ceiling).
openssl ocsp -issuer "$work/ca.pem" -cert "$leaf" -no_nonce -reqout "$work/req-plain.der" >/dev/null 2>&1
openssl ocsp -issuer "$work/ca.pem" -cert "$leaf" -reqout "$work/req-nonce.der" >/dev/null 2>&1
curl -sf --data-binary @"$work/req-plain.der" -H 'content-type: application/ocsp-request' \
  -o "$work/resp.der" "http://127.0.0.1:$ours/ocsp/sign"
get_path=$(base64 -w0 "$work/req-plain.der" |
  python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.stdin.read(), safe=""))')

# cfssl: the same pre-signed response, base64 on one line.
cfssl_port=$(free_port)
base64 -w0 "$work/resp.der" >"$work/responses"
cfssl ocspserve -address 127.0.0.1 -port "$cfssl_port" -responses "$work/responses" -loglevel 5 \
  >/dev/null 2>&1 &
pids+=($!)
wait_port "$cfssl_port"

# The ceiling: the same response bytes, nothing else.
trivial_port=$(free_port)
"$trivial" "$trivial_port" "$work/resp.der" &
pids+=($!)
wait_port "$trivial_port"

# openssl: an index holding the same certificate, signing with the CA key.
openssl_port=$(free_port)
serial=$(openssl x509 -in "$leaf" -noout -serial | cut -d= -f2)
expiry=$(date -u -d "$(openssl x509 -in "$leaf" -noout -enddate | cut -d= -f2)" +%y%m%d%H%M%SZ)
subject=$(openssl x509 -in "$leaf" -noout -subject -nameopt compat | sed 's/^subject=//')
printf 'V\t%s\t\t%s\tunknown\t%s\n' "$expiry" "$serial" "$subject" >"$work/index.txt"
# shellcheck disable=SC2120 # called with -multi 2 through best()
start_openssl() { # [-multi 2]
  openssl ocsp -index "$work/index.txt" -port "$openssl_port" -CA "$work/ca.pem" \
    -rsigner "$work/ca.pem" -rkey "$state/ca-sign.key" "$@" -ignore_err >/dev/null 2>&1 &
  group=$!
  wait_port "$openssl_port"
}

# Every responder answers the plain request with a verified "good" before timing.
start_openssl
for url in "http://127.0.0.1:$ours/ocsp/sign" "http://127.0.0.1:$cfssl_port/" \
  "http://127.0.0.1:$openssl_port/"; do
  openssl ocsp -issuer "$work/ca.pem" -cert "$leaf" -url "$url" -CAfile "$work/ca.pem" \
    -VAfile "$work/ca.pem" -no_nonce 2>&1 | grep -q ": good" ||
    { echo "the responder at $url did not answer good" >&2; exit 1; }
done
stop_group

# One oha run: prints "req/s p50_ms p99_ms not_200".
load() { # url mode concurrency [oha options…]
  local url=$1 mode=$2 c=$3
  shift 3
  local args=(--no-tui --output-format json -z "${duration}s" -c "$c" "$@")
  case $mode in
    post) args+=(-m POST -T application/ocsp-request -D "$work/req-plain.der" "$url") ;;
    nonce) args+=(-m POST -T application/ocsp-request -D "$work/req-nonce.der" "$url") ;;
    get) args+=("${url%/}/$get_path") ;;
  esac
  timeout $((duration + 30)) oha "${args[@]}" | python3 "$root/scripts/load/oha_summary.py"
}
once() { # responder-start-command url mode concurrency [oha options…]: one run
  local start=$1 url=$2 line
  shift 2
  # shellcheck disable=SC2086 # "start_openssl -multi 2" is a command and its arguments
  [ "$start" = - ] || $start
  line=$(load "$url" "$@")
  [ "$start" = - ] || stop_group
  echo "$line"
}

# Each row's best run so far, and the rows in the order first measured.
declare -A rate result
rows=()
row() { # label key start url mode c [oha options…]: one more run of a row
  local label=$1 key=$2 line
  shift 2
  line=$(once "$@")
  if [ -z "${rate[$key]:-}" ]; then rows+=("$key"); fi
  if [ -z "${rate[$key]:-}" ] || [ "${line%% *}" -gt "${rate[$key]}" ]; then
    rate[$key]=${line%% *}
    read -r rps p50 p99 bad <<<"$line"
    result[$key]=$(printf '%-32s %-6s %3s %9s %9s %9s %8s' "$label" "$3" "$4" "$rps" "$p50" "$p99" "$bad")
  fi
}

# The keep-alive responders, every row once.
keep_alive_round() {
  for c in 1 16; do
    for mode in post get; do
      row "trivial hyper (keep-alive)" "trivial-$mode-$c" - "http://127.0.0.1:$trivial_port/" "$mode" "$c"
      row "jpki-mock (cached)" "ours-$mode-$c" - "http://127.0.0.1:$ours/ocsp/sign" "$mode" "$c"
      # cfssl 1.2 reads a GET's base64 with QueryUnescape, which turns its '+' into a
      # space (this request has one): it answers 400, so it is timed on POST only.
      [ "$mode" = get ] ||
        row "cfssl ocspserve (pre-signed)" "cfssl-$mode-$c" - "http://127.0.0.1:$cfssl_port/" "$mode" "$c"
    done
    row "jpki-mock (signed per request)" "ours-nonce-$c" - "http://127.0.0.1:$ours/ocsp/sign" nonce "$c"
  done
}

# The responders that close every connection (and the trivial server doing so).
closing_round() {
  for c in 1 16; do
    for mode in post get; do
      row "trivial hyper (new connection)" "trivial-close-$mode-$c" - "http://127.0.0.1:$trivial_port/" "$mode" "$c" --disable-keepalive
      row "openssl ocsp" "openssl-$mode-$c" start_openssl "http://127.0.0.1:$openssl_port/" "$mode" "$c"
      row "openssl ocsp -multi 2" "multi-$mode-$c" "start_openssl -multi 2" "http://127.0.0.1:$openssl_port/" "$mode" "$c"
    done
    row "openssl ocsp" "openssl-nonce-$c" start_openssl "http://127.0.0.1:$openssl_port/" nonce "$c"
    row "openssl ocsp -multi 2" "multi-nonce-$c" "start_openssl -multi 2" "http://127.0.0.1:$openssl_port/" nonce "$c"
  done
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "oha $(oha --version | awk '{print $2}'), ${duration} s per run, best of $rounds rounds (closing responders: $closing_rounds)"
# Rounds go through every row in turn, so that the machine's drifts spread over all
# responders alike, rather than one row's runs back to back. The keep-alive rounds come
# first: the closing runs leave tens of thousands of sockets in TIME_WAIT for a minute,
# which slowed the next run on loopback by about a fifth (whichever server it was).
for _ in $(seq "$rounds"); do keep_alive_round; done
for _ in $(seq "$closing_rounds"); do closing_round; done
printf '%-32s %-6s %3s %9s %9s %9s %8s\n' responder mode c req/s p50_ms p99_ms not_200
for key in "${rows[@]}"; do echo "${result[$key]}"; done

signs=$(openssl speed -multi 2 -seconds 3 rsa2048 2>/dev/null | awk '/^rsa 2048/ {print $(NF-1)}' | tail -1)
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
echo
echo "ratios at concurrency 16:"
for mode in post get; do
  versus_cfssl=""
  [ -z "${rate[cfssl-$mode-16]:-}" ] || versus_cfssl="$(ratio "${rate[ours-$mode-16]}" "${rate[cfssl-$mode-16]}")x cfssl,"
  echo "  jpki-mock cached $mode: $(ratio "${rate[ours-$mode-16]}" "${rate[trivial-$mode-16]}") of the trivial server (keep-alive)," \
    ${versus_cfssl:+"$versus_cfssl"} \
    "$(ratio "${rate[ours-$mode-16]}" "${rate[openssl-$mode-16]}")x openssl ocsp," \
    "$(ratio "${rate[ours-$mode-16]}" "${rate[multi-$mode-16]}")x openssl ocsp -multi 2"
done
echo "  jpki-mock signed per request: ${rate[ours-nonce-16]} req/s = $(ratio "${rate[ours-nonce-16]}" "$signs") of" \
  "openssl speed -multi 2 rsa2048 ($signs sign/s, measured now; oha shares the two cores)"
