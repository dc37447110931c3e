//! Hostile hosts: every sample rate, block size and layout; NaN, infinity
//! and denormals; rate changes and resets mid-stream; many instances at
//! once; an offline bounce. Audio must pass bit for bit and the analysis
//! must stay right.

use clack_extensions::render::RenderMode;

use crate::host::{
    Automation, Blocks, Layout, Loaded, Signal, Stream, describe, example, full_length, model,
    num_windows, run, top_label, track_means,
};

/// Host sample rates of the matrix, 8 kHz to 384 kHz.
const RATES_HZ: [u32; 7] = [8_000, 22_050, 44_100, 48_000, 96_000, 192_000, 384_000];
/// Block sizes of the matrix (`WithEmpty` adds 0-frame blocks to random ones).
const BLOCKS: [Blocks; 6] = [
    Blocks::Fixed(1),
    Blocks::Fixed(17),
    Blocks::Fixed(512),
    Blocks::Fixed(8192),
    Blocks::Random,
    Blocks::WithEmpty,
];
/// Seconds per (rate, layout, block size) cell: two windows each.
const CELL_S: f64 = 4.5;
/// Instances processing at once in one process.
const NUM_INSTANCES: usize = 16;
/// Seconds each of them processes (full length: a whole example clip).
const INSTANCE_S: f64 = 8.0;
/// Minutes of the offline bounce.
const BOUNCE_MIN: u64 = 10;

/// `clip` looped; the second channel is the first at a lower level with a
/// little offset, so the channels differ.
fn looped(clip: &[f32]) -> impl Fn(usize, u64) -> f32 + Sync + '_ {
    move |ch, frame| {
        let x = clip[(frame % clip.len() as u64) as usize];
        if ch == 0 {
            x
        } else {
            0.8 * x + if frame % 2 == 0 { 1e-4 } else { -1e-4 }
        }
    }
}

fn seconds(rate_hz: u32, s: f64) -> u64 {
    (f64::from(rate_hz) * s).round() as u64
}

#[test]
fn every_rate_block_size_and_layout() {
    // Both channels carry the clip, so the mono tap (L+R)/2 is the clip bit
    // for bit in either layout: every cell of a rate must give the same
    // analysis, whatever the blocks.
    let mut means_by_rate: Vec<(u32, Vec<f32>)> = Vec::new();
    for rate_hz in RATES_HZ {
        let clip = example("metal", rate_hz);
        let signal = |_: usize, frame: u64| clip[(frame % clip.len() as u64) as usize];
        let mut first_cell: Option<(String, Vec<u64>)> = None;
        for layout in [Layout::Stereo, Layout::Mono] {
            let mut loaded = Loaded::new();
            for (k, blocks) in BLOCKS.into_iter().enumerate() {
                // Only the Target parameter: it changes the display, not the analysis.
                let stream = Stream::new(rate_hz, layout, seconds(rate_hz, CELL_S), &signal)
                    .blocks(blocks)
                    .automation(Automation::Only("Target"))
                    .seed(k as u64 + 1);
                let before = loaded.analysis();
                let report = run(&mut loaded, &stream);
                let after = loaded.analysis();
                let cell = format!("{rate_hz} Hz {layout:?} {blocks:?}");
                let (fewest, most) = stream.expected_windows();
                assert!(
                    (fewest..=most).contains(&report.num_windows),
                    "{cell}: {} windows, expected {fewest}–{most}",
                    report.num_windows
                );
                assert!(
                    after.is_valid_for(&model().labels),
                    "{cell}: invalid analysis {after:?}"
                );
                assert_eq!(
                    after.num_classified() - before.num_classified(),
                    report.num_windows,
                    "{cell}: every window of music is classified"
                );
                if blocks == Blocks::WithEmpty {
                    assert!(report.num_empty_blocks > 0, "{cell}: no empty blocks sent");
                }
                // This cell's own share of the track so far.
                let sums: Vec<u64> = after
                    .music_sums_ppm
                    .iter()
                    .zip(before.music_sums_ppm.iter().chain(std::iter::repeat(&0)))
                    .map(|(now, earlier)| now - earlier)
                    .collect();
                // Equal up to the rounding of the running sums to millionths.
                match &first_cell {
                    None => first_cell = Some((cell, sums)),
                    Some((first, first_sums)) => assert!(
                        sums.iter()
                            .zip(first_sums)
                            .all(|(a, b)| a.abs_diff(*b) <= 1),
                        "{cell} analysed the same audio differently from {first}: \
                         {sums:?} against {first_sums:?} (millionths)"
                    ),
                }
            }
        }
        let (_, sums) = first_cell.unwrap();
        let total: u64 = sums.iter().sum();
        let means: Vec<f32> = sums.iter().map(|&s| s as f32 / total as f32).collect();
        means_by_rate.push((rate_hz, means));
    }
    let labels = &model().labels;
    let reference = &means_by_rate[RATES_HZ.iter().position(|&r| r == 44_100).unwrap()].1;
    for (rate_hz, means) in &means_by_rate {
        let top = (0..means.len())
            .max_by(|&a, &b| means[a].total_cmp(&means[b]))
            .unwrap();
        let worst = means
            .iter()
            .zip(reference)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        println!(
            "{rate_hz:>6} Hz: {} {:.2}, largest difference from 44.1 kHz {worst:.3}",
            labels[top], means[top]
        );
        // 8 kHz keeps only 4 kHz of bandwidth, so it may hear otherwise.
        if *rate_hz >= 22_050 {
            assert!(
                worst < 0.1,
                "{rate_hz} Hz: the estimate moved by {worst} from 44.1 kHz"
            );
        }
    }
}

/// A bad sample for index `k`: NaNs with several payloads (quiet and
/// signalling, both signs), infinities, denormals, negative zero. (Finite
/// absurd values such as `f32::MAX` are loud audio to the analyzer, which
/// clamps them; `random_parameter_changes_and_absurd_samples_keep_audio_intact`
/// covers those.)
fn bad_sample(k: u64) -> f32 {
    const BAD: [u32; 9] = [
        0x7fc0_0000, // the usual quiet NaN
        0xffc1_2345, // negative quiet NaN with a payload
        0x7f80_0001, // signalling NaN
        0xff80_7fff, // negative signalling NaN
        0x7f80_0000, // +inf
        0xff80_0000, // -inf
        0x0000_0001, // smallest denormal
        0x807f_ffff, // largest negative denormal
        0x8000_0000, // -0
    ];
    f32::from_bits(BAD[(k % BAD.len() as u64) as usize])
}

/// The analysis's track sums of `signal` (rate, layout and length as given).
fn track_sums(
    rate_hz: u32,
    layout: Layout,
    num_frames: u64,
    signal: Signal<'_>,
) -> (u64, Vec<u64>) {
    let mut loaded = Loaded::new();
    let report = run(
        &mut loaded,
        &Stream::new(rate_hz, layout, num_frames, signal),
    );
    let analysis = loaded.analysis();
    assert_eq!(
        analysis.num_classified(),
        report.num_windows,
        "every window classified"
    );
    (report.num_windows, analysis.music_sums_ppm)
}

/// Whether two track sums agree up to the rounding of running sums to millionths.
fn same_sums(a: &[u64], b: &[u64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.abs_diff(*y) <= 1)
}

#[test]
fn nan_inf_and_denormals_pass_bit_exactly_and_are_ignored() {
    let rate_hz = 44_100;
    let clip = example("metal", rate_hz);
    let clean = looped(&clip);
    // One sample in 997 of each channel is bad, at different frames.
    let sprinkled = |ch: usize, frame: u64| {
        if (frame + 500 * ch as u64).is_multiple_of(997) {
            bad_sample(frame / 997 + ch as u64)
        } else {
            clean(ch, frame)
        }
    };
    // What the analysis must hear instead: wherever the mix (L+R)/2 is not
    // finite, the previous frame's mix (the analyzer holds the last good
    // sample; the previous frame is always clean here, and before the first
    // frame it holds 0); denormals and -0 count as 0. Sending that mix on
    // both channels makes the tap's `0.5 * (l + r)` reproduce it exactly.
    let as_held = |ch: usize, frame: u64| {
        if !(sprinkled(0, frame) + sprinkled(1, frame)).is_finite() {
            return match frame.checked_sub(1) {
                Some(previous) => 0.5 * (clean(0, previous) + clean(1, previous)),
                None => 0.0,
            };
        }
        let x = sprinkled(ch, frame);
        if x == 0.0 || x.is_subnormal() { 0.0 } else { x }
    };
    let num_frames = clip.len() as u64;
    let (num_windows, dirty) = track_sums(rate_hz, Layout::Stereo, num_frames, &sprinkled);
    let (_, held) = track_sums(rate_hz, Layout::Stereo, num_frames, &as_held);
    let (_, reference) = track_sums(rate_hz, Layout::Stereo, num_frames, &clean);
    let means = |sums: &[u64]| -> Vec<f32> {
        sums.iter()
            .map(|&s| s as f32 / 1e6 / num_windows as f32)
            .collect()
    };
    let moved = means(&reference)
        .iter()
        .zip(means(&dirty))
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    println!(
        "{num_windows} windows; a bad sample in 997 moved the track so far by at most {moved:.3} \
         from the clean clip's (as the same samples held at the last good one do)"
    );
    assert!(
        same_sums(&dirty, &held),
        "bad samples were not analysed as the last good one: {dirty:?} against {held:?}"
    );

    // Nothing but bad samples, mono and stereo: every window is silence.
    for layout in [Layout::Mono, Layout::Stereo] {
        let only_bad = |ch: usize, frame: u64| bad_sample(frame * 7 + ch as u64);
        let mut loaded = Loaded::new();
        let stream = Stream::new(rate_hz, layout, seconds(rate_hz, 6.0), &only_bad)
            .blocks(Blocks::WithEmpty);
        let report = run(&mut loaded, &stream);
        let analysis = loaded.analysis();
        let (fewest, most) = stream.expected_windows();
        assert!(
            (fewest..=most).contains(&report.num_windows),
            "{layout:?}: {}",
            describe(&analysis)
        );
        assert_eq!(
            analysis.num_classified(),
            0,
            "{layout:?}: bad samples were classified"
        );
        assert!(
            analysis.timeline.iter().all(|&b| b == 0),
            "{layout:?}: non-silent timeline"
        );
    }
}

#[test]
fn rate_changes_and_resets_mid_stream() {
    let mut loaded = Loaded::new();
    let mut expected_total = (0, 0);
    for (step, (rate_hz, layout)) in [
        (44_100u32, Layout::Stereo),
        (96_000, Layout::Stereo),
        (22_050, Layout::Mono),
        (8_000, Layout::Mono),
        (48_000, Layout::Stereo),
    ]
    .into_iter()
    .enumerate()
    {
        let clip = example("classical", rate_hz);
        let signal = looped(&clip);
        // Resets a little after a window, so a paced host can tell the
        // analysis read everything before them; twice in a row at the end.
        let resets = [
            seconds(rate_hz, 4.3),
            seconds(rate_hz, 8.7),
            seconds(rate_hz, 8.7) + 1,
        ];
        let stream = Stream::new(rate_hz, layout, seconds(rate_hz, 16.0), &signal)
            .blocks(if step % 2 == 0 {
                Blocks::Random
            } else {
                Blocks::Fixed(512)
            })
            .resets_at(&resets);
        let before = loaded.analysis();
        let report = run(&mut loaded, &stream);
        let after = loaded.analysis();
        let (fewest, most) = stream.expected_windows();
        let without_resets = model().max_windows(stream.num_frames, rate_hz);
        println!(
            "{rate_hz} Hz {layout:?}: {} windows (expected {fewest}–{most}; {without_resets} without the resets); {}",
            report.num_windows,
            describe(&after)
        );
        assert!(
            (fewest..=most).contains(&report.num_windows),
            "{rate_hz} Hz: {} windows, expected {fewest}–{most}",
            report.num_windows
        );
        // The track so far survives resets and rate changes.
        assert_eq!(
            after.num_classified(),
            before.num_classified() + report.num_windows
        );
        expected_total = (expected_total.0 + fewest, expected_total.1 + most);
    }
    let analysis = loaded.analysis();
    assert!((expected_total.0..=expected_total.1).contains(&num_windows(&analysis)));
    assert_eq!(
        top_label(&analysis),
        Some("classical"),
        "{}",
        describe(&analysis)
    );
}

#[test]
fn reset_inside_the_first_window_restarts_it() {
    // 3.9 s fit the tap's ring, so an unpaced host loses nothing and the
    // counts are exact: one window without the reset, none with it (after
    // the reset at 1.3 s only 2.6 s remain).
    let rate_hz = 44_100;
    let clip = example("classical", rate_hz);
    let signal = looped(&clip);
    for (resets, expected) in [(vec![], 1), (vec![seconds(rate_hz, 1.3)], 0)] {
        let mut loaded = Loaded::new();
        let stream = Stream::new(rate_hz, Layout::Stereo, seconds(rate_hz, 3.9), &signal)
            .unpaced()
            .resets_at(&resets);
        let report = run(&mut loaded, &stream);
        assert_eq!(report.num_windows, expected, "resets at {resets:?}");
    }
}

#[test]
fn sixteen_instances_at_once() {
    let seconds_each = if full_length() { 20.0 } else { INSTANCE_S };
    let clips: Vec<(u32, &str, Vec<f32>)> = [
        (44_100u32, "metal"),
        (48_000, "classical"),
        (96_000, "metal"),
        (22_050, "classical"),
    ]
    .into_iter()
    .map(|(rate_hz, genre)| (rate_hz, genre, example(genre, rate_hz)))
    .collect();
    // Both channels carry the clip, so every layout taps the same mono
    // signal: each instance must analyse exactly as one running alone.
    let alone: Vec<(u64, Vec<u64>)> = clips
        .iter()
        .map(|(rate_hz, _, clip)| {
            let signal = |_: usize, frame: u64| clip[(frame % clip.len() as u64) as usize];
            track_sums(
                *rate_hz,
                Layout::Mono,
                seconds(*rate_hz, seconds_each),
                &signal,
            )
        })
        .collect();
    let results: Vec<(String, Result<String, String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..NUM_INSTANCES)
            .map(|k| {
                let (rate_hz, genre, clip) = &clips[k % clips.len()];
                let (alone_windows, alone_sums) = &alone[k % clips.len()];
                let layout = if k % 3 == 0 {
                    Layout::Mono
                } else {
                    Layout::Stereo
                };
                let blocks = [Blocks::Random, Blocks::Fixed(64), Blocks::Fixed(1024)][k % 3];
                let name = format!("instance {k}: {rate_hz} Hz {layout:?} {blocks:?} {genre}");
                let handle = std::thread::Builder::new()
                    .name(format!("host-{k}"))
                    .spawn_scoped(scope, move || {
                        // This thread is the instance's main thread.
                        let mut loaded = Loaded::new();
                        let signal =
                            |_: usize, frame: u64| clip[(frame % clip.len() as u64) as usize];
                        let stream =
                            Stream::new(*rate_hz, layout, seconds(*rate_hz, seconds_each), &signal)
                                .blocks(blocks)
                                .seed(k as u64 + 1);
                        let report = run(&mut loaded, &stream);
                        let analysis = loaded.analysis();
                        let summary = describe(&analysis);
                        if report.num_windows != *alone_windows
                            || !same_sums(&analysis.music_sums_ppm, alone_sums)
                        {
                            return Err(format!(
                                "differs from the instance that ran alone \
                                 ({alone_windows} windows, sums {alone_sums:?}): {summary}"
                            ));
                        }
                        Ok(summary)
                    })
                    .expect("spawn host thread");
                (name, handle)
            })
            .collect();
        handles
            .into_iter()
            .map(|(name, handle)| {
                let result = handle.join().unwrap_or_else(|e| {
                    Err(e
                        .downcast_ref::<String>()
                        .cloned()
                        .unwrap_or_else(|| "panicked".to_owned()))
                });
                (name, result)
            })
            .collect()
    });
    let mut failures = Vec::new();
    for (name, result) in &results {
        match result {
            Ok(summary) => println!("{name}: {summary}"),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn offline_bounce_of_ten_minutes() {
    let rate_hz = 44_100;
    // Classical: the example whose every part the model names the same, so
    // whatever parts of the bounce the analysis keeps up with, the answer holds.
    let clip = example("classical", rate_hz);
    let signal = looped(&clip);
    let mut loaded = Loaded::new();
    loaded.set_render_mode(RenderMode::Offline);
    // As fast as the host can: no waiting for the analysis.
    let stream = Stream::new(
        rate_hz,
        Layout::Stereo,
        BOUNCE_MIN * 60 * u64::from(rate_hz),
        &signal,
    )
    .unpaced()
    .seed(10);
    let report = run(&mut loaded, &stream);
    let analysis = loaded.analysis();
    let most = model().max_windows(stream.num_frames, rate_hz);
    println!(
        "bounce: {BOUNCE_MIN} min in {} blocks, every sample passed; the analysis kept up with \
         {} of {most} windows; {}",
        report.num_blocks,
        report.num_windows,
        describe(&analysis)
    );
    assert!(analysis.is_valid_for(&model().labels), "{analysis:?}");
    assert!((1..=most).contains(&report.num_windows));
    assert_eq!(analysis.num_classified(), report.num_windows);
    let total: f32 = track_means(&analysis).iter().sum();
    assert!((total - 1.0).abs() < 1e-3, "track means sum to {total}");
    assert_eq!(
        top_label(&analysis),
        Some("classical"),
        "{}",
        describe(&analysis)
    );
}
