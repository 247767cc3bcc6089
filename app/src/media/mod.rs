//! The browser side of a room (hydrate only): the signalling socket (with reconnection),
//! devices, the publishing and subscribing peer connections (rebuilt when their media fails),
//! all driven from Rust through `web-sys`.

mod client;
mod devices;
mod health;
mod peer;
mod probe;
mod publisher;
mod quality;
mod reconnect;
mod signal;

pub use client::Client;
pub use devices::is_mobile;
pub use probe::check_connectivity;
