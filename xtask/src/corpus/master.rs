//! The mastering-like chain after the stems are mixed: EQ tilt, bus or
//! multiband compression, saturation, a limiter driven to a loudness that
//! depends on the genre, stereo width, then the mono fold-down and the
//! corpus rate — one ffmpeg pass.

use super::amp::{calf, lv2};
use super::dsp::db;
use super::production::{BusComp, MasterPlan, MixSat};
use super::rng::Rng;

/// Level the mix is normalised to before the chain, so thresholds and the
/// limiter's drive mean the same for every song (dBFS RMS).
pub const MIX_RMS_DB: f64 = -20.0;

/// The ffmpeg filter of the master chain for a stereo 44.1 kHz mix at
/// [`MIX_RMS_DB`], ending in mono at 22 050 Hz, and its manifest tokens.
pub fn filter(plan: &MasterPlan, rng: &mut Rng) -> (String, Vec<String>) {
    let mut f: Vec<String> = Vec::new();
    let mut d: Vec<String> = Vec::new();
    f.push(format!("highpass=f={:.0}", plan.hp_hz));
    d.push(format!("hp{:.0}", plan.hp_hz));
    if let Some((lp, thin)) = plan.lp_hz {
        f.push(format!("lowpass=f={lp:.0}"));
        d.push(format!("lp{lp:.0}"));
        if thin {
            f.push("highpass=f=250".into());
            d.push("thin".into());
        }
    }
    let (lo, hi) = plan.tilt;
    f.push(format!(
        "bass=g={lo:.1}:f={:.0},treble=g={hi:.1}:f={:.0}",
        rng.range(80.0, 200.0),
        rng.range(2500.0, 8000.0)
    ));
    d.push(format!("tilt{lo:+.0}/{hi:+.0}"));
    if let Some((hz, g)) = plan.bell {
        f.push(format!("equalizer=f={hz:.0}:t=q:w=1:g={g:.1}"));
        d.push(format!("eq{hz:.0}{g:+.0}"));
    }
    match plan.comp {
        BusComp::None => {}
        BusComp::Single => {
            let thr = rng.range(-28.0, -14.0);
            let ratio = rng.range(1.5, 4.0);
            f.push(format!(
                "acompressor=threshold={:.4}:ratio={ratio:.1}:attack={:.0}:release={:.0}:makeup={:.2}:knee=2.8",
                db(thr),
                rng.range(5.0, 40.0),
                rng.range(80.0, 400.0),
                db(rng.range(0.0, 4.0))
            ));
            d.push(format!("comp{ratio:.1}"));
        }
        BusComp::Multiband => {
            // three bands, each a soft-knee compressor from −34 dB up
            let band = |rng: &mut Rng, att: f64, dec: f64, top: f64| {
                let out = -34.0 + (0.0 + 34.0) / rng.range(2.0, 4.0);
                format!("{att}\\,{dec} 6 -80/-80\\,-34/-34\\,0/{out:.1} {top:.0}")
            };
            let x1 = rng.range(120.0, 250.0);
            let x2 = rng.range(1500.0, 4000.0);
            let b1 = band(rng, 0.005, 0.1, x1);
            let b2 = band(rng, 0.003, 0.05, x2);
            let b3 = band(rng, 0.001, 0.03, 22_000.0);
            f.push(format!("mcompand='{b1} | {b2} | {b3}'"));
            // the bands' output sits lower: make it up
            f.push("volume=6dB".into());
            d.push("mbcomp".into());
        }
    }
    match plan.sat {
        None => {}
        Some(MixSat::Tape) => {
            f.push(calf(
                "TapeSimulator",
                &[
                    ("level_in", rng.range(0.6, 2.0)),
                    ("mix", rng.range(0.5, 1.0)),
                    ("lowpass", rng.range(9000.0, 16000.0)),
                    ("noise", 0.0),
                ],
            ));
            d.push("tape".into());
        }
        Some(MixSat::Saturator) => {
            f.push(calf(
                "Saturator",
                &[("drive", rng.range(1.5, 6.0)), ("mix", rng.range(0.3, 0.8))],
            ));
            d.push("saturator".into());
        }
        Some(MixSat::Softclip) => {
            let g = rng.range(4.0, 12.0);
            f.push(format!(
                "volume={g:.1}dB,asoftclip=type=tanh:oversample=2,volume=-{g:.1}dB"
            ));
            d.push(format!("softclip{g:.0}"));
        }
    }
    if let Some(drive) = plan.limit_db {
        if rng.chance(0.35) {
            // x42's digital peak limiter, stereo-linked, input gain = drive
            f.push(lv2(
                "http://gareus.org/oss/lv2/dpl#stereo",
                &[
                    ("gain", drive.min(30.0)),
                    ("threshold", -1.0),
                    ("release", rng.range(0.01, 0.2)),
                ],
            ));
            d.push(format!("dpl{drive:.0}"));
        } else {
            f.push(format!(
                "volume={drive:.1}dB,alimiter=limit=0.891:attack={:.1}:release={:.0}:level=false",
                rng.range(1.0, 8.0),
                rng.range(20.0, 200.0)
            ));
            d.push(format!("lim{drive:.0}"));
        }
    }
    let (side, delay) = plan.width;
    f.push(format!("stereotools=slev={side:.2}:delay={delay:.2}"));
    d.push(format!("width{side:.1}"));
    f.push("pan=mono|c0=0.5*c0+0.5*c1".into());
    f.push("aresample=resampler=soxr:osr=22050".into());
    (f.join(","), d)
}

#[cfg(test)]
mod tests {
    use super::super::production::plan_production;
    use super::*;

    #[test]
    fn the_chain_ends_in_mono_at_the_corpus_rate() {
        for seed in 0..200 {
            let p = plan_production("pop", "x", &mut Rng::new(seed));
            let (f, d) = filter(&p.master, &mut Rng::new(seed));
            assert!(f.ends_with("pan=mono|c0=0.5*c0+0.5*c1,aresample=resampler=soxr:osr=22050"));
            assert_eq!(
                p.master.limit_db.is_some(),
                f.contains("alimiter") || f.contains("dpl#stereo")
            );
            assert!(d.iter().all(|t| !t.contains(',') && !t.contains(';')));
        }
    }

    /// Needs ffmpeg: every drawn chain runs, and limited pop comes out with a
    /// lower crest factor than unlimited classical.
    #[test]
    #[ignore]
    fn chains_run_in_ffmpeg() {
        use super::super::render::{read_wav, write_wav};
        let dir = std::env::temp_dir().join(format!("xtask-master-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut r = Rng::new(1);
        let x: Vec<f32> = (0..88_200)
            .map(|i| {
                let t = i as f64 / 44_100.0;
                let beat = (t * 2.0).fract() < 0.05;
                ((if beat { 0.8 } else { 0.05 }) * r.normal() * 0.3) as f32
            })
            .collect();
        let stereo: Vec<f32> = x.iter().flat_map(|&v| [v, v]).collect();
        let inp = dir.join("in.wav");
        write_wav(&inp, 44_100, 2, &stereo).unwrap();
        for label in ["pop", "classical", "metal", "jazz"] {
            for seed in 0..6 {
                let p = plan_production(label, "x", &mut Rng::new(seed));
                let (f, _) = filter(&p.master, &mut Rng::new(seed));
                let out = dir.join("out.wav");
                super::super::amp::run_ffmpeg(&f, &inp, &out)
                    .unwrap_or_else(|e| panic!("{label} {seed}: {e:#}"));
                let (sr, ch, y) = read_wav(&out).unwrap();
                assert_eq!((sr, ch), (22_050, 1));
                assert!((y.len() as i64 - 44_100).abs() < 64, "{}", y.len());
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
