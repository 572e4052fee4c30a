//! A strict DPoP protected resource (RFC 9449) on the loopback stub: it accepts a request only
//! when it carries a DPoP-bound access token and a proof that passes every check RFC 9449 §4.3
//! and §7.1 ask of a resource server, and it records why it refused each one that does not.
//!
//! The checks are independent of oauthctl's own code, so a test cannot pass because both sides
//! share a mistake: signatures are verified with `ring::signature` directly, `ath` is hashed with
//! `sha2`, and the RFC 7638 thumbprint is computed here from the key's required members.
//!
//! Use: `ResourceServer::start(resolver)`, where the resolver maps an access token to its
//! `cnf.jkt` (RFC 9449 §6), or `None` for a token the server does not know; [`jwt_cnf_jkt`] reads
//! it from a JWT access token's payload, and a test may ask any other source (an authorization
//! server's token information, a fixed table). `.with_nonce(n)` makes the server demand its own
//! nonce (RFC 9449 §9). Address it by [`ResourceServer::url`]: `htu` is compared with this
//! server's own origin and the request's path. [`ResourceServer::verdicts`] lists, per request,
//! whether it was accepted and the reason: one of the constants in [`reason`].
//!
//! Answers: 200 with `{"ok":true,"jkt":…}`; otherwise 401 with `WWW-Authenticate: DPoP`, whose
//! `error` is `invalid_dpop_proof` for the proof, `invalid_token` for the token and its binding,
//! `use_dpop_nonce` (with a `DPoP-Nonce` header) for the nonce, and absent when the request
//! carries no credentials at all (RFC 6750 §3.1).

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde_json::{Map, Value, json};
use sha2::Digest as _;

use crate::support::server::{Recorded, Reply, StubServer};

/// How far `iat` may be from the server's clock, either way (RFC 9449 §4.3 check 11 leaves the
/// window to the server; §11.1 asks for a short one).
pub const IAT_WINDOW_SECS: f64 = 60.0;

/// The algorithms the server accepts, as it announces them in `algs` (RFC 9449 §7.1): asymmetric
/// ones only, never `none` or a MAC (§4.3 check 5).
const ALGS: [&str; 9] = [
    "ES256", "ES384", "EdDSA", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
];

/// JWK members that hold private or symmetric key material (RFC 7518 §6.2.2, §6.3.2, §6.4;
/// RFC 8037 §2): none may be in a proof's `jwk` (RFC 9449 §4.3 check 7).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Why a request was accepted or refused: the `reason` of its [`Verdict`] and the
/// `error_description` of the refusal.
pub mod reason {
    pub const ACCEPTED: &str = "accepted";
    /// RFC 6750 §3.1: no credentials at all; the challenge names no error.
    pub const NO_AUTHORIZATION: &str = "no Authorization header";
    pub const AUTHORIZATION_COUNT: &str = "more than one Authorization header";
    /// RFC 9449 §7.2: a DPoP-bound token presented as a bearer token.
    pub const BEARER_SCHEME: &str = "Bearer scheme for a DPoP-bound token";
    pub const NOT_DPOP_SCHEME: &str = "Authorization scheme is not DPoP";
    /// RFC 9449 §7.1: the token is `token68` (RFC 9110 §11.2).
    pub const MALFORMED_TOKEN: &str = "access token is not token68";
    pub const NO_PROOF: &str = "no DPoP header";
    pub const PROOF_COUNT: &str = "more than one DPoP header";
    pub const MALFORMED_PROOF: &str = "proof is not a JWS compact JWT";
    pub const TYP: &str = "typ is not dpop+jwt";
    pub const ALG: &str = "alg is not a supported asymmetric algorithm";
    pub const JWK_PRIVATE: &str = "jwk holds private key members";
    pub const JWK_UNUSABLE: &str = "jwk is not a public key for alg";
    pub const SIGNATURE: &str = "signature does not verify with jwk";
    pub const CLAIM_MISSING: &str = "jti, htm, htu or iat missing or mistyped";
    pub const JTI_REPLAYED: &str = "jti replayed";
    pub const HTM: &str = "htm does not match the method";
    pub const HTU: &str = "htu does not match the URL";
    pub const IAT: &str = "iat outside the window";
    pub const NONCE_MISSING: &str = "nonce missing";
    pub const NONCE_WRONG: &str = "nonce is not the current one";
    pub const ATH_MISSING: &str = "ath missing";
    pub const ATH: &str = "ath does not match the access token";
    pub const UNKNOWN_TOKEN: &str = "access token unknown to the resolver";
    /// RFC 9449 §7.1: the proof's key is not the one the token is bound to.
    pub const JKT: &str = "proof key is not the token's cnf.jkt";
}

/// What the server decided about one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub method: String,
    /// The request's path, without its query.
    pub path: String,
    pub accepted: bool,
    /// One of the constants in [`reason`].
    pub reason: String,
}

type Resolver = dyn Fn(&str) -> Option<String> + Send + Sync;

struct State {
    resolver: Box<Resolver>,
    /// `http://127.0.0.1:PORT`, set once the stub has its address.
    origin: OnceLock<String>,
    nonce: Mutex<Option<String>>,
    seen_jti: Mutex<HashSet<String>>,
    verdicts: Mutex<Vec<Verdict>>,
}

/// A running DPoP resource server; it stops when dropped.
pub struct ResourceServer {
    stub: StubServer,
    state: Arc<State>,
}

impl ResourceServer {
    /// `resolver` maps an access token to the `cnf.jkt` it is bound to, or `None` for a token
    /// the server does not know.
    pub fn start<F>(resolver: F) -> ResourceServer
    where
        F: Fn(&str) -> Option<String> + Send + Sync + 'static,
    {
        let state = Arc::new(State {
            resolver: Box::new(resolver),
            origin: OnceLock::new(),
            nonce: Mutex::new(None),
            seen_jti: Mutex::new(HashSet::new()),
            verdicts: Mutex::new(Vec::new()),
        });
        let handler_state = Arc::clone(&state);
        let stub = StubServer::start(move |request| answer(&handler_state, request));
        state.origin.set(stub.url("")).expect("origin is set once");
        ResourceServer { stub, state }
    }

    /// From now on every proof must carry `nonce` (RFC 9449 §9).
    pub fn with_nonce(self, nonce: &str) -> ResourceServer {
        *self.state.nonce.lock().unwrap() = Some(nonce.to_owned());
        self
    }

    /// `path` is appended verbatim, so it may carry a query.
    pub fn url(&self, path: &str) -> String {
        self.stub.url(path)
    }

    /// The loopback address it listens on, for a client that writes its own requests.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.stub.addr()
    }

    /// One verdict per request, in the order they were answered.
    pub fn verdicts(&self) -> Vec<Verdict> {
        self.state.verdicts.lock().unwrap().clone()
    }
}

/// A resolver for JWT access tokens: the `cnf.jkt` of the payload (RFC 9449 §6.1), read without
/// checking the token's own signature (the issuer's business, not the binding's).
pub fn jwt_cnf_jkt(token: &str) -> Option<String> {
    let [_, payload, _] = token.split('.').collect::<Vec<_>>()[..] else {
        return None;
    };
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    Some(claims.get("cnf")?.get("jkt")?.as_str()?.to_owned())
}

/// Why a request is refused, and how the challenge says it.
struct Refusal {
    /// The `error` of the challenge; `None` when the request has no credentials.
    error: Option<&'static str>,
    reason: &'static str,
}

fn proof_error(reason: &'static str) -> Refusal {
    Refusal {
        error: Some("invalid_dpop_proof"),
        reason,
    }
}

fn token_error(reason: &'static str) -> Refusal {
    Refusal {
        error: Some("invalid_token"),
        reason,
    }
}

fn answer(state: &State, request: &Recorded) -> Reply {
    let outcome = check(state, request);
    let verdict = Verdict {
        method: request.method.clone(),
        path: request.path.clone(),
        accepted: outcome.is_ok(),
        reason: outcome
            .as_ref()
            .err()
            .map_or(reason::ACCEPTED, |r| r.reason)
            .into(),
    };
    state.verdicts.lock().unwrap().push(verdict);
    let refusal = match outcome {
        Ok(jkt) => return Reply::json(200, &json!({"ok": true, "jkt": jkt}).to_string()),
        Err(refusal) => refusal,
    };
    let algs = ALGS.join(" ");
    let challenge = match refusal.error {
        Some(error) => format!(
            "DPoP error=\"{error}\", error_description=\"{}\", algs=\"{algs}\"",
            refusal.reason
        ),
        None => format!("DPoP algs=\"{algs}\""),
    };
    let body = json!({"ok": false, "reason": refusal.reason}).to_string();
    let reply = Reply::json(401, &body).with_header("WWW-Authenticate", &challenge);
    match (refusal.error, &*state.nonce.lock().unwrap()) {
        (Some("use_dpop_nonce"), Some(nonce)) => reply.with_header("DPoP-Nonce", nonce),
        _ => reply,
    }
}

/// The checks of RFC 9449 §7.1 and §4.3 (numbered as there); the thumbprint of the proof's key
/// when all pass. They run in the RFC's order except where a comment says why.
fn check(state: &State, request: &Recorded) -> Result<String, Refusal> {
    let token = access_token(request)?;

    // 1: exactly one DPoP header.
    let proof = match request.header_count("dpop") {
        0 => return Err(proof_error(reason::NO_PROOF)),
        1 => request.header("dpop").unwrap_or_default(),
        _ => return Err(proof_error(reason::PROOF_COUNT)),
    };
    // 2: a well-formed JWS compact serialisation (RFC 7515 §7.1) of a JWT.
    let jws = Jws::parse(proof).ok_or(proof_error(reason::MALFORMED_PROOF))?;
    // 4: `typ` (a media type, compared without regard to case: RFC 7515 §4.1.9).
    let typ = jws.header.get("typ").and_then(Value::as_str);
    if !typ.is_some_and(|typ| typ.eq_ignore_ascii_case("dpop+jwt")) {
        return Err(proof_error(reason::TYP));
    }
    // 5: an asymmetric algorithm the server supports.
    let alg = jws.header.get("alg").and_then(Value::as_str);
    let alg = alg.filter(|alg| ALGS.contains(alg));
    let alg = alg.ok_or(proof_error(reason::ALG))?;
    // 7 before 6, so that a key with private members is named as such, whatever its signature.
    let jwk = jws.header.get("jwk").and_then(Value::as_object);
    let jwk = jwk.ok_or(proof_error(reason::JWK_UNUSABLE))?;
    if PRIVATE_MEMBERS.iter().any(|name| jwk.contains_key(*name)) {
        return Err(proof_error(reason::JWK_PRIVATE));
    }
    // 6: the signature verifies with the key in the header.
    let key = PublicKey::from_jwk(alg, jwk).ok_or(proof_error(reason::JWK_UNUSABLE))?;
    if !key.verifies(jws.signing_input.as_bytes(), &jws.signature) {
        return Err(proof_error(reason::SIGNATURE));
    }
    // 3 after 6, so that only a proof whose signature is good spends its `jti`.
    let claim = |name| jws.claims.get(name);
    let jti = claim("jti")
        .and_then(Value::as_str)
        .filter(|j| !j.is_empty());
    let htm = claim("htm").and_then(Value::as_str);
    let htu = claim("htu").and_then(Value::as_str);
    let iat = claim("iat").and_then(Value::as_f64);
    let (Some(jti), Some(htm), Some(htu), Some(iat)) = (jti, htm, htu, iat) else {
        return Err(proof_error(reason::CLAIM_MISSING));
    };
    // §11.1: a proof is used once.
    if !state.seen_jti.lock().unwrap().insert(jti.to_owned()) {
        return Err(proof_error(reason::JTI_REPLAYED));
    }
    // 8: the method, compared with case (RFC 9110 §9.1).
    if htm != request.method {
        return Err(proof_error(reason::HTM));
    }
    // 9: the URI, without query and fragment, after RFC 3986 §6.2.2 and §6.2.3 normalisation.
    let origin = state.origin.get().expect("origin is set at start");
    let expected = normal_url(&format!("{origin}{}", request.path));
    if expected.is_none() || normal_url(htu) != expected {
        return Err(proof_error(reason::HTU));
    }
    // 10: the server's nonce, when it asks for one (§9).
    if let Some(nonce) = &*state.nonce.lock().unwrap() {
        let error = Some("use_dpop_nonce");
        match claim("nonce").and_then(Value::as_str) {
            None => {
                return Err(Refusal {
                    error,
                    reason: reason::NONCE_MISSING,
                });
            }
            Some(sent) if sent != nonce => {
                return Err(Refusal {
                    error,
                    reason: reason::NONCE_WRONG,
                });
            }
            Some(_) => {}
        }
    }
    // 11: issued recently, and not in the future beyond the same window.
    if (iat - now()).abs() > IAT_WINDOW_SECS {
        return Err(proof_error(reason::IAT));
    }
    // 12: the hash of the access token the request presents.
    let ath = claim("ath").and_then(Value::as_str);
    let ath = ath.ok_or(proof_error(reason::ATH_MISSING))?;
    if ath != URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(token.as_bytes())) {
        return Err(proof_error(reason::ATH));
    }
    // 12 and §6: the token is bound to the proof's key.
    let bound = (state.resolver)(token).ok_or(token_error(reason::UNKNOWN_TOKEN))?;
    let jkt = thumbprint(jwk).ok_or(proof_error(reason::JWK_UNUSABLE))?;
    if bound != jkt {
        return Err(token_error(reason::JKT));
    }
    Ok(jkt)
}

/// The token of the one `Authorization: DPoP` header (RFC 9449 §7.1).
fn access_token(request: &Recorded) -> Result<&str, Refusal> {
    let value = match request.header_count("authorization") {
        0 => {
            let reason = reason::NO_AUTHORIZATION;
            return Err(Refusal {
                error: None,
                reason,
            });
        }
        1 => request.header("authorization").unwrap_or_default(),
        _ => return Err(token_error(reason::AUTHORIZATION_COUNT)),
    };
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    // Auth schemes are compared without regard to case (RFC 9110 §11.1).
    if scheme.eq_ignore_ascii_case("bearer") {
        return Err(token_error(reason::BEARER_SCHEME));
    }
    if !scheme.eq_ignore_ascii_case("dpop") {
        return Err(token_error(reason::NOT_DPOP_SCHEME));
    }
    // token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
    let token = token.trim_start_matches(' ');
    let body = token.trim_end_matches('=');
    let token68 = |c: char| c.is_ascii_alphanumeric() || "-._~+/".contains(c);
    if body.is_empty() || !body.chars().all(token68) {
        return Err(token_error(reason::MALFORMED_TOKEN));
    }
    Ok(token)
}

/// A JWS in compact serialisation whose header and payload are JSON objects.
struct Jws {
    header: Map<String, Value>,
    claims: Map<String, Value>,
    signing_input: String,
    signature: Vec<u8>,
}

impl Jws {
    fn parse(text: &str) -> Option<Jws> {
        let [header, payload, signature] = text.split('.').collect::<Vec<_>>()[..] else {
            return None;
        };
        // base64url without padding and with no stray bits (RFC 7515 §2), which this engine
        // insists on.
        let object = |part: &str| match serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?)
        {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        };
        Some(Jws {
            header: object(header)?,
            claims: object(payload)?,
            signing_input: format!("{header}.{payload}"),
            signature: URL_SAFE_NO_PAD.decode(signature).ok()?,
        })
    }
}

/// A proof's key, as ring takes it for the proof's `alg` (RFC 7518 §3, RFC 8037 §3.1).
enum PublicKey {
    Ecdsa(&'static signature::EcdsaVerificationAlgorithm, Vec<u8>),
    Ed25519(Vec<u8>),
    Rsa(&'static signature::RsaParameters, Vec<u8>, Vec<u8>),
}

impl PublicKey {
    /// `None` when the JWK is not a key of the type and curve `alg` signs with.
    fn from_jwk(alg: &str, jwk: &Map<String, Value>) -> Option<PublicKey> {
        let text = |name: &str| jwk.get(name).and_then(Value::as_str);
        let bytes = |name: &str| URL_SAFE_NO_PAD.decode(text(name)?).ok();
        let ec = |crv: &str, size: usize, verify| {
            let (x, y) = (bytes("x")?, bytes("y")?);
            let fits = text("kty") == Some("EC") && text("crv") == Some(crv);
            let fits = fits && x.len() == size && y.len() == size;
            // The uncompressed SEC1 point (SEC 1 §2.3.3).
            fits.then(|| PublicKey::Ecdsa(verify, [&[4][..], &x, &y].concat()))
        };
        let rsa = |params| {
            let fits = text("kty") == Some("RSA");
            fits.then(|| Some(PublicKey::Rsa(params, bytes("n")?, bytes("e")?)))?
        };
        match alg {
            "ES256" => ec("P-256", 32, &signature::ECDSA_P256_SHA256_FIXED),
            "ES384" => ec("P-384", 48, &signature::ECDSA_P384_SHA384_FIXED),
            "EdDSA" => {
                let fits = text("kty") == Some("OKP") && text("crv") == Some("Ed25519");
                let x = bytes("x").filter(|x| fits && x.len() == 32)?;
                Some(PublicKey::Ed25519(x))
            }
            "RS256" => rsa(&signature::RSA_PKCS1_2048_8192_SHA256),
            "RS384" => rsa(&signature::RSA_PKCS1_2048_8192_SHA384),
            "RS512" => rsa(&signature::RSA_PKCS1_2048_8192_SHA512),
            "PS256" => rsa(&signature::RSA_PSS_2048_8192_SHA256),
            "PS384" => rsa(&signature::RSA_PSS_2048_8192_SHA384),
            "PS512" => rsa(&signature::RSA_PSS_2048_8192_SHA512),
            _ => None,
        }
    }

    fn verifies(&self, message: &[u8], sig: &[u8]) -> bool {
        match self {
            PublicKey::Ecdsa(alg, point) => UnparsedPublicKey::new(*alg, point)
                .verify(message, sig)
                .is_ok(),
            PublicKey::Ed25519(x) => UnparsedPublicKey::new(&signature::ED25519, x)
                .verify(message, sig)
                .is_ok(),
            PublicKey::Rsa(params, n, e) => RsaPublicKeyComponents { n, e }
                .verify(params, message, sig)
                .is_ok(),
        }
    }
}

/// RFC 7638: base64url of the SHA-256 of the JSON object of the members `kty` requires (§3.2),
/// in lexicographic order and without whitespace (§3.3).
pub fn thumbprint(jwk: &Map<String, Value>) -> Option<String> {
    let required: &[&str] = match jwk.get("kty")?.as_str()? {
        "EC" => &["crv", "kty", "x", "y"],
        "OKP" => &["crv", "kty", "x"],
        "RSA" => &["e", "kty", "n"],
        _ => return None,
    };
    let mut members = Vec::new();
    for name in required {
        let value = serde_json::to_string(jwk.get(*name)?.as_str()?).ok()?;
        members.push(format!("\"{name}\":{value}"));
    }
    let json = format!("{{{}}}", members.join(","));
    Some(URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(json.as_bytes())))
}

/// `scheme://host[:port]/path` of an absolute http(s) URL, without query and fragment, after the
/// normalisations of RFC 3986 §6.2.2 (case of scheme and host, percent-encoding of unreserved
/// characters and case of its hex digits) and §6.2.3 (default port, empty path); `None` when it
/// is not such a URL.
fn normal_url(url: &str) -> Option<String> {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    let (scheme, rest) = url[..end].split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match &*scheme {
        "http" => "80",
        "https" => "443",
        _ => return None,
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if authority.contains('@') {
        return None;
    }
    // An IPv6 literal holds colons of its own (RFC 3986 §3.2.2).
    let port_at = match authority.rfind(']') {
        Some(close) => authority[close..].find(':').map(|at| close + at),
        None => authority.rfind(':'),
    };
    let (host, port) = match port_at {
        Some(at) => (&authority[..at], &authority[at + 1..]),
        None => (authority, ""),
    };
    if host.is_empty() || !port.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    // An empty port is the default port, and the default port is left out (RFC 3986 §6.2.3).
    let port = match port {
        "" => String::new(),
        digits => match digits.parse::<u16>().ok()? {
            n if n.to_string() == default_port => String::new(),
            n => format!(":{n}"),
        },
    };
    let path = if path.is_empty() { "/" } else { path };
    let host = host.to_ascii_lowercase();
    Some(format!("{scheme}://{host}{port}{}", normal_path(path)?))
}

/// Percent-encoded unreserved characters decoded, other escapes in upper case (RFC 3986
/// §6.2.2.1 and §6.2.2.2); `None` on a malformed escape.
fn normal_path(path: &str) -> Option<String> {
    let mut out = String::with_capacity(path.len());
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let hex: String = chars.by_ref().take(2).collect();
        let byte = u8::from_str_radix(&hex, 16)
            .ok()
            .filter(|_| hex.len() == 2)?;
        let unreserved = byte.is_ascii_alphanumeric() || b"-._~".contains(&byte);
        match unreserved {
            true => out.push(char::from(byte)),
            false => out.push_str(&format!("%{byte:02X}")),
        }
    }
    Some(out)
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs_f64()
}

/// The server's own tests: each check is shown to refuse what it must, with its reason, next to a
/// request that passes, and the whole is driven once by real curl.
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::process::{Command, Stdio};
    use std::time::Duration;

    use oauthctl::dpop::{self, ProofFor};
    use oauthctl::keys::Alg;
    use oauthctl::keys::signing::{SigningKey, generate};

    use super::*;
    use crate::support::common;

    /// A DPoP client: its key, and an access token bound to that key by `cnf.jkt`.
    struct Client {
        key: SigningKey,
        alg: Alg,
        token: String,
    }

    impl Client {
        fn new(alg: Alg) -> Client {
            let (key, _) = generate(alg).unwrap();
            let token = Client::token_for(&key);
            Client { key, alg, token }
        }

        /// A JWT access token as an authorization server would issue it for `key` (RFC 9449
        /// §6.1); its own signature is junk, which the resource server does not look at.
        fn token_for(key: &SigningKey) -> String {
            common::jwt(json!({"sub": "c1", "cnf": {"jkt": key.thumbprint()}}))
        }

        /// A proof from the library, issued now, for the client's own token.
        fn proof(&self, method: &str, url: &str, nonce: Option<&str>) -> String {
            let request = ProofFor {
                method,
                url,
                nonce,
                access_token: Some(&self.token),
            };
            self.proof_for(request, common::now())
        }

        fn proof_for(&self, request: ProofFor<'_>, iat: i64) -> String {
            let proof = dpop::proof(&self.key, self.alg, request, iat as u64).unwrap();
            proof.expose().to_owned()
        }

        /// `proof` with its header and claims edited, signed again by the client's key.
        fn resign(&self, proof: &str, edit: impl FnOnce(&mut Value, &mut Value)) -> String {
            let part = |n: usize| -> Value {
                let text = proof.split('.').nth(n).unwrap();
                serde_json::from_slice(&URL_SAFE_NO_PAD.decode(text).unwrap()).unwrap()
            };
            let (mut header, mut claims) = (part(0), part(1));
            edit(&mut header, &mut claims);
            let encode = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
            let input = format!("{}.{}", encode(&header), encode(&claims));
            let signature = self.key.sign(self.alg, input.as_bytes()).unwrap();
            format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
        }

        /// The two lines `oauthctl fetch -o header` prints.
        fn headers(&self, proof: &str) -> Vec<(String, String)> {
            vec![
                ("Authorization".into(), format!("DPoP {}", self.token)),
                ("DPoP".into(), proof.into()),
            ]
        }
    }

    #[derive(Debug)]
    struct Answer {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    }

    impl Answer {
        fn header(&self, name: &str) -> Option<&str> {
            let (_, value) = self
                .headers
                .iter()
                .find(|h| h.0.eq_ignore_ascii_case(name))?;
            Some(value)
        }
    }

    /// One request with exactly these header fields (and Host), on a fresh connection.
    fn send(
        server: &ResourceServer,
        method: &str,
        path: &str,
        fields: &[(String, String)],
    ) -> Answer {
        let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", server.addr());
        for (name, value) in fields {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        let mut stream = TcpStream::connect(server.addr()).expect("connect to the resource server");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").expect("a response head");
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers = lines.map(|line| line.split_once(": ").unwrap());
        let headers = headers.map(|(n, v)| (n.to_owned(), v.to_owned())).collect();
        let body = body.to_owned();
        Answer {
            status,
            headers,
            body,
        }
    }

    fn assert_accepted(server: &ResourceServer, answer: &Answer, client: &Client) {
        assert_eq!(answer.status, 200, "{answer:?} {:?}", server.verdicts());
        let body: Value = serde_json::from_str(&answer.body).unwrap();
        assert_eq!(body, json!({"ok": true, "jkt": client.key.thumbprint()}));
        let verdict = server.verdicts().pop().unwrap();
        assert!(verdict.accepted, "{verdict:?}");
        assert_eq!(verdict.reason, reason::ACCEPTED);
    }

    /// A 401 whose challenge names `error` and `reason`, and the verdict that says why.
    fn assert_refused(server: &ResourceServer, answer: &Answer, error: &str, reason: &str) {
        assert_eq!(answer.status, 401, "{answer:?}");
        let challenge = answer.header("WWW-Authenticate").unwrap();
        let expected = format!("DPoP error=\"{error}\", error_description=\"{reason}\", algs=");
        assert!(challenge.starts_with(&expected), "{challenge}");
        let verdict = server.verdicts().pop().unwrap();
        assert!(!verdict.accepted, "{verdict:?}");
        assert_eq!(verdict.reason, reason);
    }

    #[test]
    fn a_proof_of_the_tokens_key_is_accepted_with_each_algorithm() {
        let server = ResourceServer::start(jwt_cnf_jkt);
        // One RSA key (a new one takes a few hundred milliseconds here) signs both ways.
        let mut rsa = Client::new(Alg::RS256);
        let mut clients = [Client::new(Alg::ES256), Client::new(Alg::EdDSA)];
        for client in clients.iter_mut().chain([&mut rsa]) {
            let algs = match client.alg {
                Alg::RS256 => vec![Alg::RS256, Alg::PS256],
                alg => vec![alg],
            };
            for alg in algs {
                client.alg = alg;
                for (method, path) in [("GET", "/orders?page=2"), ("POST", "/orders")] {
                    let proof = client.proof(method, &server.url(path), None);
                    let answer = send(&server, method, path, &client.headers(&proof));
                    assert_accepted(&server, &answer, client);
                    let verdict = server.verdicts().pop().unwrap();
                    assert_eq!((&*verdict.method, &*verdict.path), (method, "/orders"));
                }
            }
        }
        assert_eq!(server.verdicts().len(), 8);
    }

    #[test]
    fn htu_is_compared_without_query_and_after_rfc_3986_normalisation() {
        let cases = [
            ("HTTP://LocalHost:80/a?b=1#c", Some("http://localhost/a")),
            ("https://h:443", Some("https://h/")),
            ("http://h:/x", Some("http://h/x")),
            ("http://h:8080/x#f", Some("http://h:8080/x")),
            ("http://h/%7e%2f%41", Some("http://h/~%2FA")),
            ("http://[::1]:8080/x", Some("http://[::1]:8080/x")),
            ("http://[::1]/x", Some("http://[::1]/x")),
            ("ftp://h/", None),
            ("http://user@h/", None),
            ("/x", None),
            ("http://h/%zz", None),
            ("http://h:99999/", None),
        ];
        for (url, normal) in cases {
            assert_eq!(normal_url(url).as_deref(), normal, "{url}");
        }

        let server = ResourceServer::start(jwt_cnf_jkt);
        let client = Client::new(Alg::ES256);
        let port = server.addr().port();
        let url = format!("HTTP://127.0.0.1:{port}/a/%7euser?x=1");
        let answer = send(
            &server,
            "GET",
            "/a/~user",
            &client.headers(&client.proof("GET", &url, None)),
        );
        assert_accepted(&server, &answer, &client);

        for url in [
            server.url("/a/other"),
            server.url("/a/~user/"),
            format!("https://127.0.0.1:{port}/a/~user"),
            format!("http://127.0.0.1:{}/a/~user", port.wrapping_add(1)),
        ] {
            let proof = client.proof("GET", &url, None);
            let answer = send(&server, "GET", "/a/~user", &client.headers(&proof));
            assert_refused(&server, &answer, "invalid_dpop_proof", reason::HTU);
        }
    }

    #[test]
    fn each_broken_proof_is_refused_with_its_reason() {
        let server = ResourceServer::start(jwt_cnf_jkt);
        let client = Client::new(Alg::ES256);
        let url = server.url("/r");
        let now = common::now();
        let good = || client.proof("GET", &url, None);
        let at = |iat| {
            let request = ProofFor {
                method: "GET",
                url: &url,
                nonce: None,
                access_token: Some(&client.token),
            };
            client.proof_for(request, iat)
        };
        let flipped = {
            let proof = good();
            let (input, signature) = proof.rsplit_once('.').unwrap();
            let mut signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
            signature[0] ^= 1;
            format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
        };
        let unsigned = {
            let proof = client.resign(&good(), |header, _| header["alg"] = json!("none"));
            format!("{}.", proof.rsplit_once('.').unwrap().0)
        };
        let ath_of = |token: Option<&str>| {
            let request = ProofFor {
                method: "GET",
                url: &url,
                nonce: None,
                access_token: token,
            };
            client.proof_for(request, now)
        };
        let cases = [
            ("wrong htm", client.proof("POST", &url, None), reason::HTM),
            ("stale iat", at(now - 600), reason::IAT),
            ("iat ahead", at(now + 600), reason::IAT),
            ("flipped signature byte", flipped, reason::SIGNATURE),
            (
                "typ JWT",
                client.resign(&good(), |header, _| header["typ"] = json!("JWT")),
                reason::TYP,
            ),
            ("alg none", unsigned, reason::ALG),
            (
                "alg HS256",
                client.resign(&good(), |header, _| header["alg"] = json!("HS256")),
                reason::ALG,
            ),
            (
                "jwk with d",
                client.resign(&good(), |header, _| header["jwk"]["d"] = json!("AAAA")),
                reason::JWK_PRIVATE,
            ),
            (
                "jwk not of alg's curve",
                client.resign(&good(), |header, _| header["alg"] = json!("ES384")),
                reason::JWK_UNUSABLE,
            ),
            (
                "no jti",
                client.resign(&good(), |_, claims| {
                    drop(claims.as_object_mut().unwrap().remove("jti"))
                }),
                reason::CLAIM_MISSING,
            ),
            ("no ath", ath_of(None), reason::ATH_MISSING),
            ("ath of another token", ath_of(Some("another")), reason::ATH),
            ("not a JWS", "not-a-jwt".to_owned(), reason::MALFORMED_PROOF),
            (
                "two parts",
                good().rsplit_once('.').unwrap().0.to_owned(),
                reason::MALFORMED_PROOF,
            ),
        ];
        for (case, proof, reason) in cases {
            let answer = send(&server, "GET", "/r", &client.headers(&proof));
            println!("{case}: {answer:?}");
            assert_refused(&server, &answer, "invalid_dpop_proof", reason);
        }

        let mut two = client.headers(&good());
        two.push(("DPoP".into(), good()));
        let answer = send(&server, "GET", "/r", &two);
        assert_refused(&server, &answer, "invalid_dpop_proof", reason::PROOF_COUNT);
        let answer = send(&server, "GET", "/r", &client.headers(&good())[..1]);
        assert_refused(&server, &answer, "invalid_dpop_proof", reason::NO_PROOF);

        // The control: the same server and client, with nothing broken.
        let answer = send(&server, "GET", "/r", &client.headers(&good()));
        assert_accepted(&server, &answer, &client);
    }

    #[test]
    fn a_proof_is_accepted_once() {
        let server = ResourceServer::start(jwt_cnf_jkt);
        let client = Client::new(Alg::EdDSA);
        let headers = client.headers(&client.proof("GET", &server.url("/r"), None));
        assert_accepted(&server, &send(&server, "GET", "/r", &headers), &client);
        let again = send(&server, "GET", "/r", &headers);
        assert_refused(&server, &again, "invalid_dpop_proof", reason::JTI_REPLAYED);
    }

    #[test]
    fn a_token_that_is_not_bound_to_the_proofs_key_or_not_sent_as_dpop_is_refused() {
        let server = ResourceServer::start(jwt_cnf_jkt);
        let client = Client::new(Alg::ES256);
        let url = server.url("/r");
        let other = generate(Alg::ES256).unwrap().0;
        let with_token = |token: &str, scheme: &str| {
            let request = ProofFor {
                method: "GET",
                url: &url,
                nonce: None,
                access_token: Some(token),
            };
            let proof = client.proof_for(request, common::now());
            vec![
                ("Authorization".to_owned(), format!("{scheme} {token}")),
                ("DPoP".to_owned(), proof),
            ]
        };
        // RFC 9449 §7.1's example token, which is no JWT: the resolver knows nothing of it.
        let opaque = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
        let mut twice = with_token(&client.token, "DPoP");
        twice.push(twice[0].clone());
        let cases = [
            (with_token(&Client::token_for(&other), "DPoP"), reason::JKT),
            (with_token(opaque, "DPoP"), reason::UNKNOWN_TOKEN),
            (with_token(&client.token, "Bearer"), reason::BEARER_SCHEME),
            (with_token(&client.token, "Basic"), reason::NOT_DPOP_SCHEME),
            (with_token("a,b", "DPoP"), reason::MALFORMED_TOKEN),
            (twice, reason::AUTHORIZATION_COUNT),
        ];
        for (headers, reason) in cases {
            let answer = send(&server, "GET", "/r", &headers);
            assert_refused(&server, &answer, "invalid_token", reason);
        }

        // No credentials at all: a challenge without an error (RFC 6750 §3.1).
        let proof_only = with_token(&client.token, "DPoP")[1..].to_vec();
        let answer = send(&server, "GET", "/r", &proof_only);
        assert_eq!(answer.status, 401);
        let challenge = answer.header("WWW-Authenticate").unwrap();
        assert!(challenge.starts_with("DPoP algs=\"ES256 "), "{challenge}");
        assert_eq!(
            server.verdicts().pop().unwrap().reason,
            reason::NO_AUTHORIZATION
        );

        let answer = send(&server, "GET", "/r", &with_token(&client.token, "DPoP"));
        assert_accepted(&server, &answer, &client);
    }

    #[test]
    fn a_server_nonce_is_demanded_then_accepted() {
        let server = ResourceServer::start(jwt_cnf_jkt).with_nonce("n-1");
        let client = Client::new(Alg::ES256);
        let url = server.url("/r");
        for (nonce, reason) in [
            (None, reason::NONCE_MISSING),
            (Some("n-0"), reason::NONCE_WRONG),
        ] {
            let answer = send(
                &server,
                "GET",
                "/r",
                &client.headers(&client.proof("GET", &url, nonce)),
            );
            assert_refused(&server, &answer, "use_dpop_nonce", reason);
            assert_eq!(answer.header("DPoP-Nonce"), Some("n-1"));
        }
        let answer = send(
            &server,
            "GET",
            "/r",
            &client.headers(&client.proof("GET", &url, Some("n-1"))),
        );
        assert_accepted(&server, &answer, &client);
        assert_eq!(answer.header("DPoP-Nonce"), None);
    }

    #[test]
    fn the_thumbprint_is_rfc_7638s() {
        // RFC 7638 §3.1: the example RSA key (RFC 7517 Appendix A.1) and its thumbprint.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_B\
                 JECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_\
                 FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhA\
                 I4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let jwk = json!({"n": n, "kid": "2011-04-29", "e": "AQAB", "kty": "RSA", "alg": "RS256"});
        let thumbprint = thumbprint(jwk.as_object().unwrap());
        assert_eq!(
            thumbprint.as_deref(),
            Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        );
    }

    /// The intended use, at the HTTP level: the two lines `oauthctl fetch -o header --url URL`
    /// prints, given to real curl as headers on its standard input (`-H @-`).
    #[test]
    fn curl_with_the_two_header_lines_on_stdin_is_accepted() {
        let version = Command::new("curl").arg("--version").output();
        let found = version.is_ok_and(|out| out.status.success());
        assert!(
            found,
            "this test runs real curl: install it (the CI machine does)"
        );
        let server = ResourceServer::start(jwt_cnf_jkt);
        let client = Client::new(Alg::ES256);
        let url = server.url("/orders?page=2");
        let proof = client.proof("GET", &url, None);
        let lines = format!("Authorization: DPoP {}\nDPoP: {proof}\n", client.token);
        let curl = |lines: &str| {
            // -q first: no ~/.curlrc; no proxy, whatever the environment says.
            let mut child = Command::new("curl")
                .args([
                    "-q",
                    "-sS",
                    "--noproxy",
                    "*",
                    "-H",
                    "@-",
                    "-w",
                    "\n%{http_code}",
                    &url,
                ])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("run curl");
            child
                .stdin
                .take()
                .unwrap()
                .write_all(lines.as_bytes())
                .unwrap();
            let out = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "curl failed: {stderr}");
            String::from_utf8(out.stdout).unwrap()
        };
        let out = curl(&lines);
        let (body, status) = out.rsplit_once('\n').unwrap();
        assert_eq!(status, "200", "{body} {:?}", server.verdicts());
        let body: Value = serde_json::from_str(body).unwrap();
        assert_eq!(body, json!({"ok": true, "jkt": client.key.thumbprint()}));
        // The same lines again are a replay, and curl sees the refusal.
        let out = curl(&lines);
        assert!(out.ends_with("\n401"), "{out}");
        let verdicts = server.verdicts();
        let reasons: Vec<_> = verdicts.iter().map(|v| (v.accepted, &*v.reason)).collect();
        assert_eq!(
            reasons,
            [(true, reason::ACCEPTED), (false, reason::JTI_REPLAYED)]
        );
    }
}
