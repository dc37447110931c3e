//! What Genre Meter costs.
//!
//! - `process/…`: the audio-thread work per 512-frame stereo block (the tap:
//!   mono mix, peak, ring write) next to the bare input→output copy every
//!   pass-through plugin pays anyway.
//! - `worker/1s_audio_48k`: the worker's CPU per second of 48 kHz audio
//!   (resampling, mel frames, one CNN window per hop). Skipped without the model.
//!
//! Run: `cargo bench -p genre-meter --bench plugin_process`.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use genre_meter::params::ChannelMode;
use genre_meter::shared::Shared;
use genre_meter::tap::Tap;
use genre_meter::worker::{AnalysisCore, shared_classifier};

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

fn process(c: &mut Criterion) {
    let mut group = c.benchmark_group("process");
    group.throughput(Throughput::Elements(BLOCK as u64));
    let mut left = signal(BLOCK, 1);
    let mut right = signal(BLOCK, 2);
    let (mut out_left, mut out_right) = (vec![0.0; BLOCK], vec![0.0; BLOCK]);
    group.bench_function("bare_copy_512_stereo", |b| {
        b.iter(|| {
            out_left.copy_from_slice(black_box(&left));
            out_right.copy_from_slice(black_box(&right));
            black_box((&out_left, &out_right));
        })
    });
    for mode in [ChannelMode::Sum, ChannelMode::Side] {
        let (producer, mut consumer) = rtrb::RingBuffer::new(48_000 * 4);
        let mut tap = Tap::new(producer);
        let shared = Shared::default();
        group.bench_function(format!("tap_512_stereo_{mode:?}"), |b| {
            b.iter(|| {
                let channels: [&mut [f32]; 2] = [&mut left, &mut right];
                tap.process(black_box(&channels), mode, &shared);
                // Keep the ring from filling, as the worker would.
                if consumer.slots() > 48_000
                    && let Ok(chunk) = consumer.read_chunk(consumer.slots())
                {
                    chunk.commit_all();
                }
            })
        });
    }
    group.finish();
}

fn worker(c: &mut Criterion) {
    let classifier = match shared_classifier() {
        Ok(classifier) => classifier,
        Err(e) => {
            eprintln!("SKIPPED worker bench: the model is not available ({e})");
            return;
        }
    };
    let rate_hz = 48_000u32;
    let audio = signal(rate_hz as usize, 3);
    let mut core =
        AnalysisCore::new(Arc::clone(&classifier), rate_hz, -90.0, 10.0).expect("analysis core");
    // Past the first window, so every second costs what it costs in steady state.
    for _ in 0..4 {
        core.push(&audio);
    }
    let mut group = c.benchmark_group("worker");
    group.sample_size(10);
    group.bench_function("1s_audio_48k", |b| b.iter(|| core.push(black_box(&audio))));
    group.finish();
}

criterion_group!(benches, process, worker);
criterion_main!(benches);
