//! Times tract on given windows, for `benches/compare` (tract vs onnxruntime
//! on the same windows, one thread).
//!
//! ```text
//! tract_windows CARD.json WINDOWS.npy BATCH PASSES [LOGITS_OUT.npy]
//! ```
//!
//! `WINDOWS.npy` holds float32 `[N, n_mels, window_frames]` raw dB windows
//! (band-major, as the CLI cuts them); `N` must be a multiple of `BATCH`.
//! Loads the model (not timed), runs all windows `BATCH` at a time through
//! [`Classifier::logits`] (normalisation included, as onnxruntime's side
//! includes it) `PASSES` times, and prints one JSON line: the wall and
//! process-CPU milliseconds per window of every pass. Writes the logits of
//! the first pass to `LOGITS_OUT.npy` when given.

use std::path::PathBuf;
use std::time::Instant;

use genre_core::model::Classifier;
use ndarray::{Array2, Array3};
use ndarray_npy::{read_npy, write_npy};

fn cpu_time_s() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock exists on Linux.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime failed");
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [card, windows, batch, passes, rest @ ..] = &args[..] else {
        return Err(
            "usage: tract_windows CARD.json WINDOWS.npy BATCH PASSES [LOGITS_OUT.npy]".into(),
        );
    };
    let classifier = Classifier::load(&PathBuf::from(card))?;
    let windows: Array3<f32> = read_npy(windows)?;
    let batch: usize = batch.parse()?;
    let passes: usize = passes.parse()?;
    let num_windows = windows.shape()[0];
    if batch == 0 || !num_windows.is_multiple_of(batch) {
        return Err(format!("{num_windows} windows is not a multiple of batch {batch}").into());
    }
    let flat = windows
        .as_standard_layout()
        .to_owned()
        .into_raw_vec_and_offset()
        .0;
    let chunk_len = batch * classifier.window_len();

    let mut wall_ms = Vec::new();
    let mut cpu_ms = Vec::new();
    let mut first_logits = Vec::new();
    for pass in 0..passes {
        let (wall0, cpu0) = (Instant::now(), cpu_time_s());
        let mut logits = Vec::with_capacity(num_windows * classifier.labels().len());
        for chunk in flat.chunks(chunk_len) {
            logits.extend(classifier.logits(chunk)?);
        }
        let (wall_s, cpu_s) = (wall0.elapsed().as_secs_f64(), cpu_time_s() - cpu0);
        wall_ms.push(wall_s * 1e3 / num_windows as f64);
        cpu_ms.push(cpu_s * 1e3 / num_windows as f64);
        if pass == 0 {
            first_logits = logits;
        }
    }
    if let Some(out) = rest.first() {
        let labels = classifier.labels().len();
        write_npy(
            out,
            &Array2::from_shape_vec((num_windows, labels), first_logits)?,
        )?;
    }
    println!(
        "{{\"batch\":{batch},\"windows\":{num_windows},\"wall_ms_per_window\":{wall_ms:?},\"cpu_ms_per_window\":{cpu_ms:?}}}"
    );
    Ok(())
}
