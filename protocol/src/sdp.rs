//! A cheap shape check of untrusted SDP before str0m parses it: one pass over the text, no
//! allocation, refusing what no browser sends (oversized text, more media sections or simulcast
//! layers than the SFU serves, huge lines) so a hostile client cannot make the SFU's parser
//! and negotiation do unbounded work. It checks counts, not meaning: str0m still refuses
//! whatever is malformed.

use crate::{MAX_OFFER_MEDIA_SECTIONS, MAX_SDP_BYTES, MAX_SIMULCAST_LAYERS};

/// Most lines an SDP may have. A browser's video section is ~130 lines (every codec with its
/// rtx, rtcp-fb and fmtp lines), so eight sections stay well below.
pub const MAX_SDP_LINES: usize = 2_000;
/// Longest line accepted. The longest a browser writes (fmtp, candidates, fingerprints) are a
/// few hundred bytes.
pub const MAX_SDP_LINE_BYTES: usize = 4_096;

/// Why an SDP was refused. Messages say what was wrong in plain words and never quote the
/// input, so they are safe to send back to the client.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SdpRefusal {
    #[error("the {kind} is {bytes} bytes long; at most {max} are accepted")]
    TooLarge {
        kind: SdpKind,
        bytes: usize,
        max: usize,
    },
    #[error("the {kind} is not a session description (it must start with \"v=0\")")]
    NotSdp { kind: SdpKind },
    #[error("line {line} of the {kind} is not of the form \"x=value\"")]
    MalformedLine { kind: SdpKind, line: usize },
    #[error("line {line} of the {kind} is longer than {max} bytes")]
    LineTooLong {
        kind: SdpKind,
        line: usize,
        max: usize,
    },
    #[error("the {kind} has {lines} lines; at most {max} are accepted")]
    TooManyLines {
        kind: SdpKind,
        lines: usize,
        max: usize,
    },
    #[error("the {kind} has {count} media sections; at most {max} are accepted")]
    TooManySections {
        kind: SdpKind,
        count: usize,
        max: usize,
    },
    #[error("the answer has {count} media sections; the offer had {offered}")]
    MoreSectionsThanOffered { count: usize, offered: usize },
    #[error("the {kind} declares simulcast layers outside a media section")]
    LayersOutsideSection { kind: SdpKind },
    #[error(
        "media section {section} of the {kind} declares {count} simulcast layers; at most {max} are accepted"
    )]
    TooManyLayers {
        kind: SdpKind,
        section: usize,
        count: usize,
        max: usize,
    },
}

/// Which description was refused, for the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SdpKind {
    Offer,
    Answer,
}

impl std::fmt::Display for SdpKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Offer => "offer",
            Self::Answer => "answer",
        })
    }
}

/// A publisher's offer: at most [`MAX_OFFER_MEDIA_SECTIONS`] media sections, each with at most
/// [`MAX_SIMULCAST_LAYERS`] `a=rid` lines and as many layers in its `a=simulcast` lines.
pub fn check_offer(sdp: &str) -> Result<(), SdpRefusal> {
    check(sdp, SdpKind::Offer, MAX_OFFER_MEDIA_SECTIONS)
}

/// A subscriber's answer to the server's offer of `max_sections` media sections: never more
/// sections than were offered.
pub fn check_answer(sdp: &str, max_sections: usize) -> Result<(), SdpRefusal> {
    check(sdp, SdpKind::Answer, max_sections)
}

/// Layer counts of the media section being read.
#[derive(Default)]
struct Section {
    rids: usize,
    simulcast: usize,
}

fn check(sdp: &str, kind: SdpKind, max_sections: usize) -> Result<(), SdpRefusal> {
    // Before anything else: everything after is linear in the size.
    if sdp.len() > MAX_SDP_BYTES {
        return Err(SdpRefusal::TooLarge {
            kind,
            bytes: sdp.len(),
            max: MAX_SDP_BYTES,
        });
    }
    if !sdp.starts_with("v=0") {
        return Err(SdpRefusal::NotSdp { kind });
    }
    let mut lines = 0;
    let mut sections = 0;
    let mut section = Section::default();
    // The first offending section; the section count wins over it, being the bigger story.
    let mut layers_refused = None;
    let mut close = |sections: usize, section: &mut Section| {
        let count = section.rids.max(section.simulcast);
        if count > MAX_SIMULCAST_LAYERS && layers_refused.is_none() {
            layers_refused = Some(SdpRefusal::TooManyLayers {
                kind,
                section: sections,
                count,
                max: MAX_SIMULCAST_LAYERS,
            });
        }
        *section = Section::default();
    };
    for (index, line) in sdp.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            // The CRLF ending the last line leaves one; str0m judges any other.
            continue;
        }
        lines += 1;
        let number = index + 1;
        if line.len() > MAX_SDP_LINE_BYTES {
            return Err(SdpRefusal::LineTooLong {
                kind,
                line: number,
                max: MAX_SDP_LINE_BYTES,
            });
        }
        let bytes = line.as_bytes();
        if bytes.len() < 2 || !bytes[0].is_ascii_lowercase() || bytes[1] != b'=' {
            return Err(SdpRefusal::MalformedLine { kind, line: number });
        }
        if line.starts_with("m=") {
            if sections > 0 {
                close(sections, &mut section);
            }
            sections += 1;
        } else if line.starts_with("a=rid:") {
            section.rids += 1;
        } else if let Some(value) = line.strip_prefix("a=simulcast:") {
            section.simulcast += simulcast_layers(value);
        } else {
            continue;
        }
        if sections == 0 && (section.rids > 0 || section.simulcast > 0) {
            // RFC 8851/8853 make both media-level; no browser writes them at session level.
            return Err(SdpRefusal::LayersOutsideSection { kind });
        }
    }
    if sections > 0 {
        close(sections, &mut section);
    }
    if sections > max_sections {
        return Err(match kind {
            SdpKind::Offer => SdpRefusal::TooManySections {
                kind,
                count: sections,
                max: max_sections,
            },
            SdpKind::Answer => SdpRefusal::MoreSectionsThanOffered {
                count: sections,
                offered: max_sections,
            },
        });
    }
    if let Some(refusal) = layers_refused {
        return Err(refusal);
    }
    if lines > MAX_SDP_LINES {
        return Err(SdpRefusal::TooManyLines {
            kind,
            lines,
            max: MAX_SDP_LINES,
        });
    }
    Ok(())
}

/// Stream ids listed in an `a=simulcast:` value (RFC 8853: `send 1;2,3 recv 4`): alternatives
/// (`,`) count as layers too, since each may be sent.
fn simulcast_layers(value: &str) -> usize {
    value
        .split_ascii_whitespace()
        .filter(|token| *token != "send" && *token != "recv")
        .map(|list| list.split([';', ',']).filter(|id| !id.is_empty()).count())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Chromium offers for microphone and a three-layer simulcast camera (trimmed of
    /// codecs the test does not need, every attribute kind kept).
    pub(crate) const CHROMIUM_SIMULCAST_OFFER: &str = "v=0\r
o=- 4611731400430051336 2 IN IP4 127.0.0.1\r
s=-\r
t=0 0\r
a=group:BUNDLE 0 1\r
a=extmap-allow-mixed\r
a=msid-semantic: WMS 5f2a3b1c-7d8e-4f90-a1b2-c3d4e5f60718\r
m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r
c=IN IP4 0.0.0.0\r
a=rtcp:9 IN IP4 0.0.0.0\r
a=ice-ufrag:Xk3q\r
a=ice-pwd:8sPqZ2nV4mR7tY1wE6uI0oA9\r
a=ice-options:trickle\r
a=fingerprint:sha-256 7A:D7:C9:33:94:8D:8A:BA:10:EB:93:21:7C:B4:91:6D:40:F7:56:07:CA:9D:42:D3:80:32:2D:10:D9:AC:8E:15\r
a=setup:actpass\r
a=mid:0\r
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r
a=sendonly\r
a=msid:5f2a3b1c-7d8e-4f90-a1b2-c3d4e5f60718 0c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e\r
a=rtcp-mux\r
a=rtcp-rsize\r
a=rtpmap:111 opus/48000/2\r
a=rtcp-fb:111 transport-cc\r
a=fmtp:111 minptime=10;useinbandfec=1\r
a=rtpmap:63 red/48000/2\r
a=fmtp:63 111/111\r
a=rtpmap:9 G722/8000\r
a=rtpmap:0 PCMU/8000\r
a=rtpmap:8 PCMA/8000\r
a=rtpmap:13 CN/8000\r
a=rtpmap:110 telephone-event/48000\r
a=rtpmap:126 telephone-event/8000\r
a=ssrc:1853196302 cname:fQ2x8Hc1LkPz7Vb3\r
a=ssrc:1853196302 msid:5f2a3b1c-7d8e-4f90-a1b2-c3d4e5f60718 0c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e\r
m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 45 46 35 36 116 117 118\r
c=IN IP4 0.0.0.0\r
a=rtcp:9 IN IP4 0.0.0.0\r
a=ice-ufrag:Xk3q\r
a=ice-pwd:8sPqZ2nV4mR7tY1wE6uI0oA9\r
a=ice-options:trickle\r
a=fingerprint:sha-256 7A:D7:C9:33:94:8D:8A:BA:10:EB:93:21:7C:B4:91:6D:40:F7:56:07:CA:9D:42:D3:80:32:2D:10:D9:AC:8E:15\r
a=setup:actpass\r
a=mid:1\r
a=extmap:14 urn:ietf:params:rtp-hdrext:toffset\r
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r
a=extmap:13 urn:3gpp:video-orientation\r
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r
a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay\r
a=extmap:6 http://www.webrtc.org/experiments/rtp-hdrext/video-content-type\r
a=extmap:7 http://www.webrtc.org/experiments/rtp-hdrext/video-timing\r
a=extmap:8 http://www.webrtc.org/experiments/rtp-hdrext/color-space\r
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r
a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r
a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\r
a=sendonly\r
a=msid:5f2a3b1c-7d8e-4f90-a1b2-c3d4e5f60718 6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d\r
a=rtcp-mux\r
a=rtcp-rsize\r
a=rtpmap:96 VP8/90000\r
a=rtcp-fb:96 goog-remb\r
a=rtcp-fb:96 transport-cc\r
a=rtcp-fb:96 ccm fir\r
a=rtcp-fb:96 nack\r
a=rtcp-fb:96 nack pli\r
a=rtpmap:97 rtx/90000\r
a=fmtp:97 apt=96\r
a=rtpmap:98 VP9/90000\r
a=rtcp-fb:98 goog-remb\r
a=rtcp-fb:98 transport-cc\r
a=rtcp-fb:98 ccm fir\r
a=rtcp-fb:98 nack\r
a=rtcp-fb:98 nack pli\r
a=fmtp:98 profile-id=0\r
a=rtpmap:99 rtx/90000\r
a=fmtp:99 apt=98\r
a=rtpmap:45 AV1/90000\r
a=rtcp-fb:45 goog-remb\r
a=rtcp-fb:45 transport-cc\r
a=rtcp-fb:45 ccm fir\r
a=rtcp-fb:45 nack\r
a=rtcp-fb:45 nack pli\r
a=fmtp:45 level-idx=5;profile=0;tier=0\r
a=rtpmap:46 rtx/90000\r
a=fmtp:46 apt=45\r
a=rtpmap:35 H264/90000\r
a=rtcp-fb:35 goog-remb\r
a=rtcp-fb:35 transport-cc\r
a=rtcp-fb:35 ccm fir\r
a=rtcp-fb:35 nack\r
a=rtcp-fb:35 nack pli\r
a=fmtp:35 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r
a=rtpmap:36 rtx/90000\r
a=fmtp:36 apt=35\r
a=rtpmap:116 red/90000\r
a=rtpmap:117 rtx/90000\r
a=fmtp:117 apt=116\r
a=rtpmap:118 ulpfec/90000\r
a=rid:q send\r
a=rid:h send\r
a=rid:f send\r
a=simulcast:send q;h;f\r
";

    fn section(mid: usize, extra: &str) -> String {
        format!("m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:{mid}\r\na=sendonly\r\n{extra}")
    }

    fn offer_with(sections: &str) -> String {
        format!("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n{sections}")
    }

    #[test]
    fn a_chromium_simulcast_offer_passes() {
        assert_eq!(check_offer(CHROMIUM_SIMULCAST_OFFER), Ok(()));
        // Some clients end lines with a bare LF.
        assert_eq!(
            check_offer(&CHROMIUM_SIMULCAST_OFFER.replace("\r\n", "\n")),
            Ok(())
        );
        // Eight sections, the most a publisher renegotiates up to.
        let eight: String = (0..8).map(|mid| section(mid, "")).collect();
        assert_eq!(check_offer(&offer_with(&eight)), Ok(()));
    }

    #[test]
    fn five_hundred_media_sections_are_refused() {
        let many: String = (0..500).map(|mid| section(mid, "")).collect();
        let refusal = check_offer(&offer_with(&many)).unwrap_err();
        assert_eq!(
            refusal,
            SdpRefusal::TooManySections {
                kind: SdpKind::Offer,
                count: 500,
                max: 8
            }
        );
        assert_eq!(
            refusal.to_string(),
            "the offer has 500 media sections; at most 8 are accepted"
        );
    }

    #[test]
    fn two_hundred_rids_are_refused() {
        let rids: String = (0..200).map(|i| format!("a=rid:r{i} send\r\n")).collect();
        let refusal = check_offer(&offer_with(&section(0, &rids))).unwrap_err();
        assert_eq!(
            refusal.to_string(),
            "media section 1 of the offer declares 200 simulcast layers; at most 3 are accepted"
        );
        // Four layers in a later section, listed only in a=simulcast (alternatives count).
        let fine = section(0, "a=rid:a send\r\na=simulcast:send a\r\n");
        let four = section(1, "a=simulcast:send a;b,c;d\r\n");
        assert_eq!(
            check_offer(&offer_with(&format!("{fine}{four}"))),
            Err(SdpRefusal::TooManyLayers {
                kind: SdpKind::Offer,
                section: 2,
                count: 4,
                max: 3
            })
        );
        assert_eq!(
            check_offer(&offer_with("a=rid:a send\r\n")),
            Err(SdpRefusal::LayersOutsideSection {
                kind: SdpKind::Offer
            })
        );
    }

    #[test]
    fn oversized_offers_and_lines_are_refused_without_echoing_them() {
        let huge = offer_with(&section(0, &"a=x\r\n".repeat(200_000)));
        assert!(huge.len() > 1_000_000);
        let refusal = check_offer(&huge).unwrap_err();
        assert!(matches!(refusal, SdpRefusal::TooLarge { max, .. } if max == MAX_SDP_BYTES));
        assert!(refusal.to_string().starts_with("the offer is 1000"));

        let secret = "x".repeat(40_000);
        let long_line = offer_with(&section(0, &format!("a=tool:{secret}\r\n")));
        assert!(long_line.len() < MAX_SDP_BYTES);
        let refusal = check_offer(&long_line).unwrap_err();
        assert_eq!(
            refusal,
            SdpRefusal::LineTooLong {
                kind: SdpKind::Offer,
                line: 8,
                max: MAX_SDP_LINE_BYTES
            }
        );
        assert!(!refusal.to_string().contains("xxx"));

        let many_lines = offer_with(&section(0, &"a=x\r\n".repeat(MAX_SDP_LINES)));
        assert!(matches!(
            check_offer(&many_lines),
            Err(SdpRefusal::TooManyLines { .. })
        ));
    }

    #[test]
    fn what_is_not_sdp_is_refused() {
        assert!(matches!(check_offer(""), Err(SdpRefusal::NotSdp { .. })));
        assert!(matches!(
            check_offer("{\"sdp\": 1}"),
            Err(SdpRefusal::NotSdp { .. })
        ));
        assert_eq!(
            check_offer("v=0\r\nhello\r\n"),
            Err(SdpRefusal::MalformedLine {
                kind: SdpKind::Offer,
                line: 2
            })
        );
    }

    #[test]
    fn an_answer_has_no_more_sections_than_the_offer() {
        let two: String = (0..2).map(|mid| section(mid, "")).collect();
        assert_eq!(check_answer(&offer_with(&two), 2), Ok(()));
        assert_eq!(
            check_answer(&offer_with(&two), 1).unwrap_err().to_string(),
            "the answer has 2 media sections; the offer had 1"
        );
    }
}
