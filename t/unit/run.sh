#!/bin/sh
# weir: run every cmocka unit test binary built under $1 (objs by default).
# cmocka prints its own summary per group; the last line sums them up in
# the plain "N passed, N failed" form.
objs=${1:-objs}
pass=0
fail=0
for t in `find "$objs/t/unit" -type f -name 'test_*' ! -name '*.d' | sort`; do
    echo "# $t"
    if "$t"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAILED: $t"
    fi
done
echo "unit test binaries ($objs): $pass passed, $fail failed"
[ $fail -eq 0 ]
