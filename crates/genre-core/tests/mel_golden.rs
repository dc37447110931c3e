//! The Rust log-mel against librosa's, on fixtures written by
//! `scripts/make_mel_fixtures.py`, and the streaming properties.

use genre_core::mel::{FeatureSpec, MelSpectrogram};
use ndarray::{Array1, Array2};
use ndarray_npy::read_npy;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/mel");
/// DESIGN.md's tolerance against librosa.
const MAX_ERR_DB: f32 = 0.05;

fn fixture(name: &str) -> (Vec<f32>, Array2<f32>) {
    let signal: Array1<f32> = read_npy(format!("{FIXTURES}/{name}_signal.npy")).unwrap();
    let expected: Array2<f32> = read_npy(format!("{FIXTURES}/{name}_logmel.npy")).unwrap();
    (signal.to_vec(), expected)
}

fn frames_with_push_size(spec: &FeatureSpec, signal: &[f32], push: usize) -> Vec<Vec<f32>> {
    let mut mel = MelSpectrogram::new(spec).unwrap();
    let mut frames = Vec::new();
    for chunk in signal.chunks(push) {
        mel.push(chunk, |f| frames.push(f.mel_db.to_vec()));
    }
    frames
}

#[test]
fn matches_librosa_within_tolerance() {
    let spec = FeatureSpec::default();
    for name in ["music", "noise", "quiet"] {
        let (signal, expected) = fixture(name);
        let (got, num_frames) = MelSpectrogram::compute(&spec, &signal).unwrap();
        assert_eq!(
            (spec.n_mels, num_frames),
            expected.dim(),
            "{name}: shape differs from librosa"
        );
        let mut worst = (0.0f32, 0, 0);
        for ((m, t), &want) in expected.indexed_iter() {
            let err = (got[m * num_frames + t] - want).abs();
            if err > worst.0 {
                worst = (err, m, t);
            }
        }
        println!(
            "{name}: worst |Δ| = {:.5} dB at band {} frame {}",
            worst.0, worst.1, worst.2
        );
        assert!(
            worst.0 <= MAX_ERR_DB,
            "{name}: worst difference {:.4} dB at band {} frame {} exceeds {MAX_ERR_DB} dB",
            worst.0,
            worst.1,
            worst.2
        );
    }
}

#[test]
fn frames_do_not_depend_on_push_size() {
    let spec = FeatureSpec::default();
    let (signal, _) = fixture("music");
    let reference = frames_with_push_size(&spec, &signal, signal.len());
    assert_eq!(reference.len(), spec.num_frames(signal.len()));
    for push in [1, 7, 512, 4096] {
        let frames = frames_with_push_size(&spec, &signal, push);
        assert_eq!(frames, reference, "push size {push} changed the frames");
    }
}

#[test]
fn reset_reproduces_output() {
    let spec = FeatureSpec::default();
    let (signal, _) = fixture("noise");
    let mut mel = MelSpectrogram::new(&spec).unwrap();
    let mut first = Vec::new();
    mel.push(&signal, |f| first.push(f.mel_db.to_vec()));
    // Leave a partial frame pending, then reset: it must not leak into the next run.
    mel.push(&signal[..1000], |_| {});
    mel.reset();
    let mut second = Vec::new();
    mel.push(&signal, |f| second.push(f.mel_db.to_vec()));
    assert_eq!(first, second);
    assert_eq!(mel.num_frames() as usize, first.len());
}

#[test]
fn frame_mean_square_measures_level() {
    let spec = FeatureSpec::default();
    let amplitude = 0.5f32;
    let sine: Vec<f32> = (0..22_050)
        .map(|n| amplitude * (2.0 * std::f32::consts::PI * 441.0 * n as f32 / 22_050.0).sin())
        .collect();
    let mut mel = MelSpectrogram::new(&spec).unwrap();
    let mut levels = Vec::new();
    mel.push(&sine, |f| levels.push(f.mean_square));
    for ms in levels {
        assert!(
            (ms - amplitude * amplitude / 2.0).abs() < 1e-3,
            "mean square {ms}"
        );
    }
}
