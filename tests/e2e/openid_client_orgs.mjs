// An app that nobody here wrote signs in to firegate with scope `organization`: panva's
// openid-client (npm, a certified relying party, installed into .tools by `make tools`) runs
// the authorization code flow with PKCE, a state and a nonce, naming the org in the request
// (`organization=<slug>`), then validates the ID token and reads userinfo as its own code
// does. Used by tests/e2e/test_oauth_organization_gunicorn.py:
//
//   node openid_client_orgs.mjs ISSUER CLIENT_ID CLIENT_SECRET|- REDIRECT_URI ORGANIZATION
//
// prints {"authorization_url"} as one line of JSON, reads the URL the browser was sent back
// to (one line on stdin), and prints one line of JSON: the tokens, the ID token's validated
// claims and userinfo, or {"error"} when the library met an error response.
import { client, signIn } from "./openid_client_common.mjs";

const [issuer, clientId, secret, redirectUri, organization] = process.argv.slice(2);
const confidential = secret !== "-";
const config = await client.discovery(
  new URL(issuer),
  clientId,
  confidential ? secret : undefined, // a string is the client's secret (client_secret_post)
  confidential ? undefined : client.None(),
  { execute: [client.allowInsecureRequests] }, // the tests' gunicorn is plain http
);

const codeVerifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const nonce = client.randomNonce();
const url = client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri,
  scope: "openid organization",
  code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
  code_challenge_method: "S256",
  state,
  nonce,
  organization,
});
const tokens = await signIn(config, url, { codeVerifier, state, nonce });
const claims = tokens.claims();
const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
console.log(
  JSON.stringify({
    token_type: tokens.token_type,
    scope: tokens.scope,
    access_token: tokens.access_token,
    id_token_claims: claims,
    userinfo,
  }),
);
