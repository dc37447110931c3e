//! Sparse and unusual textures that are still music: solo piano, a cappella
//! and voice-led songs, drums-only stretches, rap over a thin beat and
//! spoken word over a groove.
//!
//! A "not music" class is trained beside the genres and would swallow such
//! material if the corpus had none, so a share of every split gets one, each
//! labelled by its genre. Textures work on the composed MIDI: channels are
//! dropped, re-voiced or silenced for a stretch.

use super::arrange::Timeline;
use super::midi::{self, RawTrack};
use super::mma::{Role, role};
use super::rng::Rng;

/// Arrangement texture of a song.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Texture {
    /// The full arrangement.
    Full,
    /// Piano alone: chords, bass and melody on one piano.
    SoloPiano,
    /// Voices carry the song: a cappella choir, or a singer over sparse keys.
    VoiceLed,
    /// A drums-only stretch (intro or break) inside the clip.
    DrumBreak,
    /// Rap or toasting over drums and little else.
    ThinBeat,
    /// A speaking voice over the music.
    Spoken,
}

impl Texture {
    /// Every texture.
    pub const ALL: [Texture; 6] = [
        Texture::Full,
        Texture::SoloPiano,
        Texture::VoiceLed,
        Texture::DrumBreak,
        Texture::ThinBeat,
        Texture::Spoken,
    ];

    /// Manifest name.
    pub fn name(self) -> &'static str {
        match self {
            Texture::Full => "full",
            Texture::SoloPiano => "solo-piano",
            Texture::VoiceLed => "voice-led",
            Texture::DrumBreak => "drum-break",
            Texture::ThinBeat => "thin-beat",
            Texture::Spoken => "spoken",
        }
    }
}

/// The sparse textures a genre has, in the order quotas cycle through them.
pub fn sparse_textures(label: &str) -> &'static [Texture] {
    use Texture::*;
    match label {
        "classical" => &[SoloPiano, VoiceLed, SoloPiano, Spoken],
        "jazz" => &[SoloPiano, DrumBreak, VoiceLed, Spoken],
        "pop" => &[SoloPiano, VoiceLed, DrumBreak, Spoken, ThinBeat],
        "blues" => &[SoloPiano, VoiceLed, DrumBreak, Spoken],
        "hiphop" => &[ThinBeat, DrumBreak, Spoken, ThinBeat],
        "reggae" => &[ThinBeat, DrumBreak, Spoken],
        "rock" => &[DrumBreak, VoiceLed, Spoken],
        "metal" => &[DrumBreak, Spoken, VoiceLed],
        "country" => &[VoiceLed, DrumBreak, Spoken],
        "disco" => &[DrumBreak, Spoken, VoiceLed],
        _ => &[Spoken],
    }
}

/// Share of a genre's songs (in every split) with a sparse texture.
pub fn sparse_share(label: &str) -> f64 {
    match label {
        "classical" => 0.25,
        "jazz" | "pop" | "hiphop" => 0.2,
        _ => 0.15,
    }
}

fn drop_except(tracks: &mut Vec<RawTrack>, keep: &[bool; 16]) {
    *tracks = midi::select_channels(tracks, keep);
}

/// Channel with the most notes among those `pred` accepts.
fn busiest(counts: &[usize; 16], pred: impl Fn(usize) -> bool) -> Option<usize> {
    (0..16)
        .filter(|&c| c != 9 && counts[c] > 0 && pred(c))
        .max_by_key(|&c| (counts[c], 16 - c))
}

/// Reduces the song to one piano: bass, the busiest chord part and the
/// melody (all voices of a classical piece, up to four).
pub fn solo_piano(tracks: &mut Vec<RawTrack>, melody: Option<u8>, classical: bool, rng: &mut Rng) {
    let progs = midi::channel_programs(tracks);
    let counts = midi::note_counts(tracks);
    let role_of = |c: usize| progs[c].map(role);
    let mut keep = [false; 16];
    if classical {
        let mut chans: Vec<usize> = (0..16).filter(|&c| c != 9 && counts[c] > 0).collect();
        chans.sort_by_key(|&c| std::cmp::Reverse(counts[c]));
        for c in chans.into_iter().take(4) {
            keep[c] = true;
        }
    } else {
        if let Some(c) = busiest(&counts, |c| role_of(c) == Some(Role::Bass)) {
            keep[c] = true;
        }
        let comp = busiest(&counts, |c| {
            role_of(c) == Some(Role::Comp) && Some(c as u8) != melody
        })
        .or_else(|| busiest(&counts, |c| role_of(c) == Some(Role::Pad)))
        .or_else(|| {
            busiest(&counts, |c| {
                role_of(c) == Some(Role::Line) && Some(c as u8) != melody
            })
        });
        if let Some(c) = comp {
            keep[c] = true;
        }
        if let Some(m) = melody.filter(|&m| counts[usize::from(m)] > 0) {
            keep[usize::from(m)] = true;
        }
    }
    drop_except(tracks, &keep);
    let piano = *rng.pick(&[0u8, 0, 0, 1, 1, 2, 4]);
    for c in 0..16u8 {
        if keep[usize::from(c)] {
            midi::set_program(tracks, c, piano);
        }
    }
}

/// Voices carry the song: a cappella (chords and bass sung) or a singer with
/// sparse keys. `melody` becomes a voice if it is not one already.
pub fn voice_led(tracks: &mut Vec<RawTrack>, melody: Option<u8>, rng: &mut Rng) {
    let progs = midi::channel_programs(tracks);
    let counts = midi::note_counts(tracks);
    let role_of = |c: usize| progs[c].map(role);
    let a_cappella = rng.chance(0.5);
    let mut keep = [false; 16];
    let mut voices: Vec<(u8, u8)> = Vec::new();
    if let Some(m) = melody.filter(|&m| counts[usize::from(m)] > 0) {
        keep[usize::from(m)] = true;
        let p = progs[usize::from(m)].unwrap_or(0);
        if !matches!(p, 52..=54 | 85 | 91) {
            voices.push((m, *rng.pick(&[53u8, 52, 54, 85])));
        }
    }
    let chords = busiest(&counts, |c| {
        matches!(role_of(c), Some(Role::Pad | Role::Comp)) && Some(c as u8) != melody
    });
    if let Some(c) = chords {
        keep[c] = true;
        let p = if a_cappella {
            *rng.pick(&[52u8, 53, 52, 91])
        } else {
            *rng.pick(&[0u8, 4, 19, 16, 0])
        };
        voices.push((c as u8, p));
    }
    if a_cappella
        && rng.chance(0.6)
        && let Some(b) = busiest(&counts, |c| role_of(c) == Some(Role::Bass))
    {
        keep[b] = true;
        voices.push((b as u8, 52));
    }
    if keep.iter().all(|k| !k) {
        // nothing melodic to sing: keep the busiest pitched part as a choir
        if let Some(c) = busiest(&counts, |_| true) {
            keep[c] = true;
            voices.push((c as u8, 52));
        }
    }
    drop_except(tracks, &keep);
    for (c, p) in voices {
        midi::set_program(tracks, c, p);
    }
}

/// Silences every instrument but the drums for 2–8 bars where the drums
/// play, preferring a section start. Returns the stretch in seconds.
pub fn drum_break(
    tracks: &mut Vec<RawTrack>,
    tl: &Timeline,
    tempo: f64,
    ppq: u16,
    rng: &mut Rng,
) -> Option<(f64, f64)> {
    let bar_s = f64::from(tl.bpb) * 60.0 / tempo;
    let hits = midi::channel_hits(tracks, 9, tempo, ppq);
    let per_bar: Vec<usize> = (0..tl.bars.len())
        .map(|b| {
            let (t0, t1) = (b as f64 * bar_s, (b + 1) as f64 * bar_s);
            hits.iter().filter(|h| h.0 >= t0 && h.0 < t1).count()
        })
        .collect();
    // 6–16 s of drums alone
    let len = ((rng.range(6.0, 16.0) / bar_s).round() as usize).clamp(2, 8);
    let fits = |b: usize| b + len <= tl.bars.len() && per_bar[b..b + len].iter().all(|&n| n >= 2);
    let starts: Vec<usize> = (0..tl.bars.len()).filter(|&b| fits(b)).collect();
    if starts.is_empty() {
        return None;
    }
    let firsts: Vec<usize> = starts
        .iter()
        .copied()
        .filter(|&b| tl.bars[b].first)
        .collect();
    let b0 = if !firsts.is_empty() && rng.chance(0.8) {
        *rng.pick(&firsts)
    } else {
        *rng.pick(&starts)
    };
    let mut mask = [true; 16];
    mask[9] = false;
    let t0 = midi::ticks_at(b0 as f64 * bar_s, tempo, ppq);
    let t1 = midi::ticks_at((b0 + len) as f64 * bar_s, tempo, ppq);
    midi::mute_range(tracks, &mask, t0, t1);
    Some((b0 as f64 * bar_s, (b0 + len) as f64 * bar_s))
}

/// Drums, maybe the bass, maybe one soft pad: a beat to rap over. Returns
/// false when the song has no drums (the caller picks another texture).
pub fn thin_beat(tracks: &mut Vec<RawTrack>, melody: Option<u8>, rng: &mut Rng) -> bool {
    let progs = midi::channel_programs(tracks);
    let counts = midi::note_counts(tracks);
    if counts[9] == 0 {
        return false;
    }
    let role_of = |c: usize| progs[c].map(role);
    let mut keep = [false; 16];
    keep[9] = true;
    if rng.chance(0.65)
        && let Some(b) = busiest(&counts, |c| role_of(c) == Some(Role::Bass))
    {
        keep[b] = true;
    }
    if rng.chance(0.3)
        && let Some(p) = busiest(&counts, |c| {
            matches!(role_of(c), Some(Role::Pad | Role::Comp)) && Some(c as u8) != melody
        })
    {
        keep[p] = true;
        let mut g = [1.0; 16];
        g[p] = 0.6;
        midi::scale_velocities(tracks, &g);
    }
    drop_except(tracks, &keep);
    true
}

#[cfg(test)]
mod tests {
    use super::super::arrange::build_form;
    use super::super::midi::{Part, part_events, tempo_track};
    use super::super::plan::LABELS;
    use super::super::theory::{Key, ProgStyle, progression};
    use super::*;

    fn song() -> (Vec<RawTrack>, Timeline) {
        let mut r = Rng::new(1);
        let key = Key {
            tonic: 0,
            minor: false,
        };
        let p = progression(ProgStyle::Pop, key, &mut r);
        let tl = build_form(&p, &p, 4, 24, &mut r);
        let beats = tl.beats() as usize;
        let mut parts = Vec::new();
        for (name, ch, prog, step) in [
            ("drums", 9u8, 0u8, 0.5),
            ("bass", 0, 33, 1.0),
            ("keys", 1, 0, 1.0),
            ("strings", 2, 48, 4.0),
            ("horn", 3, 61, 2.0),
            ("lead", 4, 73, 0.5),
        ] {
            let mut pt = Part::new(name, ch, prog);
            let mut b = 0.0;
            while b < beats as f64 {
                pt.note(b, step * 0.9, 60, 90);
                b += step;
            }
            parts.push(pt);
        }
        let mut tracks = vec![tempo_track(120.0, 4)];
        tracks.extend(parts.iter().map(|p| part_events(p, 480)));
        (tracks, tl)
    }

    #[test]
    fn solo_piano_keeps_bass_chords_and_melody_on_a_piano() {
        let (mut t, _) = song();
        solo_piano(&mut t, Some(4), false, &mut Rng::new(2));
        let n = midi::note_counts(&t);
        assert_eq!(n[9], 0, "no drums");
        assert!(n[0] > 0 && n[1] > 0 && n[4] > 0);
        assert_eq!(n[2] + n[3], 0, "pads and horns are gone");
        let p = midi::channel_programs(&t);
        for c in [0, 1, 4] {
            assert!(matches!(p[c], Some(0 | 1 | 2 | 4)), "{c}: {:?}", p[c]);
        }
    }

    #[test]
    fn voice_led_songs_have_no_drums_and_a_voice() {
        for seed in 0..20 {
            let (mut t, _) = song();
            voice_led(&mut t, Some(4), &mut Rng::new(seed));
            let n = midi::note_counts(&t);
            assert_eq!(n[9], 0);
            assert!(n[4] > 0);
            assert!(matches!(midi::channel_programs(&t)[4], Some(52..=54 | 85)));
            assert_eq!(n[3], 0, "horn lines are dropped");
        }
    }

    #[test]
    fn drum_break_silences_everything_but_drums_for_a_stretch() {
        let (mut t, tl) = song();
        let before = midi::note_counts(&t);
        let (a, b) = drum_break(&mut t, &tl, 120.0, 480, &mut Rng::new(3)).unwrap();
        assert!(b - a >= 3.9 && b - a <= 16.1, "{a}..{b}");
        let after = midi::note_counts(&t);
        assert_eq!(after[9], before[9]);
        for c in 0u8..5 {
            let inside = t
                .iter()
                .flatten()
                .filter(|(tick, e)| {
                    let s = f64::from(*tick) / 480.0 * 0.5;
                    e.len() == 3 && e[0] == 0x90 | c && e[2] > 0 && s >= a && s < b
                })
                .count();
            assert_eq!(inside, 0, "channel {c} plays in the break");
        }
    }

    #[test]
    fn thin_beat_keeps_drums_and_drops_the_melody() {
        let (mut t, _) = song();
        assert!(thin_beat(&mut t, Some(4), &mut Rng::new(4)));
        let n = midi::note_counts(&t);
        assert!(n[9] > 0);
        assert_eq!(n[4] + n[3], 0);
        let mut no_drums = song().0;
        no_drums = midi::select_channels(&no_drums, &std::array::from_fn(|c| c != 9));
        assert!(!thin_beat(&mut no_drums, None, &mut Rng::new(4)));
    }

    #[test]
    fn every_genre_has_sparse_textures() {
        for l in LABELS {
            assert!(!sparse_textures(l).is_empty());
            assert!(sparse_share(l) >= 0.15);
        }
        assert!(sparse_textures("classical").contains(&Texture::SoloPiano));
        assert!(sparse_textures("hiphop").contains(&Texture::ThinBeat));
        for l in [
            "rock", "metal", "hiphop", "disco", "reggae", "pop", "jazz", "blues", "country",
        ] {
            assert!(sparse_textures(l).contains(&Texture::DrumBreak), "{l}");
        }
        for l in LABELS {
            assert!(sparse_textures(l).contains(&Texture::Spoken), "{l}");
        }
    }
}
