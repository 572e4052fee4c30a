//! The help text blocks that end each command's `--help`: the environment variables it reads and
//! examples that run as written.

/// Help text blocks. Each command's help ends with 2 to 4 examples that run as written
/// (tests/it/docs.rs parses every `oauthctl` invocation in them); secrets come from env vars,
/// files or stdin, never argv. Lines stay within 80 columns, because clap re-wraps longer ones
/// without their indentation: a long example goes on with a ` \` continuation line.
macro_rules! env_block {
    ($without_flag:literal) => {
        concat!(
            "Environment:\n",
            "  Each profile key can be set for one run as OAUTHCTL_<KEY> (flag > env var >\n",
            "  profile > default); the flags above name theirs. Keys without a flag here:\n",
            $without_flag,
            key_vars!(),
            endpoint_vars!(),
            ".\n",
            "  The token cache lives in OAUTHCTL_CACHE_DIR when it is set.\n\n",
        )
    };
}

/// The keys of a client's key pair that have flags only on `profiles add`.
macro_rules! key_vars {
    () => {
        ",\n  the client key's OAUTHCTL_PRIVATE_KEY_ENV, OAUTHCTL_PRIVATE_KEY_COMMAND,\n  OAUTHCTL_KEY_ID, OAUTHCTL_ASSERTION_AUDIENCE,\n  OAUTHCTL_ASSERTION_LIFETIME_SECS, the workload identity's\n  OAUTHCTL_SUBJECT_TOKEN_TYPE, OAUTHCTL_REQUESTED_TOKEN_TYPE,\n  OAUTHCTL_ASSERTION_ISSUER, OAUTHCTL_ASSERTION_SUBJECT,\n  OAUTHCTL_ASSERTION_CLAIMS, DPoP's OAUTHCTL_DPOP_ALG, OAUTHCTL_DPOP_KEY_FILE,\n  the credential helpers' OAUTHCTL_CREDENTIAL_URL, OAUTHCTL_CREDENTIAL_USERNAME,\n  OAUTHCTL_CREDENTIAL_AUTHTYPE"
    };
}

/// The endpoint keys, which have flags only on `profiles add`.
macro_rules! endpoint_vars {
    () => {
        ",\n  and the endpoints OAUTHCTL_AUTHORIZATION_URL,\n  OAUTHCTL_DEVICE_AUTHORIZATION_URL, OAUTHCTL_REVOCATION_URL,\n  OAUTHCTL_INTROSPECTION_URL, OAUTHCTL_JWKS_URI"
    };
}

pub(super) const TOP_HELP: &str = "\
Examples:
  oauthctl fetch -p watson
  curl -H \"Authorization: Bearer $(oauthctl fetch -p watson)\" \\
      https://api.example.com/v1/orders
  OAUTHCTL_CLIENT_SECRET=\"$CI_CLIENT_SECRET\" oauthctl fetch -o json \\
      --token-url https://login.example.com/oauth2/token --client-id ci-deploy
  oauthctl fetch -p watson | oauthctl inspect";

pub(super) const FETCH_HELP: &str = concat!(
    env_block!(
        "  OAUTHCTL_ISSUER, OAUTHCTL_GRANT, OAUTHCTL_REDIRECT_URI, OAUTHCTL_RETRIES,\n  OAUTHCTL_RETRY_MAX_SECS"
    ),
    "\
Examples:
  oauthctl fetch -p watson
  oauthctl fetch -p watson -o header | curl -H @- https://api.example.com/orders
  OAUTHCTL_CLIENT_SECRET=\"$CI_CLIENT_SECRET\" oauthctl fetch -o json \\
      --token-url https://login.example.com/oauth2/token --client-id ci-deploy \\
      --scope 'orders:read'
  oauthctl fetch -p k8s --id-token -o exec-credential"
);

pub(super) const EXCHANGE_HELP: &str = concat!(
    env_block!(
        "  OAUTHCTL_ISSUER, OAUTHCTL_GRANT, OAUTHCTL_MIN_TTL_SECS, OAUTHCTL_RETRIES,\n  OAUTHCTL_RETRY_MAX_SECS"
    ),
    "\
Examples:
  printf '%s\\n' \"$CODE\" | oauthctl exchange-code -p web -
  OAUTHCTL_CODE_VERIFIER=\"$VERIFIER\" oauthctl exchange-code -p app \\
      --redirect-uri http://127.0.0.1:8400/callback - < code.txt
  oauthctl exchange-code -p web -o json - < code.txt | jq '{scope, expires_at}'
  oauthctl exchange-code -p web --dry-run - < code.txt"
);

pub(super) const INSPECT_HELP: &str = concat!(
    env_block!(
        "  OAUTHCTL_ISSUER, OAUTHCTL_GRANT, OAUTHCTL_REDIRECT_URI, OAUTHCTL_MIN_TTL_SECS,\n  OAUTHCTL_RETRIES, OAUTHCTL_RETRY_MAX_SECS"
    ),
    "\
Examples:
  oauthctl fetch -p watson | oauthctl inspect
  oauthctl inspect -p corp --verify
  oauthctl inspect --jwks https://login.example.com/jwks --aud api - < token.jwt
  oauthctl inspect -o json - < token.jwt | jq .claims.scope"
);

pub(super) const LOGIN_HELP: &str = concat!(
    env_block!(
        "  OAUTHCTL_ISSUER, OAUTHCTL_GRANT, OAUTHCTL_MIN_TTL_SECS, OAUTHCTL_RETRIES,\n  OAUTHCTL_RETRY_MAX_SECS"
    ),
    "\
Examples:
  oauthctl login -p web
  oauthctl login -p web --no-browser
  oauthctl login -p tv --device
  oauthctl login -p web && oauthctl fetch -p web -o header | curl -H @- \\
      https://api.example.com/me"
);

pub(super) const REVOKE_HELP: &str = concat!(
    env_block!(
        "  OAUTHCTL_ISSUER, OAUTHCTL_GRANT, OAUTHCTL_REDIRECT_URI, OAUTHCTL_MIN_TTL_SECS,\n  OAUTHCTL_RETRIES, OAUTHCTL_RETRY_MAX_SECS"
    ),
    "\
Examples:
  oauthctl revoke -p web
  oauthctl revoke -p web --token-type-hint refresh_token - < refresh.txt
  oauthctl fetch -p ci | oauthctl revoke -p ci -"
);

pub(super) const INTROSPECT_HELP: &str = concat!(
    env_block!(
        "  OAUTHCTL_ISSUER, OAUTHCTL_GRANT, OAUTHCTL_REDIRECT_URI, OAUTHCTL_MIN_TTL_SECS,\n  OAUTHCTL_RETRIES, OAUTHCTL_RETRY_MAX_SECS"
    ),
    "\
Examples:
  oauthctl fetch -p web | oauthctl introspect -p api-gateway
  oauthctl introspect -p api-gateway --require-active - < token.txt
  oauthctl introspect -p api-gateway -o json - < token.txt | jq .scope"
);

pub(super) const PROFILES_HELP: &str = "\
Examples:
  oauthctl profiles list
  oauthctl profiles add watson --client-secret-env WATSON_APP_SECRET \\
      --token-url https://api.watsonwork.ibm.com/oauth/token --client-id my-app
  oauthctl profiles show watson
  \"$EDITOR\" \"$(oauthctl profiles path)\"";

pub(super) const PROFILES_LIST_HELP: &str = "\
Examples:
  oauthctl profiles list
  oauthctl -c ./ci/oauthctl.toml profiles list
  oauthctl profiles list -o json | jq -r '.[].name'";

pub(super) const PROFILES_SHOW_HELP: &str = "\
Examples:
  oauthctl profiles show watson
  oauthctl -p watson profiles show -o json
  OAUTHCTL_SCOPE='read write' oauthctl profiles show watson";

pub(super) const PROFILES_ADD_HELP: &str = "\
Examples:
  oauthctl profiles add watson --client-secret-env WATSON_APP_SECRET --default \\
      --token-url https://api.watsonwork.ibm.com/oauth/token --client-id my-app
  oauthctl profiles add igni --client-id k --auth-method post \\
      --token-url https://acme.igni.co/api/v1/oauth2/token \\
      --header 'Accept: application/json' \\
      --client-secret-command '[\"pass\", \"show\", \"igni\"]'
  oauthctl profiles add corp --issuer https://login.example.com \\
      --client-id cli --client-secret-file ~/.config/oauthctl/corp.secret
  printf '%s\\n' \"$CI_CLIENT_SECRET\" | oauthctl -c ci.toml profiles add ci \\
      --token-url https://login.example.com/oauth2/token --client-id ci-deploy \\
      --client-secret-stdin";

pub(super) const PROFILES_REMOVE_HELP: &str = "\
Examples:
  oauthctl profiles remove staging
  oauthctl -c ./ci/oauthctl.toml profiles remove old-ci";

pub(super) const PROFILES_PATH_HELP: &str = "\
Examples:
  oauthctl profiles path
  \"$EDITOR\" \"$(oauthctl profiles path)\"
  OAUTHCTL_CONFIG=./ci/oauthctl.toml oauthctl profiles path";

pub(super) const CACHE_HELP: &str = "\
Environment:
  The cache lives in OAUTHCTL_CACHE_DIR when it is set, else in
  ~/.cache/oauthctl (or under $XDG_CACHE_HOME).

Examples:
  oauthctl cache list
  oauthctl cache clear -p watson
  OAUTHCTL_CACHE_DIR=\"$RUNNER_TEMP/oauthctl\" oauthctl fetch -p ci";

pub(super) const CACHE_LIST_HELP: &str = "\
Examples:
  oauthctl cache list
  oauthctl cache list -o json";

pub(super) const CACHE_CLEAR_HELP: &str = "\
Examples:
  oauthctl cache clear
  oauthctl cache clear -p watson";

pub(super) const KEYS_HELP: &str = "\
Examples:
  oauthctl keys generate --alg ES256 --out ~/.config/oauthctl/ci.key.pem
  oauthctl keys public ~/.config/oauthctl/ci.key.pem
  oauthctl keys public -o json service-account.json > jwks.json";

pub(super) const KEYS_GENERATE_HELP: &str = "\
Examples:
  oauthctl keys generate --out ~/.config/oauthctl/ci.key.pem
  oauthctl keys generate --alg ES384 --out ci.key.pem > ci.jwk.json
  oauthctl keys generate --alg EdDSA --out ci.key.pem -o json | jq -c .";

pub(super) const KEYS_PUBLIC_HELP: &str = "\
Examples:
  oauthctl keys public ~/.config/oauthctl/ci.key.pem
  oauthctl keys public --alg PS256 rsa.key.pem
  oauthctl keys public -o json ci.key.pem > jwks.json";

pub(super) const KEYS_ASSERTION_HELP: &str = "\
Examples:
  oauthctl keys assertion -p ci | oauthctl inspect
  oauthctl keys assertion -p ci -o json | jq -r .client_assertion";

pub(super) const KEYS_DPOP_PROOF_HELP: &str = "\
Examples:
  oauthctl keys dpop-proof -p api | oauthctl inspect
  oauthctl keys dpop-proof -p api --url https://api.example.com/orders";

pub(super) const IDENTITY_TOKEN_HELP: &str = "\
Examples:
  oauthctl identity-token -p ci | oauthctl inspect
  oauthctl identity-token -p ci -o json | jq -r .identity_token";

pub(super) const GIT_CREDENTIAL_HELP: &str = "\
Examples:
  printf 'protocol=https\\nhost=gitlab.example.com\\n' \\
      | oauthctl git-credential get
  echo url=https://dev.azure.com/org/repo | oauthctl -p azdo git-credential get";

pub(super) const DOCKER_CREDENTIAL_HELP: &str = "\
Examples:
  echo europe-docker.pkg.dev | oauthctl docker-credential get
  oauthctl docker-credential list";

pub(super) const COMPLETIONS_HELP: &str = "\
Examples:
  oauthctl completions bash \\
      > ~/.local/share/bash-completion/completions/oauthctl
  oauthctl completions zsh > ~/.zfunc/_oauthctl
  oauthctl completions fish > ~/.config/fish/completions/oauthctl.fish
  source <(oauthctl completions bash)";
