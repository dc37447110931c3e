//! `process` as a host sees it: Genre Meter against a bare pass-through
//! plugin built on the same nice-plug wrapper, both driven through CLAP by
//! the same host code (clack-host), 512-frame stereo blocks at 48 kHz.
//!
//! The pass-through (defined here) has Genre Meter's audio layouts and an
//! empty `process`; everything else the wrapper does per block (event
//! handling, buffer setup, the input→output copy for a host with separate
//! buffers, as here) is the same for both. So the ratio of the two is what
//! Genre Meter's audio-thread work (the tap) costs on top of being a plugin.
//!
//! Not a criterion bench: the measurement has to look like a session. A
//! benchmark feeds audio far faster than real time and Genre Meter's worker
//! drains its ring at its own pace, so blocks go in short bursts (a quarter
//! second of audio) with a pause after each in which the worker catches up;
//! otherwise a full ring would send the tap down its cheaper dropping path.
//! Before measuring, the whole ring is written once, so the timed bursts do
//! not include the first touch of its pages. Both plugins stay active and
//! alternate burst by burst. Printed: medians over the bursts of the first
//! block after a pause (cold caches, as when other tracks' plugins ran in
//! between) and of the rest of the burst (warm caches), with the ratios.
//!
//! Run: `cargo bench -p genre-meter --bench plugin_clap` (needs the release
//! cdylib beside the bench binary, which `cargo bench` builds; or set
//! `GENRE_METER_CLAP` to an absolute path).

use std::ffi::CString;
use std::path::PathBuf;
use std::time::Duration;

use std::time::Instant;

use clack_host::prelude::*;

const BLOCK: usize = 512;
const RATE_HZ: f64 = 48_000.0;
/// Blocks per timed burst: a quarter second of audio.
const BLOCKS_PER_BURST: usize = 24;
/// Pause after each burst: the worker polls every 25 ms and analyses far
/// faster than real time, so it has emptied the ring well before the next.
const PAUSE: Duration = Duration::from_millis(60);
/// Bursts per plugin that are measured.
const NUM_BURSTS: usize = 300;
/// Blocks written before measuring: more than Genre Meter's 4 s ring.
const NUM_PREFAULT_BLOCKS: usize = 4 * 48_000 / BLOCK + 2 * BLOCKS_PER_BURST;

/// The reference plugin, in a module of its own (nice-plug's prelude and
/// clack-host's both name a `ProcessStatus`).
mod pass_through {
    use std::num::NonZeroU32;
    use std::sync::Arc;

    use nice_plug::prelude::*;

    /// The reference: a nice-plug plugin that leaves the audio alone.
    pub struct PassThrough {
        params: Arc<PassThroughParams>,
    }

    #[derive(Params, Default)]
    struct PassThroughParams {}

    impl Default for PassThrough {
        fn default() -> Self {
            Self {
                params: Arc::new(PassThroughParams::default()),
            }
        }
    }

    impl Plugin for PassThrough {
        const NAME: &'static str = "Bare pass-through";
        const VENDOR: &'static str = "Genre Meter benchmarks";
        const URL: &'static str = "https://example.invalid/pass-through";
        const EMAIL: &'static str = "bench@example.invalid";
        const VERSION: &'static str = "0.0.0";
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
        type Editor = ();
        type SysExMessage = ();
        type BackgroundTask = ();

        fn params(&self) -> Arc<dyn Params> {
            self.params.clone()
        }

        fn process(
            &mut self,
            _buffer: &mut Buffer,
            _aux: &mut AuxiliaryBuffers,
            _context: &mut impl ProcessContext<Self>,
        ) -> ProcessStatus {
            ProcessStatus::Normal
        }
    }

    impl ClapPlugin for PassThrough {
        const CLAP_ID: &'static str = "invalid.example.bare-pass-through";
        const CLAP_DESCRIPTION: Option<&'static str> = None;
        const CLAP_MANUAL_URL: Option<&'static str> = None;
        const CLAP_SUPPORT_URL: Option<&'static str> = None;
        const CLAP_FEATURES: &'static [ClapFeature] = &[ClapFeature::AudioEffect];
    }

    nice_export_clap!(PassThrough);
}

struct BenchHost;
struct BenchHostShared;

impl SharedHandler<'_> for BenchHostShared {
    fn request_restart(&self) {}
    fn request_process(&self) {}
    fn request_callback(&self) {}
}

impl HostHandlers for BenchHost {
    type Shared<'a> = BenchHostShared;
    type MainThread<'a> = ();
    type AudioProcessor<'a> = ();
}

fn genre_meter_path() -> PathBuf {
    if let Some(path) = std::env::var_os("GENRE_METER_CLAP") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("the bench's own path");
    exe.parent().expect("a folder").join("libgenre_meter.so")
}

fn instantiate(entry: &PluginEntry) -> PluginInstance<BenchHost> {
    let factory = entry.get_plugin_factory().expect("a plugin factory");
    let descriptor = factory.plugin_descriptors().next().expect("a plugin");
    let id = CString::from(descriptor.id().expect("a plugin id"));
    let host_info = HostInfo::new(
        "genre-meter-bench",
        "genre-meter",
        "https://example.invalid",
        "0.1",
    )
    .expect("host info");
    PluginInstance::<BenchHost>::new(|_| BenchHostShared, |_| (), entry, &id, &host_info)
        .expect("instantiate")
}

/// An activated instance processing stereo blocks.
struct Running {
    processor: StartedPluginAudioProcessor<BenchHost>,
    inputs: [Vec<f32>; 2],
    outputs: [Vec<f32>; 2],
    in_ports: AudioPorts,
    out_ports: AudioPorts,
    events: EventBuffer,
    out_events: EventBuffer,
    position: u64,
}

impl Running {
    fn start(instance: &mut PluginInstance<BenchHost>) -> Self {
        let config = PluginAudioConfiguration {
            sample_rate: RATE_HZ,
            min_frames_count: 1,
            max_frames_count: BLOCK as u32,
        };
        let stopped = instance.activate(|_, _| (), config).expect("activate");
        let mut signal = 1u32;
        let inputs = [(); 2].map(|_| {
            (0..BLOCK)
                .map(|_| {
                    signal ^= signal << 13;
                    signal ^= signal >> 17;
                    signal ^= signal << 5;
                    signal as f32 / u32::MAX as f32 - 0.5
                })
                .collect::<Vec<f32>>()
        });
        Self {
            processor: stopped.start_processing().expect("start processing"),
            inputs,
            outputs: [vec![0.0; BLOCK], vec![0.0; BLOCK]],
            in_ports: AudioPorts::with_capacity(2, 1),
            out_ports: AudioPorts::with_capacity(2, 1),
            events: EventBuffer::new(),
            out_events: EventBuffer::new(),
            position: 0,
        }
    }

    /// Processes `num_blocks` blocks; returns the wall time they took.
    fn burst(&mut self, num_blocks: usize) -> Duration {
        let start = Instant::now();
        for _ in 0..num_blocks {
            let input_buffers = self.in_ports.with_input_buffers([AudioPortBuffer {
                latency: 0,
                channels: AudioPortBufferType::f32_input_only(
                    self.inputs
                        .iter_mut()
                        .map(|c| InputChannel::variable(&mut c[..])),
                ),
            }]);
            let mut output_buffers = self.out_ports.with_output_buffers([AudioPortBuffer {
                latency: 0,
                channels: AudioPortBufferType::f32_output_only(
                    self.outputs.iter_mut().map(|c| &mut c[..]),
                ),
            }]);
            self.processor
                .process(
                    &input_buffers,
                    &mut output_buffers,
                    &InputEvents::from_buffer(&self.events),
                    &mut OutputEvents::from_buffer(&mut self.out_events),
                    Some(self.position),
                    None,
                )
                .expect("process");
            self.position += BLOCK as u64;
        }
        start.elapsed()
    }

    fn stop(self, instance: &mut PluginInstance<BenchHost>) {
        instance.deactivate(self.processor.stop_processing());
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; there is nothing to select.
    let genre_meter_path = genre_meter_path();
    // SAFETY: loading a CLAP plugin runs its code; it is our own build.
    let genre_meter = unsafe {
        PluginEntry::load(&genre_meter_path)
            .unwrap_or_else(|e| panic!("{}: {e}", genre_meter_path.display()))
    };
    // SAFETY: `clap_entry` is the CLAP entry nice-plug generated above; clack's
    // descriptor type is the same C struct from its own copy of clap-sys.
    let pass_through = unsafe {
        let descriptor =
            &*(&raw const pass_through::clap_entry).cast::<clack_host::entry::EntryDescriptor>();
        PluginEntry::load_from_raw(descriptor, c"pass-through").expect("the pass-through entry")
    };
    let mut instances = [instantiate(&pass_through), instantiate(&genre_meter)];
    let mut running: Vec<Running> = instances.iter_mut().map(Running::start).collect();

    eprintln!("writing the rings once over ({NUM_PREFAULT_BLOCKS} blocks per plugin)...");
    for _ in 0..NUM_PREFAULT_BLOCKS.div_ceil(BLOCKS_PER_BURST) {
        for plugin in running.iter_mut() {
            plugin.burst(BLOCKS_PER_BURST);
        }
        std::thread::sleep(PAUSE);
    }
    eprintln!(
        "measuring {NUM_BURSTS} bursts of {BLOCKS_PER_BURST} blocks per plugin, alternating..."
    );
    // Per plugin: the first block after the pause (caches cold, as after
    // other tracks' plugins ran), then the rest of the burst (caches warm).
    let mut cold_ns = [Vec::new(), Vec::new()];
    let mut warm_ns = [Vec::new(), Vec::new()];
    for _ in 0..NUM_BURSTS {
        for (i, plugin) in running.iter_mut().enumerate() {
            cold_ns[i].push(plugin.burst(1).as_secs_f64() * 1e9);
            let warm_blocks = BLOCKS_PER_BURST - 1;
            warm_ns[i].push(plugin.burst(warm_blocks).as_secs_f64() * 1e9 / warm_blocks as f64);
        }
        std::thread::sleep(PAUSE);
    }
    for (plugin, instance) in running.into_iter().zip(&mut instances) {
        plugin.stop(instance);
    }
    println!(
        "clap process, {BLOCK}-frame stereo blocks at {RATE_HZ} Hz, medians of {NUM_BURSTS} bursts (ns per block):"
    );
    println!("  {:34} {:>12} {:>12}", "", "cold cache", "warm cache");
    let [cold_bare, cold_ours] = cold_ns.map(|mut v| median(&mut v));
    let [warm_bare, warm_ours] = warm_ns.map(|mut v| median(&mut v));
    println!(
        "  {:34} {cold_bare:12.1} {warm_bare:12.1}",
        "bare pass-through (same wrapper)"
    );
    println!("  {:34} {cold_ours:12.1} {warm_ours:12.1}", "Genre Meter");
    println!(
        "  {:34} {:11.2}× {:11.2}×",
        "ratio",
        cold_ours / cold_bare,
        warm_ours / warm_bare
    );
}
