//! The one helper module of the integration tests.
//!
//! - [`Scratch`]: a temporary directory holding the state (`state/`) and scratch files,
//!   and the CLI runner on that state ([`Scratch::run`], [`Scratch::ok`],
//!   [`Scratch::json`]); [`command`] is the runner's `Command` for other states, stdin
//!   or extra environment. Every `JPKI_MOCK_*` variable of the developer's shell is
//!   removed from the child's environment.
//! - [`Client`] / [`Reply`]: one blocking client for the HTTP API, over TCP (reqwest)
//!   or without a socket through the router (`tower::ServiceExt::oneshot`), so that a
//!   test can run the same steps both ways.
//! - [`InProcess`]: the mock in-process ([`jpki_mock::TestCa`]) with its own runtime.
//! - [`Binary`]: `jpki-mock serve` as a child process on a free port.
//! - openssl runs, instants, PEM, OCSP requests built with x509-ocsp, and parsers of
//!   certificates, CRLs and OCSP responses independent of the crate.
//!
//! Only the library's root API (`jpki_mock::{TestCa, …}`) is used.
#![allow(dead_code)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use base64::Engine;
use der::{Decode, Encode};
use serde_json::{json, Value};
use sha2::Digest;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_jpki-mock");

/// The SQLite database in a state directory.
pub const DATABASE_FILE: &str = "jpki-mock.sqlite3";

/// OID of id-pkix-ocsp-nonce.
pub const OCSP_NONCE: &str = "1.3.6.1.5.5.7.48.1.2";
/// OID of id-pkix-ocsp-nocheck.
pub const OCSP_NOCHECK: &str = "1.3.6.1.5.5.7.48.1.5";
/// OID of id-kp-OCSPSigning.
pub const KP_OCSP_SIGNING: &str = "1.3.6.1.5.5.7.3.9";
/// OID of sha256WithRSAEncryption.
pub const SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";
/// OID of SHA-1.
pub const SHA1_OID: &str = "1.3.14.3.2.26";
/// OID of SHA-256.
pub const SHA256_OID: &str = "2.16.840.1.101.3.4.2.1";
/// OID of SHA-512 (not accepted in CertIDs).
pub const SHA512_OID: &str = "2.16.840.1.101.3.4.2.3";

// ---------------------------------------------------------------------------------
// Scratch directory, state and the CLI.

/// A temporary directory holding the state (`state/`) and scratch files.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Default for Scratch {
    fn default() -> Self {
        Self::new()
    }
}

impl Scratch {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The state directory (not created until the binary or a test CA uses it).
    pub fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// A path in the scratch directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a file in the scratch directory (creating its parents) and returns its
    /// path as a string, ready for an argument list.
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> String {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, bytes).unwrap();
        path.to_str().unwrap().to_string()
    }

    /// Runs the binary on this state; returns the output whatever the exit code.
    pub fn run(&self, args: &[&str]) -> Output {
        run(&self.state(), args)
    }

    /// Runs the binary on this state and requires success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        ok(&self.state(), args)
    }

    /// Runs the binary on this state and parses stdout as JSON.
    pub fn json(&self, args: &[&str]) -> Value {
        json_of(&self.state(), args)
    }

    /// Runs the binary on this state with its output on a terminal (`on_terminal`).
    pub fn on_terminal(&self, args: &[&str]) -> (bool, String) {
        on_terminal(&self.state(), args)
    }

    /// Writes a CA certificate (`sign` or `auth`) as PEM through the CLI; returns its
    /// path.
    pub fn ca_pem(&self, kind: &str) -> String {
        let path = self.path(&format!("ca-{kind}.pem"));
        self.ok(&["ca", kind, "--pem", "--out", p(&path)]);
        path.to_str().unwrap().to_string()
    }

    /// A digest of the state: two equal digests mean nothing changed.
    pub fn digest(&self) -> String {
        state_digest(&self.state())
    }
}

/// The binary as a `Command` on `state` (`--state <state>` first), with every
/// `JPKI_MOCK_*` variable of this process removed from the child's environment; add
/// arguments, stdin or variables as needed.
pub fn command(state: &Path) -> Command {
    let mut command = Command::new(BIN);
    clear_jpki_env(&mut command);
    command.arg("--state").arg(state);
    command
}

/// The binary as a `Command` on the store at `url` (`--store <url>` first: a
/// PostgreSQL URL, say), with every `JPKI_MOCK_*` variable removed as by [`command`].
pub fn store_command(url: &str) -> Command {
    let mut command = Command::new(BIN);
    clear_jpki_env(&mut command);
    command.arg("--store").arg(url);
    command
}

/// Removes every `JPKI_MOCK_*` variable of this process from a child's environment.
pub fn clear_jpki_env(command: &mut Command) {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("JPKI_MOCK_") {
            command.env_remove(name);
        }
    }
}

/// Runs the binary on `state`; returns the output whatever the exit code.
pub fn run(state: &Path, args: &[&str]) -> Output {
    command(state).args(args).output().unwrap()
}

/// Runs the binary on `state` with its output on a terminal (a pseudo-terminal that
/// util-linux's `script` opens); returns whether it succeeded and what the terminal
/// showed, stdout and stderr together, with "\r\n" read as "\n".
pub fn on_terminal(state: &Path, args: &[&str]) -> (bool, String) {
    let quote = |word: &str| format!("'{}'", word.replace('\'', r"'\''"));
    let line = std::iter::once(BIN)
        .chain(["--state", p(state)])
        .chain(args.iter().copied())
        .map(quote)
        .collect::<Vec<_>>()
        .join(" ");
    let mut script = Command::new("script");
    clear_jpki_env(&mut script);
    let output = script
        .args(["--quiet", "--return", "--command", &line, "/dev/null"])
        .output()
        .expect("util-linux `script` runs");
    let shown = String::from_utf8_lossy(&output.stdout).replace("\r\n", "\n");
    (output.status.success(), shown)
}

/// Runs the binary on `state` and requires success; returns stdout.
pub fn ok(state: &Path, args: &[&str]) -> String {
    let output = run(state, args);
    assert!(
        output.status.success(),
        "jpki-mock {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Runs the binary on `state` and parses stdout as JSON.
pub fn json_of(state: &Path, args: &[&str]) -> Value {
    let out = ok(state, args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {out}"))
}

/// The CLI issue arguments of a holder born 1990-10-01 in Shinagawa, at `now`.
pub fn adult(now: &str, key_alg: &str) -> Vec<String> {
    [
        "--now",
        now,
        "issue",
        "--name",
        "山田 太郎",
        "--birth",
        "1990-10-01",
        "--gender",
        "male",
        "--address",
        "東京都品川区広町2-1-36",
        "--sign-pin",
        "ABC123",
        "--auth-pin",
        "1234",
        "--key-alg",
        key_alg,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// The same holder's CLI issue arguments, living at another address.
pub fn adult_at(now: &str, key_alg: &str, address: &str) -> Vec<String> {
    let mut args = adult(now, key_alg);
    let at = args.iter().position(|a| a == "--address").unwrap() + 1;
    args[at] = address.into();
    args
}

/// The admin JSON body of the same holder, with PINs.
pub fn holder(key_alg: &str) -> Value {
    json!({
        "name": "山田 太郎",
        "birth": "1990-10-01",
        "gender": "male",
        "address": "東京都品川区広町2-1-36",
        "sign_pin": "ABC123",
        "auth_pin": "1234",
        "key_alg": key_alg,
    })
}

/// The holder as a library request (no PINs).
pub fn holder_request(key_alg: &str) -> jpki_mock::IssueRequest {
    jpki_mock::IssueRequest {
        name: "山田 太郎".into(),
        birth: "1990-10-01".into(),
        gender: "male".into(),
        address: "東京都品川区広町2-1-36".into(),
        key_alg: Some(key_alg.into()),
        ..jpki_mock::IssueRequest::default()
    }
}

pub fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// A path as `&str` (for argument lists).
pub fn p<P: AsRef<Path> + ?Sized>(path: &P) -> &str {
    path.as_ref().to_str().unwrap()
}

/// Every row of every table of a state's database, and every key file, as text: two
/// equal digests mean an unchanged state.
pub fn state_digest(state: &Path) -> String {
    let db = rusqlite::Connection::open(state.join(DATABASE_FILE)).unwrap();
    let tables: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!tables.is_empty(), "no tables in {}", state.display());
    let mut out = String::new();
    for table in tables {
        let mut statement = db
            .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY 1"))
            .unwrap();
        let columns = statement.column_count();
        let mut rows = statement.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            out.push_str(&table);
            for i in 0..columns {
                out.push_str(&format!(" {:?}", row.get_ref(i).unwrap()));
            }
            out.push('\n');
        }
    }
    let mut keys: Vec<PathBuf> = std::fs::read_dir(state)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "key"))
        .collect();
    keys.sort();
    for path in keys {
        out.push_str(&format!(
            "{} {:?}\n",
            path.display(),
            std::fs::read(&path).unwrap()
        ));
    }
    out
}

/// The rows of one SQL query on a state's database, each column as text.
pub fn query_rows(state: &Path, sql: &str) -> Vec<Vec<String>> {
    let db = rusqlite::Connection::open(state.join(DATABASE_FILE)).unwrap();
    let mut statement = db.prepare(sql).unwrap();
    let columns = statement.column_count();
    let mut rows = statement.query([]).unwrap();
    let mut out = Vec::new();
    while let Some(row) = rows.next().unwrap() {
        out.push(
            (0..columns)
                .map(|i| match row.get_ref(i).unwrap() {
                    rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).to_string(),
                    other => format!("{other:?}"),
                })
                .collect(),
        );
    }
    out
}

// ---------------------------------------------------------------------------------
// Instants.

/// The JST offset (UTC+9).
pub fn jst() -> time::UtcOffset {
    time::UtcOffset::from_hms(9, 0, 0).unwrap()
}

/// An instant as the mock parses it: RFC 3339, or a bare date meaning 00:00 JST.
pub fn instant(text: &str) -> OffsetDateTime {
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return t;
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text, &format)
        .unwrap_or_else(|_| panic!("{text:?} is neither RFC 3339 nor a date"));
    date.midnight().assume_offset(jst())
}

/// RFC 3339 in UTC, as the mock prints instants.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC).format(&Rfc3339).unwrap()
}

/// Seconds since the epoch of an RFC 3339 instant or a date (for openssl -attime).
pub fn epoch(text: &str) -> String {
    instant(text).unix_timestamp().to_string()
}

/// The real now, to the second.
pub fn now_seconds() -> OffsetDateTime {
    OffsetDateTime::now_utc().replace_nanosecond(0).unwrap()
}

/// The real now, RFC 3339 (UTC).
pub fn now_rfc3339() -> String {
    rfc3339(now_seconds())
}

/// Today in Japan.
pub fn today_jst() -> time::Date {
    OffsetDateTime::now_utc().to_offset(jst()).date()
}

/// An HTTP date (IMF-fixdate).
pub fn http_date(t: OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.to_offset(time::UtcOffset::UTC).format(&format).unwrap()
}

/// A strong ETag of a body as the server is expected to make it.
pub fn etag_of(body: &[u8]) -> String {
    format!("\"{}\"", hex::encode(&sha2::Sha256::digest(body)[..16]))
}

// ---------------------------------------------------------------------------------
// One client: over TCP or through the router.

/// A response, whatever it came through.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// A header's value (the first one), case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON; every JSON reply of the mock ends with a newline (so that
    /// `curl` output does not run into the prompt), and this checks it.
    pub fn json(&self) -> Value {
        let value = serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}), status {}: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        });
        assert!(
            self.body.ends_with(b"}\n") || self.body.ends_with(b"]\n"),
            "a JSON reply ends with one newline: {:?}",
            String::from_utf8_lossy(&self.body)
        );
        value
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).to_string()
    }
}

#[derive(Clone)]
enum Target {
    Tcp {
        base: String,
        http: reqwest::blocking::Client,
    },
    Router {
        router: axum::Router,
        runtime: tokio::runtime::Handle,
    },
}

/// A blocking client of the mock's HTTP API, over TCP or without a socket. Use it from
/// `#[test]` functions (not inside a tokio runtime).
#[derive(Clone)]
pub struct Client {
    target: Target,
    token: Option<String>,
}

impl Client {
    /// A client of a server listening at `base` (e.g. `http://127.0.0.1:8080`).
    pub fn tcp(base: &str) -> Self {
        Self {
            target: Target::Tcp {
                base: base.trim_end_matches('/').to_string(),
                // Redirects are answers to check, not to follow.
                http: reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(30))
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .unwrap(),
            },
            token: None,
        }
    }

    /// A client calling `router` with `tower::ServiceExt::oneshot` on `runtime`.
    pub fn router(router: axum::Router, runtime: tokio::runtime::Handle) -> Self {
        Self {
            target: Target::Router { router, runtime },
            token: None,
        }
    }

    /// The same client sending `Authorization: Bearer <token>` on every request.
    pub fn with_token(&self, token: &str) -> Self {
        Self {
            token: Some(token.to_string()),
            ..self.clone()
        }
    }

    /// The base URL over TCP; panics for a router client.
    pub fn base(&self) -> &str {
        match &self.target {
            Target::Tcp { base, .. } => base,
            Target::Router { .. } => panic!("a router client has no base URL"),
        }
    }

    /// Whether this client goes through a socket.
    pub fn is_tcp(&self) -> bool {
        matches!(self.target, Target::Tcp { .. })
    }

    /// Sends a request; `path` is the path and query, as is.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Vec<u8>>,
    ) -> Reply {
        self.try_send(method, path, headers, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// A GET that may fail in transport (a connection cut half-way, say).
    pub fn try_get(&self, path: &str) -> Result<Reply, String> {
        self.try_send("GET", path, &[], Vec::new())
    }

    /// Sends a request; a transport error (TCP: no complete response) is `Err`.
    pub fn try_send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Vec<u8>>,
    ) -> Result<Reply, String> {
        let bearer = self.token.as_ref().map(|t| format!("Bearer {t}"));
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        if let Some(bearer) = &bearer {
            all.push(("authorization", bearer));
        }
        match &self.target {
            Target::Tcp { base, http } => {
                let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
                let mut request = http
                    .request(method, format!("{base}{path}"))
                    .body(body.into());
                for (name, value) in &all {
                    request = request.header(*name, *value);
                }
                let response = request.send().map_err(|e| e.to_string())?;
                let status = response.status().as_u16();
                let headers = header_pairs(response.headers());
                let body = response.bytes().map_err(|e| format!("body: {e}"))?.to_vec();
                Ok(Reply {
                    status,
                    headers,
                    body,
                })
            }
            Target::Router { router, runtime } => {
                use tower::ServiceExt;
                let mut builder = axum::http::Request::builder().method(method).uri(path);
                for (name, value) in &all {
                    builder = builder.header(*name, *value);
                }
                let request = builder.body(axum::body::Body::from(body.into())).unwrap();
                let router = router.clone();
                runtime.block_on(async move {
                    let response = router.oneshot(request).await.map_err(|e| e.to_string())?;
                    let status = response.status().as_u16();
                    let headers = header_pairs(response.headers());
                    let body = axum::body::to_bytes(response.into_body(), 1 << 26)
                        .await
                        .map_err(|e| format!("body: {e}"))?
                        .to_vec();
                    Ok(Reply {
                        status,
                        headers,
                        body,
                    })
                })
            }
        }
    }

    pub fn get(&self, path: &str) -> Reply {
        self.send("GET", path, &[], Vec::new())
    }

    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.send("GET", path, headers, Vec::new())
    }

    /// An admin call with an optional JSON body (and the JSON content type).
    pub fn api(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        match body {
            Some(v) => self.send(
                method,
                path,
                &[("content-type", "application/json")],
                v.to_string(),
            ),
            None => self.send(method, path, &[], Vec::new()),
        }
    }

    /// Fixes the virtual clock.
    pub fn set_clock(&self, now: &str) {
        let reply = self.api("PUT", "/api/v1/clock", Some(json!({ "now": now })));
        assert_eq!(reply.status, 200, "{}", reply.text());
    }

    /// Issues a card through the admin API; returns the 201 body.
    pub fn issue(&self, body: Value) -> Value {
        let reply = self.api("POST", "/api/v1/cards", Some(body));
        assert_eq!(reply.status, 201, "{}", reply.text());
        reply.json()
    }

    /// A card's view through the admin API.
    pub fn card(&self, card: i64) -> Value {
        let reply = self.api("GET", &format!("/api/v1/cards/{card}"), None);
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.json()
    }

    /// Applies a cause through the admin API; returns the report.
    pub fn event(&self, card: i64, body: Value) -> Value {
        let reply = self.api("POST", &format!("/api/v1/cards/{card}/events"), Some(body));
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.json()
    }

    /// POSTs a DER OCSP request.
    pub fn ocsp_post(&self, path: &str, request: &[u8]) -> Reply {
        self.send(
            "POST",
            path,
            &[("content-type", "application/ocsp-request")],
            request.to_vec(),
        )
    }

    /// Fetches a CRL (`sign` or `auth`) and returns its DER.
    pub fn crl(&self, kind: &str) -> Vec<u8> {
        let reply = self.get(&format!("/crl/{kind}.crl"));
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.body
    }

    /// Waits until `/healthz` answers 200 (TCP; a router client answers at once).
    pub fn wait_healthy(&self) {
        let Target::Tcp { base, http } = &self.target else {
            return;
        };
        for _ in 0..200 {
            if http
                .get(format!("{base}/healthz"))
                .send()
                .is_ok_and(|r| r.status().is_success())
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the server at {base} did not come up");
    }
}

fn header_pairs(headers: &axum::http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect()
}

// ---------------------------------------------------------------------------------
// The mock in-process: `jpki_mock::TestCa` on its own runtime.

/// A [`jpki_mock::TestCa`] (served on an ephemeral port) with the runtime it runs on,
/// so that blocking tests, openssl and the CLI can use it. Stops on drop.
pub struct InProcess {
    ca: Option<jpki_mock::TestCa>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl InProcess {
    /// A test CA with its state in `state` (SQLite, so the CLI can read it), an
    /// optional admin token, and CAs created at `created` (default: the real now).
    pub fn start(state: &Path, token: Option<&str>, created: Option<OffsetDateTime>) -> Self {
        let mut builder = jpki_mock::TestCa::builder().state_dir(state);
        if let Some(token) = token {
            builder = builder.admin_token(token);
        }
        if let Some(created) = created {
            builder = builder.created_at(created);
        }
        Self::with(builder)
    }

    /// A test CA from a builder of the caller's choosing.
    pub fn with(builder: jpki_mock::TestCaBuilder) -> Self {
        let runtime = runtime();
        let ca = runtime.block_on(builder.start()).unwrap();
        let server = Self {
            ca: Some(ca),
            runtime: Some(runtime),
        };
        server.client().wait_healthy();
        server
    }

    /// The test CA, for its own methods (async ones through [`InProcess::block_on`]).
    pub fn ca(&self) -> &jpki_mock::TestCa {
        self.ca.as_ref().unwrap()
    }

    /// Runs a future (e.g. a [`jpki_mock::TestCa`] method) on the server's runtime.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.as_ref().unwrap().block_on(future)
    }

    pub fn base_url(&self) -> &str {
        self.ca().base_url()
    }

    pub fn router(&self) -> axum::Router {
        self.ca().router()
    }

    /// A client over TCP.
    pub fn client(&self) -> Client {
        Client::tcp(self.base_url())
    }

    /// A client without a socket (the router through `oneshot`).
    pub fn oneshot(&self) -> Client {
        Client::router(
            self.router(),
            self.runtime.as_ref().unwrap().handle().clone(),
        )
    }

    /// Both clients, TCP first, for steps to run both ways.
    pub fn clients(&self) -> [Client; 2] {
        [self.client(), self.oneshot()]
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        if let (Some(ca), Some(runtime)) = (self.ca.take(), self.runtime.as_ref()) {
            runtime.block_on(ca.stop());
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

/// A multi-threaded runtime of two workers (the machine has two cores).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------------
// The real binary as a server.

/// A free port on 127.0.0.1 (bound then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `jpki-mock serve` as a child process on a free port (initialising an empty state
/// with its base URL); killed on drop.
pub struct Binary {
    child: std::process::Child,
    pub base: String,
}

impl Binary {
    /// Serves `state`; `extra` are global arguments before `serve` (e.g. `--config`).
    pub fn start(state: &Path, extra: &[&str]) -> Self {
        Self::start_env(state, extra, &[])
    }

    /// As [`Binary::start`], with environment variables set for the child (after
    /// every inherited `JPKI_MOCK_*` is removed).
    pub fn start_env(state: &Path, extra: &[&str], env: &[(&str, &str)]) -> Self {
        Self::spawn(command(state), extra, env, Stdio::null(), None)
    }

    /// As [`Binary::start`], with the server's log (warnings and above) in `log`.
    pub fn start_logging(state: &Path, log: &Path) -> Self {
        let file = std::fs::File::create(log).unwrap();
        Self::spawn(command(state), &[], &[], Stdio::from(file), None)
    }

    /// One replica serving the state at `store` (`--store`: several replicas serve one
    /// PostgreSQL state), recording `base_url` (one for all the replicas, as a load
    /// balancer's would be; default: its own).
    pub fn start_replica(store: &str, base_url: Option<&str>) -> Self {
        Self::spawn(store_command(store), &[], &[], Stdio::null(), base_url)
    }

    fn spawn(
        mut command: Command,
        extra: &[&str],
        env: &[(&str, &str)],
        stderr: Stdio,
        base_url: Option<&str>,
    ) -> Self {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        command
            .args(extra)
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--base-url",
                base_url.unwrap_or(&base),
            ])
            .env("JPKI_MOCK_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(stderr);
        let child = command.spawn().unwrap();
        let server = Self { child, base };
        server.client().wait_healthy();
        server
    }

    pub fn client(&self) -> Client {
        Client::tcp(&self.base)
    }

    pub fn get(&self, path: &str) -> Reply {
        self.client().get(path)
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------
// openssl and PEM.

/// Runs openssl; returns whether it succeeded and stdout then stderr.
pub fn openssl(args: &[&str]) -> (bool, String) {
    let output = Command::new("openssl").args(args).output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).to_string()
            + &String::from_utf8_lossy(&output.stderr),
    )
}

/// `openssl ocsp`'s text for one certificate (PEM) of a CA (`sign` or `auth`), asked of
/// the server `c` serves and checked at `at` (RFC 3339, the mock's clock): the
/// "…: good" or "…: revoked" line, the reason and the revocation time.
pub fn openssl_ocsp(s: &Scratch, c: &Client, kind: &str, cert_pem: &str, at: &str) -> String {
    let ca = s.write(
        &format!("ca-{kind}.pem"),
        c.get(&format!("/ca/{kind}.pem")).body,
    );
    let cert = s.write("asked.pem", cert_pem);
    let url = format!("{}/ocsp/{kind}", c.base());
    let at = instant(at).unix_timestamp().to_string();
    let (ok, text) = openssl(&[
        "ocsp",
        "-issuer",
        &ca,
        "-cert",
        &cert,
        "-url",
        &url,
        "-CAfile",
        &ca,
        "-attime",
        &at,
        // The answer is dated by the mock's clock, not today's.
        "-validity_period",
        "31536000",
    ]);
    assert!(ok, "openssl ocsp failed: {text}");
    text
}

/// The revoked entries `openssl crl -text` lists: serial (hex, as printed) → reason.
pub fn openssl_crl_entries(text: &str) -> std::collections::BTreeMap<String, String> {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let mut entries = std::collections::BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        if let Some(serial) = line.strip_prefix("Serial Number: ") {
            let reason = lines[i + 1..]
                .iter()
                .take_while(|l| !l.starts_with("Serial Number: "))
                .skip_while(|l| **l != "X509v3 CRL Reason Code:")
                .nth(1)
                .unwrap_or(&"(none)");
            entries.insert(serial.to_string(), reason.to_string());
        }
    }
    entries
}

/// PEM of a DER blob.
pub fn to_pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// DER of the first PEM block in `text`.
pub fn from_pem(text: &str) -> Vec<u8> {
    let body: String = text
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .unwrap()
}

// ---------------------------------------------------------------------------------
// Certificates, CRLs and OCSP, parsed independently of the crate.

/// An unsigned big-endian integer (a serial) of at most 8 bytes.
fn be_u64(bytes: &[u8]) -> u64 {
    let bytes = match bytes {
        [0, rest @ ..] if !rest.is_empty() => rest,
        other => other,
    };
    assert!(bytes.len() <= 8, "over 64 bits: {}", hex::encode(bytes));
    bytes.iter().fold(0, |value, b| value << 8 | u64::from(*b))
}

/// The serial of a DER certificate.
pub fn serial_of_der(der: &[u8]) -> u32 {
    let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
    u32::try_from(be_u64(cert.raw_serial())).unwrap()
}

/// The serial of a PEM certificate.
pub fn serial_of_pem(pem: &str) -> u32 {
    serial_of_der(&from_pem(pem))
}

/// Splits a DER TLV at the start of `bytes`: (header length, content length).
pub fn tlv(bytes: &[u8]) -> (usize, usize) {
    let first = bytes[1];
    if first & 0x80 == 0 {
        return (2, usize::from(first));
    }
    let count = usize::from(first & 0x7f);
    let mut length = 0usize;
    for b in &bytes[2..2 + count] {
        length = length << 8 | usize::from(*b);
    }
    (2 + count, length)
}

/// The first element of a SEQUENCE, raw (e.g. tbsResponseData of a BasicOCSPResponse,
/// tbsCertList of a CRL).
pub fn first_element(sequence: &[u8]) -> &[u8] {
    let (header, _) = tlv(sequence);
    let inner = &sequence[header..];
    let (h, len) = tlv(inner);
    &inner[..h + len]
}

/// Verifies an RSA PKCS#1 v1.5 SHA-256 signature with the key of a SubjectPublicKeyInfo
/// (its BIT STRING contents, RSAPublicKey).
pub fn rsa_sha256_verifies(public_key_bits: &[u8], message: &[u8], signature: &[u8]) -> bool {
    use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public_key_bits)
        .verify(message, signature)
        .is_ok()
}

/// An issuer's CertID material.
pub struct IssuerHashes {
    pub name_sha1: Vec<u8>,
    pub key_sha1: Vec<u8>,
    pub name_sha256: Vec<u8>,
    pub key_sha256: Vec<u8>,
}

impl IssuerHashes {
    /// Hashes of a CA certificate (DER): its subject DN and its key BIT STRING contents.
    pub fn of(ca_der: &[u8]) -> Self {
        let ca = x509_cert::Certificate::from_der(ca_der).unwrap();
        let name = ca.tbs_certificate.subject.to_der().unwrap();
        let key = ca
            .tbs_certificate
            .subject_public_key_info
            .subject_public_key
            .raw_bytes()
            .to_vec();
        Self {
            name_sha1: sha1::Sha1::digest(&name).to_vec(),
            key_sha1: sha1::Sha1::digest(&key).to_vec(),
            name_sha256: sha2::Sha256::digest(&name).to_vec(),
            key_sha256: sha2::Sha256::digest(&key).to_vec(),
        }
    }

    /// Hashes of a PEM CA certificate.
    pub fn of_pem(ca_pem: &str) -> Self {
        Self::of(&from_pem(ca_pem))
    }

    /// A CertID for `serial`, SHA-1 or SHA-256, with NULL hash parameters (as openssl
    /// sends them) or none.
    pub fn cert_id(&self, sha256: bool, serial: u32, null_params: bool) -> x509_ocsp::CertId {
        let (oid, name, key) = if sha256 {
            (SHA256_OID, &self.name_sha256, &self.key_sha256)
        } else {
            (SHA1_OID, &self.name_sha1, &self.key_sha1)
        };
        cert_id_raw(oid, name, key, serial, null_params)
    }
}

/// A CertID from its parts.
pub fn cert_id_raw(
    hash_oid: &str,
    name_hash: &[u8],
    key_hash: &[u8],
    serial: u32,
    null_params: bool,
) -> x509_ocsp::CertId {
    x509_ocsp::CertId {
        hash_algorithm: spki::AlgorithmIdentifierOwned {
            oid: der::asn1::ObjectIdentifier::new_unwrap(hash_oid),
            parameters: null_params.then(|| der::asn1::AnyRef::NULL.into()),
        },
        issuer_name_hash: der::asn1::OctetString::new(name_hash.to_vec()).unwrap(),
        issuer_key_hash: der::asn1::OctetString::new(key_hash.to_vec()).unwrap(),
        serial_number: x509_cert::serial_number::SerialNumber::new(&serial.to_be_bytes()).unwrap(),
    }
}

/// The nonce extension (RFC 8954: extnValue holds an OCTET STRING of the nonce).
pub fn nonce_extension(nonce: &[u8]) -> x509_cert::ext::Extension {
    let inner = der::asn1::OctetString::new(nonce.to_vec())
        .unwrap()
        .to_der()
        .unwrap();
    x509_cert::ext::Extension {
        extn_id: der::asn1::ObjectIdentifier::new_unwrap(OCSP_NONCE),
        critical: false,
        extn_value: der::asn1::OctetString::new(inner).unwrap(),
    }
}

/// A DER OCSPRequest of these CertIDs, with a nonce if given.
pub fn ocsp_request(ids: &[x509_ocsp::CertId], nonce: Option<&[u8]>) -> Vec<u8> {
    ocsp_request_with(ids, nonce.map(|n| vec![nonce_extension(n)]))
}

/// A DER OCSPRequest of these CertIDs with these request extensions.
pub fn ocsp_request_with(
    ids: &[x509_ocsp::CertId],
    extensions: Option<Vec<x509_cert::ext::Extension>>,
) -> Vec<u8> {
    x509_ocsp::OcspRequest {
        tbs_request: x509_ocsp::TbsRequest {
            version: x509_ocsp::Version::V1,
            requestor_name: None,
            request_list: ids
                .iter()
                .map(|id| x509_ocsp::Request {
                    req_cert: id.clone(),
                    single_request_extensions: None,
                })
                .collect(),
            request_extensions: extensions,
        },
        optional_signature: None,
    }
    .to_der()
    .unwrap()
}

/// A parsed OCSPResponse: its status and, when successful, the BasicOCSPResponse and
/// the raw bytes of the BasicOCSPResponse.
pub struct ParsedOcsp {
    pub status: x509_ocsp::OcspResponseStatus,
    pub basic: Option<x509_ocsp::BasicOcspResponse>,
    pub basic_der: Vec<u8>,
}

pub fn parse_ocsp(der: &[u8]) -> ParsedOcsp {
    let response = x509_ocsp::OcspResponse::from_der(der)
        .unwrap_or_else(|e| panic!("not an OCSPResponse ({e}): {}", hex::encode(der)));
    match response.response_bytes {
        None => ParsedOcsp {
            status: response.response_status,
            basic: None,
            basic_der: Vec::new(),
        },
        Some(bytes) => {
            assert_eq!(bytes.response_type.to_string(), "1.3.6.1.5.5.7.48.1.1");
            let basic_der = bytes.response.as_bytes().to_vec();
            ParsedOcsp {
                status: response.response_status,
                basic: Some(x509_ocsp::BasicOcspResponse::from_der(&basic_der).unwrap()),
                basic_der,
            }
        }
    }
}

/// The responseStatus of a DER OCSPResponse.
pub fn ocsp_status(der: &[u8]) -> x509_ocsp::OcspResponseStatus {
    parse_ocsp(der).status
}

/// The certificate statuses of a successful response, as `good`, `revoked:<reason>`
/// or `unknown`, in order.
pub fn statuses(der: &[u8]) -> Vec<String> {
    let parsed = parse_ocsp(der);
    assert_eq!(
        parsed.status,
        x509_ocsp::OcspResponseStatus::Successful,
        "the response is not successful"
    );
    parsed
        .basic
        .unwrap()
        .tbs_response_data
        .responses
        .iter()
        .map(|r| match &r.cert_status {
            x509_ocsp::CertStatus::Good(_) => "good".to_string(),
            x509_ocsp::CertStatus::Unknown(_) => "unknown".to_string(),
            x509_ocsp::CertStatus::Revoked(info) => format!(
                "revoked:{}",
                info.revocation_reason
                    .map(|r| format!("{r:?}"))
                    .unwrap_or_else(|| "none".into())
            ),
        })
        .collect()
}

/// The revoked entries of a DER CRL: (serial, reason code, revocation date as Unix
/// seconds), in CRL order.
pub fn crl_entries(der: &[u8]) -> Vec<(u32, Option<u8>, i64)> {
    let (_, crl) = x509_parser::parse_x509_crl(der).unwrap();
    crl.iter_revoked_certificates()
        .map(|e| {
            (
                u32::try_from(be_u64(e.raw_serial())).unwrap(),
                e.reason_code().map(|(_, code)| code.0),
                e.revocation_date.timestamp(),
            )
        })
        .collect()
}

/// The cRLNumber of a DER CRL.
pub fn crl_number(der: &[u8]) -> u64 {
    let (_, crl) = x509_parser::parse_x509_crl(der).unwrap();
    let number = crl.crl_number().expect("a cRLNumber");
    let digits = number.to_u64_digits();
    assert!(digits.len() <= 1, "cRLNumber over 64 bits");
    digits.first().copied().unwrap_or(0)
}

/// thisUpdate and nextUpdate of a DER CRL, Unix seconds.
pub fn crl_times(der: &[u8]) -> (i64, i64) {
    let (_, crl) = x509_parser::parse_x509_crl(der).unwrap();
    (
        crl.last_update().timestamp(),
        crl.next_update().expect("a nextUpdate").timestamp(),
    )
}
/// Every file below `dir` that `keep` accepts, as (path relative to `dir`, bytes),
/// sorted: two equal lists mean two byte-identical trees.
pub fn files_under(dir: &Path, keep: impl Fn(&Path) -> bool) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if keep(&path) {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                files.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

/// A certificate's subjectKeyIdentifier, read with x509-parser.
pub fn subject_key_id(cert: &x509_parser::prelude::X509Certificate<'_>) -> Vec<u8> {
    use x509_parser::extensions::ParsedExtension;
    cert.extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(ki) => Some(ki.0.to_vec()),
            _ => None,
        })
        .expect("the certificate has an SKI")
}
