//! The SFU reads every forwarded video packet's VP8 descriptor to find key frames: any bytes a
//! publisher sends must be answered without a panic or an out-of-bounds read.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|payload: &[u8]| {
    let keyframe = protocol::vp8::starts_keyframe(payload);
    // A key frame needs at least the descriptor's first byte and the payload header.
    assert!(!keyframe || payload.len() >= 2);
});
