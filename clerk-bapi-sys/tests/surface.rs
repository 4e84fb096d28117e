//! The generated Organization Invitations surface, as a snapshot: a spec change shows up as a
//! reviewable diff here (`cargo insta review`, or `cargo xtask update`).

#[path = "../build/generate.rs"]
#[allow(dead_code)]
mod generate;

use std::collections::HashSet;

#[test]
fn organization_invitations_bindings() {
    let spec = include_str!("../../spec/clerk-bapi.json");
    let enabled = HashSet::from(["organization-invitations".to_owned()]);
    let bindings = generate::generate(spec, &enabled);
    // build.rs writes the code unformatted; formatted here so a change reads as a diff.
    let file = syn::parse_file(&bindings.code).expect("the bindings are valid Rust");
    insta::assert_snapshot!(prettyplease::unparse(&file));
}
