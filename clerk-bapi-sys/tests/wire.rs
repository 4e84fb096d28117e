//! The raw bindings over real HTTP on loopback: what goes on the wire, and what comes back.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use clerk_bapi_sys::{Client, Error, types};
use serde_json::{Value, json};

/// What the server saw of one request.
#[derive(Debug)]
struct Seen {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Value,
}

/// A loopback server that records each request and answers with `status` and `body`.
async fn serve(
    status: StatusCode,
    headers: &'static [(&'static str, &'static str)],
    body: Value,
) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
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
                    body: serde_json::from_slice(&request_body).unwrap_or(Value::Null),
                });
                let mut response_headers = HeaderMap::new();
                for (name, value) in headers {
                    response_headers.insert(*name, value.parse().unwrap());
                }
                (status, response_headers, axum::Json(body))
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}/v1"), seen)
}

fn client(base_url: &str) -> Client {
    // When another workspace crate turns on reqwest's rustls, reqwest needs a crypto provider
    // even for plain http; without TLS this does nothing.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .default_headers(clerk_bapi_sys::auth_headers("sk_test_secret").unwrap())
        .build()
        .unwrap();
    Client::new_with_client(base_url, http)
}

fn new_body() -> types::CreateOrganizationInvitationBody {
    types::CreateOrganizationInvitationBody {
        email_address: "alice@example.com".into(),
        role: "org:member".into(),
        expires_in_days: None,
        inviter_user_id: Some("user_123".into()),
        notify: None,
        private_metadata: None,
        public_metadata: Some(json!({"team": "core"}).as_object().unwrap().clone()),
        redirect_url: None,
    }
}

#[tokio::test]
async fn create_sends_method_path_headers_and_body_and_tolerates_new_fields_and_values() {
    let response = json!({
        "object": "organization_invitation",
        "id": "orginv_1",
        "email_address": "alice@example.com",
        "role": "org:member",
        "role_name": "Member",
        "organization_id": "org_1",
        "inviter_id": "user_123",
        "public_inviter_data": null,
        "status": "on_hold_new_in_a_later_api",
        "public_metadata": {"team": "core"},
        "private_metadata": {},
        "url": null,
        "expires_at": 1_700_000_000_000_i64,
        "created_at": 1_690_000_000_000_i64,
        "updated_at": 1_690_000_000_000_i64,
        "a_field_clerk_added_later": {"nested": true},
    });
    let (base_url, seen) = serve(StatusCode::OK, &[], response).await;

    let invitation = client(&base_url)
        .create_organization_invitation()
        .organization_id("org_1/../users")
        .body(new_body())
        .send()
        .await
        .unwrap()
        .into_inner();

    assert_eq!(invitation.id, "orginv_1");
    assert_eq!(
        invitation.status.as_deref(),
        Some("on_hold_new_in_a_later_api")
    );

    let seen = seen.lock().unwrap();
    let request = &seen[0];
    assert_eq!(request.method, Method::POST);
    // The path parameter stays one segment: it cannot climb to another route.
    assert_eq!(
        request.uri.path(),
        "/v1/organizations/org_1%2F..%2Fusers/invitations"
    );
    assert_eq!(
        request.headers["clerk-api-version"],
        clerk_bapi_sys::CLERK_API_VERSION
    );
    assert!(request.headers.get("api-version").is_none());
    assert_eq!(request.headers["authorization"], "Bearer sk_test_secret");
    // Unset optional fields are left out, not sent as null.
    assert_eq!(
        request.body,
        json!({
            "email_address": "alice@example.com",
            "role": "org:member",
            "inviter_user_id": "user_123",
            "public_metadata": {"team": "core"},
        })
    );
}

#[tokio::test]
async fn an_error_status_comes_back_whole() {
    let body = json!({
        "errors": [{"message": "duplicate", "long_message": "already invited",
            "code": "duplicate_record", "meta": {"email_addresses": ["alice@example.com"]}}],
        "clerk_trace_id": "trace_1",
    });
    let (base_url, _) = serve(
        StatusCode::BAD_REQUEST,
        &[("retry-after", "7")],
        body.clone(),
    )
    .await;

    let err = client(&base_url)
        .create_organization_invitation()
        .organization_id("org_1")
        .body(new_body())
        .send()
        .await
        .unwrap_err();

    let Error::UnexpectedResponse(response) = err else {
        panic!("expected the response itself, got {err:?}");
    };
    assert_eq!(response.status(), 400);
    assert_eq!(response.headers()["retry-after"], "7");
    let errors: types::ClerkErrors = response.json().await.unwrap();
    assert_eq!(errors.errors[0].code, "duplicate_record");
    assert_eq!(errors.clerk_trace_id.as_deref(), Some("trace_1"));
}

#[test]
fn the_api_version_is_the_vendored_specs() {
    let meta: Value =
        serde_json::from_str(include_str!("../../spec/clerk-bapi.meta.json")).unwrap();
    assert_eq!(
        clerk_bapi_sys::CLERK_API_VERSION,
        meta["upstream"]["api_version"]
    );
}
