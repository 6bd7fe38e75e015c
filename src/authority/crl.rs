//! CRLs: read the revoked entries from the store, encode them as they arrive, sign.

use serde::Serialize;
use time::OffsetDateTime;

use super::Authority;
use crate::error::{Error, Result};
use crate::pki::cert::{self, CertProfile};
use crate::pki::crl::{crl_tbs_der, CrlEntry, CrlParams};
use crate::pki::names;
use crate::rules::{CertKind, CrlReason};

impl Authority {
    /// Builds and signs a CA's current CRL, taking the next cRLNumber. The entries are
    /// read from the store on this thread and encoded on another as they arrive, so a
    /// million-entry CRL costs about as much as reading it.
    pub fn crl(&mut self, kind: CertKind) -> Result<PublishedCrl> {
        self.crl_with_faults(kind, CrlFaults::default())
    }

    /// A CRL spoiled on purpose (fault injection); `CrlFaults::default()` spoils nothing.
    pub fn crl_with_faults(&mut self, kind: CertKind, faults: CrlFaults) -> Result<PublishedCrl> {
        const CHUNK: usize = 8192;
        let now = self.now();
        let profile = self.profile()?;
        let mut names = Vec::new();
        if faults.wrong_idp {
            names.push(cert::crl_url_name(
                &CertProfile {
                    base_url: "http://crl.invalid".into(),
                    ..profile.clone()
                },
                kind,
            )?);
        } else {
            // Every point a certificate names, then the URL: one CRL for the whole CA
            // covers them all (a certificate without the URL matches by its name).
            for locality in self.store.localities(kind)? {
                names.push(cert::crl_directory_name(&profile, kind, &locality)?);
            }
            names.push(cert::crl_url_name(&profile, kind)?);
        }
        let number = self.store.next_crl_number(kind)?;
        let (this_update, next_update) = self.list_times(faults.expired);
        let missing_reason = faults.missing_reason;
        let ca = &self.ca(kind).ca;
        let store = self.store.as_ref();
        let tbs = std::thread::scope(|scope| -> Result<Vec<u8>> {
            let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<CrlEntry>>(8);
            let encoder = scope.spawn(move || {
                crl_tbs_der(
                    ca.certificate(),
                    ca.signature_algorithm(),
                    CrlParams {
                        this_update,
                        next_update,
                        number,
                        entries: &mut receiver.into_iter().flatten(),
                        distribution_point_names: names,
                        only_ca_certificates: false,
                    },
                )
            });
            let mut chunk = Vec::with_capacity(CHUNK);
            let read = store.for_each_revoked(kind, now, &mut |e| {
                chunk.push(CrlEntry {
                    serial: e.serial,
                    revoked_at: e.at,
                    reason: if missing_reason {
                        CrlReason::Unspecified
                    } else {
                        e.reason
                    },
                });
                if chunk.len() == CHUNK {
                    // A send fails only if the encoder stopped, and then its error wins.
                    let _ = sender.send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)));
                }
            });
            let _ = sender.send(chunk);
            drop(sender);
            let encoded = encoder
                .join()
                .map_err(|_| Error::Internal("the CRL encoder panicked".into()))?;
            read?;
            encoded
        })?;
        let mut der = ca.sign_tbs_der(&tbs)?;
        if faults.bad_signature {
            // The signature BIT STRING ends the CRL.
            if let Some(last) = der.last_mut() {
                *last ^= 0x01;
            }
        }
        Ok(PublishedCrl {
            der,
            number,
            this_update,
            next_update,
        })
    }

    /// thisUpdate (now, backdated by `crl.backdate`) and nextUpdate (`crl.next_update`
    /// later) of a CRL or ARL; `expired` puts both in the past (fault injection).
    fn list_times(&self, expired: bool) -> (OffsetDateTime, OffsetDateTime) {
        let interval = self.config.crl.next_update;
        let this_update = if expired {
            self.now() - interval * 2
        } else {
            self.now() - self.config.crl.backdate
        };
        (this_update, this_update + interval)
    }

    /// Every CRL distribution point that at least one certificate names, with the URL
    /// of the CRL that covers it: for relying parties that resolve a distribution
    /// point's name to a CRL (certificates without the URL, `profile.crl_dp_uri =
    /// false`). In the one-CRL-per-CA layout every point of a CA maps to its CRL.
    pub fn crl_index(&self) -> Result<Vec<CrlIndexEntry>> {
        let profile = self.profile()?;
        let mut index = Vec::new();
        for kind in CertKind::ALL {
            for locality in self.store.localities(kind)? {
                let name = names::crl_distribution_point_name(kind, &profile.org, &locality)?;
                index.push(CrlIndexEntry {
                    ca: kind,
                    generation: 1,
                    distribution_point: name.to_string(),
                    url: profile.crl_url(kind),
                });
            }
        }
        Ok(index)
    }

    /// The CA's ARL: the list of its revoked CA certificates (none: a CA revocation is a
    /// drill still to come), named by the CA certificate's own CRL distribution point,
    /// with the same timing as the CRL and a cRLNumber from the same sequence.
    pub fn arl(&mut self, kind: CertKind) -> Result<PublishedCrl> {
        let (this_update, next_update) = self.list_times(false);
        let names = cert::arl_distribution_point_names(&self.profile()?, kind)?;
        let number = self.store.next_crl_number(kind)?;
        let ca = &self.ca(kind).ca;
        let tbs = crl_tbs_der(
            ca.certificate(),
            ca.signature_algorithm(),
            CrlParams {
                this_update,
                next_update,
                number,
                entries: &mut std::iter::empty(),
                distribution_point_names: names,
                only_ca_certificates: true,
            },
        )?;
        Ok(PublishedCrl {
            der: ca.sign_tbs_der(&tbs)?,
            number,
            this_update,
            next_update,
        })
    }
}

/// How a CRL is spoiled on purpose (fault injection).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CrlFaults {
    /// thisUpdate and nextUpdate in the past.
    pub expired: bool,
    /// The signature does not verify.
    pub bad_signature: bool,
    /// An issuingDistributionPoint naming no certificate's distribution point.
    pub wrong_idp: bool,
    /// Entries without reasonCode.
    pub missing_reason: bool,
}

/// One distribution point and the CRL that covers it (`GET /crl/index.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CrlIndexEntry {
    /// The CA: sign | auth.
    pub ca: CertKind,
    /// The CA generation (1 until CA rollover exists).
    pub generation: u32,
    /// The point's directoryName as an RFC 4514 string.
    pub distribution_point: String,
    /// The CRL's URL, absolute.
    pub url: String,
}

/// A signed CRL with the facts its publisher needs for cache headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishedCrl {
    /// The CRL, DER.
    pub der: Vec<u8>,
    /// Its cRLNumber.
    pub number: u64,
    /// Its thisUpdate.
    pub this_update: OffsetDateTime,
    /// Its nextUpdate.
    pub next_update: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use time::Duration;
    use x509_parser::prelude::{FromDer, X509Certificate};
    use x509_parser::revocation_list::CertificateRevocationList;

    use super::super::tests::{at, authority_at, cause, crl_serials, holder, issue};
    use super::super::Authority;
    use super::CrlFaults;
    use crate::rules::{Cause, CertKind};

    const NOW: &str = "2021-03-15T10:00:00+09:00";

    /// Whether a CRL's signature verifies with its CA's (P-256, see the fixture) key.
    fn verifies(a: &Authority, kind: CertKind, der: &[u8]) -> bool {
        use aws_lc_rs::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_ASN1};
        let (_, ca) = X509Certificate::from_der(a.ca(kind).ca.certificate_der()).unwrap();
        let (_, crl) = CertificateRevocationList::from_der(der).unwrap();
        UnparsedPublicKey::new(
            &ECDSA_P256_SHA256_ASN1,
            &ca.public_key().subject_public_key.data,
        )
        .verify(crl.tbs_cert_list.as_ref(), &crl.signature_value.data)
        .is_ok()
    }

    #[test]
    fn each_crl_takes_the_next_number_of_its_own_ca() {
        let mut a = authority_at(NOW);
        let numbers: Vec<u64> = (0..3)
            .map(|_| a.crl(CertKind::Sign).unwrap().number)
            .collect();
        assert_eq!(numbers, [1, 2, 3]);
        let auth = a.crl(CertKind::Auth).unwrap();
        assert_eq!(auth.number, 1);
        let (_, parsed) = CertificateRevocationList::from_der(&auth.der).unwrap();
        assert_eq!(parsed.crl_number().unwrap().to_string(), "1");
    }

    #[test]
    fn this_update_is_backdated_300_s_and_next_update_a_day_later() {
        let mut a = authority_at(NOW);
        let crl = a.crl(CertKind::Sign).unwrap();
        // NOW is 2021-03-15T01:00:00Z.
        assert_eq!(crl.this_update, at("2021-03-15T00:55:00Z"));
        assert_eq!(crl.next_update, at("2021-03-16T00:55:00Z"));
        let (_, parsed) = CertificateRevocationList::from_der(&crl.der).unwrap();
        assert_eq!(
            parsed.last_update().timestamp(),
            crl.this_update.unix_timestamp()
        );
        let next = parsed.next_update().unwrap().timestamp();
        assert_eq!(next, crl.next_update.unix_timestamp());
        assert!(crl_serials(&crl.der).is_empty());
        assert!(verifies(&a, CertKind::Sign, &crl.der));
    }

    #[test]
    fn the_entries_are_exactly_the_revoked_serials_with_their_reasons() {
        let mut a = authority_at(NOW);
        let one = issue(&mut a, &holder("山田 太郎")).unwrap();
        let two = issue(&mut a, &holder("佐藤 花子")).unwrap();
        issue(&mut a, &holder("鈴木 一郎")).unwrap();
        a.revoke(one.card_id, &cause(Cause::AddressChange)).unwrap();
        a.revoke(two.card_id, &cause(Cause::Lost)).unwrap();
        let serial = |c: &Option<super::super::IssuedCertificate>| c.as_ref().unwrap().serial;
        // affiliationChanged (3) and certificateHold (6), in serial order.
        assert_eq!(
            crl_serials(&a.crl(CertKind::Sign).unwrap().der),
            [(serial(&one.sign), 3), (serial(&two.sign), 6)]
        );
        let auth = a.crl(CertKind::Auth).unwrap().der;
        assert_eq!(crl_serials(&auth), [(serial(&two.auth), 6)]);
        let faults = CrlFaults {
            missing_reason: true,
            ..CrlFaults::default()
        };
        let auth = a.crl_with_faults(CertKind::Auth, faults).unwrap().der;
        assert_eq!(crl_serials(&auth), [(serial(&two.auth), 0)]);
    }

    #[test]
    fn an_expired_crl_ended_before_now_and_a_bad_signature_does_not_verify() {
        let mut a = authority_at(NOW);
        let expired = CrlFaults {
            expired: true,
            ..CrlFaults::default()
        };
        let crl = a.crl_with_faults(CertKind::Sign, expired).unwrap();
        assert_eq!(crl.this_update, at(NOW) - Duration::days(2));
        assert_eq!(crl.next_update, at(NOW) - Duration::days(1));
        assert!(verifies(&a, CertKind::Sign, &crl.der));

        let bad = CrlFaults {
            bad_signature: true,
            ..CrlFaults::default()
        };
        let crl = a.crl_with_faults(CertKind::Auth, bad).unwrap();
        assert!(!verifies(&a, CertKind::Auth, &crl.der));
        let good = a.crl(CertKind::Auth).unwrap();
        assert!(verifies(&a, CertKind::Auth, &good.der));
        // Not a sign CRL either: each CA signs its own.
        assert!(!verifies(&a, CertKind::Sign, &good.der));
    }
}
