//! The raw bindings over real HTTP on loopback: what goes on the wire, and what comes back.

mod support;

use axum::http::{Method, StatusCode};
use clerk_bapi_sys::{Error, types};
use serde_json::{Value, json};
use support::{client, serve_json};

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
    let (base_url, seen) = serve_json(StatusCode::OK, &[], &response).await;

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
        request.json(),
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
    let (base_url, _) = serve_json(StatusCode::BAD_REQUEST, &[("retry-after", "7")], &body).await;

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

/// `limit` and `offset` are counts: they go out as integers (`integer_limit_offset` retypes the
/// two operations whose spec declares them `number`, which went out as `10.0`).
#[cfg(feature = "api-keys")]
#[tokio::test]
async fn counts_go_out_as_integers() {
    let (base_url, seen) =
        serve_json(StatusCode::OK, &[], &json!({"data": [], "total_count": 0})).await;

    client(&base_url)
        .get_api_keys()
        .subject("user_1")
        .limit(std::num::NonZeroU64::new(10).unwrap())
        .offset(20u64)
        .send()
        .await
        .unwrap();

    let seen = seen.lock().unwrap();
    let query = seen[0].uri.query().unwrap();
    let mut pairs: Vec<&str> = query.split('&').collect();
    pairs.sort_unstable();
    assert_eq!(pairs, ["limit=10", "offset=20", "subject=user_1"]);
}

/// An optional map set empty goes out as `{}` (how Clerk clears metadata), one left unset does
/// not go out at all.
#[cfg(feature = "users")]
#[tokio::test]
async fn an_empty_map_goes_out_and_an_unset_one_does_not() {
    let spec: Value = serde_json::from_str(include_str!("../../spec/clerk-bapi.json")).unwrap();
    let user = support::sample::Sampler::new(&spec, support::sample::Mode::Full, 0)
        .sample(&json!({"$ref": "#/components/schemas/User"}));
    let (base_url, seen) = serve_json(StatusCode::OK, &[], &user).await;

    client(&base_url)
        .replace_user_metadata()
        .user_id("user_1")
        .body(types::ReplaceUserMetadataBody {
            public_metadata: Some(serde_json::Map::new()),
            private_metadata: None,
            unsafe_metadata: None,
        })
        .send()
        .await
        .unwrap();

    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].method, Method::PUT);
    assert_eq!(seen[0].json(), json!({"public_metadata": {}}));
}
