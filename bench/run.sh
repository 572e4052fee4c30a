#!/usr/bin/env bash
# Benchmarks oauthctl against the tools people use instead, on this machine, on loopback only.
# Prints a Markdown table (medians and ratios against a peer measured in the same run) and saves
# it to BENCHMARKS.md. A cached fetch is measured against two floors in one run: an empty Rust
# program built with oauthctl's release profile (the target) and /bin/true (for reference).
# Installs what it needs: hyperfine, curl, jq, time (Debian) and jwt-cli (cargo, into
# bench/.tools). Usage: bench/run.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-300}
. bench/common.sh

say() { printf '%s\n' "$*" >&2; }

missing=()
for tool in hyperfine curl jq python3; do command -v "$tool" >/dev/null || missing+=("$tool"); done
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} from Debian"
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

JWT="$ROOT/bench/.tools/bin/jwt"
if [ ! -x "$JWT" ]; then
  say "installing jwt-cli into bench/.tools (once; takes a few minutes)"
  cargo install --quiet --locked --root "$ROOT/bench/.tools" jwt-cli >&2 || JWT=
fi

say "building oauthctl (release)"
cargo build --release --locked --quiet
BIN="$ROOT/target/release/oauthctl"
say "building the floor: an empty Rust program, same release profile"
FLOOR=$(build_floor)

start_token_server
TOKEN=$("$BIN" fetch)

ROUNDS=10
# bench NAME [-N] COMMAND...: RUNS runs of each command in one hyperfine run, taken in ROUNDS
# interleaved rounds (5 warm-up runs each), so that a machine whose speed drifts during the run
# (2 shared cores) slows oauthctl and its peers alike instead of whichever ran last.
bench() {
  local name=$1; shift
  local opts=()
  if [ "$1" = -N ]; then opts+=(-N); shift; fi
  echo $# > "$WORK/$name.n"
  local cmds=()
  for _ in $(seq "$ROUNDS"); do cmds+=("$@"); done
  hyperfine --style none "${opts[@]}" --warmup 5 --runs $((RUNS / ROUNDS)) \
    --export-json "$WORK/$name.json" "${cmds[@]}" >/dev/null
}
# median_of FILE INDEX: the median (seconds) of command INDEX's runs over every round.
median_of() {
  jq -r --argjson i "$2" --argjson n "$(cat "${1%.json}.n")" \
    '[.results as $r | range($i; $r | length; $n) | $r[.].times[]] | sort
     | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end' "$1"
}
ms() { awk -v s="$1" 'BEGIN { printf "%.2f ms", s * 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f×", a / b }'; }
verdict() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { print (a / b <= t) ? "met" : "**missed**" }'; }
rows=()
row() { # what, oauthctl median, peer, peer median, target ratio
  rows+=("| $1 | $(ms "$2") | $3 | $(ms "$4") | $(ratio "$2" "$4") | ≤ $5× | $(verdict "$2" "$4" "$5") |")
}
info_row() { # what, oauthctl median, peer, peer median, why the ratio has no target
  rows+=("| $1 | $(ms "$2") | $3 | $(ms "$4") | $(ratio "$2" "$4") | – | $5 |")
}

say "cached fetch vs an empty Rust program and /bin/true"
bench cached -N "$BIN fetch" "$FLOOR" /bin/true
row "cached \`oauthctl fetch\`" "$(median_of "$WORK/cached.json" 0)" "empty Rust program, same profile (floor)" "$(median_of "$WORK/cached.json" 1)" 1.2
info_row "cached \`oauthctl fetch\`" "$(median_of "$WORK/cached.json" 0)" "\`/bin/true\` (process floor)" "$(median_of "$WORK/cached.json" 2)" "informative (was ≤ 1.5×)"
for i in 0 1 2; do
  say "  $(jq -r ".results[$i].command" "$WORK/cached.json"): $(ms "$(median_of "$WORK/cached.json" "$i")")"
done
say "  cached fetch: $(ratio "$(median_of "$WORK/cached.json" 0)" "$(median_of "$WORK/cached.json" 1)") the empty Rust program, $(ratio "$(median_of "$WORK/cached.json" 0)" "$(median_of "$WORK/cached.json" 2)") /bin/true"

say "cold fetch vs curl | jq and bare curl"
bench cold "$BIN fetch --no-cache" \
  "curl -s -u bench:bench-secret -d grant_type=client_credentials $URL | jq -r .access_token" \
  "curl -s -o /dev/null -u bench:bench-secret -d grant_type=client_credentials $URL"
row "cold \`oauthctl fetch --no-cache\`" "$(median_of "$WORK/cold.json" 0)" "\`curl -s … \\| jq -r .access_token\`" "$(median_of "$WORK/cold.json" 1)" 1.0
row "cold \`oauthctl fetch --no-cache\`" "$(median_of "$WORK/cold.json" 0)" "bare \`curl -s -o /dev/null …\`" "$(median_of "$WORK/cold.json" 2)" 1.0

if [ -n "$JWT" ]; then
  say "inspect vs jwt decode"
  bench inspect -N "$BIN inspect $TOKEN" "$JWT decode $TOKEN"
  row "\`oauthctl inspect TOKEN\`" "$(median_of "$WORK/inspect.json" 0)" "\`jwt decode TOKEN\` (jwt-cli $("$JWT" --version | awk '{print $2}'))" "$(median_of "$WORK/inspect.json" 1)" 1.0
else
  rows+=("| \`oauthctl inspect TOKEN\` | – | jwt-cli | – | – | ≤ 1.0× | not measured: \`cargo install jwt-cli\` failed |")
fi

say "50 parallel cold fetches"
rm -rf "$XDG_CACHE_HOME/oauthctl"
curl -s "http://127.0.0.1:$PORT/reset" >/dev/null
start=$(date +%s%N)
pids=()
for _ in $(seq 50); do "$BIN" fetch >/dev/null & pids+=($!); done
wait "${pids[@]}"   # not a bare `wait`: that would wait for the token server too
wall=$(( ($(date +%s%N) - start) / 1000000 ))
requests=$(curl -s "http://127.0.0.1:$PORT/count")
parallel_verdict=$([ "$requests" = 1 ] && echo met || echo "**missed**")

size=$(stat -c %s "$BIN")
size_verdict=$(awk -v s="$size" 'BEGIN { print (s <= 4 * 1024 * 1024) ? "met" : "**missed**" }')
# GNU time forks from a small process, so the figure is the child's own peak, not a copy of a
# big parent's (as python's subprocess would give).
peak_rss_kib() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
rss=$(peak_rss_kib "$BIN" fetch)
rss_floor=$(peak_rss_kib "$FLOOR")
rss_true=$(peak_rss_kib /bin/true)
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

{
  echo "# Benchmarks"
  echo
  echo "Made by \`bench/run.sh\` on $(date -u +%Y-%m-%d): $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)."
  echo "oauthctl $("$BIN" --version | awk '{print $2}') (release build), $(curl --version | head -1 | awk '{print $1, $2}'), $(jq --version), $(hyperfine --version)."
  echo "Every figure is a median over $RUNS runs taken in $ROUNDS rounds that alternate with the peers' rounds"
  echo "(5 warm-up runs each), against a token server on 127.0.0.1; ratios compare with a peer measured in the"
  echo "same run. The floor for a cached fetch is \`fn main() {}\` built with oauthctl's \`[profile.release]\`"
  echo "($(stat -c %s "$FLOOR" | awk '{ printf "%.0f KiB", $1 / 1024 }'), a dynamic PIE like oauthctl); \`/bin/true\` is shown for reference."
  echo
  echo "| what | oauthctl | peer | peer | ratio | target | |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "| what | measured | target | |"
  echo "|---|---|---|---|"
  echo "| 50 parallel cold \`oauthctl fetch\`: token requests the server saw | $requests | 1 | $parallel_verdict |"
  echo "| 50 parallel cold \`oauthctl fetch\`: wall time for all | $wall ms | – | |"
  echo "| release binary size | $(awk -v s="$size" 'BEGIN { printf "%.2f MiB", s / 1048576 }') | ≤ 4 MiB | $size_verdict |"
  echo "| peak RSS of a cached \`oauthctl fetch\` (empty Rust program: $(mib "$rss_floor"), \`/bin/true\`: $(mib "$rss_true")) | $(mib "$rss") | – | |"
} > "$WORK/table.md"
[ -f bench/notes.md ] && cat bench/notes.md >> "$WORK/table.md"
cp "$WORK/table.md" BENCHMARKS.md
cat BENCHMARKS.md
