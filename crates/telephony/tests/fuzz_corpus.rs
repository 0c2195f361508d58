//! Replays the fuzzers' corpus (fuzz/corpus, grown by scripts/fuzz.sh) through the same
//! checks the fuzz targets make, so every input that once found new paths stays a test.

use std::path::Path;

/// A fuzz target's check.
type Check = fn(&[u8]);

#[test]
fn the_fuzz_corpus_replays_without_a_failure() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    let targets: [(&str, Check); 6] = [
        ("sdp", telephony::fuzz::sdp),
        ("rtp", telephony::fuzz::rtp),
        ("dtmf", telephony::fuzz::dtmf),
        ("digest", telephony::fuzz::digest),
        ("headers", telephony::fuzz::headers),
        ("screen", telephony::fuzz::screen),
    ];
    for (name, check) in targets {
        let dir = root.join(name);
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let outcome = std::panic::catch_unwind(|| check(&data));
            assert!(outcome.is_ok(), "{name}: {} fails", path.display());
            n += 1;
        }
        assert!(n > 0, "{name}: an empty corpus");
    }
}
