//! The bounds oauthctl puts on text from outside before it shows it, as the suites that send it
//! hostile text (secrets/canary.rs, output/hostile.rs) expect them.

/// The most of a non-JSON body's summary shown (`untrusted::summarize_body`), the shortest quoting
/// limit: an echo that fits in it is quoted whole by every failure below, so the sweep does not
/// depend on where a cut falls (the `cut…` kinds do).
pub const SUMMARY_CHARS: usize = 120;

/// `oauth::parse_token_response` shows at most this much of a `Location`.
pub const LOCATION_CHARS: usize = 200;

/// `oauth::answer::error_from` shows at most this much of an `error_description`.
pub const DESCRIPTION_CHARS: usize = 300;

/// The limits `untrusted::printable` is called with, besides those above: a whole error message
/// (src/output/error.rs `error`) and one `-v` line (src/http/trace.rs `Trace::line`).
/// `DESCRIPTION_CHARS` also bounds an OAuth `error` and `message` (src/oauth/answer.rs
/// `error_from`) and a claim value (src/output/mod.rs `value_text`).
pub const ERROR_CHARS: usize = 2000;
pub const TRACE_CHARS: usize = 4096;
