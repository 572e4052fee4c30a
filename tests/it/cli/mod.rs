//! The command line itself: usage errors, help and version (`usage`), and shell completions
//! (`completions`).

mod completions;
mod usage;
