//! `genre-meter`: classify audio files by genre, inspect the model, compute
//! training features.
//!
//! Exit status: 0 when every file succeeded, 1 when some failed (the others
//! are still reported), 2 for usage errors (clap's own code).

mod classify;
mod features;
mod model_source;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    /// Print the model card: labels, training data, metrics.
    Info(model_source::InfoArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Classify(args) => classify::run(args),
        Command::Features(args) => features::run(args),
        Command::Info(args) => model_source::info(args),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("genre-meter: {e:#}");
            ExitCode::from(1)
        }
    }
}
