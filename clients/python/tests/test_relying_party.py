"""A relying party's test, as a Python team would write it: issue a card, check its
signing certificate by OCSP with the `cryptography` package, report the card lost,
check again, and make sure the mock saw the checks."""

import datetime as dt
import os
import urllib.request

import pytest

x509 = pytest.importorskip("cryptography.x509")
from cryptography.exceptions import InvalidSignature  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding  # noqa: E402
from cryptography.x509 import ocsp  # noqa: E402
from cryptography.x509.oid import ExtendedKeyUsageOID  # noqa: E402


def ocsp_url_of(cert):
    """The OCSP responder URL the certificate names (its AIA extension)."""
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    return next(d.access_location.value for d in aia
                if d.access_method == x509.oid.AuthorityInformationAccessOID.OCSP)


def utc(response, name):
    """thisUpdate/nextUpdate as aware datetimes (the `_utc` properties are
    cryptography ≥ 43; older versions have naive UTC ones)."""
    value = getattr(response, name + "_utc", None)
    if value is None:
        value = getattr(response, name)
        value = value and value.replace(tzinfo=dt.timezone.utc)
    return value


def check_ocsp(cert, issuer):
    """The relying party's check: asks the responder the certificate names, verifies
    the answer, returns it."""
    nonce = os.urandom(16)
    request = (ocsp.OCSPRequestBuilder()
               .add_certificate(cert, issuer, hashes.SHA1())
               .add_extension(x509.OCSPNonce(nonce), critical=False)
               .build())
    post = urllib.request.Request(
        ocsp_url_of(cert), data=request.public_bytes(Encoding.DER), method="POST",
        headers={"Content-Type": "application/ocsp-request"})
    with urllib.request.urlopen(post, timeout=10) as reply:
        assert reply.headers["Content-Type"] == "application/ocsp-response"
        response = ocsp.load_der_ocsp_response(reply.read())
    assert response.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL

    # The response names our certificate and echoes our nonce.
    assert response.serial_number == cert.serial_number
    assert response.issuer_key_hash == request.issuer_key_hash
    echoed = response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    assert echoed == nonce

    # A delegated responder: issued by the CA, allowed to sign OCSP responses...
    (responder,) = response.certificates
    responder.verify_directly_issued_by(issuer)
    usage = responder.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.OCSP_SIGNING in usage
    # ...that signed this response.
    key = responder.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        key.verify(response.signature, response.tbs_response_bytes, padding.PKCS1v15(),
                   response.signature_hash_algorithm)
    else:
        assert isinstance(key, ec.EllipticCurvePublicKey)
        key.verify(response.signature, response.tbs_response_bytes,
                   ec.ECDSA(response.signature_hash_algorithm))

    # Fresh by our own clock (the mock's runs at real time here).
    now = dt.datetime.now(dt.timezone.utc)
    slack = dt.timedelta(minutes=5)
    assert utc(response, "this_update") - slack <= now <= utc(response, "next_update") + slack
    return response


@pytest.mark.parametrize("key_alg", ["p256", "rsa2048"])
def test_a_lost_card_is_on_hold_by_ocsp(jpki_mock, key_alg):
    jpki_mock.reset_clock()
    card = jpki_mock.issue(name="山田 太郎", birth="1990-10-01", gender="male",
                           address="東京都品川区広町2-1-36", key_alg=key_alg)
    cert = x509.load_pem_x509_certificate(card["sign"]["cert_pem"].encode())
    issuer = x509.load_pem_x509_certificate(jpki_mock.ca_pem("sign").encode())
    cert.verify_directly_issued_by(issuer)
    assert ocsp_url_of(cert) == jpki_mock.ocsp_url("sign")

    answer = check_ocsp(cert, issuer)
    assert answer.certificate_status == ocsp.OCSPCertStatus.GOOD

    report = jpki_mock.revoke(card["card_id"], "lost")
    assert {r["reason"] for r in report["revoked"]} == {"certificateHold"}

    answer = check_ocsp(cert, issuer)
    assert answer.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert answer.revocation_reason == x509.ReasonFlags.certificate_hold

    # The mock saw both checks of this certificate, in order.
    seen = jpki_mock.requests(serial=cert.serial_number)
    assert [(r["path"], r["cert_statuses"], r["nonce"]) for r in seen] == [
        ("/ocsp/sign", ["good"], True), ("/ocsp/sign", ["revoked"], True)]
    assert seen[0]["cert_ids"] == [
        {"hash_algorithm": "sha1", "issuer": "sign", "serial": cert.serial_number}]


def test_a_bad_signature_fault_is_caught_by_the_check(jpki_mock):
    card = jpki_mock.issue(key_alg="p256")
    cert = x509.load_pem_x509_certificate(card["sign"]["cert_pem"].encode())
    issuer = x509.load_pem_x509_certificate(jpki_mock.ca_pem("sign").encode())
    jpki_mock.inject({"fault": "bad_signature", "serial": cert.serial_number, "count": 1})
    try:
        with pytest.raises(InvalidSignature):
            check_ocsp(cert, issuer)
        assert check_ocsp(cert, issuer).certificate_status == ocsp.OCSPCertStatus.GOOD
    finally:
        jpki_mock.clear_faults()


def test_a_revocation_in_one_tenant_is_not_seen_in_another(jpki_mock):
    with jpki_mock.create_tenant() as revoking, jpki_mock.create_tenant() as other:
        checked = {}
        for tenant in (revoking, other):
            card = tenant.issue(key_alg="p256")
            cert = x509.load_pem_x509_certificate(card["sign"]["cert_pem"].encode())
            issuer = x509.load_pem_x509_certificate(tenant.ca_pem("sign").encode())
            cert.verify_directly_issued_by(issuer)
            assert ocsp_url_of(cert) == tenant.ocsp_url("sign")  # the tenant's responder
            checked[tenant.tenant] = (card, cert, issuer)
        # Both tenants' first card has the same serial: only the CA tells them apart.
        card, cert, issuer = checked[revoking.tenant]
        _, other_cert, other_issuer = checked[other.tenant]
        assert cert.serial_number == other_cert.serial_number
        with pytest.raises((ValueError, InvalidSignature)):
            other_cert.verify_directly_issued_by(issuer)

        revoking.revoke(card["card_id"], "lost")
        assert check_ocsp(cert, issuer).certificate_status == ocsp.OCSPCertStatus.REVOKED
        answer = check_ocsp(other_cert, other_issuer)
        assert answer.certificate_status == ocsp.OCSPCertStatus.GOOD
        assert [r["cert_statuses"] for r in other.requests()] == [["good"]]
        assert [r["cert_statuses"] for r in revoking.requests()] == [["revoked"]]


def test_a_lost_phone_suspended_then_resumed_by_ocsp(jpki_mock_tenant):
    ca = jpki_mock_tenant  # real time, a clock and cards of its own
    card = ca.issue(key_alg="p256")
    phone = ca.issue_phone(card["card_id"], "android", device_id="pixel-8")
    assert (phone["platform"], phone["device_id"]) == ("android", "pixel-8")
    sign_ca = x509.load_pem_x509_certificate(ca.ca_pem("sign").encode())
    auth_ca = x509.load_pem_x509_certificate(ca.ca_pem("auth").encode())
    auth = x509.load_pem_x509_certificate(phone["auth"]["cert_pem"].encode())
    old_sign = x509.load_pem_x509_certificate(phone["sign"]["cert_pem"].encode())
    auth.verify_directly_issued_by(auth_ca)
    old_sign.verify_directly_issued_by(sign_ca)
    assert ocsp_url_of(auth) == ca.ocsp_url("auth")
    assert check_ocsp(auth, auth_ca).certificate_status == ocsp.OCSPCertStatus.GOOD
    assert check_ocsp(old_sign, sign_ca).certificate_status == ocsp.OCSPCertStatus.GOOD

    report = ca.suspend_phone(card["card_id"], "android")
    assert report["cause"] == "phone_lost"
    assert sorted((r["serial"], r["reason"]) for r in report["revoked"]) == [
        (phone["sign"]["serial"], "certificateHold"), (phone["auth"]["serial"], "certificateHold")]
    for cert, issuer in ((auth, auth_ca), (old_sign, sign_ca)):
        answer = check_ocsp(cert, issuer)
        assert answer.certificate_status == ocsp.OCSPCertStatus.REVOKED
        assert answer.revocation_reason == x509.ReasonFlags.certificate_hold

    resumed = ca.resume_phone(card["card_id"], "android")
    assert resumed["lifted"] == [phone["auth"]["serial"]]
    assert (resumed["platform"], resumed["device_id"]) == ("android", "pixel-8")
    assert "auth" not in resumed  # the auth certificate stays, its hold lifted
    new_sign = x509.load_pem_x509_certificate(resumed["sign"]["cert_pem"].encode())
    assert new_sign.serial_number not in (old_sign.serial_number, auth.serial_number)
    new_sign.verify_directly_issued_by(sign_ca)

    assert check_ocsp(auth, auth_ca).certificate_status == ocsp.OCSPCertStatus.GOOD
    answer = check_ocsp(old_sign, sign_ca)
    assert answer.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert answer.revocation_reason == x509.ReasonFlags.certificate_hold
    assert check_ocsp(new_sign, sign_ca).certificate_status == ocsp.OCSPCertStatus.GOOD
    # The card's own certificates were never touched.
    card_sign = x509.load_pem_x509_certificate(card["sign"]["cert_pem"].encode())
    assert check_ocsp(card_sign, sign_ca).certificate_status == ocsp.OCSPCertStatus.GOOD

    # The mock saw the auth certificate asked about three times: good, revoked, good.
    assert [r["cert_statuses"] for r in ca.requests(serial=auth.serial_number)] == [
        ["good"], ["revoked"], ["good"]]
    # The links lead from the held signing certificate to its re-issue.
    assert ca.links(old_sign.serial_number)["successors"] == [
        {"serial": new_sign.serial_number, "event": "phone_lost"}]
