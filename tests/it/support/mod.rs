//! What the suites share: the hermetic environment and its assertions (`common`), the
//! client-credentials profile and the one `fetch` helper (`app`), the strict loopback stub
//! (`server`), a CI platform that mints workload identity tokens (`ci_platform`), the real
//! authorization server of the e2e suites (`idp`) and its clients' keys and
//! certificates (`keys`), loopback relays and a CONNECT proxy (`proxy`), a TLS front with a
//! private CA (`tls`), the bounds on text from outside (`untrusted`), a DPoP protected
//! resource that checks proofs and token binding as RFC 9449 asks of one (`resource_server`), a
//! git smart-HTTP server that asks for credentials on every request and serves real
//! repositories through `git http-backend`, for the real git as a credential helper's client
//! (`git_server`), a Docker Engine API stub and the real docker CLI set up to use it with
//! oauthctl as its credential helper (`docker_daemon`), and `oauthctl` as a user file modes
//! bind, `nobody` when the suite runs as root (`unprivileged`). `harness` holds the tests of these
//! helpers themselves, except `resource_server` and `git_server`, whose tests are in their own
//! files, and `docker_daemon`, whose peer is the real docker CLI of the `docker_cli` suite.

pub mod app;
pub mod ci_platform;
pub mod common;
pub mod docker_daemon;
pub mod git_server;
pub mod idp;
pub mod keys;
pub mod proxy;
pub mod resource_server;
pub mod server;
pub mod tls;
pub mod unprivileged;
pub mod untrusted;

mod harness;
