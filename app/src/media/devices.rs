//! Cameras, microphones and speakers: permission, enumeration, the remembered choice, the
//! microphone level meter.

use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AnalyserNode, AudioContext, MediaDeviceInfo, MediaDeviceKind, MediaStream,
    MediaStreamConstraints,
};

use crate::pages::room::state::DeviceOption;

const STORAGE_PREFIX: &str = "meetingrooms.device.";

fn window() -> web_sys::Window {
    web_sys::window().expect("a window")
}

fn media_devices() -> Result<web_sys::MediaDevices, JsValue> {
    window().navigator().media_devices()
}

/// A constraint for one device kind: `false`, the default device, or an exact device id.
fn constraint(wanted: bool, device_id: &str) -> JsValue {
    if !wanted {
        return JsValue::FALSE;
    }
    if device_id.is_empty() {
        return JsValue::TRUE;
    }
    let exact = js_sys::Object::new();
    let _ = Reflect::set(&exact, &"exact".into(), &device_id.into());
    let track = js_sys::Object::new();
    let _ = Reflect::set(&track, &"deviceId".into(), &exact);
    track.into()
}

pub async fn user_media(
    camera: Option<&str>,
    microphone: Option<&str>,
) -> Result<MediaStream, JsValue> {
    let constraints = MediaStreamConstraints::new();
    constraints.set_video(&constraint(camera.is_some(), camera.unwrap_or_default()));
    constraints.set_audio(&constraint(
        microphone.is_some(),
        microphone.unwrap_or_default(),
    ));
    let promise = media_devices()?.get_user_media_with_constraints(&constraints)?;
    Ok(JsFuture::from(promise).await?.unchecked_into())
}

pub async fn display_media() -> Result<MediaStream, JsValue> {
    let promise = media_devices()?.get_display_media()?;
    Ok(JsFuture::from(promise).await?.unchecked_into())
}

pub struct Enumerated {
    pub cameras: Vec<DeviceOption>,
    pub microphones: Vec<DeviceOption>,
    pub speakers: Vec<DeviceOption>,
}

pub async fn enumerate() -> Result<Enumerated, JsValue> {
    let list: Array = JsFuture::from(media_devices()?.enumerate_devices()?)
        .await?
        .unchecked_into();
    let mut found = Enumerated {
        cameras: Vec::new(),
        microphones: Vec::new(),
        speakers: Vec::new(),
    };
    for info in list.iter().map(|d| d.unchecked_into::<MediaDeviceInfo>()) {
        let id = info.device_id();
        let kind = info.kind();
        let (list, noun) = match kind {
            MediaDeviceKind::Videoinput => (&mut found.cameras, "Camera"),
            MediaDeviceKind::Audioinput => (&mut found.microphones, "Microphone"),
            MediaDeviceKind::Audiooutput => (&mut found.speakers, "Speaker"),
            _ => continue,
        };
        // Before permission, ids and labels are empty: one anonymous entry per kind is enough.
        if id.is_empty() && !list.is_empty() {
            continue;
        }
        let label = match info.label() {
            label if label.is_empty() => format!("{noun} {}", list.len() + 1),
            label => label,
        };
        list.push(DeviceOption { id, label });
    }
    Ok(found)
}

/// A person-readable reason for a failed `getUserMedia`.
pub fn media_problem(error: &JsValue) -> String {
    let name = Reflect::get(error, &"name".into())
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    match name.as_str() {
        "NotAllowedError" | "SecurityError" => "Camera and microphone are blocked for this site. \
            Allow them in the browser's site settings to join the stage; you can still join as a viewer."
            .into(),
        "NotFoundError" | "OverconstrainedError" => {
            "No camera or microphone was found. You can still join as a viewer.".into()
        }
        "NotReadableError" => "The camera or microphone is in use by another application.".into(),
        _ => format!("Camera and microphone are not available ({name}). You can still join as a viewer."),
    }
}

pub fn can_pick_speaker() -> bool {
    let Ok(element) = Reflect::get(&window(), &"HTMLMediaElement".into()) else {
        return false;
    };
    Reflect::get(&element, &"prototype".into())
        .and_then(|proto| Reflect::has(&proto, &"setSinkId".into()))
        .unwrap_or(false)
}

/// Routes an audio/video element to a speaker (`setSinkId`), where the browser can.
pub fn set_speaker(element: &web_sys::HtmlMediaElement, device_id: &str) {
    let Ok(set_sink) = Reflect::get(element, &"setSinkId".into()) else {
        return;
    };
    if let Some(set_sink) = set_sink.dyn_ref::<js_sys::Function>() {
        // A rejected promise (device gone) leaves the default output playing.
        let _ = set_sink.call1(element, &device_id.into());
    }
}

pub fn remembered(kind: &str) -> String {
    window()
        .local_storage()
        .ok()
        .flatten()
        .and_then(|s| {
            s.get_item(&format!("{STORAGE_PREFIX}{kind}"))
                .ok()
                .flatten()
        })
        .unwrap_or_default()
}

pub fn remember(kind: &str, device_id: &str) {
    if let Ok(Some(storage)) = window().local_storage() {
        let _ = storage.set_item(&format!("{STORAGE_PREFIX}{kind}"), device_id);
    }
}

pub fn is_mobile() -> bool {
    let agent = window().navigator().user_agent().unwrap_or_default();
    agent.contains("Mobi") || agent.contains("Android")
}

/// The microphone level of a stream, read on demand (0.0 silent to 1.0 loud).
pub struct LevelMeter {
    context: AudioContext,
    analyser: AnalyserNode,
    samples: Uint8Array,
}

impl LevelMeter {
    pub fn new(stream: &MediaStream) -> Result<Self, JsValue> {
        let context = AudioContext::new()?;
        let source = context.create_media_stream_source(stream)?;
        let analyser = context.create_analyser()?;
        analyser.set_fft_size(512);
        source.connect_with_audio_node(&analyser)?;
        let samples = Uint8Array::new_with_length(analyser.fft_size());
        Ok(Self {
            context,
            analyser,
            samples,
        })
    }

    pub fn level(&self) -> f64 {
        let mut buffer = vec![0u8; self.samples.length() as usize];
        self.analyser.get_byte_time_domain_data(&mut buffer);
        let energy: f64 = buffer
            .iter()
            .map(|&b| {
                let centred = (f64::from(b) - 128.0) / 128.0;
                centred * centred
            })
            .sum::<f64>()
            / buffer.len().max(1) as f64;
        // RMS of speech is ~0.05-0.3; stretch so a normal voice fills most of the meter.
        (energy.sqrt() * 4.0).min(1.0)
    }

    pub fn close(&self) {
        let _ = self.context.close();
    }
}

/// Stops every track of a stream (the camera light goes off).
pub fn stop_all(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        track.unchecked_into::<web_sys::MediaStreamTrack>().stop();
    }
}
