//! The token cache: what it stores and when it is used (`store`), and the cache against a hostile
//! or broken environment (`hardening`).

mod hardening;
mod store;
