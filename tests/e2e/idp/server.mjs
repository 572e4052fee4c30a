// A real OAuth 2.0 / OpenID Connect authorization server (oidc-provider 9) on 127.0.0.1, for
// oauthctl's end-to-end tests (tests/it/e2e/). See README.md in this
// directory.
//
// Contract with the test harness:
// - E2E_KEYS_DIR names the directory of the clients' keys and certificates, which the harness made
//   with openssl and completed with `node keys.mjs` (public.json) before starting this server;
// - E2E_CI_ISSUER names the issuer of the loopback CI platform (tests/it/support/ci_platform.rs),
//   whose identity tokens this server exchanges (workload identity; its JWKS is `${issuer}/jwks`);
// - listens on two ephemeral loopback ports, plain HTTP (the issuer) and HTTPS asking for client
//   certificates (RFC 8705), and prints exactly one line on stdout when ready:
//   {"issuer":"http://127.0.0.1:PORT","mtls":"https://127.0.0.1:PORT2"}; everything else
//   (oidc-provider notices included) goes to stderr;
// - exits when its stdin closes (so it dies with the test process that spawned it) and on
//   SIGTERM / SIGINT.
//
// Features on top of the authorization code and client_credentials grants: the device flow
// (RFC 8628, with `interval` 1 in the device authorization response and slow_down enforced),
// token revocation (RFC 7009) and introspection (RFC 7662, confidential clients only), all in
// the discovery metadata. Every client must authenticate at the token, revocation, introspection
// and device authorization endpoints by its registered token_endpoint_auth_method, which may be
// private_key_jwt or client_secret_jwt (RFC 7523 client assertions), tls_client_auth or
// self_signed_tls_client_auth (RFC 8705, on the HTTPS listener, whose endpoints discovery names in
// mtls_endpoint_aliases; certificate-bound tokens carry cnf.x5t#S256).
//
// DPoP (RFC 9449) at the token endpoint, for every grant (token exchange and jwt-bearer included):
// a request with a DPoP header gets tokens bound to the proof's key (token_type "DPoP", cnf.jkt),
// one without is served as before. Every proof must carry this server's nonce (§8): without it,
// or with a stale one, the answer is 400 use_dpop_nonce with a DPoP-Nonce header. Proofs may be
// signed ES256, ES384, EdDSA, Ed25519, PS256 or RS256. An authorization request (also through
// /test/authorize and /test/browse) may carry dpop_jkt (§10), which its code is then bound to.
//
// Test-only routes, handled before the provider (never expose this server beyond loopback):
// - GET /test/authorize?client_id=…&redirect_uri=…&scope=…[&code_challenge=…&code_challenge_method=S256][&state=…]
//   drives the real authorization code flow against this provider over loopback HTTP, logs in
//   the fixed account `test-user`, grants what was asked, and answers {"code":"…"}. An error
//   redirect from the provider is answered 400 {"error":…,"error_description":…}. Every other
//   parameter goes into the authorization request as it is (dpop_jkt, resource, prompt, …).
// - GET /test/browse?url=<authorization URL>[&deny=1] is the user's browser: it walks the flow
//   of that URL as it is (cookies, login of `test-user`, consent; with deny=1 the user refuses
//   at the consent prompt, so the redirect carries error=access_denied), then GETs the redirect
//   to the client's loopback redirect_uri (oauthctl's listener) and answers
//   {"status":<the listener's status>,"body":"<the listener's page>"}. 400 when the URL is not
//   this issuer's or the flow ends without a redirect to a loopback client, 502 when the
//   listener cannot be reached.
// - GET /test/device?user_code=…[&deny=1] approves (or denies) the pending device authorization
//   with that user code as `test-user`, granting what the device asked, through the DeviceCode
//   model (no HTML forms): {"approved":true} / {"denied":true}; 404 for an unknown or expired
//   code, 409 for one already approved or denied.
// - GET /test/token-info?token=… says what the provider knows of a token it issued: a JWT is
//   verified against the provider's own keys ({"format":"jwt","header":…,"payload":…}); an opaque
//   access or refresh token is looked up ({"format":"opaque","kind":…,"clientId":…,…}).
//   404 {"error":"unknown_token"} otherwise (a revoked token is deleted, so it is unknown).
//   A bound opaque access or refresh token has cnf: {"x5t#S256": …} (a client certificate),
//   {"jkt": …} (a DPoP key), or both.
// - GET /test/client-auth?client_id=… → every request to a client-authentication endpoint that
//   named this client, in order: how it authenticated, its TLS client certificate, its
//   client_assertion decoded, and the answer (status, error, oidc-provider's error_detail).
//   GET /test/client-assertions?client_id=… → those of them with a client_assertion.
// - GET /test/dpop?client_id=… → every token request of this client with a DPoP header, in order:
//   {client_id, grant_type, listener, dpop_headers (how many DPoP headers it had), header and
//   payload (the first proof, decoded), status, error, error_detail, dpop_nonce_header (whether
//   the answer had a DPoP-Nonce header)}.
// - GET /test/fail-next?path=/token&status=503&count=1&client_id=… answers the next `count` POSTs
//   of that client to that path with that status (retry-after: 0) instead of serving them, once
//   recorded, and spends their assertions' jti, so that the same assertion sent again is refused.
// - GET /test/clone-client?client_id=… → {"client_id":"<client_id>.<n>"}: the same registration
//   under a client_id of a test's own.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';

import * as jose from 'jose';
import Provider, { errors } from 'oidc-provider';
// oidc-provider's own in-memory adapter and cache, given a store bigger than its default (1000
// entries for every model together), which a full e2e run with a client assertion (one
// ReplayDetection entry each) and tokens per test could fill. Not exported: this server pins
// oidc-provider's version, and these paths with it.
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';
// The DPoP steps (RFC 9449 §5) of oidc-provider's own grants (lib/actions/grants/*.js), for the
// grants this server registers: a handler given to registerGrantType receives only ctx, without
// the helpers oidc-provider hands its own grants. The same pinning applies.
import { applyDpopBinding } from 'oidc-provider/lib/helpers/grant_common.js';
import { checkDpopRequired, validateDpop } from 'oidc-provider/lib/helpers/grants.js';

import { certificateInfo, rfc4514 } from './keys.mjs';

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
  // `oauthctl login`: native apps (RFC 8252). For application_type native, oidc-provider
  // matches a loopback http redirect_uri ignoring its port (Client#redirectUriAllowed,
  // lib/models/client.js: stripLoopbackPort), so this one registration accepts the ephemeral
  // port oauthctl's listener gets (RFC 8252 §7.3).
  {
    client_id: 'native-app',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['http://127.0.0.1/callback'],
    scope: 'openid offline_access api:read',
  },
  {
    client_id: 'native-confidential',
    client_secret: 'native-confidential secret',
    application_type: 'native',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['http://127.0.0.1/callback'],
    scope: 'openid offline_access api:read',
  },
  // `oauthctl login --device` (RFC 8628).
  {
    client_id: 'device-app',
    token_endpoint_auth_method: 'none',
    grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    response_types: [],
    redirect_uris: [],
    scope: 'openid offline_access api:read',
  },
];

// Clients that get a refresh token whether or not offline_access survived the request: a browser
// login by oauthctl sends no prompt=consent, and OpenID Connect Core §11 has oidc-provider drop
// offline_access without it. Their tokens do not end with the browser session either.
const ALWAYS_REFRESH = new Set([
  'web', 'native-app', 'native-confidential', 'device-app', 'pkjwt-login', 'mtls-pki',
]);

// Clients without shared secrets (RFC 7523 §2.2 client assertions, RFC 8705 mutual TLS), whose
// keys and certificates the harness made (tests/it/support/keys.rs) in the directory that
// E2E_KEYS_DIR names; `keyMaterial` reads what this server needs of it.

// client_secret_jwt's secret (HS256 to HS512): 64 bytes and more.
const SECRET_JWT_SECRET = 'secret-jwt: a shared secret of sixty-four bytes or more, for HS256 to HS512';
// mtls-pki's registered subject (RFC 4514), which keys.rs gives its client certificate.
const MTLS_PKI_SUBJECT_DN = 'CN=mtls-pki,O=oauthctl e2e';
const MTLS_METHODS = new Set(['tls_client_auth', 'self_signed_tls_client_auth']);
// oidc-provider's default, spelled out: the replay window of a client assertion is its exp plus this.
const CLOCK_TOLERANCE = 15;

function keyMaterial(dir) {
  if (!dir) {
    throw new Error('E2E_KEYS_DIR must name the key directory the Rust harness made '
      + '(tests/it/support/keys.rs); see README.md, "Running"');
  }
  const read = (name) => fs.readFileSync(path.join(dir, name));
  const caPem = read('ca.crt.pem');
  return {
    public: JSON.parse(read('public.json')),
    caPem,
    ca: new crypto.X509Certificate(caPem),
    serverCert: read('server.crt.pem'),
    serverKey: read('server.key.pem'),
  };
}

const CLIENT_CREDENTIALS_ONLY = {
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  scope: 'api:read api:write',
};

// Signing a user in (`login`, `login --device`) and renewing: a native app, as native-confidential.
const USER_SIGN_IN = {
  application_type: 'native',
  grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
  response_types: ['code'],
  redirect_uris: ['http://127.0.0.1/callback'],
  scope: 'openid offline_access api:read',
};

function keyedClients({ keys, certs, p256_jwk_kid: p256JwkKid, service_account: serviceAccount }) {
  // The public half of a key under each kid a client may name it by: its RFC 7638 thumbprint (the
  // default kid of a PEM key) and `kids`, with the certificate `cert` as its x5c.
  const jwks = (name, { kids = [], cert } = {}) => [keys[name].thumbprint, ...kids].map((kid) => ({
    ...keys[name].jwk,
    kid,
    use: 'sig',
    ...(cert ? { x5c: certs[cert].x5c } : {}),
  }));
  const rsa = jwks('rsa', { cert: 'rsa' });
  const p256 = jwks('p256', { kids: [p256JwkKid] });
  const privateKeyJwt = (clientId, alg, keySet, rest = CLIENT_CREDENTIALS_ONLY) => ({
    client_id: clientId,
    token_endpoint_auth_method: 'private_key_jwt',
    ...(alg ? { token_endpoint_auth_signing_alg: alg } : {}),
    jwks: { keys: keySet },
    ...rest,
  });
  const selfSigned = new crypto.X509Certificate(Buffer.from(certs.self_signed.x5c[0], 'base64'));
  return [
    privateKeyJwt('pkjwt-rs256', 'RS256', rsa),
    privateKeyJwt('pkjwt-ps256', 'PS256', rsa),
    privateKeyJwt('pkjwt-es256', 'ES256', p256),
    privateKeyJwt('pkjwt-es384', 'ES384', jwks('p384')),
    privateKeyJwt('pkjwt-eddsa', 'EdDSA', jwks('ed25519')),
    // Any asymmetric algorithm the server enables, with any of the four keys.
    privateKeyJwt('pkjwt-any', undefined, [...rsa, ...p256, ...jwks('p384'), ...jwks('ed25519')]),
    privateKeyJwt('pkjwt-login', 'ES256', p256, USER_SIGN_IN),
    // private_key_jwt over mutual TLS with the RSA key's certificate: certificate-bound tokens.
    privateKeyJwt('pkjwt-mtls', 'RS256', rsa, {
      ...CLIENT_CREDENTIALS_ONLY,
      tls_client_certificate_bound_access_tokens: true,
    }),
    // A Google service-account key: the RSA key under the key file's private_key_id. Also allowed
    // the jwt-bearer grant (RFC 7523 §2.1) with an assertion it signs itself (workload identity).
    privateKeyJwt(serviceAccount.client_email, 'RS256', jwks('rsa', { kids: [serviceAccount.private_key_id] }), {
      ...CLIENT_CREDENTIALS_ONLY,
      grant_types: ['client_credentials', JWT_BEARER_GRANT],
    }),
    // jwt-bearer with an assertion self-signed by the RSA key (iss = sub = jwtb-rs256), no client
    // authentication: the registered key verifies the assertion (workloadAssertion).
    {
      client_id: 'jwtb-rs256',
      token_endpoint_auth_method: 'none',
      jwks: { keys: rsa },
      ...CLIENT_CREDENTIALS_ONLY,
      grant_types: [JWT_BEARER_GRANT],
    },
    {
      client_id: 'secret-jwt',
      client_secret: SECRET_JWT_SECRET,
      token_endpoint_auth_method: 'client_secret_jwt',
      ...CLIENT_CREDENTIALS_ONLY,
    },
    {
      client_id: 'mtls-pki',
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: MTLS_PKI_SUBJECT_DN,
      tls_client_certificate_bound_access_tokens: true,
      ...USER_SIGN_IN,
      grant_types: ['client_credentials', ...USER_SIGN_IN.grant_types],
      scope: 'openid offline_access api:read api:write',
    },
    {
      client_id: 'mtls-self-signed',
      token_endpoint_auth_method: 'self_signed_tls_client_auth',
      tls_client_certificate_bound_access_tokens: true,
      jwks: {
        keys: [{ ...selfSigned.publicKey.export({ format: 'jwk' }), use: 'sig', x5c: certs.self_signed.x5c }],
      },
      ...CLIENT_CREDENTIALS_ONLY,
    },
  ];
}

// Workload identity (docs/design.md §11): a CI job's identity token, minted by the loopback CI platform
// of the tests (tests/it/support/ci_platform.rs, its issuer in E2E_CI_ISSUER), exchanged for an
// access token by token exchange (RFC 8693), by the jwt-bearer grant (RFC 7523 §2.1), or presented
// as a federated client_assertion (as Microsoft Entra ID's federated credentials). README.md,
// "Workload identity", says what each client accepts.
const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const TOKEN_TYPE = {
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
  id_token: 'urn:ietf:params:oauth:token-type:id_token',
  access_token: 'urn:ietf:params:oauth:token-type:access_token',
};
// The `aud` this server wants in an identity token it exchanges (token exchange, jwt-bearer).
const WORKLOAD_AUDIENCE = 'oauthctl-e2e';
// wi-federated's federated credential (as Entra's): the issuer is the CI platform's.
const FEDERATED_SUBJECT = 'repo:octo-org/octo-repo:ref:refs/heads/main';
const FEDERATED_AUDIENCE = 'api://AzureADTokenExchange';
// A token request of these grants without any client authentication (no client_id either, as
// Google's STS takes them) is served as this client.
const IMPLIED_CLIENT = { [TOKEN_EXCHANGE_GRANT]: 'wi-sts', [JWT_BEARER_GRANT]: 'wi-jwt-bearer' };

function workloadClients(federatedJwk) {
  return [
    {
      client_id: 'wi-sts',
      token_endpoint_auth_method: 'none',
      ...CLIENT_CREDENTIALS_ONLY,
      grant_types: [TOKEN_EXCHANGE_GRANT],
    },
    {
      client_id: 'wi-jwt-bearer',
      token_endpoint_auth_method: 'none',
      ...CLIENT_CREDENTIALS_ONLY,
      grant_types: [JWT_BEARER_GRANT],
    },
    // Registered for private_key_jwt with a key only this server holds: its client_assertion is
    // the CI platform's identity token, checked against the federated credential
    // (federatedProblem), then swapped for an assertion this server signs with that key, so that
    // oidc-provider serves the rest (client_credentials, resources, scopes) as usual.
    {
      client_id: 'wi-federated',
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'RS256',
      jwks: { keys: [federatedJwk] },
      ...CLIENT_CREDENTIALS_ONLY,
    },
  ];
}

const FEDERATED_CREDENTIALS = {
  'wi-federated': (ciIssuer) => ({ issuer: ciIssuer, subject: FEDERATED_SUBJECT, audience: FEDERATED_AUDIENCE }),
};

// Why jose refused a JWT, in words a test can match: expired, wrong audience, bad signature, ….
function whyRefused(err) {
  switch (err?.code) {
    case 'ERR_JWT_EXPIRED':
      return `expired (${err.message})`;
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (err.claim === 'aud') return `wrong audience (${err.message})`;
      if (err.claim === 'iss') return `wrong issuer (${err.message})`;
      return `invalid ${err.claim} claim (${err.message})`;
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'bad signature (it does not verify with the issuer\'s keys)';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'bad signature (no key of the issuer matches its header)';
    case 'ERR_JWT_INVALID':
    case 'ERR_JWS_INVALID':
      return `not a valid JWT (${err.message})`;
    default:
      return `${err?.code || err?.name}: ${err?.message}`;
  }
}

// Verifies a JWT from the CI platform (its JWKS, iss, aud, exp required).
async function verifyIdentityToken(ci, jwt, audience) {
  const { payload } = await jose.jwtVerify(jwt, ci.jwks, {
    issuer: ci.issuer,
    audience,
    requiredClaims: ['exp', 'sub'],
    clockTolerance: CLOCK_TOLERANCE,
  });
  return payload;
}

// A jwt-bearer assertion (RFC 7523 §3): the CI platform's identity token (aud WORKLOAD_AUDIENCE),
// or one self-signed by a registered client's key, iss = that client_id (or a service account's
// client_email, its client_id here), aud = this issuer or its token endpoint. The requesting
// client must be the assertion's issuer, or the catch-all wi-jwt-bearer. Returns the verified
// payload, or throws invalid_grant saying why.
async function workloadAssertion(ctx, ci, issuer, assertion) {
  const refuse = (why) => new errors.CustomOIDCProviderError('invalid_grant', `assertion rejected: ${why}`);
  let claimed;
  try {
    claimed = jose.decodeJwt(assertion);
  } catch (err) {
    throw refuse(whyRefused(err));
  }
  try {
    if (claimed.iss === ci.issuer) return await verifyIdentityToken(ci, assertion, WORKLOAD_AUDIENCE);
    const signer = registry.get(claimed.iss);
    if (!signer?.metadata.jwks) {
      throw refuse(`its issuer ${JSON.stringify(claimed.iss)} is neither the CI platform `
        + `(${ci.issuer}) nor a client registered with keys`);
    }
    const client = ctx.oidc.client.clientId;
    if (client !== claimed.iss && (registry.get(client)?.origin ?? client) !== 'wi-jwt-bearer') {
      throw refuse(`it is issued by ${claimed.iss}, not by client ${client}`);
    }
    const { payload } = await jose.jwtVerify(assertion, jose.createLocalJWKSet(signer.metadata.jwks), {
      issuer: claimed.iss,
      audience: [issuer, `${issuer}/token`],
      requiredClaims: ['exp'],
      clockTolerance: CLOCK_TOLERANCE,
    });
    return payload;
  } catch (err) {
    if (err instanceof errors.CustomOIDCProviderError) throw err;
    throw refuse(whyRefused(err));
  }
}

// The extra claims of an access token issued for a workload (extraTokenClaims): the identity
// token's iss, sub and aud, by token.
const workloadClaims = new WeakMap();

// Issues an access token to ctx.oidc.client FOR the workload `subject` (its `sub`, and accountId
// of the opaque token): a Grant and an AccessToken through the provider's models, as the
// authorization code grant does, with at most one resource (a JWT for urn:api:*) and the client's
// scopes. With `dPoP` (the request's checked proof, from workloadDpopProof) the token is bound to
// the proof's key (RFC 9449 §5: cnf.jkt, token_type DPoP), as oidc-provider's client_credentials
// grant binds its tokens. Returns the token response's fields.
async function issueWorkloadToken(ctx, provider, {
  subject, identity, gty, scope, dPoP,
}) {
  const { client, params } = ctx.oidc;
  const resources = [params.resource].flat().filter(Boolean);
  if (resources.length > 1) throw new errors.InvalidTarget('only one resource indicator is supported for this grant type');
  const requested = (scope || '').split(' ').filter(Boolean);
  const allowed = new Set((client.scope || '').split(' '));
  for (const s of requested) {
    if (!allowed.has(s)) throw new errors.InvalidScope('requested scope is not allowed', s);
  }
  const grant = new provider.Grant({ accountId: subject, clientId: client.clientId });
  const token = new provider.AccessToken({ accountId: subject, client, gty });
  if (resources.length) {
    const info = resourceServerInfo(resources[0]);
    token.resourceServer = new provider.ResourceServer(resources[0], info);
    token.scope = requested.filter((s) => RESOURCE_SCOPE.split(' ').includes(s)).join(' ') || undefined;
    if (token.scope) grant.addResourceScope(resources[0], token.scope);
  } else {
    token.scope = requested.join(' ') || undefined;
    if (token.scope) grant.addOIDCScope(token.scope);
  }
  // Checks the proof's jti against replay (RFC 9449 §11.1) and sets jkt, as client_credentials.
  await applyDpopBinding(provider, ctx, dPoP, token);
  checkDpopRequired(provider, ctx, dPoP);
  token.grantId = await grant.save();
  workloadClaims.set(token, { identity: { iss: identity.iss, sub: identity.sub, aud: identity.aud } });
  ctx.oidc.entity('AccessToken', token);
  const accessToken = await token.save();
  return {
    access_token: accessToken,
    token_type: token.tokenType,
    expires_in: token.expiration,
    scope: token.scope,
  };
}

// The request's DPoP proof (RFC 9449 §4.3) checked as oidc-provider checks it for its own grants,
// first, as they do: its signature, typ, alg, htm, htu, iat and this server's nonce (§8). Returns
// { thumbprint, jti, iat }, or undefined without a DPoP header; throws invalid_dpop_proof or
// use_dpop_nonce (with a DPoP-Nonce header).
const workloadDpopProof = (provider, ctx) => validateDpop(provider, ctx);

// RFC 8693 token exchange: subject_token = an identity token of the CI platform (aud
// WORKLOAD_AUDIENCE), subject_token_type jwt or id_token; requested_token_type access_token
// (the default) or jwt (with a resource: the token is then a JWT); audience accepted and recorded
// (README.md); issued_token_type in the answer.
function tokenExchangeHandler(provider, ci) {
  return async (ctx) => {
    const dPoP = await workloadDpopProof(provider, ctx);
    const { params } = ctx.oidc;
    const invalid = (why) => new errors.InvalidRequest(why);
    if (!params.subject_token) throw invalid('missing required parameter \'subject_token\'');
    if (![TOKEN_TYPE.jwt, TOKEN_TYPE.id_token].includes(params.subject_token_type)) {
      throw invalid(`subject_token_type must be ${TOKEN_TYPE.jwt} or ${TOKEN_TYPE.id_token}, `
        + `got ${JSON.stringify(params.subject_token_type ?? null)}`);
    }
    const requested = params.requested_token_type ?? TOKEN_TYPE.access_token;
    if (requested !== TOKEN_TYPE.access_token && !(requested === TOKEN_TYPE.jwt && params.resource)) {
      throw invalid(`requested_token_type ${JSON.stringify(requested)} is not supported `
        + `(${TOKEN_TYPE.access_token}, or ${TOKEN_TYPE.jwt} with a resource)`);
    }
    let identity;
    try {
      identity = await verifyIdentityToken(ci, params.subject_token, WORKLOAD_AUDIENCE);
    } catch (err) {
      throw new errors.CustomOIDCProviderError('invalid_grant', `subject_token rejected: ${whyRefused(err)}`);
    }
    const answer = await issueWorkloadToken(ctx, provider, {
      subject: identity.sub, identity, gty: 'token_exchange', scope: params.scope, dPoP,
    });
    ctx.body = { ...answer, issued_token_type: requested };
  };
}

// RFC 7523 §2.1: see workloadAssertion. The scope is the parameter, else the assertion's `scope`
// claim (Google's service accounts put it there).
function jwtBearerHandler(provider, ci, issuer) {
  return async (ctx) => {
    const dPoP = await workloadDpopProof(provider, ctx);
    const { params } = ctx.oidc;
    if (!params.assertion) throw new errors.InvalidRequest('missing required parameter \'assertion\'');
    const identity = await workloadAssertion(ctx, ci, issuer, params.assertion);
    const scope = params.scope ?? (typeof identity.scope === 'string' ? identity.scope : undefined);
    ctx.body = await issueWorkloadToken(ctx, provider, {
      subject: identity.sub ?? identity.iss, identity, gty: 'jwt_bearer', scope, dPoP,
    });
  };
}

// wi-federated (and its clones): the client_assertion must be the CI platform's identity token
// with the federated credential's issuer, subject and audience. Returns the invalid_client
// description, or undefined.
async function federatedProblem(ci, clientId, assertion) {
  const origin = registry.get(clientId)?.origin;
  const credential = FEDERATED_CREDENTIALS[origin]?.(ci.issuer);
  if (!credential) return undefined;
  let payload;
  try {
    payload = await verifyIdentityToken(ci, assertion, credential.audience);
  } catch (err) {
    return `the client_assertion matches no federated credential of client ${clientId}: ${whyRefused(err)}`;
  }
  if (payload.sub !== credential.subject) {
    return `the client_assertion matches no federated credential of client ${clientId}: `
      + `subject ${JSON.stringify(payload.sub)}, the credential wants ${JSON.stringify(credential.subject)}`;
  }
  return undefined;
}

// The assertion wi-federated's own key signs in place of the federated one, which oidc-provider
// then checks as any private_key_jwt assertion.
async function federatedStandIn(key, issuer, clientId) {
  return new jose.SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid: key.kid })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(issuer)
    .setJti(crypto.randomUUID())
    .setIssuedAt()
    .setExpirationTime('60s')
    .sign(key.privateKey);
}

// RFC 8628 §3.2 `interval`, in seconds: oidc-provider sends none (so clients would wait the
// default 5 s between polls), this server sends 1 and answers slow_down (§3.5) to a poll that
// comes sooner than the interval after the previous one (or after the device authorization),
// adding 5 s to that device code's interval each time, as the RFC has the client do.
const DEVICE_POLL_INTERVAL = 1;
const DEVICE_CODE_TTL = 300;
const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

// Where oidc-provider authenticates clients (its default routes).
const CLIENT_AUTH_PATHS = new Set(['/token', '/token/introspection', '/token/revocation', '/device/auth']);

// Resource indicators (RFC 8707) this server knows, and how their JWT access tokens are signed.
const RESOURCE_SERVERS = {
  'urn:api:rs256': { alg: 'RS256', ttl: 300 },
  'urn:api:es256': { alg: 'ES256', ttl: 300 },
  // Expires five seconds after it is issued: real expired tokens for `inspect --verify`.
  'urn:api:rs256-short': { alg: 'RS256', ttl: 5 },
};
const RESOURCE_SCOPE = 'api:read api:write';

function resourceServerInfo(resourceIndicator) {
  const server = RESOURCE_SERVERS[resourceIndicator];
  if (!server) throw new errors.InvalidTarget();
  const { alg, ttl } = server;
  return {
    scope: RESOURCE_SCOPE,
    audience: resourceIndicator,
    accessTokenTTL: ttl,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg } },
  };
}

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

// The provider answered a step of the flow without a redirect (an error page, in JSON here).
class FlowError extends Error {
  constructor(url, status, body) {
    super(`GET ${url} answered ${status} without a redirect: ${body.slice(0, 500)}`);
    this.status = status;
    this.body = body;
  }
}

// Follows the flow from `startUrl` as a browser would, keeping cookies: GET /auth →
// /interaction/:uid (login) → /auth/:uid → /interaction/:uid (consent) → /auth/:uid → … until a
// redirect leaves this issuer, i.e. goes to the client's redirect_uri; returns that URL. With
// `deny`, the user refuses at the consent prompt (see `interact`).
async function walk(issuer, startUrl, { deny = false } = {}) {
  const jar = new CookieJar();
  let url = startUrl;
  for (let hop = 0; hop < 10; hop += 1) {
    const target = new URL(url);
    if (deny && target.pathname.startsWith('/interaction/')) target.searchParams.set('deny', '1');
    const cookie = jar.header(target.href);
    // eslint-disable-next-line no-await-in-loop
    const response = await fetch(target, {
      redirect: 'manual',
      headers: cookie ? { cookie } : {},
    });
    jar.store(response);
    const location = response.headers.get('location');
    if (response.status < 300 || response.status > 399 || !location) {
      // eslint-disable-next-line no-await-in-loop
      throw new FlowError(url, response.status, await response.text());
    }
    // eslint-disable-next-line no-await-in-loop
    await response.arrayBuffer().catch(() => {});
    const next = new URL(location, target);
    if (next.origin !== issuer) return next;
    url = next.href;
  }
  throw new Error('too many redirects in the authorization flow');
}

// Builds the authorization request from `query`, every parameter as given (dpop_jkt included, RFC
// 9449 §10), and returns the final redirect's query.
async function authorize(issuer, query) {
  const params = new URLSearchParams(query);
  if (!params.has('response_type')) params.set('response_type', 'code');
  // OpenID Connect Core §11: offline_access is ignored unless the request has prompt=consent.
  if (!params.has('prompt') && params.get('scope')?.split(' ').includes('offline_access')) {
    params.set('prompt', 'consent');
  }
  if (!params.get('redirect_uri')) throw new Error('redirect_uri is required');
  const redirect = await walk(issuer, `${issuer}/auth?${params}`);
  return redirect.searchParams;
}

// GET /test/browse: the user's browser on the authorization URL a client made, taken as it is.
// Returns [status, body] for the test route's answer.
async function browse(issuer, authorizationUrl, deny) {
  const start = typeof authorizationUrl === 'string' ? URL.parse(authorizationUrl) : null;
  if (!start || start.origin !== issuer) {
    return [400, {
      error: 'invalid_request',
      error_description: `url must be an authorization URL of ${issuer}, got ${JSON.stringify(authorizationUrl)}`,
    }];
  }
  let redirect;
  try {
    redirect = await walk(issuer, start.href, { deny });
  } catch (err) {
    if (!(err instanceof FlowError)) throw err;
    let body;
    try {
      body = JSON.parse(err.body);
    } catch {
      body = err.body.slice(0, 2000);
    }
    return [400, { error: 'no_redirect', error_description: err.message, provider_status: err.status, provider_body: body }];
  }
  // This route only ever calls back into loopback listeners.
  if (redirect.protocol !== 'http:' || !LOOPBACK_HOSTS.has(redirect.hostname)) {
    return [400, {
      error: 'not_loopback',
      error_description: `the flow redirected to ${redirect.origin}${redirect.pathname}, not to a loopback http listener`,
    }];
  }
  try {
    const { status, body } = await httpGet(redirect, 15_000);
    return [200, { status, body: body.slice(0, 64 * 1024) }];
  } catch (err) {
    return [502, {
      error: 'listener_unreachable',
      error_description: `GET ${redirect.origin}${redirect.pathname}: ${err.code || err.message}`,
    }];
  }
}

// A plain GET with node:http, not fetch, which refuses the WHATWG "bad ports" a loopback
// redirect_uri may name. Redirects are not followed.
function httpGet(url, timeoutMs) {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { timeout: timeoutMs }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve({
        status: response.statusCode,
        body: Buffer.concat(chunks).toString('utf8'),
      }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    request.on('error', reject);
  });
}

// The interaction "UI": no browser, no forms. Logs in the fixed account, then grants exactly
// what the consent prompt says is missing (the pattern of oidc-provider's example/routes), or,
// with ?deny=1 (set by `walk`), refuses at the consent prompt.
async function interact(provider, req, res, deny) {
  const details = await provider.interactionDetails(req, res);
  const { prompt: { name, details: missing }, params } = details;
  switch (name) {
    case 'login':
      return provider.interactionFinished(req, res, {
        login: { accountId: ACCOUNT_ID },
      }, { mergeWithLastSubmission: false });
    case 'consent': {
      if (deny) {
        return provider.interactionFinished(req, res, {
          error: 'access_denied',
          error_description: `${ACCOUNT_ID} refused the authorization request`,
        }, { mergeWithLastSubmission: false });
      }
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

// GET /test/device: what the user does on the verification page (RFC 8628 §3.3), minus the
// page. Mirrors oidc-provider's own approval (deviceVerificationResponse in
// lib/actions/authorization/device.js): a Grant for the account with what the device asked, and
// the DeviceCode marked with the account and grant, which the next poll of the token endpoint
// turns into tokens. A denial is stored on the DeviceCode as oidc-provider stores an aborted
// one, so the next poll is access_denied. There is no browser session, so the tokens are not
// bound to one (expiresWithSession stays unset). Returns [status, body].
async function decideDevice(provider, userCode, deny) {
  if (!userCode) {
    return [400, { error: 'invalid_request', error_description: 'user_code is required' }];
  }
  // As the verification page reads what the user typed (lib/helpers/user_codes.js normalize):
  // case and punctuation do not matter.
  const normalized = userCode.replace(/[a-z]/g, (c) => c.toUpperCase()).replace(/\W/g, '');
  const code = await provider.DeviceCode.findByUserCode(normalized);
  if (!code || !code.isValid) {
    return [404, { error: 'unknown_user_code', error_description: 'no pending device authorization has this user code' }];
  }
  if (code.accountId || code.error) {
    return [409, { error: 'already_decided', error_description: 'this device authorization was already approved or denied' }];
  }
  if (deny) {
    Object.assign(code, {
      error: 'access_denied',
      errorDescription: `${ACCOUNT_ID} refused the device authorization`,
    });
    await code.save();
    return [200, { denied: true }];
  }
  const { scope, resource } = code.params;
  const grant = new provider.Grant({ accountId: ACCOUNT_ID, clientId: code.clientId });
  if (scope) grant.addOIDCScope(scope);
  const resources = [resource].flat().filter(Boolean);
  const asked = new Set(scope ? scope.split(' ') : []);
  for (const indicator of resources) {
    grant.addResourceScope(indicator, RESOURCE_SCOPE.split(' ').filter((s) => asked.has(s)).join(' '));
  }
  const grantId = await grant.save();
  Object.assign(code, {
    accountId: ACCOUNT_ID,
    authTime: Math.floor(Date.now() / 1000),
    grantId,
    scope,
  });
  if (resources.length) code.resource = resources.length === 1 ? resources[0] : resources;
  await code.save();
  return [200, { approved: true }];
}

// RFC 8628 §3.5 slow_down: device_code → { last poll (ms, monotonic), interval (s) }.
const devicePolls = new Map();

function devicePollStarted(deviceCode) {
  const now = performance.now();
  for (const [key, { last }] of devicePolls) {
    if (now - last > 2 * DEVICE_CODE_TTL * 1000) devicePolls.delete(key);
  }
  devicePolls.set(deviceCode, { last: now, interval: DEVICE_POLL_INTERVAL });
}

// True when this poll came too soon: it then counts as the last poll, and the interval grows.
function devicePollTooSoon(deviceCode) {
  const poll = devicePolls.get(deviceCode);
  if (!poll) return false;
  const now = performance.now();
  // A few ms for timer granularity: a client that sleeps the interval after each answer is
  // never early, since its next poll starts after this one was answered.
  const early = now - poll.last < poll.interval * 1000 - 20;
  poll.last = now;
  if (early) poll.interval += 5;
  return early;
}

// What this server checks of its clients beyond oidc-provider (clientAuthenticationProblem), by
// client_id: { method: token_endpoint_auth_method, origin: the client a clone was made from (or
// itself), metadata, certificates: the x5t#S256 and x5t of the certificates in its JWKS (x5c) }.
const registry = new Map();

function register(metadata, origin = metadata.client_id) {
  const certificates = { 'x5t#S256': new Set(), x5t: new Set() };
  for (const { x5c } of metadata.jwks?.keys || []) {
    if (x5c?.length) {
      const info = certificateInfo(Buffer.from(x5c[0], 'base64'));
      certificates['x5t#S256'].add(info['x5t#S256']);
      certificates.x5t.add(info.x5t);
    }
  }
  registry.set(metadata.client_id, {
    method: metadata.token_endpoint_auth_method,
    origin,
    metadata: structuredClone(metadata),
    certificates,
  });
}

const alwaysRefresh = (clientId) => ALWAYS_REFRESH.has(registry.get(clientId)?.origin ?? clientId);

// GET /test/clone-client: a new client with the metadata of `from` under a client_id of its own,
// stored through the provider's adapter (where dynamically registered clients live), so that a test
// has the client's assertions and failures (/test/fail-next) to itself. Returns [status, body].
let clones = 0;
async function cloneClient(provider, from) {
  const original = registry.get(from);
  if (!original) {
    return [404, { error: 'unknown_client', error_description: `no client ${JSON.stringify(from)} to clone` }];
  }
  clones += 1;
  const clientId = `${from}.${clones}`;
  const metadata = { ...structuredClone(original.metadata), client_id: clientId };
  await provider.Client.adapter.upsert(clientId, metadata);
  // Validates the metadata now rather than at the clone's first request.
  await provider.Client.find(clientId);
  register(metadata, original.origin);
  return [200, { client_id: clientId }];
}

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

// The client certificate of a request on the HTTPS listener (node:crypto X509Certificate), or
// undefined: none was sent, or the request came over plain HTTP.
function peerCertificate(req) {
  return req.socket.getPeerX509Certificate?.() || undefined;
}

// For tls_client_auth (features.mTLS.certificateAuthorized): oidc-provider checks neither the chain
// nor the dates of a client certificate, and the HTTPS listener lets every certificate through
// (rejectUnauthorized: false, so that self-signed ones reach self_signed_tls_client_auth), so here:
// a leaf certificate issued and signed by the test CA, within its validity.
function issuedByTestCa(cert, ca) {
  if (!cert || cert.ca) return false;
  const now = Date.now();
  return cert.checkIssued(ca) && cert.verify(ca.publicKey)
    && Date.parse(cert.validFrom) <= now && now <= Date.parse(cert.validTo);
}

// The protected header and payload of a JWT, unverified (oidc-provider verifies), or why not.
function decodeJwt(jwt) {
  try {
    return { header: jose.decodeProtectedHeader(jwt), payload: jose.decodeJwt(jwt) };
  } catch (err) {
    return { malformed: `${err.code || err.name}: ${err.message}` };
  }
}

// How a request to a client-authentication endpoint authenticates its client, as oidc-provider
// tells the methods apart (lib/shared/client_auth.js): Basic credentials, a client_assertion
// (client_secret_jwt when it is signed HS*, else private_key_jwt), client_secret in the body, or
// only a client_id: none, or tls_client_auth / self_signed_tls_client_auth when the client is
// registered for it and a client certificate came with the request.
// Returns { method, clientId, assertion: { header, payload } | { malformed } | undefined }.
function presentedClientAuth(req, form) {
  const authorization = req.headers.authorization;
  if (authorization?.toLowerCase().startsWith('basic ')) {
    const basic = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    let clientId;
    try {
      clientId = decodeURIComponent(basic.slice(0, basic.indexOf(':')).replace(/\+/g, '%20'));
    } catch {
      // malformed: oidc-provider itself answers that
    }
    return { method: 'client_secret_basic', clientId };
  }
  if (form.has('client_assertion')) {
    const assertion = decodeJwt(form.get('client_assertion'));
    const method = assertion.header?.alg?.startsWith('HS') ? 'client_secret_jwt' : 'private_key_jwt';
    const clientId = form.get('client_id') ?? assertion.payload?.sub ?? assertion.payload?.iss;
    return { method, clientId, assertion };
  }
  const clientId = form.get('client_id') ?? undefined;
  if (form.has('client_secret')) return { method: 'client_secret_post', clientId };
  const registered = registry.get(clientId)?.method;
  if (MTLS_METHODS.has(registered) && peerCertificate(req)) return { method: registered, clientId };
  return { method: 'none', clientId };
}

// The client a token-exchange or jwt-bearer request stands for when it authenticates none and
// names none (IMPLIED_CLIENT), else undefined.
function impliedClient(req, form) {
  const anyAuth = req.headers.authorization || form.has('client_id') || form.has('client_assertion')
    || form.has('client_secret') || peerCertificate(req);
  return anyAuth ? undefined : IMPLIED_CLIENT[form.get('grant_type')];
}

// What a token-exchange or jwt-bearer request asked for, for /test/client-auth: its parameters,
// with the subject_token or assertion decoded (unverified). Undefined for other grants.
function workloadGrantRecord(form) {
  const grantType = form.get('grant_type');
  if (grantType !== TOKEN_EXCHANGE_GRANT && grantType !== JWT_BEARER_GRANT) return undefined;
  const record = { grant_type: grantType };
  for (const name of ['subject_token_type', 'requested_token_type', 'scope', 'actor_token_type']) {
    if (form.has(name)) record[name] = form.get(name);
  }
  for (const name of ['audience', 'resource']) {
    if (form.has(name)) record[name] = form.getAll(name);
  }
  for (const name of ['subject_token', 'assertion', 'actor_token']) {
    if (form.has(name)) record[name] = decodeJwt(form.get(name));
  }
  return record;
}

// oidc-provider accepts client_secret_basic and client_secret_post interchangeably for a client
// registered with either. This server is stricter, so that an e2e test fails when oauthctl
// authenticates some other way than the client's registered token_endpoint_auth_method, at any
// endpoint that authenticates clients (CLIENT_AUTH_PATHS): with a secret where a key is
// registered, an HS* assertion for a private_key_jwt client, no certificate for an mTLS client.
// An assertion header `x5t#S256` or `x5t` must name a certificate registered for the client (in
// its JWKS, as x5c), as Microsoft Entra ID requires of certificate credentials. It also keeps
// public clients away from introspection: RFC 7662 §2.1 has the endpoint require authorization of
// its callers, and §4 warns that it could otherwise be used to scan for tokens (Keycloak refuses
// public clients too). A confidential client may introspect any token this server issued, as a
// resource server would. Returns the invalid_client description, or undefined when the request
// may go on. The request body is read by the caller and handed on as req.body, which
// oidc-provider then uses.
function clientAuthenticationProblem(path, { method: used, clientId, assertion }) {
  const client = registry.get(clientId);
  const registered = client?.method;
  if (registered && registered !== used) {
    if (MTLS_METHODS.has(registered) && used === 'none') {
      return `client ${clientId} is registered for ${registered}, but sent no client certificate `
        + '(send it to the mtls_endpoint_aliases of the discovery metadata)';
    }
    return `client ${clientId} is registered for ${registered}, but authenticated with ${used}`;
  }
  for (const header of ['x5t#S256', 'x5t']) {
    const thumbprint = assertion?.header?.[header];
    if (client && thumbprint !== undefined && !client.certificates[header].has(thumbprint)) {
      return `the client_assertion's ${header} header ${JSON.stringify(thumbprint)} names no `
        + `certificate registered for client ${clientId}`;
    }
  }
  if (path === '/token/introspection' && used === 'none') {
    return 'the introspection endpoint requires client authentication (RFC 7662 §2.1): '
      + `public client ${clientId} may not introspect tokens`;
  }
  return undefined;
}

// Every request to a client-authentication endpoint, by client_id, in order: what the client
// presented and what the server answered (/test/client-auth, /test/client-assertions). A record:
// { client_id, method, path, listener: "http" | "mtls", certificate: { x5t#S256, subject, issuer }
// | null, header, payload (a client_assertion's, decoded; or malformed: why not), status, error,
// error_detail (oidc-provider's reason, which its answer leaves out), injected (by
// /test/fail-next), jti_marked_used }.
const clientAuthLog = new Map();
// The request → its record, for the answer (status) and oidc-provider's error events.
const recordOf = new WeakMap();

function recordClientAuth(req, res, path, listener, presented) {
  const cert = peerCertificate(req);
  const record = {
    client_id: presented.clientId ?? null,
    method: presented.method,
    path,
    listener,
    certificate: cert ? {
      'x5t#S256': crypto.hash('sha256', cert.raw, 'base64url'),
      subject: rfc4514(cert.subject),
      issuer: rfc4514(cert.issuer),
    } : null,
    ...presented.assertion,
    status: null,
  };
  const key = presented.clientId ?? '';
  if (!clientAuthLog.has(key)) clientAuthLog.set(key, []);
  const log = clientAuthLog.get(key);
  if (log.length >= 1000) log.shift();
  log.push(record);
  recordOf.set(req, record);
  res.on('finish', () => {
    record.status = res.statusCode;
  });
  return record;
}

// Every token request with a DPoP header (RFC 9449 §4.1), by client_id, in order: the proof as
// sent and what the server answered (/test/dpop). A record: { client_id, grant_type, listener,
// dpop_headers (how many DPoP header fields the request had: §4.3 wants exactly one, and
// oidc-provider refuses two with invalid_dpop_proof), header and payload (the first proof's,
// decoded, unverified; or malformed: why not), status, error and error_detail (from the request's
// /test/client-auth record), dpop_nonce_header (whether the answer had a DPoP-Nonce header, §8) }.
const dpopLog = new Map();

function recordDpop(req, res, listener, form, authRecord) {
  const proofs = req.headersDistinct.dpop;
  const record = {
    client_id: authRecord.client_id,
    grant_type: form.get('grant_type'),
    listener,
    dpop_headers: proofs.length,
    ...decodeJwt(proofs[0]),
    status: null,
    error: null,
    error_detail: null,
    dpop_nonce_header: false,
  };
  const key = authRecord.client_id ?? '';
  if (!dpopLog.has(key)) dpopLog.set(key, []);
  const log = dpopLog.get(key);
  if (log.length >= 1000) log.shift();
  log.push(record);
  // Read when the answer is sent: every path that refuses the request (this server's checks,
  // /test/fail-next, oidc-provider's error events) has set the error of authRecord by then.
  res.on('finish', () => {
    Object.assign(record, {
      status: res.statusCode,
      error: authRecord.error ?? null,
      error_detail: authRecord.error_detail ?? null,
      dpop_nonce_header: res.hasHeader('dpop-nonce'),
    });
  });
}

// GET /test/fail-next: failures to answer in place of the provider, first armed first used:
// { path, status, error, clientId (or undefined: any client), left }.
const failures = [];

function armFailure(query) {
  const path = query.get('path') || '/token';
  const status = Number(query.get('status') || 503);
  const count = Number(query.get('count') || 1);
  if (!CLIENT_AUTH_PATHS.has(path) || !Number.isInteger(status) || status < 400 || status > 599
    || !Number.isInteger(count) || count < 1 || count > 100) {
    return [400, {
      error: 'invalid_request',
      error_description: `path must be one of ${[...CLIENT_AUTH_PATHS].join(', ')}, status 400 to 599, count 1 to 100`,
    }];
  }
  const failure = {
    path,
    status,
    error: query.get('error') || (status === 503 ? 'temporarily_unavailable' : 'server_error'),
    clientId: query.get('client_id') || undefined,
    left: count,
  };
  failures.push(failure);
  return [200, {
    armed: {
      path, status, error: failure.error, count, client_id: failure.clientId ?? null,
    },
  }];
}

function takeFailure(path, clientId) {
  const at = failures.findIndex((f) => f.path === path && (!f.clientId || f.clientId === clientId));
  if (at < 0) return undefined;
  const failure = failures[at];
  failure.left -= 1;
  if (!failure.left) failures.splice(at, 1);
  return failure;
}

// A failed request's assertion counts as used, as it would if the server had failed after
// checking it: the same assertion sent again is refused by oidc-provider's replay check
// (invalid_client), so only a client that signs a new one for its retry gets through.
async function markAssertionUsed(provider, payload) {
  const now = Math.floor(Date.now() / 1000);
  if (typeof payload?.iss !== 'string' || typeof payload.jti !== 'string'
    || !Number.isFinite(payload.exp) || payload.exp <= now) {
    return false;
  }
  await provider.ReplayDetection.unique(payload.iss, payload.jti, payload.exp + CLOCK_TOLERANCE);
  return true;
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
        // A rotated refresh token (or a used code) is kept, marked consumed, until it expires.
        consumed: Boolean(found.consumed),
        // Bound to a client certificate (RFC 8705 §3.1: x5t#S256), to a DPoP key (RFC 9449 §6.1:
        // jkt), or both; a JWT carries its cnf in the payload.
        ...(found['x5t#S256'] || found.jkt ? {
          cnf: {
            ...(found['x5t#S256'] ? { 'x5t#S256': found['x5t#S256'] } : {}),
            ...(found.jkt ? { jkt: found.jkt } : {}),
          },
        } : {}),
      };
    }
  }
  return undefined;
}

// Listens on an ephemeral port of 127.0.0.1.
async function listen(server) {
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return server.address().port;
}

async function main() {
  const material = keyMaterial(process.env.E2E_KEYS_DIR);
  const server = http.createServer();
  const issuer = `http://127.0.0.1:${await listen(server)}`;
  // RFC 8705: the same provider and routes over HTTPS, asking every client for a certificate and
  // letting through any it sends (or none): the provider decides (features.mTLS below).
  const mtlsServer = https.createServer({
    key: material.serverKey,
    cert: material.serverCert,
    ca: [material.caPem],
    requestCert: true,
    rejectUnauthorized: false,
  });
  const mtls = `https://127.0.0.1:${await listen(mtlsServer)}`;

  if (!process.env.E2E_CI_ISSUER) {
    throw new Error('E2E_CI_ISSUER must name the issuer of the CI platform the Rust harness started '
      + '(tests/it/support/ci_platform.rs); see README.md, "Running"');
  }
  const ci = {
    issuer: process.env.E2E_CI_ISSUER,
    jwks: jose.createRemoteJWKSet(new URL(`${process.env.E2E_CI_ISSUER}/jwks`)),
  };
  const federatedPair = await jose.generateKeyPair('RS256', { modulusLength: 2048 });
  const federatedKey = { kid: 'wi-federated-stand-in', privateKey: federatedPair.privateKey };
  const federatedJwk = { ...await jose.exportJWK(federatedPair.publicKey), kid: federatedKey.kid, use: 'sig' };

  const clients = [...CLIENTS, ...keyedClients(material.public), ...workloadClients(federatedJwk)];
  for (const client of clients) register(client);

  const keys = [
    await signingKey('RS256', 'rs256-1', { modulusLength: 2048 }),
    await signingKey('ES256', 'es256-1'),
  ];
  const publicKeys = jose.createLocalJWKSet({ keys: keys.map(publicJwk) });
  const store = new LRU({ maxSize: 100_000 });

  const provider = new Provider(issuer, {
    clients,
    jwks: { keys },
    adapter: (model) => new MemoryAdapter(model, store, CLOCK_TOLERANCE),
    clockTolerance: CLOCK_TOLERANCE,
    clientAuthMethods: [
      'client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none',
      'tls_client_auth', 'self_signed_tls_client_auth',
    ],
    // oidc-provider's default is HS256, RS256, PS256, ES256, Ed25519 and EdDSA for client
    // assertions, and ES256, Ed25519 and EdDSA for DPoP proofs (dpop_signing_alg_values_supported
    // in discovery, RFC 9449 §5.1).
    enabledJWA: {
      clientAuthSigningAlgValues: [
        'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512',
        'ES256', 'ES384', 'Ed25519', 'EdDSA',
      ],
      dPoPSigningAlgValues: ['ES256', 'ES384', 'Ed25519', 'EdDSA', 'PS256', 'RS256'],
    },
    // RFC 8705 §5: where a client that authenticates with a certificate, or wants
    // certificate-bound tokens, sends its requests.
    discovery: {
      mtls_endpoint_aliases: {
        token_endpoint: `${mtls}/token`,
        revocation_endpoint: `${mtls}/token/revocation`,
        introspection_endpoint: `${mtls}/token/introspection`,
        device_authorization_endpoint: `${mtls}/device/auth`,
      },
    },
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
        getResourceServerInfo: async (_ctx, resourceIndicator) => resourceServerInfo(resourceIndicator),
      },
      // RFC 8628, at /device/auth (device authorization) and /device (the verification page,
      // which the tests skip: see /test/device).
      deviceFlow: { enabled: true },
      // RFC 7009, at /token/revocation. oidc-provider's default policy, spelled out: a client
      // revokes only its own tokens; another client's token is ignored for a public client
      // (200, as for an unknown token, RFC 7009 §2.2) and refused for a confidential one.
      // Revoking a refresh token revokes its whole grant (every token of that sign-in);
      // revoking an access token revokes that token only (oidc-provider's revokeGrantPolicy).
      revocation: {
        enabled: true,
        async allowedPolicy(_ctx, client, token) {
          if (token.clientId === client.clientId) return true;
          if (client.clientAuthMethod === 'none') return false;
          throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
        },
      },
      // RFC 7662, at /token/introspection. Public clients are refused before this (see
      // clientAuthenticationProblem); an authenticated client may introspect any token.
      introspection: {
        enabled: true,
        allowedPolicy: async () => true,
      },
      // RFC 8705. oidc-provider takes the certificate from getCertificate and leaves the rest to
      // this configuration: certificateAuthorized decides whether a tls_client_auth certificate
      // is trusted (issuedByTestCa), certificateSubjectMatches compares the registered subject.
      // A certificate-bound token carries cnf.x5t#S256 (RFC 8705 §3.1).
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        tlsClientAuth: true,
        selfSignedTlsClientAuth: true,
        getCertificate: (ctx) => peerCertificate(ctx.req),
        certificateAuthorized: (ctx) => issuedByTestCa(peerCertificate(ctx.req), material.ca),
        certificateSubjectMatches(ctx, property, expected) {
          const cert = peerCertificate(ctx.req);
          return property === 'tls_client_auth_subject_dn' && Boolean(cert)
            && rfc4514(cert.subject) === expected;
        },
      },
      // RFC 9449. A token request with a DPoP header gets tokens bound to the proof's key, by every
      // grant (the registered ones too: workloadDpopProof); one without is unaffected. Every proof
      // must carry this server's nonce (§8): a proof without one, or with a stale one, is answered
      // 400 use_dpop_nonce with a DPoP-Nonce header. oidc-provider derives nonces from nonceSecret
      // and the clock (lib/helpers/challenge.js): a new one every 60 s, each accepted for three to
      // four minutes after it is sent, and a successful answer carries a DPoP-Nonce header too when
      // the proof's nonce is no longer the newest. Refresh tokens are bound to the key for public
      // clients only (§5: a confidential client's refresh token is bound to its authentication). An
      // authorization request may carry dpop_jkt (§10): the code can then only be redeemed with a
      // proof of that key.
      dPoP: {
        enabled: true,
        nonceSecret: crypto.randomBytes(32),
        requireNonce: () => true,
      },
    },
    // PKCE for public clients and native apps (RFC 8252 §6); any other client may still use it.
    pkce: {
      required: (_ctx, client) => client.clientAuthMethod === 'none' || client.applicationType === 'native',
    },
    // ALWAYS_REFRESH clients always get a refresh token; others when they asked for offline_access.
    issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token')
      && (alwaysRefresh(client.clientId) || code.scopes.has('offline_access')),
    // oidc-provider's default, except for ALWAYS_REFRESH clients: their tokens outlive the
    // browser session, as the refresh token they always get is meant to.
    expiresWithSession: async (ctx, code) => !alwaysRefresh(ctx.oidc.client?.clientId)
      && !code.scopes.has('offline_access'),
    ttl: {
      AccessToken: 300,
      AuthorizationCode: 60,
      // A resource server's own TTL wins (urn:api:rs256-short), as in oidc-provider's default.
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL || 300,
      IdToken: 300,
      RefreshToken: 3600,
      Interaction: 300,
      Session: 3600,
      Grant: 3600,
      DeviceCode: DEVICE_CODE_TTL,
    },
    // Workload tokens carry the identity token's iss, sub and aud (issueWorkloadToken).
    extraTokenClaims: async (_ctx, token) => workloadClaims.get(token),
    renderError(ctx, out) {
      ctx.type = 'json';
      ctx.body = out;
    },
  });
  // RFC 8628 §3.2: tell the device how often it may poll (oidc-provider sends no interval, so
  // clients would wait the default 5 s), and start timing its polls.
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.oidc?.route === 'device_authorization' && ctx.status === 200 && ctx.body?.device_code) {
      ctx.body.interval = DEVICE_POLL_INTERVAL;
      devicePollStarted(ctx.body.device_code);
    }
  });
  // oidc-provider's reason for an error, which its answer leaves out for invalid_client ("client
  // authentication failed"): into the request's record, for /test/client-auth.
  for (const event of ['grant.error', 'revocation.error', 'introspection.error', 'device_authorization.error', 'server_error']) {
    provider.on(event, (ctx, err) => {
      const record = recordOf.get(ctx.req);
      if (record) {
        record.error = err.error || err.message;
        record.error_detail = err.error_detail ?? err.error_description;
      }
    });
  }
  provider.registerGrantType(TOKEN_EXCHANGE_GRANT, tokenExchangeHandler(provider, ci), [
    'subject_token', 'subject_token_type', 'requested_token_type', 'audience', 'resource', 'scope',
    'actor_token', 'actor_token_type',
  ], ['resource', 'audience']);
  provider.registerGrantType(JWT_BEARER_GRANT, jwtBearerHandler(provider, ci, issuer), [
    'assertion', 'resource', 'scope',
  ], ['resource']);
  const callback = provider.callback();

  const handle = async (req, res, listener) => {
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
      if (req.method === 'GET' && url.pathname === '/test/browse') {
        const [status, body] = await browse(
          issuer,
          url.searchParams.get('url'),
          url.searchParams.get('deny') === '1',
        );
        return sendJson(res, status, body);
      }
      if (req.method === 'GET' && url.pathname === '/test/device') {
        const [status, body] = await decideDevice(
          provider,
          url.searchParams.get('user_code'),
          url.searchParams.get('deny') === '1',
        );
        return sendJson(res, status, body);
      }
      if (req.method === 'GET' && url.pathname === '/test/client-auth') {
        return sendJson(res, 200, clientAuthLog.get(url.searchParams.get('client_id') ?? '') ?? []);
      }
      if (req.method === 'GET' && url.pathname === '/test/client-assertions') {
        const log = clientAuthLog.get(url.searchParams.get('client_id') ?? '') ?? [];
        return sendJson(res, 200, log.filter((r) => r.header || r.malformed));
      }
      if (req.method === 'GET' && url.pathname === '/test/dpop') {
        return sendJson(res, 200, dpopLog.get(url.searchParams.get('client_id') ?? '') ?? []);
      }
      if (req.method === 'GET' && url.pathname === '/test/fail-next') {
        return sendJson(res, ...armFailure(url.searchParams));
      }
      if (req.method === 'GET' && url.pathname === '/test/clone-client') {
        return sendJson(res, ...await cloneClient(provider, url.searchParams.get('client_id')));
      }
      if (req.method === 'GET' && /^\/interaction\/[^/]+$/.test(url.pathname)) {
        return await interact(provider, req, res, url.searchParams.get('deny') === '1');
      }
      if (req.method === 'POST' && CLIENT_AUTH_PATHS.has(url.pathname)) {
        req.body = await readBody(req);
        const form = new URLSearchParams(req.body.toString('utf8'));
        const implied = url.pathname === '/token' && impliedClient(req, form);
        if (implied) {
          form.set('client_id', implied);
          req.body = Buffer.from(form.toString());
        }
        const presented = presentedClientAuth(req, form);
        const record = recordClientAuth(req, res, url.pathname, listener, presented);
        if (implied) record.implied_client = true;
        if (url.pathname === '/token') {
          record.grant = workloadGrantRecord(form);
          if (req.headersDistinct.dpop) recordDpop(req, res, listener, form, record);
        }
        const problem = clientAuthenticationProblem(url.pathname, presented);
        if (problem) {
          Object.assign(record, { error: 'invalid_client', error_detail: problem });
          res.setHeader('www-authenticate', 'Basic realm="e2e"');
          return sendJson(res, 401, { error: 'invalid_client', error_description: problem });
        }
        const failure = takeFailure(url.pathname, presented.clientId);
        if (failure) {
          const description = `injected by /test/fail-next; ${failure.left} more to come`;
          Object.assign(record, {
            error: failure.error,
            error_detail: description,
            injected: true,
            jti_marked_used: await markAssertionUsed(provider, presented.assertion?.payload),
          });
          res.setHeader('retry-after', '0');
          return sendJson(res, failure.status, { error: failure.error, error_description: description });
        }
        if (presented.method === 'private_key_jwt' && FEDERATED_CREDENTIALS[registry.get(presented.clientId)?.origin]) {
          const federated = await federatedProblem(ci, presented.clientId, form.get('client_assertion'));
          if (federated) {
            Object.assign(record, { error: 'invalid_client', error_detail: federated });
            return sendJson(res, 401, { error: 'invalid_client', error_description: federated });
          }
          form.set('client_assertion', await federatedStandIn(federatedKey, issuer, presented.clientId));
          req.body = Buffer.from(form.toString());
          record.federated = true;
        }
        if (url.pathname === '/token' && form.get('grant_type') === DEVICE_CODE_GRANT
          && devicePollTooSoon(form.get('device_code'))) {
          const description = 'polled sooner than the interval; wait 5 s more between polls from now on (RFC 8628 §3.5)';
          Object.assign(record, { error: 'slow_down', error_detail: description });
          return sendJson(res, 400, { error: 'slow_down', error_description: description });
        }
      }
    } catch (err) {
      console.error(`e2e idp: ${req.method} ${url.pathname}:`, err);
      return sendJson(res, 500, { error: 'server_error', error_description: String(err?.message || err) });
    }
    return callback(req, res);
  };
  server.on('request', (req, res) => handle(req, res, 'http'));
  mtlsServer.on('request', (req, res) => handle(req, res, 'mtls'));

  provider.on('server_error', (_ctx, err) => console.error('e2e idp: server_error', err));

  const stop = () => {
    for (const s of [server, mtlsServer]) {
      s.close();
      s.closeAllConnections();
    }
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();

  process.stdout.write(`${JSON.stringify({ issuer, mtls })}\n`);
}

main().catch((err) => {
  console.error('e2e idp: failed to start:', err);
  process.exit(1);
});
