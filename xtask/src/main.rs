//! `cargo xtask`: workspace tasks.
//!
//! `corpus` builds the synthetic training corpus (see `corpus.rs`), `nonmusic`
//! its non-music counterpart (see `nonmusic.rs`); every other
//! subcommand (`bundle`, `bundle-universal`, …) goes to nice-plug's xtask, which
//! parses `std::env::args` itself.

mod corpus;
mod nonmusic;

fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("corpus") {
        corpus::main(std::env::args().skip(1))
    } else if std::env::args().nth(1).as_deref() == Some("nonmusic") {
        nonmusic::main(std::env::args().skip(1))
    } else {
        nice_plug_xtask::main()
    }
}
