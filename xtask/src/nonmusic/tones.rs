//! Tonal non-music: steady tones, test-tone sequences, telephone signalling,
//! unpulsed chords and drones, sweeps, and mains hum.

use super::dsp::log_range;
use super::dsp::{
    Biquad, Colour, Filter, Osc, SR_F, Wave, add_at, db, envelope, fade_edges, filter, midi_hz,
    mix_into, mu_law_8bit, noise, pitch_name, reverb, secs, set_rms, slow_random, tone,
};
use super::kinds::Generated;
use crate::corpus::rng::Rng;

fn pick_wave(rng: &mut Rng) -> Wave {
    *rng.weighted(&[
        (Wave::Sine, 0.45),
        (Wave::Square, 0.2),
        (Wave::Saw, 0.15),
        (Wave::Triangle, 0.2),
    ])
}

/// A faint pink/brown floor under tonal material, `rel_db` below RMS 1.
fn add_floor(x: &mut [f32], rel_db: f64, rng: &mut Rng) {
    let colour = if rng.chance(0.5) {
        Colour::Pink
    } else {
        Colour::Brown
    };
    let f = noise(colour, x.len(), rng);
    mix_into(x, &f, db(rel_db));
}

/// A steady tone, sometimes with vibrato, tremolo, drift or on/off beeping.
pub fn tone_steady(rng: &mut Rng, n: usize) -> Generated {
    let wave = pick_wave(rng);
    let hi = if wave == Wave::Sine { 9000.0 } else { 4000.0 };
    let f0 = log_range(rng, 45.0, hi);
    let mut detail = format!("{}{f0:.0}hz", wave.name());
    let modulation = *rng.weighted(&[("none", 0.5), ("vib", 0.25), ("trem", 0.15), ("drift", 0.1)]);
    let rate = rng.range(2.0, 8.0);
    let depth = rng.range(0.1, 0.8);
    let cents = rng.range(5.0, 60.0);
    let drift_rate = rng.range(0.1, 0.5);
    let drift = slow_random(n, drift_rate, rng);
    let mut osc = Osc::new(rng.f64());
    let mut x: Vec<f32> = (0..n)
        .map(|i| {
            let t = i as f64 / SR_F;
            let ph = (2.0 * std::f64::consts::PI * rate * t).sin();
            let (f, a) = match modulation {
                "vib" => (f0 * 2f64.powf(cents * ph / 1200.0), 1.0),
                "trem" => (f0, 1.0 - depth * (0.5 + 0.5 * ph)),
                "drift" => (f0 * (1.0 + 0.01 * f64::from(drift[i])), 1.0),
                _ => (f0, 1.0),
            };
            osc.tick(wave, f) * a as f32
        })
        .collect();
    if modulation != "none" {
        detail.push_str(&format!(";{modulation}{rate:.1}"));
    }
    if rng.chance(0.3) {
        // Beeping: a fixed on/off cycle (alarms, reversing trucks, bleeps).
        let on = secs(rng.range(0.08, 1.5));
        let off = secs(rng.range(0.08, 2.0));
        let phase = rng.below(on + off);
        for (i, v) in x.iter_mut().enumerate() {
            let p = (i + phase) % (on + off);
            let edge = 60.min(on / 4).max(1);
            let g = if p >= on {
                0.0
            } else {
                (p.min(on - p) as f32 / edge as f32).min(1.0)
            };
            *v *= g;
        }
        detail.push_str(&format!(";beep{on}/{off}"));
    }
    set_rms(&mut x, 1.0);
    add_floor(&mut x, rng.range(-60.0, -30.0), rng);
    Generated::synth(x, detail)
        .with_key(pitch_name((12.0 * (f0 / 440.0).log2()).round() as i64 + 9))
}

/// Test-tone programmes: spot frequencies, references with level steps,
/// multitones, interrupted references, tone bursts, noise/tone alternation.
pub fn tone_test(rng: &mut Rng, n: usize) -> Generated {
    let variant = *rng.pick(&[
        "spot",
        "reference",
        "multitone",
        "interrupted",
        "bursts",
        "noise_tone",
    ]);
    let mut x = vec![0.0f32; n];
    let mut detail = variant.to_string();
    match variant {
        "spot" => {
            let mut freqs = vec![
                31.5, 40.0, 63.0, 100.0, 125.0, 250.0, 400.0, 500.0, 1000.0, 2000.0, 3150.0,
                4000.0, 6300.0, 8000.0, 10000.0,
            ];
            freqs.retain(|_| rng.chance(0.7));
            if rng.chance(0.5) {
                freqs.reverse();
            }
            if freqs.is_empty() {
                freqs.push(1000.0);
            }
            let seg = secs(rng.range(1.0, 4.0));
            let gap = secs(rng.range(0.0, 0.6));
            let mut at = rng.below(seg);
            let mut k = rng.below(freqs.len());
            // Start somewhere inside the programme, which repeats.
            let mut t = 0;
            while t < n {
                let len = seg.min(n - t);
                let mut s = tone(Wave::Sine, freqs[k % freqs.len()], seg, 0.0);
                fade_edges(&mut s, 200);
                let from = at.min(s.len());
                add_at(&mut x, &s[from..from + (len.min(s.len() - from))], t, 1.0);
                t += len.min(s.len() - from) + gap;
                at = 0;
                k += 1;
            }
            detail.push_str(&format!(";{}x{:.1}s", freqs.len(), seg as f64 / SR_F));
        }
        "reference" => {
            let f = *rng.pick(&[1000.0, 997.0, 440.0, 400.0, 1000.0, 100.0, 10000.0]);
            let mut level = rng.range(-20.0, 0.0);
            let mut t = 0;
            let mut o = Osc::new(0.0);
            while t < n {
                let len = secs(rng.range(3.0, 15.0)).min(n - t);
                for v in &mut x[t..t + len] {
                    *v = o.tick(Wave::Sine, f) * db(level) as f32;
                }
                t += len;
                level = *rng.pick(&[-20.0, -18.0, -12.0, -10.0, -6.0, 0.0]);
            }
            detail.push_str(&format!(";{f}hz"));
        }
        "multitone" => {
            let k = rng.int(3, 12) as usize;
            let log_spaced = rng.chance(0.5);
            let (lo, hi) = (log_range(rng, 40.0, 300.0), log_range(rng, 2000.0, 10000.0));
            for j in 0..k {
                let f = if log_spaced {
                    lo * (hi / lo).powf(j as f64 / (k - 1) as f64)
                } else {
                    log_range(rng, lo, hi)
                };
                let s = tone(Wave::Sine, f, n, rng.f64());
                mix_into(&mut x, &s, 1.0 / (k as f64).sqrt());
            }
            detail.push_str(&format!(";{k}tones"));
        }
        "interrupted" => {
            let f = *rng.pick(&[1000.0, 800.0, 1200.0, 440.0]);
            let period = secs(rng.range(1.0, 4.0));
            let gap = secs(rng.range(0.1, 0.5));
            let pattern_twice = rng.chance(0.4);
            let s = tone(Wave::Sine, f, n, 0.0);
            let phase = rng.below(period);
            for (i, v) in x.iter_mut().enumerate() {
                let p = (i + phase) % period;
                let off = p < gap || (pattern_twice && (2 * gap..3 * gap).contains(&p));
                *v = if off { 0.0 } else { s[i] };
            }
            detail.push_str(&format!(";{f}hz"));
        }
        "bursts" => {
            let f = log_range(rng, 200.0, 8000.0);
            let cycles = rng.int(1, 40) as f64;
            let period = secs(rng.range(0.05, 1.0));
            let burst = tone(Wave::Sine, f, secs(cycles / f).max(4), 0.0);
            let mut t = rng.below(period);
            while t < n {
                add_at(&mut x, &burst, t, 1.0);
                t += period;
            }
            detail.push_str(&format!(";{f:.0}hz"));
        }
        _ => {
            let f = *rng.pick(&[1000.0, 440.0, 1000.0]);
            let seg = secs(rng.range(1.0, 5.0));
            let pink = noise(Colour::Pink, n, rng);
            let s = tone(Wave::Sine, f, n, 0.0);
            let phase = rng.below(2 * seg);
            for i in 0..n {
                x[i] = if ((i + phase) / seg).is_multiple_of(2) {
                    s[i] * 0.7
                } else {
                    pink[i] * 0.5
                };
            }
        }
    }
    set_rms(&mut x, 1.0);
    add_floor(&mut x, rng.range(-60.0, -35.0), rng);
    Generated::synth(x, detail)
}

/// Telephone signalling tones of one country, as a call would produce them.
pub fn tone_telephony(rng: &mut Rng, n: usize) -> Generated {
    struct Plan {
        name: &'static str,
        dial: &'static [f64],
        ring: (&'static [f64], &'static [(f64, f64)]),
        busy: (&'static [f64], f64),
    }
    const PLANS: [Plan; 4] = [
        Plan {
            name: "us",
            dial: &[350.0, 440.0],
            ring: (&[440.0, 480.0], &[(2.0, 4.0)]),
            busy: (&[480.0, 620.0], 0.5),
        },
        Plan {
            name: "uk",
            dial: &[350.0, 450.0],
            ring: (&[400.0, 450.0], &[(0.4, 0.2), (0.4, 2.0)]),
            busy: (&[400.0], 0.375),
        },
        Plan {
            name: "cept",
            dial: &[425.0],
            ring: (&[425.0], &[(1.0, 4.0)]),
            busy: (&[425.0], 0.5),
        },
        Plan {
            name: "jp",
            dial: &[400.0],
            ring: (&[400.0], &[(1.0, 2.0)]),
            busy: (&[400.0], 0.5),
        },
    ];
    let plan = rng.pick(&PLANS);
    let mut x = vec![0.0f32; n];
    let mut t = 0usize;
    let mut detail = vec![plan.name.to_string()];
    let put = |x: &mut Vec<f32>, t: &mut usize, freqs: &[f64], len_s: f64, level: f64| {
        let len = secs(len_s);
        let mut s = vec![0.0f32; len];
        for &f in freqs {
            mix_into(&mut s, &tone(Wave::Sine, f, len, 0.0), level);
        }
        fade_edges(&mut s, 40);
        add_at(x, &s, *t, 1.0);
        *t += len;
    };
    let variant = *rng.pick(&["call", "call", "dtmf", "fax", "sit"]);
    detail.push(variant.to_string());
    // Start in the middle of the sequence now and then.
    let lead_in = if rng.chance(0.5) {
        0
    } else {
        secs(rng.range(0.0, 3.0))
    };
    while t < n + lead_in {
        match variant {
            "call" | "dtmf" => {
                if variant == "call" {
                    put(&mut x, &mut t, plan.dial, rng.range(0.8, 5.0), 0.5);
                    t += secs(rng.range(0.1, 0.6));
                }
                let digits = rng.int(3, 11);
                let on = rng.range(0.06, 0.2);
                for _ in 0..digits {
                    let d = rng.below(16);
                    let (row, col) = (d / 4, d % 4);
                    let fr = [697.0, 770.0, 852.0, 941.0][row];
                    let fc = [1209.0, 1336.0, 1477.0, 1633.0][col];
                    let twist = db(rng.range(-3.0, 3.0));
                    let len = secs(on * rng.range(0.8, 1.6));
                    let mut s = tone(Wave::Sine, fr, len, 0.0);
                    mix_into(&mut s, &tone(Wave::Sine, fc, len, 0.0), twist);
                    fade_edges(&mut s, 30);
                    add_at(&mut x, &s, t, 0.4);
                    t += len + secs(on * rng.range(0.6, 3.0));
                }
                if variant == "call" {
                    t += secs(rng.range(0.5, 3.0));
                    let cycles = rng.int(1, 5);
                    for _ in 0..cycles {
                        for &(on_s, off_s) in plan.ring.1 {
                            put(&mut x, &mut t, plan.ring.0, on_s, 0.5);
                            t += secs(off_s);
                        }
                    }
                    if rng.chance(0.5) {
                        for _ in 0..rng.int(3, 12) {
                            put(&mut x, &mut t, plan.busy.0, plan.busy.1, 0.5);
                            t += secs(plan.busy.1);
                        }
                    }
                } else {
                    t += secs(rng.range(0.3, 2.5));
                }
            }
            "fax" => {
                // Calling tone (CNG) and answer tone (CED).
                for _ in 0..rng.int(2, 6) {
                    put(&mut x, &mut t, &[1100.0], 0.5, 0.5);
                    t += secs(3.0);
                }
                put(&mut x, &mut t, &[2100.0], rng.range(2.6, 4.0), 0.5);
                t += secs(rng.range(0.1, 1.0));
            }
            _ => {
                // Special information tone, then silence until it repeats.
                for f in [913.8, 1370.6, 1776.7] {
                    put(&mut x, &mut t, &[f], rng.range(0.27, 0.38), 0.5);
                }
                t += secs(rng.range(1.5, 4.0));
            }
        }
    }
    let mut x = x.split_off(lead_in.min(x.len()));
    x.resize(n, 0.0);
    set_rms(&mut x, 1.0);
    // Line noise, then the telephone band and μ-law quantisation.
    let line = noise(Colour::Pink, n, rng);
    mix_into(&mut x, &line, db(rng.range(-45.0, -25.0)));
    if rng.chance(0.7) {
        filter(&mut x, Filter::Highpass, 300.0, 0.707, 2);
        filter(&mut x, Filter::Lowpass, 3400.0, 0.707, 2);
        mu_law_8bit(&mut x);
        filter(&mut x, Filter::Lowpass, 3800.0, 0.707, 2);
        detail.push("band".into());
    }
    Generated::synth(x, detail.join(";"))
}

/// Additive/subtractive voices for sustained chords.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timbre {
    Organ,
    Pad,
    Strings,
    Choir,
}

/// One sustained note, `n` samples, of `timbre` at MIDI pitch `m`.
fn held_note(rng: &mut Rng, timbre: Timbre, m: f64, n: usize, drawbars: &[f64]) -> Vec<f32> {
    let f = midi_hz(m);
    let mut x = vec![0.0f32; n];
    match timbre {
        Timbre::Organ => {
            for (k, &a) in drawbars.iter().enumerate() {
                let h = [0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0][k];
                if a > 0.0 && f * h < SR_F * 0.45 {
                    mix_into(&mut x, &tone(Wave::Sine, f * h, n, rng.f64()), a);
                }
            }
        }
        Timbre::Pad | Timbre::Strings | Timbre::Choir => {
            let voices = if timbre == Timbre::Pad { 3 } else { 2 };
            let vib_rate = rng.range(4.5, 6.0);
            for _ in 0..voices {
                let detune = 2f64.powf(rng.range(-12.0, 12.0) / 1200.0);
                let mut o = Osc::new(rng.f64());
                let vib = if timbre == Timbre::Pad {
                    0.0
                } else {
                    rng.range(3.0, 12.0)
                };
                let phase = rng.f64();
                for (i, v) in x.iter_mut().enumerate() {
                    let t = i as f64 / SR_F;
                    let c = vib * (2.0 * std::f64::consts::PI * (vib_rate * t + phase)).sin();
                    *v += o.tick(Wave::Saw, f * detune * 2f64.powf(c / 1200.0));
                }
            }
        }
    }
    x
}

/// Chord interval sets, in semitones above the root.
const CHORDS: [(&str, &[i64]); 14] = [
    ("", &[0, 4, 7]),
    ("m", &[0, 3, 7]),
    ("maj7", &[0, 4, 7, 11]),
    ("m7", &[0, 3, 7, 10]),
    ("7", &[0, 4, 7, 10]),
    ("sus2", &[0, 2, 7]),
    ("sus4", &[0, 5, 7]),
    ("add9", &[0, 4, 7, 14]),
    ("m9", &[0, 3, 7, 10, 14]),
    ("dim", &[0, 3, 6]),
    ("aug", &[0, 4, 8]),
    ("cluster", &[0, 1, 2, 3]),
    ("quartal", &[0, 5, 10, 15]),
    ("5", &[0, 7, 12]),
];

/// Sustained chords with slow, irregular changes and no pulse.
pub fn chord_pad(rng: &mut Rng, n: usize) -> Generated {
    let timbre = *rng.pick(&[Timbre::Organ, Timbre::Pad, Timbre::Strings, Timbre::Choir]);
    let drawbars: Vec<f64> = (0..9)
        .map(|k| {
            if k == 1 || rng.chance(0.5) {
                rng.range(0.1, 1.0) / (1.0 + k as f64 * 0.3)
            } else {
                0.0
            }
        })
        .collect();
    let changes = if rng.chance(0.4) {
        1
    } else {
        rng.int(2, 4) as usize
    };
    // Irregular segment lengths that add up to the clip.
    let mut cuts: Vec<f64> = (0..changes - 1).map(|_| rng.range(0.15, 0.85)).collect();
    cuts.sort_by(f64::total_cmp);
    let xfade = secs(rng.range(0.5, 3.0));
    let mut bounds: Vec<usize> = std::iter::once(0)
        .chain(cuts.iter().map(|c| (c * n as f64) as usize))
        .chain(std::iter::once(n))
        .collect();
    bounds.dedup();
    let mut x = vec![0.0f32; n];
    let mut root = rng.int(40, 58);
    let mut names = Vec::new();
    for w in bounds.windows(2) {
        let (a, b) = (w[0].saturating_sub(xfade / 2), (w[1] + xfade / 2).min(n));
        let (q, ints) = *rng.pick(&CHORDS);
        names.push(format!("{}{q}", pitch_name(root)));
        let mut seg = vec![0.0f32; b - a];
        let spread = rng.chance(0.5);
        for (j, &iv) in ints.iter().enumerate() {
            let oct = if spread && j % 2 == 1 { 12 } else { 0 };
            let note = held_note(rng, timbre, (root + 12 + iv + oct) as f64, b - a, &drawbars);
            mix_into(&mut seg, &note, 1.0);
        }
        if rng.chance(0.6) {
            let bass = held_note(rng, timbre, root as f64, b - a, &drawbars);
            mix_into(&mut seg, &bass, 0.7);
        }
        envelope(
            &mut seg,
            if a == 0 { 0.0 } else { xfade as f64 / SR_F },
            if b == n { 0.0 } else { xfade as f64 / SR_F },
        );
        add_at(&mut x, &seg, a, 1.0);
        root += *rng.pick(&[-5, -3, -2, 2, 3, 4, 5, 7]);
        root = root.clamp(36, 62);
    }
    if timbre != Timbre::Organ {
        // Subtractive voices: a slowly moving low-pass, formants for the choir.
        let cutoff = rng.range(600.0, 3000.0);
        let lfo = slow_random(n, rng.range(0.05, 0.3), rng);
        let mut lp = Biquad::new(Filter::Lowpass, cutoff, 0.8);
        for (i, v) in x.iter_mut().enumerate() {
            if i % 64 == 0 {
                lp.set(cutoff * 2f64.powf(f64::from(lfo[i])), 0.8);
            }
            *v = lp.tick(*v);
        }
        if timbre == Timbre::Choir {
            let dry = x.clone();
            x.iter_mut().for_each(|v| *v = 0.0);
            let vowel = *rng.pick(&[
                [800.0, 1150.0, 2900.0],
                [400.0, 800.0, 2600.0],
                [350.0, 2000.0, 2800.0],
            ]);
            for (k, f) in vowel.into_iter().enumerate() {
                let mut y = dry.clone();
                Biquad::new(Filter::Bandpass, f, 6.0).run(&mut y);
                mix_into(&mut x, &y, 1.0 / (1.0 + k as f64));
            }
        }
    }
    set_rms(&mut x, 1.0);
    if rng.chance(0.6) {
        x = reverb(
            &x,
            rng.range(0.5, 0.95),
            rng.range(0.2, 0.6),
            rng.range(0.3, 1.2),
        );
    }
    add_floor(&mut x, rng.range(-60.0, -35.0), rng);
    let t = match timbre {
        Timbre::Organ => "organ",
        Timbre::Pad => "pad",
        Timbre::Strings => "strings",
        Timbre::Choir => "choir",
    };
    Generated::synth(x, format!("{t};{}chords", names.len())).with_key(names.join(" "))
}

/// A drone: one pitch with fifth/octave, beating, a slowly moving filter.
pub fn drone(rng: &mut Rng, n: usize) -> Generated {
    let m = rng.int(28, 60);
    let wave = *rng.pick(&[Wave::Saw, Wave::Square, Wave::Triangle, Wave::Sine]);
    let mut x = vec![0.0f32; n];
    let mut parts = vec![(0.0, 1.0)];
    if rng.chance(0.6) {
        parts.push((7.0, 0.6));
    }
    if rng.chance(0.6) {
        parts.push((12.0, 0.5));
    }
    if rng.chance(0.3) {
        parts.push((-12.0, 0.7));
    }
    for &(iv, a) in &parts {
        let f = midi_hz(m as f64 + iv);
        for _ in 0..2 {
            let beat = rng.range(-1.5, 1.5);
            let s = tone(wave, f + beat, n, rng.f64());
            mix_into(&mut x, &s, a);
        }
    }
    if wave != Wave::Sine {
        let cutoff = rng.range(200.0, 2500.0);
        let q = rng.range(0.7, 6.0);
        let lfo = slow_random(n, rng.range(0.02, 0.2), rng);
        let mut lp = Biquad::new(Filter::Lowpass, cutoff, q);
        for (i, v) in x.iter_mut().enumerate() {
            if i % 64 == 0 {
                lp.set(cutoff * 2f64.powf(1.5 * f64::from(lfo[i])), q);
            }
            *v = lp.tick(*v);
        }
    }
    let swell = slow_random(n, rng.range(0.03, 0.15), rng);
    let depth = rng.range(0.0, 0.6);
    for (v, s) in x.iter_mut().zip(&swell) {
        *v *= 1.0 - depth as f32 * (0.5 + 0.5 * s);
    }
    set_rms(&mut x, 1.0);
    if rng.chance(0.5) {
        x = reverb(&x, rng.range(0.6, 0.95), 0.4, rng.range(0.3, 1.0));
    }
    add_floor(&mut x, rng.range(-55.0, -30.0), rng);
    Generated::synth(x, format!("{};{}parts", wave.name(), parts.len())).with_key(pitch_name(m))
}

/// Sweeps: sine/square/saw/triangle, linear or logarithmic, up, down or both.
pub fn sweep_tone(rng: &mut Rng, n: usize) -> Generated {
    let wave = *rng.weighted(&[
        (Wave::Sine, 0.6),
        (Wave::Square, 0.15),
        (Wave::Saw, 0.1),
        (Wave::Triangle, 0.15),
    ]);
    let (mut f0, mut f1) = (log_range(rng, 20.0, 500.0), log_range(rng, 1500.0, 10000.0));
    let shape = *rng.pick(&["up", "down", "updown"]);
    if shape == "down" {
        std::mem::swap(&mut f0, &mut f1);
    }
    let log = rng.chance(0.65);
    let (len_lo, len_hi) = if shape == "updown" {
        (0.3, 6.0)
    } else {
        (0.5, 30.0)
    };
    let sweep = secs(rng.range(len_lo, len_hi)).max(2);
    let gap = if rng.chance(0.5) {
        0
    } else {
        secs(rng.range(0.05, 2.0))
    };
    let phase = rng.below(sweep + gap);
    let mut osc = Osc::new(0.0);
    let x: Vec<f32> = (0..n)
        .map(|i| {
            let p = (i + phase) % (sweep + gap);
            if p >= sweep {
                return 0.0;
            }
            let mut u = p as f64 / sweep as f64;
            if shape == "updown" {
                u = 1.0 - (2.0 * u - 1.0).abs();
            }
            let f = if log {
                f0 * (f1 / f0).powf(u)
            } else {
                f0 + (f1 - f0) * u
            };
            osc.tick(wave, f)
        })
        .collect();
    let mut x = x;
    set_rms(&mut x, 1.0);
    add_floor(&mut x, rng.range(-60.0, -35.0), rng);
    Generated::synth(
        x,
        format!(
            "{};{};{};{f0:.0}-{f1:.0}hz;{:.1}s",
            wave.name(),
            if log { "log" } else { "lin" },
            shape,
            sweep as f64 / SR_F
        ),
    )
}

/// Mains hum and buzz: transformer hum, ground-loop buzz, fluorescent
/// lights, dimmer buzz; 50 or 60 Hz.
pub fn hum(rng: &mut Rng, n: usize) -> Generated {
    let mains = if rng.chance(0.5) { 50.0 } else { 60.0 } * rng.range(0.998, 1.002);
    let variant = *rng.pick(&["transformer", "ground_loop", "fluorescent", "dimmer", "amp"]);
    let mut x = vec![0.0f32; n];
    match variant {
        "transformer" | "amp" => {
            for h in 1..=8 {
                let a = if h % 2 == 0 {
                    1.0
                } else {
                    rng.range(0.05, 0.6)
                } / f64::from(h).powf(rng.range(0.5, 1.5));
                mix_into(
                    &mut x,
                    &tone(Wave::Sine, mains * f64::from(h), n, rng.f64()),
                    a,
                );
            }
            if variant == "amp" {
                let hiss = noise(Colour::White, n, rng);
                mix_into(&mut x, &hiss, rng.range(0.05, 0.4));
            }
        }
        "ground_loop" => {
            // Rectified-sine buzz: harmonics of 2 × mains well into the kHz.
            let f = if rng.chance(0.7) { 2.0 * mains } else { mains };
            let sharp = rng.range(1.0, 6.0);
            let mut o = Osc::new(0.0);
            for v in x.iter_mut() {
                let s = f64::from(o.tick(Wave::Sine, f / 2.0)).abs();
                *v = (s.powf(sharp) - 0.3) as f32;
            }
            filter(&mut x, Filter::Lowpass, rng.range(800.0, 6000.0), 0.707, 1);
            filter(&mut x, Filter::Highpass, 40.0, 0.707, 1);
            mix_into(
                &mut x,
                &tone(Wave::Sine, mains, n, 0.0),
                rng.range(0.0, 0.5),
            );
        }
        "fluorescent" => {
            let buzz = tone(Wave::Square, 2.0 * mains, n, 0.0);
            mix_into(&mut x, &buzz, rng.range(0.1, 0.5));
            filter(&mut x, Filter::Lowpass, rng.range(1000.0, 4000.0), 0.707, 1);
            let whine = tone(Wave::Sine, rng.range(4000.0, 10000.0), n, 0.0);
            mix_into(&mut x, &whine, rng.range(0.02, 0.3));
            let hiss = noise(Colour::Pink, n, rng);
            mix_into(&mut x, &hiss, rng.range(0.02, 0.2));
        }
        _ => {
            // Phase-cut dimmer: a click at every half cycle, ringing.
            let period = SR_F / (2.0 * mains);
            let mut k = 0.0;
            while (k as usize) < n {
                x[k as usize] += 1.0;
                k += period;
            }
            filter(
                &mut x,
                Filter::Bandpass,
                rng.range(1000.0, 5000.0),
                rng.range(2.0, 10.0),
                1,
            );
            mix_into(
                &mut x,
                &tone(Wave::Sine, 2.0 * mains, n, 0.0),
                rng.range(0.0, 0.1),
            );
        }
    }
    // Mains is never quite steady.
    let wob = slow_random(n, rng.range(0.1, 1.0), rng);
    let d = rng.range(0.0, 0.3) as f32;
    for (v, w) in x.iter_mut().zip(&wob) {
        *v *= 1.0 + d * w;
    }
    set_rms(&mut x, 1.0);
    add_floor(&mut x, rng.range(-50.0, -25.0), rng);
    Generated::synth(x, format!("{variant};{mains:.1}hz"))
}

#[cfg(test)]
mod tests {
    use super::super::dsp::tests::band_power;
    use super::*;

    #[test]
    fn telephony_dtmf_tones_are_the_standard_pairs() {
        // The "dtmf" variant holds only the eight DTMF frequencies (and line noise).
        for seed in 0..40 {
            let mut rng = Rng::new(seed);
            let g = tone_telephony(&mut rng, secs(6.0));
            if !g.detail.contains("dtmf") {
                continue;
            }
            let on: f64 = [697.0, 770.0, 852.0, 941.0, 1209.0, 1336.0, 1477.0]
                .iter()
                .map(|&f| band_power(&g.audio, f))
                .sum();
            let off: f64 = [500.0, 1100.0, 2000.0, 2500.0]
                .iter()
                .map(|&f| band_power(&g.audio, f))
                .sum();
            assert!(on > 100.0 * off, "seed {seed}: {on:.3e} vs {off:.3e}");
            return;
        }
        panic!("no dtmf variant in 40 seeds");
    }

    #[test]
    fn hum_sits_on_mains_harmonics() {
        for seed in 0..20 {
            let g = hum(&mut Rng::new(seed), secs(4.0));
            if !g.detail.starts_with("transformer") {
                continue;
            }
            let mains = if g.detail.contains(";5") { 50.0 } else { 60.0 };
            let on = band_power(&g.audio, 2.0 * mains);
            let off = band_power(&g.audio, 2.5 * mains);
            assert!(on > 100.0 * off, "{}: {on:.3e} vs {off:.3e}", g.detail);
            return;
        }
        panic!("no transformer hum in 20 seeds");
    }
}
