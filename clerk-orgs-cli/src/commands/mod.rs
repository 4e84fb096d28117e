//! One module per subcommand: its arguments (a clap `Args` struct) and its `run`, which returns
//! how the command ends. A new subcommand is a module here and a variant of `args::Command`.

pub mod invite;
pub mod members;
pub mod sync;
