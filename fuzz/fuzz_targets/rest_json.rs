//! The REST API's request bodies (`ApiJson<T>`): the first byte picks the body type, the rest
//! is the JSON. Same contract as the socket: no panic, lossless round trip.

#![no_main]

use domain::api::{AddModerators, Credentials, NewInvitation, RoomSettings, SiteSettings};
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde::Serialize;

fn round_trip<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(json: &[u8]) {
    let Ok(body) = serde_json::from_slice::<T>(json) else {
        return;
    };
    let encoded = serde_json::to_vec(&body).expect("a decoded body encodes");
    let again: T = serde_json::from_slice(&encoded).expect("its encoding decodes");
    assert_eq!(body, again);
}

fuzz_target!(|data: &[u8]| {
    let Some((&kind, json)) = data.split_first() else {
        return;
    };
    match kind % 5 {
        0 => round_trip::<Credentials>(json),
        1 => round_trip::<RoomSettings>(json),
        2 => round_trip::<SiteSettings>(json),
        3 => round_trip::<AddModerators>(json),
        _ => round_trip::<NewInvitation>(json),
    }
});
