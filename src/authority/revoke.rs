//! Revocation causes applied to a card's certificates (domain.md §4).

use super::request::RevokeRequest;
use super::views::{CertStatus, RevocationReport, RevokedView, UnchangedView};
use super::{bad, rfc3339, Authority};
use crate::error::{Error, Result};
use crate::store::{CardId, NewEvent};

impl Authority {
    /// Applies a revocation cause to a card's current certificates (domain.md §4).
    pub fn revoke(&mut self, id: CardId, request: &RevokeRequest) -> Result<RevocationReport> {
        let now = self.now();
        self.card_record(id)?;
        let cause = request.cause;
        let targets = cause
            .targets(request.certs.as_deref())
            .map_err(|e| bad("certs", e))?;
        let at = request.at.unwrap_or(now);
        if at > now {
            return Err(bad(
                "at",
                format!("{} is in the future (now is {})", rfc3339(at), rfc3339(now)),
            ));
        }
        let reason = self.config.reasons.reason(cause);
        // Another process may revoke the same certificates between our look and our
        // write; the write then fails whole, and a second look sees them revoked.
        let mut attempts = 0;
        let (revoked, unchanged) = loop {
            attempts += 1;
            let mut revokes = Vec::new();
            let mut revoked = Vec::new();
            let mut unchanged = Vec::new();
            for record in self.current_certificates(id)? {
                let c = &record.certificate;
                if !targets.contains(&c.kind) {
                    continue;
                }
                match CertStatus::of(&record, at) {
                    CertStatus::Good => {
                        if at < c.not_before {
                            return Err(bad(
                                "at",
                                format!(
                                    "{} is before certificate {} was issued ({})",
                                    rfc3339(at),
                                    c.serial,
                                    rfc3339(c.not_before)
                                ),
                            ));
                        }
                        revokes.push((c.serial, reason));
                        revoked.push(RevokedView {
                            serial: c.serial.0,
                            kind: c.kind,
                            reason,
                            revoked_at: rfc3339(at),
                        });
                    }
                    status => unchanged.push(UnchangedView {
                        serial: c.serial.0,
                        kind: c.kind,
                        status: status.state(),
                    }),
                }
            }
            if revokes.is_empty() {
                break (revoked, unchanged);
            }
            let event = NewEvent {
                card_id: id,
                cause,
                at,
                revokes,
            };
            match self.store.record_event(&event) {
                Ok(_) => break (revoked, unchanged),
                Err(Error::ConcurrentChange(_)) if attempts < 3 => continue,
                Err(e) => return Err(e),
            }
        };
        let message = if revoked.is_empty() {
            format!(
                "{}: nothing to revoke on card {id}; the targeted certificates are already revoked or expired",
                cause.as_str()
            )
        } else {
            format!(
                "{}: revoked {} certificate(s) of card {id}",
                cause.as_str(),
                revoked.len()
            )
        };
        Ok(RevocationReport {
            card_id: id,
            cause,
            revoked,
            unchanged,
            message,
        })
    }
}
