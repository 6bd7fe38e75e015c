#!/usr/bin/env bash
# Regenerates the committed sample set in certs/ from fixed inputs: a fixed clock
# (--now), fixed holders, and seeded keys (--seed, test-only), so the output is
# byte-identical on every run. tests/fixtures.rs checks that it still is.
#
# Usage: scripts/make-fixtures.sh [OUT_DIR]   (default: certs/)
# Set JPKI_MOCK to a built binary to skip `cargo run`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-certs}
root=$(pwd)
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"
bin=$(jpki_binary) || exit 2
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
run() { "$bin" --state "$state" --seed jpki-mock-fixtures "$@"; }

mkdir -p "$out/adult" "$out/minor"
run --now 2021-03-01T09:00:00+09:00 init --base-url http://127.0.0.1:8080 >/dev/null
run ca sign --pem --out "$out/ca-sign.pem"
run ca auth --pem --out "$out/ca-auth.pem"

# An adult: born 1990-10-01, card and certificates issued 2021-03-15 10:00 JST.
run --now 2021-03-15T10:00:00+09:00 issue \
  --name "山田 太郎" --birth 1990-10-01 --gender male \
  --address "東京都品川区広町2-1-36" --sign-pin ABC123 --auth-pin 1234 \
  --out "$out/adult" >/dev/null

# A minor under 15: born 2010-04-01, issued 2023-01-20: auth certificate only.
run --now 2023-01-20T10:00:00+09:00 issue \
  --name "鈴木 花子" --birth 2010-04-01 --gender female \
  --address "大阪府大阪市北区梅田1-1-3" --auth-pin 5678 \
  --out "$out/minor" >/dev/null

echo "fixtures written to $out/"
