//! The REST API, status by status, on SQLite and (when configured) PostgreSQL.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::TestApp;
use serde_json::{json, Value};

const DESIGN_101: i64 = 1;
const TEACHING_ASSISTANTS: i64 = 1;
const STUDENT2: i64 = 5;

fn webinar_settings() -> Value {
    json!({
        "enabled": true,
        "mode": "webinar",
        "room_moderators": [{"kind": "group", "id": TEACHING_ASSISTANTS}],
        "chat_moderators": [{"kind": "user", "id": STUDENT2}, {"kind": "user", "id": STUDENT2}],
        "qna": "on",
        "group_chat": false
    })
}

async fn room(app: &TestApp, cookie: &str) -> Value {
    let reply = app
        .get(&format!("/api/containers/{DESIGN_101}/room"), Some(cookie))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json()
}

async fn put_room(app: &TestApp, cookie: Option<&str>, body: Value) -> common::Reply {
    app.call(
        Method::PUT,
        &format!("/api/containers/{DESIGN_101}/room"),
        cookie,
        Some(body),
    )
    .await
}

async fn health_answers_when_ready(app: TestApp) {
    let reply = app.get("/healthz", None).await;
    assert_eq!((reply.status, reply.text.as_str()), (StatusCode::OK, "ok"));
}

async fn sessions_sign_in_and_out(app: TestApp) {
    let anonymous = app.get("/api/me", None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.json()["code"], "unauthenticated");

    let wrong = app
        .call(
            Method::POST,
            "/api/session",
            None,
            Some(json!({"username": "teacher", "password": "nope"})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.headers.get(header::SET_COOKIE).is_none());
    let unknown = app
        .call(
            Method::POST,
            "/api/session",
            None,
            Some(json!({"username": "nobody", "password": "demo"})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);

    let reply = app
        .call(
            Method::POST,
            "/api/session",
            None,
            Some(json!({"username": "teacher", "password": "demo"})),
        )
        .await;
    let set_cookie = reply
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
        "{set_cookie}"
    );
    let cookie = set_cookie.split(';').next().unwrap().to_string();

    let me = app.get("/api/me", Some(&cookie)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["username"], "teacher");

    let out = app
        .call(Method::DELETE, "/api/session", Some(&cookie), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/me", Some(&cookie)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn containers_list_what_each_user_may_see(app: TestApp) {
    let list = |value: Value| {
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["title"].as_str().unwrap().to_string(),
                    c["my_role"].as_str().unwrap().to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    let teacher = app.login("teacher").await;
    let all = app.get("/api/containers", Some(&teacher)).await.json();
    assert_eq!(
        list(all.clone()),
        [
            ("Faculty Lounge", "manager"),
            ("Design 101", "manager"),
            ("Video Production", "manager")
        ]
        .map(|(t, r)| (t.to_string(), r.to_string()))
    );
    let design = all
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"] == "Design 101")
        .unwrap();
    assert_eq!(design["kind"], "gallery");
    assert_eq!(design["lms"], "moodle");
    assert_eq!(design["path"], "/galleries/1");
    assert_eq!(design["room_enabled"], false);
    let lounge = all
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"] == "Faculty Lounge")
        .unwrap();
    assert_eq!(
        (lounge["kind"].as_str(), lounge["lms"].is_null()),
        (Some("channel"), true)
    );

    let student = app.login("student").await;
    assert_eq!(
        list(app.get("/api/containers", Some(&student)).await.json()),
        [("Design 101", "member"), ("Video Production", "member")]
            .map(|(t, r)| (t.to_string(), r.to_string()))
    );
    let ta = app.login("ta").await;
    assert_eq!(
        list(app.get("/api/containers", Some(&ta)).await.json()),
        [("Faculty Lounge".to_string(), "member".to_string())]
    );
    let outsider = app.login("outsider").await;
    assert_eq!(
        app.get("/api/containers", Some(&outsider)).await.json(),
        json!([])
    );
    let admin = app.login("admin").await;
    assert_eq!(
        list(app.get("/api/containers", Some(&admin)).await.json()).len(),
        3
    );
    assert_eq!(
        app.get("/api/containers", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn room_settings_are_for_managers_only(app: TestApp) {
    let teacher = app.login("teacher").await;
    let defaults = room(&app, &teacher).await;
    assert_eq!(
        defaults,
        json!({"enabled": false, "mode": "interactive", "room_moderators": [], "chat_moderators": [],
               "qna": "site_default", "group_chat": true, "stage_access": "direct"})
    );
    let student = app.login("student").await;
    let outsider = app.login("outsider").await;
    for cookie in [&student, &outsider] {
        let reply = app
            .get(&format!("/api/containers/{DESIGN_101}/room"), Some(cookie))
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert_eq!(reply.json()["code"], "forbidden");
    }
    assert_eq!(
        app.get("/api/containers/1/room", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let unknown = app.get("/api/containers/999/room", Some(&teacher)).await;
    assert_eq!(
        (unknown.status, unknown.json()["code"].clone()),
        (StatusCode::NOT_FOUND, json!("not_found"))
    );
    assert_eq!(
        app.get("/api/containers/abc/room", Some(&teacher))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn managers_save_room_settings(app: TestApp) {
    let teacher = app.login("teacher").await;
    let reply = put_room(&app, Some(&teacher), webinar_settings()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let expected = json!({
        "enabled": true,
        "mode": "webinar",
        "room_moderators": [{"kind": "group", "id": TEACHING_ASSISTANTS, "name": "Teaching assistants"}],
        "chat_moderators": [{"kind": "user", "id": STUDENT2, "name": "Sky Student"}],
        "qna": "on",
        "group_chat": false,
        "stage_access": "request"
    });
    assert_eq!(
        reply.json(),
        expected,
        "duplicates are dropped, names filled in, a Webinar's default stage access said"
    );
    assert_eq!(room(&app, &teacher).await, expected);
    let mut by_invitation = webinar_settings();
    by_invitation["stage_access"] = json!("invitation");
    let reply = put_room(&app, Some(&teacher), by_invitation).await;
    assert_eq!(reply.json()["stage_access"], "invitation");
    assert_eq!(room(&app, &teacher).await["stage_access"], "invitation");

    let containers = app.get("/api/containers", Some(&teacher)).await.json();
    let design = containers
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == DESIGN_101)
        .unwrap()
        .clone();
    assert_eq!(design["room_enabled"], true);

    // A site admin is a manager everywhere.
    let admin = app.login("admin").await;
    let mut off = webinar_settings();
    off["enabled"] = json!(false);
    assert_eq!(
        put_room(&app, Some(&admin), off).await.status,
        StatusCode::OK
    );
    assert_eq!(room(&app, &teacher).await["enabled"], false);
}

async fn refused_saves_change_nothing(app: TestApp) {
    let teacher = app.login("teacher").await;
    assert_eq!(
        put_room(&app, Some(&teacher), webinar_settings())
            .await
            .status,
        StatusCode::OK
    );
    let saved = room(&app, &teacher).await;

    let mut interactive = webinar_settings();
    interactive["mode"] = json!("interactive");
    let student = app.login("student").await;
    let cases: Vec<(Option<&str>, Value, StatusCode)> = vec![
        (None, interactive.clone(), StatusCode::UNAUTHORIZED),
        (Some(&student), interactive.clone(), StatusCode::FORBIDDEN),
        (
            Some(&teacher),
            json!({"enabled": true}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Some(&teacher),
            {
                let mut b = interactive.clone();
                b["mode"] = json!("party");
                b
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Some(&teacher),
            {
                let mut b = interactive.clone();
                b["enabled"] = json!("yes");
                b
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Some(&teacher),
            {
                let mut b = interactive.clone();
                b["qna"] = json!("sometimes");
                b
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Some(&teacher),
            {
                let mut b = interactive.clone();
                b["stage_access"] = json!("whoever");
                b
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Some(&teacher),
            {
                let mut b = interactive.clone();
                b["room_moderators"] = json!([{"kind": "group", "id": 999}]);
                b
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Some(&teacher),
            {
                let mut b = interactive.clone();
                b["chat_moderators"] = json!([{"kind": "user", "id": 999}]);
                b
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Some(&teacher),
            {
                let mut b = interactive.clone();
                b["chat_moderators"] = json!([{"kind": "robot", "id": 1}]);
                b
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (cookie, body, status) in cases {
        let reply = put_room(&app, cookie, body.clone()).await;
        assert_eq!(reply.status, status, "{body}: {}", reply.text);
        let error = reply.json();
        assert!(
            error["code"].is_string() && error["message"].is_string(),
            "{error}"
        );
        assert_eq!(room(&app, &teacher).await, saved, "after refusing {body}");
    }

    let unknown_group = put_room(&app, Some(&teacher), {
        let mut b = interactive.clone();
        b["room_moderators"] = json!([{"kind": "group", "id": 999}]);
        b
    })
    .await;
    assert!(unknown_group.json()["message"]
        .as_str()
        .unwrap()
        .contains("no group with id 999"));

    let malformed = app
        .send(
            Request::put("/api/containers/1/room")
                .header(header::COOKIE, &teacher)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{\"enabled\": tru"))
                .unwrap(),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    let not_json = app
        .send(
            Request::put("/api/containers/1/room")
                .header(header::COOKIE, &teacher)
                .body(Body::from("enabled=1"))
                .unwrap(),
        )
        .await;
    assert_eq!(not_json.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge: Vec<Value> = (0..20_000)
        .map(|id| json!({"kind": "user", "id": id}))
        .collect();
    let mut oversize = interactive.clone();
    oversize["room_moderators"] = Value::Array(huge);
    let reply = put_room(&app, Some(&teacher), oversize).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.json()["code"], "too_large");
    assert_eq!(room(&app, &teacher).await, saved);
}

async fn settings_survive_a_restart(app: TestApp) {
    let teacher = app.login("teacher").await;
    assert_eq!(
        put_room(&app, Some(&teacher), webinar_settings())
            .await
            .status,
        StatusCode::OK
    );
    let saved = room(&app, &teacher).await;
    let app = app.restart().await;
    // Sessions live in the database too: the same cookie still works.
    assert_eq!(room(&app, &teacher).await, saved);
    assert_eq!(saved["mode"], "webinar");
}

async fn cross_site_writes_are_refused(app: TestApp) {
    let teacher = app.login("teacher").await;
    let forged = app
        .send(
            Request::put("/api/containers/1/room")
                .header(header::COOKIE, &teacher)
                .header(header::CONTENT_TYPE, "application/json")
                .header("sec-fetch-site", "cross-site")
                .body(Body::from(webinar_settings().to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(forged.json()["code"], "cross_site");
    assert_eq!(room(&app, &teacher).await["enabled"], false);

    let same_origin = app
        .send(
            Request::put("/api/containers/1/room")
                .header(header::COOKIE, &teacher)
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::HOST, "127.0.0.1:3000")
                .header(header::ORIGIN, "http://127.0.0.1:3000")
                .body(Body::from(webinar_settings().to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(same_origin.status, StatusCode::OK, "{}", same_origin.text);
}

async fn pickers_find_users_and_groups(app: TestApp) {
    let teacher = app.login("teacher").await;
    let groups = app.get("/api/groups?q=teach", Some(&teacher)).await;
    assert_eq!(
        groups.json(),
        json!([{"id": TEACHING_ASSISTANTS, "name": "Teaching assistants"}])
    );
    let users = app.get("/api/users?q=STUDENT", Some(&teacher)).await.json();
    let names: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Sam Student", "Sky Student"]);
    assert_eq!(
        app.get("/api/users?q=%25", Some(&teacher)).await.json(),
        json!([]),
        "% matches literally"
    );
    assert_eq!(
        app.get("/api/groups?q=x", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let long = "a".repeat(101);
    assert_eq!(
        app.get(&format!("/api/users?q={long}"), Some(&teacher))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

async fn only_site_admins_change_site_settings(app: TestApp) {
    let teacher = app.login("teacher").await;
    let before = app.get("/api/site-settings", Some(&teacher)).await.json();
    assert_eq!(
        before,
        json!({"chat_collaboration": true, "qna_default": true})
    );
    let off = json!({"chat_collaboration": false, "qna_default": false});
    assert_eq!(
        app.call(
            Method::PUT,
            "/api/site-settings",
            Some(&teacher),
            Some(off.clone())
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/site-settings", Some(&teacher)).await.json(),
        before
    );
    let admin = app.login("admin").await;
    let reply = app
        .call(
            Method::PUT,
            "/api/site-settings",
            Some(&admin),
            Some(off.clone()),
        )
        .await;
    assert_eq!((reply.status, reply.json()), (StatusCode::OK, off));
}

async fn media_moderators_follow_media_roles(app: TestApp) {
    let add = json!({"principals": [{"kind": "group", "id": TEACHING_ASSISTANTS}], "room_moderator": true, "chat_moderator": false});
    let teacher = app.login("teacher").await;
    let reply = app
        .call(
            Method::POST,
            "/api/media/1/moderators",
            Some(&teacher),
            Some(add.clone()),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let roles = reply.json();
    assert_eq!(
        roles["moderators"],
        json!([{"principal": {"kind": "group", "id": 1, "name": "Teaching assistants"},
                                            "room_moderator": true, "chat_moderator": false}])
    );
    assert_eq!(
        roles["co_editors"],
        json!([{"id": 3, "name": "Theo Assistant"}])
    );

    // Adding again with the other permission widens, never narrows.
    let chat = json!({"principals": [{"kind": "group", "id": TEACHING_ASSISTANTS}], "room_moderator": false, "chat_moderator": true});
    let ta = app.login("ta").await; // a co-editor of media 1
    let reply = app
        .call(
            Method::POST,
            "/api/media/1/moderators",
            Some(&ta),
            Some(chat),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json()["moderators"][0]["room_moderator"], true);
    assert_eq!(reply.json()["moderators"][0]["chat_moderator"], true);

    let student = app.login("student").await; // a member, not owner or co-editor
    assert_eq!(
        app.get("/api/media/1/roles", Some(&student)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.call(
            Method::POST,
            "/api/media/1/moderators",
            Some(&student),
            Some(add.clone())
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/media/4/roles", Some(&student)).await.status,
        StatusCode::OK,
        "owners edit their own media"
    );
    let neither = json!({"principals": [{"kind": "user", "id": 4}], "room_moderator": false, "chat_moderator": false});
    assert_eq!(
        app.call(
            Method::POST,
            "/api/media/1/moderators",
            Some(&teacher),
            Some(neither)
        )
        .await
        .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let admin = app.login("admin").await;
    let module_off = json!({"chat_collaboration": false, "qna_default": true});
    assert_eq!(
        app.call(
            Method::PUT,
            "/api/site-settings",
            Some(&admin),
            Some(module_off)
        )
        .await
        .status,
        StatusCode::OK
    );
    let reply = app
        .call(
            Method::DELETE,
            "/api/media/1/moderators/group/1",
            Some(&teacher),
            None,
        )
        .await;
    assert_eq!(
        (reply.status, reply.json()["code"].clone()),
        (StatusCode::CONFLICT, json!("unavailable"))
    );
    let roles = app.get("/api/media/1/roles", Some(&teacher)).await.json();
    assert_eq!(
        roles["moderators"].as_array().unwrap().len(),
        1,
        "nothing removed while the module is off"
    );
    assert_eq!(roles["chat_collaboration"], false);

    let module_on = json!({"chat_collaboration": true, "qna_default": true});
    app.call(
        Method::PUT,
        "/api/site-settings",
        Some(&admin),
        Some(module_on),
    )
    .await;
    let reply = app
        .call(
            Method::DELETE,
            "/api/media/1/moderators/group/1",
            Some(&teacher),
            None,
        )
        .await;
    assert_eq!(
        (reply.status, reply.json()["moderators"].clone()),
        (StatusCode::OK, json!([]))
    );
    assert_eq!(
        app.call(
            Method::DELETE,
            "/api/media/1/moderators/group/1",
            Some(&teacher),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/media/999/roles", Some(&teacher)).await.status,
        StatusCode::NOT_FOUND
    );
}

on_both_databases!(
    health_answers_when_ready,
    sessions_sign_in_and_out,
    containers_list_what_each_user_may_see,
    room_settings_are_for_managers_only,
    managers_save_room_settings,
    refused_saves_change_nothing,
    settings_survive_a_restart,
    cross_site_writes_are_refused,
    pickers_find_users_and_groups,
    only_site_admins_change_site_settings,
    media_moderators_follow_media_roles,
);
