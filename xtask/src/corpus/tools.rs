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

/// Every Debian package the generator uses.
pub const ALL_PACKAGES: &str = "mma fluidsynth fluid-soundfont-gm fluid-soundfont-gs csound-soundfont sox libsox-fmt-all espeak-ng festival festvox-us-slt-hts ffmpeg avldrums.lv2-soundfont hydrogen-drumkits sonic-pi-samples guitarix-lv2 calf-plugins";

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
    // real recordings and effects of the stems
    for (what, path, pkg) in [
        (
            "avldrums Black Pearl kit",
            super::production::AVL_KITS[0].1,
            "avldrums.lv2-soundfont",
        ),
        (
            "avldrums Red Zeppelin kit",
            super::production::AVL_KITS[1].1,
            "avldrums.lv2-soundfont",
        ),
        (
            "Hydrogen drumkits",
            super::drums::HYDROGEN_DIR,
            "hydrogen-drumkits",
        ),
        (
            "Sonic Pi samples",
            super::drums::SONIC_PI_DIR,
            "sonic-pi-samples",
        ),
        (
            "guitarix LV2 plugins",
            "/usr/lib/lv2/gx_redeye.lv2",
            "guitarix-lv2",
        ),
        ("calf LV2 plugins", "/usr/lib/lv2/calf.lv2", "calf-plugins"),
        (
            "festival's HTS voice",
            "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts",
            "festvox-us-slt-hts",
        ),
    ] {
        if !Path::new(path).exists() {
            missing.push((what, pkg));
        }
    }
    for kit in super::drums::KITS
        .iter()
        .chain([&super::drums::PERCUSSION_KIT])
    {
        if let super::drums::Source::Hydrogen(dir) = kit.source
            && !Path::new(super::drums::HYDROGEN_DIR).join(dir).is_dir()
        {
            missing.push(("a Hydrogen drumkit", "hydrogen-drumkits"));
        }
    }
    if !on_path("text2wave") {
        missing.push(("text2wave", "festival"));
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
        let filters = Command::new("ffmpeg")
            .args(["-hide_banner", "-filters"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
            .unwrap_or_default();
        if !filters.contains(" lv2 ") || !filters.contains(" mcompand ") {
            missing.push(("ffmpeg with the lv2 filter", "ffmpeg"));
        }
    }
    if !missing.is_empty() {
        let what: Vec<String> = missing
            .iter()
            .map(|(b, p)| format!("  {b} (package {p})"))
            .collect();
        let mut pkgs: Vec<&str> = missing.iter().map(|m| m.1).collect();
        pkgs.sort_unstable();
        pkgs.dedup();
        bail!(
            "corpus generation needs tools that are missing:\n{}\ninstall them with:\n  sudo apt-get install -y {}\n(the full set: {ALL_PACKAGES})",
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
