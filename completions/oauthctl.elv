
use builtin;
use str;

set edit:completion:arg-completer[oauthctl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'oauthctl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'oauthctl'= {
            cand -c 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]'
            cand --config 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]'
            cand -p 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]'
            cand --profile 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]'
            cand -o 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]'
            cand --output 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]'
            cand -v 'Trace requests and responses on stderr (secrets redacted)'
            cand --verbose 'Trace requests and responses on stderr (secrets redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand fetch 'Per-run overrides of profile fields; each also has an `OAUTHCTL_*` env var (flag > env > profile)'
            cand exchange-code 'Per-run overrides of profile fields; each also has an `OAUTHCTL_*` env var (flag > env > profile)'
            cand inspect 'Per-run overrides of profile fields; each also has an `OAUTHCTL_*` env var (flag > env > profile)'
            cand profiles 'List, show, add and remove profiles in the config file'
            cand cache 'Show or forget cached tokens (the tokens themselves are never shown)'
            cand completions 'Print a shell completion script (the same files are committed under completions/)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'oauthctl;fetch'= {
            cand -c 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]'
            cand --config 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]'
            cand -p 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]'
            cand --profile 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]'
            cand -o 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]'
            cand --output 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]'
            cand --min-ttl 'Reuse a cached token only with more than this many seconds left [env: OAUTHCTL_MIN_TTL_SECS] [default: 60]'
            cand --token-url 'Token endpoint URL [env: OAUTHCTL_TOKEN_URL]'
            cand --client-id 'Client identifier [env: OAUTHCTL_CLIENT_ID]'
            cand --client-secret-env 'Read the client secret from this env var'
            cand --client-secret-file 'Read the client secret from this file [env: OAUTHCTL_CLIENT_SECRET_FILE]'
            cand --auth-method 'Client authentication: basic, post or none [env: OAUTHCTL_AUTH_METHOD] [default: basic]'
            cand --basic-encoding 'Basic credentials: form-urlencoded first (form) or raw [env: OAUTHCTL_BASIC_ENCODING] [default: form]'
            cand --grant-params 'Where grant parameters go: body or query [env: OAUTHCTL_GRANT_PARAMS] [default: body]'
            cand --scope 'Space-separated scopes [env: OAUTHCTL_SCOPE]'
            cand --audience '`audience` parameter [env: OAUTHCTL_AUDIENCE]'
            cand --resource '`resource` parameter, RFC 8707 [env: OAUTHCTL_RESOURCE]'
            cand --param 'Extra form parameter, repeatable [env: OAUTHCTL_PARAMS as k=v&k2=v2]'
            cand --header 'Extra request header, repeatable [env: OAUTHCTL_HEADERS, one per line]'
            cand --timeout-secs 'Whole-request deadline in seconds [env: OAUTHCTL_TIMEOUT_SECS] [default: 30]'
            cand --timeout 'Whole-request deadline in seconds [env: OAUTHCTL_TIMEOUT_SECS] [default: 30]'
            cand --ca-file 'Extra trusted root certificates (PEM) [env: OAUTHCTL_CA_FILE]'
            cand --cacert 'Extra trusted root certificates (PEM) [env: OAUTHCTL_CA_FILE]'
            cand -v 'Trace requests and responses on stderr (secrets redacted)'
            cand --verbose 'Trace requests and responses on stderr (secrets redacted)'
            cand --no-cache 'Neither read nor write the token cache'
            cand --force 'Ignore a cached access token and get a new one (a cached refresh token is still used)'
            cand --dry-run 'Print the token request as an equivalent curl command, secrets replaced by placeholders, and send nothing (the cache is neither read nor written)'
            cand --client-secret-stdin 'Read the client secret from standard input (the secret itself: OAUTHCTL_CLIENT_SECRET)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'oauthctl;exchange-code'= {
            cand -c 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]'
            cand --config 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]'
            cand -p 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]'
            cand --profile 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]'
            cand -o 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]'
            cand --output 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]'
            cand --redirect-uri 'redirect_uri used in the authorization request [env: OAUTHCTL_REDIRECT_URI]'
            cand --code-verifier 'PKCE code_verifier (RFC 7636); prefer the env var, which stays out of the process list'
            cand --token-url 'Token endpoint URL [env: OAUTHCTL_TOKEN_URL]'
            cand --client-id 'Client identifier [env: OAUTHCTL_CLIENT_ID]'
            cand --client-secret-env 'Read the client secret from this env var'
            cand --client-secret-file 'Read the client secret from this file [env: OAUTHCTL_CLIENT_SECRET_FILE]'
            cand --auth-method 'Client authentication: basic, post or none [env: OAUTHCTL_AUTH_METHOD] [default: basic]'
            cand --basic-encoding 'Basic credentials: form-urlencoded first (form) or raw [env: OAUTHCTL_BASIC_ENCODING] [default: form]'
            cand --grant-params 'Where grant parameters go: body or query [env: OAUTHCTL_GRANT_PARAMS] [default: body]'
            cand --scope 'Space-separated scopes [env: OAUTHCTL_SCOPE]'
            cand --audience '`audience` parameter [env: OAUTHCTL_AUDIENCE]'
            cand --resource '`resource` parameter, RFC 8707 [env: OAUTHCTL_RESOURCE]'
            cand --param 'Extra form parameter, repeatable [env: OAUTHCTL_PARAMS as k=v&k2=v2]'
            cand --header 'Extra request header, repeatable [env: OAUTHCTL_HEADERS, one per line]'
            cand --timeout-secs 'Whole-request deadline in seconds [env: OAUTHCTL_TIMEOUT_SECS] [default: 30]'
            cand --timeout 'Whole-request deadline in seconds [env: OAUTHCTL_TIMEOUT_SECS] [default: 30]'
            cand --ca-file 'Extra trusted root certificates (PEM) [env: OAUTHCTL_CA_FILE]'
            cand --cacert 'Extra trusted root certificates (PEM) [env: OAUTHCTL_CA_FILE]'
            cand -v 'Trace requests and responses on stderr (secrets redacted)'
            cand --verbose 'Trace requests and responses on stderr (secrets redacted)'
            cand --no-cache 'Do not store the tokens in the cache (by default they are, so that `fetch` can refresh)'
            cand --dry-run 'Print the token request as an equivalent curl command, secrets (the code too) replaced by placeholders, and send nothing'
            cand --client-secret-stdin 'Read the client secret from standard input (the secret itself: OAUTHCTL_CLIENT_SECRET)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'oauthctl;inspect'= {
            cand -c 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]'
            cand --config 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]'
            cand -p 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]'
            cand --profile 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]'
            cand -o 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]'
            cand --output 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]'
            cand --token-url 'Token endpoint URL [env: OAUTHCTL_TOKEN_URL]'
            cand --client-id 'Client identifier [env: OAUTHCTL_CLIENT_ID]'
            cand --client-secret-env 'Read the client secret from this env var'
            cand --client-secret-file 'Read the client secret from this file [env: OAUTHCTL_CLIENT_SECRET_FILE]'
            cand --auth-method 'Client authentication: basic, post or none [env: OAUTHCTL_AUTH_METHOD] [default: basic]'
            cand --basic-encoding 'Basic credentials: form-urlencoded first (form) or raw [env: OAUTHCTL_BASIC_ENCODING] [default: form]'
            cand --grant-params 'Where grant parameters go: body or query [env: OAUTHCTL_GRANT_PARAMS] [default: body]'
            cand --scope 'Space-separated scopes [env: OAUTHCTL_SCOPE]'
            cand --audience '`audience` parameter [env: OAUTHCTL_AUDIENCE]'
            cand --resource '`resource` parameter, RFC 8707 [env: OAUTHCTL_RESOURCE]'
            cand --param 'Extra form parameter, repeatable [env: OAUTHCTL_PARAMS as k=v&k2=v2]'
            cand --header 'Extra request header, repeatable [env: OAUTHCTL_HEADERS, one per line]'
            cand --timeout-secs 'Whole-request deadline in seconds [env: OAUTHCTL_TIMEOUT_SECS] [default: 30]'
            cand --timeout 'Whole-request deadline in seconds [env: OAUTHCTL_TIMEOUT_SECS] [default: 30]'
            cand --ca-file 'Extra trusted root certificates (PEM) [env: OAUTHCTL_CA_FILE]'
            cand --cacert 'Extra trusted root certificates (PEM) [env: OAUTHCTL_CA_FILE]'
            cand -v 'Trace requests and responses on stderr (secrets redacted)'
            cand --verbose 'Trace requests and responses on stderr (secrets redacted)'
            cand --require-valid 'Exit 5 unless the token is within its exp/nbf window'
            cand --client-secret-stdin 'Read the client secret from standard input (the secret itself: OAUTHCTL_CLIENT_SECRET)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'oauthctl;profiles'= {
            cand -c 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]'
            cand --config 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]'
            cand -p 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]'
            cand --profile 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]'
            cand -o 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]'
            cand --output 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]'
            cand -v 'Trace requests and responses on stderr (secrets redacted)'
            cand --verbose 'Trace requests and responses on stderr (secrets redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand list 'List profiles (the default is marked)'
            cand show 'Show one profile as it resolves now, with where each value comes from (never the secret)'
            cand add 'Add a profile (flags are named like the config keys)'
            cand remove 'Remove a profile'
            cand path 'Print the config file''s path'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'oauthctl;profiles;list'= {
            cand -c 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]'
            cand --config 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]'
            cand -p 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]'
            cand --profile 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]'
            cand -o 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]'
            cand --output 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]'
            cand -v 'Trace requests and responses on stderr (secrets redacted)'
            cand --verbose 'Trace requests and responses on stderr (secrets redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'oauthctl;profiles;show'= {
            cand -c 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]'
            cand --config 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]'
            cand -p 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]'
            cand --profile 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]'
            cand -o 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]'
            cand --output 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]'
            cand -v 'Trace requests and responses on stderr (secrets redacted)'
            cand --verbose 'Trace requests and responses on stderr (secrets redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'oauthctl;profiles;add'= {
            cand -c 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]'
            cand --config 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]'
            cand -p 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]'
            cand --profile 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]'
            cand -o 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]'
            cand --output 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]'
            cand --token-url 'Token endpoint URL'
            cand --issuer 'Issuer URL (for discovery instead of token_url)'
            cand --grant 'What `fetch` does: client_credentials, authorization_code, device_code'
            cand --client-id 'Client identifier'
            cand --client-secret-env 'Secret source: this env var'
            cand --client-secret-file 'Secret source: this file'
            cand --client-secret-command 'Secret source: this command, as a JSON array of argv (run without a shell)'
            cand --auth-method 'basic, post or none'
            cand --basic-encoding 'form or raw'
            cand --grant-params 'body or query'
            cand --scope 'Space-separated scopes'
            cand --audience '`audience` parameter'
            cand --resource '`resource` parameter (RFC 8707)'
            cand --redirect-uri 'redirect_uri for exchange-code'
            cand --param 'Extra form parameter, repeatable'
            cand --header 'Extra request header, repeatable'
            cand --timeout-secs 'Whole-request deadline in seconds'
            cand --ca-file 'Extra trusted root certificates (PEM)'
            cand --min-ttl-secs 'Reuse a cached token only with at least this much life left'
            cand --retries 'Retries for client_credentials / refresh requests'
            cand --retry-max-secs 'Give up rather than wait longer than this in total'
            cand -v 'Trace requests and responses on stderr (secrets redacted)'
            cand --verbose 'Trace requests and responses on stderr (secrets redacted)'
            cand --client-secret-stdin 'Store a literal client_secret read from stdin (the file must be private: mode 0600)'
            cand --default 'Make this the default_profile'
            cand --replace 'Overwrite a profile of the same name'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'oauthctl;profiles;remove'= {
            cand -c 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]'
            cand --config 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]'
            cand -p 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]'
            cand --profile 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]'
            cand -o 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]'
            cand --output 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]'
            cand -v 'Trace requests and responses on stderr (secrets redacted)'
            cand --verbose 'Trace requests and responses on stderr (secrets redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'oauthctl;profiles;path'= {
            cand -c 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]'
            cand --config 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]'
            cand -p 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]'
            cand --profile 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]'
            cand -o 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]'
            cand --output 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]'
            cand -v 'Trace requests and responses on stderr (secrets redacted)'
            cand --verbose 'Trace requests and responses on stderr (secrets redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'oauthctl;profiles;help'= {
            cand list 'List profiles (the default is marked)'
            cand show 'Show one profile as it resolves now, with where each value comes from (never the secret)'
            cand add 'Add a profile (flags are named like the config keys)'
            cand remove 'Remove a profile'
            cand path 'Print the config file''s path'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'oauthctl;profiles;help;list'= {
        }
        &'oauthctl;profiles;help;show'= {
        }
        &'oauthctl;profiles;help;add'= {
        }
        &'oauthctl;profiles;help;remove'= {
        }
        &'oauthctl;profiles;help;path'= {
        }
        &'oauthctl;profiles;help;help'= {
        }
        &'oauthctl;cache'= {
            cand -c 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]'
            cand --config 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]'
            cand -p 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]'
            cand --profile 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]'
            cand -o 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]'
            cand --output 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]'
            cand -v 'Trace requests and responses on stderr (secrets redacted)'
            cand --verbose 'Trace requests and responses on stderr (secrets redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand list 'List cached entries: profile, key, expiry, whether a refresh token is held'
            cand clear 'Forget cached tokens: all of them, or with -p those of one profile'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'oauthctl;cache;list'= {
            cand -c 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]'
            cand --config 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]'
            cand -p 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]'
            cand --profile 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]'
            cand -o 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]'
            cand --output 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]'
            cand -v 'Trace requests and responses on stderr (secrets redacted)'
            cand --verbose 'Trace requests and responses on stderr (secrets redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'oauthctl;cache;clear'= {
            cand -c 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]'
            cand --config 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]'
            cand -p 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]'
            cand --profile 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]'
            cand -o 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]'
            cand --output 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]'
            cand -v 'Trace requests and responses on stderr (secrets redacted)'
            cand --verbose 'Trace requests and responses on stderr (secrets redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'oauthctl;cache;help'= {
            cand list 'List cached entries: profile, key, expiry, whether a refresh token is held'
            cand clear 'Forget cached tokens: all of them, or with -p those of one profile'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'oauthctl;cache;help;list'= {
        }
        &'oauthctl;cache;help;clear'= {
        }
        &'oauthctl;cache;help;help'= {
        }
        &'oauthctl;completions'= {
            cand -c 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]'
            cand --config 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]'
            cand -p 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]'
            cand --profile 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]'
            cand -o 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]'
            cand --output 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]'
            cand -v 'Trace requests and responses on stderr (secrets redacted)'
            cand --verbose 'Trace requests and responses on stderr (secrets redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'oauthctl;help'= {
            cand fetch 'Get an access token with the client_credentials grant (RFC 6749 §4.4)'
            cand exchange-code 'Exchange an authorization code for tokens (RFC 6749 §4.1.3, PKCE RFC 7636)'
            cand inspect 'Decode a JWT: header, claims and times (the signature is NOT verified)'
            cand profiles 'List, show, add and remove profiles in the config file'
            cand cache 'Show or forget cached tokens (the tokens themselves are never shown)'
            cand completions 'Print a shell completion script (the same files are committed under completions/)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'oauthctl;help;fetch'= {
        }
        &'oauthctl;help;exchange-code'= {
        }
        &'oauthctl;help;inspect'= {
        }
        &'oauthctl;help;profiles'= {
            cand list 'List profiles (the default is marked)'
            cand show 'Show one profile as it resolves now, with where each value comes from (never the secret)'
            cand add 'Add a profile (flags are named like the config keys)'
            cand remove 'Remove a profile'
            cand path 'Print the config file''s path'
        }
        &'oauthctl;help;profiles;list'= {
        }
        &'oauthctl;help;profiles;show'= {
        }
        &'oauthctl;help;profiles;add'= {
        }
        &'oauthctl;help;profiles;remove'= {
        }
        &'oauthctl;help;profiles;path'= {
        }
        &'oauthctl;help;cache'= {
            cand list 'List cached entries: profile, key, expiry, whether a refresh token is held'
            cand clear 'Forget cached tokens: all of them, or with -p those of one profile'
        }
        &'oauthctl;help;cache;list'= {
        }
        &'oauthctl;help;cache;clear'= {
        }
        &'oauthctl;help;completions'= {
        }
        &'oauthctl;help;help'= {
        }
    ]
    $completions[$command]
}
