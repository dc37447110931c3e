//! The per-song production plan: which drum kit, guitar tone, rooms and
//! master chain a song gets. Pure and cheap, so the rates per genre can be
//! checked without rendering audio.
//!
//! Every treatment is available to every genre that has the instrument it
//! treats; genres differ only in rates. A treatment only one genre gets
//! becomes a shortcut the model learns instead of the music.

use super::amp::{Tone, calf, draw_tone};
use super::drums::{Family, KitSpec, LOOPS, LoopSpec, kits_of};
use super::ir::Room;
use super::rng::Rng;

/// The two acoustic kits of `avldrums.lv2-soundfont`, rendered by FluidSynth.
pub const AVL_KITS: [(&str, &str); 2] = [
    (
        "avl-black-pearl",
        "/usr/share/sounds/sf2/Black_Pearl_4_LV2.sf2",
    ),
    (
        "avl-red-zeppelin",
        "/usr/share/sounds/sf2/Red_Zeppelin_4_LV2.sf2",
    ),
];

/// Where the drum stem's sound comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DrumSource {
    /// The song's General MIDI soundfont kit (the old way; a minority).
    Gm,
    /// An avldrums SF2 kit through FluidSynth: (name, path).
    Avl(&'static str, &'static str),
    /// Our sampler with a Hydrogen or Sonic Pi kit.
    Sampled(&'static KitSpec),
}

impl DrumSource {
    /// Manifest name.
    pub fn name(&self) -> String {
        match self {
            DrumSource::Gm => "gm-kit".into(),
            DrumSource::Avl(n, _) => (*n).into(),
            DrumSource::Sampled(k) => k.name.into(),
        }
    }
}

/// How the drum stem is made and treated.
#[derive(Clone, Debug)]
pub struct DrumPlan {
    /// Kit.
    pub source: DrumSource,
    /// A Sonic Pi electronic kick in place of the kit's (sampled kits only).
    pub electro_kick: bool,
    /// A sampled breakbeat under the kit, with its level relative to the kit.
    pub break_loop: Option<(&'static LoopSpec, f64)>,
    /// Drum stem RMS relative to the rest of the band, dB.
    pub level_db: f64,
    /// Bus compressor (ffmpeg's `acompressor` or Calf's compressor).
    pub comp: Option<String>,
    /// Tape saturation on the drum bus.
    pub tape: bool,
    /// Drum-room send level (dB), if any.
    pub room_db: Option<f64>,
    /// Low and high shelf gains (dB).
    pub shelves: (f64, f64),
}

/// Mix-bus compression.
#[derive(Clone, Debug, PartialEq)]
pub enum BusComp {
    /// None.
    None,
    /// One broadband compressor.
    Single,
    /// Three-band compressor (ffmpeg `mcompand`).
    Multiband,
}

/// Saturation on the mix.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MixSat {
    /// Calf tape simulator.
    Tape,
    /// Calf saturator.
    Saturator,
    /// Soft clipper.
    Softclip,
}

/// The chain after the stems are mixed.
#[derive(Clone, Debug)]
pub struct MasterPlan {
    /// Room or reverb on the mix and its wet level (dB).
    pub room: Option<(Room, f64)>,
    /// High-pass cutoff (Hz).
    pub hp_hz: f64,
    /// Band-limiting low-pass (Hz), and a telephone-thin high-pass with it.
    pub lp_hz: Option<(f64, bool)>,
    /// Low and high shelf tilt (dB).
    pub tilt: (f64, f64),
    /// A bell at (Hz, dB).
    pub bell: Option<(f64, f64)>,
    /// Bus compression.
    pub comp: BusComp,
    /// Saturation.
    pub sat: Option<MixSat>,
    /// Drive into the limiter (dB above a −20 dBFS RMS mix), if limited.
    pub limit_db: Option<f64>,
    /// Side level (stereo width) and inter-channel delay (ms) before the
    /// mono fold-down.
    pub width: (f64, f64),
    /// MP3 bit rate of a codec round trip.
    pub mp3: Option<u32>,
    /// Noise floor (dB) and hiss colour.
    pub noise: Option<(f64, f64)>,
    /// Synthetic crackle.
    pub crackle: bool,
    /// Sonic Pi's recorded vinyl hiss under the music, dB below it.
    pub vinyl_db: Option<f64>,
}

/// Everything decided about a song's production.
#[derive(Clone, Debug)]
pub struct Production {
    /// Drums.
    pub drums: DrumPlan,
    /// Main guitar tone of the song.
    pub tone: Tone,
    /// Guitars switch between a clean and a driven rig by section.
    pub tone_switch: bool,
    /// Keep the soundfont's own overdriven/distorted guitar samples (no amp).
    pub gm_guitar: bool,
    /// Organs through a rotary speaker.
    pub rotary: bool,
    /// Master chain.
    pub master: MasterPlan,
}

/// Loud, limited genres.
pub fn loud(label: &str) -> bool {
    matches!(label, "pop" | "rock" | "metal" | "hiphop" | "disco")
}

/// Genres whose dynamics are left mostly alone.
pub fn gentle(label: &str) -> bool {
    matches!(label, "classical" | "jazz")
}

/// Share of drummed songs that keep the soundfont's GM kit.
pub const GM_KIT_RATE: f64 = 0.18;

/// Kit family weights (acoustic, electronic, break hits) of a label.
pub fn family_weights(label: &str) -> [f64; 3] {
    match label {
        "hiphop" => [0.3, 0.45, 0.25],
        "pop" => [0.6, 0.3, 0.1],
        "disco" => [0.65, 0.27, 0.08],
        "reggae" => [0.86, 0.08, 0.06],
        _ => [0.92, 0.04, 0.04],
    }
}

/// Rate of a sampled breakbeat under the kit.
pub fn break_rate(label: &str) -> f64 {
    match label {
        "hiphop" => 0.3,
        "disco" => 0.08,
        "pop" | "reggae" => 0.06,
        "rock" => 0.04,
        "jazz" => 0.03,
        "classical" => 0.01,
        _ => 0.02,
    }
}

/// Rate of an electronic (808-style) kick replacing a sampled kit's kick.
pub fn electro_kick_rate(label: &str) -> f64 {
    match label {
        "hiphop" => 0.35,
        "pop" => 0.12,
        "disco" => 0.1,
        "reggae" => 0.08,
        _ => 0.03,
    }
}

/// Rate of clean/driven switching between sections.
pub fn tone_switch_rate(label: &str) -> f64 {
    match label {
        "rock" => 0.2,
        "metal" => 0.15,
        "pop" => 0.1,
        "blues" | "country" => 0.06,
        _ => 0.03,
    }
}

fn draw_drums(label: &str, rng: &mut Rng) -> DrumPlan {
    let source = if rng.chance(GM_KIT_RATE) {
        DrumSource::Gm
    } else {
        let w = family_weights(label);
        let family = *rng.weighted(&[
            (Family::Acoustic, w[0]),
            (Family::Electronic, w[1]),
            (Family::Break, w[2]),
        ]);
        if family == Family::Acoustic && rng.chance(0.35) {
            let (n, p) = *rng.pick(&AVL_KITS);
            DrumSource::Avl(n, p)
        } else {
            let kits = kits_of(family);
            DrumSource::Sampled(kits[rng.below(kits.len())])
        }
    };
    let sampled = matches!(source, DrumSource::Sampled(_));
    let electro_kick = sampled && rng.chance(electro_kick_rate(label));
    let break_loop = rng
        .chance(break_rate(label))
        .then(|| (rng.pick(LOOPS), rng.range(-12.0, 1.0)));
    let level_db = match label {
        "rock" | "metal" | "pop" | "disco" | "hiphop" => rng.range(-3.0, 2.0),
        "reggae" => rng.range(-3.0, 1.0),
        "blues" | "country" => rng.range(-5.0, 0.0),
        "jazz" => rng.range(-8.0, -2.0),
        _ => rng.range(-10.0, -4.0),
    };
    let p_comp = if loud(label) {
        0.7
    } else if gentle(label) {
        0.25
    } else {
        0.45
    };
    let comp = rng.chance(p_comp).then(|| {
        let (thr, ratio, attack, release, makeup) = (
            rng.range(0.05, 0.25),
            rng.range(2.0, 6.0),
            rng.range(2.0, 30.0),
            rng.range(50.0, 300.0),
            rng.range(1.0, 2.5),
        );
        if rng.chance(0.5) {
            calf(
                "Compressor",
                &[
                    ("threshold", thr),
                    ("ratio", ratio),
                    ("attack", attack),
                    ("release", release),
                    ("makeup", makeup),
                ],
            )
        } else {
            format!(
                "acompressor=threshold={thr:.3}:ratio={ratio:.1}:attack={attack:.1}:release={release:.0}:makeup={makeup:.1}"
            )
        }
    });
    DrumPlan {
        source,
        electro_kick,
        break_loop,
        level_db,
        comp,
        tape: rng.chance(0.12),
        room_db: rng.chance(0.6).then(|| rng.range(-20.0, -8.0)),
        shelves: (rng.range(-2.0, 5.0), rng.range(-4.0, 4.0)),
    }
}

fn draw_room(label: &str, rng: &mut Rng) -> Option<(Room, f64)> {
    let w: [f64; 6] = match label {
        // dry, booth, room, plate, hall, church
        "classical" => [0.04, 0.0, 0.12, 0.04, 0.55, 0.25],
        "jazz" => [0.22, 0.08, 0.4, 0.12, 0.15, 0.03],
        "pop" => [0.25, 0.08, 0.22, 0.3, 0.13, 0.02],
        "blues" | "reggae" => [0.3, 0.1, 0.32, 0.15, 0.11, 0.02],
        _ => [0.36, 0.1, 0.28, 0.17, 0.08, 0.01],
    };
    let kinds = [
        None,
        Some(Room::Booth),
        Some(Room::Live),
        Some(Room::Plate),
        Some(Room::Hall),
        Some(Room::Church),
    ];
    let choices: Vec<(Option<Room>, f64)> = kinds.into_iter().zip(w).collect();
    let kind = (*rng.weighted(&choices))?;
    let wet = match kind {
        Room::Hall | Room::Church if label == "classical" => rng.range(-8.0, -1.0),
        Room::Booth => rng.range(-14.0, -6.0),
        _ => rng.range(-18.0, -6.0),
    };
    Some((kind, wet))
}

pub(crate) fn draw_master(label: &str, template: &str, rng: &mut Rng) -> MasterPlan {
    let lofi = matches!(template, "lofi" | "dub");
    let p_lp = if lofi {
        0.4
    } else {
        match label {
            "blues" | "jazz" => 0.2,
            "country" | "classical" | "reggae" => 0.1,
            _ => 0.05,
        }
    };
    let lp_hz = rng
        .chance(p_lp)
        .then(|| (rng.range(3500.0, 9000.0).round(), rng.chance(0.25)));
    let (p_mb, p_single) = if loud(label) {
        (0.35, 0.45)
    } else if gentle(label) {
        (0.05, 0.2)
    } else {
        (0.2, 0.4)
    };
    let comp = if rng.chance(p_mb) {
        BusComp::Multiband
    } else if rng.chance(p_single / (1.0 - p_mb)) {
        BusComp::Single
    } else {
        BusComp::None
    };
    let p_sat = match label {
        "metal" | "rock" => 0.14,
        _ => 0.08,
    };
    let sat = rng
        .chance(p_sat)
        .then(|| *rng.pick(&[MixSat::Tape, MixSat::Saturator, MixSat::Softclip]));
    let (p_lim, lo, hi) = if loud(label) {
        (0.9, 3.0, 12.0)
    } else if gentle(label) {
        (0.25, 0.0, 4.0)
    } else {
        (0.6, 1.0, 7.0)
    };
    let limit_db = rng.chance(p_lim).then(|| rng.range(lo, hi));
    let p_noise = match label {
        "blues" | "jazz" => 0.35,
        "classical" | "country" | "reggae" => 0.25,
        _ => 0.15,
    };
    let noise = rng
        .chance(p_noise)
        .then(|| (rng.range(-72.0, -50.0), rng.range(0.0, 0.9)));
    let p_crackle = if lofi {
        0.5
    } else {
        match label {
            "blues" | "jazz" => 0.15,
            "hiphop" | "reggae" => 0.1,
            _ => 0.03,
        }
    };
    let p_vinyl = if lofi {
        0.5
    } else {
        match label {
            "hiphop" => 0.2,
            "blues" | "jazz" | "reggae" => 0.1,
            _ => 0.04,
        }
    };
    MasterPlan {
        room: draw_room(label, rng),
        hp_hz: rng.range(20.0, 90.0).round(),
        lp_hz,
        tilt: (rng.range(-4.0, 5.0), rng.range(-5.0, 4.0)),
        bell: rng
            .chance(0.35)
            .then(|| (rng.range(250.0, 4000.0).round(), rng.range(-4.0, 4.0))),
        comp,
        sat,
        limit_db,
        width: (
            rng.range(0.5, 1.6),
            if rng.chance(0.15) {
                rng.range(0.2, 1.5)
            } else {
                0.0
            },
        ),
        mp3: rng
            .chance(0.2)
            .then(|| *rng.pick(&[64u32, 96, 128, 160, 192])),
        noise,
        crackle: rng.chance(p_crackle),
        vinyl_db: rng.chance(p_vinyl).then(|| rng.range(-34.0, -20.0)),
    }
}

/// Draws the production of one song of `label` / `template`.
pub fn plan_production(label: &str, template: &str, rng: &mut Rng) -> Production {
    let drums = draw_drums(label, &mut rng.fork("drums"));
    let mut g = rng.fork("guitar");
    let tone = draw_tone(label, &mut g);
    let tone_switch = g.chance(tone_switch_rate(label));
    let gm_guitar = g.chance(0.12);
    let rotary = rng.fork("organ").chance(0.6);
    let master = draw_master(label, template, &mut rng.fork("master"));
    Production {
        drums,
        tone,
        tone_switch,
        gm_guitar,
        rotary,
        master,
    }
}

#[cfg(test)]
mod tests {
    use super::super::plan::LABELS;
    use super::*;

    fn draws(label: &str, n: usize) -> Vec<Production> {
        (0..n as u64)
            .map(|s| plan_production(label, "x", &mut Rng::new(s * 7919 + 3)))
            .collect()
    }

    fn rate(v: &[Production], f: impl Fn(&Production) -> bool) -> f64 {
        v.iter().filter(|p| f(p)).count() as f64 / v.len() as f64
    }

    #[test]
    fn real_kits_dominate_and_gm_kits_stay_a_minority() {
        for l in LABELS {
            let v = draws(l, 3000);
            let gm = rate(&v, |p| p.drums.source == DrumSource::Gm);
            assert!((gm - GM_KIT_RATE).abs() < 0.03, "{l}: gm {gm}");
            let avl = rate(&v, |p| matches!(p.drums.source, DrumSource::Avl(..)));
            let sampled = rate(&v, |p| matches!(p.drums.source, DrumSource::Sampled(_)));
            assert!(
                avl > 0.05 && sampled > 0.4,
                "{l}: avl {avl} sampled {sampled}"
            );
            // every kit gets used somewhere in every genre's songs
            let electronic = rate(
                &v,
                |p| matches!(p.drums.source, DrumSource::Sampled(k) if k.family == Family::Electronic),
            );
            assert!(electronic > 0.01, "{l}: electronic {electronic}");
        }
        let hh = draws("hiphop", 3000);
        let rock = draws("rock", 3000);
        let el = |v: &[Production]| {
            rate(
                v,
                |p| matches!(p.drums.source, DrumSource::Sampled(k) if k.family != Family::Acoustic),
            )
        };
        assert!(el(&hh) > 0.5 && el(&rock) < 0.1);
        assert!(rate(&hh, |p| p.drums.break_loop.is_some()) > 0.25);
        assert!(rate(&rock, |p| p.drums.break_loop.is_some()) > 0.02);
    }

    #[test]
    fn master_is_heavier_for_loud_genres_and_every_treatment_is_shared() {
        let lim = |l: &str| {
            let v = draws(l, 2000);
            let limited: Vec<f64> = v.iter().filter_map(|p| p.master.limit_db).collect();
            (
                limited.len() as f64 / v.len() as f64,
                limited.iter().sum::<f64>() / limited.len().max(1) as f64,
            )
        };
        let (pop_rate, pop_drive) = lim("pop");
        let (cl_rate, cl_drive) = lim("classical");
        assert!(pop_rate > 0.8 && cl_rate < 0.35);
        assert!(pop_drive > cl_drive + 4.0);
        // treatments present in every genre
        for l in LABELS {
            let v = draws(l, 2000);
            let checks: [(&str, f64); 10] = [
                ("limiter", rate(&v, |p| p.master.limit_db.is_some())),
                (
                    "multiband",
                    rate(&v, |p| p.master.comp == BusComp::Multiband),
                ),
                ("bus comp", rate(&v, |p| p.master.comp == BusComp::Single)),
                ("saturation", rate(&v, |p| p.master.sat.is_some())),
                ("room", rate(&v, |p| p.master.room.is_some())),
                ("dry", rate(&v, |p| p.master.room.is_none())),
                (
                    "hall",
                    rate(&v, |p| matches!(p.master.room, Some((Room::Hall, _)))),
                ),
                ("mp3", rate(&v, |p| p.master.mp3.is_some())),
                ("vinyl", rate(&v, |p| p.master.vinyl_db.is_some())),
                ("tone switch", rate(&v, |p| p.tone_switch)),
            ];
            for (what, r) in checks {
                assert!(r > 0.01, "{l}: {what} at {r}");
            }
            let high = rate(&v, |p| p.tone == Tone::High);
            let clean = rate(&v, |p| p.tone == Tone::Clean);
            assert!(
                high > 0.005 && clean > 0.03,
                "{l}: high {high} clean {clean}"
            );
        }
        let cl = draws("classical", 2000);
        assert!(
            rate(&cl, |p| matches!(
                p.master.room,
                Some((Room::Hall | Room::Church, _))
            )) > 0.7
        );
    }

    #[test]
    fn production_is_a_function_of_the_seed() {
        let a = plan_production("rock", "hardrock", &mut Rng::new(5));
        let b = plan_production("rock", "hardrock", &mut Rng::new(5));
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        let c = plan_production("rock", "hardrock", &mut Rng::new(6));
        assert_ne!(format!("{a:?}"), format!("{c:?}"));
    }
}
