#!/usr/bin/env bash
# The Java client (clients/java) built and tested without Maven, as CI does on a fresh
# Debian 12 machine:
#   1. installs with apt what is missing (default-jdk-headless, junit5; root or sudo);
#   2. compiles src/main/java with javac alone (no class path: it needs only the JDK),
#      then the JUnit 5 extension (src/junit/java) against the Jupiter API jar, then the
#      tests (src/test/java);
#   3. runs every test with JUnit's console launcher against the jpki-mock binary in
#      JPKI_MOCK_BIN (default target/release/jpki-mock: build it first).
# It also checks that docs/java.md shows src/test/java/com/example/RelyingPartyTest.java
# as it is (the document's first java block).
# Exits 1 on any compile error or failed test; the last line is the summary.
#
# usage: scripts/test-java-client.sh            (from anywhere)
#   JPKI_MOCK_BIN=/path/to/jpki-mock scripts/test-java-client.sh
#   KEEP=1 keeps the build directory (printed) for a look at the classes and reports.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
client="$root/clients/java"
java_dir=/usr/share/java
console="$java_dir/junit-platform-console-standalone.jar"
started=$SECONDS

say() { printf '%s\n' "$*"; }
fail() {
  say "FAIL java client: $*"
  exit 1
}

# 1. What is missing, from apt.
need=()
command -v javac >/dev/null 2>&1 || need+=(default-jdk-headless)
[[ -f "$console" && -f "$java_dir/junit-jupiter-api.jar" ]] || need+=(junit5)
if ((${#need[@]})); then
  say "installing ${need[*]} (apt)"
  sudo=()
  if [[ $(id -u) != 0 ]]; then
    command -v sudo >/dev/null 2>&1 || fail "${need[*]} missing, and not root and no sudo to install them"
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq >/dev/null
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
for jar in junit-jupiter-api junit-platform-commons apiguardian-api opentest4j junit-platform-console-standalone; do
  [[ -f "$java_dir/$jar.jar" ]] || fail "$java_dir/$jar.jar is missing (apt-get install junit5)"
done

# The server binary: JPKI_MOCK_BIN if set, else the release build; made absolute,
# because the tests resolve it from their own working directory.
bin="${JPKI_MOCK_BIN:-$root/target/release/jpki-mock}"
[[ "$bin" == /* ]] || bin="$PWD/$bin"
[[ -x "$bin" && -f "$bin" ]] || fail "no jpki-mock binary at $bin (cargo build --release, or set JPKI_MOCK_BIN)"
export JPKI_MOCK_BIN="$bin"

work="$(mktemp -d "${TMPDIR:-/tmp}/jpki-mock-java.XXXXXX")"
if [[ -n "${KEEP:-}" ]]; then
  say "build directory: $work"
else
  trap 'rm -rf "$work"' EXIT
fi

# docs/java.md shows the example test as it is: its first java block is that file.
example="$client/src/test/java/com/example/RelyingPartyTest.java"
awk 'inside && /^```/ { exit } inside { print } /^```java/ { inside = 1 }' "$root/docs/java.md" >"$work/doc-example.java"
if ! diff -u "$example" "$work/doc-example.java" >"$work/doc-example.diff"; then
  cat "$work/doc-example.diff"
  fail "the first java block of docs/java.md is not clients/java/src/test/java/com/example/RelyingPartyTest.java"
fi

# 2. Compile. --release 11: the client runs on Java 11 and later. -Werror on the client
# and the extension: no warnings there.
sources() { find "$1" -name '*.java' -print | LC_ALL=C sort; }
javac_() { env -u CLASSPATH -u JDK_JAVA_OPTIONS javac --release 11 -encoding UTF-8 -Xlint:all -Xlint:-options "$@"; }

[[ -z "$(find "$client/src" -name module-info.java)" ]] || fail "clients/java has a module-info.java"
mapfile -t main < <(sources "$client/src/main/java")
mapfile -t junit < <(sources "$client/src/junit/java")
mapfile -t tests < <(sources "$client/src/test/java")

say "javac src/main/java (${#main[@]} files, the JDK alone)"
mkdir "$work/nothing" # the class path: an empty directory, not the current one
javac_ -Werror -cp "$work/nothing" -d "$work/main" "${main[@]}" || fail "src/main/java does not compile with the JDK alone"

say "javac src/junit/java (${#junit[@]} files, + junit-jupiter-api)"
api_cp="$work/main:$java_dir/junit-jupiter-api.jar:$java_dir/junit-platform-commons.jar"
api_cp+=":$java_dir/apiguardian-api.jar:$java_dir/opentest4j.jar"
javac_ -Werror -cp "$api_cp" -d "$work/junit" "${junit[@]}" || fail "src/junit/java does not compile"

say "javac src/test/java (${#tests[@]} files)"
test_cp="$work/main:$work/junit:$console"
javac_ -cp "$test_cp" -d "$work/test" "${tests[@]}" || fail "src/test/java does not compile"

# 3. Run. The console launcher exits 1 if a test failed, 2 if none was found.
say "running the tests (JPKI_MOCK_BIN=$JPKI_MOCK_BIN)"
status=0
timeout 900 env -u JDK_JAVA_OPTIONS java -jar "$console" \
  --disable-banner --disable-ansi-colors --details=tree --fail-if-no-tests \
  --include-engine=junit-jupiter \
  --class-path "$work/main:$work/junit:$work/test" \
  --scan-class-path "$work/test" \
  --reports-dir "$work/reports" >"$work/run.log" 2>&1 || status=$?
cat "$work/run.log"

count() { sed -n "s/.*\[ *\([0-9][0-9]*\) $1 *\].*/\1/p" "$work/run.log" | tail -n 1; }
found=$(count 'tests found')
ok=$(count 'tests successful')
failed=$(count 'tests failed')
aborted=$(count 'tests aborted')
skipped=$(count 'tests skipped')
summary="${found:-?} tests, ${ok:-?} passed, ${failed:-?} failed, ${aborted:-?} aborted, ${skipped:-?} skipped ($((SECONDS - started)) s)"
if ((status != 0)) || [[ "${failed:-1}" != 0 || "${aborted:-1}" != 0 || "${ok:-0}" == 0 ]]; then
  fail "$summary (launcher exit $status)"
fi
say "PASS java client: $summary"
