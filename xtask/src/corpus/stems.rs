//! Splitting a song into stems and rendering the MIDI ones with FluidSynth.
//!
//! Drums, each electric guitar, the bass and the organs become stems of
//! their own so that each gets its own treatment (a real kit, an amp and
//! cabinet, a rotary speaker); everything else renders together as the band.
//! All FluidSynth passes of a song run at once: each process spends part of
//! its time waiting, so they overlap well even on two cores.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result, bail};

use super::midi::{self, RawTrack};

/// What a stem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StemKind {
    /// GM channel 10.
    Drums,
    /// One electric guitar channel; `lead` for the song's lead line.
    Guitar {
        /// The channel plays the lead line.
        lead: bool,
    },
    /// All bass channels; `synth` when they are synth basses.
    Bass {
        /// Synth bass programs (38, 39, 87).
        synth: bool,
    },
    /// Drawbar, percussive and rock organs (for the rotary speaker).
    Organ,
    /// Everything else.
    Band,
}

/// Channels of one stem.
#[derive(Clone, Debug, PartialEq)]
pub struct Stem {
    /// Kind.
    pub kind: StemKind,
    /// Channels in the stem.
    pub channels: Vec<u8>,
}

impl Stem {
    /// Channel mask.
    pub fn mask(&self) -> [bool; 16] {
        let mut m = [false; 16];
        for &c in &self.channels {
            m[usize::from(c)] = true;
        }
        m
    }
}

/// At most this many guitar stems; further guitars play in the band.
pub const MAX_GUITARS: usize = 3;

/// Splits the channels that play notes into stems. `organ_stem` makes
/// organs a stem of their own.
pub fn layout(tracks: &[RawTrack], lead_ch: Option<u8>, organ_stem: bool) -> Vec<Stem> {
    let progs = midi::channel_programs(tracks);
    let counts = midi::note_counts(tracks);
    let mut stems: Vec<Stem> = Vec::new();
    let mut band = Vec::new();
    let mut bass = Vec::new();
    let mut organ = Vec::new();
    let mut synth_bass = true;
    let mut guitars = 0;
    for c in 0u8..16 {
        let ci = usize::from(c);
        if counts[ci] == 0 {
            continue;
        }
        let p = progs[ci].unwrap_or(0);
        if c == 9 {
            stems.push(Stem {
                kind: StemKind::Drums,
                channels: vec![9],
            });
        } else if (26..=31).contains(&p) && guitars < MAX_GUITARS {
            guitars += 1;
            stems.push(Stem {
                kind: StemKind::Guitar {
                    lead: Some(c) == lead_ch,
                },
                channels: vec![c],
            });
        } else if (32..=39).contains(&p) || p == 87 {
            synth_bass &= matches!(p, 38 | 39 | 87);
            bass.push(c);
        } else if organ_stem && (16..=18).contains(&p) {
            organ.push(c);
        } else {
            band.push(c);
        }
    }
    if !bass.is_empty() {
        stems.push(Stem {
            kind: StemKind::Bass { synth: synth_bass },
            channels: bass,
        });
    }
    if !organ.is_empty() {
        stems.push(Stem {
            kind: StemKind::Organ,
            channels: organ,
        });
    }
    if !band.is_empty() {
        stems.push(Stem {
            kind: StemKind::Band,
            channels: band,
        });
    }
    stems
}

/// One FluidSynth pass.
#[derive(Clone, Debug)]
pub struct SynthJob {
    /// MIDI file to write and render.
    pub midi: PathBuf,
    /// Output WAV (44.1 kHz stereo float).
    pub wav: PathBuf,
    /// Soundfonts, in load order.
    pub soundfonts: Vec<PathBuf>,
    /// Master gain.
    pub gain: f64,
    /// FluidSynth's own reverb and chorus.
    pub fx: (bool, bool),
    /// Reverb room size when `fx.0`.
    pub room_size: f64,
}

fn spawn(job: &SynthJob) -> Result<Child> {
    let mut fs = Command::new("fluidsynth");
    fs.args(["-n", "-i", "-q", "-r", "44100", "-O", "float", "-T", "wav"]);
    fs.args(["-o", "synth.dynamic-sample-loading=1"]);
    fs.args(["-g", &format!("{:.2}", job.gain)]);
    fs.args(["-R", if job.fx.0 { "1" } else { "0" }]);
    fs.args(["-C", if job.fx.1 { "1" } else { "0" }]);
    fs.args([
        "-o",
        &format!("synth.reverb.room-size={:.2}", job.room_size),
    ]);
    fs.arg("-F").arg(&job.wav);
    for sf in &job.soundfonts {
        fs.arg(sf);
    }
    fs.arg(&job.midi);
    fs.stdout(Stdio::null()).stderr(Stdio::piped());
    fs.spawn().context("running fluidsynth")
}

/// Writes every job's MIDI and renders them all concurrently.
pub fn render_all(jobs: &[(SynthJob, Vec<RawTrack>)], ppq: u16) -> Result<()> {
    let mut children = Vec::new();
    for (job, tracks) in jobs {
        std::fs::write(&job.midi, midi::write_smf(ppq, tracks))
            .with_context(|| format!("writing {}", job.midi.display()))?;
        children.push((job, spawn(job)?));
    }
    let mut errors = Vec::new();
    for (job, child) in children {
        let out = child.wait_with_output()?;
        if !out.status.success() || !job.wav.is_file() {
            errors.push(format!(
                "fluidsynth {} failed ({}): {}",
                job.midi.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    if !errors.is_empty() {
        bail!("{}", errors.join("\n"));
    }
    Ok(())
}

/// The stem file name for stem `i`.
pub fn stem_path(dir: &Path, i: usize, ext: &str) -> PathBuf {
    dir.join(format!("stem{i}.{ext}"))
}

#[cfg(test)]
mod tests {
    use super::super::midi::{Part, part_events};
    use super::*;

    fn tracks(programs: &[(u8, u8)]) -> Vec<RawTrack> {
        programs
            .iter()
            .map(|&(ch, prog)| {
                let mut p = Part::new("x", ch, prog);
                p.note(0.0, 1.0, 60, 90);
                part_events(&p, 480)
            })
            .collect()
    }

    #[test]
    fn channels_split_into_stems_by_program() {
        let t = tracks(&[
            (9, 0),
            (0, 33),
            (1, 29),
            (2, 30),
            (3, 0),
            (4, 16),
            (5, 27),
            (6, 26),
            (7, 48),
        ]);
        let stems = layout(&t, Some(5), true);
        let kinds: Vec<StemKind> = stems.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            vec![
                StemKind::Guitar { lead: false },
                StemKind::Guitar { lead: false },
                StemKind::Guitar { lead: true },
                StemKind::Drums,
                StemKind::Bass { synth: false },
                StemKind::Organ,
                StemKind::Band,
            ]
        );
        // the fourth guitar plays in the band
        assert_eq!(stems.last().unwrap().channels, vec![3, 6, 7]);
        // without an organ stem the organ plays in the band
        let stems = layout(&t, None, false);
        assert!(stems.iter().all(|s| s.kind != StemKind::Organ));
        assert!(stems.last().unwrap().channels.contains(&4));
        // every playing channel is in exactly one stem
        let mut all: Vec<u8> = stems.iter().flat_map(|s| s.channels.clone()).collect();
        all.sort();
        assert_eq!(all, vec![0, 1, 2, 3, 4, 5, 6, 7, 9]);
    }

    #[test]
    fn synth_bass_is_recognised() {
        let stems = layout(&tracks(&[(0, 38)]), None, false);
        assert_eq!(stems[0].kind, StemKind::Bass { synth: true });
        let stems = layout(&tracks(&[(0, 38), (1, 33)]), None, false);
        assert_eq!(stems[0].kind, StemKind::Bass { synth: false });
    }
}
