//! The core command-line contract: fetch, exchange-code, inspect, profiles, errors and exit codes.
