//! Streaming mono sample-rate conversion to the model rate.
//!
//! [`Resampler`] wraps rubato's synchronous FFT resampler ([`rubato::Fft`]). We chose it over
//! rubato's asynchronous sinc resampler because our ratio never changes while a stream runs:
//! the FFT resampler realises the exact rational ratio with a long, steep windowed-sinc
//! anti-aliasing filter (a Blackman-Harris² window as long as one FFT block) at a cost of
//! a few FFTs per block, instead of interpolating between oversampled sinc tables per output
//! sample. Every host rate we expect (11.025k, 16k, 32k, 44.1k, 48k, 88.2k, 96k, … 384k)
//! shares a large common divisor with 22 050 Hz, so its blocks stay small (a few thousand
//! samples) and so does the delay.
//!
//! The wrapper adds what the analyzer needs on top of rubato: any push size (it buffers input
//! into whole FFT blocks itself, which also makes the output independent of how the input was
//! chunked), delay compensation (output sample `k` lies at time `k / to_hz`, like input sample
//! `n` lies at `n / from_hz`), a flush that yields exactly `ceil(input_len · to / from)`
//! samples, and a bit-identical pass-through when the rates are equal.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Indexing, Resampler as _};

use crate::audio::{MAX_SAMPLE_RATE_HZ, MIN_SAMPLE_RATE_HZ};
use crate::{Error, Result};

/// Smallest FFT block on the input side, in input samples. Longer blocks mean a longer
/// anti-aliasing filter (a cutoff closer to Nyquist) but more delay.
const MIN_BLOCK_IN: usize = 1024;

/// Smallest FFT block on the output side, in output samples: keeps the filter long enough
/// when downsampling by a large factor (384 kHz → 22 050 Hz).
const MIN_BLOCK_OUT: usize = 512;

/// Streaming mono resampler from any rate in
/// [`MIN_SAMPLE_RATE_HZ`]`..=`[`MAX_SAMPLE_RATE_HZ`] to `to_hz`.
///
/// Not for the audio thread: [`push`](Resampler::push) runs FFTs and may grow the caller's
/// output `Vec`. All internal buffers are allocated in [`new`](Resampler::new).
pub struct Resampler {
    /// Input rate, fixed for the life of the resampler (a rate change means a new one).
    from_hz: u32,
    /// Output rate.
    to_hz: u32,
    /// The FFT resampler; `None` when `from_hz == to_hz`, where we copy input through so the
    /// output is bit-identical.
    fft: Option<Fft<f32>>,
    /// Input samples collected until a whole FFT block is there (capacity: one block).
    pending_in: Vec<f32>,
    /// Output of one block, before delay trimming (capacity: one block).
    block_out: Vec<f32>,
    /// Input samples per FFT block.
    block_in_len: usize,
    /// Output samples per FFT block.
    block_out_len: usize,
    /// Leading output samples rubato emits before the first input sample's time; dropped so
    /// the output is time-aligned. Constant per resampler.
    delay_out_len: usize,
    /// Leading output samples still to drop in this stream; counts down from `delay_out_len`.
    skip_out_len: usize,
    /// Input samples pushed since the last `reset`/`finish`, to size the final flush.
    num_in_total: u64,
    /// Output samples emitted since the last `reset`/`finish`.
    num_out_total: u64,
}

impl std::fmt::Debug for Resampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resampler")
            .field("from_hz", &self.from_hz)
            .field("to_hz", &self.to_hz)
            .field("block_in_len", &self.block_in_len)
            .field("block_out_len", &self.block_out_len)
            .field("delay_out_len", &self.delay_out_len)
            .finish_non_exhaustive()
    }
}

fn check_rate(rate_hz: u32) -> Result<()> {
    if (MIN_SAMPLE_RATE_HZ..=MAX_SAMPLE_RATE_HZ).contains(&rate_hz) {
        Ok(())
    } else {
        Err(Error::SampleRate {
            rate_hz,
            min_hz: MIN_SAMPLE_RATE_HZ,
            max_hz: MAX_SAMPLE_RATE_HZ,
        })
    }
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Resampler {
    /// Builds a resampler from `from_hz` to `to_hz` and allocates all its buffers.
    ///
    /// Errors with [`Error::SampleRate`] when either rate is outside
    /// [`MIN_SAMPLE_RATE_HZ`]`..=`[`MAX_SAMPLE_RATE_HZ`].
    pub fn new(from_hz: u32, to_hz: u32) -> Result<Resampler> {
        check_rate(from_hz)?;
        check_rate(to_hz)?;
        if from_hz == to_hz {
            return Ok(Resampler {
                from_hz,
                to_hz,
                fft: None,
                pending_in: Vec::new(),
                block_out: Vec::new(),
                block_in_len: 0,
                block_out_len: 0,
                delay_out_len: 0,
                skip_out_len: 0,
                num_in_total: 0,
                num_out_total: 0,
            });
        }
        let (from, to) = (from_hz as usize, to_hz as usize);
        let divisor = gcd(from, to);
        let (unit_in, unit_out) = (from / divisor, to / divisor);
        // One of the two units is odd (they are coprime), so an even multiple makes both block
        // sizes even. rubato's filter is centred on sample `block_in / 2`; with both sizes even
        // its delay is exactly `block_out / 2` output samples, so trimming that many aligns the
        // output to the sample, not just to within half a sample.
        let num_units = MIN_BLOCK_IN
            .div_ceil(unit_in)
            .max(MIN_BLOCK_OUT.div_ceil(unit_out))
            .next_multiple_of(2);
        let block_in_len = num_units * unit_in;
        // rubato only rejects zero rates or chunk sizes, which `check_rate` already excludes;
        // reported rather than unwrapped all the same.
        let fft = Fft::<f32>::new(from, to, block_in_len, 1, FixedSync::Both).map_err(|_| {
            Error::SampleRate {
                rate_hz: from_hz,
                min_hz: MIN_SAMPLE_RATE_HZ,
                max_hz: MAX_SAMPLE_RATE_HZ,
            }
        })?;
        let block_out_len = fft.output_frames_max();
        debug_assert_eq!(fft.input_frames_max(), block_in_len);
        let delay_out_len = fft.output_delay();
        Ok(Resampler {
            from_hz,
            to_hz,
            fft: Some(fft),
            pending_in: Vec::with_capacity(block_in_len),
            block_out: vec![0.0; block_out_len],
            block_in_len,
            block_out_len,
            delay_out_len,
            skip_out_len: delay_out_len,
            num_in_total: 0,
            num_out_total: 0,
        })
    }

    /// Input rate in Hz.
    pub fn from_hz(&self) -> u32 {
        self.from_hz
    }

    /// Output rate in Hz.
    pub fn to_hz(&self) -> u32 {
        self.to_hz
    }

    /// Latency in output samples: how far the output lags behind the input pushed so far.
    ///
    /// The output itself is already time-aligned (its first sample is at time 0, like the
    /// input's), so callers must *not* trim anything; this is how many output samples are
    /// held back until more input (or [`finish`](Resampler::finish)) arrives, e.g. to report
    /// latency. 0 for a pass-through.
    pub fn delay_samples(&self) -> usize {
        self.delay_out_len
    }

    /// Resamples `input` and appends what is ready to `out` (may be nothing for short input;
    /// the rest comes with later pushes or [`finish`](Resampler::finish)).
    ///
    /// The output does not depend on how a signal is split across calls. May allocate in
    /// `out`, never internally.
    pub fn push(&mut self, input: &[f32], out: &mut Vec<f32>) {
        self.num_in_total += input.len() as u64;
        if self.fft.is_none() {
            out.extend_from_slice(input);
            self.num_out_total += input.len() as u64;
            return;
        }
        let mut rest = input;
        while !rest.is_empty() {
            let take = (self.block_in_len - self.pending_in.len()).min(rest.len());
            self.pending_in.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.pending_in.len() == self.block_in_len {
                self.process_block(self.block_in_len, out, usize::MAX);
            }
        }
    }

    /// Flushes the buffered input and the filter's tail, so that the total output of this
    /// stream is `ceil(input_len · to_hz / from_hz)` samples, then resets for a new stream.
    pub fn finish(&mut self, out: &mut Vec<f32>) {
        if self.fft.is_some() {
            let num_out_wanted = (u128::from(self.num_in_total) * u128::from(self.to_hz))
                .div_ceil(u128::from(self.from_hz)) as u64;
            let mut num_valid_in = self.pending_in.len();
            while self.num_out_total < num_out_wanted {
                let budget = (num_out_wanted - self.num_out_total) as usize;
                self.process_block(num_valid_in, out, budget);
                // Later blocks are pure silence that pushes the filter's tail out.
                num_valid_in = 0;
            }
        }
        self.reset();
    }

    /// Forgets all history so the next push starts a new, independent stream.
    pub fn reset(&mut self) {
        if let Some(fft) = self.fft.as_mut() {
            fft.reset();
        }
        self.pending_in.clear();
        self.skip_out_len = self.delay_out_len;
        self.num_in_total = 0;
        self.num_out_total = 0;
    }

    /// Runs one FFT block over the first `num_valid_in` samples of `pending_in` (the rest is
    /// treated as silence), drops the delay still to skip and appends at most `budget`
    /// samples to `out`.
    fn process_block(&mut self, num_valid_in: usize, out: &mut Vec<f32>, budget: usize) {
        let Some(fft) = self.fft.as_mut() else {
            return;
        };
        // A zero-length pending buffer cannot back an adapter of `block_in_len` frames, and
        // rubato wants the input adapter at least `num_valid_in` long: pad in place (within
        // the capacity reserved in `new`).
        self.pending_in.resize(self.block_in_len, 0.0);
        let (Ok(input), Ok(mut output)) = (
            InterleavedSlice::new(&self.pending_in[..], 1, self.block_in_len),
            InterleavedSlice::new_mut(&mut self.block_out[..], 1, self.block_out_len),
        ) else {
            unreachable!("buffer lengths are fixed in `new`");
        };
        let indexing = Indexing::new().partial_len(num_valid_in);
        // Cannot fail: channel count and buffer sizes are the ones rubato asked for in `new`.
        let (_, num_out) = fft
            .process_into_buffer(&input, &mut output, Some(&indexing))
            .unwrap_or((0, 0));
        self.pending_in.clear();
        let skip = self.skip_out_len.min(num_out);
        self.skip_out_len -= skip;
        let ready = &self.block_out[skip..num_out];
        let ready = &ready[..ready.len().min(budget)];
        out.extend_from_slice(ready);
        self.num_out_total += ready.len() as u64;
    }
}
