#!/usr/bin/env bash
# Client CPU time per request and requests per second, at concurrency 1, 16
# and 64, for each client, measured in the same run.
#
#   bash benches/cpu.sh [ROUNDS]   # default: 1 round
#
# Builds the `instructions` bench target, starts its loopback server in a
# separate process (so that only the client's CPU time is counted), then,
# for each round, each concurrency and each client in turn (interleaved, so
# that a burst of load elsewhere on the machine hits every client alike),
# runs a fresh client process that does a warm-up and then N GET /small at
# that concurrency: N = 20000 at concurrency 1 and 100000 above (about 1.5 s
# each here), or BENCH_N for all. Each line printed is
# tab-separated: round, impl, concurrency, requests, wall s, CPU s,
# req/s (wall clock), CPU µs per request, CPU s from /proc/self/stat.
# `python3 benches/report.py --cpu FILE` makes the table of ratios.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

rounds=${1:-1}
impls=(clientsession hyper_util reqwest raw_conn)
concs=(1 16 64)

# shellcheck source=serve.sh
source benches/serve.sh

printf 'round\timpl\tconc\tn\twall_s\tcpu_s\treq_per_s\tcpu_us_per_req\tcpu_s_stat\n'
for round in $(seq "$rounds"); do
    for conc in "${concs[@]}"; do
        n=${BENCH_N:-$([ "$conc" -eq 1 ] && echo 20000 || echo 100000)}
        for impl in "${impls[@]}"; do
            line=$(BENCH_ADDR="$addr" BENCH_IMPL="$impl" BENCH_N="$n" BENCH_CONC="$conc" "$bin")
            printf '%s\t%s\n' "$round" "$line"
        done
    done
done
