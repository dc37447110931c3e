//! The analysis worker: one thread per activated plugin instance.
//!
//! The tap (audio thread) fills a ring with mono samples and a queue with
//! [`Mark`]s saying where they sit in the host's song; the worker polls both
//! every [`POLL_INTERVAL`], sleeping in between, and feeds them to
//! [`AnalysisCore`]: resampling, mel frames and, once per hop (≈ 1 s), the
//! CNN on the last 3 s unless that window is silent or only partly music.
//! The core smooths the "now" estimate, counts the track so far (a
//! [`Tally`]) and keeps the [`Timeline`], which follows the song position
//! when the host reports one and is a listening history otherwise. After
//! every window the worker copies the track state into the persisted
//! parameters field; while the editor is open it publishes a [`Snapshot`]
//! through a triple buffer and asks for a repaint.
//!
//! The worker is started in `activate()` and stopped (and joined) in
//! `deactivate()` or when the plugin is dropped; before it exits it analyses
//! whatever is still in the ring, so nothing that reached the ring is lost.
//! Every mark takes effect exactly at its ring position, however far behind
//! the worker is. The model is loaded once per process and shared by every
//! instance.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use genre_core::analyzer::{Analyzer, AnalyzerConfig, Window};
use genre_core::model::Classifier;
use genre_core::smoother::Smoother;
use genre_core::verdict::{Decider, Tally, Verdict};
use nice_plug_egui::EguiEditorState;
use nice_plug_egui::RepaintNotifier;

use crate::params::{
    EntryKind, GenreMeterParams, MAX_SONG_ENTRIES, MAX_TIMELINE_ENTRIES, MODEL_LABELS,
    TRACK_STATE_VERSION, TrackState,
};
use crate::shared::Shared;
use crate::tap::{Event, Mark, POSITION_TOLERANCE};

mod timeline;

pub use timeline::Timeline;

/// How long the worker sleeps between looks at the ring.
pub const POLL_INTERVAL: Duration = Duration::from_millis(25);
/// Seconds between classified windows.
pub const HOP_S: f64 = 1.0;
/// Most samples taken from the ring at once (the analyzer's allocation-free chunk).
const MAX_PUSH_LEN: usize = 8192;

/// What the worker is doing, for the editor.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Activity {
    /// Not activated: no worker runs.
    #[default]
    Inactive,
    /// Building the model's plans (first activation in this process).
    LoadingModel,
    /// Collecting the first window since the stream (re)started; the value
    /// is seconds of audio still needed.
    WarmingUp(f32),
    /// The last window was classified (or was only partly music).
    Listening,
    /// The last window was below the gate, so it was not classified.
    Silent,
    /// No audio is analysed: the host's transport is stopped or the plugin
    /// is bypassed.
    Paused,
    /// The model could not be loaded or run; audio still passes.
    ModelError(String),
    /// The host's configuration cannot be analysed (for example its sample rate).
    InputError(String),
}

/// Everything the editor draws, published by the worker.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// What the worker is doing.
    pub activity: Activity,
    /// The model's labels; empty until the model is loaded.
    pub labels: Vec<String>,
    /// The card's decision rules; `None` until the model is loaded.
    pub decider: Option<Decider>,
    /// Smoothed "now" probabilities, one per label (zeros before the first estimate).
    pub now: Vec<f32>,
    /// The answer "now": `None` while there is no estimate since the stream
    /// (re)started, `silent` after a window below the gate.
    pub now_verdict: Option<Verdict>,
    /// The "now" estimate's time constant in seconds (the Response).
    pub response_s: f32,
    /// The track-so-far estimate (the [`Tally`]'s), one per label.
    pub track: Vec<f32>,
    /// The track so far's answer (`silent` when nothing was classified).
    pub track_verdict: Verdict,
    /// Windows behind `track`.
    pub track_num_windows: u64,
    /// Whether the track so far is a saved one no new window has changed.
    pub track_restored: bool,
    /// Whether the timeline follows the song position.
    pub follows_song: bool,
    /// Whether audio is being analysed (not stopped or bypassed).
    pub is_playing: bool,
    /// The song position the analysis has reached, in seconds, when
    /// following the song.
    pub position_s: Option<f64>,
    /// Timeline entries of `labels.len()` bytes each (probability × 255),
    /// in order.
    pub timeline: Vec<u8>,
    /// The kind of each timeline entry.
    pub timeline_kinds: Vec<EntryKind>,
    /// The song entry of the first timeline entry when following the song;
    /// entries dropped from the front of a history otherwise.
    pub timeline_first: u64,
    /// Seconds between timeline entries.
    pub hop_s: f32,
    /// Seconds of audio in one window.
    pub window_s: f32,
    /// The host's sample rate.
    pub host_rate_hz: f32,
    /// The model's sample rate.
    pub model_rate_hz: u32,
    /// Incremented on every publish.
    pub generation: u64,
}

impl Default for Snapshot {
    fn default() -> Self {
        Self {
            activity: Activity::default(),
            labels: Vec::new(),
            decider: None,
            now: Vec::new(),
            now_verdict: None,
            response_s: 0.0,
            track: Vec::new(),
            track_verdict: Verdict::SILENT,
            track_num_windows: 0,
            track_restored: false,
            follows_song: false,
            is_playing: false,
            position_s: None,
            timeline: Vec::new(),
            timeline_kinds: Vec::new(),
            timeline_first: 0,
            hop_s: 0.0,
            window_s: 0.0,
            host_rate_hz: 0.0,
            model_rate_hz: 0,
            generation: 0,
        }
    }
}

/// Loaded once per process; `None` until the first successful load.
static CLASSIFIER: Mutex<Option<Arc<Classifier>>> = Mutex::new(None);

/// The shipped model, loaded on first use and shared by every instance.
/// A failed load is retried on the next call (the next activation).
pub fn shared_classifier() -> Result<Arc<Classifier>, String> {
    let mut slot = CLASSIFIER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(classifier) = slot.as_ref() {
        return Ok(Arc::clone(classifier));
    }
    let classifier = Arc::new(Classifier::shipped().map_err(|e| e.to_string())?);
    let _ = MODEL_LABELS.set(classifier.labels().to_vec());
    *slot = Some(Arc::clone(&classifier));
    Ok(classifier)
}

/// The analysis itself, without a thread: samples and marks in, estimates
/// out. Allocates in [`AnalysisCore::new`]; after that only the
/// classifier's inference and a growing song timeline allocate.
pub struct AnalysisCore {
    /// The CNN, shared with other instances.
    classifier: Arc<Classifier>,
    /// Host-rate samples → gated windows.
    analyzer: Analyzer,
    /// What the windows added up to.
    results: Results,
    /// Seconds between windows (the analyzer's hop).
    hop_s: f64,
    /// Seconds of audio in a window.
    window_s: f64,
    /// The host's sample rate.
    host_rate_hz: f64,
    /// The song position of the stream's first sample (host samples), or
    /// `None` for free audio.
    origin: Option<i64>,
    /// Host samples pushed since the stream's first sample.
    num_stream_samples: u64,
    /// Whether samples are flowing (no [`Event::Stop`] since the last play).
    is_playing: bool,
}

/// The estimates, the timeline and the counters: everything a window changes.
struct Results {
    /// "Now".
    now: Smoother,
    /// The answer "now" (see [`Snapshot::now_verdict`]).
    now_verdict: Option<Verdict>,
    /// "Track so far". Following the song, it counts each song entry once:
    /// when an entry is replaced, it is counted again from the timeline.
    track: Tally,
    /// Whether `track` came from a saved state and nothing changed it since.
    track_restored: bool,
    /// The windows, placed in the song or in order (see [`Timeline`]).
    timeline: Timeline,
    /// One value per label; scratch for counting the track again.
    scratch: Vec<f32>,
    /// What the latest window was; `None` before the first window of the stream.
    last_window: Option<EntryKind>,
    /// The last inference error, cleared by the next success.
    error: Option<String>,
    /// Windows classified since creation.
    num_inferences: u64,
    /// Windows not classified (silent or partly music) since creation.
    num_silent_windows: u64,
}

/// Where a window sits, for the timeline.
#[derive(Debug, Clone, Copy)]
struct Place {
    /// The song position of the stream's first sample, in seconds (`None`: free audio).
    origin_s: Option<f64>,
    hop_s: f64,
    window_s: f64,
}

impl Place {
    /// The song entry of a window starting `start_s` into the stream: the
    /// one its centre falls in. `None` for free audio or before the song's start.
    fn song_entry(&self, start_s: f64) -> Option<u64> {
        let centre_s = self.origin_s? + start_s + 0.5 * self.window_s;
        (centre_s >= 0.0).then(|| (centre_s / self.hop_s).floor() as u64)
    }
}

impl Results {
    /// Classifies `window` (unless it is silent or only partly music) and
    /// records it.
    fn on_window(&mut self, classifier: &Classifier, window: &Window<'_>, place: Place) {
        let decider = classifier.decider();
        let (kind, probabilities) = if window.partly_silent {
            (EntryKind::PartlySilent, None)
        } else if window.silent {
            // A pause: "now" starts afresh when the music comes back.
            self.now.reset();
            self.now_verdict = Some(Verdict::SILENT);
            (EntryKind::Silent, None)
        } else {
            match classifier.probabilities(window.mel_db) {
                Ok(probabilities) => {
                    self.num_inferences += 1;
                    self.error = None;
                    self.now.push(&probabilities, place.hop_s);
                    self.now_verdict = Some(decider.decide(self.now.values()));
                    (EntryKind::Classified, Some(probabilities))
                }
                Err(e) => {
                    self.error = Some(e.to_string());
                    (EntryKind::Failed, None)
                }
            }
        };
        if matches!(kind, EntryKind::Silent | EntryKind::PartlySilent) {
            self.num_silent_windows += 1;
        }
        self.last_window = Some(kind);
        let values = probabilities.as_deref().unwrap_or(&[]);
        if !self.timeline.follows_song() {
            self.timeline.push(kind, values);
            if kind == EntryKind::Classified {
                self.track.push(values, decider);
                self.track_restored = false;
            }
            return;
        }
        let Some(idx) = place.song_entry(window.start_s) else {
            return;
        };
        match self.timeline.set(idx, kind, values) {
            Some(EntryKind::Classified) => self.count_track_again(decider),
            Some(_) if kind == EntryKind::Classified => {
                self.track.push(values, decider);
            }
            _ => return,
        }
        self.track_restored = false;
    }

    /// Counts the track so far again from the song timeline's entries.
    fn count_track_again(&mut self, decider: &Decider) {
        let Self {
            track,
            timeline,
            scratch,
            ..
        } = self;
        track.reset();
        timeline.for_each_classified(scratch, |probabilities| {
            track.push(probabilities, decider);
        });
    }
}

impl AnalysisCore {
    /// Builds the analyzer for `host_rate_hz`. Allocates.
    pub fn new(
        classifier: Arc<Classifier>,
        host_rate_hz: u32,
        gate_db: f32,
        time_constant_s: f64,
    ) -> genre_core::Result<Self> {
        let spec = classifier.card().features.clone();
        let hop_frames = (HOP_S / spec.frame_period_s()).round().max(1.0) as usize;
        let analyzer = Analyzer::new(
            &spec,
            host_rate_hz,
            AnalyzerConfig {
                hop_frames,
                gate_db,
            },
        )?;
        let num_labels = classifier.labels().len();
        Ok(Self {
            hop_s: hop_frames as f64 * spec.frame_period_s(),
            window_s: spec.window_duration_s(),
            host_rate_hz: f64::from(host_rate_hz),
            analyzer,
            results: Results {
                now: Smoother::new(num_labels, time_constant_s),
                now_verdict: None,
                track: Tally::new(num_labels),
                track_restored: false,
                timeline: Timeline::new(num_labels, MAX_TIMELINE_ENTRIES, MAX_SONG_ENTRIES),
                scratch: vec![0.0; num_labels],
                last_window: None,
                error: None,
                num_inferences: 0,
                num_silent_windows: 0,
            },
            origin: None,
            num_stream_samples: 0,
            is_playing: true,
            classifier,
        })
    }

    /// The model's labels.
    pub fn labels(&self) -> &[String] {
        self.classifier.labels()
    }

    /// The card's decision rules.
    pub fn decider(&self) -> &Decider {
        self.classifier.decider()
    }

    /// Seconds between windows.
    pub fn hop_s(&self) -> f64 {
        self.hop_s
    }

    /// Changes the silence gate from the next window on.
    pub fn set_gate_db(&mut self, gate_db: f32) {
        self.analyzer.set_gate_db(gate_db);
    }

    /// Changes the "now" response; the current estimate is kept.
    pub fn set_time_constant_s(&mut self, time_constant_s: f64) {
        self.results.now.set_time_constant_s(time_constant_s);
    }

    /// Takes a fact from the tap into account (see [`Event`]). Playing on
    /// from the song position where the stream stands continues the stream
    /// (a pause); anything else restarts it, so no window straddles a
    /// start, a stop or a jump. The first song position switches the
    /// timeline from a history to the song (clearing it and the track so
    /// far, which cannot be placed in the song).
    pub fn mark(&mut self, event: Event) {
        match event {
            Event::Reset => {
                self.restart_stream();
                self.origin = None;
            }
            Event::Play(pos) => {
                let results = &mut self.results;
                let follows_song = pos.is_some();
                if follows_song != results.timeline.follows_song() {
                    results.timeline.set_follows_song(follows_song);
                    if follows_song {
                        results.track.reset();
                    }
                    results.track_restored = false;
                }
                let expected = self
                    .origin
                    .map(|origin| origin.saturating_add(self.num_stream_samples as i64));
                let goes_on = matches!((pos, expected),
                    (Some(pos), Some(expected)) if pos.abs_diff(expected) <= POSITION_TOLERANCE);
                if !goes_on {
                    self.restart_stream();
                    self.origin = pos;
                }
                self.is_playing = true;
            }
            Event::Stop => self.is_playing = false,
        }
    }

    /// Analyses host-rate samples; returns how many windows completed.
    pub fn push(&mut self, samples: &[f32]) -> usize {
        let place = Place {
            origin_s: self.origin.map(|origin| origin as f64 / self.host_rate_hz),
            hop_s: self.hop_s,
            window_s: self.window_s,
        };
        let Self {
            classifier,
            analyzer,
            results,
            ..
        } = self;
        let mut num_windows = 0;
        // The analyzer replaces NaN/Inf (holding the last good sample) and clamps absurd values.
        analyzer.push(samples, |window| {
            num_windows += 1;
            results.on_window(classifier, &window, place);
        });
        self.num_stream_samples += samples.len() as u64;
        num_windows
    }

    /// Clears everything: track so far, timeline, "now" and the analysis
    /// stream (which goes on at the same song position).
    pub fn reset(&mut self) {
        self.restart_stream();
        self.results.track.reset();
        self.results.track_restored = false;
        self.results.timeline.clear();
    }

    /// Starts the stream over where it stands, keeping the track so far and
    /// the timeline.
    pub fn restart_stream(&mut self) {
        self.analyzer.reset();
        self.origin = self
            .origin
            .map(|origin| origin.saturating_add(self.num_stream_samples as i64));
        self.num_stream_samples = 0;
        let results = &mut self.results;
        results.now.reset();
        results.now_verdict = None;
        results.last_window = None;
        results.error = None;
    }

    /// Smoothed "now" probabilities.
    pub fn now(&self) -> &[f32] {
        self.results.now.values()
    }

    /// The answer "now" (see [`Snapshot::now_verdict`]).
    pub fn now_verdict(&self) -> Option<Verdict> {
        self.results.now_verdict
    }

    /// The track-so-far estimate and its answer; `None` when nothing was
    /// classified. Allocates.
    pub fn track_estimate(&self) -> Option<(Vec<f32>, Verdict)> {
        self.results.track.estimate(self.decider())
    }

    /// The track so far.
    pub fn track(&self) -> &Tally {
        &self.results.track
    }

    /// Windows counted in the track so far.
    pub fn track_num_windows(&self) -> u64 {
        self.results.track.num_windows()
    }

    /// The timeline.
    pub fn timeline(&self) -> &Timeline {
        &self.results.timeline
    }

    /// Whether audio is being analysed (no stop since the last play).
    pub fn is_playing(&self) -> bool {
        self.is_playing
    }

    /// The song position the stream has reached, in host samples (`None`
    /// for free audio).
    pub fn position(&self) -> Option<i64> {
        self.origin
            .map(|origin| origin.saturating_add(self.num_stream_samples as i64))
    }

    /// Windows classified since creation.
    pub fn num_inferences(&self) -> u64 {
        self.results.num_inferences
    }

    /// Windows not classified (silent or partly music) since creation.
    pub fn num_silent_windows(&self) -> u64 {
        self.results.num_silent_windows
    }

    /// What the worker is doing.
    pub fn activity(&self) -> Activity {
        if let Some(error) = &self.results.error {
            return Activity::ModelError(error.clone());
        }
        if !self.is_playing {
            return Activity::Paused;
        }
        match self.results.last_window {
            None => Activity::WarmingUp(self.analyzer.seconds_until_first_window() as f32),
            Some(EntryKind::Silent) => Activity::Silent,
            Some(_) => Activity::Listening,
        }
    }

    /// Writes the persisted part into `state` (reusing its buffers).
    pub fn write_track_state(&self, state: &mut TrackState) {
        let track = &self.results.track;
        state.version = TRACK_STATE_VERSION;
        copy_labels(&mut state.labels, self.classifier.labels());
        let to_ppm = |out: &mut Vec<u64>, sums: &[f64], n: u64| {
            out.clear();
            let max = n.saturating_mul(1_000_000);
            out.extend(sums.iter().map(|&s| ((s * 1e6).round() as u64).min(max)));
        };
        to_ppm(
            &mut state.music_sums_ppm,
            track.music_sums(),
            track.num_music(),
        );
        state.num_music = track.num_music();
        to_ppm(
            &mut state.no_genre_sums_ppm,
            track.no_genre_sums(),
            track.num_no_genre(),
        );
        state.num_no_genre = track.num_no_genre();
        state.timeline_hop_ms = ((self.hop_s * 1000.0).round() as u32).max(1);
        let timeline = &self.results.timeline;
        state.timeline_follows_song = timeline.follows_song();
        state.timeline_first =
            timeline.copy_to_state(&mut state.timeline, &mut state.timeline_kinds);
    }

    /// Takes over a persisted analysis. Returns `false` (and changes
    /// nothing) if it does not belong to this model or is malformed.
    pub fn restore(&mut self, state: &TrackState) -> bool {
        if !state.is_valid_for(self.classifier.labels()) {
            return false;
        }
        let Some(track) = state.tally() else {
            return false;
        };
        let results = &mut self.results;
        if !results.timeline.replace(
            state.timeline_follows_song,
            state.timeline_first,
            &state.timeline,
            &state.timeline_kinds,
        ) {
            return false;
        }
        results.track = track;
        results.track_restored = results.track.num_windows() > 0;
        true
    }

    /// Fills everything but `activity`, `host_rate_hz` and `generation`.
    fn fill_snapshot(&self, snapshot: &mut Snapshot) {
        let results = &self.results;
        copy_labels(&mut snapshot.labels, self.classifier.labels());
        if snapshot.decider.as_ref() != Some(self.decider()) {
            snapshot.decider = Some(self.decider().clone());
        }
        snapshot.now.clear();
        snapshot.now.extend_from_slice(results.now.values());
        snapshot.now_verdict = results.now_verdict;
        snapshot.response_s = results.now.time_constant_s() as f32;
        snapshot.track.resize(self.labels().len(), 0.0);
        snapshot.track_verdict = results
            .track
            .estimate_into(self.decider(), &mut snapshot.track);
        snapshot.track_num_windows = results.track.num_windows();
        snapshot.track_restored = results.track_restored;
        snapshot.follows_song = results.timeline.follows_song();
        snapshot.is_playing = self.is_playing;
        snapshot.position_s = self
            .position()
            .filter(|_| snapshot.follows_song)
            .map(|pos| pos as f64 / self.host_rate_hz);
        results
            .timeline
            .copy_to(&mut snapshot.timeline, &mut snapshot.timeline_kinds);
        snapshot.timeline_first = results.timeline.first();
        snapshot.hop_s = self.hop_s as f32;
        snapshot.window_s = self.window_s as f32;
        snapshot.model_rate_hz = self.classifier.card().features.sample_rate_hz;
    }
}

/// Copies `labels` into `out` unless they are already equal (they almost always are).
fn copy_labels(out: &mut Vec<String>, labels: &[String]) {
    if out != labels {
        *out = labels.to_vec();
    }
}

/// What a worker thread needs; moved into the thread.
pub struct WorkerContext {
    /// Consumer half of the tap ring.
    pub consumer: rtrb::Consumer<f32>,
    /// Where the samples sit in the song, in order, at ring positions.
    pub marks: rtrb::Consumer<Mark>,
    /// Gate, response, and the persisted analysis.
    pub params: Arc<GenreMeterParams>,
    /// Flags and counters shared with the tap and the editor.
    pub shared: Arc<Shared>,
    /// Publishing side of the editor's snapshot buffer.
    pub snapshot_input: triple_buffer::Input<Snapshot>,
    /// Whether the editor is open (publishing is GUI-only work).
    pub editor_state: Arc<EguiEditorState>,
    /// Wakes the editor after a publish.
    pub repaint: RepaintNotifier,
    /// The host's sample rate.
    pub host_rate_hz: f32,
}

/// A running worker thread.
pub struct Worker {
    /// Set to ask the thread to finish.
    stop: Arc<AtomicBool>,
    /// The thread; it hands the snapshot input back when it ends.
    thread: Option<JoinHandle<triple_buffer::Input<Snapshot>>>,
}

impl Worker {
    /// Spawns the thread. Allocates; call from `activate()`, never from `process()`.
    pub fn start(context: WorkerContext) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let thread_stop = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("genre-meter-worker".to_owned())
            .spawn(move || run(context, &thread_stop))?;
        Ok(Self {
            stop,
            thread: Some(thread),
        })
    }

    /// Asks the thread to finish, waits for it and returns the snapshot
    /// input (`None` if the thread panicked).
    pub fn stop(mut self) -> Option<triple_buffer::Input<Snapshot>> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> Option<triple_buffer::Input<Snapshot>> {
        let thread = self.thread.take()?;
        self.stop.store(true, Ordering::Release);
        thread.thread().unpark();
        thread.join().ok()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// The thread's body. Returns the snapshot input for the next activation,
/// even if the analysis panicked (then the status says so and the ring is
/// drained until the worker is stopped).
fn run(context: WorkerContext, stop: &AtomicBool) -> triple_buffer::Input<Snapshot> {
    let WorkerContext {
        mut consumer,
        mut marks,
        params,
        shared,
        mut snapshot_input,
        editor_state,
        repaint,
        host_rate_hz,
    } = context;
    let mut publisher = Publisher {
        input: &mut snapshot_input,
        editor_state: &editor_state,
        repaint: &repaint,
        host_rate_hz,
        was_open: false,
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        analyse(
            &mut consumer,
            &mut marks,
            &params,
            &shared,
            &mut publisher,
            host_rate_hz,
            stop,
        );
    }));
    if outcome.is_err() {
        let status =
            Activity::InputError("the analysis stopped after an internal error".to_owned());
        publisher.publish_status(status.clone(), None);
        idle(&mut consumer, &mut publisher, status, stop);
    }
    snapshot_input
}

/// Keeps the ring drained (so "dropped input" stays meaningful) until stopped.
fn idle(
    consumer: &mut rtrb::Consumer<f32>,
    publisher: &mut Publisher<'_>,
    status: Activity,
    stop: &AtomicBool,
) {
    while !stop.load(Ordering::Acquire) {
        drain(consumer, u64::MAX, |_| {});
        publisher.publish_if_open(status.clone(), None);
        std::thread::park_timeout(POLL_INTERVAL);
    }
}

/// Loads the model, then analyses the ring until stopped.
fn analyse(
    consumer: &mut rtrb::Consumer<f32>,
    marks: &mut rtrb::Consumer<Mark>,
    params: &GenreMeterParams,
    shared: &Shared,
    publisher: &mut Publisher<'_>,
    host_rate_hz: f32,
    stop: &AtomicBool,
) {
    publisher.publish_status(Activity::LoadingModel, None);

    let core = shared_classifier()
        .map_err(Activity::ModelError)
        .and_then(|classifier| {
            AnalysisCore::new(
                classifier,
                host_rate_hz.round() as u32,
                params.gate_db.value(),
                params.response.value().time_constant_s(),
            )
            .map_err(|e| Activity::InputError(e.to_string()))
        });
    let mut core = match core {
        Ok(core) => core,
        Err(status) => {
            publisher.publish_status(status.clone(), None);
            idle(consumer, publisher, status, stop);
            return;
        }
    };

    let mut track_state = TrackState::default();
    // Samples taken from the ring since activation (the tap counts the same way).
    let mut num_read: u64 = 0;
    let mut num_loads_seen = params.analysis.num_loads();
    core.restore(&params.analysis.get());
    core.write_track_state(&mut track_state);
    params.analysis.store(&track_state);
    publisher.publish(&core, true);

    loop {
        let stopping = stop.load(Ordering::Acquire);
        let mut changed = false;
        if shared.reset_requested.swap(false, Ordering::AcqRel) {
            core.reset();
            changed = true;
        }
        let num_loads = params.analysis.num_loads();
        if num_loads != num_loads_seen {
            num_loads_seen = num_loads;
            if !core.restore(&params.analysis.get()) {
                core.reset();
            }
            changed = true;
        }
        core.set_gate_db(params.gate_db.value());
        core.set_time_constant_s(params.response.value().time_constant_s());

        let inferences_before = core.num_inferences();
        let silent_before = core.num_silent_windows();
        let mut num_windows = 0;
        loop {
            // Analyse up to the next mark's position, take it into account
            // there, go on. Look at the ring before the marks: the audio
            // thread pushes a mark before the tap writes what follows it,
            // so a mark raised before any sample seen here is seen too.
            let num_available = consumer.slots() as u64;
            let next_mark = marks.peek().ok().copied();
            let mark_at = next_mark.map_or(u64::MAX, |mark| mark.at);
            if let Some(mark) = next_mark
                && num_read >= mark.at
            {
                let _ = marks.pop();
                core.mark(mark.event);
                changed = true;
                continue;
            }
            let num_wanted = num_available.min(mark_at - num_read);
            if num_wanted == 0 {
                break;
            }
            num_read += drain(consumer, num_wanted, |samples| {
                num_windows += core.push(samples);
            });
        }
        shared
            .num_inferences
            .fetch_add(core.num_inferences() - inferences_before, Ordering::Relaxed);
        shared
            .num_silent_windows
            .fetch_add(core.num_silent_windows() - silent_before, Ordering::Relaxed);

        if changed || num_windows > 0 {
            core.write_track_state(&mut track_state);
            params.analysis.store(&track_state);
        }
        if stopping {
            break;
        }
        publisher.publish(&core, changed || num_windows > 0);
        std::thread::park_timeout(POLL_INTERVAL);
    }
}

/// Hands what is in the ring, but at most `max_len` samples, to `sink` in
/// pieces of at most [`MAX_PUSH_LEN`]; returns how many it took.
fn drain(consumer: &mut rtrb::Consumer<f32>, max_len: u64, mut sink: impl FnMut(&[f32])) -> u64 {
    let mut num_taken = 0;
    loop {
        let num_left = usize::try_from(max_len - num_taken).unwrap_or(usize::MAX);
        let num_samples = consumer.slots().min(MAX_PUSH_LEN).min(num_left);
        if num_samples == 0 {
            return num_taken;
        }
        if let Ok(chunk) = consumer.read_chunk(num_samples) {
            let (first, second) = chunk.as_slices();
            sink(first);
            sink(second);
            chunk.commit_all();
            num_taken += num_samples as u64;
        }
    }
}

/// Publishes snapshots while the editor is open (GUI-only work).
struct Publisher<'a> {
    input: &'a mut triple_buffer::Input<Snapshot>,
    editor_state: &'a EguiEditorState,
    repaint: &'a RepaintNotifier,
    host_rate_hz: f32,
    /// Whether the editor was open at the last look, to publish when it opens.
    was_open: bool,
}

impl Publisher<'_> {
    /// Publishes the core's state if the editor is open and something changed
    /// (or it just opened); repaints every poll while open so the level meter moves.
    fn publish(&mut self, core: &AnalysisCore, changed: bool) {
        let is_open = self.editor_state.is_open();
        let just_opened = is_open && !self.was_open;
        self.was_open = is_open;
        if !is_open {
            return;
        }
        let status = core.activity();
        if changed || just_opened || self.input.input_buffer().activity != status {
            self.write(status, Some(core));
        }
        self.repaint.request_repaint();
    }

    /// Like [`Publisher::publish`] for a worker without a core.
    fn publish_if_open(&mut self, status: Activity, core: Option<&AnalysisCore>) {
        let is_open = self.editor_state.is_open();
        let just_opened = is_open && !self.was_open;
        self.was_open = is_open;
        if just_opened {
            self.write(status, core);
        }
        if is_open {
            self.repaint.request_repaint();
        }
    }

    /// Publishes unconditionally (status changes are rare and cheap).
    fn publish_status(&mut self, status: Activity, core: Option<&AnalysisCore>) {
        self.write(status, core);
        self.repaint.request_repaint();
    }

    fn write(&mut self, status: Activity, core: Option<&AnalysisCore>) {
        let generation = self.input.input_buffer().generation;
        let snapshot = self.input.input_buffer_mut();
        if let Some(core) = core {
            core.fill_snapshot(snapshot);
        }
        snapshot.activity = status;
        snapshot.host_rate_hz = self.host_rate_hz;
        snapshot.generation = generation.wrapping_add(2);
        self.input.publish();
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use genre_core::smoother::top_label;
    use genre_core::verdict::Status;

    use super::*;
    use crate::tap::Transport;

    const RATE_HZ: u32 = 44_100;

    fn model() -> Option<Arc<Classifier>> {
        match shared_classifier() {
            Ok(classifier) => Some(classifier),
            Err(e) => {
                eprintln!("SKIPPED: the shipped model is not available ({e})");
                None
            }
        }
    }

    /// A clip of `label` at the test rate: the committed `examples/<label>.mp3`
    /// (or `.wav`), else the first WAV in the (unversioned) `corpus/<label>/`.
    fn clip(label: &str) -> Option<Vec<f32>> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let example = ["mp3", "wav"]
            .iter()
            .map(|ext| root.join("examples").join(format!("{label}.{ext}")))
            .find(|p| p.exists());
        let path = example.or_else(|| {
            std::fs::read_dir(root.join("corpus").join(label))
                .ok()?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "wav"))
                .min()
        })?;
        Some(load(&path))
    }

    fn load(path: &Path) -> Vec<f32> {
        let mut samples = Vec::new();
        genre_core::audio::for_each_chunk(path, RATE_HZ, |chunk| samples.extend_from_slice(chunk))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        samples
    }

    fn core(classifier: Arc<Classifier>, time_constant_s: f64) -> AnalysisCore {
        AnalysisCore::new(
            classifier,
            RATE_HZ,
            genre_core::analyzer::DEFAULT_GATE_DB,
            time_constant_s,
        )
        .unwrap()
    }

    #[test]
    fn silence_runs_no_inference() {
        let Some(classifier) = model() else { return };
        let mut core = core(classifier, 3.0);
        assert!(matches!(core.activity(), Activity::WarmingUp(s) if s > 2.5));
        let num_windows = core.push(&vec![0.0; RATE_HZ as usize * 10]);
        assert!(num_windows >= 6, "{num_windows} windows from 10 s");
        assert_eq!(core.num_inferences(), 0);
        assert_eq!(core.num_silent_windows(), num_windows as u64);
        assert_eq!(core.activity(), Activity::Silent);
        assert_eq!(core.track_num_windows(), 0);
        assert!(top_label(core.now()).is_none());
        assert_eq!(core.timeline().num_entries(), num_windows);
    }

    #[test]
    fn reset_clears_and_state_round_trips() {
        let Some(classifier) = model() else { return };
        let Some(samples) = clip("metal") else {
            eprintln!("SKIPPED: no metal clip in examples/ or corpus/");
            return;
        };
        let mut core = core(Arc::clone(&classifier), 3.0);
        core.push(&samples[..RATE_HZ as usize * 10]);
        assert!(core.num_inferences() >= 6);
        assert!(top_label(core.now()).is_some());
        let mut state = TrackState::default();
        core.write_track_state(&mut state);
        assert!(state.is_valid_for(classifier.labels()));

        core.reset();
        assert_eq!(core.track_num_windows(), 0);
        assert_eq!(core.timeline().num_entries(), 0);
        assert!(top_label(core.now()).is_none());
        assert!(matches!(core.activity(), Activity::WarmingUp(_)));

        assert!(core.restore(&state));
        let mut again = TrackState::default();
        core.write_track_state(&mut again);
        assert_eq!(again, state);
        assert!(!core.restore(&TrackState::default()));
    }

    /// Host samples in `seconds` at the test rate.
    fn at(seconds: f64) -> i64 {
        (seconds * f64::from(RATE_HZ)).round() as i64
    }

    /// The song timeline's kinds as letters from song entry 0.
    fn song_letters(core: &AnalysisCore) -> String {
        let timeline = core.timeline();
        let mut letters: String = std::iter::repeat_n('.', timeline.first() as usize).collect();
        for pos in 0..timeline.num_entries() {
            letters.push(timeline.entry(pos).unwrap().0.letter());
        }
        letters
    }

    /// The song entry a window starting at song time `start_s` lands in.
    fn entry_of(core: &AnalysisCore, start_s: f64) -> usize {
        ((start_s + 0.5 * core.window_s) / core.hop_s()).floor() as usize
    }

    #[test]
    fn following_the_song_through_play_stop_replay_and_jump() {
        let Some(classifier) = model() else { return };
        let Some(music) = clip("metal") else {
            eprintln!("SKIPPED: no metal clip in examples/ or corpus/");
            return;
        };
        let second = RATE_HZ as usize;
        let mut core = core(Arc::clone(&classifier), 3.0);
        core.mark(Event::Play(Some(0)));
        core.push(&music[..12 * second]);
        let played = song_letters(&core);
        assert!(core.timeline().follows_song());
        assert_eq!(
            played.matches('c').count() as u64,
            windows_of(&classifier, 12 * second)
        );
        // Windows land at their centres: the first at 1.5 s, none before.
        let first = entry_of(&core, 0.0);
        assert_eq!(played.find('c'), Some(first), "{played}");
        assert!(played[first..].chars().all(|c| c == 'c'), "{played}");
        let num_played = core.track_num_windows();
        assert_eq!(num_played as usize, played.matches('c').count());
        let (means, _) = core.track_estimate().unwrap();

        // Stopped: nothing is analysed, nothing changes.
        core.mark(Event::Stop);
        assert_eq!(core.activity(), Activity::Paused);
        assert_eq!(song_letters(&core), played);

        // Replaying 3–9 s updates those entries: none appended, each part
        // of the song counted once, the estimate barely moves.
        core.mark(Event::Play(Some(at(3.0))));
        assert!(matches!(core.activity(), Activity::WarmingUp(_)));
        core.push(&music[3 * second..9 * second]);
        assert_eq!(song_letters(&core), played);
        assert_eq!(core.track_num_windows(), num_played);
        let (again, _) = core.track_estimate().unwrap();
        let moved = means
            .iter()
            .zip(&again)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(
            moved < 0.05,
            "replaying the same audio moved the track by {moved}"
        );

        // A pause: playing on from where the stream stands continues it
        // (a window within a hop, no new warm-up).
        core.mark(Event::Stop);
        core.mark(Event::Play(Some(at(9.0))));
        let before = core.num_inferences();
        core.push(&music[9 * second..10 * second + second / 10]);
        assert!(
            core.num_inferences() > before,
            "the pause restarted the stream"
        );

        // A jump to 60 s: the song between stays empty; the first window
        // after the jump starts there (none straddles it).
        core.mark(Event::Play(Some(at(60.0))));
        core.push(&music[..8 * second]);
        let letters = song_letters(&core);
        let after_jump = entry_of(&core, 60.0);
        let num_after = windows_of(&classifier, 8 * second) as usize;
        assert_eq!(letters.len(), after_jump + num_after, "{letters}");
        assert!(
            letters[played.len() + 1..after_jump]
                .chars()
                .all(|c| c == '.'),
            "{letters}"
        );
        assert!(letters[after_jump..].chars().all(|c| c == 'c'), "{letters}");
        assert_eq!(
            core.track_num_windows() as usize,
            letters.matches('c').count()
        );
        assert_eq!(core.position(), Some(at(60.0) + 8 * second as i64));
    }

    #[test]
    fn music_ending_while_playing_leaves_partly_silent_entries() {
        let Some(classifier) = model() else { return };
        let Some(music) = clip("classical") else {
            eprintln!("SKIPPED: no classical clip in examples/ or corpus/");
            return;
        };
        let second = RATE_HZ as usize;
        let mut core = core(classifier, 3.0);
        core.mark(Event::Play(Some(at(100.0))));
        core.push(&music[..8 * second]);
        core.push(&vec![0.0; 6 * second]);
        let letters = song_letters(&core);
        let tail = letters.trim_start_matches('.');
        // Music, then windows that are only partly music, then silence:
        // never a genre cell from a window that runs into the silence.
        assert!(tail.starts_with("ccccc"), "{tail}");
        let kinds: String = tail.chars().fold(String::new(), |mut runs, c| {
            if !runs.ends_with(c) {
                runs.push(c);
            }
            runs
        });
        assert_eq!(kinds, "cps", "{tail}");
        assert_eq!(core.activity(), Activity::Silent);
        assert_eq!(core.now_verdict(), Some(Verdict::SILENT));
    }

    #[test]
    fn free_audio_is_a_history_and_the_first_song_position_starts_a_song() {
        let Some(classifier) = model() else { return };
        let Some(music) = clip("metal") else {
            eprintln!("SKIPPED: no metal clip in examples/ or corpus/");
            return;
        };
        let second = RATE_HZ as usize;
        let mut core = core(Arc::clone(&classifier), 3.0);
        core.mark(Event::Play(None));
        core.push(&music[..6 * second]);
        core.mark(Event::Stop);
        core.mark(Event::Play(None));
        core.push(&music[..6 * second]);
        // Appended, twice: a history counts what it hears.
        let per_piece = windows_of(&classifier, 6 * second);
        assert!(per_piece >= 2);
        assert!(!core.timeline().follows_song());
        assert_eq!(core.timeline().num_entries() as u64, 2 * per_piece);
        assert_eq!(core.track_num_windows(), 2 * per_piece);
        let mut history = TrackState::default();
        core.write_track_state(&mut history);
        assert!(!history.timeline_follows_song);

        core.mark(Event::Play(Some(0)));
        assert!(core.timeline().follows_song());
        assert_eq!(
            (core.timeline().num_entries(), core.track_num_windows()),
            (0, 0)
        );
        core.push(&music[..6 * second]);
        let mut song = TrackState::default();
        core.write_track_state(&mut song);
        assert!(song.timeline_follows_song);
        assert_eq!(song.timeline_first, entry_of(&core, 0.0) as u64);
        assert_eq!(song.num_entries() as u64, per_piece);
        // A saved song timeline comes back as it was.
        let mut again = AnalysisCore::new(
            core.classifier.clone(),
            RATE_HZ,
            genre_core::analyzer::DEFAULT_GATE_DB,
            3.0,
        )
        .unwrap();
        assert!(again.restore(&song));
        assert_eq!(song_letters(&again), song_letters(&core));
        let mut resaved = TrackState::default();
        again.write_track_state(&mut resaved);
        assert_eq!(resaved, song);
        // And a history comes back as one.
        assert!(again.restore(&history));
        assert!(!again.timeline().follows_song());
    }

    /// The shipped model under a card whose decision rules `decision` gives
    /// (format 2), e.g. with one of its genres declared "no genre".
    fn with_decision(decision: serde_json::Value) -> Arc<Classifier> {
        let card_path = PathBuf::from(genre_core::model::SHIPPED_CARD_PATH);
        let mut card: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&card_path).unwrap()).unwrap();
        card["format_version"] = 2.into();
        card["decision"] = decision;
        let card = genre_core::card::ModelCard::from_json(&card.to_string(), &card_path).unwrap();
        let onnx = std::fs::read(card_path.with_file_name("genre_cnn.onnx")).unwrap();
        Arc::new(Classifier::from_parts(card, &onnx, &card_path).unwrap())
    }

    #[test]
    fn now_and_track_so_far_answer_by_the_card() {
        let Some(shipped) = model() else { return };
        let (Some(classical), Some(metal)) = (clip("classical"), clip("metal")) else {
            eprintln!("SKIPPED: no classical or metal clip in examples/ or corpus/");
            return;
        };
        let second = RATE_HZ as usize;
        let labels = shipped.labels().to_vec();
        let idx = |name: &str| labels.iter().position(|l| l == name).unwrap();
        let genres: Vec<&String> = labels.iter().filter(|l| *l != "classical").collect();
        // Classical declared "no genre", as a card with a not_music output
        // declares it: the classical clip is not music.
        let speech_like = with_decision(serde_json::json!({
            "genres": genres,
            "no_genre": ["classical"],
            "temperature": 1.0,
            "uncertain_threshold": 0.5,
        }));
        let mut core = core(speech_like, 3.0);
        core.mark(Event::Play(Some(0)));
        core.push(&classical[..10 * second]);
        let now = core.now_verdict().unwrap();
        assert_eq!(now.status, Status::NotMusic, "{now:?}");
        assert_eq!(now.top_no_genre.map(|(i, _)| i), Some(idx("classical")));
        let (_, track) = core.track_estimate().unwrap();
        assert_eq!(track.status, Status::NotMusic);
        // Then more metal than that: the track so far is the music's.
        core.push(&metal[..20 * second]);
        let now = core.now_verdict().unwrap();
        assert_eq!(
            (now.status, now.top_genre.map(|(i, _)| i)),
            (Status::Ok, Some(idx("metal")))
        );
        let (_, track) = core.track_estimate().unwrap();
        assert_eq!(track.status, Status::Ok);
        assert_eq!(track.top_genre.map(|(i, _)| i), Some(idx("metal")));
        assert!(
            core.track().num_no_genre() > 0
                && core.track().num_music() > core.track().num_no_genre()
        );
        // A pause in the music: "now" is silent, the track so far stays
        // (only the window reaching less than a quarter into the pause
        // still counts).
        let num_windows = core.track_num_windows();
        core.push(&vec![0.0; 5 * second]);
        assert_eq!(core.now_verdict(), Some(Verdict::SILENT));
        assert!(core.track_num_windows() <= num_windows + 1);
        let (_, after_pause) = core.track_estimate().unwrap();
        assert_eq!(after_pause.status, track.status);
        assert_eq!(after_pause.top_genre.map(|(i, _)| i), Some(idx("metal")));

        // A threshold no window reaches: every answer is a guess.
        let all: Vec<&String> = labels.iter().collect();
        let doubtful = with_decision(serde_json::json!({
            "genres": all,
            "no_genre": [],
            "temperature": 1.0,
            "uncertain_threshold": 0.9999,
        }));
        let mut guessing = self::core(doubtful, 3.0);
        guessing.push(&metal[..10 * second]);
        assert_eq!(guessing.now_verdict().unwrap().status, Status::Uncertain);
        assert_eq!(
            guessing.track_estimate().unwrap().1.status,
            Status::Uncertain
        );
    }

    #[test]
    fn reacts_to_a_genre_switch() {
        let Some(classifier) = model() else { return };
        let (Some(a), Some(b)) = (clip("classical"), clip("metal")) else {
            eprintln!("SKIPPED: no classical or metal clip in examples/ or corpus/");
            return;
        };
        let labels = classifier.labels().to_vec();
        let idx = |name: &str| labels.iter().position(|l| l == name).unwrap();
        for (tau_s, max_reaction_s) in [(3.0, 12.0), (10.0, 25.0)] {
            let mut core = core(Arc::clone(&classifier), tau_s);
            let step = RATE_HZ as usize / 10;
            for chunk in a.chunks(step) {
                core.push(chunk);
            }
            let before = top_label(core.now()).map(|(i, _)| labels[i].clone());
            assert_eq!(before.as_deref(), Some("classical"), "top after clip A");
            let mut reaction_s = None;
            for (k, chunk) in b.chunks(step).enumerate() {
                core.push(chunk);
                if top_label(core.now()).map(|(i, _)| i) == Some(idx("metal")) {
                    reaction_s = Some((k + 1) as f64 * step as f64 / f64::from(RATE_HZ));
                    break;
                }
            }
            println!("response {tau_s} s: classical → metal after {reaction_s:?} s");
            let reaction_s = reaction_s.expect("the top label never flipped to metal");
            assert!(
                reaction_s <= max_reaction_s,
                "took {reaction_s} s (limit {max_reaction_s} s)"
            );
        }
    }

    #[test]
    fn absurd_samples_are_analysed_without_panic() {
        let Some(classifier) = model() else { return };
        let mut core = core(classifier, 3.0);
        let mut samples: Vec<f32> = (0..RATE_HZ as usize * 5)
            .map(|i| if (i / 100) % 2 == 0 { 1e30 } else { -f32::MAX })
            .collect();
        samples[100] = f32::NAN;
        samples[200] = f32::INFINITY;
        core.push(&samples);
        assert!(core.num_inferences() > 0);
        assert!(core.now().iter().all(|p| p.is_finite()));
    }

    /// Runs a worker thread over a ring already holding `segments`, written
    /// by the tap with a host reset between each two; returns the windows it
    /// analysed (silent ones included).
    fn windows_through_worker(segments: &[&[f32]]) -> u64 {
        let len = segments.iter().map(|s| s.len()).sum();
        let (producer, consumer) = rtrb::RingBuffer::new(len);
        let (mark_producer, marks) = crate::tap::marks(crate::MAX_PENDING_MARKS);
        let mut tap = crate::tap::Tap::new(producer, mark_producer);
        let shared = Arc::new(Shared::default());
        let mode = crate::params::ChannelMode::Left;
        for (i, segment) in segments.iter().enumerate() {
            if i > 0 {
                // What `GenreMeter::reset` does.
                tap.reset();
            }
            tap.process(&[&mut segment.to_vec()], mode, Transport::Free, &shared);
        }
        let params = Arc::new(GenreMeterParams::default());
        let (snapshot_input, _snapshot_output) = triple_buffer::triple_buffer(&Snapshot::default());
        let context = WorkerContext {
            consumer,
            marks,
            params: Arc::clone(&params),
            shared,
            snapshot_input,
            editor_state: EguiEditorState::from_size(
                nice_plug::editor::dpi::LogicalSize::new(100.0, 100.0),
                1.0,
            ),
            repaint: RepaintNotifier::new(),
            host_rate_hz: RATE_HZ as f32,
        };
        // Stopped at once: the worker still analyses all that is in the ring.
        let worker = Worker::start(context).unwrap();
        assert!(worker.stop().is_some(), "the worker panicked");
        let state = params.analysis.get();
        state.num_entries() as u64 + state.timeline_first
    }

    /// Windows a fresh analyzer cuts from `num_samples` samples at the test rate.
    fn windows_of(classifier: &Classifier, num_samples: usize) -> u64 {
        let spec = &classifier.card().features;
        let hop_frames = (HOP_S / spec.frame_period_s()).round() as usize;
        let config = AnalyzerConfig {
            hop_frames,
            gate_db: genre_core::analyzer::DEFAULT_GATE_DB,
        };
        let mut analyzer = Analyzer::new(spec, RATE_HZ, config).unwrap();
        analyzer.push(&vec![0.0; num_samples], |_| {});
        analyzer.num_windows()
    }

    #[test]
    fn host_reset_restarts_the_stream_where_it_happened() {
        let Some(classifier) = model() else { return };
        // The worker starts long after the reset: all of `before` and
        // `after` wait in the ring, as when it lags behind an offline bounce.
        let before = vec![0.0; RATE_HZ as usize * 9 / 2];
        let after = vec![0.0; RATE_HZ as usize * 11 / 2];
        let separate = windows_of(&classifier, before.len()) + windows_of(&classifier, after.len());
        let joined = windows_of(&classifier, before.len() + after.len());
        assert_ne!(separate, joined, "the lengths must tell the two apart");
        assert_eq!(windows_through_worker(&[&before, &after]), separate);
        assert_eq!(
            windows_through_worker(&[&[&before[..], &after[..]].concat()]),
            joined
        );
    }

    /// Several resets before the worker looks: each restarts the stream at
    /// its own position (a single "last reset" slot kept only the latest).
    #[test]
    fn resets_in_quick_succession_each_restart_the_stream() {
        let Some(classifier) = model() else { return };
        let lengths = [
            RATE_HZ as usize * 9 / 2,
            RATE_HZ as usize * 7 / 2,
            RATE_HZ as usize * 11 / 2,
        ];
        let segments: Vec<Vec<f32>> = lengths.iter().map(|&n| vec![0.0; n]).collect();
        let refs: Vec<&[f32]> = segments.iter().map(Vec::as_slice).collect();
        let separate: u64 = lengths.iter().map(|&n| windows_of(&classifier, n)).sum();
        let last_only =
            windows_of(&classifier, lengths[0] + lengths[1]) + windows_of(&classifier, lengths[2]);
        assert_ne!(separate, last_only, "the lengths must tell the two apart");
        assert_eq!(windows_through_worker(&refs), separate);
        // A reset with no audio since the previous one changes nothing.
        let empty: &[f32] = &[];
        assert_eq!(
            windows_through_worker(&[refs[0], empty, refs[1], refs[2]]),
            separate
        );
    }

    #[test]
    fn bad_rates_are_errors_not_panics() {
        let Some(classifier) = model() else { return };
        assert!(AnalysisCore::new(Arc::clone(&classifier), 4_000, -60.0, 3.0).is_err());
        assert!(AnalysisCore::new(classifier, 384_000, -60.0, 3.0).is_ok());
    }
}
