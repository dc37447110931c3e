//! The standalone Genre Meter: nice-plug's standalone wrapper (JACK, ALSA,
//! or `--backend dummy` for headless runs) around the same plugin.

fn main() {
    nice_plug::prelude::nice_export_standalone::<genre_meter::GenreMeter>();
}
