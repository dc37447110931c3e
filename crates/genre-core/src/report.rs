//! Whole files: decode → analyze → classify → one estimate per file.
//!
//! A file's estimate is the mean of its non-silent windows' probabilities;
//! the per-window results form its timeline.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::analyzer::{Analyzer, AnalyzerConfig, Window};
use crate::audio::{AudioInfo, Decoder};
use crate::mel::FeatureSpec;
use crate::model::Classifier;
use crate::{Error, Result};

/// A file that decodes to less than its header announced by more than this (and more than
/// [`TRUNCATION_TOLERANCE_FRACTION`] of it) is flagged as cut short. Below it, the difference
/// is codec framing (priming, padding, a header that counts a little differently), not damage.
pub const TRUNCATION_TOLERANCE_S: f64 = 0.1;
/// See [`TRUNCATION_TOLERANCE_S`].
pub const TRUNCATION_TOLERANCE_FRACTION: f64 = 0.01;

/// What scanning a file found, besides its windows.
#[derive(Debug, Clone, Serialize)]
pub struct FileStats {
    /// Rate, channels and codec of the source.
    #[serde(skip)]
    pub info: AudioInfo,
    /// Decoded duration.
    pub duration_s: f64,
    /// Windows cut (silent ones included).
    pub num_windows: u64,
    /// Windows below the gate.
    pub num_silent: u64,
    /// The file was shorter than one window and its frames were repeated.
    pub padded: bool,
    /// Non-finite samples replaced by silence.
    pub num_bad_samples: u64,
    /// Packets the decoder could not decode and skipped.
    pub skipped_packets: u64,
}

impl FileStats {
    /// Human-readable notes about odd-but-valid input.
    pub fn warnings(&self, spec: &FeatureSpec) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.padded {
            warnings.push(format!(
                "shorter than one {:.1} s window ({:.2} s): repeated to fill it, estimate is less reliable",
                spec.window_duration_s(),
                self.duration_s
            ));
        }
        if let Some(announced_s) = self.announced_duration_s() {
            let missing_s = announced_s - self.duration_s;
            if missing_s > TRUNCATION_TOLERANCE_S
                && missing_s > TRUNCATION_TOLERANCE_FRACTION * announced_s
            {
                warnings.push(format!(
                    "ends early: the header announces {announced_s:.2} s but only {:.2} s \
                     decode (truncated or damaged); analysed what is there",
                    self.duration_s
                ));
            }
        }
        if self.num_bad_samples > 0 {
            warnings.push(format!(
                "{} NaN/infinite samples treated as silence",
                self.num_bad_samples
            ));
        }
        if self.skipped_packets > 0 {
            warnings.push(format!("{} corrupt packets skipped", self.skipped_packets));
        }
        if self.num_windows > 0 && self.num_silent == self.num_windows {
            warnings.push("silent: every window is below the gate".into());
        }
        warnings
    }

    /// The duration the container's header announces, when it says.
    pub fn announced_duration_s(&self) -> Option<f64> {
        let num_frames = self.info.num_frames?;
        Some(num_frames as f64 / f64::from(self.info.sample_rate_hz))
    }
}

/// Decodes `path` and calls `on_window` for each analysis window. Memory stays
/// bounded whatever the file's length.
pub fn scan_file(
    path: &Path,
    spec: &FeatureSpec,
    config: AnalyzerConfig,
    mut on_window: impl FnMut(Window<'_>),
) -> Result<FileStats> {
    let mut decoder = Decoder::open(path)?;
    let info = decoder.info().clone();
    let mut analyzer = Analyzer::new(spec, info.sample_rate_hz, config).map_err(|e| match e {
        Error::SampleRate { .. } => Error::InvalidAudio {
            path: path.to_owned(),
            reason: e.to_string(),
        },
        other => other,
    })?;
    let mut samples = Vec::new();
    let mut num_samples = 0u64;
    let mut num_silent = 0u64;
    let mut count = |w: Window<'_>| {
        num_silent += u64::from(w.silent);
        on_window(w);
    };
    while {
        samples.clear();
        decoder.read_mono(&mut samples)?
    } {
        num_samples += samples.len() as u64;
        analyzer.push(&samples, &mut count);
    }
    num_samples += samples.len() as u64;
    analyzer.push(&samples, &mut count);
    analyzer.finish(&mut count);
    let duration_s = num_samples as f64 / f64::from(info.sample_rate_hz);
    if analyzer.num_windows() == 0 {
        let min_s = spec.n_fft as f64 / f64::from(spec.sample_rate_hz);
        return Err(Error::InvalidAudio {
            path: path.to_owned(),
            reason: if num_samples == 0 {
                "no audio samples".into()
            } else {
                format!("too short to analyse: {duration_s:.3} s (need at least {min_s:.3} s)")
            },
        });
    }
    Ok(FileStats {
        duration_s,
        num_windows: analyzer.num_windows(),
        num_silent,
        padded: analyzer.num_windows() == 1 && analyzer.num_frames() < spec.window_frames as u64,
        num_bad_samples: decoder.non_finite_samples() + analyzer.num_bad_samples(),
        skipped_packets: decoder.skipped_packets(),
        info,
    })
}

/// The result for one window of a file.
#[derive(Debug, Clone, Serialize)]
pub struct WindowEstimate {
    pub start_s: f64,
    pub level_db: f32,
    /// One probability per label; `None` when the window was silent.
    pub probabilities: Option<Vec<f32>>,
}

/// The result for one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileEstimate {
    pub path: PathBuf,
    #[serde(flatten)]
    pub stats: FileStats,
    /// Mean probability per label over non-silent windows; `None` if all were silent.
    pub probabilities: Option<Vec<f32>>,
    /// Per-window results (empty unless asked for).
    pub timeline: Vec<WindowEstimate>,
    /// Notes about odd-but-valid input.
    pub warnings: Vec<String>,
}

impl FileEstimate {
    /// Label indices and probabilities, most likely first.
    pub fn ranked(&self) -> Vec<(usize, f32)> {
        rank(self.probabilities.as_deref().unwrap_or(&[]))
    }
}

/// Indices and values sorted by value, largest first.
pub fn rank(probabilities: &[f32]) -> Vec<(usize, f32)> {
    let mut ranked: Vec<(usize, f32)> = probabilities.iter().copied().enumerate().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked
}

/// Classifies a whole file. With `keep_timeline`, every window's result is kept.
pub fn classify_file(
    path: &Path,
    classifier: &Classifier,
    config: AnalyzerConfig,
    keep_timeline: bool,
) -> Result<FileEstimate> {
    let spec = &classifier.card().features;
    let mut acc = Accumulator {
        classifier,
        keep_timeline,
        sum: vec![0.0; classifier.labels().len()],
        num_classified: 0,
        timeline: Vec::new(),
        pending_db: Vec::new(),
        pending_meta: Vec::new(),
        failure: None,
    };
    let stats = scan_file(path, spec, config, |w| acc.push(w))?;
    acc.flush();
    if let Some(e) = acc.failure {
        return Err(e);
    }
    let probabilities = (acc.num_classified > 0).then(|| {
        acc.sum
            .iter()
            .map(|&s| (s / acc.num_classified as f64) as f32)
            .collect()
    });
    Ok(FileEstimate {
        path: path.to_owned(),
        warnings: stats.warnings(spec),
        stats,
        probabilities,
        timeline: acc.timeline,
    })
}

/// Batches a file's windows through the classifier and sums the results.
struct Accumulator<'c> {
    classifier: &'c Classifier,
    keep_timeline: bool,
    /// Sum of probabilities per label over classified windows.
    sum: Vec<f64>,
    num_classified: usize,
    timeline: Vec<WindowEstimate>,
    /// Windows waiting for a full batch, band-major, back to back.
    pending_db: Vec<f32>,
    /// Start time and level of each pending window.
    pending_meta: Vec<(f64, f32)>,
    /// The window callback cannot fail; the first inference error waits here.
    failure: Option<Error>,
}

impl Accumulator<'_> {
    fn push(&mut self, w: Window<'_>) {
        if w.silent {
            // Keep the timeline in time order.
            self.flush();
            if self.keep_timeline {
                self.timeline.push(WindowEstimate {
                    start_s: w.start_s,
                    level_db: w.level_db,
                    probabilities: None,
                });
            }
            return;
        }
        self.pending_db.extend_from_slice(w.mel_db);
        self.pending_meta.push((w.start_s, w.level_db));
        if self.pending_meta.len() == Classifier::BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.pending_meta.is_empty() || self.failure.is_some() {
            return;
        }
        let num_labels = self.sum.len();
        match self.classifier.probabilities(&self.pending_db) {
            Ok(probs) => {
                for ((start_s, level_db), row) in
                    self.pending_meta.drain(..).zip(probs.chunks(num_labels))
                {
                    for (s, &p) in self.sum.iter_mut().zip(row) {
                        *s += f64::from(p);
                    }
                    self.num_classified += 1;
                    if self.keep_timeline {
                        self.timeline.push(WindowEstimate {
                            start_s,
                            level_db,
                            probabilities: Some(row.to_vec()),
                        });
                    }
                }
            }
            Err(e) => self.failure = Some(e),
        }
        self.pending_db.clear();
    }
}
