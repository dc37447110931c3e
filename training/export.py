"""ONNX export, golden input/output pair, and the check that onnxruntime agrees.

The exported graph takes NORMALISED log-mel (`(x - mean) / std` with the card's
scalars) as `mel` `[N, 1, n_mels, window_frames]` and returns `logits`
`[N, num_labels]`, batch dimension named "N". The TorchScript exporter
(`dynamo=False`) at opset 17 emits only plain ops (ReduceMean, Sub, Conv,
BatchNormalization, Relu, AveragePool or MaxPool, GlobalAveragePool, Flatten,
Gemm), all of which tract runs.

The golden files let the Rust side assert it runs the same network: raw dB
windows (before normalisation, so the Rust test also exercises the card's
normalisation) and the PyTorch eval-mode logits for them.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch

OPSET_VERSION = 17
INPUT_NAME = "mel"
OUTPUT_NAME = "logits"
GOLDEN_TOLERANCE = 1e-4
MAX_ONNX_BYTES = 2 * 1024 * 1024
#: Ops tract runs without surprises; anything else is reported loudly.
PLAIN_OPS = {"Conv", "BatchNormalization", "Relu", "MaxPool", "AveragePool", "GlobalAveragePool", "ReduceMean",
             "Flatten", "Reshape", "Gemm", "MatMul", "Add", "Sub"}


class ExportError(RuntimeError):
    """The exported model is too large, uses unexpected ops, or disagrees with PyTorch."""


def export_onnx(model: torch.nn.Module, path: Path, n_mels: int, window_frames: int) -> list[str]:
    """Writes the model to `path`; returns the ONNX op types it uses."""
    import onnx

    model.eval()
    dummy = torch.zeros(2, 1, n_mels, window_frames)
    # NOTE: the dynamo exporter (torch 2.15) only emits opset 18 for this model (its
    # down-conversion to 17 fails on ReduceMean); the TorchScript one gives opset 17,
    # at the price of a deprecation warning, silenced here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model,
            (dummy,),
            str(path),
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes={INPUT_NAME: {0: "N"}, OUTPUT_NAME: {0: "N"}},
            opset_version=OPSET_VERSION,
            do_constant_folding=True,
            dynamo=False,
        )
    onnx_model = onnx.load(str(path))
    onnx.checker.check_model(onnx_model)
    size_bytes = path.stat().st_size
    if size_bytes > MAX_ONNX_BYTES:
        raise ExportError(f"{path}: {size_bytes} bytes, over the {MAX_ONNX_BYTES} byte budget")
    ops = sorted({node.op_type for node in onnx_model.graph.node})
    unexpected = set(ops) - PLAIN_OPS
    if unexpected:
        raise ExportError(f"{path}: uses ops {sorted(unexpected)} outside the plain set {sorted(PLAIN_OPS)}")
    return ops


def onnx_io_shapes(path: Path) -> dict[str, list]:
    """Input and output shapes as the card writes them (`None` for symbolic dims)."""
    import onnx

    graph = onnx.load(str(path)).graph

    def shape(value) -> list:
        return [d.dim_value if d.HasField("dim_value") else None for d in value.type.tensor_type.shape.dim]

    return {
        value.name: shape(value) for value in list(graph.input) + list(graph.output)
    }


def pick_golden_rows(num_windows: int, file_idx: np.ndarray, k: int) -> np.ndarray:
    """Up to `k` window rows spread over the split, from distinct files where possible."""
    first_of_file = np.unique(file_idx, return_index=True)[1]
    candidates = first_of_file if len(first_of_file) >= k else np.arange(num_windows)
    picks = np.linspace(0, len(candidates) - 1, num=min(k, len(candidates))).round().astype(int)
    return np.sort(candidates[picks])


def write_golden(
    model: torch.nn.Module, raw_x: np.ndarray, mean: float, std: float, out_dir: Path, name: str
) -> dict:
    """Saves raw windows and PyTorch logits for `(raw_x - mean) / std`; returns the card entry."""
    model.eval()
    with torch.no_grad():
        normalised = torch.from_numpy((raw_x - np.float32(mean)) / np.float32(std)).unsqueeze(1)
        logits = model(normalised).numpy().astype(np.float32)
    inputs_name, logits_name = f"{name}_golden_x.npy", f"{name}_golden_logits.npy"
    np.save(out_dir / inputs_name, raw_x.astype(np.float32))
    np.save(out_dir / logits_name, logits)
    return {"inputs": inputs_name, "logits": logits_name, "tolerance": GOLDEN_TOLERANCE}


def run_onnx(path: Path, raw_x: np.ndarray, mean: float, std: float) -> np.ndarray:
    """Logits from onnxruntime for raw dB windows `[n, n_mels, frames]`, normalised like Rust does."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    normalised = ((raw_x - np.float32(mean)) / np.float32(std)).astype(np.float32)[:, None]
    return session.run([OUTPUT_NAME], {INPUT_NAME: normalised})[0]


def verify_golden(onnx_path: Path, out_dir: Path, golden: dict, mean: float, std: float) -> float:
    """Raises `ExportError` unless onnxruntime reproduces the golden logits; returns the worst diff."""
    raw_x = np.load(out_dir / golden["inputs"])
    expected = np.load(out_dir / golden["logits"])
    actual = run_onnx(onnx_path, raw_x, mean, std)
    if actual.shape != expected.shape:
        raise ExportError(f"{onnx_path}: onnxruntime logits {actual.shape}, golden {expected.shape}")
    worst = float(np.abs(actual - expected).max())
    if not worst <= golden["tolerance"]:
        raise ExportError(
            f"{onnx_path}: onnxruntime logits differ from PyTorch by {worst:.3g} "
            f"(tolerance {golden['tolerance']}) on {golden['inputs']}"
        )
    return worst
