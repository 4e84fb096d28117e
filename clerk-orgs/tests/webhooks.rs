//! Webhook verification: known-answer vectors, every rejection by kind, header names, typed
//! events built from the example values of Clerk's webhook spec (2025-04-15), and the secret
//! staying out of every `Debug` and message.
#![cfg(feature = "webhooks")]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use clerk_orgs::webhooks::{
    DEFAULT_MAX_BODY_BYTES, Event, TIMESTAMP_TOLERANCE, VerifiedEvent, Webhook, WebhookError,
    WebhookHeader,
};
use clerk_orgs::{InvitationStatus, Role};
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use sha2::Sha256;

/// The Standard Webhooks test vector (standard-webhooks spec and libraries).
const VECTOR_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const VECTOR_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const VECTOR_TIMESTAMP: i64 = 1_614_265_330;
const VECTOR_BODY: &[u8] = br#"{"test": 2432232314}"#;
const VECTOR_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const NOW: i64 = 1_716_883_200;
const MSG_ID: &str = "msg_2g7np7Hrk0SN6kj5EDMLDaKNL0S";

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap()
}

fn headers(prefix: &str, id: &str, timestamp: &str, signature: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("id", id),
        ("timestamp", timestamp),
        ("signature", signature),
    ] {
        headers.insert(
            http::HeaderName::try_from(format!("{prefix}-{name}")).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    headers
}

/// Headers as Clerk would send them for `body`, signed at `timestamp`.
fn signed(webhook: &Webhook, timestamp: i64, body: &[u8]) -> HeaderMap {
    let signature = webhook.sign(MSG_ID, timestamp, body);
    headers("svix", MSG_ID, &timestamp.to_string(), &signature)
}

fn webhook() -> Webhook {
    Webhook::new(SECRET).unwrap()
}

fn verify(body: &Value) -> VerifiedEvent {
    let body = serde_json::to_vec(body).unwrap();
    let webhook = webhook();
    webhook
        .verify_at(&signed(&webhook, NOW, &body), &body, at(NOW))
        .unwrap()
}

fn envelope(event_type: &str, data: Value) -> Value {
    json!({
        "event_attributes": {"http_request": {
            "client_ip": "192.168.1.100",
            "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)"
        }},
        "object": "event",
        "type": event_type,
        "instance_id": "ins_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
        "timestamp": 1_716_883_200,
        "data": data,
    })
}

/// The spec's `organizationInvitation.*` example data.
fn invitation_data(status: &str) -> Value {
    json!({
        "object": "organization_invitation",
        "id": "orginv_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
        "email_address": "jane.doe@acme.com",
        "role": "org:member",
        "role_name": "Member",
        "organization_id": "org_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
        "status": status,
        "public_metadata": {},
        "private_metadata": {},
        "url": "https://accounts.acme.com/accept-invitation?token=abc123",
        "expires_at": 1_717_487_999_000_i64,
        "created_at": 1_716_883_200_000_i64,
        "updated_at": 1_716_883_500_000_i64,
    })
}

/// The spec's `organizationMembership.*` example data.
fn membership_data(role: &str) -> Value {
    json!({
        "object": "organization_membership",
        "id": "orgmem_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
        "role": role,
        "role_name": "Admin",
        "permissions": ["org:posts:read", "org:posts:write"],
        "public_metadata": {},
        "private_metadata": {},
        "organization": {
            "object": "organization",
            "id": "org_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
            "name": "Acme Corp",
            "slug": "acme-corp",
            "image_url": "https://img.clerk.com/xxxxxx",
            "has_image": true,
            "members_count": 2,
            "missing_member_with_elevated_permissions": false,
            "pending_invitations_count": 0,
            "max_allowed_memberships": 5,
            "admin_delete_enabled": true,
            "public_metadata": {},
            "private_metadata": {},
            "created_by": "user_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
            "created_at": 1_716_883_200_000_i64,
            "updated_at": 1_716_883_200_000_i64,
        },
        "public_user_data": {
            "user_id": "user_2h8op3Isl1QR7tKu5FGNfaLKEoU",
            "first_name": "Jane",
            "last_name": "Doe",
            "profile_image_url": "https://img.clerk.com/yyyyy",
            "image_url": "https://img.clerk.com/yyyyy",
            "has_image": true,
            "identifier": "jane.doe@acme.com",
        },
        "created_at": 1_716_883_200_000_i64,
        "updated_at": 1_716_883_500_000_i64,
    })
}

fn error_for(headers: &HeaderMap, body: &[u8], now: i64) -> WebhookError {
    webhook().verify_at(headers, body, at(now)).unwrap_err()
}

// Known answers.

#[test]
fn standard_webhooks_vector_matches_an_independent_hmac_and_our_signer() {
    // Computed here with hmac + sha2 directly, not through Webhook, as a cross-check.
    let key = STANDARD
        .decode(VECTOR_SECRET.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{VECTOR_ID}.{VECTOR_TIMESTAMP}.").as_bytes());
    mac.update(VECTOR_BODY);
    let independent = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    assert_eq!(independent, VECTOR_SIGNATURE);

    let webhook = Webhook::new(VECTOR_SECRET).unwrap();
    assert_eq!(
        webhook.sign(VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY),
        VECTOR_SIGNATURE
    );
}

#[test]
fn standard_webhooks_vector_verifies_then_fails_only_as_a_non_clerk_body() {
    // The vector's body is not a Clerk event, so the signature passing shows as the parse
    // error that follows it, not as NoMatchingSignature.
    let webhook = Webhook::new(VECTOR_SECRET).unwrap();
    let headers = headers(
        "webhook",
        VECTOR_ID,
        &VECTOR_TIMESTAMP.to_string(),
        VECTOR_SIGNATURE,
    );
    let error = webhook
        .verify_at(&headers, VECTOR_BODY, at(VECTOR_TIMESTAMP))
        .unwrap_err();
    assert!(
        matches!(
            error,
            WebhookError::InvalidPayload {
                event_type: None,
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn standardwebhooks_crate_vector_matches() {
    // From the `standardwebhooks` crate's own test_sign.
    let webhook = Webhook::new("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
    assert_eq!(
        webhook.sign(
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            1_649_367_553,
            br#"{"email":"test@example.com","username":"test_user"}"#,
        ),
        "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
    );
}

// Acceptance.

#[test]
fn accepts_svix_and_webhook_header_names_alike() {
    let webhook = webhook();
    let body = serde_json::to_vec(&envelope("user.created", json!({"id": "user_1"}))).unwrap();
    let signature = webhook.sign(MSG_ID, NOW, &body);
    for prefix in ["svix", "webhook"] {
        let headers = headers(prefix, MSG_ID, &NOW.to_string(), &signature);
        let verified = webhook.verify_at(&headers, &body, at(NOW)).unwrap();
        assert_eq!(verified.id, MSG_ID);
        assert_eq!(verified.signed_at, at(NOW));
    }
}

#[test]
fn accepts_plain_maps_and_pairs_case_insensitively() {
    let webhook = webhook();
    let body = serde_json::to_vec(&envelope("user.created", json!({}))).unwrap();
    let signature = webhook.sign(MSG_ID, NOW, &body);
    let timestamp = NOW.to_string();
    let pairs = [
        ("Svix-Id", MSG_ID),
        ("SVIX-TIMESTAMP", timestamp.as_str()),
        ("svix-signature", signature.as_str()),
    ];
    assert!(webhook.verify_at(&pairs, &body, at(NOW)).is_ok());
    let map: std::collections::HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert!(webhook.verify_at(&map, &body, at(NOW)).is_ok());
}

#[test]
fn one_valid_signature_among_several_is_enough() {
    let webhook = webhook();
    let body = serde_json::to_vec(&envelope("user.created", json!({}))).unwrap();
    let valid = webhook.sign(MSG_ID, NOW, &body);
    let other = Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        .unwrap()
        .sign(MSG_ID, NOW, &body);
    // A rotation's old signature, another version, garbage, then the valid one.
    let header = format!("{other} v1a,{} v1,!!notbase64 v2,xyz  {valid}", &valid[3..]);
    let headers = headers("svix", MSG_ID, &NOW.to_string(), &header);
    assert!(webhook.verify_at(&headers, &body, at(NOW)).is_ok());
}

#[test]
fn timestamps_at_the_edge_of_the_tolerance_pass() {
    let webhook = webhook();
    let body = serde_json::to_vec(&envelope("user.created", json!({}))).unwrap();
    let edge = i64::try_from(TIMESTAMP_TOLERANCE.as_secs()).unwrap();
    for signed_at in [NOW - edge, NOW + edge] {
        let headers = signed(&webhook, signed_at, &body);
        assert!(webhook.verify_at(&headers, &body, at(NOW)).is_ok());
    }
}

// Rejections, each by kind.

#[test]
fn rejects_a_tampered_body() {
    let body = serde_json::to_vec(&envelope("user.created", json!({"id": "user_1"}))).unwrap();
    let headers = signed(&webhook(), NOW, &body);
    let mut tampered = body.clone();
    let at_digit = tampered.iter().position(|&b| b == b'1').unwrap();
    tampered[at_digit] = b'2';
    let error = error_for(&headers, &tampered, NOW);
    assert!(
        matches!(error, WebhookError::NoMatchingSignature { checked: 1 }),
        "{error:?}"
    );
    assert!(error.is_signature_mismatch());
}

#[test]
fn rejects_a_tampered_timestamp() {
    let webhook = webhook();
    let body = serde_json::to_vec(&envelope("user.created", json!({}))).unwrap();
    let signature = webhook.sign(MSG_ID, NOW, &body);
    // Still within the tolerance, so only the signature can catch it.
    let headers = headers("svix", MSG_ID, &(NOW + 1).to_string(), &signature);
    let error = error_for(&headers, &body, NOW);
    assert!(matches!(error, WebhookError::NoMatchingSignature { .. }));
}

#[test]
fn rejects_a_tampered_id() {
    let webhook = webhook();
    let body = serde_json::to_vec(&envelope("user.created", json!({}))).unwrap();
    let signature = webhook.sign(MSG_ID, NOW, &body);
    let headers = headers("svix", "msg_other", &NOW.to_string(), &signature);
    assert!(error_for(&headers, &body, NOW).is_signature_mismatch());
}

#[test]
fn rejects_stale_and_future_timestamps() {
    let webhook = webhook();
    let body = serde_json::to_vec(&envelope("user.created", json!({}))).unwrap();
    let beyond = i64::try_from(TIMESTAMP_TOLERANCE.as_secs()).unwrap() + 1;

    let stale = error_for(&signed(&webhook, NOW - beyond, &body), &body, NOW);
    assert!(
        matches!(stale, WebhookError::TimestampTooOld { timestamp, now }
            if timestamp == NOW - beyond && now == NOW),
        "{stale:?}"
    );
    assert!(stale.is_timestamp_out_of_tolerance());
    assert!(stale.to_string().contains("301 s before now"), "{stale}");

    let future = error_for(&signed(&webhook, NOW + beyond, &body), &body, NOW);
    assert!(
        matches!(future, WebhookError::TimestampInFuture { .. }),
        "{future:?}"
    );
    assert!(future.to_string().contains("301 s after now"), "{future}");
}

#[test]
fn rejects_a_timestamp_that_is_not_a_number() {
    for bad in [
        "yesterday",
        "-1614265330",
        "1614265330.5",
        "99999999999999999999",
    ] {
        let headers = headers("svix", MSG_ID, bad, "v1,abc=");
        let error = error_for(&headers, b"{}", NOW);
        assert!(
            matches!(
                error,
                WebhookError::InvalidHeader {
                    header: WebhookHeader::Timestamp,
                    ..
                }
            ),
            "{bad}: {error:?}"
        );
        assert_eq!(error.header(), Some(WebhookHeader::Timestamp));
    }
}

#[test]
fn rejects_the_wrong_secret() {
    let body = serde_json::to_vec(&envelope("user.created", json!({}))).unwrap();
    let other = Webhook::new(VECTOR_SECRET).unwrap();
    let error = error_for(&signed(&other, NOW, &body), &body, NOW);
    assert!(matches!(
        error,
        WebhookError::NoMatchingSignature { checked: 1 }
    ));
}

#[test]
fn rejects_a_header_with_no_v1_signature() {
    let headers = headers("svix", MSG_ID, &NOW.to_string(), "v1a,abc v2,def");
    let error = error_for(&headers, b"{}", NOW);
    assert!(matches!(
        error,
        WebhookError::NoMatchingSignature { checked: 0 }
    ));
}

#[test]
fn names_each_missing_header() {
    let body = serde_json::to_vec(&envelope("user.created", json!({}))).unwrap();
    let complete = signed(&webhook(), NOW, &body);
    for (name, header) in [
        ("svix-id", WebhookHeader::Id),
        ("svix-timestamp", WebhookHeader::Timestamp),
        ("svix-signature", WebhookHeader::Signature),
    ] {
        let mut headers = complete.clone();
        headers.remove(name);
        let error = error_for(&headers, &body, NOW);
        assert!(
            matches!(error, WebhookError::MissingHeader { header: h } if h == header),
            "{name}: {error:?}"
        );
        assert!(error.to_string().contains(name), "{error}");
        assert!(
            error.to_string().contains(header.standard_name()),
            "{error}"
        );
    }
    assert!(matches!(
        error_for(&HeaderMap::new(), &body, NOW),
        WebhookError::MissingHeader { .. }
    ));
}

#[test]
fn rejects_a_huge_body_before_hashing() {
    let webhook = webhook();
    let huge = vec![b' '; DEFAULT_MAX_BODY_BYTES + 1];
    let headers = signed(&webhook, NOW, &huge);
    let error = webhook.verify_at(&headers, &huge, at(NOW)).unwrap_err();
    assert!(
        matches!(error, WebhookError::BodyTooLarge { len, limit }
            if len == DEFAULT_MAX_BODY_BYTES + 1 && limit == DEFAULT_MAX_BODY_BYTES),
        "{error:?}"
    );

    // The limit is configurable, and applies even with a valid signature.
    let small = webhook.clone().with_max_body_bytes(16);
    let body = serde_json::to_vec(&envelope("user.created", json!({}))).unwrap();
    let headers = signed(&small, NOW, &body);
    assert!(matches!(
        small.verify_at(&headers, &body, at(NOW)),
        Err(WebhookError::BodyTooLarge { limit: 16, .. })
    ));
}

#[test]
fn rejects_signed_bodies_that_are_not_events() {
    let webhook = webhook();
    for body in [&b"not json"[..], b"[]", br#"{"data": {}}"#] {
        let headers = signed(&webhook, NOW, body);
        let error = webhook.verify_at(&headers, body, at(NOW)).unwrap_err();
        assert!(
            matches!(
                error,
                WebhookError::InvalidPayload {
                    event_type: None,
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(error.is_invalid_payload());
        assert!(std::error::Error::source(&error).is_some());
    }
    // A typed event whose data lacks what identifies it.
    let body = serde_json::to_vec(&envelope("organizationInvitation.created", json!({}))).unwrap();
    let error = webhook
        .verify_at(&signed(&webhook, NOW, &body), &body, at(NOW))
        .unwrap_err();
    assert!(
        matches!(&error, WebhookError::InvalidPayload { event_type: Some(t), .. }
            if t == "organizationInvitation.created"),
        "{error:?}"
    );
}

#[test]
fn rejects_malformed_secrets_distinctly() {
    for bad in ["", "whsec_", "whsec_not base64!", "   "] {
        let error = Webhook::new(bad).unwrap_err();
        assert!(
            matches!(error, WebhookError::InvalidSecret { .. }),
            "{bad:?}: {error:?}"
        );
        assert!(error.is_secret_error());
    }
}

// Typed events.

#[test]
fn invitation_created_carries_the_clients_invitation_type() {
    let verified = verify(&envelope(
        "organizationInvitation.created",
        invitation_data("pending"),
    ));
    assert_eq!(verified.event_type(), "organizationInvitation.created");
    assert_eq!(verified.instance_id, "ins_2g7np7Hrk0SN6kj5EDMLDaKNL0S");
    assert_eq!(verified.object, "event");
    assert_eq!(verified.timestamp, Some(1_716_883_200));
    let request = verified
        .event_attributes
        .as_ref()
        .and_then(|a| a.http_request.as_ref())
        .unwrap();
    assert_eq!(request.client_ip.as_deref(), Some("192.168.1.100"));
    let Event::OrganizationInvitationCreated(invitation) = &verified.event else {
        panic!("{:?}", verified.event);
    };
    assert_eq!(invitation.id, "orginv_2g7np7Hrk0SN6kj5EDMLDaKNL0S");
    assert_eq!(invitation.email_address, "jane.doe@acme.com");
    assert_eq!(invitation.role, Role::MEMBER);
    assert_eq!(invitation.role_name, "Member");
    assert_eq!(invitation.status, InvitationStatus::Pending);
    assert_eq!(
        invitation.organization_id.as_deref(),
        Some("org_2g7np7Hrk0SN6kj5EDMLDaKNL0S")
    );
    assert_eq!(
        invitation.expires_at.unwrap().to_rfc3339(),
        "2024-06-04T07:59:59+00:00"
    );
    assert_eq!(
        invitation.created_at.to_rfc3339(),
        "2024-05-28T08:00:00+00:00"
    );
    assert_eq!(
        invitation.updated_at.to_rfc3339(),
        "2024-05-28T08:05:00+00:00"
    );
    assert!(invitation.public_inviter_data.is_none());
    assert_eq!(verified.event.invitation(), Some(invitation));
}

#[test]
fn invitation_accepted_and_revoked_are_typed() {
    let mut accepted = invitation_data("accepted");
    accepted["user_id"] = json!("user_2h8op3Isl1QR7tKu5FGNfaLKEoU");
    let verified = verify(&envelope("organizationInvitation.accepted", accepted));
    let Event::OrganizationInvitationAccepted {
        invitation,
        user_id,
    } = &verified.event
    else {
        panic!("{:?}", verified.event);
    };
    assert_eq!(invitation.status, InvitationStatus::Accepted);
    assert_eq!(user_id.as_deref(), Some("user_2h8op3Isl1QR7tKu5FGNfaLKEoU"));

    let verified = verify(&envelope(
        "organizationInvitation.revoked",
        invitation_data("revoked"),
    ));
    assert!(matches!(
        &verified.event,
        Event::OrganizationInvitationRevoked(invitation)
            if invitation.status == InvitationStatus::Revoked
    ));
}

#[test]
fn invitation_reads_organization_and_inviter_data_where_the_spec_puts_them() {
    let mut data = invitation_data("pending");
    data["inviter_id"] = json!("user_inviter");
    data["public_inviter_data"] = json!({
        "user_id": "user_inviter", "first_name": null, "last_name": "Admin",
        "image_url": "https://img.clerk.com/z", "has_image": false, "identifier": "a@acme.com"
    });
    // The spec nests it under `data`; the top level is read too.
    data["data"] = json!({"public_organization_data": {
        "id": "org_1", "name": "Acme", "slug": "acme", "has_image": false
    }});
    let verified = verify(&envelope("organizationInvitation.created", data));
    let invitation = verified.event.invitation().unwrap();
    assert_eq!(invitation.inviter_id.as_deref(), Some("user_inviter"));
    let inviter = invitation.public_inviter_data.as_ref().unwrap();
    assert_eq!(inviter.identifier, "a@acme.com");
    assert_eq!(inviter.first_name, None);
    let organization = invitation.public_organization_data.as_ref().unwrap();
    assert_eq!(organization.slug, "acme");
}

#[test]
fn membership_events_are_typed() {
    for (event_type, role) in [
        ("organizationMembership.created", "org:member"),
        ("organizationMembership.updated", "org:admin"),
        ("organizationMembership.deleted", "org:member"),
    ] {
        let verified = verify(&envelope(event_type, membership_data(role)));
        assert_eq!(verified.event_type(), event_type);
        let membership = verified.event.membership().unwrap();
        assert_eq!(membership.id, "orgmem_2g7np7Hrk0SN6kj5EDMLDaKNL0S");
        assert_eq!(membership.role, Role::new(role));
        assert_eq!(
            membership.permissions,
            ["org:posts:read", "org:posts:write"]
        );
        assert_eq!(
            membership.organization.id,
            "org_2g7np7Hrk0SN6kj5EDMLDaKNL0S"
        );
        assert_eq!(membership.organization.name, "Acme Corp");
        assert_eq!(membership.organization.slug.as_deref(), Some("acme-corp"));
        assert_eq!(membership.organization.members_count, Some(2));
        assert_eq!(membership.organization.max_allowed_memberships, Some(5));
        let user = membership.public_user_data.as_ref().unwrap();
        assert_eq!(user.user_id, "user_2h8op3Isl1QR7tKu5FGNfaLKEoU");
        assert_eq!(user.identifier.as_deref(), Some("jane.doe@acme.com"));
        assert_eq!(user.first_name.as_deref(), Some("Jane"));
        assert!(user.has_image);
        assert_eq!(
            membership.updated_at.to_rfc3339(),
            "2024-05-28T08:05:00+00:00"
        );
    }
    let created = verify(&envelope(
        "organizationMembership.created",
        membership_data("org:member"),
    ));
    assert!(matches!(
        created.event,
        Event::OrganizationMembershipCreated(_)
    ));
}

#[test]
fn unknown_event_types_become_other_with_their_data() {
    let data = json!({"id": "user_1", "anything": [1, 2, 3]});
    let verified = verify(&envelope("user.created", data.clone()));
    assert_eq!(
        verified.event,
        Event::Other {
            r#type: "user.created".into(),
            data
        }
    );
    assert_eq!(verified.event_type(), "user.created");
    assert!(verified.event.invitation().is_none());

    // Even an envelope with nothing but a type.
    let verified = verify(&json!({"type": "someday.new"}));
    assert_eq!(verified.event_type(), "someday.new");
    assert_eq!(verified.instance_id, "");
    assert_eq!(verified.timestamp, None);
}

#[test]
fn unknown_fields_and_nulls_are_tolerated() {
    let mut data = membership_data("org:member");
    data["brand_new_field"] = json!({"nested": true});
    data["organization"]["role_set_key"] = json!("default");
    data["organization"]["slug"] = Value::Null;
    data["public_user_data"]["banned"] = json!(false);
    data["public_metadata"] = Value::Null;
    let mut body = envelope("organizationMembership.updated", data);
    body["new_envelope_field"] = json!(1);
    body["event_attributes"]["http_request"]["new"] = json!("x");
    let verified = verify(&body);
    let membership = verified.event.membership().unwrap();
    assert!(membership.public_metadata.is_empty());
    assert_eq!(membership.organization.slug, None);

    let mut invitation = invitation_data("some_future_status");
    invitation["private_metadata"] = Value::Null;
    invitation["new"] = json!([]);
    let verified = verify(&envelope("organizationInvitation.created", invitation));
    assert_eq!(
        verified.event.invitation().unwrap().status,
        InvitationStatus::Unknown("some_future_status".into())
    );
}

// The secret stays secret.

#[test]
fn the_secret_is_in_no_debug_or_error_message() {
    let encoded = SECRET.strip_prefix("whsec_").unwrap();
    let webhook = webhook();
    let debug = format!("{webhook:?}");
    assert!(!debug.contains(encoded), "{debug}");
    assert!(debug.contains("REDACTED"), "{debug}");

    let body = serde_json::to_vec(&envelope("user.created", json!({}))).unwrap();
    let mut errors = vec![
        error_for(&HeaderMap::new(), &body, NOW),
        error_for(&signed(&webhook, NOW, &body), b"{}", NOW),
        error_for(&signed(&webhook, 0, &body), &body, NOW),
        error_for(&signed(&webhook, NOW, b"nope"), b"nope", NOW),
    ];
    // A bad character inside the secret: base64's error would name it, ours must not.
    let almost = format!("whsec_{}!", &encoded[..encoded.len() - 1]);
    errors.push(Webhook::new(&almost).unwrap_err());
    for error in &errors {
        for text in [
            format!("{error}"),
            format!("{error:?}"),
            format!("{error:#?}"),
        ] {
            assert!(!text.contains(encoded), "{text}");
            assert!(!text.contains(&encoded[..8]), "{text}");
        }
        assert!(
            std::error::Error::source(error)
                .is_none_or(|source| { !source.to_string().contains(&encoded[..8]) })
        );
    }
}

#[test]
fn from_env_reads_clerks_variable() {
    // Only the unset case: setting the variable would need `unsafe` (edition 2024) and could
    // race with other tests of this binary; `Webhook::new` covers the parsing.
    if std::env::var_os("CLERK_WEBHOOK_SIGNING_SECRET").is_none() {
        let error = Webhook::from_env().unwrap_err();
        assert!(matches!(
            error,
            WebhookError::SecretNotSet {
                var: "CLERK_WEBHOOK_SIGNING_SECRET"
            }
        ));
        assert!(error.is_secret_error());
    }
}

#[cfg(feature = "axum")]
mod axum_extractor {
    use super::*;
    use axum::body::Body;
    use axum::extract::FromRequest;
    use axum::http::{Request, StatusCode};
    use clerk_orgs::webhooks::VerifiedWebhook;

    fn request(headers: &HeaderMap, body: Vec<u8>) -> Request<Body> {
        let mut request = Request::post("/webhooks/clerk")
            .body(Body::from(body))
            .unwrap();
        *request.headers_mut() = headers.clone();
        request
    }

    #[tokio::test]
    async fn extracts_a_verified_event_and_rejects_with_400() {
        // Signed now: the extractor checks against the real clock.
        let now = Utc::now().timestamp();
        let webhook = webhook();
        let body = serde_json::to_vec(&envelope(
            "organizationInvitation.revoked",
            invitation_data("revoked"),
        ))
        .unwrap();
        let headers = signed(&webhook, now, &body);

        let VerifiedWebhook(verified) =
            VerifiedWebhook::from_request(request(&headers, body.clone()), &webhook)
                .await
                .unwrap();
        assert!(matches!(
            verified.event,
            Event::OrganizationInvitationRevoked(_)
        ));

        let (status, message) =
            VerifiedWebhook::from_request(request(&headers, b"{}".to_vec()), &webhook)
                .await
                .unwrap_err();
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            message.contains("no webhook signature matches"),
            "{message}"
        );

        let small = webhook.clone().with_max_body_bytes(8);
        let (status, message) = VerifiedWebhook::from_request(request(&headers, body), &small)
            .await
            .unwrap_err();
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(message.contains("larger than 8 bytes"), "{message}");
    }
}
