//! Which simulcast layer each of a subscriber's tiles gets, given its bandwidth estimate and
//! what each layer really carries.

use protocol::Quality;

/// One tile's wish, the layer it holds now and the measured rates of its publisher's layers
/// (0 = not measured).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TileDemand {
    pub want: Quality,
    pub held: Quality,
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

/// A layer above the one held is taken only with this much of the estimate to spare (in
/// percent of its cost), and a held layer is kept until the estimate falls this far under
/// its cost: an estimate wavering around one layer's rate must not switch the picture (each
/// switch costs a key frame) several times a second.
const UPGRADE_SPARE_PERCENT: u64 = 10;
const KEEP_SHORTFALL_PERCENT: u64 = 20;
/// The estimator probes this far above what the wished layers carry, so that the estimate
/// can rise past them by the upgrade's spare rather than settle just under them.
const PROBE_ABOVE_PERCENT: u64 = 25;

/// What the chosen layers and the wished ones are measured to carry: the bandwidth estimator
/// sustains the first and probes towards the second. Unmeasured layers count nothing here
/// (a stopped camera must not be padded for at its cap).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Budget {
    pub spent_bps: u64,
    pub wanted_bps: u64,
}

impl Budget {
    /// The rates to hand str0m's estimator: sustained (at least what is forwarded) and
    /// desired (probed for, with room for the next upgrade).
    pub fn estimator_targets(&self) -> (u64, u64) {
        let desired = self.wanted_bps + self.wanted_bps * PROBE_ABOVE_PERCENT / 100;
        (self.spent_bps.min(desired), desired)
    }
}

/// Gives every tile the low layer, then upgrades tiles in priority order (first = most
/// important) towards what they asked for while the estimate allows, with hysteresis around
/// the layer each holds. Never below low: a small picture beats a frozen one, and probing
/// recovers the estimate.
pub fn allocate(tiles: &[TileDemand], budget_bps: u64, out: &mut Vec<Quality>) -> Budget {
    out.clear();
    out.resize(tiles.len(), Quality::Low);
    let keep_limit = budget_bps.saturating_mul(100) / (100 - KEEP_SHORTFALL_PERCENT);
    let mut spent: u64 = tiles.iter().map(|t| t.cost(Quality::Low)).sum();
    for (slot, tile) in out.iter_mut().zip(tiles) {
        // The best layer within the wish that the estimate still pays for; a layer that
        // costs less than the one below it (a browser starving it) is no dearer to take.
        let mut best = *slot;
        for step in [Quality::Medium, Quality::High] {
            if step > tile.want {
                break;
            }
            let cost = tile.cost(step);
            let extra = cost.saturating_sub(tile.cost(*slot));
            let fits = if step <= tile.held {
                spent + extra <= keep_limit
            } else {
                spent + extra + cost * UPGRADE_SPARE_PERCENT / 100 <= budget_bps
            };
            if fits {
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

    /// Tiles that hold the low layer (newly shown).
    fn run(tiles: &[(Quality, [u64; 3])], budget: u64) -> (Vec<Quality>, Budget) {
        let held: Vec<_> = tiles
            .iter()
            .map(|&(want, rates)| (want, Low, rates))
            .collect();
        run_holding(&held, budget)
    }

    fn run_holding(tiles: &[(Quality, Quality, [u64; 3])], budget: u64) -> (Vec<Quality>, Budget) {
        let tiles: Vec<TileDemand> = tiles
            .iter()
            .map(|&(want, held, rates)| TileDemand { want, held, rates })
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
        // Caps 150k / 500k / 1.7M: 3 x 150k = 450k, +350k (+50k spare) for the first to
        // Medium.
        let three = [(High, UNMEASURED); 3];
        assert_eq!(run(&three, 1_000_000).0, vec![Medium, Low, Low]);
        let two = [(High, UNMEASURED); 2];
        assert_eq!(run(&two, 2_100_000).0, vec![High, Low]);
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

    #[test]
    fn a_held_layer_is_kept_through_a_wavering_estimate_and_taken_only_with_room() {
        let camera = [120_000, 300_000, 600_000];
        // Holding the top layer: kept down to 80% of its cost (500k pays for 600k).
        assert_eq!(run_holding(&[(High, High, camera)], 500_000).0, vec![High]);
        assert_eq!(
            run_holding(&[(High, High, camera)], 450_000).0,
            vec![Medium]
        );
        // Not holding it, the same estimate does not take it.
        assert_eq!(
            run_holding(&[(High, Medium, camera)], 500_000).0,
            vec![Medium]
        );
        // Taking it needs 10% of its cost to spare: 600k + 60k over the low layer's 120k.
        assert_eq!(
            run_holding(&[(High, Medium, camera)], 640_000).0,
            vec![Medium]
        );
        assert_eq!(
            run_holding(&[(High, Medium, camera)], 700_000).0,
            vec![High]
        );
        // A tile made small leaves the top layer whatever the estimate.
        assert_eq!(
            run_holding(&[(Medium, High, camera)], 10_000_000).0,
            vec![Medium]
        );
    }

    #[test]
    fn the_estimator_probes_past_the_wished_layers() {
        let budget = Budget {
            spent_bps: 300_000,
            wanted_bps: 600_000,
        };
        assert_eq!(budget.estimator_targets(), (300_000, 750_000));
        let all_served = Budget {
            spent_bps: 600_000,
            wanted_bps: 600_000,
        };
        assert_eq!(all_served.estimator_targets(), (600_000, 750_000));
        assert_eq!(Budget::default().estimator_targets(), (0, 0));
        // With the probe's margin, an estimate reached by probing takes the upgrade.
        let camera = [120_000, 300_000, 600_000];
        let probed = budget.estimator_targets().1;
        assert_eq!(run_holding(&[(High, Medium, camera)], probed).0, vec![High]);
    }
}
