//! What a hostile client gets out of signing in and the directory: limits on guessing
//! passwords (per account and address, over a real socket so the client's address is the
//! peer's), a bounded cost for a burst of sign-ins, and the user and group search only for
//! those who pick moderators. On SQLite and (when configured) PostgreSQL.

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use axum::http::StatusCode;
use common::TestApp;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Serves the app on 127.0.0.1 with the peer's address as `ConnectInfo`, as `main` does.
async fn listen(app: &TestApp) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let service = app
        .router
        .clone()
        .into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await });
    address
}

struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// One HTTP/1.1 POST from the loopback address `from` (any of 127.0.0.0/8 reaches the server
/// on 127.0.0.1), so each test picks the client addresses the limits see.
async fn post(
    server: SocketAddr,
    from: Ipv4Addr,
    path: &str,
    content_type: &str,
    body: &str,
) -> Answer {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::from((from, 0)))
        .expect("bind the client's address");
    let mut stream = socket.connect(server).await.expect("connect");
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {server}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("receive");
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").expect("a complete answer");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    Answer {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

async fn sign_in(server: SocketAddr, from: Ipv4Addr, username: &str, password: &str) -> Answer {
    let body = json!({"username": username, "password": password}).to_string();
    post(server, from, "/api/session", "application/json", &body).await
}

/// The app's `login` server function, as the sign-in page's form posts it.
async fn sign_in_by_form(
    server: SocketAddr,
    from: Ipv4Addr,
    username: &str,
    password: &str,
) -> Answer {
    let body = format!("username={username}&password={password}");
    post(
        server,
        from,
        "/_fn/login",
        "application/x-www-form-urlencoded",
        &body,
    )
    .await
}

const HERE: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);
const ELSEWHERE: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 3);

async fn the_eleventh_wrong_password_waits_but_the_owner_signs_in_elsewhere(app: TestApp) {
    let server = listen(&app).await;
    for attempt in 1..=store::FAILURES_PER_ACCOUNT_AND_ADDRESS {
        let wrong = sign_in(server, HERE, "teacher", "guess").await;
        assert_eq!(wrong.status, 401, "attempt {attempt}: {}", wrong.body);
        assert_eq!(wrong.json()["code"], "bad_credentials");
    }
    let limited = sign_in(server, HERE, "teacher", "guess").await;
    assert_eq!(limited.status, 429, "{}", limited.body);
    assert_eq!(limited.json()["code"], "rate_limited");
    let retry_after: u64 = limited
        .header("retry-after")
        .expect("a Retry-After header")
        .parse()
        .expect("whole seconds");
    // 10 per minute: the next one is due 6 s after the burst.
    assert!((1..=6).contains(&retry_after), "Retry-After: {retry_after}");

    let right_password = sign_in(server, HERE, "teacher", "demo").await;
    assert_eq!(
        right_password.status, 429,
        "no password is checked while limited"
    );
    let form = sign_in_by_form(server, HERE, "teacher", "demo").await;
    assert_eq!(
        form.status, 429,
        "the sign-in page shares the limit: {}",
        form.body
    );
    assert!(form.header("retry-after").is_some());

    let owner = sign_in(server, ELSEWHERE, "teacher", "demo").await;
    assert_eq!(owner.status, 200, "{}", owner.body);
    assert!(owner
        .header("set-cookie")
        .is_some_and(|c| c.starts_with("mr_session=")));
    assert_eq!(owner.json()["username"], "teacher");
    let by_form = sign_in_by_form(server, ELSEWHERE, "teacher", "demo").await;
    assert!(
        by_form
            .header("set-cookie")
            .is_some_and(|c| c.starts_with("mr_session=")),
        "{} {}",
        by_form.status,
        by_form.head
    );
    let student = sign_in(server, HERE, "student", "demo").await;
    assert_eq!(student.status, 200, "other accounts from the same address");
}

/// Resident memory of this process (the server runs in it), in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line")
}

/// Argon2 takes ~19 MiB per hash. With the cap (`HASHING_PERMITS`, 2, each reusing one
/// buffer) this burst grew RSS by ~20 MiB here (the second buffer; the warm-up made the
/// first); with the cap raised to 50 it grew by ~600 MiB. The bound leaves room for the
/// requests themselves and is far below even four hashes at once without reuse.
const RSS_GROWTH_BOUND_MIB: u64 = 64;

async fn fifty_concurrent_wrong_sign_ins_stay_within_a_memory_bound(app: TestApp) {
    let server = listen(&app).await;
    // Warm up: the first unknown user makes the decoy hash, the first check each thread's heap.
    for (from, user) in [(HERE, "teacher"), (ELSEWHERE, "nobody")] {
        assert_eq!(sign_in(server, from, user, "guess").await.status, 401);
    }
    let baseline = rss_kib();
    let peak = Arc::new(AtomicU64::new(baseline));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        // A thread of its own, so the sampling goes on while the runtime's workers are busy.
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(), Ordering::Relaxed);
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        })
    };
    let users = ["teacher", "student", "ta", "admin", "outsider"];
    let attempts: Vec<_> = (0..50u8)
        .map(|n| {
            // Five addresses, ten attempts each, half for accounts that exist: under every
            // failure limit, so only the hashing cap stands between the burst and memory.
            let from = Ipv4Addr::new(127, 0, 1, 10 + n % 5);
            let user = if n % 2 == 0 {
                users[usize::from(n / 2) % users.len()].to_string()
            } else {
                format!("ghost{n}")
            };
            tokio::spawn(async move { sign_in(server, from, &user, "wrong").await })
        })
        .collect();
    let mut refused = 0;
    let mut busy = 0;
    for attempt in attempts {
        let answer = attempt.await.expect("task");
        match answer.status {
            401 => refused += 1,
            503 => {
                assert_eq!(answer.json()["code"], "busy");
                assert!(answer.header("retry-after").is_some());
                busy += 1;
            }
            other => panic!("{other}: {}", answer.body),
        }
    }
    done.store(true, Ordering::Relaxed);
    sampler.join().expect("sampler");
    let growth_mib = peak.load(Ordering::Relaxed).saturating_sub(baseline) / 1024;
    eprintln!(
        "50 concurrent wrong sign-ins: {refused} checked (401), {busy} refused as busy (503); \
         RSS {} MiB before, peak +{growth_mib} MiB",
        baseline / 1024
    );
    // Hashing and waiting places are always free for the first ones.
    assert!(
        refused >= store::HASHING_PERMITS + store::HASHING_QUEUE,
        "{refused}"
    );
    assert!(
        growth_mib < RSS_GROWTH_BOUND_MIB,
        "RSS grew by {growth_mib} MiB (bound {RSS_GROWTH_BOUND_MIB} MiB)"
    );
}

async fn only_those_who_pick_moderators_search_users_and_groups(app: TestApp) {
    // A student who owns no media (the demo's `student` owns one, "Poster critique", whose
    // Roles & permissions tab she may edit).
    app.state.store.seed_load_users(1).await.expect("load1");
    for (user, allowed) in [
        ("load1", false),
        ("outsider", false),
        ("teacher", true),
        ("admin", true),
        ("ta", true),
        ("student", true),
    ] {
        let cookie = app.login(user).await;
        for path in ["/api/users?q=s", "/api/groups?q=s"] {
            let reply = app.get(path, Some(&cookie)).await;
            if allowed {
                assert_eq!(
                    reply.status,
                    StatusCode::OK,
                    "{user} {path}: {}",
                    reply.text
                );
            } else {
                assert_eq!(reply.status, StatusCode::FORBIDDEN, "{user} {path}");
                assert_eq!(reply.json()["code"], "forbidden");
            }
        }
        // The pickers' server function answers the same.
        let picker = app
            .send(
                axum::http::Request::post("/_fn/search_principals")
                    .header("content-type", "application/json")
                    .header("cookie", &cookie)
                    .body(axum::body::Body::from(r#"{"query":"s"}"#))
                    .unwrap(),
            )
            .await;
        assert_eq!(
            picker.status.is_success(),
            allowed,
            "{user} picker: {} {}",
            picker.status,
            picker.text
        );
    }
}

async fn load_users_sign_in(app: TestApp) {
    let started = std::time::Instant::now();
    assert_eq!(app.state.store.seed_load_users(300).await.unwrap(), 300);
    let took = started.elapsed();
    eprintln!("seeding 300 load users took {took:?}");
    assert!(took < std::time::Duration::from_secs(30), "{took:?}");
    assert_eq!(app.state.store.seed_load_users(300).await.unwrap(), 0);
    for user in ["load1", "load150", "load300"] {
        let cookie = app.login(user).await;
        let containers = app.get("/api/containers", Some(&cookie)).await.json();
        let titles: Vec<&str> = containers
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["title"].as_str().unwrap())
            .collect();
        assert!(titles.contains(&"Faculty Lounge"), "{user}: {titles:?}");
        assert!(titles.contains(&"Design 101"), "{user}: {titles:?}");
    }
}

on_both_databases!(
    the_eleventh_wrong_password_waits_but_the_owner_signs_in_elsewhere,
    fifty_concurrent_wrong_sign_ins_stay_within_a_memory_bound,
    only_those_who_pick_moderators_search_users_and_groups,
    load_users_sign_in,
);
