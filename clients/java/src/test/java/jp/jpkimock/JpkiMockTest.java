package jp.jpkimock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.Signature;
import java.security.cert.CRLReason;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateRevokedException;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXRevocationChecker;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Each operation of {@link JpkiMock} against a real server (one for the class). */
@ExtendWith(JpkiMockExtension.class)
class JpkiMockTest {
    static Map<String, Object> holder(String name, String birth) {
        Map<String, Object> fields = new HashMap<>();
        fields.put("name", name);
        fields.put("birth", birth);
        fields.put("gender", "female");
        fields.put("address", "大阪府大阪市北区梅田1-1-3");
        fields.put("key_alg", "p256");
        return fields;
    }

    @AfterEach
    void reset(JpkiMock mock) {
        mock.resetClock();
        mock.clearFaults();
    }

    @Test
    void baseUrlServesWithoutTrailingSlash(JpkiMock mock) {
        assertTrue(mock.baseUrl().matches("http://127\\.0\\.0\\.1:[0-9]+"), mock.baseUrl());
        assertEquals("ok\n", mock.api("GET", "/healthz", null));
        assertTrue(mock.isRunning());
    }

    @Test
    void caPemIsEachCurrentCa(JpkiMock mock) throws Exception {
        String sign = mock.caPem("sign");
        assertTrue(sign.startsWith("-----BEGIN CERTIFICATE-----"), sign);
        X509Certificate signCa = mock.caCertificate("sign");
        X509Certificate authCa = mock.caCertificate("auth");
        assertTrue(signCa.getSubjectX500Principal().getName().contains("JPKI for digital signature"));
        assertTrue(authCa.getSubjectX500Principal().getName().contains("JPKI for user authentication"));
        Card card = mock.issue(holder("佐藤 花子", "1990-10-01"));
        card.certificate("sign").verify(signCa.getPublicKey());
        card.certificate("auth").verify(authCa.getPublicKey());
        assertThrows(IllegalArgumentException.class, () -> mock.caPem("../api/v1/ca"));
    }

    @Test
    void issueReturnsTheCard(JpkiMock mock) throws Exception {
        Map<String, Object> fields = holder("佐藤 花子", "1990-10-01");
        fields.put("sign_pin", "XYZ789");
        fields.put("auth_pin", "4321");
        Card card = mock.issue(fields);
        assertTrue(card.cardId() > 0);
        assertEquals(0L, card.get("fee_yen"));
        assertTrue(card.containsKey("card_expiry"));
        for (String kind : List.of("sign", "auth")) {
            assertTrue(card.has(kind));
            X509Certificate cert = card.certificate(kind);
            assertEquals(card.serial(kind), cert.getSerialNumber().longValueExact());
            assertEquals(String.format("%08X", card.serial(kind)), card.cert(kind).get("serial_hex"));
            assertEquals(2, card.chain(kind).size());
            assertEquals(cert, card.chain(kind).get(0));
            // The key is the certificate's.
            Signature signer = Signature.getInstance("SHA256withECDSA");
            signer.initSign(card.privateKey(kind));
            byte[] data = "hello".getBytes(StandardCharsets.UTF_8);
            signer.update(data);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance("SHA256withECDSA");
            verifier.initVerify(cert.getPublicKey());
            verifier.update(data);
            assertTrue(verifier.verify(signature), kind);
        }
        Map<?, ?> view = mock.card(card.cardId());
        assertEquals(card.cardId(), view.get("card_id"));
    }

    @Test
    void issueOfRsaKeys(JpkiMock mock) {
        Map<String, Object> fields = holder("鈴木 一郎", "1985-04-02");
        fields.put("key_alg", "rsa2048");
        Card card = mock.issue(fields);
        assertEquals("RSA", card.privateKey("sign").getAlgorithm());
        assertEquals("RSA", card.certificate("sign").getPublicKey().getAlgorithm());
    }

    @Test
    void aMinorHasNoSigningCertificate(JpkiMock mock) {
        Card card = mock.issue(holder("佐藤 小花", "2020-10-01"));
        assertFalse(card.has("sign"));
        assertTrue(card.has("auth"));
        assertThrows(NoSuchElementException.class, () -> card.certificate("sign"));
    }

    @Test
    void revokeAppliesACause(JpkiMock mock) {
        Card card = mock.issue(holder("佐藤 花子", "1990-10-01"));
        Map<String, Object> report = mock.revoke(card.cardId(), "address_change");
        assertEquals("address_change", report.get("cause"));
        List<?> revoked = (List<?>) report.get("revoked");
        assertEquals(1, revoked.size(), "an address change revokes the signing certificate only");
        Map<?, ?> entry = (Map<?, ?>) revoked.get(0);
        assertEquals(card.serial("sign"), entry.get("serial"));
        assertEquals("affiliationChanged", entry.get("reason"));
    }

    @Test
    void revokeWithCertsRevokesThoseOnly(JpkiMock mock) {
        Card card = mock.issue(holder("佐藤 花子", "1990-10-01"));
        Map<String, Object> report = mock.revoke(card.cardId(), "stop", "auth");
        List<?> revoked = (List<?>) report.get("revoked");
        assertEquals(1, revoked.size());
        assertEquals("auth", ((Map<?, ?>) revoked.get(0)).get("kind"));
        assertEquals("cessationOfOperation", ((Map<?, ?>) revoked.get(0)).get("reason"));
        assertEquals("good", status(mock, card, "sign"));
        assertEquals("revoked", status(mock, card, "auth"));

        report = mock.revoke(card.cardId(), "stop", List.of("sign"));
        assertEquals(card.serial("sign"), ((Map<?, ?>) ((List<?>) report.get("revoked")).get(0)).get("serial"));
        assertEquals("revoked", status(mock, card, "sign"));
    }

    static String status(JpkiMock mock, Card card, String kind) {
        for (Object cert : (List<?>) mock.card(card.cardId()).get("certificates")) {
            Map<?, ?> c = (Map<?, ?>) cert;
            if (((Number) c.get("serial")).longValue() == card.serial(kind)) {
                return (String) c.get("status");
            }
        }
        throw new AssertionError("no certificate " + card.serial(kind));
    }

    @Test
    void renewInsideTheWindow(JpkiMock mock) {
        mock.setClock("2021-03-15");
        Card card = mock.issue(holder("佐藤 花子", "1990-10-01"));
        JpkiMockException refused = assertThrows(JpkiMockException.class, () -> mock.renew(card.cardId()));
        assertEquals(409, refused.status());
        assertEquals("refused", refused.code());
        assertTrue(refused.getMessage().contains("2025-07-02"), refused.getMessage());

        mock.setClock("2025-08-01");
        Card renewed = mock.renew(card.cardId());
        assertEquals(card.cardId(), renewed.cardId());
        assertNotEquals(card.serial("sign"), renewed.serial("sign"));
        assertNotEquals(card.serial("auth"), renewed.serial("auth"));
        assertEquals("2030-10-01T14:59:59Z", renewed.cert("sign").get("not_after"));
        List<?> superseded = (List<?>) renewed.get("revoked");
        assertEquals(2, superseded.size());
        assertEquals("superseded", ((Map<?, ?>) superseded.get(0)).get("reason"));
    }

    @Test
    void renewSomeCertificates(JpkiMock mock) {
        mock.setClock("2021-03-15");
        Card card = mock.issue(holder("佐藤 花子", "1990-10-01"));
        mock.setClock("2025-08-01");
        Card sign = mock.renew(card.cardId(), "sign");
        assertTrue(sign.has("sign"));
        assertFalse(sign.has("auth"));
        assertNotEquals(card.serial("sign"), sign.serial("sign"));
        assertEquals(1, ((List<?>) sign.get("revoked")).size());
        Card auth = mock.renew(card.cardId(), List.of("auth"));
        assertFalse(auth.has("sign"));
        assertNotEquals(card.serial("auth"), auth.serial("auth"));
    }

    // ---- phones, new signing certificates, links, latest facts ----

    @Test
    void aLostPhoneSuspendedThenResumedAsOcspTellsIt(JpkiMock mock) throws Exception {
        // At real time: Java judges OCSP answers by its own clock (javaJudgesOcspAtRealTime).
        Card card = mock.issue(holder("佐藤 花子", "1990-10-01"));
        Card phone = mock.issuePhone(card.cardId(), "android", "pixel-8");
        assertEquals("android", phone.get("platform"));
        assertEquals("pixel-8", phone.get("device_id"));
        assertEquals(card.cardId(), phone.cardId());
        X509Certificate auth = phone.certificate("auth");
        X509Certificate oldSign = phone.certificate("sign");
        validate(auth, mock);
        validate(oldSign, mock);

        Map<String, Object> report = mock.suspendPhone(card.cardId(), "android");
        assertEquals("phone_lost", report.get("cause"));
        List<?> held = (List<?>) report.get("revoked");
        assertEquals(2, held.size());
        for (Object entry : held) {
            assertEquals("certificateHold", ((Map<?, ?>) entry).get("reason"));
        }
        for (X509Certificate cert : List.of(auth, oldSign)) {
            CertPathValidatorException e = assertThrows(CertPathValidatorException.class, () -> validate(cert, mock));
            assertEquals(CertPathValidatorException.BasicReason.REVOKED, e.getReason());
            assertEquals(CRLReason.CERTIFICATE_HOLD, ((CertificateRevokedException) e.getCause()).getRevocationReason());
        }

        Card resumed = mock.resumePhone(card.cardId(), "android");
        assertEquals(List.of(phone.serial("auth")), resumed.get("lifted"));
        assertEquals("pixel-8", resumed.get("device_id"));
        assertFalse(resumed.has("auth"), "the auth certificate stays, its hold lifted");
        X509Certificate newSign = resumed.certificate("sign");
        assertNotEquals(phone.serial("sign"), resumed.serial("sign"));

        validate(auth, mock); // good again
        validate(newSign, mock);
        CertPathValidatorException e = assertThrows(CertPathValidatorException.class, () -> validate(oldSign, mock));
        assertEquals(CertPathValidatorException.BasicReason.REVOKED, e.getReason());
        assertEquals(CRLReason.CERTIFICATE_HOLD, ((CertificateRevokedException) e.getCause()).getRevocationReason());
        validate(card.certificate("sign"), mock); // the card's own, untouched

        List<Object> statuses = new java.util.ArrayList<>();
        for (Map<String, Object> asked : mock.requests(phone.serial("auth"))) {
            statuses.add(asked.get("cert_statuses"));
        }
        assertEquals(List.of(List.of("good"), List.of("revoked"), List.of("good")), statuses);
        Map<String, Object> links = mock.links(phone.serial("sign"));
        assertEquals(phone.serial("auth"), links.get("pair"));
        assertEquals(List.of(Map.of("serial", resumed.serial("sign"), "event", "phone_lost")), links.get("successors"));
        assertEquals(resumed.serial("sign"), links.get("current"));
    }

    @Test
    void phoneCausesNeedAPlatformAndASecondPhoneReplacesTheFirst(JpkiMock mock) {
        Card card = mock.issue(holder("佐藤 花子", "1990-10-01"));
        Card first = mock.issuePhone(card.cardId(), "ios");
        assertTrue(first.get("device_id") instanceof String);
        assertFalse(first.containsKey("revoked"));
        Card second = mock.issuePhone(card.cardId(), "ios", "iphone-16");
        List<?> replaced = (List<?>) second.get("revoked");
        assertEquals(2, replaced.size(), "device_change revokes the set on that platform");
        assertEquals(first.serial("sign"), ((Map<?, ?>) replaced.get(0)).get("serial"));

        JpkiMockException e = assertThrows(JpkiMockException.class,
            () -> mock.revoke(card.cardId(), "phone_lost", null, null));
        assertEquals(400, e.status());
        assertEquals("bad_input", e.code());
        assertTrue(e.getMessage().contains("platform"), e.getMessage());
        e = assertThrows(JpkiMockException.class, () -> mock.issuePhone(card.cardId(), "windows"));
        assertEquals(400, e.status());
        e = assertThrows(JpkiMockException.class, () -> mock.resumePhone(card.cardId(), "ios"));
        assertEquals(409, e.status());
        assertEquals("refused", e.code());

        Map<String, Object> report = mock.revoke(card.cardId(), "device_disposed", null, "ios");
        assertEquals("device_disposed", report.get("cause"));
        List<?> revoked = (List<?>) report.get("revoked");
        assertEquals(2, revoked.size());
        assertEquals(second.serial("sign"), ((Map<?, ?>) revoked.get(0)).get("serial"));
        assertEquals("good", status(mock, card, "sign"), "a phone's cause leaves the card");
        // The existing overloads still mean what they meant: three strings are certs.
        assertEquals(1, ((List<?>) mock.revoke(card.cardId(), "stop", "auth").get("revoked")).size());
    }

    @Test
    void aNewSigningCertificateAfterANameChangeAndTheLatestFacts(JpkiMock mock) {
        Card card = mock.issue(holder("山田 花子", "1990-10-01"));
        long old = card.serial("sign");
        JpkiMockException e = assertThrows(JpkiMockException.class,
            () -> mock.issueSigningCertificate(card.cardId(), Map.of("name", "佐藤 花子")));
        assertEquals(409, e.status());
        e = assertThrows(JpkiMockException.class, () -> mock.latestFacts(old));
        assertEquals(403, e.status());
        assertEquals("forbidden", e.code());

        mock.revoke(card.cardId(), "name_change");
        Card issued = mock.issueSigningCertificate(card.cardId(), Map.of("name", "佐藤 花子"));
        assertFalse(issued.has("auth"));
        assertNotEquals(old, issued.serial("sign"));
        assertEquals("佐藤 花子", mock.card(card.cardId()).get("name"));
        Map<String, Object> links = mock.links(old);
        assertEquals(old, links.get("serial"));
        assertEquals(card.serial("auth"), links.get("pair"));
        assertNull(links.get("predecessor"));
        assertEquals(List.of(Map.of("serial", issued.serial("sign"), "event", "name_change")), links.get("successors"));
        assertEquals(issued.serial("sign"), links.get("current"));
        assertEquals(old, mock.links(issued.serial("sign")).get("predecessor"));

        assertEquals(Map.of("card_id", card.cardId(), "latest_facts_consent", true),
            mock.setLatestFactsConsent(card.cardId(), true));
        Map<String, Object> facts = mock.latestFacts(old);
        assertEquals(old, facts.get("serial"));
        assertEquals("佐藤\u3000花子", facts.get("name"), "the newest facts, as the certificate writes them");
        mock.setLatestFactsConsent(card.cardId(), false);
        assertEquals(403, assertThrows(JpkiMockException.class, () -> mock.latestFacts(old)).status());
    }

    @Test
    void setClockAndResetClock(JpkiMock mock) {
        Map<String, Object> fixed = mock.setClock("2021-03-15T10:00:00+09:00");
        assertEquals("fixed", fixed.get("mode"));
        assertEquals("2021-03-15T01:00:00Z", fixed.get("now"));
        assertEquals("2021-03-15T01:00:00Z", mock.clock().get("now"));
        assertEquals("2022-01-02T03:04:05Z", mock.setClock(Instant.parse("2022-01-02T03:04:05Z")).get("now"));
        Card card = mock.issue(holder("佐藤 花子", "1990-10-01"));
        assertEquals("2022-01-02T03:04:05Z", card.cert("sign").get("not_before"), "issued at the virtual time");
        assertEquals("offset", mock.setClockOffset(86400).get("mode"));
        Map<String, Object> system = mock.resetClock();
        assertEquals("system", system.get("mode"));
        assertEquals("system", mock.clock().get("mode"));
    }

    @Test
    void javaJudgesOcspAtRealTime(JpkiMock mock) throws Exception {
        // Java's PKIXRevocationChecker checks the OCSP answer and its responder's
        // certificate at the real time, whatever PKIXParameters.setDate says: an answer
        // made at a virtual time long past is refused.
        mock.setClock("2021-03-15T10:00:00+09:00");
        Card old = mock.issue(holder("佐藤 花子", "1990-10-01"));
        CertPathValidatorException e = assertThrows(CertPathValidatorException.class,
            () -> validateAt(old.certificate("sign"), mock, Date.from(Instant.parse("2021-03-15T01:05:00Z"))));
        assertTrue(e.getMessage().contains("validity period"), e.getMessage());

        // A clock a little behind real time (within the answers' one-day validity) works.
        mock.setClockOffset(-3600);
        Card recent = mock.issue(holder("佐藤 花子", "1990-10-01"));
        validateAt(recent.certificate("sign"), mock, new Date());
        mock.revoke(recent.cardId(), "stolen");
        e = assertThrows(CertPathValidatorException.class,
            () -> validateAt(recent.certificate("sign"), mock, new Date()));
        assertEquals(CertPathValidatorException.BasicReason.REVOKED, e.getReason());
        assertEquals(CRLReason.KEY_COMPROMISE, ((CertificateRevokedException) e.getCause()).getRevocationReason());
    }

    /** PKIX with OCSP only (the AIA's responder), as com.example.RelyingPartyTest does it. */
    static void validate(X509Certificate cert, JpkiMock mock) throws Exception {
        validateAt(cert, mock, null);
    }

    /** {@link #validate} at {@code date} (null: now). */
    static void validateAt(X509Certificate cert, JpkiMock mock, Date date) throws Exception {
        CertPathValidator validator = CertPathValidator.getInstance("PKIX");
        PKIXRevocationChecker ocsp = (PKIXRevocationChecker) validator.getRevocationChecker();
        ocsp.setOptions(EnumSet.of(PKIXRevocationChecker.Option.NO_FALLBACK));
        PKIXParameters params = new PKIXParameters(mock.trustStore());
        params.setRevocationEnabled(false);
        params.addCertPathChecker(ocsp);
        params.setPolicyQualifiersRejected(false);
        params.setDate(date);
        validator.validate(CertificateFactory.getInstance("X.509").generateCertPath(List.of(cert)), params);
        assertTrue(ocsp.getSoftFailExceptions().isEmpty(), () -> "soft failures: " + ocsp.getSoftFailExceptions());
    }

    @Test
    void injectAddsFaultsAndClearFaultsEndsThem(JpkiMock mock) throws Exception {
        Card card = mock.issue(holder("佐藤 花子", "1990-10-01"));
        X509Certificate cert = card.certificate("sign");
        validate(cert, mock);

        List<Map<String, Object>> inForce = mock.inject(Map.of("fault", "revoked", "reason", "keyCompromise",
                                                               "serial", card.serial("sign")));
        assertEquals(1, inForce.size());
        CertPathValidatorException e = assertThrows(CertPathValidatorException.class, () -> validate(cert, mock));
        assertEquals(CertPathValidatorException.BasicReason.REVOKED, e.getReason());

        inForce = mock.inject(Map.of("fault", "ocsp_status", "status", "tryLater", "ca", "auth", "count", 1));
        assertEquals(2, inForce.size(), "inject adds to the faults in force");
        assertEquals("revoked", inForce.get(0).get("fault"));
        assertEquals("ocsp_status", mock.faults().get(1).get("fault"));

        mock.clearFaults();
        assertTrue(mock.faults().isEmpty());
        validate(cert, mock);

        // A fault with a count applies to that many requests only.
        mock.inject(Map.of("fault", "ocsp_status", "status", "tryLater", "ca", "sign", "count", 1));
        assertThrows(CertPathValidatorException.class, () -> validate(cert, mock));
        validate(cert, mock);

        List<Map<String, Object>> replaced = mock.setFaults(List.of(Map.of("fault", "stale")));
        assertEquals(List.of(Map.of("fault", "stale")), replaced);
    }

    @Test
    void requestsListTheOcspRequests(JpkiMock mock) throws Exception {
        Card card = mock.issue(holder("佐藤 花子", "1990-10-01"));
        long serial = card.serial("sign");
        assertTrue(mock.requests(serial).isEmpty());
        validate(card.certificate("sign"), mock);
        List<Map<String, Object>> asked = mock.requests(serial);
        assertEquals(1, asked.size());
        // Java asks by GET (RFC 6960's base64 URL) when the request is small, else POST.
        assertTrue(((String) asked.get(0).get("path")).startsWith("/ocsp/sign"), asked.toString());
        assertEquals(200L, asked.get(0).get("http_status"));
        assertEquals("successful", asked.get(0).get("ocsp_status"));
        assertEquals(List.of("good"), asked.get(0).get("cert_statuses"));
        Map<?, ?> certId = (Map<?, ?>) ((List<?>) asked.get(0).get("cert_ids")).get(0);
        assertEquals(serial, certId.get("serial"));
        assertTrue(mock.requests().containsAll(asked));
        mock.clearRequests();
        assertTrue(mock.requests().isEmpty());
    }

    @Test
    void apiErrorsThrowJpkiMockException(JpkiMock mock) {
        JpkiMockException e = assertThrows(JpkiMockException.class, () -> mock.revoke(999999, "lost"));
        assertEquals(404, e.status());
        assertEquals("not_found", e.code());
        assertEquals("no card 999999", e.getMessage());
        assertEquals("not_found", e.body().get("error"));

        Card card = mock.issue(holder("佐藤 花子", "1990-10-01"));
        e = assertThrows(JpkiMockException.class, () -> mock.revoke(card.cardId(), "lose"));
        assertEquals(400, e.status());
        assertEquals("bad_input", e.code());
        assertTrue(e.getMessage().contains("unknown cause"), e.getMessage());

        e = assertThrows(JpkiMockException.class, () -> mock.issue(Map.of("name", "山田 太郎")));
        assertEquals(400, e.status());
        assertEquals("bad_input", e.code());

        e = assertThrows(JpkiMockException.class, () -> mock.setClock("nonsense"));
        assertEquals("bad_input", e.code());
        e = assertThrows(JpkiMockException.class, () -> mock.inject(Map.of("fault", "no_such_fault")));
        assertEquals("bad_input", e.code());
        assertTrue(mock.faults().isEmpty(), "a refused fault changes nothing");

        e = assertThrows(JpkiMockException.class, () -> mock.api("GET", "/api/v1/nope", null));
        assertEquals(404, e.status());
        assertEquals("not_found", e.code());
        e = assertThrows(JpkiMockException.class, () -> mock.api("GET", "/nope", null));
        assertEquals(404, e.status());
        assertEquals("http_404", e.code());

        Map<String, Object> pin = Map.of("pin", "ABC999", "data_base64", "aGVsbG8=");
        Map<String, Object> fields = holder("佐藤 花子", "1990-10-01");
        fields.put("sign_pin", "XYZ789");
        Card withPin = mock.issue(fields);
        e = assertThrows(JpkiMockException.class,
            () -> mock.api("POST", "/api/v1/cards/" + withPin.cardId() + "/sign", pin));
        assertEquals(403, e.status());
        assertEquals("wrong_pin", e.code());
        assertEquals(4L, e.body().get("remaining_tries"));
    }

    @Test
    void apiCallsAnyRoute(JpkiMock mock) {
        Card card = mock.issue(holder("佐藤 花子", "1990-10-01"));
        Map<?, ?> reissued = (Map<?, ?>) mock.api("POST", "/api/v1/cards/" + card.cardId() + "/reissue", null);
        assertEquals(200L, reissued.get("fee_yen"));
        assertNotEquals(card.cardId(), reissued.get("card_id"));
        assertTrue(mock.api("GET", "/crl/index.json", null) instanceof List, "JSON arrays read as lists");
        assertThrows(IllegalArgumentException.class, () -> mock.api("GET", "healthz", null));
    }

    // ---- tenants ----

    @Test
    void aTenantIsAWholeMockUnderTheServer(JpkiMock mock) throws Exception {
        try (JpkiMock tenant = mock.createTenant(null, Duration.ofMinutes(10), null)) {
            assertTrue(tenant.tenant().startsWith("t-"), tenant.tenant());
            assertEquals(mock.baseUrl() + "/t/" + tenant.tenant(), tenant.baseUrl());
            assertNull(mock.tenant());
            assertTrue(tenant.isRunning());
            Map<String, Object> listed = mock.tenants().stream()
                .filter(t -> tenant.tenant().equals(t.get("tenant"))).findFirst().orElseThrow();
            assertEquals(tenant.baseUrl(), listed.get("base_url"));
            assertNotNull(listed.get("expires_at"));
            Card card = tenant.issue(holder("佐藤 花子", "1990-10-01"));
            assertEquals(1L, card.cardId(), "cards of its own");
            assertNotEquals(mock.caPem("sign"), tenant.caPem("sign"), "CAs of its own");
            card.certificate("sign").verify(tenant.caCertificate("sign").getPublicKey());
            validate(card.certificate("sign"), tenant); // its AIA names the tenant's responder
            assertEquals(1, tenant.requests(card.serial("sign")).size());
        }
    }

    @Test
    void twoTenantsHaveTheirOwnClocksFaultsAndRevocations(JpkiMock mock) throws Exception {
        try (JpkiMock first = mock.createTenant(); JpkiMock second = mock.createTenant()) {
            assertNotEquals(first.tenant(), second.tenant());
            first.setClock("2030-01-01T00:00:00Z");
            assertEquals("2030-01-01T00:00:00Z", first.clock().get("now"));
            assertEquals("system", second.clock().get("mode"));
            assertEquals("system", mock.clock().get("mode"));

            second.inject(Map.of("fault", "http_status", "status", 503, "ca", "sign"));
            assertTrue(first.faults().isEmpty());
            assertTrue(mock.faults().isEmpty());
            assertTrue(first.api("GET", "/crl/sign.crl", null) instanceof String);
            JpkiMockException e = assertThrows(JpkiMockException.class, () -> second.api("GET", "/crl/sign.crl", null));
            assertEquals(503, e.status());
            second.clearFaults();
            first.resetClock();

            // Card 1 of each, the same serial, revoked in the first only: Java's own
            // PKIX validator, asking each tenant's OCSP responder, sees the difference.
            Card revoked = first.issue(holder("佐藤 花子", "1990-10-01"));
            Card kept = second.issue(holder("佐藤 花子", "1990-10-01"));
            assertEquals(revoked.serial("sign"), kept.serial("sign"));
            first.revoke(revoked.cardId(), "stolen");
            CertPathValidatorException rejected = assertThrows(CertPathValidatorException.class,
                () -> validate(revoked.certificate("sign"), first));
            assertEquals(CertPathValidatorException.BasicReason.REVOKED, rejected.getReason());
            validate(kept.certificate("sign"), second);
            assertEquals(List.of("good"), second.requests(kept.serial("sign")).get(0).get("cert_statuses"));
            assertTrue(mock.requests(kept.serial("sign")).isEmpty(), "the server saw none of it");
        }
    }

    @Test
    void closeDeletesTheTenant(JpkiMock mock) {
        JpkiMock tenant = mock.createTenant("closed-" + Long.toHexString(System.nanoTime()));
        String name = tenant.tenant();
        tenant.issue(holder("佐藤 花子", "1990-10-01"));
        tenant.close();
        assertFalse(tenant.isRunning());
        assertTrue(mock.tenants().stream().noneMatch(t -> name.equals(t.get("tenant"))), mock.tenants().toString());
        JpkiMockException gone = assertThrows(JpkiMockException.class,
            () -> mock.api("GET", "/t/" + name + "/api/v1/clock", null));
        assertEquals(404, gone.status());
        assertEquals("no tenant named " + name, gone.getMessage());
        JpkiMockException closed = assertThrows(JpkiMockException.class, tenant::clock);
        assertEquals("closed", closed.code());
        tenant.close(); // again: nothing
    }

    @Test
    void deleteTenantAndATenantAlreadyGone(JpkiMock mock) {
        JpkiMock tenant = mock.createTenant();
        mock.deleteTenant(tenant.tenant());
        assertTrue(mock.tenants().stream().noneMatch(t -> tenant.tenant().equals(t.get("tenant"))));
        tenant.close(); // already gone: not an error
        JpkiMockException e = assertThrows(JpkiMockException.class, () -> mock.deleteTenant(tenant.tenant()));
        assertEquals(404, e.status());
        assertEquals("not_found", e.code());
    }

    @Test
    void aBadOrTakenTenantNameIsAnError(JpkiMock mock) {
        JpkiMockException e = assertThrows(JpkiMockException.class, () -> mock.createTenant("Not_Valid"));
        assertEquals(400, e.status());
        assertEquals("bad_input", e.code());
        assertEquals("tenant name \"Not_Valid\": a tenant name is 1 to 63 characters of a-z, 0-9 and -",
            e.getMessage());
        String name = "taken-" + Long.toHexString(System.nanoTime());
        try (JpkiMock taken = mock.createTenant(name)) {
            e = assertThrows(JpkiMockException.class, () -> mock.createTenant(name));
            assertEquals(name, taken.tenant());
            assertEquals(409, e.status());
            assertEquals("refused", e.code());
            assertTrue(e.getMessage().contains(name), e.getMessage());
        }
    }

    @Test
    void aTenantOfAServerWithAnAdminTokenUsesItsOwnToken() {
        try (JpkiMock server = JpkiMock.start(new JpkiMock.Options().adminToken("t0ken"))) {
            JpkiMock tenant = server.createTenant();
            assertEquals(1L, tenant.issue(holder("佐藤 花子", "1990-10-01")).cardId());
            tenant.close(); // DELETE with the tenant's own token
            assertEquals(List.of(), server.tenants());
        }
    }
}
