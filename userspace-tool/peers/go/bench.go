// SPDX-License-Identifier: GPL-2.0

package main

import (
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The demo's two benchmark shapes, and a hit-throughput run. Each run gets
// a fresh database and a fresh proxy, and starts after a GC, as a Go
// benchmark does.

// makeKeys returns "key-0" ... "key-(n-1)", the keys of a data size n.
func makeKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "key-" + strconv.Itoa(i)
	}
	return keys
}

// launchBurst starts len(out) goroutines that wait at a gate, opens the
// gate so that they ask p for key at once, and returns; each stores its
// answer in out and calls wg.Done.
func launchBurst(p Proxy, key string, out []string, wg *sync.WaitGroup) {
	gate := make(chan struct{})
	wg.Add(len(out))
	for j := range out {
		go func(j int) {
			defer wg.Done()
			<-gate
			out[j] = p.Get(key)
		}(j)
	}
	close(gate)
}

// burstRun is one timed run of bursts, with what the checks need.
type burstRun struct {
	wall    time.Duration
	db      *Database
	answers []string // answers[i*burst+j]: caller j of burst i
}

// runBursts runs bursts bursts of burst callers over keys, burst i on
// keys[i % len(keys)]. singleKey: one burst at a time, the next starting
// when every caller of the last has returned (the demo's SingleKey).
// Otherwise all bursts are launched at once and the run ends when every
// caller has returned (the demo's MultiKey). The wall time covers the
// launching and the waiting.
func runBursts(kind proxyKind, spec dbSpec, keys []string,
	bursts, burst int, singleKey bool) burstRun {
	r := burstRun{db: spec.open(),
		answers: make([]string, bursts*burst)}
	p := kind.make(r.db)
	defer p.Close()
	var wg sync.WaitGroup

	runtime.GC()
	start := time.Now()
	for i := 0; i < bursts; i++ {
		launchBurst(p, keys[i%len(keys)], r.answers[i*burst:(i+1)*burst],
			&wg)
		if singleKey {
			wg.Wait()
		}
	}
	wg.Wait()
	r.wall = time.Since(start)
	return r
}

// hitRun is one timed run of hits.
type hitRun struct {
	wall    time.Duration
	lookups int64
	verdict *verdict
}

// runHits looks every key up once (not timed, the database without its
// delay), then has threads goroutines look up keys picked at random for
// about d, each answer compared with the key's first one. No lookup of
// the timed part may load.
func runHits(kind proxyKind, keys []string, threads int,
	d time.Duration) hitRun {
	db := NewDatabase(0)
	p := kind.make(db)
	defer p.Close()
	v := newVerdict()
	want := make([]string, len(keys))
	for i, k := range keys {
		want[i] = p.Get(k)
		checkAnswer(v, db, k, want[i])
	}

	var stop atomic.Bool
	var lookups, wrong atomic.Int64
	var wg sync.WaitGroup
	gate := make(chan struct{})
	wg.Add(threads)
	for t := 0; t < threads; t++ {
		go func(seed uint32) {
			defer wg.Done()
			var n, bad int64
			x := seed
			<-gate
			for !stop.Load() {
				for k := 0; k < 256; k++ {
					// xorshift32: cheap, and never 0
					x ^= x << 13
					x ^= x >> 17
					x ^= x << 5
					i := int(x % uint32(len(keys)))
					if p.Get(keys[i]) != want[i] {
						bad++
					}
				}
				n += 256
			}
			lookups.Add(n)
			wrong.Add(bad)
		}(uint32(t)*2654435761 + 1)
	}

	runtime.GC()
	start := time.Now()
	timer := time.AfterFunc(d, func() { stop.Store(true) })
	close(gate)
	wg.Wait()
	wall := time.Since(start)
	timer.Stop()

	if n := wrong.Load(); n > 0 {
		v.fail(checkChanged, "%d hits answered another value than the "+
			"key's first", n)
		v.wrong += int(n) - 1
		v.counts[checkChanged] += int(n) - 1
	}
	checkLoads(v, db, keys)
	return hitRun{wall: wall, lookups: lookups.Load(), verdict: v}
}

// floorLoad: the database alone, n queries of distinct keys one after the
// other: what one load costs here (the sleep's real length included).
func floorLoad(spec dbSpec, n int) time.Duration {
	db := spec.open()
	keys := makeKeys(n)
	runtime.GC()
	start := time.Now()
	for _, k := range keys {
		db.Load(k)
	}
	return time.Since(start)
}

// floorBurst: n bursts that ask nothing: the cost of starting burst
// goroutines at a gate and waiting for them.
func floorBurst(n, burst int) time.Duration {
	var wg sync.WaitGroup
	runtime.GC()
	start := time.Now()
	for i := 0; i < n; i++ {
		gate := make(chan struct{})
		wg.Add(burst)
		for j := 0; j < burst; j++ {
			go func() {
				defer wg.Done()
				<-gate
			}()
		}
		close(gate)
		wg.Wait()
	}
	return time.Since(start)
}
