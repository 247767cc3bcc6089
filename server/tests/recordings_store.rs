//! Recordings as saved, on both databases: a start makes the media entry and its row, status
//! changes are announced and give the entry its duration, only those who may see the container
//! get a finished recording, and one a stopped process left unfinished is recovered (or marked
//! failed when nothing playable is on disk) when the server starts again.

mod common;

use common::TestApp;
use store::{Change, RecordingState};

const ROOM: i64 = 2;
const TEACHER: i64 = 2;
const STUDENT: i64 = 4;
const OUTSIDER: i64 = 6;

async fn a_recording_moves_through_its_states_and_is_shown_only_to_members(app: TestApp) {
    let store = &app.state.store;
    let mut changes = store.changes();
    let recording = store.start_recording(ROOM, 1_000, TEACHER).await.unwrap();
    assert_eq!(recording.status, RecordingState::Recording);
    assert!(
        recording.title.starts_with("Video Production — "),
        "{}",
        recording.title
    );
    assert_eq!(recording.file_name, format!("{}.webm", recording.media_id));
    let media_id = recording.media_id;
    let announced = Change::RecordingChanged {
        container_id: ROOM,
        media_id,
    };
    assert_eq!(changes.recv().await.unwrap(), announced);
    assert_eq!(
        store.unfinished_recordings().await.unwrap(),
        std::slice::from_ref(&recording)
    );

    let teacher = store.viewer_by_id(TEACHER).await.unwrap().unwrap();
    let student = store.viewer_by_id(STUDENT).await.unwrap().unwrap();
    let outsider = store.viewer_by_id(OUTSIDER).await.unwrap().unwrap();
    assert!(
        store.playable_recording(&teacher, media_id).await.is_err(),
        "nothing to play while recording"
    );
    store
        .set_recording_status(media_id, RecordingState::Ready, 61_200, None)
        .await
        .unwrap();
    assert_eq!(changes.recv().await.unwrap(), announced);
    assert!(store.unfinished_recordings().await.unwrap().is_empty());
    let ready = store.playable_recording(&student, media_id).await.unwrap();
    assert_eq!(
        (ready.status, ready.duration_ms),
        (RecordingState::Ready, 61_200)
    );
    assert!(store.playable_recording(&teacher, media_id).await.is_ok());
    let refused = store
        .playable_recording(&outsider, media_id)
        .await
        .unwrap_err();
    assert!(matches!(refused, store::Error::Forbidden(_)), "{refused:?}");
    assert!(matches!(
        store.playable_recording(&teacher, 12_345).await,
        Err(store::Error::NotFound(_))
    ));

    // The gallery lists it with its duration (rounded up), owner and thumbnail.
    let page = store
        .container_page(&teacher, domain::ContainerKind::Gallery, ROOM)
        .await
        .unwrap();
    let entry = page
        .media
        .iter()
        .find(|m| m.id == media_id)
        .expect("listed");
    assert_eq!(entry.duration_secs, 62);
    assert_eq!(entry.owner.id, TEACHER);
    assert_eq!(
        entry.thumbnail_url.as_deref(),
        Some(format!("/media/{media_id}/thumbnail").as_str())
    );
}

async fn an_unfinished_recording_without_a_file_fails_at_the_next_start(app: TestApp) {
    let recording = app
        .state
        .store
        .start_recording(ROOM, 1_000, TEACHER)
        .await
        .unwrap();
    let app = app.restart().await;
    let store = &app.state.store;
    // The restart finalises it in the background; its file never reached the disk.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        let status = store.recording(recording.media_id).await.unwrap().status;
        if status == RecordingState::Failed || std::time::Instant::now() > deadline {
            break status;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(status, RecordingState::Failed);
    assert!(store.unfinished_recordings().await.unwrap().is_empty());
}

on_both_databases!(
    a_recording_moves_through_its_states_and_is_shown_only_to_members,
    an_unfinished_recording_without_a_file_fails_at_the_next_start
);
