//! What several test files share: the sample builder, and a recording loopback server with a
//! client for it.

// Each test file compiles this module on its own and uses part of it.
#![allow(dead_code)]

pub mod sample;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use clerk_bapi_sys::Client;
use serde_json::Value;

/// What the server saw of one request.
#[derive(Debug)]
pub struct Seen {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Seen {
    /// The body as JSON (`null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// The requests a server saw, in order.
pub type Log = Arc<Mutex<Vec<Seen>>>;

/// A loopback server that records each request and answers every one with `status`, `headers`
/// and `body` as `application/json`. Returns its base URL (with `/v1`) and its log.
pub async fn serve(
    status: StatusCode,
    headers: &'static [(&'static str, &'static str)],
    body: impl Into<Bytes>,
) -> (String, Log) {
    let body = body.into();
    let seen = Log::default();
    let log = seen.clone();
    let app = Router::new().fallback(
        move |method: Method, uri: Uri, request_headers: HeaderMap, request_body: Bytes| {
            let body = body.clone();
            let log = log.clone();
            async move {
                log.lock().unwrap().push(Seen {
                    method,
                    uri,
                    headers: request_headers,
                    body: request_body,
                });
                let mut response_headers = HeaderMap::new();
                response_headers.insert("content-type", "application/json".parse().unwrap());
                for (name, value) in headers {
                    response_headers.insert(*name, value.parse().unwrap());
                }
                (status, response_headers, body)
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}/v1"), seen)
}

/// [`serve`] with a JSON value as the answer.
pub async fn serve_json(
    status: StatusCode,
    headers: &'static [(&'static str, &'static str)],
    body: &Value,
) -> (String, Log) {
    serve(status, headers, serde_json::to_vec(body).unwrap()).await
}

/// A client of the bindings for `base_url`, with the secret key `sk_test_secret`.
pub fn client(base_url: &str) -> Client {
    // When another workspace crate turns on reqwest's rustls, reqwest needs a crypto provider
    // even for plain http; without TLS this does nothing.
    #[allow(deprecated)] // ring's provider, as clerk-orgs uses it (see its client.rs)
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .default_headers(clerk_bapi_sys::auth_headers("sk_test_secret").unwrap())
        .build()
        .unwrap();
    Client::new_with_client(base_url, http)
}
