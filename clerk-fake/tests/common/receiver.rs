//! A webhook endpoint on 127.0.0.1 that reports each request it gets and answers scripted
//! statuses, and the Standard Webhooks signature check a receiver makes.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use sha2::Sha256;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// One POST the receiver got.
#[derive(Debug)]
pub struct Received {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// Checks the signature the way a Standard Webhooks verifier does.
    pub fn assert_signed_with(&self, secret: &str) {
        let key = STANDARD
            .decode(secret.strip_prefix("whsec_").unwrap())
            .unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
        let signed = format!(
            "{}.{}.",
            self.header("svix-id"),
            self.header("svix-timestamp")
        );
        mac.update(signed.as_bytes());
        mac.update(&self.body);
        let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
        assert_eq!(self.header("svix-signature"), expected);
    }
}

/// A webhook endpoint on 127.0.0.1 that reports each request on a channel and answers the
/// scripted statuses in turn, then 204.
pub struct Receiver {
    pub url: String,
    statuses: Arc<Mutex<VecDeque<u16>>>,
    pub received: mpsc::UnboundedReceiver<Received>,
}

impl Receiver {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/webhooks/clerk", listener.local_addr().unwrap());
        let statuses = Arc::new(Mutex::new(VecDeque::new()));
        let (tx, received) = mpsc::unbounded_channel();
        let script = statuses.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (tx, script) = (tx.clone(), script.clone());
                let service = hyper::service::service_fn(move |request: hyper::Request<_>| {
                    let (tx, script) = (tx.clone(), script.clone());
                    async move {
                        let (parts, body) = request.into_parts();
                        let body = axum::body::to_bytes(Body::new(body), 1 << 20)
                            .await
                            .unwrap();
                        let status = script.lock().unwrap().pop_front().unwrap_or(204);
                        let _ = tx.send(Received {
                            path: parts.uri.path().to_owned(),
                            headers: parts
                                .headers
                                .iter()
                                .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
                                .collect(),
                            body: body.to_vec(),
                        });
                        let mut response = hyper::Response::new(Body::empty());
                        *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                        Ok::<_, std::convert::Infallible>(response)
                    }
                });
                tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
            }
        });
        Self {
            url,
            statuses,
            received,
        }
    }

    pub fn answer(&self, statuses: &[u16]) {
        self.statuses.lock().unwrap().extend(statuses);
    }

    /// Everything received so far (deliveries are complete once `deliver_due` returns).
    pub fn drain(&mut self) -> Vec<Received> {
        std::iter::from_fn(|| self.received.try_recv().ok()).collect()
    }
}
