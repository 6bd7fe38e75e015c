#!/usr/bin/env bash
# The container image (Containerfile, docs/container.md): stages its build context,
# builds it with podman and checks what was built.
#
#   scripts/container-check.sh              stage, build jpki-mock:ci, check it (CI)
#   scripts/container-check.sh --stage DIR  only stage the build context in DIR, for
#                                           `docker build -f Containerfile DIR` (no root,
#                                           no podman needed)
#
# The binary is $JPKI_MOCK_BIN (default: the repository's target/release/jpki-mock); the
# image's tag is $JPKI_MOCK_IMAGE (default jpki-mock:ci).
#
# The context is rootfs.tar: the binary as /jpki-mock, the shared libraries `ldd` lists
# at their paths (the dynamic loader too), /etc/passwd and /etc/group naming uid/gid
# 65532, /etc/nsswitch.conf, a sticky /tmp, and /var/lib/jpki-mock, empty, mode 0700,
# owned by 65532. Every file has mtime 0 and the archive is sorted, so the same binary
# gives the same archive and a rebuild is a cache hit.
#
# The checks, as root (installs podman, openssl, curl and python3 with apt when missing):
#   - `podman build --format docker` (the OCI format would drop the HEALTHCHECK);
#   - `podman inspect`: the health check, USER, EXPOSE 8080, the volume, the entry point
#     and command, the environment (listen address, base URL, state, published token);
#   - the image's files: its state directory is uid 65532's (mode 700), every other
#     directory root's and open to it, /tmp sticky, nothing else at the top;
#   - the image run by hand, since `podman run` needs a working OCI runtime: `podman
#     create`, `podman mount`, then the entry point and command with the image's
#     environment under `chroot --userspec=65532:65532` into the mounted root, so that a
#     library missing from the image cannot be found on the host. It listens on a free
#     port of 127.0.0.1 (JPKI_MOCK_LISTEN and JPKI_MOCK_BASE_URL overridden) and keeps
#     its state in the image's own state directory, in the container's writable layer.
#     Checked: the ready line, /healthz with curl and with the image's own `jpki-mock
#     healthcheck` (and that it fails on a closed port), /ca/sign.cer parsed by openssl,
#     the admin API refusing a request without the token and issuing a card with it, and
#     `openssl ocsp` saying `good` for the card's signing certificate; then `serve
#     --ephemeral` answers too.
# Prints one PASS/FAIL line per check, then "container-check: N passed, M failed"; exits 1 if a check
# failed. Removes the container, its anonymous volume and the work directory on exit,
# and the image that a rebuild replaced; keeps jpki-mock:ci. CONTAINER_CHECK_KEEP=1
# keeps the work directory (context, logs, certificates).
set -uo pipefail
umask 022 # the staged files' modes are the image's

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
uid=65532
state_dir=/var/lib/jpki-mock
published_token=jpki-mock-insecure-test-token

say() { printf '%s\n' "$*"; }
die() {
  say "container-check.sh: $*" >&2
  exit 1
}

bin=${JPKI_MOCK_BIN:-$root/target/release/jpki-mock}
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
[ -x "$bin" ] || die "no executable at $bin (build it, or set JPKI_MOCK_BIN)"

# stage DIR: writes DIR/rootfs.tar, the image's whole file system (see above). Needs
# ldd and GNU tar; not root.
stage() {
  local dir=$1 fs line lib libs=()
  mkdir -p "$dir" || return 1
  fs=$(mktemp -d "$dir/rootfs.XXXXXX") && chmod 0755 "$fs" || return 1
  # `ldd` prints `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)` for a library and
  # `/lib64/ld-linux-x86-64.so.2 (0x…)` for the loader; the vDSO has no file. A static
  # binary (`not a dynamic executable`) needs none.
  local listing static=false
  if ! listing=$(ldd "$bin" 2>&1); then
    case $listing in
      *"not a dynamic executable"* | *"statically linked"*) static=true ;;
      *)
        say "ldd $bin failed: $listing" >&2
        return 1
        ;;
    esac
  fi
  "$static" || while IFS= read -r line; do
    case $line in
      *"not found"*)
        say "ldd: a library is missing on this machine: $line" >&2
        return 1
        ;;
      *"=> /"*) lib=${line#*=> } ;;
      *[[:space:]]/*) lib=/${line#*/} ;;
      *) continue ;;
    esac
    libs+=("${lib%% (*}")
  done <<<"$listing"
  "$static" || [ "${#libs[@]}" -gt 0 ] || {
    say "ldd listed no library for $bin" >&2
    return 1
  }
  for lib in "${libs[@]}"; do
    mkdir -p "$fs$(dirname "$lib")" && cp -L "$lib" "$fs$lib" || return 1
  done
  cp "$bin" "$fs/jpki-mock" && chmod 0755 "$fs/jpki-mock" || return 1
  mkdir -p "$fs/etc" "$fs/tmp" "$fs$state_dir" || return 1
  chmod 1777 "$fs/tmp" && chmod 0700 "$fs$state_dir" || return 1
  printf 'root:x:0:0:root:/:/sbin/nologin\njpki-mock:x:%s:%s:jpki-mock:%s:/sbin/nologin\n' \
    "$uid" "$uid" "$state_dir" >"$fs/etc/passwd"
  printf 'root:x:0:\njpki-mock:x:%s:\n' "$uid" >"$fs/etc/group"
  printf 'hosts: files dns\n' >"$fs/etc/nsswitch.conf"
  # Everything root's but the state directory, which is appended as uid 65532's: no
  # chown, so that staging needs no root. No entry for / itself: the image's root keeps
  # the mode the builder gives it.
  local common=(--sort=name --mtime=@0 --numeric-owner --format=gnu) top
  top=$(cd "$fs" && ls -A) || return 1
  # shellcheck disable=SC2086 # the top-level names, one word each
  tar -C "$fs" -cf "$dir/rootfs.tar" "${common[@]}" --owner=0 --group=0 \
    --exclude="${state_dir#/}" $top &&
    tar -C "$fs" -rf "$dir/rootfs.tar" "${common[@]}" --owner="$uid" --group="$uid" \
      --no-recursion "${state_dir#/}" || return 1
  rm -rf "$fs"
  say "staged $dir/rootfs.tar: /jpki-mock $(du -h "$bin" | cut -f1) and ${libs[*]:-no library}" >&2
}

if [ "${1:-}" = --stage ]; then
  [ $# = 2 ] || die "usage: $0 --stage DIR"
  stage "$2" || die "staging failed"
  say "build it: docker build -f $root/Containerfile -t jpki-mock $2"
  exit 0
fi
[ $# = 0 ] || die "usage: $0 [--stage DIR]"
[ "$(id -u)" = 0 ] || die "run it as root (podman build, podman mount and chroot), or use --stage DIR"

# --- Tools ----------------------------------------------------------------------------
missing=()
command -v podman >/dev/null || missing+=(podman)
command -v openssl >/dev/null || missing+=(openssl)
command -v curl >/dev/null || missing+=(curl)
command -v python3 >/dev/null || missing+=(python3)
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}" >&2
  apt_log=$(mktemp)
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    "${missing[@]}"; } >"$apt_log" 2>&1; then
    tail -20 "$apt_log" >&2
    die "apt-get install ${missing[*]} failed"
  fi
  rm -f "$apt_log"
fi

image=${JPKI_MOCK_IMAGE:-jpki-mock:ci}
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

# --- Results, work directory, clean-up -------------------------------------------------
passed=0
failed=0
pass() {
  passed=$((passed + 1))
  say "PASS $*"
}
fail() {
  failed=$((failed + 1))
  say "FAIL $*"
}
# check NAME COMMAND…: PASS when the command exits 0.
check() {
  local name=$1
  shift
  if "$@"; then pass "$name"; else fail "$name"; fi
}
summary() {
  say "container-check: $passed passed, $failed failed"
  [ "$failed" = 0 ]
}

work=$(mktemp -d "${TMPDIR:-/tmp}/jpki-container.XXXXXX")
container=""
servers=""
run_env=()
cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM HUP
  for pid in $servers; do
    kill "$pid" 2>/dev/null
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  if [ -n "$container" ]; then
    podman umount "$container" >/dev/null 2>&1
    podman rm -f -v "$container" >/dev/null 2>&1
  fi
  if [ "${CONTAINER_CHECK_KEEP:-0}" = 1 ]; then
    say "work directory kept: $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- Stage and build --------------------------------------------------------------------
started=$SECONDS
if stage "$work/context" 2>"$work/stage.log"; then
  pass "staged the context: $(tar -tf "$work/context/rootfs.tar" | grep -c '[^/]$') files"
else
  cat "$work/stage.log" >&2
  fail "staged the context"
  summary
  exit 1
fi
old_id=$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null)
if timeout -k 10 300 podman build --format docker -f "$root/Containerfile" -t "$image" \
  "$work/context" >"$work/build.log" 2>&1; then
  new_id=$(podman image inspect --format '{{.Id}}' "$image")
  pass "podman build --format docker -t $image ($((SECONDS - started)) s with staging)"
  if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
    podman rmi "$old_id" >/dev/null 2>&1 # the image this build replaced, if unused
  fi
else
  tail -20 "$work/build.log"
  fail "podman build --format docker -t $image"
  summary
  exit 1
fi
size=$(podman image inspect --format '{{.Size}}' "$image")
say "image $image: $((size / 1000000)) MB ($size bytes)"

# --- The image's configuration -----------------------------------------------------------
inspect() { podman image inspect --format "$1" "$image"; }
# expect NAME ACTUAL WANTED
expect() {
  if [ "$2" = "$3" ]; then
    pass "$1: $2"
  else
    fail "$1: got '$2', want '$3'"
  fi
}
expect "HEALTHCHECK" "$(inspect '{{with .Config.Healthcheck}}{{json .Test}}{{end}}')" \
  '["CMD","/jpki-mock","healthcheck"]'
expect "USER" "$(inspect '{{.Config.User}}')" "$uid:$uid"
expect "EXPOSE" "$(inspect '{{json .Config.ExposedPorts}}')" '{"8080/tcp":{}}'
expect "VOLUME" "$(inspect '{{json .Config.Volumes}}')" "{\"$state_dir\":{}}"
expect "ENTRYPOINT" "$(inspect '{{json .Config.Entrypoint}}')" '["/jpki-mock"]'
expect "CMD" "$(inspect '{{json .Config.Cmd}}')" '["serve"]'
mapfile -t image_env < <(inspect '{{range .Config.Env}}{{println .}}{{end}}' | grep .)
for wanted in "JPKI_MOCK_STATE=$state_dir" JPKI_MOCK_LISTEN=0.0.0.0:8080 \
  JPKI_MOCK_BASE_URL=http://localhost:8080 "JPKI_MOCK_ADMIN_TOKEN=$published_token"; do
  if printf '%s\n' "${image_env[@]}" | grep -qxF "$wanted"; then
    pass "ENV $wanted"
  else
    fail "ENV $wanted (the image has: ${image_env[*]})"
  fi
done
mapfile -t entry < <(inspect '{{range .Config.Entrypoint}}{{println .}}{{end}}{{range .Config.Cmd}}{{println .}}{{end}}' | grep .)

# --- The image run by hand in its own root --------------------------------------------
container=$(podman create "$image" 2>"$work/create.log") || {
  container=""
  cat "$work/create.log" >&2
  fail "podman create $image"
  summary
  exit 1
}
rootfs=$(podman mount "$container" 2>"$work/mount.log") || {
  cat "$work/mount.log" >&2
  fail "podman mount"
  summary
  exit 1
}
pass "podman create and mount: $rootfs"
expect "state directory owner and mode" "$(stat -c '%u:%g %a' "$rootfs$state_dir")" "$uid:$uid 700"
# Every directory but the state is root's and lets uid 65532 through.
bad_dirs=$(find "$rootfs" -xdev -type d ! -path "$rootfs$state_dir" \( ! -user 0 -o ! -perm -o+x \) \
  -printf '%P (%u %M) ')
if [ -z "$bad_dirs" ]; then
  pass "every other directory is root's and open to $uid: $(find "$rootfs" -xdev -type d | wc -l) directories"
else
  fail "directories not root's or closed to $uid: $bad_dirs"
fi
expect "/tmp" "$(stat -c '%u %A' "$rootfs/tmp")" "0 drwxrwxrwt"
expect "the image's top-level entries are the context's" \
  "$(find "$rootfs" -mindepth 1 -maxdepth 1 -printf '%P\n' | sort | tr '\n' ' ')" \
  "$(tar -tf "$work/context/rootfs.tar" | cut -d/ -f1 | sort -u | tr '\n' ' ')"

chroot=$(command -v chroot)
# in_image COMMAND…: runs a command of the image as uid 65532 in its mounted root, with
# the image's environment and nothing of the host's.
in_image() {
  env -i "${image_env[@]}" "${run_env[@]}" "$chroot" --userspec="$uid:$uid" "$rootfs" "$@"
}
# serve_in_image NAME PORT ARGS…: starts the image's entry point (ARGS replace the
# command when given) on 127.0.0.1:PORT; waits for its ready line.
serve_in_image() {
  local name=$1 port=$2 pid
  shift 2
  run_env=("JPKI_MOCK_LISTEN=127.0.0.1:$port" "JPKI_MOCK_BASE_URL=http://127.0.0.1:$port")
  if [ $# = 0 ]; then set -- "${entry[@]}"; else set -- "${entry[0]}" "$@"; fi
  # Not through in_image: `$!` must be the server itself (env and chroot exec it), not
  # a subshell that a kill would leave it behind.
  env -i "${image_env[@]}" "${run_env[@]}" "$chroot" --userspec="$uid:$uid" "$rootfs" "$@" \
    >"$work/$name.out" 2>"$work/$name.err" &
  pid=$!
  servers="$servers $pid"
  for _ in $(seq 300); do
    grep -q '"jpki_mock":"ready"' "$work/$name.out" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  say "--- $name: stdout" >&2
  cat "$work/$name.out" >&2
  say "--- $name: stderr" >&2
  cat "$work/$name.err" >&2
  return 1
}

port=$(free_port) || die "no free port"
base=http://127.0.0.1:$port
if serve_in_image serve "$port"; then
  pass "\`${entry[*]}\` in the image's root as $uid:$uid: $(grep '"jpki_mock"' "$work/serve.out")"
  expect "the admin token is required" \
    "$(grep -o '"admin_token_required":[a-z]*' "$work/serve.out")" '"admin_token_required":true'
  if grep -q "$published_token" "$work/serve.err"; then
    pass "the server warns that the admin token is the published one"
  else
    fail "the server printed no warning about the published admin token"
  fi
  expect "GET /healthz" "$(curl -sS --max-time 5 "$base/healthz" 2>&1)" ok
  check "the image's \`jpki-mock healthcheck --url $base\`" in_image /jpki-mock healthcheck --url "$base"
  closed=$(free_port)
  if in_image /jpki-mock healthcheck --url "http://127.0.0.1:$closed" 2>/dev/null; then
    fail "the image's healthcheck fails on a closed port"
  else
    pass "the image's healthcheck fails on a closed port"
  fi
  if curl -sSf --max-time 5 -o "$work/ca-sign.cer" "$base/ca/sign.cer" &&
    openssl x509 -inform DER -in "$work/ca-sign.cer" -out "$work/ca-sign.pem"; then
    pass "GET /ca/sign.cer is a DER certificate: $(openssl x509 -in "$work/ca-sign.pem" -noout -subject)"
  else
    fail "GET /ca/sign.cer is a DER certificate"
  fi
  code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$base/api/v1/clock")
  expect "the admin API without the token" "$code" 401
  code=$(curl -s --max-time 10 -o "$work/card.json" -w '%{http_code}' -X POST "$base/api/v1/cards" \
    -H "authorization: Bearer $published_token" -H 'content-type: application/json' \
    -d '{"name": "山田 太郎", "birth": "1990-10-01", "gender": "male",
         "address": "東京都品川区広町2-1-36", "sign_pin": "ABC123", "auth_pin": "1234",
         "key_alg": "rsa2048"}')
  expect "POST /api/v1/cards with the token" "$code" 201
  if python3 -c 'import json, sys; print(json.load(sys.stdin)["sign"]["cert_pem"], end="")' \
    <"$work/card.json" >"$work/sign.pem" 2>"$work/card.err" && [ -s "$work/sign.pem" ]; then
    openssl ocsp -issuer "$work/ca-sign.pem" -cert "$work/sign.pem" -CAfile "$work/ca-sign.pem" \
      -url "$base/ocsp/sign" -timeout 10 >"$work/ocsp.out" 2>&1
    if grep -qx "$work/sign.pem: good" "$work/ocsp.out" && grep -qx 'Response verify OK' "$work/ocsp.out"; then
      pass "openssl ocsp for the card's signing certificate: good, response verify OK"
    else
      cat "$work/ocsp.out"
      fail "openssl ocsp for the card's signing certificate: good, response verify OK"
    fi
  else
    cat "$work/card.json" "$work/card.err"
    fail "the card's signing certificate"
  fi
  owned=$(find "$rootfs$state_dir" -mindepth 1 -maxdepth 1 -user "$uid" | wc -l)
  if [ "$owned" -gt 0 ] && [ -z "$(find "$rootfs$state_dir" ! -user "$uid")" ]; then
    pass "the state was written to $state_dir by $uid ($owned entries)"
  else
    ls -la "$rootfs$state_dir"
    fail "the state was written to $state_dir by $uid"
  fi
else
  fail "\`${entry[*]}\` in the image's root as $uid:$uid"
fi

port=$(free_port) || die "no free port"
if serve_in_image ephemeral "$port" serve --ephemeral &&
  grep -q '"state":null' "$work/ephemeral.out" &&
  in_image /jpki-mock healthcheck --url "http://127.0.0.1:$port"; then
  pass "\`${entry[0]} serve --ephemeral\`: no state directory, healthy"
else
  fail "\`${entry[0]} serve --ephemeral\`"
fi

say "took $SECONDS s"
summary
