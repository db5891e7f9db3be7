# weir benchmarks: what bench/h2_bench.sh and bench/l7_bench.sh share.
# Sourced (bash) after the caller set W (its scratch directory) and WEIR:
# the processes it starts are stopped at exit (TERM, then KILL after
# 0.5 s) and W removed; every process runs at most 30 minutes.
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    sleep 0.5
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
[ -x "$WEIR" ] || { echo "no $WEIR: make build first" >&2; exit 1; }
free_port() {
    perl -MIO::Socket::INET -e '$s=IO::Socket::INET->new(LocalAddr=>"127.0.0.1",LocalPort=>0,Listen=>1) or die; print $s->sockport'
}
wait_port() {
    for _ in $(seq 100); do
        (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1
    done
    echo "port $1 never opened" >&2; return 1
}
start() { # name cmd...: runs it bounded in time (30 min), records the pid
    local n=$1; shift
    timeout -s TERM 1800 "$@" >"$W/$n.out" 2>&1 &
    PIDS+=($!)
}
