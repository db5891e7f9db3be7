#!/bin/sh
# weir: fill contrib/keepalived/keepalived.conf.in for one node.
#
#   render.sh NAME=VALUE ... < keepalived.conf.in > keepalived.conf
#
# NAMEs: ROUTER_ID (this node's name), INTERFACE (that carries the VIP and
# the advertisements), VRID (1..255, the same on both nodes, unique on the
# segment), PRIORITY (1..254), SELF (this node's address on INTERFACE),
# PEER (the other node's), VIP (address/prefix, e.g. 192.0.2.10/24),
# WEIRCTL (absolute path of weirctl), WEIR_PREFIX (weir's -p), WEIR_CONF
# (weir's configuration file). Every one is required; a value may not
# hold '|', a newline or a double quote. Exit 1 naming what is missing
# or wrong.
set -eu

names="ROUTER_ID INTERFACE VRID PRIORITY SELF PEER VIP WEIRCTL WEIR_PREFIX
WEIR_CONF"
script=
for arg in "$@"; do
    name=${arg%%=*}
    value=${arg#*=}
    case " $(echo $names) " in
    *" $name "*) ;;
    *) echo "render.sh: unknown name \"$name\" (known: $(echo $names))" >&2
       exit 1 ;;
    esac
    case "$value" in
    ''|*'|'*|*'"'*) echo "render.sh: $name: empty or holds | or \"" >&2
                    exit 1 ;;
    esac
    script="${script}s|@${name}@|${value}|g;"
done

out=$(sed -e "$script")

missing=$(printf '%s\n' "$out" | grep -o '@[A-Z_]*@' | sort -u | tr '\n' ' ')
if [ -n "$missing" ]; then
    echo "render.sh: not given: $missing" >&2
    exit 1
fi

printf '%s\n' "$out"
