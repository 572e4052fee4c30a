//! What oauthctl prints: golden files of every command (`golden`), the token formats (`formats`),
//! the terminal: colour, the inspect view, the progress note (`terminal`), hostile server text
//! escaped and bounded (`hostile`), and output read by kubectl and curl (`tools`).

mod formats;
mod golden;
mod hostile;
mod terminal;
mod tools;
