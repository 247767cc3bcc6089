//! Each check of `checks`, with claims that differ from valid ones in exactly one thing.

use super::*;
use domain::Lms;
use serde_json::json;

const NOW: i64 = 1_800_000_000;

fn platform() -> Platform {
    Platform {
        id: 7,
        lms: Lms::Moodle,
        issuer: "https://moodle.example.edu".into(),
        client_id: "tool-client".into(),
        deployment_ids: vec!["d1".into()],
        auth_url: "https://moodle.example.edu/auth".into(),
        jwks_url: "https://moodle.example.edu/certs".into(),
        token_url: "https://moodle.example.edu/token".into(),
    }
}

fn valid() -> Value {
    json!({
        "iss": "https://moodle.example.edu",
        "aud": "tool-client",
        "sub": "u-1",
        "exp": NOW + 300,
        "iat": NOW,
        "nonce": "n-1",
        "name": "Ines Instructor",
        "email": "ines@example.edu",
        format!("{CLAIM}deployment_id"): "d1",
        format!("{CLAIM}version"): "1.3.0",
        format!("{CLAIM}message_type"): "LtiResourceLinkRequest",
        format!("{CLAIM}roles"): ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
        format!("{CLAIM}resource_link"): {"id": "rl-1"},
        format!("{CLAIM}context"): {"id": "c-1", "title": "Biology 101"},
    })
}

fn check(claims: &Value) -> Result<Launch, LtiError> {
    check_with(claims, false, NOW)
}

fn check_with(claims: &Value, nonce_used: bool, now: i64) -> Result<Launch, LtiError> {
    let platform = platform();
    check_claims(
        claims,
        &Expected {
            platform: &platform,
            issued_nonce: "n-1",
            nonce_used,
            now,
        },
    )
}

fn with(key: &str, value: Value) -> Value {
    let mut claims = valid();
    claims[key] = value;
    claims
}

fn without(key: &str) -> Value {
    let mut claims = valid();
    claims.as_object_mut().unwrap().remove(key);
    claims
}

fn lti_key(name: &str) -> String {
    format!("{CLAIM}{name}")
}

#[test]
fn a_valid_launch_is_accepted_with_its_course_and_role() {
    let launch = check(&valid()).unwrap();
    assert_eq!(launch.role, ContainerRole::Manager);
    assert_eq!(launch.context_title, "Biology 101");
    assert_eq!(
        launch.message,
        Message::ResourceLink {
            target: Target::Gallery
        }
    );
    let room = with(&lti_key("custom"), json!({"target": "room"}));
    assert_eq!(
        check(&room).unwrap().message,
        Message::ResourceLink {
            target: Target::Room
        }
    );
}

#[test]
fn only_rs256_with_a_kid_passes_the_header() {
    assert_eq!(check_header(Some("RS256"), Some("k1")), Ok("k1".into()));
    assert_eq!(
        check_header(Some("none"), Some("k1")),
        Err(LtiError::Algorithm("none".into()))
    );
    assert_eq!(
        check_header(Some("HS256"), Some("k1")),
        Err(LtiError::Algorithm("HS256".into()))
    );
    assert_eq!(check_header(None, Some("k1")), Err(LtiError::Malformed));
    assert!(matches!(
        check_header(Some("RS256"), None),
        Err(LtiError::UnknownKid(_))
    ));
}

#[test]
fn issuer_and_audience_must_be_the_registration() {
    assert_eq!(
        check(&with("iss", json!("https://evil.example"))),
        Err(LtiError::WrongIssuer("https://evil.example".into()))
    );
    assert_eq!(
        check(&with("aud", json!("other-tool"))),
        Err(LtiError::WrongAudience)
    );
    let mut array_with_azp = with("aud", json!(["other", "tool-client"]));
    array_with_azp["azp"] = json!("tool-client");
    assert!(check(&array_with_azp).is_ok());
    assert_eq!(
        check(&with("aud", json!(["other", "tool-client"]))),
        Err(LtiError::WrongAudience),
        "several audiences need azp"
    );
    let mut wrong_azp = with("aud", json!(["tool-client"]));
    wrong_azp["azp"] = json!("other");
    assert_eq!(check(&wrong_azp), Err(LtiError::WrongAudience));
}

#[test]
fn time_is_checked_with_a_small_skew() {
    assert!(check_with(&valid(), false, NOW + 300 + CLOCK_SKEW_SECS).is_ok());
    assert_eq!(
        check_with(&valid(), false, NOW + 301 + CLOCK_SKEW_SECS),
        Err(LtiError::Expired)
    );
    assert!(check(&with("iat", json!(NOW + CLOCK_SKEW_SECS))).is_ok());
    assert_eq!(
        check(&with("iat", json!(NOW + CLOCK_SKEW_SECS + 1))),
        Err(LtiError::NotYetValid)
    );
    assert_eq!(
        check(&with("nbf", json!(NOW + 600))),
        Err(LtiError::NotYetValid)
    );
    assert_eq!(
        check(&without("exp")),
        Err(LtiError::MissingClaim("exp or iat"))
    );
}

#[test]
fn nonces_must_be_issued_and_fresh() {
    assert_eq!(
        check(&with("nonce", json!("n-2"))),
        Err(LtiError::NonceNotIssued)
    );
    assert_eq!(check(&without("nonce")), Err(LtiError::NonceNotIssued));
    assert_eq!(
        check_with(&valid(), true, NOW),
        Err(LtiError::NonceReplayed)
    );
}

#[test]
fn deployment_version_roles_and_message_type_are_required() {
    assert_eq!(
        check(&with(&lti_key("deployment_id"), json!("d9"))),
        Err(LtiError::UnknownDeployment("d9".into()))
    );
    assert_eq!(
        check(&without(&lti_key("version"))),
        Err(LtiError::MissingVersion)
    );
    assert_eq!(
        check(&with(&lti_key("version"), json!("1.1"))),
        Err(LtiError::WrongVersion("1.1".into()))
    );
    assert_eq!(
        check(&without(&lti_key("roles"))),
        Err(LtiError::MissingRoles)
    );
    assert_eq!(
        check(&with(
            &lti_key("message_type"),
            json!("LtiSubmissionReview")
        )),
        Err(LtiError::UnknownMessageType("LtiSubmissionReview".into()))
    );
    assert_eq!(
        check(&without(&lti_key("context"))),
        Err(LtiError::MissingClaim("context"))
    );
    assert_eq!(
        check(&with(
            &lti_key("roles"),
            json!(["http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"])
        )),
        Err(LtiError::NoCourseRole)
    );
}

#[test]
fn deep_linking_needs_its_settings_and_an_instructor() {
    let mut request = with(&lti_key("message_type"), json!("LtiDeepLinkingRequest"));
    assert_eq!(
        check(&request),
        Err(LtiError::MissingClaim("deep_linking_settings"))
    );
    request["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = json!({"deep_link_return_url": "https://moodle.example.edu/dl", "data": "xyz",
               "accept_types": ["link", "ltiResourceLink"], "accept_multiple": false});
    assert_eq!(
        check(&request).unwrap().message,
        Message::DeepLinking {
            return_url: "https://moodle.example.edu/dl".into(),
            data: Some("xyz".into())
        }
    );
    // Only what the LMS accepts back: a resource link, or a refusal naming what it wanted.
    let settings = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings";
    let mut files_only = request.clone();
    files_only[settings]["accept_types"] = json!(["file", "html"]);
    assert_eq!(
        check(&files_only),
        Err(LtiError::LinkNotAccepted("file, html".into()))
    );
    let mut unsaid = request.clone();
    unsaid[settings]
        .as_object_mut()
        .unwrap()
        .remove("accept_types");
    assert_eq!(
        check(&unsaid),
        Err(LtiError::LinkNotAccepted("no content type".into()))
    );
    let mut scripted = request.clone();
    scripted["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] =
        json!({"deep_link_return_url": "javascript:alert(1)"});
    assert_eq!(
        check(&scripted),
        Err(LtiError::MissingClaim("deep_link_return_url"))
    );
    request[lti_key("roles")] =
        json!(["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]);
    assert_eq!(check(&request), Err(LtiError::DeepLinkingNotAllowed));
}

#[test]
fn roles_map_to_manager_or_member() {
    let role =
        |roles: &[&str]| course_role(&roles.iter().map(|r| r.to_string()).collect::<Vec<_>>());
    let lis = "http://purl.imsglobal.org/vocab/lis/v2/";
    assert_eq!(
        role(&[&format!("{lis}membership#Learner")]),
        Some(ContainerRole::Member)
    );
    for manager in [
        format!("{lis}membership#Instructor"),
        format!("{lis}membership/Instructor#TeachingAssistant"),
        format!("{lis}membership#Administrator"),
        format!("{lis}membership#ContentDeveloper"),
        "Instructor".to_string(),
    ] {
        assert_eq!(role(&[&manager]), Some(ContainerRole::Manager), "{manager}");
    }
    assert_eq!(
        role(&[
            &format!("{lis}membership#Learner"),
            &format!("{lis}membership#Instructor")
        ]),
        Some(ContainerRole::Manager),
        "the higher role wins"
    );
    assert_eq!(role(&[&format!("{lis}membership#Mentor")]), None);
    assert_eq!(role(&[]), None);
    // Teaching another course (an institution role) makes no one a manager of this one.
    assert_eq!(
        role(&[
            &format!("{lis}institution/person#Instructor"),
            &format!("{lis}membership#Learner")
        ]),
        Some(ContainerRole::Member)
    );
    assert_eq!(
        role(&[&format!("{lis}institution/person#Instructor")]),
        None
    );
    for admin in [
        format!("{lis}institution/person#Administrator"),
        format!("{lis}system/person#Administrator"),
        format!("{lis}system/person#SysAdmin"),
    ] {
        assert_eq!(role(&[&admin]), Some(ContainerRole::Manager), "{admin}");
    }
}

#[test]
fn roster_services_are_reached_over_https_or_on_this_machine_only() {
    let allowed = |url: &str| service_url_allowed(&url::Url::parse(url).unwrap());
    for url in [
        "https://moodle.example.edu/memberships",
        "https://canvas.example:8443/api/lti/courses/1/names_and_roles",
        "http://127.0.0.1:8080/memberships",
        "http://127.3.2.1/memberships",
        "http://[::1]:9000/memberships",
        "http://localhost/memberships",
        "http://LOCALHOST:81/memberships",
    ] {
        assert!(allowed(url), "{url}");
    }
    for url in [
        "http://moodle.example.edu/memberships",
        "http://localhost.evil.example/memberships",
        "http://127.0.0.1.evil.example/memberships",
        "http://10.0.0.1/memberships",
        "http://[::2]/memberships",
        "ftp://moodle.example.edu/memberships",
        "file:///etc/passwd",
        "javascript:alert(1)",
    ] {
        assert!(!allowed(url), "{url}");
    }
}
