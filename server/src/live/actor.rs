//! One task per live room: it owns the room's state ([`LiveRoom`]) and runs the jobs in its
//! bounded mailbox one at a time, so a room's decisions never race and never wait on another
//! room. A job that panics is caught: the room's connections are told to reconnect, the actor
//! ends, and the next connection starts a fresh one from what is saved (an open session stays
//! open). Rooms are found through a [`RoomRouter`].

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use tokio::sync::{mpsc, oneshot};

use super::state::{LiveRoom, SessionChange};
use super::Hub;

/// Jobs queued for one room before senders wait: a connection's reader waits (its client's
/// TCP window fills), the room goes on.
const MAILBOX: usize = 512;

pub(super) type Job = Box<dyn FnOnce(&mut LiveRoom) + Send>;

/// The room's actor has stopped (it went idle or failed); ask the router again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the room restarted; try again")]
pub struct RoomGone;

#[derive(Clone)]
pub struct RoomHandle {
    jobs: mpsc::Sender<Job>,
    generation: u64,
}

impl RoomHandle {
    /// Runs `f` on the room's state and returns its result.
    pub(super) async fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut LiveRoom) -> R + Send + 'static,
    ) -> Result<R, RoomGone> {
        let (reply, result) = oneshot::channel();
        self.tell(Box::new(move |live| {
            let _ = reply.send(f(live));
        }))
        .await
        .map_err(|_| RoomGone)?;
        result.await.map_err(|_| RoomGone)
    }

    /// Queues a job if the mailbox has room now; gives it back otherwise.
    pub(super) fn try_tell(&self, job: Job) -> Result<(), mpsc::error::TrySendError<Job>> {
        self.jobs.try_send(job)
    }

    /// Queues a job without waiting for it; gives it back if the actor is gone.
    pub(super) async fn tell(&self, job: Job) -> Result<(), Job> {
        self.jobs.send(job).await.map_err(|error| error.0)
    }
}

/// Which actor holds room X, starting one if none does. In-process today ([`LocalRouter`]); a
/// Redis-backed router goes behind the same interface when rooms spread over nodes (each
/// room then lives on one node, and the others forward its connections there).
pub trait RoomRouter: Send + Sync {
    /// The actor of room `id`, started here if no node holds it.
    fn get_or_start(&self, hub: &Hub, id: i64) -> RoomHandle;
    /// The actor of room `id` if one runs.
    fn running(&self, id: i64) -> Option<RoomHandle>;
    /// Rooms with a running actor.
    fn running_rooms(&self) -> Vec<i64>;
    /// The actor of generation `generation` stopped; forget it unless it was replaced already.
    fn stopped(&self, id: i64, generation: u64);
}

#[derive(Default)]
pub struct LocalRouter {
    // Only for finding a room's mailbox: no room state sits behind this lock.
    rooms: Mutex<HashMap<i64, RoomHandle>>,
    generations: AtomicU64,
}

impl RoomRouter for LocalRouter {
    fn get_or_start(&self, hub: &Hub, id: i64) -> RoomHandle {
        let mut rooms = self.rooms.lock().expect("router lock");
        // An actor that died without saying so (its mailbox is closed) is replaced.
        if let Some(handle) = rooms.get(&id).filter(|h| !h.jobs.is_closed()) {
            return handle.clone();
        }
        let (jobs, mailbox) = mpsc::channel(MAILBOX);
        let generation = self.generations.fetch_add(1, Ordering::Relaxed);
        let handle = RoomHandle { jobs, generation };
        rooms.insert(id, handle.clone());
        tokio::spawn(run(hub.clone(), id, generation, mailbox));
        handle
    }

    fn running(&self, id: i64) -> Option<RoomHandle> {
        self.rooms.lock().expect("router lock").get(&id).cloned()
    }

    fn running_rooms(&self) -> Vec<i64> {
        self.rooms
            .lock()
            .expect("router lock")
            .keys()
            .copied()
            .collect()
    }

    fn stopped(&self, id: i64, generation: u64) {
        let mut rooms = self.rooms.lock().expect("router lock");
        if rooms.get(&id).is_some_and(|h| h.generation == generation) {
            rooms.remove(&id);
        }
    }
}

async fn run(hub: Hub, container_id: i64, generation: u64, mut mailbox: mpsc::Receiver<Job>) {
    let sfu = hub.sfu().clone();
    let mut live = match hub.store().live_room_setup(container_id).await {
        Ok(setup) => LiveRoom::new(container_id, sfu, Some(setup)),
        Err(error) if error.is_internal() => {
            tracing::error!(%error, container_id, "loading a live room failed");
            LiveRoom::unavailable(container_id, sfu)
        }
        Err(_) => LiveRoom::new(container_id, sfu, None),
    };
    while let Some(job) = mailbox.recv().await {
        if std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut live))).is_err() {
            tracing::error!(
                container_id,
                "a live room failed; its participants reconnect to a fresh one"
            );
            live.fail();
            break;
        }
        for change in live.take_session_changes() {
            let saved = match change {
                SessionChange::Opened { at } => {
                    hub.store().open_live_session(container_id, at).await
                }
                SessionChange::Closed => hub.store().close_live_session(container_id).await,
            };
            if let Err(error) = saved {
                tracing::error!(%error, container_id, "saving the live session failed");
            }
        }
        if live.is_idle() {
            break;
        }
    }
    hub.router().stopped(container_id, generation);
    // Jobs that arrived while it stopped go to the room's next actor.
    mailbox.close();
    while let Some(job) = mailbox.recv().await {
        let mut job = job;
        for _ in 0..3 {
            match hub
                .router()
                .get_or_start(&hub, container_id)
                .tell(job)
                .await
            {
                Ok(()) => break,
                Err(returned) => job = returned,
            }
        }
    }
}
