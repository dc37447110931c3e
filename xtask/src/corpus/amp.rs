//! Guitar and bass rigs: pedals and amplifiers from guitarix (LV2, run
//! headless through ffmpeg's `lv2` filter), modulation and delay, and a
//! synthetic cabinet (see `ir.rs`).
//!
//! Tone is drawn per song from genre rates and is independent of the GM
//! program the arrangement chose: the DI guitar is always a clean recording
//! (FluidR3's clean, jazz or muted electric), so distortion comes from the
//! rig. Clean, crunch and high-gain rigs appear in every genre that has
//! electric guitars, at rates a listener would find plausible; a rig used by
//! one genre only would be a label shortcut.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::ir::Cab;
use super::rng::Rng;

/// How hard the rig drives the guitar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tone {
    /// Clean: no audible clipping.
    Clean,
    /// Crunch: edge-of-breakup to classic rock drive.
    Crunch,
    /// High gain: saturated, compressed distortion.
    High,
}

impl Tone {
    /// Manifest name.
    pub fn name(self) -> &'static str {
        match self {
            Tone::Clean => "clean",
            Tone::Crunch => "crunch",
            Tone::High => "high",
        }
    }
}

/// Probability of (clean, crunch, high-gain) for an electric guitar of
/// `label`. Every genre has all three.
pub fn tone_weights(label: &str) -> [f64; 3] {
    match label {
        "metal" => [0.08, 0.16, 0.76],
        "rock" => [0.22, 0.43, 0.35],
        "blues" => [0.42, 0.45, 0.13],
        "country" => [0.6, 0.33, 0.07],
        "pop" => [0.55, 0.37, 0.08],
        "jazz" => [0.88, 0.1, 0.02],
        "reggae" => [0.8, 0.16, 0.04],
        "disco" => [0.82, 0.15, 0.03],
        "hiphop" => [0.66, 0.26, 0.08],
        _ => [0.86, 0.11, 0.03],
    }
}

/// Draws a tone for `label`.
pub fn draw_tone(label: &str, rng: &mut Rng) -> Tone {
    let w = tone_weights(label);
    *rng.weighted(&[
        (Tone::Clean, w[0]),
        (Tone::Crunch, w[1]),
        (Tone::High, w[2]),
    ])
}

/// A processing rig for one stem.
#[derive(Clone, Debug)]
pub struct Rig {
    /// Compact description for the manifest.
    pub name: String,
    /// ffmpeg `-af` chain (empty: no ffmpeg pass).
    pub filter: String,
    /// Cabinet to convolve with after the amp.
    pub cab: Option<Cab>,
    /// Gain into the rig relative to a DI normalised to −20 dBFS RMS.
    pub input_db: f64,
}

const GX: &str = "http://guitarix.sourceforge.net/plugins/";
const CALF: &str = "http://calf.sourceforge.net/plugins/";

/// One LV2 plugin as an ffmpeg filter: `lv2=p=URI:c=a=1|b=2` with the URI's
/// colons escaped for the filter-graph parser.
pub fn lv2(uri: &str, controls: &[(&str, f64)]) -> String {
    let mut s = format!("lv2=p={}", uri.replace(':', "\\\\:"));
    if !controls.is_empty() {
        let c: Vec<String> = controls
            .iter()
            .map(|(k, v)| format!("{k}={v:.3}"))
            .collect();
        s.push_str(":c=");
        s.push_str(&c.join("|"));
    }
    s
}

fn gx(plugin: &str, controls: &[(&str, f64)]) -> String {
    lv2(&format!("{GX}{plugin}"), controls)
}

/// Calf plugin by name (stereo in/out).
pub fn calf(plugin: &str, controls: &[(&str, f64)]) -> String {
    lv2(&format!("{CALF}{plugin}"), controls)
}

fn chump(gain: f64, rng: &mut Rng) -> String {
    gx(
        "gx_redeye#chump",
        &[
            ("Gain", gain),
            ("Tone", rng.range(0.3, 0.8)),
            ("Volume", 0.5),
        ],
    )
}

fn bigchump(gain: f64, rng: &mut Rng) -> String {
    gx(
        "gx_redeye#bigchump",
        &[
            ("Gain", gain),
            ("Tone", rng.range(0.3, 0.8)),
            ("Volume", 0.4),
        ],
    )
}

fn ts9(drive: f64, rng: &mut Rng) -> String {
    gx(
        "gxts9#ts9sim",
        &[
            ("fslider2_", drive),
            ("fslider0_", rng.range(-6.0, 0.0)),
            ("fslider1_", rng.range(300.0, 900.0)),
            ("BYPASS", 1.0),
        ],
    )
}

fn metal_amp(drive: f64, pregain: f64, rng: &mut Rng) -> String {
    gx(
        "gxmetal_amp#metal_amp",
        &[
            ("DRIVE", drive),
            ("PREGAIN", pregain),
            ("TONE", rng.range(0.3, 0.75)),
        ],
    )
}

fn metal_head(drive: f64, pregain: f64, rng: &mut Rng) -> String {
    gx(
        "gxmetal_head#metal_head",
        &[
            ("DRIVE", drive),
            ("PREGAIN", pregain),
            ("TONE", rng.range(0.3, 0.75)),
        ],
    )
}

/// Draws the pedal-and-amp core of a rig of `tone`: (name, ffmpeg filter,
/// cabinet).
pub fn amp_core(tone: Tone, rng: &mut Rng) -> (&'static str, String, Cab) {
    match tone {
        Tone::Clean => match rng.below(5) {
            0 => ("chump", chump(rng.range(0.03, 0.18), rng), Cab::Combo1x12),
            1 => (
                "bigchump",
                bigchump(rng.range(0.03, 0.15), rng),
                Cab::Closed2x12,
            ),
            2 => (
                "studiopre",
                gx(
                    "gx_studiopre#studiopre",
                    &[
                        ("volume", rng.range(0.15, 0.3)),
                        ("bass", rng.range(0.3, 0.7)),
                        ("middle", rng.range(0.3, 0.7)),
                        ("treble", rng.range(0.4, 0.8)),
                    ],
                ),
                Cab::Combo1x12,
            ),
            3 => (
                "metal_amp-clean",
                metal_amp(rng.range(1.0, 2.5), 0.0, rng),
                Cab::Closed2x12,
            ),
            _ => (
                "di",
                "acompressor=threshold=0.1:ratio=3:attack=8:release=120:makeup=1.5".to_string(),
                Cab::Combo1x12,
            ),
        },
        Tone::Crunch => match rng.below(6) {
            0 => ("chump", chump(rng.range(0.45, 0.7), rng), Cab::Combo1x12),
            1 => (
                "bigchump",
                bigchump(rng.range(0.5, 0.75), rng),
                Cab::Closed2x12,
            ),
            2 => {
                let pedal = ts9(rng.range(0.2, 0.5), rng);
                (
                    "ts9>chump",
                    format!("{pedal},{}", chump(rng.range(0.2, 0.35), rng)),
                    Cab::Combo1x12,
                )
            }
            3 => (
                "fuzzface>chump",
                format!(
                    "{},{}",
                    gx(
                        "gx_fuzzface_#_fuzzface_",
                        &[("FUZZ", rng.range(0.55, 0.8)), ("LEVEL", 0.5)]
                    ),
                    chump(0.25, rng)
                ),
                Cab::Closed2x12,
            ),
            4 => (
                "metal_head",
                metal_head(rng.range(0.35, 0.6), rng.range(0.0, 8.0), rng),
                Cab::Stack4x12,
            ),
            _ => (
                "booster>bigchump",
                format!(
                    "{},{}",
                    gx(
                        "gxbooster#booster",
                        &[
                            ("fslider0_", rng.range(3.0, 6.0)),
                            ("fslider1_", rng.range(2.0, 5.0))
                        ]
                    ),
                    bigchump(rng.range(0.35, 0.5), rng)
                ),
                Cab::Closed2x12,
            ),
        },
        Tone::High => match rng.below(6) {
            0 => {
                let pedal = ts9(rng.range(0.6, 1.0), rng);
                (
                    "ts9>chump",
                    format!("{pedal},{}", chump(rng.range(0.55, 0.85), rng)),
                    Cab::Stack4x12,
                )
            }
            1 => (
                "booster>bigchump",
                format!(
                    "{},{}",
                    gx(
                        "gxbooster#booster",
                        &[
                            ("fslider0_", rng.range(6.0, 12.0)),
                            ("fslider1_", rng.range(4.0, 10.0))
                        ]
                    ),
                    bigchump(rng.range(0.75, 0.95), rng)
                ),
                Cab::Stack4x12,
            ),
            2 => (
                "metal_amp",
                metal_amp(rng.range(14.0, 20.0), rng.range(12.0, 20.0), rng),
                Cab::Stack4x12,
            ),
            3 => (
                "muff>chump",
                format!(
                    "{},{}",
                    gx(
                        "gx_muff_#_muff_",
                        &[("TONE", rng.range(0.3, 0.7)), ("VOLUME", 0.5)]
                    ),
                    chump(rng.range(0.4, 0.6), rng)
                ),
                Cab::Closed2x12,
            ),
            4 => (
                "ds1>bigchump",
                format!(
                    "{},{}",
                    gx(
                        "gx_bossds1_#_bossds1_",
                        &[
                            ("DRIVE", rng.range(0.8, 1.0)),
                            ("TONE", rng.range(0.3, 0.7)),
                            ("BYPASS", 1.0)
                        ]
                    ),
                    bigchump(rng.range(0.75, 0.95), rng)
                ),
                Cab::Stack4x12,
            ),
            _ => (
                "metal_head",
                metal_head(rng.range(0.8, 1.0), rng.range(15.0, 20.0), rng),
                Cab::Stack4x12,
            ),
        },
    }
}

/// Draws a guitar rig of the given tone: modulation in front of the amp now
/// and then, a delay after it (more often on leads), a cabinet.
pub fn guitar_rig(tone: Tone, lead: bool, rng: &mut Rng) -> Rig {
    let (name, amp, cab) = amp_core(tone, rng);
    let mut filters = Vec::new();
    let mut desc = vec![name.to_string()];
    // modulation in front of the amp (clean and crunch players use it most)
    let p_mod = match tone {
        Tone::Clean => 0.3,
        Tone::Crunch => 0.15,
        Tone::High => 0.06,
    };
    if rng.chance(p_mod) {
        let (f, d) = match rng.below(4) {
            0 => (
                format!(
                    "chorus=0.8:0.9:{:.0}:0.4:{:.2}:{:.1}",
                    rng.range(15.0, 35.0),
                    rng.range(0.2, 1.2),
                    rng.range(1.0, 3.0)
                ),
                "chorus",
            ),
            1 => (
                gx(
                    "gx_phaser#_phaser",
                    &[
                        ("dry_wet", rng.range(30.0, 70.0)),
                        ("speed", rng.range(0.2, 2.0)),
                    ],
                ),
                "phaser",
            ),
            2 => (
                format!(
                    "tremolo=f={:.1}:d={:.2}",
                    rng.range(3.0, 7.0),
                    rng.range(0.2, 0.6)
                ),
                "tremolo",
            ),
            _ => (
                format!(
                    "flanger=delay={:.1}:depth={:.1}:speed={:.2}",
                    rng.range(1.0, 5.0),
                    rng.range(1.0, 4.0),
                    rng.range(0.1, 0.8)
                ),
                "flanger",
            ),
        };
        filters.push(f);
        desc.push(d.to_string());
    }
    filters.push(amp);
    if rng.chance(if lead { 0.6 } else { 0.12 }) {
        let ms = rng.range(180.0, 520.0);
        filters.push(format!("aecho=1.0:0.8:{ms:.0}:{:.2}", rng.range(0.15, 0.4)));
        desc.push(format!("delay{ms:.0}"));
    }
    Rig {
        name: desc.join(">"),
        filter: filters.join(","),
        cab: (name != "di" || rng.chance(0.2)).then_some(cab),
        input_db: rng.range(-4.0, 4.0),
    }
}

/// Probability that a bass goes through an overdriven amp, by label.
pub fn bass_drive_rate(label: &str) -> f64 {
    match label {
        "metal" => 0.4,
        "rock" => 0.25,
        "blues" | "hiphop" => 0.1,
        "classical" | "jazz" => 0.03,
        _ => 0.07,
    }
}

/// Draws a bass rig: always some compression, an amp with a cabinet now and
/// then, drive at genre rates.
pub fn bass_rig(label: &str, synth: bool, rng: &mut Rng) -> Rig {
    let comp = format!(
        "acompressor=threshold={:.3}:ratio={:.1}:attack={:.0}:release={:.0}:makeup=2",
        rng.range(0.05, 0.2),
        rng.range(2.5, 6.0),
        rng.range(3.0, 25.0),
        rng.range(60.0, 250.0)
    );
    if rng.chance(bass_drive_rate(label)) {
        let (n, amp) = match rng.below(3) {
            0 => ("bigchump", bigchump(rng.range(0.35, 0.7), rng)),
            1 => (
                "muff",
                gx(
                    "gx_muff_#_muff_",
                    &[("TONE", rng.range(0.2, 0.5)), ("VOLUME", 0.5)],
                ),
            ),
            _ => (
                "metal_head",
                metal_head(rng.range(0.3, 0.7), rng.range(0.0, 10.0), rng),
            ),
        };
        return Rig {
            name: format!("comp>{n}"),
            filter: format!("{comp},{amp}"),
            cab: Some(Cab::Bass),
            input_db: rng.range(-3.0, 3.0),
        };
    }
    if synth && rng.chance(0.3) {
        return Rig {
            name: "comp>saturator".into(),
            filter: format!(
                "{comp},aformat=channel_layouts=stereo,{},pan=mono|c0=0.5*c0+0.5*c1",
                calf(
                    "Saturator",
                    &[
                        ("drive", rng.range(2.0, 6.0)),
                        ("blend", rng.range(0.0, 6.0))
                    ]
                )
            ),
            cab: None,
            input_db: 0.0,
        };
    }
    let amp = rng.chance(0.3);
    Rig {
        name: if amp {
            "comp>amp".into()
        } else {
            "comp>di".into()
        },
        filter: if amp {
            format!("{comp},{}", bigchump(rng.range(0.05, 0.2), rng))
        } else {
            comp
        },
        cab: amp.then_some(Cab::Bass),
        input_db: 0.0,
    }
}

/// Runs `filter` over a mono or stereo f32 WAV with ffmpeg, writing f32.
pub fn run_ffmpeg(filter: &str, input: &Path, output: &Path) -> Result<()> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-y", "-i"])
        .arg(input)
        .args(["-af", filter, "-c:a", "pcm_f32le"])
        .arg(output)
        .output()
        .context("running ffmpeg")?;
    if !out.status.success() || !output.is_file() {
        bail!(
            "ffmpeg -af {filter} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .filter(|l| !l.contains("lilv") && !l.contains("manifest.ttl"))
                .collect::<Vec<_>>()
                .join(" | ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::plan::LABELS;
    use super::*;

    #[test]
    fn every_genre_has_every_tone_at_plausible_rates() {
        for l in LABELS {
            let w = tone_weights(l);
            assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{l}");
            assert!(w.iter().all(|&p| p >= 0.02), "{l}: {w:?}");
        }
        let high = |l: &str| tone_weights(l)[2];
        let clean = |l: &str| tone_weights(l)[0];
        assert!(high("metal") > 0.6 && clean("metal") > 0.05);
        assert!(high("rock") > high("blues") && high("blues") > high("country"));
        assert!(clean("jazz") > 0.8);
        for l in ["blues", "country", "pop"] {
            assert!(
                clean(l) + tone_weights(l)[1] > 0.85,
                "{l} is mostly clean or crunch"
            );
        }
        // drawn rates follow the weights
        let mut rng = Rng::new(9);
        let n = 4000;
        let highs = (0..n)
            .filter(|_| draw_tone("metal", &mut rng) == Tone::High)
            .count();
        assert!((highs as f64 / n as f64 - 0.76).abs() < 0.03);
    }

    #[test]
    fn rigs_name_their_parts_and_escape_uris() {
        let f = lv2("http://x.org/p#a", &[("Gain", 0.5)]);
        assert_eq!(f, "lv2=p=http\\\\://x.org/p#a:c=Gain=0.500");
        let mut rng = Rng::new(4);
        for tone in [Tone::Clean, Tone::Crunch, Tone::High] {
            for _ in 0..50 {
                let r = guitar_rig(tone, false, &mut rng);
                assert!(!r.filter.is_empty());
                assert!(!r.name.contains(',') && !r.name.contains(';'), "{}", r.name);
                if tone == Tone::High {
                    assert!(r.cab.is_some());
                }
            }
        }
        for _ in 0..50 {
            let r = bass_rig("rock", false, &mut rng);
            assert!(r.filter.starts_with("acompressor"));
        }
    }

    /// Needs ffmpeg with LV2 and guitarix: a sine through clean rigs stays
    /// nearly sine-like, through high-gain rigs it is heavily distorted.
    /// `cargo test -p xtask -- --ignored rig_distortion`
    #[test]
    #[ignore]
    fn rig_distortion_follows_the_tone() {
        let dir = std::env::temp_dir().join(format!("xtask-amp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sr = 44_100.0;
        let x: Vec<f32> = (0..66_150)
            .map(|i| (0.14 * (2.0 * std::f64::consts::PI * 196.0 * i as f64 / sr).sin()) as f32)
            .collect();
        let inp = dir.join("in.wav");
        super::super::render::write_wav(&inp, 44_100, 1, &x).unwrap();
        let thd = |filter: &str| -> f64 {
            let out = dir.join("out.wav");
            run_ffmpeg(filter, &inp, &out).unwrap();
            let (_, _, y) = super::super::render::read_wav(&out).unwrap();
            let y = &y[22_050..];
            // energy at the fundamental by correlation with sin/cos
            let (mut s, mut c) = (0.0, 0.0);
            for (i, &v) in y.iter().enumerate() {
                let ph = 2.0 * std::f64::consts::PI * 196.0 * i as f64 / sr;
                s += f64::from(v) * ph.sin();
                c += f64::from(v) * ph.cos();
            }
            // power of the fundamental, and of everything else
            let fund = 2.0 * (s * s + c * c) / (y.len() as f64).powi(2);
            let total: f64 = y.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / y.len() as f64;
            ((total - fund).max(0.0) / fund.max(1e-30)).sqrt()
        };
        let mut rng = Rng::new(11);
        for tone in [Tone::Clean, Tone::Crunch, Tone::High] {
            let mut v = Vec::new();
            for _ in 0..18 {
                let (name, core, _) = amp_core(tone, &mut rng);
                let f = format!("volume={:.1}dB,{core}", rng.range(-4.0, 4.0));
                v.push((thd(&f), name));
            }
            let mean = v.iter().map(|x| x.0).sum::<f64>() / v.len() as f64;
            eprintln!("{tone:?}: mean THD {mean:.3} {v:?}");
            match tone {
                Tone::Clean => assert!(mean < 0.12, "clean {mean}"),
                Tone::Crunch => assert!((0.08..0.6).contains(&mean), "crunch {mean}"),
                Tone::High => assert!(mean > 0.3, "high {mean}"),
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
