//! The delivery chain: the music corpus's own chain after the mix, drawn as
//! it would be for a song of a random genre, so that no treatment tells music
//! from non-music. Then level, noise floor, exact length and a 16-bit file.
//!
//! A music song goes: vinyl hiss (sometimes), a room by convolution, the mix
//! normalised to [`MIX_RMS_DB`], the ffmpeg master ([`master::filter`]: EQ
//! tilt, bus or multiband compression, saturation, a limiter driven to the
//! genre's loudness, width, mono fold-down, 22 050 Hz), an MP3 round trip
//! (sometimes), level, hiss and crackle. A non-music clip takes the same
//! steps with the same code: the generated mono clip is resampled to
//! 44.1 kHz and duplicated to stereo, then a [`MasterPlan`] is drawn for a
//! genre and template picked as often as the music corpus has them
//! (genres equally, held-out templates at the `test_template` share), so
//! every treatment comes at its mean rate over the music.
//!
//! What stays non-music's own comes before the chain, in the kinds: the
//! telephone band, rooms and halls of the speech settings, the radio
//! compressor.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::dsp::{Colour, SR, add_at, db, noise, peak, rms, secs};
use crate::corpus::drums::{SONIC_PI_DIR, load_sample};
use crate::corpus::ir;
use crate::corpus::master::{self, MIX_RMS_DB};
use crate::corpus::plan::{LABELS, TEMPLATES, split_counts};
use crate::corpus::production::{MasterPlan, draw_master};
use crate::corpus::render::{add_room, mp3_round_trip, read_wav, write_wav};
use crate::corpus::rng::Rng;

/// Rate the music is mastered at (its mixes are 44.1 kHz stereo).
const MIX_SR: u32 = 44_100;

/// What the chain did and the level it left.
#[derive(Clone, Debug)]
pub struct Delivered {
    /// Compact description of the treatments.
    pub chain: String,
    /// Final RMS in dBFS.
    pub rms_db: f64,
}

/// The master a music song would get, drawn for one clip: the genre and
/// template whose rates it follows, and the plan.
#[derive(Clone, Debug)]
pub struct MusicMaster {
    /// Genre whose rates the plan follows.
    pub label: &'static str,
    /// Template (a few, like `lofi` and `dub`, have rates of their own).
    pub template: &'static str,
    /// The plan, as `corpus` draws it for that genre and template.
    pub plan: MasterPlan,
}

/// Share of every genre's songs the music corpus renders from its held-out
/// templates (its `test_template` split).
fn held_out_share() -> f64 {
    let n = 10_000;
    let (_, _, _, tt) = split_counts(n);
    tt as f64 / n as f64
}

/// Draws a master plan as the music corpus draws one for a song of a genre
/// picked at random (every genre has as many songs) and one of its
/// templates, held-out ones at their share: over many clips, every
/// treatment comes at its mean rate over the music's genres.
pub fn draw_music_master(rng: &mut Rng) -> MusicMaster {
    let label = *rng.pick(&LABELS);
    let held = rng.chance(held_out_share());
    let of_label = || TEMPLATES.iter().filter(move |t| t.label == label);
    let pool: Vec<&'static str> = of_label()
        .filter(|t| t.held_out == held)
        .map(|t| t.name)
        .collect();
    let pool = if pool.is_empty() {
        of_label().map(|t| t.name).collect()
    } else {
        pool
    };
    let template = *rng.pick(&pool);
    let plan = draw_master(label, template, &mut rng.fork("master"));
    MusicMaster {
        label,
        template,
        plan,
    }
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

/// One ffmpeg filter pass to 32-bit float WAV.
fn ffmpeg(filter: &str, input: &Path, output: &Path) -> Result<()> {
    run(
        Command::new("ffmpeg")
            .args(["-v", "error", "-nostdin", "-y", "-i"])
            .arg(input)
            .args(["-af", filter, "-c:a", "pcm_f32le"])
            .arg(output),
        &format!("ffmpeg -af {filter}"),
    )
}

fn stereo_rms(x: &[Vec<f32>; 2]) -> f64 {
    ((rms(&x[0]).powi(2) + rms(&x[1]).powi(2)) / 2.0).sqrt()
}

/// Runs the chain on `x` (22 050 Hz mono, holding `pre` samples of pre-roll
/// before the clip) and writes exactly `n` samples to `out` as 16-bit PCM.
/// `quiet` clips are levelled to −50…−36 dBFS instead of −28…−8.
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
    let mm = draw_music_master(&mut rng.fork("plan"));
    let m = &mm.plan;
    let mut desc = vec![format!("rates={}/{}", mm.label, mm.template)];

    // 1. the mix: 44.1 kHz stereo, as the music's stems are mixed
    let src = work.join("gen.wav");
    let up = work.join("up.wav");
    write_wav(&src, SR, 1, x)?;
    ffmpeg(&format!("aresample=resampler=soxr:osr={MIX_SR}"), &src, &up)?;
    let (sr, ch, y) = read_wav(&up)?;
    if sr != MIX_SR || ch != 1 {
        bail!("unexpected resampled audio {sr} Hz × {ch}");
    }
    let mut mix = [y.clone(), y];
    let len = mix[0].len();

    // 2. vinyl hiss and room, as `corpus/render.rs` adds them to the mix
    if let Some(vdb) = m.vinyl_db {
        let hiss = load_sample(&Path::new(SONIC_PI_DIR).join("vinyl_hiss.flac"))?;
        let h = [
            (0..len)
                .map(|i| hiss.l[i % hiss.l.len()])
                .collect::<Vec<f32>>(),
            (0..len).map(|i| hiss.r[i % hiss.r.len()]).collect(),
        ];
        let g = stereo_rms(&mix) * db(vdb) / stereo_rms(&h).max(1e-9);
        for (c, hc) in mix.iter_mut().zip(&h) {
            add_at(c, hc, 0, g);
        }
        desc.push(format!("vinyl{vdb:.0}"));
    }
    if let Some((kind, wet_db)) = m.room {
        let irr = ir::room(kind, &mut rng.fork("room"));
        add_room(&mut mix, &irr, wet_db);
        desc.push(format!("room={}{:.1}s{wet_db:.0}", kind.name(), irr.rt60_s));
    } else {
        desc.push("room=dry".into());
    }
    let level = stereo_rms(&mix);
    if level < 1e-6 {
        bail!("clip is silent before the master (rms {level:.2e})");
    }
    let g = db(MIX_RMS_DB) / level;
    for v in mix.iter_mut().flatten() {
        *v = (f64::from(*v) * g) as f32;
    }

    // 3. the music's master chain → mono 22 050 Hz
    let (filter, tokens) = master::filter(m, &mut rng.fork("master"));
    desc.push(format!("master={}", tokens.join("+")));
    let mix_path = work.join("mix.wav");
    let proc_path = work.join("proc.wav");
    let interleaved: Vec<f32> = mix[0]
        .iter()
        .zip(&mix[1])
        .flat_map(|(&l, &r)| [l, r])
        .collect();
    drop(mix);
    write_wav(&mix_path, MIX_SR, 2, &interleaved)?;
    drop(interleaved);
    ffmpeg(&filter, &mix_path, &proc_path)?;

    // 4. codec round trip
    let mut final_in = proc_path.clone();
    if let Some(kbps) = m.mp3 {
        final_in = mp3_round_trip(&proc_path, kbps, work)?;
        desc.push(format!("mp3@{kbps}"));
    }

    // 5. exact length, level, hiss, crackle, floor, 16-bit
    let (sr, ch, mut y) = read_wav(&final_in)?;
    if sr != SR || ch != 1 {
        bail!("unexpected processed audio {sr} Hz × {ch}");
    }
    if y.len() < pre + n - n / 50 {
        bail!(
            "processed audio too short: {} of {} samples",
            y.len(),
            pre + n
        );
    }
    y.drain(..pre.min(y.len()));
    y.resize(n, 0.0);
    finish(&mut y, quiet, m.noise, m.crackle, rng, &mut desc)?;
    write_pcm16(&y, rng, out)?;
    let rms_db = 20.0 * rms(&y).max(1e-9).log10();
    Ok(Delivered {
        chain: desc.join(";"),
        rms_db,
    })
}

/// Level, the plan's hiss and crackle (as the music corpus makes them), and
/// a floor for the analyzer's gate.
fn finish(
    y: &mut [f32],
    quiet: bool,
    hiss: Option<(f64, f64)>,
    crackle: bool,
    rng: &mut Rng,
    desc: &mut Vec<String>,
) -> Result<()> {
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
    if let Some((ndb, tilt)) = hiss {
        // white → darker hiss through a one-pole low-pass
        let amp = db(ndb) as f32 * 1.7;
        let tilt = tilt as f32;
        let mut lp = 0.0f32;
        let mut nr = rng.fork("noise");
        for v in y.iter_mut() {
            let w = (nr.f64() as f32 - 0.5) * amp;
            lp = tilt * lp + (1.0 - tilt) * w;
            *v += lp;
        }
        desc.push(format!("noise{ndb:.0}"));
    }
    if crackle {
        let mut cr = rng.fork("crackle");
        let per_s = cr.range(3.0, 25.0);
        let amp = db(cr.range(-40.0, -22.0)) as f32;
        for i in 0..y.len() {
            if cr.chance(per_s / f64::from(SR)) {
                let a = amp * (cr.f64() as f32 * 2.0 - 1.0);
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
    Ok(())
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

    fn share<T>(v: &[T], f: impl Fn(&T) -> bool) -> f64 {
        v.iter().filter(|x| f(x)).count() as f64 / v.len() as f64
    }

    #[test]
    fn masters_come_at_the_music_corpus_mean_rates() {
        let drawn: Vec<MusicMaster> = (0..6000)
            .map(|s| draw_music_master(&mut Rng::new(s)))
            .collect();
        // every genre equally, held-out templates at the test_template share
        for l in LABELS {
            let r = share(&drawn, |m| m.label == l);
            assert!((r - 0.1).abs() < 0.02, "{l}: {r}");
        }
        let held = share(&drawn, |m| {
            TEMPLATES
                .iter()
                .any(|t| t.name == m.template && t.label == m.label && t.held_out)
        });
        assert!((held - 0.15).abs() < 0.02, "held-out templates {held}");
        assert!(drawn.iter().any(|m| m.template == "lofi"));
        assert!(drawn.iter().any(|m| m.template == "dub"));
        // each treatment at the mean of the music's per-genre rates
        let music: Vec<Vec<MasterPlan>> = LABELS
            .iter()
            .map(|l| {
                (0..1500)
                    .map(|s| draw_master(l, "x", &mut Rng::new(s * 31 + 7)))
                    .collect()
            })
            .collect();
        type Test = fn(&MasterPlan) -> bool;
        let tests: [(&str, Test); 7] = [
            ("limiter", |p| p.limit_db.is_some()),
            ("multiband", |p| {
                p.comp == crate::corpus::production::BusComp::Multiband
            }),
            ("saturation", |p| p.sat.is_some()),
            ("room", |p| p.room.is_some()),
            ("mp3", |p| p.mp3.is_some()),
            ("hiss", |p| p.noise.is_some()),
            ("low-pass", |p| p.lp_hz.is_some()),
        ];
        for (what, f) in tests {
            let mean = music.iter().map(|v| share(v, f)).sum::<f64>() / LABELS.len() as f64;
            let got = share(&drawn, |m| f(&m.plan));
            assert!((got - mean).abs() < 0.025, "{what}: {got} vs music {mean}");
        }
        // the limiter's drive follows the genre: loud genres' clips hit it harder
        let drive = |loud: bool| {
            let v: Vec<f64> = drawn
                .iter()
                .filter(|m| crate::corpus::production::loud(m.label) == loud)
                .filter_map(|m| m.plan.limit_db)
                .collect();
            v.iter().sum::<f64>() / v.len() as f64
        };
        assert!(drive(true) > drive(false) + 3.0);
    }

    #[test]
    fn the_master_draw_is_a_function_of_the_seed() {
        let a = draw_music_master(&mut Rng::new(9));
        let b = draw_music_master(&mut Rng::new(9));
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        let differ = (10..20)
            .any(|s| format!("{:?}", draw_music_master(&mut Rng::new(s))) != format!("{a:?}"));
        assert!(differ);
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
        finish(&mut y, false, None, false, &mut Rng::new(2), &mut desc).unwrap();
        assert!(desc.iter().any(|d| d.starts_with("floor")), "{desc:?}");
        let quietest = y.chunks(2048).map(rms).fold(f64::INFINITY, f64::min);
        assert!(20.0 * quietest.log10() > -58.0, "{quietest}");
        assert!(peak(&y) <= 0.99);
        // Quiet clips land at −50…−36 dBFS.
        let mut q: Vec<f32> = noise(Colour::Pink, secs(2.0), &mut Rng::new(1));
        finish(&mut q, true, None, false, &mut Rng::new(3), &mut Vec::new()).unwrap();
        let l = 20.0 * rms(&q).log10();
        assert!((-51.0..-35.0).contains(&l), "{l}");
        let silent = finish(
            &mut [0.0; 100],
            false,
            None,
            false,
            &mut Rng::new(1),
            &mut Vec::new(),
        );
        assert!(silent.is_err());
    }

    #[test]
    fn finish_adds_the_plans_hiss_and_crackle() {
        let tone: Vec<f32> = (0..secs(3.0))
            .map(|i| (i as f32 * 0.05).sin() * 0.3)
            .collect();
        // the same seed draws the same level: the differences are the hiss
        // and the crackle
        let run = |hiss: Option<(f64, f64)>, crackle: bool| {
            let mut y = tone.clone();
            let mut desc = Vec::new();
            finish(&mut y, false, hiss, crackle, &mut Rng::new(4), &mut desc).unwrap();
            (y, desc)
        };
        let (clean, desc) = run(None, false);
        assert!(desc.is_empty(), "{desc:?}");
        let diff = |y: &[f32]| -> Vec<f32> { y.iter().zip(&clean).map(|(a, b)| a - b).collect() };
        // hiss at −50 dB: uniform white noise, 1.7 × 10^(−50/20) peak to peak
        let (hissed, desc) = run(Some((-50.0, 0.0)), false);
        assert_eq!(desc, ["noise-50"]);
        let h = 20.0 * rms(&diff(&hissed)).log10();
        assert!((-57.5..-54.5).contains(&h), "hiss at {h} dB");
        // crackle: sparse clicks, a few per second
        let (crackled, desc) = run(None, true);
        assert_eq!(desc, ["crackle"]);
        let d = diff(&crackled);
        let touched = d.iter().filter(|v| v.abs() > 1e-6).count() as f64 / d.len() as f64;
        assert!((0.0005..0.05).contains(&touched), "{touched}");
        assert!(peak(&d) > db(-46.0), "{}", peak(&d));
    }

    /// Needs ffmpeg, the Calf and x42 LV2 plugins and Sonic Pi's samples:
    /// `cargo test -p xtask -- --ignored`.
    #[test]
    #[ignore]
    fn deliver_masters_like_the_music_and_writes_exact_16_bit_clips() {
        let dir = std::env::temp_dir().join(format!("xtask-nonmusic-chain-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (pre, post) = padding();
        let n = secs(3.0);
        let x = noise(Colour::Pink, pre + n + post, &mut Rng::new(1));
        let (mut limited, mut unlimited) = (0, 0);
        for seed in 0..12 {
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
            // the manifest's chain names the music master the clip got
            let m = draw_music_master(&mut Rng::new(seed).fork("plan"));
            let t: Vec<&str> = d.chain.split(';').collect();
            assert_eq!(t[0], format!("rates={}/{}", m.label, m.template));
            assert!(t.iter().any(|s| s.starts_with("room=")), "{}", d.chain);
            let master = t.iter().find(|s| s.starts_with("master=hp")).unwrap();
            let lim = master.contains("+lim") || master.contains("+dpl");
            assert_eq!(lim, m.plan.limit_db.is_some(), "{}", d.chain);
            assert_eq!(d.chain.contains("mp3@"), m.plan.mp3.is_some());
            assert!(!d.chain.contains(','), "{}", d.chain);
            if lim {
                limited += 1;
            } else {
                unlimited += 1;
            }
        }
        assert!(limited > 0 && unlimited > 0, "{limited} {unlimited}");
        // the same seed gives the same file
        let (a, b) = (dir.join("a.wav"), dir.join("b.wav"));
        deliver(&x, pre, n, false, &mut Rng::new(3), &dir.join("w"), &a).unwrap();
        deliver(&x, pre, n, false, &mut Rng::new(3), &dir.join("w"), &b).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
