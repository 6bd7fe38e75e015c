//! Helpers shared by the integration tests: a state directory driven through the real
//! binary, openssl runs, and an in-process server on a free port.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A state directory and a scratch directory for files.
pub struct Cli {
    pub dir: tempfile::TempDir,
}

impl Cli {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs the binary on this state; returns the output whatever the exit code.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_jpki-mock"))
            .arg("--state")
            .arg(self.state())
            .args(args)
            .output()
            .unwrap()
    }

    /// Runs the binary and requires success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Runs the binary and parses stdout as JSON.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }

    /// Writes a CA certificate as PEM and returns its path.
    pub fn ca_pem(&self, kind: &str) -> PathBuf {
        let path = self.path(&format!("ca-{kind}.pem"));
        self.ok(&["ca", kind, "--pem", "--out", path.to_str().unwrap()]);
        path
    }

    /// Writes text to a file in the scratch directory.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

/// The issue arguments of a holder born 1990-10-01 in Shinagawa.
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

pub fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// Runs openssl; returns stdout and stderr together, and whether it succeeded.
pub fn openssl(args: &[&str]) -> (bool, String) {
    let output = Command::new("openssl").args(args).output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).to_string()
            + &String::from_utf8_lossy(&output.stderr),
    )
}

pub fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Seconds since the epoch of an RFC 3339 instant or date (for openssl -attime).
pub fn epoch(text: &str) -> String {
    jpki_mock::clock::parse_instant(text)
        .unwrap()
        .unix_timestamp()
        .to_string()
}

/// A `jpki-mock serve` child on a free port, killed on drop.
pub struct Server {
    pub child: std::process::Child,
    pub base: String,
}

impl Server {
    /// Starts `serve` on the state (initialising it with its base URL if empty).
    pub fn start(cli: &Cli, extra: &[&str]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let listen = format!("127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_jpki-mock"))
            .arg("--state")
            .arg(cli.state())
            .args(extra)
            .args(["serve", "--listen", &listen, "--base-url", &base])
            .env("JPKI_MOCK_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let server = Server { child, base };
        for _ in 0..100 {
            if reqwest::blocking::get(format!("{}/healthz", server.base))
                .is_ok_and(|r| r.status().is_success())
            {
                return server;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("the server did not come up");
    }

    pub fn get(&self, path: &str) -> reqwest::blocking::Response {
        reqwest::blocking::get(format!("{}{path}", self.base)).unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
