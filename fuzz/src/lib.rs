//! The body of the `decode_analyze` fuzz target: decode arbitrary bytes as an audio file and
//! run what comes out through the analyzer (resampler, mel, windows, silence gate) with the
//! shipped model's feature settings, and, when asked, through the shipped CNN.
//!
//! It panics when a documented property breaks, which libFuzzer reports as a crash:
//! - a decoding error names the input and fits on the one line the CLI prints;
//! - decoded samples are finite (the decoder replaces NaN/Inf);
//! - every window the analyzer hands out has the model's size, finite dB values at or above
//!   the `amin` floor and a finite level; a stream long enough for a frame gives a window;
//! - the CNN turns such a window into finite probabilities that sum to 1.
//!
//! The same function runs in plain `cargo test` (`crates/genre-core/tests/fuzz_smoke.rs`
//! includes this file), so it may only use `genre-core` and `std`.
//!
//! Cost per input decides how much the fuzzer explores, and libFuzzer's coverage
//! instrumentation makes number crunching several times slower. So the fuzz build instruments
//! in full only Symphonia (`rustc-wrapper.sh`: comparison tracing off in genre-core and this
//! crate, no instrumentation in rustfft, rubato, tract, …), and the target spends its
//! time where bytes steer the code: container and codec parsing, the sample conversion, the
//! resampler and mel set-up for each rate, the window assembly. Analyzers are built once per
//! sample rate and [`reset`](Analyzer::reset) between inputs (the mel and resampler tests
//! hold reset to reproducing a fresh stream). Decoding stops after [`MAX_DECODED_MS`].
//! The CNN is a fixed graph whose code path no input value changes, at ~10 ms a window, so
//! the target leaves it to the smoke test ([`Cnn::WhenSelected`]), whose inputs are fewer.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use genre_core::Error;
use genre_core::analyzer::{Analyzer, AnalyzerConfig, MIN_LEVEL_DB, Window};
use genre_core::audio::Decoder;
use genre_core::card::ModelCard;
use genre_core::mel::FeatureSpec;
use genre_core::model::{Classifier, SHIPPED_CARD_PATH};

/// The name the decoder gives the input in its messages.
pub const INPUT_NAME: &str = "fuzz-input";

/// Extension hints, chosen by the low 3 bits of the first byte: the probe tries the hinted
/// format first, as it would for a file name.
const EXT_HINTS: [Option<&str>; 8] = [
    None,
    Some("wav"),
    Some("mp3"),
    Some("flac"),
    Some("ogg"),
    Some("m4a"),
    Some("aac"),
    Some("aiff"),
];

/// First bytes from this value up also run the CNN on the first non-silent window, when the
/// caller allows it.
pub const CLASSIFY_SELECTOR_MIN: u8 = 0xF8;

/// Whether windows go through the CNN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cnn {
    /// Never: the libFuzzer target.
    Never,
    /// For inputs whose first byte is at least [`CLASSIFY_SELECTOR_MIN`] (1 in 32).
    WhenSelected,
}

/// Audio after this many milliseconds (at the file's rate) is not decoded (the packet that
/// crosses it is kept): enough for the first full window (130 frames, 3.09 s at the model
/// rate) and 17 frames of the next hop, which reaches every branch of the window assembly.
/// The second window, 1.5 s later, would take the same branches, and that time is better
/// spent on new inputs.
pub const MAX_DECODED_MS: u32 = 3_500;

/// Analyzers kept for reuse; more distinct rates than this and the cache starts over.
const MAX_CACHED_ANALYZERS: usize = 64;

/// The shipped model's feature settings (its card), read once per process.
fn feature_spec() -> &'static FeatureSpec {
    static SPEC: OnceLock<FeatureSpec> = OnceLock::new();
    SPEC.get_or_init(|| {
        ModelCard::from_path(Path::new(SHIPPED_CARD_PATH))
            .expect("the shipped card loads")
            .features
    })
}

/// The shipped model, built once per process.
fn classifier() -> &'static Classifier {
    static CLASSIFIER: OnceLock<Classifier> = OnceLock::new();
    CLASSIFIER.get_or_init(|| Classifier::shipped().expect("the shipped model loads"))
}

thread_local! {
    /// One analyzer per input sample rate, reset before each use.
    static ANALYZERS: RefCell<HashMap<u32, Analyzer>> = RefCell::new(HashMap::new());
}

/// The fuzz target: first byte = options (extension hint, CNN), the rest = the file.
pub fn decode_and_analyze(data: &[u8], cnn: Cnn) {
    let Some((&selector, file)) = data.split_first() else {
        return;
    };
    let ext_hint = EXT_HINTS[usize::from(selector & 0b111)];
    let classify = cnn == Cnn::WhenSelected && selector >= CLASSIFY_SELECTOR_MIN;
    let mut decoder = match Decoder::from_bytes(file.to_vec(), ext_hint, INPUT_NAME) {
        Ok(decoder) => decoder,
        Err(err) => return check_error(&err),
    };
    let info = decoder.info().clone();
    assert!(info.num_channels > 0, "opened with zero channels: {info:?}");
    let max_frames = (u64::from(info.sample_rate_hz) * u64::from(MAX_DECODED_MS) / 1000) as usize;
    let mut samples = Vec::new();
    loop {
        match decoder.read_mono(&mut samples) {
            Ok(true) if samples.len() < max_frames => {}
            Ok(_) => break,
            Err(err) => return check_error(&err),
        }
    }
    if let Some(bad) = samples.iter().find(|x| !x.is_finite()) {
        panic!("the decoder let a non-finite sample through: {bad}");
    }

    let spec = feature_spec();
    let floor_db = (10.0 * spec.amin.log10()) as f32;
    let mut to_classify: Option<Vec<f32>> = None;
    let mut on_window = |w: Window<'_>| {
        assert_eq!(w.mel_db.len(), spec.n_mels * spec.window_frames);
        assert!(
            w.level_db.is_finite() && w.level_db >= MIN_LEVEL_DB,
            "window {} level {} dB",
            w.index,
            w.level_db
        );
        if let Some((i, v)) = w
            .mel_db
            .iter()
            .enumerate()
            .find(|(_, v)| !v.is_finite() || **v < floor_db - 1e-3)
        {
            panic!("window {} value {i} is {v} dB", w.index);
        }
        if classify && !w.silent && to_classify.is_none() {
            to_classify = Some(w.mel_db.to_vec());
        }
    };
    let num_windows = ANALYZERS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= MAX_CACHED_ANALYZERS && !cache.contains_key(&info.sample_rate_hz) {
            cache.clear();
        }
        let analyzer = cache.entry(info.sample_rate_hz).or_insert_with(|| {
            Analyzer::new(spec, info.sample_rate_hz, AnalyzerConfig::for_spec(spec))
                .expect("the decoder checked the rate")
        });
        analyzer.reset();
        analyzer.push(&samples, &mut on_window);
        analyzer.finish(&mut on_window);
        analyzer.num_windows()
    });
    let num_resampled =
        samples.len() as u64 * u64::from(spec.sample_rate_hz) / u64::from(info.sample_rate_hz);
    if spec.num_frames(num_resampled as usize) > 0 {
        assert!(
            num_windows > 0,
            "{} samples at {} Hz gave no window",
            samples.len(),
            info.sample_rate_hz
        );
    }

    if let Some(window) = to_classify {
        let probabilities = classifier().probabilities(&window).expect("inference runs");
        let sum: f32 = probabilities.iter().sum();
        assert!(
            probabilities.iter().all(|p| p.is_finite()) && (sum - 1.0).abs() < 1e-3,
            "probabilities {probabilities:?}"
        );
    }
}

/// A decoding error must name the input and fit on the one line the CLI prints.
fn check_error(err: &Error) {
    let message = err.to_string();
    assert!(
        message.contains(INPUT_NAME),
        "error does not name the input: {message}"
    );
    assert!(!message.contains('\n'), "error spans lines: {message:?}");
}
