use thiserror::Error;

/// What a use-case refuses, named so that the REST API and the UI map each once.
#[derive(Debug, Error)]
pub enum Error {
    #[error("sign in first")]
    Unauthenticated,
    #[error("wrong username or password")]
    BadCredentials,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    /// Allowed in principle, but a site setting turns it off.
    #[error("{0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

impl Error {
    /// A stable machine-readable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "unauthenticated",
            Self::BadCredentials => "bad_credentials",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Invalid(_) => "invalid",
            Self::Unavailable(_) => "unavailable",
            Self::Database(_) | Self::Migrate(_) | Self::Hashing(_) => "internal",
        }
    }

    pub fn is_internal(&self) -> bool {
        self.code() == "internal"
    }

    /// The HTTP status that names this refusal, for the REST API and the rendered pages alike.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Unauthenticated | Self::BadCredentials => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound(_) => 404,
            Self::Unavailable(_) => 409,
            Self::Invalid(_) => 422,
            Self::Database(_) | Self::Migrate(_) | Self::Hashing(_) => 500,
        }
    }

    pub(crate) fn corrupt(what: &str, value: &str) -> Self {
        Self::Database(sqlx::Error::Decode(
            format!("unexpected {what} {value:?} in the database").into(),
        ))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
