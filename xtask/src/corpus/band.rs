//! Accompaniment styles the MMA library lacks (hip-hop, metal, reggae, disco,
//! some rock/pop/country), written directly as MIDI parts.
//!
//! Each style is a drum grid, a bass pattern and one or more comping layers,
//! chosen per section (intro thin, chorus full, breaks stripped) with several
//! GM programs per role so timbre varies from song to song.

use super::arrange::{Play, Section, Timeline, chord_rhythm, humanize, pattern_line, swing};
use super::midi::Part;
use super::plan::BandStyle;
use super::rng::Rng;
use super::theory::{Key, ProgStyle};

const KICK: i32 = 36;
const SNARE: i32 = 38;
const RIM: i32 = 37;
const CLAP: i32 = 39;
const CHH: i32 = 42;
const OHH: i32 = 46;
const RIDE: i32 = 51;
const CRASH: i32 = 49;
const CHINA: i32 = 52;
const TAMB: i32 = 54;
const COWBELL: i32 = 56;
const CONGA_HI: i32 = 62;
const CONGA_LO: i32 = 64;
const SHAKER: i32 = 70;
const TOMS: [i32; 4] = [50, 47, 45, 41];

/// Chord progression families (verse, chorus) for a style.
pub fn progs(style: BandStyle) -> (ProgStyle, ProgStyle) {
    use BandStyle::*;
    match style {
        BoomBap | Trap | LoFi | GFunk | Drill | OldSchool => {
            (ProgStyle::MinorVamp, ProgStyle::MinorVamp)
        }
        Thrash | DoubleKick | Blast | Doom | PowerMetal | GrooveMetal | Gallop => {
            (ProgStyle::Metal, ProgStyle::Metal)
        }
        OneDrop | Steppers | Rockers | Roots | Dub | Lovers => {
            (ProgStyle::Reggae, ProgStyle::Reggae)
        }
        DiscoClassic | Philly | FunkDisco | EuroDisco | Boogie => {
            (ProgStyle::Disco, ProgStyle::Disco)
        }
        HardRock | Punk | AltRock => (ProgStyle::Rock, ProgStyle::Rock),
        SynthPop | DancePop => (ProgStyle::Pop, ProgStyle::Pop),
        ModernCountry => (ProgStyle::Country, ProgStyle::Country),
    }
}

/// Drum grid lines: (pattern, GM drum key). Pattern chars: `X` accent, `x`
/// hit, `o` ghost, `r` triplet roll, `R` two 32nds, `q` four hits, `.` rest.
type Grid<'a> = &'a [(&'a str, i32)];

/// Verse grid, chorus grid and guitar rhythm of a metal/rock style.
type MetalSpec = (
    Vec<(&'static str, i32)>,
    Vec<(&'static str, i32)>,
    &'static str,
);

fn drum_bar(part: &mut Part, tl: &Timeline, bar: usize, grid: Grid, vel: i32, sw: f64) {
    let start = tl.bar_start(bar);
    for (pat, key) in grid {
        let n = pat.chars().count();
        let step = f64::from(tl.bpb) / n as f64;
        for (i, c) in pat.chars().enumerate() {
            let b = start + i as f64 * step;
            let (hits, v) = match c {
                'X' => (1, vel + 20),
                'x' => (1, vel),
                'o' => (1, vel - 40),
                'r' => (3, vel - 20),
                'R' => (2, vel - 15),
                'q' => (4, vel - 25),
                _ => continue,
            };
            for h in 0..hits {
                let hb = b + h as f64 * step / f64::from(hits);
                let on = if hits == 1 { swing(hb, sw) } else { hb };
                part.note(on, 0.1, *key, v + h * 4);
            }
        }
    }
}

fn fill(part: &mut Part, tl: &Timeline, bar: usize, rng: &mut Rng, vel: i32) {
    let end = tl.bar_start(bar) + f64::from(tl.bpb);
    let beats: f64 = *rng.pick(&[1.0, 1.0, 2.0]);
    let sub: f64 = *rng.pick(&[0.25, 0.25, 1.0 / 3.0, 0.5]);
    let n = (beats / sub).round() as usize;
    // the fill replaces what was there
    part.notes
        .retain(|x| x.beat < end - beats - 0.01 || x.beat >= end);
    for i in 0..n {
        let b = end - beats + i as f64 * sub;
        let key = if rng.chance(0.4) {
            SNARE
        } else {
            TOMS[(i * TOMS.len() / n).min(3)]
        };
        part.note(b, 0.1, key, vel + (i * 20 / n) as i32);
    }
    part.note(end - sub, 0.1, KICK, vel);
}

/// Options of one drum layer.
struct Drums<'a> {
    verse: Grid<'a>,
    chorus: Grid<'a>,
    brk: Grid<'a>,
    kit: &'a [u8],
    vel: i32,
    fills: bool,
    crash: i32,
}

fn drum_part(d: &Drums, tl: &Timeline, rng: &mut Rng, sw: f64) -> Part {
    let mut p = Part::new("drums", 9, *rng.pick(d.kit));
    p.reverb = rng.int(20, 70) as u8;
    let intro_drums = rng.below(3); // 0 none, 1 thin, 2 full
    for (i, b) in tl.bars.iter().enumerate() {
        let grid = match b.section {
            Section::Intro => match intro_drums {
                0 => continue,
                1 => d.brk,
                _ => d.verse,
            },
            Section::Verse | Section::Solo => d.verse,
            Section::Chorus | Section::Outro => d.chorus,
            Section::Break => d.brk,
        };
        drum_bar(&mut p, tl, i, grid, d.vel, sw);
        if b.first && matches!(b.section, Section::Chorus | Section::Verse | Section::Solo) {
            p.note(tl.bar_start(i), 1.0, d.crash, d.vel + 15);
        }
        if b.last && d.fills && b.section != Section::Intro && rng.chance(0.75) {
            fill(&mut p, tl, i, rng, d.vel);
        }
    }
    humanize(&mut p, rng, 0.008, 6.0);
    p
}

/// A pitched layer playing one pattern per section group.
struct Layer<'a> {
    name: &'a str,
    channel: u8,
    programs: &'a [u8],
    verse: &'a [&'a str],
    chorus: &'a [&'a str],
    low: i32,
    vel: i32,
    gate: f64,
    chords: bool,
    sections: &'a [Section],
    pan: u8,
}

const ALL: &[Section] = &[
    Section::Intro,
    Section::Verse,
    Section::Chorus,
    Section::Break,
    Section::Solo,
    Section::Outro,
];
const MAIN: &[Section] = &[
    Section::Verse,
    Section::Chorus,
    Section::Solo,
    Section::Outro,
];
const FULL: &[Section] = &[Section::Chorus, Section::Outro, Section::Solo];

fn layer(l: &Layer, tl: &Timeline, rng: &mut Rng, sw: f64) -> Part {
    let mut p = Part::new(l.name, l.channel, *rng.pick(l.programs));
    p.pan = l.pan;
    p.reverb = rng.int(20, 80) as u8;
    let v = *rng.pick(l.verse);
    let c = *rng.pick(l.chorus);
    let play = Play {
        low: l.low,
        vel: l.vel,
        gate: l.gate,
        swing: sw,
    };
    for (i, b) in tl.bars.iter().enumerate() {
        if !l.sections.contains(&b.section) {
            continue;
        }
        let pat = if matches!(b.section, Section::Chorus | Section::Outro) {
            c
        } else {
            v
        };
        if l.chords {
            chord_rhythm(&mut p, tl, i, pat, play);
        } else {
            pattern_line(&mut p, tl, i, pat, play);
        }
    }
    humanize(&mut p, rng, 0.006, 7.0);
    p
}

/// Bass notes on the kick hits, long, with octave-range glides (808 style).
fn sub808(tl: &Timeline, rng: &mut Rng, kicks: &[&str], channel: u8) -> Part {
    let mut p = Part::new("808", channel, *rng.pick(&[38, 39, 38, 87]));
    p.bend_range = 12;
    p.reverb = 10;
    let pat = *rng.pick(kicks);
    let glide = rng.chance(0.6);
    for (i, b) in tl.bars.iter().enumerate() {
        if matches!(b.section, Section::Intro | Section::Break) {
            continue;
        }
        let steps: Vec<char> = pat.chars().collect();
        let step = f64::from(tl.bpb) / steps.len() as f64;
        let onsets: Vec<usize> = (0..steps.len()).filter(|&k| steps[k] != '.').collect();
        for (k, &s) in onsets.iter().enumerate() {
            let beat = tl.bar_start(i) + s as f64 * step;
            let next = onsets
                .get(k + 1)
                .map(|&n| n as f64 * step)
                .unwrap_or(f64::from(tl.bpb));
            let len = next - s as f64 * step;
            let chord = tl.chord_at(beat + 1e-6);
            let root = chord.root_at(28);
            let key = if rng.chance(0.15) { root + 12 } else { root };
            p.note(beat, len * 0.95, key, 112);
            if glide && rng.chance(0.25) && len > 0.5 {
                // slide up or down an octave at the tail
                let up = if rng.chance(0.5) { 8191 } else { -8192 };
                let t0 = beat + len * 0.6;
                for j in 0..6 {
                    let v = (f64::from(up) * f64::from(j) / 5.0) as i16;
                    p.bends.push((t0 + f64::from(j) * len * 0.05, v));
                }
                p.bends.push((beat + len * 0.98, 0));
            }
        }
    }
    p
}

/// Palm-muted/open power-chord riff: per song a 16-step riff of
/// (offset from the chord root, open?) repeated over the changes.
///
/// `riff_seed` fixes the riff, so two guitars given the same seed double-track
/// one riff (their humanisation still differs).
fn power_riff(
    tl: &Timeline,
    rng: &mut Rng,
    mut p: Part,
    riff_seed: u64,
    rhythm: &str,
    low: i32,
) -> Part {
    p.reverb = rng.int(10, 50) as u8;
    let mut riff = Rng::new(riff_seed);
    let steps: Vec<char> = rhythm.chars().collect();
    let n = steps.len();
    let step = f64::from(tl.bpb) / n as f64;
    let offsets: Vec<i32> = (0..n)
        .map(|_| {
            if riff.chance(0.75) {
                0
            } else {
                *riff.pick(&[1, 3, 5, 6, 7, 10, 12])
            }
        })
        .collect();
    for (i, b) in tl.bars.iter().enumerate() {
        if b.section == Section::Break && riff.chance(0.5) {
            continue;
        }
        for (s, &c) in steps.iter().enumerate() {
            if c == '.' || c == '-' {
                continue;
            }
            let mut len = 1;
            while s + len < n && steps[s + len] == '-' {
                len += 1;
            }
            let beat = tl.bar_start(i) + s as f64 * step;
            let root = tl.chord_at(beat + 1e-6).root_at(low) + offsets[s];
            let open = c == 'X';
            let dur = if open {
                len as f64 * step * 0.95
            } else {
                (len as f64 * step * 0.45).min(0.2)
            };
            let vel = if open { 118 } else { 92 };
            for iv in [0, 7, 12] {
                p.note(beat, dur, root + iv, vel);
            }
        }
    }
    humanize(&mut p, rng, 0.004, 5.0);
    p
}

/// Tremolo-picked single notes (black-metal / thrash leads).
fn tremolo(tl: &Timeline, key: Key, rng: &mut Rng, channel: u8, program: u8) -> Part {
    let mut p = Part::new("tremolo", channel, program);
    p.pan = 90;
    let scale = key.scale();
    let sub = *rng.pick(&[0.25, 0.125]);
    for (i, b) in tl.bars.iter().enumerate() {
        if !matches!(b.section, Section::Chorus | Section::Solo | Section::Outro) {
            continue;
        }
        for beat in 0..tl.bpb {
            let root = tl.chord_at(tl.bar_start(i) + f64::from(beat)).root_at(52);
            let deg = scale[rng.below(7)];
            let k = root + deg % 12;
            let start = tl.bar_start(i) + f64::from(beat);
            let mut t = 0.0;
            while t < 1.0 - 1e-9 {
                p.note(start + t, sub * 0.9, k, 90 + rng.int(0, 15) as i32);
                t += sub;
            }
        }
    }
    p
}

/// 16th-note arpeggio over the chord tones (synth pop, euro disco, trap bells).
fn arp(
    tl: &Timeline,
    rng: &mut Rng,
    channel: u8,
    programs: &[u8],
    low: i32,
    sections: &[Section],
) -> Part {
    let mut p = Part::new("arp", channel, *rng.pick(programs));
    p.pan = rng.int(30, 100) as u8;
    p.reverb = rng.int(40, 90) as u8;
    let sub = *rng.pick(&[0.25, 0.5]);
    const ORDERS: [[usize; 4]; 4] = [[0, 1, 2, 3], [0, 2, 1, 3], [3, 2, 1, 0], [0, 1, 2, 1]];
    let order: [usize; 4] = *rng.pick(&ORDERS);
    for (i, b) in tl.bars.iter().enumerate() {
        if !sections.contains(&b.section) {
            continue;
        }
        let mut t = 0.0;
        let mut k = 0;
        while t < f64::from(tl.bpb) - 1e-9 {
            let beat = tl.bar_start(i) + t;
            let v = tl.chord_at(beat + 1e-6).voicing(low);
            let idx = order[k % order.len()];
            let key = if idx < v.len() { v[idx] } else { v[0] + 12 };
            p.note(beat, sub * 0.8, key, 80 + if k % 4 == 0 { 15 } else { 0 });
            t += sub;
            k += 1;
        }
    }
    p
}

/// Dub echo: delayed, decaying copies of a part's notes.
fn echo(part: &mut Part, delay: f64, repeats: usize) {
    let orig = part.notes.clone();
    for r in 1..=repeats {
        for n in &orig {
            let mut e = n.clone();
            e.beat += delay * r as f64;
            e.vel = (f64::from(e.vel) * 0.55f64.powi(r as i32)).max(8.0) as u8;
            part.notes.push(e);
        }
    }
}

/// Writes the accompaniment of `style` over the timeline. Uses channels 0–5
/// and 9, leaving 6–8 and 10–15 for melody and vocal layers.
pub fn band(style: BandStyle, tl: &Timeline, key: Key, rng: &mut Rng) -> Vec<Part> {
    use BandStyle::*;
    let mut parts = Vec::new();
    let mut r = |tag: &str| rng.fork(tag);
    match style {
        BoomBap | LoFi | GFunk | OldSchool => {
            let sw = match style {
                OldSchool => 0.5,
                _ => r("sw").range(0.54, 0.63),
            };
            let kicks: &[&str] = &[
                "X.....x...X.....",
                "X..x......X..x..",
                "X.....X.x.......",
                "X......X..X.....",
                "X.x.......X..x..",
            ];
            let kick = *r("k").pick(kicks);
            let (hat, kit): (&str, &[u8]) = match style {
                LoFi => ("x.o.x.o.x.o.x.o.", &[0, 8, 32, 40]),
                GFunk => ("xoxoxoxoxoxoxoxo", &[0, 25, 24]),
                OldSchool => ("x.x.x.x.x.x.x.x.", &[25, 24]),
                _ => ("x.x.x.x.x.x.x.xo", &[0, 8, 16, 25]),
            };
            let snare = if style == LoFi { RIM } else { SNARE };
            let back = if matches!(style, GFunk | OldSchool) {
                CLAP
            } else {
                snare
            };
            let verse = [(kick, KICK), ("....X.......X...", back), (hat, CHH)];
            let chorus = [
                (kick, KICK),
                ("....X.......X..o", back),
                (hat, CHH),
                ("..............x.", OHH),
            ];
            let cow = [
                (kick, KICK),
                ("....X.......X...", back),
                (hat, CHH),
                ("x..x..x...x.x...", COWBELL),
            ];
            let d = Drums {
                verse: &verse,
                chorus: if style == OldSchool { &cow } else { &chorus },
                brk: &[("x.x.x.x.x.x.x.x.", CHH)],
                kit,
                vel: if style == LoFi { 70 } else { 92 },
                fills: false,
                crash: CRASH,
            };
            parts.push(drum_part(&d, tl, &mut r("drums"), sw));
            let bass_pat: String = kick
                .chars()
                .map(|c| if c == '.' { '-' } else { 'R' })
                .collect();
            let bass_pats: Vec<&str> = vec![&bass_pat, "R-----R-R-----O-", "R--.R-F-R---.-R."];
            let bass_progs: &[u8] = match style {
                LoFi => &[32, 33, 35],
                GFunk | OldSchool => &[38, 39, 87],
                _ => &[33, 34, 38, 39, 32],
            };
            parts.push(layer(
                &Layer {
                    name: "bass",
                    channel: 0,
                    programs: bass_progs,
                    verse: &bass_pats,
                    chorus: &bass_pats,
                    low: 28,
                    vel: 100,
                    gate: 0.9,
                    chords: false,
                    sections: MAIN,
                    pan: 64,
                },
                tl,
                &mut r("bass"),
                sw,
            ));
            // the "sample": a short chord loop on keys/strings/guitar/vibes
            let loop_progs: &[u8] = match style {
                LoFi => &[4, 5, 0, 26, 11],
                GFunk => &[4, 5, 89, 48],
                OldSchool => &[61, 62, 55, 50],
                _ => &[4, 5, 0, 11, 48, 49, 26, 24, 61],
            };
            let loop_pats: &[&str] = &[
                "X-------..x-----",
                "X--x--x-----x---",
                "x.......x..x....",
                "X---------------",
                "..x...x...x...x.",
            ];
            parts.push(layer(
                &Layer {
                    name: "loop",
                    channel: 1,
                    programs: loop_progs,
                    verse: loop_pats,
                    chorus: loop_pats,
                    low: 55,
                    vel: 78,
                    gate: 0.95,
                    chords: true,
                    sections: ALL,
                    pan: rng_pan(&mut r("pan")),
                },
                tl,
                &mut r("loop"),
                sw,
            ));
            if r("pad").chance(0.5) {
                parts.push(layer(
                    &Layer {
                        name: "pad",
                        channel: 2,
                        programs: &[89, 88, 48, 52, 91, 95],
                        verse: &["X---------------"],
                        chorus: &["X---------------"],
                        low: 60,
                        vel: 60,
                        gate: 1.0,
                        chords: true,
                        sections: FULL,
                        pan: 64,
                    },
                    tl,
                    &mut r("padl"),
                    0.5,
                ));
            }
        }
        Trap | Drill => {
            let mut hr = r("hats");
            let kick = if style == Trap {
                *hr.pick(&[
                    "X.....X...X.....",
                    "X......X..X..X..",
                    "X.........X.....",
                    "X..X......X.....",
                ])
            } else {
                *hr.pick(&["X.........X.....", "X......X........", "X..........X...."])
            };
            let snare = if style == Trap {
                "........X......."
            } else {
                *hr.pick(&["........X....X..", "........X.....X."])
            };
            // hi-hat rolls: random steps become triplet/32nd/quad rolls
            let hats: Vec<String> = (0..4)
                .map(|_| {
                    let base = if style == Drill {
                        "x..x..x.x..x..x."
                    } else {
                        *hr.pick(&["x.x.x.x.x.x.x.x.", "xxxxxxxxxxxxxxxx", "x.xxx.xxx.xxx.xx"])
                    };
                    base.chars()
                        .map(|c| {
                            if c == 'x' && hr.chance(0.15) {
                                *hr.pick(&['r', 'R', 'q'])
                            } else {
                                c
                            }
                        })
                        .collect()
                })
                .collect();
            let v1 = [
                (kick, KICK),
                (snare, CLAP),
                (snare, SNARE),
                (hats[0].as_str(), CHH),
            ];
            let c1 = [
                (kick, KICK),
                (snare, CLAP),
                (snare, SNARE),
                (hats[1].as_str(), CHH),
                ("..........x.....", OHH),
            ];
            let d = Drums {
                verse: &v1,
                chorus: &c1,
                brk: &[(hats[2].as_str(), CHH)],
                kit: &[25, 25, 24, 0],
                vel: 92,
                fills: false,
                crash: CRASH,
            };
            parts.push(drum_part(&d, tl, &mut r("drums"), 0.5));
            parts.push(sub808(
                tl,
                &mut r("808"),
                &[kick, "X-------X-------", "X-----X---X-----"],
                0,
            ));
            parts.push(arp(
                tl,
                &mut r("bells"),
                1,
                &[10, 11, 9, 0, 46, 80, 24, 98],
                60,
                ALL,
            ));
            parts.push(layer(
                &Layer {
                    name: "pad",
                    channel: 2,
                    programs: &[89, 90, 95, 48, 52, 49, 19],
                    verse: &["X---------------"],
                    chorus: &["X---------------"],
                    low: 55,
                    vel: 62,
                    gate: 1.0,
                    chords: true,
                    sections: ALL,
                    pan: 64,
                },
                tl,
                &mut r("pad"),
                0.5,
            ));
        }
        Thrash | DoubleKick | Blast | Doom | PowerMetal | GrooveMetal | Gallop | HardRock
        | Punk => {
            let (verse, chorus, rhythm): MetalSpec = match style {
                Thrash => (
                    vec![
                        ("X...X...X...X...", KICK),
                        ("..X...X...X...X.", SNARE),
                        ("x.x.x.x.x.x.x.x.", CHH),
                    ],
                    vec![
                        ("xxxxxxxxxxxxxxxx", KICK),
                        ("....X.......X...", SNARE),
                        ("x...x...x...x...", CHINA),
                    ],
                    *r("rh").pick(&["xxxxxxxxXxxxxxxx", "X.xxX.xxX.xxXxxx", "xxxxX-xxxxxxX---"]),
                ),
                DoubleKick => (
                    vec![
                        ("XxXxXxXxXxXxXxXx", KICK),
                        ("....X.......X...", SNARE),
                        ("x.x.x.x.x.x.x.x.", RIDE),
                    ],
                    vec![
                        ("XxXxXxXxXxXxXxXx", KICK),
                        ("....X.......X...", SNARE),
                        ("x.x.x.x.x.x.x.x.", CHINA),
                    ],
                    *r("rh").pick(&["x.xx.xx.X---x.xx", "xxx.xxx.X-------", "x.x.xx.xX---xx.x"]),
                ),
                Blast => (
                    vec![
                        ("X.X.X.X.X.X.X.X.", KICK),
                        (".x.x.x.x.x.x.x.x", SNARE),
                        ("x.x.x.x.x.x.x.x.", RIDE),
                    ],
                    vec![
                        ("xxxxxxxxxxxxxxxx", KICK),
                        ("x.x.x.x.x.x.x.x.", SNARE),
                        ("x.x.x.x.x.x.x.x.", CRASH),
                    ],
                    "xxxxxxxxxxxxxxxx",
                ),
                Doom => (
                    vec![
                        ("X.......X.x.....", KICK),
                        ("........X.......", SNARE),
                        ("x...x...x...x...", RIDE),
                    ],
                    vec![
                        ("X.......X.x.....", KICK),
                        ("........X.......", SNARE),
                        ("x...x...x...x...", CRASH),
                    ],
                    *r("rh").pick(&["X-------X-------", "X-----------X---", "X---X---X-------"]),
                ),
                PowerMetal | Gallop => (
                    vec![
                        (
                            if style == Gallop {
                                "X.xxX.xxX.xxX.xx"
                            } else {
                                "XxXxXxXxXxXxXxXx"
                            },
                            KICK,
                        ),
                        ("....X.......X...", SNARE),
                        ("x.x.x.x.x.x.x.x.", CHH),
                    ],
                    vec![
                        ("XxXxXxXxXxXxXxXx", KICK),
                        ("....X.......X...", SNARE),
                        ("x.x.x.x.x.x.x.x.", RIDE),
                    ],
                    "X.xxX.xxX.xxX.xx",
                ),
                GrooveMetal => (
                    vec![
                        ("X..X..X.X.......", KICK),
                        ("........X.......", SNARE),
                        ("x.x.x.x.x.x.x.x.", CHH),
                    ],
                    vec![
                        ("X..X..X.X..X.XX.", KICK),
                        ("....X.......X...", SNARE),
                        ("x...x...x...x...", CHINA),
                    ],
                    *r("rh").pick(&["X..x.X..xx.X.x..", "X-.x.x..X-..x.xx", "xx.xX-..xx.xX-.."]),
                ),
                Punk => (
                    vec![
                        ("X.x.X.x.X.x.X.x.", KICK),
                        ("....X.......X...", SNARE),
                        ("x.x.x.x.x.x.x.x.", CHH),
                    ],
                    vec![
                        ("X...X...X...X...", KICK),
                        ("..X...X...X...X.", SNARE),
                        ("x.x.x.x.x.x.x.x.", CRASH),
                    ],
                    "X.X.X.X.X.X.X.X.",
                ),
                _ => (
                    vec![
                        ("X.....X.X.......", KICK),
                        ("....X.......X...", SNARE),
                        ("x.x.x.x.x.x.x.x.", CHH),
                    ],
                    vec![
                        ("X.....X.X.x.....", KICK),
                        ("....X.......X...", SNARE),
                        ("x.x.x.x.x.x.x.x.", RIDE),
                    ],
                    *r("rh").pick(&["X-x.X-x.X-x.X-x.", "X---X-x.X---x-x.", "X.X.X.X.X.X.X.X."]),
                ),
            };
            let kit: &[u8] = &[16, 0, 8, 16];
            let d = Drums {
                verse: &verse,
                chorus: &chorus,
                brk: &[("x.x.x.x.x.x.x.x.", CHH), ("X...............", KICK)],
                kit,
                vel: 100,
                fills: true,
                crash: CRASH,
            };
            parts.push(drum_part(&d, tl, &mut r("drums"), 0.5));
            let hard = !matches!(style, HardRock | Punk);
            // Gain is what tells rock from metal most plainly: overdrive
            // for rock and punk, high-gain distortion (and a lower tuning)
            // for metal, each with the other now and then.
            let gtr = if hard {
                *r("g").pick(&[30, 30, 30, 29])
            } else {
                *r("g").pick(&[29, 29, 29, 30])
            };
            let low = if hard {
                *r("low").pick(&[35, 36, 38, 40, 40])
            } else {
                40
            };
            let riff_seed = r("riff").next_u64();
            let mut left = Part::new("gtr-l", 1, gtr);
            left.pan = 20;
            let mut right = Part::new("gtr-r", 2, gtr);
            right.pan = 108;
            parts.push(power_riff(tl, &mut r("gl"), left, riff_seed, rhythm, low));
            parts.push(power_riff(tl, &mut r("gr"), right, riff_seed, rhythm, low));
            let bass_pat: String = rhythm
                .chars()
                .map(|c| {
                    if c == '.' {
                        '.'
                    } else if c == '-' {
                        '-'
                    } else {
                        'R'
                    }
                })
                .collect();
            parts.push(layer(
                &Layer {
                    name: "bass",
                    channel: 0,
                    programs: &[33, 34, 34, 38],
                    verse: &[&bass_pat],
                    chorus: &[&bass_pat],
                    low: low - 12 + 12 * i32::from(low < 36),
                    vel: 105,
                    gate: 0.8,
                    chords: false,
                    sections: MAIN,
                    pan: 64,
                },
                tl,
                &mut r("bass"),
                0.5,
            ));
            if matches!(style, Blast | Thrash) || r("trem").chance(0.2) {
                parts.push(tremolo(tl, key, &mut r("tremolo"), 3, gtr));
            }
            if matches!(style, PowerMetal | Doom) || r("keys").chance(0.2) {
                parts.push(layer(
                    &Layer {
                        name: "keys",
                        channel: 4,
                        programs: &[48, 49, 50, 19, 52, 90],
                        verse: &["X---------------"],
                        chorus: &["X---------------"],
                        low: 55,
                        vel: 70,
                        gate: 1.0,
                        chords: true,
                        sections: FULL,
                        pan: 64,
                    },
                    tl,
                    &mut r("keysl"),
                    0.5,
                ));
            }
        }
        AltRock => {
            let verse = [
                ("X.......X.x.....", KICK),
                ("....x.......x...", RIM),
                ("x.x.x.x.x.x.x.x.", CHH),
            ];
            let chorus = [
                ("X.....X.X.x.....", KICK),
                ("....X.......X...", SNARE),
                ("x.x.x.x.x.x.x.x.", CRASH),
            ];
            let d = Drums {
                verse: &verse,
                chorus: &chorus,
                brk: &[("x.x.x.x.x.x.x.x.", CHH)],
                kit: &[0, 8, 16],
                vel: 95,
                fills: true,
                crash: CRASH,
            };
            parts.push(drum_part(&d, tl, &mut r("drums"), 0.5));
            // quiet verse: clean arpeggios; loud chorus: distorted chords
            parts.push(arp(
                tl,
                &mut r("clean"),
                1,
                &[27, 28, 26, 25],
                52,
                &[Section::Intro, Section::Verse, Section::Break],
            ));
            let dist = *r("g").pick(&[29, 30]);
            let mut g = Part::new("gtr", 2, dist);
            g.pan = 30;
            let riff_seed = r("riff").next_u64();
            let mut p = power_riff(tl, &mut r("dist"), g, riff_seed, "X-------X---X---", 40);
            p.notes.retain(|n| {
                matches!(
                    tl.section_at(n.beat + 0.01),
                    Section::Chorus | Section::Solo | Section::Outro
                )
            });
            parts.push(p);
            parts.push(layer(
                &Layer {
                    name: "bass",
                    channel: 0,
                    programs: &[33, 34],
                    verse: &["R-------R---R---", "R.R.R.R.R.R.R.R."],
                    chorus: &["R.R.R.R.R.R.R.R."],
                    low: 28,
                    vel: 100,
                    gate: 0.85,
                    chords: false,
                    sections: MAIN,
                    pan: 64,
                },
                tl,
                &mut r("bass"),
                0.5,
            ));
        }
        OneDrop | Steppers | Rockers | Roots | Dub | Lovers => {
            let sw = r("sw").range(0.52, 0.62);
            let kick = match style {
                Steppers => "X...X...X...X...",
                Rockers => "X.......X.......",
                _ => "........X.......",
            };
            let hat = match style {
                Rockers => "x.xxx.xxx.xxx.xx",
                Steppers => "xoxoxoxoxoxoxoxo",
                _ => "x.x.x.x.x.x.x.x.",
            };
            let back = *r("rim").pick(&[RIM, RIM, SNARE]);
            let verse = [(kick, KICK), ("........X.......", back), (hat, CHH)];
            let chorus = [
                (kick, KICK),
                ("........X.......", back),
                (hat, CHH),
                ("......x.......x.", OHH),
            ];
            let perc = [
                (kick, KICK),
                ("........X.......", back),
                (hat, CHH),
                ("x..x..x.x..x..x.", CONGA_HI),
                ("......x.......x.", CONGA_LO),
            ];
            let d = Drums {
                verse: &verse,
                chorus: if style == Roots { &perc } else { &chorus },
                brk: &[(hat, CHH), ("........X.......", back)],
                kit: &[0, 8, 0, 32],
                vel: 90,
                fills: true,
                crash: CRASH,
            };
            parts.push(drum_part(&d, tl, &mut r("drums"), sw));
            let bass_pats: &[&str] = &[
                "R-..R.F-O...R.L.",
                "R--.R-...F-.O-..",
                "R-.RF-..R-..T-F.",
                "R.R.F.R.R.O.F.R.",
                "R---..R-F-..R-..",
            ];
            parts.push(layer(
                &Layer {
                    name: "bass",
                    channel: 0,
                    programs: &[33, 34, 38, 32, 35],
                    verse: bass_pats,
                    chorus: bass_pats,
                    low: 28,
                    vel: 112,
                    gate: 0.9,
                    chords: false,
                    sections: MAIN,
                    pan: 64,
                },
                tl,
                &mut r("bass"),
                sw,
            ));
            // the skank on 2 and 4 (doubled as 16ths sometimes)
            let mut skank = layer(
                &Layer {
                    name: "skank",
                    channel: 1,
                    programs: &[27, 28, 26, 24, 25],
                    verse: &["....x.......x...", "....xx......xx.."],
                    chorus: &["....x.......x...", "....xx......xx.."],
                    low: 60,
                    vel: 88,
                    gate: 0.35,
                    chords: true,
                    sections: ALL,
                    pan: rng_pan(&mut r("p")),
                },
                tl,
                &mut r("skank"),
                sw,
            );
            if style == Dub {
                let beat = 0.75;
                echo(&mut skank, beat, 3);
            }
            parts.push(skank);
            // organ bubble
            if style != Dub || r("b").chance(0.5) {
                parts.push(layer(
                    &Layer {
                        name: "bubble",
                        channel: 2,
                        programs: &[16, 17, 18, 16],
                        verse: &["..xx..xx..xx..xx", ".x.x.x.x.x.x.x.x"],
                        chorus: &["..xx..xx..xx..xx"],
                        low: 55,
                        vel: 62,
                        gate: 0.5,
                        chords: true,
                        sections: MAIN,
                        pan: rng_pan(&mut r("p2")),
                    },
                    tl,
                    &mut r("bubble"),
                    sw,
                ));
            }
            if matches!(style, Lovers | Roots) {
                parts.push(layer(
                    &Layer {
                        name: "keys",
                        channel: 3,
                        programs: &[4, 5, 48, 89, 0],
                        verse: &["X-------X-------"],
                        chorus: &["X---------------"],
                        low: 60,
                        vel: 60,
                        gate: 1.0,
                        chords: true,
                        sections: FULL,
                        pan: 64,
                    },
                    tl,
                    &mut r("keys"),
                    sw,
                ));
            }
        }
        DiscoClassic | Philly | FunkDisco | EuroDisco | Boogie | DancePop | SynthPop => {
            let four = "X...X...X...X...";
            let kick = if style == SynthPop && r("k").chance(0.5) {
                "X.....X.X......."
            } else {
                four
            };
            let back = if matches!(style, EuroDisco | DancePop | Boogie) {
                CLAP
            } else {
                SNARE
            };
            // Disco's open hi-hat on every off-beat and its hand percussion
            // belong to disco; pop's dance beats keep closed hats.
            let pop = matches!(style, DancePop | SynthPop);
            let verse: Vec<(&str, i32)> = if pop {
                vec![
                    (kick, KICK),
                    ("....X.......X...", back),
                    ("x.x.x.x.x.x.x.x.", CHH),
                ]
            } else {
                vec![
                    (kick, KICK),
                    ("....X.......X...", back),
                    ("x.x.x.x.x.x.x.x.", CHH),
                    ("..X...X...X...X.", OHH),
                ]
            };
            let chorus_perc: Vec<(&str, i32)> = if pop {
                vec![
                    (kick, KICK),
                    ("....X.......X...", back),
                    ("xoxoxoxoxoxoxoxo", CHH),
                    ("..............x.", OHH),
                ]
            } else {
                vec![
                    (kick, KICK),
                    ("....X.......X...", back),
                    ("..X...X...X...X.", OHH),
                    (
                        "xoxoxoxoxoxoxoxo",
                        if style == Philly { TAMB } else { SHAKER },
                    ),
                    ("x..x..x...x..x..", CONGA_HI),
                ]
            };
            let kit: &[u8] = match style {
                EuroDisco | SynthPop | DancePop => &[24, 25, 0],
                _ => &[0, 8, 0, 24],
            };
            let d = Drums {
                verse: &verse,
                chorus: &chorus_perc,
                brk: &[(kick, KICK), ("..X...X...X...X.", OHH)],
                kit,
                vel: 95,
                fills: style != DancePop,
                crash: CRASH,
            };
            parts.push(drum_part(&d, tl, &mut r("drums"), 0.5));
            let (bass_progs, bass_pats): (&[u8], &[&str]) = match style {
                FunkDisco => (&[36, 37, 33], &["R.xR..O.R.rR.O..", "R..R.O.RR..O.R.o"]),
                EuroDisco => (&[38, 39, 81], &["RORORORORORORORO", "R.O.R.O.R.O.R.O."]),
                DancePop => (&[38, 39, 33], &["..R...R...R...R.", "R..R..R.R..R..R."]),
                SynthPop => (&[38, 39, 87], &["R.R.R.R.R.R.R.R.", "R-R-O-R-R-R-F-R-"]),
                Philly => (&[33, 34, 32], &["R..R.O.R-.R.FO.R", "R.O.R.O.R.O.R.O."]),
                _ => (
                    &[33, 34, 38, 39, 36],
                    &["R.O.R.O.R.O.R.O.", "RO.ORO.ORO.ORO.O"],
                ),
            };
            parts.push(layer(
                &Layer {
                    name: "bass",
                    channel: 0,
                    programs: bass_progs,
                    verse: bass_pats,
                    chorus: bass_pats,
                    low: 28,
                    vel: 105,
                    gate: 0.7,
                    chords: false,
                    sections: MAIN,
                    pan: 64,
                },
                tl,
                &mut r("bass"),
                0.5,
            ));
            // strings: stabs in the verse, pads/swells in the chorus
            let string_progs: &[u8] = match style {
                EuroDisco => &[50, 51, 90, 89, 62, 63],
                SynthPop | DancePop => &[89, 88, 90, 91, 50, 95],
                _ => &[48, 49, 50, 48],
            };
            parts.push(layer(
                &Layer {
                    name: "strings",
                    channel: 1,
                    programs: string_progs,
                    verse: &["X.....x.....x...", "....x.......x...", "X-------........"],
                    chorus: &["X---------------", "X-------X-------"],
                    low: 60,
                    vel: 80,
                    gate: 0.9,
                    chords: true,
                    sections: ALL,
                    pan: rng_pan(&mut r("p")),
                },
                tl,
                &mut r("strings"),
                0.5,
            ));
            if matches!(style, DiscoClassic | FunkDisco | Philly | Boogie) {
                // chicken-scratch guitar / clav
                parts.push(layer(
                    &Layer {
                        name: "scratch",
                        channel: 2,
                        programs: if style == FunkDisco {
                            &[7, 28]
                        } else {
                            &[28, 27, 7]
                        },
                        verse: &["x.xx.x.xx.x.x.xx", ".x.x.x.x.x.x.x.x", "xoxoxoxoxoxoxoxo"],
                        chorus: &["x.xx.x.xx.x.x.xx", "xoxoxoxoxoxoxoxo"],
                        low: 62,
                        vel: 78,
                        gate: 0.3,
                        chords: true,
                        sections: MAIN,
                        pan: rng_pan(&mut r("p2")),
                    },
                    tl,
                    &mut r("scratch"),
                    0.5,
                ));
            }
            if matches!(style, Philly | DiscoClassic) || r("brass").chance(0.3) {
                parts.push(layer(
                    &Layer {
                        name: "brass",
                        channel: 3,
                        programs: &[61, 62, 56, 57, 63],
                        verse: &["..............X.", "X..X............"],
                        chorus: &["X.....X.....X...", "..X...X...X.X..."],
                        low: 58,
                        vel: 95,
                        gate: 0.4,
                        chords: true,
                        sections: FULL,
                        pan: 64,
                    },
                    tl,
                    &mut r("brass"),
                    0.5,
                ));
            }
            if pop {
                // the song's chords on piano or electric piano
                parts.push(layer(
                    &Layer {
                        name: "keys",
                        channel: 5,
                        programs: &[0, 4, 5, 1, 0],
                        verse: &["X..X..X.X..X..X.", "X.......X.......", "X...X...X...X..."],
                        chorus: &["X..X..X.X..X..X.", "X.X.X.X.X.X.X.X."],
                        low: 55,
                        vel: 82,
                        gate: 0.8,
                        chords: true,
                        sections: ALL,
                        pan: rng_pan(&mut r("p3")),
                    },
                    tl,
                    &mut r("keys"),
                    0.5,
                ));
            }
            if matches!(style, EuroDisco | SynthPop | DancePop | Boogie) {
                parts.push(arp(
                    tl,
                    &mut r("arp"),
                    4,
                    &[81, 80, 82, 84, 5, 0, 98],
                    60,
                    MAIN,
                ));
            }
        }
        ModernCountry => {
            let verse = [
                ("X.......X.x.....", KICK),
                ("....X.......X...", SNARE),
                ("x.x.x.x.x.x.x.x.", CHH),
            ];
            let chorus = [
                ("X.....X.X.x.....", KICK),
                ("....X.......X...", SNARE),
                ("x.x.x.x.x.x.x.x.", RIDE),
                ("xoxoxoxoxoxoxoxo", SHAKER),
            ];
            let d = Drums {
                verse: &verse,
                chorus: &chorus,
                brk: &[("x.x.x.x.x.x.x.x.", CHH)],
                kit: &[0, 8, 0],
                vel: 92,
                fills: true,
                crash: CRASH,
            };
            parts.push(drum_part(&d, tl, &mut r("drums"), 0.5));
            parts.push(layer(
                &Layer {
                    name: "strum",
                    channel: 1,
                    programs: &[25, 25, 24],
                    verse: &["X.x.x-x.X.x.x-x.", "X..xX.x.X..xX.x."],
                    chorus: &["X.x.x-x.X.x.x-x."],
                    low: 52,
                    vel: 85,
                    gate: 0.9,
                    chords: true,
                    sections: ALL,
                    pan: 40,
                },
                tl,
                &mut r("strum"),
                0.5,
            ));
            parts.push(layer(
                &Layer {
                    name: "bass",
                    channel: 0,
                    programs: &[33, 32, 34],
                    verse: &["R.......F.......", "R...F...R...F..."],
                    chorus: &["R...F...R...F.A."],
                    low: 28,
                    vel: 100,
                    gate: 0.8,
                    chords: false,
                    sections: MAIN,
                    pan: 64,
                },
                tl,
                &mut r("bass"),
                0.5,
            ));
            if r("banjo").chance(0.4) {
                parts.push(arp(tl, &mut r("banjo-arp"), 2, &[105, 24, 25], 60, MAIN));
            } else {
                parts.push(layer(
                    &Layer {
                        name: "electric",
                        channel: 2,
                        programs: &[27, 26, 29],
                        verse: &["X-------X-------"],
                        chorus: &["X---X---X---X---"],
                        low: 52,
                        vel: 80,
                        gate: 0.95,
                        chords: true,
                        sections: FULL,
                        pan: 96,
                    },
                    tl,
                    &mut r("el"),
                    0.5,
                ));
            }
        }
    }
    parts
}

fn rng_pan(r: &mut Rng) -> u8 {
    r.int(24, 104) as u8
}

#[cfg(test)]
mod tests {
    use super::super::arrange::build_form;
    use super::super::theory::progression;
    use super::*;

    #[test]
    fn every_style_writes_notes() {
        use BandStyle::*;
        for style in [
            BoomBap,
            Trap,
            LoFi,
            GFunk,
            Drill,
            OldSchool,
            Thrash,
            DoubleKick,
            Blast,
            Doom,
            PowerMetal,
            GrooveMetal,
            Gallop,
            OneDrop,
            Steppers,
            Rockers,
            Roots,
            Dub,
            Lovers,
            DiscoClassic,
            Philly,
            FunkDisco,
            EuroDisco,
            Boogie,
            HardRock,
            Punk,
            AltRock,
            SynthPop,
            DancePop,
            ModernCountry,
        ] {
            let mut r = Rng::new(5);
            let key = Key {
                tonic: 4,
                minor: true,
            };
            let (pv, pc) = progs(style);
            let v = progression(pv, key, &mut r);
            let c = progression(pc, key, &mut r);
            let tl = build_form(&v, &c, 4, 24, &mut r);
            let parts = band(style, &tl, key, &mut r);
            assert!(parts.iter().any(|p| p.channel == 9), "{style:?} drums");
            assert!(parts.iter().all(|p| p.channel <= 9), "{style:?} channels");
            let notes: usize = parts.iter().map(|p| p.notes.len()).sum();
            assert!(notes > 100, "{style:?} wrote {notes}");
        }
    }
}
