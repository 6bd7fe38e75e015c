//! Observability: one log line per request (request id, route, status, OCSP outcome,
//! duration) and Prometheus metrics at `GET /metrics`.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwapOption;
use dashmap::DashMap;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::ocsp::{LoggedCertId, OcspOutcome};

/// The names an OCSP answer is counted under: certificate statuses, or the response
/// status when there are none.
const OCSP_ANSWER_NAMES: [&str; 9] = [
    "good",
    "internalError",
    "malformedRequest",
    "revoked",
    "sigRequired",
    "successful",
    "tryLater",
    "unauthorized",
    "unknown",
];

/// The HTTP statuses counted per route: 100 to 599.
const STATUSES: usize = 500;

/// One route's request counters, one per HTTP status.
#[derive(Debug)]
struct RouteCounters([AtomicU64; STATUSES]);

impl Default for RouteCounters {
    fn default() -> Self {
        Self([const { AtomicU64::new(0) }; STATUSES])
    }
}

/// Request and OCSP counters: atomics, so that counting takes no lock (a route is
/// looked up in a sharded map, and added to it once).
#[derive(Debug, Default)]
pub struct Metrics {
    next_request_id: AtomicU64,
    requests: DashMap<Arc<str>, Box<RouteCounters>>,
    ocsp_answers: [AtomicU64; OCSP_ANSWER_NAMES.len()],
    ocsp_cache_hits: AtomicU64,
    ocsp_cache_misses: AtomicU64,
}

impl Metrics {
    fn record(&self, route: &str, status: u16, ocsp: Option<&OcspOutcome>) {
        if let Some(index) = usize::from(status)
            .checked_sub(100)
            .filter(|i| *i < STATUSES)
        {
            let count =
                |counters: &RouteCounters| counters.0[index].fetch_add(1, Ordering::Relaxed);
            match self.requests.get(route) {
                Some(counters) => count(&counters),
                None => count(&self.requests.entry(Arc::from(route)).or_default()),
            };
        }
        let Some(ocsp) = ocsp else { return };
        if ocsp.response_status == "successful" {
            let counter = if ocsp.cache_hit {
                &self.ocsp_cache_hits
            } else {
                &self.ocsp_cache_misses
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
        let names = if ocsp.cert_statuses.is_empty() {
            std::slice::from_ref(&ocsp.response_status)
        } else {
            ocsp.cert_statuses.as_slice()
        };
        for name in names {
            if let Some(i) = OCSP_ANSWER_NAMES.iter().position(|n| n == name) {
                self.ocsp_answers[i].fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP jpki_mock_http_requests_total HTTP requests by route and status.\n");
        out.push_str("# TYPE jpki_mock_http_requests_total counter\n");
        // (route, status, count), sorted as Prometheus readers expect.
        let mut rows: Vec<(Arc<str>, usize, u64)> = Vec::new();
        for entry in self.requests.iter() {
            for (index, counter) in entry.value().0.iter().enumerate() {
                let count = counter.load(Ordering::Relaxed);
                if count > 0 {
                    rows.push((entry.key().clone(), index + 100, count));
                }
            }
        }
        rows.sort();
        for (route, status, count) in rows {
            out.push_str(&format!(
                "jpki_mock_http_requests_total{{route=\"{}\",status=\"{status}\"}} {count}\n",
                route.replace('\\', "\\\\").replace('"', "\\\"")
            ));
        }
        out.push_str("# HELP jpki_mock_ocsp_answers_total OCSP answers: certificate statuses, or the response status when unsuccessful.\n");
        out.push_str("# TYPE jpki_mock_ocsp_answers_total counter\n");
        for (name, counter) in OCSP_ANSWER_NAMES.iter().zip(&self.ocsp_answers) {
            let count = counter.load(Ordering::Relaxed);
            if count > 0 {
                out.push_str(&format!(
                    "jpki_mock_ocsp_answers_total{{status=\"{name}\"}} {count}\n"
                ));
            }
        }
        out.push_str("# HELP jpki_mock_ocsp_cache_total Successful OCSP responses served from the cache (hit) or signed (miss).\n");
        out.push_str("# TYPE jpki_mock_ocsp_cache_total counter\n");
        out.push_str(&format!(
            "jpki_mock_ocsp_cache_total{{result=\"hit\"}} {}\n",
            self.ocsp_cache_hits.load(Ordering::Relaxed)
        ));
        out.push_str(&format!(
            "jpki_mock_ocsp_cache_total{{result=\"miss\"}} {}\n",
            self.ocsp_cache_misses.load(Ordering::Relaxed)
        ));
        out
    }
}

/// One OCSP or CRL request, as the request log keeps it.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RequestRecord {
    /// Wall-clock time the request arrived, RFC 3339 (real time, not the virtual clock).
    #[serde(rename = "time", with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: time::OffsetDateTime,
    /// The request id of the log line.
    pub request_id: u64,
    /// GET | POST.
    pub method: String,
    /// The path as requested.
    pub path: String,
    /// The matched route.
    pub route: String,
    /// The HTTP status.
    pub http_status: u16,
    /// OCSP: the CertIDs asked about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert_ids: Option<Vec<LoggedCertId>>,
    /// OCSP: whether a nonce was sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<bool>,
    /// OCSP: successful | malformedRequest | unauthorized | …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ocsp_status: Option<&'static str>,
    /// OCSP: good | revoked | unknown for each CertID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert_statuses: Option<Vec<&'static str>>,
}

/// The most recent OCSP and CRL requests: a ring of slots that requests fill in turn,
/// without a lock (each slot swaps its record atomically).
#[derive(Debug)]
pub struct RequestLog {
    slots: Box<[ArcSwapOption<RequestRecord>]>,
    next: AtomicUsize,
}

/// How many requests the log keeps.
pub const REQUEST_LOG_CAPACITY: usize = 10_000;

impl Default for RequestLog {
    fn default() -> Self {
        Self {
            slots: (0..REQUEST_LOG_CAPACITY)
                .map(|_| ArcSwapOption::empty())
                .collect(),
            next: AtomicUsize::new(0),
        }
    }
}

impl RequestLog {
    fn push(&self, record: RequestRecord) {
        let slot = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len();
        self.slots[slot].store(Some(Arc::new(record)));
    }

    /// The requests that asked about `serial` (if given) and arrived at or after
    /// `since` (if given), in the order they arrived.
    pub fn query(
        &self,
        serial: Option<u32>,
        since: Option<time::OffsetDateTime>,
    ) -> Vec<RequestRecord> {
        let mut found: Vec<RequestRecord> = self
            .slots
            .iter()
            .filter_map(|slot| slot.load_full())
            .filter(|r| since.is_none_or(|s| r.at >= s))
            .filter(|r| {
                serial.is_none_or(|wanted| {
                    r.cert_ids
                        .as_ref()
                        .is_some_and(|ids| ids.iter().any(|id| id.serial == Some(wanted)))
                })
            })
            .map(|r| (*r).clone())
            .collect();
        found.sort_by_key(|r| r.request_id);
        found
    }

    /// Forgets every request; returns how many there were.
    pub fn clear(&self) -> usize {
        self.slots
            .iter()
            .filter(|slot| slot.swap(None).is_some())
            .count()
    }
}

/// Statuses as the log line shows them: `good` or `good,revoked` (cheaper to write
/// than the Debug form of a list).
struct Joined<'a>(&'a [&'static str]);

impl std::fmt::Display for Joined<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, status) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(status)?;
        }
        Ok(())
    }
}

/// A request as it arrived, for its log line, its counters and the request log.
pub(super) struct Arrival {
    id: u64,
    started: Instant,
    at: time::OffsetDateTime,
    method: Method,
    uri: Uri,
}

impl Arrival {
    /// Numbers the request and notes when it arrived.
    pub(super) fn of<B>(state: &AppState, request: &axum::http::Request<B>) -> Self {
        Self {
            id: state
                .metrics()
                .next_request_id
                .fetch_add(1, Ordering::Relaxed)
                + 1,
            started: Instant::now(),
            at: time::OffsetDateTime::now_utc(),
            method: request.method().clone(),
            uri: request.uri().clone(),
        }
    }

    /// Logs, counts and (OCSP and CRL) keeps the answered request.
    pub(super) fn answered(self, state: &AppState, route: &str, response: &mut Response) {
        let status = response.status().as_u16();
        let ocsp = response.extensions_mut().remove::<OcspOutcome>();
        state.metrics().record(route, status, ocsp.as_ref());
        let micros = self.started.elapsed().as_micros();
        let (id, method) = (self.id, &self.method);
        match &ocsp {
            Some(o) => tracing::info!(
                request_id = id, %method, route, status, ocsp = o.response_status,
                cert_status = %Joined(&o.cert_statuses), cache_hit = o.cache_hit, micros,
                "request"
            ),
            None => tracing::info!(request_id = id, %method, route, status, micros, "request"),
        }
        if !route.starts_with("/ocsp") && !route.starts_with("/crl") {
            return;
        }
        let (cert_ids, nonce, ocsp_status, cert_statuses) = match ocsp {
            Some(o) => (
                Some(o.cert_ids),
                Some(o.nonce),
                Some(o.response_status),
                Some(o.cert_statuses),
            ),
            None => (None, None, None, None),
        };
        state.request_log().push(RequestRecord {
            at: self.at,
            request_id: id,
            method: method.to_string(),
            path: self.uri.path().to_string(),
            route: route.to_string(),
            http_status: status,
            cert_ids,
            nonce,
            ocsp_status,
            cert_statuses,
        });
    }
}

/// Logs one line per request and counts it.
pub async fn log_and_count(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let arrival = Arrival::of(&state, &request);
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let mut response = next.run(request).await;
    arrival.answered(&state, &route, &mut response);
    response
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics().render(),
    )
        .into_response()
}
