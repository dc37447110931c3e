//! The only code that runs on the audio thread.
//!
//! [`Tap::process`] reads the host's buffer (never writes it, so audio leaves
//! bit-identical), derives one mono sample per frame according to the
//! channel mode, pushes the samples into a wait-free SPSC ring for the worker
//! and raises the shared peak level. When the ring is full the rest of the
//! buffer is dropped and counted; the tap never waits.
//!
//! Beside the samples, the tap tells the worker where they sit in the host's
//! song through a second wait-free queue of [`Mark`]s, each at a ring
//! position: audio starts playing at a song position (after a stop, a jump,
//! a dropped stretch or a host reset), or stops (transport stopped, plugin
//! bypassed). While stopped nothing is written: stopped time costs the
//! worker nothing and adds nothing to the analysis. Without a song position
//! (the standalone, live input) the audio is [`Transport::Free`].
//!
//! Nothing here touches the heap, waits or calls the OS: the queues are
//! created by [`ring`] and [`marks`] in `activate()` and only handed over
//! here. Its tests live in `tests/tap.rs` so this file holds nothing but
//! audio-thread code and those constructors.

use std::f32::consts::FRAC_1_SQRT_2;
use std::mem::MaybeUninit;
use std::sync::atomic::Ordering;

use crate::params::ChannelMode;
use crate::shared::Shared;

/// Creates the tap's ring with room for `capacity` samples, every page of it
/// already written once. Runs in `activate()`, off the audio thread.
///
/// A fresh allocation is only reserved address space: without this, the tap's
/// first pass through the ring (the first few seconds after activation) would
/// take a page fault in the kernel every 1 024 samples on the audio thread.
pub fn ring(capacity: usize) -> (rtrb::Producer<f32>, rtrb::Consumer<f32>) {
    let (mut producer, mut consumer) = rtrb::RingBuffer::new(capacity);
    if let Ok(chunk) = producer.write_chunk_uninit(capacity) {
        chunk.fill_from_iter(std::iter::repeat(0.0));
    }
    if let Ok(chunk) = consumer.read_chunk(capacity) {
        chunk.commit_all();
    }
    (producer, consumer)
}

/// Creates the queue of [`Mark`]s for up to `capacity` unread marks. Runs in
/// `activate()`, off the audio thread.
pub fn marks(capacity: usize) -> (rtrb::Producer<Mark>, rtrb::Consumer<Mark>) {
    rtrb::RingBuffer::new(capacity)
}

/// Song positions this many samples away from where the previous block
/// ended still count as the same stream (hosts that report the position in
/// seconds round it).
pub const POSITION_TOLERANCE: u64 = 2;

/// What the host says about one block's place in the song.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// The audio has no song position (the standalone, live input): it is
    /// analysed as a listening history.
    Free,
    /// The transport plays; the block's first frame is at this song
    /// position, in host samples.
    Playing(i64),
    /// The transport is stopped or the plugin bypassed: nothing is analysed.
    Stopped,
    /// The host said nothing about the transport for this block. Once a
    /// song position was seen, the song goes on where it was (or stays
    /// stopped); before that, the audio is free.
    Unknown,
}

/// A fact about the tap's stream, placed at a ring position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    /// Samples written to the ring before the fact ([`Tap::num_written`]).
    pub at: u64,
    /// The fact.
    pub event: Event,
}

/// See [`Mark`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The host called `reset()`: the stream restarts here.
    Reset,
    /// The samples from here on play from this song position (host
    /// samples), or have none (free audio). Sent when audio starts after a
    /// stop or a host reset, when the song position jumps, and after a
    /// dropped stretch; never while the song goes on where it was.
    Play(Option<i64>),
    /// No samples follow until the next [`Event::Play`].
    Stop,
}

/// The producer side of the tap ring and the mark queue.
pub struct Tap {
    /// Mono samples for the worker; the worker holds the consumer.
    producer: rtrb::Producer<f32>,
    /// Where the samples sit in the song; the worker holds the consumer.
    marks: rtrb::Producer<Mark>,
    /// Samples written into the ring so far (dropped ones not counted).
    num_written: u64,
    /// Whether samples are flowing: a [`Event::Play`] was sent and no
    /// [`Event::Stop`], reset or drop since.
    is_running: bool,
    /// The song position of the next sample when the song goes on (`None`
    /// for free audio).
    next_pos: Option<i64>,
    /// Whether the host has reported a song position since activation.
    has_seen_position: bool,
    /// Whether any mark was sent since activation (a host that starts
    /// stopped is told to the worker at once).
    has_marked: bool,
    /// Whether this CPU runs the AVX2 build of the loops; detected in `new`
    /// (off the audio thread).
    has_avx2: bool,
}

impl Tap {
    /// Wraps the producer halves of a sample ring and a mark queue created
    /// by the caller.
    pub fn new(producer: rtrb::Producer<f32>, marks: rtrb::Producer<Mark>) -> Self {
        #[cfg(target_arch = "x86_64")]
        let has_avx2 = std::arch::is_x86_feature_detected!("avx2");
        #[cfg(not(target_arch = "x86_64"))]
        let has_avx2 = false;
        Self {
            producer,
            marks,
            num_written: 0,
            is_running: false,
            next_pos: None,
            has_seen_position: false,
            has_marked: false,
            has_avx2,
        }
    }

    /// Samples written into the ring so far: the ring position the worker
    /// will have read up to once it has taken everything written until now.
    pub fn num_written(&self) -> u64 {
        self.num_written
    }

    /// The host's `reset()`: the stream restarts at this point. A full
    /// mark queue (the worker missed [`crate::MAX_PENDING_MARKS`] marks)
    /// drops the mark; the next block still starts a new stream.
    pub fn reset(&mut self) {
        let _ = self.marks.push(Mark {
            at: self.num_written,
            event: Event::Reset,
        });
        self.is_running = false;
        self.next_pos = None;
    }

    /// Copies the mono tap of `channels` (all of equal length) into the
    /// ring, marking where it sits in the song (see the module docs).
    pub fn process(
        &mut self,
        channels: &[&mut [f32]],
        mode: ChannelMode,
        transport: Transport,
        shared: &Shared,
    ) {
        let num_samples = channels.first().map_or(0, |c| c.len());
        if num_samples == 0 {
            return;
        }
        let left: &[f32] = channels[0];
        let right: &[f32] = channels.get(1).map_or(left, |c| &c[..num_samples]);
        let is_mono = channels.len() < 2;
        // Where these samples go: `None` when nothing is analysed.
        let pos = match transport {
            Transport::Free => Some(None),
            Transport::Playing(pos) => {
                self.has_seen_position = true;
                Some(Some(pos))
            }
            Transport::Stopped => None,
            Transport::Unknown if !self.has_seen_position => Some(None),
            Transport::Unknown => match (self.is_running, self.next_pos) {
                (true, Some(pos)) => Some(Some(pos)),
                _ => None,
            },
        };
        let Some(pos) = pos else {
            if (self.is_running || !self.has_marked)
                && self
                    .marks
                    .push(Mark {
                        at: self.num_written,
                        event: Event::Stop,
                    })
                    .is_ok()
            {
                self.is_running = false;
                self.has_marked = true;
            }
            self.raise_peak(Self::peak(left, right, mode, is_mono), shared);
            return;
        };
        let goes_on = self.is_running
            && match (pos, self.next_pos) {
                (Some(pos), Some(next)) => pos.abs_diff(next) <= POSITION_TOLERANCE,
                (None, None) => true,
                _ => false,
            };
        if !goes_on {
            // A new stream starts only with room for the whole block, so a
            // full ring does not flood the queue with marks.
            let is_started = self.producer.slots() >= num_samples
                && self
                    .marks
                    .push(Mark {
                        at: self.num_written,
                        event: Event::Play(pos),
                    })
                    .is_ok();
            if !is_started {
                self.is_running = false;
                self.raise_peak(Self::peak(left, right, mode, is_mono), shared);
                shared
                    .num_dropped_samples
                    .fetch_add(num_samples as u64, Ordering::Relaxed);
                return;
            }
            self.is_running = true;
            self.has_marked = true;
        }
        self.next_pos = pos.map(|p| p.saturating_add(num_samples as i64));
        // The mode is matched once per block, not per sample: each arm runs
        // its own copy of the loops with the mix inlined and no branches.
        let (num_written, peak) = match mode {
            ChannelMode::Sum => self.write(left, right, |l, r| 0.5 * (l + r)),
            ChannelMode::Left => self.write(left, right, |l, _| l),
            ChannelMode::Right => self.write(left, right, |_, r| r),
            ChannelMode::Mid if is_mono => self.write(left, right, |l, _| l),
            ChannelMode::Mid => self.write(left, right, |l, r| (l + r) * FRAC_1_SQRT_2),
            ChannelMode::Side if is_mono => self.write(left, right, |_, _| 0.0),
            ChannelMode::Side => self.write(left, right, |l, r| (l - r) * FRAC_1_SQRT_2),
        };
        self.num_written += num_written as u64;
        self.raise_peak(peak, shared);
        if num_written < num_samples {
            shared
                .num_dropped_samples
                .fetch_add((num_samples - num_written) as u64, Ordering::Relaxed);
            // The stream has a hole here: what follows starts a new one.
            self.is_running = false;
        }
    }

    /// Raises the shared peak level to `peak`.
    fn raise_peak(&self, peak: f32, shared: &Shared) {
        if peak > shared.peak_level.load(Ordering::Relaxed) {
            shared.peak_level.store(peak, Ordering::Relaxed);
        }
    }

    /// The peak of the mono tap of a block that is not written (stopped,
    /// bypassed or dropped), so the level meter still moves.
    fn peak(left: &[f32], right: &[f32], mode: ChannelMode, is_mono: bool) -> f32 {
        let peak_bits = |mix: fn(f32, f32) -> f32| {
            left.iter()
                .zip(right)
                .map(|(&l, &r)| finite_magnitude_bits(mix(l, r)))
                .max()
                .unwrap_or(0)
        };
        let bits = match mode {
            ChannelMode::Sum => peak_bits(|l, r| 0.5 * (l + r)),
            ChannelMode::Left => peak_bits(|l, _| l),
            ChannelMode::Right => peak_bits(|_, r| r),
            ChannelMode::Mid if is_mono => peak_bits(|l, _| l),
            ChannelMode::Mid => peak_bits(|l, r| (l + r) * FRAC_1_SQRT_2),
            ChannelMode::Side if is_mono => 0,
            ChannelMode::Side => peak_bits(|l, r| (l - r) * FRAC_1_SQRT_2),
        };
        f32::from_bits(bits as u32)
    }

    /// Writes `mix(left[i], right[i])` for as many samples as the ring has
    /// room for, in bulk into its (at most two) free regions; what does not
    /// fit is only peaked. Returns how many were written and the largest
    /// finite magnitude of all.
    #[inline(always)]
    fn write(
        &mut self,
        left: &[f32],
        right: &[f32],
        mix: impl Fn(f32, f32) -> f32 + Copy,
    ) -> (usize, f32) {
        let num_free = left.len().min(self.producer.slots());
        let (left_in, left_rest) = left.split_at(num_free);
        let (right_in, right_rest) = right.split_at(num_free);
        let has_avx2 = self.has_avx2;
        let mut peak_bits = 0;
        let num_written = match self.producer.write_chunk_uninit(num_free) {
            Ok(mut chunk) => {
                let (first, second) = chunk.as_mut_slices();
                let (left_1, left_2) = left_in.split_at(first.len());
                let (right_1, right_2) = right_in.split_at(first.len());
                peak_bits = mix_into(has_avx2, first, left_1, right_1, mix);
                peak_bits = peak_bits.max(mix_into(has_avx2, second, left_2, right_2, mix));
                // SAFETY: the two slices hold `num_free` slots together, as do
                // `left_in`/`right_in`; `mix_into` wrote every slot of both.
                unsafe { chunk.commit_all() };
                num_free
            }
            // Cannot happen (`num_free` ≤ `slots()`); treated as a full ring.
            Err(_) => 0,
        };
        let (left_rest, right_rest) = if num_written == num_free {
            (left_rest, right_rest)
        } else {
            (left, right)
        };
        for (&l, &r) in left_rest.iter().zip(right_rest) {
            peak_bits = peak_bits.max(finite_magnitude_bits(mix(l, r)));
        }
        (num_written, f32::from_bits(peak_bits as u32))
    }
}

/// Writes `mix(left[i], right[i])` into every slot of `out` (all three are
/// equally long); returns the largest [`finite_magnitude_bits`]. Runs the
/// AVX2 build when `has_avx2` (8 samples per instruction instead of 4; the
/// same operations, so the same samples).
#[inline(always)]
fn mix_into(
    has_avx2: bool,
    out: &mut [MaybeUninit<f32>],
    left: &[f32],
    right: &[f32],
    mix: impl Fn(f32, f32) -> f32,
) -> i32 {
    #[cfg(target_arch = "x86_64")]
    if has_avx2 {
        // SAFETY: `has_avx2` comes from `is_x86_feature_detected!("avx2")`.
        return unsafe { mix_into_avx2(out, left, right, mix) };
    }
    let _ = has_avx2;
    mix_into_portable(out, left, right, mix)
}

/// [`mix_into_portable`] compiled with AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn mix_into_avx2(
    out: &mut [MaybeUninit<f32>],
    left: &[f32],
    right: &[f32],
    mix: impl Fn(f32, f32) -> f32,
) -> i32 {
    mix_into_portable(out, left, right, mix)
}

#[inline(always)]
fn mix_into_portable(
    out: &mut [MaybeUninit<f32>],
    left: &[f32],
    right: &[f32],
    mix: impl Fn(f32, f32) -> f32,
) -> i32 {
    assert!(left.len() == out.len() && right.len() == out.len());
    let mut peak_bits = 0;
    for ((slot, &l), &r) in out.iter_mut().zip(left).zip(right) {
        let x = mix(l, r);
        slot.write(x);
        peak_bits = peak_bits.max(finite_magnitude_bits(x));
    }
    peak_bits
}

/// `|x|` as its IEEE bits, or 0 for infinities and NaN. For non-negative
/// floats the bit patterns order like the values (and stay below 2³¹, so a
/// signed compare, which x86 has in SSE2, suffices): an integer `max` finds
/// the peak, branch-free, and it vectorises where a float `max` with the
/// finiteness test does not.
#[inline(always)]
fn finite_magnitude_bits(x: f32) -> i32 {
    /// The bits of +∞; every larger magnitude pattern is a NaN.
    const INFINITY_BITS: i32 = 0x7F80_0000;
    let bits = (x.to_bits() & !(1 << 31)) as i32;
    if bits < INFINITY_BITS { bits } else { 0 }
}
