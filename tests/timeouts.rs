//! Slow and half-open connections are cut off by the header read timeout, and the
//! server keeps serving everyone else.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use jpki_mock::config::Config;
use jpki_mock::testca::TestCa;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_connection_is_closed_and_others_are_served() {
    let config = Config::from_toml(
        "[server]\nheader_read_timeout_seconds = 1\n[profile]\nkey_alg = \"p256\"\n",
    )
    .unwrap();
    let ca = TestCa::builder().config(config).start().await.unwrap();
    let address = ca.base_url().trim_start_matches("http://").to_string();
    let base = ca.base_url().to_string();
    let (closed_after, healthy) = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let mut slow = std::net::TcpStream::connect(&address).unwrap();
        slow.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        // Half the headers, then silence.
        slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .unwrap();
        let healthy = reqwest::blocking::get(format!("{base}/healthz"))
            .unwrap()
            .status()
            .as_u16();
        let mut buffer = Vec::new();
        let _ = slow.read_to_end(&mut buffer); // returns when the server closes
        (started.elapsed(), healthy)
    })
    .await
    .unwrap();
    assert_eq!(healthy, 200, "others are served while one client stalls");
    assert!(
        closed_after >= Duration::from_millis(900),
        "{closed_after:?}"
    );
    assert!(
        closed_after < Duration::from_secs(8),
        "closed by the 1 s timeout, not the read timeout: {closed_after:?}"
    );
    ca.stop().await;
}
