//! The app's bundle under `/pkg`: precompressed files are sent as built, with their encoding,
//! and only what exists gets a cache header.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use server::{router, AppState, Config};
use tower::ServiceExt;

#[tokio::test]
async fn precompressed_files_are_sent_as_built_with_a_cache_header() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pkg = dir.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("app.wasm"), b"raw wasm bytes").unwrap();
    std::fs::write(pkg.join("app.wasm.br"), b"brotli bytes").unwrap();
    let mut config = Config::for_tests(format!("sqlite://{}/test.db", dir.path().display()));
    config.site_root = dir.path().display().to_string();
    let app = router(AppState::new(&config).await.expect("app state"));

    let get = |accept: &'static str, path: &'static str| {
        let app = app.clone();
        async move {
            let request = Request::get(path)
                .header(header::ACCEPT_ENCODING, accept)
                .body(Body::empty())
                .unwrap();
            let response = app.oneshot(request).await.unwrap();
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            (status, headers, body)
        }
    };

    let (status, headers, body) = get("br, gzip", "/pkg/app.wasm").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_ENCODING], "br");
    assert_eq!(
        &body[..],
        b"brotli bytes",
        "the build's file, not compressed again"
    );
    // A test binary has no hash file beside it: names are not content hashes, so revalidate.
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");

    let (status, headers, body) = get("identity", "/pkg/app.wasm").await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get(header::CONTENT_ENCODING).is_none());
    assert_eq!(&body[..], b"raw wasm bytes");

    let (status, headers, _) = get("br", "/pkg/missing.wasm").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(headers.get(header::CACHE_CONTROL).is_none());
}
