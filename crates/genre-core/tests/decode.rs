//! Decoding real files: every fixture format yields the generator's signal at the right
//! length, channels are averaged to mono, and every kind of broken input gives its documented
//! error (naming the file) instead of a panic.
//!
//! The fixtures come from `scripts/make_audio_fixtures.sh`; malformed inputs are built here in
//! a temporary directory.

use std::f64::consts::PI;
use std::path::{Path, PathBuf};

use genre_core::Error;
use genre_core::audio::{AudioInfo, Decoder, for_each_chunk};

/// The fixtures' signal, as in `scripts/make_audio_fixtures.sh`.
fn tone(t_s: f64) -> f64 {
    0.5 * (2.0 * PI * 440.0 * t_s).sin() + 0.25 * (2.0 * PI * 1000.0 * t_s).sin()
}

const TONE_DURATION_S: f64 = 0.5;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/audio")
        .join(name)
}

/// A fresh directory per test, so parallel tests never share files.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test_name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "genre-core-decode-{}-{test_name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).expect("write temp file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn decode_all(decoder: &mut Decoder) -> genre_core::Result<Vec<f32>> {
    let mut out = Vec::new();
    while decoder.read_mono(&mut out)? {}
    Ok(out)
}

fn decode_file(path: &Path) -> (AudioInfo, Vec<f32>) {
    let mut decoder = Decoder::open(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let samples = decode_all(&mut decoder).unwrap_or_else(|err| panic!("{err}"));
    (decoder.info().clone(), samples)
}

/// Amplitude of the component at `freq_hz` (Hann-windowed single DFT bin).
fn amplitude_at(samples: &[f32], rate_hz: u32, freq_hz: f64) -> f64 {
    let n = samples.len() as f64;
    let (mut re, mut im, mut window_sum) = (0.0, 0.0, 0.0);
    for (k, &x) in samples.iter().enumerate() {
        let w = 0.5 - 0.5 * (2.0 * PI * k as f64 / n).cos();
        let phase = 2.0 * PI * freq_hz * k as f64 / f64::from(rate_hz);
        re += w * f64::from(x) * phase.cos();
        im -= w * f64::from(x) * phase.sin();
        window_sum += w;
    }
    2.0 * (re * re + im * im).sqrt() / window_sum
}

/// The strongest frequency between 50 Hz and 5 kHz, on a 2 Hz grid.
fn dominant_freq_hz(samples: &[f32], rate_hz: u32) -> f64 {
    (25..2500)
        .map(|i| f64::from(i) * 2.0)
        .map(|f| (f, amplitude_at(samples, rate_hz, f)))
        .fold(
            (0.0, f64::MIN),
            |best, cur| if cur.1 > best.1 { cur } else { best },
        )
        .0
}

fn check_spectrum(name: &str, samples: &[f32], rate_hz: u32) {
    let peak_hz = dominant_freq_hz(samples, rate_hz);
    assert!(
        (peak_hz - 440.0).abs() <= 2.0,
        "{name}: dominant frequency {peak_hz} Hz, expected 440 Hz"
    );
    for (freq_hz, want) in [(440.0, 0.5), (1000.0, 0.25), (700.0, 0.0), (2500.0, 0.0)] {
        let got = amplitude_at(samples, rate_hz, freq_hz);
        assert!(
            (got - want).abs() < 0.03,
            "{name}: amplitude at {freq_hz} Hz is {got:.4}, expected {want}"
        );
    }
}

#[test]
fn lossless_fixtures_match_the_generator() {
    // (file, rate, codec, tolerance): the tolerance is the format's quantisation step.
    let cases = [
        ("tone_s16.wav", 22_050, 1e-4),
        ("tone_u8.wav", 22_050, 1.0 / 200.0),
        ("tone_s24.wav", 22_050, 1e-6),
        ("tone_s32.wav", 22_050, 1e-6),
        ("tone_f32.wav", 22_050, 1e-6),
        ("tone_f64.wav", 48_000, 1e-6),
        ("tone.flac", 22_050, 1e-4),
    ];
    for (name, rate_hz, tolerance) in cases {
        let (info, samples) = decode_file(&fixture(name));
        let num_expected = (TONE_DURATION_S * f64::from(rate_hz)) as usize;
        assert_eq!(info.sample_rate_hz, rate_hz, "{name}: sample rate");
        assert_eq!(info.num_channels, 1, "{name}: channels");
        assert_eq!(samples.len(), num_expected, "{name}: decoded length");
        assert_eq!(
            info.num_frames,
            Some(num_expected as u64),
            "{name}: header length"
        );
        let worst = samples
            .iter()
            .enumerate()
            .map(|(n, &x)| (f64::from(x) - tone(n as f64 / f64::from(rate_hz))).abs())
            .fold(0.0, f64::max);
        assert!(
            worst <= tolerance,
            "{name}: worst difference to the generator {worst:.3e} > {tolerance:.0e}"
        );
        check_spectrum(name, &samples, rate_hz);
    }
}

#[test]
fn lossy_fixtures_keep_length_and_spectrum() {
    // (file, channels, extra samples tolerated): MP3 is trimmed gaplessly via its LAME
    // header; AAC keeps its 1024-sample priming and pads the last frame (up to 1024 more).
    let cases = [
        ("tone.mp3", 2, 0..=1152),
        ("tone.ogg", 1, 0..=0),
        ("tone.m4a", 1, 0..=2048),
        ("tone.aac", 1, 0..=2048),
    ];
    for (name, num_channels, extra) in cases {
        let (info, samples) = decode_file(&fixture(name));
        assert_eq!(info.sample_rate_hz, 44_100, "{name}: sample rate");
        assert_eq!(info.num_channels, num_channels, "{name}: channels");
        let num_expected = (TONE_DURATION_S * 44_100.0) as usize;
        let num_extra = samples.len() as i64 - num_expected as i64;
        assert!(
            num_extra >= *extra.start() && num_extra <= *extra.end(),
            "{name}: {} samples, expected {num_expected} + {extra:?}",
            samples.len()
        );
        check_spectrum(name, &samples, 44_100);
        assert!(!info.codec.is_empty(), "{name}: codec name");
    }
}

#[test]
fn opposite_channels_downmix_to_silence() {
    let (info, samples) = decode_file(&fixture("cancel_stereo.wav"));
    assert_eq!(info.num_channels, 2);
    assert_eq!(samples.len(), 11_025);
    let worst = samples.iter().fold(0.0_f32, |m, &x| m.max(x.abs()));
    assert!(
        worst <= 1e-4,
        "L = −R should cancel, worst sample {worst:.3e}"
    );
}

#[test]
fn six_channels_downmix_to_their_mean() {
    let (info, samples) = decode_file(&fixture("six_channel.wav"));
    assert_eq!(info.num_channels, 6);
    assert_eq!(samples.len(), 11_025);
    let worst = samples
        .iter()
        .enumerate()
        .map(|(n, &x)| (f64::from(x) - 0.35 * (2.0 * PI * 440.0 * n as f64 / 22_050.0).sin()).abs())
        .fold(0.0, f64::max);
    assert!(
        worst <= 1e-4,
        "mean of six channels, worst difference {worst:.3e}"
    );
}

#[test]
fn from_bytes_decodes_like_open() {
    let path = fixture("tone.flac");
    let (_, from_file) = decode_file(&path);
    let bytes = std::fs::read(&path).expect("read fixture");
    let mut decoder = Decoder::from_bytes(bytes, Some("flac"), "in-memory.flac").expect("decodes");
    assert_eq!(decode_all(&mut decoder).expect("decodes"), from_file);
    assert_eq!(decoder.skipped_packets(), 0);
}

#[test]
fn for_each_chunk_resamples_to_the_target_rate() {
    let mut samples = Vec::new();
    let mut num_chunks = 0;
    let info = for_each_chunk(&fixture("tone_f64.wav"), 22_050, |chunk| {
        samples.extend_from_slice(chunk);
        num_chunks += 1;
    })
    .expect("decodes");
    assert_eq!(info.sample_rate_hz, 48_000);
    assert!(num_chunks > 1, "expected streaming in several chunks");
    assert_eq!(samples.len(), 11_025);
    check_spectrum("tone_f64.wav at 22 050 Hz", &samples, 22_050);
    // Time-aligned: the resampled stream follows the generator sample by sample.
    let worst = samples[500..samples.len() - 500]
        .iter()
        .enumerate()
        .map(|(n, &x)| (f64::from(x) - tone((n + 500) as f64 / 22_050.0)).abs())
        .fold(0.0, f64::max);
    assert!(worst < 5e-3, "resampled signal off by up to {worst:.3e}");
}

/// A mono PCM WAV written by hound, whose header the malformed cases patch.
fn wav_bytes(samples: &[i16]) -> Vec<u8> {
    let mut cursor = std::io::Cursor::new(Vec::new());
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 22_050,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::new(&mut cursor, spec).expect("wav writer");
    for &s in samples {
        writer.write_sample(s).expect("write sample");
    }
    writer.finalize().expect("finalize wav");
    let bytes = cursor.into_inner();
    assert_eq!(&bytes[12..16], b"fmt ", "hound puts fmt first");
    bytes
}

/// Asserts the error variant (by `matches`) and that the message names the file.
fn assert_error(
    result: genre_core::Result<Vec<f32>>,
    path: &Path,
    what: &str,
    ok: fn(&Error) -> bool,
) {
    let name = path
        .file_name()
        .expect("file name")
        .to_string_lossy()
        .into_owned();
    match result {
        Err(err) => {
            assert!(ok(&err), "{what}: wrong error variant: {err:?}");
            assert!(
                err.to_string().contains(&name),
                "{what}: message does not name the file: {err}"
            );
        }
        Ok(samples) => panic!(
            "{what}: decoded {} samples instead of failing",
            samples.len()
        ),
    }
}

fn open_and_decode(path: &Path) -> genre_core::Result<Vec<f32>> {
    decode_all(&mut Decoder::open(path)?)
}

#[test]
fn malformed_files_give_documented_errors() {
    let dir = TempDir::new("malformed");
    let s16 = std::fs::read(fixture("tone_s16.wav")).expect("read fixture");

    let path = dir.write("empty.wav", &[]);
    assert_error(
        open_and_decode(&path),
        &path,
        "empty file",
        |e| matches!(e, Error::InvalidAudio { reason, .. } if reason.contains("empty")),
    );

    let mut state = 12_345_u32;
    let noise: Vec<u8> = (0..65_536)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (state >> 16) as u8
        })
        .collect();
    let path = dir.write("noise.wav", &noise);
    assert_error(open_and_decode(&path), &path, "random bytes", |e| {
        matches!(e, Error::Unsupported { .. })
    });

    let text = "This is a shopping list, not audio.\n".repeat(100);
    let path = dir.write("list.mp3", text.as_bytes());
    assert_error(
        open_and_decode(&path),
        &path,
        "text with .mp3 extension",
        |e| matches!(e, Error::Unsupported { .. }),
    );

    let path = dir.write("truncated_header.wav", &s16[..20]);
    assert_error(open_and_decode(&path), &path, "truncated header", |e| {
        matches!(e, Error::Decode { .. })
    });

    let flac = std::fs::read(fixture("tone.flac")).expect("read fixture");
    let path = dir.write("truncated_header.flac", &flac[..5_000]);
    assert_error(
        open_and_decode(&path),
        &path,
        "FLAC cut inside its metadata",
        |e| matches!(e, Error::Decode { .. }),
    );

    let path = dir.write("header_only.wav", &wav_bytes(&[]));
    assert_error(
        open_and_decode(&path),
        &path,
        "header without samples",
        |e| matches!(e, Error::InvalidAudio { reason, .. } if reason.contains("no audio samples")),
    );

    let mut zero_channels = wav_bytes(&[0; 100]);
    zero_channels[22..24].copy_from_slice(&0u16.to_le_bytes());
    let path = dir.write("zero_channels.wav", &zero_channels);
    assert_error(
        open_and_decode(&path),
        &path,
        "zero channels",
        |e| matches!(e, Error::InvalidAudio { reason, .. } if reason.contains("zero channels")),
    );

    for rate_hz in [0_u32, 4_000, 500_000] {
        let mut bad_rate = wav_bytes(&[0; 100]);
        bad_rate[24..28].copy_from_slice(&rate_hz.to_le_bytes());
        let path = dir.write(&format!("rate_{rate_hz}.wav"), &bad_rate);
        assert_error(
            open_and_decode(&path),
            &path,
            "sample rate out of range",
            |e| matches!(e, Error::InvalidAudio { reason, .. } if reason.contains("sample rate")),
        );
    }

    let path = dir.0.join("a_directory.wav");
    std::fs::create_dir_all(&path).expect("create dir");
    assert_error(
        open_and_decode(&path),
        &path,
        "directory",
        |e| matches!(e, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::IsADirectory),
    );

    let path = dir.0.join("missing.wav");
    assert_error(
        open_and_decode(&path),
        &path,
        "missing file",
        |e| matches!(e, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound),
    );

    let result = Decoder::from_bytes(Vec::new(), Some("wav"), "nothing.wav").map(|_| Vec::new());
    assert_error(result, Path::new("nothing.wav"), "empty bytes", |e| {
        matches!(e, Error::InvalidAudio { .. })
    });
}

#[test]
fn truncated_data_decodes_what_is_there() {
    let dir = TempDir::new("truncated");
    // Cut a quarter off the end: ffmpeg's FLAC carries 8 KiB of header padding, so cutting
    // in half would cut into the header (that case is in `malformed_files_give_documented_errors`).
    for (name, min_len) in [
        ("tone_s16.wav", 7_000),
        ("tone.flac", 3_000),
        ("tone.mp3", 12_000),
    ] {
        let bytes = std::fs::read(fixture(name)).expect("read fixture");
        let path = dir.write(&format!("cut_{name}"), &bytes[..bytes.len() * 3 / 4]);
        let (info, samples) = decode_file(&path);
        let full_len = (TONE_DURATION_S * f64::from(info.sample_rate_hz)) as usize;
        assert!(
            samples.len() >= min_len && samples.len() < full_len,
            "{name} cut to 3/4: {} samples, expected {min_len}..{full_len}",
            samples.len()
        );
        if name.ends_with(".wav") || name.ends_with(".flac") {
            let worst = samples
                .iter()
                .enumerate()
                .map(|(n, &x)| (f64::from(x) - tone(n as f64 / 22_050.0)).abs())
                .fold(0.0, f64::max);
            assert!(
                worst <= 1e-4,
                "{name} cut to 3/4: samples differ by {worst:.3e}"
            );
        }
    }
}

#[test]
fn non_finite_float_samples_become_zero() {
    let mut cursor = std::io::Cursor::new(Vec::new());
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 22_050,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let input = [0.5, f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.25];
    let mut writer = hound::WavWriter::new(&mut cursor, spec).expect("wav writer");
    for _ in 0..100 {
        for &s in &input {
            writer.write_sample(s).expect("write sample");
        }
    }
    writer.finalize().expect("finalize wav");
    let mut decoder =
        Decoder::from_bytes(cursor.into_inner(), Some("wav"), "nan.wav").expect("opens");
    let samples = decode_all(&mut decoder).expect("decodes");
    assert_eq!(samples.len(), 500);
    for (n, chunk) in samples.chunks(5).enumerate() {
        assert_eq!(chunk, [0.5, 0.0, 0.0, 0.0, -0.25], "frame group {n}");
    }
    assert_eq!(decoder.non_finite_samples(), 300);
}

/// Float files may hold ±f32::MAX in every channel; their mean is finite (the fuzzer found
/// 9 channels of such samples summing to -inf in an f32 accumulator). Mono, stereo and the
/// many-channel path each keep it.
#[test]
fn the_largest_float_samples_downmix_to_a_finite_mean() {
    for channels in [1u16, 2, 3, 9] {
        let mut cursor = std::io::Cursor::new(Vec::new());
        let spec = hound::WavSpec {
            channels,
            sample_rate: 22_050,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut writer = hound::WavWriter::new(&mut cursor, spec).expect("wav writer");
        for frame in 0..300 {
            let x = if frame % 2 == 0 { f32::MAX } else { -f32::MAX };
            for _ in 0..channels {
                writer.write_sample(x).expect("write sample");
            }
        }
        writer.finalize().expect("finalize wav");
        let mut decoder =
            Decoder::from_bytes(cursor.into_inner(), Some("wav"), "max.wav").expect("opens");
        let samples = decode_all(&mut decoder).expect("decodes");
        assert_eq!(samples.len(), 300, "{channels} channels");
        for (frame, &x) in samples.iter().enumerate() {
            let expected = if frame % 2 == 0 { f32::MAX } else { -f32::MAX };
            assert_eq!(x, expected, "{channels} channels, frame {frame}");
        }
    }
}

/// Cut and corrupted versions of every fixture must give `Ok` or an `Err`, never a panic
/// (Symphonia panics on some malformed input; the decoder must contain that).
#[test]
fn damaged_fixtures_never_panic() {
    let names = [
        "tone_s16.wav",
        "tone_u8.wav",
        "tone_f32.wav",
        "tone.flac",
        "tone.mp3",
        "tone.ogg",
        "tone.m4a",
        "tone.aac",
        "six_channel.wav",
    ];
    let mut state = 99_u32;
    let mut random = move |below: usize| {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (state >> 8) as usize % below.max(1)
    };
    for name in names {
        let bytes = std::fs::read(fixture(name)).expect("read fixture");
        let ext = name.rsplit('.').next();
        for round in 0..12 {
            let mut damaged = bytes.clone();
            if round % 2 == 0 {
                damaged.truncate(random(bytes.len()));
            }
            for _ in 0..(1 + random(32)) {
                let idx = random(damaged.len());
                if let Some(byte) = damaged.get_mut(idx) {
                    *byte ^= 1 << random(8);
                }
            }
            let label = format!("{name}-damaged-{round}");
            // Either outcome is fine; reaching the next line without a panic is the test.
            let outcome =
                Decoder::from_bytes(damaged, ext, &label).and_then(|mut d| decode_all(&mut d));
            if let Err(err) = outcome {
                assert!(
                    err.to_string().contains(&label),
                    "error does not name the input: {err}"
                );
            }
        }
    }
}
