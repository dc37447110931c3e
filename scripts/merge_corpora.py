#!/usr/bin/env python3
"""Merges generated corpora into one manifest for training.

    python3 scripts/merge_corpora.py OUT MAIN [EXTRA ...]

MAIN keeps all its splits (train, val, test, test_template), so the merged
corpus is evaluated on exactly MAIN's test songs. Each EXTRA (a corpus of
another seed) adds only its train and val songs: more songs of the training
styles, never a held-out style. OUT gets `manifest.csv` and one symlink per
corpus (a/ for MAIN, b/, c/, ... for the extras); files and groups are
prefixed with that letter so songs of different seeds never share a group.
Example (the shipped model's data):

    cargo xtask corpus --out corpus --songs-per-genre 150 --seed 11 --jobs 2
    cargo xtask corpus --out build/corpus12 --songs-per-genre 150 --seed 12 --jobs 2
    python3 scripts/merge_corpora.py build/corpus-2seeds corpus build/corpus12
    scripts/retrain.sh build/corpus-2seeds/manifest.csv ...
"""

import collections
import csv
import os
import string
import sys


def read_manifest(corpus: str) -> tuple[list[str], list[dict[str, str]]]:
    manifest = os.path.join(corpus, "manifest.csv")
    if not os.path.isfile(manifest):
        sys.exit(f"{manifest}: not found (make it with `cargo xtask corpus --out {corpus} ...`)")
    with open(manifest, newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def main() -> None:
    if len(sys.argv) < 3 or sys.argv[1] in ("-h", "--help"):
        sys.exit(__doc__)
    out, corpora = sys.argv[1], sys.argv[2:]
    if len(corpora) > len(string.ascii_lowercase):
        sys.exit(f"at most {len(string.ascii_lowercase)} corpora")
    # Every manifest is read and checked before OUT is touched, so a refused
    # merge leaves an earlier one as it was.
    manifests = [read_manifest(corpus) for corpus in corpora]
    fields = manifests[0][0]
    rows = []
    for i, (corpus, (columns, corpus_rows)) in enumerate(zip(corpora, manifests)):
        if columns != fields:
            sys.exit(f"{os.path.join(corpus, 'manifest.csv')}: columns {columns} differ from {fields}")
        name = string.ascii_lowercase[i]
        for row in corpus_rows:
            if i == 0 or row["split"] in ("train", "val"):
                rows.append({**row, "file": f"{name}/{row['file']}", "group": f"{name}-{row['group']}"})

    os.makedirs(out, exist_ok=True)
    for i, corpus in enumerate(corpora):
        link = os.path.join(out, string.ascii_lowercase[i])
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(os.path.abspath(corpus), link)
    with open(os.path.join(out, "manifest.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    counts = collections.Counter(row["split"] for row in rows)
    print(f"{out}/manifest.csv: " + ", ".join(f"{split} {n}" for split, n in sorted(counts.items())))


if __name__ == "__main__":
    main()
