// A public client that nobody here wrote signs in to firegate with DPoP (RFC 9449): panva's
// oauth4webapi (npm, installed into .tools by `make tools`) exchanges a code with a DPoP
// proof, refreshes with one, and calls userinfo with the bound access token and a proof of
// its key, answering each use_dpop_nonce as the library expects. Used by
// tests/e2e/test_oauth_dpop.py: node dpop_client.mjs ISSUER CLIENT_ID REDIRECT_URI CALLBACK_URL
// CODE_VERIFIER; prints one line of JSON.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const oauth = await import(
  require.resolve("oauth4webapi", { paths: [new URL("../../.tools/", import.meta.url).pathname] })
);

const [issuerUrl, clientId, redirectUri, callbackUrl, codeVerifier] = process.argv.slice(2);
const insecure = { [oauth.allowInsecureRequests]: true }; // the tests' gunicorn is plain http
const issuer = new URL(issuerUrl);
const as = await oauth.processDiscoveryResponse(
  issuer,
  await oauth.discoveryRequest(issuer, insecure),
);
const client = { client_id: clientId };
const clientAuth = oauth.None();
const keyPair = await oauth.generateKeyPair("ES256");
const DPoP = oauth.DPoP(client, keyPair);
let nonceRetries = 0;

// The library's way: a use_dpop_nonce refusal is sent again once, with the nonce the
// DPoP handle took from the answer's DPoP-Nonce header.
async function withNonce(request) {
  try {
    return await request();
  } catch (err) {
    if (oauth.isDPoPNonceError(err)) {
      nonceRetries += 1;
      return await request();
    }
    throw err;
  }
}

const params = oauth.validateAuthResponse(as, client, new URL(callbackUrl), oauth.expectNoState);
const tokens = await withNonce(async () =>
  oauth.processAuthorizationCodeResponse(
    as,
    client,
    await oauth.authorizationCodeGrantRequest(
      as,
      client,
      clientAuth,
      params,
      redirectUri,
      codeVerifier,
      { DPoP, ...insecure },
    ),
  ),
);
const refreshed = await withNonce(async () =>
  oauth.processRefreshTokenResponse(
    as,
    client,
    await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token, {
      DPoP,
      ...insecure,
    }),
  ),
);
const claims = oauth.getValidatedIdTokenClaims(tokens);
const userinfo = await withNonce(async () =>
  oauth.processUserInfoResponse(
    as,
    client,
    claims.sub,
    await oauth.userInfoRequest(as, client, refreshed.access_token, { DPoP, ...insecure }),
  ),
);
const publicJwk = await crypto.subtle.exportKey("jwk", keyPair.publicKey);
console.log(
  JSON.stringify({
    token_type: tokens.token_type,
    refreshed_token_type: refreshed.token_type,
    access_token: refreshed.access_token,
    refresh_token: refreshed.refresh_token,
    sub: userinfo.sub,
    id_token_sub: claims.sub,
    jwk: { kty: publicJwk.kty, crv: publicJwk.crv, x: publicJwk.x, y: publicJwk.y },
    nonce_retries: nonceRetries,
  }),
);
