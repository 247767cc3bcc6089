//! Rust participants for meeting rooms, on webrtc-rs: an implementation independent of the
//! browser's and of our SFU's, so the SFU is tested against more than itself.

mod bot;
pub mod fixture;
mod keyframes;
mod media;
mod session;

pub use bot::{Bot, BotConfig, BotError, BotStats};
pub use session::{sign_in, sign_in_load_user, sign_in_load_users};

/// CPU seconds (user + system) and resident memory of a process, from /proc.
pub fn process_usage(pid: u32) -> Option<(f64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    // Linux reports in clock ticks of 100 Hz on every common configuration.
    Some((ticks as f64 / 100.0, rss_kb))
}
