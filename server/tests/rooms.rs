//! The room's signalling socket refuses, before any upgrade, whoever may not be in the room.
//! (The media path itself is tested with real WebRTC clients in `loadtest/tests`.)

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::TestApp;
use serde_json::json;

fn socket_request(path: &str, cookie: Option<&str>, cross_site: bool) -> Request<Body> {
    let mut builder = Request::get(path)
        .header(header::CONNECTION, "upgrade")
        .header(header::UPGRADE, "websocket")
        .header(header::SEC_WEBSOCKET_VERSION, "13")
        .header(header::SEC_WEBSOCKET_KEY, "dGhlIHNhbXBsZSBub25jZQ==");
    if let Some(cookie) = cookie {
        builder = builder.header(header::COOKIE, cookie);
    }
    if cross_site {
        builder = builder.header("sec-fetch-site", "cross-site");
    }
    builder.body(Body::empty()).unwrap()
}

async fn the_room_socket_admits_only_those_who_may_enter(app: TestApp) {
    let path = "/api/rooms/2/ws?v=1";
    let anonymous = app.send(socket_request(path, None, false)).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    let student = app.login("student").await;
    let disabled = app.send(socket_request(path, Some(&student), false)).await;
    assert_eq!(
        disabled.status,
        StatusCode::NOT_FOUND,
        "no room until it is enabled"
    );

    let teacher = app.login("teacher").await;
    let body = json!({"enabled": true, "mode": "webinar", "room_moderators": [], "chat_moderators": [],
                      "qna": "site_default", "group_chat": true});
    let saved = app
        .call(
            Method::PUT,
            "/api/containers/2/room",
            Some(&teacher),
            Some(body),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK);

    let outsider = app.login("outsider").await;
    let refused = app.send(socket_request(path, Some(&outsider), false)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let other_site = app.send(socket_request(path, Some(&student), true)).await;
    assert_eq!(other_site.status, StatusCode::FORBIDDEN);
    assert!(other_site.text.contains("cross_site"));

    let old_client = app
        .send(socket_request("/api/rooms/2/ws?v=0", Some(&student), false))
        .await;
    assert_eq!(old_client.status, StatusCode::BAD_REQUEST);
    assert!(old_client.text.contains("protocol_version"));

    let unknown = app
        .send(socket_request(
            "/api/rooms/999/ws?v=1",
            Some(&student),
            false,
        ))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // Everything checked: only the connection upgrade is left, which this in-memory harness
    // cannot do (a real one is in loadtest/tests and the browser suite).
    let admitted = app.send(socket_request(path, Some(&student), false)).await;
    assert_eq!(admitted.status, StatusCode::UPGRADE_REQUIRED);
}

on_both_databases!(the_room_socket_admits_only_those_who_may_enter);
