#!/usr/bin/env bash
# CRL build benchmark, side by side: jpki-mock (read N revoked entries from its SQLite
# state, encode, sign) against `openssl ca -gencrl` on an index of the same N revoked
# entries (same reason mix, RSA-2048 CA, SHA-256). Prints the best of RUNS (default 3)
# runs of each, the CRL size and the peak RSS.
# Usage: scripts/bench-crl.sh [N ...]   (default: 100000 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000)
command -v openssl >/dev/null || { echo "openssl is required" >&2; exit 1; }
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time; }

cargo bench --no-run --bench crl 2>&1 | tail -1
bench=$(ls -t target/release/deps/crl-* | grep -v '\.d$' | head -1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A CA for openssl, and its config.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/ca.key" -out "$work/ca.pem" \
  -subj "/C=JP/O=JPKI-MOCK/OU=bench" -days 3650 2>/dev/null
cat > "$work/openssl.cnf" <<CNF
[ca]
default_ca = bench
[bench]
database = $work/index.txt
crlnumber = $work/crlnumber
default_md = sha256
default_crl_days = 1
crl_extensions = crl_ext
[crl_ext]
authorityKeyIdentifier = keyid:always
CNF

printf '%-10s %-10s %10s %12s %10s\n' tool entries seconds bytes peak_MiB
for n in "${sizes[@]}"; do
  # Ours.
  ours_s=""
  for _ in $(seq "${RUNS:-3}"); do
    line=$("$bench" "$n")
    s=$(sed -E 's/.*build_seconds=([0-9.]+).*/\1/' <<<"$line")
    ours_s=$(python3 -c "print(min(x for x in [$s, ${ours_s:-$s}]))")
  done
  ours_b=$(sed -E 's/.*crl_bytes=([0-9]+).*/\1/' <<<"$line")
  ours_m=$(sed -E 's/.*peak_rss_mib=([0-9]+).*/\1/' <<<"$line")
  printf '%-10s %-10s %10s %12s %10s\n' jpki-mock "$n" "$ours_s" "$ours_b" "$ours_m"

  # openssl: the same N revoked entries, reasons cycling like ours.
  python3 - "$n" "$work/index.txt" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
reasons = ["keyCompromise", "affiliationChanged", "cessationOfOperation", "certificateHold", "superseded"]
with open(path, "w") as f:
    for i in range(n):
        f.write(f"R\t351231145959Z\t251125000000Z,{reasons[i % 5]}\t{0x02000000 + i:08X}\tunknown\t/CN=x{i}\n")
PY
  theirs_s=""
  for _ in $(seq "${RUNS:-3}"); do
    echo 01 > "$work/crlnumber"
    start=$(date +%s.%N)
    /usr/bin/time -f '%M' -o "$work/rss" openssl ca -config "$work/openssl.cnf" -gencrl \
      -keyfile "$work/ca.key" -cert "$work/ca.pem" -out "$work/crl.pem" -batch 2>/dev/null
    end=$(date +%s.%N)
    s=$(python3 -c "print(f'{$end - $start:.3f}')")
    theirs_s=$(python3 -c "print(min(x for x in [$s, ${theirs_s:-$s}]))")
  done
  openssl crl -in "$work/crl.pem" -outform DER -out "$work/crl.der"
  theirs_b=$(stat -c %s "$work/crl.der")
  theirs_m=$(( $(cat "$work/rss") / 1024 ))
  printf '%-10s %-10s %10s %12s %10s\n' openssl "$n" "$theirs_s" "$theirs_b" "$theirs_m"
  python3 -c "print(f'           speed-up: {$theirs_s / $ours_s:.1f}x')"
done
