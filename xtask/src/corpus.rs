//! `cargo xtask corpus`: generates the synthetic training corpus.
//!
//! Public datasets cannot be used, so this generator is the model's only
//! teacher. For each genre it writes songs from several templates (MMA groove
//! library where it fits, our own writers where MMA has nothing), renders them
//! as stems (real drum kits, guitars and basses through amp and cabinet
//! models, the rest with several soundfonts), mixes them through a room and a
//! mastering chain, and writes GTZAN-style folders plus `manifest.csv` with
//! template-held-out splits.
//!
//! The output is a pure function of `--seed` and `--songs-per-genre`.

mod amp;
mod arrange;
mod band;
mod classical;
mod compose;
pub(crate) mod drums;
mod dsp;
pub(crate) mod ir;
pub(crate) mod master;
mod midi;
mod mma;
pub(crate) mod plan;
pub(crate) mod production;
pub(crate) mod render;
pub(crate) mod rng;
mod speech;
mod stems;
mod texture;
mod theory;
mod tools;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;

use plan::{LABELS, SongPlan, plan_corpus};
use render::Rendered;

/// Command-line options of `cargo xtask corpus`.
#[derive(Parser, Debug)]
#[command(
    name = "cargo xtask corpus",
    about = "Generate the synthetic genre corpus (GTZAN-style folders + manifest.csv)"
)]
struct Args {
    /// Output directory (created; existing files are overwritten).
    #[arg(long)]
    out: PathBuf,
    /// Songs per genre.
    #[arg(long)]
    songs_per_genre: usize,
    /// Base seed; same seed → same manifest and audio.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Parallel render jobs (default: number of cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Clip length in seconds.
    #[arg(long, default_value_t = 30.0)]
    duration_s: f64,
    /// Only these genres (comma-separated); indices and seeds stay the same.
    #[arg(long, value_delimiter = ',')]
    genres: Vec<String>,
    /// Keep the per-song scratch folders under OUT/.work (for debugging).
    #[arg(long)]
    keep_work: bool,
    /// Give every song this texture (full, solo-piano, voice-led, drum-break,
    /// thin-beat, spoken) to audition it; the corpus is then not a training
    /// corpus.
    #[arg(long)]
    texture: Option<String>,
    /// Reuse the songs OUT/manifest.csv lists whose clips exist and render
    /// only the others (after an interrupted or partly failed run; the output
    /// is deterministic, so the result equals one clean run with the same
    /// options).
    #[arg(long)]
    resume: bool,
}

/// Entry point; `args` starts with the subcommand name.
pub fn main(args: impl Iterator<Item = String>) -> Result<()> {
    let args = Args::parse_from(args);
    if args.duration_s <= 0.0 || args.duration_s > 600.0 {
        bail!("--duration-s must be in (0, 600]");
    }
    for g in &args.genres {
        if !LABELS.contains(&g.as_str()) {
            bail!("unknown genre {g:?}; labels are {}", LABELS.join(", "));
        }
    }
    let res = tools::check()?;
    let started = Instant::now();
    let mut songs = plan_corpus(args.seed, args.songs_per_genre);
    if !args.genres.is_empty() {
        songs.retain(|s| args.genres.iter().any(|g| g == s.label));
    }
    if let Some(t) = &args.texture {
        let Some(tx) = texture::Texture::ALL.into_iter().find(|x| x.name() == t) else {
            bail!("unknown texture {t:?}");
        };
        for s in &mut songs {
            s.texture = tx;
        }
    }
    for l in LABELS {
        std::fs::create_dir_all(args.out.join(l))
            .with_context(|| format!("creating {}", args.out.display()))?;
    }
    let work_root = args.out.join(".work");
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1);
    eprintln!(
        "corpus: {} songs ({} per genre), {} s clips, seed {}, {} jobs → {}",
        songs.len(),
        args.songs_per_genre,
        args.duration_s,
        args.seed,
        jobs,
        args.out.display()
    );

    let manifest = args.out.join("manifest.csv");
    let mut previous: HashMap<String, String> = HashMap::new();
    if args.resume
        && let Ok(text) = std::fs::read_to_string(&manifest)
    {
        let mut lines = text.lines();
        if lines.next() == Some(HEADER.trim_end()) {
            for line in lines {
                let file = line.split(',').next().unwrap_or_default();
                if args.out.join(file).is_file() {
                    previous.insert(file.to_string(), format!("{line}\n"));
                }
            }
        } else {
            eprintln!(
                "corpus: --resume: {} has other columns, rendering everything",
                manifest.display()
            );
        }
        eprintln!("corpus: --resume: reusing {} songs", previous.len());
    }

    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<String>>>> =
        Mutex::new((0..songs.len()).map(|_| None).collect());
    let song_secs: Mutex<Vec<f64>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= songs.len() {
                        break;
                    }
                    let s = &songs[i];
                    let work = work_root.join(s.group());
                    let out = args.out.join(s.file());
                    let r = if let Some(line) = previous.get(&s.file()) {
                        Ok(line.clone())
                    } else {
                        let t0 = Instant::now();
                        let r = render_with_retries(s, &res, args.duration_s, &work, &out);
                        song_secs
                            .lock()
                            .expect("timing lock")
                            .push(t0.elapsed().as_secs_f64());
                        if !args.keep_work {
                            let _ = std::fs::remove_dir_all(&work);
                        }
                        r.map(|r| row(s, &r))
                    };
                    if let Err(e) = &r {
                        eprintln!("corpus: FAILED {e:#}");
                    }
                    results.lock().expect("results lock")[i] = Some(r);
                    let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if d.is_multiple_of(10) || d == songs.len() {
                        let el = started.elapsed().as_secs_f64();
                        eprintln!(
                            "corpus: {d}/{} songs, {:.0} s elapsed, {:.1} songs/min",
                            songs.len(),
                            el,
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
    let mut csv = String::from(HEADER);
    let mut failed = Vec::new();
    let mut table: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
    for (s, r) in songs.iter().zip(results) {
        match r {
            Some(Ok(line)) => {
                csv.push_str(&line);
                *table
                    .entry(s.label)
                    .or_default()
                    .entry(s.split)
                    .or_default() += 1;
            }
            Some(Err(e)) => failed.push(format!("{e:#}")),
            None => failed.push(format!("{}: not rendered", s.file())),
        }
    }
    std::fs::write(&manifest, csv).with_context(|| format!("writing {}", manifest.display()))?;

    let ok: usize = table.values().flat_map(|m| m.values()).sum();
    let wall = started.elapsed().as_secs_f64();
    eprintln!("\nsplit           train   val  test  test_template");
    for l in LABELS {
        if let Some(m) = table.get(l) {
            let g = |k: &str| m.get(k).copied().unwrap_or(0);
            eprintln!(
                "{l:<14} {:>6} {:>5} {:>5} {:>14}",
                g("train"),
                g("val"),
                g("test"),
                g("test_template")
            );
        }
    }
    eprintln!(
        "corpus: {ok} clips, {:.1} min of audio, wall time {:.1} min ({:.1} songs/min with {jobs} jobs); manifest {}",
        ok as f64 * args.duration_s / 60.0,
        wall / 60.0,
        ok as f64 / wall * 60.0,
        manifest.display()
    );
    let mut secs = song_secs.into_inner().expect("timing lock");
    if !secs.is_empty() {
        secs.sort_by(f64::total_cmp);
        eprintln!(
            "corpus: render time per song (one job's wall clock): mean {:.1} s, median {:.1} s, max {:.1} s",
            secs.iter().sum::<f64>() / secs.len() as f64,
            secs[secs.len() / 2],
            secs[secs.len() - 1]
        );
    }
    if !failed.is_empty() {
        bail!("{} songs failed:\n{}", failed.len(), failed.join("\n"));
    }
    Ok(())
}

/// The manifest's header line.
const HEADER: &str = "file,label,group,split,template,tempo_bpm,key,soundfont,seed,vocal,offset_s,chain,rms_db,texture,drums,guitars\n";

/// Renders a song, waiting and trying again while the disk is full (other
/// jobs on a shared machine free their scratch space again).
fn render_with_retries(
    s: &SongPlan,
    res: &render::Resources,
    duration_s: f64,
    work: &std::path::Path,
    out: &std::path::Path,
) -> Result<Rendered> {
    let mut attempt = 0;
    loop {
        let r = render::render_song(s, res, duration_s, work, out)
            .with_context(|| format!("{} ({})", s.file(), s.tpl().name));
        match r {
            Err(e) if attempt < 10 && format!("{e:#}").contains("No space left on device") => {
                attempt += 1;
                eprintln!(
                    "corpus: {}: disk full, trying again in 60 s ({attempt}/10)",
                    s.file()
                );
                let _ = std::fs::remove_dir_all(work);
                std::thread::sleep(std::time::Duration::from_secs(60));
            }
            r => return r,
        }
    }
}

fn row(s: &SongPlan, r: &Rendered) -> String {
    format!(
        "{},{},{},{},{},{},{},{},{},{},{:.2},{},{:.1},{},{},{}\n",
        s.file(),
        s.label,
        s.group(),
        s.split,
        s.tpl().name,
        s.tempo,
        s.key.name(),
        s.soundfont,
        s.seed,
        r.vocal,
        r.offset,
        r.chain,
        r.rms_db,
        r.texture,
        r.drums,
        r.guitars
    )
}
