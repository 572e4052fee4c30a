//! `keys generate` and `keys public` output: a public JWK, never a private member (SECURITY 42).
//!
//! Text is the one JWK, pretty-printed: what a registration form that takes one key wants
//! (Okta's "Add public key", a `private_key_jwt` client's key in most consoles). `-o json` is a
//! JWK Set holding it, `{"keys":[…]}`: what a client's `jwks` metadata (RFC 7591 §2) or a file
//! served as its `jwks_uri` holds. Both carry `kid`, `use: "sig"` and `alg`, as servers expect.

use serde::Serialize;
use serde_json::{Map, Value};

use super::{OutputFormat, Rendered, shown_path, to_json};
use crate::commands::keys::{Outcome, PublicKey};

/// One public JWK (RFC 7517 §4): the key's public members, then what it is for.
#[derive(Serialize)]
struct JwkJson<'a> {
    #[serde(flatten)]
    members: &'a Map<String, Value>,
    kid: &'a str,
    #[serde(rename = "use")]
    usage: &'static str,
    alg: &'static str,
}

impl<'a> JwkJson<'a> {
    fn new(key: &'a PublicKey) -> JwkJson<'a> {
        JwkJson {
            members: &key.members,
            kid: &key.kid,
            usage: "sig",
            alg: key.alg.name(),
        }
    }
}

/// `-o json`: a JWK Set of the one key (RFC 7517 §5).
#[derive(Serialize)]
struct JwksJson<'a> {
    keys: [JwkJson<'a>; 1],
}

/// `keys …` output: the JWK (text) or a JWK Set of it (`-o json`); after `generate`, in text, a
/// note on stderr says where the private key went.
pub fn keys(format: OutputFormat, outcome: &Outcome) -> Rendered {
    let (key, note) = match outcome {
        Outcome::Generated { path, key } => (
            key,
            Some(format!(
                "wrote the new private key to `{}` (mode 0600); its public JWK is on stdout",
                shown_path(path)
            )),
        ),
        Outcome::Public(key) => (key, None),
    };
    let jwk = JwkJson::new(key);
    if format == OutputFormat::Json {
        return to_json(&JwksJson { keys: [jwk] }).into();
    }
    Rendered {
        stdout: to_json(&jwk),
        note,
        failed: false,
    }
}

/// `keys assertion`: the assertion alone on a line, or `{"client_assertion": …}` with `-o json`.
pub fn assertion(format: OutputFormat, assertion: &crate::secret::Secret) -> Rendered {
    #[derive(Serialize)]
    struct AssertionJson<'a> {
        client_assertion: &'a str,
        client_assertion_type: &'static str,
    }
    if format == OutputFormat::Json {
        return to_json(&AssertionJson {
            client_assertion: assertion.expose(),
            client_assertion_type: crate::oauth::assertion::JWT_BEARER_ASSERTION,
        })
        .into();
    }
    format!("{}\n", assertion.expose()).into()
}

/// `identity-token`: the token alone on a line, or `{"identity_token": …}` with `-o json`.
pub fn identity_token(format: OutputFormat, token: &crate::secret::Secret) -> Rendered {
    #[derive(Serialize)]
    struct IdentityJson<'a> {
        identity_token: &'a str,
    }
    if format == OutputFormat::Json {
        return to_json(&IdentityJson {
            identity_token: token.expose(),
        })
        .into();
    }
    format!("{}\n", token.expose()).into()
}

/// `keys dpop-proof`: the proof alone (text), or `{"dpop_proof": …}`.
pub fn dpop_proof(format: OutputFormat, proof: &crate::secret::Secret) -> Rendered {
    #[derive(Serialize)]
    struct ProofJson<'a> {
        dpop_proof: &'a str,
    }
    if format == OutputFormat::Json {
        return to_json(&ProofJson {
            dpop_proof: proof.expose(),
        })
        .into();
    }
    format!("{}\n", proof.expose()).into()
}
