//! `cargo xtask nonmusic`: generates non-music clips for the model's
//! `not_music` output.
//!
//! Speech in many voices and languages, crowds, applause, game sound effects
//! and ambiences, tones, telephone signals, unpulsed chords and drones,
//! sweeps, hum, noise of every colour, weather, crackle, metronomes and
//! clocks, room tone and near-silence, and mixtures of them: 34 kinds, each
//! with random parameters, all through the music corpus's own chain after the
//! mix (room, master, codec, hiss) at its rates averaged over the genres.
//! About a quarter of the kinds are held out (`test_template`) to measure
//! whether "not music" generalises beyond the kinds trained on.
//!
//! Output: `OUT/not_music/<kind>.<nnnnn>.wav` (22 050 Hz, mono, 16-bit,
//! exactly `--duration-s`) and `OUT/manifest.csv` with the music corpus's
//! columns. The output is a pure function of `--seed` and `--clips`.

mod chain;
mod dsp;
mod impulses;
mod kinds;
mod noises;
mod plan;
mod sfx;
mod tones;
mod voice;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;

use crate::corpus::rng::Rng;
use chain::Delivered;
use kinds::Generated;
use plan::{ClipPlan, Kind, LABEL, plan_clips};

/// Command-line options of `cargo xtask nonmusic`.
#[derive(Parser, Debug)]
#[command(
    name = "cargo xtask nonmusic",
    about = "Generate non-music clips (label not_music) + manifest.csv for the genre model's reject output"
)]
struct Args {
    /// Output directory (created; existing files are overwritten).
    #[arg(long)]
    out: PathBuf,
    /// Number of clips.
    #[arg(long)]
    clips: usize,
    /// Base seed; same seed and clip count → same manifest and audio.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Parallel jobs (default: number of cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Clip length in seconds.
    #[arg(long, default_value_t = 30.0)]
    duration_s: f64,
    /// Only these kinds (comma-separated); indices and seeds stay the same.
    #[arg(long, value_delimiter = ',')]
    kinds: Vec<String>,
    /// Keep the per-clip scratch folders under OUT/.work (for debugging).
    #[arg(long)]
    keep_work: bool,
}

fn on_path(bin: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(bin).is_file()))
        .unwrap_or(false)
}

/// Checks the external tools; errors with the packages to install.
fn check_tools() -> Result<()> {
    let mut missing = Vec::new();
    for (bin, pkg) in [
        ("sox", "sox libsox-fmt-all"),
        ("ffmpeg", "ffmpeg"),
        ("espeak-ng", "espeak-ng"),
        ("festival", "festival festvox-us-slt-hts"),
    ] {
        if !on_path(bin) {
            missing.push(pkg);
        }
    }
    if on_path("festival")
        && !std::path::Path::new("/usr/share/festival/voices/us/cmu_us_slt_arctic_hts").is_dir()
    {
        missing.push("festvox-us-slt-hts");
    }
    // the music corpus's master chain: Calf and x42 plugins, Sonic Pi's hiss
    for (path, pkg) in [
        ("/usr/lib/lv2/calf.lv2", "calf-plugins"),
        ("/usr/lib/lv2/dpl.lv2", "x42-plugins"),
        (
            "/usr/share/sonic-pi/samples/vinyl_hiss.flac",
            "sonic-pi-samples",
        ),
    ] {
        if !std::path::Path::new(path).exists() {
            missing.push(pkg);
        }
    }
    if on_path("ffmpeg") {
        let enc = Command::new("ffmpeg")
            .args(["-hide_banner", "-encoders"])
            .output();
        if !enc.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("libmp3lame")) {
            missing.push("ffmpeg (with libmp3lame)");
        }
        let filters = Command::new("ffmpeg")
            .args(["-hide_banner", "-filters"])
            .output();
        if !filters.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(" lv2 ")) {
            missing.push("ffmpeg (with the lv2 filter)");
        }
    }
    if !missing.is_empty() {
        bail!(
            "nonmusic needs tools that are missing; install them with:\n  sudo apt-get install -y {}",
            missing.join(" ")
        );
    }
    Ok(())
}

/// Entry point; `args` starts with the subcommand name.
pub fn main(args: impl Iterator<Item = String>) -> Result<()> {
    let args = Args::parse_from(args);
    if args.duration_s <= 0.0 || args.duration_s > 600.0 {
        bail!("--duration-s must be in (0, 600]");
    }
    let mut only = Vec::new();
    for k in &args.kinds {
        match Kind::from_name(k) {
            Some(kind) => only.push(kind),
            None => bail!(
                "unknown kind {k:?}; kinds are {}",
                Kind::ALL.map(Kind::name).join(", ")
            ),
        }
    }
    check_tools()?;
    let lib = sfx::Library::discover()?;
    eprintln!("nonmusic: sound library {}", lib.summary());
    let started = Instant::now();
    let mut clips = plan_clips(args.seed, args.clips);
    if !only.is_empty() {
        clips.retain(|c| only.contains(&c.kind));
    }
    std::fs::create_dir_all(args.out.join(LABEL))
        .with_context(|| format!("creating {}", args.out.display()))?;
    let work_root = args.out.join(".work");
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1);
    eprintln!(
        "nonmusic: {} clips of {} s, seed {}, {} jobs → {}",
        clips.len(),
        args.duration_s,
        args.seed,
        jobs,
        args.out.display()
    );

    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    type Outcome = Result<(Generated, Delivered)>;
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new((0..clips.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= clips.len() {
                        break;
                    }
                    let c = &clips[i];
                    let work = work_root.join(c.group());
                    let r = render_clip(c, &lib, args.duration_s, &work, &args.out)
                        .with_context(|| c.file());
                    if !args.keep_work {
                        let _ = std::fs::remove_dir_all(&work);
                    }
                    if let Err(e) = &r {
                        eprintln!("nonmusic: FAILED {e:#}");
                    }
                    results.lock().expect("results lock")[i] = Some(r);
                    let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if d.is_multiple_of(20) || d == clips.len() {
                        let el = started.elapsed().as_secs_f64();
                        eprintln!(
                            "nonmusic: {d}/{} clips, {el:.0} s elapsed, {:.1} clips/min",
                            clips.len(),
                            d as f64 / el * 60.0
                        );
                    }
                }
            });
        }
    });
    if !args.keep_work {
        let _ = std::fs::remove_dir(&work_root);
    }

    let results = results.into_inner().expect("results lock");
    let mut csv = format!("{HEADER}\n");
    let mut failed = Vec::new();
    let mut table: BTreeMap<Kind, BTreeMap<&str, usize>> = BTreeMap::new();
    for (c, r) in clips.iter().zip(results) {
        match r {
            Some(Ok((g, d))) => {
                csv.push_str(&row(c, &g, &d));
                *table.entry(c.kind).or_default().entry(c.split).or_default() += 1;
            }
            Some(Err(e)) => failed.push(format!("{e:#}")),
            None => failed.push(format!("{}: not rendered", c.file())),
        }
    }
    let manifest = args.out.join("manifest.csv");
    std::fs::write(&manifest, csv).with_context(|| format!("writing {}", manifest.display()))?;

    let ok: usize = table.values().flat_map(|m| m.values()).sum();
    let wall = started.elapsed().as_secs_f64();
    eprintln!("\nkind             family        train   val  test  test_template");
    for (k, m) in &table {
        let g = |s: &str| m.get(s).copied().unwrap_or(0);
        eprintln!(
            "{:<16} {:<12} {:>6} {:>5} {:>5} {:>14}",
            k.name(),
            k.info().family,
            g("train"),
            g("val"),
            g("test"),
            g("test_template")
        );
    }
    eprintln!(
        "nonmusic: {ok} clips, {:.1} min of audio, wall time {:.1} min ({:.1} clips/min with {jobs} jobs); manifest {}",
        ok as f64 * args.duration_s / 60.0,
        wall / 60.0,
        ok as f64 / wall * 60.0,
        manifest.display()
    );
    if !failed.is_empty() {
        bail!("{} clips failed:\n{}", failed.len(), failed.join("\n"));
    }
    Ok(())
}

/// The manifest's columns: the music corpus's first thirteen.
const HEADER: &str =
    "file,label,group,split,template,tempo_bpm,key,soundfont,seed,vocal,offset_s,chain,rms_db";

/// Generates, delivers and writes one clip.
fn render_clip(
    c: &ClipPlan,
    lib: &sfx::Library,
    duration_s: f64,
    work: &std::path::Path,
    out_root: &std::path::Path,
) -> Result<(Generated, Delivered)> {
    let mut rng = Rng::new(c.seed);
    let n = dsp::secs(duration_s);
    let (pre, post) = chain::padding();
    let mut gen_rng = rng.fork("generate");
    let g = kinds::generate(c.kind, &mut gen_rng, pre + n + post, Some(lib), work)?;
    let mut chain_rng = rng.fork("chain");
    let quiet = c.kind == Kind::NearSilence;
    let d = chain::deliver(
        &g.audio,
        pre,
        n,
        quiet,
        &mut chain_rng,
        work,
        &out_root.join(c.file()),
    )?;
    Ok((g, d))
}

fn row(c: &ClipPlan, g: &Generated, d: &Delivered) -> String {
    format!(
        "{},{LABEL},{},{},{},{},{},{},{},{},0.00,{};{},{:.1}\n",
        c.file(),
        c.group(),
        c.split,
        c.kind.name(),
        g.tempo_bpm.map(|t| t.to_string()).unwrap_or_default(),
        g.key.as_deref().unwrap_or(""),
        g.source,
        c.seed,
        g.vocal,
        g.detail,
        d.chain,
        d.rms_db
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_row_carries_the_kind_and_the_delivery_chain() {
        let c = ClipPlan {
            index: 7,
            kind: Kind::SpeechRadio,
            split: "train",
            seed: 42,
        };
        let g = Generated::synth(vec![0.0; 4], "wpm200;am");
        let d = Delivered {
            chain:
                "rates=pop/x;room=plate1.2s-10;master=hp31+tilt-4/+3+mbcomp+lim9+width1.3;mp3@128"
                    .into(),
            rms_db: -17.96,
        };
        let r = row(&c, &g, &d);
        let cols: Vec<&str> = r.trim_end().split(',').collect();
        let names: Vec<&str> = HEADER.split(',').collect();
        assert_eq!(cols.len(), names.len(), "{r}");
        let col = |n: &str| cols[names.iter().position(|&h| h == n).unwrap()];
        assert_eq!(col("file"), "not_music/speech_radio.00007.wav");
        assert_eq!(col("template"), "speech_radio");
        assert_eq!(
            col("chain"),
            "wpm200;am;rates=pop/x;room=plate1.2s-10;master=hp31+tilt-4/+3+mbcomp+lim9+width1.3;mp3@128"
        );
        assert_eq!(col("rms_db"), "-18.0");
    }
}
