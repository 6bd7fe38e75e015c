#!/usr/bin/env bash
# The Python client's tests (clients/python), as CI runs them: a virtual environment in
# a temporary directory, `pip install clients/python pytest cryptography` into it (from
# PyPI), then pytest against a built jpki-mock.
#
#   scripts/test-python-client.sh [PYTEST_ARGS…]     e.g. -k relying_party, -x, -v
#
# JPKI_MOCK_BIN: the binary (default: target/release/jpki-mock, or under
# $CARGO_TARGET_DIR; a relative path is taken from the current directory). This script
# does not build it.
# PYTHON: the interpreter that makes the virtual environment (default: python3; a pyenv
# shim is resolved to the interpreter it runs). When it cannot make one (Debian's
# python3 without the venv and pip packages) and apt-get is there and we are root, it
# installs python3-pip and python3-venv and tries again, then with /usr/bin/python3.
#
# The last line is the summary, `python-client: N passed, M failed, K skipped`; the
# exit status is pytest's (non-zero on any failure or error, or when no test ran).
# The source tree is left as it was: pip builds from a copy, pytest writes no cache and
# no bytecode.
set -euo pipefail

say() { printf 'python-client: %s\n' "$*"; }
die() { printf 'python-client: error: %s\n' "$*" >&2; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The binary, resolved before leaving the caller's directory.
if [ -n "${JPKI_MOCK_BIN:-}" ]; then
  bin=$JPKI_MOCK_BIN
  case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
else
  target=${CARGO_TARGET_DIR:-target}
  case $target in /*) ;; *) target=$root/$target ;; esac
  bin=$target/release/jpki-mock
fi
if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
  die "no jpki-mock executable at $bin: build it (cargo build --release) or set JPKI_MOCK_BIN"
fi

cd "$root"
work=$(mktemp -d "${TMPDIR:-/tmp}/jpki-python-client.XXXXXX")
trap 'rm -rf "$work"' EXIT
venv=$work/venv

# make_venv PYTHON: a virtual environment with pip at $venv; its output in venv.log.
make_venv() {
  rm -rf "$venv"
  command -v "$1" >/dev/null 2>&1 || { echo "$1: not found" >"$work/venv.log"; return 1; }
  # A pyenv shim (or any wrapper) becomes the interpreter it runs.
  local real
  real=$("$1" -c 'import sys; print(sys.executable)' 2>"$work/venv.log") || return 1
  "$real" -c 'import sys; sys.exit(sys.version_info < (3, 9))' ||
    { echo "$real: Python 3.9 or later needed" >"$work/venv.log"; return 1; }
  "$real" -m venv "$venv" >"$work/venv.log" 2>&1 && "$venv/bin/python" -m pip --version >/dev/null 2>&1
}

python=${PYTHON:-python3}
if ! make_venv "$python"; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    say "$python cannot make a virtual environment with pip ($(tail -n 1 "$work/venv.log")); installing python3-pip and python3-venv"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq python3 python3-pip python3-venv; } >"$work/apt.log" 2>&1 ||
      { cat "$work/apt.log" >&2; die "apt-get install python3-pip python3-venv failed"; }
    make_venv "$python" || { [ -x /usr/bin/python3 ] && make_venv /usr/bin/python3; } ||
      { cat "$work/venv.log" >&2; die "no Python can make a virtual environment"; }
  else
    cat "$work/venv.log" >&2
    die "$python cannot make a virtual environment with pip (on Debian: apt-get install python3-pip python3-venv; or set PYTHON)"
  fi
fi
py=$venv/bin/python
say "$("$py" -c 'import sys; print("Python", sys.version.split()[0], "from", sys.base_prefix)'); jpki-mock at $bin"

# pip builds from a copy, so that no build/ or *.egg-info appears in the source tree.
mkdir "$work/src"
cp -R clients/python/. "$work/src/"
rm -rf "$work/src/build" "$work/src"/src/*.egg-info
"$py" -m pip install --disable-pip-version-check --no-input -q "$work/src" pytest cryptography \
  >"$work/pip.log" 2>&1 || { cat "$work/pip.log" >&2; die "pip install failed"; }
say "installed $("$py" -m pip list --disable-pip-version-check 2>/dev/null |
  awk '$1 == "jpki-mock" || $1 == "pytest" || $1 == "cryptography" { printf "%s%s %s", sep, $1, $2; sep = ", " }')"

# pytest from clients/python (its pyproject.toml sets testpaths), with the installed
# package: the src layout keeps the source copy off sys.path.
status=0
(cd clients/python && JPKI_MOCK_BIN=$bin PYTHONDONTWRITEBYTECODE=1 \
  "$py" -m pytest -p no:cacheprovider --junitxml="$work/junit.xml" -o junit_family=xunit2 "$@") ||
  status=$?

if [ ! -s "$work/junit.xml" ]; then
  say "pytest exited $status without a report"
  exit $((status == 0 ? 1 : status))
fi
counts=$("$py" - "$work/junit.xml" <<'EOF'
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
total = {k: sum(int(s.get(k, 0)) for s in suites) for k in ("tests", "failures", "errors", "skipped")}
passed = total["tests"] - total["failures"] - total["errors"] - total["skipped"]
print(passed, total["failures"] + total["errors"], total["skipped"])
EOF
)
read -r passed failed skipped <<<"$counts"
say "$passed passed, $failed failed, $skipped skipped"
if [ "$status" = 0 ] && [ "$passed" = 0 ]; then
  exit 1  # no test ran
fi
exit "$status"
