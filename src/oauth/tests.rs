//! Reading answers: token responses and every other JSON answer or failure.

use serde_json::{Map, Value, json};

use super::answer::{beyond_a_float, success_object};
use super::response::{TokenType, expires_in, parse_token_response};
use super::*;
use crate::error::Error;
use crate::http::{Response, Trace};

fn response(status: u16, body: &str) -> Response {
    Response {
        status,
        content_type: Some("application/json".into()),
        location: None,
        retry_after: None,
        cache_control: None,
        dpop_nonce: None,
        attempts: 1,
        body: body.as_bytes().to_vec(),
    }
}

#[test]
fn expires_in_tolerance() {
    let v = |s: &str| serde_json::from_str::<Value>(s).unwrap();
    assert_eq!(expires_in(Some(&v("3600"))), Some(3600));
    assert_eq!(expires_in(Some(&v("\"3599\""))), Some(3599));
    for bad in [
        "-5", "1.5", "\"1.5\"", "\"\"", "1e12", "null", "true", "\"soon\"",
    ] {
        assert_eq!(expires_in(Some(&v(bad))), None, "{bad}");
    }
    assert_eq!(expires_in(None), None);
}

#[test]
fn a_jwt_exp_counts_only_within_the_bounds_of_expires_in() {
    let now = 1_700_000_000;
    let at = |exp: i64| {
        let token = crate::jwt::tests::make(r#"{"alg":"none"}"#, &format!(r#"{{"exp":{exp}}}"#));
        let body = json!({ "access_token": token }).to_string();
        parse_token_response(
            &response(200, &body),
            "https://x/t",
            now,
            &Trace::off(crate::oauth::SECRET_NAMES),
        )
        .unwrap()
        .expires_at
    };
    let max = MAX_EXPIRES_IN as i64;
    assert_eq!(at(now), Some(now));
    assert_eq!(at(now + 60), Some(now + 60));
    assert_eq!(at(now + max), Some(now + max));
    assert_eq!(at(now + max + 1), None);
    assert_eq!(at(now - 1), None);
    assert_eq!(at(i64::MAX), None);
    assert_eq!(at(i64::MIN), None);
    // expires_in, when usable, wins over the JWT.
    let token = crate::jwt::tests::make(r#"{"alg":"none"}"#, r#"{"exp":1}"#);
    let body = json!({ "access_token": token, "expires_in": 60 }).to_string();
    let parsed = parse_token_response(
        &response(200, &body),
        "https://x/t",
        now,
        &Trace::off(crate::oauth::SECRET_NAMES),
    );
    assert_eq!(parsed.unwrap().expires_at, Some(now + 60));
}

#[test]
fn success_keeps_every_field_and_computes_expiry() {
    let body = r#"{"access_token":"at","token_type":"bearer","expires_in":60,"id":"u1","jti":"j"}"#;
    let token = parse_token_response(
        &response(200, body),
        "https://x/t",
        1000,
        &Trace::off(crate::oauth::SECRET_NAMES),
    )
    .unwrap();
    assert_eq!(token.access_token, "at");
    assert_eq!(token.expires_at, Some(1060));
    assert!(token.is_bearer());
    assert_eq!(token.fields["id"], "u1");
}

#[test]
fn exactly_a_trailing_comma_is_tolerated() {
    let body = "{\n  \"access_token\":\"someAccessTokenValue\",\n  \"refresh_token\":\"r\",\n}\n";
    let token = parse_token_response(
        &response(200, body),
        "https://x/t",
        0,
        &Trace::off(crate::oauth::SECRET_NAMES),
    )
    .unwrap();
    assert_eq!(token.fields["refresh_token"], "r");
    for bad in [
        "{\"access_token\":\"a\",,}",
        "{\"access_token\":\"a\"",
        "[\"a\",]",
        "{\"access_token\":\"a\",]",
    ] {
        let err = parse_token_response(
            &response(200, bad),
            "https://x/t",
            0,
            &Trace::off(crate::oauth::SECRET_NAMES),
        )
        .unwrap_err();
        assert!(matches!(err, Error::Unreachable { .. }), "{bad}");
    }
}

#[test]
fn a_number_beyond_a_float_is_an_absent_member() {
    let read = |body: &str| {
        success_object(
            &response(200, body),
            "e",
            &Trace::off(crate::oauth::SECRET_NAMES),
        )
    };
    let map =
        read(r#"{"access_token":"a","expires_in":1e400,"b":{"c":[-1E+999]},"d":1e-400,"e":1e300}"#)
            .unwrap();
    assert_eq!(map.keys().collect::<Vec<_>>(), ["access_token", "d", "e"]);
    assert_eq!(map["d"], 0.0);
    // With the trailing comma one provider sends, too.
    let map = read("{\"access_token\":\"a\",\"expires_in\":1e400,}").unwrap();
    assert_eq!(map.keys().collect::<Vec<_>>(), ["access_token"]);
    // serde_json's wording for it is what `beyond_a_float` relies on.
    let e = serde_json::from_str::<Value>("1e400").unwrap_err();
    assert!(beyond_a_float(&e), "{e}");
    // What is not such a number still makes the body unreadable.
    let deep = format!(r#"{{"a":{}1{}}}"#, "[".repeat(200), "]".repeat(200));
    for body in [r#"{"a":"\ud800"}"#, deep.as_str(), r#"{"a":1e400"#] {
        let err = read(body).unwrap_err();
        assert!(err.to_string().contains("not valid JSON"), "{body}: {err}");
    }
    // The token: expires_in absent, so the JWT's exp counts; an access_token so big is none.
    let jwt = crate::jwt::tests::make(r#"{"alg":"none"}"#, r#"{"exp":1060}"#);
    let body = format!(r#"{{"access_token":"{jwt}","expires_in":1e400}}"#);
    let token = parse_token_response(
        &response(200, &body),
        "https://x/t",
        1000,
        &Trace::off(crate::oauth::SECRET_NAMES),
    )
    .unwrap();
    assert_eq!(token.expires_at, Some(1060));
    assert!(!token.fields.contains_key("expires_in"));
    let err = parse_token_response(
        &response(200, r#"{"access_token":1e400}"#),
        "https://x/t",
        0,
        &Trace::off(crate::oauth::SECRET_NAMES),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .ends_with("the response has no access_token"),
        "{err}"
    );
}

#[test]
fn no_answer_with_a_member_twice_is_read() {
    // success_object reads the token, device authorization, introspection and metadata answers.
    for body in [
        r#"{"active":false,"active":true}"#,
        r#"{"issuer":"https://a","jwks_uri":"x","issuer":"https://b"}"#,
        "{\"access_token\":\"a\",\"access_token\":\"b\",\n}",
    ] {
        let err = success_object(
            &response(200, body),
            "the endpoint h",
            &Trace::off(crate::oauth::SECRET_NAMES),
        )
        .unwrap_err();
        assert_eq!(err.exit() as u8, 4, "{body}");
        assert!(
            err.to_string()
                .starts_with("the endpoint h answered HTTP 200 but its body has the member `"),
            "{err}"
        );
    }
    let err = success_object(
        &response(200, r#"{"a\u001b":1,"a\u001b":2}"#),
        "e",
        &Trace::off(crate::oauth::SECRET_NAMES),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("the member `a\\u{1b}` twice"),
        "{err}"
    );
    // Names are compared as decoded: `\u0061` is `a`.
    assert!(
        success_object(
            &response(200, r#"{"a":1,"\u0061":2}"#),
            "e",
            &Trace::off(crate::oauth::SECRET_NAMES)
        )
        .is_err()
    );
    // Inside a member, as inside a claim, JSON's own reading stands.
    let map = success_object(
        &response(200, r#"{"cnf":{"x":1,"x":2},"b":[1,1]}"#),
        "e",
        &Trace::off(crate::oauth::SECRET_NAMES),
    )
    .unwrap();
    assert_eq!(map["cnf"]["x"], 2);
    // An error answer with two codes is neither code.
    let err = parse_token_response(
        &response(400, r#"{"error":"invalid_scope","error":"invalid_client"}"#),
        "https://x/t",
        0,
        &Trace::off(crate::oauth::SECRET_NAMES),
    )
    .unwrap_err();
    assert_eq!(err.exit() as u8, 3);
    assert_eq!(err.oauth_fields(), (None, None, Some(400)));
    assert!(
        err.to_string().ends_with(
            "(HTTP 400): its body has the member `error` twice, so it is not read (RFC 8259 §4)"
        ),
        "{err}"
    );
}

#[test]
fn missing_or_empty_access_token_is_an_error() {
    for body in [
        r#"{"token_type":"bearer"}"#,
        r#"{"access_token":""}"#,
        r#"{"access_token":5}"#,
        "[]",
        "",
    ] {
        let err = parse_token_response(
            &response(200, body),
            "https://x/t",
            0,
            &Trace::off(crate::oauth::SECRET_NAMES),
        )
        .unwrap_err();
        assert_eq!(err.exit() as u8, 4, "{body}: {err}");
    }
}

#[test]
fn a_cached_token_is_checked_as_a_fresh_one_is() {
    for body in [
        r#"{"access_token":"at","token_type":"bearer"}"#,
        r#"{"access_token":"at\r\nX-Injected: 1","token_type":"Bearer"}"#,
        r#"{"access_token":"t\u00f6k"}"#,
        r#"{"access_token":""}"#,
        r#"{"access_token":7}"#,
        r#"{"refresh_token":"rt"}"#,
        r#"{"access_token":"at","token_type":"Bearer\u001b[2J"}"#,
        r#"{"access_token":"at","token_type":null}"#,
    ] {
        let fields: Map<String, Value> = serde_json::from_str(body).unwrap();
        let fresh = parse_token_response(
            &response(200, body),
            "https://x/t",
            0,
            &Trace::off(crate::oauth::SECRET_NAMES),
        );
        let cached = TokenResponse::from_cache(fields, Some(60), None);
        assert_eq!(fresh.is_ok(), cached.is_some(), "{body}");
        if let (Ok(fresh), Some(cached)) = (fresh, cached) {
            assert_eq!(fresh.access_token, cached.access_token, "{body}");
            assert_eq!(fresh.token_type, cached.token_type, "{body}");
            assert_eq!(cached.expires_at, Some(60));
        }
    }
}

#[test]
fn token_types_are_rfc_6749_names_or_uris() {
    let sorted = |value: Value| TokenType::from_field(Some(&value));
    for name in [
        "Bearer",
        "bearer",
        "DPoP",
        "N_A",
        "mac-1.0",
        "urn:ietf:params:oauth:token-type:jwt",
        "https://idp.example/types?v=1#a",
    ] {
        assert_eq!(sorted(name.into()), Some(TokenType::Named(name.into())));
    }
    for text in [
        "",
        "Bearer x",
        "Bearer\r\n",
        "b\u{1b}[0m",
        "tök",
        ":x",
        "1a:b",
        "a:b c",
    ] {
        assert_eq!(
            sorted(text.into()),
            Some(TokenType::Malformed(text.into())),
            "{text:?}"
        );
    }
    assert_eq!(sorted(Value::from(5)), Some(TokenType::Malformed(5.into())));
    assert_eq!(sorted(Value::Null), None);
    assert_eq!(TokenType::from_field(None), None);
    assert_eq!(
        TokenType::Malformed("a\u{1b}b".into()).describe(),
        "`a\\u{1b}b`"
    );
    assert_eq!(
        TokenType::Malformed(Value::Bool(true)).describe(),
        "a boolean"
    );
    // Only a named Bearer (or none at all) is a bearer token.
    let token = |t: &str| {
        parse_token_response(
            &response(
                200,
                &json!({"access_token": "a", "token_type": t}).to_string(),
            ),
            "https://x/t",
            0,
            &Trace::off(crate::oauth::SECRET_NAMES),
        )
        .unwrap()
    };
    assert!(token("BEARER").is_bearer());
    assert!(!token("Bearer ").is_bearer());
    assert!(!token("DPoP").is_bearer());
}

#[test]
fn oauth_errors_become_one_line_in_the_providers_words() {
    let watson = r#"{"error":"invalid_client","error_description":"Bad credentials","message":"Bad credentials","path":"/oauth/token","status":"401","timestamp":"2020-01-01T00:00:00.000Z"}"#;
    let err = parse_token_response(
        &response(401, watson),
        "https://api.x/oauth/token",
        0,
        &Trace::off(crate::oauth::SECRET_NAMES),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the token endpoint api.x refused the request (HTTP 401): invalid_client: Bad credentials"
    );
    assert_eq!(
        err.oauth_fields(),
        (Some("invalid_client"), Some("Bad credentials"), Some(401))
    );

    let igni = r#"{"error":"invalid_client","message":"Client authentication failed"}"#;
    let err = parse_token_response(
        &response(401, igni),
        "https://w.igni.co/t",
        0,
        &Trace::off(crate::oauth::SECRET_NAMES),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .ends_with("invalid_client: Client authentication failed"),
        "{err}"
    );
    assert_eq!(err.oauth_fields().1, Some("Client authentication failed"));

    let err = parse_token_response(
        &response(400, r#"{"error" : "invalid_scope"}"#),
        "https://x/t",
        0,
        &Trace::off(crate::oauth::SECRET_NAMES),
    )
    .unwrap_err();
    assert!(
        err.to_string().ends_with("(HTTP 400): invalid_scope"),
        "{err}"
    );
    assert_eq!(err.exit() as u8, 3);
}

#[test]
fn html_and_5xx_are_summarised_not_dumped() {
    let mut resp = response(
        502,
        "<html><head><title>502 Bad Gateway</title></head><body>\x1b[31m…</body></html>",
    );
    resp.content_type = Some("text/html".into());
    let err = parse_token_response(
        &resp,
        "https://x/t",
        0,
        &Trace::off(crate::oauth::SECRET_NAMES),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the token endpoint x failed (HTTP 502): 502 Bad Gateway (text/html)"
    );
    assert_eq!(err.exit() as u8, 4);
    let mut resp = response(403, "Forbidden\n");
    resp.content_type = Some("text/plain".into());
    let err = parse_token_response(
        &resp,
        "https://x/t",
        0,
        &Trace::off(crate::oauth::SECRET_NAMES),
    )
    .unwrap_err();
    assert_eq!(err.exit() as u8, 3);
    assert!(
        err.to_string()
            .ends_with("(HTTP 403): Forbidden (text/plain)"),
        "{err}"
    );
}

#[test]
fn redirects_are_reported_with_their_target() {
    let mut resp = response(302, "");
    resp.location = Some("https://elsewhere/t".into());
    let err = parse_token_response(
        &resp,
        "https://x/t",
        0,
        &Trace::off(crate::oauth::SECRET_NAMES),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("redirecting to https://elsewhere/t"),
        "{err}"
    );
    assert_eq!(err.exit() as u8, 4);
}
