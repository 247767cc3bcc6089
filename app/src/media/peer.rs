//! `RTCPeerConnection` plumbing: creation with the server's ICE servers, offer/answer, and
//! send-only transceivers (the camera with three simulcast layers).

use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    MediaStream, MediaStreamTrack, RtcConfiguration, RtcIceServer, RtcPeerConnection,
    RtcRtpEncodingParameters, RtcRtpTransceiver, RtcRtpTransceiverDirection, RtcRtpTransceiverInit,
    RtcSdpType, RtcSessionDescriptionInit,
};

use protocol::{IceServer, Quality};

pub fn connection(ice_servers: &[IceServer]) -> Result<RtcPeerConnection, JsValue> {
    let config = RtcConfiguration::new();
    let servers = Array::new();
    for server in ice_servers {
        let entry = RtcIceServer::new();
        let urls: Array = server.urls.iter().map(|u| JsValue::from_str(u)).collect();
        entry.set_urls(&urls);
        if let Some(username) = &server.username {
            entry.set_username(username);
        }
        if let Some(credential) = &server.credential {
            entry.set_credential(credential);
        }
        servers.push(&entry);
    }
    config.set_ice_servers(&servers);
    RtcPeerConnection::new_with_configuration(&config)
}

fn local_sdp(pc: &RtcPeerConnection) -> Result<String, JsValue> {
    pc.local_description()
        .map(|d| d.sdp())
        .ok_or_else(|| JsValue::from_str("no local description"))
}

/// Creates and applies an offer; returns its SDP.
pub async fn offer(pc: &RtcPeerConnection) -> Result<String, JsValue> {
    let offer = JsFuture::from(pc.create_offer()).await?;
    let description: RtcSessionDescriptionInit = offer.unchecked_into();
    JsFuture::from(pc.set_local_description(&description)).await?;
    local_sdp(pc)
}

pub async fn accept_answer(pc: &RtcPeerConnection, sdp: &str) -> Result<(), JsValue> {
    let answer = RtcSessionDescriptionInit::new(RtcSdpType::Answer);
    answer.set_sdp(sdp);
    JsFuture::from(pc.set_remote_description(&answer)).await?;
    Ok(())
}

/// Applies a remote offer and answers it; returns the answer's SDP.
pub async fn answer(pc: &RtcPeerConnection, sdp: &str) -> Result<String, JsValue> {
    let offer = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
    offer.set_sdp(sdp);
    JsFuture::from(pc.set_remote_description(&offer)).await?;
    let answer = JsFuture::from(pc.create_answer()).await?;
    let description: RtcSessionDescriptionInit = answer.unchecked_into();
    JsFuture::from(pc.set_local_description(&description)).await?;
    local_sdp(pc)
}

/// A send-only transceiver of `kind` ("audio" or "video") sending `track` (none: muted, or a
/// rebuilt connection taking over a sender that sent nothing); cameras get the three
/// simulcast layers the SFU picks from (rids and scales from [`Quality`]).
pub fn send_only(
    pc: &RtcPeerConnection,
    kind: &str,
    track: Option<&MediaStreamTrack>,
    stream: &MediaStream,
    simulcast: bool,
) -> RtcRtpTransceiver {
    let init = RtcRtpTransceiverInit::new();
    init.set_direction(RtcRtpTransceiverDirection::Sendonly);
    init.set_streams(&Array::of1(stream));
    if simulcast {
        let encodings: Array = Quality::ALL
            .iter()
            .map(|quality| {
                let encoding = RtcRtpEncodingParameters::new();
                encoding.set_rid(quality.rid());
                encoding.set_scale_resolution_down_by(quality.scale_down_by() as f32);
                encoding.set_max_bitrate(quality.max_bitrate());
                JsValue::from(encoding)
            })
            .collect();
        init.set_send_encodings(&encodings);
    }
    match track {
        Some(track) => pc.add_transceiver_with_media_stream_track_and_init(track, &init),
        None => pc.add_transceiver_with_str_and_init(kind, &init),
    }
}

/// Swaps what a sender sends (`None` stops sending without renegotiating).
pub async fn replace_track(
    transceiver: &RtcRtpTransceiver,
    track: Option<&MediaStreamTrack>,
) -> Result<(), JsValue> {
    JsFuture::from(transceiver.sender().replace_track(track)).await?;
    Ok(())
}

/// Exposes the page's connections as `window.meetingRoom.{publisher,subscriber}` so tools
/// (and the end-to-end tests) can read their `getStats()`.
pub fn expose(role: &str, pc: &RtcPeerConnection) {
    let window = web_sys::window().expect("a window");
    let holder = Reflect::get(&window, &"meetingRoom".into())
        .ok()
        .filter(|v| v.is_object())
        .unwrap_or_else(|| {
            let fresh = js_sys::Object::new();
            let _ = Reflect::set(&window, &"meetingRoom".into(), &fresh);
            fresh.into()
        });
    let _ = Reflect::set(&holder, &role.into(), pc);
}
