//! `GET /media/{id}/file` (with byte ranges, for seeking) and `GET /media/{id}/thumbnail`: a
//! finished recording, only to those who may see its container (the gallery page's check);
//! anyone else gets that refusal and never a byte.

use std::io::SeekFrom;
use std::path::Path;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::api::ApiPath;
use crate::error::AppError;
use crate::session::CurrentViewer;
use crate::AppState;

const CHUNK: usize = 64 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/media/{id}/file", get(file))
        .route("/media/{id}/thumbnail", get(thumbnail))
}

/// A byte range of a `len`-byte file, from a `Range` header; `Err` when unsatisfiable.
pub fn parse_range(value: &str, len: u64) -> Result<(u64, u64), ()> {
    let spec = value.trim().strip_prefix("bytes=").ok_or(())?;
    // One range only: players ask for one at a time.
    if spec.contains(',') || len == 0 {
        return Err(());
    }
    let (start, end) = spec.split_once('-').ok_or(())?;
    let (start, end) = match (start.trim(), end.trim()) {
        ("", suffix) => {
            let suffix: u64 = suffix.parse().map_err(|_| ())?;
            if suffix == 0 {
                return Err(());
            }
            (len.saturating_sub(suffix), len - 1)
        }
        (start, "") => (start.parse().map_err(|_| ())?, len - 1),
        (start, end) => {
            let end: u64 = end.parse().map_err(|_| ())?;
            (start.parse().map_err(|_| ())?, end.min(len - 1))
        }
    };
    if start > end || start >= len {
        return Err(());
    }
    Ok((start, end))
}

async fn file(
    State(state): State<AppState>,
    CurrentViewer(viewer): CurrentViewer,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let recording = state.store.playable_recording(&viewer, id).await?;
    let path = state.hub.recorders().media_dir().join(&recording.file_name);
    send_file(&path, "video/webm", headers.get(header::RANGE)).await
}

async fn thumbnail(
    State(state): State<AppState>,
    CurrentViewer(viewer): CurrentViewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, AppError> {
    let recording = state.store.playable_recording(&viewer, id).await?;
    let path =
        super::finalize::thumbnail_path(state.hub.recorders().media_dir(), recording.media_id);
    send_file(&path, "image/jpeg", None).await
}

fn missing() -> AppError {
    AppError::Store(store::Error::NotFound(
        "the file of this recording is missing".into(),
    ))
}

async fn send_file(
    path: &Path,
    content_type: &'static str,
    range: Option<&HeaderValue>,
) -> Result<Response, AppError> {
    let mut file = tokio::fs::File::open(path).await.map_err(|_| missing())?;
    let len = file.metadata().await.map_err(|_| missing())?.len();
    let mut response = Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::ACCEPT_RANGES, "bytes")
        // Already compressed media: the compression layer must leave it (and its ranges) be.
        .header(header::CONTENT_ENCODING, "identity")
        .header(header::CACHE_CONTROL, "private, max-age=3600");
    let (start, end) =
        match range.map(|r| r.to_str().map_err(|_| ()).and_then(|r| parse_range(r, len))) {
            None => {
                response = response.status(StatusCode::OK);
                (0, len.saturating_sub(1))
            }
            Some(Ok((start, end))) => {
                response = response
                    .status(StatusCode::PARTIAL_CONTENT)
                    .header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}"));
                (start, end)
            }
            Some(Err(())) => {
                return Ok(Response::builder()
                    .status(StatusCode::RANGE_NOT_SATISFIABLE)
                    .header(header::CONTENT_RANGE, format!("bytes */{len}"))
                    .body(Body::empty())
                    .expect("static response"));
            }
        };
    let count = if len == 0 { 0 } else { end - start + 1 };
    file.seek(SeekFrom::Start(start))
        .await
        .map_err(|_| missing())?;
    let chunks = futures_util::stream::unfold((file, count), |(mut file, left)| async move {
        if left == 0 {
            return None;
        }
        let mut buf = vec![0u8; CHUNK.min(left as usize)];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(buf), (file, left - n as u64)))
            }
            Err(error) => Some((Err(error), (file, 0))),
        }
    });
    Ok(response
        .header(header::CONTENT_LENGTH, count)
        .body(Body::from_stream(chunks))
        .expect("valid headers"))
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges_are_read_as_players_send_them() {
        assert_eq!(parse_range("bytes=0-", 100), Ok((0, 99)));
        assert_eq!(parse_range("bytes=10-19", 100), Ok((10, 19)));
        assert_eq!(parse_range("bytes=90-500", 100), Ok((90, 99)));
        assert_eq!(parse_range("bytes=-10", 100), Ok((90, 99)));
        assert_eq!(parse_range("bytes=100-", 100), Err(()));
        assert_eq!(parse_range("bytes=20-10", 100), Err(()));
        assert_eq!(parse_range("bytes=0-1,5-6", 100), Err(()));
        assert_eq!(parse_range("items=0-1", 100), Err(()));
        assert_eq!(parse_range("bytes=-0", 100), Err(()));
    }
}
