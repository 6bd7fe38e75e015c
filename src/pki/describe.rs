//! A certificate decoded for a person to read (the dashboard's card page): its names,
//! validity, serial, JPKI subjectAltName entries, policies, CRL distribution points and
//! OCSP URLs, from the DER alone.

use der::{Decode, Encode, Tagged};
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AuthorityInfoAccessSyntax, CertificatePolicies, CrlDistributionPoints, SubjectAltName,
};
use x509_cert::Certificate;

use super::oids;
use crate::error::{Error, Result};

/// What a certificate says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateDescription {
    /// Subject, RFC 4514.
    pub subject: String,
    /// Issuer, RFC 4514.
    pub issuer: String,
    /// Serial, hex (upper case, no prefix).
    pub serial_hex: String,
    /// Serial, decimal (when it fits 128 bits).
    pub serial_decimal: Option<u128>,
    /// notBefore.
    pub not_before: time::OffsetDateTime,
    /// notAfter.
    pub not_after: time::OffsetDateTime,
    /// subjectAltName entries: (what it is, its value).
    pub alt_names: Vec<(String, String)>,
    /// certificatePolicies: (policy OID, CPS URIs).
    pub policies: Vec<(String, Vec<String>)>,
    /// cRLDistributionPoints: each name, a directoryName (RFC 4514) or a URI.
    pub crl_distribution_points: Vec<String>,
    /// authorityInfoAccess: (method, URI).
    pub authority_info_access: Vec<(String, String)>,
}

/// The label of a JPKI otherName.
fn other_name_label(oid: &der::asn1::ObjectIdentifier) -> String {
    let known = [
        (oids::JPKI_NAME, "name"),
        (oids::JPKI_BIRTH_DATE, "date of birth"),
        (oids::JPKI_GENDER, "sex"),
        (oids::JPKI_ADDRESS, "address"),
        (oids::JPKI_NAME_FLAGS, "name substitute-character flags"),
        (
            oids::JPKI_ADDRESS_FLAGS,
            "address substitute-character flags",
        ),
    ];
    known
        .iter()
        .find(|(known, _)| known == oid)
        .map(|(_, label)| format!("{label} ({oid})"))
        .unwrap_or_else(|| format!("otherName {oid}"))
}

/// A string inside an otherName's `[0]` value: UTF8String, PrintableString or
/// IA5String; else its DER in hex.
fn other_name_value(value: &der::Any) -> String {
    let text = match value.tag() {
        der::Tag::Utf8String => value.decode_as::<String>().ok(),
        der::Tag::PrintableString => value
            .decode_as::<der::asn1::PrintableStringRef<'_>>()
            .ok()
            .map(|s| s.to_string()),
        der::Tag::Ia5String => value
            .decode_as::<der::asn1::Ia5StringRef<'_>>()
            .ok()
            .map(|s| s.to_string()),
        _ => None,
    };
    text.unwrap_or_else(|| value.to_der().map(hex::encode).unwrap_or_default())
}

/// The sex code and the birth date spelled out beside their raw form.
fn readable_other_name(oid: &der::asn1::ObjectIdentifier, value: &str) -> Option<String> {
    if *oid == oids::JPKI_GENDER {
        let sex = crate::rules::Gender::ALL
            .into_iter()
            .find(|g| value.starts_with(g.code()))?;
        return Some(format!("{value} ({})", sex.as_str()));
    }
    if *oid == oids::JPKI_BIRTH_DATE && value.len() == 9 && value.is_ascii() {
        let (era, date) = value.split_at(1);
        return Some(format!(
            "{value} (era digit {era}, {}-{}-{})",
            &date[..4],
            &date[4..6],
            &date[6..]
        ));
    }
    None
}

fn general_name(name: &GeneralName) -> (String, String) {
    match name {
        GeneralName::OtherName(other) => {
            let value = other_name_value(&other.value);
            let readable = readable_other_name(&other.type_id, &value);
            (other_name_label(&other.type_id), readable.unwrap_or(value))
        }
        GeneralName::UniformResourceIdentifier(uri) => ("URI".into(), uri.to_string()),
        GeneralName::DirectoryName(dn) => ("directoryName".into(), dn.to_string()),
        GeneralName::DnsName(dns) => ("DNS".into(), dns.to_string()),
        GeneralName::Rfc822Name(mail) => ("email".into(), mail.to_string()),
        other => ("other".into(), format!("{other:?}")),
    }
}

fn decode<'a, T: Decode<'a>>(what: &str, bytes: &'a [u8]) -> Result<T> {
    T::from_der(bytes).map_err(|e| Error::Internal(format!("cannot decode {what}: {e}")))
}

/// Decodes a certificate, DER.
pub fn describe_certificate(der: &[u8]) -> Result<CertificateDescription> {
    let certificate: Certificate = decode("the certificate", der)?;
    let tbs = &certificate.tbs_certificate;
    let serial = tbs.serial_number.as_bytes();
    let serial_decimal =
        (serial.len() <= 16).then(|| serial.iter().fold(0u128, |n, b| n << 8 | u128::from(*b)));
    let time = |t: &x509_cert::time::Time| {
        time::OffsetDateTime::from_unix_timestamp(t.to_unix_duration().as_secs() as i64)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
    };
    let mut description = CertificateDescription {
        subject: tbs.subject.to_string(),
        issuer: tbs.issuer.to_string(),
        serial_hex: hex::encode_upper(
            serial
                .iter()
                .skip_while(|b| **b == 0)
                .copied()
                .collect::<Vec<_>>(),
        ),
        serial_decimal,
        not_before: time(&tbs.validity.not_before),
        not_after: time(&tbs.validity.not_after),
        alt_names: Vec::new(),
        policies: Vec::new(),
        crl_distribution_points: Vec::new(),
        authority_info_access: Vec::new(),
    };
    for extension in tbs.extensions.iter().flatten() {
        let value = extension.extn_value.as_bytes();
        match extension.extn_id {
            id if id == oids::SUBJECT_ALT_NAME => {
                let names: SubjectAltName = decode("subjectAltName", value)?;
                description.alt_names = names.0.iter().map(general_name).collect();
            }
            id if id == oids::CERTIFICATE_POLICIES => {
                let policies: CertificatePolicies = decode("certificatePolicies", value)?;
                description.policies = policies
                    .0
                    .iter()
                    .map(|policy| {
                        let cps = policy
                            .policy_qualifiers
                            .iter()
                            .flatten()
                            .filter(|q| q.policy_qualifier_id == oids::QT_CPS)
                            .filter_map(|q| q.qualifier.as_ref())
                            .map(other_name_value)
                            .collect();
                        (policy.policy_identifier.to_string(), cps)
                    })
                    .collect();
            }
            id if id == oids::CRL_DISTRIBUTION_POINTS => {
                let points: CrlDistributionPoints = decode("cRLDistributionPoints", value)?;
                for point in &points.0 {
                    if let Some(DistributionPointName::FullName(names)) = &point.distribution_point
                    {
                        description
                            .crl_distribution_points
                            .extend(names.iter().map(|n| general_name(n).1));
                    }
                }
            }
            id if id == oids::AUTHORITY_INFO_ACCESS => {
                let access: AuthorityInfoAccessSyntax = decode("authorityInfoAccess", value)?;
                description.authority_info_access = access
                    .0
                    .iter()
                    .map(|a| {
                        let method = if a.access_method == oids::AD_OCSP {
                            "OCSP".to_string()
                        } else {
                            a.access_method.to_string()
                        };
                        (method, general_name(&a.access_location).1)
                    })
                    .collect();
            }
            _ => {}
        }
    }
    Ok(description)
}

/// A CRL's cRLNumber and count of entries, DER.
pub fn crl_summary(der: &[u8]) -> Result<(Option<u64>, usize)> {
    let list: x509_cert::crl::CertificateList = decode("the CRL", der)?;
    let number = list
        .tbs_cert_list
        .crl_extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == oids::CRL_NUMBER)
        .and_then(|e| der::asn1::Uint::from_der(e.extn_value.as_bytes()).ok())
        .map(|n| {
            n.as_bytes()
                .iter()
                .fold(0u64, |v, b| v << 8 | u64::from(*b))
        });
    let entries = list
        .tbs_cert_list
        .revoked_certificates
        .as_ref()
        .map_or(0, Vec::len);
    Ok((number, entries))
}
