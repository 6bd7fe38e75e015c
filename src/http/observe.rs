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

/// What an OCSP handler answered, attached to its response for the log and metrics.
#[derive(Clone, Debug, Default)]
pub struct OcspOutcome {
    /// `successful`, `malformedRequest`, `unauthorized`, …
    pub response_status: &'static str,
    /// good / revoked / unknown per CertID (successful responses).
    pub cert_statuses: Vec<&'static str>,
    /// Whether the response came from the cache.
    pub cache_hit: bool,
}

/// Request and OCSP counters.
#[derive(Debug, Default)]
pub struct Metrics {
    next_request_id: AtomicU64,
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    ocsp_statuses: Mutex<BTreeMap<&'static str, u64>>,
    ocsp_cache_hits: AtomicU64,
    ocsp_cache_misses: AtomicU64,
}

impl Metrics {
    fn record(&self, route: &str, status: u16, ocsp: Option<&OcspOutcome>) {
        if let Ok(mut requests) = self.requests.lock() {
            *requests.entry((route.to_string(), status)).or_default() += 1;
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
            for ((route, status), count) in requests.iter() {
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
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let ocsp = response.extensions().get::<OcspOutcome>();
    state.metrics().record(&route, status, ocsp);
    let micros = started.elapsed().as_micros();
    match ocsp {
        Some(o) => tracing::info!(
            request_id = id, %method, route, status, ocsp = o.response_status,
            cert_status = %o.cert_statuses.join(","), cache_hit = o.cache_hit, micros,
            "request"
        ),
        None => tracing::info!(request_id = id, %method, route, status, micros, "request"),
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
