//! `genre-meter classify`: files and folders in, one result per file out.
//!
//! Files are analysed in parallel (`--jobs`) but reported in input order, as
//! soon as each is ready. A file that fails prints one line naming it and the
//! reason; the batch goes on and the exit status becomes 1. Results go to
//! stdout; errors, warnings and the progress bar (a terminal only) to stderr,
//! the bar cleared before anything else is written so the two never mix.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use anyhow::{Context as _, Result};
use genre_core::analyzer::{AnalyzerConfig, DEFAULT_GATE_DB};
use genre_core::audio::READABLE_FORMATS;
use genre_core::report::{FileEstimate, classify_file};
use genre_core::verdict::Status;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::args::{self, UsageError};
use crate::model_source::ModelArg;
use crate::output::Context;

/// File extensions picked up when a folder is searched.
pub const AUDIO_EXTENSIONS: &[&str] = &[
    "wav", "wave", "mp3", "flac", "ogg", "oga", "m4a", "mp4", "aac",
];

/// Extensions of audio this build cannot decode: a folder search skips them
/// and says how many it skipped, rather than passing over them in silence.
pub const UNREADABLE_AUDIO_EXTENSIONS: &[&str] = &[
    "opus", "aif", "aiff", "aifc", "wma", "ape", "wv", "alac", "caf", "mka", "webm", "ac3", "eac3",
    "dts", "amr", "spx", "mpc", "tta", "mp2", "mp1", "au", "snd", "ra", "dsf", "dff",
];

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Audio files, or folders to search recursively for audio files.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// How many genres to show per file (text output).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..))]
    top: u16,
    /// One JSON object per file (JSON Lines) with every probability.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// CSV with a header and one row per file (per window with --timeline).
    #[arg(long)]
    csv: bool,
    /// Also report every analysis window.
    #[arg(long)]
    timeline: bool,
    /// Seconds between window starts, 0.023–60. Rounded to whole frames of
    /// the model (512/22050 s = 23.2 ms): 1.5 becomes 65 frames = 1.509 s.
    /// The timeline prints the real start times and JSON the hop used (hop_s).
    #[arg(long, default_value_t = 1.5, value_name = "SECONDS", allow_negative_numbers = true,
          value_parser = args::parse_hop_s)]
    hop: f64,
    /// Windows quieter than this RMS level (dBFS, -120–0) are silent and not
    /// classified; so are partly silent ones, more than a quarter of whose
    /// frames at their start and end are below it (music starting or ending).
    #[arg(long, default_value_t = DEFAULT_GATE_DB, value_name = "DB", allow_negative_numbers = true,
          value_parser = args::parse_gate_db)]
    gate_db: f32,
    /// Files analysed in parallel, 1–1024 (default: all cores).
    #[arg(long, short = 'j', value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=i64::from(args::MAX_JOBS)))]
    jobs: Option<u16>,
    #[command(flatten)]
    model: ModelArg,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Text,
    Json,
    Csv,
}

/// Runs the subcommand; `Ok(false)` when any file failed.
pub fn run(args: Args) -> Result<bool> {
    let classifier = args.model.load()?;
    let spec = &classifier.card().features;
    // The parser checked the hop against the feature contract; the card may
    // have other frames.
    let hop_frames = args::hop_frames(args.hop, spec).ok_or_else(|| UsageError {
        option: "--hop <SECONDS>",
        value: args.hop.to_string(),
        reason: args::hop_range(spec),
    })?;
    let config = AnalyzerConfig {
        hop_frames,
        gate_db: args.gate_db,
    };
    let (files, rejected, skipped) = collect_files(&args.paths);
    let format = if args.json {
        Format::Json
    } else if args.csv {
        Format::Csv
    } else {
        Format::Text
    };
    let jobs = args.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        usize::from,
    );
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .context("cannot start worker threads")?;

    let progress = if files.len() > 1 {
        ProgressBar::new(files.len() as u64).with_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} files, {eta} left")
                .expect("valid template"),
        )
    } else {
        ProgressBar::hidden()
    };
    let ctx = Context {
        labels: classifier.labels(),
        decider: classifier.decider(),
        top: args.top.into(),
        timeline: args.timeline,
        hop_s: hop_frames as f64 * spec.frame_period_s(),
        window_s: spec.window_duration_s(),
    };
    let mut printer = Printer {
        out: std::io::stdout().lock(),
        format,
        ctx: &ctx,
        progress,
    };
    let mut all_ok = true;
    if format == Format::Csv {
        let header = printer.csv_bytes(&[ctx.csv_header()])?;
        printer.emit(&[], &header)?;
    }
    printer.emit(&skipped, &[])?;
    for (path, reason) in &rejected {
        all_ok = false;
        printer.error(path, reason)?;
    }

    let (tx, rx) = mpsc::channel();
    std::thread::scope(|scope| -> Result<()> {
        let classifier = &classifier;
        let files = &files;
        scope.spawn(move || {
            pool.install(|| {
                files
                    .par_iter()
                    .enumerate()
                    .for_each_with(tx, |tx, (i, path)| {
                        let result = classify_file(path, classifier, config, args.timeline);
                        // The receiver only goes away if printing failed; nothing to do then.
                        let _ = tx.send((i, result));
                    });
            });
        });
        // Print in input order: hold results that arrive early.
        let mut waiting = BTreeMap::new();
        let mut next = 0;
        for (i, result) in rx {
            waiting.insert(i, result);
            while let Some(result) = waiting.remove(&next) {
                printer.progress.inc(1);
                let path = &files[next];
                match result {
                    Ok(estimate) if estimate.status() == Status::Error => {
                        all_ok = false;
                        printer.error(path, "the model's outputs are not finite probabilities")?;
                    }
                    Ok(estimate) => printer.result(&estimate)?,
                    Err(e) => {
                        all_ok = false;
                        printer.error(path, &strip_path(&e.to_string(), path))?;
                    }
                }
                next += 1;
            }
        }
        Ok(())
    })?;
    printer.progress.finish_and_clear();
    printer.out.flush()?;
    Ok(all_ok)
}

/// Writes results in the chosen format, clearing the progress bar around
/// every write so that no stale bar line is left between results.
struct Printer<'a, W: Write> {
    out: W,
    format: Format,
    ctx: &'a Context<'a>,
    progress: ProgressBar,
}

impl<W: Write> Printer<'_, W> {
    /// `stderr_lines` (warnings, errors), then `stdout` bytes, flushed, with the bar hidden.
    fn emit(&mut self, stderr_lines: &[String], stdout: &[u8]) -> Result<()> {
        if stderr_lines.is_empty() && stdout.is_empty() {
            return Ok(());
        }
        let out = &mut self.out;
        self.progress.suspend(|| -> Result<()> {
            for line in stderr_lines {
                eprintln!("{line}");
            }
            out.write_all(stdout)?;
            out.flush()?;
            Ok(())
        })
    }

    fn csv_bytes(&self, rows: &[Vec<String>]) -> Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        for row in rows {
            w.write_record(row)?;
        }
        Ok(w.into_inner()?)
    }

    fn result(&mut self, estimate: &FileEstimate) -> Result<()> {
        let warnings: Vec<String> = estimate
            .warnings
            .iter()
            .map(|w| format!("warning: {}: {w}", estimate.path.display()))
            .collect();
        let bytes = match self.format {
            Format::Text => self.ctx.file_text(estimate).into_bytes(),
            Format::Json => format!("{}\n", self.ctx.file_json(estimate)).into_bytes(),
            Format::Csv => self.csv_bytes(&self.ctx.file_csv(estimate))?,
        };
        self.emit(&warnings, &bytes)
    }

    /// One `error: <file>: <reason>` line on stderr; a record in JSON and CSV.
    fn error(&mut self, path: &Path, reason: &str) -> Result<()> {
        let line = format!("error: {}: {reason}", path.display());
        let bytes = match self.format {
            Format::Text => Vec::new(),
            Format::Json => format!("{}\n", self.ctx.error_json(path, reason)).into_bytes(),
            Format::Csv => self.csv_bytes(&[self.ctx.error_csv(path, reason)])?,
        };
        self.emit(&[line], &bytes)
    }
}

/// Expands folders (recursively, sorted) into audio files. Paths that do not
/// exist come back separately with a reason; so do folders without a file
/// to read. Files named explicitly are kept whatever their extension. The
/// third list holds a warning per folder in which audio files this build
/// cannot decode were skipped.
fn collect_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<(PathBuf, String)>, Vec<String>) {
    let mut files = Vec::new();
    let mut missing = Vec::new();
    let mut skipped = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found = Found::default();
            match walk(path, &mut found) {
                Err(e) => missing.push((path.clone(), format!("cannot read folder: {e}"))),
                Ok(()) if found.files.is_empty() && found.unreadable.is_empty() => {
                    missing.push((path.clone(), "folder holds no audio files".into()))
                }
                Ok(()) if found.files.is_empty() => missing.push((
                    path.clone(),
                    format!(
                        "folder holds no audio files this build can read: {}",
                        found.unreadable_note()
                    ),
                )),
                Ok(()) => {
                    if !found.unreadable.is_empty() {
                        skipped.push(format!(
                            "warning: {}: {}",
                            path.display(),
                            found.unreadable_note()
                        ));
                    }
                    files.append(&mut found.files);
                }
            }
        } else if path.exists() || path.symlink_metadata().is_ok() {
            files.push(path.clone());
        } else {
            missing.push((path.clone(), "no such file or folder".into()));
        }
    }
    (files, missing, skipped)
}

/// What a folder search found.
#[derive(Debug, Default)]
pub struct Found {
    /// Files with one of [`AUDIO_EXTENSIONS`], sorted by path.
    pub files: Vec<PathBuf>,
    /// Files with one of [`UNREADABLE_AUDIO_EXTENSIONS`], counted per extension.
    pub unreadable: BTreeMap<String, u64>,
}

impl Found {
    /// `skipped 2 audio files this build cannot decode (.opus ×2); readable: …`.
    pub fn unreadable_note(&self) -> String {
        let num: u64 = self.unreadable.values().sum();
        let kinds: Vec<String> = self
            .unreadable
            .iter()
            .map(|(ext, n)| format!(".{ext} ×{n}"))
            .collect();
        format!(
            "skipped {num} audio file{} this build cannot decode ({}); readable: {READABLE_FORMATS}",
            if num == 1 { "" } else { "s" },
            kinds.join(", ")
        )
    }
}

/// Adds the audio files under `dir` (recursively, sorted by path) to `found`.
pub fn walk(dir: &Path, found: &mut Found) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, found)?;
            continue;
        }
        let Some(ext) = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
        else {
            continue;
        };
        if AUDIO_EXTENSIONS.contains(&ext.as_str()) {
            found.files.push(path);
        } else if UNREADABLE_AUDIO_EXTENSIONS.contains(&ext.as_str()) {
            *found.unreadable.entry(ext).or_default() += 1;
        }
    }
    Ok(())
}

/// Core errors start with the path; the report names it once.
fn strip_path(message: &str, path: &Path) -> String {
    let prefix = format!("{}: ", path.display());
    message.strip_prefix(&prefix).unwrap_or(message).to_owned()
}
