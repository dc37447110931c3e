"""The not-music output, calibration and adaptation paths of training, and metrics that mirror the Rust side.

    training/.venv/bin/python -m pytest training/tests -q
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import calibrate
import export
import metrics
import synthetic
import train

GENRE_FIRST = ("blues", "not_music", "jazz")
N_MELS, WINDOW_FRAMES = 48, 40


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("decision")
    features = synthetic.write_synthetic(root / "features", GENRE_FIRST, N_MELS, WINDOW_FRAMES, windows_per_file=3)
    real = synthetic.write_synthetic(root / "real", ("unlabelled",), N_MELS, WINDOW_FRAMES, windows_per_file=3,
                                     seed=7)
    out = root / "models"
    card = train.train(train.parse_args([str(features), "--out", str(out), "--epochs", "2", "--max-minutes", "1",
                                         "--seed", "1", "--adapt-features", str(real), "--adapt-split", "train",
                                         "--dann", "0.3", "--adabn", "mix", "--input-norm", "band"]))
    return out, card


def test_no_genre_output_goes_last_and_the_card_says_so(trained):
    out, card = trained
    assert card["format_version"] == 2
    assert card["labels"] == ["blues", "jazz", "not_music"]
    d = card["decision"]
    assert d["genres"] == ["blues", "jazz"] and d["no_genre"] == ["not_music"]
    assert 0.05 <= d["temperature"] <= 20
    assert calibrate.MIN_THRESHOLD <= d["uncertain_threshold"] <= calibrate.MAX_THRESHOLD
    assert d["calibration"]["calibration_nll_after"] <= d["calibration"]["calibration_nll_before"] + 1e-9
    assert "domain-adversarial" in card["training"]["adaptation"] and "AdaBN" in card["training"]["adaptation"]
    assert card["training"]["input_norm"] == "band"
    assert json.loads((out / "genre_cnn.json").read_text())["decision"] == json.loads(json.dumps(d))


def test_the_adapted_model_exports_and_reproduces_its_golden_pair(trained):
    out, card = trained
    raw_x = np.load(out / card["golden"]["inputs"])
    expected = np.load(out / card["golden"]["logits"])
    norm = card["normalization"]
    actual = export.run_onnx(out / card["model_file"], raw_x, norm["mean"], norm["std"])
    assert float(np.abs(actual - expected).max()) <= card["golden"]["tolerance"]


IS_GENRE = np.array([True, True, False, True])


def test_file_estimates_follow_the_rust_tally():
    # A spoken intro (2 not-music windows) before 6 music windows: the file is the music's mean.
    probs = np.array([[0, 0, 1, 0]] * 2 + [[0.8, 0.1, 0.0, 0.1]] * 6, dtype=float)
    est = metrics.file_estimates(probs, np.zeros(8, dtype=np.int64), IS_GENRE)
    np.testing.assert_allclose(est[0], [0.8, 0.1, 0.0, 0.1])
    # Mostly not music: the not-music windows' mean; a tie goes to music.
    probs = np.array([[0.9, 0.1, 0, 0], [0.1, 0, 0.8, 0.1], [0.1, 0, 0.8, 0.1], [0.9, 0.1, 0, 0],
                      [0.1, 0, 0.8, 0.1]])
    est = metrics.file_estimates(probs, np.array([0, 0, 0, 1, 1]), IS_GENRE)
    np.testing.assert_allclose(est[0], [0.1, 0, 0.8, 0.1])
    np.testing.assert_allclose(est[1], [0.9, 0.1, 0, 0])


def test_statuses_follow_the_rust_decider():
    probs = np.array([[0.7, 0.1, 0.1, 0.1], [0.2, 0.3, 0.1, 0.4], [0.1, 0.2, 0.6, 0.1], [0.5, 0, 0, 0.5],
                      [0.4, 0.1, 0.4, 0.1]])
    assert list(metrics.statuses(probs, IS_GENRE, 0.5)) == ["ok", "uncertain", "not_music", "ok", "uncertain"]


def test_temperature_recovers_a_known_overconfidence():
    rng = np.random.default_rng(0)
    true_logits = rng.normal(0, 2.0, (20000, 5))
    p = metrics.softmax(true_logits)
    y = np.array([rng.choice(5, p=row) for row in p])
    # A model 3× over-confident: its logits are the calibrated ones times 3.
    t = calibrate.fit_temperature(3.0 * true_logits, y)
    assert abs(t - 3.0) < 0.15, t
    before = metrics.expected_calibration_error(metrics.softmax(3.0 * true_logits), y)
    after = metrics.expected_calibration_error(metrics.softmax(3.0 * true_logits, t), y)
    assert after < 0.02 < before, (before, after)


def test_threshold_is_the_lowest_that_makes_ok_answers_right_often_enough():
    # Files of one window each: confident ones right, doubtful ones (top 0.45–0.615) right half the time.
    is_genre = np.ones(3, dtype=bool)
    confident = np.log(np.array([[0.9, 0.05, 0.05]] * 80))
    doubtful = np.log(np.array([[0.45, 0.35, 0.2]] * 10 + [[0.615, 0.285, 0.1]] * 10))
    logits = np.concatenate([confident, doubtful])
    y = np.array([0] * 80 + [0, 1] * 5 + [0, 1] * 5)
    file_idx = np.arange(100)
    assert calibrate.choose_threshold(logits, y, file_idx, is_genre, 1.0, 0.95) == 0.62
    assert calibrate.choose_threshold(logits, y, file_idx, is_genre, 1.0, 0.5) == calibrate.MIN_THRESHOLD
