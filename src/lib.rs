//! Genre Meter: a VST3/CLAP analyzer that shows which musical genre is playing.
//!
//! Data flows one way: the host's audio passes through untouched while
//! [`tap`] (the only audio-thread code) copies a mono tap into a wait-free
//! ring; [`worker`] analyses it on its own thread and publishes snapshots for
//! the [`editor`] and the persisted analysis in [`params`].

use std::sync::Arc;
use std::sync::atomic::Ordering;

use nice_plug::prelude::*;
use nice_plug_egui::EguiEditorState;
use nice_plug_egui::RepaintNotifier;

pub mod editor;
pub mod params;
pub mod shared;
pub mod tap;
pub mod worker;

use editor::{DEFAULT_HEIGHT, DEFAULT_WIDTH, GenreMeterEditor};
use params::GenreMeterParams;
use shared::Shared;
use tap::{Tap, Transport};
use worker::{Snapshot, Worker, WorkerContext};

/// Seconds of host audio the tap ring holds (on top of one maximum block).
pub const RING_CAPACITY_S: f32 = 4.0;
/// Marks (plays, stops, jumps, resets) the worker may have yet to act on.
/// When they are all pending, the tap drops audio until there is room.
pub const MAX_PENDING_MARKS: usize = 1024;

/// The plugin instance.
pub struct GenreMeter {
    /// Parameters and the persisted analysis; shared with the worker and editor.
    params: Arc<GenreMeterParams>,
    /// Peak level, drop counter and flags; shared with the tap, worker and editor.
    shared: Arc<Shared>,
    /// Editor size and open flag; the worker publishes only while it is open.
    editor_state: Arc<EguiEditorState>,
    /// Wakes the editor when the worker publishes.
    repaint: RepaintNotifier,
    /// The audio-thread side of the sample ring and the mark queue;
    /// created in `activate()`.
    tap: Option<Tap>,
    /// The analysis thread; started in `activate()`, joined in `deactivate()`.
    worker: Option<Worker>,
    /// Publishing side of the snapshot buffer while no worker holds it.
    snapshot_input: Option<triple_buffer::Input<Snapshot>>,
    /// Reading side of the snapshot buffer until `editor()` takes it.
    snapshot_output: Option<triple_buffer::Output<Snapshot>>,
}

impl Default for GenreMeter {
    fn default() -> Self {
        let (snapshot_input, snapshot_output) = triple_buffer::triple_buffer(&Snapshot::default());
        Self {
            params: Arc::new(GenreMeterParams::default()),
            shared: Arc::new(Shared::default()),
            editor_state: EguiEditorState::from_size(
                nice_plug::editor::dpi::LogicalSize::new(DEFAULT_WIDTH, DEFAULT_HEIGHT),
                1.0,
            ),
            repaint: RepaintNotifier::new(),
            tap: None,
            worker: None,
            snapshot_input: Some(snapshot_input),
            snapshot_output: Some(snapshot_output),
        }
    }
}

impl GenreMeter {
    /// Stops and joins the worker, keeping its snapshot input for the next start.
    fn stop_worker(&mut self) {
        if let Some(worker) = self.worker.take()
            && let Some(input) = worker.stop()
        {
            self.snapshot_input = Some(input);
        }
    }
}

impl Drop for GenreMeter {
    fn drop(&mut self) {
        self.stop_worker();
    }
}

impl Plugin for GenreMeter {
    const NAME: &'static str = "Genre Meter";
    // NOTE: the project has no web site, support address or domain of its
    // own, so the descriptors name none rather than a made-up one, and the
    // CLAP id is the plugin's name instead of a reverse domain it does not
    // own. Give these real values once such a home exists.
    const VENDOR: &'static str = "Genre Meter project";
    const URL: &'static str = "";
    const EMAIL: &'static str = "";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            ..AudioIOLayout::const_default()
        },
    ];

    type Editor = nice_plug_egui::EguiEditor<GenreMeterEditor>;
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn filter_state(state: &mut PluginState) {
        params::sanitize_state(state);
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        let app = GenreMeterEditor::new(
            Arc::clone(&self.params),
            Arc::clone(&self.shared),
            self.snapshot_output.take()?,
        );
        editor::create(Arc::clone(&self.editor_state), self.repaint.clone(), app)
    }

    fn activate(
        &mut self,
        _audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        _context: &mut impl ActivateContext<Self>,
    ) -> bool {
        // Activation may repeat without a deactivation in between (state restores).
        self.stop_worker();
        let host_rate_hz = buffer_config.sample_rate;
        let capacity = (host_rate_hz.max(1.0) * RING_CAPACITY_S).ceil() as usize
            + buffer_config.max_buffer_size as usize;
        let (producer, consumer) = tap::ring(capacity);
        let (mark_producer, mark_consumer) = tap::marks(MAX_PENDING_MARKS);
        self.tap = Some(Tap::new(producer, mark_producer));
        self.shared.num_dropped_samples.store(0, Ordering::Relaxed);

        if let Some(snapshot_input) = self.snapshot_input.take() {
            let context = WorkerContext {
                consumer,
                marks: mark_consumer,
                params: Arc::clone(&self.params),
                shared: Arc::clone(&self.shared),
                snapshot_input,
                editor_state: Arc::clone(&self.editor_state),
                repaint: self.repaint.clone(),
                host_rate_hz,
            };
            match Worker::start(context) {
                Ok(worker) => self.worker = Some(worker),
                // Audio still passes; the tap drops and counts what nobody reads.
                Err(e) => nice_error!("Genre Meter: cannot start the analysis thread: {e}"),
            }
        }
        true
    }

    fn reset(&mut self) {
        // Runs on the audio thread: only tell the worker where the stream
        // restarts (a wait-free push). The samples before this point are
        // already in the ring; those after it follow the push.
        if let Some(tap) = self.tap.as_mut() {
            tap.reset();
        }
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        // The wrapper has already copied input to output, bypassed or not;
        // the tap only reads.
        if let Some(tap) = self.tap.as_mut() {
            let transport = if self.params.bypass.value() {
                Transport::Stopped
            } else if context.plugin_api() == PluginApi::Standalone {
                // The standalone's position is its own sample count (or an
                // idle JACK transport): what it hears is live input.
                Transport::Free
            } else {
                let host = context.transport();
                match host.pos_samples() {
                    Some(pos) if host.playing => Transport::Playing(pos),
                    Some(_) => Transport::Stopped,
                    None => Transport::Unknown,
                }
            };
            tap.process(
                buffer.as_slice_immutable(),
                self.params.channel.value(),
                transport,
                &self.shared,
            );
        }
        ProcessStatus::Normal
    }

    fn deactivate(&mut self) {
        self.stop_worker();
        self.tap = None;
    }
}

impl ClapPlugin for GenreMeter {
    const CLAP_ID: &'static str = "genre-meter";
    const CLAP_DESCRIPTION: Option<&'static str> = Some("Shows which musical genre is playing");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Analyzer,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];
}

impl Vst3Plugin for GenreMeter {
    const VST3_CLASS_ID: [u8; 16] = *b"GenreMeterAnlyz1";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] =
        &[Vst3SubCategory::Fx, Vst3SubCategory::Analyzer];
}

nice_export_clap!(GenreMeter);
nice_export_vst3!(GenreMeter);
