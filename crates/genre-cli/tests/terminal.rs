//! In a real terminal the progress bar (stderr) and the results (stdout)
//! share one screen: the bar must be cleared before every result and error
//! line, so the screen ends up holding the results and nothing of the bar.
//!
//! The binary runs under `script` (util-linux), which gives it a
//! pseudo-terminal as stdout and stderr; what it writes there is replayed
//! through a small terminal model (carriage return, line feed, the erase
//! and cursor-movement sequences the bar uses) to get the final screen.

#![cfg(target_os = "linux")]

use std::path::Path;
use std::process::Command;

/// The screen that `raw` terminal output leaves, one string per line,
/// trailing blanks removed. Panics on an escape sequence it does not model,
/// so a new kind of drawing cannot slip by unchecked.
fn render(raw: &str) -> Vec<String> {
    let mut screen: Vec<Vec<char>> = vec![Vec::new()];
    let (mut row, mut col) = (0usize, 0usize);
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => col = 0,
            '\n' => row += 1,
            '\x1b' => {
                assert_eq!(chars.next(), Some('['), "unmodelled escape in {raw:?}");
                let mut params = String::new();
                let command = loop {
                    match chars.next() {
                        Some(d) if d.is_ascii_alphabetic() => break d,
                        Some(d) => params.push(d),
                        None => panic!("unterminated escape in {raw:?}"),
                    }
                };
                let n: usize = params.trim_start_matches('?').parse().unwrap_or(1);
                while screen.len() <= row {
                    screen.push(Vec::new());
                }
                let line = &mut screen[row];
                match (command, params.as_str()) {
                    ('K', "" | "0") => line.truncate(col),
                    ('K', "2") => line.clear(),
                    ('A', _) => row = row.saturating_sub(n),
                    ('B', _) => row += n,
                    ('J', "" | "0") => {
                        line.truncate(col);
                        screen.truncate(row + 1);
                    }
                    ('h' | 'l', "?25") | ('m', _) => {}
                    other => panic!("unmodelled escape {other:?} in {raw:?}"),
                }
            }
            c => {
                while screen.len() <= row {
                    screen.push(Vec::new());
                }
                let line = &mut screen[row];
                if line.len() <= col {
                    line.resize(col + 1, ' ');
                }
                line[col] = c;
                col += 1;
            }
        }
    }
    screen
        .into_iter()
        .map(|l| l.into_iter().collect::<String>().trim_end().to_owned())
        .collect()
}

fn write_tone(path: &Path, seconds: f32) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 22_050,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..(22_050.0 * seconds) as usize {
        let t = i as f32 / 22_050.0;
        let x = 0.3 * (std::f32::consts::TAU * 220.0 * t).sin();
        w.write_sample((x * 32_767.0) as i16).unwrap();
    }
    w.finalize().unwrap();
}

#[test]
fn the_progress_bar_never_stays_between_results() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for i in 0..12 {
        let path = dir.path().join(format!("tone_{i:02}.wav"));
        write_tone(&path, 4.0 + i as f32 * 0.5);
        files.push(path);
    }
    // A failure in the middle: its error line goes to stderr, like the bar.
    let broken = dir.path().join("tone_05b.wav");
    std::fs::write(&broken, b"RIFF, but nothing more").unwrap();
    files.insert(6, broken.clone());

    let bin = assert_cmd::cargo::cargo_bin("genre-meter");
    let mut command = format!(
        "stty cols 160 rows 60; exec '{}' classify -j 2",
        bin.display()
    );
    for f in &files {
        command.push_str(&format!(" '{}'", f.display()));
    }
    let output = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_remove("GENRE_METER_MODEL")
        .output()
        .expect("`script` (util-linux) runs the binary in a pseudo-terminal");
    let raw = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "one file failed: {raw}");
    assert!(
        raw.contains(" files, "),
        "the bar was never drawn, so this test tests nothing: {raw:?}"
    );

    let screen = render(&raw);
    let lines: Vec<&String> = screen.iter().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), files.len(), "{screen:#?}");
    for (line, file) in lines.iter().zip(&files) {
        let name = file.display().to_string();
        if *file == broken {
            assert!(line.starts_with(&format!("error: {name}: ")), "{screen:#?}");
        } else {
            assert!(line.starts_with(&format!("{name}: ")), "{screen:#?}");
        }
        assert!(
            !line.contains(" files, "),
            "a bar left on screen: {screen:#?}"
        );
    }
}
