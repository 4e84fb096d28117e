//! The HTTP layer: the one execute path every request takes ([`Handle::execute_with`] and
//! `execute_raw`), the transport over the generated routes and types, the mapping of every answer onto
//! [`Error`](crate::Error), `Retry-After` parsing and the caps on bodies read.
//!
//! It may import `error`, `models`, `operation` and `policy` (the attempt loop it runs each
//! request through); nothing here knows about invitations or the `Client`.

mod handle;
mod retry_after;
mod transport;

pub(crate) use handle::Handle;
pub(crate) use transport::{Call, json_body};
