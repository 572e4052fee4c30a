//! `oauthctl fetch`: the profile's access token, cached, renewed or new (`tokens::current`).

use crate::error::Result;
use crate::settings::Settings;
use crate::tokens::{CacheUse, TokenResult};

pub fn run(settings: &Settings, cache_use: CacheUse) -> Result<TokenResult> {
    crate::tokens::current(settings, cache_use)
}
