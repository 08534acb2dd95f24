// SPDX-License-Identifier: GPL-2.0

package main

import "sync"

// mutexProxy is the demo's "Mutex": one lock held across the whole lookup,
// the load included. Misses are serialised, and so are hits: a caller
// that hits waits for any load in progress. Because the lock is held
// across the load, a key is never loaded twice.
type mutexProxy struct {
	db *Database

	mu    sync.Mutex // held across the lookup and the load; protects cache
	cache map[string]string
}

func newMutexProxy(db *Database) Proxy {
	return &mutexProxy{db: db, cache: make(map[string]string)}
}

func (p *mutexProxy) Get(key string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if v, ok := p.cache[key]; ok {
		return v
	}
	v := p.db.Load(key)
	p.cache[key] = v
	return v
}

func (p *mutexProxy) Close() {}
