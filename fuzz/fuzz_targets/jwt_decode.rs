//! `jwt::decode` and the `inspect` rendering of what it decodes.
//!
//! Every input is used three ways:
//! 1. as the token text itself (when it is UTF-8);
//! 2. as the same bytes converted lossily (what reading a binary file as text gives);
//! 3. as `HEADER \0 CLAIMS \0 SIGNATURE`, each part base64url-encoded into a compact JWS, so that
//!    the fuzzer reaches the JSON layer without having to discover base64 first.
//!
//! Invariants: an accepted token is exactly three unpadded base64url segments (after an optional
//! `Bearer ` / `Authorization: Bearer `); a decoded JWT re-encodes into a token that decodes to the
//! same JWT, with or without those prefixes, and `=` padding is refused with the documented error;
//! a rejection is a `BadToken` error of one line without control characters; the rendering of a
//! decoded JWT is terminal-safe, one line per member, always says it is unverified, and its
//! validity agrees with the time claims at any instant.

#![no_main]

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use oauthctl::cli::OutputFormat;
use oauthctl::commands::inspect::{Inspection, Validity};
use oauthctl::error::Error;
use oauthctl::jwt::{self, Jwt, TimeClaim};
use serde_json::{Map, Value};

use common::{NOWS, assert_clean_message, assert_rendered_error, assert_terminal_safe, json_eq};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        check(text);
    } else {
        check(&String::from_utf8_lossy(data));
    }
    structured(data);
});

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn check(input: &str) -> Option<Jwt> {
    match jwt::decode(input) {
        Ok(jwt) => {
            assert_accepted_shape(input);
            assert_reencodes(&jwt);
            for now in NOWS {
                render(&jwt, now);
            }
            for name in ["exp", "nbf"] {
                if let TimeClaim::At(t) = jwt.time(name) {
                    for now in [t.saturating_sub(1), t, t.saturating_add(1)] {
                        render(&jwt, now);
                    }
                }
            }
            Some(jwt)
        }
        Err(e) => {
            // As a command reports it.
            let e = Error::from(e);
            assert!(matches!(e, Error::BadToken(_)), "not a BadToken: {e:?}");
            assert_clean_message("jwt::decode", &e.to_string());
            assert_rendered_error(&e);
            None
        }
    }
}

/// What was accepted is `[prefix] segment.segment.segment` with base64url segments, where the
/// prefix is nothing, `Bearer`, `Authorization:` or `Authorization: Bearer`.
fn assert_accepted_shape(input: &str) {
    let text = input.trim();
    let start = text
        .bytes()
        .rposition(|b| !(is_b64url(b) || b == b'.'))
        .map_or(0, |i| i + 1);
    let (prefix, token) = text.split_at(start);
    assert_eq!(token.matches('.').count(), 2, "accepted {input:?}");
    let prefix: String = prefix
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    assert!(
        ["", "bearer", "authorization:", "authorization:bearer"].contains(&prefix.as_str()),
        "accepted {input:?} with prefix {prefix:?}"
    );
}

fn encode(header: &[u8], claims: &[u8], signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

fn assert_same(a: &Jwt, b: &Jwt) {
    assert!(
        json_eq(
            &Value::Object(a.header.clone()),
            &Value::Object(b.header.clone())
        ),
        "header changed: {a:?} / {b:?}"
    );
    assert!(
        json_eq(
            &Value::Object(a.claims.clone()),
            &Value::Object(b.claims.clone())
        ),
        "claims changed: {a:?} / {b:?}"
    );
    assert_eq!(a.signature_len, b.signature_len);
}

fn assert_reencodes(jwt: &Jwt) {
    let header = serde_json::to_vec(&jwt.header).unwrap();
    let claims = serde_json::to_vec(&jwt.claims).unwrap();
    let token = encode(&header, &claims, &vec![0xa5; jwt.signature_len]);
    let again = jwt::decode(&token).expect("a re-encoded JWT decodes");
    assert_same(jwt, &again);
    for prefixed in [
        format!("Bearer {token}"),
        format!("Authorization: Bearer {token}\n"),
    ] {
        assert_same(
            &again,
            &jwt::decode(&prefixed).expect("prefixes are accepted"),
        );
    }
    // RFC 7515 §2: unpadded. Padding is refused, and the error says so and where.
    let (h, rest) = token.split_once('.').unwrap();
    let padded = format!("{h}=.{rest}");
    let err = jwt::decode(&padded).unwrap_err().to_string();
    assert!(
        err.contains("header segment has `=` padding"),
        "padding not refused as documented: {err}"
    );
}

/// HEADER \0 CLAIMS \0 SIGNATURE, encoded. Whether it decodes is decided by the JSON alone.
fn structured(data: &[u8]) {
    let mut parts = data.splitn(3, |&b| b == 0);
    let (Some(header), Some(claims)) = (parts.next(), parts.next()) else {
        return;
    };
    let signature = parts.next().unwrap_or(b"");
    let token = encode(header, claims, signature);
    let as_object = |bytes: &[u8]| serde_json::from_slice::<Map<String, Value>>(bytes).ok();
    let decoded = check(&token);
    match (as_object(header), as_object(claims), decoded) {
        (Some(h), Some(c), Some(jwt)) => {
            // serde_json keeps the last of duplicate members; the decoder refuses duplicates, so
            // whatever it accepted reads the same to both.
            assert!(json_eq(
                &Value::Object(h),
                &Value::Object(jwt.header.clone())
            ));
            assert!(json_eq(
                &Value::Object(c),
                &Value::Object(jwt.claims.clone())
            ));
            assert_eq!(jwt.signature_len, signature.len());
        }
        (Some(_), Some(_), None) => {
            // Both are JSON objects: the only reason left is a duplicate member.
            let err = jwt::decode(&token).unwrap_err().to_string();
            assert!(err.contains("duplicate member"), "refused {token}: {err}");
        }
        (h, _, decoded) => {
            assert!(decoded.is_none(), "accepted non-object JSON: {token}");
            let err = jwt::decode(&token).unwrap_err().to_string();
            // Left to right: a header that is an object with a duplicate member is blamed first.
            let part = if h.is_none() { "header" } else { "claims" };
            assert!(
                err.contains(&format!("the {part} segment"))
                    || err.contains("the header segment is not a JSON object: duplicate member"),
                "wrong segment blamed for {token}: {err}"
            );
        }
    }
}

fn render(jwt: &Jwt, now: i64) {
    let inspection = Inspection {
        jwt: jwt.clone(),
        now,
        verification: None,
        binding: None,
        dpop_binding: None,
    };
    let validity = inspection.validity();
    assert_validity(jwt, now, &validity);

    let text = oauthctl::output::inspection_styled(
        OutputFormat::Text,
        &inspection,
        oauthctl::style::Style::PLAIN,
    )
    .stdout;
    assert_terminal_safe("inspect text", &text);
    // One line per header member and per claim, plus Header, Claims, Status and Signature.
    assert_eq!(
        text.lines().count(),
        jwt.header.len() + jwt.claims.len() + 4,
        "{text}"
    );
    assert!(text.starts_with("Header\n"));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[jwt.header.len() + 1], "Claims");
    let status = lines[lines.len() - 2];
    let signature = lines[lines.len() - 1];
    assert!(status.starts_with("Status"), "{text}");
    assert!(
        signature.starts_with("Signature") && signature.contains("UNVERIFIED"),
        "{text}"
    );
    let expected = match validity {
        Validity::Valid { .. } => "  valid",
        Validity::Expired { .. } => "  EXPIRED",
        Validity::NotYetValid { .. } => "  NOT YET VALID",
        Validity::Unknown { .. } => "  UNKNOWN",
    };
    assert!(status.contains(expected), "{status} for {validity:?}");

    if now == NOWS[3] || now == i64::MIN {
        let json = oauthctl::output::inspection_styled(
            OutputFormat::Json,
            &inspection,
            oauthctl::style::Style::PLAIN,
        )
        .stdout;
        let value: Value = serde_json::from_str(&json).expect("inspect -o json parses");
        assert!(json_eq(
            &value["header"],
            &Value::Object(jwt.header.clone())
        ));
        assert!(json_eq(
            &value["claims"],
            &Value::Object(jwt.claims.clone())
        ));
        assert_eq!(value["signature_verified"], false);
        let state = value["validity"]["state"].as_str().unwrap();
        assert_eq!(state, expected.trim().to_lowercase().replace(' ', "_"));
    }
}

/// RFC 7519 §4.1.4/§4.1.5: expired on or after `exp`, not yet valid before `nbf`.
fn assert_validity(jwt: &Jwt, now: i64, validity: &Validity) {
    let (nbf, exp) = (jwt.time("nbf"), jwt.time("exp"));
    let invalid = |c: &TimeClaim| matches!(c, TimeClaim::Invalid(_));
    match validity {
        Validity::Unknown { .. } => assert!(invalid(&nbf) || invalid(&exp)),
        Validity::Expired { at } => {
            assert_eq!(exp, TimeClaim::At(*at));
            assert!(now >= *at);
        }
        Validity::NotYetValid { from } => {
            assert_eq!(nbf, TimeClaim::At(*from));
            assert!(now < *from);
            assert!(!matches!(exp, TimeClaim::At(e) if now >= e));
        }
        Validity::Valid { expires_at } => {
            assert!(!invalid(&nbf) && !invalid(&exp));
            match exp {
                TimeClaim::At(e) => assert_eq!(*expires_at, Some(e)),
                _ => assert_eq!(*expires_at, None),
            }
            if let Some(e) = expires_at {
                assert!(now < *e);
            }
            if let TimeClaim::At(n) = nbf {
                assert!(now >= n);
            }
        }
    }
}
