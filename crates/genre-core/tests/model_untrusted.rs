//! Model and card files are untrusted input: every broken variant of the shipped model,
//! built here from `models/genre_cnn.{onnx,json}` by cutting and editing, gives a specific
//! error naming the file, never a panic and never a model that silently runs on the wrong
//! input.

use std::path::{Path, PathBuf};

use genre_core::Error;
use genre_core::card::ModelCard;
use genre_core::model::{Classifier, SHIPPED_CARD_PATH};
use serde_json::Value;

/// A fresh directory per test, so parallel tests never share files.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test_name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "genre-core-model-{}-{test_name}",
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

fn shipped_card_json() -> Value {
    serde_json::from_str(&std::fs::read_to_string(SHIPPED_CARD_PATH).expect("read card"))
        .expect("card is JSON")
}

fn shipped_onnx() -> Vec<u8> {
    let card = Path::new(SHIPPED_CARD_PATH);
    std::fs::read(card.with_file_name("genre_cnn.onnx")).expect("read model")
}

/// Writes `card` (its `model_file` set to `m.onnx`) and `onnx` and loads them by the card.
fn load(dir: &TempDir, mut card: Value, onnx: &[u8]) -> (PathBuf, genre_core::Result<Classifier>) {
    card["model_file"] = "m.onnx".into();
    dir.write("m.onnx", onnx);
    let path = dir.write("m.json", card.to_string().as_bytes());
    let loaded = Classifier::load(&path);
    (path, loaded)
}

/// The error, which must name `file` and fit on one line.
fn error_of(loaded: genre_core::Result<Classifier>, file: &Path, what: &str) -> Error {
    let err = match loaded {
        Ok(_) => panic!("{what}: loaded instead of failing"),
        Err(err) => err,
    };
    let message = err.to_string();
    assert!(
        message.contains(&file.display().to_string()),
        "{what}: message does not name {}: {message}",
        file.display()
    );
    assert!(
        !message.contains('\n'),
        "{what}: more than one line: {message}"
    );
    err
}

#[test]
fn the_untouched_copy_loads() {
    let dir = TempDir::new("copy");
    let (_, loaded) = load(&dir, shipped_card_json(), &shipped_onnx());
    let classifier = loaded.expect("the shipped model loads from a copy");
    assert_eq!(classifier.labels().len(), 11, "ten genres and not_music");
}

#[test]
fn truncated_onnx_is_a_model_error() {
    let dir = TempDir::new("truncated");
    let onnx = shipped_onnx();
    let len = onnx.len();
    for cut in [
        0,
        1,
        7,
        64,
        512,
        len / 8,
        len / 4,
        len / 2,
        len * 3 / 4,
        len - 100,
        len - 1,
    ] {
        let (_, loaded) = load(&dir, shipped_card_json(), &onnx[..cut]);
        let model_path = dir.0.join("m.onnx");
        let err = error_of(
            loaded,
            &model_path,
            &format!("ONNX cut to {cut} of {len} bytes"),
        );
        assert!(
            matches!(err, Error::Model { .. }),
            "cut to {cut}: wrong variant {err:?}"
        );
    }
}

#[test]
fn garbage_onnx_is_a_model_error() {
    let dir = TempDir::new("garbage");
    let mut state = 7_u32;
    let noise: Vec<u8> = (0..100_000)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (state >> 16) as u8
        })
        .collect();
    let card_text = shipped_card_json().to_string();
    for (what, bytes) in [
        ("random bytes", noise.as_slice()),
        ("the card itself", card_text.as_bytes()),
    ] {
        let (_, loaded) = load(&dir, shipped_card_json(), bytes);
        let err = error_of(loaded, &dir.0.join("m.onnx"), what);
        assert!(
            matches!(&err, Error::Model { reason, .. } if reason.contains("not a readable ONNX model")),
            "{what}: {err:?}"
        );
    }
}

#[test]
fn an_input_shape_the_network_does_not_declare_is_refused() {
    // The network ends in global pooling, so it would run on 64-band windows without a
    // complaint from tract; the declared input shape must stop it.
    let dir = TempDir::new("shape");
    let mut card = shipped_card_json();
    card["features"]["n_mels"] = 64.into();
    card["input"]["shape"][2] = 64.into();
    let (_, loaded) = load(&dir, card, &shipped_onnx());
    let err = error_of(loaded, &dir.0.join("m.onnx"), "64 mel bands");
    assert!(
        matches!(&err, Error::Model { reason, .. } if reason.contains("declares input [?, 1, 128, 130]")),
        "{err:?}"
    );

    let mut card = shipped_card_json();
    card["features"]["window_frames"] = 100.into();
    card["input"]["shape"][3] = 100.into();
    let (_, loaded) = load(&dir, card, &shipped_onnx());
    let err = error_of(loaded, &dir.0.join("m.onnx"), "100-frame windows");
    assert!(
        matches!(&err, Error::Model { reason, .. } if reason.contains("[N, 1, 128, 100]")),
        "{err:?}"
    );
}

#[test]
fn a_label_count_the_network_does_not_output_is_refused() {
    let dir = TempDir::new("labels");
    let num_outputs = shipped_card_json()["labels"].as_array().unwrap().len();
    for num_labels in [num_outputs - 1, num_outputs + 1] {
        let mut card = shipped_card_json();
        let labels: Vec<String> = (0..num_labels).map(|i| format!("g{i}")).collect();
        // A card consistent in itself (its decision names its labels), wrong for the network.
        card["decision"]["genres"] = labels.clone().into();
        card["decision"]["no_genre"] = Vec::<String>::new().into();
        card["labels"] = labels.into();
        card["output"]["shape"][1] = num_labels.into();
        let (_, loaded) = load(&dir, card, &shipped_onnx());
        let err = error_of(
            loaded,
            &dir.0.join("m.onnx"),
            &format!("{num_labels} labels"),
        );
        assert!(
            matches!(&err, Error::Model { reason, .. } if reason.contains(&format!("{num_labels} labels"))),
            "{err:?}"
        );
    }
}

#[test]
fn broken_cards_are_card_errors() {
    let dir = TempDir::new("cards");
    let text = shipped_card_json().to_string();
    let mut future = shipped_card_json();
    future["format_version"] = 99.into();
    let mut no_version = shipped_card_json();
    no_version.as_object_mut().unwrap().remove("format_version");
    let mut absurd = shipped_card_json();
    absurd["features"]["n_fft"] = 1_000_000_000_000_u64.into();
    let mut wrong_type = shipped_card_json();
    wrong_type["labels"] = "rock".into();
    let cases: Vec<(&str, String, &str)> = vec![
        ("garbage", "{ this is not json".into(), "not valid JSON"),
        ("empty", String::new(), "not valid JSON"),
        ("an array", "[1, 2, 3]".into(), "format_version"),
        (
            "a future version",
            future.to_string(),
            "format_version 99 is not supported",
        ),
        ("no version", no_version.to_string(), "format_version"),
        ("an absurd FFT size", absurd.to_string(), "n_fft"),
        (
            "labels as a string",
            wrong_type.to_string(),
            "malformed card",
        ),
        (
            "binary",
            String::from_utf8_lossy(&shipped_onnx()[..4096]).into_owned(),
            "not valid JSON",
        ),
    ];
    for (what, card_text, reason) in cases {
        let path = dir.write("c.json", card_text.as_bytes());
        let err = error_of(Classifier::load(&path), &path, what);
        assert!(
            matches!(&err, Error::Card { reason: r, .. } if r.contains(reason)),
            "{what}: expected {reason:?}, got {err}"
        );
    }
    // Cut anywhere, the card is refused with a reason (never a panic).
    for cut in (0..text.len()).step_by(37) {
        let result = ModelCard::from_json(&text[..cut], Path::new("cut.json"));
        let err = result.expect_err("a cut card does not parse");
        assert!(matches!(err, Error::Card { .. }), "cut at {cut}: {err:?}");
    }
}

#[test]
fn missing_files_name_what_is_missing() {
    let dir = TempDir::new("missing");
    // An ONNX file without its card beside it.
    let onnx = dir.write("lonely.onnx", &shipped_onnx());
    let err = error_of(
        Classifier::load(&onnx),
        &dir.0.join("lonely.json"),
        "no card",
    );
    assert!(
        matches!(&err, Error::Card { reason, .. } if reason.contains("missing")),
        "{err:?}"
    );
    // A card whose model file is not there.
    let mut card = shipped_card_json();
    card["model_file"] = "gone.onnx".into();
    let path = dir.write("c.json", card.to_string().as_bytes());
    let err = error_of(
        Classifier::load(&path),
        &dir.0.join("gone.onnx"),
        "no model",
    );
    assert!(
        matches!(&err, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound),
        "{err:?}"
    );
}
