//! The tap's properties: channel modes, dropping when full, the held peak,
//! and the marks that tell the worker where the samples sit in the song.

use std::f32::consts::FRAC_1_SQRT_2;

use genre_meter::params::ChannelMode;
use genre_meter::shared::Shared;
use genre_meter::tap::{Event, Mark, Tap, Transport};

/// A tap with a mark queue of 64.
fn tap(producer: rtrb::Producer<f32>) -> (Tap, rtrb::Consumer<Mark>) {
    let (marks, consumer) = genre_meter::tap::marks(64);
    (Tap::new(producer, marks), consumer)
}

fn run(
    mode: ChannelMode,
    left: &[f32],
    right: Option<&[f32]>,
    capacity: usize,
) -> (Vec<f32>, Shared) {
    let (producer, mut consumer) = rtrb::RingBuffer::new(capacity);
    let (mut tap, _marks) = tap(producer);
    let shared = Shared::default();
    let mut l = left.to_vec();
    let mut r = right.map(<[f32]>::to_vec);
    let mut channels: Vec<&mut [f32]> = vec![&mut l];
    if let Some(r) = r.as_mut() {
        channels.push(r);
    }
    tap.process(&channels, mode, Transport::Free, &shared);
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
    // A stream starts only with room for its whole first block.
    let l = [0.1, -0.9, f32::NAN, 0.2, 0.3];
    let (out, shared) = run(ChannelMode::Left, &l, None, 3);
    assert!(out.is_empty());
    assert_eq!(shared.num_dropped_samples(), 5);
    assert_eq!(shared.take_peak_level(), 0.9);
    assert_eq!(shared.take_peak_level(), 0.0);
    let (out, shared) = run(ChannelMode::Left, &[], None, 3);
    assert!(out.is_empty());
    assert_eq!(shared.num_dropped_samples(), 0);
    // A running stream fills what room there is.
    let (producer, mut consumer) = rtrb::RingBuffer::new(3);
    let (mut tap, _marks) = tap(producer);
    let shared = Shared::default();
    tap.process(&[&mut [0.5]], ChannelMode::Left, Transport::Free, &shared);
    tap.process(
        &[&mut l.clone()],
        ChannelMode::Left,
        Transport::Free,
        &shared,
    );
    let out: Vec<f32> = std::iter::from_fn(|| consumer.pop().ok()).collect();
    assert_eq!(out, [0.5, 0.1, -0.9]);
    assert_eq!(shared.num_dropped_samples(), 3);
    assert_eq!(shared.take_peak_level(), 0.9);
}

#[test]
fn counts_what_it_writes_not_what_it_drops() {
    let (producer, mut consumer) = rtrb::RingBuffer::new(6);
    let (mut tap, mut marks) = tap(producer);
    let shared = Shared::default();
    let mut block = [0.25f32; 4];
    let free = Transport::Free;
    tap.process(&[&mut block], ChannelMode::Left, free, &shared);
    assert_eq!(tap.num_written(), 4);
    // Two of these four fit.
    tap.process(&[&mut block], ChannelMode::Left, free, &shared);
    assert_eq!((tap.num_written(), shared.num_dropped_samples()), (6, 2));
    while consumer.pop().is_ok() {}
    tap.process(&[&mut block[..1]], ChannelMode::Left, free, &shared);
    assert_eq!(tap.num_written(), 7);
    // The drop broke the stream: what came after it starts a new one.
    let play = Event::Play(None);
    assert_eq!(drain(&mut marks), [(0, play), (6, play)]);
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
    let (mut warm, _warm_marks) = tap(warm_producer);
    let (producer, _consumer) = make_ring(capacity);
    let (mut tap, _marks) = tap(producer);
    let channels: Vec<&mut [f32]> = vec![&mut left, &mut right];
    warm.process(&channels, ChannelMode::Sum, Transport::Free, &shared);

    let before = thread_minor_faults();
    for _ in 0..capacity / 512 {
        tap.process(&channels, ChannelMode::Sum, Transport::Free, &shared);
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

/// The marks so far, as (ring position, event).
fn drain(marks: &mut rtrb::Consumer<Mark>) -> Vec<(u64, Event)> {
    std::iter::from_fn(|| marks.pop().ok())
        .map(|m| (m.at, m.event))
        .collect()
}

/// Sends `blocks` of (frames, transport) through a tap; returns the marks,
/// the samples written and the peak.
fn transport_run(blocks: &[(usize, Transport)]) -> (Vec<(u64, Event)>, u64, f32) {
    let (producer, _consumer) = rtrb::RingBuffer::new(1 << 16);
    let (mut tap, mut marks) = tap(producer);
    let shared = Shared::default();
    let mut samples = vec![0.5f32; 4096];
    for &(len, transport) in blocks {
        tap.process(
            &[&mut samples[..len]],
            ChannelMode::Left,
            transport,
            &shared,
        );
    }
    (
        drain(&mut marks),
        tap.num_written(),
        shared.take_peak_level(),
    )
}

#[test]
fn plays_stops_and_jumps_are_marked_where_they_happen() {
    use Transport::{Playing, Stopped};
    let (marks, num_written, peak) = transport_run(&[
        (100, Playing(1000)),
        (100, Playing(1100)),
        // A position off by the hosts' rounding is the same stream.
        (100, Playing(1202)),
        (50, Stopped),
        (50, Stopped),
        // Playing on where it stopped: a new Play, the worker decides it goes on.
        (100, Playing(1300)),
        // A jump back (a loop, a replay).
        (100, Playing(500)),
        (100, Playing(600)),
    ]);
    assert_eq!(
        marks,
        [
            (0, Event::Play(Some(1000))),
            (300, Event::Stop),
            (300, Event::Play(Some(1300))),
            (400, Event::Play(Some(500))),
        ]
    );
    // Stopped blocks are not written, but the level meter still sees them.
    assert_eq!(num_written, 600);
    assert_eq!(peak, 0.5);
}

#[test]
fn free_audio_and_hosts_that_go_quiet_about_the_transport() {
    use Transport::{Free, Playing, Stopped, Unknown};
    // The standalone: one free stream, stopped only by bypass.
    let (marks, num_written, _) =
        transport_run(&[(64, Free), (64, Free), (64, Stopped), (64, Free)]);
    assert_eq!(
        marks,
        [
            (0, Event::Play(None)),
            (128, Event::Stop),
            (128, Event::Play(None))
        ]
    );
    assert_eq!(num_written, 192);
    // No word about the transport before any position: free audio.
    let (marks, _, _) = transport_run(&[(64, Unknown), (64, Unknown)]);
    assert_eq!(marks, [(0, Event::Play(None))]);
    // After a position: the song goes on where it was, or stays stopped.
    let (marks, num_written, _) = transport_run(&[
        (64, Playing(0)),
        (64, Unknown),
        (64, Playing(128)),
        (64, Stopped),
        (64, Unknown),
    ]);
    assert_eq!(marks, [(0, Event::Play(Some(0))), (192, Event::Stop)]);
    assert_eq!(num_written, 192);
    // A host that starts stopped (a DAW at rest, or bypassed) says so at once.
    let (marks, num_written, _) = transport_run(&[(64, Stopped), (64, Stopped), (64, Playing(0))]);
    assert_eq!(marks, [(0, Event::Stop), (0, Event::Play(Some(0)))]);
    assert_eq!(num_written, 64);
}

#[test]
fn a_host_reset_restarts_the_stream() {
    let (producer, _consumer) = rtrb::RingBuffer::new(1024);
    let (mut tap, mut marks) = tap(producer);
    let shared = Shared::default();
    let mut block = [0.1f32; 32];
    tap.process(
        &[&mut block],
        ChannelMode::Sum,
        Transport::Playing(0),
        &shared,
    );
    tap.reset();
    // The same position as before the reset still starts a new stream.
    tap.process(
        &[&mut block],
        ChannelMode::Sum,
        Transport::Playing(32),
        &shared,
    );
    assert_eq!(
        drain(&mut marks),
        [
            (0, Event::Play(Some(0))),
            (32, Event::Reset),
            (32, Event::Play(Some(32)))
        ]
    );
}

#[test]
fn a_full_mark_queue_drops_audio_rather_than_misplace_it() {
    let (producer, mut consumer) = rtrb::RingBuffer::new(1024);
    let (marks, mut mark_consumer) = genre_meter::tap::marks(2);
    let mut tap = Tap::new(producer, marks);
    let shared = Shared::default();
    let mut block = [0.1f32; 16];
    for pos in [0, 1000, 2000, 3000] {
        tap.process(
            &[&mut block],
            ChannelMode::Sum,
            Transport::Playing(pos),
            &shared,
        );
    }
    // Two jumps fit the queue; the next two blocks have no mark, so they
    // are not written.
    assert_eq!(tap.num_written(), 32);
    assert_eq!(shared.num_dropped_samples(), 32);
    while consumer.pop().is_ok() {}
    assert_eq!(drain(&mut mark_consumer).len(), 2);
    // With room again, the stream restarts where the song is.
    tap.process(
        &[&mut block],
        ChannelMode::Sum,
        Transport::Playing(3016),
        &shared,
    );
    assert_eq!(drain(&mut mark_consumer), [(32, Event::Play(Some(3016)))]);
}
