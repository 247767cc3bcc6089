//! What the SDP targets share: str0m peers built as the SFU builds them
//! (`server/src/sfu/engine.rs`: `rtc_config()`, `publish`, `subscribe`).

use std::sync::OnceLock;
use std::time::Instant;

use str0m::change::{SdpOffer, SdpPendingOffer};
use str0m::config::DtlsCert;
use str0m::media::{Direction, MediaKind};
use str0m::{Candidate, Output, Rtc, RtcConfig};

/// The server's `AUDIO_SLOTS`: receiving audio transceivers of every subscriber connection.
pub const AUDIO_SLOTS: usize = 10;
/// The visible-camera limits of the two room modes (Webinar, Interactive).
pub const VIDEO_SLOTS: [usize; 2] = [10, 25];

/// One certificate for every peer: generating one per execution would cost more than what is
/// fuzzed, and the DTLS identity plays no part in SDP negotiation.
fn certificate() -> DtlsCert {
    static CERT: OnceLock<DtlsCert> = OnceLock::new();
    CERT.get_or_init(|| {
        let provider = str0m::crypto::from_feature_flags();
        let cert = provider
            .dtls_provider
            .generate_certificate()
            .expect("aws-lc-rs generates certificates");
        provider.install_process_default();
        cert
    })
    .clone()
}

/// The server's `rtc_config()`: RTP mode, Opus and VP8 only, a short video send buffer.
pub fn rtc_config() -> RtcConfig {
    Rtc::builder()
        .set_rtp_mode(true)
        .clear_codecs()
        .enable_opus(true, false)
        .enable_vp8(true)
        .set_send_buffer_video(150)
        .set_dtls_cert(certificate())
}

fn host_candidate() -> Candidate {
    Candidate::host("127.0.0.1:50000".parse().expect("an address"), "udp")
        .expect("a host candidate")
}

/// A fresh publisher connection, before its first offer.
pub fn publisher() -> Rtc {
    let mut rtc = rtc_config().build(Instant::now());
    rtc.add_local_candidate(host_candidate());
    rtc
}

/// A subscriber connection with `video` video and [`AUDIO_SLOTS`] audio send-only slots, its
/// offer and the pending state an answer completes. str0m draws mids and ssrcs from
/// `fastrand`; it is reseeded first so the same input meets the same offer every run (and the
/// seed answers in the corpus match it).
pub fn subscriber(video: usize) -> (Rtc, SdpOffer, SdpPendingOffer) {
    fastrand::seed(0x5eed);
    let mut rtc = rtc_config()
        .enable_bwe(Some(str0m::bwe::Bitrate::kbps(1_500)))
        .build(Instant::now());
    rtc.add_local_candidate(host_candidate());
    let mut changes = rtc.sdp_api();
    for kind in std::iter::repeat_n(MediaKind::Video, video)
        .chain(std::iter::repeat_n(MediaKind::Audio, AUDIO_SLOTS))
    {
        changes.add_media(kind, Direction::SendOnly, None, None, None);
    }
    let (offer, pending) = changes.apply().expect("media added, so there is an offer");
    (rtc, offer, pending)
}

/// Polls what the connection wants to do after a negotiation, as the server's `drain` does,
/// bounded in case a state loops.
pub fn drain(rtc: &mut Rtc) {
    for _ in 0..1_000 {
        match rtc.poll_output() {
            Ok(Output::Timeout(_)) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// The seeds must reach past the checks, or the fuzzer starts from refusals only:
/// `cargo test --manifest-path fuzz/Cargo.toml --lib` (a normal build, no instrumentation).
#[cfg(test)]
mod tests {
    use std::path::Path;

    use str0m::change::SdpAnswer;

    use super::*;

    fn seeds(target: &str) -> Vec<Vec<u8>> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpus")
            .join(target);
        let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(dir)
            .expect("a seed corpus")
            .map(|entry| std::fs::read(entry.expect("an entry").path()).expect("a seed"))
            .collect();
        seeds.sort();
        assert!(!seeds.is_empty(), "no seeds for {target}");
        seeds
    }

    #[test]
    fn offer_seeds_are_accepted_by_the_check_and_by_str0m() {
        for seed in seeds("sdp_offer") {
            let text = String::from_utf8(seed).expect("SDP is text");
            let mut rtc = publisher();
            for sdp in text.split('\0') {
                protocol::sdp::check_offer(sdp).expect("the check passes a browser's offer");
                let offer = SdpOffer::from_sdp_string(sdp).expect("str0m parses it");
                rtc.sdp_api().accept_offer(offer).expect("str0m accepts it");
                drain(&mut rtc);
            }
        }
    }

    #[test]
    fn answer_seeds_match_the_offers_they_answer() {
        for seed in seeds("sdp_answer") {
            let (&mode, answer) = seed.split_first().expect("a mode byte");
            let answer = std::str::from_utf8(answer).expect("SDP is text");
            let video = VIDEO_SLOTS[usize::from(mode & 1)];
            protocol::sdp::check_answer(answer, video + AUDIO_SLOTS).expect("the check passes");
            let answer = SdpAnswer::from_sdp_string(answer).expect("str0m parses it");
            let (mut rtc, _, pending) = subscriber(video);
            rtc.sdp_api()
                .accept_answer(pending, answer)
                .expect("str0m accepts it");
        }
    }

    #[test]
    fn signalling_and_rest_seeds_decode() {
        for seed in seeds("signalling") {
            serde_json::from_slice::<protocol::ClientMessage>(&seed).expect("a client message");
        }
        assert_eq!(seeds("rest_json").len(), 5, "one body of each kind");
    }
}
