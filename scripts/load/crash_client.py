#!/usr/bin/env python3
"""Clients of scripts/crash-test.sh. Standard library only; 127.0.0.1 only.

  api-writer  create cards (POST /api/v1/cards, p256) and revoke them
              (POST /api/v1/cards/{id}/events {"cause":"leak"}) from several threads,
              retrying on connection errors; every ACKNOWLEDGED revocation (HTTP 200
              with a non-empty "revoked" list) is appended (fsync'd) to --acks.
  cli-writer  the same through the CLI (`jpki-mock --state DIR issue/revoke`, or
              `--store URL`) in a loop, writing the state directly while the server
              runs.
  make-pool   create cards that both writers then race to revoke.
  crl-watch   fetch both CRLs over and over, recording every cRLNumber seen.
  verify      every acknowledged revocation is in the CRL (openssl crl -text, with its
              revocation date) and in OCSP (all serials in batches, plus a random sample
              of leaf certificates one by one), cRLNumbers never went backwards, and
              PRAGMA integrity_check says ok.
"""

import argparse
import hashlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jpkiload as jl  # noqa: E402


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


class Recorder:
    """Acknowledgements, counters and leaf PEMs, shared by the writer threads."""

    def __init__(self, acks, progress, certs_dir, source):
        self.acks = acks
        self.progress = progress
        self.certs_dir = certs_dir
        self.source = source
        self.lock = threading.Lock()
        self.acked_cards = 0
        self.acked_serials = 0
        self.counters = {}

    def count(self, what, n=1):
        with self.lock:
            self.counters[what] = self.counters.get(what, 0) + n

    def save_certs(self, issued):
        if not self.certs_dir:
            return
        for kind in ("sign", "auth"):
            c = issued.get(kind)
            if c:
                path = os.path.join(self.certs_dir, f"{c['serial']}.pem")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(c["cert_pem"])

    def ack(self, card_id, report):
        with self.lock:
            for r in report["revoked"]:
                jl.append_jsonl(
                    self.acks,
                    {
                        "source": self.source,
                        "card": card_id,
                        "serial": r["serial"],
                        "kind": r["kind"],
                        "reason": r["reason"],
                        "revoked_at": r["revoked_at"],
                        "acked_at": time.time(),
                    },
                )
                self.acked_serials += 1
            self.acked_cards += 1
            if self.progress:
                jl.write_atomic(self.progress, f"{self.acked_cards}\n")


def api_revoke(client, rec, card_id, deadline):
    """Revokes one card; records the acknowledgement. Returns True when acknowledged."""
    retried = []
    try:
        status, body, raw = client.json(
            "POST",
            f"/api/v1/cards/{card_id}/events",
            {"cause": "leak"},
            deadline=deadline,
            on_retry=retried.append,
        )
    except jl.Unreachable:
        rec.count("revoke_unreachable")
        return False
    if retried:
        rec.count("revoke_retried_after_connection_error")
    if status == 200 and body and body.get("revoked"):
        rec.ack(card_id, body)
        return True
    if status == 200:
        # Nothing left to revoke: the other writer won the race, or a first attempt
        # whose answer was lost in a kill had already committed (not acknowledged to
        # us, so not counted).
        rec.count("revoke_nothing_left")
    else:
        rec.count(f"revoke_http_{status}")
        log(f"revoke card {card_id}: HTTP {status}: {raw[:200]!r}")
    return False


def api_writer(args):
    client = jl.Client(args.port, timeout=args.timeout)
    rec = Recorder(args.acks, args.progress, args.certs_dir, args.source)
    deadline = time.monotonic() + args.duration
    next_index = [0]
    index_lock = threading.Lock()

    def take():
        with index_lock:
            n = next_index[0]
            next_index[0] += 1
            return n

    def worker(thread_no):
        while time.monotonic() < deadline:
            n = take()
            if args.cards and n >= args.cards:
                return
            retried = []
            try:
                status, body, raw = client.json(
                    "POST",
                    "/api/v1/cards",
                    jl.card_request(n),
                    deadline=deadline + 30,
                    on_retry=retried.append,
                )
            except jl.Unreachable:
                rec.count("create_unreachable")
                continue
            if status != 201:
                rec.count(f"create_http_{status}")
                log(f"create card: HTTP {status}: {raw[:200]!r}")
                time.sleep(0.05)
                continue
            rec.count("cards_created")
            rec.save_certs(body)
            api_revoke(client, rec, body["card_id"], deadline + 30)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    summary = {
        "source": args.source,
        "acknowledged_cards": rec.acked_cards,
        "acknowledged_serials": rec.acked_serials,
        **rec.counters,
    }
    print(json.dumps(summary), flush=True)


def cli_writer(args):
    """The CLI writing while the server runs: issue + revoke a new card, and revoke the
    next card of the shared pool, until the time is up."""
    rec = Recorder(args.acks, None, args.certs_dir, "cli")
    deadline = time.monotonic() + args.duration
    pool = []
    if args.pool:
        with open(args.pool) as f:
            pool = [int(x) for x in f.read().split()]
    base = [args.bin, "--store", args.store] if args.store else [args.bin, "--state", args.state]
    n = 0

    def run(command):
        try:
            done = subprocess.run(base + command, capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            rec.count("cli_timeout")
            log(f"CLI timed out: {' '.join(command)}")
            return None
        if done.returncode != 0:
            rec.count(f"cli_exit_{done.returncode}")
            log(f"CLI {' '.join(command[:3])}: exit {done.returncode}: {done.stderr.strip()[:300]}")
            return None
        return json.loads(done.stdout)

    client = jl.Client(args.port, timeout=30) if args.port else None
    api_rec = Recorder(args.acks, None, None, "api-race")
    api_rec.lock = rec.lock  # one writer of the acks file at a time
    rng = random.Random()
    while time.monotonic() < deadline:
        if n < len(pool):
            # A real race on one card: the API revokes it (after 0-80 ms, about the
            # CLI's start-up time) while the CLI process revokes it too. Exactly one of
            # them may be told "revoked" for each certificate.
            card = pool[n]
            racer = None
            if client:
                def api_side(card=card, pause=rng.uniform(0, 0.08)):
                    time.sleep(pause)
                    api_revoke(client, api_rec, card, time.monotonic() + 30)
                racer = threading.Thread(target=api_side)
                racer.start()
            report = run(["revoke", "--card", str(card), "--cause", "leak"])
            if report is not None:
                if report.get("revoked"):
                    rec.ack(card, report)
                else:
                    rec.count("revoke_nothing_left")
            if racer:
                racer.join()
        issued = run(
            [
                "issue",
                "--name", jl.NAMES[n % len(jl.NAMES)],
                "--birth", "1985-05-05",
                "--gender", "female",
                "--address", jl.ADDRESSES[n % len(jl.ADDRESSES)],
                "--key-alg", "p256",
            ]
        )
        n += 1
        if issued is None:
            continue
        rec.count("cards_created")
        rec.save_certs(issued)
        report = run(["revoke", "--card", str(issued["card_id"]), "--cause", "leak"])
        if report is not None and report.get("revoked"):
            rec.ack(issued["card_id"], report)
    summary = {
        "source": "cli",
        "acknowledged_cards": rec.acked_cards,
        "acknowledged_serials": rec.acked_serials,
        **rec.counters,
        "race_api_acknowledged_cards": api_rec.acked_cards,
        **{f"race_api_{k}": v for k, v in api_rec.counters.items()},
    }
    print(json.dumps(summary), flush=True)


def make_pool(args):
    client = jl.Client(args.port, timeout=args.timeout)
    ids = []
    for n in range(args.count):
        status, body, raw = client.json("POST", "/api/v1/cards", jl.card_request(1000 + n))
        if status != 201:
            raise SystemExit(f"make-pool: HTTP {status}: {raw[:200]!r}")
        if args.certs_dir:
            Recorder(os.devnull, None, args.certs_dir, "pool").save_certs(body)
        ids.append(body["card_id"])
    with open(args.out, "w") as f:
        f.write("\n".join(map(str, ids)) + "\n")


def crl_watch(args):
    """Fetches both CRLs until --stop-file appears (or --duration passes); records every
    cRLNumber seen, flagging one lower than an earlier one, or the same number for
    different revoked sets."""
    client = jl.Client(args.port, timeout=args.timeout)
    deadline = time.monotonic() + args.duration
    highest = {}
    seen = {}
    fetches = 0
    problems = []
    while time.monotonic() < deadline and not os.path.exists(args.stop_file):
        for kind in ("sign", "auth"):
            try:
                status, _, der = client.request(
                    "GET", f"/crl/{kind}.crl", deadline=time.monotonic() + 5
                )
            except jl.Unreachable:
                continue
            if status != 200:
                problems.append(f"GET /crl/{kind}.crl: HTTP {status}")
                continue
            number, serials = jl.crl_facts(der)
            fetches += 1
            digest = hashlib.sha256(repr(sorted(serials)).encode()).hexdigest()
            jl.append_jsonl(args.out, {"kind": kind, "number": number, "entries": len(serials), "t": time.time()})
            if number < highest.get(kind, -1):
                problems.append(f"{kind} CRL number went backwards: {highest[kind]} then {number}")
            highest[kind] = max(highest.get(kind, -1), number)
            if seen.setdefault((kind, number), digest) != digest:
                problems.append(f"{kind} CRL number {number} reused for a different list")
        time.sleep(args.interval)
    print(json.dumps({"crl_fetches": fetches, "highest": highest, "problems": problems}), flush=True)


def verify(args):
    """The final check. Exit 1 on any lost revocation or CRL-number regression."""
    client = jl.Client(args.port, timeout=args.timeout)
    acks = []
    for path in args.acks:
        acks += jl.read_jsonl(path)
    failures = []
    # One serial acknowledged twice (two writers both told "revoked") is a lost update.
    by_serial = {}
    for a in acks:
        if a["serial"] in by_serial:
            failures.append(
                f"serial {a['serial']} acknowledged twice: {by_serial[a['serial']]} and {a}"
            )
        by_serial[a["serial"]] = a

    work = args.work
    lost = set()
    ca_pem = {}
    crl_numbers = {}
    for kind in ("sign", "auth"):
        status, _, pem = client.request("GET", f"/ca/{kind}.pem")
        if status != 200:
            raise SystemExit(f"GET /ca/{kind}.pem: HTTP {status}")
        ca_pem[kind] = os.path.join(work, f"ca-{kind}.pem")
        with open(ca_pem[kind], "wb") as f:
            f.write(pem)
        status, _, der = client.request("GET", f"/crl/{kind}.crl")
        if status != 200:
            raise SystemExit(f"GET /crl/{kind}.crl: HTTP {status}")
        number, entries = jl.openssl_crl_entries(der)
        crl_numbers[kind] = number
        for a in acks:
            if a["kind"] != kind:
                continue
            if a["serial"] not in entries:
                lost.add(a["serial"])
                failures.append(f"acknowledged {kind} serial {a['serial']} ({a['source']}) is not in the CRL")
            elif entries[a["serial"]] != jl.utc_second(a["revoked_at"]):
                failures.append(
                    f"serial {a['serial']}: CRL revocation date {entries[a['serial']]} "
                    f"differs from the acknowledged {a['revoked_at']}"
                )

    # OCSP: every acknowledged serial, in requests of 20 CertIDs.
    ocsp_checked = 0
    for kind in ("sign", "auth"):
        serials = sorted(a["serial"] for a in acks if a["kind"] == kind)
        url = f"http://127.0.0.1:{args.port}/ocsp/{kind}"
        for i in range(0, len(serials), 20):
            batch = serials[i : i + 20]
            statuses, verified, output = jl.openssl_ocsp(ca_pem[kind], url, serials=batch)
            if not verified:
                failures.append(f"OCSP response did not verify: {output[-300:]}")
            for s in batch:
                got = statuses.get(f"0x{s:X}")
                ocsp_checked += 1
                if got != "revoked":
                    lost.add(s)
                    failures.append(f"OCSP says {got} for acknowledged {kind} serial {s}")

    # OCSP again for a random sample, one leaf certificate at a time (openssl builds the
    # CertID from the certificate, as a relying party does), on the shared /ocsp.
    rng = random.Random(args.seed)
    with_pem = [a for a in acks if os.path.exists(os.path.join(args.certs_dir, f"{a['serial']}.pem"))]
    sample = rng.sample(with_pem, min(args.sample, len(with_pem)))
    for a in sample:
        leaf = os.path.join(args.certs_dir, f"{a['serial']}.pem")
        statuses, verified, output = jl.openssl_ocsp(
            ca_pem[a["kind"]], f"http://127.0.0.1:{args.port}/ocsp", cert_pem=leaf
        )
        got = statuses.get(leaf)
        if got != "revoked" or not verified:
            lost.add(a["serial"])
            failures.append(f"openssl ocsp -cert {leaf}: {got}, verified={verified}")

    # cRLNumbers seen during the run (across kills and restarts) and at the end.
    observations = []
    for path in args.crl_log or []:
        observations += jl.read_jsonl(path)
    observations.sort(key=lambda o: o["t"])
    highest = {}
    regressions = 0
    for o in observations:
        if o["number"] < highest.get(o["kind"], -1):
            regressions += 1
            failures.append(f"{o['kind']} cRLNumber went backwards: {highest[o['kind']]} then {o['number']}")
        highest[o["kind"]] = max(highest.get(o["kind"], -1), o["number"])
    for kind, number in crl_numbers.items():
        if number is None or number < highest.get(kind, -1):
            regressions += 1
            failures.append(f"final {kind} cRLNumber {number} is below one seen earlier ({highest.get(kind)})")

    integrity = "skipped"
    if args.state:
        db = sqlite3.connect(f"file:{os.path.join(args.state, 'jpki-mock.sqlite3')}?mode=ro", uri=True, timeout=30)
        try:
            integrity = "; ".join(r[0] for r in db.execute("PRAGMA integrity_check"))
            fk = db.execute("PRAGMA foreign_key_check").fetchall()
            # Every revoked certificate points at the event that revoked it.
            orphans = db.execute(
                "SELECT count(*) FROM certificates WHERE revoked_at IS NOT NULL AND "
                "(revoked_by IS NULL OR revoked_by NOT IN (SELECT id FROM events))"
            ).fetchone()[0]
        finally:
            db.close()
        if integrity != "ok":
            failures.append(f"PRAGMA integrity_check: {integrity}")
        if fk:
            failures.append(f"PRAGMA foreign_key_check: {fk[:5]}")
        if orphans:
            failures.append(f"{orphans} revoked certificates without their event")

    sources = {}
    for a in acks:
        sources[a["source"]] = sources.get(a["source"], 0) + 1
    print(
        json.dumps(
            {
                "acknowledged": len(acks),
                "by_source": sources,
                "lost": len(lost),
                "crl_numbers_final": crl_numbers,
                "crl_observations": len(observations),
                "crl_regressions": regressions,
                "ocsp_serials_checked": ocsp_checked,
                "ocsp_leaf_sample": len(sample),
                "integrity_check": integrity,
                "failures": len(failures),
            }
        )
    )
    for f in failures[:50]:
        log("FAIL:", f)
    print(f"{len(acks)} acknowledged, {len(lost)} lost")
    sys.exit(1 if failures else 0)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    def common(s):
        s.add_argument("--port", type=int)
        s.add_argument("--timeout", type=float, default=30.0)

    s = sub.add_parser("api-writer")
    common(s)
    s.add_argument("--cards", type=int, default=0, help="stop after this many (0: time only)")
    s.add_argument("--threads", type=int, default=4)
    s.add_argument("--duration", type=float, default=300)
    s.add_argument("--acks", required=True)
    s.add_argument("--progress")
    s.add_argument("--certs-dir")
    s.add_argument("--source", default="api")
    s.set_defaults(run=api_writer)

    s = sub.add_parser("cli-writer")
    s.add_argument("--bin", required=True)
    s.add_argument("--port", type=int, help="also race the admin API on each pool card")
    where = s.add_mutually_exclusive_group(required=True)
    where.add_argument("--state")
    where.add_argument("--store", help="a PostgreSQL URL instead of a state directory")
    s.add_argument("--duration", type=float, default=20)
    s.add_argument("--acks", required=True)
    s.add_argument("--certs-dir")
    s.add_argument("--pool")
    s.set_defaults(run=cli_writer)

    s = sub.add_parser("make-pool")
    common(s)
    s.add_argument("--count", type=int, default=40)
    s.add_argument("--out", required=True)
    s.add_argument("--certs-dir")
    s.set_defaults(run=make_pool)

    s = sub.add_parser("crl-watch")
    common(s)
    s.add_argument("--out", required=True)
    s.add_argument("--stop-file", required=True)
    s.add_argument("--duration", type=float, default=600)
    s.add_argument("--interval", type=float, default=0.1)
    s.set_defaults(run=crl_watch)

    s = sub.add_parser("verify")
    common(s)
    s.add_argument("--acks", nargs="+", required=True)
    s.add_argument("--crl-log", nargs="*")
    s.add_argument("--state")
    s.add_argument("--work", required=True)
    s.add_argument("--certs-dir", required=True)
    s.add_argument("--sample", type=int, default=50)
    s.add_argument("--seed", type=int, default=None)
    s.set_defaults(run=verify)

    args = p.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
