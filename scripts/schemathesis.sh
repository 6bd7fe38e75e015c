#!/usr/bin/env bash
# The admin API against its own OpenAPI document, with schemathesis: a fresh
# `jpki-mock serve --ephemeral` (an admin token of its own, a free port of 127.0.0.1),
# then `schemathesis run BASE/api/v1/openapi.json`, a bounded number of examples per
# operation, with its checks (no 5xx; documented statuses, content types and bodies;
# undocumented methods refused; the token enforced…). Then the server must still
# work: /healthz, both CAs listed, and a card issued now is `good` to `openssl ocsp`.
# CI runs it after `cargo build --release`.
#
# JPKI_MOCK_BIN: the binary (default target/release/jpki-mock). SCHEMATHESIS_EXAMPLES
# (default 20) bounds the examples per operation, SCHEMATHESIS_TIMEOUT (default 900)
# the run, in seconds. Installs python3-venv, curl and openssl with apt when missing
# (Debian, as root) and schemathesis from PyPI into a virtualenv in a temporary
# directory. Exits non-zero on any failure.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
schemathesis_version=4.32.5
examples=${SCHEMATHESIS_EXAMPLES:-20}
limit=${SCHEMATHESIS_TIMEOUT:-900}
bin=${JPKI_MOCK_BIN:-$root/target/release/jpki-mock}

say() { printf '%s\n' "$*"; }
die() { say "schemathesis.sh: $*" >&2; exit 1; }

[ -x "$bin" ] || die "no executable at $bin (cargo build --release, or set JPKI_MOCK_BIN)"
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac

# Nothing from the caller's environment may steer the server, and 127.0.0.1 is never
# reached through a proxy.
unset JPKI_MOCK_STATE JPKI_MOCK_CONFIG JPKI_MOCK_NOW JPKI_MOCK_BASE_URL JPKI_MOCK_LISTEN \
  JPKI_MOCK_SEED JPKI_MOCK_ADMIN_TOKEN
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

apt_install() {
  command -v apt-get >/dev/null || die "missing $*, and no apt-get to install it"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
command -v python3 >/dev/null || apt_install python3
command -v curl >/dev/null || apt_install curl
command -v openssl >/dev/null || apt_install openssl

work=$(mktemp -d "${TMPDIR:-/tmp}/jpki-schemathesis.XXXXXX")
server=""
cleanup() {
  local rc=$?
  trap - EXIT
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  if [ "$rc" != 0 ] && [ -s "$work/server.log" ]; then
    say "--- server log (last 30 lines) ---" >&2
    tail -n 30 "$work/server.log" >&2
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# --- schemathesis, in a virtualenv of its own (Debian's python3 needs python3-venv) ----
if ! python3 -m venv "$work/venv" >/dev/null 2>&1; then
  apt_install python3-venv
  rm -rf "$work/venv"
  python3 -m venv "$work/venv"
fi
"$work/venv/bin/pip" install --quiet --disable-pip-version-check \
  "schemathesis==$schemathesis_version"

# --- The server -----------------------------------------------------------------------
token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
"$bin" serve --ephemeral --listen 127.0.0.1:0 --admin-token "$token" \
  >"$work/server.out" 2>"$work/server.log" &
server=$!
ready=""
for _ in $(seq 300); do # up to 30 s
  ready=$(grep -m1 '"jpki_mock":"ready"' "$work/server.out" || true)
  [ -n "$ready" ] && break
  kill -0 "$server" 2>/dev/null || die "the server exited before it was ready"
  sleep 0.1
done
[ -n "$ready" ] || die "the server printed no ready line within 30 s"
listen=$("$work/venv/bin/python" -c 'import json, sys; print(json.loads(sys.argv[1])["listen"])' "$ready")
base=http://$listen
say "server ready at $base"

# --- schemathesis ---------------------------------------------------------------------
cd "$work" # where it keeps its .schemathesis/ directory
# Every check but positive_data_acceptance: the schema says which fields are strings,
# not which names, addresses and dates JPKI accepts, so a valid-looking body may rightly
# be 400 or 409.
status=0
timeout -k 10 "$limit" "$work/venv/bin/schemathesis" run "$base/api/v1/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks all --exclude-checks positive_data_acceptance \
  --max-examples "$examples" --request-timeout 30 --workers 1 \
  --no-color || status=$?
case $status in
  0) ;;
  124 | 137) die "schemathesis did not finish within $limit s" ;;
  *) die "schemathesis found failures (exit $status)" ;;
esac

# --- The server still works -----------------------------------------------------------
api() { # METHOD PATH [JSON]: the admin API's reply body; fails on an HTTP error
  curl -sSf --max-time 30 -X "$1" -H "Authorization: Bearer $token" \
    ${3:+-H 'Content-Type: application/json' --data "$3"} "$base/api/v1$2"
}
kill -0 "$server" 2>/dev/null || die "the server died"
[ "$(curl -sSf --max-time 10 "$base/healthz")" = ok ] || die "/healthz is not ok"
# The run may have left faults in force and the clock moved: back to normal.
api DELETE /faults >/dev/null
api DELETE /clock >/dev/null
api GET /ca >"$work/ca.json"
"$work/venv/bin/python" - "$work/ca.json" <<'EOF' || die "GET /api/v1/ca does not list both CAs"
import json, sys
cas = {view["ca"] for view in json.load(open(sys.argv[1]))}
sys.exit(0 if cas == {"sign", "auth"} else 1)
EOF
api POST /cards '{"name": "山田 太郎", "birth": "1990-10-01", "gender": "male",
  "address": "東京都品川区広町2-1-36", "key_alg": "p256"}' >"$work/card.json"
"$work/venv/bin/python" - "$work" <<'EOF'
import json, re, sys
work = sys.argv[1]
sign = json.load(open(f"{work}/card.json"))["sign"]
certs = re.findall(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----\n", sign["chain_pem"], re.S)
open(f"{work}/leaf.pem", "w").write(certs[0])
open(f"{work}/ca.pem", "w").write(certs[1])
EOF
openssl ocsp -issuer "$work/ca.pem" -cert "$work/leaf.pem" -url "$base/ocsp/sign" \
  -CAfile "$work/ca.pem" >"$work/ocsp.out" 2>&1 || { cat "$work/ocsp.out" >&2; die "openssl ocsp failed"; }
grep -q "^$work/leaf.pem: good$" "$work/ocsp.out" || { cat "$work/ocsp.out" >&2; die "the new card's certificate is not good"; }
say "after the run: /healthz ok, both CAs listed, a new card's certificate good over OCSP"
