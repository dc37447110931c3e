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
