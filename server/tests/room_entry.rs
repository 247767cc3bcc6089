//! The room as a media entry of its gallery: made once when first enabled, its owner and
//! co-editors host the room, moderators on its Roles & permissions tab moderate it (and still
//! cannot edit it); the media page for members only; a recording's status on the page; past
//! sessions and their transcripts filtered by rights; the page's change events.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::TestApp;
use domain::api::RoomEntry;
use domain::media::{MediaKind, RecordingStatus};
use domain::ContainerKind;
use http_body_util::BodyExt;
use room::ChatChannel;
use serde_json::{json, Value};
use store::{Db, Store, Viewer};

/// "Video Production": teacher (2) manages it, the "Design 101 students" group are members.
const GALLERY: i64 = 2;
const TEACHER: i64 = 2;
const TA: i64 = 3;
const STUDENT: i64 = 4;
const STUDENT2: i64 = 5;

async fn save_room(app: &TestApp, cookie: &str, enabled: bool) -> common::Reply {
    let body = json!({"enabled": enabled, "mode": "interactive", "room_moderators": [],
                      "chat_moderators": [], "qna": "on", "group_chat": true});
    let path = format!("/api/containers/{GALLERY}/room");
    app.call(Method::PUT, &path, Some(cookie), Some(body)).await
}

async fn viewer(store: &Store, id: i64) -> Viewer {
    store.viewer_by_id(id).await.unwrap().expect("a demo user")
}

/// The gallery's room entries as the teacher's Media tab lists them.
async fn room_entries(store: &Store) -> Vec<domain::api::MediaEntry> {
    let teacher = viewer(store, TEACHER).await;
    let page = store
        .container_page(&teacher, ContainerKind::Gallery, GALLERY)
        .await
        .unwrap();
    page.media
        .into_iter()
        .filter(|m| m.kind == MediaKind::Room)
        .collect()
}

async fn entry_for(store: &Store, user: i64) -> store::Result<RoomEntry> {
    store
        .room_entry(&viewer(store, user).await, GALLERY, None)
        .await
}

/// Test fixtures the product has no API for (co-editors, recordings made by part A's
/// recorder), written as rows on either database.
async fn execute(store: &Store, sql: &str, binds: &[i64]) {
    match store.db() {
        Db::Sqlite(pool) => {
            let mut query = sqlx::query(sql);
            for bind in binds {
                query = query.bind(bind);
            }
            query.execute(pool).await.unwrap();
        }
        Db::Postgres(pool) => {
            let mut query = sqlx::query(sql);
            for bind in binds {
                query = query.bind(bind);
            }
            query.execute(pool).await.unwrap();
        }
    }
}

async fn enabling_makes_the_room_an_entry_once(app: TestApp) {
    let teacher = app.login("teacher").await;
    assert!(room_entries(&app.state.store).await.is_empty());
    for enabled in [true, false, true] {
        assert_eq!(
            save_room(&app, &teacher, enabled).await.status,
            StatusCode::OK
        );
    }
    let entries = room_entries(&app.state.store).await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = &entries[0];
    assert_eq!(entry.title, "Video Production — Meeting room");
    assert_eq!(entry.owner.id, TEACHER);
    // First in the list: the room is what people come to the page for.
    let teacher_viewer = viewer(&app.state.store, TEACHER).await;
    let page = app
        .state
        .store
        .container_page(&teacher_viewer, ContainerKind::Gallery, GALLERY)
        .await
        .unwrap();
    assert_eq!(page.media[0].id, entry.id);

    let student = app.login("student").await;
    let media = app
        .get(&format!("/api/media/{}", entry.id), Some(&student))
        .await;
    assert_eq!(media.status, StatusCode::OK, "{}", media.text);
    assert_eq!(media.json()["kind"], "room");
    assert_eq!(media.json()["room_path"], format!("/rooms/{GALLERY}"));
}

async fn owner_and_co_editors_host_and_entry_moderators_moderate(app: TestApp) {
    let teacher = app.login("teacher").await;
    assert_eq!(save_room(&app, &teacher, true).await.status, StatusCode::OK);
    let store = &app.state.store;
    let entry = room_entries(store).await[0].id;
    // The ta is no member of the gallery: as the entry's co-editor they host its room.
    assert!(entry_for(store, TA).await.is_err());
    execute(
        store,
        "INSERT INTO media_collaborators (media_id, user_id, role) VALUES ($1, $2, 'co_editor')",
        &[entry, TA],
    )
    .await;
    let ta = entry_for(store, TA).await.unwrap();
    assert!(ta.rights.room_moderator && ta.rights.chat_moderator);

    let plain = entry_for(store, STUDENT).await.unwrap();
    assert!(!plain.rights.room_moderator && !plain.rights.chat_moderator);
    let add = |id: i64, room: bool, chat: bool| json!({"principals": [{"kind": "user", "id": id}], "room_moderator": room, "chat_moderator": chat});
    let path = format!("/api/media/{entry}/moderators");
    let added = app
        .call(
            Method::POST,
            &path,
            Some(&teacher),
            Some(add(STUDENT, false, true)),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text);
    let chat_only = entry_for(store, STUDENT).await.unwrap();
    assert!(chat_only.rights.chat_moderator && !chat_only.rights.room_moderator);
    // Moderators still cannot open the entry's edit page.
    let student = app.login("student").await;
    let roles = app
        .get(&format!("/api/media/{entry}/roles"), Some(&student))
        .await;
    assert_eq!(roles.status, StatusCode::FORBIDDEN);
    let refused = app
        .call(
            Method::POST,
            &path,
            Some(&student),
            Some(add(STUDENT2, true, true)),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        !entry_for(store, STUDENT2)
            .await
            .unwrap()
            .rights
            .room_moderator
    );

    // Moderators of an ordinary video grant nothing in the room.
    let video = app
        .call(
            Method::POST,
            "/api/media/7/moderators",
            Some(&teacher),
            Some(add(STUDENT2, true, true)),
        )
        .await;
    assert_eq!(video.status, StatusCode::OK, "{}", video.text);
    assert!(
        !entry_for(store, STUDENT2)
            .await
            .unwrap()
            .rights
            .room_moderator
    );

    // Bad input changes nothing.
    let neither = app
        .call(
            Method::POST,
            &path,
            Some(&teacher),
            Some(add(STUDENT2, false, false)),
        )
        .await;
    assert_eq!(neither.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        !entry_for(store, STUDENT2)
            .await
            .unwrap()
            .rights
            .chat_moderator
    );
}

async fn the_media_page_is_for_those_who_see_the_gallery(app: TestApp) {
    let student = app.login("student").await;
    let outsider = app.login("outsider").await;
    let ok = app.get("/api/media/7", Some(&student)).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.json()["title"], "Three-point lighting in ten minutes");
    assert_eq!(ok.json()["file_url"], Value::Null, "no recording, no file");
    assert_eq!(
        app.get("/api/media/7", Some(&outsider)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/media/7", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/media/999", Some(&student)).await.status,
        StatusCode::NOT_FOUND
    );
    // Pending media: its owner and the managers only.
    let student2 = app.login("student2").await;
    assert_eq!(
        app.get("/api/media/9", Some(&student2)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/media/9", Some(&student)).await.status,
        StatusCode::OK
    );
    // The rendered page refuses the same way (the server checks, not the UI).
    let page = app.get("/media/7", Some(&outsider)).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(!page.text.contains("Three-point lighting"));
    let page = app.get("/media/7", Some(&student)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("Three-point lighting"));
}

/// A recording row as part A's recorder writes it, for media entry `id`.
async fn recording_fixture(store: &Store, id: i64, opened_at: i64, status: &str) {
    execute(
        store,
        "INSERT INTO media_entries (id, container_id, title, duration_secs, thumbnail_url, owner_id, status, created_at) \
         VALUES ($1, $2, 'Video Production — test recording', 0, '/media/' || CAST($1 AS TEXT) || '/thumbnail', $3, 'approved', $4)",
        &[id, GALLERY, TEACHER, opened_at],
    )
    .await;
    execute(
        store,
        &format!(
            "INSERT INTO recordings (media_id, container_id, session_opened_at, status, file_name, started_by, started_at) \
             VALUES ($1, $2, $3, '{status}', 'test.webm', $4, $3)"
        ),
        &[id, GALLERY, opened_at, TEACHER],
    )
    .await;
}

async fn recordings_show_their_status_and_play_once_ready(app: TestApp) {
    let store = &app.state.store;
    recording_fixture(store, 5_000, 1_000, "processing").await;
    let student = app.login("student").await;
    let page = app.get("/api/media/5000", Some(&student)).await.json();
    assert_eq!(page["recording"], "processing");
    assert_eq!(page["file_url"], Value::Null);
    assert_eq!(page["thumbnail_url"], Value::Null);
    let listed = |status: Option<RecordingStatus>| async move {
        let student = viewer(store, STUDENT).await;
        let page = store
            .container_page(&student, ContainerKind::Gallery, GALLERY)
            .await
            .unwrap();
        let entry = page.media.iter().find(|m| m.id == 5_000).cloned();
        assert_eq!(entry.map(|m| m.recording), status.map(Some));
    };
    listed(Some(RecordingStatus::Processing)).await;

    execute(
        store,
        "UPDATE recordings SET status = 'recovered' WHERE media_id = $1",
        &[5_000],
    )
    .await;
    let page = app.get("/api/media/5000", Some(&student)).await.json();
    assert_eq!(page["recording"], "recovered");
    assert_eq!(page["file_url"], "/media/5000/file");
    listed(Some(RecordingStatus::Recovered)).await;
    let html = app.get("/media/5000", Some(&student)).await;
    assert!(
        html.text.contains(r#"src="/media/5000/file""#),
        "{}",
        html.text
    );
    assert!(html
        .text
        .contains(r#"aria-label="Play Video Production — test recording""#));

    // A failed recording is for its owner and the managers only.
    execute(
        store,
        "UPDATE recordings SET status = 'failed' WHERE media_id = $1",
        &[5_000],
    )
    .await;
    assert_eq!(
        app.get("/api/media/5000", Some(&student)).await.status,
        StatusCode::NOT_FOUND
    );
    listed(None).await;
}

async fn past_sessions_and_transcripts_follow_rights(app: TestApp) {
    let teacher_cookie = app.login("teacher").await;
    assert_eq!(
        save_room(&app, &teacher_cookie, true).await.status,
        StatusCode::OK
    );
    let store = &app.state.store;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let opened_at = now - 60;
    store.open_live_session(GALLERY, opened_at).await.unwrap();
    for user in [TEACHER, STUDENT, STUDENT, STUDENT2] {
        store
            .record_session_participant(GALLERY, opened_at, user)
            .await
            .unwrap();
    }
    store
        .post_chat(GALLERY, ChatChannel::Group, STUDENT, "Sam", "hello all")
        .await
        .unwrap();
    let gone = store
        .post_chat(GALLERY, ChatChannel::Group, STUDENT2, "Sky", "rude")
        .await
        .unwrap();
    store.delete_chat(GALLERY, gone.id).await.unwrap();
    store
        .post_chat(
            GALLERY,
            ChatChannel::Backchannel,
            TEACHER,
            "Tess",
            "mods only",
        )
        .await
        .unwrap();
    store
        .ask_question(GALLERY, STUDENT, "Sam", "my question")
        .await
        .unwrap();
    store
        .ask_question(GALLERY, STUDENT2, "Sky", "their private question")
        .await
        .unwrap();
    let public = store
        .ask_question(GALLERY, STUDENT2, "Sky", "published one")
        .await
        .unwrap();
    store
        .mark_question(GALLERY, public.id, true, false)
        .await
        .unwrap();
    recording_fixture(store, 6_000, opened_at, "ready").await;
    store.close_live_session(GALLERY).await.unwrap();
    // Closing again (the room switched off afterwards) writes nothing more.
    store.close_live_session(GALLERY).await.unwrap();

    let teacher = viewer(store, TEACHER).await;
    let list = store.past_sessions(&teacher, GALLERY).await.unwrap();
    assert!(list.moderator);
    assert_eq!(list.sessions.len(), 1);
    let session = &list.sessions[0];
    assert_eq!((session.opened_at, session.participants), (opened_at, 3));
    assert!(session.closed_at >= now);
    assert_eq!(session.recordings.len(), 1);
    assert_eq!(session.recordings[0].media_id, 6_000);

    let full = store
        .session_transcript(&teacher, GALLERY, session.id)
        .await
        .unwrap();
    let texts = |lines: &[domain::media::TranscriptLine]| -> Vec<String> {
        lines.iter().map(|l| l.text.clone()).collect()
    };
    assert_eq!(texts(&full.group_chat), ["hello all", "rude"]);
    assert!(full.group_chat[1].deleted);
    assert_eq!(texts(full.backchannel.as_deref().unwrap()), ["mods only"]);
    assert_eq!(full.questions.len(), 3);

    let student = viewer(store, STUDENT).await;
    let list = store.past_sessions(&student, GALLERY).await.unwrap();
    assert!(!list.moderator);
    let seen = store
        .session_transcript(&student, GALLERY, session.id)
        .await
        .unwrap();
    assert_eq!(texts(&seen.group_chat), ["hello all"]);
    assert_eq!(seen.backchannel, None);
    let questions: Vec<&str> = seen.questions.iter().map(|q| q.text.as_str()).collect();
    assert_eq!(
        questions,
        ["my question", "published one"],
        "not another's unpublished one"
    );

    // Over HTTP: the outsider is refused, an unknown session is not found.
    let outsider = app.login("outsider").await;
    let path = format!("/api/containers/{GALLERY}/sessions");
    assert_eq!(
        app.get(&path, Some(&outsider)).await.status,
        StatusCode::FORBIDDEN
    );
    let one = format!("{path}/{}", session.id);
    assert_eq!(
        app.get(&one, Some(&outsider)).await.status,
        StatusCode::FORBIDDEN
    );
    let student_cookie = app.login("student").await;
    let reply = app.get(&one, Some(&student_cookie)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["backchannel"], Value::Null);
    // The rendered session page shows the same, refuses the same.
    let page = format!("/galleries/{GALLERY}/sessions/{}", session.id);
    let html = app.get(&page, Some(&student_cookie)).await;
    assert_eq!(html.status, StatusCode::OK);
    assert!(html.text.contains("hello all") && !html.text.contains("mods only"));
    let html = app.get(&page, Some(&teacher_cookie)).await;
    assert!(html.text.contains("mods only") && html.text.contains("Backchannel"));
    assert_eq!(
        app.get(&page, Some(&outsider)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&format!("{path}/1"), Some(&student_cookie))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// The next event of a stream: its text, within a bound.
async fn next_event(body: &mut Body) -> String {
    let within = std::time::Duration::from_secs(10);
    loop {
        let frame = tokio::time::timeout(within, body.frame())
            .await
            .expect("an event within 10 s")
            .expect("the stream goes on")
            .expect("a frame");
        if let Ok(data) = frame.into_data() {
            let text = String::from_utf8_lossy(&data).into_owned();
            // Keep-alive comments are not events.
            if !text.starts_with(':') {
                return text;
            }
        }
    }
}

async fn the_page_hears_of_changes_and_outsiders_do_not(app: TestApp) {
    let outsider = app.login("outsider").await;
    let refused = app
        .get(
            &format!("/api/containers/{GALLERY}/events"),
            Some(&outsider),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let student = app.login("student").await;
    let request = Request::get(format!("/api/containers/{GALLERY}/events"))
        .header(header::COOKIE, &student)
        .body(Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(app.router.clone(), request)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/event-stream"
    );
    let mut body = response.into_body();
    assert!(next_event(&mut body).await.contains("event: ready"));

    // Another container's change is not this page's business (it would arrive first, as
    // "room"); this one's is: its room entry was made ("content"), then its settings ("room").
    let teacher = app.login("teacher").await;
    let other = json!({"enabled": false, "mode": "interactive", "room_moderators": [],
                       "chat_moderators": [], "qna": "on", "group_chat": true});
    let saved = app
        .call(
            Method::PUT,
            "/api/containers/1/room",
            Some(&teacher),
            Some(other),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK);
    assert_eq!(save_room(&app, &teacher, true).await.status, StatusCode::OK);
    let first = next_event(&mut body).await;
    assert!(
        first.contains("event: changed\ndata: content\n"),
        "{first:?}"
    );
    let second = next_event(&mut body).await;
    assert!(
        second.contains("event: changed\ndata: room\n"),
        "{second:?}"
    );
}

on_both_databases!(
    enabling_makes_the_room_an_entry_once,
    owner_and_co_editors_host_and_entry_moderators_moderate,
    the_media_page_is_for_those_who_see_the_gallery,
    recordings_show_their_status_and_play_once_ready,
    past_sessions_and_transcripts_follow_rights,
    the_page_hears_of_changes_and_outsiders_do_not,
);

/// Rooms switched on before rooms were entries get theirs from the migration: owned by who
/// saved the tab, else a manager named directly, else a site admin; switched-off rooms none.
#[tokio::test]
async fn the_migration_makes_entries_of_rooms_already_enabled() {
    use sqlx::migrate::Migrator;
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
    use std::str::FromStr;

    const ROOM_ENTRIES: i64 = 20261202000020;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/old.db", dir.path().display());
    let options = SqliteConnectOptions::from_str(&url)
        .unwrap()
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = SqlitePool::connect_with(options).await.unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../store/migrations");
    let mut before = Migrator::new(path.as_path()).await.unwrap();
    let earlier: Vec<_> = before
        .migrations
        .iter()
        .filter(|m| m.version < ROOM_ENTRIES)
        .cloned()
        .collect();
    before.migrations = earlier.into();
    before.run(&pool).await.unwrap();
    for sql in [
        "INSERT INTO users (id, username, display_name, password_hash, site_admin) VALUES \
         (1, 'manager', 'Manager', 'x', FALSE), (2, 'admin', 'Admin', 'x', TRUE), (3, 'saver', 'Saver', 'x', FALSE)",
        "INSERT INTO containers (id, kind, title, lms, course_id, privacy) VALUES \
         (10, 'gallery', 'Saved', 'moodle', 'A', NULL), (11, 'channel', 'Managed', NULL, NULL, 'open'), \
         (12, 'gallery', 'Orphan', 'moodle', 'B', NULL), (13, 'gallery', 'Off', 'moodle', 'C', NULL)",
        "INSERT INTO container_grants (container_id, principal_kind, principal_id, role) VALUES (11, 'user', 1, 'manager')",
        "INSERT INTO room_settings (container_id, enabled, updated_at, updated_by) VALUES \
         (10, TRUE, 100, 3), (11, TRUE, 100, NULL), (12, TRUE, 100, NULL), (13, FALSE, 100, 1)",
        "INSERT INTO media_entries (id, container_id, title, owner_id, status, created_at) VALUES \
         (500, 10, 'An upload', 1, 'approved', 1)",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    Migrator::new(path.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    let rooms: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        "SELECT id, container_id, owner_id, title FROM media_entries WHERE kind = 'room' ORDER BY container_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let owners: Vec<(i64, i64, &str)> = rooms
        .iter()
        .map(|(_, container, owner, title)| (*container, *owner, title.as_str()))
        .collect();
    assert_eq!(
        owners,
        [
            (10, 3, "Saved — Meeting room"),
            (11, 1, "Managed — Meeting room"),
            (12, 2, "Orphan — Meeting room")
        ]
    );
    assert!(rooms.iter().all(|(id, ..)| *id > 500));
    let (upload,): (String,) = sqlx::query_as("SELECT kind FROM media_entries WHERE id = 500")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(upload, "video");
}
