
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'oauthctl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'oauthctl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'oauthctl' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace requests and responses on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace requests and responses on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('fetch', 'fetch', [CompletionResultType]::ParameterValue, 'Per-run overrides of profile fields; each also has an `OAUTHCTL_*` env var (flag > env > profile)')
            [CompletionResult]::new('exchange-code', 'exchange-code', [CompletionResultType]::ParameterValue, 'Per-run overrides of profile fields; each also has an `OAUTHCTL_*` env var (flag > env > profile)')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Per-run overrides of profile fields; each also has an `OAUTHCTL_*` env var (flag > env > profile)')
            [CompletionResult]::new('profiles', 'profiles', [CompletionResultType]::ParameterValue, 'List, show, add and remove profiles in the config file')
            [CompletionResult]::new('cache', 'cache', [CompletionResultType]::ParameterValue, 'Show or forget cached tokens (the tokens themselves are never shown)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (the same files are committed under completions/)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'oauthctl;fetch' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]')
            [CompletionResult]::new('--min-ttl', '--min-ttl', [CompletionResultType]::ParameterName, 'Reuse a cached token only with more than this many seconds left [env: OAUTHCTL_MIN_TTL_SECS] [default: 60]')
            [CompletionResult]::new('--token-url', '--token-url', [CompletionResultType]::ParameterName, 'Token endpoint URL [env: OAUTHCTL_TOKEN_URL]')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'Client identifier [env: OAUTHCTL_CLIENT_ID]')
            [CompletionResult]::new('--client-secret-env', '--client-secret-env', [CompletionResultType]::ParameterName, 'Read the client secret from this env var')
            [CompletionResult]::new('--client-secret-file', '--client-secret-file', [CompletionResultType]::ParameterName, 'Read the client secret from this file [env: OAUTHCTL_CLIENT_SECRET_FILE]')
            [CompletionResult]::new('--auth-method', '--auth-method', [CompletionResultType]::ParameterName, 'Client authentication: basic, post or none [env: OAUTHCTL_AUTH_METHOD] [default: basic]')
            [CompletionResult]::new('--basic-encoding', '--basic-encoding', [CompletionResultType]::ParameterName, 'Basic credentials: form-urlencoded first (form) or raw [env: OAUTHCTL_BASIC_ENCODING] [default: form]')
            [CompletionResult]::new('--grant-params', '--grant-params', [CompletionResultType]::ParameterName, 'Where grant parameters go: body or query [env: OAUTHCTL_GRANT_PARAMS] [default: body]')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Space-separated scopes [env: OAUTHCTL_SCOPE]')
            [CompletionResult]::new('--audience', '--audience', [CompletionResultType]::ParameterName, '`audience` parameter [env: OAUTHCTL_AUDIENCE]')
            [CompletionResult]::new('--resource', '--resource', [CompletionResultType]::ParameterName, '`resource` parameter, RFC 8707 [env: OAUTHCTL_RESOURCE]')
            [CompletionResult]::new('--param', '--param', [CompletionResultType]::ParameterName, 'Extra form parameter, repeatable [env: OAUTHCTL_PARAMS as k=v&k2=v2]')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra request header, repeatable [env: OAUTHCTL_HEADERS, one per line]')
            [CompletionResult]::new('--timeout-secs', '--timeout-secs', [CompletionResultType]::ParameterName, 'Whole-request deadline in seconds [env: OAUTHCTL_TIMEOUT_SECS] [default: 30]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Whole-request deadline in seconds [env: OAUTHCTL_TIMEOUT_SECS] [default: 30]')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Extra trusted root certificates (PEM) [env: OAUTHCTL_CA_FILE]')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra trusted root certificates (PEM) [env: OAUTHCTL_CA_FILE]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace requests and responses on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace requests and responses on stderr (secrets redacted)')
            [CompletionResult]::new('--no-cache', '--no-cache', [CompletionResultType]::ParameterName, 'Neither read nor write the token cache')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Ignore a cached access token and get a new one (a cached refresh token is still used)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the token request as an equivalent curl command, secrets replaced by placeholders, and send nothing (the cache is neither read nor written)')
            [CompletionResult]::new('--client-secret-stdin', '--client-secret-stdin', [CompletionResultType]::ParameterName, 'Read the client secret from standard input (the secret itself: OAUTHCTL_CLIENT_SECRET)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'oauthctl;exchange-code' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]')
            [CompletionResult]::new('--redirect-uri', '--redirect-uri', [CompletionResultType]::ParameterName, 'redirect_uri used in the authorization request [env: OAUTHCTL_REDIRECT_URI]')
            [CompletionResult]::new('--code-verifier', '--code-verifier', [CompletionResultType]::ParameterName, 'PKCE code_verifier (RFC 7636); prefer the env var, which stays out of the process list')
            [CompletionResult]::new('--token-url', '--token-url', [CompletionResultType]::ParameterName, 'Token endpoint URL [env: OAUTHCTL_TOKEN_URL]')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'Client identifier [env: OAUTHCTL_CLIENT_ID]')
            [CompletionResult]::new('--client-secret-env', '--client-secret-env', [CompletionResultType]::ParameterName, 'Read the client secret from this env var')
            [CompletionResult]::new('--client-secret-file', '--client-secret-file', [CompletionResultType]::ParameterName, 'Read the client secret from this file [env: OAUTHCTL_CLIENT_SECRET_FILE]')
            [CompletionResult]::new('--auth-method', '--auth-method', [CompletionResultType]::ParameterName, 'Client authentication: basic, post or none [env: OAUTHCTL_AUTH_METHOD] [default: basic]')
            [CompletionResult]::new('--basic-encoding', '--basic-encoding', [CompletionResultType]::ParameterName, 'Basic credentials: form-urlencoded first (form) or raw [env: OAUTHCTL_BASIC_ENCODING] [default: form]')
            [CompletionResult]::new('--grant-params', '--grant-params', [CompletionResultType]::ParameterName, 'Where grant parameters go: body or query [env: OAUTHCTL_GRANT_PARAMS] [default: body]')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Space-separated scopes [env: OAUTHCTL_SCOPE]')
            [CompletionResult]::new('--audience', '--audience', [CompletionResultType]::ParameterName, '`audience` parameter [env: OAUTHCTL_AUDIENCE]')
            [CompletionResult]::new('--resource', '--resource', [CompletionResultType]::ParameterName, '`resource` parameter, RFC 8707 [env: OAUTHCTL_RESOURCE]')
            [CompletionResult]::new('--param', '--param', [CompletionResultType]::ParameterName, 'Extra form parameter, repeatable [env: OAUTHCTL_PARAMS as k=v&k2=v2]')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra request header, repeatable [env: OAUTHCTL_HEADERS, one per line]')
            [CompletionResult]::new('--timeout-secs', '--timeout-secs', [CompletionResultType]::ParameterName, 'Whole-request deadline in seconds [env: OAUTHCTL_TIMEOUT_SECS] [default: 30]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Whole-request deadline in seconds [env: OAUTHCTL_TIMEOUT_SECS] [default: 30]')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Extra trusted root certificates (PEM) [env: OAUTHCTL_CA_FILE]')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra trusted root certificates (PEM) [env: OAUTHCTL_CA_FILE]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace requests and responses on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace requests and responses on stderr (secrets redacted)')
            [CompletionResult]::new('--no-cache', '--no-cache', [CompletionResultType]::ParameterName, 'Do not store the tokens in the cache (by default they are, so that `fetch` can refresh)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the token request as an equivalent curl command, secrets (the code too) replaced by placeholders, and send nothing')
            [CompletionResult]::new('--client-secret-stdin', '--client-secret-stdin', [CompletionResultType]::ParameterName, 'Read the client secret from standard input (the secret itself: OAUTHCTL_CLIENT_SECRET)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'oauthctl;inspect' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]')
            [CompletionResult]::new('--token-url', '--token-url', [CompletionResultType]::ParameterName, 'Token endpoint URL [env: OAUTHCTL_TOKEN_URL]')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'Client identifier [env: OAUTHCTL_CLIENT_ID]')
            [CompletionResult]::new('--client-secret-env', '--client-secret-env', [CompletionResultType]::ParameterName, 'Read the client secret from this env var')
            [CompletionResult]::new('--client-secret-file', '--client-secret-file', [CompletionResultType]::ParameterName, 'Read the client secret from this file [env: OAUTHCTL_CLIENT_SECRET_FILE]')
            [CompletionResult]::new('--auth-method', '--auth-method', [CompletionResultType]::ParameterName, 'Client authentication: basic, post or none [env: OAUTHCTL_AUTH_METHOD] [default: basic]')
            [CompletionResult]::new('--basic-encoding', '--basic-encoding', [CompletionResultType]::ParameterName, 'Basic credentials: form-urlencoded first (form) or raw [env: OAUTHCTL_BASIC_ENCODING] [default: form]')
            [CompletionResult]::new('--grant-params', '--grant-params', [CompletionResultType]::ParameterName, 'Where grant parameters go: body or query [env: OAUTHCTL_GRANT_PARAMS] [default: body]')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Space-separated scopes [env: OAUTHCTL_SCOPE]')
            [CompletionResult]::new('--audience', '--audience', [CompletionResultType]::ParameterName, '`audience` parameter [env: OAUTHCTL_AUDIENCE]')
            [CompletionResult]::new('--resource', '--resource', [CompletionResultType]::ParameterName, '`resource` parameter, RFC 8707 [env: OAUTHCTL_RESOURCE]')
            [CompletionResult]::new('--param', '--param', [CompletionResultType]::ParameterName, 'Extra form parameter, repeatable [env: OAUTHCTL_PARAMS as k=v&k2=v2]')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra request header, repeatable [env: OAUTHCTL_HEADERS, one per line]')
            [CompletionResult]::new('--timeout-secs', '--timeout-secs', [CompletionResultType]::ParameterName, 'Whole-request deadline in seconds [env: OAUTHCTL_TIMEOUT_SECS] [default: 30]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Whole-request deadline in seconds [env: OAUTHCTL_TIMEOUT_SECS] [default: 30]')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Extra trusted root certificates (PEM) [env: OAUTHCTL_CA_FILE]')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra trusted root certificates (PEM) [env: OAUTHCTL_CA_FILE]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace requests and responses on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace requests and responses on stderr (secrets redacted)')
            [CompletionResult]::new('--require-valid', '--require-valid', [CompletionResultType]::ParameterName, 'Exit 5 unless the token is within its exp/nbf window')
            [CompletionResult]::new('--client-secret-stdin', '--client-secret-stdin', [CompletionResultType]::ParameterName, 'Read the client secret from standard input (the secret itself: OAUTHCTL_CLIENT_SECRET)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'oauthctl;profiles' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace requests and responses on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace requests and responses on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List profiles (the default is marked)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one profile as it resolves now, with where each value comes from (never the secret)')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a profile (flags are named like the config keys)')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a profile')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the config file''s path')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'oauthctl;profiles;list' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace requests and responses on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace requests and responses on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'oauthctl;profiles;show' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace requests and responses on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace requests and responses on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'oauthctl;profiles;add' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]')
            [CompletionResult]::new('--token-url', '--token-url', [CompletionResultType]::ParameterName, 'Token endpoint URL')
            [CompletionResult]::new('--issuer', '--issuer', [CompletionResultType]::ParameterName, 'Issuer URL (for discovery instead of token_url)')
            [CompletionResult]::new('--grant', '--grant', [CompletionResultType]::ParameterName, 'What `fetch` does: client_credentials, authorization_code, device_code')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'Client identifier')
            [CompletionResult]::new('--client-secret-env', '--client-secret-env', [CompletionResultType]::ParameterName, 'Secret source: this env var')
            [CompletionResult]::new('--client-secret-file', '--client-secret-file', [CompletionResultType]::ParameterName, 'Secret source: this file')
            [CompletionResult]::new('--client-secret-command', '--client-secret-command', [CompletionResultType]::ParameterName, 'Secret source: this command, as a JSON array of argv (run without a shell)')
            [CompletionResult]::new('--auth-method', '--auth-method', [CompletionResultType]::ParameterName, 'basic, post or none')
            [CompletionResult]::new('--basic-encoding', '--basic-encoding', [CompletionResultType]::ParameterName, 'form or raw')
            [CompletionResult]::new('--grant-params', '--grant-params', [CompletionResultType]::ParameterName, 'body or query')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Space-separated scopes')
            [CompletionResult]::new('--audience', '--audience', [CompletionResultType]::ParameterName, '`audience` parameter')
            [CompletionResult]::new('--resource', '--resource', [CompletionResultType]::ParameterName, '`resource` parameter (RFC 8707)')
            [CompletionResult]::new('--redirect-uri', '--redirect-uri', [CompletionResultType]::ParameterName, 'redirect_uri for exchange-code')
            [CompletionResult]::new('--param', '--param', [CompletionResultType]::ParameterName, 'Extra form parameter, repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra request header, repeatable')
            [CompletionResult]::new('--timeout-secs', '--timeout-secs', [CompletionResultType]::ParameterName, 'Whole-request deadline in seconds')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Extra trusted root certificates (PEM)')
            [CompletionResult]::new('--min-ttl-secs', '--min-ttl-secs', [CompletionResultType]::ParameterName, 'Reuse a cached token only with at least this much life left')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries for client_credentials / refresh requests')
            [CompletionResult]::new('--retry-max-secs', '--retry-max-secs', [CompletionResultType]::ParameterName, 'Give up rather than wait longer than this in total')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace requests and responses on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace requests and responses on stderr (secrets redacted)')
            [CompletionResult]::new('--client-secret-stdin', '--client-secret-stdin', [CompletionResultType]::ParameterName, 'Store a literal client_secret read from stdin (the file must be private: mode 0600)')
            [CompletionResult]::new('--default', '--default', [CompletionResultType]::ParameterName, 'Make this the default_profile')
            [CompletionResult]::new('--replace', '--replace', [CompletionResultType]::ParameterName, 'Overwrite a profile of the same name')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'oauthctl;profiles;remove' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace requests and responses on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace requests and responses on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'oauthctl;profiles;path' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace requests and responses on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace requests and responses on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'oauthctl;profiles;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List profiles (the default is marked)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one profile as it resolves now, with where each value comes from (never the secret)')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a profile (flags are named like the config keys)')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a profile')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the config file''s path')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'oauthctl;profiles;help;list' {
            break
        }
        'oauthctl;profiles;help;show' {
            break
        }
        'oauthctl;profiles;help;add' {
            break
        }
        'oauthctl;profiles;help;remove' {
            break
        }
        'oauthctl;profiles;help;path' {
            break
        }
        'oauthctl;profiles;help;help' {
            break
        }
        'oauthctl;cache' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace requests and responses on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace requests and responses on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List cached entries: profile, key, expiry, whether a refresh token is held')
            [CompletionResult]::new('clear', 'clear', [CompletionResultType]::ParameterValue, 'Forget cached tokens: all of them, or with -p those of one profile')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'oauthctl;cache;list' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace requests and responses on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace requests and responses on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'oauthctl;cache;clear' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace requests and responses on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace requests and responses on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'oauthctl;cache;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List cached entries: profile, key, expiry, whether a refresh token is held')
            [CompletionResult]::new('clear', 'clear', [CompletionResultType]::ParameterValue, 'Forget cached tokens: all of them, or with -p those of one profile')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'oauthctl;cache;help;list' {
            break
        }
        'oauthctl;cache;help;clear' {
            break
        }
        'oauthctl;cache;help;help' {
            break
        }
        'oauthctl;completions' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [env: OAUTHCTL_PROFILE] [default: the config''s default_profile]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, json, header, env, exec-credential (the last three: fetch and exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace requests and responses on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace requests and responses on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'oauthctl;help' {
            [CompletionResult]::new('fetch', 'fetch', [CompletionResultType]::ParameterValue, 'Get an access token with the client_credentials grant (RFC 6749 §4.4)')
            [CompletionResult]::new('exchange-code', 'exchange-code', [CompletionResultType]::ParameterValue, 'Exchange an authorization code for tokens (RFC 6749 §4.1.3, PKCE RFC 7636)')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Decode a JWT: header, claims and times (the signature is NOT verified)')
            [CompletionResult]::new('profiles', 'profiles', [CompletionResultType]::ParameterValue, 'List, show, add and remove profiles in the config file')
            [CompletionResult]::new('cache', 'cache', [CompletionResultType]::ParameterValue, 'Show or forget cached tokens (the tokens themselves are never shown)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (the same files are committed under completions/)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'oauthctl;help;fetch' {
            break
        }
        'oauthctl;help;exchange-code' {
            break
        }
        'oauthctl;help;inspect' {
            break
        }
        'oauthctl;help;profiles' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List profiles (the default is marked)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one profile as it resolves now, with where each value comes from (never the secret)')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a profile (flags are named like the config keys)')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a profile')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the config file''s path')
            break
        }
        'oauthctl;help;profiles;list' {
            break
        }
        'oauthctl;help;profiles;show' {
            break
        }
        'oauthctl;help;profiles;add' {
            break
        }
        'oauthctl;help;profiles;remove' {
            break
        }
        'oauthctl;help;profiles;path' {
            break
        }
        'oauthctl;help;cache' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List cached entries: profile, key, expiry, whether a refresh token is held')
            [CompletionResult]::new('clear', 'clear', [CompletionResultType]::ParameterValue, 'Forget cached tokens: all of them, or with -p those of one profile')
            break
        }
        'oauthctl;help;cache;list' {
            break
        }
        'oauthctl;help;cache;clear' {
            break
        }
        'oauthctl;help;completions' {
            break
        }
        'oauthctl;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
