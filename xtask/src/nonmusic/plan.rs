//! The non-music plan: the kinds of sound, which of them are held out, and the
//! per-clip draw of kind, split and seed.
//!
//! Everything here is pure and cheap, so the manifest is fixed before any
//! audio is rendered. Held-out kinds (`test_template`) never reach train or
//! val: they measure whether the model learned "not music" or our kinds.

use crate::corpus::rng::{Rng, derive_seed};

/// The label every clip of this corpus carries.
pub const LABEL: &str = "not_music";

/// One kind of non-music sound (the manifest's `template`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// One voice reading sentences (espeak-ng or festival), English or European languages.
    SpeechMono,
    /// Two voices taking turns, with back-channels and overlaps.
    SpeechDialogue,
    /// Speech far from the microphone over room tone / HVAC.
    SpeechRoom,
    /// Telephone-band speech (300–3400 Hz, μ-law, line noise).
    SpeechPhone,
    /// A lecture: long pauses, hall reverb, ventilation.
    SpeechLecture,
    /// A radio announcer: fast, bright, heavily compressed.
    SpeechRadio,
    /// Held out: speech in languages of other scripts and families (Hindi,
    /// Arabic, Japanese, Korean, Mandarin, Swahili, …) in any of the above settings.
    SpeechWorld,
    /// Recorded game voice lines (megaglest, flare, freedroidrpg, unknown-horizons).
    VoiceLines,
    /// Crowd babble: many overlapped voices, a noise bed, clinks.
    Babble,
    /// Applause: many clappers as noise bursts, swelling and fading.
    Applause,
    /// Long ambience loops (wind, birds, rivers, rain, fire) from game data.
    Ambience,
    /// Sparse game sound effects laid out over room tone.
    Soundscape,
    /// Held out: naev-data's science-fiction effects over an engine drone.
    SfxScifi,
    /// Footsteps, recorded or synthesised, walking by.
    Footsteps,
    /// Held out: keyboard typing and mouse clicks.
    Typing,
    /// Room tone, HVAC, fans.
    RoomTone,
    /// Quiet room tone and hiss at low but not silent levels.
    NearSilence,
    /// A steady sine/square/saw/triangle, sometimes with vibrato or tremolo.
    ToneSteady,
    /// Test-tone sequences: spot frequencies, references, multitones, bursts.
    ToneTest,
    /// Held out: DTMF, dial, busy, ringback and special-information tones.
    ToneTelephony,
    /// Sustained organ/synth/pad chords with slow, unpulsed changes.
    ChordPad,
    /// A drone: one pitch with fifth/octave, slowly evolving timbre.
    Drone,
    /// Sine/square/saw sweeps, linear or logarithmic, up or down.
    SweepTone,
    /// Held out: noise through a swept filter (risers, whooshes).
    SweepNoise,
    /// Mains hum, ground-loop buzz, fluorescent whine.
    Hum,
    /// White, pink, brown and band-passed noise.
    NoiseColour,
    /// Held out: blue and violet noise (rising spectra).
    NoiseBright,
    /// Wind: filtered noise with gusts and whistles.
    Wind,
    /// Rain: droplets over a noise bed, sometimes thunder.
    Rain,
    /// Held out: surf, waves breaking and receding.
    Surf,
    /// Vinyl crackle alone, tape hiss, radio static.
    CrackleHiss,
    /// Metronomes, 40–220 bpm, with accents and several timbres.
    Metronome,
    /// Held out: clock ticks, indicator relays, Geiger counters, drips.
    Ticks,
    /// Two or three of the trained kinds at once.
    Mixture,
}

/// Static facts about a kind.
#[derive(Clone, Copy, Debug)]
pub struct KindInfo {
    /// Manifest `template` and file-name prefix.
    pub name: &'static str,
    /// Coarse family, for the summary table.
    pub family: &'static str,
    /// Only ever in `test_template`.
    pub held_out: bool,
    /// Relative share of the clips.
    pub weight: f64,
}

const fn info(name: &'static str, family: &'static str, held_out: bool, weight: f64) -> KindInfo {
    KindInfo {
        name,
        family,
        held_out,
        weight,
    }
}

impl Kind {
    /// Every kind, in manifest order.
    pub const ALL: [Kind; 34] = [
        Kind::SpeechMono,
        Kind::SpeechDialogue,
        Kind::SpeechRoom,
        Kind::SpeechPhone,
        Kind::SpeechLecture,
        Kind::SpeechRadio,
        Kind::SpeechWorld,
        Kind::VoiceLines,
        Kind::Babble,
        Kind::Applause,
        Kind::Ambience,
        Kind::Soundscape,
        Kind::SfxScifi,
        Kind::Footsteps,
        Kind::Typing,
        Kind::RoomTone,
        Kind::NearSilence,
        Kind::ToneSteady,
        Kind::ToneTest,
        Kind::ToneTelephony,
        Kind::ChordPad,
        Kind::Drone,
        Kind::SweepTone,
        Kind::SweepNoise,
        Kind::Hum,
        Kind::NoiseColour,
        Kind::NoiseBright,
        Kind::Wind,
        Kind::Rain,
        Kind::Surf,
        Kind::CrackleHiss,
        Kind::Metronome,
        Kind::Ticks,
        Kind::Mixture,
    ];

    /// Name, family, hold-out and weight.
    pub const fn info(self) -> KindInfo {
        match self {
            Kind::SpeechMono => info("speech_mono", "speech", false, 2.0),
            Kind::SpeechDialogue => info("speech_dialogue", "speech", false, 1.6),
            Kind::SpeechRoom => info("speech_room", "speech", false, 1.2),
            Kind::SpeechPhone => info("speech_phone", "speech", false, 1.0),
            Kind::SpeechLecture => info("speech_lecture", "speech", false, 1.0),
            Kind::SpeechRadio => info("speech_radio", "speech", false, 1.2),
            Kind::SpeechWorld => info("speech_world", "speech", true, 1.5),
            Kind::VoiceLines => info("voice_lines", "speech", false, 1.0),
            Kind::Babble => info("babble", "crowd", false, 1.2),
            Kind::Applause => info("applause", "crowd", false, 1.0),
            Kind::Ambience => info("ambience", "environment", false, 1.2),
            Kind::Soundscape => info("soundscape", "environment", false, 1.2),
            Kind::SfxScifi => info("sfx_scifi", "environment", true, 1.0),
            Kind::Footsteps => info("footsteps", "environment", false, 0.8),
            Kind::Typing => info("typing", "environment", true, 0.8),
            Kind::RoomTone => info("room_tone", "room", false, 1.0),
            Kind::NearSilence => info("near_silence", "room", false, 0.6),
            Kind::ToneSteady => info("tone_steady", "tone", false, 1.0),
            Kind::ToneTest => info("tone_test", "tone", false, 0.8),
            Kind::ToneTelephony => info("tone_telephony", "tone", true, 1.0),
            Kind::ChordPad => info("chord_pad", "tone", false, 1.2),
            Kind::Drone => info("drone", "tone", false, 1.0),
            Kind::SweepTone => info("sweep_tone", "sweep", false, 1.0),
            Kind::SweepNoise => info("sweep_noise", "sweep", true, 0.8),
            Kind::Hum => info("hum", "hum", false, 1.0),
            Kind::NoiseColour => info("noise_colour", "noise", false, 1.2),
            Kind::NoiseBright => info("noise_bright", "noise", true, 0.8),
            Kind::Wind => info("wind", "noise", false, 0.8),
            Kind::Rain => info("rain", "noise", false, 0.8),
            Kind::Surf => info("surf", "noise", true, 0.8),
            Kind::CrackleHiss => info("crackle_hiss", "noise", false, 0.8),
            Kind::Metronome => info("metronome", "clicks", false, 1.2),
            Kind::Ticks => info("ticks", "clicks", true, 0.8),
            Kind::Mixture => info("mixture", "mixture", false, 2.0),
        }
    }

    /// Manifest name.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// Only ever in `test_template`.
    pub fn held_out(self) -> bool {
        self.info().held_out
    }

    /// Looks a kind up by its manifest name.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Trained kinds a mixture may combine (never a held-out kind, never a
    /// mixture, never the deliberately quiet kind).
    pub fn mixable(self) -> bool {
        !self.held_out() && !matches!(self, Kind::Mixture | Kind::NearSilence)
    }
}

/// Everything decided about a clip before rendering.
#[derive(Clone, Debug, PartialEq)]
pub struct ClipPlan {
    /// File number, unique over the corpus.
    pub index: usize,
    /// What it is.
    pub kind: Kind,
    /// train / val / test / test_template.
    pub split: &'static str,
    /// Drives every random choice of the clip.
    pub seed: u64,
}

impl ClipPlan {
    /// Output path relative to the corpus root.
    pub fn file(&self) -> String {
        format!("{LABEL}/{}.{:05}.wav", self.kind.name(), self.index)
    }

    /// The clip's group: each clip is its own source.
    pub fn group(&self) -> String {
        format!("{LABEL}-{:05}", self.index)
    }
}

/// How many clips each kind gets: one each while there are enough, the rest
/// by weight (largest remainder, ties to the earlier kind).
pub fn kind_counts(clips: usize) -> Vec<(Kind, usize)> {
    let base = usize::from(clips >= Kind::ALL.len());
    let rest = clips - base * Kind::ALL.len();
    let total: f64 = Kind::ALL.iter().map(|k| k.info().weight).sum();
    let exact: Vec<f64> = Kind::ALL
        .iter()
        .map(|k| rest as f64 * k.info().weight / total)
        .collect();
    let mut counts: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut order: Vec<usize> = (0..exact.len()).collect();
    order.sort_by(|&a, &b| {
        let (fa, fb) = (exact[a].fract(), exact[b].fract());
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    let missing = rest - counts.iter().sum::<usize>();
    for &i in order.iter().take(missing) {
        counts[i] += 1;
    }
    Kind::ALL
        .iter()
        .zip(counts)
        .map(|(&k, c)| (k, c + base))
        .collect()
}

/// Split counts of a trained kind with `n` clips: (train, val, test); val
/// and test get 10 % each and at least one clip once there are three.
pub fn split_counts(n: usize) -> (usize, usize, usize) {
    if n < 3 {
        return (n, 0, 0);
    }
    let v = ((n as f64 * 0.1).round() as usize).max(1);
    (n - 2 * v, v, v)
}

/// Plans the whole corpus: a pure function of (seed, clips).
pub fn plan_clips(seed: u64, clips: usize) -> Vec<ClipPlan> {
    let mut drawn: Vec<(Kind, &'static str, u64)> = Vec::with_capacity(clips);
    for (kind, n) in kind_counts(clips) {
        let mut rng = Rng::new(derive_seed(seed, &[LABEL, kind.name(), "splits"]));
        let mut splits: Vec<&'static str> = if kind.held_out() {
            vec!["test_template"; n]
        } else {
            let (tr, va, te) = split_counts(n);
            std::iter::repeat_n("train", tr)
                .chain(std::iter::repeat_n("val", va))
                .chain(std::iter::repeat_n("test", te))
                .collect()
        };
        rng.shuffle(&mut splits);
        for (i, split) in splits.into_iter().enumerate() {
            let clip_seed = derive_seed(seed, &[LABEL, kind.name(), &i.to_string()]);
            drawn.push((kind, split, clip_seed));
        }
    }
    // Interleave the kinds, so file numbers say nothing and parallel jobs get
    // a mix of slow (speech) and fast (synthesis) clips.
    let mut rng = Rng::new(derive_seed(seed, &[LABEL, "order"]));
    rng.shuffle(&mut drawn);
    drawn
        .into_iter()
        .enumerate()
        .map(|(index, (kind, split, seed))| ClipPlan {
            index,
            kind,
            split,
            seed,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let names: BTreeSet<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(names.len(), Kind::ALL.len());
        for k in Kind::ALL {
            assert_eq!(Kind::from_name(k.name()), Some(k));
            assert!(
                k.name().chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{} is not a safe file/CSV name",
                k.name()
            );
        }
    }

    #[test]
    fn about_a_quarter_of_the_kinds_are_held_out() {
        let held: Vec<&str> = Kind::ALL
            .iter()
            .filter(|k| k.held_out())
            .map(|k| k.name())
            .collect();
        let share = held.len() as f64 / Kind::ALL.len() as f64;
        assert!((0.2..=0.3).contains(&share), "{share:.2}: {held:?}");
        // One from each family that has several kinds, so the test is broad.
        for family in ["speech", "environment", "tone", "noise", "clicks", "sweep"] {
            assert!(
                Kind::ALL
                    .iter()
                    .any(|k| k.held_out() && k.info().family == family),
                "no held-out {family} kind"
            );
            assert!(
                Kind::ALL
                    .iter()
                    .any(|k| !k.held_out() && k.info().family == family),
                "no trained {family} kind"
            );
        }
    }

    #[test]
    fn counts_add_up_and_follow_weights() {
        for clips in [0, 1, 7, 33, 34, 35, 100, 2000, 2001] {
            let counts = kind_counts(clips);
            assert_eq!(counts.iter().map(|c| c.1).sum::<usize>(), clips, "{clips}");
            if clips >= Kind::ALL.len() {
                assert!(counts.iter().all(|c| c.1 >= 1), "{clips}: {counts:?}");
            }
        }
        let counts: BTreeMap<Kind, usize> = kind_counts(2000).into_iter().collect();
        assert!(counts[&Kind::SpeechMono] > 2 * counts[&Kind::NearSilence]);
        let held: usize = counts
            .iter()
            .filter(|(k, _)| k.held_out())
            .map(|(_, n)| n)
            .sum();
        assert!((300..=500).contains(&held), "{held} held-out clips of 2000");
    }

    #[test]
    fn held_out_kinds_never_reach_train_or_val() {
        for seed in [1, 31, 99] {
            for clips in [34, 200, 2000] {
                let plan = plan_clips(seed, clips);
                assert_eq!(plan.len(), clips);
                for c in &plan {
                    assert_eq!(
                        c.kind.held_out(),
                        c.split == "test_template",
                        "{} in {}",
                        c.kind.name(),
                        c.split
                    );
                }
            }
        }
    }

    #[test]
    fn trained_kinds_get_train_val_and_test() {
        let plan = plan_clips(31, 2000);
        for k in Kind::ALL.iter().filter(|k| !k.held_out()) {
            let splits: BTreeMap<&str, usize> =
                plan.iter()
                    .filter(|c| c.kind == *k)
                    .fold(BTreeMap::new(), |mut m, c| {
                        *m.entry(c.split).or_default() += 1;
                        m
                    });
            for s in ["train", "val", "test"] {
                assert!(
                    splits.get(s).copied().unwrap_or(0) >= 1,
                    "{k:?}: {splits:?}"
                );
            }
            assert!(splits["train"] > 4 * splits["val"], "{k:?}: {splits:?}");
        }
    }

    #[test]
    fn plan_is_a_function_of_seed_and_clips() {
        let a = plan_clips(31, 300);
        assert_eq!(a, plan_clips(31, 300));
        let b = plan_clips(32, 300);
        assert_ne!(a, b);
        let files: BTreeSet<String> = a.iter().map(ClipPlan::file).collect();
        let groups: BTreeSet<String> = a.iter().map(ClipPlan::group).collect();
        let seeds: BTreeSet<u64> = a.iter().map(|c| c.seed).collect();
        assert_eq!(files.len(), 300);
        assert_eq!(groups.len(), 300);
        assert_eq!(seeds.len(), 300);
        assert!(a.iter().enumerate().all(|(i, c)| c.index == i));
    }

    #[test]
    fn mixtures_use_trained_kinds_only() {
        for k in Kind::ALL {
            if k.mixable() {
                assert!(!k.held_out() && k != Kind::Mixture);
            }
        }
        assert!(Kind::ALL.iter().filter(|k| k.mixable()).count() >= 20);
    }
}
