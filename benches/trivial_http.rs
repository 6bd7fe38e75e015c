//! The ceiling for `scripts/bench-ocsp.sh`: a trivial hyper server (the same HTTP
//! stack and runtime as `jpki-mock serve`) that reads each request's body and answers
//! with fixed bytes, doing nothing else. Whatever a responder loses against it is the
//! responder's own cost.
//!
//! Usage: cargo bench --bench trivial_http -- PORT BODY_FILE

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::body::Body;
use axum::http::{header, Request, Response};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let (Some(port), Some(file)) = (args.first(), args.get(1)) else {
        eprintln!("usage: trivial_http PORT BODY_FILE");
        std::process::exit(2);
    };
    let port: u16 = port.parse().expect("a port number");
    let answer = bytes::Bytes::from(std::fs::read(file).expect("the body file"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
            .await
            .expect("the port is free");
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let answer = answer.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                    let answer = answer.clone();
                    async move {
                        // Read the request as a responder must, then answer.
                        let _ =
                            axum::body::to_bytes(Body::new(request.into_body()), 64 * 1024).await;
                        let mut response = Response::new(Body::from(answer));
                        response.headers_mut().insert(
                            header::CONTENT_TYPE,
                            header::HeaderValue::from_static("application/ocsp-response"),
                        );
                        Ok::<_, Infallible>(response)
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}
