use proptest::prelude::*;
use uuid::Uuid;

use super::*;

fn report() -> ReportId {
    ReportId::from_uuid(Uuid::from_u128(1))
}

fn to(state: ReportState) -> TransitionRequest {
    TransitionRequest { to: state, reason: None, duplicate_of: None }
}

fn check(from: ReportState, request: TransitionRequest, performer: Performer, expected: Result<(), TransitionError>) {
    assert_eq!(check_transition(report(), from, &request, performer), expected, "{from} -> {}", request.to);
}

use ReportState::*;

#[test]
fn the_main_line_is_allowed_for_the_team() {
    for (from, next) in
        [(New, Acknowledged), (Acknowledged, Triaging), (Triaging, Accepted), (Accepted, Fixing), (Fixing, Fixed)]
    {
        check(from, to(next), Performer::Team, Ok(()));
    }
    check(Fixed, to(Disclosed), Performer::System, Ok(()));
}

#[test]
fn skipping_steps_is_illegal() {
    check(New, to(Accepted), Performer::Team, Err(TransitionError::Illegal { from: New, to: Accepted }));
    check(New, to(Fixed), Performer::Team, Err(TransitionError::Illegal { from: New, to: Fixed }));
    check(Triaging, to(Disclosed), Performer::System, Err(TransitionError::Illegal { from: Triaging, to: Disclosed }));
    check(Fixing, to(Accepted), Performer::Team, Err(TransitionError::Illegal { from: Fixing, to: Accepted }));
    check(Withdrawn, to(Triaging), Performer::Team, Err(TransitionError::Illegal { from: Withdrawn, to: Triaging }));
    check(Disclosed, to(Fixing), Performer::Team, Err(TransitionError::Illegal { from: Disclosed, to: Fixing }));
    check(New, to(New), Performer::Team, Err(TransitionError::Illegal { from: New, to: New }));
}

#[test]
fn disclosure_happens_by_publishing() {
    check(Fixed, to(Disclosed), Performer::Team, Err(TransitionError::DiscloseByPublishing));
}

#[test]
fn declining_needs_a_reason() {
    check(Triaging, to(NotVulnerable), Performer::Team, Err(TransitionError::ReasonRequired { to: NotVulnerable }));
    check(New, to(OutOfScope), Performer::Team, Err(TransitionError::ReasonRequired { to: OutOfScope }));
    let blank = TransitionRequest { to: NotVulnerable, reason: Some("  ".into()), duplicate_of: None };
    check(Triaging, blank, Performer::Team, Err(TransitionError::ReasonRequired { to: NotVulnerable }));
    let given =
        TransitionRequest { to: NotVulnerable, reason: Some("documented behaviour".into()), duplicate_of: None };
    check(Triaging, given, Performer::Team, Ok(()));
    check(New, to(Spam), Performer::Team, Ok(()));
}

#[test]
fn duplicates_name_another_report() {
    check(Triaging, to(Duplicate), Performer::Team, Err(TransitionError::DuplicateOfRequired));
    let own = TransitionRequest { to: Duplicate, reason: None, duplicate_of: Some(report()) };
    check(Triaging, own, Performer::Team, Err(TransitionError::DuplicateOfSelf));
    let other = ReportId::from_uuid(Uuid::from_u128(2));
    let ok = TransitionRequest { to: Duplicate, reason: None, duplicate_of: Some(other) };
    check(Triaging, ok, Performer::Team, Ok(()));
    let stray = TransitionRequest { to: Accepted, reason: None, duplicate_of: Some(other) };
    check(Triaging, stray, Performer::Team, Err(TransitionError::UnexpectedDuplicateOf));
}

#[test]
fn reporters_may_only_withdraw_during_triage() {
    check(New, to(Withdrawn), Performer::Reporter, Ok(()));
    check(Triaging, to(Withdrawn), Performer::Reporter, Ok(()));
    check(Triaging, to(Accepted), Performer::Reporter, Err(TransitionError::NotForReporter { to: Accepted }));
    check(
        Accepted,
        to(Withdrawn),
        Performer::Reporter,
        Err(TransitionError::Illegal { from: Accepted, to: Withdrawn }),
    );
    assert_eq!(allowed_transitions(Acknowledged, Performer::Reporter), vec![Withdrawn]);
    assert_eq!(allowed_transitions(Fixed, Performer::Team), Vec::<ReportState>::new());
    assert_eq!(allowed_transitions(Accepted, Performer::Team), vec![Fixing, NotVulnerable, Duplicate]);
}

#[test]
fn declined_reports_can_be_reopened() {
    for from in [NotVulnerable, Duplicate, OutOfScope, Spam] {
        check(from, to(Triaging), Performer::Team, Ok(()));
    }
}

#[test]
fn state_names_round_trip() {
    for state in ReportState::ALL {
        assert_eq!(state.as_str().parse::<ReportState>(), Ok(state));
    }
    assert_eq!("closed".parse::<ReportState>().unwrap_err().value, "closed");
}

#[test]
fn accepted_and_closed_families() {
    let accepted: Vec<_> = ReportState::ALL.into_iter().filter(|s| s.is_accepted()).collect();
    assert_eq!(accepted, vec![Accepted, Fixing, Fixed, Disclosed]);
    let open: Vec<_> = ReportState::ALL.into_iter().filter(|s| !s.is_closed()).collect();
    assert_eq!(open, vec![New, Acknowledged, Triaging, NeedsInfo, Accepted, Fixing, Fixed]);
}

fn any_state() -> impl Strategy<Value = ReportState> {
    proptest::sample::select(ReportState::ALL.to_vec())
}

fn any_performer() -> impl Strategy<Value = Performer> {
    proptest::sample::select(vec![Performer::Team, Performer::Reporter, Performer::System])
}

proptest! {
    /// Every allowed transition is an edge of the table, and every offered
    /// transition is accepted when its requirements are met.
    #[test]
    fn table_and_offers_agree(from in any_state(), target in any_state(), performer in any_performer()) {
        let request = TransitionRequest {
            to: target,
            reason: Some("because".into()),
            duplicate_of: (target == Duplicate).then(|| ReportId::from_uuid(Uuid::from_u128(9))),
        };
        let result = check_transition(report(), from, &request, performer);
        prop_assert_eq!(result.is_ok(), allowed_transitions(from, performer).contains(&target));
        if result.is_ok() {
            prop_assert!(from.successors().contains(&target));
        }
    }

    /// Nothing leaves a final state.
    #[test]
    fn final_states_are_final(target in any_state(), performer in any_performer()) {
        for from in [Disclosed, Withdrawn] {
            prop_assert!(check_transition(report(), from, &to(target), performer).is_err());
        }
    }
}

#[test]
fn issue_9_needs_info_asks_the_reporter_and_their_answer_returns_to_triage() {
    let ask = |reason: Option<&str>| TransitionRequest {
        to: NeedsInfo,
        reason: reason.map(str::to_owned),
        duplicate_of: None,
    };
    check(Triaging, ask(Some("which version did you test?")), Performer::Team, Ok(()));
    check(Acknowledged, ask(Some("a proof of concept, please")), Performer::Team, Ok(()));
    check(Triaging, ask(None), Performer::Team, Err(TransitionError::ReasonRequired { to: NeedsInfo }));
    check(New, ask(Some("x")), Performer::Team, Err(TransitionError::Illegal { from: New, to: NeedsInfo }));
    check(Accepted, ask(Some("x")), Performer::Team, Err(TransitionError::Illegal { from: Accepted, to: NeedsInfo }));
    check(NeedsInfo, to(Triaging), Performer::System, Ok(()));
    check(NeedsInfo, to(Triaging), Performer::Team, Ok(()));
    check(NeedsInfo, to(Withdrawn), Performer::Reporter, Ok(()));
    check(NeedsInfo, to(Accepted), Performer::Team, Err(TransitionError::Illegal { from: NeedsInfo, to: Accepted }));
    assert!(NeedsInfo.is_in_triage() && !NeedsInfo.is_closed() && !NeedsInfo.is_accepted());
    assert_eq!("needs_info".parse::<ReportState>(), Ok(NeedsInfo));
}
