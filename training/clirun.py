"""Runs the release CLI (`genre-meter classify --json`) on many files with a given model card.

The blind check and the stability report judge models the way users meet them:
through the Rust CLI (decoding, resampling, mel, tract, calibration, window
combination and statuses), not through the training code.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

DEFAULT_GENRE_METER = Path("target/release/genre-meter")


def classify(genre_meter: Path, card: Path | None, files: list[Path], jobs: int = 2) -> dict[str, dict]:
    """JSON record per file, keyed by its absolute path; errors are records with status `error`."""
    files = [Path(f).resolve() for f in files]
    genre_meter = genre_meter.resolve()
    card = card.resolve() if card is not None else None
    if not genre_meter.is_file():
        raise SystemExit(f"error: {genre_meter}: not found; build it with `cargo build --release -p genre-cli`")
    records: dict[str, dict] = {}
    # NOTE: a list file keeps the command line short for thousands of files.
    with tempfile.TemporaryDirectory() as tmp:
        for start in range(0, len(files), 2000):
            chunk = [str(f) for f in files[start:start + 2000]]
            cmd = [str(genre_meter), "classify", "--json", "--jobs", str(jobs)]
            if card is not None:
                cmd += ["--model", str(card)]
            result = subprocess.run(cmd + chunk, capture_output=True, text=True, cwd=tmp)
            for line in result.stdout.splitlines():
                record = json.loads(line)
                records[record["file"]] = record
            if result.returncode not in (0, 1):
                print(result.stderr[-2000:], file=sys.stderr)
                raise SystemExit(f"error: {genre_meter} exited {result.returncode}")
    missing = [f for f in map(str, files) if f not in records]
    if missing:
        raise SystemExit(f"error: no result for {len(missing)} files, e.g. {missing[0]}")
    return records


def top_genre(record: dict, no_genre: tuple[str, ...] = ("not_music",)) -> str | None:
    """The most likely genre of a record (whatever its status); None without probabilities."""
    probabilities = record.get("probabilities") or {}
    genres = {k: v for k, v in probabilities.items() if k not in no_genre}
    return max(genres, key=genres.get) if genres else None
