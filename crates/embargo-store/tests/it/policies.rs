//! Policies, deadlines, intake notices, attachments, shares, reporter
//! records and CVE assignments.

use embargo_core::deadline::Deadlines;
use embargo_core::id::{AttachmentId, ShareId};
use embargo_core::intake::IntakeNotice;
use embargo_core::lifecycle::ReportState;
use embargo_core::policy::{
    ChannelsDraft, CnaMode, Criterion, Platform, PolicyDraft, ReleasesDraft, ReportField, ResponseDraft, Span, Support,
    ThreatModel, Tier,
};
use embargo_core::private::Private;
use embargo_core::project::LineStatus;
use embargo_core::report::{ReportAttachment, Share};
use embargo_store::StoreError;
use embargo_store::reports::ReporterRecord;

use crate::conformance;
use crate::fixture::{Db, at, new_uuid, token_hash};

conformance!(
    policies_round_trip_per_level,
    report_deadlines_intake_and_lines_round_trip,
    attachments_are_sealed_and_listed,
    shares_open_by_token,
    reporter_records_count_outcomes,
    a_pool_cve_goes_to_one_advisory_only
);

fn full_policy() -> PolicyDraft {
    PolicyDraft {
        channels: ChannelsDraft {
            web_form: Some(true),
            email: Some("security@python.example".parse().unwrap()),
            languages: Some(vec!["en".into()]),
            ..ChannelsDraft::default()
        },
        threat_models: Some(vec![ThreatModel {
            id: "untrusted-data".into(),
            title: "Untrusted data".into(),
            text: "t".into(),
        }]),
        criteria: Some(vec![Criterion {
            id: "documented".into(),
            title: "Documented".into(),
            explanation: "e".into(),
        }]),
        releases: ReleasesDraft {
            support: Some(Support::Lines),
            cve_eligible: Some(vec![LineStatus::Bugfix, LineStatus::Security]),
            experimental: Some(vec!["jit".into()]),
            ..ReleasesDraft::default()
        },
        platforms: Some(vec![Platform {
            name: "AIX".into(),
            tier: Tier::Unsupported,
            interested_parties: vec!["aix@example.org".parse().unwrap()],
        }]),
        response: ResponseDraft { acknowledge: Some(Span::days(2)), ..ResponseDraft::default() },
        advisories: embargo_core::policy::AdvisoriesDraft {
            prefix: Some("PSF".parse().unwrap()),
            cna: Some(CnaMode::IdPool),
            cve_pool: Some(vec!["CVE-2026-0001".parse().unwrap()]),
        },
        report: embargo_core::policy::ReportDraft {
            recommended: Some(vec![ReportField::ProofOfConcept]),
            ..Default::default()
        },
        ..PolicyDraft::default()
    }
}

async fn policies_round_trip_per_level(db: &Db) {
    let org = db.organisation("python").await;
    let project = db.project(&org, "cpython").await;
    let mut r = db.read().await;
    assert_eq!(r.org_policy(org.id).await.unwrap(), PolicyDraft::default(), "none applied yet");
    let policy = full_policy();
    let (stored, id) = (policy.clone(), org.id);
    db.write(move |tx| Box::pin(async move { tx.set_org_policy(id, &stored, at(1)).await })).await.unwrap();
    assert_eq!(r.org_policy(org.id).await.unwrap(), policy);
    let overrides = PolicyDraft {
        releases: ReleasesDraft { support: Some(Support::LatestOnly), ..ReleasesDraft::default() },
        ..PolicyDraft::default()
    };
    let (stored, id) = (overrides.clone(), project.id);
    db.write(move |tx| Box::pin(async move { tx.set_project_policy(id, &stored, at(2)).await })).await.unwrap();
    assert_eq!(r.project_policy(project.id).await.unwrap(), overrides);
    let (empty, id) = (PolicyDraft::default(), org.id);
    db.write(move |tx| Box::pin(async move { tx.set_org_policy(id, &empty, at(3)).await })).await.unwrap();
    assert_eq!(r.org_policy(org.id).await.unwrap(), PolicyDraft::default(), "replaced, not merged");
}

async fn report_deadlines_intake_and_lines_round_trip(db: &Db) {
    let org = db.organisation("python").await;
    let project = db.project(&org, "cpython").await;
    let (mut report, _) = db.report(&project, None, "flaw", 0).await;
    let mut content = report.content.expose().clone();
    content.lines = vec!["3.13".into(), "3.8".into()];
    report.content = Private::new(content);
    report.id = embargo_core::id::ReportId::from_uuid(new_uuid());
    report.deadlines = Deadlines { acknowledge: Some(at(60)), triage: Some(at(600)), fix: None, disclosure: None };
    report.intake = vec![
        IntakeNotice::ReporterSeverity,
        IntakeNotice::UnsupportedLines { lines: vec![("3.8".into(), LineStatus::EndOfLife)] },
        IntakeNotice::Missing { field: ReportField::ProofOfConcept },
        IntakeNotice::UnsupportedPlatform { platform: "AIX".into(), has_interested_parties: true },
        IntakeNotice::OutOfScope { entry: "Third-party packages from the package index".into() },
        IntakeNotice::NotSecurity { entry: "Running untrusted Orbit code".into() },
    ];
    report.team.fix_lines = vec!["3.13".into()];
    let stored = report.clone();
    db.write(move |tx| Box::pin(async move { tx.insert_report(&stored, &token_hash()).await })).await.unwrap();
    let mut r = db.read().await;
    assert_eq!(r.report(report.id).await.unwrap(), Some(report.clone()));
    report.deadlines.fix = Some(at(9000));
    let stored = report.clone();
    db.write(move |tx| Box::pin(async move { tx.update_report(&stored).await })).await.unwrap();
    assert_eq!(r.report(report.id).await.unwrap().unwrap().deadlines.fix, Some(at(9000)));
}

async fn attachments_are_sealed_and_listed(db: &Db) {
    let org = db.organisation("python").await;
    let project = db.project(&org, "cpython").await;
    let (report, _) = db.report(&project, None, "flaw", 0).await;
    let attachment = ReportAttachment {
        id: AttachmentId::from_uuid(new_uuid()),
        report_id: report.id,
        message_id: None,
        filename: "exploit_tokenizer.py".into(),
        text: Private::new("import tokenize  # crash here".into()),
        created_at: at(1),
    };
    let stored = attachment.clone();
    db.write(move |tx| Box::pin(async move { tx.insert_attachment(&stored).await })).await.unwrap();
    let mut r = db.read().await;
    assert_eq!(r.attachments(report.id).await.unwrap(), vec![attachment]);
    let raw = db.raw_column("SELECT content FROM report_attachments").await;
    let raw = String::from_utf8_lossy(&raw[0]);
    assert!(!raw.contains("exploit_tokenizer") && !raw.contains("crash here"), "name and text are sealed");
}

async fn shares_open_by_token(db: &Db) {
    let org = db.organisation("python").await;
    let project = db.project(&org, "cpython").await;
    let (report, _) = db.report(&project, None, "flaw", 0).await;
    let share = Share {
        id: ShareId::from_uuid(new_uuid()),
        report_id: report.id,
        party: "aix-port@example.org".parse().unwrap(),
        platform: "AIX".into(),
        created_at: at(1),
        mailed_at: None,
        first_opened_at: None,
        last_opened_at: None,
    };
    let hash = token_hash();
    let stored = share.clone();
    db.write(move |tx| Box::pin(async move { tx.insert_share(&stored, &hash).await })).await.unwrap();
    let mut r = db.read().await;
    assert_eq!(r.share_by_token(&hash).await.unwrap(), Some(share.clone()));
    assert_eq!(r.share_by_token(&token_hash()).await.unwrap(), None);
    assert_eq!(r.shares(report.id).await.unwrap(), vec![share]);
    let raw = db.raw_column("SELECT party FROM report_shares").await;
    assert!(!String::from_utf8_lossy(&raw[0]).contains("aix-port"), "the party's address is sealed");
}

async fn reporter_records_count_outcomes(db: &Db) {
    let org = db.organisation("python").await;
    let project = db.project(&org, "cpython").await;
    let reporter = db.user("reporter@example.org").await;
    for (i, state) in
        [ReportState::Spam, ReportState::Spam, ReportState::NotVulnerable, ReportState::Disclosed, ReportState::New]
            .into_iter()
            .enumerate()
    {
        let (mut report, _) = db.report(&project, Some(reporter.id), "r", i64::try_from(i).unwrap()).await;
        report.state = state;
        db.write(move |tx| Box::pin(async move { tx.update_report(&report).await })).await.unwrap();
    }
    let mut r = db.read().await;
    assert_eq!(
        r.reporter_record(reporter.id).await.unwrap(),
        ReporterRecord { total: 5, accepted: 1, declined: 1, spam: 2 }
    );
}

async fn a_pool_cve_goes_to_one_advisory_only(db: &Db) {
    use embargo_core::advisory::{Advisory, AdvisoryContent, AdvisoryState};
    let org = db.organisation("python").await;
    let project = db.project(&org, "cpython").await;
    let mut ids = Vec::new();
    for n in 1..=2 {
        let advisory = Advisory {
            id: format!("PYTHON-2026-{n}").parse().unwrap(),
            org_id: org.id,
            project_id: project.id,
            report_id: None,
            state: AdvisoryState::Draft,
            draft: AdvisoryContent::default(),
            published: None,
            created_at: at(0),
            updated_at: at(0),
            first_published_at: None,
            withdrawn_at: None,
        };
        ids.push(advisory.id.clone());
        db.write(move |tx| Box::pin(async move { tx.insert_advisory(&advisory).await })).await.unwrap();
    }
    let cve: embargo_core::id::CveId = "CVE-2026-0001".parse().unwrap();
    let (c, a, o) = (cve.clone(), ids[0].clone(), org.id);
    db.write(move |tx| Box::pin(async move { tx.assign_cve(o, &c, &a, at(1)).await })).await.unwrap();
    let (c, a) = (cve.clone(), ids[1].clone());
    let again = db.write(move |tx| Box::pin(async move { tx.assign_cve(o, &c, &a, at(2)).await })).await;
    assert!(matches!(again, Err(StoreError::Conflict { .. })), "{again:?}");
    assert_eq!(db.read().await.assigned_cves(org.id).await.unwrap(), vec![cve]);
}
