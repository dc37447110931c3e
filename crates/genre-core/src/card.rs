//! The model card: the JSON file next to the ONNX model that says what the
//! model expects (features, normalisation, labels) and how it was made.
//!
//! The card is the one source of truth for feature settings and labels: the
//! CLI, the plugin and the training pipeline all read them from here. Its
//! `format_version` is independent of the package version; the loader accepts
//! [`EARLIEST_FORMAT_VERSION`]`..=`[`LATEST_FORMAT_VERSION`].
//!
//! Format 2 adds [`DecisionSpec`] (`"decision"`): which outputs are genres and
//! which mean "no genre", the calibration temperature and the "uncertain"
//! threshold. A card without it (every format-1 card) gets
//! [`DecisionSpec::default_for`]: every output a genre, temperature 1 and
//! [`DEFAULT_UNCERTAIN_THRESHOLD`].

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::mel::FeatureSpec;
use crate::{Error, Result};

/// Oldest card format this build reads.
pub const EARLIEST_FORMAT_VERSION: u32 = 1;
/// Newest card format this build reads.
pub const LATEST_FORMAT_VERSION: u32 = 2;
/// More labels than this is not a genre model but a broken card.
pub const MAX_LABELS: usize = 1000;
/// The "uncertain" threshold of a card that does not set one: a top genre
/// below one half is more likely wrong than right, whatever the model.
pub const DEFAULT_UNCERTAIN_THRESHOLD: f32 = 0.5;
/// Temperatures outside this range are not a calibration but a broken card.
pub const TEMPERATURE_RANGE: std::ops::RangeInclusive<f32> = 0.05..=20.0;

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

/// How the network's outputs become an answer (card format 2, `"decision"`).
///
/// The labels split into genres and "no genre" outputs (such as
/// `not_music`); logits are divided by `temperature` before the softmax; a
/// result whose top genre probability is below `uncertain_threshold` is
/// reported as uncertain. See [`crate::verdict`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionSpec {
    /// Labels that are genres, in output order.
    pub genres: Vec<String>,
    /// Labels that mean "no genre" (e.g. `not_music`), in output order.
    #[serde(default)]
    pub no_genre: Vec<String>,
    /// Calibration temperature: probabilities are `softmax(logits / temperature)`.
    pub temperature: f32,
    /// A calibrated top genre probability below this is "uncertain".
    pub uncertain_threshold: f32,
    /// How the temperature and threshold were fitted and what they achieved
    /// (data, expected calibration error before and after); free-form.
    #[serde(default)]
    pub calibration: serde_json::Value,
}

impl DecisionSpec {
    /// What a card without a `"decision"` means: every label a genre, no
    /// calibration, the default threshold.
    pub fn default_for(labels: &[String]) -> Self {
        Self {
            genres: labels.to_vec(),
            no_genre: Vec::new(),
            temperature: 1.0,
            uncertain_threshold: DEFAULT_UNCERTAIN_THRESHOLD,
            calibration: serde_json::Value::Null,
        }
    }

    /// Checks the spec against the card's labels; the reason is a sentence.
    fn validate(&self, labels: &[String]) -> std::result::Result<(), String> {
        if self.genres.is_empty() {
            return Err("decision.genres is empty (a model needs at least one genre)".into());
        }
        for label in self.genres.iter().chain(&self.no_genre) {
            if !labels.contains(label) {
                return Err(format!("decision names {label:?}, which is not a label"));
            }
        }
        for label in labels {
            let n = self
                .genres
                .iter()
                .chain(&self.no_genre)
                .filter(|l| *l == label)
                .count();
            if n != 1 {
                return Err(format!(
                    "label {label:?} must be listed exactly once in decision.genres or \
                     decision.no_genre (found {n} times)"
                ));
            }
        }
        if !TEMPERATURE_RANGE.contains(&self.temperature) {
            return Err(format!(
                "decision.temperature {} (expected {}–{})",
                self.temperature,
                TEMPERATURE_RANGE.start(),
                TEMPERATURE_RANGE.end()
            ));
        }
        if !(self.uncertain_threshold >= 0.0 && self.uncertain_threshold <= 1.0) {
            return Err(format!(
                "decision.uncertain_threshold {} (expected 0–1)",
                self.uncertain_threshold
            ));
        }
        Ok(())
    }
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
    /// Genres, "no genre" outputs, calibration (format 2); `None` in older
    /// cards: see [`decision`](Self::decision).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<DecisionSpec>,
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
        if let Some(decision) = &self.decision {
            decision.validate(&self.labels)?;
        }
        if self.model_file.is_empty() || Path::new(&self.model_file).components().count() != 1 {
            return Err(format!(
                "model_file {:?} must be a plain file name next to the card",
                self.model_file
            ));
        }
        Ok(())
    }

    /// How outputs become answers: the card's `"decision"`, or the defaults
    /// for a card without one. Allocates.
    pub fn decision(&self) -> DecisionSpec {
        self.decision
            .clone()
            .unwrap_or_else(|| DecisionSpec::default_for(&self.labels))
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

    fn with_decision(labels: &[&str], decision: serde_json::Value) -> String {
        let mut v: serde_json::Value =
            serde_json::from_str(&card_json(2, labels, labels.len())).unwrap();
        v["decision"] = decision;
        v.to_string()
    }

    #[test]
    fn an_old_card_gets_the_default_decision() {
        let card =
            ModelCard::from_json(&card_json(1, &["a", "b"], 2), Path::new("c.json")).unwrap();
        let d = card.decision();
        assert_eq!(d.genres, ["a", "b"]);
        assert!(d.no_genre.is_empty());
        assert_eq!(d.temperature, 1.0);
        assert_eq!(d.uncertain_threshold, DEFAULT_UNCERTAIN_THRESHOLD);
    }

    #[test]
    fn a_version_2_card_reads_its_decision() {
        let text = with_decision(
            &["a", "not_music", "b"],
            serde_json::json!({"genres": ["a", "b"], "no_genre": ["not_music"],
                               "temperature": 1.7, "uncertain_threshold": 0.55,
                               "calibration": {"ece_after": 0.02}}),
        );
        let card = ModelCard::from_json(&text, Path::new("c.json")).unwrap();
        let d = card.decision();
        assert_eq!(d.genres, ["a", "b"]);
        assert_eq!(d.no_genre, ["not_music"]);
        assert_eq!(d.temperature, 1.7);
        assert_eq!(d.uncertain_threshold, 0.55);
        // It survives a round trip through serde (the exporter writes it).
        let again = serde_json::to_string(&card).unwrap();
        assert_eq!(
            ModelCard::from_json(&again, Path::new("c.json"))
                .unwrap()
                .decision(),
            d
        );
    }

    #[test]
    fn rejects_inconsistent_decisions_with_a_reason() {
        let ok = serde_json::json!({"genres": ["a"], "no_genre": ["n"],
                                    "temperature": 1.0, "uncertain_threshold": 0.5});
        let bad = |key: &str, value: serde_json::Value| {
            let mut d = ok.clone();
            d[key] = value;
            reason(&with_decision(&["a", "n"], d))
        };
        assert!(bad("genres", serde_json::json!([])).contains("genres is empty"));
        assert!(
            bad("genres", serde_json::json!(["a", "x"])).contains("\"x\", which is not a label")
        );
        assert!(
            bad("no_genre", serde_json::json!([])).contains("\"n\" must be listed exactly once")
        );
        assert!(
            bad("no_genre", serde_json::json!(["n", "a"]))
                .contains("\"a\" must be listed exactly once")
        );
        assert!(bad("temperature", 0.0.into()).contains("temperature 0"));
        assert!(bad("temperature", 100.0.into()).contains("temperature 100"));
        assert!(bad("uncertain_threshold", 1.5.into()).contains("uncertain_threshold 1.5"));
        assert!(bad("temperature", "hot".into()).contains("malformed card"));
    }

    #[test]
    fn rejects_inconsistent_cards_with_a_reason() {
        assert!(reason(&card_json(3, &["a"], 1)).contains("format_version 3 is not supported"));
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
