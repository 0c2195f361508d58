//! Call recordings written as stereo WAV files by one writer thread behind a bounded queue,
//! so a slow or failing disk never holds up the audio of a call. Whoever records learns of
//! failures from the writer's reports. (`media::wav` encodes; this opens and writes files.)

use std::collections::HashMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use media::wav::RecordingWriter;

enum Job {
    Open(u64, PathBuf),
    Frames(u64, Vec<i16>),
    Close(u64),
}

/// A failure the writer met, for the call's event trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub recording: u64,
    pub path: PathBuf,
    pub error: String,
}

/// Sends recordings to the writer thread. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Recorder {
    jobs: SyncSender<Job>,
    dropped: Arc<AtomicU64>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Job::Open(id, p) => write!(f, "Open({id}, {p:?})"),
            Job::Frames(id, s) => write!(f, "Frames({id}, {} samples)", s.len()),
            Job::Close(id) => write!(f, "Close({id})"),
        }
    }
}

impl Recorder {
    /// Starts the writer thread with room for `capacity` jobs; failures go to `failures`.
    pub fn start(capacity: usize, failures: impl Fn(Failure) + Send + 'static) -> Recorder {
        let (jobs, rx) = sync_channel(capacity);
        std::thread::Builder::new()
            .name("recorder".into())
            .spawn(move || write_all(&rx, &failures))
            .ok();
        Recorder {
            jobs,
            dropped: Arc::new(AtomicU64::new(0)),
        }
    }

    fn send(&self, job: Job) -> bool {
        match self.jobs.try_send(job) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// Opens a stereo recording at `path` (directories are made).
    pub fn open(&self, id: u64, path: PathBuf) -> bool {
        self.send(Job::Open(id, path))
    }

    /// Interleaved stereo samples (left, right, left, …).
    pub fn frames(&self, id: u64, samples: Vec<i16>) -> bool {
        samples.is_empty() || self.send(Job::Frames(id, samples))
    }

    /// Finishes the file; the WAV header is written then.
    pub fn close(&self, id: u64) {
        // Closing must not be lost to a full queue, or the file stays open: wait for room.
        if self.jobs.send(Job::Close(id)).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Jobs refused because the queue was full (audio lost from recordings, never from calls).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

type Writer = RecordingWriter<BufWriter<File>>;

/// Samples (both channels) between checkpoints: one second of stereo 8 kHz.
const CHECKPOINT: u32 = 2 * 8_000;

/// Makes the recording's directories and file, and starts its WAV header.
fn create(path: &Path) -> Result<Writer, String> {
    path.parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| File::create(path))
        .map_err(|e| e.to_string())
        .and_then(|f| RecordingWriter::new(BufWriter::new(f)).map_err(|e| e.to_string()))
}

fn write_all(rx: &Receiver<Job>, failures: &dyn Fn(Failure)) {
    // A recording whose writer failed stays here as None, so later frames are ignored.
    let mut open: HashMap<u64, (PathBuf, Option<Writer>)> = HashMap::new();
    let fail = |id: u64, path: &Path, e: &dyn std::fmt::Display| {
        failures(Failure {
            recording: id,
            path: path.to_path_buf(),
            error: e.to_string(),
        });
    };
    while let Ok(job) = rx.recv() {
        match job {
            Job::Open(id, path) => {
                let writer = create(&path).map_err(|e| fail(id, &path, &e)).ok();
                open.insert(id, (path, writer));
            }
            Job::Frames(id, samples) => {
                if let Some((path, slot)) = open.get_mut(&id)
                    && let Some(w) = slot
                {
                    let before = w.samples() / CHECKPOINT;
                    let written = w.frames(&samples).and_then(|()| {
                        // Every second of audio, the header is made true and all is
                        // flushed: a crash leaves a valid WAV losing at most that second.
                        if w.samples() / CHECKPOINT > before {
                            w.checkpoint()
                        } else {
                            Ok(())
                        }
                    });
                    if let Err(e) = written {
                        fail(id, path, &e);
                        *slot = None;
                    }
                }
            }
            Job::Close(id) => {
                if let Some((path, Some(w))) = open.remove(&id)
                    && let Err(e) = w.finish()
                {
                    fail(id, &path, &e);
                }
            }
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn writes_stereo_and_reports_failures() {
        let dir = std::env::temp_dir().join(format!("hotline-wav-{}", std::process::id()));
        let failures = Arc::new(Mutex::new(Vec::new()));
        let seen = failures.clone();
        let rec = Recorder::start(64, move |f| seen.lock().unwrap().push(f));
        let path = dir.join("a/b/call.wav");
        assert!(rec.open(1, path.clone()));
        assert!(rec.frames(1, vec![1, -1, 2, -2]));
        rec.close(1);
        // A file where a directory should be: the writer reports it and goes on.
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("blocker"), b"x").unwrap();
        assert!(rec.open(2, dir.join("blocker/call.wav")));
        rec.frames(2, vec![0; 4]);
        rec.close(2);
        // Close waits for room, and the writer works in order: poll until both are done.
        for _ in 0..200 {
            if !failures.lock().unwrap().is_empty() && path.exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        let r = hound::WavReader::open(&path).unwrap();
        assert_eq!(r.spec().channels, 2);
        let samples: Vec<i16> = r.into_samples().map(Result::unwrap).collect();
        assert_eq!(samples, [1, -1, 2, -2]);
        let f = failures.lock().unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].recording, 2);
        std::fs::remove_dir_all(&dir).ok();
    }

    /// Issue 20: a recording still being written — as a crash would leave it — is a valid
    /// WAV holding all but at most its last second.
    #[test]
    fn issue_20_a_recording_cut_off_is_a_valid_wav_up_to_its_last_second() {
        let dir = std::env::temp_dir().join(format!("hotline-wav-cut-{}", std::process::id()));
        let rec = Recorder::start(64, |_| {});
        let path = dir.join("cut.wav");
        assert!(rec.open(1, path.clone()));
        // Two and a half seconds, never closed.
        for _ in 0..25 {
            assert!(rec.frames(1, vec![7; 1_600]));
        }
        let mut seen = 0;
        for _ in 0..400 {
            if let Ok(r) = hound::WavReader::open(&path) {
                seen = r.len();
                if seen >= 2 * CHECKPOINT {
                    let samples: Vec<i16> = r.into_samples().map(Result::unwrap).collect();
                    assert!(samples.iter().all(|s| *s == 7));
                    break;
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(seen >= 2 * CHECKPOINT, "{seen} samples readable");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
