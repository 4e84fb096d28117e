//! clerk-orgs
