//! The per-frame arithmetic of [`MelSpectrogram`](super::MelSpectrogram)
//! around its real FFT: windowing, the power spectrum, the sparse filterbank
//! and the logarithm.
//!
//! [`Kernels`] picks a build at run time: the portable code, or on x86-64
//! CPUs with AVX2 the same code compiled with AVX2 enabled, where the two
//! reductions the compiler does not vectorise well (the filters' dot
//! products and the frame's sum of squares) are written with intrinsics.
//! Both builds perform the same IEEE operations in the same order (Rust never
//! contracts `a·b + c` into an FMA on its own, and every reduction has a
//! fixed lane structure), so features are bit-identical on every CPU: what a
//! model was trained on is what it sees (`tests::avx2_matches_portable`).

use realfft::num_complex::Complex;
use realfft::{RealToComplex, RealToComplexEven};

/// Independent partial sums in the filters' dot products: one 256-bit
/// register of f64 (filters are short, 1–40 bins).
const LANES: usize = 4;
/// Independent partial sums over a whole frame: four 256-bit registers, so
/// the adds are not serialised on their latency.
const SUM_LANES: usize = 16;

/// Which build of the kernels runs on this CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kernels {
    /// The portable code (SSE2 on x86-64).
    Portable,
    /// AVX2: 4 f64 per instruction.
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

/// One triangular mel filter, stored sparsely: its non-zero bins, padded
/// with zero weights to a whole number of [`LANES`] so the dot product has no
/// scalar tail. (The padding reads real bins or the zeroed end of the
/// spectrum buffer, see [`MelFilter::SPECTRUM_PADDING`]; `0 · x` adds nothing
/// for finite `x`.)
#[derive(Debug, Clone)]
pub(super) struct MelFilter {
    /// First STFT bin with a non-zero weight.
    pub first_bin_idx: usize,
    /// Weights for bins `first_bin_idx ..`.
    pub weights: Vec<f64>,
}

impl MelFilter {
    /// Zeroed slots the spectrum buffer needs past its last bin, for the
    /// padding of the filters that end there.
    pub const SPECTRUM_PADDING: usize = LANES - 1;

    /// Pads `weights` (the filter's non-zero run from `first_bin_idx`). Allocates.
    pub fn new(first_bin_idx: usize, mut weights: Vec<f64>) -> Self {
        weights.resize(weights.len().next_multiple_of(LANES), 0.0);
        Self {
            first_bin_idx,
            weights,
        }
    }
}

impl Kernels {
    /// The fastest build this CPU runs.
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            return Self::Avx2;
        }
        Self::Portable
    }

    /// See [`window`].
    pub fn window(self, frame: &[f32], window_fn: &[f64], out: &mut [f64]) -> f64 {
        match self {
            Self::Portable => window(frame, window_fn, out),
            // SAFETY: `Avx2` is only constructed after `detect` saw AVX2.
            #[cfg(target_arch = "x86_64")]
            Self::Avx2 => unsafe { avx2::window(frame, window_fn, out) },
        }
    }

    /// See [`real_fft`].
    pub fn real_fft(
        self,
        fft: &RealToComplexEven<f64>,
        input: &mut [f64],
        output: &mut [Complex<f64>],
        scratch: &mut [Complex<f64>],
    ) {
        match self {
            Self::Portable => real_fft(fft, input, output, scratch),
            // SAFETY: as in `window`.
            #[cfg(target_arch = "x86_64")]
            Self::Avx2 => unsafe { avx2::real_fft(fft, input, output, scratch) },
        }
    }

    /// See [`power_spectrum`].
    pub fn power_spectrum(self, bins: &[Complex<f64>], magnitude: bool, spectrum: &mut [f64]) {
        match self {
            Self::Portable => power_spectrum(bins, magnitude, spectrum),
            // SAFETY: as in `window`.
            #[cfg(target_arch = "x86_64")]
            Self::Avx2 => unsafe { avx2::power_spectrum(bins, magnitude, spectrum) },
        }
    }

    /// See [`bands_to_db`].
    pub fn bands_to_db(
        self,
        spectrum: &[f64],
        filters: &[MelFilter],
        amin: f64,
        ref_db: f64,
        band_power: &mut [f64],
        out_db: &mut [f32],
    ) {
        match self {
            Self::Portable => bands_to_db(spectrum, filters, amin, ref_db, band_power, out_db),
            // SAFETY: as in `window`.
            #[cfg(target_arch = "x86_64")]
            Self::Avx2 => unsafe {
                avx2::bands_to_db(spectrum, filters, amin, ref_db, band_power, out_db)
            },
        }
    }
}

/// The AVX2 build: the portable bodies inlined into `target_feature`
/// functions, with intrinsics for the reductions.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        __m256d, _mm_loadu_ps, _mm256_add_pd, _mm256_cvtps_pd, _mm256_loadu_pd, _mm256_mul_pd,
        _mm256_setzero_pd, _mm256_storeu_pd,
    };

    use super::{Complex, LANES, MelFilter, RealToComplexEven, SUM_LANES};

    #[target_feature(enable = "avx2")]
    pub(super) fn window(frame: &[f32], window_fn: &[f64], out: &mut [f64]) -> f64 {
        super::window_multiply(frame, window_fn, out);
        sum_squares(frame)
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn real_fft(
        fft: &RealToComplexEven<f64>,
        input: &mut [f64],
        output: &mut [Complex<f64>],
        scratch: &mut [Complex<f64>],
    ) {
        super::real_fft(fft, input, output, scratch)
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn power_spectrum(bins: &[Complex<f64>], magnitude: bool, spectrum: &mut [f64]) {
        super::power_spectrum(bins, magnitude, spectrum)
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn bands_to_db(
        spectrum: &[f64],
        filters: &[MelFilter],
        amin: f64,
        ref_db: f64,
        band_power: &mut [f64],
        out_db: &mut [f32],
    ) {
        for (power, filter) in band_power.iter_mut().zip(filters) {
            let bins = &spectrum[filter.first_bin_idx..][..filter.weights.len()];
            *power = dot(bins, &filter.weights);
        }
        super::power_to_db(band_power, amin, ref_db, out_db);
    }

    /// [`super::dot`] with one register of [`LANES`] partial sums.
    #[target_feature(enable = "avx2")]
    fn dot(a: &[f64], b: &[f64]) -> f64 {
        let mut acc = _mm256_setzero_pd();
        for (x, y) in a
            .as_chunks::<LANES>()
            .0
            .iter()
            .zip(b.as_chunks::<LANES>().0)
        {
            // SAFETY: each chunk is LANES = 4 contiguous f64.
            let (x, y) = unsafe { (_mm256_loadu_pd(x.as_ptr()), _mm256_loadu_pd(y.as_ptr())) };
            acc = _mm256_add_pd(acc, _mm256_mul_pd(x, y));
        }
        let lanes = to_array(acc);
        (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
    }

    /// [`super::sum_squares`] with four registers of partial sums.
    #[target_feature(enable = "avx2")]
    fn sum_squares(x: &[f32]) -> f64 {
        const REGISTERS: usize = SUM_LANES / LANES;
        let mut acc = [_mm256_setzero_pd(); REGISTERS];
        let (chunks, tail) = x.as_chunks::<SUM_LANES>();
        for chunk in chunks {
            for (register, quad) in acc.iter_mut().zip(chunk.as_chunks::<LANES>().0) {
                // SAFETY: `quad` is 4 contiguous f32.
                let v = _mm256_cvtps_pd(unsafe { _mm_loadu_ps(quad.as_ptr()) });
                *register = _mm256_add_pd(*register, _mm256_mul_pd(v, v));
            }
        }
        let mut lanes = [0.0; SUM_LANES];
        for (quad, register) in lanes.as_chunks_mut::<LANES>().0.iter_mut().zip(acc) {
            *quad = to_array(register);
        }
        super::finish_sum_squares(lanes, tail)
    }

    #[target_feature(enable = "avx2")]
    fn to_array(v: __m256d) -> [f64; LANES] {
        let mut out = [0.0; LANES];
        // SAFETY: `out` holds 4 f64.
        unsafe { _mm256_storeu_pd(out.as_mut_ptr(), v) };
        out
    }
}

/// Multiplies `frame` by `window_fn` into `out` (the real FFT's input);
/// returns the frame's sum of squares.
#[inline(always)]
fn window(frame: &[f32], window_fn: &[f64], out: &mut [f64]) -> f64 {
    window_multiply(frame, window_fn, out);
    sum_squares(frame)
}

/// The windowing part of [`window`].
#[inline(always)]
fn window_multiply(frame: &[f32], window_fn: &[f64], out: &mut [f64]) {
    assert!(window_fn.len() == frame.len() && out.len() == frame.len());
    for ((o, &x), &w) in out.iter_mut().zip(frame).zip(window_fn) {
        *o = f64::from(x) * w;
    }
}

/// Sum of squares in f64, in [`SUM_LANES`] partial sums.
#[inline(always)]
fn sum_squares(x: &[f32]) -> f64 {
    let mut lanes = [0.0f64; SUM_LANES];
    let (chunks, tail) = x.as_chunks::<SUM_LANES>();
    for chunk in chunks {
        for (acc, &v) in lanes.iter_mut().zip(chunk) {
            let v = f64::from(v);
            *acc += v * v;
        }
    }
    finish_sum_squares(lanes, tail)
}

/// Adds the tail (shorter than a chunk) into the lanes, then the lanes
/// pairwise in a fixed order.
#[inline(always)]
fn finish_sum_squares(mut lanes: [f64; SUM_LANES], tail: &[f32]) -> f64 {
    for (acc, &v) in lanes.iter_mut().zip(tail) {
        let v = f64::from(v);
        *acc += v * v;
    }
    let mut width = SUM_LANES;
    while width > 1 {
        width /= 2;
        for lane in 0..width {
            lanes[lane] += lanes[lane + width];
        }
    }
    lanes[0]
}

/// realfft's real-input FFT of `input` (overwritten) into `output`.
///
/// realfft runs a complex FFT of half the length (rustfft, which picks its
/// own SIMD at run time) and then a pass over its output that makes it the
/// real input's spectrum. That pass is realfft's generic code, compiled into
/// the caller: inlined here, the AVX2 build vectorises it, which the
/// portable build cannot (it was a fifth of a frame's time).
#[inline(always)]
fn real_fft(
    fft: &RealToComplexEven<f64>,
    input: &mut [f64],
    output: &mut [Complex<f64>],
    scratch: &mut [Complex<f64>],
) {
    fft.process_with_scratch(input, output, scratch)
        .expect("the FFT's buffers are sized by its own plan");
}

/// `spectrum[k] = |bins[k]|²`, or `|bins[k]|` when `magnitude`.
#[inline(always)]
fn power_spectrum(bins: &[Complex<f64>], magnitude: bool, spectrum: &mut [f64]) {
    assert!(bins.len() == spectrum.len());
    for (s, x) in spectrum.iter_mut().zip(bins) {
        *s = x.re * x.re + x.im * x.im;
    }
    if magnitude {
        for s in spectrum.iter_mut() {
            *s = s.sqrt();
        }
    }
}

/// Applies the sparse filterbank to `spectrum` (padded by
/// [`MelFilter::SPECTRUM_PADDING`] zeros) into `band_power`, then writes
/// `10·log10(max(power, amin)) − ref_db` per band into `out_db`.
#[inline(always)]
fn bands_to_db(
    spectrum: &[f64],
    filters: &[MelFilter],
    amin: f64,
    ref_db: f64,
    band_power: &mut [f64],
    out_db: &mut [f32],
) {
    for (power, filter) in band_power.iter_mut().zip(filters) {
        let bins = &spectrum[filter.first_bin_idx..][..filter.weights.len()];
        *power = dot(bins, &filter.weights);
    }
    power_to_db(band_power, amin, ref_db, out_db);
}

/// `10·log10(max(power, amin)) − ref_db` per band.
#[inline(always)]
fn power_to_db(band_power: &[f64], amin: f64, ref_db: f64, out_db: &mut [f32]) {
    let mut all_normal = true;
    for (out, &power) in out_db.iter_mut().zip(band_power) {
        let power = power.max(amin);
        all_normal &= (f64::MIN_POSITIVE..f64::INFINITY).contains(&power);
        *out = (10.0 * fast_log10(power) - ref_db) as f32;
    }
    // The fast logarithm reads the float's bits and holds for positive
    // normal numbers only; anything else (infinite power from absurd input,
    // an amin below f64::MIN_POSITIVE) takes the library's path.
    if !all_normal {
        for (out, &power) in out_db.iter_mut().zip(band_power) {
            let power = power.max(amin);
            if !(f64::MIN_POSITIVE..f64::INFINITY).contains(&power) {
                *out = (10.0 * power.log10() - ref_db) as f32;
            }
        }
    }
}

/// Dot product of two equally long slices whose length is a multiple of
/// [`LANES`], in [`LANES`] partial sums.
#[inline(always)]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; LANES];
    for (x, y) in a
        .as_chunks::<LANES>()
        .0
        .iter()
        .zip(b.as_chunks::<LANES>().0)
    {
        for lane in 0..LANES {
            acc[lane] += x[lane] * y[lane];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// log10 of a positive normal f64, within about 1e-12 absolute.
///
/// libm's `log10` is a call per value and cost an eighth of a frame. This
/// splits `x = 2^e · m` with `m` in [√½, √2) and sums the series
/// `ln m = 2·atanh(t)`, `t = (m − 1)/(m + 1)`, `|t| ≤ 0.172`, whose first
/// omitted term is below 1e-11. Integer-to-float conversion goes through the
/// bits too (x86 has no vector i64 → f64 before AVX-512), so loops over bands
/// vectorise.
#[inline(always)]
pub(super) fn fast_log10(x: f64) -> f64 {
    const MANTISSA_BITS: u32 = 52;
    const MANTISSA_MASK: u64 = (1 << MANTISSA_BITS) - 1;
    const ONE_BITS: u64 = 0x3FF0_0000_0000_0000;
    /// 2^52: a float with this exponent holds small integers in its mantissa.
    const TWO_POW_52: f64 = 4_503_599_627_370_496.0;
    const EXPONENT_BIAS: f64 = 1023.0;
    let bits = x.to_bits();
    // Mantissa with the exponent of 1.0, i.e. m in [1, 2).
    let m = f64::from_bits((bits & MANTISSA_MASK) | ONE_BITS);
    let biased_exponent = f64::from_bits((bits >> MANTISSA_BITS) | TWO_POW_52.to_bits());
    let mut e = (biased_exponent - TWO_POW_52) - EXPONENT_BIAS;
    let above = m > std::f64::consts::SQRT_2;
    let m = if above { 0.5 * m } else { m };
    e += if above { 1.0 } else { 0.0 };
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let series = 1.0
        + t2 * (1.0 / 3.0
            + t2 * (1.0 / 5.0 + t2 * (1.0 / 7.0 + t2 * (1.0 / 9.0 + t2 * (1.0 / 11.0)))));
    let ln_m = 2.0 * t * series;
    (e * std::f64::consts::LN_2 + ln_m) * std::f64::consts::LOG10_E
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_log10_matches_libm() {
        let mut worst = (0.0f64, 0.0f64);
        let mut x = f64::MIN_POSITIVE;
        while x < 1e300 {
            for scale in [1.0, 1.1, 1.2345, std::f64::consts::SQRT_2, 1.5, 1.999_999] {
                let v = x * scale;
                let err = (fast_log10(v) - v.log10()).abs();
                if err > worst.0 {
                    worst = (err, v);
                }
            }
            x *= 3.7;
        }
        assert!(worst.0 < 1e-11, "worst |Δ| {:e} at {:e}", worst.0, worst.1);
    }

    /// A deterministic, loud-and-quiet test frame and everything the kernels need.
    fn inputs() -> (Vec<f32>, Vec<f64>, Vec<MelFilter>) {
        let n = 2048;
        let mut state = 7u32;
        let frame: Vec<f32> = (0..n)
            .map(|i| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let noise = (state >> 9) as f32 / (1 << 23) as f32 - 0.5;
                0.5 * (i as f32 * 0.05).sin() + 1e-4 * noise
            })
            .collect();
        let window_fn: Vec<f64> = (0..n).map(|i| 0.5 + 0.25 * (i as f64).cos()).collect();
        let filters = (0..64)
            .map(|m| {
                MelFilter::new(
                    m * 15,
                    (0..(3 + m % 11)).map(|i| 0.1 + i as f64 * 0.01).collect(),
                )
            })
            .collect();
        (frame, window_fn, filters)
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_matches_portable() {
        if Kernels::detect() != Kernels::Avx2 {
            eprintln!("SKIPPED: this CPU has no AVX2");
            return;
        }
        let (frame, window_fn, filters) = inputs();
        let run = |kernels: Kernels| {
            let mut windowed = vec![0.0; frame.len()];
            let sum_sq = kernels.window(&frame, &window_fn, &mut windowed);
            // The windowed frame, paired up, stands in for an FFT output: the
            // kernels see the same numbers.
            let bins: Vec<Complex<f64>> = windowed
                .chunks_exact(2)
                .map(|pair| Complex::new(pair[0], pair[1]))
                .collect();
            let mut spectrum = vec![0.0; bins.len()];
            kernels.power_spectrum(&bins, false, &mut spectrum);
            let mut magnitude = vec![0.0; bins.len()];
            kernels.power_spectrum(&bins, true, &mut magnitude);
            assert!(
                magnitude
                    .iter()
                    .zip(&spectrum)
                    .all(|(m, s)| m.to_bits() == s.sqrt().to_bits())
            );
            spectrum.resize(spectrum.len() + MelFilter::SPECTRUM_PADDING, 0.0);
            let mut band_power = vec![0.0; filters.len()];
            let mut out_db = vec![0.0f32; filters.len()];
            kernels.bands_to_db(
                &spectrum,
                &filters,
                1e-10,
                0.0,
                &mut band_power,
                &mut out_db,
            );
            (sum_sq, windowed, spectrum, band_power, out_db)
        };
        let (a, b) = (run(Kernels::Portable), run(Kernels::Avx2));
        assert_eq!(a.0.to_bits(), b.0.to_bits(), "sum of squares");
        assert_eq!(a.1, b.1, "windowed frame");
        assert_eq!(a.2, b.2, "spectrum");
        assert_eq!(a.3, b.3, "band power");
        assert_eq!(a.4, b.4, "dB");
    }
}
