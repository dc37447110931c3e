//! Impulsive non-music: metronomes, ticking clocks and relays, typing,
//! synthetic footsteps and applause. Each lies over room tone, so no window
//! is digital silence.

use super::dsp::log_range;
use super::dsp::{
    Colour, Filter, SR_F, Wave, add_at, burst, db, envelope, filter, mix_into, noise, ping, rms,
    secs, set_rms, tone,
};
use super::kinds::Generated;
use super::noises::room_bed;
use crate::corpus::rng::Rng;

/// Normalises the events to RMS 1 and puts room tone `floor_db` under them.
fn over_room(mut x: Vec<f32>, floor_db: f64, rng: &mut Rng) -> (Vec<f32>, String) {
    set_rms(&mut x, 1.0);
    let (bed, d) = room_bed(rng, x.len());
    mix_into(&mut x, &bed, db(floor_db));
    (x, d)
}

/// One metronome click of `timbre`; `accent` raises pitch and level.
fn click(rng: &mut Rng, timbre: &str, f: f64, accent: bool) -> Vec<f32> {
    let f = if accent { f * 1.5 } else { f };
    let mut c = match timbre {
        "woodblock" => {
            let mut p = ping(f, 0.015, 0.08);
            mix_into(&mut p, &burst(f * 1.1, 8.0, 0.01, 0.05, rng), 0.5);
            p
        }
        "beep" => {
            let mut b = tone(Wave::Sine, f, secs(0.05), 0.0);
            envelope(&mut b, 0.002, 0.01);
            b
        }
        "electronic" => {
            let mut b = tone(Wave::Square, f, secs(0.02), 0.0);
            envelope(&mut b, 0.001, 0.008);
            b
        }
        "mechanical" => {
            let mut p = burst(f * 2.0, 2.0, 0.002, 0.03, rng);
            mix_into(&mut p, &ping(f * 2.7, 0.02, 0.06), 0.3);
            p
        }
        _ => burst(f * 2.0, 0.8, 0.0015, 0.01, rng),
    };
    if accent {
        c.iter_mut().for_each(|v| *v *= 1.6);
    }
    c
}

/// Metronomes: 40–220 bpm, accents, subdivisions, several timbres.
pub fn metronome(rng: &mut Rng, n: usize) -> Generated {
    let timbre = *rng.pick(&["woodblock", "beep", "click", "electronic", "mechanical"]);
    let mut bpm = rng.range(40.0, 220.0).round();
    let first_bpm = bpm;
    let accent_every = *rng.pick(&[0, 0, 2, 3, 4, 4, 5, 6, 7]);
    let subdiv = *rng.weighted(&[(1, 0.8), (2, 0.1), (3, 0.05), (4, 0.05)]);
    let f = match timbre {
        "beep" | "electronic" => log_range(rng, 600.0, 2000.0),
        _ => log_range(rng, 500.0, 1800.0),
    };
    let jitter = if timbre == "mechanical" { 0.002 } else { 0.0 };
    // A small bank of clicks so mechanical/noisy clicks vary a little.
    let bank: Vec<(Vec<f32>, Vec<f32>)> = (0..4)
        .map(|_| (click(rng, timbre, f, false), click(rng, timbre, f, true)))
        .collect();
    let mut x = vec![0.0f32; n];
    let mut t = -rng.range(0.0, 60.0 / bpm);
    let mut beat = rng.below(accent_every.max(1));
    let mut changed = false;
    while t < n as f64 / SR_F {
        for s in 0..subdiv {
            let ts = t + s as f64 * 60.0 / bpm / subdiv as f64 + rng.normal() * jitter;
            if ts < 0.0 {
                continue;
            }
            let accent = s == 0 && accent_every > 0 && beat.is_multiple_of(accent_every);
            let (plain, acc) = &bank[rng.below(bank.len())];
            let g = if s == 0 { 1.0 } else { 0.4 };
            add_at(&mut x, if accent { acc } else { plain }, secs(ts), g);
        }
        beat += 1;
        t += 60.0 / bpm;
        if !changed && rng.chance(0.004) {
            // Someone sets a new tempo: a pause, then the new beat.
            changed = true;
            t += rng.range(0.5, 3.0);
            bpm = rng.range(40.0, 220.0).round();
        }
    }
    let (x, room) = over_room(x, rng.range(-45.0, -25.0), rng);
    let mut g = Generated::synth(
        x,
        format!(
            "{timbre};{first_bpm}bpm;accent{accent_every};sub{subdiv}{};{room}",
            if changed {
                format!(";then{bpm}bpm")
            } else {
                String::new()
            }
        ),
    );
    g.tempo_bpm = Some(first_bpm);
    g
}

/// Held out: clocks, indicator relays, Geiger counters, drips, bouncing balls.
pub fn ticks(rng: &mut Rng, n: usize) -> Generated {
    let variant = *rng.pick(&["clock", "relay", "geiger", "drip", "bounce"]);
    let mut x = vec![0.0f32; n];
    let mut tempo = None;
    match variant {
        "clock" | "relay" => {
            let period = if variant == "clock" {
                *rng.pick(&[1.0, 0.5, 0.4, 0.25])
            } else {
                60.0 / rng.range(60.0, 120.0)
            };
            tempo = Some((60.0 / period * 10.0f64).round() / 10.0);
            let f = log_range(rng, 1500.0, 5000.0);
            let tick = burst(f, 3.0, 0.002, 0.03, rng);
            let mut tock = burst(f * rng.range(0.6, 0.9), 3.0, 0.003, 0.03, rng);
            mix_into(&mut tock, &ping(f * 0.4, 0.01, 0.04), 0.3);
            let duty = rng.range(0.4, 0.6);
            let mut t = rng.range(0.0, period);
            let mut k = 0;
            while secs(t) < n {
                let ev = if k % 2 == 0 { &tick } else { &tock };
                add_at(&mut x, ev, secs(t + rng.normal() * 0.001), 1.0);
                // Relays click on and off within one period; clocks alternate.
                if variant == "relay" {
                    add_at(&mut x, &tock, secs(t + period * duty), 0.7);
                }
                t += period;
                k += 1;
            }
        }
        "geiger" => {
            let rate = log_range(rng, 0.5, 60.0);
            let click = burst(rng.range(2000.0, 5000.0), 1.0, 0.001, 0.01, rng);
            let swing = super::dsp::slow_random(n, 0.1, rng);
            let mut t = 0.0;
            loop {
                let i = secs(t);
                if i >= n {
                    break;
                }
                add_at(&mut x, &click, i, rng.range(0.7, 1.0));
                let r = rate * db(10.0 * f64::from(swing[i]));
                t += -rng.f64().max(1e-12).ln() / r;
            }
        }
        "drip" => {
            let period = rng.range(0.4, 3.0);
            let f = log_range(rng, 500.0, 2500.0);
            let mut t = rng.range(0.0, period);
            while secs(t) < n {
                // A drop's "bloop": a rising ping.
                let len = secs(0.06);
                let f1 = f * rng.range(0.9, 1.1);
                let d: Vec<f32> = (0..len)
                    .map(|i| {
                        let u = i as f64 / SR_F;
                        ((2.0 * std::f64::consts::PI * f1 * u * (1.0 + 8.0 * u)).sin()
                            * (-u / 0.012).exp()) as f32
                    })
                    .collect();
                add_at(&mut x, &d, secs(t), rng.range(0.6, 1.0));
                t += period * rng.range(0.8, 1.2);
            }
        }
        _ => {
            let hit = burst(rng.range(300.0, 1500.0), 2.0, 0.006, 0.05, rng);
            let mut t = rng.range(0.0, 2.0);
            while secs(t) < n {
                let mut gap = rng.range(0.3, 0.8);
                let mut g = 1.0;
                while gap > 0.02 && secs(t) < n {
                    add_at(&mut x, &hit, secs(t), g);
                    t += gap;
                    gap *= rng.range(0.7, 0.85);
                    g *= 0.85;
                }
                t += rng.range(1.0, 5.0);
            }
        }
    }
    let (x, room) = over_room(x, rng.range(-45.0, -25.0), rng);
    let mut g = Generated::synth(x, format!("{variant};{room}"));
    g.tempo_bpm = tempo;
    g
}

/// Held out: typing on a keyboard, in bursts, with the odd mouse click.
pub fn typing(rng: &mut Rng, n: usize) -> Generated {
    let board = *rng.pick(&["mechanical", "laptop", "membrane"]);
    let (f_click, tau, body_f) = match board {
        "mechanical" => (rng.range(2500.0, 5000.0), 0.004, rng.range(250.0, 500.0)),
        "laptop" => (rng.range(1500.0, 3000.0), 0.002, rng.range(400.0, 800.0)),
        _ => (rng.range(1000.0, 2500.0), 0.003, rng.range(200.0, 400.0)),
    };
    let keys: Vec<Vec<f32>> = (0..16)
        .map(|_| {
            let mut k = burst(f_click * rng.range(0.8, 1.25), 1.5, tau, 0.03, rng);
            mix_into(
                &mut k,
                &burst(body_f * rng.range(0.8, 1.2), 3.0, 0.012, 0.05, rng),
                0.8,
            );
            k
        })
        .collect();
    let space = {
        let mut k = burst(body_f * 0.7, 2.0, 0.02, 0.08, rng);
        mix_into(&mut k, &burst(f_click, 1.5, tau, 0.03, rng), 0.6);
        k
    };
    let mean_gap = rng.range(0.09, 0.25);
    let mut x = vec![0.0f32; n];
    let mut t = rng.range(0.0, 1.0);
    while secs(t) < n {
        // A burst of words, then a pause to think.
        for _ in 0..rng.int(2, 15) {
            for _ in 0..rng.int(2, 9) {
                let g = rng.range(0.5, 1.0);
                add_at(&mut x, &keys[rng.below(keys.len())], secs(t), g);
                if board == "mechanical" {
                    add_at(
                        &mut x,
                        &keys[rng.below(keys.len())],
                        secs(t + rng.range(0.05, 0.1)),
                        g * 0.4,
                    );
                }
                t += mean_gap * (0.5 * rng.normal()).exp();
            }
            add_at(&mut x, &space, secs(t), rng.range(0.6, 1.0));
            t += mean_gap * (0.5 * rng.normal()).exp() * 1.3;
        }
        if rng.chance(0.3) {
            let mouse = burst(rng.range(2000.0, 4000.0), 2.0, 0.002, 0.02, rng);
            let at = t + rng.range(0.2, 1.0);
            add_at(&mut x, &mouse, secs(at), 0.6);
            add_at(&mut x, &mouse, secs(at + rng.range(0.06, 0.12)), 0.4);
        }
        t += rng.range(0.4, 4.0);
    }
    let (x, room) = over_room(x, rng.range(-40.0, -22.0), rng);
    Generated::synth(x, format!("{board};{:.0}ms;{room}", mean_gap * 1000.0))
}

/// One synthetic footstep on `surface`: heel thump, then toe scuff.
pub fn synth_step(rng: &mut Rng, surface: &str) -> Vec<f32> {
    let (thump_f, scuff_f, scuff_tau) = match surface {
        "hard" => (rng.range(100.0, 180.0), rng.range(2000.0, 5000.0), 0.01),
        "soft" => (rng.range(70.0, 120.0), rng.range(600.0, 1500.0), 0.02),
        _ => (rng.range(80.0, 140.0), rng.range(1500.0, 4000.0), 0.06),
    };
    let mut s = ping(thump_f, 0.03, 0.25);
    mix_into(&mut s, &burst(thump_f * 3.0, 1.0, 0.015, 0.1, rng), 0.8);
    let scuff = burst(scuff_f, 1.0, scuff_tau, 0.25, rng);
    add_at(&mut s, &scuff, secs(rng.range(0.05, 0.12)), 0.5);
    s
}

/// Applause: many independent clappers, swelling and fading, sometimes
/// whistles, over the murmur of the audience.
pub fn applause(rng: &mut Rng, n: usize) -> Generated {
    let clappers = log_range(rng, 5.0, 300.0) as usize;
    // Each clapper has a hand shape (its band) and a pace.
    let bank: Vec<Vec<f32>> = (0..32)
        .map(|_| {
            burst(
                log_range(rng, 700.0, 2800.0),
                rng.range(0.8, 3.0),
                rng.range(0.003, 0.01),
                0.04,
                rng,
            )
        })
        .collect();
    let mut claps = vec![0.0f32; n];
    for _ in 0..clappers {
        let sound = rng.below(bank.len());
        let rate = rng.range(2.5, 6.0);
        let level = rng.range(0.2, 1.0);
        let mut t = rng.range(0.0, 1.0 / rate);
        while secs(t) < n {
            add_at(
                &mut claps,
                &bank[sound],
                secs(t),
                level * rng.range(0.7, 1.0),
            );
            t += (1.0 / rate) * (1.0 + 0.15 * rng.normal());
        }
    }
    // Envelope: one or two rounds of applause.
    let rounds = if rng.chance(0.6) { 1 } else { 2 };
    let mut env = vec![0.05f32; n];
    let mut start = if rng.chance(0.5) {
        -rng.range(0.0, 10.0)
    } else {
        rng.range(0.0, 5.0)
    };
    for _ in 0..rounds {
        let (rise, hold, fall) = (
            rng.range(0.5, 2.0),
            rng.range(4.0, 20.0),
            rng.range(1.5, 6.0),
        );
        for (i, e) in env.iter_mut().enumerate() {
            let u = i as f64 / SR_F - start;
            let g = if u < 0.0 {
                0.0
            } else if u < rise {
                u / rise
            } else if u < rise + hold {
                1.0
            } else {
                (-(u - rise - hold) / (fall / 3.0)).exp()
            };
            *e = e.max(g as f32);
        }
        start += rise + hold + fall + rng.range(2.0, 8.0);
    }
    for (c, e) in claps.iter_mut().zip(&env) {
        *c *= e;
    }
    set_rms(&mut claps, 1.0);
    let mut murmur = noise(Colour::Pink, n, rng);
    filter(
        &mut murmur,
        Filter::Bandpass,
        rng.range(300.0, 900.0),
        0.7,
        1,
    );
    set_rms(&mut murmur, 1.0);
    mix_into(&mut claps, &murmur, db(rng.range(-30.0, -12.0)));
    let mut detail = format!("{clappers}clappers;{rounds}rounds");
    if rng.chance(0.3) {
        for _ in 0..rng.int(1, 6) {
            let len = secs(rng.range(0.3, 1.0));
            let f0 = rng.range(1500.0, 3000.0);
            let mut o = super::dsp::Osc::new(0.0);
            let mut w: Vec<f32> = (0..len)
                .map(|i| o.tick(Wave::Sine, f0 * (1.0 + 0.3 * (i as f64 / len as f64))))
                .collect();
            envelope(&mut w, 0.05, 0.1);
            let at = rng.below(n);
            add_at(
                &mut claps,
                &w,
                at,
                db(rng.range(-12.0, 0.0)) * env[at] as f64,
            );
        }
        detail.push_str(";whistles");
    }
    let (x, room) = over_room(claps, rng.range(-40.0, -25.0), rng);
    debug_assert!(rms(&x) > 0.0);
    Generated::synth(x, format!("{detail};{room}"))
}
