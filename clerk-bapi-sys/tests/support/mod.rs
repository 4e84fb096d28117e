//! What several test files share.

// Each test file compiles this module on its own and uses part of it.
#![allow(dead_code)]

pub mod sample;
