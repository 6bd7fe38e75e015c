package jp.jpkimock;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * A card as the admin API returns it from {@code POST /api/v1/cards} (and from a
 * renewal, a phone's issue or resume, a new signing certificate): the JSON object itself,
 * read-only, as a {@code Map<String, Object>} ({@code card_id}, {@code card_expiry},
 * {@code fee_yen}, {@code sign}, {@code auth}, for a renewal or a phone that replaced
 * another {@code revoked}, for a phone {@code platform} and {@code device_id}, for a
 * resumed phone {@code lifted}), with typed accessors for what tests use most.
 * {@code kind} is {@code "sign"} or {@code "auth"}; a card without that certificate (a
 * holder under 15 has no signing certificate, a renewal of one kind returns only that
 * one, a resumed phone and a new signing certificate only {@code sign}) makes the
 * accessors throw {@link NoSuchElementException}.
 */
public final class Card extends AbstractMap<String, Object> {
    private final Map<String, Object> json;

    Card(Map<String, Object> json) {
        this.json = json;
    }

    @Override
    public Set<Entry<String, Object>> entrySet() {
        return json.entrySet();
    }

    @Override
    public Object get(Object key) {
        return json.get(key);
    }

    @Override
    public boolean containsKey(Object key) {
        return json.containsKey(key);
    }

    /** {@code card_id}. */
    public long cardId() {
        return ((Number) json.get("card_id")).longValue();
    }

    /** Whether the answer holds a certificate of this kind. */
    public boolean has(String kind) {
        return json.get(kind) instanceof Map;
    }

    /**
     * The certificate object of this kind: serial, serial_hex, not_before, not_after,
     * expiry, cert_pem, key_pem, chain_pem.
     */
    @SuppressWarnings("unchecked")
    public Map<String, Object> cert(String kind) {
        Object cert = json.get(kind);
        if (!(cert instanceof Map)) {
            throw new NoSuchElementException(
                "card " + json.get("card_id") + " has no " + kind + " certificate in this answer");
        }
        return (Map<String, Object>) cert;
    }

    /** The serial number of the certificate of this kind. */
    public long serial(String kind) {
        return ((Number) cert(kind).get("serial")).longValue();
    }

    /** The certificate of this kind, parsed. */
    public X509Certificate certificate(String kind) {
        return certificates((String) cert(kind).get("cert_pem")).get(0);
    }

    /** The certificate of this kind followed by its CA's ({@code chain_pem}). */
    public List<X509Certificate> chain(String kind) {
        return certificates((String) cert(kind).get("chain_pem"));
    }

    /** The certificate's private key (PKCS#8, RSA or EC as issued). */
    public PrivateKey privateKey(String kind) {
        return parsePrivateKey((String) cert(kind).get("key_pem"));
    }

    static List<X509Certificate> certificates(String pem) {
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            List<X509Certificate> out = new ArrayList<>();
            for (java.security.cert.Certificate c
                    : factory.generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new JpkiMockException(0, "bad_reply", "no certificate in the PEM text");
            }
            return out;
        } catch (CertificateException e) {
            throw new JpkiMockException(0, "bad_reply", "cannot read a certificate: " + e.getMessage(), null, e);
        }
    }

    static PrivateKey parsePrivateKey(String pem) {
        String base64 = pem.replaceAll("-----(BEGIN|END) PRIVATE KEY-----", "").replaceAll("\\s", "");
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64));
        GeneralSecurityException last = null;
        for (String algorithm : new String[] {"RSA", "EC"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
                last = e;
            }
        }
        throw new JpkiMockException(0, "bad_reply", "cannot read the private key: " + last.getMessage(), null, last);
    }
}
