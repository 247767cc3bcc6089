//! LTI 1.3 platform registrations (a Moodle site or a Canvas instance), as the site admin's
//! "LMS platforms" page and `/api/lti/platforms` see them, and the rules a registration obeys.

use serde::{Deserialize, Serialize};

use crate::Lms;

/// Longest issuer, client id, deployment id or URL accepted.
pub const MAX_FIELD_LEN: usize = 2048;
/// Most deployment ids one registration lists.
pub const MAX_DEPLOYMENTS: usize = 100;

/// What a site admin enters (the body of `POST` and `PUT /api/lti/platforms`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformInput {
    pub lms: Lms,
    pub issuer: String,
    pub client_id: String,
    pub deployment_ids: Vec<String>,
    /// The platform's OIDC authentication request URL.
    pub auth_url: String,
    /// The platform's public keys.
    pub jwks_url: String,
    /// The platform's OAuth2 token URL (for the roster service).
    pub token_url: String,
}

/// A stored registration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    pub id: i64,
    pub lms: Lms,
    pub issuer: String,
    pub client_id: String,
    pub deployment_ids: Vec<String>,
    pub auth_url: String,
    pub jwks_url: String,
    pub token_url: String,
}

impl Platform {
    pub fn from_input(id: i64, input: PlatformInput) -> Self {
        let PlatformInput {
            lms,
            issuer,
            client_id,
            deployment_ids,
            auth_url,
            jwks_url,
            token_url,
        } = input;
        Self {
            id,
            lms,
            issuer,
            client_id,
            deployment_ids,
            auth_url,
            jwks_url,
            token_url,
        }
    }
}

/// Why a registration is refused (422), naming the field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlatformInputError {
    #[error("{0} is required")]
    Empty(&'static str),
    #[error("{0} is longer than {MAX_FIELD_LEN} characters")]
    TooLong(&'static str),
    #[error("{0} must be an https:// URL (http:// only for localhost)")]
    NotUrl(&'static str),
    #[error("at least one deployment id is required")]
    NoDeployment,
    #[error("at most {MAX_DEPLOYMENTS} deployment ids can be listed")]
    TooManyDeployments,
}

fn text(value: &str, field: &'static str) -> Result<String, PlatformInputError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(PlatformInputError::Empty(field));
    }
    if value.chars().count() > MAX_FIELD_LEN {
        return Err(PlatformInputError::TooLong(field));
    }
    Ok(value.to_string())
}

/// An `https://` URL, or `http://` to this machine (a platform under test): keys and tokens
/// fetched over plain HTTP elsewhere could be swapped on the way.
fn url(value: &str, field: &'static str) -> Result<String, PlatformInputError> {
    let value = text(value, field)?;
    let host_of = |rest: &str| {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = match authority.rsplit_once(':') {
            Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
            _ => authority,
        };
        host.to_ascii_lowercase()
    };
    let ok = if let Some(rest) = value.strip_prefix("https://") {
        !host_of(rest).is_empty()
    } else if let Some(rest) = value.strip_prefix("http://") {
        matches!(host_of(rest).as_str(), "localhost" | "127.0.0.1" | "[::1]")
    } else {
        false
    };
    if !ok || value.contains(char::is_whitespace) {
        return Err(PlatformInputError::NotUrl(field));
    }
    Ok(value)
}

impl PlatformInput {
    /// The registration as it is stored: trimmed, deployment ids without duplicates (in the
    /// order given), or the first thing wrong with it.
    pub fn validate(&self) -> Result<PlatformInput, PlatformInputError> {
        let mut deployment_ids: Vec<String> = Vec::new();
        for id in &self.deployment_ids {
            let id = text(id, "deployment id")?;
            if !deployment_ids.contains(&id) {
                deployment_ids.push(id);
            }
        }
        if deployment_ids.is_empty() {
            return Err(PlatformInputError::NoDeployment);
        }
        if deployment_ids.len() > MAX_DEPLOYMENTS {
            return Err(PlatformInputError::TooManyDeployments);
        }
        Ok(PlatformInput {
            lms: self.lms,
            issuer: text(&self.issuer, "issuer")?,
            client_id: text(&self.client_id, "client id")?,
            deployment_ids,
            auth_url: url(&self.auth_url, "auth URL")?,
            jwks_url: url(&self.jwks_url, "JWKS URL")?,
            token_url: url(&self.token_url, "token URL")?,
        })
    }
}

/// What a site admin pastes into the LMS, for a tool served at `base` (scheme and host).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolUrls {
    pub login: String,
    pub launch: String,
    pub deep_linking: String,
    pub jwks: String,
}

impl ToolUrls {
    pub fn at(base: &str) -> Self {
        let base = base.trim_end_matches('/');
        Self {
            login: format!("{base}/lti/login"),
            // One redirect URI for every message type: the launch tells them apart.
            launch: format!("{base}/lti/launch"),
            deep_linking: format!("{base}/lti/launch"),
            jwks: format!("{base}/lti/jwks"),
        }
    }
}

/// Where the tool is served, as platforms must call it: `configured` (the `LTI_TOOL_URL`
/// setting, for a proxy that rewrites the host) when given, else the request's `host` over
/// HTTPS when the site is (`secure`), else over HTTP.
pub fn tool_base(configured: Option<&str>, host: Option<&str>, secure: bool) -> String {
    if let Some(base) = configured.map(str::trim).filter(|b| !b.is_empty()) {
        return base.trim_end_matches('/').to_string();
    }
    let host = host
        .filter(|h| !h.is_empty() && !h.contains(['/', ' ', '"', '<', '>', '\\']))
        .unwrap_or("localhost");
    let scheme = if secure { "https" } else { "http" };
    format!("{scheme}://{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> PlatformInput {
        PlatformInput {
            lms: Lms::Moodle,
            issuer: " https://moodle.example.edu ".into(),
            client_id: "abc".into(),
            deployment_ids: vec!["1".into(), " 1".into(), "2".into()],
            auth_url: "https://moodle.example.edu/mod/lti/auth.php".into(),
            jwks_url: "https://moodle.example.edu/mod/lti/certs.php".into(),
            token_url: "http://127.0.0.1:8080/token".into(),
        }
    }

    #[test]
    fn a_registration_is_trimmed_and_deployments_deduplicated() {
        let valid = input().validate().unwrap();
        assert_eq!(valid.issuer, "https://moodle.example.edu");
        assert_eq!(valid.deployment_ids, ["1", "2"]);
    }

    #[test]
    fn each_wrong_field_is_named() {
        let mut no_client = input();
        no_client.client_id = "  ".into();
        assert_eq!(
            no_client.validate(),
            Err(PlatformInputError::Empty("client id"))
        );
        let mut plain_http = input();
        plain_http.jwks_url = "http://moodle.example.edu/certs".into();
        assert_eq!(
            plain_http.validate(),
            Err(PlatformInputError::NotUrl("JWKS URL"))
        );
        let mut sneaky = input();
        sneaky.auth_url = "http://localhost.evil.example/auth".into();
        assert_eq!(
            sneaky.validate(),
            Err(PlatformInputError::NotUrl("auth URL"))
        );
        let mut none = input();
        none.deployment_ids.clear();
        assert_eq!(none.validate(), Err(PlatformInputError::NoDeployment));
        let mut long = input();
        long.issuer = "x".repeat(MAX_FIELD_LEN + 1);
        assert_eq!(long.validate(), Err(PlatformInputError::TooLong("issuer")));
    }

    #[test]
    fn tool_urls_share_one_launch_endpoint() {
        let urls = ToolUrls::at("https://rooms.example.edu/");
        assert_eq!(urls.login, "https://rooms.example.edu/lti/login");
        assert_eq!(urls.deep_linking, urls.launch);
        assert_eq!(urls.jwks, "https://rooms.example.edu/lti/jwks");
    }

    #[test]
    fn the_tool_base_is_configured_or_the_request_host() {
        assert_eq!(
            tool_base(
                Some("https://rooms.example.edu/ "),
                Some("internal:3000"),
                false
            ),
            "https://rooms.example.edu"
        );
        assert_eq!(
            tool_base(None, Some("rooms.example.edu"), true),
            "https://rooms.example.edu"
        );
        assert_eq!(
            tool_base(None, Some("127.0.0.1:3000"), false),
            "http://127.0.0.1:3000"
        );
        assert_eq!(tool_base(None, Some("evil/x"), false), "http://localhost");
    }
}
