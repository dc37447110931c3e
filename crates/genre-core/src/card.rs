//! The model card: the JSON file next to the ONNX model that says what the
//! model expects (features, normalisation, labels) and how it was made.
//!
//! The card is the one source of truth for feature settings and labels: the
//! CLI, the plugin and the training pipeline all read them from here. Its
//! `format_version` is independent of the package version; the loader accepts
//! [`EARLIEST_FORMAT_VERSION`]`..=`[`LATEST_FORMAT_VERSION`].

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::mel::FeatureSpec;
use crate::{Error, Result};

/// Oldest card format this build reads.
pub const EARLIEST_FORMAT_VERSION: u32 = 1;
/// Newest card format this build reads.
pub const LATEST_FORMAT_VERSION: u32 = 1;
/// More labels than this is not a genre model but a broken card.
pub const MAX_LABELS: usize = 1000;

/// Name and shape of a model input or output; `None` is the batch dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TensorSpec {
    pub name: String,
    pub shape: Vec<Option<usize>>,
}

/// The network sees `(dB − mean) / std`; both come from the training set.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Normalization {
    pub mean: f32,
    pub std: f32,
}

/// Reference inputs and PyTorch's logits for them, written by the exporter so
/// the native side can prove it runs the same network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Golden {
    /// `.npy`, float32 `[k, n_mels, window_frames]`, raw (unnormalised) dB.
    pub inputs: String,
    /// `.npy`, float32 `[k, labels]`.
    pub logits: String,
    /// Largest allowed absolute difference per logit.
    pub tolerance: f32,
}

/// A parsed and validated model card.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelCard {
    pub format_version: u32,
    pub name: String,
    /// ONNX file name, relative to the card's folder.
    pub model_file: String,
    /// Output classes in logit order.
    pub labels: Vec<String>,
    pub features: FeatureSpec,
    pub input: TensorSpec,
    pub output: TensorSpec,
    pub normalization: Normalization,
    #[serde(default)]
    pub golden: Option<Golden>,
    /// Free-form description of the training run (data, split, command, date).
    #[serde(default)]
    pub training: serde_json::Value,
    /// Measured metrics (accuracies, per-class recall, confusion matrices).
    #[serde(default)]
    pub metrics: serde_json::Value,
}

impl ModelCard {
    /// Reads and validates a card file.
    pub fn from_path(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_json(&text, path)
    }

    /// Parses and validates card JSON; `path` is only used in messages.
    pub fn from_json(text: &str, path: &Path) -> Result<Self> {
        let err = |reason: String| Error::Card {
            path: path.to_owned(),
            reason,
        };
        // Read the version first, so a future card gets "unsupported version"
        // rather than a confusing missing-field message.
        let raw: serde_json::Value =
            serde_json::from_str(text).map_err(|e| err(format!("not valid JSON: {e}")))?;
        let version = raw
            .get("format_version")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| err("missing integer \"format_version\"".into()))?;
        if !(u64::from(EARLIEST_FORMAT_VERSION)..=u64::from(LATEST_FORMAT_VERSION))
            .contains(&version)
        {
            return Err(err(format!(
                "format_version {version} is not supported (this build reads \
                 {EARLIEST_FORMAT_VERSION}–{LATEST_FORMAT_VERSION})"
            )));
        }
        let card: ModelCard =
            serde_json::from_value(raw).map_err(|e| err(format!("malformed card: {e}")))?;
        card.validate().map_err(err)?;
        Ok(card)
    }

    /// Checks the card agrees with itself; the reason is a sentence for the user.
    fn validate(&self) -> std::result::Result<(), String> {
        self.features.validate().map_err(|e| e.to_string())?;
        if self.labels.is_empty() || self.labels.len() > MAX_LABELS {
            return Err(format!(
                "{} labels (expected 1–{MAX_LABELS})",
                self.labels.len()
            ));
        }
        for (i, label) in self.labels.iter().enumerate() {
            if label.trim().is_empty() {
                return Err(format!("label {i} is empty"));
            }
            if self.labels[..i].contains(label) {
                return Err(format!("label {label:?} appears twice"));
            }
        }
        let want_in = [
            None,
            Some(1),
            Some(self.features.n_mels),
            Some(self.features.window_frames),
        ];
        if self.input.shape != want_in {
            return Err(format!(
                "input shape {:?} disagrees with the features (expected [N, 1, {}, {}])",
                self.input.shape, self.features.n_mels, self.features.window_frames
            ));
        }
        if self.output.shape != [None, Some(self.labels.len())] {
            return Err(format!(
                "output shape {:?} disagrees with the {} labels",
                self.output.shape,
                self.labels.len()
            ));
        }
        let Normalization { mean, std } = self.normalization;
        if !mean.is_finite() || !std.is_finite() || std <= 0.0 {
            return Err(format!(
                "normalization mean {mean} / std {std} (expected finite, std > 0)"
            ));
        }
        if self.model_file.is_empty() || Path::new(&self.model_file).components().count() != 1 {
            return Err(format!(
                "model_file {:?} must be a plain file name next to the card",
                self.model_file
            ));
        }
        Ok(())
    }

    /// Path of the ONNX file this card describes, given where the card lives.
    pub fn model_path(&self, card_path: &Path) -> PathBuf {
        card_path
            .parent()
            .unwrap_or(Path::new("."))
            .join(&self.model_file)
    }

    /// A metric from the card by JSON pointer (e.g. `/splits/test/file_accuracy`).
    pub fn metric(&self, pointer: &str) -> Option<f64> {
        self.metrics
            .pointer(pointer)
            .and_then(serde_json::Value::as_f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card_json(version: u32, labels: &[&str], out: usize) -> String {
        serde_json::json!({
            "format_version": version,
            "name": "t",
            "model_file": "t.onnx",
            "labels": labels,
            "features": FeatureSpec::default(),
            "input": {"name": "mel", "shape": [null, 1, 128, 130]},
            "output": {"name": "logits", "shape": [null, out]},
            "normalization": {"mean": -40.0, "std": 20.0},
        })
        .to_string()
    }

    fn reason(text: &str) -> String {
        ModelCard::from_json(text, Path::new("c.json"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn accepts_a_consistent_card() {
        let card =
            ModelCard::from_json(&card_json(1, &["a", "b"], 2), Path::new("c.json")).unwrap();
        assert_eq!(card.labels, ["a", "b"]);
        assert_eq!(
            card.model_path(Path::new("m/c.json")),
            Path::new("m/t.onnx")
        );
    }

    #[test]
    fn rejects_inconsistent_cards_with_a_reason() {
        assert!(reason(&card_json(2, &["a"], 1)).contains("format_version 2 is not supported"));
        assert!(reason(&card_json(0, &["a"], 1)).contains("not supported"));
        assert!(reason(&card_json(1, &["a", "b"], 3)).contains("disagrees with the 2 labels"));
        assert!(reason(&card_json(1, &["a", "a"], 2)).contains("appears twice"));
        assert!(reason(&card_json(1, &[], 0)).contains("0 labels"));
        assert!(reason("{not json").contains("not valid JSON"));
        assert!(reason("{}").contains("format_version"));
        assert!(reason(r#"{"format_version": 1}"#).contains("malformed card"));
        let mut v: serde_json::Value = serde_json::from_str(&card_json(1, &["a"], 1)).unwrap();
        v["normalization"]["std"] = 0.0.into();
        assert!(reason(&v.to_string()).contains("std"));
        v["normalization"]["std"] = 1.0.into();
        v["input"]["shape"] = serde_json::json!([null, 1, 64, 130]);
        assert!(reason(&v.to_string()).contains("input shape"));
        v["input"]["shape"] = serde_json::json!([null, 1, 128, 130]);
        v["model_file"] = "../../etc/passwd".into();
        assert!(reason(&v.to_string()).contains("plain file name"));
    }
}
