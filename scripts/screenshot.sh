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
"$BIN" --backend dummy --sample-rate 48000 --period-size 512 >"$LOG" 2>&1 &
PID=$!
trap 'kill "$PID" 2>/dev/null || true' EXIT

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
sleep "$SETTLE_S"
import -window "$WID" "$OUT"
# SIGTERM: the standalone ignores SIGINT while its editor is open.
kill "$PID"
wait "$PID" 2>/dev/null || true
trap - EXIT
rm -f "$LOG"
echo "screenshot: $OUT ($(identify -format '%wx%h, %k colours' "$OUT"))"
