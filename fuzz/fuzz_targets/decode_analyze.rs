//! libFuzzer entry point: arbitrary bytes through the decoder and the analyzer.
//! The body lives in the library so that `cargo test` can run it too.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    genre_meter_fuzz::decode_and_analyze(data, genre_meter_fuzz::Cnn::Never);
});
