//! `oauthctl inspect`: decoding a token (`decode`) and verifying its signature and claims with
//! `--verify` (`verify`).

mod decode;
mod verify;
