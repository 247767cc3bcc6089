//! A server on a real port for the bots, with the demo data on a fresh SQLite database.
#![allow(dead_code)] // each test file uses its part

pub mod raw;

use std::time::Duration;

use loadtest::{sign_in, Bot, BotConfig};
use room::Seat;
use server::{router, AppState, Config};

/// The "Video Production" gallery: teacher manages it, both students are members.
pub const ROOM: i64 = 2;
pub const PATIENCE: Duration = Duration::from_secs(20);

pub struct LiveServer {
    pub base_url: String,
    pub state: AppState,
    _dir: tempfile::TempDir,
}

pub async fn start_server() -> LiveServer {
    serve(tempfile::tempdir().expect("temp dir"), |_| {}).await
}

/// A server whose configuration `adjust` changes first (shorter timeouts, looser limits).
pub async fn start_server_with(adjust: impl FnOnce(&mut Config)) -> LiveServer {
    serve(tempfile::tempdir().expect("temp dir"), adjust).await
}

async fn serve(dir: tempfile::TempDir, adjust: impl FnOnce(&mut Config)) -> LiveServer {
    let url = format!("sqlite://{}/test.db", dir.path().display());
    let mut config = Config::for_tests(url);
    adjust(&mut config);
    let state = AppState::new(&config).await.expect("app state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base_url = format!("http://{}", listener.local_addr().expect("address"));
    let app = router(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    LiveServer {
        base_url,
        state,
        _dir: dir,
    }
}

impl LiveServer {
    /// A new server process on the same database (the old one stops using it).
    pub async fn restart(self) -> LiveServer {
        self.state.store.db().close().await;
        serve(self._dir, |_| {}).await
    }

    /// Enables an Interactive room on [`ROOM`] through the REST API, as its manager.
    pub async fn enable_room(&self) -> String {
        let teacher = sign_in(&self.base_url, "teacher", "demo")
            .await
            .expect("teacher signs in");
        self.set_room_enabled(&teacher, true).await;
        teacher
    }

    pub async fn set_room_enabled(&self, manager: &str, enabled: bool) {
        self.save_room(manager, enabled, serde_json::json!([]))
            .await;
    }

    /// Saves [`ROOM`]'s settings (Interactive, Q&A and group chat on) with these chat
    /// moderators (`[{kind, id}]`).
    pub async fn save_room(
        &self,
        manager: &str,
        enabled: bool,
        chat_moderators: serde_json::Value,
    ) {
        let (status, body) = self
            .call(
                reqwest::Method::PUT,
                &format!("/api/containers/{ROOM}/room"),
                manager,
                Some(serde_json::json!({
                    "enabled": enabled, "mode": "interactive", "room_moderators": [],
                    "chat_moderators": chat_moderators, "qna": "on", "group_chat": true
                })),
            )
            .await;
        assert_eq!(status, 200, "saving the room: {body}");
    }

    /// A REST call as `cookie`'s user: the status and the JSON body (null if none).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        cookie: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut request = reqwest::Client::new()
            .request(method, format!("{}{path}", self.base_url))
            .header("cookie", cookie);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(serde_json::Value::Null);
        (status, body)
    }

    /// The id of the user or group (`kind`: "users" / "groups") whose name contains `name`.
    pub async fn id_of(&self, cookie: &str, kind: &str, name: &str) -> i64 {
        let (_, found) = self
            .call(
                reqwest::Method::GET,
                &format!("/api/{kind}?q={name}"),
                cookie,
                None,
            )
            .await;
        found[0]["id"].as_i64().expect("found by name")
    }

    /// Enables the room and puts its manager (the teacher) on stage, without media.
    pub async fn host(&self) -> (String, Bot) {
        let cookie = self.enable_room().await;
        let bot = Bot::join(self.bot(&cookie, Seat::Stage, false))
            .await
            .expect("the teacher joins");
        (cookie, bot)
    }

    /// Signs `user` in and joins them without media.
    pub async fn join_as(&self, user: &str, seat: Seat) -> (String, Bot) {
        let cookie = sign_in(&self.base_url, user, "demo")
            .await
            .expect("signs in");
        let bot = Bot::join(self.bot(&cookie, seat, false))
            .await
            .expect("joins");
        (cookie, bot)
    }

    /// Joins `cookie`'s user in `seat` with media: publishing on stage, always receiving.
    pub async fn join_with_media(&self, cookie: &str, seat: Seat) -> Bot {
        Bot::join(self.bot(cookie, seat, true))
            .await
            .expect("joins with media")
    }

    pub fn bot(&self, cookie: &str, seat: Seat, media: bool) -> BotConfig {
        BotConfig {
            base_url: self.base_url.clone(),
            cookie: cookie.to_owned(),
            room: ROOM,
            seat,
            media,
            watch: 25,
            invite: None,
        }
    }
}
