//! Every operation of the vendored spec against the types the bindings generate for it (feature
//! `full`): no field may be lost or changed, either way.
//!
//! For each operation's success answer, samples built from the spec (`support/sample.rs`: every
//! property set, and every nullable value `null`, once per branch of its unions) are decoded into
//! the type the operation's `send` returns, serialized again and compared with the sample. For
//! each request body, a sample with every property set, one with every optional array or map
//! empty and one with every nullable value `null` are decoded into the body type and serialized
//! as the request would be: an empty collection the caller set must go out. A `null` that goes
//! out as an absent field is counted, not failed: the generated `Option` cannot tell the two
//! apart, which the crate docs say. Which types those are is read off the generated
//! builders by the build script (`$OUT_DIR/operations.rs`); the multipart operations are written
//! by hand and listed here. The table of results is a snapshot, so a regression is a diff.
#![cfg(feature = "full")]

mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use clerk_bapi_sys::{routes, types};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use support::sample::{Mode, Sampler, differences, nulls_left_out, resolve, variants};

/// Decodes a JSON value as the type it was made for, serializes that as the bindings would, and
/// returns what came out.
type Roundtrip = fn(&Value) -> Result<Value, String>;

fn roundtrip<T: DeserializeOwned + Serialize>(sample: &Value) -> Result<Value, String> {
    // Bytes both ways, as the bindings decode answers and encode bodies.
    let bytes = serde_json::to_vec(sample).expect("a JSON value serializes");
    let decoded: T = serde_json::from_slice(&bytes).map_err(|err| format!("decoding: {err}"))?;
    let encoded = serde_json::to_vec(&decoded).map_err(|err| format!("encoding: {err}"))?;
    Ok(serde_json::from_slice(&encoded).expect("serde_json wrote JSON"))
}

/// One operation as the bindings have it.
struct Bound {
    response: Option<(&'static str, Roundtrip)>,
    body: Option<(&'static str, Roundtrip)>,
    /// The body is `multipart/form-data`, sent by `clerk_bapi_sys::multipart` (tests/multipart.rs).
    multipart: bool,
}

macro_rules! bound_type {
    () => {
        None
    };
    ($($type:tt)+) => {
        Some((stringify!($($type)+), roundtrip::<$($type)+> as Roundtrip))
    };
}

macro_rules! operations {
    ($(($id:literal, $method:ident, $path:literal, ($($response:tt)*), ($($body:tt)*))),* $(,)?) => {
        vec![$((
            $id,
            stringify!($method),
            $path,
            Bound {
                response: bound_type!($($response)*),
                body: bound_type!($($body)*),
                multipart: false,
            },
        )),*]
    };
}

/// Every operation the bindings have, by operation id, with the method and path its builder
/// sends.
fn bound() -> BTreeMap<&'static str, (&'static str, &'static str, Bound)> {
    let generated: Vec<(&'static str, &'static str, &'static str, Bound)> =
        include!(concat!(env!("OUT_DIR"), "/operations.rs"));
    let multipart = |response| Bound {
        response: Some(response),
        body: None,
        multipart: true,
    };
    let hand_written = [
        (
            routes::SET_USER_PROFILE_IMAGE.operation_id,
            multipart(bound_type!(types::User).unwrap()),
        ),
        (
            routes::UPLOAD_ORGANIZATION_LOGO.operation_id,
            multipart(bound_type!(types::OrganizationWithLogo).unwrap()),
        ),
        (
            routes::UPLOAD_O_AUTH_APPLICATION_LOGO.operation_id,
            multipart(bound_type!(types::OAuthApplication).unwrap()),
        ),
    ];
    let mut all = BTreeMap::new();
    for (id, method, path, bound) in generated {
        assert!(
            all.insert(id, (method, path, bound)).is_none(),
            "{id} twice"
        );
    }
    for (id, bound) in hand_written {
        let route = routes::ALL
            .iter()
            .find(|route| route.operation_id == id)
            .expect("a route");
        all.insert(id, (route.method.as_str(), route.path, bound));
    }
    all
}

/// What the spec says an operation takes and answers.
struct Declared<'a> {
    response: Option<&'a Value>,
    body: Option<&'a Value>,
    multipart: bool,
}

fn declared<'a>(spec: &'a Value, operation: &'a Value, success: u16) -> Declared<'a> {
    let json_schema = |holder: &'a Value| {
        resolve(spec, holder)
            .pointer("/content/application~1json/schema")
            .filter(|schema| !schema.is_null())
    };
    let response = json_schema(&operation["responses"][success.to_string()]);
    let body = operation.get("requestBody");
    Declared {
        response,
        body: body.and_then(json_schema),
        multipart: body.is_some_and(|body| {
            resolve(spec, body)
                .pointer("/content/multipart~1form-data")
                .is_some()
        }),
    }
}

/// The outcome of one check: how many samples went through and what went wrong with them.
#[derive(Default)]
struct Outcome {
    samples: usize,
    emptied: usize,
    /// Body fields sent as `null` in the sample that the body type leaves out instead.
    nulls_left_out: usize,
    problems: Vec<String>,
}

impl Outcome {
    /// Checks one sample; returns what came back when it decoded.
    fn check(&mut self, roundtrip: Roundtrip, sample: &Value, label: &str) -> Option<Value> {
        self.samples += 1;
        match roundtrip(sample) {
            Ok(back) => {
                let found = differences(sample, &back);
                if !found.is_empty() {
                    self.problems.push(format!(
                        "{label}: {}",
                        found[..found.len().min(3)].join(", ")
                    ));
                }
                Some(back)
            }
            Err(err) => {
                self.problems.push(format!("{label}: {err}"));
                None
            }
        }
    }

    fn cell(&self) -> String {
        let ok = self.samples - self.problems.len();
        let verdict = if self.problems.is_empty() {
            "ok"
        } else {
            "FAIL"
        };
        format!("{ok}/{} {verdict}", self.samples)
    }
}

fn check_response(spec: &Value, schema: &Value, roundtrip: Roundtrip) -> Outcome {
    let mut outcome = Outcome::default();
    for variant in 0..variants(spec, schema) {
        for mode in [Mode::Full, Mode::Nulls] {
            let sampler = Sampler::new(spec, mode, variant);
            let sample = sampler.sample(schema);
            // A sample without nullable values would repeat the full one.
            if mode == Mode::Nulls && sampler.nulled() == 0 {
                continue;
            }
            outcome.check(roundtrip, &sample, &format!("{mode:?} #{variant}"));
        }
    }
    outcome
}

fn check_body(spec: &Value, schema: &Value, roundtrip: Roundtrip) -> Outcome {
    let mut outcome = Outcome::default();
    for variant in 0..variants(spec, schema) {
        for mode in [Mode::Full, Mode::EmptyCollections, Mode::Nulls] {
            let sampler = Sampler::new(spec, mode, variant);
            let sample = sampler.sample(schema);
            match mode {
                Mode::EmptyCollections if sampler.emptied() == 0 => continue,
                Mode::EmptyCollections => {
                    outcome.emptied = outcome.emptied.max(sampler.emptied());
                }
                Mode::Nulls if sampler.nulled() == 0 => continue,
                _ => {}
            }
            let back = outcome.check(roundtrip, &sample, &format!("{mode:?} #{variant}"));
            if mode == Mode::Nulls
                && let Some(back) = back
            {
                // Not a failure: one `Option` cannot tell `null` from absent (see the crate docs).
                let left_out = nulls_left_out(&sample, &back);
                outcome.nulls_left_out = outcome.nulls_left_out.max(left_out);
            }
        }
    }
    outcome
}

fn short(type_name: &str) -> String {
    type_name
        .replace(' ', "")
        .replace("::std::vec::Vec", "Vec")
        .replace(
            "::serde_json::Map<::std::string::String,::serde_json::Value>",
            "Map",
        )
        .replace("types::", "")
}

#[test]
fn every_operation_keeps_every_field_both_ways() {
    let spec: Value =
        serde_json::from_str(include_str!("../../spec/clerk-bapi.json")).expect("the spec is JSON");
    let mut bound = bound();
    let mut table = String::new();
    let mut failures = Vec::new();
    let (mut operations, mut samples, mut passed) = (0, 0, 0);
    let (mut answers, mut bodies, mut emptied) = (0, 0, 0);
    let (mut nulls_left_out, mut bodies_leaving_out_nulls) = (0, 0);
    let missing_row = |table: &mut String, id: &str, why: &str| {
        writeln!(table, "| {id} | {why} | | | |").unwrap();
    };
    writeln!(
        table,
        "| operation | answer type | answer samples | body type | body samples, collections left empty, nulls left out |"
    )
    .unwrap();
    writeln!(table, "| --- | --- | --- | --- | --- |").unwrap();
    for route in routes::ALL {
        operations += 1;
        let id = route.operation_id;
        let operation = &spec["paths"][route.path][route.method.as_str().to_lowercase()];
        let declared = declared(&spec, operation, route.success);
        let Some((method, path, bound)) = bound.remove(id) else {
            failures.push(format!("{id}: no bindings"));
            missing_row(&mut table, id, "FAIL: no bindings");
            continue;
        };
        let mut problems = Vec::new();
        if (method, path) != (route.method.as_str(), route.path) {
            problems.push(format!("sends {method} {path}"));
        }
        let answer = match (declared.response, bound.response) {
            (Some(schema), Some((type_name, roundtrip))) => {
                let outcome = check_response(&spec, schema, roundtrip);
                samples += outcome.samples;
                problems.extend(outcome.problems.iter().map(|p| format!("answer {p}")));
                answers += 1;
                (short(type_name), outcome.cell())
            }
            (None, None) => ("-".to_owned(), "no JSON body".to_owned()),
            (schema, bound) => {
                problems.push(format!(
                    "the spec's answer ({}) and the bound type ({}) disagree",
                    schema.map_or("none", |_| "JSON"),
                    bound.map_or("none", |(name, _)| name)
                ));
                ("?".to_owned(), "FAIL".to_owned())
            }
        };
        let body = match (declared.body, bound.body) {
            _ if declared.multipart && bound.multipart => {
                ("multipart".to_owned(), "tests/multipart.rs".to_owned())
            }
            (Some(schema), Some((type_name, roundtrip))) => {
                let outcome = check_body(&spec, schema, roundtrip);
                samples += outcome.samples;
                problems.extend(outcome.problems.iter().map(|p| format!("body {p}")));
                emptied += outcome.emptied;
                nulls_left_out += outcome.nulls_left_out;
                if outcome.nulls_left_out > 0 {
                    bodies_leaving_out_nulls += 1;
                }
                bodies += 1;
                (
                    short(type_name),
                    format!(
                        "{}, {} empty, {} null left out",
                        outcome.cell(),
                        outcome.emptied,
                        outcome.nulls_left_out
                    ),
                )
            }
            (None, None) if !declared.multipart && !bound.multipart => {
                ("-".to_owned(), "-".to_owned())
            }
            (schema, bound) => {
                problems.push(format!(
                    "the spec's body ({}) and the bound type ({}) disagree",
                    schema.map_or("none", |_| "JSON"),
                    bound.map_or("none", |(name, _)| name)
                ));
                ("?".to_owned(), "FAIL".to_owned())
            }
        };
        if problems.is_empty() {
            passed += 1;
        } else {
            failures.extend(problems.into_iter().map(|p| format!("{id}: {p}")));
        }
        writeln!(
            table,
            "| {id} | {} | {} | {} | {} |",
            answer.0, answer.1, body.0, body.1
        )
        .unwrap();
    }
    for id in bound.keys() {
        failures.push(format!("{id}: bound, but not an operation of the spec"));
    }
    writeln!(
        table,
        "\n{operations} operations ({answers} JSON answers, {bodies} JSON bodies), {samples} \
         samples, {emptied} optional collections left empty: {passed} operations pass, {} fail\n\
         Not a failure: {nulls_left_out} nullable body fields in {bodies_leaving_out_nulls} \
         operations cannot be sent as an explicit null (one Option: None is left out).",
        operations - passed
    )
    .unwrap();
    insta::assert_snapshot!("conformance_table", table);
    assert!(
        failures.is_empty(),
        "{} problem(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
