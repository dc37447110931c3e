//! The fuzz target's body (`fuzz/src/lib.rs`) in plain `cargo test`: the committed fixtures
//! and a few thousand deterministic mutations of them (bit flips, cuts, header fields set to
//! extreme values, splices) go through decode → analyze → CNN, and every property the
//! target asserts must hold.
//!
//! This is the CI smoke of the fuzzer. Running cargo-fuzz itself in CI would cost a separate
//! sanitizer build of every dependency (tract, Symphonia, …) for a minute of fuzzing; the
//! long libFuzzer runs are documented in the README.
//!
//! `GENRE_METER_FULL=1` runs 50 000 mutations instead of 2 000.

#[path = "../../../fuzz/src/lib.rs"]
mod fuzz_body;

use std::path::Path;

use fuzz_body::{CLASSIFY_SELECTOR_MIN, Cnn};

fn decode_and_analyze(data: &[u8]) {
    fuzz_body::decode_and_analyze(data, Cnn::WhenSelected);
}

const NUM_MUTATIONS: usize = 2_000;
const NUM_MUTATIONS_FULL: usize = 50_000;

/// Fixtures and the selector byte (extension hint index) the fuzz target reads first.
const SEEDS: [(&str, u8); 13] = [
    ("tone_s16.wav", 1),
    ("tone_u8.wav", 1),
    ("tone_s24.wav", 1),
    ("tone_s32.wav", 1),
    ("tone_f32.wav", 1),
    ("tone_f64.wav", 1),
    ("cancel_stereo.wav", 1),
    ("six_channel.wav", 0),
    ("tone.mp3", 2),
    ("tone.flac", 3),
    ("tone.ogg", 4),
    ("tone.m4a", 5),
    ("tone.aac", 6),
];

/// Values that header fields overflow, underflow or divide by.
const EXTREMES: [u32; 9] = [0, 1, 2, 0x7F, 0x80, 0xFF, 0xFFFF, 0x8000_0000, 0xFFFF_FFFF];

fn seeds() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/audio");
    SEEDS
        .iter()
        .map(|&(name, selector)| {
            let mut input = vec![selector];
            input.extend(std::fs::read(dir.join(name)).expect("read fixture"));
            input
        })
        .collect()
}

/// A small deterministic generator (64-bit LCG, high bits).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

/// One mutation of `seed`, in the spirit of libFuzzer's: most changes land in the first
/// bytes, where the headers are.
fn mutate(seed: &[u8], other: &[u8], rng: &mut Lcg) -> Vec<u8> {
    let mut data = seed.to_vec();
    let near_front = |rng: &mut Lcg, len: usize| {
        if rng.below(4) == 0 {
            rng.below(len)
        } else {
            rng.below(len.min(256))
        }
    };
    for _ in 0..1 + rng.below(4) {
        match rng.below(6) {
            0 => {
                for _ in 0..1 + rng.below(16) {
                    let i = near_front(rng, data.len());
                    data[i] ^= 1 << rng.below(8);
                }
            }
            1 => data.truncate(1 + rng.below(data.len())),
            2 => {
                let width = [1, 2, 4][rng.below(3)];
                let i = near_front(rng, data.len());
                let value = EXTREMES[rng.below(EXTREMES.len())].to_le_bytes();
                for (k, byte) in value.iter().take(width).enumerate() {
                    if let Some(slot) = data.get_mut(i + k) {
                        *slot = *byte;
                    }
                }
            }
            3 => {
                let i = near_front(rng, data.len());
                let len = 1 + rng.below(64);
                data.drain(i..(i + len).min(data.len()));
            }
            4 => {
                let i = near_front(rng, data.len());
                let fill = [0x00, 0xFF, rng.below(256) as u8][rng.below(3)];
                data.splice(i..i, std::iter::repeat_n(fill, 1 + rng.below(64)));
            }
            _ => {
                let cut = rng.below(data.len());
                let from = rng.below(other.len());
                data.truncate(cut.max(1));
                data.extend_from_slice(&other[from..]);
            }
        }
        if data.is_empty() {
            data.push(0);
        }
    }
    // The selector: any extension hint, and now and then the CNN as well.
    data[0] = if rng.below(32) == 0 {
        CLASSIFY_SELECTOR_MIN | (rng.below(8) as u8)
    } else {
        rng.below(8) as u8
    };
    data
}

#[test]
fn seeds_pass_the_fuzz_properties() {
    for seed in seeds() {
        // As the libFuzzer target runs it, then with the CNN.
        fuzz_body::decode_and_analyze(&seed, Cnn::Never);
        let mut with_cnn = seed.clone();
        with_cnn[0] |= CLASSIFY_SELECTOR_MIN;
        decode_and_analyze(&with_cnn);
    }
    // Degenerate inputs.
    decode_and_analyze(&[]);
    decode_and_analyze(&[0xFF]);
    decode_and_analyze(&[1; 64]);
}

/// Inputs on which libFuzzer once found a property broken (`tests/fixtures/fuzz/`, each
/// file exactly as the target reads it, selector byte first), so they stay fixed.
#[test]
fn past_fuzzer_findings_pass_the_fuzz_properties() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    let mut num_inputs = 0;
    for entry in std::fs::read_dir(&dir).expect("read the findings folder") {
        let path = entry.expect("folder entry").path();
        let data = std::fs::read(&path).expect("read finding");
        fuzz_body::decode_and_analyze(&data, Cnn::Never);
        num_inputs += 1;
    }
    assert!(num_inputs >= 2, "findings missing from {}", dir.display());
}

#[test]
fn mutated_seeds_pass_the_fuzz_properties() {
    let full = std::env::var_os("GENRE_METER_FULL").is_some_and(|v| v == "1");
    let num_mutations = if full {
        NUM_MUTATIONS_FULL
    } else {
        NUM_MUTATIONS
    };
    let seeds = seeds();
    let mut rng = Lcg(0x5EED);
    for i in 0..num_mutations {
        let seed = &seeds[i % seeds.len()];
        let other = &seeds[rng.below(seeds.len())];
        let input = mutate(seed, other, &mut rng);
        let outcome = std::panic::catch_unwind(|| decode_and_analyze(&input));
        if let Err(panic) = outcome {
            // Keep the input for `cargo fuzz run decode_analyze <file>`.
            let dump = std::env::temp_dir().join(format!("genre-fuzz-smoke-{i}.bin"));
            std::fs::write(&dump, &input).expect("write the failing input");
            eprintln!("mutation {i} failed; input saved to {}", dump.display());
            std::panic::resume_unwind(panic);
        }
    }
}
