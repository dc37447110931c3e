"""Calibration: the temperature and the "uncertain" threshold of the model card.

A network trained with cross-entropy on clean renders is over-confident on
anything else: it calls white noise metal at 100 %. Two numbers in the card
(`decision.temperature`, `decision.uncertain_threshold`) make its
probabilities mean what they say and tell the CLI and the plugin when to
answer "uncertain" instead of naming a genre:

- the temperature T minimises the negative log-likelihood of
  `softmax(logits / T)` on the calibration windows: validation songs, clean
  and passed through random host/codec chains (training/chains.py), mixed
  with validation clips of non-music, all unseen in training;
- the threshold is the smallest calibrated top-genre probability at which the
  files answered `ok` in the calibration set are right at least
  `target_ok_accuracy` of the time (a file's estimate is combined like the
  Rust side's, see metrics.py), clamped to [MIN_THRESHOLD, MAX_THRESHOLD].
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar

from metrics import OK, expected_calibration_error, file_estimates, file_labels, softmax, statuses

MIN_THRESHOLD = 0.4
MAX_THRESHOLD = 0.8
DEFAULT_TARGET_OK_ACCURACY = 0.97


def nll(logits: np.ndarray, y: np.ndarray, temperature: float) -> float:
    probs = softmax(logits, temperature)
    return float(-np.log(np.maximum(probs[np.arange(len(y)), y], 1e-12)).mean())


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature in [0.05, 20] minimising the NLL (a convex problem in log T)."""
    result = minimize_scalar(lambda log_t: nll(logits, y, float(np.exp(log_t))),
                             bounds=(np.log(0.05), np.log(20.0)), method="bounded",
                             options={"xatol": 1e-4})
    return float(np.exp(result.x))


def choose_threshold(logits: np.ndarray, y: np.ndarray, file_idx: np.ndarray, is_genre: np.ndarray,
                     temperature: float, target_ok_accuracy: float = DEFAULT_TARGET_OK_ACCURACY) -> float:
    """Smallest threshold (0.01 steps) whose `ok` files are right ≥ `target_ok_accuracy` of the time."""
    file_probs = file_estimates(softmax(logits, temperature), file_idx, is_genre)
    file_y = file_labels(y, file_idx)
    correct = file_probs.argmax(axis=1) == file_y
    for threshold in np.arange(MIN_THRESHOLD, MAX_THRESHOLD + 1e-9, 0.01):
        ok = statuses(file_probs, is_genre, float(threshold)) == OK
        if not ok.any() or correct[ok].mean() >= target_ok_accuracy:
            return round(float(threshold), 2)
    return MAX_THRESHOLD


def calibrate(logits: np.ndarray, y: np.ndarray, file_idx: np.ndarray, is_genre: np.ndarray,
              target_ok_accuracy: float = DEFAULT_TARGET_OK_ACCURACY) -> dict:
    """Fits T and the threshold on the calibration windows; returns the numbers for the card."""
    temperature = fit_temperature(logits, y)
    threshold = choose_threshold(logits, y, file_idx, is_genre, temperature, target_ok_accuracy)
    before, after = softmax(logits, 1.0), softmax(logits, temperature)
    return {
        "temperature": temperature,
        "uncertain_threshold": threshold,
        "calibration_nll_before": nll(logits, y, 1.0),
        "calibration_nll_after": nll(logits, y, temperature),
        "calibration_window_ece_before": expected_calibration_error(before, y),
        "calibration_window_ece_after": expected_calibration_error(after, y),
        "target_ok_accuracy": target_ok_accuracy,
    }
