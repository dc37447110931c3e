//! The only code that runs on the audio thread.
//!
//! [`Tap::process`] reads the host's buffer (never writes it, so audio leaves
//! bit-identical), derives one mono sample per frame according to the
//! channel mode, pushes the samples into a wait-free SPSC ring for the worker
//! and raises the shared peak level. When the ring is full the rest of the
//! buffer is dropped and counted; the tap never waits. Nothing here touches
//! the heap, waits or calls the OS: the ring is created by the plugin in
//! `activate()` and only handed over here. Its tests live in `tests/tap.rs`
//! so this file holds nothing but audio-thread code.

use std::f32::consts::FRAC_1_SQRT_2;
use std::sync::atomic::Ordering;

use crate::params::ChannelMode;
use crate::shared::Shared;

/// The producer side of the tap ring.
pub struct Tap {
    /// Mono samples for the worker; the worker holds the consumer.
    producer: rtrb::Producer<f32>,
}

impl Tap {
    /// Wraps the producer half of a ring created by the caller.
    pub fn new(producer: rtrb::Producer<f32>) -> Self {
        Self { producer }
    }

    /// Copies the mono tap of `channels` (all of equal length) into the ring.
    pub fn process(&mut self, channels: &[&mut [f32]], mode: ChannelMode, shared: &Shared) {
        let num_samples = channels.first().map_or(0, |c| c.len());
        if num_samples == 0 {
            return;
        }
        let left: &[f32] = channels[0];
        let right: &[f32] = channels.get(1).map_or(left, |c| &c[..]);
        let is_mono = channels.len() < 2;
        let mono_at = |i: usize| -> f32 {
            let (l, r) = (left[i], right[i]);
            match mode {
                ChannelMode::Sum => 0.5 * (l + r),
                ChannelMode::Left => l,
                ChannelMode::Right => r,
                ChannelMode::Mid if is_mono => l,
                ChannelMode::Mid => (l + r) * FRAC_1_SQRT_2,
                ChannelMode::Side if is_mono => 0.0,
                ChannelMode::Side => (l - r) * FRAC_1_SQRT_2,
            }
        };

        // One pass: mix, note the peak, write; what does not fit is only peaked.
        let mut peak = 0.0f32;
        let mut with_peak = |x: f32| {
            let magnitude = x.abs();
            if magnitude.is_finite() && magnitude > peak {
                peak = magnitude;
            }
            x
        };
        let num_free = num_samples.min(self.producer.slots());
        let num_written = match self.producer.write_chunk_uninit(num_free) {
            Ok(chunk) => chunk.fill_from_iter((0..num_free).map(|i| with_peak(mono_at(i)))),
            Err(_) => 0,
        };
        for i in num_written..num_samples {
            with_peak(mono_at(i));
        }
        if peak > shared.peak_level.load(Ordering::Relaxed) {
            shared.peak_level.store(peak, Ordering::Relaxed);
        }

        if num_written < num_samples {
            shared
                .num_dropped_samples
                .fetch_add((num_samples - num_written) as u64, Ordering::Relaxed);
        }
    }
}
