"""Blind check: several models on the same files, through the CLI, scored against a manifest.

    python training/blind.py MANIFEST --model old=build/models-old/genre_cnn.json --model new=models/genre_cnn.json \\
        [--splits test,test_template] [--json OUT.json]

For each model and split: file accuracy (the most likely genre, whatever the
status, against the label), how the statuses fall, the accuracy of the files
answered `ok`, and for non-music files (label `not_music`) how many got
`not_music` or `uncertain` (caught) — for music files, how many were wrongly
rejected as `not_music`. Use it on a corpus seed no model was trained on.
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
from pathlib import Path

from clirun import DEFAULT_GENRE_METER, classify, top_genre

NOT_MUSIC = "not_music"


def score(rows: list[dict], records: dict[str, dict]) -> dict:
    music = [r for r in rows if r["label"] != NOT_MUSIC]
    other = [r for r in rows if r["label"] == NOT_MUSIC]
    statuses = collections.Counter(records[r["path"]]["status"] for r in rows)
    out = {"files": len(rows), "statuses": dict(statuses)}
    if music:
        correct = [top_genre(records[r["path"]]) == r["label"] for r in music]
        ok = [c for r, c in zip(music, correct) if records[r["path"]]["status"] == "ok"]
        out.update(music_files=len(music), accuracy=sum(correct) / len(music),
                   ok_fraction=len(ok) / len(music), ok_accuracy=(sum(ok) / len(ok)) if ok else None,
                   wrongly_rejected=sum(records[r["path"]]["status"] == "not_music" for r in music) / len(music))
        per_label = collections.defaultdict(list)
        for r, c in zip(music, correct):
            per_label[r["label"]].append(c)
        out["per_label"] = {k: f"{sum(v)}/{len(v)}" for k, v in sorted(per_label.items())}
        # Sparse music (solo piano, voice-led, drums alone, rap over a thin beat, spoken word over music)
        # must stay music: rejection and accuracy per texture, where the manifest says.
        per_texture = collections.defaultdict(lambda: [0, 0, 0])
        for r, c in zip(music, correct):
            t = per_texture[r.get("texture") or "?"]
            t[0] += 1
            t[1] += c
            t[2] += records[r["path"]]["status"] == "not_music"
        out["per_texture"] = {k: {"files": n, "accuracy": right / n, "rejected": rejected / n}
                              for k, (n, right, rejected) in sorted(per_texture.items())}
    if other:
        caught = [records[r["path"]]["status"] in ("not_music", "uncertain") for r in other]
        out.update(nonmusic_files=len(other), nonmusic_caught=sum(caught) / len(other),
                   nonmusic_as_not_music=sum(records[r["path"]]["status"] == "not_music" for r in other) / len(other))
        per_kind = collections.defaultdict(list)
        for r, c in zip(other, caught):
            per_kind[r.get("template") or "?"].append(c)
        out["per_kind"] = {k: f"{sum(v)}/{len(v)}" for k, v in sorted(per_kind.items())}
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("manifest", type=Path)
    p.add_argument("--model", action="append", required=True, metavar="NAME=CARD",
                   help="a model card to judge (NAME=path); 'NAME=shipped' uses the CLI's built-in model")
    p.add_argument("--splits", default=None, help="comma-separated splits (default: all)")
    p.add_argument("--genre-meter", type=Path, default=DEFAULT_GENRE_METER)
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    p.add_argument("--blind", action="store_true",
                   help="the manifest is a corpus never trained on: score its test_template split as "
                        "'held_out_styles' and every other split together as 'trained_styles'")
    args = p.parse_args()
    with args.manifest.open(newline="") as f:
        rows = list(csv.DictReader(f))
    if args.splits:
        wanted = set(args.splits.split(","))
        rows = [r for r in rows if r["split"] in wanted]
    for r in rows:
        r["path"] = str((args.manifest.parent / r["file"]).resolve())
        if args.blind:
            r["split"] = "held_out_styles" if r["split"] == "test_template" else "trained_styles"
    results = {}
    for spec in args.model:
        name, _, card = spec.partition("=")
        records = classify(args.genre_meter, None if card == "shipped" else Path(card), [Path(r["path"]) for r in rows])
        by_split = collections.defaultdict(list)
        for r in rows:
            by_split[r["split"]].append(r)
        results[name] = {split: score(split_rows, records) for split, split_rows in sorted(by_split.items())}
    for name, splits in results.items():
        for split, s in splits.items():
            line = f"{name:<10}{split:<26}{s['files']:>6} files"
            if "accuracy" in s:
                ok_acc = "–" if s["ok_accuracy"] is None else f"{s['ok_accuracy']:.3f}"
                line += (f"  accuracy {s['accuracy']:.3f}  ok {s['ok_fraction']:.3f} (right {ok_acc})"
                         f"  rejected {s['wrongly_rejected']:.3f}")
            if "nonmusic_caught" in s:
                line += f"  non-music caught {s['nonmusic_caught']:.3f} (as not_music {s['nonmusic_as_not_music']:.3f})"
            print(line)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
