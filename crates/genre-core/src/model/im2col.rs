//! A faster writer for tract's eager im2col: the matrix a convolution's
//! matrix product reads, packed in the panels tract's kernel expects.
//!
//! tract 0.23.9 plans the shipped network's 3×3 convolutions with a "lazy"
//! im2col, which gathers the patches element by element inside the matrix
//! product: two thirds of those layers' time. Its eager im2col (the same
//! matrix built before the product) made the products twice as fast, but
//! wrote the matrix one row of `k` at a time across every panel, which cost
//! what the product saved. [`PanelIm2col`] writes the same packed matrix a
//! panel at a time, each of its rows one fixed-size copy from a shifted,
//! zero-padded copy of the input, so the products run on eager input at
//! little cost. [`eager_im2col_scope`]
//! makes tract plan the eager kind; [`replace_im2col`] then swaps each
//! eager im2col it can serve for a [`PanelIm2col`] with the same output.

use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::knobs::KnobScope;
use tract_onnx::tract_core::ops::cnn::conv::Im2Col;
use tract_onnx::tract_core::ops::nn::DataFormat;
use tract_onnx::tract_core::tract_linalg::mmm::{
    EagerPackedInput, MMMInputValue, PackedExoticFact, PackedMatrixStorage,
};
use tract_onnx::tract_core::tract_linalg::pack::PackedFormat;

/// Knob settings under which tract plans every convolution it would run
/// through a matrix product with an eager im2col (up to its own ceiling on
/// the matrix's size, 4 MiB): enter it around `into_optimized`.
pub(super) fn eager_im2col_scope() -> TractResult<KnobScope> {
    // The smallest kernel volume (kh·kw) for which tract prefers the lazy
    // kind; the default, 6, takes every 3×3 convolution.
    KnobScope::new([("TRACT_LAZY_IM2COL_MIN_KERNEL", "1000000")])
}

/// Swaps every eager [`Im2Col`] that [`PanelIm2col`] can serve (NCHW f32,
/// stride 1, no dilation, one group, packed for a plain f32 kernel) for it.
/// Returns how many were swapped.
pub(super) fn replace_im2col(model: &mut TypedModel) -> TractResult<usize> {
    let mut replaced = 0;
    for id in 0..model.nodes.len() {
        let node = &model.nodes[id];
        let Some(stock) = node.op_as::<Im2Col>() else {
            continue;
        };
        // A second input is a non-zero padding value.
        if node.inputs.len() != 1 {
            continue;
        }
        let input = model.outlet_fact(node.inputs[0])?;
        let output = model.outlet_fact(OutletId::new(id, 0))?;
        let Some(packed) = output
            .exotic_fact()
            .and_then(|f| f.downcast_ref::<PackedExoticFact>())
        else {
            continue;
        };
        let (Some(format), Some(shape)) = (
            packed.format.downcast_ref::<PackedFormat>(),
            input.shape.as_concrete(),
        ) else {
            continue;
        };
        if input.datum_type != f32::datum_type() || format.dt != f32::datum_type() {
            continue;
        }
        let Some(op) = PanelIm2col::for_im2col(stock, format, packed.k, shape) else {
            continue;
        };
        let patch = TypedModelPatch::replace_single_op(model, node, &node.inputs, op)?;
        patch.apply(model)?;
        replaced += 1;
    }
    Ok(replaced)
}

/// Eager im2col for a stride-1 NCHW f32 convolution, one packed panel at a
/// time; see the module docs. Its output is the replaced [`Im2Col`]'s, value
/// for value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct PanelIm2col {
    /// The replaced op: its output facts are this op's.
    stock: Im2Col,
    /// How the matrix product wants its input: panels of `format.r` output
    /// positions, each `k` rows of `r` values (plus the end padding record).
    format: PackedFormat,
    /// Rows of the matrix: channels × kernel height × kernel width, in that
    /// order (tract's, and the packed kernel's).
    k: usize,
    /// Input channels.
    channels: usize,
    /// Input height and width.
    input_hw: [usize; 2],
    /// Kernel height and width.
    kernel: [usize; 2],
    /// Zero rows above and columns left of the input.
    pad_before: [usize; 2],
    /// Output height and width.
    output_hw: [usize; 2],
}

impl PanelIm2col {
    /// The replacement for `stock` on an input of this shape, if it serves it.
    fn for_im2col(
        stock: &Im2Col,
        format: &PackedFormat,
        k: usize,
        input_shape: &[usize],
    ) -> Option<Self> {
        let spec = &stock.pool_spec;
        if spec.data_format != DataFormat::NCHW
            || spec.rank() != 2
            || input_shape.len() != 4
            || stock.group != 1
            || spec.strides().iter().any(|&s| s != 1)
            || spec.dilations().iter().any(|&d| d != 1)
            || format.r == 0
        {
            return None;
        }
        let channels = input_shape[1];
        let input_hw = [input_shape[2], input_shape[3]];
        let kernel = [spec.kernel_shape[0], spec.kernel_shape[1]];
        if k != channels * kernel[0] * kernel[1] {
            return None;
        }
        let padding = spec.computed_padding(&input_hw);
        let pad_before = [padding[0].pad_before, padding[1].pad_before];
        let output_hw = [padding[0].convoluted, padding[1].convoluted];
        Some(Self {
            stock: stock.clone(),
            format: format.clone(),
            k,
            channels,
            input_hw,
            kernel,
            pad_before,
            output_hw,
        })
    }

    /// Values in one image's [`shift`](Self::shift)ed planes.
    fn shifted_len(&self) -> usize {
        let [kh, kw] = self.kernel;
        let [oh, ow] = self.output_hw;
        self.channels * kw * (oh + kh - 1) * ow
    }

    /// Copies one image (`channels × h × w`) into `shifted` (zeroed, see
    /// [`shifted_len`](Self::shifted_len)): per channel and kernel column
    /// `kx`, the zero-padded input as the output's columns see it through
    /// tap `kx`, `oh + kh − 1` rows of `ow` values. Row `oy + ky` of plane
    /// `(c, kx)` holds, for every output column `ox`, the input value that
    /// tap `(ky, kx)` of output position `(oy, ox)` reads. Output positions
    /// are consecutive in each plane, across rows: the packed matrix's row
    /// for tap `(c, ky, kx)` is plane `(c, kx)` from row `ky` on.
    fn shift(&self, image: &[f32], shifted: &mut [f32]) {
        let [h, w] = self.input_hw;
        let [kh, kw] = self.kernel;
        let [oh, ow] = self.output_hw;
        let [top, left] = self.pad_before;
        let plane_len = (oh + kh - 1) * ow;
        // Input rows inside the planes (padding may also crop).
        let rows = h.min((oh + kh - 1).saturating_sub(top));
        let mut planes = shifted.chunks_exact_mut(plane_len);
        for channel in image.chunks_exact(h * w) {
            for kx in 0..kw {
                let plane = planes.next().expect("channels × kw planes");
                // Output columns whose tap kx reads inside the input row.
                let first = left.saturating_sub(kx);
                let end = ow.min((w + left).saturating_sub(kx));
                if first >= end {
                    continue;
                }
                let first_in = first + kx - left;
                for (row, out_row) in channel
                    .chunks_exact(w)
                    .zip(plane.chunks_exact_mut(ow).skip(top))
                    .take(rows)
                {
                    copy_short(&mut out_row[first..end], &row[first_in..][..end - first]);
                }
            }
        }
    }

    /// Writes the packed matrix of one image's shifted planes into `packed`
    /// (`panels × single_panel_len(k)` values), every value of it: the
    /// columns of a last, partial panel and the rows past `k` are zeros.
    fn pack(&self, shifted: &[f32], packed: &mut [f32]) {
        match self.format.r {
            8 => self.pack_panels::<8>(shifted, packed),
            12 => self.pack_panels::<12>(shifted, packed),
            16 => self.pack_panels::<16>(shifted, packed),
            24 => self.pack_panels::<24>(shifted, packed),
            32 => self.pack_panels::<32>(shifted, packed),
            _ => self.pack_panels::<0>(shifted, packed),
        }
    }

    /// [`pack`](Self::pack) for panels of `R` columns (the format's `r`,
    /// known to the compiler so whole rows are fixed-size moves), or of the
    /// format's `r` when `R` is 0.
    #[inline(always)]
    fn pack_panels<const R: usize>(&self, shifted: &[f32], packed: &mut [f32]) {
        let r = if R == 0 { self.format.r } else { R };
        let panel_len = self.format.single_panel_len(self.k);
        let [kh, kw] = self.kernel;
        let [oh, ow] = self.output_hw;
        let n = oh * ow;
        let plane_len = (oh + kh - 1) * ow;
        for (p, panel) in packed.chunks_exact_mut(panel_len).enumerate() {
            let first = p * r;
            let filled = r.min(n - first);
            let (data, rest) = panel.split_at_mut(self.k * r);
            rest.fill(0.0);
            let mut rows = data.chunks_exact_mut(r);
            for planes in shifted.chunks_exact(kw * plane_len) {
                for ky in 0..kh {
                    for plane in planes.chunks_exact(plane_len) {
                        let row = rows.next().expect("a panel holds k rows of r");
                        let source = &plane[ky * ow + first..];
                        if R != 0 && filled == R {
                            let row: &mut [f32; R] = row.try_into().expect("rows of R");
                            *row = *source.first_chunk::<R>().expect("a whole panel");
                        } else {
                            copy_short(&mut row[..filled], &source[..filled]);
                            row[filled..].fill(0.0);
                        }
                    }
                }
            }
        }
    }
}

/// `dst.copy_from_slice(src)` for short rows (a few to a few dozen
/// values), as fixed-size moves: a `memcpy` call per row cost more than the
/// copy.
#[inline(always)]
fn copy_short(dst: &mut [f32], src: &[f32]) {
    const CHUNK: usize = 8;
    let len = dst.len();
    assert_eq!(len, src.len());
    if len < CHUNK {
        for (d, &s) in dst.iter_mut().zip(src) {
            *d = s;
        }
        return;
    }
    // Whole chunks, then one chunk ending at the end (overlapping the last
    // whole one when the length is not a multiple).
    for (d, s) in dst
        .as_chunks_mut::<CHUNK>()
        .0
        .iter_mut()
        .zip(src.as_chunks::<CHUNK>().0)
    {
        *d = *s;
    }
    let tail = len - CHUNK;
    let d: &mut [f32; CHUNK] = (&mut dst[tail..]).try_into().expect("CHUNK values");
    *d = *src[tail..].first_chunk::<CHUNK>().expect("CHUNK values");
}

impl Op for PanelIm2col {
    fn name(&self) -> StaticName {
        "GenreMeterIm2col".into()
    }

    fn info(&self) -> TractResult<Vec<String>> {
        Ok(vec![format!(
            "k {} × n {}, panels of {}",
            self.k,
            self.output_hw[0] * self.output_hw[1],
            self.format.r
        )])
    }

    op_as_typed_op!();
}

impl EvalOp for PanelIm2col {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let input = args_1!(inputs);
        let want = [self.channels, self.input_hw[0], self.input_hw[1]];
        let &[batch, ref chw @ ..] = input.shape() else {
            bail!("GenreMeterIm2col takes NCHW input, got {:?}", input.shape());
        };
        ensure!(
            chw == want,
            "input {:?}, planned for [N, {want:?}]",
            input.shape()
        );
        let n = self.output_hw[0] * self.output_hw[1];
        let panel_len = self.format.single_panel_len(self.k);
        let panels = n.div_ceil(self.format.r);
        let input = input.try_as_plain_ram()?;
        let images = input.as_slice::<f32>()?;
        let mut shifted = vec![0.0f32; self.shifted_len()];
        let mut values: TVec<Box<dyn MMMInputValue>> = TVec::with_capacity(batch);
        for image in images.chunks_exact(want.iter().product()) {
            self.shift(image, &mut shifted);
            // SAFETY: `pack` writes every value before the tensor is read.
            let mut packed = unsafe {
                Tensor::uninitialized_aligned::<f32>(
                    &[panels * panel_len],
                    self.format.alignment(),
                )?
            };
            {
                let mut view = packed.try_as_plain_ram_mut()?;
                self.pack(&shifted, view.as_slice_mut::<f32>()?);
            }
            values.push(Box::new(EagerPackedInput {
                fact: PackedExoticFact {
                    format: Box::new(self.format.clone()),
                    k: self.k,
                    mn: n.to_dim(),
                },
                packed: packed.into_blob()?.into(),
                panel_bytes: panel_len * size_of::<f32>(),
                mn: n,
            }));
        }
        let output =
            PackedMatrixStorage::new_batched(&[batch, 1], values).into_tensor(f32::datum_type());
        Ok(tvec!(output.into_tvalue()))
    }
}

impl TypedOp for PanelIm2col {
    as_op!();

    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        self.stock.output_facts(inputs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_graphs::{float_tensor, ints, model, noise, run, worst_difference};
    use tract_onnx::pb;

    /// A one-node ONNX graph `y = Conv(x, w, b)` with the given kernel and
    /// ONNX `pads` ([top, left, bottom, right]), stride 1.
    fn conv_graph(
        in_channels: usize,
        out_channels: usize,
        kernel: [usize; 2],
        pads: [usize; 4],
    ) -> pb::ModelProto {
        let weights_len = out_channels * in_channels * kernel[0] * kernel[1];
        let initializer = vec![
            float_tensor(
                "w",
                &[out_channels, in_channels, kernel[0], kernel[1]],
                noise(weights_len, 11),
            ),
            float_tensor("b", &[out_channels], noise(out_channels, 13)),
        ];
        let node = pb::NodeProto {
            input: vec!["x".into(), "w".into(), "b".into()],
            output: vec!["y".into()],
            name: "conv".into(),
            op_type: "Conv".into(),
            attribute: vec![
                ints("kernel_shape", kernel.map(|k| k as i64).to_vec()),
                ints("pads", pads.map(|p| p as i64).to_vec()),
            ],
            ..Default::default()
        };
        model("conv", vec![node], initializer)
    }

    /// The stride-1 convolutions of a conv–pool CNN (the shipped network's
    /// three im2col layers among them), odd sizes with a partial last
    /// panel, asymmetric and no padding, wide kernels and a batch of two
    /// (with more output channels than the matrix kernel it picks has rows,
    /// or tract keeps its lazy im2col even in the eager scope):
    /// tract's own plan (lazy im2col) and the plan with [`PanelIm2col`]
    /// give the same outputs.
    #[test]
    fn panel_im2col_matches_tracts_convolutions() {
        /// Input shape, output channels, kernel, ONNX pads.
        type Case = ([usize; 4], usize, [usize; 2], [usize; 4]);
        let cases: [Case; 8] = [
            ([1, 8, 32, 32], 32, [3, 3], [1; 4]),
            ([1, 32, 16, 16], 64, [3, 3], [1; 4]),
            ([1, 64, 8, 8], 128, [3, 3], [1; 4]),
            ([1, 8, 19, 17], 64, [3, 3], [1; 4]),
            ([2, 4, 10, 12], 6, [5, 5], [2; 4]),
            ([1, 8, 21, 23], 64, [3, 3], [0; 4]),
            ([1, 12, 8, 9], 40, [2, 3], [1, 0, 0, 2]),
            ([1, 5, 6, 40], 36, [3, 5], [1, 2, 1, 2]),
        ];
        for (shape, out_channels, kernel, pads) in cases {
            let what = format!("input {shape:?}, kernel {kernel:?}, pads {pads:?}");
            let proto = conv_graph(shape[1], out_channels, kernel, pads);
            let model = tract_onnx::onnx()
                .model_for_proto_model(&proto)
                .unwrap()
                .with_input_fact(0, f32::fact(shape).into())
                .unwrap();
            let stock = model.clone().into_optimized().unwrap();
            let mut ours = eager_im2col_scope()
                .unwrap()
                .enter(|| model.into_optimized())
                .unwrap();
            let ops: Vec<_> = ours.nodes.iter().map(|n| n.op.name()).collect();
            assert_eq!(
                replace_im2col(&mut ours).unwrap(),
                1,
                "{what}: not replaced in {ops:?}"
            );
            let input = Tensor::from_shape(&shape, &noise(shape.iter().product(), 7)).unwrap();
            let (stock, ours) = (run(stock, &input), run(ours, &input));
            let worst = worst_difference(&stock, &ours);
            // Same products, possibly summed in another order.
            assert!(worst <= 1e-4, "{what}: worst difference {worst}");
        }
    }
}
