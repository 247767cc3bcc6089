//! Set devices' connectivity probes through a running server, with a webrtc-rs peer standing
//! in for the browser: a data-channel-only offer is answered by a short-lived SFU peer that
//! really connects over ICE and DTLS, is dropped after, and bad or excessive probes are refused.

mod common;

use std::sync::Arc;
use std::time::Duration;

use loadtest::sign_in;
use protocol::{ClientMessage, ServerMessage};
use rtc::peer_connection::configuration::setting_engine::SettingEngineBuilder;
use rtc::peer_connection::configuration::RTCConfigurationBuilder;
use tokio::sync::watch;
use webrtc::peer_connection::{
    PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler, RTCIceGatheringState,
    RTCPeerConnectionState,
};

use common::raw::Raw;
use common::{start_server, LiveServer, PATIENCE, ROOM};

struct States {
    state: watch::Sender<RTCPeerConnectionState>,
    gathered: watch::Sender<bool>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for States {
    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        let _ = self.state.send(state);
    }

    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            let _ = self.gathered.send(true);
        }
    }
}

/// A peer with one data channel, as the browser's probe; its offer and its state.
async fn probe_peer() -> (
    impl PeerConnection,
    String,
    watch::Receiver<RTCPeerConnectionState>,
) {
    let (state, states) = watch::channel(RTCPeerConnectionState::New);
    let (gathered, mut done) = watch::channel(false);
    let settings = SettingEngineBuilder::default()
        .with_multicast_dns_mode(rtc::ice::mdns::MulticastDnsMode::Disabled)
        .build();
    let pc = PeerConnectionBuilder::new()
        .with_configuration(RTCConfigurationBuilder::new().build())
        .with_setting_engine(settings)
        .with_handler(Arc::new(States { state, gathered }))
        .with_udp_addrs(vec!["127.0.0.1:0"])
        .build()
        .await
        .expect("peer connection");
    pc.create_data_channel("probe", None)
        .await
        .expect("data channel");
    let offer = pc.create_offer(None).await.expect("offer");
    pc.set_local_description(offer)
        .await
        .expect("local description");
    let _ = tokio::time::timeout(PATIENCE, done.wait_for(|d| *d)).await;
    let sdp = pc.local_description().await.expect("offer set").sdp;
    (pc, sdp, states)
}

async fn probes_alive(server: &LiveServer) -> usize {
    server.state.hub.sfu().stats().await.expect("stats").probes
}

/// Probes, opening the socket without joining (Set devices comes before joining).
async fn socket(server: &LiveServer, cookie: &str) -> Raw {
    let mut raw = Raw::open(server, cookie, ROOM).await;
    raw.until(|m| matches!(m, ServerMessage::Welcome { .. }))
        .await;
    raw
}

async fn reply_to(raw: &mut Raw, probe: u32) -> ServerMessage {
    raw.until(|m| {
        matches!(m, ServerMessage::ProbeAnswer { probe: p, .. } | ServerMessage::ProbeRefused { probe: p, .. } if *p == probe)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_connects_to_the_sfu_and_is_dropped_after() {
    let server = start_server().await;
    let teacher = server.enable_room().await;
    let mut raw = socket(&server, &teacher).await;
    let (pc, sdp, mut states) = probe_peer().await;
    assert!(raw.send(&ClientMessage::ProbeOffer { probe: 7, sdp }).await);
    let ServerMessage::ProbeAnswer { sdp: answer, .. } = reply_to(&mut raw, 7).await else {
        panic!("the probe was refused");
    };
    assert!(answer.contains("m=application"), "{answer}");
    pc.set_remote_description(
        rtc::peer_connection::sdp::RTCSessionDescription::answer(answer).unwrap(),
    )
    .await
    .expect("answer applies");
    let connected = tokio::time::timeout(
        PATIENCE,
        states.wait_for(|s| *s == RTCPeerConnectionState::Connected),
    )
    .await;
    assert!(matches!(connected, Ok(Ok(_))), "ICE and DTLS connect");
    assert_eq!(probes_alive(&server).await, 1);
    // Dropped a few seconds after connecting, without anyone asking.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while probes_alive(&server).await > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the probe peer stays"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(server.state.hub.sfu().stats().await.unwrap().peers, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_direct_udp_blocked_a_direct_probe_cannot_connect() {
    let server = start_server().await;
    let teacher = server.enable_room().await;
    let mut raw = socket(&server, &teacher).await;
    // Only a relay at 127.0.0.2 would get through; this peer sends from 127.0.0.1.
    server
        .state
        .hub
        .sfu()
        .block_direct(Some("127.0.0.2".parse().unwrap()));
    let (pc, sdp, mut states) = probe_peer().await;
    assert!(raw.send(&ClientMessage::ProbeOffer { probe: 1, sdp }).await);
    let ServerMessage::ProbeAnswer { sdp: answer, .. } = reply_to(&mut raw, 1).await else {
        panic!("the probe was refused");
    };
    pc.set_remote_description(
        rtc::peer_connection::sdp::RTCSessionDescription::answer(answer).unwrap(),
    )
    .await
    .unwrap();
    let connected = tokio::time::timeout(
        Duration::from_secs(4),
        states.wait_for(|s| *s == RTCPeerConnectionState::Connected),
    )
    .await;
    assert!(connected.is_err(), "nothing direct gets through");

    // Lifted: the same kind of probe connects.
    server.state.hub.sfu().block_direct(None);
    let (pc, sdp, mut states) = probe_peer().await;
    assert!(raw.send(&ClientMessage::ProbeOffer { probe: 2, sdp }).await);
    let ServerMessage::ProbeAnswer { sdp: answer, .. } = reply_to(&mut raw, 2).await else {
        panic!("the probe was refused");
    };
    pc.set_remote_description(
        rtc::peer_connection::sdp::RTCSessionDescription::answer(answer).unwrap(),
    )
    .await
    .unwrap();
    let connected = tokio::time::timeout(
        PATIENCE,
        states.wait_for(|s| *s == RTCPeerConnectionState::Connected),
    )
    .await;
    assert!(matches!(connected, Ok(Ok(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_media_and_excess_probes_are_refused_and_create_nothing() {
    let server = start_server().await;
    let teacher = server.enable_room().await;
    let student = sign_in(&server.base_url, "student", "demo").await.unwrap();
    let mut raw = socket(&server, &teacher).await;
    let media_offer = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
        m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\n";
    for (probe, sdp) in [(1, "hello".to_owned()), (2, media_offer.to_owned())] {
        assert!(raw.send(&ClientMessage::ProbeOffer { probe, sdp }).await);
        let ServerMessage::ProbeRefused { message, .. } = reply_to(&mut raw, probe).await else {
            panic!("probe {probe} was answered");
        };
        assert!(!message.is_empty());
    }
    assert_eq!(probes_alive(&server).await, 0);

    // The burst is per person: past it the teacher is refused, a student is not.
    let mut refused = None;
    for probe in 3..40 {
        assert!(
            raw.send(&ClientMessage::ProbeOffer {
                probe,
                sdp: "hello".into()
            })
            .await
        );
        if let ServerMessage::ProbeRefused { message, .. } = reply_to(&mut raw, probe).await {
            if message.starts_with("Too many connection tests") {
                refused = Some(probe);
                break;
            }
        }
    }
    assert!(
        refused.is_some_and(|p| p <= 20),
        "refused from probe {refused:?}"
    );
    let mut other = socket(&server, &student).await;
    assert!(
        other
            .send(&ClientMessage::ProbeOffer {
                probe: 1,
                sdp: "hello".into()
            })
            .await
    );
    let ServerMessage::ProbeRefused { message, .. } = reply_to(&mut other, 1).await else {
        panic!("answered");
    };
    assert!(!message.starts_with("Too many"), "{message}");
}
