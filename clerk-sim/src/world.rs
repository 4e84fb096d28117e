//! The world a seed draws before the workload: organizations, users, members, roles and
//! invitations of every status, made through a fault-free client and aged by advancing the
//! clock.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use clerk_fake::{ADMIN_ROLE, FakeClerk, MEMBER_ROLE, Organization, Role, User};
use clerk_orgs::{Client, RetryPolicy};
use serde_json::json;

use crate::{ADMIN, BILLING_ROLE, OWNER_ROLE, PLAIN, SimClock};

pub(crate) struct WorldSetup {
    pub(crate) orgs: Vec<String>,
    pub(crate) pool: Vec<String>,
    /// User id -> lowercased email, for every user the simulator knows of.
    pub(crate) users: HashMap<String, String>,
}

/// The permissions Clerk keeps at least one member of an organization holding (those its
/// creator role must have, per Clerk's roles-and-permissions guide): with the default roles,
/// an `org:admin`. The checks judge the last-admin rule with this list, not with the fake's.
pub const MINIMUM_PERMISSIONS: [&str; 3] = [
    "org:sys_memberships:manage",
    "org:sys_memberships:read",
    "org:sys_profile:delete",
];

/// The membership family's part of the world, drawn from its own stream: users for most pool
/// addresses (so they can be added directly), two custom roles (one holding the minimum, one
/// not), and sometimes a second admin-like member.
fn seed_members_world(
    rng: &mut fastrand::Rng,
    fake: &FakeClerk,
    orgs: &[String],
    pool: &[String],
    users: &mut HashMap<String, String>,
) {
    fake.seed_role(
        Role::new(BILLING_ROLE, "Billing")
            .with_permissions(["org:sys_billing:manage", "org:sys_memberships:read"]),
    )
    .expect("system permissions exist");
    fake.seed_role(Role::new(OWNER_ROLE, "Owner").with_permissions(MINIMUM_PERMISSIONS))
        .expect("system permissions exist");
    for (n, email) in pool.iter().enumerate() {
        if rng.u32(..4) != 0 {
            let user = format!("user_p{n}");
            fake.add_user(User::new(user.clone(), email.clone()));
            users.insert(user, email.to_lowercase());
        }
    }
    for org in orgs {
        if rng.u32(..3) == 0 {
            let n = rng.usize(..pool.len());
            let user = format!("user_p{n}");
            fake.add_user(User::new(user.clone(), pool[n].clone()));
            users.insert(user.clone(), pool[n].to_lowercase());
            let role = if rng.bool() { ADMIN_ROLE } else { OWNER_ROLE };
            fake.add_membership(org, &user, role)
                .expect("seeded org, user and role");
        }
    }
}

/// Organizations, users and invitations of every status, made through a fault-free client and
/// aged by advancing the clock. `members` is the membership family's stream, when it runs.
pub(crate) async fn seed(
    rng: &mut fastrand::Rng,
    members: Option<&mut fastrand::Rng>,
    fake: &FakeClerk,
    clock: &SimClock,
) -> WorldSetup {
    let orgs: Vec<String> = (0..rng.usize(1..=2)).map(|n| format!("org_{n}")).collect();
    let mut users = HashMap::new();
    fake.add_user(User::new(ADMIN, "admin@sim.test"));
    fake.add_user(User::new(PLAIN, "plain@sim.test"));
    users.insert(ADMIN.to_owned(), "admin@sim.test".to_owned());
    users.insert(PLAIN.to_owned(), "plain@sim.test".to_owned());
    for org in &orgs {
        fake.add_organization(Organization::new(org.clone(), format!("Org {org}")));
        fake.add_membership(org, ADMIN, ADMIN_ROLE)
            .expect("seeded org and user");
        fake.add_membership(org, PLAIN, MEMBER_ROLE)
            .expect("seeded org and user");
    }
    let pool: Vec<String> = (0..rng.usize(4..=12))
        .map(|n| format!("p{n}@sim.test"))
        .collect();
    if let Some(members) = members {
        seed_members_world(members, fake, &orgs, &pool, &mut users);
    }
    for _ in 0..rng.usize(0..=2) {
        let n = rng.usize(..pool.len());
        let user = format!("user_p{n}");
        fake.add_user(User::new(user.clone(), pool[n].clone()));
        users.insert(user.clone(), pool[n].to_lowercase());
        fake.add_membership(&orgs[0], &user, MEMBER_ROLE)
            .expect("seeded org and user");
    }
    let seeder = Client::builder()
        .secret_key(fake.secret_key().to_owned())
        .base_url(fake.base_url())
        .clock(Arc::new(clock.clone()))
        .retry(RetryPolicy::none())
        .rate_limits(clerk_orgs::RateLimits::none())
        .build()
        .expect("a client for the fake");
    for _ in 0..rng.usize(0..=6) {
        let org = &orgs[rng.usize(..orgs.len())];
        let email = &pool[rng.usize(..pool.len())];
        let invitations = seeder.organization(org.clone()).invitations();
        let created = invitations
            .create(email.clone(), MEMBER_ROLE)
            .inviter_user_id(ADMIN)
            .public_metadata(json!({ "call": 0 }))
            .send()
            .await;
        if let Ok(invitation) = created {
            match rng.u32(..10) {
                0..=2 => {
                    if let Ok(user) = fake.accept_invitation(&invitation.id) {
                        users.insert(user, email.to_lowercase());
                    }
                }
                3 | 4 => {
                    let _ = invitations
                        .revoke(invitation.id.clone())
                        .requesting_user_id(ADMIN)
                        .send()
                        .await;
                }
                _ => {}
            }
        }
        fake.clock()
            .advance(Duration::from_millis(rng.u64(3_600_000..=3 * 86_400_000)));
    }
    fake.clock()
        .advance(Duration::from_millis(rng.u64(86_400_000..=3 * 86_400_000)));
    WorldSetup { orgs, pool, users }
}
