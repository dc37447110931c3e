//! Log-mel spectrogram: the one feature implementation shared by the plugin,
//! the CLI and the training features.
//!
//! It reproduces `librosa.feature.melspectrogram(y, sr, n_fft, hop_length,
//! center=False, power=2.0, n_mels, fmin, fmax)` (periodic Hann, Slaney mel
//! scale, Slaney area normalisation) followed by
//! `librosa.power_to_db(S, ref=1.0, amin=1e-10, top_db=None)`. Frame `k` covers
//! input samples `k·hop … k·hop + n_fft − 1`.
//!
//! [`MelSpectrogram`] is streaming: push any number of samples, get a callback
//! per finished frame. The frames do not depend on how the input is chunked.
//! After [`MelSpectrogram::new`], [`MelSpectrogram::push`] never allocates.

mod kernels;

use realfft::num_complex::Complex;
use realfft::{RealToComplex, RealToComplexEven};
use rustfft::FftPlanner;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};
use kernels::{Kernels, MelFilter};

/// The feature contract, as written in the model card's `features` block.
///
/// Only the values the code can honour are accepted (see [`FeatureSpec::validate`]);
/// the strings exist so a card that asks for something else fails loudly
/// instead of being silently misread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSpec {
    /// Rate the audio is resampled to before the STFT.
    pub sample_rate_hz: u32,
    /// STFT size in samples (also the window length).
    pub n_fft: usize,
    /// STFT hop in samples.
    pub hop_length: usize,
    /// Analysis window; only `"hann_periodic"` is implemented.
    pub window: String,
    /// librosa's `center`; only `false` is implemented (streaming cannot look back before sample 0).
    pub center: bool,
    /// Exponent of the magnitude spectrum: 2.0 (power) or 1.0 (magnitude).
    pub power: f32,
    /// Number of mel bands (the network input height).
    pub n_mels: usize,
    /// Lowest mel filter edge.
    pub fmin_hz: f64,
    /// Highest mel filter edge.
    pub fmax_hz: f64,
    /// Only `"slaney"` is implemented.
    pub mel_scale: String,
    /// Only `"slaney"` (area normalisation) is implemented.
    pub mel_norm: String,
    /// Floor applied before the logarithm.
    pub amin: f64,
    /// Reference power for 0 dB.
    pub ref_power: f64,
    /// Must be `null`: a dynamic-range clip relative to the loudest bin of a
    /// whole file cannot be computed while streaming.
    pub top_db: Option<f64>,
    /// Frames per network input window (130 ≈ 3.0 s at the defaults).
    pub window_frames: usize,
}

impl Default for FeatureSpec {
    /// The contract of DESIGN.md: what the shipped model was trained on.
    fn default() -> Self {
        Self {
            sample_rate_hz: 22_050,
            n_fft: 2048,
            hop_length: 512,
            window: "hann_periodic".into(),
            center: false,
            power: 2.0,
            n_mels: 128,
            fmin_hz: 0.0,
            fmax_hz: 11_025.0,
            mel_scale: "slaney".into(),
            mel_norm: "slaney".into(),
            amin: 1e-10,
            ref_power: 1.0,
            top_db: None,
            window_frames: 130,
        }
    }
}

impl FeatureSpec {
    /// Checks that this code computes exactly what the spec asks for.
    pub fn validate(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::FeatureSpec(msg));
        if !(crate::audio::MIN_SAMPLE_RATE_HZ..=crate::audio::MAX_SAMPLE_RATE_HZ)
            .contains(&self.sample_rate_hz)
        {
            return bad(format!(
                "sample_rate_hz {} outside 8000–384000",
                self.sample_rate_hz
            ));
        }
        if self.n_fft < 16 || self.n_fft > 65_536 || !self.n_fft.is_multiple_of(2) {
            return bad(format!(
                "n_fft {} is not an even number in 16–65536",
                self.n_fft
            ));
        }
        if self.hop_length == 0 || self.hop_length > self.n_fft {
            return bad(format!(
                "hop_length {} must be 1..=n_fft ({})",
                self.hop_length, self.n_fft
            ));
        }
        if self.window != "hann_periodic" {
            return bad(format!(
                "window {:?} (only \"hann_periodic\" is implemented)",
                self.window
            ));
        }
        if self.center {
            return bad("center = true (only false is implemented)".into());
        }
        if self.power != 1.0 && self.power != 2.0 {
            return bad(format!("power {} (expected 1.0 or 2.0)", self.power));
        }
        if self.n_mels == 0 || self.n_mels > 1024 {
            return bad(format!("n_mels {} outside 1–1024", self.n_mels));
        }
        let nyquist_hz = f64::from(self.sample_rate_hz) / 2.0;
        if !(self.fmin_hz >= 0.0 && self.fmin_hz < self.fmax_hz && self.fmax_hz <= nyquist_hz) {
            return bad(format!(
                "mel range {}–{} Hz must satisfy 0 ≤ fmin < fmax ≤ {nyquist_hz} Hz",
                self.fmin_hz, self.fmax_hz
            ));
        }
        if self.mel_scale != "slaney" || self.mel_norm != "slaney" {
            return bad(format!(
                "mel_scale {:?} / mel_norm {:?} (only \"slaney\" is implemented)",
                self.mel_scale, self.mel_norm
            ));
        }
        if !(self.amin > 0.0 && self.ref_power > 0.0) {
            return bad(format!(
                "amin {} and ref_power {} must be positive",
                self.amin, self.ref_power
            ));
        }
        if self.top_db.is_some() {
            return bad("top_db must be null (not computable while streaming)".into());
        }
        if self.window_frames == 0 || self.window_frames > 10_000 {
            return bad(format!(
                "window_frames {} outside 1–10000",
                self.window_frames
            ));
        }
        Ok(())
    }

    /// Number of STFT bins, `n_fft / 2 + 1`.
    pub fn num_bins(&self) -> usize {
        self.n_fft / 2 + 1
    }

    /// Seconds covered by one network window.
    pub fn window_duration_s(&self) -> f64 {
        ((self.window_frames - 1) * self.hop_length + self.n_fft) as f64
            / f64::from(self.sample_rate_hz)
    }

    /// Seconds between consecutive frames.
    pub fn frame_period_s(&self) -> f64 {
        self.hop_length as f64 / f64::from(self.sample_rate_hz)
    }

    /// Number of frames librosa produces for `num_samples` samples (center=False).
    pub fn num_frames(&self, num_samples: usize) -> usize {
        if num_samples < self.n_fft {
            0
        } else {
            1 + (num_samples - self.n_fft) / self.hop_length
        }
    }
}

// Slaney's mel scale (librosa `htk=False`): linear below 1 kHz, logarithmic above.
/// Hz per mel in the linear part.
const SLANEY_HZ_PER_MEL: f64 = 200.0 / 3.0;
/// Where the logarithmic part starts.
const SLANEY_MIN_LOG_HZ: f64 = 1000.0;
/// Mel value at [`SLANEY_MIN_LOG_HZ`].
const SLANEY_MIN_LOG_MEL: f64 = SLANEY_MIN_LOG_HZ / SLANEY_HZ_PER_MEL;

/// Log step per mel above 1 kHz: 27 mels per factor 6.4.
fn slaney_logstep() -> f64 {
    6.4f64.ln() / 27.0
}

/// librosa `hz_to_mel(htk=False)`.
fn hz_to_mel(hz: f64) -> f64 {
    if hz >= SLANEY_MIN_LOG_HZ {
        SLANEY_MIN_LOG_MEL + (hz / SLANEY_MIN_LOG_HZ).ln() / slaney_logstep()
    } else {
        hz / SLANEY_HZ_PER_MEL
    }
}

/// Inverse of [`hz_to_mel`].
fn mel_to_hz(mel: f64) -> f64 {
    if mel >= SLANEY_MIN_LOG_MEL {
        SLANEY_MIN_LOG_HZ * (slaney_logstep() * (mel - SLANEY_MIN_LOG_MEL)).exp()
    } else {
        SLANEY_HZ_PER_MEL * mel
    }
}

/// Builds the Slaney-normalised mel filterbank exactly as `librosa.filters.mel`
/// does (float64 maths, stored as float32), keeping only non-zero weights.
/// Weights are held as f64 (exactly).
fn mel_filterbank(spec: &FeatureSpec) -> Vec<MelFilter> {
    let num_bins = spec.num_bins();
    let sr = f64::from(spec.sample_rate_hz);
    let fft_freqs_hz: Vec<f64> = (0..num_bins)
        .map(|k| k as f64 * (sr / 2.0) / (num_bins - 1) as f64)
        .collect();
    let mel_min = hz_to_mel(spec.fmin_hz);
    let mel_max = hz_to_mel(spec.fmax_hz);
    let num_points = spec.n_mels + 2;
    let edges_hz: Vec<f64> = (0..num_points)
        .map(|i| mel_to_hz(mel_min + (mel_max - mel_min) * i as f64 / (num_points - 1) as f64))
        .collect();

    (0..spec.n_mels)
        .map(|m| {
            let (lo, mid, hi) = (edges_hz[m], edges_hz[m + 1], edges_hz[m + 2]);
            let enorm = 2.0 / (hi - lo);
            // Only bins strictly inside (lo, hi) can weigh more than zero:
            // computing the others (a whole spectrum per filter, per file)
            // cost more than a second of audio's mel frames.
            let inside = fft_freqs_hz.partition_point(|&f| f <= lo)
                ..fft_freqs_hz.partition_point(|&f| f < hi);
            let dense: Vec<f32> = fft_freqs_hz[inside.clone()]
                .iter()
                .map(|&f| {
                    let lower = (f - lo) / (mid - lo);
                    let upper = (hi - f) / (hi - mid);
                    (lower.min(upper).max(0.0) * enorm) as f32
                })
                .collect();
            let first = dense.iter().position(|&w| w != 0.0);
            let last = dense.iter().rposition(|&w| w != 0.0);
            match (first, last) {
                (Some(first), Some(last)) => MelFilter::new(
                    inside.start + first,
                    dense[first..=last].iter().map(|&w| f64::from(w)).collect(),
                ),
                // No bin falls inside: a filter of one zero weight.
                _ => MelFilter::new(0, vec![0.0]),
            }
        })
        .collect()
}

/// Frames' worth of input [`MelSpectrogram`] buffers: consumed samples are
/// moved out of the buffer once per `PENDING_FRAMES − 1` frames or so.
const PENDING_FRAMES: usize = 4;

/// Streaming log-mel spectrogram.
///
/// All buffers are allocated in [`MelSpectrogram::new`]; `push` and `reset`
/// never allocate, so the plugin's worker can run it without touching the heap.
pub struct MelSpectrogram {
    /// The settings this instance computes.
    spec: FeatureSpec,
    /// Real-input FFT of size `n_fft`, planned once (realfft runs it as a
    /// complex FFT of half the size).
    // NOTE: f64 because the contract is librosa within 0.05 dB on every bin,
    // and music spans > 120 dB within one frame: an f32 FFT's rounding noise
    // floor alone moved quiet bins by 0.07 dB on the music fixture.
    fft: RealToComplexEven<f64>,
    /// The build of the per-frame arithmetic this CPU runs.
    kernels: Kernels,
    /// Periodic Hann window, `n_fft` long.
    window: Vec<f64>,
    /// Sparse Slaney mel filters.
    filters: Vec<MelFilter>,
    /// Input not yet consumed: the next frame starts at `pending[frame_start]`.
    /// Its capacity is fixed in `new` (several frames); consumed samples are
    /// moved out only when it is full, not after every frame.
    pending: Vec<f32>,
    /// Where the next frame starts in `pending`.
    frame_start: usize,
    /// FFT input (the windowed frame); scratch, also overwritten by the FFT.
    fft_in: Vec<f64>,
    /// FFT output, `n_fft / 2 + 1` bins; scratch.
    fft_out: Vec<Complex<f64>>,
    /// FFT scratch space required by realfft.
    fft_scratch: Vec<Complex<f64>>,
    /// |X|^power per bin, then zeros for the filters' padding; scratch.
    spectrum: Vec<f64>,
    /// Filter outputs (power per band) before the logarithm; scratch.
    band_power: Vec<f64>,
    /// The finished frame in dB handed to the callback.
    frame_db: Vec<f32>,
    /// `10·log10(ref_power)`, subtracted from every value.
    ref_db: f64,
    /// Number of frames emitted since `new`/`reset`.
    num_frames: u64,
}

/// What the callback of [`MelSpectrogram::push`] receives for each frame.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Index of the frame since the last reset.
    pub index: u64,
    /// `n_mels` values in dB.
    pub mel_db: &'a [f32],
    /// Mean square of the raw (unwindowed) samples of the frame, for level
    /// metering and the silence gate.
    pub mean_square: f32,
}

impl MelSpectrogram {
    /// Plans the FFT and builds the filterbank. Allocates.
    pub fn new(spec: &FeatureSpec) -> Result<Self> {
        spec.validate()?;
        let n_fft = spec.n_fft;
        // `validate` made n_fft even.
        let fft = RealToComplexEven::new(n_fft, &mut FftPlanner::new());
        let window = (0..n_fft)
            .map(|n| {
                let phase = 2.0 * std::f64::consts::PI * n as f64 / n_fft as f64;
                0.5 - 0.5 * phase.cos()
            })
            .collect();
        Ok(Self {
            fft_in: fft.make_input_vec(),
            fft_out: fft.make_output_vec(),
            fft_scratch: fft.make_scratch_vec(),
            fft,
            kernels: Kernels::detect(),
            window,
            filters: mel_filterbank(spec),
            pending: Vec::with_capacity(PENDING_FRAMES * n_fft),
            frame_start: 0,
            spectrum: vec![0.0; spec.num_bins() + MelFilter::SPECTRUM_PADDING],
            band_power: vec![0.0; spec.n_mels],
            frame_db: vec![0.0; spec.n_mels],
            ref_db: 10.0 * spec.ref_power.max(spec.amin).log10(),
            num_frames: 0,
            spec: spec.clone(),
        })
    }

    /// The settings this instance computes.
    pub fn spec(&self) -> &FeatureSpec {
        &self.spec
    }

    /// Frames emitted since construction or the last [`reset`](Self::reset).
    pub fn num_frames(&self) -> u64 {
        self.num_frames
    }

    /// Forgets all pending input; the next frame starts at the next sample.
    pub fn reset(&mut self) {
        self.pending.clear();
        self.frame_start = 0;
        self.num_frames = 0;
    }

    /// Feeds samples (at `spec.sample_rate_hz`) and calls `on_frame` for each
    /// frame completed by them. Never allocates.
    pub fn push(&mut self, mut samples: &[f32], mut on_frame: impl FnMut(Frame<'_>)) {
        let n_fft = self.spec.n_fft;
        while !samples.is_empty() {
            if self.pending.len() == self.pending.capacity() {
                // Full: keep only what later frames need (less than a frame),
                // once every few frames rather than after each one.
                self.pending.drain(..self.frame_start);
                self.frame_start = 0;
            }
            let take = (self.pending.capacity() - self.pending.len()).min(samples.len());
            self.pending.extend_from_slice(&samples[..take]);
            samples = &samples[take..];
            while self.pending.len() - self.frame_start >= n_fft {
                let mean_square = self.compute_frame();
                on_frame(Frame {
                    index: self.num_frames,
                    mel_db: &self.frame_db,
                    mean_square,
                });
                self.num_frames += 1;
                self.frame_start += self.spec.hop_length;
            }
        }
    }

    /// Computes `frame_db` from the `n_fft` samples at `frame_start`; returns
    /// their mean square.
    fn compute_frame(&mut self) -> f32 {
        let kernels = self.kernels;
        let frame = &self.pending[self.frame_start..][..self.spec.n_fft];
        let sum_sq = kernels.window(frame, &self.window, &mut self.fft_in);
        kernels.real_fft(
            &self.fft,
            &mut self.fft_in,
            &mut self.fft_out,
            &mut self.fft_scratch,
        );
        kernels.power_spectrum(
            &self.fft_out,
            self.spec.power == 1.0,
            &mut self.spectrum[..self.spec.num_bins()],
        );
        kernels.bands_to_db(
            &self.spectrum,
            &self.filters,
            self.spec.amin,
            self.ref_db,
            &mut self.band_power,
            &mut self.frame_db,
        );
        (sum_sq / self.spec.n_fft as f64) as f32
    }

    /// Convenience for whole signals: every frame of `samples`, band-major
    /// (`n_mels` rows × frames columns, row-major), as librosa lays it out.
    /// Allocates the result.
    pub fn compute(spec: &FeatureSpec, samples: &[f32]) -> Result<(Vec<f32>, usize)> {
        let mut mel = Self::new(spec)?;
        let num_frames = spec.num_frames(samples.len());
        let mut out = vec![0.0f32; spec.n_mels * num_frames];
        mel.push(samples, |frame| {
            let t = frame.index as usize;
            for (m, &v) in frame.mel_db.iter().enumerate() {
                out[m * num_frames + t] = v;
            }
        });
        Ok((out, num_frames))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mel_scale_round_trips() {
        for hz in [0.0, 100.0, 999.0, 1000.0, 4000.0, 11_025.0] {
            let back = mel_to_hz(hz_to_mel(hz));
            assert!((back - hz).abs() < 1e-6, "{hz} Hz came back as {back} Hz");
        }
    }

    #[test]
    fn filters_cover_the_spectrum_without_gaps() {
        let spec = FeatureSpec::default();
        let filters = mel_filterbank(&spec);
        assert_eq!(filters.len(), 128);
        assert!(filters.iter().all(|f| !f.weights.is_empty()));
        for pair in filters.windows(2) {
            assert!(pair[1].first_bin_idx >= pair[0].first_bin_idx);
        }
    }

    /// The sparse build against librosa's dense formula (every filter over
    /// every bin), including specs whose narrowest filters hold no bin.
    #[test]
    fn filterbank_matches_the_dense_formula() {
        for (n_fft, n_mels, fmin_hz, fmax_hz) in [
            (2048, 128, 0.0, 11_025.0),
            (512, 64, 30.0, 8_000.0),
            (256, 200, 0.0, 11_025.0),
            (64, 40, 100.0, 5_000.0),
        ] {
            let spec = FeatureSpec {
                n_fft,
                hop_length: n_fft / 4,
                n_mels,
                fmin_hz,
                fmax_hz,
                ..FeatureSpec::default()
            };
            let num_bins = spec.num_bins();
            let sr = f64::from(spec.sample_rate_hz);
            let (mel_min, mel_max) = (hz_to_mel(fmin_hz), hz_to_mel(fmax_hz));
            let edge = |i: usize| {
                mel_to_hz(mel_min + (mel_max - mel_min) * i as f64 / (n_mels + 1) as f64)
            };
            let mut num_empty = 0;
            for (m, filter) in mel_filterbank(&spec).iter().enumerate() {
                let (lo, mid, hi) = (edge(m), edge(m + 1), edge(m + 2));
                let dense: Vec<f64> = (0..num_bins)
                    .map(|k| {
                        let f = k as f64 * (sr / 2.0) / (num_bins - 1) as f64;
                        let w = ((f - lo) / (mid - lo)).min((hi - f) / (hi - mid)).max(0.0);
                        f64::from((w * 2.0 / (hi - lo)) as f32)
                    })
                    .collect();
                num_empty += usize::from(dense.iter().all(|&w| w == 0.0));
                for (k, &want) in dense.iter().enumerate() {
                    let got = k
                        .checked_sub(filter.first_bin_idx)
                        .and_then(|j| filter.weights.get(j))
                        .copied()
                        .unwrap_or(0.0);
                    assert_eq!(got, want, "n_fft {n_fft}, filter {m}, bin {k}");
                }
            }
            if n_mels == 200 {
                assert!(num_empty > 0, "expected filters narrower than a bin");
            }
        }
    }

    #[test]
    fn default_spec_is_valid_and_three_seconds() {
        let spec = FeatureSpec::default();
        spec.validate().unwrap();
        assert!((spec.window_duration_s() - 3.09).abs() < 0.01);
    }

    #[test]
    fn unsupported_specs_are_rejected() {
        type Mutation = fn(&mut FeatureSpec);
        let cases: [(&str, Mutation); 7] = [
            ("window", |s| s.window = "hamming".into()),
            ("center", |s| s.center = true),
            ("top_db", |s| s.top_db = Some(80.0)),
            ("mel_scale", |s| s.mel_scale = "htk".into()),
            ("fmax", |s| s.fmax_hz = 20_000.0),
            ("hop", |s| s.hop_length = 0),
            ("odd n_fft", |s| s.n_fft = 2047),
        ];
        for (what, mutate) in cases {
            let mut spec = FeatureSpec::default();
            mutate(&mut spec);
            assert!(spec.validate().is_err(), "{what} should be rejected");
        }
    }

    /// The real FFT and power spectrum against a plain O(n²) DFT of the same
    /// windowed frame, over sizes, both spectrum powers and a signal spanning
    /// a wide dynamic range.
    #[test]
    fn fft_matches_a_direct_dft() {
        for n_fft in [16, 18, 64, 250, 2048] {
            for power in [1.0f32, 2.0] {
                let spec = FeatureSpec {
                    n_fft,
                    hop_length: n_fft,
                    n_mels: 16,
                    power,
                    ..FeatureSpec::default()
                };
                let mut state = 1u32;
                let frame: Vec<f32> = (0..n_fft)
                    .map(|i| {
                        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                        let noise = (state >> 9) as f32 / (1 << 23) as f32 - 0.5;
                        0.8 * (i as f32 * 0.3).sin() + 1e-5 * noise
                    })
                    .collect();
                let (got, _) = MelSpectrogram::compute(&spec, &frame).unwrap();

                let window: Vec<f64> = (0..n_fft)
                    .map(|i| {
                        0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n_fft as f64).cos()
                    })
                    .collect();
                let spectrum: Vec<f64> = (0..spec.num_bins())
                    .map(|k| {
                        let (mut re, mut im) = (0.0f64, 0.0f64);
                        for (i, (&x, &w)) in frame.iter().zip(&window).enumerate() {
                            let phase =
                                -2.0 * std::f64::consts::PI * (k * i % n_fft) as f64 / n_fft as f64;
                            re += f64::from(x) * w * phase.cos();
                            im += f64::from(x) * w * phase.sin();
                        }
                        let power2 = re * re + im * im;
                        if power == 2.0 { power2 } else { power2.sqrt() }
                    })
                    .collect();
                let mut worst_db = 0.0f64;
                for (m, filter) in mel_filterbank(&spec).iter().enumerate() {
                    let energy: f64 = filter
                        .weights
                        .iter()
                        .enumerate()
                        .filter_map(|(j, w)| spectrum.get(filter.first_bin_idx + j).map(|s| s * w))
                        .sum();
                    let want_db = 10.0 * energy.max(spec.amin).log10();
                    worst_db = worst_db.max((f64::from(got[m]) - want_db).abs());
                }
                assert!(
                    worst_db < 1e-4,
                    "n_fft {n_fft}, power {power}: worst |Δ| {worst_db:e} dB against the DFT"
                );
            }
        }
    }
}
