//! Streaming mono sample-rate conversion to the model rate.
//!
//! [`Resampler`] wraps one of two rubato resamplers, chosen by how the two rates relate:
//!
//! - **FFT** ([`rubato::Fft`]) when the rates share a large common divisor, as every host rate
//!   we expect does (11.025k, 16k, 32k, 44.1k, 48k, 88.2k, 96k, … 384k with 22 050 Hz). Our
//!   ratio never changes while a stream runs, so the synchronous FFT resampler realises it
//!   exactly with a long, steep windowed-sinc anti-aliasing filter (a Blackman-Harris² window
//!   as long as one FFT block) at a cost of a few FFTs per block. Its blocks stay small (a few
//!   thousand samples) and so does the delay.
//! - **Sinc** ([`rubato::Async`] with sinc interpolation) for every other rate. An FFT block
//!   must hold a whole number of periods of the ratio, `from_hz / gcd` input samples: for
//!   383 987 Hz (prime) that is 768 k samples, an FFT of 1.5 M points that took 0.3 s and
//!   64 MB to plan and held back a second of output. The sinc interpolator evaluates the same
//!   kind of filter at each output instant instead, from a table of ~65 000 coefficients,
//!   and is ready in milliseconds. Its filter spans 256 periods of the lower rate (the FFT
//!   path's at least 512): measured at 44 111, 100 003 and 383 987 Hz, within 0.3 dB up to
//!   10.5 kHz and more than 130 dB down above 11.6 kHz. Per second of input it costs about what
//!   the FFT path would (21 ms at 383 987 Hz).
//!
//! The wrapper adds what the analyzer needs on top of rubato: any push size (it buffers input
//! into whole blocks itself, which also makes the output independent of how the input was
//! chunked), delay compensation (output sample `k` lies at time `k / to_hz`, like input sample
//! `n` lies at `n / from_hz`), a flush that yields exactly `ceil(input_len · to / from)`
//! samples, and a bit-identical pass-through when the rates are equal.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{
    Async, Fft, FixedAsync, FixedSync, Indexing, Resampler as _, SincInterpolationParameters,
    SincInterpolationType, WindowFunction,
};

use crate::audio::{MAX_SAMPLE_RATE_HZ, MIN_SAMPLE_RATE_HZ};
use crate::{Error, Result};

/// Smallest FFT block on the input side, in input samples. Longer blocks mean a longer
/// anti-aliasing filter (a cutoff closer to Nyquist) but more delay.
const MIN_BLOCK_IN: usize = 1024;

/// Smallest FFT block on the output side, in output samples: keeps the filter long enough
/// when downsampling by a large factor (384 kHz → 22 050 Hz).
const MIN_BLOCK_OUT: usize = 512;

/// Largest FFT block on the input side; rate pairs that would need more use the sinc
/// interpolator. Every rate in the module docs' list needs at most 2 560.
const MAX_FFT_BLOCK_IN: usize = 8192;

/// Length of the sinc interpolator's filter in periods of the lower of the two rates.
const SINC_LEN_LOW_RATE: usize = 256;

/// Filter coefficients per input period in the sinc interpolator's table, for upsampling. When
/// downsampling by a factor `r` the filter is `r` times wider in input samples, so the table
/// needs `r` times fewer points per input period for the same accuracy: the table holds about
/// `SINC_LEN_LOW_RATE · SINC_OVERSAMPLING` coefficients whatever the rates.
const SINC_OVERSAMPLING: usize = 256;

/// How far (in output samples) the sinc interpolator's output may sit from the ideal instants
/// for [`sinc_alignment`] to stop searching.
const MAX_SINC_MISALIGNMENT_OUT: f64 = 1e-3;

/// How many delays [`sinc_alignment`] tries: it bounds the sinc path's latency (at most
/// 1 366 output samples, 62 ms, at 8 017 Hz) and lead-in.
const SINC_ALIGNMENT_SEARCH_LEN: usize = 1024;

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
    /// How samples are converted; see the module docs.
    engine: Engine,
    /// Input samples collected until a whole block is there (capacity: one block).
    pending_in: Vec<f32>,
    /// Output of one block, before delay trimming (capacity: the most one block yields).
    block_out: Vec<f32>,
    /// Input samples per block.
    block_in_len: usize,
    /// Most output samples one block yields.
    block_out_len: usize,
    /// Leading output samples rubato emits before the first input sample's time; dropped so
    /// the output is time-aligned. Constant per resampler.
    delay_out_len: usize,
    /// Zeros fed ahead of each stream (sinc engine only), so that the output instants fall on
    /// `k / to_hz`; see [`sinc_alignment`]. Fewer than `block_in_len`.
    lead_in_len: usize,
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
            .field("engine", &self.engine.name())
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

/// The converter behind a [`Resampler`].
enum Engine {
    /// `from_hz == to_hz`: input is copied through, so the output is bit-identical.
    PassThrough,
    /// Rubato's FFT resampler, for rates with a large common divisor (boxed: it is twice the
    /// size of the sinc interpolator).
    Fft(Box<Fft<f32>>),
    /// Rubato's sinc interpolator, for every other pair of rates.
    Sinc(Async<f32>),
}

impl Engine {
    fn name(&self) -> &'static str {
        match self {
            Engine::PassThrough => "pass-through",
            Engine::Fft(_) => "fft",
            Engine::Sinc(_) => "sinc",
        }
    }

    fn rubato(&mut self) -> Option<&mut dyn rubato::Resampler<f32>> {
        match self {
            Engine::PassThrough => None,
            Engine::Fft(fft) => Some(fft.as_mut()),
            Engine::Sinc(sinc) => Some(sinc),
        }
    }
}

/// Input samples per FFT block for `from` → `to` Hz: the smallest even number of periods of
/// the ratio (`from / gcd` input samples each) that reaches [`MIN_BLOCK_IN`] input and
/// [`MIN_BLOCK_OUT`] output samples.
fn fft_block_in_len(from: usize, to: usize) -> usize {
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
    num_units * unit_in
}

/// The sinc interpolator's filter length in input samples: [`SINC_LEN_LOW_RATE`] periods of
/// the lower rate, rounded as rubato rounds it (to a multiple of 8), so that
/// [`sinc_alignment`] knows its true centre.
fn sinc_len(from: usize, to: usize) -> usize {
    (SINC_LEN_LOW_RATE * from)
        .div_ceil(to)
        .max(SINC_LEN_LOW_RATE)
        .next_multiple_of(8)
}

/// Where the sinc interpolator's output lands: rubato's output sample `j` is the input
/// filtered at input time `(j + 1) · from / to − half_len` (`half_len` = half its filter
/// length). A fractional start cannot be trimmed away like the FFT path's whole-sample delay,
/// so we also choose how many zeros `z` to feed ahead of the stream: dropping the first `K`
/// outputs then leaves output `k` at input time `k · from / to + e` with
/// `e = (K + 1) · from / to − half_len − z`. Exact integer arithmetic tries the
/// [`SINC_ALIGNMENT_SEARCH_LEN`] smallest `K` and keeps the first whose `|e|` is within
/// [`MAX_SINC_MISALIGNMENT_OUT`] output samples, or else the best.
///
/// Most rates get within 0.001 output samples after a few hundred; the worst are rates just
/// off a simple ratio to `to` (22 067 Hz: 0.10 output samples, 4.6 µs), where the fractional
/// parts of `K · from / to` creep.
///
/// Returns `(K, z)`.
fn sinc_alignment(from_hz: usize, to_hz: usize, half_len: usize) -> (usize, usize) {
    let (from, to, half) = (from_hz as i64, to_hz as i64, half_len as i64);
    // The first K whose outputs reach input time 0 without a negative number of zeros.
    let first = (half * to + from - 1) / from - 1;
    let max_error = (MAX_SINC_MISALIGNMENT_OUT * from as f64) as i64;
    let mut best = (i64::MAX, 0, 0);
    for num_dropped in first..first + SINC_ALIGNMENT_SEARCH_LEN as i64 {
        // (K + 1) · from − half · to = z · to + error, in units of 1 / to input samples.
        let ahead = (num_dropped + 1) * from - half * to;
        let num_zeros = (ahead + to / 2) / to;
        let error = (ahead - num_zeros * to).abs();
        if error < best.0 {
            best = (error, num_dropped, num_zeros);
        }
        if error <= max_error {
            break;
        }
    }
    (best.1 as usize, best.2 as usize)
}

/// The largest misalignment [`sinc_alignment`] leaves, in output samples.
#[cfg(test)]
fn sinc_misalignment_out(from_hz: usize, to_hz: usize, half_len: usize) -> f64 {
    let (num_dropped, num_zeros) = sinc_alignment(from_hz, to_hz, half_len);
    let ahead = (num_dropped + 1) as i64 * from_hz as i64 - (half_len * to_hz) as i64;
    (ahead - (num_zeros * to_hz) as i64).abs() as f64 / from_hz as f64
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
                engine: Engine::PassThrough,
                pending_in: Vec::new(),
                block_out: Vec::new(),
                block_in_len: 0,
                block_out_len: 0,
                delay_out_len: 0,
                lead_in_len: 0,
                skip_out_len: 0,
                num_in_total: 0,
                num_out_total: 0,
            });
        }
        let (from, to) = (from_hz as usize, to_hz as usize);
        // rubato only rejects zero rates or chunk sizes, which `check_rate` already excludes;
        // reported rather than unwrapped all the same.
        let rubato_error = |_| Error::SampleRate {
            rate_hz: from_hz,
            min_hz: MIN_SAMPLE_RATE_HZ,
            max_hz: MAX_SAMPLE_RATE_HZ,
        };
        let (engine, block_in_len, delay_out_len, lead_in_len) =
            if fft_block_in_len(from, to) <= MAX_FFT_BLOCK_IN {
                let block_in_len = fft_block_in_len(from, to);
                let fft = Fft::<f32>::new(from, to, block_in_len, 1, FixedSync::Both)
                    .map_err(rubato_error)?;
                debug_assert_eq!(fft.input_frames_max(), block_in_len);
                let delay_out_len = fft.output_delay();
                (Engine::Fft(Box::new(fft)), block_in_len, delay_out_len, 0)
            } else {
                let sinc_len = sinc_len(from, to);
                let oversampling = (SINC_OVERSAMPLING / (from / to).max(1)).max(1);
                let parameters =
                    SincInterpolationParameters::new(sinc_len, WindowFunction::BlackmanHarris2)
                        .oversampling_factor(oversampling)
                        .interpolation(SincInterpolationType::Linear);
                let (num_dropped, num_zeros) = sinc_alignment(from, to, sinc_len / 2);
                let block_in_len = MIN_BLOCK_IN.max(num_zeros + 1);
                let sinc = Async::<f32>::new_sinc(
                    to as f64 / from as f64,
                    1.0,
                    &parameters,
                    block_in_len,
                    1,
                    FixedAsync::Input,
                )
                .map_err(rubato_error)?;
                (Engine::Sinc(sinc), block_in_len, num_dropped, num_zeros)
            };
        let block_out_len = match &engine {
            Engine::Fft(fft) => fft.output_frames_max(),
            Engine::Sinc(sinc) => sinc.output_frames_max(),
            Engine::PassThrough => 0,
        };
        let mut resampler = Resampler {
            from_hz,
            to_hz,
            engine,
            pending_in: Vec::with_capacity(block_in_len),
            block_out: vec![0.0; block_out_len],
            block_in_len,
            block_out_len,
            delay_out_len,
            lead_in_len,
            skip_out_len: delay_out_len,
            num_in_total: 0,
            num_out_total: 0,
        };
        resampler.reset();
        Ok(resampler)
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
        if matches!(self.engine, Engine::PassThrough) {
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
        if !matches!(self.engine, Engine::PassThrough) {
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
        if let Some(rubato) = self.engine.rubato() {
            rubato.reset();
        }
        self.pending_in.clear();
        self.pending_in.resize(self.lead_in_len, 0.0);
        self.skip_out_len = self.delay_out_len;
        self.num_in_total = 0;
        self.num_out_total = 0;
    }

    /// Runs one FFT block over the first `num_valid_in` samples of `pending_in` (the rest is
    /// treated as silence), drops the delay still to skip and appends at most `budget`
    /// samples to `out`.
    fn process_block(&mut self, num_valid_in: usize, out: &mut Vec<f32>, budget: usize) {
        let Some(rubato) = self.engine.rubato() else {
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
        let (_, num_out) = rubato
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The bounds stated on [`sinc_alignment`] and [`SINC_ALIGNMENT_SEARCH_LEN`], over every
    /// integer rate the sinc interpolator serves.
    #[test]
    fn sinc_alignment_bounds_hold_for_every_rate() {
        let to = 22_050;
        let (mut num_rates, mut worst_error, mut worst_delay) = (0, (0.0, 0), (0, 0));
        for from in MIN_SAMPLE_RATE_HZ as usize..=MAX_SAMPLE_RATE_HZ as usize {
            if from == to || fft_block_in_len(from, to) <= MAX_FFT_BLOCK_IN {
                continue;
            }
            num_rates += 1;
            let half_len = sinc_len(from, to) / 2;
            let error = sinc_misalignment_out(from, to, half_len);
            if error > worst_error.0 {
                worst_error = (error, from);
            }
            let (num_dropped, _) = sinc_alignment(from, to, half_len);
            if num_dropped > worst_delay.0 {
                worst_delay = (num_dropped, from);
            }
        }
        eprintln!(
            "{num_rates} rates: worst misalignment {:.4} samples at {} Hz, longest delay {} \
             samples at {} Hz",
            worst_error.0, worst_error.1, worst_delay.0, worst_delay.1
        );
        assert!(
            worst_error.0 <= 0.11,
            "{} Hz: misaligned by {} output samples",
            worst_error.1,
            worst_error.0
        );
        assert!(
            worst_delay.0 <= 1_366,
            "{} Hz: delay of {} output samples",
            worst_delay.1,
            worst_delay.0
        );
    }
}
