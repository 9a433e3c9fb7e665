// A generic OpenID provider for the tests: panva's oidc-provider (OpenID Certified), installed
// into .tools by `make tools` (scripts/emulators.py), with its development login and consent
// pages; served by tests/support/oidc_provider.py as an upstream provider
// (tests/e2e/test_upstream_browser.py) and as an org's OpenID connection
// (tests/e2e/test_sso_oidc_browser.py).
//
//   OIDC_PROVIDER=.tools/node_modules/oidc-provider/lib/index.js PORT=4000 \
//   REDIRECT_URI=http://127.0.0.1:8000/sign-in/with/oidc/callback node tests/upstream_provider.mjs
//
// Any login signs in (its password is not checked): the account's address is the login when
// it has an "@", else {login}@example.com, verified unless the login starts with
// "unverified". Its given name is Ada, its family name the address's local part; its groups
// (scope "groups") are IT and Staff for a login starting "it.", else Staff. The address,
// names and groups are scope claims, which oidc-provider puts in userinfo, not in the ID
// token: firegate reads them there.
import { pathToFileURL } from 'node:url';

const { default: Provider } = await import(pathToFileURL(process.env.OIDC_PROVIDER).href);
const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: process.env.CLIENT_ID || 'firegate',
      client_secret: process.env.CLIENT_SECRET || 'firegate-secret',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [process.env.REDIRECT_URI],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name'],
    groups: ['groups'],
  },
  async findAccount(ctx, id) {
    const email = id.includes('@') ? id : `${id}@example.com`;
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          email,
          email_verified: !id.startsWith('unverified'),
          name: `Upstream ${id}`,
          given_name: 'Ada',
          family_name: email.split('@')[0],
          groups: id.startsWith('it.') ? ['IT', 'Staff'] : ['Staff'],
        };
      },
    };
  },
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => true },
});
provider.proxy = false;
provider.listen(port, '127.0.0.1', () => console.log(`listening on ${issuer}`));
