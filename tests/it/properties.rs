//! Properties of the library's parsers and encoders over generated inputs (proptest), and the
//! inputs the fuzz targets in `fuzz/` found, kept as regression tests.
//!
//! These call `oauthctl::…` directly: no binary, no network, no clock. Each property compares the
//! code with an independent statement of the rule it implements (an RFC, or the function's doc).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use oauthctl::cli::OutputFormat;
use oauthctl::commands::exchange::{self, ExchangeInput};
use oauthctl::commands::inspect::Inspection;
use oauthctl::config::{AuthMethod, BasicEncoding};
use oauthctl::error::Error;
use oauthctl::http::{Response, Trace};
use oauthctl::jwt;
use oauthctl::keys::signing::PrivateKey;
use oauthctl::oauth::{
    TokenResponse, basic_authorization, expires_in, parse_token_response, s256_challenge,
};
use oauthctl::resolve::ProfileLayer;
use oauthctl::settings::{GlobalFlags, Settings};
use oauthctl::timefmt::{relative, rfc3339, span};
use proptest::prelude::*;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

// ---------------------------------------------------------------------------------------------
// RFC 6749 §2.3.1: the Basic header.

/// Strings with the characters form encoding must handle (`:` `%` `+` space `&` `=`, non-ASCII),
/// and any Unicode at all.
fn credential() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9:%+ &=/~*é€\u{1F600}\u{0}\t]{0,24}",
    ]
}

/// application/x-www-form-urlencoded decoding (WHATWG URL §5.1), written out here so that it does
/// not share code with the encoder under test.
fn form_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = text.get(i + 1..i + 3).expect("two hex digits after %");
                out.push(u8::from_str_radix(hex, 16).expect("two hex digits after %"));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// The credentials of `Basic …`, base64-decoded.
fn basic_credentials(header: &str) -> Vec<u8> {
    let credentials = header.strip_prefix("Basic ").expect("the Basic scheme");
    assert!(
        !credentials.chars().any(char::is_whitespace),
        "whitespace inside the credentials: {header:?}"
    );
    STANDARD
        .decode(credentials)
        .expect("standard, padded base64")
}

proptest! {
    #[test]
    fn basic_form_encoding_round_trips(id in credential(), secret in credential()) {
        let decoded = basic_credentials(&basic_authorization(&id, &secret, BasicEncoding::Form));
        let text = String::from_utf8(decoded).unwrap();
        // Form encoding escapes `:`, so the first one is the separator.
        let (id_part, secret_part) = text.split_once(':').expect("id:secret");
        prop_assert_eq!(form_decode(id_part), id.as_bytes());
        prop_assert_eq!(form_decode(secret_part), secret.as_bytes());
    }

    #[test]
    fn basic_raw_encoding_is_the_bytes_as_given(id in credential(), secret in credential()) {
        let decoded = basic_credentials(&basic_authorization(&id, &secret, BasicEncoding::Raw));
        prop_assert_eq!(decoded, format!("{id}:{secret}").into_bytes());
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 7515 §2 / RFC 7519: base64url without padding in `jwt::decode`.

/// JSON values that serde_json writes and reads back exactly: its default float parser is not
/// correctly rounded for every double, so floats here are short dyadic fractions.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (any::<i32>(), 1u32..8).prop_map(|(m, e)| Value::from(f64::from(m) / f64::from(1 << e))),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn json_object() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map(any::<String>(), json_value(), 0..6)
        .prop_map(|m| m.into_iter().collect())
}

fn json_text(map: &Map<String, Value>, pretty: bool) -> String {
    if pretty {
        serde_json::to_string_pretty(map).unwrap()
    } else {
        serde_json::to_string(map).unwrap()
    }
}

const SEGMENTS: [&str; 3] = ["header", "claims", "signature"];

proptest! {
    #[test]
    fn jwt_segments_decode_to_the_same_json(
        header in json_object(),
        claims in json_object(),
        signature in prop::collection::vec(any::<u8>(), 0..300),
        pretty in any::<bool>(),
    ) {
        let token = format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(json_text(&header, pretty)),
            URL_SAFE_NO_PAD.encode(json_text(&claims, pretty)),
            URL_SAFE_NO_PAD.encode(&signature),
        );
        let decoded = jwt::decode(&token).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&decoded.header, &header);
        prop_assert_eq!(&decoded.claims, &claims);
        prop_assert_eq!(decoded.signature_len, signature.len());
        // The member order is the token's own (`inspect` shows claims as the issuer wrote them).
        prop_assert!(decoded.claims.keys().eq(claims.keys()));
    }

    #[test]
    fn jwt_padding_is_refused_as_documented(
        header in json_object(),
        claims in json_object(),
        which in 0usize..3,
        pad in 1usize..3,
    ) {
        let mut segments = [
            URL_SAFE_NO_PAD.encode(json_text(&header, false)),
            URL_SAFE_NO_PAD.encode(json_text(&claims, false)),
            URL_SAFE_NO_PAD.encode(b"signature"),
        ];
        let position = segments[which].len() + 1;
        segments[which].push_str(&"=".repeat(pad));
        let err = Error::from(jwt::decode(&segments.join(".")).unwrap_err());
        prop_assert!(matches!(err, Error::BadToken(_)));
        prop_assert_eq!(
            err.to_string(),
            format!(
                "the {} segment has `=` padding at position {position}; JWT segments are unpadded base64url (RFC 7515 §2)",
                SEGMENTS[which]
            )
        );
    }

    #[test]
    fn jwt_standard_base64_characters_are_refused(
        header in json_object(),
        claims in json_object(),
        which in 0usize..3,
        at in any::<prop::sample::Index>(),
        standard in prop::sample::select(vec!['+', '/']),
    ) {
        let mut segments = [
            URL_SAFE_NO_PAD.encode(json_text(&header, false)),
            URL_SAFE_NO_PAD.encode(json_text(&claims, false)),
            URL_SAFE_NO_PAD.encode(b"signature"),
        ];
        // What standard base64 writes where base64url has `-` / `_`.
        let i = at.index(segments[which].len());
        segments[which].replace_range(i..=i, &standard.to_string());
        let err = jwt::decode(&segments.join(".")).unwrap_err().to_string();
        prop_assert_eq!(
            err,
            format!(
                "the {} segment is not base64url: invalid character `{standard}` at position {}",
                SEGMENTS[which],
                i + 1
            )
        );
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 7636 §4.1 / §4.2: PKCE.

/// base64url (RFC 4648 §5) without padding, by the table.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// exchange-code with `verifier` and a token URL that is refused before any connection: a verifier
/// that passes RFC 7636 §4.1 gets as far as that refusal, one that does not is refused first.
fn exchange_with_verifier(verifier: &str) -> Error {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("empty.toml");
    std::fs::write(&config, "").unwrap();
    let global = GlobalFlags {
        config: Some(config),
        ..GlobalFlags::default()
    };
    let flags = ProfileLayer {
        token_url: Some("ftp://idp.invalid/token".into()),
        client_id: Some("public-client".into()),
        auth_method: Some(AuthMethod::None),
        ..ProfileLayer::default()
    };
    let settings =
        Settings::new(OutputFormat::Text, global, flags, oauthctl::sink::silent()).unwrap();
    let input = ExchangeInput {
        code: Some("the-code".into()),
        code_verifier: Some(verifier.to_string()),
        no_cache: true,
    };
    match exchange::run(&settings, input) {
        Ok(_) => panic!("an ftp token URL was accepted"),
        Err(e) => e,
    }
}

fn invalid_verifier() -> impl Strategy<Value = String> {
    // ASCII that is not unreserved (the likely mistakes: `+` `/` `=` from base64, `%`), and any
    // other character.
    let not_unreserved = prop_oneof![
        prop::sample::select(
            " !\"#$%&'()*+,/:;<=>?@[\\]^`{|}"
                .chars()
                .collect::<Vec<_>>()
        )
        .prop_map(String::from),
        "[^A-Za-z0-9._~-]",
    ];
    prop_oneof![
        // One too short, one too long, and any other wrong length.
        "[A-Za-z0-9._~-]{42}",
        "[A-Za-z0-9._~-]{129}",
        "[A-Za-z0-9._~-]{0,41}",
        "[A-Za-z0-9._~-]{130,200}",
        // The right length with one character outside the unreserved set.
        (
            "[A-Za-z0-9._~-]{42,127}",
            not_unreserved,
            any::<prop::sample::Index>()
        )
            .prop_map(|(mut v, bad, at)| {
                let i = at.index(v.len() + 1);
                v.insert_str(i, &bad);
                v
            })
            .prop_filter("43 to 128 bytes", |v| (43..=128).contains(&v.len())),
    ]
}

proptest! {
    #[test]
    fn s256_challenge_is_base64url_of_sha256(verifier in any::<String>()) {
        let challenge = s256_challenge(&verifier);
        prop_assert_eq!(challenge.len(), 43);
        prop_assert!(challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        prop_assert_eq!(challenge, base64url(&Sha256::digest(verifier.as_bytes())));
    }

    #[test]
    fn verifiers_of_43_to_128_unreserved_characters_are_accepted(
        verifier in prop_oneof!["[A-Za-z0-9._~-]{43}", "[A-Za-z0-9._~-]{128}", "[A-Za-z0-9._~-]{43,128}"]
    ) {
        let err = exchange_with_verifier(&verifier);
        prop_assert!(matches!(err, Error::Config(_)), "{err:?}");
        prop_assert!(err.to_string().contains("token_url"), "{err}");
    }

    #[test]
    fn other_verifiers_are_refused_without_being_echoed(verifier in invalid_verifier()) {
        let err = exchange_with_verifier(&verifier);
        prop_assert!(matches!(err, Error::Usage(_)), "{err:?}");
        let message = err.to_string();
        prop_assert!(message.contains("RFC 7636 §4.1"), "{message}");
        if verifier.len() >= 8 {
            prop_assert!(!message.contains(&verifier), "{message}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 6749 §5.1 `expires_in`, and the time arithmetic and text of `timefmt`.

/// SECURITY 26: `expires_in` beyond ten years is treated as absent.
const MAX_EXPIRES_IN: u64 = 10 * 365 * 24 * 3600;

proptest! {
    #[test]
    fn expires_in_accepts_whole_seconds_as_number_or_digits(
        secs in 0..=MAX_EXPIRES_IN,
        zeros in 0usize..4,
    ) {
        prop_assert_eq!(expires_in(Some(&Value::from(secs))), Some(secs));
        let digits = format!("{}{secs}", "0".repeat(zeros));
        prop_assert_eq!(expires_in(Some(&Value::from(digits))), Some(secs));
    }

    #[test]
    fn expires_in_treats_anything_else_as_absent(
        value in prop_oneof![
            // Negative.
            (i64::MIN..0).prop_map(Value::from),
            (i64::MIN..0).prop_map(|n| Value::from(n.to_string())),
            // Fractional.
            (0u32..1_000_000).prop_map(|n| Value::from(f64::from(n) + 0.5)),
            (0u32..1_000_000).prop_map(|n| Value::from(format!("{n}.5"))),
            // Huge: beyond ten years, beyond u64.
            (MAX_EXPIRES_IN + 1..=u64::MAX).prop_map(Value::from),
            (MAX_EXPIRES_IN + 1..=u64::MAX).prop_map(|n| Value::from(n.to_string())),
            "[1-9][0-9]{20,40}".prop_map(Value::from),
            // Not a number.
            "[^0-9]*|[0-9]*[^0-9]+[0-9]*".prop_map(Value::from),
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            Just(Value::Array(vec![Value::from(60)])),
            Just(serde_json::json!({ "seconds": 60 })),
        ]
    ) {
        prop_assert_eq!(expires_in(Some(&value)), None, "{}", value);
    }
}

/// A 200 answer with this body, parsed at `now`.
fn token_at(body: &Value, now: i64) -> TokenResponse {
    let response = Response {
        status: 200,
        content_type: Some("application/json".into()),
        location: None,
        retry_after: None,
        cache_control: None,
        dpop_nonce: None,
        body: serde_json::to_vec(body).unwrap(),
        attempts: 1,
    };
    parse_token_response(
        &response,
        "https://idp.example/token",
        now,
        &Trace::off(oauthctl::oauth::SECRET_NAMES),
    )
    .unwrap()
}

/// The latest clock reading for which `now + expires_in` fits in an i64 (see fuzz/README.md).
const LAST_NOW: i64 = i64::MAX - MAX_EXPIRES_IN as i64;

proptest! {
    #[test]
    fn expires_at_is_now_plus_expires_in(
        now in i64::MIN..=LAST_NOW,
        a in 0..=MAX_EXPIRES_IN,
        b in 0..=MAX_EXPIRES_IN,
        as_text in any::<bool>(),
    ) {
        let at = |secs: u64| {
            let expires_in = if as_text { Value::from(secs.to_string()) } else { Value::from(secs) };
            token_at(&serde_json::json!({ "access_token": "t", "expires_in": expires_in }), now)
                .expires_at
        };
        prop_assert_eq!(at(a), Some(now + a as i64));
        // Monotonic: a token that lives longer never expires earlier.
        prop_assert_eq!(at(a).cmp(&at(b)), a.cmp(&b));
    }

    /// The JWT's `exp` stands in for an `expires_in` of `exp - now`, and is held to its bounds.
    #[test]
    fn without_a_usable_expires_in_expiry_comes_from_the_jwt_exp(
        now in i64::MIN..=LAST_NOW,
        // Anywhere, or near the window of zero to ten years from now.
        offset in prop_oneof![
            any::<i64>(),
            -1000..=(MAX_EXPIRES_IN as i64 + 1000),
        ],
        expires_in in prop_oneof![
            Just(Value::Null),
            Just(Value::from(-1)),
            Just(Value::from(1.5)),
            Just(Value::from(u64::MAX)),
            Just(Value::from("soon")),
        ],
        jwt_token in any::<bool>(),
    ) {
        let exp = now.saturating_add(offset);
        let access_token = if jwt_token {
            format!(
                "{}.{}.",
                URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
                URL_SAFE_NO_PAD.encode(format!(r#"{{"exp":{exp}}}"#))
            )
        } else {
            "opaque-token".to_string()
        };
        let body = serde_json::json!({ "access_token": access_token, "expires_in": expires_in });
        let in_bounds = i128::from(exp) - i128::from(now);
        let in_bounds = (0..=i128::from(MAX_EXPIRES_IN)).contains(&in_bounds);
        prop_assert_eq!(
            token_at(&body, now).expires_at,
            (jwt_token && in_bounds).then_some(exp)
        );
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date: the inverse of what `rfc3339` computes,
/// counted independently (days before the year, then before the month).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_before_year = |y: i64| {
        let p = y - 1;
        365 * p + p.div_euclid(4) - p.div_euclid(100) + p.div_euclid(400)
    };
    const BEFORE_MONTH: [i64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let month_days = BEFORE_MONTH[(m - 1) as usize] + i64::from(m > 2 && leap(y));
    days_before_year(y) + month_days + d - 1 - days_before_year(1970)
}

/// `YYYY-MM-DDTHH:MM:SSZ` back to Unix seconds.
fn parse_rfc3339(text: &str) -> i64 {
    let n = |range: std::ops::Range<usize>| text[range].parse::<i64>().unwrap();
    assert_eq!(text.len(), 20, "{text}");
    assert_eq!(
        (
            &text[4..5],
            &text[7..8],
            &text[10..11],
            &text[13..14],
            &text[16..17],
            &text[19..]
        ),
        ("-", "-", "T", ":", ":", "Z"),
        "{text}"
    );
    days_from_civil(n(0..4), n(5..7), n(8..10)) * 86_400
        + n(11..13) * 3600
        + n(14..16) * 60
        + n(17..19)
}

/// The seconds a `span` text stands for.
fn span_seconds(text: &str) -> u64 {
    text.split(' ')
        .map(|part| {
            let unit = match part.chars().last().unwrap() {
                'y' => 365 * 86_400,
                'd' => 86_400,
                'h' => 3600,
                'm' => 60,
                's' => 1,
                other => panic!("unit {other:?} in {text:?}"),
            };
            part[..part.len() - 1].parse::<u64>().unwrap() * unit
        })
        .sum()
}

/// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
const FIRST_SHOWN: i64 = -62_167_219_200;
const LAST_SHOWN: i64 = 253_402_300_799;

/// Days between 1970-01-01 and 0000-03-01, where the 400-year cycles of the Gregorian calendar
/// start (Hinnant's `civil_from_days` counts from there).
const CYCLE_START: i64 = -719_468;
const CYCLE_DAYS: i64 = 146_097;

/// Any instant in years 0 to 9999, with extra weight on the days where calendar rules change:
/// the ends of 400-year cycles, centuries, leap days and the two ends of the range.
fn shown_instant() -> impl Strategy<Value = i64> {
    let near = |day: i64| (-2i64..=2, 0i64..86_400).prop_map(move |(d, s)| (day + d) * 86_400 + s);
    prop_oneof![
        FIRST_SHOWN..=LAST_SHOWN,
        (0i64..25).prop_flat_map(move |k| near(CYCLE_START + k * CYCLE_DAYS)),
        (0i64..100).prop_flat_map(move |c| near(CYCLE_START + c * 36_524 + c / 4)),
        (0i64..10_000)
            .prop_flat_map(move |y| near(CYCLE_START + y * 365 + y / 4 - y / 100 + y / 400 - 1)),
        Just(FIRST_SHOWN),
        Just(LAST_SHOWN),
    ]
    .prop_map(|t| t.clamp(FIRST_SHOWN, LAST_SHOWN))
}

proptest! {
    #[test]
    fn rfc3339_is_exact_within_years_0_to_9999(t in shown_instant()) {
        prop_assert_eq!(parse_rfc3339(&rfc3339(t)), t);
    }

    #[test]
    fn rfc3339_order_is_time_order(a in shown_instant(), b in shown_instant()) {
        prop_assert_eq!(rfc3339(a).cmp(&rfc3339(b)), a.cmp(&b));
    }

    #[test]
    fn rfc3339_says_out_of_range_beyond_year_9999(
        t in prop_oneof![
            i64::MIN..FIRST_SHOWN,
            LAST_SHOWN + 1..=i64::MAX,
            // Just outside: the first and last years that are not shown.
            FIRST_SHOWN - 366 * 86_400..FIRST_SHOWN,
            LAST_SHOWN + 1..=LAST_SHOWN + 366 * 86_400,
        ]
    ) {
        prop_assert!(rfc3339(t).contains("out of range"), "{}", rfc3339(t));
    }

    #[test]
    fn span_is_its_two_largest_units(secs in any::<u64>()) {
        let text = span(secs);
        let shown = span_seconds(&text);
        prop_assert!(text.split(' ').count() <= 2, "{}", text);
        prop_assert!(shown <= secs);
        prop_assert_eq!(shown == 0, secs == 0);
        // What is dropped is less than one of the smallest unit shown... or the second unit, when
        // the second unit itself is zero and left out ("3h", not "3h 0m").
        let units = [365 * 86_400, 86_400, 3600, 60, 1u64];
        let first = units.iter().position(|&u| secs >= u).unwrap_or(4);
        let grain = units.get(first + 1).copied().unwrap_or(1);
        prop_assert!(secs - shown < grain, "{} for {}", text, secs);
    }

    #[test]
    fn span_is_monotonic(a in any::<u64>(), b in any::<u64>()) {
        let (a, b) = (a.min(b), a.max(b));
        prop_assert!(span_seconds(&span(a)) <= span_seconds(&span(b)));
    }

    #[test]
    fn relative_handles_every_pair_of_instants(at in any::<i64>(), now in any::<i64>()) {
        let text = relative(at, now);
        let distance = (i128::from(at) - i128::from(now)).unsigned_abs() as u64;
        if at >= now {
            prop_assert_eq!(text, format!("in {}", span(distance)));
        } else {
            prop_assert_eq!(text, format!("{} ago", span(distance)));
        }
    }

    #[test]
    fn relative_grows_with_the_distance(now in any::<i64>(), a in any::<u64>(), b in any::<u64>()) {
        let (near, far) = (a.min(b), a.max(b));
        let ahead = |d: u64| now.saturating_add_unsigned(d);
        let seconds = |text: String| span_seconds(text.trim_start_matches("in "));
        prop_assert!(seconds(relative(ahead(near), now)) <= seconds(relative(ahead(far), now)));
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs found by the fuzz targets (fuzz/README.md), byte for byte.

/// jwt_decode's `HEADER \0 CLAIMS \0 SIGNATURE` form: each part base64url-encoded into a token.
fn fuzz_structured_jwt(data: &[u8]) -> String {
    let mut parts = data.splitn(3, |&b| b == 0);
    let mut next = || URL_SAFE_NO_PAD.encode(parts.next().unwrap_or_default());
    let (header, claims, signature) = (next(), next(), next());
    format!("{header}.{claims}.{signature}")
}

/// `inspect` of an ordinary token on a clock before 1970: `exp - now` overflowed i64 in
/// `timefmt::relative` (a panic in debug builds).
#[test]
fn regression_jwt_decode_relative_overflow() {
    let data = b"{\"alg\":\"RS256\",\"typ\":\"JWT\"}\0{\"sub\":\"me\",\"exp\":1700000000,\"nbf\":1600000000,\"iat\":1.9e9}\0sig";
    let jwt = jwt::decode(&fuzz_structured_jwt(data)).unwrap();
    for now in [i64::MIN, -1] {
        let text = oauthctl::output::inspection(
            OutputFormat::Text,
            &Inspection {
                jwt: jwt.clone(),
                now,
                verification: None,
                binding: None,
                dpop_binding: None,
            },
        )
        .stdout;
        assert!(
            text.contains("Status     NOT YET VALID: valid from 2020-09-13T12:26:40Z (in "),
            "{text}"
        );
    }
}

/// A duplicate member whose name holds DEL characters: the name went into the error message as it
/// was, so the message carried control characters. As libFuzzer found it (the duplicate is in the
/// claims), and as `cargo fuzz tmin` reduced it (in the header).
fn assert_duplicate_member_escaped(data: &[u8], segment: &str) {
    let message = jwt::decode(&fuzz_structured_jwt(data))
        .unwrap_err()
        .to_string();
    let expected = format!("the {segment} segment is not a JSON object: duplicate member `;}}}}}}");
    assert!(message.starts_with(&expected), "{message}");
    assert!(message.contains("\\u{7f}"), "{message}");
    assert!(!message.chars().any(char::is_control), "{message:?}");
}

#[test]
fn regression_jwt_decode_duplicate_member_control() {
    assert_duplicate_member_escaped(
        include_bytes!("../../fuzz/corpus/jwt_decode/seed-crash-duplicate-member-control-original"),
        "claims",
    );
}

#[test]
fn regression_jwt_decode_duplicate_member_control_minimized() {
    assert_duplicate_member_escaped(
        b"{\"=\":0,\";}}}}}}}}}}}}}\x7f}}}}}}}\x7f}}}}}}}}}}}}}}}}}}}}}}L3NhbXBsZS5//////////////p=\":0,\";}}}}}}}}}}}}}\x7f}}}}}}}\x7f}}}}}}}}}}}}}}}}}}}}}}L3NhbXBsZS5//////////////p=\"xp\"2\x00",
        "header",
    );
}

/// config_load's nesting form: `N DEPTH(2 bytes) PREFIX \0 OPEN \0 MIDDLE \0 CLOSE` stands for
/// `PREFIX OPEN×depth MIDDLE CLOSE×depth` (fuzz/fuzz_targets/config_load.rs).
fn fuzz_nested_config(data: &[u8]) -> String {
    let rest = data.strip_prefix(b"N").unwrap();
    let depth = usize::from(u16::from_be_bytes([rest[0], rest[1]])) % 20_001;
    let mut parts = rest[2..].splitn(4, |&b| b == 0);
    let mut piece = || {
        let p = parts.next().unwrap_or_default();
        String::from_utf8_lossy(&p[..p.len().min(16)]).into_owned()
    };
    let (prefix, open, middle, close) = (piece(), piece(), piece(), piece());
    format!(
        "{prefix}{}{middle}{}",
        open.repeat(depth),
        close.repeat(depth)
    )
}

/// Deep nesting through toml_parser's error recovery overflowed the stack (SIGSEGV, the whole
/// process gone). Now refused before parsing, with a clean config error.
fn assert_nesting_refused(data: &[u8]) {
    let text = fuzz_nested_config(data);
    let err = oauthctl::config::parse(&text, std::path::Path::new("c.toml")).unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    let message = err.to_string();
    assert!(message.starts_with("config `c.toml`: "), "{message}");
    assert!(message.contains("brackets"), "{message}");
}

#[test]
fn regression_config_load_stack_overflow() {
    assert_nesting_refused(
        b"N\xe8N\x03\xe4\x8f\xf5\xe3\x80\x00.\x1bp\n\x1c\x7f\x00.= \x00{a\x7f\x00\x00\x00\x00= \x00{a\x7f\x00}0\x00}",
    );
}

/// The same, reduced by `cargo fuzz tmin`: `={{}` 18 366 times.
#[test]
fn regression_config_load_stack_overflow_minimized() {
    assert_nesting_refused(b"N\xe4\x00\x00={{}");
    assert_eq!(
        fuzz_nested_config(b"N\xe4\x00\x00={{}"),
        "={{}".repeat(18_366)
    );
}

/// A PEM block whose END line is not its BEGIN's: the pem crate's message quoted the END line
/// with its line break, and in a key file that line may be a line of the key (it was here). As
/// libFuzzer found it (`private_key`), and as written by hand.
#[test]
fn regression_private_key_pem_end_line() {
    let found = include_bytes!("../../fuzz/corpus/private_key/seed-crash-pem-end-line");
    let by_hand =
        b"-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END c2VjcmV0\n-----END EC PRIVATE KEY-----\n";
    for data in [found.as_slice(), by_hand] {
        let message = PrivateKey::parse(data, "key file `k`").unwrap_err();
        assert_eq!(
            message,
            "key file `k` is not valid PEM: the END line of the `EC PRIVATE KEY` block does not \
             match its BEGIN line"
        );
    }
}

/// An RSA key whose CRT exponent `dQ` differs from the fixture's in one byte: ring read it, then
/// failed every signature with it (found by `private_key` in its `RSA PRIVATE KEY` form: a label
/// byte 1, then the DER). It is refused when it is read, saying why.
#[test]
fn regression_private_key_rsa_that_cannot_sign() {
    let data = include_bytes!("../../fuzz/corpus/private_key/seed-crash-rsa-cannot-sign");
    let block = pem::encode(&pem::Pem::new("RSA PRIVATE KEY", data[1..].to_vec()));
    let message = PrivateKey::parse(block.as_bytes(), "key file `k`").unwrap_err();
    assert_eq!(
        message,
        "the private key in key file `k` cannot be used: the RSA key's private parts do not go \
         with its public key (a test signature fails)"
    );
}
