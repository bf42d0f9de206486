//! A public issue from a declined report (issue 10, item 6). For a report
//! declined as an ordinary bug (core's `public_issue::qualifies`: not a
//! vulnerability, or out of scope), the team makes the text of a public issue
//! (title and Markdown body, core's `public_issue::compose`, which says what
//! the text holds and leaves out). The reporter is asked, by mail and on
//! their page, to be named, stay anonymous or object; only after "named" or
//! "anonymous" may the team mark it made public, with the public issue's URL.
//! Each step is audited (ids and answers only).

use embargo_core::Timestamp;
use embargo_core::id::ReportId;
use embargo_core::permission::{Action, Actor, Decision, decide};
use embargo_core::public_issue::{Answer, IssueText, Source, compose, qualifies};
use embargo_core::report::Report;
use embargo_core::text::FieldErrors;
use embargo_store::public_issues::PublicIssue;
use embargo_store::{Reader, StoreExt};
use serde_json::json;

use crate::audit::record;
use crate::events::{Event, emit};
use crate::reports::access;
use crate::{App, AppError, require};

/// A public issue as the team and the reporter see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicIssueView {
    /// The declined report.
    pub report: ReportId,
    /// The issue's text, as it stands with the reporter's answer.
    pub text: IssueText,
    /// Whether the team included the proof of concept.
    pub include_poc: bool,
    /// The reporter's answer.
    pub answer: Answer,
    /// When the team made the text.
    pub drafted_at: Timestamp,
    /// When the reporter answered.
    pub answered_at: Option<Timestamp>,
    /// The public issue, once made public.
    pub url: Option<String>,
    /// When it was marked made public.
    pub published_at: Option<Timestamp>,
    /// The viewer may answer (the reporter, before it is made public).
    pub can_answer: bool,
    /// The viewer may mark it made public (the team, after the reporter agreed).
    pub can_mark_public: bool,
    /// The viewer may make the text again (the team, before it is made public).
    pub can_redraft: bool,
}

/// The reporter's name and contact addresses: theirs to withhold.
async fn identity(reader: &mut dyn Reader, report: &Report) -> Result<(Option<String>, Vec<String>), AppError> {
    let content = report.content.expose();
    let mut words: Vec<String> = Vec::new();
    words.extend(content.reporter_name.clone());
    words.extend(content.reporter_email.as_ref().map(ToString::to_string));
    let mut account_name = None;
    if let Some(user) = report.reporter_id
        && let Some(user) = reader.user(user).await?
    {
        words.push(user.email.to_string());
        words.push(user.name.clone());
        account_name = Some(user.name);
    }
    Ok((content.reporter_name.clone().or(account_name), words))
}

async fn text_of(reader: &mut dyn Reader, report: &Report, issue: &PublicIssue) -> Result<IssueText, AppError> {
    let project = reader.project(report.project_id).await?.ok_or(AppError::NotFound)?;
    let (name, words) = identity(reader, report).await?;
    let named = match issue.answer {
        Answer::Named => name,
        Answer::Pending | Answer::Anonymous | Answer::Objected => None,
    };
    Ok(compose(&Source {
        content: report.content.expose(),
        state: report.state,
        project: &project.name,
        include_poc: issue.include_poc,
        named: named.as_deref(),
        identity: &words,
    }))
}

impl App {
    /// A report's public issue, if the team made one (the team and the reporter).
    pub async fn public_issue(&self, actor: &Actor, id: ReportId) -> Result<Option<PublicIssueView>, AppError> {
        let mut reader = self.store.reader().await?;
        let report = reader.report(id).await?.ok_or(AppError::NotFound)?;
        require(actor, Action::ViewPublicIssue(access(&report)))?;
        let Some(issue) = reader.public_issue(id).await? else { return Ok(None) };
        let text = text_of(reader.as_mut(), &report, &issue).await?;
        let open = issue.published_at.is_none();
        let team = decide(actor, Action::DraftPublicIssue(access(&report))) == Decision::Allow;
        Ok(Some(PublicIssueView {
            report: id,
            text,
            include_poc: issue.include_poc,
            answer: issue.answer,
            drafted_at: issue.drafted_at,
            answered_at: issue.answered_at,
            url: issue.url,
            published_at: issue.published_at,
            can_answer: open && decide(actor, Action::AnswerPublicIssue(access(&report))) == Decision::Allow,
            can_mark_public: open && team && issue.answer.allows_publication(),
            can_redraft: open && team,
        }))
    }

    /// Whether the team may make a public issue of this report now (for pages: the form shows only then).
    pub async fn may_draft_public_issue(&self, actor: &Actor, id: ReportId) -> Result<bool, AppError> {
        let mut reader = self.store.reader().await?;
        let report = reader.report(id).await?.ok_or(AppError::NotFound)?;
        Ok(decide(actor, Action::DraftPublicIssue(access(&report))) == Decision::Allow && qualifies(report.state))
    }

    /// Makes (or makes again) the text of a public issue from a declined
    /// report (the team) and asks the reporter. Changing what the text
    /// includes asks the reporter again.
    pub async fn draft_public_issue(
        &self,
        actor: &Actor,
        id: ReportId,
        include_poc: bool,
    ) -> Result<PublicIssueView, AppError> {
        let (now, tx_actor, entropy) = (self.now(), actor.clone(), std::sync::Arc::clone(&self.entropy));
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let actor = tx_actor;
                    let report = tx.lock_report(id).await?.ok_or(AppError::NotFound)?;
                    require(&actor, Action::DraftPublicIssue(access(&report)))?;
                    if !qualifies(report.state) {
                        return Err(AppError::invalid(
                            "report",
                            "a report declined as not a vulnerability or as out of scope",
                        ));
                    }
                    let existing = tx.public_issue(id).await?;
                    if existing.as_ref().is_some_and(|i| i.published_at.is_some()) {
                        return Err(AppError::Conflict { what: "a public issue made public from this report" });
                    }
                    let ask = existing.as_ref().is_none_or(|i| i.include_poc != include_poc);
                    let issue = match existing {
                        Some(issue) if !ask => issue,
                        _ => PublicIssue {
                            report: id,
                            include_poc,
                            answer: Answer::Pending,
                            drafted_by: actor.user_id(),
                            drafted_at: now,
                            answered_at: None,
                            url: None,
                            published_at: None,
                        },
                    };
                    tx.put_public_issue(&issue).await?;
                    if ask {
                        let details = json!({"include_poc": include_poc});
                        record(tx, now, &actor, "report.public_issue_drafted", format!("report:{id}"), details).await?;
                        emit(tx, entropy.as_ref(), now, &Event::PublicIssueProposed { report: id }).await?;
                    }
                    Ok::<_, AppError>(())
                })
            })
            .await?;
        self.public_issue(actor, id).await?.ok_or(AppError::NotFound)
    }

    /// The reporter's answer: `named`, `anonymous` or `objected`.
    pub async fn answer_public_issue(
        &self,
        actor: &Actor,
        id: ReportId,
        answer: &str,
    ) -> Result<PublicIssueView, AppError> {
        let answer = answer
            .trim()
            .parse::<Answer>()
            .ok()
            .filter(|a| a.is_answer())
            .ok_or_else(|| AppError::invalid("answer", "named, anonymous or objected"))?;
        let (now, tx_actor, entropy) = (self.now(), actor.clone(), std::sync::Arc::clone(&self.entropy));
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let actor = tx_actor;
                    let report = tx.lock_report(id).await?.ok_or(AppError::NotFound)?;
                    require(&actor, Action::AnswerPublicIssue(access(&report)))?;
                    let mut issue = tx.public_issue(id).await?.ok_or(AppError::NotFound)?;
                    if issue.published_at.is_some() {
                        return Err(AppError::Conflict { what: "a public issue made public from this report" });
                    }
                    issue.answer = answer;
                    issue.answered_at = Some(now);
                    tx.put_public_issue(&issue).await?;
                    let details = json!({"answer": answer.as_str()});
                    record(tx, now, &actor, "report.public_issue_answered", format!("report:{id}"), details).await?;
                    emit(tx, entropy.as_ref(), now, &Event::PublicIssueAnswered { report: id }).await
                })
            })
            .await?;
        self.public_issue(actor, id).await?.ok_or(AppError::NotFound)
    }

    /// Marks the public issue made public at `url` (the team), once the reporter agreed.
    pub async fn mark_public_issue(&self, actor: &Actor, id: ReportId, url: &str) -> Result<PublicIssueView, AppError> {
        let url = embargo_core::advisory::check_url("url", url.trim())
            .map_err(|e| AppError::Invalid(FieldErrors(vec![e])))?;
        let (now, tx_actor) = (self.now(), actor.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let actor = tx_actor;
                    let report = tx.lock_report(id).await?.ok_or(AppError::NotFound)?;
                    require(&actor, Action::DraftPublicIssue(access(&report)))?;
                    let mut issue = tx.public_issue(id).await?.ok_or(AppError::NotFound)?;
                    if issue.published_at.is_some() {
                        return Err(AppError::Conflict { what: "a public issue made public from this report" });
                    }
                    if !issue.answer.allows_publication() {
                        return Err(AppError::invalid(
                            "url",
                            "the reporter's agreement first: they have not answered yet, or they objected",
                        ));
                    }
                    issue.url = Some(url);
                    issue.published_at = Some(now);
                    tx.put_public_issue(&issue).await?;
                    let details = json!({"answer": issue.answer.as_str()});
                    record(tx, now, &actor, "report.public_issue_published", format!("report:{id}"), details).await
                })
            })
            .await?;
        self.public_issue(actor, id).await?.ok_or(AppError::NotFound)
    }
}
