//! Set devices' connectivity check on the signalling socket: a probe offer is answered by a
//! short-lived peer in the SFU (see `sfu/probe.rs`). Anyone the socket admitted may probe,
//! joined or not (the check runs before joining), within a per-person rate.

use std::num::NonZeroU32;

use governor::Quota;
use protocol::ServerMessage;

use super::{Hub, Outbox};

/// A check is up to four probes (direct, TURN over UDP, TCP, TLS): three checks at once
/// (a page reloaded, a Re-test), then one probe every two seconds.
const PROBE_BURST: u32 = 12;
const PROBES_PER_MINUTE: u32 = 30;

pub(super) fn quota() -> Quota {
    Quota::per_minute(NonZeroU32::new(PROBES_PER_MINUTE).expect("non-zero"))
        .allow_burst(NonZeroU32::new(PROBE_BURST).expect("non-zero"))
}

impl Hub {
    /// Answers probe `probe` of `user_id`, or refuses it; either goes to `outbox`.
    pub(super) async fn probe(&self, user_id: i64, probe: u32, sdp: String, outbox: &Outbox) {
        if self.inner.probes.check_key(&user_id).is_err() {
            outbox.send(&ServerMessage::ProbeRefused {
                probe,
                message: "Too many connection tests at once; wait a few seconds and re-test."
                    .into(),
            });
            return;
        }
        let reply = match self.sfu().probe(sdp).await {
            Ok(sdp) => ServerMessage::ProbeAnswer { probe, sdp },
            Err(error) => {
                tracing::debug!(user_id, %error, "probe refused");
                ServerMessage::ProbeRefused {
                    probe,
                    message: error.to_string(),
                }
            }
        };
        outbox.send(&reply);
    }
}
