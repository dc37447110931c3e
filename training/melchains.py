"""The chains of training/chains.py, drawn afresh for every training window in the log-mel domain.

Chained copies on disk (chains.py) give each training song one chain for the
whole training run. A model can still learn that an 8 kHz low-pass or a +6 dB
treble cut moves a borderline song from one genre to the next: the robustness
report found the top genre of 5–15 % of held-out songs changed by such
chains. Here every window gets a new random chain each time it is drawn, and
`consistency` compares the model's answers for the same window with and
without it (train.py `--chain-consistency`).

How a stage acts on a mel band:

- low-pass, EQ tilt and resampling are linear filters: on a band whose
  spectrum is smooth they are a fixed gain in dB. The gains are measured, not
  modelled: white noise goes through `chains.apply` (the same ffmpeg filters
  as the chained copies and the robustness report) and through the mel
  filterbank of the feature settings, once per process;
- a codec round trip re-quantises the bands far below each frame's loudest
  (random dB jitter growing with the depth, as measured through MP3 and AAC);
  a linear-interpolation resampler folds images back as a floor 45–65 dB
  under each frame's loudest band;
- white noise at 20–50 dB SNR relative to the window's power (the report's
  `noise_30db_snr` row, and the hiss of real recordings).

Gain needs nothing here: train.py's random gain already covers it.
"""

from __future__ import annotations

import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

import chains

LOWPASS_GRID_HZ = tuple(range(6000, 16001, 1000))
TILT_GRID_DB = tuple(range(-6, 7))
#: How strongly a codec re-quantises quiet bands, from AAC 128 kb/s (0.1) to MP3 128 kb/s (1) and a bit beyond.
CODEC_SCALE = (0.1, 1.4)
#: Depth of a linear resampler's alias floor under each frame's loudest band.
ALIAS_FLOOR_DB = (45.0, 65.0)
NOISE_SNR_DB = (20.0, 50.0)
#: Probability that a chained window also gets white noise on top of its chain.
NOISE_P = 0.3
PROBE_SECONDS = 20.0
AMIN_DB = -100.0


def mel_filterbank(features: dict) -> np.ndarray:
    """`[n_mels, 1 + n_fft / 2]` weights of the card's mel settings (librosa's, which the Rust side matches)."""
    import librosa

    return librosa.filters.mel(sr=features["sample_rate_hz"], n_fft=features["n_fft"], n_mels=features["n_mels"],
                               fmin=features["fmin_hz"], fmax=features["fmax_hz"],
                               htk=features["mel_scale"] == "htk",
                               norm="slaney" if features["mel_norm"] == "slaney" else None)


def mean_mel_power(audio: np.ndarray, rate: int, features: dict, bank: np.ndarray) -> np.ndarray:
    """Mean power per mel band of `audio`, resampled to the feature rate first as the decoder would."""
    import librosa

    if rate != features["sample_rate_hz"]:
        audio = librosa.resample(audio, orig_sr=rate, target_sr=features["sample_rate_hz"], res_type="soxr_hq")
    spec = np.abs(librosa.stft(audio, n_fft=features["n_fft"], hop_length=features["hop_length"],
                               center=False, window="hann")) ** 2
    return (bank @ spec).mean(axis=1)


def measure_responses(features: dict, seed: int = 0) -> dict[str, np.ndarray]:
    """Gain in dB per mel band of every linear stage on the grids, measured on white noise through chains.apply.

    Keys: `lowpass:<Hz>`, `tilt:<dB>`, `resample:<rate>:<converter>`.
    """
    import soundfile as sf

    rate = int(features["sample_rate_hz"])
    bank = mel_filterbank(features)
    noise = np.random.default_rng(seed).standard_normal(int(PROBE_SECONDS * rate)).astype(np.float32) * 0.1
    stages: dict[str, chains.Stage] = {}
    for hz in LOWPASS_GRID_HZ:
        stages[f"lowpass:{hz}"] = chains.Stage("lowpass", (float(hz),))
    for db in TILT_GRID_DB:
        if db != 0:
            stages[f"tilt:{db}"] = chains.Stage("tilt", (float(db),))
    for r in chains.RATES_HZ:
        for c in chains.CONVERTERS:
            stages[f"resample:{r}:{c}"] = chains.Stage("resample", (r, c))
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "noise.wav"
        sf.write(src, noise, rate, subtype="FLOAT")
        clean = mean_mel_power(noise, rate, features, bank)
        out: dict[str, np.ndarray] = {"tilt:0": np.zeros(len(clean))}
        for key, stage in stages.items():
            dst = Path(tmp) / "out.wav"
            chains.apply((stage,), src, dst)
            audio, got_rate = sf.read(dst, dtype="float32")
            if audio.ndim > 1:
                audio = audio.mean(axis=1)
            out[key] = 10.0 * np.log10(np.maximum(mean_mel_power(audio, got_rate, features, bank), 1e-20) / clean)
    return out


def _interpolate(table: dict[str, np.ndarray], prefix: str, grid: tuple, value: float) -> np.ndarray:
    value = min(max(value, grid[0]), grid[-1])
    hi = next(i for i, g in enumerate(grid) if g >= value)
    lo = max(hi - 1, 0)
    if grid[hi] == grid[lo]:
        return table[f"{prefix}:{grid[hi]}"]
    t = (value - grid[lo]) / (grid[hi] - grid[lo])
    return (1 - t) * table[f"{prefix}:{grid[lo]}"] + t * table[f"{prefix}:{grid[hi]}"]


@dataclass
class MelChains:
    """Random chains on batches of raw dB windows `[batch, n_mels, frames]`."""

    responses: dict[str, np.ndarray]
    band_widths: np.ndarray  # `[n_mels]` half the width of each mel filter in Hz, for the power estimate
    nyquist_hz: float
    rng: random.Random

    @classmethod
    def measured(cls, features: dict, seed: int) -> "MelChains":
        import librosa

        edges = librosa.mel_frequencies(features["n_mels"] + 2, fmin=features["fmin_hz"], fmax=features["fmax_hz"],
                                        htk=features["mel_scale"] == "htk")
        return cls(measure_responses(features, seed), (edges[2:] - edges[:-2]) / 2.0,
                   features["sample_rate_hz"] / 2.0, random.Random(seed))

    def linear_response(self, chain: chains.Chain) -> np.ndarray:
        """Sum of the measured dB gains of the chain's linear stages (codec and gain stages add none)."""
        total = np.zeros_like(self.band_widths)
        for stage in chain:
            if stage.kind == "lowpass":
                total = total + _interpolate(self.responses, "lowpass", LOWPASS_GRID_HZ, stage.params[0])
            elif stage.kind == "tilt":
                total = total + _interpolate(self.responses, "tilt", TILT_GRID_DB, stage.params[0])
            elif stage.kind == "resample":
                total = total + self.responses[f"resample:{stage.params[0]}:{stage.params[1]}"]
        return total

    def window_power(self, power: torch.Tensor) -> torch.Tensor:
        """`[batch]` mean signal power of each window in the units of white noise's mel power.

        NOTE: with slaney-normalised triangles, half-width-weighted band powers
        sum to the integral of the spectrum over 0–Nyquist, so white noise of
        this power has this mel power in every band.
        """
        w = torch.from_numpy(self.band_widths).to(power.dtype)
        return (power.mean(dim=2) * w).sum(dim=1) / self.nyquist_hz

    def codec_jitter(self, raw_db: torch.Tensor, scale: float) -> torch.Tensor:
        """A perceptual coder's traces: bands far below the frame's loudest are re-quantised or dropped.

        NOTE: measured on four corpus songs through MP3 128 kb/s: bands within
        10 dB of the frame's loudest keep their level (±0.03 dB); 10–30 dB
        below move by 3 dB (std), 30–50 dB by 5 dB, 50–70 dB by 8.6 dB, on
        average downwards (-0.6, -0.9, -2.8 dB). AAC 128 kb/s moves them by a
        tenth of that. `scale` spans the two.
        """
        depth = (raw_db.amax(dim=-2, keepdim=True) - raw_db).clamp_min(0.0)
        sigma = (0.15 * (depth - 10.0)).clamp(0.0, 9.0) * scale
        mu = -0.05 * (depth - 20.0).clamp_min(0.0) * scale
        return raw_db + mu + sigma * torch.randn(raw_db.shape)

    def alias_floor(self, power: torch.Tensor, below_db: float) -> torch.Tensor:
        """A cheap resampler's images folded back: a flat floor `below_db` under each frame's loudest band.

        NOTE: measured through 96 kHz linear interpolation: bands 50–70 dB
        under the frame's loudest rise by 3.9 dB, deeper ones by 28 dB.
        """
        level = power.amax(dim=-2, keepdim=True) * 10.0 ** (-below_db / 10.0)
        return power + level * torch.distributions.Gamma(4.0, 4.0).sample(power.shape)

    def gain(self, chain: chains.Chain) -> torch.Tensor:
        """`[n_mels, 1]` power factor of the chain's linear stages."""
        return torch.from_numpy(10.0 ** (self.linear_response(chain) / 10.0)).float()[:, None]

    def apply_one(self, raw_db: torch.Tensor, chain: chains.Chain, noise_snr_db: float | None) -> torch.Tensor:
        """One window `[n_mels, frames]` (raw dB) through `chain`, then white noise if `noise_snr_db`."""
        power = 10.0 ** (raw_db[None] / 10.0)
        if any(s.kind == "resample" and s.params[1] == "linear" for s in chain):
            power = self.alias_floor(power, self.rng.uniform(*ALIAS_FLOOR_DB))
        codec_at = next((i for i, s in enumerate(chain) if s.kind == "codec"), None)
        if codec_at is not None:
            # NOTE: the coder hears the resampled signal; low-pass and tilt come after it.
            power = power * self.gain(chain[:codec_at])
            jittered = self.codec_jitter(10.0 * torch.log10(power.clamp_min(10.0 ** (AMIN_DB / 10.0))),
                                         self.rng.uniform(*CODEC_SCALE))
            power = 10.0 ** (jittered / 10.0)
            chain = chain[codec_at + 1:]
        power = power * self.gain(chain)
        if noise_snr_db is not None:
            level = self.window_power(power) * 10.0 ** (-noise_snr_db / 10.0)
            fluctuation = torch.distributions.Gamma(4.0, 4.0).sample(power.shape)
            power = power + level[:, None, None] * fluctuation
        return (10.0 * torch.log10(power.clamp_min(10.0 ** (AMIN_DB / 10.0))))[0]

    def __call__(self, raw_db: torch.Tensor) -> torch.Tensor:
        """Every window of the batch through its own random chain (chains.random_chain), some with noise."""
        out = torch.empty_like(raw_db)
        for i in range(raw_db.shape[0]):
            chain = chains.random_chain(self.rng)
            snr = self.rng.uniform(*NOISE_SNR_DB) if self.rng.random() < NOISE_P else None
            out[i] = self.apply_one(raw_db[i], chain, snr)
        return out


def consistency(logits_a: torch.Tensor, logits_b: torch.Tensor) -> torch.Tensor:
    """Jensen–Shannon divergence between the two answers, mean over the batch (0 when they agree)."""
    p, q = logits_a.softmax(dim=1), logits_b.softmax(dim=1)
    m = ((p + q) / 2).clamp_min(1e-7).log()
    kl = torch.nn.functional.kl_div
    return (kl(m, p, reduction="batchmean") + kl(m, q, reduction="batchmean")) / 2


def describe() -> str:
    return (f"chains drawn per window as training/chains.py's random chains in the log-mel domain (low-pass, tilt "
            f"and resampling as gains measured on {PROBE_SECONDS:g} s of white noise; codecs as level-dependent "
            f"jitter of quiet bands, linear resamplers as an alias floor), "
            f"{NOISE_P:.0%} with white noise at {NOISE_SNR_DB[0]:g}–{NOISE_SNR_DB[1]:g} dB SNR")
