#!/usr/bin/env bash
# Instructions per request for each client, counted by callgrind.
#
#   bash benches/callgrind.sh [IMPL...]   # default: all four clients
#
# Builds the `instructions` bench target, starts its loopback server in a
# separate process (so that only the client's instructions are counted),
# then runs the client under `valgrind --tool=callgrind` with N=100 and
# N=2100 sequential GET /small and prints (Ir(2100) - Ir(100)) / 2000:
# the instructions one request costs on a warm connection, with setup,
# connect and first-use costs cancelled out. Needs valgrind.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

impls=("$@")
if [ ${#impls[@]} -eq 0 ]; then
    impls=(clientsession hyper_util reqwest raw_conn)
fi
low=100
high=2100

bin=$(cargo bench --bench instructions --no-run 2>&1 |
    sed -n 's/.*Executable .*(\(.*\)).*/\1/p' | tail -n1)
if [ -z "$bin" ]; then
    echo "could not build the instructions bench" >&2
    exit 1
fi

work=$(mktemp -d)
BENCH_SERVE="$work/addr" "$bin" &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do
    [ -s "$work/addr" ] && break
    sleep 0.1
done
addr=$(cat "$work/addr")

# Total instructions (Ir) of one client run with N requests.
count() {
    local impl=$1 n=$2 out="$work/$1.$2.out"
    BENCH_ADDR="$addr" BENCH_IMPL="$impl" BENCH_N="$n" \
        valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" 2>/dev/null
    sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$out"
}

printf '%-14s %14s %14s %12s\n' impl "Ir(N=$low)" "Ir(N=$high)" "Ir/request"
for impl in "${impls[@]}"; do
    a=$(count "$impl" "$low")
    b=$(count "$impl" "$high")
    printf '%-14s %14s %14s %12s\n' "$impl" "$a" "$b" $(((b - a) / (high - low)))
done
