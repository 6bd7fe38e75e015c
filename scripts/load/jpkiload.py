"""Shared helpers of the reliability scripts (crash-test.sh, soak.sh): a small HTTP
client that retries on connection errors, the admin calls the scripts make, a
minimal DER reader for CRLs, and openssl-based checks. Standard library only.
Every client talks to 127.0.0.1 only.
"""

import base64
import http.client
import json
import os
import random
import re
import socket
import subprocess
import tempfile
import time
import urllib.parse

# Errors that mean "the server is not there right now" (killed, restarting): retry.
CONNECTION_ERRORS = (
    ConnectionError,  # refused, reset, aborted, broken pipe
    http.client.RemoteDisconnected,
    http.client.BadStatusLine,
    http.client.IncompleteRead,
    socket.timeout,
    TimeoutError,
    OSError,
)


class Unreachable(Exception):
    """The server did not answer within the retry budget."""


class Client:
    """HTTP/1.1 to one 127.0.0.1 port, a fresh connection per request (a killed server
    must not leave a half-dead keep-alive connection behind)."""

    def __init__(self, port, timeout=10.0):
        self.port = int(port)
        self.timeout = timeout

    def once(self, method, path, body=None, headers=None):
        """One attempt: (status, headers dict, body bytes); raises on connection errors."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            data = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        finally:
            connection.close()

    def request(self, method, path, body=None, headers=None, deadline=None, on_retry=None):
        """Retries connection errors with a short back-off until `deadline` (a
        time.monotonic() value; default 60 s from now). Returns like once()."""
        deadline = deadline or time.monotonic() + 60
        delay = 0.02
        while True:
            try:
                return self.once(method, path, body, headers)
            except CONNECTION_ERRORS as error:
                if on_retry:
                    on_retry(error)
                if time.monotonic() > deadline:
                    raise Unreachable(f"{method} {path}: {error!r}") from error
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    def json(self, method, path, payload, **kwargs):
        body = json.dumps(payload).encode()
        status, headers, data = self.request(
            method, path, body, {"Content-Type": "application/json"}, **kwargs
        )
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        return status, parsed, data


NAMES = ["山田 太郎", "佐藤 花子", "鈴木 一郎", "高橋 美咲", "田中 健", "伊藤 さくら"]
ADDRESSES = [
    "東京都品川区広町2-1-36",
    "大阪府大阪市北区梅田1-1-3",
    "北海道札幌市中央区北1条西2丁目",
    "福岡県福岡市中央区天神1-8-1",
]


def card_request(n, key_alg="p256"):
    """The body of POST /api/v1/cards for the n-th test holder."""
    return {
        "name": NAMES[n % len(NAMES)],
        "birth": f"{1950 + n % 50}-{1 + n % 12:02d}-{1 + n % 28:02d}",
        "gender": ["male", "female", "unknown"][n % 3],
        "address": ADDRESSES[n % len(ADDRESSES)],
        "key_alg": key_alg,
    }


# --- DER --------------------------------------------------------------------------


def der_read(data, offset):
    """One TLV at `offset`: (tag, value start, value end)."""
    tag = data[offset]
    length = data[offset + 1]
    offset += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[offset : offset + count], "big")
        offset += count
    return tag, offset, offset + length


def der_children(data, start, end):
    out = []
    while start < end:
        tag, vs, ve = der_read(data, start)
        out.append((tag, vs, ve))
        start = ve
    return out


CRL_NUMBER_OID = bytes([0x55, 0x1D, 0x14])  # 2.5.29.20


def crl_facts(der):
    """(cRLNumber, set of revoked serials) of a DER CRL."""
    _, s, e = der_read(der, 0)
    tbs_tag, ts, te = der_children(der, s, e)[0]
    assert tbs_tag == 0x30, "CRL: no tbsCertList"
    number = None
    serials = set()
    for tag, vs, ve in der_children(der, ts, te):
        if tag == 0x30:  # signature AlgId, issuer Name, or revokedCertificates
            entries = der_children(der, vs, ve)
            if entries and entries[0][0] == 0x30:
                first = der_children(der, entries[0][1], entries[0][2])
                if first and first[0][0] == 0x02:  # SEQUENCE OF SEQUENCE {INTEGER, …}
                    for _, es, ee in entries:
                        _, ss, se = der_children(der, es, ee)[0]
                        serials.add(int.from_bytes(der[ss:se], "big"))
        elif tag == 0xA0:  # [0] crlExtensions
            _, xs, xe = der_children(der, vs, ve)[0]
            for _, es, ee in der_children(der, xs, xe):
                parts = der_children(der, es, ee)
                oid = der[parts[0][1] : parts[0][2]]
                if oid == CRL_NUMBER_OID:
                    _, os_, oe = parts[-1]
                    _, is_, ie = der_read(der, os_)
                    number = int.from_bytes(der[is_:ie], "big")
    return number, serials


def ocsp_response_status(der):
    """responseStatus of a DER OCSPResponse, or None."""
    try:
        _, s, _ = der_read(der, 0)
        tag, vs, ve = der_read(der, s)
        return der[vs] if tag == 0x0A and ve - vs == 1 else None
    except IndexError:
        return None


# --- openssl ----------------------------------------------------------------------

MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}


def openssl_crl_entries(der):
    """{serial: 'YYYY-MM-DDTHH:MM:SSZ'} and the cRLNumber, read by
    `openssl crl -inform DER -text`."""
    with tempfile.NamedTemporaryFile(suffix=".crl") as f:
        f.write(der)
        f.flush()
        text = subprocess.run(
            ["openssl", "crl", "-inform", "DER", "-in", f.name, "-noout", "-text"],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
    number = None
    m = re.search(r"X509v3 CRL Number:\s*\n\s*(\S+)", text)
    if m:
        value = m.group(1)
        number = int(value, 16) if value.lower().startswith("0x") else int(value)
    entries = {}
    for serial, when in re.findall(
        r"Serial Number: ([0-9A-Fa-f]+)\s*\n\s*Revocation Date: ([^\n]+)", text
    ):
        mon, day, clock, year, _ = when.split()
        entries[int(serial, 16)] = f"{year}-{MONTHS[mon]:02d}-{int(day):02d}T{clock}Z"
    return number, entries


def utc_second(rfc3339):
    """An RFC 3339 instant as 'YYYY-MM-DDTHH:MM:SSZ' (UTC, to the second)."""
    import datetime

    t = datetime.datetime.fromisoformat(rfc3339.replace("Z", "+00:00"))
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def openssl_ocsp(ca_pem, url, serials=None, cert_pem=None, timeout=60):
    """Asks `openssl ocsp` about serials (ints, one request) or one certificate file.
    Returns ({label: status}, verified: bool, raw output)."""
    command = ["openssl", "ocsp", "-issuer", ca_pem, "-url", url, "-CAfile", ca_pem, "-no_nonce"]
    if cert_pem:
        command += ["-cert", cert_pem]
    for serial in serials or []:
        command += ["-serial", f"0x{serial:X}"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    output = run.stdout + run.stderr
    statuses = dict(re.findall(r"^(\S+): (good|revoked|unknown)\s*$", output, re.M))
    return statuses, "Response verify OK" in output, output


def append_jsonl(path, record):
    """Appends one JSON line and flushes it to disk (the record must outlive us)."""
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_atomic(path, text):
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
