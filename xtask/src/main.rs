//! `cargo xtask`: workspace tasks.
//!
//! `corpus` builds the synthetic training corpus (see `corpus.rs`); every other
//! subcommand (`bundle`, `bundle-universal`, …) goes to nice-plug's xtask, which
//! parses `std::env::args` itself.

mod corpus;

fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("corpus") {
        corpus::main(std::env::args().skip(1))
    } else {
        nice_plug_xtask::main()
    }
}
