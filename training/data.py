"""Reads the feature shards written by `genre-meter features DATASET --out DIR`.

The Rust CLI is the only place that computes log-mel features; this module
only loads what it wrote:

- `DIR/meta.json`: labels, the feature spec, and per split the list of shards;
- `DIR/<split>_NNN_x.npy`: float32 `[n, n_mels, window_frames]` log-mel dB,
  not normalised; `DIR/<split>_NNN_y.npy`: int64 `[n]` label indices;
- `DIR/index.csv`: one line per window (`split,shard,row,file,label,...`), used
  to group windows back into files for file-level accuracy.

Shards are memory-mapped, so a training set larger than RAM still works; a
batch gathers its rows from the page cache.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TRAIN_SPLIT = "train"
VAL_SPLIT = "val"


class FeatureDirError(RuntimeError):
    """The feature directory is missing a file or disagrees with its meta.json."""


@dataclass
class WindowSplit:
    """All windows of one split, concatenated across its shards in meta.json order."""

    name: str
    shards_x: list[np.ndarray]
    """Memory-mapped `[n, n_mels, window_frames]` arrays, one per shard."""
    y: np.ndarray
    """int64 `[num_windows]` label index of every window."""
    file_idx: np.ndarray
    """int64 `[num_windows]` index into `files` of the file each window came from."""
    files: list[str]
    """Distinct source files of this split, as written in index.csv."""
    _shard_starts: np.ndarray

    @property
    def num_windows(self) -> int:
        return int(self.y.shape[0])

    @property
    def num_files(self) -> int:
        return len(self.files)

    def batch(self, indices: np.ndarray) -> np.ndarray:
        """Copies the windows at `indices` (global row numbers) into one float32 array; allocates."""
        indices = np.asarray(indices, dtype=np.int64)
        first = self.shards_x[0]
        out = np.empty((len(indices), *first.shape[1:]), dtype=np.float32)
        shard_of = np.searchsorted(self._shard_starts, indices, side="right") - 1
        for shard_idx in np.unique(shard_of):
            positions = np.nonzero(shard_of == shard_idx)[0]
            rows = indices[positions] - self._shard_starts[shard_idx]
            # NOTE: sorted rows make the memmap read sequential-ish; scatter back after.
            order = np.argsort(rows)
            out[positions[order]] = self.shards_x[shard_idx][rows[order]]
        return out

    def chunks(self, chunk_size: int = 256):
        """Yields `(start, x)` over the split in order, `x` float32 `[<=chunk_size, ...]`."""
        for start in range(0, self.num_windows, chunk_size):
            stop = min(start + chunk_size, self.num_windows)
            yield start, self.batch(np.arange(start, stop))


class FeatureDir:
    """A feature directory: meta.json, the shards, and index.csv."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        meta_path = self.path / "meta.json"
        if not meta_path.is_file():
            raise FeatureDirError(
                f"{meta_path}: not found; write features first with "
                f"`genre-meter features DATASET --out {self.path}`"
            )
        self.meta: dict = json.loads(meta_path.read_text())
        self.labels: list[str] = list(self.meta["labels"])
        self.features: dict = self.meta["features"]
        self.n_mels = int(self.features["n_mels"])
        self.window_frames = int(self.features["window_frames"])
        self._file_rows = self._read_index()
        self._splits: dict[str, WindowSplit] = {}
        #: Maps the label indices stored in the shards to `self.labels`' order.
        self._label_map = np.arange(len(self.labels), dtype=np.int64)

    def reorder_labels(self, order: list[str]) -> None:
        """Presents the labels in `order` (a permutation of `meta.json`'s); call before loading splits."""
        if sorted(order) != sorted(self.meta["labels"]):
            raise FeatureDirError(f"{self.path}: label order {order} is not a permutation of {self.meta['labels']}")
        if self._splits:
            raise FeatureDirError("reorder_labels must come before the first split is loaded")
        self._label_map = np.asarray([order.index(label) for label in self.meta["labels"]], dtype=np.int64)
        self.labels = list(order)

    @property
    def split_names(self) -> list[str]:
        """Splits that hold at least one window, in meta.json order."""
        return [n for n, s in self.meta["splits"].items() if int(s.get("num_windows", 0)) > 0]

    @property
    def evaluation_split_names(self) -> list[str]:
        """Every split other than train and val (test, test_template, ...)."""
        return [n for n in self.split_names if n not in (TRAIN_SPLIT, VAL_SPLIT)]

    def has_split(self, name: str) -> bool:
        return name in self.split_names

    def split(self, name: str) -> WindowSplit:
        if name not in self._splits:
            self._splits[name] = self._load_split(name)
        return self._splits[name]

    def _read_index(self) -> dict[tuple[str, str], dict[int, str]]:
        """Maps `(split, shard x file name) -> {row: source file}` from index.csv."""
        index_path = self.path / "index.csv"
        if not index_path.is_file():
            raise FeatureDirError(f"{index_path}: not found; it maps windows back to files")
        rows: dict[tuple[str, str], dict[int, str]] = {}
        with index_path.open(newline="") as f:
            reader = csv.DictReader(f)
            missing = {"split", "shard", "row", "file"} - set(reader.fieldnames or [])
            if missing:
                raise FeatureDirError(f"{index_path}: missing columns {sorted(missing)}")
            for line in reader:
                rows.setdefault((line["split"], line["shard"]), {})[int(line["row"])] = line["file"]
        return rows

    def _file_rows_for(self, split: str, shard_x: str, shard_idx: int) -> dict[int, str] | None:
        # NOTE: accept index.csv naming the shard by its x file, its stem ("train_000")
        # or its ordinal, so the loader does not depend on that detail of the writer.
        stem = shard_x.removesuffix("_x.npy")
        for key in (shard_x, stem, shard_x.removesuffix(".npy"), str(shard_idx), f"{shard_idx:03}"):
            if (split, key) in self._file_rows:
                return self._file_rows[(split, key)]
        return None

    def _load_split(self, name: str) -> WindowSplit:
        if name not in self.meta["splits"]:
            raise FeatureDirError(f"{self.path}: no split {name!r} (have {list(self.meta['splits'])})")
        shards_x, ys, file_names = [], [], []
        for shard_idx, shard in enumerate(self.meta["splits"][name]["shards"]):
            x = np.load(self.path / shard["x"], mmap_mode="r")
            y = np.load(self.path / shard["y"])
            expected = (int(shard["num_windows"]), self.n_mels, self.window_frames)
            if x.dtype != np.float32 or x.shape != expected:
                raise FeatureDirError(
                    f"{self.path / shard['x']}: {x.dtype} {x.shape}, expected float32 {expected}"
                )
            if y.shape != (expected[0],):
                raise FeatureDirError(f"{self.path / shard['y']}: shape {y.shape}, expected ({expected[0]},)")
            if y.size and (y.min() < 0 or y.max() >= len(self.labels)):
                raise FeatureDirError(f"{self.path / shard['y']}: label index outside 0..{len(self.labels)}")
            rows = self._file_rows_for(name, shard["x"], shard_idx)
            if rows is None or len(rows) != expected[0]:
                raise FeatureDirError(
                    f"{self.path / 'index.csv'}: expected {expected[0]} rows for split {name!r} "
                    f"shard {shard['x']!r}, found {0 if rows is None else len(rows)}"
                )
            shards_x.append(x)
            ys.append(y.astype(np.int64))
            file_names.extend(rows[r] for r in range(expected[0]))
        if not shards_x:
            raise FeatureDirError(f"{self.path}: split {name!r} has no shards")
        files, file_idx = np.unique(np.asarray(file_names, dtype=object), return_inverse=True)
        starts = np.cumsum([0] + [x.shape[0] for x in shards_x[:-1]])
        return WindowSplit(
            name=name,
            shards_x=shards_x,
            y=self._label_map[np.concatenate(ys)],
            file_idx=file_idx.astype(np.int64),
            files=[str(f) for f in files],
            _shard_starts=starts.astype(np.int64),
        )


def normalization_stats(split: WindowSplit) -> tuple[float, float]:
    """Scalar mean and standard deviation over every bin of every window (float64 sums)."""
    total, total_sq, count = 0.0, 0.0, 0
    for _, x in split.chunks(512):
        x64 = x.astype(np.float64)
        total += float(x64.sum())
        total_sq += float(np.square(x64).sum())
        count += x64.size
    mean = total / count
    std = float(np.sqrt(max(total_sq / count - mean * mean, 0.0)))
    if not np.isfinite(mean) or not np.isfinite(std) or std == 0.0:
        raise FeatureDirError(f"training windows have mean {mean} and std {std}; cannot normalise")
    return mean, std
