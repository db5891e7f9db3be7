#!/bin/sh
# weir: set up a Linux target of an NLB_L4_DSR load balancer (SPEC.md
# section 9, the manual's "target instance settings"), or undo it.
#
#   setup_dsr.sh VIP            apply (idempotent: run it at every boot)
#   setup_dsr.sh --remove VIP   undo what apply did
#
# What it does, and why:
#   net.ipv4.conf.all.arp_ignore=1    answer ARP only for addresses of the
#                                     interface asked on: the VIP on lo is
#                                     never announced, the balancer owns it
#   net.ipv4.conf.all.arp_announce=2  ARP requests from this host use the
#                                     interface's own address, never the VIP
#   ip addr add VIP/32 dev lo         the target accepts packets sent to the
#                                     VIP (the balancer rewrites only the
#                                     destination MAC) and answers from it
#
# The manual also deletes 127.0.0.1 from lo ("ip a del 127.0.0.1 dev lo");
# that breaks local services on most systems and is not needed for DSR,
# so this script leaves 127.0.0.1 alone.
#
# To keep it across reboots (the manual's way), as root:
#   crontab -e    and add:   @reboot sh /path/to/setup_dsr.sh 10.0.3.49
# or a systemd unit:
#   [Unit]
#   Description=weir DSR target set-up
#   After=network-online.target
#   [Service]
#   Type=oneshot
#   RemainAfterExit=yes
#   ExecStart=/bin/sh /path/to/setup_dsr.sh 10.0.3.49
#   ExecStop=/bin/sh /path/to/setup_dsr.sh --remove 10.0.3.49
#   [Install]
#   WantedBy=multi-user.target
#
# UDP services: a reply must leave with the VIP as its source, or the
# client drops it. One of (the manual's three options):
#
#   1. Bind the service to the VIP (simplest):
#        s.bind(("VIP", PORT))          # python; not 0.0.0.0
#
#   2. iptables DNAT (stateful; costs CPU and conntrack memory): the
#      service binds 0.0.0.0 or the target's own address TARGET_IP:
#        iptables -t nat -A POSTROUTING -p udp -d TARGET_IP --dport PORT -j RETURN
#        iptables -t nat -A PREROUTING -p udp -d VIP --dport PORT \
#                 -j DNAT --to-destination TARGET_IP
#
#   3. nftables stateless source rewrite (Linux >= 4.10): the service binds
#      0.0.0.0 and its replies get the VIP as source on the way out:
#        nft add table raw
#        nft add chain raw postrouting '{ type filter hook postrouting priority 300 ; }'
#        nft add rule raw postrouting ip saddr TARGET_IP udp sport PORT ip saddr set VIP
#
# TCP services may bind 0.0.0.0: the kernel answers from the address the
# connection was made to (the VIP).

set -eu

usage() {
    echo "usage: $0 [--remove] VIP" >&2
    exit 2
}

remove=0
if [ "${1:-}" = "--remove" ]; then
    remove=1
    shift
fi

[ $# -eq 1 ] || usage
vip=$1

case "$vip" in
    *[!0-9.]*|'') echo "$0: $vip: an IPv4 address is expected" >&2; exit 2 ;;
esac

if [ "$(id -u)" != 0 ]; then
    echo "$0: must run as root" >&2
    exit 1
fi

has_vip() {
    ip -4 addr show dev lo | grep -q "inet $vip/32"
}

if [ $remove = 1 ]; then
    if has_vip; then
        ip addr del "$vip/32" dev lo
    fi
    # back to the kernel's defaults, unless another VIP still needs them
    if ! ip -4 addr show dev lo | grep -v 'inet 127\.' | grep -q 'inet .*/32'; then
        sysctl -q -w net.ipv4.conf.all.arp_ignore=0
        sysctl -q -w net.ipv4.conf.all.arp_announce=0
    fi
    echo "DSR set-up for $vip removed"
    exit 0
fi

sysctl -q -w net.ipv4.conf.all.arp_ignore=1
sysctl -q -w net.ipv4.conf.all.arp_announce=2

ip link set dev lo up

if ! has_vip; then
    ip addr add "$vip/32" dev lo
fi

echo "DSR set-up for $vip applied"
