# Sourced by callgrind.sh and cpu.sh (not run by itself): builds the
# `instructions` bench binary and starts its loopback server in another
# process, so that only the client's work is measured. Sets `bin` (the
# binary), `work` (a temporary folder) and `addr` (the server's address);
# the server is stopped and `work` removed when the calling script exits.

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
