// An app that nobody here wrote pushes its authorization request and authenticates with a
// key instead of a secret: panva's openid-client (npm, a certified relying party, installed
// into .tools by `make tools`) runs the code flow with PAR (RFC 9126), PKCE, a state and a
// nonce, as a client with private_key_jwt (RFC 7523), then validates the ID token, reads
// userinfo, introspects and revokes its access token, each with an assertion it signed.
// Used by tests/e2e/test_oauth_par_openid_client_gunicorn.py:
//
//   node openid_client_par.mjs ISSUER CLIENT_ID PRIVATE_JWK_JSON REDIRECT_URI
//
// prints {"authorization_url"} as one line of JSON, reads the URL the browser was sent back
// to (one line on stdin), and prints one line of JSON: what the library found, or {"error"}.
import { client, signIn } from "./openid_client_common.mjs";

const [issuer, clientId, privateJwk, redirectUri] = process.argv.slice(2);
const jwk = JSON.parse(privateJwk);
const key = await crypto.subtle.importKey(
  "jwk",
  jwk,
  { name: "ECDSA", namedCurve: "P-256" },
  false,
  ["sign"],
);
const config = await client.discovery(
  new URL(issuer),
  clientId,
  undefined,
  client.PrivateKeyJwt({ key, kid: jwk.kid }),
  { execute: [client.allowInsecureRequests] }, // the tests' gunicorn is plain http
);

const codeVerifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const nonce = client.randomNonce();
const url = await client.buildAuthorizationUrlWithPAR(config, {
  redirect_uri: redirectUri,
  scope: "openid profile",
  code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
  code_challenge_method: "S256",
  state,
  nonce,
});
const tokens = await signIn(config, url, { codeVerifier, state, nonce });
const claims = tokens.claims();
const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
const introspected = await client.tokenIntrospection(config, tokens.access_token);
await client.tokenRevocation(config, tokens.access_token);
const afterRevocation = await client.tokenIntrospection(config, tokens.access_token);
console.log(
  JSON.stringify({
    token_type: tokens.token_type,
    id_token_claims: claims,
    userinfo,
    introspected,
    after_revocation: afterRevocation,
  }),
);
