//! The request log's cap and switch, and what the fake answers outside its routes.

mod common;

use clerk_fake::FakeClerk;
use common::Api;
use serde_json::Value;

#[tokio::test]
async fn the_log_keeps_only_the_most_recent_requests_up_to_its_cap() {
    let api = Api::with(
        FakeClerk::builder()
            .request_log_cap(2)
            .start()
            .await
            .unwrap(),
    );
    for query in ["a", "b", "c"] {
        api.get(&format!("/organization_invitations?query={query}"))
            .await;
    }
    let paths: Vec<String> = api
        .fake
        .request_log()
        .requests()
        .into_iter()
        .map(|r| r.path_and_query)
        .collect();
    assert_eq!(
        paths,
        [
            "/v1/organization_invitations?query=b",
            "/v1/organization_invitations?query=c"
        ]
    );
    api.fake.request_log().clear();
    assert!(api.fake.request_log().requests().is_empty());
}

#[tokio::test]
async fn a_zero_cap_turns_the_log_off() {
    let api = Api::with(
        FakeClerk::builder()
            .request_log_cap(0)
            .start()
            .await
            .unwrap(),
    );
    api.get("/organization_invitations").await;
    assert!(!api.fake.request_log().is_enabled());
    assert!(api.fake.request_log().requests().is_empty());
}

#[tokio::test]
async fn unknown_paths_get_clerks_404_envelope() {
    let api = Api::new().await;
    let response = api
        .request(reqwest::Method::GET, "/organizations")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::NOT_FOUND);
    let trace_id = response.headers()["x-clerk-trace-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "resource_not_found");
    assert_eq!(body["clerk_trace_id"], trace_id);
}
