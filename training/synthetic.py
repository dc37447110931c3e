"""Writes a small synthetic feature directory in the format of `genre-meter features`.

For developing and testing the training pipeline without audio or the Rust CLI:
each label gets a characteristic band of mel bins and a tempo-like pulse along
time, plus noise, so a model can learn it in one or two epochs. The feature
spec is the project's (see DESIGN.md) unless `--n-mels`/`--window-frames`
shrink it for a fast test.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np

DEFAULT_LABELS = ("blues", "classical", "country")
SPLIT_FILES = {"train": 6, "val": 2, "test": 2, "test_template": 2}


def feature_spec(n_mels: int, window_frames: int) -> dict:
    return {
        "sample_rate_hz": 22050, "n_fft": 2048, "hop_length": 512, "window": "hann_periodic",
        "center": False, "power": 2.0, "n_mels": n_mels, "fmin_hz": 0.0, "fmax_hz": 11025.0,
        "mel_scale": "slaney", "mel_norm": "slaney", "amin": 1e-10, "ref_power": 1.0,
        "top_db": None, "window_frames": window_frames,
    }


def write_synthetic(
    out_dir: str | Path,
    labels: tuple[str, ...] = DEFAULT_LABELS,
    n_mels: int = 128,
    window_frames: int = 130,
    windows_per_file: int = 4,
    seed: int = 0,
) -> Path:
    """Writes meta.json, one x/y shard per split and index.csv; returns `out_dir`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    bins = np.arange(n_mels)[:, None]
    frames = np.arange(window_frames)[None, :]
    splits_meta, index_rows = {}, []
    for split, files_per_label in SPLIT_FILES.items():
        xs, ys = [], []
        for label_idx, label in enumerate(labels):
            centre = (label_idx + 0.5) * n_mels / len(labels)
            band = np.exp(-0.5 * ((bins - centre) / (n_mels / (4 * len(labels)))) ** 2)
            pulse = 0.5 + 0.5 * np.cos(2 * np.pi * frames / (4 + 3 * label_idx))
            for file_no in range(files_per_label):
                file = f"{label}/{label}.{split}{file_no:03}.wav"
                for window_idx in range(windows_per_file):
                    db = -60.0 + 40.0 * band * pulse + rng.normal(0.0, 6.0, (n_mels, window_frames))
                    xs.append(db.astype(np.float32))
                    ys.append(label_idx)
                    index_rows.append(
                        [split, f"{split}_000", len(xs) - 1, file, label, f"{label}-{file_no}",
                         window_idx, round(window_idx * 65 * 512 / 22050, 3)]
                    )
        x_name, y_name = f"{split}_000_x.npy", f"{split}_000_y.npy"
        np.save(out_dir / x_name, np.stack(xs))
        np.save(out_dir / y_name, np.asarray(ys, dtype=np.int64))
        splits_meta[split] = {
            "num_windows": len(xs),
            "num_files": files_per_label * len(labels),
            "shards": [{"x": x_name, "y": y_name, "num_windows": len(xs)}],
        }
    meta = {
        "labels": list(labels),
        "features": feature_spec(n_mels, window_frames),
        "hop_frames": window_frames // 2,
        "dataset": "synthetic",
        "source": "manifest",
        "split_method": "synthetic: fixed number of files per label and split",
        "splits": splits_meta,
        "failed_files": [],
    }
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=2))
    with (out_dir / "index.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["split", "shard", "row", "file", "label", "group", "window_idx", "start_s"])
        writer.writerows(index_rows)
    return out_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--n-mels", type=int, default=128)
    parser.add_argument("--window-frames", type=int, default=130)
    parser.add_argument("--windows-per-file", type=int, default=4)
    parser.add_argument("--labels", default=",".join(DEFAULT_LABELS))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    out = write_synthetic(
        args.out, tuple(args.labels.split(",")), args.n_mels, args.window_frames,
        args.windows_per_file, args.seed,
    )
    print(f"wrote synthetic features to {out}")


if __name__ == "__main__":
    main()
