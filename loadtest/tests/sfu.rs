//! The SFU through a running server, with webrtc-rs participants: an independent WebRTC
//! implementation publishing and subscribing over real UDP on loopback.

mod common;

use loadtest::{sign_in, Bot, BotError, BotStats};
use protocol::{ClientMessage, PublishedTrack, Source};
use room::Seat;

use common::{start_server, PATIENCE};

fn count(counter: &std::sync::atomic::AtomicU64) -> u64 {
    BotStats::get(counter)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_receives_the_stage_and_new_viewers_trigger_a_keyframe() {
    let server = start_server().await;
    let teacher_cookie = server.enable_room().await;
    let student_cookie = sign_in(&server.base_url, "student", "demo").await.unwrap();

    let teacher = server.join_with_media(&teacher_cookie, Seat::Stage).await;
    let viewer = server.join_with_media(&student_cookie, Seat::Viewer).await;
    assert!(
        viewer
            .wait_until(PATIENCE, |s| count(&s.video_packets_in) > 90
                && count(&s.audio_packets_in) > 50)
            .await,
        "forwarded video and audio reach the viewer: {:?}",
        viewer.stats
    );
    assert_eq!(
        viewer
            .stats
            .first_video
            .load(std::sync::atomic::Ordering::Relaxed),
        1,
        "the first video packet forwarded starts a key frame"
    );
    assert_eq!(
        count(&viewer.stats.video_packets_out),
        0,
        "a viewer sends nothing"
    );

    // Another viewer arrives: the SFU asks the publisher for a key frame (a PLI reaches it).
    let requests_before = count(&teacher.stats.keyframe_requests_in);
    let late = server.join_with_media(&student_cookie, Seat::Viewer).await;
    assert!(
        teacher
            .wait_until(PATIENCE, |s| count(&s.keyframe_requests_in)
                > requests_before)
            .await,
        "the publisher was asked for a key frame"
    );
    assert!(
        late.wait_until(PATIENCE, |s| count(&s.keyframes_in) > 0)
            .await
    );
    assert_eq!(
        late.stats
            .first_video
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );

    let sfu = server.state.hub.sfu().stats().await.unwrap();
    assert!(
        sfu.packets_forwarded > 0 && sfu.keyframe_requests > 0,
        "{sfu:?}"
    );
}

/// The SFU's counters once `ready` holds for them (the SFU works on its own tasks).
async fn sfu_stats_once(
    server: &common::LiveServer,
    ready: impl Fn(&server::sfu::SfuStats) -> bool,
) -> server::sfu::SfuStats {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let stats = server.state.hub.sfu().stats().await.unwrap();
        if ready(&stats) || tokio::time::Instant::now() > deadline {
            return stats;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_holds_no_media_connection_until_someone_publishes() {
    let server = start_server().await;
    // The teacher opens the room on stage without sending anything.
    let (teacher_cookie, _teacher) = server.host().await;
    let ta_cookie = moderated_by_the_ta_too(&server, &teacher_cookie).await;
    let student_cookie = sign_in(&server.base_url, "student", "demo").await.unwrap();

    let viewer = server.join_with_media(&student_cookie, Seat::Viewer).await;
    let sfu = sfu_stats_once(&server, |s| s.waiting == 2).await;
    assert_eq!(
        (sfu.waiting, sfu.peers),
        (2, 0),
        "teacher and viewer wait without a connection: nothing is sent in the room"
    );
    assert_eq!(count(&viewer.stats.subscribe_offers), 0);

    let _ta = server.join_with_media(&ta_cookie, Seat::Stage).await;
    assert!(
        viewer
            .wait_until(PATIENCE, |s| count(&s.video_packets_in) > 30)
            .await,
        "the stage's first track opens the viewer's connection: {:?}",
        viewer.stats
    );
    assert_eq!(count(&viewer.stats.subscribe_offers), 1);
    // The TA alone sends: it has nothing to receive and still waits.
    let sfu = sfu_stats_once(&server, |s| s.waiting == 1).await;
    assert_eq!(sfu.waiting, 1, "{sfu:?}");
}

/// Makes the seeded TA (user 3) a room moderator beside the teacher, so both go on stage
/// directly; returns the TA's session cookie.
async fn moderated_by_the_ta_too(server: &common::LiveServer, teacher_cookie: &str) -> String {
    let (status, body) = server
        .call(
            reqwest::Method::PUT,
            &format!("/api/containers/{}/room", common::ROOM),
            teacher_cookie,
            Some(serde_json::json!({
                "enabled": true, "mode": "interactive",
                "room_moderators": [{"kind": "user", "id": 3}],
                "chat_moderators": [], "qna": "on", "group_chat": true
            })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    sign_in(&server.base_url, "ta", "demo").await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewers_slots_grow_with_the_stage_without_a_new_connection() {
    let server = start_server().await;
    let teacher_cookie = server.enable_room().await;
    let ta_cookie = moderated_by_the_ta_too(&server, &teacher_cookie).await;
    let student_cookie = sign_in(&server.base_url, "student", "demo").await.unwrap();

    let _teacher = server.join_with_media(&teacher_cookie, Seat::Stage).await;
    let viewer = server.join_with_media(&student_cookie, Seat::Viewer).await;
    assert!(
        viewer
            .wait_until(PATIENCE, |s| count(&s.video_tracks_in) == 1)
            .await,
        "the viewer receives the teacher: {:?}",
        viewer.stats
    );
    assert_eq!(count(&viewer.stats.subscribe_offers), 1);

    let _ta = server.join_with_media(&ta_cookie, Seat::Stage).await;
    assert!(
        viewer
            .wait_until(PATIENCE, |s| count(&s.video_tracks_in) == 2)
            .await,
        "a slot added to the same connection carries the TA: {:?}",
        viewer.stats
    );
    assert_eq!(
        count(&viewer.stats.subscribe_offers),
        2,
        "one offer opened the connection, one added the TA's slots"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_may_not_publish_and_nothing_of_it_is_forwarded() {
    let server = start_server().await;
    let (_, teacher) = server.host().await;
    let (_, viewer) = server.join_as("student", Seat::Viewer).await;
    let peers_before = server.state.hub.sfu().stats().await.unwrap().peers;

    viewer.send(ClientMessage::PublishOffer {
        sdp: "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n".into(),
        tracks: vec![PublishedTrack {
            mid: "0".into(),
            source: Source::Camera,
        }],
        restart: false,
    });
    let (code, message) = viewer.wait_for_error(PATIENCE).await.expect("a refusal");
    assert_eq!(code, "not_allowed");
    assert_eq!(
        message,
        "You may not send audio or video without being on stage."
    );
    let sfu = server.state.hub.sfu().stats().await.unwrap();
    assert_eq!(sfu.peers, peers_before, "no publishing connection was made");
    assert_eq!(sfu.packets_in, 0);
    assert!(teacher.errors().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_joins_stop_at_one_hundred() {
    let server = start_server().await;
    let teacher_cookie = server.enable_room().await;
    // 105 people, each their own (one person may hold only three participants).
    server.state.store.seed_load_users(105).await.unwrap();
    let cookies = loadtest::sign_in_load_users(&server.base_url, 105)
        .await
        .unwrap();
    let _host = Bot::join(server.bot(&teacher_cookie, Seat::Stage, false))
        .await
        .unwrap();

    let joins = cookies
        .iter()
        .map(|cookie| Bot::join(server.bot(cookie, Seat::Viewer, false)));
    let results = futures_util::future::join_all(joins).await;
    let joined = results.iter().filter(|r| r.is_ok()).count();
    let refused: Vec<&BotError> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(joined, 99, "the host and 99 others make 100");
    assert_eq!(refused.len(), 6);
    for error in refused {
        match error {
            BotError::Refused { code, message } => {
                assert_eq!(code, "room_full");
                assert_eq!(message, "This room is full (100 participants).");
            }
            other => panic!("unexpected failure: {other}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_the_room_closes_the_live_session_for_everyone() {
    let server = start_server().await;
    let (teacher_cookie, teacher) = server.host().await;
    let (student_cookie, viewer) = server.join_as("student", Seat::Viewer).await;

    server.set_room_enabled(&teacher_cookie, false).await;
    for bot in [&teacher, &viewer] {
        assert!(bot.wait_until(PATIENCE, |_| bot.closed().is_some()).await);
        assert_eq!(
            bot.closed().as_deref(),
            Some("The meeting room was disabled.")
        );
    }
    let again = Bot::join(server.bot(&student_cookie, Seat::Viewer, false)).await;
    assert!(
        matches!(&again, Err(BotError::Http(_)) | Err(BotError::Socket(_))),
        "a disabled room cannot be entered: {:?}",
        again.as_ref().err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_messages_is_cut_short() {
    let server = start_server().await;
    let teacher_cookie = server.enable_room().await;
    let host = Bot::join(server.bot(&teacher_cookie, Seat::Stage, false))
        .await
        .unwrap();
    for _ in 0..60 {
        host.send(ClientMessage::Subscribe { tiles: vec![] });
    }
    let (code, _) = host.wait_for_error(PATIENCE).await.expect("a refusal");
    assert_eq!(code, "rate_limited");
    let refused = host.errors().len();
    assert!((1..=30).contains(&refused), "{refused} refused of 60");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_on_different_workers_each_forward_their_own_stage() {
    let server = start_server().await;
    let addresses = server.state.hub.sfu().local_addrs();
    assert_eq!(addresses.len(), 2, "tests run two SFU workers");
    assert_ne!(addresses[0], addresses[1], "each worker has its own socket");
    let teacher = server.enable_room().await;
    // Gallery 1 ("Design 101", same manager and members) goes to the other worker.
    let (status, body) = server
        .call(
            reqwest::Method::PUT,
            "/api/containers/1/room",
            &teacher,
            Some(serde_json::json!({
                "enabled": true, "mode": "interactive", "room_moderators": [],
                "chat_moderators": [], "qna": "on", "group_chat": true
            })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let student = sign_in(&server.base_url, "student", "demo").await.unwrap();

    let mut stages = Vec::new();
    let mut viewers = Vec::new();
    for room in [1, 2] {
        let mut on_stage = server.bot(&teacher, Seat::Stage, true);
        on_stage.room = room;
        stages.push(Bot::join(on_stage).await.expect("teacher on stage"));
        let mut watching = server.bot(&student, Seat::Viewer, true);
        watching.room = room;
        viewers.push(Bot::join(watching).await.expect("student watches"));
    }
    for (viewer, room) in viewers.iter().zip([1, 2]) {
        assert!(
            viewer
                .wait_until(PATIENCE, |s| count(&s.video_packets_in) > 90)
                .await,
            "room {room}'s viewer receives its stage: {:?}",
            viewer.stats
        );
    }
    let sfu = server.state.hub.sfu().stats().await.unwrap();
    // Per room at least the teacher's publishing and the student's receiving connection.
    assert!(sfu.peers >= 4, "counted over both workers: {sfu:?}");
}
