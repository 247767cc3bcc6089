//! The server-rendered pages: the HTTP status and what each user is shown, before hydration.

mod common;

use axum::http::{header, Method, StatusCode};
use common::TestApp;
use serde_json::json;

async fn enable_room(app: &TestApp, cookie: &str, container: i64) {
    let body = json!({"enabled": true, "mode": "interactive", "room_moderators": [], "chat_moderators": [],
                      "qna": "site_default", "group_chat": true});
    let reply = app
        .call(
            Method::PUT,
            &format!("/api/containers/{container}/room"),
            Some(cookie),
            Some(body),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

async fn anonymous_visitors_are_sent_to_sign_in(app: TestApp) {
    let browser_request = axum::http::Request::get("/galleries/1")
        .header(header::ACCEPT, "text/html")
        .body(axum::body::Body::empty())
        .unwrap();
    let reply = app.send(browser_request).await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert_eq!(
        reply.headers.get(header::LOCATION).unwrap(),
        "/login?next=/galleries/1"
    );
    let login = app.get("/login", None).await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(login.text.contains("Sign in"));
}

async fn members_see_enter_room_but_not_configure(app: TestApp) {
    let student = app.login("student").await;
    let before = app.get("/galleries/1", Some(&student)).await;
    assert_eq!(before.status, StatusCode::OK);
    assert!(before.text.contains("Design 101"));
    assert!(
        !before.text.contains("Enter Room"),
        "no room until it is enabled"
    );

    let teacher = app.login("teacher").await;
    enable_room(&app, &teacher, 1).await;
    let page = app.get("/galleries/1", Some(&student)).await;
    assert!(page.text.contains("Enter Room"));
    assert!(!page.text.contains("Configure"));
    assert!(
        !page.text.contains("pending approval"),
        "pending counts are for managers"
    );
    assert!(
        page.text.contains("Poster critique"),
        "a student sees their own pending media"
    );
    assert!(
        !page.text.contains("Typography sketches"),
        "but not other students' pending media"
    );

    let manager_view = app.get("/galleries/1", Some(&teacher)).await;
    assert!(manager_view.text.contains("Configure") && manager_view.text.contains("Enter Room"));
    assert!(manager_view.text.contains("3 items pending approval."));
}

async fn outsiders_get_403_and_wrong_kinds_404(app: TestApp) {
    let outsider = app.login("outsider").await;
    let page = app.get("/galleries/1", Some(&outsider)).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.text.contains("not a member"));
    assert!(!page.text.contains("Lecture: Principles of Design"));

    let teacher = app.login("teacher").await;
    assert_eq!(
        app.get("/galleries/3", Some(&teacher)).await.status,
        StatusCode::NOT_FOUND,
        "3 is a channel"
    );
    assert_eq!(
        app.get("/galleries/999", Some(&teacher)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/galleries/abc", Some(&teacher)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/no/such/page", Some(&teacher)).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn the_edit_page_is_for_managers(app: TestApp) {
    let teacher = app.login("teacher").await;
    let details = app.get("/galleries/1/configure", Some(&teacher)).await;
    assert_eq!(details.status, StatusCode::OK);
    for section in [
        "Details",
        "Branding",
        "Settings &amp; layout",
        "Manage content",
        "Content moderation",
        "Meeting room",
    ] {
        assert!(
            details.text.contains(section),
            "left navigation lacks {section}"
        );
    }
    let tab = app
        .get("/galleries/1/configure/meeting-room", Some(&teacher))
        .await;
    assert!(
        tab.text.contains("Enable meeting room")
            && tab
                .text
                .contains("Up to 25 visible, 100 total participants")
    );
    let channel = app
        .get("/channels/3/manage/meeting-room", Some(&teacher))
        .await;
    assert_eq!(channel.status, StatusCode::OK);
    assert!(channel
        .text
        .contains("Configure your channel meeting room."));

    let student = app.login("student").await;
    let refused = app
        .get("/galleries/1/configure/meeting-room", Some(&student))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!refused.text.contains("Enable meeting room"));
    assert_eq!(
        app.get("/galleries/1/configure/nonsense", Some(&teacher))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn media_roles_page_needs_the_module(app: TestApp) {
    let teacher = app.login("teacher").await;
    let page = app.get("/media/1/edit/roles", Some(&teacher)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("Add users") && page.text.contains("Theo Assistant"));
    let admin = app.login("admin").await;
    let off = json!({"chat_collaboration": false, "qna_default": true});
    app.call(Method::PUT, "/api/site-settings", Some(&admin), Some(off))
        .await;
    let page = app.get("/media/1/edit/roles", Some(&teacher)).await;
    assert!(!page.text.contains("Add users"));
    assert!(page.text.contains("Chat and collaboration"));
    let student = app.login("student").await;
    assert_eq!(
        app.get("/media/1/edit/roles", Some(&student)).await.status,
        StatusCode::FORBIDDEN
    );
}

async fn site_settings_page_is_for_admins(app: TestApp) {
    let admin = app.login("admin").await;
    let page = app.get("/admin/settings", Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("Chat and collaboration"));
    let teacher = app.login("teacher").await;
    assert_eq!(
        app.get("/admin/settings", Some(&teacher)).await.status,
        StatusCode::FORBIDDEN
    );
}

async fn the_room_page_needs_an_enabled_room(app: TestApp) {
    let student = app.login("student").await;
    assert_eq!(
        app.get("/rooms/1", Some(&student)).await.status,
        StatusCode::NOT_FOUND
    );
    let teacher = app.login("teacher").await;
    enable_room(&app, &teacher, 1).await;
    let page = app.get("/rooms/1", Some(&student)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("You are entering as participant."));
    let host = app.get("/rooms/1", Some(&teacher)).await;
    assert!(host
        .text
        .contains("You are entering as room and chat moderator."));
    let outsider = app.login("outsider").await;
    assert_eq!(
        app.get("/rooms/1", Some(&outsider)).await.status,
        StatusCode::FORBIDDEN
    );

    // The TA is no Design 101 member, but a room moderator through their group.
    let ta = app.login("ta").await;
    assert_eq!(
        app.get("/rooms/1", Some(&ta)).await.status,
        StatusCode::FORBIDDEN
    );
    let body = json!({"enabled": true, "mode": "webinar", "room_moderators": [{"kind": "group", "id": 1}],
                      "chat_moderators": [], "qna": "off", "group_chat": true});
    app.call(
        Method::PUT,
        "/api/containers/1/room",
        Some(&teacher),
        Some(body),
    )
    .await;
    let page = app.get("/rooms/1", Some(&ta)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("You are entering as room moderator."));
    assert_eq!(
        app.get("/galleries/1", Some(&ta)).await.status,
        StatusCode::FORBIDDEN
    );
}

on_both_databases!(
    anonymous_visitors_are_sent_to_sign_in,
    members_see_enter_room_but_not_configure,
    outsiders_get_403_and_wrong_kinds_404,
    the_edit_page_is_for_managers,
    media_roles_page_needs_the_module,
    site_settings_page_is_for_admins,
    the_room_page_needs_an_enabled_room,
);
