// SPDX-License-Identifier: GPL-2.0

package main

import "sort"

// Proxy is a cache in front of a Database: Get returns the value of key,
// loading it from the database on a miss. Nothing is ever evicted.
// Get may be called from many goroutines at once, but not after Close.
type Proxy interface {
	Get(key string) string
	Close()
}

// proxyKind describes one proxy the tool can run.
type proxyKind struct {
	name string
	make func(db *Database) Proxy
	// plant: a deliberately broken proxy for the controls (plant.go);
	// caughtBy names the checks (check.go) that must catch it.
	plant    bool
	caughtBy []string
}

// The four proxies of the Go demo, in its order.
var proxyKinds = []proxyKind{
	{name: "mutex", make: newMutexProxy},
	{name: "channel", make: newChannelProxy},
	{name: "syncmap", make: newSyncMapProxy},
	{name: "singleflight", make: newSingleflightProxy},
}

// findProxy returns the proxy or plant called name.
func findProxy(name string) (proxyKind, bool) {
	for _, k := range append(proxyKinds[:len(proxyKinds):len(proxyKinds)],
		plantKinds...) {
		if k.name == name {
			return k, true
		}
	}
	return proxyKind{}, false
}

// proxyNames lists the real proxies (plants=false) or the plants.
func proxyNames(plants bool) []string {
	var names []string
	kinds := proxyKinds
	if plants {
		kinds = plantKinds
	}
	for _, k := range kinds {
		names = append(names, k.name)
	}
	if plants {
		sort.Strings(names)
	}
	return names
}
