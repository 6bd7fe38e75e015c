"""oha's JSON summary (stdin) as one line: "req/s p50_ms p99_ms not_200".

Answers other than 200 (or the status given as the one argument, e.g. 201) and
transport errors count as not 200; the requests still in flight when oha's time is up
("deadline") are not errors.
"""
import json
import sys

r = json.load(sys.stdin)
codes = r.get("statusCodeDistribution", {})
expected = sys.argv[1] if len(sys.argv) > 1 else "200"
bad = sum(n for code, n in codes.items() if code != expected)
bad += sum(n for e, n in r.get("errorDistribution", {}).items() if "deadline" not in e)
p = r.get("latencyPercentiles", {})
ms = {k: (p.get(k) or 0) * 1000 for k in ("p50", "p99")}
print(f"{r['summary']['requestsPerSec']:.0f} {ms['p50']:.2f} {ms['p99']:.2f} {bad}")
