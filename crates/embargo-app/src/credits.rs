//! Finders' credit (issue 10, item 4): every finder an advisory credits (the
//! reporter of the original, the reporters of its duplicates, the co-finders
//! the team invited) may decline the credit or choose the name shown, from
//! their own report page, the API or the command line; the team sees every
//! choice. A choice applies to the advisory's working copy at once (and to
//! the draft made later), so the published advisory and every export (OSV
//! credits, CSAF acknowledgments, CVE credits) follow it. Once the advisory
//! is published, its credits are the team's to revise: a finder's choice is
//! refused then, with a message saying so.

use embargo_core::Timestamp;
use embargo_core::advisory::{Credit, CreditKind};
use embargo_core::collaborator::CollaboratorRole;
use embargo_core::credit::{CreditChoice, Finder, check_name, credited};
use embargo_core::id::ReportId;
use embargo_core::permission::{Action, Actor, ReportAccess, collaboration};
use embargo_core::report::Report;
use embargo_core::text::FieldErrors;
use embargo_store::{Reader, StoreExt, Writer};
use serde_json::json;

use crate::audit::record;
use crate::events::{Event, emit};
use crate::reports::access;
use crate::{App, AppError, require};

/// A finder's credit as they or the team see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinderCredit {
    /// Who.
    pub finder: Finder,
    /// The report they are a finder of.
    pub report: ReportId,
    /// `reporter` or `co-finder`.
    pub kind: &'static str,
    /// The name the report or their account gives.
    pub usual: Option<String>,
    /// They declined the credit.
    pub declined: bool,
    /// The name they chose instead, if any.
    pub name: Option<String>,
    /// What an advisory credits: none when declined (or when no name is known).
    pub credited_as: Option<String>,
    /// When they last chose, if ever.
    pub updated_at: Option<Timestamp>,
}

/// A finder's choice as they ask for it.
#[derive(Debug, Clone, Default)]
pub struct CreditInput {
    /// Decline the credit.
    pub declined: bool,
    /// The name to show (blank: the one given with the report or the account).
    pub name: Option<String>,
}

/// The name a finder is known by, without any choice of theirs.
async fn usual_name(reader: &mut dyn Reader, finder: Finder) -> Result<Option<String>, AppError> {
    match finder {
        Finder::Reporter(id) => {
            let Some(report) = reader.report(id).await? else { return Ok(None) };
            reporter_name(reader, &report).await
        }
        Finder::CoFinder(id) => {
            let Some(user) = reader.collaborator(id).await?.and_then(|c| c.user_id) else { return Ok(None) };
            Ok(reader.user(user).await?.map(|u| u.name))
        }
    }
}

async fn reporter_name(reader: &mut dyn Reader, report: &Report) -> Result<Option<String>, AppError> {
    Ok(match (&report.content.expose().reporter_name, report.reporter_id) {
        (Some(name), _) => Some(name.clone()),
        (None, Some(user)) => reader.user(user).await?.map(|u| u.name),
        (None, None) => None,
    })
}

async fn finder_credit(reader: &mut dyn Reader, finder: Finder, report: ReportId) -> Result<FinderCredit, AppError> {
    let usual = usual_name(reader, finder).await?;
    let choice = reader.credit_choice(finder).await?;
    Ok(FinderCredit {
        finder,
        report,
        kind: match finder {
            Finder::Reporter(_) => "reporter",
            Finder::CoFinder(_) => "co-finder",
        },
        credited_as: credited(usual.clone(), choice.as_ref()),
        usual,
        declined: choice.as_ref().is_some_and(|c| c.declined),
        name: choice.as_ref().and_then(|c| c.name.clone()),
        updated_at: choice.map(|c| c.updated_at),
    })
}

/// Which finder `actor` is on `report`: a co-finder through their invitation, else its reporter.
fn finder_of(actor: &Actor, report: &ReportAccess) -> Finder {
    match collaboration(actor, report) {
        Some(grant) => Finder::CoFinder(grant.id),
        None => Finder::Reporter(report.id),
    }
}

/// Every finder of an original report, in credit order: its reporter, the
/// reporters of its duplicates by report time, the co-finders invited.
pub(crate) async fn finders(reader: &mut dyn Reader, original: &Report) -> Result<Vec<(Finder, ReportId)>, AppError> {
    let mut found = vec![(Finder::Reporter(original.id), original.id)];
    for duplicate in reader.duplicates_of(original.id).await? {
        found.push((Finder::Reporter(duplicate.id), duplicate.id));
    }
    for invited in reader.collaborators(original.id).await? {
        if invited.revoked_at.is_none() && invited.role == CollaboratorRole::Reporter {
            found.push((Finder::CoFinder(invited.id), original.id));
        }
    }
    Ok(found)
}

/// The names an advisory drafted from `original` credits, each once, in credit order.
pub(crate) async fn credit_names(reader: &mut dyn Reader, original: &Report) -> Result<Vec<String>, AppError> {
    let mut names: Vec<String> = Vec::new();
    for (finder, _) in finders(reader, original).await? {
        let usual = usual_name(reader, finder).await?;
        let choice = reader.credit_choice(finder).await?;
        if let Some(name) = credited(usual, choice.as_ref())
            && !names.contains(&name)
        {
            names.push(name);
        }
    }
    Ok(names)
}

/// The report whose advisory credits `finder` (a duplicate's finder is credited on its original's).
async fn crediting_report(tx: &mut dyn Writer, finder: Finder) -> Result<Option<ReportId>, AppError> {
    match finder {
        Finder::Reporter(id) => {
            let Some(report) = tx.report(id).await? else { return Ok(None) };
            Ok(Some(report.duplicate_of.unwrap_or(report.id)))
        }
        Finder::CoFinder(id) => Ok(tx.collaborator(id).await?.map(|c| c.report_id)),
    }
}

impl App {
    /// The caller's own credit on a report they found (its reporter, or a co-finder the team invited).
    pub async fn my_credit(&self, actor: &Actor, id: ReportId) -> Result<FinderCredit, AppError> {
        let mut reader = self.store.reader().await?;
        let report = reader.report(id).await?.ok_or(AppError::NotFound)?;
        require(actor, Action::ChooseCredit(access(&report)))?;
        finder_credit(reader.as_mut(), finder_of(actor, &access(&report)), id).await
    }

    /// Every finder's credit on a report and its duplicates (the team).
    pub async fn credits(&self, actor: &Actor, id: ReportId) -> Result<Vec<FinderCredit>, AppError> {
        let mut reader = self.store.reader().await?;
        let report = reader.report(id).await?.ok_or(AppError::NotFound)?;
        require(actor, Action::ViewCredits(access(&report)))?;
        let mut list = Vec::new();
        for (finder, found_on) in finders(reader.as_mut(), &report).await? {
            list.push(finder_credit(reader.as_mut(), finder, found_on).await?);
        }
        Ok(list)
    }

    /// Declines the caller's credit or chooses the name shown; the advisory's
    /// working copy follows at once. Refused once the advisory is published.
    pub async fn choose_credit(
        &self,
        actor: &Actor,
        id: ReportId,
        input: CreditInput,
    ) -> Result<FinderCredit, AppError> {
        let name = if input.declined {
            None
        } else {
            check_name(input.name.as_deref()).map_err(|e| AppError::Invalid(FieldErrors(vec![e])))?
        };
        let (now, tx_actor, entropy) = (self.now(), actor.clone(), std::sync::Arc::clone(&self.entropy));
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let actor = tx_actor;
                    let report = tx.lock_report(id).await?.ok_or(AppError::NotFound)?;
                    require(&actor, Action::ChooseCredit(access(&report)))?;
                    let finder = finder_of(&actor, &access(&report));
                    let usual = usual_name(&mut *tx, finder).await?;
                    let before = credited(usual.clone(), tx.credit_choice(finder).await?.as_ref());
                    let choice = CreditChoice { finder, report: id, declined: input.declined, name, updated_at: now };
                    let after = credited(usual, Some(&choice));
                    if let Some(original) = crediting_report(tx, finder).await?
                        && let Some(mut advisory) = tx.advisory_for_report(original).await?
                        && before != after
                    {
                        if advisory.published.is_some() {
                            return Err(AppError::invalid(
                                "declined",
                                "a choice made before the advisory is published: its credits are now the \
                                 security team's to revise, so write to them",
                            ));
                        }
                        let credits = &mut advisory.draft.credits;
                        let at = before.as_ref().and_then(|b| credits.iter().position(|c| &c.name == b));
                        match (at, after) {
                            (Some(at), Some(name)) => {
                                if let Some(credit) = credits.get_mut(at) {
                                    credit.name = name;
                                }
                            }
                            (Some(at), None) => {
                                credits.remove(at);
                            }
                            (None, Some(name)) if !credits.iter().any(|c| c.name == name) => {
                                credits.push(Credit { name, kind: CreditKind::Reporter, contact: Vec::new() });
                            }
                            (None, _) => {}
                        }
                        advisory.updated_at = now;
                        tx.update_advisory(&advisory).await?;
                    }
                    tx.put_credit_choice(&choice).await?;
                    let kind = match finder {
                        Finder::Reporter(_) => "reporter",
                        Finder::CoFinder(_) => "co-finder",
                    };
                    let details = json!({"finder": kind, "declined": choice.declined, "named": choice.name.is_some()});
                    record(tx, now, &actor, "report.credit_chosen", format!("report:{id}"), details).await?;
                    emit(tx, entropy.as_ref(), now, &Event::CreditChosen { report: id }).await?;
                    finder_credit(&mut *tx, finder, id).await
                })
            })
            .await
    }
}
