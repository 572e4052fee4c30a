//! What the suites share: the hermetic environment and its assertions (`common`), the
//! client-credentials profile and the one `fetch` helper (`app`), the strict loopback stub
//! (`server`), a CI platform that mints workload identity tokens (`ci_platform`), the real
//! authorization server of the e2e suites (`idp`) and its clients' keys and
//! certificates (`keys`), loopback relays and a CONNECT proxy (`proxy`), a TLS front with a
//! private CA (`tls`), and the bounds on text from outside (`untrusted`). `harness` holds the
//! tests of these helpers themselves.

pub mod app;
pub mod ci_platform;
pub mod common;
pub mod idp;
pub mod keys;
pub mod proxy;
pub mod server;
pub mod tls;
pub mod untrusted;

mod harness;
