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
# Then, where memcached is installed, cacheproxy-stress --via memcached
# against a real memcached on a unix socket in a temporary directory: each
# scenario must pass with its counters agreeing with the server's, and
# values planted in the server (another key's, one the database never
# gave) must be caught. Without memcached (or python3, which plants) those
# checks are reported "skip test-cli: ...", neither passed nor failed.
#
# Every check is one line, "ok   test-cli: ..." or "FAIL test-cli: ..."
# (or "skip test-cli: ..."); the last line sums them.
# Usage: sh test-cli.sh [DIR]   (DIR holds the binaries; default: this dir)
# Exit status: 0 all passed, 1 a check failed.

dir=${1:-$(dirname "$0")}
fails=0
n=0
skips=0
err=$(mktemp)
bad_expect=$(mktemp)
mc_dir=
mc_pid=
trap 'rm -f "$err" "$bad_expect"; [ -z "$mc_pid" ] || kill "$mc_pid"; [ -z "$mc_dir" ] || rm -rf "$mc_dir"' EXIT
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

# skip TEXT: a check that could not run here.
skip()
{
	skips=$((skips + 1))
	echo "skip test-cli: $1"
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

# control BUG DEDUP PATTERN [SHAPE...]: fake-stress with FAKE_BUG=BUG
# ("none": no bug) and FAKE_DEDUP=DEDUP (1: misses share loads, 0: each
# loads, as the module's stats file says), in one-key bursts (where a lost
# dedup shows) for 1 s: 8 threads in bursts of 4, or SHAPE (e.g. one
# thread per burst asking one key 4 times in a GET_BATCH). With a bug it
# must exit 1 with a wrong answer matching PATTERN; without, exit 0. No
# sanitizer report either way (leaks aside: the imitation leaks the
# entries a waiter may still read, on purpose).
control()
{
	bug=$1 dedup=$2 pattern=$3 shape=
	shift 3
	[ $# -gt 0 ] && shape=" ($*)"
	[ $# -gt 0 ] || set -- --threads 8 --burst 4
	ASAN_OPTIONS=detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}
	export ASAN_OPTIONS

	if [ "$bug" = none ]; then
		FAKE_DEDUP=$dedup "$dir/fake-stress" "$@" \
			--scenario multikey --keys 500 --duration 1 \
			>"$err" 2>&1
	else
		FAKE_BUG=$bug FAKE_DEDUP=$dedup "$dir/fake-stress" "$@" \
			--scenario multikey --keys 500 --duration 1 \
			>"$err" 2>&1
	fi
	got=$?
	if grep -q -E 'Sanitizer|runtime error:' "$err"; then
		result 1 "fake-stress FAKE_BUG=$bug (dedup $dedup)$shape: a sanitizer report"
		grep -E -A 5 'Sanitizer|runtime error:' "$err" | sed 's/^/    /'
	elif [ "$bug" = none ]; then
		[ $got = 0 ]
		result $? "fake-stress without a bug (dedup $dedup)$shape: passes (exit $got)"
		[ $got = 0 ] || tail -n 5 "$err" | sed 's/^/    /'
	else
		[ $got = 1 ] && grep -q -E "wrong answer: .*$pattern" "$err"
		result $? "fake-stress FAKE_BUG=$bug (dedup $dedup)$shape: caught (exit $got, \"$pattern\")"
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
expect 2 cacheproxy-stress --memcached 127.0.0.1:11211
expect 2 cacheproxy-stress --delay-us 10
expect 2 cacheproxy-stress --via memcached --memcached nowhere
expect 2 cacheproxy-stress --via memcached --delay-us soon
expect 2 cacheproxy-stress --via memcached --expect "$bad_expect"
expect 2 cacheproxy-stress --via memcached --memcached unix:/nonexistent/mc.sock --duration 1
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
	control none 1 ''
	control none 0 ''
	control key 1 'value "jey-'
	control n 1 'one burst of a deduplicating strategy saw N='
	control errno 1 'error ENOENT, expected a value'
	control dedup 1 'one burst of a deduplicating strategy saw N='
	# --same-key: a burst is one thread's call; its answers are compared
	control none 1 '' --threads 4 --burst 1 --via batch --batch 4 \
		--same-key
	control n 1 'one burst of a deduplicating strategy saw N=' \
		--threads 4 --burst 1 --via batch --batch 4 --same-key
fi

# jnum FILE NAME [LINE]: the number after the first "NAME": in JSON FILE
# (on the first line that holds LINE).
jnum()
{
	grep -m 1 -F -e "${3:-\"$2\": }" "$1" |
		sed -n "s/.*\"$2\": \([0-9][0-9.]*\).*/\1/p"
}

# The all-miss shape of scripts/bench's ring row: 8 threads, each burst
# one thread asking one key 8 times; every key asked, none twice.
if [ -x "$dir/fake-stress" ]; then
	ASAN_OPTIONS=detect_leaks=0 FAKE_DEDUP=1 "$dir/fake-stress" -q \
		--scenario multikey --threads 8 --burst 1 --via batch \
		--batch 8 --same-key --keys 200 --ops 1600 \
		--json "$err.json" >"$err" 2>&1
	got=$?
	[ $got = 0 ] && [ "$(jnum "$err.json" distinct_keys)" = 200 ] &&
		[ "$(jnum "$err.json" loads_per_distinct_key)" = 1.000000 ]
	result $? "fake-stress --same-key, 200 keys, 8 threads of one-thread bursts: each key asked once (exit $got, $(jnum "$err.json" distinct_keys) keys, $(jnum "$err.json" loads_per_distinct_key) loads per key)"
	rm -f "$err.json"
fi

# mc_run NAME STATUS ARGS...: cacheproxy-stress --via memcached on the
# test's server, JSON to $mc_dir/NAME.json, stderr to $err; checks that
# it exits STATUS and, for 0, that it says it passed. Returns its status.
mc_run()
{
	name=$1 want=$2
	shift 2
	"$dir/cacheproxy-stress" -q --via memcached \
		--memcached "unix:$mc_dir/mc.sock" --json "$mc_dir/$name.json" \
		"$@" 2>"$err"
	got=$?
	[ $got = "$want" ] &&
		{ [ "$want" != 0 ] || grep -q '"pass": true' "$mc_dir/$name.json"; }
	result $? "memcached $name: cacheproxy-stress --via memcached $*: exit $got, expected $want"
	[ $got = "$want" ] || sed 's/^/    /' "$err" | head -n 5
	return $got
}

# mc_counters NAME: the run's counters against the server's: every lookup
# one get, every miss one database query, every value one set.
mc_counters()
{
	f=$mc_dir/$1.json
	ops=$(jnum "$f" ops) gets=$(jnum "$f" cmd_get)
	misses=$(jnum "$f" get_misses) sets=$(jnum "$f" cmd_set)
	queries=$(jnum "$f" queries) values=$(jnum "$f" values)
	[ -n "$ops" ] && [ "$ops" = "$gets" ] && [ "$misses" = "$queries" ] &&
		[ "$sets" = "$values" ]
	result $? "memcached $1: $ops lookups = $gets gets, $misses misses = $queries database queries, $values values = $sets sets"
}

# mc_plant DELAY SECONDS KEY VALUE: from DELAY s on, for SECONDS s, set KEY
# to VALUE in the test's server every 2 ms (python3: the test's own client).
mc_plant()
{
	python3 - "$mc_dir/mc.sock" "$@" <<'EOT'
import socket, sys, time
path, delay, secs, key, val = sys.argv[1:]
s = socket.socket(socket.AF_UNIX)
s.connect(path)
time.sleep(float(delay))
end = time.time() + float(secs)
while True:
    s.sendall(b"set %s 0 0 %d\r\n%s\r\n" % (key.encode(), len(val), val.encode()))
    if s.recv(64) != b"STORED\r\n":
        sys.exit(1)
    if time.time() >= end:
        break
    time.sleep(0.002)
EOT
}

memcached=$(command -v memcached)
if [ -z "$memcached" ]; then
	skip "memcached: not installed (Debian's memcached package): no --via memcached runs"
else
	mc_dir=$(mktemp -d)
	user=
	# memcached refuses to run as root without -u
	[ "$(id -u)" = 0 ] && user="-u root"
	# shellcheck disable=SC2086
	"$memcached" $user -s "$mc_dir/mc.sock" -a 0600 -t 2 -m 64 -U 0 \
		2>"$mc_dir/memcached.log" &
	mc_pid=$!
	i=0
	while [ ! -S "$mc_dir/mc.sock" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -S "$mc_dir/mc.sock" ]
	result $? "memcached: started on $mc_dir/mc.sock"

	mc_run singlekey 0 --scenario singlekey --threads 8 --keys 200 \
		--flush --ops 1600
	bursts=$(jnum "$mc_dir/singlekey.json" bursts)
	loads=$(jnum "$mc_dir/singlekey.json" loads_per_distinct_key)
	[ "$bursts" = 200 ] && awk "BEGIN { exit !($loads >= 1) }"
	result $? "memcached singlekey: 200 bursts ($bursts), every key loaded at least once ($loads loads per distinct key)"
	mc_counters singlekey
	mc_run multikey 0 --scenario multikey --threads 16 --burst 8 \
		--keys 400 --flush --ops 1600
	mc_counters multikey
	mc_run uniform 0 --scenario uniform --threads 4 --keys 500 --flush \
		--ops 4000 --mix inval=2,flush=0.2,enoent=5,eio=5
	mc_counters uniform
	f=$mc_dir/uniform.json
	[ "$(jnum "$f" ENOENT)" -gt 0 ] && [ "$(jnum "$f" EIO)" -gt 0 ] &&
		[ "$(jnum "$f" cmd_flush)" = "$(jnum "$f" flush mix_ops)" ] &&
		[ $(($(jnum "$f" delete_hits) + $(jnum "$f" delete_misses))) = "$(jnum "$f" inval mix_ops)" ]
	result $? "memcached uniform: error keys answered ENOENT and EIO; --mix inval and flush sent as delete and flush_all"
	mc_run hit 0 --scenario hit --threads 2 --keys 1000 --ops 4000
	mc_counters hit
	[ "$(jnum "$mc_dir/hit.json" get_hits)" = 4000 ] &&
		[ "$(jnum "$mc_dir/hit.json" queries)" = 0 ]
	result $? "memcached hit: every key stored first, every lookup a hit"

	# Planted: values set in the server that the database never gave.
	if ! command -v python3 >/dev/null; then
		skip "memcached: the planted values need python3"
	else
		mc_plant 0 0 key-3 key-4:1 && mc_plant 0 0 key-6 garbage
		result $? "memcached: planted key-3=key-4:1 and key-6=garbage"
		mc_run planted 1 --scenario uniform --threads 2 --keys 10 \
			--ops 500
		grep -q 'wrong answer: key "key-3": value "key-4:1"' "$err" &&
			grep -q 'wrong answer: key "key-6": value "garbage"' "$err"
		result $? "memcached: another key's value and garbage caught as wrong answers"
		"$dir/cacheproxy-stress" -q --via memcached --scenario uniform \
			--memcached "unix:$mc_dir/mc.sock" --threads 1 --keys 4 \
			--flush --duration 2 2>"$err" &
		stress=$!
		mc_plant 0.3 1.2 key-1 key-1:999999
		wait $stress
		got=$?
		[ $got = 1 ] &&
			grep -q 'key "key-1": value with N=999999, but the database answered it only' "$err"
		result $? "memcached: after --flush, an N the database never gave caught (exit $got)"
	fi
	kill "$mc_pid"
	wait "$mc_pid" 2>/dev/null
	mc_pid=
fi

echo "test-cli: $n checks, $fails failed, $skips skipped"
[ $fails = 0 ]
