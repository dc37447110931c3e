//! From probabilities to an answer a listener can trust: every result is one
//! of [`Status`]'s five words, in the CLI's text, JSON and CSV and in the
//! plugin's editor alike.
//!
//! The rules, from the model card's [`DecisionSpec`]:
//! - the top output is a "no genre" output (e.g. `not_music`) → `not_music`;
//! - else the top genre's calibrated probability is below the card's
//!   threshold → `uncertain` (the leading genres are still reported);
//! - else → `ok`.
//!
//! `silent` (below the gate) and `error` come from the analysis, not the
//! model. Probabilities are calibrated when they come out of
//! [`crate::model::Classifier::probabilities`] (the card's temperature).
//!
//! [`Tally`] combines windows into one estimate, the same way for a file
//! (CLI) and for the plugin's "track so far": windows whose own answer is
//! `not_music` are counted apart, and the estimate is the mean of the
//! windows of whichever kind is in the majority (music on a tie). So a
//! spoken intro or a count-in does not drag a song's genres, and a
//! recording that is mostly speech with a jingle reads as not music.

use serde::Serialize;

use crate::card::{DecisionSpec, ModelCard};

/// What a result is. The same words everywhere (see [`Status::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A genre, with a calibrated probability at or above the card's threshold.
    Ok,
    /// The top genre's calibrated probability is below the card's threshold:
    /// the leading genres are a guess.
    Uncertain,
    /// The model's "no genre" output wins.
    NotMusic,
    /// Below the silence gate: nothing was classified.
    Silent,
    /// The input could not be analysed.
    Error,
}

impl Status {
    /// Every status, in order of how much the result says.
    pub const ALL: [Status; 5] = [
        Status::Ok,
        Status::Uncertain,
        Status::NotMusic,
        Status::Silent,
        Status::Error,
    ];

    /// The machine-readable word: `ok`, `uncertain`, `not_music`, `silent`, `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Uncertain => "uncertain",
            Status::NotMusic => "not_music",
            Status::Silent => "silent",
            Status::Error => "error",
        }
    }

    /// The words for people: `not_music` reads "not music".
    pub fn describe(self) -> &'static str {
        match self {
            Status::NotMusic => "not music",
            other => other.as_str(),
        }
    }

    /// Parses [`as_str`](Self::as_str)'s words.
    pub fn from_str_opt(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the result names genres (confidently or as a guess).
    pub fn has_genre(self) -> bool {
        matches!(self, Status::Ok | Status::Uncertain)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One answer: the status and the outputs behind it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    pub status: Status,
    /// Label index and probability of the most likely genre, when there
    /// were probabilities.
    pub top_genre: Option<(usize, f32)>,
    /// Label index and probability of the most likely "no genre" output,
    /// when the model has one and there were probabilities.
    pub top_no_genre: Option<(usize, f32)>,
}

impl Verdict {
    /// Nothing was classified: every window below the gate.
    pub const SILENT: Verdict = Verdict {
        status: Status::Silent,
        top_genre: None,
        top_no_genre: None,
    };
    /// The input could not be analysed.
    pub const ERROR: Verdict = Verdict {
        status: Status::Error,
        top_genre: None,
        top_no_genre: None,
    };

    /// The probability behind the status: the top genre's for `ok` and
    /// `uncertain`, the "no genre" output's for `not_music`.
    pub fn confidence(&self) -> Option<f32> {
        match self.status {
            Status::Ok | Status::Uncertain => self.top_genre.map(|(_, p)| p),
            Status::NotMusic => self.top_no_genre.map(|(_, p)| p),
            Status::Silent | Status::Error => None,
        }
    }
}

/// The card's decision rules, resolved to label indices once at load.
#[derive(Debug, Clone, PartialEq)]
pub struct Decider {
    /// Per label: a genre (`true`) or a "no genre" output (`false`).
    is_genre: Vec<bool>,
    /// Logits are divided by this before the softmax.
    temperature: f32,
    /// A top genre probability below this is uncertain.
    uncertain_threshold: f32,
}

impl Decider {
    /// Resolves `spec` against `labels` (a validated card guarantees they
    /// agree; a label the spec does not name counts as a genre). Allocates.
    pub fn new(spec: &DecisionSpec, labels: &[String]) -> Self {
        Self {
            is_genre: labels.iter().map(|l| !spec.no_genre.contains(l)).collect(),
            temperature: spec.temperature,
            uncertain_threshold: spec.uncertain_threshold,
        }
    }

    /// The card's rules (or the defaults of a card without them). Allocates.
    pub fn from_card(card: &ModelCard) -> Self {
        Self::new(&card.decision(), &card.labels)
    }

    /// Outputs per result.
    pub fn num_labels(&self) -> usize {
        self.is_genre.len()
    }

    /// Whether output `idx` is a genre (out-of-range indices are not).
    pub fn is_genre(&self, idx: usize) -> bool {
        self.is_genre.get(idx).copied().unwrap_or(false)
    }

    /// Whether the model has a "no genre" output at all.
    pub fn has_no_genre(&self) -> bool {
        self.is_genre.iter().any(|g| !g)
    }

    /// The calibration temperature.
    pub fn temperature(&self) -> f32 {
        self.temperature
    }

    /// The "uncertain" threshold.
    pub fn uncertain_threshold(&self) -> f32 {
        self.uncertain_threshold
    }

    /// The answer for one set of calibrated probabilities (a window, a
    /// smoothed "now", a file's mean). Wrong length or non-finite values
    /// give `error`; all-zero values (nothing classified yet) give `silent`.
    /// Never allocates.
    pub fn decide(&self, probabilities: &[f32]) -> Verdict {
        if probabilities.len() != self.is_genre.len()
            || probabilities.iter().any(|p| !p.is_finite() || *p < 0.0)
        {
            return Verdict::ERROR;
        }
        if probabilities.iter().all(|&p| p == 0.0) {
            return Verdict::SILENT;
        }
        let mut top_genre: Option<(usize, f32)> = None;
        let mut top_no_genre: Option<(usize, f32)> = None;
        for (idx, (&p, &genre)) in probabilities.iter().zip(&self.is_genre).enumerate() {
            let best = if genre {
                &mut top_genre
            } else {
                &mut top_no_genre
            };
            if best.is_none_or(|(_, q)| p > q) {
                *best = Some((idx, p));
            }
        }
        let genre_p = top_genre.map_or(0.0, |(_, p)| p);
        let status = match top_no_genre {
            Some((_, q)) if q > genre_p => Status::NotMusic,
            _ if genre_p < self.uncertain_threshold => Status::Uncertain,
            _ => Status::Ok,
        };
        Verdict {
            status,
            top_genre,
            top_no_genre,
        }
    }

    /// Genre indices and probabilities, most likely first; "no genre"
    /// outputs left out. Allocates.
    pub fn ranked_genres(&self, probabilities: &[f32]) -> Vec<(usize, f32)> {
        let mut ranked: Vec<(usize, f32)> = probabilities
            .iter()
            .copied()
            .enumerate()
            .filter(|&(idx, _)| self.is_genre(idx))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        ranked
    }
}

/// Windows combined into one estimate (see the module docs). Allocates in
/// `new` only; `push`, `reset` and `estimate_into` never allocate.
#[derive(Debug, Clone, PartialEq)]
pub struct Tally {
    /// Sum of the probabilities of the windows whose answer named a genre.
    music_sums: Vec<f64>,
    /// Windows whose answer named a genre (ok or uncertain).
    num_music: u64,
    /// Sum of the probabilities of the windows whose answer was `not_music`.
    no_genre_sums: Vec<f64>,
    /// Windows whose answer was `not_music`.
    num_no_genre: u64,
}

impl Tally {
    /// An empty tally for `num_labels` outputs. Allocates.
    pub fn new(num_labels: usize) -> Self {
        Self {
            music_sums: vec![0.0; num_labels],
            num_music: 0,
            no_genre_sums: vec![0.0; num_labels],
            num_no_genre: 0,
        }
    }

    /// Restores a tally from its parts (e.g. saved plugin state). `None`
    /// when the lengths differ, a sum is negative or not finite, or there
    /// are sums without windows.
    pub fn from_parts(
        music_sums: Vec<f64>,
        num_music: u64,
        no_genre_sums: Vec<f64>,
        num_no_genre: u64,
    ) -> Option<Self> {
        let valid = |sums: &[f64], n: u64| {
            sums.iter().all(|s| s.is_finite() && *s >= 0.0)
                && (n > 0 || sums.iter().all(|&s| s == 0.0))
        };
        (music_sums.len() == no_genre_sums.len()
            && valid(&music_sums, num_music)
            && valid(&no_genre_sums, num_no_genre))
        .then_some(Self {
            music_sums,
            num_music,
            no_genre_sums,
            num_no_genre,
        })
    }

    /// Forgets every window.
    pub fn reset(&mut self) {
        self.music_sums.fill(0.0);
        self.no_genre_sums.fill(0.0);
        self.num_music = 0;
        self.num_no_genre = 0;
    }

    /// Adds one classified window. Windows `decider` calls an error (wrong
    /// length, non-finite values) are ignored; returns the window's verdict.
    pub fn push(&mut self, probabilities: &[f32], decider: &Decider) -> Verdict {
        let verdict = decider.decide(probabilities);
        let (sums, n) = match verdict.status {
            Status::Ok | Status::Uncertain => (&mut self.music_sums, &mut self.num_music),
            Status::NotMusic => (&mut self.no_genre_sums, &mut self.num_no_genre),
            Status::Silent | Status::Error => return verdict,
        };
        if sums.len() != probabilities.len() {
            return Verdict::ERROR;
        }
        for (s, &p) in sums.iter_mut().zip(probabilities) {
            *s += f64::from(p);
        }
        *n += 1;
        verdict
    }

    /// Windows counted (music and not music).
    pub fn num_windows(&self) -> u64 {
        self.num_music + self.num_no_genre
    }

    /// Windows whose answer named a genre.
    pub fn num_music(&self) -> u64 {
        self.num_music
    }

    /// Windows whose answer was `not_music`.
    pub fn num_no_genre(&self) -> u64 {
        self.num_no_genre
    }

    /// Per-label sums over the music windows.
    pub fn music_sums(&self) -> &[f64] {
        &self.music_sums
    }

    /// Per-label sums over the `not_music` windows.
    pub fn no_genre_sums(&self) -> &[f64] {
        &self.no_genre_sums
    }

    /// Whether the windows that were not music are in the majority.
    pub fn is_mostly_not_music(&self) -> bool {
        self.num_no_genre > self.num_music
    }

    /// Writes the estimate (the mean of the majority kind's windows) into
    /// `out` and returns its verdict; zeros and `silent` when no window was
    /// counted. Only the first `min(out.len(), labels)` values are written.
    pub fn estimate_into(&self, decider: &Decider, out: &mut [f32]) -> Verdict {
        let (sums, n) = if self.is_mostly_not_music() {
            (&self.no_genre_sums, self.num_no_genre)
        } else {
            (&self.music_sums, self.num_music)
        };
        if n == 0 {
            out.fill(0.0);
            return Verdict::SILENT;
        }
        for (o, &s) in out.iter_mut().zip(sums) {
            *o = (s / n as f64) as f32;
        }
        if out.len() == sums.len() {
            decider.decide(out)
        } else {
            Verdict::ERROR
        }
    }

    /// The estimate and its verdict; `None` when no window was counted. Allocates.
    pub fn estimate(&self, decider: &Decider) -> Option<(Vec<f32>, Verdict)> {
        let mut out = vec![0.0; self.music_sums.len()];
        let verdict = self.estimate_into(decider, &mut out);
        (verdict.status != Status::Silent).then_some((out, verdict))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    /// Genres a, b, c and a `not_music` output, threshold 0.5.
    fn decider() -> Decider {
        let spec = DecisionSpec {
            genres: labels(&["a", "b", "c"]),
            no_genre: labels(&["not_music"]),
            temperature: 1.0,
            uncertain_threshold: 0.5,
            calibration: serde_json::Value::Null,
        };
        Decider::new(&spec, &labels(&["a", "b", "not_music", "c"]))
    }

    #[test]
    fn each_status_from_its_rule() {
        let d = decider();
        let ok = d.decide(&[0.7, 0.1, 0.1, 0.1]);
        assert_eq!(ok.status, Status::Ok);
        assert_eq!(ok.top_genre, Some((0, 0.7)));
        assert_eq!(ok.confidence(), Some(0.7));
        let unsure = d.decide(&[0.2, 0.3, 0.1, 0.4]);
        assert_eq!(unsure.status, Status::Uncertain);
        assert_eq!(unsure.top_genre, Some((3, 0.4)));
        let not_music = d.decide(&[0.1, 0.2, 0.6, 0.1]);
        assert_eq!(not_music.status, Status::NotMusic);
        assert_eq!(not_music.confidence(), Some(0.6));
        assert_eq!(not_music.top_genre, Some((1, 0.2)));
        // Exactly at the threshold is confident; a tie with not_music is music.
        assert_eq!(d.decide(&[0.5, 0.0, 0.0, 0.5]).status, Status::Ok);
        assert_eq!(d.decide(&[0.4, 0.1, 0.4, 0.1]).status, Status::Uncertain);
        assert_eq!(d.decide(&[0.0; 4]).status, Status::Silent);
        assert_eq!(d.decide(&[0.5, 0.5, f32::NAN, 0.0]).status, Status::Error);
        assert_eq!(d.decide(&[1.0, 0.0, 0.0]).status, Status::Error);
    }

    #[test]
    fn a_card_without_decision_never_says_not_music() {
        let names = labels(&["a", "b"]);
        let d = Decider::new(&DecisionSpec::default_for(&names), &names);
        assert!(!d.has_no_genre());
        assert_eq!(d.decide(&[0.9, 0.1]).status, Status::Ok);
        assert_eq!(d.decide(&[0.45, 0.55]).status, Status::Ok);
        assert_eq!(d.decide(&[0.499, 0.501]).status, Status::Ok);
        assert_eq!(d.decide(&[0.4, 0.3, 0.3]).status, Status::Error);
    }

    #[test]
    fn ranked_genres_leave_out_no_genre_outputs() {
        let d = decider();
        assert_eq!(
            d.ranked_genres(&[0.1, 0.2, 0.6, 0.1]),
            [(1, 0.2), (0, 0.1), (3, 0.1)]
        );
    }

    #[test]
    fn status_words_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::from_str_opt(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(Status::NotMusic.describe(), "not music");
        assert_eq!(Status::from_str_opt("maybe"), None);
    }

    #[test]
    fn a_spoken_intro_does_not_drag_the_song() {
        let d = decider();
        let mut t = Tally::new(4);
        for _ in 0..2 {
            assert_eq!(t.push(&[0.0, 0.0, 1.0, 0.0], &d).status, Status::NotMusic);
        }
        for _ in 0..6 {
            t.push(&[0.8, 0.1, 0.0, 0.1], &d);
        }
        let (mean, v) = t.estimate(&d).unwrap();
        assert_eq!(v.status, Status::Ok);
        assert_eq!(mean, [0.8, 0.1, 0.0, 0.1]);
        assert_eq!(
            (t.num_music(), t.num_no_genre(), t.num_windows()),
            (6, 2, 8)
        );
    }

    #[test]
    fn mostly_speech_is_not_music() {
        let d = decider();
        let mut t = Tally::new(4);
        t.push(&[0.9, 0.1, 0.0, 0.0], &d);
        for _ in 0..3 {
            t.push(&[0.1, 0.0, 0.8, 0.1], &d);
        }
        let (mean, v) = t.estimate(&d).unwrap();
        assert_eq!(v.status, Status::NotMusic);
        assert!((v.confidence().unwrap() - 0.8).abs() < 1e-6, "{mean:?}");
        // A tie goes to music.
        let mut tie = Tally::new(4);
        tie.push(&[0.9, 0.1, 0.0, 0.0], &d);
        tie.push(&[0.1, 0.0, 0.8, 0.1], &d);
        assert_eq!(tie.estimate(&d).unwrap().1.status, Status::Ok);
    }

    #[test]
    fn disagreeing_windows_average_to_uncertain() {
        let d = decider();
        let mut t = Tally::new(4);
        t.push(&[0.9, 0.1, 0.0, 0.0], &d);
        t.push(&[0.1, 0.9, 0.0, 0.0], &d);
        t.push(&[0.2, 0.1, 0.0, 0.7], &d);
        let (_, v) = t.estimate(&d).unwrap();
        assert_eq!(v.status, Status::Uncertain);
    }

    #[test]
    fn empty_bad_and_restored_tallies() {
        let d = decider();
        let mut t = Tally::new(4);
        assert!(t.estimate(&d).is_none());
        let mut out = [1.0; 4];
        assert_eq!(t.estimate_into(&d, &mut out).status, Status::Silent);
        assert_eq!(out, [0.0; 4]);
        assert_eq!(t.push(&[f32::NAN; 4], &d).status, Status::Error);
        assert_eq!(t.push(&[0.5; 3], &d).status, Status::Error);
        assert_eq!(t.num_windows(), 0);
        t.push(&[0.9, 0.1, 0.0, 0.0], &d);
        let again = Tally::from_parts(
            t.music_sums().to_vec(),
            t.num_music(),
            t.no_genre_sums().to_vec(),
            t.num_no_genre(),
        )
        .unwrap();
        assert_eq!(again, t);
        assert!(Tally::from_parts(vec![1.0; 4], 0, vec![0.0; 4], 0).is_none());
        assert!(Tally::from_parts(vec![-1.0; 4], 1, vec![0.0; 4], 0).is_none());
        assert!(Tally::from_parts(vec![0.0; 4], 1, vec![0.0; 3], 0).is_none());
        t.reset();
        assert_eq!(t, Tally::new(4));
    }
}
