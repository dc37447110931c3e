//! The delivery chain: the same treatments the music corpus gets
//! (corpus/render.rs), at the rates averaged over its genres, so that no
//! treatment tells music from non-music. Then level, noise floor, exact
//! length and a 16-bit file.
//!
//! Like the music, the clip passes sox at 44 100 Hz and comes back through
//! `rate -v 22050`, so both share the resampler's band edge near 10.5 kHz.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::dsp::{Colour, SR, add_at, db, noise, peak, rms, secs};
use crate::corpus::rng::Rng;

/// Per-treatment rates: the mean of the music corpus's per-genre rates.
struct Rates {
    lowpass: f64,
    thin: f64,
    eq: f64,
    overdrive: f64,
    limit: f64,
    comp: f64,
    reverb: f64,
    hall: f64,
    mp3: f64,
    noise: f64,
    crackle: f64,
}

const RATES: Rates = Rates {
    lowpass: 0.11,
    thin: 0.3,
    eq: 0.3,
    overdrive: 0.09,
    limit: 0.3,
    comp: 0.3,
    reverb: 0.58,
    hall: 0.2,
    mp3: 0.2,
    noise: 0.21,
    crackle: 0.06,
};

/// What the chain did and the level it left.
#[derive(Clone, Debug)]
pub struct Delivered {
    /// Compact description of the treatments.
    pub chain: String,
    /// Final RMS in dBFS.
    pub rms_db: f64,
}

fn run(cmd: &mut Command, what: &str) -> Result<()> {
    let out = cmd.output().with_context(|| format!("running {what}"))?;
    if !out.status.success() {
        bail!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

fn write_f32(path: &Path, x: &[f32]) -> Result<()> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: SR,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec)
        .with_context(|| format!("creating {}", path.display()))?;
    for &s in x {
        w.write_sample(s)?;
    }
    w.finalize()?;
    Ok(())
}

fn read_f32(path: &Path) -> Result<Vec<f32>> {
    let mut r =
        hound::WavReader::open(path).with_context(|| format!("reading {}", path.display()))?;
    let spec = r.spec();
    if spec.sample_rate != SR || spec.channels != 1 {
        bail!(
            "{}: {} Hz × {}, expected {SR} Hz mono",
            path.display(),
            spec.sample_rate,
            spec.channels
        );
    }
    Ok(match spec.sample_format {
        hound::SampleFormat::Float => r.samples::<f32>().collect::<Result<_, _>>()?,
        hound::SampleFormat::Int => {
            let scale = (1i64 << (spec.bits_per_sample - 1)) as f32;
            r.samples::<i32>()
                .map(|s| s.map(|v| v as f32 / scale))
                .collect::<Result<_, _>>()?
        }
    })
}

/// The sox effect list and its description (pure, so it can be tested).
fn sox_effects(rng: &mut Rng) -> (Vec<String>, Vec<String>) {
    let r = &RATES;
    let s = |x: &str| x.to_string();
    let mut fx: Vec<String> = vec![s("rate"), s("-v"), s("44100")];
    let mut desc: Vec<String> = Vec::new();
    let hp = rng.range(20.0, 90.0).round();
    fx.extend([s("highpass"), format!("{hp}")]);
    desc.push(format!("hp{hp}"));
    if rng.chance(r.lowpass) {
        let lp = rng.range(3500.0, 8000.0).round();
        fx.extend([s("lowpass"), format!("{lp}")]);
        desc.push(format!("lp{lp}"));
        if rng.chance(r.thin) {
            fx.extend([s("highpass"), s("250")]);
            desc.push(s("thin"));
        }
    }
    let bass = rng.range(-5.0, 6.0);
    let treble = rng.range(-6.0, 5.0);
    fx.extend([
        s("bass"),
        format!("{bass:.1}"),
        s("treble"),
        format!("{treble:.1}"),
    ]);
    desc.push(format!("bass{bass:+.0}"));
    desc.push(format!("treble{treble:+.0}"));
    if rng.chance(r.eq) {
        let f = rng.range(300.0, 3000.0).round();
        let g = rng.range(-4.0, 4.0);
        fx.extend([s("equalizer"), format!("{f}"), s("1q"), format!("{g:.1}")]);
        desc.push(format!("eq{f}{g:+.0}"));
    }
    if rng.chance(r.overdrive) {
        let g = rng.range(4.0, 18.0).round();
        fx.extend([
            s("gain"),
            s("-n"),
            s("-6"),
            s("overdrive"),
            format!("{g}"),
            s("20"),
        ]);
        desc.push(format!("od{g}"));
    }
    if rng.chance(r.limit) {
        fx.extend(
            [
                "gain",
                "-n",
                "-6",
                "compand",
                "0.002,0.08",
                "2:-80,-80,-30,-22,-18,-12,-8,-8,0,-6",
                "0",
                "-20",
                "0.005",
            ]
            .map(s),
        );
        desc.push(s("limit"));
    } else if rng.chance(r.comp) {
        fx.extend(
            [
                "gain",
                "-n",
                "-6",
                "compand",
                "0.02,0.3",
                "6:-80,-80,-40,-36,-20,-24,0,-14",
                "0",
                "-20",
                "0.02",
            ]
            .map(s),
        );
        desc.push(s("comp"));
    }
    if rng.chance(r.reverb) {
        let hall = rng.chance(r.hall);
        let (rev, room, wet) = if hall {
            (
                rng.range(60.0, 100.0),
                rng.range(80.0, 100.0),
                rng.range(-3.0, 2.0),
            )
        } else {
            (
                rng.range(10.0, 60.0),
                rng.range(20.0, 80.0),
                rng.range(-8.0, -1.0),
            )
        };
        fx.extend([
            s("reverb"),
            format!("{rev:.0}"),
            s("50"),
            format!("{room:.0}"),
            s("100"),
            format!("{:.0}", rng.range(0.0, 40.0)),
            format!("{wet:.1}"),
        ]);
        desc.push(format!("{}{rev:.0}", if hall { "hall" } else { "rev" }));
    }
    fx.extend([s("rate"), s("-v"), s("22050"), s("gain"), s("-n"), s("-3")]);
    (fx, desc)
}

/// Runs the chain on `x` (which holds `pre` samples of pre-roll before the
/// clip) and writes exactly `n` samples to `out` as 16-bit PCM. `quiet`
/// clips are levelled to −50…−36 dBFS instead of −28…−8.
pub fn deliver(
    x: &[f32],
    pre: usize,
    n: usize,
    quiet: bool,
    rng: &mut Rng,
    work: &Path,
    out: &Path,
) -> Result<Delivered> {
    std::fs::create_dir_all(work)?;
    let src = work.join("gen.wav");
    write_f32(&src, x)?;
    let (fx, mut desc) = sox_effects(rng);
    let proc_path = work.join("proc.wav");
    run(
        Command::new("sox")
            .arg("-q")
            .arg(&src)
            .args(["-e", "floating-point", "-b", "32", "-c", "1"])
            .arg(&proc_path)
            .args(&fx),
        "sox",
    )?;
    let mut final_in = proc_path.clone();
    if rng.chance(RATES.mp3) {
        let kbps = *rng.pick(&[64, 96, 128, 160, 192]);
        let mp3 = work.join("rt.mp3");
        let back = work.join("rt.wav");
        run(
            Command::new("ffmpeg")
                .args(["-v", "error", "-y", "-i"])
                .arg(&proc_path)
                .args(["-c:a", "libmp3lame", "-b:a", &format!("{kbps}k")])
                .arg(&mp3),
            "ffmpeg (encode)",
        )?;
        run(
            Command::new("ffmpeg")
                .args(["-v", "error", "-y", "-i"])
                .arg(&mp3)
                .args(["-ar", "22050", "-ac", "1", "-c:a", "pcm_f32le"])
                .arg(&back),
            "ffmpeg (decode)",
        )?;
        desc.push(format!("mp3@{kbps}"));
        final_in = back;
    }
    let mut y = read_f32(&final_in)?;
    if y.len() < pre + n - n / 50 {
        bail!(
            "processed audio too short: {} of {} samples",
            y.len(),
            pre + n
        );
    }
    y.drain(..pre.min(y.len()));
    y.resize(n, 0.0);
    let chain = finish(&mut y, quiet, rng, &mut desc)?;
    write_pcm16(&y, rng, out)?;
    let rms_db = 20.0 * rms(&y).max(1e-9).log10();
    Ok(Delivered { chain, rms_db })
}

/// Level, optional noise and crackle, and a floor for the analyzer's gate.
fn finish(y: &mut [f32], quiet: bool, rng: &mut Rng, desc: &mut Vec<String>) -> Result<String> {
    let level = rms(y);
    if level < 1e-6 {
        bail!("clip is silent after the chain (rms {level:.2e})");
    }
    let target_db = if quiet {
        rng.range(-50.0, -36.0)
    } else {
        -18.0 + rng.range(-10.0, 10.0)
    };
    let gain = (db(target_db) / level).min(0.97 / peak(y));
    for v in y.iter_mut() {
        *v = (f64::from(*v) * gain) as f32;
    }
    if rng.chance(RATES.noise) {
        let ndb = rng.range(-72.0, -50.0);
        let mut h = noise(Colour::White, y.len(), rng);
        let tilt = rng.range(0.0, 0.9) as f32;
        let mut lp = 0.0f32;
        for v in &mut h {
            lp = tilt * lp + (1.0 - tilt) * *v;
            *v = lp;
        }
        let hr = rms(&h).max(1e-9);
        add_at(y, &h, 0, db(ndb) / hr);
        desc.push(format!("noise{ndb:.0}"));
    }
    if rng.chance(RATES.crackle) {
        let per_s = rng.range(3.0, 25.0);
        let amp = db(rng.range(-40.0, -22.0)) as f32;
        for i in 0..y.len() {
            if rng.chance(per_s / f64::from(SR)) {
                let a = amp * (rng.f64() as f32 * 2.0 - 1.0);
                for (k, v) in y.iter_mut().skip(i).take(12).enumerate() {
                    *v += a * (1.0 - k as f32 / 12.0);
                }
            }
        }
        desc.push("crackle".into());
    }
    // The analyzer skips windows whose edges sit below −60 dBFS: make sure
    // no 2048-sample frame does, with a pink floor where needed.
    let quietest = y
        .chunks(2048)
        .filter(|c| c.len() == 2048)
        .map(rms)
        .fold(f64::INFINITY, f64::min);
    if quietest < db(-56.0) {
        let fdb = rng.range(-54.0, -48.0);
        let f = noise(Colour::Pink, y.len(), rng);
        add_at(y, &f, 0, db(fdb));
        desc.push(format!("floor{fdb:.0}"));
    }
    let pk = peak(y);
    if pk > 0.99 {
        let g = 0.97 / pk;
        y.iter_mut().for_each(|v| *v = (f64::from(*v) * g) as f32);
    }
    Ok(desc.join(";"))
}

/// TPDF-dithered 16-bit mono at 22 050 Hz, written atomically.
fn write_pcm16(y: &[f32], rng: &mut Rng, out: &Path) -> Result<()> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: SR,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let tmp = out.with_extension("wav.part");
    let mut w = hound::WavWriter::create(&tmp, spec)
        .with_context(|| format!("creating {}", tmp.display()))?;
    for &v in y {
        let d = (rng.f64() - rng.f64()) as f32 / 32768.0;
        let q = ((v + d) * 32767.0).round().clamp(-32767.0, 32767.0);
        w.write_sample(q as i16)?;
    }
    w.finalize()?;
    std::fs::rename(&tmp, out)?;
    Ok(())
}

/// Samples of pre-roll generated before the clip so filters and reverbs
/// have settled, and of tail after it.
pub fn padding() -> (usize, usize) {
    (secs(0.5), secs(0.5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effects_always_resample_round_trip() {
        for seed in 0..50 {
            let (fx, desc) = sox_effects(&mut Rng::new(seed));
            assert_eq!(&fx[..3], ["rate", "-v", "44100"]);
            let tail = &fx[fx.len() - 6..];
            assert_eq!(tail, ["rate", "-v", "22050", "gain", "-n", "-3"]);
            assert!(desc[0].starts_with("hp"));
            assert!(desc.iter().all(|d| !d.contains(',')), "{desc:?}");
        }
    }

    #[test]
    fn treatments_come_at_their_rates() {
        let mut rev = 0;
        let mut limit = 0;
        for seed in 0..2000 {
            let (_, desc) = sox_effects(&mut Rng::new(seed));
            rev += usize::from(
                desc.iter()
                    .any(|d| d.starts_with("rev") || d.starts_with("hall")),
            );
            limit += usize::from(desc.iter().any(|d| d == "limit"));
        }
        let (rev, limit) = (rev as f64 / 2000.0, limit as f64 / 2000.0);
        assert!(
            (RATES.reverb - 0.04..RATES.reverb + 0.04).contains(&rev),
            "{rev}"
        );
        assert!(
            (RATES.limit - 0.04..RATES.limit + 0.04).contains(&limit),
            "{limit}"
        );
    }

    #[test]
    fn finish_levels_and_keeps_a_floor() {
        // A burst in digital silence: levelled, and the silence lifted
        // above the analyzer's −60 dBFS gate.
        let mut y = vec![0.0f32; secs(4.0)];
        for v in &mut y[secs(1.0)..secs(1.2)] {
            *v = 0.5;
        }
        let mut desc = Vec::new();
        let chain = finish(&mut y, false, &mut Rng::new(2), &mut desc).unwrap();
        assert!(chain.contains("floor"), "{chain}");
        let quietest = y.chunks(2048).map(rms).fold(f64::INFINITY, f64::min);
        assert!(20.0 * quietest.log10() > -58.0, "{quietest}");
        assert!(peak(&y) <= 0.99);
        // Quiet clips land at −50…−36 dBFS.
        let mut q: Vec<f32> = noise(Colour::Pink, secs(2.0), &mut Rng::new(1));
        finish(&mut q, true, &mut Rng::new(3), &mut Vec::new()).unwrap();
        let l = 20.0 * rms(&q).log10();
        assert!((-51.0..-35.0).contains(&l), "{l}");
        assert!(finish(&mut [0.0; 100], false, &mut Rng::new(1), &mut Vec::new()).is_err());
    }

    /// Needs sox and ffmpeg: `cargo test -p xtask -- --ignored`.
    #[test]
    #[ignore]
    fn deliver_writes_exact_16_bit_clips() {
        let dir = std::env::temp_dir().join(format!("xtask-nonmusic-chain-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (pre, post) = padding();
        let n = secs(3.0);
        let x = noise(Colour::Pink, pre + n + post, &mut Rng::new(1));
        for seed in 0..8 {
            let out = dir.join(format!("c{seed}.wav"));
            let d = deliver(&x, pre, n, false, &mut Rng::new(seed), &dir.join("w"), &out).unwrap();
            let r = hound::WavReader::open(&out).unwrap();
            let spec = r.spec();
            assert_eq!(
                (spec.sample_rate, spec.channels, spec.bits_per_sample),
                (22_050, 1, 16)
            );
            assert_eq!(r.duration() as usize, n, "{}", d.chain);
            assert!(
                (-29.0..-7.0).contains(&d.rms_db),
                "{} {}",
                d.rms_db,
                d.chain
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
