//! Checks of numeric options that clap's own parsers cannot express, and the
//! usage errors found after parsing. Every mistake on the command line exits
//! with status 2 and a message that states the accepted range.

use genre_core::analyzer::MIN_LEVEL_DB;
use genre_core::mel::FeatureSpec;

/// Longest `--hop`: a window a minute is already a sparse sample of a song.
pub const MAX_HOP_S: f64 = 60.0;
/// Loudest `--gate-db`: 0 dBFS is full scale, nothing is louder.
pub const MAX_GATE_DB: f32 = 0.0;
/// Most `--jobs`: far beyond any core count, short of exhausting threads.
pub const MAX_JOBS: u16 = 1024;

/// A mistake on the command line found after clap's parsing (it depends on
/// the model's card); `main` reports it the way clap does and exits with 2.
#[derive(Debug)]
pub struct UsageError {
    /// The option as clap names it, e.g. `--hop <SECONDS>`.
    pub option: &'static str,
    /// The value as given.
    pub value: String,
    /// What is accepted.
    pub reason: String,
}

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "invalid value '{}' for '{}': {}",
            self.value, self.option, self.reason
        )
    }
}

impl std::error::Error for UsageError {}

/// What `--hop` accepts for the frames of `spec`: the message clap shows.
pub fn hop_range(spec: &FeatureSpec) -> String {
    format!(
        "must be between {:.3} and {MAX_HOP_S:.0} seconds (it is rounded to whole frames of \
         {}/{} s = {:.1} ms)",
        spec.frame_period_s(),
        spec.hop_length,
        spec.sample_rate_hz,
        1000.0 * spec.frame_period_s()
    )
}

/// `--hop` in frames of `spec`: the nearest whole number of frames, which
/// must be at least one (so anything from half a frame up is accepted).
pub fn hop_frames(hop_s: f64, spec: &FeatureSpec) -> Option<usize> {
    let frames = (hop_s / spec.frame_period_s()).round();
    (hop_s.is_finite() && hop_s <= MAX_HOP_S && frames >= 1.0).then_some(frames as usize)
}

/// clap's parser for `--hop`, checked against the feature contract's frames
/// (`classify` checks again against the loaded card's).
pub fn parse_hop_s(text: &str) -> Result<f64, String> {
    let spec = FeatureSpec::default();
    match text.trim().parse::<f64>() {
        Ok(hop_s) if hop_frames(hop_s, &spec).is_some() => Ok(hop_s),
        _ => Err(hop_range(&spec)),
    }
}

/// clap's parser for `--gate-db`: a finite level between the lowest level
/// reported and full scale.
pub fn parse_gate_db(text: &str) -> Result<f32, String> {
    match text.trim().parse::<f32>() {
        Ok(db) if (MIN_LEVEL_DB..=MAX_GATE_DB).contains(&db) => Ok(db),
        _ => Err(format!(
            "must be a level between {MIN_LEVEL_DB:.0} and {MAX_GATE_DB:.0} dBFS"
        )),
    }
}

/// clap's parser for a share of a dataset: 0 ≤ x < 1.
pub fn parse_fraction(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(x) if (0.0..1.0).contains(&x) => Ok(x),
        _ => Err("must be a fraction from 0 up to (not including) 1".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_accepts_what_rounds_to_at_least_one_frame_up_to_a_minute() {
        let spec = FeatureSpec::default();
        let frame_s = spec.frame_period_s();
        assert_eq!(hop_frames(1.5, &spec), Some(65));
        assert_eq!(hop_frames(frame_s, &spec), Some(1));
        assert_eq!(hop_frames(0.6 * frame_s, &spec), Some(1));
        assert_eq!(hop_frames(0.4 * frame_s, &spec), None);
        assert_eq!(hop_frames(60.0, &spec), Some(2584));
        for bad in [0.0, -1.0, 60.01, f64::NAN, f64::INFINITY] {
            assert_eq!(hop_frames(bad, &spec), None, "{bad}");
        }
        assert!(
            parse_hop_s("0.023").is_ok(),
            "the minimum the message states"
        );
        assert!(parse_hop_s("nan").is_err() && parse_hop_s("61").is_err());
        assert!(hop_range(&spec).starts_with("must be between 0.023 and 60 seconds"));
    }

    #[test]
    fn gate_and_fractions_refuse_what_makes_no_sense() {
        assert_eq!(parse_gate_db("-60"), Ok(-60.0));
        assert_eq!(parse_gate_db("-120"), Ok(-120.0));
        for bad in ["NaN", "inf", "-inf", "1", "-121", "loud"] {
            assert!(parse_gate_db(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_fraction("0"), Ok(0.0));
        for bad in ["1", "-0.1", "NaN", "x"] {
            assert!(parse_fraction(bad).is_err(), "{bad}");
        }
    }
}
