//! Noise-like non-music: coloured and band-passed noise, noise sweeps, wind,
//! rain, surf, crackle and hiss, room tone.

use super::dsp::log_range;
use super::dsp::{
    Biquad, Colour, Filter, SR_F, Wave, add_at, burst, db, filter, mix_into, noise, ping, secs,
    set_rms, slow_random, tone, white,
};
use super::kinds::Generated;
use crate::corpus::rng::Rng;

/// Multiplies `x` by 1 + `depth_db` swings of a slow random signal.
fn wobble(x: &mut [f32], rate_hz: f64, depth_db: f64, rng: &mut Rng) {
    let m = slow_random(x.len(), rate_hz, rng);
    for (v, c) in x.iter_mut().zip(&m) {
        *v *= db(depth_db * f64::from(*c)) as f32;
    }
}

/// Steady or slowly swelling noise of one of `colours`, sometimes band-passed.
fn coloured(rng: &mut Rng, n: usize, colours: &[Colour]) -> Generated {
    let colour = *rng.pick(colours);
    let mut x = noise(colour, n, rng);
    let mut detail = colour.name().to_string();
    if rng.chance(0.25) {
        let f = log_range(rng, 100.0, 6000.0);
        let q = rng.range(0.5, 8.0);
        filter(&mut x, Filter::Bandpass, f, q, 1);
        detail.push_str(&format!(";bp{f:.0}q{q:.1}"));
    }
    if rng.chance(0.3) {
        let depth = rng.range(3.0, 10.0);
        wobble(&mut x, rng.range(0.05, 0.5), depth, rng);
        detail.push_str(&format!(";swell{depth:.0}"));
    }
    set_rms(&mut x, 1.0);
    Generated::synth(x, detail)
}

/// White, pink, brown, sometimes band-passed.
pub fn noise_colour(rng: &mut Rng, n: usize) -> Generated {
    coloured(rng, n, &[Colour::White, Colour::Pink, Colour::Brown])
}

/// Blue and violet (held out).
pub fn noise_bright(rng: &mut Rng, n: usize) -> Generated {
    coloured(rng, n, &[Colour::Blue, Colour::Violet])
}

/// Noise through a swept filter: risers, whooshes, filter sweeps.
pub fn sweep_noise(rng: &mut Rng, n: usize) -> Generated {
    let colour = *rng.pick(&[Colour::White, Colour::Pink]);
    let src = noise(colour, n, rng);
    let kind = *rng.pick(&[Filter::Lowpass, Filter::Bandpass, Filter::Highpass]);
    let (mut f0, mut f1) = (log_range(rng, 80.0, 600.0), log_range(rng, 2000.0, 10000.0));
    let down = rng.chance(0.4);
    if down {
        std::mem::swap(&mut f0, &mut f1);
    }
    let q = rng.range(0.7, 6.0);
    let log = rng.chance(0.7);
    let sweep = secs(rng.range(1.0, 15.0));
    let gap = if rng.chance(0.5) {
        0
    } else {
        secs(rng.range(0.1, 2.0))
    };
    let riser = rng.chance(0.5);
    let phase = rng.below(sweep + gap);
    let mut bq = Biquad::new(kind, f0, q);
    let mut x = vec![0.0f32; n];
    for i in 0..n {
        let p = (i + phase) % (sweep + gap);
        let u = (p.min(sweep) as f64) / sweep as f64;
        if i % 32 == 0 {
            let f = if log {
                f0 * (f1 / f0).powf(u)
            } else {
                f0 + (f1 - f0) * u
            };
            bq.set(f, q);
        }
        let amp = if p >= sweep {
            0.05
        } else if riser {
            0.1 + 0.9 * u
        } else {
            1.0
        };
        x[i] = bq.tick(src[i]) * amp as f32;
    }
    set_rms(&mut x, 1.0);
    let k = match kind {
        Filter::Lowpass => "lp",
        Filter::Bandpass => "bp",
        _ => "hp",
    };
    Generated::synth(
        x,
        format!(
            "{};{k};{};{f0:.0}-{f1:.0}hz;{:.1}s{}",
            colour.name(),
            if log { "log" } else { "lin" },
            sweep as f64 / SR_F,
            if riser { ";riser" } else { "" }
        ),
    )
}

/// Wind: low-passed noise whose cutoff and level follow gusts, sometimes
/// whistling, sometimes buffeting the microphone.
pub fn wind(rng: &mut Rng, n: usize) -> Generated {
    let brown = noise(Colour::Brown, n, rng);
    let pink = noise(Colour::Pink, n, rng);
    let gust = slow_random(n, rng.range(0.05, 0.4), rng);
    let fine = slow_random(n, rng.range(0.5, 2.0), rng);
    let base = rng.range(200.0, 1200.0);
    let mut lp = Biquad::new(Filter::Lowpass, base, 0.9);
    let mix = rng.range(0.2, 0.8) as f32;
    let mut x = vec![0.0f32; n];
    for i in 0..n {
        let g = 0.5 + 0.5 * f64::from(gust[i]) + 0.15 * f64::from(fine[i]);
        if i % 64 == 0 {
            lp.set(base * 2f64.powf(2.0 * g), 0.9);
        }
        x[i] = lp.tick(brown[i] * mix + pink[i] * (1.0 - mix)) * (0.15 + g.max(0.0)) as f32;
    }
    let mut detail = String::from("gusts");
    if rng.chance(0.4) {
        // Whistle: a narrow band of noise gliding with the gusts.
        let w = white(n, rng);
        let f = rng.range(400.0, 1500.0);
        let mut bp = Biquad::new(Filter::Bandpass, f, 40.0);
        let mut whistle = vec![0.0f32; n];
        for i in 0..n {
            if i % 64 == 0 {
                bp.set(f * (1.0 + 0.3 * f64::from(gust[i])), 40.0);
            }
            whistle[i] = bp.tick(w[i]) * (0.5 + 0.5 * gust[i]).max(0.0);
        }
        set_rms(&mut whistle, 1.0);
        set_rms(&mut x, 1.0);
        mix_into(&mut x, &whistle, db(rng.range(-20.0, -6.0)));
        detail.push_str(";whistle");
    }
    if rng.chance(0.3) {
        // Wind on the microphone: low thumps.
        let mut rumble = noise(Colour::Brown, n, rng);
        filter(&mut rumble, Filter::Lowpass, 120.0, 0.707, 2);
        for (r, g) in rumble.iter_mut().zip(&gust) {
            *r *= g.max(0.0).powi(3);
        }
        set_rms(&mut x, 1.0);
        set_rms(&mut rumble, 1.0);
        mix_into(&mut x, &rumble, db(rng.range(-12.0, 0.0)));
        detail.push_str(";buffet");
    }
    set_rms(&mut x, 1.0);
    Generated::synth(x, detail)
}

/// Rain: a hissing bed, droplets by the thousand, heavier drops, thunder.
pub fn rain(rng: &mut Rng, n: usize) -> Generated {
    let mut x = noise(Colour::Pink, n, rng);
    filter(&mut x, Filter::Highpass, rng.range(400.0, 2000.0), 0.707, 1);
    set_rms(&mut x, 1.0);
    let rate = log_range(rng, 150.0, 4000.0);
    let surface = *rng.pick(&["ground", "roof", "window"]);
    let (f_lo, f_hi) = match surface {
        "roof" => (800.0, 3000.0),
        "window" => (2500.0, 7000.0),
        _ => (1500.0, 9000.0),
    };
    // A bank of drop sounds, reused with random gains: cheap and varied.
    let bank: Vec<Vec<f32>> = (0..24)
        .map(|_| {
            let f = log_range(rng, f_lo, f_hi);
            let mut d = ping(f, rng.range(0.0008, 0.004), 0.02);
            let b = burst(f, 1.5, 0.002, 0.01, rng);
            mix_into(&mut d, &b, 0.5);
            d
        })
        .collect();
    let mut drops = vec![0.0f32; n];
    let mut t = 0.0;
    loop {
        t += -rng.f64().max(1e-12).ln() / rate;
        let i = (t * SR_F) as usize;
        if i >= n {
            break;
        }
        let heavy = rng.chance(0.02);
        let g = if heavy {
            rng.range(2.0, 5.0)
        } else {
            rng.range(0.1, 1.0)
        };
        add_at(&mut drops, &bank[rng.below(bank.len())], i, g);
    }
    set_rms(&mut drops, 1.0);
    mix_into(&mut x, &drops, db(rng.range(-10.0, 6.0)));
    let mut detail = format!("{surface};{rate:.0}/s");
    if rng.chance(0.2) {
        let mut thunder = noise(Colour::Brown, n, rng);
        filter(
            &mut thunder,
            Filter::Lowpass,
            rng.range(100.0, 300.0),
            0.707,
            2,
        );
        let at = rng.below(n);
        let (att, dec) = (rng.range(0.2, 1.0), rng.range(3.0, 8.0));
        for (i, v) in thunder.iter_mut().enumerate() {
            let t = (i as f64 - at as f64) / SR_F;
            *v *= if t < 0.0 {
                0.0
            } else if t < att {
                (t / att) as f32
            } else {
                (-(t - att) / dec).exp() as f32
            };
        }
        let r = super::dsp::rms(&thunder);
        if r > 0.0 {
            mix_into(&mut x, &thunder, db(rng.range(0.0, 10.0)) / r);
            detail.push_str(";thunder");
        }
    }
    set_rms(&mut x, 1.0);
    Generated::synth(x, detail)
}

/// Surf (held out): waves building, breaking and receding, over a roar.
pub fn surf(rng: &mut Rng, n: usize) -> Generated {
    let roar_colour = if rng.chance(0.5) {
        Colour::Brown
    } else {
        Colour::Pink
    };
    let mut x = noise(roar_colour, n, rng);
    filter(&mut x, Filter::Lowpass, rng.range(300.0, 1000.0), 0.707, 1);
    set_rms(&mut x, db(rng.range(-14.0, -6.0)));
    let src = noise(Colour::Pink, n, rng);
    let hiss_src = noise(Colour::White, n, rng);
    let mut lp = Biquad::new(Filter::Lowpass, 500.0, 0.8);
    let mut hp = Biquad::new(Filter::Highpass, 3000.0, 0.707);
    let mean_period = rng.range(5.0, 14.0);
    let mut wave_start = -rng.range(0.0, mean_period);
    let mut waves = 0;
    let mut params = (
        rng.range(1.0, 3.0),
        rng.range(3.0, 7.0),
        rng.range(0.5, 1.0),
    );
    for i in 0..n {
        let t = i as f64 / SR_F;
        let mut u = t - wave_start;
        if u > params.0 + params.1 + 2.0 && rng.chance(1.0 / (SR_F * 0.5)) || u > mean_period * 1.8
        {
            wave_start = t;
            params = (
                rng.range(1.0, 3.0),
                rng.range(3.0, 7.0),
                rng.range(0.5, 1.0),
            );
            waves += 1;
            u = 0.0;
        }
        let (rise, fall, size) = params;
        let env = if u < rise {
            (u / rise).powi(2)
        } else {
            (-(u - rise) / (fall / 3.0)).exp()
        } * size;
        if i % 64 == 0 {
            lp.set(300.0 + 5000.0 * env, 0.8);
        }
        let body = lp.tick(src[i]) * env as f32;
        // The receding wash: hiss that lags the crash.
        let wash_env = if u > rise {
            (-(u - rise - 1.0).abs() / 1.5).exp() * size * 0.4
        } else {
            0.0
        };
        let wash = hp.tick(hiss_src[i]) * wash_env as f32;
        x[i] += body + wash;
    }
    set_rms(&mut x, 1.0);
    Generated::synth(
        x,
        format!("{}roar;{waves}waves;{mean_period:.0}s", roar_colour.name()),
    )
}

/// Vinyl crackle alone, tape hiss, radio static.
pub fn crackle_hiss(rng: &mut Rng, n: usize) -> Generated {
    let variant = *rng.pick(&["vinyl", "tape", "static", "surface"]);
    let mut x = vec![0.0f32; n];
    match variant {
        "vinyl" | "surface" => {
            let rate = if variant == "vinyl" {
                rng.range(5.0, 60.0)
            } else {
                rng.range(100.0, 800.0)
            };
            for i in 0..n {
                if rng.chance(rate / SR_F) {
                    let a = rng.range(-1.0, 1.0) as f32 * if rng.chance(0.05) { 4.0 } else { 1.0 };
                    let len = rng.int(3, 30) as usize;
                    for k in 0..len.min(n - i) {
                        x[i + k] += a * (1.0 - k as f32 / len as f32);
                    }
                }
            }
            filter(&mut x, Filter::Highpass, rng.range(300.0, 1500.0), 0.707, 1);
            set_rms(&mut x, 1.0);
            let mut rumble = noise(Colour::Brown, n, rng);
            filter(
                &mut rumble,
                Filter::Lowpass,
                rng.range(30.0, 80.0),
                0.707,
                2,
            );
            mix_into(&mut x, &rumble, db(rng.range(-30.0, -6.0)));
            let hiss = noise(Colour::Pink, n, rng);
            mix_into(&mut x, &hiss, db(rng.range(-40.0, -15.0)));
            if variant == "vinyl" && rng.chance(0.4) {
                // The run-out groove's click once per turn.
                let period = secs(60.0 / *rng.pick(&[33.333, 45.0, 78.0]));
                let mut t = rng.below(period);
                let click = burst(rng.range(1000.0, 4000.0), 1.0, 0.002, 0.02, rng);
                while t < n {
                    add_at(&mut x, &click, t, rng.range(20.0, 60.0));
                    t += period;
                }
            }
        }
        "tape" => {
            x = noise(Colour::White, n, rng);
            filter(
                &mut x,
                Filter::Peak(rng.range(3.0, 10.0)),
                rng.range(3000.0, 8000.0),
                0.7,
                1,
            );
            filter(&mut x, Filter::Highpass, rng.range(100.0, 800.0), 0.707, 1);
            wobble(&mut x, rng.range(0.5, 4.0), rng.range(0.0, 1.5), rng);
            set_rms(&mut x, 1.0);
            if rng.chance(0.5) {
                let mains = *rng.pick(&[50.0, 60.0]);
                mix_into(
                    &mut x,
                    &tone(Wave::Sine, mains, n, 0.0),
                    db(rng.range(-40.0, -15.0)),
                );
            }
        }
        _ => {
            // AM static: band-limited hiss, crackle bursts, a heterodyne whistle.
            x = noise(Colour::White, n, rng);
            filter(&mut x, Filter::Lowpass, rng.range(3000.0, 5000.0), 0.707, 2);
            wobble(&mut x, rng.range(0.5, 5.0), rng.range(1.0, 6.0), rng);
            for _ in 0..rng.int(5, 80) {
                let at = rng.below(n);
                let b = burst(
                    rng.range(500.0, 4000.0),
                    0.7,
                    rng.range(0.005, 0.1),
                    0.3,
                    rng,
                );
                add_at(&mut x, &b, at, rng.range(2.0, 15.0));
            }
            if rng.chance(0.5) {
                let f0 = rng.range(500.0, 4000.0);
                let glide = slow_random(n, 0.2, rng);
                let mut o = super::dsp::Osc::new(0.0);
                let w: Vec<f32> = glide
                    .iter()
                    .map(|g| o.tick(Wave::Sine, f0 * (1.0 + 0.2 * f64::from(*g))))
                    .collect();
                set_rms(&mut x, 1.0);
                mix_into(&mut x, &w, db(rng.range(-25.0, -8.0)));
            }
        }
    }
    set_rms(&mut x, 1.0);
    Generated::synth(x, variant.to_string())
}

/// Room tone: rumble, air, sometimes a fan, a fridge or distant traffic.
/// RMS 1. Used as the floor under sparse kinds, too.
pub fn room_bed(rng: &mut Rng, n: usize) -> (Vec<f32>, String) {
    let mut x = noise(Colour::Brown, n, rng);
    filter(&mut x, Filter::Lowpass, rng.range(200.0, 800.0), 0.707, 1);
    set_rms(&mut x, 1.0);
    let mut air = noise(Colour::Pink, n, rng);
    filter(
        &mut air,
        Filter::Lowpass,
        rng.range(1000.0, 6000.0),
        0.707,
        1,
    );
    set_rms(&mut air, 1.0);
    mix_into(&mut x, &air, db(rng.range(-15.0, 3.0)));
    let mut parts = vec!["room"];
    if rng.chance(0.4) {
        // HVAC: blade-pass tone with harmonics, plus a band of rushing air.
        let blade = rng.range(60.0, 200.0);
        let mut fan = vec![0.0f32; n];
        let wob = slow_random(n, 0.3, rng);
        for h in 1..=4 {
            let mut o = super::dsp::Osc::new(rng.f64());
            for (v, w) in fan.iter_mut().zip(&wob) {
                *v += o.tick(
                    Wave::Sine,
                    blade * f64::from(h) * (1.0 + 0.003 * f64::from(*w)),
                ) / h as f32;
            }
        }
        set_rms(&mut fan, 1.0);
        mix_into(&mut x, &fan, db(rng.range(-25.0, -8.0)));
        let mut rush = noise(Colour::Pink, n, rng);
        filter(
            &mut rush,
            Filter::Bandpass,
            rng.range(300.0, 1200.0),
            0.8,
            1,
        );
        set_rms(&mut rush, 1.0);
        mix_into(&mut x, &rush, db(rng.range(-10.0, 0.0)));
        parts.push("hvac");
    }
    if rng.chance(0.2) {
        let mains = *rng.pick(&[50.0, 60.0]);
        let mut fridge = tone(Wave::Sine, 2.0 * mains, n, 0.0);
        mix_into(&mut fridge, &tone(Wave::Sine, 4.0 * mains, n, 0.0), 0.3);
        mix_into(&mut x, &fridge, db(rng.range(-30.0, -12.0)));
        parts.push("fridge");
    }
    if rng.chance(0.2) {
        let mut traffic = noise(Colour::Brown, n, rng);
        filter(
            &mut traffic,
            Filter::Lowpass,
            rng.range(150.0, 500.0),
            0.707,
            1,
        );
        wobble(
            &mut traffic,
            rng.range(0.05, 0.2),
            rng.range(4.0, 12.0),
            rng,
        );
        set_rms(&mut traffic, 1.0);
        mix_into(&mut x, &traffic, db(rng.range(-10.0, 3.0)));
        parts.push("traffic");
    }
    wobble(&mut x, rng.range(0.05, 0.3), rng.range(0.0, 2.0), rng);
    set_rms(&mut x, 1.0);
    (x, parts.join("+"))
}

/// Room tone on its own.
pub fn room_tone(rng: &mut Rng, n: usize) -> Generated {
    let (x, d) = room_bed(rng, n);
    Generated::synth(x, d)
}

/// Quiet material for the near-silent kind (the chain sets its low level).
pub fn near_silence(rng: &mut Rng, n: usize) -> Generated {
    let variant = *rng.pick(&["room", "hiss", "room_events"]);
    let (mut x, d) = match variant {
        "hiss" => {
            let mut x = noise(Colour::White, n, rng);
            filter(&mut x, Filter::Highpass, rng.range(500.0, 3000.0), 0.707, 1);
            set_rms(&mut x, 1.0);
            (x, "hiss".to_string())
        }
        _ => room_bed(rng, n),
    };
    if variant == "room_events" {
        // Faint, muffled things in another room.
        for _ in 0..rng.int(2, 12) {
            let at = rng.below(n);
            let mut b = burst(rng.range(100.0, 600.0), 1.0, rng.range(0.01, 0.2), 0.6, rng);
            filter(&mut b, Filter::Lowpass, 800.0, 0.707, 1);
            let r = super::dsp::rms(&b).max(1e-9);
            add_at(&mut x, &b, at, db(rng.range(-6.0, 6.0)) / r);
        }
    }
    set_rms(&mut x, 1.0);
    Generated::synth(x, format!("{variant};{d}"))
}

#[cfg(test)]
mod tests {
    use super::super::dsp::tests::slope_db_per_octave;
    use super::*;

    #[test]
    fn noise_kinds_keep_their_colour_families() {
        // Without band-pass or swell the slope must be the colour's; held-out
        // bright noise always rises, trained noise never does.
        for seed in 0..30 {
            let g = noise_bright(&mut Rng::new(seed), secs(8.0));
            let s = slope_db_per_octave(&g.audio);
            if !g.detail.contains("bp") {
                assert!(s > 2.0, "{}: {s:.2}", g.detail);
            }
            let g = noise_colour(&mut Rng::new(seed), secs(8.0));
            let s = slope_db_per_octave(&g.audio);
            if !g.detail.contains("bp") {
                assert!(s < 1.0, "{}: {s:.2}", g.detail);
            }
        }
    }
}
