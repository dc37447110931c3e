//! Rhythmic speech (rap, toasting, shouts) from espeak-ng.
//!
//! espeak-ng reads a comma-separated word list (the commas force short pauses),
//! we cut the result into words by energy, and place the words on the song's
//! 16th/8th grid bar by bar, with breaths at phrase ends and a quieter second
//! voice as ad-libs/doubles. That gives a voice with rap-like rhythm and the
//! spectral shape of speech, at no cost of real recordings.
//!
//! Spoken word is different: whole sentences (festival's HTS voice or
//! espeak-ng) read at a natural pace, each starting on a bar or half bar,
//! with breaths between them.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::compose::{SpeechKind, SpeechPlan};
use super::rng::Rng;

const WORDS: &[&str] = &[
    "yeah", "money", "city", "night", "light", "rhythm", "flow", "street", "crown", "gold", "fire",
    "rise", "time", "mind", "real", "dream", "team", "block", "rock", "stop", "never", "ever",
    "better", "paper", "player", "summer", "thunder", "number", "hustle", "power", "tower", "hour",
    "motion", "ocean", "future", "culture", "record", "station", "rolling", "holding", "story",
    "glory", "heavy", "ready", "steady", "level", "rebel", "people", "simple", "music", "magic",
    "classic", "rapid", "bounce", "check", "step", "back", "track", "black", "stack", "fast",
    "last", "past", "cash", "flash", "crash", "move", "groove", "prove", "speak", "peak", "week",
    "deep", "keep", "sleep", "home", "road", "gold", "cold", "bold", "told", "zone", "phone",
    "stone", "love", "above", "jah", "sound", "ground", "round", "down", "town", "brother",
    "sister", "mother",
];

/// Words cut from one espeak-ng render, at 22 050 Hz.
fn words_from_espeak(
    dir: &Path,
    tag: &str,
    rng: &mut Rng,
    kind: SpeechKind,
) -> Result<Vec<Vec<f32>>> {
    let voices: &[&str] = match kind {
        SpeechKind::Toast => &["en-029", "en-029", "en-gb-scotland", "en"],
        SpeechKind::Shout => &["en", "en-us", "en-gb-x-rp"],
        SpeechKind::Rap | SpeechKind::Spoken => &["en-us", "en", "en-029", "en-gb-x-rp", "en-us"],
    };
    let variants = ["", "+m1", "+m2", "+m3", "+m7", "+f2", "+f4", "+croak"];
    let voice = format!("{}{}", rng.pick(voices), rng.pick(&variants));
    let (speed, pitch) = match kind {
        SpeechKind::Rap => (rng.int(190, 280), rng.int(25, 60)),
        SpeechKind::Toast => (rng.int(160, 230), rng.int(40, 80)),
        SpeechKind::Shout => (rng.int(140, 190), rng.int(5, 25)),
        SpeechKind::Spoken => (rng.int(130, 175), rng.int(25, 60)),
    };
    let text: Vec<&str> = (0..60).map(|_| *rng.pick(WORDS)).collect();
    let wav = dir.join(format!("speech-{tag}.wav"));
    let out = Command::new("espeak-ng")
        .args([
            "-v",
            &voice,
            "-s",
            &speed.to_string(),
            "-p",
            &pitch.to_string(),
            "-a",
            "160",
            "-g",
            "4",
            "-w",
        ])
        .arg(&wav)
        .arg(text.join(", "))
        .output()
        .context("running espeak-ng")?;
    if !out.status.success() {
        bail!("espeak-ng failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let mut r = hound::WavReader::open(&wav).context("reading espeak-ng output")?;
    let sr = r.spec().sample_rate;
    let samples: Vec<f32> = r
        .samples::<i16>()
        .map(|s| f32::from(s.unwrap_or(0)) / 32768.0)
        .collect();
    let samples = if sr == 22_050 {
        samples
    } else {
        resample_linear(&samples, f64::from(sr), 22_050.0)
    };
    Ok(segment(&samples))
}

fn resample_linear(x: &[f32], from: f64, to: f64) -> Vec<f32> {
    let n = (x.len() as f64 * to / from) as usize;
    (0..n)
        .map(|i| {
            let p = i as f64 * from / to;
            let k = p.floor() as usize;
            let f = (p - k as f64) as f32;
            let a = x.get(k).copied().unwrap_or(0.0);
            let b = x.get(k + 1).copied().unwrap_or(a);
            a + (b - a) * f
        })
        .collect()
}

/// Splits speech into voiced chunks separated by ≥ 40 ms of quiet.
fn segment(x: &[f32]) -> Vec<Vec<f32>> {
    let frame = 220; // 10 ms
    let rms: Vec<f32> = x
        .chunks(frame)
        .map(|c| (c.iter().map(|v| v * v).sum::<f32>() / c.len() as f32).sqrt())
        .collect();
    let max = rms.iter().copied().fold(0.0f32, f32::max);
    if max <= 0.0 {
        return Vec::new();
    }
    let thr = max * 0.06;
    let mut out = Vec::new();
    let mut i = 0;
    while i < rms.len() {
        if rms[i] < thr {
            i += 1;
            continue;
        }
        let start = i;
        let mut quiet = 0;
        while i < rms.len() && quiet < 4 {
            if rms[i] < thr {
                quiet += 1;
            } else {
                quiet = 0;
            }
            i += 1;
        }
        let end = i - quiet;
        if end - start >= 6 {
            out.push(x[start * frame..(end * frame).min(x.len())].to_vec());
        }
    }
    out
}

/// Renders the speech layer as mono samples at 44 100 Hz covering `seconds`
/// (only bars that overlap `window` get speech, to save synthesis time).
pub fn render(plan: &SpeechPlan, dir: &Path, seconds: f64, window: (f64, f64)) -> Result<Vec<f32>> {
    if plan.kind == SpeechKind::Spoken {
        return render_spoken(plan, dir, seconds, window);
    }
    let mut rng = Rng::new(plan.seed);
    let main = words_from_espeak(dir, "a", &mut rng, plan.kind)?;
    let adlib = if rng.chance(0.6) {
        words_from_espeak(dir, "b", &mut rng, plan.kind)?
    } else {
        Vec::new()
    };
    if main.is_empty() {
        bail!("espeak-ng produced no words");
    }
    let sr = 44_100.0;
    let mut out = vec![0.0f32; (seconds * sr) as usize + 1];
    let steps_per_beat = match plan.kind {
        SpeechKind::Rap | SpeechKind::Spoken => 4,
        SpeechKind::Toast => *rng.pick(&[2, 4]),
        SpeechKind::Shout => 2,
    };
    let density = match plan.kind {
        SpeechKind::Rap | SpeechKind::Spoken => rng.range(0.55, 0.85),
        SpeechKind::Toast => rng.range(0.45, 0.7),
        SpeechKind::Shout => rng.range(0.25, 0.5),
    };
    let swing = if rng.chance(0.4) {
        rng.range(0.55, 0.62)
    } else {
        0.5
    };
    let mut w = 0usize;
    let steps = plan.bpb as usize * steps_per_beat;
    // a 2-bar flow pattern, re-drawn now and then
    let mut pattern: Vec<bool> = Vec::new();
    for (bi, &(start, bar_s)) in plan.bars.iter().enumerate() {
        if bi % 4 == 0 || pattern.is_empty() {
            pattern = (0..steps * 2)
                .map(|k| k % steps_per_beat == 0 || rng.chance(density))
                .collect();
            // breathe at the end of the phrase
            let cut = steps * 2 - steps_per_beat * rng.int(1, 2) as usize;
            for p in pattern.iter_mut().skip(cut) {
                *p = false;
            }
        }
        if start + bar_s < window.0 || start > window.1 {
            continue;
        }
        let half = (bi % 2) * steps;
        let step_s = bar_s / steps as f64;
        let onsets: Vec<usize> = (0..steps).filter(|&k| pattern[half + k]).collect();
        for (j, &k) in onsets.iter().enumerate() {
            let next = onsets.get(j + 1).copied().unwrap_or(steps + 1);
            let mut pos = k as f64 / steps_per_beat as f64;
            let frac = pos.fract();
            if (frac - 0.5).abs() < 1e-9 {
                pos = pos.floor() + swing;
            }
            let t = start + pos * (bar_s / f64::from(plan.bpb)) + rng.normal() * 0.004;
            let max_len = (next - k) as f64 * step_s * 1.15;
            let accent = if k % steps_per_beat == 0 { 1.0 } else { 0.8 };
            place(&mut out, &main[w % main.len()], t, max_len, accent, sr);
            w += 1;
            if !adlib.is_empty() && j + 1 == onsets.len() && rng.chance(0.5) {
                let a = &adlib[rng.below(adlib.len())];
                place(&mut out, a, t + step_s, step_s * 3.0, 0.45, sr);
            }
        }
    }
    Ok(out)
}

const SUBJECTS: &[&str] = &[
    "the city",
    "my father",
    "the river",
    "this old road",
    "the radio",
    "the night",
    "a stranger",
    "the morning train",
    "my mother",
    "the crowd",
    "the last bus",
    "the rain",
    "the band",
    "an empty room",
    "the neighbours",
    "the summer",
    "the whole street",
    "the sea",
];
const VERBS: &[&str] = &[
    "remembers",
    "keeps",
    "carries",
    "forgets",
    "calls",
    "waits for",
    "sings about",
    "burns",
    "follows",
    "knows",
    "counts",
    "hides",
    "brings back",
    "leaves",
    "holds",
];
const OBJECTS: &[&str] = &[
    "every name we gave it",
    "the light on the water",
    "a song nobody wrote down",
    "the years we wasted",
    "what the old men said",
    "the sound of the trains",
    "the dust on the windows",
    "a promise made in winter",
    "the stories of this town",
    "the weight of the morning",
    "all the roads home",
    "the colour of the sky",
];
const TAILS: &[&str] = &[
    "and I listen",
    "and nobody answers",
    "so we keep on walking",
    "until the lights go out",
    "and the music plays on",
    "like it always did",
    "one more time",
    "before the sun comes up",
    "and that is all I know",
    "every single day",
];

/// A paragraph of plain spoken sentences.
fn spoken_text(rng: &mut Rng, sentences: usize) -> Vec<String> {
    (0..sentences)
        .map(|_| {
            let mut s = format!(
                "{} {} {}",
                rng.pick(SUBJECTS),
                rng.pick(VERBS),
                rng.pick(OBJECTS)
            );
            if rng.chance(0.45) {
                s.push_str(", ");
                let tail = rng.pick(TAILS).to_string();
                s.push_str(&tail);
            }
            let mut c = s.chars();
            let first = c.next().map(|f| f.to_ascii_uppercase()).unwrap_or('T');
            format!("{first}{}.", c.as_str())
        })
        .collect()
}

fn read_mono_22k(wav: &Path) -> Result<Vec<f32>> {
    let mut r =
        hound::WavReader::open(wav).with_context(|| format!("reading {}", wav.display()))?;
    let spec = r.spec();
    let ch = usize::from(spec.channels.max(1));
    let samples: Vec<f32> = r
        .samples::<i16>()
        .map(|s| f32::from(s.unwrap_or(0)) / 32768.0)
        .collect::<Vec<f32>>()
        .chunks(ch)
        .map(|c| c.iter().sum::<f32>() / ch as f32)
        .collect();
    Ok(if spec.sample_rate == 22_050 {
        samples
    } else {
        resample_linear(&samples, f64::from(spec.sample_rate), 22_050.0)
    })
}

/// One sentence as speech at 22 050 Hz, from festival or espeak-ng.
fn speak(
    text: &str,
    festival: bool,
    voice: &str,
    speed: i64,
    pitch: i64,
    stretch: f64,
    wav: &Path,
) -> Result<Vec<f32>> {
    let out = if festival {
        let mut child = Command::new("text2wave")
            .arg("-eval")
            .arg("(voice_cmu_us_slt_arctic_hts)")
            .arg("-eval")
            .arg(format!("(Parameter.set 'Duration_Stretch {stretch:.2})"))
            .arg("-o")
            .arg(wav)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .context("running text2wave (festival)")?;
        {
            use std::io::Write as _;
            let mut stdin = child.stdin.take().context("text2wave stdin")?;
            stdin.write_all(text.as_bytes())?;
        }
        child.wait_with_output()?
    } else {
        Command::new("espeak-ng")
            .args([
                "-v",
                voice,
                "-s",
                &speed.to_string(),
                "-p",
                &pitch.to_string(),
                "-a",
                "150",
                "-w",
            ])
            .arg(wav)
            .arg(text)
            .output()
            .context("running espeak-ng")?
    };
    if !out.status.success() {
        bail!(
            "{} failed: {}",
            if festival { "text2wave" } else { "espeak-ng" },
            String::from_utf8_lossy(&out.stderr)
        );
    }
    read_mono_22k(wav)
}

/// Cuts speech at pauses of at least `min_quiet` 10 ms frames.
fn split_phrases(x: &[f32], min_quiet: usize) -> Vec<Vec<f32>> {
    let frame = 220;
    let rms: Vec<f32> = x
        .chunks(frame)
        .map(|c| (c.iter().map(|v| v * v).sum::<f32>() / c.len() as f32).sqrt())
        .collect();
    let max = rms.iter().copied().fold(0.0f32, f32::max);
    let thr = max * 0.03;
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut quiet = 0;
    for (i, &r) in rms.iter().enumerate() {
        if r >= thr {
            start.get_or_insert(i);
            quiet = 0;
        } else if let Some(s0) = start {
            quiet += 1;
            if quiet >= min_quiet {
                let end = i + 1 - quiet;
                out.push(x[s0 * frame..(end * frame).min(x.len())].to_vec());
                start = None;
                quiet = 0;
            }
        }
    }
    if let Some(s0) = start {
        out.push(x[s0 * frame..].to_vec());
    }
    out
}

/// Spoken word: sentences that start on bar or half-bar lines inside
/// `window`, with pauses between them.
fn render_spoken(
    plan: &SpeechPlan,
    dir: &Path,
    seconds: f64,
    window: (f64, f64),
) -> Result<Vec<f32>> {
    let mut rng = Rng::new(plan.seed);
    let festival = rng.chance(0.5);
    let variants = ["", "+m1", "+m3", "+m7", "+f2", "+f4"];
    let voice = format!(
        "{}{}",
        rng.pick(&["en-us", "en", "en-gb-x-rp", "en-029"]),
        rng.pick(&variants)
    );
    let speed = rng.int(125, 165);
    let pitch = rng.int(25, 60);
    let stretch = rng.range(1.0, 1.3);
    let sr = 44_100.0;
    let mut out = vec![0.0f32; (seconds * sr) as usize + 1];
    let Some(&(_, bar_s)) = plan.bars.first() else {
        return Ok(out);
    };
    let grid = bar_s / 2.0;
    let lines = spoken_text(&mut rng, 8);
    // one synthesis call for the paragraph, cut into phrases at its pauses
    let x = speak(
        &lines.join(" "),
        festival,
        &voice,
        speed,
        pitch,
        stretch,
        &dir.join("spoken.wav"),
    )?;
    let phrases = split_phrases(&x, 25);
    let mut t = ((window.0 - 1.0).max(0.0) / grid).ceil() * grid + grid * rng.int(0, 2) as f64;
    for chunk in &phrases {
        if t > window.1 {
            break;
        }
        let len_s = chunk.len() as f64 / 22_050.0;
        place(&mut out, chunk, t, len_s + 0.05, 1.0, sr);
        let pause = rng.range(0.2, 1.4);
        t = ((t + len_s + pause) / grid).ceil() * grid;
    }
    Ok(out)
}

/// Adds a 22 050 Hz chunk into a 44 100 Hz buffer at `t` seconds, cut to
/// `max_len` seconds with a short fade so cuts do not click.
fn place(out: &mut [f32], chunk: &[f32], t: f64, max_len: f64, gain: f32, sr: f64) {
    if t < 0.0 {
        return;
    }
    let start = (t * sr) as usize;
    let n = ((chunk.len() * 2) as f64).min(max_len * sr) as usize;
    let fade = 220.min(n / 2).max(1);
    for i in 0..n {
        let src = i as f64 / 2.0;
        let k = src.floor() as usize;
        let f = (src - k as f64) as f32;
        let a = chunk.get(k).copied().unwrap_or(0.0);
        let b = chunk.get(k + 1).copied().unwrap_or(0.0);
        let env = if i + fade > n {
            (n - i) as f32 / fade as f32
        } else {
            1.0
        };
        if let Some(o) = out.get_mut(start + i) {
            *o += (a + (b - a) * f) * gain * env;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spoken_text_is_sentences() {
        let lines = spoken_text(&mut Rng::new(1), 5);
        assert_eq!(lines.len(), 5);
        for l in &lines {
            assert!(
                l.ends_with('.') && l.chars().next().unwrap().is_uppercase(),
                "{l}"
            );
            assert!(l.split(' ').count() >= 5, "{l}");
        }
    }

    #[test]
    fn phrases_split_at_long_pauses_only() {
        let mut x = vec![0.0f32; 22_050 * 3];
        for (i, v) in x.iter_mut().enumerate() {
            let t = i as f32 / 22_050.0;
            // two words 0.1 s apart, then a 0.5 s pause, then a third
            if (0.1..0.4).contains(&t) || (0.5..0.8).contains(&t) || (1.3..1.6).contains(&t) {
                *v = (t * 3000.0).sin() * 0.5;
            }
        }
        let p = split_phrases(&x, 25);
        assert_eq!(p.len(), 2);
        assert!((p[0].len() as f32 / 22_050.0 - 0.7).abs() < 0.03);
    }

    #[test]
    fn segment_splits_on_silence() {
        let mut x = vec![0.0f32; 22050];
        for (i, v) in x.iter_mut().enumerate() {
            let t = i as f32 / 22050.0;
            if (0.1..0.3).contains(&t) || (0.5..0.7).contains(&t) {
                *v = (t * 2000.0).sin() * 0.5;
            }
        }
        assert_eq!(segment(&x).len(), 2);
    }
}
