#!/usr/bin/env bash
# Side by side, in one run: the seed-style Python pipeline (librosa log-mel +
# onnxruntime) against `genre-meter classify` on the same clips, on one core
# (whole processes with their start-up, and per clip without it) and on all
# cores, plus tract against onnxruntime on the same windows. See
# benches/compare/compare.py for what is timed and how.
#
# Usage: benches/compare/run.sh [--clips DIR] [--songs-per-genre N] [--seed S]
#                               [--reps R] [--model CARD.json] [--cold-build]
#   --clips DIR          WAV clips to use (searched recursively); default: generate
#                        N songs per genre (default 5, i.e. 50 × 30 s) with
#                        `cargo xtask corpus --seed S` (default 4242, a seed no
#                        model was trained on) into build/compare/clips-seedS
#   --reps R             alternating repetitions (default 3)
#   --model CARD.json    model card (default models/genre_cnn.json); both
#                        pipelines run the ONNX file it names
#   --cold-build         also time a newcomer's first build of the CLI into an
#                        empty target directory (benches/compare/cold_build.sh,
#                        several minutes of CPU)
#
# Creates build/compare-venv (Python 3.11, benches/compare/requirements.txt)
# if it is missing, builds the release CLI and the tract timer, and writes
# build/compare/results.json. Exit status 1 if the pipelines disagree on a clip.
set -euo pipefail
cd "$(dirname "$0")/../.."

clips=""
songs_per_genre=5
seed=4242
reps=3
card=models/genre_cnn.json
cold_build=false
while [ $# -gt 0 ]; do
  case "$1" in
    --clips) clips=$2; shift 2 ;;
    --songs-per-genre) songs_per_genre=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --model) card=$2; shift 2 ;;
    --cold-build) cold_build=true; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

work=build/compare
venv=build/compare-venv
mkdir -p "$work"

if [ ! -x "$venv/bin/python" ]; then
  echo "== creating $venv"
  python3.11 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  (cd benches/compare && "../../$venv/bin/pip" install --quiet -r requirements.txt)
fi

echo "== building the release CLI and the tract timer"
cargo build --release --locked -p genre-cli
cargo build --release --locked -p genre-core --example tract_windows
target_dir=$(cargo metadata --format-version 1 --no-deps | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')

if [ -z "$clips" ]; then
  clips=$work/clips-seed$seed
  want=$((songs_per_genre * 10))
  have=0
  [ -f "$clips/manifest.csv" ] && have=$(($(wc -l < "$clips/manifest.csv") - 1))
  if [ "$have" -ne "$want" ]; then
    echo "== generating $want clips of 30 s (cargo xtask corpus, seed $seed)"
    cargo xtask corpus --out "$clips" --songs-per-genre "$songs_per_genre" --seed "$seed" --jobs "$(nproc)"
  fi
fi

echo "== comparing"
status=0
"$venv/bin/python" benches/compare/compare.py \
  --clips "$clips" \
  --cli "$target_dir/release/genre-meter" \
  --tract "$target_dir/release/examples/tract_windows" \
  --card "$card" \
  --work "$work" \
  --reps "$reps" || status=$?

if $cold_build; then
  echo "== cold build"
  benches/compare/cold_build.sh
fi
exit "$status"
