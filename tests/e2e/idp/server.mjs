// A real OAuth 2.0 / OpenID Connect authorization server (oidc-provider 9) on 127.0.0.1, for
// oauthctl's end-to-end tests (tests/it/e2e.rs). See README.md in this directory.
//
// Contract with the test harness:
// - listens on an ephemeral loopback port and prints exactly one line on stdout when ready:
//   {"issuer":"http://127.0.0.1:PORT"}; everything else (oidc-provider notices included) goes
//   to stderr;
// - exits when its stdin closes (so it dies with the test process that spawned it) and on
//   SIGTERM / SIGINT.
//
// Test-only routes, handled before the provider (never expose this server beyond loopback):
// - GET /test/authorize?client_id=…&redirect_uri=…&scope=…[&code_challenge=…&code_challenge_method=S256][&state=…]
//   drives the real authorization code flow against this provider over loopback HTTP, logs in
//   the fixed account `test-user`, grants what was asked, and answers {"code":"…"}. An error
//   redirect from the provider is answered 400 {"error":…,"error_description":…}.
// - GET /test/token-info?token=… says what the provider knows of a token it issued: a JWT is
//   verified against the provider's own keys ({"format":"jwt","header":…,"payload":…}); an opaque
//   access or refresh token is looked up ({"format":"opaque","kind":…,"clientId":…,…}).
//   404 {"error":"unknown_token"} otherwise.

import * as crypto from 'node:crypto';
import * as http from 'node:http';

import * as jose from 'jose';
import Provider, { errors } from 'oidc-provider';

// oidc-provider prints its notices with console.info, i.e. on stdout: keep stdout for the
// one ready line.
console.log = console.error;
console.info = console.error;

const ACCOUNT_ID = 'test-user';

// RFC 6749 §2.3.1: secrets with characters that Basic credentials must form-urlencode.
const CLIENTS = [
  {
    client_id: 'cc-basic',
    client_secret: 'cc-basic secret+/=&%:x',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'api:read api:write',
  },
  {
    client_id: 'cc-post',
    client_secret: 'cc-post secret+/=&%:x',
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'api:read api:write',
  },
  {
    client_id: 'web',
    client_secret: 'web-secret',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['http://127.0.0.1:8765/callback'],
    scope: 'openid offline_access api:read',
  },
  {
    client_id: 'public-app',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['http://127.0.0.1:8766/callback'],
    scope: 'openid offline_access api:read',
  },
];

// Resource indicators (RFC 8707) this server knows, and how their JWT access tokens are signed.
const RESOURCE_SERVERS = {
  'urn:api:rs256': 'RS256',
  'urn:api:es256': 'ES256',
};

async function signingKey(alg, kid, options = {}) {
  const { privateKey } = await jose.generateKeyPair(alg, { extractable: true, ...options });
  const jwk = await jose.exportJWK(privateKey);
  return { ...jwk, alg, kid, use: 'sig' };
}

function publicJwk({ d, p, q, dp, dq, qi, ...pub }) {
  return pub;
}

function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

// A minimal cookie jar for the loopback walk through the flow: name → { value, path }.
class CookieJar {
  #cookies = new Map();

  store(response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = '/';
      let expired = value === '';
      for (const attribute of attributes) {
        const [key, ...rest] = attribute.split('=');
        const attributeValue = rest.join('=').trim();
        switch (key.trim().toLowerCase()) {
          case 'path':
            path = attributeValue || '/';
            break;
          case 'expires':
            expired ||= Date.parse(attributeValue) <= Date.now();
            break;
          case 'max-age':
            expired ||= Number(attributeValue) <= 0;
            break;
          default:
        }
      }
      const key = `${name};${path}`;
      if (expired) {
        this.#cookies.delete(key);
      } else {
        this.#cookies.set(key, { name, value, path });
      }
    }
  }

  header(url) {
    const { pathname } = new URL(url);
    const matches = [...this.#cookies.values()].filter(({ path }) => (
      pathname === path || pathname.startsWith(path.endsWith('/') ? path : `${path}/`)
    ));
    return matches.map(({ name, value }) => `${name}=${value}`).join('; ');
  }
}

// Walks GET /auth → /interaction/:uid (login) → /auth/:uid → /interaction/:uid (consent) →
// /auth/:uid → redirect_uri?code=…, as a browser would, and returns the final redirect's query.
async function authorize(issuer, query) {
  const params = new URLSearchParams(query);
  if (!params.has('response_type')) params.set('response_type', 'code');
  // OpenID Connect Core §11: offline_access is ignored unless the request has prompt=consent.
  if (!params.has('prompt') && params.get('scope')?.split(' ').includes('offline_access')) {
    params.set('prompt', 'consent');
  }
  const redirectUri = params.get('redirect_uri');
  if (!redirectUri) throw new Error('redirect_uri is required');

  const jar = new CookieJar();
  let url = `${issuer}/auth?${params}`;
  for (let hop = 0; hop < 10; hop += 1) {
    const cookie = jar.header(url);
    const response = await fetch(url, {
      redirect: 'manual',
      headers: cookie ? { cookie } : {},
    });
    jar.store(response);
    const location = response.headers.get('location');
    if (response.status < 300 || response.status > 399 || !location) {
      const body = await response.text();
      throw new Error(`GET ${url} answered ${response.status} without a redirect: ${body.slice(0, 500)}`);
    }
    await response.arrayBuffer().catch(() => {});
    const next = new URL(location, url);
    if (`${next.origin}${next.pathname}` === redirectUri) {
      return next.searchParams;
    }
    url = next.href;
  }
  throw new Error('too many redirects in the authorization flow');
}

// The interaction "UI": no browser, no forms. Logs in the fixed account, then grants exactly
// what the consent prompt says is missing (the pattern of oidc-provider's example/routes).
async function interact(provider, req, res) {
  const details = await provider.interactionDetails(req, res);
  const { prompt: { name, details: missing }, params } = details;
  switch (name) {
    case 'login':
      return provider.interactionFinished(req, res, {
        login: { accountId: ACCOUNT_ID },
      }, { mergeWithLastSubmission: false });
    case 'consent': {
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes || {})) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
      const grantId = await grant.save();
      const consent = details.grantId ? {} : { grantId };
      return provider.interactionFinished(req, res, { consent }, { mergeWithLastSubmission: true });
    }
    default:
      throw new Error(`unexpected prompt ${name}`);
  }
}

const REGISTERED_AUTH_METHOD = new Map(
  CLIENTS.map((c) => [c.client_id, c.token_endpoint_auth_method]),
);

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

// oidc-provider accepts client_secret_basic and client_secret_post interchangeably for a client
// registered with either. This server is stricter, so that an e2e test fails when oauthctl
// authenticates some other way than the client's registered token_endpoint_auth_method. The
// request body is read here and handed on as req.body, which oidc-provider then uses.
function authMethodMismatch(req, body) {
  const form = new URLSearchParams(body.toString('utf8'));
  const authorization = req.headers.authorization;
  let used;
  let clientId;
  if (authorization?.toLowerCase().startsWith('basic ')) {
    used = 'client_secret_basic';
    const basic = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    try {
      clientId = decodeURIComponent(basic.slice(0, basic.indexOf(':')).replace(/\+/g, '%20'));
    } catch {
      return undefined; // malformed: oidc-provider itself answers that
    }
  } else if (form.has('client_secret')) {
    used = 'client_secret_post';
    clientId = form.get('client_id');
  } else {
    used = 'none';
    clientId = form.get('client_id');
  }
  const registered = REGISTERED_AUTH_METHOD.get(clientId);
  if (registered && registered !== used) {
    return `client ${clientId} is registered for ${registered}, but authenticated with ${used}`;
  }
  return undefined;
}

async function tokenInfo(provider, jwks, issuer, token) {
  if (typeof token !== 'string' || !token) return undefined;
  if (token.split('.').length === 3) {
    try {
      const { payload, protectedHeader } = await jose.jwtVerify(token, jwks, { issuer });
      return { format: 'jwt', header: protectedHeader, payload };
    } catch (err) {
      return { format: 'jwt', invalid: `${err.code || err.name}: ${err.message}` };
    }
  }
  for (const kind of ['ClientCredentials', 'AccessToken', 'RefreshToken', 'AuthorizationCode']) {
    // eslint-disable-next-line no-await-in-loop
    const found = await provider[kind].find(token);
    if (found) {
      return {
        format: 'opaque',
        kind,
        clientId: found.clientId,
        accountId: found.accountId,
        scope: found.scope,
        aud: found.aud,
      };
    }
  }
  return undefined;
}

async function main() {
  const server = http.createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;

  const keys = [
    await signingKey('RS256', 'rs256-1', { modulusLength: 2048 }),
    await signingKey('ES256', 'es256-1'),
  ];
  const publicKeys = jose.createLocalJWKSet({ keys: keys.map(publicJwk) });

  const provider = new Provider(issuer, {
    clients: CLIENTS,
    jwks: { keys },
    // Every scope the clients use is known here, so a scope a client may not have is refused
    // with invalid_scope rather than silently dropped.
    scopes: ['openid', 'offline_access', 'api:read', 'api:write', 'api:admin'],
    claims: { openid: ['sub'] },
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    async findAccount(_ctx, sub) {
      return { accountId: sub, async claims() { return { sub }; } };
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // No resource asked for: an opaque token, no resource server.
        defaultResource: async (_ctx, _client, oneOf) => oneOf,
        useGrantedResource: async () => true,
        async getResourceServerInfo(_ctx, resourceIndicator) {
          const alg = RESOURCE_SERVERS[resourceIndicator];
          if (!alg) throw new errors.InvalidTarget();
          return {
            scope: 'api:read api:write',
            audience: resourceIndicator,
            accessTokenTTL: 300,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg } },
          };
        },
      },
    },
    // PKCE only for public clients; a confidential client may still use it.
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    // `web` always gets a refresh token; others when they asked for offline_access.
    issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token')
      && (client.clientId === 'web' || code.scopes.has('offline_access')),
    ttl: {
      AccessToken: 300,
      AuthorizationCode: 60,
      ClientCredentials: 300,
      IdToken: 300,
      RefreshToken: 3600,
      Interaction: 300,
      Session: 3600,
      Grant: 3600,
    },
    renderError(ctx, out) {
      ctx.type = 'json';
      ctx.body = out;
    },
  });
  const callback = provider.callback();

  server.on('request', async (req, res) => {
    const url = new URL(req.url, issuer);
    try {
      if (req.method === 'GET' && url.pathname === '/test/authorize') {
        const result = await authorize(issuer, url.searchParams);
        if (result.has('code')) {
          return sendJson(res, 200, { code: result.get('code') });
        }
        return sendJson(res, 400, {
          error: result.get('error') || 'no_code',
          error_description: result.get('error_description') || undefined,
        });
      }
      if (req.method === 'GET' && url.pathname === '/test/token-info') {
        const info = await tokenInfo(provider, publicKeys, issuer, url.searchParams.get('token'));
        return info ? sendJson(res, 200, info) : sendJson(res, 404, { error: 'unknown_token' });
      }
      if (req.method === 'GET' && /^\/interaction\/[^/]+$/.test(url.pathname)) {
        return await interact(provider, req, res);
      }
      if (req.method === 'POST' && url.pathname === '/token') {
        req.body = await readBody(req);
        const mismatch = authMethodMismatch(req, req.body);
        if (mismatch) {
          res.setHeader('www-authenticate', 'Basic realm="e2e"');
          return sendJson(res, 401, { error: 'invalid_client', error_description: mismatch });
        }
      }
    } catch (err) {
      console.error(`e2e idp: ${req.method} ${url.pathname}:`, err);
      return sendJson(res, 500, { error: 'server_error', error_description: String(err?.message || err) });
    }
    return callback(req, res);
  });

  provider.on('server_error', (_ctx, err) => console.error('e2e idp: server_error', err));

  const stop = () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();

  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
}

main().catch((err) => {
  console.error('e2e idp: failed to start:', err);
  process.exit(1);
});
