//! Configuration from the environment, with defaults that run the demo on loopback.

use std::net::SocketAddr;

use leptos::prelude::LeptosOptions;

#[derive(Clone, Debug)]
pub struct Config {
    /// `LEPTOS_SITE_ADDR`: where to listen.
    pub site_addr: SocketAddr,
    /// `DATABASE_URL`: `sqlite://...` (default `sqlite://data/meetingrooms.db`) or `postgres://...`.
    pub database_url: String,
    /// `SEED_DEMO=1`: fill an empty database with the demo users, galleries and channel.
    pub seed_demo: bool,
    /// `COOKIE_SECURE=1` behind HTTPS: the session cookie is then sent over HTTPS only.
    pub cookie_secure: bool,
    /// `LEPTOS_SITE_ROOT`, `LEPTOS_SITE_PKG_DIR`, `LEPTOS_OUTPUT_NAME`: where the built site is.
    pub site_root: String,
    pub site_pkg_dir: String,
    pub output_name: String,
}

#[derive(Debug, thiserror::Error)]
#[error("{name} is not valid: {reason}")]
pub struct ConfigError {
    name: &'static str,
    reason: String,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn flag(name: &'static str) -> Result<bool, ConfigError> {
    match var(name).as_deref() {
        None | Some("0" | "false" | "no") => Ok(false),
        Some("1" | "true" | "yes") => Ok(true),
        Some(other) => Err(ConfigError {
            name,
            reason: format!("{other:?} is not 0/1/true/false"),
        }),
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let site_addr = var("LEPTOS_SITE_ADDR").unwrap_or_else(|| "127.0.0.1:3000".into());
        Ok(Self {
            site_addr: site_addr.parse().map_err(|e| ConfigError {
                name: "LEPTOS_SITE_ADDR",
                reason: format!("{site_addr:?}: {e}"),
            })?,
            database_url: var("DATABASE_URL")
                .unwrap_or_else(|| "sqlite://data/meetingrooms.db".into()),
            seed_demo: flag("SEED_DEMO")?,
            cookie_secure: flag("COOKIE_SECURE")?,
            site_root: var("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            site_pkg_dir: var("LEPTOS_SITE_PKG_DIR").unwrap_or_else(|| "pkg".into()),
            output_name: var("LEPTOS_OUTPUT_NAME").unwrap_or_else(|| "meetingrooms".into()),
        })
    }

    /// A configuration for tests: the given database, seeded with the demo data.
    pub fn for_tests(database_url: impl Into<String>) -> Self {
        Self {
            site_addr: "127.0.0.1:0".parse().expect("literal address"),
            database_url: database_url.into(),
            seed_demo: true,
            cookie_secure: false,
            site_root: "target/site".into(),
            site_pkg_dir: "pkg".into(),
            output_name: "meetingrooms".into(),
        }
    }

    pub fn leptos_options(&self) -> LeptosOptions {
        LeptosOptions::builder()
            .output_name(self.output_name.clone())
            .site_root(self.site_root.clone())
            .site_pkg_dir(self.site_pkg_dir.clone())
            .site_addr(self.site_addr)
            .build()
    }
}
