//! The flags and help text that several subcommands share: [`ClientArgs`] (pacing, for every
//! subcommand that sends), [`InvitationArgs`] (for every subcommand that invites), the `DUR`
//! parser and the "WHERE IT SENDS" help section. They live apart from `args.rs` so that imports
//! point one way: `args.rs` (the top-level parser) names each subcommand's arguments in
//! `commands/`, and `commands/` and `connect.rs` take these from here, never from `args.rs`.

use std::time::Duration;

use clap::Args;

/// What happens where, in every subcommand's `--help` (a macro, so `concat!` can add to it).
macro_rules! where_it_sends {
    () => {
        "\
WHERE IT SENDS
  With CLERK_SECRET_KEY set, requests go to Clerk (or to CLERK_API_URL if set, e.g. a proxy).
  Without it, an embedded fake Clerk (clerk-fake) is started on 127.0.0.1 for the one command,
  seeded with a demo organization (--org, default org_demo), its admin user_admin, members
  user_maria and user_sam, a user user_kim who is not a member, and a custom role org:billing.
  Nothing leaves the machine, and the fake's state is gone when the command ends."
    };
}
pub(crate) use where_it_sends;

/// How the client paces itself: Clerk's budgets by default, scaled with the limit flags, shared
/// with a fleet through Redis. Every subcommand that sends takes these.
#[derive(Debug, Clone, Default, Args)]
pub struct ClientArgs {
    /// Share Clerk's budgets with every process using this Redis, so that together they stay
    /// inside Clerk's limits (needs the `redis` feature, on by default).
    #[arg(long, value_name = "URL", env = "REDIS_URL")]
    pub redis: Option<String>,

    /// The client's bulk-create budget as N/DURATION (default Clerk's 50/1h), e.g. 10/5s to
    /// match a clerk-fake started with the same --bulk-limit.
    #[arg(long, value_name = "N/DUR")]
    pub bulk_limit: Option<clerk_fake::Limit>,

    /// The client's single-create budget as N/DURATION (default Clerk's 250/1h).
    #[arg(long, value_name = "N/DUR")]
    pub create_limit: Option<clerk_fake::Limit>,

    /// The client's budget for all requests as N/DURATION (default: Clerk's, by key kind).
    #[arg(long, value_name = "N/DUR")]
    pub global_limit: Option<clerk_fake::Limit>,

    /// How much longer than its window each call counts against a budget, e.g. 200ms: room for
    /// calls that take different times to reach Clerk [default: 50ms, or a thousandth of the
    /// window if longer].
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub headroom: Option<Duration>,
}

/// What new invitations carry, for every subcommand that invites (`invite`, `sync`).
#[derive(Debug, Clone, Default, Args)]
pub struct InvitationArgs {
    /// Where invitees land after accepting: an absolute http(s) URL or a path starting with /.
    #[arg(long, value_name = "URL")]
    pub redirect_url: Option<String>,

    /// Days until new invitations expire, 1 to 365 (Clerk's default is 30).
    #[arg(long, value_name = "DAYS")]
    pub expires_in_days: Option<u32>,

    /// Do not let Clerk email the invitees.
    #[arg(long)]
    pub no_notify: bool,
}

impl InvitationArgs {
    /// Whether Clerk emails invitees: `Some(false)` with `--no-notify`, Clerk's default
    /// otherwise.
    pub fn notify(&self) -> Option<bool> {
        self.no_notify.then_some(false)
    }
}

/// `DUR`: a whole number followed by ms, s, m or h (`200ms`, `2s`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_unit() {
        assert_eq!(parse_duration("200ms"), Ok(Duration::from_millis(200)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("3m"), Ok(Duration::from_secs(180)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("0ms"), Ok(Duration::ZERO));
        assert!(parse_duration("5").unwrap_err().contains("needs a unit"));
        assert!(parse_duration("ms").unwrap_err().contains("not a duration"));
        assert!(parse_duration("5d").unwrap_err().contains("needs a unit"));
        assert!(
            parse_duration("99999999999999999h")
                .unwrap_err()
                .contains("too long")
        );
    }
}
