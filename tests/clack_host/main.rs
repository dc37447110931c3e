//! Genre Meter loaded by a real CLAP host (clack-host): pass-through,
//! parameter changes while processing, the persisted state, and the
//! reliability matrix of [`matrix`], [`soak`] and [`state`].
//!
//! The plugin binary comes from `GENRE_METER_CLAP` (an absolute path to the
//! `.clap` bundle or to a `libgenre_meter.so`); by default it is the cdylib
//! that `cargo test` built beside this test binary (`target/debug/deps/`),
//! with the same features: `cargo test -p genre-meter --features alloc-check
//! --test clack_host` aborts if the audio thread allocates.
//!
//! The long tests are scaled for CI; `GENRE_METER_FULL=1` runs them at full
//! length (see [`soak`] and [`matrix`] for the numbers).

mod host;
mod matrix;
mod soak;
mod state;
mod transport;

use host::{Automation, Layout, Loaded, Rng, Stream, describe, example, model, run, top_label};

/// Two different channels from one mono clip.
fn stereo_of(clip: &[f32]) -> impl Fn(usize, u64) -> f32 + Sync + '_ {
    move |ch, frame| {
        let x = clip[(frame % clip.len() as u64) as usize];
        match ch {
            0 => x,
            _ => 0.8 * x + if frame % 2 == 0 { 1e-4 } else { -1e-4 },
        }
    }
}

#[test]
fn declares_stereo_and_mono() {
    let mut loaded = Loaded::new();
    assert_eq!(loaded.port_channels(), (2, 2), "stereo by default");
    loaded.select_layout(Layout::Mono);
    loaded.select_layout(Layout::Stereo);
}

#[test]
fn passes_audio_bit_exactly_and_persists_the_genre() {
    for (rate_hz, genre) in [(44_100u32, "classical"), (48_000, "metal")] {
        let mut loaded = Loaded::new();
        let clip = example(genre, rate_hz);
        let signal = stereo_of(&clip);
        let stream = Stream::new(rate_hz, Layout::Stereo, clip.len() as u64, &signal);
        let report = run(&mut loaded, &stream);
        let analysis = loaded.analysis();
        println!("{rate_hz} Hz {genre}: {}", describe(&analysis));
        assert_eq!(analysis.labels, model().labels);
        let (fewest, most) = stream.expected_windows();
        assert!(
            (fewest..=most).contains(&report.num_windows),
            "{rate_hz} Hz: {} windows, expected {fewest}–{most}",
            report.num_windows
        );
        assert_eq!(
            top_label(&analysis),
            Some(genre),
            "{rate_hz} Hz: the track so far names the wrong genre"
        );
    }
}

#[test]
fn random_parameter_changes_and_absurd_samples_keep_audio_intact() {
    let rate_hz = 48_000u32;
    let mut loaded = Loaded::new();
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
    let signal = |ch: usize, frame: u64| [&left, &right][ch][frame as usize];
    let stream = Stream::new(rate_hz, Layout::Stereo, left.len() as u64, &signal)
        .automation(Automation::All)
        .seed(5);
    let first = run(&mut loaded, &stream).num_windows;
    // Still alive after a rate change: activate at 96 kHz with 5 s of clean noise.
    let noise: Vec<f32> = (0..480_000)
        .map(|_| (rng.unit() as f32 - 0.5) * 0.5)
        .collect();
    let signal = |_: usize, frame: u64| noise[frame as usize];
    let stream = Stream::new(96_000, Layout::Stereo, noise.len() as u64, &signal)
        .automation(Automation::All)
        .seed(6);
    let second = run(&mut loaded, &stream).num_windows;
    println!("windows: {first} at 48 kHz, then {second} at 96 kHz");
    assert!(first > 0 && second > 0, "the analysis stopped");
}
