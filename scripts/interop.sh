#!/usr/bin/env bash
# OCSP interoperability: real relying-party clients against a running jpki-mock, each
# with a good and a revoked (stolen card → keyCompromise) certificate:
#   - Python `cryptography` (scripts/interop/ocsp_check.py): SHA-1 and SHA-256 CertIDs,
#     POST and GET, a nonce; the responder certificate and the response signature are
#     verified by hand; the auth CA too, through the shared /ocsp endpoint;
#   - Python `cryptography` (scripts/interop/crl_check.py) reads every CRL partition and
#     every CA generation, on a second state with the municipality CRL layout and the
#     production profile (directoryName distribution points): cards in two
#     municipalities, a stolen one, `ca rollover sign` and a card from generation 2.
#     /ca/{sign,auth}/{N}.cer is what `ca list` prints; /crl/index.json lists exactly the
#     certificates' distribution points; each partition is signed by its generation's key
#     (not the other generation's), its IDP is the certificates' directoryName, it has a
#     cRLNumber; the revoked serials are in their own partition only, as keyCompromise;
#     the new card's AKI is generation 2's SKI and its partition is /crl/sign/2/…;
#   - Java's PKIXRevocationChecker (scripts/interop/OcspCheck.java), OCSP only, no
#     fallback, with the responder URL given, and from the certificate's AIA (with a
#     nonce);
#   - Java's HttpClient (scripts/interop/TooLarge.java): an 11 MB POST to /ocsp/sign and
#     to the admin API reads the 413 and its error body (no reset while still sending);
#   - the provisional next-gen preset (a third state, `preset = "next-gen"` at init):
#     pyca checks that the CA, the cards' certificates (default key: no --key-alg), the
#     CRL, the OCSP responses and their responder are ecdsa-with-SHA384 with secp384r1
#     keys and verifies every signature (ocsp_check.py --expect-alg p384 --crl);
#     Java's PKIXRevocationChecker validates the P-384 chain with OCSP
#     (-Dinterop.sigalg=SHA384withECDSA -Dinterop.ecbits=384).
# It builds the binary (or takes $JPKI_MOCK), serves three fresh states (OCSP; CRL
# partitions; next-gen) on free ports of 127.0.0.1, issues the cards with the real clock
# and stops the servers on exit.
# Runs the clients the machine has ("SKIPPED: <client> not installed" for the others;
# INTEROP_REQUIRE_ALL=1 makes a missing client a failure); installs `cryptography` with
# pip when it is missing. Prints one PASS/FAIL line per check, then "N passed, M failed";
# exits 1 if a check failed. INTEROP_KEEP=1 keeps the work directory (certificates,
# server logs); INTEROP_TIMEOUT (default 120) bounds each client run, in seconds.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
here=$root/scripts/interop
client_timeout=${INTEROP_TIMEOUT:-120}

say() { printf '%s\n' "$*"; }
die() { say "interop.sh: $*" >&2; exit 1; }

# Nothing from the caller's environment may steer the server (clock, config, URLs),
# and 127.0.0.1 is never reached through a proxy.
unset JPKI_MOCK_STATE JPKI_MOCK_CONFIG JPKI_MOCK_NOW JPKI_MOCK_BASE_URL JPKI_MOCK_LISTEN \
  JPKI_MOCK_SEED JPKI_MOCK_ADMIN_TOKEN
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

# bounded SECONDS COMMAND…: with a time limit when coreutils' timeout exists.
bounded() {
  local secs=$1
  shift
  if command -v timeout >/dev/null; then
    timeout -k 5 "$secs" "$@"
  else
    "$@"
  fi
}

# --- The binary ---------------------------------------------------------------------
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"
bin=$(jpki_binary) || die "no jpki-mock to run"

# --- Work directory, servers, clean-up -----------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/jpki-interop.XXXXXX")
servers="" # the pids of the servers started, space-separated
stop_server() { # PID
  kill "$1" 2>/dev/null || true
  for _ in $(seq 50); do # up to 5 s, then SIGKILL
    kill -0 "$1" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM HUP
  for pid in $servers; do
    stop_server "$pid"
  done
  if [ "${INTEROP_KEEP:-0}" = 1 ]; then
    say "work directory kept: $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP


# GET /healthz answers 200 "ok" (curl, or bash's /dev/tcp when curl is missing).
healthy() {
  if command -v curl >/dev/null; then
    [ "$(curl -sf --noproxy '*' --max-time 2 "$base/healthz" 2>/dev/null)" = ok ]
  else
    # shellcheck disable=SC2016 # $1 and $status belong to the inner bash
    bounded 3 bash -c '
      exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
      printf "GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3
      IFS= read -r status <&3 && [[ $status == "HTTP/1."?" 200"* ]]' _ "$port" 2>/dev/null
  fi
}

# cli ARGS…: jpki-mock --state DIR ARGS…, output in $work/cli.out; a failure ends the
# script with the command's stderr.
cli() {
  if ! bounded 60 "$bin" --state "$state" "$@" >"$work/cli.out" 2>"$work/cli.err"; then
    say "setup failed: jpki-mock --state $state $*" >&2
    sed 's/^/    /' "$work/cli.err" >&2
    exit 1
  fi
}

# serve NAME [OPTION…]: a fresh state, initialised (`init` with the global OPTIONs, e.g.
# --config FILE) and served on a free port; sets state, port, base, server (its pid) and
# log ($work/NAME.log). cli and healthy work on the last one started.
serve() {
  local name=$1 attempt
  shift
  log="$work/$name.log"
  for attempt in 1 2 3 4 5; do
    port=$(free_port) || die "no free port found on 127.0.0.1"
    base="http://127.0.0.1:$port"
    state="$work/$name-state-$attempt"
    cli "$@" init --base-url "$base"
    JPKI_MOCK_LOG=warn "$bin" --state "$state" serve --listen "127.0.0.1:$port" \
      >"$log" 2>&1 </dev/null &
    server=$!
    servers="$servers $server"
    for _ in $(seq 150); do # up to 15 s
      healthy && return 0
      kill -0 "$server" 2>/dev/null || break # it exited: the port was taken, or worse
      sleep 0.1
    done
    say "the $name server did not come up on $base (attempt $attempt); its output:" >&2
    sed 's/^/    /' "$log" >&2
    stop_server "$server"
    servers=${servers% "$server"}
  done
  die "the $name server never came up"
}

# --- Cards, revocation, CA certificates ----------------------------------------------
# The real clock (no --now): Java validates against it.
tokyo="東京都品川区広町2-1-36"
osaka="大阪府大阪市北区梅田1-1-3"
issue() { # DIR ADDRESS [OPTION…]: issues a card into DIR, prints its id
  cli issue --name "山田 太郎" --birth 1990-10-01 --gender male --address "$2" --out "$1" "${@:3}"
  sed -n '/"card_id"/{s/^ *"card_id": *\([0-9][0-9]*\).*/\1/p;q;}' "$work/cli.out"
}

# For OCSP: the built-in configuration, a good card and a stolen one.
serve ocsp
ocsp_base=$base ocsp_server=$server
good_card=$(issue "$work/good" "$tokyo")
revoked_card=$(issue "$work/revoked" "$tokyo")
[ -n "$good_card" ] && [ -n "$revoked_card" ] || die "could not read the card ids from 'issue'"
cli revoke --card "$revoked_card" --cause stolen # keyCompromise, both certificates
grep -q '"reason": *"keyCompromise"' "$work/cli.out" \
  || { cat "$work/cli.out" >&2; die "revoke --cause stolen did not report keyCompromise"; }
cli ca sign --pem --out "$work/ca-sign.pem"
cli ca auth --pem --out "$work/ca-auth.pem"
for f in good/sign.pem good/auth.pem revoked/sign.pem revoked/auth.pem ca-sign.pem ca-auth.pem; do
  [ -s "$work/$f" ] || die "missing $work/$f"
done

# For CRL partitions: the municipality layout and the production profile (recorded at
# init), a card in Shinagawa (stolen) and one in Osaka, then a sign CA rollover and one
# more card in Shinagawa, issued by generation 2.
cat >"$work/municipality.toml" <<'EOF'
[crl]
layout = "municipality"

[profile]
crl_dp_uri = false
EOF
serve crl --config "$work/municipality.toml"
crl_base=$base crl_server=$server
stolen_card=$(issue "$work/crl/stolen" "$tokyo" --key-alg p256)
issue "$work/crl/osaka" "$osaka" --key-alg p256 >/dev/null
[ -n "$stolen_card" ] || die "could not read the card id from 'issue'"
cli revoke --card "$stolen_card" --cause stolen
cli ca rollover sign
issue "$work/crl/rolled" "$tokyo" --key-alg p256 >/dev/null
cli ca list
cp "$work/cli.out" "$work/crl/ca-list.json"
for f in stolen/sign.pem stolen/auth.pem osaka/sign.pem osaka/auth.pem rolled/sign.pem rolled/auth.pem; do
  [ -s "$work/crl/$f" ] || die "missing $work/crl/$f"
done

# For the provisional next-gen preset (recorded at init, so that `serve` and `issue`
# follow it without the file): a good card and a stolen one, with the preset's default
# key, the sign CA and its CRL.
printf 'preset = "next-gen"\n' >"$work/next-gen.toml"
serve nextgen --config "$work/next-gen.toml"
ng_base=$base ng_server=$server
ng_good=$(issue "$work/ng/good" "$tokyo")
ng_revoked=$(issue "$work/ng/revoked" "$tokyo")
[ -n "$ng_good" ] && [ -n "$ng_revoked" ] || die "could not read the next-gen card ids from 'issue'"
cli revoke --card "$ng_revoked" --cause stolen
cli ca sign --pem --out "$work/ng/ca-sign.pem"
cli crl sign --out "$work/ng/crl-sign.der"
for f in good/sign.pem revoked/sign.pem ca-sign.pem crl-sign.der; do
  [ -s "$work/ng/$f" ] || die "missing $work/ng/$f"
done

# --- Checks --------------------------------------------------------------------------
passed=0
failed=0
client_failed=0 # failures of checks that ran (not of missing clients)
# run LABEL COMMAND…: the command prints PASS/FAIL lines; a non-zero exit without a
# FAIL line (a crash, a timeout) is one more failure, reported with the output.
run() {
  local label=$1 out rc=0 p f
  shift
  out=$(bounded "$client_timeout" "$@" 2>&1) || rc=$?
  p=$(grep -c '^PASS' <<<"$out" || true)
  f=$(grep -c '^FAIL' <<<"$out" || true)
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    [ "$rc" -ne 124 ] || out="$out${out:+$'\n'}(timed out after ${client_timeout}s)"
    say "FAIL $label: exit status $rc"
    [ -z "$out" ] || sed 's/^/    /' <<<"$out"
    f=1
  else # PASS/FAIL lines and their indented details; anything else (warnings) indented
    sed -e '/^PASS /b' -e '/^FAIL /b' -e '/^    /b' -e 's/^/    /' <<<"$out"
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  client_failed=$((client_failed + f))
}
missing() { # CLIENT [WHY]
  if [ "${INTEROP_REQUIRE_ALL:-0}" = 1 ]; then
    say "FAIL $1: not installed${2:+ ($2)}"
    failed=$((failed + 1))
  else
    say "SKIPPED: $1 not installed${2:+ ($2)}"
  fi
}

# Python cryptography.
have_cryptography() { python3 -c 'import cryptography.x509.ocsp' 2>/dev/null; }
pip_install() { # ARGS…
  bounded 300 python3 -m pip install --quiet --disable-pip-version-check "$@" cryptography \
    >>"$work/pip.log" 2>&1 && have_cryptography
}
if ! command -v python3 >/dev/null; then
  missing python3
elif ! have_cryptography && ! pip_install && ! pip_install --user; then
  missing "python3 cryptography" "pip install cryptography failed: $(tail -n 1 "$work/pip.log" 2>/dev/null)"
else
  py=(python3 "$here/ocsp_check.py")
  run "python good" "${py[@]}" "$work/ca-sign.pem" "$work/good/sign.pem" "$ocsp_base/ocsp/sign" good
  run "python revoked" "${py[@]}" "$work/ca-sign.pem" "$work/revoked/sign.pem" "$ocsp_base/ocsp/sign" \
    revoked key_compromise
  # The auth CA through the shared endpoint, which dispatches on the CertID.
  run "python good auth" "${py[@]}" "$work/ca-auth.pem" "$work/good/auth.pem" "$ocsp_base/ocsp" \
    good --hash sha256 --tag "auth /ocsp"
  run "python revoked auth" "${py[@]}" "$work/ca-auth.pem" "$work/revoked/auth.pem" "$ocsp_base/ocsp" \
    revoked key_compromise --hash sha256 --tag "auth /ocsp"
  # pyca reads every CRL partition and every CA generation.
  run "python crl" python3 "$here/crl_check.py" "$crl_base" "$work/crl/ca-list.json" "$work/crl/osaka" \
    --revoked "$work/crl/stolen" --rolled "$work/crl/rolled"
  # next-gen: P-384 and SHA-384 on the certificates, the CRL and the OCSP answers.
  ng=(--expect-alg p384 --crl "$work/ng/crl-sign.der" --tag next-gen)
  run "python next-gen good" "${py[@]}" "$work/ng/ca-sign.pem" "$work/ng/good/sign.pem" \
    "$ng_base/ocsp/sign" good "${ng[@]}"
  run "python next-gen revoked" "${py[@]}" "$work/ng/ca-sign.pem" "$work/ng/revoked/sign.pem" \
    "$ng_base/ocsp/sign" revoked key_compromise "${ng[@]}"
fi

# Java: PKIXRevocationChecker, and HttpClient for the 413.
if ! command -v java >/dev/null || ! command -v javac >/dev/null; then
  missing java "java and javac are needed"
elif ! bounded "$client_timeout" javac -d "$work/java" "$here/OcspCheck.java" "$here/TooLarge.java" \
  >"$work/javac.log" 2>&1; then
  say "FAIL java: javac OcspCheck.java TooLarge.java failed"
  sed 's/^/    /' "$work/javac.log"
  failed=$((failed + 1))
  client_failed=$((client_failed + 1))
else
  java=(java -Dcom.sun.security.ocsp.timeout=10 -cp "$work/java" OcspCheck)
  run "java good" "${java[@]}" "$work/ca-sign.pem" "$work/good/sign.pem" "$ocsp_base/ocsp/sign" good
  run "java revoked" "${java[@]}" "$work/ca-sign.pem" "$work/revoked/sign.pem" "$ocsp_base/ocsp/sign" \
    revoked KEY_COMPROMISE
  # From the certificate's AIA (the base URL given to init), with a nonce.
  java=(java -Dcom.sun.security.ocsp.timeout=10 -Djdk.security.certpath.ocspNonce=true -cp "$work/java" OcspCheck)
  run "java good (AIA)" "${java[@]}" "$work/ca-sign.pem" "$work/good/sign.pem" aia good
  run "java revoked (AIA)" "${java[@]}" "$work/ca-sign.pem" "$work/revoked/sign.pem" aia \
    revoked KEY_COMPROMISE
  # next-gen: the P-384 chain, validated with OCSP.
  java=(java -Dcom.sun.security.ocsp.timeout=10 -Dinterop.sigalg=SHA384withECDSA -Dinterop.ecbits=384
    -cp "$work/java" OcspCheck)
  run "java next-gen good" "${java[@]}" "$work/ng/ca-sign.pem" "$work/ng/good/sign.pem" \
    "$ng_base/ocsp/sign" good
  run "java next-gen revoked" "${java[@]}" "$work/ng/ca-sign.pem" "$work/ng/revoked/sign.pem" \
    "$ng_base/ocsp/sign" revoked KEY_COMPROMISE
  # A body far over the 64 KiB limit: the 413 is read, not a reset.
  run "java 413 ocsp" java -cp "$work/java" TooLarge "$ocsp_base/ocsp/sign" application/ocsp-request limit
  run "java 413 admin" java -cp "$work/java" TooLarge "$ocsp_base/api/v1/cards" application/json too_large
fi

for s in "ocsp:$ocsp_server" "crl:$crl_server" "nextgen:$ng_server"; do # NAME:PID
  if ! kill -0 "${s#*:}" 2>/dev/null; then
    say "FAIL server ${s%%:*}: it exited during the checks"
    failed=$((failed + 1))
    client_failed=$((client_failed + 1))
  fi
done
for name in ocsp crl nextgen; do
  if [ "$client_failed" -ne 0 ] && [ -s "$work/$name.log" ]; then
    say "$name server log (last lines):"
    tail -n 20 "$work/$name.log" | sed 's/^/    /'
  fi
done
say "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
