//! The hand-written `multipart/form-data` operations over real HTTP on loopback: what goes on the
//! wire (method, path, authorization, `Clerk-API-Version`, every part), what comes back, and that
//! they are still the spec's.
#![cfg(all(
    feature = "users",
    feature = "organizations",
    feature = "oauth-applications"
))]

mod support;

use axum::http::{HeaderMap, Method, StatusCode};
use clerk_bapi_sys::multipart::File;
use clerk_bapi_sys::{Error, Route, routes};
use serde_json::{Value, json};
use support::sample::{Mode, Sampler, differences, resolve};
use support::{Seen, client, serve, serve_json};

fn spec() -> Value {
    serde_json::from_str(include_str!("../../spec/clerk-bapi.json")).expect("the spec is JSON")
}

fn operation<'a>(spec: &'a Value, route: &Route) -> &'a Value {
    &spec["paths"][route.path][route.method.as_str().to_lowercase()]
}

/// A sample of `route`'s success answer with every property set, built from the spec.
fn answer(route: &Route) -> Value {
    let spec = spec();
    let response = &operation(&spec, route)["responses"][route.success.to_string()];
    let schema = resolve(&spec, response)
        .pointer("/content/application~1json/schema")
        .expect("a JSON answer");
    Sampler::new(&spec, Mode::Full, 0).sample(schema)
}

/// One part of a `multipart/form-data` body.
#[derive(Debug, PartialEq, Eq)]
struct Part {
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    bytes: Vec<u8>,
}

/// The parts of a `multipart/form-data` body, read as RFC 7578 lays them out.
fn parts(headers: &HeaderMap, body: &[u8]) -> Vec<Part> {
    let content_type = headers["content-type"].to_str().unwrap();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("not a multipart body: {content_type}"));
    let delimiter = format!("--{boundary}").into_bytes();
    let mut pieces = split(body, &delimiter);
    assert!(
        pieces.remove(0).is_empty(),
        "the body starts with the delimiter"
    );
    assert_eq!(
        pieces.pop().unwrap(),
        b"--\r\n",
        "the body ends with the close delimiter"
    );
    pieces
        .into_iter()
        .map(|piece| {
            let piece = piece
                .strip_prefix(b"\r\n")
                .expect("CRLF after the delimiter");
            let piece = piece
                .strip_suffix(b"\r\n")
                .expect("CRLF before the delimiter");
            let end = find(piece, b"\r\n\r\n").expect("a blank line after the part's headers");
            let headers = std::str::from_utf8(&piece[..end]).unwrap();
            let mut part = Part {
                name: String::new(),
                file_name: None,
                content_type: None,
                bytes: piece[end + 4..].to_vec(),
            };
            for line in headers.split("\r\n") {
                let (header, value) = line.split_once(": ").unwrap();
                match header.to_ascii_lowercase().as_str() {
                    "content-disposition" => {
                        for parameter in value.split("; ").skip(1) {
                            let (key, quoted) = parameter.split_once('=').unwrap();
                            let text = quoted.trim_matches('"').to_owned();
                            match key {
                                "name" => part.name = text,
                                "filename" => part.file_name = Some(text),
                                other => panic!("unexpected parameter {other}"),
                            }
                        }
                    }
                    "content-type" => part.content_type = Some(value.to_owned()),
                    other => panic!("unexpected part header {other}"),
                }
            }
            part
        })
        .collect()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn split<'a>(mut body: &'a [u8], delimiter: &[u8]) -> Vec<&'a [u8]> {
    let mut pieces = Vec::new();
    while let Some(at) = find(body, delimiter) {
        pieces.push(&body[..at]);
        body = &body[at + delimiter.len()..];
    }
    pieces.push(body);
    pieces
}

/// Bytes that are not UTF-8 and hold CR LF, as an image may.
const IMAGE: &[u8] = b"\x89PNG\r\n\x1a\n\x00\xff\r\n--not-a-boundary";

fn file_part() -> Part {
    Part {
        name: "file".into(),
        file_name: Some("logo.png".into()),
        content_type: Some("image/png".into()),
        bytes: IMAGE.to_vec(),
    }
}

/// Checks what every multipart request carries besides its parts.
fn assert_request(seen: &Seen, method: Method, path: &str) {
    assert_eq!(seen.method, method);
    assert_eq!(seen.uri.path(), path);
    assert_eq!(seen.uri.query(), None);
    assert_eq!(seen.headers["authorization"], "Bearer sk_test_secret");
    assert_eq!(
        seen.headers["clerk-api-version"],
        clerk_bapi_sys::CLERK_API_VERSION
    );
    assert!(seen.headers.get("api-version").is_none());
    assert_eq!(seen.headers["accept"], "application/json");
    assert_eq!(
        seen.headers["content-length"],
        seen.body.len().to_string().as_str()
    );
}

/// The answer came back whole: the decoded value serializes to what was served.
fn assert_kept<T: serde::Serialize>(decoded: &T, served: &Value) {
    let back = serde_json::to_value(decoded).unwrap();
    assert_eq!(differences(served, &back), Vec::<String>::new());
}

#[tokio::test]
async fn set_user_profile_image_sends_the_file_and_decodes_the_user() {
    let user = answer(&routes::SET_USER_PROFILE_IMAGE);
    let (base_url, seen) = serve_json(StatusCode::OK, &[], &user).await;

    let response = client(&base_url)
        .set_user_profile_image()
        .user_id("user_1/2")
        .file(File::new(IMAGE, "logo.png", "image/png"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_kept(&response.into_inner(), &user);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    // The id stays one segment.
    assert_request(&seen[0], Method::POST, "/v1/users/user_1%2F2/profile_image");
    assert_eq!(parts(&seen[0].headers, &seen[0].body), [file_part()]);
}

#[tokio::test]
async fn upload_organization_logo_sends_the_uploader_and_the_file() {
    let organization = answer(&routes::UPLOAD_ORGANIZATION_LOGO);
    let (base_url, seen) = serve_json(StatusCode::OK, &[], &organization).await;

    let response = client(&base_url)
        .upload_organization_logo()
        .organization_id("org_1")
        .uploader_user_id("user_9")
        .file(File::new(IMAGE, "logo.png", "image/png"))
        .send()
        .await
        .unwrap();

    assert_kept(&response.into_inner(), &organization);
    let seen = seen.lock().unwrap();
    assert_request(&seen[0], Method::PUT, "/v1/organizations/org_1/logo");
    let uploader = Part {
        name: "uploader_user_id".into(),
        file_name: None,
        content_type: None,
        bytes: b"user_9".to_vec(),
    };
    assert_eq!(
        parts(&seen[0].headers, &seen[0].body),
        [uploader, file_part()]
    );
}

#[tokio::test]
async fn upload_oauth_application_logo_sends_only_the_file_when_no_uploader_is_set() {
    let application = answer(&routes::UPLOAD_O_AUTH_APPLICATION_LOGO);
    let (base_url, seen) = serve_json(StatusCode::OK, &[], &application).await;

    let response = client(&base_url)
        .upload_o_auth_application_logo()
        .oauth_application_id("oa_1")
        .file(File::new(IMAGE, "logo.png", "image/png"))
        .send()
        .await
        .unwrap();

    assert_kept(&response.into_inner(), &application);
    let seen = seen.lock().unwrap();
    assert_request(&seen[0], Method::PUT, "/v1/oauth_applications/oa_1/logo");
    assert_eq!(parts(&seen[0].headers, &seen[0].body), [file_part()]);
}

#[tokio::test]
async fn a_missing_argument_or_a_bad_content_type_is_refused_before_sending() {
    let (base_url, seen) = serve_json(StatusCode::OK, &[], &json!({})).await;
    let client = client(&base_url);
    let refusals = [
        client
            .upload_organization_logo()
            .organization_id("org_1")
            .send()
            .await
            .unwrap_err(),
        client
            .upload_o_auth_application_logo()
            .file(File::new(IMAGE, "logo.png", "image/png"))
            .send()
            .await
            .unwrap_err(),
        client
            .set_user_profile_image()
            .user_id("user_1")
            .file(File::new(IMAGE, "logo.png", "not a type"))
            .send()
            .await
            .unwrap_err(),
        client
            .set_user_profile_image()
            .user_id("..")
            .send()
            .await
            .unwrap_err(),
    ];
    let reasons: Vec<String> = refusals
        .iter()
        .map(|error| match error {
            Error::InvalidRequest(reason) => reason.clone(),
            other => panic!("expected InvalidRequest, got {other:?}"),
        })
        .collect();
    assert_eq!(reasons[0], "file was not initialized");
    assert_eq!(reasons[1], "oauth_application_id was not initialized");
    assert!(reasons[2].contains("not a type"), "{}", reasons[2]);
    assert!(reasons[3].contains("SetUserProfileImage"), "{}", reasons[3]);
    assert!(seen.lock().unwrap().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn an_error_status_comes_back_whole() {
    let envelope = json!({"errors": [{"message": "too large", "long_message": "at most 10 MB",
        "code": "request_body_too_large"}], "clerk_trace_id": "trace_1"});
    let (base_url, _) = serve_json(StatusCode::PAYLOAD_TOO_LARGE, &[], &envelope).await;

    let error = client(&base_url)
        .upload_organization_logo()
        .organization_id("org_1")
        .file(File::new(IMAGE, "logo.png", "image/png"))
        .send()
        .await
        .unwrap_err();

    let Error::UnexpectedResponse(response) = error else {
        panic!("expected the response itself, got {error:?}");
    };
    assert_eq!(response.status(), 413);
    let errors: clerk_bapi_sys::types::ClerkErrors = response.json().await.unwrap();
    assert_eq!(errors.errors[0].code, "request_body_too_large");
}

#[tokio::test]
async fn an_answer_past_the_cap_is_not_read() {
    let body = vec![b' '; clerk_bapi_sys::MAX_RESPONSE_BODY + 1];
    let (base_url, _) = serve(StatusCode::OK, &[], body).await;

    let error = client(&base_url)
        .set_user_profile_image()
        .user_id("user_1")
        .send()
        .await
        .unwrap_err();

    let Error::ResponseBodyError(error) = error else {
        panic!("expected a body error, got {error:?}");
    };
    let mut source: Option<&dyn std::error::Error> = Some(&error);
    let mut capped = false;
    while let Some(error) = source {
        capped |= error.is::<clerk_bapi_sys::BodyTooLarge>();
        source = error.source();
    }
    assert!(capped, "no BodyTooLarge in {error:?}");
}

/// The builders send what the spec declares: the same operations, methods, paths, parts and
/// required parts, and decode the answer type the spec names. A new Clerk spec that changes any
/// of it fails here, so `src/multipart.rs` is updated with it.
#[test]
fn the_hand_written_operations_are_the_specs_multipart_operations() {
    let spec = spec();
    let mut found = Vec::new();
    for route in routes::ALL {
        let operation = operation(&spec, route);
        let Some(form) = operation
            .get("requestBody")
            .map(|body| resolve(&spec, body))
            .and_then(|body| body.pointer("/content/multipart~1form-data/schema"))
        else {
            continue;
        };
        let mut properties: Vec<&str> = form["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        properties.sort_unstable();
        let required: Vec<&str> = form
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let answer = operation["responses"][route.success.to_string()]["$ref"]
            .as_str()
            .unwrap();
        found.push((route.operation_id, properties, required, answer));
    }
    assert_eq!(
        found,
        [
            (
                "UploadOAuthApplicationLogo",
                vec!["file", "uploader_user_id"],
                vec!["file"],
                "#/components/responses/OAuthApplication"
            ),
            (
                "UploadOrganizationLogo",
                vec!["file", "uploader_user_id"],
                vec!["file"],
                "#/components/responses/OrganizationWithLogo"
            ),
            (
                "SetUserProfileImage",
                vec!["file"],
                vec![],
                "#/components/responses/User"
            ),
        ]
    );
    for (route, method, path) in [
        (
            &routes::SET_USER_PROFILE_IMAGE,
            "POST",
            "/users/{user_id}/profile_image",
        ),
        (
            &routes::UPLOAD_ORGANIZATION_LOGO,
            "PUT",
            "/organizations/{organization_id}/logo",
        ),
        (
            &routes::UPLOAD_O_AUTH_APPLICATION_LOGO,
            "PUT",
            "/oauth_applications/{oauth_application_id}/logo",
        ),
    ] {
        assert_eq!((route.method.as_str(), route.path), (method, path));
    }
}
