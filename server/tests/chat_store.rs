//! Chat persistence on both databases: order, history window, deletion scoped to its room.

mod common;

use common::TestApp;
use room::ChatChannel;

async fn chat_is_kept_in_order_and_deleted_per_room(app: TestApp) {
    let store = &app.state.store;
    for n in 0..105 {
        store
            .post_chat(
                2,
                ChatChannel::Group,
                4,
                "Sam Student",
                &format!("message {n}"),
            )
            .await
            .unwrap();
    }
    let backchannel = store
        .post_chat(2, ChatChannel::Backchannel, 2, "Tess Teacher", "between us")
        .await
        .unwrap();
    let group = store.recent_chat(2, ChatChannel::Group).await.unwrap();
    assert_eq!(group.len(), store::CHAT_HISTORY as usize);
    assert_eq!(
        group.first().unwrap().text,
        "message 5",
        "the latest 100, oldest first"
    );
    assert_eq!(group.last().unwrap().text, "message 104");
    assert!(store
        .recent_chat(1, ChatChannel::Group)
        .await
        .unwrap()
        .is_empty());

    // Deleting needs the right room; a deleted message is gone from the history.
    assert!(store.delete_chat(1, backchannel.id).await.is_err());
    assert_eq!(
        store.delete_chat(2, backchannel.id).await.unwrap(),
        ChatChannel::Backchannel
    );
    assert!(
        store.delete_chat(2, backchannel.id).await.is_err(),
        "only once"
    );
    assert!(store
        .recent_chat(2, ChatChannel::Backchannel)
        .await
        .unwrap()
        .is_empty());
}

on_both_databases!(chat_is_kept_in_order_and_deleted_per_room);
