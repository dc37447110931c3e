//! Streaming file decoding to mono `f32`, on top of Symphonia.
//!
//! [`Decoder`] reads one packet at a time (never the whole file), converts any sample format
//! to `f32` in −1..1, averages the channels to mono and replaces NaN/Inf by 0.0, so everything
//! downstream (resampler, mel, CNN) can assume finite mono samples. [`for_each_chunk`] chains
//! it with the [`Resampler`] for the CLI.
//!
//! Bad input never panics: Symphonia is run under `catch_unwind` (some malformed streams make
//! it panic) with the panic hook silenced for that call on that thread, and every failure
//! becomes an [`Error`] naming the file and the reason.
//!
//! Files need not be seekable: a named pipe or `/dev/stdin` is streamed like a regular file.

use std::cell::{Cell, RefCell};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Once;

use symphonia::core::codecs::audio::{AudioCodecId, AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream, ReadOnlySource};
use symphonia::core::meta::MetadataOptions;

use crate::resample::Resampler;
use crate::{Error, Result};

/// Lowest sample rate we analyse; below it there is too little bandwidth for the mel bands.
pub const MIN_SAMPLE_RATE_HZ: u32 = 8_000;
/// Highest sample rate we analyse; the highest rate DAWs offer.
pub const MAX_SAMPLE_RATE_HZ: u32 = 384_000;

/// What this build decodes, for messages about what it does not.
pub const READABLE_FORMATS: &str =
    "WAV (PCM, float, ADPCM), MP3, FLAC, Ogg Vorbis, AAC (M4A, MP4, ADTS)";

/// How many leading bytes we inspect ourselves before Symphonia sees the file: enough for a
/// WAV `fmt ` chunk behind a few metadata chunks.
const HEADER_PEEK_LEN: usize = 4096;

/// What a stream is, known after [`Decoder::open`] and before decoding any audio.
#[derive(Debug, Clone)]
pub struct AudioInfo {
    /// Native sample rate of the stream; the resampler converts from it.
    pub sample_rate_hz: u32,
    /// Channels in the file before the mono downmix, for reports.
    pub num_channels: usize,
    /// Frames (samples per channel) the container announces, excluding encoder delay and
    /// padding; `None` when the container does not say (e.g. raw ADTS, some MP3s). Only a
    /// hint: a truncated file decodes fewer.
    pub num_frames: Option<u64>,
    /// Short codec name as Symphonia reports it (`pcm_s16le`, `mp3`, `flac`, `vorbis`, `aac`…).
    pub codec: String,
}

/// Streaming decoder of one audio file (or in-memory buffer) to mono `f32`.
///
/// Holds Symphonia's demuxer and codec plus one packet of scratch; memory does not grow with
/// the file length.
pub struct Decoder {
    /// Shown in every error, so a batch run says which file failed.
    path: PathBuf,
    /// Demuxer for the container.
    format: Box<dyn FormatReader>,
    /// Codec for the selected track.
    codec: Box<dyn AudioDecoder>,
    /// The audio track we decode; packets of other tracks are skipped.
    track_id: u32,
    /// Stream description, fixed at open time.
    info: AudioInfo,
    /// One packet's interleaved samples, reused across packets.
    interleaved: Vec<f32>,
    /// Packets the codec rejected as corrupt and we skipped.
    num_skipped_packets: u64,
    /// Mono frames delivered so far, to tell "nothing decodable" from a normal end.
    num_decoded_frames: u64,
    /// NaN/Inf samples replaced by 0.0 so far.
    num_non_finite: u64,
    /// Set once the stream ended (or broke after yielding audio); later reads return `false`.
    at_end: bool,
}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder")
            .field("path", &self.path)
            .field("info", &self.info)
            .field("num_skipped_packets", &self.num_skipped_packets)
            .field("num_decoded_frames", &self.num_decoded_frames)
            .finish_non_exhaustive()
    }
}

fn invalid(path: &Path, reason: impl Into<String>) -> Error {
    Error::InvalidAudio {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

fn decode_error(path: &Path, reason: impl Into<String>) -> Error {
    Error::Decode {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

thread_local! {
    /// Set while this thread runs Symphonia inside [`guarded`]: a panic there becomes an
    /// [`Error`] naming the file, so the panic hook must not also print "thread … panicked".
    static IN_GUARDED_CALL: Cell<bool> = const { Cell::new(false) };
    /// Where the last silenced panic on this thread happened, for the error message.
    static SILENCED_PANIC_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs (once per process) a panic hook that stays quiet for panics inside [`guarded`]
/// and hands every other panic to the hook that was installed before.
///
/// The hook is process-wide but the switch is per thread, so a batch decoding files on many
/// threads silences only the thread whose decoder crashed, never a real bug elsewhere.
fn install_quiet_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_GUARDED_CALL.with(Cell::get) {
                let location = info
                    .location()
                    .map(|l| format!("{}:{}", short_source_path(l.file()), l.line()));
                SILENCED_PANIC_LOCATION.with(|slot| *slot.borrow_mut() = location);
            } else {
                previous(info);
            }
        }));
    });
}

/// A dependency's source path from the crate folder on (`symphonia-codec-adpcm-0.6.1/src/…`):
/// the registry's absolute prefix says nothing in a one-line error.
fn short_source_path(file: &str) -> &str {
    match file.split_once("/registry/src/") {
        Some((_, rest)) => rest.split_once('/').map_or(rest, |(_, in_crate)| in_crate),
        None => file,
    }
}

/// Runs `f` (a call into Symphonia) and turns a panic into `Err(reason)` without printing it.
fn guarded<T>(f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    install_quiet_panic_hook();
    let was_guarded = IN_GUARDED_CALL.with(|flag| flag.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    IN_GUARDED_CALL.with(|flag| flag.set(was_guarded));
    result.map_err(|payload| {
        let location = SILENCED_PANIC_LOCATION.with(|slot| slot.borrow_mut().take());
        panic_reason(&*payload, location.as_deref())
    })
}

fn panic_reason(payload: &(dyn std::any::Any + Send), location: Option<&str>) -> String {
    let detail = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown cause".to_owned());
    match location {
        Some(location) => {
            format!("the decoder crashed on malformed data ({detail}, at {location})")
        }
        None => format!("the decoder crashed on malformed data ({detail})"),
    }
}

fn check_rate(path: &Path, rate_hz: u32) -> Result<()> {
    if (MIN_SAMPLE_RATE_HZ..=MAX_SAMPLE_RATE_HZ).contains(&rate_hz) {
        Ok(())
    } else {
        Err(invalid(
            path,
            format!(
                "sample rate {rate_hz} Hz is outside {MIN_SAMPLE_RATE_HZ}–{MAX_SAMPLE_RATE_HZ} Hz"
            ),
        ))
    }
}

/// WAV `fmt ` format tags whose sample width we check ourselves.
const WAVE_FORMAT_PCM: u16 = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT: u16 = 0x0003;
/// The real tag then sits in the first two bytes of the extension's sub-format GUID.
const WAVE_FORMAT_EXTENSIBLE: u16 = 0xFFFE;

/// Checks a WAV header's channel count, rate and sample width ourselves: Symphonia reports a
/// zero channel count or a 12-bit sample as a generic "malformed stream" and may accept a
/// zero rate, but they are [`Error::InvalidAudio`] and [`Error::Unsupported`] for us.
/// Anything that is not a readable WAV header is left to Symphonia.
fn check_wav_header(path: &Path, head: &[u8]) -> Result<()> {
    let u16_at = |i: usize| head.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u32_at = |i: usize| {
        head.get(i..i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    if head.len() < 12 || &head[0..4] != b"RIFF" || &head[8..12] != b"WAVE" {
        return Ok(());
    }
    let mut chunk_idx = 12;
    while let (Some(id), Some(size)) = (head.get(chunk_idx..chunk_idx + 4), u32_at(chunk_idx + 4)) {
        if id == b"fmt " {
            if let (Some(num_channels), Some(rate_hz)) =
                (u16_at(chunk_idx + 10), u32_at(chunk_idx + 12))
            {
                if num_channels == 0 {
                    return Err(invalid(path, "the header declares zero channels"));
                }
                check_rate(path, rate_hz)?;
            }
            let tag = match u16_at(chunk_idx + 8) {
                Some(WAVE_FORMAT_EXTENSIBLE) => u16_at(chunk_idx + 32),
                tag => tag,
            };
            if let (Some(tag), Some(bits)) = (tag, u16_at(chunk_idx + 22)) {
                check_wav_sample_width(path, tag, bits)?;
            }
            return Ok(());
        }
        if id == b"data" {
            return Ok(());
        }
        // RIFF chunks are padded to an even length.
        chunk_idx += 8 + size as usize + (size as usize & 1);
    }
    Ok(())
}

/// The sample widths Symphonia decodes for integer and float WAV; other tags are left to it.
fn check_wav_sample_width(path: &Path, tag: u16, bits: u16) -> Result<()> {
    let unsupported = |reason: String| Error::Unsupported {
        path: path.to_path_buf(),
        reason,
    };
    match tag {
        WAVE_FORMAT_PCM if ![8, 16, 24, 32].contains(&bits) => Err(unsupported(format!(
            "{bits}-bit integer samples (readable: 8, 16, 24 or 32-bit)"
        ))),
        WAVE_FORMAT_IEEE_FLOAT if ![32, 64].contains(&bits) => Err(unsupported(format!(
            "{bits}-bit float samples (readable: 32 or 64-bit)"
        ))),
        _ => Ok(()),
    }
}

/// A codec's common name, for the message that says it is not decoded.
fn codec_name(id: AudioCodecId) -> String {
    use symphonia::core::codecs::audio::well_known::*;
    let known = [
        (CODEC_ID_OPUS, "Opus"),
        (CODEC_ID_SPEEX, "Speex"),
        (CODEC_ID_ALAC, "ALAC (Apple Lossless)"),
        (CODEC_ID_WMA, "WMA"),
        (CODEC_ID_AC3, "AC-3"),
        (CODEC_ID_EAC3, "E-AC-3"),
        (CODEC_ID_DCA, "DTS"),
        (CODEC_ID_MP1, "MP1"),
        (CODEC_ID_MP2, "MP2"),
        (CODEC_ID_WAVPACK, "WavPack"),
        (CODEC_ID_MONKEYS_AUDIO, "Monkey's Audio"),
        (CODEC_ID_TTA, "TTA"),
        (CODEC_ID_MUSEPACK, "Musepack"),
    ];
    known
        .iter()
        .find(|(known_id, _)| *known_id == id)
        .map_or_else(|| format!("codec {id}"), |(_, name)| (*name).to_owned())
}

/// Maps a Symphonia error during probing/opening to ours.
fn open_error(path: &Path, err: SymphoniaError) -> Error {
    match err {
        SymphoniaError::Unsupported(what) => Error::Unsupported {
            path: path.to_path_buf(),
            reason: format!("not a recognised audio format or codec ({what})"),
        },
        SymphoniaError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            decode_error(path, "truncated header: the file ends inside it")
        }
        SymphoniaError::IoError(io) => Error::Io {
            path: path.to_path_buf(),
            source: io,
        },
        other => decode_error(path, format!("bad header: {other}")),
    }
}

impl Decoder {
    /// Opens `path` and reads its header (only the header: decoding is streamed by
    /// [`read_mono`](Decoder::read_mono)).
    ///
    /// `path` may also be a named pipe or a character device such as `/dev/stdin`; it is read
    /// once, front to back.
    ///
    /// Errors: [`Error::Io`] (missing, unreadable, a directory, a broken symbolic link),
    /// [`Error::InvalidAudio`] (empty, zero channels, a rate outside 8–384 kHz),
    /// [`Error::Unsupported`] (not audio, an unknown codec, a sample width such as 12-bit),
    /// [`Error::Decode`] (truncated or corrupt header).
    pub fn open(path: &Path) -> Result<Decoder> {
        let io_error = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let metadata = std::fs::metadata(path).map_err(|err| {
            match std::fs::read_link(path) {
                // `metadata` follows links; "not found" for a path that is there is a dangling link.
                Ok(target) if err.kind() == std::io::ErrorKind::NotFound => {
                    io_error(std::io::Error::new(
                        err.kind(),
                        format!(
                            "broken symbolic link: its target {} does not exist",
                            target.display()
                        ),
                    ))
                }
                _ => io_error(err),
            }
        })?;
        if metadata.is_dir() {
            return Err(io_error(std::io::Error::new(
                std::io::ErrorKind::IsADirectory,
                "is a directory, not an audio file",
            )));
        }
        // Only a regular file's length is known up front; a pipe says 0 whatever comes.
        let seekable = metadata.is_file();
        if seekable && metadata.len() == 0 {
            return Err(invalid(path, "empty file (0 bytes)"));
        }
        let mut file = File::open(path).map_err(io_error)?;
        let mut head = Vec::with_capacity(HEADER_PEEK_LEN);
        (&mut file)
            .take(HEADER_PEEK_LEN as u64)
            .read_to_end(&mut head)
            .map_err(io_error)?;
        if head.is_empty() {
            return Err(invalid(path, "empty file (0 bytes)"));
        }
        check_wav_header(path, &head)?;
        let source: Box<dyn MediaSource> = if seekable {
            file.seek(SeekFrom::Start(0)).map_err(io_error)?;
            Box::new(file)
        } else {
            // A pipe cannot rewind: hand Symphonia the bytes we peeked, then the rest.
            Box::new(ReadOnlySource::new(std::io::Cursor::new(head).chain(file)))
        };
        let ext_hint = path.extension().and_then(|ext| ext.to_str());
        Self::from_source(path.to_path_buf(), source, ext_hint)
    }

    /// Like [`open`](Decoder::open), for bytes already in memory (fuzzing, tests).
    ///
    /// `name` stands in for the path in error messages; `ext_hint` (e.g. `Some("mp3")`) helps
    /// the format probe the way a file extension would.
    pub fn from_bytes(bytes: Vec<u8>, ext_hint: Option<&str>, name: &str) -> Result<Decoder> {
        let path = PathBuf::from(name);
        if bytes.is_empty() {
            return Err(invalid(&path, "empty file (0 bytes)"));
        }
        check_wav_header(&path, &bytes[..bytes.len().min(HEADER_PEEK_LEN)])?;
        Self::from_source(path, Box::new(std::io::Cursor::new(bytes)), ext_hint)
    }

    fn from_source(
        path: PathBuf,
        source: Box<dyn MediaSource>,
        ext_hint: Option<&str>,
    ) -> Result<Decoder> {
        let mut hint = Hint::new();
        if let Some(ext) = ext_hint {
            hint.with_extension(ext);
        }
        let stream = MediaSourceStream::new(source, Default::default());
        let probed = guarded(|| {
            symphonia::default::get_probe().probe(
                &hint,
                stream,
                FormatOptions::default(),
                MetadataOptions::default(),
            )
        });
        let format = match probed {
            Ok(Ok(format)) => format,
            Ok(Err(err)) => return Err(open_error(&path, err)),
            Err(reason) => return Err(decode_error(&path, reason)),
        };

        let unsupported = |reason: &str| Error::Unsupported {
            path: path.clone(),
            reason: reason.to_owned(),
        };
        let track = format
            .default_track(TrackType::Audio)
            .ok_or_else(|| unsupported("no audio track"))?;
        let track_id = track.id;
        let num_frames = track.num_frames;
        let params = track
            .codec_params
            .as_ref()
            .and_then(|params| params.audio())
            .ok_or_else(|| unsupported("the audio track has no known codec"))?
            .clone();

        let rate_hz = params
            .sample_rate
            .ok_or_else(|| invalid(&path, "the header gives no sample rate"))?;
        check_rate(&path, rate_hz)?;
        let num_channels = params.channels.as_ref().map_or(0, |ch| ch.count());
        if num_channels == 0 {
            return Err(invalid(&path, "the header declares zero channels"));
        }

        let made = guarded(|| {
            symphonia::default::get_codecs()
                .make_audio_decoder(&params, &AudioDecoderOptions::default())
        });
        let codec = match made {
            Ok(Ok(codec)) => codec,
            Ok(Err(SymphoniaError::Unsupported(_))) => {
                return Err(Error::Unsupported {
                    path: path.clone(),
                    reason: format!(
                        "{} audio cannot be decoded by this build (readable: {READABLE_FORMATS})",
                        codec_name(params.codec)
                    ),
                });
            }
            Ok(Err(err)) => return Err(open_error(&path, err)),
            Err(reason) => return Err(decode_error(&path, reason)),
        };
        let info = AudioInfo {
            sample_rate_hz: rate_hz,
            num_channels,
            num_frames,
            codec: codec.codec_info().short_name.to_owned(),
        };
        Ok(Decoder {
            path,
            format,
            codec,
            track_id,
            info,
            interleaved: Vec::new(),
            num_skipped_packets: 0,
            num_decoded_frames: 0,
            num_non_finite: 0,
            at_end: false,
        })
    }

    /// What the header says about the stream.
    pub fn info(&self) -> &AudioInfo {
        &self.info
    }

    /// Corrupt packets skipped so far; a non-zero count is worth a warning.
    pub fn skipped_packets(&self) -> u64 {
        self.num_skipped_packets
    }

    /// NaN/Inf samples replaced by 0.0 so far (only float formats can carry them).
    pub fn non_finite_samples(&self) -> u64 {
        self.num_non_finite
    }

    /// Decodes the next packet, averages its channels to mono and appends the samples to
    /// `out`; returns `Ok(false)` at the end of the stream.
    ///
    /// Corrupt packets are skipped and counted ([`skipped_packets`](Decoder::skipped_packets));
    /// a stream that breaks off (truncated data) ends early without an error once it has
    /// produced audio. A stream that produces no audio at all is an error:
    /// [`Error::InvalidAudio`] when it is simply empty (a header without samples),
    /// [`Error::Decode`] when nothing in it decodes. Grows `out` by one packet.
    pub fn read_mono(&mut self, out: &mut Vec<f32>) -> Result<bool> {
        loop {
            if self.at_end {
                return Ok(false);
            }
            let next = guarded(|| self.format.next_packet());
            let packet = match next {
                Ok(Ok(Some(packet))) => packet,
                // End of stream, or (ResetRequired) a chained Ogg stream whose next part may
                // have another layout: we analyse the first part only.
                Ok(Ok(None)) | Ok(Err(SymphoniaError::ResetRequired)) => {
                    return self.end_of_stream(None);
                }
                Ok(Err(err)) => return self.end_of_stream(Some(format!("{err}"))),
                Err(reason) => return self.end_of_stream(Some(reason)),
            };
            if packet.track_id != self.track_id {
                continue;
            }
            let decoded = guarded(|| match self.codec.decode(&packet) {
                Ok(buf) => {
                    buf.copy_to_vec_interleaved(&mut self.interleaved);
                    Ok(buf.spec().channels().count())
                }
                Err(err) => Err(err),
            });
            let num_channels = match decoded {
                Ok(Ok(num_channels)) => num_channels,
                Ok(Err(SymphoniaError::DecodeError(_) | SymphoniaError::IoError(_))) => {
                    self.num_skipped_packets += 1;
                    continue;
                }
                Ok(Err(SymphoniaError::Unsupported(what))) => {
                    return Err(Error::Unsupported {
                        path: self.path.clone(),
                        reason: format!("codec feature not supported ({what})"),
                    });
                }
                Ok(Err(SymphoniaError::ResetRequired)) => return self.end_of_stream(None),
                Ok(Err(err)) => return Err(decode_error(&self.path, format!("{err}"))),
                // The codec's state is unknown after a panic: stop here.
                Err(reason) => return self.end_of_stream(Some(reason)),
            };
            if num_channels == 0 {
                return Err(invalid(&self.path, "a packet decoded to zero channels"));
            }
            if self.interleaved.is_empty() {
                continue;
            }
            self.downmix_into(num_channels, out);
            return Ok(true);
        }
    }

    /// Appends the mean of the channels of `self.interleaved` to `out`, with NaN/Inf as 0.0.
    ///
    /// Written as selects rather than branches, with mono and stereo spelled out, so that the
    /// loops vectorise: this runs on every decoded sample. The mean of finite samples is
    /// finite: stereo halves before adding, more channels add in f64 (float files may hold
    /// ±f32::MAX, and two of them overflow an f32 sum).
    fn downmix_into(&mut self, num_channels: usize, out: &mut Vec<f32>) {
        fn finite_or_zero(x: f32) -> f32 {
            if x.is_finite() { x } else { 0.0 }
        }
        let interleaved = &self.interleaved[..];
        let num_frames = interleaved.len() / num_channels;
        out.reserve(num_frames);
        match num_channels {
            1 => out.extend(interleaved.iter().map(|&x| finite_or_zero(x))),
            2 => out.extend(
                interleaved
                    .chunks_exact(2)
                    .map(|f| 0.5 * finite_or_zero(f[0]) + 0.5 * finite_or_zero(f[1])),
            ),
            _ => {
                let scale = 1.0 / num_channels as f64;
                out.extend(interleaved.chunks_exact(num_channels).map(|frame| {
                    let sum: f64 = frame.iter().map(|&x| f64::from(finite_or_zero(x))).sum();
                    (sum * scale) as f32
                }));
            }
        }
        let num_non_finite = interleaved.iter().filter(|x| !x.is_finite()).count();
        self.num_non_finite += num_non_finite as u64;
        self.num_decoded_frames += num_frames as u64;
    }

    /// Marks the end of the stream. `broken` says why it ended early (a demuxer error or a
    /// crash); that is fine after some audio (a truncated file), an error before any.
    fn end_of_stream(&mut self, broken: Option<String>) -> Result<bool> {
        self.at_end = true;
        if self.num_decoded_frames > 0 {
            return Ok(false);
        }
        Err(match broken {
            Some(reason) => decode_error(&self.path, format!("no decodable audio: {reason}")),
            None if self.num_skipped_packets > 0 => decode_error(
                &self.path,
                format!(
                    "no decodable audio: all {} packets are corrupt",
                    self.num_skipped_packets
                ),
            ),
            None => invalid(&self.path, "no audio samples"),
        })
    }
}

/// Decodes `path` to mono, resamples it to `target_hz` and hands the result to `sink` in
/// successive chunks (of varying length; together they are the whole file, time-aligned).
///
/// Memory stays bounded by a packet plus the resampler's block, whatever the file length.
/// Returns the stream's [`AudioInfo`]; errors as [`Decoder::open`] and
/// [`Decoder::read_mono`], plus [`Error::SampleRate`] for a `target_hz` out of range.
pub fn for_each_chunk(
    path: &Path,
    target_hz: u32,
    mut sink: impl FnMut(&[f32]),
) -> Result<AudioInfo> {
    let mut decoder = Decoder::open(path)?;
    let mut resampler = Resampler::new(decoder.info().sample_rate_hz, target_hz)?;
    let mut mono = Vec::new();
    let mut resampled = Vec::new();
    while decoder.read_mono(&mut mono)? {
        resampler.push(&mono, &mut resampled);
        mono.clear();
        if !resampled.is_empty() {
            sink(&resampled);
            resampled.clear();
        }
    }
    resampler.finish(&mut resampled);
    if !resampled.is_empty() {
        sink(&resampled);
    }
    Ok(decoder.info().clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Set for the child process of [`guarded_panics_are_errors_and_print_nothing`].
    const CHILD_ENV: &str = "GENRE_CORE_GUARDED_PANIC_CHILD";

    /// Does its work only as that child: panic hooks are process-wide, so the check needs a
    /// process of its own with libtest's output capture off.
    #[test]
    fn guarded_panic_child() {
        if std::env::var_os(CHILD_ENV).is_none() {
            return;
        }
        let reason = guarded(|| panic!("inside a guarded call")).unwrap_err();
        eprintln!("REASON: {reason}");
        let outside = catch_unwind(|| panic!("outside any guarded call"));
        assert!(outside.is_err());
    }

    #[test]
    fn dependency_paths_start_at_the_crate() {
        assert_eq!(
            short_source_path(
                "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/\
                 symphonia-codec-adpcm-0.6.1/src/codec_ms.rs"
            ),
            "symphonia-codec-adpcm-0.6.1/src/codec_ms.rs"
        );
        assert_eq!(
            short_source_path("crates/genre-core/src/audio.rs"),
            "crates/genre-core/src/audio.rs"
        );
    }

    #[test]
    fn guarded_panics_are_errors_and_print_nothing() {
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "audio::tests::guarded_panic_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        let reason = stderr
            .lines()
            .find_map(|l| l.strip_prefix("REASON: "))
            .unwrap_or_else(|| panic!("no reason printed:\n{stderr}"));
        assert!(
            reason.starts_with("the decoder crashed on malformed data (inside a guarded call, at ")
                && reason.contains("audio.rs:"),
            "{reason}"
        );
        assert_eq!(
            stderr.matches("inside a guarded call").count(),
            1,
            "the guarded panic must only appear in the returned reason:\n{stderr}"
        );
        assert!(
            stderr.contains("panicked") && stderr.contains("outside any guarded call"),
            "other panics still reach the previous hook:\n{stderr}"
        );
    }
}
