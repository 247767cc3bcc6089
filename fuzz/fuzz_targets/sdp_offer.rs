//! A publisher's offer: our shape check first, then what the SFU does with an offer that
//! passes (str0m parses it, a fresh connection accepts it and answers). A NUL byte, never part
//! of SDP, separates a second offer renegotiating the same connection, as when a publisher
//! adds a screen share.

#![no_main]

use libfuzzer_sys::fuzz_target;
use str0m::change::SdpOffer;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut rtc = None;
    for sdp in text.split('\0').take(2) {
        if protocol::sdp::check_offer(sdp).is_err() {
            return;
        }
        let Ok(offer) = SdpOffer::from_sdp_string(sdp) else {
            return;
        };
        let rtc = rtc.get_or_insert_with(meetingrooms_fuzz::publisher);
        let Ok(answer) = rtc.sdp_api().accept_offer(offer) else {
            return;
        };
        let _ = answer.to_sdp_string();
        meetingrooms_fuzz::drain(rtc);
    }
});
