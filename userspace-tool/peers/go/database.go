// SPDX-License-Identifier: GPL-2.0

package main

import (
	"strconv"
	"sync"
	"time"
)

// Database is the slow loader behind every proxy, as in the Go demo: one
// mutex held across the query's sleep, so queries are serialised and N
// distinct misses cost at least N x delay whatever the proxy does.
// A spinning database waits its delay out on the CPU instead of sleeping
// (not the demo's: it shows the proxies without Go's sleep rounding).
//
// A query for KEY answers "KEY:N", N the number of that query (1, 2, ...)
// in this database, so an answer can be traced to the load that made it.
type Database struct {
	delay time.Duration
	spin  bool

	mu     sync.Mutex     // serialises queries; protects the fields below
	keyOf  []string       // keyOf[N-1]: the key that load N was for
	perKey map[string]int // queries per key
	busy   time.Duration  // time spent in queries, sleep included
}

// NewDatabase returns an empty database whose queries sleep delay.
func NewDatabase(delay time.Duration) *Database {
	return &Database{delay: delay, perKey: make(map[string]int)}
}

// dbSpec: what the benchmark's databases are like.
type dbSpec struct {
	delay time.Duration
	spin  bool // wait the delay out on the CPU, not in time.Sleep
}

func (s dbSpec) open() *Database {
	db := NewDatabase(s.delay)
	db.spin = s.spin
	return db
}

// Load queries key: sleeps (or spins) the delay with the database locked,
// counts the query and returns "KEY:N".
func (db *Database) Load(key string) string {
	db.mu.Lock()
	defer db.mu.Unlock()
	start := time.Now()
	if db.spin {
		for time.Since(start) < db.delay {
		}
	} else if db.delay > 0 {
		time.Sleep(db.delay)
	}
	db.keyOf = append(db.keyOf, key)
	db.perKey[key]++
	db.busy += time.Since(start)
	return key + ":" + strconv.Itoa(len(db.keyOf))
}

// Loads returns the number of queries so far.
func (db *Database) Loads() int {
	db.mu.Lock()
	defer db.mu.Unlock()
	return len(db.keyOf)
}

// QueryTime returns the mean time a query took, its sleep included (Go
// rounds a sleep shorter than 1 ms up to 1 ms when the process has
// nothing else to run), or 0 before the first query.
func (db *Database) QueryTime() time.Duration {
	db.mu.Lock()
	defer db.mu.Unlock()
	if len(db.keyOf) == 0 {
		return 0
	}
	return db.busy / time.Duration(len(db.keyOf))
}

// LoadsOf returns the number of queries for key so far.
func (db *Database) LoadsOf(key string) int {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.perKey[key]
}

// KeyOfLoad returns the key that load n was for, and false if there was no
// load n.
func (db *Database) KeyOfLoad(n int) (string, bool) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if n < 1 || n > len(db.keyOf) {
		return "", false
	}
	return db.keyOf[n-1], true
}
