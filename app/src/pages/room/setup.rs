//! The Set devices window: camera, microphone and speaker pickers, a live preview, the
//! microphone level, then Join as viewer or Join stage.

use leptos::html;
use leptos::prelude::*;
use room::Seat;

use super::state::{DeviceOption, Intent, Phase, RoomUi};

#[component]
pub fn SetDevices() -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    let preview = NodeRef::<html::Video>::new();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        ui.preview_changed.track();
        let (Some(video), Some(client)) = (preview.get(), ui.client.get_value()) else {
            return;
        };
        video.set_src_object(client.local_stream().as_ref());
    });
    let may_stage = move || {
        ui.info
            .with(|i| i.as_ref().is_some_and(|i| i.may_take_stage))
    };
    let has_media = move || ui.devices.with(|d| d.have_camera || d.have_microphone);
    let joining = move || ui.phase.get() == Phase::Joining;
    // On phones the audience seat comes first (the spec's mobile default).
    let mobile = {
        #[cfg(feature = "hydrate")]
        {
            crate::media::is_mobile()
        }
        #[cfg(not(feature = "hydrate"))]
        {
            false
        }
    };
    let stage_primary = move || may_stage() && has_media() && !mobile;
    view! {
        <div class="card set-devices" role="dialog" aria-modal="false" aria-labelledby="set-devices-title">
            <h1 id="set-devices-title">"Set devices"</h1>
            <div class="set-devices-body">
                <div class="preview">
                    <video node_ref=preview autoplay=true muted=true playsinline=true aria-label="Camera preview"></video>
                    <div class="meter" role="meter" aria-label="Microphone level" aria-valuemin="0" aria-valuemax="100"
                        aria-valuenow=move || format!("{:.0}", ui.mic_level.get() * 100.0)>
                        <div class="meter-fill" style:width=move || format!("{:.0}%", ui.mic_level.get() * 100.0)></div>
                    </div>
                </div>
                <div class="pickers">
                    <DevicePicker label="Camera" options=Signal::derive(move || ui.devices.with(|d| d.cameras.clone()))
                        chosen=Signal::derive(move || ui.devices.with(|d| d.camera.clone()))
                        on_pick=move |id| ui.act(Intent::PickCamera(id))/>
                    <DevicePicker label="Microphone" options=Signal::derive(move || ui.devices.with(|d| d.microphones.clone()))
                        chosen=Signal::derive(move || ui.devices.with(|d| d.microphone.clone()))
                        on_pick=move |id| ui.act(Intent::PickMicrophone(id))/>
                    <Show when=move || ui.devices.with(|d| d.can_pick_speaker)>
                        <DevicePicker label="Speaker" options=Signal::derive(move || ui.devices.with(|d| d.speakers.clone()))
                            chosen=Signal::derive(move || ui.devices.with(|d| d.speaker.clone()))
                            on_pick=move |id| ui.act(Intent::PickSpeaker(id))/>
                    </Show>
                </div>
            </div>
            {move || ui.devices.with(|d| d.problem.clone()).map(|problem| view! {
                <p class="notice error" role="alert">{problem}</p>
            })}
            {move || ui.notice.get().map(|notice| view! { <p class="notice error" role="alert">{notice}</p> })}
            <Show when=move || !may_stage()>
                <p class="muted">"The stage is for presenters in this room: you join as a viewer."</p>
            </Show>
            <Show when=move || mobile && !has_media()>
                <p class="muted">"Your camera and microphone stay off until you join the stage or preview them."</p>
                <button type="button" class="secondary" on:click=move |_| ui.act(Intent::PreviewDevices)>"Preview camera and microphone"</button>
            </Show>
            <super::connectivity::ConnectivityCheck/>
            <div class="actions">
                <button type="button" class=move || if stage_primary() { "secondary" } else { "primary" }
                    disabled=joining on:click=move |_| ui.act(Intent::Join(Seat::Viewer))>"Join as viewer"</button>
                <Show when=may_stage>
                    <button type="button" class=move || if stage_primary() { "primary" } else { "secondary" }
                        disabled=move || joining() || (!has_media() && !mobile)
                        on:click=move |_| ui.act(Intent::Join(Seat::Stage))>"Join stage"</button>
                </Show>
            </div>
        </div>
    }
}

#[component]
fn DevicePicker(
    label: &'static str,
    options: Signal<Vec<DeviceOption>>,
    chosen: Signal<String>,
    on_pick: impl Fn(String) + Send + Sync + 'static,
) -> impl IntoView {
    let id = format!("device-{}", label.to_lowercase());
    view! {
        <label for=id.clone()>{label}</label>
        <select id=id prop:value=move || chosen.get()
            on:change=move |event| on_pick(event_target_value(&event))>
            <option value="">"Default"</option>
            <For each=move || options.get() key=|o| o.id.clone() let(option)>
                <option value=option.id.clone() selected=move || chosen.get() == option.id>{option.label.clone()}</option>
            </For>
        </select>
    }
}
