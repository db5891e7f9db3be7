#!/bin/bash
# weir HTTP/2 benchmark (issue 16): h2load with 100 clients x 10 streams
# each over TLS (ALPN h2) against weir (HTTPS listener), nginx (listen ssl
# http2) and HAProxy (bind ssl alpn h2,http/1.1), each balancing one
# HTTP/1.1 nginx origin (1 worker, fixed 33-byte body) with keep-alive.
# One worker / one thread per server, all on 127.0.0.1, free ports.
# Interleaved (weir, haproxy, nginx) for ROUNDS rounds; medians of req/s
# and of the p99 latency (from h2load's per-request log). Every process
# and load is time-bounded and stopped on exit.
# Usage: bench/h2_bench.sh   (from the top of the tree, after make build)
# Env: WEIR_BINARY (objs/weir), ROUNDS (2), REQUESTS (50000), CLIENTS (100),
#      STREAMS (10)
set -u
ROOT=$(pwd)
WEIR=${WEIR_BINARY:-$ROOT/objs/weir}
ROUNDS=${ROUNDS:-2}
REQS=${REQUESTS:-50000}
CLIENTS=${CLIENTS:-100}
STREAMS=${STREAMS:-10}
W=$(mktemp -d /tmp/h2bench.XXXXXX)
. "$(dirname "$0")/lib.sh"
command -v h2load >/dev/null || { echo "no h2load (nghttp2-client)" >&2; exit 1; }
ORIGIN=$(free_port); PW=$(free_port); PH=$(free_port); PN=$(free_port)

# one certificate for the three (P-256: the same handshake cost)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -days 2 -subj /CN=bench.test -keyout "$W/key.pem" -out "$W/cert.pem" \
    2>/dev/null || { echo "openssl req failed" >&2; exit 1; }
cat "$W/cert.pem" "$W/key.pem" >"$W/both.pem"

# --- origin -----------------------------------------------------------------
mkdir -p "$W/origin"
cat >"$W/origin/nginx.conf" <<EOF
worker_processes 1; daemon off; pid $W/origin/nginx.pid;
error_log $W/origin/error.log warn;
events { worker_connections 4096; }
http { access_log off; keepalive_timeout 300s; keepalive_requests 10000000;
  server { listen 127.0.0.1:$ORIGIN;
    location / { default_type text/plain; return 200 "hello from the weir bench origin\n"; } } }
EOF
start origin nginx -e "$W/origin/error.log" -p "$W/origin" -c "$W/origin/nginx.conf"

# --- weir -------------------------------------------------------------------
mkdir -p "$W/weir/logs"
cat >"$W/weir/weir.yaml" <<EOF
daemon: false
worker_processes: 1
log_level: warn
error_log: logs/error.log
pid_file: logs/weir.pid
load_balancers:
  - name: h2-alb
    type: ALB
    address: 127.0.0.1
    listeners:
      - name: https
        protocol: HTTPS
        protocol_port: $PW
        target_group: tg-origin
        tls_certificate: $W/cert.pem
        tls_key: $W/key.pem
        timeout_client_data: 300000
    target_groups:
      - name: tg-origin
        protocol: HTTP
        members:
          - { address: 127.0.0.1, protocol_port: $ORIGIN }
EOF
"$WEIR" -t -p "$W/weir" -c "$W/weir/weir.yaml" >"$W/weir/t.out" 2>&1 \
    || { echo "weir -t failed:" >&2; cat "$W/weir/t.out" >&2; exit 1; }
start weir "$WEIR" -f -p "$W/weir" -c "$W/weir/weir.yaml"

# --- HAProxy ----------------------------------------------------------------
cat >"$W/haproxy.cfg" <<EOF
global
    nbthread 1
    maxconn 4000
defaults
    mode http
    maxconn 4000
    timeout connect 5s
    timeout client 300s
    timeout server 300s
    timeout http-keep-alive 300s
backend web
    http-reuse always
    server o1 127.0.0.1:$ORIGIN
frontend https
    bind 127.0.0.1:$PH ssl crt $W/both.pem alpn h2,http/1.1
    default_backend web
EOF
haproxy -c -f "$W/haproxy.cfg" >"$W/haproxy.check" 2>&1 || { cat "$W/haproxy.check" >&2; exit 1; }
start haproxy haproxy -db -f "$W/haproxy.cfg"

# --- nginx (1.22: "listen ... http2"; "http2 on" from 1.25) -----------------
mkdir -p "$W/nginx"
cat >"$W/nginx/nginx.conf" <<EOF
worker_processes 1; daemon off; pid $W/nginx/nginx.pid;
error_log $W/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off; keepalive_timeout 300s; keepalive_requests 10000000;
  http2_max_concurrent_streams 128;
  upstream web { server 127.0.0.1:$ORIGIN; keepalive 64; keepalive_requests 10000000; }
  server {
    listen 127.0.0.1:$PN ssl http2;
    ssl_certificate $W/cert.pem; ssl_certificate_key $W/key.pem;
    location / { proxy_http_version 1.1; proxy_set_header Connection ""; proxy_pass http://web; }
  }
}
EOF
start nginx nginx -e "$W/nginx/error.log" -p "$W/nginx" -c "$W/nginx/nginx.conf"

for p in $ORIGIN $PW $PH $PN; do wait_port "$p" || { tail "$W"/*.out "$W"/*/logs/* >&2; exit 1; }; done
# sanity: each answers over h2 with the origin's body
for v in weir:$PW haproxy:$PH nginx:$PN; do
    IFS=: read -r n p <<<"$v"
    b=$(curl -sk --http2 -m 5 -w ' %{http_version}' "https://127.0.0.1:$p/")
    [ "$b" = "hello from the weir bench origin
 2" ] || { echo "$n: bad answer '$b'" >&2; exit 1; }
done

# --- runs -------------------------------------------------------------------
echo "# weir h2 bench: h2load -n $REQS -c $CLIENTS -m $STREAMS -t 2 over TLS (h2), $ROUNDS rounds, $(nproc) cores"
for r in $(seq 1 "$ROUNDS"); do
    for v in weir:$PW haproxy:$PH nginx:$PN; do
        IFS=: read -r n p <<<"$v"
        timeout 300 h2load -n "$REQS" -c "$CLIENTS" -m "$STREAMS" -t 2 \
            --log-file="$W/$n.$r.log" "https://127.0.0.1:$p/" >"$W/$n.$r.out" 2>&1
        rps=$(awk '/^finished in/ {gsub(",", "", $4); print $4}' "$W/$n.$r.out")
        ok=$(awk '/^requests:/ {print $8}' "$W/$n.$r.out")
        # the log: start time, status, duration (us) per request
        p99=$(awk '{print $3}' "$W/$n.$r.log" | sort -n \
              | awk '{a[NR] = $1} END {i = int(NR * 0.99); if (i < 1) i = 1; printf "%.2f", a[i] / 1000}')
        echo "$n $rps $p99" >>"$W/raw"
        echo "round $r  $n  ${rps:-0} req/s  p99 ${p99} ms  (${ok:-0} of $REQS succeeded)"
    done
done
echo
awk '
  { r[$1] = r[$1] " " $2; l[$1] = l[$1] " " $3 }
  function med(s,   a, n, i, j, t) { n = split(s, a, " ");
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  END {
    w = med(r["weir"]); h = med(r["haproxy"]); x = med(r["nginx"])
    best = h > x ? h : x; bn = h > x ? "haproxy" : "nginx"
    printf "weir %.0f  haproxy %.0f  nginx %.0f req/s (median)\n", w, h, x
    printf "p99 ms: weir %.2f  haproxy %.2f  nginx %.2f (median)\n", med(l["weir"]), med(l["haproxy"]), med(l["nginx"])
    printf "weir/best-peer(%s) %.2f\n", bn, w / best
  }' "$W/raw"
