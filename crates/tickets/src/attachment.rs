//! Files attached to a work order — a crew's photos of the repair, a customer's documents,
//! the call's recording — and what is accepted: a few kinds, told by their first bytes (a
//! name says what a file claims to be, its bytes what it is), agreeing with the name's
//! extension, within a size, a bounded number per order.

use serde::{Deserialize, Serialize};

/// The largest file, in bytes (a phone's photo is 2–6 MB).
pub const MAX_BYTES: usize = 10 << 20;

/// The most files one order keeps.
pub const MAX_PER_ORDER: usize = 30;

/// A file attached to an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// Unique within the order.
    pub id: String,
    /// As the user named it (`表井.jpg`).
    pub name: String,
    pub kind: FileKind,
    pub size: u64,
    pub by: Option<u64>,
    pub at_ms: i64,
}

/// The kinds of file an order takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    Jpeg,
    Png,
    Webp,
    Pdf,
    /// A recording (the call's).
    Wav,
    /// Word (docx) and Excel (xlsx): zip containers.
    Docx,
    Xlsx,
}

impl FileKind {
    /// The media type it is served as.
    pub fn mime(self) -> &'static str {
        match self {
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
            FileKind::Webp => "image/webp",
            FileKind::Pdf => "application/pdf",
            FileKind::Wav => "audio/wav",
            FileKind::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileKind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    /// Shown in the page (a photo, a recording) rather than downloaded.
    pub fn inline(self) -> bool {
        matches!(
            self,
            FileKind::Jpeg | FileKind::Png | FileKind::Webp | FileKind::Wav
        )
    }

    fn extensions(self) -> &'static [&'static str] {
        match self {
            FileKind::Jpeg => &["jpg", "jpeg"],
            FileKind::Png => &["png"],
            FileKind::Webp => &["webp"],
            FileKind::Pdf => &["pdf"],
            FileKind::Wav => &["wav"],
            FileKind::Docx => &["docx"],
            FileKind::Xlsx => &["xlsx"],
        }
    }

    /// What the file is, by its first bytes, if the name's extension agrees; why not
    /// otherwise.
    pub fn of(name: &str, bytes: &[u8]) -> Result<FileKind, &'static str> {
        const ACCEPTED: &str =
            "photos (JPEG, PNG, WebP), PDF, WAV recordings, Word (docx) or Excel (xlsx) files";
        let ext = name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        let riff = |tag: &[u8]| bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == tag;
        let sniffed = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            FileKind::Jpeg
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            FileKind::Png
        } else if riff(b"WEBP") {
            FileKind::Webp
        } else if riff(b"WAVE") {
            FileKind::Wav
        } else if bytes.starts_with(b"%PDF-") {
            FileKind::Pdf
        } else if bytes.starts_with(b"PK\x03\x04") {
            // An Office file is a zip; which one, its name says (and its part names would).
            match ext.as_str() {
                "docx" if contains(bytes, b"word/") => FileKind::Docx,
                "xlsx" if contains(bytes, b"xl/") => FileKind::Xlsx,
                _ => return Err(ACCEPTED),
            }
        } else {
            return Err(ACCEPTED);
        };
        if !sniffed.extensions().contains(&ext.as_str()) {
            return Err("the name's extension does not match what the file is");
        }
        Ok(sniffed)
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A file's name as kept: trimmed, 1–100 characters, no path and no control characters.
pub fn check_name(name: &str) -> Result<String, &'static str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err("1–100 characters");
    }
    // Bidirectional controls would let a name read as another (`…\u{202e}gpj.exe`).
    let bidi = |c: char| matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if name
        .chars()
        .any(|c| c.is_control() || bidi(c) || matches!(c, '/' | '\\'))
        || name.starts_with('.')
    {
        return Err("a file's name, without a path or control characters");
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_what_its_bytes_say_if_its_name_agrees() {
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10];
        assert_eq!(FileKind::of("表井.JPG", &jpeg), Ok(FileKind::Jpeg));
        assert_eq!(FileKind::of("a.jpeg", &jpeg), Ok(FileKind::Jpeg));
        assert!(FileKind::of("a.png", &jpeg).is_err(), "a JPEG named .png");
        assert!(FileKind::of("a.jpg", b"MZ\x90\x00").is_err(), "a program");
        assert!(FileKind::of("a.jpg", b"").is_err(), "nothing");
        assert!(FileKind::of("a.html", b"<html><script>").is_err());
        assert_eq!(
            FileKind::of("r.wav", b"RIFF\0\0\0\0WAVEfmt "),
            Ok(FileKind::Wav)
        );
        assert_eq!(
            FileKind::of("p.webp", b"RIFF\0\0\0\0WEBPVP8 "),
            Ok(FileKind::Webp)
        );
        assert_eq!(FileKind::of("x.pdf", b"%PDF-1.7\n"), Ok(FileKind::Pdf));
        let docx = b"PK\x03\x04....[Content_Types].xml....word/document.xml";
        assert_eq!(FileKind::of("合同.docx", docx), Ok(FileKind::Docx));
        assert!(
            FileKind::of("a.xlsx", docx).is_err(),
            "a Word file named .xlsx"
        );
        assert!(FileKind::of("a.zip", docx).is_err(), "any other zip");
    }

    #[test]
    fn names_are_names_not_paths() {
        assert_eq!(check_name("  表井.jpg "), Ok("表井.jpg".into()));
        for bad in [
            "",
            " ",
            "../etc/passwd",
            "a\\b.jpg",
            "a\0.jpg",
            ".htaccess",
            "photo\u{202e}gpj.exe",
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_name(&"长".repeat(101)).is_err());
    }
}
