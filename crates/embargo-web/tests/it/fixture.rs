//! A small world most tests share: an organisation with two projects, their
//! teams, two reporters and an administrator.

use embargo_testkit::{Auth, Backend, Reply, TestApp};
use embargo_web::WebConfig;
use http::StatusCode;
use serde_json::{Value, json};

pub struct World {
    pub t: TestApp,
    pub admin: Auth,
    /// On the team of `pallets` (every project).
    pub org_team: Auth,
    /// On the team of `pallets/flask` only.
    pub flask_team: Auth,
    /// On the team of `pallets/jinja` only.
    pub jinja_team: Auth,
    pub alice: Auth,
    pub bob: Auth,
}

impl World {
    pub async fn new() -> World {
        World::on(Backend::Sqlite).await
    }

    pub async fn on(backend: Backend) -> World {
        World::on_with(backend, WebConfig::default()).await
    }

    /// The world on `backend` with `config` (such as another `public_url`).
    pub async fn on_with(backend: Backend, config: WebConfig) -> World {
        let t = TestApp::on(backend, config).await;
        t.organisation("pallets").await;
        t.project("pallets", "flask").await;
        t.project("pallets", "jinja").await;
        let admin = t.user("admin@example.org", true).await;
        let org_team = t.user("lead@pallets.example", false).await;
        let flask_team = t.user("flask-maintainer@pallets.example", false).await;
        let jinja_team = t.user("jinja-maintainer@pallets.example", false).await;
        t.member("pallets", "lead@pallets.example").await;
        t.member("pallets/flask", "flask-maintainer@pallets.example").await;
        t.member("pallets/jinja", "jinja-maintainer@pallets.example").await;
        let alice = t.user("alice@researcher.example", false).await;
        let bob = t.user("bob@researcher.example", false).await;
        World { t, admin, org_team, flask_team, jinja_team, alice, bob }
    }

    /// Submits a report to `project`; answers (id, follow-up token).
    pub async fn report(&self, project: &str, auth: &Auth, title: &str) -> (String, String) {
        let reply = self
            .t
            .post(
                &format!("/api/v1/projects/pallets/{project}/reports"),
                json!({"title": title, "body": format!("{title}: the details"), "proof_of_concept": "exit 1"}),
                auth,
            )
            .await
            .expect(StatusCode::CREATED);
        (reply.json["id"].as_str().unwrap().to_owned(), reply.json["followup_token"].as_str().unwrap().to_owned())
    }

    /// Invites a new account (`carol@upstream.example`) to `report` as a
    /// collaborator, as the flask team, and answers her session.
    pub async fn collaborator(&self, report: &str) -> Auth {
        let carol = self.t.user("carol@upstream.example", false).await;
        self.t
            .post(
                &format!("/api/v1/reports/{report}/collaborators"),
                json!({"email": "carol@upstream.example", "role": "collaborator"}),
                &self.flask_team,
            )
            .await
            .expect(StatusCode::CREATED);
        carol
    }

    pub async fn transition(&self, id: &str, to: &str, auth: &Auth) -> Reply {
        self.t.post(&format!("/api/v1/reports/{id}/transitions"), json!({"to": to}), auth).await
    }

    /// Moves a report along the main line up to `to` as the flask team.
    pub async fn advance(&self, id: &str, to: &str) {
        for state in ["acknowledged", "triaging", "accepted", "fixing", "fixed"] {
            self.transition(id, state, &self.flask_team).await.expect(StatusCode::OK);
            if state == to {
                return;
            }
        }
    }

    /// An accepted flask report with a draft advisory ready to publish; answers (report, advisory).
    pub async fn drafted(&self, title: &str) -> (String, String) {
        let (id, _) = self.report("flask", &self.alice, title).await;
        self.advance(&id, "accepted").await;
        let draft = self.t.post(&format!("/api/v1/reports/{id}/advisory"), json!({}), &self.flask_team).await;
        let advisory = draft.expect(StatusCode::CREATED).json["id"].as_str().unwrap().to_owned();
        self.t
            .patch(&format!("/api/v1/advisories/{advisory}"), json!({"details": "Upgrade to 3.1.1."}), &self.flask_team)
            .await
            .expect(StatusCode::OK);
        (id, advisory)
    }

    pub async fn finish(self) {
        self.t.run_jobs().await;
        self.t.finish().await;
    }
}

/// Every string anywhere inside a JSON value.
pub fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        Value::Object(map) => map.values().flat_map(strings).collect(),
        Value::Null | Value::Bool(_) | Value::Number(_) => Vec::new(),
    }
}
