//! DPoP proofs (RFC 9449): the JWT a client sends with each request to show that it holds the key
//! its token is bound to. This is the proof itself, made from a key and the request it goes with;
//! which key a profile uses, where it is kept, and which requests carry proofs build on it
//! (DESIGN §12).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::keys::Alg;
use crate::keys::signing::SigningKey;
use crate::oauth::assertion::{encoded, random_jti};
use crate::secret::Secret;

/// RFC 9449 §4.2: the proof's `typ`.
pub const PROOF_TYPE: &str = "dpop+jwt";

/// The request a proof goes with.
#[derive(Debug, Clone, Copy)]
pub struct ProofFor<'a> {
    /// `htm`: the HTTP method, as sent (`POST`).
    pub method: &'a str,
    /// The request's URI; `htu` is it without query and fragment.
    pub url: &'a str,
    /// `nonce`: the latest the server gave (RFC 9449 §8), if any.
    pub nonce: Option<&'a str>,
    /// The access token the request presents (to a resource server): its hash is `ath`.
    pub access_token: Option<&'a str>,
}

#[derive(Serialize)]
struct Header<'a> {
    typ: &'static str,
    alg: &'a str,
    jwk: serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize)]
struct Claims<'a> {
    jti: String,
    htm: &'a str,
    htu: &'a str,
    iat: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ath: Option<String>,
}

/// A new proof for `request`, signed by `key` with `alg`, issued at `now` (seconds since the
/// epoch). RFC 9449 §4.2: the public key goes in the header (and nothing private: the key's
/// public members only), a unique `jti`, `htm`, `htu`, `iat`, and `ath` when an access token goes
/// with the request.
pub fn proof(key: &SigningKey, alg: Alg, request: ProofFor<'_>, now: u64) -> Result<Secret> {
    key.check_alg(alg)
        .map_err(|e| Error::Config(format!("dpop_alg {e}")))?;
    let header = Header {
        typ: PROOF_TYPE,
        alg: alg.name(),
        jwk: key.public_jwk(),
    };
    let claims = Claims {
        jti: random_jti()?,
        htm: request.method,
        htu: &htu(request.url),
        iat: now,
        nonce: request.nonce,
        ath: request.access_token.map(ath),
    };
    let input = format!("{}.{}", encoded(&header)?, encoded(&claims)?);
    let signature = key
        .sign(alg, input.as_bytes())
        .map_err(|e| Error::Config(format!("cannot sign the DPoP proof: {e}")))?;
    Ok(Secret::new(format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    )))
}

/// RFC 9449 §4.2 `htu`: the target URI without its query and fragment.
pub fn htu(url: &str) -> String {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    url[..end].to_string()
}

/// RFC 9449 §4.2 `ath`: base64url(SHA-256(ASCII(access token))).
pub fn ath(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        access_token.as_bytes(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::signing::generate;

    fn part(token: &str, n: usize) -> serde_json::Value {
        let text = token.split('.').nth(n).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(text).unwrap()).unwrap()
    }

    #[test]
    fn ath_matches_the_rfc_9449_example() {
        // RFC 9449 §7.1.
        assert_eq!(
            ath("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
        );
    }

    #[test]
    fn htu_drops_the_query_and_the_fragment_only() {
        assert_eq!(
            htu("https://rs.example/a/b?x=1#f"),
            "https://rs.example/a/b"
        );
        assert_eq!(htu("https://rs.example/a#f?x"), "https://rs.example/a");
        assert_eq!(
            htu("https://rs.example:8443/t"),
            "https://rs.example:8443/t"
        );
    }

    #[test]
    fn a_proof_has_the_rfc_9449_header_and_claims_and_verifies_with_its_own_jwk() {
        for alg in [Alg::ES256, Alg::EdDSA] {
            let (key, _) = generate(alg).unwrap();
            let request = ProofFor {
                method: "POST",
                url: "https://as.example/token?x=1",
                nonce: Some("n-1"),
                access_token: None,
            };
            let a = proof(&key, alg, request, 1_700_000_000).unwrap();
            let b = proof(&key, alg, request, 1_700_000_000).unwrap();
            let header = part(a.expose(), 0);
            assert_eq!(header["typ"], "dpop+jwt");
            assert_eq!(header["alg"], alg.name());
            assert_eq!(
                serde_json::Value::Object(key.public_jwk()),
                header["jwk"],
                "the public key, and nothing private"
            );
            assert!(header["jwk"].get("d").is_none());
            let claims = part(a.expose(), 1);
            assert_eq!(claims["htm"], "POST");
            assert_eq!(claims["htu"], "https://as.example/token");
            assert_eq!(claims["iat"], 1_700_000_000);
            assert_eq!(claims["nonce"], "n-1");
            assert!(claims.get("ath").is_none());
            assert_eq!(
                URL_SAFE_NO_PAD
                    .decode(claims["jti"].as_str().unwrap())
                    .unwrap()
                    .len(),
                16
            );
            assert_ne!(part(b.expose(), 1)["jti"], claims["jti"]);
            // The signature, checked by the verifier `inspect --verify` uses, with the key the
            // header carries.
            let jwk = header["jwk"].as_object().unwrap();
            let verifying = crate::keys::VerifyingKey::from_jwk(jwk).unwrap();
            let (input, signature) = a.expose().rsplit_once('.').unwrap();
            assert!(crate::verify::verifies(
                &verifying,
                alg,
                input.as_bytes(),
                &URL_SAFE_NO_PAD.decode(signature).unwrap()
            ));
        }
    }

    #[test]
    fn a_proof_for_a_resource_carries_the_access_tokens_hash_and_a_wrong_alg_is_refused() {
        let (key, _) = generate(Alg::ES256).unwrap();
        let request = ProofFor {
            method: "GET",
            url: "https://rs.example/orders",
            nonce: None,
            access_token: Some("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
        };
        let token = proof(&key, Alg::ES256, request, 1).unwrap();
        let claims = part(token.expose(), 1);
        assert_eq!(claims["ath"], "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
        assert!(claims.get("nonce").is_none());
        assert!(proof(&key, Alg::RS256, request, 1).is_err());
    }
}
