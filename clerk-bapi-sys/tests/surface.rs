//! The generated Organization Invitations surface, as a snapshot: a spec change shows up as a
//! reviewable diff here (`cargo insta review`, or `cargo xtask update`).

#[path = "../build/generate.rs"]
#[allow(dead_code)]
mod generate;

use std::collections::HashSet;

#[test]
fn organization_invitations_bindings() {
    let spec = include_str!("../spec/clerk-bapi.json");
    let enabled = HashSet::from(["organization-invitations".to_owned()]);
    let bindings = generate::generate(spec, &enabled);
    insta::assert_snapshot!(bindings.code);
}
