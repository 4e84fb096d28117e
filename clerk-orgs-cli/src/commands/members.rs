//! `clerk-orgs members`: list an organization's members (a table, or JSON), set a member's role,
//! add an existing user, remove a member (after a confirmation, or with `--yes`).
//!
//! Each change is one call of clerk-orgs' memberships API, and its outcome is read from the
//! library's typed error ([`output::explain`]): refused (the last admin, no such role, already a
//! member), not found, rate limited, not sent, or unknown (the answer was lost and a lookup could
//! not settle it). Roles are checked against the instance's roles before anything is sent, so a
//! typo is named, with the roles there are, before it reaches Clerk.

use std::io::{self, BufRead, IsTerminal, Write};

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use clerk_orgs::{Error, Memberships, OrganizationMembership, Removal};
use futures::TryStreamExt;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::connect::{self, Connection, Seed};
use crate::flags::{ClientArgs, where_it_sends};
use crate::input;
use crate::output::{self, Exit, JsonArray, Outcome};

#[derive(Debug, Args)]
#[command(
    after_help = concat!(where_it_sends!(), "

ROLES
  A role is a key such as org:member, org:admin or a custom org:billing; a role without a colon
  gets the org: prefix (admin means org:admin). Before a change is sent, its role is checked
  against the instance's roles; an unknown one is refused, naming the roles there are.

EXIT CODES
  0  done: listed, or the change is made (for add: the user already was a member with that role)
  1  not done, or not known to be done: refused by Clerk (the last admin, no such role, already
     a member with another role, membership limit), not found, rate limited, not sent, declined
     at the prompt, or an unknown outcome (an answer was lost; the message says so)
  2  invalid input or configuration, or a removal without --yes when stdin is not a terminal:
     nothing was sent")
)]
pub struct MembersArgs {
    #[command(subcommand)]
    action: Action,
}

/// The organization and the client's pacing: what every `members` action takes.
#[derive(Debug, Args)]
struct Target {
    /// The organization. Required with CLERK_SECRET_KEY; default org_demo on the fake.
    #[arg(long, value_name = "ID")]
    org: Option<String>,

    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// List the members, every page: a table, or JSON with --json.
    List(ListArgs),
    /// Set a member's role.
    SetRole {
        /// The member's user id (user_...).
        user_id: String,
        /// The new role, e.g. org:admin (or admin).
        role: String,
        #[command(flatten)]
        target: Target,
    },
    /// Add an existing user of the instance to the organization (no email is sent; to ask
    /// someone to join, invite them).
    Add {
        /// The user's id (user_...).
        user_id: String,
        /// Their role, e.g. org:member (or member).
        role: String,
        #[command(flatten)]
        target: Target,
    },
    /// Remove a member. Asks first on a terminal; --yes skips the question, and is required
    /// when stdin is not a terminal.
    Remove {
        /// The member's user id (user_...).
        user_id: String,
        /// Remove without asking.
        #[arg(long, short = 'y')]
        yes: bool,
        #[command(flatten)]
        target: Target,
    },
}

#[derive(Debug, Args)]
struct ListArgs {
    /// Only members with this role (repeatable: any of them).
    #[arg(long, value_name = "ROLE")]
    role: Vec<String>,

    /// Only members whose email address, phone number, username, name or user id contains
    /// TEXT (case-insensitive; Clerk's `query`).
    #[arg(long, value_name = "TEXT")]
    query: Option<String>,

    /// Only the member with this email address (repeatable: any of them).
    #[arg(long, value_name = "EMAIL")]
    email: Vec<String>,

    /// Sort order, e.g. +email_address or -created_at (Clerk's default).
    #[arg(long, value_name = "ORDER")]
    order_by: Option<String>,

    /// Print a JSON array, one member per line (see the crate docs for its shape), instead of
    /// a table.
    #[arg(long)]
    json: bool,

    #[command(flatten)]
    target: Target,
}

/// One change to one member.
enum Change {
    SetRole(String),
    Add(String),
    Remove { yes: bool },
}

pub async fn run(args: MembersArgs) -> Exit {
    let (target, user_id, change) = match args.action {
        Action::List(list) => return list_members(&list).await,
        Action::SetRole {
            user_id,
            role,
            target,
        } => (target, user_id, Change::SetRole(input::full_role(&role))),
        Action::Add {
            user_id,
            role,
            target,
        } => (target, user_id, Change::Add(input::full_role(&role))),
        Action::Remove {
            user_id,
            yes,
            target,
        } => (target, user_id, Change::Remove { yes }),
    };
    // Refused before anything starts: a removal nobody can confirm.
    if matches!(change, Change::Remove { yes: false }) && !io::stdin().is_terminal() {
        eprintln!(
            "error: not removing {user_id} without a confirmation, and stdin is not a terminal \
             to ask on; pass --yes to remove without asking. Nothing was sent"
        );
        return Exit::BadInput;
    }
    let Some((connection, organization_id)) = connect_to(&target).await else {
        return Exit::BadInput;
    };
    let members = connection
        .client
        .organization(&organization_id)
        .memberships();
    let (exit, message) = match &change {
        Change::SetRole(role) => set_role(&members, &organization_id, &user_id, role).await,
        Change::Add(role) => add(&members, &organization_id, &user_id, role).await,
        Change::Remove { yes } => remove(&members, &organization_id, &user_id, *yes).await,
    };
    match exit {
        Exit::Done => println!("{message}"),
        Exit::NotDone | Exit::BadInput => eprintln!("{message}"),
    }
    connection.report_shared_budgets();
    exit
}

/// The organization and a connection for it (the embedded fake seeded with it), roles checked
/// before any write; `None` after saying why on stderr.
async fn connect_to(target: &Target) -> Option<(Connection, String)> {
    let organization_id = match connect::organization(target.org.as_deref()) {
        Ok(id) => id,
        Err(message) => {
            eprintln!("error: {message}\nnothing was sent");
            return None;
        }
    };
    let seed = Seed::organization(organization_id.clone());
    match Connection::open(&target.client, &seed, |builder| builder.check_roles(true)).await {
        Ok(connection) => Some((connection, organization_id)),
        Err(message) => {
            eprintln!("error: {message}\nnothing was sent");
            None
        }
    }
}

/// Every member, page after page as they arrive: JSON elements are written as they come, a
/// table once all are in (its columns are as wide as the widest cell).
async fn list_members(args: &ListArgs) -> Exit {
    let Some((connection, organization_id)) = connect_to(&args.target).await else {
        return Exit::BadInput;
    };
    let mut list = connection
        .client
        .organization(&organization_id)
        .memberships()
        .list()
        .roles(args.role.iter().map(|role| input::full_role(role)))
        .email_addresses(args.email.iter().cloned());
    if let Some(query) = &args.query {
        list = list.query(query.as_str());
    }
    if let Some(order_by) = &args.order_by {
        list = list.order_by(order_by.as_str());
    }
    let mut members = list.stream();
    let mut listed = 0usize;
    let result = if args.json {
        let mut array = match JsonArray::new(io::stdout().lock()) {
            Ok(array) => array,
            Err(_) => return Exit::NotDone,
        };
        loop {
            match members.try_next().await {
                Ok(Some(member)) => {
                    if array.push(&MemberJson::of(&member)).is_err() {
                        // stdout is closed (`| head`): nobody reads the rest.
                        return Exit::Done;
                    }
                    listed += 1;
                }
                Ok(None) => {
                    let _ = array.finish();
                    break Ok(());
                }
                // The array stays open: what was printed is not the whole list.
                Err(error) => break Err(error),
            }
        }
    } else {
        let mut rows = Vec::new();
        let result = loop {
            match members.try_next().await {
                Ok(Some(member)) => rows.push(member_row(&member)),
                Ok(None) => break Ok(()),
                Err(error) => break Err(error),
            }
        };
        listed = rows.len();
        output::print_table(["USER_ID", "EMAIL", "NAME", "ROLE", "MEMBER SINCE"], &rows);
        result
    };
    connection.report_shared_budgets();
    match result {
        Ok(()) => {
            eprintln!("{listed} member(s) of {organization_id}");
            Exit::Done
        }
        Err(error) => {
            let explained = output::explain(&error);
            eprintln!(
                "error: the list stopped after {listed} member(s) of {organization_id}, so it \
                 is incomplete: {}: {}",
                explained.outcome.label(),
                explained.detail
            );
            // An incomplete list is never "done".
            match explained.outcome.exit() {
                Exit::BadInput => Exit::BadInput,
                Exit::Done | Exit::NotDone => Exit::NotDone,
            }
        }
    }
}

/// One member as a table row.
fn member_row(member: &OrganizationMembership) -> [String; 5] {
    let user = member.public_user_data.as_ref();
    let name = user
        .map(|user| {
            [user.first_name.as_deref(), user.last_name.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    [
        member.user_id().unwrap_or("?").to_owned(),
        member.identifier().unwrap_or_default().to_owned(),
        name,
        member.role.to_string(),
        member.created_at.format("%Y-%m-%d").to_string(),
    ]
}

/// One member as the JSON of `members list --json`: flat, so `jq '.[].user_id'` reads it, in
/// this field order. Its shape is part of the command line's interface (snapshot-tested, and
/// described in the README): add fields, never rename or drop one.
#[derive(Serialize)]
struct MemberJson<'a> {
    user_id: Option<&'a str>,
    identifier: Option<&'a str>,
    first_name: Option<&'a str>,
    last_name: Option<&'a str>,
    username: Option<&'a str>,
    role: &'a str,
    role_name: Option<&'a str>,
    permissions: &'a [String],
    membership_id: &'a str,
    organization_id: &'a str,
    created_at: &'a DateTime<Utc>,
    updated_at: &'a DateTime<Utc>,
    public_metadata: &'a Map<String, Value>,
    private_metadata: &'a Map<String, Value>,
}

impl<'a> MemberJson<'a> {
    fn of(member: &'a OrganizationMembership) -> Self {
        let user = member.public_user_data.as_ref();
        Self {
            user_id: member.user_id(),
            identifier: member.identifier(),
            first_name: user.and_then(|user| user.first_name.as_deref()),
            last_name: user.and_then(|user| user.last_name.as_deref()),
            username: user.and_then(|user| user.username.as_deref()),
            role: member.role.as_str(),
            role_name: member.role_name.as_deref(),
            permissions: &member.permissions,
            membership_id: &member.id,
            organization_id: &member.organization.id,
            created_at: &member.created_at,
            updated_at: &member.updated_at,
            public_metadata: &member.public_metadata,
            private_metadata: &member.private_metadata,
        }
    }
}

/// A change's failure, as one line: `OUTCOME: what it means`; `not_found` says what a
/// not-found answer means for this change.
fn failed(error: &Error, not_found: &str) -> (Exit, String) {
    let explained = output::explain(error);
    let detail = match explained.outcome {
        Outcome::NotFound => format!("{not_found} ({error}). Nothing changed"),
        _ => explained.detail,
    };
    (
        explained.outcome.exit(),
        format!("{}: {detail}", explained.outcome.label()),
    )
}

/// What a not-found answer means for a change to a member.
fn not_a_member(user_id: &str, organization_id: &str) -> String {
    format!("{user_id} is not a member of {organization_id}, or the organization does not exist")
}

async fn set_role(
    members: &Memberships,
    organization_id: &str,
    user_id: &str,
    role: &str,
) -> (Exit, String) {
    match members.update_role(user_id, role).send().await {
        Ok(member) => (
            Exit::Done,
            format!(
                "{user_id} is now {} in {}",
                member.role, member.organization.id
            ),
        ),
        Err(error) => failed(&error, &not_a_member(user_id, organization_id)),
    }
}

async fn add(
    members: &Memberships,
    organization_id: &str,
    user_id: &str,
    role: &str,
) -> (Exit, String) {
    let error = match members.create(user_id, role).send().await {
        Ok(member) => {
            return (
                Exit::Done,
                format!(
                    "added {user_id} to {} as {}",
                    member.organization.id, member.role
                ),
            );
        }
        Err(error) => error,
    };
    if !error.is_already_member() {
        let not_found = format!(
            "there is no user {user_id} in this instance, or no organization {organization_id}"
        );
        return failed(&error, &not_found);
    }
    // Already a member: done if with the role asked for, which only a lookup can tell.
    match members.find(user_id).send().await {
        Ok(Some(member)) if member.role.as_str() == role => (
            Exit::Done,
            format!(
                "already a member: {user_id} is in {organization_id} as {role}; nothing changed"
            ),
        ),
        Ok(Some(member)) => (
            Exit::NotDone,
            format!(
                "already a member: {user_id} is in {organization_id} as {}, not {role}; \
                 nothing changed (use `members set-role` to change the role)",
                member.role
            ),
        ),
        Ok(None) => (
            Exit::NotDone,
            format!(
                "already a member, said Clerk, yet {user_id} was no longer a member a moment \
                 later (removed meanwhile?); nothing changed by this command"
            ),
        ),
        Err(lookup) => (
            Exit::NotDone,
            format!(
                "already a member: {user_id} is in {organization_id}; nothing changed, and \
                 the membership's role could not be read ({})",
                output::explain(&lookup).detail
            ),
        ),
    }
}

async fn remove(
    members: &Memberships,
    organization_id: &str,
    user_id: &str,
    yes: bool,
) -> (Exit, String) {
    if !yes {
        // On a terminal (`run` checked): show who would go, since the confirmation is about a
        // person, not an id.
        let who = match members.find(user_id).send().await {
            Ok(Some(member)) => format!(
                "{user_id} ({}, {})",
                member.identifier().unwrap_or("no email"),
                member.role
            ),
            Ok(None) => {
                return (
                    Exit::NotDone,
                    format!(
                        "not found: {user_id} is not a member of {organization_id}; nothing changed"
                    ),
                );
            }
            Err(error) => return failed(&error, &not_a_member(user_id, organization_id)),
        };
        let question = format!("Remove {who} from {organization_id}? [y/N] ");
        if !confirm(&mut io::stdin().lock(), &mut io::stderr(), &question) {
            return (
                Exit::NotDone,
                format!("not removed: {user_id} stays a member of {organization_id}"),
            );
        }
    }
    match members.delete(user_id).send().await {
        Ok(Removal::Removed(member)) => (
            Exit::Done,
            format!(
                "removed {user_id}{} from {organization_id}",
                member
                    .identifier()
                    .map(|email| format!(" ({email})"))
                    .unwrap_or_default()
            ),
        ),
        Ok(_) => (
            Exit::Done,
            format!(
                "removed: {user_id} is no longer a member of {organization_id} (Clerk's answer \
                 was lost; a lookup found no membership left, so this call, or someone else \
                 meanwhile, removed it)"
            ),
        ),
        Err(error) => failed(&error, &not_a_member(user_id, organization_id)),
    }
}

/// Asks `question` on `prompt` and reads one line of `answers`: true only for y or yes (any
/// case); anything else, an empty line or the end of input is no.
fn confirm(answers: &mut impl BufRead, prompt: &mut impl Write, question: &str) -> bool {
    let _ = write!(prompt, "{question}");
    let _ = prompt.flush();
    let mut line = String::new();
    match answers.read_line(&mut line) {
        Ok(0) | Err(_) => false,
        Ok(_) => matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(input: &str) -> (bool, String) {
        let mut prompt = Vec::new();
        let yes = confirm(&mut input.as_bytes(), &mut prompt, "Remove? [y/N] ");
        (yes, String::from_utf8(prompt).unwrap())
    }

    #[test]
    fn only_yes_confirms() {
        for yes in ["y\n", "Y\n", "yes\n", " YES \n", "y"] {
            assert_eq!(answer(yes), (true, "Remove? [y/N] ".to_owned()), "{yes:?}");
        }
        for no in ["\n", "n\n", "no\n", "yep\n", "", "maybe\ny\n"] {
            assert!(!answer(no).0, "{no:?}");
        }
    }
}
