//! The shipped model through tract against PyTorch's own logits (the golden
//! pair the exporter writes), and the classifier's contract.

use std::path::Path;

use genre_core::card::ModelCard;
use genre_core::model::{Classifier, SHIPPED_CARD_PATH};
use ndarray::{Array2, Array3};
use ndarray_npy::read_npy;

fn models_dir() -> &'static Path {
    Path::new(SHIPPED_CARD_PATH).parent().unwrap()
}

#[test]
fn shipped_model_reproduces_pytorch_logits() {
    let model = Classifier::shipped().unwrap();
    let golden = model
        .card()
        .golden
        .clone()
        .expect("the shipped card names its golden pair");
    let inputs: Array3<f32> = read_npy(models_dir().join(&golden.inputs)).unwrap();
    let want: Array2<f32> = read_npy(models_dir().join(&golden.logits)).unwrap();
    let (k, n_mels, frames) = inputs.dim();
    assert_eq!(
        (n_mels, frames),
        (
            model.card().features.n_mels,
            model.card().features.window_frames
        )
    );
    assert_eq!(want.dim(), (k, model.labels().len()));
    assert!(k >= 2, "the golden pair needs several windows");
    let got = model.logits(inputs.as_slice().unwrap()).unwrap();
    let mut worst = (0.0f32, 0, 0);
    for ((w, l), &expected) in want.indexed_iter() {
        let err = (got[w * want.dim().1 + l] - expected).abs();
        if err > worst.0 {
            worst = (err, w, l);
        }
    }
    println!(
        "worst |Δlogit| = {:.2e} (window {}, label {})",
        worst.0, worst.1, worst.2
    );
    assert!(
        worst.0 <= golden.tolerance,
        "tract differs from PyTorch by {:.2e} at window {} label {} (tolerance {:.0e})",
        worst.0,
        worst.1,
        worst.2,
        golden.tolerance
    );
}

#[test]
fn batched_and_single_runs_agree() {
    let model = Classifier::shipped().unwrap();
    let golden = model.card().golden.clone().unwrap();
    let inputs: Array3<f32> = read_npy(models_dir().join(&golden.inputs)).unwrap();
    let one = inputs.as_slice().unwrap();
    // 17 windows = one full batch of 16 plus a single run.
    let many: Vec<f32> = one
        .iter()
        .copied()
        .cycle()
        .take(one.len() / inputs.dim().0 * 17)
        .collect();
    let batched = model.probabilities(&many).unwrap();
    let labels = model.labels().len();
    for w in 0..17 {
        let single = model
            .probabilities(&many[w * model.window_len()..(w + 1) * model.window_len()])
            .unwrap();
        for (a, b) in single.iter().zip(&batched[w * labels..(w + 1) * labels]) {
            assert!(
                (a - b).abs() < 1e-5,
                "window {w}: single {a} vs batched {b}"
            );
        }
        assert!((single.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    }
    assert!(
        model
            .probabilities(&many[..model.window_len() - 1])
            .is_err(),
        "partial windows are refused"
    );
}

#[test]
fn shipped_card_is_complete_and_meets_the_bar() {
    let card = ModelCard::from_path(Path::new(SHIPPED_CARD_PATH)).unwrap();
    let genres = [
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
    assert_eq!(card.labels[..10], genres);
    assert_eq!(card.labels[10..], ["not_music"]);
    // The card's decision section (format 2): which outputs are genres, the
    // calibration, and a threshold in the calibration's range.
    let spec = card
        .decision
        .clone()
        .expect("the shipped card has its own decision section");
    assert_eq!(spec.genres, genres);
    assert_eq!(spec.no_genre, ["not_music"]);
    assert!(spec.temperature > 0.0 && spec.temperature.is_finite());
    assert!((0.4..=0.8).contains(&spec.uncertain_threshold));
    assert_eq!(
        card.features,
        genre_core::mel::FeatureSpec::default(),
        "the shipped model uses the DESIGN.md contract"
    );
    for key in ["data", "split_method", "command", "date"] {
        assert!(
            card.training
                .get(key)
                .and_then(|v| v.as_str())
                .is_some_and(|s| !s.is_empty()),
            "training.{key} missing"
        );
    }
    for split in ["test", "test_template"] {
        let acc = card
            .metric(&format!("/splits/{split}/file_accuracy"))
            .unwrap();
        assert!((0.0..=1.0).contains(&acc));
        let recall = card
            .metrics
            .pointer(&format!("/splits/{split}/per_class_recall"))
            .unwrap();
        assert_eq!(recall.as_object().unwrap().len(), 11);
    }
    let onnx_bytes = std::fs::metadata(models_dir().join(&card.model_file))
        .unwrap()
        .len();
    assert!(
        onnx_bytes <= 2 * 1024 * 1024,
        "model is {onnx_bytes} bytes, over 2 MB"
    );
}
