//! `oauthctl introspect`: asks the authorization server whether a token is active and what it
//! stands for (RFC 7662), authenticated as the profile's client (§2.1). The answer is the server's
//! word, kept as sent; only an echo of what we sent is masked in it.

use serde_json::{Map, Value};

use crate::discovery::Endpoint;
use crate::error::{Error, Refusal, Result};
use crate::http::{Resend, Response, Trace};
use crate::jwt::{TimeClaim, json_kind, time_claim};
use crate::oauth::Param;
use crate::secret::{Secret, SecretSource};
use crate::settings::Settings;

pub struct IntrospectInput {
    /// As given on the command line; `-` reads stdin, `None` reads a piped stdin, else (with `-p`)
    /// the profile's own token.
    pub token: Option<String>,
    pub hint: Option<&'static str>,
    pub require_active: bool,
}

/// The server's answer (RFC 7662 §2.2).
#[derive(Debug)]
pub struct Introspection {
    /// The JSON object as sent, members in order, with any echo of what we sent masked.
    pub response: Map<String, Value>,
    /// The endpoint's host, for messages.
    pub host: String,
    pub now: i64,
}

impl Introspection {
    /// RFC 7662 §2.2 `active`, checked to be a boolean when the answer was read.
    pub fn active(&self) -> bool {
        self.response.get("active") == Some(&Value::Bool(true))
    }

    /// `exp`, `iat` and `nbf` are NumericDates as in a JWT (RFC 7662 §2.2 refers to RFC 7519), so
    /// they are read by the same rule as `inspect` reads them.
    pub fn time(&self, name: &str) -> TimeClaim {
        time_claim(&self.response, name)
    }
}

pub fn run(settings: &Settings, input: IntrospectInput) -> Result<Introspection> {
    let secret_from_stdin = settings.flags().secret == Some(SecretSource::Stdin);
    let token = match input.token.as_deref() {
        Some("-") => Some(crate::input::token_from_stdin(secret_from_stdin)?),
        Some(token) => Some(crate::input::checked_token(token.as_bytes())?),
        // A piped stdin is the token, as in `fetch -p web | oauthctl introspect -p gateway`.
        None => crate::input::piped_token(secret_from_stdin)?,
    };
    let token = match token {
        Some(token) => Secret::new(token),
        None if settings.profile_on_command_line => Secret::new(
            crate::tokens::current(settings, Default::default())?
                .token
                .access_token,
        ),
        None => {
            return Err(Error::Usage(
                "no token to introspect: give it as an argument, `-` for stdin, pipe it, or name a profile with -p to introspect its own".into(),
            ));
        }
    };
    let mut params = vec![Param::secret("token", &token)];
    if let Some(hint) = input.hint {
        params.push(Param::public("token_type_hint", hint));
    }
    let introspection = settings.client()?.post(
        Endpoint::Introspection,
        params,
        &[&token],
        // Introspection only reads: asking again changes nothing at the server.
        Resend::Always,
        parse_introspection,
    )?;
    let host = &introspection.host;
    if input.require_active && !introspection.active() {
        return Err(Error::Refused(Box::new(Refusal {
            status: 200,
            code: None,
            description: None,
            message: format!(
                "the introspection endpoint {host} says the token is not active (expired, revoked, or unknown to it)"
            ),
        })));
    }
    Ok(introspection)
}

/// RFC 7662 §2.2: a JSON object whose `active` is a boolean; §2.3: errors as RFC 6749 §5.2.
fn parse_introspection(response: &Response, trace: &Trace, host: &str) -> Result<Introspection> {
    let endpoint = format!("the introspection endpoint {host}");
    let status = response.status;
    let response = crate::oauth::success_object(response, &endpoint, trace)?;
    let not_an_answer = |why: String| Error::Unreachable {
        message: format!("{endpoint} answered HTTP {status} but {why}"),
        status: Some(status),
    };
    match response.get("active") {
        Some(Value::Bool(_)) => {}
        None => {
            return Err(not_an_answer(
                "its answer has no `active` member (RFC 7662 §2.2)".into(),
            ));
        }
        Some(other) => {
            return Err(not_an_answer(format!(
                "its `active` is {}, not a boolean (RFC 7662 §2.2)",
                json_kind(other)
            )));
        }
    }
    Ok(Introspection {
        response: masked(response, trace),
        host: host.to_string(),
        now: crate::timefmt::now(),
    })
}

/// The object with every secret we sent (the token, the client's credentials) masked wherever
/// the server repeated it, in names and values at any depth (SECURITY 38).
fn masked(map: Map<String, Value>, trace: &Trace) -> Map<String, Value> {
    fn mask(value: Value, trace: &Trace) -> Value {
        match value {
            Value::String(s) => Value::String(trace.scrub(&s)),
            Value::Array(items) => {
                Value::Array(items.into_iter().map(|v| mask(v, trace)).collect())
            }
            Value::Object(map) => Value::Object(masked(map, trace)),
            other => other,
        }
    }
    map.into_iter()
        .map(|(k, v)| (trace.scrub(&k), mask(v, trace)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Response {
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

    fn parse(status: u16, body: &str) -> Result<Introspection> {
        parse_introspection(
            &answer(status, body),
            &Trace::off(crate::oauth::SECRET_NAMES),
            "idp.example",
        )
    }

    #[test]
    fn an_answer_needs_a_boolean_active() {
        assert!(
            parse(200, r#"{"active":true,"scope":"a b"}"#)
                .unwrap()
                .active()
        );
        assert!(!parse(200, r#"{"active":false}"#).unwrap().active());
        for (body, why) in [
            (r#"{"scope":"a"}"#, "no `active` member"),
            (r#"{"active":"true"}"#, "`active` is a string"),
            (r#"[true]"#, "not an object"),
            ("active=true", "not valid JSON"),
            ("", "not valid JSON"),
        ] {
            let err = parse(200, body).unwrap_err();
            assert_eq!(err.exit() as u8, 4, "{body}");
            assert!(err.to_string().contains(why), "{body}: {err}");
        }
    }

    #[test]
    fn errors_are_the_oauth_ones() {
        let err = parse(401, r#"{"error":"invalid_client"}"#).unwrap_err();
        assert_eq!(err.exit() as u8, 3);
        assert!(
            err.to_string()
                .starts_with("the introspection endpoint idp.example refused"),
            "{err}"
        );
        assert_eq!(parse(503, "").unwrap_err().exit() as u8, 4);
    }

    #[test]
    fn an_echo_of_the_token_is_masked_at_any_depth() {
        let trace = Trace::off(crate::oauth::SECRET_NAMES);
        trace.mask("tok-SECRET");
        let body = r#"{"active":true,"tok-SECRET":1,"x":["a tok-SECRET"],"y":{"z":"tok-SECRET"}}"#;
        let got = parse_introspection(&answer(200, body), &trace, "h").unwrap();
        let text = serde_json::to_string(&got.response).unwrap();
        assert!(!text.contains("SECRET"), "{text}");
        assert_eq!(got.response["y"]["z"], "***");
    }

    #[test]
    fn times_follow_the_numericdate_rule() {
        let got = parse(200, r#"{"active":true,"exp":1700000000.5,"iat":"soon"}"#).unwrap();
        assert_eq!(got.time("exp"), TimeClaim::At(1_700_000_000));
        assert!(matches!(got.time("iat"), TimeClaim::Invalid(_)));
        assert_eq!(got.time("nbf"), TimeClaim::Absent);
    }
}
