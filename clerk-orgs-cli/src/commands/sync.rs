//! `clerk-orgs sync`: make an organization match a roster CSV, as a reviewable plan (the
//! default) and a safe apply, with clerk-orgs' roster sync ([`clerk_orgs::roster`]).
//!
//! The roster has the shape `invite --csv` reads ([`input::read_csv`]); every row is checked
//! before anything is sent, and a bad one is reported with its line number. `--plan` prints the
//! plan (a table, or the plan's JSON, which `--plan-file` also saves) and exits as `terraform
//! plan -detailed-exitcode` does: 0 with nothing to change, 2 with changes pending. `--apply`
//! plans (or reads the saved plan) and applies it, one outcome per change; a plan breaking a
//! safety rail is refused, naming the rail and the `--allow RAIL` that overrides it.
//!
//! Its exit codes are its own ([`SyncExit`]): 2 means "changes pending" here, as in Terraform,
//! so invalid input, which is 2 for `invite` and `members`, is 3, and a refusal by a rail is 4.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use clerk_fake::DEMO_ADMIN;
use clerk_orgs::roster::{
    Applied, ApplyError, Change, ChangeKind, ChangeResult, Plan, Rail, Reason, Violation,
};
use clerk_orgs::{Error, RosterRow};
use futures::StreamExt;
use serde::Serialize;
use serde_json::Value;

use crate::connect::{self, Connection, Seed};
use crate::flags::{ClientArgs, InvitationArgs, where_it_sends};
use crate::input::{self, Person, Problem, Source};
use crate::output::{self, JsonArray};

#[derive(Debug, Args)]
#[command(
    after_help = concat!(where_it_sends!(), "
  On the fake, each run starts from the same demo world, so a plan saved with --plan-file by
  one run is still current for the next.

THE ROSTER
  The CSV shape `invite --csv` reads: a header, then one person a line. Columns:
    email             required (`email_address` is accepted too)
    role              optional; an empty cell means --role (a role without a colon gets org:)
    public.<key>      optional; public_metadata.<key> of a new invitation or membership
    private.<key>     optional; private_metadata.<key> of a new invitation or membership
  Every row is checked first (shape, email, role, repeats; roles against the instance's
  roles); a bad row is reported with its line number and nothing is changed.

THE PLAN
  One line per change: invite, add_member (--add-existing-users), change_role,
  replace_invitation (revoke and invite again with the roster's role: a NEW EMAIL is sent),
  revoke_invitation and remove_member (only with --prune), each with its reason. Members and
  invitations not on the roster are kept unless --prune is given. --json prints the plan as
  JSON, the same document --plan-file saves and --apply --plan-file applies.

SAFETY RAILS (on by default; --allow RAIL overrides one, repeatable)
  last-admin      the plan removes or demotes every admin of the organization
  acting-inviter  the plan removes or demotes the --inviter it acts as
  max-removals    the plan removes more than 25 % of the members (or than --max-removals)
  stale-plan      the organization changed since the plan read it (--apply checks first)
  --plan lists the rails a plan breaks; --apply refuses it, changing nothing.

EXIT CODES (as `terraform plan -detailed-exitcode` for --plan)
  0  --plan: nothing to change; --apply: every change done (or already done)
  1  --apply: a change not done, or not known to be done (the table says which; plan again);
     either mode: the organization could not be read, or the plan could not be saved
  2  --plan: changes pending
  3  invalid input or configuration (a bad row, flag or plan file): nothing was changed
  4  --apply refused by a safety rail (the message names it and its --allow): nothing was
     changed
  (`invite` and `members` use 2 for invalid input; sync keeps 2 for \"changes pending\".)")
)]
pub struct SyncArgs {
    /// The roster, a CSV file (see THE ROSTER below). Not given with --apply --plan-file,
    /// which applies the saved plan as it was reviewed.
    #[arg(value_name = "ROSTER.csv")]
    roster: Option<PathBuf>,

    /// Show what would change, changing nothing (the default).
    #[arg(long, conflicts_with = "apply")]
    plan: bool,

    /// Make the changes: plan, then apply (or apply the plan saved in --plan-file).
    #[arg(long)]
    apply: bool,

    /// With --plan, save the plan (JSON) to FILE; with --apply, apply the plan saved in FILE
    /// instead of planning again (refused if the organization changed since: stale-plan).
    #[arg(long, value_name = "FILE")]
    plan_file: Option<PathBuf>,

    /// Print JSON instead of a table: the plan, or with --apply one outcome per line.
    #[arg(long)]
    json: bool,

    /// Also list what stays as it is (people with their role, and with --prune off, members
    /// and invitations not on the roster).
    #[arg(long)]
    show_unchanged: bool,

    /// Remove members and revoke pending invitations that are not on the roster.
    #[arg(long)]
    prune: bool,

    /// Add people who already have an account (a verified address of theirs is on the roster)
    /// as members directly, without an invitation email.
    #[arg(long)]
    add_existing_users: bool,

    /// The organization. Required with CLERK_SECRET_KEY (unless applying a saved plan, which
    /// names it); default org_demo on the fake.
    #[arg(long, value_name = "ID")]
    org: Option<String>,

    /// The role of rows whose role cell is empty.
    #[arg(long, value_name = "ROLE", default_value = "org:member")]
    role: String,

    /// The admin the sync acts as (inviter of new invitations, revoker of old ones), never
    /// removed or demoted by it (acting-inviter); default user_admin on the fake.
    #[arg(long, value_name = "USER_ID")]
    inviter: Option<String>,

    /// Refuse plans removing more than N members (max-removals), besides the 25 % share.
    #[arg(long, value_name = "N")]
    max_removals: Option<u64>,

    /// Refuse plans removing more than this share of the members, 0 to 1 [default: 0.25].
    #[arg(long, value_name = "SHARE")]
    max_removal_fraction: Option<f64>,

    /// Apply even if the plan breaks this rail: last-admin, acting-inviter, max-removals or
    /// stale-plan (repeatable).
    #[arg(long = "allow", value_name = "RAIL")]
    allow: Vec<Rail>,

    #[command(flatten)]
    invitation: InvitationArgs,

    #[command(flatten)]
    client: ClientArgs,
}

/// How `sync` ends. Its codes differ from `invite`'s and `members`' ([`output::Exit`]) because
/// 2 means "changes pending" here, as in `terraform plan -detailed-exitcode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncExit {
    /// Nothing to change, or every change done: 0.
    Done,
    /// A change not done or not known to be done, or the organization could not be read: 1.
    NotDone,
    /// `--plan` found changes to make: 2.
    Pending,
    /// Invalid input or configuration; nothing was changed: 3.
    BadInput,
    /// `--apply` refused by a safety rail; nothing was changed: 4.
    Refused,
}

impl From<SyncExit> for ExitCode {
    fn from(exit: SyncExit) -> Self {
        ExitCode::from(match exit {
            SyncExit::Done => 0,
            SyncExit::NotDone => 1,
            SyncExit::Pending => 2,
            SyncExit::BadInput => 3,
            SyncExit::Refused => 4,
        })
    }
}

pub async fn run(args: SyncArgs) -> SyncExit {
    match sync(args).await {
        Ok(exit) => exit,
        Err(problems) => {
            for problem in &problems {
                eprintln!("error: {problem}");
            }
            eprintln!("nothing was changed");
            SyncExit::BadInput
        }
    }
}

/// A plan to show or apply, and the connection to its organization.
struct Planned {
    plan: Plan,
    connection: Connection,
}

async fn sync(args: SyncArgs) -> Result<SyncExit, Vec<Problem>> {
    let saved = match (&args.plan_file, args.apply) {
        (Some(path), true) => Some(path.clone()),
        _ => None,
    };
    let planned = match &saved {
        Some(path) => {
            let Some(planned) = open_saved_plan(&args, path).await? else {
                return Ok(SyncExit::Done);
            };
            planned
        }
        None => match make_plan(&args).await? {
            Ok(planned) => planned,
            Err(exit) => return Ok(exit),
        },
    };
    let Planned { plan, connection } = planned;

    if !args.apply {
        let exit = show_plan(&plan, &args);
        if let Some(path) = &args.plan_file {
            if let Err(e) = save(&plan, path) {
                eprintln!(
                    "error: cannot save the plan to {}: {e}; nothing was changed",
                    path.display()
                );
                return Ok(SyncExit::NotDone);
            }
            eprintln!(
                "plan saved to {}; apply it with: clerk-orgs sync --apply --plan-file {}",
                path.display(),
                path.display()
            );
        }
        connection.report_shared_budgets();
        return Ok(exit);
    }

    eprintln!("Plan for {}: {}", plan.organization_id(), plan.summary());
    if plan.is_empty() {
        nothing_to_apply(
            args.json,
            &format!(
                "No changes: {} already matches the roster; nothing to apply.",
                plan.organization_id()
            ),
        );
        connection.report_shared_budgets();
        return Ok(SyncExit::Done);
    }
    let exit = apply(plan, &connection, &args).await;
    connection.report_shared_budgets();
    connection.report_fake_pacing();
    Ok(exit)
}

/// Says an apply has nothing to do: on stdout, or with `--json` on stderr beside an empty array
/// of outcomes, so stdout stays JSON.
fn nothing_to_apply(json: bool, message: &str) {
    if json {
        println!("[]");
        eprintln!("{message}");
    } else {
        println!("{message}");
    }
}

/// Reads the roster, checks every row, connects and plans. `Ok(Err(exit))` when the plan
/// could not be made for a reason other than the input (the organization could not be read).
async fn make_plan(args: &SyncArgs) -> Result<Result<Planned, SyncExit>, Vec<Problem>> {
    let fake_mode = connect::fake_mode();
    let mut problems = Vec::new();
    let Some(path) = &args.roster else {
        return Err(vec![Problem::new(
            None,
            "no roster: give ROSTER.csv (or --apply --plan-file FILE to apply a saved plan)",
        )]);
    };
    let default_role = input::full_role(&args.role);
    let people = input::read_csv(path, &default_role, &mut problems);
    problems.extend(input::repeated_emails(&people));
    // clerk-orgs' own checks of each row (address, role key, metadata), the very checks the
    // plan runs, before anything is sent.
    for person in &people {
        if let Err(Error::InvalidRequest(invalid)) = roster_row(person).validate() {
            problems.push(Problem::new(
                Some(person.source),
                format!("{}: {invalid}", person.email),
            ));
        }
    }
    let organization_id = connect::organization(args.org.as_deref()).unwrap_or_else(|message| {
        problems.push(Problem::new(None, message));
        String::new()
    });
    if !problems.is_empty() {
        input::sort_problems(&mut problems);
        return Err(problems);
    }

    let inviter = match (&args.inviter, fake_mode) {
        (None, true) => Some(DEMO_ADMIN.to_owned()),
        (inviter, _) => inviter.clone(),
    };
    let seed = Seed {
        organization_id: organization_id.clone(),
        admin: inviter.clone().unwrap_or_else(|| DEMO_ADMIN.to_owned()),
    };
    // Roles are checked against the instance's before the plan names them.
    let connection = Connection::open(&args.client, &seed, |builder| builder.check_roles(true))
        .await
        .map_err(|message| vec![Problem::new(None, message)])?;

    // Where each row came from, to point at it if the plan refuses one; the rows themselves
    // are consumed by the plan.
    let sources: Vec<RowSource> = people
        .iter()
        .map(|person| RowSource {
            source: person.source,
            email: person.email.clone(),
            role: person.role.clone(),
        })
        .collect();
    let mut plan = connection
        .client
        .organization(organization_id.as_str())
        .roster()
        .plan(people.into_iter().map(|person| roster_row(&person)))
        .prune(args.prune)
        .add_existing_users(args.add_existing_users);
    if let Some(inviter) = inviter {
        plan = plan.inviter_user_id(inviter);
    }
    if let Some(count) = args.max_removals {
        plan = plan.max_removals(count);
    }
    if let Some(fraction) = args.max_removal_fraction {
        plan = plan.max_removal_fraction(fraction);
    }
    let invitation = &args.invitation;
    if let Some(url) = &invitation.redirect_url {
        plan = plan.redirect_url(url.as_str());
    }
    if let Some(days) = invitation.expires_in_days {
        plan = plan.expires_in_days(days);
    }
    if let Some(notify) = invitation.notify() {
        plan = plan.notify(notify);
    }
    match plan.send().await {
        Ok(plan) => Ok(Ok(Planned { plan, connection })),
        Err(Error::InvalidRequest(invalid)) => Err(vec![located(&invalid, &sources)]),
        Err(Error::Config(config)) => Err(vec![Problem::new(None, config.to_string())]),
        Err(error) => {
            let explained = output::explain(&error);
            eprintln!(
                "error: could not plan: reading {organization_id} failed: {}: {}",
                explained.outcome.label(),
                explained.detail
            );
            Ok(Err(SyncExit::NotDone))
        }
    }
}

/// Where a row of the roster came from, to point at it if the plan refuses it.
struct RowSource {
    source: Source,
    email: String,
    role: String,
}

/// The plan's refusal of a row (`rows[3].role`), at the row's line; another row it names
/// (`repeats the address of rows[1]`) by its line too.
fn located(invalid: &clerk_orgs::ValidationError, sources: &[RowSource]) -> Problem {
    let row_at = |text: &str| -> Option<(usize, usize, usize)> {
        let start = text.find("rows[")?;
        let len = text[start + 5..].find(']')?;
        let index = text[start + 5..start + 5 + len].parse().ok()?;
        Some((start, start + 5 + len + 1, index))
    };
    let Some((_, end, index)) = row_at(invalid.field()) else {
        return Problem::new(None, invalid.to_string());
    };
    let Some(row) = sources.get(index) else {
        return Problem::new(None, invalid.to_string());
    };
    let field = invalid.field()[end..].trim_start_matches('.');
    let mut rule = invalid.rule().to_owned();
    if let Some((start, end, other)) = row_at(&rule)
        && let Some(other) = sources.get(other)
    {
        rule.replace_range(start..end, &other.source.to_string());
    }
    let what = if field == "role" {
        format!("`role` ({})", row.role)
    } else {
        format!("`{field}`")
    };
    Problem::new(Some(row.source), format!("{}: {what} {rule}", row.email))
}

/// A roster row from a person of the CSV.
fn roster_row(person: &Person) -> RosterRow {
    let mut row = RosterRow::new(person.email.as_str(), person.role.as_str());
    if !person.public_metadata.is_empty() {
        row = row.public_metadata(Value::Object(person.public_metadata.clone()));
    }
    if !person.private_metadata.is_empty() {
        row = row.private_metadata(Value::Object(person.private_metadata.clone()));
    }
    row
}

/// Reads the plan saved in `path` and connects to its organization; `None` when it has
/// nothing to change (then nothing is sent).
async fn open_saved_plan(args: &SyncArgs, path: &Path) -> Result<Option<Planned>, Vec<Problem>> {
    let mut problems = Vec::new();
    if let Some(roster) = &args.roster {
        problems.push(Problem::new(
            None,
            format!(
                "--apply --plan-file applies the saved plan as it was reviewed, and does not \
                 read a roster: leave out {} (or leave out --plan-file to plan again from it)",
                roster.display()
            ),
        ));
    }
    // The saved plan holds its own settings; a flag that would change them is a mistake.
    let planning_flags = [
        ("--prune", args.prune),
        ("--add-existing-users", args.add_existing_users),
        ("--inviter", args.inviter.is_some()),
        ("--max-removals", args.max_removals.is_some()),
        (
            "--max-removal-fraction",
            args.max_removal_fraction.is_some(),
        ),
        ("--redirect-url", args.invitation.redirect_url.is_some()),
        (
            "--expires-in-days",
            args.invitation.expires_in_days.is_some(),
        ),
        ("--no-notify", args.invitation.no_notify),
    ];
    for (flag, given) in planning_flags {
        if given {
            problems.push(Problem::new(
                None,
                format!(
                    "{flag} is part of the saved plan in {}, settled when it was made; it cannot \
                     be changed when applying it (plan again with it instead)",
                    path.display()
                ),
            ));
        }
    }
    let plan: Option<Plan> = match fs::read_to_string(path) {
        Err(e) => {
            problems.push(Problem::new(
                None,
                format!("cannot read the plan file {}: {e}", path.display()),
            ));
            None
        }
        Ok(text) => match serde_json::from_str(&text) {
            Ok(plan) => Some(plan),
            Err(e) => {
                problems.push(Problem::new(
                    None,
                    format!(
                        "{} is not a plan saved by `clerk-orgs sync --plan-file`: {e}",
                        path.display()
                    ),
                ));
                None
            }
        },
    };
    if let (Some(plan), Some(org)) = (&plan, &args.org)
        && plan.organization_id() != org
    {
        problems.push(Problem::new(
            None,
            format!(
                "the plan in {} is for organization {}, not {org}",
                path.display(),
                plan.organization_id()
            ),
        ));
    }
    let Some(plan) = plan.filter(|_| problems.is_empty()) else {
        return Err(problems);
    };
    if plan.is_empty() {
        nothing_to_apply(
            args.json,
            &format!(
                "No changes: the plan in {} has nothing to apply.",
                path.display()
            ),
        );
        return Ok(None);
    }
    let seed = Seed {
        organization_id: plan.organization_id().to_owned(),
        admin: plan
            .settings()
            .inviter_user_id
            .clone()
            .unwrap_or_else(|| DEMO_ADMIN.to_owned()),
    };
    let connection = Connection::open(&args.client, &seed, |builder| builder)
        .await
        .map_err(|message| vec![Problem::new(None, message)])?;
    Ok(Some(Planned { plan, connection }))
}

/// Prints the plan (a table and its summary, or its JSON) and says how `--plan` exits.
fn show_plan(plan: &Plan, args: &SyncArgs) -> SyncExit {
    if args.json {
        let mut out = io::stdout().lock();
        // A closed stdout (`| head`) ends the output, not the command.
        let _ = serde_json::to_writer_pretty(&mut out, plan)
            .and_then(|()| writeln!(out).map_err(serde_json::Error::io));
    } else {
        print_plan(plan, args.show_unchanged);
    }
    if plan.is_empty() {
        SyncExit::Done
    } else {
        eprintln!(
            "{} change(s) pending; nothing was changed. Apply with --apply{}.",
            plan.summary().changes(),
            match &args.plan_file {
                Some(path) => format!(" --plan-file {}", path.display()),
                None => String::new(),
            }
        );
        SyncExit::Pending
    }
}

/// The plan as a table, one line per change, then its summary and the rails it breaks.
fn print_plan(plan: &Plan, show_unchanged: bool) {
    let notify = plan.settings().notify != Some(false);
    let rows: Vec<[String; 4]> = plan
        .changes()
        .iter()
        .filter(|change| show_unchanged || change.is_change())
        .map(|change| {
            [
                change.kind().to_string(),
                who(change),
                change.roles(),
                reason(change, notify),
            ]
        })
        .collect();
    if !rows.is_empty() {
        output::print_table(["CHANGE", "EMAIL", "ROLE", "REASON"], &rows);
        println!();
    }
    let summary = plan.summary();
    let not_pruned = plan
        .changes()
        .iter()
        .filter(|change| change.reason() == Reason::NotPruned)
        .count();
    let kept = if not_pruned > 0 {
        format!(" ({not_pruned} not on the roster, kept without --prune)")
    } else {
        String::new()
    };
    if plan.is_empty() {
        println!(
            "No changes: {} matches the roster, {} unchanged{kept}.",
            plan.organization_id(),
            summary.keep
        );
    } else {
        println!("Plan for {}: {summary}{kept}.", plan.organization_id());
    }
    if !plan.violations().is_empty() {
        println!("Safety rails this plan breaks (--apply refuses it unless allowed):");
        for violation in plan.violations() {
            println!("  {}", violation_line(violation));
        }
    }
}

/// Who a change concerns: their address, or for a member without one, their user id.
fn who(change: &Change) -> String {
    change
        .email_address()
        .or_else(|| user_id(change))
        .unwrap_or_default()
        .to_owned()
}

/// The member (or user, for `add_member`) a change concerns.
fn user_id(change: &Change) -> Option<&str> {
    match change {
        Change::AddMember { user_id, .. }
        | Change::ChangeRole { user_id, .. }
        | Change::RemoveMember { user_id, .. } => Some(user_id),
        Change::Keep { user_id, .. } => user_id.as_deref(),
        _ => None,
    }
}

/// The reason, and what the change sends that people will notice.
fn reason(change: &Change, notify: bool) -> String {
    match change.kind() {
        ChangeKind::ReplaceInvitation if notify => format!(
            "{}; revokes the invitation and sends a new invitation email",
            change.reason()
        ),
        ChangeKind::ReplaceInvitation => format!(
            "{}; revokes the invitation and invites again (no email)",
            change.reason()
        ),
        _ => change.reason().to_string(),
    }
}

/// A rail a plan breaks, with how to override it. The library's message already says what else
/// to do (`stale-plan`'s ends in "plan again"), so only the override is added.
fn violation_line(violation: &Violation) -> String {
    format!(
        "{violation}. To apply it anyway, add --allow {}.",
        violation.rail
    )
}

/// Writes the plan's JSON (the same document `--json` prints) to `path`.
fn save(plan: &Plan, path: &Path) -> io::Result<()> {
    let mut json = serde_json::to_vec_pretty(plan).map_err(io::Error::other)?;
    json.push(b'\n');
    fs::write(path, json)
}

/// What each change of the plan is, by its index, for the outcomes table (the plan itself is
/// consumed by the apply).
struct Described {
    kind: ChangeKind,
    email_address: Option<String>,
    user_id: Option<String>,
    roles: String,
}

/// One outcome of `--apply --json`: flat, one per line; fields are only ever added.
#[derive(Serialize)]
struct OutcomeJson<'a> {
    index: usize,
    kind: &'a str,
    email_address: Option<&'a str>,
    user_id: Option<&'a str>,
    role: &'a str,
    outcome: &'a str,
    done: bool,
    detail: &'a str,
}

async fn apply(plan: Plan, connection: &Connection, args: &SyncArgs) -> SyncExit {
    let described: Vec<Option<Described>> = plan
        .changes()
        .iter()
        .map(|change| {
            change.is_change().then(|| Described {
                kind: change.kind(),
                email_address: change.email_address().map(str::to_owned),
                user_id: user_id(change).map(str::to_owned),
                roles: change.roles(),
            })
        })
        .collect();
    let mut apply = connection
        .client
        .organization(plan.organization_id())
        .roster()
        .apply(plan);
    for rail in &args.allow {
        apply = apply.allow(*rail);
    }
    let mut run = match apply.send().await {
        Ok(run) => run,
        Err(ApplyError::Refused(violations)) => {
            eprintln!("refused: the plan breaks a safety rail; nothing was changed");
            for violation in &violations {
                eprintln!("  {}", violation_line(violation));
            }
            return SyncExit::Refused;
        }
        Err(ApplyError::Read(error)) => {
            let explained = output::explain(&error);
            eprintln!(
                "error: could not read the organization to check the plan: {}: {}; nothing \
                 was changed",
                explained.outcome.label(),
                explained.detail
            );
            return SyncExit::NotDone;
        }
        Err(other) => {
            eprintln!("error: {other}; nothing was changed");
            return SyncExit::BadInput;
        }
    };

    let total = run.progress().total;
    let bar = output::progress_bar(total, "changes made or settled");
    let mut json = if args.json {
        JsonArray::new(io::stdout().lock()).ok()
    } else {
        None
    };
    let mut rows: Vec<[String; 5]> = Vec::new();
    let mut not_done = 0usize;
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    while let Some(outcome) = run.next().await {
        bar.set_position(run.progress().done as u64);
        let (label, detail, done) = describe(&outcome.result);
        if !done {
            not_done += 1;
        }
        match counts.iter_mut().find(|(name, _)| *name == label) {
            Some((_, count)) => *count += 1,
            None => counts.push((label, 1)),
        }
        let change = described.get(outcome.index).and_then(Option::as_ref);
        let kind = change.map_or(outcome.kind, |c| c.kind);
        let email_address = change
            .and_then(|c| c.email_address.as_deref())
            .or(outcome.email_address.as_deref());
        let user_id = change.and_then(|c| c.user_id.as_deref());
        let roles = change.map(|c| c.roles.as_str()).unwrap_or_default();
        match &mut json {
            Some(array) => {
                // stdout closed (`| head`): keep applying, the outcomes are still counted.
                let _ = array.push(&OutcomeJson {
                    index: outcome.index,
                    kind: kind.as_str(),
                    email_address,
                    user_id,
                    role: roles,
                    outcome: label,
                    done,
                    detail: &detail,
                });
            }
            None => rows.push([
                kind.to_string(),
                email_address.or(user_id).unwrap_or_default().to_owned(),
                roles.to_owned(),
                label.to_owned(),
                detail,
            ]),
        }
    }
    bar.finish_and_clear();
    match json {
        Some(array) => {
            let _ = array.finish();
        }
        None => output::print_table(["CHANGE", "EMAIL", "ROLE", "OUTCOME", "DETAIL"], &rows),
    }
    let summary: Vec<String> = counts
        .iter()
        .map(|(outcome, count)| format!("{count} {outcome}"))
        .collect();
    eprintln!("{}", summary.join(", "));
    if not_done > 0 {
        eprintln!(
            "{not_done} of {total} change(s) not done, or not known to be done; plan again to \
             see what is left (anything done shows as unchanged, nobody is invited twice)"
        );
        SyncExit::NotDone
    } else {
        eprintln!("done: the organization matches the plan");
        SyncExit::Done
    }
}

/// One outcome as a table cell, a detail, and whether the change is made.
fn describe(result: &ChangeResult) -> (&'static str, String, bool) {
    match result {
        ChangeResult::Done(applied) => ("done", applied_detail(applied), true),
        ChangeResult::AlreadyDone(why) => ("already done", why.clone(), true),
        ChangeResult::Conflict(why) => (
            "conflict",
            format!("{why}; nothing was done, plan again"),
            false,
        ),
        ChangeResult::Rejected { reason, .. } => {
            ("rejected", format!("{reason}; nothing changed"), false)
        }
        ChangeResult::Unknown(error) => ("unknown outcome", output::explain(error).detail, false),
        ChangeResult::NotDone(error) => {
            let explained = output::explain(error);
            (
                "not done",
                format!("{}: {}", explained.outcome.label(), explained.detail),
                false,
            )
        }
        ChangeResult::PartlyDone { revoked, invite } => {
            let (label, detail, _) = describe(invite);
            (
                "partly done",
                format!(
                    "revoked {}, but the new invitation is {label}: {detail}; plan again to \
                     invite them",
                    revoked.id
                ),
                false,
            )
        }
        other => ("unknown outcome", format!("{other:?}"), false),
    }
}

/// What Clerk answered for a change made.
fn applied_detail(applied: &Applied) -> String {
    match applied {
        Applied::Invited(invitation) => format!("invited: {}", invitation.id),
        Applied::Added(member) => format!("added as {}", member.role),
        Applied::RoleChanged(member) => format!("now {}", member.role),
        Applied::Replaced { revoked, invited } => {
            format!("revoked {}, invited again: {}", revoked.id, invited.id)
        }
        Applied::Revoked(invitation) => format!("revoked: {}", invitation.id),
        Applied::Removed(_) => "removed".to_owned(),
        Applied::AnswerLost(error) => format!(
            "made (Clerk answered with a success status; its answer could not be read: {error})"
        ),
        other => format!("{other:?}"),
    }
}
