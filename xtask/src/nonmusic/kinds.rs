//! One generator per kind, and mixtures of them. A generator returns raw
//! audio (any level; the chain sets it) plus what the manifest records.

use std::path::Path;

use anyhow::{Result, bail};

use super::dsp::{db, mix_into, rms, set_rms};
use super::plan::Kind;
use super::sfx::{self, Library};
use super::voice::{self, LangSet, Treatment};
use super::{impulses, noises, tones};
use crate::corpus::rng::Rng;

/// A generated clip before the delivery chain.
#[derive(Clone, Debug)]
pub struct Generated {
    /// Mono samples at 22 050 Hz, exactly the requested length.
    pub audio: Vec<f32>,
    /// The kind's own parameters (first part of the manifest's `chain`).
    pub detail: String,
    /// Where the sound comes from (the manifest's `soundfont` column).
    pub source: String,
    /// Voices (the manifest's `vocal` column), `none` without speech.
    pub vocal: String,
    /// Pulse rate for rhythmic kinds (metronomes, ticks, footsteps).
    pub tempo_bpm: Option<f64>,
    /// Pitch or chords for tonal kinds.
    pub key: Option<String>,
}

impl Generated {
    /// Synthesised audio without voices.
    pub fn synth(audio: Vec<f32>, detail: impl Into<String>) -> Self {
        Generated {
            audio,
            detail: detail.into(),
            source: "synth".into(),
            vocal: "none".into(),
            tempo_bpm: None,
            key: None,
        }
    }

    /// Sets the key column.
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }
}

#[cfg(test)]
impl Kind {
    /// Whether the generator needs external tools (espeak-ng, festival, sox)
    /// or the game-data library; the others are pure Rust.
    pub fn needs_tools(self) -> bool {
        matches!(
            self,
            Kind::SpeechMono
                | Kind::SpeechDialogue
                | Kind::SpeechRoom
                | Kind::SpeechPhone
                | Kind::SpeechLecture
                | Kind::SpeechRadio
                | Kind::SpeechWorld
                | Kind::VoiceLines
                | Kind::Babble
                | Kind::Ambience
                | Kind::Soundscape
                | Kind::SfxScifi
                | Kind::Footsteps
                | Kind::Mixture
        )
    }
}

/// Generates `n` samples of `kind`. `lib` is needed by the kinds that
/// [`Kind::needs_tools`]; `work` is scratch space for the speech engines.
pub fn generate(
    kind: Kind,
    rng: &mut Rng,
    n: usize,
    lib: Option<&Library>,
    work: &Path,
) -> Result<Generated> {
    let need_lib = || lib.ok_or_else(|| anyhow::anyhow!("{} needs the sound library", kind.name()));
    let mut g = match kind {
        Kind::SpeechMono => voice::speech(rng, n, work, LangSet::Trained, false, Treatment::Plain)?,
        Kind::SpeechDialogue => {
            voice::speech(rng, n, work, LangSet::Trained, true, Treatment::Plain)?
        }
        Kind::SpeechRoom => {
            let two = rng.chance(0.4);
            voice::speech(rng, n, work, LangSet::Trained, two, Treatment::Room)?
        }
        Kind::SpeechPhone => {
            let two = rng.chance(0.3);
            voice::speech(rng, n, work, LangSet::Trained, two, Treatment::Phone)?
        }
        Kind::SpeechLecture => {
            voice::speech(rng, n, work, LangSet::Trained, false, Treatment::Lecture)?
        }
        Kind::SpeechRadio => {
            let two = rng.chance(0.25);
            voice::speech(rng, n, work, LangSet::Trained, two, Treatment::Radio)?
        }
        Kind::SpeechWorld => voice::speech_world(rng, n, work)?,
        Kind::VoiceLines => sfx::voice_lines(need_lib()?, rng, n)?,
        Kind::Babble => voice::babble(need_lib()?, rng, n, work)?,
        Kind::Applause => impulses::applause(rng, n),
        Kind::Ambience => sfx::ambience(need_lib()?, rng, n)?,
        Kind::Soundscape => sfx::soundscape(need_lib()?, rng, n)?,
        Kind::SfxScifi => sfx::sfx_scifi(need_lib()?, rng, n)?,
        Kind::Footsteps => sfx::footsteps(need_lib()?, rng, n)?,
        Kind::Typing => impulses::typing(rng, n),
        Kind::RoomTone => noises::room_tone(rng, n),
        Kind::NearSilence => noises::near_silence(rng, n),
        Kind::ToneSteady => tones::tone_steady(rng, n),
        Kind::ToneTest => tones::tone_test(rng, n),
        Kind::ToneTelephony => tones::tone_telephony(rng, n),
        Kind::ChordPad => tones::chord_pad(rng, n),
        Kind::Drone => tones::drone(rng, n),
        Kind::SweepTone => tones::sweep_tone(rng, n),
        Kind::SweepNoise => noises::sweep_noise(rng, n),
        Kind::Hum => tones::hum(rng, n),
        Kind::NoiseColour => noises::noise_colour(rng, n),
        Kind::NoiseBright => noises::noise_bright(rng, n),
        Kind::Wind => noises::wind(rng, n),
        Kind::Rain => noises::rain(rng, n),
        Kind::Surf => noises::surf(rng, n),
        Kind::CrackleHiss => noises::crackle_hiss(rng, n),
        Kind::Metronome => impulses::metronome(rng, n),
        Kind::Ticks => impulses::ticks(rng, n),
        Kind::Mixture => mixture(rng, n, lib, work)?,
    };
    if g.audio.len() != n {
        bail!(
            "{} produced {} samples, not {n}",
            kind.name(),
            g.audio.len()
        );
    }
    if !g.audio.iter().all(|v| v.is_finite()) {
        bail!("{} produced non-finite samples ({})", kind.name(), g.detail);
    }
    if rms(&g.audio) < 1e-6 {
        bail!("{} produced silence ({})", kind.name(), g.detail);
    }
    // Manifest fields are CSV cells: keep them free of separators.
    for s in [&mut g.detail, &mut g.source, &mut g.vocal] {
        *s = s.replace([',', '"', '\n'], " ");
    }
    Ok(g)
}

/// Two or three trained kinds at once: the first leads, the others sit
/// 3–20 dB under it.
fn mixture(rng: &mut Rng, n: usize, lib: Option<&Library>, work: &Path) -> Result<Generated> {
    let pool: Vec<Kind> = Kind::ALL.into_iter().filter(|k| k.mixable()).collect();
    let parts = rng.int(2, 3) as usize;
    let mut chosen: Vec<Kind> = Vec::new();
    while chosen.len() < parts {
        let k = *rng.pick(&pool);
        if !chosen.contains(&k) {
            chosen.push(k);
        }
    }
    let mut x = vec![0.0f32; n];
    let mut details = Vec::new();
    let mut sources = Vec::new();
    let mut vocals = Vec::new();
    let mut tempo = None;
    let mut key = None;
    for (i, &k) in chosen.iter().enumerate() {
        let mut sub = rng.fork(k.name());
        let mut g = generate(k, &mut sub, n, lib, &work.join(format!("mix{i}")))?;
        set_rms(&mut g.audio, 1.0);
        let gain = if i == 0 {
            1.0
        } else {
            db(-sub.range(3.0, 20.0))
        };
        mix_into(&mut x, &g.audio, gain);
        details.push(format!(
            "{}({})",
            k.name(),
            g.detail.split(';').next().unwrap_or("")
        ));
        if !sources.contains(&g.source) {
            sources.push(g.source);
        }
        if g.vocal != "none" {
            vocals.push(g.vocal);
        }
        tempo = tempo.or(g.tempo_bpm);
        key = key.or(g.key);
    }
    Ok(Generated {
        audio: x,
        detail: format!("mix:{}", details.join("+")),
        source: sources.join("+"),
        vocal: if vocals.is_empty() {
            "none".into()
        } else {
            vocals.join("|")
        },
        tempo_bpm: tempo,
        key,
    })
}

#[cfg(test)]
mod tests {
    use super::super::dsp::{SR_F, secs};
    use super::*;

    fn frame_floor_db(x: &[f32]) -> f64 {
        // Quietest 2048-sample frame relative to the clip's RMS.
        let r = rms(x);
        let q = x
            .chunks(2048)
            .filter(|c| c.len() == 2048)
            .map(rms)
            .fold(f64::INFINITY, f64::min);
        20.0 * (q / r).log10()
    }

    fn check(kind: Kind, lib: Option<&Library>) {
        let n = secs(6.0) + 123;
        let work = std::env::temp_dir().join(format!(
            "xtask-nonmusic-{}-{}",
            std::process::id(),
            kind.name()
        ));
        for seed in 0..3 {
            let g = generate(kind, &mut Rng::new(seed), n, lib, &work)
                .unwrap_or_else(|e| panic!("{}: {e:#}", kind.name()));
            assert_eq!(g.audio.len(), n, "{}", kind.name());
            assert!(
                rms(&g.audio) > 1e-3,
                "{} seed {seed}: rms {}",
                kind.name(),
                rms(&g.audio)
            );
            // Sparse kinds keep a floor: no frame more than 70 dB under the clip.
            let floor = frame_floor_db(&g.audio);
            assert!(
                floor > -70.0,
                "{} seed {seed}: floor {floor:.1} dB ({})",
                kind.name(),
                g.detail
            );
            let again = generate(kind, &mut Rng::new(seed), n, lib, &work).unwrap();
            assert_eq!(g.audio, again.audio, "{} is not deterministic", kind.name());
            assert_eq!(g.detail, again.detail);
        }
        let _ = std::fs::remove_dir_all(&work);
        let _ = SR_F;
    }

    #[test]
    fn every_pure_kind_is_exact_audible_and_deterministic() {
        for kind in Kind::ALL.into_iter().filter(|k| !k.needs_tools()) {
            check(kind, None);
        }
    }

    #[test]
    fn kinds_needing_tools_say_so_without_a_library() {
        let work = std::env::temp_dir();
        let err = generate(Kind::Soundscape, &mut Rng::new(1), 1000, None, &work).unwrap_err();
        assert!(format!("{err}").contains("sound library"), "{err}");
    }

    /// Needs espeak-ng, festival, sox and the game-data packages:
    /// `cargo test -p xtask -- --ignored`.
    #[test]
    #[ignore]
    fn every_kind_with_tools_is_exact_audible_and_deterministic() {
        let lib = Library::discover().unwrap();
        for kind in Kind::ALL.into_iter().filter(|k| k.needs_tools()) {
            check(kind, Some(&lib));
        }
    }
}
