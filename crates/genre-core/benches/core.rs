//! Core speed, one thread: mel frames, resampling, CNN windows, and a whole
//! 30 s file from WAV bytes to the aggregated estimate.
//!
//! `cargo bench -p genre-core --bench core` (add `BENCH_CLOCK=cpu` to count
//! process CPU time instead of wall time on a shared machine; see
//! `support/clock.rs`). Throughputs: for `mel`, `resample` and `end_to_end`
//! criterion's "elements" are samples at the model rate (22 050 per second
//! of audio), so elem/s ÷ 22 050 is "× real time"; for `classifier` they
//! are windows (`batch_16` hands 16 windows to one call; the classifier runs
//! them one at a time, its fastest way, see `model.rs`).
//!
//! The classifier and end-to-end benches use the shipped model, or the card
//! (or ONNX file) named by `GENRE_METER_BENCH_MODEL`, to time a candidate
//! network before it replaces the shipped one.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use genre_core::analyzer::AnalyzerConfig;
use genre_core::mel::{FeatureSpec, MelSpectrogram};
use genre_core::model::Classifier;
use genre_core::report::classify_file;
use genre_core::resample::Resampler;

#[path = "support/clock.rs"]
mod clock;
use clock::BenchClock;

/// The model rate.
const MODEL_RATE_HZ: usize = 22_050;

/// Deterministic noise-plus-tones test signal, `len` samples.
fn signal(len: usize) -> Vec<f32> {
    let mut x = 1u32;
    (0..len)
        .map(|n| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (x >> 9) as f32 / (1u32 << 23) as f32 - 0.5;
            0.1 * noise + 0.3 * (n as f32 * 0.0627).sin()
        })
        .collect()
}

fn mel(c: &mut Criterion<BenchClock>) {
    let spec = FeatureSpec::default();
    let audio = signal(30 * MODEL_RATE_HZ);
    let mut group = c.benchmark_group("mel");
    group.throughput(Throughput::Elements(audio.len() as u64));
    group.bench_function("30s_at_22050", |b| {
        let mut mel = MelSpectrogram::new(&spec).unwrap();
        b.iter(|| {
            mel.reset();
            let mut acc = 0.0f32;
            mel.push(black_box(&audio), |f| acc += f.mel_db[0]);
            black_box(acc)
        })
    });
    group.finish();
}

fn resample(c: &mut Criterion<BenchClock>) {
    let mut group = c.benchmark_group("resample");
    // Throughput in model-rate samples, as for the mel: 30 s of audio.
    group.throughput(Throughput::Elements(30 * MODEL_RATE_HZ as u64));
    for from_hz in [44_100u32, 48_000] {
        let audio = signal(30 * from_hz as usize);
        let mut resampler = Resampler::new(from_hz, MODEL_RATE_HZ as u32).unwrap();
        let mut out = Vec::with_capacity(31 * MODEL_RATE_HZ);
        group.bench_function(format!("30s_from_{from_hz}"), |b| {
            b.iter(|| {
                out.clear();
                resampler.push(black_box(&audio), &mut out);
                resampler.finish(&mut out);
                black_box(out.len())
            })
        });
    }
    group.finish();
}

/// The model the classifier and end-to-end benches run (see the module doc).
fn bench_model() -> Classifier {
    match std::env::var_os("GENRE_METER_BENCH_MODEL") {
        Some(path) => {
            eprintln!("model: {}", Path::new(&path).display());
            Classifier::load(Path::new(&path)).expect("GENRE_METER_BENCH_MODEL")
        }
        None => Classifier::shipped().expect("the shipped model"),
    }
}

fn classifier(c: &mut Criterion<BenchClock>) {
    let model = bench_model();
    let spec = &model.card().features;
    let (window_db, frames) = MelSpectrogram::compute(spec, &signal(4 * MODEL_RATE_HZ)).unwrap();
    // Re-cut to exactly one window (band-major, window_frames columns).
    let one: Vec<f32> = (0..spec.n_mels)
        .flat_map(|m| window_db[m * frames..m * frames + spec.window_frames].to_vec())
        .collect();
    let mut group = c.benchmark_group("classifier");
    for batch in [1, Classifier::BATCH] {
        let windows = one.repeat(batch);
        group.throughput(Throughput::Elements(batch as u64));
        group.bench_function(format!("batch_{batch}"), |b| {
            b.iter(|| black_box(model.probabilities(black_box(&windows)).unwrap()))
        });
    }
    group.finish();
}

fn end_to_end(c: &mut Criterion<BenchClock>) {
    let model = bench_model();
    let dir = std::env::temp_dir().join(format!("genre-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = AnalyzerConfig::for_spec(&model.card().features);
    let mut group = c.benchmark_group("end_to_end");
    group.sample_size(20);
    group.throughput(Throughput::Elements(30 * MODEL_RATE_HZ as u64));
    // A CD-rate stereo file (decode, downmix and resampling included) and a
    // file in GTZAN's format (22.05 kHz mono: no resampling).
    for (name, sample_rate, channels) in [
        ("wav_30s_44k1_stereo", 44_100, 2),
        ("wav_30s_22k05_mono", MODEL_RATE_HZ as u32, 1),
    ] {
        let path = dir.join(format!("{name}.wav"));
        let spec = hound::WavSpec {
            channels,
            sample_rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&path, spec).unwrap();
        for s in signal(30 * sample_rate as usize) {
            let v = (s * 20_000.0) as i16;
            for _ in 0..channels {
                w.write_sample(v).unwrap();
            }
        }
        w.finalize().unwrap();
        group.bench_function(name, |b| {
            b.iter(|| black_box(classify_file(Path::new(&path), &model, config, false).unwrap()))
        });
    }
    group.finish();
    std::fs::remove_dir_all(dir).ok();
}

criterion_group! {
    name = benches;
    config = clock::criterion();
    targets = mel, resample, classifier, end_to_end
}
criterion_main!(benches);
