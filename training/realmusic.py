"""Collects real recorded music without labels from Debian packages.

    python training/realmusic.py --out build/real [--jobs 2]

The model is trained on generated audio only. Debian ships tens of hours of
real game soundtracks whose genre tags are missing or wrong; they cannot teach
genres, but they show what recorded, mixed and mastered music looks like to
the network. This script finds them, decodes them with ffmpeg and writes two
sets, split by *package* so that nothing used to adapt the model is used to
judge it:

- `adapt`: up to 90 s per track (22 050 Hz mono WAV) from the ADAPT_PACKAGES,
  for unlabelled adaptation (normalisation and batch-norm statistics, domain
  adversarial training);
- `eval`: one 30 s excerpt from the middle of each track of the EVAL_PACKAGES
  (44.1 kHz stereo WAV, as ripped from a CD), for the stability and
  plausibility report (training/stability.py).

`OUT/manifest.csv` lists both (`file,label,group,split,package,source`) with
label `unlabelled`, split `adapt` or `eval`; `genre-meter features` reads it.

Only packages that CORPUS-NOTES.md does not reserve for evaluation are used
(the reserved ones: fretsonfire songs, wesnoth music, openttd-openmsx, lmms
and musescore demos, simutrans, openclonk, tuxpaint stamps, MMA's examples).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

#: Packages whose music is used for unlabelled adaptation.
ADAPT_PACKAGES = (
    "naev-data", "supertux-data", "planetblupi-music-ogg", "berusky2-data", "colobot-common-sounds",
    "flare-game", "megaglest-data", "0ad-data", "ufoai-music", "nexuiz-music",
)
#: Packages whose music is only ever used to judge the model.
EVAL_PACKAGES = (
    "supertuxkart-data", "warzone2100-music", "freedroidrpg-data", "drascula-music", "singularity-music",
    "unknown-horizons",
)
#: Never used: reserved for the team's independent evaluation (CORPUS-NOTES.md).
RESERVED = re.compile(r"fretsonfire|wesnoth|openttd|openmsx|lmms|musescore|simutrans|openclonk|tuxpaint|/mma/")
AUDIO = re.compile(r"\.(ogg|oga|mp3|flac|wav|opus)$", re.IGNORECASE)
#: Path parts that mark a soundtrack (not sound effects).
MUSIC_PATH = re.compile(r"(^|/)(music|mus|tracks?|soundtrack|songs)(/|$)|/audio/track\d+\.ogg$", re.IGNORECASE)
ARCHIVE = re.compile(r"\.(zip|pk3)$", re.IGNORECASE)
MIN_TRACK_S = 30.0
ADAPT_MAX_S = 90.0
ADAPT_SKIP_S = 5.0
EVAL_EXCERPT_S = 30.0


@dataclass(frozen=True)
class Track:
    package: str
    source: str
    """Path of the file, or `archive.zip!member` for a track inside an archive."""
    role: str
    """`adapt` or `eval`."""

    @property
    def name(self) -> str:
        stem = re.sub(r"[^A-Za-z0-9]+", "_", Path(self.source.split("!")[-1]).stem).strip("_")
        digest = hashlib.sha1(self.source.encode()).hexdigest()[:6]
        return f"{stem[:40]}_{digest}"


def package_files(package: str) -> list[str]:
    result = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True)
    if result.returncode != 0:
        return []
    return [line for line in result.stdout.splitlines() if Path(line).is_file()]


def find_tracks(packages: tuple[str, ...], role: str) -> tuple[list[Track], list[str]]:
    """Soundtrack files (and archive members) of the installed `packages`; also the missing packages."""
    tracks, missing = [], []
    for package in packages:
        files = package_files(package)
        if not files:
            missing.append(package)
            continue
        for path in files:
            if RESERVED.search(path):
                continue
            if AUDIO.search(path) and MUSIC_PATH.search(path):
                tracks.append(Track(package, path, role))
            elif ARCHIVE.search(path):
                try:
                    with zipfile.ZipFile(path) as archive:
                        for member in archive.namelist():
                            if AUDIO.search(member) and MUSIC_PATH.search("/" + member):
                                tracks.append(Track(package, f"{path}!{member}", role))
                except zipfile.BadZipFile:
                    continue
    return sorted(tracks, key=lambda t: t.source), missing


def duration_s(path: Path) -> float | None:
    result = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                             str(path)], capture_output=True, text=True)
    try:
        return float(result.stdout.strip())
    except ValueError:
        return None


def convert(track: Track, out_dir: Path) -> dict | None:
    """Decodes `track` into its WAV; returns its manifest row, or None if it is too short or unreadable."""
    with tempfile.TemporaryDirectory() as tmp:
        if "!" in track.source:
            archive, member = track.source.split("!", 1)
            src = Path(tmp) / Path(member).name
            with zipfile.ZipFile(archive) as z, z.open(member) as f_in, src.open("wb") as f_out:
                shutil.copyfileobj(f_in, f_out)
        else:
            src = Path(track.source)
        length_s = duration_s(src)
        if length_s is None or length_s < MIN_TRACK_S:
            return None
        dst = out_dir / track.role / track.package / f"{track.name}.wav"
        dst.parent.mkdir(parents=True, exist_ok=True)
        if track.role == "adapt":
            start_s = min(ADAPT_SKIP_S, length_s - MIN_TRACK_S)
            take_s = min(ADAPT_MAX_S, length_s - start_s)
            fmt = ["-ac", "1", "-ar", "22050"]
        else:
            start_s = max(0.0, length_s / 2 - EVAL_EXCERPT_S / 2)
            take_s = EVAL_EXCERPT_S
            fmt = ["-ac", "2", "-ar", "44100"]
        cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-ss", f"{start_s:.2f}", "-t", f"{take_s:.2f}",
               "-i", str(src), *fmt, "-c:a", "pcm_s16le", str(dst)]
        if subprocess.run(cmd, capture_output=True).returncode != 0 or not dst.is_file():
            return None
    return {"file": str(dst.relative_to(out_dir)), "label": "unlabelled", "group": f"{track.package}/{track.name}",
            "split": track.role, "package": track.package, "source": track.source}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=Path("build/real"))
    p.add_argument("--jobs", type=int, default=2)
    args = p.parse_args()
    for tool in ("ffmpeg", "ffprobe", "dpkg"):
        if shutil.which(tool) is None:
            raise SystemExit(f"error: {tool} not found (apt-get install ffmpeg)")
    adapt, missing_a = find_tracks(ADAPT_PACKAGES, "adapt")
    evaluate, missing_e = find_tracks(EVAL_PACKAGES, "eval")
    if missing_a or missing_e:
        print(f"note: not installed, skipped: {' '.join(missing_a + missing_e)} "
              f"(apt-get install --no-install-recommends {' '.join(missing_a + missing_e)})", file=sys.stderr)
    tracks = adapt + evaluate
    print(f"{len(adapt)} adaptation and {len(evaluate)} evaluation candidates", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        rows = [r for r in pool.map(lambda t: convert(t, args.out), tracks) if r is not None]
    with (args.out / "manifest.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["file", "label", "group", "split", "package", "source"])
        writer.writeheader()
        writer.writerows(rows)
    for role in ("adapt", "eval"):
        chosen = [r for r in rows if r["split"] == role]
        packages = sorted({r["package"] for r in chosen})
        print(f"{role}: {len(chosen)} tracks of ≥ {MIN_TRACK_S:g} s from {len(packages)} packages "
              f"({', '.join(packages)})")
    print(f"wrote {args.out / 'manifest.csv'}")


if __name__ == "__main__":
    main()
