#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Command-line checks of cacheproxy-stress and cacheproxy that need no
# module: every bad input gives exactly one line "PROG: ..." on stderr and
# exit status 2; --help exits 0. Where the module is not loaded (the build
# host), a run must fail the same way. POSIX sh (busybox in the guest).
# Usage: sh test-cli.sh [DIR]   (DIR holds the binaries; default: this dir)
# Exit status: 0 all passed, 1 a check failed.

dir=${1:-$(dirname "$0")}
fails=0
n=0
err=$(mktemp)
trap 'rm -f "$err"' EXIT

# expect STATUS PROG ARGS...
expect()
{
	want=$1; shift
	prog=$1; shift
	n=$((n + 1))
	"$dir/$prog" "$@" >/dev/null 2>"$err"
	got=$?
	lines=$(wc -l <"$err")
	if [ "$got" != "$want" ]; then
		echo "FAIL: $prog $*: exit $got, expected $want"
		fails=$((fails + 1))
	elif [ "$want" = 2 ] && { [ "$lines" != 1 ] ||
			! grep -q "^$prog: " "$err"; }; then
		echo "FAIL: $prog $*: stderr is not one line '$prog: ...':"
		cat "$err"
		fails=$((fails + 1))
	fi
}

expect 0 cacheproxy-stress --help
expect 2 cacheproxy-stress --bogus
expect 2 cacheproxy-stress -x
expect 2 cacheproxy-stress --threads 0
expect 2 cacheproxy-stress --threads abc
expect 2 cacheproxy-stress --threads
expect 2 cacheproxy-stress --keys 0
expect 2 cacheproxy-stress --keys 12k
expect 2 cacheproxy-stress --duration 0
expect 2 cacheproxy-stress --duration soon
expect 2 cacheproxy-stress --ops 0
expect 2 cacheproxy-stress --threads 4 --burst 5
expect 2 cacheproxy-stress --scenario everything
expect 2 cacheproxy-stress --via carrier-pigeon
expect 2 cacheproxy-stress --batch 8
expect 2 cacheproxy-stress --via batch --batch 1000
expect 2 cacheproxy-stress --zipf-s 1
expect 2 cacheproxy-stress --mix inval=200
expect 2 cacheproxy-stress --mix nothing=1
expect 2 cacheproxy-stress stray-argument
expect 2 cacheproxy-stress --device /nonexistent/cacheproxy --duration 1
expect 2 cacheproxy-stress --via proc --proc /nonexistent/lookup --device /nonexistent/cacheproxy
expect 0 cacheproxy --help
expect 2 cacheproxy
expect 2 cacheproxy --bogus stats
expect 2 cacheproxy frobnicate
expect 2 cacheproxy get
expect 2 cacheproxy invalidate
expect 2 cacheproxy flush now
expect 2 cacheproxy stats extra
expect 2 cacheproxy --device
expect 2 cacheproxy --device /nonexistent/cacheproxy stats
if [ ! -e /dev/cacheproxy ]; then
	expect 2 cacheproxy-stress --duration 1
	expect 2 cacheproxy-stress --via proc --duration 1
	expect 2 cacheproxy get foo
fi

echo "test-cli: $n checks, $fails failed"
[ $fails = 0 ]
