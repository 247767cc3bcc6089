//! A subscriber's answer to the SFU's offer: the first byte picks the room mode (10 or 25
//! video slots), the rest is the answer. Our shape check first, then str0m parses it and the
//! waiting connection accepts it, as `subscribe_answer` in the SFU does.
//!
//! `SDP_ANSWER_SEEDS=<dir>` makes the target write answers a str0m client gives to both
//! offers into `<dir>` and exit (how `fuzz/corpus/sdp_answer` was made).

#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use meetingrooms_fuzz::{drain, subscriber, AUDIO_SLOTS, VIDEO_SLOTS};
use str0m::change::SdpAnswer;

fn write_seeds(dir: &str) {
    for (mode, video) in VIDEO_SLOTS.into_iter().enumerate() {
        let (_, offer, _) = subscriber(video);
        let mut client = meetingrooms_fuzz::rtc_config().build(Instant::now());
        let answer = client
            .sdp_api()
            .accept_offer(offer)
            .expect("str0m answers the SFU's offer");
        let mut seed = vec![mode as u8];
        seed.extend_from_slice(answer.to_sdp_string().as_bytes());
        std::fs::write(format!("{dir}/str0m-{video}-video.sdp"), seed).expect("seed written");
    }
    std::process::exit(0);
}

fuzz_target!(
    init: {
        if let Ok(dir) = std::env::var("SDP_ANSWER_SEEDS") {
            write_seeds(&dir);
        }
    },
    |data: &[u8]| {
        let Some((&mode, answer)) = data.split_first() else {
            return;
        };
        let Ok(answer) = std::str::from_utf8(answer) else {
            return;
        };
        let video = VIDEO_SLOTS[usize::from(mode & 1)];
        if protocol::sdp::check_answer(answer, video + AUDIO_SLOTS).is_err() {
            return;
        }
        let Ok(answer) = SdpAnswer::from_sdp_string(answer) else {
            return;
        };
        let (mut rtc, _, pending) = subscriber(video);
        if rtc.sdp_api().accept_answer(pending, answer).is_err() {
            return;
        }
        drain(&mut rtc);
    }
);
