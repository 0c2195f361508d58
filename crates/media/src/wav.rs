//! WAV in memory: prompts read from their bytes as 8 kHz mono samples, and call recordings
//! encoded as stereo into whatever `Write + Seek` the caller gives. Telephony opens the
//! files and writes recordings on its own thread (`telephony::recorder`).

use std::io::{Seek, Write};

/// The telephone sample rate.
pub const RATE: u32 = 8_000;

/// Why a prompt was refused.
#[derive(Debug, thiserror::Error)]
pub enum WavError {
    #[error("{0}")]
    Read(hound::Error),
    #[error(
        "{rate} Hz, {channels} channel(s), {bits} bits; prompts must be 8000 Hz mono 16-bit PCM"
    )]
    Format { rate: u32, channels: u16, bits: u16 },
}

/// Reads a prompt from a WAV file's bytes: 8 kHz, mono, 16-bit PCM (what
/// `sox … -r 8000 -c 1 -b 16` writes). The caller opens the file.
pub fn read_prompt(wav: impl std::io::Read) -> Result<Vec<i16>, WavError> {
    let reader = hound::WavReader::new(wav).map_err(WavError::Read)?;
    let spec = reader.spec();
    if spec.sample_rate != RATE
        || spec.channels != 1
        || spec.bits_per_sample != 16
        || spec.sample_format != hound::SampleFormat::Int
    {
        return Err(WavError::Format {
            rate: spec.sample_rate,
            channels: spec.channels,
            bits: spec.bits_per_sample,
        });
    }
    reader
        .into_samples::<i16>()
        .collect::<Result<_, _>>()
        .map_err(WavError::Read)
}

/// A stereo recording being written to `W` (telephony gives it a file): interleaved frames
/// in as they come, the WAV header completed by [`RecordingWriter::finish`].
pub struct RecordingWriter<W: Write + Seek>(hound::WavWriter<W>);

impl<W: Write + Seek> std::fmt::Debug for RecordingWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordingWriter")
            .field("samples", &self.0.len())
            .finish()
    }
}

impl<W: Write + Seek> RecordingWriter<W> {
    /// Starts a stereo 8 kHz 16-bit recording (the header is written now, completed at the
    /// end).
    pub fn new(w: W) -> Result<RecordingWriter<W>, hound::Error> {
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: RATE,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        hound::WavWriter::new(w, spec).map(RecordingWriter)
    }

    /// Interleaved stereo samples (left, right, left, …).
    pub fn frames(&mut self, samples: &[i16]) -> Result<(), hound::Error> {
        let mut i16w = self
            .0
            .get_i16_writer(u32::try_from(samples.len()).unwrap_or(0));
        for s in samples {
            i16w.write_sample(*s);
        }
        i16w.flush()
    }

    /// Brings the header up to date with what is written so far and flushes it all to
    /// `W`: if the process dies now, the file is a valid WAV up to here.
    pub fn checkpoint(&mut self) -> Result<(), hound::Error> {
        self.0.flush()
    }

    /// Samples written so far (both channels).
    pub fn samples(&self) -> u32 {
        self.0.len()
    }

    /// Completes the header with the length.
    pub fn finish(self) -> Result<(), hound::Error> {
        self.0.finalize()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn writes_stereo_in_memory_and_reads_prompts_back() {
        let mut bytes = Cursor::new(Vec::new());
        let mut w = RecordingWriter::new(&mut bytes).unwrap();
        w.frames(&[1, -1, 2, -2]).unwrap();
        w.finish().unwrap();
        let r = hound::WavReader::new(Cursor::new(bytes.into_inner())).unwrap();
        assert_eq!(r.spec().channels, 2);
        let samples: Vec<i16> = r.into_samples().map(Result::unwrap).collect();
        assert_eq!(samples, [1, -1, 2, -2]);
        // A stereo file is no prompt.
        let mut bytes = Cursor::new(Vec::new());
        RecordingWriter::new(&mut bytes).unwrap().finish().unwrap();
        let refused = read_prompt(Cursor::new(bytes.into_inner())).unwrap_err();
        assert!(refused.to_string().starts_with("8000 Hz, 2 channel(s)"));
    }
}
