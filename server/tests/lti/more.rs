//! The framed case, deep linking, the roster, and the platforms API.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::{json, Value};
use tower::ServiceExt;

use super::common::TestApp;
use super::lti_platform::{lis_role, member, CLAIM, CLIENT_ID, DEPLOYMENT};
use super::{
    gallery_of, grant_of, launch_request, login, login_from, login_request, post_launch,
    session_of, start, tables, texts,
};

/// The value of the hidden input `name` in a page.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + marker.len();
    page[start..].split('"').next().unwrap().to_string()
}

async fn post_form(
    app: &TestApp,
    path: &str,
    pairs: &[(&str, &str)],
    site: &str,
) -> super::common::Reply {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let request = Request::post(path)
        .header(header::HOST, "localhost")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", site)
        .body(Body::from(body))
        .unwrap();
    app.send(request).await
}

pub async fn framed_launches_continue_once_in_a_new_window(app: TestApp) {
    let platform = start(&app).await;
    // In another site's iframe, with the state cookie kept: no session here, a button instead.
    let login_one = login(&app, &platform).await;
    let token = platform.sign(&platform.claims(&login_one.nonce, "ines", "Instructor"));
    let framed = post_launch(
        &app,
        &token,
        &login_one.state,
        Some(&login_one.cookie),
        "iframe",
    )
    .await;
    assert_eq!(framed.status, StatusCode::OK, "{}", framed.text);
    assert!(framed.text.contains("Open in a new window"));
    assert!(framed.text.contains("target=\"_blank\""));
    assert!(framed
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .all(|c| !c.to_str().unwrap().starts_with("mr_session=")));
    let ticket = hidden(&framed.text, "ticket");
    // Only from the tool's own page: the cross-site guard still holds here.
    let forged = post_form(&app, "/lti/continue", &[("ticket", &ticket)], "cross-site").await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let opened = post_form(&app, "/lti/continue", &[("ticket", &ticket)], "same-origin").await;
    let gallery = gallery_of(&opened);
    let cookie = session_of(&opened);
    let cookie_line = opened
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("mr_session="))
        .unwrap();
    assert!(
        cookie_line.contains("SameSite=Lax"),
        "the session cookie is not loosened: {cookie_line}"
    );
    let me = app.get("/api/me", Some(&cookie)).await;
    assert_eq!(me.json()["name"], "Person ines");
    let again = post_form(&app, "/lti/continue", &[("ticket", &ticket)], "same-origin").await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "a ticket works once");
    assert!(again.text.contains("expired"));

    // A browser that refused the state cookie gets the same offer.
    let login_two = login(&app, &platform).await;
    let token = platform.sign(&platform.claims(&login_two.nonce, "leo", "Learner"));
    let refused_cookie = post_launch(&app, &token, &login_two.state, None, "document").await;
    assert_eq!(refused_cookie.status, StatusCode::OK);
    assert!(refused_cookie.text.contains("refused this tool's cookies"));
    let opened = post_form(
        &app,
        "/lti/continue",
        &[("ticket", &hidden(&refused_cookie.text, "ticket"))],
        "same-origin",
    )
    .await;
    assert_eq!(gallery_of(&opened), gallery);
    assert_eq!(
        grant_of(&app, gallery, "leo").await.as_deref(),
        Some("member")
    );

    // Its state cookie is one of its own (see the test of the cookies below).
    assert!(login_one.cookie.starts_with("mr_lti_state_"));
}

/// The `Set-Cookie` lines of a reply for state cookies.
fn state_cookies_set(headers: &axum::http::HeaderMap) -> Vec<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .filter(|c| c.starts_with("mr_lti_state"))
        .collect()
}

fn attributes(line: &str) -> Vec<&str> {
    line.split(';').skip(1).map(str::trim).collect()
}

pub async fn state_cookies_are_one_per_login_http_only_short_lived_and_cross_site_only_over_https(
    app: TestApp,
) {
    let platform = start(&app).await;
    // Two logins at once (two tabs): a cookie each, named after its own state.
    let one = login(&app, &platform).await;
    let two = login(&app, &platform).await;
    assert_ne!(one.cookie_name(), two.cookie_name());
    for login in [&one, &two] {
        let name = login.cookie_name();
        assert!(
            name.starts_with("mr_lti_state_") && name.len() == "mr_lti_state_".len() + 16,
            "{name}"
        );
        assert_eq!(login.cookie, format!("{name}={}", login.state));
        // Over plain HTTP (this app) browsers drop `SameSite=None` without `Secure`: Lax.
        assert_eq!(
            attributes(&login.set_cookie),
            ["Path=/lti", "HttpOnly", "SameSite=Lax", "Max-Age=600"],
            "{}",
            login.set_cookie
        );
    }
    // The browser sends both to each launch; each finds its own and clears only that one.
    let both = format!("{}; {}", one.cookie, two.cookie);
    for (login, sub) in [(&two, "ines"), (&one, "leo")] {
        let token = platform.sign(&platform.claims(&login.nonce, sub, "Learner"));
        let launched = post_launch(&app, &token, &login.state, Some(&both), "document").await;
        gallery_of(&launched);
        session_of(&launched);
        let cleared = state_cookies_set(&launched.headers);
        assert_eq!(
            cleared,
            [format!(
                "{}=; Path=/lti; HttpOnly; SameSite=Lax; Max-Age=0",
                login.cookie_name()
            )]
        );
    }

    // Over HTTPS the cookie must cross from the LMS's site: `SameSite=None; Secure`.
    let secure = server::router(server::AppState {
        cookies: app::session::CookiePolicy { secure: true },
        ..app.state.clone()
    });
    let send = |request: Request<Body>| async {
        let response = secure.clone().oneshot(request).await.unwrap();
        (response.status(), response.headers().clone())
    };
    let (status, headers) = send(login_request(&platform)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (login, _) = login_from(&headers, &platform);
    assert_eq!(
        attributes(&login.set_cookie),
        [
            "Path=/lti",
            "HttpOnly",
            "SameSite=None",
            "Secure",
            "Max-Age=600"
        ],
        "{}",
        login.set_cookie
    );
    let token = platform.sign(&platform.claims(&login.nonce, "ines", "Instructor"));
    let (status, headers) = send(launch_request(
        &token,
        &login.state,
        Some(&login.cookie),
        "document",
    ))
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        state_cookies_set(&headers),
        [format!(
            "{}=; Path=/lti; HttpOnly; SameSite=None; Secure; Max-Age=0",
            login.cookie_name()
        )]
    );
}

pub async fn deep_linking_returns_a_signed_resource_link(app: TestApp) {
    let platform = start(&app).await;
    let first = login(&app, &platform).await;
    let mut claims = platform.claims(&first.nonce, "ines", "Instructor");
    claims[format!("{CLAIM}message_type")] = json!("LtiDeepLinkingRequest");
    claims
        .as_object_mut()
        .unwrap()
        .remove(&format!("{CLAIM}resource_link"));
    claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = json!({
        "deep_link_return_url": format!("{}/deep-link-return", platform.base),
        "accept_types": ["ltiResourceLink"],
        "data": "opaque-123",
    });
    let choice = post_launch(
        &app,
        &platform.sign(&claims),
        &first.state,
        Some(&first.cookie),
        "iframe",
    )
    .await;
    assert_eq!(choice.status, StatusCode::OK, "{}", choice.text);
    assert!(choice.text.contains("Course media gallery") && choice.text.contains("Meeting room"));
    let ticket = hidden(&choice.text, "ticket");
    let before = tables(&app).await;
    let returned = post_form(
        &app,
        "/lti/deep-link",
        &[("ticket", &ticket), ("choice", "room")],
        "same-origin",
    )
    .await;
    assert_eq!(returned.status, StatusCode::OK, "{}", returned.text);
    assert!(returned
        .text
        .contains(&format!("action=\"{}/deep-link-return\"", platform.base)));
    assert_eq!(tables(&app).await, before);
    let jwt = hidden(&returned.text, "JWT");

    let published: JwkSet = serde_json::from_str(&app.get("/lti/jwks", None).await.text).unwrap();
    let kid = jsonwebtoken::decode_header(&jwt)
        .unwrap()
        .kid
        .expect("a kid");
    let key = DecodingKey::from_jwk(published.find(&kid).expect("published")).unwrap();
    let mut validation = Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[platform.issuer.as_str()]);
    validation.set_issuer(&[CLIENT_ID]);
    let claims = jsonwebtoken::decode::<Value>(&jwt, &key, &validation)
        .expect("verifies")
        .claims;
    assert_eq!(
        claims[format!("{CLAIM}message_type")],
        "LtiDeepLinkingResponse"
    );
    assert_eq!(claims[format!("{CLAIM}version")], "1.3.0");
    assert_eq!(claims[format!("{CLAIM}deployment_id")], DEPLOYMENT);
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"],
        "opaque-123"
    );
    let items = claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
        .as_array()
        .unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["type"], "ltiResourceLink");
    assert_eq!(items[0]["url"], "http://localhost/lti/launch");
    assert_eq!(items[0]["custom"]["target"], "room");
    assert_eq!(items[0]["title"], "Marine Biology meeting room");

    let reused = post_form(
        &app,
        "/lti/deep-link",
        &[("ticket", &ticket), ("choice", "gallery")],
        "same-origin",
    )
    .await;
    assert_eq!(
        reused.status,
        StatusCode::BAD_REQUEST,
        "a choice is made once"
    );

    // An LMS that asks for other content types (files, say) is told the tool adds links only.
    let files = login(&app, &platform).await;
    let mut claims = platform.claims(&files.nonce, "ines", "Instructor");
    claims[format!("{CLAIM}message_type")] = json!("LtiDeepLinkingRequest");
    claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = json!({
        "deep_link_return_url": format!("{}/deep-link-return", platform.base),
        "accept_types": ["file", "html"],
        "accept_multiple": true,
    });
    let before = tables(&app).await;
    let refused = post_launch(
        &app,
        &platform.sign(&claims),
        &files.state,
        Some(&files.cookie),
        "iframe",
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.text);
    assert!(
        refused
            .text
            .contains("asks for file, html here; this tool only adds LTI resource links"),
        "{}",
        refused.text
    );
    assert!(!refused.text.contains("ticket"));
    assert_eq!(tables(&app).await, before);

    // Learners cannot add the tool to a course.
    let login = login(&app, &platform).await;
    let mut claims = platform.claims(&login.nonce, "leo", "Learner");
    claims[format!("{CLAIM}message_type")] = json!("LtiDeepLinkingRequest");
    claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] =
        json!({"deep_link_return_url": "https://x.example/r"});
    let before = tables(&app).await;
    let refused = post_launch(
        &app,
        &platform.sign(&claims),
        &login.state,
        Some(&login.cookie),
        "iframe",
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(tables(&app).await, before);
}

pub async fn the_roster_is_synced_over_pages_and_follows_removals(app: TestApp) {
    let platform = start(&app).await;
    platform.trust_tool_keys(&app.get("/lti/jwks", None).await.json());
    let roster: Vec<Value> = [
        ("ines", "Instructor"),
        ("tara", "Instructor#TeachingAssistant"),
        ("s1", "Learner"),
        ("s2", "Learner"),
        ("s3", "Learner"),
        ("s4", "Learner"),
        ("s5", "Learner"),
    ]
    .iter()
    .map(|(sub, role)| member(sub, role))
    .collect();
    platform.set_roster(roster.clone());

    let first = login(&app, &platform).await;
    let mut claims = platform.claims(&first.nonce, "ines", "Instructor");
    claims["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"] = json!({
        "context_memberships_url": platform.memberships_url(), "service_versions": ["2.0"],
    });
    let launched = post_launch(
        &app,
        &platform.sign(&claims),
        &first.state,
        Some(&first.cookie),
        "document",
    )
    .await;
    let gallery = gallery_of(&launched);
    assert_eq!(platform.tokens_issued(), 1);
    assert_eq!(platform.pages_served(), 3, "7 members, 3 per page");
    for (sub, role) in [
        ("ines", "manager"),
        ("tara", "manager"),
        ("s1", "member"),
        ("s5", "member"),
    ] {
        assert_eq!(
            grant_of(&app, gallery, sub).await.as_deref(),
            Some(role),
            "{sub}"
        );
    }
    // Students who never launched can be picked as moderators by the instructor.
    let found = app
        .get("/api/users?q=Person%20s3", Some(&session_of(&launched)))
        .await;
    assert_eq!(found.json()[0]["name"], "Person s3", "{}", found.text);

    // An LMS administrator launches without being enrolled: a manager by their role, and not
    // someone who "left" the roster.
    let admin = login(&app, &platform).await;
    let claims = platform.claims(&admin.nonce, "adam", "institution/person#Administrator");
    post_launch(
        &app,
        &platform.sign(&claims),
        &admin.state,
        Some(&admin.cookie),
        "document",
    )
    .await;
    assert_eq!(
        grant_of(&app, gallery, "adam").await.as_deref(),
        Some("manager")
    );

    // s2 leaves the course; the next sync takes the grant away, nobody else's.
    platform.set_roster(
        roster
            .into_iter()
            .filter(|m| m["user_id"] != "s2")
            .collect(),
    );
    let http = reqwest::Client::new();
    let sync = server::lti::roster::sync(&app.state.store, &http, gallery)
        .await
        .unwrap();
    assert_eq!(sync.removed, 1);
    assert_eq!(sync.granted, 0);
    assert_eq!(grant_of(&app, gallery, "s2").await, None);
    assert_eq!(
        grant_of(&app, gallery, "s3").await.as_deref(),
        Some("member")
    );
    assert_eq!(
        grant_of(&app, gallery, "adam").await.as_deref(),
        Some("manager")
    );
    assert_eq!(platform.pages_served(), 5, "6 members, 2 pages");
}

/// The email and display name a user has, by their LMS subject.
async fn identity_of(app: &TestApp, sub: &str) -> String {
    let sql = format!(
        "SELECT COALESCE(i.email, '') || ' / ' || u.display_name FROM lti_identities i \
         JOIN users u ON u.id = i.user_id WHERE i.subject = '{sub}'"
    );
    texts(app, &sql).await.pop().unwrap_or_default()
}

pub async fn roster_services_are_reached_over_https_or_loopback_and_on_one_origin_only(
    app: TestApp,
) {
    let platform = start(&app).await;
    platform.trust_tool_keys(&app.get("/lti/jwks", None).await.json());
    let roster: Vec<Value> = [
        ("ines", "Instructor"),
        ("s1", "Learner"),
        ("s2", "Learner"),
        ("s3", "Learner"),
        ("s4", "Learner"),
    ]
    .iter()
    .map(|(sub, role)| member(sub, role))
    .collect();
    platform.set_roster(roster.clone());
    let launch_with = |url: String| {
        let platform = &platform;
        let app = &app;
        async move {
            let login = login(app, platform).await;
            let mut claims = platform.claims(&login.nonce, "ines", "Instructor");
            claims["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"] =
                json!({"context_memberships_url": url, "service_versions": ["2.0"]});
            let token = platform.sign(&claims);
            gallery_of(
                &post_launch(app, &token, &login.state, Some(&login.cookie), "document").await,
            )
        }
    };
    let http = reqwest::Client::new();
    let sync = |gallery| server::lti::roster::sync(&app.state.store, &http, gallery);

    // A roster service named over plain HTTP, not on this machine: the launch works, and no
    // access token is even asked for.
    let gallery = launch_with("http://lms.example/memberships".into()).await;
    assert!(
        matches!(
            sync(gallery).await,
            Err(server::lti::roster::RosterError::Insecure(_))
        ),
        "plain HTTP elsewhere is refused"
    );
    assert_eq!(platform.tokens_issued(), 0);
    assert_eq!(platform.pages_served(), 0);
    assert_eq!(grant_of(&app, gallery, "s1").await, None);

    // On loopback (this test platform) it is reached, over its pages.
    assert_eq!(launch_with(platform.memberships_url()).await, gallery);
    let synced = sync(gallery).await.unwrap();
    assert_eq!(synced.granted, 4, "{synced:?}");
    assert_eq!(platform.pages_served(), 2, "5 members, 3 per page");
    assert_eq!(
        identity_of(&app, "s1").await,
        "s1@school.example / Person s1"
    );

    // A roster that leaves out someone's name and email keeps the ones known.
    let mut private = roster.clone();
    private[1] = json!({"user_id": "s1", "status": "Active", "roles": [lis_role("Learner")]});
    private[2]["email"] = json!(null);
    platform.set_roster(private);
    sync(gallery).await.unwrap();
    assert_eq!(
        identity_of(&app, "s1").await,
        "s1@school.example / Person s1"
    );
    assert_eq!(
        identity_of(&app, "s2").await,
        "s2@school.example / Person s2"
    );

    // A next page on another origin: the bearer token does not go there, and the sync fails
    // rather than taking the first page for the whole course (s3 and s4 would lose access).
    platform.set_roster(roster);
    platform.link_next_page_elsewhere();
    let before = tables(&app).await;
    assert!(
        matches!(
            sync(gallery).await,
            Err(server::lti::roster::RosterError::ElsewhereNext(_))
        ),
        "a next page elsewhere is refused"
    );
    assert_eq!(tables(&app).await, before);
    assert_eq!(
        grant_of(&app, gallery, "s4").await.as_deref(),
        Some("member")
    );
}
