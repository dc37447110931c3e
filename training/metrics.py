"""Accuracy from logits: per window, per file (mean of window probabilities),
per-class recall and a confusion matrix. Numpy only, shared by training and the
robustness evaluation so both report the same numbers the same way.
"""

from __future__ import annotations

import numpy as np


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def split_metrics(
    logits: np.ndarray, y: np.ndarray, file_idx: np.ndarray, labels: list[str]
) -> dict:
    """Window and file accuracy of one split.

    A file's prediction is the argmax of the mean of its windows' softmax
    probabilities, which is how the CLI classifies a file. Per-class recall and
    the confusion matrix (rows = true label, columns = predicted, counts) are
    file-level for the same reason.
    """
    num_labels = len(labels)
    window_pred = logits.argmax(axis=1)
    probs = softmax(logits.astype(np.float64))
    num_files = int(file_idx.max()) + 1 if file_idx.size else 0
    file_probs = np.zeros((num_files, num_labels))
    np.add.at(file_probs, file_idx, probs)
    file_y = np.full(num_files, -1, dtype=np.int64)
    file_y[file_idx] = y
    file_pred = file_probs.argmax(axis=1)
    confusion = np.zeros((num_labels, num_labels), dtype=np.int64)
    np.add.at(confusion, (file_y, file_pred), 1)
    per_class_total = confusion.sum(axis=1)
    per_class_recall = {
        label: (float(confusion[i, i] / per_class_total[i]) if per_class_total[i] else None)
        for i, label in enumerate(labels)
    }
    return {
        "window_accuracy": float((window_pred == y).mean()) if y.size else None,
        "file_accuracy": float((file_pred == file_y).mean()) if num_files else None,
        "num_files": num_files,
        "num_windows": int(y.size),
        "per_class_recall": per_class_recall,
        "confusion_matrix": confusion.tolist(),
    }
