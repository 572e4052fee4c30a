//! Which profile answers git for a URL (DESIGN §13): the same scheme and host (port included,
//! the scheme's default port or none being the same), the profile's path a prefix of the
//! request's at a `/`, the longest path winning; `-p NAME` within its own credential_url; plain
//! http only on this machine; and two profiles that claim the same URL an error naming both.

use super::{assert_basic_answer, git_credential, git_request, numbering_server, write_profiles};
use crate::support::common::{Env, stderr_of, stdout_of};
use crate::support::server::StubServer;

/// The profile that answered (from its token's name, `tok-<profile>-<n>`), or `None` when
/// nothing was answered; every answer is the Basic one, and no answer asks any server.
fn answered_by(env: &Env, server: &StubServer, pre: &[&str], request: &str) -> Option<String> {
    let before = server.request_count();
    let assert = git_credential(env, pre, "get", request).assert().success();
    let stdout = stdout_of(&assert);
    if stdout.is_empty() {
        assert_eq!(server.request_count(), before, "no answer, no request");
        return None;
    }
    assert_eq!(stderr_of(&assert), "", "{request:?}");
    let token = assert_basic_answer(&stdout, "oauth2");
    let rest = token.strip_prefix("tok-").expect(&token);
    Some(rest[..rest.rfind('-').unwrap()].to_owned())
}

#[test]
fn git_profiles_cover_their_host_and_paths_below_at_a_slash_and_the_longest_wins() {
    let server = numbering_server();
    let env = Env::new();
    write_profiles(
        &env,
        &server,
        &[
            ("host", "https://git.example.com"),
            ("team", "https://git.example.com/team/"),
            ("app", "https://git.example.com/team/app"),
            ("alt", "https://git.example.com:8443"),
            ("port443", "https://registry.example.com:443/x"),
        ],
    );
    let cases: [(&str, Option<&str>, Option<&str>); 16] = [
        // Without credential.useHttpPath git sends no path: the host's profile answers.
        ("git.example.com", None, Some("host")),
        ("git.example.com", Some("other/x.git"), Some("host")),
        ("git.example.com", Some("team"), Some("team")),
        ("git.example.com", Some("team/"), Some("team")),
        ("git.example.com", Some("team/x.git"), Some("team")),
        ("git.example.com", Some("team-b/x.git"), Some("host")),
        ("git.example.com", Some("team/app.git"), Some("team")),
        ("git.example.com", Some("team/app/x.git"), Some("app")),
        // The default port is no port; another port is another server.
        ("git.example.com:443", Some("team/x.git"), Some("team")),
        ("registry.example.com", Some("x/y"), Some("port443")),
        ("git.example.com:8443", Some("team/x.git"), Some("alt")),
        ("GIT.Example.COM", Some("team/x.git"), Some("team")),
        // Another host, whatever its name holds.
        ("git.example.com.evil.net", Some("team/x.git"), None),
        ("evil.net", Some("git.example.com/team"), None),
        ("example.com", None, None),
        ("registry.example.com", Some("xy"), None),
    ];
    for (host, path, expected) in cases {
        let request = git_request("https", host, path);
        assert_eq!(
            answered_by(&env, &server, &[], &request).as_deref(),
            expected,
            "{request:?}"
        );
    }
    // git's other form of the same request: one `url`.
    let request = "url=https://git.example.com/team/app/x.git\n\n";
    assert_eq!(
        answered_by(&env, &server, &[], request).as_deref(),
        Some("app")
    );
}

#[test]
fn git_a_path_profile_covers_no_sibling_path_nor_another_host() {
    let server = numbering_server();
    let env = Env::new();
    write_profiles(&env, &server, &[("team", "https://git.example.com/team")]);
    let cases: [(&str, Option<&str>, Option<&str>); 6] = [
        ("git.example.com", Some("team/x.git"), Some("team")),
        ("git.example.com", Some("team-b/x.git"), None),
        ("git.example.com", Some("teams/x.git"), None),
        // git sends no path without credential.useHttpPath: a path profile cannot match.
        ("git.example.com", None, None),
        ("git.example.com.evil.net", Some("team/x.git"), None),
        ("evil.net", Some("team/x.git"), None),
    ];
    for (host, path, expected) in cases {
        let request = git_request("https", host, path);
        assert_eq!(
            answered_by(&env, &server, &[], &request).as_deref(),
            expected,
            "{request:?}"
        );
    }
    assert_eq!(server.request_count(), 1);
}

#[test]
fn git_no_covering_profile_is_no_answer_and_no_request() {
    let server = numbering_server();
    let env = Env::new();
    // A profile with no credential_url answers only with -p.
    env.write_config(&super::profile_toml("plain", &server.url("/token"), ""));
    let request = git_request("https", "git.example.com", Some("x.git"));
    git_credential(&env, &[], "get", &request)
        .assert()
        .success()
        .stdout("")
        .stderr("");
    // No config at all.
    let bare = Env::new();
    git_credential(&bare, &[], "get", &request)
        .assert()
        .success()
        .stdout("")
        .stderr("");
    assert_eq!(server.request_count(), 0);
}

/// `-p NAME` names the profile (not the longest match), but never beyond its credential_url: a
/// token does not go to a server its profile does not name.
#[test]
fn git_profile_flag_answers_only_within_its_credential_url() {
    let server = numbering_server();
    let env = Env::new();
    let mut toml = super::profile_toml(
        "host",
        &server.url("/token"),
        "credential_url = \"https://git.example.com\"",
    );
    toml.push_str(&super::profile_toml(
        "team",
        &server.url("/token"),
        "credential_url = \"https://git.example.com/team\"",
    ));
    toml.push_str(&super::profile_toml("plain", &server.url("/token"), ""));
    env.write_config(&toml);
    let team_repo = git_request("https", "git.example.com", Some("team/x.git"));
    let other_repo = git_request("https", "git.example.com", Some("other/x.git"));
    let other_host = git_request("https", "git.example.net", Some("team/x.git"));

    let by = |profile: &str, request: &str| answered_by(&env, &server, &["-p", profile], request);
    assert_eq!(by("host", &team_repo).as_deref(), Some("host"));
    assert_eq!(by("team", &team_repo).as_deref(), Some("team"));
    assert_eq!(by("team", &other_repo), None);
    assert_eq!(by("team", &other_host), None);
    assert_eq!(by("host", &other_host), None);
    // Without a credential_url, the named profile answers for any https URL.
    assert_eq!(by("plain", &other_host).as_deref(), Some("plain"));
    assert_eq!(server.request_count(), 3);
}

/// SECURITY 15: a token never crosses the network in clear. git asking over plain http for
/// another machine gets no answer, whichever profile would cover the host, and a warning says
/// why; on this machine plain http is answered.
#[test]
fn git_plain_http_is_answered_on_loopback_only() {
    let server = numbering_server();
    let env = Env::new();
    write_profiles(
        &env,
        &server,
        &[
            ("git", "https://git.example.com"),
            ("local", "http://127.0.0.1:8080"),
        ],
    );
    let cleartext = git_request("http", "git.example.com", Some("x.git"));
    for pre in [&[][..], &["-p", "git"]] {
        let assert = git_credential(&env, pre, "get", &cleartext)
            .assert()
            .success()
            .stdout("");
        let stderr = stderr_of(&assert);
        assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
        assert!(
            stderr.contains("warning") && stderr.contains("http://git.example.com/"),
            "{stderr:?}"
        );
    }
    let loopback = git_request("http", "127.0.0.1:8080", Some("x.git"));
    assert_eq!(
        answered_by(&env, &server, &[], &loopback).as_deref(),
        Some("local")
    );
    assert_eq!(server.request_count(), 1);
}

/// Two profiles claiming the same URL are a mistake to fix, not a choice to guess: exit 78, one
/// line naming both, nothing for git.
#[test]
fn git_two_profiles_with_the_same_credential_url_are_exit_78_naming_both() {
    let server = numbering_server();
    let env = Env::new();
    write_profiles(
        &env,
        &server,
        &[
            ("first", "https://git.example.com/team"),
            ("second", "https://git.example.com/team/"),
        ],
    );
    let request = git_request("https", "git.example.com", Some("team/x.git"));
    let assert = git_credential(&env, &[], "get", &request)
        .assert()
        .failure()
        .code(78)
        .stdout("");
    let stderr = stderr_of(&assert);
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(
        stderr.contains("`first`") && stderr.contains("`second`"),
        "{stderr:?}"
    );
    assert_eq!(server.request_count(), 0);
}
