//! Small offline DSP pieces the renderer needs in-process: RBJ biquads, FFT
//! convolution, levels and panning.
//!
//! Everything here works on whole buffers (the corpus renders offline), so
//! functions allocate freely and say so only when it matters.

use std::f64::consts::PI;

use realfft::RealFftPlanner;
#[cfg(test)]
use realfft::num_complex::Complex;

/// Sample rate of every stem before the master's resampling.
pub const SR: f64 = 44_100.0;

/// Filter shapes of the RBJ audio-EQ cookbook.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Shape {
    /// Low-pass (`q` sets resonance).
    LowPass,
    /// High-pass (`q` sets resonance).
    HighPass,
    /// Peaking EQ with `gain_db`.
    Peak,
    /// Low shelf with `gain_db`.
    LowShelf,
    /// High shelf with `gain_db`.
    HighShelf,
}

/// One second-order section (transposed direct form II, f64 state).
#[derive(Clone, Debug)]
pub struct Biquad {
    b: [f64; 3],
    a: [f64; 2],
    z: [f64; 2],
}

impl Biquad {
    /// Designs a section at `freq_hz` for sample rate `sr`.
    pub fn new(shape: Shape, freq_hz: f64, q: f64, gain_db: f64, sr: f64) -> Self {
        let f = freq_hz.clamp(5.0, sr * 0.49);
        let w0 = 2.0 * PI * f / sr;
        let (sn, cs) = w0.sin_cos();
        let alpha = sn / (2.0 * q.max(0.05));
        let a_lin = 10f64.powf(gain_db / 40.0);
        let (b0, b1, b2, a0, a1, a2) = match shape {
            Shape::LowPass => (
                (1.0 - cs) / 2.0,
                1.0 - cs,
                (1.0 - cs) / 2.0,
                1.0 + alpha,
                -2.0 * cs,
                1.0 - alpha,
            ),
            Shape::HighPass => (
                (1.0 + cs) / 2.0,
                -(1.0 + cs),
                (1.0 + cs) / 2.0,
                1.0 + alpha,
                -2.0 * cs,
                1.0 - alpha,
            ),
            Shape::Peak => (
                1.0 + alpha * a_lin,
                -2.0 * cs,
                1.0 - alpha * a_lin,
                1.0 + alpha / a_lin,
                -2.0 * cs,
                1.0 - alpha / a_lin,
            ),
            Shape::LowShelf => {
                let s = 2.0 * a_lin.sqrt() * alpha;
                (
                    a_lin * ((a_lin + 1.0) - (a_lin - 1.0) * cs + s),
                    2.0 * a_lin * ((a_lin - 1.0) - (a_lin + 1.0) * cs),
                    a_lin * ((a_lin + 1.0) - (a_lin - 1.0) * cs - s),
                    (a_lin + 1.0) + (a_lin - 1.0) * cs + s,
                    -2.0 * ((a_lin - 1.0) + (a_lin + 1.0) * cs),
                    (a_lin + 1.0) + (a_lin - 1.0) * cs - s,
                )
            }
            Shape::HighShelf => {
                let s = 2.0 * a_lin.sqrt() * alpha;
                (
                    a_lin * ((a_lin + 1.0) + (a_lin - 1.0) * cs + s),
                    -2.0 * a_lin * ((a_lin - 1.0) + (a_lin + 1.0) * cs),
                    a_lin * ((a_lin + 1.0) + (a_lin - 1.0) * cs - s),
                    (a_lin + 1.0) - (a_lin - 1.0) * cs + s,
                    2.0 * ((a_lin - 1.0) - (a_lin + 1.0) * cs),
                    (a_lin + 1.0) - (a_lin - 1.0) * cs - s,
                )
            }
        };
        Biquad {
            b: [b0 / a0, b1 / a0, b2 / a0],
            a: [a1 / a0, a2 / a0],
            z: [0.0; 2],
        }
    }

    /// Filters one sample.
    #[inline]
    pub fn tick(&mut self, x: f64) -> f64 {
        let y = self.b[0] * x + self.z[0];
        self.z[0] = self.b[1] * x - self.a[0] * y + self.z[1];
        self.z[1] = self.b[2] * x - self.a[1] * y;
        y
    }

    /// Filters a buffer in place.
    pub fn process(&mut self, x: &mut [f32]) {
        for v in x {
            *v = self.tick(f64::from(*v)) as f32;
        }
    }

    /// Magnitude response at `freq_hz`.
    #[cfg(test)]
    pub fn magnitude(&self, freq_hz: f64, sr: f64) -> f64 {
        let w = 2.0 * PI * freq_hz / sr;
        let z1 = Complex::new(w.cos(), -w.sin());
        let z2 = z1 * z1;
        let num = Complex::new(self.b[0], 0.0) + z1 * self.b[1] + z2 * self.b[2];
        let den = Complex::new(1.0, 0.0) + z1 * self.a[0] + z2 * self.a[1];
        (num / den).norm()
    }
}

/// Runs a cascade of sections over a buffer in place.
pub fn filter_chain(chain: &mut [Biquad], x: &mut [f32]) {
    for bq in chain {
        bq.process(x);
    }
}

/// Linear convolution of `x` with `h`, truncated to `x.len()` samples (the
/// tail past the input is dropped: stems are cut to the window anyway).
/// Overlap-add with FFT blocks of about four IR lengths.
pub fn convolve(x: &[f32], h: &[f32]) -> Vec<f32> {
    if x.is_empty() || h.is_empty() {
        return vec![0.0; x.len()];
    }
    let n = (4 * h.len())
        .next_power_of_two()
        .max(4096)
        .min((x.len() + h.len() - 1).next_power_of_two());
    let block = n - h.len() + 1;
    let mut planner = RealFftPlanner::<f64>::new();
    let fwd = planner.plan_fft_forward(n);
    let inv = planner.plan_fft_inverse(n);
    let mut buf = fwd.make_input_vec();
    for (b, &v) in buf.iter_mut().zip(h) {
        *b = f64::from(v);
    }
    let mut hs = fwd.make_output_vec();
    fwd.process(&mut buf, &mut hs).expect("fft sizes match");
    let mut spec = fwd.make_output_vec();
    let mut time = inv.make_output_vec();
    let mut out = vec![0.0f64; x.len()];
    let mut start = 0;
    while start < x.len() {
        let end = (start + block).min(x.len());
        buf.iter_mut().for_each(|b| *b = 0.0);
        for (b, &v) in buf.iter_mut().zip(&x[start..end]) {
            *b = f64::from(v);
        }
        fwd.process(&mut buf, &mut spec).expect("fft sizes match");
        for (s, hv) in spec.iter_mut().zip(&hs) {
            *s *= hv;
        }
        // the product of two real spectra is real at DC and Nyquist up to rounding
        spec[0].im = 0.0;
        if let Some(last) = spec.last_mut() {
            last.im = 0.0;
        }
        inv.process(&mut spec, &mut time).expect("ifft sizes match");
        for (o, &t) in out[start..].iter_mut().zip(&time) {
            *o += t;
        }
        start = end;
    }
    let scale = 1.0 / n as f64;
    out.into_iter().map(|v| (v * scale) as f32).collect()
}

/// RMS of a buffer.
pub fn rms(x: &[f32]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    (x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len() as f64).sqrt()
}

/// RMS of the louder half of a buffer's 46 ms frames that are not silent:
/// the level of an instrument while it plays, however long it rests.
pub fn active_rms(x: &[f32]) -> f64 {
    let mut frames: Vec<f64> = x.chunks(2048).map(rms).filter(|&r| r > 1e-5).collect();
    if frames.is_empty() {
        return 0.0;
    }
    frames.sort_by(|a, b| b.total_cmp(a));
    let top = &frames[..frames.len().div_ceil(2)];
    (top.iter().map(|r| r * r).sum::<f64>() / top.len() as f64).sqrt()
}

/// Peak magnitude of a buffer.
pub fn peak(x: &[f32]) -> f64 {
    x.iter().fold(0.0f32, |m, v| m.max(v.abs())) as f64
}

/// dB to linear amplitude.
pub fn db(gain_db: f64) -> f64 {
    10f64.powf(gain_db / 20.0)
}

/// Linear amplitude to dB (floored at −200 dB).
pub fn to_db(x: f64) -> f64 {
    20.0 * x.max(1e-10).log10()
}

/// Scales a buffer in place.
pub fn scale(x: &mut [f32], g: f64) {
    for v in x {
        *v = (f64::from(*v) * g) as f32;
    }
}

/// Constant-power pan gains for `pan` in [−1, 1] (left … right).
pub fn pan_gains(pan: f64) -> (f64, f64) {
    let a = (pan.clamp(-1.0, 1.0) + 1.0) * PI / 4.0;
    (
        a.cos() * std::f64::consts::SQRT_2,
        a.sin() * std::f64::consts::SQRT_2,
    )
}

/// Resamples by linear interpolation so that `ratio` input samples become
/// one output sample (ratio > 1 shortens and raises pitch, like a sampler
/// playing faster).
pub fn resample_linear(x: &[f32], ratio: f64) -> Vec<f32> {
    if x.is_empty() || ratio <= 0.0 {
        return Vec::new();
    }
    let n = ((x.len() as f64) / ratio).floor() as usize;
    (0..n)
        .map(|i| {
            let p = i as f64 * ratio;
            let k = p.floor() as usize;
            let f = (p - k as f64) as f32;
            let a = x.get(k).copied().unwrap_or(0.0);
            let b = x.get(k + 1).copied().unwrap_or(a);
            a + (b - a) * f
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(x: &[f32], h: &[f32]) -> Vec<f32> {
        (0..x.len())
            .map(|n| {
                (0..h.len())
                    .filter(|&k| k <= n)
                    .map(|k| f64::from(h[k]) * f64::from(x[n - k]))
                    .sum::<f64>() as f32
            })
            .collect()
    }

    #[test]
    fn fft_convolution_matches_direct_form() {
        let x: Vec<f32> = (0..20_000)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 50.0)
            .collect();
        for len in [1usize, 7, 64, 333, 3000] {
            let h: Vec<f32> = (0..len)
                .map(|i| (0.9f32).powi(i as i32) * if i % 3 == 0 { -1.0 } else { 1.0 })
                .collect();
            let a = convolve(&x, &h);
            let b = naive(&x, &h);
            assert_eq!(a.len(), x.len());
            let worst = a
                .iter()
                .zip(&b)
                .map(|(p, q)| (p - q).abs())
                .fold(0.0f32, f32::max);
            assert!(worst < 1e-4, "ir length {len}: worst difference {worst}");
        }
    }

    #[test]
    fn biquads_have_their_designed_response() {
        let lp = Biquad::new(Shape::LowPass, 1000.0, 0.707, 0.0, SR);
        assert!((lp.magnitude(10.0, SR) - 1.0).abs() < 0.01);
        assert!((to_db(lp.magnitude(1000.0, SR)) + 3.01).abs() < 0.1);
        assert!(lp.magnitude(10_000.0, SR) < 0.02);
        let hp = Biquad::new(Shape::HighPass, 100.0, 0.707, 0.0, SR);
        assert!(hp.magnitude(10.0, SR) < 0.02);
        let pk = Biquad::new(Shape::Peak, 2000.0, 1.0, 6.0, SR);
        assert!((to_db(pk.magnitude(2000.0, SR)) - 6.0).abs() < 0.05);
        let hs = Biquad::new(Shape::HighShelf, 3000.0, 0.707, -4.0, SR);
        assert!((to_db(hs.magnitude(18_000.0, SR)) + 4.0).abs() < 0.3);
        let ls = Biquad::new(Shape::LowShelf, 150.0, 0.707, 5.0, SR);
        assert!((to_db(ls.magnitude(20.0, SR)) - 5.0).abs() < 0.3);
        // filtering a sine at the peak frequency raises it by the design gain
        let mut s: Vec<f32> = (0..44_100)
            .map(|i| (2.0 * PI * 2000.0 * i as f64 / SR).sin() as f32 * 0.1)
            .collect();
        let before = rms(&s[22_050..]);
        let mut pk2 = pk.clone();
        pk2.process(&mut s);
        assert!((to_db(rms(&s[22_050..]) / before) - 6.0).abs() < 0.1);
    }

    #[test]
    fn active_level_ignores_rests() {
        let tone: Vec<f32> = (0..44_100)
            .map(|i| if i % 2 == 0 { 0.1 } else { -0.1 })
            .collect();
        let mut sparse = vec![0.0f32; 441_000];
        sparse[..44_100].copy_from_slice(&tone);
        assert!((active_rms(&sparse) - 0.1).abs() < 1e-6);
        assert!(rms(&sparse) < 0.04);
        assert_eq!(active_rms(&[0.0; 100]), 0.0);
    }

    #[test]
    fn pan_is_constant_power() {
        for p in [-1.0, -0.3, 0.0, 0.5, 1.0] {
            let (l, r) = pan_gains(p);
            assert!((l * l + r * r - 2.0).abs() < 1e-9);
        }
        let (l, r) = pan_gains(-1.0);
        assert!(r.abs() < 1e-9 && l > 1.4);
    }

    #[test]
    fn resampling_changes_length_by_the_ratio() {
        let x: Vec<f32> = (0..1000).map(|i| i as f32).collect();
        let y = resample_linear(&x, 2.0);
        assert_eq!(y.len(), 500);
        assert_eq!(y[10], 20.0);
        let z = resample_linear(&x, 0.5);
        assert_eq!(z.len(), 2000);
        assert_eq!(z[3], 1.5);
    }
}
