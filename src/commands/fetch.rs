//! `oauthctl fetch`: the profile's access token, cached, renewed or new (`tokens::current`), and
//! for a DPoP token, a proof for the request it goes with (`--url`, DESIGN §12).

use crate::dpop::Request;
use crate::error::{Error, Result};
use crate::settings::Settings;
use crate::tokens::{CacheUse, TokenResult};

pub fn run(
    settings: &Settings,
    cache_use: CacheUse,
    request: Option<&Request>,
) -> Result<TokenResult> {
    let mut result = crate::tokens::current(settings, cache_use)?;
    let Some(request) = request else {
        return Ok(result);
    };
    // RFC 9449 §7: a DPoP token goes with a proof of the key it is bound to, for this request,
    // with the token's hash (`ath`). A Bearer token needs none.
    if !result.token.is_dpop() {
        return Ok(result);
    }
    let bound_to = result.token.dpop_jkt.as_deref();
    let key = settings.dpop()?.map(|dpop| &dpop.key);
    let Some(key) = key.filter(|key| Some(key.jkt.as_str()) == bound_to) else {
        return Err(Error::Config(format!(
            "the token of {} is a DPoP token, but not bound to its DPoP key: no proof can be made for it",
            settings.profile()?.describe()
        )));
    };
    result.dpop_proof = Some(key.proof(crate::dpop::ProofFor {
        method: &request.method,
        url: &request.url,
        nonce: request.nonce.as_deref(),
        access_token: Some(&result.token.access_token),
    })?);
    Ok(result)
}
