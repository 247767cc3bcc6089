//! Connectivity probes for Set devices: a browser tests each path to the media server (direct,
//! TURN over UDP, TCP, TLS) with a real ICE connection before joining. Each probe is a
//! data-channel-only `Rtc` on the SFU's socket that forwards nothing and is dropped shortly
//! after it connects, or after [`protocol::PROBE_LIFETIME_SECS`] without connecting.
//!
//! Probes live apart from the media peers: the engine hands them only datagrams no media peer
//! took, so a probe can never disturb forwarding, and they are few (bounded by [`MAX_PROBES`]),
//! so a linear scan finds a datagram's probe.

use std::time::{Duration, Instant};

use str0m::change::SdpOffer;
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::net::UdpSocket;

use super::engine::guarded;
use super::SfuError;

/// Probes alive at once over everyone; more are refused as busy (each is a DTLS handshake).
pub const MAX_PROBES: usize = 64;
/// How long a connected probe is kept: the browser reads its statistics meanwhile, and its
/// last handshake flight must not meet a vanished peer.
const LINGER: Duration = Duration::from_secs(3);

struct Probe {
    rtc: Rtc,
    /// The `Rtc`'s next timeout.
    deadline: Instant,
    /// When the probe is dropped.
    expires: Instant,
}

#[derive(Default)]
pub struct Probes {
    probes: Vec<Probe>,
}

impl Probes {
    /// Answers a probe offer: one `m=application` section and nothing else, shape-checked
    /// before str0m parses it.
    pub fn create(
        &mut self,
        offer: &str,
        candidate: &Candidate,
        socket: &UdpSocket,
        now: Instant,
    ) -> Result<String, SfuError> {
        check_probe_offer(offer)?;
        self.expire(now);
        if self.probes.len() >= MAX_PROBES {
            return Err(SfuError::Busy);
        }
        let offer = SdpOffer::from_sdp_string(offer).map_err(|error| {
            tracing::debug!(%error, "unparsable probe offer");
            SfuError::BadSdp
        })?;
        let mut rtc = Rtc::builder().clear_codecs().build(now);
        rtc.add_local_candidate(candidate.clone());
        let answer = match guarded(|| rtc.sdp_api().accept_offer(offer)) {
            Some(Ok(answer)) => answer.to_sdp_string(),
            Some(Err(error)) => {
                tracing::debug!(%error, "probe offer refused");
                return Err(SfuError::Refused);
            }
            None => return Err(SfuError::Refused),
        };
        let lifetime = Duration::from_secs(protocol::PROBE_LIFETIME_SECS);
        let mut probe = Probe {
            rtc,
            deadline: now,
            expires: now + lifetime,
        };
        drain(&mut probe, socket, now);
        self.probes.push(probe);
        Ok(answer)
    }

    /// Hands a datagram that no media peer accepted to the probe it belongs to, if any.
    pub fn receive(&mut self, input: Input, socket: &UdpSocket, now: Instant) {
        let Some(probe) = self.probes.iter_mut().find(|p| p.rtc.accepts(&input)) else {
            return;
        };
        match guarded(|| probe.rtc.handle_input(input)) {
            Some(Ok(())) => drain(probe, socket, now),
            // Whatever went wrong ends this probe only.
            Some(Err(_)) | None => probe.expires = now,
        }
    }

    /// Runs due timeouts and drops probes that are done.
    pub fn timeouts(&mut self, socket: &UdpSocket, now: Instant) {
        for probe in self.probes.iter_mut().filter(|p| p.deadline <= now) {
            match guarded(|| probe.rtc.handle_input(Input::Timeout(now))) {
                Some(Ok(())) => drain(probe, socket, now),
                Some(Err(_)) | None => probe.expires = now,
            }
        }
        self.expire(now);
    }

    /// The earliest instant a probe needs a timeout (or to be dropped).
    pub fn next_deadline(&self) -> Option<Instant> {
        self.probes.iter().map(|p| p.deadline.min(p.expires)).min()
    }

    pub fn len(&self) -> usize {
        self.probes.len()
    }

    fn expire(&mut self, now: Instant) {
        self.probes.retain(|p| now < p.expires && p.rtc.is_alive());
    }
}

/// Polls a probe until only a timeout is left; a connected probe gets [`LINGER`] more.
fn drain(probe: &mut Probe, socket: &UdpSocket, now: Instant) {
    loop {
        match guarded(|| probe.rtc.poll_output()) {
            Some(Ok(Output::Transmit(transmit))) => {
                let _ = socket.try_send_to(&transmit.contents, transmit.destination);
            }
            Some(Ok(Output::Timeout(deadline))) => {
                probe.deadline = deadline;
                return;
            }
            Some(Ok(Output::Event(Event::Connected))) => {
                probe.expires = probe.expires.min(now + LINGER);
            }
            Some(Ok(Output::Event(_))) => {}
            Some(Err(_)) | None => {
                probe.expires = now;
                return;
            }
        }
    }
}

/// A probe offers exactly one data channel section: anything with media is not a probe (and
/// would make the SFU negotiate codecs for nothing).
fn check_probe_offer(offer: &str) -> Result<(), SfuError> {
    protocol::sdp::check_offer(offer)?;
    let mut sections = offer.lines().filter(|line| line.starts_with("m="));
    match (sections.next(), sections.next()) {
        (Some(section), None) if section.starts_with("m=application ") => Ok(()),
        _ => Err(SfuError::NotProbe),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROBE: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
        m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n\
        a=mid:0\r\na=sctp-port:5000\r\n";

    #[test]
    fn only_a_single_data_channel_section_is_a_probe() {
        assert!(check_probe_offer(PROBE).is_ok());
        let with_audio = format!("{PROBE}m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:1\r\n");
        assert!(matches!(
            check_probe_offer(&with_audio),
            Err(SfuError::NotProbe)
        ));
        let audio_only = PROBE.replace(
            "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
            "m=audio 9 UDP/TLS/RTP/SAVPF 111",
        );
        assert!(matches!(
            check_probe_offer(&audio_only),
            Err(SfuError::NotProbe)
        ));
        assert!(matches!(
            check_probe_offer("hello"),
            Err(SfuError::Shape(_))
        ));
    }
}
