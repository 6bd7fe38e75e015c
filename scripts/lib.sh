# Sourced by the scripts that run jpki-mock. Needs $root, the repository.

# jpki_binary: prints the absolute path of the jpki-mock to run: $JPKI_MOCK (a path, or
# a command on PATH) if set, else a fresh release build. Messages go to stderr; fails
# when there is no executable.
jpki_binary() {
  local bin
  if [ -n "${JPKI_MOCK:-}" ]; then
    case $JPKI_MOCK in
      */*) bin=$(cd "$(dirname "$JPKI_MOCK")" && pwd)/$(basename "$JPKI_MOCK") ;;
      *) bin=$(command -v "$JPKI_MOCK") || { echo "JPKI_MOCK=$JPKI_MOCK: not found" >&2; return 1; } ;;
    esac
  else
    command -v cargo >/dev/null || { echo "cargo not found (or set JPKI_MOCK to a built jpki-mock)" >&2; return 1; }
    # Cargo waits by itself while another build holds the target directory's lock.
    (cd "$root" && timeout 1200 cargo build --quiet --release --bin jpki-mock) >&2 ||
      { echo "cargo build --release failed" >&2; return 1; }
    bin=${CARGO_TARGET_DIR:-$root/target}/release/jpki-mock
    case $bin in /*) ;; *) bin=$root/$bin ;; esac
  fi
  [ -x "$bin" ] || { echo "no executable at $bin" >&2; return 1; }
  printf '%s\n' "$bin"
}

# bench_executable NAME: builds benches/NAME.rs (release) and prints its executable.
bench_executable() {
  local exe
  exe=$(cd "$root" && cargo bench --quiet --no-run --bench "$1" --message-format=json 2>/dev/null |
    python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == sys.argv[1] and m.get("executable"):
        print(m["executable"])' "$1" | tail -1)
  [ -x "$exe" ] || { echo "could not build benches/$1.rs" >&2; return 1; }
  printf '%s\n' "$exe"
}

# A port nobody listens on: the kernel's choice when python3 is there, else a random one
# that refuses connections. If another process takes it before the server binds it, the
# server exits and the next attempt picks another port.
free_port() {
  if command -v python3 >/dev/null \
    && python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; then
    return 0
  fi
  local port
  for _ in $(seq 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      printf '%s\n' "$port"
      return 0
    fi
  done
  return 1
}

# wait_port PORT [SECONDS]: waits (default 30 s) until something listens on PORT, else
# exits the script.
wait_port() {
  for _ in $(seq $((${2:-30} * 10))); do
    ss -ltn | grep -q ":$1 " && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2
  exit 1
}
