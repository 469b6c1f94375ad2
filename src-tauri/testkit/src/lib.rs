//! Helpers Slipway's test binaries share: where the peers that
//! `scripts/test-all.sh` starts are, and plain HTTP calls to their control
//! endpoints (moto's reset, the fake GitHub's fixtures and state). These are
//! not Slipway's clients under test; they only set the scene and read it back.

use std::io::{Read, Write};

use serde_json::Value;

fn env_url(name: &str, what: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests through scripts/test-all.sh, which starts {what}")
    })
}

/// One HTTP/1.1 request with an optional JSON body; returns (status, body).
pub fn http(base_url: &str, method: &str, path: &str, body: &Value) -> (u16, String) {
    let addr = base_url.trim_start_matches("http://").trim_end_matches('/');
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let kind = if body.is_empty() {
        ""
    } else {
        "Content-Type: application/json\r\n"
    };
    let mut stream = std::net::TcpStream::connect(addr)
        .unwrap_or_else(|e| panic!("{addr} does not answer: {e}"));
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{kind}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, payload) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, payload.to_string())
}

/// moto server's URL.
pub fn moto_url() -> String {
    env_url("SLIPWAY_TEST_MOTO_URL", "moto")
}

/// Clears moto's state; returns its URL.
pub fn reset_moto() -> String {
    let url = moto_url();
    let (status, body) = http(&url, "POST", "/moto-api/reset", &Value::Null);
    assert_eq!(status, 200, "moto reset failed: {body}");
    url
}

/// The fake GitHub's URL.
pub fn github_url() -> String {
    env_url("SLIPWAY_TEST_GITHUB_URL", "the fake GitHub")
}

/// A call to the fake GitHub's control endpoints (`/_fake/...`), which must succeed.
pub fn fake_github(method: &str, path: &str, body: &Value) -> Value {
    let (status, payload) = http(&github_url(), method, path, body);
    assert_eq!(status, 200, "{method} {path} answered {status}: {payload}");
    serde_json::from_str(&payload).unwrap_or(Value::Null)
}
