//! Where the stage's tiles go: a pure function of the stage's size, the number of tiles and
//! the view, so it is tested without a browser and the page only draws the rectangles.

/// Camera tiles keep the 16:9 frame people know from other meeting tools; videos of another
/// shape are cropped (cameras) or letterboxed (screens) inside it.
pub const TILE_RATIO: f64 = 16.0 / 9.0;
/// Space between tiles, in CSS pixels.
pub const GAP: f64 = 8.0;
/// Below this the speaker strip's tiles are too small to recognise anyone; the strip then
/// shows fewer and the rest are paged.
const MIN_STRIP_TILE_HEIGHT: f64 = 72.0;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

#[cfg(test)]
impl Rect {
    fn area(&self) -> f64 {
        self.w * self.h
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StageView {
    /// Everyone the same size.
    #[default]
    Gallery,
    /// One large tile (the screen share, the pinned or the active speaker) and a strip.
    Speaker,
}

/// The rectangles for `count` tiles on a `width` x `height` stage. With `featured`, that tile
/// (an index into the tiles) is large and the others form a strip beside or under it;
/// otherwise all share a grid. Tiles keep [`TILE_RATIO`] and are as large as the space allows.
pub fn layout(width: f64, height: f64, count: usize, featured: Option<usize>) -> Vec<Rect> {
    let stage = Rect {
        x: 0.0,
        y: 0.0,
        w: width.max(0.0),
        h: height.max(0.0),
    };
    match featured {
        Some(index) if index < count && count > 1 => featured_layout(stage, count, index),
        _ => grid(stage, count),
    }
}

/// How many tiles fit in the strip of a speaker view on this stage.
pub fn strip_capacity(width: f64, height: f64) -> usize {
    let (_, strip) = split(Rect {
        x: 0.0,
        y: 0.0,
        w: width,
        h: height,
    });
    let long_side = strip.w.max(strip.h);
    let tile_long = if strip.w >= strip.h {
        MIN_STRIP_TILE_HEIGHT * TILE_RATIO
    } else {
        MIN_STRIP_TILE_HEIGHT
    };
    (((long_side + GAP) / (tile_long + GAP)).floor() as usize).max(1)
}

/// The large area and the strip: the strip sits beside a wide stage and under a tall one.
fn split(stage: Rect) -> (Rect, Rect) {
    if stage.w >= stage.h * 1.2 {
        let strip_w = (stage.w * 0.2).clamp(120.0, 320.0).min(stage.w / 2.0);
        let main = Rect {
            w: stage.w - strip_w - GAP,
            ..stage
        };
        let strip = Rect {
            x: stage.x + main.w + GAP,
            w: strip_w,
            ..stage
        };
        (main, strip)
    } else {
        let strip_h = (stage.h * 0.2).clamp(72.0, 200.0).min(stage.h / 2.0);
        let main = Rect {
            h: stage.h - strip_h - GAP,
            ..stage
        };
        let strip = Rect {
            y: stage.y + main.h + GAP,
            h: strip_h,
            ..stage
        };
        (main, strip)
    }
}

fn featured_layout(stage: Rect, count: usize, featured: usize) -> Vec<Rect> {
    let (main, mut strip) = split(stage);
    let large = grid(main, 1)[0];
    // The strip's tiles stay clearly smaller than the featured one, even where the stage's
    // shape limits both to the same width (a tall, narrow window).
    if strip.y > stage.y {
        strip.h = strip.h.min(large.h * 0.4);
    } else {
        strip.w = strip.w.min(large.w * 0.4);
    }
    let mut others = grid(strip, count - 1).into_iter();
    (0..count)
        .map(|i| {
            if i == featured {
                large
            } else {
                others.next().expect("one strip rectangle per other tile")
            }
        })
        .collect()
}

/// The largest equal tiles for `count` in `area`: try every column count, keep the one whose
/// tiles are widest, then centre the grid and each row (a short last row sits in the middle).
fn grid(area: Rect, count: usize) -> Vec<Rect> {
    if count == 0 || area.w <= 0.0 || area.h <= 0.0 {
        return Vec::new();
    }
    let (mut best_cols, mut best_w) = (1, 0.0_f64);
    for cols in 1..=count {
        let rows = count.div_ceil(cols);
        let cell_w = (area.w - GAP * (cols - 1) as f64) / cols as f64;
        let cell_h = (area.h - GAP * (rows - 1) as f64) / rows as f64;
        let tile_w = cell_w.min(cell_h * TILE_RATIO);
        if tile_w > best_w + 0.01 {
            (best_cols, best_w) = (cols, tile_w);
        }
    }
    let (cols, tile_w) = (best_cols, best_w.max(0.0));
    let tile_h = tile_w / TILE_RATIO;
    let rows = count.div_ceil(cols);
    let grid_h = rows as f64 * tile_h + (rows - 1) as f64 * GAP;
    let top = area.y + (area.h - grid_h) / 2.0;
    (0..count)
        .map(|i| {
            let (row, col) = (i / cols, i % cols);
            let in_row = (count - row * cols).min(cols);
            let row_w = in_row as f64 * tile_w + (in_row - 1) as f64 * GAP;
            Rect {
                x: area.x + (area.w - row_w) / 2.0 + col as f64 * (tile_w + GAP),
                y: top + row as f64 * (tile_h + GAP),
                w: tile_w,
                h: tile_h,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAGES: [(f64, f64); 5] = [
        (1026.0, 640.0), // a laptop with the side panel open
        (1366.0, 680.0), // the same, panel closed
        (382.0, 560.0),  // a phone in portrait
        (3000.0, 300.0), // very wide
        (300.0, 2000.0), // very tall
    ];

    fn overlaps(a: &Rect, b: &Rect) -> bool {
        a.x < b.x + b.w - 0.01
            && b.x < a.x + a.w - 0.01
            && a.y < b.y + b.h - 0.01
            && b.y < a.y + a.h - 0.01
    }

    /// Inside the stage, no overlaps, 16:9 kept, and as large as they can be: the tiles reach
    /// (almost) both edges of the stage in at least one direction.
    fn check(width: f64, height: f64, rects: &[Rect], count: usize) {
        assert_eq!(rects.len(), count);
        for (i, r) in rects.iter().enumerate() {
            assert!(
                r.x >= -0.01 && r.y >= -0.01,
                "{r:?} starts outside {width}x{height}"
            );
            assert!(
                r.x + r.w <= width + 0.01 && r.y + r.h <= height + 0.01,
                "{r:?} ends outside {width}x{height}"
            );
            assert!((r.w / r.h - TILE_RATIO).abs() < 0.001, "{r:?} lost 16:9");
            for other in &rects[i + 1..] {
                assert!(!overlaps(r, other), "{r:?} overlaps {other:?}");
            }
        }
        let left = rects.iter().map(|r| r.x).fold(f64::MAX, f64::min);
        let right = rects.iter().map(|r| r.x + r.w).fold(0.0, f64::max);
        let top = rects.iter().map(|r| r.y).fold(f64::MAX, f64::min);
        let bottom = rects.iter().map(|r| r.y + r.h).fold(0.0, f64::max);
        let spans = ((right - left) / width).max((bottom - top) / height);
        assert!(
            spans >= 0.8,
            "{count} tiles on {width}x{height} span only {:.0} % of the stage",
            spans * 100.0
        );
    }

    #[test]
    fn gallery_tiles_keep_their_ratio_and_use_the_stage() {
        for (width, height) in STAGES {
            for count in [1, 2, 3, 4, 9, 25] {
                check(width, height, &layout(width, height, count, None), count);
            }
        }
    }

    #[test]
    fn a_lone_speaker_fills_a_stage_of_its_shape() {
        let rects = layout(1600.0, 900.0, 1, None);
        assert!(rects[0].area() >= 0.99 * 1600.0 * 900.0);
        // The laptop case: with the side panel open the stage is 1026 px wide.
        let rects = layout(1026.0, 640.0, 1, None);
        assert!(rects[0].area() / (1026.0 * 640.0) >= 0.8, "{rects:?}");
    }

    #[test]
    fn grids_cover_most_of_a_stage_of_their_shape() {
        // Four and nine 16:9 tiles tile a 16:9 stage almost exactly.
        for count in [4, 9, 25] {
            let rects = layout(1600.0, 900.0, count, None);
            let covered: f64 = rects.iter().map(Rect::area).sum();
            assert!(
                covered / (1600.0 * 900.0) >= 0.8,
                "{count}: {:.2}",
                covered / (1600.0 * 900.0)
            );
        }
    }

    #[test]
    fn twenty_six_tiles_are_the_caller_s_to_page_but_still_fit() {
        let rects = layout(1366.0, 680.0, 26, None);
        check(1366.0, 680.0, &rects, 26);
    }

    #[test]
    fn speaker_view_makes_the_featured_tile_largest_with_a_strip_beside_or_under() {
        for (width, height) in STAGES {
            for count in [2, 3, 4, 9] {
                let rects = layout(width, height, count, Some(1));
                check(width, height, &rects, count);
                let large = rects[1].area();
                for (i, r) in rects.iter().enumerate() {
                    if i != 1 {
                        assert!(r.area() < large, "{count} on {width}x{height}: {rects:?}");
                    }
                }
            }
        }
        // Wide: the strip is to the right; tall: below.
        let wide = layout(1366.0, 680.0, 3, Some(0));
        assert!(wide[1].x > wide[0].x + wide[0].w);
        let tall = layout(382.0, 700.0, 3, Some(0));
        assert!(tall[1].y > tall[0].y + tall[0].h);
    }

    #[test]
    fn a_screen_share_takes_the_large_area() {
        // The page features the screen tile; most of the stage goes to it.
        let rects = layout(1366.0, 680.0, 3, Some(2));
        assert!(rects[2].area() / (1366.0 * 680.0) > 0.5, "{rects:?}");
    }

    #[test]
    fn strips_hold_a_sensible_number() {
        assert!(strip_capacity(1366.0, 680.0) >= 5);
        assert!(strip_capacity(382.0, 560.0) >= 1);
    }

    #[test]
    fn degenerate_stages_give_no_nonsense() {
        assert!(layout(0.0, 0.0, 3, None).is_empty());
        assert!(layout(800.0, 600.0, 0, None).is_empty());
        assert_eq!(layout(800.0, 600.0, 1, Some(5)).len(), 1);
    }
}
