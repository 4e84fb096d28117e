//! The instance's users as `GET /v1/users` lists them: seeded from Rust
//! ([`crate::FakeClerk::add_user`]) or created when an invitation to an unknown address is
//! accepted.

use super::{Store, User, paginate};

/// How `GET /v1/users` orders users: by creation (the fake's users never change, so
/// `updated_at` orders the same way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UserSort {
    pub(crate) descending: bool,
}

impl Default for UserSort {
    /// Clerk's default: newest first.
    fn default() -> Self {
        Self { descending: true }
    }
}

/// Which users a list request wants, already validated; email addresses are lowercased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UserQuery {
    /// When any: only users holding one of these addresses (any of their addresses).
    pub(crate) email_addresses: Vec<String>,
    /// When any: only these users.
    pub(crate) user_ids: Vec<String>,
    pub(crate) sort: UserSort,
    pub(crate) limit: usize,
    pub(crate) offset: usize,
}

impl UserQuery {
    /// No filter, newest first, the first `limit` users.
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            email_addresses: Vec::new(),
            user_ids: Vec::new(),
            sort: UserSort::default(),
            limit,
            offset: 0,
        }
    }

    fn matches(&self, user: &User) -> bool {
        (self.user_ids.is_empty() || self.user_ids.contains(&user.id))
            && (self.email_addresses.is_empty()
                || user
                    .email_addresses()
                    .chain(user.unverified_email_addresses.iter().map(String::as_str))
                    .any(|email| self.email_addresses.contains(&email.to_lowercase())))
    }
}

impl Store {
    /// When the user was first added, Unix milliseconds.
    pub(crate) fn user_created_at(&self, user_id: &str) -> i64 {
        self.users_created.get(user_id).map_or(0, |&(_, at)| at)
    }

    /// One page of the users `query` matches (with their creation times), and how many match.
    pub(crate) fn list_users(&self, query: &UserQuery) -> (Vec<(User, i64)>, usize) {
        let mut matches: Vec<(u64, &User)> = self
            .users
            .values()
            .filter(|user| query.matches(user))
            .map(|user| {
                let seq = self.users_created.get(&user.id).map_or(0, |&(seq, _)| seq);
                (seq, user)
            })
            .collect();
        matches.sort_by_key(|&(seq, _)| seq);
        let (page, total) = paginate(matches, query.sort.descending, query.offset, query.limit);
        let page = page
            .into_iter()
            .map(|(_, user)| (user.clone(), self.user_created_at(&user.id)))
            .collect();
        (page, total)
    }
}
