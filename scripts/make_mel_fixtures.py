"""Golden log-mel fixtures: librosa's output for signals the Rust mel must match.

Run from the repository root with the training venv:

    training/.venv/bin/python scripts/make_mel_fixtures.py

Writes crates/genre-core/tests/fixtures/mel/<name>_signal.npy (float32 mono at
22 050 Hz) and <name>_logmel.npy (float32 [n_mels, frames]) computed with the
DESIGN.md contract: melspectrogram(center=False, power=2, Slaney scale and
norm) then power_to_db(ref=1.0, amin=1e-10, top_db=None). These are the
settings of the Rust `FeatureSpec::default()`; the golden test fails if
either side drifts.
"""

from pathlib import Path

import librosa
import numpy as np

SR = 22_050
OUT = Path("crates/genre-core/tests/fixtures/mel")


def music_like(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """Notes with harmonics and decays, a bass line and hi-hat-like noise bursts."""
    n = int(SR * seconds)
    t = np.arange(n) / SR
    y = np.zeros(n)
    note_s = 0.25
    for k in range(int(seconds / note_s)):
        start = int(k * note_s * SR)
        seg = np.arange(n - start) / SR
        f0 = 220.0 * 2 ** (rng.integers(0, 24) / 12)
        env = np.exp(-seg * 6.0)
        for h in range(1, 6):
            y[start:] += 0.15 / h * env * np.sin(2 * np.pi * f0 * h * seg + rng.uniform(0, 6.28))
        if k % 2 == 0:
            burst = rng.standard_normal(min(2000, n - start)) * 0.05
            y[start : start + burst.size] += burst * np.exp(-np.arange(burst.size) / 300)
    y += 0.2 * np.sin(2 * np.pi * 55.0 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 0.5 * t))
    return (0.8 * y / np.max(np.abs(y))).astype(np.float32)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261125)
    signals = {
        "music": music_like(rng, 3.2),
        "noise": (0.1 * rng.standard_normal(int(SR * 1.5))).astype(np.float32),
        # Quiet passage with digital silence in the middle: exercises amin.
        "quiet": np.concatenate(
            [
                1e-3 * np.sin(2 * np.pi * 1000 * np.arange(SR // 2) / SR),
                np.zeros(SR // 2),
                1e-4 * rng.standard_normal(SR // 2),
            ]
        ).astype(np.float32),
    }
    for name, y in signals.items():
        s = librosa.feature.melspectrogram(
            y=y, sr=SR, n_fft=2048, hop_length=512, window="hann", center=False,
            power=2.0, n_mels=128, fmin=0.0, fmax=SR / 2, htk=False, norm="slaney",
        )
        db = librosa.power_to_db(s, ref=1.0, amin=1e-10, top_db=None).astype(np.float32)
        np.save(OUT / f"{name}_signal.npy", y)
        np.save(OUT / f"{name}_logmel.npy", db)
        print(f"{name}: {y.size} samples -> {db.shape}")
    print(f"librosa {librosa.__version__}")


if __name__ == "__main__":
    main()
