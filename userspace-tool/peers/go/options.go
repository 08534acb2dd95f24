// SPDX-License-Identifier: GPL-2.0

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

const usageText = `usage: cacheproxy-goproxy [OPTIONS]

The four cache proxies of the Go demo "how to think in messages", written
again in Go from its description, in front of the same slow database, with
its benchmark, and every answer checked: the Go peers of cacheproxy's four
strategies, to run in the same guest.

Proxies (--proxy):
  mutex         one sync.Mutex held across the whole lookup, load included
  channel       one goroutine owns the map; a caller sends a request with a
                reply channel (its return address); on a miss the owner
                starts the load in a goroutine and, when it ends, answers
                every waiter of the key
  syncmap       a sync.Map of per-key once-records: LoadOrStore, then
                sync.Once, so concurrent misses share one load
  singleflight  a map under a sync.Mutex; misses through
                golang.org/x/sync/singleflight's Group.Do
The database holds one mutex across a sleep of --delay per query (queries
are serialised, as in the demo) and answers KEY:N, N the query's number.

Scenarios (--scenario, a comma-separated list; default
singlekey,multikey,floor):
  singlekey  for i in 0..BURSTS-1: a burst of --burst goroutines, released
             at once at a gate, asks for key i mod KEYS; the next burst
             starts when all of them have returned (the demo's SingleKey)
  multikey   all BURSTS bursts launched at once, none waiting for another
             (the demo's MultiKey)
             both: ns_per_burst = wall time of the run / BURSTS
  hit        every key looked up once (the database without its sleep,
             not timed), then --threads goroutines look up random keys for
             --duration, each answer checked: hits per second in-process
  floor      what the machine adds: one query of the database alone (the
             sleep as long as it really is) and an empty burst (goroutines
             started at a gate and waited for)
  controls   each planted broken proxy below, singlekey, 400 bursts of 8
             over 100 keys: the checks must catch it

Options:
  --proxy LIST     proxies, in order (default mutex,channel,syncmap,
                   singleflight)
  --keys LIST      data sizes: distinct keys key-0, key-1, ... (default
                   2e3,2e4,2e5; 1..1e8)
  --bursts N       bursts per run, the benchmark's b.N (default 10000;
                   BURSTS x --burst at most 1e7)
  --burst N        goroutines per burst (default 8, GOMAXPROCS on the demo's
                   machine; 1..1024)
  --delay D        the database's sleep per query (default 10us; 0..1s)
  --wait HOW       how the database waits --delay out: sleep (default, the
                   demo's: time.Sleep) or spin (on the CPU, the database
                   locked: exactly D, without Go's sleep rounding, below)
  --threads LIST   hit: goroutines looking up at once (default 1,2,8)
  --duration D     hit: time per run (default 1s)
  --repeat N       runs per result; the fastest is reported, every run is
                   checked (default 1)
  --procs N        GOMAXPROCS (default: $GOMAXPROCS, else the CPU count)
  --json           one JSON object per line instead of the text lines
  --quick          a self-check of a few seconds: singlekey and multikey,
                   1000 bursts over 500 keys, hit for 0.1 s per thread
                   count, floor, and the controls (options given with it
                   still apply)
  -h, --help       this text

Checks, on every answer (a wrong one is counted under the first it fails):
  value        the answer is KEY:N for the key asked
  forged       the database's query N was for that key
  split        every caller of one burst got the same N
  changed      a key gets the same N in every burst and every hit
  extra_loads  (not an answer) the database was queried once per distinct
               key asked: every proxy here promises it, mutex by holding
               its lock across the load, the others by sharing concurrent
               misses; nothing is evicted

Output, one line per result (names may be added at the end of a line):
  goproxy config go=VERSION gomaxprocs=N cpus=N delay_ns=N burst=N
      wait=sleep|spin
  goproxy singlekey proxy=NAME keys=N bursts=N burst=N ns_per_burst=N
      loads=N distinct=N loads_per_key=F wrong=N extra_loads=N runs=N
      status=ok|fail query_ns=N wait=sleep|spin
  goproxy multikey (the same names)
  goproxy hit proxy=NAME keys=N threads=N lookups=N seconds=F
      lookups_per_s=N ns_per_lookup=F wrong=N extra_loads=N runs=N
      status=ok|fail
  goproxy floor floor=load ops=N ns_per_op=N
  goproxy floor floor=burst burst=N ops=N ns_per_op=N
  goproxy control plant=NAME keys=N bursts=N expect=CHECKS fired=CHECKS
      status=ok|fail   (ok: every expected check fired)
  goproxy done results=N failed=N
A failed result also writes one line on stderr naming its first problem.
query_ns is the mean time one database query took, its wait included: Go
on Linux sleeps up to 1 ms when a sleep under 1 ms finds no goroutine
left to run (its timers wait in epoll_wait, whose timeout is in ms), so
--delay 10us costs from 10 us to 1 ms depending on what else runs;
--wait spin takes that out.

Controls, planted bugs (--proxy takes them too, and the run must fail):
  plant-herd      drops its lock across the load     (split, extra_loads)
  plant-twice     loads every key twice              (extra_loads)
  plant-forged    answers KEY:N+1                    (forged)
  plant-otherkey  answers another key's value        (value)
  plant-forget    singleflight without a map         (changed, extra_loads)

Exit status:
  0  every answer right, every key loaded once, every control caught
  1  a wrong answer, an extra load, or a control not caught
  2  usage error
`

var scenarioNames = []string{"singlekey", "multikey", "hit", "floor",
	"controls"}

type options struct {
	scenarios []string
	proxies   []proxyKind
	keys      []int
	bursts    int
	burst     int
	db        dbSpec
	threads   []int
	duration  time.Duration
	repeat    int
	procs     int // 0: leave GOMAXPROCS alone
	json      bool
	quick     bool
}

// errHelp: --help was asked for; the caller prints usageText and exits 0.
var errHelp = errors.New("help")

// parseCount parses a whole number in [lo, hi], written 2000 or 2e3.
func parseCount(name, s string, lo, hi int) (int, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != float64(int64(f)) {
		return 0, fmt.Errorf("--%s: %q is not a whole number", name, s)
	}
	if f < float64(lo) || f > float64(hi) {
		return 0, fmt.Errorf("--%s: %s is out of range %d..%d", name, s,
			lo, hi)
	}
	return int(f), nil
}

func parseCounts(name, list string, lo, hi int) ([]int, error) {
	var out []int
	for _, s := range strings.Split(list, ",") {
		n, err := parseCount(name, s, lo, hi)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

func parseDuration(name, s string, lo, hi time.Duration) (time.Duration,
	error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("--%s: %q is not a duration (e.g. 10us, 1s)",
			name, s)
	}
	if d < lo || d > hi {
		return 0, fmt.Errorf("--%s: %s is out of range %v..%v", name, s,
			lo, hi)
	}
	return d, nil
}

// parseOptions parses the command line (without the program name). It
// returns errHelp for --help, or an error whose text is the one line to
// print after "cacheproxy-goproxy: ".
func parseOptions(args []string) (*options, error) {
	fs := flag.NewFlagSet("cacheproxy-goproxy", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	scenario := fs.String("scenario", "singlekey,multikey,floor", "")
	proxy := fs.String("proxy", "mutex,channel,syncmap,singleflight", "")
	keys := fs.String("keys", "2e3,2e4,2e5", "")
	bursts := fs.String("bursts", "10000", "")
	burst := fs.String("burst", "8", "")
	delay := fs.String("delay", "10us", "")
	wait := fs.String("wait", "sleep", "")
	threads := fs.String("threads", "1,2,8", "")
	duration := fs.String("duration", "1s", "")
	repeat := fs.String("repeat", "1", "")
	procs := fs.String("procs", "0", "")
	asJSON := fs.Bool("json", false, "")
	quick := fs.Bool("quick", false, "")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelp
		}
		// the flag package's own text, e.g. "flag provided but not
		// defined: -x"
		return nil, fmt.Errorf("%v (see --help)", err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (see --help)",
			fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *quick {
		quickDefaults := map[string]*string{
			"scenario": scenario, "keys": keys, "bursts": bursts,
			"duration": duration,
		}
		quickValues := map[string]string{
			"scenario": "singlekey,multikey,hit,floor,controls",
			"keys":     "500", "bursts": "1000", "duration": "100ms",
		}
		for name, p := range quickDefaults {
			if !set[name] {
				*p = quickValues[name]
			}
		}
	}

	o := &options{json: *asJSON, quick: *quick}
	var err error
	for _, s := range strings.Split(*scenario, ",") {
		if !contains(scenarioNames, s) {
			return nil, fmt.Errorf("--scenario: unknown scenario %q "+
				"(one of %s)", s, strings.Join(scenarioNames, ", "))
		}
		o.scenarios = append(o.scenarios, s)
	}
	for _, s := range strings.Split(*proxy, ",") {
		k, ok := findProxy(s)
		if !ok {
			return nil, fmt.Errorf("--proxy: unknown proxy %q (one of "+
				"%s; controls: %s)", s,
				strings.Join(proxyNames(false), ", "),
				strings.Join(proxyNames(true), ", "))
		}
		o.proxies = append(o.proxies, k)
	}
	if o.keys, err = parseCounts("keys", *keys, 1, 1e8); err != nil {
		return nil, err
	}
	if o.bursts, err = parseCount("bursts", *bursts, 1, 1e7); err != nil {
		return nil, err
	}
	if o.burst, err = parseCount("burst", *burst, 1, 1024); err != nil {
		return nil, err
	}
	if o.bursts*o.burst > 1e7 {
		return nil, fmt.Errorf("--bursts x --burst is %d, over 1e7 "+
			"(every answer is kept for the checks)", o.bursts*o.burst)
	}
	if o.db.delay, err = parseDuration("delay", *delay, 0,
		time.Second); err != nil {
		return nil, err
	}
	switch *wait {
	case "sleep":
	case "spin":
		o.db.spin = true
	default:
		return nil, fmt.Errorf("--wait: unknown way %q (sleep or spin)",
			*wait)
	}
	if o.threads, err = parseCounts("threads", *threads, 1, 1024); err != nil {
		return nil, err
	}
	if o.duration, err = parseDuration("duration", *duration,
		time.Millisecond, time.Hour); err != nil {
		return nil, err
	}
	if o.repeat, err = parseCount("repeat", *repeat, 1, 1000); err != nil {
		return nil, err
	}
	if o.procs, err = parseCount("procs", *procs, 0, 1024); err != nil {
		return nil, err
	}
	return o, nil
}

// wait: how the database waits, as --wait names it.
func (o *options) wait() string {
	if o.db.spin {
		return "spin"
	}
	return "sleep"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
