//! Rendering and production of one song: stems (FluidSynth, our drum
//! sampler), stem treatment (amps and cabinets, drum bus, bass, rotary
//! organ), mix with speech, room, master chain, codec round trip, noise floor
//! and 16-bit output.
//!
//! Every treatment is available to every genre; only the rates differ by
//! genre (a treatment used by one genre alone becomes a shortcut the model
//! learns instead of the music). The chain of every song is written to the
//! manifest so the realism can be audited.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::amp::{self, Rig, Tone, calf, run_ffmpeg};
use super::arrange::Section;
use super::compose::compose;
use super::drums::{self, PERCUSSION_KIT, SONIC_PI_DIR};
use super::dsp::{self, Biquad, SR, Shape, convolve, db, rms};
use super::ir::{self, Room};
use super::master::{self, MIX_RMS_DB};
use super::midi;
use super::plan::SongPlan;
use super::production::{DrumSource, Production, plan_production};
use super::rng::Rng;
use super::speech;
use super::stems::{self, Stem, StemKind, SynthJob};

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
    /// The texture the song got.
    pub texture: &'static str,
    /// Drum kit (or "none").
    pub drums: String,
    /// Guitar tones of the clip's guitar stems ("none" without guitars).
    pub guitars: String,
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

/// Encodes `src` as MP3 at `kbps` and decodes it back to 22 050 Hz mono
/// float WAV in `work` (`rt.mp3`, `rt.wav`); returns the decoded file.
pub(crate) fn mp3_round_trip(src: &Path, kbps: u32, work: &Path) -> Result<PathBuf> {
    let mp3 = work.join("rt.mp3");
    let back = work.join("rt.wav");
    run(
        Command::new("ffmpeg")
            .args(["-v", "error", "-nostdin", "-y", "-i"])
            .arg(src)
            .args(["-c:a", "libmp3lame", "-b:a", &format!("{kbps}k")])
            .arg(&mp3),
        "ffmpeg (encode)",
    )?;
    run(
        Command::new("ffmpeg")
            .args(["-v", "error", "-nostdin", "-y", "-i"])
            .arg(&mp3)
            .args(["-ar", "22050", "-ac", "1", "-c:a", "pcm_f32le"])
            .arg(&back),
        "ffmpeg (decode)",
    )?;
    Ok(back)
}

/// Reads a WAV as floats: (rate, channels, interleaved samples).
pub fn read_wav(path: &Path) -> Result<(u32, u16, Vec<f32>)> {
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

/// Writes interleaved floats as a 32-bit float WAV.
pub fn write_wav(path: &Path, sr: u32, ch: u16, data: &[f32]) -> Result<()> {
    let spec = hound::WavSpec {
        channels: ch,
        sample_rate: sr,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec)
        .with_context(|| format!("writing {}", path.display()))?;
    for &s in data {
        w.write_sample(s)?;
    }
    w.finalize()?;
    Ok(())
}

/// A stereo buffer.
type Stereo = [Vec<f32>; 2];

fn interleave(x: &Stereo) -> Vec<f32> {
    x[0].iter().zip(&x[1]).flat_map(|(&l, &r)| [l, r]).collect()
}

fn mono(x: &Stereo) -> Vec<f32> {
    x[0].iter()
        .zip(&x[1])
        .map(|(&l, &r)| 0.5 * (l + r))
        .collect()
}

fn stereo_rms(x: &Stereo) -> f64 {
    ((rms(&x[0]).powi(2) + rms(&x[1]).powi(2)) / 2.0).sqrt()
}

fn add_into(acc: &mut Stereo, x: &Stereo, g: f64) {
    for c in 0..2 {
        for (a, &v) in acc[c].iter_mut().zip(&x[c]) {
            *a += (f64::from(v) * g) as f32;
        }
    }
}

fn pan_mono(x: &[f32], pan: f64) -> Stereo {
    let (l, r) = dsp::pan_gains(pan);
    [
        x.iter().map(|&v| (f64::from(v) * l) as f32).collect(),
        x.iter().map(|&v| (f64::from(v) * r) as f32).collect(),
    ]
}

/// Reads a FluidSynth stem and cuts `[start, start + len)` samples from it
/// (zero-padded: a stem may end early when its instrument stops).
fn read_stem(path: &Path, start: usize, len: usize) -> Result<Stereo> {
    let (sr, ch, data) = read_wav(path)?;
    if sr != 44_100 || ch != 2 {
        bail!("unexpected fluidsynth output {sr} Hz × {ch}");
    }
    let mut out: Stereo = [vec![0.0; len], vec![0.0; len]];
    let frames = data.chunks_exact(2).skip(start).take(len);
    for (i, f) in frames.enumerate() {
        out[0][i] = f[0];
        out[1][i] = f[1];
    }
    Ok(out)
}

/// Adds a room's reverb to a stereo buffer as a send: the mid signal through
/// the room's two decorrelated responses, `wet_db` below the dry level.
pub(crate) fn add_room(x: &mut Stereo, room: &ir::RoomIr, wet_db: f64) {
    let mid = mono(x);
    let dry = stereo_rms(x);
    for (ch, h) in x.iter_mut().zip(&room.channels) {
        let w = convolve(&mid, h);
        let g = db(wet_db) * dry / rms(&w).max(1e-9);
        for (a, &v) in ch.iter_mut().zip(&w) {
            *a += (f64::from(v) * g) as f32;
        }
    }
}

/// Runs a mono buffer through an ffmpeg chain and back, same length.
fn ffmpeg_mono(x: &[f32], filter: &str, work: &Path, tag: &str) -> Result<Vec<f32>> {
    let inp = work.join(format!("{tag}-in.wav"));
    let out = work.join(format!("{tag}-out.wav"));
    write_wav(&inp, 44_100, 1, x)?;
    run_ffmpeg(filter, &inp, &out)?;
    let (_, ch, y) = read_wav(&out)?;
    let ch = usize::from(ch.max(1));
    let mut y: Vec<f32> = y
        .chunks(ch)
        .map(|c| c.iter().sum::<f32>() / ch as f32)
        .collect();
    y.resize(x.len(), 0.0);
    Ok(y)
}

/// Runs a stereo buffer through an ffmpeg chain and back, same length.
fn ffmpeg_stereo(x: &Stereo, filter: &str, work: &Path, tag: &str) -> Result<Stereo> {
    let inp = work.join(format!("{tag}-in.wav"));
    let out = work.join(format!("{tag}-out.wav"));
    write_wav(&inp, 44_100, 2, &interleave(x))?;
    run_ffmpeg(filter, &inp, &out)?;
    let (_, ch, y) = read_wav(&out)?;
    if ch != 2 {
        bail!("{tag}: expected stereo from ffmpeg, got {ch} channels");
    }
    let n = x[0].len();
    let mut s: Stereo = [vec![0.0; n], vec![0.0; n]];
    for (i, f) in y.chunks_exact(2).take(n).enumerate() {
        s[0][i] = f[0];
        s[1][i] = f[1];
    }
    Ok(s)
}

/// Plays a rig over a DI at −20 dBFS RMS, through its cabinet.
fn play_rig(di: &[f32], rig: &Rig, work: &Path, tag: &str, rng: &mut Rng) -> Result<Vec<f32>> {
    let filter = format!("volume={:.1}dB,{}", rig.input_db, rig.filter);
    let mut y = ffmpeg_mono(di, &filter, work, tag)?;
    if let Some(cab) = rig.cab {
        let h = ir::cabinet(cab, rng);
        y = convolve(&y, &h);
    }
    Ok(y)
}

/// 1 where the section is driven (chorus, solo, outro), 0 where clean, with
/// 20 ms ramps; bar `b` starts at `b * bar_s - start_s` in the buffer.
fn drive_envelope(sections: &[Section], bar_s: f64, start_s: f64, len: usize) -> Vec<f32> {
    let mut env = vec![0.0f32; len];
    for (i, e) in env.iter_mut().enumerate() {
        let t = start_s + i as f64 / SR;
        let b = ((t / bar_s).floor().max(0.0) as usize).min(sections.len().saturating_sub(1));
        let driven = matches!(
            sections.get(b),
            Some(Section::Chorus | Section::Solo | Section::Outro)
        );
        *e = if driven { 1.0 } else { 0.0 };
    }
    // ramps
    let ramp = (0.02 * SR) as usize;
    let mut smoothed = env.clone();
    let mut acc = 0.0f32;
    for (i, v) in env.iter().enumerate() {
        acc += (v - acc) / ramp as f32;
        smoothed[i] = acc;
    }
    smoothed
}

/// Stage timings of one song, printed when `CORPUS_PROFILE` is set.
struct Profile {
    start: std::time::Instant,
    last: std::time::Instant,
    stages: Vec<(String, f64)>,
    levels: Vec<(String, f64)>,
}

impl Profile {
    fn new() -> Self {
        let now = std::time::Instant::now();
        Profile {
            start: now,
            last: now,
            stages: Vec::new(),
            levels: Vec::new(),
        }
    }
    fn mark(&mut self, stage: &str) {
        let now = std::time::Instant::now();
        self.stages
            .push((stage.to_string(), (now - self.last).as_secs_f64()));
        self.last = now;
    }
    fn report(&self, song: &str) {
        if std::env::var_os("CORPUS_PROFILE").is_some() {
            let parts: Vec<String> = self
                .stages
                .iter()
                .map(|(s, t)| format!("{s} {t:.2}"))
                .collect();
            let levels: Vec<String> = self
                .levels
                .iter()
                .map(|(s, l)| format!("{s} {l:.1}"))
                .collect();
            eprintln!(
                "profile {song}: total {:.2} s: {} | stem dBFS: {}",
                self.start.elapsed().as_secs_f64(),
                parts.join(", "),
                levels.join(", ")
            );
        }
    }
}

/// Everything about one song's render that the manifest needs.
struct Chain {
    tokens: Vec<String>,
    drums: String,
    guitars: Vec<&'static str>,
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
    let mut prof = Profile::new();
    let mut rng = Rng::new(plan.seed ^ 0x005E_ED0F_C4A1);
    let label = plan.label;
    let tpl = plan.tpl();
    let prod = plan_production(label, tpl.name, &mut rng.fork("production"));
    // song long enough for a window taken from somewhere inside it
    let want = duration * rng.range(1.3, 2.0) + 4.0;
    let comp = compose(plan, want, work)?;
    prof.mark("compose");

    // 1. the window: mostly from inside the song, sometimes from the top,
    // always around a drums-only stretch when there is one
    let pad = 1.0;
    let latest = (comp.seconds + 1.0 - duration - pad).max(0.0);
    let onsets: Vec<f64> = (0u8..16)
        .flat_map(|c| midi::channel_hits(&comp.tracks, c, comp.tempo, comp.ppq))
        .map(|h| h.0)
        .collect();
    // share of the window's 2-second bins where some note starts: a texture
    // that thins the band must not leave the clip on a silent intro
    let busy = |o: f64| {
        let bins = (duration / 2.0).ceil() as usize;
        let hit = (0..bins)
            .filter(|&k| {
                let t = o + 2.0 * k as f64;
                onsets.iter().any(|&x| x >= t && x < t + 2.0)
            })
            .count();
        hit as f64 / bins.max(1) as f64
    };
    let offset = match comp.focus {
        Some((a, b)) => {
            let lo = (b - duration + 0.5).max(0.0);
            let hi = (a - 0.5).max(lo);
            rng.range(lo, hi).min(latest)
        }
        None => {
            let mut best = (f64::MIN, 0.0);
            for k in 0..12 {
                let o = if k == 0 && rng.chance(0.12) {
                    0.0
                } else {
                    rng.range(0.0, latest)
                };
                let b = busy(o);
                if b > best.0 {
                    best = (b, o);
                }
                if b >= 0.75 {
                    break;
                }
            }
            best.1
        }
    };
    let offset = (offset * 100.0).round() / 100.0;
    // processing starts a little before the clip so filters, compressors and
    // rooms are settled; the MIDI starts earlier still so long notes ring in
    let p0 = (offset - 1.5).max(0.0);
    let r0 = (p0 - 3.0).max(0.0);
    let r1 = offset + duration + pad + 0.5;
    let len = ((offset - p0 + duration + pad) * SR).round() as usize;
    let skip = ((p0 - r0) * SR).round() as usize;
    let tempo = comp.tempo;
    let ppq = comp.ppq;
    let trimmed = midi::trim(
        &comp.tracks,
        midi::ticks_at(r0, tempo, ppq),
        midi::ticks_at(r1, tempo, ppq),
    );

    // 2. stems
    let layout = stems::layout(&trimmed, comp.lead_ch, prod.rotary);
    let pans = midi::channel_pans(&trimmed);
    let progs = midi::channel_programs(&trimmed);
    let fs_gain = rng.range(0.35, 0.6);
    let band_fx = (rng.chance(0.7), rng.chance(0.5));
    let room_size = rng.range(0.2, 0.9);
    let gm_fonts: Vec<PathBuf> = match plan.soundfont {
        "csound-GMbank" => vec![res.csound.clone()],
        "FluidR3_GM+GS" => vec![res.fluid_gm.clone(), res.fluid_gs.clone()],
        _ => vec![res.fluid_gm.clone()],
    };
    let mut jobs: Vec<(SynthJob, Vec<midi::RawTrack>)> = Vec::new();
    let mut job_of: Vec<Option<usize>> = Vec::new();
    let mut di_rng = rng.fork("di");
    for (i, stem) in layout.iter().enumerate() {
        let mut t = midi::select_channels(&trimmed, &stem.mask());
        let mut fonts = gm_fonts.clone();
        let mut fx = (false, false);
        match stem.kind {
            StemKind::Drums => match prod.drums.source {
                DrumSource::Sampled(_) => {
                    job_of.push(None);
                    continue;
                }
                DrumSource::Avl(_, path) => {
                    // the avldrums kits are bank 0 program 0 presets: play
                    // them as a melodic channel
                    midi::move_channel(&mut t, 9, 0);
                    midi::set_program(&mut t, 0, 0);
                    fonts = vec![PathBuf::from(path)];
                }
                DrumSource::Gm => {}
            },
            StemKind::Guitar { .. } if !prod.gm_guitar => {
                let c = stem.channels[0];
                let p = progs[usize::from(c)].unwrap_or(27);
                // the amp makes the tone: the DI is a clean electric
                let di = if (29..=31).contains(&p) {
                    *di_rng.pick(&[27u8, 27, 27, 28, 26])
                } else {
                    p
                };
                midi::set_program(&mut t, c, di);
            }
            StemKind::Band => fx = band_fx,
            _ => {}
        }
        job_of.push(Some(jobs.len()));
        jobs.push((
            SynthJob {
                midi: stems::stem_path(work, i, "mid"),
                wav: stems::stem_path(work, i, "wav"),
                soundfonts: fonts,
                gain: fs_gain,
                fx,
                room_size,
            },
            t,
        ));
    }
    stems::render_all(&jobs, ppq)?;
    prof.mark("fluidsynth");

    // 3. stem treatment
    let mut chain = Chain {
        tokens: vec![format!("tx={}", comp.texture.name())],
        drums: "none".into(),
        guitars: Vec::new(),
    };
    let mut rest: Stereo = [vec![0.0; len], vec![0.0; len]];
    let mut drum_stem: Option<Stereo> = None;
    let mut n_gtr = 0;
    for (i, stem) in layout.iter().enumerate() {
        let mut srng = rng.fork(&format!("stem{i}"));
        let audio = match job_of[i] {
            Some(j) => Some(read_stem(&jobs[j].0.wav, skip, len)?),
            None => None,
        };
        match stem.kind {
            StemKind::Drums => {
                let d = drum_bus(
                    &prod, &trimmed, audio, stem, tempo, ppq, r0, p0, len, &comp, work, &mut srng,
                    &mut chain,
                )?;
                drum_stem = Some(d);
            }
            StemKind::Guitar { lead } => {
                let x = audio.expect("guitar stems are synthesised");
                let pan = pans[usize::from(stem.channels[0])];
                let y = guitar(
                    &prod,
                    &x,
                    lead,
                    pan,
                    &comp,
                    p0,
                    work,
                    &format!("gtr{n_gtr}"),
                    &mut srng,
                    &mut chain,
                )?;
                prof.levels
                    .push((format!("gtr{n_gtr}"), dsp::to_db(stereo_rms(&y))));
                n_gtr += 1;
                add_into(&mut rest, &y, 1.0);
            }
            StemKind::Bass { synth } => {
                let x = audio.expect("bass stems are synthesised");
                let di = mono(&x);
                let level = rms(&di);
                if level < 1e-6 {
                    continue;
                }
                let rig = amp::bass_rig(label, synth, &mut srng);
                let mut y = ffmpeg_mono(
                    &di,
                    &format!("volume={:.1}dB,{}", rig.input_db, rig.filter),
                    work,
                    "bass",
                )?;
                if let Some(cab) = rig.cab {
                    let h = ir::cabinet(cab, &mut srng);
                    let wet = convolve(&y, &h);
                    // blend some DI back in, as engineers do with bass
                    let blend = srng.range(0.0, 0.5) as f32;
                    for (v, (w, d)) in y.iter_mut().zip(wet.iter().zip(&di)) {
                        *v = *w * (1.0 - blend) + d * blend;
                    }
                }
                let g = level / rms(&y).max(1e-9) * db(srng.range(-1.5, 1.5));
                dsp::scale(&mut y, g);
                prof.levels.push(("bass".into(), dsp::to_db(rms(&y))));
                chain.tokens.push(format!(
                    "bass={}{}",
                    rig.name,
                    rig.cab.map_or(String::new(), |c| format!("+{}", c.name()))
                ));
                add_into(&mut rest, &pan_mono(&y, 0.0), 1.0);
            }
            StemKind::Organ => {
                let x = audio.expect("organ stems are synthesised");
                let level = stereo_rms(&x);
                if level < 1e-6 {
                    continue;
                }
                let fast = srng.chance(0.4);
                let f = calf(
                    "RotarySpeaker",
                    &[
                        ("vib_speed", if fast { 4.0 } else { 3.0 }),
                        ("mic_distance", srng.range(0.4, 0.9)),
                        ("reflection", srng.range(0.1, 0.5)),
                    ],
                );
                let mut y = ffmpeg_stereo(&x, &f, work, "organ")?;
                let g = level / stereo_rms(&y).max(1e-9);
                for c in &mut y {
                    dsp::scale(c, g);
                }
                chain.tokens.push(format!(
                    "organ=rotary-{}",
                    if fast { "fast" } else { "slow" }
                ));
                add_into(&mut rest, &y, 1.0);
            }
            StemKind::Band => {
                let x = audio.expect("band stems are synthesised");
                prof.levels
                    .push(("band".into(), dsp::to_db(stereo_rms(&x))));
                add_into(&mut rest, &x, 1.0);
            }
        }
        prof.mark(match stem.kind {
            StemKind::Drums => "drums",
            StemKind::Guitar { .. } => "guitar",
            StemKind::Bass { .. } => "bass",
            StemKind::Organ => "organ",
            StemKind::Band => "band",
        });
    }

    // 4. mix: drums against the rest, speech over both
    let rest_rms = stereo_rms(&rest);
    let mut mix = rest;
    if let Some(d) = drum_stem {
        let d_rms = stereo_rms(&d);
        if d_rms > 1e-7 {
            let g = if prod.drums.source == DrumSource::Gm {
                1.0 // the soundfont's own balance
            } else if rest_rms > 1e-5 {
                rest_rms * db(prod.drums.level_db) / d_rms
            } else {
                0.1 / d_rms
            };
            add_into(&mut mix, &d, g);
            prof.levels.push(("drums".into(), dsp::to_db(d_rms * g)));
            prof.levels.push(("rest".into(), dsp::to_db(rest_rms)));
        } else {
            prof.levels.push(("drums".into(), -200.0));
        }
    }
    if let Some(sp) = &comp.speech {
        let song_s = r1 + 1.0;
        let voice = speech::render(sp, work, song_s, (offset - 1.0, offset + duration + 1.0))?;
        let start = (p0 * SR).round() as usize;
        let seg: Vec<f32> = (0..len)
            .map(|i| voice.get(start + i).copied().unwrap_or(0.0))
            .collect();
        let voiced: Vec<f32> = seg.iter().copied().filter(|v| v.abs() > 1e-4).collect();
        let v_rms = rms(&voiced);
        let music_rms = stereo_rms(&mix);
        if v_rms > 0.0 {
            let rel = if sp.kind == super::compose::SpeechKind::Spoken {
                rng.range(0.0, 6.0)
            } else {
                rng.range(-3.0, 3.0)
            };
            let base = if music_rms > 1e-5 {
                music_rms * 1.6
            } else {
                0.05
            };
            let g = base * db(rel) / v_rms;
            add_into(&mut mix, &pan_mono(&seg, 0.0), g / std::f64::consts::SQRT_2);
        }
    }
    prof.mark("speech");
    let m = &prod.master;
    if let Some(vdb) = m.vinyl_db {
        let hiss = drums::load_sample(&Path::new(SONIC_PI_DIR).join("vinyl_hiss.flac"))?;
        let h: Stereo = [
            (0..len).map(|i| hiss.l[i % hiss.l.len()]).collect(),
            (0..len).map(|i| hiss.r[i % hiss.r.len()]).collect(),
        ];
        let g = stereo_rms(&mix) * db(vdb) / stereo_rms(&h).max(1e-9);
        add_into(&mut mix, &h, g);
        chain.tokens.push(format!("vinyl{vdb:.0}"));
    }
    // room on the whole mix (a send: the dry signal stays)
    if let Some((kind, wet_db)) = m.room {
        let irr = ir::room(kind, &mut rng.fork("room"));
        add_room(&mut mix, &irr, wet_db);
        chain
            .tokens
            .push(format!("room={}{:.1}s{wet_db:.0}", kind.name(), irr.rt60_s));
    } else {
        chain.tokens.push("room=dry".into());
    }
    prof.mark("room");
    let level = stereo_rms(&mix);
    if level < 1e-6 {
        bail!("mix is silent (rms {level:.2e})");
    }
    for c in &mut mix {
        dsp::scale(c, db(MIX_RMS_DB) / level);
    }

    // 5. master chain → mono 22 050 Hz
    let (mfilter, mtokens) = master::filter(m, &mut rng.fork("master"));
    chain.tokens.push(format!("master={}", mtokens.join("+")));
    let mix_path = work.join("mix.wav");
    let proc_path = work.join("proc.wav");
    write_wav(&mix_path, 44_100, 2, &interleave(&mix))?;
    drop(mix);
    run_ffmpeg(&mfilter, &mix_path, &proc_path)?;
    prof.mark("master");

    // 6. codec variety
    let mut final_in = proc_path.clone();
    if let Some(kbps) = m.mp3 {
        final_in = mp3_round_trip(&proc_path, kbps, work)?;
        chain.tokens.push(format!("mp3@{kbps}"));
    }

    // 7. level, noise floor, exact length, 16-bit
    let (sr2, ch2, mut y) = read_wav(&final_in)?;
    if sr2 != 22_050 || ch2 != 1 {
        bail!("unexpected processed audio {sr2} Hz × {ch2}");
    }
    let n = (duration * 22_050.0).round() as usize;
    let skip_out = ((offset - p0) * 22_050.0).round() as usize;
    if y.len() < skip_out + n - n / 50 {
        // a tool stopped early: never pad a failed render with silence
        bail!(
            "processed audio too short: {} of {} samples",
            y.len(),
            skip_out + n
        );
    }
    y.drain(..skip_out.min(y.len()));
    y.resize(n, 0.0);
    let level = rms(&y);
    if level < 1e-5 {
        bail!("rendered clip is silent (rms {level:.2e})");
    }
    let target_db = -18.0 + rng.range(-10.0, 10.0);
    let peak = dsp::peak(&y);
    let mut gain = db(target_db) / level;
    gain = gain.min(0.97 / peak); // never clip
    dsp::scale(&mut y, gain);
    if let Some((ndb, tilt)) = m.noise {
        let amp = db(ndb) as f32 * 1.7;
        let mut lp = 0.0f32;
        let tilt = tilt as f32; // white → darker hiss/hum-ish
        let mut nr = rng.fork("noise");
        for v in &mut y {
            let w = (nr.f64() as f32 - 0.5) * amp;
            lp = tilt * lp + (1.0 - tilt) * w;
            *v += lp;
        }
        chain.tokens.push(format!("noise{ndb:.0}"));
    }
    if m.crackle {
        let mut cr = rng.fork("crackle");
        let per_s = cr.range(3.0, 25.0);
        let amp = db(cr.range(-40.0, -22.0)) as f32;
        for i in 0..y.len() {
            if cr.chance(per_s / 22_050.0) {
                let a = amp * (cr.f64() as f32 * 2.0 - 1.0);
                for (k, v) in y.iter_mut().skip(i).take(12).enumerate() {
                    *v += a * (1.0 - k as f32 / 12.0);
                }
            }
        }
        chain.tokens.push("crackle".into());
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
    let mut dither = rng.fork("dither");
    for &v in &y {
        // TPDF dither, hard limit at full scale after it (never wraps)
        let d = (dither.f64() - dither.f64()) as f32 / 32768.0;
        let q = ((v + d) * 32767.0).round().clamp(-32767.0, 32767.0);
        sq += f64::from(q / 32768.0).powi(2);
        w.write_sample(q as i16)?;
    }
    w.finalize()?;
    std::fs::rename(&tmp_out, out)?;
    prof.mark("final");
    prof.report(&plan.file());
    let rms_db = 10.0 * (sq / y.len() as f64).max(1e-12).log10();
    let mut guitars = chain.guitars.clone();
    guitars.dedup();
    Ok(Rendered {
        vocal: comp.vocal,
        offset,
        chain: chain.tokens.join(";"),
        rms_db,
        texture: comp.texture.name(),
        drums: chain.drums,
        guitars: if guitars.is_empty() {
            "none".into()
        } else {
            guitars.join("+")
        },
    })
}

/// Builds the drum stem: the chosen kit (FluidSynth's render, or our sampler
/// over the song's drum notes), a breakbeat under it, then the drum bus.
#[allow(clippy::too_many_arguments)]
fn drum_bus(
    prod: &Production,
    trimmed: &[midi::RawTrack],
    audio: Option<Stereo>,
    stem: &Stem,
    tempo: f64,
    ppq: u16,
    r0: f64,
    p0: f64,
    len: usize,
    comp: &super::compose::Composition,
    work: &Path,
    rng: &mut Rng,
    chain: &mut Chain,
) -> Result<Stereo> {
    let dp = &prod.drums;
    // hits relative to the processing start
    let hits: Vec<(f64, u8, u8)> = midi::channel_hits(trimmed, stem.channels[0], tempo, ppq)
        .into_iter()
        .map(|(t, k, v)| (t + r0 - p0, k, v))
        .collect();
    let mut name = dp.source.name();
    let mut kit = match (dp.source, audio) {
        (DrumSource::Sampled(spec), _) => {
            let kit = drums::load_kit(spec)?;
            let perc = drums::load_kit(&PERCUSSION_KIT)?;
            let kick = if dp.electro_kick {
                let el = drums::KITS
                    .iter()
                    .find(|k| k.name == "sp-electro")
                    .expect("sp-electro kit");
                Some(drums::load_kit(el)?)
            } else {
                None
            };
            let cymbals = drums::load_kit(drums::CYMBAL_KIT)?;
            let map = drums::build_map(&kit, &[&perc, &cymbals], kick.as_deref(), rng);
            name = map.name.clone();
            drums::render(&hits, &map, len, rng)
        }
        (_, Some(a)) => a,
        (_, None) => bail!("drum stem was not rendered"),
    };
    let kit_rms = stereo_rms(&kit);
    if let Some((spec, gain_db)) = dp.break_loop
        && kit_rms > 1e-6
        && let Some(mut lp) = drums::render_loop(spec, tempo, p0, len)?
    {
        // the break plays in the bars where the kit plays
        let bar_s = comp.bar_s;
        let on = |t: f64| {
            let b0 = (t / bar_s).floor() * bar_s;
            hits.iter().any(|h| h.0 + p0 >= b0 && h.0 + p0 < b0 + bar_s)
        };
        let bar_len = (bar_s * SR) as usize;
        let mut i = 0;
        while i < len {
            let t = p0 + i as f64 / SR;
            let until = (((t / bar_s).floor() + 1.0) * bar_s - p0) * SR;
            let end = (until.ceil() as usize)
                .clamp(i + 1, len)
                .min(i + bar_len.max(1));
            if !on(t) {
                for c in &mut lp {
                    for v in &mut c[i..end] {
                        *v = 0.0;
                    }
                }
            }
            i = end;
        }
        let g = kit_rms * db(gain_db) / stereo_rms(&lp).max(1e-9);
        add_into(&mut kit, &lp, g);
        name.push_str(&format!("+{}{gain_db:.0}", spec.file));
    }
    chain.drums = name.clone();
    let mut bus = vec![];
    let mut filters = Vec::new();
    if let Some(c) = &dp.comp {
        filters.push(c.clone());
        bus.push(if c.starts_with("lv2") {
            "calf-comp"
        } else {
            "comp"
        });
    }
    if dp.tape {
        filters.push(calf(
            "TapeSimulator",
            &[
                ("level_in", rng.range(0.5, 1.5)),
                ("mix", rng.range(0.4, 1.0)),
                ("noise", 0.0),
            ],
        ));
        bus.push("tape");
    }
    if !filters.is_empty() && kit_rms > 1e-6 {
        kit = ffmpeg_stereo(&kit, &filters.join(","), work, "drums")?;
    }
    let (lo, hi) = dp.shelves;
    for c in &mut kit {
        let mut eq = [
            Biquad::new(Shape::LowShelf, 90.0, 0.7, lo, SR),
            Biquad::new(Shape::HighShelf, 6000.0, 0.7, hi, SR),
        ];
        dsp::filter_chain(&mut eq, c);
    }
    if let Some(room_db) = dp.room_db
        && kit_rms > 1e-6
    {
        let kind = if rng.chance(0.6) {
            Room::Live
        } else {
            Room::Booth
        };
        let irr = ir::room(kind, rng);
        add_room(&mut kit, &irr, room_db);
        bus.push("room");
    }
    chain.tokens.push(format!(
        "drums={name}{}{}@{}",
        if bus.is_empty() { "" } else { ">" },
        bus.join(">"),
        if dp.source == DrumSource::Gm {
            "native".to_string()
        } else {
            format!("{:+.0}", dp.level_db)
        }
    ));
    Ok(kit)
}

/// One electric guitar stem through its rig (or two rigs switched by
/// section), panned where the arrangement put it.
#[allow(clippy::too_many_arguments)]
fn guitar(
    prod: &Production,
    x: &Stereo,
    lead: bool,
    pan: f64,
    comp: &super::compose::Composition,
    p0: f64,
    work: &Path,
    tag: &str,
    rng: &mut Rng,
    chain: &mut Chain,
) -> Result<Stereo> {
    let di = mono(x);
    let level = rms(&di);
    if level < 1e-6 {
        return Ok(pan_mono(&di, pan));
    }
    if prod.gm_guitar {
        chain.tokens.push(format!("{tag}=soundfont"));
        chain.guitars.push("soundfont");
        return Ok(x.clone());
    }
    // the amp sees the same playing level whatever the part's rests
    let mut norm = di.clone();
    dsp::scale(&mut norm, db(-20.0) / dsp::active_rms(&di).max(1e-9));
    let tone = if lead && prod.tone != Tone::High && rng.chance(0.3) {
        match prod.tone {
            Tone::Clean => Tone::Crunch,
            _ => Tone::High,
        }
    } else {
        prod.tone
    };
    let rig = amp::guitar_rig(tone, lead, rng);
    let mut y = play_rig(&norm, &rig, work, tag, rng)?;
    let mut desc = format!(
        "{tag}={}:{}{}",
        tone.name(),
        rig.name,
        rig.cab.map_or(String::new(), |c| format!("+{}", c.name()))
    );
    let boost = |t: Tone, r: &mut Rng| match t {
        Tone::High => r.range(1.0, 4.0),
        Tone::Crunch => r.range(0.0, 3.0),
        Tone::Clean => r.range(-1.0, 2.0),
    };
    let g = level / rms(&y).max(1e-9) * db(boost(tone, rng));
    dsp::scale(&mut y, g);
    chain.guitars.push(tone.name());
    if prod.tone_switch {
        // clean verses, driven choruses: a second rig and a section envelope
        let other_tone = if tone == Tone::Clean {
            Tone::Crunch
        } else {
            Tone::Clean
        };
        let other = amp::guitar_rig(other_tone, lead, rng);
        let mut z = play_rig(&norm, &other, work, &format!("{tag}b"), rng)?;
        let gz = level / rms(&z).max(1e-9) * db(boost(other_tone, rng));
        dsp::scale(&mut z, gz);
        let env = drive_envelope(&comp.sections, comp.bar_s, p0, y.len());
        let (clean, driven) = if tone == Tone::Clean {
            (&y, &z)
        } else {
            (&z, &y)
        };
        let mixed: Vec<f32> = env
            .iter()
            .zip(clean.iter().zip(driven.iter()))
            .map(|(&e, (&c, &d))| c * (1.0 - e) + d * e)
            .collect();
        desc.push_str(&format!("|switch:{}:{}", other_tone.name(), other.name));
        chain.guitars.push(other_tone.name());
        y = mixed;
    }
    chain.tokens.push(desc);
    Ok(pan_mono(&y, pan))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drive_envelope_follows_sections() {
        let sections = [Section::Verse, Section::Chorus, Section::Verse];
        let env = drive_envelope(&sections, 1.0, 0.0, (3.0 * SR) as usize);
        let at = |t: f64| env[(t * SR) as usize];
        assert!(at(0.5) < 0.01);
        assert!(at(1.5) > 0.99);
        assert!(at(2.5) < 0.01);
        // ramps, not steps
        let i = SR as usize;
        assert!(env[i + 10] > 0.0 && env[i + 10] < 0.5);
        // an offset buffer starts mid-song
        let env = drive_envelope(&sections, 1.0, 1.0, (1.0 * SR) as usize);
        assert!(env[(0.5 * SR) as usize] > 0.99);
    }

    #[test]
    fn wav_round_trip() {
        let dir = std::env::temp_dir().join(format!("xtask-wav-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("x.wav");
        write_wav(&p, 44_100, 2, &[0.5, -0.25, 0.125, 0.0]).unwrap();
        let (sr, ch, d) = read_wav(&p).unwrap();
        assert_eq!((sr, ch), (44_100, 2));
        assert_eq!(d, vec![0.5, -0.25, 0.125, 0.0]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
