//! `oauthctl fetch`: the client_credentials request (`client_credentials`), the token endpoint found
//! by discovery (`discovery`), `--dry-run` (`dry_run`), failures and their exit codes (`errors`),
//! renewal with a refresh token (`refresh`), a user's ID token for kubectl (`id_token`), and the
//! forms a token response may take (`response`).
//! Its use of the cache is cache/, its transport transport/.

mod client_credentials;
mod discovery;
mod dry_run;
mod errors;
mod id_token;
mod refresh;
mod response;
