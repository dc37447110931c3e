"""End-to-end check of the training pipeline on a tiny synthetic feature directory.

    training/.venv/bin/python -m pytest training/tests -q

Not part of CI (torch is too heavy there): a developer check that training,
export, the card and the golden pair fit together. A deliberately odd feature
shape (48 mels x 40 frames, 3 labels) catches any hard-coded 128/130/10.
"""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest

import export
import synthetic
import train

LABELS = ("blues", "jazz", "metal")
N_MELS, WINDOW_FRAMES = 48, 40

CARD_KEYS = {"format_version", "name", "model_file", "labels", "features", "input", "output",
             "normalization", "golden", "training", "metrics"}
TRAINING_KEYS = {"data", "dataset", "split_method", "num_windows", "num_files", "epochs_run", "best_epoch",
                 "optimizer", "loss", "augmentation", "seed", "torch_version", "command", "date", "duration_s"}
SPLIT_METRIC_KEYS = {"window_accuracy", "file_accuracy", "num_files", "per_class_recall", "confusion_matrix"}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("pipeline")
    features = synthetic.write_synthetic(root / "features", LABELS, N_MELS, WINDOW_FRAMES, windows_per_file=3)
    out = root / "models"
    card = train.train(train.parse_args([str(features), "--out", str(out), "--epochs", "1",
                                         "--max-minutes", "1", "--seed", "1"]))
    return features, out, card


def test_card_has_every_required_key(trained):
    features, out, card = trained
    on_disk = json.loads((out / "genre_cnn.json").read_text())
    assert on_disk == json.loads(json.dumps(card))
    assert CARD_KEYS <= set(card)
    assert TRAINING_KEYS <= set(card["training"])
    assert {"train_accuracy", "val_accuracy", "splits"} <= set(card["metrics"])
    assert set(card["metrics"]["splits"]) == {"test", "test_template"}
    for split in card["metrics"]["splits"].values():
        assert SPLIT_METRIC_KEYS <= set(split)
        assert set(split["per_class_recall"]) == set(LABELS)
        assert np.asarray(split["confusion_matrix"]).shape == (len(LABELS), len(LABELS))
    assert card["labels"] == list(LABELS)
    assert card["features"] == json.loads((features / "meta.json").read_text())["features"]
    assert card["training"]["epochs_run"] == 1
    for name in (card["model_file"], card["golden"]["inputs"], card["golden"]["logits"],
                 "genre_cnn_training.png", "genre_cnn_confusion.png"):
        assert (out / name).is_file(), name


def test_onnx_shapes_follow_labels_and_features(trained):
    _, out, card = trained
    assert card["input"] == {"name": "mel", "shape": [None, 1, N_MELS, WINDOW_FRAMES]}
    assert card["output"] == {"name": "logits", "shape": [None, len(LABELS)]}
    graph = onnx.load(str(out / card["model_file"])).graph
    assert [i.name for i in graph.input] == ["mel"]
    assert [o.name for o in graph.output] == ["logits"]
    assert graph.input[0].type.tensor_type.shape.dim[0].dim_param == "N"
    assert (out / card["model_file"]).stat().st_size <= export.MAX_ONNX_BYTES


def test_onnxruntime_reproduces_golden(trained):
    _, out, card = trained
    raw_x = np.load(out / card["golden"]["inputs"])
    expected = np.load(out / card["golden"]["logits"])
    assert raw_x.dtype == np.float32 and raw_x.shape[1:] == (N_MELS, WINDOW_FRAMES)
    assert expected.dtype == np.float32 and expected.shape == (raw_x.shape[0], len(LABELS))
    norm = card["normalization"]
    actual = export.run_onnx(out / card["model_file"], raw_x, norm["mean"], norm["std"])
    worst = float(np.abs(actual - expected).max())
    assert worst <= card["golden"]["tolerance"] == 1e-4, f"max |diff| {worst}"
