#!/usr/bin/env python3
"""OCSP checks with the Python `cryptography` package, as a relying party does them.

usage: ocsp_check.py CA_PEM LEAF_PEM URL good|revoked [REASON]
                     [--hash sha1,sha256] [--method post,get] [--nonce extra|yes|no] [--tag TEXT]
                     [--expect-alg p384 [--crl CRL_FILE]]

For each CertID hash and each method (default: SHA-1 and SHA-256, POST and GET), and
once more as a POST with a nonce (--nonce extra, the default), builds the request with
OCSPRequestBuilder, sends it (POST with Content-Type application/ocsp-request, or GET
with the percent-escaped base64 request appended to URL), and checks:

- HTTP 200, Content-Type application/ocsp-response (GET: a Cache-Control max-age);
- responseStatus successful;
- the delegated responder (certs[0]) is signed by the CA's key, names the CA as its
  issuer, is valid now, has EKU OCSPSigning and id-pkix-ocsp-nocheck; the responderID
  is the SHA-1 hash of its key;
- the response's signature over tbsResponseData verifies with the responder's key
  (PKCS#1 v1.5 or ECDSA, with the response's signature hash algorithm);
- one SingleResponse, echoing the CertID (hash algorithm, issuer hashes, serial);
- certStatus as expected, the revocation reason (REASON, e.g. key_compromise) and a
  revocation time not in the future for a revoked certificate;
- thisUpdate not in the future, nextUpdate (if any) not in the past;
- the nonce echoed, for the nonce request;
- with --expect-alg p384 (the provisional next-gen preset): the response and the
  responder certificate are signed with ecdsa-with-SHA384 and the responder key is on
  secp384r1; and once, before the OCSP runs, the CA certificate (self-signed) and the
  leaf (signed by the CA) are ecdsa-with-SHA384 with secp384r1 keys and their
  signatures verify, and the CRL of --crl (DER or PEM) is ecdsa-with-SHA384, verifies
  with the CA key and lists the leaf exactly when it is expected revoked.

Prints one "PASS ..." or "FAIL ..." line per check (a FAIL is followed by the request
and the response in base64, indented, for the bug report); exits 1 if any failed.
"""

import argparse
import base64
import datetime
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp

SKEW = datetime.timedelta(minutes=5)
TIMEOUT = float(os.environ.get("INTEROP_HTTP_TIMEOUT", "10"))
# 127.0.0.1 only: never through a proxy from the environment.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def normalise_reason(text):
    return text.replace("_", "").replace("-", "").lower()


def utc(obj, name):
    """obj.<name>_utc on recent cryptography, obj.<name> (naive UTC) on older ones."""
    if hasattr(type(obj), name + "_utc"):
        return getattr(obj, name + "_utc")
    value = getattr(obj, name)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value


def verify_signature(key, signature, data, hash_algorithm):
    if isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, data, padding.PKCS1v15(), hash_algorithm)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, data, ec.ECDSA(hash_algorithm))
    else:
        raise TypeError(f"unsupported key type {type(key).__name__}")


ECDSA_WITH_SHA384 = x509.oid.SignatureAlgorithmOID.ECDSA_WITH_SHA384


def p384_problems(what, signature_oid, key=None):
    """Problems with a next-gen signature algorithm (and key), as text."""
    problems = []
    if signature_oid != ECDSA_WITH_SHA384:
        problems.append(f"{what} signed with {signature_oid.dotted_string}, not ecdsa-with-SHA384")
    if key is not None and not (isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp384r1"):
        problems.append(f"{what} key is {getattr(getattr(key, 'curve', None), 'name', type(key).__name__)}, not secp384r1")
    return problems


def check_p384_objects(issuer, cert, crl_path, expected):
    """The next-gen checks of the CA certificate, the leaf and the CRL."""
    problems = p384_problems("CA certificate", issuer.signature_algorithm_oid, issuer.public_key())
    problems += p384_problems("leaf", cert.signature_algorithm_oid, cert.public_key())
    for what, signed in (("CA certificate", issuer), ("leaf", cert)):
        try:
            verify_signature(issuer.public_key(), signed.signature, signed.tbs_certificate_bytes,
                             signed.signature_hash_algorithm)
        except Exception as e:  # noqa: BLE001
            problems.append(f"{what} signature does not verify with the CA key: {e!r}")
    if crl_path:
        with open(crl_path, "rb") as f:
            data = f.read()
        crl = x509.load_pem_x509_crl(data) if data.startswith(b"-----") else x509.load_der_x509_crl(data)
        problems += p384_problems("CRL", crl.signature_algorithm_oid)
        if not crl.is_signature_valid(issuer.public_key()):
            problems.append("CRL signature does not verify with the CA key")
        listed = crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None
        if listed != (expected == "revoked"):
            problems.append(f"leaf {'on' if listed else 'not on'} the CRL, expected {expected}")
    return problems


def fetch(url, der, method):
    if method == "get":
        encoded = urllib.parse.quote(base64.b64encode(der).decode(), safe="")
        request = urllib.request.Request(f"{url.rstrip('/')}/{encoded}", method="GET")
    else:
        request = urllib.request.Request(url, data=der, method="POST")
        request.add_header("Content-Type", "application/ocsp-request")
    request.add_header("Accept", "application/ocsp-response")
    try:
        with OPENER.open(request, timeout=TIMEOUT) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def check(issuer, cert, url, expected, reason, algorithm, method, nonce, expect_alg=None):
    """Returns (problems, request DER, response bytes)."""
    digest = {"sha1": hashes.SHA1(), "sha256": hashes.SHA256()}[algorithm]
    builder = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, digest)
    nonce_value = os.urandom(16) if nonce else None
    if nonce_value is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce_value), critical=False)
    request = builder.build()
    der = request.public_bytes(Encoding.DER)
    problems = []
    status_code, headers, body = fetch(url, der, method)
    if status_code != 200:
        return [f"HTTP {status_code}"], der, body
    content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if content_type != "application/ocsp-response":
        problems.append(f"Content-Type {headers.get('Content-Type')!r}")
    if method == "get":
        cache_control = headers.get("Cache-Control") or ""
        if "max-age" not in cache_control:
            problems.append(f"GET answer without Cache-Control max-age ({cache_control!r})")
    try:
        answer = ocsp.load_der_ocsp_response(body)
    except Exception as e:  # noqa: BLE001 - any parse failure is a FAIL
        return problems + [f"load_der_ocsp_response: {e}"], der, body
    if answer.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        return problems + [f"response status {answer.response_status.name}"], der, body
    now = datetime.datetime.now(datetime.timezone.utc)

    # The delegated responder.
    if not answer.certificates:
        return problems + ["no responder certificate in the response"], der, body
    responder = answer.certificates[0]
    try:
        verify_signature(
            issuer.public_key(),
            responder.signature,
            responder.tbs_certificate_bytes,
            responder.signature_hash_algorithm,
        )
    except Exception as e:  # noqa: BLE001
        problems.append(f"responder certificate not signed by the CA key: {e!r}")
    if responder.issuer != issuer.subject:
        problems.append("responder certificate's issuer is not the CA's subject")
    if not utc(responder, "not_valid_before") <= now + SKEW or not now <= utc(responder, "not_valid_after"):
        problems.append("responder certificate not valid now")
    try:
        usage = responder.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        if x509.oid.ExtendedKeyUsageOID.OCSP_SIGNING not in usage:
            problems.append("responder EKU lacks OCSPSigning")
    except x509.ExtensionNotFound:
        problems.append("responder has no extendedKeyUsage")
    try:
        responder.extensions.get_extension_for_class(x509.OCSPNoCheck)
    except x509.ExtensionNotFound:
        problems.append("responder lacks id-pkix-ocsp-nocheck")
    key_id = x509.SubjectKeyIdentifier.from_public_key(responder.public_key()).digest
    if answer.responder_key_hash is None:
        problems.append(f"responderID by name ({answer.responder_name.rfc4514_string()}), not by key hash")
    elif answer.responder_key_hash != key_id:
        problems.append("responderID key hash is not the responder's key hash")

    if expect_alg == "p384":
        problems += p384_problems("responder certificate", responder.signature_algorithm_oid,
                                  responder.public_key())
        problems += p384_problems("OCSP response", answer.signature_algorithm_oid)

    # The response's signature.
    try:
        verify_signature(
            responder.public_key(), answer.signature, answer.tbs_response_bytes, answer.signature_hash_algorithm
        )
    except Exception as e:  # noqa: BLE001
        problems.append(f"response signature does not verify with the responder key: {e!r}")

    # The single response.
    singles = list(answer.responses)
    if len(singles) != 1:
        problems.append(f"{len(singles)} SingleResponses for one CertID")
    if answer.serial_number != cert.serial_number:
        problems.append(f"serial {answer.serial_number:#x} echoed for {cert.serial_number:#x}")
    if answer.hash_algorithm.name != digest.name:
        problems.append(f"CertID hash {answer.hash_algorithm.name}, asked {digest.name}")
    if answer.issuer_key_hash != request.issuer_key_hash or answer.issuer_name_hash != request.issuer_name_hash:
        problems.append("CertID issuer hashes not echoed")
    status = {
        ocsp.OCSPCertStatus.GOOD: "good",
        ocsp.OCSPCertStatus.REVOKED: "revoked",
        ocsp.OCSPCertStatus.UNKNOWN: "unknown",
    }[answer.certificate_status]
    if status != expected:
        problems.append(f"status {status}, expected {expected}")
    if status == "revoked":
        got = answer.revocation_reason.name if answer.revocation_reason is not None else "none"
        if reason and normalise_reason(got) != normalise_reason(reason):
            problems.append(f"revocation reason {got}, expected {reason}")
        revoked_at = utc(answer, "revocation_time")
        if revoked_at is None or revoked_at > now + SKEW:
            problems.append(f"revocation time {revoked_at} in the future")
    this_update = utc(answer, "this_update")
    next_update = utc(answer, "next_update")
    if this_update > now + SKEW:
        problems.append(f"thisUpdate {this_update.isoformat()} in the future")
    if next_update is not None and next_update < now - SKEW:
        problems.append(f"nextUpdate {next_update.isoformat()} in the past")
    if next_update is not None and next_update < this_update:
        problems.append("nextUpdate before thisUpdate")

    # The nonce.
    if nonce_value is not None:
        try:
            echoed = answer.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
            if echoed != nonce_value:
                problems.append(f"nonce {echoed.hex()} echoed for {nonce_value.hex()}")
        except x509.ExtensionNotFound:
            problems.append("nonce not echoed")
    return problems, der, body


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ca")
    parser.add_argument("leaf")
    parser.add_argument("url")
    parser.add_argument("expected", choices=["good", "revoked"])
    parser.add_argument("reason", nargs="?", default=None, help="e.g. key_compromise ('-': not checked)")
    parser.add_argument("--hash", default="sha1,sha256", help="CertID hashes, comma-separated")
    parser.add_argument("--method", default="post,get", help="post and/or get, comma-separated")
    parser.add_argument("--nonce", choices=["extra", "yes", "no"], default="extra",
                        help="extra (default): one more POST with a nonce; yes: every POST; no: none")
    parser.add_argument("--tag", default="", help="words after the status in the labels (e.g. 'auth /ocsp')")
    parser.add_argument("--expect-alg", choices=["p384"], default=None,
                        help="p384: every signature ecdsa-with-SHA384, every key secp384r1 (next-gen)")
    parser.add_argument("--crl", default=None, help="with --expect-alg: a CRL file to check too")
    args = parser.parse_args()
    reason = None if args.reason in (None, "-", "") else args.reason
    algorithms = args.hash.split(",")
    methods = args.method.split(",")
    for name in algorithms:
        if name not in ("sha1", "sha256"):
            parser.error(f"--hash: {name}: sha1 or sha256")
    for name in methods:
        if name not in ("post", "get"):
            parser.error(f"--method: {name}: post or get")

    with open(args.ca, "rb") as f:
        issuer = x509.load_pem_x509_certificate(f.read())
    with open(args.leaf, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())

    runs = [(a, m, args.nonce == "yes" and m == "post") for a in algorithms for m in methods]
    if args.nonce == "extra":
        runs.append((algorithms[-1], "post", True))

    failed = 0
    if args.expect_alg:
        label = f"python {args.expected}{' ' + args.tag if args.tag else ''} ({args.expect_alg}: CA, leaf"
        label += ", CRL)" if args.crl else ")"
        try:
            problems = check_p384_objects(issuer, cert, args.crl, args.expected)
        except Exception as e:  # noqa: BLE001
            problems = [f"{type(e).__name__}: {e}"]
        if problems:
            failed += 1
            print(f"FAIL {label}: {'; '.join(problems)}")
        else:
            print(f"PASS {label}: ecdsa-with-SHA384, secp384r1, signatures verify")
    for algorithm, method, nonce in runs:
        label = f"python {args.expected}{' ' + args.tag if args.tag else ''} ({algorithm}, {method.upper()}"
        label += ", nonce)" if nonce else ")"
        der, body = b"", b""
        try:
            problems, der, body = check(issuer, cert, args.url, args.expected, reason, algorithm, method, nonce,
                                        args.expect_alg)
        except Exception as e:  # noqa: BLE001 - a client crash is a FAIL too
            problems = [f"{type(e).__name__}: {e}"]
        if problems:
            failed += 1
            print(f"FAIL {label}: {'; '.join(problems)}")
            print(f"    request (base64): {base64.b64encode(der).decode()}")
            print(f"    response (base64): {base64.b64encode(body).decode()}")
        else:
            print(f"PASS {label}" + (f" reason {reason}" if reason and args.expected == "revoked" else ""))
        sys.stdout.flush()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
