#!/bin/sh
# weir: run every fuzz target built in BUILDDIR for SECONDS each (libFuzzer
# -max_total_time), one after the other, and fail when any of them finds a
# crash, a leak, a timeout or a broken contract.
#
#   sh t/fuzz/run.sh BUILDDIR SECONDS [fuzz_name ...]
#
# Each target starts from its seed corpus t/fuzz/corpus/<name>/ (read
# only) and keeps what it finds in BUILDDIR/corpus/<name>/, so later runs
# go on from there; a crashing input lands in BUILDDIR/crashes/ and its
# name is printed with the stack. Per target, the summary gives libFuzzer's
# own last status line (runs, cov: edges, ft: features, corp: entries) and
# its "Done N runs in S second(s)" line. The log is BUILDDIR/log/<name>.log.

O=${1:?usage: run.sh BUILDDIR SECONDS [fuzz_name ...]}
T=${2:?usage: run.sh BUILDDIR SECONDS [fuzz_name ...]}
shift 2

if [ $# -eq 0 ]; then
    set -- `cd t/fuzz && ls fuzz_*.c | sed 's/\.c$//'`
fi

mkdir -p "$O/corpus" "$O/crashes" "$O/log" || exit 1

failed=
summary=

for name in "$@"; do
    bin=$O/$name
    seeds=t/fuzz/corpus/$name
    work=$O/corpus/$name
    log=$O/log/$name.log

    if [ ! -x "$bin" ]; then
        echo "fuzz: $bin is not built" >&2
        failed="$failed $name"
        continue
    fi

    mkdir -p "$work"

    opts=
    [ -f "t/fuzz/$name.dict" ] && opts="$opts -dict=t/fuzz/$name.dict"
    [ -f "t/fuzz/$name.options" ] \
        && opts="$opts `grep -v '^#' t/fuzz/$name.options | tr '\n' ' '`"

    echo "fuzz: $name for ${T}s"
    before=`ls "$O/crashes" | grep -c "^$name-"`

    # -timeout: one input taking longer is a finding (hang); the ASan
    # options make a leak or any report fatal and the stack readable
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$bin" -max_total_time="$T" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$O/crashes/$name-" \
        $opts "$work" $( [ -d "$seeds" ] && echo "$seeds" ) \
        > "$log" 2>&1
    rc=$?

    last=`grep -E '^#[0-9]+' "$log" | grep 'cov:' | tail -1`
    done=`grep -E '^Done [0-9]+ runs' "$log" | tail -1`
    crashes=`ls "$O/crashes" | grep -c "^$name-"`
    crashes=`expr $crashes - $before`

    if [ $rc -ne 0 ]; then
        failed="$failed $name"
        echo "fuzz: $name FAILED (exit $rc); the end of $log:"
        grep -E 'ERROR|SUMMARY|contract broken|Test unit written|#[0-9]+ 0x[0-9a-f]+ in ' \
            "$log" | head -40
        tail -5 "$log"
    fi

    line="$name: ${done:-no Done line} | $last | new crash inputs: $crashes"
    echo "fuzz:   $line"
    summary="$summary
  $line"
done

echo
echo "fuzz summary (${T}s per target):$summary"

if [ -n "$failed" ]; then
    echo "fuzz: FAILED:$failed (inputs in $O/crashes/)"
    exit 1
fi

echo "fuzz: no crashes"
