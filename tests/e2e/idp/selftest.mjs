// The e2e server's keyed clients, exercised without oauthctl: client assertions signed with jose
// from the key files the harness made with openssl (every format and algorithm), and mutual TLS
// with curl (--cert/--key/--cacert, so OpenSSL on the client side, and the server certificate
// verified against the test CA). Run by tests/it/e2e/idp.rs against the running server:
//
//   E2E_ISSUER=http://127.0.0.1:P1 E2E_MTLS=https://127.0.0.1:P2 E2E_KEYS_DIR=… node selftest.mjs
//
// Prints one line per check, `ok - …` or `not ok - … : why`, and exits 1 if any failed. Checks run
// one after another; every check that reads the server's records or arms a failure does it on a
// client of its own (/test/clone-client), since other tests share the server.

import { execFile } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

import * as jose from 'jose';

const ISSUER = process.env.E2E_ISSUER;
const MTLS = process.env.E2E_MTLS;
const DIR = process.env.E2E_KEYS_DIR;
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const SECRET_JWT_SECRET = 'secret-jwt: a shared secret of sixty-four bytes or more, for HS256 to HS512';

const file = (name) => path.join(DIR, name);
const read = (name) => fs.readFileSync(file(name), 'utf8');
const publicJson = JSON.parse(read('public.json'));

let failed = 0;
async function check(name, body) {
  try {
    await body();
    console.log(`ok - ${name}`);
  } catch (err) {
    failed += 1;
    console.log(`not ok - ${name}: ${err.message}`);
  }
}

function expect(condition, what) {
  if (!condition) throw new Error(what);
}

function equal(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  expect(a === e, `${what}: got ${a}, want ${e}`);
}

async function getJson(route, query = {}) {
  const response = await fetch(`${ISSUER}${route}?${new URLSearchParams(query)}`);
  return { status: response.status, body: await response.json() };
}

async function cloneOf(clientId) {
  const { status, body } = await getJson('/test/clone-client', { client_id: clientId });
  equal(status, 200, `/test/clone-client ${clientId}`);
  return body.client_id;
}

// A private key from a file: PEM (PKCS#8, PKCS#1, SEC1), a JWK, a one-key JWKS or a
// service-account JSON key.
async function privateKey(name, alg) {
  const text = read(name);
  if (name.endsWith('.pem')) return crypto.createPrivateKey(text);
  const json = JSON.parse(text);
  if (json.private_key) return crypto.createPrivateKey(json.private_key);
  const jwk = json.keys ? json.keys[0] : json;
  return jose.importJWK(jwk, alg);
}

let jtis = 0;
// A client assertion (RFC 7523 §3) for `clientId`, signed with `key`.
async function assertion(clientId, key, alg, {
  aud = `${ISSUER}/token`, kid, header = {}, claims = {},
} = {}) {
  const now = Math.floor(Date.now() / 1000);
  jtis += 1;
  return new jose.SignJWT({
    iss: clientId, sub: clientId, aud, jti: `selftest-${process.pid}-${jtis}-${crypto.randomUUID()}`, iat: now, exp: now + 60, ...claims,
  })
    .setProtectedHeader({
      alg, typ: 'JWT', ...(kid ? { kid } : {}), ...header,
    })
    .sign(key);
}

async function post(url, form) {
  const response = await fetch(url, { method: 'POST', body: new URLSearchParams(form) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

async function clientCredentials(clientId, jwt, { url = `${ISSUER}/token`, resource } = {}) {
  return post(url, {
    grant_type: 'client_credentials',
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: jwt,
    ...(resource ? { resource } : {}),
  });
}

async function expectToken(answer, what) {
  equal(answer.status, 200, `${what}: status (body ${JSON.stringify(answer.body)})`);
  expect(typeof answer.body.access_token === 'string', `${what}: no access_token`);
  return answer.body.access_token;
}

function expectInvalidClient(answer, what) {
  equal([answer.status, answer.body.error], [401, 'invalid_client'], `${what} (body ${JSON.stringify(answer.body)})`);
}

async function tokenInfo(token) {
  const { status, body } = await getJson('/test/token-info', { token });
  equal(status, 200, `/test/token-info (body ${JSON.stringify(body)})`);
  return body;
}

const execFileP = promisify(execFile);

// POST with curl over TLS to the HTTPS listener: the server certificate checked against the test
// CA, the client certificate `cert` (and `key`) when given. Returns { status, body }.
async function curl(url, form, { cert, key } = {}) {
  const args = ['-sS', '--noproxy', '*', '--cacert', file('ca.crt.pem'), '-w', '\n%{http_code}'];
  if (cert) args.push('--cert', file(cert), '--key', file(key));
  for (const [name, value] of Object.entries(form)) args.push('--data-urlencode', `${name}=${value}`);
  args.push(url);
  const { stdout } = await execFileP('curl', args, { env: { PATH: process.env.PATH } });
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), body: JSON.parse(stdout.slice(0, cut)) };
}

const certificate = (name) => new crypto.X509Certificate(fs.readFileSync(file(name)));
// RFC 8705 §3.1: base64url(SHA-256(DER)).
const x5tS256 = (name) => crypto.hash('sha256', certificate(name).raw, 'base64url');

async function main() {
  for (const [name, value] of Object.entries({ E2E_ISSUER: ISSUER, E2E_MTLS: MTLS, E2E_KEYS_DIR: DIR })) {
    if (!value) throw new Error(`${name} is not set`);
  }
  const { keys } = publicJson;

  await check('discovery: mtls_endpoint_aliases, the auth methods and algorithms', async () => {
    const { body } = await getJson('/.well-known/openid-configuration');
    equal(body.mtls_endpoint_aliases, {
      token_endpoint: `${MTLS}/token`,
      revocation_endpoint: `${MTLS}/token/revocation`,
      introspection_endpoint: `${MTLS}/token/introspection`,
      device_authorization_endpoint: `${MTLS}/device/auth`,
    }, 'mtls_endpoint_aliases');
    for (const method of ['private_key_jwt', 'client_secret_jwt', 'tls_client_auth', 'self_signed_tls_client_auth']) {
      expect(body.token_endpoint_auth_methods_supported.includes(method), `no ${method}`);
    }
    for (const alg of ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA', 'HS256', 'HS512']) {
      expect(body.token_endpoint_auth_signing_alg_values_supported.includes(alg), `no ${alg}`);
    }
    equal(body.tls_client_certificate_bound_access_tokens, true, 'tls_client_certificate_bound_access_tokens');
  });

  // [client, key file, alg, kid]: every key format, each client's algorithm.
  const cases = [
    ['pkjwt-rs256', 'rsa.pkcs8.pem', 'RS256', keys.rsa.thumbprint],
    ['pkjwt-rs256', 'rsa.pkcs1.pem', 'RS256', keys.rsa.thumbprint],
    ['pkjwt-ps256', 'rsa.pkcs8.pem', 'PS256', keys.rsa.thumbprint],
    ['pkjwt-es256', 'p256.pkcs8.pem', 'ES256', keys.p256.thumbprint],
    ['pkjwt-es256', 'p256.sec1.pem', 'ES256', keys.p256.thumbprint],
    ['pkjwt-es256', 'p256.jwk.json', 'ES256', publicJson.p256_jwk_kid],
    ['pkjwt-es256', 'p256.jwks.json', 'ES256', publicJson.p256_jwk_kid],
    ['pkjwt-es384', 'p384.pkcs8.pem', 'ES384', keys.p384.thumbprint],
    ['pkjwt-eddsa', 'ed25519.pkcs8.pem', 'EdDSA', keys.ed25519.thumbprint],
    ['pkjwt-any', 'rsa.pkcs8.pem', 'RS384', keys.rsa.thumbprint],
    ['pkjwt-any', 'rsa.pkcs8.pem', 'RS512', undefined],
    ['pkjwt-any', 'rsa.pkcs1.pem', 'PS384', keys.rsa.thumbprint],
    ['pkjwt-any', 'rsa.pkcs8.pem', 'PS512', keys.rsa.thumbprint],
    ['pkjwt-any', 'p256.sec1.pem', 'ES256', undefined],
    ['pkjwt-any', 'p384.pkcs8.pem', 'ES384', keys.p384.thumbprint],
    ['pkjwt-any', 'ed25519.pkcs8.pem', 'Ed25519', keys.ed25519.thumbprint],
    ['pkjwt-any', 'ed25519.pkcs8.pem', 'EdDSA', undefined],
  ];
  for (const [clientId, keyFile, alg, kid] of cases) {
    // eslint-disable-next-line no-await-in-loop
    await check(`private_key_jwt ${clientId} ${alg} with ${keyFile} (kid ${kid ?? 'none'})`, async () => {
      const key = await privateKey(keyFile, alg);
      const token = await expectToken(await clientCredentials(clientId, await assertion(clientId, key, alg, { kid })), clientId);
      equal((await tokenInfo(token)).clientId, clientId, 'the token\'s client');
    });
  }

  await check('pkjwt-login starts a device sign-in (aud the device authorization endpoint)', async () => {
    const key = await privateKey('p256.pkcs8.pem');
    const answer = await post(`${ISSUER}/device/auth`, {
      scope: 'openid api:read',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await assertion('pkjwt-login', key, 'ES256', { aud: `${ISSUER}/device/auth` }),
    });
    equal(answer.status, 200, `status (body ${JSON.stringify(answer.body)})`);
    expect(typeof answer.body.device_code === 'string', 'no device_code');
  });

  await check('the service account: client_email as client_id, private_key_id as kid, aud token_uri', async () => {
    const sa = JSON.parse(read('service-account.json'));
    equal([sa.type, sa.client_email, sa.token_uri], ['service_account', 'sa@e2e.iam.gserviceaccount.com', `${ISSUER}/token`], 'the key file');
    const key = await privateKey('service-account.json', 'RS256');
    const jwt = await assertion(sa.client_email, key, 'RS256', { kid: sa.private_key_id, aud: sa.token_uri });
    await expectToken(await clientCredentials(sa.client_email, jwt), 'service account');
  });

  await check('client_secret_jwt: HS256, HS384 and HS512 with the secret; a wrong secret refused', async () => {
    for (const alg of ['HS256', 'HS384', 'HS512']) {
      const key = new TextEncoder().encode(SECRET_JWT_SECRET);
      // eslint-disable-next-line no-await-in-loop
      await expectToken(await clientCredentials('secret-jwt', await assertion('secret-jwt', key, alg)), alg);
    }
    const wrong = new TextEncoder().encode(`${SECRET_JWT_SECRET}!`);
    expectInvalidClient(await clientCredentials('secret-jwt', await assertion('secret-jwt', wrong, 'HS256')), 'wrong secret');
  });

  await check('refused: another alg than the registered one, an HS256 assertion for private_key_jwt, an unknown kid, Ed25519 for an EdDSA client', async () => {
    const rsa = await privateKey('rsa.pkcs8.pem');
    expectInvalidClient(await clientCredentials('pkjwt-rs256', await assertion('pkjwt-rs256', rsa, 'PS256')), 'PS256 for RS256');
    const hs = await clientCredentials('pkjwt-rs256', await assertion('pkjwt-rs256', new TextEncoder().encode(SECRET_JWT_SECRET), 'HS256'));
    expectInvalidClient(hs, 'HS256 for private_key_jwt');
    expect(hs.body.error_description.includes('registered for private_key_jwt'), `description: ${hs.body.error_description}`);
    expectInvalidClient(await clientCredentials('pkjwt-rs256', await assertion('pkjwt-rs256', rsa, 'RS256', { kid: 'nope' })), 'unknown kid');
    const ed = await privateKey('ed25519.pkcs8.pem');
    expectInvalidClient(await clientCredentials('pkjwt-eddsa', await assertion('pkjwt-eddsa', ed, 'Ed25519')), 'Ed25519 for EdDSA');
    const p256 = await privateKey('p256.pkcs8.pem');
    expectInvalidClient(await clientCredentials('pkjwt-rs256', await assertion('pkjwt-rs256', p256, 'ES256')), 'a P-256 key for pkjwt-rs256');
  });

  await check('x5t#S256 and x5t headers: the registered certificate passes, another is refused', async () => {
    const clientId = await cloneOf('pkjwt-rs256');
    const rsa = await privateKey('rsa.pkcs8.pem');
    const { certs } = publicJson;
    const good = { 'x5t#S256': x5tS256('rsa.crt.pem'), x5t: certs.rsa.x5t };
    equal(good['x5t#S256'], certs.rsa['x5t#S256'], 'x5t#S256 of rsa.crt.pem');
    await expectToken(await clientCredentials(clientId, await assertion(clientId, rsa, 'RS256', { header: good })), 'both headers');
    const other = await clientCredentials(clientId, await assertion(clientId, rsa, 'RS256', { header: { 'x5t#S256': certs.client['x5t#S256'] } }));
    expectInvalidClient(other, 'another certificate');
    const records = (await getJson('/test/client-assertions', { client_id: clientId })).body;
    equal(records.map((r) => [r.status, r.header['x5t#S256']]), [[200, good['x5t#S256']], [401, certs.client['x5t#S256']]], 'the records');
  });

  await check('aud: the issuer, the endpoint, a list with either pass; the issuer with a slash, another endpoint, the mTLS alias on plain HTTP do not', async () => {
    const clientId = 'pkjwt-es256';
    const key = await privateKey('p256.pkcs8.pem');
    const sign = (aud) => assertion(clientId, key, 'ES256', { aud });
    for (const aud of [ISSUER, `${ISSUER}/token`, [`${ISSUER}/token`, 'https://elsewhere.example']]) {
      // eslint-disable-next-line no-await-in-loop
      await expectToken(await clientCredentials(clientId, await sign(aud)), `aud ${aud}`);
    }
    for (const aud of [`${ISSUER}/`, `${ISSUER}/token/introspection`, `${MTLS}/token`, 'https://elsewhere.example']) {
      // eslint-disable-next-line no-await-in-loop
      expectInvalidClient(await clientCredentials(clientId, await sign(aud)), `aud ${aud}`);
    }
    // At revocation, its own URL is accepted too.
    const revoke = await post(`${ISSUER}/token/revocation`, {
      token: 'unknown', client_assertion_type: ASSERTION_TYPE, client_assertion: await sign(`${ISSUER}/token/revocation`),
    });
    equal(revoke.status, 200, `revocation with aud = its URL (body ${JSON.stringify(revoke.body)})`);
  });

  await check('oidc-provider refuses a client assertion sent twice (jti replay)', async () => {
    const clientId = await cloneOf('pkjwt-es256');
    const jwt = await assertion(clientId, await privateKey('p256.pkcs8.pem'), 'ES256');
    await expectToken(await clientCredentials(clientId, jwt), 'first use');
    expectInvalidClient(await clientCredentials(clientId, jwt), 'second use');
    const records = (await getJson('/test/client-assertions', { client_id: clientId })).body;
    equal(records.map((r) => [r.status, r.error ?? null, r.error_detail ?? null]), [
      [200, null, null],
      [401, 'invalid_client', 'client assertion tokens must only be used once'],
    ], 'the records');
  });

  await check('/test/fail-next: the failed assertion is recorded and spent, a new one passes', async () => {
    const clientId = await cloneOf('pkjwt-es256');
    const armed = await getJson('/test/fail-next', {
      client_id: clientId, path: '/token', status: 503, count: 1,
    });
    equal(armed.status, 200, '/test/fail-next');
    const key = await privateKey('p256.pkcs8.pem');
    const first = await assertion(clientId, key, 'ES256');
    const failedAnswer = await clientCredentials(clientId, first);
    equal([failedAnswer.status, failedAnswer.headers.get('retry-after'), failedAnswer.body.error], [503, '0', 'temporarily_unavailable'], 'the injected failure');
    expectInvalidClient(await clientCredentials(clientId, first), 'the same assertion again');
    await expectToken(await clientCredentials(clientId, await assertion(clientId, key, 'ES256')), 'a new assertion');
    const records = (await getJson('/test/client-assertions', { client_id: clientId })).body;
    equal(records.map((r) => [r.path, r.status, Boolean(r.injected)]), [
      ['/token', 503, true], ['/token', 401, false], ['/token', 200, false],
    ], 'the records');
    equal(records[0].payload.jti, records[1].payload.jti, 'the resent jti');
    expect(records[2].payload.jti !== records[0].payload.jti, 'a new jti');
    equal(records[1].error_detail, 'client assertion tokens must only be used once', 'the refusal');
  });

  await check('tls_client_auth (curl): a token bound to the client certificate, opaque and JWT', async () => {
    const form = { grant_type: 'client_credentials', client_id: 'mtls-pki' };
    const pki = { cert: 'client.crt.pem', key: 'client.key.pem' };
    const opaque = await expectToken(await curl(`${MTLS}/token`, form, pki), 'opaque');
    equal((await tokenInfo(opaque)).cnf, { 'x5t#S256': x5tS256('client.crt.pem') }, 'cnf');
    const jwt = await expectToken(await curl(`${MTLS}/token`, { ...form, resource: 'urn:api:rs256' }, pki), 'JWT');
    equal((await tokenInfo(jwt)).payload.cnf, { 'x5t#S256': x5tS256('client.crt.pem') }, 'cnf');
    const chain = await curl(`${MTLS}/token`, form, { cert: 'client-chain.pem', key: 'client.key.pem' });
    await expectToken(chain, 'with the chain file');
    const introspection = await curl(`${MTLS}/token/introspection`, { token: opaque, client_id: 'mtls-pki' }, pki);
    equal([introspection.status, introspection.body.active, introspection.body.cnf], [200, true, { 'x5t#S256': x5tS256('client.crt.pem') }], 'introspection');
  });

  await check('tls_client_auth refuses an expired certificate, another subject, a self-signed one, none, and plain HTTP', async () => {
    const form = { grant_type: 'client_credentials', client_id: 'mtls-pki' };
    for (const cert of ['client-expired.crt.pem', 'client-other.crt.pem']) {
      // eslint-disable-next-line no-await-in-loop
      expectInvalidClient(await curl(`${MTLS}/token`, form, { cert, key: 'client.key.pem' }), cert);
    }
    expectInvalidClient(await curl(`${MTLS}/token`, form, { cert: 'self-signed.crt.pem', key: 'self-signed.key.pem' }), 'self-signed');
    const none = await curl(`${MTLS}/token`, form);
    expectInvalidClient(none, 'no certificate');
    expect(none.body.error_description.includes('no client certificate'), `description: ${none.body.error_description}`);
    expectInvalidClient(await post(`${ISSUER}/token`, form), 'plain HTTP');
  });

  await check('self_signed_tls_client_auth (curl): its certificate, bound; another refused', async () => {
    const form = { grant_type: 'client_credentials', client_id: 'mtls-self-signed' };
    const token = await expectToken(await curl(`${MTLS}/token`, form, { cert: 'self-signed.crt.pem', key: 'self-signed.key.pem' }), 'self-signed');
    equal((await tokenInfo(token)).cnf, { 'x5t#S256': x5tS256('self-signed.crt.pem') }, 'cnf');
    expectInvalidClient(await curl(`${MTLS}/token`, form, { cert: 'client.crt.pem', key: 'client.key.pem' }), 'the CA-signed certificate');
  });

  await check('private_key_jwt over mTLS (curl): aud the mTLS alias, a token bound to the RSA certificate; none on plain HTTP', async () => {
    const clientId = await cloneOf('pkjwt-mtls');
    const rsa = await privateKey('rsa.pkcs8.pem');
    const tls = { cert: 'rsa.crt.pem', key: 'rsa.pkcs8.pem' };
    const form = async (aud) => ({
      grant_type: 'client_credentials',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await assertion(clientId, rsa, 'RS256', { aud, header: { 'x5t#S256': x5tS256('rsa.crt.pem') } }),
    });
    const token = await expectToken(await curl(`${MTLS}/token`, await form(`${MTLS}/token`), tls), 'mTLS alias');
    equal((await tokenInfo(token)).cnf, { 'x5t#S256': x5tS256('rsa.crt.pem') }, 'cnf');
    await expectToken(await curl(`${MTLS}/token`, await form(ISSUER), tls), 'aud the issuer');
    expectInvalidClient(await curl(`${MTLS}/token`, await form(`${ISSUER}/token`), tls), 'aud the plain token endpoint');
    const plain = await clientCredentials(clientId, (await form(`${ISSUER}/token`)).client_assertion);
    equal([plain.status, plain.body.error], [400, 'invalid_grant'], `plain HTTP (body ${JSON.stringify(plain.body)})`);
    const records = (await getJson('/test/client-assertions', { client_id: clientId })).body;
    equal(records.map((r) => [r.listener, r.certificate?.['x5t#S256'] ?? null, r.status]), [
      ['mtls', x5tS256('rsa.crt.pem'), 200],
      ['mtls', x5tS256('rsa.crt.pem'), 200],
      ['mtls', x5tS256('rsa.crt.pem'), 401],
      ['http', null, 400],
    ], 'the records');
  });

  await check('mtls-pki signs a user in: code exchange and refresh over mTLS, tokens bound', async () => {
    const verifier = crypto.randomBytes(32).toString('base64url');
    const challenge = crypto.hash('sha256', verifier, 'base64url');
    const redirect = 'http://127.0.0.1:9/callback';
    const { status, body } = await getJson('/test/authorize', {
      client_id: 'mtls-pki', redirect_uri: redirect, scope: 'openid offline_access api:read', code_challenge: challenge, code_challenge_method: 'S256',
    });
    equal(status, 200, `/test/authorize (body ${JSON.stringify(body)})`);
    const pki = { cert: 'client.crt.pem', key: 'client.key.pem' };
    const tokens = await curl(`${MTLS}/token`, {
      grant_type: 'authorization_code', code: body.code, redirect_uri: redirect, code_verifier: verifier, client_id: 'mtls-pki',
    }, pki);
    const access = await expectToken(tokens, 'code exchange');
    equal((await tokenInfo(access)).cnf, { 'x5t#S256': x5tS256('client.crt.pem') }, 'cnf');
    const refreshed = await curl(`${MTLS}/token`, {
      grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token, client_id: 'mtls-pki',
    }, pki);
    await expectToken(refreshed, 'refresh');
  });

  if (failed) {
    console.log(`${failed} check(s) failed`);
    process.exit(1);
  }
}

main().catch((err) => {
  console.log(`not ok - selftest: ${err.stack || err}`);
  process.exit(1);
});
