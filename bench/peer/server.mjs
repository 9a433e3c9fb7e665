// The peer of bench/oidc.py: panva's oidc-provider, configured for the same grants as
// firegate's provider (code + PKCE S256, rotated refresh tokens, client credentials, JWT
// access tokens for a resource, introspection), on one Node.js process (one core).
//
//   PORT=47300 node bench/peer/server.mjs
//
// Its storage is in memory (MemoryStore below): no database round trip, which firegate (on
// Firestore) cannot skip. /__bench/codes?n=N mints N authorization codes as a finished
// sign-in and consent would (the bench times only the token endpoint), for the PKCE verifier
// in VERIFIER below (?resource=opaque: codes for the resource whose access tokens are opaque).
import { createHash, generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT || 47300);
const issuer = `http://127.0.0.1:${port}`;
const REDIRECT = 'http://127.0.0.1:9/callback';
const RESOURCE = 'https://api.bench.example';
// A second resource server whose access tokens are opaque: oidc-provider refuses to introspect
// its JWT access tokens (unsupported_token_type), so the bench introspects one of these.
const OPAQUE_RESOURCE = 'https://opaque.bench.example';
const VERIFIER = 'bench-verifier-0123456789-0123456789-0123456789-abc';
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'ES256', use: 'sig' };

// The library's own memory adapter is an LRU of 1,000 entries, fewer than a run's codes: the
// same in-memory storage without eviction.
const store = new Map();
const grants = new Map();
class MemoryStore {
  constructor(name) { this.name = name; }

  key(id) { return `${this.name}:${id}`; }

  async upsert(id, payload) {
    store.set(this.key(id), payload);
    if (payload.grantId) {
      const ids = grants.get(payload.grantId) || [];
      ids.push(this.key(id));
      grants.set(payload.grantId, ids);
    }
  }

  async find(id) { return store.get(this.key(id)); }

  async findByUid(uid) {
    for (const payload of store.values()) if (payload.uid === uid) return payload;
    return undefined;
  }

  async findByUserCode(userCode) {
    for (const payload of store.values()) if (payload.userCode === userCode) return payload;
    return undefined;
  }

  async consume(id) {
    const payload = store.get(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) { store.delete(this.key(id)); }

  async revokeByGrantId(grantId) {
    for (const key of grants.get(grantId) || []) store.delete(key);
    grants.delete(grantId);
  }
}

const provider = new Provider(issuer, {
  adapter: MemoryStore,
  clients: [
    {
      client_id: 'bench',
      client_secret: 'bench-secret-0123456789abcdef0123456789abcdef',
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'],
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    },
  ],
  jwks: { keys: [jwk] },
  scopes: ['openid', 'offline_access', 'api'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resourceIndicator) => (
        resourceIndicator === OPAQUE_RESOURCE
          ? { scope: 'api', audience: OPAQUE_RESOURCE, accessTokenFormat: 'opaque' }
          : {
            scope: 'api',
            audience: RESOURCE,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          }
      ),
    },
  },
  pkce: { required: () => true },
  issueRefreshToken: async () => true,
  rotateRefreshToken: true,
  findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  ttl: {
    AccessToken: 600,
    AuthorizationCode: 600,
    ClientCredentials: 600,
    Grant: 86400,
    IdToken: 600,
    RefreshToken: 86400,
    Session: 86400,
    Interaction: 600,
  },
});

provider.use(async (ctx, next) => {
  if (ctx.path !== '/__bench/codes') return next();
  const n = Math.min(Number(ctx.query.n || 1), 10000);
  const resource = ctx.query.resource === 'opaque' ? OPAQUE_RESOURCE : RESOURCE;
  const client = await provider.Client.find('bench');
  const codes = [];
  for (let i = 0; i < n; i += 1) {
    const accountId = `user-${i % 16}`;
    const grant = new provider.Grant({ accountId, clientId: 'bench' });
    grant.addOIDCScope('openid offline_access');
    grant.addResourceScope(resource, 'api');
    const grantId = await grant.save();
    const code = new provider.AuthorizationCode({
      accountId,
      grantId,
      client,
      scope: 'openid offline_access api',
      resource,
      redirectUri: REDIRECT,
      codeChallenge: CHALLENGE,
      codeChallengeMethod: 'S256',
      authTime: Math.floor(Date.now() / 1000),
      expiresIn: 600,
    });
    codes.push(await code.save());
  }
  ctx.body = { codes, redirect_uri: REDIRECT, code_verifier: VERIFIER, resource: RESOURCE };
});

provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`oidc-provider peer on ${issuer}\n`);
});
