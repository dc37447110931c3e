"""Accuracy, statuses and calibration from logits. Numpy only, shared by
training, calibration and the robustness evaluation so all report the same
numbers the same way.

Files are aggregated exactly as the Rust side does (`genre_core::verdict`):
each window gets a verdict; windows whose top output is a "no genre" output
(e.g. `not_music`) are counted apart; a file's estimate is the mean
probability of the windows of whichever kind is in the majority (music on a
tie); its status is `not_music` when a no-genre output tops that estimate,
`uncertain` when the top genre's probability is below the threshold, `ok`
otherwise.
"""

from __future__ import annotations

import numpy as np

OK, UNCERTAIN, NOT_MUSIC = "ok", "uncertain", "not_music"
ECE_BINS = 15


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    scaled = logits.astype(np.float64) / temperature
    shifted = scaled - scaled.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def statuses(probs: np.ndarray, is_genre: np.ndarray, threshold: float) -> np.ndarray:
    """Status of each row of `probs` (`[n, labels]`), as `Decider::decide` gives it."""
    genre_p = np.where(is_genre[None, :], probs, -1.0).max(axis=1)
    no_genre_p = np.where(~is_genre[None, :], probs, -1.0).max(axis=1)
    out = np.full(len(probs), OK, dtype=object)
    out[genre_p < threshold] = UNCERTAIN
    out[no_genre_p > genre_p] = NOT_MUSIC
    return out


def file_estimates(probs: np.ndarray, file_idx: np.ndarray, is_genre: np.ndarray) -> np.ndarray:
    """`[num_files, labels]` estimates combined like `genre_core::verdict::Tally`."""
    num_files = int(file_idx.max()) + 1 if file_idx.size else 0
    genre_p = np.where(is_genre[None, :], probs, -1.0).max(axis=1)
    no_genre_p = np.where(~is_genre[None, :], probs, -1.0).max(axis=1)
    window_is_music = no_genre_p <= genre_p
    sums = {kind: np.zeros((num_files, probs.shape[1])) for kind in (True, False)}
    counts = {kind: np.zeros(num_files) for kind in (True, False)}
    for kind in (True, False):
        rows = window_is_music == kind
        np.add.at(sums[kind], file_idx[rows], probs[rows])
        np.add.at(counts[kind], file_idx[rows], 1)
    mostly_not_music = counts[False] > counts[True]
    chosen_sums = np.where(mostly_not_music[:, None], sums[False], sums[True])
    chosen_counts = np.where(mostly_not_music, counts[False], counts[True])
    return chosen_sums / np.maximum(chosen_counts, 1)[:, None]


def file_labels(y: np.ndarray, file_idx: np.ndarray) -> np.ndarray:
    num_files = int(file_idx.max()) + 1 if file_idx.size else 0
    file_y = np.full(num_files, -1, dtype=np.int64)
    file_y[file_idx] = y
    return file_y


def expected_calibration_error(probs: np.ndarray, y: np.ndarray, bins: int = ECE_BINS) -> float:
    """ECE of the top output: mean |accuracy − confidence| over equal-width confidence bins, weighted by count."""
    if len(y) == 0:
        return float("nan")
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        rows = which == b
        if rows.any():
            ece += rows.mean() * abs(correct[rows].mean() - confidence[rows].mean())
    return float(ece)


def split_metrics(
    logits: np.ndarray,
    y: np.ndarray,
    file_idx: np.ndarray,
    labels: list[str],
    is_genre: np.ndarray | None = None,
    temperature: float = 1.0,
    threshold: float = 0.0,
) -> dict:
    """Window and file accuracy of one split, file statuses and calibration.

    A file's prediction is the top output of its combined estimate (see the
    module docs). Per-class recall and the confusion matrix (rows = true
    label, columns = predicted, counts) are file-level. With a "no genre"
    output, `status_fractions` says how the files' statuses fall.
    """
    num_labels = len(labels)
    is_genre = np.ones(num_labels, dtype=bool) if is_genre is None else is_genre
    probs = softmax(logits, temperature)
    window_pred = probs.argmax(axis=1)
    file_probs = file_estimates(probs, file_idx, is_genre)
    file_y = file_labels(y, file_idx)
    num_files = len(file_y)
    file_pred = file_probs.argmax(axis=1)
    confusion = np.zeros((num_labels, num_labels), dtype=np.int64)
    np.add.at(confusion, (file_y, file_pred), 1)
    per_class_total = confusion.sum(axis=1)
    per_class_recall = {
        label: (float(confusion[i, i] / per_class_total[i]) if per_class_total[i] else None)
        for i, label in enumerate(labels)
    }
    file_status = statuses(file_probs, is_genre, threshold)
    return {
        "window_accuracy": float((window_pred == y).mean()) if y.size else None,
        "file_accuracy": float((file_pred == file_y).mean()) if num_files else None,
        "num_files": num_files,
        "num_windows": int(y.size),
        "per_class_recall": per_class_recall,
        "confusion_matrix": confusion.tolist(),
        "window_ece": expected_calibration_error(probs, y),
        "file_ece": expected_calibration_error(file_probs, file_y),
        "status_fractions": {s: float((file_status == s).mean()) if num_files else None
                             for s in (OK, UNCERTAIN, NOT_MUSIC)},
        "ok_accuracy": (float((file_pred == file_y)[file_status == OK].mean())
                        if (file_status == OK).any() else None),
    }
