//! The reads every feature builds on, below the feature folders so that none of them imports
//! another:
//!
//! - `paging`: the list core: query pairs, one page, and `stream()` over offset pagination
//!   (invitations, memberships and roles all list through it);
//! - `evidence`: what settling a lost answer rests on: Clerk's clock, read from a lookup's
//!   `Date`, and whether a refusal could have been caused by an earlier attempt of the same call;
//! - `roles`: the opt-in role check, from the instance's roles cached for a TTL (the cache
//!   itself is `policy::RoleCache`, on the shared core);
//! - `users`: the instance's users by email address (roster sync's opt-in lookup of people who
//!   already have an account).
//!
//! This layer may import `http`, `policy`, `validate`, `error`, `models` and `operation`; the
//! feature folders import it, never the other way round.

pub(crate) mod evidence;
pub(crate) mod paging;
pub(crate) mod roles;
pub(crate) mod users;
