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
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import chains
from clirun import DEFAULT_GENRE_METER, classify, top_genre


def chained_copies(chain: chains.Chain, rows: list[dict], out: Path, jobs: int) -> list[Path]:
    """Writes every track through `chain` under `out`; returns the paths in row order."""
    jobs_list = [(chain, Path(r["path"]), out / r["file"]) for r in rows]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(lambda job: chains.apply(*job), jobs_list))
    return [dst for _, _, dst in jobs_list]


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
    models = [(name, None if card == "shipped" else Path(card))
              for name, _, card in (spec.partition("=") for spec in args.model)]
    clean_files = [Path(r["path"]) for r in rows]
    # top genre and status per model and chain ("clean" first), one list per model in row order
    tops: dict[str, dict[str, list]] = {name: {} for name, _ in models}
    statuses: dict[str, list] = {}
    work = args.work.resolve()
    for chain_name in ["clean", *chains.FIXED_CHAINS]:
        if chain_name == "clean":
            files = clean_files
        else:
            # NOTE: one chain at a time, deleted after use: all chains of all tracks
            # at 44.1–96 kHz would take gigabytes.
            print(f"{chain_name}: {chains.describe(chains.FIXED_CHAINS[chain_name])}", flush=True)
            files = chained_copies(chains.FIXED_CHAINS[chain_name], rows, work / chain_name, args.jobs)
        for name, card in models:
            records = classify(args.genre_meter, card, files, args.jobs)
            found = [records[str(f.resolve())] for f in files]
            tops[name][chain_name] = [top_genre(r) for r in found]
            if chain_name == "clean":
                statuses[name] = [r["status"] for r in found]
        if chain_name != "clean":
            shutil.rmtree(work / chain_name, ignore_errors=True)
    results = {}
    for name, _ in models:
        clean_top = tops[name]["clean"]
        per_chain = {chain_name: sum(a == b for a, b in zip(t, clean_top)) / len(rows)
                     for chain_name, t in tops[name].items() if chain_name != "clean"}
        spread = collections.Counter(clean_top)
        ok_spread = collections.Counter(t for t, st in zip(clean_top, statuses[name]) if st == "ok")
        results[name] = {
            "tracks": len(rows),
            "stability_mean": sum(per_chain.values()) / len(per_chain),
            "stability_min": min(per_chain.values()),
            "stability_per_chain": per_chain,
            "genre_spread": dict(spread.most_common()),
            "largest_genre_share": spread.most_common(1)[0][1] / len(rows),
            "genre_entropy_bits": entropy_bits(spread),
            "statuses": dict(collections.Counter(statuses[name])),
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
