#!/usr/bin/env bash
# End-to-end smoke test of `cargo xtask corpus`: renders a tiny corpus and
# checks every clip by numbers (22 050 Hz, mono, 16-bit, exact length, not
# silent, not clipped), that the manifest lists every file with all its
# columns, and that real drum kits (not only soundfont kits) were used.
# Usage: scripts/corpus_smoke.sh [OUT_DIR] [SONGS_PER_GENRE] [DURATION_S]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/corpus-smoke}
n=${2:-3}
dur=${3:-10}
rm -rf "$out"
cargo xtask corpus --out "$out" --songs-per-genre "$n" --seed 1 --duration-s "$dur"

fail=0
want_samples=$(python3 -c "print(round($dur * 22050))")
head -1 "$out/manifest.csv" | grep -q '^file,label,group,split,template,tempo_bpm,key,soundfont,seed' \
  || { echo "bad manifest header"; fail=1; }
head -1 "$out/manifest.csv" | grep -q ',chain,rms_db,texture,drums,guitars$' \
  || { echo "manifest lacks the chain/texture/drums/guitars columns"; fail=1; }
awk -F, 'NF != 16 { bad++ } END { exit bad > 0 }' "$out/manifest.csv" \
  || { echo "manifest rows without 16 fields (a comma in a chain?)"; fail=1; }
real_kits=$(tail -n +2 "$out/manifest.csv" | cut -d, -f15 | grep -c -v -E '^(none|gm-kit)$' || true)
[ "$real_kits" -gt 0 ] || { echo "no song used a real drum kit"; fail=1; }
rows=$(($(wc -l < "$out/manifest.csv") - 1))
[ "$rows" -eq $((n * 10)) ] || { echo "manifest has $rows rows, want $((n * 10))"; fail=1; }
while IFS=, read -r file label _rest; do
  f="$out/$file"
  [ -f "$f" ] || { echo "missing $f"; fail=1; continue; }
  rate=$(sox --i -r "$f"); ch=$(sox --i -c "$f"); bits=$(sox --i -b "$f"); samples=$(sox --i -s "$f")
  stats=$(sox "$f" -n stat 2>&1)
  rms=$(awk '/RMS     amplitude/ {print $3}' <<<"$stats")
  peak=$(awk '/Maximum amplitude/ {print $3}' <<<"$stats")
  ok=$(python3 -c "print(int($rate == 22050 and $ch == 1 and $bits == 16 and $samples == $want_samples and $rms > 0.003 and $peak < 0.999))")
  printf '%-34s %s Hz %s ch %s bit %s samples rms %s peak %s\n' "$file" "$rate" "$ch" "$bits" "$samples" "$rms" "$peak"
  [ "$ok" = 1 ] || { echo "  ^ FAILED"; fail=1; }
done < <(tail -n +2 "$out/manifest.csv")
[ "$fail" = 0 ] && echo "corpus smoke: OK" || { echo "corpus smoke: FAILED"; exit 1; }
