//! Every check of an LTI 1.3 launch, without I/O: the token's header and claims in (the
//! signature already verified against the platform's key), the registration and the clock
//! passed in, a decision or a named refusal out.

use domain::lti::Platform;
use domain::ContainerRole;
use serde_json::Value;

/// Clocks of the platform and the tool may disagree by this much.
pub const CLOCK_SKEW_SECS: i64 = 60;

pub const CLAIM: &str = "https://purl.imsglobal.org/spec/lti/claim/";
const DEEP_LINKING_SETTINGS: &str =
    "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings";
const NAMES_ROLES: &str = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice";

/// Why a launch is refused. Each names what was wrong; none changes anything.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LtiError {
    #[error("the LMS sent no id_token or a malformed one")]
    Malformed,
    #[error("the token is signed with {0}; only RS256 is accepted")]
    Algorithm(String),
    #[error("the token is signed with a key the LMS does not publish (kid {0:?})")]
    UnknownKid(String),
    #[error("the token's signature does not verify with the LMS's key")]
    BadSignature,
    #[error("the token comes from issuer {0:?}, not the registered LMS")]
    WrongIssuer(String),
    #[error("the token is not meant for this tool (audience is not our client id)")]
    WrongAudience,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("this launch was already used (its nonce was seen before)")]
    NonceReplayed,
    #[error("the token's nonce was not issued by this tool for this login")]
    NonceNotIssued,
    #[error("the launch state was not issued by this tool, or was already used or expired")]
    StateNotIssued,
    #[error("deployment {0:?} is not registered for this LMS")]
    UnknownDeployment(String),
    #[error("the token carries no roles claim")]
    MissingRoles,
    #[error("the token carries no LTI version claim")]
    MissingVersion,
    #[error("LTI version {0:?} is not supported (1.3.0 is)")]
    WrongVersion(String),
    #[error("the message type {0:?} is not one this tool handles")]
    UnknownMessageType(String),
    #[error("the token lacks the {0} claim")]
    MissingClaim(&'static str),
    #[error("your course role gives no access to the course gallery")]
    NoCourseRole,
    #[error("only instructors can add this tool to a course")]
    DeepLinkingNotAllowed,
    #[error("the LMS asks for {0} here; this tool only adds LTI resource links")]
    LinkNotAccepted(String),
    #[error(
        "this launch was not started in this browser: its state cookie belongs to another one"
    )]
    StateCookieMismatch,
    #[error("this LMS is not registered with the tool")]
    UnknownPlatform,
    #[error("the LMS's keys could not be fetched")]
    KeysUnavailable,
    #[error("the LMS did not sign you in: {0}")]
    PlatformRefused(String),
}

impl LtiError {
    pub fn status(&self) -> u16 {
        match self {
            Self::Malformed
            | Self::MissingRoles
            | Self::MissingVersion
            | Self::WrongVersion(_)
            | Self::UnknownMessageType(_)
            | Self::MissingClaim(_)
            | Self::UnknownPlatform
            | Self::PlatformRefused(_)
            | Self::LinkNotAccepted(_) => 400,
            Self::UnknownDeployment(_)
            | Self::NoCourseRole
            | Self::DeepLinkingNotAllowed
            | Self::StateCookieMismatch => 403,
            Self::KeysUnavailable => 502,
            _ => 401,
        }
    }
}

/// Which page a resource link opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Gallery,
    Room,
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gallery => "gallery",
            Self::Room => "room",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    ResourceLink {
        target: Target,
    },
    DeepLinking {
        return_url: String,
        data: Option<String>,
    },
}

/// A launch every check accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Launch {
    pub message: Message,
    pub subject: String,
    pub name: String,
    pub email: Option<String>,
    pub role: ContainerRole,
    pub deployment_id: String,
    pub context_id: String,
    pub context_title: String,
    pub nonce: String,
    pub expires_at: i64,
    pub memberships_url: Option<String>,
}

/// The header's algorithm: RS256 only (`none`, HMAC with a public key as secret, and the rest
/// are refused), and the key id it names.
pub fn check_header(alg: Option<&str>, kid: Option<&str>) -> Result<String, LtiError> {
    match alg {
        Some("RS256") => {}
        Some(other) => return Err(LtiError::Algorithm(other.to_string())),
        None => return Err(LtiError::Malformed),
    }
    kid.map(str::to_string)
        .ok_or_else(|| LtiError::UnknownKid(String::new()))
}

/// The course role LTI roles map to: Instructor, Teaching assistant, Administrator and Content
/// developer manage; Learner is a member. Only roles in this course (context roles, full URIs
/// or the short names) count, so someone who teaches elsewhere in the institution
/// (`institution/person#Instructor`, sent by Canvas) is no manager here; administrators count
/// from any scope, as the LMS's own administrators may manage every course.
pub fn course_role(roles: &[String]) -> Option<ContainerRole> {
    roles.iter().filter_map(|role| one_role(role)).max()
}

fn one_role(role: &str) -> Option<ContainerRole> {
    const LIS: &str = "http://purl.imsglobal.org/vocab/lis/v2/";
    let (scope, name) = match role.strip_prefix(LIS) {
        Some(rest) => rest.split_once('#')?,
        // Short names are context roles (LTI 1.3 core, A.2.3).
        None => ("membership", role),
    };
    match (scope, name) {
        (_, "Administrator") | ("system/person", "SysAdmin") => Some(ContainerRole::Manager),
        ("membership", "Instructor" | "ContentDeveloper")
        | ("membership/Instructor" | "membership/ContentDeveloper", _) => {
            Some(ContainerRole::Manager)
        }
        ("membership", "Learner") | ("membership/Learner", _) => Some(ContainerRole::Member),
        _ => None,
    }
}

fn text<'a>(claims: &'a Value, key: &str) -> Option<&'a str> {
    claims.get(key).and_then(Value::as_str)
}

fn lti<'a>(claims: &'a Value, name: &str) -> Option<&'a Value> {
    claims.get(format!("{CLAIM}{name}"))
}

/// What the launch must match: the registration, the nonce issued with the state, whether
/// that nonce was already used, and the time now.
pub struct Expected<'a> {
    pub platform: &'a Platform,
    pub issued_nonce: &'a str,
    pub nonce_used: bool,
    pub now: i64,
}

/// The claims of a verified id_token, checked one by one.
pub fn check_claims(claims: &Value, expected: &Expected) -> Result<Launch, LtiError> {
    let platform = expected.platform;
    let issuer = text(claims, "iss").unwrap_or_default();
    if issuer != platform.issuer {
        return Err(LtiError::WrongIssuer(issuer.to_string()));
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let azp = text(claims, "azp");
    let azp_ok = match azp {
        Some(azp) => azp == platform.client_id,
        // Several audiences need `azp` to say which party the token was issued to.
        None => audiences.len() == 1,
    };
    if !audiences.contains(&platform.client_id.as_str()) || !azp_ok {
        return Err(LtiError::WrongAudience);
    }
    let (Some(exp), Some(iat)) = (
        claims.get("exp").and_then(Value::as_i64),
        claims.get("iat").and_then(Value::as_i64),
    ) else {
        return Err(LtiError::MissingClaim("exp or iat"));
    };
    if expected.now > exp + CLOCK_SKEW_SECS {
        return Err(LtiError::Expired);
    }
    let nbf = claims.get("nbf").and_then(Value::as_i64).unwrap_or(iat);
    if iat.max(nbf) > expected.now + CLOCK_SKEW_SECS {
        return Err(LtiError::NotYetValid);
    }
    let nonce = text(claims, "nonce").unwrap_or_default();
    if expected.nonce_used {
        return Err(LtiError::NonceReplayed);
    }
    if nonce.is_empty() || nonce != expected.issued_nonce {
        return Err(LtiError::NonceNotIssued);
    }
    let deployment_id = lti(claims, "deployment_id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !platform.deployment_ids.iter().any(|d| d == deployment_id) {
        return Err(LtiError::UnknownDeployment(deployment_id.to_string()));
    }
    match lti(claims, "version").and_then(Value::as_str) {
        None => return Err(LtiError::MissingVersion),
        Some("1.3.0") => {}
        Some(other) => return Err(LtiError::WrongVersion(other.to_string())),
    }
    let message_type = lti(claims, "message_type")
        .and_then(Value::as_str)
        .ok_or(LtiError::MissingClaim("message_type"))?;
    let roles: Vec<String> = lti(claims, "roles")
        .and_then(Value::as_array)
        .ok_or(LtiError::MissingRoles)?
        .iter()
        .filter_map(|r| r.as_str().map(str::to_string))
        .collect();
    // What a deep-linking request accepts back, checked once the role is (so that learners
    // hear they cannot add the tool at all).
    let mut accepted_types: Option<Vec<&str>> = None;
    let message = match message_type {
        "LtiResourceLinkRequest" => {
            lti(claims, "resource_link")
                .and_then(|link| text(link, "id"))
                .ok_or(LtiError::MissingClaim("resource_link"))?;
            let custom = lti(claims, "custom");
            let target = match custom.and_then(|c| text(c, "target")) {
                Some("room") => Target::Room,
                _ => Target::Gallery,
            };
            Message::ResourceLink { target }
        }
        "LtiDeepLinkingRequest" => {
            let settings = claims
                .get(DEEP_LINKING_SETTINGS)
                .ok_or(LtiError::MissingClaim("deep_linking_settings"))?;
            // The browser posts our signed answer there: a web address only (never, say, a
            // `javascript:` one, which would run in the tool's pages).
            let return_url = text(settings, "deep_link_return_url")
                .filter(|url| url.starts_with("https://") || url.starts_with("http://"))
                .ok_or(LtiError::MissingClaim("deep_link_return_url"))?;
            // Required by the spec; missing, it accepts nothing. `accept_multiple` needs no
            // check: the answer holds exactly one item, which every value allows.
            accepted_types = Some(
                settings
                    .get("accept_types")
                    .and_then(Value::as_array)
                    .map(|types| types.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default(),
            );
            Message::DeepLinking {
                return_url: return_url.to_string(),
                data: text(settings, "data").map(str::to_string),
            }
        }
        other => return Err(LtiError::UnknownMessageType(other.to_string())),
    };
    let subject = text(claims, "sub")
        .filter(|s| !s.is_empty())
        .ok_or(LtiError::MissingClaim("sub"))?;
    let context = lti(claims, "context").ok_or(LtiError::MissingClaim("context"))?;
    let context_id = text(context, "id")
        .filter(|s| !s.is_empty())
        .ok_or(LtiError::MissingClaim("context id"))?;
    let context_title = text(context, "title")
        .or_else(|| text(context, "label"))
        .unwrap_or_default();
    let role = course_role(&roles).ok_or(LtiError::NoCourseRole)?;
    if matches!(message, Message::DeepLinking { .. }) && role != ContainerRole::Manager {
        return Err(LtiError::DeepLinkingNotAllowed);
    }
    if let Some(types) = accepted_types.filter(|types| !types.contains(&"ltiResourceLink")) {
        let asked = if types.is_empty() {
            "no content type".to_string()
        } else {
            types
                .iter()
                .map(|t| t.chars().take(40).collect::<String>())
                .take(5)
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(LtiError::LinkNotAccepted(asked));
    }
    let name = text(claims, "name").map(str::to_string).unwrap_or_else(|| {
        [text(claims, "given_name"), text(claims, "family_name")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
    });
    Ok(Launch {
        message,
        subject: subject.to_string(),
        name,
        email: text(claims, "email").map(str::to_string),
        role,
        deployment_id: deployment_id.to_string(),
        context_id: context_id.to_string(),
        context_title: context_title.to_string(),
        nonce: nonce.to_string(),
        expires_at: exp + CLOCK_SKEW_SECS,
        memberships_url: claims
            .get(NAMES_ROLES)
            .and_then(|service| text(service, "context_memberships_url"))
            .map(str::to_string),
    })
}

/// Whether the tool may send its roster access token to `url`: HTTPS only, as the token would
/// travel in the clear otherwise; plain HTTP only to this machine (127.0.0.0/8, ::1,
/// localhost), where a development or test platform answers.
pub fn service_url_allowed(url: &url::Url) -> bool {
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => match url.host() {
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        },
        _ => false,
    }
}

#[cfg(test)]
#[path = "checks_tests.rs"]
mod tests;
