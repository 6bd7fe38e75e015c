#!/usr/bin/env python3
"""CRL partitions and CA generations, read with the Python `cryptography` package.

usage: crl_check.py BASE_URL CA_LIST_JSON CARD_DIR... --revoked CARD_DIR --rolled CARD_DIR

For a jpki-mock served at BASE_URL with `[crl] layout = "municipality"` and
`[profile] crl_dp_uri = false` (certificates name their CRL distribution point by a
directoryName alone). CA_LIST_JSON is the output of `jpki-mock ca list`; each CARD_DIR
holds a card's sign.pem and auth.pem, and together they are every card issued. The
--revoked card was revoked with cause "stolen" (keyCompromise); the --rolled card was
issued after `ca rollover sign`. Reads GET /crl/index.json ([{ca, generation,
distribution_point, url}]), every partition it lists and GET /ca/{ca}/{N}.cer for every
generation, and checks:

- generations: /ca/{ca}/{N}.cer is the certificate `ca list` prints (same DER, SKI);
- distribution points: every certificate names one directoryName (no URL), and the
  index lists exactly the (CA, issuing generation, distribution point) of the
  certificates, with absolute URLs under BASE_URL/crl/;
- per partition, signature: a DER CRL whose signature verifies with the key of the
  generation its entry names and not with the other generation's key of that CA; its
  issuer and AuthorityKeyIdentifier are that generation's;
- per partition, scope: the critical IssuingDistributionPoint's full name is exactly
  one DirectoryName, the one the certificates name (same DER), whose RFC 4514 form is
  the entry's distribution_point; a non-critical cRLNumber (each partition numbers its
  own CRLs, so two partitions may well show the same number);
- revoked: each of the revoked card's certificates is in its own partition with reason
  key_compromise and in no other partition; no other certificate is in any;
- rollover: the --rolled card's sign certificate has an AuthorityKeyIdentifier equal to
  sign generation 2's SubjectKeyIdentifier, is signed by that key, and the index puts
  its distribution point under /crl/sign/2/.

Prints one "PASS ..." or "FAIL ..." line per check; exits 1 if any failed.
"""

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding

TIMEOUT = float(os.environ.get("INTEROP_HTTP_TIMEOUT", "10"))
# 127.0.0.1 only: never through a proxy from the environment.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
KINDS = ("sign", "auth")


class Failed(Exception):
    """A check's problems, raised when it cannot go on."""


def fetch(url, content_type):
    """GET url: the body of a 200 answer with the expected Content-Type."""
    try:
        with OPENER.open(url, timeout=TIMEOUT) as response:
            got = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            body = response.read()
    except urllib.error.HTTPError as e:
        raise Failed(f"GET {url}: HTTP {e.code}") from None
    except (urllib.error.URLError, OSError) as e:
        raise Failed(f"GET {url}: {e}") from None
    if got != content_type:
        raise Failed(f"GET {url}: Content-Type {got!r}, expected {content_type}")
    return body


def ski(cert):
    return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest


def aki(obj):
    return obj.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier


def signed_by(cert, key):
    """Whether key verifies cert's signature (RSA PKCS#1 v1.5 or ECDSA)."""
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
                       cert.signature_hash_algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        else:
            return False
    except Exception:  # noqa: BLE001 - InvalidSignature, or a key that does not fit
        return False
    return True


def distribution_point(cert):
    """The one directoryName cert's CRLDistributionPoints names."""
    points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    if len(points) != 1:
        raise Failed(f"{len(points)} distribution points, expected 1")
    names = points[0].full_name or []
    if len(names) != 1 or not isinstance(names[0], x509.DirectoryName):
        raise Failed(f"distribution point full name {names!r}, expected one directoryName alone")
    return names[0].value


class Card:
    def __init__(self, directory):
        self.directory = directory
        self.name = os.path.basename(os.path.normpath(directory))
        self.certs = {}
        for kind in KINDS:
            with open(os.path.join(directory, f"{kind}.pem"), "rb") as f:
                self.certs[kind] = x509.load_pem_x509_certificate(f.read())


class Checks:
    def __init__(self):
        self.failed = 0

    def run(self, label, check, *args):
        """check(*args) returns a note for the PASS line, or raises Failed (or crashes)."""
        try:
            note = check(*args)
        except Failed as e:
            self.failed += 1
            print(f"FAIL {label}: {e}")
        except Exception as e:  # noqa: BLE001 - a client crash is a FAIL too
            self.failed += 1
            print(f"FAIL {label}: {type(e).__name__}: {e}")
        else:
            print(f"PASS {label}{': ' + note if note else ''}")
        sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url")
    parser.add_argument("ca_list", help="the output of `jpki-mock ca list`")
    parser.add_argument("cards", nargs="*", metavar="CARD_DIR")
    parser.add_argument("--revoked", required=True, metavar="CARD_DIR")
    parser.add_argument("--rolled", required=True, metavar="CARD_DIR")
    args = parser.parse_args()
    base = args.base_url.rstrip("/")
    checks = Checks()

    with open(args.ca_list, encoding="utf-8") as f:
        listed = json.load(f)
    revoked, rolled = Card(args.revoked), Card(args.rolled)
    cards = [revoked, rolled] + [Card(d) for d in args.cards if d not in (args.revoked, args.rolled)]
    certs = [(card, kind, card.certs[kind]) for card in cards for kind in KINDS]

    # Every CA generation, by HTTP, against `ca list`.
    gens = {}  # (ca, generation) -> certificate

    def generations():
        problems = []
        for item in listed:
            ca, n = item["ca"], item["generation"]
            url = f"{base}/ca/{ca}/{n}.cer"
            cert = x509.load_der_x509_certificate(fetch(url, "application/pkix-cert"))
            gens[(ca, n)] = cert
            if cert.public_bytes(Encoding.DER) != x509.load_pem_x509_certificate(
                    item["cert_pem"].encode()).public_bytes(Encoding.DER):
                problems.append(f"{url} is not the certificate `ca list` prints")
            if ski(cert).hex().upper() != item["ski_hex"].upper():
                problems.append(f"{url}: SKI {ski(cert).hex()}, `ca list` says {item['ski_hex']}")
        if problems:
            raise Failed("; ".join(problems))
        if not any(ca == "sign" and n == 2 for ca, n in gens):
            raise Failed("no sign generation 2 in `ca list` (was `ca rollover sign` run?)")
        return ", ".join(f"/ca/{ca}/{n}.cer" for ca, n in sorted(gens)) + " match `ca list`"

    checks.run("python crl CA generations", generations)
    if len(gens) != len(listed):
        sys.exit(1)

    def issuer_generation(kind, cert):
        matches = [n for (ca, n), g in gens.items() if ca == kind and ski(g) == aki(cert)]
        if len(matches) != 1:
            raise Failed(f"the AKI {aki(cert).hex()} matches {len(matches)} {kind} generations")
        return matches[0]

    # The index against the certificates' own distribution points.
    index = []
    expected = {}  # (ca, generation, RFC 4514 distribution point) -> x509.Name

    def index_check():
        index.extend(json.loads(fetch(f"{base}/crl/index.json", "application/json")))
        problems = []
        for card, kind, cert in certs:
            try:
                name = distribution_point(cert)
            except Failed as e:
                problems.append(f"{card.name} {kind}: {e}")
                continue
            expected[(kind, issuer_generation(kind, cert), name.rfc4514_string())] = name
        listed_points = [(e["ca"], e["generation"], e["distribution_point"]) for e in index]
        if len(set(listed_points)) != len(listed_points):
            problems.append("an entry is listed twice")
        if set(listed_points) != set(expected):
            problems.append(f"missing {sorted(set(expected) - set(listed_points))}, "
                            f"unexpected {sorted(set(listed_points) - set(expected))}")
        for entry in index:
            prefix = f"{base}/crl/{entry['ca']}/{entry['generation']}/"
            if not entry["url"].startswith(prefix):
                problems.append(f"URL {entry['url']} not under {prefix}")
        if problems:
            raise Failed("; ".join(problems))
        return (f"{len(certs)} certificates name one directoryName each; the index lists exactly "
                f"their {len(index)} (CA, generation, distribution point)")

    checks.run("python crl index", index_check)
    if not index:
        sys.exit(1)

    # Every partition.
    crls = {}  # url -> CRL

    def short(entry):
        path = urllib.parse.urlsplit(entry["url"]).path
        return path.removeprefix("/crl/").removesuffix(".crl")

    def signature(entry):
        crl = x509.load_der_x509_crl(fetch(entry["url"], "application/pkix-crl"))
        crls[entry["url"]] = crl
        ca, n = entry["ca"], entry["generation"]
        issuer = gens[(ca, n)]
        problems = []
        if not crl.is_signature_valid(issuer.public_key()):
            problems.append(f"signature does not verify with {ca} generation {n}'s key")
        others = [m for (c, m) in gens if c == ca and m != n]
        for m in others:
            if crl.is_signature_valid(gens[(ca, m)].public_key()):
                problems.append(f"signature verifies with {ca} generation {m}'s key too")
        if crl.issuer != issuer.subject:
            problems.append("issuer is not the CA's subject")
        if aki(crl) != ski(issuer):
            problems.append(f"AKI {aki(crl).hex()} is not generation {n}'s SKI {ski(issuer).hex()}")
        if problems:
            raise Failed("; ".join(problems))
        note = f"signed by {ca} generation {n}"
        return note + "".join(f", not by generation {m}" for m in others)

    def scope(entry):
        crl = crls[entry["url"]]
        idp = crl.extensions.get_extension_for_class(x509.IssuingDistributionPoint)
        name = expected.get((entry["ca"], entry["generation"], entry["distribution_point"]))
        if name is None:
            raise Failed("no certificate of this CA generation names this distribution point")
        problems = []
        if not idp.critical:
            problems.append("IssuingDistributionPoint not critical")
        full = idp.value.full_name or []
        if full != [x509.DirectoryName(name)]:
            problems.append(f"IDP full name {full!r}, the certificates name {name.rfc4514_string()}")
        elif full[0].value.public_bytes() != name.public_bytes():
            problems.append("IDP directoryName not byte-identical to the certificates' one")
        elif full[0].value.rfc4514_string() != entry["distribution_point"]:
            problems.append(f"IDP {full[0].value.rfc4514_string()}, index {entry['distribution_point']}")
        number = crl.extensions.get_extension_for_class(x509.CRLNumber)
        if number.critical or number.value.crl_number < 1:
            problems.append(f"cRLNumber {number.value.crl_number} (critical: {number.critical})")
        if problems:
            raise Failed("; ".join(problems))
        return f"IDP = the certificates' directoryName, cRLNumber {number.value.crl_number}"

    for entry in index:
        label = f"python crl {short(entry)}"
        checks.run(f"{label} signature", signature, entry)
        if entry["url"] in crls:
            checks.run(f"{label} scope", scope, entry)
    if len(crls) != len(index):
        sys.exit(1)

    def partition_of(kind, cert):
        wanted = (kind, issuer_generation(kind, cert), distribution_point(cert).rfc4514_string())
        for entry in index:
            if (entry["ca"], entry["generation"], entry["distribution_point"]) == wanted:
                return entry
        raise Failed(f"no index entry for {wanted}")

    # The revoked card: in its own partition, in no other.
    def revocation(kind, cert):
        own = partition_of(kind, cert)
        listed_in = [e for e in index
                     if crls[e["url"]].get_revoked_certificate_by_serial_number(cert.serial_number)]
        if listed_in != [own]:
            raise Failed(f"listed in {[short(e) for e in listed_in]}, expected [{short(own)!r}]")
        revoked_entry = crls[own["url"]].get_revoked_certificate_by_serial_number(cert.serial_number)
        try:
            reason = revoked_entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        except x509.ExtensionNotFound:
            raise Failed(f"no reason in {short(own)}") from None
        if reason != x509.ReasonFlags.key_compromise:
            raise Failed(f"reason {reason.name} in {short(own)}, expected key_compromise")
        return f"in {short(own)} only, reason key_compromise"

    for kind in KINDS:
        cert = revoked.certs[kind]
        checks.run(f"python crl revoked {revoked.name} {kind} {cert.serial_number:#x}",
                   revocation, kind, cert)

    def unrevoked():
        found = []
        others = [(card, kind, cert) for card, kind, cert in certs if card is not revoked]
        for card, kind, cert in others:
            for entry in index:
                if crls[entry["url"]].get_revoked_certificate_by_serial_number(cert.serial_number):
                    found.append(f"{card.name} {kind} in {short(entry)}")
        if found:
            raise Failed(", ".join(found))
        return f"{len(others)} certificates in none of the {len(index)} partitions"

    checks.run("python crl unrevoked", unrevoked)

    # The card issued after the rollover.
    def rollover():
        cert = rolled.certs["sign"]
        gen1, gen2 = gens[("sign", 1)], gens[("sign", 2)]
        problems = []
        if aki(cert) != ski(gen2):
            problems.append(f"AKI {aki(cert).hex()} is not sign generation 2's SKI {ski(gen2).hex()}")
        if not signed_by(cert, gen2.public_key()):
            problems.append("not signed by sign generation 2's key")
        if signed_by(cert, gen1.public_key()):
            problems.append("signed by sign generation 1's key")
        entry = partition_of("sign", cert)
        path = urllib.parse.urlsplit(entry["url"]).path
        if entry["generation"] != 2 or not path.startswith("/crl/sign/2/"):
            problems.append(f"index entry generation {entry['generation']}, URL {entry['url']}")
        if problems:
            raise Failed("; ".join(problems))
        return f"AKI = sign generation 2's SKI, its partition {path}"

    checks.run(f"python crl rollover {rolled.name} sign", rollover)
    sys.exit(1 if checks.failed else 0)


if __name__ == "__main__":
    main()
