//! The plugin's parameters and its persisted analysis.
//!
//! Parameters are read lock-free from every thread: the audio thread reads
//! [`GenreMeterParams::channel`] and [`GenreMeterParams::bypass`], the worker
//! reads the rest once per poll. The persisted analysis ([`PersistedAnalysis`]) is only
//! touched off the audio thread: by the worker after every window, by the
//! host's state save/load on the main thread. A state from the host passes
//! through [`sanitize_state`] first, so whatever it holds loads as something
//! valid.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use genre_core::verdict::{Decider, Tally, Verdict};
use nice_plug::params::persist::{self, PersistentField};
use nice_plug::plugin::ParamValue;
use nice_plug::prelude::*;
use serde::{Deserialize, Serialize};

/// Lowest selectable silence gate.
pub const MIN_GATE_DB: f32 = -96.0;
/// Highest selectable silence gate.
pub const MAX_GATE_DB: f32 = -12.0;
/// Highest value of the Target parameter (0 is "none", `k` is the `k`-th label).
/// Generous so that a retrained model with more labels still fits.
pub const MAX_TARGET_LABELS: i32 = 32;
/// Version of [`TrackState`]'s layout. Version 1 (before the statuses:
/// one mean over every window, a timeline of listening history) is
/// upgraded on load ([`sanitize_state`]); other versions load as defaults.
pub const TRACK_STATE_VERSION: u32 = 2;
/// Timeline entries kept of a listening history: one hour at the 1 s hop.
pub const MAX_TIMELINE_ENTRIES: usize = 3600;
/// Timeline entries of a timeline that follows the song: three hours of
/// song at the 1 s hop. Later song positions are not analysed.
pub const MAX_SONG_ENTRIES: usize = 3 * 3600;
/// Key of [`GenreMeterParams::analysis`] among the state's fields: its
/// `#[persist]` key (a test keeps the two equal).
pub const ANALYSIS_FIELD: &str = "analysis";

/// Labels of the loaded model, for parameter display. Set once by the
/// worker after the first successful model load.
pub static MODEL_LABELS: OnceLock<Vec<String>> = OnceLock::new();

/// Which mono signal the analyzer hears.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelMode {
    /// The average of all input channels (the CLI's downmix).
    #[id = "sum"]
    #[name = "L+R"]
    Sum,
    /// The first channel only.
    #[id = "left"]
    #[name = "Left"]
    Left,
    /// The second channel only (the first on a mono track).
    #[id = "right"]
    #[name = "Right"]
    Right,
    /// (L + R) / √2: the centre of the stereo image at equal power.
    #[id = "mid"]
    #[name = "Mid"]
    Mid,
    /// (L − R) / √2: what is not in the centre (silent on a mono track).
    #[id = "side"]
    #[name = "Side"]
    Side,
}

/// How fast the "now" estimate follows the music.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Response {
    /// About 3 s.
    #[id = "fast"]
    #[name = "Fast (3 s)"]
    Fast,
    /// About 10 s.
    #[id = "normal"]
    #[name = "Normal (10 s)"]
    Normal,
    /// About 30 s.
    #[id = "slow"]
    #[name = "Slow (30 s)"]
    Slow,
}

impl Response {
    /// The smoother's time constant.
    pub fn time_constant_s(self) -> f64 {
        match self {
            Response::Fast => 3.0,
            Response::Normal => 10.0,
            Response::Slow => 30.0,
        }
    }
}

/// Everything the host automates and saves.
#[derive(Params)]
pub struct GenreMeterParams {
    /// The host's bypass: audio passes either way; while on, nothing is
    /// analysed. Read by the audio thread on every block.
    #[id = "bypass"]
    pub bypass: BoolParam,
    /// Mono tap mode; read by the tap on every block.
    #[id = "channel"]
    pub channel: EnumParam<ChannelMode>,
    /// "Now" smoothing; read by the worker on every poll.
    #[id = "response"]
    pub response: EnumParam<Response>,
    /// Windows quieter than this are not classified; read by the worker on every poll.
    #[id = "gate"]
    pub gate_db: FloatParam,
    /// 0 = no target, `k` = the model's `k`-th label; read by the editor.
    #[id = "target"]
    pub target: IntParam,
    /// Track-so-far and timeline; written by the worker after every window,
    /// saved and restored by the host.
    #[persist = "analysis"]
    pub analysis: PersistedAnalysis,
}

impl Default for GenreMeterParams {
    fn default() -> Self {
        Self {
            bypass: BoolParam::new("Bypass", false).make_bypass(),
            channel: EnumParam::new("Channel", ChannelMode::Sum),
            response: EnumParam::new("Response", Response::Normal),
            gate_db: FloatParam::new(
                "Gate",
                genre_core::analyzer::DEFAULT_GATE_DB,
                FloatRange::Linear {
                    min: MIN_GATE_DB,
                    max: MAX_GATE_DB,
                },
            )
            .with_step_size(1.0)
            .with_unit(" dB"),
            target: IntParam::new(
                "Target",
                0,
                IntRange::Linear {
                    min: 0,
                    max: MAX_TARGET_LABELS,
                },
            )
            .with_value_to_string(Arc::new(target_to_string))
            .with_string_to_value(Arc::new(target_from_string)),
            analysis: PersistedAnalysis::default(),
        }
    }
}

impl GenreMeterParams {
    /// The target label index, if the Target parameter names a label of a
    /// model with `num_labels` labels.
    pub fn target_idx(&self, num_labels: usize) -> Option<usize> {
        let value = self.target.value();
        (value >= 1 && (value as usize) <= num_labels).then(|| value as usize - 1)
    }
}

/// Display text of the Target parameter: the label name once a model is loaded.
fn target_to_string(value: i32) -> String {
    if value <= 0 {
        return "none".to_owned();
    }
    match MODEL_LABELS
        .get()
        .and_then(|labels| labels.get(value as usize - 1))
    {
        Some(label) => label.clone(),
        None => format!("label {value}"),
    }
}

/// Inverse of [`target_to_string`]: "none", a label name, "label N" or a number.
fn target_from_string(text: &str) -> Option<i32> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("none") {
        return Some(0);
    }
    if let Some(idx) = MODEL_LABELS
        .get()
        .and_then(|labels| labels.iter().position(|l| l.eq_ignore_ascii_case(text)))
    {
        return Some(idx as i32 + 1);
    }
    let number = text.strip_prefix("label ").unwrap_or(text).trim();
    number
        .parse::<i32>()
        .ok()
        .filter(|v| (0..=MAX_TARGET_LABELS).contains(v))
}

/// Makes a state from the host safe to load; nice-plug calls it (through
/// `Plugin::filter_state`) before applying any state.
///
/// nice-plug on its own keeps the current value of a parameter the state
/// lacks or gives with the wrong type, stores an out-of-range value as it
/// is, and keeps the current analysis when the state's is missing or not
/// JSON of a [`TrackState`]. Here each of those becomes the default instead,
/// so a corrupt, old or foreign state loads as defaults wherever it is not
/// valid. Unknown parameters and fields are left for nice-plug to ignore. A
/// state that is not JSON at all never gets here: the load fails and the
/// instance keeps what it had.
pub fn sanitize_state(state: &mut PluginState) {
    let defaults = GenreMeterParams::default();
    for (id, param, _group) in defaults.param_map() {
        // SAFETY: `param` points into `defaults`, which outlives the loop.
        let default = unsafe { default_value(param) };
        let is_valid = state
            .params
            .get(&id)
            .is_some_and(|value| unsafe { is_valid_value(param, value) });
        if !is_valid {
            state.params.insert(id, default);
        }
    }
    let analysis = state
        .fields
        .get(ANALYSIS_FIELD)
        .and_then(|text| upgraded_analysis(text));
    match analysis {
        Some(Some(upgraded)) => {
            state.fields.insert(ANALYSIS_FIELD.to_owned(), upgraded);
        }
        Some(None) => {}
        None => {
            let empty = persist::serialize_field(&TrackState::default())
                .expect("the default analysis serialises");
            state.fields.insert(ANALYSIS_FIELD.to_owned(), empty);
        }
    }
}

/// The analysis field of a state as it can be loaded: `Some(None)` when
/// `text` is a [`TrackState`] already, `Some(Some(text))` with the upgrade
/// of a version-1 analysis, `None` when it is neither.
fn upgraded_analysis(text: &str) -> Option<Option<String>> {
    if persist::deserialize_field::<TrackState>(text).is_ok() {
        return Some(None);
    }
    let old = persist::deserialize_field::<TrackStateV1>(text).ok()?;
    (old.version == 1)
        .then(|| persist::serialize_field(&TrackState::from(old)).ok())
        .flatten()
        .map(Some)
}

/// The default of `param` as nice-plug stores it in a state.
///
/// # Safety
///
/// `param` must point to a live parameter.
unsafe fn default_value(param: ParamPtr) -> ParamValue {
    let plain = unsafe { param.default_plain_value() };
    match param {
        ParamPtr::FloatParam(_) => ParamValue::F32(plain),
        ParamPtr::IntParam(_) | ParamPtr::EnumParam(_) => ParamValue::I32(plain.round() as i32),
        ParamPtr::BoolParam(_) => ParamValue::Bool(plain >= 0.5),
    }
}

/// Whether nice-plug would load `value` into `param` as a value inside its
/// range. May change `param` (an enum is tried by its id).
///
/// # Safety
///
/// `param` must point to a live parameter.
unsafe fn is_valid_value(param: ParamPtr, value: &ParamValue) -> bool {
    let in_range = |plain: f32| {
        let (a, b) = unsafe { (param.preview_plain(0.0), param.preview_plain(1.0)) };
        plain >= a.min(b) && plain <= a.max(b)
    };
    match (param, value) {
        (ParamPtr::FloatParam(_), ParamValue::F32(plain)) => in_range(*plain),
        (ParamPtr::IntParam(_) | ParamPtr::EnumParam(_), ParamValue::I32(plain)) => {
            in_range(*plain as f32)
        }
        (ParamPtr::EnumParam(inner), ParamValue::String(id)) => unsafe { (*inner).set_from_id(id) },
        (ParamPtr::BoolParam(_), ParamValue::Bool(_)) => true,
        _ => false,
    }
}

/// The persisted analysis: what a reopened project shows before new audio
/// arrives. Integers and text only, so save → load → save gives identical
/// bytes. Unknown fields make it invalid (a newer layout loads as defaults).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrackState {
    /// [`TRACK_STATE_VERSION`] when written.
    pub version: u32,
    /// The model's labels when written; state for other labels is discarded.
    pub labels: Vec<String>,
    /// The track so far, a [`Tally`]: per label, the sum of the
    /// probabilities of the windows whose answer named a genre, in millionths.
    pub music_sums_ppm: Vec<u64>,
    /// Windows whose answer named a genre (ok or uncertain).
    pub num_music: u64,
    /// Per label, the sum of the probabilities of the windows whose answer
    /// was `not_music`, in millionths.
    pub no_genre_sums_ppm: Vec<u64>,
    /// Windows whose answer was `not_music`.
    pub num_no_genre: u64,
    /// Milliseconds between timeline entries.
    pub timeline_hop_ms: u32,
    /// Whether the timeline follows the host's song position (entry `k` is
    /// song time `k × hop`) rather than being a listening history.
    pub timeline_follows_song: bool,
    /// Index of the first entry kept: the song entry it is when following
    /// the song, else how many were dropped from the front of the history.
    pub timeline_first: u64,
    /// Entries of `labels.len()` probabilities each, 0–255; all zero for an
    /// entry that was not classified.
    pub timeline: Vec<u8>,
    /// One letter per entry, what it is (see [`EntryKind`]).
    pub timeline_kinds: String,
}

impl TrackState {
    /// Whether this state is well formed and belongs to a model with `labels`.
    pub fn is_valid_for(&self, labels: &[String]) -> bool {
        let num_labels = labels.len();
        let num_entries = self.timeline_kinds.len();
        let max_entries = if self.timeline_follows_song {
            MAX_SONG_ENTRIES
        } else {
            MAX_TIMELINE_ENTRIES
        };
        let sums_fit = |sums: &[u64], n: u64| {
            sums.len() == num_labels
                && (n > 0 || sums.iter().all(|&s| s == 0))
                && sums.iter().all(|&s| s <= n.saturating_mul(1_000_000))
        };
        let entries_fit = self
            .timeline_kinds
            .chars()
            .zip(self.timeline.chunks(num_labels.max(1)))
            .all(|(letter, bytes)| match EntryKind::from_letter(letter) {
                Some(EntryKind::Classified) => true,
                Some(_) => bytes.iter().all(|&b| b == 0),
                None => false,
            });
        self.version == TRACK_STATE_VERSION
            && num_labels > 0
            && self.labels == labels
            && sums_fit(&self.music_sums_ppm, self.num_music)
            && sums_fit(&self.no_genre_sums_ppm, self.num_no_genre)
            && self.timeline_hop_ms > 0
            && self.timeline.len() == num_entries * num_labels
            && num_entries <= max_entries
            && (!self.timeline_follows_song
                || self.timeline_first.saturating_add(num_entries as u64)
                    <= MAX_SONG_ENTRIES as u64)
            && entries_fit
    }

    /// Windows counted in the track so far.
    pub fn num_classified(&self) -> u64 {
        self.num_music + self.num_no_genre
    }

    /// Timeline entries kept.
    pub fn num_entries(&self) -> usize {
        self.timeline_kinds.len()
    }

    /// The track so far as a [`Tally`] (`None` if malformed). Allocates.
    pub fn tally(&self) -> Option<Tally> {
        let sums = |ppm: &[u64]| ppm.iter().map(|&s| s as f64 / 1e6).collect();
        Tally::from_parts(
            sums(&self.music_sums_ppm),
            self.num_music,
            sums(&self.no_genre_sums_ppm),
            self.num_no_genre,
        )
    }

    /// The track-so-far estimate and its verdict; `None` when nothing was
    /// classified or the state is malformed. Allocates.
    pub fn estimate(&self, decider: &Decider) -> Option<(Vec<f32>, Verdict)> {
        self.tally()?.estimate(decider)
    }
}

/// What a timeline entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EntryKind {
    /// Nothing: that part of the song was not played (yet).
    #[default]
    Empty,
    /// A classified window; its probabilities say what it was.
    Classified,
    /// A window below the gate.
    Silent,
    /// A window that was only partly music (audio starting or stopping
    /// inside it): not classified.
    PartlySilent,
    /// The model failed on this window.
    Failed,
}

impl EntryKind {
    /// Every kind.
    pub const ALL: [EntryKind; 5] = [
        EntryKind::Empty,
        EntryKind::Classified,
        EntryKind::Silent,
        EntryKind::PartlySilent,
        EntryKind::Failed,
    ];

    /// Its letter in [`TrackState::timeline_kinds`].
    pub fn letter(self) -> char {
        match self {
            EntryKind::Empty => '.',
            EntryKind::Classified => 'c',
            EntryKind::Silent => 's',
            EntryKind::PartlySilent => 'p',
            EntryKind::Failed => 'e',
        }
    }

    /// The kind a letter stands for.
    pub fn from_letter(letter: char) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.letter() == letter)
    }
}

/// The analysis as version 1 saved it: one mean over every classified
/// window, and a listening history in which an all-zero entry was silent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct TrackStateV1 {
    version: u32,
    labels: Vec<String>,
    track_sums_ppm: Vec<u64>,
    track_num_windows: u64,
    timeline_hop_ms: u32,
    timeline_num_dropped: u64,
    timeline: Vec<u8>,
}

impl From<TrackStateV1> for TrackState {
    /// Every classified window of version 1 named a genre (there was no
    /// "not music"); its timeline was a listening history.
    fn from(old: TrackStateV1) -> Self {
        let num_labels = old.labels.len().max(1);
        let timeline_kinds = old
            .timeline
            .chunks(num_labels)
            .map(|entry| {
                if entry.iter().all(|&b| b == 0) {
                    EntryKind::Silent.letter()
                } else {
                    EntryKind::Classified.letter()
                }
            })
            .collect();
        Self {
            version: TRACK_STATE_VERSION,
            no_genre_sums_ppm: vec![0; old.track_sums_ppm.len()],
            labels: old.labels,
            music_sums_ppm: old.track_sums_ppm,
            num_music: old.track_num_windows,
            num_no_genre: 0,
            timeline_hop_ms: old.timeline_hop_ms,
            timeline_follows_song: false,
            timeline_first: old.timeline_num_dropped,
            timeline: old.timeline,
            timeline_kinds,
        }
    }
}

/// [`TrackState`] behind a lock, plus a counter of host state loads so the
/// worker knows when to take the loaded analysis over.
#[derive(Debug, Default)]
pub struct PersistedAnalysis {
    /// The state; written by the worker and by state loads.
    state: RwLock<TrackState>,
    /// Incremented by every state load.
    num_loads: AtomicU64,
}

impl PersistedAnalysis {
    /// A copy of the current state. Allocates.
    pub fn get(&self) -> TrackState {
        self.state.read().map(|s| s.clone()).unwrap_or_default()
    }

    /// Replaces the state without counting it as a load (the worker's path).
    pub fn store(&self, state: &TrackState) {
        if let Ok(mut guard) = self.state.write() {
            guard.clone_from(state);
        }
    }

    /// Host state loads so far.
    pub fn num_loads(&self) -> u64 {
        self.num_loads.load(Ordering::Acquire)
    }
}

impl<'a> PersistentField<'a, TrackState> for PersistedAnalysis {
    fn set(&self, new_value: TrackState) {
        if let Ok(mut guard) = self.state.write() {
            *guard = new_value;
        }
        self.num_loads.fetch_add(1, Ordering::AcqRel);
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&TrackState) -> R,
    {
        match self.state.read() {
            Ok(guard) => f(&guard),
            Err(poisoned) => f(&poisoned.into_inner()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<String> {
        ["a", "b"].map(String::from).to_vec()
    }

    fn good_state() -> TrackState {
        TrackState {
            version: TRACK_STATE_VERSION,
            labels: labels(),
            music_sums_ppm: vec![1_500_000, 500_000],
            num_music: 2,
            no_genre_sums_ppm: vec![0, 0],
            num_no_genre: 0,
            timeline_hop_ms: 999,
            timeline_follows_song: true,
            timeline_first: 7,
            timeline: vec![255, 0, 0, 0, 128, 127],
            timeline_kinds: "csc".to_owned(),
        }
    }

    #[test]
    fn validity_checks_shape_and_labels() {
        let good = good_state();
        assert!(good.is_valid_for(&labels()));
        let names = labels();
        let decider = Decider::new(&genre_core::card::DecisionSpec::default_for(&names), &names);
        let (means, verdict) = good.estimate(&decider).unwrap();
        assert_eq!(means, vec![0.75, 0.25]);
        assert_eq!(verdict.status, genre_core::verdict::Status::Ok);
        assert!(!good.is_valid_for(&["a".to_owned()]));
        let broken: [fn(&mut TrackState); 9] = [
            |s| s.timeline.push(1),
            |s| s.music_sums_ppm[0] = 3_000_000,
            |s| s.no_genre_sums_ppm[0] = 1,
            |s| s.no_genre_sums_ppm.pop().map(drop).unwrap_or(()),
            |s| s.timeline_kinds.push('c'),
            |s| s.timeline_kinds = "cxc".to_owned(),
            // A silent entry with probabilities.
            |s| s.timeline[2] = 9,
            |s| s.timeline_first = MAX_SONG_ENTRIES as u64,
            |s| s.version = 1,
        ];
        for (i, breaking) in broken.iter().enumerate() {
            let mut bad = good.clone();
            breaking(&mut bad);
            assert!(!bad.is_valid_for(&labels()), "change {i} went unnoticed");
        }
        // A history may start anywhere.
        let mut history = good.clone();
        history.timeline_follows_song = false;
        history.timeline_first = 1 << 40;
        assert!(history.is_valid_for(&labels()));
        assert!(!TrackState::default().is_valid_for(&labels()));
    }

    /// What version 1 saved, before the statuses and the song timeline.
    const V1_ANALYSIS: &str = r#"{"version":1,"labels":["a","b"],"track_sums_ppm":[1500000,500000],"track_num_windows":2,"timeline_hop_ms":998,"timeline_num_dropped":5,"timeline":[0,0,255,0,128,127]}"#;

    #[test]
    fn version_1_analyses_are_upgraded() {
        let (_, upgraded) = filtered(state(&[], Some(V1_ANALYSIS)));
        let new: TrackState = persist::deserialize_field(&upgraded).unwrap();
        assert!(new.is_valid_for(&labels()), "{new:?}");
        assert_eq!(new.music_sums_ppm, [1_500_000, 500_000]);
        assert_eq!((new.num_music, new.num_no_genre), (2, 0));
        assert_eq!(new.no_genre_sums_ppm, [0, 0]);
        assert_eq!(new.timeline_kinds, "scc");
        assert_eq!(new.timeline, [0, 0, 255, 0, 128, 127]);
        assert!(!new.timeline_follows_song);
        assert_eq!((new.timeline_first, new.timeline_hop_ms), (5, 998));
        // Upgrading is done once: the upgraded text passes as it is.
        assert_eq!(filtered(state_with(&upgraded)).1, upgraded);
        // A version-1 layout that claims another version is not guessed at.
        let other = V1_ANALYSIS.replace(r#""version":1"#, r#""version":3"#);
        assert_eq!(filtered(state_with(&other)).1, filtered(state(&[], None)).1);
    }

    fn state_with(analysis: &str) -> PluginState {
        state(&[], Some(analysis))
    }

    #[test]
    fn target_text_round_trips() {
        for value in 0..=MAX_TARGET_LABELS {
            assert_eq!(target_from_string(&target_to_string(value)), Some(value));
        }
        assert_eq!(target_from_string("bogus"), None);
        assert_eq!(target_from_string("99"), None);
    }

    fn state(params: &[(&str, ParamValue)], analysis: Option<&str>) -> PluginState {
        PluginState {
            version: "0.0.1".to_owned(),
            params: params
                .iter()
                .map(|(id, value)| ((*id).to_owned(), value.clone()))
                .collect(),
            fields: analysis
                .map(|text| (ANALYSIS_FIELD.to_owned(), text.to_owned()))
                .into_iter()
                .collect(),
        }
    }

    /// The filtered value of each of our parameters, and the filtered analysis.
    fn filtered(mut state: PluginState) -> (Vec<(String, String)>, String) {
        sanitize_state(&mut state);
        let values = GenreMeterParams::default()
            .param_map()
            .into_iter()
            .map(|(id, _, _)| {
                let value = format!("{:?}", state.params.get(&id));
                (id, value)
            })
            .collect();
        (values, state.fields[ANALYSIS_FIELD].clone())
    }

    #[test]
    fn analysis_field_is_the_persist_key() {
        let fields = GenreMeterParams::default().serialize_fields();
        assert_eq!(fields.keys().collect::<Vec<_>>(), [ANALYSIS_FIELD]);
    }

    #[test]
    fn bad_states_filter_to_defaults() {
        let defaults = filtered(state(&[], None));
        assert!(
            defaults
                .0
                .iter()
                .all(|(_, value)| value.starts_with("Some("))
        );
        assert_eq!(
            persist::deserialize_field::<TrackState>(&defaults.1).unwrap(),
            TrackState::default()
        );
        let bad_analyses = [
            None,
            Some("not json"),
            Some(""),
            Some("[1,2,3]"),
            Some(r#"{"version":"one"}"#),
            Some(r#"{"timeline":[1,2,300]}"#),
            Some(r#"{"track_sums_ppm":[-5]}"#),
            Some(r#"{"version":1,"labels":["a","b"]"#),
            Some(r#"{"version":2,"labels":["a"],"from_the_future":1}"#),
            Some(r#"{"version":1,"track_sums_ppm":[-5]}"#),
            Some(r#"{"version":2,"timeline_kinds":7}"#),
        ];
        let bad_params: [&[(&str, ParamValue)]; 6] = [
            &[],
            &[
                ("drive", ParamValue::F32(0.3)),
                ("mix", ParamValue::Bool(true)),
            ],
            &[
                ("channel", ParamValue::String("surround".to_owned())),
                ("response", ParamValue::I32(17)),
                ("gate", ParamValue::F32(1e30)),
                ("target", ParamValue::I32(-4)),
                ("bypass", ParamValue::F32(1.0)),
            ],
            &[
                ("channel", ParamValue::F32(1.0)),
                ("response", ParamValue::Bool(true)),
                ("gate", ParamValue::I32(-40)),
                ("target", ParamValue::String("rock".to_owned())),
                ("bypass", ParamValue::I32(1)),
            ],
            &[
                ("gate", ParamValue::F32(f32::NEG_INFINITY)),
                ("target", ParamValue::I32(i32::MAX)),
            ],
            &[
                ("gate", ParamValue::F32(-11.999_999)),
                ("response", ParamValue::I32(-1)),
            ],
        ];
        for (i, params) in bad_params.iter().enumerate() {
            for (j, analysis) in bad_analyses.iter().enumerate() {
                assert_eq!(
                    filtered(state(params, *analysis)),
                    defaults,
                    "params {i}, analysis {j}"
                );
            }
        }
    }

    #[test]
    fn good_and_old_states_pass_unchanged() {
        // An older nice-plug saved enums by index; all values are in range.
        let values = [
            ("channel", ParamValue::I32(2)),
            ("response", ParamValue::String("fast".to_owned())),
            ("gate", ParamValue::F32(-96.0)),
            ("target", ParamValue::I32(32)),
            ("bypass", ParamValue::Bool(true)),
        ];
        let analysis = persist::serialize_field(&good_state()).unwrap();
        let (params, kept) = filtered(state(&values, Some(&analysis)));
        assert_eq!(kept, analysis);
        let expected: Vec<(String, String)> = values
            .iter()
            .map(|(id, value)| ((*id).to_owned(), format!("{:?}", Some(value))))
            .collect();
        let mut params = params;
        params.sort();
        let mut expected = expected;
        expected.sort();
        assert_eq!(params, expected);
        // Partial analyses are JSON of a TrackState, so they pass; the
        // worker then rejects any that does not fit the model.
        for old in ["{}", r#"{"version":0,"timeline":[1]}"#] {
            assert_eq!(filtered(state(&[], Some(old))).1, old);
        }
    }

    #[test]
    fn loads_are_counted_and_round_trip() {
        let cell = PersistedAnalysis::default();
        let state = TrackState {
            version: TRACK_STATE_VERSION,
            labels: labels(),
            ..TrackState::default()
        };
        cell.store(&state);
        assert_eq!(cell.num_loads(), 0);
        let text = cell.map(|s| serde_json::to_string(s).unwrap());
        cell.set(serde_json::from_str(&text).unwrap());
        assert_eq!(cell.num_loads(), 1);
        assert_eq!(cell.get(), state);
        assert!(serde_json::from_str::<TrackState>("{\"version\": \"x\"}").is_err());
        assert_eq!(
            serde_json::from_str::<TrackState>("{}").unwrap(),
            TrackState::default()
        );
    }
}
