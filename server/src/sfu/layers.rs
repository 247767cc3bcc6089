//! Which simulcast layer each of a subscriber's tiles gets, given its bandwidth estimate and
//! what each layer really carries.

use protocol::Quality;

/// One tile's wish and the measured rates of its publisher's layers (0 = not measured).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TileDemand {
    pub want: Quality,
    pub rates: [u64; 3],
}

impl TileDemand {
    /// What forwarding `layer` costs: its measured rate, its cap until it has one.
    fn cost(&self, layer: Quality) -> u64 {
        match self.rates[layer as usize] {
            0 => u64::from(layer.max_bitrate()),
            measured => measured,
        }
    }
}

/// What the chosen layers and the wished ones are measured to carry: the bandwidth estimator
/// sustains the first and probes towards the second. Unmeasured layers count nothing here
/// (a stopped camera must not be padded for at its cap).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Budget {
    pub spent_bps: u64,
    pub wanted_bps: u64,
}

/// Gives every tile the low layer, then upgrades tiles in priority order (first = most
/// important) towards what they asked for while the estimate allows. Never below low: a
/// small picture beats a frozen one, and probing recovers the estimate.
pub fn allocate(tiles: &[TileDemand], budget_bps: u64, out: &mut Vec<Quality>) -> Budget {
    out.clear();
    out.resize(tiles.len(), Quality::Low);
    let mut spent: u64 = tiles.iter().map(|t| t.cost(Quality::Low)).sum();
    for (slot, tile) in out.iter_mut().zip(tiles) {
        // The best layer within the wish that the estimate still pays for; a layer that
        // costs less than the one below it (a browser starving it) is no dearer to take.
        let mut best = *slot;
        for step in [Quality::Medium, Quality::High] {
            if step > tile.want {
                break;
            }
            let extra = tile.cost(step).saturating_sub(tile.cost(*slot));
            if spent + extra <= budget_bps {
                best = step;
            }
        }
        spent += tile.cost(best).saturating_sub(tile.cost(*slot));
        spent -= tile.cost(*slot).saturating_sub(tile.cost(best));
        *slot = best;
    }
    Budget {
        spent_bps: tiles
            .iter()
            .zip(out.iter())
            .map(|(t, &q)| t.rates[q as usize])
            .sum(),
        wanted_bps: tiles.iter().map(|t| t.rates[t.want as usize]).sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Quality::*;

    const UNMEASURED: [u64; 3] = [0; 3];

    fn run(tiles: &[(Quality, [u64; 3])], budget: u64) -> (Vec<Quality>, Budget) {
        let tiles: Vec<TileDemand> = tiles
            .iter()
            .map(|&(want, rates)| TileDemand { want, rates })
            .collect();
        let mut out = Vec::new();
        let budget = allocate(&tiles, budget, &mut out);
        (out, budget)
    }

    #[test]
    fn plenty_of_bandwidth_gives_what_tiles_ask() {
        let (layers, _) = run(
            &[(High, UNMEASURED), (Medium, UNMEASURED), (Low, UNMEASURED)],
            10_000_000,
        );
        assert_eq!(layers, vec![High, Medium, Low]);
    }

    #[test]
    fn unmeasured_layers_cost_their_caps_and_the_first_tiles_upgrade_first() {
        // Caps 150k / 500k / 1.7M: 3 x 150k = 450k, +350k for the first to Medium.
        let three = [(High, UNMEASURED); 3];
        assert_eq!(run(&three, 1_000_000).0, vec![Medium, Low, Low]);
        let two = [(High, UNMEASURED); 2];
        assert_eq!(run(&two, 1_900_000).0, vec![High, Low]);
        assert_eq!(run(&two, 2_250_000).0, vec![High, Medium]);
    }

    #[test]
    fn measured_rates_decide_not_the_caps() {
        // A 640x480 camera: its top layer carries 600 kbps, far under the 1.7 Mbps cap; the
        // starting estimate of 1.5 Mbps pays for it where the cap said no.
        let camera = [120_000, 300_000, 600_000];
        let (layers, budget) = run(&[(High, camera)], 1_500_000);
        assert_eq!(layers, vec![High]);
        assert_eq!(
            budget,
            Budget {
                spent_bps: 600_000,
                wanted_bps: 600_000
            }
        );
        assert_eq!(run(&[(High, UNMEASURED)], 1_500_000).0, vec![Medium]);
        // Two such tiles: 1.2 Mbps for both tops.
        assert_eq!(
            run(&[(High, camera), (High, camera)], 1_300_000).0,
            vec![High, High]
        );
        // Under a constrained estimate the second tile steps down first.
        assert_eq!(
            run(&[(High, camera), (High, camera)], 1_000_000).0,
            vec![High, Medium]
        );
        assert_eq!(
            run(&[(High, camera), (High, camera)], 500_000).0,
            vec![Medium, Low]
        );
    }

    #[test]
    fn a_tile_takes_a_middle_layer_when_the_top_does_not_fit() {
        let camera = [100_000, 400_000, 1_500_000];
        assert_eq!(run(&[(High, camera)], 800_000).0, vec![Medium]);
        let (_, budget) = run(&[(High, camera)], 800_000);
        assert_eq!(
            budget,
            Budget {
                spent_bps: 400_000,
                wanted_bps: 1_500_000
            }
        );
        let (_, unmeasured) = run(&[(High, UNMEASURED)], 800_000);
        assert_eq!(
            unmeasured,
            Budget::default(),
            "nothing measured, nothing to pad for"
        );
    }

    #[test]
    fn small_tiles_want_little_and_are_never_below_low() {
        let camera = [120_000, 300_000, 600_000];
        let (layers, budget) = run(&[(Low, camera), (Medium, camera)], 10_000_000);
        assert_eq!(layers, vec![Low, Medium]);
        assert_eq!(budget.wanted_bps, 420_000);
        assert_eq!(
            run(&[(High, camera), (Medium, camera)], 0).0,
            vec![Low, Low]
        );
        assert!(run(&[], 0).0.is_empty());
    }
}
