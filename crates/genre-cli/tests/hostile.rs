//! A folder of hostile input, generated here on the fly, through the `genre-meter` binary in
//! one batch: every file gets its documented outcome (an `error:` line naming it and the
//! reason, or a result with a `warning:`), the good files are still classified, the exit
//! status reports the partial failure, and nothing panics (the binary runs with
//! `RUST_BACKTRACE=1`; any "panicked" on stderr fails the test).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

mod common;
use common::{JUDGED, run};

/// WAV `fmt ` format tags.
const PCM: u16 = 1;
const IEEE_FLOAT: u16 = 3;

/// A WAV file built by hand, so that every header field can lie.
struct Wav {
    format_tag: u16,
    num_channels: u16,
    rate_hz: u32,
    bits: u16,
    /// Overrides the `data` chunk's size field (the real length otherwise).
    data_size: Option<u32>,
    /// Overrides the RIFF size field (the real length otherwise).
    riff_size: Option<u32>,
}

impl Wav {
    fn pcm16(num_channels: u16, rate_hz: u32) -> Wav {
        Wav {
            format_tag: PCM,
            num_channels,
            rate_hz,
            bits: 16,
            data_size: None,
            riff_size: None,
        }
    }

    fn float32(num_channels: u16, rate_hz: u32) -> Wav {
        Wav {
            format_tag: IEEE_FLOAT,
            bits: 32,
            ..Wav::pcm16(num_channels, rate_hz)
        }
    }

    fn bytes(&self, data: &[u8]) -> Vec<u8> {
        let block_align = (self.num_channels.max(1) * self.bits.div_ceil(8)).max(1);
        let mut fmt = Vec::new();
        fmt.extend(self.format_tag.to_le_bytes());
        fmt.extend(self.num_channels.to_le_bytes());
        fmt.extend(self.rate_hz.to_le_bytes());
        fmt.extend(
            self.rate_hz
                .wrapping_mul(u32::from(block_align))
                .to_le_bytes(),
        );
        fmt.extend(block_align.to_le_bytes());
        fmt.extend(self.bits.to_le_bytes());
        let mut body = b"WAVEfmt ".to_vec();
        body.extend((fmt.len() as u32).to_le_bytes());
        body.extend(fmt);
        body.extend(b"data");
        body.extend(self.data_size.unwrap_or(data.len() as u32).to_le_bytes());
        body.extend(data);
        let mut file = b"RIFF".to_vec();
        file.extend(self.riff_size.unwrap_or(body.len() as u32).to_le_bytes());
        file.extend(body);
        file
    }
}

/// A chord with a pulse: valid, non-silent audio.
fn tone(rate_hz: u32, seconds: f64) -> Vec<f32> {
    let n = (f64::from(rate_hz) * seconds) as usize;
    (0..n)
        .map(|i| {
            let t = i as f32 / rate_hz as f32;
            let pulse = if (t * 2.0).fract() < 0.1 { 1.0 } else { 0.3 };
            pulse
                * [220.0f32, 277.2, 329.6]
                    .iter()
                    .map(|f| 0.2 * (std::f32::consts::TAU * f * t).sin())
                    .sum::<f32>()
        })
        .collect()
}

fn s16_bytes(samples: &[f32], num_channels: usize) -> Vec<u8> {
    samples
        .iter()
        .flat_map(|&x| std::iter::repeat_n((x * 32_767.0) as i16, num_channels))
        .flat_map(i16::to_le_bytes)
        .collect()
}

fn f32_bytes(samples: &[f32]) -> Vec<u8> {
    samples.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn noise(len: usize, seed: u32) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (state >> 16) as u8
        })
        .collect()
}

/// What a file must give.
#[derive(Debug, Clone, Copy)]
enum Outcome {
    /// Classified (`"status":"ok"`); every warning must contain one of these (none if empty).
    Ok(&'static [&'static str]),
    /// `"status":"silent"`, with a warning containing this.
    Silent(&'static str),
    /// `"status":"error"`, one `error:` line naming the file whose reason contains this.
    Error(&'static str),
}

/// Writes the hostile folder; returns each file name with its expected outcome.
fn write_hostile_folder(dir: &Path) -> BTreeMap<String, Outcome> {
    let mut expected = BTreeMap::new();
    let mut put = |name: &str, bytes: &[u8], outcome: Outcome| {
        std::fs::write(dir.join(name), bytes).unwrap();
        expected.insert(name.to_owned(), outcome);
    };
    let good = s16_bytes(&tone(22_050, 4.0), 1);

    put(
        "good.wav",
        &Wav::pcm16(1, 22_050).bytes(&good),
        Outcome::Ok(&[]),
    );
    put("empty.wav", b"", Outcome::Error("empty file"));
    for (i, ext) in ["wav", "mp3", "flac", "ogg", "m4a", "aac"]
        .iter()
        .enumerate()
    {
        put(
            &format!("random.{ext}"),
            &noise(8192, i as u32),
            Outcome::Error("not a recognised audio format"),
        );
    }
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend(noise(2000, 99));
    put(
        "picture.mp3",
        &png,
        Outcome::Error("not a recognised audio format"),
    );
    let full = Wav::pcm16(1, 22_050).bytes(&good);
    put(
        "truncated_header.wav",
        &full[..30],
        Outcome::Error("truncated header"),
    );
    // 3.5 s of the announced 4 s: analysed, and flagged as cut short.
    put(
        "truncated_data.wav",
        &full[..44 + 2 * 22_050 * 7 / 2],
        Outcome::Ok(&["ends early"]),
    );
    put(
        "zero_channels.wav",
        &Wav::pcm16(0, 22_050).bytes(&good),
        Outcome::Error("zero channels"),
    );
    put(
        "rate_0.wav",
        &Wav::pcm16(1, 0).bytes(&good),
        Outcome::Error("sample rate 0 Hz"),
    );
    put(
        "rate_absurd.wav",
        &Wav::pcm16(1, 4_000_000_000).bytes(&good),
        Outcome::Error("sample rate 4000000000 Hz"),
    );
    put(
        "rate_too_low.wav",
        &Wav::pcm16(1, 1_000).bytes(&good),
        Outcome::Error("sample rate 1000 Hz"),
    );
    for (bits, tag, reason) in [
        (12, PCM, "12-bit integer samples"),
        (48, PCM, "48-bit integer samples"),
        (8, IEEE_FLOAT, "8-bit float samples"),
    ] {
        let wav = Wav {
            bits,
            format_tag: tag,
            ..Wav::pcm16(1, 22_050)
        };
        put(
            &format!("bits_{bits}_{tag}.wav"),
            &wav.bytes(&good),
            Outcome::Error(reason),
        );
    }
    // A WAV written to a pipe announces 4 GB (0xFFFFFFFF, "unknown"): decode what is there.
    let streamed = Wav {
        data_size: Some(u32::MAX),
        riff_size: Some(u32::MAX),
        ..Wav::pcm16(1, 22_050)
    };
    put("streamed_4gb.wav", &streamed.bytes(&good), Outcome::Ok(&[]));
    // A data chunk that claims 4 GB inside a RIFF of 88 kB contradicts itself.
    let contradictory = Wav {
        data_size: Some(0xFFFF_FFF0),
        ..Wav::pcm16(1, 22_050)
    };
    put(
        "huge_data_chunk.wav",
        &contradictory.bytes(&good),
        Outcome::Error("cannot decode"),
    );
    put(
        "short.wav",
        &Wav::pcm16(1, 22_050).bytes(&s16_bytes(&tone(22_050, 0.1), 1)),
        Outcome::Ok(&["shorter than one"]),
    );
    put(
        "tiny.wav",
        &Wav::pcm16(1, 22_050).bytes(&s16_bytes(&tone(22_050, 0.05), 1)),
        Outcome::Error("too short"),
    );
    put(
        "silent.wav",
        &Wav::pcm16(2, 48_000).bytes(&vec![0; 48_000 * 4 * 5]),
        Outcome::Silent("silent"),
    );
    let non_finite: Vec<f32> = (0..44_100 * 4)
        .map(|i| [f32::NAN, f32::INFINITY, f32::NEG_INFINITY][i % 3])
        .collect();
    put(
        "all_nan.wav",
        &Wav::float32(1, 44_100).bytes(&f32_bytes(&non_finite)),
        Outcome::Silent("NaN/infinite"),
    );
    // In range but coprime to the model rate: the resampler's largest blocks.
    put(
        "odd_rate_383999.wav",
        &Wav::pcm16(1, 383_999).bytes(&s16_bytes(&tone(383_999, 3.5), 1)),
        Outcome::Ok(&[]),
    );
    put(
        "eight_channels_192k.wav",
        &Wav::pcm16(8, 192_000).bytes(&s16_bytes(&tone(192_000, 3.5), 8)),
        Outcome::Ok(&[]),
    );

    // Not regular files.
    std::fs::create_dir(dir.join("folder.wav")).unwrap();
    std::os::unix::fs::symlink(dir.join("nowhere/target.wav"), dir.join("dangling.wav")).unwrap();
    expected.insert(
        "dangling.wav".into(),
        Outcome::Error("broken symbolic link"),
    );
    expected
}

#[test]
fn a_hostile_folder_gives_each_file_its_documented_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let expected = write_hostile_folder(dir.path());
    // Named explicitly, a file is read whatever its extension; a folder walk skips .aiff
    // (and says so).
    let aiff = dir.path().join("random.aiff");
    std::fs::write(&aiff, noise(8192, 7)).unwrap();

    let o = run(&[
        "classify",
        "--json",
        "-j",
        "2",
        dir.path().to_str().unwrap(),
        aiff.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "some files failed: exit status 1");
    let stdout = String::from_utf8(o.stdout.clone()).unwrap();
    let stderr = String::from_utf8(o.stderr.clone()).unwrap();
    let mut records: BTreeMap<String, Value> = BTreeMap::new();
    for line in stdout.lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        let name = Path::new(record["file"].as_str().unwrap())
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(
            records.insert(name.clone(), record).is_none(),
            "{name} reported twice"
        );
    }
    // The folder search says what it skipped: the .aiff it cannot decode.
    let skipped = format!(
        "warning: {}: skipped 1 audio file this build cannot decode (.aiff ×1); readable: ",
        dir.path().display()
    );
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with(&skipped)).count(),
        1,
        "{stderr}"
    );
    // Every other stderr line is an error or a warning about one named file.
    let mut messages: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in stderr.lines().filter(|l| !l.starts_with(&skipped)) {
        let (kind, rest) = line
            .split_once(": ")
            .unwrap_or_else(|| panic!("unexpected stderr line: {line}"));
        assert!(
            kind == "error" || kind == "warning",
            "unexpected stderr line: {line}"
        );
        let name = records
            .keys()
            .find(|name| rest.contains(&format!("/{name}: ")))
            .unwrap_or_else(|| panic!("line names no reported file: {line}"));
        messages
            .entry(name.clone())
            .or_default()
            .push(line.to_owned());
    }

    assert_eq!(
        records.get("random.aiff").map(|r| &r["status"]),
        Some(&Value::from("error")),
        "an explicitly named .aiff is read (and rejected)"
    );
    for (name, outcome) in &expected {
        let record = records
            .get(name)
            .unwrap_or_else(|| panic!("{name} was not reported"));
        let lines = messages.get(name).cloned().unwrap_or_default();
        let context = format!("{name}: {record}\n{}", lines.join("\n"));
        match *outcome {
            Outcome::Ok(warnings) => {
                // A result: a genre, confidently or as a guess, or "not music"
                // (the test tones are not music to the shipped model).
                let status = record["status"].as_str().unwrap();
                assert!(JUDGED.contains(&status), "{context}");
                assert_eq!(
                    record["top"].is_string(),
                    status != "not_music",
                    "{context}"
                );
                let sum: f64 = record["probabilities"]
                    .as_object()
                    .unwrap()
                    .values()
                    .map(|p| p.as_f64().unwrap())
                    .sum();
                assert!((sum - 1.0).abs() < 1e-3, "{context}");
                assert_eq!(lines.len(), warnings.len(), "{context}");
                for want in warnings {
                    assert!(
                        lines
                            .iter()
                            .any(|l| l.starts_with("warning: ") && l.contains(want)),
                        "expected a warning with {want:?}: {context}"
                    );
                }
            }
            Outcome::Silent(warning) => {
                assert_eq!(record["status"], "silent", "{context}");
                assert!(record["top"].is_null(), "{context}");
                assert!(
                    lines
                        .iter()
                        .any(|l| l.starts_with("warning: ") && l.contains(warning)),
                    "expected a warning with {warning:?}: {context}"
                );
            }
            Outcome::Error(reason) => {
                assert_eq!(record["status"], "error", "{context}");
                assert!(
                    record["error"].as_str().unwrap().contains(reason),
                    "expected {reason:?}: {context}"
                );
                assert_eq!(lines.len(), 1, "one line per failed file: {context}");
                assert!(
                    lines[0].starts_with("error: ") && lines[0].contains(reason),
                    "{context}"
                );
            }
        }
    }
    // The folder named like audio is searched (it is empty), not reported as a file.
    assert!(!records.contains_key("folder.wav"));
    assert_eq!(records.len(), expected.len() + 1, "{stdout}");
}

/// Inputs on which Symphonia 0.6.1 overflows integer arithmetic (found by the fuzzer): with
/// overflow checks (debug builds, as in `cargo test`) it panics, and the decoder must turn
/// that into one error line without the panic hook printing; without them it wraps.
#[test]
fn decoder_panics_are_contained() {
    let dir = tempfile::tempdir().unwrap();
    // MS ADPCM whose block starts at the largest step and keeps growing it: the step
    // adaptation multiplies past i32 within a few nibbles (codec_ms.rs).
    let coefficients: [(i16, i16); 7] = [
        (256, 0),
        (512, -256),
        (0, 0),
        (192, 64),
        (240, 0),
        (460, -208),
        (392, -232),
    ];
    let mut fmt = Vec::new();
    for v in [2u16, 1] {
        fmt.extend(v.to_le_bytes());
    }
    fmt.extend(8_000u32.to_le_bytes());
    fmt.extend(4_096u32.to_le_bytes());
    for v in [1_024u16, 4, 32, 2_036, 7] {
        fmt.extend(v.to_le_bytes());
    }
    for (a, b) in coefficients {
        fmt.extend(a.to_le_bytes());
        fmt.extend(b.to_le_bytes());
    }
    let mut block = vec![0u8];
    block.extend(i16::MAX.to_le_bytes());
    block.extend([0; 4]);
    block.resize(1_024, 0x88);
    let adpcm = riff(&fmt, &block.repeat(2));
    // WAVE_FORMAT_EXTENSIBLE with 40 channels and an empty channel mask: repairing the mask
    // shifts a 1 left by 40 (wave/chunks.rs).
    let mut fmt = Vec::new();
    for v in [0xFFFEu16, 40] {
        fmt.extend(v.to_le_bytes());
    }
    fmt.extend(22_050u32.to_le_bytes());
    fmt.extend((22_050u32 * 80).to_le_bytes());
    for v in [80u16, 16, 22, 16] {
        fmt.extend(v.to_le_bytes());
    }
    fmt.extend(0u32.to_le_bytes());
    fmt.extend([
        0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B,
        0x71,
    ]);
    let mask = riff(&fmt, &vec![0; 80 * 1_000]);

    for (name, bytes, location) in [
        (
            "adpcm_overflow.wav",
            adpcm,
            "symphonia-codec-adpcm-0.6.1/src/codec_ms.rs:",
        ),
        (
            "mask_overflow.wav",
            mask,
            "symphonia-format-riff-0.6.1/src/wave/chunks.rs:",
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        // `run` fails on any "panicked" on stderr.
        let o = run(&["classify", path.to_str().unwrap()]);
        let stderr = String::from_utf8(o.stderr).unwrap();
        if cfg!(debug_assertions) {
            assert_eq!(o.status.code(), Some(1), "{name}: {stderr}");
            assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
            assert!(
                stderr.contains("the decoder crashed on malformed data")
                    && stderr.contains(location),
                "{name}: {stderr}"
            );
        } else {
            assert!(matches!(o.status.code(), Some(0 | 1)), "{name}: {stderr}");
        }
    }
}

/// A RIFF/WAVE file of one `fmt ` chunk (its bytes given) and one `data` chunk.
fn riff(fmt: &[u8], data: &[u8]) -> Vec<u8> {
    let mut body = b"WAVEfmt ".to_vec();
    body.extend((fmt.len() as u32).to_le_bytes());
    body.extend(fmt);
    body.extend(b"data");
    body.extend((data.len() as u32).to_le_bytes());
    body.extend(data);
    let mut file = b"RIFF".to_vec();
    file.extend((body.len() as u32).to_le_bytes());
    file.extend(body);
    file
}

#[test]
fn a_folder_named_like_audio_holds_no_audio() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("x.wav");
    std::fs::create_dir(&folder).unwrap();
    let o = run(&["classify", folder.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8(o.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: ") && stderr.contains("x.wav: folder holds no audio files"),
        "{stderr}"
    );
}

#[test]
fn every_failure_alone_exits_1_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let expected = write_hostile_folder(dir.path());
    for (name, outcome) in &expected {
        let path = dir.path().join(name);
        let o = run(&["classify", path.to_str().unwrap()]);
        let stderr = String::from_utf8(o.stderr.clone()).unwrap();
        match outcome {
            Outcome::Error(reason) => {
                assert_eq!(o.status.code(), Some(1), "{name}: {stderr}");
                assert!(o.stdout.is_empty(), "{name}: nothing on stdout");
                assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
                assert!(
                    stderr.starts_with(&format!("error: {}: ", path.display()))
                        && stderr.contains(reason),
                    "{name}: {stderr}"
                );
            }
            Outcome::Ok(_) | Outcome::Silent(_) => {
                assert_eq!(o.status.code(), Some(0), "{name}: {stderr}");
                assert_eq!(
                    String::from_utf8(o.stdout).unwrap().lines().count(),
                    1,
                    "{name}: one result line"
                );
            }
        }
    }
}
