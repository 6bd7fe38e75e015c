//! What happens after a request body is refused as too large (413): the client must be
//! able to read the 413, even one that sends its whole body before it reads a byte of
//! the response (Python's `urllib`, `http.client`).
//!
//! The 413 is decided after 64 KiB; the rest of the body is still on its way. hyper
//! writes the response, shuts down the write half and drops the socket, and closing a
//! socket with unread bytes in its receive buffer makes the kernel send an RST instead
//! of a FIN. The client, still sending, gets `EPIPE`/`ECONNRESET` on its next write,
//! and the RST also throws away the 413 waiting in its receive buffer: it never sees it.
//!
//! The fix is the lingering close of RFC 9112 §9.6 (as in Apache and nginx), on every
//! connection rather than only after a 413, so that hyper's own early closes (a 431,
//! a timed-out request) get it too: the socket is wrapped in a [`LingeringStream`] that
//! hands it back when hyper drops it; [`close_lingering`] then shuts down the write half
//! (a FIN: the response is complete, and a waiting client sees EOF at once) and reads
//! and discards what the client still sends until it closes its side, and only then
//! closes: with nothing unread there is no RST, and the client, having sent everything,
//! reads the 413. The work is bounded: at most [`LINGER_MAX_BYTES`] are discarded, for at
//! most [`LINGER_MAX_TIME`] in all, and a client silent for [`LINGER_IDLE`] is dropped;
//! past a bound the socket is closed (an RST, as before), so a client that sends forever
//! cannot keep a task alive. A client that has already closed costs one read.
//!
//! Why not drain the body inside the service before answering: the 413 would wait for
//! the upload, would be lost anyway when hyper closes early for its own reasons, and a
//! client that sent `Expect: 100-continue` would be told to send the body after all.
//!
//! And 413 responses say `Connection: close` ([`close_after_413`]): the connection will
//! not carry another request, and a client must not put it back in its pool.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::time::Instant;

/// Most bytes read and discarded from a connection after its response (over 11 MB,
/// with room to spare, so that a client sending a large file reads the 413).
pub const LINGER_MAX_BYTES: usize = 32 * 1024 * 1024;
/// Longest time a connection lingers after its response.
pub const LINGER_MAX_TIME: Duration = Duration::from_secs(5);
/// A lingering connection on which the client sends nothing for this long is closed.
pub const LINGER_IDLE: Duration = Duration::from_secs(2);

/// A TCP stream for hyper that, when hyper drops it, is handed back to
/// [`close_lingering`] instead of being closed.
pub struct LingeringStream {
    stream: Option<TcpStream>,
    back: Option<oneshot::Sender<TcpStream>>,
}

/// The stream handed back when hyper has done with it.
pub struct Returned(oneshot::Receiver<TcpStream>);

impl LingeringStream {
    /// Wraps `stream`; `Returned` receives it back when the wrapper is dropped.
    pub fn new(stream: TcpStream) -> (Self, Returned) {
        let (back, returned) = oneshot::channel();
        (
            Self {
                stream: Some(stream),
                back: Some(back),
            },
            Returned(returned),
        )
    }

    fn stream(self: Pin<&mut Self>) -> Pin<&mut TcpStream> {
        Pin::new(
            self.get_mut()
                .stream
                .as_mut()
                .expect("the stream is there until the wrapper is dropped"),
        )
    }
}

impl Drop for LingeringStream {
    fn drop(&mut self) {
        if let (Some(stream), Some(back)) = (self.stream.take(), self.back.take()) {
            // No receiver (the connection task itself was dropped): the stream closes.
            let _ = back.send(stream);
        }
    }
}

impl AsyncRead for LingeringStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.stream().poll_read(cx, buf)
    }
}

impl AsyncWrite for LingeringStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.stream().poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.stream().poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream
            .as_ref()
            .is_some_and(AsyncWrite::is_write_vectored)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.stream().poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.stream().poll_shutdown(cx)
    }
}

/// Closes the stream hyper handed back: a FIN, then what the client still sends read
/// and discarded (bounded by bytes, total time and idle time), then the close.
pub async fn close_lingering(returned: Returned) {
    let Ok(mut stream) = returned.0.await else {
        return;
    };
    // hyper has usually shut down the write half already; then this is a no-op error.
    let _ = poll_fn(|cx| Pin::new(&mut stream).poll_shutdown(cx)).await;
    let deadline = Instant::now() + LINGER_MAX_TIME;
    let mut buffer = Vec::new();
    let mut discarded = 0;
    while discarded < LINGER_MAX_BYTES {
        let wait = LINGER_IDLE.min(deadline.saturating_duration_since(Instant::now()));
        match tokio::time::timeout(wait, stream.readable()).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return,
            Err(_) => {
                tracing::debug!(discarded, "lingering close: timed out");
                return;
            }
        }
        if buffer.is_empty() {
            buffer = vec![0; 64 * 1024];
        }
        match stream.try_read(&mut buffer) {
            Ok(0) => return, // the client closed its side: nothing unread, a clean close
            Ok(n) => discarded += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => return,
        }
    }
    tracing::debug!(discarded, "lingering close: byte limit reached");
}

/// Adds `Connection: close` to a 413: the rest of the body is not read as a request, so
/// the connection ends after this response.
pub async fn close_after_413(mut response: Response) -> Response {
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}
