#!/usr/bin/env bash
# CPU time of a newcomer's first build: `cargo build --release -p genre-cli`
# into an empty target directory (the crates' sources already downloaded).
#
# Usage: benches/compare/cold_build.sh [--src DIR] [--target DIR]
#   --src DIR     the source tree to build (default: this repository)
#   --target DIR  the target directory, emptied first
#                 (default: build/target-cold in this repository)
#
# Prints the build's wall time and CPU time (user + sys, all processes) and
# the crates that took the most CPU (each rustc run timed by rustc_cpu.sh);
# cargo's --timings report lands in TARGET/cargo-timings/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
src=$repo
target=$repo/build/target-cold
while [ $# -gt 0 ]; do
  case "$1" in
    --src) src=$(cd "$2" && pwd); shift 2 ;;
    --target) target=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
rm -rf "$target"
mkdir -p "$target"
target=$(cd "$target" && pwd)
log=$target/rustc-cpu.log
: > "$log"
cd "$src"
start=$(date +%s.%N)
# `time` of the shell counts the CPU of every process cargo starts.
times_before=$(awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat)
CARGO_TARGET_DIR=$target RUSTC_WRAPPER=$here/rustc_cpu.sh RUSTC_CPU_LOG=$log \
  cargo build --release --locked -p genre-cli --timings
end=$(date +%s.%N)
clk_tck=$(getconf CLK_TCK)
cpu_s=$(awk -v b="$times_before" -v hz="$clk_tck" '{printf "%.1f", ($14 + $15 + $16 + $17 - b) / hz}' /proc/$$/stat)
echo
echo "cold release build of genre-cli in $src"
echo "  wall $(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.0f", b - a}') s, CPU (user + sys) $cpu_s s; load average now $(cut -d' ' -f1 /proc/loadavg)"
echo "  rustc alone: $(awk '{u += $2; s += $3} END {printf "%.1f s user + %.1f s sys", u, s}' "$log") over $(wc -l < "$log") runs"
echo "  most CPU (s):"
awk '{cpu[$1] += $2 + $3} END {for (c in cpu) printf "%8.1f  %s\n", cpu[c], c}' "$log" | sort -rn | head -12
