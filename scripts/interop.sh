#!/usr/bin/env bash
# OCSP interoperability: real clients against a running jpki-mock, each with a good and
# a revoked certificate: Python `cryptography` (SHA-1 and SHA-256 CertIDs, POST and
# GET, responder and signature verified) and Java's PKIXRevocationChecker (OCSP only).
# Runs what the machine has (INTEROP_REQUIRE_ALL=1: a missing client fails); installs
# `cryptography` with pip when missing. 127.0.0.1 only. Ends with "N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
here=scripts/interop
bin=${JPKI_MOCK:-}
if [ -z "$bin" ]; then
  cargo build --quiet --release
  bin=target/release/jpki-mock
fi
work=$(mktemp -d)
server=""
cleanup() {
  [ -z "$server" ] || kill "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
state="$work/state"
"$bin" --state "$state" init --base-url "$base" >/dev/null
JPKI_MOCK_LOG=warn "$bin" --state "$state" serve --listen "127.0.0.1:$port" >/dev/null 2>&1 &
server=$!
for _ in $(seq 100); do
  curl -sf "$base/healthz" >/dev/null && break
  sleep 0.1
done
curl -sf "$base/healthz" >/dev/null || { echo "the server did not start" >&2; exit 1; }

for card in good revoked; do
  "$bin" --state "$state" issue --name "山田 太郎" --birth 1990-10-01 --gender male \
    --address "東京都品川区広町2-1-36" --out "$work/$card" >/dev/null
done
"$bin" --state "$state" revoke --card 2 --cause stolen >/dev/null     # keyCompromise
"$bin" --state "$state" ca sign --pem --out "$work/ca-sign.pem"

passed=0
failed=0
record() { # the client's output
  echo "$1"
  passed=$((passed + $(grep -c '^PASS' <<<"$1" || true)))
  failed=$((failed + $(grep -c '^FAIL' <<<"$1" || true)))
}
missing() {
  if [ "${INTEROP_REQUIRE_ALL:-0}" = 1 ]; then
    echo "FAIL $1: not installed"
    failed=$((failed + 1))
  else
    echo "SKIPPED: $1 not installed"
  fi
}

# Python cryptography.
if command -v python3 >/dev/null && { python3 -c 'import cryptography' 2>/dev/null \
    || python3 -m pip install --quiet cryptography >/dev/null 2>&1; }; then
  for hash in sha1 sha256; do
    for method in post get; do
      record "$(python3 "$here/ocsp_check.py" "$work/ca-sign.pem" "$work/good/sign.pem" "$base/ocsp/sign" good - "$hash" "$method" || true)"
      record "$(python3 "$here/ocsp_check.py" "$work/ca-sign.pem" "$work/revoked/sign.pem" "$base/ocsp/sign" revoked key_compromise "$hash" "$method" || true)"
    done
  done
else
  missing "python3 with cryptography"
fi

# Java PKIXRevocationChecker.
if command -v javac >/dev/null && command -v java >/dev/null; then
  javac -d "$work/java" "$here/OcspCheck.java"
  for card in good revoked; do
    record "$(java -cp "$work/java" OcspCheck "$work/ca-sign.pem" "$work/$card/sign.pem" "$base/ocsp/sign" "$card" 2>&1 || true)"
  done
else
  missing "java"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
