//! Shared set-up of the fuzz targets: one jpki-mock state per fuzzing process, made
//! deterministic (seeded keys, frozen clock, P-256), so that the committed OCSP seeds
//! (made by `fuzz/make-seeds.sh` with the same seed, clock and configuration) name
//! this CA's certificates and reach the signing path instead of `unauthorized`.
//!
//! The router is the real HTTP surface: requests go through `tower::ServiceExt::oneshot`
//! on a current-thread tokio runtime, exactly as hyper would hand them over.

use std::path::PathBuf;
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Method, Request};
use axum::Router;
use jpki_mock::internals::{
    parse_instant, router, AppState, Authority, CardRequest, Options, RevokeRequest,
    SqliteStore, DEFAULT_TOML,
};
use jpki_mock::{CardId, Cause, Config, IssueRequest};
use tower::ServiceExt;

/// The key seed (the same as `make-seeds.sh` passes with `--seed`).
pub const SEED: &str = "jpki-mock-fuzz";
/// The frozen clock (the same as `make-seeds.sh` passes with `--now`).
pub const NOW: &str = "2024-04-01T10:00:00+09:00";
/// The recorded base URL.
pub const BASE_URL: &str = "http://127.0.0.1:8080";

/// The fuzzing configuration: the committed default with P-256 keys (fast signing).
pub fn config_text() -> String {
    DEFAULT_TOML.replace("key_alg = \"rsa2048\"", "key_alg = \"p256\"")
}

/// The app and the runtime that drives it.
pub struct Harness {
    /// A current-thread runtime (its blocking pool runs the SQLite work).
    pub runtime: tokio::runtime::Runtime,
    /// The router over a temporary state.
    pub router: Router,
    /// The state directory (on tmpfs when available), kept for the process' life.
    pub state_dir: PathBuf,
}

fn state_dir() -> PathBuf {
    let base = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!("jpki-mock-fuzz-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The state every target starts from: both CAs, card 1 (both certificates good),
/// card 2 (revoked, leak), card 3 (good, with PINs for the virtual-card routes).
fn build() -> Harness {
    let dir = state_dir();
    let config = Config::from_toml(&config_text()).expect("the fuzz configuration parses");
    let options = Options {
        now: Some(parse_instant(NOW).expect("NOW parses")),
        key_seed: Some(SEED.to_string()),
    };
    let mut store = SqliteStore::create(&dir).expect("state directory");
    Authority::init(&mut store, &config, &options, Some(BASE_URL), None).expect("init");
    let mut authority = Authority::open(Box::new(store), config, options).expect("open");
    for name in ["山田 太郎", "佐藤 花子", "鈴木 一郎"] {
        let holder = IssueRequest {
            name: name.to_string(),
            birth: "1990-10-01".into(),
            gender: "male".into(),
            address: "東京都品川区広町2-1-36".into(),
            sign_pin: Some("ABC123".into()),
            auth_pin: Some("1234".into()),
            key_alg: Some("p256".into()),
            ..IssueRequest::default()
        };
        let request = CardRequest::try_from(&holder).expect("a valid holder");
        authority.issue(&request).expect("issue");
    }
    authority
        .revoke(
            CardId(2),
            &RevokeRequest {
                cause: Cause::Leak,
                certs: None,
                at: None,
                platform: None,
            },
        )
        .expect("revoke");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let router = router(AppState::new(authority, None));
    // The state directory is removed when the process exits normally; a crash leaves
    // it behind in /dev/shm (jpki-mock-fuzz-PID), which fuzz.sh cleans up.
    Harness {
        runtime,
        router,
        state_dir: dir,
    }
}

/// The process-wide harness, built on first use.
pub fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(build)
}

/// Sends one request through the router and reads the whole response body. Returns
/// the status, or `None` when `uri` is not a valid request target (the HTTP layer
/// would have refused it before the router).
pub fn call(
    method: Method,
    uri: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Option<(u16, Vec<u8>)> {
    let h = harness();
    let mut builder = Request::builder().method(method).uri(uri);
    if let Some(ct) = content_type {
        builder = builder.header("content-type", ct);
    }
    let request = builder.body(Body::from(body)).ok()?;
    let router = h.router.clone();
    let (status, bytes) = h.runtime.block_on(async move {
        let response = router.oneshot(request).await.expect("the router is infallible");
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("a response body reads");
        (status, bytes.to_vec())
    });
    // Invariants of the HTTP surface: no 5xx for any input (a 500 means an internal
    // error escaped: a panic in a blocking task, a poisoned lock, a store failure).
    assert!(
        status < 500,
        "{uri}: HTTP {status}: {}",
        String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
    );
    Some((status, bytes))
}

/// The responseStatus of a DER OCSPResponse (`SEQUENCE { ENUMERATED … }`), or
/// `None` when the bytes do not start like one.
pub fn ocsp_response_status(der: &[u8]) -> Option<u8> {
    if der.first()? != &0x30 {
        return None;
    }
    let skip = match *der.get(1)? {
        n if n < 0x80 => 2,
        n => 2 + (n & 0x7f) as usize,
    };
    match der.get(skip..skip + 3)? {
        [0x0a, 0x01, status] => Some(*status),
        _ => None,
    }
}
