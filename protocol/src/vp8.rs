//! Just enough VP8 payload parsing to find where a subscriber may switch streams.

/// Whether an RTP payload (VP8 payload descriptor first, RFC 7741) starts a key frame.
pub fn starts_keyframe(payload: &[u8]) -> bool {
    let Some(&first) = payload.first() else {
        return false;
    };
    let extended = first & 0x80 != 0;
    let start_of_partition = first & 0x10 != 0;
    let partition_index = first & 0x07;
    if !start_of_partition || partition_index != 0 {
        return false;
    }
    let mut offset = 1;
    if extended {
        let Some(&flags) = payload.get(1) else {
            return false;
        };
        offset = 2;
        if flags & 0x80 != 0 {
            // PictureID: one byte, or two when its M bit is set.
            let Some(&picture_id) = payload.get(offset) else {
                return false;
            };
            offset += if picture_id & 0x80 != 0 { 2 } else { 1 };
        }
        if flags & 0x40 != 0 {
            offset += 1; // TL0PICIDX
        }
        if flags & 0x30 != 0 {
            offset += 1; // TID / Y / KEYIDX
        }
    }
    // VP8 payload header: the P bit (0 = key frame) is the lowest bit of its first byte.
    payload.get(offset).is_some_and(|header| header & 0x01 == 0)
}

#[cfg(test)]
mod tests {
    use super::starts_keyframe;

    #[test]
    fn key_frames_are_found_behind_any_descriptor() {
        // S=1, PID=0, no extension; payload header P=0.
        assert!(starts_keyframe(&[0x10, 0x00, 0x9d, 0x01, 0x2a]));
        // P=1: an inter frame.
        assert!(!starts_keyframe(&[0x10, 0x01]));
        // X=1 with a two-byte PictureID, TL0PICIDX and TID as Chrome sends them.
        assert!(starts_keyframe(&[
            0x90,
            0xe0,
            0x80 | 0x12,
            0x34,
            0x07,
            0x20,
            0x50
        ]));
        assert!(!starts_keyframe(&[
            0x90,
            0xe0,
            0x80 | 0x12,
            0x34,
            0x07,
            0x20,
            0x51
        ]));
        // Not the start of the first partition.
        assert!(!starts_keyframe(&[0x00, 0x00]));
        assert!(!starts_keyframe(&[0x11, 0x00]));
        // Truncated payloads are never key frames.
        assert!(!starts_keyframe(&[]));
        assert!(!starts_keyframe(&[0x90, 0xe0, 0x80]));
    }
}
