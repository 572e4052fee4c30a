#!/usr/bin/env bash
# Start-up cost of a cached `oauthctl fetch` under other link options: the default dynamic PIE build
# (the release build), a static-pie glibc build, and a static non-PIE build, each also at
# opt-level "s". Prints size, page faults and the median time against the floor of the cached-fetch
# target (an empty Rust program built with the release profile, dynamic PIE; see common.sh) and
# /bin/true, all measured in the same hyperfine run. x86_64 glibc Linux only; needs hyperfine, perf
# (linux-perf) and python3 (bench/run.sh installs the first and the last).
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

echo "building the floor" >&2
FLOOR=$(build_floor)

start_token_server
"${BIN[dynamic-pie]}" fetch >/dev/null   # every variant shares this cache entry

cmds=()
for v in "${ORDER[@]}"; do cmds+=("${BIN[$v]} fetch"); done
cmds+=("$FLOOR" /bin/true)
# As in run.sh: 10 alternating rounds, so that drift in the machine's speed hits every command.
ROUNDS=10
rounds=()
for _ in $(seq "$ROUNDS"); do rounds+=("${cmds[@]}"); done
hyperfine -N --style none --warmup 5 --runs $((RUNS / ROUNDS)) --export-json "$WORK/v.json" "${rounds[@]}" >/dev/null

faults() { perf stat -x, -e page-faults "$@" 2>&1 >/dev/null | cut -d, -f1; }
row() { # NAME SIZE FAULTS INDEX; the last two commands are the floor and /bin/true
  python3 - "$WORK/v.json" "${#cmds[@]}" "$@" <<'EOF'
import json, statistics, sys
results = json.load(open(sys.argv[1]))["results"]
n, name, size, faults, i = int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
def median(k):  # command k's runs over every round
    return statistics.median(t for r in results[k::n] for t in r["times"])
median, floor, true = median(i), median(n - 2), median(n - 1)
size = f"{int(size) / 1048576:.2f} MiB" if size != "-" else "–"
print(f"| {name} | {size} | {faults} | {median * 1000:.2f} ms | {median / floor:.2f}× | {median / true:.2f}× |")
EOF
}
echo "| build | size | page faults | median | vs empty Rust program | vs \`/bin/true\` |"
echo "|---|---|---|---|---|---|"
i=0
for v in "${ORDER[@]}"; do
  row "$v" "$(stat -c %s "${BIN[$v]}")" "$(faults "${BIN[$v]}" fetch)" "$i"
  i=$((i + 1))
done
row "empty Rust program" "$(stat -c %s "$FLOOR")" "$(faults "$FLOOR")" "$i"
row "\`/bin/true\`" - "$(faults /bin/true)" "$((i + 1))"
