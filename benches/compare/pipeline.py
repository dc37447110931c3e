"""The seed-style Python pipeline: librosa log-mel + onnxruntime, file by file.

It does what `genre-meter classify` does, the way the Python/Keras seed did
it: load the clip with librosa, compute the log-mel spectrogram with the
settings of the model card's `features` block, cut the same windows as the
CLI (`window_frames` frames every `hop_frames` frames), skip windows below
the CLI's silence gate, normalise with the card, run the ONNX model with
onnxruntime on one thread (all of a file's windows in one batch), and
combine the windows as the CLI does: softmax at the card's calibration
temperature, windows whose top output means "no genre" counted apart, the
mean of the majority kind (a tie goes to music). Windows that are only
partly above the gate are classified here (the clips are whole songs).

Run by compare.py as a subprocess (so imports and the first numba
compilation are outside the timed region; both are reported separately):

    python pipeline.py --card models/genre_cnn.json --out result.json CLIP.wav...

With --no-warmup it classifies each clip once, as a user would, for timing
the whole process from outside.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

# Before numpy/onnxruntime start thread pools: the comparison is per core.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import librosa  # noqa: E402
import onnxruntime as ort  # noqa: E402

# The CLI's defaults (crates/genre-cli `classify`): windows every 1.5 s,
# gate at -60 dB RMS, levels floored at -120 dB.
HOP_S = 1.5
GATE_DB = -60.0
MIN_LEVEL_DB = -120.0


class Pipeline:
    """The card's feature settings, normalisation and a one-thread ORT session."""

    def __init__(self, card_path: Path):
        card = json.loads(card_path.read_text())
        self.labels = card["labels"]
        decision = card.get("decision") or {}
        self.temperature = np.float32(decision.get("temperature", 1.0))
        no_genre = set(decision.get("no_genre", []))
        self.is_genre = np.array([label not in no_genre for label in self.labels])
        self.features = f = card["features"]
        assert f["window"] == "hann_periodic" and not f["center"] and f["top_db"] is None
        assert f["mel_scale"] == "slaney" and f["mel_norm"] == "slaney"
        self.mean = np.float32(card["normalization"]["mean"])
        self.std = np.float32(card["normalization"]["std"])
        frame_period_s = f["hop_length"] / f["sample_rate_hz"]
        self.hop_frames = max(1, round(HOP_S / frame_period_s))
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        model_path = card_path.parent / card["model_file"]
        self.session = ort.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
        self.input_name = self.session.get_inputs()[0].name

    def log_mel(self, y: np.ndarray) -> np.ndarray:
        """[n_mels, frames] in dB, as librosa computes it."""
        f = self.features
        power = librosa.feature.melspectrogram(
            y=y,
            sr=f["sample_rate_hz"],
            n_fft=f["n_fft"],
            hop_length=f["hop_length"],
            window="hann",  # scipy's "hann" for FFTs is the periodic window
            center=False,
            power=f["power"],
            n_mels=f["n_mels"],
            fmin=f["fmin_hz"],
            fmax=f["fmax_hz"],
            htk=False,
            norm="slaney",
        )
        return librosa.power_to_db(power, ref=f["ref_power"], amin=f["amin"], top_db=None)

    def windows(self, y: np.ndarray, mel_db: np.ndarray):
        """The CLI's windows: (stacked dB windows [N, n_mels, window_frames], silent mask)."""
        f = self.features
        n_win, n_fft, hop = f["window_frames"], f["n_fft"], f["hop_length"]
        num_frames = mel_db.shape[1]
        starts = list(range(0, num_frames - n_win + 1, self.hop_frames))
        # Frame mean squares of the raw samples (the CLI's level meter), in float32 like Rust.
        frames = librosa.util.frame(y, frame_length=n_fft, hop_length=hop)[:, :num_frames]
        frame_ms = (frames.astype(np.float64) ** 2).mean(axis=0).astype(np.float32)
        windows = np.stack([mel_db[:, s : s + n_win] for s in starts]).astype(np.float32)
        levels = np.array(
            [frame_ms[s : s + n_win].astype(np.float64).mean() for s in starts]
        )
        level_db = np.maximum(10 * np.log10(np.maximum(levels, 1e-30)), MIN_LEVEL_DB)
        return windows, level_db < GATE_DB

    def logits(self, windows_db: np.ndarray) -> np.ndarray:
        """Raw dB windows [N, n_mels, frames] → logits [N, labels]."""
        x = ((windows_db - self.mean) / self.std)[:, None, :, :].astype(np.float32)
        return self.session.run(None, {self.input_name: x})[0]

    def load(self, path: Path) -> np.ndarray:
        """Mono float32 at the model rate (resampled by librosa if needed)."""
        y, _ = librosa.load(path, sr=self.features["sample_rate_hz"], mono=True)
        return y

    def classify(self, path: Path) -> dict:
        y = self.load(path)
        mel_db = self.log_mel(y)
        windows, silent = self.windows(y, mel_db)
        result = {"file": str(path), "windows": int(len(windows)), "silent": int(silent.sum())}
        if silent.all():
            result.update(top=None, probabilities=None)
            return result
        logits = self.logits(windows[~silent]).astype(np.float32) / self.temperature
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        music = self.is_genre[probabilities.argmax(axis=1)]
        kind = music if music.sum() * 2 >= len(music) else ~music
        mean = probabilities[kind].astype(np.float64).mean(axis=0)
        result.update(
            top=self.labels[int(mean.argmax())],
            probabilities=dict(zip(self.labels, map(float, mean))),
        )
        return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--card", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--no-warmup",
        action="store_true",
        help="classify each clip once, as a user would (compare.py times the whole process)",
    )
    parser.add_argument("clips", type=Path, nargs="+")
    args = parser.parse_args()

    started_wall, started_cpu = time.perf_counter(), time.process_time()
    pipeline = Pipeline(args.card)
    # Warm-up (numba compiles librosa's kernels on first use): not timed.
    if not args.no_warmup:
        pipeline.classify(args.clips[0])
    setup_wall = time.perf_counter() - started_wall
    setup_cpu = time.process_time() - started_cpu

    wall0, cpu0 = time.perf_counter(), time.process_time()
    results = [pipeline.classify(path) for path in args.clips]
    wall_s, cpu_s = time.perf_counter() - wall0, time.process_time() - cpu0

    args.out.write_text(
        json.dumps(
            {
                "wall_s": wall_s,
                "cpu_s": cpu_s,
                "setup_wall_s": setup_wall,
                "setup_cpu_s": setup_cpu,
                "results": results,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
