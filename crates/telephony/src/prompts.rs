//! What callers hear: prompts by name from a directory of 8 kHz mono WAV files, prompts
//! written as text (`tts:…`, spoken by espeak-ng — Mandarin for Chinese text — once per
//! text, kept under the data directory), and music on hold. A prompt that is missing or
//! cannot be spoken plays a short tone instead (and is logged once), so a misnamed file or
//! a missing speech engine never leaves a caller in silence.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
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
    /// Where texts spoken are kept (`{hash}.wav`); none: texts play the tone.
    speech_dir: Option<PathBuf>,
    /// Texts spoken since start, by text.
    spoken: Mutex<HashMap<String, Arc<[i16]>>>,
    /// One text rendered at a time: callers of a new text wait for its one rendering
    /// (a flood of calls about an incident must not start a speech engine each).
    rendering: tokio::sync::Mutex<()>,
}

/// The longest text spoken, in characters (about a minute of speech); the most texts kept
/// in memory.
const MAX_SPOKEN_CHARS: usize = 500;
const MAX_SPOKEN_KEPT: usize = 64;

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
            speech_dir: None,
            spoken: Mutex::new(HashMap::new()),
            rendering: tokio::sync::Mutex::new(()),
        }
    }

    /// Texts (`tts:…`) are spoken and kept under `dir`.
    pub fn with_speech(mut self, dir: PathBuf) -> Prompts {
        self.speech_dir = Some(dir);
        self
    }

    /// A prompt as the IVR names it: `tts:` and a text to speak, else a file's name.
    pub async fn prompt(&self, name: &str) -> Arc<[i16]> {
        match name.strip_prefix("tts:") {
            Some(text) => self.speak(text).await,
            None => self.get(name),
        }
    }

    /// The text spoken: from memory, else from the file kept for it, else rendered by
    /// espeak-ng and sox (at most ten seconds) and kept. Fails to the tone.
    pub async fn speak(&self, text: &str) -> Arc<[i16]> {
        let text: String = text
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_SPOKEN_CHARS)
            .collect();
        if text.trim().is_empty() {
            return self.fallback.clone();
        }
        if let Some(p) = self.spoken_lock().get(&text) {
            return p.clone();
        }
        let Some(dir) = &self.speech_dir else {
            return self.get(&format!("tts:{text}"));
        };
        let file = dir.join(format!("{}.wav", text_hash(&text)));
        let samples = match read_wav(&file) {
            Ok(s) => Ok(s),
            Err(_) => {
                let _one = self.rendering.lock().await;
                // Rendered while this call waited its turn?
                if let Some(p) = self.spoken_lock().get(&text) {
                    return p.clone();
                }
                match read_wav(&file) {
                    Ok(s) => Ok(s),
                    Err(_) => match tokio::time::timeout(
                        std::time::Duration::from_secs(10),
                        render(&text, dir, &file),
                    )
                    .await
                    {
                        Ok(r) => r.and_then(|()| read_wav(&file)),
                        Err(_) => Err("speaking took longer than ten seconds".into()),
                    },
                }
            }
        };
        match samples {
            Ok(s) => {
                let p: Arc<[i16]> = Arc::from(s);
                let mut kept = self.spoken_lock();
                if kept.len() >= MAX_SPOKEN_KEPT {
                    kept.clear();
                }
                kept.insert(text, p.clone());
                p
            }
            Err(e) => {
                tracing::warn!("a text prompt could not be spoken ({e}); a tone plays instead");
                self.fallback.clone()
            }
        }
    }

    fn spoken_lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<[i16]>>> {
        self.spoken.lock().unwrap_or_else(|e| e.into_inner())
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

/// A text's name on disk: its SHA-256, so no text can be made to take another's file.
fn text_hash(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn read_wav(path: &Path) -> Result<Vec<i16>, String> {
    let f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    media::wav::read_prompt(std::io::BufReader::new(f)).map_err(|e| e.to_string())
}

/// Renders `text` into `file` (8 kHz mono 16-bit): espeak-ng reads the text from its
/// standard input (never an argument), Mandarin when it has Chinese, then sox resamples;
/// written beside and renamed, so a file there is whole.
async fn render(text: &str, dir: &Path, file: &Path) -> Result<(), String> {
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| e.to_string())?;
    let voice = if text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
        "cmn"
    } else {
        "en"
    };
    // Working names of their own (removed whatever happens), the result renamed into place.
    let raw = file.with_extension(format!("{}.espeak.tmp", std::process::id()));
    let part = file.with_extension(format!("{}.part.tmp", std::process::id()));
    let made = speak_into(text, voice, &raw, &part).await;
    let _ = tokio::fs::remove_file(&raw).await;
    if let Err(e) = made {
        let _ = tokio::fs::remove_file(&part).await;
        return Err(e);
    }
    tokio::fs::rename(&part, file)
        .await
        .map_err(|e| e.to_string())
}

async fn speak_into(text: &str, voice: &str, raw: &Path, part: &Path) -> Result<(), String> {
    use tokio::io::AsyncWriteExt;
    let mut espeak = tokio::process::Command::new("espeak-ng")
        .args(["-v", voice, "-s", "150", "--stdin", "-w"])
        .arg(raw)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("espeak-ng: {e}"))?;
    if let Some(mut input) = espeak.stdin.take() {
        input
            .write_all(text.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
    }
    let status = espeak.wait().await.map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("espeak-ng failed: {status}"));
    }
    let status = tokio::process::Command::new("sox")
        .args(["-t", "wav"])
        .arg(raw)
        .args([
            "-t",
            "wav",
            "-r",
            "8000",
            "-c",
            "1",
            "-b",
            "16",
            "-e",
            "signed-integer",
        ])
        .arg(part)
        .args(["norm", "-3"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .status()
        .await
        .map_err(|e| format!("sox: {e}"))?;
    if !status.success() {
        return Err(format!("sox failed: {status}"));
    }
    Ok(())
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

    /// Text prompts are spoken (Mandarin for Chinese), once: the second time from disk,
    /// even after a restart; without a place to keep them, a tone.
    #[tokio::test]
    async fn texts_are_spoken_once_and_kept() {
        let dir = std::env::temp_dir().join(format!("hotline-tts-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let p = Prompts::load(None).with_speech(dir.clone());
        let said = p.prompt("tts:文三路一带停水，预计十八点恢复供水。").await;
        assert!(said.len() > 8_000, "about a second or more: {}", said.len());
        assert_ne!(&*said, &*p.fallback, "spoken, not the tone");
        let files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
        assert_eq!(files.len(), 1, "one file, no leftovers");
        // Another start reads it back rather than speaking again.
        let again = Prompts::load(None).with_speech(dir.clone());
        assert_eq!(
            &*again.speak("文三路一带停水，预计十八点恢复供水。").await,
            &*said
        );
        assert!(again.speak("Hello").await.len() > 4_000, "English too");
        assert_eq!(&*p.speak("  ").await, &*p.fallback);
        let none = Prompts::load(None);
        assert_eq!(&*none.prompt("tts:你好").await, &*none.fallback);
        std::fs::remove_dir_all(&dir).ok();
    }
}
