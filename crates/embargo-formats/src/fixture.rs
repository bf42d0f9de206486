//! A published advisory the unit tests of every format share.

use embargo_core::advisory::{
    AdvisoryContent, Affected, Credit, CreditKind, Range, RangeEvent, RangeKind, Reference, ReferenceKind,
};
use embargo_core::id::AdvisoryId;
use embargo_core::project::Package;
use embargo_core::severity::Severity;
use time::macros::datetime;

use crate::Document;

pub struct Fixture {
    pub id: AdvisoryId,
    pub content: AdvisoryContent,
    pub revisions: Vec<(u32, embargo_core::Timestamp)>,
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture {
            id: "PALLETS-2026-1".parse().unwrap(),
            content: AdvisoryContent {
                summary: "Session cookie accepted after logout".into(),
                details: "A signed session cookie stays valid after logout.\n\nUpgrade to 3.1.1.".into(),
                aliases: vec!["CVE-2026-12345".parse().unwrap(), "GHSA-abcd-efgh-ijkl".parse().unwrap()],
                affected: vec![Affected {
                    package: Some(Package::new("PyPI", "flask").unwrap()),
                    ranges: vec![
                        Range {
                            kind: RangeKind::Ecosystem,
                            repo: None,
                            events: vec![RangeEvent::Introduced("0".into()), RangeEvent::Fixed("2.3.9".into())],
                            database_specific: None,
                        },
                        Range {
                            kind: RangeKind::Ecosystem,
                            repo: None,
                            events: vec![RangeEvent::Introduced("3.0.0".into()), RangeEvent::Fixed("3.1.1".into())],
                            database_specific: None,
                        },
                    ],
                    versions: vec!["3.1.0".into()],
                    source: Default::default(),
                }],
                severity: Severity::parse(
                    Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N"),
                    Some("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N/E:P"),
                )
                .unwrap(),
                cwes: vec!["CWE-613".parse().unwrap()],
                references: vec![Reference {
                    kind: ReferenceKind::Fix,
                    url: "https://github.com/pallets/flask/pull/5000".into(),
                }],
                credits: vec![
                    Credit { name: "Ada Lovelace".into(), kind: CreditKind::Reporter, contact: vec![] },
                    Credit { name: "Grace Hopper".into(), kind: CreditKind::RemediationDeveloper, contact: vec![] },
                ],
                fix: Default::default(),
                source: Default::default(),
            },
            revisions: vec![(1, datetime!(2026-05-04 9:00 UTC)), (2, datetime!(2026-05-05 10:30 UTC))],
        }
    }

    pub fn document(&self) -> Document<'_> {
        Document {
            id: &self.id,
            content: &self.content,
            published: datetime!(2026-05-04 9:00 UTC),
            modified: datetime!(2026-05-05 10:30 UTC),
            withdrawn: None,
            revisions: &self.revisions,
            vendor: "Pallets",
            product: "Flask",
            page_url: "https://security.example.org/advisories/PALLETS-2026-1",
        }
    }
}
