//! Set devices' connectivity check: which paths to the media server work (direct, then the
//! TURN relay over UDP, TCP and TLS when the site has one), said in plain words, with a
//! Re-test button. The browser side runs the probes (`crate::media::probe`); this module has
//! the plan, the verdict and the view, and is shared with the server-rendered page.

// The server renders the check before it runs; results, plan and qualities are the browser's.
#![cfg_attr(not(feature = "hydrate"), allow(dead_code))]

use leptos::prelude::*;
use protocol::IceServer;

use super::state::RoomUi;

/// One path to the media server the check tries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathKind {
    /// The browser's own addresses (host, and server-reflexive with STUN), no relay.
    Direct,
    TurnUdp,
    TurnTcp,
    TurnTls,
}

impl PathKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Direct => "Direct",
            Self::TurnUdp => "Relay over UDP",
            Self::TurnTcp => "Relay over TCP",
            Self::TurnTls => "Relay over TLS",
        }
    }

    pub fn is_relay(self) -> bool {
        self != Self::Direct
    }
}

/// What a connected probe actually used, from the browser's statistics of its selected
/// candidate pair.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Selected {
    /// `host`, `srflx`, `prflx` or `relay`.
    pub candidate_type: String,
    /// `udp` or `tcp`: between the browser and the first hop.
    pub protocol: String,
    /// For relayed candidates: `udp`, `tcp` or `tls` to the TURN server.
    pub relay_protocol: Option<String>,
    pub round_trip_ms: Option<f64>,
}

impl Selected {
    /// "TURN over TCP" for a relayed path, `None` for a direct one.
    pub fn relay_words(&self) -> Option<String> {
        (self.candidate_type == "relay").then(|| {
            let over = self.relay_protocol.as_deref().unwrap_or(&self.protocol);
            format!("TURN over {}", over.to_uppercase())
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct PathResult {
    pub path: PathKind,
    /// What worked, or why not (for people).
    pub outcome: Result<Selected, String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub enum Connectivity {
    #[default]
    NotRun,
    /// Paths done so far.
    Testing(Vec<PathResult>),
    Done(Vec<PathResult>),
}

impl Connectivity {
    pub fn results(&self) -> &[PathResult] {
        match self {
            Self::NotRun => &[],
            Self::Testing(results) | Self::Done(results) => results,
        }
    }

    fn works(&self, path: PathKind) -> Option<&Selected> {
        self.results()
            .iter()
            .find(|r| r.path == path)
            .and_then(|r| r.outcome.as_ref().ok())
    }

    /// Only the relay reached the media server: the room's connections then skip the direct
    /// checks that would fail anyway.
    pub fn relay_only(&self) -> bool {
        matches!(self, Self::Done(_))
            && self.works(PathKind::Direct).is_none()
            && self
                .results()
                .iter()
                .any(|r| r.path.is_relay() && r.outcome.is_ok())
    }

    /// The verdict in plain words; `None` before the check finished.
    pub fn summary(&self) -> Option<String> {
        let Self::Done(results) = self else {
            return None;
        };
        if self.works(PathKind::Direct).is_some() {
            return Some("Direct connection to the media server works.".into());
        }
        if let Some(relay) = results
            .iter()
            .filter(|r| r.path.is_relay())
            .find_map(|r| r.outcome.as_ref().ok())
        {
            let words = relay
                .relay_words()
                .unwrap_or_else(|| "the TURN relay".to_owned());
            return Some(format!(
                "Your network blocks direct media; using the relay ({words})."
            ));
        }
        let why: Vec<String> = results
            .iter()
            .filter_map(|r| {
                r.outcome
                    .as_ref()
                    .err()
                    .map(|e| format!("{}: {e}", r.path.label().to_lowercase()))
            })
            .collect();
        let relays = results.iter().any(|r| r.path.is_relay());
        let advice = if relays {
            "Ask your network administrator to allow UDP to the media server or TCP to the relay."
        } else {
            "This site has no relay for blocked networks; ask your network administrator to allow UDP to the media server."
        };
        Some(format!(
            "No path to the media server: {}. {advice}",
            why.join("; ")
        ))
    }
}

/// How a media link does now, from the browser's statistics (see `crate::media::quality`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum QualityLevel {
    #[default]
    Good,
    /// Shown amber.
    Fair,
    /// Shown red.
    Poor,
}

impl QualityLevel {
    pub fn label(self) -> &'static str {
        match self {
            Self::Good => "Good",
            Self::Fair => "Fair",
            Self::Poor => "Poor",
        }
    }
}

/// A link's quality and why ("12% packets lost", "round trip 450 ms").
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkQuality {
    pub level: QualityLevel,
    pub reason: String,
}

impl LinkQuality {
    /// For a tooltip: "Poor connection: 12% packets lost".
    pub fn describe(&self) -> String {
        if self.reason.is_empty() {
            format!("{} connection", self.level.label())
        } else {
            format!("{} connection: {}", self.level.label(), self.reason)
        }
    }
}

/// The paths to test, in order, each with the only ICE servers its probe may use: direct
/// gets the STUN servers, each relay the single TURN URL of its transport (the first one the
/// site lists). `turn:` without a transport is UDP; `turns:` is TLS over TCP.
pub fn plan(servers: &[IceServer]) -> Vec<(PathKind, Vec<IceServer>)> {
    let stun: Vec<IceServer> = servers
        .iter()
        .filter(|s| s.urls.iter().all(|u| u.starts_with("stun:")))
        .cloned()
        .collect();
    let mut paths = vec![(PathKind::Direct, stun)];
    for kind in [PathKind::TurnUdp, PathKind::TurnTcp, PathKind::TurnTls] {
        let found = servers.iter().find_map(|server| {
            let url = server.urls.iter().find(|u| turn_kind(u) == Some(kind))?;
            Some(IceServer {
                urls: vec![url.clone()],
                ..server.clone()
            })
        });
        if let Some(server) = found {
            paths.push((kind, vec![server]));
        }
    }
    paths
}

fn turn_kind(url: &str) -> Option<PathKind> {
    let url = url.to_ascii_lowercase();
    let tcp = url.contains("transport=tcp");
    if url.starts_with("turns:") {
        Some(PathKind::TurnTls)
    } else if url.starts_with("turn:") {
        Some(if tcp {
            PathKind::TurnTcp
        } else {
            PathKind::TurnUdp
        })
    } else {
        None
    }
}

/// The check's verdict with a Re-test button; it runs by itself the first time Set devices
/// shows. Placed by Set devices.
#[component]
pub fn ConnectivityCheck() -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    let run = move || {
        #[cfg(feature = "hydrate")]
        if let Some(client) = ui.client.get_value() {
            crate::media::check_connectivity(&client);
        }
        // The server-rendered page has nothing to run.
        let _ = ui;
    };
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if ui
            .connectivity
            .with_untracked(|c| *c == Connectivity::NotRun)
        {
            run();
        }
    });
    let testing = move || {
        ui.connectivity
            .with(|c| matches!(c, Connectivity::Testing(_)))
    };
    let status = move || {
        ui.connectivity.with(|c| match c {
            Connectivity::NotRun => "Checking the connection to the media server…".to_owned(),
            Connectivity::Testing(done) => {
                format!(
                    "Checking the connection to the media server ({} done)…",
                    done.len()
                )
            }
            Connectivity::Done(_) => c.summary().unwrap_or_default(),
        })
    };
    let trouble = move || {
        ui.connectivity
            .with(|c| matches!(c, Connectivity::Done(_)) && c.works(PathKind::Direct).is_none())
    };
    view! {
        <section class="connectivity" aria-labelledby="connectivity-title">
            <h2 id="connectivity-title">"Connection"</h2>
            <p class="connectivity-status" class:warning=trouble role="status">{status}</p>
            <ul class="connectivity-paths">
                {move || ui.connectivity.with(|c| c.results().to_vec()).into_iter().map(|r| {
                    let text = match &r.outcome {
                        Ok(selected) => match (selected.relay_words(), selected.round_trip_ms) {
                            (Some(words), Some(ms)) => format!("works ({words}, {ms:.0} ms)"),
                            (Some(words), None) => format!("works ({words})"),
                            (None, Some(ms)) => format!("works ({ms:.0} ms)"),
                            (None, None) => "works".to_owned(),
                        },
                        Err(why) => format!("fails: {why}"),
                    };
                    view! { <li>{format!("{}: {text}", r.path.label())}</li> }
                }).collect_view()}
            </ul>
            <button type="button" class="secondary" disabled=testing on:click=move |_| run()>"Re-test"</button>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(urls: &[&str]) -> IceServer {
        IceServer {
            urls: urls.iter().map(|u| u.to_string()).collect(),
            username: Some("1600:42".into()),
            credential: Some("secret".into()),
        }
    }

    #[test]
    fn the_plan_tests_direct_then_each_configured_relay_transport_alone() {
        let servers = vec![
            IceServer {
                urls: vec!["stun:stun.example.org:3478".into()],
                username: None,
                credential: None,
            },
            turn(&[
                "turns:turn.example.org:5349?transport=tcp",
                "turn:turn.example.org:3478?transport=tcp",
                "turn:turn.example.org:3478",
            ]),
        ];
        let plan = plan(&servers);
        let kinds: Vec<PathKind> = plan.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            kinds,
            [
                PathKind::Direct,
                PathKind::TurnUdp,
                PathKind::TurnTcp,
                PathKind::TurnTls
            ]
        );
        assert_eq!(plan[0].1[0].urls, ["stun:stun.example.org:3478"]);
        assert_eq!(plan[1].1[0].urls, ["turn:turn.example.org:3478"]);
        assert_eq!(
            plan[2].1[0].urls,
            ["turn:turn.example.org:3478?transport=tcp"]
        );
        assert_eq!(
            plan[3].1[0].urls,
            ["turns:turn.example.org:5349?transport=tcp"]
        );
        assert_eq!(plan[3].1[0].credential.as_deref(), Some("secret"));
        // No relay configured: only the direct test.
        assert_eq!(super::plan(&[]).len(), 1);
        assert!(super::plan(&[]).first().is_some_and(|(_, s)| s.is_empty()));
    }

    fn worked(path: PathKind, kind: &str, relay: Option<&str>) -> PathResult {
        PathResult {
            path,
            outcome: Ok(Selected {
                candidate_type: kind.into(),
                protocol: "udp".into(),
                relay_protocol: relay.map(str::to_owned),
                round_trip_ms: Some(2.0),
            }),
        }
    }

    fn failed(path: PathKind) -> PathResult {
        PathResult {
            path,
            outcome: Err("no connection within 5 seconds".into()),
        }
    }

    #[test]
    fn the_verdict_says_what_works_in_plain_words() {
        let direct = Connectivity::Done(vec![
            worked(PathKind::Direct, "host", None),
            worked(PathKind::TurnUdp, "relay", Some("udp")),
        ]);
        assert_eq!(
            direct.summary().as_deref(),
            Some("Direct connection to the media server works.")
        );
        assert!(!direct.relay_only());

        let relayed = Connectivity::Done(vec![
            failed(PathKind::Direct),
            failed(PathKind::TurnUdp),
            worked(PathKind::TurnTcp, "relay", Some("tcp")),
        ]);
        assert_eq!(
            relayed.summary().as_deref(),
            Some("Your network blocks direct media; using the relay (TURN over TCP).")
        );
        assert!(relayed.relay_only());
        assert!(
            !Connectivity::Testing(relayed.results().to_vec()).relay_only(),
            "not before the check is done"
        );

        let none = Connectivity::Done(vec![failed(PathKind::Direct), failed(PathKind::TurnTls)]);
        let words = none.summary().unwrap();
        assert!(
            words.starts_with("No path to the media server: direct: no connection"),
            "{words}"
        );
        assert!(words.contains("relay over tls: no connection"), "{words}");
        assert!(!none.relay_only());
        let no_relay = Connectivity::Done(vec![failed(PathKind::Direct)]);
        assert!(no_relay.summary().unwrap().contains("no relay"));
        assert_eq!(Connectivity::NotRun.summary(), None);
    }
}
