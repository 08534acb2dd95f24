// SPDX-License-Identifier: GPL-2.0

package main

import (
	"sync"

	"golang.org/x/sync/singleflight"
)

// singleflightProxy is the demo's singleflight proxy: a map under a lock,
// and misses through singleflight.Group.Do, so concurrent misses of a key
// share one load. The lock is not held across the load.
type singleflightProxy struct {
	db     *Database
	flight singleflight.Group

	mu    sync.Mutex // protects cache
	cache map[string]string
}

func newSingleflightProxy(db *Database) Proxy {
	return &singleflightProxy{db: db, cache: make(map[string]string)}
}

func (p *singleflightProxy) lookup(key string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.cache[key]
	return v, ok
}

func (p *singleflightProxy) Get(key string) string {
	if v, ok := p.lookup(key); ok {
		return v
	}
	v, _, _ := p.flight.Do(key, func() (interface{}, error) {
		// A flight that ended between our miss and Do stored the
		// value before it ended: look again rather than load twice.
		if v, ok := p.lookup(key); ok {
			return v, nil
		}
		v := p.db.Load(key)
		p.mu.Lock()
		p.cache[key] = v
		p.mu.Unlock()
		return v, nil
	})
	return v.(string)
}

func (p *singleflightProxy) Close() {}
