"""How much does the model's accuracy drop when the test audio is degraded?

    python training/robustness.py corpus/manifest.csv --card models/genre_cnn.json \
        [--genre-meter target/release/genre-meter] [--work build/robustness]

For every evaluation split (test, test_template, ...) of a manifest dataset it
writes transformed copies of the audio under `<work>/<variant>/` with a
manifest each, runs the Rust CLI `genre-meter features` on it (the one mel
implementation), runs the exported ONNX with onnxruntime (normalised with the
card) and stores window- and file-level accuracy per variant, next to the clean
baseline, in the card's `metrics.robustness`.

Variants: every named chain of training/chains.py (`FIXED_CHAINS`: gain
±20 dB, low-pass at 8 and 12 kHz, resampling through 48 → 44.1 kHz and to
96 kHz with a linear converter, MP3 / AAC 128 kb/s and Opus 96 kb/s round
trips, EQ tilts of ±6 dB, and a host chain combining them), and
`noise_30db_snr`: white Gaussian noise at 30 dB below the file's RMS.
"""

from __future__ import annotations

import argparse
import csv
import json
import shlex
import shutil
import subprocess
import sys
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import soundfile as sf

import chains
from data import TRAIN_SPLIT, VAL_SPLIT, FeatureDir
from export import INPUT_NAME, OUTPUT_NAME
from metrics import file_estimates, softmax, split_metrics

NOISE_SNR_DB = 30.0
VARIANTS = {
    "clean": "the original test audio",
    **{name: chains.describe(chain) for name, chain in chains.FIXED_CHAINS.items()},
    "noise_30db_snr": f"white Gaussian noise at {NOISE_SNR_DB:g} dB SNR relative to each file's RMS",
}


def read_manifest(path: Path) -> tuple[list[str], list[dict]]:
    """Returns the header and the rows of the evaluation splits, `file` made absolute."""
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        header = list(reader.fieldnames or [])
        missing = {"file", "label", "split"} - set(header)
        if missing:
            raise SystemExit(f"error: {path}: missing columns {sorted(missing)}; is it a manifest?")
        rows = [r for r in reader if r["split"] not in (TRAIN_SPLIT, VAL_SPLIT)]
    for row in rows:
        file = Path(row["file"])
        if not file.is_absolute():
            # NOTE: manifests name files relative to the manifest; fall back to the cwd.
            file = path.parent / file if (path.parent / file).exists() else file
        if not file.exists():
            raise SystemExit(f"error: {path}: file {row['file']!r} not found")
        row["file"] = str(file.resolve())
    return header, rows


def transform(variant: str, src: Path, dst: Path, seed: int) -> None:
    """Writes the degraded copy of `src` to `dst` (a WAV file)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if variant in chains.FIXED_CHAINS:
        chains.apply(chains.FIXED_CHAINS[variant], src, dst)
    elif variant == "noise_30db_snr":
        audio, rate = sf.read(src, dtype="float64", always_2d=True)
        info = sf.info(src)
        rms = float(np.sqrt(np.mean(np.square(audio)))) if audio.size else 0.0
        # Seeded per file so a rerun writes the same noise.
        rng = np.random.default_rng([seed, zlib.crc32(src.name.encode())])
        noisy = audio + rng.normal(0.0, rms * 10 ** (-NOISE_SNR_DB / 20), audio.shape)
        subtype = info.subtype if info.subtype in sf.available_subtypes("WAV") else "PCM_16"
        sf.write(dst, np.clip(noisy, -1.0, 1.0), rate, subtype=subtype, format="WAV")
    else:
        raise ValueError(f"unknown variant {variant!r}")


def make_variant(variant: str, header: list[str], rows: list[dict], work: Path, seed: int) -> Path:
    """Writes `<work>/<variant>/manifest.csv` (absolute file paths) and the audio; returns the manifest."""
    out_dir = (work / variant).resolve()
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    new_rows = []
    jobs = []
    for i, row in enumerate(rows):
        src = Path(row["file"])
        if variant == "clean":
            dst = src
        else:
            dst = out_dir / "audio" / row["label"] / f"{i:05d}_{src.stem}.wav"
            jobs.append((src, dst))
        new_rows.append({**row, "file": str(dst)})
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda job: transform(variant, job[0], job[1], seed), jobs))
    manifest = out_dir / "manifest.csv"
    with manifest.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(new_rows)
    return manifest


def extract_features(genre_meter: Path, manifest: Path, out_dir: Path) -> FeatureDir:
    if out_dir.exists():
        shutil.rmtree(out_dir)
    cmd = [str(genre_meter), "features", str(manifest), "--out", str(out_dir)]
    result = subprocess.run(cmd)
    if not (out_dir / "meta.json").is_file():
        raise SystemExit(f"error: {shlex.join(cmd)} failed ({result.returncode}) and wrote no meta.json")
    if result.returncode != 0:
        print(f"warning: {shlex.join(cmd)} exited {result.returncode}; some files failed "
              f"(see {out_dir / 'meta.json'} failed_files)", file=sys.stderr)
    return FeatureDir(out_dir)


def source_stem(file: str) -> str:
    """The original file's stem: variant copies are named `<row>_<stem>.wav` (see make_variant)."""
    stem = Path(file).stem
    prefix, sep, rest = stem.partition("_")
    return rest if sep and prefix.isdigit() and len(prefix) == 5 else stem


def evaluate(session, card: dict, fd: FeatureDir) -> tuple[dict, dict[str, dict[str, int]]]:
    """Window/file accuracy and statuses per evaluation split of `fd`, labels mapped to the card's by name."""
    labels = card["labels"]
    decision = card.get("decision") or {"no_genre": [], "temperature": 1.0, "uncertain_threshold": 0.5}
    is_genre = np.asarray([label not in decision["no_genre"] for label in labels])
    if fd.features != card["features"]:
        raise SystemExit(f"error: {fd.path}: feature settings {fd.features} differ from the card's "
                         f"{card['features']}; this CLI does not compute what the model was trained on")
    mean = np.float32(card["normalization"]["mean"])
    std = np.float32(card["normalization"]["std"])
    unknown = set(fd.labels) - set(labels)
    if unknown:
        raise SystemExit(f"error: {fd.path}: labels {sorted(unknown)} are not in the card's {labels}")
    to_card = np.asarray([labels.index(label) for label in fd.labels], dtype=np.int64)
    results, predictions = {}, {}
    for name in fd.evaluation_split_names:
        split = fd.split(name)
        logits = np.concatenate([
            session.run([OUTPUT_NAME], {INPUT_NAME: ((x - mean) / std)[:, None].astype(np.float32)})[0]
            for _, x in split.chunks(256)
        ])
        m = split_metrics(logits, to_card[split.y], split.file_idx, labels, is_genre,
                          decision["temperature"], decision["uncertain_threshold"])
        results[name] = {k: m[k] for k in ("window_accuracy", "file_accuracy", "num_files", "num_windows",
                                           "status_fractions")}
        top = file_estimates(softmax(logits, decision["temperature"]), split.file_idx, is_genre).argmax(axis=1)
        predictions[name] = {source_stem(f): int(t) for f, t in zip(split.files, top)}
    return results, predictions


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("manifest", type=Path, help="manifest CSV (file,label,group,split) with test splits")
    p.add_argument("--card", type=Path, default=Path("models/genre_cnn.json"))
    p.add_argument("--genre-meter", type=Path, default=Path("target/release/genre-meter"))
    p.add_argument("--work", type=Path, default=Path("build/robustness"), help="where copies and features go")
    p.add_argument("--features", type=Path, default=None,
                   help="clean feature dir of the same dataset to reuse for the baseline")
    p.add_argument("--variants", default=",".join(v for v in VARIANTS if v != "clean"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--reuse", action="store_true",
                   help="evaluate on the copies and features an earlier run left in --work (same manifest and "
                        "seed: the copies are seeded), so several models are judged on the same files")
    args = p.parse_args()

    import onnxruntime as ort

    for tool in ("sox", "ffmpeg"):
        if shutil.which(tool) is None:
            raise SystemExit(f"error: {tool} not found on PATH; install it (apt-get install sox ffmpeg)")
    if not args.genre_meter.is_file():
        raise SystemExit(f"error: {args.genre_meter}: not found; build it with `cargo build --release -p genre-cli`")
    card = json.loads(args.card.read_text())
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(str(args.card.parent / card["model_file"]), options,
                                   providers=["CPUExecutionProvider"])
    header, rows = read_manifest(args.manifest)
    if not rows:
        raise SystemExit(f"error: {args.manifest}: no rows outside train/val; nothing to evaluate")
    print(f"robustness on {len(rows)} files of {args.manifest} "
          f"(splits {sorted({r['split'] for r in rows})})", flush=True)

    robustness = {}
    variants = ["clean", *[v for v in args.variants.split(",") if v]]
    for variant in variants:
        if variant not in VARIANTS:
            raise SystemExit(f"error: unknown variant {variant!r}; choose from {list(VARIANTS)}")
        if variant == "clean" and args.features is not None:
            fd = FeatureDir(args.features)
        elif args.reuse and (args.work / f"{variant}-features" / "meta.json").is_file():
            fd = FeatureDir(args.work / f"{variant}-features")
        else:
            print(f"{variant}: writing audio and features under {args.work / variant}", flush=True)
            manifest = make_variant(variant, header, rows, args.work, args.seed)
            fd = extract_features(args.genre_meter, manifest, args.work / f"{variant}-features")
        results, predictions = evaluate(session, card, fd)
        if variant == "clean":
            clean_predictions = predictions
        for split, m in results.items():
            same = [predictions[split][stem] == top for stem, top in clean_predictions[split].items()
                    if stem in predictions[split]]
            m["top1_unchanged"] = sum(same) / len(same) if same else None
        robustness[variant] = {"description": VARIANTS[variant], "splits": results}

    card.setdefault("metrics", {})["robustness"] = robustness
    args.card.write_text(json.dumps(card, indent=2) + "\n")
    print(f"\n{'variant':<20}{'split':<24}{'files':>7}{'window acc':>12}{'file acc':>10}{'unchanged':>11}{'not music':>11}")
    for variant, result in robustness.items():
        for split, m in result["splits"].items():
            print(f"{variant:<20}{split:<24}{m['num_files']:>7}{m['window_accuracy']:>12.3f}"
                  f"{m['file_accuracy']:>10.3f}{m['top1_unchanged']:>11.3f}"
                  f"{m['status_fractions']['not_music']:>11.3f}")
    print(f"wrote metrics.robustness into {args.card}")


if __name__ == "__main__":
    main()
