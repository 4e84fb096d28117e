//! Each scripted fault, observed through a real reqwest client.

mod common;

use std::time::Duration;

use clerk_fake::{Fault, RetryAfter, Route};
use common::{ADMIN, Api};
use reqwest::StatusCode;
use serde_json::{Value, json};

const CREATE: &str = "/organizations/org_acme/invitations";
const LIST: &str = "/organizations/org_acme/invitations";

fn create_body(email: &str) -> Value {
    json!({"email_address": email, "role": "org:member", "inviter_user_id": ADMIN})
}

/// Sends a create and returns the raw response, without any checks.
async fn raw_create(api: &Api, email: &str) -> Result<reqwest::Response, reqwest::Error> {
    api.request(reqwest::Method::POST, CREATE)
        .json(&create_body(email))
        .send()
        .await
}

#[tokio::test]
async fn server_errors_with_and_without_a_clerk_body() {
    let api = Api::new().await;
    for status in [500, 502, 503, 504] {
        api.fake
            .faults()
            .on(Route::CreateInvitation)
            .next(Fault::server_error(status));
        let reply = api.invite("a@example.com").await; // checks the ClerkErrors schema
        assert_eq!(reply.status.as_u16(), status);
        assert_eq!(reply.error_code(), "internal_clerk_error");

        api.fake
            .faults()
            .on(Route::CreateInvitation)
            .next(Fault::bare_server_error(status));
        let response = raw_create(&api, "a@example.com").await.unwrap();
        assert_eq!(response.status().as_u16(), status);
        assert!(response.headers().contains_key("x-clerk-trace-id"));
        assert_eq!(response.text().await.unwrap(), "");
    }
    assert!(
        api.fake.invitations().is_empty(),
        "a 5xx fault does not process the request"
    );
    assert_eq!(
        api.invite("a@example.com").await.status,
        StatusCode::OK,
        "faults fire once"
    );
}

#[tokio::test]
async fn an_html_error_page() {
    let api = Api::new().await;
    api.fake
        .faults()
        .on(Route::CreateInvitation)
        .next(Fault::HtmlErrorPage { status: 502 });
    let response = raw_create(&api, "a@example.com").await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let text = response.text().await.unwrap();
    assert!(text.contains("<h1>502 Bad Gateway</h1>"), "{text}");
    assert!(api.fake.invitations().is_empty());
}

#[tokio::test]
async fn nth_counts_requests_to_the_route_from_now() {
    let api = Api::new().await;
    api.invite("before@example.com").await;
    api.fake
        .faults()
        .on(Route::CreateInvitation)
        .nth(2, Fault::server_error(503));
    assert_eq!(api.invite("first@example.com").await.status, StatusCode::OK);
    assert_eq!(
        api.get(LIST).await.status,
        StatusCode::OK,
        "other routes do not count"
    );
    assert_eq!(
        api.invite("second@example.com").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(api.invite("third@example.com").await.status, StatusCode::OK);

    api.fake
        .faults()
        .on(Route::CreateInvitation)
        .next(Fault::server_error(500));
    api.fake.faults().clear();
    assert_eq!(
        api.invite("cleared@example.com").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_scripted_429_with_retry_after_in_seconds_or_as_a_date() {
    let api = Api::new().await;
    api.fake
        .faults()
        .on(Route::ListInvitations)
        .nth(1, Fault::TooManyRequests(RetryAfter::Seconds(7)))
        .nth(
            2,
            Fault::TooManyRequests(RetryAfter::HttpDateIn(Duration::from_secs(90))),
        );
    let reply = api.get(LIST).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reply.error_code(), "too_many_requests");
    assert_eq!(reply.headers["retry-after"], "7");
    let reply = api.get(LIST).await;
    // The clock starts at 2026-01-01T00:00:00Z.
    assert_eq!(
        reply.headers["retry-after"],
        "Thu, 01 Jan 2026 00:01:30 GMT"
    );
    // `Date` is on the same virtual clock, so a client can measure the wait against it.
    assert_eq!(reply.headers["date"], "Thu, 01 Jan 2026 00:00:00 GMT");
}

#[tokio::test]
async fn a_dropped_connection_gets_no_response_and_creates_nothing() {
    let api = Api::new().await;
    api.fake
        .faults()
        .on(Route::CreateInvitation)
        .next(Fault::DropConnection);
    let error = raw_create(&api, "a@example.com").await.unwrap_err();
    assert!(error.is_request() && !error.is_timeout(), "{error:?}");
    assert!(error.status().is_none());
    assert!(api.fake.invitations().is_empty());
    assert_eq!(
        api.invite("a@example.com").await.status,
        StatusCode::OK,
        "the next one works"
    );
}

#[tokio::test]
async fn processed_then_dropped_creates_the_invitation_but_answers_nothing() {
    let api = Api::new().await;
    api.fake
        .faults()
        .on(Route::CreateInvitation)
        .next(Fault::ProcessedThenDropped);
    let error = raw_create(&api, "lost@example.com").await.unwrap_err();
    assert!(error.is_request(), "{error:?}");
    assert_eq!(api.fake.invitations().len(), 1, "the work was done");

    // A naive retry now hits the duplicate rule.
    let retry = api.invite("lost@example.com").await;
    assert_eq!(retry.error_code(), "duplicate_record");
}

#[tokio::test]
async fn a_delay_outlasts_a_client_timeout_after_processing() {
    let api = Api::new().await;
    api.fake
        .faults()
        .on(Route::CreateInvitation)
        .next(Fault::Delay(Duration::from_secs(2)));
    let error = api
        .request(reqwest::Method::POST, CREATE)
        .json(&create_body("slow@example.com"))
        .timeout(Duration::from_millis(200))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(
        api.fake.invitations().len(),
        1,
        "processed before the delay"
    );
}

#[tokio::test]
async fn a_delayed_response_does_arrive_for_a_patient_client() {
    let api = Api::new().await;
    api.fake
        .faults()
        .on(Route::ListInvitations)
        .next(Fault::Delay(Duration::from_millis(50)));
    assert_eq!(api.get(LIST).await.status, StatusCode::OK);
}

#[tokio::test]
async fn truncated_and_malformed_json_fail_to_parse() {
    let api = Api::new().await;
    for (n, fault) in [Fault::TruncatedJson, Fault::MalformedJson]
        .into_iter()
        .enumerate()
    {
        api.fake
            .faults()
            .on(Route::CreateInvitation)
            .next(fault.clone());
        let response = raw_create(&api, &format!("t{n}@example.com"))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{fault:?}");
        let error = response.json::<Value>().await.unwrap_err();
        assert!(error.is_decode(), "{fault:?}: {error:?}");
    }
    assert_eq!(api.fake.invitations().len(), 2, "both were processed");
}

#[tokio::test]
async fn unknown_fields_still_match_the_spec_and_keep_known_ones() {
    let api = Api::new().await;
    api.fake
        .faults()
        .on(Route::CreateInvitation)
        .next(Fault::UnknownFields);
    let body: Value = raw_create(&api, "extra@example.com")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["status"], "pending");
    assert_eq!(body["unknown_future_field"], "surprise");
    assert_eq!(body["email_address"], "extra@example.com");

    api.fake
        .faults()
        .on(Route::ListInvitations)
        .next(Fault::UnknownFields);
    let body: Value = api
        .request(reqwest::Method::GET, LIST)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["total_count"], 1);
    assert!(body["x_unknown_envelope_field"].is_object());
    assert_eq!(
        body["data"][0]["unknown_future_object"]["nested"],
        json!([1, 2, 3])
    );
}

#[tokio::test]
async fn an_unknown_status_value() {
    let api = Api::new().await;
    api.fake
        .faults()
        .on(Route::CreateInvitation)
        .next(Fault::UnknownStatus);
    let body: Value = raw_create(&api, "hold@example.com")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["status"], "on_hold");
    let id = body["id"].as_str().unwrap();
    assert_eq!(
        api.fake.invitation(id).unwrap().status,
        clerk_fake::InvitationStatus::Pending,
        "only the response lies"
    );
}

#[tokio::test]
async fn faults_fire_before_authentication() {
    let api = Api::new().await;
    api.fake
        .faults()
        .on(Route::ListInvitations)
        .next(Fault::server_error(503));
    let response = api.client.get(api.url(LIST)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn dropping_the_fake_stops_the_server() {
    let api = Api::new().await;
    let url = api.url(LIST);
    let common::Api { fake, client } = api;
    drop(fake);
    // A new connection is refused once the accept loop has stopped; the loop stops when it
    // observes the cancellation, so wait for that rather than for a fixed time.
    let mut refused = false;
    for _ in 0..1000 {
        let fresh = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        if fresh.get(&url).send().await.is_err() {
            refused = true;
            break;
        }
        tokio::task::yield_now().await;
    }
    drop(client);
    assert!(refused, "the server kept accepting connections");
}

/// One request to each membership and role route, by the route it is scripted under.
async fn call(api: &Api, route: Route) -> Result<reqwest::Response, reqwest::Error> {
    use reqwest::Method;
    let base = "/organizations/org_acme/memberships";
    let (method, path, body) = match route {
        Route::CreateMembership => (
            Method::POST,
            base.to_owned(),
            Some(json!({"user_id": "user_new", "role": "org:member"})),
        ),
        Route::ListMemberships => (Method::GET, base.to_owned(), None),
        Route::UpdateMembership => (
            Method::PATCH,
            format!("{base}/user_member"),
            Some(json!({"role": "org:admin"})),
        ),
        Route::UpdateMembershipMetadata => (
            Method::PATCH,
            format!("{base}/user_member/metadata"),
            Some(json!({"public_metadata": {"a": 1}})),
        ),
        Route::DeleteMembership => (Method::DELETE, format!("{base}/user_member"), None),
        Route::ListInstanceMemberships => (Method::GET, "/organization_memberships".into(), None),
        Route::ListUserMemberships => (
            Method::GET,
            "/users/user_member/organization_memberships".into(),
            None,
        ),
        Route::ListRoles => (Method::GET, "/organization_roles".into(), None),
        Route::CreateRole => (
            Method::POST,
            "/organization_roles".into(),
            Some(json!({"name": "Ops", "key": "org:ops"})),
        ),
        Route::GetRole => {
            let id = api.fake.role("org:admin").unwrap().id;
            (Method::GET, format!("/organization_roles/{id}"), None)
        }
        other => panic!("not a membership or role route: {other:?}"),
    };
    let mut request = api.request(method, &path);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await
}

const MEMBERSHIP_AND_ROLE_ROUTES: [Route; 10] = [
    Route::CreateMembership,
    Route::ListMemberships,
    Route::UpdateMembership,
    Route::UpdateMembershipMetadata,
    Route::DeleteMembership,
    Route::ListInstanceMemberships,
    Route::ListUserMemberships,
    Route::ListRoles,
    Route::CreateRole,
    Route::GetRole,
];

/// What the store holds that these routes could change.
fn snapshot(api: &Api) -> (Vec<clerk_fake::Membership>, Vec<clerk_fake::StoredRole>) {
    (api.fake.all_memberships(), api.fake.roles())
}

#[tokio::test]
async fn membership_and_role_routes_take_faults_before_processing() {
    let api = Api::new().await;
    api.fake
        .add_user(clerk_fake::User::new("user_new", "new@acme.test"));
    let before = snapshot(&api);
    for route in MEMBERSHIP_AND_ROLE_ROUTES {
        api.fake.faults().on(route).next(Fault::server_error(503));
        let response = call(&api, route).await.unwrap();
        assert_eq!(response.status().as_u16(), 503, "{route:?}");
        api.fake.faults().on(route).next(Fault::DropConnection);
        assert!(call(&api, route).await.is_err(), "{route:?}: dropped");
        api.fake
            .faults()
            .on(route)
            .next(Fault::TooManyRequests(RetryAfter::Seconds(3)));
        let response = call(&api, route).await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{route:?}"
        );
        assert_eq!(response.headers()["retry-after"], "3");
    }
    assert_eq!(
        snapshot(&api),
        before,
        "no fault before processing changed anything"
    );
}

#[tokio::test]
async fn a_lost_membership_answer_leaves_the_change_done() {
    let api = Api::new().await;
    api.fake
        .add_user(clerk_fake::User::new("user_new", "new@acme.test"));
    for route in [
        Route::CreateMembership,
        Route::UpdateMembership,
        Route::UpdateMembershipMetadata,
        Route::CreateRole,
    ] {
        api.fake
            .faults()
            .on(route)
            .next(Fault::ProcessedThenDropped);
        assert!(call(&api, route).await.is_err(), "{route:?}: no answer");
    }
    assert!(api.fake.membership("org_acme", "user_new").is_some());
    let member = api.fake.membership("org_acme", "user_member").unwrap();
    assert_eq!(member.role, "org:admin");
    assert_eq!(Value::Object(member.public_metadata), json!({"a": 1}));
    assert!(api.fake.role("org:ops").is_some());

    api.fake
        .faults()
        .on(Route::DeleteMembership)
        .next(Fault::Delay(Duration::from_millis(50)));
    let late = call(&api, Route::DeleteMembership).await.unwrap();
    assert_eq!(late.status(), StatusCode::OK, "answered late, but answered");
    assert!(api.fake.membership("org_acme", "user_member").is_none());
}

#[tokio::test]
async fn membership_and_role_answers_can_carry_unknown_fields_or_be_garbled() {
    let api = Api::new().await;
    for route in [
        Route::ListMemberships,
        Route::ListRoles,
        Route::UpdateMembership,
    ] {
        api.fake.faults().on(route).next(Fault::UnknownFields);
        let body: Value = call(&api, route).await.unwrap().json().await.unwrap();
        let items = match body["data"].as_array() {
            Some(items) => items.clone(),
            None => vec![body.clone()],
        };
        assert!(!items.is_empty());
        for item in items {
            assert_eq!(item["unknown_future_field"], "surprise", "{route:?}");
        }
        assert!(body["x_unknown_envelope_field"].is_object(), "{route:?}");

        api.fake.faults().on(route).next(Fault::TruncatedJson);
        let text = call(&api, route).await.unwrap().text().await.unwrap();
        assert!(serde_json::from_str::<Value>(&text).is_err(), "{route:?}");
    }
}
