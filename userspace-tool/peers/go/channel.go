// SPDX-License-Identifier: GPL-2.0

package main

// channelProxy is the demo's message-passing proxy: one goroutine, the
// owner, holds the map and the list of waiters per key; nothing else
// touches them, so there is no lock. A caller sends a request carrying a
// reply channel (its return address) and waits on it. On a miss the owner
// starts the load in a goroutine of its own, keeps serving requests, and
// when the load's result comes back stores it and answers every waiter of
// the key at once: one load per key.
type channelProxy struct {
	db       *Database
	requests chan request // callers to the owner
	results  chan loaded  // load goroutines to the owner
	quit     chan struct{}
	done     chan struct{} // closed when the owner has returned
}

type request struct {
	key   string
	reply chan<- string // buffered (1): the owner never blocks on it
}

type loaded struct {
	key, value string
}

func newChannelProxy(db *Database) Proxy {
	p := &channelProxy{
		db:       db,
		requests: make(chan request),
		results:  make(chan loaded),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go p.own()
	return p
}

// own is the owner goroutine. It returns after Close once no load is in
// flight, so no load goroutine is left blocked on results.
func (p *channelProxy) own() {
	defer close(p.done)
	cache := make(map[string]string)
	waiters := make(map[string][]chan<- string) // keys being loaded
	quit := p.quit
	for quit != nil || len(waiters) > 0 {
		select {
		case r := <-p.requests:
			if v, ok := cache[r.key]; ok {
				r.reply <- v
				continue
			}
			if w, ok := waiters[r.key]; ok {
				waiters[r.key] = append(w, r.reply)
				continue
			}
			waiters[r.key] = []chan<- string{r.reply}
			go func(key string) {
				p.results <- loaded{key, p.db.Load(key)}
			}(r.key)
		case l := <-p.results:
			cache[l.key] = l.value
			for _, reply := range waiters[l.key] {
				reply <- l.value
			}
			delete(waiters, l.key)
		case <-quit:
			quit = nil
		}
	}
}

func (p *channelProxy) Get(key string) string {
	reply := make(chan string, 1)
	p.requests <- request{key, reply}
	return <-reply
}

func (p *channelProxy) Close() {
	close(p.quit)
	<-p.done
}
