//! CRLs and ARLs: read the revoked entries from the store, encode them as they arrive,
//! sign. A CA generation has one CRL, or in the municipality layout one per
//! distribution point, and one ARL. What they show follows the publication schedule
//! (profile.md, "Publication").

use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{rfc3339, Authority};
use crate::error::{Error, Result};
use crate::pki::cert::{self, CertProfile, CrlPoint};
use crate::pki::crl::{crl_tbs_der, CrlEntry, CrlParams};
use crate::pki::names;
use crate::rules::locality::Locality;
use crate::rules::publication::{self, Published, Schedule};
use crate::rules::{CertKind, CrlReason};
use crate::store::RevokedQuery;

/// Setting key: the instant of the last `POST /api/v1/publish`.
const PUBLISHED_NOW_SETTING: &str = "published_now";

/// Which CRL: a CA generation's whole CRL, or one distribution point's partition.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CrlScope {
    /// The CA.
    pub kind: CertKind,
    /// Its generation.
    pub generation: u32,
    /// The municipality whose distribution point the partition covers.
    pub partition: Option<Locality>,
}

impl CrlScope {
    /// The whole CRL of a CA generation.
    pub fn whole(kind: CertKind, generation: u32) -> Self {
        CrlScope {
            kind,
            generation,
            partition: None,
        }
    }

    /// The cRLNumber sequence: one per generation (shared with its ARL), one per
    /// partition.
    fn number_sequence(&self) -> String {
        self.partition
            .as_ref()
            .map(|l| format!("{}/{}", l.prefecture, l.municipality))
            .unwrap_or_default()
    }
}

/// A version of the published state: the state's revision and, with a schedule, the
/// publication instant (a boundary passes without the state changing).
pub type PublishedVersion = (u64, Option<OffsetDateTime>);

/// The data a publication schedule governs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PublishedData {
    /// CRLs (`publication.crl`).
    Crl,
    /// OCSP answers (`publication.ocsp_refresh_minutes`).
    Ocsp,
}

impl Authority {
    /// Builds and signs a CRL, taking the next cRLNumber of its sequence. The entries
    /// are read from the store on this thread and encoded on another as they arrive,
    /// so a million-entry CRL costs about as much as reading it.
    pub fn crl(&mut self, scope: &CrlScope) -> Result<PublishedCrl> {
        self.crl_with_faults(scope, CrlFaults::default())
    }

    /// A CRL spoiled on purpose (fault injection); `CrlFaults::default()` spoils nothing.
    pub fn crl_with_faults(&mut self, scope: &CrlScope, faults: CrlFaults) -> Result<PublishedCrl> {
        const CHUNK: usize = 8192;
        let kind = scope.kind;
        let generation = self.generation(kind, scope.generation)?.number;
        let profile = self.profile()?;
        let names = if faults.wrong_idp {
            let elsewhere = CertProfile {
                base_url: "http://crl.invalid".into(),
                ..profile.clone()
            };
            vec![cert::url_name(&elsewhere.crl_url(kind, generation, None))?]
        } else {
            self.distribution_point_names(&profile, scope)?
        };
        let published = self.published(PublishedData::Crl);
        let (this_update, next_update) = match (published, faults.expired) {
            (Some(published), false) => (published.at, published.at + self.config.crl.next_update),
            _ => self.list_times(faults.expired),
        };
        let query = RevokedQuery {
            kind,
            generation,
            locality: scope.partition.as_ref(),
            unexpired_at: published.map_or(self.now(), |p| p.at),
            recorded_before: published.map(|p| p.cutoff),
        };
        let number = self
            .store
            .next_crl_number(kind, generation, &scope.number_sequence())?;
        let missing_reason = faults.missing_reason;
        let ca = &self.generation(kind, generation)?.ca;
        let store = self.store.as_ref();
        let tbs = std::thread::scope(|thread| -> Result<Vec<u8>> {
            let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<CrlEntry>>(8);
            let encoder = thread.spawn(move || {
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
            let read = store.for_each_revoked(&query, &mut |e| {
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

    /// The issuingDistributionPoint names of a CRL. A partition names exactly its
    /// point, as its certificates do. A whole CRL names every point of the generation,
    /// then its URL: it covers them all (a certificate without the URL matches by its
    /// name).
    fn distribution_point_names(
        &self,
        profile: &CertProfile,
        scope: &CrlScope,
    ) -> Result<Vec<x509_cert::ext::pkix::name::GeneralName>> {
        let (kind, generation) = (scope.kind, scope.generation);
        if let Some(locality) = &scope.partition {
            if !self.store.names_locality(kind, generation, locality)? {
                return Err(Error::NotFound(format!(
                    "no {kind} certificate of generation {generation} names the distribution \
                     point of {}/{}: GET /crl/index.json lists those that exist",
                    locality.prefecture, locality.municipality
                )));
            }
            let point = CrlPoint {
                generation,
                locality,
            };
            return cert::crl_distribution_point_names(profile, kind, &point);
        }
        let localities = self.store.localities(kind, generation)?;
        let mut names = Vec::with_capacity(localities.len() + 1);
        for locality in &localities {
            names.push(cert::crl_directory_name(profile, kind, locality)?);
        }
        names.push(cert::url_name(&profile.crl_url(kind, generation, None))?);
        Ok(names)
    }

    /// thisUpdate (now, backdated by `crl.backdate`) and nextUpdate (`crl.next_update`
    /// later) of a CRL or ARL published immediately; `expired` puts both in the past
    /// (fault injection).
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
    /// false`). In the single layout every point of a generation maps to its CRL; in
    /// the municipality layout each to its own partition.
    pub fn crl_index(&self) -> Result<Vec<CrlIndexEntry>> {
        let profile = self.profile()?;
        let mut index = Vec::new();
        for kind in CertKind::ALL {
            for generation in self.generations(kind).iter().map(|g| g.number) {
                for locality in self.store.localities(kind, generation)? {
                    let name = names::crl_distribution_point_name(kind, &profile.org, &locality)?;
                    let point = CrlPoint {
                        generation,
                        locality: &locality,
                    };
                    index.push(CrlIndexEntry {
                        ca: kind,
                        generation,
                        distribution_point: name.to_string(),
                        url: profile.point_crl_url(kind, &point),
                        locality: locality.clone(),
                    });
                }
            }
        }
        Ok(index)
    }

    /// A CA generation's ARL: the revoked CA certificates (generations) of its CA,
    /// named by the CA certificate's own CRL distribution point, with a cRLNumber from
    /// the generation's CRL sequence.
    pub fn arl(&mut self, kind: CertKind, generation: u32) -> Result<PublishedCrl> {
        let generation = self.generation(kind, generation)?.number;
        let (this_update, next_update) = self.list_times(false);
        // What the CA certificate names, byte for byte (it keeps the base URL it was made
        // with); a CA made before CA certificates named their ARL gets today's names.
        let names = match cert::distribution_point_names_of(
            self.generation(kind, generation)?.ca.certificate(),
        )? {
            Some(names) => names,
            None => cert::arl_distribution_point_names(&self.profile()?, kind, generation)?,
        };
        let mut revoked: Vec<CrlEntry> = self
            .generations(kind)
            .iter()
            .filter_map(|g| {
                g.revocation.map(|r| CrlEntry {
                    serial: g.serial(),
                    revoked_at: r.at,
                    reason: r.reason,
                })
            })
            .collect();
        revoked.sort_by_key(|e| e.serial);
        let number = self.store.next_crl_number(kind, generation, "")?;
        let ca = &self.generation(kind, generation)?.ca;
        let tbs = crl_tbs_der(
            ca.certificate(),
            ca.signature_algorithm(),
            CrlParams {
                this_update,
                next_update,
                number,
                entries: &mut revoked.into_iter(),
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

    /// Catches up with the state, and says which version of `data` is published now:
    /// the state's revision and the publication instant. An answer built from one
    /// version stays right until the version changes (caches key on it).
    pub fn published_version(&mut self, data: PublishedData) -> Result<PublishedVersion> {
        self.sync()?;
        Ok((self.seen_revision(), self.published(data).map(|p| p.at)))
    }

    /// What a schedule has published at the clock's now; `None` when immediate.
    pub fn published(&self, data: PublishedData) -> Option<Published> {
        let schedule = self.schedule(data);
        publication::published(schedule, self.now(), self.published_now)
    }

    /// The next publication boundary of `data` after the clock's now; `None` when
    /// immediate.
    pub fn next_publication(&self, data: PublishedData) -> Option<OffsetDateTime> {
        self.schedule(data).next_boundary(self.now())
    }

    fn schedule(&self, data: PublishedData) -> Schedule {
        match data {
            PublishedData::Crl => self.config.publication.crl,
            PublishedData::Ocsp => self.config.publication.ocsp,
        }
    }

    /// The last and next publication of CRLs and OCSP data.
    pub fn publication(&self) -> PublicationView {
        let view = |data| {
            let schedule = self.schedule(data);
            let now = self.now();
            ScheduleView {
                schedule: schedule.to_string(),
                last: rfc3339(self.published(data).map_or(now, |p| p.at)),
                next: self.next_publication(data).map(rfc3339),
            }
        };
        PublicationView {
            crl: view(PublishedData::Crl),
            ocsp: view(PublishedData::Ocsp),
        }
    }

    /// `POST /api/v1/publish`: everything recorded up to now becomes visible at once.
    pub fn publish_now(&mut self) -> Result<PublicationView> {
        let now = self.now();
        self.store
            .put_setting(PUBLISHED_NOW_SETTING, &rfc3339(now))?;
        self.published_now = Some(now);
        Ok(self.publication())
    }

    /// Reads the last publish-now from the state.
    pub(super) fn load_published_now(&mut self) -> Result<()> {
        self.published_now = self
            .store
            .setting(PUBLISHED_NOW_SETTING)?
            .map(|text| {
                crate::clock::parse_instant(&text).map_err(|e| {
                    Error::State(format!("the recorded publication instant is corrupt: {e}"))
                })
            })
            .transpose()?;
        Ok(())
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
    /// The CA generation.
    pub generation: u32,
    /// The point's directoryName as an RFC 4514 string.
    pub distribution_point: String,
    /// The CRL's URL, absolute.
    pub url: String,
    /// The municipality (the partition, in the municipality layout).
    #[serde(skip)]
    pub locality: Locality,
}

/// The publication state (`GET /api/v1/publication`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct PublicationView {
    /// CRLs.
    pub crl: ScheduleView,
    /// OCSP data.
    pub ocsp: ScheduleView,
}

/// One schedule's last and next publication.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ScheduleView {
    /// `immediate`, `daily HH:MM` or `every N minutes`.
    pub schedule: String,
    /// The last publication (immediate: now).
    pub last: String,
    /// The next one (`null` when immediate).
    pub next: Option<String>,
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
    use super::{CrlFaults, CrlScope};
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
            .map(|_| a.crl(&CrlScope::whole(CertKind::Sign, 1)).unwrap().number)
            .collect();
        assert_eq!(numbers, [1, 2, 3]);
        let auth = a.crl(&CrlScope::whole(CertKind::Auth, 1)).unwrap();
        assert_eq!(auth.number, 1);
        let (_, parsed) = CertificateRevocationList::from_der(&auth.der).unwrap();
        assert_eq!(parsed.crl_number().unwrap().to_string(), "1");
    }

    #[test]
    fn this_update_is_backdated_300_s_and_next_update_a_day_later() {
        let mut a = authority_at(NOW);
        let crl = a.crl(&CrlScope::whole(CertKind::Sign, 1)).unwrap();
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
            crl_serials(&a.crl(&CrlScope::whole(CertKind::Sign, 1)).unwrap().der),
            [(serial(&one.sign), 3), (serial(&two.sign), 6)]
        );
        let auth = a.crl(&CrlScope::whole(CertKind::Auth, 1)).unwrap().der;
        assert_eq!(crl_serials(&auth), [(serial(&two.auth), 6)]);
        let faults = CrlFaults {
            missing_reason: true,
            ..CrlFaults::default()
        };
        let auth = a
            .crl_with_faults(&CrlScope::whole(CertKind::Auth, 1), faults)
            .unwrap()
            .der;
        assert_eq!(crl_serials(&auth), [(serial(&two.auth), 0)]);
    }

    #[test]
    fn an_expired_crl_ended_before_now_and_a_bad_signature_does_not_verify() {
        let mut a = authority_at(NOW);
        let expired = CrlFaults {
            expired: true,
            ..CrlFaults::default()
        };
        let crl = a
            .crl_with_faults(&CrlScope::whole(CertKind::Sign, 1), expired)
            .unwrap();
        assert_eq!(crl.this_update, at(NOW) - Duration::days(2));
        assert_eq!(crl.next_update, at(NOW) - Duration::days(1));
        assert!(verifies(&a, CertKind::Sign, &crl.der));

        let bad = CrlFaults {
            bad_signature: true,
            ..CrlFaults::default()
        };
        let crl = a
            .crl_with_faults(&CrlScope::whole(CertKind::Auth, 1), bad)
            .unwrap();
        assert!(!verifies(&a, CertKind::Auth, &crl.der));
        let good = a.crl(&CrlScope::whole(CertKind::Auth, 1)).unwrap();
        assert!(verifies(&a, CertKind::Auth, &good.der));
        // Not a sign CRL either: each CA signs its own.
        assert!(!verifies(&a, CertKind::Sign, &good.der));
    }

    #[test]
    fn the_arl_names_what_its_ca_certificate_names_after_the_base_url_changed() {
        use x509_parser::extensions::ParsedExtension;
        let mut a = authority_at(NOW);
        a.set_base_url("http://elsewhere.example:9000").unwrap();
        let arl = a.arl(CertKind::Sign, 1).unwrap();
        let (_, ca) = X509Certificate::from_der(a.ca(CertKind::Sign).ca.certificate_der()).unwrap();
        let points = ca
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::CRLDistributionPoints(points) => {
                    Some(format!("{:?}", points.points[0].distribution_point))
                }
                _ => None,
            })
            .unwrap();
        let (_, list) = CertificateRevocationList::from_der(&arl.der).unwrap();
        let idp = list
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::IssuingDistributionPoint(idp) => {
                    Some(format!("{:?}", idp.distribution_point))
                }
                _ => None,
            })
            .unwrap();
        // The CA certificate was re-signed with the new URL, and the ARL follows it.
        assert!(
            points.contains("http://elsewhere.example:9000/arl/sign/1.crl"),
            "{points}"
        );
        assert_eq!(idp, points);
    }
}
