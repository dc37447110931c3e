#!/usr/bin/env bash
# rustc wrapper for the fuzz build (set in .cargo/config.toml): libFuzzer's coverage
# instrumentation, in full, only on the crates whose control flow the input bytes steer.
#
# - Symphonia's demuxers and codecs, and `extended` (AIFF's 80-bit rate): everything cargo-fuzz
#   asks for, comparison tracing included (it feeds libFuzzer the magic values they test).
# - genre-core and this crate: edge coverage, no comparison tracing. Their decoder glue and
#   window assembly branch on the input, but generic code is compiled into the crate that
#   instantiates it, so rustfft's, realfft's and rubato's number crunching lands here too,
#   and a `__sanitizer_cov_trace_cmp` call per loop test made it most of each run's time.
# - Everything else (rustfft, rubato, tract, …): no coverage instrumentation; their paths
#   depend on buffer sizes, not on sample values. tract, never run by the target, had added
#   ~0.5 M counters that libFuzzer scanned after every input.
#
# The sanitizer (ASan), debug assertions, overflow checks and `cfg(fuzzing)` stay on for every
# crate: a panic or a memory error anywhere is still a crash.
#
# Invoked as `rustc-wrapper.sh <rustc> <args…>`.
set -euo pipefail
rustc=$1
shift
crate=
prev=
for arg in "$@"; do
    if [[ $prev == --crate-name ]]; then
        crate=$arg
        break
    fi
    prev=$arg
done
case $crate in
    symphonia* | extended | "")
        exec "$rustc" "$@"
        ;;
    genre_core | genre_meter_fuzz | decode_analyze)
        drop='^-Cllvm-args=-sanitizer-coverage-trace-compares$'
        ;;
    *)
        drop='^(-Cpasses=sancov-module|-Cllvm-args=-sanitizer-coverage-.*|-Cllvm-args=-simplifycfg-branch-fold-threshold=0)$'
        ;;
esac
args=()
for arg in "$@"; do
    [[ $arg =~ $drop ]] || args+=("$arg")
done
exec "$rustc" "${args[@]}"
