#!/usr/bin/env bash
# Crash safety of jpki-mock (interface.md: "The state survives restarts and kill -9").
#
# Phase 1, kill -9: `jpki-mock --state DIR serve` runs while a client (4 threads)
# creates cards (p256) and revokes them through the admin API, recording every
# ACKNOWLEDGED revocation (HTTP 200 with a non-empty "revoked" list), and a watcher
# fetches both CRLs over and over, recording every cRLNumber. The server is killed
# with SIGKILL KILLS times at random points of the run and restarted on the same state
# directory; clients retry on connection errors.
#
# Phase 2, two writers: the CLI (`jpki-mock --state DIR issue/revoke`, in a loop) and
# the server's admin API write at the same time for PHASE2_SECONDS: each writer issues
# and revokes cards of its own, and for each card of a shared pool the CLI and the API
# revoke the same card at the same moment (exactly one may be told "revoked").
#
# Then: every acknowledged revocation of both phases must be in the CRL (read with
# `openssl crl -inform DER -text`, revocation date included) and answered `revoked` by
# OCSP (every serial through `openssl ocsp -serial`, 20 per request, plus a random
# sample of SAMPLE leaf certificates through `openssl ocsp -cert`); no serial may be
# acknowledged twice; the cRLNumber must never go backwards; and `PRAGMA
# integrity_check` must say ok. Prints "N acknowledged, 0 lost"; exits 1 otherwise.
#
# On PostgreSQL (STORE=postgres://USER:PASSWORD@HOST:PORT/DB?schema=NAME, a schema of
# its own: the script does not empty it), the killed server is one of two replicas: a
# second replica on the same database serves throughout, never killed; the CRL watcher
# and the verification ask it, so every revocation acknowledged by the killed replica
# (or the CLI) must be in the other's CRL and OCSP answers. The integrity check is
# SQLite's and is skipped.
#
# Environment: STORE (see above; default: SQLite in the work directory), JPKI_MOCK (a
# built binary; default: cargo build --release), CARDS (400),
# KILLS (5), THREADS (4), PHASE2_SECONDS (20), POOL (60), SAMPLE (50), SEED (random;
# makes the kill points and the OCSP sample repeatable), KEEP=1 keeps the work directory.
# Everything listens on and talks to 127.0.0.1 only; every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

cards=${CARDS:-400}
kills=${KILLS:-5}
threads=${THREADS:-4}
phase2_seconds=${PHASE2_SECONDS:-20}
pool_size=${POOL:-60}
sample=${SAMPLE:-50}
seed=${SEED:-$RANDOM}
RANDOM=$seed

# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"
bin=$(jpki_binary) || exit 2
py=(python3 "$root/scripts/load/crash_client.py")

work=$(mktemp -d "${TMPDIR:-/tmp}/jpki-crash.XXXXXX")
state=$work/state
certs=$work/certs
mkdir -p "$certs"
server_pid=""
bg_pids=()
cleanup() {
  local rc=$?
  [ -z "$server_pid" ] || kill -9 "$server_pid" 2>/dev/null || true
  for pid in "${bg_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "${KEEP:-0}" = 1 ] || [ "$rc" -ne 0 ]; then
    echo "crash-test: work directory kept: $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${STORE:-}" ]; then
  where=(--store "$STORE")
  state_args=()
else
  where=(--state "$state")
  state_args=(--state "$state")
fi

port=$(free_port)
base=http://127.0.0.1:$port
echo "crash-test: seed $seed, $cards cards, $kills kills, ${STORE:+PostgreSQL, }state $state, $base"

"$bin" "${where[@]}" init --base-url "$base" >/dev/null

# serve PORT: starts a server on PORT; prints its pid once it answers /healthz.
serve() {
  "$bin" "${where[@]}" serve --listen "127.0.0.1:$1" >>"$work/server.out" 2>>"$work/server.err" &
  local pid=$!
  for _ in $(seq 200); do
    if curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$1/healthz"; then echo "$pid"; return 0; fi
    kill -0 "$pid" 2>/dev/null || { echo "crash-test: the server exited:" >&2; tail -5 "$work/server.err" >&2; return 1; }
    sleep 0.05
  done
  echo "crash-test: the server did not answer /healthz within 10 s" >&2
  return 1
}

start_server() {
  server_pid=$(serve "$port")
}

# The port the watcher and the verification ask: on PostgreSQL, the replica never killed.
watch_port=$port
if [ -n "${STORE:-}" ]; then
  watch_port=$(free_port)
  replica_pid=$(serve "$watch_port")
  bg_pids+=("$replica_pid")
  echo "crash-test: second replica on port $watch_port (never killed)"
fi

kill_server() {
  kill -9 "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

progress() { cat "$work/progress" 2>/dev/null || echo 0; }

# ---------------------------------------------------------------- phase 1: kill -9
start_server
JPKI_LOAD_SEED=$seed "${py[@]}" crl-watch --port "$watch_port" --out "$work/crl-log.jsonl" \
  --stop-file "$work/stop" --duration 900 >"$work/crl-watch.json" &
watch_pid=$!
bg_pids+=("$watch_pid")
"${py[@]}" api-writer --port "$port" --cards "$cards" --threads "$threads" --duration 600 \
  --acks "$work/acks-api.jsonl" --progress "$work/progress" --certs-dir "$certs" \
  >"$work/api-writer.json" &
writer_pid=$!
bg_pids+=("$writer_pid")

# Kill points: KILLS random numbers of acknowledged cards in (0, CARDS), ascending,
# each followed by a random 0-99 ms delay so the kill lands anywhere in a request.
mapfile -t points < <(for _ in $(seq "$kills"); do echo $((1 + RANDOM % (cards - 1))); done | sort -n)
done_kills=0
for point in "${points[@]}"; do
  deadline=$((SECONDS + 120))
  while [ "$(progress)" -lt "$point" ] && kill -0 "$writer_pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
    sleep 0.01
  done
  kill -0 "$writer_pid" 2>/dev/null || break
  sleep "0.0$(printf '%02d' $((RANDOM % 100)))"
  at=$(progress)
  kill_server
  done_kills=$((done_kills + 1))
  echo "crash-test: kill -9 #$done_kills at $at acknowledged cards (point $point)"
  sleep "0.$((RANDOM % 5))"   # clients meet a closed port for a moment
  start_server
done
# Let the writer finish (bounded), then stop the watcher.
for _ in $(seq 600); do kill -0 "$writer_pid" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$writer_pid" 2>/dev/null; then echo "crash-test: the API writer did not finish" >&2; exit 1; fi
wait "$writer_pid" || { echo "crash-test: the API writer failed" >&2; exit 1; }
echo "crash-test: phase 1 writer: $(cat "$work/api-writer.json")"
[ "$done_kills" -eq "$kills" ] || { echo "crash-test: only $done_kills of $kills kills happened (writer finished early)" >&2; exit 1; }

# One more kill and restart with no traffic: a fresh server must not reissue an old
# cRLNumber (the watcher is still fetching).
sleep 0.3
kill_server
start_server
sleep 0.5
touch "$work/stop"
wait "$watch_pid" || true
echo "crash-test: CRL watcher: $(cat "$work/crl-watch.json")"

# ---------------------------------------------------------------- phase 2: CLI + server
echo "crash-test: phase 2: CLI and admin API writing together for ${phase2_seconds}s"
"${py[@]}" make-pool --port "$port" --count "$pool_size" --out "$work/pool" --certs-dir "$certs"
rm -f "$work/stop"
"${py[@]}" crl-watch --port "$watch_port" --out "$work/crl-log.jsonl" \
  --stop-file "$work/stop" --duration $((phase2_seconds + 120)) >"$work/crl-watch2.json" &
watch_pid=$!
bg_pids+=("$watch_pid")
"${py[@]}" api-writer --port "$port" --threads 2 --duration "$phase2_seconds" \
  --acks "$work/acks-api2.jsonl" --certs-dir "$certs" --source api-concurrent \
  >"$work/api-writer2.json" &
api2_pid=$!
bg_pids+=("$api2_pid")
"${py[@]}" cli-writer --bin "$bin" --port "$port" "${where[@]}" --duration "$phase2_seconds" \
  --acks "$work/acks-cli.jsonl" --certs-dir "$certs" --pool "$work/pool" \
  >"$work/cli-writer.json" 2>"$work/cli-writer.err" &
cli_pid=$!
bg_pids+=("$cli_pid")
wait "$api2_pid" || { echo "crash-test: the phase 2 API writer failed" >&2; exit 1; }
wait "$cli_pid" || { echo "crash-test: the CLI writer failed" >&2; cat "$work/cli-writer.err" >&2; exit 1; }
touch "$work/stop"
wait "$watch_pid" || true
echo "crash-test: phase 2 API writer: $(cat "$work/api-writer2.json")"
echo "crash-test: phase 2 CLI writer: $(cat "$work/cli-writer.json")"
if [ -s "$work/cli-writer.err" ]; then
  echo "crash-test: CLI errors (first 5):"; head -5 "$work/cli-writer.err" | sed 's/^/  /'
fi
echo "crash-test: CRL watcher: $(cat "$work/crl-watch2.json")"

# ---------------------------------------------------------------- verification
# Against the running server (after all kills), then offline on the database.
set +e
"${py[@]}" verify --port "$watch_port" --work "$work" --certs-dir "$certs" "${state_args[@]}" \
  --acks "$work/acks-api.jsonl" "$work/acks-api2.jsonl" "$work/acks-cli.jsonl" \
  --crl-log "$work/crl-log.jsonl" --sample "$sample" --seed "$seed" >"$work/verify.out"
rc=$?
set -e
cat "$work/verify.out"
if grep -q '"problems": \["' "$work/crl-watch.json" "$work/crl-watch2.json"; then
  echo "crash-test: the CRL watcher saw problems (above)" >&2
  rc=1
fi
if grep -qi 'panic' "$work/server.err"; then
  echo "crash-test: the server panicked:" >&2; grep -i -m5 panic "$work/server.err" >&2
  rc=1
fi
exit "$rc"
