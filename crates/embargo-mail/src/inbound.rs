//! Reading one received mail (RFC 5322, MIME RFC 2045-2049, PGP/MIME RFC 3156)
//! into what the app files: limits first, then loop detection, then text,
//! attachments and OpenPGP. Hostile input ends in a typed refusal, never a panic.
//!
//! Attachments are handed over as received (decrypted where they hold inline
//! OpenPGP): which are kept is the project's policy's decision, made by the app
//! with the same rules as for a form's files (`embargo_core::attachment`).

use embargo_app::{InboundMail, Upload};
use embargo_core::private::Private;
use embargo_core::text::{Email, MAX_TEXT_BYTES};
use embargo_store::mail::SignatureState;
use mail_parser::{Address, HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

use crate::openpgp::{Keyring, PgpError};

/// Limits on what is read at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest mail accepted, in bytes.
    pub max_bytes: usize,
    /// The most bytes the header block may take.
    pub max_header_bytes: usize,
    /// The most MIME parts a mail may have.
    pub max_parts: usize,
    /// The deepest multipart nesting accepted.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_bytes: 10 * 1024 * 1024, max_header_bytes: 256 * 1024, max_parts: 500, max_depth: 20 }
    }
}

/// The SMTP envelope, when known (the listener, or an MTA passing it on).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    /// `MAIL FROM`; `Some("")` is the null sender of bounces.
    pub sender: Option<String>,
    /// `RCPT TO`, in order.
    pub recipients: Vec<String>,
}

/// Why a mail is refused outright; the sender is told (by the MTA's bounce or the SMTP reply).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Larger than the limit.
    #[error("the mail is larger than {max} bytes")]
    TooLarge {
        /// The limit.
        max: usize,
    },
    /// The header block is larger than the limit.
    #[error("the mail's headers are larger than {max} bytes")]
    HeadersTooLarge {
        /// The limit.
        max: usize,
    },
    /// Too many MIME parts.
    #[error("the mail has more than {max} MIME parts")]
    TooManyParts {
        /// The limit.
        max: usize,
    },
    /// Multiparts nested too deeply.
    #[error("the mail's MIME parts are nested more than {max} levels deep")]
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// Not a mail at all.
    #[error("the input is not an RFC 5322 message")]
    NotMail,
    /// No usable `From` address.
    #[error("the mail has no valid From address")]
    NoSender,
    /// Encrypted, but not readable by us.
    #[error("{0}")]
    Encryption(PgpError),
    /// The text is longer than a report may be.
    #[error("the mail's text is longer than {MAX_TEXT_BYTES} bytes")]
    TextTooLong,
}

/// Why a mail is accepted and dropped without an answer: it is machine
/// mail (RFC 3834 auto-replies, bounces, lists), which must not start a loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoopReason {
    /// `Auto-Submitted` other than `no` (RFC 3834 section 5).
    AutoSubmitted(String),
    /// `Precedence: bulk`, `junk` or `list`.
    Precedence(String),
    /// The null sender `<>` (delivery reports).
    NullSender,
    /// From a mailer daemon or postmaster.
    MailerDaemon,
}

/// A mail read.
#[derive(Debug)]
pub enum Reading {
    /// Something to file.
    Mail(Box<InboundMail>),
    /// Machine mail, dropped.
    Loop(LoopReason),
}

/// Reads a mail.
pub fn read(raw: &[u8], envelope: &Envelope, keyring: &Keyring, limits: Limits) -> Result<Reading, Refusal> {
    if raw.len() > limits.max_bytes {
        return Err(Refusal::TooLarge { max: limits.max_bytes });
    }
    let header_end = find(raw, b"\r\n\r\n").or_else(|| find(raw, b"\n\n")).unwrap_or(raw.len());
    if header_end > limits.max_header_bytes {
        return Err(Refusal::HeadersTooLarge { max: limits.max_header_bytes });
    }
    // Count multipart declarations before parsing, so a bomb of nested parts costs nothing.
    if count_multiparts(raw) > limits.max_parts {
        return Err(Refusal::TooManyParts { max: limits.max_parts });
    }
    let message = MessageParser::default().parse(raw).ok_or(Refusal::NotMail)?;
    if message.headers().is_empty() {
        return Err(Refusal::NotMail);
    }
    check_shape(&message, limits)?;
    if let Some(reason) = loop_reason(&message, envelope) {
        return Ok(Reading::Loop(reason));
    }
    let (from, from_name) = sender(&message).ok_or(Refusal::NoSender)?;
    let key = match message.message_id().map(str::trim).filter(|id| !id.is_empty() && id.len() <= 250) {
        Some(id) => id.trim_matches(['<', '>']).to_owned(),
        None => format!("sha256:{}", hex(&Sha256::digest(raw))),
    };
    let mut references: Vec<String> = Vec::new();
    for value in [message.in_reply_to(), message.references()] {
        references.extend(ids_of(value));
    }
    references.truncate(50);
    let mut recipients: Vec<String> = envelope.recipients.iter().map(|r| normalise_address(r)).collect();
    if recipients.is_empty() {
        recipients = header_recipients(&message);
    }
    let mut content = Content::default();
    collect(&message, keyring, limits, &mut content, 0)?;
    let body = assemble(&content)?;
    Ok(Reading::Mail(Box::new(InboundMail {
        key,
        recipients,
        from,
        from_name: Private::new(from_name),
        subject: Private::new(message.subject().map(str::to_owned)),
        references,
        body: Private::new(body),
        attachments: Private::new(content.attachments),
        encrypted: content.encrypted,
        signature: content.signature,
    })))
}

/// What the parts of a mail gave.
#[derive(Debug, Default)]
struct Content {
    texts: Vec<String>,
    attachments: Vec<Upload>,
    encrypted: bool,
    signature: Option<(SignatureState, String)>,
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn count_multiparts(raw: &[u8]) -> usize {
    raw.split(|b| *b == b'\n')
        .filter(|line| {
            line.len() >= 13
                && line.get(..13).is_some_and(|h| h.eq_ignore_ascii_case(b"content-type:"))
                && line.windows(9).any(|w| w.eq_ignore_ascii_case(b"multipart"))
        })
        .count()
}

/// Checks the part count and nesting depth of the parsed tree.
fn check_shape(message: &Message<'_>, limits: Limits) -> Result<(), Refusal> {
    if message.parts.len() > limits.max_parts {
        return Err(Refusal::TooManyParts { max: limits.max_parts });
    }
    let mut stack = vec![(0u32, 0usize)];
    while let Some((id, depth)) = stack.pop() {
        if depth > limits.max_depth {
            return Err(Refusal::TooDeep { max: limits.max_depth });
        }
        if let Some(PartType::Multipart(children)) = message.part(id).map(|p| &p.body) {
            stack.extend(children.iter().filter(|c| **c != id).map(|c| (*c, depth + 1)));
        }
    }
    Ok(())
}

fn header_text<'a>(message: &'a Message<'a>, name: &'a str) -> Option<&'a str> {
    message.header_raw(name).map(str::trim)
}

fn loop_reason(message: &Message<'_>, envelope: &Envelope) -> Option<LoopReason> {
    if let Some(value) = header_text(message, "Auto-Submitted")
        && !value.eq_ignore_ascii_case("no")
    {
        return Some(LoopReason::AutoSubmitted(value.chars().take(40).collect()));
    }
    if let Some(value) = header_text(message, "Precedence") {
        let lower = value.to_ascii_lowercase();
        if matches!(lower.as_str(), "bulk" | "junk" | "list") {
            return Some(LoopReason::Precedence(lower));
        }
    }
    if let Some(sender) = &envelope.sender
        && sender.trim_matches(['<', '>', ' ']).is_empty()
    {
        return Some(LoopReason::NullSender);
    }
    if header_text(message, "Return-Path").is_some_and(|v| v.trim_matches(['<', '>', ' ']).is_empty()) {
        return Some(LoopReason::NullSender);
    }
    let from = message.from().and_then(Address::first).and_then(|a| a.address()).unwrap_or_default();
    let local = from.split('@').next().unwrap_or_default().to_ascii_lowercase();
    if matches!(local.as_str(), "mailer-daemon" | "postmaster") {
        return Some(LoopReason::MailerDaemon);
    }
    None
}

fn sender(message: &Message<'_>) -> Option<(Email, Option<String>)> {
    let address = message.from()?.first()?;
    let email: Email = address.address()?.parse().ok()?;
    let name = address.name().map(|n| n.chars().filter(|c| !c.is_control()).collect::<String>());
    Some((email, name.filter(|n| !n.trim().is_empty())))
}

fn normalise_address(address: &str) -> String {
    address.trim().trim_matches(['<', '>']).to_lowercase()
}

fn header_recipients(message: &Message<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for name in ["Delivered-To", "X-Original-To"] {
        for value in message.header_values(name) {
            if let Some(text) = value.as_text() {
                out.push(normalise_address(text));
            }
        }
    }
    for list in [message.to(), message.cc()].into_iter().flatten() {
        for address in list.iter() {
            if let Some(a) = address.address() {
                out.push(normalise_address(a));
            }
        }
    }
    out.dedup();
    out
}

fn ids_of(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(id) => vec![id.trim_matches(['<', '>']).to_owned()],
        HeaderValue::TextList(ids) => ids.iter().map(|id| id.trim_matches(['<', '>']).to_owned()).collect(),
        _ => Vec::new(),
    }
}

/// Replaces control characters (other than tab and line breaks) so that text
/// from any charset is plain text.
fn clean(text: &str) -> String {
    text.chars().map(|c| if c.is_control() && !matches!(c, '\n' | '\r' | '\t') { '\u{fffd}' } else { c }).collect()
}

/// Walks a message: PGP/MIME first, then bodies and attachments.
fn collect(
    message: &Message<'_>,
    keyring: &Keyring,
    limits: Limits,
    content: &mut Content,
    depth: usize,
) -> Result<(), Refusal> {
    let root = message.root_part();
    let ctype = root.content_type();
    let subtype = ctype.and_then(|c| c.subtype()).unwrap_or_default().to_ascii_lowercase();
    let children = root.sub_parts().unwrap_or_default();
    if ctype.is_some_and(|c| c.ctype().eq_ignore_ascii_case("multipart")) && depth < 3 {
        // PGP/MIME parts are split here, with delimiters only at line starts (RFC 2046
        // section 5.1.1): the parser also matches a boundary inside a line, and an armor
        // footer's dashes may hold one.
        let raw = message.raw_message();
        let body = usize::try_from(root.raw_body_offset())
            .ok()
            .zip(usize::try_from(root.raw_end_offset()).ok())
            .and_then(|(start, end)| raw.get(start..end))
            .unwrap_or_default();
        let parts = ctype.and_then(|c| c.attribute("boundary")).map(|b| multipart_parts(body, b)).unwrap_or_default();
        if subtype == "encrypted" {
            // RFC 3156 section 4: the second part holds the OpenPGP message.
            let data = match parts.get(1).map(|part| split_entity(part)) {
                Some((headers, data)) if !encoded(headers) => data,
                _ => children.get(1).and_then(|id| message.part(*id)).map(|p| p.contents()).unwrap_or_default(),
            };
            let (plain, signature) = keyring.decrypt(data).map_err(Refusal::Encryption)?;
            content.encrypted = true;
            if signature.is_some() {
                content.signature = signature;
            }
            return collect_entity(plain.expose(), keyring, limits, content, depth);
        }
        if subtype == "signed"
            && let (Some(signed), Some(signature)) = (parts.first(), parts.get(1))
        {
            // RFC 3156 section 5: the signature covers the first part as sent, headers included.
            let (headers, data) = split_entity(signature);
            let data = if encoded(headers) {
                children.get(1).and_then(|id| message.part(*id)).map(|p| p.contents()).unwrap_or_default()
            } else {
                data
            };
            content.signature = Some(keyring.check_detached(data, &canonical_lines(signed)));
            return collect_entity(signed, keyring, limits, content, depth);
        }
    }
    let texts: Vec<String> =
        (0..message.text_body_count()).filter_map(|i| message.body_text(i)).map(|t| clean(&t)).collect();
    for text in texts {
        let text = inline_pgp(&text, keyring, content)?;
        content.texts.push(text);
    }
    for part in message.attachments() {
        if matches!(part.body, PartType::Multipart(_)) {
            continue;
        }
        let ctype = part
            .content_type()
            .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")).to_ascii_lowercase())
            .unwrap_or_else(|| "application/octet-stream".into());
        if ctype == "application/pgp-signature" || ctype == "application/pgp-encrypted" {
            continue;
        }
        let number = content.attachments.len() + 1;
        let name = file_name(part.attachment_name()).unwrap_or_else(|| format!("attachment-{number}"));
        let bytes = match &part.body {
            PartType::Message(nested) => nested.raw_message(),
            _ => part.contents(),
        };
        // An armored OpenPGP message in a text file is opened like one in the body.
        let bytes = match std::str::from_utf8(bytes) {
            Ok(text) if text.contains("-----BEGIN PGP ") => inline_pgp(text, keyring, content)?.into_bytes(),
            _ => bytes.to_vec(),
        };
        content.attachments.push(Upload { filename: name, bytes });
    }
    Ok(())
}

/// Reads a MIME entity (a decrypted PGP/MIME body, the signed part of a
/// signed mail): one that opens with MIME headers is parsed as such; one
/// without (RFC 2045 section 5.2: plain text) is kept whole as text, never
/// losing its first paragraph to a header parser.
fn collect_entity(
    bytes: &[u8],
    keyring: &Keyring,
    limits: Limits,
    content: &mut Content,
    depth: usize,
) -> Result<(), Refusal> {
    if !opens_with_mime_header(bytes) {
        let body = bytes.strip_prefix(b"\r\n").or_else(|| bytes.strip_prefix(b"\n")).unwrap_or(bytes);
        let text = String::from_utf8_lossy(body);
        let text = inline_pgp(&clean(&text), keyring, content)?;
        content.texts.push(text);
        return Ok(());
    }
    let inner = MessageParser::default().parse(bytes).ok_or(Refusal::NotMail)?;
    check_shape(&inner, limits)?;
    collect(&inner, keyring, limits, content, depth + 1)
}

/// Whether an entity opens with a MIME header block: lines that are all
/// header fields (or their continuations) up to the first empty line, one of
/// them `Content-…` or `MIME-Version`.
fn opens_with_mime_header(bytes: &[u8]) -> bool {
    let mut mime = false;
    for line in bytes.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return mime;
        }
        if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            continue;
        }
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            return false;
        };
        let name = line.get(..colon).unwrap_or_default();
        if name.is_empty() || !name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-') {
            return false;
        }
        mime |= name.get(..8).is_some_and(|n| n.eq_ignore_ascii_case(b"content-"))
            || name.eq_ignore_ascii_case(b"mime-version");
    }
    mime
}

/// An entity's header block and body: split at the first empty line; an
/// entity that opens with an empty line has no headers.
fn split_entity(part: &[u8]) -> (&[u8], &[u8]) {
    for ending in [&b"\r\n"[..], b"\n"] {
        if let Some(body) = part.strip_prefix(ending) {
            return (&[], body);
        }
    }
    let crlf = find(part, b"\r\n\r\n").map(|at| (at, 4));
    let lf = find(part, b"\n\n").map(|at| (at, 2));
    let first = match (crlf, lf) {
        (Some(a), Some(b)) => Some(if a.0 < b.0 { a } else { b }),
        (a, b) => a.or(b),
    };
    match first {
        Some((at, len)) => (part.get(..at).unwrap_or_default(), part.get(at + len..).unwrap_or_default()),
        None => (part, &[]),
    }
}

/// Whether a header block declares a transfer encoding other than the
/// identity ones (7bit, 8bit, binary), which the parser must decode.
fn encoded(headers: &[u8]) -> bool {
    let text = String::from_utf8_lossy(headers).replace("\r\n", "\n").replace("\n ", " ").replace("\n\t", " ");
    text.lines().any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.trim().eq_ignore_ascii_case("content-transfer-encoding")
                && !["7bit", "8bit", "binary"].contains(&value.trim().to_ascii_lowercase().as_str())
        })
    })
}

/// The body parts of a multipart body (RFC 2046 section 5.1.1). A delimiter
/// is `--` and the boundary at the start of a line, followed only by
/// white space, or by `--` for the last one; the line ending before it
/// belongs to the delimiter. The same characters inside a line are content.
fn multipart_parts<'a>(body: &'a [u8], boundary: &str) -> Vec<&'a [u8]> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut open: Option<usize> = None;
    let mut start = 0;
    while start < body.len() {
        let end = body.get(start..).and_then(|rest| rest.iter().position(|b| *b == b'\n')).map(|at| start + at);
        let next = end.map_or(body.len(), |e| e + 1);
        let line = body.get(start..end.unwrap_or(body.len())).unwrap_or_default();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(rest) = line.strip_prefix(delimiter.as_bytes()) {
            let last = rest.starts_with(b"--");
            let rest = if last { rest.get(2..).unwrap_or_default() } else { rest };
            if rest.iter().all(|b| *b == b' ' || *b == b'\t') {
                if let Some(from) = open {
                    let before = body.get(..start).unwrap_or_default();
                    let cut = before.strip_suffix(b"\n").map_or(before, |b| b.strip_suffix(b"\r").unwrap_or(b));
                    parts.push(body.get(from..cut.len().max(from)).unwrap_or_default());
                }
                if last {
                    return parts;
                }
                open = Some(next);
            }
        }
        start = next;
    }
    // A body cut short: its last part ends with it.
    if let Some(from) = open {
        parts.push(body.get(from..).unwrap_or_default());
    }
    parts
}

/// Lines ending in CRLF, as signatures over MIME parts are made (RFC 3156 section 5).
fn canonical_lines(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 40);
    let mut previous = 0u8;
    for &b in bytes {
        if b == b'\n' && previous != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        previous = b;
    }
    out
}

/// Decrypts or verifies inline OpenPGP in a text.
fn inline_pgp(text: &str, keyring: &Keyring, content: &mut Content) -> Result<String, Refusal> {
    const BEGIN_MESSAGE: &str = "-----BEGIN PGP MESSAGE-----";
    const END_MESSAGE: &str = "-----END PGP MESSAGE-----";
    const BEGIN_SIGNED: &str = "-----BEGIN PGP SIGNED MESSAGE-----";
    const END_SIGNATURE: &str = "-----END PGP SIGNATURE-----";
    if let (Some(start), Some(end)) = (text.find(BEGIN_MESSAGE), text.find(END_MESSAGE))
        && start < end
    {
        let block = text.get(start..end + END_MESSAGE.len()).unwrap_or_default();
        let (plain, signature) = keyring.decrypt(block.as_bytes()).map_err(Refusal::Encryption)?;
        content.encrypted = true;
        if signature.is_some() {
            content.signature = signature;
        }
        let plain = clean(&String::from_utf8_lossy(plain.expose()));
        let before = text.get(..start).unwrap_or_default();
        let after = text.get(end + END_MESSAGE.len()..).unwrap_or_default();
        let inner = inline_pgp(&plain, keyring, content)?;
        return Ok(format!("{before}{inner}{after}"));
    }
    if let (Some(start), Some(end)) = (text.find(BEGIN_SIGNED), text.find(END_SIGNATURE))
        && start < end
    {
        let block = text.get(start..end + END_SIGNATURE.len()).unwrap_or_default();
        if let Some((check, signed)) = keyring.check_cleartext(block) {
            content.signature = Some(check);
            let before = text.get(..start).unwrap_or_default();
            let after = text.get(end + END_SIGNATURE.len()..).unwrap_or_default();
            return Ok(format!("{before}{signed}{after}"));
        }
    }
    Ok(text.to_owned())
}

/// A sender's file name as a plain name: its last path component, without
/// control characters, at most 100 characters; `None` when nothing is left.
fn file_name(name: Option<&str>) -> Option<String> {
    let name = name?.rsplit(['/', '\\']).next()?;
    let name: String = name.chars().filter(|c| !c.is_control()).take(100).collect();
    let name = name.trim();
    (!name.is_empty() && name != "." && name != "..").then(|| name.to_owned())
}

/// The report text: the bodies, in order.
fn assemble(content: &Content) -> Result<String, Refusal> {
    let body = content.texts.join("\n\n");
    if body.len() > MAX_TEXT_BYTES {
        return Err(Refusal::TextTooLong);
    }
    Ok(body)
}

#[cfg(test)]
mod tests;
