//! `routes`: one generated `Route` per operation of the spec, and `Route::write_path`.

use std::collections::BTreeMap;

use clerk_bapi_sys::routes;

#[test]
fn the_invitation_routes_are_the_specs() {
    let invitations = [
        &routes::CREATE_ORGANIZATION_INVITATION,
        &routes::CREATE_ORGANIZATION_INVITATION_BULK,
        &routes::LIST_ORGANIZATION_INVITATIONS,
        &routes::LIST_PENDING_ORGANIZATION_INVITATIONS,
        &routes::GET_ORGANIZATION_INVITATION,
        &routes::REVOKE_ORGANIZATION_INVITATION,
        &routes::LIST_INSTANCE_ORGANIZATION_INVITATIONS,
        // Filed under the `Users` tag, whose operations this build does not generate: routes
        // cover the whole spec.
        &routes::USERS_GET_ORGANIZATION_INVITATIONS,
    ];
    insta::assert_debug_snapshot!("invitation_routes", invitations);
}

#[test]
fn every_operation_of_the_vendored_spec_has_its_route() {
    let spec: serde_json::Value =
        serde_json::from_str(include_str!("../../spec/clerk-bapi.json")).expect("the spec is JSON");
    let mut expected = BTreeMap::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            if let Some(id) = operation.get("operationId").and_then(|id| id.as_str()) {
                expected.insert(id.to_owned(), (method.to_uppercase(), path.clone()));
            }
        }
    }
    let generated: BTreeMap<String, (String, String)> = routes::ALL
        .iter()
        .map(|route| {
            (
                route.operation_id.to_owned(),
                (route.method.to_string(), route.path.to_owned()),
            )
        })
        .collect();
    assert_eq!(generated, expected);
    for route in routes::ALL {
        // The pieces are the template's text around its parameters.
        let mut rebuilt = String::new();
        let parameters = route.path.matches('{').count();
        assert_eq!(route.pieces.len(), parameters + 1, "{}", route.operation_id);
        for (n, piece) in route.pieces.iter().enumerate() {
            rebuilt.push_str(piece);
            if n < parameters {
                let start = route.path[rebuilt.len()..].find('}').expect("closed") + 1;
                rebuilt.push_str(&route.path[rebuilt.len()..rebuilt.len() + start]);
            }
        }
        assert_eq!(rebuilt, route.path);
        let operation = &spec["paths"][route.path][route.method.as_str().to_lowercase()];
        assert!(
            operation["responses"][route.success.to_string()].is_object(),
            "{}: {} is not a documented response",
            route.operation_id,
            route.success
        );
    }
    assert_eq!(
        routes::CREATE_O_AUTH_APPLICATION.operation_id,
        "CreateOAuthApplication"
    );
}

#[test]
fn path_arguments_are_filled_in_order_and_escaped_as_one_segment() {
    let route = &routes::GET_ORGANIZATION_INVITATION;
    let mut path = String::from("/v1");
    route
        .write_path(&mut path, &["org_123", "orginv_456"])
        .expect("two arguments for two parameters");
    assert_eq!(path, "/v1/organizations/org_123/invitations/orginv_456");

    let mut path = String::new();
    route
        .write_path(&mut path, &["a/b?c#d", "é %"])
        .expect("two arguments");
    assert_eq!(
        path,
        "/organizations/a%2Fb%3Fc%23d/invitations/%C3%A9%20%25"
    );
}

#[test]
fn a_wrong_number_of_path_arguments_is_an_error_not_a_wrong_url() {
    let route = &routes::GET_ORGANIZATION_INVITATION;
    for args in [
        &["org_123"][..],
        &["org_1", "orginv_2", "extra"][..],
        &[][..],
    ] {
        let error = route
            .write_path(&mut String::new(), args)
            .expect_err("the count does not match");
        assert_eq!(error.operation_id, "GetOrganizationInvitation");
        assert!(error.to_string().contains("GetOrganizationInvitation"));
    }
    routes::LIST_INSTANCE_ORGANIZATION_INVITATIONS
        .write_path(&mut String::new(), &[])
        .expect("no parameters, no arguments");
}

#[test]
fn an_argument_that_is_no_segment_is_an_error() {
    let route = &routes::GET_ORGANIZATION_INVITATION;
    for bad in ["", ".", ".."] {
        let error = route
            .write_path(&mut String::new(), &["org_1", bad])
            .expect_err("not one segment");
        assert!(error.to_string().contains("`..`"), "{error}");
    }
    // Dots inside an id are fine: escaped or not, they are one segment.
    let mut path = String::new();
    route
        .write_path(&mut path, &["org.1", "...x"])
        .expect("ordinary segments");
    assert_eq!(path, "/organizations/org.1/invitations/...x");
}
