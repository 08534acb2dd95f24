// SPDX-License-Identifier: GPL-2.0

package main

import (
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

// askAtOnce has n goroutines ask p for key at the same moment and returns
// their answers.
func askAtOnce(p Proxy, key string, n int) []string {
	out := make([]string, n)
	var wg sync.WaitGroup
	launchBurst(p, key, out, &wg)
	wg.Wait()
	return out
}

// Concurrent misses of one key: one load, every caller its value.
func TestProxyDedupsOneKey(t *testing.T) {
	for _, k := range proxyKinds {
		t.Run(k.name, func(t *testing.T) {
			db := NewDatabase(200 * time.Microsecond)
			p := k.make(db)
			defer p.Close()
			for i := 0; i < 30; i++ {
				key := "k-" + strconv.Itoa(i)
				answers := askAtOnce(p, key, 16)
				v := newVerdict()
				n0 := checkAnswer(v, db, key, answers[0])
				for _, a := range answers {
					if checkAnswer(v, db, key, a) != n0 {
						t.Fatalf("%s: answers %q and %q", key,
							answers[0], a)
					}
				}
				if !v.ok() {
					t.Fatal(v.first)
				}
				if n := db.LoadsOf(key); n != 1 {
					t.Fatalf("%s loaded %d times", key, n)
				}
				if a := p.Get(key); a != answers[0] {
					t.Fatalf("%s: later %q, first %q", key, a,
						answers[0])
				}
			}
			if db.Loads() != 30 {
				t.Fatalf("%d loads of 30 keys", db.Loads())
			}
		})
	}
}

// Many goroutines over many keys in different orders: each key loaded
// once, each answer the key's one value.
func TestProxyManyKeys(t *testing.T) {
	const keys, workers = 300, 24
	for _, k := range proxyKinds {
		t.Run(k.name, func(t *testing.T) {
			db := NewDatabase(0)
			p := k.make(db)
			defer p.Close()
			got := make([][]string, workers)
			var wg sync.WaitGroup
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					got[w] = make([]string, keys)
					for i := 0; i < keys; i++ {
						j := (i*7 + w*31) % keys
						got[w][j] = p.Get("k-" + strconv.Itoa(j))
					}
				}(w)
			}
			wg.Wait()
			v := newVerdict()
			for j := 0; j < keys; j++ {
				key := "k-" + strconv.Itoa(j)
				n0 := checkAnswer(v, db, key, got[0][j])
				for w := 1; w < workers; w++ {
					if checkAnswer(v, db, key, got[w][j]) != n0 {
						t.Fatalf("%s: %q and %q", key, got[0][j],
							got[w][j])
					}
				}
			}
			if !v.ok() {
				t.Fatal(v.first)
			}
			if db.Loads() != keys {
				t.Fatalf("%d loads of %d keys", db.Loads(), keys)
			}
		})
	}
}

// The benchmark's own runs of every proxy pass every check, in both
// shapes, with keys repeating.
func TestProxyPassesChecks(t *testing.T) {
	keys := makeKeys(50)
	for _, k := range proxyKinds {
		for _, single := range []bool{true, false} {
			run := runBursts(k, dbSpec{delay: 20 * time.Microsecond},
				keys, 200, 8, single)
			if v := checkBursts(run.db, keys, 8, run.answers); !v.ok() {
				t.Errorf("%s single=%v: %s", k.name, single, v.first)
			}
		}
		if v := runHits(k, keys, 4, 20*time.Millisecond).verdict; !v.ok() {
			t.Errorf("%s hits: %s", k.name, v.first)
		}
	}
}

// The channel proxy's Close waits for the loads in flight: no goroutine
// is left behind.
func TestChannelCloseLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	db := NewDatabase(time.Millisecond)
	p := newChannelProxy(db)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			p.Get("k-" + strconv.Itoa(i))
		}(i)
	}
	wg.Wait()
	p.Close()
	for i := 0; i < 100 && runtime.NumGoroutine() > before; i++ {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after Close, %d before", n, before)
	}
}

// The database serialises queries and numbers them, sleeping or spinning.
func TestDatabaseSerialises(t *testing.T) {
	const n, delay = 8, 2 * time.Millisecond
	for _, spin := range []bool{false, true} {
		db := dbSpec{delay: delay, spin: spin}.open()
		start := time.Now()
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				db.Load("k-" + strconv.Itoa(i))
			}(i)
		}
		wg.Wait()
		if d := time.Since(start); d < n*delay {
			t.Fatalf("spin=%v: %d queries of %v took %v: not serialised",
				spin, n, delay, d)
		}
		if q := db.QueryTime(); q < delay {
			t.Fatalf("spin=%v: a query took %v", spin, q)
		}
		if v := db.Load("x"); v != "x:"+strconv.Itoa(n+1) {
			t.Fatalf("query %d answered %q", n+1, v)
		}
		if k, ok := db.KeyOfLoad(n + 1); !ok || k != "x" {
			t.Fatalf("load %d was of %q", n+1, k)
		}
		if _, ok := db.KeyOfLoad(n + 2); ok {
			t.Fatal("a load that never was")
		}
		if db.LoadsOf("x") != 1 || db.Loads() != n+1 {
			t.Fatal("wrong counts")
		}
	}
}
