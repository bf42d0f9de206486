use time::macros::datetime;
use uuid::Uuid;

use super::*;

fn advisory(state: AdvisoryState) -> Advisory {
    Advisory {
        id: "TEST-2026-1".parse().unwrap(),
        org_id: OrgId::from_uuid(Uuid::from_u128(1)),
        project_id: ProjectId::from_uuid(Uuid::from_u128(2)),
        report_id: Some(ReportId::from_uuid(Uuid::from_u128(3))),
        state,
        draft: AdvisoryContent { summary: "XSS".into(), details: "Escape it.".into(), ..AdvisoryContent::default() },
        published: None,
        created_at: datetime!(2026-01-01 0:00 UTC),
        updated_at: datetime!(2026-01-01 0:00 UTC),
        first_published_at: None,
        withdrawn_at: None,
    }
}

#[test]
fn drafts_need_an_accepted_report() {
    for state in ReportState::ALL {
        let expected = if state.is_accepted() { Ok(()) } else { Err(AdvisoryError::ReportNotAccepted { state }) };
        assert_eq!(check_draft(state), expected, "{state}");
    }
}

#[test]
fn publishing_waits_for_the_fix() {
    let draft = advisory(AdvisoryState::Draft);
    assert_eq!(check_publish(&draft, Some(ReportState::Fixed)), Ok(()));
    assert_eq!(
        check_publish(&draft, Some(ReportState::Accepted)),
        Err(AdvisoryError::FixNotPublic { state: ReportState::Accepted })
    );
    assert_eq!(
        check_publish(&draft, Some(ReportState::NotVulnerable)),
        Err(AdvisoryError::ReportNotAccepted { state: ReportState::NotVulnerable })
    );
    assert_eq!(check_publish(&draft, None), Ok(()), "imported advisories have no report");
}

#[test]
fn publishing_needs_content_and_a_change() {
    let mut empty = advisory(AdvisoryState::Draft);
    empty.draft.details.clear();
    assert_eq!(check_publish(&empty, Some(ReportState::Fixed)), Err(AdvisoryError::Incomplete { field: "details" }));

    let mut published = advisory(AdvisoryState::Published);
    published.published =
        Some(Revision { number: 1, content: published.draft.clone(), published_at: datetime!(2026-01-02 0:00 UTC) });
    assert_eq!(check_publish(&published, Some(ReportState::Disclosed)), Err(AdvisoryError::Unchanged));
    published.draft.summary = "XSS in templates".into();
    assert_eq!(check_publish(&published, Some(ReportState::Disclosed)), Ok(()));

    assert_eq!(check_publish(&advisory(AdvisoryState::Withdrawn), None), Err(AdvisoryError::Withdrawn));
}

#[test]
fn content_checks_name_the_bad_field() {
    let mut content = advisory(AdvisoryState::Draft).draft;
    assert_eq!(content.check(), Ok(()));
    content.references.push(Reference { kind: ReferenceKind::Fix, url: "javascript:alert(1)".into() });
    content.summary = "two\nlines".into();
    let fields: Vec<&str> = content.check().unwrap_err().0.iter().map(crate::text::TextError::field).collect();
    assert_eq!(fields, vec!["summary", "references"]);
    assert!(check_url("url", "https://github.com/pallets/flask/pull/1").is_ok());
    assert!(check_url("url", "https:///nohost").is_err());
    assert!(check_url("url", "ftp://example.org").is_err());
}
