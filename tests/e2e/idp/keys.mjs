// Completes the e2e key material that the Rust harness made with the openssl command
// (tests/it/support/keys.rs) in the directory named by its one argument, before it starts
// server.mjs on that directory. See README.md here ("Keys").
//
// Reads the PKCS#8 private keys and the certificates, and writes (mode 0600):
// - p256.jwk.json: the P-256 key as a private JWK with kid `e2e-p256` (not its RFC 7638
//   thumbprint, so that a test sees which kid a client chose); p256.jwks.json: a JWK Set of that
//   one key;
// - public.json: what the server registers for its clients and what the tests compare with:
//   { "keys": { "<name>": { "jwk": <public JWK>, "thumbprint": <RFC 7638> } },
//     "p256_jwk_kid": "e2e-p256",
//     "service_account": { "client_email": …, "private_key_id": <40 hex digits> },
//     "certs": { "<name>": { "x5c": [<base64 DER>], "x5t#S256": …, "x5t": …, "subject": <RFC 4514> } } }
// The service account's JSON key itself names the token endpoint, so the harness writes it once
// the server has told it its issuer.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

import * as jose from 'jose';

export const P256_JWK_KID = 'e2e-p256';
export const SERVICE_ACCOUNT_EMAIL = 'sa@e2e.iam.gserviceaccount.com';

// name → [PKCS#8 file, a JWS algorithm the key signs with (jose's import wants one)].
const KEYS = {
  rsa: ['rsa.pkcs8.pem', 'RS256'],
  p256: ['p256.pkcs8.pem', 'ES256'],
  p384: ['p384.pkcs8.pem', 'ES384'],
  ed25519: ['ed25519.pkcs8.pem', 'EdDSA'],
};

const CERTS = {
  ca: 'ca.crt.pem',
  rsa: 'rsa.crt.pem',
  client: 'client.crt.pem',
  client_expired: 'client-expired.crt.pem',
  client_other: 'client-other.crt.pem',
  self_signed: 'self-signed.crt.pem',
};

// RFC 4514 string of a node:crypto X509Certificate's subject (or issuer), which node gives one
// attribute a line in the order of the certificate's RDNSequence: RFC 4514 starts from the last.
export function rfc4514(name) {
  return name.split('\n').filter(Boolean).reverse().join(',');
}

export function certificateInfo(pem) {
  const cert = new crypto.X509Certificate(pem);
  return {
    x5c: [cert.raw.toString('base64')],
    'x5t#S256': crypto.hash('sha256', cert.raw, 'base64url'),
    x5t: crypto.hash('sha1', cert.raw, 'base64url'),
    subject: rfc4514(cert.subject),
  };
}

async function main() {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: node keys.mjs DIR');
  const read = (name) => fs.readFileSync(path.join(dir, name), 'utf8');
  const write = (name, value) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
    fs.chmodSync(file, 0o600);
  };

  const keys = {};
  let p256Private;
  for (const [name, [file, alg]] of Object.entries(KEYS)) {
    // eslint-disable-next-line no-await-in-loop
    const key = await jose.importPKCS8(read(file), alg, { extractable: true });
    // eslint-disable-next-line no-await-in-loop
    const { d, p, q, dp, dq, qi, ...jwk } = await jose.exportJWK(key);
    // eslint-disable-next-line no-await-in-loop
    keys[name] = { jwk, thumbprint: await jose.calculateJwkThumbprint(jwk) };
    if (name === 'p256') {
      p256Private = {
        ...jwk, d, kid: P256_JWK_KID,
      };
    }
  }
  write('p256.jwk.json', p256Private);
  write('p256.jwks.json', { keys: [p256Private] });

  const certs = {};
  for (const [name, file] of Object.entries(CERTS)) certs[name] = certificateInfo(read(file));

  write('public.json', {
    keys,
    p256_jwk_kid: P256_JWK_KID,
    service_account: {
      client_email: SERVICE_ACCOUNT_EMAIL,
      private_key_id: crypto.randomBytes(20).toString('hex'),
    },
    certs,
  });
}

// Run as a script (the harness does), not when server.mjs imports the helpers above.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error('keys.mjs:', err);
    process.exit(1);
  });
}
