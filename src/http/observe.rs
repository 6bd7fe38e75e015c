//! Observability: one log line per request (request id, route, status, OCSP outcome,
//! duration) and Prometheus metrics at `GET /metrics`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::ocsp::{LoggedCertId, OcspOutcome};

/// Request and OCSP counters.
#[derive(Debug, Default)]
pub struct Metrics {
    next_request_id: AtomicU64,
    requests: Mutex<BTreeMap<String, BTreeMap<u16, u64>>>,
    ocsp_statuses: Mutex<BTreeMap<&'static str, u64>>,
    ocsp_cache_hits: AtomicU64,
    ocsp_cache_misses: AtomicU64,
}

impl Metrics {
    fn record(&self, route: &str, status: u16, ocsp: Option<&OcspOutcome>) {
        if let Ok(mut requests) = self.requests.lock() {
            // Look up by &str first: no allocation once a route has been seen.
            match requests.get_mut(route) {
                Some(by_status) => *by_status.entry(status).or_default() += 1,
                None => {
                    requests.insert(route.to_string(), BTreeMap::from([(status, 1)]));
                }
            }
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
        if let Ok(mut statuses) = self.ocsp_statuses.lock() {
            if ocsp.cert_statuses.is_empty() {
                *statuses.entry(ocsp.response_status).or_default() += 1;
            }
            for status in &ocsp.cert_statuses {
                *statuses.entry(status).or_default() += 1;
            }
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP jpki_mock_http_requests_total HTTP requests by route and status.\n");
        out.push_str("# TYPE jpki_mock_http_requests_total counter\n");
        if let Ok(requests) = self.requests.lock() {
            let rows = requests
                .iter()
                .flat_map(|(route, by_status)| by_status.iter().map(move |(s, c)| (route, s, c)));
            for (route, status, count) in rows {
                out.push_str(&format!(
                    "jpki_mock_http_requests_total{{route=\"{}\",status=\"{status}\"}} {count}\n",
                    route.replace('\\', "\\\\").replace('"', "\\\"")
                ));
            }
        }
        out.push_str("# HELP jpki_mock_ocsp_answers_total OCSP answers: certificate statuses, or the response status when unsuccessful.\n");
        out.push_str("# TYPE jpki_mock_ocsp_answers_total counter\n");
        if let Ok(statuses) = self.ocsp_statuses.lock() {
            for (status, count) in statuses.iter() {
                out.push_str(&format!(
                    "jpki_mock_ocsp_answers_total{{status=\"{status}\"}} {count}\n"
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
#[derive(Clone, Debug, serde::Serialize)]
pub struct RequestRecord {
    /// Wall-clock time the request arrived, RFC 3339 (real time, not the virtual clock).
    #[serde(rename = "time", with = "time::serde::rfc3339")]
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

/// The most recent OCSP and CRL requests, oldest first.
#[derive(Debug, Default)]
pub struct RequestLog {
    entries: Mutex<std::collections::VecDeque<RequestRecord>>,
}

/// How many requests the log keeps.
pub const REQUEST_LOG_CAPACITY: usize = 10_000;

impl RequestLog {
    fn push(&self, record: RequestRecord) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() == REQUEST_LOG_CAPACITY {
                entries.pop_front();
            }
            entries.push_back(record);
        }
    }

    /// The requests that asked about `serial` (if given) and arrived at or after
    /// `since` (if given).
    pub fn query(
        &self,
        serial: Option<u32>,
        since: Option<time::OffsetDateTime>,
    ) -> Vec<RequestRecord> {
        let Ok(entries) = self.entries.lock() else {
            return Vec::new();
        };
        entries
            .iter()
            .filter(|r| since.is_none_or(|s| r.at >= s))
            .filter(|r| {
                serial.is_none_or(|wanted| {
                    r.cert_ids
                        .as_ref()
                        .is_some_and(|ids| ids.iter().any(|id| id.serial == Some(wanted)))
                })
            })
            .cloned()
            .collect()
    }

    /// Forgets every request; returns how many there were.
    pub fn clear(&self) -> usize {
        self.entries.lock().map_or(0, |mut e| {
            let n = e.len();
            e.clear();
            n
        })
    }
}

/// Logs one line per request and counts it.
pub async fn log_and_count(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let id = state
        .metrics()
        .next_request_id
        .fetch_add(1, Ordering::Relaxed)
        + 1;
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let arrived = time::OffsetDateTime::now_utc();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let mut response = next.run(request).await;
    let status = response.status().as_u16();
    let ocsp = response.extensions_mut().remove::<OcspOutcome>();
    state.metrics().record(&route, status, ocsp.as_ref());
    let micros = started.elapsed().as_micros();
    match &ocsp {
        Some(o) => tracing::info!(
            request_id = id, %method, route, status, ocsp = o.response_status,
            cert_status = ?o.cert_statuses, cache_hit = o.cache_hit, micros,
            "request"
        ),
        None => tracing::info!(request_id = id, %method, route, status, micros, "request"),
    }
    if route.starts_with("/ocsp") || route.starts_with("/crl") {
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
            at: arrived,
            request_id: id,
            method: method.to_string(),
            path,
            route,
            http_status: status,
            cert_ids,
            nonce,
            ocsp_status,
            cert_statuses,
        });
    }
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
