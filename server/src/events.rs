//! Server-sent events of a gallery's or channel's page (`GET /api/containers/{id}/events`): a
//! `changed` event whenever what the page lists may have changed (a media entry appeared, a
//! recording's status moved, a session ended, the room was switched), so the page refetches
//! without a reload by hand. Events carry no content: the refetch goes through the usual
//! access checks. Only those who may see the container get a stream, and it ends once they
//! no longer may.

use std::convert::Infallible;
use std::sync::OnceLock;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use axum::Router;
use futures_util::Stream;
use store::{Change, Store, Viewer};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};

use crate::api::ApiPath;
use crate::error::AppError;
use crate::session::CurrentViewer;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/containers/{id}/events", get(container_events))
}

/// What a change means for container `id`'s page, if anything.
fn concerns(change: &Change, id: i64) -> Option<&'static str> {
    match *change {
        Change::ContainerContent { container_id } if container_id == id => Some("content"),
        Change::RoomSettings { container_id, .. } if container_id == id => Some("room"),
        Change::RecordingChanged { container_id, .. } if container_id == id => Some("recording"),
        _ => None,
    }
}

async fn container_events(
    State(state): State<AppState>,
    CurrentViewer(viewer): CurrentViewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    // Subscribed before the check: nothing saved after the check can be missed.
    let changes = state.store.changes();
    state.store.may_view_container(&viewer, id).await?;
    let follower = Follower {
        store: state.store.clone(),
        user_id: viewer.identity.user_id,
        container_id: id,
        changes,
        stopping: stopping(),
        greeted: false,
    };
    let stream = futures_util::stream::unfold(follower, |mut follower| async move {
        let event = follower.next().await?;
        Some((Ok(event), follower))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

struct Follower {
    store: Store,
    user_id: i64,
    container_id: i64,
    changes: broadcast::Receiver<Change>,
    stopping: watch::Receiver<bool>,
    greeted: bool,
}

impl Follower {
    /// The next event to send; `None` ends the stream.
    async fn next(&mut self) -> Option<Event> {
        if !std::mem::replace(&mut self.greeted, true) {
            // Tells the page it is listening: whatever it loaded before may be stale already.
            return Some(Event::default().event("ready").data("listening"));
        }
        loop {
            let change = tokio::select! {
                change = self.changes.recv() => change,
                _ = self.stopping.wait_for(|stop| *stop) => return None,
            };
            let what = match change {
                Ok(Change::Membership { user_id }) if user_id == self.user_id => {
                    // Their groups changed: they may have lost the container.
                    self.still_allowed().await?;
                    continue;
                }
                Ok(change) => match concerns(&change, self.container_id) {
                    Some(what) => what,
                    None => continue,
                },
                // Some changes went by unseen: one of them may have been ours.
                Err(RecvError::Lagged(_)) => "lagged",
                Err(RecvError::Closed) => return None,
            };
            self.still_allowed().await?;
            return Some(Event::default().event("changed").data(what));
        }
    }

    /// `Some` while the person may still see the container.
    async fn still_allowed(&self) -> Option<()> {
        let viewer: Option<Viewer> = self.store.viewer_by_id(self.user_id).await.ok()?;
        match self
            .store
            .may_view_container(&viewer?, self.container_id)
            .await
        {
            Ok(()) => Some(()),
            Err(error) => {
                if error.is_internal() {
                    tracing::error!(%error, "checking an event stream's access failed");
                }
                None
            }
        }
    }
}

/// Turns true when the process is asked to stop: event streams end, so a graceful shutdown
/// (which waits for open responses) is not held up by pages left open.
fn stopping() -> watch::Receiver<bool> {
    static STOPPING: OnceLock<watch::Sender<bool>> = OnceLock::new();
    STOPPING
        .get_or_init(|| {
            let (sender, _) = watch::channel(false);
            let notify = sender.clone();
            tokio::spawn(async move {
                let terminate = async {
                    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    {
                        Ok(mut signal) => {
                            signal.recv().await;
                        }
                        Err(_) => std::future::pending::<()>().await,
                    }
                };
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {},
                    _ = terminate => {},
                }
                notify.send_replace(true);
            });
            sender
        })
        .subscribe()
}
