#!/usr/bin/env python3
"""OCSP check with the Python `cryptography` package, as a relying party would do it.

usage: ocsp_check.py CA_PEM LEAF_PEM URL EXPECTED(good|revoked) [REASON] [sha1|sha256] [post|get]

Builds the request, sends it (POST, or GET with the base64 request in the path),
verifies the delegated responder (issued by the CA, EKU OCSPSigning) and the
response's signature, checks the serial is echoed and the status (and reason) is the
expected one. Prints one PASS/FAIL line; exits non-zero on FAIL.
"""

import base64
import sys
import urllib.parse
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp


def main():
    ca_path, leaf_path, url, expected = sys.argv[1:5]
    reason = sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] != "-" else None
    algorithm = sys.argv[6] if len(sys.argv) > 6 else "sha1"
    method = sys.argv[7] if len(sys.argv) > 7 else "post"
    label = f"python {expected} ({algorithm}, {method.upper()})"
    with open(ca_path, "rb") as f:
        issuer = x509.load_pem_x509_certificate(f.read())
    with open(leaf_path, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    digest = hashes.SHA1() if algorithm == "sha1" else hashes.SHA256()
    der = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, digest).build().public_bytes(Encoding.DER)
    if method == "get":
        encoded = urllib.parse.quote(base64.b64encode(der).decode(), safe="")
        request = urllib.request.Request(f"{url}/{encoded}")
    else:
        request = urllib.request.Request(url, data=der, method="POST")
        request.add_header("Content-Type", "application/ocsp-request")
    with urllib.request.urlopen(request, timeout=10) as response:
        content_type = response.headers.get("Content-Type")
        answer = ocsp.load_der_ocsp_response(response.read())
    problems = []
    if content_type != "application/ocsp-response":
        problems.append(f"content type {content_type}")
    if answer.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        problems.append(f"response status {answer.response_status}")
    else:
        responder = answer.certificates[0]
        try:
            responder.verify_directly_issued_by(issuer)
        except Exception as e:  # noqa: BLE001 - any failure is a FAIL
            problems.append(f"responder not issued by the CA: {e}")
        usage = responder.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        if x509.oid.ExtendedKeyUsageOID.OCSP_SIGNING not in usage:
            problems.append("responder lacks OCSPSigning")
        key = responder.public_key()
        try:
            if isinstance(key, rsa.RSAPublicKey):
                key.verify(answer.signature, answer.tbs_response_bytes, padding.PKCS1v15(), answer.signature_hash_algorithm)
            else:
                key.verify(answer.signature, answer.tbs_response_bytes, ec.ECDSA(answer.signature_hash_algorithm))
        except Exception as e:  # noqa: BLE001
            problems.append(f"signature does not verify: {e}")
        if answer.serial_number != cert.serial_number:
            problems.append("serial not echoed")
        if answer.hash_algorithm.name != digest.name:
            problems.append(f"CertID hash {answer.hash_algorithm.name}")
        status = {ocsp.OCSPCertStatus.GOOD: "good", ocsp.OCSPCertStatus.REVOKED: "revoked"}.get(
            answer.certificate_status, "unknown"
        )
        if status != expected:
            problems.append(f"status {status}")
        if reason and status == "revoked" and answer.revocation_reason.name != reason:
            problems.append(f"reason {answer.revocation_reason.name}")
    if problems:
        print(f"FAIL {label}: {'; '.join(problems)}")
        sys.exit(1)
    print(f"PASS {label}" + (f" reason {reason}" if reason else ""))


if __name__ == "__main__":
    main()
