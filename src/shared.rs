//! Scalars shared between the audio thread, the worker and the editor.
//!
//! Everything here is an atomic, so any thread may read or write without
//! locking. One instance lives for the whole plugin instance (it survives
//! deactivation), behind an `Arc`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use atomic_float::AtomicF32;

/// See the module docs.
#[derive(Debug)]
pub struct Shared {
    /// Highest absolute tap sample since the editor last read it (linear, ≥ 0);
    /// raised by the tap on every block, taken (swapped to 0) by the editor.
    pub peak_level: AtomicF32,
    /// Tap samples dropped because the ring was full, since activation;
    /// incremented by the tap, read by the worker and the editor.
    pub num_dropped_samples: AtomicU64,
    /// Set by the editor's Reset button; taken by the worker, which clears
    /// the track-so-far, the timeline and the "now" estimate.
    pub reset_requested: AtomicBool,
    /// Windows classified since the plugin was created; incremented by the worker.
    pub num_inferences: AtomicU64,
    /// Windows skipped as silent since the plugin was created; incremented by the worker.
    pub num_silent_windows: AtomicU64,
}

impl Default for Shared {
    fn default() -> Self {
        Self {
            peak_level: AtomicF32::new(0.0),
            num_dropped_samples: AtomicU64::new(0),
            reset_requested: AtomicBool::new(false),
            num_inferences: AtomicU64::new(0),
            num_silent_windows: AtomicU64::new(0),
        }
    }
}

impl Shared {
    /// Takes the peak level, leaving 0 for the next reader.
    pub fn take_peak_level(&self) -> f32 {
        self.peak_level.swap(0.0, Ordering::Relaxed)
    }

    /// Dropped tap samples since activation.
    pub fn num_dropped_samples(&self) -> u64 {
        self.num_dropped_samples.load(Ordering::Relaxed)
    }
}
