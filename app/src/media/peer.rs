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

thread_local! {
    /// Set devices' connectivity check found that only the TURN relay reaches the media
    /// server: the room's connections then gather relay candidates only, instead of waiting
    /// for direct checks that cannot succeed. One page has one room, so a page-wide setting.
    static RELAY_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

pub fn set_relay_only(relay_only: bool) {
    RELAY_ONLY.with(|cell| cell.set(relay_only));
}

pub fn connection(ice_servers: &[IceServer]) -> Result<RtcPeerConnection, JsValue> {
    configured(ice_servers, RELAY_ONLY.with(std::cell::Cell::get))
}

/// A connectivity probe's connection: only `ice_servers`, relay candidates only if `relay`.
pub fn probe_connection(
    ice_servers: &[IceServer],
    relay: bool,
) -> Result<RtcPeerConnection, JsValue> {
    configured(ice_servers, relay)
}

fn configured(ice_servers: &[IceServer], relay: bool) -> Result<RtcPeerConnection, JsValue> {
    let config = RtcConfiguration::new();
    if relay {
        // By name: the policy enum needs another web-sys feature for one string.
        Reflect::set(&config, &"iceTransportPolicy".into(), &"relay".into())?;
    }
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
/// rebuilt connection taking over a sender that sent nothing); cameras get the simulcast
/// layers the SFU picks from (rids and scales from [`Quality`]), as many as the camera's size
/// lets the browser send (two when the size is not known yet).
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
    let layers = match track.map(MediaStreamTrack::get_settings) {
        Some(settings) => Quality::simulcast_layers(
            settings.get_width().unwrap_or(0).max(0) as u32,
            settings.get_height().unwrap_or(0).max(0) as u32,
        ),
        None => &Quality::ALL[1..],
    };
    // One layer is no simulcast: the browser sends the camera as it is.
    if simulcast && layers.len() > 1 {
        let encodings: Array = layers
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
