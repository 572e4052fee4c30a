# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_oauthctl_global_optspecs
    string join \n c/config= p/profile= o/output= v/verbose h/help V/version
end

function __fish_oauthctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_oauthctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_oauthctl_using_subcommand
    set -l cmd (__fish_oauthctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c oauthctl -n "__fish_oauthctl_needs_command" -s c -l config -d 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]' -r -F
complete -c oauthctl -n "__fish_oauthctl_needs_command" -s p -l profile -d 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config\'s default_profile]' -r
complete -c oauthctl -n "__fish_oauthctl_needs_command" -s o -l output -d 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]' -r -f -a "text\t'Bare token (fetch/exchange-code) or a readable view'
json\t'One JSON document'
header\t'`Authorization: Bearer <token>`, for `curl -H @-`'
env\t'`export OAUTHCTL_ACCESS_TOKEN=…` lines, for `eval`'
exec-credential\t'A Kubernetes client-go ExecCredential'"
complete -c oauthctl -n "__fish_oauthctl_needs_command" -s v -l verbose -d 'Trace requests and responses on stderr (secrets redacted)'
complete -c oauthctl -n "__fish_oauthctl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c oauthctl -n "__fish_oauthctl_needs_command" -s V -l version -d 'Print version'
complete -c oauthctl -n "__fish_oauthctl_needs_command" -f -a "fetch" -d 'Per-run overrides of profile fields; each also has an `OAUTHCTL_*` env var (flag > env > profile)'
complete -c oauthctl -n "__fish_oauthctl_needs_command" -f -a "exchange-code" -d 'Per-run overrides of profile fields; each also has an `OAUTHCTL_*` env var (flag > env > profile)'
complete -c oauthctl -n "__fish_oauthctl_needs_command" -f -a "inspect" -d 'Per-run overrides of profile fields; each also has an `OAUTHCTL_*` env var (flag > env > profile)'
complete -c oauthctl -n "__fish_oauthctl_needs_command" -f -a "profiles" -d 'List, show, add and remove profiles in the config file'
complete -c oauthctl -n "__fish_oauthctl_needs_command" -f -a "cache" -d 'Show or forget cached tokens (the tokens themselves are never shown)'
complete -c oauthctl -n "__fish_oauthctl_needs_command" -f -a "completions" -d 'Print a shell completion script (the same files are committed under completions/)'
complete -c oauthctl -n "__fish_oauthctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand fetch" -s c -l config -d 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]' -r -F
complete -c oauthctl -n "__fish_oauthctl_using_subcommand fetch" -s p -l profile -d 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config\'s default_profile]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand fetch" -s o -l output -d 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]' -r -f -a "text\t'Bare token (fetch/exchange-code) or a readable view'
json\t'One JSON document'
header\t'`Authorization: Bearer <token>`, for `curl -H @-`'
env\t'`export OAUTHCTL_ACCESS_TOKEN=…` lines, for `eval`'
exec-credential\t'A Kubernetes client-go ExecCredential'"
complete -c oauthctl -n "__fish_oauthctl_using_subcommand fetch" -l min-ttl -d 'Reuse a cached token only with more than this many seconds left [env: OAUTHCTL_MIN_TTL_SECS] [default: 60]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand fetch" -l token-url -d 'Token endpoint URL [env: OAUTHCTL_TOKEN_URL]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand fetch" -l client-id -d 'Client identifier [env: OAUTHCTL_CLIENT_ID]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand fetch" -l client-secret-env -d 'Read the client secret from this env var' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand fetch" -l client-secret-file -d 'Read the client secret from this file [env: OAUTHCTL_CLIENT_SECRET_FILE]' -r -F
complete -c oauthctl -n "__fish_oauthctl_using_subcommand fetch" -l auth-method -d 'Client authentication: basic, post or none [env: OAUTHCTL_AUTH_METHOD] [default: basic]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand fetch" -l basic-encoding -d 'Basic credentials: form-urlencoded first (form) or raw [env: OAUTHCTL_BASIC_ENCODING] [default: form]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand fetch" -l grant-params -d 'Where grant parameters go: body or query [env: OAUTHCTL_GRANT_PARAMS] [default: body]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand fetch" -l scope -d 'Space-separated scopes [env: OAUTHCTL_SCOPE]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand fetch" -l audience -d '`audience` parameter [env: OAUTHCTL_AUDIENCE]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand fetch" -l resource -d '`resource` parameter, RFC 8707 [env: OAUTHCTL_RESOURCE]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand fetch" -l param -d 'Extra form parameter, repeatable [env: OAUTHCTL_PARAMS as k=v&k2=v2]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand fetch" -l header -d 'Extra request header, repeatable [env: OAUTHCTL_HEADERS, one per line]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand fetch" -l timeout-secs -l timeout -d 'Whole-request deadline in seconds [env: OAUTHCTL_TIMEOUT_SECS] [default: 30]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand fetch" -l ca-file -l cacert -d 'Extra trusted root certificates (PEM) [env: OAUTHCTL_CA_FILE]' -r -F
complete -c oauthctl -n "__fish_oauthctl_using_subcommand fetch" -s v -l verbose -d 'Trace requests and responses on stderr (secrets redacted)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand fetch" -l no-cache -d 'Neither read nor write the token cache'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand fetch" -l force -d 'Ignore a cached access token and get a new one (a cached refresh token is still used)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand fetch" -l dry-run -d 'Print the token request as an equivalent curl command, secrets replaced by placeholders, and send nothing (the cache is neither read nor written)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand fetch" -l client-secret-stdin -d 'Read the client secret from standard input (the secret itself: OAUTHCTL_CLIENT_SECRET)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand fetch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand exchange-code" -s c -l config -d 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]' -r -F
complete -c oauthctl -n "__fish_oauthctl_using_subcommand exchange-code" -s p -l profile -d 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config\'s default_profile]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand exchange-code" -s o -l output -d 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]' -r -f -a "text\t'Bare token (fetch/exchange-code) or a readable view'
json\t'One JSON document'
header\t'`Authorization: Bearer <token>`, for `curl -H @-`'
env\t'`export OAUTHCTL_ACCESS_TOKEN=…` lines, for `eval`'
exec-credential\t'A Kubernetes client-go ExecCredential'"
complete -c oauthctl -n "__fish_oauthctl_using_subcommand exchange-code" -l redirect-uri -d 'redirect_uri used in the authorization request [env: OAUTHCTL_REDIRECT_URI]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand exchange-code" -l code-verifier -d 'PKCE code_verifier (RFC 7636); prefer the env var, which stays out of the process list' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand exchange-code" -l token-url -d 'Token endpoint URL [env: OAUTHCTL_TOKEN_URL]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand exchange-code" -l client-id -d 'Client identifier [env: OAUTHCTL_CLIENT_ID]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand exchange-code" -l client-secret-env -d 'Read the client secret from this env var' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand exchange-code" -l client-secret-file -d 'Read the client secret from this file [env: OAUTHCTL_CLIENT_SECRET_FILE]' -r -F
complete -c oauthctl -n "__fish_oauthctl_using_subcommand exchange-code" -l auth-method -d 'Client authentication: basic, post or none [env: OAUTHCTL_AUTH_METHOD] [default: basic]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand exchange-code" -l basic-encoding -d 'Basic credentials: form-urlencoded first (form) or raw [env: OAUTHCTL_BASIC_ENCODING] [default: form]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand exchange-code" -l grant-params -d 'Where grant parameters go: body or query [env: OAUTHCTL_GRANT_PARAMS] [default: body]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand exchange-code" -l scope -d 'Space-separated scopes [env: OAUTHCTL_SCOPE]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand exchange-code" -l audience -d '`audience` parameter [env: OAUTHCTL_AUDIENCE]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand exchange-code" -l resource -d '`resource` parameter, RFC 8707 [env: OAUTHCTL_RESOURCE]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand exchange-code" -l param -d 'Extra form parameter, repeatable [env: OAUTHCTL_PARAMS as k=v&k2=v2]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand exchange-code" -l header -d 'Extra request header, repeatable [env: OAUTHCTL_HEADERS, one per line]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand exchange-code" -l timeout-secs -l timeout -d 'Whole-request deadline in seconds [env: OAUTHCTL_TIMEOUT_SECS] [default: 30]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand exchange-code" -l ca-file -l cacert -d 'Extra trusted root certificates (PEM) [env: OAUTHCTL_CA_FILE]' -r -F
complete -c oauthctl -n "__fish_oauthctl_using_subcommand exchange-code" -s v -l verbose -d 'Trace requests and responses on stderr (secrets redacted)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand exchange-code" -l no-cache -d 'Do not store the tokens in the cache (by default they are, so that `fetch` can refresh)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand exchange-code" -l dry-run -d 'Print the token request as an equivalent curl command, secrets (the code too) replaced by placeholders, and send nothing'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand exchange-code" -l client-secret-stdin -d 'Read the client secret from standard input (the secret itself: OAUTHCTL_CLIENT_SECRET)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand exchange-code" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand inspect" -s c -l config -d 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]' -r -F
complete -c oauthctl -n "__fish_oauthctl_using_subcommand inspect" -s p -l profile -d 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config\'s default_profile]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand inspect" -s o -l output -d 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]' -r -f -a "text\t'Bare token (fetch/exchange-code) or a readable view'
json\t'One JSON document'
header\t'`Authorization: Bearer <token>`, for `curl -H @-`'
env\t'`export OAUTHCTL_ACCESS_TOKEN=…` lines, for `eval`'
exec-credential\t'A Kubernetes client-go ExecCredential'"
complete -c oauthctl -n "__fish_oauthctl_using_subcommand inspect" -l token-url -d 'Token endpoint URL [env: OAUTHCTL_TOKEN_URL]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand inspect" -l client-id -d 'Client identifier [env: OAUTHCTL_CLIENT_ID]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand inspect" -l client-secret-env -d 'Read the client secret from this env var' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand inspect" -l client-secret-file -d 'Read the client secret from this file [env: OAUTHCTL_CLIENT_SECRET_FILE]' -r -F
complete -c oauthctl -n "__fish_oauthctl_using_subcommand inspect" -l auth-method -d 'Client authentication: basic, post or none [env: OAUTHCTL_AUTH_METHOD] [default: basic]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand inspect" -l basic-encoding -d 'Basic credentials: form-urlencoded first (form) or raw [env: OAUTHCTL_BASIC_ENCODING] [default: form]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand inspect" -l grant-params -d 'Where grant parameters go: body or query [env: OAUTHCTL_GRANT_PARAMS] [default: body]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand inspect" -l scope -d 'Space-separated scopes [env: OAUTHCTL_SCOPE]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand inspect" -l audience -d '`audience` parameter [env: OAUTHCTL_AUDIENCE]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand inspect" -l resource -d '`resource` parameter, RFC 8707 [env: OAUTHCTL_RESOURCE]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand inspect" -l param -d 'Extra form parameter, repeatable [env: OAUTHCTL_PARAMS as k=v&k2=v2]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand inspect" -l header -d 'Extra request header, repeatable [env: OAUTHCTL_HEADERS, one per line]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand inspect" -l timeout-secs -l timeout -d 'Whole-request deadline in seconds [env: OAUTHCTL_TIMEOUT_SECS] [default: 30]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand inspect" -l ca-file -l cacert -d 'Extra trusted root certificates (PEM) [env: OAUTHCTL_CA_FILE]' -r -F
complete -c oauthctl -n "__fish_oauthctl_using_subcommand inspect" -s v -l verbose -d 'Trace requests and responses on stderr (secrets redacted)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand inspect" -l require-valid -d 'Exit 5 unless the token is within its exp/nbf window'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand inspect" -l client-secret-stdin -d 'Read the client secret from standard input (the secret itself: OAUTHCTL_CLIENT_SECRET)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand inspect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and not __fish_seen_subcommand_from list show add remove path help" -s c -l config -d 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]' -r -F
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and not __fish_seen_subcommand_from list show add remove path help" -s p -l profile -d 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config\'s default_profile]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and not __fish_seen_subcommand_from list show add remove path help" -s o -l output -d 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]' -r -f -a "text\t'Bare token (fetch/exchange-code) or a readable view'
json\t'One JSON document'
header\t'`Authorization: Bearer <token>`, for `curl -H @-`'
env\t'`export OAUTHCTL_ACCESS_TOKEN=…` lines, for `eval`'
exec-credential\t'A Kubernetes client-go ExecCredential'"
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and not __fish_seen_subcommand_from list show add remove path help" -s v -l verbose -d 'Trace requests and responses on stderr (secrets redacted)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and not __fish_seen_subcommand_from list show add remove path help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and not __fish_seen_subcommand_from list show add remove path help" -f -a "list" -d 'List profiles (the default is marked)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and not __fish_seen_subcommand_from list show add remove path help" -f -a "show" -d 'Show one profile as it resolves now, with where each value comes from (never the secret)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and not __fish_seen_subcommand_from list show add remove path help" -f -a "add" -d 'Add a profile (flags are named like the config keys)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and not __fish_seen_subcommand_from list show add remove path help" -f -a "remove" -d 'Remove a profile'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and not __fish_seen_subcommand_from list show add remove path help" -f -a "path" -d 'Print the config file\'s path'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and not __fish_seen_subcommand_from list show add remove path help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from list" -s c -l config -d 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]' -r -F
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from list" -s p -l profile -d 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config\'s default_profile]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]' -r -f -a "text\t'Bare token (fetch/exchange-code) or a readable view'
json\t'One JSON document'
header\t'`Authorization: Bearer <token>`, for `curl -H @-`'
env\t'`export OAUTHCTL_ACCESS_TOKEN=…` lines, for `eval`'
exec-credential\t'A Kubernetes client-go ExecCredential'"
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Trace requests and responses on stderr (secrets redacted)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from show" -s c -l config -d 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]' -r -F
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from show" -s p -l profile -d 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config\'s default_profile]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from show" -s o -l output -d 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]' -r -f -a "text\t'Bare token (fetch/exchange-code) or a readable view'
json\t'One JSON document'
header\t'`Authorization: Bearer <token>`, for `curl -H @-`'
env\t'`export OAUTHCTL_ACCESS_TOKEN=…` lines, for `eval`'
exec-credential\t'A Kubernetes client-go ExecCredential'"
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Trace requests and responses on stderr (secrets redacted)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from add" -s c -l config -d 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]' -r -F
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from add" -s p -l profile -d 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config\'s default_profile]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from add" -s o -l output -d 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]' -r -f -a "text\t'Bare token (fetch/exchange-code) or a readable view'
json\t'One JSON document'
header\t'`Authorization: Bearer <token>`, for `curl -H @-`'
env\t'`export OAUTHCTL_ACCESS_TOKEN=…` lines, for `eval`'
exec-credential\t'A Kubernetes client-go ExecCredential'"
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from add" -l token-url -d 'Token endpoint URL' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from add" -l issuer -d 'Issuer URL (for discovery instead of token_url)' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from add" -l grant -d 'What `fetch` does: client_credentials, authorization_code, device_code' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from add" -l client-id -d 'Client identifier' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from add" -l client-secret-env -d 'Secret source: this env var' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from add" -l client-secret-file -d 'Secret source: this file' -r -F
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from add" -l client-secret-command -d 'Secret source: this command, as a JSON array of argv (run without a shell)' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from add" -l auth-method -d 'basic, post or none' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from add" -l basic-encoding -d 'form or raw' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from add" -l grant-params -d 'body or query' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from add" -l scope -d 'Space-separated scopes' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from add" -l audience -d '`audience` parameter' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from add" -l resource -d '`resource` parameter (RFC 8707)' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from add" -l redirect-uri -d 'redirect_uri for exchange-code' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from add" -l param -d 'Extra form parameter, repeatable' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from add" -l header -d 'Extra request header, repeatable' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from add" -l timeout-secs -d 'Whole-request deadline in seconds' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from add" -l ca-file -d 'Extra trusted root certificates (PEM)' -r -F
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from add" -l min-ttl-secs -d 'Reuse a cached token only with at least this much life left' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from add" -l retries -d 'Retries for client_credentials / refresh requests' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from add" -l retry-max-secs -d 'Give up rather than wait longer than this in total' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from add" -s v -l verbose -d 'Trace requests and responses on stderr (secrets redacted)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from add" -l client-secret-stdin -d 'Store a literal client_secret read from stdin (the file must be private: mode 0600)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from add" -l default -d 'Make this the default_profile'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from add" -l replace -d 'Overwrite a profile of the same name'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from remove" -s c -l config -d 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]' -r -F
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from remove" -s p -l profile -d 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config\'s default_profile]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from remove" -s o -l output -d 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]' -r -f -a "text\t'Bare token (fetch/exchange-code) or a readable view'
json\t'One JSON document'
header\t'`Authorization: Bearer <token>`, for `curl -H @-`'
env\t'`export OAUTHCTL_ACCESS_TOKEN=…` lines, for `eval`'
exec-credential\t'A Kubernetes client-go ExecCredential'"
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from remove" -s v -l verbose -d 'Trace requests and responses on stderr (secrets redacted)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from path" -s c -l config -d 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]' -r -F
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from path" -s p -l profile -d 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config\'s default_profile]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from path" -s o -l output -d 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]' -r -f -a "text\t'Bare token (fetch/exchange-code) or a readable view'
json\t'One JSON document'
header\t'`Authorization: Bearer <token>`, for `curl -H @-`'
env\t'`export OAUTHCTL_ACCESS_TOKEN=…` lines, for `eval`'
exec-credential\t'A Kubernetes client-go ExecCredential'"
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from path" -s v -l verbose -d 'Trace requests and responses on stderr (secrets redacted)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from path" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from help" -f -a "list" -d 'List profiles (the default is marked)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one profile as it resolves now, with where each value comes from (never the secret)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add a profile (flags are named like the config keys)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove a profile'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from help" -f -a "path" -d 'Print the config file\'s path'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand profiles; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand cache; and not __fish_seen_subcommand_from list clear help" -s c -l config -d 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]' -r -F
complete -c oauthctl -n "__fish_oauthctl_using_subcommand cache; and not __fish_seen_subcommand_from list clear help" -s p -l profile -d 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config\'s default_profile]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand cache; and not __fish_seen_subcommand_from list clear help" -s o -l output -d 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]' -r -f -a "text\t'Bare token (fetch/exchange-code) or a readable view'
json\t'One JSON document'
header\t'`Authorization: Bearer <token>`, for `curl -H @-`'
env\t'`export OAUTHCTL_ACCESS_TOKEN=…` lines, for `eval`'
exec-credential\t'A Kubernetes client-go ExecCredential'"
complete -c oauthctl -n "__fish_oauthctl_using_subcommand cache; and not __fish_seen_subcommand_from list clear help" -s v -l verbose -d 'Trace requests and responses on stderr (secrets redacted)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand cache; and not __fish_seen_subcommand_from list clear help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand cache; and not __fish_seen_subcommand_from list clear help" -f -a "list" -d 'List cached entries: profile, key, expiry, whether a refresh token is held'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand cache; and not __fish_seen_subcommand_from list clear help" -f -a "clear" -d 'Forget cached tokens: all of them, or with -p those of one profile'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand cache; and not __fish_seen_subcommand_from list clear help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand cache; and __fish_seen_subcommand_from list" -s c -l config -d 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]' -r -F
complete -c oauthctl -n "__fish_oauthctl_using_subcommand cache; and __fish_seen_subcommand_from list" -s p -l profile -d 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config\'s default_profile]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand cache; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]' -r -f -a "text\t'Bare token (fetch/exchange-code) or a readable view'
json\t'One JSON document'
header\t'`Authorization: Bearer <token>`, for `curl -H @-`'
env\t'`export OAUTHCTL_ACCESS_TOKEN=…` lines, for `eval`'
exec-credential\t'A Kubernetes client-go ExecCredential'"
complete -c oauthctl -n "__fish_oauthctl_using_subcommand cache; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Trace requests and responses on stderr (secrets redacted)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand cache; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand cache; and __fish_seen_subcommand_from clear" -s c -l config -d 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]' -r -F
complete -c oauthctl -n "__fish_oauthctl_using_subcommand cache; and __fish_seen_subcommand_from clear" -s p -l profile -d 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config\'s default_profile]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand cache; and __fish_seen_subcommand_from clear" -s o -l output -d 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]' -r -f -a "text\t'Bare token (fetch/exchange-code) or a readable view'
json\t'One JSON document'
header\t'`Authorization: Bearer <token>`, for `curl -H @-`'
env\t'`export OAUTHCTL_ACCESS_TOKEN=…` lines, for `eval`'
exec-credential\t'A Kubernetes client-go ExecCredential'"
complete -c oauthctl -n "__fish_oauthctl_using_subcommand cache; and __fish_seen_subcommand_from clear" -s v -l verbose -d 'Trace requests and responses on stderr (secrets redacted)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand cache; and __fish_seen_subcommand_from clear" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "list" -d 'List cached entries: profile, key, expiry, whether a refresh token is held'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "clear" -d 'Forget cached tokens: all of them, or with -p those of one profile'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand completions" -s c -l config -d 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]' -r -F
complete -c oauthctl -n "__fish_oauthctl_using_subcommand completions" -s p -l profile -d 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config\'s default_profile]' -r
complete -c oauthctl -n "__fish_oauthctl_using_subcommand completions" -s o -l output -d 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]' -r -f -a "text\t'Bare token (fetch/exchange-code) or a readable view'
json\t'One JSON document'
header\t'`Authorization: Bearer <token>`, for `curl -H @-`'
env\t'`export OAUTHCTL_ACCESS_TOKEN=…` lines, for `eval`'
exec-credential\t'A Kubernetes client-go ExecCredential'"
complete -c oauthctl -n "__fish_oauthctl_using_subcommand completions" -s v -l verbose -d 'Trace requests and responses on stderr (secrets redacted)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand help; and not __fish_seen_subcommand_from fetch exchange-code inspect profiles cache completions help" -f -a "fetch" -d 'Get an access token with the client_credentials grant (RFC 6749 §4.4)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand help; and not __fish_seen_subcommand_from fetch exchange-code inspect profiles cache completions help" -f -a "exchange-code" -d 'Exchange an authorization code for tokens (RFC 6749 §4.1.3, PKCE RFC 7636)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand help; and not __fish_seen_subcommand_from fetch exchange-code inspect profiles cache completions help" -f -a "inspect" -d 'Decode a JWT: header, claims and times (the signature is NOT verified)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand help; and not __fish_seen_subcommand_from fetch exchange-code inspect profiles cache completions help" -f -a "profiles" -d 'List, show, add and remove profiles in the config file'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand help; and not __fish_seen_subcommand_from fetch exchange-code inspect profiles cache completions help" -f -a "cache" -d 'Show or forget cached tokens (the tokens themselves are never shown)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand help; and not __fish_seen_subcommand_from fetch exchange-code inspect profiles cache completions help" -f -a "completions" -d 'Print a shell completion script (the same files are committed under completions/)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand help; and not __fish_seen_subcommand_from fetch exchange-code inspect profiles cache completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand help; and __fish_seen_subcommand_from profiles" -f -a "list" -d 'List profiles (the default is marked)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand help; and __fish_seen_subcommand_from profiles" -f -a "show" -d 'Show one profile as it resolves now, with where each value comes from (never the secret)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand help; and __fish_seen_subcommand_from profiles" -f -a "add" -d 'Add a profile (flags are named like the config keys)'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand help; and __fish_seen_subcommand_from profiles" -f -a "remove" -d 'Remove a profile'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand help; and __fish_seen_subcommand_from profiles" -f -a "path" -d 'Print the config file\'s path'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand help; and __fish_seen_subcommand_from cache" -f -a "list" -d 'List cached entries: profile, key, expiry, whether a refresh token is held'
complete -c oauthctl -n "__fish_oauthctl_using_subcommand help; and __fish_seen_subcommand_from cache" -f -a "clear" -d 'Forget cached tokens: all of them, or with -p those of one profile'
