//! Genre Meter loaded by a real CLAP host (clack-host): pass-through,
//! parameter changes while processing, and the persisted state.
//!
//! The plugin binary comes from `GENRE_METER_CLAP` (an absolute path to the
//! `.clap` bundle or to a `libgenre_meter.so`); by default it is the cdylib
//! that `cargo test` built beside this test binary (`target/debug/deps/`),
//! with the same features: `cargo test -p genre-meter --features alloc-check
//! --test clack_host` aborts if the audio thread allocates.
//!
//! The clip is the first of `examples/*.{mp3,wav}` if present, else the first WAV of a genre in
//! `corpus/`, else a generated signal (then the genre assertion is skipped
//! with a note).

use std::ffi::CString;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clack_extensions::audio_ports::{AudioPortInfoBuffer, PluginAudioPorts};
use clack_extensions::params::{ParamInfoBuffer, PluginParams};
use clack_extensions::state::PluginState;
use clack_host::events::event_types::ParamValueEvent;
use clack_host::prelude::*;
use serde_json::Value;

/// Host callbacks; the plugin's requests are ignored.
struct TestHost;
/// State shared between the host's threads (none needed).
struct TestHostShared;

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

/// Block sizes cycled through while processing (0 = a random size 1–8192).
const BLOCK_SIZES: [usize; 6] = [1, 17, 512, 4096, 0, 333];
/// Largest block the test announces to the plugin.
const MAX_BLOCK: usize = 8192;
/// Host-side pause per second of audio, so the worker keeps up with a debug build.
const PAUSE_PER_S: Duration = Duration::from_millis(120);

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn plugin_path() -> PathBuf {
    if let Some(path) = std::env::var_os("GENRE_METER_CLAP") {
        let path = PathBuf::from(path);
        assert!(
            path.is_absolute(),
            "GENRE_METER_CLAP must be absolute: {}",
            path.display()
        );
        return path;
    }
    // `cargo test` builds the cdylib next to this test binary (target/<profile>/deps)
    // with the same features, so it is never stale.
    let beside_test = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join("libgenre_meter.so")));
    match beside_test {
        Some(path) if path.exists() => path,
        _ => manifest_dir().join("target/debug/libgenre_meter.so"),
    }
}

/// A tiny deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The clip and its genre (if known), at `rate_hz`.
fn clip(rate_hz: u32) -> (Vec<f32>, Option<String>) {
    let mut candidates: Vec<PathBuf> = std::fs::read_dir(manifest_dir().join("examples"))
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wav" || x == "mp3"))
        .collect();
    candidates.sort();
    if candidates.is_empty()
        && let Some(path) = std::fs::read_dir(manifest_dir().join("corpus/rock"))
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "wav"))
            .min()
    {
        candidates.push(path);
    }
    if let Some(path) = candidates.first() {
        let mut samples = Vec::new();
        genre_core::audio::for_each_chunk(path, rate_hz, |c| samples.extend_from_slice(c))
            .unwrap_or_else(|e| panic!("{e}"));
        samples.truncate(rate_hz as usize * 20);
        let genre = genre_of(path);
        println!(
            "clip: {} ({:?}, {:.1} s)",
            path.display(),
            genre,
            samples.len() as f32 / rate_hz as f32
        );
        return (samples, genre);
    }
    println!(
        "NOTE: no examples/*.{{mp3,wav}} or corpus/rock; using a generated clip, genre not checked"
    );
    let mut rng = Rng(7);
    let samples = (0..rate_hz as usize * 12)
        .map(|i| {
            let t = i as f32 / rate_hz as f32;
            let chord = [220.0f32, 277.2, 329.6]
                .iter()
                .map(|f| (t * f * std::f32::consts::TAU).sin())
                .sum::<f32>();
            let beat = if (t * 2.0).fract() < 0.05 {
                (rng.unit() as f32 - 0.5) * 0.8
            } else {
                0.0
            };
            0.15 * chord + beat
        })
        .collect();
    (samples, None)
}

/// The genre named by a clip's file name (`rock.00001.wav`, `examples/rock_demo.wav`).
fn genre_of(path: &Path) -> Option<String> {
    let stem = path.file_stem()?.to_str()?;
    let name = stem.split(['.', '_', '-']).next()?;
    const GTZAN: [&str; 10] = [
        "blues",
        "classical",
        "country",
        "disco",
        "hiphop",
        "jazz",
        "metal",
        "pop",
        "reggae",
        "rock",
    ];
    GTZAN.contains(&name).then(|| name.to_owned())
}

/// One loaded plugin entry and an instance of Genre Meter.
struct Loaded {
    instance: PluginInstance<TestHost>,
    /// Keeps the library loaded as long as the instance lives.
    _entry: PluginEntry,
}

fn load() -> Loaded {
    let path = plugin_path();
    assert!(
        path.exists(),
        "plugin not found at {} (build it: cargo build -p genre-meter --lib)",
        path.display()
    );
    println!("plugin: {}", path.display());
    let entry =
        unsafe { PluginEntry::load(&path) }.unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
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
        PluginInstance::<TestHost>::new(|_| TestHostShared, |_| (), &entry, &id, &host_info)
            .expect("instantiate");
    Loaded {
        instance,
        _entry: entry,
    }
}

/// Parameter ids and ranges, from the params extension.
fn param_infos(instance: &mut PluginInstance<TestHost>) -> Vec<(ClapId, f64, f64)> {
    let handle = instance.plugin_handle();
    let params = handle
        .get_extension::<PluginParams>()
        .expect("params extension");
    let mut buffer = ParamInfoBuffer::new();
    (0..params.count(&handle))
        .map(|i| {
            let info = params
                .get_info(&handle, i, &mut buffer)
                .expect("param info");
            (info.id, info.min_value, info.max_value)
        })
        .collect()
}

fn save_state(instance: &mut PluginInstance<TestHost>) -> Vec<u8> {
    let handle = instance.plugin_handle();
    let state = handle
        .get_extension::<PluginState>()
        .expect("state extension");
    let mut bytes = Vec::new();
    state.save(&handle, &mut bytes).expect("state save");
    bytes
}

fn load_state(instance: &mut PluginInstance<TestHost>, bytes: &[u8]) -> bool {
    let handle = instance.plugin_handle();
    let state = handle
        .get_extension::<PluginState>()
        .expect("state extension");
    state.load(&handle, &mut Cursor::new(bytes)).is_ok()
}

/// The persisted analysis inside saved state (8-byte length + JSON).
fn persisted_analysis(bytes: &[u8]) -> Value {
    assert!(bytes.len() > 8, "state too short: {} bytes", bytes.len());
    let json: Value = serde_json::from_slice(&bytes[8..]).expect("state is JSON after the length");
    let text = json["fields"]["analysis"]
        .as_str()
        .expect("state has fields.analysis");
    serde_json::from_str(text).expect("fields.analysis is JSON")
}

/// Processes `left`/`right` through the plugin at `rate_hz`, checking bit-exact
/// pass-through block by block. With `automate`, every block also carries
/// random parameter changes at random times.
fn process_clip(
    instance: &mut PluginInstance<TestHost>,
    rate_hz: f64,
    left: &[f32],
    right: &[f32],
    automate: bool,
    seed: u64,
) {
    let params = if automate {
        param_infos(instance)
    } else {
        Vec::new()
    };
    let config = PluginAudioConfiguration {
        sample_rate: rate_hz,
        min_frames_count: 1,
        max_frames_count: MAX_BLOCK as u32,
    };
    let stopped = instance.activate(|_, _| (), config).expect("activate");
    let stopped = std::thread::scope(|scope| {
        scope
            .spawn(move || {
                let mut rng = Rng(seed);
                let mut processor = stopped.start_processing().expect("start processing");
                let mut inputs = [vec![0.0f32; MAX_BLOCK], vec![0.0f32; MAX_BLOCK]];
                let mut outputs = [vec![0.0f32; MAX_BLOCK], vec![0.0f32; MAX_BLOCK]];
                let mut in_ports = AudioPorts::with_capacity(2, 1);
                let mut out_ports = AudioPorts::with_capacity(2, 1);
                let mut events = EventBuffer::new();
                let mut out_events = EventBuffer::new();
                let (mut pos, mut block_idx, mut since_pause) = (0usize, 0usize, 0usize);
                while pos < left.len() {
                    let wanted = match BLOCK_SIZES[block_idx % BLOCK_SIZES.len()] {
                        0 => 1 + rng.below(MAX_BLOCK),
                        n => n,
                    };
                    block_idx += 1;
                    let n = wanted.min(left.len() - pos);
                    inputs[0][..n].copy_from_slice(&left[pos..pos + n]);
                    inputs[1][..n].copy_from_slice(&right[pos..pos + n]);
                    for out in outputs.iter_mut() {
                        out[..n].fill(f32::NAN);
                    }
                    events.clear();
                    if automate {
                        let mut times: Vec<u32> = (0..3).map(|_| rng.below(n) as u32).collect();
                        times.sort_unstable();
                        for time in times {
                            let (id, min, max) = params[rng.below(params.len())];
                            let value = min + rng.unit() * (max - min);
                            events.push(&ParamValueEvent::new(time, id, Pckn::match_all(), value));
                        }
                    }
                    out_events.clear();
                    let input_buffers = in_ports.with_input_buffers([AudioPortBuffer {
                        latency: 0,
                        channels: AudioPortBufferType::f32_input_only(inputs.iter_mut().map(|c| InputChannel::variable(&mut c[..n]))),
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
                            Some(pos as u64),
                            None,
                        )
                        .expect("process");
                    for (ch, (output, source)) in outputs.iter().zip([left, right]).enumerate() {
                        for (i, (out, src)) in output[..n].iter().zip(&source[pos..pos + n]).enumerate() {
                            assert_eq!(
                                out.to_bits(),
                                src.to_bits(),
                                "{rate_hz} Hz, block {block_idx} of {n} frames, channel {ch}, frame {i}: output differs from input"
                            );
                        }
                    }
                    pos += n;
                    since_pause += n;
                    if since_pause as f64 >= rate_hz * 0.5 {
                        since_pause = 0;
                        std::thread::sleep(PAUSE_PER_S / 2);
                    }
                }
                processor.stop_processing()
            })
            .join()
            .expect("audio thread panicked")
    });
    instance.deactivate(stopped);
}

/// Two different channels from one mono clip.
fn stereo(mono: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let left = mono.to_vec();
    let right = mono
        .iter()
        .enumerate()
        .map(|(i, &x)| 0.8 * x + if i % 2 == 0 { 1e-4 } else { -1e-4 })
        .collect();
    (left, right)
}

#[test]
fn passes_audio_bit_exactly_and_persists_the_genre() {
    for rate_hz in [44_100u32, 48_000] {
        let mut loaded = load();
        {
            let handle = loaded.instance.plugin_handle();
            let ports = handle
                .get_extension::<PluginAudioPorts>()
                .expect("audio ports");
            let mut buffer = AudioPortInfoBuffer::new();
            for is_input in [true, false] {
                assert_eq!(ports.count(&handle, is_input), 1);
                let info = ports
                    .get(&handle, 0, is_input, &mut buffer)
                    .expect("port info");
                assert_eq!(info.channel_count, 2);
            }
        }
        let (mono, genre) = clip(rate_hz);
        let (left, right) = stereo(&mono);
        process_clip(
            &mut loaded.instance,
            f64::from(rate_hz),
            &left,
            &right,
            false,
            u64::from(rate_hz),
        );

        let bytes = save_state(&mut loaded.instance);
        let analysis = persisted_analysis(&bytes);
        let labels: Vec<String> =
            serde_json::from_value(analysis["labels"].clone()).unwrap_or_default();
        if labels.is_empty() {
            println!(
                "NOTE: the model is not available; only the pass-through and the state's presence were checked"
            );
            continue;
        }
        let windows = analysis["track_num_windows"].as_u64().unwrap();
        let sums: Vec<u64> = serde_json::from_value(analysis["track_sums_ppm"].clone()).unwrap();
        assert!(
            windows >= 5,
            "{rate_hz} Hz: only {windows} windows classified"
        );
        let top = (0..sums.len()).max_by_key(|&i| sums[i]).unwrap();
        let means: Vec<String> = labels
            .iter()
            .zip(&sums)
            .map(|(l, &s)| format!("{l} {:.2}", s as f64 / 1e6 / windows as f64))
            .collect();
        println!(
            "{rate_hz} Hz: {windows} windows, track so far: {}",
            means.join(", ")
        );
        match genre {
            Some(genre) => assert_eq!(
                labels[top], genre,
                "{rate_hz} Hz: the track so far names the wrong genre"
            ),
            None => println!("NOTE: the clip's genre is unknown; genre not checked"),
        }
    }
}

#[test]
fn random_parameter_changes_and_bad_samples_keep_audio_intact() {
    let rate_hz = 48_000u32;
    let mut loaded = load();
    let mut rng = Rng(99);
    let mut left: Vec<f32> = (0..rate_hz as usize * 6)
        .map(|_| (rng.unit() as f32 - 0.5) * 0.5)
        .collect();
    let mut right: Vec<f32> = left.iter().map(|x| -x).collect();
    for (i, bad) in [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        1e-40,
        -0.0,
        f32::MAX,
    ]
    .into_iter()
    .enumerate()
    {
        left[1000 + 7 * i] = bad;
        right[2000 + 11 * i] = bad;
    }
    // The last second is loud nonsense, too.
    for (l, r) in left
        .iter_mut()
        .zip(right.iter_mut())
        .skip(rate_hz as usize * 5)
    {
        *l = 1e30;
        *r = -1e30;
    }
    process_clip(
        &mut loaded.instance,
        f64::from(rate_hz),
        &left,
        &right,
        true,
        5,
    );
    let windows_after = |bytes: &[u8]| {
        persisted_analysis(bytes)["track_num_windows"]
            .as_u64()
            .unwrap_or(0)
    };
    let first = windows_after(&save_state(&mut loaded.instance));
    // Still alive after a rate change: activate at 96 kHz with 5 s of clean noise.
    let noise: Vec<f32> = (0..480_000)
        .map(|_| (rng.unit() as f32 - 0.5) * 0.5)
        .collect();
    process_clip(&mut loaded.instance, 96_000.0, &noise, &noise, true, 6);
    let second = windows_after(&save_state(&mut loaded.instance));
    println!("windows classified: {first} after 48 kHz, {second} after 96 kHz");
    if first > 0 {
        assert!(
            second > first,
            "the analysis stopped: {first} windows, then {second}"
        );
    } else {
        println!("NOTE: nothing classified (model absent?); worker survival not checked");
    }
}

#[test]
fn state_is_reproducible_and_bad_state_is_harmless() {
    let rate_hz = 44_100u32;
    let (mono, _) = clip(rate_hz);
    let (left, right) = stereo(&mono[..mono.len().min(rate_hz as usize * 8)]);
    let mut first = load();
    process_clip(
        &mut first.instance,
        f64::from(rate_hz),
        &left,
        &right,
        false,
        1,
    );
    let saved = save_state(&mut first.instance);

    let mut second = load();
    assert!(
        load_state(&mut second.instance, &saved),
        "a saved state must load"
    );
    let resaved = save_state(&mut second.instance);
    assert_eq!(saved, resaved, "save → load → save changed the bytes");

    // Loading into an instance that then runs keeps the analysis.
    process_clip(
        &mut second.instance,
        f64::from(rate_hz),
        &left[..4410],
        &right[..4410],
        false,
        2,
    );
    let after = persisted_analysis(&save_state(&mut second.instance));
    assert_eq!(
        after["track_num_windows"],
        persisted_analysis(&saved)["track_num_windows"]
    );

    let mut rng = Rng(3);
    let mut garbage: Vec<Vec<u8>> = vec![
        Vec::new(),
        vec![0xff; 8],
        (0..4096).map(|_| rng.next_u64() as u8).collect(),
    ];
    for len in [1, 7, 8, 9, saved.len() / 2, saved.len() - 1] {
        garbage.push(saved[..len].to_vec());
    }
    let json = |text: &str| {
        let mut bytes = (text.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(text.as_bytes());
        bytes
    };
    garbage.push(json(
        r#"{"version":"0.1.0","params":{},"fields":{"analysis":"{\"version\":99}"}}"#,
    ));
    garbage.push(json(
        r#"{"version":"0.1.0","params":{},"fields":{"analysis":"not json"}}"#,
    ));
    garbage.push(json(
        r#"{"version":"0.1.0","params":{"gate":{"f32":1e30}},"fields":{"analysis":"{\"version\":1,\"labels\":[\"x\"],\"track_sums_ppm\":[5,6],\"timeline\":[1,2,3]}"}}"#,
    ));
    for (i, bytes) in garbage.iter().enumerate() {
        let mut fresh = load();
        let _ = load_state(&mut fresh.instance, bytes);
        process_clip(
            &mut fresh.instance,
            48_000.0,
            &left[..48_000],
            &right[..48_000],
            false,
            i as u64,
        );
        let state = persisted_analysis(&save_state(&mut fresh.instance));
        assert!(
            state.is_object(),
            "garbage state {i}: analysis is not an object"
        );
    }
}
