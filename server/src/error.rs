//! The one error type of the HTTP layer: every refusal becomes `{code, message}` JSON with
//! the status that names it.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::api::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error("{message}")]
    Request {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    /// Refused for now (429 too many attempts, 503 overloaded): the client may try again after
    /// `retry_after_secs`, which goes out as `Retry-After`.
    #[error("{message}")]
    RetryLater {
        status: StatusCode,
        code: &'static str,
        message: String,
        retry_after_secs: u64,
    },
}

impl AppError {
    fn status(&self) -> StatusCode {
        match self {
            Self::Store(error) => match error {
                store::Error::Unauthenticated | store::Error::BadCredentials => {
                    StatusCode::UNAUTHORIZED
                }
                store::Error::Forbidden(_) => StatusCode::FORBIDDEN,
                store::Error::NotFound(_) => StatusCode::NOT_FOUND,
                store::Error::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                store::Error::Unavailable(_) => StatusCode::CONFLICT,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
            Self::Request { status, .. } | Self::RetryLater { status, .. } => *status,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Store(error) => error.code(),
            Self::Request { code, .. } | Self::RetryLater { code, .. } => code,
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Request {
            status: StatusCode::FORBIDDEN,
            code: "forbidden",
            message: message.into(),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
            // The cause goes to the log, never to the client.
            tracing::error!(error = %self, "request failed");
            "something went wrong on the server".to_string()
        } else {
            self.to_string()
        };
        let mut response = (
            status,
            Json(ApiError {
                code: self.code().into(),
                message,
            }),
        )
            .into_response();
        if let Self::RetryLater {
            retry_after_secs, ..
        } = self
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response
    }
}

impl From<store::SignInError> for AppError {
    fn from(error: store::SignInError) -> Self {
        let retry_after_secs = error.retry_after_secs().unwrap_or(1);
        match error {
            store::SignInError::Refused(error) => Self::Store(error),
            store::SignInError::RateLimited { .. } => Self::RetryLater {
                status: StatusCode::TOO_MANY_REQUESTS,
                code: "rate_limited",
                message: error.to_string(),
                retry_after_secs,
            },
            store::SignInError::Busy { .. } => Self::RetryLater {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "busy",
                message: error.to_string(),
                retry_after_secs,
            },
        }
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        let status = rejection.status();
        let code = match status {
            StatusCode::UNPROCESSABLE_ENTITY => "invalid",
            StatusCode::PAYLOAD_TOO_LARGE => "too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            _ => "malformed",
        };
        Self::Request {
            status,
            code,
            message: rejection.body_text(),
        }
    }
}

impl From<PathRejection> for AppError {
    fn from(rejection: PathRejection) -> Self {
        // `/api/containers/abc/room` names nothing that can exist.
        Self::Request {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: rejection.body_text(),
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        Self::Request {
            status: StatusCode::BAD_REQUEST,
            code: "malformed",
            message: rejection.body_text(),
        }
    }
}
