
set edit:completion:arg-completer[oauthctl] = { |@words|
    var index = (count $words)
    set index = (- $index 1)

    put (env _CLAP_IFS="\n" _CLAP_COMPLETE_INDEX=(to-string $index) _OAUTHCTL_COMPLETE="elvish" oauthctl -- $@words) | to-lines
}

