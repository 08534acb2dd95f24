// SPDX-License-Identifier: GPL-2.0

package main

import "sync"

// syncMapProxy is the demo's sync.Map proxy: the map holds, per key, a
// once-record; the first caller of a key stores it with LoadOrStore, and
// every caller runs the record's sync.Once, so concurrent misses of a key
// share one load and later callers read the value without a lock.
type syncMapProxy struct {
	db *Database
	m  sync.Map // key -> *onceValue
}

type onceValue struct {
	once  sync.Once
	value string // written once, inside once.Do
}

func newSyncMapProxy(db *Database) Proxy {
	return &syncMapProxy{db: db}
}

func (p *syncMapProxy) Get(key string) string {
	// Load first: a hit allocates no record.
	r, ok := p.m.Load(key)
	if !ok {
		r, _ = p.m.LoadOrStore(key, &onceValue{})
	}
	e := r.(*onceValue)
	e.once.Do(func() { e.value = p.db.Load(key) })
	return e.value
}

func (p *syncMapProxy) Close() {}
