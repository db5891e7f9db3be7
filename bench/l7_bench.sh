#!/bin/bash
# weir L7 benchmark (issue 15): HTTP keep-alive throughput through a
# listener with 50 L7 rules (10 of them REGEX) in front of the default
# group, against HAProxy (50 ACLs + use_backend, default_backend last) and
# nginx (30 location blocks, 10 of them regex, a host map and 10 header
# tests), and weir without rules. Every request misses all 50 rules (worst
# case: every rule evaluated) and reaches the default group.
# One worker / one thread per server, all on 127.0.0.1, free ports, one
# nginx origin (1 worker, fixed 33-byte body). wrk -t 2 at -c 16 and
# -c 256, interleaved (weir, haproxy, nginx, weir-norules) for ROUNDS
# rounds; medians of req/s. Every process and load is time-bounded and
# stopped on exit.
# Usage: bench/l7_bench.sh   (from the top of the tree, after make build)
# Env: WEIR_BINARY (objs/weir), ROUNDS (2), SECONDS_RUN (5), CONNS ("16 256")
set -u
ROOT=$(pwd)
WEIR=${WEIR_BINARY:-$ROOT/objs/weir}
ROUNDS=${ROUNDS:-2}
DUR=${SECONDS_RUN:-5}
CONNS=${CONNS:-"16 256"}
W=$(mktemp -d /tmp/l7bench.XXXXXX)
. "$(dirname "$0")/lib.sh"
ORIGIN=$(free_port); PW=$(free_port); PH=$(free_port); PN=$(free_port)
PW0=$(free_port)
HOST=www.example.com
PATHREQ=/static/index.html

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

# --- the 50 rules -------------------------------------------------------------
# 20 PATH STARTS_WITH /pN/, 10 HOST_NAME EQUAL_TO hN.example.com,
# 10 HEADER X-RuleN EQUAL_TO vN, 10 PATH REGEX ^/reN/[a-z0-9]+\.(png|jpg)$
# one rule a policy (50 policies), each REDIRECT_TO_POOL tg-other.
weir_yaml() { # port rules(0|1)
    local port=$1 rules=$2 i pos=0
    cat <<EOF
daemon: false
worker_processes: 1
log_level: warn
error_log: logs/error.log
pid_file: logs/weir.pid
load_balancers:
  - name: l7-alb
    type: ALB
    address: 127.0.0.1
    listeners:
      - name: http
        protocol: HTTP
        protocol_port: $port
        target_group: tg-def
        timeout_client_data: 300000
        connection_limit: -1
EOF
    if [ "$rules" = 1 ]; then
        echo "        l7_policies:"
        pol() { pos=$((pos+1)); printf '          - name: p%d\n            position: %d\n            action: REDIRECT_TO_POOL\n            redirect_target_group: tg-other\n            rules:\n              - %s\n' "$pos" "$pos" "$1"; }
        for i in $(seq 1 20); do pol "{ type: PATH, compare_type: STARTS_WITH, value: /p$i/ }"; done
        for i in $(seq 1 10); do pol "{ type: HOST_NAME, compare_type: EQUAL_TO, value: h$i.example.com }"; done
        for i in $(seq 1 10); do pol "{ type: HEADER, key: X-Rule$i, compare_type: EQUAL_TO, value: v$i }"; done
        for i in $(seq 1 10); do pol "{ type: PATH, compare_type: REGEX, value: '^/re$i/[a-z0-9]+\\.(png|jpg)\$' }"; done
    fi
    cat <<EOF
    target_groups:
      - name: tg-def
        protocol: HTTP
        members:
          - { address: 127.0.0.1, protocol_port: $ORIGIN }
      - name: tg-other
        protocol: HTTP
        members:
          - { address: 127.0.0.1, protocol_port: $ORIGIN }
EOF
}
for v in weir:$PW:1 weir0:$PW0:0; do
    IFS=: read -r n p r <<<"$v"
    mkdir -p "$W/$n/logs"
    weir_yaml "$p" "$r" >"$W/$n/weir.yaml"
    "$WEIR" -t -p "$W/$n" -c "$W/$n/weir.yaml" >"$W/$n/t.out" 2>&1 \
        || { echo "weir -t failed:" >&2; cat "$W/$n/t.out" >&2; exit 1; }
    start "$n" "$WEIR" -f -p "$W/$n" -c "$W/$n/weir.yaml"
done

# --- HAProxy ----------------------------------------------------------------
{
cat <<EOF
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
backend other
    http-reuse always
    server o1 127.0.0.1:$ORIGIN
frontend http
    bind 127.0.0.1:$PH
EOF
for i in $(seq 1 20); do echo "    acl r$i path_beg /p$i/"; echo "    use_backend other if r$i"; done
for i in $(seq 1 10); do echo "    acl h$i hdr(host) -i h$i.example.com"; echo "    use_backend other if h$i"; done
for i in $(seq 1 10); do echo "    acl x$i req.hdr(x-rule$i) -m str v$i"; echo "    use_backend other if x$i"; done
for i in $(seq 1 10); do echo "    acl e$i path_reg ^/re$i/[a-z0-9]+\\.(png|jpg)\$"; echo "    use_backend other if e$i"; done
echo "    default_backend web"
} >"$W/haproxy.cfg"
haproxy -c -f "$W/haproxy.cfg" >"$W/haproxy.check" 2>&1 || { cat "$W/haproxy.check" >&2; exit 1; }
start haproxy haproxy -db -f "$W/haproxy.cfg"

# --- nginx ------------------------------------------------------------------
mkdir -p "$W/nginx"
PROXY='proxy_http_version 1.1; proxy_set_header Connection "";'
{
cat <<EOF
worker_processes 1; daemon off; pid $W/nginx/nginx.pid;
error_log $W/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off; keepalive_timeout 300s; keepalive_requests 10000000;
  upstream web { server 127.0.0.1:$ORIGIN; keepalive 64; keepalive_requests 10000000; }
  upstream other { server 127.0.0.1:$ORIGIN; keepalive 64; keepalive_requests 10000000; }
  map \$host \$host_hit {
    default 0;
EOF
for i in $(seq 1 10); do echo "    h$i.example.com 1;"; done
cat <<EOF
  }
  server {
    listen 127.0.0.1:$PN;
    set \$hit \$host_hit;
EOF
for i in $(seq 1 10); do echo "    if (\$http_x_rule$i = \"v$i\") { set \$hit 1; }"; done
for i in $(seq 1 20); do echo "    location ^~ /p$i/ { proxy_pass http://other; $PROXY }"; done
for i in $(seq 1 10); do echo "    location ~ ^/re$i/[a-z0-9]+\\.(png|jpg)\$ { proxy_pass http://other; $PROXY }"; done
cat <<EOF
    location / {
      $PROXY
      if (\$hit) { proxy_pass http://other; }
      proxy_pass http://web;
    }
  }
}
EOF
} >"$W/nginx/nginx.conf"
start nginx nginx -e "$W/nginx/error.log" -p "$W/nginx" -c "$W/nginx/nginx.conf"

for p in $ORIGIN $PW $PW0 $PH $PN; do wait_port "$p" || { tail "$W"/*.out "$W"/*/logs/* >&2; exit 1; }; done
# sanity: each answers the origin's body for the benchmark request
for v in weir:$PW haproxy:$PH nginx:$PN weir-norules:$PW0; do
    IFS=: read -r n p <<<"$v"
    b=$(curl -s -m 5 -H "Host: $HOST" "http://127.0.0.1:$p$PATHREQ")
    [ "$b" = "hello from the weir bench origin" ] || { echo "$n: bad answer '$b'" >&2; exit 1; }
done

# --- runs -------------------------------------------------------------------
echo "# weir L7 bench: 50 rules (10 REGEX), request misses all; wrk -t 2 -d ${DUR}s, $ROUNDS rounds, $(nproc) cores"
for r in $(seq 1 "$ROUNDS"); do
  for c in $CONNS; do
    for v in weir:$PW haproxy:$PH nginx:$PN weir-norules:$PW0; do
      IFS=: read -r n p <<<"$v"
      rps=$(timeout $((DUR + 15)) wrk -t 2 -c "$c" -d "${DUR}s" --timeout 5s \
            -H "Host: $HOST" "http://127.0.0.1:$p$PATHREQ" 2>&1 \
            | awk '/^Requests\/sec/ {print $2}')
      echo "$n $c ${rps:-0}" >>"$W/raw"
      echo "round $r  c=$c  $n  ${rps:-0} req/s"
    done
  done
done
echo
for c in $CONNS; do
  awk -v c="$c" '
    $2 == c { v[$1] = v[$1] " " $3 }
    function med(s,   a, n, i, j, t) { n = split(s, a, " ");
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    END {
      w = med(v["weir"]); h = med(v["haproxy"]); x = med(v["nginx"]); z = med(v["weir-norules"])
      best = h > x ? h : x; bn = h > x ? "haproxy" : "nginx"
      printf "c=%-4s weir %.0f  haproxy %.0f  nginx %.0f  weir-norules %.0f req/s (median)\n", c, w, h, x, z
      printf "c=%-4s weir/best-peer(%s) %.2f  weir-rules/weir-norules %.2f\n", c, bn, w / best, w / z
    }' "$W/raw"
done
