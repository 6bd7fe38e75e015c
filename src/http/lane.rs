//! The OCSP lane. While no fault is in force, an OCSP request that the router would
//! hand straight to its handler skips the router and its layers (routing, the fault and
//! timeout layers, a boxed future per layer): the same handler code answers it, and it
//! is logged and counted as every request is. Everything else, including every OCSP
//! request the router would refuse (wrong method or media type, a body too large or of
//! unknown length), goes to the router.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::response::Response;
use axum::Router;
use tower::ServiceExt;

use super::error::plain;
use super::observe::Arrival;
use super::{media_type, ocsp, router, tenants, AppState, REQUEST_TIMEOUT};

/// The server's service: the lane in front of the router (hyper clones it for every
/// request: one reference count).
#[derive(Clone)]
pub struct Lane(Arc<(AppState, Router)>);

impl Lane {
    /// The lane and the router over one server state.
    pub fn new(state: AppState) -> Self {
        Self(Arc::new((state.clone(), router(state))))
    }

    /// The server state it serves.
    pub fn state(&self) -> &AppState {
        &self.0 .0
    }
}

/// The OCSP route a request takes in the lane, if it may.
fn lane_route<B>(state: &AppState, request: &Request<B>) -> Option<&'static str> {
    if state.faults_armed() {
        return None;
    }
    let path = request.uri().path();
    match *request.method() {
        Method::POST => {
            let route = ocsp::POST_ROUTES.into_iter().find(|r| *r == path)?;
            let headers = request.headers();
            let length: usize = headers
                .get(header::CONTENT_LENGTH)?
                .to_str()
                .ok()?
                .parse()
                .ok()?;
            let ocsp_request = media_type(headers).as_deref() == Some("application/ocsp-request");
            (ocsp_request && length <= ocsp::MAX_REQUEST_BYTES).then_some(route)
        }
        Method::GET => (path.len() > "/ocsp/".len()
            && path.starts_with("/ocsp/")
            && path.len() <= ocsp::MAX_GET_PATH)
            .then_some(ocsp::GET_ROUTE),
        _ => None,
    }
}

async fn answer<B>(
    state: AppState,
    route: &'static str,
    request: Request<B>,
) -> Result<Response, Infallible>
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    let arrival = Arrival::of(&state, &request);
    let (parts, body) = request.into_parts();
    let path = parts.uri.path();
    let mut response = if route == ocsp::GET_ROUTE {
        ocsp::get_response(&state, path, &parts.headers)
    } else {
        let read = axum::body::to_bytes(Body::new(body), ocsp::MAX_REQUEST_BYTES);
        match tokio::time::timeout(REQUEST_TIMEOUT, read).await {
            Ok(Ok(body)) => ocsp::post_response(&state, path, &parts.headers, &body),
            Ok(Err(_)) => plain(StatusCode::BAD_REQUEST, "cannot read the request body"),
            Err(_) => plain(
                StatusCode::REQUEST_TIMEOUT,
                "the request body came too slowly",
            ),
        }
    };
    arrival.answered(&state, route, &mut response);
    Ok(response)
}

impl<B> tower::Service<Request<B>> for Lane
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let (state, router) = &*self.0;
        if let Some(tenants) = state.tenants() {
            if request.uri().path().starts_with(tenants::TENANT_PREFIX) {
                let tenants = tenants.clone();
                return Box::pin(async move { Ok(tenants::dispatch(tenants, request).await) });
            }
        }
        match lane_route(state, &request) {
            Some(route) => Box::pin(answer(state.clone(), route, request)),
            None => Box::pin(router.clone().oneshot(request.map(Body::new))),
        }
    }
}
