//! End-to-end tests against a real authorization server, oidc-provider on 127.0.0.1, shared by
//! every e2e test of the process (support/idp.rs): a client's own tokens from `fetch` and
//! `exchange-code` (`tokens`), signing a user in, `revoke` and `introspect` (`users`), and
//! `inspect --verify` on real tokens (`verify`), oauthctl's clients without shared secrets
//! (`client_auth`: private_key_jwt, client_secret_jwt, mutual TLS), and the server's own clients
//! without shared secrets, checked without oauthctl (`idp`), and workload identity's CI platform
//! and grants, checked without oauthctl (`workload`), and oauthctl's workload identity against them
//! (`workload_identity`), and the server's DPoP (RFC 9449), checked without oauthctl's binary
//! (`dpop_server`), and oauthctl's DPoP against it for every grant, its tokens used through curl
//! (`dpop`), kubectl's OIDC sign-in with the ID token of `fetch --id-token`, through a
//! kubeconfig exec entry (`kubectl_oidc`), and `oauthctl git-credential` as the real git's
//! credential helper against a git server that asks the authorization server about each token
//! (`git`). Every test is named `e2e_…`; run only these with `cargo test --test it e2e`.

mod client_auth;
mod dpop;
mod dpop_server;
mod git;
mod idp;
mod kubectl_oidc;
mod tokens;
mod users;
mod verify;
mod workload;
mod workload_identity;
