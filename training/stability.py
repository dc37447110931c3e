"""Stability and plausibility on real music without labels.

    python training/stability.py build/real/manifest.csv --model old=build/models-old/genre_cnn.json \\
        --model new=models/genre_cnn.json [--work build/stability] [--json OUT.json]

Real recordings have no labels here, but two things can still be judged:

- stability: the same track passed through the chains a host or a file
  format puts in front of the analyzer (training/chains.py FIXED_CHAINS:
  low-pass, resampling, MP3/AAC/Opus, gain, EQ tilt, a combined host chain)
  should keep its top genre; reported per chain and over all;
- plausibility: how the clean tracks spread over genres and statuses (a
  model that calls every soundtrack "metal" is suspicious).

Uses the `eval` split of training/realmusic.py's manifest (packages never
used for adaptation), through the release CLI.
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import chains
from clirun import DEFAULT_GENRE_METER, classify, top_genre


def make_chained(rows: list[dict], work: Path, jobs: int) -> dict[str, list[Path]]:
    """Chained copies of every track, per chain name (reused when present)."""
    out: dict[str, list[Path]] = {"clean": [Path(r["path"]) for r in rows]}
    todo = []
    for name, chain in chains.FIXED_CHAINS.items():
        paths = []
        for r in rows:
            dst = work / name / r["file"]
            paths.append(dst)
            if not dst.is_file():
                todo.append((chain, Path(r["path"]), dst))
        out[name] = paths
    if todo:
        print(f"writing {len(todo)} chained copies under {work}", flush=True)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(lambda job: chains.apply(*job), todo))
    return out


def entropy_bits(counts: collections.Counter) -> float:
    total = sum(counts.values())
    return -sum(c / total * math.log2(c / total) for c in counts.values() if c)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("manifest", type=Path)
    p.add_argument("--model", action="append", required=True, metavar="NAME=CARD")
    p.add_argument("--split", default="eval")
    p.add_argument("--work", type=Path, default=Path("build/stability"))
    p.add_argument("--genre-meter", type=Path, default=DEFAULT_GENRE_METER)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args()
    with args.manifest.open(newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["split"] == args.split]
    if not rows:
        raise SystemExit(f"error: {args.manifest}: no rows in split {args.split!r}")
    for r in rows:
        r["path"] = str((args.manifest.parent / r["file"]).resolve())
    copies = make_chained(rows, args.work.resolve(), args.jobs)
    all_files = [f for paths in copies.values() for f in paths]
    results = {}
    for spec in args.model:
        name, _, card = spec.partition("=")
        records = classify(args.genre_meter, None if card == "shipped" else Path(card), all_files, args.jobs)

        def rec(path: Path) -> dict:
            return records[str(path.resolve())]

        clean = [rec(f) for f in copies["clean"]]
        clean_top = [top_genre(r) for r in clean]
        per_chain = {}
        for chain_name, paths in copies.items():
            if chain_name == "clean":
                continue
            same = [top_genre(rec(f)) == t for f, t in zip(paths, clean_top)]
            per_chain[chain_name] = sum(same) / len(same)
        spread = collections.Counter(clean_top)
        statuses = collections.Counter(r["status"] for r in clean)
        ok_spread = collections.Counter(top_genre(r) for r in clean if r["status"] == "ok")
        results[name] = {
            "tracks": len(rows),
            "stability_mean": sum(per_chain.values()) / len(per_chain),
            "stability_min": min(per_chain.values()),
            "stability_per_chain": per_chain,
            "genre_spread": dict(spread.most_common()),
            "largest_genre_share": spread.most_common(1)[0][1] / len(rows),
            "genre_entropy_bits": entropy_bits(spread),
            "statuses": dict(statuses),
            "ok_genre_spread": dict(ok_spread.most_common()),
        }
    for name, r in results.items():
        print(f"{name}: {r['tracks']} real tracks; top genre kept under a chain {r['stability_mean']:.3f} on average "
              f"(worst chain {r['stability_min']:.3f}); spread {r['genre_spread']} "
              f"(entropy {r['genre_entropy_bits']:.2f} bits); statuses {r['statuses']}")
        print("    per chain: " + ", ".join(f"{k} {v:.2f}" for k, v in r["stability_per_chain"].items()))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
