//! The dashboard's pages, rendered with the data in them. Every control has a label;
//! every action's form names the admin API call it makes (`data-method`, `data-path`)
//! and has a place for its result and one for its error (app.js fills them).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::Extension;
use maud::{html, Markup, DOCTYPE};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{Links, MountPrefix};
use crate::authority::{CardView, CertState, CertView, CrlScope, LinksView};
use crate::error::{Error, Result};
use crate::faults::FAULT_NAMES;
use crate::http::observe::RequestRecord;
use crate::http::publish::{current_list, List};
use crate::http::AppState;
use crate::pki::describe::{crl_summary, describe_certificate};
use crate::rules::{Carrier, Cause, CertKind, Platform, Serial};
use crate::store::CardId;

type Page = Result<Html<String>>;

fn jst_offset() -> time::UtcOffset {
    time::UtcOffset::from_hms(9, 0, 0).unwrap_or(time::UtcOffset::UTC)
}

/// An instant as a person in Japan reads it: `2026-12-01 12:00:00 JST`.
fn jst(instant: OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let local = instant.to_offset(jst_offset());
    format!("{} JST", local.format(&format).unwrap_or_default())
}

/// An RFC 3339 string from a view, in JST (as given if it does not parse).
fn jst_text(rfc3339: &str) -> String {
    OffsetDateTime::parse(rfc3339, &Rfc3339)
        .map(jst)
        .unwrap_or_else(|_| rfc3339.to_string())
}

fn kind_label(kind: CertKind) -> &'static str {
    match kind {
        CertKind::Sign => "signing",
        CertKind::Auth => "authentication",
    }
}

/// The name a value serialises to (`good`, `fixed`, `male`, …).
fn state_name<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// `good`, `expired`, or `revoked (certificateHold)`.
fn status_text(cert: &CertView) -> String {
    match (cert.status, cert.reason) {
        (CertState::Revoked, Some(reason)) => format!("revoked ({})", reason.as_str()),
        (state, _) => state_name(state),
    }
}

/// The newest certificate of each kind on the card itself (not on a phone).
fn latest(card: &CardView, kind: CertKind) -> Option<&CertView> {
    newest(&card.certificates, kind, None)
}

/// The newest certificate of a kind on a carrier (`None`: the card, else a phone's
/// platform), from certificates in issue order.
fn newest(certs: &[CertView], kind: CertKind, platform: Option<Platform>) -> Option<&CertView> {
    certs
        .iter()
        .rev()
        .find(|c| c.kind == kind && c.platform == platform)
}

/// `android` or `iOS`, as people write them.
fn platform_label(platform: Platform) -> &'static str {
    match platform {
        Platform::Android => "Android",
        Platform::Ios => "iOS",
    }
}

/// Where a cause reaches: `card`, `phone` (that phone only) or `every` (every signing
/// certificate, card and phones alike), as the cause picker's preview reads it.
fn reach_name(cause: Cause) -> &'static str {
    match (
        cause.reaches(Carrier::Card),
        Platform::ALL
            .iter()
            .any(|p| cause.reaches(Carrier::Phone(*p))),
    ) {
        (true, true) => "every",
        (false, true) => "phone",
        _ => "card",
    }
}

/// The page around `body`.
fn layout(links: &Links, title: &str, now: Option<OffsetDateTime>, body: Markup) -> Markup {
    let sections = [
        ("", "Cards"),
        ("/clock", "Clock"),
        ("/revocation", "Revocation"),
        ("/requests", "Requests"),
        ("/faults", "Faults"),
    ];
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · jpki-mock" }
                link rel="stylesheet" href=(links.ui("/style.css"));
                script src=(links.ui("/app.js")) defer {}
            }
            body data-api=(links.api()) data-ui=(links.ui("")) {
                header {
                    p.brand { strong { "jpki-mock" } " " span.warning { "TEST CA, NOT FOR PRODUCTION" } }
                    @if let Some(now) = now {
                        p #virtual-now { "Virtual now: " time datetime=(now.format(&Rfc3339).unwrap_or_default()) { (jst(now)) } }
                    }
                    nav aria-label="Sections" {
                        ul {
                            @for (path, name) in sections {
                                li { a href=(links.ui(path)) { (name) } }
                            }
                        }
                    }
                }
                main #main { h1 { (title) } (body) }
            }
        }
    }
}

/// A form's result and error places.
fn outcome() -> Markup {
    html! {
        p.result role="status" aria-live="polite" {}
        p.error role="alert" {}
    }
}

fn html_page(markup: Markup) -> Page {
    Ok(Html(markup.into_string()))
}

/// The login page (off loopback).
pub(super) fn login(links: &Links, error: Option<&str>) -> Markup {
    layout(
        links,
        "Sign in",
        None,
        html! {
            p { "The admin API needs a token here. It is kept for this browser session only." }
            form method="post" action=(links.ui("/login")) {
                label for="token" { "Admin token" }
                input #token type="password" name="token" autocomplete="current-password" required;
                button type="submit" { "Sign in" }
            }
            @if let Some(error) = error { p.error role="alert" { (error) } }
        },
    )
}

// ---------------------------------------------------------------------------------
// Cards.

fn matches(card: &CardView, query: &str) -> bool {
    let query = query.trim().to_lowercase();
    query.is_empty()
        || card.card_id.to_string() == query
        || card.name.to_lowercase().contains(&query)
        || card.locality.to_lowercase().contains(&query)
        || card.address.to_lowercase().contains(&query)
        || card
            .certificates
            .iter()
            .any(|c| c.serial.to_string() == query || c.serial_hex.eq_ignore_ascii_case(&query))
}

fn status_cell(cert: Option<&CertView>) -> Markup {
    match cert {
        Some(cert) => {
            html! { span class={"status " (state_name(cert.status))} { (status_text(cert)) } }
        }
        None => html! { "—" },
    }
}

/// `GET /ui`: every card, filtered, and the form that issues one.
pub(super) async fn cards(
    State(state): State<AppState>,
    prefix: Option<Extension<MountPrefix>>,
    Query(query): Query<HashMap<String, String>>,
) -> Page {
    let links = Links::of(prefix);
    let (cards, now) = state
        .blocking(|s| {
            s.authority.sync()?;
            Ok((s.authority.card_views()?, s.authority.now()))
        })
        .await?;
    let search = query.get("q").cloned().unwrap_or_default();
    let wanted = query.get("status").cloned().unwrap_or_default();
    let shown: Vec<&CardView> = cards
        .iter()
        .filter(|c| matches(c, &search))
        .filter(|c| {
            wanted.is_empty()
                || c.certificates
                    .iter()
                    .any(|cert| state_name(cert.status) == wanted)
        })
        .collect();
    let issued = query.get("issued");
    html_page(layout(
        &links,
        "Cards",
        Some(now),
        html! {
            @if let Some(id) = issued {
                p.result role="status" { "Issued card " a href=(links.ui(&format!("/cards/{id}"))) { (id) } "." }
            }
            form.filter method="get" action=(links.ui("")) role="search" {
                label for="q" { "Search (name, address, locality, card or serial)" }
                input #q type="search" name="q" value=(search);
                label for="status-filter" { "Certificate status" }
                select #status-filter name="status" {
                    @for (value, label) in [("", "any"), ("good", "good"), ("revoked", "revoked"), ("expired", "expired")] {
                        option value=(value) selected[wanted == value] { (label) }
                    }
                }
                button type="submit" { "Filter" }
            }
            p { (shown.len()) " of " (cards.len()) " cards." }
            div.table {
                table #cards {
                    caption { "Cards and the status of their newest certificates" }
                    thead { tr {
                        th scope="col" { "Card" } th scope="col" { "Name" } th scope="col" { "Birth" }
                        th scope="col" { "Locality" } th scope="col" { "Card expiry" }
                        th scope="col" { "Signing" } th scope="col" { "Authentication" }
                    } }
                    tbody {
                        @for card in &shown {
                            tr data-card=(card.card_id) {
                                td { a href=(links.ui(&format!("/cards/{}", card.card_id))) { (card.card_id) } }
                                td { (card.name) } td { (card.birth) } td { (card.locality) }
                                td { (card.card_expiry) }
                                td data-kind="sign" { (status_cell(latest(card, CertKind::Sign))) }
                                td data-kind="auth" { (status_cell(latest(card, CertKind::Auth))) }
                            }
                        }
                    }
                }
            }
            (issue_form())
        },
    ))
}

fn text_field(name: &str, label: &str, kind: &str, required: bool) -> Markup {
    html! {
        div.field {
            label for={"issue-" (name)} { (label) }
            input id={"issue-" (name)} name=(name) type=(kind) required[required] aria-describedby={"error-" (name)};
            p.field-error id={"error-" (name)} role="alert" {}
        }
    }
}

fn issue_form() -> Markup {
    let text_fields = [
        (
            "name",
            "Name (surname and given name, a space between)",
            "text",
            true,
        ),
        ("birth", "Date of birth", "date", true),
        (
            "address",
            "Address (Japanese, from the prefecture)",
            "text",
            true,
        ),
        (
            "locality",
            "Locality override (PREF/MUNI, optional)",
            "text",
            false,
        ),
        ("issued_on", "Card issued on (optional)", "date", false),
        ("card_expiry", "Card expiry (optional)", "date", false),
        (
            "sign_pin",
            "Signing PIN (6–16 letters and digits, optional)",
            "password",
            false,
        ),
        (
            "auth_pin",
            "Authentication PIN (4 digits, optional)",
            "password",
            false,
        ),
    ];
    html! {
        section aria-labelledby="issue-heading" {
            h2 #issue-heading { "Issue a card" }
            form #issue-form data-method="POST" data-path="/cards" data-then="issued" novalidate {
                @for (name, label, kind, required) in &text_fields[..2] { (text_field(name, label, kind, *required)) }
                div.field {
                    label for="issue-gender" { "Sex" }
                    select #issue-gender name="gender" aria-describedby="error-gender" {
                        option value="male" { "male" } option value="female" { "female" } option value="unknown" { "unknown" }
                    }
                    p.field-error #error-gender role="alert" {}
                }
                @for (name, label, kind, required) in &text_fields[2..] { (text_field(name, label, kind, *required)) }
                div.field {
                    label for="issue-key_alg" { "Key algorithm" }
                    select #issue-key_alg name="key_alg" {
                        option value="rsa2048" { "RSA 2048 (as the card)" } option value="p256" { "P-256 (faster)" } option value="p384" { "P-384 (next-gen, provisional)" }
                    }
                }
                button type="submit" { "Issue card" }
                (outcome())
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// One card.

/// The data of the card page, read in one go.
struct CardPage {
    card: CardView,
    /// The holder's phone certificates, issued on this card or the cards it replaced,
    /// in issue order.
    phones: Vec<CertView>,
    /// Every shown certificate's links.
    links: HashMap<u32, LinksView>,
    consent: bool,
    events: Vec<crate::store::EventRecord>,
    now: OffsetDateTime,
}

/// A labelled field of a card-page form: `{form}-{name}`, with its error place (which
/// app.js finds by `data-for`).
fn form_field(form: &str, name: &str, label: &str, kind: &str) -> Markup {
    html! {
        div.field {
            label for={(form) "-" (name)} { (label) }
            input id={(form) "-" (name)} name=(name) type=(kind) aria-describedby={(form) "-error-" (name)};
            p.field-error id={(form) "-error-" (name)} data-for=(name) role="alert" {}
        }
    }
}

/// `GET /ui/cards/{id}`.
pub(super) async fn card(
    State(state): State<AppState>,
    prefix: Option<Extension<MountPrefix>>,
    Path(id): Path<String>,
) -> Page {
    let links = Links::of(prefix);
    let id: i64 = id
        .parse()
        .map_err(|_| Error::BadInput(format!("card id {id:?} is not a number")))?;
    let CardPage {
        card,
        phones,
        links: cert_links,
        consent,
        events,
        now,
    } = state
        .blocking(move |s| {
            s.authority.sync()?;
            let card = s.authority.card_view(CardId(id))?;
            let mut phones: Vec<CertView> = card
                .certificates
                .iter()
                .filter(|c| c.platform.is_some())
                .cloned()
                .collect();
            let mut older = card.replaces;
            while let Some(old) = older {
                let view = s.authority.card_view(old)?;
                phones.extend(
                    view.certificates
                        .into_iter()
                        .filter(|c| c.platform.is_some()),
                );
                older = view.replaces;
            }
            phones.sort_by_key(|c| c.serial);
            let mut links = HashMap::new();
            for cert in card.certificates.iter().chain(&phones) {
                links.insert(cert.serial, s.authority.links(Serial(cert.serial))?);
            }
            Ok(CardPage {
                consent: s.authority.latest_facts_consent(CardId(id))?,
                events: s.authority.store().card_events(CardId(id))?,
                now: s.authority.now(),
                card,
                phones,
                links,
            })
        })
        .await?;
    let today = now.to_offset(jst_offset()).date().to_string();
    let windows: Vec<&[String; 2]> = card
        .certificates
        .iter()
        .filter(|c| c.status == CertState::Good)
        .filter_map(|c| c.renewal_window.as_ref())
        .collect();
    let renewable = windows
        .iter()
        .any(|[first, last]| *first <= today && today <= *last);
    let renew_reason = match windows.iter().min() {
        _ if renewable => String::new(),
        Some([first, last]) => {
            format!("Renewal is open from {first} to {last} (JST); today is {today}.")
        }
        None => "No good certificate to renew.".to_string(),
    };
    // What a cause could revoke now: the good current certificates, card and phones.
    let carriers: Vec<Option<Platform>> = std::iter::once(None)
        .chain(Platform::ALL.into_iter().map(Some))
        .collect();
    let live: Vec<serde_json::Value> = carriers
        .iter()
        .flat_map(|platform| {
            let source = if platform.is_some() {
                &phones
            } else {
                &card.certificates
            };
            CertKind::ALL
                .into_iter()
                .filter_map(move |kind| newest(source, kind, *platform))
        })
        .filter(|c| c.status == CertState::Good)
        .map(|c| {
            serde_json::json!({
                "serial": c.serial,
                "kind": c.kind.as_str(),
                "carrier": c.platform.map_or("card", Platform::as_str),
            })
        })
        .collect();
    let card_sign = latest(&card, CertKind::Sign);
    let sign_reason = match card_sign {
        Some(sign) if sign.status == CertState::Good => format!(
            "The card's signing certificate {} is good: a new one is issued after \
             name_change, address_change or emigration revoked it (or after it expired).",
            sign.serial
        ),
        _ => String::new(),
    };
    let path = |action: &str| format!("/cards/{}/{action}", card.card_id);
    let title = format!("Card {}: {}", card.card_id, card.name);
    let card_certs: Vec<&CertView> = card
        .certificates
        .iter()
        .filter(|c| c.platform.is_none())
        .collect();
    html_page(layout(
        &links,
        &title,
        Some(now),
        html! {
            dl.facts {
                dt { "Date of birth" } dd { (card.birth) }
                dt { "Sex" } dd { (state_name(card.gender)) }
                dt { "Address" } dd { (card.address) }
                dt { "Locality" } dd { (card.locality) }
                dt { "Card issued" } dd { (card.issued_on) }
                dt { "Card expiry" } dd { (card.card_expiry) }
                dt { "Fee" } dd { (card.fee_yen) " yen" }
                dt { "Latest-facts consent" } dd #consent-state { (if consent { "given" } else { "not given" }) }
                @if let Some(old) = card.replaces { dt { "Replaces" } dd { a href=(links.ui(&format!("/cards/{old}"))) { "card " (old) } } }
                @if let Some(new) = card.replaced_by { dt { "Replaced by" } dd { a href=(links.ui(&format!("/cards/{new}"))) { "card " (new) } } }
            }
            section aria-labelledby="actions-heading" {
                h2 #actions-heading { "Actions" }
                form #cause-form data-method="POST" data-path=(path("events")) data-then="reload" data-live=(serde_json::Value::from(live).to_string()) novalidate {
                    label for="cause" { "Cause" }
                    select #cause name="cause" {
                        @for cause in Cause::USER_CAUSES {
                            @let fixed = cause.fixed_targets().map(|kinds| kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(" "));
                            option value=(cause.as_str()) data-fixed=(fixed.unwrap_or_default()) data-reach=(reach_name(cause)) { (cause.as_str()) }
                        }
                    }
                    div.field {
                        label for="cause-platform" { "Phone platform (needed for phone_lost, phone_stolen, device_change, device_disposed)" }
                        select #cause-platform name="platform" aria-describedby="cause-error-platform" {
                            option value="" { "—" }
                            @for platform in Platform::ALL { option value=(platform.as_str()) { (platform_label(platform)) } }
                        }
                        p.field-error #cause-error-platform data-for="platform" role="alert" {}
                    }
                    fieldset #cause-certs {
                        legend { "Certificates (for causes that let you choose)" }
                        @for kind in CertKind::ALL {
                            input id={"cause-" (kind.as_str())} type="checkbox" name="certs" value=(kind.as_str()) checked;
                            label for={"cause-" (kind.as_str())} { (kind_label(kind)) }
                        }
                    }
                    p #cause-preview role="status" aria-live="polite" {}
                    button type="submit" { "Apply cause" }
                    (outcome())
                }
                form #renew-form data-method="POST" data-path=(path("renew")) data-then="reload" {
                    button type="submit" disabled[!renewable] aria-describedby="renew-reason" { "Renew" }
                    p #renew-reason { (renew_reason) }
                    (outcome())
                }
                form #reissue-form data-method="POST" data-path=(path("reissue")) data-then="card" {
                    button type="submit" disabled[card.replaced_by.is_some()] { "Reissue the card (200 yen)" }
                    (outcome())
                }
                form #pin-form data-method="POST" data-path=(path("pin-reset")) data-then="message" {
                    label for="pin-kind" { "PIN" }
                    select #pin-kind name="kind" { option value="sign" { "signing" } option value="auth" { "authentication" } }
                    label for="new-pin" { "New PIN" }
                    input #new-pin type="password" name="new_pin" autocomplete="new-password";
                    button type="submit" { "Reset PIN" }
                    (outcome())
                }
                form #sign-form data-method="POST" data-path=(path("certs/sign")) data-then="reload" novalidate {
                    h3 { "New signing certificate" }
                    p { "With the holder's new facts (empty: the card's stay)." }
                    (form_field("sign", "name", "New name (surname and given name, a space between)", "text"))
                    (form_field("sign", "address", "New address", "text"))
                    (form_field("sign", "locality", "Locality of the new address (PREF/MUNI; needed abroad)", "text"))
                    (form_field("sign", "sign_pin", "New signing PIN (6–16 letters and digits, optional)", "password"))
                    button type="submit" disabled[!sign_reason.is_empty()] aria-describedby="sign-reason" { "Issue signing certificate" }
                    p #sign-reason { (sign_reason) }
                    (outcome())
                }
                form #phone-form data-method="POST" data-path=(path("phones")) data-then="reload" novalidate {
                    h3 { "Phone certificates" }
                    div.field {
                        label for="phone-platform" { "Platform" }
                        select #phone-platform name="platform" aria-describedby="phone-error-platform" {
                            @for platform in Platform::ALL { option value=(platform.as_str()) { (platform_label(platform)) } }
                        }
                        p.field-error #phone-error-platform data-for="platform" role="alert" {}
                    }
                    (form_field("phone", "device_id", "Device id (optional)", "text"))
                    button type="submit" { "Issue phone certificates" }
                    (outcome())
                }
                form #consent-form data-method="PUT" data-path=(path("latest-facts-consent")) data-then="reload" {
                    input #consent type="checkbox" name="consent" data-boolean checked[consent];
                    label for="consent" { "The holder consents to the latest-facts service" }
                    button type="submit" { "Save consent" }
                    (outcome())
                }
            }
            section aria-labelledby="certs-heading" {
                h2 #certs-heading { "Card certificates" }
                @for cert in card_certs.iter().rev() {
                    (certificate(&links, cert, cert_links.get(&cert.serial)))
                }
            }
            section #phones aria-labelledby="phones-heading" {
                h2 #phones-heading { "Phone certificates" }
                @if phones.is_empty() { p { "None." } }
                @for platform in Platform::ALL {
                    @let set: Vec<&CertView> = phones.iter().filter(|c| c.platform == Some(platform)).collect();
                    @if !set.is_empty() {
                        @let current: Vec<&CertView> = CertKind::ALL.into_iter().filter_map(|k| newest(&phones, k, Some(platform))).collect();
                        @let suspendable = current.iter().any(|c| c.status == CertState::Good);
                        @let suspended = !current.is_empty() && current.iter().all(|c| c.cause == Some(Cause::PhoneLost));
                        section.phone data-platform=(platform.as_str()) aria-labelledby={"phone-" (platform.as_str())} {
                            h3 id={"phone-" (platform.as_str())} { (platform_label(platform)) " phone" }
                            p { "Device id: " code.device { (current.first().and_then(|c| c.device_id.as_deref()).unwrap_or("—")) } }
                            form id={"suspend-" (platform.as_str())} data-method="POST" data-path=(path(&format!("phones/{platform}/suspend"))) data-then="reload" {
                                button type="submit" disabled[!suspendable] { "Suspend " (platform_label(platform)) " phone" }
                                (outcome())
                            }
                            form id={"resume-" (platform.as_str())} data-method="POST" data-path=(path(&format!("phones/{platform}/resume"))) data-then="resumed" {
                                button type="submit" disabled[!suspended] { "Resume " (platform_label(platform)) " phone" }
                                (outcome())
                            }
                            @for cert in set.iter().rev() {
                                (certificate(&links, cert, cert_links.get(&cert.serial)))
                            }
                        }
                    }
                }
            }
            section aria-labelledby="events-heading" {
                h2 #events-heading { "Events" }
                @if events.is_empty() { p { "None." } }
                @else {
                    div.table { table #events {
                        thead { tr { th scope="col" { "Effective" } th scope="col" { "Recorded" } th scope="col" { "Cause" } th scope="col" { "Revoked" } } }
                        tbody { @for record in &events { tr {
                            td { (jst(record.event.at)) } td { (jst(record.event.recorded_at)) }
                            td { (record.event.cause.as_str()) }
                            td { @for (serial, reason) in &record.event.revokes { (serial.0) " (" (reason.as_str()) ") " } }
                        } } }
                    } }
                }
            }
        },
    ))
}

fn certificate(links: &Links, cert: &CertView, cert_links: Option<&LinksView>) -> Markup {
    let der = pem::parse(&cert.cert_pem)
        .map(|p| p.contents().to_vec())
        .unwrap_or_default();
    let described = describe_certificate(&der);
    let carrier = cert
        .platform
        .map(|p| format!("{} phone ", platform_label(p)))
        .unwrap_or_default();
    html! {
        article.certificate id={"cert-" (cert.serial)} data-serial=(cert.serial) {
            h3 { (carrier) (kind_label(cert.kind)) " certificate " (cert.serial) }
            p { "Status: " span class={"status " (state_name(cert.status))} data-status=(cert.serial) { (status_text(cert)) }
                @if let Some(at) = &cert.revoked_at { " since " (jst_text(at)) }
                @if let Some(cause) = cert.cause { " (cause " (cause.as_str()) ")" } }
            @if let Some(at) = &cert.hold_lifted_at { p.lifted data-lifted=(cert.serial) { "Hold lifted " (jst_text(at)) " (removeFromCRL)" } }
            @if let Some(device) = &cert.device_id { p { "Device id: " code { (device) } } }
            @if let Some(l) = cert_links {
                dl.links data-links=(cert.serial) {
                    dt { "Pair" } dd { (l.pair.map(|s| s.to_string()).unwrap_or_else(|| "—".into())) }
                    dt { "Predecessor" } dd { (l.predecessor.map(|s| s.to_string()).unwrap_or_else(|| "—".into())) }
                    dt { "Successors" } dd { @if l.successors.is_empty() { "—" } @for s in &l.successors { (s.serial) " (" (s.event.as_str()) ") " } }
                    dt { "Current" } dd { (l.current) }
                }
            }
            @match described {
                Ok(d) => {
                    dl {
                        dt { "Subject" } dd { (d.subject) }
                        dt { "Issuer" } dd { (d.issuer) " (generation " (cert.generation) ")" }
                        dt { "Serial" } dd { "0x" (d.serial_hex) " = " (d.serial_decimal.map(|n| n.to_string()).unwrap_or_default()) }
                        dt { "Valid from" } dd { (jst(d.not_before)) }
                        dt { "Valid until" } dd { (jst(d.not_after)) }
                        @for (label, value) in &d.alt_names { dt { "subjectAltName: " (label) } dd { (value) } }
                        @for (oid, cps) in &d.policies { dt { "Policy" } dd { (oid) @for uri in cps { " CPS " (uri) } } }
                        @for point in &d.crl_distribution_points { dt { "CRL distribution point" } dd { (point) } }
                        @for (method, uri) in &d.authority_info_access { dt { "Authority info access: " (method) } dd { (uri) } }
                    }
                }
                Err(e) => { p.error { "Cannot decode it: " (e) } }
            }
            p { a href=(links.ui(&format!("/certs/{}.pem", cert.serial))) download { "Download PEM" } }
        }
    }
}

/// `GET /ui/certs/{serial}.pem`: a certificate to save.
pub(super) async fn certificate_pem(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response> {
    let serial: Serial = file
        .strip_suffix(".pem")
        .ok_or_else(|| Error::NotFound(format!("no file {file}: ask for SERIAL.pem")))?
        .parse()
        .map_err(Error::BadInput)?;
    let view = state
        .blocking(move |s| s.authority.certificate_view(serial))
        .await?;
    let disposition = format!("attachment; filename=\"{}.pem\"", view.serial);
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-pem-file".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        view.cert_pem,
    )
        .into_response())
}

// ---------------------------------------------------------------------------------
// Clock.

/// `GET /ui/clock`: the virtual now, the forms that move it, and what moving it did.
pub(super) async fn clock(
    State(state): State<AppState>,
    prefix: Option<Extension<MountPrefix>>,
    Query(query): Query<HashMap<String, String>>,
) -> Page {
    let links = Links::of(prefix);
    let from = query
        .get("from")
        .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok());
    let (view, now, cards, notices) = state
        .blocking(|s| {
            s.authority.sync()?;
            let now = s.authority.now();
            let today = now.to_offset(jst_offset()).date();
            Ok((
                s.authority.clock_view(),
                now,
                s.authority.card_views()?,
                s.authority.notices(today)?,
            ))
        })
        .await?;
    let expired_between = |from: OffsetDateTime| -> Vec<&CertView> {
        let (low, high) = if from <= now {
            (from, now)
        } else {
            (now, from)
        };
        cards
            .iter()
            .flat_map(|c| &c.certificates)
            .filter(|c| {
                OffsetDateTime::parse(&c.not_after, &Rfc3339).is_ok_and(|t| low < t && t <= high)
            })
            .collect()
    };
    let mode = state_name(view.mode);
    html_page(layout(
        &links,
        "Clock",
        Some(now),
        html! {
            p #clock-mode { "Mode: " strong { (mode) }
                @if let Some(seconds) = view.offset_seconds { " (" (seconds) " s from real time)" }
                @if view.overridden_by_now_option { " — fixed by --now at start-up: changes here do not apply" } }
            @if let Some(from) = from {
                section #clock-changes aria-labelledby="changes-heading" {
                    h2 #changes-heading { "What changed" }
                    p { "The clock moved from " (jst(from)) " to " (jst(now)) "." }
                    @let crossed = expired_between(from);
                    @if crossed.is_empty() { p { "No certificate's expiry lies in between." } }
                    @else {
                        p { (crossed.len()) " certificate(s) " (if from <= now { "expired" } else { "are valid again" }) ":" }
                        ul { @for cert in crossed { li { a href=(links.ui(&format!("/cards/{}", cert.card_id))) { "card " (cert.card_id) } ", " (kind_label(cert.kind)) " " (cert.serial) ": expiry " (cert.expiry) ", now " (status_text(cert)) } } }
                    }
                }
            }
            form #clock-set data-method="PUT" data-path="/clock" data-then="clock" {
                label for="clock-now" { "Set the clock to (RFC 3339, or a date meaning 00:00 JST)" }
                input #clock-now name="now" type="text" placeholder="2030-01-01T09:00:00+09:00" required;
                button type="submit" { "Set" }
                (outcome())
            }
            form #clock-offset data-method="PUT" data-path="/clock" data-then="clock" {
                label for="clock-offset-seconds" { "Run ahead of real time by (seconds, negative: behind)" }
                input #clock-offset-seconds name="offset_seconds" type="number" required;
                button type="submit" { "Offset" }
                (outcome())
            }
            form #clock-reset data-method="DELETE" data-path="/clock" data-then="clock" {
                button type="submit" { "Back to real time" }
                (outcome())
            }
            section aria-labelledby="notices-heading" {
                h2 #notices-heading { "Expiry notices due today (JST)" }
                @if notices.is_empty() { p { "None." } }
                @else { ul { @for n in &notices { li { "card " (n.card_id) ", " (kind_label(n.kind)) " " (n.serial) ": expires " (n.expiry) ", renewal " (n.renewal_window[0]) " to " (n.renewal_window[1]) } } } }
            }
        },
    ))
}

// ---------------------------------------------------------------------------------
// Revocation.

struct ListRow {
    name: String,
    url: String,
    number: Option<u64>,
    this_update: OffsetDateTime,
    next_update: OffsetDateTime,
    entries: usize,
}

/// Most partitions listed (a populated state may name hundreds of municipalities).
const MAX_PARTITIONS: usize = 50;

/// `GET /ui/revocation`: every CRL and ARL served now, and the last OCSP answers.
pub(super) async fn revocation(
    State(state): State<AppState>,
    prefix: Option<Extension<MountPrefix>>,
) -> Page {
    let links = Links::of(prefix);
    let (rows, partitions_left, now) = state
        .blocking(|s| {
            s.authority.sync()?;
            let mut lists = Vec::new();
            for ca in s.authority.ca_list(None) {
                let (kind, n) = (ca.ca, ca.generation);
                let crl_path = if n == 1 {
                    format!("/crl/{}.crl", kind.as_str())
                } else {
                    format!("/crl/{}/{n}.crl", kind.as_str())
                };
                lists.push((
                    format!("{kind} CRL, generation {n}"),
                    crl_path,
                    List::Crl(CrlScope::whole(kind, n)),
                ));
                lists.push((
                    format!("{kind} ARL, generation {n}"),
                    format!("/arl/{}/{n}.crl", kind.as_str()),
                    List::Arl(kind, Some(n)),
                ));
            }
            let index = s.authority.crl_index()?;
            let partitioned =
                s.authority.config().crl.layout == crate::rules::CrlLayout::Municipality;
            let mut left = 0;
            if partitioned {
                left = index.len().saturating_sub(MAX_PARTITIONS);
                for entry in index.into_iter().take(MAX_PARTITIONS) {
                    let scope = CrlScope {
                        kind: entry.ca,
                        generation: entry.generation,
                        partition: Some(entry.locality.clone()),
                    };
                    lists.push((
                        format!(
                            "{} CRL, generation {}, {}",
                            entry.ca, entry.generation, entry.locality
                        ),
                        entry.url,
                        List::Crl(scope),
                    ));
                }
            }
            let mut rows = Vec::new();
            for (name, url, list) in lists {
                let cached = current_list(s, &list)?;
                let (number, entries) = crl_summary(cached.der())?;
                let (this_update, next_update) = cached.times();
                rows.push(ListRow {
                    name,
                    url,
                    number,
                    this_update,
                    next_update,
                    entries,
                });
            }
            Ok((rows, left, s.now()))
        })
        .await?;
    let answers: Vec<RequestRecord> = state
        .request_log()
        .query(None, None)
        .into_iter()
        .rev()
        .filter(|r| r.ocsp_status.is_some())
        .take(20)
        .collect();
    html_page(layout(
        &links,
        "Revocation",
        Some(now),
        html! {
            div.table { table #lists {
                caption { "The CRLs and ARLs served now" }
                thead { tr { th scope="col" { "List" } th scope="col" { "Number" } th scope="col" { "thisUpdate" } th scope="col" { "nextUpdate" } th scope="col" { "Entries" } th scope="col" { "Download" } } }
                tbody { @for row in &rows { tr {
                    td { (row.name) } td { (row.number.map(|n| n.to_string()).unwrap_or_default()) }
                    td { (jst(row.this_update)) } td { (jst(row.next_update)) } td.entries { (row.entries) }
                    td { a href=(if row.url.starts_with("http") { row.url.clone() } else { links.published(&row.url) }) download { "DER" } }
                } } }
            } }
            @if partitions_left > 0 { p { (partitions_left) " more partitions: " a href=(links.published("/crl/index.json")) { "the index" } "." } }
            h2 { "The last OCSP answers" }
            (requests_table(&answers))
        },
    ))
}

fn requests_table(records: &[RequestRecord]) -> Markup {
    html! {
        div.table { table #requests {
            thead { tr {
                th scope="col" { "Time" } th scope="col" { "Request" } th scope="col" { "CertIDs" }
                th scope="col" { "Nonce" } th scope="col" { "Answer" } th scope="col" { "HTTP" }
            } }
            tbody { @for r in records { tr {
                td { (jst(r.at)) } td { (r.method) " " (r.path) }
                td { @for id in r.cert_ids.iter().flatten() { (id.hash_algorithm) " " (id.serial.map(|s| s.to_string()).unwrap_or_else(|| "?".into())) " (" (id.issuer.unwrap_or("not ours")) ") " } }
                td { (match r.nonce { Some(true) => "yes", Some(false) => "no", None => "" }) }
                td { (r.ocsp_status.unwrap_or("")) @if let Some(statuses) = &r.cert_statuses { " " (statuses.join(", ")) } }
                td { (r.http_status) }
            } } }
        } }
    }
}

// ---------------------------------------------------------------------------------
// Requests.

/// `GET /ui/requests`: the request log, newest first, refreshed every second by the
/// script (polling; this page only).
pub(super) async fn requests(
    State(state): State<AppState>,
    prefix: Option<Extension<MountPrefix>>,
    Query(query): Query<HashMap<String, String>>,
) -> Page {
    let links = Links::of(prefix);
    let serial = query.get("serial").cloned().unwrap_or_default();
    let wanted = if serial.is_empty() {
        None
    } else {
        Some(serial.parse::<Serial>().map_err(Error::BadInput)?.0)
    };
    let now = state.blocking(|s| Ok(s.now())).await?;
    let mut records = state.request_log().query(wanted, None);
    records.reverse();
    html_page(layout(
        &links,
        "Requests",
        Some(now),
        html! {
            form.filter #requests-filter method="get" action=(links.ui("/requests")) {
                label for="serial" { "Serial (decimal or 0x hex)" }
                input #serial type="text" name="serial" value=(serial);
                button type="submit" { "Filter" }
                label for="live" { "Live" }
                input #live type="checkbox" checked;
            }
            p #requests-count role="status" { (records.len()) " requests." }
            (requests_table(&records))
        },
    ))
}

// ---------------------------------------------------------------------------------
// Faults.

/// `GET /ui/faults`: the faults in force, a form to add one, and one to clear them.
pub(super) async fn faults(
    State(state): State<AppState>,
    prefix: Option<Extension<MountPrefix>>,
) -> Page {
    let links = Links::of(prefix);
    let (faults, now) = state
        .blocking(|s| Ok((s.faults.list().to_vec(), s.now())))
        .await?;
    let shown: Vec<String> = faults
        .iter()
        .map(|f| serde_json::to_string(f).unwrap_or_default())
        .collect();
    html_page(layout(
        &links,
        "Faults",
        Some(now),
        html! {
            h2 { "In force" }
            @if shown.is_empty() { p #no-faults { "None: every answer is right." } }
            @else { ul #faults { @for fault in &shown { li { code { (fault) } } } } }
            form #fault-form data-method="PUT" data-path="/faults" data-then="reload" data-append="faults" data-current=(serde_json::to_string(&faults).unwrap_or_else(|_| "[]".into())) {
                h2 { "Add a fault" }
                label for="fault" { "Fault" }
                select #fault name="fault" { @for name in FAULT_NAMES { option value=(name) { (name) } } }
                label for="fault-status" { "status (ocsp_status: tryLater, …; http_status: 500, 503, 404)" }
                input #fault-status name="status" type="text";
                label for="fault-reason" { "reason (revoked: keyCompromise, …)" }
                input #fault-reason name="reason" type="text";
                label for="fault-ms" { "ms (delay)" }
                input #fault-ms name="ms" type="number" min="0";
                label for="fault-ca" { "Only for the CA" }
                select #fault-ca name="ca" { option value="" { "either" } option value="sign" { "sign" } option value="auth" { "auth" } }
                label for="fault-serial" { "Only for the serial" }
                input #fault-serial name="serial" type="number" min="0";
                label for="fault-count" { "Times (empty: until cleared)" }
                input #fault-count name="count" type="number" min="1";
                button type="submit" { "Add fault" }
                (outcome())
            }
            form #faults-clear data-method="DELETE" data-path="/faults" data-then="reload" {
                button type="submit" { "Clear every fault" }
                (outcome())
            }
        },
    ))
}
