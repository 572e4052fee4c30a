//! Transport rules (SECURITY 15–26, 47; DESIGN §6), each test driving the real binary against
//! loopback servers and asserting on what went over the wire, the exit code (DESIGN §5), the
//! one-line message and an empty stdout: plain HTTP, redirects and the body cap (`http`), a
//! private CA over TLS (`tls`), proxies from the environment (`proxy`), and retries, timeouts and
//! broken connections (`retries`). Besides the strict stubs of `support/server.rs`, they use the
//! relays of `support/proxy.rs`, the HTTPS front of `support/tls.rs`, and GNU time for the peak
//! memory of a run.

mod http;
mod proxy;
mod retries;
mod tls;

use crate::support::common::token_reply;
use crate::support::server::{Reply, StubServer};

/// The token endpoint behind the TLS front, for the `ca_file` tests (tls.rs) and the proxied
/// remote server (proxy.rs).
fn tls_backend() -> StubServer {
    StubServer::start(|r| {
        if r.path == "/token" {
            token_reply("tok-over-tls")
        } else {
            Reply::new(404, "text/plain", "no such path")
        }
    })
}
