// A real OpenID Provider for the single sign-on tests: the certified
// `oidc-provider` package (installed by .ci/run into
// ~/.local/share/oidc-provider), on a loopback port, with its development
// interactions (a login form that takes any name, then a consent form).
//
// Usage: node oidc_provider.mjs CLIENT_ID CLIENT_SECRET REDIRECT_URI [GROUPS_FILE]
// Prints the port on its first line, then serves until killed.
// Accounts are named by the login typed: `alice` has a verified address
// alice@idp.test and the group `flask-security`; a login starting with
// `unverified-` has an unverified address; `nomail` has none. GROUPS_FILE,
// when given and readable, is JSON {login: [group, ...]} read at each
// sign-in, overriding those groups (so a test can change them).

import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';

const root = process.env.OIDC_PROVIDER_DIR
  || join(homedir(), '.local/share/oidc-provider/node_modules/oidc-provider');
const { default: Provider } = await import(join(root, 'lib/index.js'));

const [clientId, clientSecret, redirectUri, groupsFile] = process.argv.slice(2);

function groupsOf(login) {
  try {
    const groups = JSON.parse(readFileSync(groupsFile, 'utf8'));
    if (Array.isArray(groups[login])) return groups[login];
  } catch { /* no file: the defaults */ }
  return ['flask-security', 'unrelated'];
}

function claimsOf(login) {
  const claims = { sub: `sub-${login}` };
  if (login === 'nomail') return claims;
  if (login.startsWith('unverified-')) {
    claims.email = `${login.slice('unverified-'.length)}@idp.test`;
    claims.email_verified = false;
  } else {
    claims.email = `${login}@idp.test`;
    claims.email_verified = true;
  }
  claims.name = `Person ${login}`;
  claims.groups = groupsOf(login);
  return claims;
}

const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => claimsOf(id),
  }),
  cookies: { keys: ['embargo-test-only-cookie-key'] },
});
// Plain HTTP on loopback: the provider must not insist on https.
provider.proxy = false;
server.on('request', provider.callback());
process.stdout.write(`${port}\n`);
