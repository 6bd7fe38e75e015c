import java.io.FileInputStream;
import java.net.URI;
import java.security.cert.*;
import java.util.*;

/**
 * OCSP check with Java's PKIX validator and PKIXRevocationChecker (OCSP only, no CRL
 * fallback), as a Java relying party would do it.
 *
 * usage: java OcspCheck CA_PEM LEAF_PEM OCSP_URL good|revoked
 */
public class OcspCheck {
    public static void main(String[] args) throws Exception {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        X509Certificate ca;
        X509Certificate leaf;
        try (FileInputStream in = new FileInputStream(args[0])) {
            ca = (X509Certificate) factory.generateCertificate(in);
        }
        try (FileInputStream in = new FileInputStream(args[1])) {
            leaf = (X509Certificate) factory.generateCertificate(in);
        }
        String expected = args[3];
        CertPathValidator validator = CertPathValidator.getInstance("PKIX");
        PKIXRevocationChecker checker = (PKIXRevocationChecker) validator.getRevocationChecker();
        checker.setOcspResponder(new URI(args[2]));
        checker.setOptions(EnumSet.of(PKIXRevocationChecker.Option.ONLY_END_ENTITY,
                                      PKIXRevocationChecker.Option.NO_FALLBACK));
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
        params.setRevocationEnabled(false); // the checker below does it, OCSP only
        params.addCertPathChecker(checker);
        params.setPolicyQualifiersRejected(false); // JPKI policies carry a CPS qualifier
        CertPath path = factory.generateCertPath(List.of(leaf));
        String label = "java " + expected + " (PKIXRevocationChecker, OCSP only)";
        try {
            validator.validate(path, params);
            if (expected.equals("good")) {
                System.out.println("PASS " + label);
            } else {
                System.out.println("FAIL " + label + ": the path validated");
                System.exit(1);
            }
        } catch (CertPathValidatorException e) {
            boolean revoked = e.getReason() == CertPathValidatorException.BasicReason.REVOKED;
            if (expected.equals("revoked") && revoked) {
                String reason = e.getCause() instanceof CertificateRevokedException
                    ? " reason " + ((CertificateRevokedException) e.getCause()).getRevocationReason()
                    : "";
                System.out.println("PASS " + label + reason);
            } else {
                System.out.println("FAIL " + label + ": " + e.getReason() + ": " + e.getMessage());
                System.exit(1);
            }
        }
    }
}
