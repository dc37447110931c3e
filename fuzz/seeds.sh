#!/usr/bin/env bash
# Writes the seed corpus of the `decode_analyze` fuzz target into fuzz/corpus/decode_analyze/
# (git-ignored): small valid files of every container and codec the decoder reads, made from
# the committed test fixtures, each prefixed with the selector byte the target reads first
# (low 3 bits: extension hint; 0xF8 and up: also run the CNN; see src/lib.rs).
#
# Small is the point: 8 kHz and a fraction of a second, so each run is cheap and mutations
# land in headers. One 3.2 s file reaches the analyzer's full (unpadded) windows.
#
# Requires ffmpeg (with libmp3lame and libvorbis) and sox.
set -euo pipefail
cd "$(dirname "$0")"
fixtures=../crates/genre-core/tests/fixtures/audio
out=corpus/decode_analyze
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"

ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }

# $1 selector byte (hex), $2 file: writes selector + file into the corpus.
seed() {
    local name
    name="$(basename "$2")-$1"
    { printf "\\x$1"; cat "$2"; } > "$out/$name"
}

src="$fixtures/tone_s16.wav"
# Extension hint indices: 0 none, 1 wav, 2 mp3, 3 flac, 4 ogg, 5 m4a, 6 aac, 7 aiff.
ff -i "$src" -t 0.3 -ar 8000 -c:a pcm_u8 "$tmp/u8.wav";              seed 01 "$tmp/u8.wav"
ff -i "$src" -t 0.3 -ar 8000 -c:a pcm_s16le "$tmp/s16.wav";          seed 01 "$tmp/s16.wav"
ff -i "$src" -t 0.2 -ar 8000 -c:a pcm_s24le "$tmp/s24.wav";          seed 00 "$tmp/s24.wav"
ff -i "$src" -t 0.2 -ar 8000 -c:a pcm_s32le "$tmp/s32.wav";          seed 01 "$tmp/s32.wav"
ff -i "$src" -t 0.2 -ar 8000 -c:a pcm_f32le "$tmp/f32.wav";          seed 01 "$tmp/f32.wav"
ff -i "$src" -t 0.1 -ar 8000 -c:a pcm_f64le "$tmp/f64.wav";          seed 01 "$tmp/f64.wav"
ff -i "$src" -t 0.2 -ar 8000 -c:a pcm_alaw "$tmp/alaw.wav";          seed 01 "$tmp/alaw.wav"
ff -i "$src" -t 0.2 -ar 8000 -c:a pcm_mulaw "$tmp/mulaw.wav";        seed 01 "$tmp/mulaw.wav"
ff -i "$src" -t 0.3 -ar 8000 -c:a adpcm_ima_wav "$tmp/ima.wav";      seed 01 "$tmp/ima.wav"
ff -i "$src" -t 0.3 -ar 8000 -c:a adpcm_ms "$tmp/msadpcm.wav";       seed 01 "$tmp/msadpcm.wav"
ff -i "$src" -t 0.2 -ar 8000 -ac 2 -c:a pcm_s16le "$tmp/stereo.wav"; seed 01 "$tmp/stereo.wav"
# WAVE_FORMAT_EXTENSIBLE header (6 channels force it).
ff -i "$src" -t 0.05 -ar 8000 -ac 6 -c:a pcm_s16le "$tmp/ext6.wav";  seed 01 "$tmp/ext6.wav"
ff -i "$src" -t 0.3 -ar 8000 -c:a flac "$tmp/tone.flac";             seed 03 "$tmp/tone.flac"
ff -i "$src" -t 0.3 -ar 8000 -c:a libmp3lame -b:a 16k "$tmp/tone.mp3"; seed 02 "$tmp/tone.mp3"
ff -i "$src" -t 0.3 -ar 8000 -c:a libvorbis "$tmp/tone.ogg";         seed 04 "$tmp/tone.ogg"
ff -i "$src" -t 0.3 -ar 8000 -c:a aac -b:a 16k "$tmp/tone.m4a";      seed 05 "$tmp/tone.m4a"
ff -i "$src" -t 0.3 -ar 8000 -c:a aac -b:a 16k -f adts "$tmp/tone.aac"; seed 06 "$tmp/tone.aac"
sox "$src" -r 8000 "$tmp/tone.aiff" trim 0 0.2;                      seed 07 "$tmp/tone.aiff"
# Long enough for full windows (and the CNN, selector ≥ 0xF8); and one at 48 kHz.
sox "$src" -r 8000 -b 8 -e unsigned "$tmp/long_u8.wav" repeat 6;     seed 01 "$tmp/long_u8.wav"
cp "$tmp/long_u8.wav" "$tmp/long_u8_cnn.wav";                        seed f9 "$tmp/long_u8_cnn.wav"
ff -i "$src" -t 0.1 -ar 48000 -c:a pcm_s16le "$tmp/s16_48k.wav";     seed 01 "$tmp/s16_48k.wav"
ls -l "$out"
