# Sourced by bench/run.sh and bench/variants.sh: a work directory removed on exit, the loopback
# token server, and a hermetic user whose profile comes from env vars (the CI case).
# After `start_token_server`: PORT and URL are set and OAUTHCTL_* points at the server.
ROOT=$PWD
WORK=$(mktemp -d)
SERVER_PID=
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

start_token_server() {
  python3 "$ROOT/bench/token_server.py" > "$WORK/port" &
  SERVER_PID=$!
  for _ in $(seq 50); do [ -s "$WORK/port" ] && break; sleep 0.1; done
  PORT=$(cat "$WORK/port")
  URL="http://127.0.0.1:$PORT/token"
  export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" XDG_CACHE_HOME="$WORK/home/.cache"
  mkdir -p "$HOME"
  unset OAUTHCTL_CONFIG OAUTHCTL_PROFILE OAUTHCTL_OUTPUT http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
  export OAUTHCTL_TOKEN_URL="$URL" OAUTHCTL_CLIENT_ID=bench OAUTHCTL_CLIENT_SECRET=bench-secret
}
