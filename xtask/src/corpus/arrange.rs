//! Song form, pattern helpers, melody writing and humanisation shared by all
//! engines.
//!
//! Songs are written as sections (intro, verse, chorus, break, solo, outro)
//! over a chord timeline so that a 30-second window is never one loop, and so
//! that melody, bass and comping all follow the same changes.

use super::midi::{Note, Part};
use super::rng::Rng;
use super::theory::{Bar, Chord, Key};

/// Song sections; engines thin out or fill up their parts by section.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Section {
    Intro,
    Verse,
    Chorus,
    Break,
    Solo,
    Outro,
}

/// One bar of the timeline.
#[derive(Clone, Debug)]
pub struct BarInfo {
    /// Chords dividing the bar evenly.
    pub chords: Vec<Chord>,
    /// Section this bar belongs to.
    pub section: Section,
    /// Last bar of its section: drum fills, pickups.
    pub last: bool,
    /// First bar of its section: crashes.
    pub first: bool,
}

/// The chord/section timeline of a song.
#[derive(Clone, Debug)]
pub struct Timeline {
    /// Beats per bar.
    pub bpb: u32,
    /// Bars in order.
    pub bars: Vec<BarInfo>,
}

impl Timeline {
    /// Beat at which bar `i` starts.
    pub fn bar_start(&self, i: usize) -> f64 {
        (i as u32 * self.bpb) as f64
    }

    /// Total beats.
    pub fn beats(&self) -> f64 {
        (self.bars.len() as u32 * self.bpb) as f64
    }

    /// Chord sounding at an absolute beat.
    pub fn chord_at(&self, beat: f64) -> Chord {
        let bpb = f64::from(self.bpb);
        let i = ((beat / bpb).floor().max(0.0) as usize).min(self.bars.len() - 1);
        let b = &self.bars[i];
        let pos = (beat - i as f64 * bpb).clamp(0.0, bpb - 1e-9);
        let k = ((pos / bpb) * b.chords.len() as f64).floor() as usize;
        b.chords[k.min(b.chords.len() - 1)]
    }

    /// Section at an absolute beat.
    pub fn section_at(&self, beat: f64) -> Section {
        let i = ((beat / f64::from(self.bpb)).floor().max(0.0) as usize).min(self.bars.len() - 1);
        self.bars[i].section
    }
}

fn push_section(bars: &mut Vec<BarInfo>, prog: &[Bar], n: usize, section: Section) {
    for k in 0..n {
        bars.push(BarInfo {
            chords: prog[k % prog.len()].clone(),
            section,
            last: k + 1 == n,
            first: k == 0,
        });
    }
}

/// Builds a song form of at least `min_bars` bars from a verse and a chorus
/// progression. Section lengths are whole repeats of the progression (at
/// least 8 bars unless the progression is longer, e.g. a 12-bar blues).
pub fn build_form(
    verse: &[Bar],
    chorus: &[Bar],
    bpb: u32,
    min_bars: usize,
    rng: &mut Rng,
) -> Timeline {
    let sect_len = |p: &[Bar]| p.len() * 8usize.div_ceil(p.len()).max(1);
    let mut bars = Vec::new();
    let intro = *rng.pick(&[0usize, 2, 4, 4, 8]);
    if intro > 0 {
        push_section(&mut bars, verse, intro, Section::Intro);
    }
    let mut round = 0;
    while bars.len() < min_bars {
        push_section(&mut bars, verse, sect_len(verse), Section::Verse);
        push_section(&mut bars, chorus, sect_len(chorus), Section::Chorus);
        round += 1;
        if bars.len() >= min_bars {
            break;
        }
        match rng.below(3) {
            0 => push_section(&mut bars, verse, *rng.pick(&[2usize, 4]), Section::Break),
            1 => push_section(&mut bars, verse, sect_len(verse), Section::Solo),
            _ if round > 1 => push_section(&mut bars, chorus, sect_len(chorus), Section::Solo),
            _ => {}
        }
    }
    push_section(&mut bars, chorus, *rng.pick(&[2usize, 4]), Section::Outro);
    Timeline { bpb, bars }
}

/// Maps a beat position through a swing feel: the off-beat eighth moves from
/// 0.5 to `ratio` (0.5 = straight, 0.67 = triplet swing).
pub fn swing(beat: f64, ratio: f64) -> f64 {
    let b = beat.floor();
    let f = beat - b;
    let g = if f < 0.5 {
        f / 0.5 * ratio
    } else {
        ratio + (f - 0.5) / 0.5 * (1.0 - ratio)
    };
    b + g
}

/// Jitters timing and velocity: real players are never on the grid.
pub fn humanize(part: &mut Part, rng: &mut Rng, time_sd: f64, vel_sd: f64) {
    for n in &mut part.notes {
        n.beat = (n.beat + rng.normal() * time_sd).max(0.0);
        n.vel = (f64::from(n.vel) + rng.normal() * vel_sd).clamp(1.0, 127.0) as u8;
    }
}

/// How a step pattern is played: register, loudness, articulation, feel.
#[derive(Clone, Copy, Debug)]
pub struct Play {
    /// Lowest key of the voicing/root octave.
    pub low: i32,
    /// Base velocity.
    pub vel: i32,
    /// Fraction of the step length a note sounds (articulation).
    pub gate: f64,
    /// Swing ratio (0.5 straight).
    pub swing: f64,
}

/// Writes a step pattern of chord-relative notes across a bar.
///
/// The struck steps of a one-bar pattern: `(beat, char, steps held)` for
/// every char that is not `.` (rest) or `-` (hold), a hit lasting itself plus
/// the `-` after it. Also returns the length of one step in beats.
fn pattern_hits(tl: &Timeline, bar: usize, pat: &str) -> (f64, Vec<(f64, char, usize)>) {
    let steps: Vec<char> = pat.chars().collect();
    let n = steps.len();
    let step = f64::from(tl.bpb) / n as f64;
    let start = tl.bar_start(bar);
    let mut hits = Vec::new();
    let mut i = 0;
    while i < n {
        let c = steps[i];
        if c == '.' || c == '-' {
            i += 1;
            continue;
        }
        let mut len = 1;
        while i + len < n && steps[i + len] == '-' {
            len += 1;
        }
        hits.push((start + i as f64 * step, c, len));
        i += len;
    }
    (step, hits)
}

/// `pat` has one char per step: `R` root, `O` octave, `F` fifth, `T` third,
/// `S` seventh (or octave), `L` fifth below, `A` chromatic approach to the next
/// chord's root; lower-case = softer; `-` holds the previous note, `.` rests.
pub fn pattern_line(part: &mut Part, tl: &Timeline, bar: usize, pat: &str, play: Play) {
    let Play {
        low,
        vel,
        gate,
        swing: swing_ratio,
    } = play;
    let (step, hits) = pattern_hits(tl, bar, pat);
    for (beat, c, len) in hits {
        let chord = tl.chord_at(beat + 1e-6);
        let root = chord.root_at(low);
        let third = if chord.is_minor() { 3 } else { 4 };
        let seventh = chord
            .intervals()
            .iter()
            .find(|&&x| x == 10 || x == 11)
            .copied()
            .unwrap_or(12);
        let key = match c.to_ascii_uppercase() {
            'R' => root,
            'O' => root + 12,
            'F' => root + 7,
            'T' => root + third,
            'S' => root + seventh,
            'L' => root - 5,
            'A' => {
                let next = tl
                    .chord_at(tl.bar_start(bar) + f64::from(tl.bpb) + 1e-6)
                    .root_at(low);
                if bar.is_multiple_of(2) {
                    next - 1
                } else {
                    next + 1
                }
            }
            _ => root,
        };
        let v = if c.is_ascii_lowercase() {
            vel - 22
        } else {
            vel
        };
        let on = swing(beat, swing_ratio);
        let off = swing(beat + len as f64 * step * gate, swing_ratio);
        part.note(on, (off - on).max(0.05), key, v);
    }
}

/// Writes chords with a rhythm pattern: `X` accent, `x` normal, `o` soft,
/// `-` hold, `.` rest. Voiced close from `low`.
pub fn chord_rhythm(part: &mut Part, tl: &Timeline, bar: usize, pat: &str, play: Play) {
    let Play {
        low,
        vel,
        gate,
        swing: swing_ratio,
    } = play;
    let (step, hits) = pattern_hits(tl, bar, pat);
    for (beat, c, len) in hits {
        let chord = tl.chord_at(beat + 1e-6);
        let v = match c {
            'X' => vel + 15,
            'o' => vel - 25,
            _ => vel,
        };
        let on = swing(beat, swing_ratio);
        let off = swing(beat + len as f64 * step * gate, swing_ratio);
        for (k, key) in chord.voicing(low).into_iter().enumerate() {
            // slight strum spread
            part.note(
                on + k as f64 * 0.006,
                (off - on).max(0.05),
                key,
                v - k as i32,
            );
        }
    }
}

/// Options for [`melody`].
#[derive(Clone, Debug)]
pub struct MelodyOpts {
    /// Lowest key.
    pub low: i32,
    /// Highest key.
    pub high: i32,
    /// Notes per beat on average (0.5 = lyrical, 2–4 = solo runs).
    pub density: f64,
    /// Swing ratio (0.5 straight).
    pub swing: f64,
    /// Use the blues scale (b3, b5, b7 over major keys).
    pub blue: bool,
    /// Add pitch bends into some long notes (guitar bends, vocal scoops).
    pub bends: bool,
    /// Velocity centre.
    pub vel: i32,
    /// Sections where the line plays.
    pub sections: Vec<Section>,
}

fn scale_notes(key: Key, blue: bool) -> Vec<i32> {
    let ints: Vec<i32> = if blue {
        vec![0, 3, 5, 6, 7, 10]
    } else {
        key.scale().to_vec()
    };
    (0..128)
        .filter(|k: &i32| ints.contains(&(k - i32::from(key.tonic)).rem_euclid(12)))
        .collect()
}

/// Writes a phrase-based melody: a rhythmic motif per phrase that repeats
/// with variation, chord tones on strong beats, stepwise motion between, and
/// breaths between phrases. Returns notes and pitch bends.
pub fn melody(
    tl: &Timeline,
    key: Key,
    opts: &MelodyOpts,
    rng: &mut Rng,
) -> (Vec<Note>, Vec<(f64, i16)>) {
    let scale = scale_notes(key, opts.blue);
    let mut notes = Vec::new();
    let mut bends = Vec::new();
    let phrase_beats = f64::from(tl.bpb * 2);
    let grid = if opts.density > 1.6 { 0.25 } else { 0.5 };
    let slots = (phrase_beats / grid) as usize;
    let make_motif = |rng: &mut Rng| -> Vec<(usize, usize)> {
        // onsets in grid slots with lengths; leave the phrase tail as a breath
        let usable = slots - (slots / 4).max(1);
        let p = (opts.density * grid).clamp(0.1, 0.95);
        let mut on: Vec<usize> = (0..usable).filter(|_| rng.chance(p)).collect();
        if on.is_empty() {
            on.push(0);
        }
        let mut out = Vec::new();
        for (k, &s) in on.iter().enumerate() {
            let next = on.get(k + 1).copied().unwrap_or(usable + 1);
            out.push((s, (next - s).max(1)));
        }
        out
    };
    let mut motif = make_motif(rng);
    let centre = (opts.low + opts.high) / 2;
    let mut prev = centre;
    let total = tl.beats();
    let mut t = 0.0;
    let mut phrase_no = 0;
    while t + phrase_beats <= total + 1e-9 {
        let sec = tl.section_at(t + 0.01);
        if !opts.sections.contains(&sec) {
            t += phrase_beats;
            continue;
        }
        // AABA-ish: keep the motif, vary it on every third phrase
        if phrase_no % 4 == 2 || rng.chance(0.2) {
            motif = make_motif(rng);
        }
        phrase_no += 1;
        for &(s, l) in &motif {
            let beat = t + s as f64 * grid;
            let chord = tl.chord_at(beat + 1e-6);
            let strong = (beat - beat.floor()).abs() < 1e-6;
            let cand: Vec<i32> = if strong {
                (opts.low..=opts.high)
                    .filter(|&k| chord.contains(k))
                    .collect()
            } else {
                scale
                    .iter()
                    .copied()
                    .filter(|&k| k >= opts.low && k <= opts.high)
                    .collect()
            };
            if cand.is_empty() {
                continue;
            }
            // prefer small steps, drift back to the centre
            let target = prev + rng.int(-4, 4) as i32 + (centre - prev) / 6;
            let key_ = *cand
                .iter()
                .min_by_key(|&&k| (k - target).abs() * 10 + rng.int(0, 12) as i32)
                .unwrap_or(&prev);
            let len = l as f64 * grid * rng.range(0.7, 0.98);
            let on = swing(beat, opts.swing);
            let vel = opts.vel + if strong { 8 } else { 0 } + rng.int(-10, 6) as i32;
            notes.push(Note {
                beat: on,
                len,
                key: key_.clamp(0, 127) as u8,
                vel: vel.clamp(20, 127) as u8,
            });
            if opts.bends && len >= 0.75 && rng.chance(0.35) {
                // bend up into the note from a whole step below
                bends.push((on, -4096));
                bends.push((on + len * 0.3, 0));
            }
            prev = key_;
        }
        t += phrase_beats;
    }
    (notes, bends)
}

/// Copies notes into a part.
pub fn put_notes(part: &mut Part, notes: &[Note]) {
    part.notes.extend_from_slice(notes);
}

#[cfg(test)]
mod tests {
    use super::super::theory::{ProgStyle, progression};
    use super::*;

    #[test]
    fn form_reaches_length_and_has_sections() {
        let mut r = Rng::new(9);
        let key = Key {
            tonic: 0,
            minor: false,
        };
        let v = progression(ProgStyle::Pop, key, &mut r);
        let c = progression(ProgStyle::Pop, key, &mut r);
        let tl = build_form(&v, &c, 4, 24, &mut r);
        assert!(tl.bars.len() >= 24);
        assert!(tl.bars.iter().any(|b| b.section == Section::Chorus));
        assert!((swing(0.5, 0.66) - 0.66).abs() < 1e-9);
        assert_eq!(swing(1.0, 0.66), 1.0);
    }
}
