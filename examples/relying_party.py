#!/usr/bin/env python3
"""A relying party's test, in Python, driving jpki-mock over HTTP.

It creates a card through the admin API, checks the signing certificate with OCSP
(the `cryptography` package builds the request and verifies the response), reports the
card lost, and checks again. Run a server first (`cargo run --release -- serve`), then:

    pip install cryptography
    python3 examples/relying_party.py [http://127.0.0.1:8080]
"""

import json
import sys
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{BASE}/api/v1{path}", data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def check_ocsp(cert, issuer):
    """The relying party's check: the OCSP status of `cert`, signature verified."""
    url = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value[0].access_location.value
    der = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1()).build().public_bytes(Encoding.DER)
    request = urllib.request.Request(url, data=der, method="POST")
    request.add_header("Content-Type", "application/ocsp-request")
    with urllib.request.urlopen(request) as response:
        answer = ocsp.load_der_ocsp_response(response.read())
    assert answer.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    responder = answer.certificates[0]
    # The delegated responder is issued by the CA and allowed to sign OCSP responses...
    responder.verify_directly_issued_by(issuer)
    usage = responder.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.oid.ExtendedKeyUsageOID.OCSP_SIGNING in usage
    # ...and it signed this response.
    key = responder.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        key.verify(answer.signature, answer.tbs_response_bytes, padding.PKCS1v15(), answer.signature_hash_algorithm)
    else:
        key.verify(answer.signature, answer.tbs_response_bytes, ec.ECDSA(answer.signature_hash_algorithm))
    assert answer.serial_number == cert.serial_number
    return answer


def main():
    card = call("POST", "/cards", {
        "name": "山田 太郎", "birth": "1990-10-01", "gender": "male",
        "address": "東京都品川区広町2-1-36", "key_alg": "p256",
    })
    cert = x509.load_pem_x509_certificate(card["sign"]["cert_pem"].encode())
    issuer = x509.load_pem_x509_certificates(card["sign"]["chain_pem"].encode())[1]

    answer = check_ocsp(cert, issuer)
    assert answer.certificate_status == ocsp.OCSPCertStatus.GOOD, answer.certificate_status
    print(f"card {card['card_id']}: signing certificate {cert.serial_number} is good")

    call("POST", f"/cards/{card['card_id']}/events", {"cause": "lost"})
    answer = check_ocsp(cert, issuer)
    assert answer.certificate_status == ocsp.OCSPCertStatus.REVOKED, answer.certificate_status
    assert answer.revocation_reason == x509.ReasonFlags.certificate_hold, answer.revocation_reason
    print(f"after 'lost': revoked, reason {answer.revocation_reason.value}")

    seen = call("GET", f"/requests?serial={cert.serial_number}")["requests"]
    assert len(seen) == 2, seen
    print(f"the request log saw {len(seen)} OCSP checks of this certificate")


if __name__ == "__main__":
    main()
