"""The signal chains a host and a file format put in front of the analyzer.

    python training/chains.py MANIFEST --out DIR [--copies 1] [--splits train,val] [--seed 0] [--jobs 2]

A model trained on clean renders hears a DAW's resampler, a 12 kHz low-pass
or an AAC file as a different genre. This module describes such chains as
data (a list of `Stage`s), applies them with ffmpeg, and serves three users:

- training: `main()` writes chained copies of a manifest's songs (a random
  chain per copy, same label, group and split) into DIR with
  `DIR/manifest.csv`, so `genre-meter features` and `scripts/merge_corpora.py`
  take them like any corpus;
- calibration: the temperature is fitted on validation songs passed through
  random chains (train.py);
- evaluation: `FIXED_CHAINS` are the robustness report's rows
  (training/robustness.py) and the stability report's (training/stability.py).

Stages: low-pass anywhere from 6 to 16 kHz (4th order), resampling through
one or two rates among 44.1, 48 and 96 kHz with different converters (soxr,
ffmpeg's swr, a low-quality linear one), MP3 / AAC / Opus round trips at
96–192 kb/s, gain ±20 dB (written as float, as a DAW would pass it), and an
EQ tilt of up to ±6 dB. Everything is seeded: the same seed and file give the
same chain.
"""

from __future__ import annotations

import argparse
import csv
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

LOWPASS_HZ = (6000.0, 16000.0)
RATES_HZ = (44100, 48000, 96000)
CONVERTERS = ("soxr", "swr", "linear")
CODECS = ("mp3", "aac", "opus")
BITRATES_KBPS = (96, 128, 160, 192)
GAIN_DB = 20.0
TILT_DB = 6.0


@dataclass(frozen=True)
class Stage:
    """One step of a chain: `kind` is lowpass, resample, codec, gain or tilt."""

    kind: str
    params: tuple = field(default_factory=tuple)

    def describe(self) -> str:
        p = self.params
        if self.kind == "lowpass":
            return f"low-pass {p[0] / 1000:g} kHz"
        if self.kind == "resample":
            return f"resample to {p[0] / 1000:g} kHz ({p[1]})"
        if self.kind == "codec":
            return f"{p[0].upper()} {p[1]} kb/s round trip"
        if self.kind == "gain":
            return f"gain {p[0]:+g} dB"
        if self.kind == "tilt":
            return f"EQ tilt {p[0]:+g} dB bass / {-p[0]:+g} dB treble"
        raise ValueError(f"unknown stage {self.kind!r}")


Chain = tuple[Stage, ...]


def describe(chain: Chain) -> str:
    return " → ".join(s.describe() for s in chain) or "clean"


#: Named chains for the robustness and stability reports, one effect each and two a host would combine.
FIXED_CHAINS: dict[str, Chain] = {
    "gain_-20db": (Stage("gain", (-20.0,)),),
    "gain_+20db": (Stage("gain", (20.0,)),),
    "lowpass_8k": (Stage("lowpass", (8000.0,)),),
    "lowpass_12k": (Stage("lowpass", (12000.0,)),),
    "resample_48k_44k": (Stage("resample", (48000, "soxr")), Stage("resample", (44100, "swr"))),
    "resample_96k_linear": (Stage("resample", (96000, "linear")),),
    "mp3_128k": (Stage("codec", ("mp3", 128)),),
    "aac_128k": (Stage("codec", ("aac", 128)),),
    "opus_96k": (Stage("codec", ("opus", 96)),),
    "tilt_+6db": (Stage("tilt", (6.0,)),),
    "tilt_-6db": (Stage("tilt", (-6.0,)),),
    "host_chain": (Stage("resample", (48000, "swr")), Stage("codec", ("aac", 160)),
                   Stage("lowpass", (14000.0,)), Stage("gain", (-12.0,))),
}


def random_chain(rng: random.Random) -> Chain:
    """One to three stages in a plausible order (resampling and codecs before level and tone)."""
    stages: list[Stage] = []
    kinds = rng.sample(["resample", "codec", "lowpass", "gain", "tilt"], k=rng.choice((1, 2, 2, 3)))
    for kind in ("resample", "codec", "lowpass", "tilt", "gain"):
        if kind not in kinds:
            continue
        if kind == "resample":
            for _ in range(rng.choice((1, 2))):
                stages.append(Stage("resample", (rng.choice(RATES_HZ), rng.choice(CONVERTERS))))
        elif kind == "codec":
            stages.append(Stage("codec", (rng.choice(CODECS), rng.choice(BITRATES_KBPS))))
        elif kind == "lowpass":
            stages.append(Stage("lowpass", (round(rng.uniform(*LOWPASS_HZ), -2),)))
        elif kind == "tilt":
            stages.append(Stage("tilt", (round(rng.uniform(-TILT_DB, TILT_DB), 1),)))
        else:
            stages.append(Stage("gain", (round(rng.uniform(-GAIN_DB, GAIN_DB), 1),)))
    return tuple(stages)


def chain_for(name: str, seed: int) -> Chain:
    """The random chain of file `name` under `seed` (stable across runs and machines)."""
    return random_chain(random.Random(zlib.crc32(f"{seed}:{name}".encode())))


def _ffmpeg(*args: str) -> None:
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", *args]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} failed ({result.returncode}): {result.stderr.strip()[-400:]}")


def _filter(src: Path, dst: Path, af: str, float_out: bool) -> None:
    # NOTE: filters keep their input's sample format, so a gain on 16-bit input
    # would clip before the float output: convert first.
    if float_out:
        af = f"aformat=sample_fmts=fltp,{af}"
    _ffmpeg("-i", str(src), "-af", af, "-c:a", "pcm_f32le" if float_out else "pcm_s16le", str(dst))


def _rate_hz(path: Path) -> int:
    import soundfile as sf

    return int(sf.info(str(path)).samplerate)


def apply(chain: Chain, src: Path, dst: Path) -> None:
    """Writes `src` passed through `chain` to `dst` (a WAV file; float if the chain changes the gain)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    float_out = any(s.kind == "gain" for s in chain)
    with tempfile.TemporaryDirectory() as tmp:
        current = src
        for i, stage in enumerate(chain):
            out = Path(tmp) / f"{i}.wav"
            p = stage.params
            if stage.kind == "lowpass":
                # A cut-off above the file's Nyquist frequency would do nothing: play it at
                # 44.1 kHz first, as a host running at that rate would.
                up = "aresample=44100," if _rate_hz(current) < 2.2 * p[0] else ""
                _filter(current, out, f"{up}lowpass=f={p[0]:g}:poles=2,lowpass=f={p[0]:g}:poles=2",
                        float_out)
            elif stage.kind == "resample":
                rate, converter = p
                if converter == "linear":
                    # NOTE: swr with a 1-tap filter and no phase shift is the cheap
                    # linear interpolation some hosts and players use.
                    af = f"aresample={rate}:filter_size=1:phase_shift=0:linear_interp=1"
                elif converter == "soxr":
                    af = f"aresample={rate}:resampler=soxr"
                else:
                    af = f"aresample={rate}"
                _filter(current, out, af, float_out)
            elif stage.kind == "codec":
                codec, kbps = p
                suffix, encoder = {"mp3": (".mp3", "libmp3lame"), "aac": (".m4a", "aac"),
                                   "opus": (".opus", "libopus")}[codec]
                coded = Path(tmp) / f"{i}{suffix}"
                _ffmpeg("-i", str(current), "-c:a", encoder, "-b:a", f"{kbps}k", str(coded))
                _ffmpeg("-i", str(coded), "-c:a", "pcm_f32le" if float_out else "pcm_s16le", str(out))
            elif stage.kind == "gain":
                _filter(current, out, f"volume={p[0]:g}dB", True)
            elif stage.kind == "tilt":
                _filter(current, out, f"bass=g={p[0]:g}:f=250,treble=g={-p[0]:g}:f=3000", float_out)
            else:
                raise ValueError(f"unknown stage {stage.kind!r}")
            current = out
        if current == src:
            shutil.copyfile(src, dst)
        else:
            shutil.move(str(current), dst)


def read_manifest(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    missing = {"file", "label", "split"} - set(header)
    if missing:
        raise SystemExit(f"error: {path}: missing columns {sorted(missing)}; is it a manifest?")
    return header, rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("manifest", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--copies", type=int, default=1, help="chained copies per song")
    p.add_argument("--splits", default="train,val", help="splits to copy (comma-separated)")
    p.add_argument("--fraction", type=float, default=1.0,
                   help="copy only this fraction of the songs (chosen by a seeded hash of the file name)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--resume", action="store_true",
                   help="keep copies already written (an interrupted run; delete its last files first)")
    args = p.parse_args()
    for tool in ("ffmpeg",):
        if shutil.which(tool) is None:
            raise SystemExit(f"error: {tool} not found (apt-get install ffmpeg)")
    header, rows = read_manifest(args.manifest)
    splits = set(args.splits.split(","))
    base = args.manifest.parent.resolve()
    out = args.out.resolve()
    jobs, new_rows = [], []
    for row in rows:
        if row["split"] not in splits:
            continue
        if zlib.crc32(f"{args.seed}:pick:{row['file']}".encode()) / 2**32 >= args.fraction:
            continue
        src = (base / row["file"]).resolve()
        for k in range(args.copies):
            rel = Path(row["file"]).with_suffix("")
            name = f"{rel}.chain{k}.wav"
            chain = chain_for(f"{row['file']}#{k}", args.seed)
            jobs.append((chain, src, out / name))
            new = dict(row, file=name)
            if "chain" in new:
                new["chain"] = (new["chain"] + ";" if new["chain"] else "") + describe(chain)
            new_rows.append(new)
    print(f"{len(jobs)} chained copies of {len(jobs) // max(args.copies, 1)} songs → {out}", flush=True)
    failures = []

    def run(job):
        chain, src, dst = job
        if args.resume and dst.exists():
            return
        try:
            apply(chain, src, dst)
        except RuntimeError as e:
            failures.append(f"{src}: {e}")

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        list(pool.map(run, jobs))
    if failures:
        print("\n".join(failures[:10]), file=sys.stderr)
        raise SystemExit(f"error: {len(failures)} of {len(jobs)} copies failed")
    header = header if "chain" in header else [*header, "chain"]
    with (out / "manifest.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        for row in new_rows:
            row.setdefault("chain", "")
            writer.writerow(row)
    print(f"wrote {out / 'manifest.csv'}")


if __name__ == "__main__":
    main()
