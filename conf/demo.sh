#!/bin/sh
# weir: `make run`. Starts the demo targets and weir in the foreground with
# conf/weir.yaml plus an admin block, so that the management API and the
# console can be tried; Ctrl-C stops all of it.
#
# The running copy is objs/demo/weir.yaml (the API rewrites the file it
# runs: conf/weir.yaml stays as written); its admin token is made once,
# at random, in objs/demo/admin.token (mode 0600). `rm -r objs/demo`
# starts over.
cd "$(dirname "$0")/.." || exit 1
mkdir -p logs objs/demo

if [ ! -f objs/demo/weir.yaml ]; then
    { cat conf/weir.yaml
      printf '\nadmin:\n  listen: 127.0.0.1:9090\n'
      printf '  token_file: objs/demo/admin.token\n'; } > objs/demo/weir.yaml
fi

if [ ! -s objs/demo/admin.token ]; then
    (umask 077 && od -An -tx1 -N16 /dev/urandom | tr -d ' \n' \
        > objs/demo/admin.token && echo >> objs/demo/admin.token) || exit 1
fi

perl conf/demo-target.pl 9001 demo-1 & t1=$!
perl conf/demo-target.pl 9002 demo-2 & t2=$!
trap 'kill $t1 $t2 2>/dev/null' EXIT INT TERM
cat << END

weir demo: targets on 127.0.0.1:9001 and 127.0.0.1:9002
           balancer on 127.0.0.1:8080 (TCP, round robin)
  try:     curl http://127.0.0.1:8080/
  console: http://127.0.0.1:9090/   token: $(cat objs/demo/admin.token)
  API:     objs/weirctl -c objs/demo/weir.yaml list
  log:     logs/error.log     stop: Ctrl-C (or objs/weir -s quit)

END
objs/weir -p "$PWD" -c objs/demo/weir.yaml
