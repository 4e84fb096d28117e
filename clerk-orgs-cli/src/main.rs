#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

// How the crate is laid out, so `sync` (and whatever follows) goes beside `invite` and `members`:
//
//   main.rs      parses, dispatches to one subcommand, turns its result into the exit code
//   args.rs      the top-level command line and the flags every subcommand that sends shares
//   input.rs     people from arguments and CSV files (the shape `invite --csv` reads), checked
//   connect.rs   Clerk with CLERK_SECRET_KEY, otherwise an embedded clerk-fake and its demo world
//   output.rs    tables, JSON, the progress bar, and what each typed error means for the user
//   commands/    one module per subcommand, each with its own arguments
//
// Imports point down that list: commands/ use the four modules above them, and those import
// none of commands/.

mod args;
mod commands;
mod connect;
mod input;
mod output;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let exit = match cli.command {
        Command::Invite(args) => commands::invite::run(args).await,
        Command::Members(args) => commands::members::run(args).await,
    };
    exit.into()
}
