#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

// How the crate is laid out, so a new subcommand goes beside `invite`, `members` and `sync`:
//
//   main.rs      parses, dispatches to one subcommand, turns its result into the exit code
//   args.rs      the top-level command line: one variant per subcommand, naming its arguments
//   commands/    one module per subcommand, each with its own arguments
//   connect.rs   Clerk with CLERK_SECRET_KEY, otherwise an embedded clerk-fake and its demo world
//   input.rs     people from arguments and CSV files (the shape `invite --csv` reads), checked
//   output.rs    tables, JSON, the progress bar, and what each typed error means for the user
//   flags.rs     the flags and help text several subcommands share (ClientArgs, InvitationArgs)
//
// Imports point down that list: args.rs names commands/, commands/ use the four modules below
// them, and none of those imports args.rs or commands/.

mod args;
mod commands;
mod connect;
mod flags;
mod input;
mod output;

use std::process::ExitCode;

use clap::Parser;
use clap::error::Error as ClapError;

use crate::args::{Cli, Command};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    // Each subcommand documents its own exit codes (`sync`'s differ: 2 is "changes pending").
    match cli.command {
        Command::Invite(args) => commands::invite::run(args).await.into(),
        Command::Members(args) => commands::members::run(args).await.into(),
        Command::Sync(args) => commands::sync::run(args).await.into(),
    }
}

/// Prints clap's message (help, version, or what is wrong with the command line) and exits as
/// the subcommand documents: `--help` and `--version` with 0, a bad command line as invalid
/// input, which is 2 for `invite` and `members` and 3 for `sync` (whose 2 means "changes
/// pending", so a typo in a nightly `sync` never reads as a plan).
fn usage_error(error: &ClapError) -> ExitCode {
    let _ = error.print();
    if error.exit_code() == 0 {
        return ExitCode::SUCCESS;
    }
    let sync = std::env::args_os().nth(1).is_some_and(|arg| arg == "sync");
    if sync {
        commands::sync::SyncExit::BadInput.into()
    } else {
        output::Exit::BadInput.into()
    }
}
