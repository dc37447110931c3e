//! The host's transport and the plugin's answers: the timeline follows the
//! song (play, stop, replay, jump), the saved track so far agrees with what
//! the CLI's code says about the same audio, and Bypass stops the analysis
//! while the audio still passes.

use std::sync::Arc;

use genre_core::analyzer::{AnalyzerConfig, DEFAULT_GATE_DB};
use genre_core::model::Classifier;
use genre_core::report::classify_file;
use genre_core::verdict::Status;
use genre_meter::params::{EntryKind, TrackState};

use crate::host::{
    Automation, Layout, Loaded, Section, Stream, describe, example, model, run, track_means,
};

/// The largest difference allowed between a probability of the plugin's
/// saved track so far and the CLI's estimate of the same audio. Both read the
/// same samples (the file holds the clip and the silence the transport plays
/// after it; the plugin starts its stream where the transport starts, at song
/// position 0), cut the same windows and run the same code, so they agree to
/// float rounding (measured: below 0.000001 on both examples at 44.1 and
/// 48 kHz). Windows cut at the CLI's default 1.5 s hop instead move the
/// metal estimate by 0.019; leaving out the silence after the clip, 0.015.
pub const CLI_TOLERANCE: f32 = 0.001;

/// The shipped model in this process (for the CLI's side).
fn classifier() -> Arc<Classifier> {
    genre_meter::worker::shared_classifier().expect("the shipped model")
}

/// Host frames in `seconds` at `rate_hz`.
fn frames(rate_hz: u32, seconds: f64) -> u64 {
    (seconds * f64::from(rate_hz)).round() as u64
}

/// The song timeline's kinds as letters from song entry 0.
fn song_letters(state: &TrackState) -> String {
    assert!(state.timeline_follows_song, "{}", describe(state));
    std::iter::repeat_n('.', state.timeline_first as usize)
        .chain(state.timeline_kinds.chars())
        .collect()
}

/// The song entry of a window starting at song time `start_s`.
fn entry_of(start_s: f64) -> usize {
    let spec = &model().spec;
    let hop_frames = (genre_meter::worker::HOP_S / spec.frame_period_s()).round();
    let hop_s = hop_frames * spec.frame_period_s();
    ((start_s + 0.5 * spec.window_duration_s()) / hop_s).floor() as usize
}

#[test]
fn the_timeline_follows_the_song_through_play_stop_replay_and_jump() {
    let rate_hz = 48_000;
    let clip = example("metal", rate_hz);
    let f = |s: f64| frames(rate_hz, s);
    // The song: the clip from 0 s, silence after it.
    let signal = |_: usize, frame: u64| clip.get(frame as usize).copied().unwrap_or(0.0);
    let song = [
        Section::play(0, f(10.0)),
        Section::stop(f(2.0)),
        // Replay 3–9 s, stop, play on from 9 s (a pause), jump to 16 s and
        // play past the end of the audio (20 s) into silence.
        Section::play(f(3.0) as i64, f(6.0)),
        Section::stop(f(1.0)),
        Section::play(f(9.0) as i64, f(1.5)),
        Section::play(f(16.0) as i64, f(12.0)),
    ];
    let stream = Stream::with_song(rate_hz, Layout::Stereo, &song, &signal);
    let mut loaded = Loaded::new();
    run(&mut loaded, &stream);
    let state = loaded.analysis();
    let letters = song_letters(&state);
    println!("song timeline: {letters}\n{}", describe(&state));

    // 0–10 s and the pause's continuation: windows from the first full one on.
    let first = entry_of(0.0);
    assert!(letters[..first].chars().all(|c| c == '.'), "{letters}");
    let played_to = letters[first..].find('.').map(|k| k + first).unwrap();
    assert!(
        letters[first..played_to].chars().all(|c| c == 'c'),
        "{letters}"
    );
    // The last window of 0–10.5 s (10 s, then 9–10.5 s going on from 9 s
    // after the replay) ends by 10.5 s.
    assert!(played_to <= entry_of(10.5 - model().spec.window_duration_s()) + 1);
    // Nothing between the end of that and the jump; the jump's first
    // window starts at 16 s (none straddles it).
    let jump = entry_of(16.0);
    assert!(
        letters[played_to..jump].chars().all(|c| c == '.'),
        "{letters}"
    );
    let after_jump = &letters[jump..];
    // Music until 20 s, windows only partly music, then silence.
    let runs: String = after_jump.chars().fold(String::new(), |mut runs, c| {
        if !runs.ends_with(c) {
            runs.push(c);
        }
        runs
    });
    assert_eq!(runs, "cps", "{letters}");
    // Each part of the song counted once: replaying did not add.
    assert_eq!(
        state.num_classified() as usize,
        letters.matches('c').count(),
        "{}",
        describe(&state)
    );
    assert!(
        state
            .timeline_kinds
            .chars()
            .all(|c| EntryKind::from_letter(c).is_some())
    );
}

/// Decodes `genre`'s example at `rate_hz`, plays it in stereo from song
/// position 0 with 2 s of silence after, and compares the saved track so
/// far with `classify_file` on a stereo WAV of the same samples.
fn agrees_with_the_cli(genre: &str, rate_hz: u32) {
    let clip = example(genre, rate_hz);
    // Two different channels; the CLI and the Channel mode L+R both take their mean.
    let left = |frame: u64| clip.get(frame as usize).copied().unwrap_or(0.0);
    let right = |frame: u64| 0.6 * left(frame) + 0.1 * left(frame + 37);
    let signal = |ch: usize, frame: u64| if ch == 0 { left(frame) } else { right(frame) };
    let dir = std::env::temp_dir().join(format!(
        "genre-meter-cli-agreement-{}-{genre}-{rate_hz}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let wav = dir.join(format!("{genre}.wav"));
    let mut writer = hound::WavWriter::create(
        &wav,
        hound::WavSpec {
            channels: 2,
            sample_rate: rate_hz,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        },
    )
    .unwrap();
    // The file holds what the plugin hears: the clip and the 2 s of silence
    // the transport plays after it.
    let played = clip.len() as u64 + frames(rate_hz, 2.0);
    for frame in 0..played {
        writer.write_sample(left(frame)).unwrap();
        writer.write_sample(right(frame)).unwrap();
    }
    writer.finalize().unwrap();

    let classifier = classifier();
    let spec = &classifier.card().features;
    let config = AnalyzerConfig {
        hop_frames: (genre_meter::worker::HOP_S / spec.frame_period_s()).round() as usize,
        gate_db: DEFAULT_GATE_DB,
    };
    let cli = classify_file(&wav, &classifier, config, false).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let cli_probabilities = cli
        .probabilities
        .clone()
        .expect("the CLI classified windows");

    let song = [Section::play(0, played)];
    let stream = Stream::with_song(rate_hz, Layout::Stereo, &song, &signal);
    let mut loaded = Loaded::new();
    run(&mut loaded, &stream);
    let state = loaded.analysis();
    let (plugin, verdict) = state
        .estimate(&model().decider)
        .unwrap_or_else(|| panic!("{rate_hz} Hz {genre}: nothing saved: {}", describe(&state)));
    let worst = plugin
        .iter()
        .zip(&cli_probabilities)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    let name = |v: &genre_core::verdict::Verdict| {
        let top = v.top_genre.map_or("-", |(i, _)| model().labels[i].as_str());
        format!("{} {top} {:.3}", v.status, v.confidence().unwrap_or(0.0))
    };
    println!(
        "{rate_hz} Hz {genre}: plugin {} ({} windows), CLI {} ({} windows), largest difference {worst:.6}",
        name(&verdict),
        state.num_classified(),
        name(&cli.verdict),
        cli.stats.num_windows - cli.stats.num_silent,
    );
    assert_eq!(
        verdict.status, cli.verdict.status,
        "{rate_hz} Hz {genre}: status"
    );
    assert_eq!(
        verdict.top_genre.map(|(i, _)| i),
        cli.verdict.top_genre.map(|(i, _)| i),
        "{rate_hz} Hz {genre}: top genre"
    );
    assert!(
        worst <= CLI_TOLERANCE,
        "{rate_hz} Hz {genre}: probabilities differ by {worst} (plugin {:?}, CLI {cli_probabilities:?})",
        track_means(&state)
    );
    // Windows reaching more than a quarter into the silence after the clip
    // are partly silent: neither side classifies them.
    let cli_windows = cli.stats.num_windows - cli.stats.num_silent;
    assert!(
        state.num_classified() == cli_windows,
        "{rate_hz} Hz {genre}: {} windows classified, the CLI {cli_windows}",
        state.num_classified()
    );
}

#[test]
fn the_saved_track_so_far_agrees_with_the_cli_at_44_1_khz() {
    for genre in ["metal", "classical"] {
        agrees_with_the_cli(genre, 44_100);
    }
}

#[test]
fn the_saved_track_so_far_agrees_with_the_cli_at_48_khz() {
    for genre in ["metal", "classical"] {
        agrees_with_the_cli(genre, 48_000);
    }
}

#[test]
fn bypass_passes_the_audio_and_stops_the_analysis() {
    let mut loaded = Loaded::new();
    let params = loaded.param_infos();
    let bypass: Vec<_> = params.iter().filter(|p| p.is_bypass).collect();
    assert_eq!(bypass.len(), 1, "exactly one bypass parameter");
    assert_eq!(bypass[0].name, "Bypass");
    assert_eq!(
        (bypass[0].min, bypass[0].max, bypass[0].default),
        (0.0, 1.0, 0.0)
    );

    let rate_hz = 44_100;
    let clip = example("classical", rate_hz);
    let signal = |ch: usize, frame: u64| {
        let x = clip[frame as usize % clip.len()];
        if ch == 0 { x } else { 0.5 * x }
    };
    let num_frames = frames(rate_hz, 6.0);
    // Bypassed: the host still checks every output sample against its input.
    let stream = Stream::new(rate_hz, Layout::Stereo, num_frames, &signal)
        .automation(Automation::Set("Bypass", 1.0))
        .unpaced();
    run(&mut loaded, &stream);
    assert_eq!(loaded.param_value(bypass[0].id), 1.0);
    let after = loaded.analysis();
    assert_eq!(
        (after.num_entries(), after.num_classified()),
        (0, 0),
        "bypassed, something was analysed: {}",
        describe(&after)
    );
    // And back: the analysis runs again.
    let stream = Stream::new(rate_hz, Layout::Stereo, num_frames, &signal)
        .automation(Automation::Set("Bypass", 0.0));
    let report = run(&mut loaded, &stream);
    assert!(report.num_windows >= 2, "{}", describe(&loaded.analysis()));
    let (_, verdict) = loaded.analysis().estimate(&model().decider).unwrap();
    assert_ne!(verdict.status, Status::Silent);
}
