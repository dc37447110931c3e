//! The analysis worker: one thread per activated plugin instance.
//!
//! The tap (audio thread) fills a ring with mono samples; the worker polls it
//! every [`POLL_INTERVAL`], sleeping in between, and feeds the samples to
//! [`AnalysisCore`]: resampling, mel frames and, once per hop (≈ 1 s), the CNN
//! on the last 3 s unless that window is below the gate. The core smooths the
//! "now" estimate, accumulates the track so far and appends to a bounded
//! timeline. After every window the worker copies the track state into the
//! persisted parameters field; while the editor is open it publishes a
//! [`Snapshot`] through a triple buffer and asks for a repaint.
//!
//! The worker is started in `activate()` and stopped (and joined) in
//! `deactivate()` or when the plugin is dropped; before it exits it analyses
//! whatever is still in the ring, so nothing that reached the ring is lost.
//! A host `reset()` restarts the analysis stream exactly at the ring position
//! where it happened (see [`WorkerContext::resets`]), however far behind the
//! worker is. The model is loaded once per process and shared by every instance.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use genre_core::analyzer::{Analyzer, AnalyzerConfig};
use genre_core::model::Classifier;
use genre_core::smoother::{Accumulator, Smoother, top_label};
use nice_plug_egui::EguiEditorState;
use nice_plug_egui::RepaintNotifier;

use crate::params::{
    GenreMeterParams, MAX_TIMELINE_ENTRIES, MODEL_LABELS, TRACK_STATE_VERSION, TrackState,
};
use crate::shared::Shared;

mod timeline;

pub use timeline::Timeline;

/// How long the worker sleeps between looks at the ring.
pub const POLL_INTERVAL: Duration = Duration::from_millis(25);
/// Seconds between classified windows.
pub const HOP_S: f64 = 1.0;
/// Most samples taken from the ring at once (the analyzer's allocation-free chunk).
const MAX_PUSH_LEN: usize = 8192;

/// What the worker is doing, for the editor's status line.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Status {
    /// Not activated: no worker runs.
    #[default]
    Inactive,
    /// Building the model's plans (first activation in this process).
    LoadingModel,
    /// Collecting the first window; the value is seconds of audio still needed.
    WarmingUp(f32),
    /// The last window was classified.
    Listening,
    /// The last window was below the gate, so it was not classified.
    Silent,
    /// The model could not be loaded or run; audio still passes.
    ModelError(String),
    /// The host's configuration cannot be analysed (for example its sample rate).
    InputError(String),
}

/// Everything the editor draws, published by the worker.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// What the worker is doing.
    pub status: Status,
    /// The model's labels; empty until the model is loaded.
    pub labels: Vec<String>,
    /// Smoothed "now" probabilities, one per label (zeros before the first estimate).
    pub now: Vec<f32>,
    /// Mean probabilities since the last reset, one per label.
    pub track: Vec<f32>,
    /// Windows behind `track`.
    pub track_num_windows: u64,
    /// Timeline entries of `labels.len()` bytes each (probability × 255; all
    /// zero for a silent window), oldest first.
    pub timeline: Vec<u8>,
    /// Entries dropped from the front of the timeline since reset.
    pub timeline_num_dropped: u64,
    /// Seconds between timeline entries.
    pub hop_s: f32,
    /// The host's sample rate.
    pub host_rate_hz: f32,
    /// The model's sample rate.
    pub model_rate_hz: u32,
    /// Incremented on every publish.
    pub generation: u64,
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

/// The analysis itself, without a thread: samples in, estimates out.
/// Allocates in [`AnalysisCore::new`]; after that only the classifier's
/// inference allocates.
pub struct AnalysisCore {
    /// The CNN, shared with other instances.
    classifier: Arc<Classifier>,
    /// Host-rate samples → gated windows.
    analyzer: Analyzer,
    /// "Now".
    now: Smoother,
    /// "Track so far".
    track: Accumulator,
    /// The last [`MAX_TIMELINE_ENTRIES`] windows (see [`Snapshot::timeline`]).
    timeline: Timeline,
    /// Seconds between windows (the analyzer's hop).
    hop_s: f64,
    /// Whether the latest window was silent; `None` before the first window.
    last_window_silent: Option<bool>,
    /// The last inference error, cleared by the next success.
    error: Option<String>,
    /// Windows classified since creation.
    num_inferences: u64,
    /// Windows skipped as silent since creation.
    num_silent_windows: u64,
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
            analyzer,
            now: Smoother::new(num_labels, time_constant_s),
            track: Accumulator::new(num_labels),
            timeline: Timeline::new(num_labels, MAX_TIMELINE_ENTRIES),
            last_window_silent: None,
            error: None,
            num_inferences: 0,
            num_silent_windows: 0,
            classifier,
        })
    }

    /// The model's labels.
    pub fn labels(&self) -> &[String] {
        self.classifier.labels()
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
        self.now.set_time_constant_s(time_constant_s);
    }

    /// Analyses host-rate samples; returns how many windows completed.
    pub fn push(&mut self, samples: &[f32]) -> usize {
        let Self {
            classifier,
            analyzer,
            now,
            track,
            timeline,
            hop_s,
            last_window_silent,
            error,
            num_inferences,
            num_silent_windows,
        } = self;
        let mut num_windows = 0;
        // The analyzer replaces NaN/Inf (holding the last good sample) and clamps absurd values.
        analyzer.push(samples, |window| {
            num_windows += 1;
            *last_window_silent = Some(window.silent);
            if window.silent {
                *num_silent_windows += 1;
                timeline.push_empty();
                return;
            }
            match classifier.probabilities(window.mel_db) {
                Ok(probabilities) => {
                    *num_inferences += 1;
                    *error = None;
                    now.push(&probabilities, *hop_s);
                    track.push(&probabilities);
                    timeline.push(&probabilities);
                }
                Err(e) => {
                    *error = Some(e.to_string());
                    timeline.push_empty();
                }
            }
        });
        num_windows
    }

    /// Clears everything: track so far, timeline, "now" and the analysis stream.
    pub fn reset(&mut self) {
        self.restart_stream();
        self.track.reset();
        self.timeline.clear();
    }

    /// Starts the stream over (after a transport jump) but keeps the track so
    /// far and the timeline.
    pub fn restart_stream(&mut self) {
        self.analyzer.reset();
        self.now.reset();
        self.last_window_silent = None;
        self.error = None;
    }

    /// Smoothed "now" probabilities.
    pub fn now(&self) -> &[f32] {
        self.now.values()
    }

    /// The top "now" label and its probability, if there is an estimate.
    pub fn top_now(&self) -> Option<(usize, f32)> {
        top_label(self.now.values())
    }

    /// Mean probabilities since the last reset.
    pub fn track_means(&self) -> Vec<f32> {
        let mut means = vec![0.0; self.labels().len()];
        self.track.mean_into(&mut means);
        means
    }

    /// Windows classified since reset.
    pub fn track_num_windows(&self) -> u64 {
        self.track.num_windows()
    }

    /// Timeline entries kept.
    pub fn num_timeline_entries(&self) -> usize {
        self.timeline.num_entries()
    }

    /// Timeline entries dropped from the front since reset.
    pub fn num_timeline_dropped(&self) -> u64 {
        self.timeline.num_dropped()
    }

    /// Windows classified since creation.
    pub fn num_inferences(&self) -> u64 {
        self.num_inferences
    }

    /// Windows skipped as silent since creation.
    pub fn num_silent_windows(&self) -> u64 {
        self.num_silent_windows
    }

    /// What the status line should say.
    pub fn status(&self) -> Status {
        if let Some(error) = &self.error {
            return Status::ModelError(error.clone());
        }
        match self.last_window_silent {
            None => Status::WarmingUp(self.analyzer.seconds_until_first_window() as f32),
            Some(true) => Status::Silent,
            Some(false) => Status::Listening,
        }
    }

    /// Writes the persisted part into `state` (reusing its buffers).
    pub fn write_track_state(&self, state: &mut TrackState) {
        state.version = TRACK_STATE_VERSION;
        copy_labels(&mut state.labels, self.classifier.labels());
        state.track_sums_ppm.clear();
        state
            .track_sums_ppm
            .extend(self.track.sums().iter().map(|&s| (s * 1e6).round() as u64));
        state.track_num_windows = self.track.num_windows();
        state.timeline_hop_ms = ((self.hop_s * 1000.0).round() as u32).max(1);
        state.timeline_num_dropped = self.timeline.num_dropped();
        self.timeline.copy_to(&mut state.timeline);
    }

    /// Takes over a persisted analysis. Returns `false` (and changes
    /// nothing) if it does not belong to this model or is malformed.
    pub fn restore(&mut self, state: &TrackState) -> bool {
        if !state.is_valid_for(self.classifier.labels()) {
            return false;
        }
        let sums = state
            .track_sums_ppm
            .iter()
            .map(|&s| s as f64 / 1e6)
            .collect();
        let Some(track) = Accumulator::from_parts(sums, state.track_num_windows) else {
            return false;
        };
        self.track = track;
        self.timeline
            .replace(&state.timeline, state.timeline_num_dropped);
        true
    }

    /// Fills everything but `status`, `host_rate_hz` and `generation`.
    fn fill_snapshot(&self, snapshot: &mut Snapshot) {
        copy_labels(&mut snapshot.labels, self.classifier.labels());
        snapshot.now.clear();
        snapshot.now.extend_from_slice(self.now.values());
        snapshot.track.resize(self.labels().len(), 0.0);
        self.track.mean_into(&mut snapshot.track);
        snapshot.track_num_windows = self.track.num_windows();
        self.timeline.copy_to(&mut snapshot.timeline);
        snapshot.timeline_num_dropped = self.timeline.num_dropped();
        snapshot.hop_s = self.hop_s as f32;
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
    /// The host's resets, in order, as tap positions (samples written to the
    /// ring before each): the analysis stream restarts at each.
    pub resets: rtrb::Consumer<u64>,
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
        mut resets,
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
            &mut resets,
            &params,
            &shared,
            &mut publisher,
            host_rate_hz,
            stop,
        );
    }));
    if outcome.is_err() {
        let status = Status::InputError("the analysis stopped after an internal error".to_owned());
        publisher.publish_status(status.clone(), None);
        idle(&mut consumer, &mut publisher, status, stop);
    }
    snapshot_input
}

/// Keeps the ring drained (so "dropped input" stays meaningful) until stopped.
fn idle(
    consumer: &mut rtrb::Consumer<f32>,
    publisher: &mut Publisher<'_>,
    status: Status,
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
    resets: &mut rtrb::Consumer<u64>,
    params: &GenreMeterParams,
    shared: &Shared,
    publisher: &mut Publisher<'_>,
    host_rate_hz: f32,
    stop: &AtomicBool,
) {
    publisher.publish_status(Status::LoadingModel, None);

    let core = shared_classifier()
        .map_err(Status::ModelError)
        .and_then(|classifier| {
            AnalysisCore::new(
                classifier,
                host_rate_hz.round() as u32,
                params.gate_db.value(),
                params.response.value().time_constant_s(),
            )
            .map_err(|e| Status::InputError(e.to_string()))
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
            // Analyse up to the next reset's position, restart there, go on.
            // Look at the ring before the resets: the audio thread pushes a
            // reset before the tap writes what follows it, so a reset raised
            // before any sample seen here is seen too.
            let num_available = consumer.slots() as u64;
            let reset_at = resets.peek().copied().unwrap_or(u64::MAX);
            if num_read >= reset_at {
                let _ = resets.pop();
                core.restart_stream();
                changed = true;
                continue;
            }
            let num_wanted = num_available.min(reset_at - num_read);
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
        let status = core.status();
        if changed || just_opened || self.input.input_buffer().status != status {
            self.write(status, Some(core));
        }
        self.repaint.request_repaint();
    }

    /// Like [`Publisher::publish`] for a worker without a core.
    fn publish_if_open(&mut self, status: Status, core: Option<&AnalysisCore>) {
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
    fn publish_status(&mut self, status: Status, core: Option<&AnalysisCore>) {
        self.write(status, core);
        self.repaint.request_repaint();
    }

    fn write(&mut self, status: Status, core: Option<&AnalysisCore>) {
        let generation = self.input.input_buffer().generation;
        let snapshot = self.input.input_buffer_mut();
        if let Some(core) = core {
            core.fill_snapshot(snapshot);
        }
        snapshot.status = status;
        snapshot.host_rate_hz = self.host_rate_hz;
        snapshot.generation = generation.wrapping_add(2);
        self.input.publish();
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

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
        assert!(matches!(core.status(), Status::WarmingUp(s) if s > 2.5));
        let num_windows = core.push(&vec![0.0; RATE_HZ as usize * 10]);
        assert!(num_windows >= 6, "{num_windows} windows from 10 s");
        assert_eq!(core.num_inferences(), 0);
        assert_eq!(core.num_silent_windows(), num_windows as u64);
        assert_eq!(core.status(), Status::Silent);
        assert_eq!(core.track_num_windows(), 0);
        assert!(core.top_now().is_none());
        assert_eq!(core.num_timeline_entries(), num_windows);
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
        assert!(core.top_now().is_some());
        let mut state = TrackState::default();
        core.write_track_state(&mut state);
        assert!(state.is_valid_for(classifier.labels()));

        core.reset();
        assert_eq!(core.track_num_windows(), 0);
        assert_eq!(core.num_timeline_entries(), 0);
        assert!(core.top_now().is_none());
        assert!(matches!(core.status(), Status::WarmingUp(_)));

        assert!(core.restore(&state));
        let mut again = TrackState::default();
        core.write_track_state(&mut again);
        assert_eq!(again, state);
        assert!(!core.restore(&TrackState::default()));
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
            let before = core.top_now().map(|(i, _)| labels[i].clone());
            assert_eq!(before.as_deref(), Some("classical"), "top after clip A");
            let mut reaction_s = None;
            for (k, chunk) in b.chunks(step).enumerate() {
                core.push(chunk);
                if core.top_now().map(|(i, _)| i) == Some(idx("metal")) {
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
            .map(|i| if i % 2 == 0 { 1e30 } else { -f32::MAX })
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
        let (mut reset_producer, resets) = rtrb::RingBuffer::new(crate::MAX_PENDING_RESETS);
        let mut tap = crate::tap::Tap::new(producer);
        let shared = Arc::new(Shared::default());
        let mode = crate::params::ChannelMode::Left;
        for (i, segment) in segments.iter().enumerate() {
            if i > 0 {
                // What `GenreMeter::reset` does.
                reset_producer.push(tap.num_written()).unwrap();
            }
            tap.process(&[&mut segment.to_vec()], mode, &shared);
        }
        let params = Arc::new(GenreMeterParams::default());
        let (snapshot_input, _snapshot_output) = triple_buffer::triple_buffer(&Snapshot::default());
        let context = WorkerContext {
            consumer,
            resets,
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
        let num_labels = state.labels.len().max(1);
        (state.timeline.len() / num_labels) as u64 + state.timeline_num_dropped
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
