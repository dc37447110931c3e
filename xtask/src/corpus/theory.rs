//! Keys, chords and genre-typical chord progressions.
//!
//! Progressions are built from scale-degree offsets so one table serves every
//! key; chord names are emitted in MMA's syntax and voiced for our own parts.

use super::rng::Rng;

const NAMES: [&str; 12] = [
    "C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B",
];

/// A key: tonic pitch class and mode.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Key {
    /// Tonic pitch class, 0 = C.
    pub tonic: u8,
    /// Minor (aeolian) instead of major.
    pub minor: bool,
}

impl Key {
    /// Human-readable name for the manifest, e.g. `Eb minor`.
    pub fn name(&self) -> String {
        format!(
            "{} {}",
            NAMES[usize::from(self.tonic % 12)],
            if self.minor { "minor" } else { "major" }
        )
    }

    /// Scale intervals (natural minor for minor keys).
    pub fn scale(&self) -> [i32; 7] {
        if self.minor {
            [0, 2, 3, 5, 7, 8, 10]
        } else {
            [0, 2, 4, 5, 7, 9, 11]
        }
    }
}

/// Chord qualities we use (enough for blues, jazz extensions, power chords).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Quality {
    Maj,
    Min,
    Dom7,
    Maj7,
    Min7,
    HalfDim,
    Dim,
    Sus4,
    Power,
    Dom9,
    Min9,
    Maj9,
    Six,
    Dom13,
}

/// A chord: root pitch class and quality.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Chord {
    /// Root pitch class, 0 = C.
    pub root: u8,
    /// Quality.
    pub q: Quality,
}

impl Chord {
    /// Chord name in MMA syntax.
    pub fn mma(&self) -> String {
        let r = NAMES[usize::from(self.root % 12)];
        let s = match self.q {
            Quality::Maj => "",
            Quality::Min => "m",
            Quality::Dom7 => "7",
            Quality::Maj7 => "maj7",
            Quality::Min7 => "m7",
            Quality::HalfDim => "m7b5",
            Quality::Dim => "dim",
            Quality::Sus4 => "sus4",
            Quality::Power => "5",
            Quality::Dom9 => "9",
            Quality::Min9 => "m9",
            Quality::Maj9 => "maj9",
            Quality::Six => "6",
            Quality::Dom13 => "13",
        };
        format!("{r}{s}")
    }

    /// Intervals above the root.
    pub fn intervals(&self) -> &'static [i32] {
        match self.q {
            Quality::Maj => &[0, 4, 7],
            Quality::Min => &[0, 3, 7],
            Quality::Dom7 => &[0, 4, 7, 10],
            Quality::Maj7 => &[0, 4, 7, 11],
            Quality::Min7 => &[0, 3, 7, 10],
            Quality::HalfDim => &[0, 3, 6, 10],
            Quality::Dim => &[0, 3, 6, 9],
            Quality::Sus4 => &[0, 5, 7],
            Quality::Power => &[0, 7, 12],
            Quality::Dom9 => &[0, 4, 7, 10, 14],
            Quality::Min9 => &[0, 3, 7, 10, 14],
            Quality::Maj9 => &[0, 4, 7, 11, 14],
            Quality::Six => &[0, 4, 7, 9],
            Quality::Dom13 => &[0, 4, 10, 14, 21],
        }
    }

    /// Whether the chord has a minor third (for melody/bass choices).
    pub fn is_minor(&self) -> bool {
        matches!(
            self.q,
            Quality::Min | Quality::Min7 | Quality::Min9 | Quality::HalfDim | Quality::Dim
        )
    }

    /// Whether pitch `key` is a chord tone.
    pub fn contains(&self, key: i32) -> bool {
        let rel = (key - i32::from(self.root)).rem_euclid(12);
        self.intervals().iter().any(|i| i % 12 == rel)
    }

    /// The root as a MIDI key in the octave starting at `low`.
    pub fn root_at(&self, low: i32) -> i32 {
        low + (i32::from(self.root) - low).rem_euclid(12)
    }

    /// Close voicing with the lowest tone at or above `low`.
    pub fn voicing(&self, low: i32) -> Vec<i32> {
        let r = self.root_at(low);
        self.intervals().iter().map(|i| r + i).collect()
    }
}

/// A bar's chords, dividing the bar evenly.
pub type Bar = Vec<Chord>;

fn ch(key: Key, semis: i32, q: Quality) -> Chord {
    Chord {
        root: ((i32::from(key.tonic) + semis).rem_euclid(12)) as u8,
        q,
    }
}

/// Families of progressions, one or more per genre.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ProgStyle {
    /// 12-bar blues with quick-change/turnaround variants.
    Blues12,
    /// ii–V–I based jazz forms with extensions.
    Jazz,
    /// Country: I–IV–V families.
    Country,
    /// Pop: I–V–vi–IV rotations and friends.
    Pop,
    /// Rock: I–bVII–IV, I–IV–V, minor rock.
    Rock,
    /// Minor vamps (hip-hop loops, dark pop).
    MinorVamp,
    /// Metal: power-chord riffs on i, bII, bVI, bVII, iv, bV.
    Metal,
    /// Reggae: two-chord vamps and I–V–vi–IV.
    Reggae,
    /// Disco: minor-seventh vamps, ii–V, maj7 moves.
    Disco,
    /// Classical: cadential and circle-of-fifths progressions.
    Classical,
}

/// A chord loop for one section, in bars. `beats_per_bar` only matters for
/// how many chords a bar may hold.
pub fn progression(style: ProgStyle, key: Key, rng: &mut Rng) -> Vec<Bar> {
    use Quality::*;
    let one = |c: Chord| vec![c];
    match style {
        ProgStyle::Blues12 => {
            let minor = key.minor;
            let (i, iv, v) = if minor {
                (ch(key, 0, Min7), ch(key, 5, Min7), ch(key, 7, Dom7))
            } else {
                let q = if rng.chance(0.3) { Dom9 } else { Dom7 };
                (ch(key, 0, q), ch(key, 5, q), ch(key, 7, Dom7))
            };
            let quick = rng.chance(0.5);
            let mut bars = vec![
                one(i),
                one(if quick { iv } else { i }),
                one(i),
                one(i),
                one(iv),
                one(iv),
                one(i),
                one(i),
                one(v),
                one(if rng.chance(0.6) { iv } else { v }),
                one(i),
                one(v),
            ];
            if minor {
                bars[8] = one(ch(key, 8, Dom7));
                bars[9] = one(v);
            }
            if rng.chance(0.4) {
                bars[10] = vec![i, ch(key, 5, Dom7)];
                bars[11] = vec![i, v];
            }
            if rng.chance(0.25) && !minor {
                // jazzy blues: ii–V into bar 9
                bars[8] = one(ch(key, 2, Min7));
                bars[9] = one(v);
            }
            bars
        }
        ProgStyle::Jazz => {
            let ext = |rng: &mut Rng, q: Quality| match q {
                Dom7 => *rng.pick(&[Dom7, Dom9, Dom13]),
                Maj7 => *rng.pick(&[Maj7, Maj9, Six]),
                Min7 => *rng.pick(&[Min7, Min9]),
                other => other,
            };
            let forms: &[&[(i32, Quality, u8)]] = &[
                // ii-V-I-I twice with turnaround (bars: 2 chords per bar where 2)
                &[
                    (2, Min7, 1),
                    (7, Dom7, 1),
                    (0, Maj7, 1),
                    (0, Maj7, 1),
                    (2, Min7, 2),
                    (7, Dom7, 2),
                    (0, Maj7, 2),
                    (9, Dom7, 2),
                ],
                // rhythm-changes A section
                &[
                    (0, Maj7, 2),
                    (9, Min7, 2),
                    (2, Min7, 2),
                    (7, Dom7, 2),
                    (4, Min7, 2),
                    (9, Dom7, 2),
                    (2, Min7, 2),
                    (7, Dom7, 2),
                ],
                // autumn-leaves-like cycle
                &[
                    (2, Min7, 1),
                    (7, Dom7, 1),
                    (0, Maj7, 1),
                    (5, Maj7, 1),
                    (11, HalfDim, 1),
                    (4, Dom7, 1),
                    (9, Min7, 1),
                    (9, Min7, 1),
                ],
                // minor ii-V-i
                &[
                    (2, HalfDim, 1),
                    (7, Dom7, 1),
                    (0, Min7, 1),
                    (0, Min7, 1),
                    (5, Min7, 1),
                    (10, Dom7, 1),
                    (3, Maj7, 1),
                    (7, Dom7, 1),
                ],
                // modal vamp
                &[(2, Min7, 1), (2, Min7, 1), (3, Min7, 1), (2, Min7, 1)],
            ];
            let form = rng.pick(forms);
            let mut bars: Vec<Bar> = Vec::new();
            let mut i = 0;
            while i < form.len() {
                let (s, q, n) = form[i];
                if n == 2 && i + 1 < form.len() {
                    let (s2, q2, _) = form[i + 1];
                    let a = ext(rng, q);
                    let b = ext(rng, q2);
                    bars.push(vec![ch(key, s, a), ch(key, s2, b)]);
                    i += 2;
                } else {
                    let a = ext(rng, q);
                    bars.push(vec![ch(key, s, a)]);
                    i += 1;
                }
            }
            bars
        }
        ProgStyle::Country => {
            let forms: &[&[(i32, Quality)]] = &[
                &[
                    (0, Maj),
                    (0, Maj),
                    (5, Maj),
                    (0, Maj),
                    (7, Maj),
                    (7, Maj),
                    (0, Maj),
                    (0, Maj),
                ],
                &[(0, Maj), (5, Maj), (0, Maj), (7, Dom7)],
                &[(0, Maj), (7, Maj), (9, Min), (5, Maj)],
                &[
                    (0, Maj),
                    (0, Maj),
                    (5, Maj),
                    (5, Maj),
                    (0, Maj),
                    (7, Dom7),
                    (0, Maj),
                    (0, Maj),
                ],
                &[(0, Maj), (2, Dom7), (7, Dom7), (0, Maj)],
            ];
            rng.pick(forms)
                .iter()
                .map(|&(s, q)| one(ch(key, s, q)))
                .collect()
        }
        ProgStyle::Pop => {
            let forms: &[&[(i32, Quality)]] = &[
                &[(0, Maj), (7, Maj), (9, Min), (5, Maj)],
                &[(9, Min), (5, Maj), (0, Maj), (7, Maj)],
                &[(0, Maj), (9, Min), (5, Maj), (7, Maj)],
                &[(5, Maj), (0, Maj), (7, Maj), (9, Min)],
                &[(0, Maj), (4, Min), (5, Maj), (7, Maj)],
                &[(0, Maj), (5, Maj), (9, Min), (7, Sus4)],
                &[(2, Min7), (5, Maj7), (0, Maj), (7, Maj)],
            ];
            let f = rng.pick(forms);
            let two_per_bar = rng.chance(0.25);
            if two_per_bar {
                f.chunks(2)
                    .map(|c| c.iter().map(|&(s, q)| ch(key, s, q)).collect())
                    .chain(
                        f.chunks(2)
                            .map(|c| c.iter().map(|&(s, q)| ch(key, s, q)).collect()),
                    )
                    .collect()
            } else {
                f.iter().map(|&(s, q)| one(ch(key, s, q))).collect()
            }
        }
        ProgStyle::Rock => {
            let forms: &[&[(i32, Quality)]] = if key.minor {
                &[
                    &[(0, Min), (10, Maj), (8, Maj), (10, Maj)],
                    &[(0, Min), (8, Maj), (3, Maj), (10, Maj)],
                    &[(0, Min), (0, Min), (5, Min), (7, Min)],
                ]
            } else {
                &[
                    &[(0, Maj), (10, Maj), (5, Maj), (0, Maj)],
                    &[(0, Maj), (5, Maj), (7, Maj), (5, Maj)],
                    &[(0, Maj), (7, Maj), (5, Maj), (5, Maj)],
                    &[(0, Maj), (0, Maj), (5, Maj), (7, Maj)],
                    &[(9, Min), (5, Maj), (0, Maj), (7, Maj)],
                ]
            };
            let power = rng.chance(0.5);
            rng.pick(forms)
                .iter()
                .map(|&(s, q)| one(ch(key, s, if power { Power } else { q })))
                .collect()
        }
        ProgStyle::MinorVamp => {
            let forms: &[&[(i32, Quality)]] = &[
                &[(0, Min7), (10, Maj), (8, Maj7), (10, Maj)],
                &[(0, Min7), (5, Min7)],
                &[(0, Min9), (8, Maj7), (3, Maj7), (10, Dom7)],
                &[(0, Min7), (7, Min7)],
                &[(0, Min), (0, Min), (8, Maj), (7, Dom7)],
                &[(0, Min9), (0, Min9), (5, Min9), (5, Min9)],
                &[(8, Maj7), (7, Min7), (5, Min7), (3, Maj7)],
            ];
            rng.pick(forms)
                .iter()
                .map(|&(s, q)| one(ch(key, s, q)))
                .collect()
        }
        ProgStyle::Metal => {
            let roots: &[&[i32]] = &[
                &[0, 0, 1, 0],
                &[0, 8, 10, 0],
                &[0, 0, 6, 5],
                &[0, 3, 5, 6],
                &[0, 10, 8, 7],
                &[0, 0, 0, 1],
                &[0, 5, 8, 10],
            ];
            rng.pick(roots)
                .iter()
                .map(|&s| one(ch(key, s, Power)))
                .collect()
        }
        ProgStyle::Reggae => {
            let forms: &[&[(i32, Quality)]] = if key.minor {
                &[
                    &[(0, Min), (5, Min)],
                    &[(0, Min), (10, Maj)],
                    &[(0, Min7), (0, Min7), (5, Min7), (5, Min7)],
                    &[(0, Min), (8, Maj), (10, Maj), (0, Min)],
                ]
            } else {
                &[
                    &[(0, Maj), (5, Maj)],
                    &[(0, Maj), (7, Maj)],
                    &[(0, Maj), (7, Maj), (9, Min), (5, Maj)],
                    &[(2, Min), (7, Maj)],
                    &[(0, Maj), (9, Min), (5, Maj), (7, Maj)],
                ]
            };
            let f = rng.pick(forms);
            if f.len() == 2 && rng.chance(0.5) {
                f.iter()
                    .flat_map(|&(s, q)| [one(ch(key, s, q)), one(ch(key, s, q))])
                    .collect()
            } else {
                f.iter().map(|&(s, q)| one(ch(key, s, q))).collect()
            }
        }
        ProgStyle::Disco => {
            let forms: &[&[(i32, Quality)]] = &[
                &[(0, Min7), (5, Min7)],
                &[(2, Min7), (7, Dom7)],
                &[(0, Maj7), (5, Maj7)],
                &[(0, Min7), (10, Maj), (8, Maj7), (7, Dom7)],
                &[(9, Min7), (2, Min7), (7, Dom7), (0, Maj7)],
                &[(0, Min9), (0, Min9), (3, Maj7), (10, Dom9)],
            ];
            let f = rng.pick(forms);
            f.iter().map(|&(s, q)| one(ch(key, s, q))).collect()
        }
        ProgStyle::Classical => {
            let forms: &[&[(i32, Quality)]] = if key.minor {
                &[
                    &[(0, Min), (5, Min), (7, Dom7), (0, Min)],
                    &[
                        (0, Min),
                        (8, Maj),
                        (2, Dim),
                        (7, Dom7),
                        (0, Min),
                        (5, Min),
                        (7, Maj),
                        (0, Min),
                    ],
                    &[
                        (0, Min),
                        (5, Min),
                        (10, Maj),
                        (3, Maj),
                        (8, Maj),
                        (2, HalfDim),
                        (7, Dom7),
                        (0, Min),
                    ],
                ]
            } else {
                &[
                    &[(0, Maj), (5, Maj), (7, Dom7), (0, Maj)],
                    &[(0, Maj), (9, Min), (2, Min), (7, Dom7)],
                    &[
                        (9, Min),
                        (2, Min),
                        (7, Dom7),
                        (0, Maj),
                        (5, Maj),
                        (11, Dim),
                        (4, Min),
                        (9, Min),
                    ],
                    &[
                        (0, Maj),
                        (7, Maj),
                        (9, Min),
                        (4, Min),
                        (5, Maj),
                        (0, Maj),
                        (5, Maj),
                        (7, Dom7),
                    ],
                    &[
                        (0, Maj),
                        (2, Dom7),
                        (7, Maj),
                        (7, Dom7),
                        (0, Maj),
                        (5, Maj),
                        (7, Dom7),
                        (0, Maj),
                    ],
                ]
            };
            rng.pick(forms)
                .iter()
                .map(|&(s, q)| one(ch(key, s, q)))
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blues_is_twelve_bars_and_names_parse_shape() {
        let mut r = Rng::new(3);
        let key = Key {
            tonic: 4,
            minor: false,
        };
        let p = progression(ProgStyle::Blues12, key, &mut r);
        assert_eq!(p.len(), 12);
        assert!(p[0][0].mma().starts_with('E'));
        let c = Chord {
            root: 10,
            q: Quality::HalfDim,
        };
        assert_eq!(c.mma(), "Bbm7b5");
        assert!(c.contains(10 + 6));
    }
}
