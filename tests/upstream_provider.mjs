// A generic upstream OpenID provider for the tests of "Continue with …"
// (tests/e2e/test_upstream_browser.py): panva's oidc-provider (OpenID Certified), installed into
// .tools by `make tools` (scripts/emulators.py), with its development login and consent pages.
//
//   OIDC_PROVIDER=.tools/node_modules/oidc-provider/lib/index.js PORT=4000 \
//   REDIRECT_URI=http://127.0.0.1:8000/sign-in/with/oidc/callback node tests/upstream_provider.mjs
//
// Any login signs in (its password is not checked): the account's address is
// {login}@example.com, verified unless the login starts with "unverified". The address and
// name are scope claims, which oidc-provider puts in userinfo, not in the ID token: firegate
// reads them there.
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
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          email: `${id}@example.com`,
          email_verified: !id.startsWith('unverified'),
          name: `Upstream ${id}`,
        };
      },
    };
  },
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => true },
});
provider.proxy = false;
provider.listen(port, '127.0.0.1', () => console.log(`listening on ${issuer}`));
