#!/usr/bin/env bash
# The stores side by side (issue 18): one `jpki-mock serve` on SQLite (a state
# directory) and one on PostgreSQL (a schema of the database STORE names, made for the
# run and dropped after it), the same load on each, one oha at a time:
#   - OCSP POST without a nonce (the cached path: on PostgreSQL every answer still
#     confirms the stored revision with one query, so that replicas never answer stale);
#   - OCSP POST with a nonce (signed per request);
#   - issuance: POST /api/v1/cards (p256 keys, so that the store's share shows: an
#     RSA-2048 card spends ~200 ms making keys), concurrency 4;
# then the CRL of N revoked entries (default 1,000,000) built from each store
# (benches/crl.rs, best of RUNS, default 1). DURATION seconds per oha run (default 10),
# OCSP at concurrency 16; RSA-2048 CAs. Prints one table. Traffic stays on 127.0.0.1.
# Installs oha (cargo) when missing; needs psql to drop the schema.
# Usage: STORE=postgres://USER:PASSWORD@127.0.0.1:5432/DB scripts/bench-store.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
n=${1:-1000000}
duration=${DURATION:-10}
runs=${RUNS:-1}
[ -n "${STORE:-}" ] || { echo "set STORE=postgres://USER:PASSWORD@HOST:PORT/DB" >&2; exit 2; }
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

command -v oha >/dev/null || cargo install oha --locked
bin=$(jpki_binary) || exit 2
crl_bench=$(bench_executable crl) || exit 2

work=$(mktemp -d)
schema=bench_store_$$
separator='?'
case $STORE in *\?*) separator='&' ;; esac
pg_url="$STORE${separator}schema=$schema"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -q "$STORE" -c "DROP SCHEMA IF EXISTS $schema CASCADE" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# One server per store, each with one signing certificate and the two OCSP requests.
declare -A port
for store in sqlite postgres; do
  case $store in
    sqlite) where=(--state "$work/state") ;;
    postgres) where=(--store "$pg_url") ;;
  esac
  port[$store]=$(free_port)
  "$bin" "${where[@]}" init --base-url "http://127.0.0.1:${port[$store]}" >/dev/null
  "$bin" "${where[@]}" issue --name "山田 太郎" --birth 1990-10-01 --gender male \
    --address "東京都品川区広町2-1-36" --only sign --out "$work/$store" >/dev/null
  "$bin" "${where[@]}" ca sign --pem --out "$work/$store/ca.pem"
  JPKI_MOCK_LOG=warn "$bin" "${where[@]}" serve --listen "127.0.0.1:${port[$store]}" \
    >/dev/null 2>"$work/$store.err" &
  pids+=($!)
  wait_port "${port[$store]}"
  openssl ocsp -issuer "$work/$store/ca.pem" -cert "$work/$store/sign.pem" -no_nonce \
    -reqout "$work/$store/plain.der" >/dev/null 2>&1
  openssl ocsp -issuer "$work/$store/ca.pem" -cert "$work/$store/sign.pem" \
    -reqout "$work/$store/nonce.der" >/dev/null 2>&1
  openssl ocsp -issuer "$work/$store/ca.pem" -cert "$work/$store/sign.pem" \
    -url "http://127.0.0.1:${port[$store]}/ocsp/sign" -CAfile "$work/$store/ca.pem" -no_nonce 2>&1 |
    grep -q ": good" || { echo "the $store server did not answer good" >&2; exit 1; }
done
cat >"$work/card.json" <<'JSON'
{"name": "山田 太郎", "birth": "1990-10-01", "gender": "male",
 "address": "東京都品川区広町2-1-36", "key_alg": "p256"}
JSON

# One oha run: prints "req/s p50_ms p99_ms not_expected".
load() { # store kind
  local store=$1 url="http://127.0.0.1:${port[$1]}"
  local args=(--no-tui --output-format json -z "${duration}s")
  local expected=200
  case $2 in
    cached) args+=(-c 16 -m POST -T application/ocsp-request -D "$work/$store/plain.der" "$url/ocsp/sign") ;;
    nonce) args+=(-c 16 -m POST -T application/ocsp-request -D "$work/$store/nonce.der" "$url/ocsp/sign") ;;
    issue)
      args+=(-c 4 -m POST -T application/json -D "$work/card.json" "$url/api/v1/cards")
      expected=201
      ;;
  esac
  timeout $((duration + 30)) oha "${args[@]}" |
    python3 "$root/scripts/load/oha_summary.py" "$expected"
}

echo "oha $(oha --version | awk '{print $2}'), ${duration} s per run; PostgreSQL $(psql -tA "$STORE" -c 'SHOW server_version')"
printf '%-34s %-9s %9s %8s %8s %6s\n' load store req/s p50_ms p99_ms errors
for kind in cached nonce issue; do
  case $kind in
    cached) label="OCSP POST, no nonce (cached), c16" ;;
    nonce) label="OCSP POST, nonce (signed), c16" ;;
    issue) label="issuance, p256, c4" ;;
  esac
  for store in sqlite postgres; do
    read -r rps p50 p99 bad < <(load "$store" "$kind")
    printf '%-34s %-9s %9s %8s %8s %6s\n' "$label" "$store" "$rps" "$p50" "$p99" "$bad"
  done
done
for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
pids=()

# The CRL of N revoked entries, built from each store (its own state or schema).
printf '\n%-10s %-10s %10s %12s %10s %12s\n' store entries seconds bytes peak_MiB load_seconds
for store in sqlite postgres; do
  best=""
  for _ in $(seq "$runs"); do
    case $store in
      sqlite) line=$(STORE='' "$crl_bench" "$n") ;;
      postgres) line=$(STORE="$STORE" "$crl_bench" "$n") ;;
    esac
    s=$(sed -E 's/.*build_seconds=([0-9.]+).*/\1/' <<<"$line")
    best=$(python3 -c "print(min(x for x in [$s, ${best:-$s}]))")
  done
  printf '%-10s %-10s %10s %12s %10s %12s\n' "$store" "$n" "$best" \
    "$(sed -E 's/.*crl_bytes=([0-9]+).*/\1/' <<<"$line")" \
    "$(sed -E 's/.*peak_rss_mib=([0-9]+).*/\1/' <<<"$line")" \
    "$(sed -E 's/.*bulk_load_seconds=([0-9.]+).*/\1/' <<<"$line")"
done
