//! `invite`: invite people into a Clerk organization, from the command line or a CSV file.
//!
//! ```sh
//! # No key set: runs against an embedded clerk-fake and invites a few demo addresses.
//! cargo run -p clerk-orgs --example invite
//!
//! # Against Clerk.
//! CLERK_SECRET_KEY=sk_live_... cargo run -p clerk-orgs --example invite -- \
//!     --org org_123 --inviter user_123 alice@example.com bob@example.com:org:admin
//! CLERK_SECRET_KEY=sk_live_... cargo run -p clerk-orgs --example invite -- \
//!     --org org_123 --csv people.csv --dry-run
//!
//! # Several processes sharing Clerk's budgets through Redis (built with `--features redis`).
//! CLERK_SECRET_KEY=sk_live_... REDIS_URL=redis://10.0.0.5:6379 \
//!     cargo run -p clerk-orgs --features redis --example invite -- --org org_123 --csv part1.csv
//! ```
//!
//! Everyone is checked before anything is sent: a bad CSV row, an invalid address or a repeated
//! one is reported with its line (or argument) number and the run stops with exit code 2,
//! nothing sent. Then [`clerk_orgs::Invitations::invite_all`] invites them in bulk calls of up to
//! ten, paced under Clerk's rate limits, and a table says what happened to each person. The exit
//! code is 1 when anyone was not invited (already invited or already a member count as done).

use std::collections::HashMap;
use std::fmt;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use clerk_fake::{ADMIN_ROLE, FakeClerk, Organization, User};
use clerk_orgs::clock::{Clock, Sleep};
use clerk_orgs::{
    Client, ClientBuilder, CreateInvitation, Error, InviteResult, Limit, NewInvitation, RateLimits,
};
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Map, Value};

/// Exit code when some person was not invited (rejected by Clerk, or a failure to retry later).
const EXIT_NOT_ALL_INVITED: u8 = 1;
/// Exit code when the input is invalid: nothing was sent.
const EXIT_BAD_INPUT: u8 = 2;

/// The organization and admin seeded into the embedded fake.
const FAKE_ORG: &str = "org_demo";
const FAKE_ADMIN: &str = "user_admin";
const FAKE_ADMIN_EMAIL: &str = "admin@demo.test";
/// Invited when no one is given and no key is set, so a bare `cargo run` shows a whole run.
const DEMO_PEOPLE: [&str; 3] = [
    "ada@example.com",
    "grace@example.com:org:admin",
    "alan@example.com",
];
/// Runs with more people than this get a progress bar (when stderr is a terminal).
const PROGRESS_ABOVE: usize = 10;

#[derive(Debug, Parser)]
#[command(
    name = "invite",
    about = "Invite people into a Clerk organization, from arguments or a CSV file.",
    long_about = None,
    after_help = "\
WHERE IT SENDS
  With CLERK_SECRET_KEY set, requests go to Clerk (or to CLERK_API_URL if set, e.g. a proxy).
  Without it, an embedded fake Clerk (clerk-fake) is started on 127.0.0.1 and seeded with the
  organization (--org, default org_demo) and an admin inviter (--inviter, default user_admin);
  nothing leaves the machine. With no people given, three demo addresses are invited into it.

CSV FILES (--csv)
  The first line is a header. Columns:
    email             required (`email_address` is accepted too)
    role              optional; an empty cell means --role
    public.<key>      optional; the cell becomes public_metadata.<key> (a string)
    private.<key>     optional; the cell becomes private_metadata.<key> (a string)
  Cells are trimmed; an empty metadata cell leaves its key out. Any other column is an error.
  Every row is checked first (shape, email, role, repeats); a bad row is reported with its line
  number and nothing is sent until every row is valid.

ROLES
  A role is a key such as org:member, org:admin or a custom org:billing. A role without a colon
  gets the org: prefix, so alice@example.com:admin means org:admin.

EXIT CODES
  0  everyone is invited (or was already invited, or is already a member)
  1  someone was not invited: rejected by Clerk, may have been invited (an answer was lost),
     rate limited, not sent, or failed (run again with those people: it is safe)
  2  invalid input or configuration: nothing was sent"
)]
struct Args {
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

    /// Where invitees land after accepting: an absolute http(s) URL or a path starting with /.
    #[arg(long, value_name = "URL")]
    redirect_url: Option<String>,

    /// Days until the invitations expire, 1 to 365 (Clerk's default is 30).
    #[arg(long, value_name = "DAYS")]
    expires_in_days: Option<u32>,

    /// Do not let Clerk email the invitees.
    #[arg(long)]
    no_notify: bool,

    /// Check every person and show what would be sent, without sending anything.
    #[arg(long)]
    dry_run: bool,

    /// Share Clerk's budgets with every process using this Redis, so that together they stay
    /// inside Clerk's limits (needs the `redis` feature).
    #[arg(long, value_name = "URL", env = "REDIS_URL")]
    redis: Option<String>,

    /// The client's bulk-create budget as N/DURATION (default Clerk's 50/1h), e.g. 10/5s to
    /// match a clerk-fake started with the same --bulk-limit.
    #[arg(long, value_name = "N/DUR")]
    bulk_limit: Option<clerk_fake::Limit>,

    /// The client's single-create budget as N/DURATION (default Clerk's 250/1h).
    #[arg(long, value_name = "N/DUR")]
    create_limit: Option<clerk_fake::Limit>,

    /// The client's budget for all requests as N/DURATION (default: Clerk's, by key kind).
    #[arg(long, value_name = "N/DUR")]
    global_limit: Option<clerk_fake::Limit>,

    /// How much longer than its window each call counts against a budget, e.g. 200ms: room for
    /// calls that take different times to reach Clerk [default: 50ms, or a thousandth of the
    /// window if longer].
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    headroom: Option<Duration>,
}

/// `DUR`: a whole number followed by ms, s, m or h (`200ms`, `2s`).
fn parse_duration(text: &str) -> Result<Duration, String> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (amount, unit) = text.split_at(digits);
    let amount: u64 = amount
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 200ms or 2s"))?;
    let unit_ms = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return Err(format!("`{text}` needs a unit: ms, s, m or h")),
    };
    amount
        .checked_mul(unit_ms)
        .map(Duration::from_millis)
        .ok_or_else(|| format!("`{text}` is too long"))
}

/// Where a person came from, to point at it in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The n-th person argument, from 1.
    Arg(usize),
    /// A line of the CSV file, from 1 (the header).
    Line(u64),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Arg(n) => write!(f, "arg {n}"),
            Source::Line(n) => write!(f, "line {n}"),
        }
    }
}

/// One person to invite, before the run-wide options are applied.
#[derive(Debug, Clone)]
struct Person {
    source: Source,
    email: String,
    role: String,
    public_metadata: Map<String, Value>,
    private_metadata: Map<String, Value>,
}

/// Something wrong with the input, at a place in it.
#[derive(Debug)]
struct Problem {
    source: Option<Source>,
    message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.source {
            Some(source) => write!(f, "{source}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
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

impl Person {
    fn new_invitation(&self, options: &Options) -> NewInvitation {
        apply_options!(
            NewInvitation::new(self.email.as_str(), self.role.as_str()),
            self,
            options
        )
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(code) => code,
        Err(problems) => {
            for problem in &problems {
                eprintln!("error: {problem}");
            }
            eprintln!("nothing was sent");
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

async fn run(args: Args) -> Result<ExitCode, Vec<Problem>> {
    let fake_mode = std::env::var("CLERK_SECRET_KEY").map_or(true, |key| key.is_empty());
    let default_role = full_role(&args.role);

    // 1. Read everyone: arguments, then the CSV file.
    let mut raw_people = args.people.clone();
    if raw_people.is_empty() && args.csv.is_none() {
        if !fake_mode {
            return Err(vec![problem(
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
    let mut people = Vec::new();
    let mut problems = Vec::new();
    for (n, raw) in raw_people.iter().enumerate() {
        match parse_arg(raw, &default_role) {
            Ok((email, role)) => people.push(Person {
                source: Source::Arg(n + 1),
                email,
                role,
                public_metadata: Map::new(),
                private_metadata: Map::new(),
            }),
            Err(message) => problems.push(problem(Some(Source::Arg(n + 1)), message)),
        }
    }
    if let Some(path) = &args.csv {
        read_csv(path, &default_role, &mut people, &mut problems);
    }
    problems.extend(repeated_emails(&people));
    if people.is_empty() && problems.is_empty() {
        problems.push(problem(
            None,
            "nobody to invite: the CSV file has a header but no people",
        ));
    }

    let organization_id = match (&args.org, fake_mode) {
        (Some(org), _) if org.trim().is_empty() => {
            problems.push(problem(None, "--org must not be empty"));
            String::new()
        }
        (Some(org), _) => org.clone(),
        (None, true) => FAKE_ORG.to_owned(),
        (None, false) => {
            problems.push(problem(
                None,
                "--org is required when CLERK_SECRET_KEY is set",
            ));
            String::new()
        }
    };
    let inviter = match (&args.inviter, fake_mode) {
        (None, true) => Some(FAKE_ADMIN.to_owned()),
        (inviter, _) => inviter.clone(),
    };
    let options = Options {
        inviter,
        redirect_url: args.redirect_url.clone(),
        expires_in_days: args.expires_in_days,
        notify: args.no_notify.then_some(false),
    };

    // 2. Check everyone with the very checks `send()` runs before sending, and report every
    //    problem of the input at once, in input order.
    let checked_org = if organization_id.is_empty() {
        FAKE_ORG
    } else {
        &organization_id
    };
    problems.extend(preflight(checked_org, &options, &people));
    if !problems.is_empty() {
        problems.sort_by_key(|p| match p.source {
            None => (0, 0),
            Some(Source::Arg(n)) => (1, n as u64),
            Some(Source::Line(n)) => (2, n),
        });
        return Err(problems);
    }

    if args.dry_run {
        print_table(people.iter().map(|person| Row {
            person,
            outcome: "valid",
            detail: String::new(),
        }));
        eprintln!(
            "dry run: {} invitation(s) into {organization_id} are valid; nothing was sent",
            people.len()
        );
        return Ok(ExitCode::SUCCESS);
    }

    // 3. Connect: Clerk with a key, otherwise an embedded fake.
    let (client, fake) = if fake_mode {
        let (client, fake) = start_fake(&args, &organization_id, &options, &people)
            .await
            .map_err(|message| vec![problem(None, message)])?;
        (client, Some(fake))
    } else {
        let client = client_from_env(&args).map_err(|e| vec![problem(None, e)])?;
        eprintln!("Talking to Clerk at {}.", client.base_url());
        (client, None)
    };

    let fake_started_ms = fake.as_ref().map_or(0, |fake| fake.clock().now_ms());

    // 4. Invite, with a progress bar on long runs.
    let invitations = client.organization(organization_id.as_str()).invitations();
    let mut run = invitations.invite_all(people.iter().map(|p| p.new_invitation(&options)));
    let bar = progress_bar(people.len());
    let mut outcomes: Vec<Option<InviteResult>> = vec![None; people.len()];
    while let Some(outcome) = run.next().await {
        bar.set_position(run.progress().done as u64);
        if let Some(slot) = outcomes.get_mut(outcome.index) {
            *slot = Some(outcome.result);
        }
    }
    bar.finish_and_clear();

    // 5. Report.
    let mut not_invited = 0;
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    let rows: Vec<Row<'_>> = people
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
            Row {
                person,
                outcome,
                detail,
            }
        })
        .collect();
    print_table(rows.into_iter());
    let summary: Vec<String> = counts
        .iter()
        .map(|(outcome, count)| format!("{count} {outcome}"))
        .collect();
    eprintln!("{}", summary.join(", "));
    report_shared_budgets();
    if let Some(fake) = &fake {
        let paced = fake.clock().now_ms().saturating_sub(fake_started_ms);
        if paced >= 1_000 {
            eprintln!(
                "rate-limit pacing took {} on the fake's virtual clock; against Clerk that is \
                 real time",
                duration_text(paced / 1_000)
            );
        }
    }
    if not_invited > 0 {
        eprintln!(
            "{not_invited} of {} not invited; fix or retry them and run again \
             (anyone already invited is reported as such, never invited twice)",
            people.len()
        );
        Ok(ExitCode::from(EXIT_NOT_ALL_INVITED))
    } else {
        eprintln!("done: everyone is invited");
        Ok(ExitCode::SUCCESS)
    }
}

fn problem(source: Option<Source>, message: impl Into<String>) -> Problem {
    Problem {
        source,
        message: message.into(),
    }
}

/// `org:admin` for `admin`; role keys with a colon as given.
fn full_role(role: &str) -> String {
    if role.is_empty() || role.contains(':') {
        role.to_owned()
    } else {
        format!("org:{role}")
    }
}

/// `EMAIL` or `EMAIL:ROLE`; the role is everything after the first colon (`org:admin`).
fn parse_arg(raw: &str, default_role: &str) -> Result<(String, String), String> {
    let raw = raw.trim();
    match raw.split_once(':') {
        None => Ok((raw.to_owned(), default_role.to_owned())),
        Some((email, role)) if !role.trim().is_empty() => {
            Ok((email.trim().to_owned(), full_role(role.trim())))
        }
        Some(_) => Err(format!(
            "`{raw}` has an empty role after `:` (write EMAIL or EMAIL:ROLE)"
        )),
    }
}

/// What a CSV column means.
enum Column {
    Email,
    Role,
    Public(String),
    Private(String),
}

fn read_csv(
    path: &Path,
    default_role: &str,
    people: &mut Vec<Person>,
    problems: &mut Vec<Problem>,
) {
    let mut reader = match csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
    {
        Ok(reader) => reader,
        Err(e) => {
            problems.push(problem(
                None,
                format!("cannot read {}: {e}", path.display()),
            ));
            return;
        }
    };
    let header = match reader.headers() {
        Ok(header) => header.clone(),
        Err(e) => {
            problems.push(problem(Some(Source::Line(1)), format!("bad header: {e}")));
            return;
        }
    };
    let mut columns = Vec::with_capacity(header.len());
    for name in &header {
        let column = match name {
            "email" | "email_address" => Column::Email,
            "role" => Column::Role,
            _ => match (name.strip_prefix("public."), name.strip_prefix("private.")) {
                (Some(key), _) if !key.is_empty() => Column::Public(key.to_owned()),
                (_, Some(key)) if !key.is_empty() => Column::Private(key.to_owned()),
                _ => {
                    problems.push(problem(
                        Some(Source::Line(1)),
                        format!(
                            "unknown column `{name}` (expected email, role, public.<key> or \
                             private.<key>)"
                        ),
                    ));
                    return;
                }
            },
        };
        columns.push(column);
    }
    if !columns.iter().any(|c| matches!(c, Column::Email)) {
        problems.push(problem(
            Some(Source::Line(1)),
            "the header has no `email` column",
        ));
        return;
    }

    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map(|p| Source::Line(p.line()));
                if line.is_none() {
                    // An I/O error: nothing after it can be trusted.
                    problems.push(problem(
                        None,
                        format!("cannot read {}: {e}", path.display()),
                    ));
                    return;
                }
                problems.push(problem(line, csv_error_message(&e)));
                continue;
            }
        };
        let source = Source::Line(record.position().map_or(0, csv::Position::line));
        let mut person = Person {
            source,
            email: String::new(),
            role: default_role.to_owned(),
            public_metadata: Map::new(),
            private_metadata: Map::new(),
        };
        for (column, cell) in columns.iter().zip(record.iter()) {
            match column {
                Column::Email => person.email = cell.to_owned(),
                Column::Role if !cell.is_empty() => person.role = full_role(cell),
                Column::Role => {}
                Column::Public(key) if !cell.is_empty() => {
                    person.public_metadata.insert(key.clone(), cell.into());
                }
                Column::Private(key) if !cell.is_empty() => {
                    person.private_metadata.insert(key.clone(), cell.into());
                }
                Column::Public(_) | Column::Private(_) => {}
            }
        }
        if person.email.is_empty() {
            problems.push(problem(Some(source), "the email cell is empty"));
            continue;
        }
        people.push(person);
    }
}

fn csv_error_message(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("has {len} field(s), the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8".to_owned(),
        _ => error.to_string(),
    }
}

/// The same address twice would be refused by Clerk; say where both are.
fn repeated_emails(people: &[Person]) -> Vec<Problem> {
    let mut first: HashMap<String, Source> = HashMap::new();
    let mut problems = Vec::new();
    for person in people {
        let key = person.email.to_lowercase();
        match first.get(&key) {
            Some(earlier) => problems.push(problem(
                Some(person.source),
                format!("{} is already listed at {earlier}", person.email),
            )),
            None => {
                first.insert(key, person.source);
            }
        }
    }
    problems
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
        Err(e) => return vec![problem(None, e.to_string())],
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
                return vec![problem(None, invalid.to_string())];
            }
            problems.push(problem(Some(person.source), message));
        }
    }
    problems
}

/// clerk-fake's virtual clock as the client's: a rate-limit wait moves it forward instead of
/// sleeping, so runs larger than Clerk's hourly budgets finish at once against the fake.
#[derive(Debug)]
struct FakeTime(clerk_fake::Clock);

impl Clock for FakeTime {
    fn now(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.0.now_ms()).unwrap_or(0))
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        let millis = u64::try_from(duration.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX);
        self.0.advance(Duration::from_millis(millis));
        Box::pin(std::future::ready(()))
    }
}

/// A client for `CLERK_SECRET_KEY` (and `CLERK_API_URL`, if set), with the run's budgets.
fn client_from_env(args: &Args) -> Result<Client, String> {
    let key = std::env::var("CLERK_SECRET_KEY").unwrap_or_default();
    let mut builder = Client::builder().secret_key(key);
    if let Some(url) = std::env::var("CLERK_API_URL")
        .ok()
        .filter(|url| !url.is_empty())
    {
        builder = builder.base_url(url);
    }
    configure(builder, args)?.build().map_err(|e| e.to_string())
}

/// The budgets of the run: Clerk's, each --*-limit on top, shared through --redis if given.
fn configure(builder: ClientBuilder, args: &Args) -> Result<ClientBuilder, String> {
    let limit = |limit: clerk_fake::Limit| Limit::new(limit.requests, limit.window);
    let mut limits = RateLimits::default();
    if let Some(bulk) = args.bulk_limit {
        limits = limits.bulk_create_invitations(limit(bulk));
    }
    if let Some(create) = args.create_limit {
        limits = limits.create_invitation(limit(create));
    }
    if let Some(global) = args.global_limit {
        limits = limits.all_requests(limit(global));
    }
    if let Some(headroom) = args.headroom {
        limits = limits.headroom(headroom);
    }
    let builder = builder.rate_limits(limits);
    match args.redis.as_deref().filter(|url| !url.is_empty()) {
        None => Ok(builder),
        Some(url) => with_redis(builder, url),
    }
}

/// The shared budgets of the run, kept to report their counters at the end.
#[cfg(feature = "redis")]
static SHARED_BUDGETS: std::sync::OnceLock<clerk_orgs::RedisBudgets> = std::sync::OnceLock::new();

#[cfg(feature = "redis")]
fn with_redis(builder: ClientBuilder, url: &str) -> Result<ClientBuilder, String> {
    let budgets = clerk_orgs::RedisBudgets::new(url).map_err(|e| e.to_string())?;
    eprintln!("Sharing Clerk's budgets through Redis ({budgets:?}).");
    let _ = SHARED_BUDGETS.set(budgets.clone());
    Ok(builder.shared_budgets(budgets))
}

#[cfg(not(feature = "redis"))]
fn with_redis(_: ClientBuilder, _: &str) -> Result<ClientBuilder, String> {
    Err("--redis (or REDIS_URL) needs the example built with `--features redis`".to_owned())
}

/// What the shared budgets did during the run (with --redis).
#[cfg(feature = "redis")]
fn report_shared_budgets() {
    if let Some(budgets) = SHARED_BUDGETS.get() {
        let stats = budgets.stats();
        eprintln!(
            "shared budgets: {} acquired, {} waits, {} fallbacks, {} failed calls, \
             {} pauses shared, {} Redis errors; a fleet of {} processes seen, pacing {:?}",
            stats.acquired,
            stats.waits,
            stats.fallbacks,
            stats.failed_calls,
            stats.pauses_shared,
            stats.redis_errors,
            stats.fleet_size,
            stats.pacing
        );
        for budget in [
            clerk_orgs::Budget::BulkCreateInvitations,
            clerk_orgs::Budget::CreateInvitation,
            clerk_orgs::Budget::AllRequests,
        ] {
            if let Some(share) = stats.share(budget) {
                eprintln!(
                    "  {budget}: {} processes; this one's share without Redis {} per {:?}",
                    share.fleet_size, share.requests, share.window
                );
            }
        }
    }
}

#[cfg(not(feature = "redis"))]
fn report_shared_budgets() {}

/// Starts the embedded fake, seeds what the run needs and returns a client for it.
async fn start_fake(
    args: &Args,
    organization_id: &str,
    options: &Options,
    people: &[Person],
) -> Result<(Client, FakeClerk), String> {
    let fake = FakeClerk::builder()
        .start()
        .await
        .map_err(|e| format!("cannot start the local fake Clerk: {e}"))?;
    fake.add_organization(Organization::new(organization_id, "Demo Org"));
    let inviter = options.inviter.as_deref().unwrap_or(FAKE_ADMIN);
    let inviter_email = if inviter == FAKE_ADMIN {
        FAKE_ADMIN_EMAIL.to_owned()
    } else {
        format!("{inviter}@demo.test")
    };
    fake.add_user(User::new(inviter, inviter_email).with_name("Demo", "Admin"));
    fake.add_membership(organization_id, inviter, ADMIN_ROLE)
        .map_err(|e| format!("cannot seed the local fake Clerk: {e}"))?;
    // The fake knows org:admin and org:member; custom roles of this run exist there too.
    for person in people {
        fake.add_role(person.role.clone(), person.role.clone());
    }
    let builder = Client::builder()
        .secret_key(fake.secret_key().to_owned())
        .base_url(fake.base_url())
        .clock(Arc::new(FakeTime(fake.clock().clone())));
    let client = configure(builder, args)?
        .build()
        .map_err(|e| e.to_string())?;
    eprintln!(
        "CLERK_SECRET_KEY is not set: talking to a LOCAL FAKE Clerk (clerk-fake) at {}, \
         seeded with organization {organization_id} and admin {inviter}. Nothing reaches Clerk; \
         rate-limit waits run on the fake's virtual clock. Set CLERK_SECRET_KEY to invite for \
         real.",
        fake.base_url()
    );
    Ok((client, fake))
}

fn progress_bar(total: usize) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
    if total > PROGRESS_ABOVE && std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::stderr());
        if let Ok(style) =
            ProgressStyle::with_template("{bar:40} {pos}/{len} invited or settled, {eta} left")
        {
            bar.set_style(style);
        }
    }
    bar
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

struct Row<'a> {
    person: &'a Person,
    outcome: &'static str,
    detail: String,
}

fn print_table<'a>(rows: impl Iterator<Item = Row<'a>>) {
    let rows: Vec<[String; 5]> = rows
        .map(|row| {
            [
                row.person.source.to_string(),
                row.person.email.clone(),
                row.person.role.clone(),
                row.outcome.to_owned(),
                row.detail,
            ]
        })
        .collect();
    let header = ["FROM", "EMAIL", "ROLE", "OUTCOME", "DETAIL"].map(str::to_owned);
    let mut widths = [0usize; 5];
    for row in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
}

/// `2h 05m 10s`, `4m 00s`, `12s`.
fn duration_text(seconds: i64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m {s:02}s"),
        _ => format!("{h}h {m:02}m {s:02}s"),
    }
}
