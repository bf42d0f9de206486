//! `security.txt` (RFC 9116): where and how to report vulnerabilities.

use embargo_core::Timestamp;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

/// The fields of a security.txt file (RFC 9116 section 2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityTxt {
    /// `Contact:` URIs, most preferred first (section 2.5.3; required).
    pub contacts: Vec<String>,
    /// `Expires:` (section 2.5.5; required, less than a year ahead recommended).
    pub expires: Timestamp,
    /// `Encryption:` URI of the key to encrypt reports to (section 2.5.4).
    pub encryption: Option<String>,
    /// `Acknowledgments:` URI of the page crediting reporters (section 2.5.1).
    pub acknowledgments: Option<String>,
    /// `Preferred-Languages:` (section 2.5.8).
    pub preferred_languages: Vec<String>,
    /// `Canonical:` URIs this file is served at (section 2.5.2).
    pub canonical: Vec<String>,
    /// `Policy:` URI of the security policy (section 2.5.7).
    pub policy: Option<String>,
    /// `CSAF:` URI of the CSAF provider's `provider-metadata.json` (CSAF 2.0
    /// section 7.1.8, requirement 8: a field IANA registered for RFC 9116).
    pub csaf: Option<String>,
}

const EXPIRES: &[BorrowedFormatItem<'_>] = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].000Z");

impl SecurityTxt {
    /// The file's text: one field per line, LF line ends (section 4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut field = |name: &str, value: &str| {
            out.push_str(name);
            out.push_str(": ");
            out.push_str(value);
            out.push('\n');
        };
        for contact in &self.contacts {
            field("Contact", contact);
        }
        let expires = self.expires.to_offset(time::UtcOffset::UTC).format(EXPIRES).unwrap_or_default();
        field("Expires", &expires);
        if let Some(encryption) = &self.encryption {
            field("Encryption", encryption);
        }
        if let Some(acknowledgments) = &self.acknowledgments {
            field("Acknowledgments", acknowledgments);
        }
        if !self.preferred_languages.is_empty() {
            field("Preferred-Languages", &self.preferred_languages.join(", "));
        }
        for canonical in &self.canonical {
            field("Canonical", canonical);
        }
        if let Some(policy) = &self.policy {
            field("Policy", policy);
        }
        if let Some(csaf) = &self.csaf {
            field("CSAF", csaf);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn fields_in_rfc_9116_form() {
        let txt = SecurityTxt {
            contacts: vec!["mailto:security@example.org".into(), "https://example.org/report".into()],
            expires: datetime!(2027-05-04 09:30:15.25 UTC),
            encryption: Some("https://example.org/key.asc".into()),
            acknowledgments: Some("https://example.org/advisories".into()),
            preferred_languages: vec!["en".into(), "de".into()],
            canonical: vec!["https://example.org/.well-known/security.txt".into()],
            policy: Some("https://example.org/policy".into()),
            csaf: Some("https://example.org/.well-known/csaf/provider-metadata.json".into()),
        };
        assert_eq!(
            txt.render(),
            "Contact: mailto:security@example.org\n\
             Contact: https://example.org/report\n\
             Expires: 2027-05-04T09:30:15.000Z\n\
             Encryption: https://example.org/key.asc\n\
             Acknowledgments: https://example.org/advisories\n\
             Preferred-Languages: en, de\n\
             Canonical: https://example.org/.well-known/security.txt\n\
             Policy: https://example.org/policy\n\
             CSAF: https://example.org/.well-known/csaf/provider-metadata.json\n"
        );
    }
}
