//! The HTTP server: the REST API, the server-rendered Leptos app and its assets.

pub mod api;
mod assets;
pub mod config;
pub mod error;
mod events;
mod faults;
pub mod live;
pub mod lti;
pub mod recording;
pub mod session;
pub mod sfu;

use app::session::CookiePolicy;
use app::{shell, App};
use axum::extract::{FromRef, State};
use axum::middleware;
use axum::routing::get;
use axum::Router;
use leptos::prelude::{provide_context, LeptosOptions};
use leptos_axum::{generate_route_list, LeptosRoutes};
use store::Store;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

pub use config::Config;
pub use error::AppError;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub store: Store,
    pub leptos_options: LeptosOptions,
    pub cookies: CookiePolicy,
    pub hub: live::Hub,
    pub ice: std::sync::Arc<config::IceConfig>,
    /// Whether the test-only fault routes are mounted (`TEST_FAULTS=1`).
    pub test_faults: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Store(#[from] store::Error),
    #[error("media server UDP socket {addr}: {source}")]
    Sfu {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
}

impl AppState {
    /// Connects to the database (running migrations), seeds the demo if configured, and
    /// starts the SFU on its UDP socket.
    pub async fn new(config: &Config) -> Result<Self, StartError> {
        let store = Store::connect(&config.database_url).await?;
        if config.seed_demo {
            store.seed_demo_if_empty().await?;
        }
        let (sfu, sfu_events) = sfu::Sfu::start(
            config.rtc_udp_addr,
            config.rtc_public_ip,
            config.rtc_workers,
        )
        .await
        .map_err(|source| StartError::Sfu {
            addr: config.rtc_udp_addr,
            source,
        })?;
        let hub = live::Hub::start(
            store.clone(),
            sfu,
            sfu_events,
            config.live,
            config.media_dir.clone(),
        );
        // Recordings a crash interrupted are finalised from what reached the disk.
        tokio::spawn(recording::recover(store.clone(), config.media_dir.clone()));
        Ok(Self {
            test_faults: config.test_faults,
            store,
            leptos_options: config.leptos_options(),
            cookies: CookiePolicy {
                secure: config.cookie_secure,
            },
            hub,
            ice: std::sync::Arc::new(config.ice.clone()),
        })
    }
}

/// The whole application as a router, so tests drive it without a port.
pub fn router(state: AppState) -> Router {
    let leptos_options = state.leptos_options.clone();
    let context = {
        let store = state.store.clone();
        let cookies = state.cookies;
        move || {
            provide_context(store.clone());
            provide_context(cookies);
        }
    };
    let faults = if state.test_faults {
        faults::routes()
    } else {
        Router::new()
    };
    Router::new()
        .route("/healthz", get(healthz))
        .merge(faults)
        .merge(api::routes())
        .merge(lti::routes())
        .merge(events::routes())
        .merge(recording::routes())
        .merge(assets::routes(&state.leptos_options))
        .route("/api/rooms/{id}/ws", get(live::room_socket))
        .leptos_routes_with_context(
            &state,
            generate_route_list(App),
            context.clone(),
            move || shell(leptos_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            session::attach_viewer,
        ))
        .layer(middleware::from_fn(session::reject_cross_site))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Ready when the database answers.
async fn healthz(State(state): State<AppState>) -> Result<&'static str, AppError> {
    state.store.ping().await?;
    Ok("ok")
}
