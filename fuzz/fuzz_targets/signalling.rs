//! Every text frame of the room socket goes through this decode: it must never panic, and
//! whatever it accepts must survive a round trip unchanged (the browser encodes with the same
//! types, so a lossy field would mean the two sides disagree).

#![no_main]

use libfuzzer_sys::fuzz_target;
use protocol::ClientMessage;

fuzz_target!(|data: &[u8]| {
    let Ok(message) = serde_json::from_slice::<ClientMessage>(data) else {
        return;
    };
    let encoded = serde_json::to_vec(&message).expect("a decoded message encodes");
    let again: ClientMessage = serde_json::from_slice(&encoded).expect("its encoding decodes");
    assert_eq!(message, again);
});
