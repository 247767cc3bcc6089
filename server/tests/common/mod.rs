//! A running application without a port: requests go through `tower::ServiceExt::oneshot`.
//! Each test gets its own database: a SQLite file in a temp dir, or a new PostgreSQL database
//! on the server named by `TEST_POSTGRES_URL`.

#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::Value;
use server::{router, AppState, Config};
use tower::ServiceExt;

pub struct TestApp {
    pub database_url: String,
    pub router: Router,
    pub state: AppState,
    _dir: Option<tempfile::TempDir>,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl TestApp {
    /// `None` when the backend is PostgreSQL and no test server is configured.
    pub async fn start(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}/test.db", dir.path().display());
                Some(Self::with_url(url, Some(dir)).await)
            }
            Backend::Postgres => {
                let admin_url = std::env::var("TEST_POSTGRES_URL")
                    .ok()
                    .filter(|u| !u.is_empty())?;
                Some(Self::with_url(fresh_postgres_database(&admin_url).await, None).await)
            }
        }
    }

    async fn with_url(database_url: String, dir: Option<tempfile::TempDir>) -> Self {
        let state = AppState::new(&Config::for_tests(database_url.clone()))
            .await
            .expect("app state");
        Self {
            router: router(state.clone()),
            state,
            database_url,
            _dir: dir,
        }
    }

    /// The same database opened by a new process-equivalent: a fresh state and router.
    pub async fn restart(self) -> Self {
        self.state.store.db().close().await;
        let Self {
            database_url, _dir, ..
        } = self;
        Self::with_url(database_url, _dir).await
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible router");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        Reply {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        cookie: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(cookie) = cookie {
            builder = builder.header(header::COOKIE, cookie);
        }
        let body = match body {
            Some(json) => {
                builder = builder.header(header::CONTENT_TYPE, "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        self.send(builder.body(body).expect("request")).await
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Reply {
        self.call(Method::GET, path, cookie, None).await
    }

    /// Signs in as a demo user and returns the `Cookie` header value to send.
    pub async fn login(&self, username: &str) -> String {
        let reply = self
            .call(
                Method::POST,
                "/api/session",
                None,
                Some(serde_json::json!({"username": username, "password": "demo"})),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "login as {username}: {}",
            reply.text
        );
        let set_cookie = reply
            .headers
            .get(header::SET_COOKIE)
            .expect("a session cookie")
            .to_str()
            .unwrap();
        set_cookie.split(';').next().unwrap().to_string()
    }
}

async fn fresh_postgres_database(admin_url: &str) -> String {
    use sqlx::Connection;
    let name = format!("test_{}_{}", std::process::id(), rand_suffix());
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .expect("connect to TEST_POSTGRES_URL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    conn.close().await.ok();
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("TEST_POSTGRES_URL ends in /database");
    format!("{base}/{name}")
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{nanos}_{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// One application instance at a time in this process. With several instances rendering
/// pages at once (only tests make more than one), about one run in four had a page render
/// that never woke up (5 of 20 runs, on both databases); one at a time: 0 of 20. One server
/// under 2,400 concurrent mixed page requests answered every one, so this guards the
/// harness, not the product.
static ONE_APP_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs a test alone (see `ONE_APP_AT_A_TIME`); a hung test fails with its name after a
/// minute instead of stalling the whole run. Healthy tests finish in well under a second.
pub async fn within_time_limit(test: impl std::future::Future<Output = ()>) {
    const LIMIT: std::time::Duration = std::time::Duration::from_secs(60);
    let _alone = ONE_APP_AT_A_TIME.lock().await;
    if tokio::time::timeout(LIMIT, test).await.is_err() {
        panic!("test did not finish within {LIMIT:?}: something never woke up");
    }
}

/// Declares `<name>_sqlite` and `<name>_postgres` tests running the same async body.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::common::within_time_limit(async {
                        let app = $crate::common::TestApp::start($crate::common::Backend::Sqlite).await.unwrap();
                        super::$name(app).await;
                    })
                    .await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::common::within_time_limit(async {
                        match $crate::common::TestApp::start($crate::common::Backend::Postgres).await {
                            Some(app) => super::$name(app).await,
                            None => eprintln!("TEST_POSTGRES_URL is not set: PostgreSQL run of {} skipped", stringify!($name)),
                        }
                    })
                    .await;
                }
            )*
        }
    };
}
