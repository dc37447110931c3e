//! `genre-meter features`: training features from a labelled dataset, with
//! the same mel code the classifier uses.
//!
//! A dataset is either a manifest CSV (`file,label[,group][,split]`, paths
//! relative to the CSV) or a folder per label (GTZAN's `genres/blues/*.wav`).
//! Windows of one group (a song) never land in two splits: manifest splits
//! are taken as given; otherwise whole groups are assigned per label by a
//! seeded hash.
//!
//! Output: `<split>_<k>_x.npy` (float32 `[n, n_mels, window_frames]`, dB,
//! unnormalised), `<split>_<k>_y.npy` (int64 label indices), `index.csv`
//! (one line per window) and `meta.json` (labels, feature spec, splits).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use genre_core::analyzer::{AnalyzerConfig, DEFAULT_GATE_DB};
use genre_core::card::ModelCard;
use genre_core::mel::FeatureSpec;
use genre_core::report::scan_file;
use ndarray::{Array1, Array3};
use rayon::prelude::*;
use serde_json::json;

use crate::args;
use crate::classify::{Found, walk};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A manifest CSV (file,label[,group][,split]) or a folder with one subfolder per label.
    #[arg(value_name = "DATASET")]
    dataset: PathBuf,
    /// Output folder (created).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Frames between window starts, at least 1 (default: half a window).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    hop_frames: Option<u32>,
    /// Windows quieter than this RMS level (dBFS, -120–0) are left out.
    #[arg(long, default_value_t = DEFAULT_GATE_DB, value_name = "DB", allow_negative_numbers = true,
          value_parser = args::parse_gate_db)]
    gate_db: f32,
    /// Seed of the split assignment when the dataset has no splits.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Share of each label's groups for validation (when splitting), 0 ≤ x < 1.
    #[arg(long, default_value_t = 0.1, value_parser = args::parse_fraction)]
    val_fraction: f64,
    /// Share of each label's groups for test (when splitting), 0 ≤ x < 1.
    #[arg(long, default_value_t = 0.1, value_parser = args::parse_fraction)]
    test_fraction: f64,
    /// Take the feature settings from this model card instead of the built-in contract.
    #[arg(long, value_name = "CARD")]
    spec_from: Option<PathBuf>,
    /// Windows per shard file, at least 1.
    #[arg(long, default_value_t = 2048, value_parser = clap::value_parser!(u32).range(1..))]
    shard_windows: u32,
    /// Files processed in parallel, 1–1024 (default: all cores).
    #[arg(long, short = 'j', value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=i64::from(args::MAX_JOBS)))]
    jobs: Option<u16>,
}

/// One labelled file of the dataset.
#[derive(Debug, Clone)]
struct Item {
    /// As written in the manifest, or relative to the dataset folder.
    name: String,
    path: PathBuf,
    label: String,
    group: String,
    split: String,
}

/// Runs the subcommand; `Ok(false)` if some files failed (the rest is written).
pub fn run(args: Args) -> Result<bool> {
    let spec = match &args.spec_from {
        Some(card) => ModelCard::from_path(card)?.features,
        None => FeatureSpec::default(),
    };
    spec.validate()?;
    if args.val_fraction + args.test_fraction >= 1.0 {
        return Err(args::UsageError {
            option: "--test-fraction <TEST_FRACTION>",
            value: args.test_fraction.to_string(),
            reason: format!(
                "--val-fraction ({}) and --test-fraction must sum to less than 1",
                args.val_fraction
            ),
        }
        .into());
    }
    let shard_windows = args.shard_windows as usize;
    let (items, source, split_method) = if args.dataset.is_dir() {
        let items = folder_items(&args.dataset)?;
        let items = assign_splits(items, args.seed, args.val_fraction, args.test_fraction);
        let method = format!(
            "per label, whole tracks assigned by a seeded hash (seed {}): {:.0}% train, {:.0}% val, {:.0}% test",
            args.seed,
            100.0 * (1.0 - args.val_fraction - args.test_fraction),
            100.0 * args.val_fraction,
            100.0 * args.test_fraction
        );
        (items, "folders", method)
    } else {
        let (items, had_splits) = manifest_items(&args.dataset)?;
        if had_splits {
            (
                items,
                "manifest",
                "as given by the manifest's split column (by group)".to_owned(),
            )
        } else {
            let items = assign_splits(items, args.seed, args.val_fraction, args.test_fraction);
            (
                items,
                "manifest",
                format!(
                    "per label, whole groups assigned by a seeded hash (seed {})",
                    args.seed
                ),
            )
        }
    };
    if items.is_empty() {
        bail!("{}: no labelled audio files found", args.dataset.display());
    }
    let labels: Vec<String> = items
        .iter()
        .map(|i| i.label.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let config = AnalyzerConfig {
        hop_frames: args
            .hop_frames
            .map_or(spec.window_frames.div_ceil(2), |n| n as usize),
        gate_db: args.gate_db,
    };
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.map_or(0, usize::from))
        .build()
        .context("cannot start worker threads")?;

    let mut splits: Vec<String> = items
        .iter()
        .map(|i| i.split.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // train and val first, evaluation splits after, for readable summaries.
    splits.sort_by_key(|s| (s != "train", s != "val", s.clone()));
    let mut index = csv::Writer::from_path(args.out.join("index.csv"))?;
    index.write_record([
        "split",
        "shard",
        "row",
        "file",
        "label",
        "group",
        "window_idx",
        "start_s",
    ])?;
    let mut meta_splits = serde_json::Map::new();
    let mut failed = Vec::new();
    let window_len = spec.n_mels * spec.window_frames;
    for split in &splits {
        let split_items: Vec<&Item> = items.iter().filter(|i| &i.split == split).collect();
        let mut shards = ShardWriter::new(&args.out, split, &spec, shard_windows);
        let mut num_files = 0usize;
        // Chunks keep memory bounded while files run in parallel, in a fixed order.
        for chunk in split_items.chunks(64) {
            let results: Vec<_> = pool.install(|| {
                chunk
                    .par_iter()
                    .map(|item| {
                        let mut windows = Vec::new();
                        let mut starts = Vec::new();
                        scan_file(&item.path, &spec, config, |w| {
                            if !w.silent {
                                windows.extend_from_slice(w.mel_db);
                                starts.push(w.start_s);
                            }
                        })
                        .map(|_| (windows, starts))
                    })
                    .collect()
            });
            for (item, result) in chunk.iter().zip(results) {
                match result {
                    Ok((windows, starts)) if !starts.is_empty() => {
                        num_files += 1;
                        let label_idx = labels
                            .iter()
                            .position(|l| l == &item.label)
                            .expect("label list built from items")
                            as i64;
                        for (window_idx, (x, start_s)) in
                            windows.chunks(window_len).zip(starts).enumerate()
                        {
                            let (shard, row) = shards.push(x, label_idx)?;
                            index.write_record([
                                split.as_str(),
                                &shard,
                                &row.to_string(),
                                &item.name,
                                &item.label,
                                &item.group,
                                &window_idx.to_string(),
                                &format!("{start_s:.3}"),
                            ])?;
                        }
                    }
                    Ok(_) => {
                        eprintln!(
                            "warning: {}: every window is below the gate, skipped",
                            item.path.display()
                        );
                        failed.push(json!({"file": item.name, "error": "silent"}));
                    }
                    Err(e) => {
                        eprintln!("error: {e}");
                        failed.push(json!({"file": item.name, "error": e.to_string()}));
                    }
                }
            }
        }
        let shard_list = shards.finish()?;
        let num_windows: usize = shard_list
            .iter()
            .map(|s| s["num_windows"].as_u64().unwrap_or(0) as usize)
            .sum();
        eprintln!("{split}: {num_files} files, {num_windows} windows");
        meta_splits.insert(
            split.clone(),
            json!({"num_windows": num_windows, "num_files": num_files, "shards": shard_list}),
        );
    }
    index.flush()?;
    let meta = json!({
        "labels": labels,
        "features": spec,
        "hop_frames": config.hop_frames,
        "gate_db": config.gate_db,
        "dataset": args.dataset.display().to_string(),
        "source": source,
        "split_method": split_method,
        "splits": meta_splits,
        "failed_files": failed,
    });
    let mut f = BufWriter::new(File::create(args.out.join("meta.json"))?);
    serde_json::to_writer_pretty(&mut f, &meta)?;
    f.flush()?;
    eprintln!(
        "wrote {} ({} labels, {} files failed)",
        args.out.display(),
        labels.len(),
        failed.len()
    );
    Ok(failed.is_empty())
}

/// Accumulates windows of one split and writes them in shards.
struct ShardWriter<'a> {
    dir: &'a Path,
    split: &'a str,
    n_mels: usize,
    window_frames: usize,
    shard_windows: usize,
    x: Vec<f32>,
    y: Vec<i64>,
    written: Vec<serde_json::Value>,
}

impl<'a> ShardWriter<'a> {
    fn new(dir: &'a Path, split: &'a str, spec: &FeatureSpec, shard_windows: usize) -> Self {
        Self {
            dir,
            split,
            n_mels: spec.n_mels,
            window_frames: spec.window_frames,
            shard_windows,
            x: Vec::new(),
            y: Vec::new(),
            written: Vec::new(),
        }
    }

    fn shard_name(&self) -> String {
        format!("{}_{:03}", self.split, self.written.len())
    }

    /// Adds a window; returns the shard name and row it will occupy.
    fn push(&mut self, window: &[f32], label_idx: i64) -> Result<(String, usize)> {
        let at = (self.shard_name(), self.y.len());
        self.x.extend_from_slice(window);
        self.y.push(label_idx);
        if self.y.len() == self.shard_windows {
            self.flush()?;
        }
        Ok(at)
    }

    fn flush(&mut self) -> Result<()> {
        if self.y.is_empty() {
            return Ok(());
        }
        let name = self.shard_name();
        let n = self.y.len();
        let x = Array3::from_shape_vec(
            (n, self.n_mels, self.window_frames),
            std::mem::take(&mut self.x),
        )?;
        let y = Array1::from_vec(std::mem::take(&mut self.y));
        let (x_name, y_name) = (format!("{name}_x.npy"), format!("{name}_y.npy"));
        ndarray_npy::write_npy(self.dir.join(&x_name), &x)
            .with_context(|| format!("cannot write {x_name}"))?;
        ndarray_npy::write_npy(self.dir.join(&y_name), &y)
            .with_context(|| format!("cannot write {y_name}"))?;
        self.written
            .push(json!({"x": x_name, "y": y_name, "num_windows": n}));
        Ok(())
    }

    fn finish(mut self) -> Result<Vec<serde_json::Value>> {
        self.flush()?;
        Ok(self.written)
    }
}

/// Every audio file under each label folder; the group is the file itself.
fn folder_items(root: &Path) -> Result<Vec<Item>> {
    let mut items = Vec::new();
    let mut label_dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .with_context(|| format!("cannot read {}", root.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    label_dirs.sort();
    for dir in label_dirs {
        let label = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let mut found = Found::default();
        walk(&dir, &mut found).with_context(|| format!("cannot read {}", dir.display()))?;
        if !found.unreadable.is_empty() {
            eprintln!("warning: {}: {}", dir.display(), found.unreadable_note());
        }
        for path in found.files {
            let name = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .into_owned();
            items.push(Item {
                group: name.clone(),
                name,
                path,
                label: label.clone(),
                split: String::new(),
            });
        }
    }
    Ok(items)
}

/// Reads a manifest; returns its items and whether it had a split column.
fn manifest_items(csv_path: &Path) -> Result<(Vec<Item>, bool)> {
    let base = csv_path.parent().unwrap_or(Path::new("."));
    let mut reader = csv::Reader::from_path(csv_path)
        .with_context(|| format!("cannot read manifest {}", csv_path.display()))?;
    let headers = reader.headers()?.clone();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let (Some(file_col), Some(label_col)) = (column("file"), column("label")) else {
        bail!(
            "{}: the manifest needs at least the columns file,label (found {:?})",
            csv_path.display(),
            headers.iter().collect::<Vec<_>>()
        );
    };
    let (group_col, split_col) = (column("group"), column("split"));
    let mut items = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record =
            record.with_context(|| format!("{}: bad row {}", csv_path.display(), line + 2))?;
        let field = |c: usize| record.get(c).unwrap_or("").trim().to_owned();
        let name = field(file_col);
        let label = field(label_col);
        if name.is_empty() || label.is_empty() {
            bail!(
                "{}: row {} has an empty file or label",
                csv_path.display(),
                line + 2
            );
        }
        items.push(Item {
            path: base.join(&name),
            group: group_col
                .map(field)
                .filter(|g| !g.is_empty())
                .unwrap_or_else(|| name.clone()),
            split: split_col.map(field).unwrap_or_default(),
            name,
            label,
        });
    }
    let had_splits = split_col.is_some() && items.iter().all(|i| !i.split.is_empty());
    if split_col.is_some() && !had_splits {
        bail!(
            "{}: the split column is empty on some rows",
            csv_path.display()
        );
    }
    check_groups_do_not_straddle(&items, csv_path)?;
    Ok((items, had_splits))
}

/// A group in two splits would leak a song's windows from training into test.
fn check_groups_do_not_straddle(items: &[Item], csv_path: &Path) -> Result<()> {
    let mut split_of: BTreeMap<&str, &str> = BTreeMap::new();
    for item in items {
        if item.split.is_empty() {
            continue;
        }
        if let Some(prev) = split_of.insert(&item.group, &item.split)
            && prev != item.split
        {
            bail!(
                "{}: group {:?} appears in splits {prev:?} and {:?}",
                csv_path.display(),
                item.group,
                item.split
            );
        }
    }
    Ok(())
}

/// 64-bit FNV-1a: a stable hash (std's is randomised per process).
fn fnv1a(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Per label, orders groups by a seeded hash and gives the first ones to test,
/// the next to val, the rest to train. Every label with ≥ 3 groups gets at
/// least one group in each split.
fn assign_splits(
    mut items: Vec<Item>,
    seed: u64,
    val_fraction: f64,
    test_fraction: f64,
) -> Vec<Item> {
    let mut groups_by_label: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for item in &items {
        groups_by_label
            .entry(item.label.clone())
            .or_default()
            .insert(item.group.clone());
    }
    let mut split_of: BTreeMap<(String, String), &'static str> = BTreeMap::new();
    for (label, groups) in groups_by_label {
        let mut ordered: Vec<String> = groups.into_iter().collect();
        ordered.sort_by_key(|g| fnv1a(seed.to_le_bytes().into_iter().chain(g.bytes())));
        let n = ordered.len();
        let count = |fraction: f64| {
            if n >= 3 && fraction > 0.0 {
                ((n as f64 * fraction).round() as usize).max(1)
            } else {
                0
            }
        };
        let num_test = count(test_fraction);
        let num_val = count(val_fraction).min(n.saturating_sub(num_test + 1));
        for (i, group) in ordered.into_iter().enumerate() {
            let split = if i < num_test {
                "test"
            } else if i < num_test + num_val {
                "val"
            } else {
                "train"
            };
            split_of.insert((label.clone(), group), split);
        }
    }
    for item in &mut items {
        item.split = split_of[&(item.label.clone(), item.group.clone())].to_owned();
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(label: &str, n: usize) -> Vec<Item> {
        (0..n)
            .map(|i| Item {
                name: format!("{label}/{i}.wav"),
                path: PathBuf::new(),
                label: label.into(),
                group: format!("{label}/{i}"),
                split: String::new(),
            })
            .collect()
    }

    #[test]
    fn splits_are_stratified_deterministic_and_by_group() {
        let mut all = items("a", 20);
        all.extend(items("b", 3));
        let mut dup = items("a", 20);
        for it in &mut dup {
            it.name.push_str(".copy");
        }
        all.extend(dup); // same groups again: must follow their group
        let first = assign_splits(all.clone(), 1, 0.1, 0.1);
        let again = assign_splits(all.clone(), 1, 0.1, 0.1);
        let other_seed = assign_splits(all, 2, 0.1, 0.1);
        let splits = |v: &[Item]| v.iter().map(|i| i.split.clone()).collect::<Vec<_>>();
        assert_eq!(splits(&first), splits(&again));
        assert_ne!(splits(&first), splits(&other_seed));
        for label in ["a", "b"] {
            for split in ["train", "val", "test"] {
                assert!(
                    first.iter().any(|i| i.label == label && i.split == split),
                    "{label} has no {split}"
                );
            }
        }
        let count = |s: &str| {
            first
                .iter()
                .filter(|i| i.label == "a" && i.split == s && !i.name.ends_with(".copy"))
                .count()
        };
        assert_eq!((count("train"), count("val"), count("test")), (16, 2, 2));
        let mut by_group: BTreeMap<&str, &str> = BTreeMap::new();
        for it in &first {
            assert_eq!(
                *by_group.entry(&it.group).or_insert(&it.split),
                it.split,
                "group {} straddles splits",
                it.group
            );
        }
    }

    #[test]
    fn tiny_labels_keep_a_training_example() {
        let one = assign_splits(items("solo", 1), 0, 0.1, 0.1);
        assert_eq!(one[0].split, "train");
        let two = assign_splits(items("duo", 2), 0, 0.1, 0.1);
        assert!(two.iter().all(|i| i.split == "train"));
    }
}
