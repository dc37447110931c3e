//! The tap's properties: channel modes, dropping when full, the held peak.

use std::f32::consts::FRAC_1_SQRT_2;

use genre_meter::params::ChannelMode;
use genre_meter::shared::Shared;
use genre_meter::tap::Tap;

fn run(
    mode: ChannelMode,
    left: &[f32],
    right: Option<&[f32]>,
    capacity: usize,
) -> (Vec<f32>, Shared) {
    let (producer, mut consumer) = rtrb::RingBuffer::new(capacity);
    let mut tap = Tap::new(producer);
    let shared = Shared::default();
    let mut l = left.to_vec();
    let mut r = right.map(<[f32]>::to_vec);
    let mut channels: Vec<&mut [f32]> = vec![&mut l];
    if let Some(r) = r.as_mut() {
        channels.push(r);
    }
    tap.process(&channels, mode, &shared);
    let mut out = Vec::new();
    while let Ok(x) = consumer.pop() {
        out.push(x);
    }
    (out, shared)
}

#[test]
fn channel_modes() {
    let l = [1.0, 0.5];
    let r = [0.0, -0.5];
    let s = FRAC_1_SQRT_2;
    assert_eq!(run(ChannelMode::Sum, &l, Some(&r), 8).0, vec![0.5, 0.0]);
    assert_eq!(run(ChannelMode::Left, &l, Some(&r), 8).0, vec![1.0, 0.5]);
    assert_eq!(run(ChannelMode::Right, &l, Some(&r), 8).0, vec![0.0, -0.5]);
    assert_eq!(run(ChannelMode::Mid, &l, Some(&r), 8).0, vec![s, 0.0]);
    assert_eq!(run(ChannelMode::Side, &l, Some(&r), 8).0, vec![s, s]);
    assert_eq!(run(ChannelMode::Mid, &l, None, 8).0, vec![1.0, 0.5]);
    assert_eq!(run(ChannelMode::Side, &l, None, 8).0, vec![0.0, 0.0]);
    assert_eq!(run(ChannelMode::Sum, &l, None, 8).0, vec![1.0, 0.5]);
}

#[test]
fn full_ring_drops_and_counts_and_peak_is_held() {
    let l = [0.1, -0.9, f32::NAN, 0.2, 0.3];
    let (out, shared) = run(ChannelMode::Left, &l, None, 3);
    assert_eq!(out.len(), 3);
    assert_eq!(shared.num_dropped_samples(), 2);
    assert_eq!(shared.take_peak_level(), 0.9);
    assert_eq!(shared.take_peak_level(), 0.0);
    let (out, shared) = run(ChannelMode::Left, &[], None, 3);
    assert!(out.is_empty());
    assert_eq!(shared.num_dropped_samples(), 0);
}

#[test]
fn counts_what_it_writes_not_what_it_drops() {
    let (producer, mut consumer) = rtrb::RingBuffer::new(6);
    let mut tap = Tap::new(producer);
    let shared = Shared::default();
    let mut block = [0.25f32; 4];
    tap.process(&[&mut block], ChannelMode::Left, &shared);
    assert_eq!(tap.num_written(), 4);
    // Two of these four fit.
    tap.process(&[&mut block], ChannelMode::Left, &shared);
    assert_eq!((tap.num_written(), shared.num_dropped_samples()), (6, 2));
    while consumer.pop().is_ok() {}
    tap.process(&[&mut block[..1]], ChannelMode::Left, &shared);
    assert_eq!(tap.num_written(), 7);
}

/// Minor page faults this thread has taken so far.
fn thread_minor_faults() -> i64 {
    // SAFETY: an all-zero rusage is a valid value, `getrusage` writes into it, and
    // RUSAGE_THREAD exists on Linux.
    let (rc, usage) = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        (libc::getrusage(libc::RUSAGE_THREAD, &mut usage), usage)
    };
    assert_eq!(rc, 0, "getrusage failed");
    usage.ru_minflt
}

/// Page faults while the tap fills a ring of `capacity` samples from 512-frame stereo
/// blocks, after a warm-up on another ring (so the code and the buffers are paged in).
fn faults_filling(make_ring: fn(usize) -> (rtrb::Producer<f32>, rtrb::Consumer<f32>)) -> i64 {
    let capacity = 48_000 * 4;
    let shared = Shared::default();
    // Non-zero, so the blocks are real pages rather than the shared zero page.
    let mut left = vec![0.25_f32; 512];
    let mut right = vec![-0.25_f32; 512];
    let (warm_producer, _warm_consumer) = make_ring(4096);
    let mut warm = Tap::new(warm_producer);
    let (producer, _consumer) = make_ring(capacity);
    let mut tap = Tap::new(producer);
    let channels: Vec<&mut [f32]> = vec![&mut left, &mut right];
    warm.process(&channels, ChannelMode::Sum, &shared);

    let before = thread_minor_faults();
    for _ in 0..capacity / 512 {
        tap.process(&channels, ChannelMode::Sum, &shared);
    }
    let faults = thread_minor_faults() - before;
    assert_eq!(shared.num_dropped_samples(), 0, "the ring holds all of it");
    faults
}

/// The ring `activate()` creates is paged in: the tap's first pass through it takes no page
/// faults on the audio thread. A plain ring, as the control, takes one per page.
#[test]
fn ring_is_paged_in_before_the_audio_thread_writes() {
    std::thread::spawn(|| {
        let plain = faults_filling(rtrb::RingBuffer::new);
        let prefaulted = faults_filling(genre_meter::tap::ring);
        eprintln!("page faults filling a 4 s ring: plain {plain}, prefaulted {prefaulted}");
        // 192 000 samples are 188 pages of 4 KiB.
        assert!(plain > 100, "the control ring took only {plain} faults");
        assert!(
            prefaulted <= 2,
            "the prefaulted ring took {prefaulted} faults"
        );
    })
    .join()
    .unwrap();
}
