#!/usr/bin/env python3
"""Merges generated corpora into one manifest for training.

    python3 scripts/merge_corpora.py OUT MAIN [EXTRA ...] [--with-tests CORPUS:SUFFIX ...]

MAIN keeps all its splits (train, val, test, test_template), so the merged
corpus is evaluated on exactly MAIN's test songs. Each EXTRA (a corpus of
another seed, chained copies of MAIN's songs) adds only its train and val
songs: more songs of the training styles, never a held-out style.
`--with-tests CORPUS:SUFFIX` adds a corpus of another kind (the non-music
corpus of `cargo xtask nonmusic`) with all its splits, its test splits
renamed with SUFFIX (`test` → `test_nonmusic`, `test_template` →
`test_template_nonmusic` for `:_nonmusic`) so they are reported apart from
MAIN's. OUT gets `manifest.csv` and one symlink per corpus (a/ for MAIN, b/,
c/, ... for the others); files and groups are prefixed with that letter so
songs of different corpora never share a group. Every manifest needs the
columns file, label, group and split; other columns are kept (empty where a
corpus lacks them). Example (the shipped model's data):

    cargo xtask corpus --out build/corpus-v3 --songs-per-genre 150 --seed 31 --jobs 2
    cargo xtask nonmusic --out build/nonmusic-v1 --clips 2000 --seed 31 --jobs 2
    training/.venv/bin/python training/chains.py build/corpus-v3/manifest.csv --out build/chained-v3
    python3 scripts/merge_corpora.py build/train-v3 build/corpus-v3 build/chained-v3 \\
        --with-tests build/nonmusic-v1:_nonmusic
    scripts/retrain.sh build/train-v3/manifest.csv ...
"""

import argparse
import collections
import csv
import os
import string
import sys

REQUIRED = ["file", "label", "group", "split"]
TRAINING_SPLITS = ("train", "val")


def read_manifest(corpus: str) -> tuple[list[str], list[dict[str, str]]]:
    manifest = os.path.join(corpus, "manifest.csv")
    if not os.path.isfile(manifest):
        sys.exit(f"{manifest}: not found (make it with `cargo xtask corpus --out {corpus} ...`)")
    with open(manifest, newline="") as f:
        reader = csv.DictReader(f)
        columns = list(reader.fieldnames or [])
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            sys.exit(f"{manifest}: missing columns {missing} (a manifest needs {', '.join(REQUIRED)})")
        return columns, list(reader)


def main() -> None:
    parser = argparse.ArgumentParser(usage=__doc__.split("\n\n")[1].strip(), add_help=True)
    parser.add_argument("out")
    parser.add_argument("main")
    parser.add_argument("extras", nargs="*")
    parser.add_argument("--with-tests", action="append", default=[], metavar="CORPUS:SUFFIX")
    args = parser.parse_args()
    # (corpus, test-split suffix or None for train/val only)
    corpora: list[tuple[str, str | None]] = [(args.main, "")]
    corpora += [(extra, None) for extra in args.extras]
    for spec in args.with_tests:
        corpus, sep, suffix = spec.rpartition(":")
        if not sep or not corpus or not suffix:
            sys.exit(f"--with-tests {spec!r}: expected CORPUS:SUFFIX, e.g. build/nonmusic:_nonmusic")
        corpora.append((corpus, suffix))
    if len(corpora) > len(string.ascii_lowercase):
        sys.exit(f"at most {len(string.ascii_lowercase)} corpora")
    # Every manifest is read and checked before OUT is touched, so a refused
    # merge leaves an earlier one as it was.
    manifests = [read_manifest(corpus) for corpus, _ in corpora]
    fields = list(manifests[0][0])
    for columns, _ in manifests[1:]:
        fields += [c for c in columns if c not in fields]
    rows = []
    for i, ((corpus, suffix), (_, corpus_rows)) in enumerate(zip(corpora, manifests)):
        name = string.ascii_lowercase[i]
        for row in corpus_rows:
            split = row["split"]
            if split not in TRAINING_SPLITS:
                if suffix is None:
                    continue
                split += suffix
            rows.append({**{c: "" for c in fields}, **row, "split": split,
                         "file": f"{name}/{row['file']}", "group": f"{name}-{row['group']}"})

    os.makedirs(args.out, exist_ok=True)
    for i, (corpus, _) in enumerate(corpora):
        link = os.path.join(args.out, string.ascii_lowercase[i])
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(os.path.abspath(corpus), link)
    with open(os.path.join(args.out, "manifest.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    counts = collections.Counter(row["split"] for row in rows)
    print(f"{args.out}/manifest.csv: " + ", ".join(f"{split} {n}" for split, n in sorted(counts.items())))


if __name__ == "__main__":
    main()
