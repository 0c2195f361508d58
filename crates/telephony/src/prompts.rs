//! What callers hear: prompts by name from a directory of 8 kHz mono WAV files, and music
//! on hold. A prompt that is missing plays a short tone instead (and is logged once), so a
//! misnamed file never leaves a caller in silence.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use media::tone;

/// The prompt set.
#[derive(Debug)]
pub struct Prompts {
    loaded: HashMap<String, Arc<[i16]>>,
    music: Arc<[i16]>,
    ringback: Arc<[i16]>,
    fallback: Arc<[i16]>,
    missing: Mutex<Vec<String>>,
}

impl Prompts {
    /// Reads every `*.wav` under `dir` (named by file stem; `moh.wav` is the music).
    /// Files in another format are skipped with a warning.
    pub fn load(dir: Option<&Path>) -> Prompts {
        let mut loaded = HashMap::new();
        if let Some(dir) = dir
            && let Ok(entries) = std::fs::read_dir(dir)
        {
            for e in entries.flatten() {
                let path = e.path();
                if path.extension().is_none_or(|x| x != "wav") {
                    continue;
                }
                let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
                    continue;
                };
                let read = std::fs::File::open(&path)
                    .map_err(|e| e.to_string())
                    .and_then(|f| {
                        media::wav::read_prompt(std::io::BufReader::new(f))
                            .map_err(|e| e.to_string())
                    });
                match read {
                    Ok(samples) => {
                        loaded.insert(name.to_string(), Arc::from(samples));
                    }
                    Err(e) => tracing::warn!("prompt skipped: {}: {e}", path.display()),
                }
            }
        }
        let music = loaded.remove("moh").unwrap_or_else(|| Arc::from(melody()));
        Prompts {
            loaded,
            music,
            ringback: Arc::from(ringback()),
            fallback: Arc::from(tone::generate(&[425.0], 6_000.0, 0, 4_000)),
            missing: Mutex::new(Vec::new()),
        }
    }

    /// The prompt called `name`, or a half-second tone if there is none.
    pub fn get(&self, name: &str) -> Arc<[i16]> {
        if let Some(p) = self.loaded.get(name) {
            return p.clone();
        }
        let mut missing = self.missing.lock().unwrap_or_else(|e| e.into_inner());
        if !missing.iter().any(|m| m == name) {
            tracing::warn!(prompt = name, "no such prompt; a tone plays instead");
            missing.push(name.to_string());
        }
        self.fallback.clone()
    }

    pub fn music(&self) -> Arc<[i16]> {
        self.music.clone()
    }

    /// What a caller hears while the far phone rings: 450 Hz, one second on, four off
    /// (China's ringback cadence).
    pub fn ringback(&self) -> Arc<[i16]> {
        self.ringback.clone()
    }

    pub fn len(&self) -> usize {
        self.loaded.len()
    }

    pub fn is_empty(&self) -> bool {
        self.loaded.is_empty()
    }
}

fn ringback() -> Vec<i16> {
    let mut r = tone::generate(&[450.0], 6_000.0, 0, 8_000);
    r.resize(5 * 8_000, 0);
    r
}

/// Eight notes of a pentatonic tune, soft, for when no music file is configured.
fn melody() -> Vec<i16> {
    const NOTES: [f64; 8] = [392.0, 440.0, 523.3, 587.3, 659.3, 587.3, 523.3, 440.0];
    let mut out = Vec::with_capacity(NOTES.len() * 3_200);
    for (i, f) in NOTES.iter().enumerate() {
        let from = (i * 3_200) as u64;
        let mut note = tone::generate(&[*f, f * 2.0], 1_500.0, from, 3_200);
        // Fade each note in and out, so the tune does not click.
        let n = note.len();
        for (j, s) in note.iter_mut().enumerate() {
            let edge = j.min(n - 1 - j).min(400) as f64 / 400.0;
            *s = (f64::from(*s) * edge) as i16;
        }
        out.extend(note);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(path: &Path, rate: u32, samples: &[i16]) {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        for s in samples {
            w.write_sample(*s).unwrap();
        }
        w.finalize().unwrap();
    }

    #[test]
    fn loads_by_name_skips_wrong_formats_and_never_plays_silence() {
        let dir = std::env::temp_dir().join(format!("hotline-prompts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        wav(&dir.join("welcome.wav"), 8_000, &[1, 2, 3]);
        wav(&dir.join("moh.wav"), 8_000, &[9; 16]);
        wav(&dir.join("wideband.wav"), 16_000, &[4; 8]);
        std::fs::write(dir.join("notes.txt"), "not a prompt").unwrap();
        let p = Prompts::load(Some(&dir));
        assert_eq!(
            p.len(),
            1,
            "welcome only: moh is the music, wideband is refused"
        );
        assert_eq!(&*p.get("welcome"), &[1, 2, 3]);
        assert_eq!(&*p.music(), &[9; 16]);
        // A missing prompt is a tone, not silence.
        let tone = p.get("wideband");
        assert_eq!(tone.len(), 4_000);
        assert!(tone.iter().any(|s| s.unsigned_abs() > 1_000));
        // Without a directory: no prompts, generated music.
        let none = Prompts::load(None);
        assert!(none.is_empty());
        assert!(none.music().len() > 8_000);
        std::fs::remove_dir_all(&dir).ok();
    }
}
