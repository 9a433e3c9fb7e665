// What tests/e2e/openid_client_*.mjs share: panva's openid-client from .tools (installed by
// `make tools`), and the sign-in: the authorization URL printed, the URL the browser was sent
// back to read (one line on stdin), the code exchanged, or {"error"} printed when the library
// met an error response.
import { createRequire } from "node:module";
import { createInterface } from "node:readline";

const require = createRequire(import.meta.url);
export const client = await import(
  require.resolve("openid-client", { paths: [new URL("../../.tools/", import.meta.url).pathname] })
);

// Prints {"authorization_url"}, waits for where the browser was sent back, and exchanges its
// code with the request's PKCE verifier, state and nonce checked.
export async function signIn(config, url, { codeVerifier, state, nonce }) {
  console.log(JSON.stringify({ authorization_url: url.href }));
  const lines = createInterface({ input: process.stdin });
  const line = await new Promise((resolve) => lines.once("line", resolve));
  lines.close();
  const checks = {
    pkceCodeVerifier: codeVerifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  };
  try {
    return await client.authorizationCodeGrant(config, new URL(line), checks);
  } catch (err) {
    if (err instanceof client.AuthorizationResponseError) {
      // the library checked the answer's state and iss before reading its error
      console.log(JSON.stringify({ error: err.error }));
      process.exit(0);
    }
    throw err;
  }
}
