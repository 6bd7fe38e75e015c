//! Distinguished names of the JPKI profile, with the real certificates' string types:
//! `C` is PrintableString, every other attribute UTF8String.

use const_oid::db::rfc4519::{C, CN, L, O, OU};
use der::asn1::{Any, ObjectIdentifier, SetOfVec};
use der::Tag;
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};

use crate::error::Result;
use crate::rules::locality::Locality;
use crate::rules::CertKind;

/// Builds a name with one attribute per RDN, in the given order.
pub fn name(attributes: &[(ObjectIdentifier, &str)]) -> Result<Name> {
    let mut rdns = Vec::with_capacity(attributes.len());
    for (oid, text) in attributes {
        let tag = if *oid == C {
            Tag::PrintableString
        } else {
            Tag::Utf8String
        };
        let value = Any::new(tag, text.as_bytes())?;
        let mut set = SetOfVec::new();
        set.insert(AttributeTypeAndValue { oid: *oid, value })?;
        rdns.push(RelativeDistinguishedName(set));
    }
    Ok(RdnSequence(rdns))
}

/// The English OU naming a CA's purpose.
pub fn purpose_ou(kind: CertKind) -> &'static str {
    match kind {
        CertKind::Sign => "JPKI for digital signature",
        CertKind::Auth => "JPKI for user authentication",
    }
}

const ISSUING_BODY_OU: &str = "Japan Agency for Local Authority Information Systems";

/// The CA's DN: `C=JP, O=<org>, OU=<purpose>, OU=Japan Agency for Local Authority
/// Information Systems`.
pub fn ca_name(kind: CertKind, org: &str) -> Result<Name> {
    name(&[
        (C, "JP"),
        (O, org),
        (OU, purpose_ou(kind)),
        (OU, ISSUING_BODY_OU),
    ])
}

/// The CA's Japanese name, carried as a directoryName in the CA's subjectAltName and in
/// every leaf's issuerAltName.
pub fn ca_japanese_name(kind: CertKind) -> Result<Name> {
    let purpose = match kind {
        CertKind::Sign => "公的個人認証サービス署名用",
        CertKind::Auth => "公的個人認証サービス利用者証明用",
    };
    name(&[
        (C, "JP"),
        (O, "公的個人認証サービス"),
        (OU, purpose),
        (OU, "地方公共団体情報システム機構"),
    ])
}

/// The directoryName of the CRL distribution point for a municipality:
/// `C=JP, O=<org>, OU=<purpose>, OU=CRL Distribution Points, OU=<prefecture>,
/// CN=<municipality> CRLDP`.
pub fn crl_distribution_point_name(kind: CertKind, org: &str, locality: &Locality) -> Result<Name> {
    let cn = format!("{} CRLDP", locality.municipality);
    name(&[
        (C, "JP"),
        (O, org),
        (OU, purpose_ou(kind)),
        (OU, "CRL Distribution Points"),
        (OU, &locality.prefecture),
        (CN, &cn),
    ])
}

/// The delegated OCSP responder's DN (mock).
pub fn responder_name(kind: CertKind, org: &str) -> Result<Name> {
    name(&[
        (C, "JP"),
        (O, org),
        (OU, purpose_ou(kind)),
        (CN, "OCSP Responder"),
    ])
}

/// The signing certificate's subject: `C=JP, L=<prefecture>, L=<municipality>, CN=<id>`.
pub fn sign_subject(locality: &Locality, common_name: &str) -> Result<Name> {
    name(&[
        (C, "JP"),
        (L, &locality.prefecture),
        (L, &locality.municipality),
        (CN, common_name),
    ])
}

/// The auth certificate's subject: `C=JP, CN=<id>`.
pub fn auth_subject(common_name: &str) -> Result<Name> {
    name(&[(C, "JP"), (CN, common_name)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Encode;

    #[test]
    fn country_is_printable_and_the_rest_utf8() {
        let der = ca_name(CertKind::Sign, "JPKI-MOCK")
            .unwrap()
            .to_der()
            .unwrap();
        // PrintableString "JP" and UTF8String "JPKI-MOCK".
        assert!(der.windows(4).any(|w| w == [0x13, 0x02, b'J', b'P']));
        assert!(der.windows(11).any(|w| w == b"\x0c\x09JPKI-MOCK"));
        assert!(!der.windows(4).any(|w| w == [0x0c, 0x02, b'J', b'P']));
    }

    #[test]
    fn display_order_is_kept() {
        let locality = Locality {
            prefecture: "Tokyo-to".into(),
            municipality: "Shinagawa-ku".into(),
        };
        let text = sign_subject(&locality, "X").unwrap().to_string();
        // RFC 4514 prints the last RDN first.
        assert_eq!(text, "CN=X,L=Shinagawa-ku,L=Tokyo-to,C=JP");
    }
}
