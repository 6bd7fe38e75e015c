#!/usr/bin/env python3
"""Admin traffic of scripts/soak.sh: at a bounded rate, create a card (p256), read it
back now and then, and revoke it (cause leak), until --duration passes or --max cards
are done. No retries: during a soak any connection error is an error. Prints one JSON
line with counts and latency percentiles (ms). 127.0.0.1 only; standard library only.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jpkiload as jl  # noqa: E402


def percentile(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--duration", type=float, required=True)
    p.add_argument("--rate", type=float, default=2.0, help="cards per second")
    p.add_argument("--max", type=int, default=5000)
    p.add_argument("--revoked-out", help="write the revoked serials here, one per line")
    args = p.parse_args()

    client = jl.Client(args.port, timeout=10)
    deadline = time.monotonic() + args.duration
    latencies = []
    counts = {"requests": 0, "errors": 0, "revoked_serials": 0}
    first_error = ""
    revoked = []

    def call(method, path, payload, expect):
        nonlocal first_error
        started = time.monotonic()
        counts["requests"] += 1
        try:
            if payload is None:
                status, _, raw = client.once(method, path)
                body = json.loads(raw) if raw else None
            else:
                body_bytes = json.dumps(payload).encode()
                status, _, raw = client.once(
                    method, path, body_bytes, {"Content-Type": "application/json"}
                )
                body = json.loads(raw) if raw else None
        except (jl.CONNECTION_ERRORS + (ValueError,)) as error:
            counts["errors"] += 1
            first_error = first_error or f"{method} {path}: {error!r}"
            return None
        latencies.append((time.monotonic() - started) * 1000)
        if status != expect:
            counts["errors"] += 1
            first_error = first_error or f"{method} {path}: HTTP {status} {raw[:200]!r}"
            return None
        return body

    n = 0
    next_at = time.monotonic()
    while time.monotonic() < deadline and n < args.max:
        issued = call("POST", "/api/v1/cards", jl.card_request(n), 201)
        n += 1
        if issued:
            card = issued["card_id"]
            if n % 5 == 0:
                call("GET", f"/api/v1/cards/{card}", None, 200)
            report = call("POST", f"/api/v1/cards/{card}/events", {"cause": "leak"}, 200)
            if report:
                for r in report.get("revoked", []):
                    revoked.append(r["serial"])
                    counts["revoked_serials"] += 1
        next_at += 1 / args.rate
        pause = next_at - time.monotonic()
        if pause > 0:
            time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
    if args.revoked_out:
        with open(args.revoked_out, "w") as f:
            f.write("\n".join(map(str, revoked)) + ("\n" if revoked else ""))
    print(
        json.dumps(
            {
                "cards": n,
                **counts,
                "p50_ms": round(percentile(latencies, 50), 2),
                "p99_ms": round(percentile(latencies, 99), 2),
                "max_ms": round(max(latencies, default=0), 2),
                "first_error": first_error,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
