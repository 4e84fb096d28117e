//! The command line: the top-level parser and its subcommands. Each subcommand's own arguments
//! live in its module under `commands/`; the flags several subcommands share are in `flags.rs`.

use clap::{Parser, Subcommand};

use crate::commands::{invite::InviteArgs, members::MembersArgs, sync::SyncArgs};
use crate::flags::where_it_sends;

#[derive(Debug, Parser)]
#[command(
    name = "clerk-orgs",
    version,
    about = "Invite people into Clerk organizations, manage their members, sync them with a roster.",
    after_help = where_it_sends!()
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Invite people into an organization, from arguments or a CSV file.
    Invite(InviteArgs),
    /// List an organization's members, set a member's role, add or remove a member.
    Members(MembersArgs),
    /// Make an organization match a roster CSV: show the plan (default), or --apply it.
    Sync(SyncArgs),
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
