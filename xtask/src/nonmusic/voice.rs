//! Speech kinds: espeak-ng (many voices, languages, speeds and pitches) and
//! festival (the HTS voice cmu_us_slt_arctic_hts), laid out as monologues,
//! dialogues and crowds, through room, telephone, lecture-hall and radio
//! treatments.
//!
//! Text is generated: English from a small grammar, other languages as
//! pseudo-words from each language's syllable inventory in its own script,
//! which espeak-ng reads with that language's phonology and prosody. That
//! gives the sound of the language without needing texts in it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::dsp::{
    Colour, Filter, SR_F, add_at_time, compress, db, filter, loop_fill, mix_into, mu_law_8bit,
    noise, reverb, rms, secs, set_rms, trim_quiet,
};
use super::kinds::Generated;
use super::noises::room_bed;
use super::sfx::{self, Library};
use crate::corpus::rng::Rng;

/// How a language's words are spelled.
#[derive(Debug)]
enum Script {
    /// Sentences from the English grammar.
    English,
    /// Syllables: onset + nucleus (+ coda with probability `coda_p`).
    Syllables {
        onsets: &'static [&'static str],
        nuclei: &'static [&'static str],
        codas: &'static [&'static str],
        coda_p: f64,
        join: &'static str,
    },
    /// Korean Hangul syllable blocks, composed from jamo indices.
    Hangul,
}

/// A language: espeak-ng voice name and script.
#[derive(Debug)]
struct Lang {
    code: &'static str,
    script: Script,
}

const fn syl(
    code: &'static str,
    onsets: &'static [&'static str],
    nuclei: &'static [&'static str],
    codas: &'static [&'static str],
    coda_p: f64,
) -> Lang {
    Lang {
        code,
        script: Script::Syllables {
            onsets,
            nuclei,
            codas,
            coda_p,
            join: "",
        },
    }
}

/// English accents of espeak-ng.
const ENGLISH: [&str; 8] = [
    "en-us",
    "en-gb",
    "en-gb-scotland",
    "en-gb-x-rp",
    "en-029",
    "en-us-nyc",
    "en-gb-x-gbclan",
    "en-gb-x-gbcwmd",
];

/// European languages used for training.
const EUROPEAN: [Lang; 12] = [
    syl(
        "de",
        &[
            "b", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "w", "z", "sch", "st",
            "sp", "kr", "br", "gr", "fr", "pf", "tr", "",
        ],
        &[
            "a", "e", "i", "o", "u", "ei", "au", "ie", "ä", "ö", "ü", "eu",
        ],
        &["n", "r", "l", "t", "s", "ch", "ng", "st", "nd", "cht", "m"],
        0.5,
    ),
    syl(
        "fr-fr",
        &[
            "b", "d", "f", "g", "l", "m", "n", "p", "r", "s", "t", "v", "ch", "gr", "pl", "tr",
            "qu", "j", "",
        ],
        &[
            "a", "e", "i", "o", "ou", "an", "on", "ai", "eau", "é", "è", "u", "oi", "in",
        ],
        &["r", "l", "s", "t", "x"],
        0.25,
    ),
    syl(
        "es",
        &[
            "b", "c", "d", "f", "g", "j", "l", "ll", "m", "n", "ñ", "p", "r", "s", "t", "v", "z",
            "ch", "tr", "pr", "bl", "",
        ],
        &["a", "e", "i", "o", "u", "ue", "ie", "ia"],
        &["n", "s", "r", "l", "z", "d"],
        0.3,
    ),
    syl(
        "it",
        &[
            "b", "c", "d", "f", "g", "l", "m", "n", "p", "r", "s", "t", "v", "z", "gl", "gn", "sc",
            "st", "tr", "pr", "tt", "ll", "ss",
        ],
        &["a", "e", "i", "o", "u", "io", "ia", "uo"],
        &["n", "r", "l"],
        0.15,
    ),
    syl(
        "pt",
        &[
            "b", "c", "d", "f", "g", "j", "l", "lh", "m", "n", "nh", "p", "r", "s", "t", "v", "x",
            "ch", "tr", "",
        ],
        &["a", "e", "i", "o", "u", "ão", "õe", "ei", "ou", "ã"],
        &["s", "r", "l", "m"],
        0.3,
    ),
    syl(
        "nl",
        &[
            "b", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "sch",
            "st", "kr", "gr", "",
        ],
        &[
            "a", "e", "i", "o", "u", "aa", "ee", "oo", "ui", "ij", "ou", "ie", "oe",
        ],
        &["n", "r", "l", "t", "k", "s", "ng", "cht"],
        0.5,
    ),
    syl(
        "pl",
        &[
            "b", "c", "d", "g", "k", "l", "ł", "m", "n", "p", "r", "s", "t", "w", "z", "sz", "cz",
            "rz", "prz", "ch", "dz", "ś", "ż", "st",
        ],
        &["a", "e", "i", "o", "u", "y", "ą", "ę", "ó", "ie"],
        &["ć", "ś", "k", "m", "n", "ł", "j", "sz"],
        0.35,
    ),
    syl(
        "sv",
        &[
            "b", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "sj", "tj",
            "sk", "kv", "st", "fr",
        ],
        &["a", "e", "i", "o", "u", "y", "å", "ä", "ö"],
        &["n", "r", "l", "t", "k", "s", "ng", "st", "rt"],
        0.45,
    ),
    syl(
        "cs",
        &[
            "b", "d", "h", "ch", "k", "l", "m", "n", "p", "r", "ř", "s", "š", "t", "v", "z", "ž",
            "č", "st", "pr", "kr",
        ],
        &["a", "e", "i", "o", "u", "y", "á", "é", "í", "ů", "ě"],
        &["k", "m", "n", "l", "t", "š", "ch"],
        0.35,
    ),
    syl(
        "ru",
        &[
            "б", "в", "г", "д", "ж", "з", "к", "л", "м", "н", "п", "р", "с", "т", "ф", "х", "ц",
            "ч", "ш", "щ", "пр", "ст", "тр", "кр", "зд",
        ],
        &["а", "е", "и", "о", "у", "ы", "я", "ю", "э"],
        &["н", "т", "й", "л", "м", "в", "с", "к"],
        0.35,
    ),
    syl(
        "fi",
        &["h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", ""],
        &[
            "a", "e", "i", "o", "u", "y", "ä", "ö", "aa", "ii", "uu", "ai", "ei", "uo", "ie",
        ],
        &["n", "s", "t", "l", "kk", "tt", "ss"],
        0.3,
    ),
    syl(
        "hu",
        &[
            "b", "d", "f", "g", "gy", "h", "j", "k", "l", "m", "n", "ny", "p", "r", "s", "sz", "t",
            "ty", "v", "z", "zs", "cs",
        ],
        &["a", "á", "e", "é", "i", "o", "ó", "ö", "ő", "u", "ü"],
        &["k", "t", "n", "l", "r", "s", "sz", "gy"],
        0.4,
    ),
];

/// Held out: languages of other families and scripts.
const WORLD: [Lang; 10] = [
    syl(
        "hi",
        &[
            "क", "ख", "ग", "घ", "च", "ज", "ट", "ड", "त", "थ", "द", "ध", "न", "प", "फ", "ब", "भ",
            "म", "य", "र", "ल", "व", "श", "स", "ह",
        ],
        &["", "ा", "ि", "ी", "ु", "ू", "े", "ै", "ो", "ौ"],
        &["ं", "न्", "र्", "स्"],
        0.2,
    ),
    syl(
        "ta",
        &[
            "க", "ங", "ச", "ஞ", "ட", "ண", "த", "ந", "ப", "ம", "ய", "ர", "ல", "வ", "ழ", "ள", "ற",
            "ன",
        ],
        &["", "ா", "ி", "ீ", "ு", "ூ", "ெ", "ே", "ை", "ொ", "ோ"],
        &["ன்", "ம்", "ல்", "ள்", "ர்"],
        0.3,
    ),
    syl(
        "ar",
        &[
            "ب", "ت", "ث", "ج", "ح", "خ", "د", "ذ", "ر", "ز", "س", "ش", "ص", "ض", "ط", "ع", "غ",
            "ف", "ق", "ك", "ل", "م", "ن", "ه", "و", "ي",
        ],
        &["", "ا", "و", "ي"],
        &["ب", "ت", "د", "ر", "ل", "م", "ن", "س"],
        0.5,
    ),
    syl(
        "ja",
        &[
            "か", "き", "く", "け", "こ", "さ", "し", "す", "せ", "そ", "た", "ち", "つ", "て",
            "と", "な", "に", "ぬ", "ね", "の", "は", "ひ", "ふ", "へ", "ほ", "ま", "み", "む",
            "め", "も", "や", "ゆ", "よ", "ら", "り", "る", "れ", "ろ", "わ", "が", "ぎ", "ぐ",
            "げ", "ご", "あ", "い", "う", "え", "お",
        ],
        &[""],
        &["ん", "っ"],
        0.15,
    ),
    Lang {
        code: "ko",
        script: Script::Hangul,
    },
    Lang {
        code: "cmn-latn-pinyin",
        script: Script::Syllables {
            onsets: &[
                "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x", "zh", "ch",
                "sh", "r", "z", "c", "s", "y", "w",
            ],
            nuclei: &[
                "a", "o", "e", "ai", "ei", "ao", "ou", "an", "en", "ang", "eng", "ong", "i", "u",
                "ia", "ie", "iao", "ian", "in", "iang", "ing", "ua", "uo", "uan", "un",
            ],
            codas: &["1", "2", "3", "4", "5"],
            coda_p: 1.0,
            join: "",
        },
    },
    syl(
        "vi",
        &[
            "b", "c", "ch", "d", "đ", "g", "h", "kh", "l", "m", "n", "ng", "nh", "ph", "qu", "r",
            "s", "t", "th", "tr", "v", "x",
        ],
        &[
            "a", "á", "à", "ả", "ã", "ạ", "ă", "â", "ê", "ế", "ề", "i", "í", "o", "ó", "ô", "ố",
            "ơ", "ờ", "u", "ú", "ư", "ữ", "y",
        ],
        &["n", "ng", "c", "t", "m", "p", "nh", "ch"],
        0.5,
    ),
    syl(
        "tr",
        &[
            "b", "c", "ç", "d", "g", "ğ", "h", "k", "l", "m", "n", "p", "r", "s", "ş", "t", "v",
            "y", "z",
        ],
        &["a", "e", "ı", "i", "o", "ö", "u", "ü"],
        &["n", "r", "l", "k", "m", "t", "ş"],
        0.4,
    ),
    syl(
        "sw",
        &[
            "m", "n", "k", "t", "w", "j", "ch", "sh", "ng'", "mb", "nd", "b", "l", "s", "h", "z",
            "p", "ny",
        ],
        &["a", "e", "i", "o", "u"],
        &[""],
        0.0,
    ),
    syl(
        "id",
        &[
            "b", "d", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "w", "y", "ng", "ny",
            "",
        ],
        &["a", "e", "i", "o", "u", "ai", "au"],
        &["n", "ng", "k", "t", "r", "h", "s", "l"],
        0.4,
    ),
];

/// espeak-ng voice variants: human-sounding ones, male and female.
const VARIANTS: [&str; 36] = [
    "",
    "m1",
    "m2",
    "m3",
    "m4",
    "m5",
    "m6",
    "m7",
    "m8",
    "f1",
    "f2",
    "f3",
    "f4",
    "f5",
    "Alex",
    "Alicia",
    "Andrea",
    "Andy",
    "Annie",
    "anika",
    "announcer",
    "aunty",
    "belinda",
    "benjamin",
    "boris",
    "david",
    "edward",
    "grandma",
    "grandpa",
    "linda",
    "max",
    "michel",
    "paul",
    "quincy",
    "steph",
    "whisper",
];

/// The English grammar's vocabulary.
mod words {
    pub const SUBJ: [&str; 20] = [
        "the committee",
        "my neighbour",
        "our team",
        "the new system",
        "she",
        "he",
        "we",
        "they",
        "the driver",
        "this report",
        "everyone",
        "the city council",
        "a friend of mine",
        "the kids",
        "the manager",
        "the doctor",
        "the old man next door",
        "my sister",
        "the museum",
        "nobody",
    ];
    pub const VERBS: [(&str, &str); 20] = [
        ("find", "found"),
        ("move", "moved"),
        ("check", "checked"),
        ("open", "opened"),
        ("finish", "finished"),
        ("change", "changed"),
        ("buy", "bought"),
        ("explain", "explained"),
        ("forget", "forgot"),
        ("repair", "repaired"),
        ("visit", "visited"),
        ("cancel", "cancelled"),
        ("deliver", "delivered"),
        ("approve", "approved"),
        ("measure", "measured"),
        ("paint", "painted"),
        ("sell", "sold"),
        ("clean", "cleaned"),
        ("lose", "lost"),
        ("write", "wrote"),
    ];
    pub const OBJ: [&str; 22] = [
        "the old bridge",
        "a small problem",
        "the second floor",
        "the results",
        "two tickets",
        "the garden",
        "the schedule",
        "the front door",
        "a better plan",
        "the budget",
        "the north entrance",
        "the train station",
        "the last chapter",
        "the recipe",
        "the software",
        "the parking lot",
        "the application form",
        "a new car",
        "the kitchen window",
        "the weather forecast",
        "the library",
        "the invoice",
    ];
    pub const TIME: [&str; 14] = [
        "yesterday",
        "last week",
        "this morning",
        "on Thursday",
        "after lunch",
        "in March",
        "before the meeting",
        "around six o'clock",
        "twice a year",
        "every evening",
        "next Monday",
        "at the weekend",
        "in the afternoon",
        "right now",
    ];
    pub const INTERJ: [&str; 10] = [
        "Well",
        "So",
        "Okay",
        "Actually",
        "Honestly",
        "You know",
        "Anyway",
        "Look",
        "Right",
        "Of course",
    ];
    pub const NOUNS: [&str; 10] = [
        "people",
        "boxes",
        "chairs",
        "cars",
        "students",
        "trees",
        "houses",
        "messages",
        "questions",
        "emails",
    ];
    pub const BACKCHANNEL: [&str; 10] = [
        "Yeah.", "Mm hm.", "Right.", "Okay.", "I see.", "Really?", "Sure.", "Oh.", "No way.",
        "Exactly.",
    ];
}

fn cap(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// One English sentence from the grammar.
fn english_sentence(rng: &mut Rng) -> String {
    use words::*;
    let s = *rng.pick(&SUBJ);
    let s2 = *rng.pick(&SUBJ);
    let (vb, vp) = *rng.pick(&VERBS);
    let (vb2, vp2) = *rng.pick(&VERBS);
    let o = *rng.pick(&OBJ);
    let o2 = *rng.pick(&OBJ);
    let t = *rng.pick(&TIME);
    match rng.below(9) {
        0 => format!("{} {vp} {o} {t}.", cap(s)),
        1 => format!("I think {s} {vp} {o}, but {s2} {vp2} {o2}."),
        2 => format!("Did {s} really {vb} {o}?"),
        3 => format!("Please {vb} {o} {t}."),
        4 => format!(
            "{}, {s} {vp} {o} because {s2} {vp2} {o2}.",
            rng.pick(&INTERJ)
        ),
        5 => format!(
            "There are {} {} near {o}.",
            rng.int(2, 90),
            rng.pick(&NOUNS)
        ),
        6 => format!("The price went up to {} dollars {t}.", rng.int(3, 2500)),
        7 => format!(
            "{} will {vb} {o} {t}, and then we can talk about {o2}.",
            cap(s)
        ),
        _ => format!("Why did {s} {vb2} {o2} {t}?"),
    }
}

/// One pseudo-sentence in `lang`'s script.
fn pseudo_sentence(rng: &mut Rng, lang: &Lang) -> String {
    let words = rng.int(4, 13);
    let mut out = String::new();
    for w in 0..words {
        let syllables = *rng.weighted(&[(1, 0.3), (2, 0.4), (3, 0.2), (4, 0.1)]);
        let mut word = String::new();
        for _ in 0..syllables {
            match &lang.script {
                Script::Syllables {
                    onsets,
                    nuclei,
                    codas,
                    coda_p,
                    join,
                } => {
                    let part: &&str = rng.pick(onsets);
                    word.push_str(part);
                    let part: &&str = rng.pick(nuclei);
                    word.push_str(part);
                    if rng.chance(*coda_p) {
                        let part: &&str = rng.pick(codas);
                        word.push_str(part);
                    }
                    word.push_str(join);
                }
                Script::Hangul => {
                    let (l, v) = (rng.below(19) as u32, rng.below(21) as u32);
                    let t = if rng.chance(0.35) {
                        1 + rng.below(27) as u32
                    } else {
                        0
                    };
                    word.push(char::from_u32(0xAC00 + (l * 21 + v) * 28 + t).unwrap_or('가'));
                }
                Script::English => word.push_str("la"),
            }
        }
        out.push_str(&word);
        if w + 1 < words {
            out.push_str(if rng.chance(0.12) { ", " } else { " " });
        }
    }
    out.push(if rng.chance(0.15) { '?' } else { '.' });
    out
}

/// Which languages a speech kind may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LangSet {
    /// English (espeak-ng accents and festival) and European languages.
    Trained,
    /// The held-out world languages.
    World,
}

/// A synthetic speaker.
#[derive(Clone, Debug)]
pub struct Speaker {
    lang: &'static Lang,
    /// espeak-ng voice name (language+variant), or `None` for festival.
    espeak: Option<String>,
    speed_wpm: i64,
    pitch: i64,
    /// festival: sox tempo factor and pitch shift in cents.
    tempo: f64,
    cents: f64,
}

static ENGLISH_LANG: Lang = Lang {
    code: "en",
    script: Script::English,
};

impl Speaker {
    /// A random speaker of `set`; `speed` scales the speaking rate.
    pub fn random(set: LangSet, speed: f64, rng: &mut Rng) -> Speaker {
        let (lang, code): (&'static Lang, String) = match set {
            LangSet::Trained if rng.chance(0.5) => (&ENGLISH_LANG, rng.pick(&ENGLISH).to_string()),
            LangSet::Trained => {
                let l = rng.pick(&EUROPEAN);
                (l, l.code.to_string())
            }
            LangSet::World => {
                let l = rng.pick(&WORLD);
                (l, l.code.to_string())
            }
        };
        let festival = lang.code == "en" && rng.chance(0.35);
        let variant = *rng.pick(&VARIANTS);
        let espeak = (!festival).then(|| {
            if variant.is_empty() {
                code.clone()
            } else {
                format!("{code}+{variant}")
            }
        });
        Speaker {
            lang,
            espeak,
            speed_wpm: (rng.range(130.0, 200.0) * speed).round() as i64,
            pitch: rng.int(20, 80),
            tempo: rng.range(0.85, 1.2) * speed,
            cents: rng.range(-500.0, 150.0),
        }
    }

    /// Another speaker of the same language: another engine or variant,
    /// pitch and pace.
    pub fn partner(&self, rng: &mut Rng) -> Speaker {
        let code = match &self.espeak {
            Some(v) => v.split('+').next().unwrap_or(v).to_string(),
            None => rng.pick(&ENGLISH).to_string(),
        };
        let festival = self.lang.code == "en" && self.espeak.is_some() && rng.chance(0.35);
        let variant = *rng.pick(&VARIANTS);
        Speaker {
            lang: self.lang,
            espeak: (!festival).then(|| {
                if variant.is_empty() {
                    code
                } else {
                    format!("{code}+{variant}")
                }
            }),
            speed_wpm: (self.speed_wpm as f64 * rng.range(0.85, 1.15)).round() as i64,
            pitch: rng.int(20, 80),
            tempo: self.tempo * rng.range(0.9, 1.1),
            cents: rng.range(-500.0, 150.0),
        }
    }

    /// The same speaker on espeak-ng if it was festival (an English accent
    /// of espeak-ng with a random variant).
    pub fn into_espeak(mut self, rng: &mut Rng) -> Speaker {
        if self.espeak.is_none() {
            self.espeak = Some(format!(
                "{}+{}",
                rng.pick(&ENGLISH),
                rng.pick(&VARIANTS[1..])
            ));
        }
        self
    }

    /// For the manifest: engine and voice.
    pub fn name(&self) -> String {
        match &self.espeak {
            Some(v) => format!("espeak:{v}@{}", self.speed_wpm),
            None => format!("festival:slt{:+.0}c", self.cents),
        }
    }

    /// A sentence in the speaker's language.
    pub fn sentence(&self, rng: &mut Rng) -> String {
        match self.lang.script {
            Script::English => english_sentence(rng),
            _ => pseudo_sentence(rng, self.lang),
        }
    }

    /// A short back-channel ("yeah", "mm hm") in the speaker's language.
    pub fn backchannel(&self, rng: &mut Rng) -> String {
        match self.lang.script {
            Script::English => rng.pick(&words::BACKCHANNEL).to_string(),
            _ => {
                let s = pseudo_sentence(rng, self.lang);
                s.split([' ', ',']).next().unwrap_or("").to_string() + "."
            }
        }
    }

    /// Renders each text to 22 050 Hz mono with quiet ends trimmed.
    pub fn say(&self, texts: &[String], work: &Path, tag: &str) -> Result<Vec<Vec<f32>>> {
        std::fs::create_dir_all(work)?;
        let mut out = Vec::with_capacity(texts.len());
        match &self.espeak {
            Some(voice) => {
                let wav = work.join(format!("espeak-{tag}.wav"));
                for text in texts {
                    let o = Command::new("espeak-ng")
                        .args(["-v", voice, "-s", &self.speed_wpm.to_string()])
                        .args(["-p", &self.pitch.to_string(), "-a", "150", "-w"])
                        .arg(&wav)
                        .arg(text)
                        .output()
                        .context("running espeak-ng")?;
                    if !o.status.success() {
                        bail!(
                            "espeak-ng -v {voice} failed: {}",
                            String::from_utf8_lossy(&o.stderr).trim()
                        );
                    }
                    let x = sfx::decode(&wav, &[])?;
                    out.push(trim_quiet(&x, 0.01).to_vec());
                }
            }
            None => {
                let paths: Vec<PathBuf> = (0..texts.len())
                    .map(|i| work.join(format!("festival-{tag}-{i}.wav")))
                    .collect();
                let mut scm = String::from("(voice_cmu_us_slt_arctic_hts)\n");
                for (t, p) in texts.iter().zip(&paths) {
                    let clean: String = t.chars().filter(|c| *c != '"' && *c != '\\').collect();
                    scm.push_str(&format!(
                        "(utt.save.wave (utt.synth (Utterance Text \"{clean}\")) \"{}\" 'riff)\n",
                        p.display()
                    ));
                }
                let script = work.join(format!("festival-{tag}.scm"));
                std::fs::write(&script, scm)?;
                let o = Command::new("festival")
                    .arg("-b")
                    .arg(&script)
                    .output()
                    .context("running festival")?;
                if !o.status.success() {
                    bail!(
                        "festival failed: {}",
                        String::from_utf8_lossy(&o.stderr).trim()
                    );
                }
                let fx = vec![
                    "tempo".to_string(),
                    "-s".to_string(),
                    format!("{:.3}", self.tempo),
                    "pitch".to_string(),
                    format!("{:.0}", self.cents),
                ];
                for p in &paths {
                    let x = sfx::decode(p, &fx)?;
                    out.push(trim_quiet(&x, 0.01).to_vec());
                }
            }
        }
        Ok(out)
    }
}

/// Utterances of 1–3 sentences, rendered in batches until `seconds` of
/// speech exist (or a cap is hit).
fn utterances(
    sp: &Speaker,
    rng: &mut Rng,
    seconds: f64,
    work: &Path,
    tag: &str,
) -> Result<Vec<Vec<f32>>> {
    let mut out: Vec<Vec<f32>> = Vec::new();
    let mut total = 0.0;
    for batch in 0..6 {
        let texts: Vec<String> = (0..8)
            .map(|_| {
                (0..rng.int(1, 3))
                    .map(|_| sp.sentence(rng))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        for u in sp.say(&texts, work, &format!("{tag}{batch}"))? {
            total += u.len() as f64 / SR_F;
            if !u.is_empty() {
                out.push(u);
            }
        }
        if total >= seconds {
            break;
        }
    }
    if out.is_empty() {
        bail!("{} produced no speech", sp.name());
    }
    Ok(out)
}

/// One speaker reading, with pauses; `pause` scales them (lectures pause more).
fn monologue(sp: &Speaker, rng: &mut Rng, n: usize, work: &Path, pause: f64) -> Result<Vec<f32>> {
    let utts = utterances(sp, rng, n as f64 / SR_F * 0.9, work, "m")?;
    let mut x = vec![0.0f32; n];
    // Start inside the talk as often as at its beginning.
    let mut t = if rng.chance(0.5) {
        -rng.range(0.0, 3.0)
    } else {
        rng.range(0.0, 1.0)
    };
    let mut k = 0;
    while t < n as f64 / SR_F {
        let u = &utts[k % utts.len()];
        add_at_time(&mut x, u, t, 1.0);
        t += u.len() as f64 / SR_F;
        t += pause
            * if rng.chance(0.15) {
                rng.range(0.9, 2.5)
            } else {
                rng.range(0.15, 0.8)
            };
        k += 1;
    }
    Ok(x)
}

/// Two speakers taking turns, with overlaps and back-channels.
fn dialogue(a: &Speaker, b: &Speaker, rng: &mut Rng, n: usize, work: &Path) -> Result<Vec<f32>> {
    let half = n as f64 / SR_F * 0.55;
    let ua = utterances(a, rng, half, work, "a")?;
    let ub = utterances(b, rng, half, work, "b")?;
    let bc_a = a.say(
        &(0..3).map(|_| a.backchannel(rng)).collect::<Vec<_>>(),
        work,
        "bca",
    )?;
    let bc_b = b.say(
        &(0..3).map(|_| b.backchannel(rng)).collect::<Vec<_>>(),
        work,
        "bcb",
    )?;
    let gain_b = db(rng.range(-5.0, 3.0));
    let mut x = vec![0.0f32; n];
    let mut t = -rng.range(0.0, 2.0);
    let (mut ia, mut ib) = (0, 0);
    let mut turn_a = rng.chance(0.5);
    while t < n as f64 / SR_F {
        let (u, g, listener_bc) = if turn_a {
            ia += 1;
            (&ua[(ia - 1) % ua.len()], 1.0, &bc_b)
        } else {
            ib += 1;
            (&ub[(ib - 1) % ub.len()], gain_b, &bc_a)
        };
        add_at_time(&mut x, u, t, g);
        let len = u.len() as f64 / SR_F;
        if len > 2.0 && rng.chance(0.3) && !listener_bc.is_empty() {
            let bc = &listener_bc[rng.below(listener_bc.len())];
            add_at_time(
                &mut x,
                bc,
                t + rng.range(0.8, len - 0.5),
                if turn_a { gain_b } else { 1.0 } * 0.7,
            );
        }
        // Gaps between turns, sometimes overlapping.
        t += len + rng.range(-0.4, 0.9);
        turn_a = !turn_a;
    }
    Ok(x)
}

/// How the speech reaches the listener.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Treatment {
    /// Close microphone, quiet room.
    Plain,
    /// Far from the microphone, in a room with noise.
    Room,
    /// Over a telephone line.
    Phone,
    /// In a lecture hall.
    Lecture,
    /// An announcer on the radio.
    Radio,
}

impl Treatment {
    fn name(self) -> &'static str {
        match self {
            Treatment::Plain => "plain",
            Treatment::Room => "room",
            Treatment::Phone => "phone",
            Treatment::Lecture => "lecture",
            Treatment::Radio => "radio",
        }
    }
}

/// Applies a treatment to dry speech (RMS normalised inside).
fn treat(rng: &mut Rng, mut x: Vec<f32>, t: Treatment) -> (Vec<f32>, String) {
    let n = x.len();
    set_rms(&mut x, 1.0);
    let (bed, room) = room_bed(rng, n);
    match t {
        Treatment::Plain => {
            if rng.chance(0.3) {
                x = reverb(&x, rng.range(0.1, 0.5), 0.5, rng.range(0.05, 0.3));
            }
            mix_into(&mut x, &bed, db(-rng.range(30.0, 50.0)));
        }
        Treatment::Room => {
            if rng.chance(0.5) {
                filter(&mut x, Filter::Lowpass, rng.range(3000.0, 8000.0), 0.707, 1);
            }
            x = reverb(
                &x,
                rng.range(0.3, 0.7),
                rng.range(0.2, 0.6),
                rng.range(0.2, 0.8),
            );
            set_rms(&mut x, 1.0);
            mix_into(&mut x, &bed, db(-rng.range(5.0, 25.0)));
        }
        Treatment::Phone => {
            // Room and line noise go through the band like the voice.
            let hiss = noise(Colour::White, n, rng);
            mix_into(&mut x, &bed, db(-rng.range(15.0, 35.0)));
            mix_into(&mut x, &hiss, db(-rng.range(30.0, 45.0)));
            filter(&mut x, Filter::Highpass, 300.0, 0.707, 2);
            filter(&mut x, Filter::Lowpass, rng.range(3000.0, 3400.0), 0.707, 2);
            if rng.chance(0.5) {
                compress(&mut x, -10.0, 4.0, 0.005, 0.1);
            }
            mu_law_8bit(&mut x);
            filter(&mut x, Filter::Lowpass, 3800.0, 0.707, 2);
        }
        Treatment::Lecture => {
            filter(&mut x, Filter::Lowpass, rng.range(4000.0, 9000.0), 0.707, 1);
            x = reverb(
                &x,
                rng.range(0.8, 0.97),
                rng.range(0.3, 0.6),
                rng.range(0.5, 1.5),
            );
            set_rms(&mut x, 1.0);
            mix_into(&mut x, &bed, db(-rng.range(10.0, 25.0)));
        }
        Treatment::Radio => {
            filter(&mut x, Filter::Highpass, rng.range(80.0, 150.0), 0.707, 1);
            filter(
                &mut x,
                Filter::Peak(rng.range(3.0, 8.0)),
                rng.range(2500.0, 5000.0),
                0.8,
                1,
            );
            compress(
                &mut x,
                -rng.range(8.0, 18.0),
                rng.range(4.0, 10.0),
                0.003,
                0.08,
            );
            compress(&mut x, -3.0, 20.0, 0.0005, 0.05);
            if rng.chance(0.3) {
                // AM broadcast: narrow band and static.
                filter(&mut x, Filter::Lowpass, rng.range(3500.0, 5000.0), 0.707, 2);
                set_rms(&mut x, 1.0);
                let st = noise(Colour::Pink, n, rng);
                mix_into(&mut x, &st, db(-rng.range(20.0, 35.0)));
            }
            set_rms(&mut x, 1.0);
            mix_into(&mut x, &bed, db(-rng.range(45.0, 60.0)));
        }
    }
    (x, format!("{};{room}", t.name()))
}

/// A speech clip: one or two speakers of `set`, through `treatment`.
pub fn speech(
    rng: &mut Rng,
    n: usize,
    work: &Path,
    set: LangSet,
    two: bool,
    treatment: Treatment,
) -> Result<Generated> {
    let speed = match treatment {
        Treatment::Radio => rng.range(1.05, 1.25),
        Treatment::Lecture => rng.range(0.85, 1.0),
        _ => 1.0,
    };
    let a = Speaker::random(set, speed, rng);
    let (x, vocal) = if two {
        let b = a.partner(rng);
        (
            dialogue(&a, &b, rng, n, work)?,
            format!("{}|{}", a.name(), b.name()),
        )
    } else {
        let pause = if treatment == Treatment::Lecture {
            rng.range(1.2, 2.5)
        } else {
            1.0
        };
        (monologue(&a, rng, n, work, pause)?, a.name())
    };
    if rms(&x) <= 0.0 {
        bail!("{vocal}: silent speech");
    }
    let (x, d) = treat(rng, x, treatment);
    Ok(Generated {
        source: if vocal.contains("festival") {
            if vocal.contains("espeak") {
                "espeak-ng+festival"
            } else {
                "festival"
            }
        } else {
            "espeak-ng"
        }
        .into(),
        vocal,
        ..Generated::synth(
            x,
            format!("{};{d}", if two { "dialogue" } else { "monologue" }),
        )
    })
}

/// Held out: world languages, monologue or dialogue, any treatment.
pub fn speech_world(rng: &mut Rng, n: usize, work: &Path) -> Result<Generated> {
    let two = rng.chance(0.4);
    let t = *rng.pick(&[
        Treatment::Plain,
        Treatment::Plain,
        Treatment::Room,
        Treatment::Phone,
        Treatment::Lecture,
        Treatment::Radio,
    ]);
    speech(rng, n, work, LangSet::World, two, t)
}

/// Crowd babble: many talkers at many distances, a noise bed, clinks.
pub fn babble(lib: &Library, rng: &mut Rng, n: usize, work: &Path) -> Result<Generated> {
    let talkers = rng.int(6, 24) as usize;
    let mut x = vec![0.0f32; n];
    for k in 0..talkers {
        let mut sp = Speaker::random(LangSet::Trained, rng.range(0.9, 1.2), rng);
        if k > 0 {
            // One festival process per clip is enough.
            sp = sp.into_espeak(rng);
        }
        let text: String = (0..12)
            .map(|_| sp.sentence(rng))
            .collect::<Vec<_>>()
            .join(" ");
        let u = sp.say(&[text], work, &format!("t{k}"))?;
        let Some(u) = u.into_iter().next().filter(|u| !u.is_empty()) else {
            continue;
        };
        let mut v = loop_fill(&u, n, rng.below(u.len()), secs(0.3));
        let far = rng.range(0.0, 1.0);
        filter(&mut v, Filter::Lowpass, 8000.0 - 6000.0 * far, 0.707, 1);
        set_rms(&mut v, 1.0);
        mix_into(&mut x, &v, db(-20.0 * far));
    }
    set_rms(&mut x, 1.0);
    x = reverb(
        &x,
        rng.range(0.4, 0.9),
        rng.range(0.3, 0.6),
        rng.range(0.3, 1.0),
    );
    set_rms(&mut x, 1.0);
    let mut bed = noise(Colour::Pink, n, rng);
    filter(
        &mut bed,
        Filter::Lowpass,
        rng.range(1000.0, 4000.0),
        0.707,
        1,
    );
    mix_into(&mut x, &bed, db(-rng.range(10.0, 25.0)));
    let clinks = rng.chance(0.5);
    if clinks {
        let c = sfx::clinks(lib, rng, n)?;
        mix_into(&mut x, &c, db(-rng.range(6.0, 20.0)));
    }
    Ok(Generated {
        source: "espeak-ng".into(),
        vocal: format!("babble{talkers}"),
        ..Generated::synth(
            x,
            format!("{talkers}talkers{}", if clinks { ";clinks" } else { "" }),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_in_their_scripts() {
        let mut rng = Rng::new(3);
        for l in EUROPEAN.iter().chain(&WORLD) {
            let s = pseudo_sentence(&mut rng, l);
            assert!(s.len() > 5, "{}: {s}", l.code);
            assert!(!s.contains('"') && !s.contains('\\'));
        }
        let ko = pseudo_sentence(&mut rng, &WORLD[4]);
        assert!(
            ko.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)),
            "{ko}"
        );
        let e = english_sentence(&mut rng);
        assert!(e.ends_with('.') || e.ends_with('?'), "{e}");
        // No held-out language in the trained set.
        for w in &WORLD {
            assert!(EUROPEAN.iter().all(|e| e.code != w.code));
            assert!(!ENGLISH.contains(&w.code));
        }
    }

    #[test]
    fn speakers_respect_their_language_set() {
        let world: Vec<&str> = WORLD.iter().map(|l| l.code).collect();
        for seed in 0..200 {
            let sp = Speaker::random(LangSet::Trained, 1.0, &mut Rng::new(seed));
            assert!(!world.contains(&sp.lang.code), "{}", sp.name());
            let sp = Speaker::random(LangSet::World, 1.0, &mut Rng::new(seed));
            assert!(world.contains(&sp.lang.code), "{}", sp.name());
            assert!(sp.espeak.is_some());
        }
    }
}
