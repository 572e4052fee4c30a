//! The signature checks: every algorithm, tokens from another implementation, tampering, the
//! wrong key or kid, `alg: none`, algorithm confusion, `crit` and key-bearing headers.

use serde_json::json;

use super::*;
use crate::verify::tests::*;

#[test]
fn every_algorithm_verifies_with_a_jwks_and_the_kid() {
    let keys = jwks();
    for alg in Alg::ALL
        .into_iter()
        .filter(|a| a.hmac_min_bytes().is_none())
    {
        let (key, kid, _) = signer(alg);
        let token = sign(&json!({"alg": alg.name(), "kid": kid}), CLAIMS, &key, alg);
        let verified = verify_signature(&token, &keys).unwrap();
        assert_eq!(verified.kid.as_deref(), Some(kid), "{alg}");
        assert_eq!(verified.alg, alg);
        assert!(
            verified.key.starts_with(&format!("kid {kid} (")),
            "{verified:?}"
        );
        assert!(verified.ignored_headers.is_empty());
    }
    // HMAC keys come from a JWK (a JWK Set of them is refused, see below) or a secret.
    let keys = KeySet::from_jwk_json(&oct_jwk(Some("hs-1"), None, SECRET), "k.jwk").unwrap();
    for alg in [Alg::HS256, Alg::HS384, Alg::HS512] {
        let (key, _, _) = signer(alg);
        let token = sign(
            &json!({"alg": alg.name(), "kid": "hs-1"}),
            CLAIMS,
            &key,
            alg,
        );
        let verified = verify_signature(&token, &keys).unwrap();
        assert_eq!(verified.kid.as_deref(), Some("hs-1"));
        assert_eq!(verified.key, "kid hs-1 (HMAC secret of 64 bytes)");
    }
}

#[test]
fn every_algorithm_verifies_with_a_pem_key_and_a_single_jwk() {
    for alg in Alg::ALL {
        let (key, kid, pem_file) = signer(alg);
        // No kid in the token: a key the user gave is the one to use.
        let token = sign(&json!({"alg": alg.name(), "typ": "JWT"}), CLAIMS, &key, alg);
        let from_file = if alg.hmac_min_bytes().is_some() {
            KeySet::hmac(SECRET, "$SECRET").unwrap()
        } else {
            KeySet::from_pem(&fixture(pem_file), pem_file).unwrap()
        };
        let verified = verify_signature(&token, &from_file).unwrap();
        assert_eq!((verified.kid, verified.alg), (None, alg));
        if alg.hmac_min_bytes().is_none() {
            let from_jwk = KeySet::from_jwk_json(&jwk(kid), "key.jwk").unwrap();
            let verified = verify_signature(&token, &from_jwk).unwrap();
            assert_eq!(verified.kid.as_deref(), Some(kid), "{alg}");
            // --key FILE takes either.
            for (bytes, name) in [(fixture(pem_file), pem_file), (jwk(kid), "key.jwk")] {
                let keys = KeySet::from_key_file(&bytes, name).unwrap();
                assert!(verify_signature(&token, &keys).is_ok(), "{alg} {name}");
            }
        }
    }
}

#[test]
fn tokens_signed_by_another_implementation_verify() {
    // tests/fixtures/keys/tokens.json: one token per algorithm, made by Python's cryptography.
    let tokens: Map<String, Value> = serde_json::from_slice(&fixture("tokens.json")).unwrap();
    let jwks = jwks();
    let secret = KeySet::hmac(SECRET, "$S").unwrap();
    assert_eq!(tokens.len(), Alg::ALL.len());
    for alg in Alg::ALL {
        let token = tokens[alg.name()].as_str().unwrap();
        let keys = if alg.hmac_min_bytes().is_some() {
            &secret
        } else {
            &jwks
        };
        let verified = verify_signature(token, keys).unwrap();
        assert_eq!(verified.alg, alg);
        let (_, kid, _) = signer(alg);
        assert_eq!(verified.kid.as_deref(), Some(kid).filter(|k| !k.is_empty()));
    }
}

#[test]
fn a_tampered_token_fails() {
    let keys = jwks();
    for alg in [Alg::RS256, Alg::PS256, Alg::ES256, Alg::ES384, Alg::EdDSA] {
        let (key, kid, _) = signer(alg);
        let token = sign(&json!({"alg": alg.name(), "kid": kid}), CLAIMS, &key, alg);
        let (head, rest) = token.split_once('.').unwrap();
        let (_, signature) = rest.split_once('.').unwrap();
        let forged = format!(
            "{head}.{}.{signature}",
            b64(r#"{"sub":"admin","exp":1900000000}"#)
        );
        let (refused, message) = refuse(&forged, &keys);
        assert!(
            matches!(refused, Refused::SignatureMismatch { .. }),
            "{alg}"
        );
        assert_eq!(
            message,
            format!(
                "signature does not match ({alg}, kid {kid} ({}))",
                keys.keys()
                    .iter()
                    .find(|k| k.kid.as_deref() == Some(kid))
                    .unwrap()
                    .family
            )
        );
        // The same bytes re-encoded differently (here: the claims with a space) fail too:
        // the check is over the segments as sent, not over re-serialised JSON.
        let respaced = format!(
            "{head}.{}.{signature}",
            b64(r#"{"sub":"alice", "exp":1900000000}"#)
        );
        assert!(verify_signature(&respaced, &keys).is_err());
    }
    let hs = KeySet::hmac(SECRET, "$S").unwrap();
    let token = sign(
        &json!({"alg": "HS256"}),
        CLAIMS,
        &hmac_key(SECRET),
        Alg::HS256,
    );
    // One character of the signature changed, well before the last (whose low bits are
    // padding), so that the token still decodes.
    let at = token.len() - 10;
    let other = if &token[at..=at] == "A" { "B" } else { "A" };
    let flipped = format!("{}{other}{}", &token[..at], &token[at + 1..]);
    assert!(matches!(
        refuse(&flipped, &hs).0,
        Refused::SignatureMismatch { .. }
    ));
}

#[test]
fn the_wrong_key_fails() {
    // Signed by the 3072-bit key, claiming the kid of the 2048-bit one.
    let token = sign(
        &json!({"alg": "RS256", "kid": "rs-1"}),
        CLAIMS,
        &rsa_3072(),
        Alg::RS256,
    );
    let (_, message) = refuse(&token, &jwks());
    assert_eq!(
        message,
        "signature does not match (RS256, kid rs-1 (RSA 2048))"
    );
    let keys = KeySet::from_pem(&fixture("rsa-2048.pub.pem"), "k.pem").unwrap();
    assert!(matches!(
        refuse(&token, &keys).0,
        Refused::SignatureMismatch { .. }
    ));
    // Without a kid every RSA key that allows RS256 is tried, and named.
    let token = sign(&json!({"alg": "RS256"}), CLAIMS, &rsa_3072(), Alg::RS256);
    let (_, message) = refuse(&token, &jwks());
    assert_eq!(
        message,
        "signature does not match any of the 2 keys that could check RS256 \
         (kid rs-1 (RSA 2048), kid rs-pinned (RSA 2048))"
    );
    let other = KeySet::hmac(b"another secret, also long enough for HS256!", "$S").unwrap();
    let token = sign(
        &json!({"alg": "HS256"}),
        CLAIMS,
        &hmac_key(SECRET),
        Alg::HS256,
    );
    assert!(matches!(
        refuse(&token, &other).0,
        Refused::SignatureMismatch { .. }
    ));
}

#[test]
fn a_kid_less_token_says_which_key_verified() {
    let (key, _, _) = signer(Alg::ES384);
    let token = sign(&json!({"alg": "ES384"}), CLAIMS, &key, Alg::ES384);
    assert_eq!(
        verify_signature(&token, &jwks()).unwrap().kid.as_deref(),
        Some("es384-1")
    );
    let token = sign(&json!({"alg": "RS256"}), CLAIMS, &rsa_2048(), Alg::RS256);
    assert_eq!(
        verify_signature(&token, &jwks()).unwrap().kid.as_deref(),
        Some("rs-1")
    );
}

#[test]
fn an_unknown_kid_fails_and_lists_the_kids() {
    let token = sign(
        &json!({"alg": "RS256", "kid": "rs-2"}),
        CLAIMS,
        &rsa_2048(),
        Alg::RS256,
    );
    let (refused, message) = refuse(&token, &jwks());
    assert!(matches!(refused, Refused::NoKeyWithKid { .. }));
    assert_eq!(
        message,
        "no key with kid rs-2 (keys: rs-1, rs-pinned, es256-1, es384-1, ed-1)"
    );
    // A key without a kid (one the user chose) checks a token whatever its kid.
    let keys = KeySet::from_pem(&fixture("rsa-2048.pub.pem"), "k.pem").unwrap();
    assert!(verify_signature(&token, &keys).is_ok());
}

#[test]
fn alg_none_is_always_refused() {
    let keys = [jwks(), KeySet::hmac(SECRET, "$S").unwrap()];
    let empty = format!("{}.{}.", b64(r#"{"alg":"none"}"#), b64(CLAIMS));
    let signed = format!(
        "{}.{}.c2ln",
        b64(r#"{"alg":"none","kid":"rs-1"}"#),
        b64(CLAIMS)
    );
    let shouted = format!("{}.{}.", b64(r#"{"alg":"NONE"}"#), b64(CLAIMS));
    for keys in &keys {
        for token in [&empty, &signed, &shouted] {
            let (refused, message) = refuse(token, keys);
            assert_eq!(refused, Refused::AlgNone);
            assert!(message.starts_with("alg: none is never accepted"));
        }
    }
}

#[test]
fn hs256_signed_with_the_rsa_public_key_is_alg_confusion() {
    let public_pem = fixture("rsa-2048.pub.pem");
    let token = sign(
        &json!({"alg": "HS256"}),
        CLAIMS,
        &hmac_key(&public_pem),
        Alg::HS256,
    );
    // The attack token is real: it verifies if the PEM bytes are taken as an HMAC secret.
    assert!(verify_signature(&token, &KeySet::hmac(&public_pem, "pem").unwrap()).is_ok());
    let rsa = KeySet::from_pem(&public_pem, "rsa-2048.pub.pem").unwrap();
    let (refused, message) = refuse(&token, &rsa);
    assert!(matches!(
        refused,
        Refused::AlgNotAllowed {
            alg: Alg::HS256,
            ..
        }
    ));
    assert_eq!(
        message,
        "alg HS256 is not one this key allows (RS256, RS384, RS512, PS256, PS384, PS512): \
         RSA 2048 key from rsa-2048.pub.pem"
    );
    // With the kid of a JWK.
    let token = sign(
        &json!({"alg": "HS256", "kid": "rs-1"}),
        CLAIMS,
        &hmac_key(&public_pem),
        Alg::HS256,
    );
    let (refused, message) = refuse(&token, &jwks());
    assert!(matches!(refused, Refused::AlgNotAllowed { .. }));
    assert!(
        message.starts_with("alg HS256 is not one this key allows (RS256"),
        "{message}"
    );
    // And the other way round: an RS256 token against an HMAC secret.
    let token = sign(&json!({"alg": "RS256"}), CLAIMS, &rsa_2048(), Alg::RS256);
    let (_, message) = refuse(&token, &KeySet::hmac(SECRET, "$S").unwrap());
    assert_eq!(
        message,
        "alg RS256 is not one this key allows (HS256, HS384, HS512): \
         HMAC secret of 64 bytes from $S"
    );
}

#[test]
fn a_jwk_alg_pins_the_algorithm() {
    let ps256 = sign(
        &json!({"alg": "PS256", "kid": "rs-pinned"}),
        CLAIMS,
        &rsa_2048(),
        Alg::PS256,
    );
    let (_, message) = refuse(&ps256, &jwks());
    assert_eq!(
        message,
        "alg PS256 is not one this key allows (RS256): kid rs-pinned (RSA 2048)"
    );
    let rs256 = sign(
        &json!({"alg": "RS256", "kid": "rs-pinned"}),
        CLAIMS,
        &rsa_2048(),
        Alg::RS256,
    );
    assert_eq!(
        verify_signature(&rs256, &jwks()).unwrap().kid.as_deref(),
        Some("rs-pinned")
    );
    // The same for a single JWK, and for a JWK whose alg does not fit its kty.
    let keys = KeySet::from_jwk_json(&jwk("rs-pinned"), "k.jwk").unwrap();
    assert_eq!(keys.keys()[0].algs, [Alg::RS256]);
    assert!(matches!(
        refuse(&ps256, &keys).0,
        Refused::AlgNotAllowed { .. }
    ));
    let mut wrong: Value = serde_json::from_slice(&jwk("rs-1")).unwrap();
    wrong["alg"] = json!("ES256");
    let error = KeySet::from_jwk_json(wrong.to_string().as_bytes(), "k.jwk").unwrap_err();
    assert_eq!(
        error,
        "the JWK from k.jwk cannot be used: alg ES256 cannot be used with an RSA 2048 key"
    );
}

#[test]
fn crit_is_refused() {
    let token = sign(
        &json!({"alg": "RS256", "kid": "rs-1", "crit": ["exp"], "exp": 1}),
        CLAIMS,
        &rsa_2048(),
        Alg::RS256,
    );
    let (refused, message) = refuse(&token, &jwks());
    assert_eq!(refused, Refused::Crit(vec!["exp".into()]));
    assert!(
        message.starts_with("crit header present (exp)"),
        "{message}"
    );
    let token = sign(
        &json!({"alg": "RS256", "crit": 5}),
        CLAIMS,
        &rsa_2048(),
        Alg::RS256,
    );
    assert_eq!(
        refuse(&token, &jwks()).0,
        Refused::Crit(vec!["a number".into()])
    );
}

#[test]
fn key_headers_are_ignored_and_reported() {
    // A token signed by the attacker's key, which it carries and points to.
    let attacker: Value = serde_json::from_slice(&jwk("enc-1")).unwrap();
    let token = sign(
        &json!({
            "alg": "RS256",
            "jku": "https://attacker.invalid/jwks.json",
            "x5u": "https://attacker.invalid/cert.pem",
            "jwk": {"kty": "RSA", "n": attacker["n"], "e": attacker["e"]},
        }),
        CLAIMS,
        &rsa_3072(),
        Alg::RS256,
    );
    let keys = KeySet::from_pem(&fixture("rsa-2048.pub.pem"), "k.pem").unwrap();
    assert!(matches!(
        refuse(&token, &keys).0,
        Refused::SignatureMismatch { .. }
    ));
    let header = jwt::decode(&token).unwrap().header;
    assert_eq!(ignored_headers(&header), ["jku", "jwk", "x5u"]);
    // A good signature still verifies, with the note.
    let token = sign(
        &json!({"alg": "RS256", "jku": "https://attacker.invalid/jwks.json"}),
        CLAIMS,
        &rsa_2048(),
        Alg::RS256,
    );
    assert_eq!(
        verify_signature(&token, &keys).unwrap().ignored_headers,
        ["jku"]
    );
}

#[test]
fn malformed_headers_are_refused_with_the_reason() {
    let keys = jwks();
    let token = |header: &str| format!("{}.{}.c2ln", b64(header), b64(CLAIMS));
    assert_eq!(refuse(&token(r#"{"kid":"rs-1"}"#), &keys).0, Refused::NoAlg);
    assert_eq!(
        refuse(&token(r#"{"kid":"rs-1"}"#), &keys).1,
        "the token has no alg"
    );
    assert_eq!(
        refuse(&token(r#"{"alg":"ES512"}"#), &keys).1,
        "alg ES512 is not supported (supported: HS256, HS384, HS512, RS256, RS384, RS512, \
         PS256, PS384, PS512, ES256, ES384, EdDSA)"
    );
    assert_eq!(
        refuse(&token(r#"{"alg":"rs256"}"#), &keys).0,
        Refused::UnsupportedAlg("rs256".into())
    );
    assert_eq!(
        refuse(&token(r#"{"alg":256}"#), &keys).1,
        "the token's alg is a number, not a string"
    );
    assert_eq!(
        refuse(&token(r#"{"alg":"RS256","kid":1}"#), &keys).1,
        "the token's kid is a number, not a string"
    );
    assert_eq!(
        refuse(&token("{\"alg\":\"X\\u001b[31m\"}"), &keys).0,
        Refused::UnsupportedAlg("X\\u{1b}[31m".into())
    );
    assert!(matches!(refuse("a.b", &keys).0, Refused::Malformed(m) if m.contains("found 2")));
}
