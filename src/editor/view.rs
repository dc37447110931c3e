//! What the editor says, decided apart from how it is drawn: the headline
//! (which estimate, which status, which colour) and what each timeline
//! entry shows. Pure functions of a [`Snapshot`], so they are tested
//! without a window.

use egui::Color32;
use genre_core::verdict::{Status, Verdict};

use super::palette::{NEUTRAL, TEXT_WEAK, label_color, muted};
use crate::params::EntryKind;
use crate::worker::{Activity, Snapshot};

/// Which estimate the headline shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The "now" estimate, smoothed over the Response time.
    Now,
    /// The track so far, while nothing is playing.
    TrackSoFar,
    /// The track so far saved with the project, before any live estimate.
    Saved,
}

/// What the headline says.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// A confident genre: label index and calibrated probability.
    Genre { idx: usize, probability: f32 },
    /// The top genre is below the card's threshold: the two leading genres
    /// (the second may be missing for a one-genre model).
    Uncertain {
        first: (usize, f32),
        second: Option<(usize, f32)>,
    },
    /// The model's "no genre" output wins, with this probability.
    NotMusic { probability: f32 },
    /// The latest window was below the gate.
    Silent,
    /// Collecting the first window; seconds still needed.
    WarmingUp { seconds: f32 },
    /// Nothing is analysed and there is no estimate to show.
    Paused,
    /// The plugin is bypassed and there is no estimate to show.
    Bypassed,
    /// No worker runs yet, or the model is loading.
    Waiting,
    /// The model or the input cannot be analysed.
    Error(String),
}

/// The headline: a message, which estimate it comes from (when it shows
/// one) and the line under it.
#[derive(Debug, Clone, PartialEq)]
pub struct Headline {
    pub message: Message,
    pub source: Option<Source>,
    /// Says which estimate this is, or why there is none.
    pub caption: String,
}

impl Headline {
    /// The big words.
    pub fn title(&self, labels: &[String]) -> String {
        match &self.message {
            Message::Genre { idx, .. } => label(labels, *idx).to_uppercase(),
            Message::Uncertain { .. } => "uncertain".to_owned(),
            Message::NotMusic { .. } => "not music".to_owned(),
            Message::Silent => "silent".to_owned(),
            Message::WarmingUp { .. } => "warming up".to_owned(),
            Message::Paused => "stopped".to_owned(),
            Message::Bypassed => "bypassed".to_owned(),
            Message::Waiting => "no estimate yet".to_owned(),
            Message::Error(_) => "cannot analyse".to_owned(),
        }
    }

    /// The words beside the title: the probability, or the leading genres.
    pub fn detail(&self, labels: &[String]) -> String {
        match &self.message {
            Message::Genre { probability, .. } | Message::NotMusic { probability } => {
                percent(*probability)
            }
            Message::Uncertain { first, second } => {
                let mut text = format!("{} {}", label(labels, first.0), percent(first.1));
                if let Some((idx, p)) = second {
                    text.push_str(&format!(" · {} {}", label(labels, *idx), percent(*p)));
                }
                text
            }
            Message::WarmingUp { seconds } => {
                format!("{:.0} s until the first estimate", seconds.ceil())
            }
            Message::Error(message) => message.clone(),
            Message::Silent | Message::Paused | Message::Bypassed | Message::Waiting => {
                String::new()
            }
        }
    }

    /// The title's colour: the genre's for a confident answer, a muted one
    /// for a guess, neutral for everything else.
    pub fn color(&self, num_labels: usize) -> Color32 {
        match &self.message {
            Message::Genre { idx, .. } => label_color(*idx, num_labels),
            Message::Uncertain { first, .. } => muted(label_color(first.0, num_labels)),
            Message::NotMusic { .. } => NEUTRAL,
            Message::Error(_) => super::palette::WARNING,
            _ => TEXT_WEAK,
        }
    }

    /// The probability behind the answer (drawn as the confidence meter).
    pub fn confidence(&self) -> Option<f32> {
        match &self.message {
            Message::Genre { probability, .. } | Message::NotMusic { probability } => {
                Some(*probability)
            }
            Message::Uncertain { first, .. } => Some(first.1),
            _ => None,
        }
    }

    /// The status word of what is shown, when it is an estimate's.
    pub fn status(&self) -> Option<Status> {
        match &self.message {
            Message::Genre { .. } => Some(Status::Ok),
            Message::Uncertain { .. } => Some(Status::Uncertain),
            Message::NotMusic { .. } => Some(Status::NotMusic),
            Message::Silent => Some(Status::Silent),
            Message::Error(_) => Some(Status::Error),
            _ => None,
        }
    }
}

/// The headline for `snapshot` (`is_bypassed`: the Bypass parameter).
///
/// The live "now" estimate when there is one; while nothing plays (stopped,
/// bypassed) or before the first live estimate, the track so far, marked as
/// such (and as saved with the project when it is); otherwise what the
/// analysis is doing.
pub fn headline(snapshot: &Snapshot, is_bypassed: bool) -> Headline {
    let response = format!("smoothed over about {:.0} s", snapshot.response_s);
    let track_len = super::format_duration(snapshot.track_num_windows as f32 * snapshot.hop_s);
    let track_of = if snapshot.follows_song {
        "of the song"
    } else {
        "heard"
    };
    let track_what = if snapshot.follows_song {
        format!("{track_len} of the song, each part counted once")
    } else {
        format!("{track_len} heard")
    };
    match &snapshot.activity {
        Activity::ModelError(message) | Activity::InputError(message) => {
            return Headline {
                message: Message::Error(message.clone()),
                source: None,
                caption: "the audio still passes through untouched".to_owned(),
            };
        }
        Activity::Inactive | Activity::LoadingModel if !snapshot.track_restored => {
            return Headline {
                message: Message::Waiting,
                source: None,
                caption: if snapshot.activity == Activity::LoadingModel {
                    "loading the model".to_owned()
                } else {
                    "the host is not running audio".to_owned()
                },
            };
        }
        _ => {}
    }
    let is_live = snapshot.is_playing && !is_bypassed;
    if is_live
        && let Some(verdict) = snapshot.now_verdict
        && verdict.status != Status::Error
    {
        return Headline {
            message: message_of(&verdict, &snapshot.now, snapshot),
            source: Some(Source::Now),
            caption: match verdict.status {
                Status::Silent => "now: below the gate, nothing to classify".to_owned(),
                _ => format!("now, {response}"),
            },
        };
    }
    let has_track = snapshot.track_verdict.status.has_genre()
        || snapshot.track_verdict.status == Status::NotMusic;
    if has_track {
        let (source, caption) = if snapshot.track_restored {
            (
                Source::Saved,
                format!(
                    "saved with the project: track so far, {track_len} {track_of}; no live estimate yet"
                ),
            )
        } else if is_bypassed {
            (
                Source::TrackSoFar,
                format!("track so far ({track_what}); bypassed"),
            )
        } else if !snapshot.is_playing {
            (
                Source::TrackSoFar,
                format!("track so far ({track_what}); stopped"),
            )
        } else {
            (
                Source::TrackSoFar,
                format!("track so far ({track_what}); no live estimate yet"),
            )
        };
        return Headline {
            message: message_of(&snapshot.track_verdict, &snapshot.track, snapshot),
            source: Some(source),
            caption,
        };
    }
    let (message, caption) = if is_bypassed {
        (
            Message::Bypassed,
            "nothing is analysed while bypassed".to_owned(),
        )
    } else if !snapshot.is_playing {
        (
            Message::Paused,
            "the transport is stopped: nothing is analysed".to_owned(),
        )
    } else {
        match snapshot.activity {
            Activity::WarmingUp(seconds) => (
                Message::WarmingUp { seconds },
                "collecting the first 3 s window".to_owned(),
            ),
            _ => (Message::Waiting, "waiting for audio".to_owned()),
        }
    };
    Headline {
        message,
        source: None,
        caption,
    }
}

/// The message for an estimate and its verdict.
fn message_of(verdict: &Verdict, probabilities: &[f32], snapshot: &Snapshot) -> Message {
    match verdict.status {
        Status::Ok => match verdict.top_genre {
            Some((idx, probability)) => Message::Genre { idx, probability },
            None => Message::Waiting,
        },
        Status::Uncertain => {
            let ranked = match &snapshot.decider {
                Some(decider) => decider.ranked_genres(probabilities),
                None => Vec::new(),
            };
            match (verdict.top_genre, ranked.get(1).copied()) {
                (Some(first), second) => Message::Uncertain { first, second },
                (None, _) => Message::Waiting,
            }
        }
        Status::NotMusic => Message::NotMusic {
            probability: verdict.confidence().unwrap_or(0.0),
        },
        Status::Silent => Message::Silent,
        Status::Error => Message::Error("the model's outputs are not probabilities".to_owned()),
    }
}

/// What one timeline entry shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell {
    /// Not played (a song timeline's gap): nothing drawn.
    Empty,
    /// Below the gate.
    Silent,
    /// Only partly music (audio starting, stopping or jumping inside it):
    /// not classified, not a genre cell.
    PartlySilent,
    /// The model failed.
    Failed,
    /// Classified: the window's own answer and its top genre.
    Classified {
        status: Status,
        top: usize,
        probability: f32,
    },
}

/// What entry `pos` of the snapshot's timeline shows.
pub fn cell(snapshot: &Snapshot, pos: usize) -> Cell {
    let num_labels = snapshot.labels.len();
    let Some(kind) = snapshot.timeline_kinds.get(pos) else {
        return Cell::Empty;
    };
    match kind {
        EntryKind::Empty => Cell::Empty,
        EntryKind::Silent => Cell::Silent,
        EntryKind::PartlySilent => Cell::PartlySilent,
        EntryKind::Failed => Cell::Failed,
        EntryKind::Classified => {
            let Some(bytes) = snapshot
                .timeline
                .get(pos * num_labels..(pos + 1) * num_labels)
            else {
                return Cell::Empty;
            };
            let mut probabilities = [0.0f32; MAX_CELL_LABELS];
            let n = num_labels.min(MAX_CELL_LABELS);
            for (p, &b) in probabilities.iter_mut().zip(bytes) {
                *p = f32::from(b) / 255.0;
            }
            let verdict = match &snapshot.decider {
                Some(decider) if n == num_labels => decider.decide(&probabilities[..n]),
                _ => return Cell::Empty,
            };
            match verdict.status {
                Status::Ok | Status::Uncertain | Status::NotMusic => {
                    let (top, probability) = match verdict.status {
                        Status::NotMusic => verdict.top_no_genre.unwrap_or((0, 0.0)),
                        _ => verdict.top_genre.unwrap_or((0, 0.0)),
                    };
                    Cell::Classified {
                        status: verdict.status,
                        top,
                        probability,
                    }
                }
                // All-zero bytes (every probability under 1/510).
                Status::Silent | Status::Error => Cell::Failed,
            }
        }
    }
}

/// Most labels a timeline cell is decided for (more are drawn, not decided).
const MAX_CELL_LABELS: usize = 64;

/// The label's name, or a placeholder for a bad index.
fn label(labels: &[String], idx: usize) -> &str {
    labels.get(idx).map_or("?", String::as_str)
}

/// "87 %".
pub fn percent(probability: f32) -> String {
    format!("{:.0} %", probability * 100.0)
}

#[cfg(test)]
mod tests {
    use genre_core::card::DecisionSpec;
    use genre_core::verdict::Decider;

    use super::*;

    fn labels() -> Vec<String> {
        ["blues", "metal", "rock", "not_music"]
            .map(String::from)
            .to_vec()
    }

    /// Genres blues, metal, rock and a `not_music` output; threshold 0.5.
    fn snapshot() -> Snapshot {
        let labels = labels();
        let spec = DecisionSpec {
            genres: labels[..3].to_vec(),
            no_genre: vec!["not_music".to_owned()],
            temperature: 1.0,
            uncertain_threshold: 0.5,
            calibration: serde_json::Value::Null,
        };
        Snapshot {
            activity: Activity::Listening,
            decider: Some(Decider::new(&spec, &labels)),
            labels,
            response_s: 10.0,
            is_playing: true,
            hop_s: 1.0,
            track_verdict: Verdict::SILENT,
            ..Snapshot::default()
        }
    }

    fn with_now(mut s: Snapshot, now: &[f32]) -> Snapshot {
        s.now = now.to_vec();
        s.now_verdict = Some(s.decider.as_ref().unwrap().decide(now));
        s
    }

    fn with_track(mut s: Snapshot, track: &[f32], restored: bool) -> Snapshot {
        s.track = track.to_vec();
        s.track_verdict = s.decider.as_ref().unwrap().decide(track);
        s.track_num_windows = 151;
        s.track_restored = restored;
        s
    }

    #[test]
    fn a_confident_now_is_the_genre_in_its_colour() {
        let s = with_now(snapshot(), &[0.05, 0.87, 0.05, 0.03]);
        let h = headline(&s, false);
        assert_eq!(
            h.message,
            Message::Genre {
                idx: 1,
                probability: 0.87
            }
        );
        assert_eq!(h.source, Some(Source::Now));
        assert_eq!(h.title(&s.labels), "METAL");
        assert_eq!(h.detail(&s.labels), "87 %");
        assert_eq!(h.caption, "now, smoothed over about 10 s");
        assert_eq!(h.color(4), label_color(1, 4));
        assert_eq!(h.status(), Some(Status::Ok));
        assert_eq!(h.confidence(), Some(0.87));
    }

    #[test]
    fn an_uncertain_now_is_muted_and_names_two_genres() {
        let s = with_now(snapshot(), &[0.28, 0.20, 0.33, 0.19]);
        let h = headline(&s, false);
        assert_eq!(
            h.message,
            Message::Uncertain {
                first: (2, 0.33),
                second: Some((0, 0.28))
            }
        );
        assert_eq!(h.title(&s.labels), "uncertain");
        assert_eq!(h.detail(&s.labels), "rock 33 % · blues 28 %");
        assert_eq!(h.color(4), muted(label_color(2, 4)));
        assert_ne!(h.color(4), label_color(2, 4));
        assert_eq!(h.status(), Some(Status::Uncertain));
    }

    #[test]
    fn not_music_and_silent_say_so() {
        let s = with_now(snapshot(), &[0.1, 0.1, 0.1, 0.7]);
        let h = headline(&s, false);
        assert_eq!(h.message, Message::NotMusic { probability: 0.7 });
        assert_eq!(h.title(&s.labels), "not music");
        assert_eq!(h.color(4), NEUTRAL);
        let mut s = snapshot();
        s.now_verdict = Some(Verdict::SILENT);
        s.activity = Activity::Silent;
        let h = headline(&s, false);
        assert_eq!(
            (h.message.clone(), h.source),
            (Message::Silent, Some(Source::Now))
        );
        assert_eq!(h.title(&s.labels), "silent");
        assert_eq!(h.color(4), TEXT_WEAK);
    }

    #[test]
    fn warming_up_without_a_track_says_how_long() {
        let mut s = snapshot();
        s.activity = Activity::WarmingUp(2.2);
        let h = headline(&s, false);
        assert_eq!(h.message, Message::WarmingUp { seconds: 2.2 });
        assert_eq!(h.title(&s.labels), "warming up");
        assert_eq!(h.detail(&s.labels), "3 s until the first estimate");
        assert_eq!(h.source, None);
    }

    #[test]
    fn a_saved_track_heads_until_a_live_estimate_exists() {
        let mut s = with_track(snapshot(), &[0.05, 0.87, 0.05, 0.03], true);
        s.activity = Activity::WarmingUp(3.0);
        s.follows_song = true;
        let h = headline(&s, false);
        assert_eq!(
            h.message,
            Message::Genre {
                idx: 1,
                probability: 0.87
            }
        );
        assert_eq!(h.source, Some(Source::Saved));
        assert!(
            h.caption.contains("saved with the project"),
            "{}",
            h.caption
        );
        assert!(h.caption.contains("2:31 of the song"), "{}", h.caption);
        // Before the worker runs, too.
        s.activity = Activity::Inactive;
        assert_eq!(headline(&s, false).source, Some(Source::Saved));
        // A live estimate takes over.
        let s = with_now(s, &[0.1, 0.2, 0.6, 0.1]);
        let h = headline(&s, false);
        assert_eq!(
            (h.source, h.title(&s.labels)),
            (Some(Source::Now), "ROCK".into())
        );
    }

    #[test]
    fn stopped_or_bypassed_shows_the_track_so_far() {
        let s = with_track(
            with_now(snapshot(), &[0.1, 0.2, 0.6, 0.1]),
            &[0.3, 0.4, 0.2, 0.1],
            false,
        );
        let mut stopped = s.clone();
        stopped.is_playing = false;
        stopped.activity = Activity::Paused;
        let h = headline(&stopped, false);
        assert_eq!(h.source, Some(Source::TrackSoFar));
        assert!(
            matches!(h.message, Message::Uncertain { first: (1, _), .. }),
            "{h:?}"
        );
        assert!(h.caption.ends_with("stopped"), "{}", h.caption);
        let h = headline(&s, true);
        assert_eq!(h.source, Some(Source::TrackSoFar));
        assert!(h.caption.ends_with("bypassed"), "{}", h.caption);
        // Nothing to show at all.
        let mut empty = snapshot();
        empty.is_playing = false;
        assert_eq!(headline(&empty, false).message, Message::Paused);
        assert_eq!(headline(&snapshot(), true).message, Message::Bypassed);
    }

    #[test]
    fn errors_win() {
        let mut s = with_now(snapshot(), &[0.05, 0.87, 0.05, 0.03]);
        s.activity = Activity::ModelError("tract failed".into());
        let h = headline(&s, false);
        assert_eq!(h.message, Message::Error("tract failed".into()));
        assert_eq!(h.status(), Some(Status::Error));
    }

    #[test]
    fn timeline_cells_by_kind_and_verdict() {
        let mut s = snapshot();
        s.timeline_kinds = vec![
            EntryKind::Classified,
            EntryKind::Classified,
            EntryKind::Classified,
            EntryKind::Silent,
            EntryKind::PartlySilent,
            EntryKind::Empty,
            EntryKind::Failed,
        ];
        s.timeline = [
            [13, 230, 8, 4],   // metal, confident
            [70, 60, 80, 45],  // rock, uncertain
            [20, 20, 20, 195], // not music
            [0, 0, 0, 0],
            [0, 0, 0, 0],
            [0, 0, 0, 0],
            [0, 0, 0, 0],
        ]
        .concat();
        let cells: Vec<Cell> = (0..8).map(|k| cell(&s, k)).collect();
        assert!(matches!(
            cells[0],
            Cell::Classified { status: Status::Ok, top: 1, probability } if (probability - 230.0 / 255.0).abs() < 1e-6
        ));
        assert!(matches!(
            cells[1],
            Cell::Classified {
                status: Status::Uncertain,
                top: 2,
                ..
            }
        ));
        assert!(matches!(
            cells[2],
            Cell::Classified {
                status: Status::NotMusic,
                top: 3,
                ..
            }
        ));
        assert_eq!(
            cells[3..],
            [
                Cell::Silent,
                Cell::PartlySilent,
                Cell::Empty,
                Cell::Failed,
                Cell::Empty
            ]
        );
    }
}
