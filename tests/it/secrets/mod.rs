//! No secret reaches the user: the canary sweep over every command and failure (`canary`), and
//! what a server echoes or `-v` traces (`server_echo`).

mod canary;
mod server_echo;
