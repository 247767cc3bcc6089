//! webrtc-rs peer connections for a bot, and the synthetic media it sends: VP8 frames (a key
//! frame every few seconds or when asked) and Opus packets, with valid payload descriptors
//! so the SFU's key frame detection sees real structure.

use std::sync::Arc;

use rtc::interceptor::Registry;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::interceptor_registry::register_default_interceptors;
use rtc::peer_connection::configuration::media_engine::{
    MediaEngine, MIME_TYPE_OPUS, MIME_TYPE_VP8,
};
use rtc::peer_connection::configuration::setting_engine::SettingEngineBuilder;
use rtc::peer_connection::configuration::RTCConfigurationBuilder;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters, RTCRtpEncodingParameters,
    RtpCodecKind,
};
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::peer_connection::{PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler};

use crate::bot::BotError;
use crate::keyframes::KeyframeRequests;

pub const VP8_PT: u8 = 96;
pub const OPUS_PT: u8 = 111;

fn codec(kind: RtpCodecKind) -> RTCRtpCodecParameters {
    let (mime, clock_rate, channels, payload_type) = match kind {
        RtpCodecKind::Audio => (MIME_TYPE_OPUS, 48_000, 2, OPUS_PT),
        _ => (MIME_TYPE_VP8, 90_000, 0, VP8_PT),
    };
    RTCRtpCodecParameters {
        rtp_codec: RTCRtpCodec {
            mime_type: mime.to_owned(),
            clock_rate,
            channels,
            sdp_fmtp_line: String::new(),
            rtcp_feedback: vec![],
        },
        payload_type,
    }
}

fn error(e: impl std::fmt::Display) -> BotError {
    BotError::Media(e.to_string())
}

pub async fn connection(
    handler: Arc<dyn PeerConnectionEventHandler>,
) -> Result<impl PeerConnection, BotError> {
    let mut engine = MediaEngine::default();
    for kind in [RtpCodecKind::Audio, RtpCodecKind::Video] {
        engine.register_codec(codec(kind), kind).map_err(error)?;
    }
    let registry = register_default_interceptors(Registry::new(), &mut engine).map_err(error)?;
    let registry = registry.with(
        rtc::interceptor::Slot::from(14_000),
        KeyframeRequests::default(),
    );
    // A loopback-only namespace has no multicast: mDNS would fail the gathering.
    let settings = SettingEngineBuilder::default()
        .with_multicast_dns_mode(rtc::ice::mdns::MulticastDnsMode::Disabled)
        .build();
    PeerConnectionBuilder::new()
        .with_configuration(RTCConfigurationBuilder::new().build())
        .with_media_engine(engine)
        .with_setting_engine(settings)
        .with_interceptor_registry(registry)
        .with_handler(handler)
        // 0.0.0.0 would skip loopback, where the test server listens.
        .with_udp_addrs(vec!["127.0.0.1:0"])
        .build()
        .await
        .map_err(error)
}

pub fn local_track(kind: RtpCodecKind, ssrc: u32) -> Arc<TrackLocalStaticRTP> {
    let label = if kind == RtpCodecKind::Audio {
        "mic"
    } else {
        "camera"
    };
    Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
        "bot".to_owned(),
        format!("bot-{label}"),
        label.to_owned(),
        kind,
        vec![RTCRtpEncodingParameters {
            rtp_coding_parameters: RTCRtpCodingParameters {
                ssrc: Some(ssrc),
                ..Default::default()
            },
            codec: codec(kind).rtp_codec,
            ..Default::default()
        }],
    )))
}

/// The `a=mid` of each media section of an SDP, with its kind, in order.
pub fn mids(sdp: &str) -> Vec<(RtpCodecKind, String)> {
    let mut found = Vec::new();
    let mut kind = None;
    for line in sdp.lines() {
        if let Some(media) = line.strip_prefix("m=") {
            kind = Some(if media.starts_with("audio") {
                RtpCodecKind::Audio
            } else {
                RtpCodecKind::Video
            });
        } else if let (Some(mid), Some(k)) = (line.strip_prefix("a=mid:"), kind) {
            found.push((k, mid.trim().to_owned()));
        }
    }
    found
}

/// One VP8 frame as RTP payloads: descriptor (PictureID), VP8 header, filler to `size`.
pub fn vp8_frame(picture_id: u16, keyframe: bool, size: usize, out: &mut Vec<Vec<u8>>) {
    const MTU_PAYLOAD: usize = 1100;
    out.clear();
    let mut remaining = size.max(16);
    let mut first = true;
    while remaining > 0 {
        let chunk = remaining.min(MTU_PAYLOAD);
        let mut payload = Vec::with_capacity(chunk + 4);
        // X=1, S=1 on the first packet of the frame, PID 0; then I=1 with a 15-bit PictureID.
        payload.push(if first { 0x90 } else { 0x80 });
        payload.push(0x80);
        payload.push(0x80 | ((picture_id >> 8) as u8 & 0x7f));
        payload.push(picture_id as u8);
        if first {
            // Frame tag: P bit clear on key frames; key frames carry the start code.
            payload.push(if keyframe { 0x10 } else { 0x11 });
            if keyframe {
                payload.extend_from_slice(&[0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01]);
            }
        }
        payload.resize(chunk + 4, 0x5a);
        out.push(payload);
        remaining -= chunk;
        first = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_frames_are_recognised_like_real_ones() {
        let mut packets = Vec::new();
        vp8_frame(300, true, 2500, &mut packets);
        assert_eq!(packets.len(), 3);
        assert!(protocol::vp8::starts_keyframe(&packets[0]));
        assert!(!protocol::vp8::starts_keyframe(&packets[1]));
        vp8_frame(301, false, 800, &mut packets);
        assert_eq!(packets.len(), 1);
        assert!(!protocol::vp8::starts_keyframe(&packets[0]));
    }

    #[test]
    fn mids_come_in_section_order() {
        let sdp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\n";
        assert_eq!(
            mids(sdp),
            vec![
                (RtpCodecKind::Audio, "0".into()),
                (RtpCodecKind::Video, "1".into())
            ]
        );
    }
}
