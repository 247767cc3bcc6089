//! Set devices' connectivity check, browser side: for each path of
//! [`connectivity::plan`] a real peer connection with one data channel is offered to the
//! server (`ProbeOffer`), answered by a short-lived peer of the SFU, and must reach
//! `connected` within [`CONNECT_TIMEOUT_MS`]. The selected candidate pair's statistics then
//! say what really carried it (host or relay, UDP, TCP or TLS). When only the relay works,
//! the room's own connections go relay-only ([`peer::set_relay_only`]).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{Array, Function, Promise};
use leptos::prelude::*;
use leptos::task::spawn_local;
use protocol::{ClientMessage, IceServer};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::RtcPeerConnection;

use super::client::Client;
use super::health::{state_of, LinkState};
use super::peer;
use super::quality::{number, selected_pair, stats, text};
use crate::pages::room::connectivity::{self, Connectivity, PathResult, Selected};

/// Waiting for the server's answer, then for `connected`: a path that needs longer than this
/// would make joining feel broken anyway.
const ANSWER_TIMEOUT_MS: i32 = 5_000;
const CONNECT_TIMEOUT_MS: i32 = 5_000;

/// Probe offers sent and waiting for their answer, by probe number.
#[derive(Default)]
pub(super) struct PendingProbes {
    next: Cell<u32>,
    waiting: RefCell<HashMap<u32, (Function, Function)>>,
}

impl PendingProbes {
    /// The server answered (or refused) probe `probe`; unknown numbers (a probe that timed
    /// out, a reconnected socket) are ignored.
    pub(super) fn settle(&self, probe: u32, outcome: Result<String, String>) {
        let Some((resolve, reject)) = self.waiting.borrow_mut().remove(&probe) else {
            return;
        };
        let _ = match outcome {
            Ok(sdp) => resolve.call1(&JsValue::NULL, &JsValue::from_str(&sdp)),
            Err(message) => reject.call1(&JsValue::NULL, &JsValue::from_str(&message)),
        };
    }
}

/// Runs the check unless one is running; the result lands in `ui.connectivity`.
pub fn check_connectivity(client: &Rc<Client>) {
    let ui = client.ui;
    if ui
        .connectivity
        .with_untracked(|c| matches!(c, Connectivity::Testing(_)))
    {
        return;
    }
    ui.connectivity.set(Connectivity::Testing(Vec::new()));
    let client = client.clone();
    spawn_local(async move {
        let servers = ui
            .info
            .try_with_untracked(|i| i.as_ref().map(|i| i.ice_servers.clone()))
            .flatten()
            .unwrap_or_default();
        let mut results = Vec::new();
        for (path, servers) in connectivity::plan(&servers) {
            let outcome = client.probe(&servers, path.is_relay()).await;
            results.push(PathResult { path, outcome });
            if ui
                .connectivity
                .try_set(Connectivity::Testing(results.clone()))
                .is_some()
            {
                return; // the page left the room
            }
        }
        let done = Connectivity::Done(results);
        peer::set_relay_only(done.relay_only());
        ui.connectivity.try_set(done);
    });
}

impl Client {
    /// One probe: what carried a connection with only `servers`, or why there was none.
    async fn probe(&self, servers: &[IceServer], relay: bool) -> Result<Selected, String> {
        let pc = peer::probe_connection(servers, relay)
            .map_err(|_| "the browser refused the test connection".to_owned())?;
        let outcome = self.probe_on(&pc).await;
        pc.close();
        outcome
    }

    async fn probe_on(&self, pc: &RtcPeerConnection) -> Result<Selected, String> {
        let _channel = pc.create_data_channel("probe");
        let offer = peer::offer(pc)
            .await
            .map_err(|_| "the browser could not make an offer".to_owned())?;
        let probe = self.probes.next.get().wrapping_add(1);
        self.probes.next.set(probe);
        let mut slot = None;
        let answered = Promise::new(&mut |resolve, reject| slot = Some((resolve, reject)));
        self.probes
            .waiting
            .borrow_mut()
            .insert(probe, slot.expect("the executor runs at once"));
        self.send(&ClientMessage::ProbeOffer { probe, sdp: offer });
        let answer = within(answered, ANSWER_TIMEOUT_MS).await;
        self.probes.waiting.borrow_mut().remove(&probe);
        let answer = match answer {
            Ok(sdp) => sdp.as_string().unwrap_or_default(),
            Err(why) => {
                return Err(why
                    .as_string()
                    .map(|m| format!("refused by the server ({m})"))
                    .unwrap_or_else(|| "the server did not answer".to_owned()))
            }
        };
        peer::accept_answer(pc, &answer)
            .await
            .map_err(|_| "the server's answer was not usable".to_owned())?;
        connected(pc, CONNECT_TIMEOUT_MS).await?;
        let reports = stats(pc).await;
        let pair = selected_pair(&reports).ok_or("no candidate pair was selected")?;
        let local = text(&pair, "localCandidateId")
            .and_then(|id| {
                reports
                    .iter()
                    .find(|r| text(r, "id").as_deref() == Some(id.as_str()))
                    .cloned()
            })
            .ok_or("the selected candidate is unknown")?;
        Ok(Selected {
            candidate_type: text(&local, "candidateType").unwrap_or_default(),
            protocol: text(&local, "protocol").unwrap_or_default(),
            relay_protocol: text(&local, "relayProtocol"),
            round_trip_ms: number(&pair, "currentRoundTripTime").map(|s| s * 1000.0),
        })
    }
}

/// `promise`, or a rejection without a value after `ms`.
async fn within(promise: Promise, ms: i32) -> Result<JsValue, JsValue> {
    let timer = Promise::new(&mut |_, reject| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&reject, ms);
        }
    });
    JsFuture::from(Promise::race(&Array::of2(&promise, &timer))).await
}

/// Resolves once `pc` is connected; fails on `failed`, `closed` or after `ms`.
async fn connected(pc: &RtcPeerConnection, ms: i32) -> Result<(), String> {
    let mut slot = None;
    let changed = Promise::new(&mut |resolve, reject| slot = Some((resolve, reject)));
    let (resolve, reject) = slot.expect("the executor runs at once");
    let watched = pc.clone();
    let check = Closure::<dyn FnMut()>::new(move || match state_of(&watched) {
        LinkState::Connected => {
            let _ = resolve.call0(&JsValue::NULL);
        }
        LinkState::Failed | LinkState::Closed => {
            let _ = reject.call1(&JsValue::NULL, &JsValue::from_str("failed"));
        }
        LinkState::Pending | LinkState::Disconnected => {}
    });
    pc.set_onconnectionstatechange(Some(check.as_ref().unchecked_ref()));
    pc.set_oniceconnectionstatechange(Some(check.as_ref().unchecked_ref()));
    // It may have connected before the handlers were in place.
    let _ = check
        .as_ref()
        .unchecked_ref::<Function>()
        .call0(&JsValue::NULL);
    let outcome = within(changed, ms).await;
    pc.set_onconnectionstatechange(None);
    pc.set_oniceconnectionstatechange(None);
    drop(check);
    outcome.map(|_| ()).map_err(|why| match why.as_string() {
        Some(_) => "the connection failed".to_owned(),
        None => format!("no connection within {} seconds", ms / 1000),
    })
}
