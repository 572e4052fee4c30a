//! `oauthctl git-credential get|store|erase`: git's credential protocol (git-credential(1)) as
//! oauthctl speaks it, line for line, with its cache and its failures. Which profile answers is
//! matching.rs.

use serde_json::json;

use super::{
    assert_basic_answer, assert_expiry_in_300s, git_credential, git_request, numbering_server,
    profile_toml, write_profiles,
};
use crate::support::app::SECRET_ENV;
use crate::support::common::{Env, stderr_of, stdout_of};
use crate::support::server::{Reply, StubServer};

const HOST: &str = "git.example.com";
const URL: &str = "https://git.example.com";

/// One profile, `git`, answering for `URL`, then `extra`.
fn one_profile(env: &Env, server: &StubServer, extra: &str) {
    let extra = format!("credential_url = \"{URL}\"\n{extra}");
    env.write_config(&profile_toml("git", &server.url("/token"), &extra));
}

/// `get` for `https://git.example.com/team/app.git`, with `capability[]=authtype` first when
/// `authtype`, as git 2.46+ sends it.
fn get_request(authtype: bool) -> String {
    let request = git_request("https", HOST, Some("team/app.git"));
    match authtype {
        true => format!("capability[]=authtype\n{request}"),
        false => request,
    }
}

#[test]
fn git_get_answers_username_password_and_expiry_from_one_token_request() {
    let server = numbering_server();
    let env = Env::new();
    one_profile(&env, &server, "");

    let assert = git_credential(&env, &[], "get", &get_request(false))
        .assert()
        .success();
    assert_eq!(stderr_of(&assert), "");
    let password = assert_basic_answer(&stdout_of(&assert), "oauth2");
    assert_eq!(password, "tok-git-1");
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/token");
    assert_eq!(
        requests[0].form_value("grant_type").as_deref(),
        Some("client_credentials")
    );

    // The second `get` is answered from the cache: the same token, no request.
    let assert = git_credential(&env, &[], "get", &get_request(false))
        .assert()
        .success();
    assert_eq!(assert_basic_answer(&stdout_of(&assert), "oauth2"), password);
    assert_eq!(server.request_count(), 1);
}

#[test]
fn git_get_gives_the_profiles_credential_username() {
    let server = numbering_server();
    let env = Env::new();
    one_profile(&env, &server, "credential_username = \"ci-bot\"\n");
    let assert = git_credential(&env, &[], "get", &get_request(false))
        .assert()
        .success();
    assert_eq!(
        assert_basic_answer(&stdout_of(&assert), "ci-bot"),
        "tok-git-1"
    );
}

/// git 2.46+ offers `capability[]=authtype`; oauthctl takes it up only for a profile that sets
/// `credential_authtype`, and otherwise answers as for an older git.
#[test]
fn git_get_answers_authtype_and_credential_only_when_both_git_and_the_profile_ask() {
    let server = numbering_server();
    let env = Env::new();
    one_profile(&env, &server, "credential_authtype = \"Bearer\"\n");
    let assert = git_credential(&env, &[], "get", &get_request(true))
        .assert()
        .success();
    let stdout = stdout_of(&assert);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "capability[]=authtype",
            "authtype=Bearer",
            "credential=tok-git-1"
        ],
        "{stdout:?}"
    );
    assert_eq!(lines.len(), 4, "{stdout:?}");
    assert_expiry_in_300s(
        lines[3]
            .strip_prefix("password_expiry_utc=")
            .expect(&stdout),
    );
    assert!(stdout.ends_with('\n'));

    // An older git, which does not offer the capability: username and password.
    let assert = git_credential(&env, &[], "get", &get_request(false))
        .assert()
        .success();
    assert_eq!(
        assert_basic_answer(&stdout_of(&assert), "oauth2"),
        "tok-git-1"
    );

    // A profile without credential_authtype: Basic, even when git offers authtype.
    let env = Env::new();
    one_profile(&env, &server, "");
    let assert = git_credential(&env, &[], "get", &get_request(true))
        .assert()
        .success();
    assert_eq!(
        assert_basic_answer(&stdout_of(&assert), "oauth2"),
        "tok-git-2"
    );
}

#[test]
fn git_store_does_nothing_and_asks_no_server() {
    let server = numbering_server();
    let env = Env::new();
    one_profile(&env, &server, "");
    let request = format!(
        "protocol=https\nhost={HOST}\nusername=oauth2\npassword=tok-from-elsewhere\n\
         password_expiry_utc=4102444800\n\n"
    );
    git_credential(&env, &[], "store", &request)
        .assert()
        .success()
        .stdout("")
        .stderr("");
    assert_eq!(server.request_count(), 0);
    assert!(crate::support::common::cache_files(&env).is_empty());
}

/// git calls `erase` with the credential the server rejected (git-credential(1)): the cached
/// token goes, and the next `get` asks for a new one; in both of git's forms.
#[test]
fn git_erase_of_the_cached_token_makes_the_next_get_fetch_a_new_one() {
    let server = numbering_server();
    let env = Env::new();
    one_profile(&env, &server, "credential_authtype = \"Bearer\"\n");
    let get = |authtype: bool| {
        let assert = git_credential(&env, &[], "get", &get_request(authtype))
            .assert()
            .success();
        stdout_of(&assert)
    };
    let erase = |lines: &str| {
        let request = format!("protocol=https\nhost={HOST}\npath=team/app.git\n{lines}\n");
        git_credential(&env, &[], "erase", &request)
            .assert()
            .success()
            .stdout("")
            .stderr("");
    };

    assert_eq!(
        assert_basic_answer(&get(false), "oauth2"),
        "tok-git-1",
        "first token"
    );
    erase("username=oauth2\npassword=tok-git-1\n");
    assert_eq!(assert_basic_answer(&get(false), "oauth2"), "tok-git-2");
    assert_eq!(server.request_count(), 2);

    // git 2.46+ names the rejected credential as it was sent: authtype and credential.
    erase("capability[]=authtype\nauthtype=Bearer\ncredential=tok-git-2\n");
    assert!(get(true).contains("\ncredential=tok-git-3\n"));
    assert_eq!(server.request_count(), 3);
}

/// A credential that is not the cached token (another helper's, or one already replaced) is
/// not oauthctl's to forget.
#[test]
fn git_erase_of_another_password_leaves_the_cache_alone() {
    let server = numbering_server();
    let env = Env::new();
    one_profile(&env, &server, "");
    let get = || {
        let assert = git_credential(&env, &[], "get", &get_request(false))
            .assert()
            .success();
        assert_basic_answer(&stdout_of(&assert), "oauth2")
    };
    assert_eq!(get(), "tok-git-1");
    for presented in [
        "username=oauth2\npassword=tok-git-0\n",
        "username=oauth2\n",
        "",
    ] {
        let request = format!("protocol=https\nhost={HOST}\n{presented}\n");
        git_credential(&env, &[], "erase", &request)
            .assert()
            .success()
            .stdout("");
        assert_eq!(get(), "tok-git-1", "after erase with {presented:?}");
    }
    assert_eq!(server.request_count(), 1);
}

/// DESIGN §13: a user profile with no refresh token signs in only when a terminal is attached.
/// git run by a job has none: no answer (git goes on to its next helper or fails), and one line
/// saying why.
#[test]
fn git_get_for_a_user_not_signed_in_and_no_terminal_answers_nothing_and_says_why() {
    let server = numbering_server();
    let env = Env::new();
    one_profile(
        &env,
        &server,
        "grant = \"authorization_code\"\nauthorization_url = \"https://idp.example.com/authorize\"\n",
    );
    let assert = git_credential(&env, &[], "get", &get_request(false))
        .assert()
        .success()
        .stdout("");
    let stderr = stderr_of(&assert);
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(
        stderr.starts_with("oauthctl: ") && stderr.contains("login"),
        "{stderr:?}"
    );
    assert_eq!(server.request_count(), 0);
}

/// git sends no DPoP proofs (RFC 9449 §7), so a DPoP profile cannot serve it: exit 2, nothing on
/// stdout.
#[test]
fn git_get_for_a_dpop_profile_is_exit_2() {
    let server = StubServer::start(|_| {
        Reply::json(
            200,
            &json!({"access_token": "tok-dpop-1", "token_type": "DPoP", "expires_in": 300})
                .to_string(),
        )
    });
    let env = Env::new();
    one_profile(&env, &server, "dpop = true\n");
    let assert = git_credential(&env, &[], "get", &get_request(false))
        .assert()
        .failure()
        .code(2)
        .stdout("");
    let stderr = stderr_of(&assert);
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(stderr.contains("DPoP"), "{stderr:?}");
    assert!(!stderr.contains("tok-dpop-1"), "{stderr:?}");
}

/// README: "A DPoP profile cannot serve git or docker (they send no proofs): exit 2". That is
/// the profile's setting, known before any request, as `fetch` refuses the formats that cannot
/// carry a DPoP token before it sends anything. Decided from the token instead, a server that
/// answers the DPoP request with a Bearer token makes the DPoP profile serve git.
#[test]
fn git_get_for_a_dpop_profile_is_refused_before_any_token_request() {
    let server = numbering_server();
    let env = Env::new();
    one_profile(&env, &server, "dpop = true\n");
    let assert = git_credential(&env, &[], "get", &get_request(false))
        .assert()
        .failure()
        .code(2)
        .stdout("");
    assert!(stderr_of(&assert).contains("DPoP"));
    assert_eq!(server.request_count(), 0, "{:?}", server.requests());
}

#[test]
fn git_get_with_the_secret_unset_is_exit_78_in_one_line() {
    let server = numbering_server();
    let env = Env::new();
    one_profile(&env, &server, "");
    let assert = git_credential(&env, &[], "get", &get_request(false))
        .env_remove(SECRET_ENV)
        .assert()
        .failure()
        .code(78)
        .stdout("");
    let stderr = stderr_of(&assert);
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(stderr.starts_with("oauthctl: error: "), "{stderr:?}");
    assert!(stderr.contains(SECRET_ENV), "{stderr:?}");
    assert_eq!(server.request_count(), 0);
}

/// SECURITY 46: the token goes to git on stdout and nowhere else, even in `-v`'s trace of the
/// token request and its response.
#[test]
fn git_get_never_writes_the_token_on_stderr_even_with_verbose() {
    let server = numbering_server();
    let env = Env::new();
    one_profile(&env, &server, "");
    let assert = git_credential(&env, &["-v"], "get", &get_request(false))
        .assert()
        .success();
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("/token"), "a trace is shown: {stderr}");
    assert!(!stderr.contains("tok-git-1"), "{stderr}");
    assert_eq!(
        assert_basic_answer(&stdout_of(&assert), "oauth2"),
        "tok-git-1"
    );

    // Served from the cache, with -v.
    let assert = git_credential(&env, &["-v"], "get", &get_request(false))
        .assert()
        .success();
    assert!(!stderr_of(&assert).contains("tok-git-1"));
    assert_eq!(server.request_count(), 1);
}

/// A request with neither `protocol` and `host` nor `url` names nothing to answer for.
#[test]
fn git_get_for_a_request_that_names_no_url_answers_nothing() {
    let server = numbering_server();
    let env = Env::new();
    write_profiles(&env, &server, &[("git", URL)]);
    for request in ["\n", "protocol=https\n\n", "host=git.example.com\n\n", ""] {
        git_credential(&env, &[], "get", request)
            .assert()
            .success()
            .stdout("");
    }
    assert_eq!(server.request_count(), 0);
}

/// The helpers read the config file alone: variables exported for a `fetch` in the same shell
/// (another token endpoint, scope, secret) never change what git gets, nor where it is asked.
#[test]
fn git_get_ignores_the_oauthctl_variables_that_override_profiles_for_fetch() {
    let server = numbering_server();
    let other = numbering_server();
    let env = Env::new();
    one_profile(&env, &server, "");
    let assert = git_credential(&env, &[], "get", &get_request(false))
        .env("OAUTHCTL_TOKEN_URL", other.url("/other"))
        .env("OAUTHCTL_SCOPE", "payments:write")
        .env("OAUTHCTL_CLIENT_SECRET", "not-this-one")
        .assert()
        .success();
    assert_basic_answer(&stdout_of(&assert), "oauth2");
    assert_eq!(other.request_count(), 0);
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].form_value("scope"), None);
    let (_, secret) = requests[0].basic_credentials().expect("Basic credentials");
    assert_ne!(secret, "not-this-one");
}

/// git-credential(1): "If a helper receives any other operation, it should silently ignore the
/// request"; words after a known one are ignored too.
#[test]
fn git_credential_ignores_an_action_it_does_not_know_and_words_after_one_it_knows() {
    let server = numbering_server();
    let env = Env::new();
    one_profile(&env, &server, "");
    let assert = git_credential(&env, &[], "capabilities", &get_request(false))
        .assert()
        .success();
    assert_eq!(stdout_of(&assert), "");
    assert_eq!(stderr_of(&assert), "");
    assert_eq!(server.request_count(), 0);

    let mut cmd = env.cmd();
    cmd.args(["git-credential", "get", "--later-option", "x"])
        .env(SECRET_ENV, super::SECRET)
        .write_stdin(get_request(false));
    let assert = cmd.assert().success();
    assert_basic_answer(&stdout_of(&assert), "oauth2");
    assert_eq!(server.request_count(), 1);
}

/// `-p NAME` answers only within the profile's own `credential_url`, as the config file says it:
/// an `OAUTHCTL_CREDENTIAL_URL` in the environment never widens it (SECURITY 46).
#[test]
fn git_get_with_p_checks_the_files_credential_url_not_the_environments() {
    let server = numbering_server();
    let env = Env::new();
    one_profile(&env, &server, "");
    let request = git_request("https", "evil.example", None);
    let assert = git_credential(&env, &["-p", "git"], "get", &request)
        .env("OAUTHCTL_CREDENTIAL_URL", "https://evil.example/")
        .assert()
        .success();
    assert_eq!(stdout_of(&assert), "");
    assert_eq!(server.request_count(), 0);
}

/// An action git-credential(1) does not define is ignored before its input is read: whatever
/// comes on stdin, no error.
#[test]
fn git_credential_ignores_an_unknown_action_whatever_its_input() {
    let server = numbering_server();
    let env = Env::new();
    one_profile(&env, &server, "");
    let assert = git_credential(&env, &[], "frobnicate", "not a key=value\nline\0\n")
        .assert()
        .success();
    assert_eq!(stdout_of(&assert), "");
    assert_eq!(stderr_of(&assert), "");
    assert_eq!(server.request_count(), 0);
}
