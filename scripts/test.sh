#!/usr/bin/env bash
# The test command: installs what a fresh Debian/Ubuntu machine lacks, then
# runs every check the project has. `.ci/run` calls exactly this.
#
#   scripts/test.sh
#
# Needs the Rust toolchain. As root it installs the missing Debian packages
# itself; otherwise it prints the apt-get line to run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '\n==> %s\n' "$*"; }

# Build deps of the plugin (the standalone needs ALSA and JACK headers; X11/GL
# are loaded at run time and only needed for the screenshot), and Python for
# the tests of the scripts (standard library only).
PACKAGES=(gcc libc6-dev pkg-config libasound2-dev libjack-jackd2-dev python3)
source scripts/debian_packages.sh
ensure_debian_packages "${PACKAGES[@]}"

say "formatting"
cargo fmt --all -- --check

say "lints"
cargo clippy --workspace --all-targets --locked -- -D warnings

say "tests (core, CLI, corpus generator, plugin with a real CLAP host)"
cargo test --workspace --locked

say "tests of the scripts (scripts/test_*.py)"
python3 -m unittest discover -s scripts -p 'test_*.py'

# nice-plug's allocation trap aborts the host process when process() touches
# the heap, so it runs as a step of its own (debug build, feature alloc-check).
say "real-time check: no allocation on the audio thread"
cargo test --locked -p genre-meter --features alloc-check --test clack_host

say "bundles, and the CLAP host test against the bundled .clap"
cargo xtask bundle genre-meter --release
GENRE_METER_CLAP="$(realpath "${CARGO_TARGET_DIR:-target}")/bundled/Genre Meter.clap" \
    cargo test --locked -p genre-meter --test clack_host

# A real DAW: Ardour 7 without a display (scripts/ardour_test.sh installs it
# as root) plays a clip through the release VST3, saves, reloads and saves
# again; the analysis and parameters must survive and agree with the CLI.
say "Genre Meter in Ardour 7: play, save, reload, and agreement with the CLI"
cargo build --locked --release -p genre-cli
scripts/ardour_test.sh
CLIP=examples/classical.mp3 RATE=44100 scripts/ardour_test.sh
