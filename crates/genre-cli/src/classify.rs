//! `genre-meter classify`: files and folders in, one estimate per file out.
//!
//! Files are analysed in parallel (`--jobs`) but reported in input order, as
//! soon as each is ready. A file that fails prints one line naming it and the
//! reason; the batch goes on and the exit status becomes 1.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use anyhow::{Context, Result};
use genre_core::analyzer::{AnalyzerConfig, DEFAULT_GATE_DB};
use genre_core::report::{FileEstimate, classify_file, rank};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde_json::json;

use crate::model_source::ModelArg;

/// File extensions picked up when a folder is searched.
pub const AUDIO_EXTENSIONS: &[&str] = &[
    "wav", "wave", "mp3", "flac", "ogg", "oga", "m4a", "mp4", "aac",
];

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Audio files, or folders to search recursively for audio files.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// How many genres to show per file.
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
    /// Seconds between the starts of analysis windows.
    #[arg(long, default_value_t = 1.5, value_name = "SECONDS")]
    hop: f64,
    /// Windows quieter than this RMS level (dBFS) are reported silent.
    #[arg(long, default_value_t = DEFAULT_GATE_DB, value_name = "DB", allow_negative_numbers = true)]
    gate_db: f32,
    /// Files analysed in parallel (default: all cores).
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
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
    if !(args.hop.is_finite() && args.hop > 0.0 && args.hop <= 60.0) {
        anyhow::bail!("--hop {} must be between 0 and 60 seconds", args.hop);
    }
    let classifier = args.model.load()?;
    let spec = &classifier.card().features;
    let config = AnalyzerConfig {
        hop_frames: ((args.hop / spec.frame_period_s()).round() as usize).max(1),
        gate_db: args.gate_db,
    };
    let (files, rejected) = collect_files(&args.paths);
    let format = if args.json {
        Format::Json
    } else if args.csv {
        Format::Csv
    } else {
        Format::Text
    };
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
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
    let mut out = std::io::stdout().lock();
    let labels = classifier.labels();
    let mut all_ok = true;
    if format == Format::Csv {
        write_csv_header(&mut out, labels, args.timeline)?;
    }
    for (path, reason) in &rejected {
        all_ok = false;
        report_error(
            &mut out,
            format,
            path,
            reason,
            labels.len(),
            args.timeline,
            &progress,
        )?;
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
                progress.inc(1);
                match result {
                    Ok(estimate) => {
                        for warning in &estimate.warnings {
                            progress.suspend(|| {
                                eprintln!("warning: {}: {warning}", estimate.path.display())
                            });
                        }
                        write_estimate(
                            &mut out,
                            format,
                            &estimate,
                            labels,
                            args.top,
                            args.timeline,
                        )?;
                    }
                    Err(e) => {
                        all_ok = false;
                        let path = &files[next];
                        let reason = strip_path(&e.to_string(), path);
                        report_error(
                            &mut out,
                            format,
                            path,
                            &reason,
                            labels.len(),
                            args.timeline,
                            &progress,
                        )?;
                    }
                }
                next += 1;
            }
        }
        Ok(())
    })?;
    progress.finish_and_clear();
    out.flush()?;
    Ok(all_ok)
}

/// Expands folders (recursively, sorted) into audio files. Paths that do not
/// exist come back separately with a reason. Files named explicitly are kept
/// whatever their extension.
fn collect_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<(PathBuf, String)>) {
    let mut files = Vec::new();
    let mut missing = Vec::new();
    for path in paths {
        if path.is_dir() {
            let before = files.len();
            match walk(path, &mut files) {
                Err(e) => missing.push((path.clone(), format!("cannot read folder: {e}"))),
                Ok(()) if files.len() == before => {
                    missing.push((path.clone(), "folder holds no audio files".into()))
                }
                Ok(()) => {}
            }
        } else if path.exists() || path.symlink_metadata().is_ok() {
            files.push(path.clone());
        } else {
            missing.push((path.clone(), "no such file or folder".into()));
        }
    }
    (files, missing)
}

/// Appends the audio files under `dir` (recursively, sorted by path) to `files`.
pub fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, files)?;
        } else if is_audio_name(&path) {
            files.push(path);
        }
    }
    Ok(())
}

/// Whether a file name has one of [`AUDIO_EXTENSIONS`].
fn is_audio_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Core errors start with the path; the report names it once.
fn strip_path(message: &str, path: &Path) -> String {
    let prefix = format!("{}: ", path.display());
    message.strip_prefix(&prefix).unwrap_or(message).to_owned()
}

fn percent_list(labels: &[String], probabilities: &[f32], top: usize) -> String {
    rank(probabilities)
        .into_iter()
        .take(top)
        .map(|(i, p)| format!("{} {:.1}%", labels[i], 100.0 * p))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn probability_map(labels: &[String], probabilities: &[f32]) -> serde_json::Value {
    labels
        .iter()
        .zip(probabilities)
        .map(|(l, &p)| (l.clone(), json!(p)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn write_estimate(
    out: &mut impl Write,
    format: Format,
    estimate: &FileEstimate,
    labels: &[String],
    top: u16,
    timeline: bool,
) -> Result<()> {
    let file = estimate.path.display().to_string();
    let stats = &estimate.stats;
    let status = estimate.status().as_str();
    match format {
        Format::Text => {
            match &estimate.probabilities {
                Some(p) => writeln!(out, "{file}: {}", percent_list(labels, p, top.into()))?,
                None => writeln!(
                    out,
                    "{file}: silent ({:.1} s, all {} windows below the gate)",
                    stats.duration_s, stats.num_windows
                )?,
            }
            if timeline {
                for w in &estimate.timeline {
                    match &w.probabilities {
                        Some(p) => writeln!(
                            out,
                            "  {:>8.1} s  {}",
                            w.start_s,
                            percent_list(labels, p, top.into())
                        )?,
                        None => {
                            writeln!(out, "  {:>8.1} s  silent ({:.0} dB)", w.start_s, w.level_db)?
                        }
                    }
                }
            }
        }
        Format::Json => {
            let ranked = estimate.ranked();
            let mut record = json!({
                "file": file,
                "status": status,
                "top": ranked.first().map(|&(i, _)| labels[i].clone()),
                "probability": ranked.first().map(|&(_, p)| p),
                "probabilities": estimate.probabilities.as_deref().map(|p| probability_map(labels, p)),
                "duration_s": stats.duration_s,
                "windows": stats.num_windows,
                "silent_windows": stats.num_silent,
                "warnings": estimate.warnings,
                "error": null,
            });
            if timeline {
                record["timeline"] = estimate
                    .timeline
                    .iter()
                    .map(|w| {
                        json!({
                            "start_s": w.start_s,
                            "level_db": w.level_db,
                            "probabilities": w.probabilities.as_deref().map(|p| probability_map(labels, p)),
                        })
                    })
                    .collect();
            }
            writeln!(out, "{record}")?;
        }
        Format::Csv => {
            let mut row = csv::Writer::from_writer(Vec::new());
            if timeline {
                for w in &estimate.timeline {
                    let mut fields = vec![
                        file.clone(),
                        format!("{:.3}", w.start_s),
                        format!("{:.1}", w.level_db),
                    ];
                    fields.extend(csv_probability_fields(
                        w.verdict.status.as_str(),
                        labels,
                        w.probabilities.as_deref(),
                    ));
                    row.write_record(&fields)?;
                }
            } else {
                let mut fields = vec![file];
                fields.extend(csv_probability_fields(
                    status,
                    labels,
                    estimate.probabilities.as_deref(),
                ));
                fields.extend([
                    format!("{:.3}", stats.duration_s),
                    stats.num_windows.to_string(),
                    stats.num_silent.to_string(),
                    estimate.warnings.join("; "),
                    String::new(),
                ]);
                row.write_record(&fields)?;
            }
            out.write_all(&row.into_inner()?)?;
        }
    }
    Ok(())
}

fn csv_probability_fields(
    status: &str,
    labels: &[String],
    probabilities: Option<&[f32]>,
) -> Vec<String> {
    let mut fields = vec![status.to_owned()];
    match probabilities {
        Some(p) => {
            let (best, best_p) = rank(p)[0];
            fields.push(labels[best].clone());
            fields.push(format!("{best_p:.4}"));
            fields.extend(p.iter().map(|v| format!("{v:.4}")));
        }
        None => fields.extend(std::iter::repeat_n(String::new(), 2 + labels.len())),
    }
    fields
}

fn write_csv_header(out: &mut impl Write, labels: &[String], timeline: bool) -> Result<()> {
    let mut header: Vec<String> = if timeline {
        vec!["file".into(), "start_s".into(), "level_db".into()]
    } else {
        vec!["file".into()]
    };
    header.extend(["status".into(), "top".into(), "probability".into()]);
    header.extend(labels.iter().cloned());
    if !timeline {
        header.extend(
            [
                "duration_s",
                "windows",
                "silent_windows",
                "warnings",
                "error",
            ]
            .map(String::from),
        );
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header)?;
    out.write_all(&w.into_inner()?)?;
    Ok(())
}

fn report_error(
    out: &mut impl Write,
    format: Format,
    path: &Path,
    reason: &str,
    num_labels: usize,
    timeline: bool,
    progress: &ProgressBar,
) -> Result<()> {
    let file = path.display().to_string();
    progress.suspend(|| eprintln!("error: {file}: {reason}"));
    match format {
        Format::Text => {}
        Format::Json => {
            let record = json!({"file": file, "status": "error", "error": reason});
            writeln!(out, "{record}")?;
        }
        Format::Csv if timeline => {
            // Same columns as a window row: file, start_s, level_db, status, top, probability, labels.
            let mut fields = vec![file, String::new(), String::new(), "error".into()];
            fields.extend(std::iter::repeat_n(String::new(), 2 + num_labels));
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(&fields)?;
            out.write_all(&w.into_inner()?)?;
        }
        Format::Csv => {
            let mut fields = vec![file, "error".into()];
            fields.extend(std::iter::repeat_n(String::new(), 2 + num_labels + 4));
            fields.push(reason.to_owned());
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(&fields)?;
            out.write_all(&w.into_inner()?)?;
        }
    }
    Ok(())
}
