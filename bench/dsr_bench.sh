#!/bin/sh
# weir bench: the DSR packet path against weir's own UDP proxy, on the
# same network namespaces (as root; everything is created here and
# removed on exit, whatever happens):
#
#   bridge -- client (10.251.0.2)   bench/udpload, closed loop
#          -- lb     (10.251.0.3)   weir, one worker
#          -- t1, t2 (.4, .5)       bench/udpecho, set up by setup_dsr.sh
#
#   dsr:   client -> VIP 10.251.0.100:5353 -> weir (MAC rewrite) -> t1/t2
#          replies t1/t2 -> client directly (udpecho bound to the VIP)
#   proxy: client -> 10.251.0.3:5354 -> weir (NLB UDP) -> t1/t2:5354
#          replies back through weir
#
# Prints requests answered per second and per CPU-second of weir's worker
# (utime + stime from /proc), for each. Usage:
#   sh bench/dsr_bench.sh [seconds]     (objs/weir built; cc for the tools)
set -eu

secs=${1:-5}
P=weirbench$$
VIP=10.251.0.100
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/weir-dsr-bench-XXXXXX)

cleanup() {
    for n in client lb t1 t2 br; do
        for pid in $(ip netns pids ${P}_$n 2>/dev/null); do
            kill -9 "$pid" 2>/dev/null || true
        done
        ip netns del ${P}_$n 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

cc -O2 -o "$work/udpload" "$here/bench/udpload.c"
cc -O2 -o "$work/udpecho" "$here/bench/udpecho.c"

ip netns add ${P}_br
ip -n ${P}_br link add br0 type bridge
ip -n ${P}_br link set br0 up
i=2
for n in client lb t1 t2; do
    ip netns add ${P}_$n
    ip link add v$$$i netns ${P}_$n type veth peer name p$n netns ${P}_br
    ip -n ${P}_br link set p$n master br0 up
    ip -n ${P}_$n link set v$$$i name eth0
    ip -n ${P}_$n addr add 10.251.0.$i/24 dev eth0
    ip -n ${P}_$n link set eth0 up
    ip -n ${P}_$n link set lo up
    i=$((i + 1))
done
ip netns exec ${P}_lb sysctl -q -w net.ipv4.ip_forward=0

for t in t1 t2; do
    ip netns exec ${P}_$t sh "$here/contrib/dsr/setup_dsr.sh" $VIP >/dev/null
    # udpecho stops when its stdin closes: a pipe kept open by sleep
    ip netns exec ${P}_$t sh -c \
        "sleep 100000 | '$work/udpecho' -a $VIP 5353" >/dev/null &
    ip netns exec ${P}_$t sh -c \
        "sleep 100000 | '$work/udpecho' -a 0.0.0.0 5354" >/dev/null &
done

mkdir -p "$work/logs"
cat > "$work/weir.yaml" <<EOC
worker_processes: 1
daemon: false
error_log: logs/error.log
log_level: info
pid_file: logs/weir.pid
load_balancers:
  - name: dsr-lb
    type: NLB_L4_DSR
    address: $VIP
    listeners:
      - { name: udp, protocol: UDP, protocol_port: 5353, target_group: dsr-tg }
    target_groups:
      - name: dsr-tg
        protocol: UDP
        members:
          - { address: 10.251.0.4, protocol_port: 5353 }
          - { address: 10.251.0.5, protocol_port: 5353 }
  - name: udp-lb
    type: NLB
    address: 10.251.0.3
    listeners:
      - { name: udp, protocol: UDP, protocol_port: 5354, target_group: udp-tg }
    target_groups:
      - name: udp-tg
        protocol: UDP
        members:
          - { address: 10.251.0.4, protocol_port: 5354 }
          - { address: 10.251.0.5, protocol_port: 5354 }
EOC

ip netns exec ${P}_lb "$here/objs/weir" -p "$work" -c "$work/weir.yaml" &
n=0
until grep -q 'DSR target 10.251.0.5:5353 is at' "$work/logs/error.log" \
      2>/dev/null
do
    n=$((n + 1))
    [ $n -lt 100 ] || { echo "weir did not come up" >&2; exit 1; }
    sleep 0.1
done

worker() {
    for pid in $(ip netns pids ${P}_lb); do
        if tr '\0' ' ' < /proc/$pid/cmdline | grep -q 'worker process'; then
            echo "$pid"
        fi
    done
}

cpu_ticks() {
    awk '{ print $14 + $15 }' /proc/"$1"/stat
}

hz=$(getconf CLK_TCK)
printf '%-6s %12s %10s %8s %14s %16s\n' path answered req/s loss% \
    worker_cpu_s req/cpu_s

for mode in dsr proxy; do
    if [ $mode = dsr ]; then
        addr=$VIP port=5353
    else
        addr=10.251.0.3 port=5354
    fi
    # warm up (ARP, flows), then measure
    ip netns exec ${P}_client "$work/udpload" -a $addr -p $port -s 32 -w 8 \
        -d 1 >/dev/null
    w=$(worker)
    c0=$(cpu_ticks "$w")
    out=$(ip netns exec ${P}_client "$work/udpload" -a $addr -p $port -s 32 \
          -w 8 -d "$secs")
    c1=$(cpu_ticks "$w")
    [ -n "${BENCH_DEBUG:-}" ] && echo "worker $w: $out" >&2
    echo "$out" | awk -v mode=$mode -v t=$((c1 - c0)) -v hz="$hz" '{
        for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        cpu = t / hz
        printf "%-6s %12d %10d %8s %14.2f %16.0f\n", mode, v["received"],
               v["pps"], v["loss_pct"], cpu,
               (cpu > 0 ? v["received"] / cpu : 0)
    }'
done

echo "(req/cpu_s: requests answered per CPU-second of weir's one worker;"
echo " a DSR request crosses weir once, a proxied one twice each way)"
