//! Slow and half-open connections are cut off by the header read timeout, and the
//! server keeps serving everyone else.

mod support;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use jpki_mock::{Config, TestCa};
use support::InProcess;

#[test]
fn a_slowloris_connection_is_closed_and_others_are_served() {
    let config = Config::from_toml(
        "[server]\nheader_read_timeout_seconds = 1\n[profile]\nkey_alg = \"p256\"\n",
    )
    .unwrap();
    let server = InProcess::with(TestCa::builder().config(config));
    let address = server.base_url().trim_start_matches("http://").to_string();
    let started = Instant::now();
    let mut slow = std::net::TcpStream::connect(&address).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // Half the headers, then silence.
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let healthy = server.client().get("/healthz").status;
    let mut buffer = Vec::new();
    let _ = slow.read_to_end(&mut buffer); // returns when the server closes
    let closed_after = started.elapsed();
    assert_eq!(healthy, 200, "others are served while one client stalls");
    assert!(
        closed_after >= Duration::from_millis(900),
        "{closed_after:?}"
    );
    assert!(
        closed_after < Duration::from_secs(8),
        "closed by the 1 s timeout, not the read timeout: {closed_after:?}"
    );
}
