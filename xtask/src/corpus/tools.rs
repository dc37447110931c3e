//! Up-front check of the external tools and soundfonts, so a missing package
//! is reported once with the exact apt-get line instead of failing per song.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Result, bail};

use super::render::Resources;

fn on_path(bin: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(bin).is_file()))
        .unwrap_or(false)
}

/// The csound soundfont's path, from dpkg when available.
fn csound_sf2() -> Option<PathBuf> {
    if let Ok(out) = Command::new("dpkg")
        .args(["-L", "csound-soundfont"])
        .output()
    {
        let listing = String::from_utf8_lossy(&out.stdout).to_string();
        if let Some(p) = listing
            .lines()
            .map(Path::new)
            .find(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("sf2")) && p.is_file())
        {
            return Some(p.to_path_buf());
        }
    }
    let fallback = Path::new("/usr/share/sounds/sf2/sf_GMbank.sf2");
    fallback.is_file().then(|| fallback.to_path_buf())
}

/// Checks everything `corpus` needs; errors with the packages to install.
pub fn check() -> Result<Resources> {
    let mut missing: Vec<(&str, &str)> = Vec::new();
    for (bin, pkg) in [
        ("mma", "mma"),
        ("fluidsynth", "fluidsynth"),
        ("sox", "sox"),
        ("ffmpeg", "ffmpeg"),
        ("espeak-ng", "espeak-ng"),
    ] {
        if !on_path(bin) {
            missing.push((bin, pkg));
        }
    }
    let gm = PathBuf::from("/usr/share/sounds/sf2/FluidR3_GM.sf2");
    let gs = PathBuf::from("/usr/share/sounds/sf2/FluidR3_GS.sf2");
    if !gm.is_file() {
        missing.push(("FluidR3_GM.sf2", "fluid-soundfont-gm"));
    }
    if !gs.is_file() {
        missing.push(("FluidR3_GS.sf2", "fluid-soundfont-gs"));
    }
    let cs = csound_sf2();
    if cs.is_none() {
        missing.push(("csound GM soundfont", "csound-soundfont"));
    }
    if on_path("ffmpeg") {
        let enc = Command::new("ffmpeg")
            .args(["-hide_banner", "-encoders"])
            .output();
        let ok = enc
            .map(|o| String::from_utf8_lossy(&o.stdout).contains("libmp3lame"))
            .unwrap_or(false);
        if !ok {
            missing.push(("ffmpeg with libmp3lame", "ffmpeg"));
        }
    }
    if !missing.is_empty() {
        let what: Vec<String> = missing
            .iter()
            .map(|(b, p)| format!("  {b} (package {p})"))
            .collect();
        let mut pkgs: Vec<&str> = missing.iter().map(|m| m.1).collect();
        pkgs.dedup();
        bail!(
            "corpus generation needs tools that are missing:\n{}\ninstall them with:\n  sudo apt-get install -y {}\n(the full set: mma fluidsynth fluid-soundfont-gm fluid-soundfont-gs csound-soundfont sox libsox-fmt-all espeak-ng ffmpeg)",
            what.join("\n"),
            pkgs.join(" ")
        );
    }
    Ok(Resources {
        fluid_gm: gm,
        fluid_gs: gs,
        csound: cs.unwrap_or_default(),
    })
}
