//! Slow and half-open connections are cut off by the header read timeout, and the
//! server keeps serving everyone else; a client that goes on sending a refused (413)
//! body is cut off by the lingering close's byte and time limits.

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

/// Starts a P-256 test CA (fast to set up) and opens a socket to it that has sent the
/// headers of a 1 GB JSON body to the admin API (far over its 64 KiB limit).
async fn refused_upload() -> (TestCa, std::net::TcpStream) {
    let config = Config::from_toml("[profile]\nkey_alg = \"p256\"\n").unwrap();
    let ca = TestCa::builder().config(config).start().await.unwrap();
    let address = ca.base_url().trim_start_matches("http://").to_string();
    let mut socket = std::net::TcpStream::connect(&address).unwrap();
    socket
        .write_all(
            b"POST /api/v1/cards HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 1000000000\r\n\r\n",
        )
        .unwrap();
    (ca, socket)
}

/// After a 413 the server reads and discards the rest of the body so that the client
/// can read the 413, but not forever: a client that keeps sending as fast as it can is
/// cut off after `LINGER_MAX_BYTES` (plus what the socket buffers hold).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_keeps_sending_a_refused_body_is_cut_off_by_bytes() {
    use jpki_mock::internals::{LINGER_MAX_BYTES, LINGER_MAX_TIME};
    let (ca, mut socket) = refused_upload().await;
    let (sent, failed, elapsed) = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let block = vec![b'0'; 1 << 20];
        let mut sent = 0usize;
        let mut failed = None;
        while sent < 400 << 20 && started.elapsed() < Duration::from_secs(60) {
            match socket.write_all(&block) {
                Ok(()) => sent += block.len(),
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        (sent, failed, started.elapsed())
    })
    .await
    .unwrap();
    let failed =
        failed.unwrap_or_else(|| panic!("{sent} bytes sent in {elapsed:?}, never cut off"));
    assert!(
        matches!(
            failed.kind(),
            std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
        ),
        "{failed:?}"
    );
    // The limit, 64 KiB read as the body, and at most a few tens of MB in the two
    // sockets' buffers.
    assert!(
        sent < LINGER_MAX_BYTES + (64 << 20),
        "{sent} bytes sent before the cut-off"
    );
    assert!(
        elapsed < LINGER_MAX_TIME + Duration::from_secs(10),
        "{elapsed:?}"
    );
    ca.stop().await;
}

/// A client that trickles a refused body (never idle long enough to be dropped for it)
/// reads the 413 at once and is cut off after `LINGER_MAX_TIME`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_trickles_a_refused_body_is_cut_off_by_time() {
    use jpki_mock::internals::{LINGER_IDLE, LINGER_MAX_TIME};
    let (ca, mut socket) = refused_upload().await;
    let (head, cut_off_after) = tokio::task::spawn_blocking(move || {
        socket.write_all(&vec![b'0'; 70 * 1024]).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut head = [0u8; 12];
        socket.read_exact(&mut head).unwrap();
        let answered = Instant::now();
        let pause = LINGER_IDLE / 4;
        while answered.elapsed() < LINGER_MAX_TIME + Duration::from_secs(30) {
            if socket.write_all(&[b'0'; 1024]).is_err() {
                return (head, Some(answered.elapsed()));
            }
            std::thread::sleep(pause);
        }
        (head, None)
    })
    .await
    .unwrap();
    assert_eq!(&head, b"HTTP/1.1 413", "{}", String::from_utf8_lossy(&head));
    let cut_off_after = cut_off_after.expect("the trickling client was never cut off");
    assert!(
        cut_off_after >= LINGER_MAX_TIME - Duration::from_secs(1),
        "cut off after {cut_off_after:?}, before the time limit"
    );
    assert!(
        cut_off_after < LINGER_MAX_TIME + Duration::from_secs(5),
        "cut off after {cut_off_after:?}"
    );
    ca.stop().await;
}
