#!/usr/bin/env bash
# The dashboard's end-to-end test (tests/ui/dashboard.mjs) in headless Chromium, as CI
# runs it on a fresh Debian 12 machine:
#   1. installs with apt what is missing: chromium, chromium-driver, and a Japanese font
#      (fonts-ipafont-gothic, so that names show in the screenshots); root or sudo;
#   2. installs playwright-core as tests/ui/package-lock.json pins it (`npm ci`, from the
#      npm registry; it downloads no browser: Debian's chromium is driven);
#   3. runs the test against JPKI_MOCK_BIN (default target/release/jpki-mock: build it
#      first), saving a screenshot of each page in SCREENSHOTS (default
#      target/ui-screenshots, CI's artefacts).
# Exits 1 on any failed step; the last line is the summary.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${JPKI_MOCK_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/jpki-mock}"
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
[[ -x $bin ]] || { echo "ui: no binary at $bin (cargo build --release)"; exit 1; }

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium chromium-driver)
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
fc-list 2>/dev/null | grep -qi "IPAGothic" || need+=(fonts-ipafont-gothic)
if ((${#need[@]})); then
  echo "ui: installing ${need[*]} (apt)"
  sudo=()
  [[ $(id -u) == 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${need[@]}" >/dev/null
fi

cd "$root/tests/ui"
npm ci --no-audit --no-fund --silent
export JPKI_MOCK_BIN="$bin"
export SCREENSHOTS="${SCREENSHOTS:-${CARGO_TARGET_DIR:-$root/target}/ui-screenshots}"
node dashboard.mjs
