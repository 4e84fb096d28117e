//! The fingerprint of what a plan read: every member (user, role, address) and every pending
//! invitation (id, address, role), so that applying can tell whether the organization is still
//! as planned.
//!
//! It is a multiset hash: each item is hashed alone (FNV-1a, 128 bits) and the hashes are
//! added, so the order pages arrive in does not matter and nothing has to be kept to compute
//! it. FNV-1a is written out here rather than taken from `std`'s hasher, whose algorithm is
//! not promised to stay the same between Rust releases: a plan saved by one build must check
//! against the same fingerprint in another. It detects change, not tampering.

const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;

fn fnv1a(parts: &[&[u8]]) -> u128 {
    let mut hash = OFFSET;
    for part in parts {
        for &byte in *part {
            hash ^= u128::from(byte);
            hash = hash.wrapping_mul(PRIME);
        }
        // A separator no UTF-8 text holds, so ("ab", "c") and ("a", "bc") differ.
        hash ^= 0xff;
        hash = hash.wrapping_mul(PRIME);
    }
    hash
}

/// Accumulates the fingerprint of an organization's members and pending invitations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Fingerprinter {
    members: u64,
    pending: u64,
    sum: u128,
}

impl Fingerprinter {
    /// A member: its user id, role and address (as Clerk gave it; compared exactly, so a
    /// change of address shows).
    pub(super) fn member(&mut self, user_id: &str, role: &str, identifier: Option<&str>) {
        self.members += 1;
        let identifier = identifier.unwrap_or("");
        let hash = fnv1a(&[
            b"m",
            user_id.as_bytes(),
            role.as_bytes(),
            identifier.as_bytes(),
        ]);
        self.sum = self.sum.wrapping_add(hash);
    }

    /// A pending invitation: its id, address and role.
    pub(super) fn invitation(&mut self, id: &str, email_address: &str, role: &str) {
        self.pending += 1;
        let hash = fnv1a(&[
            b"i",
            id.as_bytes(),
            email_address.as_bytes(),
            role.as_bytes(),
        ]);
        self.sum = self.sum.wrapping_add(hash);
    }

    /// Members counted so far.
    pub(super) fn members(&self) -> u64 {
        self.members
    }

    /// Pending invitations counted so far.
    pub(super) fn pending(&self) -> u64 {
        self.pending
    }

    /// The fingerprint: `v1:<members>:<pending>:<hash>`, readable enough to see at a glance
    /// how many of each a plan read.
    pub(super) fn finish(&self) -> String {
        format!("v1:{}:{}:{:032x}", self.members, self.pending, self.sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_does_not_matter_but_every_field_does() {
        let mut a = Fingerprinter::default();
        a.member("user_1", "org:admin", Some("a@x.co"));
        a.member("user_2", "org:member", Some("b@x.co"));
        a.invitation("orginv_1", "c@x.co", "org:member");
        let mut b = Fingerprinter::default();
        b.invitation("orginv_1", "c@x.co", "org:member");
        b.member("user_2", "org:member", Some("b@x.co"));
        b.member("user_1", "org:admin", Some("a@x.co"));
        assert_eq!(a.finish(), b.finish());
        assert!(a.finish().starts_with("v1:2:1:"), "{}", a.finish());

        let variants = [
            ("user_2", "org:admin", Some("b@x.co")),
            ("user_3", "org:member", Some("b@x.co")),
            ("user_2", "org:member", Some("B@x.co")),
            ("user_2", "org:member", None),
        ];
        for (user, role, identifier) in variants {
            let mut c = Fingerprinter::default();
            c.member("user_1", "org:admin", Some("a@x.co"));
            c.member(user, role, identifier);
            c.invitation("orginv_1", "c@x.co", "org:member");
            assert_ne!(a.finish(), c.finish(), "{user} {role} {identifier:?}");
        }
        let mut d = Fingerprinter::default();
        d.member("user_1", "org:admin", Some("a@x.co"));
        d.member("user_2", "org:member", Some("b@x.co"));
        d.invitation("orginv_1", "c@x.co", "org:admin");
        assert_ne!(a.finish(), d.finish());
    }

    #[test]
    fn fields_do_not_run_into_each_other() {
        let mut a = Fingerprinter::default();
        a.member("user_1", "org:a", Some("dmin@x.co"));
        let mut b = Fingerprinter::default();
        b.member("user_1", "org:admin", Some("@x.co"));
        assert_ne!(a.finish(), b.finish());
    }
}
