complete --keep-order --exclusive --command oauthctl --arguments "(_OAUTHCTL_COMPLETE=fish oauthctl -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
