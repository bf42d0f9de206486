use uuid::Uuid;

use super::*;

fn uid(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

const ORG: u128 = 10;
const PROJECT: u128 = 20;
const OTHER_PROJECT: u128 = 21;
const REPORTER: u128 = 30;
const REPORT: u128 = 40;

fn report() -> ReportAccess {
    ReportAccess {
        id: ReportId::from_uuid(uid(REPORT)),
        org: OrgId::from_uuid(uid(ORG)),
        project: ProjectId::from_uuid(uid(PROJECT)),
        reporter: Some(UserId::from_uuid(uid(REPORTER))),
    }
}

fn project() -> ProjectAccess {
    ProjectAccess { org: OrgId::from_uuid(uid(ORG)), project: ProjectId::from_uuid(uid(PROJECT)) }
}

fn user(id: u128) -> UserActor {
    UserActor {
        id: UserId::from_uuid(uid(id)),
        is_admin: false,
        is_banned: false,
        team_orgs: vec![],
        team_projects: vec![],
        scopes: None,
        collaborations: vec![],
    }
}

/// One actor per role, named as in the authorization matrix.
fn actors() -> Vec<(&'static str, Actor)> {
    vec![
        ("anonymous", Actor::Anonymous),
        ("follow-up token of the report", Actor::FollowUp(report().id)),
        ("follow-up token of another report", Actor::FollowUp(ReportId::from_uuid(uid(41)))),
        ("the reporter", Actor::User(user(REPORTER))),
        ("another reporter", Actor::User(user(31))),
        ("instance admin", Actor::User(UserActor { is_admin: true, ..user(1) })),
        ("organisation team", Actor::User(UserActor { team_orgs: vec![OrgId::from_uuid(uid(ORG))], ..user(2) })),
        ("project team", Actor::User(UserActor { team_projects: vec![ProjectId::from_uuid(uid(PROJECT))], ..user(3) })),
        (
            "other project's team",
            Actor::User(UserActor { team_projects: vec![ProjectId::from_uuid(uid(OTHER_PROJECT))], ..user(4) }),
        ),
        ("operator", Actor::Operator),
        ("interested party of the report", Actor::Interested(report().id)),
    ]
}

/// Checks one action against the expected decision for each actor, in the order of [`actors`].
fn check(action: Action, expected: [Decision; 11]) {
    for ((name, actor), want) in actors().into_iter().zip(expected) {
        assert_eq!(decide(&actor, action), want, "{action:?} by {name}");
    }
}

use Decision::{Allow as A, Forbidden as F, Hidden as H};

#[test]
fn report_access_matrix() {
    let r = report();
    //                                  anon fu  fu2 rep rep2 adm org prj oprj op  int
    check(Action::ViewReport(r), /*   */ [H, A, H, A, H, H, A, A, H, H, H]);
    check(Action::ViewInternal(r), /* */ [H, H, H, H, H, H, A, A, H, H, H]);
    check(Action::Reply(r), /*        */ [H, A, H, A, H, H, A, A, H, H, H]);
    check(Action::AddInternalNote(r), [H, F, H, F, H, H, A, A, H, H, H]);
    check(Action::Triage(r), /*       */ [H, F, H, F, H, H, A, A, H, H, H]);
    check(Action::Withdraw(r), /*     */ [H, A, H, A, H, H, A, A, H, H, H]);
    check(Action::ViewShared(r), /*   */ [H, A, H, A, H, H, A, A, H, H, A]);
    check(Action::Share(r), /*        */ [H, F, H, F, H, H, A, A, H, H, H]);
}

#[test]
fn administration_matrix() {
    let p = project();
    let org = p.org;
    check(Action::ManageInstance, [F, F, F, F, F, A, F, F, F, A, F]);
    check(Action::ReadAuditLog, [H, H, H, H, H, A, H, H, H, A, H]);
    check(Action::CreateOrganisation, [F, F, F, F, F, A, F, F, F, A, F]);
    check(Action::ManageOrganisation(org), [F, F, F, F, F, A, A, F, F, A, F]);
    check(Action::ManageProject(p), [F, F, F, F, F, A, A, A, F, A, F]);
    check(Action::ViewProjectTeam(p), [H, H, H, H, H, A, A, A, H, A, H]);
}

#[test]
fn advisory_and_intake_matrix() {
    let p = project();
    check(Action::ViewDraftAdvisory(p), [H, H, H, H, H, H, A, A, H, H, H]);
    check(Action::EditAdvisory(p), [H, H, H, H, H, H, A, A, H, H, H]);
    check(Action::PublishAdvisory(p), [H, H, H, H, H, H, A, A, H, H, H]);
    check(Action::ImportAdvisories(p), [H, H, H, H, H, H, A, A, H, A, H]);
    check(Action::SubmitReport, [A, F, F, A, A, A, A, A, A, F, F]);
    check(Action::ListReports, [H, A, A, A, A, A, A, A, A, H, F]);
}

#[test]
fn token_scopes_narrow_what_a_user_may_do() {
    let team = UserActor { team_projects: vec![ProjectId::from_uuid(uid(PROJECT))], ..user(3) };
    let read_only = Actor::User(UserActor { scopes: Some([TokenScope::Read].into_iter().collect()), ..team.clone() });
    assert_eq!(decide(&read_only, Action::ViewReport(report())), A);
    assert_eq!(decide(&read_only, Action::Triage(report())), F);
    assert_eq!(decide(&read_only, Action::PublishAdvisory(project())), F);

    let triage_only = Actor::User(UserActor { scopes: Some([TokenScope::Triage].into_iter().collect()), ..team });
    assert_eq!(decide(&triage_only, Action::ViewReport(report())), H, "reading needs the read scope");
    assert_eq!(decide(&triage_only, Action::Triage(report())), A);

    let admin_reader =
        Actor::User(UserActor { is_admin: true, scopes: Some([TokenScope::Read].into_iter().collect()), ..user(1) });
    assert_eq!(decide(&admin_reader, Action::CreateOrganisation), F);
}

#[test]
fn banned_reporters_can_read_but_not_write() {
    let banned = Actor::User(UserActor { is_banned: true, ..user(REPORTER) });
    assert_eq!(decide(&banned, Action::ViewReport(report())), A);
    assert_eq!(decide(&banned, Action::Reply(report())), F);
    assert_eq!(decide(&banned, Action::SubmitReport), F);
}

#[test]
fn roles_for_display() {
    let roles: Vec<Role> = actors().iter().map(|(_, a)| a.role()).collect();
    assert_eq!(
        roles,
        vec![
            Role::Anonymous,
            Role::Reporter,
            Role::Reporter,
            Role::Reporter,
            Role::Reporter,
            Role::InstanceAdmin,
            Role::OrganisationTeam,
            Role::ProjectTeam,
            Role::ProjectTeam,
            Role::InstanceAdmin,
            Role::Anonymous,
        ]
    );
}

#[test]
fn an_interested_party_reads_only_its_shared_copy() {
    let party = Actor::Interested(report().id);
    let other = ReportAccess { id: ReportId::from_uuid(uid(41)), ..report() };
    assert_eq!(decide(&party, Action::ViewShared(report())), A);
    assert_eq!(decide(&party, Action::ViewShared(other)), H);
    assert_eq!(decide(&party, Action::ViewReport(report())), H, "the full report stays hidden");
}

#[test]
fn evidence_lab_matrix() {
    let r = report();
    //                                  anon fu  fu2 rep rep2 adm org prj oprj op  int
    check(Action::QueueLabRuns(r), /* */ [H, F, H, F, H, H, A, A, H, H, H]);
    check(Action::ViewLab(r), /*      */ [H, H, H, H, H, H, A, A, H, H, H]);
    check(Action::RunLab, /*          */ [F, F, F, F, F, F, F, F, F, A, F]);
    let read_only = Actor::User(UserActor {
        team_orgs: vec![OrgId::from_uuid(uid(ORG))],
        scopes: Some(TokenScopes::from_iter([TokenScope::Read])),
        ..user(2)
    });
    assert_eq!(decide(&read_only, Action::ViewLab(r)), A);
    assert_eq!(decide(&read_only, Action::QueueLabRuns(r)), F, "queueing runs needs the triage scope");
}

#[test]
fn the_reporter_sees_lab_verdicts_only_when_the_team_shares_them_issue_17() {
    let r = report();
    //                                                                 anon fu  fu2 rep rep2 adm org prj oprj op  int
    check(Action::ViewLabVerdicts { report: r, shared: false }, /* */ [H, H, H, H, H, H, A, A, H, H, H]);
    check(Action::ViewLabVerdicts { report: r, shared: true }, /*  */ [H, A, H, A, H, H, A, A, H, H, H]);
    check(Action::ShareLab(r), /*                                  */ [H, F, H, F, H, H, A, A, H, H, H]);
}

#[test]
fn intake_limits_spare_the_team_and_administrators_issue_12() {
    let counted: Vec<&str> =
        actors().into_iter().filter(|(_, a)| intake_limits_apply(a, project())).map(|(name, _)| name).collect();
    let spared: Vec<&str> =
        actors().into_iter().filter(|(_, a)| !intake_limits_apply(a, project())).map(|(name, _)| name).collect();
    assert_eq!(spared, ["instance admin", "organisation team", "project team"]);
    assert!(counted.contains(&"anonymous") && counted.contains(&"the reporter"), "{counted:?}");
    assert!(counted.contains(&"other project's team"), "another project's team is counted like anyone");
}

#[test]
fn second_factors_are_required_by_the_instance_or_by_a_teams_policy_issue_12() {
    let required = |rule: &FactorRule| -> Vec<&'static str> {
        actors().into_iter().filter(|(_, a)| second_factor_required(a, rule)).map(|(name, _)| name).collect()
    };
    assert!(required(&FactorRule::default()).is_empty(), "nothing asks: nobody needs one");
    let instance = FactorRule { instance: true, ..FactorRule::default() };
    assert_eq!(
        required(&instance),
        ["instance admin", "organisation team", "project team", "other project's team"],
        "the instance asks it of administrators and every team"
    );
    let org = FactorRule { orgs: vec![OrgId::from_uuid(uid(ORG))], ..FactorRule::default() };
    assert_eq!(required(&org), ["organisation team"], "an organisation's policy asks it of its own team only");
    let project = FactorRule { projects: vec![ProjectId::from_uuid(uid(PROJECT))], ..FactorRule::default() };
    assert_eq!(required(&project), ["project team"]);
}

#[test]
fn a_listing_holds_exactly_the_reports_each_actor_may_view() {
    let id = |n| ReportId::from_uuid(uid(n));
    let reports = [
        report(),
        // Same organisation, another project; filed by someone else.
        ReportAccess { id: id(42), project: ProjectId::from_uuid(uid(OTHER_PROJECT)), reporter: None, ..report() },
        // Another organisation, filed by the reporter.
        ReportAccess {
            id: id(43),
            org: OrgId::from_uuid(uid(11)),
            project: ProjectId::from_uuid(uid(22)),
            reporter: Some(UserId::from_uuid(uid(REPORTER))),
        },
        // Another organisation, anonymous.
        ReportAccess {
            id: id(41),
            org: OrgId::from_uuid(uid(11)),
            project: ProjectId::from_uuid(uid(22)),
            reporter: None,
        },
    ];
    let team = UserActor { team_projects: vec![ProjectId::from_uuid(uid(PROJECT))], ..user(3) };
    let triage_only = Actor::User(UserActor { scopes: Some([TokenScope::Triage].into_iter().collect()), ..team });
    let grant = crate::collaborator::Collaboration {
        id: crate::id::CollaboratorId::from_uuid(uid(60)),
        report: id(43),
        role: crate::collaborator::CollaboratorRole::Collaborator,
        sees_internal: false,
    };
    let mut everyone = actors();
    everyone.push(("a token without the read scope", triage_only));
    everyone.push(("an invitee by link", Actor::Collaborator(grant)));
    everyone.push(("an invitee with an account", Actor::User(UserActor { collaborations: vec![grant], ..user(50) })));
    for (name, actor) in everyone {
        let scope = visible_reports(&actor);
        for r in &reports {
            let may_view = decide(&actor, Action::ViewReport(*r)) == Decision::Allow;
            assert_eq!(scope.contains(r), may_view, "{name} and report {:?}", r.id);
        }
    }
    assert!(visible_reports(&Actor::Anonymous).is_empty());
    assert!(visible_reports(&Actor::Operator).is_empty(), "the operator reads reports one by one, never a queue");
}

#[test]
fn collaborators_work_on_their_one_report() {
    use crate::collaborator::{Collaboration, CollaboratorRole};
    let r = report();
    let other = ReportAccess { id: ReportId::from_uuid(uid(41)), ..report() };
    let id = crate::id::CollaboratorId::from_uuid(uid(60));
    let grant = Collaboration { id, report: r.id, role: CollaboratorRole::Collaborator, sees_internal: false };
    let by_link = Actor::Collaborator(grant);
    let by_account = Actor::User(UserActor { collaborations: vec![grant], ..user(50) });
    for invitee in [&by_link, &by_account] {
        assert_eq!(decide(invitee, Action::ViewReport(r)), A);
        assert_eq!(decide(invitee, Action::Reply(r)), A);
        assert_eq!(decide(invitee, Action::ViewInternal(r)), H, "internal notes only when the team ticks it");
        assert_eq!(decide(invitee, Action::AddInternalNote(r)), F);
        assert_eq!(decide(invitee, Action::Triage(r)), F);
        assert_eq!(decide(invitee, Action::Withdraw(r)), F, "the reporter's report is not theirs to withdraw");
        assert_eq!(decide(invitee, Action::ManageCollaborators(r)), F);
        assert_eq!(decide(invitee, Action::ViewLab(r)), H);
        assert_eq!(decide(invitee, Action::ViewReport(other)), H, "every other report stays hidden");
        assert_eq!(decide(invitee, Action::ViewProjectTeam(project())), H);
        assert_eq!(decide(invitee, Action::ViewDraftAdvisory(project())), H);
        assert_eq!(collaboration(invitee, &r), Some(grant));
        assert_eq!(collaboration(invitee, &other), None);
    }
    let trusted = Actor::Collaborator(Collaboration { sees_internal: true, ..grant });
    assert_eq!(decide(&trusted, Action::ViewInternal(r)), A);
    assert_eq!(decide(&trusted, Action::AddInternalNote(r)), F);
    // Only the team invites.
    //                                        anon fu  fu2 rep rep2 adm org prj oprj op  int
    check(Action::ManageCollaborators(r), /* */ [H, F, H, F, H, H, A, A, H, H, H]);
    check(Action::ExportConduct(r), /*       */ [H, F, H, F, H, H, A, A, H, H, H]);
    assert_eq!(decide(&by_link, Action::ExportConduct(r)), F);
}

#[test]
fn finders_choose_their_credit_and_reporters_answer_for_public_issues() {
    use crate::collaborator::{Collaboration, CollaboratorRole};
    let r = report();
    //                                        anon fu  fu2 rep rep2 adm org prj oprj op  int
    check(Action::ChooseCredit(r), /*        */ [H, A, H, A, H, H, F, F, H, H, H]);
    check(Action::ViewCredits(r), /*         */ [H, F, H, F, H, H, A, A, H, H, H]);
    check(Action::DraftPublicIssue(r), /*    */ [H, F, H, F, H, H, A, A, H, H, H]);
    check(Action::AnswerPublicIssue(r), /*   */ [H, A, H, A, H, H, F, F, H, H, H]);
    check(Action::ViewPublicIssue(r), /*     */ [H, A, H, A, H, H, A, A, H, H, H]);
    let id = crate::id::CollaboratorId::from_uuid(uid(60));
    let co_finder = Collaboration { id, report: r.id, role: CollaboratorRole::Reporter, sees_internal: false };
    let helper = Collaboration { role: CollaboratorRole::Collaborator, ..co_finder };
    let by_account = Actor::User(UserActor { collaborations: vec![co_finder], ..user(50) });
    for finder in [&Actor::Collaborator(co_finder), &by_account] {
        assert_eq!(decide(finder, Action::ChooseCredit(r)), A, "a co-finder chooses their credit");
        assert_eq!(decide(finder, Action::AnswerPublicIssue(r)), F, "only the reporter answers for the issue");
        assert_eq!(decide(finder, Action::ViewPublicIssue(r)), F);
        assert_eq!(decide(finder, Action::ViewCredits(r)), F);
        assert_eq!(decide(finder, Action::DraftPublicIssue(r)), F);
    }
    assert_eq!(decide(&Actor::Collaborator(helper), Action::ChooseCredit(r)), F, "a collaborator is not credited");
    let other = ReportAccess { id: ReportId::from_uuid(uid(41)), ..report() };
    assert_eq!(decide(&Actor::Collaborator(co_finder), Action::ChooseCredit(other)), H);
}

#[test]
fn every_participant_chooses_their_own_time_zone() {
    //                                      anon fu  fu2 rep rep2 adm org prj oprj op  int
    check(Action::ChooseTimeZone, /*       */ [F, A, A, A, A, A, A, A, A, F, F]);
    let id = crate::id::CollaboratorId::from_uuid(uid(60));
    let grant = crate::collaborator::Collaboration {
        id,
        report: report().id,
        role: crate::collaborator::CollaboratorRole::Collaborator,
        sees_internal: false,
    };
    assert_eq!(decide(&Actor::Collaborator(grant), Action::ChooseTimeZone), A);
}
