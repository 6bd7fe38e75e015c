//! `list` and `show` on a terminal: aligned text for a person (scripts get JSON, and
//! `--json` forces it). No PEM here; `--json` has it.

use std::fmt::Write;

use crate::authority::{CardView, CertState, CertView};

/// Every card, one row per certificate (the card's columns on its first row only). The
/// holder's name comes last, so that wide characters never break the alignment.
pub(super) fn cards(cards: &[CardView]) -> String {
    let mut rows = vec![header()];
    for card in cards {
        if card.certificates.is_empty() {
            rows.push(card_row(card, None, true));
        }
        for (i, cert) in card.certificates.iter().enumerate() {
            rows.push(card_row(card, Some(cert), i == 0));
        }
    }
    let mut text = aligned(&rows);
    if cards.is_empty() {
        text.push_str("(no cards)\n");
    }
    text
}

/// One card: its facts, then its certificates.
pub(super) fn card(card: &CardView) -> String {
    let mut text = String::new();
    let facts = [
        ("card", card.card_id.0.to_string()),
        ("name", card.name.clone()),
        ("birth", card.birth.clone()),
        ("gender", card.gender.as_str().to_string()),
        ("address", card.address.clone()),
        ("locality", card.locality.clone()),
        ("issued on", card.issued_on.clone()),
        ("card expiry", card.card_expiry.clone()),
        ("fee", format!("{} yen", card.fee_yen)),
    ];
    for (label, value) in facts {
        let _ = writeln!(text, "{label:<12} {value}");
    }
    if let Some(old) = card.replaces {
        let _ = writeln!(text, "{:<12} card {}", "replaces", old.0);
    }
    if let Some(new) = card.replaced_by {
        let _ = writeln!(text, "{:<12} card {}", "replaced by", new.0);
    }
    text.push('\n');
    let mut rows = vec![cert_header()];
    rows.extend(card.certificates.iter().map(cert_columns));
    text.push_str(&aligned(&rows));
    text
}

/// One certificate's facts.
pub(super) fn certificate(cert: &CertView) -> String {
    let mut facts = vec![
        ("serial", format!("{} (0x{})", cert.serial, cert.serial_hex)),
        ("kind", kind(cert)),
        ("card", cert.card_id.0.to_string()),
        ("CA generation", cert.generation.to_string()),
        ("not before", cert.not_before.clone()),
        ("not after", cert.not_after.clone()),
        ("status", status(cert)),
    ];
    if let Some(device) = &cert.device_id {
        facts.push(("device", device.clone()));
    }
    if let Some(at) = &cert.revoked_at {
        facts.push(("revoked at", at.clone()));
    }
    if let Some(at) = &cert.hold_lifted_at {
        facts.push(("hold lifted", at.clone()));
    }
    if let Some([first, last]) = &cert.renewal_window {
        facts.push(("renewal", format!("{first} to {last}")));
    }
    let mut text = String::new();
    for (label, value) in facts {
        let _ = writeln!(text, "{label:<14} {value}");
    }
    text.push_str("(the certificate itself: --pem)\n");
    text
}

fn header() -> Vec<String> {
    let mut row = vec!["CARD".into(), "CARD EXPIRY".into()];
    row.extend(cert_header());
    row.push("HOLDER".into());
    row
}

fn cert_header() -> Vec<String> {
    ["KIND", "SERIAL", "EXPIRY", "STATUS"]
        .map(String::from)
        .to_vec()
}

/// A certificate's row; the card's own columns only on its first row.
fn card_row(card: &CardView, cert: Option<&CertView>, first: bool) -> Vec<String> {
    let card_column = |text: String| if first { text } else { String::new() };
    let mut row = vec![
        card_column(card.card_id.0.to_string()),
        card_column(card.card_expiry.clone()),
    ];
    match cert {
        Some(cert) => row.extend(cert_columns(cert)),
        None => row.extend(["-", "-", "-", "no certificates"].map(String::from)),
    }
    row.push(card_column(card.name.clone()));
    row
}

fn cert_columns(cert: &CertView) -> Vec<String> {
    vec![
        kind(cert),
        cert.serial.to_string(),
        cert.expiry.clone(),
        status(cert),
    ]
}

/// `sign`, or for a phone's certificate `sign (ios)`.
fn kind(cert: &CertView) -> String {
    match cert.platform {
        Some(platform) => format!("{} ({platform})", cert.kind),
        None => cert.kind.to_string(),
    }
}

/// `good`, `expired`, or `revoked (reason, cause)`.
fn status(cert: &CertView) -> String {
    match cert.status {
        CertState::Good => "good".into(),
        CertState::Expired => "expired".into(),
        CertState::Revoked => {
            let details: Vec<String> = cert
                .reason
                .map(|r| r.to_string())
                .into_iter()
                .chain(cert.cause.map(|c| c.to_string()))
                .collect();
            if details.is_empty() {
                "revoked".into()
            } else {
                format!("revoked ({})", details.join(", "))
            }
        }
    }
}

/// Columns padded to their widest cell, two spaces apart; the last column unpadded.
fn aligned(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|row| row.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == row.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<width$}  ", width = widths[c]);
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}
