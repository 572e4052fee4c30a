#!/usr/bin/env bash
# Start-up cost of a cached `oauthctl fetch` under the link options that the cached-fetch target
# (≤ 1.5× /bin/true, issue 5) depends on: the default dynamic PIE build, a static-pie glibc build,
# and a static non-PIE build, each also at opt-level "s". Prints size, page faults and the median
# time against /bin/true measured in the same hyperfine run. x86_64 glibc Linux only; needs
# hyperfine, perf (linux-perf) and python3 (bench/run.sh installs the first and the last).
# Usage: bench/variants.sh [RUNS]    (about 15 minutes on 2 cores: six LTO builds)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-500}
. bench/common.sh
TARGET=x86_64-unknown-linux-gnu

build() { # NAME OPT-LEVEL RUSTFLAGS
  local dir="$ROOT/target/variants/$1"
  echo "building $1" >&2
  # An explicit --target keeps RUSTFLAGS off the proc-macros, which cannot be built static.
  RUSTFLAGS="$3" CARGO_PROFILE_RELEASE_OPT_LEVEL="$2" \
    cargo build --release --locked --quiet --target "$TARGET" --target-dir "$dir" >&2
  echo "$dir/$TARGET/release/oauthctl"
}

declare -A BIN
BIN[dynamic-pie]=$(build dynamic-pie 3 "")
BIN[dynamic-pie-s]=$(build dynamic-pie-s s "")
BIN[static-pie]=$(build static-pie 3 "-C target-feature=+crt-static")
BIN[static-pie-s]=$(build static-pie-s s "-C target-feature=+crt-static")
BIN[static-nopie]=$(build static-nopie 3 "-C target-feature=+crt-static -C relocation-model=static")
BIN[static-nopie-s]=$(build static-nopie-s s "-C target-feature=+crt-static -C relocation-model=static")
ORDER=(dynamic-pie dynamic-pie-s static-pie static-pie-s static-nopie static-nopie-s)

start_token_server
"${BIN[dynamic-pie]}" fetch >/dev/null   # every variant shares this cache entry

cmds=()
for v in "${ORDER[@]}"; do cmds+=("${BIN[$v]} fetch"); done
hyperfine -N --style none --warmup 30 --runs "$RUNS" --export-json "$WORK/v.json" "${cmds[@]}" /bin/true >/dev/null

faults() { perf stat -x, -e page-faults "$@" 2>&1 >/dev/null | cut -d, -f1; }
echo "| build | size | page faults | median | vs \`/bin/true\` |"
echo "|---|---|---|---|---|"
i=0
for v in "${ORDER[@]}"; do
  size=$(stat -c %s "${BIN[$v]}")
  python3 - "$WORK/v.json" "$i" "$v" "$size" "$(faults "${BIN[$v]}" fetch)" <<'EOF'
import json, sys
runs = json.load(open(sys.argv[1]))["results"]
i, name, size, faults = int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
floor = runs[-1]["median"]
print(f"| {name} | {size / 1048576:.2f} MiB | {faults} | {runs[i]['median'] * 1000:.2f} ms | {runs[i]['median'] / floor:.2f}× |")
EOF
  i=$((i + 1))
done
python3 - "$WORK/v.json" "$(faults /bin/true)" <<'EOF'
import json, sys
floor = json.load(open(sys.argv[1]))["results"][-1]["median"]
print(f"| `/bin/true` | – | {sys.argv[2]} | {floor * 1000:.2f} ms | 1.00× |")
EOF
