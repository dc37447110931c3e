//! End-to-end tests of the `genre-meter` binary on the shipped model: every
//! output format, every exit status, and malformed input. No test may let the
//! binary panic: every run is checked for "panicked" on stderr.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

const LABELS: [&str; 10] = [
    "blues",
    "classical",
    "country",
    "disco",
    "hiphop",
    "jazz",
    "metal",
    "pop",
    "reggae",
    "rock",
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A committed example clip of a known genre.
fn example(name: &str) -> PathBuf {
    repo_root().join("examples").join(name)
}

fn run(args: &[&str]) -> Output {
    let output = Command::cargo_bin("genre-meter")
        .unwrap()
        .env("RUST_BACKTRACE", "1")
        .env_remove("GENRE_METER_MODEL")
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("panicked"),
        "the binary panicked:\n{stderr}"
    );
    output
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// The README shows what `genre-meter classify examples/` prints; it must stay true when
/// the model or the pipeline changes.
#[test]
fn readme_shows_what_classify_prints_for_the_examples() {
    let output = Command::cargo_bin("genre-meter")
        .unwrap()
        .current_dir(repo_root())
        .env_remove("GENRE_METER_MODEL")
        .args(["classify", "examples/"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let printed = stdout(&output);
    assert_eq!(printed.lines().count(), 2, "{printed}");
    for line in printed.lines() {
        assert!(
            readme.lines().any(|l| l == line),
            "README.md does not show this line of `genre-meter classify examples/`:\n{line}"
        );
    }
}

fn write_wav(path: &Path, rate_hz: u32, channels: u16, samples: &[f32]) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate_hz,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &s in samples {
        w.write_sample(s).unwrap();
    }
    w.finalize().unwrap();
}

/// A chord with a pulse: valid, non-silent audio of no particular genre.
fn tone(rate_hz: u32, seconds: f32) -> Vec<f32> {
    let n = (rate_hz as f32 * seconds) as usize;
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

#[test]
fn classifies_the_examples_correctly() {
    for (file, genre) in [("metal.mp3", "metal"), ("classical.mp3", "classical")] {
        let o = run(&["classify", "--json", example(file).to_str().unwrap()]);
        assert!(o.status.success(), "{file}: {}", stderr(&o));
        let record: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
        assert_eq!(record["top"], genre, "{file} classified as {}", record);
    }
}

#[test]
fn text_output_lists_top_genres() {
    let o = run(&[
        "classify",
        "--top",
        "2",
        example("metal.mp3").to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let out = stdout(&o);
    let line = out.lines().next().unwrap();
    assert!(line.contains("metal.mp3: "), "{line}");
    assert_eq!(
        line.matches('%').count(),
        2,
        "--top 2 should show two genres: {line}"
    );
}

#[test]
fn json_has_every_probability_and_they_sum_to_one() {
    let o = run(&[
        "classify",
        "--json",
        "--timeline",
        example("metal.mp3").to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let record: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(record["status"], "ok");
    let probs = record["probabilities"].as_object().unwrap();
    assert_eq!(
        probs.keys().collect::<Vec<_>>(),
        LABELS.iter().collect::<Vec<_>>()
    );
    let sum: f64 = probs.values().map(|v| v.as_f64().unwrap()).sum();
    assert!((sum - 1.0).abs() < 1e-3, "probabilities sum to {sum}");
    let timeline = record["timeline"].as_array().unwrap();
    assert_eq!(timeline.len() as u64, record["windows"].as_u64().unwrap());
    assert!(
        timeline.len() >= 10,
        "a 20 s clip at 1.5 s hop has many windows"
    );
    let starts: Vec<f64> = timeline
        .iter()
        .map(|w| w["start_s"].as_f64().unwrap())
        .collect();
    assert!(
        starts.windows(2).all(|p| p[1] > p[0]),
        "timeline out of order: {starts:?}"
    );
}

#[test]
fn csv_has_a_header_and_one_row_per_file() {
    let o = run(&[
        "classify",
        "--csv",
        example("metal.mp3").to_str().unwrap(),
        example("classical.mp3").to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let mut reader = csv::Reader::from_reader(o.stdout.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(&header[..4], ["file", "status", "top", "probability"]);
    assert_eq!(&header[4..14], LABELS);
    let rows: Vec<_> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert!(rows[0][0].ends_with("metal.mp3") && rows[1][0].ends_with("classical.mp3"));
    assert_eq!((&rows[0][2], &rows[1][2]), ("metal", "classical"));
}

#[test]
fn csv_timeline_has_a_row_per_window() {
    let o = run(&[
        "classify",
        "--csv",
        "--timeline",
        example("classical.mp3").to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let mut reader = csv::Reader::from_reader(o.stdout.as_slice());
    assert_eq!(&reader.headers().unwrap()[1], "start_s");
    assert!(reader.records().count() >= 10);
}

#[test]
fn folders_are_searched_and_a_bad_file_does_not_stop_the_batch() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a/b");
    std::fs::create_dir_all(&nested).unwrap();
    write_wav(
        &nested.join("tone.wav"),
        44_100,
        2,
        &tone(44_100, 4.0).repeat(2),
    );
    std::fs::write(
        dir.path().join("broken.mp3"),
        b"this is not an mp3 file at all",
    )
    .unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"ignored: not audio").unwrap();
    let o = run(&[
        "classify",
        "--json",
        "--jobs",
        "2",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "one file failed: exit 1");
    let records: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        records.len(),
        2,
        "notes.txt is skipped, the others reported"
    );
    assert_eq!(records[0]["status"], "ok", "a/b/tone.wav sorts first");
    assert_eq!(records[1]["status"], "error");
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].contains("broken.mp3"), "{}", lines[0]);
}

#[test]
fn malformed_inputs_fail_with_one_line_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut noise = vec![0u8; 4096];
    let mut x = 12345u32;
    for b in &mut noise {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        *b = (x >> 16) as u8;
    }
    std::fs::write(d.join("empty.wav"), b"").unwrap();
    std::fs::write(d.join("random.mp3"), &noise).unwrap();
    std::fs::write(d.join("random.flac"), &noise).unwrap();
    std::fs::write(d.join("text.ogg"), "just some text, renamed".repeat(50)).unwrap();
    write_wav(&d.join("full.wav"), 22_050, 1, &tone(22_050, 1.0));
    let full = std::fs::read(d.join("full.wav")).unwrap();
    std::fs::write(d.join("header_cut.wav"), &full[..30]).unwrap();
    std::fs::create_dir(d.join("folder.wav")).unwrap();
    let cases = [
        ("empty.wav", "empty"),
        ("random.mp3", ""),
        ("random.flac", ""),
        ("text.ogg", ""),
        ("header_cut.wav", ""),
        ("missing.wav", "no such file"),
    ];
    for (name, reason) in cases {
        let path = d.join(name);
        let o = run(&["classify", path.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{name}: {}", stderr(&o));
        let err = stderr(&o);
        assert_eq!(
            err.lines().count(),
            1,
            "{name}: expected one line, got:\n{err}"
        );
        assert!(
            err.starts_with("error: ") && err.contains(name),
            "{name}: {err}"
        );
        assert!(
            err.to_lowercase().contains(reason),
            "{name}: {err} should say {reason:?}"
        );
        assert!(stdout(&o).is_empty());
    }
    // A folder named like audio holds no audio files.
    let o = run(&["classify", d.join("folder.wav").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no audio files"), "{}", stderr(&o));
}

#[test]
fn silent_and_short_files_are_flagged_not_failed() {
    let dir = tempfile::tempdir().unwrap();
    let silent = dir.path().join("silent.wav");
    let short = dir.path().join("short.wav");
    let tiny = dir.path().join("tiny.wav");
    write_wav(&silent, 48_000, 2, &vec![0.0; 48_000 * 2 * 5]);
    write_wav(&short, 22_050, 1, &tone(22_050, 0.5));
    write_wav(&tiny, 22_050, 1, &tone(22_050, 0.05));

    let o = run(&["classify", "--json", silent.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let record: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(record["status"], "silent");
    assert!(record["top"].is_null());
    assert!(stderr(&o).contains("silent"));

    let o = run(&["classify", "--json", short.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let record: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(record["status"], "ok");
    assert_eq!(record["windows"], 1);
    assert!(stderr(&o).contains("shorter than one"), "{}", stderr(&o));

    let o = run(&["classify", tiny.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("too short"), "{}", stderr(&o));
}

#[test]
fn nan_and_infinite_samples_are_treated_as_silence() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nan.wav");
    let mut samples = tone(44_100, 5.0);
    for (i, s) in samples.iter_mut().enumerate().step_by(97) {
        *s = if i % 2 == 0 { f32::NAN } else { f32::INFINITY };
    }
    // Finite but absurd values must not break the resampler either.
    for (i, s) in samples[10_000..14_000].iter_mut().enumerate() {
        *s = if i % 2 == 0 { 3e38 } else { -1e30 };
    }
    write_wav(&path, 44_100, 1, &samples);
    let o = run(&["classify", "--json", path.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let record: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let sum: f64 = record["probabilities"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_f64().unwrap())
        .sum();
    assert!((sum - 1.0).abs() < 1e-3);
    assert!(stderr(&o).contains("NaN/infinite"), "{}", stderr(&o));
}

#[test]
fn usage_errors_exit_with_2() {
    assert_eq!(run(&[]).status.code(), Some(2));
    assert_eq!(run(&["classify"]).status.code(), Some(2));
    assert_eq!(
        run(&["classify", "--top", "0", "x.wav"]).status.code(),
        Some(2)
    );
    assert_eq!(
        run(&["classify", "--json", "--csv", "x.wav"]).status.code(),
        Some(2)
    );
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn bad_models_give_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let card = dir.path().join("m.json");
    let clip = example("metal.mp3");
    std::fs::write(&card, "{ garbage").unwrap();
    let o = run(&[
        "classify",
        "--model",
        card.to_str().unwrap(),
        clip.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not valid JSON"), "{}", stderr(&o));

    // A valid card whose ONNX file is truncated.
    let shipped = repo_root().join("models/genre_cnn.json");
    let mut json: Value =
        serde_json::from_str(&std::fs::read_to_string(&shipped).unwrap()).unwrap();
    json["model_file"] = "m.onnx".into();
    std::fs::write(&card, json.to_string()).unwrap();
    let onnx = std::fs::read(repo_root().join("models/genre_cnn.onnx")).unwrap();
    std::fs::write(dir.path().join("m.onnx"), &onnx[..onnx.len() / 3]).unwrap();
    let o = run(&[
        "classify",
        "--model",
        card.to_str().unwrap(),
        clip.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("m.onnx"), "{}", stderr(&o));

    // A card with one label too many for the network.
    std::fs::write(dir.path().join("m.onnx"), &onnx).unwrap();
    json["labels"].as_array_mut().unwrap().push("polka".into());
    json["output"]["shape"][1] = 11.into();
    std::fs::write(&card, json.to_string()).unwrap();
    let o = run(&[
        "classify",
        "--model",
        card.to_str().unwrap(),
        clip.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("11 labels"), "{}", stderr(&o));

    // A card whose input shape the network does not declare (it would run: global pooling).
    json["labels"].as_array_mut().unwrap().pop();
    json["output"]["shape"][1] = 10.into();
    json["features"]["n_mels"] = 64.into();
    json["input"]["shape"][2] = 64.into();
    std::fs::write(&card, json.to_string()).unwrap();
    let o = run(&[
        "classify",
        "--model",
        card.to_str().unwrap(),
        clip.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("declares input [?, 1, 128, 130]"),
        "{}",
        stderr(&o)
    );

    // An ONNX file named directly, without its card beside it.
    let lonely = dir.path().join("lonely.onnx");
    std::fs::write(&lonely, &onnx).unwrap();
    let o = run(&[
        "classify",
        "--model",
        lonely.to_str().unwrap(),
        clip.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("lonely.json: missing"),
        "{}",
        stderr(&o)
    );

    // An unknown format version.
    json["format_version"] = 99.into();
    std::fs::write(&card, json.to_string()).unwrap();
    let o = run(&["info", "--model", card.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("format_version 99"), "{}", stderr(&o));
}

#[test]
fn info_summarises_the_card() {
    let o = run(&["info"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains(&LABELS.join(", ")), "{out}");
    assert!(
        out.contains("test_template"),
        "held-out templates are reported: {out}"
    );
    let o = run(&["info", "--json"]);
    let card: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(card["format_version"], 1);
}

#[test]
fn features_writes_shards_split_by_track() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("genres");
    for (label, f0) in [("low", 110.0f32), ("high", 880.0)] {
        std::fs::create_dir_all(data.join(label)).unwrap();
        for i in 0..5 {
            let samples: Vec<f32> = (0..22_050 * 4)
                .map(|n| {
                    0.3 * (std::f32::consts::TAU * f0 * (1.0 + i as f32 * 0.01) * n as f32
                        / 22_050.0)
                        .sin()
                })
                .collect();
            write_wav(
                &data.join(label).join(format!("{label}.{i:05}.wav")),
                22_050,
                1,
                &samples,
            );
        }
    }
    std::fs::write(data.join("high/broken.wav"), b"RIFF").unwrap();
    let out = dir.path().join("features");
    let o = run(&[
        "features",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--hop-frames",
        "30",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "one broken file: exit 1 but everything else written"
    );
    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("meta.json")).unwrap()).unwrap();
    assert_eq!(meta["labels"], serde_json::json!(["high", "low"]));
    assert_eq!(meta["failed_files"].as_array().unwrap().len(), 1);
    let mut total = 0;
    for split in ["train", "val", "test"] {
        let s = &meta["splits"][split];
        assert!(s["num_files"].as_u64().unwrap() >= 1, "{split} is empty");
        for shard in s["shards"].as_array().unwrap() {
            let x: ndarray::Array3<f32> =
                ndarray_npy::read_npy(out.join(shard["x"].as_str().unwrap())).unwrap();
            let y: ndarray::Array1<i64> =
                ndarray_npy::read_npy(out.join(shard["y"].as_str().unwrap())).unwrap();
            assert_eq!((x.dim().1, x.dim().2), (128, 130));
            assert_eq!(x.dim().0, y.len());
            total += y.len();
        }
    }
    // 4 s = 169 frames: windows starting at frames 0 and 30 in each of the 10 readable files.
    assert_eq!(total, 10 * 2);
    let index = std::fs::read_to_string(out.join("index.csv")).unwrap();
    let mut split_of = std::collections::HashMap::new();
    for line in index.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(
            *split_of.entry(f[5].to_owned()).or_insert(f[0].to_owned()),
            f[0],
            "track in two splits"
        );
    }
}
