//! The site admin's "LMS platforms" page: register, edit and remove Moodle sites and Canvas
//! instances, the URLs to paste into them, and rotating the tool's signing key.

use domain::lti::{Platform, PlatformInput, ToolUrls};
use domain::Lms;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use super::not_found::set_response_status;
use crate::components::{error_text, ErrorNotice, Loading, RequireSignIn};
use crate::use_session;

/// What the page shows: the registrations and the tool's URLs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LtiAdmin {
    pub platforms: Vec<Platform>,
    pub urls: ToolUrls,
}

#[cfg(feature = "ssr")]
mod backend {
    use leptos::prelude::*;
    use store::{Store, Viewer};

    /// The store and the signed-in viewer, or the refusal the page shows (with its status).
    pub fn context() -> Result<(Store, Viewer), ServerFnError> {
        let store = use_context::<Store>()
            .ok_or_else(|| ServerFnError::new("the store is not provided"))?;
        let viewer = use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Viewer>().cloned())
            .ok_or_else(|| fail(store::Error::Unauthenticated))?;
        Ok((store, viewer))
    }

    pub fn fail(error: store::Error) -> ServerFnError {
        if let (Some(response), Ok(status)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            http::StatusCode::from_u16(error.http_status()),
        ) {
            response.set_status(status);
        }
        if error.is_internal() {
            tracing::error!(%error, "server function failed");
            return ServerFnError::new("something went wrong on the server");
        }
        ServerFnError::new(error.to_string())
    }

    /// The tool's URLs as this request reached the site (the same rule `/lti/login` uses).
    pub fn tool_urls() -> domain::lti::ToolUrls {
        let host = use_context::<http::request::Parts>().and_then(|parts| {
            parts
                .headers
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
        });
        let secure = use_context::<crate::session::CookiePolicy>()
            .unwrap_or_default()
            .secure;
        let configured = std::env::var("LTI_TOOL_URL").ok();
        domain::lti::ToolUrls::at(&domain::lti::tool_base(
            configured.as_deref(),
            host.as_deref(),
            secure,
        ))
    }
}

#[server(prefix = "/_fn", input = Json, endpoint = "load_lti_admin")]
pub async fn load_lti_admin() -> Result<LtiAdmin, ServerFnError> {
    let (store, viewer) = backend::context()?;
    let platforms = store.lti_platforms(&viewer).await.map_err(backend::fail)?;
    Ok(LtiAdmin {
        platforms,
        urls: backend::tool_urls(),
    })
}

/// Registers a platform (`id` none) or changes one.
#[server(prefix = "/_fn", input = Json, endpoint = "save_lti_platform")]
pub async fn save_lti_platform(
    id: Option<i64>,
    input: PlatformInput,
) -> Result<Platform, ServerFnError> {
    let (store, viewer) = backend::context()?;
    match id {
        Some(id) => store.update_lti_platform(&viewer, id, &input).await,
        None => store.create_lti_platform(&viewer, &input).await,
    }
    .map_err(backend::fail)
}

#[server(prefix = "/_fn", input = Json, endpoint = "delete_lti_platform")]
pub async fn delete_lti_platform(id: i64) -> Result<(), ServerFnError> {
    let (store, viewer) = backend::context()?;
    store
        .delete_lti_platform(&viewer, id)
        .await
        .map_err(backend::fail)
}

#[component]
pub fn LtiPlatformsPage() -> impl IntoView {
    view! {
        <RequireSignIn>
            <LtiPlatformsLoader/>
        </RequireSignIn>
    }
}

#[component]
fn LtiPlatformsLoader() -> impl IntoView {
    let session = use_session();
    let save = ServerAction::<SaveLtiPlatform>::new();
    let remove = ServerAction::<DeleteLtiPlatform>::new();
    let admin = Resource::new(
        move || (save.version().get(), remove.version().get()),
        |_| load_lti_admin(),
    );
    view! {
        <Title text="LMS platforms"/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let is_admin = matches!(session.me.await, Ok(Some(me)) if me.site_admin);
                if !is_admin {
                    set_response_status(403);
                    return view! { <ErrorNotice message="Only site administrators manage LMS platforms."/> }.into_any();
                }
                match admin.await {
                    Ok(admin) => view! { <LtiPlatforms admin save remove/> }.into_any(),
                    Err(error) => view! { <ErrorNotice message=error_text(&error)/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ToolUrlList(urls: ToolUrls) -> impl IntoView {
    let rows = [
        ("Login initiation URL", urls.login),
        ("Launch (redirect) URL", urls.launch),
        ("Deep linking URL", urls.deep_linking),
        ("Public keyset (JWKS) URL", urls.jwks),
    ];
    view! {
        <section class="card" aria-labelledby="tool-urls">
            <h2 id="tool-urls">"Paste into the LMS"</h2>
            <dl class="tool-urls">
                {rows.into_iter().map(|(term, url)| view! { <dt>{term}</dt><dd><code>{url}</code></dd> }).collect_view()}
            </dl>
        </section>
    }
}

#[component]
fn LtiPlatforms(
    admin: LtiAdmin,
    save: ServerAction<SaveLtiPlatform>,
    remove: ServerAction<DeleteLtiPlatform>,
) -> impl IntoView {
    let editing = RwSignal::new(None::<Platform>);
    let outcome = move || match (save.value().get(), remove.value().get()) {
        (Some(Err(error)), _) | (_, Some(Err(error))) => {
            view! { <ErrorNotice message=format!("Not saved: {}", error_text(&error))/> }.into_any()
        }
        (Some(Ok(_)), _) => {
            view! { <p class="notice success" role="status">"Platform saved."</p> }.into_any()
        }
        _ => ().into_any(),
    };
    let rows = admin
        .platforms
        .into_iter()
        .map(|platform| {
            let name = format!("{} ({})", platform.issuer, platform.client_id);
            let id = platform.id;
            let edit_label = format!("Edit {name}");
            let delete_label = format!("Delete {name}");
            view! {
                <li class="platform">
                    <span>{lms_label(platform.lms)}" · "{name.clone()}</span>
                    <button type="button" class="button" aria-label=edit_label
                        on:click=move |_| editing.set(Some(platform.clone()))>"Edit"</button>
                    <button type="button" class="button" aria-label=delete_label
                        on:click=move |_| { remove.dispatch(DeleteLtiPlatform { id }); }>"Delete"</button>
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="stack">
            <h1>"LMS platforms"</h1>
            <p>"Moodle sites and Canvas instances whose courses reach their media gallery and meeting room through LTI 1.3."</p>
            <div aria-live="polite">{outcome}</div>
            <ToolUrlList urls=admin.urls/>
            <RotateToolKey/>
            <section class="card" aria-labelledby="registered">
                <h2 id="registered">"Registered platforms"</h2>
                <ul class="platforms" aria-labelledby="registered">{rows}</ul>
            </section>
            {move || view! { <PlatformForm editing=editing.get() save on_done=move || editing.set(None)/> }}
        </div>
    }
}

/// `POST /api/lti/keys/rotate`, the REST endpoint (site admins only: it answers 403 to anyone
/// else): the new key's id, or why not. The key is made where the tool's other keys are, in
/// the server, so the page calls the endpoint rather than a server function of its own.
#[cfg(feature = "hydrate")]
async fn rotate_tool_key() -> Result<String, String> {
    use js_sys::{Function, Object, Promise, Reflect};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    let unreachable = |_: JsValue| "the server could not be reached".to_string();
    let global = js_sys::global();
    let fetch: Function = Reflect::get(&global, &"fetch".into())
        .and_then(|f| f.dyn_into())
        .map_err(unreachable)?;
    let init = Object::new();
    let headers = Object::new();
    for (target, key, value) in [
        (&init, "method", JsValue::from("POST")),
        (&init, "credentials", JsValue::from("same-origin")),
        (&headers, "Accept", JsValue::from("application/json")),
        (&init, "headers", headers.clone().into()),
    ] {
        Reflect::set(target, &key.into(), &value).map_err(unreachable)?;
    }
    let call = |promise: JsValue| async move {
        let promise: Promise = promise.dyn_into()?;
        JsFuture::from(promise).await
    };
    let response = call(
        fetch
            .call2(&global, &"/api/lti/keys/rotate".into(), &init)
            .map_err(unreachable)?,
    )
    .await
    .map_err(unreachable)?;
    let ok = Reflect::get(&response, &"ok".into())
        .ok()
        .and_then(|ok| ok.as_bool())
        .unwrap_or(false);
    let json: Function = Reflect::get(&response, &"json".into())
        .and_then(|f| f.dyn_into())
        .map_err(unreachable)?;
    let body = call(json.call0(&response).map_err(unreachable)?)
        .await
        .map_err(|_| "the server's answer was not understood".to_string())?;
    let field = |name: &str| {
        Reflect::get(&body, &name.into())
            .ok()
            .and_then(|value| value.as_string())
    };
    match (ok, field("kid"), field("message")) {
        (true, Some(kid), _) => Ok(kid),
        (false, _, Some(message)) => Err(message),
        _ => Err("the server's answer was not understood".to_string()),
    }
}

/// Only pages in the browser click; the server renders the button alone.
#[cfg(not(feature = "hydrate"))]
async fn rotate_tool_key() -> Result<String, String> {
    Err("rotating works in the browser".to_string())
}

/// The tool's signing key, made anew on request; the previous key stays published, so tokens
/// it signed a moment ago still verify and platforms fetch the new one when they first see it.
#[component]
fn RotateToolKey() -> impl IntoView {
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let pending = RwSignal::new(false);
    let rotate = move |_| {
        pending.set(true);
        leptos::task::spawn_local(async move {
            let rotated = rotate_tool_key().await;
            pending.set(false);
            outcome.set(Some(rotated));
        });
    };
    view! {
        <section class="card" aria-labelledby="tool-key">
            <h2 id="tool-key">"Tool key"</h2>
            <p>"The tool signs its messages to the LMS with this key. A new key takes over at once; the previous one stays published until the next rotation."</p>
            <button type="button" class="button" disabled=move || pending.get() on:click=rotate>
                "Rotate tool key"
            </button>
            <div aria-live="polite">
                {move || match outcome.get() {
                    Some(Ok(kid)) => view! {
                        <p class="notice success" role="status">"Tool key rotated. New key id: "<code>{kid}</code></p>
                    }
                    .into_any(),
                    Some(Err(error)) => view! { <ErrorNotice message=format!("Not rotated: {error}")/> }.into_any(),
                    None => ().into_any(),
                }}
            </div>
        </section>
    }
}

fn lms_label(lms: Lms) -> &'static str {
    match lms {
        Lms::Moodle => "Moodle",
        Lms::Canvas => "Canvas",
    }
}

#[component]
fn PlatformForm(
    editing: Option<Platform>,
    save: ServerAction<SaveLtiPlatform>,
    on_done: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = editing.as_ref().map(|p| p.id);
    let field =
        |f: fn(&Platform) -> String| RwSignal::new(editing.as_ref().map(f).unwrap_or_default());
    let lms = RwSignal::new(editing.as_ref().map_or(Lms::Moodle, |p| p.lms));
    let issuer = field(|p| p.issuer.clone());
    let client_id = field(|p| p.client_id.clone());
    let deployments = field(|p| p.deployment_ids.join("\n"));
    let auth_url = field(|p| p.auth_url.clone());
    let jwks_url = field(|p| p.jwks_url.clone());
    let token_url = field(|p| p.token_url.clone());
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = PlatformInput {
            lms: lms.get_untracked(),
            issuer: issuer.get_untracked(),
            client_id: client_id.get_untracked(),
            deployment_ids: deployments
                .get_untracked()
                .split([',', '\n'])
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(str::to_string)
                .collect(),
            auth_url: auth_url.get_untracked(),
            jwks_url: jwks_url.get_untracked(),
            token_url: token_url.get_untracked(),
        };
        save.dispatch(SaveLtiPlatform { id, input });
    };
    let text = |label: &'static str, value: RwSignal<String>| {
        view! {
            <label class="field">
                <span>{label}</span>
                <input required prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
            </label>
        }
    };
    let heading = if id.is_some() {
        "Edit platform"
    } else {
        "Register a platform"
    };
    view! {
        <form class="card stack" on:submit=on_submit aria-labelledby="platform-form">
            <h2 id="platform-form">{heading}</h2>
            <div class="field">
                <label for="lti-lms">"LMS"</label>
                <select id="lti-lms" on:change=move |ev| lms.set(Lms::parse(&event_target_value(&ev)).unwrap_or(Lms::Moodle))>
                    <option value="moodle" selected=move || lms.get() == Lms::Moodle>"Moodle"</option>
                    <option value="canvas" selected=move || lms.get() == Lms::Canvas>"Canvas"</option>
                </select>
            </div>
            {text("Issuer", issuer)}
            {text("Client ID", client_id)}
            <label class="field">
                <span>"Deployment IDs"</span>
                <textarea required rows="2" prop:value=move || deployments.get()
                    on:input=move |ev| deployments.set(event_target_value(&ev))></textarea>
                <span class="hint">"One per line."</span>
            </label>
            {text("Authentication request URL", auth_url)}
            {text("Public keyset (JWKS) URL", jwks_url)}
            {text("Access token URL", token_url)}
            <div class="actions">
                <button type="submit" class="button primary" disabled=move || save.pending().get()>
                    {if id.is_some() { "Save changes" } else { "Register platform" }}
                </button>
                {id.map(|_| view! { <button type="button" class="button" on:click=move |_| on_done()>"Cancel"</button> })}
            </div>
        </form>
    }
}
