//! `oauthctl fetch`: a client_credentials token (RFC 6749 §4.4) for the selected profile.

use super::{Context, TokenResult, client_secret, request_token};
use crate::config::Grant as ProfileGrant;
use crate::error::{Error, Result};
use crate::oauth::Grant;
use crate::resolve::ProfileLayer;

pub fn run(ctx: &Context, flags: ProfileLayer) -> Result<TokenResult> {
    let config = ctx.load_config()?;
    let profile = ctx.resolve_profile(&config, flags)?;
    if profile.grant != ProfileGrant::ClientCredentials {
        // A user profile needs a refresh token from an earlier sign-in; fetch never opens a
        // browser or prompts for one (it runs in CI).
        return Err(Error::LoginRequired(format!(
            "login required: {} (grant = {}) has no usable refresh token; run `oauthctl login -p {}`",
            profile.describe(),
            profile.grant.as_str(),
            profile.label()
        )));
    }
    let secret = client_secret(&profile, &config)?;
    let token = request_token(ctx, &profile, secret.as_ref(), &Grant::ClientCredentials)?;
    Ok(TokenResult {
        token,
        cached: false,
    })
}
