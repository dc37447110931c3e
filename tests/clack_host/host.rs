//! The test host: loads Genre Meter through clack-host and streams audio
//! through it the way a DAW does, checking every output sample.
//!
//! [`run`] activates the plugin, processes a [`Stream`] on an audio thread of
//! its own (block sizes, host resets and parameter automation as the stream
//! asks) and deactivates it. Every output sample must have the bit pattern
//! of the input sample, NaN payloads included. The plugin's analysis is read
//! the way a host can read it: from the saved state (`fields.analysis`).
//!
//! A paced stream never lets the host run further ahead of what the analysis
//! has surely read than the tap's ring holds, so nothing is dropped and every
//! sample is analysed however slow the build is. The main thread learns how
//! far the worker got from the windows in the saved state (saving while the
//! audio thread processes, as a host may, and serving the plugin's
//! main-thread callbacks). A window proves its input was read; a stretch
//! that ends in no window (a reset less than a window after the previous
//! one) proves nothing, so a paced stream must not need more than a ring
//! of such audio in a row. An unpaced stream goes as fast as the host can
//! (an offline bounce).
//!
//! A stream may carry a host transport ([`Section`]s of playing and stopped
//! song time, sent with every process call as CLAP transport info). Its
//! song timeline does not grow window by window, so such a stream is paced
//! in time instead: at most [`Stream::speed`] times real time.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use clack_extensions::audio_ports::{AudioPortInfoBuffer, PluginAudioPorts};
use clack_extensions::audio_ports_config::{
    AudioPortsConfigBuffer, MainPortInfo, PluginAudioPortsConfig,
};
use clack_extensions::params::{ParamInfoBuffer, ParamInfoFlags, PluginParams};
use clack_extensions::render::{PluginRender, RenderMode};
use clack_extensions::state::PluginState;
use clack_host::events::EventFlags;
use clack_host::events::event_types::{ParamValueEvent, TransportEvent, TransportFlags};
use clack_host::prelude::*;
use clack_host::utils::{BeatTime, SecondsTime};
use genre_core::analyzer::{Analyzer, AnalyzerConfig, DEFAULT_GATE_DB};
use genre_core::card::ModelCard;
use genre_core::mel::FeatureSpec;
use genre_core::verdict::Decider;
use genre_meter::params::TrackState;

/// Set to `1` for the full-length soak and instance tests (see the README).
pub const FULL_LENGTH_ENV: &str = "GENRE_METER_FULL";
/// Largest block the host announces and sends.
pub const MAX_BLOCK: usize = 8192;
/// A paced run fails if the analysis makes no progress for this long while
/// the host waits for it: the worker has stopped.
const STALL_LIMIT: Duration = Duration::from_secs(120);

/// Host callbacks; the plugin's requests are ignored.
pub struct TestHost;
/// State shared between the host's threads (none needed).
pub struct TestHostShared;

impl SharedHandler<'_> for TestHostShared {
    fn request_restart(&self) {}
    fn request_process(&self) {}
    fn request_callback(&self) {}
}

impl HostHandlers for TestHost {
    type Shared<'a> = TestHostShared;
    type MainThread<'a> = ();
    type AudioProcessor<'a> = ();
}

/// Whether the long tests run at full length ([`FULL_LENGTH_ENV`]`=1`).
pub fn full_length() -> bool {
    std::env::var(FULL_LENGTH_ENV).is_ok_and(|v| v == "1")
}

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The plugin binary: `GENRE_METER_CLAP` (absolute), else the cdylib that
/// `cargo test` built beside this test binary with the same features.
pub fn plugin_path() -> PathBuf {
    if let Some(path) = std::env::var_os("GENRE_METER_CLAP") {
        let path = PathBuf::from(path);
        assert!(
            path.is_absolute(),
            "GENRE_METER_CLAP must be absolute: {}",
            path.display()
        );
        return path;
    }
    let beside_test = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join("libgenre_meter.so")));
    match beside_test {
        Some(path) if path.exists() => path,
        _ => manifest_dir().join("target/debug/libgenre_meter.so"),
    }
}

/// A tiny deterministic generator (xorshift), so failures reproduce.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A file decoded to mono at `rate_hz` by the same code the CLI uses.
pub fn decode(path: &Path, rate_hz: u32) -> Vec<f32> {
    let mut samples = Vec::new();
    genre_core::audio::for_each_chunk(path, rate_hz, |c| samples.extend_from_slice(c))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    samples
}

/// `examples/<genre>.mp3` at `rate_hz` (the committed example clips).
pub fn example(genre: &str, rate_hz: u32) -> Vec<f32> {
    let path = manifest_dir().join("examples").join(format!("{genre}.mp3"));
    assert!(path.exists(), "{} is missing", path.display());
    decode(&path, rate_hz)
}

/// What the tests need to know about the shipped model, from its card.
pub struct Model {
    /// The labels, in the model's order.
    pub labels: Vec<String>,
    /// The card's decision rules.
    pub decider: Decider,
    pub spec: FeatureSpec,
    /// Host frames the first window needs, per host rate (measured).
    first_window_frames: Mutex<BTreeMap<u32, u64>>,
    sample_rate_hz: u64,
    n_fft: u64,
    hop_length: u64,
    window_frames: u64,
    /// Frames between windows: the worker's hop.
    hop_frames: u64,
}

/// The shipped model's card (read once).
pub fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let path = Path::new(genre_core::model::SHIPPED_CARD_PATH);
        let card = ModelCard::from_path(path).unwrap_or_else(|e| panic!("{e}"));
        let spec = &card.features;
        let hop_frames = (genre_meter::worker::HOP_S / spec.frame_period_s()).round() as u64;
        Model {
            labels: card.labels.clone(),
            decider: Decider::from_card(&card),
            spec: spec.clone(),
            first_window_frames: Mutex::new(BTreeMap::new()),
            sample_rate_hz: u64::from(spec.sample_rate_hz),
            n_fft: spec.n_fft as u64,
            hop_length: spec.hop_length as u64,
            window_frames: spec.window_frames as u64,
            hop_frames: hop_frames.max(1),
        }
    })
}

impl Model {
    /// The most windows `num_frames` host frames at `rate_hz` can give in
    /// one analysis stream. The analysis gives this many or, when the
    /// resampler still holds the end of the last window, one fewer.
    pub fn max_windows(&self, num_frames: u64, rate_hz: u32) -> u64 {
        let num_model = (u128::from(num_frames) * u128::from(self.sample_rate_hz))
            .div_ceil(u128::from(rate_hz)) as u64;
        if num_model < self.n_fft {
            return 0;
        }
        let num_mel_frames = (num_model - self.n_fft) / self.hop_length + 1;
        if num_mel_frames < self.window_frames {
            return 0;
        }
        (num_mel_frames - self.window_frames) / self.hop_frames + 1
    }

    /// Host frames the analysis must have read to have given `num_windows`
    /// windows in one stream (a lower bound): the first window's measured
    /// need, then a hop per window, less a resampler block's worth of slack.
    fn frames_read_for(&self, num_windows: u64, rate_hz: u32) -> u64 {
        if num_windows == 0 {
            return 0;
        }
        let hop_model = u128::from((num_windows - 1) * self.hop_frames * self.hop_length);
        let hops = (hop_model * u128::from(rate_hz) / u128::from(self.sample_rate_hz)) as u64;
        let slack = u64::from(rate_hz) / 4;
        self.first_window_frames(rate_hz) + hops.saturating_sub(slack)
    }

    /// Host frames the analysis needs for its first window at `rate_hz`
    /// (resampler delay included), measured with the analyzer itself.
    fn first_window_frames(&self, rate_hz: u32) -> u64 {
        let mut known = self.first_window_frames.lock().unwrap();
        *known.entry(rate_hz).or_insert_with(|| {
            let config = AnalyzerConfig {
                hop_frames: self.hop_frames as usize,
                gate_db: DEFAULT_GATE_DB,
            };
            let mut analyzer = Analyzer::new(&self.spec, rate_hz, config).unwrap();
            const PROBE: usize = 64;
            let mut num_frames = 0;
            while analyzer.num_windows() == 0 {
                analyzer.push(&[0.0; PROBE], |_| {});
                num_frames += PROBE as u64;
            }
            num_frames - PROBE as u64
        })
    }
}

/// Windows a listening history holds or dropped since the analysis was
/// last cleared (classified, silent and failed ones; it counts them all).
pub fn num_windows(state: &TrackState) -> u64 {
    assert!(
        !state.timeline_follows_song,
        "a song timeline does not count windows"
    );
    state.num_entries() as u64 + state.timeline_first
}

/// The track-so-far estimate's probabilities (zeros if nothing was classified).
pub fn track_means(state: &TrackState) -> Vec<f32> {
    state
        .estimate(&model().decider)
        .map_or_else(|| vec![0.0; state.labels.len()], |(means, _)| means)
}

/// The genre the track so far names (confidently or as a guess), if any.
pub fn top_label(state: &TrackState) -> Option<&str> {
    let (_, verdict) = state.estimate(&model().decider)?;
    let (top, _) = verdict.top_genre.filter(|_| verdict.status.has_genre())?;
    Some(state.labels[top].as_str())
}

/// The track so far as text, for messages.
pub fn describe(state: &TrackState) -> String {
    let mut means: Vec<(f32, &str)> = track_means(state)
        .into_iter()
        .zip(state.labels.iter().map(String::as_str))
        .collect();
    means.sort_by(|a, b| b.0.total_cmp(&a.0));
    let top: Vec<String> = means
        .iter()
        .take(3)
        .map(|(p, l)| format!("{l} {p:.2}"))
        .collect();
    let status = state
        .estimate(&model().decider)
        .map_or("silent", |(_, v)| v.status.as_str());
    format!(
        "{} timeline entries from {} ({}), {} classified, track: {status}: {}",
        state.num_entries(),
        state.timeline_first,
        if state.timeline_follows_song {
            "song"
        } else {
            "history"
        },
        state.num_classified(),
        top.join(", ")
    )
}

/// The channel layouts the plugin declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Stereo,
    Mono,
}

impl Layout {
    pub fn num_channels(self) -> usize {
        match self {
            Layout::Stereo => 2,
            Layout::Mono => 1,
        }
    }
}

/// The plugin's entry, loaded once: the library stays loaded for the whole
/// test process, as in a host, so instances share its model.
fn entry() -> &'static PluginEntry {
    static ENTRY: OnceLock<PluginEntry> = OnceLock::new();
    ENTRY.get_or_init(|| {
        let path = plugin_path();
        assert!(
            path.exists(),
            "plugin not found at {} (build it: cargo build -p genre-meter --lib)",
            path.display()
        );
        println!("plugin: {}", path.display());
        unsafe { PluginEntry::load(&path) }.unwrap_or_else(|e| panic!("{}: {e:?}", path.display()))
    })
}

/// An instance of Genre Meter.
pub struct Loaded {
    pub instance: PluginInstance<TestHost>,
}

impl Loaded {
    /// Creates an instance on the calling thread (its main thread from then on).
    pub fn new() -> Self {
        let entry = entry();
        let factory = entry.get_plugin_factory().expect("no plugin factory");
        let descriptor = factory
            .plugin_descriptors()
            .next()
            .expect("no plugin in the factory");
        let id = CString::from(descriptor.id().expect("plugin without id"));
        assert_eq!(
            descriptor.name().map(|n| n.to_str().unwrap()),
            Some("Genre Meter")
        );
        let host_info = HostInfo::new(
            "genre-meter-test",
            "genre-meter",
            "https://example.invalid",
            "0.1",
        )
        .unwrap();
        let instance =
            PluginInstance::<TestHost>::new(|_| TestHostShared, |_| (), entry, &id, &host_info)
                .expect("instantiate");
        Self { instance }
    }

    /// Channel counts of the main input and output ports.
    pub fn port_channels(&mut self) -> (u32, u32) {
        let handle = self.instance.plugin_handle();
        let ports = handle
            .get_extension::<PluginAudioPorts>()
            .expect("audio ports");
        let mut buffer = AudioPortInfoBuffer::new();
        let mut count = |is_input| {
            assert_eq!(ports.count(&handle, is_input), 1, "one port each way");
            ports
                .get(&handle, 0, is_input, &mut buffer)
                .expect("port info")
                .channel_count
        };
        (count(true), count(false))
    }

    /// Selects the port configuration with `layout`'s channel count (the
    /// plugin must be inactive).
    pub fn select_layout(&mut self, layout: Layout) {
        let handle = self.instance.plugin_handle();
        let configs = handle
            .get_extension::<PluginAudioPortsConfig>()
            .expect("audio-ports-config extension");
        let wanted = layout.num_channels() as u32;
        let mut buffer = AudioPortsConfigBuffer::new();
        let id = (0..configs.count(&handle))
            .find_map(|i| {
                let config = configs.get(&handle, i, &mut buffer)?;
                let channels = |port: Option<MainPortInfo>| port.map(|p| p.channel_count);
                (channels(config.main_input) == Some(wanted)
                    && channels(config.main_output) == Some(wanted))
                .then_some(config.id)
            })
            .unwrap_or_else(|| panic!("no {layout:?} port configuration"));
        configs.select(&handle, id).expect("select layout");
        assert_eq!(
            self.port_channels(),
            (wanted, wanted),
            "{layout:?} selected"
        );
    }

    /// Tells the plugin whether it runs in real time or offline (a bounce).
    pub fn set_render_mode(&mut self, mode: RenderMode) {
        let handle = self.instance.plugin_handle();
        let render = handle
            .get_extension::<PluginRender>()
            .expect("render extension");
        render.set(&handle, mode).expect("set render mode");
    }

    /// Each parameter: id, name, minimum, maximum and default.
    pub fn param_infos(&mut self) -> Vec<ParamSummary> {
        let handle = self.instance.plugin_handle();
        let params = handle
            .get_extension::<PluginParams>()
            .expect("params extension");
        let mut buffer = ParamInfoBuffer::new();
        (0..params.count(&handle))
            .map(|i| {
                let info = params
                    .get_info(&handle, i, &mut buffer)
                    .expect("param info");
                ParamSummary {
                    id: info.id,
                    name: String::from_utf8_lossy(info.name).into_owned(),
                    min: info.min_value,
                    max: info.max_value,
                    default: info.default_value,
                    is_bypass: info.flags.contains(ParamInfoFlags::IS_BYPASS),
                }
            })
            .collect()
    }

    /// The current plain value of a parameter.
    pub fn param_value(&mut self, id: ClapId) -> f64 {
        let handle = self.instance.plugin_handle();
        let params = handle
            .get_extension::<PluginParams>()
            .expect("params extension");
        params.get_value(&handle, id).expect("param value")
    }

    pub fn save_state(&mut self) -> Vec<u8> {
        let handle = self.instance.plugin_handle();
        let state = handle
            .get_extension::<PluginState>()
            .expect("state extension");
        let mut bytes = Vec::new();
        state.save(&handle, &mut bytes).expect("state save");
        bytes
    }

    /// Whether the plugin accepted the state.
    pub fn load_state(&mut self, bytes: &[u8]) -> bool {
        let handle = self.instance.plugin_handle();
        let state = handle
            .get_extension::<PluginState>()
            .expect("state extension");
        state.load(&handle, &mut Cursor::new(bytes)).is_ok()
    }

    /// The persisted analysis, from a state save.
    pub fn analysis(&mut self) -> TrackState {
        persisted_analysis(&self.save_state())
    }
}

/// A parameter as the host sees it.
#[derive(Debug, Clone)]
pub struct ParamSummary {
    pub id: ClapId,
    pub name: String,
    pub min: f64,
    pub max: f64,
    pub default: f64,
    /// Flagged as the plugin's bypass.
    pub is_bypass: bool,
}

/// The persisted analysis inside saved state (8-byte length + JSON whose
/// `fields.analysis` is the analysis as JSON text).
pub fn persisted_analysis(bytes: &[u8]) -> TrackState {
    assert!(bytes.len() > 8, "state too short: {} bytes", bytes.len());
    let length = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    assert_eq!(length, bytes.len() - 8, "state length prefix");
    let json: serde_json::Value =
        serde_json::from_slice(&bytes[8..]).expect("state is JSON after the length");
    let text = json["fields"]["analysis"]
        .as_str()
        .expect("state has fields.analysis");
    serde_json::from_str(text).expect("fields.analysis is a TrackState")
}

/// How the host cuts a stream into blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocks {
    /// Always this many frames (the last block may be shorter); at least 1.
    Fixed(usize),
    /// 1 to [`MAX_BLOCK`] frames, uniformly at random.
    Random,
    /// Like `Random`, with one block in eight empty (0 frames).
    WithEmpty,
}

impl Blocks {
    fn next_len(self, rng: &mut Rng) -> usize {
        match self {
            Blocks::Fixed(n) => n.max(1),
            Blocks::Random => 1 + rng.below(MAX_BLOCK),
            Blocks::WithEmpty if rng.below(8) == 0 => 0,
            Blocks::WithEmpty => 1 + rng.below(MAX_BLOCK),
        }
    }
}

/// Which parameters the host automates while processing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Automation {
    None,
    /// Three changes per block, to random parameters and values; all but
    /// the bypass (bypassed, nothing is analysed, so a paced host would
    /// wait for the analysis forever).
    All,
    /// Three changes per block, to the parameter with this name only.
    Only(&'static str),
    /// The parameter with this name set to this value at the first frame.
    Set(&'static str, f64),
}

/// A stretch of a stream's song time (see [`Stream::song`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Section {
    /// Frames of the stream it lasts.
    pub num_frames: u64,
    /// The song position of its first frame (host frames), when it plays;
    /// `None` while the transport is stopped (the input is silent then, as
    /// a DAW's track is).
    pub song_pos: Option<i64>,
}

impl Section {
    pub fn play(from: i64, num_frames: u64) -> Self {
        Self {
            num_frames,
            song_pos: Some(from),
        }
    }

    pub fn stop(num_frames: u64) -> Self {
        Self {
            num_frames,
            song_pos: None,
        }
    }
}

/// Sample `frame` of channel `channel` of a stream.
pub type Signal<'a> = &'a (dyn Fn(usize, u64) -> f32 + Sync);

/// What [`run`] sends through the plugin in one activation.
pub struct Stream<'a> {
    pub rate_hz: u32,
    pub layout: Layout,
    pub num_frames: u64,
    pub signal: Signal<'a>,
    pub blocks: Blocks,
    pub automation: Automation,
    /// Frames at which the host calls `reset()` (a transport jump).
    pub resets_at: Vec<u64>,
    /// Wait for the analysis (see the module docs).
    pub paced: bool,
    pub seed: u64,
    /// The host's transport, section by section (empty: the host sends no
    /// transport info). While a section plays, the stream's audio is the
    /// signal at the song position: `signal(channel, song frame)`.
    pub song: Vec<Section>,
    /// A stream with a song goes at most this many times real time.
    pub speed: f64,
}

impl<'a> Stream<'a> {
    /// A paced stream in random blocks, without automation or resets.
    pub fn new(rate_hz: u32, layout: Layout, num_frames: u64, signal: Signal<'a>) -> Self {
        Self {
            rate_hz,
            layout,
            num_frames,
            signal,
            blocks: Blocks::Random,
            automation: Automation::None,
            resets_at: Vec::new(),
            paced: true,
            seed: u64::from(rate_hz) ^ num_frames,
            song: Vec::new(),
            speed: 4.0,
        }
    }

    /// A stream that follows `song` (see [`Stream::song`]); its length is
    /// the sections'. Paced in time, not by the analysis.
    pub fn with_song(rate_hz: u32, layout: Layout, song: &[Section], signal: Signal<'a>) -> Self {
        let num_frames = song.iter().map(|s| s.num_frames).sum();
        Self {
            song: song.to_vec(),
            paced: false,
            ..Self::new(rate_hz, layout, num_frames, signal)
        }
    }

    /// The section of stream frame `frame`: its index and first frame.
    fn section_at(&self, frame: u64) -> Option<(usize, u64)> {
        let mut start = 0;
        for (idx, section) in self.song.iter().enumerate() {
            if frame < start + section.num_frames {
                return Some((idx, start));
            }
            start += section.num_frames;
        }
        None
    }

    /// The input sample of `channel` at stream frame `frame`.
    fn sample(&self, channel: usize, frame: u64) -> f32 {
        match self.section_at(frame) {
            None => (self.signal)(channel, frame),
            Some((idx, start)) => match self.song[idx].song_pos {
                Some(pos) => (self.signal)(channel, (pos + (frame - start) as i64) as u64),
                None => 0.0,
            },
        }
    }

    /// The CLAP transport info for a block starting at stream frame `frame`.
    fn transport_at(&self, frame: u64) -> Option<TransportEvent> {
        let (idx, start) = self.section_at(frame)?;
        let section = self.song[idx];
        let mut flags = TransportFlags::HAS_SECONDS_TIMELINE
            | TransportFlags::HAS_BEATS_TIMELINE
            | TransportFlags::HAS_TEMPO;
        // A stopped transport still reports where it stands.
        let pos = match section.song_pos {
            Some(pos) => {
                flags |= TransportFlags::IS_PLAYING;
                pos + (frame - start) as i64
            }
            None => self.song[..idx]
                .iter()
                .rev()
                .find_map(|s| s.song_pos.map(|p| p + s.num_frames as i64))
                .unwrap_or(0),
        };
        let seconds = pos as f64 / f64::from(self.rate_hz);
        let tempo = 120.0;
        Some(TransportEvent {
            header: clack_host::events::EventHeader::new_core(0, EventFlags::empty()),
            flags,
            song_pos_beats: BeatTime::from_float(seconds * tempo / 60.0),
            song_pos_seconds: SecondsTime::from_float(seconds),
            tempo,
            tempo_inc: 0.0,
            loop_start_beats: BeatTime::from_int(0),
            loop_end_beats: BeatTime::from_int(0),
            loop_start_seconds: SecondsTime::from_int(0),
            loop_end_seconds: SecondsTime::from_int(0),
            bar_start: BeatTime::from_int(0),
            bar_number: 0,
            time_signature_numerator: 4,
            time_signature_denominator: 4,
        })
    }

    /// The stream frames where a new section starts.
    fn section_starts(&self) -> Vec<u64> {
        self.song
            .iter()
            .scan(0, |start, s| {
                *start += s.num_frames;
                Some(*start)
            })
            .collect()
    }

    pub fn blocks(mut self, blocks: Blocks) -> Self {
        self.blocks = blocks;
        self
    }

    pub fn automation(mut self, automation: Automation) -> Self {
        self.automation = automation;
        self
    }

    pub fn resets_at(mut self, frames: &[u64]) -> Self {
        self.resets_at = frames.to_vec();
        self
    }

    pub fn unpaced(mut self) -> Self {
        self.paced = false;
        self
    }

    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The analysis streams the host's resets cut this stream into, as
    /// (first frame, frames).
    pub fn segments(&self) -> Vec<(u64, u64)> {
        let mut bounds: Vec<u64> = self
            .resets_at
            .iter()
            .copied()
            .filter(|&f| f > 0 && f < self.num_frames)
            .collect();
        bounds.sort_unstable();
        bounds.dedup();
        bounds.push(self.num_frames);
        let mut start = 0;
        bounds
            .into_iter()
            .map(|end| {
                let segment = (start, end - start);
                start = end;
                segment
            })
            .collect()
    }

    /// The windows this stream gives: (fewest, most).
    pub fn expected_windows(&self) -> (u64, u64) {
        self.segments()
            .iter()
            .map(|&(_, len)| model().max_windows(len, self.rate_hz))
            .fold((0, 0), |(lo, hi), n| (lo + n.saturating_sub(1), hi + n))
    }

    /// Host frames the analysis has surely read once it gave `num_windows`
    /// windows in this stream. Windows in a segment tell how far into that
    /// segment it read; as a segment gives at most `max_windows`, windows
    /// beyond the earlier segments' maximum lie in a later segment.
    fn frames_read(&self, num_windows: u64) -> u64 {
        let mut num_earlier_max = 0;
        let mut frames_read = 0;
        for (start, len) in self.segments() {
            if num_windows > num_earlier_max {
                let in_segment =
                    model().frames_read_for(num_windows - num_earlier_max, self.rate_hz);
                frames_read = frames_read.max(start + in_segment.min(len));
            }
            num_earlier_max += model().max_windows(len, self.rate_hz);
        }
        frames_read
    }
}

/// What a run did.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunReport {
    /// Process calls, and those with 0 frames.
    pub num_blocks: u64,
    pub num_empty_blocks: u64,
    /// Windows the analysis gave in this activation.
    pub num_windows: u64,
}

/// Activates the plugin at the stream's rate and layout, processes the
/// stream on a separate audio thread (checking every output sample against
/// the input bit for bit), and deactivates it, which lets the worker finish
/// everything that reached it.
pub fn run(loaded: &mut Loaded, stream: &Stream<'_>) -> RunReport {
    loaded.select_layout(stream.layout);
    let params = match stream.automation {
        Automation::None => Vec::new(),
        Automation::All => loaded
            .param_infos()
            .into_iter()
            .filter(|p| !p.is_bypass)
            .collect(),
        Automation::Only(name) | Automation::Set(name, _) => {
            let found: Vec<_> = loaded
                .param_infos()
                .into_iter()
                .filter(|p| p.name == name)
                .collect();
            assert_eq!(found.len(), 1, "parameter {name:?}");
            found
        }
    };
    let before = loaded.analysis();
    let windows_before = if before.timeline_follows_song {
        0
    } else {
        num_windows(&before)
    };
    let config = PluginAudioConfiguration {
        sample_rate: f64::from(stream.rate_hz),
        // CLAP hosts announce at least 1; some still send empty blocks.
        min_frames_count: 1,
        max_frames_count: MAX_BLOCK as u32,
    };
    let stopped = loaded
        .instance
        .activate(|_, _| (), config)
        .expect("activate");

    // The tap's ring: `RING_CAPACITY_S` plus one maximum block.
    let ring_frames =
        (genre_meter::RING_CAPACITY_S as f64 * f64::from(stream.rate_hz)) as u64 + MAX_BLOCK as u64;
    let frames_read = AtomicU64::new(0);
    let done = AtomicBool::new(false);
    let waiting = AtomicBool::new(false);
    let abort = AtomicBool::new(false);
    let (stopped, mut report) = std::thread::scope(|scope| {
        let audio = scope.spawn(|| {
            let _done = SetOnDrop(&done);
            let max_ahead = ring_frames - 64;
            process_on_audio_thread(
                stopped,
                stream,
                &params,
                max_ahead,
                &frames_read,
                &waiting,
                &abort,
            )
        });
        if stream.paced {
            follow_the_analysis(
                loaded,
                stream,
                windows_before,
                &frames_read,
                &done,
                &waiting,
                &abort,
            );
        }
        let outcome = audio.join();
        if abort.load(Ordering::Acquire) {
            panic!(
                "{} Hz {:?}: the analysis made no progress for {STALL_LIMIT:?} while the host waited",
                stream.rate_hz, stream.layout
            );
        }
        outcome.unwrap_or_else(|e| std::panic::resume_unwind(e))
    });
    loaded.instance.deactivate(stopped);
    let after = loaded.analysis();
    if !after.timeline_follows_song {
        report.num_windows = num_windows(&after).saturating_sub(windows_before);
    }
    report
}

/// Sets the flag when dropped, even by a panic.
struct SetOnDrop<'a>(&'a AtomicBool);

impl Drop for SetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// The main thread of a paced run: saves the state until the audio thread
/// is done and publishes how far the analysis has surely read.
fn follow_the_analysis(
    loaded: &mut Loaded,
    stream: &Stream<'_>,
    windows_before: u64,
    frames_read: &AtomicU64,
    done: &AtomicBool,
    waiting: &AtomicBool,
    abort: &AtomicBool,
) {
    let mut last_progress = Instant::now();
    while !done.load(Ordering::Acquire) {
        loaded.instance.call_on_main_thread_callback();
        let num_windows = num_windows(&loaded.analysis()).saturating_sub(windows_before);
        let read = stream.frames_read(num_windows);
        if read > frames_read.load(Ordering::Relaxed) || !waiting.load(Ordering::Acquire) {
            last_progress = Instant::now();
        }
        frames_read.fetch_max(read, Ordering::Release);
        if last_progress.elapsed() > STALL_LIMIT {
            abort.store(true, Ordering::Release);
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The audio thread: blocks, resets, automation, and the bit-exact check.
fn process_on_audio_thread(
    stopped: StoppedPluginAudioProcessor<TestHost>,
    stream: &Stream<'_>,
    params: &[ParamSummary],
    max_ahead: u64,
    frames_read: &AtomicU64,
    waiting: &AtomicBool,
    abort: &AtomicBool,
) -> (StoppedPluginAudioProcessor<TestHost>, RunReport) {
    let num_channels = stream.layout.num_channels();
    let mut rng = Rng(stream.seed.max(1));
    let mut report = RunReport::default();
    let mut resets: Vec<u64> = stream.resets_at.clone();
    resets.sort_unstable();
    let mut resets = resets.into_iter().peekable();
    let section_starts = stream.section_starts();
    let started = Instant::now();

    let mut processor = stopped.start_processing().expect("start processing");
    let mut inputs = vec![vec![0.0f32; MAX_BLOCK]; num_channels];
    let mut outputs = vec![vec![0.0f32; MAX_BLOCK]; num_channels];
    let mut in_ports = AudioPorts::with_capacity(num_channels, 1);
    let mut out_ports = AudioPorts::with_capacity(num_channels, 1);
    let mut events = EventBuffer::new();
    let mut out_events = EventBuffer::new();
    let mut pos = 0u64;
    while pos < stream.num_frames {
        while resets.next_if(|&at| at <= pos).is_some() {
            processor.reset();
        }
        let next_section = section_starts
            .iter()
            .copied()
            .find(|&start| start > pos)
            .unwrap_or(u64::MAX);
        let next_stop = resets
            .peek()
            .copied()
            .unwrap_or(u64::MAX)
            .min(next_section)
            .min(stream.num_frames);
        let n = (stream.blocks.next_len(&mut rng) as u64).min(next_stop - pos) as usize;
        if !stream.song.is_empty() {
            let due =
                Duration::from_secs_f64(pos as f64 / f64::from(stream.rate_hz) / stream.speed);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        if stream.paced {
            waiting.store(true, Ordering::Release);
            while pos + n as u64 > frames_read.load(Ordering::Acquire) + max_ahead {
                if abort.load(Ordering::Acquire) {
                    return (processor.stop_processing(), report);
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            waiting.store(false, Ordering::Release);
        }
        for (ch, input) in inputs.iter_mut().enumerate() {
            for (i, x) in input[..n].iter_mut().enumerate() {
                *x = stream.sample(ch, pos + i as u64);
            }
        }
        for output in outputs.iter_mut() {
            output[..n].fill(f32::from_bits(0x7fc0_dead));
        }
        events.clear();
        if let Automation::Set(_, value) = stream.automation {
            if pos == 0 {
                events.push(&ParamValueEvent::new(
                    0,
                    params[0].id,
                    Pckn::match_all(),
                    value,
                ));
            }
        } else if !params.is_empty() {
            let mut times: Vec<u32> = (0..3).map(|_| rng.below(n.max(1)) as u32).collect();
            times.sort_unstable();
            for time in times {
                let param = &params[rng.below(params.len())];
                let value = param.min + rng.unit() * (param.max - param.min);
                events.push(&ParamValueEvent::new(
                    time,
                    param.id,
                    Pckn::match_all(),
                    value,
                ));
            }
        }
        out_events.clear();
        let input_buffers = in_ports.with_input_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_input_only(
                inputs
                    .iter_mut()
                    .map(|c| InputChannel::variable(&mut c[..n])),
            ),
        }]);
        let mut output_buffers = out_ports.with_output_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_output_only(outputs.iter_mut().map(|c| &mut c[..n])),
        }]);
        processor
            .process(
                &input_buffers,
                &mut output_buffers,
                &InputEvents::from_buffer(&events),
                &mut OutputEvents::from_buffer(&mut out_events),
                Some(pos),
                stream.transport_at(pos).as_ref(),
            )
            .expect("process");
        for (ch, output) in outputs.iter().enumerate() {
            for (i, out) in output[..n].iter().enumerate() {
                let frame = pos + i as u64;
                let expected = stream.sample(ch, frame);
                if out.to_bits() != expected.to_bits() {
                    panic!(
                        "{} Hz {:?}, block {} of {n} frames, channel {ch}, frame {frame}: \
                         output {:#010x} differs from input {:#010x}",
                        stream.rate_hz,
                        stream.layout,
                        report.num_blocks,
                        out.to_bits(),
                        expected.to_bits()
                    );
                }
            }
        }
        report.num_blocks += 1;
        report.num_empty_blocks += u64::from(n == 0);
        pos += n as u64;
    }
    (processor.stop_processing(), report)
}
