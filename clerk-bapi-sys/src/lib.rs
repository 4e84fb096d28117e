//! clerk-bapi-sys
