//! Synthetic impulse responses: guitar and bass cabinets, and rooms from a
//! vocal booth to a large hall.
//!
//! Debian ships almost no impulse responses, so they are drawn per song from
//! physically motivated shapes: a cabinet is a band-pass with a low
//! resonance, a presence peak, a steep top end and the comb of an off-axis
//! microphone; a room is a set of early reflections and a decorrelated,
//! exponentially decaying noise tail whose highs die first.

use super::dsp::{Biquad, SR, Shape, db};
use super::rng::Rng;

/// Kinds of speaker cabinet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cab {
    /// Open-back 1×12 combo: brighter, less low end.
    Combo1x12,
    /// Closed 2×12.
    Closed2x12,
    /// Closed 4×12: deep low resonance, dark top.
    Stack4x12,
    /// Bass cabinet (10" or 15" drivers).
    Bass,
}

impl Cab {
    /// Manifest name.
    pub fn name(self) -> &'static str {
        match self {
            Cab::Combo1x12 => "1x12",
            Cab::Closed2x12 => "2x12",
            Cab::Stack4x12 => "4x12",
            Cab::Bass => "bass-cab",
        }
    }
}

/// Number of taps of a cabinet IR (46 ms at 44.1 kHz).
pub const CAB_LEN: usize = 2048;

fn impulse_through(chain: &mut [Biquad], len: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; len];
    out[0] = 1.0;
    for bq in chain.iter_mut() {
        bq.process(&mut out);
    }
    out
}

/// Normalises an IR to unit energy gain for white noise (sum of squares 1).
fn unit_energy(h: &mut [f32]) {
    let e: f64 = h.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
    if e > 0.0 {
        let g = (1.0 / e.sqrt()) as f32;
        for v in h {
            *v *= g;
        }
    }
}

/// Draws a cabinet IR (mono, [`CAB_LEN`] taps at 44.1 kHz, unit energy).
pub fn cabinet(cab: Cab, rng: &mut Rng) -> Vec<f32> {
    let (hp, res_f, res_g, lp, lp_stages) = match cab {
        Cab::Combo1x12 => (
            rng.range(90.0, 130.0),
            rng.range(110.0, 150.0),
            rng.range(1.0, 4.0),
            rng.range(5200.0, 7000.0),
            2,
        ),
        Cab::Closed2x12 => (
            rng.range(75.0, 105.0),
            rng.range(95.0, 130.0),
            rng.range(2.0, 5.0),
            rng.range(4500.0, 6200.0),
            3,
        ),
        Cab::Stack4x12 => (
            rng.range(65.0, 95.0),
            rng.range(85.0, 115.0),
            rng.range(3.0, 6.5),
            rng.range(3800.0, 5500.0),
            3,
        ),
        Cab::Bass => (
            rng.range(35.0, 55.0),
            rng.range(70.0, 110.0),
            rng.range(1.0, 4.0),
            rng.range(2500.0, 4500.0),
            2,
        ),
    };
    let mut chain = vec![
        Biquad::new(Shape::HighPass, hp, rng.range(0.7, 1.1), 0.0, SR),
        Biquad::new(Shape::Peak, res_f, rng.range(1.0, 2.0), res_g, SR),
        // mid scoop or honk
        Biquad::new(
            Shape::Peak,
            rng.range(350.0, 900.0),
            rng.range(0.7, 1.5),
            rng.range(-5.0, 2.5),
            SR,
        ),
        // presence peak of the cone
        Biquad::new(
            Shape::Peak,
            rng.range(1800.0, 3800.0),
            rng.range(1.0, 2.5),
            rng.range(1.5, 7.0),
            SR,
        ),
        // cone break-up notch
        Biquad::new(
            Shape::Peak,
            rng.range(3000.0, 7000.0),
            rng.range(3.0, 6.0),
            rng.range(-10.0, -3.0),
            SR,
        ),
    ];
    for _ in 0..lp_stages {
        chain.push(Biquad::new(
            Shape::LowPass,
            lp * rng.range(0.9, 1.1),
            0.707,
            0.0,
            SR,
        ));
    }
    let mut h = impulse_through(&mut chain, CAB_LEN);
    // off-axis microphone: a comb from the path difference to the cone edge
    let d = rng.int(2, 14) as usize;
    let g = rng.range(0.1, 0.45) as f32;
    for i in (d..h.len()).rev() {
        h[i] += g * h[i - d];
    }
    // fade the last fifth so the truncation does not click
    let n = h.len();
    for (i, v) in h.iter_mut().enumerate().skip(n * 4 / 5) {
        let t = (n - i) as f32 / (n / 5) as f32;
        *v *= t;
    }
    unit_energy(&mut h);
    h
}

/// Room sizes, from none to a large hall.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Room {
    /// Vocal booth / dead studio room.
    Booth,
    /// Live room of a studio, club.
    Live,
    /// Dense bright plate-like reverb.
    Plate,
    /// Concert hall.
    Hall,
    /// Church or large hall.
    Church,
}

impl Room {
    /// Manifest name.
    pub fn name(self) -> &'static str {
        match self {
            Room::Booth => "booth",
            Room::Live => "room",
            Room::Plate => "plate",
            Room::Hall => "hall",
            Room::Church => "church",
        }
    }

    /// Range of reverberation time RT60 in seconds.
    pub fn rt60_range(self) -> (f64, f64) {
        match self {
            Room::Booth => (0.12, 0.3),
            Room::Live => (0.35, 0.9),
            Room::Plate => (0.9, 2.0),
            Room::Hall => (1.6, 2.8),
            Room::Church => (2.8, 4.2),
        }
    }
}

/// A stereo room IR (wet part only) and its drawn reverberation time.
pub struct RoomIr {
    /// Left and right responses (decorrelated tails).
    pub channels: [Vec<f32>; 2],
    /// Reverberation time in seconds.
    pub rt60_s: f64,
}

/// Draws a room IR at 44.1 kHz. Each channel has unit energy, so a wet gain
/// sets the reverb's level relative to the dry signal directly.
pub fn room(kind: Room, rng: &mut Rng) -> RoomIr {
    let (lo, hi) = kind.rt60_range();
    let rt60 = rng.range(lo, hi);
    let predelay = match kind {
        Room::Booth => rng.range(0.0, 0.004),
        Room::Live => rng.range(0.002, 0.015),
        Room::Plate => rng.range(0.0, 0.03),
        Room::Hall => rng.range(0.01, 0.04),
        Room::Church => rng.range(0.02, 0.06),
    };
    let len = ((predelay + rt60 * 1.1 + 0.05) * SR) as usize;
    // brightness: the tail's low-pass starts here and falls with time
    let f_start = rng.range(6000.0, 14000.0) * if kind == Room::Plate { 1.3 } else { 1.0 };
    let f_end = rng.range(1200.0, 3500.0);
    let early_span = match kind {
        Room::Booth => 0.01,
        Room::Live => 0.03,
        Room::Plate => 0.01,
        Room::Hall => 0.06,
        Room::Church => 0.09,
    };
    let num_early = rng.int(6, 18) as usize;
    let early: Vec<(usize, f64)> = (0..num_early)
        .map(|_| {
            let t = predelay + rng.range(0.001, early_span);
            let g = rng.range(0.25, 0.8) * if rng.chance(0.5) { -1.0 } else { 1.0 };
            ((t * SR) as usize, g)
        })
        .collect();
    let onset = ((predelay + early_span * 0.3) * SR) as usize;
    let build = ((early_span * 0.7).max(0.004) * SR) as usize;
    let mut channels: [Vec<f32>; 2] = [vec![0.0; len], vec![0.0; len]];
    for (c, h) in channels.iter_mut().enumerate() {
        // the two ears hear the early reflections at slightly different times
        for &(i, g) in &early {
            let shift = if c == 0 { 0 } else { rng.int(0, 30) as usize };
            if let Some(v) = h.get_mut(i + shift) {
                *v += g as f32;
            }
        }
        let mut lp = 0.0f64;
        for (i, v) in h.iter_mut().enumerate().skip(onset) {
            let t = (i - onset) as f64 / SR;
            let env = db(-60.0 * t / rt60);
            let ramp = ((i - onset) as f64 / build as f64).min(1.0);
            let fc = f_end + (f_start - f_end) * (-3.0 * t / rt60).exp();
            let a = (-2.0 * std::f64::consts::PI * fc / SR).exp();
            lp = (1.0 - a) * rng.normal() + a * lp;
            *v += (lp * env * ramp * 0.6) as f32;
        }
        unit_energy(h);
    }
    RoomIr {
        channels,
        rt60_s: rt60,
    }
}

/// Measured decay: the time for the backward-integrated energy of `h` to fall
/// by 30 dB, doubled (T30 → RT60 estimate).
#[cfg(test)]
pub fn measured_rt60(h: &[f32]) -> f64 {
    let mut edc: Vec<f64> = h.iter().map(|&v| f64::from(v) * f64::from(v)).collect();
    for i in (0..edc.len().saturating_sub(1)).rev() {
        edc[i] += edc[i + 1];
    }
    let total = edc[0];
    let t5 = edc.iter().position(|&e| e < total * db(-5.0).powi(2));
    let t35 = edc.iter().position(|&e| e < total * db(-35.0).powi(2));
    match (t5, t35) {
        (Some(a), Some(b)) => (b - a) as f64 / SR * 2.0,
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::super::dsp::{convolve, rms};
    use super::*;

    fn band_energy(h: &[f32], lo: f64, hi: f64) -> f64 {
        // energy of a sine sweep through the IR, sampled at a few frequencies
        let mut e = 0.0;
        let n = 8;
        for k in 0..n {
            let f = lo * (hi / lo).powf(k as f64 / (n - 1) as f64);
            let x: Vec<f32> = (0..8192)
                .map(|i| (2.0 * std::f64::consts::PI * f * i as f64 / SR).sin() as f32)
                .collect();
            let y = convolve(&x, h);
            e += rms(&y[4096..]).powi(2);
        }
        e / n as f64
    }

    #[test]
    fn cabinets_are_band_passes_with_unit_energy() {
        for (i, cab) in [Cab::Combo1x12, Cab::Closed2x12, Cab::Stack4x12, Cab::Bass]
            .into_iter()
            .enumerate()
        {
            for seed in 0..4 {
                let h = cabinet(cab, &mut Rng::new(seed * 10 + i as u64));
                assert_eq!(h.len(), CAB_LEN);
                let e: f64 = h.iter().map(|&v| f64::from(v).powi(2)).sum();
                assert!((e - 1.0).abs() < 1e-6, "{cab:?} energy {e}");
                let highs = band_energy(&h, 12_000.0, 18_000.0);
                if cab == Cab::Bass {
                    let body = band_energy(&h, 60.0, 400.0);
                    let rumble = band_energy(&h, 8.0, 15.0);
                    assert!(body > 30.0 * highs, "{cab:?}: body {body} highs {highs}");
                    assert!(body > 4.0 * rumble, "{cab:?}: body {body} rumble {rumble}");
                } else {
                    let lows = band_energy(&h, 20.0, 35.0);
                    let mids = band_energy(&h, 300.0, 2000.0);
                    assert!(mids > 30.0 * highs, "{cab:?}: mids {mids} highs {highs}");
                    assert!(mids > 4.0 * lows, "{cab:?}: mids {mids} lows {lows}");
                }
                assert!(h.iter().all(|v| v.is_finite()));
            }
        }
    }

    #[test]
    fn cabinets_differ_between_draws() {
        let a = cabinet(Cab::Stack4x12, &mut Rng::new(1));
        let b = cabinet(Cab::Stack4x12, &mut Rng::new(2));
        let same = cabinet(Cab::Stack4x12, &mut Rng::new(1));
        assert_eq!(a, same);
        let diff: f32 = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).sum();
        assert!(diff > 0.1);
    }

    #[test]
    fn rooms_decay_in_their_drawn_time() {
        for kind in [
            Room::Booth,
            Room::Live,
            Room::Plate,
            Room::Hall,
            Room::Church,
        ] {
            for seed in 0..3 {
                let ir = room(kind, &mut Rng::new(seed));
                let (lo, hi) = kind.rt60_range();
                assert!((lo..=hi).contains(&ir.rt60_s));
                for h in &ir.channels {
                    let e: f64 = h.iter().map(|&v| f64::from(v).powi(2)).sum();
                    assert!((e - 1.0).abs() < 1e-6);
                    let m = measured_rt60(h);
                    // early reflections and the tail's shape make the estimate rough
                    assert!(
                        m > ir.rt60_s * 0.5 && m < ir.rt60_s * 1.3,
                        "{kind:?}: drawn {:.2} s, measured {m:.2} s",
                        ir.rt60_s
                    );
                }
                // decorrelated channels: the tail of one is not the other's
                let [l, r] = &ir.channels;
                let n = l.len().min(r.len());
                let dot: f64 = (0..n).map(|i| f64::from(l[i]) * f64::from(r[i])).sum();
                assert!(dot.abs() < 0.5, "{kind:?} correlation {dot}");
            }
        }
    }

    #[test]
    fn halls_ring_longer_than_booths() {
        let booth = room(Room::Booth, &mut Rng::new(4));
        let hall = room(Room::Hall, &mut Rng::new(4));
        assert!(measured_rt60(&hall.channels[0]) > 4.0 * measured_rt60(&booth.channels[0]));
    }
}
