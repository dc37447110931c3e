//! What Genre Meter costs a host, one thread.
//!
//! - `process/…`: the audio-thread work per 512-frame block. nice-plug hands
//!   `process` the host's buffer with the input already in place (copying it
//!   there first only when the host keeps separate input and output
//!   buffers), so a bare pass-through plugin does nothing per sample and the
//!   whole of Genre Meter's extra work is the tap (mono mix, peak, ring
//!   write): `tap_*`. `bare_copy_*` is the input→output copy a wrapper makes
//!   for out-of-place hosts, and `copy_and_tap_*` Genre Meter in that case.
//! - `worker/…`: the worker's CPU per second of host audio (resampling, mel
//!   frames, one CNN window per second at the defaults), at 44.1 and 48 kHz,
//!   and for digital silence (gated: no inference). Skipped without the model.
//!
//! Run: `cargo bench -p genre-meter --bench plugin_process` (with
//! `BENCH_CLOCK=cpu` for process CPU time on a shared machine, see
//! `crates/genre-core/benches/support/clock.rs`).

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use genre_core::analyzer::DEFAULT_GATE_DB;
use genre_meter::params::{ChannelMode, Response};
use genre_meter::shared::Shared;
use genre_meter::tap::{Mark, Tap, Transport};
use genre_meter::worker::{AnalysisCore, shared_classifier};

#[path = "../crates/genre-core/benches/support/clock.rs"]
mod clock;
use clock::BenchClock;

const BLOCK: usize = 512;

fn signal(len: usize, seed: u32) -> Vec<f32> {
    let mut state = seed.max(1);
    (0..len)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            0.3 * (i as f32 * 0.031).sin() + 0.1 * (state as f32 / u32::MAX as f32 - 0.5)
        })
        .collect()
}

/// A tap whose ring the benchmark drains as the worker would.
struct TapRig {
    tap: Tap,
    consumer: rtrb::Consumer<f32>,
    /// Kept so the tap's marks have somewhere to go.
    _marks: rtrb::Consumer<Mark>,
    shared: Shared,
    /// The song position of the next block: the transport plays on.
    pos: i64,
}

impl TapRig {
    fn new() -> Self {
        let (producer, consumer) = rtrb::RingBuffer::new(48_000 * 4);
        let (marks, mark_consumer) = genre_meter::tap::marks(genre_meter::MAX_PENDING_MARKS);
        Self {
            tap: Tap::new(producer, marks),
            consumer,
            _marks: mark_consumer,
            shared: Shared::default(),
            pos: 0,
        }
    }

    fn process(&mut self, channels: &[&mut [f32]], mode: ChannelMode) {
        let transport = Transport::Playing(self.pos);
        self.pos += channels[0].len() as i64;
        self.tap
            .process(black_box(channels), mode, transport, &self.shared);
        // Keep the ring from filling (rarely: most iterations only write).
        if self.consumer.slots() > 48_000
            && let Ok(chunk) = self.consumer.read_chunk(self.consumer.slots())
        {
            chunk.commit_all();
        }
    }
}

fn process(c: &mut Criterion<BenchClock>) {
    let mut group = c.benchmark_group("process");
    group.throughput(Throughput::Elements(BLOCK as u64));
    let (input_left, input_right) = (signal(BLOCK, 1), signal(BLOCK, 2));
    let (mut left, mut right) = (input_left.clone(), input_right.clone());
    group.bench_function("bare_copy_512_stereo", |b| {
        b.iter(|| {
            left.copy_from_slice(black_box(&input_left));
            right.copy_from_slice(black_box(&input_right));
            black_box((&left, &right));
        })
    });
    for mode in [ChannelMode::Sum, ChannelMode::Side] {
        let mut rig = TapRig::new();
        group.bench_function(format!("tap_512_stereo_{mode:?}"), |b| {
            b.iter(|| rig.process(&[&mut left, &mut right], mode))
        });
    }
    let mut rig = TapRig::new();
    group.bench_function("tap_512_mono_Sum", |b| {
        b.iter(|| rig.process(&[&mut left], ChannelMode::Sum))
    });
    let mut rig = TapRig::new();
    group.bench_function("copy_and_tap_512_stereo_Sum", |b| {
        b.iter(|| {
            left.copy_from_slice(black_box(&input_left));
            right.copy_from_slice(black_box(&input_right));
            rig.process(&[&mut left, &mut right], ChannelMode::Sum);
        })
    });
    group.finish();
}

fn worker(c: &mut Criterion<BenchClock>) {
    let classifier = match shared_classifier() {
        Ok(classifier) => classifier,
        Err(e) => {
            eprintln!("SKIPPED worker bench: the model is not available ({e})");
            return;
        }
    };
    let mut group = c.benchmark_group("worker");
    group.sample_size(20);
    let cases = [
        ("1s_audio_44k1", 44_100u32, signal(44_100, 3)),
        ("1s_audio_48k", 48_000, signal(48_000, 3)),
        ("1s_silence_48k", 48_000, vec![0.0; 48_000]),
    ];
    for (name, rate_hz, audio) in cases {
        let mut core = AnalysisCore::new(
            Arc::clone(&classifier),
            rate_hz,
            DEFAULT_GATE_DB,
            Response::Normal.time_constant_s(),
        )
        .expect("analysis core");
        // Past the first window, so every second costs what it costs in steady state.
        for _ in 0..4 {
            core.push(&audio);
        }
        // One element per second of host audio: time per element is CPU per second.
        group.throughput(Throughput::Elements(1));
        group.bench_function(name, |b| b.iter(|| core.push(black_box(&audio))));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = clock::criterion();
    targets = process, worker
}
criterion_main!(benches);
