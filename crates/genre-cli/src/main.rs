//! `genre-meter`: classify audio files by genre, inspect the model, compute
//! training features.
//!
//! Exit status: 0 when every file got a result (`ok`, `uncertain`,
//! `not_music` and `silent` are results), 1 when some file failed (the
//! others are still reported) or the model cannot be loaded, 2 for usage
//! errors (clap's own code, also for values that only the model's card can
//! judge).

mod args;
mod classify;
mod features;
mod model_source;
mod output;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// Which musical genre is playing: a log-mel CNN over 3-second windows.
#[derive(Debug, Parser)]
#[command(name = "genre-meter", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Classify audio files and folders (searched recursively).
    Classify(classify::Args),
    /// Compute training features (.npy shards) from a labelled dataset.
    Features(features::Args),
    /// Print the model card: labels, decision rules, training data, metrics.
    Info(model_source::InfoArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (name, outcome) = match cli.command {
        Command::Classify(args) => ("classify", classify::run(args)),
        Command::Features(args) => ("features", features::run(args)),
        Command::Info(args) => ("info", model_source::info(args)),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => match e.downcast_ref::<args::UsageError>() {
            Some(usage) => {
                let mut command = Cli::command();
                // Building names the subcommand `genre-meter <name>` in its usage line.
                command.build();
                let sub = command
                    .find_subcommand_mut(name)
                    .expect("every subcommand is declared");
                sub.error(clap::error::ErrorKind::ValueValidation, usage)
                    .exit()
            }
            None => {
                eprintln!("genre-meter: {}", one_line(&e));
                ExitCode::from(1)
            }
        },
    }
}

/// The error and its causes on one line, each said once: a cause whose text
/// already ends the message before it (an I/O error that names its file and
/// also carries the OS error as its source) is not repeated.
fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if parts.last().is_some_and(|prev| prev.ends_with(&text)) {
            continue;
        }
        parts.push(text);
    }
    parts.join(": ")
}
