//! The `[oidc]` section of the configuration: single sign-on through one
//! OpenID Connect provider (issue 12, item 2). Each key can also be set as
//! `EMBARGO_OIDC_<KEY>`; the client secret only from a file or
//! `EMBARGO_OIDC_CLIENT_SECRET`, never on the command line.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, bail};
use embargo_app::TeamRef;
use embargo_app::sso::SsoSettings;
use embargo_core::private::Private;
use embargo_core::text::OrgOrProject;
use embargo_outbound::oidc::OidcProvider;
use serde::{Deserialize, Serialize};

/// `[oidc]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OidcSettings {
    /// The provider's issuer URL; single sign-on is off without it.
    pub issuer: Option<String>,
    /// The client id registered at the provider.
    pub client_id: Option<String>,
    /// A file holding the client secret (or set EMBARGO_OIDC_CLIENT_SECRET).
    pub client_secret_file: Option<PathBuf>,
    /// The scopes asked for (`openid` is always asked for).
    pub scopes: Vec<String>,
    /// The provider's name on the sign-in page.
    pub display_name: String,
    /// Whether a first sign-in without an account makes one.
    pub create_accounts: bool,
    /// The ID token claim listing the person's groups.
    pub group_claim: Option<String>,
    /// Provider group → `ORG` or `ORG/PROJECT` whose security team its members join.
    pub groups: BTreeMap<String, String>,
}

impl Default for OidcSettings {
    fn default() -> Self {
        OidcSettings {
            issuer: None,
            client_id: None,
            client_secret_file: None,
            scopes: vec!["openid".into(), "email".into(), "profile".into()],
            display_name: "single sign-on".into(),
            create_accounts: true,
            group_claim: None,
            groups: BTreeMap::new(),
        }
    }
}

/// The `[oidc]` keys that `EMBARGO_OIDC_<KEY>` may set.
pub const ENV_KEYS: [&str; 7] =
    ["issuer", "client_id", "client_secret_file", "scopes", "display_name", "create_accounts", "group_claim"];

/// The commented `[oidc]` section `embargo init` writes.
pub const TEMPLATE: &str = r#"
# Single sign-on through your OpenID Connect provider (authorization code
# flow with PKCE; discovery from the issuer). Off until issuer is set. The
# sign-in page then shows "Sign in with <display_name>". Register this
# redirect URI at the provider: <public_url>/login/sso/callback
# Each key can also be set as EMBARGO_OIDC_<KEY> (EMBARGO_OIDC_ISSUER, ...).
# [oidc]
# issuer = "https://id.example.org/realms/main"
# client_id = "embargo"
# The client secret lives in a file (or EMBARGO_OIDC_CLIENT_SECRET), never here.
# client_secret_file = "/etc/embargo/oidc-client-secret"
# scopes = ["openid", "email", "profile"]
# display_name = "single sign-on"
# A first sign-in makes an account when none has the address. An existing
# account is linked only when the provider says the address is verified
# (email_verified); otherwise the sign-in is refused with a message.
# create_accounts = true
# A second factor that the instance or an organisation requires is asked for
# after the provider, as after a password; the provider's amr/acr do not count.
#
# Optional: the ID token claim listing the person's groups, and which
# security team each group joins (ORG or ORG/PROJECT). Memberships a group
# gave are taken back when the person leaves it; no group makes an admin.
# group_claim = "groups"
# [oidc.groups]
# "security-team" = "pallets"
# "flask-maintainers" = "pallets/flask"
"#;

/// What single sign-on needs, checked.
#[derive(Debug)]
pub struct Wired {
    /// The protocol side.
    pub provider: OidcProvider,
    /// What Embargo does with it.
    pub settings: SsoSettings,
}

impl OidcSettings {
    /// Checks the section; answers the wiring when single sign-on is set up.
    pub fn wire(&self, public_url: &str, allow_private: bool) -> anyhow::Result<Option<Wired>> {
        let Some(issuer) = &self.issuer else {
            if self.client_id.is_some() || !self.groups.is_empty() {
                bail!("setting oidc.issuer: needed when other oidc settings are given");
            }
            return Ok(None);
        };
        if !(issuer.starts_with("https://") || issuer.starts_with("http://")) {
            bail!("setting oidc.issuer: {issuer:?} must be an http(s) URL");
        }
        if issuer.starts_with("http://") && !allow_private {
            bail!("setting oidc.issuer: {issuer:?} must use https (http only with outbound_allow_private)");
        }
        let Some(client_id) = self.client_id.clone().filter(|c| !c.trim().is_empty()) else {
            bail!("setting oidc.client_id: needed when oidc.issuer is set");
        };
        let secret = match (std::env::var("EMBARGO_OIDC_CLIENT_SECRET").ok(), &self.client_secret_file) {
            (Some(secret), _) => secret,
            (None, Some(path)) => std::fs::read_to_string(path)
                .with_context(|| format!("setting oidc.client_secret_file: cannot read {}", path.display()))?,
            (None, None) => {
                bail!("setting oidc.client_secret_file: needed when oidc.issuer is set (or EMBARGO_OIDC_CLIENT_SECRET)")
            }
        };
        let secret = secret.trim().to_owned();
        if secret.is_empty() {
            bail!("setting oidc.client_secret_file: the client secret is empty");
        }
        let display_name = self.display_name.trim();
        if display_name.is_empty() || display_name.chars().count() > 60 || display_name.chars().any(char::is_control) {
            bail!("setting oidc.display_name: one line of 1 to 60 characters");
        }
        if self.scopes.iter().any(|s| s.is_empty() || s.contains(char::is_whitespace)) {
            bail!("setting oidc.scopes: each scope is one word, such as \"email\"");
        }
        let mut groups = Vec::new();
        for (group, team) in &self.groups {
            let target: OrgOrProject = team
                .parse()
                .map_err(|_| anyhow::anyhow!("setting oidc.groups.{group}: {team:?} is not ORG or ORG/PROJECT"))?;
            groups.push((group.clone(), TeamRef::from(target)));
        }
        if !groups.is_empty() && self.group_claim.is_none() {
            bail!("setting oidc.group_claim: needed when oidc.groups is given");
        }
        let provider = OidcProvider {
            http: embargo_outbound::HttpClient::new(allow_private),
            issuer: issuer.clone(),
            client_id,
            client_secret: Private::new(secret),
            redirect_uri: format!("{public_url}/login/sso/callback"),
            scopes: self.scopes.clone(),
            group_claim: self.group_claim.clone(),
        };
        let settings =
            SsoSettings { display_name: display_name.to_owned(), create_accounts: self.create_accounts, groups };
        Ok(Some(Wired { provider, settings }))
    }
}
