// An app that nobody here wrote signs in to firegate, then signs the person out, and receives
// firegate's back-channel logout token: panva's openid-client (npm, a certified relying party,
// installed into .tools by `make tools`) runs the authorization code flow with PKCE, a state
// and a nonce, validates the ID token, builds the RP-initiated logout URL; its back-channel
// endpoint (a node:http server) verifies the logout token with jose (openid-client's own JOSE
// library) against firegate's JWKS and issuer, as Back-Channel Logout 1.0 §2.6 asks. Used by
// tests/e2e/test_openid_client_logout_gunicorn.py:
//
//   node openid_client_logout.mjs ISSUER CLIENT_ID CLIENT_SECRET REDIRECT_URI LOGOUT_REDIRECT BACKCHANNEL_PORT
//
// prints {"authorization_url"} as one line of JSON and reads the URL the browser was sent back
// to; prints {"end_session_url"} and reads where the browser was sent back to after it; then
// prints one line of JSON: the ID token's claims, the logout token's header and claims as
// verified, and the post-logout redirect's state check.
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";

const require = createRequire(import.meta.url);
const tools = { paths: [new URL("../../.tools/", import.meta.url).pathname] };
const client = await import(require.resolve("openid-client", tools));
const jose = await import(require.resolve("jose", tools));

const [issuer, clientId, secret, redirectUri, logoutRedirect, port] = process.argv.slice(2);
const LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout";

const config = await client.discovery(new URL(issuer), clientId, secret, undefined, {
  execute: [client.allowInsecureRequests], // the tests' gunicorn is plain http
});
const metadata = config.serverMetadata();
const jwks = jose.createRemoteJWKSet(new URL(metadata.jwks_uri));

// The back-channel endpoint: one logout token, verified, then answered 200 (§2.8).
const received = new Promise((resolve, reject) => {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", async () => {
      try {
        const form = new URLSearchParams(body);
        const { payload, protectedHeader } = await jose.jwtVerify(form.get("logout_token"), jwks, {
          issuer: metadata.issuer,
          audience: clientId,
          typ: "logout+jwt",
          algorithms: metadata.id_token_signing_alg_values_supported,
          requiredClaims: ["iat", "jti", "events"],
        });
        const events = payload.events ?? {};
        if (Object.keys(events).length !== 1 || typeof events[LOGOUT_EVENT] !== "object") {
          throw new Error("events is not the back-channel logout event alone");
        }
        if ("nonce" in payload) throw new Error("a logout token has no nonce");
        res.writeHead(200, { "Cache-Control": "no-store" }).end();
        server.close();
        resolve({ header: protectedHeader, claims: payload, content_type: req.headers["content-type"], params: [...form.keys()] });
      } catch (err) {
        res.writeHead(400).end();
        server.close();
        reject(err);
      }
    });
  });
  server.listen(Number(port), "127.0.0.1");
  setTimeout(() => reject(new Error("no logout token came")), 30000).unref();
});

const lines = createInterface({ input: process.stdin });
const nextLine = () => new Promise((resolve) => lines.once("line", resolve));

const codeVerifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const nonce = client.randomNonce();
const url = client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri,
  scope: "openid",
  code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
  code_challenge_method: "S256",
  state,
  nonce,
});
console.log(JSON.stringify({ authorization_url: url.href }));
const tokens = await client.authorizationCodeGrant(config, new URL(await nextLine()), {
  pkceCodeVerifier: codeVerifier,
  expectedState: state,
  expectedNonce: nonce,
  idTokenExpected: true,
});
const idTokenClaims = tokens.claims();

const logoutState = client.randomState();
const endSession = client.buildEndSessionUrl(config, {
  id_token_hint: tokens.id_token,
  post_logout_redirect_uri: logoutRedirect,
  state: logoutState,
});
console.log(JSON.stringify({ end_session_url: endSession.href }));
const back = new URL(await nextLine());
lines.close();
const logout = await received;
console.log(
  JSON.stringify({
    id_token_claims: idTokenClaims,
    logout_header: logout.header,
    logout_claims: logout.claims,
    content_type: logout.content_type,
    params: logout.params,
    post_logout_redirect: back.origin + back.pathname,
    state_kept: back.searchParams.get("state") === logoutState,
  }),
);
