//! The generated webhook event types: a snapshot of the invitation and membership events (what
//! `clerk-orgs` builds on), and Clerk's own examples of those events decoding into them.
//!
//! `fixtures/webhook_events/` holds the examples of those events from Clerk's webhooks spec (MIT,
//! see `spec/LICENSE-clerk-openapi`) as JSON. The vendored spec keeps no examples (they are prose
//! to the import), so xtask's tests check that the fixtures still equal the upstream examples.

#[path = "../build/webhook_events.rs"]
#[allow(dead_code)]
mod generator;

/// The events the snapshot shows; every other event is generated the same way.
const INVITATION_AND_MEMBERSHIP_EVENTS: &[&str] = &[
    "organizationInvitation.created",
    "organizationInvitation.accepted",
    "organizationInvitation.revoked",
    "organizationMembership.created",
    "organizationMembership.updated",
    "organizationMembership.deleted",
];

#[test]
fn invitation_and_membership_event_types() {
    let spec = include_str!("../../spec/clerk-webhooks.json");
    // build.rs writes the code unformatted; formatted here so a change reads as a diff.
    let code = generator::generate(spec, Some(INVITATION_AND_MEMBERSHIP_EVENTS));
    let file = syn::parse_file(&code).expect("the event types are valid Rust");
    insta::assert_snapshot!(prettyplease::unparse(&file));
}

#[cfg(feature = "webhook-events")]
mod decode {
    use clerk_bapi_sys::webhook_events::*;
    use serde_json::{Value, json};

    macro_rules! fixture {
        ($event:literal) => {
            include_str!(concat!("fixtures/webhook_events/", $event, ".json"))
        };
    }

    #[test]
    fn invitation_examples_decode() {
        let created: OrganizationInvitationCreatedEvent =
            serde_json::from_str(fixture!("organizationInvitation.created")).unwrap();
        assert_eq!(created.type_, "organizationInvitation.created");
        assert_eq!(created.data.id, "orginv_2g7np7Hrk0SN6kj5EDMLDaKNL0S");
        assert_eq!(created.data.status.as_deref(), Some("pending"));
        assert_eq!(created.data.expires_at, Some(1717487999000));
        // Required upstream, absent from Clerk's example: see relax_required_by_examples.
        assert_eq!(created.data.inviter_id, None);

        let accepted: OrganizationInvitationAcceptedEvent =
            serde_json::from_str(fixture!("organizationInvitation.accepted")).unwrap();
        assert_eq!(accepted.data.user_id, "user_2h8op3Isl1QR7tKu5FGNfaLKEoU");
        assert_eq!(accepted.data.status.as_deref(), Some("accepted"));

        let revoked: OrganizationInvitationRevokedEvent =
            serde_json::from_str(fixture!("organizationInvitation.revoked")).unwrap();
        assert_eq!(revoked.data.status.as_deref(), Some("revoked"));
        assert_eq!(revoked.timestamp, 1716883200);
    }

    #[test]
    fn membership_examples_decode() {
        for (event, fixture) in [
            (
                "organizationMembership.created",
                fixture!("organizationMembership.created"),
            ),
            (
                "organizationMembership.updated",
                fixture!("organizationMembership.updated"),
            ),
            (
                "organizationMembership.deleted",
                fixture!("organizationMembership.deleted"),
            ),
        ] {
            // The three events share one payload shape; each has its own type.
            let decoded: OrganizationMembershipCreatedEvent =
                serde_json::from_str(fixture).unwrap_or_else(|err| panic!("{event}: {err}"));
            assert_eq!(decoded.type_, event);
            assert_eq!(decoded.data.organization.slug, "acme-corp");
            let user = decoded.data.public_user_data.as_ref().unwrap();
            assert_eq!(user.identifier.as_deref(), Some("jane.doe@acme.com"));
        }
        let updated: OrganizationMembershipUpdatedEvent =
            serde_json::from_str(fixture!("organizationMembership.updated")).unwrap();
        assert_eq!(updated.data.role, "org:admin");
        assert_eq!(updated.data.permissions.len(), 4);
        let _: OrganizationMembershipDeletedEvent =
            serde_json::from_str(fixture!("organizationMembership.deleted")).unwrap();
    }

    #[test]
    fn unknown_fields_new_enum_values_and_nulls_decode() {
        let mut event: Value =
            serde_json::from_str(fixture!("organizationInvitation.accepted")).unwrap();
        event["a_field_clerk_adds_later"] = json!(1);
        event["data"]["object"] = json!("organization_invitation_v2");
        event["data"]["also_new"] = json!({"x": []});
        event["data"]["inviter_id"] = Value::Null;
        event["data"]["public_inviter_data"] = Value::Null;
        event["data"]["data"] = json!({"public_organization_data": null});
        let decoded: OrganizationInvitationAcceptedEvent = serde_json::from_value(event).unwrap();
        assert_eq!(decoded.data.object, "organization_invitation_v2");
        assert!(
            decoded
                .data
                .data
                .unwrap()
                .public_organization_data
                .is_none()
        );
    }

    #[test]
    fn every_event_type_is_listed_once() {
        assert_eq!(EVENT_TYPES.len(), 45);
        assert!(EVENT_TYPES.contains(&(
            "organizationInvitation.accepted",
            "OrganizationInvitationAcceptedEvent"
        )));
        let mut events: Vec<&str> = EVENT_TYPES.iter().map(|(event, _)| *event).collect();
        events.dedup();
        assert_eq!(events.len(), EVENT_TYPES.len());
    }
}
