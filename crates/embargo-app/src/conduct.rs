//! The conduct export: a report's conversation for a code-of-conduct team —
//! who said what and when — with every undisclosed vulnerability detail
//! replaced by a marker naming what was removed (the runtime team's policy:
//! "with undisclosed vulnerability information removed"). Team only, audited.

use embargo_core::text::ProjectPath;
use std::collections::HashMap;
use std::fmt::Write as _;

use embargo_core::Timestamp;
use embargo_core::advisory::AdvisoryState;
use embargo_core::id::{ReportId, UserId};
use embargo_core::message::{AuthorRole, Visibility};
use embargo_core::permission::{Action, Actor};
use embargo_store::StoreExt;
use embargo_store::reports::Thread;
use serde_json::json;

use crate::audit::record;
use crate::reports::access;
use crate::{App, AppError, require};

/// What stands in place of a removed detail.
pub fn removed(what: &str) -> String {
    format!("[removed: {what}]")
}

/// One entry of the conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConductEntry {
    /// When.
    pub at: Timestamp,
    /// Who: a name and side (`Ada (reporter)`, `Lead (security team)`, `Embargo`).
    pub who: String,
    /// What kind: `message`, `internal note` or `state change`.
    pub kind: &'static str,
    /// What they said (a marker for internal notes), or the state reached and why.
    pub text: String,
}

/// A report's conversation with its vulnerability details removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConductExport {
    /// The report.
    pub report: ReportId,
    /// The project it was filed to.
    pub project: ProjectPath,
    /// The reporter as known (name and address), for the conduct team to reach.
    pub reporter: String,
    /// When the report arrived.
    pub received: Timestamp,
    /// Where it stands.
    pub state: String,
    /// The markers of what was removed from the report itself (title, body, PoC, …).
    pub removed: Vec<String>,
    /// Who said what and when, oldest first.
    pub entries: Vec<ConductEntry>,
}

impl ConductExport {
    /// The export as plain text.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "Conduct export of report {} ({})", self.report, self.project);
        let _ = writeln!(out, "Reporter: {}", self.reporter);
        let _ = writeln!(out, "Received: {}", self.received);
        let _ = writeln!(out, "State: {}", self.state);
        let _ = writeln!(out, "Undisclosed vulnerability details are removed:");
        for marker in &self.removed {
            let _ = writeln!(out, "  {marker}");
        }
        let _ = writeln!(out);
        for entry in &self.entries {
            let _ = writeln!(out, "{}  {} — {}", entry.at, entry.who, entry.kind);
            for line in entry.text.lines() {
                let _ = writeln!(out, "    {line}");
            }
            let _ = writeln!(out);
        }
        out
    }
}

impl App {
    /// Exports a report's conversation for a code-of-conduct team (the team), audited.
    pub async fn conduct_export(&self, actor: &Actor, id: ReportId, format: &str) -> Result<ConductExport, AppError> {
        let format = match format {
            "json" | "text" => format.to_owned(),
            _ => return Err(AppError::invalid("format", "json or text")),
        };
        let mut reader = self.store.reader().await?;
        let report = reader.report(id).await?.ok_or(AppError::NotFound)?;
        require(actor, Action::ExportConduct(access(&report)))?;
        let org = reader.organisation(report.org_id).await?.ok_or(AppError::NotFound)?;
        let project = reader.project(report.project_id).await?.ok_or(AppError::NotFound)?;
        let names: HashMap<UserId, String> = reader.message_authors(id).await?.into_iter().collect();
        let mut user_names = names.clone();
        let content = report.content.expose();
        let reporter = match report.reporter_id {
            Some(user) => reader.user(user).await?.map(|u| format!("{} <{}>", u.name, u.email)),
            None => None,
        }
        .or_else(|| match (&content.reporter_name, &content.reporter_email) {
            (Some(name), Some(email)) => Some(format!("{name} <{email}>")),
            (None, Some(email)) => Some(email.to_string()),
            (Some(name), None) => Some(name.clone()),
            (None, None) => None,
        })
        .unwrap_or_else(|| "not known".to_owned());
        let advisory = reader.advisory_for_report(id).await?;
        let published = advisory.as_ref().is_some_and(|a| a.state != AdvisoryState::Draft);
        let mut removed_fields = vec![removed("title"), removed("description")];
        for (what, present) in [
            ("component", content.component.is_some()),
            ("versions tested", content.versions_tested.is_some()),
            ("versions found vulnerable", content.versions_vulnerable.is_some()),
            ("affected release lines", !content.lines.is_empty()),
            ("platform", content.platform.is_some()),
            ("proof of concept", content.proof_of_concept.is_some()),
            ("patch", content.patch.is_some()),
        ] {
            if present {
                removed_fields.push(removed(what));
            }
        }
        let attachments = reader.attachments(id).await?.len();
        if attachments > 0 {
            removed_fields.push(removed(&format!("{attachments} attachment(s)")));
        }
        if advisory.is_some() && !published {
            removed_fields.push(removed("unpublished advisory text"));
        }
        let mut entries = Vec::new();
        for message in reader.messages(id, Thread::WithInternal).await? {
            let who = match (message.author_id.and_then(|a| names.get(&a)), message.author_role) {
                (Some(name), AuthorRole::Reporter) => format!("{name} (reporter)"),
                (Some(name), AuthorRole::Team) => format!("{name} (security team)"),
                (None, AuthorRole::Reporter) => "The reporter".to_owned(),
                (None, AuthorRole::Team) => "Embargo, for the security team".to_owned(),
            };
            let (kind, text) = match message.visibility {
                Visibility::ReporterVisible => ("message", message.body.expose().clone()),
                Visibility::Internal => ("internal note", removed("internal note")),
            };
            entries.push(ConductEntry { at: message.created_at, who, kind, text });
        }
        for change in reader.state_changes(id).await? {
            let who = match change.actor_id {
                Some(user) => match user_names.get(&user) {
                    Some(name) => name.clone(),
                    None => {
                        let name = reader.user(user).await?.map_or_else(|| "a former user".to_owned(), |u| u.name);
                        user_names.insert(user, name.clone());
                        name
                    }
                },
                None => "Embargo".to_owned(),
            };
            let mut text = format!("moved to {}", change.to.as_str());
            if let Some(reason) = &change.reason {
                let _ = write!(text, ": {}", reason.expose());
            }
            entries.push(ConductEntry { at: change.at, who, kind: "state change", text });
        }
        entries.sort_by_key(|e| e.at);
        drop(reader);
        let export = ConductExport {
            report: id,
            project: ProjectPath { org: org.slug.clone(), project: project.slug.clone() },
            reporter,
            received: report.created_at,
            state: report.state.as_str().to_owned(),
            removed: removed_fields,
            entries,
        };
        let (now, tx_actor) = (self.now(), actor.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let details = json!({"format": format});
                    record(tx, now, &tx_actor, "report.conduct_exported", format!("report:{id}"), details).await
                })
            })
            .await?;
        Ok(export)
    }
}
