"""Mel-domain chains: measured responses behave like the filters they stand for; the loss sees disagreement."""

import json
import random
from pathlib import Path

import numpy as np
import pytest
import torch

import chains
import melchains

FEATURES = json.loads((Path(__file__).resolve().parents[2] / "models" / "genre_cnn.json").read_text())["features"]


@pytest.fixture(scope="module")
def mel_chains() -> melchains.MelChains:
    return melchains.MelChains.measured(FEATURES, seed=0)


def band_of(hz: float) -> int:
    import librosa

    centres = librosa.mel_frequencies(FEATURES["n_mels"] + 2, fmin=0.0, fmax=FEATURES["fmax_hz"])[1:-1]
    return int(np.argmin(np.abs(centres - hz)))


def test_lowpass_keeps_the_passband_and_cuts_above(mel_chains):
    r8 = mel_chains.responses["lowpass:8000"]
    assert np.abs(r8[: band_of(4000)]).max() < 0.5
    assert r8[band_of(10000)] < -20.0
    # A higher cut-off cuts less at every band above it.
    r12 = mel_chains.responses["lowpass:12000"]
    assert (r12[band_of(8000):] >= r8[band_of(8000):] - 0.5).all()


def test_tilt_is_a_bass_and_treble_shelf_of_the_named_size(mel_chains):
    r = mel_chains.responses["tilt:6"]
    assert r[0] == pytest.approx(6.0, abs=0.5)
    assert r[band_of(9000)] == pytest.approx(-6.0, abs=0.5)
    assert np.allclose(mel_chains.responses["tilt:-6"], -r, atol=0.3)
    half = mel_chains.linear_response((chains.Stage("tilt", (3.0,)),))
    assert half[0] == pytest.approx(3.0, abs=0.5)


def test_an_empty_chain_without_noise_changes_nothing(mel_chains):
    x = torch.randn(128, 130) * 10 - 30
    assert torch.allclose(mel_chains.apply_one(x, (), None), x, atol=1e-3)


def test_noise_lifts_quiet_bands_and_leaves_loud_ones(mel_chains):
    x = torch.full((128, 130), -90.0)
    x[:20] = -10.0
    y = mel_chains.apply_one(x, (), 30.0)
    assert (y[:20] - x[:20]).abs().mean() < 0.1
    assert (y[60:] - x[60:]).mean() > 20.0


def test_codec_moves_quiet_bands_more_than_loud_ones(mel_chains):
    x = torch.full((128, 130), -70.0)
    x[:10] = -10.0
    mel_chains.rng = random.Random(1)
    y = mel_chains.apply_one(x, (chains.Stage("codec", ("mp3", 128)),), None)
    assert (y[:10] - x[:10]).abs().mean() < 0.05
    assert (y[40:] - x[40:]).std() > 2.0


def test_consistency_is_zero_for_equal_answers_and_grows_with_disagreement():
    a = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 0.0]])
    assert melchains.consistency(a, a).item() == pytest.approx(0.0, abs=1e-6)
    near = melchains.consistency(a, a + torch.tensor([[0.0, 0.5, 0.0], [0.0, 0.5, 0.0]])).item()
    far = melchains.consistency(a, a.flip(1)).item()
    assert 0.0 < near < far <= np.log(2) + 1e-6


def test_a_batch_gets_a_chain_per_window(mel_chains):
    mel_chains.rng = random.Random(3)
    x = torch.randn(8, 128, 130) * 10 - 30
    y = mel_chains(x)
    assert y.shape == x.shape
    changed = [(y[i] - x[i]).abs().mean().item() > 1e-3 for i in range(8)]
    assert sum(changed) >= 6
