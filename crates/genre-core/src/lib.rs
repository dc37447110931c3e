//! Genre Meter's analysis core: audio in, genre probabilities out.
//!
//! The pieces run in this order, in the CLI, the plugin's worker and the
//! training-feature extractor alike:
//! [`audio::Decoder`] (streaming, mono) → [`resample::Resampler`] (to the
//! model rate) → [`mel::MelSpectrogram`] (log-mel frames) →
//! [`analyzer::Analyzer`] (windows, silence gate) → [`model::Classifier`]
//! (the CNN) → [`verdict`] (ok / uncertain / not music / silent / error)
//! → [`report`] (aggregation per file).
//!
//! Nothing here touches a GUI, an audio device or a system library.

pub mod analyzer;
pub mod audio;
pub mod card;
pub mod error;
pub mod mel;
pub mod model;
pub mod report;
pub mod resample;
pub mod smoother;
pub mod verdict;

pub use error::{Error, Result};
