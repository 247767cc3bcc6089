//! Which simulcast layer each of a subscriber's tiles gets, given its bandwidth estimate.

use protocol::Quality;

/// Gives every tile the low layer, then upgrades tiles in priority order (first = most
/// important) towards what they asked for while the estimate allows. Never below low: a
/// small picture beats a frozen one, and TWCC probing recovers the estimate.
pub fn allocate(desired: &[Quality], budget_bps: u64, out: &mut Vec<Quality>) {
    out.clear();
    out.resize(desired.len(), Quality::Low);
    let mut spent: u64 = desired.len() as u64 * u64::from(Quality::Low.max_bitrate());
    for (slot, want) in out.iter_mut().zip(desired) {
        for step in [Quality::Medium, Quality::High] {
            if step > *want {
                break;
            }
            let extra = u64::from(step.max_bitrate() - slot.max_bitrate());
            if spent + extra > budget_bps {
                break;
            }
            spent += extra;
            *slot = step;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Quality::*;

    fn run(desired: &[Quality], budget: u64) -> Vec<Quality> {
        let mut out = Vec::new();
        allocate(desired, budget, &mut out);
        out
    }

    #[test]
    fn plenty_of_bandwidth_gives_what_tiles_ask() {
        assert_eq!(
            run(&[High, Medium, Low], 10_000_000),
            vec![High, Medium, Low]
        );
    }

    #[test]
    fn short_bandwidth_upgrades_the_first_tiles_first() {
        // 3 x 150k = 450k, +350k for the first to Medium, +1.2M more is too much.
        assert_eq!(run(&[High, High, High], 1_000_000), vec![Medium, Low, Low]);
        assert_eq!(run(&[High, High], 2_100_000), vec![High, Low]);
        assert_eq!(run(&[High, High], 2_300_000), vec![High, Medium]);
    }

    #[test]
    fn never_below_low() {
        assert_eq!(run(&[High, Medium], 0), vec![Low, Low]);
        assert!(run(&[], 0).is_empty());
    }
}
