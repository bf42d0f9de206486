//! One forge webhook delivery: verified as its forge signs it, read for the
//! pull or merge request (or the pushed commits) it tells of, and linked to
//! the reports it names, in one transaction that a replay leaves untouched.
//!
//! Signatures, as each forge documents them:
//! - GitHub: `X-Hub-Signature-256: sha256=` + hex HMAC-SHA256(secret, raw body)
//!   ("Validating webhook deliveries"), compared in constant time.
//! - GitLab: the secret itself in `X-Gitlab-Token` ("Webhooks", secret token),
//!   compared in constant time (through HMACs of both).
//! - Forgejo / Gitea: `X-Forgejo-Signature` / `X-Gitea-Signature`, hex
//!   HMAC-SHA256(secret, raw body) without a prefix (Gitea "Webhooks").
//!
//! Answers as forges expect: 2xx for what was taken or ignored (a forge
//! retries or disables a hook that keeps failing), 401 without a signature,
//! 403 for a wrong one, 404 for an unknown project.

use std::sync::Arc;

use embargo_core::Timestamp;
use embargo_core::forge::{Forge, named_ids};
use embargo_core::id::{ProjectId, ReportId};
use embargo_core::permission::Actor;
use embargo_core::text::Slug;
use embargo_store::forge::FixLink;
use embargo_store::{StoreExt, Writer};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::audit::record;
use crate::entropy::Entropy;
use crate::events::{Event, emit};
use crate::organisations::find_project;
use crate::{App, AppError};

/// A delivery as received: the request's headers (names in lower case) and its raw body.
#[derive(Debug, Clone, Default)]
pub struct ForgeDelivery {
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The body, exactly as received.
    pub body: Vec<u8>,
}

impl ForgeDelivery {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// What a verified delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookAnswer {
    /// Taken: `linked` reports linked to the request, `merged` of them now fixed by it.
    Taken {
        /// Reports linked (or linked again) by this delivery.
        linked: usize,
        /// Reports whose fix this delivery saw merged.
        merged: usize,
    },
    /// Verified, but nothing in it concerns Embargo (another event, no report named).
    Ignored,
    /// This delivery id was taken before: nothing changed.
    Replayed,
}

/// Why a delivery was refused; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HookRefusal {
    /// No such project (or forge).
    #[error("no such project")]
    NotFound,
    /// The delivery carries no signature (or token).
    #[error("the delivery is not signed: set the webhook's secret on the forge")]
    Unsigned,
    /// No secret is set for this forge, so nothing can be verified.
    #[error("no secret is set for this forge: set one first")]
    NoSecret,
    /// The signature (or token) does not match the secret.
    #[error("the signature does not match the secret")]
    BadSignature,
    /// The body is not the JSON this forge sends.
    #[error("the body is not a JSON webhook payload: {0}")]
    Malformed(&'static str),
    /// The database cannot be reached; the forge may retry.
    #[error("the service is unavailable, try again shortly")]
    Unavailable,
}

impl From<AppError> for HookRefusal {
    fn from(error: AppError) -> Self {
        match error {
            AppError::NotFound => HookRefusal::NotFound,
            other => {
                tracing::warn!(code = other.code(), "forge delivery not taken");
                HookRefusal::Unavailable
            }
        }
    }
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.len() > 256 {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| text.get(i..i + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok())).collect()
}

fn mac(key: &[u8]) -> Option<Hmac<Sha256>> {
    <Hmac<Sha256> as Mac>::new_from_slice(key).ok()
}

/// Whether `signature` (hex) is the HMAC-SHA256 of `body` under `secret`, compared in constant time.
fn hmac_matches(secret: &str, body: &[u8], signature: &str) -> bool {
    let (Some(expected), Some(mut mac)) = (unhex(signature.trim()), mac(secret.as_bytes())) else { return false };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// Whether `token` equals `secret`, compared in constant time (an HMAC of each under one key).
fn token_matches(secret: &str, token: &str) -> bool {
    const KEY: &[u8] = b"embargo gitlab token";
    let (Some(mut of_secret), Some(mut of_token)) = (mac(KEY), mac(KEY)) else { return false };
    of_secret.update(secret.as_bytes());
    of_token.update(token.as_bytes());
    of_token.verify_slice(&of_secret.finalize().into_bytes()).is_ok()
}

/// Checks the delivery's signature as `forge` makes it.
fn verify(forge: Forge, secret: &str, delivery: &ForgeDelivery) -> Result<(), HookRefusal> {
    let signed = match forge {
        Forge::GitHub => {
            let header = delivery.header("x-hub-signature-256").ok_or(HookRefusal::Unsigned)?;
            header.strip_prefix("sha256=").is_some_and(|hex| hmac_matches(secret, &delivery.body, hex))
        }
        Forge::GitLab => token_matches(secret, delivery.header("x-gitlab-token").ok_or(HookRefusal::Unsigned)?),
        Forge::Forgejo => {
            let header = delivery
                .header("x-forgejo-signature")
                .or_else(|| delivery.header("x-gitea-signature"))
                .ok_or(HookRefusal::Unsigned)?;
            hmac_matches(secret, &delivery.body, header)
        }
        Forge::Gitea => {
            hmac_matches(secret, &delivery.body, delivery.header("x-gitea-signature").ok_or(HookRefusal::Unsigned)?)
        }
    };
    if signed { Ok(()) } else { Err(HookRefusal::BadSignature) }
}

/// The delivery's id (its replay key): the forge's delivery header, else a hash of the body.
fn delivery_id(forge: Forge, delivery: &ForgeDelivery) -> String {
    let names: &[&str] = match forge {
        Forge::GitHub => &["x-github-delivery"],
        Forge::GitLab => &["x-gitlab-event-uuid", "idempotency-key"],
        Forge::Forgejo => &["x-forgejo-delivery", "x-gitea-delivery"],
        Forge::Gitea => &["x-gitea-delivery"],
    };
    names
        .iter()
        .find_map(|n| delivery.header(n))
        .filter(|id| !id.is_empty() && id.len() <= 200)
        .map_or_else(|| format!("sha256:{}", hex(&Sha256::digest(&delivery.body))), str::to_owned)
}

/// What a payload tells of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Told {
    /// A pull or merge request was opened, edited, closed or merged.
    Request {
        /// Its page.
        url: String,
        /// Its title and description.
        texts: Vec<String>,
        /// Whether it is merged.
        merged: bool,
        /// The merge commit, once merged.
        commit: Option<String>,
    },
    /// Commits were pushed to the repository's default branch.
    Push {
        /// Each commit's id and message.
        commits: Vec<(String, String)>,
    },
    /// Something else (a ping, an issue, a push to another branch).
    Other,
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// Reads a payload: GitHub's and Gitea's/Forgejo's `pull_request` events share
/// a shape; GitLab's merge requests are `object_kind: merge_request`; pushes
/// of every forge carry `ref` and `commits` (`id`, `message`).
pub(crate) fn read(payload: &Value) -> Told {
    if let Some(pr) = payload.get("pull_request").filter(|p| p.is_object()) {
        let Some(url) = text(pr, "html_url").filter(|u| !u.is_empty()) else { return Told::Other };
        let merged = pr.get("merged").and_then(Value::as_bool).unwrap_or(false);
        return Told::Request {
            url,
            texts: [text(pr, "title"), text(pr, "body")].into_iter().flatten().collect(),
            merged,
            commit: merged.then(|| text(pr, "merge_commit_sha")).flatten(),
        };
    }
    if payload.get("object_kind").and_then(Value::as_str) == Some("merge_request") {
        let Some(mr) = payload.get("object_attributes") else { return Told::Other };
        let Some(url) = text(mr, "url").filter(|u| !u.is_empty()) else { return Told::Other };
        let merged = text(mr, "state").as_deref() == Some("merged") || text(mr, "action").as_deref() == Some("merge");
        return Told::Request {
            url,
            texts: [text(mr, "title"), text(mr, "description")].into_iter().flatten().collect(),
            merged,
            commit: merged.then(|| text(mr, "merge_commit_sha")).flatten(),
        };
    }
    if let (Some(reference), Some(commits)) =
        (payload.get("ref").and_then(Value::as_str), payload.get("commits").and_then(Value::as_array))
    {
        let default = payload
            .get("repository")
            .and_then(|r| text(r, "default_branch"))
            .or_else(|| payload.get("project").and_then(|p| text(p, "default_branch")));
        if default.is_none_or(|d| reference != format!("refs/heads/{d}")) {
            return Told::Other;
        }
        let commits = commits.iter().filter_map(|c| Some((text(c, "id")?, text(c, "message")?))).take(100).collect();
        return Told::Push { commits };
    }
    Told::Other
}

/// The reports of `project` that `texts` name, by report id or by their advisory's id.
pub(crate) async fn named_reports(
    tx: &mut dyn Writer,
    project: ProjectId,
    texts: &[&str],
) -> Result<Vec<ReportId>, AppError> {
    let named = named_ids(texts);
    let mut found = Vec::new();
    for id in named.reports {
        if tx.report(id).await?.is_some_and(|r| r.project_id == project) && !found.contains(&id) {
            found.push(id);
        }
    }
    for id in named.advisories {
        let Some(advisory) = tx.advisory(&id).await? else { continue };
        if let Some(report) = advisory.report_id.filter(|_| advisory.project_id == project)
            && !found.contains(&report)
        {
            found.push(report);
        }
    }
    Ok(found)
}

/// What a forge (or polling) saw of a report's fix.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seen<'a> {
    /// Who saw it: a forge's name, or `git`.
    pub source: &'a str,
    /// The request, when there is one.
    pub url: Option<&'a str>,
    /// `Some` once merged, with the merge commit when known.
    pub merged: Option<Option<&'a str>>,
}

/// Links `report` to its fix as `source` saw it; when newly merged, emits
/// [`Event::FixMerged`]. A team link to another request is left alone, and a
/// fix already seen merged is not seen again. Answers (linked, merged now).
pub(crate) async fn link(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    report: ReportId,
    project: ProjectId,
    seen: &Seen<'_>,
) -> Result<(bool, bool), AppError> {
    let Seen { source, url, merged } = *seen;
    let current = tx.fix_link(report).await?;
    if let Some(current) = &current {
        let other_request = current.source == "team" && current.url.is_some() && current.url.as_deref() != url;
        if other_request || current.merged_at.is_some() {
            return Ok((false, false));
        }
    }
    let link = FixLink {
        report_id: report,
        project_id: project,
        url: url.map(str::to_owned).or_else(|| current.as_ref().and_then(|c| c.url.clone())),
        source: current.as_ref().filter(|c| c.source == "team").map_or_else(|| source.to_owned(), |c| c.source.clone()),
        merged_at: merged.map(|_| now),
        commit: merged.flatten().map(str::to_owned),
        updated_at: now,
    };
    let unchanged = current.as_ref().is_some_and(|c| c.url == link.url && c.commit.is_none() && merged.is_none());
    if unchanged {
        return Ok((true, false));
    }
    tx.put_fix_link(&link).await?;
    let details = json!({"source": source, "merged": merged.is_some()});
    record(tx, now, &Actor::Operator, "report.fix_linked", format!("report:{report}"), details).await?;
    if merged.is_some() {
        emit(tx, ids, now, &Event::FixMerged { report }).await?;
    }
    Ok((true, merged.is_some()))
}

impl App {
    /// Takes one forge webhook delivery for `org`/`project`: verified with the
    /// project's secret for `forge`, then each report it names (or whose team
    /// linked its request) linked; a merged request records the fix. A replayed
    /// delivery id, a wrong signature or a payload naming nothing changes nothing.
    pub async fn receive_forge_delivery(
        &self,
        org: &Slug,
        project: &Slug,
        forge: &str,
        delivery: ForgeDelivery,
    ) -> Result<HookAnswer, HookRefusal> {
        let forge: Forge = forge.parse().map_err(|_| HookRefusal::NotFound)?;
        let mut reader = self.store.reader().await.map_err(AppError::from)?;
        let (_, project) = find_project(reader.as_mut(), org, project).await?;
        let secret = reader.forge_secret(project.id, forge.as_str()).await.map_err(AppError::from)?;
        drop(reader);
        let secret = secret.ok_or(HookRefusal::NoSecret)?;
        verify(forge, secret.expose(), &delivery)?;
        let payload: Value =
            serde_json::from_slice(&delivery.body).map_err(|_| HookRefusal::Malformed("send application/json"))?;
        if !payload.is_object() {
            return Err(HookRefusal::Malformed("a JSON object"));
        }
        let told = read(&payload);
        let id = delivery_id(forge, &delivery);
        let (now, entropy, project) = (self.now(), Arc::clone(&self.entropy), project.id);
        let answer = self
            .store
            .write(move |tx| {
                Box::pin(async move {
                    if !tx.take_forge_delivery(project, forge.as_str(), &id, now).await? {
                        return Ok(HookAnswer::Replayed);
                    }
                    let (mut linked, mut merged) = (0, 0);
                    match &told {
                        Told::Request { url, texts, merged: is_merged, commit } => {
                            let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
                            let mut reports = tx.reports_fixed_by(project, url).await?;
                            for named in named_reports(tx, project, &texts).await? {
                                if !reports.contains(&named) {
                                    reports.push(named);
                                }
                            }
                            let seen = Seen {
                                source: forge.as_str(),
                                url: Some(url),
                                merged: is_merged.then_some(commit.as_deref()),
                            };
                            for report in reports {
                                let (l, m) = link(tx, entropy.as_ref(), now, report, project, &seen).await?;
                                linked += usize::from(l);
                                merged += usize::from(m);
                            }
                        }
                        Told::Push { commits } => {
                            for (commit, message) in commits {
                                for report in named_reports(tx, project, &[message]).await? {
                                    let seen = Seen { source: forge.as_str(), url: None, merged: Some(Some(commit)) };
                                    let (l, m) = link(tx, entropy.as_ref(), now, report, project, &seen).await?;
                                    linked += usize::from(l);
                                    merged += usize::from(m);
                                }
                            }
                        }
                        Told::Other => {}
                    }
                    if linked == 0 {
                        return Ok(HookAnswer::Ignored);
                    }
                    Ok::<_, AppError>(HookAnswer::Taken { linked, merged })
                })
            })
            .await?;
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_documents_this_signature() {
        // "Validating webhook deliveries": secret and payload give this header.
        let delivery = ForgeDelivery {
            headers: vec![(
                "x-hub-signature-256".to_owned(),
                "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17".to_owned(),
            )],
            body: b"Hello, World!".to_vec(),
        };
        assert_eq!(verify(Forge::GitHub, "It's a Secret to Everybody", &delivery), Ok(()));
        assert_eq!(verify(Forge::GitHub, "another secret entirely", &delivery), Err(HookRefusal::BadSignature));
        assert_eq!(verify(Forge::Gitea, "It's a Secret to Everybody", &delivery), Err(HookRefusal::Unsigned));
    }

    #[test]
    fn gitlab_tokens_compare_whole() {
        assert!(token_matches("a-long-gitlab-secret", "a-long-gitlab-secret"));
        assert!(!token_matches("a-long-gitlab-secret", "a-long-gitlab-secre"));
        assert!(!token_matches("a-long-gitlab-secret", ""));
    }

    #[test]
    fn malformed_hex_never_matches() {
        assert!(!hmac_matches("secret", b"x", "zz"));
        assert!(!hmac_matches("secret", b"x", "abc"));
        assert!(!hmac_matches("secret", b"x", "é1"));
    }

    #[test]
    fn pushes_to_other_branches_are_ignored() {
        let push = json!({"ref": "refs/heads/feature", "repository": {"default_branch": "main"}, "commits": []});
        assert_eq!(read(&push), Told::Other);
        let push = json!({"ref": "refs/heads/main", "repository": {"default_branch": "main"},
            "commits": [{"id": "abc", "message": "Fix ACME-2026-1"}]});
        assert_eq!(read(&push), Told::Push { commits: vec![("abc".to_owned(), "Fix ACME-2026-1".to_owned())] });
    }
}
