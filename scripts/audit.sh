#!/usr/bin/env bash
# Checks Cargo.lock and fuzz/Cargo.lock against the RustSec advisory database.
#
#   scripts/audit.sh                 audit with the committed snapshot
#   scripts/audit.sh --update DIR    replace the snapshot with DIR, a checkout of
#                                    rustsec/advisory-db, then audit
#
# Machines here reach crates.io but not the advisory database's git repository, so a
# snapshot of its crates/ directory is committed (audit/advisory-db.tar.xz, its commit
# in audit/SNAPSHOT) and cargo-audit reads it with --no-fetch. Set ADVISORY_DB=DIR to
# audit with another copy instead. Warnings (unmaintained, unsound, yanked) fail too;
# exceptions, each with its reason, are in .cargo/audit.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
audit_version=0.22.2

if [ "${1:-}" = "--update" ]; then
  source=${2:?usage: $0 --update ADVISORY_DB_CHECKOUT}
  git -C "$source" archive --format=tar HEAD crates | xz -9 > audit/advisory-db.tar.xz
  echo "rustsec/advisory-db $(git -C "$source" log -1 --format='%H %cI') (crates/ only)" > audit/SNAPSHOT
fi

if ! cargo audit --version 2>/dev/null | grep -q "$audit_version"; then
  cargo install cargo-audit --locked --version "$audit_version"
fi

db=${ADVISORY_DB:-}
if [ -z "$db" ]; then
  db=$(mktemp -d)
  trap 'rm -rf "$db"' EXIT
  tar -xJf audit/advisory-db.tar.xz -C "$db"
  echo "advisory database: $(cat audit/SNAPSHOT)"
fi
for lockfile in Cargo.lock fuzz/Cargo.lock; do
  cargo audit --db "$db" --no-fetch --deny warnings --file "$lockfile"
done
