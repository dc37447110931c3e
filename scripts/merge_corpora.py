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


def main() -> None:
    if len(sys.argv) < 3 or sys.argv[1] in ("-h", "--help"):
        sys.exit(__doc__)
    out, corpora = sys.argv[1], sys.argv[2:]
    if len(corpora) > len(string.ascii_lowercase):
        sys.exit(f"at most {len(string.ascii_lowercase)} corpora")
    os.makedirs(out, exist_ok=True)
    rows, fields = [], None
    for i, corpus in enumerate(corpora):
        name = string.ascii_lowercase[i]
        manifest = os.path.join(corpus, "manifest.csv")
        if not os.path.isfile(manifest):
            sys.exit(f"{manifest}: not found (make it with `cargo xtask corpus --out {corpus} ...`)")
        link = os.path.join(out, name)
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(os.path.abspath(corpus), link)
        with open(manifest, newline="") as f:
            reader = csv.DictReader(f)
            if fields is None:
                fields = reader.fieldnames
            elif reader.fieldnames != fields:
                sys.exit(f"{manifest}: columns {reader.fieldnames} differ from {fields}")
            for row in reader:
                if i > 0 and row["split"] not in ("train", "val"):
                    continue
                row["file"] = f"{name}/{row['file']}"
                row["group"] = f"{name}-{row['group']}"
                rows.append(row)
    with open(os.path.join(out, "manifest.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    counts = collections.Counter(row["split"] for row in rows)
    print(f"{out}/manifest.csv: " + ", ".join(f"{split} {n}" for split, n in sorted(counts.items())))


if __name__ == "__main__":
    main()
