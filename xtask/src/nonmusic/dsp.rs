//! Signal building blocks for the non-music generators: coloured noise,
//! filters, band-limited oscillators, envelopes, a small reverb and a
//! compressor. Everything works on mono `f32` at [`SR`] and is deterministic.

use std::f64::consts::PI;

use crate::corpus::rng::Rng;

/// Sample rate of everything generated here (the model's rate).
pub const SR: u32 = 22_050;
/// [`SR`] as a float.
pub const SR_F: f64 = SR as f64;

/// Decibels to an amplitude factor.
pub fn db(x_db: f64) -> f64 {
    10f64.powf(x_db / 20.0)
}

/// Log-uniform in [lo, hi): frequencies, rates, counts spread over decades.
pub fn log_range(rng: &mut Rng, lo: f64, hi: f64) -> f64 {
    rng.range(lo.ln(), hi.ln()).exp()
}

/// Seconds to samples.
pub fn secs(s: f64) -> usize {
    (s * SR_F).round().max(0.0) as usize
}

/// Root mean square.
pub fn rms(x: &[f32]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    (x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len() as f64).sqrt()
}

/// Largest absolute sample.
pub fn peak(x: &[f32]) -> f64 {
    f64::from(x.iter().fold(0.0f32, |m, v| m.max(v.abs())))
}

/// Scales `x` to RMS `target` (no-op on silence).
pub fn set_rms(x: &mut [f32], target: f64) {
    let r = rms(x);
    if r > 0.0 {
        scale(x, target / r);
    }
}

/// Multiplies every sample by `g`.
pub fn scale(x: &mut [f32], g: f64) {
    let g = g as f32;
    for v in x {
        *v *= g;
    }
}

/// Adds `src × gain` into `dst` starting at sample `at` (clipped to `dst`).
pub fn add_at(dst: &mut [f32], src: &[f32], at: usize, gain: f64) {
    let g = gain as f32;
    if at >= dst.len() {
        return;
    }
    for (d, s) in dst[at..].iter_mut().zip(src) {
        *d += s * g;
    }
}

/// Adds `src × gain` starting at `t_s` seconds, which may be negative (a
/// sound that began before the clip and reaches into it).
pub fn add_at_time(dst: &mut [f32], src: &[f32], t_s: f64, gain: f64) {
    let start = (t_s * SR_F).round() as isize;
    if start >= 0 {
        add_at(dst, src, start as usize, gain);
    } else if let Some(tail) = src.get((-start) as usize..) {
        add_at(dst, tail, 0, gain);
    }
}

/// Adds `src × gain` sample by sample (the shorter length wins).
pub fn mix_into(dst: &mut [f32], src: &[f32], gain: f64) {
    add_at(dst, src, 0, gain);
}

/// Linear fades of `len` samples at both ends.
pub fn fade_edges(x: &mut [f32], len: usize) {
    let len = len.min(x.len() / 2).max(1);
    let n = x.len();
    for i in 0..len {
        let g = i as f32 / len as f32;
        x[i] *= g;
        x[n - 1 - i] *= g;
    }
}

/// `x` without its leading and trailing samples below `threshold` × peak.
pub fn trim_quiet(x: &[f32], threshold: f64) -> &[f32] {
    let thr = (peak(x) * threshold) as f32;
    let start = x.iter().position(|v| v.abs() > thr).unwrap_or(x.len());
    let end = x
        .iter()
        .rposition(|v| v.abs() > thr)
        .map_or(start, |e| e + 1);
    &x[start..end.max(start)]
}

/// Fills `n` samples by looping `src` from `offset`, crossfading each seam
/// over `xfade` samples (shortened for short sources).
pub fn loop_fill(src: &[f32], n: usize, offset: usize, xfade: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; n];
    if src.is_empty() {
        return out;
    }
    let xf = xfade.min(src.len() / 3).max(1);
    let step = src.len() - xf;
    // Start `offset` into the first copy.
    let mut pos: isize = -((offset % step) as isize);
    while pos < n as isize {
        for (k, &s) in src.iter().enumerate() {
            let t = pos + k as isize;
            if t < 0 {
                continue;
            }
            let t = t as usize;
            if t >= n {
                break;
            }
            let g = if k < xf {
                k as f32 / xf as f32
            } else if k >= src.len() - xf {
                (src.len() - k) as f32 / xf as f32
            } else {
                1.0
            };
            out[t] += s * g;
        }
        pos += step as isize;
    }
    out
}

/// A noise colour: spectral slope in dB per octave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Colour {
    /// Flat (0 dB/oct).
    White,
    /// −3 dB/oct.
    Pink,
    /// −6 dB/oct (red, Brownian).
    Brown,
    /// +3 dB/oct.
    Blue,
    /// +6 dB/oct (purple).
    Violet,
}

impl Colour {
    /// Lower-case name for manifests.
    pub fn name(self) -> &'static str {
        match self {
            Colour::White => "white",
            Colour::Pink => "pink",
            Colour::Brown => "brown",
            Colour::Blue => "blue",
            Colour::Violet => "violet",
        }
    }
}

/// White noise with unit variance (uniform samples, ±√3).
pub fn white(n: usize, rng: &mut Rng) -> Vec<f32> {
    (0..n)
        .map(|_| ((rng.f64() * 2.0 - 1.0) * 3f64.sqrt()) as f32)
        .collect()
}

/// Noise of the given colour, RMS 1.
pub fn noise(colour: Colour, n: usize, rng: &mut Rng) -> Vec<f32> {
    let w = white(n + 1, rng);
    let mut out: Vec<f32> = match colour {
        Colour::White => w[..n].to_vec(),
        Colour::Pink => pink_filter(&w[..n]),
        Colour::Brown => {
            // Leaky integrator: −6 dB/oct above ≈ 10 Hz.
            let mut y = 0.0f64;
            w[..n]
                .iter()
                .map(|&x| {
                    y = 0.997 * y + f64::from(x);
                    y as f32
                })
                .collect()
        }
        Colour::Blue => {
            // The first difference adds +6 dB/oct to pink's −3.
            let p = pink_filter(&w);
            p.windows(2).map(|d| d[1] - d[0]).collect()
        }
        Colour::Violet => w.windows(2).map(|d| d[1] - d[0]).collect(),
    };
    set_rms(&mut out, 1.0);
    out
}

/// Paul Kellet's refined pink filter (−3 dB/oct within ±0.5 dB over the audio band).
fn pink_filter(w: &[f32]) -> Vec<f32> {
    let mut b = [0.0f64; 7];
    w.iter()
        .map(|&x| {
            let x = f64::from(x);
            b[0] = 0.99886 * b[0] + x * 0.055_517_9;
            b[1] = 0.99332 * b[1] + x * 0.075_075_9;
            b[2] = 0.96900 * b[2] + x * 0.153_852;
            b[3] = 0.86650 * b[3] + x * 0.310_485_6;
            b[4] = 0.55000 * b[4] + x * 0.532_952_2;
            b[5] = -0.7616 * b[5] - x * 0.016_898;
            let y = b.iter().sum::<f64>() + x * 0.5362;
            b[6] = x * 0.115_926;
            y as f32
        })
        .collect()
}

/// A smooth random control signal in [−1, 1]: random points every
/// `1 / rate_hz` seconds joined by cosine interpolation.
pub fn slow_random(n: usize, rate_hz: f64, rng: &mut Rng) -> Vec<f32> {
    let step = (SR_F / rate_hz.max(0.01)).max(1.0);
    let points: Vec<f64> = (0..(n as f64 / step) as usize + 3)
        .map(|_| rng.range(-1.0, 1.0))
        .collect();
    (0..n)
        .map(|i| {
            let p = i as f64 / step;
            let k = p.floor() as usize;
            let f = (1.0 - (PI * p.fract()).cos()) / 2.0;
            (points[k] * (1.0 - f) + points[k + 1] * f) as f32
        })
        .collect()
}

/// Filter types of [`Biquad`] (RBJ audio-EQ cookbook).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Filter {
    /// Low-pass.
    Lowpass,
    /// High-pass.
    Highpass,
    /// Band-pass, 0 dB at the centre.
    Bandpass,
    /// Peaking EQ with a gain in dB.
    Peak(f64),
}

/// A second-order IIR section (transposed direct form II, f64 state).
#[derive(Clone, Debug)]
pub struct Biquad {
    kind: Filter,
    b: [f64; 3],
    a: [f64; 2],
    z: [f64; 2],
}

impl Biquad {
    /// A filter at `freq_hz` with quality `q`.
    pub fn new(kind: Filter, freq_hz: f64, q: f64) -> Self {
        let mut f = Biquad {
            kind,
            b: [0.0; 3],
            a: [0.0; 2],
            z: [0.0; 2],
        };
        f.set(freq_hz, q);
        f
    }

    /// Changes frequency and quality, keeping the state (for sweeps).
    pub fn set(&mut self, freq_hz: f64, q: f64) {
        let f = freq_hz.clamp(5.0, SR_F * 0.49);
        let w = 2.0 * PI * f / SR_F;
        let (sn, cs) = w.sin_cos();
        let alpha = sn / (2.0 * q.max(0.05));
        let (b, a0, a) = match self.kind {
            Filter::Lowpass => (
                [(1.0 - cs) / 2.0, 1.0 - cs, (1.0 - cs) / 2.0],
                1.0 + alpha,
                [-2.0 * cs, 1.0 - alpha],
            ),
            Filter::Highpass => (
                [(1.0 + cs) / 2.0, -(1.0 + cs), (1.0 + cs) / 2.0],
                1.0 + alpha,
                [-2.0 * cs, 1.0 - alpha],
            ),
            Filter::Bandpass => ([alpha, 0.0, -alpha], 1.0 + alpha, [-2.0 * cs, 1.0 - alpha]),
            Filter::Peak(gain_db) => {
                let amp = 10f64.powf(gain_db / 40.0);
                (
                    [1.0 + alpha * amp, -2.0 * cs, 1.0 - alpha * amp],
                    1.0 + alpha / amp,
                    [-2.0 * cs, 1.0 - alpha / amp],
                )
            }
        };
        self.b = [b[0] / a0, b[1] / a0, b[2] / a0];
        self.a = [a[0] / a0, a[1] / a0];
    }

    /// One sample.
    pub fn tick(&mut self, x: f32) -> f32 {
        let x = f64::from(x);
        let y = self.b[0] * x + self.z[0];
        self.z[0] = self.b[1] * x - self.a[0] * y + self.z[1];
        self.z[1] = self.b[2] * x - self.a[1] * y;
        y as f32
    }

    /// Filters a buffer in place.
    pub fn run(&mut self, x: &mut [f32]) {
        for v in x {
            *v = self.tick(*v);
        }
    }
}

/// Filters `x` in place with `order / 2` cascaded sections.
pub fn filter(x: &mut [f32], kind: Filter, freq_hz: f64, q: f64, sections: usize) {
    for _ in 0..sections.max(1) {
        Biquad::new(kind, freq_hz, q).run(x);
    }
}

/// Oscillator waveforms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wave {
    /// Sine.
    Sine,
    /// Square (PolyBLEP, band-limited).
    Square,
    /// Rising saw (PolyBLEP).
    Saw,
    /// Triangle.
    Triangle,
}

impl Wave {
    /// Lower-case name for manifests.
    pub fn name(self) -> &'static str {
        match self {
            Wave::Sine => "sine",
            Wave::Square => "square",
            Wave::Saw => "saw",
            Wave::Triangle => "triangle",
        }
    }
}

fn poly_blep(t: f64, dt: f64) -> f64 {
    if t < dt {
        let t = t / dt;
        t + t - t * t - 1.0
    } else if t > 1.0 - dt {
        let t = (t - 1.0) / dt;
        t * t + t + t + 1.0
    } else {
        0.0
    }
}

/// A phase-accumulating oscillator; the frequency may change every sample.
#[derive(Clone, Debug, Default)]
pub struct Osc {
    phase: f64,
}

impl Osc {
    /// Starts at phase `phase` (0–1).
    pub fn new(phase: f64) -> Self {
        Osc {
            phase: phase.rem_euclid(1.0),
        }
    }

    /// Next sample of `wave` at `freq_hz`, amplitude 1.
    pub fn tick(&mut self, wave: Wave, freq_hz: f64) -> f32 {
        let dt = (freq_hz / SR_F).clamp(0.0, 0.5);
        let t = self.phase;
        let y = match wave {
            Wave::Sine => (2.0 * PI * t).sin(),
            Wave::Saw => 2.0 * t - 1.0 - poly_blep(t, dt),
            Wave::Square => {
                let mut v = if t < 0.5 { 1.0 } else { -1.0 };
                v += poly_blep(t, dt);
                v -= poly_blep((t + 0.5).rem_euclid(1.0), dt);
                v
            }
            Wave::Triangle => 1.0 - 4.0 * (t - 0.5).abs(),
        };
        self.phase = (self.phase + dt).rem_euclid(1.0);
        y as f32
    }
}

/// `n` samples of `wave` at a fixed frequency.
pub fn tone(wave: Wave, freq_hz: f64, n: usize, phase: f64) -> Vec<f32> {
    let mut o = Osc::new(phase);
    (0..n).map(|_| o.tick(wave, freq_hz)).collect()
}

/// A decaying sine "ping": frequency, decay time constant in seconds.
pub fn ping(freq_hz: f64, tau_s: f64, len_s: f64) -> Vec<f32> {
    (0..secs(len_s))
        .map(|i| {
            let t = i as f64 / SR_F;
            ((2.0 * PI * freq_hz * t).sin() * (-t / tau_s).exp()) as f32
        })
        .collect()
}

/// A noise burst with an exponential decay, band-passed at `freq_hz`.
pub fn burst(freq_hz: f64, q: f64, tau_s: f64, len_s: f64, rng: &mut Rng) -> Vec<f32> {
    let mut x = white(secs(len_s).max(2), rng);
    for (i, v) in x.iter_mut().enumerate() {
        *v *= (-(i as f64) / SR_F / tau_s).exp() as f32;
    }
    Biquad::new(Filter::Bandpass, freq_hz, q).run(&mut x);
    x
}

/// Multiplies `x` by an attack/release envelope (linear ramps, seconds).
pub fn envelope(x: &mut [f32], attack_s: f64, release_s: f64) {
    let n = x.len();
    let a = secs(attack_s).min(n);
    let r = secs(release_s).min(n);
    for (i, v) in x.iter_mut().take(a).enumerate() {
        *v *= i as f32 / a as f32;
    }
    for (i, v) in x.iter_mut().rev().take(r).enumerate() {
        *v *= i as f32 / r as f32;
    }
}

/// Mono Schroeder–Moorer reverb (Freeverb's comb/all-pass layout, tuned for
/// 22 050 Hz). `room` 0–1 sets the decay, `damp` 0–1 the high-frequency loss,
/// `wet` the reverb level relative to the dry signal.
pub fn reverb(x: &[f32], room: f64, damp: f64, wet: f64) -> Vec<f32> {
    const COMBS: [usize; 8] = [558, 594, 638, 678, 711, 745, 778, 808];
    const ALLPASS: [usize; 4] = [278, 220, 170, 112];
    let fb = 0.7 + 0.28 * room.clamp(0.0, 1.0);
    let damp = damp.clamp(0.0, 0.95);
    let mut combs: Vec<(Vec<f64>, usize, f64)> =
        COMBS.iter().map(|&l| (vec![0.0; l], 0, 0.0)).collect();
    let mut aps: Vec<(Vec<f64>, usize)> = ALLPASS.iter().map(|&l| (vec![0.0; l], 0)).collect();
    let mut out = Vec::with_capacity(x.len());
    for &s in x {
        let input = f64::from(s) * 0.1;
        let mut acc = 0.0;
        for (buf, idx, lp) in combs.iter_mut() {
            let y = buf[*idx];
            *lp = y * (1.0 - damp) + *lp * damp;
            buf[*idx] = input + *lp * fb;
            *idx = (*idx + 1) % buf.len();
            acc += y;
        }
        for (buf, idx) in aps.iter_mut() {
            let b = buf[*idx];
            buf[*idx] = acc + b * 0.5;
            acc = b - acc;
            *idx = (*idx + 1) % buf.len();
        }
        out.push((f64::from(s) + acc * wet) as f32);
    }
    out
}

/// A feed-forward RMS compressor with make-up gain; `ratio` ≥ 1, threshold
/// relative to the signal's own RMS so the result does not depend on level.
pub fn compress(
    x: &mut [f32],
    threshold_db_re_rms: f64,
    ratio: f64,
    attack_s: f64,
    release_s: f64,
) {
    let thr = rms(x) * db(threshold_db_re_rms);
    if thr <= 0.0 {
        return;
    }
    let att = (-1.0 / (attack_s * SR_F)).exp();
    let rel = (-1.0 / (release_s * SR_F)).exp();
    let mut env = thr * thr;
    for v in x.iter_mut() {
        let p = f64::from(*v) * f64::from(*v);
        let c = if p > env { att } else { rel };
        env = c * env + (1.0 - c) * p;
        let level = env.sqrt();
        if level > thr {
            let g = (thr / level).powf(1.0 - 1.0 / ratio);
            *v = (f64::from(*v) * g) as f32;
        }
    }
}

/// μ-law (G.711) encode/decode at 8 bits: telephone quantisation noise.
pub fn mu_law_8bit(x: &mut [f32]) {
    let mu = 255.0f64;
    let pk = peak(x).max(1e-9);
    for v in x.iter_mut() {
        let s = f64::from(*v) / pk;
        let c = s.signum() * (1.0 + mu * s.abs()).ln() / (1.0 + mu).ln();
        let q = (c * 127.0).round() / 127.0;
        let d = q.signum() * ((1.0 + mu).powf(q.abs()) - 1.0) / mu;
        *v = (d * pk) as f32;
    }
}

/// Equal-tempered frequency of MIDI note `m`.
pub fn midi_hz(m: f64) -> f64 {
    440.0 * 2f64.powf((m - 69.0) / 12.0)
}

/// Note name of a pitch class (0 = C).
pub fn pitch_name(pc: i64) -> &'static str {
    const N: [&str; 12] = [
        "C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B",
    ];
    N[pc.rem_euclid(12) as usize]
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Power at `freq_hz` averaged over Hann-windowed segments (Goertzel).
    pub(crate) fn band_power(x: &[f32], freq_hz: f64) -> f64 {
        let seg = 2048;
        let w = 2.0 * PI * (freq_hz / SR_F * seg as f64).round() / seg as f64;
        let coeff = 2.0 * w.cos();
        let mut total = 0.0;
        let mut count = 0;
        for chunk in x.chunks_exact(seg) {
            let (mut s1, mut s2) = (0.0f64, 0.0f64);
            for (i, &v) in chunk.iter().enumerate() {
                let hann = 0.5 - 0.5 * (2.0 * PI * i as f64 / seg as f64).cos();
                let s = f64::from(v) * hann + coeff * s1 - s2;
                s2 = s1;
                s1 = s;
            }
            total += s1 * s1 + s2 * s2 - coeff * s1 * s2;
            count += 1;
        }
        total / f64::from(count.max(1))
    }

    /// Least-squares slope of power in dB per octave over 100–3200 Hz.
    pub(crate) fn slope_db_per_octave(x: &[f32]) -> f64 {
        let pts: Vec<(f64, f64)> = (0..=10)
            .map(|k| {
                let f = 100.0 * 2f64.powf(k as f64 / 2.0);
                // Average neighbouring bins against the estimate's variance.
                let p: f64 = (-2..=2)
                    .map(|d| band_power(x, f * (1.0 + 0.01 * f64::from(d))))
                    .sum();
                (f.log2(), 10.0 * p.log10())
            })
            .collect();
        let n = pts.len() as f64;
        let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
        let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
        let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
        sxy / sxx
    }

    #[test]
    fn noise_colours_have_their_slopes() {
        let n = secs(20.0);
        for (colour, want) in [
            (Colour::White, 0.0),
            (Colour::Pink, -3.0),
            (Colour::Brown, -6.0),
            (Colour::Blue, 3.0),
            (Colour::Violet, 6.0),
        ] {
            let x = noise(colour, n, &mut Rng::new(5));
            let got = slope_db_per_octave(&x);
            assert!(
                (got - want).abs() < 0.8,
                "{colour:?}: {got:.2} dB/oct, want {want}"
            );
            assert!((rms(&x) - 1.0).abs() < 1e-3);
        }
    }

    #[test]
    fn filters_pass_and_stop() {
        let n = secs(4.0);
        let lo = tone(Wave::Sine, 200.0, n, 0.0);
        let hi = tone(Wave::Sine, 5000.0, n, 0.0);
        let through = |x: &[f32], kind: Filter| {
            let mut y = x.to_vec();
            filter(&mut y, kind, 1000.0, 0.707, 2);
            rms(&y[n / 2..]) / rms(&x[n / 2..])
        };
        assert!(through(&lo, Filter::Lowpass) > 0.95);
        assert!(through(&hi, Filter::Lowpass) < 0.01);
        assert!(through(&lo, Filter::Highpass) < 0.01);
        assert!(through(&hi, Filter::Highpass) > 0.95);
    }

    #[test]
    fn band_limited_square_has_weak_aliases() {
        // 3 kHz square: harmonics 3 and 9 kHz in band; the 5th (15 kHz, −14 dB
        // in a naive square) folds to 7.05 kHz. PolyBLEP pushes it far down.
        let x = tone(Wave::Square, 3000.0, secs(2.0), 0.0);
        let down = |f: f64| 10.0 * (band_power(&x, 3000.0) / band_power(&x, f)).log10();
        assert!(
            down(7050.0) > 25.0,
            "alias only {:.1} dB down",
            down(7050.0)
        );
        // Far below Nyquist the harmonics keep a square's 1/k amplitudes.
        let low = tone(Wave::Square, 500.0, secs(2.0), 0.0);
        let third = 10.0 * (band_power(&low, 500.0) / band_power(&low, 1500.0)).log10();
        assert!(
            (third - 20.0 * 3f64.log10()).abs() < 0.5,
            "3rd harmonic {third:.1} dB down"
        );
    }

    #[test]
    fn loop_fill_covers_without_gaps() {
        let src: Vec<f32> = vec![1.0; 1000];
        let y = loop_fill(&src, 5000, 300, 200);
        assert_eq!(y.len(), 5000);
        // Crossfaded seams sum to ~1, never to silence.
        assert!(y[1..].iter().all(|&v| v > 0.9 && v < 1.1), "{:?}", &y[..10]);
    }

    #[test]
    fn add_at_time_takes_the_tail_of_an_early_sound() {
        let src: Vec<f32> = (0..100).map(|i| i as f32).collect();
        let mut x = vec![0.0f32; 50];
        add_at_time(&mut x, &src, -10.0 / SR_F, 1.0);
        assert_eq!(x[0], 10.0);
        assert_eq!(x[49], 59.0);
        let mut y = vec![0.0f32; 50];
        add_at_time(&mut y, &src, 40.0 / SR_F, 2.0);
        assert_eq!((y[39], y[40], y[49]), (0.0, 0.0, 18.0));
        add_at_time(&mut y, &src, -500.0 / SR_F, 1.0);
        add_at_time(&mut y, &src, 1.0, 1.0);
        assert_eq!(y[49], 18.0);
    }

    #[test]
    fn reverb_adds_a_tail() {
        let mut x = vec![0.0f32; secs(2.0)];
        x[0] = 1.0;
        let y = reverb(&x, 0.8, 0.3, 1.0);
        assert_eq!(y.len(), x.len());
        assert!(rms(&y[secs(0.5)..secs(1.0)]) > 1e-4);
    }

    #[test]
    fn compressor_narrows_loud_and_quiet() {
        // Alternating 100 ms loud and 300 ms quiet (20 dB apart).
        let seg = 2205;
        let mut x: Vec<f32> = (0..secs(2.0))
            .map(|i| {
                let a = if (i / seg) % 4 == 0 { 1.0 } else { 0.1 };
                (a * (i as f64 * 0.1).sin()) as f32
            })
            .collect();
        compress(&mut x, -6.0, 8.0, 0.002, 0.05);
        let loud = rms(&x[4 * seg + seg / 2..5 * seg]);
        let quiet = rms(&x[6 * seg..7 * seg]);
        let spread_db = 20.0 * (loud / quiet).log10();
        assert!(spread_db < 12.0, "still {spread_db:.1} dB apart");
    }
}
