#!/usr/bin/env bash
# Genre Meter in a real DAW, without a display: Ardour 7 (`ardour7-lua` on its
# Dummy backend, which runs in real time) loads the built VST3 on a stereo
# track, plays a clip through it, saves the session, reloads it and saves it
# again. The saved analysis and parameters must survive the round trip, the
# timeline must follow Ardour's transport, and the saved track so far must
# agree with the CLI on the same audio file (status, top genre, and every
# probability within TOLERANCE).
#
#   scripts/ardour_test.sh [VST3_BUNDLE] [CLI]
#
# Defaults: $CARGO_TARGET_DIR (or target)/bundled/Genre Meter.vst3 and
# .../release/genre-meter. CLIP (default examples/metal.mp3), RATE (48000),
# GATE_DB (-66) and TOLERANCE (see below) can be set. As root it installs the
# Debian packages it needs; KEEP=1 keeps the work folder.
#
# TOLERANCE (default 0.01): the plugin and the CLI read the same samples of
# the same file (the clip at the session rate, which Ardour plays without
# converting) and cut the same windows (the plugin's stream starts where the
# transport starts, at the region's first sample; the CLI runs with the
# plugin's 1 s hop), so they agree to float rounding (measured: 3e-8 or less
# on both example clips at 44.1 and 48 kHz). The tolerance leaves room for
# what a host may do to the samples on the way (a declick at start or stop)
# and still catches windows cut differently: the CLI's default 1.5 s hop
# alone moves the metal clip's estimate by 0.019.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

TARGET="$(realpath "${CARGO_TARGET_DIR:-target}")"
BUNDLE="$(realpath "${1:-$TARGET/bundled/Genre Meter.vst3}")"
CLI="$(realpath "${2:-$TARGET/release/genre-meter}")"
CLIP="$(realpath "${CLIP:-examples/metal.mp3}")"
RATE="${RATE:-48000}"
GATE_DB="${GATE_DB:--66}"
TOLERANCE="${TOLERANCE:-0.01}"
CARD="$(realpath models/genre_cnn.json)"

say() { printf 'genre-meter-test: %s\n' "$*"; }

PACKAGES=(ardour sox libsox-fmt-mp3 python3)
source scripts/debian_packages.sh
ensure_debian_packages "${PACKAGES[@]}"
[[ -d "$BUNDLE" ]] || { echo "no VST3 bundle at $BUNDLE (cargo xtask bundle genre-meter --release)" >&2; exit 1; }
[[ -x "$CLI" ]] || { echo "no CLI at $CLI (cargo build --release -p genre-cli)" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/genre-meter-ardour.XXXXXX")"
if [[ "${KEEP:-0}" == 1 ]]; then
    say "work folder: $WORK"
else
    trap 'rm -rf "$WORK"' EXIT
fi
# A fresh home for Ardour: its plugin cache and configuration start empty.
export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/config" XDG_CACHE_HOME="$WORK/cache"
export XDG_DATA_HOME="$WORK/data"
mkdir -p "$HOME/.vst3" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_DATA_HOME"
# cp -a keeps the bundle's dates: a module newer than Ardour's cache entry
# reads as "updated" and is not loaded without a GUI to confirm it.
cp -a "$BUNDLE" "$HOME/.vst3/"
LD_LIBRARY_PATH=/usr/lib/ardour7 /usr/lib/ardour7/ardour-vst3-scanner \
    "$HOME/.vst3/$(basename "$BUNDLE")" >"$WORK/scan.log" 2>&1 ||
    { cat "$WORK/scan.log"; echo "the VST3 scanner rejected the bundle" >&2; exit 1; }

# The clip at the session rate (Ardour plays a file at the session rate
# without converting it), stereo with the right channel at half level, as
# one file for the CLI and one mono file per channel for Ardour.
sox -q "$CLIP" -r "$RATE" -e floating-point -b 32 "$WORK/mono.wav"
sox -q "$WORK/mono.wav" "$WORK/clip.wav" remix 1 1v0.5
sox -q "$WORK/clip.wav" "$WORK/left.wav" remix 1
sox -q "$WORK/clip.wav" "$WORK/right.wav" remix 2
NUM_SAMPLES="$(soxi -s "$WORK/clip.wav")"
LENGTH_S="$(soxi -D "$WORK/clip.wav")"

lua() {
    local log="$WORK/ardour-$1.log"
    if ! timeout 300 ardour7-lua -- scripts/ardour_test.lua "$@" >"$log" 2>&1 ||
        ! grep -q "^genre-meter-test: \(created\|played\|saved again\)" "$log"; then
        cat "$log" >&2
        echo "ardour7-lua $1 failed" >&2
        exit 1
    fi
    grep "^genre-meter-test:" "$log" || true
}

SESSION="$WORK/session"
lua create "$SESSION" gm "$RATE" "$GATE_DB"
python3 scripts/ardour_session.py point-take "$SESSION/gm.ardour" \
    "$WORK/left.wav" "$WORK/right.wav" "$NUM_SAMPLES"
# Roll 2 s past the end of the clip, as a producer lets a song ring out.
lua play "$SESSION" gm "$(awk -v s="$LENGTH_S" 'BEGIN { print s + 2 }')"
cp "$SESSION/gm.ardour" "$WORK/played.ardour"
lua resave "$SESSION" gm

"$CLI" classify --json --hop 1 --gate-db "$GATE_DB" "$WORK/clip.wav" >"$WORK/cli.json"
python3 scripts/ardour_session.py compare "$WORK/played.ardour" "$SESSION/gm.ardour" \
    "$WORK/cli.json" "$CARD" "$TOLERANCE"
say "passed ($(basename "$CLIP") at $RATE Hz)"
