//! A server that does not page or filter as Clerk does: every `GET` gets the same page, taken
//! from `clerk-fake` once, with a `total_count` of the test's choosing; every other request gets
//! a 503. For the checks that keep such answers from becoming confident wrong ones.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use clerk_fake::FakeClerk;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The fake's first page of `organization_id`'s memberships (`limit` of them), its
/// `total_count` replaced.
pub async fn members_page(
    fake: &FakeClerk,
    organization_id: &str,
    limit: usize,
    total_count: u64,
) -> String {
    // HTTP/1.0, so the answer is the body as it is, up to the closed connection.
    let mut stream = tokio::net::TcpStream::connect(fake.addr()).await.unwrap();
    let request = format!(
        "GET /v1/organizations/{organization_id}/memberships?limit={limit} HTTP/1.0\r\n\
         Authorization: Bearer {}\r\n\r\n",
        fake.secret_key()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let (_, page) = answer.split_once("\r\n\r\n").unwrap();
    let mut page: serde_json::Value = serde_json::from_str(page).unwrap();
    assert_eq!(page["data"].as_array().unwrap().len(), limit, "{page}");
    page["total_count"] = serde_json::json!(total_count);
    page.to_string()
}

/// The server's address and how many requests it has had.
pub struct Canned {
    pub base_url: String,
    pub requests: Arc<AtomicUsize>,
}

impl Canned {
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// Serves `page` to every `GET`, whatever its path and query, and a 503 to everything else.
pub async fn serve(page: String) -> Canned {
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = requests.clone();
    let app = axum::Router::new().fallback(move |method: axum::http::Method| {
        counted.fetch_add(1, Ordering::SeqCst);
        let page = page.clone();
        async move {
            if method == axum::http::Method::GET {
                (axum::http::StatusCode::OK, page)
            } else {
                let unavailable = serde_json::json!({"errors": [{
                    "code": "service_unavailable",
                    "message": "unavailable",
                    "long_message": "The service is unavailable."
                }]});
                (
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    unavailable.to_string(),
                )
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Canned { base_url, requests }
}
