//! `SECURITY.md`: the policy as a document a project can commit to its repository.

use std::fmt::Write as _;

use embargo_core::policy::{CnaMode, DisclosureRule, Policy, ReportField, Support, Tier};
use embargo_core::project::{LineStatus, ReleaseLine};

/// Where things are, for the links in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links {
    /// The policy page.
    pub policy: String,
    /// The report form, when the web form is open.
    pub form: String,
    /// The API endpoint for reports.
    pub api: String,
    /// Published advisories.
    pub advisories: String,
    /// The OpenPGP key, when there is one.
    pub openpgp_key: Option<String>,
}

/// Who the policy is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Names<'a> {
    /// The organisation's name.
    pub organisation: &'a str,
    /// The project's name; none for the organisation-wide policy its projects inherit.
    pub project: Option<&'a str>,
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn support_of(policy: &Policy, status: LineStatus) -> (&'static str, &'static str) {
    let fixes = if policy.releases.fix_by_default.value.contains(&status) {
        "yes"
    } else if policy.releases.fix_on_request.value.contains(&status) {
        "on request"
    } else {
        "no"
    };
    let cve = if policy.releases.cve_eligible.value.contains(&status) { "yes" } else { "no" };
    (fixes, cve)
}

/// Renders the project's SECURITY.md from its effective policy.
pub fn render(names: Names<'_>, policy: &Policy, lines: &[ReleaseLine], links: &Links) -> String {
    let mut md = String::new();
    let mut w = |s: &str| md.push_str(s);
    w("# Security policy\n\n");
    match names.project {
        Some(project) => w(&format!(
            "This is the security policy of **{project}** ({}). Its canonical copy is at <{}>.\n\n",
            names.organisation, links.policy
        )),
        None => w(&format!(
            "This is the security policy of **{}**. Its projects follow it unless their own policy \
             says otherwise. Its canonical copy is at <{}>.\n\n",
            names.organisation, links.policy
        )),
    }

    w("## Reporting a vulnerability\n\n");
    w("Please do not report security vulnerabilities in public issues. Report them privately:\n\n");
    if policy.channels.web_form.value {
        w(&format!("- with the report form: <{}>\n", links.form));
    }
    if let Some(email) = &policy.channels.email.value {
        w(&format!("- by e-mail to <{email}>"));
        if let Some(key) = &links.openpgp_key {
            w(&format!(", encrypted to our OpenPGP key: <{key}>"));
        }
        w("\n");
    }
    if policy.channels.api.value {
        w(&format!("- through the API: `POST {}`\n", links.api));
    }
    w("\nYou get a receipt and a private link to follow your report and talk with the team.\n\n");

    w("### What to include\n\n");
    w("- A few sentences: what is wrong, and why it is a security issue.\n");
    for field in &policy.report.required.value {
        w(&format!("- {} (required)\n", capitalise(field.label())));
    }
    for field in &policy.report.recommended.value {
        w(&format!("- {} (please include)\n", capitalise(field.label())));
    }
    if !policy.report.recommended.value.contains(&ReportField::ProofOfConcept)
        && !policy.report.required.value.contains(&ReportField::ProofOfConcept)
    {
        w("- If you can, a proof-of-concept script that exits 1 when vulnerable and 0 when not.\n");
    }
    w("\nReports and attachments are plain text only: no PDFs, binaries, archives, images or notebooks. \
       If a proof of concept needs a binary file, send a script that builds it. Please do not include a \
       severity or CVSS score: the team assesses severity itself.\n");
    if !policy.channels.languages.value.is_empty() {
        w(&format!("Reports may be written in: {}.\n", policy.channels.languages.value.join(", ")));
    }
    w("\n");

    w("## Supported versions\n\n");
    match policy.releases.support.value {
        Support::LatestOnly => w(&format!(
            "Only the latest build ({}) is supported. Older builds and images receive no fixes: \
             please rebuild regularly and check a report against the latest build.\n\n",
            policy.releases.latest.value
        )),
        Support::Lines if names.project.is_none() => w("Each project's policy page lists its release lines.\n\n"),
        Support::Lines if lines.is_empty() => w("The release lines are listed on the policy page.\n\n"),
        Support::Lines => {
            w("| Version | Status | Security fixes | CVE ids |\n|---|---|---|---|\n");
            for line in lines {
                let (fixes, cve) = support_of(policy, line.status);
                w(&format!("| {} | {} | {fixes} | {cve} |\n", cell(line.name.as_str()), line.status));
            }
            w(
                "\nVulnerabilities that exist only in prereleases or in versions without CVE ids are handled as ordinary bugs.\n\n",
            );
        }
    }
    if !policy.releases.experimental.value.is_empty() {
        w(&format!(
            "Experimental features are not eligible as vulnerabilities: {}.\n\n",
            policy.releases.experimental.value.join(", ")
        ));
    }

    let scope = &policy.scope;
    if !(scope.in_scope.value.is_empty() && scope.out_of_scope.value.is_empty() && scope.not_security.value.is_empty())
    {
        w("## Scope\n\n");
        for (title, items) in [
            ("In scope", &scope.in_scope.value),
            ("Out of scope", &scope.out_of_scope.value),
            ("Never treated as a security issue", &scope.not_security.value),
        ] {
            if !items.is_empty() {
                w(&format!("### {title}\n\n"));
                for item in items {
                    w(&format!("- {item}\n"));
                }
                w("\n");
            }
        }
    }

    if !policy.threat_models.value.is_empty() {
        w(
            "## Threat models\n\nCheck a report against these models before sending it, and cite the one that applies.\n\n",
        );
        for model in &policy.threat_models.value {
            w(&format!("### {} (`{}`)\n\n{}\n\n", model.title, model.id, model.text.trim()));
        }
    }

    if !policy.criteria.value.is_empty() {
        w("## How reports are assessed\n\n");
        for criterion in &policy.criteria.value {
            w(&format!("- **{}**: {}\n", criterion.title, criterion.explanation.trim()));
        }
        w(
            "\nA report declined as not a vulnerability names the criterion that applied; you may then open a public issue.\n\n",
        );
    }

    if !policy.platforms.value.is_empty() {
        w("## Platforms\n\n| Platform | Support |\n|---|---|\n");
        for platform in &policy.platforms.value {
            let tier = match platform.tier {
                Tier::Tier1 => "tier 1",
                Tier::Tier2 => "tier 2",
                Tier::Tier3 => "tier 3",
                Tier::Unsupported => "unsupported",
            };
            w(&format!("| {} | {tier} |\n", cell(&platform.name)));
        }
        w(
            "\nVulnerabilities that affect only unsupported platforms are not treated as vulnerabilities of the project; \
           such reports may be shared with the parties interested in that platform.\n\n",
        );
    }

    w("## What to expect\n\n");
    let response = &policy.response;
    let promised: Vec<String> = [
        ("acknowledge your report", response.acknowledge.value),
        ("decide whether it is a vulnerability", response.triage.value),
        ("fix an accepted vulnerability", response.fix.value),
        ("disclose it", response.disclosure.value),
    ]
    .iter()
    .filter_map(|(what, span)| span.map(|s| format!("{what} within {}", human_span(s))))
    .collect();
    // The team's own words come first; the volunteers' sentence only where the
    // policy states neither times nor expectations.
    for expectation in &response.expectations.value {
        w(&format!("- {}\n", expectation.trim()));
    }
    if !response.expectations.value.is_empty() {
        w("\n");
    }
    match (promised.is_empty(), response.expectations.value.is_empty()) {
        (true, true) => w("The team are volunteers and cannot promise a timeline; please be patient.\n"),
        (true, false) => {}
        (false, _) => w(&format!("The team aims to {}.\n", promised.join(", "))),
    }
    w("If the team needs more from you, it asks on the report and waits for your answer");
    match response.close_unanswered.value {
        Some(span) => {
            w(&format!("; a report left without an answer for {} is closed, after a reminder.\n", human_span(span)))
        }
        None => w(".\n"),
    }
    match policy.disclosure.rule.value {
        DisclosureRule::FixPublic => w(
            "An accepted vulnerability is fixed in private; the advisory is published, crediting you, once the fix is public.\n",
        ),
        DisclosureRule::EmbargoDate => w(&format!(
            "An accepted vulnerability is fixed in private and disclosed on the agreed embargo date \
             (by default {} after acceptance), crediting you.\n",
            human_span(policy.disclosure.embargo.value)
        )),
    }
    match policy.advisories.cna.value {
        CnaMode::None => w("The team obtains a CVE id where one is warranted; please do not request one yourself.\n"),
        CnaMode::IdPool | CnaMode::CveServices => {
            w("The organisation assigns CVE ids itself as a CNA; please do not request one yourself.\n")
        }
    }
    w(&format!("Published advisories: <{}>\n", links.advisories));
    if let Some(coc) = &policy.conduct.code_of_conduct.value {
        w(&format!(
            "\n## Code of conduct\n\nReports and the conversation about them are subject to the code of conduct: <{coc}>.\n"
        ));
    }
    let _ = writeln!(md);
    md
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
}

fn human_span(span: embargo_core::policy::Span) -> String {
    let text = span.to_string();
    let (n, unit) = text.split_at(text.len().saturating_sub(1));
    let unit = match (unit, n) {
        ("w", "1") => "week",
        ("w", _) => "weeks",
        ("d", "1") => "day",
        ("d", _) => "days",
        (_, "1") => "hour",
        _ => "hours",
    };
    format!("{n} {unit}")
}

#[cfg(test)]
mod tests {
    use embargo_core::id::ProjectId;
    use embargo_core::policy::{Level, resolve};
    use uuid::Uuid;

    use super::*;

    #[test]
    fn the_document_follows_the_policy() {
        let text = "[channels]\nemail = \"security@example.org\"\n\n[releases]\nfix_by_default = [\"bugfix\"]\n\
                    fix_on_request = [\"security\"]\n\n[response]\nacknowledge = \"2d\"\ntriage = \"2w\"\n\n\
                    [[criteria]]\nid = \"documented\"\ntitle = \"Documented behaviour\"\nexplanation = \"Not a bug.\"\n";
        let policy = resolve(&crate::policy_file::parse(text, Level::Organisation).unwrap().draft, None);
        let line = |name: &str, status| ReleaseLine {
            project_id: ProjectId::from_uuid(Uuid::from_u128(1)),
            name: name.parse().unwrap(),
            status,
            released_on: None,
            end_of_life_on: None,
        };
        let lines =
            [line("3.1", LineStatus::Bugfix), line("3.0", LineStatus::Security), line("2.3", LineStatus::EndOfLife)];
        let links = Links {
            policy: "https://sec.example.org/pallets/flask/policy".into(),
            form: "https://sec.example.org/pallets/flask/report".into(),
            api: "https://sec.example.org/api/v1/projects/pallets/flask/reports".into(),
            advisories: "https://sec.example.org/advisories".into(),
            openpgp_key: None,
        };
        let md = render(Names { organisation: "Pallets", project: Some("Flask") }, &policy, &lines, &links);
        assert!(md.starts_with("# Security policy\n"));
        assert!(md.contains("- by e-mail to <security@example.org>"));
        assert!(md.contains("| 3.1 | bugfix | yes | yes |"), "{md}");
        assert!(md.contains("| 3.0 | security | on request | yes |"), "{md}");
        assert!(md.contains("| 2.3 | end-of-life | no | no |"), "{md}");
        assert!(
            md.contains("acknowledge your report within 2 days, decide whether it is a vulnerability within 2 weeks")
        );
        assert!(md.contains("- **Documented behaviour**: Not a bug."));
        assert!(!md.contains("Code of conduct"));
    }

    #[test]
    fn issue_16_response_expectations_are_stated_and_replace_the_volunteers_sentence() {
        let links = Links {
            policy: "https://sec.example.org/harbor/relay/policy".into(),
            form: "https://sec.example.org/harbor/relay/report".into(),
            api: "https://sec.example.org/api/v1/projects/harbor/relay/reports".into(),
            advisories: "https://sec.example.org/advisories".into(),
            openpgp_key: None,
        };
        let names = Names { organisation: "Harbor", project: Some("Relay") };
        let md_of = |text: &str| {
            let policy = resolve(&crate::policy_file::parse(text, Level::Organisation).unwrap().draft, None);
            render(names, &policy, &[], &links)
        };
        let stated = md_of(
            "[response]\nexpectations = [\"Fix strategy: a patch or a mitigation.\", \"All credible reports are read.\"]\n",
        );
        assert!(
            stated.contains("- Fix strategy: a patch or a mitigation.\n- All credible reports are read.\n"),
            "{stated}"
        );
        assert!(!stated.contains("cannot promise a timeline"), "{stated}");
        let both = md_of("[response]\nacknowledge = \"5d\"\nexpectations = [\"Severity from impact.\"]\n");
        assert!(both.contains("- Severity from impact.") && both.contains("acknowledge your report within 5 days"));
        let silent = md_of("[channels]\nweb_form = true\n");
        assert!(silent.contains("cannot promise a timeline"), "{silent}");
        let long = format!("[response]\nexpectations = [\"{}\"]\n", "x".repeat(301));
        assert!(crate::policy_file::parse(&long, Level::Organisation).is_err());
    }
}
