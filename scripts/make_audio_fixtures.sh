#!/usr/bin/env bash
# Generates the small audio fixtures that `crates/genre-core/tests/decode.rs` decodes.
# The generated files are committed, so the tests never need ffmpeg; rerun this only to
# change them. It is idempotent: every run overwrites the same files with the same bytes
# (ffmpeg runs with -bitexact and without metadata, so no encoder version or date leaks in).
#
# Requires: ffmpeg with libmp3lame and libvorbis (Debian: `apt-get install ffmpeg`).
#
# Every "tone" file carries the same synthetic signal, which the tests recompute exactly:
#     x(t) = 0.5·sin(2π·440·t) + 0.25·sin(2π·1000·t)
# so lossless files are compared sample by sample and lossy ones by their spectral peaks.
#
# Files (all under crates/genre-core/tests/fixtures/audio/):
#   tone_s16.wav        mono 22 050 Hz, PCM 16-bit: the baseline lossless decode
#   tone_u8.wav         mono 22 050 Hz, PCM 8-bit unsigned: offset-binary conversion
#   tone_s24.wav        mono 22 050 Hz, PCM 24-bit: 3-byte samples
#   tone_s32.wav        mono 22 050 Hz, PCM 32-bit int
#   tone_f32.wav        mono 22 050 Hz, IEEE float 32-bit
#   tone_f64.wav        mono 48 000 Hz, IEEE float 64-bit (also a second sample rate)
#   tone.flac           mono 22 050 Hz, FLAC 16-bit: lossless compressed
#   tone.mp3            stereo (both channels equal) 44 100 Hz, MP3 128 kb/s: encoder priming
#   tone.ogg            mono 44 100 Hz, Ogg Vorbis
#   tone.m4a            mono 44 100 Hz, AAC-LC in MP4: priming frames without gapless info
#   tone.aac            mono 44 100 Hz, AAC-LC in raw ADTS
#   cancel_stereo.wav   stereo 22 050 Hz 16-bit, L = sine, R = −sine: downmix must give silence
#   six_channel.wav     5.1 22 050 Hz 16-bit, channel c = 0.1·(c+1)·sin(2π·440·t): the mean of
#                       the six is 0.35·sin(2π·440·t)
#
# Malformed inputs (empty, truncated, zero channels, NaN samples, …) are built by the tests
# themselves in a temporary directory, so they are not committed here.
set -euo pipefail

out_dir="$(cd "$(dirname "$0")/.." && pwd)/crates/genre-core/tests/fixtures/audio"
mkdir -p "$out_dir"

tone='0.5*sin(2*PI*440*t)+0.25*sin(2*PI*1000*t)'
duration_s=0.5

ff() {
    ffmpeg -hide_banner -loglevel error -y "$@"
}

# $1 expression, $2 rate, $3 output, rest: codec options
gen() {
    local expr="$1" rate="$2" out="$3"
    shift 3
    ff -f lavfi -i "aevalsrc=${expr}:s=${rate}:d=${duration_s}" -map_metadata -1 -fflags +bitexact -flags:a +bitexact "$@" "$out_dir/$out"
}

gen "$tone" 22050 tone_s16.wav -c:a pcm_s16le
gen "$tone" 22050 tone_u8.wav -c:a pcm_u8
gen "$tone" 22050 tone_s24.wav -c:a pcm_s24le
gen "$tone" 22050 tone_s32.wav -c:a pcm_s32le
gen "$tone" 22050 tone_f32.wav -c:a pcm_f32le
gen "$tone" 48000 tone_f64.wav -c:a pcm_f64le
gen "$tone" 22050 tone.flac -c:a flac -sample_fmt s16
gen "$tone|$tone" 44100 tone.mp3 -c:a libmp3lame -b:a 128k
gen "$tone" 44100 tone.ogg -c:a libvorbis -q:a 4
gen "$tone" 44100 tone.m4a -c:a aac -b:a 96k
gen "$tone" 44100 tone.aac -c:a aac -b:a 96k -f adts
gen '0.5*sin(2*PI*440*t)|-0.5*sin(2*PI*440*t)' 22050 cancel_stereo.wav -c:a pcm_s16le
six=''
for c in 0 1 2 3 4 5; do
    six+="${six:+|}0.1*$((c + 1))*sin(2*PI*440*t)"
done
gen "$six:c=5.1" 22050 six_channel.wav -c:a pcm_s16le

ls -l "$out_dir"
