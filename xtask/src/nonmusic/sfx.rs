//! Recorded sound effects, ambiences and voice lines from installed Debian
//! game-data packages, and the kinds built from them.
//!
//! Only sound-effect, ambience and voice folders are read, never music
//! folders; jingles that sit among the effects (fanfares, victory tunes, a
//! chapel organ, a tavern band) are excluded by name. None of these packages
//! is reserved for evaluation (CORPUS-NOTES.md); their game *music* is used
//! elsewhere, so no path with a `music` component is ever taken.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};

use super::dsp::{
    Filter, SR, add_at, add_at_time, db, filter, loop_fill, mix_into, reverb, rms, secs, set_rms,
    trim_quiet,
};
use super::impulses::synth_step;
use super::kinds::Generated;
use super::noises::room_bed;
use super::tones;
use crate::corpus::rng::Rng;

/// What a pool of files is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pool {
    /// Long loops: wind, birds, water, rain, fire, village life.
    Ambience,
    /// One-shot effects for the trained soundscape.
    Events,
    /// naev-data's effects: the held-out environmental source.
    Scifi,
    /// Recorded voice lines.
    Voices,
    /// Footstep recordings.
    Steps,
    /// Small clinks (coins, glass, metal) for crowd scenes.
    Clinks,
}

/// Where to look: package, folder, whether to descend, and which pool.
struct Source {
    package: &'static str,
    dir: String,
    recursive: bool,
    pool: Pool,
    /// Only file names containing one of these (empty: all).
    only: &'static [&'static str],
}

const MG: &str = "/usr/share/games/megaglest";
const FLARE: &str = "/usr/share/games/flare/mods/fantasycore/soundfx";
const STK: &str = "/usr/share/games/supertuxkart/data/sfx";
const UH: &str = "/usr/share/unknown-horizons/content/audio";
const FD: &str = "/usr/share/freedroidrpg/data/sound/effects";

fn sources() -> Vec<Source> {
    let s = |package, dir: String, recursive, pool, only| Source {
        package,
        dir,
        recursive,
        pool,
        only,
    };
    vec![
        s(
            "megaglest-data",
            format!("{MG}/tilesets"),
            true,
            Pool::Ambience,
            &["day", "night", "rain", "wind", "hell"],
        ),
        s(
            "megaglest-data",
            format!("{MG}/tilesets"),
            true,
            Pool::Events,
            &["chicken", "wolf", "hawk", "owl", "rooster", "cow"],
        ),
        s(
            "megaglest-data",
            format!("{MG}/techs/megapack"),
            true,
            Pool::Voices,
            &["_ack", "_select"],
        ),
        s(
            "megaglest-data",
            format!("{MG}/techs/megapack/commondata/sounds"),
            false,
            Pool::Events,
            &[],
        ),
        s(
            "megaglest-data",
            format!("{MG}/data/core/water_sounds"),
            false,
            Pool::Events,
            &[],
        ),
        s(
            "megaglest-data",
            format!("{MG}/data/core/menu/sound"),
            false,
            Pool::Events,
            &[],
        ),
        s(
            "flare-game",
            format!("{FLARE}/environment"),
            false,
            Pool::Ambience,
            &["_loop", "open_fire"],
        ),
        s(
            "flare-game",
            format!("{FLARE}/environment"),
            false,
            Pool::Events,
            &["stairs", "stone_open", "teleporter"],
        ),
        s(
            "flare-game",
            format!("{FLARE}/enemies"),
            false,
            Pool::Events,
            &[],
        ),
        s(
            "flare-game",
            format!("{FLARE}/powers"),
            false,
            Pool::Events,
            &[],
        ),
        s(
            "flare-game",
            format!("{FLARE}/inventory"),
            false,
            Pool::Events,
            &[],
        ),
        s(
            "flare-game",
            format!("{FLARE}/inventory"),
            false,
            Pool::Clinks,
            &["coins", "gem", "metal", "potion", "object", "maille"],
        ),
        s("flare-game", FLARE.to_string(), false, Pool::Events, &[]),
        s(
            "flare-game",
            format!("{FLARE}/npcs"),
            false,
            Pool::Voices,
            &[],
        ),
        s(
            "flare-game",
            format!("{FLARE}/steps"),
            false,
            Pool::Steps,
            &[],
        ),
        s(
            "supertuxkart-data",
            STK.to_string(),
            false,
            Pool::Ambience,
            &[
                "exotic-birds",
                "river_loop",
                "waterfall_loop",
                "rain",
                "static-radio",
                "spaceship",
            ],
        ),
        s(
            "supertuxkart-data",
            STK.to_string(),
            false,
            Pool::Events,
            &[],
        ),
        s(
            "unknown-horizons",
            format!("{UH}/sounds"),
            false,
            Pool::Ambience,
            &[
                "sheepfield",
                "windmill",
                "lumberjack_long",
                "main_square",
                "warehouse",
            ],
        ),
        s(
            "unknown-horizons",
            format!("{UH}/sounds"),
            false,
            Pool::Events,
            &[],
        ),
        s(
            "unknown-horizons",
            format!("{UH}/voice"),
            true,
            Pool::Voices,
            &[],
        ),
        s(
            "freedroidrpg-data",
            FD.to_string(),
            false,
            Pool::Events,
            &[],
        ),
        s(
            "freedroidrpg-data",
            format!("{FD}/item_sounds"),
            false,
            Pool::Events,
            &[],
        ),
        s(
            "freedroidrpg-data",
            format!("{FD}/bullets"),
            false,
            Pool::Events,
            &[],
        ),
        s(
            "freedroidrpg-data",
            format!("{FD}/tux_ingame_comments"),
            false,
            Pool::Voices,
            &[],
        ),
        s(
            "freedroidrpg-data",
            FD.to_string(),
            false,
            Pool::Steps,
            &["footstep"],
        ),
        s(
            "naev-data",
            "/usr/share/naev/dat/snd/sounds".to_string(),
            false,
            Pool::Scifi,
            &[],
        ),
    ]
}

/// Musical material among the effects (jingles, fanfares, a flute tune, a
/// chapel, a tavern, a restaurant with background music, a PA chime) and
/// files that belong to another pool.
const EXCLUDE: &[&str] = &[
    "gnu_flute",
    "goal_scored",
    "gp_end",
    "last_lap_fanfare",
    "race_finish",
    "track_intro",
    "lenautile_restaurant",
    "sara_airport_pa",
    "start_race",
    "energy_bar",
    "chapel",
    "tavern",
    "success",
    "new_era",
    "new_settlement",
    "level_up",
    "Takeover_Game",
    "ThouArtDefeated",
    "Mission_Status",
    "Shop_Item",
];

/// Names of one-shot pools that are ambience loops elsewhere (not events).
const AMBIENCE_NAMES: &[&str] = &[
    "exotic-birds",
    "river_loop",
    "waterfall_loop",
    "rain",
    "static-radio",
    "spaceship",
    "sheepfield",
    "windmill",
    "lumberjack_long",
    "main_square",
    "warehouse",
    "_loop",
    "open_fire",
];

/// The installed sound files by pool, with a decode cache.
pub struct Library {
    pools: HashMap<Pool, Vec<PathBuf>>,
    cache: Mutex<HashMap<PathBuf, Arc<Vec<f32>>>>,
}

fn is_audio(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "ogg" | "wav" | "flac"))
}

fn walk(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            if recursive {
                walk(&p, true, out);
            }
        } else if is_audio(&p) {
            out.push(p);
        }
    }
}

impl Pool {
    /// Every pool.
    pub const ALL: [Pool; 6] = [
        Pool::Ambience,
        Pool::Events,
        Pool::Scifi,
        Pool::Voices,
        Pool::Steps,
        Pool::Clinks,
    ];
}

impl Library {
    /// Finds the files of every pool; errors naming the packages to install
    /// when a pool is empty.
    pub fn discover() -> Result<Library> {
        let mut pools: HashMap<Pool, BTreeSet<PathBuf>> = HashMap::new();
        // Identical files ship in several folders (megaglest tilesets): keep one.
        let mut seen: HashMap<Pool, BTreeSet<(String, u64)>> = HashMap::new();
        let mut packages: HashMap<Pool, BTreeSet<&str>> = HashMap::new();
        for src in sources() {
            packages.entry(src.pool).or_default().insert(src.package);
            let mut files = Vec::new();
            walk(Path::new(&src.dir), src.recursive, &mut files);
            files.sort();
            for f in files {
                let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                let in_music = f.components().any(|c| {
                    c.as_os_str()
                        .to_str()
                        .is_some_and(|s| s.to_ascii_lowercase().contains("music"))
                });
                if in_music || EXCLUDE.iter().any(|x| name.contains(x)) {
                    continue;
                }
                if !src.only.is_empty() && !src.only.iter().any(|o| name.contains(o)) {
                    continue;
                }
                let voice = name.contains("_ack") || name.contains("_select");
                if src.pool == Pool::Events
                    && (voice
                        || name.contains("footstep")
                        || AMBIENCE_NAMES.iter().any(|a| name.contains(a)))
                {
                    continue;
                }
                let size = std::fs::metadata(&f).map(|m| m.len()).unwrap_or(0);
                if seen
                    .entry(src.pool)
                    .or_default()
                    .insert((name.to_string(), size))
                {
                    pools.entry(src.pool).or_default().insert(f);
                }
            }
        }
        let mut missing = Vec::new();
        for pool in Pool::ALL {
            if pools.get(&pool).is_none_or(BTreeSet::is_empty) {
                let pk: Vec<&str> = packages[&pool].iter().copied().collect();
                missing.push(format!("{pool:?} (from {})", pk.join(", ")));
            }
        }
        if !missing.is_empty() {
            bail!(
                "no sound files for: {}\ninstall: sudo apt-get install -y megaglest-data flare-game supertuxkart-data unknown-horizons freedroidrpg-data naev-data",
                missing.join("; ")
            );
        }
        Ok(Library {
            pools: pools
                .into_iter()
                .map(|(k, v)| (k, v.into_iter().collect()))
                .collect(),
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// Files per pool, for the log.
    pub fn summary(&self) -> String {
        let mut pools: Vec<(&Pool, usize)> = self.pools.iter().map(|(p, f)| (p, f.len())).collect();
        pools.sort();
        pools
            .iter()
            .map(|(p, n)| format!("{n} {p:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The files of a pool, sorted.
    pub fn files(&self, pool: Pool) -> &[PathBuf] {
        self.pools.get(&pool).map_or(&[], Vec::as_slice)
    }

    /// One file of `pool`, decoded to mono 22 050 Hz, quiet ends trimmed.
    pub fn pick(&self, pool: Pool, rng: &mut Rng) -> Result<(Arc<Vec<f32>>, String)> {
        let files = self.files(pool);
        let f = &files[rng.below(files.len())];
        let name = f
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("?")
            .to_string();
        Ok((self.load(f)?, name))
    }

    /// Decodes a file through sox (cached).
    pub fn load(&self, path: &Path) -> Result<Arc<Vec<f32>>> {
        if let Some(a) = self.cache.lock().expect("cache lock").get(path) {
            return Ok(a.clone());
        }
        let x = decode(path, &[])?;
        let x = Arc::new(trim_quiet(&x, 0.003).to_vec());
        self.cache
            .lock()
            .expect("cache lock")
            .insert(path.to_path_buf(), x.clone());
        Ok(x)
    }

    /// Package name of a file, for the manifest.
    pub fn package_of(path: &Path) -> &'static str {
        let p = path.to_string_lossy();
        for src in sources() {
            if p.starts_with(src.dir.as_str()) {
                return src.package;
            }
        }
        "?"
    }
}

/// Decodes any audio file sox reads to mono 22 050 Hz `f32`, running
/// `effects` (sox effect arguments) on the way.
pub fn decode(path: &Path, effects: &[String]) -> Result<Vec<f32>> {
    let out = Command::new("sox")
        .args(["-q", "-V1"])
        .arg(path)
        .args([
            "-t",
            "raw",
            "-e",
            "floating-point",
            "-b",
            "32",
            "-c",
            "1",
            "-r",
        ])
        .arg(SR.to_string())
        .arg("-")
        .args(effects)
        .output()
        .with_context(|| format!("running sox on {}", path.display()))?;
    if !out.status.success() {
        bail!(
            "sox could not decode {}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(out
        .stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

/// Events from `pool` at Poisson times, each at its own distance (level and
/// low-pass), summed into `x`. Returns the number placed.
fn scatter(
    lib: &Library,
    pool: Pool,
    x: &mut [f32],
    rate_hz: f64,
    names: &mut Vec<String>,
    rng: &mut Rng,
) -> Result<usize> {
    let n = x.len();
    let mut t = -rng.range(0.0, 2.0);
    let mut placed = 0;
    loop {
        t += -rng.f64().max(1e-12).ln() / rate_hz;
        if t * super::dsp::SR_F >= n as f64 {
            break;
        }
        let (s, name) = lib.pick(pool, rng)?;
        let mut ev = s.to_vec();
        let far = rng.range(0.0, 1.0);
        if far > 0.5 {
            filter(
                &mut ev,
                Filter::Lowpass,
                8000.0 - 10000.0 * (far - 0.5),
                0.707,
                1,
            );
        }
        let r = rms(&ev).max(1e-6);
        let gain = db(-18.0 * far + rng.range(-3.0, 3.0)) / r;
        // An event may start before the clip and reach into it.
        add_at_time(x, &ev, t, gain);
        if names.len() < 6 {
            names.push(name);
        }
        placed += 1;
    }
    Ok(placed)
}

/// A bed of 1–2 ambience loops, RMS 1.
fn ambience_bed(
    lib: &Library,
    rng: &mut Rng,
    n: usize,
    names: &mut Vec<String>,
) -> Result<Vec<f32>> {
    let mut x = vec![0.0f32; n];
    for k in 0..rng.int(1, 2) {
        let (s, name) = lib.pick(Pool::Ambience, rng)?;
        let mut l = loop_fill(&s, n, rng.below(s.len().max(1)), secs(0.5));
        set_rms(&mut l, 1.0);
        mix_into(
            &mut x,
            &l,
            if k == 0 {
                1.0
            } else {
                db(rng.range(-12.0, 0.0))
            },
        );
        names.push(name);
    }
    set_rms(&mut x, 1.0);
    Ok(x)
}

/// Long ambience loops, layered, with a few events and room tone.
pub fn ambience(lib: &Library, rng: &mut Rng, n: usize) -> Result<Generated> {
    let mut names = Vec::new();
    let mut x = ambience_bed(lib, rng, n, &mut names)?;
    let mut events = vec![0.0f32; n];
    let placed = if rng.chance(0.5) {
        scatter(
            lib,
            Pool::Events,
            &mut events,
            rng.range(0.03, 0.2),
            &mut names,
            rng,
        )?
    } else {
        0
    };
    if placed > 0 {
        mix_into(&mut x, &events, db(rng.range(-15.0, 0.0)));
    }
    let (bed, room) = room_bed(rng, n);
    mix_into(&mut x, &bed, db(rng.range(-40.0, -20.0)));
    Ok(Generated {
        source: "game-data".into(),
        ..Generated::synth(x, format!("{};{placed}events;{room}", names.join("+")))
    })
}

/// Sparse events over room tone or a quiet ambience.
fn sparse(lib: &Library, pool: Pool, rng: &mut Rng, n: usize, bed: &str) -> Result<Generated> {
    let mut names = Vec::new();
    let mut x = vec![0.0f32; n];
    let rate = rng.range(0.15, 1.2);
    let placed = scatter(lib, pool, &mut x, rate, &mut names, rng)?;
    set_rms(&mut x, 1.0);
    // Room tone always: ambience loops and engines may have gaps of their own.
    let (mut floor, mut floor_name) = room_bed(rng, n);
    let over: Option<(Vec<f32>, String)> = match bed {
        "engine" => {
            let mut f = tones::drone(rng, n).audio;
            filter(&mut f, Filter::Lowpass, rng.range(200.0, 800.0), 0.707, 1);
            Some((f, "engine".to_string()))
        }
        _ if rng.chance(0.3) => {
            let mut amb_names = Vec::new();
            let f = ambience_bed(lib, rng, n, &mut amb_names)?;
            Some((f, amb_names.join("+")))
        }
        _ => None,
    };
    if let Some((mut f, name)) = over {
        set_rms(&mut f, 1.0);
        mix_into(&mut floor, &f, db(rng.range(0.0, 10.0)));
        floor_name = format!("{name}+{floor_name}");
    }
    set_rms(&mut floor, 1.0);
    mix_into(&mut x, &floor, db(rng.range(-30.0, -12.0)));
    if rng.chance(0.4) {
        x = reverb(
            &x,
            rng.range(0.3, 0.9),
            rng.range(0.2, 0.6),
            rng.range(0.1, 0.6),
        );
    }
    Ok(Generated {
        source: Library::package_of(&lib.files(pool)[0]).into(),
        ..Generated::synth(
            x,
            format!(
                "{placed}events@{rate:.2}/s;{};{floor_name}",
                names.join("+")
            ),
        )
    })
}

/// Trained soundscape: game effects of five packages.
pub fn soundscape(lib: &Library, rng: &mut Rng, n: usize) -> Result<Generated> {
    let mut g = sparse(lib, Pool::Events, rng, n, "room")?;
    g.source = "game-data".into();
    Ok(g)
}

/// Held out: naev-data's effects over an engine drone or room tone.
pub fn sfx_scifi(lib: &Library, rng: &mut Rng, n: usize) -> Result<Generated> {
    let bed = if rng.chance(0.6) { "engine" } else { "room" };
    sparse(lib, Pool::Scifi, rng, n, bed)
}

/// Recorded voice lines with pauses, over room tone.
pub fn voice_lines(lib: &Library, rng: &mut Rng, n: usize) -> Result<Generated> {
    let mut x = vec![0.0f32; n];
    let mut t = -rng.range(0.0, 2.0);
    let mut names = Vec::new();
    let mut lines = 0;
    while t * super::dsp::SR_F < n as f64 {
        let (s, name) = lib.pick(Pool::Voices, rng)?;
        let g = db(rng.range(-4.0, 4.0)) / rms(&s).max(1e-6);
        add_at_time(&mut x, &s, t, g);
        if names.len() < 6 {
            names.push(name);
        }
        lines += 1;
        t += s.len() as f64 / super::dsp::SR_F + rng.range(0.15, 2.0);
    }
    set_rms(&mut x, 1.0);
    if rng.chance(0.4) {
        x = reverb(&x, rng.range(0.2, 0.7), 0.4, rng.range(0.1, 0.5));
    }
    let (bed, room) = room_bed(rng, n);
    mix_into(&mut x, &bed, db(rng.range(-45.0, -20.0)));
    Ok(Generated {
        source: "game-data".into(),
        vocal: "recorded".into(),
        ..Generated::synth(x, format!("{lines}lines;{};{room}", names.join("+")))
    })
}

/// Footsteps walking by: recorded steps or synthetic ones.
pub fn footsteps(lib: &Library, rng: &mut Rng, n: usize) -> Result<Generated> {
    let recorded = rng.chance(0.5);
    let surface = *rng.pick(&["hard", "soft", "gravel"]);
    let pace = rng.range(1.4, 2.4);
    let mut x = vec![0.0f32; n];
    let mut t = rng.range(0.0, 1.0);
    let mut steps = 0;
    let bank: Vec<Vec<f32>> = if recorded {
        let mut b = Vec::new();
        for _ in 0..6 {
            b.push(lib.pick(Pool::Steps, rng)?.0.to_vec());
        }
        b
    } else {
        (0..6).map(|_| synth_step(rng, surface)).collect()
    };
    while secs(t) < n {
        // One walk: approach, pass, recede.
        let walk_s = rng.range(3.0, 15.0);
        let start = t;
        while t < start + walk_s && secs(t) < n {
            let u = (t - start) / walk_s;
            let near = (std::f64::consts::PI * u).sin().max(0.05);
            let s = &bank[rng.below(bank.len())];
            let g = near * rng.range(0.7, 1.0) / rms(s).max(1e-6);
            add_at(&mut x, s, secs(t), g);
            steps += 1;
            t += (1.0 / pace) * (1.0 + 0.04 * rng.normal());
        }
        t += rng.range(0.5, 5.0);
    }
    set_rms(&mut x, 1.0);
    if rng.chance(0.5) {
        x = reverb(&x, rng.range(0.3, 0.9), 0.4, rng.range(0.1, 0.7));
    }
    let (bed, room) = room_bed(rng, n);
    mix_into(&mut x, &bed, db(rng.range(-40.0, -20.0)));
    let mut g = Generated::synth(
        x,
        format!(
            "{};{steps}steps;{room}",
            if recorded {
                "recorded".to_string()
            } else {
                format!("synth-{surface}")
            }
        ),
    );
    if recorded {
        g.source = "game-data".into();
    }
    g.tempo_bpm = Some((pace * 60.0).round());
    Ok(g)
}

/// A few clinks (cutlery, glasses, coins) for crowd scenes, RMS 1 or silent.
pub fn clinks(lib: &Library, rng: &mut Rng, n: usize) -> Result<Vec<f32>> {
    let mut x = vec![0.0f32; n];
    let mut names = Vec::new();
    scatter(
        lib,
        Pool::Clinks,
        &mut x,
        rng.range(0.1, 1.0),
        &mut names,
        rng,
    )?;
    set_rms(&mut x, 1.0);
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Needs the game-data packages and sox: `cargo test -p xtask -- --ignored`.
    #[test]
    #[ignore]
    fn library_has_every_pool_and_no_music() {
        let lib = Library::discover().unwrap();
        for pool in Pool::ALL {
            let files = lib.files(pool);
            assert!(!files.is_empty(), "{pool:?}");
            for f in files {
                let s = f.to_string_lossy().to_ascii_lowercase();
                assert!(!s.contains("music"), "{s}");
                assert!(
                    !EXCLUDE.iter().any(|x| s.contains(&x.to_ascii_lowercase())),
                    "{s}"
                );
            }
        }
        assert!(
            lib.files(Pool::Scifi)
                .iter()
                .all(|f| f.starts_with("/usr/share/naev"))
        );
        assert!(
            lib.files(Pool::Events)
                .iter()
                .all(|f| !f.starts_with("/usr/share/naev"))
        );
        assert!(lib.files(Pool::Voices).len() > 100);
        let (x, _) = lib.pick(Pool::Events, &mut Rng::new(1)).unwrap();
        assert!(rms(&x) > 1e-4);
    }
}
