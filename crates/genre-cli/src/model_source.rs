//! Where the model comes from (`--model`, `GENRE_METER_MODEL`, or the shipped
//! one) and `genre-meter info`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use genre_core::model::Classifier;

/// Environment variable naming a model card or ONNX file to use by default.
pub const MODEL_ENV: &str = "GENRE_METER_MODEL";

/// `--model` as shared by the subcommands that classify.
#[derive(Debug, clap::Args)]
pub struct ModelArg {
    /// Model card (.json) or ONNX file (its card is the .json beside it).
    /// Default: $GENRE_METER_MODEL, else the model shipped in the binary.
    #[arg(long, value_name = "PATH")]
    pub model: Option<PathBuf>,
}

impl ModelArg {
    /// Loads the chosen model, naming it in any error.
    pub fn load(&self) -> Result<Classifier> {
        let chosen = self
            .model
            .clone()
            .or_else(|| std::env::var_os(MODEL_ENV).map(PathBuf::from));
        // The core's errors name the file (card or ONNX) and the reason.
        match chosen {
            Some(path) => Classifier::load(&path).context("cannot load the model"),
            None => Classifier::shipped().context("cannot load the shipped model"),
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct InfoArgs {
    #[command(flatten)]
    model: ModelArg,
    /// Print the whole card as JSON, plus the decision rules in use
    /// ("decision_rules": the card's, or the defaults).
    #[arg(long)]
    json: bool,
}

/// What `info` says of a card without decision rules.
pub const NO_DECISION_SECTION: &str = "defaults: the card has no decision section";

/// `genre-meter info`.
pub fn info(args: InfoArgs) -> Result<bool> {
    let classifier = args.model.load()?;
    let card = classifier.card();
    let decision = card.decision();
    let decision_source = if card.decision.is_some() {
        "card"
    } else {
        NO_DECISION_SECTION
    };
    if args.json {
        let mut value = serde_json::to_value(card)?;
        value["decision_rules"] = serde_json::json!({
            "genres": decision.genres,
            "no_genre": decision.no_genre,
            "temperature": decision.temperature,
            "uncertain_threshold": decision.uncertain_threshold,
            "source": decision_source,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(true);
    }
    let f = &card.features;
    println!(
        "model         {} ({})",
        card.name,
        classifier.origin().display()
    );
    println!("labels        {}", card.labels.join(", "));
    println!(
        "features      {} mel bands, {} Hz, n_fft {}, hop {}, {}-frame windows ({})",
        f.n_mels,
        f.sample_rate_hz,
        f.n_fft,
        f.hop_length,
        f.window_frames,
        crate::output::seconds(f.window_duration_s())
    );
    println!("genres        {}", decision.genres.join(", "));
    println!(
        "no genre      {}",
        if decision.no_genre.is_empty() {
            "none: the model has no \"not music\" output, so nothing reads not_music".to_owned()
        } else {
            format!(
                "{} (the answer is not_music when one of these wins)",
                decision.no_genre.join(", ")
            )
        }
    );
    println!(
        "temperature   {} (probabilities are softmax(logits / {}))",
        decision.temperature, decision.temperature
    );
    println!(
        "uncertain     below {} for the top genre",
        crate::output::percent(decision.uncertain_threshold)
    );
    println!("decision      {decision_source}");
    let text = |ptr: &str| {
        card.training
            .pointer(ptr)
            .and_then(|v| v.as_str())
            .unwrap_or("?")
    };
    println!("trained       {} on: {}", text("/date"), text("/data"));
    println!("split         {}", text("/split_method"));
    println!("command       {}", text("/command"));
    if let Some(splits) = card.metrics.get("splits").and_then(|s| s.as_object()) {
        for (name, m) in splits {
            let num = |k: &str| m.get(k).and_then(|v| v.as_f64()).unwrap_or(f64::NAN);
            println!(
                "{name:<14}accuracy {:.3} per file ({} files), {:.3} per window",
                num("file_accuracy"),
                m.get("num_files").and_then(|v| v.as_u64()).unwrap_or(0),
                num("window_accuracy")
            );
            if let Some(recall) = m.get("per_class_recall").and_then(|r| r.as_object()) {
                let parts: Vec<String> = recall
                    .iter()
                    .map(|(label, r)| format!("{label} {:.2}", r.as_f64().unwrap_or(f64::NAN)))
                    .collect();
                println!("              recall: {}", parts.join(", "));
            }
        }
    }
    Ok(true)
}
