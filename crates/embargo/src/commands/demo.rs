//! `embargo serve --demo`: three example organisations, their policies
//! (from `examples/policies/`), projects, a team and a few reports, so that a
//! newcomer sees a living instance.

use anyhow::Context;
use embargo_app::{
    AdvisoryPatch, AffectedInput, App, Envelope, NewAccount, NewOrganisation, NewProject, PolicyTarget, RangeInput,
    TeamRef, TransitionInput,
};
use embargo_core::message::{Channel, Visibility};
use embargo_core::permission::Actor;
use embargo_core::private::Private;
use embargo_core::report::Submission;

/// The example policies, written for invented organisations.
pub(super) const POLICIES: [(&str, &str); 7] = [
    ("lanternworks", include_str!("../../../../examples/policies/lanternworks.toml")),
    ("lanternworks/lantern", include_str!("../../../../examples/policies/lanternworks-lantern.toml")),
    ("lanternworks/wick", include_str!("../../../../examples/policies/lanternworks-wick.toml")),
    ("orbit-lang", include_str!("../../../../examples/policies/orbit.toml")),
    ("orbit-lang/orbit", include_str!("../../../../examples/policies/orbit-orbit.toml")),
    ("harbor-relay", include_str!("../../../../examples/policies/harbor-relay.toml")),
    ("harbor-relay/relay", include_str!("../../../../examples/policies/harbor-relay-relay.toml")),
];

/// The demo accounts, to print.
#[derive(Debug)]
pub struct Accounts {
    /// (email, password) of the instance's administrator, so that the demo
    /// is set up: visitors see no setup prompt.
    pub admin: (String, String),
    /// (email, password) of the security team member on all three organisations.
    pub team: (String, String),
    /// (email, password) of a reporter.
    pub reporter: (String, String),
}

fn password() -> anyhow::Result<String> {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn submission(title: &str, body: &str) -> Submission {
    Submission { title: title.into(), body: body.into(), ..Submission::default() }
}

/// Loads the demo unless its organisations exist already; answers the accounts it made.
pub async fn load(app: &App) -> anyhow::Result<Option<Accounts>> {
    if app.organisation(&"lanternworks".parse()?).await.is_ok() {
        return Ok(None);
    }
    let op = Actor::Operator;
    for (slug, name) in [("lanternworks", "Lanternworks"), ("orbit-lang", "Orbit"), ("harbor-relay", "Harbor Relay")] {
        app.create_organisation(&op, NewOrganisation { slug: slug.into(), name: name.into(), advisory_prefix: None })
            .await?;
    }
    for (org, slug, name, packages) in [
        ("lanternworks", "lantern", "Lantern", vec![("PyPI", "lantern")]),
        ("lanternworks", "wick", "Wick", vec![("PyPI", "wick")]),
        ("orbit-lang", "orbit", "Orbit", vec![("crates.io", "orbit-runtime")]),
        ("harbor-relay", "relay", "Relay", vec![("Go", "github.com/harbor-relay/relay")]),
    ] {
        let new = NewProject {
            slug: slug.into(),
            name: name.into(),
            repository_url: Some(format!("https://git.example/{org}/{slug}")),
            packages: packages.into_iter().map(|(e, n)| (e.to_owned(), n.to_owned())).collect(),
        };
        app.create_project(&op, &org.parse()?, new).await?;
    }
    for (target, file) in POLICIES {
        app.apply_policy(&op, &PolicyTarget::parse(target)?, file)
            .await
            .with_context(|| format!("example policy of {target}"))?;
    }
    let accounts = Accounts {
        admin: ("admin@demo.embargo.example".into(), password()?),
        team: ("team@demo.embargo.example".into(), password()?),
        reporter: ("reporter@demo.embargo.example".into(), password()?),
    };
    for ((email, pw), name) in [(&accounts.team, "Demo Team"), (&accounts.reporter, "Ada Reporter")] {
        let account = NewAccount { email: email.clone(), name: name.into(), password: Private::new(pw.clone()) };
        app.create_user(&op, account, false).await?;
    }
    let (email, pw) = &accounts.admin;
    let admin =
        NewAccount { email: email.clone(), name: "Demo Administrator".into(), password: Private::new(pw.clone()) };
    app.create_user(&op, admin, true).await?;
    for org in ["lanternworks", "orbit-lang", "harbor-relay"] {
        app.add_member(&op, &TeamRef::Organisation(org.parse()?), &accounts.team.0).await?;
    }
    let mut settings = app.settings().await?;
    settings.security_txt_org = Some("orbit-lang".into());
    app.update_settings(&op, settings).await?;
    let team = app.act_as(&accounts.team.0).await?;
    let reporter = app.act_as(&accounts.reporter.0).await?;
    let step = |to: &str| TransitionInput { to: to.into(), ..TransitionInput::default() };

    // Lanternworks: an accepted report, fixed on the current line and backported on request.
    let mut open_redirect = submission(
        "Open redirect in the login helper",
        "The `next` parameter of the login helper accepts absolute URLs, so a crafted link sends users to another site after they sign in.",
    );
    open_redirect.versions_tested = Some("3.2.0, 3.1.4".into());
    open_redirect.lines = vec!["3.2".into(), "3.1".into()];
    open_redirect.proof_of_concept = Some("#!/bin/sh\ncurl -si 'http://localhost:8000/login?next=https://evil.example' | grep -q 'Location: https://evil' && exit 1\nexit 0\n".into());
    let receipt = app
        .submit_report(
            &reporter,
            Envelope::form("lanternworks/lantern".parse()?, open_redirect, Vec::new(), Channel::Web),
        )
        .await?;
    let id = receipt.report_id;
    for to in ["acknowledged", "triaging", "accepted"] {
        app.transition_report(&team, id, step(to)).await?;
    }
    app.post_message(
        &reporter,
        id,
        "Could the fix be backported to 3.1? We still run it in production.",
        Visibility::ReporterVisible,
        Channel::Web,
    )
    .await?;
    app.post_message(&team, id, "Yes: 3.1 gets the fix too.", Visibility::ReporterVisible, Channel::Web).await?;
    app.update_report(
        &team,
        id,
        embargo_app::TeamPatch {
            cvss_v3: Some(Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N".into())),
            cwes: Some(vec!["CWE-601".into()]),
            affected_versions: Some(vec!["3.2".into(), "3.1".into()]),
            fix_lines: Some(vec!["3.2".into(), "3.1".into()]),
            ..embargo_app::TeamPatch::default()
        },
    )
    .await?;

    // Lanternworks: a report declined for a named criterion.
    let debugger = submission(
        "Debugger console reachable",
        "With debug mode on, the debugger console runs code from the browser.",
    );
    let receipt = app
        .submit_report(
            &Actor::Anonymous,
            Envelope::form("lanternworks/lantern".parse()?, debugger, Vec::new(), Channel::Web),
        )
        .await?;
    let id = receipt.report_id;
    app.transition_report(&team, id, step("acknowledged")).await?;
    let decline = TransitionInput {
        to: "not_vulnerable".into(),
        criterion: Some("documented-behaviour".into()),
        ..TransitionInput::default()
    };
    app.transition_report(&team, id, decline).await?;

    // Orbit: accepted, CVE from the pool, fixed and published.
    let mut overflow = submission(
        "Heap overflow in the tokenizer on long string literals",
        "A string literal longer than 2 GiB overflows the tokenizer's length counter and writes past the buffer.",
    );
    overflow.versions_tested = Some("3.14.2, 3.13.9, 3.15.0a3".into());
    overflow.versions_vulnerable = Some("all three".into());
    overflow.lines = vec!["3.14".into(), "3.13".into(), "3.15".into()];
    overflow.threat_model = Some("untrusted-input".into());
    overflow.proof_of_concept = Some("import sys\ntry:\n    compile('\"' + 'a' * 2**31 + '\"', 'x', 'eval')\nexcept MemoryError:\n    sys.exit(0)\nsys.exit(1)\n".into());
    overflow.reporter_name = Some("Ada Reporter".into());
    let receipt = app
        .submit_report(&reporter, Envelope::form("orbit-lang/orbit".parse()?, overflow, Vec::new(), Channel::Api))
        .await?;
    let id = receipt.report_id;
    for to in ["acknowledged", "triaging", "accepted"] {
        app.transition_report(&team, id, step(to)).await?;
    }
    app.update_report(
        &team,
        id,
        embargo_app::TeamPatch {
            cvss_v4: Some(Some("CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N".into())),
            cwes: Some(vec!["CWE-122".into()]),
            ..embargo_app::TeamPatch::default()
        },
    )
    .await?;
    let advisory = app.draft_advisory(&team, id).await?.id;
    app.assign_cve(&team, &advisory).await?;
    let patch = AdvisoryPatch {
        details: Some("The tokenizer kept string lengths in a 32-bit counter. Orbit 3.14.3 and 3.13.10 check lengths before copying.".into()),
        affected: Some(vec![AffectedInput {
            package: Some(("crates.io".into(), "orbit-runtime".into())),
            ranges: vec![RangeInput {
                kind: "SEMVER".into(),
                repo: None,
                events: vec![("introduced".into(), "3.13.0".into()), ("fixed".into(), "3.13.10".into())],
            }],
            versions: Vec::new(),
        }]),
        fix_kinds: Some(vec!["patch".into()]),
        ..AdvisoryPatch::default()
    };
    app.update_advisory(&team, &advisory, patch).await?;
    for to in ["fixing", "fixed"] {
        app.transition_report(&team, id, step(to)).await?;
    }
    app.publish_advisory(&team, &advisory).await?;

    // Orbit: a new report about an experimental feature.
    let mut jit =
        submission("Crash in the JIT with deeply nested generators", "Nesting 10,000 generators crashes the JIT.");
    jit.component = Some("jit".into());
    jit.versions_tested = Some("3.14.2".into());
    jit.versions_vulnerable = Some("3.14.2".into());
    app.submit_report(&Actor::Anonymous, Envelope::form("orbit-lang/orbit".parse()?, jit, Vec::new(), Channel::Web))
        .await?;

    // Harbor Relay: a report about an older image, told that only the latest build is supported.
    let mut old_image = submission(
        "Job payloads deserialised without a size limit",
        "Posting a 2 GB job payload to /v1/jobs makes the worker run out of memory.",
    );
    old_image.component = Some("API".into());
    old_image.lines = vec!["older".into()];
    old_image.versions_tested = Some("image from 2025-11-02".into());
    app.submit_report(&reporter, Envelope::form("harbor-relay/relay".parse()?, old_image, Vec::new(), Channel::Web))
        .await?;
    Ok(Some(accounts))
}
