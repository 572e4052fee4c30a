//! The claim checks, claim by claim, at the edges of the leeway.

use serde_json::{Map, Value, json};

use super::*;

const EXP: i64 = 1_700_000_000;

fn claims(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

fn rules(now: i64, leeway: u64) -> ClaimRules {
    ClaimRules {
        leeway,
        ..ClaimRules::new(now)
    }
}

fn check(claims: &Map<String, Value>, rules: &ClaimRules, name: &str) -> ClaimCheck {
    check_claims(claims, rules)
        .into_iter()
        .find(|c| c.name == name)
        .unwrap()
}

#[test]
fn every_claim_gets_a_check_in_order() {
    let checks = check_claims(&Map::new(), &ClaimRules::new(EXP));
    let names: Vec<&str> = checks.iter().map(|c| c.name).collect();
    assert_eq!(names, ["exp", "nbf", "iat", "iss", "aud"]);
    assert!(checks.iter().all(|c| c.ok));
    assert_eq!(checks[0].detail, "no exp: never expires by itself");
    assert_eq!(
        checks[3].detail,
        "not checked (no issuer expected); the token has no iss"
    );
    assert_eq!(
        checks[4].detail,
        "not checked (no audience expected); the token has no aud"
    );
    assert_eq!(ClaimRules::new(0).leeway, 60);
}

#[test]
fn exp_with_leeway_edges() {
    let c = claims(json!({"exp": EXP}));
    let at = |now, leeway| check(&c, &rules(now, leeway), "exp");
    assert!(at(EXP - 1, 0).ok);
    assert_eq!(
        at(EXP - 1, 0).detail,
        "expires 2023-11-14T22:13:20Z (in 1s)"
    );
    // RFC 7519 §4.1.4: at exp itself the token has expired, unless the leeway covers it.
    assert!(!at(EXP, 0).ok);
    assert!(at(EXP, 60).ok);
    assert_eq!(
        at(EXP, 60).detail,
        "expired 2023-11-14T22:13:20Z (now), within the 1m leeway"
    );
    assert!(at(EXP + 59, 60).ok);
    assert!(!at(EXP + 60, 60).ok);
    assert_eq!(
        at(EXP + 60, 60).detail,
        "expired 2023-11-14T22:13:20Z (1m ago), beyond the 1m leeway"
    );
    // Fractions are dropped (the stricter way for exp); extremes do not overflow.
    let f = claims(json!({"exp": 1_700_000_000.9}));
    assert!(!check(&f, &rules(EXP, 0), "exp").ok);
    assert!(
        check(
            &claims(json!({"exp": i64::MAX})),
            &rules(i64::MAX, u64::MAX),
            "exp"
        )
        .ok
    );
    assert!(
        !check(
            &claims(json!({"exp": i64::MIN})),
            &rules(i64::MIN, 0),
            "exp"
        )
        .ok
    );
}

#[test]
fn nbf_with_leeway_edges() {
    let c = claims(json!({"nbf": EXP}));
    let at = |now, leeway| check(&c, &rules(now, leeway), "nbf");
    assert!(at(EXP, 0).ok);
    assert!(!at(EXP - 1, 0).ok);
    assert!(at(EXP - 60, 60).ok);
    assert_eq!(
        at(EXP - 60, 60).detail,
        "not valid until 2023-11-14T22:13:20Z (in 1m), within the 1m leeway"
    );
    assert!(!at(EXP - 61, 60).ok);
    assert_eq!(
        at(EXP - 61, 60).detail,
        "not valid until 2023-11-14T22:13:20Z (in 1m 1s), beyond the 1m leeway"
    );
    assert_eq!(
        at(EXP + 3600, 60).detail,
        "valid since 2023-11-14T22:13:20Z (1h ago)"
    );
}

#[test]
fn time_claims_of_the_wrong_type_fail() {
    let r = ClaimRules::new(EXP);
    for (name, value, why) in [
        (
            "exp",
            json!("1700000000"),
            "`exp` is a string, not a NumericDate (RFC 7519 §2)",
        ),
        (
            "exp",
            json!(null),
            "`exp` is null, not a NumericDate (RFC 7519 §2)",
        ),
        ("exp", json!(1e300), "`exp` is out of range"),
        (
            "nbf",
            json!("0"),
            "`nbf` is a string, not a NumericDate (RFC 7519 §2)",
        ),
        (
            "iat",
            json!([1]),
            "`iat` is an array, not a NumericDate (RFC 7519 §2)",
        ),
    ] {
        let c = check(&claims(json!({ name: value })), &r, name);
        assert_eq!((c.ok, c.detail.as_str()), (false, why));
    }
    assert!(check(&claims(json!({"iat": EXP})), &r, "iat").ok);
}

#[test]
fn iss_must_match_exactly_when_expected() {
    let expecting = ClaimRules {
        issuer: Some("https://idp.example".into()),
        ..ClaimRules::new(EXP)
    };
    let iss = |value: Value| check(&claims(json!({ "iss": value })), &expecting, "iss");
    assert!(iss(json!("https://idp.example")).ok);
    let wrong = iss(json!("https://idp.example/"));
    assert!(!wrong.ok);
    assert_eq!(
        wrong.detail,
        "`https://idp.example/` is not the expected `https://idp.example`"
    );
    assert_eq!(iss(json!(7)).detail, "`iss` is a number, not a string");
    let absent = check(&Map::new(), &expecting, "iss");
    assert_eq!(
        (absent.ok, absent.detail.as_str()),
        (false, "no iss; expected `https://idp.example`")
    );
    // Not expected: reported, not checked; a wrong type still fails.
    let r = ClaimRules::new(EXP);
    let c = check(&claims(json!({"iss": "a"})), &r, "iss");
    assert_eq!(
        (c.ok, c.detail.as_str()),
        (true, "not checked (no issuer expected): `a`")
    );
    assert!(!check(&claims(json!({"iss": 7})), &r, "iss").ok);
}

#[test]
fn aud_must_include_the_expected_audience() {
    let expecting = ClaimRules {
        audience: Some("api".into()),
        ..ClaimRules::new(EXP)
    };
    let aud = |value: Value| check(&claims(json!({ "aud": value })), &expecting, "aud");
    assert!(aud(json!("api")).ok);
    assert!(aud(json!(["web", "api"])).ok);
    assert_eq!(aud(json!(["web", "api"])).detail, "includes `api`");
    let other = aud(json!(["web", "API"]));
    assert_eq!(
        (other.ok, other.detail.as_str()),
        (false, "`web`, `API` does not include the expected `api`")
    );
    assert!(!aud(json!([])).ok);
    assert_eq!(
        aud(json!(5)).detail,
        "`aud` is a number, not a string or an array of strings"
    );
    assert_eq!(
        aud(json!(["api", 5])).detail,
        "`aud` element 2 is a number, not a string"
    );
    assert!(!aud(json!(["api", 5])).ok);
    let absent = check(&Map::new(), &expecting, "aud");
    assert_eq!(
        (absent.ok, absent.detail.as_str()),
        (false, "no aud; expected `api`")
    );
    // Not expected: reported, not checked; a wrong type still fails.
    let r = ClaimRules::new(EXP);
    let c = check(&claims(json!({"aud": ["a", "b"]})), &r, "aud");
    assert_eq!(
        (c.ok, c.detail.as_str()),
        (true, "not checked (no audience expected): `a`, `b`")
    );
    assert!(!check(&claims(json!({"aud": 5})), &r, "aud").ok);
    assert!(!check(&claims(json!({"aud": ["a", 5]})), &r, "aud").ok);
}

#[test]
fn claim_text_is_escaped() {
    let expecting = ClaimRules {
        issuer: Some("x".into()),
        ..ClaimRules::new(EXP)
    };
    let c = check(&claims(json!({"iss": "\u{1b}[2J"})), &expecting, "iss");
    assert_eq!(c.detail, "`\\u{1b}[2J` is not the expected `x`");
}
