#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Command-line checks of cacheproxy-stress and cacheproxy that need no
# module: every bad input gives exactly one line "PROG: ..." on stderr and
# exit status 2; --help exits 0. Where the module is not loaded (the build
# host), a run must fail the same way. POSIX sh (busybox in the guest).
#
# Then, where DIR holds fake-stress (make fake-stress: cacheproxy-stress
# over an in-process imitation of the module), the verifier's own
# controls: without a bug the run passes; with each FAKE_BUG it must fail,
# for that bug's wrong answer, and without a sanitizer report.
#
# Every check is one line, "ok   test-cli: ..." or "FAIL test-cli: ...";
# the last line sums them.
# Usage: sh test-cli.sh [DIR]   (DIR holds the binaries; default: this dir)
# Exit status: 0 all passed, 1 a check failed.

dir=${1:-$(dirname "$0")}
fails=0
n=0
err=$(mktemp)
bad_expect=$(mktemp)
trap 'rm -f "$err" "$bad_expect"' EXIT
printf 'key-1\tval-1\nkey-2 val-2\n' >"$bad_expect"

# result OK TEXT: one check, passed when OK is 0.
result()
{
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok   test-cli: $2"
	else
		echo "FAIL test-cli: $2"
		fails=$((fails + 1))
	fi
}

# expect STATUS PROG ARGS...
expect()
{
	want=$1; shift
	prog=$1; shift
	"$dir/$prog" "$@" >/dev/null 2>"$err"
	got=$?
	lines=$(wc -l <"$err")
	if [ "$got" != "$want" ]; then
		result 1 "$prog $*: exit $got, expected $want"
	elif [ "$want" = 2 ] && { [ "$lines" != 1 ] ||
			! grep -q "^$prog: " "$err"; }; then
		result 1 "$prog $*: stderr is not one line '$prog: ...':"
		sed 's/^/    /' "$err"
	else
		result 0 "$prog $*: exit $want"
	fi
}

# control BUG STRATEGY PATTERN: fake-stress with FAKE_BUG=BUG ("none": no
# bug) and FAKE_STRATEGY=STRATEGY, in one-key bursts (where a lost dedup
# shows) for 1 s. With a bug it must exit 1 with a wrong answer matching
# PATTERN; without, exit 0. No sanitizer report either way (leaks aside:
# the imitation leaks the entries a waiter may still read, on purpose).
control()
{
	bug=$1 strategy=$2 pattern=$3
	ASAN_OPTIONS=detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}
	export ASAN_OPTIONS

	if [ "$bug" = none ]; then
		FAKE_STRATEGY=$strategy "$dir/fake-stress" --threads 8 \
			--burst 4 --scenario multikey --keys 500 --duration 1 \
			>"$err" 2>&1
	else
		FAKE_BUG=$bug FAKE_STRATEGY=$strategy "$dir/fake-stress" \
			--threads 8 --burst 4 --scenario multikey --keys 500 \
			--duration 1 >"$err" 2>&1
	fi
	got=$?
	if grep -q -E 'Sanitizer|runtime error:' "$err"; then
		result 1 "fake-stress FAKE_BUG=$bug ($strategy): a sanitizer report"
		grep -E -A 5 'Sanitizer|runtime error:' "$err" | sed 's/^/    /'
	elif [ "$bug" = none ]; then
		[ $got = 0 ]
		result $? "fake-stress without a bug ($strategy): passes (exit $got)"
		[ $got = 0 ] || tail -n 5 "$err" | sed 's/^/    /'
	else
		[ $got = 1 ] && grep -q -E "wrong answer: .*$pattern" "$err"
		result $? "fake-stress FAKE_BUG=$bug ($strategy): caught (exit $got, \"$pattern\")"
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
expect 2 cacheproxy-stress --expect
expect 2 cacheproxy-stress --expect /nonexistent/db.expect
expect 2 cacheproxy-stress --expect "$bad_expect"
expect 2 cacheproxy-stress --expect "$bad_expect" --via noop
expect 2 cacheproxy-stress --expect "$bad_expect" --mix eio=1
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

if [ -x "$dir/fake-stress" ]; then
	control none shard ''
	control none spinlock ''
	control key shard 'value "jey-'
	control n shard 'one burst of a deduplicating strategy saw N='
	control errno shard 'error ENOENT, expected a value'
fi

echo "test-cli: $n checks, $fails failed"
[ $fails = 0 ]
