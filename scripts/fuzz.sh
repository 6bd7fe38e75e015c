#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ for a bounded time each.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     (default 300 s each, every target)
#
# Targets (fuzz/fuzz_targets/): ocsp_request (pki::ocsp::parse_request), ocsp_http
# (OCSP GET path form and POST through the real router), admin_json (admin API POST
# bodies through the router), config_toml (Config::from_toml).
#
# cargo-fuzz needs nightly -Z flags; with only a stable toolchain, RUSTC_BOOTSTRAP=1
# lets stable rustc accept them (libFuzzer itself is compiled by libfuzzer-sys's build
# script). The fuzz crate is its own workspace with its own target dir (fuzz/target),
# so it never touches the main build. Each target starts from the committed seeds in
# fuzz/corpus/<target>/ (read only) plus the inputs it found on earlier runs, kept in
# fuzz/target/corpus/<target>/ (not committed). Crashes land in fuzz/artifacts/<target>/;
# the summary prints each with its base64 and panic message. Exit 1 if any target
# crashed.
#
# Environment: FUZZ_SANITIZER (address; or none for ~2x more executions),
# FUZZ_JOBS (build jobs, default 2), FUZZ_KEEP_GOING=1 (fork mode: keep fuzzing after
# a crash, -ignore_crashes), FUZZ_ARGS (extra libFuzzer flags).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=${1:-300}
case $seconds in ''|*[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2 ;; esac
shift || true
all_targets=(ocsp_request ocsp_http admin_json config_toml)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
sanitizer=${FUZZ_SANITIZER:-address}

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz" >&2
  timeout 1800 cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1
export CARGO_BUILD_JOBS=${FUZZ_JOBS:-2}

# Logs of the last run stay in fuzz/target/logs/ (build.log, <target>.log).
log_dir=$root/fuzz/target/logs
rm -rf "$log_dir"
mkdir -p "$log_dir"
fuzz_pid=""
cleanup() {
  local rc=$?
  [ -z "$fuzz_pid" ] || kill -- "-$fuzz_pid" 2>/dev/null || kill "$fuzz_pid" 2>/dev/null || true
  # The harness keeps its state on tmpfs as jpki-mock-fuzz-PID; drop those of
  # processes that are gone (ours, since targets run one at a time).
  for d in /dev/shm/jpki-mock-fuzz-* "${TMPDIR:-/tmp}"/jpki-mock-fuzz-*; do
    [ -d "$d" ] || continue
    kill -0 "${d##*-}" 2>/dev/null || rm -rf "$d"
  done
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "fuzz: building ${targets[*]} (sanitizer $sanitizer)"
build_target=()
[ ${#targets[@]} -ne 1 ] || build_target=("${targets[0]}")
timeout 3600 nice cargo fuzz build --fuzz-dir fuzz --sanitizer "$sanitizer" "${build_target[@]}" \
  >"$log_dir/build.log" 2>&1 || { tail -40 "$log_dir/build.log" >&2; echo "fuzz: build failed" >&2; exit 1; }

extra=()
if [ "${FUZZ_KEEP_GOING:-0}" = 1 ]; then
  extra+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
fi
# shellcheck disable=SC2206
extra+=(${FUZZ_ARGS:-})

crashed=0
summary=()
for t in "${targets[@]}"; do
  [ -d "fuzz/corpus/$t" ] || { echo "fuzz: no such target: $t" >&2; exit 2; }
  mkdir -p "fuzz/target/corpus/$t" "fuzz/artifacts/$t"
  before=$(ls "fuzz/artifacts/$t" | wc -l)
  # The router targets keep one server state for the whole run (caches, SQLite, the
  # runtime), so an iteration rarely frees all it allocates; LeakSanitizer would then
  # scan the heap after nearly every input (100x slower) and report the state itself.
  per_target=()
  case $t in ocsp_http|admin_json) per_target+=(-detect_leaks=0) ;; esac
  echo "fuzz: $t for ${seconds}s"
  set +e
  # setsid: the fuzzer and its children form one group that cleanup can stop.
  setsid timeout -k 10 $((seconds + 300)) nice cargo fuzz run --fuzz-dir fuzz --sanitizer "$sanitizer" "$t" \
    "fuzz/target/corpus/$t" "fuzz/corpus/$t" -- \
    -max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 -print_final_stats=1 "${per_target[@]}" "${extra[@]}" \
    >"$log_dir/$t.log" 2>&1 &
  fuzz_pid=$!
  wait "$fuzz_pid"
  rc=$?
  fuzz_pid=""
  set -e
  log=$log_dir/$t.log
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  if [ -z "$execs" ]; then # fork mode prints no final stats: take the last status line
    execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
    rate=$(grep -oE 'exec/s: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
  fi
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || true)
  corpus_n=$(ls "fuzz/target/corpus/$t" | wc -l)
  new=$(( $(ls "fuzz/artifacts/$t" | wc -l) - before ))
  line="$t: ${execs:-0} executions (${rate:-0}/s), coverage ${cov:-?}, corpus $corpus_n, exit $rc, new artifacts $new"
  summary+=("$line")
  echo "fuzz: $line"
  if [ "$rc" -ne 0 ] || [ "$new" -gt 0 ]; then
    crashed=1
    echo "fuzz: $t FOUND A PROBLEM; log excerpt:"
    grep -E -A6 "panicked at|ERROR: libFuzzer|ERROR: AddressSanitizer|SUMMARY:" "$log" | head -40 | sed 's/^/  /'
    for f in $(ls -t "fuzz/artifacts/$t" | head -"$(( new > 0 ? new : 1 ))"); do
      echo "  input fuzz/artifacts/$t/$f, base64: $(base64 -w0 "fuzz/artifacts/$t/$f" | head -c 4000)"
      echo "  reproduce: RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir fuzz --sanitizer $sanitizer $t fuzz/artifacts/$t/$f"
    done
    cp "$log" "fuzz/artifacts/$t/last-run.log"
  fi
  # Drop this run's harness state (tmpfs), whatever happened.
  for d in /dev/shm/jpki-mock-fuzz-*; do [ -d "$d" ] && { kill -0 "${d##*-}" 2>/dev/null || rm -rf "$d"; }; done
done

echo "fuzz: summary (${seconds}s per target):"
for line in "${summary[@]}"; do echo "  $line"; done
exit "$crashed"
