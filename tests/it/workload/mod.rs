//! Workload identity in CI (DESIGN §11): identity tokens from a CI platform, a variable, a file or
//! a command, exchanged for access tokens (RFC 8693 token exchange, RFC 7523 jwt-bearer, a
//! federated client assertion), against loopback stubs that record exactly what was sent.

mod exchange;
mod self_signed;
mod sources;
