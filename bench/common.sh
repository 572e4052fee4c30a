# Sourced by bench/run.sh and bench/variants.sh: a work directory removed on exit, the loopback
# token server, a hermetic user whose profile comes from env vars (the CI case), and the floor
# program a cached fetch is measured against.
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

# build_floor: prints the path of an empty Rust program (`fn main() {}`) built with oauthctl's own
# `[profile.release]`, copied from Cargo.toml so the two cannot drift apart: what any Rust
# program built the way oauthctl is costs before it does anything (std's runtime, the loader).
build_floor() {
  local dir="$WORK/floor"
  mkdir -p "$dir/src"
  {
    printf '[package]\nname = "floor"\nversion = "0.0.0"\nedition = "2024"\npublish = false\n\n'
    printf '# Its own workspace, so that it never joins one above it.\n[workspace]\n\n'
    awk '/^\[/ { on = ($0 == "[profile.release]") } on' "$ROOT/Cargo.toml"
  } > "$dir/Cargo.toml"
  echo 'fn main() {}' > "$dir/src/main.rs"
  cargo build --release --offline --quiet --manifest-path "$dir/Cargo.toml" --target-dir "$dir/target" >&2
  echo "$dir/target/release/floor"
}
