//! The certificates of the JPKI profile (`profile.md`): the two self-signed CAs, their
//! delegated OCSP responders, and the signing and auth leaves, with the real
//! certificates' extension order and string types. Builds `TBSCertificate`s; the
//! `Issuer` signs them.

use der::asn1::{Any, BitString, Ia5String, Null, OctetString, Utf8StringRef};
use der::{Decode, Encode};
use sha1::{Digest, Sha1};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use time::OffsetDateTime;
use x509_cert::certificate::{TbsCertificate, Version};
use x509_cert::ext::pkix::certpolicy::{PolicyInformation, PolicyQualifierInfo};
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName, OtherName};
use x509_cert::ext::pkix::{
    AccessDescription, AuthorityKeyIdentifier, BasicConstraints, KeyUsage, KeyUsages,
};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Validity;
use x509_cert::Certificate;

use super::names;
use super::oids;
use super::time::x509_time;
use crate::error::{Error, Result};
use crate::rules::locality::Locality;
use crate::rules::{CertKind, CrlLayout, Serial};

/// The profile settings that shape certificates (from config and the recorded base URL).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertProfile {
    /// `O=` of the CA DNs.
    pub org: String,
    /// Policy OID of signing certificates.
    pub sign_policy: der::asn1::ObjectIdentifier,
    /// Policy OID of auth certificates.
    pub auth_policy: der::asn1::ObjectIdentifier,
    /// CPS URI qualifier of both policies.
    pub cps_uri: String,
    /// Whether signing certificates carry an AIA OCSP URL (mock; real ones have none).
    pub sign_ocsp_url: bool,
    /// Whether end-entity CRL distribution points carry the CRL URL after the
    /// directoryName (mock; real ones have the directoryName alone).
    pub crl_dp_uri: bool,
    /// One CRL per CA generation, or one per distribution point (the URL differs).
    pub crl_layout: CrlLayout,
    /// Base URL of the HTTP endpoints, without a trailing slash.
    pub base_url: String,
}

impl CertProfile {
    /// A CA generation's CRL: `<base-url>/crl/<kind>.crl` for generation 1 (as before
    /// generations existed), `/crl/<kind>/<N>.crl` after; with a partition,
    /// `/crl/<kind>/<N>/<Pref>/<Muni>.crl`.
    pub fn crl_url(&self, kind: CertKind, generation: u32, partition: Option<&Locality>) -> String {
        let base = &self.base_url;
        let kind = kind.as_str();
        match (generation, partition) {
            (1, None) => format!("{base}/crl/{kind}.crl"),
            (n, None) => format!("{base}/crl/{kind}/{n}.crl"),
            (n, Some(l)) => format!(
                "{base}/crl/{kind}/{n}/{}/{}.crl",
                path_segment(&l.prefecture),
                path_segment(&l.municipality)
            ),
        }
    }

    /// The URL of the CRL a certificate's distribution point names, in this layout.
    pub fn point_crl_url(&self, kind: CertKind, point: &CrlPoint<'_>) -> String {
        let partition = (self.crl_layout == CrlLayout::Municipality).then_some(point.locality);
        self.crl_url(kind, point.generation, partition)
    }

    /// `<base-url>/arl/<kind>/<N>.crl`: the ARL a CA generation's certificate names.
    pub fn arl_url(&self, kind: CertKind, generation: u32) -> String {
        format!("{}/arl/{}/{generation}.crl", self.base_url, kind.as_str())
    }

    /// `<base-url>/ocsp/<kind>`.
    pub fn ocsp_url(&self, kind: CertKind) -> String {
        format!("{}/ocsp/{}", self.base_url, kind.as_str())
    }

    fn policy(&self, kind: CertKind) -> der::asn1::ObjectIdentifier {
        match kind {
            CertKind::Sign => self.sign_policy,
            CertKind::Auth => self.auth_policy,
        }
    }
}

/// A serial as an X.509 serial number.
pub fn serial_number(serial: Serial) -> Result<SerialNumber> {
    Ok(SerialNumber::new(&serial.0.to_be_bytes())?)
}

/// An X.509 serial number as our serial, if it fits 4 bytes.
pub fn serial_of(serial: &SerialNumber) -> Option<Serial> {
    let bytes = match serial.as_bytes() {
        [0, rest @ ..] => rest,
        all => all,
    };
    if bytes.len() > 4 {
        return None;
    }
    Some(Serial(
        bytes.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)),
    ))
}

/// Wraps an encodable extension value.
pub fn extension(
    oid: der::asn1::ObjectIdentifier,
    critical: bool,
    value: &impl Encode,
) -> Result<Extension> {
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value.to_der()?)?,
    })
}

/// The key identifier of a public key: SHA-1 of the subjectPublicKey BIT STRING's
/// contents (RFC 5280 §4.2.1.2, method 1). The OCSP issuerKeyHash is the same hash.
pub fn key_identifier(spki: &SubjectPublicKeyInfoOwned) -> Vec<u8> {
    Sha1::digest(spki.subject_public_key.raw_bytes()).to_vec()
}

fn spki_from_der(spki_der: &[u8]) -> Result<SubjectPublicKeyInfoOwned> {
    Ok(SubjectPublicKeyInfoOwned::from_der(spki_der)?)
}

fn key_usage(usages: impl Into<der::flagset::FlagSet<KeyUsages>>) -> Result<Extension> {
    extension(oids::KEY_USAGE, true, &KeyUsage(usages.into()))
}

fn subject_key_identifier(spki: &SubjectPublicKeyInfoOwned) -> Result<Extension> {
    extension(
        oids::SUBJECT_KEY_IDENTIFIER,
        false,
        &OctetString::new(key_identifier(spki))?,
    )
}

/// authorityKeyIdentifier with keyIdentifier, authorityCertIssuer and
/// authorityCertSerialNumber, as JPKI leaves carry it.
fn authority_key_identifier(ca: &Certificate) -> Result<Extension> {
    let tbs = &ca.tbs_certificate;
    let aki = AuthorityKeyIdentifier {
        key_identifier: Some(OctetString::new(key_identifier(
            &tbs.subject_public_key_info,
        ))?),
        authority_cert_issuer: Some(vec![GeneralName::DirectoryName(tbs.issuer.clone())]),
        authority_cert_serial_number: Some(tbs.serial_number.clone()),
    };
    extension(oids::AUTHORITY_KEY_IDENTIFIER, false, &aki)
}

fn certificate_policies(policy: der::asn1::ObjectIdentifier, cps_uri: &str) -> Result<Extension> {
    let cps = Ia5String::new(cps_uri)
        .map_err(|_| Error::BadInput(format!("CPS URI {cps_uri:?} is not ASCII")))?;
    let policies = vec![PolicyInformation {
        policy_identifier: policy,
        policy_qualifiers: Some(vec![PolicyQualifierInfo {
            policy_qualifier_id: oids::QT_CPS,
            qualifier: Some(Any::encode_from(&cps)?),
        }]),
    }];
    extension(oids::CERTIFICATE_POLICIES, true, &policies)
}

fn uri(text: &str) -> Result<GeneralName> {
    Ok(GeneralName::UniformResourceIdentifier(
        Ia5String::new(text).map_err(|_| Error::BadInput(format!("URL {text:?} is not ASCII")))?,
    ))
}

/// A URL path segment: romaji names are letters and hyphens, an override may be more.
fn path_segment(text: &str) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_');
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// The distribution point a certificate names: its CA generation and municipality.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CrlPoint<'a> {
    /// The generation of the CA that issues it.
    pub generation: u32,
    /// The municipality.
    pub locality: &'a Locality,
}

/// The names of a certificate's CRL distribution point: the municipality's
/// directoryName, then (mock, unless `crl_dp_uri` is off) the CRL URL. A partition's
/// issuingDistributionPoint is built from these same values so that they match byte
/// for byte.
pub fn crl_distribution_point_names(
    profile: &CertProfile,
    kind: CertKind,
    point: &CrlPoint<'_>,
) -> Result<Vec<GeneralName>> {
    let mut names = vec![crl_directory_name(profile, kind, point.locality)?];
    if profile.crl_dp_uri {
        names.push(uri(&profile.point_crl_url(kind, point))?);
    }
    Ok(names)
}

/// The names of a CA certificate's CRL distribution point, which leads to its ARL: the
/// CA's own DN as a directoryName (as on the real CAs), then (mock) the ARL's URL. The
/// ARL's issuingDistributionPoint is built from these same values.
pub fn arl_distribution_point_names(
    profile: &CertProfile,
    kind: CertKind,
    generation: u32,
) -> Result<Vec<GeneralName>> {
    Ok(vec![
        GeneralName::DirectoryName(names::ca_name(kind, &profile.org)?),
        uri(&profile.arl_url(kind, generation))?,
    ])
}

fn distribution_points(names: Vec<GeneralName>) -> Result<Extension> {
    let points = vec![DistributionPoint {
        distribution_point: Some(DistributionPointName::FullName(names)),
        reasons: None,
        crl_issuer: None,
    }];
    extension(oids::CRL_DISTRIBUTION_POINTS, false, &points)
}

/// The names of a certificate's (first) CRL distribution point, as it carries them: an
/// ARL's issuingDistributionPoint copies its CA certificate's, so that they match byte
/// for byte whatever base URL the state records now. `None` without the extension.
pub fn distribution_point_names_of(certificate: &Certificate) -> Result<Option<Vec<GeneralName>>> {
    let Some(extension) = certificate
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == oids::CRL_DISTRIBUTION_POINTS)
    else {
        return Ok(None);
    };
    let points = Vec::<DistributionPoint>::from_der(extension.extn_value.as_bytes())?;
    Ok(points
        .into_iter()
        .find_map(|point| match point.distribution_point {
            Some(DistributionPointName::FullName(names)) => Some(names),
            _ => None,
        }))
}

/// A municipality's CRL distribution point as a directoryName.
pub fn crl_directory_name(
    profile: &CertProfile,
    kind: CertKind,
    locality: &Locality,
) -> Result<GeneralName> {
    Ok(GeneralName::DirectoryName(
        names::crl_distribution_point_name(kind, &profile.org, locality)?,
    ))
}

/// A CRL URL as a GeneralName.
pub fn url_name(url: &str) -> Result<GeneralName> {
    uri(url)
}

fn serial_digest(label: &str, serial: Serial) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::new()
        .chain_update(label.as_bytes())
        .chain_update(serial.0.to_be_bytes())
        .finalize()
        .into()
}

/// The signing certificate's CN (28 characters): the issue instant in JST as
/// `YYYYMMDDhhmmss`, 13 digits and an upper-case letter, derived from the serial.
pub fn sign_common_name(issued_at: OffsetDateTime, serial: Serial) -> String {
    let jst = issued_at.to_offset(crate::rules::jst::JST);
    let digest = serial_digest("jpki-mock sign CN", serial);
    let number = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes")) % 10_000_000_000_000;
    let letter = char::from(b'A' + digest[8] % 26);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}{number:013}{letter}",
        jst.year(),
        u8::from(jst.month()),
        jst.day(),
        jst.hour(),
        jst.minute(),
        jst.second()
    )
}

/// The auth certificate's CN: 23 characters of 0-9 and A-Z, derived from the serial.
pub fn auth_common_name(serial: Serial) -> String {
    const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    serial_digest("jpki-mock auth CN", serial)[..23]
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % 36]))
        .collect()
}

fn crl_distribution_points(
    profile: &CertProfile,
    kind: CertKind,
    point: &CrlPoint<'_>,
) -> Result<Extension> {
    distribution_points(crl_distribution_point_names(profile, kind, point)?)
}

fn authority_info_access(ocsp_url: &str) -> Result<Extension> {
    let access = vec![AccessDescription {
        access_method: oids::AD_OCSP,
        access_location: uri(ocsp_url)?,
    }];
    extension(oids::AUTHORITY_INFO_ACCESS, false, &access)
}

fn japanese_ca_name(oid: der::asn1::ObjectIdentifier, kind: CertKind) -> Result<Extension> {
    let names = vec![GeneralName::DirectoryName(names::ca_japanese_name(kind)?)];
    extension(oid, false, &names)
}

fn tbs(
    serial: Serial,
    signature: AlgorithmIdentifierOwned,
    issuer: Name,
    validity: (OffsetDateTime, OffsetDateTime),
    subject: Name,
    spki: SubjectPublicKeyInfoOwned,
    extensions: Vec<Extension>,
) -> Result<TbsCertificate> {
    Ok(TbsCertificate {
        version: Version::V3,
        serial_number: serial_number(serial)?,
        signature,
        issuer,
        validity: Validity {
            not_before: x509_time(validity.0)?,
            not_after: x509_time(validity.1)?,
        },
        subject,
        subject_public_key_info: spki,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions),
    })
}

/// What a CA certificate needs.
#[derive(Clone, Debug)]
pub struct CaParams<'a> {
    /// Which CA.
    pub kind: CertKind,
    /// Which generation of it (names its ARL).
    pub generation: u32,
    /// Its serial.
    pub serial: Serial,
    /// Validity start.
    pub not_before: OffsetDateTime,
    /// Validity end.
    pub not_after: OffsetDateTime,
    /// The CA key's SubjectPublicKeyInfo, DER.
    pub spki_der: &'a [u8],
    /// The key's signature algorithm (self-signed).
    pub signature_algorithm: AlgorithmIdentifierOwned,
}

/// The self-signed CA certificate's TBS: keyUsage, basicConstraints, SKI and the
/// Japanese name as subjectAltName.
pub fn ca_tbs(profile: &CertProfile, params: CaParams<'_>) -> Result<TbsCertificate> {
    let spki = spki_from_der(params.spki_der)?;
    let name = names::ca_name(params.kind, &profile.org)?;
    // The order of the real CAs: KU, SAN, BC, CRLDP (to the ARL), SKI.
    let extensions = vec![
        key_usage(KeyUsages::KeyCertSign | KeyUsages::CRLSign)?,
        japanese_ca_name(oids::SUBJECT_ALT_NAME, params.kind)?,
        extension(
            oids::BASIC_CONSTRAINTS,
            true,
            &BasicConstraints {
                ca: true,
                path_len_constraint: None,
            },
        )?,
        distribution_points(arl_distribution_point_names(
            profile,
            params.kind,
            params.generation,
        )?)?,
        subject_key_identifier(&spki)?,
    ];
    tbs(
        params.serial,
        params.signature_algorithm,
        name.clone(),
        (params.not_before, params.not_after),
        name,
        spki,
        extensions,
    )
}

/// What a leaf or responder certificate needs besides its issuer.
#[derive(Clone, Debug)]
pub struct LeafParams<'a> {
    /// Its serial.
    pub serial: Serial,
    /// Validity start (the issue instant).
    pub not_before: OffsetDateTime,
    /// Validity end.
    pub not_after: OffsetDateTime,
    /// The subject key, SubjectPublicKeyInfo DER.
    pub spki_der: &'a [u8],
}

fn issued_by(
    ca: &Certificate,
    params: &LeafParams<'_>,
    subject: Name,
    extensions: impl FnOnce(&SubjectPublicKeyInfoOwned) -> Result<Vec<Extension>>,
) -> Result<TbsCertificate> {
    let spki = spki_from_der(params.spki_der)?;
    let extensions = extensions(&spki)?;
    tbs(
        params.serial,
        ca.signature_algorithm.clone(),
        ca.tbs_certificate.subject.clone(),
        (params.not_before, params.not_after),
        subject,
        spki,
        extensions,
    )
}

/// The delegated OCSP responder certificate's TBS (mock): keyUsage digitalSignature,
/// EKU OCSPSigning, id-pkix-ocsp-nocheck, AKI, SKI.
pub fn responder_tbs(
    profile: &CertProfile,
    kind: CertKind,
    ca: &Certificate,
    params: LeafParams<'_>,
    ocsp_signing: bool,
) -> Result<TbsCertificate> {
    let subject = names::responder_name(kind, &profile.org)?;
    issued_by(ca, &params, subject, |spki| {
        let mut extensions = vec![key_usage(KeyUsages::DigitalSignature)?];
        // Without the EKU only for fault injection (responder_without_ocsp_signing).
        if ocsp_signing {
            extensions.push(extension(
                oids::EXTENDED_KEY_USAGE,
                false,
                &vec![oids::KP_OCSP_SIGNING],
            )?);
        }
        extensions.push(extension(oids::OCSP_NOCHECK, false, &Null)?);
        extensions.push(authority_key_identifier(ca)?);
        extensions.push(subject_key_identifier(spki)?);
        Ok(extensions)
    })
}

/// The four basic facts of a signing certificate, already in certificate form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HolderFacts {
    /// Surname, U+3000, given name.
    pub name: String,
    /// `EYYYYMMDD` with the era digit.
    pub birth_date: String,
    /// `1`, `2` or `3`.
    pub gender_code: char,
    /// The address, digits full-width.
    pub address: String,
    /// Substitute-character flags of `name`.
    pub name_flags: String,
    /// Substitute-character flags of `address`.
    pub address_flags: String,
}

fn other_name(oid: der::asn1::ObjectIdentifier, value: &str) -> Result<GeneralName> {
    Ok(GeneralName::OtherName(OtherName {
        type_id: oid,
        value: Any::encode_from(&Utf8StringRef::new(value)?)?,
    }))
}

/// The subjectAltName of a signing certificate: six otherNames in the real order.
fn holder_alt_name(facts: &HolderFacts) -> Result<Extension> {
    let names = vec![
        other_name(oids::JPKI_NAME, &facts.name)?,
        other_name(oids::JPKI_BIRTH_DATE, &facts.birth_date)?,
        other_name(oids::JPKI_GENDER, &facts.gender_code.to_string())?,
        other_name(oids::JPKI_ADDRESS, &facts.address)?,
        other_name(oids::JPKI_NAME_FLAGS, &facts.name_flags)?,
        other_name(oids::JPKI_ADDRESS_FLAGS, &facts.address_flags)?,
    ];
    extension(oids::SUBJECT_ALT_NAME, false, &names)
}

/// The signing certificate's TBS, extensions in the real order: keyUsage, SAN,
/// certificatePolicies, issuerAltName, cRLDistributionPoints, (mock) AIA, AKI, SKI.
pub fn sign_tbs(
    profile: &CertProfile,
    ca: &Certificate,
    params: LeafParams<'_>,
    point: &CrlPoint<'_>,
    common_name: &str,
    facts: &HolderFacts,
) -> Result<TbsCertificate> {
    let kind = CertKind::Sign;
    let subject = names::sign_subject(point.locality, common_name)?;
    issued_by(ca, &params, subject, |spki| {
        let mut extensions = vec![
            key_usage(KeyUsages::DigitalSignature | KeyUsages::NonRepudiation)?,
            holder_alt_name(facts)?,
            certificate_policies(profile.policy(kind), &profile.cps_uri)?,
            japanese_ca_name(oids::ISSUER_ALT_NAME, kind)?,
            crl_distribution_points(profile, kind, point)?,
        ];
        if profile.sign_ocsp_url {
            extensions.push(authority_info_access(&profile.ocsp_url(kind))?);
        }
        extensions.push(authority_key_identifier(ca)?);
        extensions.push(subject_key_identifier(spki)?);
        Ok(extensions)
    })
}

/// The auth certificate's TBS: keyUsage, EKU clientAuth, certificatePolicies,
/// issuerAltName, cRLDistributionPoints, AIA, AKI, SKI; no subjectAltName.
pub fn auth_tbs(
    profile: &CertProfile,
    ca: &Certificate,
    params: LeafParams<'_>,
    point: &CrlPoint<'_>,
    common_name: &str,
) -> Result<TbsCertificate> {
    let kind = CertKind::Auth;
    let subject = names::auth_subject(common_name)?;
    issued_by(ca, &params, subject, |spki| {
        Ok(vec![
            key_usage(KeyUsages::DigitalSignature)?,
            extension(oids::EXTENDED_KEY_USAGE, false, &vec![oids::KP_CLIENT_AUTH])?,
            certificate_policies(profile.policy(kind), &profile.cps_uri)?,
            japanese_ca_name(oids::ISSUER_ALT_NAME, kind)?,
            crl_distribution_points(profile, kind, point)?,
            authority_info_access(&profile.ocsp_url(kind))?,
            authority_key_identifier(ca)?,
            subject_key_identifier(spki)?,
        ])
    })
}

/// Wraps a DER-encoded TBS structure and its signature as `SEQUENCE { tbs,
/// algorithm, signature BIT STRING }`, the shape shared by certificates and CRLs. The
/// TBS bytes are copied once, not re-encoded (a CRL's may be tens of megabytes).
pub fn signed_envelope(
    tbs_der: &[u8],
    algorithm: &AlgorithmIdentifierOwned,
    signature: &[u8],
) -> Result<Vec<u8>> {
    let algorithm = algorithm.to_der()?;
    let signature = BitString::from_bytes(signature)?.to_der()?;
    let body_len = tbs_der.len() + algorithm.len() + signature.len();
    let header =
        der::Header::new(der::Tag::Sequence, der::Length::try_from(body_len)?)?.to_der()?;
    let mut out = Vec::with_capacity(header.len() + body_len);
    for part in [&header[..], tbs_der, &algorithm, &signature] {
        out.extend_from_slice(part);
    }
    Ok(out)
}
