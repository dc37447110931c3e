//! From samples at any rate to network-ready windows.
//!
//! [`Analyzer`] sanitises its input (a non-finite sample repeats the last
//! good one, so a stray NaN makes no click; absurdly large ones are clamped),
//! resamples to the model rate, computes mel frames and, every `hop_frames`
//! frames once a full window exists, hands a window of the last
//! `window_frames` frames to the caller together with its level. Windows
//! below the gate level are marked silent so callers skip inference, and so
//! are windows that are only partly music: more than
//! [`MAX_EDGE_SILENCE_FRACTION`] of their frames at the start or the end are
//! below the gate (a window straddling the start or the end of the music,
//! the plugin's transport starting or stopping). They would be classified
//! on a picture the model never saw in training; gaps inside a window
//! (rests, a metronome's clicks) do not count.
//!
//! The same code serves files (the CLI and training features) and the
//! plugin's worker. Buffers are allocated in [`Analyzer::new`].

use crate::Result;
use crate::mel::{FeatureSpec, Frame, MelSpectrogram};
use crate::resample::Resampler;

/// Default silence gate: windows quieter than this (RMS, dBFS) are not classified.
pub const DEFAULT_GATE_DB: f32 = -60.0;
/// Lowest level reported, so that digital silence has a finite level.
pub const MIN_LEVEL_DB: f32 = -120.0;
/// Finite samples beyond this are clamped: far louder than any real signal
/// (+120 dBFS), yet small enough that the resampler's FFT cannot overflow
/// (rubato panics on values like 1e30).
pub const MAX_ABS_SAMPLE: f32 = 1e6;
/// A window whose leading plus trailing frames below the gate make up more
/// than this fraction of it is "partly silent" and not classified.
pub const MAX_EDGE_SILENCE_FRACTION: f32 = 0.25;
/// Input is sanitised and resampled in chunks of at most this many samples,
/// so scratch buffers never grow after construction.
const MAX_CHUNK_LEN: usize = 8192;

/// How windows are cut and gated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnalyzerConfig {
    /// Frames between the starts of consecutive windows (≥ 1).
    pub hop_frames: usize,
    /// Windows with an RMS level below this (dBFS) are reported silent.
    pub gate_db: f32,
}

impl AnalyzerConfig {
    /// Half-overlapping windows and the default gate.
    pub fn for_spec(spec: &FeatureSpec) -> Self {
        Self {
            hop_frames: spec.window_frames.div_ceil(2),
            gate_db: DEFAULT_GATE_DB,
        }
    }
}

/// One window handed to the caller.
#[derive(Debug, Clone, Copy)]
pub struct Window<'a> {
    /// Index of the window since the last reset.
    pub index: u64,
    /// Start time in seconds of input since the last reset.
    pub start_s: f64,
    /// RMS level of the window in dBFS (≥ [`MIN_LEVEL_DB`]).
    pub level_db: f32,
    /// Below the gate, or partly silent: callers do not classify it.
    pub silent: bool,
    /// Loud enough as a whole, but more than [`MAX_EDGE_SILENCE_FRACTION`]
    /// of its frames at its start or end are below the gate (implies `silent`).
    pub partly_silent: bool,
    /// Built by repeating the available frames because the whole input was
    /// shorter than one window.
    pub padded: bool,
    /// `n_mels × window_frames` dB values, band-major (as the model's input).
    pub mel_db: &'a [f32],
}

/// Streaming windower. See the module docs.
pub struct Analyzer {
    /// Input rate → model rate.
    resampler: Resampler,
    /// Model-rate samples → dB frames.
    mel: MelSpectrogram,
    /// Frames → windows.
    windows: WindowAssembler,
    /// Sanitised input chunk; scratch.
    clean: Vec<f32>,
    /// Resampled chunk; scratch.
    resampled: Vec<f32>,
    /// Input samples that were NaN or infinite since the last reset.
    num_bad_samples: u64,
    /// The last finite (clamped) input sample; stands in for bad ones. 0 after a reset.
    last_good: f32,
}

impl Analyzer {
    /// Builds the resampler from `input_rate_hz` and the mel stage. Allocates.
    pub fn new(spec: &FeatureSpec, input_rate_hz: u32, config: AnalyzerConfig) -> Result<Self> {
        spec.validate()?;
        let resampler = Resampler::new(input_rate_hz, spec.sample_rate_hz)?;
        let ratio = f64::from(spec.sample_rate_hz) / f64::from(input_rate_hz);
        Ok(Self {
            mel: MelSpectrogram::new(spec)?,
            resampler,
            windows: WindowAssembler::new(spec, config),
            clean: Vec::with_capacity(MAX_CHUNK_LEN),
            resampled: Vec::with_capacity((MAX_CHUNK_LEN as f64 * ratio) as usize + 1024),
            num_bad_samples: 0,
            last_good: 0.0,
        })
    }

    /// The feature settings.
    pub fn spec(&self) -> &FeatureSpec {
        self.mel.spec()
    }

    /// The hop and gate in use.
    pub fn config(&self) -> AnalyzerConfig {
        self.windows.config
    }

    /// Changes the gate; takes effect from the next window.
    pub fn set_gate_db(&mut self, gate_db: f32) {
        self.windows.config.gate_db = gate_db;
    }

    /// Frames computed since the last reset.
    pub fn num_frames(&self) -> u64 {
        self.windows.num_frames
    }

    /// Windows emitted since the last reset.
    pub fn num_windows(&self) -> u64 {
        self.windows.num_windows
    }

    /// NaN/Inf input samples replaced (by the last good sample) since the last reset.
    pub fn num_bad_samples(&self) -> u64 {
        self.num_bad_samples
    }

    /// Seconds of model-rate input still needed for the first window; 0 once it exists.
    pub fn seconds_until_first_window(&self) -> f64 {
        if self.windows.num_windows > 0 {
            0.0
        } else {
            self.windows.frames_until_window as f64 * self.mel.spec().frame_period_s()
        }
    }

    /// Clears all history; the next sample is time 0.
    pub fn reset(&mut self) {
        self.resampler.reset();
        self.mel.reset();
        self.windows.reset();
        self.num_bad_samples = 0;
        self.last_good = 0.0;
    }

    /// Feeds input-rate samples; calls `on_window` for every window completed.
    pub fn push(&mut self, samples: &[f32], mut on_window: impl FnMut(Window<'_>)) {
        for chunk in samples.chunks(MAX_CHUNK_LEN) {
            self.clean.clear();
            let mut last_good = self.last_good;
            let mut num_bad = 0;
            self.clean.extend(chunk.iter().map(|&x| {
                if x.is_finite() {
                    last_good = x.clamp(-MAX_ABS_SAMPLE, MAX_ABS_SAMPLE);
                } else {
                    num_bad += 1;
                }
                last_good
            }));
            self.last_good = last_good;
            self.num_bad_samples += num_bad;
            self.resampled.clear();
            self.resampler.push(&self.clean, &mut self.resampled);
            let windows = &mut self.windows;
            self.mel.push(&self.resampled, |frame| {
                windows.push_frame(frame, &mut on_window)
            });
        }
    }

    /// Flushes the resampler at the end of a stream. If the whole input was
    /// shorter than one window but gave at least one frame, emits a single
    /// window made by repeating the frames (flagged `padded`).
    pub fn finish(&mut self, mut on_window: impl FnMut(Window<'_>)) {
        self.resampled.clear();
        self.resampler.finish(&mut self.resampled);
        let windows = &mut self.windows;
        self.mel.push(&self.resampled, |frame| {
            windows.push_frame(frame, &mut on_window)
        });
        self.windows.emit_padded_if_short(&mut on_window);
    }
}

/// Keeps the last `window_frames` frames and cuts windows from them.
struct WindowAssembler {
    /// Mel bands per frame.
    n_mels: usize,
    /// Frames per window.
    window_frames: usize,
    /// Seconds per frame, for window start times.
    frame_period_s: f64,
    /// Hop and gate.
    config: AnalyzerConfig,
    /// The last `window_frames` frames, frame-major, as a ring.
    history_db: Vec<f32>,
    /// Mean square per frame in `history_db`.
    history_ms: Vec<f32>,
    /// The window handed out, band-major; scratch.
    window_db: Vec<f32>,
    /// Frames pushed since the last reset.
    num_frames: u64,
    /// Windows emitted since the last reset.
    num_windows: u64,
    /// Frames still needed before the next window.
    frames_until_window: usize,
}

impl WindowAssembler {
    fn new(spec: &FeatureSpec, config: AnalyzerConfig) -> Self {
        let window_len = spec.n_mels * spec.window_frames;
        Self {
            n_mels: spec.n_mels,
            window_frames: spec.window_frames,
            frame_period_s: spec.frame_period_s(),
            config: AnalyzerConfig {
                hop_frames: config.hop_frames.max(1),
                ..config
            },
            history_db: vec![0.0; window_len],
            history_ms: vec![0.0; spec.window_frames],
            window_db: vec![0.0; window_len],
            num_frames: 0,
            num_windows: 0,
            frames_until_window: spec.window_frames,
        }
    }

    fn reset(&mut self) {
        self.num_frames = 0;
        self.num_windows = 0;
        self.frames_until_window = self.window_frames;
    }

    fn push_frame(&mut self, frame: Frame<'_>, on_window: &mut impl FnMut(Window<'_>)) {
        let slot = (self.num_frames % self.window_frames as u64) as usize;
        self.history_db[slot * self.n_mels..(slot + 1) * self.n_mels].copy_from_slice(frame.mel_db);
        self.history_ms[slot] = frame.mean_square;
        self.num_frames += 1;
        self.frames_until_window -= 1;
        if self.frames_until_window == 0 {
            self.frames_until_window = self.config.hop_frames;
            let oldest = (self.num_frames % self.window_frames as u64) as usize;
            let window_frames = self.window_frames;
            self.fill_window(|t| (oldest + t) % window_frames);
            let level_db = level_db(&self.history_ms);
            let edge = self.edge_silent_frames(|t| (oldest + t) % window_frames, window_frames);
            let first_frame = self.num_frames - self.window_frames as u64;
            self.emit(first_frame, level_db, edge, false, on_window);
        }
    }

    fn emit_padded_if_short(&mut self, on_window: &mut impl FnMut(Window<'_>)) {
        if self.num_windows == 0 && self.num_frames > 0 {
            let num_have = self.num_frames as usize;
            self.fill_window(|t| t % num_have);
            let level_db = level_db(&self.history_ms[..num_have]);
            let edge = self.edge_silent_frames(|t| t, num_have) * self.window_frames / num_have;
            self.emit(0, level_db, edge, true, on_window);
        }
    }

    /// Copies frames into the band-major window; `slot_of(t)` is the ring slot of time step `t`.
    fn fill_window(&mut self, slot_of: impl Fn(usize) -> usize) {
        for t in 0..self.window_frames {
            let slot = slot_of(t);
            let frame = &self.history_db[slot * self.n_mels..(slot + 1) * self.n_mels];
            for (m, &v) in frame.iter().enumerate() {
                self.window_db[m * self.window_frames + t] = v;
            }
        }
    }

    /// Frames below the gate at the start plus at the end of the `len`
    /// frames in time order (`slot_of(t)` is the ring slot of time step `t`).
    fn edge_silent_frames(&self, slot_of: impl Fn(usize) -> usize, len: usize) -> usize {
        // Mean square of a frame at the gate level.
        let gate_ms = 10f32.powf(self.config.gate_db / 10.0);
        let silent = |t: usize| self.history_ms[slot_of(t)] < gate_ms;
        let leading = (0..len).take_while(|&t| silent(t)).count();
        if leading == len {
            return len;
        }
        let trailing = (0..len).rev().take_while(|&t| silent(t)).count();
        leading + trailing
    }

    fn emit(
        &mut self,
        first_frame: u64,
        level_db: f32,
        edge_silent_frames: usize,
        padded: bool,
        on_window: &mut impl FnMut(Window<'_>),
    ) {
        let below_gate = level_db < self.config.gate_db;
        let partly_silent = !below_gate
            && edge_silent_frames as f32 > MAX_EDGE_SILENCE_FRACTION * self.window_frames as f32;
        on_window(Window {
            index: self.num_windows,
            start_s: first_frame as f64 * self.frame_period_s,
            level_db,
            silent: below_gate || partly_silent,
            partly_silent,
            padded,
            mel_db: &self.window_db,
        });
        self.num_windows += 1;
    }
}

/// RMS level in dBFS of frames given their mean squares.
fn level_db(mean_squares: &[f32]) -> f32 {
    let mean =
        mean_squares.iter().map(|&x| f64::from(x)).sum::<f64>() / mean_squares.len().max(1) as f64;
    ((10.0 * mean.max(1e-30).log10()) as f32).max(MIN_LEVEL_DB)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first window's dB values for `samples` at the model rate.
    fn first_window(samples: &[f32]) -> Vec<f32> {
        let spec = FeatureSpec::default();
        let mut analyzer =
            Analyzer::new(&spec, spec.sample_rate_hz, AnalyzerConfig::for_spec(&spec)).unwrap();
        let mut first = None;
        analyzer.push(samples, |w| {
            first.get_or_insert_with(|| w.mel_db.to_vec());
        });
        first.expect("long enough for a window")
    }

    fn mean_abs_diff(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32
    }

    /// A stray NaN in a plugin's input must not turn into a click the model hears: the
    /// analyzer repeats the last good sample, which leaves the window of a tone within a
    /// a fifth of a dB of the clean one on average, where substituting silence moves it by 3 dB.
    #[test]
    fn bad_samples_hold_the_last_good_one() {
        let spec = FeatureSpec::default();
        let rate = spec.sample_rate_hz as f32;
        let len = (3.2 * rate) as usize;
        // A tone over a noise floor (-40 dBFS), as in any recording.
        let mut seed = 0x2545_f491_u32;
        let clean: Vec<f32> = (0..len)
            .map(|n| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let noise = (seed >> 8) as f32 / (1 << 24) as f32 - 0.5;
                0.5 * (std::f32::consts::TAU * 220.0 * n as f32 / rate).sin() + 0.035 * noise
            })
            .collect();
        let bad_at = |n: usize| n % 997 == 500;
        let with_nan: Vec<f32> = (0..len)
            .map(|n| if bad_at(n) { f32::NAN } else { clean[n] })
            .collect();
        let with_zero: Vec<f32> = (0..len)
            .map(|n| if bad_at(n) { 0.0 } else { clean[n] })
            .collect();

        let reference = first_window(&clean);
        let held = mean_abs_diff(&first_window(&with_nan), &reference);
        let zeroed = mean_abs_diff(&first_window(&with_zero), &reference);
        eprintln!("mean change: held {held} dB, zeroed {zeroed} dB");
        assert!(
            held < 0.5,
            "holding moved the window by {held} dB on average"
        );
        assert!(zeroed > 10.0 * held, "zeroing moved it by only {zeroed} dB");

        let spec = FeatureSpec::default();
        let mut analyzer =
            Analyzer::new(&spec, spec.sample_rate_hz, AnalyzerConfig::for_spec(&spec)).unwrap();
        analyzer.push(&with_nan, |_| {});
        assert_eq!(
            analyzer.num_bad_samples(),
            (0..len).filter(|&n| bad_at(n)).count() as u64
        );
    }

    /// Noise at -20 dBFS for `music_s` seconds surrounded by silence.
    fn windows_of(
        silence_before_s: f32,
        music_s: f32,
        silence_after_s: f32,
    ) -> Vec<(f64, bool, bool)> {
        let spec = FeatureSpec::default();
        let rate = spec.sample_rate_hz as f32;
        let mut seed = 0x1234_5678_u32;
        let mut samples = vec![0.0f32; (silence_before_s * rate) as usize];
        samples.extend((0..(music_s * rate) as usize).map(|_| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            0.17 * ((seed >> 8) as f32 / (1 << 24) as f32 - 0.5)
        }));
        samples.resize(samples.len() + (silence_after_s * rate) as usize, 0.0);
        let mut analyzer =
            Analyzer::new(&spec, spec.sample_rate_hz, AnalyzerConfig::for_spec(&spec)).unwrap();
        let mut out = Vec::new();
        analyzer.push(&samples, |w| {
            out.push((w.start_s, w.silent, w.partly_silent))
        });
        out
    }

    /// Windows that straddle the start or the end of the music are not
    /// classified; every window fully inside it is.
    #[test]
    fn windows_straddling_silence_are_partly_silent() {
        let windows = windows_of(3.0, 9.0, 3.0);
        let frame_s = FeatureSpec::default().frame_period_s();
        let window_s = 130.0 * frame_s;
        let edge_s = f64::from(MAX_EDGE_SILENCE_FRACTION) * window_s;
        for &(start_s, silent, partly) in &windows {
            let end_s = start_s + window_s;
            let silent_s =
                (3.0 - start_s).clamp(0.0, window_s) + (end_s - 12.0).clamp(0.0, window_s);
            // Frames straddle the boundaries by up to a frame length (2048 samples).
            let margin_s = 2048.0 / 22_050.0 + frame_s;
            if silent_s >= window_s - margin_s {
                assert!(silent, "window at {start_s:.2} s is silence");
            } else if silent_s > edge_s + margin_s {
                assert!(
                    silent && partly,
                    "window at {start_s:.2} s is {silent_s:.2} s silent"
                );
            } else if silent_s + margin_s < edge_s {
                assert!(!silent && !partly, "window at {start_s:.2} s is music");
            }
        }
        let music = windows.iter().filter(|w| !w.1).count();
        let partly = windows.iter().filter(|w| w.2).count();
        assert!(music >= 4 && partly >= 2, "{windows:?}");
    }

    /// Gaps inside a window do not make it partly silent.
    #[test]
    fn inner_gaps_are_music() {
        let spec = FeatureSpec::default();
        let rate = spec.sample_rate_hz as usize;
        // A click train: 50 ms bursts every 0.5 s, digital silence between.
        let samples: Vec<f32> = (0..6 * rate)
            .map(|n| {
                if n % (rate / 2) < rate / 20 {
                    0.3 * ((n % 7) as f32 - 3.0) / 3.0
                } else {
                    0.0
                }
            })
            .collect();
        let mut analyzer =
            Analyzer::new(&spec, spec.sample_rate_hz, AnalyzerConfig::for_spec(&spec)).unwrap();
        let mut flags = Vec::new();
        analyzer.push(&samples, |w| flags.push(w.silent));
        assert!(!flags.is_empty() && flags.iter().all(|s| !s), "{flags:?}");
    }
}
