//! Drums from real recordings: a small sampler that plays the song's GM drum
//! notes with multi-sampled acoustic and electronic kits (Hydrogen's
//! drumkits, Sonic Pi's CC0 one-shots) and lays sampled breakbeats under them.
//!
//! Each kit's `drumkit.xml` names its instruments and their velocity layers;
//! instruments are sorted into categories by name (kick, snare, closed hat,
//! floor tom…) and every GM drum note asks for a category with fallbacks, as a
//! drummer would play a ride pattern on a crash when the kit has no ride.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::{Context, Result, bail};

use super::dsp::{SR, db, resample_linear};
use super::rng::Rng;

/// Where Hydrogen's drumkits are installed (`hydrogen-drumkits`).
pub const HYDROGEN_DIR: &str = "/usr/share/hydrogen/data/drumkits";
/// Where Sonic Pi's samples are installed (`sonic-pi-samples`).
pub const SONIC_PI_DIR: &str = "/usr/share/sonic-pi/samples";

/// What a kit instrument is, judged by its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Category {
    Kick,
    Snare,
    Rimshot,
    SideStick,
    Clap,
    Snap,
    HatClosed,
    HatPedal,
    HatOpen,
    Crash,
    Ride,
    RideBell,
    China,
    Splash,
    TomHigh,
    TomMid,
    TomLow,
    Cowbell,
    Tambourine,
    Shaker,
    CongaHigh,
    CongaLow,
    Clave,
    Woodblock,
    Agogo,
    Triangle,
}

use Category as C;

/// Sorts an instrument into a category by its name (None for effects,
/// rolls, chokes and unnamed slots).
pub fn classify(name: &str) -> Option<Category> {
    let s = name.to_lowercase();
    if s.starts_with("sample:") {
        return None;
    }
    let toks: Vec<&str> = s
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    let has = |w: &str| toks.contains(&w);
    let sub = |w: &str| s.contains(w);
    if sub("roll") || sub("swish") || sub("choke") || sub("flink") || sub("whistle") {
        return None;
    }
    if sub("hat") || has("hh") || has("ohh") {
        return Some(
            if sub("open") || has("op") || has("ohh") || sub("semi") || sub("free") {
                C::HatOpen
            } else if sub("pedal") || sub("foot") || has("pd") {
                C::HatPedal
            } else {
                C::HatClosed
            },
        );
    }
    if sub("kick") || sub("bass drum") || sub("bassdrum") || has("bd") {
        return Some(C::Kick);
    }
    if sub("clap") {
        return Some(C::Clap);
    }
    if sub("snap") {
        return Some(C::Snap);
    }
    if sub("snare") {
        return Some(if sub("rim") { C::Rimshot } else { C::Snare });
    }
    if sub("stick") || sub("rim click") {
        return Some(C::SideStick);
    }
    if sub("china") {
        return Some(C::China);
    }
    if sub("splash") {
        return Some(C::Splash);
    }
    if sub("ride") {
        return Some(if sub("bell") || sub("cup") {
            C::RideBell
        } else {
            C::Ride
        });
    }
    if sub("crash") || sub("cymbal") {
        return Some(C::Crash);
    }
    if toks.iter().any(|t| t.starts_with("tom")) {
        let hi = toks.iter().any(|t| t.starts_with("tomhi"));
        return Some(if sub("floor") || has("low") || has("lo") {
            C::TomLow
        } else if sub("mid") {
            C::TomMid
        } else if hi || has("hi") || has("high") || has("1") {
            C::TomHigh
        } else if has("3") {
            C::TomLow
        } else {
            C::TomMid
        });
    }
    if sub("cowbell") {
        return Some(C::Cowbell);
    }
    if sub("tamb") {
        return Some(C::Tambourine);
    }
    if sub("maraca") || sub("shake") || sub("cabasa") {
        return Some(C::Shaker);
    }
    if sub("conga") || sub("bongo") {
        return Some(if has("lo") || has("low") || has("2") {
            C::CongaLow
        } else {
            C::CongaHigh
        });
    }
    if sub("clave") {
        return Some(C::Clave);
    }
    if sub("woodblock") || sub("wood block") {
        return Some(C::Woodblock);
    }
    if sub("agogo") {
        return Some(C::Agogo);
    }
    if sub("triangle") {
        return Some(C::Triangle);
    }
    if has("bell") {
        return Some(C::RideBell);
    }
    None
}

/// The category a GM drum note asks for, and which of the kit's instruments
/// of that category (0 = the song's main one, 1 = its alternative).
pub fn gm_note(key: u8) -> Option<(Category, usize)> {
    Some(match key {
        35 => (C::Kick, 1),
        36 => (C::Kick, 0),
        37 => (C::SideStick, 0),
        38 => (C::Snare, 0),
        39 => (C::Clap, 0),
        40 => (C::Snare, 1),
        41 => (C::TomLow, 1),
        43 => (C::TomLow, 0),
        45 => (C::TomMid, 1),
        47 => (C::TomMid, 0),
        48 => (C::TomHigh, 1),
        50 => (C::TomHigh, 0),
        42 => (C::HatClosed, 0),
        44 => (C::HatPedal, 0),
        46 => (C::HatOpen, 0),
        49 => (C::Crash, 0),
        57 => (C::Crash, 1),
        51 => (C::Ride, 0),
        59 => (C::Ride, 1),
        53 => (C::RideBell, 0),
        52 => (C::China, 0),
        55 => (C::Splash, 0),
        54 => (C::Tambourine, 0),
        56 => (C::Cowbell, 0),
        60 | 63 => (C::CongaHigh, 0),
        62 => (C::CongaHigh, 1),
        61 | 64 => (C::CongaLow, 0),
        69 | 70 | 82 | 73 | 74 => (C::Shaker, 0),
        75 => (C::Clave, 0),
        76 => (C::Woodblock, 0),
        77 => (C::Woodblock, 1),
        67 | 68 => (C::Agogo, 0),
        80 | 81 => (C::Triangle, 0),
        _ => return None,
    })
}

/// What to play when a kit lacks a category, with a gain for the stand-in.
fn fallbacks(c: Category) -> &'static [(Category, f64)] {
    match c {
        C::SideStick => &[(C::Rimshot, 0.6), (C::Snare, 0.35)],
        C::Rimshot => &[(C::Snare, 1.0)],
        C::Clap => &[(C::Snap, 1.0), (C::Snare, 0.7)],
        C::Snap => &[(C::Clap, 0.8)],
        C::HatClosed => &[(C::HatPedal, 1.0)],
        C::HatPedal => &[(C::HatClosed, 0.6)],
        C::HatOpen => &[(C::HatClosed, 1.0)],
        C::Crash => &[(C::China, 1.0), (C::Splash, 1.0), (C::Ride, 1.0)],
        C::Ride => &[(C::RideBell, 0.8), (C::Crash, 0.45), (C::HatClosed, 0.9)],
        C::RideBell => &[(C::Ride, 1.0)],
        C::China => &[(C::Crash, 1.0)],
        C::Splash => &[(C::Crash, 0.7)],
        C::TomHigh => &[(C::TomMid, 1.0), (C::TomLow, 1.0)],
        C::TomMid => &[(C::TomHigh, 1.0), (C::TomLow, 1.0)],
        C::TomLow => &[(C::TomMid, 1.0), (C::TomHigh, 1.0)],
        C::Tambourine => &[(C::Shaker, 1.0)],
        C::Shaker => &[(C::Tambourine, 0.8)],
        C::Cowbell => &[(C::Agogo, 1.0)],
        C::Agogo => &[(C::Cowbell, 1.0)],
        C::CongaHigh => &[(C::CongaLow, 1.0)],
        C::CongaLow => &[(C::CongaHigh, 1.0)],
        C::Clave => &[(C::Woodblock, 1.0), (C::SideStick, 0.8)],
        C::Woodblock => &[(C::Clave, 1.0)],
        C::Kick | C::Snare | C::Triangle => &[],
    }
}

/// Categories a percussion kit may supply to a drum kit that lacks them.
fn hand_percussion(c: Category) -> bool {
    matches!(
        c,
        C::Tambourine
            | C::Shaker
            | C::Cowbell
            | C::Agogo
            | C::CongaHigh
            | C::CongaLow
            | C::Clave
            | C::Woodblock
            | C::Clap
            | C::Snap
    )
}

/// A decoded sample at 44.1 kHz, stereo.
#[derive(Debug)]
pub struct Sample {
    /// Left channel.
    pub l: Vec<f32>,
    /// Right channel.
    pub r: Vec<f32>,
}

/// One velocity layer of an instrument.
#[derive(Clone, Debug)]
pub struct Layer {
    /// Lowest velocity (0..1) that plays this layer.
    pub min: f64,
    /// Highest velocity (0..1) that plays this layer.
    pub max: f64,
    /// Layer gain.
    pub gain: f64,
    /// Pitch offset in semitones.
    pub pitch: f64,
    /// The recording.
    pub sample: Arc<Sample>,
}

/// One kit instrument.
#[derive(Clone, Debug)]
pub struct Instrument {
    /// Its category.
    pub category: Category,
    /// Instrument volume.
    pub volume: f64,
    /// Left and right gains (Hydrogen's `pan_L`/`pan_R`).
    pub pan: (f64, f64),
    /// Choke group (−1 = none).
    pub mute_group: i32,
    /// Velocity layers.
    pub layers: Vec<Layer>,
}

/// A loaded kit.
#[derive(Debug)]
pub struct Kit {
    /// Manifest name.
    pub name: &'static str,
    /// Instruments with at least one decoded layer.
    pub instruments: Vec<Arc<Instrument>>,
}

/// Sound family of a kit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Recorded acoustic drum set.
    Acoustic,
    /// Drum machines and processed electronic hits.
    Electronic,
    /// Hits cut from breakbeats.
    Break,
}

/// Sonic Pi velocity layers: (file stem, min velocity, max velocity).
pub type OneShotLayers = &'static [(&'static str, f64, f64)];

/// Sonic Pi instruments: (instrument name, layers).
pub type OneShots = &'static [(&'static str, OneShotLayers)];

/// Where a kit's samples come from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Source {
    /// A Hydrogen drumkit folder under [`HYDROGEN_DIR`].
    Hydrogen(&'static str),
    /// Sonic Pi one-shots: (instrument name, [(file stem, min vel, max vel)]).
    SonicPi(OneShots),
}

/// A kit the sampler can play.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KitSpec {
    /// Manifest name.
    pub name: &'static str,
    /// Sound family.
    pub family: Family,
    /// Sample source.
    pub source: Source,
}

const SP_ACOUSTIC: OneShots = &[
    (
        "kick",
        &[("drum_bass_soft", 0.0, 0.55), ("drum_bass_hard", 0.55, 1.0)],
    ),
    ("heavy kick", &[("drum_heavy_kick", 0.0, 1.0)]),
    (
        "snare",
        &[
            ("drum_snare_soft", 0.0, 0.55),
            ("drum_snare_hard", 0.55, 1.0),
        ],
    ),
    ("closed hat", &[("drum_cymbal_closed", 0.0, 1.0)]),
    ("pedal hat", &[("drum_cymbal_pedal", 0.0, 1.0)]),
    ("open hat", &[("drum_cymbal_open", 0.0, 1.0)]),
    (
        "crash",
        &[
            ("drum_cymbal_soft", 0.0, 0.6),
            ("drum_cymbal_hard", 0.6, 1.0),
        ],
    ),
    (
        "splash",
        &[
            ("drum_splash_soft", 0.0, 0.6),
            ("drum_splash_hard", 0.6, 1.0),
        ],
    ),
    (
        "tom hi",
        &[
            ("drum_tom_hi_soft", 0.0, 0.6),
            ("drum_tom_hi_hard", 0.6, 1.0),
        ],
    ),
    (
        "tom mid",
        &[
            ("drum_tom_mid_soft", 0.0, 0.6),
            ("drum_tom_mid_hard", 0.6, 1.0),
        ],
    ),
    (
        "tom low",
        &[
            ("drum_tom_lo_soft", 0.0, 0.6),
            ("drum_tom_lo_hard", 0.6, 1.0),
        ],
    ),
    ("cowbell", &[("drum_cowbell", 0.0, 1.0)]),
];

const SP_ELECTRO: OneShots = &[
    ("kick 808", &[("bd_808", 0.0, 1.0)]),
    ("kick boom", &[("bd_boom", 0.0, 1.0)]),
    ("kick fat", &[("bd_fat", 0.0, 1.0)]),
    ("kick haus", &[("bd_haus", 0.0, 1.0)]),
    ("kick klub", &[("bd_klub", 0.0, 1.0)]),
    ("kick tek", &[("bd_tek", 0.0, 1.0)]),
    ("kick zum", &[("bd_zum", 0.0, 1.0)]),
    ("kick ada", &[("bd_ada", 0.0, 1.0)]),
    ("kick pure", &[("bd_pure", 0.0, 1.0)]),
    ("snare dolf", &[("sn_dolf", 0.0, 1.0)]),
    ("snare dub", &[("sn_dub", 0.0, 1.0)]),
    ("snare zome", &[("sn_zome", 0.0, 1.0)]),
    ("snare elec", &[("elec_snare", 0.0, 1.0)]),
    ("snare hi", &[("elec_hi_snare", 0.0, 1.0)]),
    ("snare filt", &[("elec_filt_snare", 0.0, 1.0)]),
    ("finger snap", &[("perc_snap", 0.0, 1.0)]),
    ("closed hat", &[("drum_cymbal_closed", 0.0, 1.0)]),
    ("pedal hat", &[("drum_cymbal_pedal", 0.0, 1.0)]),
    ("open hat", &[("drum_cymbal_open", 0.0, 1.0)]),
    ("crash", &[("elec_cymbal", 0.0, 1.0)]),
    ("tom", &[("elec_fuzz_tom", 0.0, 1.0)]),
    ("triangle", &[("elec_triangle", 0.0, 1.0)]),
    ("woodblock", &[("elec_wood", 0.0, 1.0)]),
    ("cowbell", &[("drum_cowbell", 0.0, 1.0)]),
];

/// Every kit the sampler plays. All samples are GPL, CC-BY(-SA) or CC0 per
/// their packages' copyright files; none is a reserved source.
pub static KITS: &[KitSpec] = &[
    KitSpec {
        name: "h2-black-pearl",
        family: Family::Acoustic,
        source: Source::Hydrogen("The Black Pearl 1.0"),
    },
    KitSpec {
        name: "h2-forzee",
        family: Family::Acoustic,
        source: Source::Hydrogen("ForzeeStereo"),
    },
    KitSpec {
        name: "h2-bja-pacific",
        family: Family::Acoustic,
        source: Source::Hydrogen("BJA_Pacific"),
    },
    KitSpec {
        name: "h2-colombo",
        family: Family::Acoustic,
        source: Source::Hydrogen("ColomboAcousticDrumkit"),
    },
    KitSpec {
        name: "h2-millo",
        family: Family::Acoustic,
        source: Source::Hydrogen("Millo-Drums_v.1"),
    },
    KitSpec {
        name: "h2-millo-ml2",
        family: Family::Acoustic,
        source: Source::Hydrogen("Millo_MultiLayered2"),
    },
    KitSpec {
        name: "h2-millo-ml3",
        family: Family::Acoustic,
        source: Source::Hydrogen("Millo_MultiLayered3"),
    },
    KitSpec {
        name: "h2-rumpf",
        family: Family::Acoustic,
        source: Source::Hydrogen("rumpf_kit_z01_h2"),
    },
    SP_DRUMS_KIT,
    KitSpec {
        name: "h2-varibreaks",
        family: Family::Break,
        source: Source::Hydrogen("VariBreaks"),
    },
    KitSpec {
        name: "h2-electric-empire",
        family: Family::Electronic,
        source: Source::Hydrogen("ElectricEmpireKit"),
    },
    KitSpec {
        name: "h2-hardelectro",
        family: Family::Electronic,
        source: Source::Hydrogen("HardElectro1"),
    },
    KitSpec {
        name: "h2-audiophob",
        family: Family::Electronic,
        source: Source::Hydrogen("Audiophob"),
    },
    KitSpec {
        name: "sp-electro",
        family: Family::Electronic,
        source: Source::SonicPi(SP_ELECTRO),
    },
];

/// Hand percussion that fills in for kits without it.
pub const PERCUSSION_KIT: KitSpec = KitSpec {
    name: "h2-gimme-a-hand",
    family: Family::Acoustic,
    source: Source::Hydrogen("Gimme A Hand 1.0"),
};

/// Sonic Pi's acoustic one-shots as a kit.
const SP_DRUMS_KIT: KitSpec = KitSpec {
    name: "sp-drums",
    family: Family::Acoustic,
    source: Source::SonicPi(SP_ACOUSTIC),
};

/// The kit that lends cymbals to kits without any.
pub const CYMBAL_KIT: &KitSpec = &SP_DRUMS_KIT;

/// Kits of one family.
pub fn kits_of(family: Family) -> Vec<&'static KitSpec> {
    KITS.iter().filter(|k| k.family == family).collect()
}

// ---------------------------------------------------------------------------
// drumkit.xml

/// An instrument as written in a `drumkit.xml`.
#[derive(Clone, Debug, PartialEq)]
pub struct XmlInstrument {
    pub name: String,
    pub volume: f64,
    pub pan: (f64, f64),
    pub mute_group: i32,
    /// (file, min velocity, max velocity, gain, pitch).
    pub layers: Vec<(String, f64, f64, f64, f64)>,
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Inner texts of every `<tag>…</tag>` (tags without attributes, not nested).
fn blocks<'a>(s: &'a str, tag: &str) -> Vec<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let Some(j) = after.find(&close) else { break };
        out.push(&after[..j]);
        rest = &after[j + close.len()..];
    }
    out
}

fn field(s: &str, tag: &str) -> Option<String> {
    blocks(s, tag).first().map(|t| unescape(t.trim()))
}

fn num(s: &str, tag: &str, default: f64) -> f64 {
    field(s, tag)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Parses the instruments of a Hydrogen `drumkit.xml` (old single-file and
/// newer layered formats, with or without a namespace).
pub fn parse_drumkit(xml: &str) -> Vec<XmlInstrument> {
    blocks(xml, "instrument")
        .into_iter()
        .filter_map(|inst| {
            let own_end = ["<layer>", "<instrumentComponent>"]
                .iter()
                .filter_map(|t| inst.find(t))
                .min()
                .unwrap_or(inst.len());
            let own = &inst[..own_end];
            let name = field(own, "name").unwrap_or_default();
            let mut layers: Vec<(String, f64, f64, f64, f64)> = blocks(inst, "layer")
                .into_iter()
                .filter_map(|l| {
                    let f = field(l, "filename")?;
                    Some((
                        f,
                        num(l, "min", 0.0),
                        num(l, "max", 1.0),
                        num(l, "gain", 1.0),
                        num(l, "pitch", 0.0),
                    ))
                })
                .collect();
            if layers.is_empty()
                && let Some(f) = field(own, "filename")
            {
                layers.push((f, 0.0, 1.0, 1.0, 0.0));
            }
            layers.retain(|l| !l.0.is_empty() && !l.0.contains("emptySample"));
            if layers.is_empty() {
                return None;
            }
            Some(XmlInstrument {
                name,
                volume: num(own, "volume", 1.0) * num(own, "gain", 1.0),
                pan: (num(own, "pan_L", 1.0), num(own, "pan_R", 1.0)),
                mute_group: num(own, "muteGroup", -1.0) as i32,
                layers,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------
// loading

fn sample_cache() -> &'static Mutex<HashMap<PathBuf, Arc<Sample>>> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Arc<Sample>>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Decodes any audio file sox reads into 44.1 kHz stereo floats (cached for
/// the whole run: kits are shared by many songs).
pub fn load_sample(path: &Path) -> Result<Arc<Sample>> {
    if let Some(s) = sample_cache().lock().expect("sample cache").get(path) {
        return Ok(s.clone());
    }
    let out = Command::new("sox")
        .arg("-V1")
        .arg(path)
        .args([
            "-t",
            "raw",
            "-e",
            "floating-point",
            "-b",
            "32",
            "-c",
            "2",
            "-r",
            "44100",
            "-",
        ])
        .output()
        .with_context(|| format!("running sox on {}", path.display()))?;
    if !out.status.success() {
        bail!(
            "sox could not decode {}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let frames: Vec<f32> = out
        .stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let (l, r): (Vec<f32>, Vec<f32>) = frames.chunks_exact(2).map(|c| (c[0], c[1])).unzip();
    let s = Arc::new(Sample { l, r });
    sample_cache()
        .lock()
        .expect("sample cache")
        .insert(path.to_path_buf(), s.clone());
    Ok(s)
}

fn kit_cache() -> &'static Mutex<HashMap<&'static str, Arc<Kit>>> {
    static CACHE: OnceLock<Mutex<HashMap<&'static str, Arc<Kit>>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Loads a kit (once per run).
pub fn load_kit(spec: &KitSpec) -> Result<Arc<Kit>> {
    if let Some(k) = kit_cache().lock().expect("kit cache").get(spec.name) {
        return Ok(k.clone());
    }
    let mut instruments = Vec::new();
    match spec.source {
        Source::Hydrogen(dir) => {
            let dir = Path::new(HYDROGEN_DIR).join(dir);
            let xml_path = dir.join("drumkit.xml");
            let xml = std::fs::read_to_string(&xml_path)
                .with_context(|| format!("reading {}", xml_path.display()))?;
            for xi in parse_drumkit(&xml) {
                let Some(category) = classify(&xi.name) else {
                    continue;
                };
                let mut layers = Vec::new();
                for (file, min, max, gain, pitch) in &xi.layers {
                    let p = dir.join(file);
                    if !p.is_file() {
                        continue;
                    }
                    layers.push(Layer {
                        min: *min,
                        max: *max,
                        gain: *gain,
                        pitch: *pitch,
                        sample: load_sample(&p)?,
                    });
                }
                if !layers.is_empty() {
                    instruments.push(Arc::new(Instrument {
                        category,
                        volume: xi.volume,
                        pan: xi.pan,
                        mute_group: xi.mute_group,
                        layers,
                    }));
                }
            }
        }
        Source::SonicPi(list) => {
            for (name, files) in list {
                let Some(category) = classify(name) else {
                    continue;
                };
                let mut layers = Vec::new();
                for (stem, min, max) in *files {
                    let p = Path::new(SONIC_PI_DIR).join(format!("{stem}.flac"));
                    layers.push(Layer {
                        min: *min,
                        max: *max,
                        gain: 1.0,
                        pitch: 0.0,
                        sample: load_sample(&p)?,
                    });
                }
                instruments.push(Arc::new(Instrument {
                    category,
                    volume: 1.0,
                    pan: (1.0, 1.0),
                    mute_group: -1,
                    layers,
                }));
            }
        }
    }
    if spec.name != PERCUSSION_KIT.name && !instruments.iter().any(|i| i.category == C::Kick) {
        bail!("kit {} has no kick drum", spec.name);
    }
    let kit = Arc::new(Kit {
        name: spec.name,
        instruments,
    });
    kit_cache()
        .lock()
        .expect("kit cache")
        .insert(spec.name, kit.clone());
    Ok(kit)
}

// ---------------------------------------------------------------------------
// note mapping

/// The instrument a GM note plays in one song, with its stand-in gain.
#[derive(Clone, Debug)]
pub struct Slot {
    /// Instrument.
    pub inst: Arc<Instrument>,
    /// Extra gain (below 1 for stand-ins such as a crash played as a ride).
    pub gain: f64,
}

/// A song's drum kit: which instrument each GM drum note plays.
#[derive(Clone, Debug)]
pub struct KitMap {
    /// Slots by GM key.
    pub slots: HashMap<u8, Slot>,
    /// Kit name (with overrides) for the manifest.
    pub name: String,
}

fn by_category(kit: &Kit, rng: &mut Rng) -> HashMap<Category, Vec<Arc<Instrument>>> {
    let mut m: HashMap<Category, Vec<Arc<Instrument>>> = HashMap::new();
    for i in &kit.instruments {
        m.entry(i.category).or_default().push(i.clone());
    }
    // the song's main kick, snare… is any of the kit's choices
    let mut keys: Vec<Category> = m.keys().copied().collect();
    keys.sort_by_key(|c| *c as u8);
    for k in keys {
        if let Some(v) = m.get_mut(&k) {
            rng.shuffle(v);
        }
    }
    m
}

fn cymbal(c: Category) -> bool {
    matches!(c, C::Crash | C::Ride | C::RideBell | C::China | C::Splash)
}

/// Maps every GM drum note to an instrument of `kit`, falling back on
/// related categories. `supplements` lend hand percussion the kit lacks, and
/// cymbals when it has none at all (kits cut from breakbeats). `kick`
/// replaces the kit's kicks (an 808 under an acoustic kit, say).
pub fn build_map(kit: &Kit, supplements: &[&Kit], kick: Option<&Kit>, rng: &mut Rng) -> KitMap {
    let mut main = by_category(kit, rng);
    let supp: Vec<HashMap<Category, Vec<Arc<Instrument>>>> =
        supplements.iter().map(|k| by_category(k, rng)).collect();
    if let Some(k) = kick {
        let kicks = by_category(k, rng).remove(&C::Kick).unwrap_or_default();
        if !kicks.is_empty() {
            main.insert(C::Kick, kicks);
        }
    }
    let has_cymbals = main.keys().any(|&c| cymbal(c));
    let lend = |c: Category| hand_percussion(c) || (cymbal(c) && !has_cymbals);
    let find = |cat: Category, alt: usize| -> Option<(Arc<Instrument>, f64)> {
        let pick = |m: &HashMap<Category, Vec<Arc<Instrument>>>, c: Category| {
            m.get(&c).map(|v| v[alt % v.len()].clone())
        };
        let lent = |c: Category| {
            if lend(c) {
                supp.iter().find_map(|m| pick(m, c))
            } else {
                None
            }
        };
        if let Some(i) = pick(&main, cat).or_else(|| lent(cat)) {
            return Some((i, 1.0));
        }
        for &(fc, g) in fallbacks(cat) {
            if let Some(i) = pick(&main, fc).or_else(|| lent(fc)) {
                return Some((i, g));
            }
        }
        None
    };
    let mut slots = HashMap::new();
    for key in 27u8..=87 {
        if let Some((cat, alt)) = gm_note(key)
            && let Some((inst, gain)) = find(cat, alt)
        {
            slots.insert(key, Slot { inst, gain });
        }
    }
    let mut name = kit.name.to_string();
    if let Some(k) = kick {
        name.push_str(&format!("+kick-{}", k.name));
    }
    KitMap { slots, name }
}

// ---------------------------------------------------------------------------
// sampler

/// Picks the layer for velocity `v` (0..1): one whose range holds it (any of
/// them at random when ranges overlap), else the nearest.
fn pick_layer<'a>(inst: &'a Instrument, v: f64, rng: &mut Rng) -> &'a Layer {
    let inside: Vec<&Layer> = inst
        .layers
        .iter()
        .filter(|l| v >= l.min - 1e-9 && v <= l.max + 1e-9)
        .collect();
    if !inside.is_empty() {
        return inside[rng.below(inside.len())];
    }
    inst.layers
        .iter()
        .min_by(|a, b| {
            let d = |l: &Layer| (l.min - v).abs().min((l.max - v).abs());
            d(a).total_cmp(&d(b))
        })
        .expect("instruments have layers")
}

fn choke_group(inst: &Instrument) -> Option<i32> {
    if inst.mute_group >= 0 {
        return Some(inst.mute_group);
    }
    matches!(inst.category, C::HatClosed | C::HatPedal | C::HatOpen).then_some(-100)
}

/// Renders drum hits `(seconds, GM key, velocity)` into a stereo buffer of
/// `len` samples at 44.1 kHz. Velocity picks the layer and scales the hit;
/// every hit gets a little random gain, and a hat closing chokes the open
/// one still ringing (as do Hydrogen mute groups).
pub fn render(hits: &[(f64, u8, u8)], map: &KitMap, len: usize, rng: &mut Rng) -> [Vec<f32>; 2] {
    let mut out = [vec![0.0f32; len], vec![0.0f32; len]];
    let flip = rng.chance(0.5); // drummer's or audience's perspective
    let playable: Vec<(usize, &Slot, u8)> = hits
        .iter()
        .filter(|h| h.0 >= 0.0)
        .filter_map(|&(t, k, v)| map.slots.get(&k).map(|s| ((t * SR).round() as usize, s, v)))
        .filter(|h| h.0 < len)
        .collect();
    for (i, &(start, slot, vel)) in playable.iter().enumerate() {
        let inst = &slot.inst;
        let v = f64::from(vel) / 127.0;
        let layer = pick_layer(inst, v, rng);
        let gain = v * layer.gain * inst.volume * slot.gain * db(rng.normal() * 0.8);
        let stop = choke_group(inst).and_then(|g| {
            playable[i + 1..]
                .iter()
                .find(|h| h.0 > start && choke_group(&h.1.inst) == Some(g))
                .map(|h| h.0)
        });
        let rate = 2f64.powf((layer.pitch + rng.normal() * 0.05) / 12.0);
        let (sl, sr) = if (rate - 1.0).abs() > 1e-3 {
            (
                resample_linear(&layer.sample.l, rate),
                resample_linear(&layer.sample.r, rate),
            )
        } else {
            (layer.sample.l.clone(), layer.sample.r.clone())
        };
        let (pl, pr) = if flip {
            (inst.pan.1, inst.pan.0)
        } else {
            inst.pan
        };
        let fade = 660usize; // 15 ms
        let n = sl.len().min(len - start);
        for k in 0..n {
            let mut g = gain;
            if let Some(s) = stop {
                let pos = start + k;
                if pos >= s + fade {
                    break;
                }
                if pos >= s {
                    g *= 1.0 - (pos - s) as f64 / fade as f64;
                }
            }
            out[0][start + k] += (f64::from(sl[k]) * g * pl) as f32;
            out[1][start + k] += (f64::from(sr[k]) * g * pr) as f32;
        }
    }
    out
}

// ---------------------------------------------------------------------------
// breakbeats

/// A Sonic Pi loop and how many beats it spans.
#[derive(Clone, Copy, Debug)]
pub struct LoopSpec {
    /// File stem under [`SONIC_PI_DIR`].
    pub file: &'static str,
    /// Beats in the loop.
    pub beats: f64,
}

/// The CC0 drum and percussion loops of `sonic-pi-samples`.
pub static LOOPS: &[LoopSpec] = &[
    LoopSpec {
        file: "loop_amen",
        beats: 4.0,
    },
    LoopSpec {
        file: "loop_amen_full",
        beats: 16.0,
    },
    LoopSpec {
        file: "loop_breakbeat",
        beats: 4.0,
    },
    LoopSpec {
        file: "loop_industrial",
        beats: 2.0,
    },
    LoopSpec {
        file: "loop_compus",
        beats: 16.0,
    },
    LoopSpec {
        file: "loop_safari",
        beats: 16.0,
    },
    LoopSpec {
        file: "loop_tabla",
        beats: 16.0,
    },
];

/// How a loop of `seconds` spanning `beats` fits a song at `tempo`: the beats
/// it covers (the loop may be heard at half or double its count) and the
/// playback rate, which like an old sampler changes speed and pitch together.
/// None when no fit is within a fifth up or down.
pub fn fit_loop(seconds: f64, beats: f64, tempo: f64) -> Option<(f64, f64)> {
    [1.0, 0.5, 2.0]
        .iter()
        .map(|m| {
            let b = beats * m;
            let target = b * 60.0 / tempo;
            (b, seconds / target)
        })
        .filter(|(_, rate)| (0.67..=1.5).contains(rate))
        .min_by(|a, b| (a.1.ln().abs()).total_cmp(&b.1.ln().abs()))
}

/// Renders `spec` looped on the song's beat grid for a stem that starts at
/// song time `start_s` and lasts `len` samples. Returns None when the loop
/// does not fit the tempo.
pub fn render_loop(
    spec: &LoopSpec,
    tempo: f64,
    start_s: f64,
    len: usize,
) -> Result<Option<[Vec<f32>; 2]>> {
    let s = load_sample(&Path::new(SONIC_PI_DIR).join(format!("{}.flac", spec.file)))?;
    let seconds = s.l.len() as f64 / SR;
    let Some((beats, rate)) = fit_loop(seconds, spec.beats, tempo) else {
        return Ok(None);
    };
    let l = resample_linear(&s.l, rate);
    let r = resample_linear(&s.r, rate);
    let period = beats * 60.0 / tempo;
    let mut out = [vec![0.0f32; len], vec![0.0f32; len]];
    let first = (start_s / period).floor() as i64;
    let mut k = first;
    loop {
        let t = k as f64 * period - start_s;
        let at = (t * SR).round() as i64;
        if at >= len as i64 {
            break;
        }
        for i in 0..l.len() {
            let pos = at + i as i64;
            if pos < 0 {
                continue;
            }
            if pos as usize >= len {
                break;
            }
            out[0][pos as usize] += l[i];
            out[1][pos as usize] += r[i];
        }
        k += 1;
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instrument_names_sort_into_categories() {
        let cases = [
            ("Pearl Kick", Some(C::Kick)),
            ("c3 - bass drum 1", Some(C::Kick)),
            ("BassDrum", Some(C::Kick)),
            ("VariBreaks Kick 2", Some(C::Kick)),
            ("Pearl Side Stick", Some(C::SideStick)),
            (
                "Rim Click (Pearl Free Floating Maple 14x3.5)",
                Some(C::SideStick),
            ),
            (
                "Snare Rimshot (Pearl Free Floating Maple 14x3.5)",
                Some(C::Rimshot),
            ),
            ("Snare Jazz", Some(C::Snare)),
            ("Snare1", Some(C::Snare)),
            ("Snare Roll", None),
            ("Hand Clap", Some(C::Clap)),
            ("Finger Snaps", Some(C::Snap)),
            ("Sabian Hat Closed", Some(C::HatClosed)),
            ("Closed HH 2", Some(C::HatClosed)),
            ("VariBreaks Hat 1 Pd", Some(C::HatPedal)),
            (
                "Hi-Hat Pedal (Paiste Alpha Metal edge 14\")",
                Some(C::HatPedal),
            ),
            ("VariBreaks Hat 1 Op", Some(C::HatOpen)),
            ("Hi Hat Opened", Some(C::HatOpen)),
            ("Sabian Hat Semi-Open", Some(C::HatOpen)),
            ("Sabian Hat Choke", None),
            ("Ride (Custom, Zagrebin 22\")", Some(C::Ride)),
            ("ride-cup", Some(C::RideBell)),
            ("Paiste Bell", Some(C::RideBell)),
            (
                "Crash/Ride Bell (Paiste Rude Crash/Ride 18\")",
                Some(C::RideBell),
            ),
            ("crash16inch", Some(C::Crash)),
            ("d#4 - cymbal 1", Some(C::Crash)),
            ("China (Paiste Alpha 18\")", Some(C::China)),
            ("Zildjian Splash", Some(C::Splash)),
            ("Pearl Tom Floor", Some(C::TomLow)),
            ("Pearl Tom 1", Some(C::TomHigh)),
            ("Pearl Tom 2", Some(C::TomMid)),
            ("Tom High (Tama Superstar 12\")", Some(C::TomHigh)),
            ("Tom Low (Tama Superstar 16\")", Some(C::TomLow)),
            ("c4 - middle tom", Some(C::TomMid)),
            ("tomhi3", Some(C::TomHigh)),
            ("Floor Tom", Some(C::TomLow)),
            ("Tom", Some(C::TomMid)),
            ("Bongo Lo", Some(C::CongaLow)),
            ("Conga 1", Some(C::CongaHigh)),
            ("Maraca", Some(C::Shaker)),
            ("Tambourine Pedal (Pearl PTM-10GH)", Some(C::Tambourine)),
            ("Woodblock Hi", Some(C::Woodblock)),
            ("Agogo Low (Pearl ECB-23)", Some(C::Agogo)),
            ("Sample: beats_01-10.flac", None),
            ("redo super opaco", None),
            ("17", None),
        ];
        for (name, want) in cases {
            assert_eq!(classify(name), want, "{name}");
        }
    }

    const XML: &str = r#"<?xml version="1.0"?>
<drumkit_info xmlns="http://www.hydrogen-music.org/drumkit">
 <name>Test Kit</name>
 <instrumentList>
  <instrument>
   <id>0</id>
   <name>Kick &amp; Co</name>
   <volume>0.8</volume>
   <pan_L>1</pan_L>
   <pan_R>0.5</pan_R>
   <muteGroup>-1</muteGroup>
   <layer><filename>k1.wav</filename><min>0</min><max>0.5</max><gain>1.5</gain><pitch>0</pitch></layer>
   <layer><filename>k2.wav</filename><min>0.5</min><max>1</max><gain>1</gain><pitch>-2</pitch></layer>
  </instrument>
  <instrument>
   <id>1</id>
   <filename>old.flac</filename>
   <name>Old Snare</name>
   <volume>1</volume>
   <muteGroup>2</muteGroup>
  </instrument>
  <instrument>
   <id>2</id>
   <name>17</name>
   <layer><filename>emptySample.flac</filename></layer>
  </instrument>
 </instrumentList>
</drumkit_info>"#;

    #[test]
    fn drumkit_xml_in_both_formats() {
        let inst = parse_drumkit(XML);
        assert_eq!(inst.len(), 2, "{inst:?}");
        assert_eq!(inst[0].name, "Kick & Co");
        assert_eq!(inst[0].volume, 0.8);
        assert_eq!(inst[0].pan, (1.0, 0.5));
        assert_eq!(
            inst[0].layers,
            vec![
                ("k1.wav".to_string(), 0.0, 0.5, 1.5, 0.0),
                ("k2.wav".to_string(), 0.5, 1.0, 1.0, -2.0)
            ]
        );
        assert_eq!(inst[1].name, "Old Snare");
        assert_eq!(inst[1].mute_group, 2);
        assert_eq!(
            inst[1].layers,
            vec![("old.flac".to_string(), 0.0, 1.0, 1.0, 0.0)]
        );
    }

    fn click(n: usize, amp: f32) -> Arc<Sample> {
        let mut l = vec![0.0; n];
        l[0] = amp;
        Arc::new(Sample { l: l.clone(), r: l })
    }

    fn inst(name: &str, layers: Vec<(f64, f64, Arc<Sample>)>) -> Arc<Instrument> {
        Arc::new(Instrument {
            category: classify(name).unwrap(),
            volume: 1.0,
            pan: (1.0, 1.0),
            mute_group: -1,
            layers: layers
                .into_iter()
                .map(|(min, max, sample)| Layer {
                    min,
                    max,
                    gain: 1.0,
                    pitch: 0.0,
                    sample,
                })
                .collect(),
        })
    }

    fn test_kit() -> Kit {
        Kit {
            name: "test",
            instruments: vec![
                inst(
                    "Kick",
                    vec![(0.0, 0.5, click(10, 0.25)), (0.5, 1.0, click(10, 1.0))],
                ),
                inst("Snare", vec![(0.0, 1.0, click(10, 0.5))]),
                inst("Closed HH", vec![(0.0, 1.0, click(10, 0.3))]),
                inst(
                    "Open HH",
                    vec![(
                        0.0,
                        1.0,
                        Arc::new(Sample {
                            l: vec![0.2; 44_100],
                            r: vec![0.2; 44_100],
                        }),
                    )],
                ),
                inst("Crash", vec![(0.0, 1.0, click(10, 0.7))]),
                inst("Tom Hi", vec![(0.0, 1.0, click(10, 0.6))]),
            ],
        }
    }

    #[test]
    fn gm_notes_map_with_fallbacks() {
        let kit = test_kit();
        let perc = Kit {
            name: "perc",
            instruments: vec![inst("Tambourine", vec![(0.0, 1.0, click(10, 0.1))])],
        };
        let map = build_map(&kit, &[&perc], None, &mut Rng::new(1));
        let cat = |k: u8| map.slots.get(&k).map(|s| s.inst.category);
        assert_eq!(cat(36), Some(C::Kick));
        assert_eq!(cat(35), Some(C::Kick));
        assert_eq!(cat(38), Some(C::Snare));
        assert_eq!(cat(42), Some(C::HatClosed));
        assert_eq!(
            cat(44),
            Some(C::HatClosed),
            "pedal hat falls back on the closed hat"
        );
        assert_eq!(cat(51), Some(C::Crash), "no ride: the crash plays it");
        assert!(map.slots[&51].gain < 1.0);
        assert_eq!(cat(41), Some(C::TomHigh), "the only tom plays every tom");
        assert_eq!(
            cat(54),
            Some(C::Tambourine),
            "hand percussion from the other kit"
        );
        assert_eq!(cat(70), Some(C::Tambourine));
        assert_eq!(cat(56), None, "no cowbell anywhere");
        assert_eq!(cat(39), Some(C::Snare), "clap falls back on the snare");
        // a kit without cymbals borrows them; one with cymbals does not
        let bare = Kit {
            name: "bare",
            instruments: vec![inst("Kick", vec![(0.0, 1.0, click(10, 1.0))])],
        };
        let cym = Kit {
            name: "cym",
            instruments: vec![
                inst("Crash", vec![(0.0, 1.0, click(10, 0.5))]),
                inst("Ride", vec![(0.0, 1.0, click(10, 0.5))]),
            ],
        };
        let m = build_map(&bare, &[&cym], None, &mut Rng::new(1));
        assert_eq!(m.slots.get(&49).map(|s| s.inst.category), Some(C::Crash));
        assert_eq!(m.slots.get(&51).map(|s| s.inst.category), Some(C::Ride));
        let m = build_map(&kit, &[&cym], None, &mut Rng::new(1));
        assert_eq!(m.slots.get(&51).map(|s| s.inst.category), Some(C::Crash));
    }

    #[test]
    fn sampler_places_hits_by_velocity_and_chokes_the_open_hat() {
        let kit = test_kit();
        let map = build_map(&kit, &[], None, &mut Rng::new(2));
        let hits = [
            (0.0, 36, 127),
            (0.5, 36, 40),
            (1.0, 46, 127),
            (1.25, 42, 127),
        ];
        let len = 88_200;
        let out = render(&hits, &map, len, &mut Rng::new(3));
        let at = |t: f64| out[0][(t * SR).round() as usize];
        // loud kick uses the loud layer, soft kick the soft one (and is scaled)
        assert!((at(0.0) - 1.0).abs() < 0.15, "{}", at(0.0));
        let soft = at(0.5);
        assert!(soft > 0.0 && soft < 0.25 * 40.0 / 127.0 * 1.2, "{soft}");
        // open hat rings until the closed hat, then is cut within 15 ms
        assert!(at(1.1) > 0.1);
        let cut = (1.25 * SR) as usize + 700;
        assert!(out[0][cut..cut + 1000].iter().all(|v| v.abs() < 1e-6));
        assert_eq!(out[0].len(), len);
    }

    #[test]
    fn loops_fit_the_tempo_by_halving_or_doubling() {
        // a 1-bar amen (136.9 BPM) at 90 BPM is played as 2 beats, faster
        let (beats, rate) = fit_loop(1.7533, 4.0, 90.0).unwrap();
        assert_eq!(beats, 2.0);
        assert!((rate - 1.315).abs() < 0.01);
        let (beats, rate) = fit_loop(1.7533, 4.0, 140.0).unwrap();
        assert_eq!(beats, 4.0);
        assert!((rate - 1.0226).abs() < 0.01);
        assert!(fit_loop(10.0, 1.0, 200.0).is_none());
    }

    /// Needs `hydrogen-drumkits` and `sonic-pi-samples`: every kit loads, and
    /// every acoustic kit plays the basic notes from its own instruments.
    #[test]
    fn installed_kits_cover_the_basic_notes() {
        if !Path::new(HYDROGEN_DIR).is_dir() || !Path::new(SONIC_PI_DIR).is_dir() {
            eprintln!("skipped: drum kits are not installed");
            return;
        }
        let perc = load_kit(&PERCUSSION_KIT).unwrap();
        let cymbals = load_kit(CYMBAL_KIT).unwrap();
        for spec in KITS {
            let kit = load_kit(spec).unwrap_or_else(|e| panic!("{}: {e:#}", spec.name));
            let map = build_map(&kit, &[&perc, &cymbals], None, &mut Rng::new(5));
            for key in [36u8, 38, 42, 46, 49] {
                assert!(
                    map.slots.contains_key(&key),
                    "{} lacks note {key}",
                    spec.name
                );
            }
            if spec.family == Family::Acoustic {
                for key in [51u8, 45, 44] {
                    assert!(
                        map.slots.contains_key(&key),
                        "{} lacks note {key}",
                        spec.name
                    );
                }
            }
            for i in &kit.instruments {
                for l in &i.layers {
                    assert!(
                        !l.sample.l.is_empty(),
                        "{}: a {:?} is empty",
                        spec.name,
                        i.category
                    );
                }
            }
        }
    }
}
