//! What a command prints and how it exits: aligned tables and JSON on stdout, the progress bar
//! on stderr, and what each typed error of clerk-orgs means for the change the user asked for
//! ([`explain`]), with the exit code that goes with it.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clerk_orgs::{Delivery, Error};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

/// How a command ends. Every subcommand documents its codes in `--help`; these are the meanings
/// `invite` and `members` share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything asked for is done (or already was).
    Done,
    /// Something asked for is not done, or its outcome is unknown: the message says which.
    NotDone,
    /// Invalid input or configuration: nothing was sent.
    BadInput,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        match exit {
            Exit::Done => ExitCode::SUCCESS,
            Exit::NotDone => ExitCode::from(1),
            Exit::BadInput => ExitCode::from(2),
        }
    }
}

/// What became of a change that failed, by the library's typed error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Refused before sending (validation, the role check, configuration).
    Invalid,
    /// Clerk refused to leave the organization without an admin.
    LastAdmin,
    /// The role does not exist.
    NoSuchRole,
    /// The user is already a member.
    AlreadyMember,
    /// The organization's membership limit (or the plan's seats) is used up.
    MembershipLimit,
    /// The organization, user or membership does not exist.
    NotFound,
    /// Clerk did not accept the secret key.
    SecretKey,
    /// Clerk answered 429.
    RateLimited,
    /// Never left the machine (connection refused, the client's own budget).
    NotSent,
    /// Clerk refused it for another reason.
    Refused,
    /// Clerk answered with a success status whose body could not be read: it acted.
    DoneUnreadable,
    /// Sent, and whether Clerk acted is unknown.
    Unknown,
}

impl Outcome {
    /// The outcome as a table cell or a message's first words.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Invalid => "invalid",
            Outcome::LastAdmin => "refused: last admin",
            Outcome::NoSuchRole => "refused: no such role",
            Outcome::AlreadyMember => "already a member",
            Outcome::MembershipLimit => "refused: membership limit",
            Outcome::NotFound => "not found",
            Outcome::SecretKey => "refused: secret key",
            Outcome::RateLimited => "rate limited",
            Outcome::NotSent => "not sent",
            Outcome::Refused => "refused",
            Outcome::DoneUnreadable => "done, answer unreadable",
            Outcome::Unknown => "unknown outcome",
        }
    }

    /// How a command asked for this one change ends.
    pub fn exit(self) -> Exit {
        match self {
            Outcome::Invalid => Exit::BadInput,
            Outcome::DoneUnreadable => Exit::Done,
            _ => Exit::NotDone,
        }
    }
}

/// What an error means for one change: its outcome and a sentence that says whether anything
/// changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explained {
    pub outcome: Outcome,
    pub detail: String,
}

/// Reads a failed call by the library's typed error: what Clerk refused and why, what never
/// left the machine, and what may have happened. The order matters: the specific refusals come
/// before the generic "not found" and "refused" they are also instances of.
pub fn explain(error: &Error) -> Explained {
    let (outcome, detail) = if let Error::InvalidRequest(invalid) = error {
        (Outcome::Invalid, format!("{invalid}; nothing was sent"))
    } else if let Error::Config(config) = error {
        (Outcome::Invalid, format!("{config}; nothing was sent"))
    } else if error.is_last_admin() {
        let trace = error
            .trace_id()
            .map(|id| format!(" (Clerk trace id {id})"))
            .unwrap_or_default();
        (
            Outcome::LastAdmin,
            format!(
                "Clerk keeps at least one admin in an organization, and this would leave it \
                 without one; make another member an admin first. Nothing changed{trace}"
            ),
        )
    } else if error.is_role_not_found() {
        (Outcome::NoSuchRole, format!("{error}. Nothing changed"))
    } else if error.is_already_member() {
        (Outcome::AlreadyMember, format!("{error}. Nothing changed"))
    } else if error.is_quota_exceeded() {
        (
            Outcome::MembershipLimit,
            format!("{error}. Nothing changed"),
        )
    } else if error.is_not_found() {
        (Outcome::NotFound, format!("{error}. Nothing changed"))
    } else if error.is_authentication() {
        (
            Outcome::SecretKey,
            format!("Clerk did not accept CLERK_SECRET_KEY: {error}. Nothing changed"),
        )
    } else if error.is_rate_limited() {
        let wait = error
            .retry_after()
            .map(|wait| format!(" and asked to wait {}", duration_text(wait.as_secs())))
            .unwrap_or_default();
        (
            Outcome::RateLimited,
            format!(
                "Clerk refused the request (429){wait}: {error}. Nothing changed; run it again \
                 later"
            ),
        )
    } else {
        match error.delivery() {
            Delivery::NotSent => (
                Outcome::NotSent,
                format!("{error}. Nothing was sent, so nothing changed"),
            ),
            Delivery::Rejected => (Outcome::Refused, format!("{error}. Nothing changed")),
            // Clerk answered with a success status: it acted, only its answer is unreadable.
            Delivery::Processed => (
                Outcome::DoneUnreadable,
                format!(
                    "Clerk answered with a success status, so the change is made, but its \
                     answer could not be read: {error}"
                ),
            ),
            _ => (
                Outcome::Unknown,
                format!(
                    "the change may or may not have been made (the request was sent and its \
                     answer lost, and a lookup could not settle it): {error}"
                ),
            ),
        }
    };
    Explained { outcome, detail }
}

/// Prints rows under a header, each column as wide as its widest cell, on stdout.
pub fn print_table<const N: usize>(header: [&str; N], rows: &[[String; N]]) {
    let header = header.map(str::to_owned);
    let mut widths = [0usize; N];
    for row in std::iter::once(&header).chain(rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = io::stdout().lock();
    for row in std::iter::once(&header).chain(rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        // A closed stdout (`| head`) ends the table, not the command.
        if writeln!(out, "{}", line.join("  ").trim_end()).is_err() {
            return;
        }
    }
}

/// A JSON array written element by element as they arrive, one element per line, so a long
/// list streams. `finish` closes it; an array left open (no closing `]`) tells a reader the
/// list stopped early.
pub struct JsonArray<W: Write> {
    out: W,
    written: usize,
}

impl<W: Write> JsonArray<W> {
    pub fn new(mut out: W) -> io::Result<Self> {
        out.write_all(b"[")?;
        Ok(Self { out, written: 0 })
    }

    pub fn push(&mut self, value: &impl Serialize) -> io::Result<()> {
        let separator: &[u8] = if self.written == 0 { b"\n" } else { b",\n" };
        self.out.write_all(separator)?;
        serde_json::to_writer(&mut self.out, value)?;
        self.written += 1;
        self.out.flush()
    }

    pub fn finish(mut self) -> io::Result<()> {
        self.out.write_all(b"\n]\n")?;
        self.out.flush()
    }
}

/// Runs with more items than this get a progress bar (when stderr is a terminal).
const PROGRESS_ABOVE: usize = 10;

/// A progress bar on stderr for `total` items, drawn only for long runs on a terminal (so
/// scripts and tests see none); `done` says what a finished item is, e.g. "invited or settled".
pub fn progress_bar(total: usize, done: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
    if total > PROGRESS_ABOVE && io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(&format!(
            "{{bar:40}} {{pos}}/{{len}} {done}, {{eta}} left"
        )) {
            bar.set_style(style);
        }
    }
    bar
}

/// `2h 05m 10s`, `4m 00s`, `12s`.
pub fn duration_text(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m {s:02}s"),
        _ => format!("{h}h {m:02}m {s:02}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn durations_read_as_hours_minutes_seconds() {
        assert_eq!(duration_text(12), "12s");
        assert_eq!(duration_text(240), "4m 00s");
        assert_eq!(duration_text(2 * 3600 + 5 * 60 + 10), "2h 05m 10s");
    }

    #[test]
    fn a_json_array_is_valid_when_finished_and_visibly_open_when_not() {
        let mut buffer = Vec::new();
        let mut array = JsonArray::new(&mut buffer).unwrap();
        array.push(&serde_json::json!({"a": 1})).unwrap();
        array.push(&serde_json::json!({"b": 2})).unwrap();
        array.finish().unwrap();
        let text = String::from_utf8(buffer).unwrap();
        assert_eq!(text, "[\n{\"a\":1},\n{\"b\":2}\n]\n");
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed.as_array().map(Vec::len), Some(2));

        let mut empty = Vec::new();
        JsonArray::new(&mut empty).unwrap().finish().unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&empty).unwrap(),
            serde_json::json!([])
        );

        let mut cut = Vec::new();
        JsonArray::new(&mut cut)
            .unwrap()
            .push(&serde_json::json!({"a": 1}))
            .unwrap();
        assert!(
            serde_json::from_slice::<Value>(&cut).is_err(),
            "an open array is not JSON"
        );
    }
}
