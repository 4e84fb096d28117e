//! [`UnresolvedError`]: a lost answer that looking the result up could not settle.

use std::fmt;

use super::Error;
use crate::operation::Operation;

/// Why a lost answer could not be settled; see [`UnresolvedError::why`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Unsettled {
    /// The lookup (for a revoke, the fetch of the invitation) itself failed (its error is
    /// [`UnresolvedError::lookup_error`]).
    LookupFailed,
    /// Clerk's answers say an invitation exists, but the lookup found none pending: it may have
    /// been this call's, accepted or revoked since. For a membership create: Clerk said the
    /// user is already a member, and the lookup found no membership.
    NotFound,
    /// Clerk's answers carried no usable `Date`, so the invitation found (or its revocation)
    /// cannot be dated against this call.
    NoClockEvidence,
    /// A membership created during the call was found with other contents than asked: it may
    /// be this call's, changed by someone else since (perhaps within the millisecond it was
    /// made, which its `updated_at` cannot show), or someone else's.
    Changed,
}

impl Unsettled {
    fn as_str(self) -> &'static str {
        match self {
            Unsettled::LookupFailed => "the lookup failed",
            Unsettled::NotFound => "Clerk said it exists but the lookup found none",
            Unsettled::NoClockEvidence => "Clerk's answer had no usable Date to date it by",
            Unsettled::Changed => {
                "the membership found was created during the call with other contents than asked"
            }
        }
    }
}

/// A call whose answer was lost, and why looking up the result did not settle it.
///
/// The request may or may not have been processed: [`Error::delivery`] is
/// [`Delivery::Unknown`](crate::Delivery::Unknown). Running the same create again is safe: Clerk refuses a second pending
/// invitation for an email, so it either creates it or says it exists. So is running the same
/// revoke again: it revokes the invitation or says it is not pending.
///
/// On the [`Error::Unresolved`] holding it, [`Error::status`], [`Error::codes`],
/// [`Error::trace_id`], [`Error::retry_after`] and [`Error::api`] all describe
/// [`Self::last_attempt`]'s answer (all nothing if it had none); the `is_*` predicates do not
/// read it (see [`Error`]'s docs).
#[derive(Debug)]
pub struct UnresolvedError {
    pub(crate) operation: Operation,
    pub(crate) why: Unsettled,
    pub(crate) last_attempt: Error,
    pub(crate) lookup_error: Option<Error>,
}

impl UnresolvedError {
    /// The operation whose outcome is unknown.
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// Why the lookup did not settle it.
    pub fn why(&self) -> Unsettled {
        self.why
    }

    /// What the call's last attempt said (for example `duplicate_record`, which alone would
    /// wrongly read as "invited before").
    pub fn last_attempt(&self) -> &Error {
        &self.last_attempt
    }

    /// The lookup's own failure, for [`Unsettled::LookupFailed`].
    pub fn lookup_error(&self) -> Option<&Error> {
        self.lookup_error.as_ref()
    }
}

impl fmt::Display for UnresolvedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: an answer was lost and {}, so the request may or may not have been processed \
             (last attempt: {})",
            self.operation,
            self.why.as_str(),
            self.last_attempt
        )?;
        if let Some(lookup) = &self.lookup_error {
            write!(f, " (lookup: {lookup})")?;
        }
        Ok(())
    }
}

impl std::error::Error for UnresolvedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.last_attempt)
    }
}
