//! The corpus plan: labels, templates, and the per-song draw of template,
//! tempo, key, soundfont and split.
//!
//! Everything here is pure and cheap so it can be unit-tested and so the
//! manifest is fixed before any audio is rendered. Splits hold out whole
//! templates (`test_template`) to measure whether the model learned the genre
//! or the generator's templates.

use super::rng::{Rng, derive_seed};
use super::texture::{Texture, sparse_share, sparse_textures};
use super::theory::{Key, ProgStyle};

/// The GTZAN ten, in the order the model card uses.
pub const LABELS: [&str; 10] = [
    "blues",
    "classical",
    "country",
    "disco",
    "hiphop",
    "jazz",
    "metal",
    "pop",
    "reggae",
    "rock",
];

/// An MMA-library based accompaniment.
#[derive(Debug)]
pub struct MmaStyle {
    /// Intro groove ("" = use the first main groove).
    pub intro: &'static str,
    /// Main grooves; sections rotate through them (verse, chorus, solo).
    pub mains: &'static [&'static str],
    /// One-bar fill groove at section ends ("" = none).
    pub fill: &'static str,
    /// Ending groove ("" = none).
    pub end: &'static str,
    /// Beats per bar (3 for waltzes).
    pub beats: u8,
    /// Chord progression family.
    pub prog: ProgStyle,
}

/// Accompaniment styles MMA lacks, written by `band.rs`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BandStyle {
    BoomBap,
    Trap,
    LoFi,
    GFunk,
    Drill,
    OldSchool,
    Thrash,
    DoubleKick,
    Blast,
    Doom,
    PowerMetal,
    GrooveMetal,
    Gallop,
    OneDrop,
    Steppers,
    Rockers,
    Roots,
    Dub,
    Lovers,
    DiscoClassic,
    Philly,
    FunkDisco,
    EuroDisco,
    Boogie,
    HardRock,
    Punk,
    AltRock,
    SynthPop,
    DancePop,
    ModernCountry,
}

/// Orchestral and chamber textures, written by `classical.rs`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ClassicalStyle {
    Chorale,
    Alberti,
    Tutti,
    Quartet,
    Waltz,
    Nocturne,
    Baroque,
    Adagio,
}

/// How a template's accompaniment is produced.
#[derive(Debug)]
pub enum Engine {
    /// MMA groove library.
    Mma(MmaStyle),
    /// Our own band writer.
    Band(BandStyle),
    /// Our own classical writer.
    Classical(ClassicalStyle),
}

/// A rhythm/accompaniment style of one genre.
#[derive(Debug)]
pub struct Template {
    /// Stable name (manifest column).
    pub name: &'static str,
    /// Genre label.
    pub label: &'static str,
    /// Held out of training: all its songs go to `test_template`.
    pub held_out: bool,
    /// Tempo range in BPM as written (half-time feels are written slow or
    /// fast by the style itself).
    pub tempo: (f64, f64),
    /// Whether eighths swing (melody and our own parts follow it).
    pub swing: bool,
    /// How the accompaniment is made.
    pub engine: Engine,
}

macro_rules! mma {
    ($intro:expr, [$($m:expr),*], $fill:expr, $end:expr, $beats:expr, $prog:expr) => {
        Engine::Mma(MmaStyle {
            intro: $intro,
            mains: &[$($m),*],
            fill: $fill,
            end: $end,
            beats: $beats,
            prog: $prog,
        })
    };
}

const fn t(
    name: &'static str,
    label: &'static str,
    held_out: bool,
    tempo: (f64, f64),
    swing: bool,
    engine: Engine,
) -> Template {
    Template {
        name,
        label,
        held_out,
        tempo,
        swing,
        engine,
    }
}

use BandStyle as B;
use ClassicalStyle as C;
use ProgStyle as P;

/// All templates. Two per genre are held out (`true`).
pub static TEMPLATES: &[Template] = &[
    // blues
    t(
        "blues-shuffle",
        "blues",
        false,
        (84.0, 132.0),
        true,
        mma!(
            "BluesIntro",
            ["Blues", "BluesTriple", "Blues1", "BluesSus"],
            "",
            "BluesEnd",
            4,
            P::Blues12
        ),
    ),
    t(
        "slowblues",
        "blues",
        false,
        (48.0, 76.0),
        true,
        mma!(
            "SlowBluesIntro",
            [
                "SlowBlues",
                "SlowBluesWalk4",
                "SlowBluesFill2",
                "SlowBluesWalk8Sus"
            ],
            "SlowBluesFill",
            "SlowBluesEnd",
            4,
            P::Blues12
        ),
    ),
    t(
        "shuffleboggie",
        "blues",
        false,
        (100.0, 150.0),
        true,
        mma!(
            "ShuffleBoggieIntro",
            ["ShuffleBoggie", "ShuffleBoggie1", "ShuffleBoggieSus"],
            "ShuffleBoggieFill",
            "ShuffleBoggieEnd",
            4,
            P::Blues12
        ),
    ),
    t(
        "boogiewoogie",
        "blues",
        false,
        (120.0, 176.0),
        true,
        mma!(
            "BoggieWoggieIntro",
            [
                "BoggieWoggie",
                "BoggieWoggie1",
                "BoggieWoggie2",
                "BoggieWoggie3Sus"
            ],
            "",
            "BoggieWoggieEnd",
            4,
            P::Blues12
        ),
    ),
    t(
        "blues128",
        "blues",
        false,
        (52.0, 80.0),
        true,
        mma!(
            "Blues128Intro",
            ["Blues128", "Blues128Plus", "Blues128Sus"],
            "",
            "Blues128End",
            4,
            P::Blues12
        ),
    ),
    t(
        "fastblues",
        "blues",
        true,
        (130.0, 184.0),
        true,
        mma!(
            "",
            [
                "FastBlues",
                "FastBluesWalk",
                "FastBlues1",
                "FastBluesWalkSus"
            ],
            "",
            "",
            4,
            P::Blues12
        ),
    ),
    t(
        "countryblues",
        "blues",
        true,
        (80.0, 120.0),
        true,
        mma!(
            "CountryBluesIntro",
            [
                "CountryBlues",
                "CountryBluesWalk",
                "CountryBlues1",
                "CountryBlues1WalkSus"
            ],
            "CountryBluesFill",
            "",
            4,
            P::Blues12
        ),
    ),
    t(
        "bluefolk",
        "blues",
        false,
        (70.0, 110.0),
        false,
        mma!(
            "BlueFolkIntro",
            ["BlueFolk", "BlueFolk2", "BlueFolkPlus", "BlueFolkSus"],
            "",
            "BlueFolkEnd",
            4,
            P::Blues12
        ),
    ),
    // classical
    t(
        "chorale",
        "classical",
        false,
        (56.0, 92.0),
        false,
        Engine::Classical(C::Chorale),
    ),
    t(
        "alberti-sonata",
        "classical",
        false,
        (96.0, 152.0),
        false,
        Engine::Classical(C::Alberti),
    ),
    t(
        "orchestral-tutti",
        "classical",
        false,
        (72.0, 140.0),
        false,
        Engine::Classical(C::Tutti),
    ),
    t(
        "string-quartet",
        "classical",
        false,
        (60.0, 132.0),
        false,
        Engine::Classical(C::Quartet),
    ),
    t(
        "nocturne",
        "classical",
        false,
        (48.0, 80.0),
        false,
        Engine::Classical(C::Nocturne),
    ),
    t(
        "adagio-strings",
        "classical",
        false,
        (44.0, 70.0),
        false,
        Engine::Classical(C::Adagio),
    ),
    t(
        "waltz",
        "classical",
        true,
        (120.0, 184.0),
        false,
        Engine::Classical(C::Waltz),
    ),
    t(
        "baroque",
        "classical",
        true,
        (84.0, 128.0),
        false,
        Engine::Classical(C::Baroque),
    ),
    // country
    t(
        "countryswing",
        "country",
        false,
        (100.0, 150.0),
        true,
        mma!(
            "CountrySwingIntro",
            [
                "CountrySwing",
                "CountrySwing2",
                "CountrySwingSus",
                "CountrySwing2Sus"
            ],
            "",
            "CountrySwingEnd",
            4,
            P::Country
        ),
    ),
    t(
        "bluegrass",
        "country",
        false,
        (130.0, 190.0),
        false,
        mma!(
            "BlueGrassIntro",
            ["BlueGrass", "BlueGrassClap", "BlueGrassSus"],
            "",
            "BlueGrassEnd",
            4,
            P::Country
        ),
    ),
    t(
        "slowcountry",
        "country",
        false,
        (64.0, 96.0),
        false,
        mma!(
            "SlowCountryIntro",
            [
                "SlowCountry",
                "SlowCountryWalk",
                "SlowCountryPlus",
                "SlowCountrySusPlus"
            ],
            "SlowCountryFill",
            "SlowCountryEnd",
            4,
            P::Country
        ),
    ),
    t(
        "countrywaltz",
        "country",
        false,
        (90.0, 150.0),
        false,
        mma!(
            "CountryWaltzIntro",
            [
                "CountryWaltz",
                "CountryWaltz1",
                "CountryWaltzWalk",
                "CountryWaltz2Sus"
            ],
            "",
            "CountryWaltzEnd",
            3,
            P::Country
        ),
    ),
    t(
        "modern-country",
        "country",
        false,
        (88.0, 140.0),
        false,
        Engine::Band(B::ModernCountry),
    ),
    t(
        "westernswing",
        "country",
        true,
        (110.0, 170.0),
        true,
        mma!(
            "WesternSwingIntro",
            ["WesternSwing", "WesternSwingPlus", "WesternSwingSus"],
            "",
            "WesternSwingEnd",
            4,
            P::Country
        ),
    ),
    t(
        "hillcountry",
        "country",
        true,
        (90.0, 130.0),
        false,
        mma!(
            "HillCountryIntro",
            ["HillCountry", "HillCountryPlus", "HillCountrySus"],
            "HillCountryFill",
            "HillCountryEnd",
            4,
            P::Country
        ),
    ),
    // disco
    t(
        "disco-classic",
        "disco",
        false,
        (112.0, 130.0),
        false,
        Engine::Band(B::DiscoClassic),
    ),
    t(
        "philly",
        "disco",
        false,
        (104.0, 120.0),
        false,
        Engine::Band(B::Philly),
    ),
    t(
        "eurodisco",
        "disco",
        false,
        (118.0, 136.0),
        false,
        Engine::Band(B::EuroDisco),
    ),
    t(
        "boneym",
        "disco",
        false,
        (110.0, 128.0),
        false,
        mma!(
            "BoneyMIntro",
            ["BoneyM", "BoneyMPlus", "BoneyMSus", "BoneyMSusPlus"],
            "BoneyMFill",
            "BoneyMEnd",
            4,
            P::Disco
        ),
    ),
    t(
        "disco-soul",
        "disco",
        false,
        (104.0, 124.0),
        false,
        mma!(
            "DSoulIntro",
            ["DSoulPlus", "DSoulSus", "DSoulSusPlus"],
            "DSoulFill",
            "DSoulEnd",
            4,
            P::Disco
        ),
    ),
    t(
        "funk-disco",
        "disco",
        true,
        (106.0, 124.0),
        false,
        Engine::Band(B::FunkDisco),
    ),
    t(
        "boogie",
        "disco",
        true,
        (108.0, 124.0),
        false,
        Engine::Band(B::Boogie),
    ),
    // hiphop
    t(
        "boombap",
        "hiphop",
        false,
        (82.0, 98.0),
        true,
        Engine::Band(B::BoomBap),
    ),
    t(
        "trap",
        "hiphop",
        false,
        (128.0, 160.0),
        false,
        Engine::Band(B::Trap),
    ),
    t(
        "lofi",
        "hiphop",
        false,
        (70.0, 90.0),
        true,
        Engine::Band(B::LoFi),
    ),
    t(
        "oldschool",
        "hiphop",
        false,
        (94.0, 112.0),
        false,
        Engine::Band(B::OldSchool),
    ),
    t(
        "gfunk",
        "hiphop",
        true,
        (86.0, 100.0),
        true,
        Engine::Band(B::GFunk),
    ),
    t(
        "drill",
        "hiphop",
        true,
        (136.0, 146.0),
        false,
        Engine::Band(B::Drill),
    ),
    // jazz
    t(
        "swing",
        "jazz",
        false,
        (110.0, 190.0),
        true,
        mma!(
            "SwingIntro",
            [
                "Swing",
                "SwingWalk",
                "Swing1Walk",
                "SwingWalkPlus",
                "Swing2"
            ],
            "SwingFill",
            "SwingEnd",
            4,
            P::Jazz
        ),
    ),
    t(
        "bebop",
        "jazz",
        false,
        (170.0, 260.0),
        true,
        mma!(
            "BebopIntro",
            ["Bebop", "BebopPlus", "BebopSus"],
            "",
            "BebopEnd",
            4,
            P::Jazz
        ),
    ),
    t(
        "jazzcombo",
        "jazz",
        false,
        (100.0, 170.0),
        true,
        mma!(
            "JazzComboIntro",
            ["JazzCombo", "JazzCombo1", "JazzCombo2", "JazzComboPlus"],
            "",
            "JazzComboEnd",
            4,
            P::Jazz
        ),
    ),
    t(
        "easyswing",
        "jazz",
        false,
        (80.0, 130.0),
        true,
        mma!(
            "EasySwingIntro",
            ["EasySwing", "EasySwingWalk", "EasySwing1", "EasySwing2Sus"],
            "EasySwingFill",
            "EasySwingEnd",
            4,
            P::Jazz
        ),
    ),
    t(
        "slowjazz",
        "jazz",
        false,
        (56.0, 84.0),
        true,
        mma!(
            "SlowJazzIntro",
            ["SlowJazz", "SlowJazzWalk", "SlowJazz1", "SlowJazzPlus"],
            "SlowJazzFill",
            "SlowJazzEnd",
            4,
            P::Jazz
        ),
    ),
    t(
        "bossanova",
        "jazz",
        false,
        (110.0, 150.0),
        false,
        mma!(
            "BossaNovaIntro",
            [
                "BossaNova",
                "BossaNovaPlus",
                "BossaNova1Sus",
                "BossaNovaSusPlus"
            ],
            "BossaNovaFill",
            "BossaNovaEnd",
            4,
            P::Jazz
        ),
    ),
    t(
        "bigband",
        "jazz",
        false,
        (120.0, 200.0),
        true,
        mma!(
            "BigBandIntro",
            ["BigBand", "BigBandPlus", "BigBand1", "BigBand1Plus"],
            "BigBandFill",
            "BigBandEnd",
            4,
            P::Jazz
        ),
    ),
    t(
        "jazzguitar",
        "jazz",
        true,
        (100.0, 170.0),
        true,
        mma!(
            "JazzGuitarIntro",
            [
                "JazzGuitar",
                "JazzGuitarWalk",
                "JazzGuitar2",
                "JazzGuitar3Walk"
            ],
            "JazzGuitarFill",
            "JazzGuitarEnd",
            4,
            P::Jazz
        ),
    ),
    t(
        "jazzwaltz",
        "jazz",
        true,
        (110.0, 180.0),
        true,
        mma!(
            "JazzWaltzIntro",
            ["JazzWaltz", "JazzWaltz1", "JazzWaltz2", "JazzWaltzSus"],
            "JazzWaltzFill",
            "JazzWaltzEnd",
            3,
            P::Jazz
        ),
    ),
    t(
        "fastswing",
        "jazz",
        false,
        (190.0, 260.0),
        true,
        mma!(
            "FastSwingIntro",
            [
                "FastSwing",
                "FastSwingWalk",
                "FastSwingSus",
                "FastSwingWalkSus"
            ],
            "",
            "FastSwingEnd",
            4,
            P::Jazz
        ),
    ),
    t(
        "modernjazz",
        "jazz",
        false,
        (100.0, 160.0),
        true,
        mma!(
            "ModernJazzIntro",
            ["ModernJazz", "ModernJazz1", "ModernJazz2", "ModernJazzSus"],
            "ModernJazzFill",
            "ModernJazzEnd",
            4,
            P::Jazz
        ),
    ),
    t(
        "nitejazz",
        "jazz",
        false,
        (70.0, 110.0),
        true,
        mma!(
            "NiteJazzIntro",
            ["NiteJazz", "NiteJazzPlus", "NiteJazzSus", "NiteJazzSusPlus"],
            "",
            "NiteJazzEnd",
            4,
            P::Jazz
        ),
    ),
    t(
        "dixie",
        "jazz",
        false,
        (150.0, 210.0),
        true,
        mma!(
            "DixieIntro",
            ["Dixie", "Dixie1", "Dixie2", "Dixie3", "DixieStrum"],
            "",
            "DixieEnd",
            4,
            P::Jazz
        ),
    ),
    t(
        "evansish",
        "jazz",
        false,
        (80.0, 130.0),
        true,
        mma!(
            "EvansishIntro",
            ["Evansish", "EvansishPlus", "Evansish1", "Evansish1Plus"],
            "EvansishFill",
            "EvansishEnd",
            4,
            P::Jazz
        ),
    ),
    t(
        "modernjazzwaltz",
        "jazz",
        false,
        (110.0, 170.0),
        true,
        mma!(
            "ModernJazzWaltzIntro",
            [
                "ModernJazzWaltz",
                "ModernJazzWaltz1",
                "ModernJazzWaltz2",
                "ModernJazzWaltzSus"
            ],
            "ModernJazzWaltzFill",
            "ModernJazzWaltzEnd",
            3,
            P::Jazz
        ),
    ),
    // metal
    t(
        "thrash",
        "metal",
        false,
        (160.0, 220.0),
        false,
        Engine::Band(B::Thrash),
    ),
    t(
        "double-kick",
        "metal",
        false,
        (100.0, 150.0),
        false,
        Engine::Band(B::DoubleKick),
    ),
    t(
        "blast",
        "metal",
        false,
        (170.0, 220.0),
        false,
        Engine::Band(B::Blast),
    ),
    t(
        "doom",
        "metal",
        false,
        (56.0, 84.0),
        false,
        Engine::Band(B::Doom),
    ),
    t(
        "power-metal",
        "metal",
        false,
        (150.0, 190.0),
        false,
        Engine::Band(B::PowerMetal),
    ),
    t(
        "groove-metal",
        "metal",
        true,
        (88.0, 120.0),
        false,
        Engine::Band(B::GrooveMetal),
    ),
    t(
        "heavy-gallop",
        "metal",
        true,
        (120.0, 160.0),
        false,
        Engine::Band(B::Gallop),
    ),
    // pop
    t(
        "popballad",
        "pop",
        false,
        (64.0, 88.0),
        false,
        mma!(
            "PopBalladIntro",
            ["PopBallad", "PopBallad1", "PopBalladPlus", "PopBallad2Sus"],
            "",
            "PopBalladEnd",
            4,
            P::Pop
        ),
    ),
    t(
        "softrock-pop",
        "pop",
        false,
        (84.0, 120.0),
        false,
        mma!(
            "SoftRockIntro",
            ["SoftRock", "SoftRock1", "SoftRock2", "SoftRock1Sus"],
            "SoftRockFill",
            "SoftRockEnd",
            4,
            P::Pop
        ),
    ),
    t(
        "pianoballad",
        "pop",
        false,
        (60.0, 84.0),
        false,
        mma!(
            "PianoBalladIntro",
            [
                "PianoBallad",
                "PianoBallad1",
                "PianoBallad2",
                "PianoBallad1Sus"
            ],
            "PianoBalladFill",
            "PianoBalladEnd",
            4,
            P::Pop
        ),
    ),
    t(
        "rnb",
        "pop",
        false,
        (70.0, 104.0),
        false,
        mma!(
            "R&BIntro",
            ["R&B", "R&BPlus", "R&BSus", "R&BSusPlus"],
            "R&BFill",
            "R&BEnd",
            4,
            P::Pop
        ),
    ),
    t(
        "synthpop",
        "pop",
        false,
        (96.0, 128.0),
        false,
        Engine::Band(B::SynthPop),
    ),
    t(
        "8beat-pop",
        "pop",
        true,
        (100.0, 132.0),
        false,
        mma!(
            "8BeatIntro",
            ["8Beat", "8Beat1", "8BeatPlus", "8BeatSusPlus"],
            "8BeatFill",
            "8BeatEnd",
            4,
            P::Pop
        ),
    ),
    t(
        "dancepop",
        "pop",
        true,
        (116.0, 128.0),
        false,
        Engine::Band(B::DancePop),
    ),
    t(
        "bubblegum",
        "pop",
        false,
        (110.0, 140.0),
        false,
        mma!(
            "BubbleRockIntro",
            [
                "BubbleRock",
                "BubbleRockPlus",
                "BubbleRockSus",
                "BubbleRockSusPlus"
            ],
            "BubbleRockFill",
            "BubbleRockEnd",
            4,
            P::Pop
        ),
    ),
    t(
        "guitarballad",
        "pop",
        false,
        (66.0, 96.0),
        false,
        mma!(
            "GuitarBalladIntro",
            [
                "GuitarBallad",
                "GuitarBallad1",
                "GuitarBalladSus",
                "GuitarBallad1Sus"
            ],
            "",
            "GuitarBalladEnd",
            4,
            P::Pop
        ),
    ),
    // reggae
    t(
        "one-drop",
        "reggae",
        false,
        (62.0, 84.0),
        true,
        Engine::Band(B::OneDrop),
    ),
    t(
        "steppers",
        "reggae",
        false,
        (66.0, 86.0),
        true,
        Engine::Band(B::Steppers),
    ),
    t(
        "rockers",
        "reggae",
        false,
        (70.0, 92.0),
        true,
        Engine::Band(B::Rockers),
    ),
    t(
        "roots",
        "reggae",
        false,
        (60.0, 78.0),
        true,
        Engine::Band(B::Roots),
    ),
    t(
        "dub",
        "reggae",
        true,
        (60.0, 76.0),
        true,
        Engine::Band(B::Dub),
    ),
    t(
        "lovers-rock",
        "reggae",
        true,
        (68.0, 88.0),
        true,
        Engine::Band(B::Lovers),
    ),
    t(
        "ska",
        "reggae",
        false,
        (120.0, 160.0),
        false,
        mma!(
            "",
            ["Ska", "Ska1", "SkaSus", "SkaClap"],
            "",
            "SkaEnd",
            4,
            P::Reggae
        ),
    ),
    // rock
    t(
        "50srock",
        "rock",
        false,
        (140.0, 180.0),
        true,
        mma!(
            "50sRockIntro",
            ["50sRock", "50sRock1", "50sRockPlus", "50sRockSus"],
            "",
            "50sRockEnd",
            4,
            P::Rock
        ),
    ),
    t(
        "basicrock",
        "rock",
        false,
        (100.0, 140.0),
        false,
        mma!(
            "BasicRockIntro",
            ["BasicRock", "BasicRock4", "BasicRockSus", "BasicRock4Sus"],
            "",
            "BasicRockEnd",
            4,
            P::Rock
        ),
    ),
    t(
        "folkrock",
        "rock",
        false,
        (96.0, 136.0),
        false,
        mma!(
            "FolkRockIntro",
            ["FolkRock", "FolkRockPlus", "FolkRockSus", "FolkRockSusPlus"],
            "FolkRockFill",
            "FolkRockEnd",
            4,
            P::Rock
        ),
    ),
    t(
        "rockballad",
        "rock",
        false,
        (64.0, 90.0),
        false,
        mma!(
            "RockBalladIntro",
            ["RockBallad", "RockBallad1", "RockBalladVoice"],
            "RockBalladFill",
            "RockBalladEnd",
            4,
            P::Rock
        ),
    ),
    t(
        "hardrock",
        "rock",
        false,
        (100.0, 150.0),
        false,
        Engine::Band(B::HardRock),
    ),
    t(
        "alt-rock",
        "rock",
        false,
        (84.0, 130.0),
        false,
        Engine::Band(B::AltRock),
    ),
    t(
        "60srock",
        "rock",
        true,
        (110.0, 150.0),
        false,
        mma!(
            "60sRockIntro",
            ["60sRock", "60sRock1", "60sRockPlus", "60sRockSus"],
            "",
            "60sRockEnd",
            4,
            P::Rock
        ),
    ),
    t(
        "punk",
        "rock",
        true,
        (150.0, 200.0),
        false,
        Engine::Band(B::Punk),
    ),
    t(
        "twist",
        "rock",
        false,
        (140.0, 176.0),
        false,
        mma!(
            "TwistIntro",
            ["Twist", "Twist4", "TwistSus", "Twist4Sus"],
            "",
            "TwistEnd",
            4,
            P::Rock
        ),
    ),
    t(
        "rock128",
        "rock",
        false,
        (60.0, 84.0),
        false,
        mma!(
            "Rock128Intro",
            ["Rock128", "Rock128Plain", "Rock128Plus", "Rock128Sus"],
            "",
            "Rock128End",
            4,
            P::Rock
        ),
    ),
    t(
        "rockwaltz",
        "rock",
        false,
        (120.0, 170.0),
        false,
        mma!(
            "RockWaltzIntro",
            ["RockWaltz", "RockWaltz1", "RockWaltzWalk", "RockWaltz1Walk"],
            "",
            "RockWaltzEnd",
            3,
            P::Rock
        ),
    ),
];

/// Templates of one label.
#[cfg(test)]
pub fn templates_of(label: &str) -> Vec<&'static Template> {
    TEMPLATES.iter().filter(|t| t.label == label).collect()
}

/// Allowed soundfont setups. FluidR3_GS only holds drum kits and GS
/// variation banks, so it is layered over FluidR3_GM (it then supplies the kits).
pub const SOUNDFONTS: [&str; 3] = ["FluidR3_GM", "csound-GMbank", "FluidR3_GM+GS"];

/// Everything decided about a song before rendering.
#[derive(Clone, Debug, PartialEq)]
pub struct SongPlan {
    /// Genre label.
    pub label: &'static str,
    /// Index within the genre (file number).
    pub index: usize,
    /// Index into [`TEMPLATES`].
    pub template: usize,
    /// train / val / test / test_template.
    pub split: &'static str,
    /// Written tempo in BPM.
    pub tempo: f64,
    /// Key.
    pub key: Key,
    /// One of [`SOUNDFONTS`].
    pub soundfont: &'static str,
    /// Per-song seed that drives composition and production.
    pub seed: u64,
    /// Arrangement texture (full, or one of the sparse ones).
    pub texture: Texture,
}

impl SongPlan {
    /// Output path relative to the corpus root.
    pub fn file(&self) -> String {
        format!("{0}/{0}.{1:05}.wav", self.label, self.index)
    }
    /// Song id shared by all windows of the song.
    pub fn group(&self) -> String {
        format!("{}-{:05}", self.label, self.index)
    }
    /// The template.
    pub fn tpl(&self) -> &'static Template {
        &TEMPLATES[self.template]
    }
}

fn key_for(label: &str, rng: &mut Rng) -> Key {
    // Guitar-friendly keys for guitar genres, flat keys for jazz/horns.
    let (tonics, p_minor): (&[u8], f64) = match label {
        "blues" => (&[4, 9, 7, 0, 10, 2, 5], 0.15),
        "country" => (&[7, 2, 9, 0, 4, 5], 0.08),
        "jazz" => (&[5, 10, 3, 0, 7, 8, 2], 0.3),
        "metal" => (&[4, 2, 1, 11, 9, 7, 0], 0.92),
        "rock" => (&[4, 9, 2, 7, 0, 11], 0.35),
        "hiphop" => (&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 0.8),
        "reggae" => (&[0, 2, 4, 5, 7, 9, 10, 11], 0.45),
        "disco" => (&[0, 2, 4, 5, 7, 9, 10, 1, 6], 0.55),
        "classical" => (&[0, 2, 3, 4, 5, 7, 9, 10, 8], 0.4),
        _ => (&[0, 2, 4, 5, 7, 9, 10, 11, 3, 8], 0.3),
    };
    Key {
        tonic: *rng.pick(tonics),
        minor: rng.chance(p_minor),
    }
}

/// Split counts for `n` songs of one genre: (train, val, test, test_template).
/// Every genre with ≥ 4 songs gets all four splits.
pub fn split_counts(n: usize) -> (usize, usize, usize, usize) {
    if n == 0 {
        return (0, 0, 0, 0);
    }
    let tt = if n >= 2 {
        ((n as f64 * 0.15).round() as usize).max(1)
    } else {
        0
    };
    let rest = n - tt;
    let (val, test) = if rest >= 3 {
        let v = ((rest as f64 * 0.1).round() as usize).max(1);
        (v, v)
    } else {
        (0, 0)
    };
    (rest - val - test, val, test, tt)
}

/// Plans the whole corpus: a pure function of (seed, songs per genre).
pub fn plan_corpus(seed: u64, per_genre: usize) -> Vec<SongPlan> {
    let mut out = Vec::new();
    for label in LABELS {
        let mut rng = Rng::new(derive_seed(seed, &[label, "splits"]));
        let (tr, va, te, tt) = split_counts(per_genre);
        let mut splits: Vec<&'static str> = std::iter::repeat_n("train", tr)
            .chain(std::iter::repeat_n("val", va))
            .chain(std::iter::repeat_n("test", te))
            .chain(std::iter::repeat_n("test_template", tt))
            .collect();
        rng.shuffle(&mut splits);
        let idx: Vec<usize> = (0..TEMPLATES.len())
            .filter(|&i| TEMPLATES[i].label == label)
            .collect();
        let mut held: Vec<usize> = idx
            .iter()
            .copied()
            .filter(|&i| TEMPLATES[i].held_out)
            .collect();
        let mut kept: Vec<usize> = idx
            .iter()
            .copied()
            .filter(|&i| !TEMPLATES[i].held_out)
            .collect();
        rng.shuffle(&mut held);
        rng.shuffle(&mut kept);
        // sparse textures: a fixed share of every split, cycling through the
        // genre's list, so validation and test splits have them too
        let mut textures = vec![Texture::Full; splits.len()];
        let sparse = sparse_textures(label);
        let mut cycle = rng.below(sparse.len());
        for sp in ["train", "val", "test", "test_template"] {
            let mut members: Vec<usize> = (0..splits.len()).filter(|&i| splits[i] == sp).collect();
            let n = (members.len() as f64 * sparse_share(label)).round() as usize;
            let n = if members.len() >= 3 { n.max(1) } else { n };
            rng.shuffle(&mut members);
            for &i in members.iter().take(n) {
                textures[i] = sparse[cycle % sparse.len()];
                cycle += 1;
            }
        }
        let (mut hi, mut ki) = (0, 0);
        for (index, split) in splits.into_iter().enumerate() {
            // Balanced rotation so every template gets its share.
            let template = if split == "test_template" {
                hi += 1;
                held[(hi - 1) % held.len()]
            } else {
                ki += 1;
                kept[(ki - 1) % kept.len()]
            };
            let song_seed = derive_seed(seed, &[label, &index.to_string()]);
            let mut srng = Rng::new(song_seed);
            let tpl = &TEMPLATES[template];
            let tempo = (srng.range(tpl.tempo.0, tpl.tempo.1) * 2.0).round() / 2.0;
            let key = key_for(label, &mut srng);
            let soundfont = *srng.weighted(&[
                (SOUNDFONTS[0], 0.55),
                (SOUNDFONTS[1], 0.3),
                (SOUNDFONTS[2], 0.15),
            ]);
            out.push(SongPlan {
                label,
                index,
                template,
                split,
                tempo,
                key,
                soundfont,
                seed: song_seed,
                texture: textures[index],
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_is_deterministic() {
        assert_eq!(plan_corpus(7, 12), plan_corpus(7, 12));
        assert_ne!(plan_corpus(7, 12), plan_corpus(8, 12));
    }

    #[test]
    fn every_genre_has_enough_templates_and_holdouts() {
        for l in LABELS {
            let ts = templates_of(l);
            assert!(ts.len() >= 6, "{l} has {} templates", ts.len());
            let held = ts.iter().filter(|t| t.held_out).count();
            assert_eq!(held, 2, "{l}");
        }
    }

    #[test]
    fn holdout_gives_all_four_splits() {
        for n in [4, 5, 10, 37, 100] {
            let plan = plan_corpus(1, n);
            for l in LABELS {
                let songs: Vec<_> = plan.iter().filter(|s| s.label == l).collect();
                assert_eq!(songs.len(), n);
                for sp in ["train", "val", "test", "test_template"] {
                    assert!(songs.iter().any(|s| s.split == sp), "{l} n={n} lacks {sp}");
                }
                for s in &songs {
                    // held-out templates never leak into other splits
                    assert_eq!(s.tpl().held_out, s.split == "test_template");
                }
            }
        }
    }

    #[test]
    fn sparse_textures_reach_every_split() {
        let plan = plan_corpus(31, 150);
        for l in LABELS {
            for sp in ["train", "val", "test", "test_template"] {
                let songs: Vec<_> = plan
                    .iter()
                    .filter(|s| s.label == l && s.split == sp)
                    .collect();
                let sparse = songs.iter().filter(|s| s.texture != Texture::Full).count();
                let share = sparse as f64 / songs.len() as f64;
                assert!(sparse >= 1, "{l} {sp} has no sparse texture");
                assert!(
                    (share - sparse_share(l)).abs() < 0.08,
                    "{l} {sp}: {sparse}/{}",
                    songs.len()
                );
            }
            let all: Vec<_> = plan.iter().filter(|s| s.label == l).collect();
            for t in sparse_textures(l) {
                assert!(all.iter().any(|s| s.texture == *t), "{l} never gets {t:?}");
            }
        }
    }

    #[test]
    fn tempo_in_template_range() {
        for s in plan_corpus(3, 60) {
            let (lo, hi) = s.tpl().tempo;
            assert!(s.tempo >= lo - 0.5 && s.tempo <= hi + 0.5, "{s:?}");
        }
    }
}
