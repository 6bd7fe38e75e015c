//! `jpki-mock healthcheck`: one plain HTTP/1.1 GET of `BASE/healthz`, for container
//! images that have no curl. Plain `http://` only: the server speaks nothing else.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::error::{Error, Result};

/// How long the whole check may take.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Ok when the server answers 200 with `ok`; the error says what came instead.
pub(super) fn healthcheck(base_url: &str) -> Result<()> {
    let rest = base_url.strip_prefix("http://").ok_or_else(|| {
        Error::BadInput(format!(
            "--url {base_url}: give an http:// URL (the server speaks no TLS)"
        ))
    })?;
    let (authority, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let prefix = prefix.trim_end_matches('/');
    let path = if prefix.is_empty() {
        "/healthz".to_string()
    } else {
        format!("/{prefix}/healthz")
    };
    let with_port = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let unreachable = |e: std::io::Error| Error::io(format!("{base_url}{path} did not answer"), e);
    let address = with_port
        .to_socket_addrs()
        .map_err(unreachable)?
        .next()
        .ok_or_else(|| Error::BadInput(format!("--url {base_url}: no address for {authority}")))?;
    let mut stream = TcpStream::connect_timeout(&address, TIMEOUT).map_err(unreachable)?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .map_err(unreachable)?;
    stream
        .set_write_timeout(Some(TIMEOUT))
        .map_err(unreachable)?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .map_err(unreachable)?;
    let mut reply = Vec::new();
    stream
        .take(64 * 1024)
        .read_to_end(&mut reply)
        .map_err(unreachable)?;
    let reply = String::from_utf8_lossy(&reply);
    let status_line = reply.lines().next().unwrap_or_default();
    let body = reply.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    if status_line.split_whitespace().nth(1) == Some("200") && body.trim() == "ok" {
        Ok(())
    } else {
        Err(Error::Refused(format!(
            "{base_url}{path} answered {status_line:?}, not 200 ok"
        )))
    }
}
