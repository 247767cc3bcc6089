//! The app's bundle (`/pkg`: js, wasm, css). The site build names each file after its content
//! hash and precompresses it (brotli, gzip; `scripts/build-site.sh`): files are served as
//! built, never compressed again per request, and cached for a year (a new build is a new
//! name). Without hashed names (a build by hand) browsers revalidate instead.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use tower_http::services::ServeDir;

use crate::AppState;

const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
const REVALIDATE: HeaderValue = HeaderValue::from_static("no-cache");

/// The stylesheet's URL, for the pages rendered outside Leptos (the LTI pages).
static STYLESHEET: OnceLock<String> = OnceLock::new();

/// Where cargo-leptos writes the bundle's hashes: beside the server binary, where Leptos
/// reads them to name the files in each page.
fn hash_file(name: &str) -> Option<PathBuf> {
    let path = std::env::current_exe().ok()?.parent()?.join(name);
    path.is_file().then_some(path)
}

/// Whether this build's bundle has content-hashed names.
pub fn hashed_names(hash_file_name: &str) -> bool {
    hash_file(hash_file_name).is_some()
}

pub fn stylesheet_href() -> &'static str {
    STYLESHEET
        .get()
        .map_or("/pkg/meetingrooms.css", String::as_str)
}

/// The `css` line of the hash file (`css: <hash>`), if there is one.
fn css_hash(hash_file_name: &str) -> Option<String> {
    let hashes = std::fs::read_to_string(hash_file(hash_file_name)?).ok()?;
    hashes.lines().find_map(|line| {
        let (file, hash) = line.split_once(':')?;
        (file.trim() == "css").then(|| hash.trim().to_owned())
    })
}

pub fn routes(options: &leptos::prelude::LeptosOptions) -> Router<AppState> {
    let (site_root, pkg_dir) = (&*options.site_root, &*options.site_pkg_dir);
    let css = match css_hash(&options.hash_file).filter(|_| options.hash_files) {
        Some(hash) => format!("/{pkg_dir}/{}.{hash}.css", options.output_name),
        None => format!("/{pkg_dir}/{}.css", options.output_name),
    };
    let _ = STYLESHEET.set(css);
    let hashed = options.hash_files;
    let files = ServeDir::new(Path::new(site_root).join(pkg_dir))
        .precompressed_br()
        .precompressed_gzip();
    let cache = if hashed { IMMUTABLE } else { REVALIDATE };
    Router::new()
        .nest_service(&format!("/{pkg_dir}"), files)
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let cache = cache.clone();
            async move {
                let mut response: Response = next.run(request).await;
                // Only what was found is cached: a missing file may exist after the next deploy.
                if response.status().is_success() || response.status().is_redirection() {
                    response.headers_mut().insert(header::CACHE_CONTROL, cache);
                }
                response
            }
        }))
}
