#!/usr/bin/env bash
# Screenshot of the Genre Meter editor from the standalone app under Xvfb
# (software GL through Mesa llvmpipe).
#
#   scripts/screenshot.sh [STANDALONE] [OUT.png]
#
# STANDALONE defaults to "target/bundled/Genre Meter" (from
# `cargo xtask bundle genre-meter --release`), OUT to docs/editor.png.
# Needs: xvfb xauth imagemagick xdotool and the GL/X runtime libraries
# (libx11-6 libx11-xcb1 libxcursor1 libxkbcommon-x11-0 libegl1 libegl-mesa0
# libgl1-mesa-dri). Runs itself under xvfb-run when $DISPLAY is unset.
# SETTLE_S (default 4) is how long the app runs before the grab.
#
# With AUDIO set to a sound file (WAV/FLAC/Ogg), the app runs on a private JACK
# server with the dummy driver (needs jackd2, jack-tools and sox's soxi) and hears
# the file through its input; the grab comes one second before the file ends, so
# the editor shows a real analysis in progress. The standalone has no song
# position, so its timeline is a listening history. The README's picture is
# the classical example, then the metal one (metal 69 % at the grab, just
# above the shipped model's 67 % threshold):
#   ffmpeg -i examples/classical.mp3 -i examples/metal.mp3 -filter_complex \
#     "[0:a]aresample=48000[a];[1:a]aresample=48000[b];[a][b]concat=n=2:v=0:a=1" \
#     -ar 48000 build/shot/classical-metal.wav
#   AUDIO=build/shot/classical-metal.wav scripts/screenshot.sh
set -euo pipefail

BIN="${1:-target/bundled/Genre Meter}"
OUT="${2:-docs/editor.png}"
SETTLE_S="${SETTLE_S:-4}"

if [ -z "${DISPLAY:-}" ]; then
  exec xvfb-run -a -s "-screen 0 1280x900x24" "$0" "$BIN" "$OUT"
fi

export LIBGL_ALWAYS_SOFTWARE=1
mkdir -p "$(dirname "$OUT")"
LOG="${OUT%.png}.log"
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true' EXIT
if [ -n "${AUDIO:-}" ]; then
  export JACK_DEFAULT_SERVER="genre-meter-shot-$$"
  jackd --no-realtime -d dummy -r 48000 -p 512 >"$LOG.jackd" 2>&1 &
  PIDS+=($!)
  sleep 2
  "$BIN" --backend jack >"$LOG" 2>&1 &
else
  "$BIN" --backend dummy --sample-rate 48000 --period-size 512 >"$LOG" 2>&1 &
fi
PID=$!
PIDS+=("$PID")

WID=""
for _ in $(seq 1 80); do
  WID="$(xdotool search --name "Genre Meter" 2>/dev/null | head -1 || true)"
  [ -n "$WID" ] && break
  sleep 0.25
done
if [ -z "$WID" ]; then
  echo "screenshot: no 'Genre Meter' window appeared; log: $LOG" >&2
  cat "$LOG" >&2
  exit 1
fi
if [ -n "${AUDIO:-}" ]; then
  sleep "$SETTLE_S"
  LENGTH_S="$(soxi -D "$AUDIO")"
  jack-play "$AUDIO" >"$LOG.play" 2>&1 &
  PIDS+=($!)
  PORTS=""
  for _ in $(seq 1 40); do
    PORTS="$(jack_lsp | grep '^jack-play-' || true)"
    [ -n "$PORTS" ] && break
    sleep 0.05
  done
  # Mono: one port into both inputs; stereo: left to left, right to right.
  read -r -a PORTS <<<"$(echo $PORTS)"
  jack_connect "${PORTS[0]}" genre_meter:input_1
  jack_connect "${PORTS[${#PORTS[@]}-1]}" genre_meter:input_2
  sleep "$(echo "$LENGTH_S - 1" | bc)"
else
  sleep "$SETTLE_S"
fi
import -window "$WID" "$OUT"
# SIGTERM: the standalone ignores SIGINT while its editor is open.
kill "${PIDS[@]}" 2>/dev/null || true
wait 2>/dev/null || true
trap - EXIT
rm -f "$LOG" "$LOG.jackd" "$LOG.play"
echo "screenshot: $OUT ($(identify -format '%wx%h, %k colours' "$OUT"))"
