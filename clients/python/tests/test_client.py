"""Each operation of the client against the real binary, through the `jpki_mock`
fixture the installed plugin provides (this directory has no conftest.py)."""

import base64
import datetime as dt
import os
import stat
import sys
import urllib.error
import urllib.request

import pytest

from jpki_mock import DEFAULT_CARD, JpkiMock, JpkiMockError, JpkiMockStartError, find_binary

JST = dt.timezone(dt.timedelta(hours=9))


def pem_der(pem):
    body = "".join(line for line in pem.splitlines() if not line.startswith("-----"))
    return base64.b64decode(body)


def get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


@pytest.fixture
def mock(jpki_mock):
    """The session's server, put back to real time, no faults and an empty request log
    after the test."""
    yield jpki_mock
    jpki_mock.reset()


# -- the server ------------------------------------------------------------------------

def test_the_fixture_is_a_started_server_on_a_loopback_port(jpki_mock):
    assert isinstance(jpki_mock, JpkiMock)
    assert jpki_mock.base_url.startswith("http://127.0.0.1:")
    assert not jpki_mock.base_url.endswith("/")
    assert jpki_mock.ready["jpki_mock"] == "ready"
    assert jpki_mock.ready["base_url"] == jpki_mock.base_url
    assert jpki_mock.process is not None and jpki_mock.process.poll() is None
    assert get(jpki_mock.base_url + "/healthz") == (200, b"ok\n")


def test_connect_drives_a_running_server_and_leaves_it_running(jpki_mock):
    other = JpkiMock.connect(jpki_mock.base_url + "/")
    assert other.base_url == jpki_mock.base_url
    assert other.clock()["mode"] in ("system", "fixed", "offset")
    assert other.stop() is None
    assert jpki_mock.process.poll() is None


def test_start_as_a_context_manager_stops_the_server_gracefully():
    with JpkiMock.start() as server:
        process = server.process
        assert server.issue()["card_id"] == 1  # a fresh state of its own
    assert process.returncode == 0


def test_start_ignores_the_callers_jpki_mock_variables(monkeypatch):
    monkeypatch.setenv("JPKI_MOCK_BASE_URL", "http://192.0.2.1:9")
    monkeypatch.setenv("JPKI_MOCK_ADMIN_TOKEN", "secret")
    monkeypatch.setenv("JPKI_MOCK_LISTEN", "127.0.0.1:1")
    with JpkiMock.start() as server:
        assert server.ready["admin_token_required"] is False
        assert server.base_url.startswith("http://127.0.0.1:")
        # The certificates carry the server's own URLs (IA5Strings: plain bytes in DER).
        der = pem_der(server.issue()["sign"]["cert_pem"])
        assert server.ocsp_url("sign").encode() in der
        assert b"192.0.2.1" not in der


def test_a_call_to_a_server_that_died_says_so():
    server = JpkiMock.start()
    server.process.kill()
    server.process.wait()
    with pytest.raises(ConnectionError, match="server has exited"):
        server.clock()
    server.stop()


def test_an_admin_token_given_to_the_server_is_sent():
    with JpkiMock.start(env={"JPKI_MOCK_ADMIN_TOKEN": "t0ken"}) as server:
        assert server.ready["admin_token_required"] is True
        assert server.issue()["card_id"] == 1
        anonymous = JpkiMock.connect(server.base_url)
        with pytest.raises(JpkiMockError) as caught:
            anonymous.clock()
        assert caught.value.status == 401


# -- finding and starting the binary ----------------------------------------------------

def test_the_binary_comes_from_jpki_mock_bin(monkeypatch, tmp_path):
    assert os.path.isabs(find_binary())
    missing = tmp_path / "no-such-jpki-mock"
    monkeypatch.setenv("JPKI_MOCK_BIN", str(missing))
    with pytest.raises(JpkiMockStartError, match="JPKI_MOCK_BIN.*no-such-jpki-mock"):
        find_binary()
    with pytest.raises(JpkiMockStartError, match="not found"):
        JpkiMock.start()


def test_the_binary_comes_from_path_when_jpki_mock_bin_is_unset(monkeypatch, tmp_path):
    real = find_binary()
    monkeypatch.delenv("JPKI_MOCK_BIN")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(JpkiMockStartError) as caught:
        find_binary()
    assert "JPKI_MOCK_BIN" in str(caught.value) and "PATH" in str(caught.value)
    (tmp_path / "jpki-mock").symlink_to(real)
    assert find_binary() == str(tmp_path / "jpki-mock")


def test_a_server_that_dies_at_start_is_reported_with_its_stderr(tmp_path):
    with pytest.raises(JpkiMockStartError) as caught:
        JpkiMock.start(args=["--config", str(tmp_path / "missing.toml")])
    text = str(caught.value)
    assert "exited with status 1 before its ready line" in text
    assert "cannot read config" in text  # the server's own words, from its stderr


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for the binary")
def test_a_server_that_never_gets_ready_is_stopped_after_the_timeout(tmp_path):
    fake = tmp_path / "jpki-mock"
    fake.write_text("#!/bin/sh\necho 'warming up' >&2\nexec sleep 60\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    started = dt.datetime.now()
    with pytest.raises(JpkiMockStartError) as caught:
        JpkiMock.start(fake, startup_timeout=1)
    assert dt.datetime.now() - started < dt.timedelta(seconds=20)
    assert "no ready line within 1 s" in str(caught.value)
    assert "warming up" in str(caught.value)


# -- cards ---------------------------------------------------------------------------

def test_issue_returns_the_card_with_both_certificates(mock):
    card = mock.issue(name="佐藤 花子", birth="1990-10-01", gender="female",
                      address="大阪府大阪市北区梅田1-1-3", key_alg="p256")
    assert isinstance(card["card_id"], int)
    assert card["fee_yen"] == 0
    for kind in ("sign", "auth"):
        cert = card[kind]
        assert cert["serial_hex"] == format(cert["serial"], "08X")
        assert cert["cert_pem"].startswith("-----BEGIN CERTIFICATE-----")
        assert cert["key_pem"].startswith("-----BEGIN PRIVATE KEY-----")
        assert cert["chain_pem"].count("BEGIN CERTIFICATE") == 2
    view = mock.card(card["card_id"])
    assert view["name"] == "佐藤 花子"
    assert [c["status"] for c in view["certificates"]] == ["good", "good"]
    assert mock.cert(card["sign"]["serial"])["kind"] == "sign"


def test_issue_fills_in_a_sample_person_and_takes_dates(mock):
    card = mock.issue(birth=dt.date(1985, 4, 1), only="sign")
    assert "auth" not in card
    view = mock.card(card["card_id"])
    assert view["name"] == DEFAULT_CARD["name"]
    assert view["birth"] == "1985-04-01"


def test_revoke_lost_puts_both_certificates_on_hold(mock):
    card = mock.issue()
    report = mock.revoke(card["card_id"], "lost")
    assert report["cause"] == "lost"
    assert sorted((r["kind"], r["reason"]) for r in report["revoked"]) == [
        ("auth", "certificateHold"), ("sign", "certificateHold")]
    assert {c["status"] for c in mock.card(card["card_id"])["certificates"]} == {"revoked"}


def test_revoke_with_certs_and_a_time(mock):
    mock.set_clock("2030-01-01T00:00:00Z")
    card = mock.issue()
    mock.set_clock("2030-02-01T00:00:00Z")
    at = dt.datetime(2030, 1, 15, 12, 0, tzinfo=JST)
    report = mock.revoke(card["card_id"], "stop", certs="auth", at=at)
    assert report["revoked"] == [{"serial": card["auth"]["serial"], "kind": "auth",
                                  "reason": "cessationOfOperation",
                                  "revoked_at": "2030-01-15T03:00:00Z"}]


def test_renew_is_refused_outside_the_window_and_works_inside(mock):
    card = mock.issue()
    with pytest.raises(JpkiMockError) as caught:
        mock.renew(card["card_id"])
    assert (caught.value.status, caught.value.code) == (409, "refused")
    assert "renewal window opens" in caught.value.message

    expiry = dt.date.fromisoformat(card["sign"]["expiry"])
    mock.set_clock(expiry - dt.timedelta(days=30))
    renewed = mock.renew(card["card_id"], certs=["sign"])
    assert renewed["sign"]["serial"] != card["sign"]["serial"]
    assert renewed["revoked"] == [{
        "serial": card["sign"]["serial"], "kind": "sign", "reason": "superseded",
        "revoked_at": renewed["sign"]["not_before"]}]


# -- phones, new signing certificates, links and latest facts ---------------------------

def test_issue_phone_and_a_second_one_on_the_platform_replaces_it(mock):
    card = mock.issue(key_alg="p256")
    first = mock.issue_phone(card["card_id"], "ios", device_id="iphone-15")
    assert (first["card_id"], first["platform"], first["device_id"]) == (
        card["card_id"], "ios", "iphone-15")
    for kind in ("sign", "auth"):
        assert first[kind]["cert_pem"].startswith("-----BEGIN CERTIFICATE-----")
        assert first[kind]["serial"] not in (card["sign"]["serial"], card["auth"]["serial"])
    assert "revoked" not in first
    assert mock.links(first["sign"]["serial"])["pair"] == first["auth"]["serial"]

    second = mock.issue_phone(card["card_id"], "ios")
    assert second["device_id"] and second["device_id"] != "iphone-15"  # made up
    assert sorted(r["serial"] for r in second["revoked"]) == sorted(
        [first["sign"]["serial"], first["auth"]["serial"]])
    assert mock.cert(first["auth"]["serial"])["cause"] == "device_change"
    assert mock.cert(second["auth"]["serial"])["status"] == "good"


def test_revoke_a_phone_by_cause_and_platform(mock):
    card = mock.issue(key_alg="p256")
    phone = mock.issue_phone(card["card_id"], "android")
    report = mock.revoke(card["card_id"], "phone_stolen", platform="android")
    assert report["cause"] == "phone_stolen"
    assert sorted((r["kind"], r["reason"]) for r in report["revoked"]) == [
        ("auth", "keyCompromise"), ("sign", "keyCompromise")]
    assert {r["serial"] for r in report["revoked"]} == {
        phone["sign"]["serial"], phone["auth"]["serial"]}
    # The card's own certificates stay good.
    assert [c["status"] for c in mock.card(card["card_id"])["certificates"][:2]] == [
        "good", "good"]


def test_a_phone_cause_without_a_platform_is_a_bad_input_error(mock):
    card = mock.issue(key_alg="p256")
    mock.issue_phone(card["card_id"], "android")
    with pytest.raises(JpkiMockError) as caught:
        mock.revoke(card["card_id"], "phone_lost")
    assert (caught.value.status, caught.value.code) == (400, "bad_input")
    assert "platform" in caught.value.message
    with pytest.raises(JpkiMockError) as caught:
        mock.issue_phone(card["card_id"], "windows")
    assert (caught.value.status, caught.value.code) == (400, "bad_input")
    with pytest.raises(JpkiMockError) as caught:
        mock.suspend_phone(card["card_id"], "ios")  # no iOS phone
    assert (caught.value.status, caught.value.code) == (409, "refused")
    with pytest.raises(JpkiMockError) as caught:
        mock.resume_phone(card["card_id"], "android")  # not suspended
    assert (caught.value.status, caught.value.code) == (409, "refused")


def test_a_new_signing_certificate_after_a_name_change_and_its_links(mock):
    card = mock.issue(name="山田 花子", key_alg="p256")
    old = card["sign"]["serial"]
    with pytest.raises(JpkiMockError) as caught:
        mock.issue_signing_certificate(card["card_id"], name="佐藤 花子")
    assert (caught.value.status, caught.value.code) == (409, "refused")

    mock.revoke(card["card_id"], "name_change")
    issued = mock.issue_signing_certificate(card["card_id"], name="佐藤 花子",
                                            sign_pin="NEW123")
    new = issued["sign"]["serial"]
    assert issued["card_id"] == card["card_id"] and new != old
    assert "auth" not in issued
    assert mock.card(card["card_id"])["name"] == "佐藤 花子"  # the card keeps the new facts
    assert mock.links(old) == {"serial": old, "pair": card["auth"]["serial"],
                               "predecessor": None,
                               "successors": [{"serial": new, "event": "name_change"}],
                               "current": new}
    assert mock.links(new)["predecessor"] == old


def test_latest_facts_need_the_cards_consent(mock):
    card = mock.issue(name="山田 花子", key_alg="p256")
    serial = card["sign"]["serial"]
    with pytest.raises(JpkiMockError) as caught:
        mock.latest_facts(serial)
    assert (caught.value.status, caught.value.code) == (403, "forbidden")
    assert mock.set_latest_facts_consent(card["card_id"], True) == {
        "card_id": card["card_id"], "latest_facts_consent": True}
    facts = mock.latest_facts(serial)
    assert (facts["serial"], facts["card_id"], facts["name"]) == (
        serial, card["card_id"], "山田\u3000花子")

    # After a move, the old certificate's latest facts are the new address.
    mock.revoke(card["card_id"], "address_change")
    mock.issue_signing_certificate(card["card_id"], address="大阪府大阪市北区梅田1-1-3")
    assert mock.latest_facts(serial)["address"].startswith("大阪府大阪市北区梅田")

    mock.set_latest_facts_consent(card["card_id"], False)
    with pytest.raises(JpkiMockError) as caught:
        mock.latest_facts(serial)
    assert caught.value.status == 403


# -- clock -------------------------------------------------------------------------------

def test_set_clock_takes_text_dates_and_aware_datetimes(mock):
    assert mock.set_clock("2021-03-15T10:00:00+09:00")["now"] == "2021-03-15T01:00:00Z"
    assert mock.set_clock("2021-03-15")["now"] == "2021-03-14T15:00:00Z"  # 00:00 JST
    assert mock.set_clock(dt.date(2030, 1, 1))["now"] == "2029-12-31T15:00:00Z"
    fixed = mock.set_clock(dt.datetime(2030, 1, 1, 9, 30, tzinfo=JST))
    assert fixed == {**fixed, "mode": "fixed", "now": "2030-01-01T00:30:00Z"}
    assert mock.clock()["now"] == "2030-01-01T00:30:00Z"
    # A card issued now is issued at the virtual time.
    assert mock.issue()["sign"]["not_before"] == "2030-01-01T00:30:00Z"
    with pytest.raises(ValueError, match="time zone"):
        mock.set_clock(dt.datetime(2030, 1, 1))


def test_set_clock_offset_and_reset_clock(mock):
    assert mock.set_clock_offset(dt.timedelta(days=1))["offset_seconds"] == 86400
    assert mock.set_clock_offset(60)["mode"] == "offset"
    assert mock.reset_clock()["mode"] == "system"


def test_a_bad_clock_is_a_bad_input_error(mock):
    with pytest.raises(JpkiMockError) as caught:
        mock.set_clock("tomorrow")
    assert (caught.value.status, caught.value.code) == (400, "bad_input")
    assert mock.clock()["mode"] == "system"


# -- faults --------------------------------------------------------------------------------

def test_inject_adds_a_fault_and_clear_faults_removes_them(mock):
    assert mock.inject({"fault": "http_status", "status": 503, "ca": "sign", "count": 1}) == [
        {"fault": "http_status", "status": 503, "ca": "sign", "count": 1}]
    assert len(mock.inject({"fault": "delay", "ms": 1})) == 2
    with pytest.raises(urllib.error.HTTPError) as caught:
        get(mock.crl_url("sign"))
    assert caught.value.code == 503
    assert get(mock.crl_url("sign"))[0] == 200  # the count is spent
    assert mock.faults() == [{"fault": "delay", "ms": 1}]
    mock.clear_faults()
    assert mock.faults() == []


def test_an_unknown_fault_is_a_bad_input_error(mock):
    with pytest.raises(JpkiMockError) as caught:
        mock.inject({"fault": "gremlins"})
    assert (caught.value.status, caught.value.code) == (400, "bad_input")
    assert "unknown fault" in caught.value.message
    with pytest.raises(ValueError):
        mock.inject({"ms": 5})


# -- request log and CA certificates ---------------------------------------------------------

def test_requests_lists_crl_and_ocsp_requests(mock):
    mock.clear_requests()
    assert mock.requests() == []
    get(mock.crl_url("auth"))
    seen = mock.requests()
    assert [(r["method"], r["path"], r["http_status"]) for r in seen] == [
        ("GET", "/crl/auth.crl", 200)]
    assert mock.requests(serial=1) == []
    assert mock.requests(since=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)) == []


def test_ca_pem_gives_each_ca_certificate(mock):
    sign, auth = mock.ca_pem("sign"), mock.ca_pem("auth")
    for pem in (sign, auth):
        assert pem.startswith("-----BEGIN CERTIFICATE-----")
        assert pem.rstrip().endswith("-----END CERTIFICATE-----")
    assert sign != auth
    assert mock.ca_pem("sign", generation=1) == sign
    assert mock.issue()["sign"]["chain_pem"].endswith(sign)
    with pytest.raises(ValueError):
        mock.ca_pem("root")
    with pytest.raises(JpkiMockError) as caught:
        mock.ca_pem("sign", generation=99)
    assert (caught.value.status, caught.value.code) == (404, "not_found")


# -- errors ------------------------------------------------------------------------------------

def test_api_errors_carry_status_code_and_message(mock):
    with pytest.raises(JpkiMockError) as caught:
        mock.revoke(999999, "lost")
    error = caught.value
    assert (error.status, error.code, error.message) == (404, "not_found", "no card 999999")
    assert "404 not_found: no card 999999" in str(error)

    card = mock.issue(sign_pin="ABC123", auth_pin="1234")
    with pytest.raises(JpkiMockError) as caught:
        mock.revoke(card["card_id"], "misplaced")
    assert (caught.value.status, caught.value.code) == (400, "bad_input")
    assert "unknown cause" in caught.value.message

    with pytest.raises(JpkiMockError) as caught:
        mock.issue(gender="x")
    assert caught.value.code == "bad_input"

    # api() reaches every route; extra fields of an error stay in .body.
    with pytest.raises(JpkiMockError) as caught:
        mock.api("POST", f"/cards/{card['card_id']}/authenticate",
                 {"pin": "0000", "data_base64": "aGVsbG8="})
    assert (caught.value.status, caught.value.code) == (403, "wrong_pin")
    assert caught.value.body["remaining_tries"] == 2

    with pytest.raises(JpkiMockError) as caught:
        mock.api("GET", "/no-such-route")
    assert caught.value.status == 404


# -- tenants ------------------------------------------------------------------------------------

def test_a_tenant_is_a_whole_mock_under_the_server(jpki_mock):
    with jpki_mock.create_tenant(ttl_seconds=dt.timedelta(minutes=10)) as tenant:
        assert tenant.tenant.startswith("t-")
        assert tenant.base_url == f"{jpki_mock.base_url}/t/{tenant.tenant}"
        assert tenant.admin_token and tenant.admin_token != jpki_mock.admin_token
        listed = {t["tenant"]: t for t in jpki_mock.tenants()}
        assert listed[tenant.tenant]["base_url"] == tenant.base_url
        assert listed[tenant.tenant]["expires_at"] is not None
        assert tenant.issue()["card_id"] == 1  # cards of its own
        assert tenant.ocsp_url("sign") == tenant.base_url + "/ocsp/sign"
        assert get(tenant.crl_url("auth"))[0] == 200
        assert tenant.ca_pem("sign") != jpki_mock.ca_pem("sign")  # CAs of its own
        assert [r["path"] for r in tenant.requests()] == ["/crl/auth.crl"]


def test_two_tenants_clocks_and_faults_are_independent(jpki_mock):
    with jpki_mock.create_tenant() as first, jpki_mock.create_tenant() as second:
        assert first.tenant != second.tenant
        first.set_clock("2030-01-01T00:00:00Z")
        assert first.clock()["now"] == "2030-01-01T00:00:00Z"
        assert second.clock()["mode"] == "system"
        assert jpki_mock.clock()["mode"] == "system"

        second.inject({"fault": "http_status", "status": 503, "ca": "sign"})
        assert first.faults() == [] and jpki_mock.faults() == []
        assert get(first.crl_url("sign"))[0] == 200
        with pytest.raises(urllib.error.HTTPError) as caught:
            get(second.crl_url("sign"))
        assert caught.value.code == 503
        # Each request log holds its own tenant's requests only.
        assert [r["http_status"] for r in first.requests()] == [200]
        assert [r["http_status"] for r in second.requests()] == [503]


def test_leaving_the_context_deletes_the_tenant(jpki_mock):
    with jpki_mock.create_tenant("ctx-" + os.urandom(4).hex()) as tenant:
        name, url = tenant.tenant, tenant.base_url
        assert tenant.clock()["mode"] == "system"
    assert name not in [t["tenant"] for t in jpki_mock.tenants()]
    with pytest.raises(JpkiMockError) as caught:
        tenant.clock()
    assert (caught.value.status, caught.value.code) == (404, "not_found")
    with pytest.raises(urllib.error.HTTPError) as caught:
        get(url + "/ca/sign.pem")
    assert caught.value.code == 404
    assert tenant.stop() is None  # a second stop does nothing


def test_delete_tenant_and_a_tenant_already_gone(jpki_mock):
    tenant = jpki_mock.create_tenant()
    jpki_mock.delete_tenant(tenant.tenant)
    assert tenant.tenant not in [t["tenant"] for t in jpki_mock.tenants()]
    tenant.stop()  # already gone: not an error
    with pytest.raises(JpkiMockError) as caught:
        jpki_mock.delete_tenant(tenant.tenant)
    assert (caught.value.status, caught.value.code) == (404, "not_found")
    assert caught.value.message == f"no tenant named {tenant.tenant}"


def test_a_bad_or_taken_tenant_name_is_an_error(jpki_mock):
    with pytest.raises(JpkiMockError) as caught:
        jpki_mock.create_tenant("Not_Valid")
    assert (caught.value.status, caught.value.code) == (400, "bad_input")
    assert caught.value.message == ('tenant name "Not_Valid": a tenant name is 1 to 63 '
                                    'characters of a-z, 0-9 and -')
    name = "taken-" + os.urandom(4).hex()
    with jpki_mock.create_tenant(name):
        with pytest.raises(JpkiMockError) as caught:
            jpki_mock.create_tenant(name)
        assert (caught.value.status, caught.value.code) == (409, "refused")
        assert name in caught.value.message


def test_a_tenant_of_a_server_with_an_admin_token_uses_its_own_token():
    with JpkiMock.start(env={"JPKI_MOCK_ADMIN_TOKEN": "t0ken"}) as server:
        tenant = server.create_tenant()
        assert tenant.admin_token not in (None, "t0ken")
        assert tenant.issue()["card_id"] == 1
        with pytest.raises(JpkiMockError) as caught:
            JpkiMock.connect(tenant.base_url).clock()
        assert caught.value.status == 401
        tenant.stop()  # deletes it with the tenant's own token
        assert server.tenants() == []


def test_the_tenant_fixture_is_a_tenant_of_the_session_server(jpki_mock, jpki_mock_tenant):
    assert jpki_mock_tenant.base_url == f"{jpki_mock.base_url}/t/{jpki_mock_tenant.tenant}"
    assert jpki_mock_tenant.tenant in [t["tenant"] for t in jpki_mock.tenants()]
    assert jpki_mock_tenant.issue()["card_id"] == 1
    jpki_mock_tenant.set_clock("2031-01-01")  # no reset needed: the tenant goes
