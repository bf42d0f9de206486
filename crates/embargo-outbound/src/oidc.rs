//! The OpenID Connect relying party, the app's
//! [`IdentityProvider`]: the `openidconnect` crate does discovery
//! (OpenID Connect Discovery 1.0, section 4: the issuer in the metadata must
//! equal the configured one), the authorization code flow with PKCE
//! (RFC 7636, S256) and the ID token's checks (OpenID Connect Core 1.0,
//! section 3.1.3.7: signature against the provider's key set, `iss`, `aud`,
//! `azp`, `exp`, and the `nonce`).
//!
//! Every HTTP call it makes goes through this crate's address checks
//! ([`HttpClient::exchange`]): redirects are never followed, and loopback or
//! private addresses are refused unless `outbound_allow_private` is set.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use embargo_app::sso::{AuthorizationRequest, IdentityProvider, ProviderError, Redemption, VerifiedIdentity};
use embargo_core::private::Private;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use std::future::Future;
use std::pin::Pin;

use embargo_app::outbound::OutboundError;
use openidconnect::{
    AsyncHttpClient, AuthorizationCode, ClientId, ClientSecret, CsrfToken, HttpRequest, HttpResponse, IssuerUrl, Nonce,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
};

use crate::HttpClient;

/// The instance's identity provider, as configured.
#[derive(Debug, Clone)]
pub struct OidcProvider {
    /// The HTTP client (address checks, no redirects).
    pub http: HttpClient,
    /// The issuer URL, exactly as the provider names itself.
    pub issuer: String,
    /// The client id registered at the provider.
    pub client_id: String,
    /// The client secret registered at the provider.
    pub client_secret: Private<String>,
    /// Embargo's callback, registered at the provider (`PUBLIC_URL/login/sso/callback`).
    pub redirect_uri: String,
    /// The scopes asked for besides `openid`.
    pub scopes: Vec<String>,
    /// The ID token claim that lists the person's groups, if any.
    pub group_claim: Option<String>,
}

fn unreachable(what: &str, error: impl std::fmt::Display) -> ProviderError {
    ProviderError::Unreachable(format!("{what}: {error}"))
}

/// `time` to `chrono`, for the ID token's expiry check.
fn chrono_time(now: time::OffsetDateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(now.unix_timestamp(), now.nanosecond()).unwrap_or_default()
}

impl OidcProvider {
    async fn metadata(&self) -> Result<CoreProviderMetadata, ProviderError> {
        let issuer = IssuerUrl::new(self.issuer.clone()).map_err(|e| unreachable("the issuer URL", e))?;
        CoreProviderMetadata::discover_async(issuer, &Exchange(self.http))
            .await
            .map_err(|e| unreachable("discovery", describe(&e)))
    }

    fn redirect(&self) -> Result<RedirectUrl, ProviderError> {
        RedirectUrl::new(self.redirect_uri.clone()).map_err(|e| unreachable("the redirect URI", e))
    }

    /// The `groups` of a verified ID token's payload (the crate's claim types
    /// know only the standard claims).
    fn groups(&self, token: &str) -> Vec<String> {
        let Some(claim) = &self.group_claim else { return Vec::new() };
        let payload = token.split('.').nth(1).unwrap_or_default();
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')) else { return Vec::new() };
        let Ok(claims) = serde_json::from_slice::<serde_json::Value>(&bytes) else { return Vec::new() };
        match claims.get(claim) {
            Some(serde_json::Value::Array(values)) => {
                values.iter().filter_map(|v| v.as_str()).map(str::to_owned).collect()
            }
            Some(serde_json::Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        }
    }
}

/// The HTTP client as `openidconnect` calls it: each call through
/// [`HttpClient::exchange`] (a named type rather than a closure, so that the
/// futures are `Send` for every lifetime).
struct Exchange(HttpClient);

impl<'c> AsyncHttpClient<'c> for Exchange {
    type Error = OutboundError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, OutboundError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        let client = self.0;
        Box::pin(async move { client.exchange(request).await })
    }
}

/// An error and its causes, on one line.
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    text
}

#[async_trait::async_trait]
impl IdentityProvider for OidcProvider {
    async fn authorization_url(&self, request: &AuthorizationRequest) -> Result<String, ProviderError> {
        let metadata = self.metadata().await?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.client_id.clone()),
            Some(ClientSecret::new(self.client_secret.expose().clone())),
        )
        .set_redirect_uri(self.redirect()?);
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(
            request.pkce_verifier.expose().clone(),
        ));
        let (state, nonce) = (request.state.clone(), request.nonce.clone());
        let mut ask = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                move || CsrfToken::new(state),
                move || Nonce::new(nonce),
            )
            .set_pkce_challenge(challenge);
        for scope in self.scopes.iter().filter(|s| s.as_str() != "openid") {
            ask = ask.add_scope(Scope::new(scope.clone()));
        }
        let (url, _, _) = ask.url();
        Ok(url.to_string())
    }

    async fn redeem(&self, redemption: Redemption) -> Result<VerifiedIdentity, ProviderError> {
        let metadata = self.metadata().await?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.client_id.clone()),
            Some(ClientSecret::new(self.client_secret.expose().clone())),
        )
        .set_redirect_uri(self.redirect()?);
        let http = Exchange(self.http);
        let response = client
            .exchange_code(AuthorizationCode::new(redemption.code.expose().clone()))
            .map_err(|e| unreachable("the token endpoint", e))?
            .set_pkce_verifier(PkceCodeVerifier::new(redemption.pkce_verifier.expose().clone()))
            .request_async(&http)
            .await
            .map_err(|e| ProviderError::Rejected(format!("the token request: {}", describe(&e))))?;
        let id_token = openidconnect::TokenResponse::id_token(&response)
            .ok_or_else(|| ProviderError::Rejected("the token response holds no ID token".into()))?;
        let now = chrono_time(redemption.now);
        let verifier = client.id_token_verifier().set_time_fn(move || now);
        let claims = id_token
            .claims(&verifier, &Nonce::new(redemption.nonce.clone()))
            .map_err(|e| ProviderError::Rejected(format!("the ID token: {}", describe(&e))))?;
        Ok(VerifiedIdentity {
            issuer: claims.issuer().as_str().to_owned(),
            subject: claims.subject().as_str().to_owned(),
            email: claims.email().map(|e| e.as_str().to_owned()),
            email_verified: claims.email_verified().unwrap_or(false),
            name: claims.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_owned()),
            groups: self.groups(&id_token.to_string()),
        })
    }
}
