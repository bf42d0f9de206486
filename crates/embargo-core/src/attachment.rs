//! Attachments: plain text only, recognised by content, never by name.
//!
//! A proof of concept that needs a binary file must send a script that builds
//! it. PDFs, archives, executables, images, notebooks and anything else that
//! is not valid UTF-8 text is refused with a message saying what it looks like.

use std::fmt;

use crate::private::Private;

/// What a file's content looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentKind {
    /// Plain text (UTF-8, no control characters but tabs, line and page breaks).
    Text,
    /// A PDF document.
    Pdf,
    /// An archive or compressed file (zip, gzip, tar, 7z, ...).
    Archive(&'static str),
    /// A program or library (ELF, PE, Mach-O, WebAssembly, Java class).
    Executable(&'static str),
    /// An image.
    Image(&'static str),
    /// A Jupyter notebook.
    Notebook,
    /// A database file.
    Database,
    /// Any other binary data.
    Binary,
}

impl fmt::Display for ContentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContentKind::Text => f.write_str("plain text"),
            ContentKind::Pdf => f.write_str("a PDF document"),
            ContentKind::Archive(kind) => write!(f, "an archive ({kind})"),
            ContentKind::Executable(kind) => write!(f, "an executable ({kind})"),
            ContentKind::Image(kind) => write!(f, "an image ({kind})"),
            ContentKind::Notebook => f.write_str("a Jupyter notebook"),
            ContentKind::Database => f.write_str("a database file"),
            ContentKind::Binary => f.write_str("binary data"),
        }
    }
}

/// Magic numbers at the start of a file.
const MAGIC: &[(&[u8], ContentKind)] = &[
    (b"%PDF-", ContentKind::Pdf),
    (b"PK\x03\x04", ContentKind::Archive("zip")),
    (b"PK\x05\x06", ContentKind::Archive("zip")),
    (b"\x1f\x8b", ContentKind::Archive("gzip")),
    (b"BZh", ContentKind::Archive("bzip2")),
    (b"\xfd7zXZ\x00", ContentKind::Archive("xz")),
    (b"7z\xbc\xaf\x27\x1c", ContentKind::Archive("7z")),
    (b"Rar!\x1a\x07", ContentKind::Archive("rar")),
    (b"\x28\xb5\x2f\xfd", ContentKind::Archive("zstd")),
    (b"\x7fELF", ContentKind::Executable("ELF")),
    (b"MZ", ContentKind::Executable("Windows")),
    (b"\xfe\xed\xfa\xce", ContentKind::Executable("Mach-O")),
    (b"\xfe\xed\xfa\xcf", ContentKind::Executable("Mach-O")),
    (b"\xcf\xfa\xed\xfe", ContentKind::Executable("Mach-O")),
    (b"\xce\xfa\xed\xfe", ContentKind::Executable("Mach-O")),
    (b"\xca\xfe\xba\xbe", ContentKind::Executable("Java class or Mach-O")),
    (b"\x00asm", ContentKind::Executable("WebAssembly")),
    (b"\x89PNG\r\n\x1a\n", ContentKind::Image("PNG")),
    (b"\xff\xd8\xff", ContentKind::Image("JPEG")),
    (b"GIF87a", ContentKind::Image("GIF")),
    (b"GIF89a", ContentKind::Image("GIF")),
    (b"II*\x00", ContentKind::Image("TIFF")),
    (b"MM\x00*", ContentKind::Image("TIFF")),
    (b"\x00\x00\x01\x00", ContentKind::Image("icon")),
    (b"SQLite format 3\x00", ContentKind::Database),
];

/// What `bytes` look like, by content alone.
pub fn classify(bytes: &[u8]) -> ContentKind {
    if let Some((_, kind)) = MAGIC.iter().find(|(magic, _)| bytes.starts_with(magic)) {
        return *kind;
    }
    if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        return ContentKind::Image("WebP");
    }
    if bytes.get(257..262) == Some(b"ustar") {
        return ContentKind::Archive("tar");
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return ContentKind::Binary;
    };
    if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}')) {
        return ContentKind::Binary;
    }
    let head = text.trim_start();
    if head.starts_with('{') && text.contains("\"nbformat\"") && text.contains("\"cells\"") {
        return ContentKind::Notebook;
    }
    if head.starts_with("<svg") || (head.starts_with("<?xml") && text.contains("<svg")) {
        return ContentKind::Image("SVG");
    }
    ContentKind::Text
}

/// Why an attachment was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    /// Not plain text.
    #[error("{filename} looks like {kind}: attachments must be plain text; send a script that builds the file instead")]
    NotText {
        /// The file's name.
        filename: String,
        /// What it looks like.
        kind: ContentKind,
    },
    /// Over the policy's size limit.
    #[error("{filename} is larger than {max} bytes")]
    TooLarge {
        /// The file's name.
        filename: String,
        /// The limit.
        max: u32,
    },
    /// More files than the policy allows.
    #[error("at most {max} attachments may be sent with a report")]
    TooMany {
        /// The limit.
        max: u32,
    },
    /// A name that is empty or not a plain file name.
    #[error("attachment name {0:?} is not a plain file name")]
    BadName(String),
}

/// An accepted attachment: a plain file name and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The file name (no directories).
    pub filename: String,
    /// The text.
    pub text: Private<String>,
}

/// Checks one file against the rules: a plain name, a size limit, text only.
pub fn accept(filename: &str, bytes: &[u8], max_bytes: u32) -> Result<Attachment, AttachmentError> {
    let name = filename.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if name.is_empty()
        || name == "."
        || name == ".."
        || name.chars().count() > 200
        || name.chars().any(char::is_control)
    {
        return Err(AttachmentError::BadName(filename.chars().take(60).collect()));
    }
    if bytes.len() > max_bytes as usize {
        return Err(AttachmentError::TooLarge { filename: name.to_owned(), max: max_bytes });
    }
    match classify(bytes) {
        ContentKind::Text => Ok(Attachment {
            filename: name.to_owned(),
            text: Private::new(String::from_utf8_lossy(bytes).replace("\r\n", "\n")),
        }),
        kind => Err(AttachmentError::NotText { filename: name.to_owned(), kind }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(bytes: &[u8], expected: ContentKind) {
        assert_eq!(classify(bytes), expected, "{:?}", String::from_utf8_lossy(&bytes[..bytes.len().min(16)]));
    }

    #[test]
    fn content_decides_not_the_name() {
        check(b"#!/usr/bin/env python3\nimport sys\nsys.exit(1)\n", ContentKind::Text);
        check(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", ContentKind::Pdf);
        check(b"PK\x03\x04\x14\x00\x00\x00", ContentKind::Archive("zip"));
        check(b"\x1f\x8b\x08\x00\x00\x00", ContentKind::Archive("gzip"));
        check(b"\x7fELF\x02\x01\x01\x00", ContentKind::Executable("ELF"));
        check(b"MZ\x90\x00\x03\x00", ContentKind::Executable("Windows"));
        check(b"\x89PNG\r\n\x1a\n\x00\x00", ContentKind::Image("PNG"));
        check(b"\xff\xd8\xff\xe0\x00\x10JFIF", ContentKind::Image("JPEG"));
        check(b"RIFF\x00\x00\x00\x00WEBPVP8 ", ContentKind::Image("WebP"));
        check(b"SQLite format 3\x00rest", ContentKind::Database);
        check(br#"{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}"#, ContentKind::Notebook);
        check(b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", ContentKind::Image("SVG"));
        check(b"plain\x00with a NUL", ContentKind::Binary);
        check(b"\xc3\x28 invalid UTF-8", ContentKind::Binary);
        let mut tar = vec![b'a'; 300];
        tar[257..262].copy_from_slice(b"ustar");
        check(&tar, ContentKind::Archive("tar"));
        check(br#"{"json": "but not a notebook"}"#, ContentKind::Text);
    }

    #[test]
    fn accepted_attachments_keep_a_plain_name() {
        let ok = accept("../../etc/poc.py", b"print(1)\r\n", 100).unwrap();
        assert_eq!(ok.filename, "poc.py");
        assert_eq!(ok.text.expose(), "print(1)\n");
        assert_eq!(
            accept("report.txt", b"%PDF-1.4", 100),
            Err(AttachmentError::NotText { filename: "report.txt".into(), kind: ContentKind::Pdf })
        );
        assert_eq!(
            accept("big.txt", &[b'a'; 101], 100),
            Err(AttachmentError::TooLarge { filename: "big.txt".into(), max: 100 })
        );
        assert!(matches!(accept("..", b"x", 100), Err(AttachmentError::BadName(_))));
        let message = accept("poc.txt", b"\x7fELF\x02", 100).unwrap_err().to_string();
        assert_eq!(
            message,
            "poc.txt looks like an executable (ELF): attachments must be plain text; send a script that builds the file instead"
        );
    }
}
