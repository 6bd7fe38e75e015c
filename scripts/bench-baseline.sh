#!/usr/bin/env bash
# Regression benchmark, side by side in one run: this tree against an older revision
# of jpki-mock on the same machine. The OCSP responder (RSA-2048, every request logged
# at the default level, as users run it) under oha at concurrency 16 — cached POST,
# cached GET and POST with a nonce (signed per request) — alternating the two servers,
# best of ROUNDS (default 2) runs of DURATION seconds (default 10) each; then the CRL
# build at N revoked entries (the `crl` bench binary of each revision, best of RUNS,
# default 3), and this tree's in the municipality layout: the same N entries spread over
# PARTITIONS (default 1747, one per municipality) distribution points, the whole CRL and
# every partition's. Prints both figures and the ratio now/baseline. Traffic stays on
# 127.0.0.1.
# Usage: scripts/bench-baseline.sh REV [N]   (REV: a git revision; N default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
rev=${1:?usage: scripts/bench-baseline.sh REV [N]}
entries=${2:-1000000}
duration=${DURATION:-10}
rounds=${ROUNDS:-2}
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

command -v oha >/dev/null || {
  echo "oha not found: cargo install oha --locked (about 5 minutes)" >&2
  exit 2
}
target=${CARGO_TARGET_DIR:-$root/target}
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  git -C "$root" worktree remove --force "$work/baseline-src" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Builds the tree in $1 into target directory $3 and copies the binary and the CRL bench
# to $2. The baseline gets a target directory of its own: cargo records a path
# package's sources relative to the package, so in a shared one each tree's build
# would look fresh to the other and the binaries would be swapped.
build() {
  local out=$2
  mkdir -p "$out"
  (cd "$1" && CARGO_TARGET_DIR=$3 cargo build --quiet --release --bin jpki-mock)
  cp "$3/release/jpki-mock" "$out/jpki-mock"
  (cd "$1" && CARGO_TARGET_DIR=$3 cargo bench --quiet --no-run --bench crl \
    --message-format=json 2>/dev/null) |
    python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "crl" and m.get("executable"):
        print(m["executable"])' | tail -1 | xargs -I{} cp {} "$out/crl-bench"
}
baseline_target=$target/bench-baseline
if [ ! -d "$baseline_target/release" ] && [ -d "$target/release" ]; then
  # Seed it with this tree's dependencies (the crate itself is rebuilt from its sources).
  mkdir -p "$baseline_target" && cp -a "$target/release" "$baseline_target/"
fi
git -C "$root" worktree add --quiet --detach "$work/baseline-src" "$rev"
build "$work/baseline-src" "$work/baseline" "$baseline_target"
build "$root" "$work/current" "$target"
echo "baseline: $(git -C "$root" rev-parse --short "$rev") ($(git -C "$root" log -1 --format=%s "$rev" | cut -c1-60))"
echo "current:  $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD || echo ' + uncommitted changes')"
echo "machine:  $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

# One server per side, each on its own state.
start() { # side
  local state="$work/$1-state" port
  port=$(free_port)
  "$work/$1/jpki-mock" --state "$state" init --base-url "http://127.0.0.1:$port" >/dev/null
  "$work/$1/jpki-mock" --state "$state" issue --name "山田 太郎" --birth 1990-10-01 \
    --gender male --address "東京都品川区広町2-1-36" --only sign --out "$work/$1-card" >/dev/null
  "$work/$1/jpki-mock" --state "$state" ca sign --pem --out "$work/$1-ca.pem"
  "$work/$1/jpki-mock" --state "$state" serve --listen "127.0.0.1:$port" >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
    sleep 0.1
  done
  openssl ocsp -issuer "$work/$1-ca.pem" -cert "$work/$1-card/sign.pem" -no_nonce \
    -reqout "$work/$1-plain.der" >/dev/null 2>&1
  openssl ocsp -issuer "$work/$1-ca.pem" -cert "$work/$1-card/sign.pem" \
    -reqout "$work/$1-nonce.der" >/dev/null 2>&1
  openssl ocsp -issuer "$work/$1-ca.pem" -cert "$work/$1-card/sign.pem" \
    -url "http://127.0.0.1:$port/ocsp/sign" -CAfile "$work/$1-ca.pem" 2>&1 |
    grep -q ": good" || { echo "$1: the responder did not answer good" >&2; exit 1; }
  echo "$port" >"$work/$1-port"
}
start baseline
start current

# req/s of one oha run: side, mode (post | get | nonce).
load() {
  local port url out
  port=$(cat "$work/$1-port")
  case $2 in
    post) out=$(timeout $((duration + 30)) oha --no-tui --output-format json -z "${duration}s" -c 16 -m POST \
      -T application/ocsp-request -D "$work/$1-plain.der" "http://127.0.0.1:$port/ocsp/sign") ;;
    nonce) out=$(timeout $((duration + 30)) oha --no-tui --output-format json -z "${duration}s" -c 16 -m POST \
      -T application/ocsp-request -D "$work/$1-nonce.der" "http://127.0.0.1:$port/ocsp/sign") ;;
    get)
      url="http://127.0.0.1:$port/ocsp/sign/$(base64 -w0 "$work/$1-plain.der" |
        python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.stdin.read(), safe=""))')"
      out=$(timeout $((duration + 30)) oha --no-tui --output-format json -z "${duration}s" -c 16 "$url") ;;
  esac
  python3 -c 'import json, sys
r = json.load(sys.stdin)
codes = r.get("statusCodeDistribution", {})
bad = sum(n for code, n in codes.items() if code != "200")
rps = r["summary"]["requestsPerSec"]
print(f"{rps:.0f} {bad}")' <<<"$out"
}

printf '\n%-34s %12s %12s %8s\n' "OCSP, c=16, req/s (best of $rounds)" baseline current ratio
for mode in post get nonce; do
  best_baseline=0 best_current=0
  for _ in $(seq "$rounds"); do
    for side in baseline current; do
      read -r rps bad < <(load "$side" "$mode")
      [ "$bad" = 0 ] || echo "  $side $mode: $bad answers were not 200" >&2
      if [ "$side" = baseline ]; then
        best_baseline=$((rps > best_baseline ? rps : best_baseline))
      else
        best_current=$((rps > best_current ? rps : best_current))
      fi
    done
  done
  case $mode in
    post) label="POST, no nonce (cached)" ;;
    get) label="GET, no nonce (cached)" ;;
    nonce) label="POST, nonce (signed each time)" ;;
  esac
  printf '%-34s %12s %12s %8s\n' "$label" "$best_baseline" "$best_current" \
    "$(python3 -c "print(f'{$best_current / $best_baseline:.2f}')")"
done
for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
pids=()

printf '\n%-34s %12s %12s %8s\n' "CRL build, $entries entries, s (best of ${RUNS:-3})" baseline current ratio
best() { # bench binary [partitions]: the best whole-CRL time, and that run's line
  local best="" line s best_line=""
  for _ in $(seq "${RUNS:-3}"); do
    line=$("$@")
    s=$(sed -E 's/.*build_seconds=([0-9.]+).*/\1/' <<<"$line")
    if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $s < $best else 1)"; then
      best=$s best_line=$line
    fi
  done
  echo "$best $best_line"
}
partitions=${PARTITIONS:-1747}
read -r crl_baseline _ < <(best "$work/baseline/crl-bench" "$entries")
read -r crl_current _ < <(best "$work/current/crl-bench" "$entries")
read -r crl_partitioned line < <(best "$work/current/crl-bench" "$entries" "$partitions")
printf '%-34s %12s %12s %8s\n' "single layout, whole CRL" "$crl_baseline" "$crl_current" \
  "$(python3 -c "print(f'{$crl_current / $crl_baseline:.2f}')")"
printf '%-34s %12s %12s %8s\n' "municipality layout, whole CRL" "$crl_baseline" "$crl_partitioned" \
  "$(python3 -c "print(f'{$crl_partitioned / $crl_baseline:.2f}')")"
field() { sed -E "s/.* $1=([0-9.]+).*/\1/" <<<"$line"; }
echo "municipality layout: $(field partitions) partitions of about $((entries / partitions)) entries:" \
  "all built in $(field all_partitions_seconds) s, $(field per_partition_ms) ms each on average," \
  "the slowest $(field slowest_partition_ms) ms"
