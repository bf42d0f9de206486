//! Accounts: first-admin setup, sign-up, sessions, API tokens, settings.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use embargo_app::{AppError, FactorProof, InstanceSettings, Me, NewAccount, Registered, SessionView};
use embargo_core::id::TokenId;
use embargo_store::sessions::SessionStage;
use time::OffsetDateTime;

use embargo_core::private::Private;
use embargo_core::user::TeamScope;
use embargo_store::users::ApiToken;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::json::UserJson;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ClientAddr, CurrentActor, Json, Path, SESSION_COOKIE};

/// Creates the first administrator.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetupRequest {
    /// The one-time token `embargo serve` printed (`embi_…`).
    token: String,
    /// The administrator's address.
    email: String,
    /// Their name.
    name: String,
    /// At least 10 characters.
    password: String,
}

/// Signs in.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignInRequest {
    /// The account's address.
    email: String,
    /// Its password.
    password: String,
    /// A current code from the account's authenticator app, or an unused
    /// recovery code, when the account has a second factor.
    #[serde(default)]
    code: Option<String>,
}

/// Makes an account: a reporter's own sign-up, or an administrator's.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUserRequest {
    /// The sign-in address.
    email: String,
    /// The display name.
    name: String,
    /// At least 10 characters.
    password: String,
    /// Make an administrator (administrators only).
    #[serde(default)]
    is_admin: bool,
}

/// Bans or unbans a user.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BanRequest {
    /// `true` to ban, `false` to lift the ban.
    banned: bool,
}

/// Makes an API token.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TokenRequest {
    /// A label, such as the script that will use it.
    name: String,
    /// Any of `read`, `report`, `triage`, `publish`, `admin`.
    scopes: Vec<String>,
    /// Days until it stops working (1 to 3650, default 90).
    #[schema(minimum = 1, maximum = 3650)]
    expires_in_days: Option<u32>,
    /// A current code from the authenticator app: needed when the account has
    /// a second factor and did not prove it in the last 15 minutes.
    #[serde(default)]
    code: Option<String>,
}

/// Instance settings.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SettingsJson {
    /// Whether reporters may make their own accounts.
    signup_open: bool,
    /// The organisation whose channels /.well-known/security.txt lists (when there are several).
    #[serde(default)]
    security_txt_org: Option<String>,
    /// Whether security-team members and administrators must use a second factor
    /// (they enrol at their next sign-in). Left out: unchanged.
    #[serde(default)]
    second_factor_required: Option<bool>,
    /// Whether the audit log's signed checkpoint is mailed to the administrators every day.
    /// Left out: unchanged.
    #[serde(default)]
    checkpoint_mail: Option<bool>,
}

/// A team the user is on.
#[derive(Serialize, ToSchema)]
pub(crate) struct MembershipJson {
    /// The organisation's slug.
    organisation: String,
    /// The project's slug, for a project team.
    #[serde(skip_serializing_if = "Option::is_none")]
    project: Option<String>,
}

/// The signed-in user.
#[derive(Serialize, ToSchema)]
pub(crate) struct MeJson {
    /// The account.
    user: UserJson,
    /// Security teams they are on.
    teams: Vec<MembershipJson>,
    /// The token's scopes, when signed in with a token.
    #[serde(skip_serializing_if = "Option::is_none")]
    scopes: Option<Vec<String>>,
}

/// An API token (never its secret).
#[derive(Serialize, ToSchema)]
pub(crate) struct TokenJson {
    /// Its id, for revoking it.
    id: String,
    /// Its label.
    name: String,
    /// What it may be used for.
    scopes: Vec<String>,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    /// When it stops working.
    #[serde(with = "time::serde::rfc3339::option")]
    expires_at: Option<OffsetDateTime>,
    /// When it was revoked.
    #[serde(with = "time::serde::rfc3339::option")]
    revoked_at: Option<OffsetDateTime>,
}

impl From<&ApiToken> for TokenJson {
    fn from(t: &ApiToken) -> Self {
        TokenJson {
            id: t.id.to_string(),
            name: t.name.clone(),
            scopes: t.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            created_at: t.created_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// A new API token with its secret, shown only this once.
#[derive(Serialize, ToSchema)]
pub(crate) struct NewTokenJson {
    /// The token's record.
    token: TokenJson,
    /// Send as `Authorization: Bearer SECRET`. Not stored; keep it safe.
    secret: String,
}

async fn me_json(state: &AppState, me: Me) -> Result<MeJson, ApiError> {
    let orgs = state.app.organisations().await?;
    let projects = state.app.projects(None).await?;
    let org_slug = |id| orgs.iter().find(|o| o.id == id).map(|o| o.slug.to_string());
    let teams = me
        .memberships
        .iter()
        .filter_map(|m| match m.scope {
            TeamScope::Organisation(org) => Some(MembershipJson { organisation: org_slug(org)?, project: None }),
            TeamScope::Project(project) => {
                let project = projects.iter().find(|p| p.id == project)?;
                Some(MembershipJson {
                    organisation: org_slug(project.org_id)?,
                    project: Some(project.slug.to_string()),
                })
            }
        })
        .collect();
    Ok(MeJson {
        user: UserJson::from(&me.user),
        teams,
        scopes: me.scopes.map(|s| s.iter().map(|s| s.as_str().to_owned()).collect()),
    })
}

/// Creates the first administrator with the one-time token printed by
/// `embargo serve`, and signs them in.
#[utoipa::path(
    post,
    path = "/api/v1/setup",
    tag = "accounts",
    request_body = SetupRequest,
    responses(
        (status = 201, description = "Administrator created and signed in", body = UserJson),
        (status = 404, description = "No setup is pending, or the token is wrong", body = ErrorBody),
        (status = 422, description = "Invalid address, name or password", body = ErrorBody),
    )
)]
pub(crate) async fn setup(State(state): State<AppState>, Json(body): Json<SetupRequest>) -> Result<Response, ApiError> {
    let account = NewAccount { email: body.email, name: body.name, password: Private::new(body.password) };
    let (user, session) = state.app.complete_setup(&body.token, account).await?;
    let cookie = crate::cookies::set_cookie(
        &state.config,
        SESSION_COOKIE,
        session.expose(),
        state.config.session_ttl.whole_seconds(),
    );
    let mut response = (StatusCode::CREATED, axum::Json(UserJson::from(&user))).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// Signs in and sets the session cookie.
#[utoipa::path(
    post,
    path = "/api/v1/session",
    tag = "accounts",
    request_body = SignInRequest,
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = MeJson),
        (status = 401, description = "Wrong address or password, or a second-factor code is missing or wrong \
            (`second_factor_required`, `invalid_second_factor`)", body = ErrorBody),
        (status = 403, description = "A second factor must be enrolled first, on the web page", body = ErrorBody),
        (status = 429, description = "Too many failed sign-ins for the account or from the address; see Retry-After", body = ErrorBody),
    )
)]
pub(crate) async fn sign_in(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Json(body): Json<SignInRequest>,
) -> Result<Response, ApiError> {
    let signed = state.app.sign_in_from(&body.email, Private::new(body.password), client).await?;
    let (user, session) = (signed.user, signed.session);
    second_step(&state, session.expose(), body.code).await?;
    let actor = state.app.authenticate(Some(&embargo_app::Credential::Session(session.expose().to_owned()))).await?;
    let me = state.app.me(&actor).await?;
    debug_assert_eq!(me.user.id, user.id);
    let cookie = crate::cookies::set_cookie(
        &state.config,
        SESSION_COOKIE,
        session.expose(),
        state.config.session_ttl.whole_seconds(),
    );
    let mut response = axum::Json(me_json(&state, me).await?).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// Signs out: ends the session and clears the cookie.
#[utoipa::path(delete, path = "/api/v1/session", tag = "accounts", responses((status = 204, description = "Signed out")))]
pub(crate) async fn sign_out(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(session) = crate::extract::session_cookie(&headers) {
        state.app.sign_out(&session).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, crate::cookies::set_cookie(&state.config, SESSION_COOKIE, "", 0));
    Ok(response)
}

/// Who is signed in.
#[utoipa::path(
    get,
    path = "/api/v1/session",
    tag = "accounts",
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, body = MeJson), (status = 401, body = ErrorBody))
)]
pub(crate) async fn whoami(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> Result<axum::Json<MeJson>, ApiError> {
    let me = state.app.me(&actor).await?;
    Ok(axum::Json(me_json(&state, me).await?))
}

/// What a sign-up is told, whether or not the address has an account.
#[derive(Serialize, ToSchema)]
pub(crate) struct SignupJson {
    /// What happens next.
    message: String,
}

/// The message every sign-up gets: it says nothing about whether the address has an account.
const SIGNUP_SENT: &str = "we sent a mail to this address: open the link in it within 24 hours to finish signing up";

/// Makes an account. Administrators make any account at once (201).
/// Anonymous callers sign themselves up as reporters, when the instance
/// allows it: the answer is always 202, and a mail to the address carries
/// the link that confirms it (or says that it has an account already).
#[utoipa::path(
    post,
    path = "/api/v1/users",
    tag = "accounts",
    request_body = NewUserRequest,
    responses(
        (status = 201, description = "Made by an administrator", body = UserJson),
        (status = 202, description = "Sign-up: a mail goes to the address (the same answer whether or not it has an account)", body = SignupJson),
        (status = 403, description = "Sign-up is closed, or only administrators make administrators", body = ErrorBody),
        (status = 409, description = "The address has an account (administrators only are told)", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub(crate) async fn create_user(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Json(body): Json<NewUserRequest>,
) -> Result<Response, ApiError> {
    let account = NewAccount { email: body.email, name: body.name, password: Private::new(body.password) };
    Ok(match state.app.register(&actor, account, body.is_admin).await? {
        Registered::Created(user) => (StatusCode::CREATED, axum::Json(UserJson::from(&user))).into_response(),
        Registered::ConfirmByMail => {
            (StatusCode::ACCEPTED, axum::Json(SignupJson { message: SIGNUP_SENT.to_owned() })).into_response()
        }
    })
}

/// A sign-up's confirmation.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignupConfirmRequest {
    /// The token of the link in the sign-up mail (`embu_…`).
    token: String,
}

/// Confirms a sign-up with the token from its mail: makes the account and
/// signs it in (the session cookie is set).
#[utoipa::path(
    post,
    path = "/api/v1/signup/confirm",
    tag = "accounts",
    request_body = SignupConfirmRequest,
    responses(
        (status = 201, description = "Account made and signed in", body = UserJson),
        (status = 404, description = "The link is unknown, used or expired", body = ErrorBody),
        (status = 409, description = "The address got an account meanwhile", body = ErrorBody),
    )
)]
pub(crate) async fn confirm_signup(
    State(state): State<AppState>,
    Json(body): Json<SignupConfirmRequest>,
) -> Result<Response, ApiError> {
    let (user, session) = state.app.confirm_sign_up(&body.token).await?;
    let cookie = crate::cookies::set_cookie(
        &state.config,
        SESSION_COOKIE,
        session.expose(),
        state.config.session_ttl.whole_seconds(),
    );
    let mut response = (StatusCode::CREATED, axum::Json(UserJson::from(&user))).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// Every account (administrators).
#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "accounts",
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, body = [UserJson]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub(crate) async fn list_users(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> Result<axum::Json<Vec<UserJson>>, ApiError> {
    let users = state.app.users(&actor).await?;
    Ok(axum::Json(users.iter().map(UserJson::from).collect()))
}

/// Makes an API token for the signed-in user; the secret is shown once.
#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    tag = "accounts",
    security(("session" = []), ("bearer" = [])),
    request_body = TokenRequest,
    responses(
        (status = 201, body = NewTokenJson),
        (status = 401, description = "Not signed in, or the second-factor code is wrong", body = ErrorBody),
        (status = 403, description = "A recent second factor is needed: send `code` (`second_factor_required`)", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub(crate) async fn create_token(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: axum::http::HeaderMap,
    Json(body): Json<TokenRequest>,
) -> Result<(StatusCode, axum::Json<NewTokenJson>), ApiError> {
    let session = crate::extract::session_cookie(&headers).map(Private::new);
    let proof = FactorProof { session, code: body.code.map(Private::new) };
    let (token, secret) =
        state.app.create_api_token(&actor, &body.name, &body.scopes, body.expires_in_days, &proof).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(NewTokenJson { token: TokenJson::from(&token), secret: secret.expose().to_owned() }),
    ))
}

/// The signed-in user's API tokens.
#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    tag = "accounts",
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, body = [TokenJson]), (status = 401, body = ErrorBody))
)]
pub(crate) async fn list_tokens(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> Result<axum::Json<Vec<TokenJson>>, ApiError> {
    Ok(axum::Json(state.app.api_tokens(&actor).await?.iter().map(TokenJson::from).collect()))
}

/// Revokes one of the signed-in user's API tokens.
#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{id}",
    tag = "accounts",
    params(("id" = String, Path, description = "The token's id")),
    security(("session" = []), ("bearer" = [])),
    responses((status = 204, description = "Revoked"), (status = 404, body = ErrorBody))
)]
pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: TokenId = id.parse().map_err(|_| ApiError::not_found())?;
    state.app.revoke_api_token(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The instance settings (public: a reporter may check whether sign-up is open).
#[utoipa::path(get, path = "/api/v1/settings", tag = "accounts", responses((status = 200, body = SettingsJson)))]
pub(crate) async fn get_settings(State(state): State<AppState>) -> Result<axum::Json<SettingsJson>, ApiError> {
    let settings = state.app.settings().await?;
    Ok(axum::Json(settings_json(settings)))
}

fn settings_json(settings: InstanceSettings) -> SettingsJson {
    SettingsJson {
        signup_open: settings.signup_open,
        security_txt_org: settings.security_txt_org,
        second_factor_required: Some(settings.second_factor_required),
        checkpoint_mail: Some(settings.checkpoint_mail),
    }
}

/// Changes the instance settings (administrators).
#[utoipa::path(
    put,
    path = "/api/v1/settings",
    tag = "accounts",
    security(("session" = []), ("bearer" = [])),
    request_body = SettingsJson,
    responses((status = 200, body = SettingsJson), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub(crate) async fn put_settings(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Json(body): Json<SettingsJson>,
) -> Result<axum::Json<SettingsJson>, ApiError> {
    let current = state.app.settings().await?;
    let wanted = InstanceSettings {
        signup_open: body.signup_open,
        security_txt_org: body.security_txt_org,
        second_factor_required: body.second_factor_required.unwrap_or(current.second_factor_required),
        checkpoint_mail: body.checkpoint_mail.unwrap_or(current.checkpoint_mail),
    };
    let settings = state.app.update_settings(&actor, wanted).await?;
    Ok(axum::Json(settings_json(settings)))
}

/// Bans a reporter who repeatedly ignores the policy, or lifts the ban (administrators).
/// A banned reporter may read their reports but neither submit nor reply.
#[utoipa::path(
    put,
    path = "/api/v1/users/{id}/ban",
    tag = "accounts",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body = BanRequest,
    responses((status = 200, body = UserJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub(crate) async fn ban_user(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    Json(body): Json<BanRequest>,
) -> Result<axum::Json<UserJson>, ApiError> {
    let id = id.parse().map_err(|_| ApiError::not_found())?;
    Ok(axum::Json(UserJson::from(&state.app.set_banned(&actor, id, body.banned).await?)))
}

/// The step after the password, for the API: a session waiting for its second
/// factor is completed with `code`; without one (or for an account that must
/// enrol a factor first, which only the web pages do) the waiting session ends
/// and the sign-in is refused.
async fn second_step(state: &AppState, session: &str, code: Option<String>) -> Result<(), ApiError> {
    match state.app.sign_in_stage(session).await? {
        Some(SessionStage::Complete) => Ok(()),
        Some(SessionStage::SecondFactor) => {
            let Some(code) = code.filter(|c| !c.trim().is_empty()) else {
                state.app.sign_out(session).await?;
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "second_factor_required",
                    "this account has a second factor: send a current code from the authenticator app as `code`",
                ));
            };
            let verified = state.app.verify_second_factor(session, Private::new(code)).await;
            if verified.is_err() {
                state.app.sign_out(session).await?;
            }
            Ok(verified?)
        }
        Some(SessionStage::Enrolment) => {
            state.app.sign_out(session).await?;
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "second_factor_required",
                "this account must set up a second factor first: sign in on the web page",
            ))
        }
        None => Err(AppError::Unauthenticated.into()),
    }
}

/// A browser session (never its secret).
#[derive(Serialize, ToSchema)]
pub(crate) struct SessionJson {
    /// Its id, for ending it.
    id: String,
    /// When it began.
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    /// When it ends by itself.
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
    /// When a second factor was last proven in it.
    #[serde(with = "time::serde::rfc3339::option")]
    second_factor_at: Option<OffsetDateTime>,
    /// It is the session this request came with.
    current: bool,
}

impl From<&SessionView> for SessionJson {
    fn from(v: &SessionView) -> Self {
        SessionJson {
            id: v.session.id.to_string(),
            created_at: v.session.created_at,
            expires_at: v.session.expires_at,
            second_factor_at: v.session.factor_at,
            current: v.current,
        }
    }
}

/// The signed-in user's live browser sessions, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/sessions",
    tag = "accounts",
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, body = [SessionJson]), (status = 401, body = ErrorBody))
)]
pub(crate) async fn list_sessions(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: axum::http::HeaderMap,
) -> Result<axum::Json<Vec<SessionJson>>, ApiError> {
    let current = crate::extract::session_cookie(&headers);
    let sessions = state.app.sessions(&actor, current.as_deref()).await?;
    Ok(axum::Json(sessions.iter().map(SessionJson::from).collect()))
}

/// Ends one of the signed-in user's browser sessions.
#[utoipa::path(
    delete,
    path = "/api/v1/sessions/{id}",
    tag = "accounts",
    params(("id" = String, Path, description = "The session's id")),
    security(("session" = []), ("bearer" = [])),
    responses((status = 204, description = "Ended"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub(crate) async fn end_session(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = id.parse().map_err(|_| ApiError::not_found())?;
    state.app.end_session(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How many sessions and tokens ended.
#[derive(Serialize, ToSchema)]
pub(crate) struct SignedOutJson {
    /// Browser sessions ended.
    sessions_ended: u64,
    /// API tokens revoked.
    tokens_revoked: u64,
}

/// Signs a user out everywhere (administrators): every session ends and every API token is revoked.
#[utoipa::path(
    delete,
    path = "/api/v1/users/{id}/sessions",
    tag = "accounts",
    params(("id" = String, Path, description = "The user's id")),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, body = SignedOutJson),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
pub(crate) async fn end_user_sessions(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<axum::Json<SignedOutJson>, ApiError> {
    let id = id.parse().map_err(|_| ApiError::not_found())?;
    let (sessions_ended, tokens_revoked) = state.app.end_user_sessions(&actor, id).await?;
    Ok(axum::Json(SignedOutJson { sessions_ended, tokens_revoked }))
}
