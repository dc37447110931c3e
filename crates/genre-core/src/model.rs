//! The classifier: the card's CNN run by tract.
//!
//! The plan is built once with a fixed input shape of one window
//! (`load → with_input_fact → into_optimized → into_runnable`) and windows
//! run one at a time: for a CNN this small tract is fastest per window at
//! batch 1 (plans for 2–16 windows measured 1.1–1.6× slower per window: the
//! activations of several windows no longer fit in the core's cache). Every
//! `run` allocates its tensors, so this never runs on an audio thread; the
//! plugin calls it from its worker.
//!
//! The plan is tract's, but for its pools and its im2col: tiled max and
//! average pools (and a ReLU just before one) run as [`BlockPool`], which
//! vectorises where tract 0.23.9's strided pools do not, and convolutions
//! build their matrix eagerly with [`im2col::PanelIm2col`] rather than
//! gather it inside the matrix product (see `model/im2col.rs`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::ops::binary::{OptBinByScalar, TypedBinOp};
use tract_onnx::tract_core::ops::cnn::{OptMaxPool, OptSumPool, PoolSpec};
use tract_onnx::tract_core::ops::math::Max;
use tract_onnx::tract_core::ops::nn::DataFormat;
use tract_onnx::tract_hir::infer::Factoid as _;

mod im2col;
#[cfg(test)]
mod test_graphs;

use crate::card::ModelCard;
use crate::verdict::Decider;
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
    /// The card's decision rules (genres, "no genre" outputs, calibration).
    decider: Decider,
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
            let eager_im2col =
                im2col::eager_im2col_scope().map_err(|e| err(format!("cannot plan: {e}")))?;
            let typed = eager_im2col
                .enter(|| {
                    model
                        .clone()
                        .with_input_fact(0, f32::fact(shape).into())
                        .and_then(|m| m.into_optimized())
                })
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
            let mut typed = typed;
            replace_pools(&mut typed)
                .and_then(|_| im2col::replace_im2col(&mut typed))
                .map_err(|e| err(format!("cannot plan: {e}")))?;
            typed
                .into_runnable()
                .map_err(|e| err(format!("cannot plan: {e}")))
        };
        Ok(Self {
            plan: build(1)?,
            origin: origin.to_owned(),
            decider: Decider::from_card(&card),
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

    /// How probabilities become a status (from the card).
    pub fn decider(&self) -> &Decider {
        &self.decider
    }

    /// The tract plan for one window, as [`logits`](Self::logits) runs it: for
    /// profiling (`examples/tract_nodes.rs`).
    pub fn plan(&self) -> &Arc<TypedRunnableModel> {
        &self.plan
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

    /// Calibrated probabilities for `windows` (see [`logits`](Self::logits)):
    /// the softmax of the logits divided by the card's temperature.
    pub fn probabilities(&self, windows: &[f32]) -> Result<Vec<f32>> {
        let mut values = self.logits(windows)?;
        let inv_temperature = 1.0 / self.decider.temperature();
        for row in values.chunks_mut(self.card.labels.len()) {
            row.iter_mut().for_each(|v| *v *= inv_temperature);
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

/// Swaps tract's pooling kernels for [`BlockPool`] wherever a pool tiles its
/// input (NCHW f32, kernel = stride, no padding, no dilation), as every pool
/// of a conv–pool genre CNN does, folding a ReLU that feeds only the pool into
/// it. Returns how many pools were replaced.
///
/// NOTE: tract 0.23.9 vectorises only 2×2 stride-1 max pools; the strided
/// ones these networks use take a scalar per-output loop, which cost about a
/// third of the shipped model's inference time.
fn replace_pools(model: &mut TypedModel) -> TractResult<usize> {
    let mut replaced = 0;
    for id in 0..model.nodes.len() {
        let node = &model.nodes[id];
        let (pool_spec, kind) = if let Some(op) = node.op_as::<OptMaxPool>() {
            if op.with_index_outputs.is_some() {
                continue;
            }
            (&op.pool_spec, PoolKind::Max)
        } else if let Some(op) = node.op_as::<OptSumPool>() {
            let kind = if op.normalize {
                PoolKind::Mean
            } else {
                PoolKind::Sum
            };
            (&op.pool_spec, kind)
        } else {
            continue;
        };
        let input = model.outlet_fact(node.inputs[0])?;
        let Some(shape) = input.shape.as_concrete() else {
            continue;
        };
        if input.datum_type != f32::datum_type() {
            continue;
        }
        let Some(mut op) = BlockPool::for_spec(pool_spec, kind, shape) else {
            continue;
        };
        let mut source = node.inputs[0];
        if let Some(relu_input) = relu_feeding(model, node)? {
            op.relu = true;
            source = relu_input;
        }
        let mut patch = TypedModelPatch::default();
        let tap = patch.tap_model(model, source)?;
        let wire = patch.wire_node(&node.name, op, &[tap])?[0];
        patch.shunt_outside(model, OutletId::new(id, 0), wire)?;
        patch.apply(model)?;
        replaced += 1;
    }
    Ok(replaced)
}

/// When `pool`'s input is a ReLU (`max(x, 0)` against a zero constant) that
/// feeds nothing else, the ReLU's input `x`.
fn relu_feeding(model: &TypedModel, pool: &TypedNode) -> TractResult<Option<OutletId>> {
    let Some(relu) = model.single_prec(pool.id)? else {
        return Ok(None);
    };
    // tract's optimiser leaves a ReLU as a by-scalar kernel, or as the plain
    // binary op on small tensors.
    let binop = if let Some(op) = relu.op_as::<OptBinByScalar>() {
        &op.binop
    } else if let Some(op) = relu.op_as::<TypedBinOp>() {
        &op.0
    } else {
        return Ok(None);
    };
    let feeds_only_pool = relu.outputs.len() == 1
        && relu.outputs[0].successors.len() == 1
        && !model.output_outlets()?.contains(&OutletId::new(relu.id, 0));
    if !binop.is::<Max>() || relu.inputs.len() != 2 || !feeds_only_pool {
        return Ok(None);
    }
    let zero = model
        .outlet_fact(relu.inputs[1])?
        .konst
        .as_ref()
        .is_some_and(|k| {
            k.datum_type() == f32::datum_type()
                && k.len() == 1
                && k.try_as_plain_ram()
                    .and_then(|k| Ok(k.as_slice::<f32>()?[0] == 0.0))
                    .unwrap_or(false)
        });
    let x = model.outlet_fact(relu.inputs[0])?;
    let same_shape = x.shape == model.outlet_fact(pool.inputs[0])?.shape;
    Ok((zero && same_shape && x.datum_type == f32::datum_type()).then_some(relu.inputs[0]))
}

/// What a [`BlockPool`] computes over each tile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum PoolKind {
    /// ONNX `MaxPool`.
    Max,
    /// ONNX `AveragePool` (tiles have no padding, so every tile counts `kh·kw` values).
    Mean,
    /// tract's un-normalised sum pool.
    Sum,
}

/// Pooling of NCHW f32 tensors over non-overlapping `kh × kw` tiles (stride =
/// kernel, no padding; rows and columns left over at the bottom and right are
/// dropped, as ONNX's floor mode does), optionally after a ReLU. Each output
/// row reduces `kh` input rows element-wise (contiguous, so it vectorises),
/// then each tile's `kw` neighbours.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct BlockPool {
    /// The replaced op's spec: its output facts are this op's.
    pool_spec: PoolSpec,
    kind: PoolKind,
    /// Tile height (mel bands) and width (frames).
    kernel: [usize; 2],
    /// Applies `max(x, 0)` to the input first (a ReLU folded in).
    relu: bool,
}

impl BlockPool {
    /// The replacement for a pool with this spec on an input of this shape, if it tiles.
    fn for_spec(pool_spec: &PoolSpec, kind: PoolKind, input_shape: &[usize]) -> Option<Self> {
        if pool_spec.data_format != DataFormat::NCHW
            || pool_spec.rank() != 2
            || input_shape.len() != 4
            || pool_spec.dilations().iter().any(|&d| d != 1)
            || pool_spec.strides()[..] != pool_spec.kernel_shape[..]
        {
            return None;
        }
        let kernel = [pool_spec.kernel_shape[0], pool_spec.kernel_shape[1]];
        let padding = pool_spec.computed_padding(&input_shape[2..]);
        let tiles = padding
            .iter()
            .zip(&input_shape[2..])
            .zip(kernel)
            .all(|((p, &len), k)| {
                k > 0 && p.pad_before == 0 && p.pad_after == 0 && p.convoluted == len / k
            });
        tiles.then(|| Self {
            pool_spec: pool_spec.clone(),
            kind,
            kernel,
            relu: false,
        })
    }

    /// Pools `input` (`[n, c, h, w]`, row-major) into `output` (`[n, c, h / kh, w / kw]`).
    fn pool(&self, input: &[f32], [h, w]: [usize; 2], output: &mut [f32]) {
        let [kh, kw] = self.kernel;
        let (oh, ow) = (h / kh, w / kw);
        if oh == 0 || ow == 0 {
            return;
        }
        let max = self.kind == PoolKind::Max;
        let scale = match self.kind {
            PoolKind::Mean => 1.0 / (kh * kw) as f32,
            PoolKind::Max | PoolKind::Sum => 1.0,
        };
        let relu = self.relu;
        let mut rows = vec![0.0f32; ow * kw];
        for (plane, out_plane) in input
            .chunks_exact(h * w)
            .zip(output.chunks_exact_mut(oh * ow))
        {
            for (oy, out_row) in out_plane.chunks_exact_mut(ow).enumerate() {
                let band = &plane[oy * kh * w..][..kh * w];
                rows.copy_from_slice(&band[..ow * kw]);
                if relu {
                    // For a max this is also the ReLU of every later row:
                    // max(relu(a), relu(b)) = max(max(a, 0), b).
                    rows.iter_mut().for_each(|x| *x = max_f32(*x, 0.0));
                }
                for row in band.chunks_exact(w).skip(1) {
                    let row = &row[..ow * kw];
                    match (max, relu) {
                        (true, _) => {
                            for (acc, &x) in rows.iter_mut().zip(row) {
                                *acc = max_f32(*acc, x);
                            }
                        }
                        (false, true) => {
                            for (acc, &x) in rows.iter_mut().zip(row) {
                                *acc += max_f32(x, 0.0);
                            }
                        }
                        (false, false) => {
                            for (acc, &x) in rows.iter_mut().zip(row) {
                                *acc += x;
                            }
                        }
                    }
                }
                match (kw, max) {
                    (2, true) => reduce_tiles::<2>(&rows, out_row, max_f32, 1.0),
                    (4, true) => reduce_tiles::<4>(&rows, out_row, max_f32, 1.0),
                    (2, false) => reduce_tiles::<2>(&rows, out_row, |a, b| a + b, scale),
                    (4, false) => reduce_tiles::<4>(&rows, out_row, |a, b| a + b, scale),
                    _ => {
                        for (out, tile) in out_row.iter_mut().zip(rows.chunks_exact(kw)) {
                            let folded = if max {
                                tile.iter().copied().fold(f32::NEG_INFINITY, max_f32)
                            } else {
                                tile.iter().sum()
                            };
                            *out = folded * scale;
                        }
                    }
                }
            }
        }
    }
}

/// `max(a, b)` as one vector instruction (`maxps`) once the loop is vectorised.
/// It gives `b` when either is NaN, as tract's own max pool does for a NaN
/// after the first tap.
#[inline(always)]
fn max_f32(a: f32, b: f32) -> f32 {
    if a > b { a } else { b }
}

/// Reduces each group of `KW` neighbours of `rows` into `out`, times `scale`. A
/// constant `KW` lets the compiler vectorise the de-interleaving.
#[inline(always)]
fn reduce_tiles<const KW: usize>(
    rows: &[f32],
    out: &mut [f32],
    fold: impl Fn(f32, f32) -> f32,
    scale: f32,
) {
    for (out, tile) in out.iter_mut().zip(rows.chunks_exact(KW)) {
        let tile: &[f32; KW] = tile.try_into().expect("chunks of KW");
        let mut acc = tile[0];
        for &x in &tile[1..] {
            acc = fold(acc, x);
        }
        *out = acc * scale;
    }
}

impl Op for BlockPool {
    fn name(&self) -> StaticName {
        "GenreMeterBlockPool".into()
    }

    fn info(&self) -> TractResult<Vec<String>> {
        Ok(vec![format!(
            "{:?} {:?}{}",
            self.kind,
            self.kernel,
            if self.relu { " after ReLU" } else { "" }
        )])
    }

    fn validation(&self) -> Validation {
        Validation::Rounding
    }

    op_as_typed_op!();
}

impl EvalOp for BlockPool {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let input = args_1!(inputs);
        let &[n, c, h, w] = input.shape() else {
            bail!("BlockPool takes NCHW input, got shape {:?}", input.shape());
        };
        let [kh, kw] = self.kernel;
        let mut output = Tensor::zero::<f32>(&[n, c, h / kh, w / kw])?;
        {
            let input = input.try_as_plain_ram()?;
            let mut out = output.try_as_plain_ram_mut()?;
            self.pool(input.as_slice::<f32>()?, [h, w], out.as_slice_mut::<f32>()?);
        }
        Ok(tvec!(output.into_tvalue()))
    }
}

impl TypedOp for BlockPool {
    as_op!();

    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        self.pool_spec.output_facts(inputs)
    }
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
    use super::test_graphs::{ints, model, noise, run, worst_difference};
    use super::*;
    use tract_onnx::pb;

    /// An ONNX graph `x → [Relu →] op_type` with the given kernel and strides
    /// (and, for `pads`, explicit zero padding of that size on every side).
    fn pool_graph(
        op_type: &str,
        kernel: [i64; 2],
        strides: [i64; 2],
        pads: i64,
        relu: bool,
    ) -> pb::ModelProto {
        let mut node = Vec::new();
        if relu {
            node.push(pb::NodeProto {
                input: vec!["x".into()],
                output: vec!["r".into()],
                name: "relu".into(),
                op_type: "Relu".into(),
                ..Default::default()
            });
        }
        node.push(pb::NodeProto {
            input: vec![if relu { "r" } else { "x" }.into()],
            output: vec!["y".into()],
            name: "pool".into(),
            op_type: op_type.into(),
            attribute: vec![
                ints("kernel_shape", kernel.to_vec()),
                ints("strides", strides.to_vec()),
                ints("pads", vec![pads; 4]),
            ],
            ..Default::default()
        });
        model("pool", node, Vec::new())
    }

    /// tract's own output for `proto` on `input`, the output with the pools
    /// replaced, and how many were replaced.
    fn stock_and_replaced(
        proto: &pb::ModelProto,
        shape: [usize; 4],
        input: &[f32],
    ) -> (Tensor, Tensor, usize) {
        let optimized = tract_onnx::onnx()
            .model_for_proto_model(proto)
            .unwrap()
            .with_input_fact(0, f32::fact(shape).into())
            .unwrap()
            .into_optimized()
            .unwrap();
        let mut replaced = optimized.clone();
        let count = replace_pools(&mut replaced).unwrap();
        let fused_relu = replaced
            .nodes
            .iter()
            .filter_map(|n| n.op_as::<BlockPool>())
            .any(|p| p.relu);
        let has_relu = proto
            .graph
            .as_ref()
            .unwrap()
            .node
            .iter()
            .any(|n| n.op_type == "Relu");
        assert_eq!(
            fused_relu,
            has_relu && count > 0,
            "ReLU folded into the pool"
        );
        let input = Tensor::from_shape(&shape, input).unwrap();
        (run(optimized, &input), run(replaced, &input), count)
    }

    #[test]
    fn block_pools_match_tracts_own_pools() {
        let cases = [
            ("MaxPool", [4, 4], false),
            ("MaxPool", [4, 4], true),
            ("MaxPool", [2, 2], true),
            ("MaxPool", [3, 2], false),
            ("AveragePool", [4, 4], true),
            ("AveragePool", [2, 2], false),
            ("AveragePool", [2, 3], true),
        ];
        // The network's first pool, and odd sizes with rows and columns left over.
        for shape in [[1, 8, 128, 130], [2, 3, 9, 7], [1, 1, 4, 4]] {
            let input = noise(shape.iter().product(), 7);
            for (op_type, kernel, relu) in cases {
                let proto = pool_graph(op_type, kernel, kernel, 0, relu);
                let (stock, ours, count) = stock_and_replaced(&proto, shape, &input);
                let what = format!("{op_type} {kernel:?} relu {relu} on {shape:?}");
                assert_eq!(count, 1, "{what}: pool not replaced");
                assert_eq!(stock.shape(), ours.shape(), "{what}");
                let worst = worst_difference(&stock, &ours);
                // Max pools pick the same value; averages sum in another order.
                let tolerance = if op_type == "MaxPool" { 0.0 } else { 1e-6 };
                assert!(worst <= tolerance, "{what}: worst difference {worst}");
            }
        }
    }

    #[test]
    fn overlapping_or_padded_pools_stay_with_tract() {
        let shape = [1, 2, 16, 16];
        let input = noise(shape.iter().product(), 3);
        for (kernel, strides, pads) in [
            ([3, 3], [2, 2], 0),
            ([2, 2], [2, 2], 1),
            ([2, 2], [1, 1], 0),
        ] {
            let proto = pool_graph("MaxPool", kernel, strides, pads, true);
            let (_, _, count) = stock_and_replaced(&proto, shape, &input);
            assert_eq!(
                count, 0,
                "kernel {kernel:?} strides {strides:?} pads {pads}"
            );
        }
    }

    #[test]
    fn softmax_sums_to_one_and_orders() {
        let mut v = [1.0, 3.0, 2.0, -1000.0];
        softmax_in_place(&mut v);
        assert!((v.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(v[1] > v[2] && v[2] > v[0] && v[3] >= 0.0);
    }
}
