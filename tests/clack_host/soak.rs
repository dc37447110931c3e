//! The soak: hours of audio through one instance. Resident memory and the
//! timeline must stay bounded, and no window may be lost on the way.
//!
//! The soak runs in a child process of its own (this test binary again,
//! filtered to this test), so the memory it reads from `/proc/self/status`
//! is the soak's alone and not that of tests running beside it. CI plays
//! [`CI_HOURS`] of audio, enough to fill the timeline and keep dropping
//! from it; `GENRE_METER_FULL=1` plays [`FULL_HOURS`].

use std::process::Command;

use crate::host::{
    Blocks, FULL_LENGTH_ENV, Layout, Loaded, Stream, describe, example, full_length, model,
    num_windows, run,
};
use genre_meter::params::MAX_TIMELINE_ENTRIES;

/// Set in the child process that runs the soak itself.
const CHILD_ENV: &str = "GENRE_METER_SOAK_CHILD";
/// Hours of audio in CI (the timeline holds one hour).
const CI_HOURS: f64 = 1.25;
/// Hours of audio at full length.
const FULL_HOURS: f64 = 6.0;
/// Minutes between deactivation and reactivation (new worker, new ring).
const ACTIVATION_MIN: f64 = 5.0;
/// Host rate of the soak.
const RATE_HZ: u32 = 48_000;
/// Growth of resident memory allowed after the first activation.
const MAX_RSS_GROWTH_KIB: u64 = 16 * 1024;

/// `VmRSS` and `VmHWM` of this process, in KiB.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /proc/self/status"))
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[test]
fn hours_of_audio_through_one_instance() {
    if std::env::var_os(CHILD_ENV).is_none() {
        let name = "soak::hours_of_audio_through_one_instance";
        let output = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", name, "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, "1")
            .output()
            .expect("run the soak in a child process");
        let stdout = String::from_utf8_lossy(&output.stdout);
        println!("{stdout}");
        eprintln!("{}", String::from_utf8_lossy(&output.stderr));
        assert!(
            output.status.success(),
            "the soak failed: {}",
            output.status
        );
        assert!(stdout.contains("1 passed"), "the child ran no soak");
        return;
    }
    soak();
}

/// The program: the two example clips in turn, a 10 s pause every 5
/// minutes and half a second of NaN every 7 minutes.
fn program<'a>(metal: &'a [f32], classical: &'a [f32]) -> impl Fn(usize, u64) -> f32 + Sync + 'a {
    let rate = u64::from(RATE_HZ);
    move |ch, frame| {
        let t_s = frame / rate;
        if t_s % 300 < 10 {
            return 0.0;
        }
        if t_s % 420 == 200 && frame % rate < rate / 2 {
            return f32::NAN;
        }
        let clip = if (frame / (20 * rate)) % 2 == 0 {
            metal
        } else {
            classical
        };
        let x = clip[(frame % clip.len() as u64) as usize];
        if ch == 0 { x } else { -0.7 * x }
    }
}

fn soak() {
    let hours = if full_length() { FULL_HOURS } else { CI_HOURS };
    let metal = example("metal", RATE_HZ);
    let classical = example("classical", RATE_HZ);
    let rate = f64::from(RATE_HZ);
    let total_frames = (hours * 3600.0 * rate) as u64;
    let activation_frames = (ACTIVATION_MIN * 60.0 * rate) as u64;
    println!(
        "soak: {hours} h of {RATE_HZ} Hz stereo in activations of {ACTIVATION_MIN} min \
         (set {FULL_LENGTH_ENV}=1 for {FULL_HOURS} h)"
    );

    let mut loaded = Loaded::new();
    let (mut fewest_total, mut most_total) = (0, 0);
    let mut rss_after_first = None;
    let mut rss_max = 0;
    let mut start = 0;
    let mut activation = 0;
    while start < total_frames {
        let num_frames = activation_frames.min(total_frames - start);
        // The stream's frame 0 is the soak's frame `start`.
        let whole = program(&metal, &classical);
        let signal = move |ch: usize, frame: u64| whole(ch, start + frame);
        let stream = Stream::new(RATE_HZ, Layout::Stereo, num_frames, &signal)
            .blocks(if activation % 2 == 0 {
                Blocks::Random
            } else {
                Blocks::Fixed(256)
            })
            // A transport jump in the middle of every activation.
            .resets_at(&[num_frames / 2])
            .seed(activation + 1);
        let report = run(&mut loaded, &stream);
        let (fewest, most) = stream.expected_windows();
        assert!(
            (fewest..=most).contains(&report.num_windows),
            "activation {activation}: {} windows, expected {fewest}–{most}",
            report.num_windows
        );
        fewest_total += fewest;
        most_total += most;

        let analysis = loaded.analysis();
        let total = num_windows(&analysis);
        let kept = analysis.num_entries();
        assert!(
            analysis.is_valid_for(&model().labels),
            "activation {activation}"
        );
        assert!((fewest_total..=most_total).contains(&total));
        assert_eq!(kept as u64, total.min(MAX_TIMELINE_ENTRIES as u64));
        assert_eq!(analysis.timeline_first, total - kept as u64);

        let (rss, hwm) = memory_kib();
        rss_max = rss_max.max(rss);
        let first = *rss_after_first.get_or_insert(rss);
        start += num_frames;
        activation += 1;
        println!(
            "soak: {:6.2} h, VmRSS {:7} KiB ({:+} KiB since the first activation), VmHWM {hwm} KiB; {}",
            start as f64 / rate / 3600.0,
            rss,
            rss as i64 - first as i64,
            describe(&analysis)
        );
    }
    let first = rss_after_first.unwrap();
    assert!(
        rss_max <= first + MAX_RSS_GROWTH_KIB,
        "resident memory grew from {first} KiB to {rss_max} KiB"
    );
    if hours >= 1.0 {
        let analysis = loaded.analysis();
        assert!(analysis.timeline_first > 0, "the timeline never filled");
    }
}
