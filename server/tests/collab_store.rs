//! Q&A, polls, invitation links and group membership on both databases: one vote per person
//! even when votes race, everything scoped to its room, links signed per room and role.

mod common;

use common::TestApp;
use domain::api::{InviteRole, NewInvitation, RoomSettings};
use futures_util::future::join_all;
use room::PollDraft;

const ROOM: i64 = 2;
const TEACHER: i64 = 2;
const STUDENT: i64 = 4;
const STUDENT2: i64 = 5;
const OUTSIDER: i64 = 6;

async fn viewer(app: &TestApp, user_id: i64) -> store::Viewer {
    app.state
        .store
        .viewer_by_id(user_id)
        .await
        .unwrap()
        .unwrap()
}

async fn votes_count_once_even_when_racing(app: TestApp) {
    let store = &app.state.store;
    let draft = PollDraft {
        question: "Which?".into(),
        options: vec!["A".into(), "B".into()],
        multiple: false,
        correct: vec![],
    };
    let poll = store.create_poll(ROOM, TEACHER, &draft).await.unwrap();
    assert!(poll.open);
    assert_eq!(poll.draft, draft, "options and answers come back as stored");
    let choices: Vec<[u8; 1]> = (0..8u8).map(|i| [i % 2]).collect();
    let racing = join_all(
        choices
            .iter()
            .map(|c| store.vote_in_poll(ROOM, poll.id, STUDENT, c)),
    )
    .await;
    let counted = racing
        .into_iter()
        .filter(|vote| *vote.as_ref().unwrap())
        .count();
    assert_eq!(counted, 1, "eight racing votes of one person count once");
    assert!(
        !store
            .vote_in_poll(1, poll.id, STUDENT2, &[0])
            .await
            .unwrap(),
        "another room's poll"
    );
    let closed = store.close_poll(ROOM, poll.id).await.unwrap();
    assert!(!closed.open);
    assert_eq!(closed.votes.len(), 1);
    assert_eq!(closed.tally().iter().sum::<u32>(), 1);
    assert!(
        !store
            .vote_in_poll(ROOM, poll.id, STUDENT2, &[0])
            .await
            .unwrap(),
        "closed"
    );
    assert_eq!(store.recent_polls(ROOM).await.unwrap().len(), 1);
    assert!(store.recent_polls(1).await.unwrap().is_empty());

    let question = store
        .ask_question(ROOM, STUDENT, "Sam Student", "Why?")
        .await
        .unwrap();
    assert!(
        !store
            .upvote_question(ROOM, question.id, STUDENT2)
            .await
            .unwrap(),
        "private questions take no votes"
    );
    store
        .reply_to_question(ROOM, question.id, TEACHER, "Tess Teacher", "Because.")
        .await
        .unwrap();
    store
        .reply_to_question(ROOM, question.id, STUDENT, "Sam Student", "Thanks")
        .await
        .unwrap();
    let published = store
        .mark_question(ROOM, question.id, true, false)
        .await
        .unwrap();
    assert!(published.published && !published.answered);
    let racing = join_all((0..8).map(|_| store.upvote_question(ROOM, question.id, STUDENT2))).await;
    assert_eq!(
        racing.into_iter().filter(|v| *v.as_ref().unwrap()).count(),
        1
    );
    let answered = store
        .mark_question(ROOM, question.id, false, true)
        .await
        .unwrap();
    assert!(answered.published, "flags only turn on");
    assert_eq!(answered.voters, [STUDENT2]);
    let replies: Vec<&str> = answered.replies.iter().map(|r| r.text.as_str()).collect();
    assert_eq!(replies, ["Because.", "Thanks"]);
    assert!(
        store.question(1, question.id).await.is_err(),
        "scoped to its room"
    );
    assert_eq!(store.recent_questions(ROOM).await.unwrap(), [answered]);
}

async fn invitation_links_are_signed_per_room_and_role(app: TestApp) {
    let store = &app.state.store;
    let teacher = viewer(&app, TEACHER).await;
    let enabled = RoomSettings {
        enabled: true,
        ..RoomSettings::default()
    };
    store
        .save_room_settings(&teacher, ROOM, &enabled)
        .await
        .unwrap();
    let speaker = NewInvitation {
        role: InviteRole::Speaker,
        valid_hours: Some(2),
    };
    let student = viewer(&app, STUDENT).await;
    assert!(
        store
            .create_invitation(&student, ROOM, &speaker)
            .await
            .is_err(),
        "members do not invite"
    );
    let link = store
        .create_invitation(&teacher, ROOM, &speaker)
        .await
        .unwrap();
    let token = link.path.split("invite=").nth(1).unwrap();
    assert_eq!(
        store.check_invitation(ROOM, token).await.unwrap(),
        InviteRole::Speaker
    );
    assert!(
        store.check_invitation(1, token).await.is_err(),
        "another room"
    );
    let (claims, signature) = token.rsplit_once('.').unwrap();
    let (head, expiry) = claims.rsplit_once('.').unwrap();
    let later: i64 = expiry.parse::<i64>().unwrap() + 3600;
    assert!(
        store
            .check_invitation(ROOM, &format!("{head}.{later}.{signature}"))
            .await
            .is_err(),
        "a stretched expiry"
    );
    assert!(
        store
            .check_invitation(ROOM, "2.speaker.1.00")
            .await
            .is_err(),
        "garbage"
    );

    let outsider = viewer(&app, OUTSIDER).await;
    assert!(store.room_entry(&outsider, ROOM, None).await.is_err());
    let entry = store
        .room_entry(&outsider, ROOM, Some(token))
        .await
        .unwrap();
    assert!(entry.presenter && !entry.rights.room_moderator);
    let moderator = NewInvitation {
        role: InviteRole::Moderator,
        valid_hours: None,
    };
    let link = store
        .create_invitation(&teacher, ROOM, &moderator)
        .await
        .unwrap();
    let token = link.path.split("invite=").nth(1).unwrap();
    let entry = store
        .room_entry(&outsider, ROOM, Some(token))
        .await
        .unwrap();
    assert!(entry.rights.room_moderator && entry.rights.chat_moderator);
}

async fn group_changes_are_for_site_admins_and_announced(app: TestApp) {
    let store = &app.state.store;
    let mut changes = store.changes();
    let teacher = viewer(&app, TEACHER).await;
    let admin = viewer(&app, 1).await;
    let group = store.search_groups("Design 101").await.unwrap()[0].id;
    assert!(store
        .remove_group_member(&teacher, group, STUDENT)
        .await
        .is_err());
    assert!(
        store.remove_group_member(&admin, group, 999).await.is_err(),
        "unknown user"
    );
    store
        .remove_group_member(&admin, group, STUDENT)
        .await
        .unwrap();
    assert_eq!(
        changes.recv().await.unwrap(),
        store::Change::Membership { user_id: STUDENT }
    );
    assert!(!viewer(&app, STUDENT).await.identity.groups.contains(&group));
    store
        .add_group_member(&admin, group, STUDENT)
        .await
        .unwrap();
    assert!(viewer(&app, STUDENT).await.identity.groups.contains(&group));
}

on_both_databases!(
    votes_count_once_even_when_racing,
    invitation_links_are_signed_per_room_and_role,
    group_changes_are_for_site_admins_and_announced,
);
