// SPDX-License-Identifier: GPL-2.0

package main

import (
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sync/singleflight"
)

// Deliberately broken proxies, the controls of the checks (check.go): each
// must be caught by the checks it names, or the checks prove nothing.
// "--scenario controls" runs them; "--proxy plant-NAME" runs one.
var plantKinds = []proxyKind{
	{name: "plant-herd", make: newHerdPlant,
		caughtBy: []string{checkSplit, checkExtraLoads}},
	{name: "plant-twice", make: newTwicePlant,
		caughtBy: []string{checkExtraLoads}},
	{name: "plant-forged", make: newForgedPlant,
		caughtBy: []string{checkForged}},
	{name: "plant-otherkey", make: newOtherKeyPlant,
		caughtBy: []string{checkValue}},
	{name: "plant-forget", make: newForgetPlant,
		caughtBy: []string{checkChanged, checkExtraLoads}},
}

func init() {
	for i := range plantKinds {
		plantKinds[i].plant = true
	}
}

// plantMutex is the mutex proxy with its load replaced.
type plantMutex struct {
	load func(key string) string

	mu    sync.Mutex
	cache map[string]string
}

func (p *plantMutex) Get(key string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if v, ok := p.cache[key]; ok {
		return v
	}
	v := p.load(key)
	p.cache[key] = v
	return v
}

func (p *plantMutex) Close() {}

// plant-twice: loads every key twice and keeps the second answer. The
// answers are all consistent; only the count of loads shows the bug.
func newTwicePlant(db *Database) Proxy {
	return &plantMutex{cache: make(map[string]string),
		load: func(key string) string {
			db.Load(key)
			return db.Load(key)
		}}
}

// plant-forged: answers "KEY:N+1", a load number the database never gave
// to KEY (loads are serialised by the proxy's lock: N+1 is the next key's).
func newForgedPlant(db *Database) Proxy {
	return &plantMutex{cache: make(map[string]string),
		load: func(key string) string {
			v := db.Load(key)
			i := strings.LastIndexByte(v, ':')
			n, _ := strconv.Atoi(v[i+1:])
			return key + ":" + strconv.Itoa(n+1)
		}}
}

// plant-otherkey: answers with the value of another key.
func newOtherKeyPlant(db *Database) Proxy {
	return &plantMutex{cache: make(map[string]string),
		load: func(key string) string { return db.Load("other-" + key) }}
}

// plant-herd: the lock is dropped across the load, with no record of the
// load in flight, so every caller that misses loads for itself and the
// last to finish overwrites the others' values.
type herdPlant struct {
	db *Database

	mu    sync.Mutex
	cache map[string]string
}

func newHerdPlant(db *Database) Proxy {
	return &herdPlant{db: db, cache: make(map[string]string)}
}

func (p *herdPlant) Get(key string) string {
	p.mu.Lock()
	v, ok := p.cache[key]
	p.mu.Unlock()
	if ok {
		return v
	}
	v = p.db.Load(key)
	p.mu.Lock()
	p.cache[key] = v
	p.mu.Unlock()
	return v
}

func (p *herdPlant) Close() {}

// plant-forget: singleflight without the map: callers that overlap share
// a load, but nothing is kept, so the next burst of a key loads again.
type forgetPlant struct {
	db     *Database
	flight singleflight.Group
}

func newForgetPlant(db *Database) Proxy { return &forgetPlant{db: db} }

func (p *forgetPlant) Get(key string) string {
	v, _, _ := p.flight.Do(key, func() (interface{}, error) {
		return p.db.Load(key), nil
	})
	return v.(string)
}

func (p *forgetPlant) Close() {}
