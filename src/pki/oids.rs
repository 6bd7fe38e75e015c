//! Object identifiers used by the profile, spelled out so each one can be checked
//! against RFC 5280, RFC 6960 and the JPKI certificates at a glance.

use der::asn1::ObjectIdentifier as Oid;

/// keyUsage (RFC 5280 §4.2.1.3).
pub const KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.15");
/// subjectAltName.
pub const SUBJECT_ALT_NAME: Oid = Oid::new_unwrap("2.5.29.17");
/// issuerAltName.
pub const ISSUER_ALT_NAME: Oid = Oid::new_unwrap("2.5.29.18");
/// basicConstraints.
pub const BASIC_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.19");
/// cRLNumber.
pub const CRL_NUMBER: Oid = Oid::new_unwrap("2.5.29.20");
/// reasonCode (CRL entry extension).
pub const REASON_CODE: Oid = Oid::new_unwrap("2.5.29.21");
/// issuingDistributionPoint. (x509-cert 0.2 ties the wrong OID to its type; use this.)
pub const ISSUING_DISTRIBUTION_POINT: Oid = Oid::new_unwrap("2.5.29.28");
/// cRLDistributionPoints.
pub const CRL_DISTRIBUTION_POINTS: Oid = Oid::new_unwrap("2.5.29.31");
/// certificatePolicies.
pub const CERTIFICATE_POLICIES: Oid = Oid::new_unwrap("2.5.29.32");
/// authorityKeyIdentifier.
pub const AUTHORITY_KEY_IDENTIFIER: Oid = Oid::new_unwrap("2.5.29.35");
/// subjectKeyIdentifier.
pub const SUBJECT_KEY_IDENTIFIER: Oid = Oid::new_unwrap("2.5.29.14");
/// extendedKeyUsage.
pub const EXTENDED_KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.37");
/// authorityInfoAccess.
pub const AUTHORITY_INFO_ACCESS: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.1.1");
/// id-ad-ocsp (access method).
pub const AD_OCSP: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1");
/// id-qt-cps (policy qualifier).
pub const QT_CPS: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.2.1");
/// id-kp-clientAuth.
pub const KP_CLIENT_AUTH: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.2");
/// id-kp-OCSPSigning.
pub const KP_OCSP_SIGNING: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.9");
/// id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1).
pub const OCSP_NOCHECK: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.5");
/// id-pkix-ocsp-nonce.
pub const OCSP_NONCE: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.2");
/// id-pkix-ocsp-basic.
pub const OCSP_BASIC: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.1");
/// SHA-1 (CertID hash).
pub const SHA1: Oid = Oid::new_unwrap("1.3.14.3.2.26");
/// SHA-256 (CertID hash).
pub const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");

/// JPKI otherName: the holder's name.
pub const JPKI_NAME: Oid = Oid::new_unwrap("1.2.392.200149.8.5.5.1");
/// JPKI otherName: substitute-character flags of the name.
pub const JPKI_NAME_FLAGS: Oid = Oid::new_unwrap("1.2.392.200149.8.5.5.2");
/// JPKI otherName: sex.
pub const JPKI_GENDER: Oid = Oid::new_unwrap("1.2.392.200149.8.5.5.3");
/// JPKI otherName: date of birth with era digit.
pub const JPKI_BIRTH_DATE: Oid = Oid::new_unwrap("1.2.392.200149.8.5.5.4");
/// JPKI otherName: address.
pub const JPKI_ADDRESS: Oid = Oid::new_unwrap("1.2.392.200149.8.5.5.5");
/// JPKI otherName: substitute-character flags of the address.
pub const JPKI_ADDRESS_FLAGS: Oid = Oid::new_unwrap("1.2.392.200149.8.5.5.6");
