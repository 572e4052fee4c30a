//! The credential helpers' shared ground (DESIGN §13): which profile answers for a URL git or
//! docker asks about, and git's credential protocol (git-credential(1)) read and written. The
//! commands are `commands::git_credential` and `commands::docker_credential`.

use std::collections::BTreeMap;
use std::io::{BufRead, Read};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::settings::Settings;

/// The most a helper reads from its caller: git sends a few short lines, docker one URL.
pub const MAX_REQUEST_BYTES: u64 = 64 * 1024;

/// A URL as the helpers compare them: scheme and host in lower case, the port only when it is
/// not the scheme's default, and the path's segments (no empty ones: a trailing slash makes no
/// difference).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    scheme: String,
    host: String,
    path: Vec<String>,
}

impl Target {
    /// An absolute `http` or `https` URL (a profile's `credential_url`, git's `url`); `None`
    /// for anything else. Query and fragment are not part of what it names.
    pub fn parse(url: &str) -> Option<Target> {
        let (scheme, rest) = url.split_once("://")?;
        let rest = &rest[..rest.find(['?', '#']).unwrap_or(rest.len())];
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        // User information names no server: it is not part of what is matched.
        let host = authority.rsplit('@').next().unwrap_or_default();
        // A URL's path is percent-encoded (RFC 3986 §2.1); git hands its `path` decoded.
        Target::new(scheme, host, &percent_decoded(path))
    }

    /// What git asks about: `protocol`, `host` (with its port) and, with
    /// `credential.useHttpPath`, `path`.
    pub fn from_git(protocol: &str, host: &str, path: Option<&str>) -> Option<Target> {
        Target::new(protocol, host, path.unwrap_or_default())
    }

    /// What docker asks about: a registry's URL, or a bare host, which means `https://HOST`.
    pub fn from_docker(server: &str) -> Option<Target> {
        if server.contains("://") {
            Target::parse(server)
        } else {
            Target::parse(&format!("https://{server}"))
        }
    }

    fn new(scheme: &str, host: &str, path: &str) -> Option<Target> {
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "https" => ":443",
            "http" => ":80",
            _ => return None,
        };
        let host = host.to_ascii_lowercase();
        let host = host.strip_suffix(default_port).unwrap_or(&host).to_string();
        let valid = |c: char| c.is_ascii_alphanumeric() || "-._:[]".contains(c);
        if host.is_empty() || !host.chars().all(valid) {
            return None;
        }
        // RFC 3986 §5.2.4: `.` and `..` segments of the decoded path are resolved before
        // comparing, so that `/team/../other` is not taken for a path below `/team`.
        let mut resolved: Vec<String> = Vec::new();
        for segment in path.split('/').filter(|segment| !segment.is_empty()) {
            match segment {
                "." => {}
                ".." => {
                    resolved.pop();
                }
                _ => resolved.push(segment.to_string()),
            }
        }
        Some(Target {
            scheme,
            host,
            path: resolved,
        })
    }

    /// Whether this (a profile's `credential_url`) answers for `request`: the same scheme and
    /// host (port included), and this path a prefix of the request's at a `/` boundary, so that
    /// `https://git.example.com` never covers `https://git.example.com.evil.net` nor `/team`
    /// covers `/team-b`.
    pub fn covers(&self, request: &Target) -> bool {
        self.scheme == request.scheme
            && self.host == request.host
            && request.path.starts_with(&self.path)
    }

    /// Plain http to a host that is not this machine: a token would cross the network in clear
    /// (SECURITY 15), so no helper answers for it.
    pub fn is_cleartext_remote(&self) -> bool {
        let host = match self.host.rsplit_once(':') {
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
            _ => &self.host,
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.scheme == "http" && !crate::http::is_loopback(host)
    }

    /// `scheme://host/path`, as it names the target in messages.
    pub fn url(&self) -> String {
        format!("{}://{}/{}", self.scheme, self.host, self.path.join("/"))
    }
}

/// `path` with each valid `%XX` escape decoded (RFC 3986 §2.1; a `%` that starts none stays as
/// it is); bytes that do not make UTF-8 are replaced, never a reason to keep `%2e%2e` undecoded.
fn percent_decoded(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Answers with the profile that answers for `target`, if one does (`None` otherwise): `-p NAME`
/// when given on the command line (and it covers the target, when it names a `credential_url`:
/// a token never goes to another server), else the one whose `credential_url` covers it. `answer`
/// runs with that profile's own settings, the file's alone (`Settings::for_profile`), given its
/// name; what they warn about is the run's to say.
pub fn answer_as_profile<T>(
    settings: &Settings,
    target: &Target,
    answer: impl FnOnce(&Settings, &str) -> Result<T>,
) -> Result<Option<T>> {
    let name = match (settings.profile_on_command_line, &settings.profile_name) {
        (true, Some(name)) => name.clone(),
        _ => match profile_for(settings.config()?, target)? {
            Some(name) => name,
            None => return Ok(None),
        },
    };
    let chosen = settings.for_profile(&name);
    // `-p NAME` answers only within what the file says it covers: no variable widens it.
    let covers = match chosen.profile()?.credential_url.as_deref() {
        None => true,
        Some(url) => Target::parse(url).is_some_and(|own| own.covers(target)),
    };
    let answered = match covers {
        true => answer(&chosen, &name).map(Some),
        false => Ok(None),
    };
    if let Some(warning) = chosen.take_warning() {
        settings.warn(warning);
    }
    answered
}

/// Refuses a DPoP profile to a caller that sends no proofs (`program`: git, docker), before any
/// token request: a DPoP token is of no use to it, and a Bearer answer to a DPoP request is not
/// to be handed out either (RFC 9449 §7).
pub fn refuse_dpop(settings: &Settings, name: &str, program: &str) -> Result<()> {
    if settings.profile()?.uses_dpop() {
        return Err(Error::Usage(format!(
            "profile `{name}` uses DPoP, and {program} cannot send the DPoP proof each request needs (RFC 9449 §7): use a profile without dpop for {program}"
        )));
    }
    Ok(())
}

/// The profile of `config` whose `credential_url` covers `request`, the longest path winning
/// (DESIGN §13); `None` when none does. Two profiles with the same `credential_url` are a
/// mistake to fix, not a choice to guess: an error names both.
pub fn profile_for(config: &Config, request: &Target) -> Result<Option<String>> {
    let mut best: Option<(usize, &str)> = None;
    for (name, entry) in &config.file.profiles {
        let Some(url) = entry.credential_url.as_deref() else {
            continue;
        };
        let Some(target) = Target::parse(url) else {
            return Err(Error::Config(format!(
                "profile `{name}` in `{}`: credential_url `{url}` is not an absolute http or https URL",
                config.path.display()
            )));
        };
        if target.is_cleartext_remote() {
            return Err(Error::Config(format!(
                "profile `{name}` in `{}`: credential_url `{url}` is plain http to another machine, where the token would travel in clear: use https",
                config.path.display()
            )));
        }
        if !target.covers(request) {
            continue;
        }
        match best {
            Some((length, other)) if length == target.path.len() => {
                return Err(Error::Config(format!(
                    "profiles `{other}` and `{name}` in `{}` both answer for {} (credential_url): keep one",
                    config.path.display(),
                    request.url()
                )));
            }
            Some((length, _)) if length > target.path.len() => {}
            _ => best = Some((target.path.len(), name)),
        }
    }
    Ok(best.map(|(_, name)| name.to_string()))
}

/// A request of git's credential protocol (git-credential(1)): `key=value` lines until a blank
/// line or the end of input. Keys that end in `[]` may repeat; any other key keeps its last value.
#[derive(Default, Clone)]
pub struct GitRequest {
    pub attributes: BTreeMap<String, String>,
    pub capabilities: Vec<String>,
}

/// By hand: the attributes' names only, never a value (git sends the password it erases).
impl std::fmt::Debug for GitRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitRequest")
            .field("attributes", &self.attributes.keys().collect::<Vec<_>>())
            .field("capabilities", &self.capabilities)
            .finish()
    }
}

impl GitRequest {
    /// Reads the request. A line without `=`, or with a NUL, is a protocol error that names the
    /// line (never its value, which may be a password).
    pub fn parse(text: &str) -> Result<GitRequest> {
        let mut request = GitRequest::default();
        for (number, line) in text.split('\n').enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() {
                break;
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err(Error::Usage(format!(
                    "git-credential: line {} of the request is not key=value (git-credential(1))",
                    number + 1
                )));
            };
            if line.contains('\0') {
                return Err(Error::Usage(format!(
                    "git-credential: line {} of the request holds a NUL",
                    number + 1
                )));
            }
            match key {
                "capability[]" => request.capabilities.push(value.to_string()),
                _ => {
                    request
                        .attributes
                        .insert(key.to_string(), value.to_string());
                }
            }
        }
        Ok(request)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }

    /// What git asks about: `protocol`, `host` and `path`, else its `url`.
    pub fn target(&self) -> Option<Target> {
        match (self.get("protocol"), self.get("host")) {
            (Some(protocol), Some(host)) => Target::from_git(protocol, host, self.get("path")),
            _ => self.get("url").and_then(Target::parse),
        }
    }
}

/// git's request from `input`: lines up to the blank line that ends it (git may keep its end of
/// the pipe open after it), or the end of input; at most [`MAX_REQUEST_BYTES`].
pub fn read_git_request(input: impl std::io::BufRead) -> Result<String> {
    let mut text = String::new();
    let mut input = input.take(MAX_REQUEST_BYTES + 1);
    loop {
        let mut line = String::new();
        let read = input
            .read_line(&mut line)
            .map_err(|e| Error::Usage(format!("git-credential: cannot read the request: {e}")))?;
        if text.len() + line.len() > MAX_REQUEST_BYTES as usize {
            return Err(Error::Usage(
                "git-credential: the request is larger than 64 KiB".into(),
            ));
        }
        text.push_str(&line);
        if read == 0 || line == "\n" || line == "\r\n" {
            return Ok(text);
        }
    }
}

/// What docker writes on stdin (a registry's URL, or `store`'s JSON): all of it, at most
/// [`MAX_REQUEST_BYTES`].
pub fn read_docker_input(input: impl std::io::Read) -> Result<String> {
    let mut bytes = Vec::new();
    input
        .take(MAX_REQUEST_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Usage(format!("docker-credential: cannot read stdin: {e}")))?;
    if bytes.len() as u64 > MAX_REQUEST_BYTES {
        return Err(Error::Usage(
            "docker-credential: the input is larger than 64 KiB".into(),
        ));
    }
    String::from_utf8(bytes)
        .map_err(|_| Error::Usage("docker-credential: the input is not UTF-8".into()))
}

/// One `key=value` line of an answer to git: a value with a newline or a NUL would end the
/// line early or corrupt the protocol, so it is refused (the caller never sends it).
pub fn git_line(key: &str, value: &str) -> Result<String> {
    if value.contains(['\n', '\r', '\0']) {
        return Err(Error::Config(format!(
            "git-credential: the {key} holds a line break or a NUL, which git's protocol cannot carry"
        )));
    }
    Ok(format!("{key}={value}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(url: &str) -> Target {
        Target::parse(url).unwrap()
    }

    #[test]
    fn a_profile_covers_its_host_and_paths_below_at_a_slash() {
        let profile = t("https://git.example.com/team/");
        assert!(profile.covers(&t("https://git.example.com/team")));
        assert!(profile.covers(&t("https://GIT.example.com:443/team/repo.git")));
        assert!(!profile.covers(&t("https://git.example.com/team-b/repo.git")));
        assert!(!profile.covers(&t("https://git.example.com/")));
        assert!(!profile.covers(&t("http://git.example.com/team/repo.git")));
        assert!(!profile.covers(&t("https://git.example.com:8443/team/repo.git")));
        let host = t("https://git.example.com");
        assert!(host.covers(&t("https://git.example.com/any/thing")));
        assert!(!host.covers(&t("https://git.example.com.evil.net/any")));
        assert!(!host.covers(&t("https://evil.net/git.example.com")));
        assert!(!host.covers(&t("https://user@evil.net/")));
        assert!(!profile.covers(&t("https://git.example.com/team/../other/x.git")));
        assert!(!profile.covers(&t("https://git.example.com/team/%2E%2e/other/x.git")));
        assert!(!profile.covers(&t("https://git.example.com/team/%2e%2e/other/%zz")));
        // git decodes its path once: a `%2e%2e` left in it is a literal segment, not `..`.
        let once = Target::from_git("https", "git.example.com", Some("team/%2e%2e/x.git"));
        assert!(profile.covers(&once.unwrap()));
        assert!(
            t("https://h/My%20Org")
                .covers(&Target::from_git("https", "h", Some("My Org/r")).unwrap())
        );
        assert!(profile.covers(&t("https://git.example.com/other/../team/./x.git")));
    }

    #[test]
    fn git_and_docker_name_targets_their_own_ways() {
        assert_eq!(
            Target::from_git("https", "git.example.com", Some("team/repo.git")),
            Some(t("https://git.example.com/team/repo.git"))
        );
        assert_eq!(
            Target::from_git("https", "git.example.com", None),
            Some(t("https://git.example.com/"))
        );
        assert_eq!(
            Target::from_docker("europe-docker.pkg.dev"),
            Some(t("https://europe-docker.pkg.dev"))
        );
        assert_eq!(
            Target::from_docker("https://index.docker.io/v1/"),
            Some(t("https://index.docker.io/v1"))
        );
        assert_eq!(Target::from_git("ssh", "git.example.com", None), None);
        assert_eq!(Target::parse("git.example.com"), None);
        assert_eq!(Target::parse("https:///x"), None);
        assert_eq!(Target::parse("https://a b/"), None);
    }

    #[test]
    fn git_requests_are_read_to_the_blank_line_and_answers_keep_to_one_line() {
        let request =
            GitRequest::parse("capability[]=authtype\nprotocol=https\nhost=h\npath=a/b\n\nx=y\n")
                .unwrap();
        assert_eq!(request.capabilities, ["authtype"]);
        assert_eq!(request.get("path"), Some("a/b"));
        assert_eq!(request.get("x"), None);
        assert_eq!(request.target(), Some(t("https://h/a/b")));
        assert!(GitRequest::parse("protocol\n").is_err());
        assert_eq!(git_line("password", "t").unwrap(), "password=t\n");
        assert!(git_line("username", "a\nb").is_err());
    }
}
