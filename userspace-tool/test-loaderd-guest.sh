#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# cacheproxy-loaderd against the real module, in a guest (POSIX sh,
# busybox): the SQLite backend answers GET (values, ENOENT cached, EFBIG,
# bytes kept), many callers at once over 4 threads, SIGUSR1 and the status
# file, SIGTERM answering what was read, ENOTCONN once no daemon is left;
# cacheproxy-stress judging every answer against the database's contents
# (and failing on a planted wrong one); a daemon killed holding a request
# (another answers it), a lone daemon killed holding one and a new one
# started; a redis-server on a unix socket in the guest and its change
# feed (SET and DEL seen by the next lookups, the delay measured); --once,
# the static backend, and the start-up failures (loader=synthetic, no
# module).
#
# The database and its contents as cacheproxy-stress --expect reads them
# are made on the host (the guest has no SQLite tool); redis-server and
# redis-cli come from the host too, with their shared libraries:
#   sh userspace-tool/test-loaderd-guest.sh --make-db /tmp/loaderd.db
#   sh userspace-tool/test-loaderd-guest.sh --make-expect /tmp/loaderd.db \
#	/tmp/loaderd.expect
#   flock /tmp/w/guest.lock scripts/vm-run --timeout 300 \
#	--load 'loader=user' --add /tmp/loaderd.db --add /tmp/loaderd.expect \
#	--add-prog /usr/bin/redis-server --add-prog /usr/bin/redis-cli \
#	--add userspace-tool/test-loaderd-guest.sh -- \
#	sh /opt/cacheproxy/add/test-loaderd-guest.sh \
#	/opt/cacheproxy/add/loaderd.db /opt/cacheproxy/add/loaderd.expect
# The module must be loaded with loader=user; the script reloads it
# (loader=synthetic, then none) and leaves it loaded with loader=user.
#
# Every check is one line, "ok   loaderd: ..." or "FAIL loaderd: ...";
# the last line sums them. Exit status: 0 all passed, 1 a check failed.
set -u

if [ "${1:-}" = --make-db ]; then
	db=${2:?usage: $0 --make-db FILE}
	rm -f "$db"
	python3 - "$db" <<'EOT'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("CREATE TABLE kv(key TEXT PRIMARY KEY, value BLOB)")
c.execute("INSERT INTO kv VALUES('k1', 'v1')")
c.execute("INSERT INTO kv VALUES('bin', x'000aff')")
c.execute("INSERT INTO kv VALUES('nullv', NULL)")
c.execute("INSERT INTO kv VALUES('big', zeroblob(4097))")
c.execute("INSERT INTO kv VALUES('hot', 'hotval')")
c.executemany("INSERT INTO kv VALUES(?, ?)",
	      [("key-%d" % i, "val-%d" % i) for i in range(200)])
c.commit()
EOT
	exit $?
fi

# The rows of DB's kv table with a value, as cacheproxy-stress --expect
# reads them: KEY, a tab, VALUE, a line each; a backslash, a tab, a
# newline and the bytes that do not print escaped (\\, \t, \n, \xHH).
if [ "${1:-}" = --make-expect ]; then
	db=${2:?usage: $0 --make-expect DB FILE}
	expect=${3:?usage: $0 --make-expect DB FILE}
	python3 - "$db" "$expect" <<'EOT'
import sqlite3, sys
ESC = {0x5c: "\\\\", 0x09: "\\t", 0x0a: "\\n"}
def esc(b):
	if isinstance(b, str):
		b = b.encode()
	return "".join(ESC.get(c, chr(c) if 0x20 <= c < 0x7f else "\\x%02x" % c)
		       for c in b)
c = sqlite3.connect(sys.argv[1])
with open(sys.argv[2], "w") as f:
	for k, v in c.execute("SELECT key, value FROM kv "
			      "WHERE value IS NOT NULL ORDER BY key"):
		f.write(esc(k) + "\t" + esc(v) + "\n")
EOT
	exit $?
fi

db=${1:?usage: $0 DB EXPECT (or --make-db DB, --make-expect DB EXPECT on the host)}
expect=${2:?usage: $0 DB EXPECT}
tmp=/tmp/loaderd-guest
rm -rf $tmp
mkdir -p $tmp
n=0
fails=0

result()
{
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok   loaderd: $2"
	else
		echo "FAIL loaderd: $2"
		fails=$((fails + 1))
	fi
}

# stat NAME: a counter of the module.
stat()
{
	cacheproxy stats | sed -n "s/^$1 //p"
}

# counter NAME [STATUS]: a counter of the daemon's status file (default
# $tmp/status).
counter()
{
	sed -n "s/^$1 //p" "${2:-$tmp/status}"
}

# lookup KEY: the value and a newline, through /proc (cacheproxy get
# prints a C string: it would stop at a NUL).
lookup()
{
	(exec 3<>/proc/cacheproxy/lookup && echo "$1" >&3 && cat <&3)
}

# hex: stdin as hex digits, nothing else.
hex()
{
	od -An -tx1 | tr -d ' \n'
}

# wait_file FILE: up to 10 s for FILE to appear.
wait_file()
{
	i=0
	while [ ! -e "$1" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -e "$1" ]
}

# until_ok CMD...: runs CMD every 0.1 s until it succeeds, up to 10 s; no
# verdict waits for a fixed time.
until_ok()
{
	i=0
	until "$@"; do
		[ $i -ge 100 ] && return 1
		sleep 0.1
		i=$((i + 1))
	done
}

# has_read PID STATUS: the daemon PID has read a request: SIGUSR1 makes it
# write its counters, and the requests counter of STATUS is 1 or more.
has_read()
{
	kill -USR1 "$1" 2>/dev/null &&
		[ "$(sed -n 's/^requests //p' "$2")" -ge 1 ] 2>/dev/null
}

# queued: the module has a load in flight (waiting for or held by a daemon).
queued()
{
	[ "$(stat inflight)" -ge 1 ] 2>/dev/null
}

# serve STATUS ARGS...: cacheproxy-loaderd --status STATUS ARGS in the
# background, its standard error to STATUS.err, $pid its process ID; waits
# (wait_file) until it serves.
serve()
{
	sfile=$1
	shift
	cacheproxy-loaderd --status "$sfile" "$@" 2>"$sfile.err" &
	pid=$!
	wait_file "$sfile"
}

# hit KEY VALUE: a lookup of KEY answers VALUE, from the cache (no load).
hit()
{
	loads=$(stat loads_started)
	[ "$(lookup "$1")" = "$2" ] && [ "$(stat loads_started)" = "$loads" ]
}

# missing KEY: a lookup of KEY fails with ENOENT.
missing()
{
	cacheproxy get "$1" 2>&1 >/dev/null | grep -q 'No such file or directory'
}

# now_ms: milliseconds since boot, in the 10 ms steps of /proc/uptime.
now_ms()
{
	read -r up _ </proc/uptime
	cs=${up#*.}
	echo $((${up%.*} * 1000 + (1$cs - 100) * 10))
}

# 1. SQLite, 4 threads.
cacheproxy-loaderd --threads 4 --status $tmp/status "sqlite:$db" \
	2>$tmp/daemon.err &
pid=$!
wait_file $tmp/status
result $? "sqlite: the daemon attached (status file written)"

[ "$(cacheproxy get k1)" = v1 ]
result $? "sqlite: get k1 = v1"
hit k1 v1
result $? "sqlite: get k1 again: a hit, no load"

cacheproxy get none 2>$tmp/err
[ $? = 1 ] && grep -q 'No such file or directory' $tmp/err
result $? "sqlite: a missing key: ENOENT"
loads=$(stat loads_started)
cacheproxy get none 2>/dev/null
[ "$(stat loads_started)" = "$loads" ]
result $? "sqlite: ENOENT is cached (no second load)"

cacheproxy get nullv 2>$tmp/err
[ $? = 1 ] && grep -q 'No such file or directory' $tmp/err
result $? "sqlite: a NULL value: ENOENT"

# The daemon answers EFBIG; the module may hand its callers EIO instead.
cacheproxy get big 2>$tmp/err
[ $? = 1 ] && grep -q -e 'File too large' -e 'Input/output error' $tmp/err
result $? "sqlite: a value of 4097 bytes: EFBIG or EIO ($(cat $tmp/err))"
grep -q 'get big: a value of 4097 bytes' $tmp/daemon.err
result $? "sqlite: EFBIG logged by the daemon"

[ "$(lookup bin | hex)" = 000aff0a ]
result $? "sqlite: a value with NUL and newline, byte for byte"

# Many callers at once: 8 processes of 25 distinct keys, 16 of one key.
i=0
pids=
while [ $i -lt 8 ]; do
	(
		j=0 bad=0
		while [ $j -lt 25 ]; do
			k=$((i * 25 + j))
			[ "$(cacheproxy get key-$k)" = "val-$k" ] || bad=1
			j=$((j + 1))
		done
		exit $bad
	) &
	pids="$pids $!"
	i=$((i + 1))
done
bad=0
for p in $pids; do
	wait "$p" || bad=1
done
result $bad "sqlite: 8 callers x 25 keys, every value right"

loads=$(stat loads_started)
i=0
pids=
while [ $i -lt 16 ]; do
	cacheproxy get hot >$tmp/hot.$i 2>&1 &
	pids="$pids $!"
	i=$((i + 1))
done
for p in $pids; do
	wait "$p"
done
bad=0
i=0
while [ $i -lt 16 ]; do
	[ "$(cat $tmp/hot.$i)" = hotval ] || bad=1
	i=$((i + 1))
done
result $bad "sqlite: 16 callers of one key: all hotval ($(($(stat loads_started) - loads)) load(s))"

# The status file of the attach says requests 0: the next one is SIGUSR1's.
until_ok has_read $pid $tmp/status
[ "$(counter requests)" -ge 205 ] && [ "$(counter enoent)" -ge 2 ] &&
	[ "$(counter errors)" = 1 ]
result $? "sqlite: SIGUSR1: counters written ($(tr '\n' ' ' <$tmp/status))"

kill -TERM $pid
wait $pid
result $? "sqlite: SIGTERM: exit 0"
[ "$(counter requests)" = "$(counter answers)" ] &&
	[ "$(counter refused)" = 0 ]
result $? "sqlite: every request answered ($(tr '\n' ' ' <$tmp/status))"
[ "$(grep -cv 'get big: a value' $tmp/daemon.err)" = 0 ]
result $? "sqlite: nothing else logged"
[ -s $tmp/daemon.err ] && sed 's/^/    /' $tmp/daemon.err

cacheproxy get key-new 2>$tmp/err
[ $? = 1 ] && grep -q 'Transport endpoint is not connected' $tmp/err
result $? "no daemon left: ENOTCONN"

# 2. cacheproxy-stress judges every answer against the database's contents
# (EXPECT, written from DB on the host), not the synthetic K:N: 8 threads
# in one-key bursts of 2, the cache flushed first, through a daemon of 4
# threads. 4 groups of 2 take their own quarter of key-0..key-247 (key-200
# on are not in the database: ENOENT) in turn, each as fast as it goes:
# how many keys the 1000 lookups reach depends on the scheduling (their
# count is in the result). Then the verifier must fail: EXPECT with
# key-7's value changed and key-9 left out (both among the first keys of
# their groups).
serve $tmp/status6 --threads 4 "sqlite:$db"
cacheproxy-stress --expect "$expect" --flush --scenario multikey \
	--threads 8 --burst 2 --keys 248 --ops 1000 >$tmp/stress.out 2>&1
st=$?
[ $st = 0 ] && grep -q '^wrong answers 0' $tmp/stress.out &&
	grep -q '^expected errs.*ENOENT' $tmp/stress.out
result $? "stress --expect: 1000 lookups through the daemon, each the database's value or ENOENT (exit $st; $(grep -e '^wrong answers' -e '^expected errs' -e '^loads/key' $tmp/stress.out | tr -s ' \n' ' '))"
[ $st = 0 ] || sed 's/^/    /' $tmp/stress.out
awk -F '\t' -v OFS='\t' '$1 == "key-7" { $2 = $2 "x" } $1 != "key-9"' \
	"$expect" >$tmp/planted
cacheproxy-stress --expect $tmp/planted --scenario multikey --threads 8 \
	--burst 2 --keys 248 --ops 1000 >$tmp/planted.out 2>&1
st=$?
[ $st = 1 ] && ! grep -q '^wrong answers 0' $tmp/planted.out &&
	grep -q 'wrong answer: key "key-7": value "val-7", expected "val-7x"' \
		$tmp/planted.out &&
	grep -q 'wrong answer: key "key-9": value "val-9", expected ENOENT' \
		$tmp/planted.out
result $? "stress --expect, key-7 changed and key-9 left out of the file: both caught, exit 1 (exit $st; $(grep '^wrong answers' $tmp/planted.out))"
[ $st = 1 ] || sed 's/^/    /' $tmp/planted.out
kill -TERM $pid
wait $pid
st=$?
[ $st = 0 ] && [ ! -s $tmp/status6.err ]
result $? "stress --expect: the daemon stops, exit $st, nothing logged"

# 3. SIGTERM while a request is being served (a 2 s "database").
cacheproxy-loaderd --delay-us 2000000 --status $tmp/status2 \
	'static:slow=done' 2>$tmp/daemon2.err &
pid=$!
wait_file $tmp/status2
cacheproxy get slow >$tmp/slow 2>&1 &
getter=$!
# Queued in the module, then read by the daemon (its 2 s sleep begun).
until_ok queued && until_ok has_read $pid $tmp/status2
result $? "SIGTERM while serving: the request was queued and read first"
kill -TERM $pid
wait $pid
st=$?
wait $getter
[ $st = 0 ] && [ "$(cat $tmp/slow)" = "done" ]
result $? "SIGTERM while serving: the request read is answered, exit 0"

# 4. A daemon killed holding a request: another one answers it.
cacheproxy-loaderd --delay-us 3000000 --status $tmp/status4 'static:x=fromA' \
	2>/dev/null &
pida=$!
wait_file $tmp/status4
cacheproxy get x >$tmp/x 2>&1 &
getter=$!
until_ok queued && until_ok has_read $pida $tmp/status4
result $? "daemon A read the request before it is killed ($(tr '\n' ' ' <$tmp/status4))"
cacheproxy-loaderd --status $tmp/status5 'static:x=fromB' 2>/dev/null &
pidb=$!
wait_file $tmp/status5
kill -KILL $pida
wait $pida 2>/dev/null
wait $getter
[ "$(cat $tmp/x)" = fromB ]
result $? "a daemon killed holding a request: the other answers ($(cat $tmp/x))"
kill -TERM $pidb
wait $pidb
result $? "the other daemon: SIGTERM, exit 0"

# 5. A lone daemon killed with -9 mid-load (a 3 s "database"), then a new
# one started: the waiting caller gets ENOTCONN at once (no daemon is left
# to take its request back), nothing is cached or left queued, and the
# lookup tried again is the new daemon's, with the database's value.
cacheproxy flush
serve $tmp/status7 --delay-us 3000000 "sqlite:$db"
pida=$pid
cacheproxy get key-42 >$tmp/r42 2>&1 &
getter=$!
until_ok queued && until_ok has_read $pida $tmp/status7
result $? "restart: the daemon read the request before it is killed"
kill -KILL $pida
wait $pida 2>/dev/null
wait $getter
st=$?
[ $st = 1 ] && grep -q 'Transport endpoint is not connected' $tmp/r42
result $? "restart: its caller gets ENOTCONN (exit $st: $(cat $tmp/r42))"
[ "$(stat inflight)" = 0 ]
result $? "restart: no load left in flight (inflight $(stat inflight))"
serve $tmp/status8 "sqlite:$db"
[ "$(cacheproxy get key-42 2>&1)" = val-42 ]
result $? "restart: a new daemon; key-42 asked again: val-42"
kill -TERM $pid
wait $pid
st=$?
[ $st = 0 ] && [ "$(counter values $tmp/status8)" = 1 ] &&
	[ "$(stat inflight)" = 0 ]
result $? "restart: the new daemon answered it, exit $st ($(tr '\n' ' ' <$tmp/status8))"

# 6. Redis: a redis-server in the guest on a unix socket (no persistence),
# the daemon following its keyspace notifications (--invalidate-redis).
# The daemon subscribes and flushes the cache before it writes its status
# file. A change in redis must reach the next lookups: SET within 5 s (the
# delay from redis-cli SET returning to a lookup answering the new value
# is printed), then DEL.
rsock=$tmp/redis.sock
rcli()
{
	redis-cli -s $rsock "$@"
}
redis_up()
{
	[ "$(rcli ping 2>/dev/null)" = PONG ]
}
if command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then
	redis-server --port 0 --unixsocket $rsock --save '' --appendonly no \
		--notify-keyspace-events KA --dir $tmp >$tmp/redis.log 2>&1 &
	rpid=$!
	until_ok redis_up
	result $? "redis: redis-server answers on $rsock"
else
	rpid=
	result 1 "redis: redis-server and redis-cli in the guest (vm-run --add-prog)"
fi
rcli SET r1 one >/dev/null 2>&1
serve $tmp/status9 --threads 2 --invalidate-redis "redis:unix:$rsock"
result $? "redis: the daemon attached and subscribed"
[ "$(cacheproxy get r1 2>&1)" = one ]
result $? "redis: get r1 = one, redis' value"
hit r1 one
result $? "redis: r1 again: a hit, no load"
missing r-none
result $? "redis: a key redis lacks: ENOENT"
inval=$(stat invalidations)
rcli SET r1 two >/dev/null
t0=$(now_ms)
new=$(lookup r1 2>&1)
while [ "$new" != two ] && [ $(($(now_ms) - t0)) -lt 5000 ]; do
	new=$(lookup r1 2>&1)
done
t1=$(now_ms)
echo "# redis change feed: SET to new value in $((t1 - t0)) ms"
[ "$new" = two ]
result $? "redis: SET r1 two: a lookup answers two within 5 s ($((t1 - t0)) ms; invalidations +$(($(stat invalidations) - inval)))"
rcli DEL r1 >/dev/null
until_ok missing r1
result $? "redis: DEL r1: a lookup fails with ENOENT"
kill -TERM $pid
wait $pid
st=$?
[ $st = 0 ] && [ ! -s $tmp/status9.err ]
result $? "redis: the daemon stops, exit $st, nothing logged ($(tr '\n' ' ' <$tmp/status9))"
[ -s $tmp/status9.err ] && sed 's/^/    /' $tmp/status9.err
if [ -n "$rpid" ]; then
	kill -TERM $rpid
	wait $rpid
fi

# 7. --once and the static backend's escapes.
cacheproxy-loaderd --once --status $tmp/status3 'static:esc=a\x00b\,c' \
	2>$tmp/daemon3.err &
pid=$!
wait_file $tmp/status3
[ "$(lookup esc | hex)" = 6100622c630a ]
result $? "static: escaped bytes"
wait $pid
result $? "--once: exit 0 after one request"

# 8. Start-up failures.
rmmod cacheproxy && insmod "$CACHEPROXY_KO" loader=synthetic
cacheproxy-loaderd 'static:a=1' 2>$tmp/err
[ $? = 1 ] && grep -q 'loader=synthetic' $tmp/err
result $? "loader=synthetic: exit 1 ($(cat $tmp/err))"
rmmod cacheproxy
cacheproxy-loaderd 'static:a=1' 2>$tmp/err
[ $? = 1 ] && grep -q 'is the cacheproxy module loaded' $tmp/err
result $? "no module: exit 1 ($(cat $tmp/err))"
insmod "$CACHEPROXY_KO" loader=user

echo "$((n - fails)) passed, $fails failed"
[ $fails = 0 ]
