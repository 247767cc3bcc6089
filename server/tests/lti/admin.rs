//! The platforms API and admin page, and keys: the tool's rotation, the platform's.

use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use serde_json::json;

use super::common::TestApp;
use super::lti_platform::{member, TestPlatform};
use super::{
    gallery_of, grant_of, launch_as, login, post_launch, register, register_as, start, texts, Login,
};

pub async fn platforms_are_managed_by_site_admins_only(app: TestApp) {
    let platform = super::lti_platform::TestPlatform::start().await;
    let admin = app.login("admin").await;
    let teacher = app.login("teacher").await;
    let path = "/api/lti/platforms";
    let before = app.get(path, Some(&admin)).await.json();
    assert_eq!(
        app.call(Method::POST, path, None, Some(platform.registration()))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.call(
            Method::POST,
            path,
            Some(&teacher),
            Some(platform.registration())
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(path, Some(&teacher)).await.status,
        StatusCode::FORBIDDEN
    );
    let mut no_deployment = platform.registration();
    no_deployment["deployment_ids"] = json!([]);
    let invalid = app
        .call(Method::POST, path, Some(&admin), Some(no_deployment))
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(invalid.text.contains("deployment id"));
    assert_eq!(
        app.get(path, Some(&admin)).await.json(),
        before,
        "nothing stored on refusals"
    );

    let created = app
        .call(
            Method::POST,
            path,
            Some(&admin),
            Some(platform.registration()),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.json()["id"].as_i64().unwrap();
    let duplicate = app
        .call(
            Method::POST,
            path,
            Some(&admin),
            Some(platform.registration()),
        )
        .await;
    assert_eq!(
        duplicate.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        duplicate.text
    );

    let mut changed = platform.registration();
    changed["lms"] = json!("canvas");
    changed["deployment_ids"] = json!(["a", "b"]);
    let one = format!("{path}/{id}");
    assert_eq!(
        app.call(Method::PUT, &one, Some(&teacher), Some(changed.clone()))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let updated = app
        .call(Method::PUT, &one, Some(&admin), Some(changed))
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
    let listed = app.get(path, Some(&admin)).await.json();
    assert_eq!(listed[0]["lms"], "canvas");
    assert_eq!(listed[0]["deployment_ids"], json!(["a", "b"]));

    // Key rotation keeps the previous key published.
    let first = app.get("/lti/jwks", None).await.json()["keys"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(first, 1);
    assert_eq!(
        app.call(Method::POST, "/api/lti/keys/rotate", Some(&teacher), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    for _ in 0..2 {
        assert_eq!(
            app.call(Method::POST, "/api/lti/keys/rotate", Some(&admin), None)
                .await
                .status,
            StatusCode::OK
        );
    }
    assert_eq!(
        app.get("/lti/jwks", None).await.json()["keys"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    assert_eq!(
        app.call(Method::DELETE, &one, Some(&teacher), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.call(Method::DELETE, &one, Some(&admin), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.call(Method::DELETE, &one, Some(&admin), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get(path, Some(&admin)).await.json(), json!([]));
}

pub async fn a_rotated_platform_key_is_fetched_on_its_first_use(app: TestApp) {
    let platform = start(&app).await;
    let first = login(&app, &platform).await;
    let token = platform.sign(&platform.claims(&first.nonce, "ines", "Instructor"));
    gallery_of(&post_launch(&app, &token, &first.state, Some(&first.cookie), "document").await);
    let again = login(&app, &platform).await;
    let token = platform.sign(&platform.claims(&again.nonce, "leo", "Learner"));
    gallery_of(&post_launch(&app, &token, &again.state, Some(&again.cookie), "document").await);
    assert_eq!(platform.jwks_served(), 1, "the keys are cached");

    platform.publish_second_key();
    let rotated = login(&app, &platform).await;
    let token =
        platform.sign_with_second_key(&platform.claims(&rotated.nonce, "ines", "Instructor"));
    gallery_of(
        &post_launch(
            &app,
            &token,
            &rotated.state,
            Some(&rotated.cookie),
            "document",
        )
        .await,
    );
    assert_eq!(
        platform.jwks_served(),
        2,
        "an unknown kid fetches the keys again"
    );

    // Made-up kids right after do not make the tool fetch again and again.
    for _ in 0..3 {
        let made_up = login(&app, &platform).await;
        let token = platform.sign_with_kid(
            &platform.claims(&made_up.nonce, "ines", "Instructor"),
            "made-up",
        );
        let refused = post_launch(
            &app,
            &token,
            &made_up.state,
            Some(&made_up.cookie),
            "document",
        )
        .await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(platform.jwks_served(), 2);
}

pub async fn the_admin_page_shows_the_urls_to_paste_to_site_admins_only(app: TestApp) {
    let admin = app.login("admin").await;
    let page = app.get("/admin/lti", Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    for text in [
        "LMS platforms",
        "http://localhost/lti/login",
        "http://localhost/lti/launch",
        "http://localhost/lti/jwks",
        "Register a platform",
        "Rotate tool key",
    ] {
        assert!(page.text.contains(text), "{text} missing");
    }
    let teacher = app.login("teacher").await;
    let refused = app.get("/admin/lti", Some(&teacher)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused
        .text
        .contains("Only site administrators manage LMS platforms."));
}

pub async fn keys_that_never_come_are_refused_in_time_without_holding_up_other_platforms(
    app: TestApp,
) {
    // An LMS whose key set address accepts the request and never answers.
    let slow = TestPlatform::start().await;
    let mut registration = slow.registration();
    registration["jwks_url"] = json!(slow.hanging_url());
    register_as(&app, registration).await;
    let fast = start(&app).await;
    let slow_logins = [login(&app, &slow).await, login(&app, &slow).await];
    let fast_login = login(&app, &fast).await;
    let timed = |platform: &TestPlatform, login: &Login, sub: &str| {
        let token = platform.sign(&platform.claims(&login.nonce, sub, "Instructor"));
        let (state, cookie) = (login.state.clone(), login.cookie.clone());
        let app = &app;
        async move {
            let started = Instant::now();
            let reply = post_launch(app, &token, &state, Some(&cookie), "document").await;
            (reply, started.elapsed())
        }
    };
    let (first, second, other) = tokio::join!(
        timed(&slow, &slow_logins[0], "ines"),
        timed(&slow, &slow_logins[1], "leo"),
        async {
            // Once the slow platform's fetch is under way.
            tokio::time::sleep(Duration::from_millis(300)).await;
            timed(&fast, &fast_login, "ines").await
        },
    );
    let (reply, took) = other;
    gallery_of(&reply);
    assert!(
        took < Duration::from_secs(2),
        "another platform's launch waited {took:?}"
    );
    // The client's timeout is 5 s: a clear refusal by then, for both launches, which waited
    // for the same fetch rather than each fetching in turn.
    for (reply, took) in [first, second] {
        assert_eq!(reply.status, StatusCode::BAD_GATEWAY, "{}", reply.text);
        assert!(
            reply.text.contains("keys could not be fetched"),
            "{}",
            reply.text
        );
        assert!(took < Duration::from_secs(8), "refused after {took:?}");
    }
    assert_eq!(slow.requests_hung(), 1, "one fetch for both launches");
}

pub async fn a_re_registered_lms_finds_its_courses_galleries_again(app: TestApp) {
    let platform = TestPlatform::start().await;
    let id = register(&app, &platform).await;
    platform.trust_tool_keys(&app.get("/lti/jwks", None).await.json());
    platform.set_roster(vec![member("ines", "Instructor"), member("s1", "Learner")]);
    let first = login(&app, &platform).await;
    let mut claims = platform.claims(&first.nonce, "ines", "Instructor");
    claims["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"] =
        json!({"context_memberships_url": platform.memberships_url(), "service_versions": ["2.0"]});
    let token = platform.sign(&claims);
    let gallery =
        gallery_of(&post_launch(&app, &token, &first.state, Some(&first.cookie), "document").await);
    assert_eq!(
        grant_of(&app, gallery, "s1").await.as_deref(),
        Some("member")
    );

    // The registration goes: the gallery and its grants stay, with no roster service for now.
    let admin = app.login("admin").await;
    let removed = app
        .call(
            Method::DELETE,
            &format!("/api/lti/platforms/{id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let store = &app.state.store;
    assert!(store.lti_roster_source(gallery).await.unwrap().is_none());
    assert_eq!(
        grant_of(&app, gallery, "s1").await.as_deref(),
        Some("member")
    );

    // The same LMS registered again: its next launch lands on the same gallery.
    let again = register(&app, &platform).await;
    assert_ne!(again, id);
    assert_eq!(
        gallery_of(&launch_as(&app, &platform, "leo", "Learner").await),
        gallery
    );
    assert_eq!(
        grant_of(&app, gallery, "ines").await.as_deref(),
        Some("manager")
    );
    let (linked, url) = store.lti_roster_source(gallery).await.unwrap().unwrap();
    assert_eq!((linked.id, url), (again, platform.memberships_url()));
    let contexts = "SELECT CAST(COUNT(*) AS TEXT) FROM lti_contexts";
    assert_eq!(
        texts(&app, contexts).await,
        ["1"],
        "one course, one gallery"
    );

    // Another LMS's course with the same context id is another course.
    let other = start(&app).await;
    assert_ne!(
        gallery_of(&launch_as(&app, &other, "ines", "Instructor").await),
        gallery
    );
}
