//! Turns a [`SongPlan`] into one MIDI song (accompaniment + melody/lead +
//! sung-vowel layer, reshaped by the song's texture) and a description of the
//! spoken/rap vocal to add later.

use std::path::Path;

use anyhow::{Context, Result};

use super::arrange::{MelodyOpts, Section, Timeline, build_form, humanize, melody};
use super::band::{band, progs};
use super::classical::classical;
use super::midi::{self, Part, RawTrack};
use super::mma;
use super::plan::{Engine, SongPlan};
use super::rng::Rng;
use super::texture::{self, Texture};
use super::theory::{ProgStyle, progression};

/// Kinds of speech layer (espeak-ng) placed on the beat grid.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SpeechKind {
    /// Dense 16th-note flow.
    Rap,
    /// Sparser, sing-song toasting (dancehall/reggae), also used as hype.
    Toast,
    /// Low, shouted phrases (metal/rock crowd vocal).
    Shout,
    /// Plain spoken sentences (spoken word over the music).
    Spoken,
}

/// A speech layer to render and mix after synthesis.
#[derive(Clone, Debug)]
pub struct SpeechPlan {
    /// Style of delivery.
    pub kind: SpeechKind,
    /// (start second, bar length in seconds) of every bar that has speech.
    pub bars: Vec<(f64, f64)>,
    /// Beats per bar.
    pub bpb: u32,
    /// Seed for words, voice and flow.
    pub seed: u64,
}

/// What composition produced.
pub struct Composition {
    /// Song length in seconds (without release tails).
    pub seconds: f64,
    /// Speech layer, if any.
    pub speech: Option<SpeechPlan>,
    /// Short description of the vocal layer for the manifest.
    pub vocal: &'static str,
    /// The song as MIDI tracks.
    pub tracks: Vec<RawTrack>,
    /// Ticks per quarter note of `tracks`.
    pub ppq: u16,
    /// Tempo in BPM (constant).
    pub tempo: f64,
    /// Seconds per bar.
    pub bar_s: f64,
    /// Section of every bar.
    pub sections: Vec<Section>,
    /// The texture the song got (a requested texture the song cannot carry
    /// falls back to another).
    pub texture: Texture,
    /// A stretch the clip should contain (a drums-only break), in seconds.
    pub focus: Option<(f64, f64)>,
    /// Channel of the lead line, if any.
    pub lead_ch: Option<u8>,
}

fn lead_programs(label: &str) -> &'static [u8] {
    match label {
        "blues" => &[22, 29, 27, 26, 30, 66, 0, 16, 22],
        "country" => &[40, 105, 27, 25, 22, 26, 40],
        "jazz" => &[66, 65, 56, 59, 11, 26, 0, 73, 71, 57],
        "pop" => &[80, 81, 0, 4, 73, 65, 27, 25, 11, 46],
        "rock" => &[29, 30, 27, 81, 16, 17, 29],
        "metal" => &[30, 29, 30, 81],
        "hiphop" => &[80, 81, 10, 11, 0, 4, 48, 73],
        "reggae" => &[22, 61, 56, 57, 66, 16, 27],
        "disco" => &[48, 40, 61, 56, 65, 81, 62, 4],
        _ => &[0],
    }
}

/// Probability of a sung (GM voice) layer and of a speech layer per label.
fn vocal_rates(label: &str) -> (f64, f64, SpeechKind) {
    match label {
        "pop" => (0.85, 0.06, SpeechKind::Rap),
        "rock" => (0.65, 0.06, SpeechKind::Shout),
        "country" => (0.6, 0.03, SpeechKind::Toast),
        "blues" => (0.55, 0.03, SpeechKind::Toast),
        "reggae" => (0.4, 0.35, SpeechKind::Toast),
        "disco" => (0.5, 0.06, SpeechKind::Toast),
        "hiphop" => (0.2, 0.88, SpeechKind::Rap),
        "metal" => (0.25, 0.3, SpeechKind::Shout),
        "jazz" => (0.12, 0.02, SpeechKind::Toast),
        _ => (0.1, 0.01, SpeechKind::Toast),
    }
}

fn min_bars(tempo: f64, bpb: u32, seconds: f64) -> usize {
    (seconds * tempo / 60.0 / f64::from(bpb)).ceil() as usize
}

/// Composes the song (and writes `dir/song.mid` for debugging).
pub fn compose(plan: &SongPlan, want_seconds: f64, dir: &Path) -> Result<Composition> {
    let tpl = plan.tpl();
    let mut rng = Rng::new(plan.seed);
    let key = plan.key;
    let label = plan.label;
    let bpb: u32 = match &tpl.engine {
        Engine::Mma(m) => u32::from(m.beats),
        Engine::Classical(super::plan::ClassicalStyle::Waltz) => 3,
        _ => 4,
    };
    let (pv, pc) = match &tpl.engine {
        Engine::Mma(m) => (m.prog, m.prog),
        Engine::Band(b) => progs(*b),
        Engine::Classical(_) => (ProgStyle::Classical, ProgStyle::Classical),
    };
    let verse = progression(pv, key, &mut rng.fork("verse"));
    let chorus = if pv == ProgStyle::Blues12 {
        verse.clone()
    } else {
        progression(pc, key, &mut rng.fork("chorus"))
    };
    let bars = min_bars(plan.tempo, bpb, want_seconds);
    let tl = build_form(&verse, &chorus, bpb, bars, &mut rng.fork("form"));

    // accompaniment
    let (ppq, mut tracks): (u16, Vec<RawTrack>) = match &tpl.engine {
        Engine::Mma(style) => {
            let src = mma::source(
                style,
                &tl,
                plan.tempo,
                (plan.seed & 0x7FFF_FFFF) as u32,
                &mut rng.fork("mma"),
            );
            let src_path = dir.join("song.mma");
            let acc = dir.join("acc.mid");
            std::fs::write(&src_path, src)?;
            mma::run(&src_path, &acc)?;
            let (ppq, mut tracks) =
                midi::parse_smf(&std::fs::read(&acc)?).context("reading MMA output")?;
            let mut sw = rng.fork("swap");
            let kit = mma::drum_kit(label, &mut sw);
            let mut map = std::collections::HashMap::new();
            let mut roles = [None; 16];
            midi::remap_programs(&mut tracks, |ch, p| {
                if ch == 9 {
                    kit
                } else {
                    roles[usize::from(ch)].get_or_insert(mma::role(p));
                    *map.entry(p)
                        .or_insert_with(|| mma::revoice(label, p, &mut sw))
                }
            });
            // A groove's mix varies from song to song, and now and then one
            // of its accompanying tracks sits out.
            let mut mix = rng.fork("mix");
            let mut gains: [f64; 16] = std::array::from_fn(|_| mix.range(0.7, 1.1));
            gains[9] = 1.0;
            let optional: Vec<usize> = (0..16)
                .filter(|&c| roles[c].is_some_and(|r| r != mma::Role::Bass))
                .collect();
            if optional.len() >= 3 && mix.chance(0.3) {
                gains[*mix.pick(&optional)] = 0.0;
            }
            midi::scale_velocities(&mut tracks, &gains);
            (ppq, tracks)
        }
        Engine::Band(style) => {
            let parts = band(*style, &tl, key, &mut rng.fork("band"));
            let mut tracks = vec![midi::tempo_track(plan.tempo, bpb as u8)];
            tracks.extend(parts.iter().map(|p| midi::part_events(p, midi::PPQ)));
            (midi::PPQ, tracks)
        }
        Engine::Classical(style) => {
            let parts = classical(*style, &tl, key, &mut rng.fork("classical"));
            let mut tracks = vec![midi::tempo_track(plan.tempo, bpb as u8)];
            tracks.extend(parts.iter().map(|p| midi::part_events(p, midi::PPQ)));
            (midi::PPQ, tracks)
        }
    };

    // melody, lead and sung layer on free channels
    let used = midi::used_channels(&tracks);
    let mut free = (0u8..16).filter(|&c| c != 9 && !used[usize::from(c)]);
    let mut vr = rng.fork("vocal");
    let (p_sung, p_speech, speech_kind) = vocal_rates(label);
    let classical_piece = matches!(tpl.engine, Engine::Classical(_));
    let mut want = plan.texture;
    let drawn_sung = vr.chance(p_sung);
    let drawn_speech = vr.chance(p_speech);
    let (sung, speech, speech_kind) = match want {
        Texture::Full | Texture::DrumBreak => (drawn_sung, drawn_speech, speech_kind),
        Texture::SoloPiano => (false, false, speech_kind),
        Texture::VoiceLed => (true, false, speech_kind),
        Texture::ThinBeat => (
            false,
            true,
            if label == "reggae" {
                SpeechKind::Toast
            } else {
                SpeechKind::Rap
            },
        ),
        Texture::Spoken => (false, true, SpeechKind::Spoken),
    };
    let swing = if tpl.swing { vr.range(0.58, 0.67) } else { 0.5 };
    let mut extra: Vec<Part> = Vec::new();
    let bends = matches!(label, "blues" | "rock" | "metal" | "country");
    let mut voice_ch = None;
    let mut lead_ch = None;
    if sung && let Some(ch) = free.next() {
        voice_ch = Some(ch);
        let prog = *vr.weighted(&[(52u8, 0.4), (53, 0.3), (54, 0.15), (85, 0.1), (91, 0.05)]);
        let mut p = Part::new("voice", ch, prog);
        let male = vr.chance(0.5);
        let (low, high) = if male { (50, 67) } else { (60, 77) };
        let opts = MelodyOpts {
            low,
            high,
            density: vr.range(0.8, 1.8),
            swing,
            blue: label == "blues",
            bends: true,
            vel: 96,
            sections: vec![Section::Verse, Section::Chorus, Section::Outro],
        };
        let (notes, b) = melody(&tl, key, &opts, &mut vr);
        p.notes = notes;
        p.bends = b;
        p.reverb = vr.int(40, 100) as u8;
        humanize(&mut p, &mut vr, 0.01, 5.0);
        extra.push(p);
    }
    if !classical_piece && let Some(ch) = free.next() {
        lead_ch = Some(ch);
        let prog = *vr.pick(lead_programs(label));
        let mut p = Part::new("lead", ch, prog);
        let (sections, density) = match label {
            "hiphop" => (vec![Section::Chorus], vr.range(0.4, 1.0)),
            "metal" => (vec![Section::Solo, Section::Chorus], vr.range(2.0, 4.0)),
            "jazz" => (
                vec![
                    Section::Verse,
                    Section::Chorus,
                    Section::Solo,
                    Section::Outro,
                ],
                vr.range(1.2, 3.0),
            ),
            _ if sung => (
                vec![Section::Intro, Section::Solo, Section::Break],
                vr.range(1.0, 3.0),
            ),
            _ => (
                vec![
                    Section::Verse,
                    Section::Chorus,
                    Section::Solo,
                    Section::Outro,
                ],
                vr.range(0.8, 2.5),
            ),
        };
        let opts = MelodyOpts {
            low: 60,
            high: 84,
            density,
            swing,
            blue: label == "blues" || (label == "rock" && vr.chance(0.4)),
            bends,
            vel: 92,
            sections,
        };
        let (notes, b) = melody(&tl, key, &opts, &mut vr);
        p.notes = notes;
        p.bends = b;
        p.pan = vr.int(40, 88) as u8;
        p.reverb = vr.int(20, 90) as u8;
        humanize(&mut p, &mut vr, 0.01, 6.0);
        extra.push(p);
    }
    for p in &extra {
        tracks.push(midi::part_events(p, ppq));
    }

    // texture
    let mut tx = rng.fork("texture");
    let mut focus = None;
    let mut speech_kind = speech_kind;
    let mut speech = speech;
    match want {
        Texture::Full | Texture::Spoken => {}
        Texture::SoloPiano => {
            texture::solo_piano(&mut tracks, lead_ch, classical_piece, &mut tx);
        }
        Texture::VoiceLed => texture::voice_led(&mut tracks, voice_ch.or(lead_ch), &mut tx),
        Texture::DrumBreak => {
            focus = texture::drum_break(&mut tracks, &tl, plan.tempo, ppq, &mut tx);
            if focus.is_none() {
                want = Texture::Spoken;
                speech = true;
                speech_kind = SpeechKind::Spoken;
            }
        }
        Texture::ThinBeat => {
            if !texture::thin_beat(&mut tracks, lead_ch, &mut tx) {
                want = Texture::Spoken;
                speech_kind = SpeechKind::Spoken;
            }
        }
    }
    let sung = sung && voice_ch.is_some_and(|c| midi::note_counts(&tracks)[usize::from(c)] > 0);
    let bytes = midi::write_smf(ppq, &tracks);
    std::fs::write(dir.join("song.mid"), bytes)?;

    let seconds = f64::from(midi::last_tick(&tracks)) / f64::from(ppq) * 60.0 / plan.tempo;
    let speech_plan = if speech {
        let mut sp = speech_bars(
            &tl,
            plan.tempo,
            speech_kind,
            vr.next_u64(),
            label == "hiphop" || want == Texture::ThinBeat,
        );
        // drums alone means no voice over them either
        if let Some((a, b)) = focus {
            sp.bars.retain(|&(t, len)| t + len <= a || t >= b);
        }
        Some(sp)
    } else {
        None
    };
    let vocal = match (sung, speech_plan.as_ref().map(|s| s.kind)) {
        (_, Some(SpeechKind::Rap)) => "rap",
        (_, Some(SpeechKind::Toast)) => "toast",
        (_, Some(SpeechKind::Shout)) => "shout",
        (_, Some(SpeechKind::Spoken)) => "spoken",
        (true, None) => "sung",
        (false, None) => "none",
    };
    Ok(Composition {
        seconds,
        speech: speech_plan,
        vocal,
        tracks,
        ppq,
        tempo: plan.tempo,
        bar_s: f64::from(tl.bpb) * 60.0 / plan.tempo,
        sections: tl.bars.iter().map(|b| b.section).collect(),
        texture: want,
        focus,
        lead_ch,
    })
}

fn speech_bars(tl: &Timeline, tempo: f64, kind: SpeechKind, seed: u64, dense: bool) -> SpeechPlan {
    let bar_s = f64::from(tl.bpb) * 60.0 / tempo;
    let bars = tl
        .bars
        .iter()
        .enumerate()
        .filter(|(_, b)| match b.section {
            _ if kind == SpeechKind::Spoken => true,
            Section::Verse => true,
            Section::Chorus | Section::Outro => dense || kind == SpeechKind::Shout,
            _ => false,
        })
        .map(|(i, _)| (i as f64 * bar_s, bar_s))
        .collect();
    SpeechPlan {
        kind,
        bars,
        bpb: tl.bpb,
        seed,
    }
}
