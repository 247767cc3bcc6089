//! Every refusal of a launch, each with a token that differs from a valid one in exactly that
//! one thing: the page names the fault and the users, containers and grants stay as they were.

use axum::http::header;
use serde_json::{json, Value};

use super::common::TestApp;
use super::lti_platform::{TestPlatform, CLAIM, CLIENT_ID};
use super::{gallery_of, grant_of, login, post_launch, register, start, tables, texts};

/// Posts `token` for a fresh login and checks it is refused with `status`, saying `reason`,
/// with the users, containers and grants as they were.
async fn assert_refused(
    app: &TestApp,
    token: String,
    state: &str,
    cookie: &str,
    status: u16,
    reason: &str,
) {
    let before = tables(app).await;
    let reply = post_launch(app, &token, state, Some(cookie), "document").await;
    assert_eq!(reply.status.as_u16(), status, "{reason}: {}", reply.text);
    assert!(
        reply.text.contains(reason),
        "expected {reason:?} in {}",
        reply.text
    );
    assert!(reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .all(|c| !c.to_str().unwrap().starts_with("mr_session=")));
    assert_eq!(tables(app).await, before, "{reason}: nothing may change");
}

pub async fn every_refusal_names_the_fault_and_changes_nothing(app: TestApp) {
    let platform = start(&app).await;
    type Alter = fn(&TestPlatform, Value) -> String;
    let cases: Vec<(&str, u16, &str, Alter)> = vec![
        ("bad signature", 401, "signature does not verify", |p, c| {
            p.sign_with_strangers_key(&c)
        }),
        (
            "unknown kid",
            401,
            "key the LMS does not publish",
            |p, c| p.sign_with_kid(&c, "no-such-key"),
        ),
        ("HS256", 401, "only RS256 is accepted", |p, c| {
            p.sign_hs256(&c)
        }),
        ("alg none", 401, "signed with none", |p, c| p.unsigned(&c)),
        ("wrong iss", 401, "not the registered LMS", |p, mut c| {
            c["iss"] = json!("https://evil.example");
            p.sign(&c)
        }),
        ("wrong aud", 401, "not meant for this tool", |p, mut c| {
            c["aud"] = json!("another-tool");
            p.sign(&c)
        }),
        ("expired", 401, "has expired", |p, mut c| {
            let t = c["iat"].as_i64().unwrap();
            c["exp"] = json!(t - 3600);
            c["iat"] = json!(t - 4000);
            p.sign(&c)
        }),
        ("not yet valid", 401, "not valid yet", |p, mut c| {
            let t = c["iat"].as_i64().unwrap();
            c["iat"] = json!(t + 3600);
            c["exp"] = json!(t + 4000);
            p.sign(&c)
        }),
        (
            "nonce never issued",
            401,
            "nonce was not issued",
            |p, mut c| {
                c["nonce"] = json!("made-up-nonce");
                p.sign(&c)
            },
        ),
        (
            "unregistered deployment",
            403,
            "is not registered for this LMS",
            |p, mut c| {
                c[format!("{CLAIM}deployment_id")] = json!("deployment-9");
                p.sign(&c)
            },
        ),
        ("missing roles", 400, "no roles claim", |p, mut c| {
            c.as_object_mut().unwrap().remove(&format!("{CLAIM}roles"));
            p.sign(&c)
        }),
        (
            "missing version",
            400,
            "no LTI version claim",
            |p, mut c| {
                c.as_object_mut()
                    .unwrap()
                    .remove(&format!("{CLAIM}version"));
                p.sign(&c)
            },
        ),
        (
            "unknown message type",
            400,
            "LtiSubmissionReviewRequest",
            |p, mut c| {
                c[format!("{CLAIM}message_type")] = json!("LtiSubmissionReviewRequest");
                p.sign(&c)
            },
        ),
    ];
    for (name, status, reason, alter) in cases {
        let login = login(&app, &platform).await;
        let token = alter(
            &platform,
            platform.claims(&login.nonce, "ines", "Instructor"),
        );
        eprintln!("refusal: {name}");
        assert_refused(&app, token, &login.state, &login.cookie, status, reason).await;
    }

    // A state the tool never issued, with an otherwise valid token (and a cookie for it, as
    // one who can set the tool's cookies would send).
    let login_one = login(&app, &platform).await;
    let token = platform.sign(&platform.claims(&login_one.nonce, "ines", "Instructor"));
    let made_up = "made-up-state";
    assert_refused(
        &app,
        token.clone(),
        made_up,
        &format!(
            "mr_lti_state_{}={made_up}",
            &store::lti::digest(made_up)[..16]
        ),
        401,
        "state was not issued",
    )
    .await;

    // A replayed nonce: the same valid token again, under a fresh login.
    let login_two = login(&app, &platform).await;
    let token = platform.sign(&platform.claims(&login_two.nonce, "ines", "Instructor"));
    let accepted = post_launch(
        &app,
        &token,
        &login_two.state,
        Some(&login_two.cookie),
        "document",
    )
    .await;
    gallery_of(&accepted);
    let login_three = login(&app, &platform).await;
    assert_refused(
        &app,
        token.clone(),
        &login_three.state,
        &login_three.cookie,
        401,
        "already used",
    )
    .await;
    // And nonces stay used across a restart (they live in the database).
    let app = app.restart().await;
    let login_four = login(&app, &platform).await;
    assert_refused(
        &app,
        token,
        &login_four.state,
        &login_four.cookie,
        401,
        "already used",
    )
    .await;

    // An aud array holding our client id, with azp ours, is fine.
    let login_five = login(&app, &platform).await;
    let mut claims = platform.claims(&login_five.nonce, "ines", "Instructor");
    claims["aud"] = json!(["another-tool", CLIENT_ID]);
    claims["azp"] = json!(CLIENT_ID);
    gallery_of(
        &post_launch(
            &app,
            &platform.sign(&claims),
            &login_five.state,
            Some(&login_five.cookie),
            "document",
        )
        .await,
    );
}

pub async fn a_state_cookie_of_another_launch_is_refused(app: TestApp) {
    let platform = start(&app).await;
    // This browser began a launch; the launch posted to it was begun elsewhere (by someone
    // who would sign this browser in as themselves: a login CSRF).
    let mine = login(&app, &platform).await;
    let theirs = login(&app, &platform).await;
    let token = platform.sign(&platform.claims(&theirs.nonce, "mallory", "Instructor"));
    let before = tables(&app).await;
    for cookie in [
        mine.cookie.clone(),
        // The one cookie name of before, holding another state.
        format!("mr_lti_state={}", mine.state),
        // Its own cookie's name with another value.
        format!("{}=forged", theirs.cookie_name()),
    ] {
        let reply = post_launch(&app, &token, &theirs.state, Some(&cookie), "iframe").await;
        assert_eq!(reply.status.as_u16(), 403, "{cookie}: {}", reply.text);
        assert!(
            reply.text.contains("not started in this browser"),
            "{}",
            reply.text
        );
        assert!(!reply.text.contains("new window"), "no ticket for it");
        // This browser's own launch under way is left alone.
        assert!(reply
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .next()
            .is_none());
        assert_eq!(tables(&app).await, before, "{cookie}: nothing may change");
    }
    // Refused before the state was taken: each launch still works in its own browser.
    let own = post_launch(
        &app,
        &token,
        &theirs.state,
        Some(&theirs.cookie),
        "document",
    )
    .await;
    gallery_of(&own);
    let token = platform.sign(&platform.claims(&mine.nonce, "ines", "Instructor"));
    gallery_of(&post_launch(&app, &token, &mine.state, Some(&mine.cookie), "document").await);
}

pub async fn refusals_after_a_successful_launch_change_nothing(app: TestApp) {
    let platform = start(&app).await;
    let first = login(&app, &platform).await;
    let accepted_token = platform.sign(&platform.claims(&first.nonce, "ines", "Instructor"));
    let gallery = gallery_of(
        &post_launch(
            &app,
            &accepted_token,
            &first.state,
            Some(&first.cookie),
            "document",
        )
        .await,
    );
    let leo = login(&app, &platform).await;
    let token = platform.sign(&platform.claims(&leo.nonce, "leo", "Learner"));
    gallery_of(&post_launch(&app, &token, &leo.state, Some(&leo.cookie), "document").await);

    // Each token would rename ines, change her email and demote her, were it applied.
    let altered = |nonce: &str| {
        let mut claims = platform.claims(nonce, "ines", "Learner");
        claims["name"] = json!("Someone Else");
        claims["email"] = json!("else@evil.example");
        claims
    };
    type Alter = fn(&TestPlatform, Value) -> String;
    let cases: Vec<(u16, &str, Alter)> = vec![
        (401, "signature does not verify", |p, c| {
            p.sign_with_strangers_key(&c)
        }),
        (401, "not meant for this tool", |p, mut c| {
            c["aud"] = json!("another-tool");
            p.sign(&c)
        }),
        (401, "has expired", |p, mut c| {
            let t = c["iat"].as_i64().unwrap();
            c["exp"] = json!(t - 3600);
            c["iat"] = json!(t - 4000);
            p.sign(&c)
        }),
        (403, "is not registered for this LMS", |p, mut c| {
            c[format!("{CLAIM}deployment_id")] = json!("deployment-9");
            p.sign(&c)
        }),
        (400, "only adds LTI resource links", |p, mut c| {
            c[format!("{CLAIM}message_type")] = json!("LtiDeepLinkingRequest");
            c[format!("{CLAIM}roles")] = json!([super::lti_platform::lis_role("Instructor")]);
            c["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = json!({
                "deep_link_return_url": "https://lms.example/return", "accept_types": ["file"],
            });
            p.sign(&c)
        }),
    ];
    for (status, reason, alter) in cases {
        let login = login(&app, &platform).await;
        let token = alter(&platform, altered(&login.nonce));
        assert_refused(&app, token, &login.state, &login.cookie, status, reason).await;
    }
    // The accepted token once more, and a launch begun in another browser.
    let replay = login(&app, &platform).await;
    assert_refused(
        &app,
        accepted_token,
        &replay.state,
        &replay.cookie,
        401,
        "already used",
    )
    .await;
    let elsewhere = login(&app, &platform).await;
    let token = platform.sign(&altered(&elsewhere.nonce));
    assert_refused(
        &app,
        token,
        &elsewhere.state,
        &replay.cookie,
        403,
        "not started in this browser",
    )
    .await;
    assert_eq!(
        grant_of(&app, gallery, "ines").await.as_deref(),
        Some("manager")
    );
}

pub async fn expired_states_nonces_and_tickets_are_purged(app: TestApp) {
    let platform = TestPlatform::start().await;
    let platform_id = register(&app, &platform).await;
    let store = &app.state.store;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    store
        .issue_lti_state("stale-state", "n", platform_id, -1)
        .await
        .unwrap();
    // A nonce is kept until its token could no longer be valid anyway (exp plus the skew).
    assert!(store
        .use_lti_nonce(&platform.issuer, "stale-nonce", now - 1)
        .await
        .unwrap());
    assert!(store
        .use_lti_nonce(&platform.issuer, "live-nonce", now + 600)
        .await
        .unwrap());
    store.create_lti_ticket("session", "{}", -1).await.unwrap();
    let live_ticket = store.create_lti_ticket("session", "{}", 300).await.unwrap();
    let rows = |sql: &'static str| texts(&app, sql);
    assert_eq!(
        rows("SELECT nonce FROM lti_used_nonces ORDER BY nonce").await,
        ["live-nonce", "stale-nonce"]
    );
    assert_eq!(
        rows("SELECT state FROM lti_login_states").await,
        ["stale-state"]
    );
    assert_eq!(
        rows("SELECT kind FROM lti_tickets").await,
        ["session", "session"]
    );

    // The next login initiation clears out what expired, and only that.
    let fresh = login(&app, &platform).await;
    assert_eq!(
        rows("SELECT nonce FROM lti_used_nonces ORDER BY nonce").await,
        ["live-nonce"]
    );
    assert_eq!(
        rows("SELECT state FROM lti_login_states").await,
        [fresh.state]
    );
    assert_eq!(
        rows("SELECT kind FROM lti_tickets").await,
        ["session"],
        "the live ticket stays"
    );
    assert!(store
        .lti_nonce_used(&platform.issuer, "live-nonce")
        .await
        .unwrap());
    assert!(store
        .take_lti_ticket("session", &live_ticket)
        .await
        .unwrap()
        .is_some());
}
