#!/bin/sh
# weir: `make run`. Starts the demo targets and weir in the foreground with
# conf/weir.yaml; Ctrl-C stops all of it.
cd "$(dirname "$0")/.." || exit 1
mkdir -p logs
perl conf/demo-target.pl 9001 demo-1 & t1=$!
perl conf/demo-target.pl 9002 demo-2 & t2=$!
trap 'kill $t1 $t2 2>/dev/null' EXIT INT TERM
cat << END

weir demo: targets on 127.0.0.1:9001 and 127.0.0.1:9002
           balancer on 127.0.0.1:8080 (TCP, round robin)
  try:     curl http://127.0.0.1:8080/
  log:     logs/error.log     stop: Ctrl-C (or objs/weir -s quit)

END
objs/weir -p "$PWD" -c conf/weir.yaml
