package jp.jpkimock;

import static jp.jpkimock.JpkiMockTest.validate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyStore;
import java.security.cert.CertPathValidatorException;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link JpkiMock#trustStore()} across a CA rollover (its own server: a rollover changes the CA for good). */
@ExtendWith(JpkiMockExtension.class)
class TrustStoreTest {
    @Test
    void holdsEveryGenerationOfBothCas(JpkiMock mock) throws Exception {
        KeyStore store = mock.trustStore();
        assertEquals("PKCS12", store.getType());
        assertEquals(Set.of("sign-1", "auth-1"), aliases(store));
        assertTrue(store.isCertificateEntry("sign-1"));
        assertEquals(mock.caCertificate("sign"), store.getCertificate("sign-1"));
        assertEquals(mock.caCertificate("auth"), store.getCertificate("auth-1"));

        Card before = mock.issue(JpkiMockTest.holder("佐藤 花子", "1990-10-01"));
        assertEquals(2L, mock.rollover("sign").get("generation"));
        Card after = mock.issue(JpkiMockTest.holder("佐藤 次郎", "1991-11-02"));

        store = mock.trustStore();
        assertEquals(Set.of("sign-1", "sign-2", "auth-1"), aliases(store));
        X509Certificate gen1 = (X509Certificate) store.getCertificate("sign-1");
        X509Certificate gen2 = (X509Certificate) store.getCertificate("sign-2");
        assertEquals(gen1.getSubjectX500Principal(), gen2.getSubjectX500Principal(), "one DN for every generation");
        assertNotEquals(gen1.getPublicKey(), gen2.getPublicKey());
        assertEquals(mock.caCertificate("sign"), gen2, "the current generation is the new one");
        before.certificate("sign").verify(gen1.getPublicKey());
        after.certificate("sign").verify(gen2.getPublicKey());
        assertEquals(3, mock.caGenerations().size(), "sign 1, sign 2, auth 1");

        // Both validate against the one trust store, each by OCSP with its own generation.
        validate(before.certificate("sign"), mock);
        validate(after.certificate("sign"), mock);
        mock.revoke(before.cardId(), "lost");
        CertPathValidatorException e = assertThrows(CertPathValidatorException.class,
            () -> validate(before.certificate("sign"), mock));
        assertEquals(CertPathValidatorException.BasicReason.REVOKED, e.getReason());
        validate(after.certificate("sign"), mock);
    }

    private static Set<String> aliases(KeyStore store) throws Exception {
        return new TreeSet<>(Collections.list(store.aliases()));
    }

    @Test
    void caPemOfAGeneration(JpkiMock mock) {
        List<?> generations = mock.caGenerations();
        assertTrue(generations.size() >= 2);
        assertEquals(mock.caCertificate("auth"), Card.certificates(mock.caPem("auth", 1)).get(0));
        JpkiMockException e = assertThrows(JpkiMockException.class, () -> mock.caPem("auth", 99));
        assertEquals(404, e.status());
        assertEquals("not_found", e.code());
    }
}
