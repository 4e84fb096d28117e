//! Every rule is checked before sending: each failure names the field and the rule, and the
//! fake's request log proves nothing left the machine.

mod support;

use clerk_orgs::{Delivery, Error, NewInvitation, Role};
use serde_json::json;
use support::{Env, ORG};

/// Asserts `result` is an invalid-request error on `field`, and returns its `Display`.
fn invalid<T: std::fmt::Debug>(result: Result<T, Error>, field: &str) -> String {
    let error = result.unwrap_err();
    let invalid = error
        .validation()
        .unwrap_or_else(|| panic!("expected a validation error on {field}: {error:?}"));
    assert_eq!(invalid.field(), field, "{error}");
    assert!(!invalid.rule().is_empty());
    assert_eq!(error.delivery(), Delivery::NotSent);
    assert!(!error.is_retryable());
    error.to_string()
}

#[tokio::test]
async fn create_rules() {
    let env = Env::new().await;
    let inv = env.client.organization(ORG).invitations();
    let mut shown = Vec::new();
    let cases = [
        (inv.create("not-an-email", Role::MEMBER), "email_address"),
        (inv.create("a@b", Role::MEMBER), "email_address"),
        (inv.create("a b@example.com", Role::MEMBER), "email_address"),
        (inv.create("a@example.com", ""), "role"),
        (inv.create("a@example.com", "org: admin"), "role"),
        (
            inv.create("a@example.com", Role::MEMBER).expires_in_days(0),
            "expires_in_days",
        ),
        (
            inv.create("a@example.com", Role::MEMBER)
                .expires_in_days(366),
            "expires_in_days",
        ),
        (
            inv.create("a@example.com", Role::MEMBER)
                .redirect_url("accept"),
            "redirect_url",
        ),
        (
            inv.create("a@example.com", Role::MEMBER)
                .redirect_url("//evil.example"),
            "redirect_url",
        ),
        (
            inv.create("a@example.com", Role::MEMBER)
                .redirect_url("javascript:alert(1)"),
            "redirect_url",
        ),
        (
            inv.create("a@example.com", Role::MEMBER)
                .public_metadata(json!([1])),
            "public_metadata",
        ),
        (
            inv.create("a@example.com", Role::MEMBER)
                .private_metadata(json!("x")),
            "private_metadata",
        ),
        (
            inv.create("a@example.com", Role::MEMBER)
                .inviter_user_id(""),
            "inviter_user_id",
        ),
        (
            inv.create("a@example.com", Role::MEMBER)
                .inviter_user_id("user 1"),
            "inviter_user_id",
        ),
    ];
    for (request, field) in cases {
        // `validate()` alone reports exactly what `send()` reports.
        let checked = invalid(request.validate(), field);
        shown.push(invalid(request.send().await, field));
        assert_eq!(&checked, shown.last().unwrap());
    }
    for id in ["", ".", "..", "org 1", "org\n1"] {
        let request = env
            .client
            .organization(id)
            .invitations()
            .create("a@example.com", Role::MEMBER);
        let checked = invalid(request.validate(), "organization_id");
        shown.push(invalid(request.send().await, "organization_id"));
        assert_eq!(&checked, shown.last().unwrap());
    }
    insta::assert_snapshot!("create_rules", shown.join("\n"));
    assert!(env.sent().is_empty(), "{:#?}", env.sent());
}

#[tokio::test]
async fn validate_accepts_a_valid_request_with_every_option() {
    let env = Env::new().await;
    let request = env
        .client
        .organization(ORG)
        .invitations()
        .create("a@example.com", "org:billing")
        .inviter_user_id("user_1")
        .redirect_url("https://app.example.com/accept")
        .public_metadata(json!({"team": "core"}))
        .private_metadata(json!({"plan": "pro"}))
        .expires_in_days(365)
        .notify(false);
    request.validate().unwrap();
    NewInvitation::new("b@example.com", Role::ADMIN)
        .expires_in_days(1)
        .validate()
        .unwrap();
    assert!(env.sent().is_empty());
}

#[tokio::test]
async fn bulk_rules_name_the_item() {
    let env = Env::new().await;
    let inv = env.client.organization(ORG).invitations();
    invalid(inv.create_bulk(Vec::new()).send().await, "invitations");
    let eleven = (0..11).map(|n| NewInvitation::new(format!("p{n}@example.com"), Role::MEMBER));
    invalid(inv.create_bulk(eleven).send().await, "invitations");
    let shown = invalid(
        inv.create_bulk(vec![
            NewInvitation::new("ok@example.com", Role::MEMBER),
            NewInvitation::new("ok2@example.com", Role::MEMBER).expires_in_days(400),
        ])
        .send()
        .await,
        "invitations[1].expires_in_days",
    );
    insta::assert_snapshot!("bulk_item", shown);
    invalid(
        inv.create_bulk(vec![NewInvitation::new("nope", Role::MEMBER)])
            .send()
            .await,
        "invitations[0].email_address",
    );
    assert!(env.sent().is_empty());
}

#[tokio::test]
async fn list_get_revoke_and_user_rules() {
    let env = Env::new().await;
    let inv = env.client.organization(ORG).invitations();
    invalid(inv.list().limit(0).send().await, "limit");
    invalid(inv.list().limit(501).send().await, "limit");
    invalid(inv.list().order_by("created at").send().await, "order_by");
    invalid(inv.list().status("").send().await, "status");
    invalid(
        env.client
            .organization("..")
            .invitations()
            .list()
            .send()
            .await,
        "organization_id",
    );
    invalid(inv.get("").send().await, "invitation_id");
    invalid(inv.get("..").send().await, "invitation_id");
    invalid(inv.revoke(".").send().await, "invitation_id");
    invalid(
        inv.revoke("orginv_1")
            .requesting_user_id("a\tb")
            .send()
            .await,
        "requesting_user_id",
    );
    let instance = env.client.organization_invitations();
    invalid(instance.list().limit(1000).send().await, "limit");
    invalid(instance.list().query("a\u{0}b").send().await, "query");
    invalid(instance.list().order_by("-").send().await, "order_by");
    let user = env.client.user("..").organization_invitations();
    invalid(user.list().send().await, "user_id");
    invalid(
        env.client
            .user("user_1")
            .organization_invitations()
            .list()
            .limit(0)
            .send()
            .await,
        "limit",
    );
    #[allow(deprecated)]
    let pending = inv.list_pending().limit(0).send().await;
    invalid(pending, "limit");
    assert!(env.sent().is_empty(), "{:#?}", env.sent());
}

#[tokio::test]
async fn a_stream_yields_the_validation_error_without_sending() {
    use futures::StreamExt;
    let env = Env::new().await;
    let items: Vec<_> = env
        .client
        .organization(ORG)
        .invitations()
        .list()
        .limit(0)
        .stream()
        .collect()
        .await;
    assert_eq!(items.len(), 1);
    assert_eq!(
        items[0].as_ref().unwrap_err().validation().unwrap().field(),
        "limit"
    );
    assert!(env.sent().is_empty());
}

#[tokio::test]
async fn boundary_values_are_accepted() {
    let env = Env::new().await;
    let inv = env.client.organization(ORG).invitations();
    inv.create("edge1@example.com", Role::MEMBER)
        .expires_in_days(1)
        .send()
        .await
        .unwrap();
    inv.create("edge2@example.com", Role::MEMBER)
        .expires_in_days(365)
        .send()
        .await
        .unwrap();
    inv.list().limit(1).send().await.unwrap();
    inv.list().limit(500).send().await.unwrap();
    assert_eq!(env.sent().len(), 4);
}
