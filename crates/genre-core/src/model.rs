//! The classifier: the card's CNN run by tract.
//!
//! The plan is built once with a fixed input shape of one window
//! (`load → with_input_fact → into_optimized → into_runnable`) and windows
//! run one at a time: for a CNN this small tract is fastest per window at
//! batch 1 (plans for 2–16 windows measured 1.1–1.6× slower per window: the
//! activations of several windows no longer fit in the core's cache). Every
//! `run` allocates its tensors, so this never runs on an audio thread; the
//! plugin calls it from its worker.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::Factoid as _;
use tract_onnx::tract_hir::internal::DimLike as _;

use crate::card::ModelCard;
use crate::{Error, Result};

/// Where the shipped model's card lives in the source tree.
pub const SHIPPED_CARD_PATH: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/genre_cnn.json");

/// File name of the shipped network, next to its card.
const SHIPPED_MODEL_FILE: &str = "genre_cnn.onnx";
/// The shipped card, embedded at build time.
const SHIPPED_CARD_JSON: &str = include_str!("../../../models/genre_cnn.json");
/// The shipped network, embedded at build time.
const SHIPPED_ONNX: &[u8] = include_bytes!("../../../models/genre_cnn.onnx");

/// A runnable tract plan for one fixed batch size.
type Plan = Arc<TypedRunnableModel>;

/// A loaded, validated model ready to classify windows.
pub struct Classifier {
    /// What the model expects and how it was made.
    card: ModelCard,
    /// Where the model came from, for messages.
    origin: PathBuf,
    /// Plan for a single window.
    plan: Plan,
}

impl std::fmt::Debug for Classifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Classifier")
            .field("origin", &self.origin)
            .field("labels", &self.card.labels)
            .finish_non_exhaustive()
    }
}

impl Classifier {
    /// Windows a caller collects before calling [`logits`](Self::logits)
    /// (files and features do): enough to amortise the per-call overhead of
    /// the caller's bookkeeping. Inference runs them one at a time.
    pub const BATCH: usize = 16;

    /// Loads a model from its card path (`…/genre_cnn.json`) or its ONNX path
    /// (`…/genre_cnn.onnx`, whose card is the `.json` beside it).
    pub fn load(path: &Path) -> Result<Self> {
        let card_path = if path.extension().is_some_and(|e| e == "onnx") {
            path.with_extension("json")
        } else {
            path.to_owned()
        };
        if card_path != path && !card_path.exists() {
            return Err(Error::Card {
                path: card_path,
                reason: "missing: an ONNX model is loaded with its model card, the .json of \
                         the same name beside it"
                    .into(),
            });
        }
        let card = ModelCard::from_path(&card_path)?;
        let model_path = card.model_path(&card_path);
        let onnx = std::fs::read(&model_path).map_err(|source| Error::Io {
            path: model_path.clone(),
            source,
        })?;
        Self::from_parts(card, &onnx, &model_path)
    }

    /// Builds the plans from an already validated card and the ONNX bytes;
    /// `origin` names the model in messages. Checks the network's shapes
    /// against the card.
    pub fn from_parts(card: ModelCard, onnx: &[u8], origin: &Path) -> Result<Self> {
        let err = |reason: String| Error::Model {
            path: origin.to_owned(),
            reason,
        };
        let model = tract_onnx::onnx()
            .model_for_read(&mut std::io::Cursor::new(onnx))
            .map_err(|e| err(format!("not a readable ONNX model: {e}")))?;
        if model.inputs.len() != 1 || model.outputs.len() != 1 {
            return Err(err(format!(
                "expected 1 input and 1 output, found {} and {}",
                model.inputs.len(),
                model.outputs.len()
            )));
        }
        check_declared_input(&model, &card).map_err(err)?;
        let build = |batch: usize| -> Result<Plan> {
            let shape = [batch, 1, card.features.n_mels, card.features.window_frames];
            let typed = model
                .clone()
                .with_input_fact(0, f32::fact(shape).into())
                .and_then(|m| m.into_optimized())
                .map_err(|e| {
                    err(format!(
                        "does not accept input {shape:?} from its card: {e}"
                    ))
                })?;
            let out = typed
                .output_fact(0)
                .map_err(|e| err(e.to_string()))?
                .shape
                .as_concrete()
                .map(<[usize]>::to_vec);
            let want = [batch, card.labels.len()];
            if out.as_deref() != Some(&want[..]) {
                return Err(err(format!(
                    "outputs {out:?} for a batch of {batch}, but its card has {} labels \
                     (expected {want:?})",
                    card.labels.len()
                )));
            }
            typed
                .into_runnable()
                .map_err(|e| err(format!("cannot plan: {e}")))
        };
        Ok(Self {
            plan: build(1)?,
            origin: origin.to_owned(),
            card,
        })
    }

    /// The model shipped with Genre Meter: `models/genre_cnn.json` and its
    /// ONNX file, compiled into the binary so the CLI and the plugin work
    /// wherever they are copied. Retraining into `models/` rebuilds it.
    pub fn shipped() -> Result<Self> {
        let card = ModelCard::from_json(SHIPPED_CARD_JSON, Path::new(SHIPPED_CARD_PATH))?;
        let origin = Path::new("models")
            .join(SHIPPED_MODEL_FILE)
            .with_extension("onnx (built in)");
        if card.model_file != SHIPPED_MODEL_FILE {
            return Err(Error::Card {
                path: SHIPPED_CARD_PATH.into(),
                reason: format!(
                    "names model_file {:?}, but the build embeds {SHIPPED_MODEL_FILE:?}",
                    card.model_file
                ),
            });
        }
        Self::from_parts(card, SHIPPED_ONNX, &origin)
    }

    /// The model card.
    pub fn card(&self) -> &ModelCard {
        &self.card
    }

    /// Output classes in order.
    pub fn labels(&self) -> &[String] {
        &self.card.labels
    }

    /// Where the model was loaded from.
    pub fn origin(&self) -> &Path {
        &self.origin
    }

    /// Values per window: `n_mels × window_frames`.
    pub fn window_len(&self) -> usize {
        self.card.features.n_mels * self.card.features.window_frames
    }

    /// Logits for `windows` (raw dB, band-major, [`window_len`](Self::window_len)
    /// values each, any number of windows); returns `num_windows × labels`
    /// values. Normalises with the card. Allocates.
    pub fn logits(&self, windows: &[f32]) -> Result<Vec<f32>> {
        let len = self.window_len();
        if !windows.len().is_multiple_of(len) {
            return Err(Error::Model {
                path: self.origin.clone(),
                reason: format!(
                    "{} input values is not a whole number of {len}-value windows",
                    windows.len()
                ),
            });
        }
        let num_labels = self.card.labels.len();
        let mut logits = Vec::with_capacity(windows.len() / len * num_labels);
        for window in windows.chunks_exact(len) {
            self.run(window, &mut logits)?;
        }
        Ok(logits)
    }

    /// Softmax probabilities for `windows` (see [`logits`](Self::logits)).
    pub fn probabilities(&self, windows: &[f32]) -> Result<Vec<f32>> {
        let mut values = self.logits(windows)?;
        for row in values.chunks_mut(self.card.labels.len()) {
            softmax_in_place(row);
        }
        Ok(values)
    }

    /// Runs one window (band-major, as the network's input) and appends its logits.
    fn run(&self, window: &[f32], out: &mut Vec<f32>) -> Result<()> {
        let spec = &self.card.features;
        let norm = self.card.normalization;
        let inv_std = 1.0 / norm.std;
        // Band-major is the row-major layout of [1, 1, n_mels, window_frames].
        let normalised = window.iter().map(|&x| (x - norm.mean) * inv_std).collect();
        let input = tract_ndarray::Array4::from_shape_vec(
            (1, 1, spec.n_mels, spec.window_frames),
            normalised,
        )
        .expect("a window is n_mels × window_frames values");
        let result = self
            .plan
            .run(tvec!(Tensor::from(input).into()))
            .map_err(|e| Error::Model {
                path: self.origin.clone(),
                reason: format!("inference failed: {e}"),
            })?;
        let view = result[0]
            .to_plain_array_view::<f32>()
            .map_err(|e| Error::Model {
                path: self.origin.clone(),
                reason: format!("output is not float32: {e}"),
            })?;
        out.extend(view.iter().copied());
        Ok(())
    }
}

/// Checks the input shape the ONNX file declares against its card. Plans are built with the
/// card's shape, which replaces the declared one; a network ending in global pooling would
/// then run, without complaint, on windows of a size it was never trained on.
fn check_declared_input(
    model: &InferenceModel,
    card: &ModelCard,
) -> std::result::Result<(), String> {
    let fact = model
        .input_fact(0)
        .map_err(|e| format!("has no readable input: {e}"))?;
    if fact.shape.is_open() {
        // Nothing declared: the plans' own shape checks are all we have.
        return Ok(());
    }
    let declared: Vec<Option<usize>> = fact
        .shape
        .dims()
        .map(|d| d.concretize().and_then(|d| d.to_usize().ok()))
        .collect();
    // The batch dimension is free: the plans fix it.
    let want = [
        None,
        Some(1),
        Some(card.features.n_mels),
        Some(card.features.window_frames),
    ];
    let agrees = declared.len() == want.len()
        && declared
            .iter()
            .zip(&want)
            .all(|(have, want)| have.is_none() || want.is_none() || have == want);
    if agrees {
        return Ok(());
    }
    let shown: Vec<String> = declared
        .iter()
        .map(|d| d.map_or_else(|| "?".to_owned(), |d| d.to_string()))
        .collect();
    Err(format!(
        "declares input [{}], but its card feeds [N, 1, {}, {}] ({} mel bands × {} frames)",
        shown.join(", "),
        card.features.n_mels,
        card.features.window_frames,
        card.features.n_mels,
        card.features.window_frames
    ))
}

/// Numerically stable softmax.
pub fn softmax_in_place(values: &mut [f32]) {
    let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in values.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in values.iter_mut() {
        *v /= sum;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_sums_to_one_and_orders() {
        let mut v = [1.0, 3.0, 2.0, -1000.0];
        softmax_in_place(&mut v);
        assert!((v.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(v[1] > v[2] && v[2] > v[0] && v[3] >= 0.0);
    }
}
