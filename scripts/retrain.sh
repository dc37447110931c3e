#!/usr/bin/env bash
# Retrains the genre CNN on a dataset: the one command for users.
#
#   scripts/retrain.sh DATASET [--out models] [--max-minutes M] [--reuse-features] [--adapt-real] [train.py options]
#
# DATASET is a manifest CSV (file,label,group,split; e.g. corpus/manifest.csv
# from `cargo xtask corpus`) or a folder-per-genre dataset such as GTZAN's
# genres/ (genres/blues/blues.00000.wav, ...). Steps: Python venv (created if
# missing, pinned requirements), release build of the CLI, features with the
# CLI's mel code, training + ONNX export + model card + golden pair + plots,
# and for manifests with test splits the robustness evaluation.
# --adapt-real collects real music without labels from Debian game packages
# (training/realmusic.py into build/real, features into build/features/real)
# and hands it to train.py as --adapt-features, for --dann and --adabn.
# Any other option goes to training/train.py (see `training/.venv/bin/python training/train.py --help`).
# GENRE_METER=/path/to/genre-meter uses that binary instead of building one.
set -euo pipefail

usage() {
    sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit "${1:-0}"
}
say() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
COMMAND="scripts/retrain.sh$(printf ' %q' "$@")"

[[ $# -ge 1 ]] || usage 2
[[ $1 == -h || $1 == --help ]] && usage 0
DATASET=$1
shift
OUT=models
MAX_MINUTES=90
NAME=genre_cnn
REUSE_FEATURES=0
ADAPT_REAL=0
TRAIN_ARGS=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --out) [[ $# -ge 2 ]] || die "--out needs a directory"; OUT=$2; shift 2 ;;
        --max-minutes) [[ $# -ge 2 ]] || die "--max-minutes needs a number"; MAX_MINUTES=$2; shift 2 ;;
        --name) [[ $# -ge 2 ]] || die "--name needs a value"; NAME=$2; shift 2 ;;
        --reuse-features) REUSE_FEATURES=1; shift ;;
        --adapt-real) ADAPT_REAL=1; shift ;;
        -h | --help) usage 0 ;;
        *) TRAIN_ARGS+=("$1"); shift ;;
    esac
done

[[ -e $DATASET ]] || die "$DATASET: no such file or directory (expected a manifest CSV or a folder of genre folders)"
# Paths inside the repository become repository-relative (so the card records
# `corpus/manifest.csv`, not this machine's absolute path); others absolute.
DATASET=$(realpath -m --relative-base="$ROOT" "$DATASET")
OUT=$(realpath -m --relative-base="$ROOT" "$OUT")
cd "$ROOT"

if [[ -f $DATASET ]]; then
    IS_MANIFEST=1
    STEM=$(basename "$DATASET" .csv)
    [[ $STEM == manifest ]] && STEM=$(basename "$(dirname "$(realpath "$DATASET")")")
else
    IS_MANIFEST=0
    STEM=$(basename "$(realpath "$DATASET")")
fi
FEATURES=build/features/$STEM

VENV=training/.venv
PY=$VENV/bin/python
if [[ ! -x $PY ]]; then
    say "creating $VENV"
    BASE_PY=$(command -v python3.11 || command -v python3 || true)
    [[ -n $BASE_PY ]] || die "python3 not found; install Python 3.11"
    "$BASE_PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
        || echo "warning: $BASE_PY is not Python 3.11; the pins in training/requirements.txt were made with 3.11" >&2
    "$BASE_PY" -m venv "$VENV"
fi
say "installing training/requirements.txt into $VENV"
"$PY" -m pip install --quiet --disable-pip-version-check -r training/requirements.txt

if [[ -n ${GENRE_METER:-} ]]; then
    [[ -x $GENRE_METER ]] || die "GENRE_METER=$GENRE_METER is not an executable"
    say "using the CLI at $GENRE_METER (from \$GENRE_METER)"
else
    say "building the CLI (cargo build --release -p genre-cli)"
    command -v cargo >/dev/null || die "cargo not found; install Rust from https://rustup.rs"
    cargo build --release -p genre-cli
    GENRE_METER=target/release/genre-meter
fi

if [[ $REUSE_FEATURES == 1 && -f $FEATURES/meta.json ]]; then
    say "reusing features in $FEATURES"
else
    say "features: $GENRE_METER features $DATASET --out $FEATURES"
    rm -rf "$FEATURES"
    # The CLI exits non-zero when any file failed (GTZAN has a corrupt file);
    # training goes on with the rest as long as the feature directory exists.
    if ! "$GENRE_METER" features "$DATASET" --out "$FEATURES"; then
        [[ -f $FEATURES/meta.json ]] || die "feature extraction failed; see the messages above"
        echo "warning: some files failed feature extraction; they are listed under failed_files in $FEATURES/meta.json" >&2
    fi
fi

if [[ $ADAPT_REAL == 1 ]]; then
    if [[ ! -f build/real/manifest.csv ]]; then
        say "collecting real music without labels (training/realmusic.py --out build/real)"
        "$PY" training/realmusic.py --out build/real
    fi
    if [[ $REUSE_FEATURES == 1 && -f build/features/real/meta.json ]]; then
        say "reusing features in build/features/real"
    else
        say "features of the real music: build/features/real"
        rm -rf build/features/real
        "$GENRE_METER" features build/real/manifest.csv --out build/features/real
    fi
    TRAIN_ARGS+=(--adapt-features build/features/real)
fi

say "training (budget $MAX_MINUTES min) -> $OUT/$NAME.onnx"
"$PY" training/train.py "$FEATURES" --out "$OUT" --name "$NAME" --max-minutes "$MAX_MINUTES" \
    --command "$COMMAND" ${TRAIN_ARGS[@]+"${TRAIN_ARGS[@]}"}

HAS_TEST=$("$PY" -c 'import json, sys; m = json.load(open(sys.argv[1]))
print(int(any(n not in ("train", "val") and s.get("num_windows", 0) for n, s in m["splits"].items())))' \
    "$FEATURES/meta.json")
if [[ $IS_MANIFEST == 1 && $HAS_TEST == 1 ]]; then
    say "robustness on the test splits of $DATASET"
    "$PY" training/robustness.py "$DATASET" --card "$OUT/$NAME.json" --genre-meter "$GENRE_METER" \
        --features "$FEATURES" --work "build/robustness/$STEM"
else
    say "robustness skipped (needs a manifest with test splits)"
fi

say "done"
echo "model:  $OUT/$NAME.onnx"
echo "card:   $OUT/$NAME.json (golden: $OUT/${NAME}_golden_x.npy, $OUT/${NAME}_golden_logits.npy)"
echo "plots:  $OUT/${NAME}_training.png, $OUT/${NAME}_confusion.png"
"$PY" - "$OUT/$NAME.json" <<'PYEOF'
import json, sys
card = json.load(open(sys.argv[1]))
m = card["metrics"]
print(f"train accuracy {m['train_accuracy']:.3f}, val accuracy {m['val_accuracy']:.3f} (windows)")
for name, s in m["splits"].items():
    print(f"{name}: file accuracy {s['file_accuracy']:.3f} on {s['num_files']} files, window accuracy {s['window_accuracy']:.3f}")
for variant, r in m.get("robustness", {}).items():
    for name, s in r["splits"].items():
        print(f"robustness {variant} {name}: file accuracy {s['file_accuracy']:.3f}, window accuracy {s['window_accuracy']:.3f}")
PYEOF
