#!/usr/bin/env bash
# Instructions per request for each client, counted by callgrind.
#
#   bash benches/callgrind.sh [IMPL...]   # default: all four clients
#
# Builds the `instructions` bench target, starts its loopback server in a
# separate process (so that only the client's instructions are counted),
# then runs the client under `valgrind --tool=callgrind` twice per client
# and operation and prints (Ir(high) - Ir(low)) / (high - low): the
# instructions one request costs on a warm connection, with setup, connect
# and first-use costs cancelled out. Operations: get_small (sequential
# GET /small, 13 bytes; N = 100 and 2100), post_64k (sequential POST of
# 64 KiB to /upload; N = 100 and 1100) and download_1m (sequential GET of
# 1 MiB; N = 20 and 220). Needs valgrind.
#
# CALLGRIND_OPS="get_small post_64k" picks the operations (default: all).
#
# Set CALLGRIND_KEEP=DIR to keep the callgrind output files there (for
# `callgrind_annotate --inclusive=yes DIR/clientsession.get_small.2100.out`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

impls=("$@")
if [ ${#impls[@]} -eq 0 ]; then
    impls=(clientsession hyper_util reqwest raw_conn)
fi
# operation -> "low high" request counts
declare -A counts=([get_small]="100 2100" [post_64k]="100 1100" [download_1m]="20 220")
read -r -a ops <<<"${CALLGRIND_OPS:-get_small post_64k download_1m}"

# shellcheck source=serve.sh
source benches/serve.sh
out_dir=${CALLGRIND_KEEP:-$work}
mkdir -p "$out_dir"

# Total instructions (Ir) of one client run of operation $2 with N=$3.
count() {
    local impl=$1 op=$2 n=$3 out="$out_dir/$1.$2.$3.out"
    BENCH_ADDR="$addr" BENCH_IMPL="$impl" BENCH_OP="$op" BENCH_N="$n" \
        valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" 2>/dev/null
    sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$out"
}

printf '%-10s %-14s %8s %14s %8s %14s %12s\n' op impl N Ir N Ir Ir/request
for op in "${ops[@]}"; do
    read -r low high <<<"${counts[$op]}"
    for impl in "${impls[@]}"; do
        a=$(count "$impl" "$op" "$low")
        b=$(count "$impl" "$op" "$high")
        printf '%-10s %-14s %8s %14s %8s %14s %12s\n' \
            "$op" "$impl" "$low" "$a" "$high" "$b" $(((b - a) / (high - low)))
    done
done
