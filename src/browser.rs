//! Opening the user's browser at the authorization URL for `oauthctl login`.
//!
//! `BROWSER`, when set, is honoured as most Unix tools read it: a `:`-separated list of commands,
//! each split on whitespace, with `%s` replaced by the URL (or the URL added as the last argument).
//! Otherwise the platform's opener: `xdg-open`, `open` on macOS, the URL protocol handler on
//! Windows. The command runs in the background with its output discarded and none of oauthctl's
//! `OAUTHCTL_*` variables; the URL is always printed too, in case the browser never shows up.

use std::process::{Child, Stdio};

/// A started browser command; dropping it reaps the process if it has finished.
pub struct Opened {
    child: Child,
}

impl Drop for Opened {
    fn drop(&mut self) {
        let _ = self.child.try_wait();
    }
}

/// Starts the first command that can be started; `None` when none could.
pub fn open(url: &str) -> Option<Opened> {
    commands(std::env::var("BROWSER").ok().as_deref(), url)
        .into_iter()
        .find_map(|argv| {
            let (program, args) = argv.split_first()?;
            crate::secret::child_command(program)
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .ok()
                .map(|child| Opened { child })
        })
}

/// The candidate command lines, in order.
fn commands(browser: Option<&str>, url: &str) -> Vec<Vec<String>> {
    if let Some(list) = browser.filter(|b| !b.trim().is_empty()) {
        return list
            .split(':')
            .filter(|entry| !entry.trim().is_empty())
            .map(|entry| {
                let mut argv: Vec<String> = entry.split_whitespace().map(String::from).collect();
                if argv.iter().any(|a| a.contains("%s")) {
                    for arg in &mut argv {
                        *arg = arg.replace("%s", url);
                    }
                } else {
                    argv.push(url.to_string());
                }
                argv
            })
            .collect();
    }
    let platform: &[&str] = if cfg!(target_os = "macos") {
        &["open"]
    } else if cfg!(windows) {
        // Not `cmd /C start`: cmd.exe would read the URL's `&` as a command separator, running
        // whatever follows (a URL can come from a server's metadata).
        &["rundll32", "url.dll,FileProtocolHandler"]
    } else {
        &["xdg-open"]
    };
    let mut argv: Vec<String> = platform.iter().map(|s| s.to_string()).collect();
    argv.push(url.to_string());
    vec![argv]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_lists_substitute_or_append_the_url() {
        let url = "https://idp/authorize?a=1&b=2";
        assert_eq!(
            commands(Some("firefox --new-tab:lynx %s"), url),
            vec![
                vec!["firefox".to_string(), "--new-tab".into(), url.into()],
                vec!["lynx".to_string(), url.into()],
            ]
        );
        assert_eq!(
            commands(Some("curl -G --data-urlencode url=%s http://t/browse"), url)[0][3],
            format!("url={url}")
        );
        assert_eq!(commands(Some("  "), url), commands(None, url));
    }
}
