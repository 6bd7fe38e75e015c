import java.io.FileInputStream;
import java.net.URI;
import java.security.cert.*;
import java.util.*;

/**
 * OCSP check with Java's PKIX validator and PKIXRevocationChecker (OCSP only, no CRL
 * fallback), as a Java relying party does it: the CA is the trust anchor, the leaf is
 * validated at the current time.
 *
 * usage: java OcspCheck CA_PEM LEAF_PEM OCSP_URL|aia good|revoked [REASON]
 *
 * OCSP_URL is given to setOcspResponder; "aia" leaves the checker to the URL in the
 * certificate's authority information access. A good leaf must validate; a revoked one
 * must fail with BasicReason.REVOKED (and, when REASON is given, e.g. KEY_COMPROMISE,
 * with that CRLReason when Java reports one). Java sends a nonce when run with
 * -Djdk.security.certpath.ocspNonce=true, and then insists that it is echoed. With
 * -Dinterop.sigalg=SHA384withECDSA -Dinterop.ecbits=384 (the next-gen preset) the CA
 * and the leaf must be signed with that algorithm and carry EC keys of that size.
 * Prints one PASS/FAIL line; exits 1 on FAIL.
 */
public class OcspCheck {
    public static void main(String[] args) {
        if (args.length < 4) {
            System.err.println("usage: java OcspCheck CA_PEM LEAF_PEM OCSP_URL|aia good|revoked [REASON]");
            System.exit(2);
        }
        String responder = args[2];
        String expected = args[3];
        String reason = args.length > 4 && !args[4].equals("-") ? args[4] : null;
        boolean nonce = Boolean.getBoolean("jdk.security.certpath.ocspNonce");
        String label = "java " + expected + " (PKIXRevocationChecker, OCSP only, "
            + (responder.equals("aia") ? "AIA" : "responder URL") + (nonce ? ", nonce" : "") + ")";
        try {
            System.out.println("PASS " + label + check(args[0], args[1], responder, expected, reason));
        } catch (Failure e) {
            System.out.println("FAIL " + label + ": " + e.getMessage());
            System.exit(1);
        } catch (Exception e) {
            System.out.println("FAIL " + label + ": " + e + causes(e));
            System.exit(1);
        }
    }

    static final class Failure extends Exception {
        Failure(String message) {
            super(message);
        }
    }

    static String check(String caPath, String leafPath, String responder, String expected, String reason)
            throws Exception {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        X509Certificate ca;
        X509Certificate leaf;
        try (FileInputStream in = new FileInputStream(caPath)) {
            ca = (X509Certificate) factory.generateCertificate(in);
        }
        try (FileInputStream in = new FileInputStream(leafPath)) {
            leaf = (X509Certificate) factory.generateCertificate(in);
        }
        String sigAlg = System.getProperty("interop.sigalg");
        String extra = "";
        if (sigAlg != null) {
            int bits = Integer.getInteger("interop.ecbits", 0);
            for (X509Certificate cert : List.of(ca, leaf)) {
                String who = cert == ca ? "CA" : "leaf";
                if (!cert.getSigAlgName().equalsIgnoreCase(sigAlg)) {
                    throw new Failure(who + " signed with " + cert.getSigAlgName() + ", expected " + sigAlg);
                }
                if (bits > 0) {
                    if (!(cert.getPublicKey() instanceof java.security.interfaces.ECPublicKey)) {
                        throw new Failure(who + " key is " + cert.getPublicKey().getAlgorithm() + ", not EC");
                    }
                    int size = ((java.security.interfaces.ECPublicKey) cert.getPublicKey())
                        .getParams().getCurve().getField().getFieldSize();
                    if (size != bits) {
                        throw new Failure(who + " key on a " + size + "-bit curve, expected " + bits);
                    }
                }
            }
            extra = ", " + sigAlg + (bits > 0 ? " P-" + bits : "");
        }
        CertPathValidator validator = CertPathValidator.getInstance("PKIX");
        PKIXRevocationChecker checker = (PKIXRevocationChecker) validator.getRevocationChecker();
        if (!responder.equals("aia")) {
            checker.setOcspResponder(new URI(responder));
        }
        checker.setOptions(EnumSet.of(PKIXRevocationChecker.Option.ONLY_END_ENTITY,
                                      PKIXRevocationChecker.Option.NO_FALLBACK));
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
        params.setRevocationEnabled(false); // the checker below does it, OCSP only
        params.addCertPathChecker(checker);
        // JPKI certificate policies are critical and carry a CPS qualifier.
        params.setPolicyQualifiersRejected(false);
        params.setInitialPolicies(Set.of("2.5.29.32.0")); // anyPolicy
        CertPath path = factory.generateCertPath(List.of(leaf));
        try {
            validator.validate(path, params);
        } catch (CertPathValidatorException e) {
            if (!expected.equals("revoked")) {
                throw new Failure(e.getReason() + ": " + e.getMessage() + causes(e));
            }
            if (e.getReason() != CertPathValidatorException.BasicReason.REVOKED) {
                throw new Failure("reason " + e.getReason() + ", expected REVOKED: " + e.getMessage() + causes(e));
            }
            if (!(e.getCause() instanceof CertificateRevokedException)) {
                return " (no revocation details)";
            }
            CertificateRevokedException revoked = (CertificateRevokedException) e.getCause();
            CRLReason got = revoked.getRevocationReason();
            if (reason != null && got != null && !got.name().equals(reason)) {
                throw new Failure("revocation reason " + got + ", expected " + reason);
            }
            if (revoked.getRevocationDate().after(new Date())) {
                throw new Failure("revocation date " + revoked.getRevocationDate().toInstant() + " in the future");
            }
            return " reason " + got + extra;
        }
        if (!expected.equals("good")) {
            throw new Failure("the path validated");
        }
        List<CertPathValidatorException> soft = checker.getSoftFailExceptions();
        if (!soft.isEmpty()) {
            throw new Failure("soft failures: " + soft);
        }
        return extra;
    }

    static String causes(Throwable e) {
        StringBuilder text = new StringBuilder();
        Throwable c = e.getCause();
        for (int depth = 0; c != null && depth < 8; depth++, c = c.getCause()) {
            text.append(" <- ").append(c);
        }
        return text.toString();
    }
}
