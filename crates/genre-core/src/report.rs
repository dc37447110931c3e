//! Whole files: decode → analyze → classify → one estimate per file.
//!
//! Every window that is not silent is classified and gets its own verdict;
//! a file's estimate combines them with [`Tally`] (windows that are not
//! music are counted apart, the majority kind's mean is the estimate) and
//! gets a verdict of its own. The per-window results form its timeline.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::analyzer::{Analyzer, AnalyzerConfig, Window};
use crate::audio::{AudioInfo, Decoder};
use crate::mel::FeatureSpec;
use crate::model::Classifier;
use crate::verdict::{Status, Tally, Verdict};
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
    /// Windows below the gate or partly silent (not classified).
    pub num_silent: u64,
    /// Of those, windows that were partly silent (music starting or ending inside them).
    pub num_partly_silent: u64,
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
                "shorter than one {:.2} s window ({:.2} s): repeated to fill it, estimate is less reliable",
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
            warnings.push(if self.num_partly_silent == 0 {
                "silent: every window is below the gate".into()
            } else {
                "silent: every window is below the gate or partly silent".into()
            });
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
    let mut num_partly_silent = 0u64;
    let mut count = |w: Window<'_>| {
        num_silent += u64::from(w.silent);
        num_partly_silent += u64::from(w.partly_silent);
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
        num_partly_silent,
        padded: analyzer.num_windows() == 1 && analyzer.num_frames() < spec.window_frames as u64,
        num_bad_samples: decoder.non_finite_samples() + analyzer.num_bad_samples(),
        skipped_packets: decoder.skipped_packets(),
        info,
    })
}

/// The result for one window of a file.
#[derive(Debug, Clone)]
pub struct WindowEstimate {
    pub start_s: f64,
    pub level_db: f32,
    /// One calibrated probability per label; `None` when the window was
    /// silent or partly silent.
    pub probabilities: Option<Vec<f32>>,
    /// The window's own answer (`silent` when it was not classified).
    pub verdict: Verdict,
    /// Not classified because it is partly silent (see [`Window::partly_silent`]).
    pub partly_silent: bool,
}

/// The result for one file.
#[derive(Debug, Clone)]
pub struct FileEstimate {
    pub path: PathBuf,
    pub stats: FileStats,
    /// The combined estimate (see the module docs), one calibrated
    /// probability per label; `None` if no window was classified.
    pub probabilities: Option<Vec<f32>>,
    /// The file's answer.
    pub verdict: Verdict,
    /// Classified windows whose own answer was `not_music`.
    pub num_not_music_windows: u64,
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

    /// The file's status.
    pub fn status(&self) -> Status {
        self.verdict.status
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
        tally: Tally::new(classifier.labels().len()),
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
    let decider = classifier.decider();
    let (probabilities, verdict) = match acc.tally.estimate(decider) {
        Some((p, v)) => (Some(p), v),
        None => (None, Verdict::SILENT),
    };
    Ok(FileEstimate {
        path: path.to_owned(),
        warnings: stats.warnings(spec),
        stats,
        probabilities,
        verdict,
        num_not_music_windows: acc.tally.num_no_genre(),
        timeline: acc.timeline,
    })
}

/// Batches a file's windows through the classifier and sums the results.
struct Accumulator<'c> {
    classifier: &'c Classifier,
    keep_timeline: bool,
    /// The classified windows, combined.
    tally: Tally,
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
                    verdict: Verdict::SILENT,
                    partly_silent: w.partly_silent,
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
        let num_labels = self.classifier.labels().len();
        let decider = self.classifier.decider();
        match self.classifier.probabilities(&self.pending_db) {
            Ok(probs) => {
                for ((start_s, level_db), row) in
                    self.pending_meta.drain(..).zip(probs.chunks(num_labels))
                {
                    let verdict = self.tally.push(row, decider);
                    if self.keep_timeline {
                        self.timeline.push(WindowEstimate {
                            start_s,
                            level_db,
                            probabilities: Some(row.to_vec()),
                            verdict,
                            partly_silent: false,
                        });
                    }
                }
            }
            Err(e) => self.failure = Some(e),
        }
        self.pending_db.clear();
    }
}
