//! `clerk-orgs invite`: invite people into an organization, from arguments or a CSV file.
//!
//! Everyone is checked before anything is sent: a bad CSV row, an invalid address, a repeated
//! one or a role the instance does not have is reported with its line (or argument) number and
//! the run stops with exit code 2, nothing sent. Then [`clerk_orgs::Invitations::invite_all`]
//! invites them in bulk calls of up to ten, paced under Clerk's rate limits, and a table says
//! what happened to each person. The exit code is 1 when anyone was not invited (already invited
//! or already a member count as done, whatever their role: `invite` changes no existing
//! invitation or membership).

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use clerk_fake::DEMO_ADMIN;
use clerk_orgs::{Client, CreateInvitation, Error, InviteResult, NewInvitation};
use futures::StreamExt;
use serde_json::Value;

use crate::connect::{self, Connection, Seed};
use crate::flags::{ClientArgs, InvitationArgs, where_it_sends};
use crate::input::{self, Person, Problem};
use crate::output::{self, Exit};

/// Invited when no one is given and no key is set, so a bare `clerk-orgs invite` shows a whole
/// run.
const DEMO_PEOPLE: [&str; 3] = [
    "ada@example.com",
    "grace@example.com:org:admin",
    "alan@example.com",
];

#[derive(Debug, Args)]
#[command(
    after_help = concat!(where_it_sends!(), "
  With no people given and no key, it invites three demo addresses into the fake.

CSV FILES (--csv)
  The first line is a header. Columns:
    email             required (`email_address` is accepted too)
    role              optional; an empty cell means --role
    public.<key>      optional; the cell becomes public_metadata.<key> (a string)
    private.<key>     optional; the cell becomes private_metadata.<key> (a string)
  Cells are trimmed; an empty metadata cell leaves its key out. Any other column is an error.
  Every row is checked first (shape, email, role, repeats; roles against the instance's roles);
  a bad row is reported with its line number and nothing is sent until every row is valid.

ROLES
  A role is a key such as org:member, org:admin or a custom org:billing. A role without a colon
  gets the org: prefix, so alice@example.com:admin means org:admin.
  Before anything is sent (and on --dry-run too), every role is checked against the instance's
  roles (on the fake: org:admin, org:member and org:billing). A role it does not have is
  reported for every row or argument naming it, with the roles there are, and nothing is sent.
  If the roles cannot be read (a network error, a 5xx), a warning says so and the invitations
  are sent unchecked: Clerk checks their roles and rejects an unknown one.

EXISTING INVITATIONS AND MEMBERS
  Someone already invited or already a member is reported as such and left as they are:
  `invite` does not change the role of an existing invitation or membership, even when it
  differs from the role asked. `clerk-orgs sync` does (it replaces the invitation or changes
  the member's role), and so does `clerk-orgs members set-role` for a member.

EXIT CODES
  0  everyone is invited (or was already invited, or is already a member, with whatever role
     they have: see EXISTING INVITATIONS AND MEMBERS)
  1  someone was not invited: rejected by Clerk, may have been invited (an answer was lost),
     rate limited, not sent, or failed (run again with those people: it is safe)
  2  invalid input or configuration: nothing was sent")
)]
pub struct InviteArgs {
    /// People to invite, as EMAIL or EMAIL:ROLE (e.g. bob@example.com:org:admin).
    #[arg(value_name = "EMAIL[:ROLE]")]
    people: Vec<String>,

    /// A CSV file of people (see CSV FILES below); combined with any people given as arguments.
    #[arg(long, value_name = "FILE")]
    csv: Option<PathBuf>,

    /// The organization to invite into. Required with CLERK_SECRET_KEY; default org_demo on
    /// the fake.
    #[arg(long, value_name = "ID")]
    org: Option<String>,

    /// The role of people given without one.
    #[arg(long, value_name = "ROLE", default_value = "org:member")]
    role: String,

    /// The user who invites (an admin of the organization); default user_admin on the fake.
    #[arg(long, value_name = "USER_ID")]
    inviter: Option<String>,

    #[command(flatten)]
    invitation: InvitationArgs,

    /// Check every person and show what would be sent, without sending anything (the roles are
    /// checked against the instance's: a read, no invitation).
    #[arg(long)]
    dry_run: bool,

    #[command(flatten)]
    client: ClientArgs,
}

/// The options every invitation of the run shares.
#[derive(Debug, Clone)]
struct Options {
    inviter: Option<String>,
    redirect_url: Option<String>,
    expires_in_days: Option<u32>,
    notify: Option<bool>,
}

/// The same options on a single create and on a `NewInvitation` (two builder types).
macro_rules! apply_options {
    ($builder:expr, $person:expr, $options:expr) => {{
        let mut builder = $builder;
        if let Some(inviter) = &$options.inviter {
            builder = builder.inviter_user_id(inviter.as_str());
        }
        if let Some(url) = &$options.redirect_url {
            builder = builder.redirect_url(url.as_str());
        }
        if let Some(days) = $options.expires_in_days {
            builder = builder.expires_in_days(days);
        }
        if let Some(notify) = $options.notify {
            builder = builder.notify(notify);
        }
        if !$person.public_metadata.is_empty() {
            builder = builder.public_metadata(Value::Object($person.public_metadata.clone()));
        }
        if !$person.private_metadata.is_empty() {
            builder = builder.private_metadata(Value::Object($person.private_metadata.clone()));
        }
        builder
    }};
}

fn new_invitation(person: &Person, options: &Options) -> NewInvitation {
    apply_options!(
        NewInvitation::new(person.email.as_str(), person.role.as_str()),
        person,
        options
    )
}

pub async fn run(args: InviteArgs) -> Exit {
    match invite(args).await {
        Ok(exit) => exit,
        Err(problems) => {
            for problem in &problems {
                eprintln!("error: {problem}");
            }
            eprintln!("nothing was sent");
            Exit::BadInput
        }
    }
}

async fn invite(args: InviteArgs) -> Result<Exit, Vec<Problem>> {
    let fake_mode = connect::fake_mode();
    let default_role = input::full_role(&args.role);

    // 1. Read everyone: arguments, then the CSV file.
    let mut raw_people = args.people.clone();
    if raw_people.is_empty() && args.csv.is_none() {
        if !fake_mode {
            return Err(vec![Problem::new(
                None,
                "nobody to invite: give EMAIL[:ROLE] arguments or --csv FILE (see --help)",
            )]);
        }
        eprintln!(
            "No people given: inviting {} demo addresses.",
            DEMO_PEOPLE.len()
        );
        raw_people = DEMO_PEOPLE.iter().map(|p| (*p).to_owned()).collect();
    }
    let mut problems = Vec::new();
    let mut people = input::read_args(&raw_people, &default_role, &mut problems);
    if let Some(path) = &args.csv {
        people.extend(input::read_csv(path, &default_role, &mut problems));
    }
    problems.extend(input::repeated_emails(&people));
    if people.is_empty() && problems.is_empty() {
        problems.push(Problem::new(
            None,
            "nobody to invite: the CSV file has a header but no people",
        ));
    }

    let organization_id = connect::organization(args.org.as_deref()).unwrap_or_else(|message| {
        problems.push(Problem::new(None, message));
        String::new()
    });
    let inviter = match (&args.inviter, fake_mode) {
        (None, true) => Some(DEMO_ADMIN.to_owned()),
        (inviter, _) => inviter.clone(),
    };
    let options = Options {
        inviter,
        redirect_url: args.invitation.redirect_url.clone(),
        expires_in_days: args.invitation.expires_in_days,
        notify: args.invitation.notify(),
    };

    // 2. Check everyone with the very checks `send()` runs before sending, and report every
    //    problem of the input at once, in input order.
    let checked_org = if organization_id.is_empty() {
        clerk_fake::DEMO_ORG
    } else {
        &organization_id
    };
    problems.extend(preflight(checked_org, &options, &people));
    if !problems.is_empty() {
        input::sort_problems(&mut problems);
        return Err(problems);
    }

    // 3. Connect: Clerk with a key, otherwise an embedded fake (a dry run too: it reads the
    //    instance's roles, and a read sends no invitation).
    let seed = Seed {
        organization_id: organization_id.clone(),
        admin: options
            .inviter
            .clone()
            .unwrap_or_else(|| DEMO_ADMIN.to_owned()),
    };
    let connection = Connection::open(&args.client, &seed, |builder| builder)
        .await
        .map_err(|message| vec![Problem::new(None, message)])?;

    // 4. Check every role against the instance's roles, before any invitation is sent.
    let roles_checked = check_roles(&connection.client, &people, args.dry_run).await?;

    if args.dry_run {
        let detail = if roles_checked {
            String::new()
        } else {
            "role not checked".to_owned()
        };
        print_outcomes(
            people
                .iter()
                .map(|person| (person, "valid", detail.clone())),
        );
        let roles = if roles_checked {
            ""
        } else {
            " (their roles could not be checked: Clerk checks them when they are sent)"
        };
        eprintln!(
            "dry run: {} invitation(s) into {organization_id} are valid{roles}; nothing was sent",
            people.len()
        );
        return Ok(Exit::Done);
    }

    // 5. Invite, with a progress bar on long runs.
    let invitations = connection
        .client
        .organization(organization_id.as_str())
        .invitations();
    let mut run = invitations.invite_all(people.iter().map(|p| new_invitation(p, &options)));
    let bar = output::progress_bar(people.len(), "invited or settled");
    let mut outcomes: Vec<Option<InviteResult>> = vec![None; people.len()];
    while let Some(outcome) = run.next().await {
        bar.set_position(run.progress().done as u64);
        if let Some(slot) = outcomes.get_mut(outcome.index) {
            *slot = Some(outcome.result);
        }
    }
    bar.finish_and_clear();

    // 6. Report.
    let mut not_invited = 0;
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    let rows: Vec<(&Person, &'static str, String)> = people
        .iter()
        .zip(&outcomes)
        .map(|(person, result)| {
            let (outcome, detail, ok) = describe(result.as_ref());
            if !ok {
                not_invited += 1;
            }
            match counts.iter_mut().find(|(name, _)| *name == outcome) {
                Some((_, count)) => *count += 1,
                None => counts.push((outcome, 1)),
            }
            (person, outcome, detail)
        })
        .collect();
    print_outcomes(rows.into_iter());
    let summary: Vec<String> = counts
        .iter()
        .map(|(outcome, count)| format!("{count} {outcome}"))
        .collect();
    eprintln!("{}", summary.join(", "));
    connection.report_shared_budgets();
    connection.report_fake_pacing();
    if not_invited > 0 {
        eprintln!(
            "{not_invited} of {} not invited; fix or retry them and run again \
             (anyone already invited is reported as such, never invited twice)",
            people.len()
        );
        Ok(Exit::NotDone)
    } else {
        eprintln!("done: everyone is invited");
        Ok(Exit::Done)
    }
}

/// Runs clerk-orgs' own pre-send checks on every person (`CreateInvitation::validate`, the very
/// checks `send()` runs), sending nothing to Clerk or the fake.
fn preflight(organization_id: &str, options: &Options, people: &[Person]) -> Vec<Problem> {
    // Only the builders are needed; this client never sends a request.
    let client = match Client::builder()
        .secret_key("sk_test_preflight")
        .base_url("http://127.0.0.1:1")
        .build()
    {
        Ok(client) => client,
        Err(e) => return vec![Problem::new(None, e.to_string())],
    };
    let invitations = client.organization(organization_id).invitations();
    let mut problems = Vec::new();
    for person in people {
        let create: CreateInvitation = apply_options!(
            invitations.create(person.email.as_str(), person.role.as_str()),
            person,
            options
        );
        if let Err(Error::InvalidRequest(invalid)) = create.validate() {
            let message = format!("{}: {}", person.email, invalid);
            // The organization and the shared options are wrong for everyone: say it once.
            let shared = !matches!(
                invalid.field(),
                "email_address" | "role" | "public_metadata" | "private_metadata"
            );
            if shared {
                return vec![Problem::new(None, invalid.to_string())];
            }
            problems.push(Problem::new(Some(person.source), message));
        }
    }
    problems
}

/// Checks every distinct role of the run against the instance's roles (the client's cached
/// list: one fetch, sending no invitation). `Ok(true)` when every role is one of them;
/// `Err` with a problem for every person naming a role that is not; `Ok(false)` when the roles
/// could not be read, after a warning on stderr: the invitations then go out unchecked, and
/// Clerk judges their roles.
async fn check_roles(
    client: &Client,
    people: &[Person],
    dry_run: bool,
) -> Result<bool, Vec<Problem>> {
    let mut unknown: BTreeMap<&str, String> = BTreeMap::new();
    let mut checked: Vec<&str> = Vec::new();
    let mut unread = None;
    for person in people {
        let role = person.role.as_str();
        if checked.contains(&role) {
            continue;
        }
        checked.push(role);
        match client.organization_roles().check(role).send().await {
            Ok(_) => {}
            // Not one of the instance's roles (`is_role_not_found`), or not a role key at all.
            Err(Error::InvalidRequest(invalid)) => {
                unknown.insert(role, invalid.rule().to_owned());
            }
            Err(error) => {
                unread = Some(error);
                break;
            }
        }
    }
    if !unknown.is_empty() {
        let mut problems: Vec<Problem> = people
            .iter()
            .filter_map(|person| {
                let rule = unknown.get(person.role.as_str())?;
                Some(Problem::new(
                    Some(person.source),
                    format!("{}: role `{}` {rule}", person.email, person.role),
                ))
            })
            .collect();
        input::sort_problems(&mut problems);
        return Err(problems);
    }
    let Some(error) = unread else {
        return Ok(true);
    };
    let when = if dry_run {
        "when the invitations are sent"
    } else {
        "as the invitations arrive, and rejects anyone whose role it does not have"
    };
    eprintln!(
        "warning: the instance's roles could not be read ({error}), so no role was checked \
         here; Clerk checks them {when}"
    );
    Ok(false)
}

/// One line of the summary table; `ok` is false when the person was not invited.
fn describe(result: Option<&InviteResult>) -> (&'static str, String, bool) {
    match result {
        Some(InviteResult::Invited(invitation)) => ("invited", invitation.id.clone(), true),
        Some(InviteResult::AlreadyInvited(existing)) => (
            "already invited",
            existing.as_ref().map(|i| i.id.clone()).unwrap_or_default(),
            true,
        ),
        Some(InviteResult::AlreadyMember) => ("already a member", String::new(), true),
        Some(InviteResult::Rejected { reason, .. }) => ("rejected", reason.clone(), false),
        Some(InviteResult::MaybeInvited(error)) => {
            ("may have been invited", error.to_string(), false)
        }
        Some(InviteResult::RateLimited(error)) => ("rate limited", error.to_string(), false),
        Some(InviteResult::NotSent(error)) => ("not sent", error.to_string(), false),
        Some(InviteResult::Failed(error)) => ("failed", error.to_string(), false),
        Some(other) => ("unknown", format!("{other:?}"), false),
        None => ("no outcome", "the run ended early".to_owned(), false),
    }
}

/// The outcomes table: where each person came from, who, as what, and what happened.
fn print_outcomes<'a>(rows: impl Iterator<Item = (&'a Person, &'static str, String)>) {
    let rows: Vec<[String; 5]> = rows
        .map(|(person, outcome, detail)| {
            [
                person.source.to_string(),
                person.email.clone(),
                person.role.clone(),
                outcome.to_owned(),
                detail,
            ]
        })
        .collect();
    output::print_table(["FROM", "EMAIL", "ROLE", "OUTCOME", "DETAIL"], &rows);
}
