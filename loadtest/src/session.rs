//! Signing in over the REST API, as any client does.

use crate::bot::BotError;

/// Signs `username` in and returns the session cookie (`name=value`) to send with requests.
pub async fn sign_in(base_url: &str, username: &str, password: &str) -> Result<String, BotError> {
    let response = reqwest::Client::new()
        .post(format!("{base_url}/api/session"))
        .json(&serde_json::json!({ "username": username, "password": password }))
        .send()
        .await
        .map_err(|e| BotError::Http(e.to_string()))?;
    if !response.status().is_success() {
        return Err(BotError::Http(format!(
            "sign-in as {username}: {}",
            response.status()
        )));
    }
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("mr_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
        .ok_or_else(|| BotError::Http("no session cookie in the sign-in answer".into()))
}

/// Signs in load-test user `n` (`load{n}`, seeded with `SEED_LOAD_USERS`): every bot of a
/// load test is its own person, as the room's per-person limits expect.
pub async fn sign_in_load_user(base_url: &str, n: usize) -> Result<String, BotError> {
    sign_in(base_url, &format!("load{n}"), "demo").await
}

/// Signs in load users `1..=count`, one after another (sign-ins are rate-limited and hashed
/// under a small concurrency cap on the server).
pub async fn sign_in_load_users(base_url: &str, count: usize) -> Result<Vec<String>, BotError> {
    let mut cookies = Vec::with_capacity(count);
    for n in 1..=count {
        cookies.push(sign_in_load_user(base_url, n).await?);
    }
    Ok(cookies)
}
