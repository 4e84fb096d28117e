//! clerk-fake
