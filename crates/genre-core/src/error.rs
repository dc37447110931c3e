//! The one error type of `genre-core`.

use std::path::PathBuf;

/// Result alias used throughout `genre-core`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong between a file on disk and a genre estimate.
///
/// Every message names the file (or the value) and what was expected, so a
/// batch run can print it as one line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened or read at the OS level.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The container or codec is not one we decode.
    #[error("{path}: unsupported format: {reason}")]
    Unsupported { path: PathBuf, reason: String },
    /// The stream is recognised but broken (truncated, corrupt packets, …).
    #[error("{path}: cannot decode: {reason}")]
    Decode { path: PathBuf, reason: String },
    /// The stream decodes but its parameters make no sense for analysis
    /// (zero channels, a sample rate outside 8–384 kHz, no samples, …).
    #[error("{path}: invalid audio: {reason}")]
    InvalidAudio { path: PathBuf, reason: String },
    /// A sample rate the resampler does not accept.
    #[error("unsupported sample rate {rate_hz} Hz (expected {min_hz}–{max_hz} Hz)")]
    SampleRate {
        rate_hz: u32,
        min_hz: u32,
        max_hz: u32,
    },
    /// The model card is missing, unreadable or inconsistent.
    #[error("model card {path}: {reason}")]
    Card { path: PathBuf, reason: String },
    /// The ONNX model is missing, corrupt or disagrees with its card.
    #[error("model {path}: {reason}")]
    Model { path: PathBuf, reason: String },
    /// A feature setting the mel code cannot honour.
    #[error("feature spec: {0}")]
    FeatureSpec(String),
    /// Writing or reading feature shards / datasets.
    #[error("{path}: {reason}")]
    Dataset { path: PathBuf, reason: String },
}
