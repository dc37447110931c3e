#!/usr/bin/env bash
# Builds the shipped model's training data from nothing but Debian packages:
# the generated music corpus, chained copies of its training and validation
# songs (host/codec chains), the non-music corpus (half of it chained too), all merged into one
# manifest, and the real music without labels used for adaptation.
#
#   scripts/make_training_set.sh [--out build/train-v3] [--seed 31] [--songs-per-genre 150]
#                                [--nonmusic-clips 2000] [--jobs 2]
#
# Then: scripts/retrain.sh OUT/manifest.csv --adapt-real [train.py options]
# (README, Retraining, has the options of the shipped model). Each step is
# skipped when its output exists; delete a folder to redo it. About 2 hours
# on 2 cores (mostly the music corpus).
set -euo pipefail

say() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=build/train-v3
SEED=31
SONGS=150
CLIPS=2000
JOBS=2
while [[ $# -gt 0 ]]; do
    case $1 in
        --out) OUT=$2; shift 2 ;;
        --seed) SEED=$2; shift 2 ;;
        --songs-per-genre) SONGS=$2; shift 2 ;;
        --nonmusic-clips) CLIPS=$2; shift 2 ;;
        --jobs) JOBS=$2; shift 2 ;;
        -h | --help) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done
cd "$ROOT"
MUSIC=build/corpus-s$SEED
NONMUSIC=build/nonmusic-s$SEED
CHAINED=build/chained-s$SEED
CHAINED_NM=build/chained-nm-s$SEED
PY=training/.venv/bin/python
[[ -x $PY ]] || die "$PY not found: run scripts/retrain.sh once, or python3.11 -m venv training/.venv && training/.venv/bin/pip install -r training/requirements.txt"

if [[ ! -f $MUSIC/manifest.csv ]]; then
    say "music corpus: $SONGS songs per genre, seed $SEED → $MUSIC"
    cargo xtask corpus --out "$MUSIC" --songs-per-genre "$SONGS" --seed "$SEED" --jobs "$JOBS"
fi
if [[ ! -f $NONMUSIC/manifest.csv ]]; then
    say "non-music corpus: $CLIPS clips, seed $SEED → $NONMUSIC"
    cargo xtask nonmusic --out "$NONMUSIC" --clips "$CLIPS" --seed "$SEED" --jobs "$JOBS"
fi
if [[ ! -f $CHAINED/manifest.csv ]]; then
    say "host/codec chains on the training and validation songs → $CHAINED"
    "$PY" training/chains.py "$MUSIC/manifest.csv" --out "$CHAINED" --seed "$SEED" --jobs "$JOBS"
fi
if [[ ! -f $CHAINED_NM/manifest.csv ]]; then
    # Half the non-music clips get chains too, so a chain's traces never mark music.
    say "host/codec chains on half the non-music training and validation clips → $CHAINED_NM"
    "$PY" training/chains.py "$NONMUSIC/manifest.csv" --out "$CHAINED_NM" --fraction 0.5 --seed "$SEED" --jobs "$JOBS"
fi
say "merging → $OUT/manifest.csv"
python3 scripts/merge_corpora.py "$OUT" "$MUSIC" "$CHAINED" "$CHAINED_NM" --with-tests "$NONMUSIC:_nonmusic"
if [[ ! -f build/real/manifest.csv ]]; then
    say "real music without labels → build/real"
    "$PY" training/realmusic.py --out build/real --jobs "$JOBS"
fi
say "done: $OUT/manifest.csv"
