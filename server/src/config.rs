//! Configuration from the environment, with defaults that run the demo on loopback.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use leptos::prelude::LeptosOptions;

#[derive(Clone, Debug)]
pub struct Config {
    /// `LEPTOS_SITE_ADDR`: where to listen.
    pub site_addr: SocketAddr,
    /// `DATABASE_URL`: `sqlite://...` (default `sqlite://data/meetingrooms.db`) or `postgres://...`.
    pub database_url: String,
    /// `SEED_DEMO=1`: fill an empty database with the demo users, galleries and channel.
    pub seed_demo: bool,
    /// `SEED_LOAD_USERS=N`: add users `load1` … `loadN` (password `demo`) to the demo data, for
    /// load tests and benches (existing ones are kept; default 0).
    pub seed_load_users: u32,
    /// `COOKIE_SECURE=1` behind HTTPS: the session cookie is then sent over HTTPS only.
    pub cookie_secure: bool,
    /// `LEPTOS_SITE_ROOT`, `LEPTOS_SITE_PKG_DIR`, `LEPTOS_OUTPUT_NAME`: where the built site is.
    pub site_root: String,
    pub site_pkg_dir: String,
    pub output_name: String,
    /// `RTC_UDP_ADDR`: the SFU's one UDP socket (default `127.0.0.1:0`, any free port; give a
    /// fixed port where a firewall must allow it).
    pub rtc_udp_addr: SocketAddr,
    /// `RTC_PUBLIC_IP`: the address browsers reach the SFU at, when it is not the bound one.
    pub rtc_public_ip: Option<IpAddr>,
    /// `RTC_WORKERS`: forwarding workers, each with its own UDP socket (default: one per
    /// core). With a fixed `RTC_UDP_ADDR` port P they bind P, P+1, …
    pub rtc_workers: usize,
    /// `STUN_URLS`, `TURN_URLS` (comma-separated), `TURN_SECRET` (coturn's
    /// `static-auth-secret`) and `TURN_TTL_SECS` (default 3600): handed to browsers.
    pub ice: IceConfig,
    /// `ROOM_PING_SECS` (15) and `ROOM_IDLE_TIMEOUT_SECS` (45): room socket liveness.
    pub live: crate::live::LiveConfig,
    /// `TEST_FAULTS=1`: mounts `/api/test/faults/*` (cut a user's media, crash the process,
    /// fail a room) for resilience tests. Never set in production.
    pub test_faults: bool,
    /// Where recordings and their thumbnails are kept (`MEDIA_DIR`, default `data/media`).
    pub media_dir: std::path::PathBuf,
}

#[derive(Clone, Debug, Default)]
pub struct IceConfig {
    pub stun_urls: Vec<String>,
    pub turn_urls: Vec<String>,
    pub turn_secret: Option<String>,
    pub turn_ttl_secs: u64,
}

fn list(name: &str) -> Vec<String> {
    var(name)
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

fn parsed<T: std::str::FromStr>(name: &'static str, default: &str) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    let text = var(name).unwrap_or_else(|| default.to_owned());
    text.parse().map_err(|e: T::Err| ConfigError {
        name,
        reason: format!("{text:?}: {e}"),
    })
}

/// Room socket liveness: pings at least every second, and a timeout that outlasts them.
fn live_config() -> Result<crate::live::LiveConfig, ConfigError> {
    let ping: u64 = parsed("ROOM_PING_SECS", "15")?;
    let idle: u64 = parsed("ROOM_IDLE_TIMEOUT_SECS", "45")?;
    if ping == 0 {
        return Err(ConfigError {
            name: "ROOM_PING_SECS",
            reason: "must be at least 1".into(),
        });
    }
    if idle <= ping {
        return Err(ConfigError {
            name: "ROOM_IDLE_TIMEOUT_SECS",
            reason: format!("{idle} s would drop clients between two pings ({ping} s apart)"),
        });
    }
    Ok(crate::live::LiveConfig {
        ping_interval: Duration::from_secs(ping),
        idle_timeout: Duration::from_secs(idle),
        ..Default::default()
    })
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
            seed_load_users: parsed("SEED_LOAD_USERS", "0")?,
            cookie_secure: flag("COOKIE_SECURE")?,
            site_root: var("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            site_pkg_dir: var("LEPTOS_SITE_PKG_DIR").unwrap_or_else(|| "pkg".into()),
            output_name: var("LEPTOS_OUTPUT_NAME").unwrap_or_else(|| "meetingrooms".into()),
            rtc_udp_addr: parsed("RTC_UDP_ADDR", "127.0.0.1:0")?,
            rtc_public_ip: match var("RTC_PUBLIC_IP") {
                None => None,
                Some(_) => Some(parsed("RTC_PUBLIC_IP", "")?),
            },
            rtc_workers: match var("RTC_WORKERS") {
                None => std::thread::available_parallelism().map_or(1, usize::from),
                Some(_) => parsed::<std::num::NonZeroUsize>("RTC_WORKERS", "")?.get(),
            },
            ice: IceConfig {
                stun_urls: list("STUN_URLS"),
                turn_urls: list("TURN_URLS"),
                turn_secret: var("TURN_SECRET"),
                turn_ttl_secs: parsed("TURN_TTL_SECS", "3600")?,
            },
            live: live_config()?,
            test_faults: flag("TEST_FAULTS")?,
            media_dir: var("MEDIA_DIR")
                .unwrap_or_else(|| "data/media".into())
                .into(),
        })
    }

    /// A configuration for tests: the given database, seeded with the demo data.
    pub fn for_tests(database_url: impl Into<String>) -> Self {
        let database_url: String = database_url.into();
        Self {
            site_addr: "127.0.0.1:0".parse().expect("literal address"),
            media_dir: test_media_dir(&database_url),
            database_url,
            seed_demo: true,
            seed_load_users: 0,
            cookie_secure: false,
            site_root: "target/site".into(),
            site_pkg_dir: "pkg".into(),
            output_name: "meetingrooms".into(),
            rtc_udp_addr: "127.0.0.1:0".parse().expect("literal address"),
            rtc_public_ip: None,
            // More than one even on a one-core runner: tests cover rooms on different workers.
            rtc_workers: 2,
            ice: IceConfig::default(),
            live: crate::live::LiveConfig::default(),
            test_faults: true,
        }
    }

    pub fn leptos_options(&self) -> LeptosOptions {
        LeptosOptions::builder()
            .output_name(self.output_name.clone())
            .site_root(self.site_root.clone())
            .site_pkg_dir(self.site_pkg_dir.clone())
            .site_addr(self.site_addr)
            .hash_files(crate::assets::hashed_names("hash.txt"))
            .build()
    }
}

/// Tests keep recordings beside their SQLite file (a restarted server finds them); other
/// databases get a fresh folder of their own.
fn test_media_dir(database_url: &str) -> std::path::PathBuf {
    match database_url.strip_prefix("sqlite://") {
        Some(file) => {
            std::path::Path::new(file.split('?').next().unwrap_or(file)).with_file_name("media")
        }
        None => {
            static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            std::env::temp_dir().join(format!("meetingrooms-media-{}-{n}", std::process::id()))
        }
    }
}

impl IceConfig {
    /// ICE servers for one user. TURN credentials follow coturn's REST API scheme
    /// (`use-auth-secret`): username `<expiry>:<user>`, password base64(HMAC-SHA1(secret,
    /// username)), so they expire without any state on our side.
    pub fn servers_for(&self, user_id: i64, now_secs: u64) -> Vec<protocol::IceServer> {
        use base64::Engine as _;
        use hmac::Mac as _;

        let mut servers = Vec::new();
        if !self.stun_urls.is_empty() {
            servers.push(protocol::IceServer {
                urls: self.stun_urls.clone(),
                username: None,
                credential: None,
            });
        }
        if let (false, Some(secret)) = (self.turn_urls.is_empty(), &self.turn_secret) {
            let username = format!("{}:{user_id}", now_secs + self.turn_ttl_secs);
            let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes())
                .expect("HMAC takes keys of any length");
            mac.update(username.as_bytes());
            let credential =
                base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
            servers.push(protocol::IceServer {
                urls: self.turn_urls.clone(),
                username: Some(username),
                credential: Some(credential),
            });
        }
        servers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turn_credentials_follow_coturns_rest_scheme() {
        let ice = IceConfig {
            stun_urls: vec!["stun:turn.example.org:3478".into()],
            turn_urls: vec!["turn:turn.example.org:3478?transport=udp".into()],
            turn_secret: Some("north".into()),
            turn_ttl_secs: 600,
        };
        let servers = ice.servers_for(42, 1_000);
        assert_eq!(servers.len(), 2);
        assert_eq!(servers[1].username.as_deref(), Some("1600:42"));
        // echo -n 1600:42 | openssl dgst -sha1 -hmac north -binary | base64
        assert_eq!(
            servers[1].credential.as_deref(),
            Some("Oum4G77djGfM6y0JwVaSR0m0bbU=")
        );
        assert!(IceConfig::default().servers_for(1, 0).is_empty());
    }
}
