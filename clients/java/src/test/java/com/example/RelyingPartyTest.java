package com.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXRevocationChecker;
import java.security.cert.X509Certificate;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import jp.jpkimock.Card;
import jp.jpkimock.JpkiMock;
import jp.jpkimock.JpkiMockExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A relying party's test: a card is issued, its signing certificate validates with
 * Java's PKIX validator checking OCSP at the URL in the certificate, the card is
 * reported lost, and the same validation then fails as REVOKED; the request log shows
 * that OCSP was asked. (docs/java.md shows this file as it is.)
 */
@ExtendWith(JpkiMockExtension.class)
class RelyingPartyTest {
    @Test
    void revokedCardFailsOcspValidation(JpkiMock mock) throws Exception {
        Card card = mock.issue(Map.of(
            "name", "山田 太郎",
            "birth", "1990-10-01",
            "gender", "male",
            "address", "東京都品川区広町2-1-36",
            "key_alg", "p256"));
        X509Certificate cert = card.certificate("sign");

        validate(cert, mock); // good: no exception

        mock.revoke(card.cardId(), "lost");
        CertPathValidatorException e = assertThrows(CertPathValidatorException.class, () -> validate(cert, mock));
        assertEquals(CertPathValidatorException.BasicReason.REVOKED, e.getReason());

        List<Map<String, Object>> asked = mock.requests(card.serial("sign"));
        assertFalse(asked.isEmpty(), "the validator asked the mock's OCSP responder");
        assertTrue(((String) asked.get(0).get("path")).startsWith("/ocsp/sign"), "GET or POST /ocsp/sign");
        assertEquals(List.of("good"), asked.get(0).get("cert_statuses"));
        assertEquals(List.of("revoked"), asked.get(asked.size() - 1).get("cert_statuses"));
    }

    /** The relying party's check: PKIX with OCSP only, at the responder the certificate's AIA names. */
    private static void validate(X509Certificate cert, JpkiMock mock) throws Exception {
        CertPathValidator validator = CertPathValidator.getInstance("PKIX");
        PKIXRevocationChecker ocsp = (PKIXRevocationChecker) validator.getRevocationChecker();
        ocsp.setOptions(EnumSet.of(PKIXRevocationChecker.Option.NO_FALLBACK)); // OCSP only, no CRL
        PKIXParameters params = new PKIXParameters(mock.trustStore()); // every CA generation
        params.setRevocationEnabled(false); // the checker below does it
        params.addCertPathChecker(ocsp);
        params.setPolicyQualifiersRejected(false); // JPKI policies are critical, with a CPS qualifier
        CertPath path = CertificateFactory.getInstance("X.509").generateCertPath(List.of(cert));
        validator.validate(path, params);
        assertTrue(ocsp.getSoftFailExceptions().isEmpty(), () -> "soft failures: " + ocsp.getSoftFailExceptions());
    }
}
