//! Every status (`ok`, `uncertain`, `not_music`, `silent`, `error`) in every
//! output format (text, JSON Lines, CSV; each with and without `--timeline`),
//! the exit status each gives, and how a file's windows are combined.
//!
//! The inputs are chosen by asking the shipped model, not hard-coded: a pool
//! of 5-second clips (synthetic sounds and slices of the example songs) is
//! classified first, and the confident ones, with their genres, build the
//! cases. With `--hop 5` every clip of a file made of such clips is one
//! window, so a file's windows are known. `not_music` and a forced
//! `uncertain` come from cards derived from the shipped one in a temp dir
//! (one of its genres declared "no genre"; a threshold of 1).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use genre_core::audio::Decoder;
use serde_json::Value;

mod common;
use common::{repo_root, run, stderr, stdout};

const RATE_HZ: u32 = 22_050;
/// Seconds per clip; `--hop 5` puts one window at the start of each.
const CLIP_S: usize = 5;
const HOP: &str = "5";
/// A clip counts as confident at or above this probability of its top genre.
const CONFIDENT: f64 = 0.8;

fn json_lines(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Header and rows, each row a map from column name to value.
fn csv_rows(o: &Output) -> (Vec<String>, Vec<BTreeMap<String, String>>) {
    let mut reader = csv::Reader::from_reader(o.stdout.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            header
                .iter()
                .cloned()
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect();
    (header, rows)
}

fn write_wav(path: &Path, samples: &[f32]) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE_HZ,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &s in samples {
        w.write_sample(s).unwrap();
    }
    w.finalize().unwrap();
}

fn clip_len() -> usize {
    CLIP_S * RATE_HZ as usize
}

/// One clip of a sum of waves (`shape` maps phase in cycles to −1..1).
fn waves(freqs_hz: &[f32], shape: fn(f32) -> f32) -> Vec<f32> {
    (0..clip_len())
        .map(|i| {
            let t = i as f32 / RATE_HZ as f32;
            freqs_hz.iter().map(|f| 0.2 * shape(f * t)).sum()
        })
        .collect()
}

fn sine(cycles: f32) -> f32 {
    (std::f32::consts::TAU * cycles).sin()
}

fn triangle(cycles: f32) -> f32 {
    4.0 * (cycles.fract() - 0.5).abs() - 1.0
}

fn square(cycles: f32) -> f32 {
    if cycles.fract() < 0.5 { 1.0 } else { -1.0 }
}

fn noise(seed: u32, brown: bool) -> Vec<f32> {
    let mut state = seed;
    let mut level = 0.0f32;
    (0..clip_len())
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let white = (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
            if brown {
                level = (level + 0.05 * white).clamp(-0.5, 0.5);
                level
            } else {
                0.6 * white
            }
        })
        .collect()
}

/// A 5 s slice of an example song, from `offset_s`.
fn example_clip(name: &str, offset_s: usize) -> Vec<f32> {
    let mut decoder = Decoder::open(&repo_root().join("examples").join(name)).unwrap();
    assert_eq!(decoder.info().sample_rate_hz, RATE_HZ, "{name}");
    let mut samples = Vec::new();
    while decoder.read_mono(&mut samples).unwrap() {}
    let start = offset_s * RATE_HZ as usize;
    samples[start..start + clip_len()].to_vec()
}

/// The pool of candidate clips, named.
fn candidates() -> Vec<(String, Vec<f32>)> {
    let mut pool = vec![
        ("metal_6s".to_owned(), example_clip("metal.mp3", 6)),
        ("metal_12s".to_owned(), example_clip("metal.mp3", 12)),
        ("classical_6s".to_owned(), example_clip("classical.mp3", 6)),
        ("white_noise".to_owned(), noise(1, false)),
        ("brown_noise".to_owned(), noise(2, true)),
    ];
    for f in [110.0, 330.0, 880.0] {
        pool.push((format!("triangle_{f}"), waves(&[f], triangle)));
        pool.push((format!("sines_{f}"), waves(&[f, f * 1.25], sine)));
        pool.push((format!("square_{f}"), waves(&[f], square)));
    }
    pool
}

/// A clip and what the shipped model says of it alone.
#[derive(Debug, Clone)]
struct Clip {
    name: String,
    samples: Vec<f32>,
    genre: String,
    probability: f64,
}

/// Classifies every candidate with the shipped model; returns the confident
/// ones, the most confident first.
fn confident_clips(dir: &Path) -> Vec<Clip> {
    let pool = candidates();
    let mut args = vec![
        "classify".to_owned(),
        "--json".into(),
        "--hop".into(),
        HOP.into(),
    ];
    for (name, samples) in &pool {
        let path = dir.join(format!("probe_{name}.wav"));
        write_wav(&path, samples);
        args.push(path.to_str().unwrap().to_owned());
    }
    let o = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let records = json_lines(&o);
    let mut clips: Vec<Clip> = pool
        .into_iter()
        .zip(&records)
        .filter(|(_, r)| r["status"] == "ok" && r["probability"].as_f64().unwrap() >= CONFIDENT)
        .map(|((name, samples), r)| Clip {
            name,
            samples,
            genre: r["top"].as_str().unwrap().to_owned(),
            probability: r["probability"].as_f64().unwrap(),
        })
        .collect();
    clips.sort_by(|a, b| b.probability.total_cmp(&a.probability));
    clips
}

/// The most confident clip of each genre, in order of confidence.
fn one_per_genre(clips: &[Clip]) -> Vec<Clip> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for c in clips {
        if !seen.contains(&c.genre) {
            seen.push(c.genre.clone());
            out.push(c.clone());
        }
    }
    out
}

/// Writes a file made of `clips` one after another.
fn concat(dir: &Path, name: &str, clips: &[&Clip]) -> PathBuf {
    let samples: Vec<f32> = clips.iter().flat_map(|c| c.samples.clone()).collect();
    let path = dir.join(name);
    write_wav(&path, &samples);
    path
}

/// A card derived from the shipped one: `no_genre` declared "no genre"
/// (besides any the card already has), `threshold` as the uncertain
/// threshold; its ONNX file copied beside it.
fn derived_card(dir: &Path, name: &str, no_genre: &[&str], threshold: f64) -> PathBuf {
    let shipped = repo_root().join("models/genre_cnn.json");
    let mut card: Value =
        serde_json::from_str(&std::fs::read_to_string(&shipped).unwrap()).unwrap();
    let onnx = shipped.with_file_name(card["model_file"].as_str().unwrap());
    std::fs::copy(&onnx, dir.join(format!("{name}.onnx"))).unwrap();
    let labels: Vec<String> = card["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_owned())
        .collect();
    let mut none: Vec<String> = card["decision"]["no_genre"]
        .as_array()
        .map(|a| a.iter().map(|l| l.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default();
    none.extend(no_genre.iter().map(|s| s.to_string()));
    let genres: Vec<&String> = labels.iter().filter(|l| !none.contains(l)).collect();
    let temperature = card["decision"]["temperature"].as_f64().unwrap_or(1.0);
    card["format_version"] = 2.into();
    card["model_file"] = format!("{name}.onnx").into();
    card["decision"] = serde_json::json!({
        "genres": genres,
        "no_genre": none,
        "temperature": temperature,
        "uncertain_threshold": threshold,
    });
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, card.to_string()).unwrap();
    path
}

/// Runs `classify` on `file` in all six formats (text, JSON, CSV; with and
/// without `--timeline`) with `extra` arguments.
struct Runs {
    text: Output,
    text_timeline: Output,
    json: Value,
    json_timeline: Value,
    csv: (Vec<String>, Vec<BTreeMap<String, String>>),
    csv_timeline: (Vec<String>, Vec<BTreeMap<String, String>>),
}

fn all_formats(file: &Path, extra: &[&str], want_code: i32) -> Runs {
    let go = |format: &[&str]| {
        let mut args = vec!["classify", "--hop", HOP];
        args.extend(format);
        args.extend(extra);
        args.push(file.to_str().unwrap());
        let o = run(&args);
        assert_eq!(o.status.code(), Some(want_code), "{args:?}: {}", stderr(&o));
        o
    };
    let one = |o: Output| {
        let mut records = json_lines(&o);
        assert_eq!(records.len(), 1, "{}", stdout(&o));
        records.remove(0)
    };
    Runs {
        text: go(&[]),
        text_timeline: go(&["--timeline"]),
        json: one(go(&["--json"])),
        json_timeline: one(go(&["--json", "--timeline"])),
        csv: csv_rows(&go(&["--csv"])),
        csv_timeline: csv_rows(&go(&["--csv", "--timeline"])),
    }
}

impl Runs {
    /// The file's status in every format, and each window's in the timelines.
    fn assert_status(&self, file: &Path, status: &str, window_statuses: &[&str]) {
        assert_eq!(self.json["status"], status, "{}", self.json);
        assert_eq!(self.json_timeline["status"], status);
        assert_eq!(self.csv.1.len(), 1);
        assert_eq!(self.csv.1[0]["status"], status);
        let json_windows: Vec<&str> = self.json_timeline["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["status"].as_str().unwrap())
            .collect();
        assert_eq!(json_windows, window_statuses, "{}", self.json_timeline);
        let csv_windows: Vec<&str> = self
            .csv_timeline
            .1
            .iter()
            .map(|r| r["status"].as_str())
            .collect();
        assert_eq!(csv_windows, window_statuses);
        let text = stdout(&self.text);
        assert_eq!(text.lines().count(), 1, "{text}");
        let first = text.lines().next().unwrap();
        assert!(
            first.starts_with(&format!("{}: ", file.display())),
            "{first}"
        );
        let timeline = stdout(&self.text_timeline);
        let mut lines = timeline.lines();
        assert_eq!(lines.next(), Some(first), "{timeline}");
        assert_eq!(lines.count(), window_statuses.len(), "{timeline}");
    }
}

/// How text shows a probability: whole percents, never a rounded certainty.
fn percent(p: f64) -> String {
    match 100.0 * p {
        x if x > 0.0 && x < 0.5 => "<1%".into(),
        x if (99.5..100.0).contains(&x) => ">99%".into(),
        x => format!("{x:.0}%"),
    }
}

/// Text answers: `ok` lists genres, `uncertain` marks them as a guess.
fn assert_genre_text(line: &str, uncertain: bool, genre: &str) {
    let answer = line.split_once(": ").unwrap().1;
    let list = if uncertain {
        answer
            .strip_prefix("uncertain — ")
            .unwrap_or_else(|| panic!("not marked uncertain: {line}"))
    } else {
        assert!(!answer.contains("uncertain"), "{line}");
        answer
    };
    assert!(list.starts_with(&format!("{genre} ")), "{line}");
    let first = list.split(" · ").next().unwrap();
    assert!(first.ends_with('%'), "{line}");
}

#[test]
fn ok_uncertain_and_silent_with_the_shipped_model() {
    let dir = tempfile::tempdir().unwrap();
    let clips = confident_clips(dir.path());
    let distinct = one_per_genre(&clips);
    let found: Vec<String> = distinct
        .iter()
        .map(|c| format!("{} {}", c.name, c.genre))
        .collect();
    // Windows of two genres the model is sure of, one after the other, give
    // a mean of about a half for each: below any threshold of the card's
    // range (0.4–0.8 when calibrated; 0.5 by default, hence the assert below).
    assert!(
        distinct.len() >= 2,
        "need confident clips of 2 genres to build an uncertain file; found {found:?}"
    );

    // ok: one confident clip, twice (two windows).
    let a = &distinct[0];
    let ok = concat(dir.path(), "ok.wav", &[a, a]);
    let runs = all_formats(&ok, &[], 0);
    runs.assert_status(&ok, "ok", &["ok", "ok"]);
    assert_genre_text(stdout(&runs.text).trim_end(), false, &a.genre);
    assert_eq!(runs.json["top"], a.genre.as_str());
    assert_eq!(runs.json["confidence"], runs.json["probability"]);
    assert!((runs.json["probability"].as_f64().unwrap() - a.probability).abs() < 0.05);
    assert_eq!(runs.csv.1[0]["top"], a.genre);
    for w in runs.json_timeline["timeline"].as_array().unwrap() {
        assert_eq!(w["top"], a.genre.as_str(), "{w}");
    }

    // uncertain: one window each of several genres; the mean names none of
    // them with the card's threshold.
    let mixed: Vec<&Clip> = distinct.iter().take(5).collect();
    let unsure = concat(dir.path(), "unsure.wav", &mixed);
    let runs = all_formats(&unsure, &[], 0);
    runs.assert_status(&unsure, "uncertain", &vec!["ok"; mixed.len()]);
    let top = runs.json["top"]
        .as_str()
        .expect("uncertain still names a genre");
    assert!(
        mixed.iter().any(|c| c.genre == top),
        "{top} not among {found:?}"
    );
    assert_genre_text(stdout(&runs.text).trim_end(), true, top);
    let info: Value = serde_json::from_slice(&run(&["info", "--json"]).stdout).unwrap();
    let threshold = info["decision_rules"]["uncertain_threshold"]
        .as_f64()
        .unwrap();
    assert!(
        runs.json["probability"].as_f64().unwrap() < threshold,
        "{}",
        runs.json
    );
    assert_eq!(runs.csv.1[0]["top"], top);
    let text = stdout(&runs.text);
    let listed = text.matches('%').count();
    assert_eq!(listed, 3, "the leading three genres: {text}");

    // silent: nothing above the gate.
    let quiet = dir.path().join("quiet.wav");
    write_wav(&quiet, &vec![0.0; 3 * clip_len()]);
    let runs = all_formats(&quiet, &[], 0);
    runs.assert_status(&quiet, "silent", &["silent"; 3]);
    assert_eq!(
        stdout(&runs.text),
        format!(
            "{}: silent (15.0 s, all 3 windows below the gate)\n",
            quiet.display()
        )
    );
    for key in ["top", "probability", "confidence", "probabilities"] {
        assert!(runs.json[key].is_null(), "{key}: {}", runs.json);
    }
    assert_eq!(runs.json["silent_windows"], 3);
    assert_eq!(runs.csv.1[0]["top"], "");
    assert!(stdout(&runs.text_timeline).contains("silent (-120 dB)"));
}

#[test]
fn silent_and_partly_silent_windows_are_not_classified() {
    let dir = tempfile::tempdir().unwrap();
    let clips = confident_clips(dir.path());
    let a = &clips[0];
    // 5 s of silence, the clip twice, 5 s of silence; at the default hop.
    let mut samples = vec![0.0; clip_len()];
    samples.extend(&a.samples);
    samples.extend(&a.samples);
    samples.extend(vec![0.0; clip_len()]);
    let path = dir.path().join("edges.wav");
    write_wav(&path, &samples);
    let file = path.to_str().unwrap();

    let o = run(&["classify", "--json", "--timeline", file]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let record = &json_lines(&o)[0];
    assert_eq!(record["status"], "ok");
    assert_eq!(record["top"], a.genre.as_str());
    let windows = record["timeline"].as_array().unwrap();
    let count = |status: &str, partly: bool| {
        windows
            .iter()
            .filter(|w| w["status"] == status && w["partly_silent"] == partly)
            .count() as u64
    };
    assert!(count("silent", false) >= 2, "{record}");
    assert!(
        count("silent", true) >= 2,
        "music starting and ending: {record}"
    );
    assert_eq!(
        record["silent_windows"],
        count("silent", false) + count("silent", true)
    );
    assert_eq!(record["partly_silent_windows"], count("silent", true));
    for w in windows.iter().filter(|w| w["status"] == "silent") {
        assert!(w["probabilities"].is_null() && w["top"].is_null(), "{w}");
    }
    // The hop is whole frames: 1.5 s is 65 frames of 512/22050 s.
    let hop_s = 65.0 * 512.0 / 22_050.0;
    assert!(
        (record["hop_s"].as_f64().unwrap() - hop_s).abs() < 1e-9,
        "{record}"
    );
    assert!((windows[1]["start_s"].as_f64().unwrap() - hop_s).abs() < 1e-9);
    let window_s = (129.0 * 512.0 + 2048.0) / 22_050.0;
    assert!((record["window_s"].as_f64().unwrap() - window_s).abs() < 1e-9);

    let o = run(&["classify", "--timeline", file]);
    let text = stdout(&o);
    assert!(text.contains("silent (-120 dB)"), "{text}");
    assert!(text.contains("silent (partly, "), "{text}");
    // Real start times and the span of audio each window covers.
    assert!(text.contains("    1.51–4.60 s  "), "{text}");

    let o = run(&["classify", "--csv", "--timeline", file]);
    let (header, rows) = csv_rows(&o);
    assert_eq!(
        &header[..7],
        [
            "file",
            "start_s",
            "level_db",
            "status",
            "top",
            "probability",
            "confidence"
        ]
    );
    let partly = rows.iter().filter(|r| r["partly_silent"] == "true").count() as u64;
    assert_eq!(partly, count("silent", true));
    assert!(rows.iter().all(|r| r["error"].is_empty()));
}

#[test]
fn not_music_windows_are_counted_apart() {
    let dir = tempfile::tempdir().unwrap();
    let clips = confident_clips(dir.path());
    let distinct = one_per_genre(&clips);
    assert!(distinct.len() >= 2, "{distinct:?}");
    let (a, b) = (&distinct[0], &distinct[1]);
    // A card on which b's genre means "no genre".
    let card = derived_card(dir.path(), "nomusic", &[&b.genre], 0.5);
    let model = ["--model", card.to_str().unwrap()];

    // b alone: not music.
    let talk = concat(dir.path(), "talk.wav", &[b, b]);
    let runs = all_formats(&talk, &model, 0);
    runs.assert_status(&talk, "not_music", &["not_music", "not_music"]);
    let line = stdout(&runs.text);
    let pct = runs.json["confidence"].as_f64().unwrap();
    assert!((pct - b.probability).abs() < 0.05, "{}", runs.json);
    assert_eq!(
        line,
        format!("{}: not music ({})\n", talk.display(), percent(pct))
    );
    assert!(runs.json["top"].is_null() && runs.json["probability"].is_null());
    assert_eq!(runs.json["not_music_windows"], 2);
    let probabilities = runs.json["probabilities"].as_object().unwrap();
    assert!(
        probabilities.contains_key(&b.genre),
        "every output is reported"
    );
    assert_eq!(runs.csv.1[0]["top"], "");
    assert_eq!(runs.csv.1[0]["confidence"], format!("{pct:.4}"));

    // Three windows of music and a loud non-music one (a spoken intro): the
    // music's genres, as if the intro were not there.
    let song = concat(dir.path(), "song.wav", &[b, a, a, a]);
    let runs = all_formats(&song, &model, 0);
    runs.assert_status(&song, "ok", &["not_music", "ok", "ok", "ok"]);
    assert_eq!(runs.json["top"], a.genre.as_str());
    let p = runs.json["probability"].as_f64().unwrap();
    assert!(
        (p - a.probability).abs() < 0.05,
        "the intro dragged the estimate: {p} vs {} alone",
        a.probability
    );
    assert_eq!(runs.json["not_music_windows"], 1);
    assert_eq!(runs.csv.1[0]["not_music_windows"], "1");
    let line = stdout(&runs.text);
    assert!(
        line.trim_end()
            .ends_with("(1 of 4 classified windows not music, left out)"),
        "{line}"
    );
    assert!(
        !line.contains(&b.genre),
        "no-genre outputs are never listed: {line}"
    );

    // Mostly not music with a jingle: not music, the jingle left out.
    let show = concat(dir.path(), "show.wav", &[b, b, a, b]);
    let runs = all_formats(&show, &model, 0);
    runs.assert_status(
        &show,
        "not_music",
        &["not_music", "not_music", "ok", "not_music"],
    );
    assert_eq!(
        stdout(&runs.text),
        format!(
            "{}: not music ({}; 1 of 4 classified windows music, left out)\n",
            show.display(),
            percent(runs.json["confidence"].as_f64().unwrap())
        )
    );
}

#[test]
fn a_threshold_of_one_makes_every_answer_uncertain() {
    let dir = tempfile::tempdir().unwrap();
    let clips = confident_clips(dir.path());
    let a = clips
        .iter()
        .find(|c| c.probability < 0.999)
        .expect("a clip the model is not certain of");
    let card = derived_card(dir.path(), "strict", &[], 1.0);
    let file = concat(dir.path(), "strict.wav", &[a, a]);
    let runs = all_formats(&file, &["--model", card.to_str().unwrap()], 0);
    runs.assert_status(&file, "uncertain", &["uncertain", "uncertain"]);
    assert_genre_text(stdout(&runs.text).trim_end(), true, &a.genre);
    assert_eq!(runs.json["top"], a.genre.as_str());
    assert_eq!(runs.json["confidence"], runs.json["probability"]);
    let timeline = stdout(&runs.text_timeline);
    assert_eq!(timeline.matches("uncertain — ").count(), 3, "{timeline}");

    // `info` shows the rules it decides by.
    let o = run(&["info", "--model", card.to_str().unwrap()]);
    let text = stdout(&o);
    assert!(text.contains("uncertain     below 100%"), "{text}");
    assert!(text.contains("decision      card"), "{text}");
    let o = run(&["info", "--json", "--model", card.to_str().unwrap()]);
    let info: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(info["decision_rules"]["uncertain_threshold"], 1.0);
    assert_eq!(info["decision_rules"]["source"], "card");
}

#[test]
fn errors_in_every_format_and_the_exit_status_of_each_status() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.mp3");
    std::fs::write(&broken, b"this is not an mp3 file at all").unwrap();
    let runs = all_formats(&broken, &[], 1);
    assert!(stdout(&runs.text).is_empty() && stdout(&runs.text_timeline).is_empty());
    let line = format!("error: {}: ", broken.display());
    assert!(
        stderr(&runs.text).starts_with(&line),
        "{}",
        stderr(&runs.text)
    );
    for record in [&runs.json, &runs.json_timeline] {
        assert_eq!(record["status"], "error");
        assert!(
            record["error"]
                .as_str()
                .unwrap()
                .contains("not a recognised audio format")
        );
        for key in [
            "top",
            "probability",
            "confidence",
            "probabilities",
            "windows",
        ] {
            assert!(record[key].is_null(), "{key}: {record}");
        }
    }
    assert_eq!(runs.json_timeline["timeline"], serde_json::json!([]));
    for (header, rows) in [&runs.csv, &runs.csv_timeline] {
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].len(), header.len(), "{header:?}");
        assert_eq!(rows[0]["status"], "error");
        assert!(rows[0]["error"].contains("not a recognised audio format"));
    }

    // Results, whatever they say, exit 0; any failure makes it 1.
    let clips = confident_clips(dir.path());
    let a = &clips[0];
    let ok = concat(dir.path(), "ok.wav", &[a]);
    let quiet = dir.path().join("quiet.wav");
    write_wav(&quiet, &vec![0.0; clip_len()]);
    let card = derived_card(dir.path(), "strict", &[&a.genre], 1.0);
    let model = card.to_str().unwrap();
    let (ok, quiet) = (ok.to_str().unwrap(), quiet.to_str().unwrap());
    for (args, code) in [
        (vec!["classify", ok, quiet], 0),
        (vec!["classify", "--model", model, ok, quiet], 0),
        (vec!["classify", ok, broken.to_str().unwrap()], 1),
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {}", stderr(&o));
    }
    let o = run(&["classify", "--json", "--model", model, ok, quiet]);
    let statuses: Vec<Value> = json_lines(&o)
        .into_iter()
        .map(|r| r["status"].clone())
        .collect();
    assert_eq!(statuses, ["not_music", "silent"]);
}
