//! How results read: text for people, JSON Lines and CSV for programs.
//!
//! Every result, a file's and (with `--timeline`) each window's, carries one
//! status word from [`Status`]: `ok`, `uncertain`, `not_music`, `silent` or
//! `error`, the same in every format. Genre lists never include "no genre"
//! outputs; JSON and CSV still carry every output's probability.

use std::path::Path;

use genre_core::report::{FileEstimate, WindowEstimate};
use genre_core::verdict::{Decider, Status, Verdict};
use serde_json::{Value, json};

/// What every record needs besides its own data.
pub struct Context<'a> {
    /// Output names, in the model's order.
    pub labels: &'a [String],
    /// The card's decision rules.
    pub decider: &'a Decider,
    /// Genres shown per result in text.
    pub top: usize,
    /// Whether windows are reported.
    pub timeline: bool,
    /// Seconds between window starts actually used (whole frames).
    pub hop_s: f64,
    /// Seconds of audio one window covers.
    pub window_s: f64,
}

/// A probability for people: whole percents, and `<1%` / `>99%` rather than
/// a rounded 0 % or 100 % that the model did not say.
pub fn percent(p: f32) -> String {
    let x = 100.0 * p;
    if x > 0.0 && x < 0.5 {
        "<1%".into()
    } else if (99.5..100.0).contains(&x) {
        ">99%".into()
    } else {
        format!("{x:.0}%")
    }
}

/// A duration for people, at the precision every message uses for windows
/// and hops (`3.09 s`).
pub fn seconds(s: f64) -> String {
    format!("{s:.2} s")
}

/// `n thing` or `n things`.
fn count(n: u64, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

impl Context<'_> {
    /// `rock 71% · metal 18% · blues 4%`: the leading genres, no "no genre" output.
    fn genre_list(&self, probabilities: &[f32]) -> String {
        self.decider
            .ranked_genres(probabilities)
            .into_iter()
            .take(self.top)
            .map(|(i, p)| format!("{} {}", self.labels[i], percent(p)))
            .collect::<Vec<_>>()
            .join(" · ")
    }

    /// The answer of a classified result (file or window), in words.
    fn answer(&self, verdict: &Verdict, probabilities: &[f32]) -> String {
        match verdict.status {
            Status::Ok => self.genre_list(probabilities),
            Status::Uncertain => format!("uncertain — {}", self.genre_list(probabilities)),
            Status::NotMusic => format!(
                "not music ({})",
                percent(verdict.confidence().unwrap_or(0.0))
            ),
            Status::Silent => "silent".into(),
            Status::Error => "error (the model's outputs are not probabilities)".into(),
        }
    }

    /// A file's text: one line, and one more per window with `--timeline`.
    pub fn file_text(&self, estimate: &FileEstimate) -> String {
        let file = estimate.path.display();
        let note = self.left_out_note(estimate);
        let mut text = match (&estimate.probabilities, estimate.status()) {
            (None, _) => format!("{file}: silent ({})\n", silent_reason(estimate)),
            // `not music (92%; 2 of 12 classified windows music, left out)`
            (Some(_), Status::NotMusic) => format!(
                "{file}: not music ({}{})\n",
                percent(estimate.verdict.confidence().unwrap_or(0.0)),
                note.map_or(String::new(), |n| format!("; {n}"))
            ),
            (Some(p), _) => {
                let answer = self.answer(&estimate.verdict, p);
                match note {
                    Some(note) => format!("{file}: {answer} ({note})\n"),
                    None => format!("{file}: {answer}\n"),
                }
            }
        };
        if self.timeline {
            for w in &estimate.timeline {
                text.push_str(&self.window_text(w));
            }
        }
        text
    }

    /// Windows whose kind lost the vote: they are not in the file's estimate.
    fn left_out_note(&self, estimate: &FileEstimate) -> Option<String> {
        let stats = &estimate.stats;
        let num_classified = stats.num_windows - stats.num_silent;
        let num_not_music = estimate.num_not_music_windows;
        let num_music = num_classified.saturating_sub(num_not_music);
        match estimate.status() {
            Status::Ok | Status::Uncertain if num_not_music > 0 => Some(format!(
                "{num_not_music} of {} not music, left out",
                count(num_classified, "classified window")
            )),
            Status::NotMusic if num_music > 0 => Some(format!(
                "{num_music} of {} music, left out",
                count(num_classified, "classified window")
            )),
            _ => None,
        }
    }

    /// `      1.51–4.60 s  metal 83% · blues 9% · rock 7%`: the audio the
    /// window covers (real start times: the hop is whole frames) and its answer.
    fn window_text(&self, w: &WindowEstimate) -> String {
        let answer = match &w.probabilities {
            Some(p) => self.answer(&w.verdict, p),
            None if w.partly_silent => format!("silent (partly, {:.0} dB)", w.level_db),
            None => format!("silent ({:.0} dB)", w.level_db),
        };
        let span = format!("{:.2}–{:.2} s", w.start_s, w.start_s + self.window_s);
        format!("  {span:>15}  {answer}\n")
    }

    /// Label and probability of the genre a verdict names (`ok`, `uncertain`).
    fn named_genre(&self, verdict: &Verdict) -> (Value, Value) {
        match verdict.top_genre {
            Some((i, p)) if verdict.status.has_genre() => (json!(self.labels[i]), json!(p)),
            _ => (Value::Null, Value::Null),
        }
    }

    fn probability_map(&self, probabilities: Option<&[f32]>) -> Value {
        probabilities.map_or(Value::Null, |p| {
            self.labels
                .iter()
                .zip(p)
                .map(|(l, &p)| (l.clone(), json!(p)))
                .collect::<serde_json::Map<_, _>>()
                .into()
        })
    }

    /// A file's JSON record (one line of JSON Lines).
    pub fn file_json(&self, estimate: &FileEstimate) -> Value {
        let stats = &estimate.stats;
        let (top, probability) = self.named_genre(&estimate.verdict);
        let mut record = json!({
            "file": estimate.path.display().to_string(),
            "status": estimate.status().as_str(),
            "top": top,
            "probability": probability,
            "confidence": estimate.verdict.confidence(),
            "probabilities": self.probability_map(estimate.probabilities.as_deref()),
            "duration_s": stats.duration_s,
            "windows": stats.num_windows,
            "silent_windows": stats.num_silent,
            "partly_silent_windows": stats.num_partly_silent,
            "not_music_windows": estimate.num_not_music_windows,
            "hop_s": self.hop_s,
            "window_s": self.window_s,
            "warnings": estimate.warnings,
            "error": null,
        });
        if self.timeline {
            record["timeline"] = estimate
                .timeline
                .iter()
                .map(|w| self.window_json(w))
                .collect();
        }
        record
    }

    fn window_json(&self, w: &WindowEstimate) -> Value {
        let (top, probability) = self.named_genre(&w.verdict);
        json!({
            "start_s": w.start_s,
            "level_db": w.level_db,
            "status": w.verdict.status.as_str(),
            "top": top,
            "probability": probability,
            "confidence": w.verdict.confidence(),
            "partly_silent": w.partly_silent,
            "probabilities": self.probability_map(w.probabilities.as_deref()),
        })
    }

    /// The JSON record of a file that could not be analysed: the same keys, null.
    pub fn error_json(&self, path: &Path, reason: &str) -> Value {
        let mut record = json!({
            "file": path.display().to_string(),
            "status": Status::Error.as_str(),
            "top": null,
            "probability": null,
            "confidence": null,
            "probabilities": null,
            "duration_s": null,
            "windows": null,
            "silent_windows": null,
            "partly_silent_windows": null,
            "not_music_windows": null,
            "hop_s": self.hop_s,
            "window_s": self.window_s,
            "warnings": [],
            "error": reason,
        });
        if self.timeline {
            record["timeline"] = json!([]);
        }
        record
    }

    /// The CSV header: per file, or per window with `--timeline`.
    pub fn csv_header(&self) -> Vec<String> {
        let mut header: Vec<String> = if self.timeline {
            vec!["file".into(), "start_s".into(), "level_db".into()]
        } else {
            vec!["file".into()]
        };
        header.extend(["status", "top", "probability", "confidence"].map(String::from));
        header.extend(self.labels.iter().cloned());
        if self.timeline {
            header.extend(["partly_silent", "error"].map(String::from));
        } else {
            header.extend(
                [
                    "duration_s",
                    "windows",
                    "silent_windows",
                    "partly_silent_windows",
                    "not_music_windows",
                    "warnings",
                    "error",
                ]
                .map(String::from),
            );
        }
        header
    }

    /// status, top, probability, confidence and one column per output.
    fn csv_answer(&self, verdict: &Verdict, probabilities: Option<&[f32]>) -> Vec<String> {
        let (top, probability) = match verdict.top_genre {
            Some((i, p)) if verdict.status.has_genre() => {
                (self.labels[i].clone(), format!("{p:.4}"))
            }
            _ => (String::new(), String::new()),
        };
        let confidence = verdict
            .confidence()
            .map_or(String::new(), |c| format!("{c:.4}"));
        let mut fields = vec![
            verdict.status.as_str().to_owned(),
            top,
            probability,
            confidence,
        ];
        match probabilities {
            Some(p) => fields.extend(p.iter().map(|v| format!("{v:.4}"))),
            None => fields.extend(std::iter::repeat_n(String::new(), self.labels.len())),
        }
        fields
    }

    /// A file's CSV rows: one, or one per window with `--timeline`.
    pub fn file_csv(&self, estimate: &FileEstimate) -> Vec<Vec<String>> {
        let file = estimate.path.display().to_string();
        if self.timeline {
            return estimate
                .timeline
                .iter()
                .map(|w| {
                    let mut row = vec![
                        file.clone(),
                        format!("{:.3}", w.start_s),
                        format!("{:.1}", w.level_db),
                    ];
                    row.extend(self.csv_answer(&w.verdict, w.probabilities.as_deref()));
                    row.extend([w.partly_silent.to_string(), String::new()]);
                    row
                })
                .collect();
        }
        let stats = &estimate.stats;
        let mut row = vec![file];
        row.extend(self.csv_answer(&estimate.verdict, estimate.probabilities.as_deref()));
        row.extend([
            format!("{:.3}", stats.duration_s),
            stats.num_windows.to_string(),
            stats.num_silent.to_string(),
            stats.num_partly_silent.to_string(),
            estimate.num_not_music_windows.to_string(),
            estimate.warnings.join("; "),
            String::new(),
        ]);
        vec![row]
    }

    /// The CSV row of a file that could not be analysed.
    pub fn error_csv(&self, path: &Path, reason: &str) -> Vec<String> {
        let mut row = vec![path.display().to_string()];
        if self.timeline {
            row.extend([String::new(), String::new()]);
        }
        row.extend(self.csv_answer(&Verdict::ERROR, None));
        let num_empty = if self.timeline { 1 } else { 6 };
        row.extend(std::iter::repeat_n(String::new(), num_empty));
        row.push(reason.to_owned());
        row
    }
}

/// Why a file has no estimate: `12.0 s, all 8 windows below the gate`.
fn silent_reason(estimate: &FileEstimate) -> String {
    let stats = &estimate.stats;
    let duration = format!("{:.1} s", stats.duration_s);
    let num_partly = stats.num_partly_silent;
    let num_below = stats.num_silent - num_partly;
    match (stats.num_windows, num_partly) {
        (1, 0) => format!("{duration}, its one window below the gate"),
        (1, _) => format!("{duration}, its one window partly silent"),
        (n, 0) => format!("{duration}, all {n} windows below the gate"),
        (n, _) => format!(
            "{duration}, {n} windows: {num_below} below the gate, {num_partly} partly silent"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percents_are_whole_and_never_round_to_a_certainty() {
        assert_eq!(percent(0.929), "93%");
        assert_eq!(percent(0.046), "5%");
        assert_eq!(percent(0.004), "<1%");
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(0.996), ">99%");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(percent(0.5), "50%");
    }
}
