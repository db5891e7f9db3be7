#!/bin/sh
# weir: `make bench`. Installs what the benchmark needs and is missing
# (nginx with its stream module, HAProxy, wrk, h2load; perf for syscall
# counts and profiles; gnuplot for the sweep's plot), raises the open-file
# limit for the 10 000 idle connections and the 10 000-connection sweep
# points, then runs bench/bench.pl (which compiles the C load tools in
# bench/, starts the origins and the three servers, and prints the
# tables).
# Environment: see bench/bench.pl (WEIR_BINARY, BENCH_ROUNDS, ...).

cd "$(dirname "$0")/.." || exit 1

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null \
        | grep -q 'install ok installed'
}

# nginx's stream module: built in, or a loadable module
nginx_has_stream() {
    command -v nginx >/dev/null 2>&1 || return 1
    if nginx -V 2>&1 | grep -q -- '--with-stream '; then
        return 0
    fi
    nginx -V 2>&1 | grep -q -- '--with-stream=dynamic' \
        && ls /usr/lib/nginx/modules/ngx_stream_module.so >/dev/null 2>&1
}

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
updated=

apt_install() {
    if [ -z "$updated" ]; then
        echo "bench: apt-get update"
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get update -qq || exit 1
        updated=1
    fi
    echo "bench: installing: $*"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
        --no-install-recommends "$@" || exit 1
}

missing=
command -v nginx >/dev/null 2>&1 || missing="$missing nginx"
command -v haproxy >/dev/null 2>&1 || missing="$missing haproxy"
command -v wrk >/dev/null 2>&1 || missing="$missing wrk"
command -v h2load >/dev/null 2>&1 || missing="$missing nghttp2-client"
command -v perf >/dev/null 2>&1 || missing="$missing linux-perf"
command -v gnuplot >/dev/null 2>&1 || missing="$missing gnuplot-nox"
for p in gcc libssl-dev curl openssl perl; do
    installed "$p" || missing="$missing $p"
done
[ -n "$missing" ] && apt_install $missing

if ! nginx_has_stream; then
    # Debian ships the stream module on its own (load_module); older
    # releases only inside nginx-full
    [ -z "$updated" ] && { DEBIAN_FRONTEND=noninteractive \
        $SUDO apt-get update -qq || exit 1; updated=1; }
    if apt-cache show libnginx-mod-stream >/dev/null 2>&1; then
        apt_install libnginx-mod-stream
    else
        apt_install nginx-full
    fi
    nginx_has_stream || { echo "bench: nginx has no stream module"; exit 1; }
fi

# the memory scenario holds 10 000 client sockets, and the servers as
# many; the sweep's top point 10 000 clients, and a proxy up to twice as
# many (client + target connections). Without CAP_SYS_RESOURCE the hard
# limit is the ceiling (bench.pl says when it may be short).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

exec perl bench/bench.pl "$@"
