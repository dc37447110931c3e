//! The editor's colours.
//!
//! Genres get [`GENRE_COLORS`]: ten colours picked so that every two differ
//! by a CIEDE2000 distance of at least [`MIN_GENRE_DISTANCE`] for normal
//! vision and for simulated protanopia, deuteranopia and tritanopia
//! (Machado et al. 2009, full severity), and stand clear of the greys that
//! mean "not music", "silent" and "uncertain". A test holds them to it.
//! Colours follow the order of the card's genre outputs, so a model with
//! other labels still gets distinct colours (beyond ten, hues spread around
//! the circle); "no genre" outputs are neutral.

use egui::Color32;
use genre_core::verdict::Decider;

/// Editor background, also the "zero" end of colour intensities.
pub const BACKGROUND: Color32 = Color32::from_rgb(24, 26, 30);
/// Panels drawn on the background (bar tracks, the timeline's strip).
pub const PANEL: Color32 = Color32::from_rgb(36, 39, 45);
/// Text that must stand out from the background.
pub const TEXT_STRONG: Color32 = Color32::from_rgb(235, 235, 235);
/// Secondary text.
pub const TEXT_WEAK: Color32 = Color32::from_rgb(160, 164, 172);
/// "Not music" and other answers that name no genre.
pub const NEUTRAL: Color32 = Color32::from_rgb(138, 144, 154);
/// Silent stretches.
pub const SILENT: Color32 = Color32::from_rgb(70, 74, 82);
/// Errors and takeovers.
pub const WARNING: Color32 = Color32::from_rgb(240, 110, 90);
/// All is well (level meter, "on target").
pub const GOOD: Color32 = Color32::from_rgb(90, 200, 120);

/// The first ten genres' colours, in the card's order. For GTZAN's labels
/// (blues, classical, country, disco, hiphop, jazz, metal, pop, reggae,
/// rock) they also hint at the genre: blue blues, lavender classical,
/// mustard country, magenta disco, lime hiphop, aqua jazz, red metal, pink
/// pop, green reggae, peach rock.
pub const GENRE_COLORS: [Color32; 10] = [
    Color32::from_rgb(0x26, 0x7d, 0xff),
    Color32::from_rgb(0x99, 0xb4, 0xff),
    Color32::from_rgb(0xbf, 0xb6, 0x39),
    Color32::from_rgb(0xe6, 0x22, 0xbe),
    Color32::from_rgb(0xaa, 0xff, 0x00),
    Color32::from_rgb(0x4d, 0xff, 0xf3),
    Color32::from_rgb(0xe6, 0x3d, 0x00),
    Color32::from_rgb(0xe6, 0x8a, 0x8a),
    Color32::from_rgb(0x2e, 0x99, 0x59),
    Color32::from_rgb(0xff, 0xc2, 0x99),
];

/// The smallest CIEDE2000 distance between two of [`GENRE_COLORS`] under
/// any of the four visions the test simulates.
pub const MIN_GENRE_DISTANCE: f32 = 12.0;

/// The colour of label `idx` of a model with `num_labels` labels, all genres.
pub fn label_color(idx: usize, num_labels: usize) -> Color32 {
    if num_labels <= GENRE_COLORS.len() {
        return GENRE_COLORS[idx % GENRE_COLORS.len()];
    }
    let hue = idx as f32 / num_labels.max(1) as f32;
    egui::ecolor::Hsva::new(hue, 0.65, 0.95, 1.0).into()
}

/// One colour per label: genres in the order they appear (see the module
/// docs), [`NEUTRAL`] for "no genre" outputs. Allocates.
pub fn label_colors(num_labels: usize, decider: Option<&Decider>) -> Vec<Color32> {
    let is_genre = |idx: usize| decider.is_none_or(|d| d.is_genre(idx));
    let num_genres = (0..num_labels).filter(|&i| is_genre(i)).count();
    let mut genre_idx = 0;
    (0..num_labels)
        .map(|idx| {
            if is_genre(idx) {
                genre_idx += 1;
                label_color(genre_idx - 1, num_genres)
            } else {
                NEUTRAL
            }
        })
        .collect()
}

/// `color` faded towards grey: a guess in a genre's colour.
pub fn muted(color: Color32) -> Color32 {
    blend(NEUTRAL, color, 0.35)
}

/// `background` blended towards `color` by `amount` (0–1).
pub fn blend(background: Color32, color: Color32, amount: f32) -> Color32 {
    let t = amount.clamp(0.0, 1.0);
    let mix = |a: u8, b: u8| (f32::from(a) + (f32::from(b) - f32::from(a)) * t).round() as u8;
    Color32::from_rgb(
        mix(background.r(), color.r()),
        mix(background.g(), color.g()),
        mix(background.b(), color.b()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Machado, Oliveira and Fernandes (2009), severity 1, on linear RGB.
    const VISIONS: [(&str, [[f64; 3]; 3]); 4] = [
        (
            "normal",
            [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        ),
        (
            "protanopia",
            [
                [0.152286, 1.052583, -0.204868],
                [0.114503, 0.786281, 0.099216],
                [-0.003882, -0.048116, 1.051998],
            ],
        ),
        (
            "deuteranopia",
            [
                [0.367322, 0.860646, -0.227968],
                [0.280085, 0.672501, 0.047413],
                [-0.011820, 0.042940, 0.968881],
            ],
        ),
        (
            "tritanopia",
            [
                [1.255528, -0.076749, -0.178779],
                [-0.078411, 0.930809, 0.147602],
                [0.004733, 0.691367, 0.303900],
            ],
        ),
    ];

    fn linear(c: u8) -> f64 {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    }

    /// CIELAB (D65) of `color` as someone with `vision` sees it.
    fn lab(color: Color32, vision: &[[f64; 3]; 3]) -> [f64; 3] {
        let rgb = [linear(color.r()), linear(color.g()), linear(color.b())];
        let seen: Vec<f64> = vision
            .iter()
            .map(|row| (0..3).map(|j| row[j] * rgb[j]).sum::<f64>().clamp(0.0, 1.0))
            .collect();
        let (r, g, b) = (seen[0], seen[1], seen[2]);
        let x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047;
        let y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
        let z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883;
        let f = |t: f64| {
            if t > 216.0 / 24389.0 {
                t.cbrt()
            } else {
                (24389.0 / 27.0 * t + 16.0) / 116.0
            }
        };
        let (fx, fy, fz) = (f(x), f(y), f(z));
        [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
    }

    /// CIEDE2000 colour difference (Sharma, Wu and Dalal 2005).
    fn delta_e_2000(a: [f64; 3], b: [f64; 3]) -> f64 {
        let ([l1, a1, b1], [l2, a2, b2]) = (a, b);
        let c_bar = (a1.hypot(b1) + a2.hypot(b2)) / 2.0;
        let g = 0.5 * (1.0 - (c_bar.powi(7) / (c_bar.powi(7) + 25f64.powi(7))).sqrt());
        let (a1p, a2p) = ((1.0 + g) * a1, (1.0 + g) * a2);
        let (c1p, c2p) = (a1p.hypot(b1), a2p.hypot(b2));
        let hue = |b: f64, a: f64| b.atan2(a).to_degrees().rem_euclid(360.0);
        let (h1p, h2p) = (hue(b1, a1p), hue(b2, a2p));
        let dlp = l2 - l1;
        let dcp = c2p - c1p;
        let dhp = if c1p * c2p == 0.0 {
            0.0
        } else if (h2p - h1p).abs() <= 180.0 {
            h2p - h1p
        } else if h2p - h1p > 180.0 {
            h2p - h1p - 360.0
        } else {
            h2p - h1p + 360.0
        };
        let d_hp = 2.0 * (c1p * c2p).sqrt() * (dhp / 2.0).to_radians().sin();
        let lbp = (l1 + l2) / 2.0;
        let cbp = (c1p + c2p) / 2.0;
        let hbp = if c1p * c2p == 0.0 {
            h1p + h2p
        } else if (h1p - h2p).abs() <= 180.0 {
            (h1p + h2p) / 2.0
        } else if h1p + h2p < 360.0 {
            (h1p + h2p + 360.0) / 2.0
        } else {
            (h1p + h2p - 360.0) / 2.0
        };
        let cos = |deg: f64| deg.to_radians().cos();
        let t = 1.0 - 0.17 * cos(hbp - 30.0) + 0.24 * cos(2.0 * hbp) + 0.32 * cos(3.0 * hbp + 6.0)
            - 0.20 * cos(4.0 * hbp - 63.0);
        let d_theta = 30.0 * (-((hbp - 275.0) / 25.0).powi(2)).exp();
        let rc = 2.0 * (cbp.powi(7) / (cbp.powi(7) + 25f64.powi(7))).sqrt();
        let sl = 1.0 + 0.015 * (lbp - 50.0).powi(2) / (20.0 + (lbp - 50.0).powi(2)).sqrt();
        let sc = 1.0 + 0.045 * cbp;
        let sh = 1.0 + 0.015 * cbp * t;
        let rt = -(2.0 * d_theta).to_radians().sin() * rc;
        ((dlp / sl).powi(2)
            + (dcp / sc).powi(2)
            + (d_hp / sh).powi(2)
            + rt * (dcp / sc) * (d_hp / sh))
            .sqrt()
    }

    /// The smallest distance between two of `colors` for any vision, and where.
    fn closest_pair(colors: &[Color32]) -> (f64, String) {
        let mut worst = (f64::MAX, String::new());
        for (vision, matrix) in &VISIONS {
            for i in 0..colors.len() {
                for j in i + 1..colors.len() {
                    let d = delta_e_2000(lab(colors[i], matrix), lab(colors[j], matrix));
                    if d < worst.0 {
                        worst = (d, format!("colours {i} and {j} for {vision}"));
                    }
                }
            }
        }
        worst
    }

    #[test]
    fn reference_values_of_the_colour_difference() {
        // Sharma et al.'s test data, pairs 1 and 17.
        let d = delta_e_2000([50.0, 2.6772, -79.7751], [50.0, 0.0, -82.7485]);
        assert!((d - 2.0425).abs() < 1e-4, "{d}");
        let d = delta_e_2000([50.0, 2.5, 0.0], [73.0, 25.0, -18.0]);
        assert!((d - 27.1492).abs() < 1e-4, "{d}");
    }

    #[test]
    fn genres_are_tell_apart_with_every_kind_of_colour_vision() {
        let (distance, pair) = closest_pair(&GENRE_COLORS);
        println!("closest genre colours: {pair}, ΔE2000 {distance:.1}");
        assert!(
            distance >= f64::from(MIN_GENRE_DISTANCE),
            "{pair}: ΔE2000 {distance:.1}"
        );
        // Clear of the greys that mean something else, and of the background.
        for grey in [NEUTRAL, SILENT, BACKGROUND] {
            let mut with_grey = GENRE_COLORS.to_vec();
            with_grey.push(grey);
            let (distance, pair) = closest_pair(&with_grey);
            assert!(distance >= 10.0, "{grey:?}: {pair}: ΔE2000 {distance:.1}");
        }
    }

    #[test]
    fn the_hue_circle_of_before_fails_the_same_check() {
        // What the editor used to draw: hues spread evenly at one
        // saturation and value made country, disco, hiphop and jazz greenish.
        let circle: Vec<Color32> = (0..10)
            .map(|i| egui::ecolor::Hsva::new(i as f32 / 10.0, 0.65, 0.95, 1.0).into())
            .collect();
        assert!(closest_pair(&circle).0 < f64::from(MIN_GENRE_DISTANCE));
    }

    #[test]
    fn labels_get_genre_colours_in_order_and_no_genre_is_neutral() {
        let names: Vec<String> = ["a", "speech", "b"].map(String::from).to_vec();
        let spec = genre_core::card::DecisionSpec {
            genres: vec!["a".into(), "b".into()],
            no_genre: vec!["speech".into()],
            temperature: 1.0,
            uncertain_threshold: 0.5,
            calibration: serde_json::Value::Null,
        };
        let decider = Decider::new(&spec, &names);
        assert_eq!(
            label_colors(3, Some(&decider)),
            [GENRE_COLORS[0], NEUTRAL, GENRE_COLORS[1]]
        );
        assert_eq!(label_colors(2, None), GENRE_COLORS[..2]);
        // More genres than colours: all still distinct.
        let many = label_colors(16, None);
        for i in 0..16 {
            for j in i + 1..16 {
                assert_ne!(many[i], many[j]);
            }
        }
    }
}
