//! Procedural classical textures: chorale voice-leading, Alberti-bass sonata,
//! loud full-orchestra tutti, string quartet, waltz, nocturne, baroque motor
//! rhythm, slow string adagio. No drums.
//!
//! Real orchestral recordings were classified as metal when the corpus had only
//! dry chamber music, so dynamics swing from quiet chamber passages to
//! fortissimo tutti (strings tremolo, brass, timpani) and the production chain
//! favours halls for this label.

use super::arrange::{MelodyOpts, Section, Timeline, humanize, melody, put_notes};
use super::midi::Part;
use super::plan::ClassicalStyle;
use super::rng::Rng;
use super::theory::{Chord, Key};

/// Dynamic level per bar: sections shape a long crescendo/decrescendo arc.
fn dynamic(tl: &Timeline, bar: usize) -> i32 {
    let b = &tl.bars[bar];
    let base = match b.section {
        Section::Intro => -18,
        Section::Verse => -8,
        Section::Chorus => 10,
        Section::Break => -25,
        Section::Solo => 0,
        Section::Outro => 6,
    };
    // crescendo within a section
    let mut k = 0;
    let mut j = bar;
    while j > 0 && !tl.bars[j].first {
        j -= 1;
        k += 1;
    }
    base + (k * 2).min(12)
}

/// Four voices (bass, tenor, alto, soprano) per chord, each moving to the
/// nearest chord tone in its range: simple but real voice-leading.
fn satb(chords: &[Chord]) -> Vec<[i32; 4]> {
    let ranges = [(36, 55), (48, 67), (55, 72), (60, 79)];
    let mut prev = [43, 55, 62, 67];
    let mut out = Vec::new();
    for c in chords {
        let mut v = [0; 4];
        v[0] = nearest(c, prev[0], ranges[0], true);
        for i in 1..4 {
            v[i] = nearest(c, prev[i], ranges[i], false);
        }
        // avoid all three upper voices on one pitch class: push alto to another tone
        if (v[2] - v[3]).rem_euclid(12) == 0 {
            v[2] = (ranges[2].0..=ranges[2].1)
                .filter(|&k| c.contains(k) && (k - v[3]).rem_euclid(12) != 0)
                .min_by_key(|&k| (k - prev[2]).abs())
                .unwrap_or(v[2]);
        }
        prev = v;
        out.push(v);
    }
    out
}

fn nearest(c: &Chord, prev: i32, range: (i32, i32), root: bool) -> i32 {
    (range.0..=range.1)
        .filter(|&k| {
            if root {
                (k - i32::from(c.root)).rem_euclid(12) == 0
            } else {
                c.contains(k)
            }
        })
        .min_by_key(|&k| (k - prev).abs())
        .unwrap_or(prev)
}

fn bar_chords(tl: &Timeline) -> Vec<(f64, f64, Chord, usize)> {
    let mut out = Vec::new();
    for (i, b) in tl.bars.iter().enumerate() {
        let len = f64::from(tl.bpb) / b.chords.len() as f64;
        for (k, c) in b.chords.iter().enumerate() {
            out.push((tl.bar_start(i) + k as f64 * len, len, *c, i));
        }
    }
    out
}

fn mel(
    tl: &Timeline,
    key: Key,
    rng: &mut Rng,
    low: i32,
    high: i32,
    density: f64,
    vel: i32,
) -> Vec<super::midi::Note> {
    let opts = MelodyOpts {
        low,
        high,
        density,
        swing: 0.5,
        blue: false,
        bends: false,
        vel,
        sections: vec![
            Section::Intro,
            Section::Verse,
            Section::Chorus,
            Section::Solo,
            Section::Outro,
        ],
    };
    let (mut notes, _) = melody(tl, key, &opts, rng);
    for n in &mut notes {
        let bar = (n.beat / f64::from(tl.bpb)) as usize;
        let d = dynamic(tl, bar.min(tl.bars.len() - 1));
        n.vel = (i32::from(n.vel) + d).clamp(20, 127) as u8;
    }
    notes
}

/// Writes the parts of a classical piece.
pub fn classical(style: ClassicalStyle, tl: &Timeline, key: Key, rng: &mut Rng) -> Vec<Part> {
    use ClassicalStyle::*;
    let mut parts: Vec<Part> = Vec::new();
    let chords = bar_chords(tl);
    let voices = satb(&chords.iter().map(|c| c.2).collect::<Vec<_>>());
    match style {
        Chorale | Adagio => {
            let ens: &[[u8; 4]] = if style == Chorale {
                &[
                    [42, 41, 40, 40],
                    [48, 48, 48, 48],
                    [19, 19, 19, 19],
                    [58, 57, 60, 56],
                    [70, 71, 68, 73],
                    [49, 49, 52, 52],
                ]
            } else {
                &[[43, 48, 48, 49], [42, 44, 48, 48], [43, 49, 49, 49]]
            };
            let progs = *rng.pick(ens);
            for v in 0..4 {
                let mut p = Part::new(&format!("voice{v}"), v as u8, progs[v]);
                p.pan = [50, 60, 70, 80][v];
                p.reverb = 90;
                for (k, (b, len, _, bar)) in chords.iter().enumerate() {
                    let vel = 72 + dynamic(tl, *bar) + if v == 3 { 8 } else { 0 };
                    p.note(*b, len * 0.98, voices[k][v], vel);
                }
                humanize(&mut p, rng, 0.01, 4.0);
                parts.push(p);
            }
            if style == Adagio {
                let mut m = Part::new("melody", 4, *rng.pick(&[60, 42, 68, 40, 71]));
                m.reverb = 100;
                put_notes(&mut m, &mel(tl, key, rng, 62, 81, 0.6, 82));
                parts.push(m);
            }
        }
        Alberti | Nocturne => {
            let prog = *rng.pick(&[0u8, 0, 1, 6, 0]);
            let mut lh = Part::new("lh", 0, prog);
            let fig: &[usize] = if style == Alberti {
                &[0, 2, 1, 2]
            } else {
                &[0, 1, 2, 3, 2, 1]
            };
            let sub = if style == Alberti {
                *rng.pick(&[0.25, 0.5])
            } else {
                0.5
            };
            for (b, len, c, bar) in &chords {
                let root = c.root_at(36 + if style == Alberti { 12 } else { 0 });
                let tones = if style == Alberti {
                    vec![root, root + if c.is_minor() { 3 } else { 4 }, root + 7]
                } else {
                    vec![
                        root,
                        root + 7,
                        root + 12 + if c.is_minor() { 3 } else { 4 },
                        root + 19,
                    ]
                };
                let mut t = 0.0;
                let mut k = 0;
                while t < len - 1e-9 {
                    let key_ = tones[fig[k % fig.len()] % tones.len()];
                    let hold = if style == Nocturne {
                        sub * 2.5
                    } else {
                        sub * 0.9
                    };
                    lh.note(b + t, hold, key_, 62 + dynamic(tl, *bar));
                    t += sub;
                    k += 1;
                }
            }
            humanize(&mut lh, rng, 0.01, 5.0);
            parts.push(lh);
            let mut rh = Part::new("rh", 1, prog);
            let density = if style == Alberti { 2.0 } else { 1.2 };
            put_notes(&mut rh, &mel(tl, key, rng, 67, 88, density, 80));
            humanize(&mut rh, rng, 0.012, 5.0);
            parts.push(rh);
        }
        Tutti => {
            // strings tremolo on the upper three voices
            let trem_prog = *rng.pick(&[44u8, 48, 48, 49]);
            let mut str_ = Part::new("strings", 0, trem_prog);
            str_.reverb = 110;
            let sub: f64 = if trem_prog == 44 {
                1.0
            } else {
                *rng.pick(&[0.125, 0.25])
            };
            for (k, (b, len, _, bar)) in chords.iter().enumerate() {
                let vel = 96 + dynamic(tl, *bar);
                for &key_ in &voices[k][1..4] {
                    let mut t = 0.0;
                    while t < len - 1e-9 {
                        str_.note(b + t, sub.min(*len - t) * 0.95, key_, vel);
                        t += sub;
                    }
                }
            }
            parts.push(str_);
            let mut lows = Part::new("basses", 1, *rng.pick(&[43u8, 42]));
            let mut brass = Part::new("brass", 2, *rng.pick(&[61u8, 60, 57, 61]));
            let mut tuba = Part::new("tuba", 3, 58);
            let mut timp = Part::new("timpani", 4, 47);
            for v in [&mut lows, &mut brass, &mut tuba, &mut timp] {
                v.reverb = 110;
            }
            for (k, (b, len, c, bar)) in chords.iter().enumerate() {
                let d = dynamic(tl, *bar);
                lows.note(*b, len * 0.95, voices[k][0] - 12, 100 + d);
                lows.note(*b, len * 0.95, voices[k][0], 96 + d);
                if d >= 0 {
                    for (v, &key_) in voices[k].iter().enumerate().skip(1) {
                        brass.note(*b, len * 0.9, key_ - 12 * i32::from(v == 3), 104 + d);
                    }
                    tuba.note(*b, len * 0.9, voices[k][0] - 12, 100 + d);
                    let r = c.root_at(41);
                    if tl.bars[*bar].last {
                        let mut t = 0.0;
                        while t < *len {
                            timp.note(b + t, 0.12, r, 70 + (t * 12.0) as i32);
                            t += 0.125;
                        }
                    } else {
                        timp.note(*b, 0.5, r, 110);
                    }
                }
            }
            parts.extend([lows, brass, tuba, timp]);
            let mut m = Part::new("melody", 5, *rng.pick(&[40u8, 48, 73, 68, 56, 60]));
            m.reverb = 110;
            put_notes(&mut m, &mel(tl, key, rng, 67, 88, 1.2, 100));
            parts.push(m.clone());
            // woodwinds double the melody an octave up
            let mut w = Part::new("winds", 6, *rng.pick(&[73u8, 72, 71, 68]));
            w.notes = m
                .notes
                .iter()
                .map(|n| {
                    let mut n = n.clone();
                    n.key = (n.key + 12).min(100);
                    n
                })
                .collect();
            parts.push(w);
        }
        Quartet => {
            let progs = [40u8, 40, 41, 42];
            let density = *rng.pick(&[1.0, 1.5, 2.0]);
            let mel_notes = mel(tl, key, rng, 67, 86, density, 82);
            for v in 0..4 {
                let mut p = Part::new(&format!("q{v}"), v as u8, progs[v]);
                p.pan = [30, 50, 78, 98][v];
                p.reverb = rng.int(30, 80) as u8;
                if v == 0 {
                    put_notes(&mut p, &mel_notes);
                } else {
                    let sub = if v == 3 { 1.0 } else { *rng.pick(&[0.5, 1.0]) };
                    let voice = 3 - v; // cello gets the bass, violin II the alto
                    for (k, (b, len, _, bar)) in chords.iter().enumerate() {
                        let mut t = 0.0;
                        while t < len - 1e-9 {
                            p.note(b + t, sub * 0.9, voices[k][voice], 70 + dynamic(tl, *bar));
                            t += sub;
                        }
                    }
                }
                humanize(&mut p, rng, 0.012, 5.0);
                parts.push(p);
            }
        }
        Waltz => {
            let orch = rng.chance(0.6);
            let (bass_p, chord_p, mel_p) = if orch {
                (
                    *rng.pick(&[43u8, 42]),
                    *rng.pick(&[48u8, 49, 45]),
                    *rng.pick(&[40u8, 73, 71, 48]),
                )
            } else {
                (0, 0, 0)
            };
            let mut bass = Part::new("bass", 0, bass_p);
            let mut ch = Part::new("oompah", 1, chord_p);
            for (k, (b, _len, c, bar)) in chords.iter().enumerate() {
                let d = dynamic(tl, *bar);
                let bar_start = tl.bar_start(*bar);
                if (*b - bar_start).abs() < 1e-9 {
                    bass.note(*b, 0.9, voices[k][0], 90 + d);
                    for beat in 1..tl.bpb {
                        for key_ in c.voicing(55) {
                            ch.note(b + f64::from(beat), 0.5, key_, 66 + d);
                        }
                    }
                }
            }
            humanize(&mut bass, rng, 0.01, 4.0);
            humanize(&mut ch, rng, 0.01, 4.0);
            parts.extend([bass, ch]);
            let mut m = Part::new("melody", 2, mel_p);
            put_notes(&mut m, &mel(tl, key, rng, 67, 88, 1.3, 88));
            parts.push(m);
        }
        Baroque => {
            let prog = *rng.pick(&[6u8, 48, 19, 20, 6, 40]);
            let mut run = Part::new("figuration", 0, prog);
            let mut bass = Part::new("continuo", 1, *rng.pick(&[42u8, 70, 6, 43]));
            let fig: &[&[i32]] = &[&[0, 1, 2, 1], &[0, 2, 1, 2], &[2, 1, 0, 1], &[0, 1, 2, 3]];
            let f = *rng.pick(fig);
            for (k, (b, len, c, bar)) in chords.iter().enumerate() {
                let d = dynamic(tl, *bar);
                let v = c.voicing(67);
                let mut t = 0.0;
                let mut i = 0;
                while t < len - 1e-9 {
                    let idx = f[i % f.len()] as usize;
                    let key_ = if idx < v.len() { v[idx] } else { v[0] + 12 };
                    run.note(b + t, 0.23, key_, 78 + d + if i % 4 == 0 { 8 } else { 0 });
                    t += 0.25;
                    i += 1;
                }
                // walking eighths in the bass: root, octave, passing tones
                let mut t = 0.0;
                let root = voices[k][0];
                let steps = [0, 12, 7, 12, 0, 5, 7, 4];
                let mut j = 0;
                while t < len - 1e-9 {
                    bass.note(b + t, 0.45, root + steps[j % steps.len()] - 12, 80 + d);
                    t += 0.5;
                    j += 1;
                }
            }
            humanize(&mut run, rng, 0.006, 4.0);
            humanize(&mut bass, rng, 0.006, 4.0);
            parts.extend([run, bass]);
            if rng.chance(0.5) {
                let mut m = Part::new("solo", 2, *rng.pick(&[40u8, 68, 73, 56, 71]));
                put_notes(&mut m, &mel(tl, key, rng, 65, 86, 1.5, 85));
                parts.push(m);
            }
        }
    }
    for p in &mut parts {
        if p.reverb == 40 {
            p.reverb = 85;
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::super::arrange::build_form;
    use super::super::theory::{ProgStyle, progression};
    use super::*;

    #[test]
    fn styles_write_no_drums() {
        use ClassicalStyle::*;
        for style in [
            Chorale, Alberti, Tutti, Quartet, Waltz, Nocturne, Baroque, Adagio,
        ] {
            let mut r = Rng::new(11);
            let key = Key {
                tonic: 2,
                minor: false,
            };
            let p = progression(ProgStyle::Classical, key, &mut r);
            let bpb = if style == Waltz { 3 } else { 4 };
            let tl = build_form(&p, &p, bpb, 16, &mut r);
            let parts = classical(style, &tl, key, &mut r);
            assert!(parts.iter().all(|p| p.channel != 9), "{style:?}");
            assert!(
                parts.iter().map(|p| p.notes.len()).sum::<usize>() > 50,
                "{style:?}"
            );
        }
    }
}
