//! Names and Role Provisioning Services: the course roster, fetched with an OAuth2
//! client-credentials token (a JWT assertion signed by the tool's key), brings the gallery's
//! members up to date, so students who never launched can already be picked as moderators.

use serde::Deserialize;
use serde_json::json;
use store::lti::{LtiPerson, RosterSync};
use store::Store;

use super::checks::{course_role, service_url_allowed};
use super::{keys, now_secs, read_capped, ReadError};
use crate::error::AppError;

const SCOPE: &str = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly";
const MEMBERSHIPS: &str = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json";
/// A runaway `next` chain ends here (100 pages is a very large course).
const MAX_PAGES: usize = 100;
/// An access token answer is a few hundred bytes.
const MAX_TOKEN_BYTES: usize = 64 * 1024;
/// A page of members (LMSs page by tens or hundreds, a few hundred bytes each).
const MAX_PAGE_BYTES: usize = 4 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    #[error("the course has no roster service")]
    NoService,
    #[error("roster request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("the LMS's answer was not understood: {0}")]
    Answer(String),
    #[error(
        "the roster service at {0} is not reached over HTTPS: the access token is not sent there"
    )]
    Insecure(String),
    #[error("the roster's next page {0} is not on the roster service's origin")]
    ElsewhereNext(String),
    #[error("roster answer refused: {0}")]
    Read(#[from] ReadError),
    #[error(transparent)]
    App(#[from] AppError),
    #[error(transparent)]
    Store(#[from] store::Error),
}

#[derive(Deserialize)]
struct Token {
    access_token: String,
}

#[derive(Deserialize)]
struct Page {
    members: Vec<Member>,
}

#[derive(Deserialize)]
struct Member {
    user_id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    given_name: Option<String>,
    #[serde(default)]
    family_name: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    status: Option<String>,
}

/// The `rel="next"` target of a `Link` header, if any.
pub fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params.split(';').any(|p| {
            matches!(
                p.trim().replace(' ', "").as_str(),
                "rel=\"next\"" | "rel=next"
            )
        });
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| target.to_string())
    })
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, RosterError> {
    serde_json::from_slice(body).map_err(|e| RosterError::Answer(e.to_string()))
}

fn same_origin(a: &url::Url, b: &url::Url) -> bool {
    a.scheme() == b.scheme()
        && a.host() == b.host()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// Fetches the roster of the course behind `container_id` and applies it.
pub async fn sync(
    store: &Store,
    http: &reqwest::Client,
    container_id: i64,
) -> Result<RosterSync, RosterError> {
    let (platform, memberships_url) = store
        .lti_roster_source(container_id)
        .await?
        .ok_or(RosterError::NoService)?;
    // The URL comes from the launch's token; checked before any token is asked for.
    let first =
        url::Url::parse(&memberships_url).map_err(|e| RosterError::Answer(e.to_string()))?;
    if !service_url_allowed(&first) {
        return Err(RosterError::Insecure(memberships_url));
    }
    let now = now_secs();
    let assertion = keys::sign(
        store,
        &json!({
            "iss": platform.client_id, "sub": platform.client_id, "aud": platform.token_url,
            "iat": now, "exp": now + 300, "jti": store::lti::random_token(),
        }),
    )
    .await?;
    let response = http
        .post(&platform.token_url)
        .form(&[
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion.as_str()),
            ("scope", SCOPE),
        ])
        .send()
        .await?
        .error_for_status()?;
    let token: Token = parse(&read_capped(response, MAX_TOKEN_BYTES).await?)?;
    let mut next = Some(first.clone());
    let mut roster = Vec::new();
    let mut pages = 0;
    while let Some(url) = next.take() {
        pages += 1;
        if pages > MAX_PAGES {
            return Err(RosterError::Answer(format!(
                "more than {MAX_PAGES} roster pages"
            )));
        }
        let response = http
            .get(url.clone())
            .bearer_auth(&token.access_token)
            .header(reqwest::header::ACCEPT, MEMBERSHIPS)
            .send()
            .await?
            .error_for_status()?;
        // Only pages of the same service: the bearer token must not travel elsewhere. A next
        // page elsewhere fails the sync, as stopping there would take the people on the
        // pages not read for people who left the course.
        next = match response
            .headers()
            .get(reqwest::header::LINK)
            .and_then(|v| v.to_str().ok())
            .and_then(next_link)
        {
            None => None,
            Some(link) => match url.join(&link) {
                Ok(link) if same_origin(&link, &first) => Some(link),
                _ => return Err(RosterError::ElsewhereNext(link)),
            },
        };
        let page: Page = parse(&read_capped(response, MAX_PAGE_BYTES).await?)?;
        roster.extend(page.members);
    }
    let people: Vec<LtiPerson> = roster
        .into_iter()
        .filter(|m| m.status.as_deref().unwrap_or("Active") == "Active")
        .filter_map(|m| {
            let role = course_role(&m.roles)?;
            let name = m.name.unwrap_or_else(|| {
                [m.given_name, m.family_name]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ")
            });
            Some(LtiPerson {
                subject: m.user_id,
                name,
                email: m.email,
                role,
            })
        })
        .collect();
    Ok(store
        .lti_sync_roster(&platform, container_id, &people)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::next_link;

    #[test]
    fn the_next_link_is_found_among_others() {
        let header =
            "<https://lms.example/m?p=1>; rel=\"first\", <https://lms.example/m?p=3>; rel=\"next\"";
        assert_eq!(
            next_link(header).as_deref(),
            Some("https://lms.example/m?p=3")
        );
        assert_eq!(next_link("<https://lms.example/m?p=1>; rel=\"last\""), None);
        assert_eq!(next_link("garbage"), None);
    }
}
