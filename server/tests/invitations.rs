//! Invitation links as rows: room moderators list and revoke them, a revoked link admits
//! nobody, moderator links live at most a day. On SQLite and (when configured) PostgreSQL.

mod common;

use axum::http::{Method, StatusCode};
use common::TestApp;
use serde_json::{json, Value};

const DESIGN_101: i64 = 1;
const VIDEO_PRODUCTION: i64 = 2;

async fn enable_room(app: &TestApp, cookie: &str, container_id: i64) {
    let reply = app
        .call(
            Method::PUT,
            &format!("/api/containers/{container_id}/room"),
            Some(cookie),
            Some(json!({
                "enabled": true, "mode": "interactive", "room_moderators": [],
                "chat_moderators": [], "qna": "site_default", "group_chat": true
            })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

fn invitations(container_id: i64) -> String {
    format!("/api/containers/{container_id}/room/invitations")
}

async fn create(app: &TestApp, cookie: &str, body: Value) -> common::Reply {
    app.call(
        Method::POST,
        &invitations(DESIGN_101),
        Some(cookie),
        Some(body),
    )
    .await
}

fn token(link: &Value) -> String {
    let path = link["path"].as_str().expect("a path");
    path.split_once("invite=").expect("a token").1.to_owned()
}

async fn moderators_list_and_revoke_links_and_others_may_not(app: TestApp) {
    let store = &app.state.store;
    let teacher = app.login("teacher").await;
    enable_room(&app, &teacher, DESIGN_101).await;
    enable_room(&app, &teacher, VIDEO_PRODUCTION).await;
    let speaker = create(&app, &teacher, json!({"role": "speaker", "valid_hours": 2})).await;
    assert_eq!(speaker.status, StatusCode::CREATED, "{}", speaker.text);
    let speaker = speaker.json();
    let moderator = create(&app, &teacher, json!({"role": "moderator"}))
        .await
        .json();
    let speaker_token = token(&speaker);
    assert_eq!(
        store
            .check_invitation(DESIGN_101, &speaker_token)
            .await
            .unwrap(),
        domain::api::InviteRole::Speaker
    );

    let listed = app.get(&invitations(DESIGN_101), Some(&teacher)).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    let listed = listed.json();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["id"], moderator["id"], "newest first");
    assert_eq!(listed[1]["id"], speaker["id"]);
    assert_eq!(listed[1]["role"], "speaker");
    assert_eq!(listed[1]["path"], speaker["path"]);
    assert_eq!(listed[1]["expires_at"], speaker["expires_at"]);
    assert_eq!(listed[1]["created_by"], "Tess Teacher");
    assert!(
        app.get(&invitations(VIDEO_PRODUCTION), Some(&teacher))
            .await
            .json()
            .as_array()
            .unwrap()
            .is_empty(),
        "per room"
    );

    let speaker_id = speaker["id"].as_i64().unwrap();
    let one = format!("{}/{speaker_id}", invitations(DESIGN_101));
    for user in ["student", "outsider"] {
        let cookie = app.login(user).await;
        let list = app.get(&invitations(DESIGN_101), Some(&cookie)).await;
        assert_eq!(list.status, StatusCode::FORBIDDEN, "{user}: {}", list.text);
        assert_eq!(list.json()["code"], "forbidden");
        let revoke = app.call(Method::DELETE, &one, Some(&cookie), None).await;
        assert_eq!(
            revoke.status,
            StatusCode::FORBIDDEN,
            "{user}: {}",
            revoke.text
        );
    }
    assert_eq!(
        app.call(Method::DELETE, &one, None, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let unknown = format!("{}/{}", invitations(DESIGN_101), speaker_id + 1_000_000);
    let reply = app
        .call(Method::DELETE, &unknown, Some(&teacher), None)
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.text);
    let other_room = format!("{}/{speaker_id}", invitations(VIDEO_PRODUCTION));
    let reply = app
        .call(Method::DELETE, &other_room, Some(&teacher), None)
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "another room's link");
    assert!(store
        .check_invitation(DESIGN_101, &speaker_token)
        .await
        .is_ok());

    let mut changes = store.changes();
    let revoked = app.call(Method::DELETE, &one, Some(&teacher), None).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.text);
    assert_eq!(
        changes.recv().await.unwrap(),
        store::Change::InvitationRevoked {
            container_id: DESIGN_101
        }
    );
    let refused = store.check_invitation(DESIGN_101, &speaker_token).await;
    assert!(
        matches!(refused, Err(store::Error::Forbidden(_))),
        "{refused:?}"
    );
    assert_eq!(
        app.call(Method::DELETE, &one, Some(&teacher), None)
            .await
            .status,
        StatusCode::NO_CONTENT,
        "revoking again changes nothing"
    );
    assert!(changes.try_recv().is_err(), "and announces nothing");

    let left = app
        .get(&invitations(DESIGN_101), Some(&teacher))
        .await
        .json();
    let left = left.as_array().unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["id"], moderator["id"]);
    assert_eq!(
        store
            .check_invitation(DESIGN_101, &token(&moderator))
            .await
            .unwrap(),
        domain::api::InviteRole::Moderator,
        "other links still work"
    );
}

async fn moderator_links_live_at_most_a_day(app: TestApp) {
    let teacher = app.login("teacher").await;
    enable_room(&app, &teacher, DESIGN_101).await;
    for (role, hours, status) in [
        ("moderator", 25, StatusCode::UNPROCESSABLE_ENTITY),
        ("moderator", 24, StatusCode::CREATED),
        ("speaker", 168, StatusCode::CREATED),
        ("speaker", 169, StatusCode::UNPROCESSABLE_ENTITY),
        ("speaker", 0, StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let reply = create(&app, &teacher, json!({"role": role, "valid_hours": hours})).await;
        assert_eq!(reply.status, status, "{role} for {hours} h: {}", reply.text);
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            assert_eq!(reply.json()["code"], "invalid");
        } else {
            let link = reply.json();
            let expires = link["expires_at"].as_i64().unwrap();
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64;
            assert!((expires - now - hours * 3600).abs() < 60, "{link}");
        }
    }
    let listed = app
        .get(&invitations(DESIGN_101), Some(&teacher))
        .await
        .json();
    assert_eq!(
        listed.as_array().unwrap().len(),
        2,
        "refused links are not made"
    );
}

async fn tampered_tokens_are_refused(app: TestApp) {
    let store = &app.state.store;
    let teacher = app.login("teacher").await;
    enable_room(&app, &teacher, DESIGN_101).await;
    let speaker = create(&app, &teacher, json!({"role": "speaker"}))
        .await
        .json();
    let token = token(&speaker);
    let (claims, signature) = token.rsplit_once('.').unwrap();
    let parts: Vec<&str> = claims.split('.').collect();
    assert_eq!(parts.len(), 4, "{token}");
    let moderator = format!(
        "{}.moderator.{}.{}.{signature}",
        parts[0], parts[2], parts[3]
    );
    let other_id = format!(
        "{}.{}.{}.{}.{signature}",
        parts[0],
        parts[1],
        parts[2].parse::<i64>().unwrap() + 1,
        parts[3]
    );
    for forged in [
        moderator,
        other_id,
        format!("{claims}.00"),
        "1.speaker.1.1".into(),
    ] {
        assert!(
            store.check_invitation(DESIGN_101, &forged).await.is_err(),
            "{forged}"
        );
    }
    assert!(store
        .check_invitation(VIDEO_PRODUCTION, &token)
        .await
        .is_err());
    assert!(store.check_invitation(DESIGN_101, &token).await.is_ok());
}

on_both_databases!(
    moderators_list_and_revoke_links_and_others_may_not,
    moderator_links_live_at_most_a_day,
    tampered_tokens_are_refused,
);
