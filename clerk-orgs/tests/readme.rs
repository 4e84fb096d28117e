//! The README's Rust snippets, compiled and run against clerk-fake.
//!
//! Each ```rust block of `README.md` must appear in this file verbatim (up to indentation) as
//! the body of one of the functions below; `every_readme_snippet_is_here` checks that, so the
//! README cannot drift from the API. The functions then run in order against a fake seeded as
//! the standalone `cargo run -p clerk-fake` seeds it (`FakeClerk::seed_demo`), the world the
//! README's snippets name, and their effects are asserted.

use std::path::Path;

use clerk_fake::FakeClerk;
use clerk_orgs::{Client, Error};

// ---- the snippets -------------------------------------------------------------------------

// Compiled, not run: it reads the environment and names a placeholder key.
#[allow(dead_code, unused_variables)]
fn client_snippet() -> Result<(), Error> {
    use clerk_orgs::Client;
    use std::time::Duration;

    // CLERK_SECRET_KEY, and CLERK_API_URL if set (default https://api.clerk.com).
    let client = Client::from_env()?;

    // Or explicitly; http:// is only accepted for loopback hosts (e.g. clerk-fake).
    let client = Client::builder()
        .secret_key("sk_test_...")
        .base_url("http://127.0.0.1:8787")
        .timeout(Duration::from_secs(10))
        .build()?;
    let _ = client;
    Ok(())
}

async fn create_snippet(client: &Client) -> Result<(), Error> {
    use clerk_orgs::Role;
    use serde_json::json;

    let invitations = client.organization("org_demo").invitations();
    let invitation = invitations
        .create("alice@example.com", Role::MEMBER) // or Role::ADMIN, or "org:billing"
        .inviter_user_id("user_admin")
        .redirect_url("https://app.example.com/welcome")
        .public_metadata(json!({"team": "core"}))
        .expires_in_days(7)
        .notify(false)
        .send()
        .await?;
    println!("invited {} as {}", invitation.email_address, invitation.id);
    Ok(())
}

async fn bulk_snippet(client: &Client) -> Result<(), Error> {
    use clerk_orgs::{InviteResult, NewInvitation, Role};
    use futures::StreamExt;

    let invitations = client.organization("org_demo").invitations();

    // Up to ten in one request, all or none.
    let created = invitations
        .create_bulk([
            NewInvitation::new("bob@example.com", Role::MEMBER),
            NewInvitation::new("carol@example.com", Role::ADMIN).inviter_user_id("user_admin"),
        ])
        .send()
        .await?;
    assert_eq!(created.len(), 2);

    // Any number, paced under Clerk's rate limits, one outcome per person.
    let people = (1..=25).map(|n| NewInvitation::new(format!("p{n}@example.com"), Role::MEMBER));
    let mut run = invitations.invite_all(people);
    while let Some(outcome) = run.next().await {
        match outcome.result {
            InviteResult::Invited(invitation) => {
                println!("{}: {}", outcome.email_address, invitation.id)
            }
            other => println!("{}: {other:?}", outcome.email_address),
        }
    }
    Ok(())
}

async fn list_snippet(client: &Client) -> Result<(), Error> {
    use clerk_orgs::InvitationStatus;
    use futures::TryStreamExt;

    let invitations = client.organization("org_demo").invitations();

    // One page.
    let page = invitations
        .list()
        .status(InvitationStatus::Pending)
        .limit(100)
        .send()
        .await?;
    println!("{} of {} pending", page.data.len(), page.total_count);

    // Every page, fetched lazily as the stream is read.
    let mut all = invitations
        .list()
        .status(InvitationStatus::Pending)
        .stream();
    while let Some(invitation) = all.try_next().await? {
        println!("{} ({})", invitation.email_address, invitation.role);
    }
    Ok(())
}

async fn revoke_snippet(client: &Client) -> Result<(), Error> {
    use clerk_orgs::InvitationStatus;

    let invitations = client.organization("org_demo").invitations();
    let pending = invitations
        .list()
        .email_address("alice@example.com")
        .status(InvitationStatus::Pending)
        .send()
        .await?;
    for invitation in pending.data {
        let revoked = invitations
            .revoke(&invitation.id)
            .requesting_user_id("user_admin")
            .send()
            .await?;
        println!("{} is now {}", revoked.email_address, revoked.status);
    }
    Ok(())
}

async fn errors_snippet(client: &Client) {
    use clerk_orgs::{Delivery, Error, Role};

    let invitations = client.organization("org_demo").invitations();
    match invitations
        .create("alice@example.com", Role::MEMBER)
        .send()
        .await
    {
        Ok(invitation) => println!("invited: {}", invitation.id),
        Err(e) if e.is_duplicate_invitation() => println!("already invited"),
        Err(e) if e.is_already_member() => println!("already a member"),
        // Checked before sending: nothing left the machine.
        Err(Error::InvalidRequest(invalid)) => {
            println!("fix `{}`: {}", invalid.field(), invalid.rule())
        }
        Err(e) if e.is_rate_limited() => println!("retry in {:?}", e.retry_after()),
        // A create whose answer was lost may exist at Clerk: look before sending it again.
        Err(e) if e.delivery() == Delivery::Unknown => println!("unknown outcome: {e}"),
        Err(e) => eprintln!("{e} (status {:?}, trace id {:?})", e.status(), e.trace_id()),
    }
}

async fn members_snippet(client: &Client) -> Result<(), Error> {
    use clerk_orgs::{Removal, Role};
    use futures::TryStreamExt;
    use serde_json::json;

    let members = client.organization("org_demo").memberships();

    // Add an existing user with a role (no email is sent; to ask someone, invite them). The
    // demo's only user is a member already, which Clerk refuses.
    let added = members
        .create("user_admin", Role::MEMBER)
        .public_metadata(json!({"team": "core"}))
        .send()
        .await;
    match added {
        Ok(membership) => println!("{} joined as {}", membership.id, membership.role),
        Err(e) if e.is_already_member() => println!("already a member"),
        Err(e) => return Err(e),
    }

    // Merge metadata into a membership (Clerk merges deeply, and `null` removes a key).
    let merged = members
        .update_metadata("user_admin")
        .public_metadata(json!({"desk": "B2", "seat": null}))
        .send()
        .await?;
    println!("{:?}", merged.public_metadata);

    // Every admin, page by page, with any of Clerk's filters (role, user ids, emails, query, ...).
    let mut admins = members
        .list()
        .role(Role::ADMIN)
        .order_by("+created_at")
        .stream();
    while let Some(admin) = admins.try_next().await? {
        println!("admin: {:?}", admin.identifier());
    }

    // Change a role, or remove a member; the last admin can be neither demoted nor removed.
    let demoted = members.update_role("user_admin", Role::MEMBER).send().await;
    assert!(demoted.unwrap_err().is_last_admin());
    match members.delete("user_admin").send().await {
        Ok(Removal::Removed(removed)) => println!("removed {}", removed.id),
        Ok(_) => println!("removed (Clerk's answer was lost; no membership is left)"),
        Err(e) if e.is_last_admin() => println!("promote someone else first"),
        Err(e) => return Err(e),
    }
    Ok(())
}

async fn roles_snippet(client: &Client) -> Result<(), Error> {
    use futures::TryStreamExt;

    let mut roles = client.organization_roles().list().stream();
    while let Some(role) = roles.try_next().await? {
        let permissions: Vec<&str> = role.permissions.iter().map(|p| p.key.as_str()).collect();
        println!("{} ({}): {}", role.key, role.name, permissions.join(", "));
    }

    let refused = client
        .organization("org_demo")
        .invitations()
        .create("dave@example.com", "org:no_such_role")
        .check_role(true)
        .send()
        .await
        .unwrap_err();
    assert!(refused.is_role_not_found()); // nothing was sent
    println!("{refused}"); // names the roles there are: org:admin, org:member
    Ok(())
}

async fn fake_snippet() -> Result<(), Error> {
    let fake = clerk_fake::FakeClerk::start().await;
    fake.add_organization(clerk_fake::Organization::new("org_123", "Acme"));
    let client = clerk_orgs::Client::builder()
        .secret_key(fake.secret_key().to_owned())
        .base_url(fake.base_url())
        .build()?;
    let invitations = client.organization("org_123").invitations();
    assert!(invitations.list().send().await?.data.is_empty());
    Ok(())
}

async fn roster_snippet(client: &Client) -> Result<(), Box<dyn std::error::Error>> {
    use clerk_orgs::roster::{ChangeResult, Plan};
    use clerk_orgs::{Role, RosterRow};
    use futures::StreamExt;

    let roster = client.organization("org_demo").roster();
    let rows = || {
        vec![
            RosterRow::new("admin@demo.test", Role::ADMIN),
            RosterRow::new("dana@example.com", Role::MEMBER),
            RosterRow::new("eli@example.com", Role::ADMIN)
                .public_metadata(serde_json::json!({"team": "ops"})),
        ]
    };

    // A dry run: reads the organization, changes nothing.
    let plan = roster
        .plan(rows())
        .prune(true)
        .inviter_user_id("user_admin")
        .send()
        .await?;
    for change in plan.changes().iter().filter(|change| change.is_change()) {
        let email = change.email_address().unwrap_or("-");
        println!(
            "{:<12} {email:<18} {:<10} {}",
            change.kind(),
            change.roles(),
            change.reason()
        );
    }
    println!("{}", plan.summary());

    // Save it for review; apply it later, only if the organization is still as planned.
    let saved = serde_json::to_string_pretty(&plan)?;
    let reviewed: Plan = serde_json::from_str(&saved)?;
    let mut run = roster.apply(reviewed).send().await?; // refused if stale or a rail breaks
    while let Some(outcome) = run.next().await {
        match &outcome.result {
            ChangeResult::Done(_) | ChangeResult::AlreadyDone(_) => {}
            other => eprintln!("#{} {:?}: {other:?}", outcome.index, outcome.email_address),
        }
    }

    // Idempotent: planning again finds nothing to do.
    assert!(roster.plan(rows()).prune(true).send().await?.is_empty());
    Ok(())
}

// ---- the checks ---------------------------------------------------------------------------

#[tokio::test]
async fn the_readme_fake_snippet_runs() {
    fake_snippet().await.unwrap();
}

#[tokio::test]
async fn the_readme_snippets_run_against_clerk_fake() {
    // Seeded exactly as `cargo run -p clerk-fake` seeds it, which the README's snippets name.
    let fake = FakeClerk::start().await;
    fake.seed_demo();
    let client = Client::builder()
        .secret_key(fake.secret_key().to_owned())
        .base_url(fake.base_url())
        .build()
        .unwrap();
    let email_of = |fake: &FakeClerk, email: &str| {
        fake.invitations()
            .into_iter()
            .filter(|i| i.email_address == email)
            .collect::<Vec<_>>()
    };

    create_snippet(&client).await.unwrap();
    let alice = email_of(&fake, "alice@example.com");
    assert_eq!(alice.len(), 1);
    assert_eq!(alice[0].public_metadata["team"], "core");
    assert!(!alice[0].notify);

    bulk_snippet(&client).await.unwrap();
    assert_eq!(fake.invitations().len(), 1 + 2 + 25);
    assert_eq!(email_of(&fake, "carol@example.com")[0].role, "org:admin");

    list_snippet(&client).await.unwrap();

    // Alice is invited already: the error snippet takes its duplicate branch, creating nothing.
    errors_snippet(&client).await;
    assert_eq!(email_of(&fake, "alice@example.com").len(), 1);

    revoke_snippet(&client).await.unwrap();
    assert_eq!(
        email_of(&fake, "alice@example.com")[0].status,
        clerk_fake::InvitationStatus::Revoked
    );

    // Already a member; metadata merged; the only admin kept: every refusal left it as it was.
    let before = fake.request_log().requests().len();
    members_snippet(&client).await.unwrap();
    let admin = fake.membership("org_demo", "user_admin").unwrap();
    assert_eq!(admin.role, "org:admin");
    assert_eq!(
        serde_json::Value::Object(admin.public_metadata.clone()),
        serde_json::json!({"desk": "B2"})
    );
    let sent: Vec<String> = fake.request_log().requests()[before..]
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r.method,
                r.path_and_query.split('?').next().unwrap()
            )
        })
        .collect();
    assert_eq!(
        sent,
        [
            "POST /v1/organizations/org_demo/memberships",
            "PATCH /v1/organizations/org_demo/memberships/user_admin/metadata",
            "GET /v1/organizations/org_demo/memberships",
            "PATCH /v1/organizations/org_demo/memberships/user_admin",
            "DELETE /v1/organizations/org_demo/memberships/user_admin",
        ]
    );

    // The roles are listed once, then the check refuses the unknown role from the cached list:
    // nothing is sent for the invitation.
    let before = fake.request_log().requests().len();
    roles_snippet(&client).await.unwrap();
    let sent = fake.request_log().requests()[before..].to_vec();
    assert!(
        sent.iter()
            .all(|r| r.path_and_query.starts_with("/v1/organization_roles"))
    );
    assert!(email_of(&fake, "dave@example.com").is_empty());
}

#[tokio::test]
async fn the_readme_roster_snippet_runs_against_clerk_fake() {
    let fake = FakeClerk::start().await;
    fake.seed_demo();
    let client = Client::builder()
        .secret_key(fake.secret_key().to_owned())
        .base_url(fake.base_url())
        .build()
        .unwrap();
    roster_snippet(&client).await.unwrap();
    let invited: Vec<(String, String)> = fake
        .invitations()
        .into_iter()
        .map(|i| (i.email_address, i.role))
        .collect();
    assert_eq!(
        invited,
        [
            ("dana@example.com".to_owned(), "org:member".to_owned()),
            ("eli@example.com".to_owned(), "org:admin".to_owned())
        ]
    );
}

/// The lines of `text` with leading and trailing whitespace removed, blank lines dropped.
fn normalized(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect()
}

#[test]
fn every_readme_snippet_is_here() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(manifest.join("../README.md")).unwrap();
    let this_file = normalized(include_str!("readme.rs"));
    let mut snippets = 0;
    let mut rest = readme.as_str();
    while let Some(start) = rest.find("```rust\n") {
        let block = &rest[start + "```rust\n".len()..];
        let end = block.find("```").expect("a closed code block");
        let snippet = normalized(&block[..end]);
        let found = this_file
            .windows(snippet.len())
            .any(|window| window == snippet.as_slice());
        assert!(
            found,
            "README snippet not found in tests/readme.rs (keep them identical):\n{}",
            &block[..end]
        );
        snippets += 1;
        rest = &block[end..];
    }
    assert!(snippets >= 7, "the README has {snippets} Rust snippets");
}
