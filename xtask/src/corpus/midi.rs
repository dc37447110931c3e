//! Standard MIDI File writing, reading and merging.
//!
//! Our own arrangements are built as [`Part`]s (notes in beats) and written as
//! SMF type 1. MMA's output is read back with [`parse_smf`] so that we can
//! re-voice its instruments (program swaps within a family, drum kits) and add
//! our melody/lead/vocal parts on free channels before a single FluidSynth
//! render. Hand-rolled because the format subset we need is tiny.

use anyhow::{Context, Result, bail};

/// Ticks per quarter note for files we write from scratch.
pub const PPQ: u16 = 480;

/// One note; times in beats (quarter notes) from the song start.
#[derive(Clone, Debug, PartialEq)]
pub struct Note {
    /// Onset in beats.
    pub beat: f64,
    /// Duration in beats.
    pub len: f64,
    /// MIDI key.
    pub key: u8,
    /// MIDI velocity 1..=127.
    pub vel: u8,
}

/// One instrument part on one channel.
#[derive(Clone, Debug)]
pub struct Part {
    /// Track name (helps when debugging a render).
    pub name: String,
    /// MIDI channel 0..=15; 9 is the GM drum channel.
    pub channel: u8,
    /// GM program (or drum kit number on channel 9).
    pub program: u8,
    /// CC7 channel volume.
    pub volume: u8,
    /// CC10 pan.
    pub pan: u8,
    /// CC91 reverb send (FluidSynth's internal reverb).
    pub reverb: u8,
    /// Notes of the part.
    pub notes: Vec<Note>,
    /// Pitch-bend events (beat, value −8192..=8191): blues bends, 808 glides.
    pub bends: Vec<(f64, i16)>,
    /// Pitch-bend range in semitones (808 glides need an octave).
    pub bend_range: u8,
}

impl Part {
    /// A part with neutral mixer settings.
    pub fn new(name: &str, channel: u8, program: u8) -> Self {
        Part {
            name: name.to_string(),
            channel,
            program,
            volume: 100,
            pan: 64,
            reverb: 40,
            notes: Vec::new(),
            bends: Vec::new(),
            bend_range: 2,
        }
    }

    /// Adds a note, clamping key and velocity into MIDI range.
    pub fn note(&mut self, beat: f64, len: f64, key: i32, vel: i32) {
        if len <= 0.0 || beat < 0.0 {
            return;
        }
        self.notes.push(Note {
            beat,
            len,
            key: key.clamp(0, 127) as u8,
            vel: vel.clamp(1, 127) as u8,
        });
    }
}

/// A raw track: absolute tick and the complete event bytes (status included;
/// meta events as `FF type data…`, the length is added on writing).
pub type RawTrack = Vec<(u32, Vec<u8>)>;

fn event_order(ev: &[u8]) -> u8 {
    match ev.first().map(|s| s & 0xF0) {
        Some(0x80) => 1,
        Some(0x90) if ev.get(2) == Some(&0) => 1,
        Some(0x90) => 2,
        _ => 0,
    }
}

/// Converts a part into raw events at `ppq`, including its setup controllers.
pub fn part_events(part: &Part, ppq: u16) -> RawTrack {
    let t = |beat: f64| (beat.max(0.0) * f64::from(ppq)).round() as u32;
    let ch = part.channel & 0x0F;
    let mut ev: RawTrack = vec![(0, {
        let mut m = vec![0xFF, 0x03];
        m.extend_from_slice(part.name.as_bytes());
        m
    })];
    // Bank 0 for melodic parts; drum kits are chosen by program on channel 10.
    ev.push((0, vec![0xB0 | ch, 0, 0]));
    ev.push((0, vec![0xC0 | ch, part.program & 0x7F]));
    ev.push((0, vec![0xB0 | ch, 7, part.volume & 0x7F]));
    ev.push((0, vec![0xB0 | ch, 10, part.pan & 0x7F]));
    ev.push((0, vec![0xB0 | ch, 91, part.reverb & 0x7F]));
    if part.bend_range != 2 {
        // RPN 0,0 = pitch-bend sensitivity
        ev.push((0, vec![0xB0 | ch, 101, 0]));
        ev.push((0, vec![0xB0 | ch, 100, 0]));
        ev.push((0, vec![0xB0 | ch, 6, part.bend_range & 0x7F]));
        ev.push((0, vec![0xB0 | ch, 38, 0]));
    }
    for n in &part.notes {
        let on = t(n.beat);
        let off = t(n.beat + n.len).max(on + 1);
        ev.push((on, vec![0x90 | ch, n.key & 0x7F, n.vel.clamp(1, 127)]));
        ev.push((off, vec![0x80 | ch, n.key & 0x7F, 0]));
    }
    for &(b, v) in &part.bends {
        let u = (i32::from(v) + 8192).clamp(0, 16383) as u16;
        ev.push((t(b), vec![0xE0 | ch, (u & 0x7F) as u8, (u >> 7) as u8]));
    }
    ev
}

/// A tempo track (tempo, time signature, name).
pub fn tempo_track(bpm: f64, beats_per_bar: u8) -> RawTrack {
    let us = (60_000_000.0 / bpm).round() as u32;
    vec![
        (0, vec![0xFF, 0x03, b'S', b'o', b'n', b'g']),
        (
            0,
            vec![0xFF, 0x51, (us >> 16) as u8, (us >> 8) as u8, us as u8],
        ),
        (0, vec![0xFF, 0x58, beats_per_bar, 2, 24, 8]),
    ]
}

fn write_vlq(out: &mut Vec<u8>, mut v: u32) {
    let mut buf = [0u8; 5];
    let mut i = 4;
    buf[i] = (v & 0x7F) as u8;
    v >>= 7;
    while v > 0 {
        i -= 1;
        buf[i] = 0x80 | (v & 0x7F) as u8;
        v >>= 7;
    }
    out.extend_from_slice(&buf[i..]);
}

/// Writes an SMF type 1 file. Events are sorted stably by tick with
/// controllers first and note-offs before note-ons, so a repeated key at the
/// same tick is not cut off by its predecessor's note-off.
pub fn write_smf(ppq: u16, tracks: &[RawTrack]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"MThd");
    out.extend_from_slice(&6u32.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&(tracks.len() as u16).to_be_bytes());
    out.extend_from_slice(&ppq.to_be_bytes());
    for tr in tracks {
        let mut evs: Vec<&(u32, Vec<u8>)> = tr.iter().collect();
        evs.sort_by_key(|(t, e)| (*t, event_order(e)));
        let mut body = Vec::new();
        let mut last = 0u32;
        for (t, e) in evs {
            if e.first() == Some(&0xFF) && e.get(1) == Some(&0x2F) {
                continue; // we write our own end-of-track
            }
            write_vlq(&mut body, t - last);
            last = *t;
            if e[0] == 0xFF {
                body.push(0xFF);
                body.push(e[1]);
                write_vlq(&mut body, (e.len() - 2) as u32);
                body.extend_from_slice(&e[2..]);
            } else if e[0] == 0xF0 || e[0] == 0xF7 {
                body.push(e[0]);
                write_vlq(&mut body, (e.len() - 1) as u32);
                body.extend_from_slice(&e[1..]);
            } else {
                body.extend_from_slice(e);
            }
        }
        body.extend_from_slice(&[0x00, 0xFF, 0x2F, 0x00]);
        out.extend_from_slice(b"MTrk");
        out.extend_from_slice(&(body.len() as u32).to_be_bytes());
        out.extend_from_slice(&body);
    }
    out
}

/// Parses an SMF (type 0 or 1) into its PPQ and raw tracks with absolute ticks
/// and running status expanded. End-of-track metas are dropped.
pub fn parse_smf(data: &[u8]) -> Result<(u16, Vec<RawTrack>)> {
    if data.len() < 14 || &data[0..4] != b"MThd" {
        bail!("not a MIDI file (no MThd)");
    }
    let hlen = u32::from_be_bytes(data[4..8].try_into()?) as usize;
    let ntracks = u16::from_be_bytes(data[10..12].try_into()?);
    let ppq = u16::from_be_bytes(data[12..14].try_into()?);
    if ppq & 0x8000 != 0 {
        bail!("SMPTE time division is not supported");
    }
    let mut p = 8 + hlen;
    let mut tracks = Vec::new();
    for _ in 0..ntracks {
        let head = data.get(p..p + 8).context("truncated track header")?;
        if &head[0..4] != b"MTrk" {
            bail!("expected MTrk at byte {p}");
        }
        let len = u32::from_be_bytes(head[4..8].try_into()?) as usize;
        let tr = data.get(p + 8..p + 8 + len).context("truncated track")?;
        p += 8 + len;
        tracks.push(parse_track(tr)?);
    }
    Ok((ppq, tracks))
}

fn parse_track(tr: &[u8]) -> Result<RawTrack> {
    let mut i = 0usize;
    let mut tick = 0u32;
    let mut running = 0u8;
    let mut out = Vec::new();
    let byte = |i: usize| tr.get(i).copied().context("truncated event");
    let vlq = |i: &mut usize| -> Result<u32> {
        let mut v = 0u32;
        for _ in 0..4 {
            let b = byte(*i)?;
            *i += 1;
            v = (v << 7) | u32::from(b & 0x7F);
            if b < 0x80 {
                return Ok(v);
            }
        }
        bail!("bad variable-length quantity")
    };
    while i < tr.len() {
        tick += vlq(&mut i)?;
        let b = byte(i)?;
        if b == 0xFF {
            let typ = byte(i + 1)?;
            i += 2;
            let l = vlq(&mut i)? as usize;
            let d = tr.get(i..i + l).context("truncated meta")?;
            i += l;
            if typ != 0x2F {
                let mut e = vec![0xFF, typ];
                e.extend_from_slice(d);
                out.push((tick, e));
            }
        } else if b == 0xF0 || b == 0xF7 {
            i += 1;
            let l = vlq(&mut i)? as usize;
            let d = tr.get(i..i + l).context("truncated sysex")?;
            i += l;
            let mut e = vec![b];
            e.extend_from_slice(d);
            out.push((tick, e));
        } else {
            if b & 0x80 != 0 {
                running = b;
                i += 1;
            } else if running == 0 {
                bail!("data byte without status");
            }
            let n = if matches!(running & 0xF0, 0xC0 | 0xD0) {
                1
            } else {
                2
            };
            let d = tr.get(i..i + n).context("truncated channel event")?;
            i += n;
            let mut e = vec![running];
            e.extend_from_slice(d);
            out.push((tick, e));
        }
    }
    Ok(out)
}

/// Channels (0-based) that carry any channel event.
pub fn used_channels(tracks: &[RawTrack]) -> [bool; 16] {
    let mut used = [false; 16];
    for tr in tracks {
        for (_, e) in tr {
            if e[0] < 0xF0 {
                used[usize::from(e[0] & 0x0F)] = true;
            }
        }
    }
    used
}

/// Rewrites every program change through `remap(channel, program)`.
pub fn remap_programs(tracks: &mut [RawTrack], mut remap: impl FnMut(u8, u8) -> u8) {
    for tr in tracks {
        for (_, e) in tr.iter_mut() {
            if e[0] & 0xF0 == 0xC0 && e.len() == 2 {
                e[1] = remap(e[0] & 0x0F, e[1]) & 0x7F;
            }
        }
    }
}

/// Multiplies every note-on velocity of channel `c` by `gains[c]` (0 mutes
/// the channel: its notes are removed, their note-offs stay harmless).
pub fn scale_velocities(tracks: &mut [RawTrack], gains: &[f64; 16]) {
    for tr in tracks {
        tr.retain_mut(|(_, e)| {
            if e[0] & 0xF0 != 0x90 || e.len() != 3 || e[2] == 0 {
                return true;
            }
            let g = gains[usize::from(e[0] & 0x0F)];
            if g <= 0.0 {
                return false;
            }
            e[2] = (f64::from(e[2]) * g).round().clamp(1.0, 127.0) as u8;
            true
        });
    }
}

/// Last tick of any event (the song's length).
pub fn last_tick(tracks: &[RawTrack]) -> u32 {
    tracks
        .iter()
        .flat_map(|t| t.iter().map(|e| e.0))
        .max()
        .unwrap_or(0)
}

/// The first GM program of each channel (None where a channel never gets one).
pub fn channel_programs(tracks: &[RawTrack]) -> [Option<u8>; 16] {
    let mut first: [Option<(u32, u8)>; 16] = [None; 16];
    for tr in tracks {
        for (t, e) in tr {
            if e[0] & 0xF0 == 0xC0 && e.len() == 2 {
                let c = usize::from(e[0] & 0x0F);
                if first[c].is_none_or(|(t0, _)| *t < t0) {
                    first[c] = Some((*t, e[1]));
                }
            }
        }
    }
    first.map(|f| f.map(|(_, p)| p))
}

/// The first pan (CC10) of each channel, as −1 (left) … 1 (right).
pub fn channel_pans(tracks: &[RawTrack]) -> [f64; 16] {
    let mut pans: [Option<(u32, u8)>; 16] = [None; 16];
    for tr in tracks {
        for (t, e) in tr {
            if e[0] & 0xF0 == 0xB0 && e.len() == 3 && e[1] == 10 {
                let c = usize::from(e[0] & 0x0F);
                if pans[c].is_none_or(|(t0, _)| *t < t0) {
                    pans[c] = Some((*t, e[2]));
                }
            }
        }
    }
    pans.map(|p| {
        p.map_or(0.0, |(_, v)| {
            ((f64::from(v) - 64.0) / 63.0).clamp(-1.0, 1.0)
        })
    })
}

/// Number of note-ons per channel.
pub fn note_counts(tracks: &[RawTrack]) -> [usize; 16] {
    let mut n = [0usize; 16];
    for tr in tracks {
        for (_, e) in tr {
            if e[0] & 0xF0 == 0x90 && e.len() == 3 && e[2] > 0 {
                n[usize::from(e[0] & 0x0F)] += 1;
            }
        }
    }
    n
}

/// Keeps meta/sysex events and the channel events of channels where
/// `keep[c]` is true.
pub fn select_channels(tracks: &[RawTrack], keep: &[bool; 16]) -> Vec<RawTrack> {
    tracks
        .iter()
        .map(|tr| {
            tr.iter()
                .filter(|(_, e)| e[0] >= 0xF0 || keep[usize::from(e[0] & 0x0F)])
                .cloned()
                .collect()
        })
        .collect()
}

/// Moves every channel event of channel `from` to channel `to`.
pub fn move_channel(tracks: &mut [RawTrack], from: u8, to: u8) {
    for tr in tracks {
        for (_, e) in tr.iter_mut() {
            if e[0] < 0xF0 && e[0] & 0x0F == from {
                e[0] = (e[0] & 0xF0) | (to & 0x0F);
            }
        }
    }
}

/// Sets channel `ch` to `program` for the whole song (bank 0): every program
/// change is rewritten and one is added at tick 0.
pub fn set_program(tracks: &mut Vec<RawTrack>, ch: u8, program: u8) {
    for tr in tracks.iter_mut() {
        for (_, e) in tr.iter_mut() {
            if e[0] == 0xC0 | ch && e.len() == 2 {
                e[1] = program & 0x7F;
            }
            if e[0] == 0xB0 | ch && e.len() == 3 && (e[1] == 0 || e[1] == 32) {
                e[2] = 0;
            }
        }
    }
    tracks.push(vec![
        (0, vec![0xB0 | ch, 0, 0]),
        (0, vec![0xC0 | ch, program & 0x7F]),
    ]);
}

/// Removes the note-ons of the channels in `mask` that start in
/// `[t0, t1)` ticks and sends all-notes-off at `t0`, so those channels fall
/// silent for the stretch.
pub fn mute_range(tracks: &mut Vec<RawTrack>, mask: &[bool; 16], t0: u32, t1: u32) {
    for tr in tracks.iter_mut() {
        tr.retain(|(t, e)| {
            let on = e[0] & 0xF0 == 0x90 && e.len() == 3 && e[2] > 0;
            !(on && mask[usize::from(e[0] & 0x0F)] && *t >= t0 && *t < t1)
        });
    }
    let offs: RawTrack = (0u8..16)
        .filter(|&c| mask[usize::from(c)])
        .flat_map(|c| [(t0, vec![0xB0 | c, 64, 0]), (t0, vec![0xB0 | c, 123, 0])])
        .collect();
    tracks.push(offs);
}

/// Cuts a song to `[t0, t1)` ticks and shifts it to start at 0: controller,
/// program and meta events before `t0` move to 0 (in order, so the latest
/// state wins), notes sounding across `t0` restart at 0, later notes are
/// dropped and notes sounding past `t1` end there.
pub fn trim(tracks: &[RawTrack], t0: u32, t1: u32) -> Vec<RawTrack> {
    tracks
        .iter()
        .map(|tr| {
            let mut evs: Vec<(u32, Vec<u8>)> = tr.clone();
            evs.sort_by_key(|(t, e)| (*t, event_order(e)));
            // pair note-ons with their note-offs
            let mut open: std::collections::HashMap<(u8, u8), Vec<usize>> =
                std::collections::HashMap::new();
            let mut end_of: Vec<Option<u32>> = vec![None; evs.len()];
            for (i, (t, e)) in evs.iter().enumerate() {
                let kind = e[0] & 0xF0;
                if e[0] >= 0xF0 || e.len() != 3 || !(kind == 0x80 || kind == 0x90) {
                    continue;
                }
                let k = (e[0] & 0x0F, e[1]);
                if kind == 0x90 && e[2] > 0 {
                    open.entry(k).or_default().push(i);
                } else if let Some(j) = open.get_mut(&k).and_then(|v| {
                    if v.is_empty() {
                        None
                    } else {
                        Some(v.remove(0))
                    }
                }) {
                    end_of[j] = Some(*t);
                }
            }
            let mut out = Vec::new();
            let mut keep_off: std::collections::HashMap<(u8, u8), usize> =
                std::collections::HashMap::new();
            for (i, (t, e)) in evs.iter().enumerate() {
                let kind = e[0] & 0xF0;
                let note_on = e[0] < 0xF0 && kind == 0x90 && e.len() == 3 && e[2] > 0;
                let note_off =
                    e[0] < 0xF0 && e.len() == 3 && (kind == 0x80 || (kind == 0x90 && e[2] == 0));
                if note_on {
                    let end = end_of[i].unwrap_or(*t);
                    let starts_inside = *t >= t0 && *t < t1;
                    let rings_into = *t < t0 && end > t0;
                    if starts_inside || rings_into {
                        out.push((t.saturating_sub(t0), e.clone()));
                        *keep_off.entry((e[0] & 0x0F, e[1])).or_default() += 1;
                    }
                } else if note_off {
                    let k = (e[0] & 0x0F, e[1]);
                    if let Some(n) = keep_off.get_mut(&k).filter(|n| **n > 0) {
                        *n -= 1;
                        out.push(((*t).clamp(t0, t1) - t0, e.clone()));
                    }
                } else if *t < t1 {
                    out.push((t.saturating_sub(t0), e.clone()));
                }
            }
            out
        })
        .collect()
}

/// Ticks at `seconds` for a constant `tempo` (BPM).
pub fn ticks_at(seconds: f64, tempo: f64, ppq: u16) -> u32 {
    (seconds.max(0.0) * tempo / 60.0 * f64::from(ppq)).round() as u32
}

/// Note-ons of channel `ch` as (seconds, key, velocity) for a constant tempo.
pub fn channel_hits(tracks: &[RawTrack], ch: u8, tempo: f64, ppq: u16) -> Vec<(f64, u8, u8)> {
    let mut hits: Vec<(f64, u8, u8)> = tracks
        .iter()
        .flat_map(|tr| tr.iter())
        .filter(|(_, e)| e.len() == 3 && e[0] == 0x90 | ch && e[2] > 0)
        .map(|(t, e)| (f64::from(*t) / f64::from(ppq) * 60.0 / tempo, e[1], e[2]))
        .collect();
    hits.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writer_output_reads_back() {
        let mut p = Part::new("lead", 2, 65);
        p.note(0.0, 1.0, 60, 100);
        p.note(1.0, 0.5, 64, 90);
        p.note(1.0, 200.0, 67, 80); // long note: multi-byte delta
        p.bends.push((0.5, -4096));
        let tracks = vec![tempo_track(123.0, 4), part_events(&p, PPQ)];
        let bytes = write_smf(PPQ, &tracks);
        assert_eq!(&bytes[0..4], b"MThd");
        assert_eq!(u32::from_be_bytes(bytes[4..8].try_into().unwrap()), 6);
        assert_eq!(u16::from_be_bytes(bytes[8..10].try_into().unwrap()), 1);
        assert_eq!(u16::from_be_bytes(bytes[10..12].try_into().unwrap()), 2);
        assert_eq!(&bytes[14..18], b"MTrk");
        let (ppq, back) = parse_smf(&bytes).unwrap();
        assert_eq!(ppq, PPQ);
        assert_eq!(back.len(), 2);
        let ons: Vec<(u32, u8)> = back[1]
            .iter()
            .filter(|(_, e)| e[0] == 0x92)
            .map(|(t, e)| (*t, e[1]))
            .collect();
        assert_eq!(ons, vec![(0, 60), (480, 64), (480, 67)]);
        let off = back[1]
            .iter()
            .find(|(_, e)| e[0] == 0x82 && e[1] == 67)
            .unwrap();
        assert_eq!(off.0, 480 + 200 * 480);
        let tempo = back[0].iter().find(|(_, e)| e[1] == 0x51).unwrap();
        let us = u32::from_be_bytes([0, tempo.1[2], tempo.1[3], tempo.1[4]]);
        assert_eq!(us, (60_000_000.0f64 / 123.0).round() as u32);
        assert!(used_channels(&back)[2]);
        assert_eq!(last_tick(&back), 480 + 200 * 480);
    }

    #[test]
    fn running_status_is_expanded() {
        // delta 0, note on ch1 60/100, delta 10, running status 62/100, delta 5 62/0
        let trk = [
            0x00, 0x90, 60, 100, 0x0A, 62, 100, 0x05, 62, 0, 0x00, 0xFF, 0x2F, 0x00,
        ];
        let mut file = b"MThd\0\0\0\x06\0\x01\0\x01\0\xC0MTrk".to_vec();
        file.extend_from_slice(&(trk.len() as u32).to_be_bytes());
        file.extend_from_slice(&trk);
        let (ppq, tr) = parse_smf(&file).unwrap();
        assert_eq!(ppq, 192);
        assert_eq!(tr[0].len(), 3);
        assert_eq!(tr[0][1], (10, vec![0x90, 62, 100]));
        assert_eq!(tr[0][2], (15, vec![0x90, 62, 0]));
    }

    #[test]
    fn velocity_scaling_mutes_and_clamps() {
        let mut tracks = vec![vec![
            (0, vec![0x90, 60, 100]),
            (5, vec![0x80, 60, 0]),
            (5, vec![0x91, 62, 100]),
            (9, vec![0x91, 62, 0]),
            (9, vec![0x92, 64, 120]),
            (9, vec![0xC2, 5]),
        ]];
        let mut gains = [1.0; 16];
        gains[0] = 0.5;
        gains[1] = 0.0;
        gains[2] = 2.0;
        scale_velocities(&mut tracks, &gains);
        assert_eq!(
            tracks[0],
            vec![
                (0, vec![0x90, 60, 50]),
                (5, vec![0x80, 60, 0]),
                (9, vec![0x91, 62, 0]),
                (9, vec![0x92, 64, 127]),
                (9, vec![0xC2, 5]),
            ]
        );
    }

    #[test]
    fn trim_keeps_state_and_ringing_notes() {
        let tracks = vec![vec![
            (0, vec![0xC1, 5]),
            (0, vec![0xB1, 7, 90]),
            (10, vec![0x91, 60, 100]), // ends before the cut: dropped
            (20, vec![0x81, 60, 0]),
            (50, vec![0x91, 62, 100]), // rings across the cut: restarts at 0
            (150, vec![0x81, 62, 0]),
            (80, vec![0xC1, 7]),       // latest program wins
            (120, vec![0x91, 64, 90]), // inside
            (130, vec![0x81, 64, 0]),
            (190, vec![0x91, 65, 90]), // rings past the end: ends at the end
            (400, vec![0x81, 65, 0]),
            (300, vec![0x91, 67, 90]), // after the end: dropped
            (310, vec![0x81, 67, 0]),
        ]];
        let out = trim(&tracks, 100, 200);
        let ev = &out[0];
        let progs: Vec<u8> = ev
            .iter()
            .filter(|(_, e)| e[0] == 0xC1)
            .map(|(_, e)| e[1])
            .collect();
        assert_eq!(progs, vec![5, 7]);
        let ons: Vec<(u32, u8)> = ev
            .iter()
            .filter(|(_, e)| e[0] == 0x91)
            .map(|(t, e)| (*t, e[1]))
            .collect();
        assert_eq!(ons, vec![(0, 62), (20, 64), (90, 65)]);
        let offs: Vec<(u32, u8)> = ev
            .iter()
            .filter(|(_, e)| e[0] == 0x81)
            .map(|(t, e)| (*t, e[1]))
            .collect();
        assert_eq!(offs, vec![(30, 64), (50, 62), (100, 65)]);
    }

    #[test]
    fn channel_tools_select_move_and_mute() {
        let mut tracks = vec![vec![
            (0, vec![0xC0, 33]),
            (0, vec![0xB0, 10, 0]),
            (0, vec![0xC9, 16]),
            (5, vec![0x90, 40, 100]),
            (5, vec![0x99, 36, 100]),
            (50, vec![0x90, 41, 100]),
            (0, vec![0xFF, 0x51, 7, 161, 32]),
        ]];
        assert_eq!(channel_programs(&tracks)[0], Some(33));
        assert_eq!(channel_programs(&tracks)[9], Some(16));
        assert_eq!(channel_programs(&tracks)[3], None);
        assert!((channel_pans(&tracks)[0] + 1.0).abs() < 0.02);
        let mut keep = [false; 16];
        keep[9] = true;
        let drums = select_channels(&tracks, &keep);
        assert!(
            drums[0]
                .iter()
                .all(|(_, e)| e[0] >= 0xF0 || e[0] & 0x0F == 9)
        );
        assert_eq!(note_counts(&drums)[9], 1);
        let mut moved = drums.clone();
        move_channel(&mut moved, 9, 0);
        assert_eq!(note_counts(&moved)[0], 1);
        let mut mask = [false; 16];
        mask[0] = true;
        mute_range(&mut tracks, &mask, 0, 10);
        assert_eq!(
            note_counts(&tracks)[0],
            1,
            "only the note after the stretch is left"
        );
        assert_eq!(note_counts(&tracks)[9], 1, "drums untouched");
        set_program(&mut tracks, 0, 27);
        assert_eq!(channel_programs(&tracks)[0], Some(27));
        let hits = channel_hits(&tracks, 9, 120.0, 10);
        assert_eq!(hits, vec![(0.25, 36, 100)]);
        assert_eq!(ticks_at(0.25, 120.0, 10), 5);
    }
}
