use std::net::SocketAddr;

use axum::serve::ListenerExt;
use server::{router, AppState, Config};

/// Kernel send buffer of every accepted connection (see `main`).
const SEND_BUFFER_BYTES: usize = 256 * 1024;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    let config = Config::from_env()?;
    let state = AppState::new(&config).await?;
    if config.seed_load_users > 0 {
        state.store.seed_load_users(config.seed_load_users).await?;
    }
    tracing::info!(database = state.store.db().backend_name(), "database ready");
    let listener = tokio::net::TcpListener::bind(config.site_addr).await?;
    let url = format!("http://{}", listener.local_addr()?);
    tracing::info!("listening on {url}");
    println!(
        "Open {url} and sign in as teacher / demo (also: admin, ta, student, student2, outsider)"
    );
    // Pages stream out in several writes: without TCP_NODELAY, Nagle's algorithm holds the
    // later ones until the client's delayed ACK, adding ~40 ms to every page.
    // A fixed send buffer: the kernel's autotuning grows it to 4 MB per socket, which a room
    // socket whose client stopped reading fills before its outbox's bound (1 MiB) can bite.
    // 256 KiB still fills a 20 Mbit/s link at 100 ms round trips.
    let listener = listener.tap_io(|tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::warn!(%error, "could not set TCP_NODELAY");
        }
        if let Err(error) = socket2::SockRef::from(&*tcp).set_send_buffer_size(SEND_BUFFER_BYTES) {
            tracing::warn!(%error, "could not set the socket send buffer");
        }
    });
    let store = state.store.clone();
    // The peer's address reaches handlers as `ConnectInfo`: sign-in limits are kept per address.
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    store.db().close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}
