//! Rendering and production: FluidSynth → speech mix → sox chain → optional
//! MP3 round trip → level, noise floor and 16-bit output.
//!
//! Every treatment is available to every genre; only the rates differ by
//! genre (a treatment used by one genre alone becomes a shortcut the model
//! learns instead of the music).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::compose::compose;
use super::plan::SongPlan;
use super::rng::Rng;
use super::speech;

/// Installed resources the renderer needs.
#[derive(Clone, Debug)]
pub struct Resources {
    /// FluidR3_GM.sf2.
    pub fluid_gm: PathBuf,
    /// FluidR3_GS.sf2 (GS kits/variations, layered over GM).
    pub fluid_gs: PathBuf,
    /// csound-soundfont's GM bank.
    pub csound: PathBuf,
}

/// What the manifest records about a rendered song beyond its plan.
#[derive(Clone, Debug)]
pub struct Rendered {
    /// Vocal layer kind.
    pub vocal: &'static str,
    /// Offset of the clip in the rendered song, seconds.
    pub offset: f64,
    /// Compact description of the production chain.
    pub chain: String,
    /// Final RMS level in dBFS.
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

/// Per-genre rates of each treatment (all > 0 for every genre).
struct Rates {
    lowpass: f64,
    comp: f64,
    limit: f64,
    reverb: f64,
    hall: f64,
    overdrive: f64,
    noise: f64,
    crackle: f64,
    mp3: f64,
}

fn rates(label: &str, template: &str) -> Rates {
    let loud = matches!(label, "pop" | "rock" | "metal" | "hiphop" | "disco");
    let mut r = Rates {
        lowpass: match label {
            "blues" | "jazz" => 0.22,
            "country" | "classical" | "reggae" => 0.12,
            _ => 0.05,
        },
        comp: if loud {
            0.35
        } else if matches!(label, "classical" | "jazz") {
            0.12
        } else {
            0.4
        },
        limit: if loud {
            0.55
        } else if matches!(label, "classical" | "jazz") {
            0.05
        } else {
            0.25
        },
        reverb: if label == "classical" { 0.9 } else { 0.55 },
        hall: match label {
            "classical" => 0.7,
            "jazz" | "blues" | "pop" | "reggae" => 0.15,
            _ => 0.08,
        },
        overdrive: match label {
            "metal" => 0.3,
            "rock" => 0.22,
            "blues" => 0.08,
            _ => 0.04,
        },
        noise: match label {
            "blues" | "jazz" => 0.35,
            "classical" | "country" | "reggae" => 0.25,
            _ => 0.15,
        },
        crackle: match label {
            "blues" | "jazz" => 0.15,
            "hiphop" | "reggae" => 0.1,
            _ => 0.03,
        },
        mp3: 0.2,
    };
    if template == "lofi" || template == "dub" {
        r.crackle = 0.5;
        r.lowpass = 0.4;
    }
    r
}

fn read_float_wav(path: &Path) -> Result<(u32, u16, Vec<f32>)> {
    let mut r =
        hound::WavReader::open(path).with_context(|| format!("reading {}", path.display()))?;
    let spec = r.spec();
    let data: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => r.samples::<f32>().collect::<Result<_, _>>()?,
        hound::SampleFormat::Int => {
            let scale = (1i64 << (spec.bits_per_sample - 1)) as f32;
            r.samples::<i32>()
                .map(|s| s.map(|v| v as f32 / scale))
                .collect::<Result<_, _>>()?
        }
    };
    Ok((spec.sample_rate, spec.channels, data))
}

fn write_float_wav(path: &Path, sr: u32, ch: u16, data: &[f32]) -> Result<()> {
    let spec = hound::WavSpec {
        channels: ch,
        sample_rate: sr,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec)?;
    for &s in data {
        w.write_sample(s)?;
    }
    w.finalize()?;
    Ok(())
}

fn rms(x: &[f32]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    (x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len() as f64).sqrt()
}

/// Renders one song into `out` (mono, 22 050 Hz, 16-bit, exactly `duration`
/// seconds) using `work` as scratch space.
pub fn render_song(
    plan: &SongPlan,
    res: &Resources,
    duration: f64,
    work: &Path,
    out: &Path,
) -> Result<Rendered> {
    std::fs::create_dir_all(work)?;
    let mut rng = Rng::new(plan.seed ^ 0x005E_ED0F_C4A1);
    let label = plan.label;
    let tpl = plan.tpl();
    // song long enough for a window taken from somewhere inside it
    let want = duration * rng.range(1.3, 2.0) + 4.0;
    let comp = compose(plan, want, work)?;

    // 1. synthesis
    let raw = work.join("raw.wav");
    let mut fs = Command::new("fluidsynth");
    fs.args(["-n", "-i", "-q", "-r", "44100", "-O", "float", "-T", "wav"]);
    fs.args(["-g", &format!("{:.2}", rng.range(0.35, 0.6))]);
    let internal_fx = rng.chance(0.7);
    fs.args(["-R", if internal_fx { "1" } else { "0" }]);
    fs.args(["-C", if rng.chance(0.5) { "1" } else { "0" }]);
    fs.args([
        "-o",
        &format!("synth.reverb.room-size={:.2}", rng.range(0.2, 0.9)),
    ]);
    fs.arg("-F").arg(&raw);
    match plan.soundfont {
        "csound-GMbank" => {
            fs.arg(&res.csound);
        }
        "FluidR3_GM+GS" => {
            fs.arg(&res.fluid_gm).arg(&res.fluid_gs);
        }
        _ => {
            fs.arg(&res.fluid_gm);
        }
    }
    fs.arg(work.join("song.mid"));
    run(&mut fs, "fluidsynth")?;
    let (sr, ch, mut audio) = read_float_wav(&raw)?;
    if ch != 2 || sr != 44_100 {
        bail!("unexpected fluidsynth output {sr} Hz × {ch}");
    }
    let frames = audio.len() / 2;
    let song_s = frames as f64 / 44_100.0;

    // 2. window: mostly from inside the song, sometimes from the top
    let pad = 1.0;
    let latest = (song_s.min(comp.seconds + 1.0) - duration - pad).max(0.0);
    let offset = if rng.chance(0.12) {
        0.0
    } else {
        rng.range(0.0, latest)
    };
    let offset = (offset * 100.0).round() / 100.0;

    // 3. speech layer, mixed relative to the music's level
    if let Some(sp) = &comp.speech {
        let voice = speech::render(sp, work, song_s)?;
        let music_rms = rms(&audio);
        let voiced: Vec<f32> = voice.iter().copied().filter(|v| v.abs() > 1e-4).collect();
        let v_rms = rms(&voiced);
        if v_rms > 0.0 {
            let rel = 10f64.powf(rng.range(-3.0, 3.0) / 20.0);
            let g = (music_rms * 1.6 * rel / v_rms) as f32;
            for (i, v) in voice.iter().enumerate() {
                if i < frames {
                    audio[2 * i] += v * g;
                    audio[2 * i + 1] += v * g;
                }
            }
        }
    }
    // pre-roll so filters, compressor and reverb are settled when the clip starts
    let pre = offset.min(0.5);
    let s0 = ((offset - pre) * 44_100.0) as usize;
    let s1 = ((offset + duration + pad) * 44_100.0) as usize;
    let mut seg: Vec<f32> = audio
        .get(2 * s0..(2 * s1).min(audio.len()))
        .unwrap_or(&[])
        .to_vec();
    seg.resize(2 * (s1 - s0), 0.0);
    let seg_path = work.join("seg.wav");
    write_float_wav(&seg_path, 44_100, 2, &seg)?;
    drop(audio);

    // 4. sox chain
    let r = rates(label, tpl.name);
    let mut fx: Vec<String> = Vec::new();
    let mut desc: Vec<String> = Vec::new();
    // fold to mono first: cheaper, and sox's compand misbehaves on stereo
    // with a look-ahead delay
    fx.extend(["remix".to_string(), "-".to_string()]);
    let mut e = |args: &[String], d: String, fx: &mut Vec<String>| {
        fx.extend(args.iter().cloned());
        desc.push(d);
    };
    let s = |x: &str| x.to_string();
    let hp = rng.range(20.0, 90.0).round();
    e(
        &[s("highpass"), format!("{hp}")],
        format!("hp{hp}"),
        &mut fx,
    );
    if rng.chance(r.lowpass) {
        let lp = rng.range(3500.0, 8000.0).round();
        e(&[s("lowpass"), format!("{lp}")], format!("lp{lp}"), &mut fx);
        if rng.chance(0.3) {
            e(&[s("highpass"), s("250")], s("thin"), &mut fx);
        }
    }
    let bass = rng.range(-5.0, 6.0);
    let treble = rng.range(-6.0, 5.0);
    e(
        &[s("bass"), format!("{bass:.1}")],
        format!("bass{bass:+.0}"),
        &mut fx,
    );
    e(
        &[s("treble"), format!("{treble:.1}")],
        format!("treble{treble:+.0}"),
        &mut fx,
    );
    if rng.chance(0.3) {
        let f = rng.range(300.0, 3000.0).round();
        let g = rng.range(-4.0, 4.0);
        e(
            &[s("equalizer"), format!("{f}"), s("1q"), format!("{g:.1}")],
            format!("eq{f}{g:+.0}"),
            &mut fx,
        );
    }
    if rng.chance(r.overdrive) {
        let g = rng.range(4.0, 18.0).round();
        e(
            &[
                s("gain"),
                s("-n"),
                s("-6"),
                s("overdrive"),
                format!("{g}"),
                s("20"),
            ],
            format!("od{g}"),
            &mut fx,
        );
    }
    if rng.chance(r.limit) {
        // fixed input level so the transfer curve means the same every time
        e(
            &[
                s("gain"),
                s("-n"),
                s("-6"),
                s("compand"),
                s("0.002,0.08"),
                s("2:-80,-80,-30,-22,-18,-12,-8,-8,0,-6"),
                s("0"),
                s("-20"),
                s("0.005"),
            ],
            s("limit"),
            &mut fx,
        );
    } else if rng.chance(r.comp) {
        e(
            &[
                s("gain"),
                s("-n"),
                s("-6"),
                s("compand"),
                s("0.02,0.3"),
                s("6:-80,-80,-40,-36,-20,-24,0,-14"),
                s("0"),
                s("-20"),
                s("0.02"),
            ],
            s("comp"),
            &mut fx,
        );
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
        e(
            &[
                s("reverb"),
                format!("{rev:.0}"),
                s("50"),
                format!("{room:.0}"),
                s("100"),
                format!("{:.0}", rng.range(0.0, 40.0)),
                format!("{wet:.1}"),
            ],
            format!("{}{rev:.0}", if hall { "hall" } else { "rev" }),
            &mut fx,
        );
    }
    fx.extend([s("rate"), s("-v"), s("22050"), s("gain"), s("-n"), s("-3")]);
    let proc_path = work.join("proc.wav");
    let mut sox = Command::new("sox");
    sox.arg("-q").arg(&seg_path);
    sox.args(["-e", "floating-point", "-b", "32", "-c", "1"])
        .arg(&proc_path);
    sox.args(&fx);
    run(&mut sox, "sox")?;

    // 5. codec variety
    let mut final_in = proc_path.clone();
    if rng.chance(r.mp3) {
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

    // 6. level, noise floor, exact length, 16-bit
    let (sr2, ch2, mut y) = read_float_wav(&final_in)?;
    if sr2 != 22_050 || ch2 != 1 {
        bail!("unexpected processed audio {sr2} Hz × {ch2}");
    }
    let n = (duration * 22_050.0).round() as usize;
    let skip = (pre * 22_050.0).round() as usize;
    if y.len() < skip + n - n / 50 {
        // a tool stopped early: never pad a failed render with silence
        bail!(
            "processed audio too short: {} of {} samples",
            y.len(),
            skip + n
        );
    }
    y.drain(..skip.min(y.len()));
    y.resize(n, 0.0);
    let level = rms(&y);
    if level < 1e-5 {
        bail!("rendered clip is silent (rms {level:.2e})");
    }
    let target_db = -18.0 + rng.range(-10.0, 10.0);
    let peak = y.iter().fold(0.0f32, |m, v| m.max(v.abs())) as f64;
    let mut gain = 10f64.powf(target_db / 20.0) / level;
    gain = gain.min(0.97 / peak); // never clip
    for v in &mut y {
        *v = (f64::from(*v) * gain) as f32;
    }
    if rng.chance(r.noise) {
        let ndb = rng.range(-72.0, -50.0);
        let amp = 10f64.powf(ndb / 20.0) as f32 * 1.7;
        let mut lp = 0.0f32;
        let tilt = rng.range(0.0, 0.9) as f32; // white → darker hiss/hum-ish
        for v in &mut y {
            let w = (rng.f64() as f32 - 0.5) * amp;
            lp = tilt * lp + (1.0 - tilt) * w;
            *v += lp;
        }
        desc.push(format!("noise{ndb:.0}"));
    }
    if rng.chance(r.crackle) {
        let per_s = rng.range(3.0, 25.0);
        let amp = 10f64.powf(rng.range(-40.0, -22.0) / 20.0) as f32;
        for i in 0..y.len() {
            if rng.chance(per_s / 22_050.0) {
                let a = amp * (rng.f64() as f32 * 2.0 - 1.0);
                for (k, v) in y.iter_mut().skip(i).take(12).enumerate() {
                    *v += a * (1.0 - k as f32 / 12.0);
                }
            }
        }
        desc.push(s("crackle"));
    }
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 22_050,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let tmp_out = out.with_extension("wav.part");
    let mut w = hound::WavWriter::create(&tmp_out, spec)?;
    let mut sq = 0.0f64;
    for &v in &y {
        // TPDF dither, hard limit at full scale after it (never wraps)
        let d = (rng.f64() - rng.f64()) as f32 / 32768.0;
        let q = ((v + d) * 32767.0).round().clamp(-32767.0, 32767.0);
        sq += f64::from(q / 32768.0).powi(2);
        w.write_sample(q as i16)?;
    }
    w.finalize()?;
    std::fs::rename(&tmp_out, out)?;
    let rms_db = 10.0 * (sq / y.len() as f64).max(1e-12).log10();
    Ok(Rendered {
        vocal: comp.vocal,
        offset,
        chain: desc.join(";"),
        rms_db,
    })
}
