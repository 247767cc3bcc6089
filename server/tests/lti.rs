//! LTI 1.3 against a test platform on a loopback port (its keys made here): launches land on
//! the course gallery with the course role, every refusal changes nothing, the framed case
//! continues once in a new window, deep-linking responses verify with the tool's published
//! keys, and the roster follows the LMS. On SQLite and (when configured) PostgreSQL.

mod common;
#[path = "common/lti_platform.rs"]
mod lti_platform;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{Reply, TestApp};
use lti_platform::{TestPlatform, CLAIM, CLIENT_ID};
use serde_json::json;

/// The login initiation's answer: the state and nonce the tool issued, and its state cookie
/// (as a `Cookie` header sends it, and the whole `Set-Cookie` line).
struct Login {
    state: String,
    nonce: String,
    cookie: String,
    set_cookie: String,
}

impl Login {
    /// The state cookie's name.
    fn cookie_name(&self) -> &str {
        self.cookie.split_once('=').unwrap().0
    }
}

async fn register(app: &TestApp, platform: &TestPlatform) -> i64 {
    register_as(app, platform.registration()).await
}

async fn register_as(app: &TestApp, registration: serde_json::Value) -> i64 {
    let admin = app.login("admin").await;
    let reply = app
        .call(
            Method::POST,
            "/api/lti/platforms",
            Some(&admin),
            Some(registration),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.json()["id"].as_i64().unwrap()
}

async fn start(app: &TestApp) -> TestPlatform {
    let platform = TestPlatform::start().await;
    register(app, &platform).await;
    platform
}

/// The platform's login initiation, as the browser follows it to the tool.
fn login_request(platform: &TestPlatform) -> Request<Body> {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("iss", &platform.issuer)
        .append_pair("login_hint", "hint-1")
        .append_pair("target_link_uri", "http://localhost/lti/launch")
        .append_pair("client_id", CLIENT_ID)
        .finish();
    Request::get(format!("/lti/login?{query}"))
        .header(header::HOST, "localhost")
        .body(Body::empty())
        .unwrap()
}

/// What the tool's answer to a login initiation (a redirect to the platform) carries.
fn login_from(headers: &axum::http::HeaderMap, platform: &TestPlatform) -> (Login, url::Url) {
    let location = headers[header::LOCATION].to_str().unwrap();
    let location = url::Url::parse(location).unwrap();
    assert!(location
        .as_str()
        .starts_with(&format!("{}/auth?", platform.base)));
    let param = |name: &str| {
        location
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no {name} in {location}"))
    };
    assert_eq!(param("client_id"), CLIENT_ID);
    let set_cookie = headers[header::SET_COOKIE].to_str().unwrap().to_string();
    let login = Login {
        state: param("state"),
        nonce: param("nonce"),
        cookie: set_cookie.split(';').next().unwrap().to_string(),
        set_cookie,
    };
    (login, location)
}

async fn login(app: &TestApp, platform: &TestPlatform) -> Login {
    let reply = app.send(login_request(platform)).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
    let (login, location) = login_from(&reply.headers, platform);
    let redirect_uri = location
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.into_owned());
    assert_eq!(redirect_uri.as_deref(), Some("http://localhost/lti/launch"));
    login
}

/// The platform's form post of the id_token, as a browser sends it from the LMS's site.
async fn post_launch(
    app: &TestApp,
    token: &str,
    state: &str,
    cookie: Option<&str>,
    dest: &str,
) -> Reply {
    app.send(launch_request(token, state, cookie, dest)).await
}

fn launch_request(token: &str, state: &str, cookie: Option<&str>, dest: &str) -> Request<Body> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("id_token", token)
        .append_pair("state", state)
        .finish();
    let mut request = Request::post("/lti/launch")
        .header(header::HOST, "localhost")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .header("sec-fetch-dest", dest);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::from(body)).unwrap()
}

/// A full launch of `sub` as `role`: the reply (a redirect when it worked).
async fn launch_as(app: &TestApp, platform: &TestPlatform, sub: &str, role: &str) -> Reply {
    let login = login(app, platform).await;
    let token = platform.sign(&platform.claims(&login.nonce, sub, role));
    post_launch(app, &token, &login.state, Some(&login.cookie), "document").await
}

fn session_of(reply: &Reply) -> String {
    reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("mr_session="))
        .expect("a session cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

/// Users, containers, grants, the LMS identities and courses, and how many sessions there
/// are, as text: compared before and after a refusal.
async fn tables(app: &TestApp) -> Vec<String> {
    let queries = [
        "SELECT id || ':' || username || ':' || display_name FROM users ORDER BY id",
        "SELECT id || ':' || title || ':' || COALESCE(course_id, '') FROM containers ORDER BY id",
        "SELECT container_id || ':' || principal_kind || ':' || principal_id || ':' || role FROM container_grants \
         ORDER BY container_id, principal_kind, principal_id",
        "SELECT issuer || ':' || subject || ':' || user_id || ':' || COALESCE(email, '') FROM lti_identities \
         ORDER BY issuer, subject",
        "SELECT container_id || ':' || COALESCE(CAST(platform_id AS TEXT), '') || ':' || issuer || ':' || context_id \
         || ':' || COALESCE(memberships_url, '') FROM lti_contexts ORDER BY container_id",
        "SELECT 'sessions: ' || COUNT(*) FROM sessions",
    ];
    let mut rows = Vec::new();
    for sql in queries {
        rows.extend(texts(app, sql).await);
    }
    rows
}

/// The rows of a query of one text column.
async fn texts(app: &TestApp, sql: &str) -> Vec<String> {
    let found: Vec<(String,)> = match app.state.store.db() {
        store::Db::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await.unwrap(),
        store::Db::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await.unwrap(),
    };
    found.into_iter().map(|(row,)| row).collect()
}

async fn grant_of(app: &TestApp, container_id: i64, sub: &str) -> Option<String> {
    let sql = "SELECT g.role FROM container_grants g JOIN lti_identities i ON i.user_id = g.principal_id \
               WHERE g.container_id = $1 AND g.principal_kind = 'user' AND i.subject = $2";
    let found: Option<(String,)> = match app.state.store.db() {
        store::Db::Sqlite(pool) => sqlx::query_as(sql)
            .bind(container_id)
            .bind(sub)
            .fetch_optional(pool)
            .await
            .unwrap(),
        store::Db::Postgres(pool) => sqlx::query_as(sql)
            .bind(container_id)
            .bind(sub)
            .fetch_optional(pool)
            .await
            .unwrap(),
    };
    found.map(|(role,)| role)
}

fn gallery_of(reply: &Reply) -> i64 {
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
    let location = reply.headers[header::LOCATION].to_str().unwrap();
    location
        .strip_prefix("/galleries/")
        .unwrap_or_else(|| panic!("not a gallery: {location}"))
        .parse()
        .unwrap()
}

async fn instructor_and_learner_land_on_the_course_gallery_with_their_roles(app: TestApp) {
    let platform = start(&app).await;
    let mut changes = app.state.store.changes();
    let instructor = launch_as(&app, &platform, "ines", "Instructor").await;
    let gallery = gallery_of(&instructor);
    let cookie = session_of(&instructor);
    let page = app.get("/api/me", Some(&cookie)).await;
    assert_eq!(page.json()["name"], "Person ines");
    let listed = app.get("/api/containers", Some(&cookie)).await.json();
    let course = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == gallery)
        .expect("listed");
    assert_eq!(course["title"], "Marine Biology");
    assert_eq!(course["lms"], "moodle");
    assert_eq!(course["my_role"], "manager");
    assert_eq!(
        grant_of(&app, gallery, "ines").await.as_deref(),
        Some("manager")
    );
    let page = app
        .get(&format!("/galleries/{gallery}"), Some(&cookie))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("Marine Biology") && page.text.contains("Configure"));
    let configure = app
        .get(
            &format!("/galleries/{gallery}/configure/meeting-room"),
            Some(&cookie),
        )
        .await;
    assert_eq!(configure.status, StatusCode::OK, "{}", configure.text);
    assert!(
        configure.text.contains("Meeting room"),
        "{}",
        configure.text
    );

    let learner = launch_as(&app, &platform, "leo", "Learner").await;
    assert_eq!(gallery_of(&learner), gallery, "one course, one gallery");
    assert_eq!(
        grant_of(&app, gallery, "leo").await.as_deref(),
        Some("member")
    );
    let leo = session_of(&learner);
    let room = app
        .get(&format!("/api/containers/{gallery}/room"), Some(&leo))
        .await;
    assert_eq!(
        room.status,
        StatusCode::FORBIDDEN,
        "members do not configure"
    );

    // A demoted instructor is a manager no more, and live rooms hear of it.
    while changes.try_recv().is_ok() {}
    let demoted = launch_as(&app, &platform, "ines", "Learner").await;
    assert_eq!(gallery_of(&demoted), gallery);
    assert_eq!(
        grant_of(&app, gallery, "ines").await.as_deref(),
        Some("member")
    );
    let change = tokio::time::timeout(std::time::Duration::from_secs(5), changes.recv()).await;
    assert!(
        matches!(change, Ok(Ok(store::Change::Membership { .. }))),
        "{change:?}"
    );

    // Users made by a launch have no password that works.
    let username = format!(
        "lti-{}-ines",
        app.get("/api/lti/platforms", Some(&app.login("admin").await))
            .await
            .json()[0]["id"]
    );
    for password in ["", "!lti", "demo"] {
        let refused = app
            .call(
                Method::POST,
                "/api/session",
                None,
                Some(json!({"username": username, "password": password})),
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{password:?}");
    }
}

async fn a_launch_into_the_room_lands_there_once_it_is_enabled(app: TestApp) {
    let platform = start(&app).await;
    let room_link = |nonce: &str| {
        let mut claims = platform.claims(nonce, "ines", "Instructor");
        claims[format!("{CLAIM}custom")] = json!({"target": "room"});
        claims
    };
    let login_one = login(&app, &platform).await;
    let first = post_launch(
        &app,
        &platform.sign(&room_link(&login_one.nonce)),
        &login_one.state,
        Some(&login_one.cookie),
        "document",
    )
    .await;
    let gallery = gallery_of(&first);
    let cookie = session_of(&first);
    let saved = app
        .call(
            Method::PUT,
            &format!("/api/containers/{gallery}/room"),
            Some(&cookie),
            Some(json!({"enabled": true, "mode": "interactive", "room_moderators": [], "chat_moderators": [], "qna": "site_default", "group_chat": true})),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    let login_two = login(&app, &platform).await;
    let second = post_launch(
        &app,
        &platform.sign(&room_link(&login_two.nonce)),
        &login_two.state,
        Some(&login_two.cookie),
        "document",
    )
    .await;
    assert_eq!(
        second.headers[header::LOCATION],
        format!("/rooms/{gallery}")
    );
}

#[path = "lti/more.rs"]
mod more;
use more::*;
#[path = "lti/refusals.rs"]
mod refusals;
use refusals::*;
#[path = "lti/admin.rs"]
mod admin;
use admin::*;

on_both_databases!(
    instructor_and_learner_land_on_the_course_gallery_with_their_roles,
    a_launch_into_the_room_lands_there_once_it_is_enabled,
    every_refusal_names_the_fault_and_changes_nothing,
    framed_launches_continue_once_in_a_new_window,
    deep_linking_returns_a_signed_resource_link,
    the_roster_is_synced_over_pages_and_follows_removals,
    platforms_are_managed_by_site_admins_only,
    a_rotated_platform_key_is_fetched_on_its_first_use,
    the_admin_page_shows_the_urls_to_paste_to_site_admins_only,
    state_cookies_are_one_per_login_http_only_short_lived_and_cross_site_only_over_https,
    a_state_cookie_of_another_launch_is_refused,
    refusals_after_a_successful_launch_change_nothing,
    expired_states_nonces_and_tickets_are_purged,
    keys_that_never_come_are_refused_in_time_without_holding_up_other_platforms,
    roster_services_are_reached_over_https_or_loopback_and_on_one_origin_only,
    a_re_registered_lms_finds_its_courses_galleries_again,
);
