//! A minimal HTTP/1.1 client over a raw TCP stream, for the REST tests: it sends the request
//! target exactly as written (so a test controls every byte of the query string), one
//! request per connection, and parses the answer (`content-length` or chunked).
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::time::Duration;

use prost::{Message, Name};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// An HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// The first value of a header (names compared without case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (panics with the body when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {} {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// Asserts a 200 and returns the JSON body.
    pub fn ok(&self) -> Value {
        assert_eq!(self.status, 200, "{}", String::from_utf8_lossy(&self.body));
        self.json()
    }

    /// Asserts an AIP-193 error whose status line, `error.code` and `error.status` agree
    /// (`google/rpc/code.proto`), and returns its `error` object.
    pub fn error(&self, http: u16, status: &str) -> Value {
        let body = self.json();
        let error = body["error"].clone();
        assert_eq!(self.status, http, "{body}");
        assert_eq!(error["code"], http, "{body}");
        assert_eq!(error["status"], status, "{body}");
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
        assert!(error["details"].is_array(), "{body}");
        if http != 405 {
            assert_eq!(http_of(status), http, "{status} maps to {http}");
        }
        assert!(
            self.header("content-type")
                .is_some_and(|c| c.starts_with("application/json")),
            "{:?}",
            self.headers
        );
        error
    }
}

/// The HTTP status of a gRPC code name, as `google/rpc/code.proto` maps them.
pub fn http_of(status: &str) -> u16 {
    match status {
        "OK" => 200,
        "CANCELLED" => 499,
        "UNKNOWN" | "INTERNAL" | "DATA_LOSS" => 500,
        "INVALID_ARGUMENT" | "FAILED_PRECONDITION" | "OUT_OF_RANGE" => 400,
        "DEADLINE_EXCEEDED" => 504,
        "NOT_FOUND" => 404,
        "ALREADY_EXISTS" | "ABORTED" => 409,
        "PERMISSION_DENIED" => 403,
        "UNAUTHENTICATED" => 401,
        "RESOURCE_EXHAUSTED" => 429,
        "UNIMPLEMENTED" => 501,
        "UNAVAILABLE" => 503,
        other => panic!("not a google.rpc.Code: {other}"),
    }
}

/// A REST client of one emulator.
#[derive(Clone, Debug)]
pub struct Rest {
    pub address: SocketAddr,
}

impl Rest {
    pub fn new(address: SocketAddr) -> Self {
        Rest { address }
    }

    /// Sends `method target` with these headers and body; `content-length` is added when
    /// there is a body and no such header.
    pub async fn send(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        let mut head = format!(
            "{method} {target} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\n",
            self.address
        );
        let has_length = headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-length"));
        if !body.is_empty() && !has_length {
            head.push_str(&format!("content-length: {}\r\n", body.len()));
            if !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            {
                head.push_str("content-type: application/json\r\n");
            }
        }
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let exchange = async {
            let mut stream = tokio::net::TcpStream::connect(self.address)
                .await
                .expect("connects");
            stream.write_all(head.as_bytes()).await.expect("writes");
            // The server may answer (and close) before it read a body it refuses.
            let _ = stream.write_all(body).await;
            let mut raw = Vec::new();
            let _ = stream.read_to_end(&mut raw).await;
            raw
        };
        let raw = tokio::time::timeout(Duration::from_secs(20), exchange)
            .await
            .expect("the emulator answers within 20 s");
        parse(&raw)
    }

    pub async fn get(&self, target: &str) -> Reply {
        self.send("GET", target, &[], b"").await
    }

    pub async fn delete(&self, target: &str) -> Reply {
        self.send("DELETE", target, &[], b"").await
    }

    pub async fn post(&self, target: &str, body: &Value) -> Reply {
        self.send("POST", target, &[], body.to_string().as_bytes())
            .await
    }

    pub async fn patch(&self, target: &str, body: &Value) -> Reply {
        self.send("PATCH", target, &[], body.to_string().as_bytes())
            .await
    }
}

fn parse(raw: &[u8]) -> Reply {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP head in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut rest = &raw[end + 4..];
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        let mut body = Vec::new();
        loop {
            let line_end = rest
                .windows(2)
                .position(|w| w == b"\r\n")
                .expect("chunk size");
            let size = usize::from_str_radix(String::from_utf8_lossy(&rest[..line_end]).trim(), 16)
                .expect("hex chunk size");
            rest = &rest[line_end + 2..];
            if size == 0 {
                break;
            }
            body.extend_from_slice(&rest[..size]);
            rest = &rest[size + 2..];
        }
        body
    } else {
        rest.to_vec()
    };
    Reply {
        status,
        headers,
        body,
    }
}

/// The proto3 JSON of a message (lowerCamel names), to send as a body.
pub fn to_json<M: Message + Name>(message: &M) -> Value {
    let dynamic = livestream_grpc::reflect::to_dynamic(message).expect("reflects");
    serde_json::to_value(&dynamic).expect("serializes")
}

/// A message from the proto3 JSON of an answer.
pub fn from_json<M: Message + Name + Default>(json: &Value) -> M {
    let descriptor = livestream_grpc::reflect::descriptor::<M>().expect("descriptor");
    let dynamic = prost_reflect::DynamicMessage::deserialize(descriptor, json.clone())
        .unwrap_or_else(|e| panic!("{json} is not a {}: {e}", M::full_name()));
    livestream_grpc::reflect::from_dynamic(&dynamic).expect("converts")
}
